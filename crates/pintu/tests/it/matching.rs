//! Matching runs through the API on every backend: ranking and quotas, the village forum's
//! decisions surviving re-runs, "why?" for a person, the editor's preview, the lists as CSV,
//! and the area scope of every endpoint.

use chrono::Utc;
use pintu_domain::AreaCode;
use pintu_domain::access::Scope;
use pintu_service::Ctx;
use pintu_store::facts::{self, SurveyFacts};
use pintu_store::{Store, execute, new_id, query_all};
use pintu_testkit::{TestApp, backends, empty_store, spawn_app};
use serde_json::{Value, json};

use crate::{OTHER_DISTRICT_VILLAGE, SIBLING_VILLAGE, VILLAGE, household, json_of, nik};

/// Adds a programme with one rule version in force since 2020 (the catalogue's own API is
/// tested in `programmes`).
pub async fn add_programme(
    store: &Store,
    code: &str,
    rule: &str,
    rank_by: &str,
    target: &str,
    quotas: &[(&str, i64)],
) -> String {
    let id = new_id();
    let now = Utc::now();
    execute(
        store.conn(),
        "INSERT INTO programmes (id, code, name_id, name_en, owner_agency, guarantee, kind, \
         target, rank_by, documents, active_from, requires, implies, example, updated_by, \
         created_at, updated_at) VALUES (?, ?, ?, ?, 'Dinas Sosial', 'older_persons', 'cash', \
         ?, ?, '[]', ?, '[]', ?, ?, 'test', ?, ?)",
        vec![
            id.clone().into(),
            code.into(),
            format!("Program {code}").into(),
            format!("Programme {code}").into(),
            target.into(),
            rank_by.into(),
            chrono::NaiveDate::from_ymd_opt(2020, 1, 1).into(),
            if code == "LANSIA-T" {
                "[\"PBI-JK\"]"
            } else {
                "[]"
            }
            .into(),
            false.into(),
            now.into(),
            now.into(),
        ],
    )
    .await
    .expect("programme");
    execute(
        store.conn(),
        "INSERT INTO programme_rules (id, programme_id, version, rule, effective_from, created_by, \
         created_at) VALUES (?, ?, 1, ?, ?, 'test', ?)",
        vec![
            new_id().into(),
            id.clone().into(),
            rule.into(),
            chrono::NaiveDate::from_ymd_opt(2020, 1, 1).into(),
            now.into(),
        ],
    )
    .await
    .expect("rule");
    for (area, quota) in quotas {
        execute(
            store.conn(),
            "INSERT INTO programme_quotas (programme_id, area_code, quota) VALUES (?, ?, ?)",
            vec![id.clone().into(), (*area).into(), (*quota).into()],
        )
        .await
        .expect("quota");
    }
    id
}

/// Registers a household (head born 1978, wife 1980, child 2025) and gives its adults a
/// welfare decile. Returns the person ids (head, wife, child).
pub(crate) async fn family(
    app: &TestApp,
    token: &str,
    village: &str,
    serial: u32,
    decile: i64,
) -> Vec<String> {
    let resp = app
        .post(
            token,
            "/api/v1/households",
            &household(village, &nik(village, serial), &format!("Kepala {serial}")),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let body = json_of(resp).await;
    let ids: Vec<String> = body["person_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_str().expect("id").to_string())
        .collect();
    let rows: Vec<SurveyFacts> = ids[..2]
        .iter()
        .map(|id| SurveyFacts {
            person_id: id.clone(),
            village_code: village.into(),
            disability: Some(false),
            chronic_illness: None,
            school_status: None,
            employment_status: Some("INFORMAL".into()),
            monthly_income: Some(900_000),
            welfare_decile: Some(decile),
            pmt_score: None,
            surveyed_on: None,
        })
        .collect();
    facts::upsert_survey(app.pintu.store.conn(), &rows)
        .await
        .expect("facts");
    ids
}

async fn wait_for_run(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..400 {
        let run = json_of(app.get(token, &format!("/api/v1/matching/runs/{id}")).await).await;
        if run["status"] != "running" {
            return run;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the run did not finish");
}

fn lines(list: &Value) -> Vec<(String, Option<i64>, String)> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|l| {
            (
                l["person_id"].as_str().expect("id").to_string(),
                l["rank"].as_i64(),
                l["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_run_ranks_the_eligible_cuts_at_the_quota_and_the_forum_decisions_survive_reruns() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let h1 = family(&app, &kab.token, VILLAGE, 1, 2).await;
        let h2 = family(&app, &kab.token, VILLAGE, 2, 1).await;
        let h3 = family(&app, &kab.token, VILLAGE, 3, 5).await;
        let h4 = family(&app, &kab.token, SIBLING_VILLAGE, 4, 3).await;
        add_programme(
            &app.pintu.store,
            "LANSIA-T",
            "age >= 40 && household.welfare_decile <= 3",
            "household.welfare_decile, age desc",
            "person",
            &[(VILLAGE, 2)],
        )
        .await;

        let resp = app
            .post(
                &kab.token,
                "/api/v1/matching/runs",
                &json!({"area": "35.07"}),
            )
            .await;
        assert_eq!(resp.status(), 202, "{backend:?}");
        let run = json_of(resp).await;
        let run = wait_for_run(&app, &kab.token, run["id"].as_str().expect("id")).await;
        assert_eq!(run["status"], "finished", "{run}");
        let summary = run["programmes"]
            .as_array()
            .expect("programmes")
            .iter()
            .find(|p| p["code"] == "LANSIA-T")
            .expect("our programme")
            .clone();
        assert_eq!(
            (
                summary["eligible"].as_u64(),
                summary["selected"].as_u64(),
                summary["waiting"].as_u64()
            ),
            (Some(6), Some(4), Some(2)),
            "{summary}"
        );

        let list = json_of(
            app.get(
                &kab.token,
                &format!("/api/v1/programmes/LANSIA-T/eligible?area={VILLAGE}"),
            )
            .await,
        )
        .await;
        // The poorest household first (decile 1), the older of a couple first; quota 2.
        assert_eq!(
            lines(&list),
            vec![
                (h2[0].clone(), Some(1), "selected".into()),
                (h2[1].clone(), Some(2), "selected".into()),
                (h1[0].clone(), Some(3), "waiting".into()),
                (h1[1].clone(), Some(4), "waiting".into()),
            ],
            "{backend:?}"
        );
        let sibling = json_of(
            app.get(
                &kab.token,
                &format!("/api/v1/programmes/LANSIA-T/eligible?area={SIBLING_VILLAGE}"),
            )
            .await,
        )
        .await;
        assert_eq!(
            lines(&sibling),
            vec![
                (h4[0].clone(), Some(1), "selected".into()),
                (h4[1].clone(), Some(2), "selected".into()),
            ]
        );

        // The village forum removes the first and adds a child the rule does not find.
        for (person, action, reason) in [
            (&h2[0], "remove", "Bekerja di luar negeri sejak Agustus"),
            (
                &h3[2],
                "add",
                "Yatim, diasuh nenek; disepakati musyawarah desa",
            ),
        ] {
            let resp = app
                .post(
                    &desa.token,
                    "/api/v1/overrides",
                    &json!({"programme": "LANSIA-T", "person_id": person, "action": action,
                            "reason": reason, "forum_date": "2026-01-15"}),
                )
                .await;
            assert_eq!(resp.status(), 201, "{backend:?}");
        }
        // Outside the village office's area: refused.
        let resp = app
            .post(
                &desa.token,
                "/api/v1/overrides",
                &json!({"programme": "LANSIA-T", "person_id": h4[0], "action": "remove",
                        "reason": "x", "forum_date": "2026-01-15"}),
            )
            .await;
        assert_eq!(resp.status(), 403);
        // No reason: refused, nothing written.
        let resp = app
            .post(
                &desa.token,
                "/api/v1/overrides",
                &json!({"programme": "LANSIA-T", "person_id": h1[0], "action": "remove",
                        "reason": " ", "forum_date": "2026-01-15"}),
            )
            .await;
        assert_eq!(resp.status(), 422);

        for _ in 0..2 {
            app.pintu
                .run_matching(&Ctx::system("test"), Some("35.07"), None, |_, _| {})
                .await
                .expect("run");
            let list = json_of(
                app.get(
                    &kab.token,
                    &format!("/api/v1/programmes/LANSIA-T/eligible?area={VILLAGE}"),
                )
                .await,
            )
            .await;
            assert_eq!(
                lines(&list),
                vec![
                    (h2[1].clone(), Some(1), "selected".into()),
                    (h1[0].clone(), Some(2), "selected".into()),
                    (h1[1].clone(), Some(3), "waiting".into()),
                    (h2[0].clone(), None, "removed".into()),
                    (h3[2].clone(), None, "added".into()),
                ],
                "{backend:?}"
            );
        }

        // "Why?" for the head of the better-off household: the decile decided it.
        let why = json_of(
            app.get(
                &desa.token,
                &format!("/api/v1/persons/{}/entitlements", h3[0]),
            )
            .await,
        )
        .await;
        let p = why["programmes"]
            .as_array()
            .expect("programmes")
            .iter()
            .find(|p| p["programme"] == "LANSIA-T")
            .expect("programme")
            .clone();
        assert_eq!(p["eligible"], "false", "{p}");
        let decisive: Vec<&str> = p["clauses"]
            .as_array()
            .expect("clauses")
            .iter()
            .filter(|c| c["decisive"] == true)
            .map(|c| c["text"].as_str().expect("text"))
            .collect();
        assert_eq!(decisive, vec!["household.welfare_decile <= 3"]);
        // The removed person's "why?" shows the forum's decision and the package gap.
        let why = json_of(
            app.get(
                &desa.token,
                &format!("/api/v1/persons/{}/entitlements", h2[1]),
            )
            .await,
        )
        .await;
        let p = why["programmes"]
            .as_array()
            .expect("programmes")
            .iter()
            .find(|p| p["programme"] == "LANSIA-T")
            .expect("programme")
            .clone();
        assert_eq!(
            (p["eligible"].as_str(), p["list_status"].as_str()),
            (Some("true"), Some("selected"))
        );
        assert_eq!(p["missing"], json!(["PBI-JK"]));
        // Selected for the state's contribution assistance (the shipped PBI-JK programme):
        // the state pays her JKN; as an informal worker she belongs in JKK and JKM.
        assert_eq!(why["jkn"]["segment"], "PBI-APBN", "{}", why["jkn"]);
        assert_eq!(why["jkn"]["government_pays"], 42000);
        assert_eq!(why["bpjs_tk"]["programmes"], json!(["JKK", "JKM"]));

        // The list as CSV for the village office.
        let csv = app
            .get(
                &desa.token,
                "/api/v1/programmes/LANSIA-T/eligible?format=csv",
            )
            .await;
        assert_eq!(csv.status(), 200);
        let text = csv.text().await.expect("csv");
        assert_eq!(text.lines().count(), 6, "{text}");
        assert!(text.lines().nth(1).expect("line").contains(&h2[1]));
        assert!(
            !text.contains(&h4[0]),
            "another village's people are not listed"
        );
    }
}

#[tokio::test]
async fn the_preview_counts_the_eligible_in_the_area_and_reports_rule_errors() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let kab = app.officer("kab", "district_officer", Some("35.07")).await;
    family(&app, &kab.token, VILLAGE, 1, 2).await;
    family(&app, &kab.token, OTHER_DISTRICT_VILLAGE, 2, 2).await;
    let body = json_of(
        app.post(
            &kab.token,
            "/api/v1/rules/preview",
            &json!({"rule": "age >= 40 && household.welfare_decile <= 3", "area": VILLAGE}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (body["people"].as_i64(), body["eligible"].as_i64()),
        (Some(3), Some(2)),
        "{body}"
    );
    let body = json_of(
        app.post(
            &kab.token,
            "/api/v1/rules/preview",
            &json!({"rule": "age >= 40"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (body["people"].as_i64(), body["eligible"].as_i64()),
        (Some(6), Some(4))
    );
    let body = json_of(
        app.post(
            &kab.token,
            "/api/v1/rules/preview",
            &json!({"rule": "age >= 40 &&\n  welfare_decil <= 3"}),
        )
        .await,
    )
    .await;
    let err = &body["errors"][0];
    assert_eq!(
        (
            err["code"].as_str(),
            err["line"].as_i64(),
            err["column"].as_i64()
        ),
        (Some("unknown_field"), Some(2), Some(3)),
        "{body}"
    );
    assert!(
        err["message"]
            .as_str()
            .expect("msg")
            .contains("welfare_decile")
    );
}

#[tokio::test]
async fn every_matching_endpoint_keeps_officers_in_their_area() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let other = app
            .officer("other", "district_officer", Some("32.01"))
            .await;
        let omb = app.officer("omb", "ombudsman", Some("35")).await;
        let h = family(&app, &kab.token, VILLAGE, 1, 2).await;
        add_programme(
            &app.pintu.store,
            "LANSIA-T",
            "age >= 40",
            "age desc",
            "person",
            &[],
        )
        .await;
        // Only district offices and above start runs, in their own area.
        let run = |token: String, area: &'static str| {
            let app = &app;
            async move {
                app.post(&token, "/api/v1/matching/runs", &json!({"area": area}))
                    .await
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(run(desa.token.clone(), VILLAGE).await, 403);
        assert_eq!(run(other.token.clone(), "35.07").await, 403);
        assert_eq!(run(omb.token.clone(), "35.07").await, 403);
        assert_eq!(
            run(kab.token.clone(), "35-07").await,
            422,
            "a malformed area code"
        );
        let started = app
            .post(&kab.token, "/api/v1/matching/runs", &json!({}))
            .await;
        assert_eq!(started.status(), 202);
        let id = json_of(started).await["id"]
            .as_str()
            .expect("id")
            .to_string();
        wait_for_run(&app, &kab.token, &id).await;
        // Another province's officer sees neither the run nor the list nor the person.
        assert_eq!(
            app.get(&other.token, &format!("/api/v1/matching/runs/{id}"))
                .await
                .status(),
            404
        );
        assert_eq!(
            app.get(
                &other.token,
                "/api/v1/programmes/LANSIA-T/eligible?area=35.07"
            )
            .await
            .status(),
            403
        );
        assert_eq!(
            app.get(
                &other.token,
                &format!("/api/v1/persons/{}/entitlements", h[0])
            )
            .await
            .status(),
            404
        );
        // The village office reads its own village's list and the run that covers it.
        assert_eq!(
            app.get(&desa.token, &format!("/api/v1/matching/runs/{id}"))
                .await
                .status(),
            200
        );
        let own = json_of(
            app.get(&desa.token, "/api/v1/programmes/LANSIA-T/eligible")
                .await,
        )
        .await;
        assert_eq!(own["items"].as_array().expect("items").len(), 2);
        assert_eq!(
            app.get(
                &desa.token,
                &format!("/api/v1/programmes/LANSIA-T/eligible?area={SIBLING_VILLAGE}")
            )
            .await
            .status(),
            403
        );
        // The ombudsman has no registry access.
        for path in [
            "/api/v1/matching/runs".to_string(),
            "/api/v1/programmes/LANSIA-T/eligible".to_string(),
            format!("/api/v1/persons/{}/entitlements", h[0]),
            "/api/v1/overrides".to_string(),
        ] {
            assert_eq!(app.get(&omb.token, &path).await.status(), 403, "{path}");
        }
        assert_eq!(
            app.post(
                &omb.token,
                "/api/v1/rules/preview",
                &json!({"rule": "true"})
            )
            .await
            .status(),
            403
        );
        // Unknown programme; bad cursor.
        assert_eq!(
            app.get(&kab.token, "/api/v1/programmes/NOPE/eligible")
                .await
                .status(),
            404
        );
        assert_eq!(
            app.get(
                &kab.token,
                "/api/v1/programmes/LANSIA-T/eligible?after=%25%25"
            )
            .await
            .status(),
            422
        );
        // Without a token: 401.
        let anonymous = app
            .client
            .get(app.url("/api/v1/overrides"))
            .send()
            .await
            .expect("request");
        assert_eq!(anonymous.status(), 401);
    }
}

#[tokio::test]
async fn gaps_in_a_hand_built_village_are_the_ones_written_here() {
    use pintu_store::facts::NewEnrolment;
    for backend in backends() {
        let app = spawn_app(backend).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        // Household 1 is poor (decile 2): head 48, wife 46, a child of 1; household 2 is not.
        let h1 = family(&app, &kab.token, VILLAGE, 1, 2).await;
        let h2 = family(&app, &kab.token, VILLAGE, 2, 5).await;
        let store = &app.pintu.store;
        add_programme(
            store,
            "LANSIA-T",
            "age >= 40 && household.welfare_decile <= 3",
            "age desc",
            "person",
            &[],
        )
        .await;
        add_programme(
            store,
            "PKH-T",
            "household.welfare_decile <= 3 && household.members.exists(m, m.age < 6)",
            "household.welfare_decile",
            "household",
            &[],
        )
        .await;
        add_programme(
            store,
            "BLT-T",
            "household.welfare_decile <= 2",
            "household.welfare_decile",
            "household",
            &[],
        )
        .await;
        execute(
            store.conn(),
            "UPDATE programmes SET need = 'cash' WHERE code IN ('PKH-T', 'BLT-T')",
            vec![],
        )
        .await
        .expect("needs");
        let enrol = |person: &String, code: &str| NewEnrolment {
            person_id: person.clone(),
            village_code: VILLAGE.into(),
            programme_code: code.into(),
            active: true,
            since: None,
            source: "officer",
            reference: None,
        };
        facts::upsert_enrolments(
            store.conn(),
            &[
                // Served: the head of household 1; not the wife (an exclusion error).
                enrol(&h1[0], "LANSIA-T"),
                // Household 2 is not eligible: an inclusion error.
                enrol(&h2[0], "LANSIA-T"),
                // Household programmes are served by any member's enrolment.
                enrol(&h1[1], "PKH-T"),
                enrol(&h1[2], "BLT-T"),
                // Household 2 in PKH-T: an inclusion error.
                enrol(&h2[1], "PKH-T"),
            ],
        )
        .await
        .expect("enrolments");
        app.pintu
            .run_matching(&Ctx::system("test"), Some("35.07"), None, |_, _| {})
            .await
            .expect("run");
        let gaps = json_of(
            app.get(&kab.token, &format!("/api/v1/matching/gaps?area={VILLAGE}"))
                .await,
        )
        .await;
        let ours = |kind: &str| -> Vec<(String, String, i64)> {
            gaps[kind]
                .as_array()
                .expect("counts")
                .iter()
                .filter(|g| {
                    g["programme"]
                        .as_str()
                        .is_some_and(|p| p.ends_with("-T") || p == "cash")
                })
                .map(|g| {
                    (
                        g["programme"].as_str().expect("p").to_string(),
                        g["village_code"].as_str().expect("v").to_string(),
                        g["people"].as_i64().expect("n"),
                    )
                })
                .collect()
        };
        assert_eq!(
            ours("exclusion"),
            vec![("LANSIA-T".into(), VILLAGE.into(), 1)],
            "{backend:?} {gaps}"
        );
        assert_eq!(
            ours("inclusion"),
            vec![
                ("LANSIA-T".into(), VILLAGE.into(), 1),
                ("PKH-T".into(), VILLAGE.into(), 1)
            ],
            "{backend:?}"
        );
        assert_eq!(
            ours("double_targeting"),
            vec![("cash".into(), VILLAGE.into(), 1)]
        );
    }
}

/// Every line of a run, as (programme, person, rank, status), in a stable order.
async fn run_lines(store: &Store, run_id: &str) -> Vec<(String, String, Option<i64>, String)> {
    let rows = pintu_store::query_all(
        store.conn(),
        "SELECT l.programme_id, r.person_id, r.rank, r.status FROM match_lines r \
         JOIN match_lists l ON l.id = r.list_id WHERE l.run_id = ? \
         ORDER BY l.programme_id, r.person_id",
        vec![run_id.into()],
    )
    .await
    .expect("lines");
    rows.iter()
        .map(|r| {
            (
                pintu_store::col(r, "programme_id").expect("p"),
                pintu_store::col(r, "person_id").expect("p"),
                pintu_store::col(r, "rank").expect("r"),
                pintu_store::col(r, "status").expect("s"),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_interrupted_run_resumes_and_ends_as_an_uninterrupted_one() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        for (serial, decile) in [(1, 2), (2, 1), (3, 4), (4, 3)] {
            family(&app, &kab.token, VILLAGE, serial, decile).await;
        }
        let store = &app.pintu.store;
        let whole = app
            .pintu
            .run_matching(&Ctx::system("test"), Some("35.07"), None, |_, _| {})
            .await
            .expect("run");
        let expected = run_lines(store, &whole.row.id).await;
        assert!(
            expected.len() > 10,
            "the catalogue lists people: {}",
            expected.len()
        );

        // A copy of the run stopped after its first three programmes, as a crash leaves it.
        let stopped = new_id();
        let summary: Vec<Value> = serde_json::from_str(&whole.row.summary).expect("summary");
        let done: Vec<String> = summary[..3]
            .iter()
            .map(|p| p["code"].as_str().expect("code").to_string())
            .collect();
        execute(
            store.conn(),
            "INSERT INTO match_runs (id, area_code, reference_date, status, programmes_done, \
             programmes_total, summary, error, created_by, created_at, updated_at) \
             SELECT ?, area_code, reference_date, 'running', 3, programmes_total, ?, NULL, \
             created_by, created_at, updated_at FROM match_runs WHERE id = ?",
            vec![
                stopped.clone().into(),
                serde_json::to_string(&summary[..3]).expect("json").into(),
                whole.row.id.clone().into(),
            ],
        )
        .await
        .expect("copy run");
        execute(
            store.conn(),
            "INSERT INTO match_lists (run_id, programme_id, rule_version) \
             SELECT ?, l.programme_id, l.rule_version FROM match_lists l \
             JOIN programmes g ON g.id = l.programme_id \
             WHERE l.run_id = ? AND g.code IN (?, ?, ?)",
            vec![
                stopped.clone().into(),
                whole.row.id.clone().into(),
                done[0].clone().into(),
                done[1].clone().into(),
                done[2].clone().into(),
            ],
        )
        .await
        .expect("copy lists");
        execute(
            store.conn(),
            "INSERT INTO match_lines (list_id, person_id, household_id, village_code, rank, \
             status) SELECT n.id, r.person_id, r.household_id, r.village_code, r.rank, \
             r.status FROM match_lines r JOIN match_lists o ON o.id = r.list_id \
             JOIN match_lists n ON n.programme_id = o.programme_id AND n.run_id = ? \
             WHERE o.run_id = ?",
            vec![stopped.clone().into(), whole.row.id.clone().into()],
        )
        .await
        .expect("copy lines");
        // And the population snapshot of a run that ended while its snapshot was being
        // deleted, as a crash leaves it.
        let regency = Scope::Within(AreaCode::parse("35.07").expect("area"));
        let stale = pintu_store::matching::build_population(store.conn(), &whole.row.id, &regency)
            .await
            .expect("stale snapshot");
        assert!(stale > 0);
        // And part of the stopped run's own snapshot, never marked whole, as a crash while
        // its halves were being written leaves it: the resumed run writes it again.
        pintu_store::matching::build_population(store.conn(), &stopped, &regency)
            .await
            .expect("snapshot");
        let heads = execute(
            store.conn(),
            "DELETE FROM match_population WHERE run_id = ? AND is_head",
            vec![stopped.clone().into()],
        )
        .await
        .expect("half of it");
        assert!(heads > 0);
        assert_eq!(app.pintu.resume_matching().await.expect("resume"), 1);
        let resumed = wait_for_run(&app, &kab.token, &stopped).await;
        assert_eq!(resumed["status"], "finished", "{backend:?} {resumed}");
        assert_eq!(resumed["programmes_done"], whole.row.programmes_total);
        assert_eq!(run_lines(store, &stopped).await, expected, "{backend:?}");
        let left = query_all(store.conn(), "SELECT run_id FROM match_population", vec![])
            .await
            .expect("snapshots");
        assert!(
            left.is_empty(),
            "{backend:?}: snapshots are deleted when runs end"
        );
    }
}

#[tokio::test]
async fn the_person_page_says_why_in_the_officers_language() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let kab = app.officer("kab", "district_officer", Some("35.07")).await;
    app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let h = family(&app, &kab.token, VILLAGE, 1, 5).await;
    add_programme(
        &app.pintu.store,
        "LANSIA-T",
        "age >= 40 && household.welfare_decile <= 3",
        "age desc",
        "person",
        &[],
    )
    .await;
    let (c, _) = crate::pages::logged_in(&app, "desa").await;
    let page = c
        .get(app.url(&format!("/persons/{}", h[0])))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("Hak atas program"), "the section is there");
    let row = html
        .split("<tr class=\"entitlement-")
        .find(|r| r.contains("LANSIA-T"))
        .expect("our programme's row");
    assert!(row.starts_with("not-eligible"), "{row}");
    assert!(row.contains("Tidak memenuhi syarat"));
    assert!(
        row.contains("desil kesejahteraan rumah tangga 5, tidak ≤ 3"),
        "{row}"
    );
    assert!(
        !row.contains("umur (tahun) 48"),
        "only the clause that decided is given"
    );
    assert!(html.contains("id=\"person-jkn\""));
    c.get(app.url(&format!("/lang/en?next=/persons/{}", h[0])))
        .send()
        .await
        .expect("language");
    let html = c
        .get(app.url(&format!("/persons/{}", h[0])))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let row = html
        .split("<tr class=\"entitlement-")
        .find(|r| r.contains("LANSIA-T"))
        .expect("our programme's row");
    assert!(row.contains("Not eligible"), "{row}");
    assert!(
        row.contains("household welfare decile is 5, not ≤ 3"),
        "{row}"
    );
    // The ombudsman reads no person pages, so no entitlements either.
    let omb = app.officer("omb", "ombudsman", Some("35")).await;
    assert_eq!(
        app.get(
            &omb.token,
            &format!("/api/v1/persons/{}/entitlements", h[0])
        )
        .await
        .status(),
        403
    );
}

/// Reads a page through the logged-in client: (status, body).
async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let resp = c.get(app.url(path)).send().await.expect("page");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("html"))
}

/// The person ids of a list page's rows, in order, with the row's status class.
fn page_lines(html: &str) -> Vec<(String, String)> {
    html.split("<tr class=\"line-")
        .skip(1)
        .map(|row| {
            let status = row.split('"').next().expect("class").to_string();
            let id = row
                .split("href=\"/persons/")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("person link")
                .to_string();
            (id, status)
        })
        .collect()
}

#[tokio::test]
async fn officers_run_matching_read_print_and_download_lists_and_record_forum_decisions_in_the_pages()
 {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let kab = app.officer("kab", "district_officer", Some("35.07")).await;
    app.officer("desa", "village_officer", Some(VILLAGE)).await;
    app.officer("tetangga", "village_officer", Some(SIBLING_VILLAGE))
        .await;
    let h1 = family(&app, &kab.token, VILLAGE, 1, 2).await;
    let h2 = family(&app, &kab.token, VILLAGE, 2, 1).await;
    let h3 = family(&app, &kab.token, VILLAGE, 3, 5).await;
    add_programme(
        &app.pintu.store,
        "LANSIA-T",
        "age >= 40 && household.welfare_decile <= 3",
        "household.welfare_decile, age desc",
        "person",
        &[(VILLAGE, 2)],
    )
    .await;

    // A village office reads the matching pages but does not start runs.
    let (desa, desa_csrf) = crate::pages::logged_in(&app, "desa").await;
    let (status, html) = page(&desa, &app, "/matching").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("href=\"/matching\" aria-current=\"page\""),
        "in the menu"
    );
    assert!(html.contains("id=\"no-runs\""), "the empty state");
    assert!(
        !html.contains("id=\"start-run\""),
        "no start form for a village office"
    );
    let (status, html) = page(&desa, &app, "/matching/lists/LANSIA-T").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("id=\"no-run\""),
        "no run covers the village yet"
    );

    // The district office starts a run through the form: a bad area is explained and
    // starts nothing; a good one starts the run and its page follows it to the end.
    let (kab_page, kab_csrf) = crate::pages::logged_in(&app, "kab").await;
    let resp = kab_page
        .post(app.url("/matching"))
        .form(&[("area", "35.07"), ("reference_date", "")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 403, "no CSRF token, no run");
    let resp = kab_page
        .post(app.url("/matching"))
        .form(&[
            ("csrf", kab_csrf.as_str()),
            ("area", "35.x"),
            ("reference_date", ""),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.expect("html");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    let runs = json_of(app.get(&kab.token, "/api/v1/matching/runs").await).await;
    assert_eq!(runs.as_array().map(Vec::len), Some(0), "nothing started");
    let resp = kab_page
        .post(app.url("/matching"))
        .form(&[
            ("csrf", kab_csrf.as_str()),
            ("area", "35.07"),
            ("reference_date", &Utc::now().date_naive().to_string()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 303);
    let run_path = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("the run's page")
        .to_string();
    let mut finished = String::new();
    for _ in 0..400 {
        let (status, html) = page(&kab_page, &app, &format!("{run_path}/status")).await;
        assert_eq!(status, 200);
        if !html.contains("hx-get") {
            finished = html;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(finished.contains("Selesai"), "{finished}");
    let row = finished
        .split("<tr>")
        .find(|r| r.contains("LANSIA-T"))
        .expect("our programme's row");
    let numbers: Vec<&str> = row
        .split("<td>")
        .skip(2)
        .map(|c| c.split('<').next().expect("cell"))
        .collect();
    assert_eq!(numbers, ["1", "4", "2", "2", "0", "0"], "{row}");
    let (_, html) = page(&kab_page, &app, "/matching").await;
    assert!(html.contains(&run_path), "the run is listed");

    // The village list: ranked, cut at the quota, with no NIK on the screen.
    let list_path = format!("/matching/lists/LANSIA-T?area={VILLAGE}");
    let (status, html) = page(&desa, &app, &list_path).await;
    assert_eq!(status, 200);
    let expected = vec![
        (h2[0].clone(), "selected".to_string()),
        (h2[1].clone(), "selected".into()),
        (h1[0].clone(), "waiting".into()),
        (h1[1].clone(), "waiting".into()),
    ];
    assert_eq!(page_lines(&html), expected);
    assert!(!html.contains(&nik(VILLAGE, 2)), "no NIK on the screen");
    assert!(html.contains("Tulungrejo"), "the village by its name");
    let (_, waiting) = page(&desa, &app, &format!("{list_path}&status=waiting")).await;
    assert_eq!(page_lines(&waiting), expected[2..].to_vec());
    // Printed for the village office, with NIKs and the signatures, and as CSV.
    let (status, print) = page(
        &desa,
        &app,
        &format!("/matching/lists/LANSIA-T/print?area={VILLAGE}"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        print.contains(&nik(VILLAGE, 2)),
        "the head's NIK to reach him"
    );
    assert!(print.contains("Kepala desa") && print.contains("4 orang dalam daftar ini"));
    // A regency's list goes to CSV, not to paper.
    let (_, regency) = page(&kab_page, &app, "/matching/lists/LANSIA-T?area=35.07").await;
    assert_eq!(
        page_lines(&regency).len(),
        4,
        "the regency's list on screen"
    );
    assert!(!regency.contains("id=\"print-list\"") && regency.contains("id=\"download-list\""));
    let (status, refused) =
        page(&kab_page, &app, "/matching/lists/LANSIA-T/print?area=35.07").await;
    assert_eq!(status, 422);
    assert!(
        refused.contains("Daftar dicetak per desa atau kecamatan"),
        "{refused}"
    );
    let resp = desa
        .get(app.url(&format!("/matching/lists/LANSIA-T/csv?area={VILLAGE}")))
        .send()
        .await
        .expect("csv");
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/csv")
    );
    let csv = resp.text().await.expect("csv");
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(csv.lines().nth(1).expect("first line").contains(&h2[0]));
    // The neighbouring village's office reads neither list nor print nor CSV of this one.
    let (tetangga, _) = crate::pages::logged_in(&app, "tetangga").await;
    for path in [
        list_path.clone(),
        format!("/matching/lists/LANSIA-T/print?area={VILLAGE}"),
        format!("/matching/lists/LANSIA-T/csv?area={VILLAGE}"),
        format!("/matching/gaps?area={VILLAGE}"),
        format!("/matching/overrides?area={VILLAGE}"),
    ] {
        let (status, body) = page(&tetangga, &app, &path).await;
        assert_eq!(status, 403, "{path}");
        assert!(!body.contains(&h2[0]), "{path}");
    }
    let (status, _) = page(
        &tetangga,
        &app,
        &format!(
            "/matching/overrides/new?programme=LANSIA-T&person={}",
            h2[0]
        ),
    )
    .await;
    assert_eq!(status, 404, "a person outside the area is not found");

    // The village forum removes the first: without a reason the form says so and records
    // nothing; with one it is recorded, shown, and holds in the next run.
    let person_page = page(&desa, &app, &format!("/persons/{}", h3[2])).await.1;
    assert!(person_page.contains(&format!(
        "/matching/overrides/new?programme=LANSIA-T&amp;person={}",
        h3[2]
    )));
    let (status, form) = page(
        &desa,
        &app,
        &format!(
            "/matching/overrides/new?programme=LANSIA-T&person={}&action=remove",
            h2[0]
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(form.contains("Kepala 2") && form.contains("value=\"remove\" checked"));
    let today = Utc::now().date_naive().to_string();
    let decide = |reason: &'static str| {
        [
            ("csrf", desa_csrf.clone()),
            ("programme", "LANSIA-T".to_string()),
            ("person", h2[0].clone()),
            ("action", "remove".to_string()),
            ("forum_date", today.clone()),
            ("reason", reason.to_string()),
        ]
    };
    let resp = desa
        .post(app.url("/matching/overrides"))
        .form(&decide("  "))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.expect("html");
    assert!(html.contains("Tulis alasan musyawarah."), "{html}");
    let (_, html) = page(&desa, &app, "/matching/overrides").await;
    assert!(html.contains("id=\"no-overrides\""), "nothing recorded");
    let resp = desa
        .post(app.url("/matching/overrides"))
        .form(&decide("Bekerja di luar negeri sejak Agustus"))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 303);
    let back = resp.headers()["location"].to_str().expect("to").to_string();
    let (_, html) = page(&desa, &app, &back).await;
    assert!(html.contains("Keputusan tercatat"), "{html}");
    assert!(html.contains("Bekerja di luar negeri sejak Agustus"));
    let override_id = html
        .split("<tr id=\"override-")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the decision's row")
        .to_string();
    app.pintu
        .run_matching(&Ctx::system("test"), Some("35.07"), None, |_, _| {})
        .await
        .expect("run");
    let (_, html) = page(&desa, &app, &list_path).await;
    assert_eq!(
        page_lines(&html),
        vec![
            (h2[1].clone(), "selected".to_string()),
            (h1[0].clone(), "selected".into()),
            (h1[1].clone(), "waiting".into()),
            // Without a rank, after the ranked.
            (h2[0].clone(), "removed".into()),
        ]
    );
    assert!(html.contains("dikeluarkan musyawarah desa"));

    // Revoked once; a second revoke is refused.
    let revoke = format!("/matching/overrides/{override_id}/revoke");
    let resp = desa
        .post(app.url(&revoke))
        .form(&[("csrf", desa_csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 303);
    let (_, html) = page(&desa, &app, "/matching/overrides").await;
    assert!(html.contains("id=\"no-overrides\""), "revoked");
    let (_, html) = page(&desa, &app, "/matching/overrides?all=1").await;
    assert!(html.contains("Dicabut pada"));
    let resp = desa
        .post(app.url(&revoke))
        .form(&[("csrf", desa_csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 409);

    // The gaps page shows what the API counts: every listed person unenrolled.
    let (status, html) = page(&kab_page, &app, &format!("/matching/gaps?area={VILLAGE}")).await;
    assert_eq!(status, 200);
    let gaps = json_of(
        app.get(&kab.token, &format!("/api/v1/matching/gaps?area={VILLAGE}"))
            .await,
    )
    .await;
    let total = |kind: &str| -> i64 {
        gaps[kind]
            .as_array()
            .expect("counts")
            .iter()
            .map(|g| g["people"].as_i64().expect("n"))
            .sum()
    };
    assert!(total("exclusion") >= 2, "{gaps}");
    for (id, kind) in [
        ("exclusion", "exclusion"),
        ("inclusion", "inclusion"),
        ("double", "double_targeting"),
    ] {
        assert!(
            html.contains(&format!("<dd id=\"total-{id}\">{}</dd>", total(kind))),
            "{id}: {html}"
        );
    }
    assert!(html.contains("/matching/lists/LANSIA-T?area="));
    assert!(html.contains("Tulungrejo <small>35.07.01.2001</small>"));

    // A national officer chooses an area before anything is counted or listed.
    app.officer("nasional", "national_officer", None).await;
    let (nasional, _) = crate::pages::logged_in(&app, "nasional").await;
    for path in ["/matching/gaps", "/matching/lists/LANSIA-T"] {
        let (status, html) = page(&nasional, &app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("id=\"choose-area\""), "{path}: {html}");
    }
    let (_, html) = page(&nasional, &app, &format!("/matching/gaps?area={VILLAGE}")).await;
    assert!(html.contains("<dd id=\"total-exclusion\">"), "{html}");
}

/// A database with lines written before lists were numbered (schema version 33) keeps them:
/// each run's programme becomes a list with its rule version, and every line is found again.
#[tokio::test]
async fn lines_written_before_lists_were_numbered_are_kept() {
    for backend in backends() {
        let (store, _) = empty_store(backend).await;
        store.migrate_to(33).await.expect("migrate to 33");
        let (run, programme, other) = (new_id(), new_id(), new_id());
        execute(
            store.conn(),
            "INSERT INTO match_runs (id, area_code, reference_date, status, programmes_done, \
             programmes_total, summary, error, created_by, created_at, updated_at) \
             VALUES (?, '35.07', ?, 'finished', 2, 2, '[]', NULL, 'test', ?, ?)",
            vec![
                run.clone().into(),
                Utc::now().date_naive().into(),
                Utc::now().into(),
                Utc::now().into(),
            ],
        )
        .await
        .expect("run");
        let lines = [
            (&programme, "p1", Some(1), "selected", 3),
            (&programme, "p2", Some(2), "waiting", 3),
            (&programme, "p3", None, "added", 3),
            (&other, "p1", Some(1), "selected", 1),
        ];
        for (g, person, rank, status, version) in lines {
            execute(
                store.conn(),
                "INSERT INTO match_results (run_id, programme_id, person_id, household_id, \
                 village_code, rule_version, rank, status) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)",
                vec![
                    run.clone().into(),
                    g.clone().into(),
                    person.into(),
                    VILLAGE.into(),
                    version.into(),
                    rank.into(),
                    status.into(),
                ],
            )
            .await
            .expect("line");
        }
        store.migrate().await.expect("migrate");

        let lists = query_all(
            store.conn(),
            "SELECT programme_id, rule_version FROM match_lists WHERE run_id = ? \
             ORDER BY programme_id",
            vec![run.clone().into()],
        )
        .await
        .expect("lists");
        let mut expected = vec![(programme.clone(), 3), (other.clone(), 1)];
        expected.sort();
        let found: Vec<(String, i32)> = lists
            .iter()
            .map(|r| {
                (
                    pintu_store::col(r, "programme_id").expect("programme"),
                    pintu_store::col(r, "rule_version").expect("version"),
                )
            })
            .collect();
        assert_eq!(found, expected, "{backend:?}");
        let mut p1 = pintu_store::matching::person_results(store.conn(), &run, "p1")
            .await
            .expect("p1");
        p1.sort();
        let mut want = vec![
            (programme.clone(), "selected".to_string(), Some(1), 3),
            (other.clone(), "selected".to_string(), Some(1), 1),
        ];
        want.sort();
        assert_eq!(p1, want, "{backend:?}");
        let counts = pintu_store::matching::list_counts(
            store.conn(),
            &run,
            &programme,
            &Scope::Within(AreaCode::parse("35.07").expect("area")),
        )
        .await
        .expect("counts");
        assert_eq!(
            counts,
            vec![
                (VILLAGE.to_string(), "added".to_string(), 1),
                (VILLAGE.to_string(), "selected".to_string(), 1),
                (VILLAGE.to_string(), "waiting".to_string(), 1),
            ],
            "{backend:?}"
        );
        let gone = query_all(
            store.conn(),
            "SELECT COUNT(*) AS n FROM schema_migrations WHERE version = 34",
            vec![],
        )
        .await
        .expect("migrations");
        assert_eq!(pintu_store::col::<i64>(&gone[0], "n").expect("n"), 1);
    }
}
