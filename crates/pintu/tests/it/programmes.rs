//! The programme catalogue (PRG-1, PRG-2) through the API, the service and the pages, on
//! every backend: the shipped catalogue, the single form's life (create, read, update with
//! its optimistic check, end or delete), rules refused with their positions, rule versions
//! in force by date, quotas, who may keep what, checking rules for editors, and the public
//! pages with their leaflet.

use std::collections::BTreeSet;

use chrono::Duration;
use pintu_service::programmes::{SHIPPED_CATALOGUE, load_catalogue, parse_catalogue};
use pintu_service::today;
use pintu_store::facts::{self, NewEnrolment};
use pintu_store::programmes as q;
use pintu_testkit::{Backend, TestApp, backends, spawn_app};
use serde_json::{Value, json};

use crate::pages::logged_in;
use crate::{VILLAGE, household, json_of, nik};

/// A regency programme of Kabupaten Malang, valid, with `rule`.
fn regional(code: &str, rule: &str) -> Value {
    json!({
        "code": code,
        "name_id": "Bantuan Pangan Daerah",
        "name_en": "District food assistance",
        "owner_agency": "Pemerintah Kabupaten Malang",
        "technical_unit": "Dinas Sosial Kabupaten Malang",
        "guarantee": "children",
        "kind": "in_kind",
        "target": "household",
        "benefit_amount": 200000,
        "benefit_period": "month",
        "area_code": "35.07",
        "need": "food",
        "documents": [{"id": "Kartu Keluarga", "en": "Family card"}],
        "procedure_id": "Daftar di kantor desa.",
        "procedure_en": "Register at the village office.",
        "active_from": "2020-01-01",
        "requires": ["PKH"],
        "rule": rule
    })
}

async fn put(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn delete(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

/// The form of a programme as read, ready to send back with a change.
async fn form_of(app: &TestApp, token: &str, code: &str) -> Value {
    let d = json_of(app.get(token, &format!("/api/v1/programmes/{code}")).await).await;
    let mut p = d["programme"].clone();
    for k in ["updated_by", "created_at"] {
        p.as_object_mut().expect("object").remove(k);
    }
    p
}

async fn programme_count(app: &TestApp) -> i64 {
    q::count(app.pintu.store.conn()).await.expect("count")
}

#[test]
fn the_shipped_catalogue_checks_every_rule_and_ranking() {
    let entries = parse_catalogue(SHIPPED_CATALOGUE, &BTreeSet::new())
        .unwrap_or_else(|e| panic!("the shipped catalogue does not check:\n{e}"));
    let codes: BTreeSet<&str> = entries.iter().map(|e| e.programme.code.as_str()).collect();
    for code in [
        "PKH",
        "PIP",
        "JSLU",
        "PBI-JK",
        "JAMKESDA",
        "BPJS-TK-BPU",
        "JSPACA",
        "KUBE",
        "BLK",
        "PADAT-KARYA",
        "PMT-KEK",
        "PMT-AS",
        "IMUNISASI",
        "PANTI-JOMPO",
        "RTLH",
        "KPS",
        "BLT-DD",
    ] {
        assert!(codes.contains(code), "{code} missing from the catalogue");
    }
    assert!(entries.iter().all(|e| e.programme.example), "all examples");
    let by = |c: &str| {
        entries
            .iter()
            .find(|e| e.programme.code == c)
            .map(|e| &e.programme)
            .expect("programme")
    };
    assert_eq!(by("PBI-JK").need, by("JAMKESDA").need, "double targeting");
    assert_eq!(by("PKH").need, by("BLT-DD").need);
    assert_eq!(by("PKH").implies, ["PBI-JK"]);
    assert_eq!(by("PADAT-KARYA").implies, ["BPJS-TK-BPU"]);
    assert!(by("PKH").requires.contains(&"PIP".to_string()));
    assert_eq!(
        by("JAMKESDA").area.as_ref().map(|a| a.as_str()),
        Some("35.07")
    );
    assert!(entries.iter().all(|e| !e.programme.documents.is_empty()
        && e.programme.procedure_id.is_some()
        && e.programme.procedure_en.is_some()));
}

#[tokio::test]
async fn the_catalogue_is_loaded_once_into_an_empty_database() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let loaded = programme_count(&app).await;
        assert!(loaded >= 17, "{backend:?}: {loaded} programmes");
        assert_eq!(
            load_catalogue(&app.pintu.store, None).await.expect("again"),
            0,
            "a second start loads nothing"
        );
        assert_eq!(programme_count(&app).await, loaded);
        let o = app.officer("kab", "district_officer", Some("35.07")).await;
        let list = json_of(app.get(&o.token, "/api/v1/programmes").await).await;
        assert_eq!(
            list["items"].as_array().map(Vec::len),
            Some(loaded as usize)
        );
        let pkh = json_of(app.get(&o.token, "/api/v1/programmes/pkh").await).await;
        assert_eq!(pkh["programme"]["code"], "PKH");
        assert_eq!(pkh["programme"]["example"], true);
        assert_eq!(pkh["rule_in_force"], 1);
        assert_eq!(pkh["active"], true);
        assert_eq!(pkh["programme"]["implies"], json!(["PBI-JK"]));
    }
}

#[tokio::test]
async fn the_catalogue_list_filters_by_guarantee_kind_words_and_date() {
    let app = spawn_app(Backend::Sqlite).await;
    let o = app.officer("kab", "district_officer", Some("35.07")).await;
    let codes = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["code"].as_str().expect("code").to_string())
            .collect()
    };
    let health = codes(
        json_of(
            app.get(
                &o.token,
                "/api/v1/programmes?guarantee=health&kind=insurance",
            )
            .await,
        )
        .await,
    );
    assert_eq!(health, ["JAMKESDA", "PBI-JK"]);
    let words = codes(
        json_of(
            app.get(&o.token, "/api/v1/programmes?q=lanjut%20usia")
                .await,
        )
        .await,
    );
    assert!(words.contains(&"JSLU".to_string()) && words.contains(&"PANTI-JOMPO".to_string()));
    let in_2010 = codes(
        json_of(
            app.get(&o.token, "/api/v1/programmes?active_on=2010-06-01")
                .await,
        )
        .await,
    );
    assert!(in_2010.contains(&"PKH".to_string()) && !in_2010.contains(&"BLT-DD".to_string()));
    let bad = app
        .get(&o.token, "/api/v1/programmes?guarantee=wealth")
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(json_of(bad).await["error"]["code"], "filter_unknown");
}

#[tokio::test]
async fn a_programme_is_created_read_updated_and_deleted_on_every_backend() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let created = app
            .post(
                &kab.token,
                "/api/v1/programmes",
                &regional("bpd", "household.welfare_decile <= 2"),
            )
            .await;
        assert_eq!(created.status(), 201, "{backend:?}");
        let d = json_of(created).await;
        assert_eq!(d["programme"]["code"], "BPD");
        assert_eq!(d["programme"]["updated_by"], "user:kab");
        assert_eq!(
            d["rules"][0]["effective_from"], "2020-01-01",
            "in force from the start"
        );
        assert_eq!(d["rule_in_force"], 1);
        assert_eq!(d["programme"]["documents"][0]["en"], "Family card");

        let again = app
            .post(
                &kab.token,
                "/api/v1/programmes",
                &regional("BPD", "age < 5"),
            )
            .await;
        assert_eq!(again.status(), 409);
        assert_eq!(
            json_of(again).await["error"]["code"],
            "programme_code_taken"
        );

        // An update sends back the version it read; a stale one is refused.
        let mut form = form_of(&app, &kab.token, "BPD").await;
        let seen = form["updated_at"].clone();
        form["name_en"] = json!("District food parcels");
        form["benefit_amount"] = json!(250000);
        let updated = put(&app, &kab.token, "/api/v1/programmes/BPD", &form).await;
        assert_eq!(updated.status(), 200, "{backend:?}");
        let u = json_of(updated).await;
        assert_eq!(u["programme"]["name_en"], "District food parcels");
        assert_eq!(u["programme"]["benefit_amount"], 250000);
        assert_eq!(
            u["rules"].as_array().map(Vec::len),
            Some(1),
            "the rule stays"
        );
        form["updated_at"] = seen;
        form["name_en"] = json!("Someone else's change");
        let stale = put(&app, &kab.token, "/api/v1/programmes/BPD", &form).await;
        assert_eq!(stale.status(), 409);
        assert_eq!(json_of(stale).await["error"]["code"], "programme_changed");
        let mut renamed = form_of(&app, &kab.token, "BPD").await;
        renamed["code"] = json!("BPD-2");
        let refused = put(&app, &kab.token, "/api/v1/programmes/BPD", &renamed).await;
        assert_eq!(
            json_of(refused).await["error"]["code"],
            "code_cannot_change"
        );

        // Never used: deleted with its rules.
        let ended = json_of(delete(&app, &kab.token, "/api/v1/programmes/BPD").await).await;
        assert_eq!(ended["deleted"], true);
        assert_eq!(
            app.get(&kab.token, "/api/v1/programmes/BPD").await.status(),
            404
        );
    }
}

#[tokio::test]
async fn a_programme_someone_is_enrolled_in_is_ended_not_deleted() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let h = json_of(
            app.post(
                &desa.token,
                "/api/v1/households",
                &household(VILLAGE, &nik(VILLAGE, 1), "Sutrisno"),
            )
            .await,
        )
        .await;
        let person = h["person_ids"][0].as_str().expect("person").to_string();
        facts::upsert_enrolments(
            app.pintu.store.conn(),
            &[NewEnrolment {
                person_id: person,
                village_code: VILLAGE.into(),
                programme_code: "JAMKESDA".into(),
                active: true,
                since: Some(today()),
                source: "officer",
                reference: None,
            }],
        )
        .await
        .expect("enrol");
        let ended = json_of(delete(&app, &kab.token, "/api/v1/programmes/JAMKESDA").await).await;
        assert_eq!(ended["deleted"], false, "{backend:?}");
        assert_eq!(ended["active_until"], today().to_string());
        let d = json_of(app.get(&kab.token, "/api/v1/programmes/JAMKESDA").await).await;
        assert_eq!(d["programme"]["active_until"], today().to_string());
        let tomorrow = (today() + Duration::days(1)).to_string();
        let later = json_of(
            app.get(
                &kab.token,
                &format!("/api/v1/programmes?active_on={tomorrow}"),
            )
            .await,
        )
        .await;
        assert!(
            !later.to_string().contains("\"JAMKESDA\""),
            "not running after today"
        );
    }
}

#[tokio::test]
async fn a_rule_that_does_not_check_is_refused_with_its_positions_and_nothing_is_written() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let before = programme_count(&app).await;
        let bad = app
            .post(
                &kab.token,
                "/api/v1/programmes",
                &regional("BPD", "household.welfare_decile <= 2 &&\n  salary > 5"),
            )
            .await;
        assert_eq!(bad.status(), 422, "{backend:?}");
        let e = json_of(bad).await;
        assert_eq!(e["error"]["code"], "rule_invalid");
        assert_eq!(e["error"]["field"], "rule");
        let first = &e["error"]["rule_errors"][0];
        assert_eq!(first["code"], "unknown_field");
        assert_eq!(
            (first["line"].as_u64(), first["column"].as_u64()),
            (Some(2), Some(3))
        );
        assert_eq!(first["start"], 35);
        assert_eq!(programme_count(&app).await, before, "nothing written");
        assert_eq!(
            app.get(&kab.token, "/api/v1/programmes/BPD").await.status(),
            404
        );

        let mut ranked = regional("BPD", "age < 5");
        ranked["rank_by"] = json!("household.pmt_score, sex");
        let refused = json_of(app.post(&kab.token, "/api/v1/programmes", &ranked).await).await;
        assert_eq!(refused["error"]["field"], "rank_by");
        assert_eq!(programme_count(&app).await, before);

        // A new version that does not check leaves the versions as they were.
        let v = app
            .post(
                &kab.token,
                "/api/v1/programmes/JAMKESDA/rules",
                &json!({"rule": "age >= \"enam puluh\""}),
            )
            .await;
        assert_eq!(v.status(), 422);
        assert_eq!(
            json_of(v).await["error"]["rule_errors"][0]["code"],
            "type_mismatch"
        );
        let versions = json_of(
            app.get(&kab.token, "/api/v1/programmes/JAMKESDA/rules")
                .await,
        )
        .await;
        assert_eq!(versions["versions"].as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn the_rule_in_force_is_the_newest_version_that_took_effect() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let path = "/api/v1/programmes/JAMKESDA/rules";
        let next_month = (today() + Duration::days(30)).to_string();
        let v2 = app
            .post(&kab.token, path, &json!({"rule": "household.welfare_decile <= 4", "effective_from": next_month, "note": "APBD 2027"}))
            .await;
        assert_eq!(v2.status(), 201, "{backend:?}");
        assert_eq!(json_of(v2).await["version"], 2);
        let now = json_of(app.get(&kab.token, path).await).await;
        assert_eq!(now["in_force"], 1, "not yet in force");

        let past = (today() - Duration::days(1)).to_string();
        let late = app
            .post(
                &kab.token,
                path,
                &json!({"rule": "age >= 0", "effective_from": past}),
            )
            .await;
        assert_eq!(late.status(), 422);
        assert_eq!(json_of(late).await["error"]["code"], "effective_date_past");

        let v3 = json_of(
            app.post(
                &kab.token,
                path,
                &json!({"rule": "household.welfare_decile <= 3"}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (v3["version"].as_i64(), v3["effective_from"].as_str()),
            (Some(3), Some(today().to_string().as_str()))
        );
        assert_eq!(
            json_of(app.get(&kab.token, path).await).await["in_force"],
            3
        );

        // By date, in the store: before the programme, while v1 held, and later.
        let store = app.pintu.store.conn();
        let id = q::by_code(store, "JAMKESDA")
            .await
            .expect("read")
            .expect("programme")
            .id;
        let on = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
        let version = |r: Option<q::RuleVersionRow>| r.map(|r| r.version);
        assert_eq!(
            version(
                q::rule_in_force(store, &id, on("2013-12-31"))
                    .await
                    .expect("r")
            ),
            None
        );
        assert_eq!(
            version(
                q::rule_in_force(store, &id, on("2014-01-01"))
                    .await
                    .expect("r")
            ),
            Some(1)
        );
        assert_eq!(
            version(
                q::rule_in_force(store, &id, today() - Duration::days(1))
                    .await
                    .expect("r")
            ),
            Some(1)
        );
        assert_eq!(
            version(
                q::rule_in_force(store, &id, today() + Duration::days(60))
                    .await
                    .expect("r")
            ),
            Some(3)
        );
        let d = json_of(app.get(&kab.token, "/api/v1/programmes/JAMKESDA").await).await;
        assert_eq!(d["rules"][1]["created_by"], "user:kab");
        assert_eq!(d["rules"][1]["note"], "APBD 2027");
    }
}

#[tokio::test]
async fn who_keeps_which_programme_and_quota() {
    let app = spawn_app(Backend::Sqlite).await;
    let officers = [
        ("desa", "village_officer", Some(VILLAGE)),
        ("kec", "subdistrict_officer", Some("35.07.01")),
        ("kab", "district_officer", Some("35.07")),
        ("kab_batu", "district_officer", Some("35.79")),
        ("prov", "province_officer", Some("35")),
        ("prov_jabar", "province_officer", Some("32")),
        ("pusat", "national_officer", None),
        ("admin", "admin", None),
        ("ombudsman", "ombudsman", Some("35")),
    ];
    let mut tokens = std::collections::HashMap::new();
    for (name, role, area) in officers {
        tokens.insert(name, app.officer(name, role, area).await.token);
    }
    // Everyone logged in reads the catalogue; nobody else does.
    for token in tokens.values() {
        assert_eq!(app.get(token, "/api/v1/programmes").await.status(), 200);
        assert_eq!(app.get(token, "/api/v1/programmes/PKH").await.status(), 200);
    }
    assert_eq!(
        app.client
            .get(app.url("/api/v1/programmes"))
            .send()
            .await
            .expect("r")
            .status(),
        401
    );

    // Changing the form of JAMKESDA (Kabupaten Malang) and of PKH (national).
    let update = |who: &'static str, code: &'static str| {
        let app = &app;
        let token = tokens[who].clone();
        async move {
            let mut form = form_of(app, &token, code).await;
            form["focal_point"] = json!(format!("{who} desk"));
            put(app, &token, &format!("/api/v1/programmes/{code}"), &form)
                .await
                .status()
                .as_u16()
        }
    };
    let expected = [
        ("desa", 403, 403),
        ("kec", 403, 403),
        ("kab", 200, 403),
        ("kab_batu", 403, 403),
        ("prov", 200, 403),
        ("prov_jabar", 403, 403),
        ("pusat", 200, 200),
        ("admin", 200, 200),
        ("ombudsman", 403, 403),
    ];
    for (who, jamkesda, pkh) in expected {
        assert_eq!(update(who, "JAMKESDA").await, jamkesda, "{who} on JAMKESDA");
        assert_eq!(update(who, "PKH").await, pkh, "{who} on PKH");
    }

    // Creating: inside one's own area only; national programmes by national officers.
    let create = |who: &'static str, code: &'static str, area: Option<&'static str>| {
        let app = &app;
        let token = tokens[who].clone();
        async move {
            let mut body = regional(code, "age < 5");
            body["area_code"] = json!(area);
            body["requires"] = json!([]);
            app.post(&token, "/api/v1/programmes", &body)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(create("desa", "V-1", Some("35.07")).await, 403);
    assert_eq!(create("kab", "K-1", Some("35.07")).await, 201);
    assert_eq!(create("kab", "K-2", Some("35.79")).await, 403);
    assert_eq!(create("kab", "K-3", None).await, 403);
    assert_eq!(create("prov", "P-1", Some("35.79")).await, 201);
    assert_eq!(create("pusat", "N-1", None).await, 201);

    // Quotas: inside the setter's area, inside the programme's.
    let quota = |who: &'static str, code: &'static str, area: &'static str| {
        let app = &app;
        let token = tokens[who].clone();
        async move {
            put(
                app,
                &token,
                &format!("/api/v1/programmes/{code}/quotas/{area}"),
                &json!({"quota": 120}),
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(
        quota("kab", "PKH", "35.07.01").await,
        200,
        "a national programme in its district"
    );
    assert_eq!(quota("kab", "PKH", VILLAGE).await, 200);
    assert_eq!(quota("kab", "PKH", "35.79.01").await, 403);
    assert_eq!(quota("kec", "PKH", "35.07.01").await, 403);
    assert_eq!(quota("desa", "PKH", VILLAGE).await, 403);
    assert_eq!(
        quota("kab_batu", "JAMKESDA", "35.79.01").await,
        422,
        "outside the programme"
    );
    assert_eq!(quota("kab", "PKH", "35.07.99").await, 422, "no such area");
    let d = json_of(app.get(&tokens["desa"], "/api/v1/programmes/PKH").await).await;
    assert_eq!(
        d["quotas"],
        json!([{"area_code": "35.07.01", "quota": 120}, {"area_code": VILLAGE, "quota": 120}])
    );
    let removed = delete(
        &app,
        &tokens["kab"],
        &format!("/api/v1/programmes/PKH/quotas/{VILLAGE}"),
    )
    .await;
    assert_eq!(removed.status(), 204);
    let gone = delete(
        &app,
        &tokens["kab"],
        &format!("/api/v1/programmes/PKH/quotas/{VILLAGE}"),
    )
    .await;
    assert_eq!(gone.status(), 404);
    assert_eq!(
        delete(
            &app,
            &tokens["kab_batu"],
            "/api/v1/programmes/PKH/quotas/35.07.01"
        )
        .await
        .status(),
        403
    );

    // Ending follows the same rule as changing.
    assert_eq!(
        delete(&app, &tokens["kab"], "/api/v1/programmes/PKH")
            .await
            .status(),
        403
    );
    assert_eq!(
        delete(&app, &tokens["desa"], "/api/v1/programmes/K-1")
            .await
            .status(),
        403
    );
    assert_eq!(
        delete(&app, &tokens["kab"], "/api/v1/programmes/K-1")
            .await
            .status(),
        200
    );

    // Every change is in the audit log.
    let audit = pintu_store::query_all(
        app.pintu.store.conn(),
        "SELECT action, actor FROM audit_log WHERE record_type = 'programme' ORDER BY id",
        vec![],
    )
    .await
    .expect("audit");
    let actions: Vec<String> = audit
        .iter()
        .map(|r| pintu_store::col::<String>(r, "action").expect("action"))
        .collect();
    for action in [
        "programme.catalogue_load",
        "programme.update",
        "programme.create",
        "programme.quota_set",
        "programme.quota_remove",
        "programme.delete",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} not audited: {actions:?}"
        );
    }
}

#[tokio::test]
async fn rules_are_checked_as_typed_with_positions_in_the_callers_language() {
    let app = spawn_app(Backend::Sqlite).await;
    let o = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let check = |body: Value, lang: &'static str| {
        let app = &app;
        let token = o.token.clone();
        async move {
            app.client
                .post(app.url("/api/v1/rules/check"))
                .bearer_auth(token)
                .header("accept-language", lang)
                .json(&body)
                .send()
                .await
                .expect("request")
        }
    };
    let ok = json_of(
        check(
            json!({"rule": "age >= 60 && household.welfare_decile <= 4"}),
            "en",
        )
        .await,
    )
    .await;
    assert_eq!(ok, json!({"ok": true, "errors": []}));
    let en = json_of(check(json!({"rule": "age >= 60 &&\n  disabled"}), "en").await).await;
    assert_eq!(en["ok"], false);
    assert_eq!(en["errors"][0]["code"], "unknown_field");
    assert_eq!(
        (
            en["errors"][0]["line"].as_u64(),
            en["errors"][0]["column"].as_u64()
        ),
        (Some(2), Some(3))
    );
    let id = json_of(check(json!({"rule": "age >= 60 &&\n  disabled"}), "id").await).await;
    assert_ne!(
        id["errors"][0]["message"], en["errors"][0]["message"],
        "in Indonesian"
    );
    let ranking = json_of(
        check(
            json!({"rule": "household.pmt_score, sex", "kind": "ranking"}),
            "en",
        )
        .await,
    )
    .await;
    assert_eq!(ranking["ok"], false);
    let fine = json_of(
        check(
            json!({"rule": "household.pmt_score, household.welfare_decile", "kind": "ranking"}),
            "en",
        )
        .await,
    )
    .await;
    assert_eq!(fine["ok"], true);
    let unknown = check(json!({"rule": "age", "kind": "poem"}), "en").await;
    assert_eq!(unknown.status(), 422);
    assert_eq!(json_of(unknown).await["error"]["code"], "rule_kind_unknown");

    let fields = json_of(app.get(&o.token, "/api/v1/rules/fields").await).await;
    let age = fields["person"]
        .as_array()
        .expect("person")
        .iter()
        .find(|f| f["name"] == "age")
        .expect("age")
        .clone();
    assert_eq!(age["type"], "int");
    assert_eq!(age["label"], "age (years)");
    assert!(
        fields["household"]
            .as_array()
            .expect("household")
            .iter()
            .any(|f| f["name"] == "household.size")
    );
    assert!(fields["functions"].as_array().expect("functions").len() >= 5);
}

#[tokio::test]
async fn the_catalogue_programme_page_and_leaflet_are_public_without_the_officers_menu() {
    let app = spawn_app(Backend::Sqlite).await;
    let c = app.browser_client();
    let list = c.get(app.url("/programmes")).send().await.expect("list");
    assert_eq!(list.status(), 200);
    let html = list.text().await.expect("html");
    assert!(html.contains("Program Keluarga Harapan") && html.contains("lang=\"id\""));
    assert!(
        !html.contains("href=\"/persons\"") && !html.contains("/logout"),
        "no officers' menu"
    );
    assert!(html.contains("contoh"), "examples are marked");

    let filtered = c
        .get(app.url("/programmes?guarantee=older_persons"))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("html");
    assert!(filtered.contains("JSLU") && !filtered.contains("PBI-JK"));

    let page = c
        .get(app.url("/programmes/PKH"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    for part in [
        "Kartu Keluarga (KK)",
        "Pendamping PKH",
        "id=\"rule-reading\"",
        "desil kesejahteraan rumah tangga paling banyak 3",
        "Rp 750.000 per triwulan",
        "PBI-JK",
    ] {
        assert!(html.contains(part), "{part} missing");
    }
    assert!(!html.contains("href=\"/persons\"") && !html.contains("id=\"edit-link\""));
    assert!(
        !html.contains("user:") && !html.contains("system:catalogue"),
        "who changed it is for officers"
    );

    let leaflet = c
        .get(app.url("/programmes/JSLU/leaflet"))
        .send()
        .await
        .expect("leaflet");
    assert_eq!(leaflet.status(), 200);
    let html = leaflet.text().await.expect("html");
    assert!(
        html.contains("id=\"leaflet\"")
            && html.contains("Yang perlu dibawa")
            && html.contains("Rp 200.000 per bulan")
    );

    // The language switch prints the leaflet in English.
    let switched = c
        .get(app.url("/lang/en?next=/programmes/JSLU/leaflet"))
        .send()
        .await
        .expect("switch");
    assert_eq!(switched.status(), 303);
    let html = c
        .get(app.url("/programmes/JSLU/leaflet"))
        .send()
        .await
        .expect("leaflet")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("lang=\"en\"")
            && html.contains("What to bring")
            && html.contains("Rp 200,000 a month")
    );
    assert!(
        html.contains("age (years) is at least 60"),
        "the rule in plain words"
    );

    assert_eq!(
        c.get(app.url("/programmes/NOPE"))
            .send()
            .await
            .expect("404")
            .status(),
        404
    );
    // Managing needs a session.
    let new = c.get(app.url("/programmes/new")).send().await.expect("new");
    assert_eq!(new.status(), 303);
}

#[tokio::test]
async fn officers_find_programmes_in_their_menu_and_only_keepers_see_the_forms() {
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let (c, _) = logged_in(&app, "desa").await;
    let html = c
        .get(app.url("/programmes/JAMKESDA"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("href=\"/programmes\"") && html.contains("/logout"),
        "the officers' frame"
    );
    assert!(!html.contains("id=\"edit-link\"") && !html.contains("id=\"quota-form\""));
    assert_eq!(
        c.get(app.url("/programmes/new"))
            .send()
            .await
            .expect("new")
            .status(),
        403
    );
    assert_eq!(
        c.get(app.url("/programmes/JAMKESDA/edit"))
            .send()
            .await
            .expect("edit")
            .status(),
        403
    );
}

#[tokio::test]
async fn the_programme_form_explains_errors_in_indonesian_and_english_and_writes_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("kab", "district_officer", Some("35.07")).await;
    let (c, csrf) = logged_in(&app, "kab").await;
    let before = programme_count(&app).await;
    let form = |csrf: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("code", "BPD".into()),
            ("name_id", String::new()),
            ("name_en", "District food".into()),
            ("owner_agency", "Pemkab Malang".into()),
            ("guarantee", "children".into()),
            ("kind", "in_kind".into()),
            ("target", "household".into()),
            ("benefit_amount", "dua ratus".into()),
            ("benefit_period", "month".into()),
            ("area_code", "35.07".into()),
            ("active_from", "2026-01-01".into()),
            ("rule", "umur >= 60".into()),
            ("rank_by", "household.pmt_score".into()),
            ("documents", "Kartu Keluarga | Family card".into()),
        ]
    };
    let new = c
        .get(app.url("/programmes/new"))
        .send()
        .await
        .expect("form");
    assert_eq!(new.status(), 200);
    let html = new.text().await.expect("html");
    assert!(
        html.contains("hx-trigger=\"keyup changed delay:400ms\"")
            && html.contains("household.welfare_decile")
    );

    let resp = c
        .post(app.url("/programmes/new"))
        .form(&form(&csrf))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.expect("html");
    assert!(
        html.contains("Kolom ini wajib diisi."),
        "required, in Indonesian"
    );
    assert!(
        html.contains("Bukan angka."),
        "an amount that is not a number"
    );
    assert!(
        html.contains("value=\"District food\""),
        "what was typed stays"
    );
    assert!(html.contains("Baris 1"), "the rule's error with its line");
    assert_eq!(programme_count(&app).await, before, "nothing written");

    c.get(app.url("/lang/en?next=/programmes/new"))
        .send()
        .await
        .expect("switch");
    let resp = c
        .post(app.url("/programmes/new"))
        .form(&form(&csrf))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.expect("html");
    assert!(html.contains("This field is required.") && html.contains("Line 1"));
    assert_eq!(programme_count(&app).await, before);

    // Corrected, it is added and shown.
    let mut good = form(&csrf);
    for (k, v) in good.iter_mut() {
        match *k {
            "name_id" => *v = "Bantuan Pangan Daerah".into(),
            "benefit_amount" => *v = "200.000".into(),
            "rule" => *v = "age >= 60".into(),
            _ => {}
        }
    }
    let resp = c
        .post(app.url("/programmes/new"))
        .form(&good)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "/programmes/BPD?notice=programme-created"
    );
    let html = c
        .get(app.url("/programmes/BPD"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Rp 200,000 a month") && html.contains("id=\"edit-link\""));
    assert_eq!(programme_count(&app).await, before + 1);
}

#[tokio::test]
async fn the_rule_editor_checks_as_you_type_and_saves_a_new_version() {
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("kab", "district_officer", Some("35.07")).await;
    let (c, csrf) = logged_in(&app, "kab").await;
    let page = c
        .get(app.url("/programmes/JAMKESDA/rules"))
        .send()
        .await
        .expect("editor");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");

    assert!(
        html.contains("hx-post=\"/programmes/rule-check\"")
            && html.contains("hx-trigger=\"keyup changed delay:400ms\"")
    );
    assert!(
        html.contains("household.income_per_capita"),
        "the fields to help writing"
    );

    let partial = c
        .post(app.url("/programmes/rule-check"))
        .header("hx-request", "true")
        .form(&[("csrf", csrf.as_str()), ("rule", "age >=\n  \"tua\"")])
        .send()
        .await
        .expect("check");
    assert_eq!(partial.status(), 200);
    let html = partial.text().await.expect("html");
    assert!(
        html.contains("Baris") && !html.contains("<html"),
        "a partial: {html}"
    );
    let ok = c
        .post(app.url("/programmes/rule-check"))
        .form(&[("csrf", csrf.as_str()), ("rule", "age >= 60")])
        .send()
        .await
        .expect("check")
        .text()
        .await
        .expect("html");
    assert!(ok.contains("Aturan sudah benar."));
    // With people in the area, a rule that checks also says how many it makes eligible.
    let kab = app.officer("kab2", "district_officer", Some("35.07")).await;
    let resp = app
        .post(
            &kab.token,
            "/api/v1/households",
            &crate::household(crate::VILLAGE, &crate::nik(crate::VILLAGE, 1), "Sutrisno"),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let counted = c
        .post(app.url("/programmes/rule-check"))
        .form(&[("csrf", csrf.as_str()), ("rule", "age >= 40")])
        .send()
        .await
        .expect("check")
        .text()
        .await
        .expect("html");
    assert!(
        counted.contains(
            "— 2 dari 3 orang yang tinggal di wilayah Anda memenuhi aturan ini hari ini."
        ),
        "{counted}"
    );

    let bad = c
        .post(app.url("/programmes/JAMKESDA/rules"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("rule", "age >="),
            ("effective_from", &today().to_string()),
        ])
        .send()
        .await
        .expect("save");
    assert_eq!(bad.status(), 422);
    let saved = c
        .post(app.url("/programmes/JAMKESDA/rules"))
        .form(&[
            ("csrf", csrf.as_str()),
            (
                "rule",
                "household.welfare_decile <= 4 && !enrolled(\"PBI-JK\")",
            ),
            ("effective_from", &today().to_string()),
            ("note", "kuota APBD"),
        ])
        .send()
        .await
        .expect("save");
    assert_eq!(saved.status(), 303);
    let d = app.pintu.programme("JAMKESDA").await.expect("programme");
    assert_eq!(d.rules.len(), 2);
    assert_eq!(d.rule_in_force.map(|r| r.version), Some(2));

    let forged = c
        .post(app.url("/programmes/JAMKESDA/rules"))
        .form(&[("csrf", "forged"), ("rule", "age >= 1")])
        .send()
        .await
        .expect("save");
    assert_eq!(forged.status(), 403);
    assert_eq!(
        app.pintu
            .programme("JAMKESDA")
            .await
            .expect("p")
            .rules
            .len(),
        2
    );
}

fn pintu_cli(db: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pintu"))
        .arg("--database-url")
        .arg(db)
        .args(args)
        .env_remove("PINTU_DATABASE_URL")
        .env("PINTU_LOG", "warn")
        .output()
        .expect("run pintu")
}

#[test]
fn programmes_load_adds_and_updates_by_code_and_a_file_with_errors_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}/pintu.db?mode=rwc", dir.path().display());
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let migrate = pintu_cli(&db, &["migrate"]);
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
    assert!(
        text(&migrate.stdout).contains("programmes loaded: 17"),
        "{}",
        text(&migrate.stdout)
    );

    // JAMKESDA with a new rule, and a new programme of the district.
    let jamkesda = SHIPPED_CATALOGUE
        .split("[[programme]]")
        .find(|p| p.contains("code = \"JAMKESDA\""))
        .expect("JAMKESDA")
        .replace(
            "rule = 'household.welfare_decile <= 5 && !enrolled(\"PBI-JK\")'",
            "rule = 'household.welfare_decile <= 4 && !enrolled(\"PBI-JK\")'",
        );
    let file = dir.path().join("malang.toml");
    let new = r#"
code = "BPD"
name_id = "Bantuan Pangan Daerah"
name_en = "District food assistance"
owner_agency = "Pemerintah Kabupaten Malang"
guarantee = "children"
kind = "in_kind"
target = "household"
area_code = "35.07"
active_from = "2026-01-01"
requires = ["PKH"]
rule = "household.welfare_decile <= 2"
"#;
    std::fs::write(&file, format!("[[programme]]{jamkesda}[[programme]]{new}")).expect("write");
    let path = file.to_string_lossy().into_owned();
    let load = pintu_cli(&db, &["programmes", "load", &path]);
    assert!(load.status.success(), "{}", text(&load.stderr));
    let out = text(&load.stdout);
    assert!(out.contains("added: BPD"), "{out}");
    assert!(
        out.contains("new rule versions (in force from today): JAMKESDA"),
        "{out}"
    );
    let again = text(&pintu_cli(&db, &["programmes", "load", &path]).stdout);
    assert!(
        again.contains("added: none") && again.contains("unchanged: 2"),
        "{again}"
    );

    // One bad rule: the whole file is refused with where the error is.
    std::fs::write(
        &file,
        format!(
            "[[programme]]{}",
            new.replace("BPD", "BPD-2").replace("<= 2", "<= true")
        ),
    )
    .expect("write");
    let bad = pintu_cli(&db, &["programmes", "load", &path]);
    assert!(!bad.status.success());
    let message = text(&bad.stderr);
    assert!(
        message.contains("BPD-2") && message.contains("line 1, column"),
        "{message}"
    );
    let after = text(&pintu_cli(&db, &["migrate"]).stdout);
    assert!(after.contains("programmes loaded: 0"), "{after}");
}
