//! Conflicts between sources and likely duplicates: found by synchronisation, worked through
//! the API and the service, on every backend; and the person page's provenance.

use pintu_domain::sources::Source;
use pintu_service::review::Resolution;
use pintu_service::{Ctx, Error};
use pintu_testkit::{TestApp, backends, spawn_app};
use serde_json::{Value, json};

/// A family card of three in Tulungrejo (35.07.01.2001).
pub const KK: &str = "kk_number,nik,full_name,relationship,birth_date,sex,village_code
3507011203150001,3507011005800001,BUDI SANTOSO,KEPALA KELUARGA,1980-05-10,L,35.07.01.2001
3507011203150001,3507014508850002,SITI AMINAH,ISTRI,1985-08-05,P,35.07.01.2001
3507011203150001,,DEWI LESTARI,ANAK,2015-03-04,P,35.07.01.2001
";

/// The e-KTP gives the wife's full name.
pub const EKTP: &str = "nik,full_name,birth_date,sex,village_code
3507011005800001,BUDI SANTOSO,1980-05-10,L,35.07.01.2001
3507014508850002,SITI AMINAH RAHAYU,1985-08-05,P,35.07.01.2001
";

/// The survey spells the husband the old way and has another birth year for the child.
pub const DTKS: &str = "household_id,kk_number,nik,full_name,birth_date,sex,relationship,welfare_decile,village_code
DTKS-3507-000001,3507011203150001,3507011005800001,BOEDI SANTOSO,1980-05-10,L,KEPALA KELUARGA,2,35.07.01.2001
DTKS-3507-000001,3507011203150001,,DEWI LESTARI,2014-11-20,P,ANAK,2,35.07.01.2001
";

/// BPJS has the wife in the next village.
pub const JKN: &str = "card_number,nik,full_name,birth_date,sex,segment,status,village_code
0001234567890,3507014508850002,SITI AMINAH RAHAYU,1985-08-05,P,PBI-APBN,AKTIF,35.07.01.2002
";

/// A survey that lists the wife in two households: one row links, the other makes a new
/// person, and the two are listed as a likely duplicate.
pub const WIFE_TWICE: &str =
    "household_id,full_name,birth_date,sex,relationship,welfare_decile,village_code
DTKS-3507-000002,SITI AMINAH RAHAYU,1985-08-05,P,KEPALA KELUARGA,3,35.07.01.2001
DTKS-3507-000003,SITI AMINAH RAHAYU,1985-08-05,P,KEPALA KELUARGA,3,35.07.01.2001
";

async fn import_wife_twice(app: &TestApp, ctx: &Ctx) {
    app.pintu
        .import_file(
            ctx,
            Source::Dtks,
            "twice.csv",
            WIFE_TWICE.as_bytes().to_vec(),
            |_, _, _| {},
        )
        .await
        .expect("import");
}

/// Imports the four extracts above in order, as the system.
pub async fn seed_conflicts(app: &TestApp) {
    let ctx = Ctx::system("test");
    for (source, data) in [
        (Source::Kk, KK),
        (Source::Ektp, EKTP),
        (Source::Dtks, DTKS),
        (Source::Jkn, JKN),
    ] {
        let done = app
            .pintu
            .import_file(
                &ctx,
                source,
                "x.csv",
                data.as_bytes().to_vec(),
                |_, _, _| {},
            )
            .await
            .expect("import");
        assert_eq!(
            (done.status.as_str(), done.rows_rejected),
            ("done", 0),
            "{}",
            source.code()
        );
    }
}

fn by_field<'a>(list: &'a Value, field: &str) -> &'a Value {
    list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|c| c["field"] == field))
        .unwrap_or_else(|| panic!("no {field} conflict in {list}"))
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn disagreements_are_settled_by_authority_or_queued_and_resolved() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        seed_conflicts(&app).await;
        let kec = app
            .officer("kec", "subdistrict_officer", Some("35.07.01"))
            .await;
        let desa = app
            .officer("desa", "village_officer", Some("35.07.01.2001"))
            .await;
        let other = app
            .officer("kec2", "subdistrict_officer", Some("35.07.02"))
            .await;

        // The e-KTP settled the wife's name (taken) and the husband's (kept); both recorded.
        let auto: Value = app
            .get(&kec.token, "/api/v1/conflicts?status=auto")
            .await
            .json()
            .await
            .expect("json");
        let names: Vec<(&str, &str, &str)> = auto["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|c| c["field"] == "full_name")
            .map(|c| {
                (
                    c["proposed_value"].as_str().unwrap_or(""),
                    c["rule"].as_str().unwrap_or(""),
                    c["decision"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert!(
            names.contains(&("SITI AMINAH RAHAYU", "ektp_adult_identity", "take")),
            "{backend:?}: {auto}"
        );
        assert!(
            names.contains(&("BOEDI SANTOSO", "ektp_adult_identity", "keep")),
            "{auto}"
        );

        // The queue: the child's birth date (no authority between a card and a survey for a
        // child) and the wife's village.
        let queue: Value = app
            .get(&kec.token, "/api/v1/conflicts?area=35.07.01")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(queue["items"].as_array().map(Vec::len), Some(2), "{queue}");
        let birth = by_field(&queue, "birth_date");
        assert_eq!(
            (
                birth["current_value"].as_str(),
                birth["current_source"].as_str(),
                birth["proposed_value"].as_str(),
                birth["proposed_source"].as_str(),
            ),
            (
                Some("2015-03-04"),
                Some("kk"),
                Some("2014-11-20"),
                Some("dtks")
            )
        );
        let village = by_field(&queue, "village_code");
        assert_eq!(village["proposed_value"], "35.07.01.2002");
        let birth_id = birth["id"].as_str().expect("id").to_string();
        let village_id = village["id"].as_str().expect("id").to_string();

        // The summary of the survey's synchronisation counts them, by village.
        let national = app.officer("pusat", "national_officer", None).await;
        let imports: Value = app
            .get(&national.token, "/api/v1/imports")
            .await
            .json()
            .await
            .expect("json");
        let dtks = imports
            .as_array()
            .and_then(|l| l.iter().find(|i| i["source"] == "dtks"))
            .expect("the survey import");
        let summary: Value = app
            .get(
                &national.token,
                &format!("/api/v1/imports/{}/sync", dtks["id"].as_str().unwrap_or("")),
            )
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(
            (
                &summary["conflicts"],
                &summary["conflicts_settled"],
                &summary["rejected"]
            ),
            (&json!(1), &json!(1), &json!(0)),
            "{summary}"
        );
        assert_eq!(
            summary["conflicts_by_village"][0]["village_code"],
            "35.07.01.2001"
        );

        // Outside the area the queue is empty and its conflicts do not exist.
        let elsewhere: Value = app
            .get(&other.token, "/api/v1/conflicts")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(elsewhere["items"], json!([]));
        let hidden = app
            .get(&other.token, &format!("/api/v1/conflicts/{birth_id}"))
            .await;
        assert_eq!(hidden.status(), 404);

        // A village office does not work the sub-district's queue.
        let r = post(
            &app,
            &desa.token,
            &format!("/api/v1/conflicts/{birth_id}/resolve"),
            json!({"decision": "keep"}),
        )
        .await;
        assert_eq!(r.status(), 403);

        // Bad decisions change nothing.
        for (body, code) in [
            (json!({"decision": "maybe"}), "decision_unknown"),
            (
                json!({"decision": "verified", "value": "2015-02-30"}),
                "date_invalid",
            ),
        ] {
            let r = post(
                &app,
                &kec.token,
                &format!("/api/v1/conflicts/{birth_id}/resolve"),
                body,
            )
            .await;
            assert_eq!(r.status(), 422);
            let e: Value = r.json().await.expect("json");
            assert_eq!(e["error"]["fields"][0]["code"], code, "{e}");
        }
        let r = post(
            &app,
            &kec.token,
            &format!("/api/v1/conflicts/{village_id}/resolve"),
            json!({"decision": "take"}),
        )
        .await;
        assert_eq!(r.status(), 422, "a move is not taken from a list");

        // A verified value: the person changes, with the reason in the history.
        let r = post(
            &app,
            &kec.token,
            &format!("/api/v1/conflicts/{birth_id}/resolve"),
            json!({"decision": "verified", "value": "2015-03-14", "note": "akta kelahiran"}),
        )
        .await;
        assert_eq!(r.status(), 200);
        let decided: Value = r.json().await.expect("json");
        assert_eq!(
            (
                &decided["status"],
                &decided["decision"],
                &decided["resolved_value"]
            ),
            (&json!("resolved"), &json!("verified"), &json!("2015-03-14"))
        );
        let person_id = decided["person_id"].as_str().expect("person").to_string();
        let person: Value = app
            .get(&kec.token, &format!("/api/v1/persons/{person_id}"))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(person["person"]["birth_date"], "2015-03-14", "{person}");
        let changed = person["history"]
            .as_array()
            .and_then(|h| h.iter().find(|e| e["field"] == "birth_date"))
            .expect("the change is in the history");
        assert_eq!(changed["old_value"], "2015-03-04");
        assert!(
            changed["reason"]
                .as_str()
                .is_some_and(|r| r.contains("akta kelahiran") && r.contains(&birth_id)),
            "{changed}"
        );
        let again = post(
            &app,
            &kec.token,
            &format!("/api/v1/conflicts/{birth_id}/resolve"),
            json!({"decision": "keep"}),
        )
        .await;
        assert_eq!(again.status(), 409);

        // The village is sent to the field; the village office sees it and decides.
        let r = post(
            &app,
            &kec.token,
            &format!("/api/v1/conflicts/{village_id}/resolve"),
            json!({"decision": "send_to_village"}),
        )
        .await;
        assert_eq!(r.status(), 200);
        let field: Value = app
            .get(&desa.token, "/api/v1/conflicts")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(field["items"][0]["id"], village_id.as_str(), "{field}");
        assert_eq!(field["items"][0]["status"], "field_check");
        let r = post(
            &app,
            &desa.token,
            &format!("/api/v1/conflicts/{village_id}/resolve"),
            json!({"decision": "keep", "note": "masih tinggal di Tulungrejo"}),
        )
        .await;
        assert_eq!(r.status(), 200);
        let queue: Value = app
            .get(&kec.token, "/api/v1/conflicts")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(queue["items"], json!([]), "the queue is empty");

        // A later extract bringing the same disagreement does not queue it again.
        let ctx = Ctx::system("test");
        let jkn2 = format!(
            "{JKN}0001234567891,3507011005800001,BUDI SANTOSO,1980-05-10,L,PBI-APBN,AKTIF,35.07.01.2001\n"
        );
        app.pintu
            .import_file(
                &ctx,
                Source::Jkn,
                "jkn2.csv",
                jkn2.into_bytes(),
                |_, _, _| {},
            )
            .await
            .expect("import");
        let queue: Value = app
            .get(&kec.token, "/api/v1/conflicts")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(queue["items"], json!([]), "{backend:?}: {queue}");

        // Where each value came from, and what each source says.
        let wife = app
            .pintu
            .search_by_nik(&ctx, "3507014508850002")
            .await
            .expect("search")
            .remove(0);
        let sources: Value = app
            .get(&kec.token, &format!("/api/v1/persons/{}/sources", wife.id))
            .await
            .json()
            .await
            .expect("json");
        let origin = |field: &str| {
            sources["provenance"]
                .as_array()
                .and_then(|p| p.iter().find(|x| x["field"] == field))
                .map(|x| x["source"].as_str().unwrap_or("").to_string())
        };
        assert_eq!(origin("full_name").as_deref(), Some("ektp"), "{sources}");
        assert_eq!(origin("birth_date").as_deref(), Some("kk"));
        let mut linked: Vec<&str> = sources["records"]
            .as_array()
            .expect("records")
            .iter()
            .filter_map(|r| r["source"].as_str())
            .collect();
        linked.sort();
        assert_eq!(linked, ["ektp", "jkn", "jkn", "kk"]);
    }
}

#[tokio::test]
async fn a_person_listed_twice_is_a_likely_duplicate_and_merging_keeps_the_history() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        seed_conflicts(&app).await;
        let ctx = Ctx::system("test");
        // A survey lists the wife in two households: one row links, the other makes a new
        // person, and the two are listed for review.
        let twice = "household_id,full_name,birth_date,sex,relationship,welfare_decile,village_code
DTKS-3507-000002,SITI AMINAH RAHAYU,1985-08-05,P,KEPALA KELUARGA,3,35.07.01.2001
DTKS-3507-000003,SITI AMINAH RAHAYU,1985-08-05,P,KEPALA KELUARGA,3,35.07.01.2001
DTKS-3507-000004,BUDI SANTOSO,1980-05-10,L,KEPALA KELUARGA,3,35.07.01.2001
DTKS-3507-000005,BUDI SANTOSO,1980-05-10,L,KEPALA KELUARGA,3,35.07.01.2001
";
        app.pintu
            .import_file(
                &ctx,
                Source::Dtks,
                "twice.csv",
                twice.as_bytes().to_vec(),
                |_, _, _| {},
            )
            .await
            .expect("import");
        let kec = app
            .officer("kec", "subdistrict_officer", Some("35.07.01"))
            .await;
        let desa = app
            .officer("desa", "village_officer", Some("35.07.01.2001"))
            .await;
        let list: Value = app
            .get(&kec.token, "/api/v1/duplicates")
            .await
            .json()
            .await
            .expect("json");
        let pairs = list["items"].as_array().expect("items");
        assert_eq!(pairs.len(), 2, "{backend:?}: {list}");
        let pair_of = |nik: &str| {
            pairs
                .iter()
                .find(|p| p["a"]["nik"] == nik || p["b"]["nik"] == nik)
                .unwrap_or_else(|| panic!("no pair with {nik}: {list}"))
        };
        let wife_pair = pair_of("3507014508850002");
        let husband_pair = pair_of("3507011005800001");
        let (kept, gone) = match wife_pair["a"]["nik"].is_string() {
            true => (&wife_pair["a"], &wife_pair["b"]),
            false => (&wife_pair["b"], &wife_pair["a"]),
        };
        let kept_id = kept["id"].as_str().expect("id").to_string();
        let gone_id = gone["id"].as_str().expect("id").to_string();
        let pair_id = wife_pair["id"].as_str().expect("id").to_string();

        // Only the sub-district reviews; the record kept must be one of the pair.
        let r = post(
            &app,
            &desa.token,
            &format!("/api/v1/duplicates/{pair_id}/merge"),
            json!({}),
        )
        .await;
        assert_eq!(r.status(), 403);
        let r = post(
            &app,
            &kec.token,
            &format!("/api/v1/duplicates/{pair_id}/merge"),
            json!({"keep": "0197a2a4-0000-7000-8000-000000000000"}),
        )
        .await;
        assert_eq!(r.status(), 422);

        let r = post(
            &app,
            &kec.token,
            &format!("/api/v1/duplicates/{pair_id}/merge"),
            json!({"note": "satu orang"}),
        )
        .await;
        assert_eq!(r.status(), 200, "{backend:?}");
        let merged: Value = r.json().await.expect("json");
        assert_eq!(merged["status"], "merged");
        let gone_now = app
            .get(&kec.token, &format!("/api/v1/persons/{gone_id}"))
            .await;
        assert_eq!(gone_now.status(), 404, "the other record is gone");
        let person: Value = app
            .get(&kec.token, &format!("/api/v1/persons/{kept_id}"))
            .await
            .json()
            .await
            .expect("json");
        let history = person["history"].as_array().expect("history");
        let merge = history
            .iter()
            .find(|h| h["action"] == "merged")
            .expect("the merge is in the history");
        assert!(
            merge["old_value"]
                .as_str()
                .is_some_and(|v| v.contains(&gone_id)),
            "{merge}"
        );
        assert!(
            history
                .iter()
                .any(|h| h["action"] == "registered" && h["source"] == "dtks"),
            "the other record's history moved over: {history:?}"
        );
        let sources: Value = app
            .get(&kec.token, &format!("/api/v1/persons/{kept_id}/sources"))
            .await
            .json()
            .await
            .expect("json");
        let dtks_rows = sources["records"]
            .as_array()
            .expect("records")
            .iter()
            .filter(|r| r["source"] == "dtks")
            .count();
        assert_eq!(dtks_rows, 2, "both survey rows now point at the one person");

        // The husband's pair is two people after all (say, father and son of one name).
        let husband_id = husband_pair["id"].as_str().expect("id");
        let r = post(
            &app,
            &kec.token,
            &format!("/api/v1/duplicates/{husband_id}/dismiss"),
            json!({"note": "ayah dan anak"}),
        )
        .await;
        assert_eq!(r.status(), 200);
        let r = post(
            &app,
            &kec.token,
            &format!("/api/v1/duplicates/{husband_id}/merge"),
            json!({}),
        )
        .await;
        assert_eq!(r.status(), 409, "a decided pair stays decided");
        let open: Value = app
            .get(&kec.token, "/api/v1/duplicates")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(open["items"], json!([]));
        let dismissed: Value = app
            .get(&kec.token, "/api/v1/duplicates?status=dismissed")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(dismissed["items"][0]["note"], "ayah dan anak");
    }
}

#[tokio::test]
async fn a_village_officer_decides_only_what_was_sent_to_the_village() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    seed_conflicts(&app).await;
    let kec =
        crate::registry::officer_ctx(&app, "kec", "subdistrict_officer", Some("35.07.01")).await;
    let desa =
        crate::registry::officer_ctx(&app, "desa", "village_officer", Some("35.07.01.2001")).await;
    let queue = app
        .pintu
        .conflicts(&kec, None, None, None, None)
        .await
        .expect("queue");
    assert_eq!(queue.items.len(), 2);
    let village_view = app
        .pintu
        .conflicts(&desa, None, None, None, None)
        .await
        .expect("list");
    assert!(village_view.items.is_empty(), "nothing sent yet");
    let id = &queue.items[0].id;
    let send = Resolution {
        decision: "send_to_village".into(),
        ..Default::default()
    };
    assert!(matches!(
        app.pintu.resolve_conflict(&desa, id, &send).await,
        Err(Error::Forbidden)
    ));
    app.pintu
        .resolve_conflict(&kec, id, &send)
        .await
        .expect("sent");
    // A village office cannot send it on again, but can decide it.
    assert!(matches!(
        app.pintu.resolve_conflict(&desa, id, &send).await,
        Err(Error::Forbidden)
    ));
    let keep = Resolution {
        decision: "keep".into(),
        ..Default::default()
    };
    let done = app
        .pintu
        .resolve_conflict(&desa, id, &keep)
        .await
        .expect("decided");
    assert_eq!(done.decided_by.as_deref(), Some("user:desa"));
}

#[tokio::test]
async fn the_review_pages_explain_errors_and_merge_from_a_form() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    seed_conflicts(&app).await;
    let ctx = Ctx::system("test");
    import_wife_twice(&app, &ctx).await;
    app.officer("kec", "subdistrict_officer", Some("35.07.01"))
        .await;
    let (c, csrf) = crate::pages::logged_in(&app, "kec").await;

    // A verified date that is no date: the queue again, with the reason, and nothing changed.
    let kec =
        crate::registry::officer_ctx(&app, "kec2", "subdistrict_officer", Some("35.07.01")).await;
    let queue = app
        .pintu
        .conflicts(&kec, None, None, None, None)
        .await
        .expect("queue");
    let birth = queue
        .items
        .iter()
        .find(|x| x.field == "birth_date")
        .expect("birth date conflict");
    let r = c
        .post(app.url(&format!("/review/conflicts/{}", birth.id)))
        .form(&[
            ("csrf", csrf.as_str()),
            ("decision", "verified"),
            ("value", "2015-02-30"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(html.contains("Nilai terverifikasi:"), "the field is named");
    assert!(
        html.contains(&format!("conflict-{}", birth.id)),
        "still in the queue"
    );
    let r = c
        .post(app.url(&format!("/review/conflicts/{}", birth.id)))
        .form(&[("csrf", "wrong"), ("decision", "keep")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403, "a form without its token is refused");

    // The duplicates page, in English too, and a merge from its form.
    let page = c
        .get(app.url("/review/duplicates"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Kemungkinan data ganda") && page.contains("SITI AMINAH RAHAYU"));
    let pairs = app
        .pintu
        .duplicates(&kec, None, None, None, None)
        .await
        .expect("pairs");
    assert_eq!(pairs.items.len(), 1);
    let pair = &pairs.items[0];
    let r = c
        .post(app.url(&format!("/review/duplicates/{}/merge", pair.id)))
        .form(&[("csrf", csrf.as_str()), ("keep", pair.a.id.as_str())])
        .send()
        .await
        .expect("merge");
    assert_eq!(r.status(), 303);
    let page = c
        .get(app.url("/review/duplicates?notice=review-merged"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Kedua data digabung"), "the notice");
    assert!(
        page.contains("Tidak ada kemungkinan data ganda"),
        "the empty state"
    );
    c.get(app.url("/lang/en?next=/review/duplicates"))
        .send()
        .await
        .expect("switch");
    let page = c
        .get(app.url("/review/duplicates"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Likely duplicates") && page.contains("No likely duplicates here."));
}

/// Every role, at its own area, a sibling, the parent and another province, against every
/// review endpoint: nothing outside an officer's area is listed, read or decided.
#[tokio::test]
async fn the_review_queues_are_area_scoped_for_every_role() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    seed_conflicts(&app).await;
    let ctx = Ctx::system("test");
    import_wife_twice(&app, &ctx).await;
    let national = app.officer("pusat", "national_officer", None).await;
    let queue: Value = app
        .get(&national.token, "/api/v1/conflicts")
        .await
        .json()
        .await
        .expect("json");
    let conflict = queue["items"][0]["id"]
        .as_str()
        .expect("conflict")
        .to_string();
    let person = queue["items"][0]["person_id"]
        .as_str()
        .expect("person")
        .to_string();
    let pairs: Value = app
        .get(&national.token, "/api/v1/duplicates")
        .await
        .json()
        .await
        .expect("json");
    let pair = pairs["items"][0]["id"].as_str().expect("pair").to_string();

    // (role, area, sees the records of 35.07.01.2001, works the queue)
    let officers: [(&str, Option<&str>, bool, bool); 8] = [
        ("village_officer", Some("35.07.01.2001"), true, false),
        ("village_officer", Some("35.07.01.2002"), false, false),
        ("subdistrict_officer", Some("35.07.01"), true, true),
        ("subdistrict_officer", Some("35.07.02"), false, true),
        ("district_officer", Some("35.07"), true, true),
        ("district_officer", Some("32.01"), false, true),
        ("province_officer", Some("32"), false, true),
        ("admin", None, true, true),
    ];
    for (i, (role, area, inside, reviews)) in officers.into_iter().enumerate() {
        let o = app.officer(&format!("officer{i}"), role, area).await;
        let who = format!("{role} at {area:?}");
        let listed: Value = app
            .get(&o.token, "/api/v1/conflicts?status=all")
            .await
            .json()
            .await
            .expect("json");
        let count = listed["items"].as_array().map_or(0, Vec::len);
        assert_eq!(count > 0, inside, "{who} lists conflicts: {listed}");
        let read = app
            .get(&o.token, &format!("/api/v1/conflicts/{conflict}"))
            .await;
        assert_eq!(read.status() == 200, inside, "{who} reads a conflict");
        let sources = app
            .get(&o.token, &format!("/api/v1/persons/{person}/sources"))
            .await;
        assert_eq!(sources.status() == 200, inside, "{who} reads the sources");
        let dups: Value = app
            .get(&o.token, "/api/v1/duplicates")
            .await
            .json()
            .await
            .expect("json");
        let count = dups["items"].as_array().map_or(0, Vec::len);
        assert_eq!(count > 0, inside, "{who} lists duplicates");
        // Deciding: outside the area the record does not exist; inside, only reviewers may
        // (a decision that is not one is refused after the permission, changing nothing).
        let expected = match (inside, reviews) {
            (false, _) => 404,
            (true, false) => 403,
            (true, true) => 422,
        };
        let r = post(
            &app,
            &o.token,
            &format!("/api/v1/conflicts/{conflict}/resolve"),
            json!({"decision": "maybe"}),
        )
        .await;
        assert_eq!(r.status(), expected, "{who} decides a conflict");
        let r = post(
            &app,
            &o.token,
            &format!("/api/v1/duplicates/{pair}/dismiss"),
            json!({"note": "x".repeat(501)}),
        )
        .await;
        let expected = match (inside, reviews) {
            (false, true) => 404,
            (_, false) => 403,
            (true, true) => 422,
        };
        assert_eq!(r.status(), expected, "{who} dismisses a pair");
    }
}

#[tokio::test]
async fn a_pair_across_two_villages_is_seen_only_by_those_who_see_both() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    seed_conflicts(&app).await;
    let ctx = Ctx::system("test");
    // The survey lists the wife at home and again in the next village.
    let twice = "household_id,full_name,birth_date,sex,relationship,welfare_decile,village_code
DTKS-3507-000002,SITI AMINAH RAHAYU,1985-08-05,P,KEPALA KELUARGA,3,35.07.01.2001
DTKS-3507-000003,SITI AMINAH RAHAYU,1985-08-05,P,KEPALA KELUARGA,3,35.07.01.2002
";
    app.pintu
        .import_file(
            &ctx,
            Source::Dtks,
            "moved.csv",
            twice.as_bytes().to_vec(),
            |_, _, _| {},
        )
        .await
        .expect("import");
    let kec = app
        .officer("kec", "subdistrict_officer", Some("35.07.01"))
        .await;
    let listed: Value = app
        .get(&kec.token, "/api/v1/duplicates")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    let pair = listed["items"][0]["id"].as_str().expect("id").to_string();
    for village in ["35.07.01.2001", "35.07.01.2002"] {
        let desa = app
            .officer(
                &format!("desa{}", &village[9..]),
                "village_officer",
                Some(village),
            )
            .await;
        let seen: Value = app
            .get(&desa.token, "/api/v1/duplicates")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(seen["items"], json!([]), "{village}: {seen}");
        let r = post(
            &app,
            &desa.token,
            &format!("/api/v1/duplicates/{pair}/dismiss"),
            json!({}),
        )
        .await;
        assert_eq!(r.status(), 403, "{village}");
    }
}
