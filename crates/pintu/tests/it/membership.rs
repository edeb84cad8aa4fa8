//! JKN membership through the API on every backend and in the pages: registering (a PBPU
//! family joins together), the FKTP rule (three months, exceptions, the first of the next
//! month) enforced for officers and residents alike, the coverage check that tells a
//! facility only what it needs, the digital card with its QR code, and the area scope.

use pintu_testkit::{backends, spawn_app};
use serde_json::json;

use crate::{OTHER_DISTRICT_VILLAGE, VILLAGE, household, json_of, nik};

#[tokio::test]
async fn a_family_joins_jkn_changes_fktp_by_the_rule_and_a_facility_checks_the_card() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let far = app
            .officer(
                "jauh",
                "subdistrict_officer",
                Some(&OTHER_DISTRICT_VILLAGE[..8]),
            )
            .await;
        let resp = app
            .post(
                &desa.token,
                "/api/v1/households",
                &household(VILLAGE, &nik(VILLAGE, 1), "Budi Santoso"),
            )
            .await;
        let people: Vec<String> = json_of(resp).await["person_ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_str().expect("id").to_string())
            .collect();
        let facilities = json_of(
            app.get(&desa.token, "/api/v1/facilities?regency=35.07")
                .await,
        )
        .await;
        let codes: Vec<&str> = facilities
            .as_array()
            .expect("facilities")
            .iter()
            .filter_map(|f| f["code"].as_str())
            .collect();
        assert!(codes.len() >= 2, "{facilities}");
        let (first, second) = (codes[0].to_string(), codes[1].to_string());
        let jkn = |id: &str| format!("/api/v1/persons/{id}/jkn");

        // Bad input, each field named.
        for (body, field) in [
            (
                json!({"segment": "GOLD", "class": 1, "fktp": first}),
                "segment",
            ),
            (
                json!({"segment": "PBPU", "class": 4, "fktp": first}),
                "class",
            ),
            (
                json!({"segment": "PBPU", "class": 1, "fktp": "NOPE"}),
                "fktp",
            ),
        ] {
            let resp = app.post(&desa.token, &jkn(&people[0]), &body).await;
            assert_eq!(resp.status(), 422);
            assert_eq!(json_of(resp).await["error"]["field"], field);
        }
        // Outside the officer's area the person does not exist.
        let resp = app
            .post(
                &far.token,
                &jkn(&people[0]),
                &json!({"segment": "PBPU", "class": 2, "fktp": first}),
            )
            .await;
        assert_eq!(resp.status(), 404);

        // PBPU: the whole family joins, in one class.
        let resp = app
            .post(
                &desa.token,
                &jkn(&people[0]),
                &json!({"segment": "PBPU", "class": 2, "fktp": first, "start_date": "2026-01-05"}),
            )
            .await;
        let m = json_of(resp).await;
        assert!(m["card_number"].is_string(), "{m}");
        assert_eq!(m["family"].as_array().map(Vec::len), Some(3));
        assert!(
            m["family"]
                .as_array()
                .expect("family")
                .iter()
                .all(|f| f["class"] == 2)
        );
        let card = m["card_number"].as_str().expect("card").to_string();
        assert_eq!(card.len(), 13);
        let again = app
            .post(
                &desa.token,
                &jkn(&people[1]),
                &json!({"segment": "PBI-APBN", "fktp": first}),
            )
            .await;
        assert_eq!(again.status(), 409, "the wife joined with the family");

        // The FKTP: three months with it, then from the first of the next month.
        let fktp = |body: serde_json::Value| {
            let app = &app;
            let token = desa.token.clone();
            let path = format!("{}/fktp", jkn(&people[0]));
            async move { app.post(&token, &path, &body).await }
        };
        let resp = fktp(json!({"fktp": first})).await;
        assert_eq!(json_of(resp).await["error"]["code"], "fktp_same");
        let resp = fktp(json!({"fktp": second})).await;
        assert_eq!(resp.status(), 200, "since January: more than three months");
        let m = json_of(resp).await;
        assert_eq!(m["next_fktp"]["code"], second.as_str());
        let next_on = m["next_fktp_on"].as_str().expect("date");
        assert!(next_on.ends_with("-01"), "{next_on}");

        // A child registered today (PBI) may not change before three months without a reason.
        let resp = app
            .post(
                &desa.token,
                &jkn(&people[2]),
                &json!({"segment": "PBI-APBN", "fktp": first}),
            )
            .await;
        assert_eq!(resp.status(), 409, "the child joined with the family too");

        // The coverage check tells a facility only the cover, the class and the FKTP.
        let check = json_of(
            app.get(&far.token, &format!("/api/v1/coverage/check?card={card}"))
                .await,
        )
        .await;
        let keys: Vec<&str> = check
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["active", "class", "fktp_code", "fktp_name"]);
        assert_eq!(check["active"], true);
        assert_eq!(check["class"], 2);
        assert_eq!(
            app.get(&far.token, "/api/v1/coverage/check?card=123")
                .await
                .status(),
            422
        );
        assert_eq!(
            app.get(&far.token, "/api/v1/coverage/check?card=0009999999999")
                .await
                .status(),
            404
        );
        assert_eq!(
            app.client
                .get(app.url(&format!("/api/v1/coverage/check?card={card}")))
                .send()
                .await
                .expect("anon")
                .status(),
            401
        );

        // The resident: their own household's cards, and the same FKTP rule.
        let token = crate::residents::log_in(&app, &nik(VILLAGE, 1)).await;
        let mine = app
            .get(&token, &format!("/api/v1/me/persons/{}/jkn", people[1]))
            .await;
        assert_eq!(mine.status(), 200);
        let resp = app
            .post(
                &token,
                &format!("/api/v1/me/persons/{}/jkn/fktp", people[1]),
                &json!({"fktp": second, "exception": "moved_house"}),
            )
            .await;
        assert_eq!(json_of(resp).await["error"]["field"], "reason");
        let resp = app
            .post(
                &token,
                &format!("/api/v1/me/persons/{}/jkn/fktp", people[1]),
                &json!({"fktp": second, "exception": "moved_house", "reason": "Pindah ke dusun sebelah"}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            app.get(&token, "/api/v1/coverage/check?card=0009999999999")
                .await
                .status(),
            401
        );

        // The pages: the membership, the card with its QR code, for the officer and the resident.
        let (c, _) = crate::pages::logged_in(&app, "desa").await;
        let page = c
            .get(app.url(&format!("/persons/{}/jkn", people[0])))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(page.contains(&card) && page.contains("id=\"fktp-form\""));
        let card_page = c
            .get(app.url(&format!("/persons/{}/jkn/card", people[0])))
            .send()
            .await
            .expect("card")
            .text()
            .await
            .expect("html");
        assert!(card_page.contains("<svg") && card_page.contains(&card));
        // And the resident's own.
        let (rc, _) = crate::residents::portal(&app, &nik(VILLAGE, 1)).await;
        let mine = rc
            .get(app.url(&format!("/me/persons/{}/jkn/card", people[1])))
            .send()
            .await
            .expect("card");
        assert_eq!(mine.status(), 200);
        assert!(mine.text().await.expect("html").contains("<svg"));
        let other = rc
            .get(app.url(&format!(
                "/me/persons/{}/jkn",
                crate::residents::uuid_like()
            )))
            .send()
            .await
            .expect("other");
        assert_eq!(other.status(), 404);
    }
}

#[tokio::test]
async fn an_officer_registers_a_membership_in_the_browser_pages() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let resp = app
        .post(
            &desa.token,
            "/api/v1/households",
            &household(VILLAGE, &nik(VILLAGE, 1), "Budi Santoso"),
        )
        .await;
    let head = json_of(resp).await["person_ids"][0]
        .as_str()
        .expect("id")
        .to_string();
    let (c, csrf) = crate::pages::logged_in(&app, "desa").await;
    let page = c
        .get(app.url(&format!("/persons/{head}/jkn")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("id=\"register-form\""));
    let resp = c
        .post(app.url(&format!("/persons/{head}/jkn")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("segment", "PBPU"),
            ("class", "3"),
            ("fktp", ""),
        ])
        .send()
        .await
        .expect("register");
    assert_eq!(resp.status(), 422);
    let resp = c
        .post(app.url(&format!("/persons/{head}/jkn")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("segment", "PBI-APBN"),
            ("class", "3"),
            ("fktp", "0507P001"),
        ])
        .send()
        .await
        .expect("register");
    assert_eq!(resp.status(), 303);
    let page = c
        .get(app.url(&format!("/persons/{head}/jkn")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("id=\"card-number\""));
    // Changing the FKTP of a member of a few days needs an exception.
    let resp = c
        .post(app.url(&format!("/persons/{head}/jkn/fktp")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("fktp", "0507P002"),
            ("exception", ""),
            ("reason", ""),
        ])
        .send()
        .await
        .expect("fktp");
    assert_eq!(resp.status(), 409);
}

#[tokio::test]
async fn the_denda_calculator_follows_the_rule_kept_as_data() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let ask = |q: &str| {
        let app = &app;
        let token = desa.token.clone();
        let path = format!("/api/v1/jkn/denda?{q}");
        async move { app.get(&token, &path).await }
    };
    let d = json_of(
        ask("case_tariff=80.000.000&months_in_arrears=14&reactivated_on=2026-03-01&admitted_on=2026-04-15").await,
    )
    .await;
    assert_eq!(
        (
            d["applies"].clone(),
            d["months_counted"].clone(),
            d["amount"].clone(),
            d["capped"].clone()
        ),
        (json!(true), json!(12), json!(30_000_000), json!(true))
    );
    let d = json_of(ask("case_tariff=10000000&months_in_arrears=3&reactivated_on=2026-03-01&admitted_on=2026-04-16").await).await;
    assert_eq!(d["applies"], false);
    let resp =
        ask("case_tariff=abc&months_in_arrears=3&reactivated_on=2026-03-01&admitted_on=x").await;
    assert_eq!(resp.status(), 422);
    assert_eq!(json_of(resp).await["error"]["field"], "case_tariff");
    assert_eq!(
        app.client
            .get(app.url("/api/v1/jkn/denda"))
            .send()
            .await
            .expect("anon")
            .status(),
        401
    );

    let (c, _) = crate::pages::logged_in(&app, "desa").await;
    let page = c
        .get(app.url("/jkn/denda?case_tariff=10000000&months_in_arrears=3&reactivated_on=2026-03-01&admitted_on=2026-03-10"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Rp 1.500.000"), "{page}");
}

#[tokio::test]
async fn a_billing_run_bills_each_family_once_and_unpaid_families_are_suspended() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let mut heads = Vec::new();
        for (serial, segment, class) in [(1, "PBPU", 3), (2, "PBPU", 1), (3, "PBI-APBN", 3)] {
            let resp = app
                .post(
                    &desa.token,
                    "/api/v1/households",
                    &household(VILLAGE, &nik(VILLAGE, serial), "Kepala"),
                )
                .await;
            let head = json_of(resp).await["person_ids"][0]
                .as_str()
                .expect("id")
                .to_string();
            let resp = app
                .post(
                    &desa.token,
                    &format!("/api/v1/persons/{head}/jkn"),
                    &json!({"segment": segment, "class": class, "fktp": "0507P001"}),
                )
                .await;
            assert_eq!(resp.status(), 201);
            heads.push(head);
        }
        // A village office does not run the billing.
        let resp = app
            .post(
                &desa.token,
                "/api/v1/jkn/billing",
                &json!({"period": "2026-11"}),
            )
            .await;
        assert_eq!(resp.status(), 403);
        let resp = app
            .post(
                &kab.token,
                "/api/v1/jkn/billing",
                &json!({"period": "2026-13"}),
            )
            .await;
        assert_eq!(resp.status(), 422);

        let ctx = pintu_service::Ctx::system("test");
        let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let run = app
            .pintu
            .run_billing(&ctx, "2026-11", on, chrono::Utc::now())
            .await
            .expect("billing");
        // Two PBPU families of three: 3 × (42,000 − 7,000) and 3 × 150,000; PBI is the state's.
        assert_eq!(
            (run.families, run.billed, run.amount),
            (2, 2, 105_000 + 450_000)
        );
        // PostgreSQL's planner learns of the new bills at once, not when autovacuum comes by.
        let store = &app.pintu.store;
        if store.backend() == pintu_store::sea_orm::DbBackend::Postgres {
            let row = pintu_store::query_one(
                store.conn(),
                "SELECT CAST(reltuples AS BIGINT) AS n FROM pg_class WHERE relname = 'jkn_bills'",
                vec![],
            )
            .await
            .expect("statistics")
            .expect("jkn_bills");
            assert_eq!(pintu_store::col::<i64>(&row, "n").expect("n"), 2);
        }
        let again = app
            .pintu
            .run_billing(&ctx, "2026-11", on, chrono::Utc::now())
            .await
            .expect("again");
        assert_eq!(
            (again.billed, again.already_billed, again.suspended),
            (0, 2, 0)
        );
        let m = json_of(
            app.get(&desa.token, &format!("/api/v1/persons/{}/jkn", heads[0]))
                .await,
        )
        .await;
        assert_eq!(m["bills"][0]["amount"], 105_000);
        assert_eq!(m["bills"][0]["due_on"], "2026-11-10");
        assert!(
            m["bills"][0]["va_number"]
                .as_str()
                .is_some_and(|v| v.starts_with("88888"))
        );
        let pbi = json_of(
            app.get(&desa.token, &format!("/api/v1/persons/{}/jkn", heads[2]))
                .await,
        )
        .await;
        assert_eq!(pbi["bills"], json!([]));

        // December: November's bill is still open, so the two families are suspended.
        let dec = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let run = app
            .pintu
            .run_billing(&ctx, "2026-12", dec, chrono::Utc::now())
            .await
            .expect("december");
        assert_eq!((run.billed, run.suspended), (2, 6));
        let check = json_of(
            app.get(
                &kab.token,
                &format!(
                    "/api/v1/coverage/check?card={}",
                    m["card_number"].as_str().expect("card")
                ),
            )
            .await,
        )
        .await;
        assert_eq!(
            check["active"], false,
            "a suspended card does not cover care"
        );
        let pbi_check = json_of(
            app.get(
                &kab.token,
                &format!(
                    "/api/v1/coverage/check?card={}",
                    pbi["card_number"].as_str().expect("card")
                ),
            )
            .await,
        )
        .await;
        assert_eq!(pbi_check["active"], true);
        // Each bill and each suspension was told to the family by SMS.
        for (template, expected) in [("bill_issued", 4), ("membership_suspended", 2)] {
            let row = pintu_store::query_one(
                app.pintu.store.conn(),
                "SELECT COUNT(*) AS n FROM outbox_messages WHERE template = ?",
                vec![template.into()],
            )
            .await
            .expect("query")
            .expect("row");
            assert_eq!(
                pintu_store::col::<i64>(&row, "n").expect("n"),
                expected,
                "{template}"
            );
        }
    }
}
