//! BPJS Ketenagakerjaan on every backend: employers registered by the district office, their
//! own accounts registering workers and reporting wages (JSON and CSV, all rows or none),
//! bills against hand-computed contributions with the JP cap, the JKN (PPU) bill of the same
//! report with the minimum wage and the wage cap, settling either bill by its virtual
//! account, the JHT balance, non-wage workers through agents, the inspectors' compliance
//! flags, and the area and employer scoping of every endpoint.

use chrono::{Datelike, Months};
use pintu_testkit::{TEST_PASSWORD, TestApp, backends, spawn_app};
use serde_json::{Value, json};

use crate::{VILLAGE, household, json_of, nik};

const NPP_A: &str = "35070001";
const NPP_B: &str = "35070002";

/// `YYYY-MM` of `n` months before this one.
fn months_ago(n: u32) -> String {
    let today = pintu_service::today();
    let first = today.with_day(1).expect("first");
    first
        .checked_sub_months(Months::new(n))
        .expect("month")
        .format("%Y-%m")
        .to_string()
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

async fn upload(app: &TestApp, token: &str, path: &str, csv: &str) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
        .file_name("upah.csv")
        .mime_str("text/csv")
        .expect("mime");
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("request")
}

async fn token_of(app: &TestApp, username: &str) -> String {
    app.pintu
        .issue_api_token(&pintu_service::Ctx::system("test"), username, "test")
        .await
        .expect("token")
}

/// Five households in VILLAGE whose heads have NIKs `nik(VILLAGE, 1..=5)`; their ids.
async fn heads(app: &TestApp, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for serial in 1..=5 {
        let resp = app
            .post(
                token,
                "/api/v1/households",
                &household(VILLAGE, &nik(VILLAGE, serial), &format!("Pekerja {serial}")),
            )
            .await;
        assert_eq!(resp.status(), 201);
        ids.push(
            json_of(resp).await["person_ids"][0]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    ids
}

fn employer_body(npp: &str, risk: i64) -> Value {
    json!({"npp": npp, "name": format!("PT Contoh {npp}"), "sector": "Manufaktur",
        "risk_class": risk, "village_code": VILLAGE, "registered_on": "2025-01-01"})
}

#[tokio::test]
async fn employers_report_wages_bills_follow_the_rates_and_inspectors_see_the_flags() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let people = heads(&app, &desa.token).await;

        // Registering employers: the district office; bad input named; the NPP unique.
        assert_eq!(
            app.post(&desa.token, "/api/v1/employers", &employer_body(NPP_A, 2))
                .await
                .status(),
            403
        );
        let bad = app
            .post(&kab.token, "/api/v1/employers", &employer_body("123", 9))
            .await;
        assert_eq!(bad.status(), 422);
        let fields: Vec<String> = json_of(bad).await["error"]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["field"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(fields, ["npp", "risk_class"]);
        for (npp, risk) in [(NPP_A, 2), (NPP_B, 1)] {
            let resp = app
                .post(&kab.token, "/api/v1/employers", &employer_body(npp, risk))
                .await;
            assert_eq!(resp.status(), 201);
        }
        let again = app
            .post(&kab.token, "/api/v1/employers", &employer_body(NPP_A, 2))
            .await;
        assert_eq!(json_of(again).await["error"]["code"], "npp_taken");

        // The employers' own accounts, created by the district office.
        for (npp, user) in [(NPP_A, "pt_a"), (NPP_B, "pt_b")] {
            let resp = app
                .post(
                    &kab.token,
                    &format!("/api/v1/employers/{npp}/users"),
                    &json!({"username": user, "password": TEST_PASSWORD}),
                )
                .await;
            assert_eq!(resp.status(), 201);
        }
        let pt_a = token_of(&app, "pt_a").await;
        let pt_b = token_of(&app, "pt_b").await;

        // Workers by NIK, each with a new KPJ; not twice; the NIK must be in the registry.
        let mut kpj = Vec::new();
        for serial in 1..=4 {
            let resp = app
                .post(
                    &pt_a,
                    &format!("/api/v1/employers/{NPP_A}/workers"),
                    &json!({"nik": nik(VILLAGE, serial), "since": "2025-01-01"}),
                )
                .await;
            assert_eq!(resp.status(), 201);
            let w = json_of(resp).await;
            let k = w["kpj"].as_str().expect("kpj").to_string();
            assert_eq!(k.len(), 11);
            kpj.push(k);
        }
        let twice = app
            .post(
                &pt_a,
                &format!("/api/v1/employers/{NPP_A}/workers"),
                &json!({"nik": nik(VILLAGE, 1)}),
            )
            .await;
        assert_eq!(
            json_of(twice).await["error"]["code"],
            "worker_already_registered"
        );
        let stranger = app
            .post(
                &pt_a,
                &format!("/api/v1/employers/{NPP_A}/workers"),
                &json!({"nik": nik(VILLAGE, 99)}),
            )
            .await;
        assert_eq!(json_of(stranger).await["error"]["code"], "person_not_found");

        // Contributions, worked by hand (risk class 2, all below pension age):
        // 5,000,000: JKK 27,000 + JKM 15,000 + JHT 185,000 + 100,000 + JP 100,000 + 50,000
        //   = 477,000 (employer 327,000, worker 150,000).
        let (old, prev, last) = (months_ago(3), months_ago(2), months_ago(1));
        let wages = |p: &str| format!("/api/v1/employers/{NPP_A}/wages/{p}");
        let resp = put(
            &app,
            &pt_a,
            &wages(&old),
            &json!({"rows": [{"worker": kpj[0], "wage": 5_000_000}]}),
        )
        .await;
        assert_eq!(resp.status(), 200);
        let r = json_of(resp).await;
        assert_eq!(r["bill"]["total"], 477_000);
        assert_eq!(r["bill"]["employer_share"], 327_000);
        assert_eq!(r["bill"]["worker_share"], 150_000);
        let old_va = r["bill"]["va_number"].as_str().expect("va").to_string();
        assert!(r["bill"]["due_on"].as_str().expect("due").ends_with("-15"));

        // 15,000,000: JP on the capped wage 10,547,400 → 210,948 + 105,474; JKK 81,000,
        // JKM 45,000, JHT 555,000 + 300,000.
        let resp = put(
            &app,
            &pt_a,
            &wages(&prev),
            &json!({"rows": [
                {"worker": kpj[0], "wage": 5_000_000},
                {"worker": nik(VILLAGE, 2), "wage": 15_000_000},
                {"worker": kpj[2], "wage": 4_000_000},
                {"worker": kpj[3], "wage": 4_000_000}
            ]}),
        )
        .await;
        assert_eq!(resp.status(), 200);
        let r = json_of(resp).await;
        // JKN (PPU), 4 % + 1 %: 5,000,000 → 200,000 + 50,000; 15,000,000 counted at the cap
        // 12,000,000 → 480,000 + 120,000; 4,000,000 (above 35.07's minimum 3,553,530) twice
        // → 160,000 + 40,000 each.
        assert_eq!(
            (
                r["jkn_bill"]["wages_counted"].clone(),
                r["jkn_bill"]["employer_share"].clone(),
                r["jkn_bill"]["worker_share"].clone(),
                r["jkn_bill"]["total"].clone(),
            ),
            (
                json!(25_000_000),
                json!(1_000_000),
                json!(250_000),
                json!(1_250_000)
            )
        );
        let high = r["wages"]
            .as_array()
            .expect("wages")
            .iter()
            .find(|w| w["wage"] == 15_000_000)
            .expect("row")
            .clone();
        assert_eq!(
            (
                high["jkk"].clone(),
                high["jkm"].clone(),
                high["jp_employer"].clone(),
                high["jp_worker"].clone()
            ),
            (json!(81_000), json!(45_000), json!(210_948), json!(105_474))
        );

        // Last month: three workers (a drop of a quarter), one below the minimum wage.
        let resp = put(
            &app,
            &pt_a,
            &wages(&last),
            &json!({"rows": [
                {"worker": kpj[0], "wage": 5_000_000},
                {"worker": kpj[1], "wage": 15_000_000},
                {"worker": kpj[2], "wage": 2_000_000}
            ]}),
        )
        .await;
        let r = json_of(resp).await;
        assert_eq!(r["below_minimum"], 1, "{r}");
        assert_eq!(r["bill"]["total"], 477_000 + 1_297_422 + 190_800);
        // Its JKN bill, by hand: 5,000,000 in between → 200,000 + 50,000; 15,000,000 above
        // the cap → 12,000,000 counted, 480,000 + 120,000; 2,000,000 below the minimum wage
        // of 35.07 → 3,553,530 counted, 142,141.2 + 35,535.3 rounded down to 142,141 + 35,535.
        let jkn = &r["jkn_bill"];
        assert_eq!(
            (
                jkn["workers"].clone(),
                jkn["wages_counted"].clone(),
                jkn["employer_share"].clone(),
                jkn["worker_share"].clone(),
                jkn["total"].clone(),
                jkn["status"].clone(),
            ),
            (
                json!(3),
                json!(20_553_530),
                json!(822_141),
                json!(205_535),
                json!(1_027_676),
                json!("open")
            )
        );
        let last_start =
            chrono::NaiveDate::parse_from_str(&format!("{last}-01"), "%Y-%m-%d").expect("month");
        assert_eq!(
            jkn["va_number"],
            format!("8887{NPP_A}{}", last_start.format("%Y%m"))
        );
        assert_eq!(
            jkn["due_on"],
            pintu_domain::jkn::ppu_due_on(last_start).to_string()
        );
        assert_ne!(jkn["va_number"], r["bill"]["va_number"]);

        // A bad file changes nothing, and names every bad row by its line.
        let csv = format!(
            "nik_or_kpj,wage\n{},6000000\n99999999999,5000000\n{},abc\n",
            kpj[0], kpj[1]
        );
        let resp = upload(&app, &pt_a, &format!("{}/csv", wages(&last)), &csv).await;
        assert_eq!(resp.status(), 422);
        let e = json_of(resp).await;
        let bad: Vec<&str> = e["error"]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .filter_map(|f| f["field"].as_str())
            .collect();
        assert_eq!(bad, ["rows[3].worker", "rows[4].wage"]);
        let kept = json_of(app.get(&pt_a, &wages(&last)).await).await;
        assert_eq!(kept.as_array().map(Vec::len), Some(3));
        assert!(
            kept.as_array()
                .expect("rows")
                .iter()
                .all(|w| w["wage"] != 6_000_000)
        );
        // A good file replaces the month's report.
        let csv = format!(
            "nik_or_kpj,wage\n{},\"5.000.000\"\n{},15000000\n{},2000000\n",
            kpj[0], kpj[1], kpj[2]
        );
        let resp = upload(&app, &pt_a, &format!("{}/csv", wages(&last)), &csv).await;
        assert_eq!(resp.status(), 200);
        let r = json_of(resp).await;
        assert_eq!(r["replaced"], true);
        assert_eq!(r["jkn_bill"]["total"], 1_027_676);

        // Reporting a month again recomputes its JKN bill in place: 4,000,000 → 6,000,000
        // for the fourth worker adds 80,000 + 20,000.
        let resp = put(
            &app,
            &pt_a,
            &wages(&prev),
            &json!({"rows": [
                {"worker": kpj[0], "wage": 5_000_000},
                {"worker": kpj[1], "wage": 15_000_000},
                {"worker": kpj[2], "wage": 4_000_000},
                {"worker": kpj[3], "wage": 6_000_000}
            ]}),
        )
        .await;
        let r = json_of(resp).await;
        assert_eq!(r["replaced"], true);
        assert_eq!(
            (
                r["jkn_bill"]["wages_counted"].clone(),
                r["jkn_bill"]["employer_share"].clone(),
                r["jkn_bill"]["worker_share"].clone(),
                r["jkn_bill"]["total"].clone(),
            ),
            (
                json!(27_000_000),
                json!(1_080_000),
                json!(270_000),
                json!(1_350_000)
            )
        );
        let prev_jkn_va = r["jkn_bill"]["va_number"].as_str().expect("va").to_string();
        let jkn_bills = json_of(
            app.get(&pt_a, &format!("/api/v1/employers/{NPP_A}/jkn-bills"))
                .await,
        )
        .await;
        assert_eq!(
            jkn_bills
                .as_array()
                .map(|b| b.iter().map(|x| x["period"].clone()).collect::<Vec<_>>()),
            Some(vec![json!(last), json!(prev), json!(old)]),
            "one JKN bill a month, newest first"
        );
        assert_eq!(jkn_bills[1]["total"], 1_350_000);

        // A bank's payment of the JKN bill settles it once; the month is then not reported
        // again, and its BPJS Ketenagakerjaan bill and wages stay as they were.
        let c = app.pintu.store.conn();
        let ppu = pintu_store::bpjstk::ppu_bill_by_va(c, &prev_jkn_va)
            .await
            .expect("query")
            .expect("JKN bill");
        assert_eq!(ppu.period, prev);
        let paid_at = chrono::Utc::now();
        assert!(
            pintu_store::bpjstk::settle_ppu_bill(c, &ppu.id, paid_at)
                .await
                .expect("settle")
        );
        assert!(
            !pintu_store::bpjstk::settle_ppu_bill(c, &ppu.id, paid_at)
                .await
                .expect("settle again")
        );
        assert!(
            pintu_store::bpjstk::ppu_bill_by_va(c, "888700000000000000")
                .await
                .expect("query")
                .is_none()
        );
        let resp = put(
            &app,
            &pt_a,
            &wages(&prev),
            &json!({"rows": [{"worker": kpj[0], "wage": 9_000_000}]}),
        )
        .await;
        assert_eq!(resp.status(), 409);
        assert_eq!(json_of(resp).await["error"]["code"], "wages_period_paid");
        let kept = json_of(app.get(&pt_a, &wages(&prev)).await).await;
        assert_eq!(kept.as_array().map(Vec::len), Some(4));
        let detail = json_of(app.get(&pt_a, &format!("/api/v1/employers/{NPP_A}")).await).await;
        let period_bill = |list: &Value, p: &str| {
            list.as_array()
                .and_then(|b| b.iter().find(|x| x["period"] == p))
                .cloned()
                .unwrap_or_else(|| panic!("{list}"))
        };
        assert_eq!(period_bill(&detail["jkn_bills"], &prev)["status"], "paid");
        assert_eq!(period_bill(&detail["bills"], &prev)["status"], "open");

        // A bank's payment settles the oldest bill once; a paid month is not reported again.
        let bill = pintu_store::bpjstk::employer_bill_by_va(app.pintu.store.conn(), &old_va)
            .await
            .expect("query")
            .expect("bill");
        let now = chrono::Utc::now();
        assert!(
            pintu_store::bpjstk::settle_employer_bill(c, &bill.id, now)
                .await
                .expect("settle")
        );
        assert!(
            !pintu_store::bpjstk::settle_employer_bill(c, &bill.id, now)
                .await
                .expect("settle again")
        );
        let resp = put(
            &app,
            &pt_a,
            &wages(&old),
            &json!({"rows": [{"worker": kpj[0], "wage": 1}]}),
        )
        .await;
        assert_eq!(json_of(resp).await["error"]["code"], "wages_period_paid");
        let bills = json_of(
            app.get(&pt_a, &format!("/api/v1/employers/{NPP_A}/bills"))
                .await,
        )
        .await;
        assert_eq!(bills.as_array().map(Vec::len), Some(3));
        assert_eq!(bills[2]["status"], "paid");

        // The JHT balance: the paid month's 285,000; two more months reported, not paid.
        let j = json_of(
            app.get(&pt_a, &format!("/api/v1/tk/workers/{}/jht?years=1", kpj[0]))
                .await,
        )
        .await;
        assert_eq!(
            (j["balance"].clone(), j["unpaid"].clone()),
            (json!(285_000), json!(570_000))
        );
        assert_eq!(j["monthly"], 285_000);
        assert_eq!(j["months"], 12);
        assert!(j["projected"].as_i64().expect("projected") > 285_000 * 13);

        // Non-wage workers through an agent of the village.
        let resp = app
            .post(
                &desa.token,
                "/api/v1/tk/bpu",
                &json!({"nik": nik(VILLAGE, 5), "declared_income": 2_500_000, "with_jht": true}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let bpu_kpj = json_of(resp).await["kpj"]
            .as_str()
            .expect("kpj")
            .to_string();
        let pay = format!("/api/v1/tk/bpu/{bpu_kpj}/payments");
        let resp = app.post(&desa.token, &pay, &json!({"period": last})).await;
        assert_eq!(resp.status(), 201);
        assert_eq!(json_of(resp).await["total"], 81_800);
        let resp = app.post(&desa.token, &pay, &json!({"period": last})).await;
        assert_eq!(json_of(resp).await["error"]["code"], "bpu_period_paid");
        assert_eq!(
            app.post(&pt_a, &pay, &json!({"period": prev}))
                .await
                .status(),
            403
        );
        // The agent holds the cash until it is deposited; the ledger has it as agent cash
        // owed to BPJS Ketenagakerjaan, then at the bank.
        let held = json_of(app.get(&desa.token, "/api/v1/payments/cash").await).await;
        assert_eq!(held["undeposited_amount"], 81_800, "{held}");
        assert_eq!(held["undeposited_bpu"][0]["period"], json!(last), "{held}");
        let balance = |rows: &Value, account: &str| {
            rows.as_array()
                .expect("balances")
                .iter()
                .find(|b| b["account"] == account)
                .map(|b| b["balance"].as_i64().unwrap_or(0))
                .unwrap_or(0)
        };
        let before = json_of(app.get(&kab.token, "/api/v1/ledger/balances").await).await;
        assert_eq!(balance(&before, "agent_cash"), 81_800, "{before}");
        assert_eq!(
            balance(&before, "tk_contribution_revenue"),
            -81_800,
            "{before}"
        );
        let resp = app
            .client
            .post(app.url("/api/v1/payments/deposits"))
            .bearer_auth(&desa.token)
            .json(&json!({"bank_reference": "SETOR-BPU-1"}))
            .send()
            .await
            .expect("deposit");
        assert_eq!(resp.status(), 201);
        let deposit = json_of(resp).await;
        assert_eq!(deposit["amount"], 81_800, "{deposit}");
        assert_eq!(deposit["payments"], 1, "{deposit}");
        let after = json_of(app.get(&kab.token, "/api/v1/ledger/balances").await).await;
        assert_eq!(balance(&after, "agent_cash"), 0, "{after}");
        let held = json_of(app.get(&desa.token, "/api/v1/payments/cash").await).await;
        assert_eq!(held["undeposited_amount"], 0, "{held}");

        // Compliance: two formal workers in the registry, one registered by an employer.
        pintu_store::facts::upsert_survey(
            c,
            &[&people[0], &people[4]]
                .iter()
                .map(|id| pintu_store::facts::SurveyFacts {
                    person_id: (*id).clone(),
                    village_code: VILLAGE.into(),
                    disability: None,
                    chronic_illness: None,
                    school_status: None,
                    employment_status: Some("FORMAL".into()),
                    monthly_income: None,
                    welfare_decile: None,
                    pmt_score: None,
                    surveyed_on: None,
                })
                .collect::<Vec<_>>(),
        )
        .await
        .expect("facts");
        let list = json_of(
            app.get(&kab.token, "/api/v1/tk/compliance?area=35.07")
                .await,
        )
        .await;
        let flags = |npp: &str| {
            list["employers"]
                .as_array()
                .unwrap_or_else(|| panic!("{list}"))
                .iter()
                .find(|f| f["employer"]["npp"] == npp)
                .expect("employer")
                .clone()
        };
        let a = flags(NPP_A);
        assert_eq!(a["below_minimum"], 1, "{a}");
        assert_eq!(a["headcount_drop"], true);
        assert_eq!(a["missing_report"], false);
        assert!(
            a["overdue_bills"].as_i64() >= Some(1),
            "the month before last is unpaid past the 15th"
        );
        let b = flags(NPP_B);
        assert_eq!(b["missing_report"], true);
        assert_eq!(list["unregistered_count"], 1);
        assert_eq!(list["unregistered"][0]["person_id"], people[4].as_str());

        // Scoping: an employer sees its own enterprise only and nothing of the registry.
        let own = json_of(app.get(&pt_b, "/api/v1/employers").await).await;
        assert_eq!(own.as_array().map(Vec::len), Some(1));
        assert_eq!(own[0]["npp"], NPP_B);
        for path in [
            format!("/api/v1/employers/{NPP_A}"),
            format!("/api/v1/employers/{NPP_A}/bills"),
            format!("/api/v1/employers/{NPP_A}/jkn-bills"),
            wages(&last),
            format!("/api/v1/tk/workers/{}/jht", kpj[0]),
        ] {
            assert_eq!(app.get(&pt_b, &path).await.status(), 404, "{path}");
        }
        let resp = app
            .post(
                &pt_b,
                &format!("/api/v1/employers/{NPP_A}/workers"),
                &json!({"nik": nik(VILLAGE, 5)}),
            )
            .await;
        assert_eq!(resp.status(), 404);
        assert_eq!(
            put(&app, &pt_b, &wages(&last), &json!({"rows": []}))
                .await
                .status(),
            404
        );
        assert_eq!(
            upload(&app, &pt_b, &format!("{}/csv", wages(&last)), "kpj,wage\n")
                .await
                .status(),
            404
        );
        for path in [
            "/api/v1/persons?limit=10",
            "/api/v1/households?limit=10",
            "/api/v1/complaints",
            "/api/v1/tk/compliance",
        ] {
            assert_eq!(app.get(&pt_b, path).await.status(), 403, "{path}");
        }
        assert_eq!(
            app.post(&pt_b, "/api/v1/employers", &employer_body("35070009", 1))
                .await
                .status(),
            403
        );
    }
}

#[tokio::test]
async fn the_employer_pages_work_for_the_district_office_and_the_employer() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let kab = app.officer("kab", "district_officer", Some("35.07")).await;
    heads(&app, &desa.token).await;
    let (c, csrf) = crate::pages::logged_in(&app, "kab").await;
    let resp = c
        .post(app.url("/employers"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("npp", NPP_A),
            ("name", "PT Halaman"),
            ("sector", "Jasa"),
            ("risk_class", "1"),
            ("village_code", VILLAGE),
            ("address", ""),
        ])
        .send()
        .await
        .expect("register");
    assert_eq!(resp.status(), 303);
    let resp = c
        .post(app.url(&format!("/employers/{NPP_A}/workers")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("nik", nik(VILLAGE, 1).as_str()),
            ("kpj", ""),
            ("since", "2025-01-01"),
        ])
        .send()
        .await
        .expect("worker");
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.expect("html");
    assert!(page.contains("id=\"wage-form\"") && page.contains("id=\"upload-form\""));
    assert!(
        !page.contains(&nik(VILLAGE, 1)),
        "the NIK is not shown back"
    );
    let kpj = page
        .split("name=\"wage_")
        .nth(1)
        .and_then(|s| s.get(..11))
        .expect("kpj")
        .to_string();
    // A bad file: the rejected rows by line, nothing recorded.
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("period", months_ago(1))
        .part(
            "file",
            reqwest::multipart::Part::bytes(format!("kpj,wage\n{kpj},abc\n").into_bytes())
                .file_name("upah.csv"),
        );
    let resp = c
        .post(app.url(&format!("/employers/{NPP_A}/wages/csv")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status(), 422);
    assert!(
        resp.text()
            .await
            .expect("html")
            .contains("id=\"wage-rejections\"")
    );
    let resp = c
        .post(app.url(&format!("/employers/{NPP_A}/wages")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("period", months_ago(1).as_str()),
            (format!("wage_{kpj}").as_str(), "2.000.000"),
        ])
        .send()
        .await
        .expect("wages");
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.expect("html");
    assert!(page.contains("id=\"below-minimum\"") && page.contains("id=\"bills\""));
    // The JKN bill beside it, on the minimum wage of 35.07: 4 % + 1 % of 3,553,530.
    assert!(page.contains("id=\"report-jkn-total\"") && page.contains("id=\"jkn-bills\""));
    assert!(page.contains("Rp 177.676"), "the JKN total");
    for (path, marker) in [
        ("/employers".to_string(), NPP_A.to_string()),
        ("/tk/compliance".to_string(), format!("flags-{NPP_A}")),
        (
            format!("/tk/workers/{kpj}/jht?years=2"),
            "jht-projected".into(),
        ),
    ] {
        let resp = c.get(app.url(&path)).send().await.expect("page");
        assert_eq!(resp.status(), 200, "{path}");
        assert!(resp.text().await.expect("html").contains(&marker), "{path}");
    }
    // The employer's own login: its enterprise, no officer menu, no compliance list.
    app.pintu
        .create_employer_user(
            &pintu_service::Ctx::system("test"),
            "pt_halaman",
            "",
            NPP_A,
            TEST_PASSWORD,
        )
        .await
        .expect("employer account");
    let (e, _) = crate::pages::logged_in(&app, "pt_halaman").await;
    let page = e
        .get(app.url(&format!("/employers/{NPP_A}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("id=\"wage-form\"") && !page.contains("href=\"/persons\""));
    assert_eq!(
        e.get(app.url("/tk/compliance"))
            .send()
            .await
            .expect("page")
            .status(),
        403
    );
    let _ = kab;
}

/// The first day of month `YYYY-MM`.
fn first_of(period: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").expect("month")
}

fn field_codes(e: &Value) -> Vec<(String, String)> {
    e["error"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|x| {
                    (
                        x["field"].as_str().unwrap_or("").to_string(),
                        x["code"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_ended_registration_is_no_longer_billed_and_keeps_its_history() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let other = app
            .officer("bandung", "district_officer", Some("32.01"))
            .await;
        heads(&app, &desa.token).await;
        for (npp, user) in [(NPP_A, "pt_a"), (NPP_B, "pt_b")] {
            let resp = app
                .post(&kab.token, "/api/v1/employers", &employer_body(npp, 2))
                .await;
            assert_eq!(resp.status(), 201);
            let resp = app
                .post(
                    &kab.token,
                    &format!("/api/v1/employers/{npp}/users"),
                    &json!({"username": user, "password": TEST_PASSWORD}),
                )
                .await;
            assert_eq!(resp.status(), 201);
        }
        let pt_a = token_of(&app, "pt_a").await;
        let pt_b = token_of(&app, "pt_b").await;
        let mut kpj = Vec::new();
        for serial in 1..=3 {
            let resp = app
                .post(
                    &pt_a,
                    &format!("/api/v1/employers/{NPP_A}/workers"),
                    &json!({"nik": nik(VILLAGE, serial), "since": "2025-01-01"}),
                )
                .await;
            kpj.push(
                json_of(resp).await["kpj"]
                    .as_str()
                    .expect("kpj")
                    .to_string(),
            );
        }
        let (prev, last) = (months_ago(2), months_ago(1));
        let wages = |p: &str| format!("/api/v1/employers/{NPP_A}/wages/{p}");
        let all = json!({"rows": [
            {"worker": kpj[0], "wage": 5_000_000},
            {"worker": kpj[1], "wage": 5_000_000},
            {"worker": kpj[2], "wage": 5_000_000}
        ]});
        assert_eq!(put(&app, &pt_a, &wages(&prev), &all).await.status(), 200);

        // Who may end it: the employer itself and the district office of its area.
        let end = |k: &str| format!("/api/v1/employers/{NPP_A}/workers/{k}/end");
        let last_day_of_prev = (first_of(&last) - chrono::Days::new(1)).to_string();
        let body = json!({"until": last_day_of_prev, "reason": "left_job"});
        assert_eq!(app.post(&pt_b, &end(&kpj[0]), &body).await.status(), 404);
        assert_eq!(
            app.post(&other.token, &end(&kpj[0]), &body).await.status(),
            404
        );
        assert_eq!(
            app.post(&desa.token, &end(&kpj[0]), &body).await.status(),
            403
        );
        assert_eq!(
            app.post(&pt_a, &end("99999999999"), &body).await.status(),
            404
        );

        // The last day and the reason are checked together.
        let resp = app
            .post(
                &pt_a,
                &end(&kpj[0]),
                &json!({"until": "2024-12-31", "reason": "stopped"}),
            )
            .await;
        assert_eq!(resp.status(), 422);
        assert_eq!(
            field_codes(&json_of(resp).await),
            [
                ("reason".to_string(), "end_reason_invalid".to_string()),
                ("until".to_string(), "end_before_start".to_string())
            ]
        );
        let tomorrow = (pintu_service::today() + chrono::Days::new(1)).to_string();
        let resp = app
            .post(
                &pt_a,
                &end(&kpj[0]),
                &json!({"until": tomorrow, "reason": ""}),
            )
            .await;
        assert_eq!(
            field_codes(&json_of(resp).await),
            [
                ("reason".to_string(), "required".to_string()),
                ("until".to_string(), "date_in_future".to_string())
            ]
        );
        // Not before a month the employer reported the worker for.
        let resp = app
            .post(
                &pt_a,
                &end(&kpj[0]),
                &json!({"until": first_of(&months_ago(3)).to_string(), "reason": "left_job"}),
            )
            .await;
        assert_eq!(resp.status(), 409);
        assert_eq!(json_of(resp).await["error"]["code"], "reported_after_end");

        // The employer ends it on the last day of the month before last; once.
        let resp = app.post(&pt_a, &end(&kpj[0]), &body).await;
        assert_eq!(resp.status(), 200);
        let w = json_of(resp).await;
        assert_eq!(
            (w["until"].clone(), w["end_reason"].clone()),
            (json!(last_day_of_prev), json!("left_job"))
        );
        let resp = app.post(&pt_a, &end(&kpj[0]), &body).await;
        assert_eq!(resp.status(), 409);
        assert_eq!(json_of(resp).await["error"]["code"], "registration_ended");
        // Coming back is a new registration from after the last day, not over it.
        let resp = app
            .post(
                &pt_a,
                &format!("/api/v1/employers/{NPP_A}/workers"),
                &json!({"nik": nik(VILLAGE, 1), "since": last_day_of_prev}),
            )
            .await;
        assert_eq!(resp.status(), 409);
        assert_eq!(
            json_of(resp).await["error"]["code"],
            "registration_overlaps"
        );
        // The district office ends another, who retired.
        let resp = app
            .post(
                &kab.token,
                &end(&kpj[1]),
                &json!({"until": last_day_of_prev, "reason": "retired"}),
            )
            .await;
        assert_eq!(resp.status(), 200);

        // Its last month is still reported (and replaced); a later one naming them is
        // refused, and nothing of it is recorded.
        assert_eq!(put(&app, &pt_a, &wages(&prev), &all).await.status(), 200);
        let resp = put(&app, &pt_a, &wages(&last), &all).await;
        assert_eq!(resp.status(), 422);
        assert_eq!(
            field_codes(&json_of(resp).await),
            [
                (
                    "rows[0].worker".to_string(),
                    "registration_ended".to_string()
                ),
                (
                    "rows[1].worker".to_string(),
                    "registration_ended".to_string()
                )
            ]
        );
        let kept = json_of(app.get(&pt_a, &wages(&last)).await).await;
        assert_eq!(kept.as_array().map(Vec::len), Some(0));
        let resp = put(
            &app,
            &pt_a,
            &wages(&last),
            &json!({"rows": [{"worker": kpj[2], "wage": 5_000_000}]}),
        )
        .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(json_of(resp).await["bill"]["workers"], 1);

        // The history keeps them with their last day; their JHT stays readable.
        let detail = json_of(app.get(&pt_a, &format!("/api/v1/employers/{NPP_A}")).await).await;
        let workers = detail["workers"].as_array().expect("workers");
        assert_eq!(workers.len(), 3);
        assert_eq!(workers[0]["kpj"], kpj[2].as_str(), "current workers first");
        let ended = workers
            .iter()
            .find(|w| w["kpj"] == kpj[0].as_str())
            .expect("ended worker");
        assert_eq!(ended["until"], last_day_of_prev.as_str());
        let j = app
            .get(&pt_a, &format!("/api/v1/tk/workers/{}/jht", kpj[0]))
            .await;
        assert_eq!(j.status(), 200);
        assert_eq!(json_of(j).await["lines"].as_array().map(Vec::len), Some(1));

        // Inspectors see the drop, and that the employer recorded its part.
        let list = json_of(
            app.get(&kab.token, "/api/v1/tk/compliance?area=35.07")
                .await,
        )
        .await;
        let a = list["employers"]
            .as_array()
            .expect("employers")
            .iter()
            .find(|f| f["employer"]["npp"] == NPP_A)
            .expect("employer")
            .clone();
        assert_eq!(
            (
                a["workers_previous"].clone(),
                a["workers_last"].clone(),
                a["headcount_drop"].clone(),
                a["workers_ended"].clone(),
                a["missing_report"].clone()
            ),
            (json!(3), json!(1), json!(true), json!(2), json!(false))
        );

        // Each ending is in the audit log.
        let n = pintu_store::query_one(
            app.pintu.store.conn(),
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'tk.worker.end'",
            vec![],
        )
        .await
        .expect("query")
        .expect("row");
        assert_eq!(pintu_store::col::<i64>(&n, "n").expect("n"), 2);
    }
}

#[tokio::test]
async fn a_non_wage_worker_pays_once_per_key_and_stops_through_an_agent() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let tetangga = app
            .officer("tetangga", "village_officer", Some(crate::SIBLING_VILLAGE))
            .await;
        heads(&app, &desa.token).await;
        let resp = app
            .post(
                &desa.token,
                "/api/v1/tk/bpu",
                &json!({"nik": nik(VILLAGE, 5), "declared_income": 2_500_000, "with_jht": true}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let kpj = json_of(resp).await["kpj"]
            .as_str()
            .expect("kpj")
            .to_string();

        // A payment with a key: the same key again is the first payment, taken once.
        let pay = format!("/api/v1/tk/bpu/{kpj}/payments");
        let this_month = months_ago(0);
        let send = |key: &'static str, period: String| {
            app.client
                .post(app.url(&pay))
                .bearer_auth(&desa.token)
                .header("idempotency-key", key)
                .json(&json!({"period": period}))
                .send()
        };
        let first = send("KWT-1", this_month.clone()).await.expect("pay");
        assert_eq!(first.status(), 201);
        let again = send("KWT-1", this_month.clone()).await.expect("pay");
        assert_eq!(again.status(), 200);
        let again = json_of(again).await;
        assert_eq!(
            (again["duplicate"].clone(), again["total"].clone()),
            (json!(true), json!(81_800))
        );
        let other = send("KWT-1", months_ago(1)).await.expect("pay");
        assert_eq!(
            json_of(other).await["error"]["code"],
            "idempotency_conflict"
        );
        let bad = send("bad key", months_ago(1)).await.expect("pay");
        assert_eq!(
            json_of(bad).await["error"]["code"],
            "idempotency_key_invalid"
        );

        // The list of the area, by name or KPJ; a NIK never in an address.
        let list = json_of(app.get(&desa.token, "/api/v1/tk/bpu?q=pekerja").await).await;
        assert_eq!(list.as_array().map(Vec::len), Some(1));
        let by_kpj = json_of(
            app.get(&desa.token, &format!("/api/v1/tk/bpu?q={kpj}"))
                .await,
        )
        .await;
        assert_eq!(by_kpj[0]["kpj"], kpj.as_str());
        let resp = app
            .get(
                &desa.token,
                &format!("/api/v1/tk/bpu?q={}", nik(VILLAGE, 5)),
            )
            .await;
        assert_eq!(json_of(resp).await["error"]["code"], "search_name_or_kpj");
        let none = json_of(app.get(&tetangga.token, "/api/v1/tk/bpu").await).await;
        assert_eq!(none.as_array().map(Vec::len), Some(0));
        let detail = json_of(app.get(&desa.token, &format!("/api/v1/tk/bpu/{kpj}")).await).await;
        assert_eq!(detail["unpaid_months"], 0);
        assert_eq!(detail["payments"].as_array().map(Vec::len), Some(1));

        // Stopping: an agent of the worker's area, for a reason of a non-wage worker.
        let end = format!("/api/v1/tk/bpu/{kpj}/end");
        let today = pintu_service::today().to_string();
        let body = json!({"until": today, "reason": "stopped"});
        assert_eq!(app.post(&tetangga.token, &end, &body).await.status(), 404);
        assert_eq!(
            app.get(&tetangga.token, &format!("/api/v1/tk/bpu/{kpj}"))
                .await
                .status(),
            404
        );
        let resp = app
            .post(
                &desa.token,
                &end,
                &json!({"until": today, "reason": "left_job"}),
            )
            .await;
        assert_eq!(json_of(resp).await["error"]["code"], "end_reason_invalid");
        let resp = app.post(&desa.token, &end, &body).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(json_of(resp).await["end_reason"], "stopped");
        assert_eq!(
            json_of(app.post(&desa.token, &end, &body).await).await["error"]["code"],
            "registration_ended"
        );

        // No month after its last is paid for; its payments and JHT stay.
        let next = (first_of(&this_month) + chrono::Months::new(1))
            .format("%Y-%m")
            .to_string();
        let resp = app.post(&desa.token, &pay, &json!({"period": next})).await;
        assert_eq!(resp.status(), 422);
        assert_eq!(json_of(resp).await["error"]["code"], "registration_ended");
        let j = json_of(
            app.get(&desa.token, &format!("/api/v1/tk/workers/{kpj}/jht"))
                .await,
        )
        .await;
        assert_eq!(j["bpu_paid"], 50_000);
        let detail = json_of(app.get(&desa.token, &format!("/api/v1/tk/bpu/{kpj}")).await).await;
        assert_eq!(detail["worker"]["until"], today.as_str());
        // Registered again later, the person starts a new registration with the same card.
        let resp = app
            .post(
                &desa.token,
                "/api/v1/tk/bpu",
                &json!({"nik": nik(VILLAGE, 5), "declared_income": 3_000_000}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        assert_eq!(json_of(resp).await["kpj"], kpj.as_str());
        // A month paid under the ended registration is not paid again under the new one.
        let resp = app
            .post(&desa.token, &pay, &json!({"period": this_month}))
            .await;
        assert_eq!(json_of(resp).await["error"]["code"], "bpu_period_paid");
    }
}

#[tokio::test]
async fn the_bpu_pages_register_take_a_payment_once_and_end_a_registration() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    app.officer("tetangga", "village_officer", Some(crate::SIBLING_VILLAGE))
        .await;
    app.officer("kab", "district_officer", Some("35.07")).await;
    heads(&app, &desa.token).await;
    let (c, csrf) = crate::pages::logged_in(&app, "desa").await;
    let get = |c: &reqwest::Client, path: &str| c.get(app.url(path)).send();

    // Empty, linked from the employers' page.
    let html = get(&c, "/employers")
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("href=\"/tk/bpu\""));
    let html = get(&c, "/tk/bpu")
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"no-bpu\"") && html.contains("id=\"bpu-form\""));

    // A bad income is named on the form; the NIK typed is not shown back.
    let resp = c
        .post(app.url("/tk/bpu"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("nik", nik(VILLAGE, 5).as_str()),
            ("declared_income", "banyak"),
        ])
        .send()
        .await
        .expect("register");
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.expect("html");
    assert!(html.contains("id=\"form-errors\"") && !html.contains(&nik(VILLAGE, 5)));
    let resp = c
        .post(app.url("/tk/bpu"))
        .form(&[
            ("csrf", "wrong"),
            ("nik", nik(VILLAGE, 5).as_str()),
            ("declared_income", "2.500.000"),
        ])
        .send()
        .await
        .expect("register");
    assert_eq!(resp.status(), 403);
    let resp = c
        .post(app.url("/tk/bpu"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("nik", nik(VILLAGE, 5).as_str()),
            ("declared_income", "2.500.000"),
            ("with_jht", "1"),
        ])
        .send()
        .await
        .expect("register");
    assert_eq!(resp.status(), 303);
    let to = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("location")
        .to_string();
    assert!(to.starts_with("/tk/bpu/") && to.ends_with("?notice=registered"));
    let kpj = to["/tk/bpu/".len().."/tk/bpu/".len() + 11].to_string();
    let page = format!("/tk/bpu/{kpj}");

    // The worker's page: the month's contribution, one month due, a payment form with a key.
    let html = get(&c, &to)
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"notice\"") && html.contains("Rp 81.800"));
    assert!(html.contains("id=\"bpu-pay-form\"") && html.contains("id=\"no-payments\""));
    let key = html
        .split("name=\"idempotency_key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("key")
        .to_string();
    let period = months_ago(0);
    assert!(
        html.contains(&format!("value=\"{period}\"")),
        "this month proposed"
    );

    // Submitted twice: taken once.
    for _ in 0..2 {
        let resp = c
            .post(app.url(&format!("{page}/payments")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("idempotency_key", key.as_str()),
                ("period", period.as_str()),
            ])
            .send()
            .await
            .expect("pay");
        assert_eq!(resp.status(), 303);
    }
    let n = pintu_store::query_one(
        app.pintu.store.conn(),
        "SELECT COUNT(*) AS n FROM tk_bpu_payments",
        vec![],
    )
    .await
    .expect("query")
    .expect("row");
    assert_eq!(pintu_store::col::<i64>(&n, "n").expect("n"), 1);
    // Another form for the same month: refused, in the page's language.
    let resp = c
        .post(app.url(&format!("{page}/payments")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("idempotency_key", "another-form"),
            ("period", period.as_str()),
        ])
        .send()
        .await
        .expect("pay");
    assert_eq!(resp.status(), 409);
    assert!(
        resp.text()
            .await
            .expect("html")
            .contains("Iuran bulan ini sudah dibayar.")
    );
    let html = get(&c, &page)
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("id=\"bpu-payments\"") && html.contains(&format!("id=\"month-{period}\""))
    );

    // Found by name and by NIK (a POST); the NIK is not shown back.
    for q in ["pekerja 5".to_string(), nik(VILLAGE, 5), kpj.clone()] {
        let resp = c
            .post(app.url("/tk/bpu/search"))
            .form(&[("csrf", csrf.as_str()), ("q", q.as_str())])
            .send()
            .await
            .expect("search");
        assert_eq!(resp.status(), 200);
        let html = resp.text().await.expect("html");
        assert!(html.contains(&format!("href=\"/tk/bpu/{kpj}\"")), "{q}");
        assert!(!html.contains(&nik(VILLAGE, 5)));
    }
    let resp = c
        .post(app.url("/tk/bpu/search"))
        .form(&[("csrf", csrf.as_str()), ("q", "x")])
        .send()
        .await
        .expect("search");
    assert_eq!(resp.status(), 422);

    // An officer of another village sees nothing of them.
    let (t, _) = crate::pages::logged_in(&app, "tetangga").await;
    let html = get(&t, "/tk/bpu")
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"no-bpu\""));
    assert_eq!(get(&t, &page).await.expect("page").status(), 404);

    // Ending: the reason from the list, in English too; then no more payment form.
    c.get(app.url(&format!("/lang/en?next={page}")))
        .send()
        .await
        .expect("lang");
    let today = pintu_service::today().to_string();
    let resp = c
        .post(app.url(&format!("{page}/end")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("until", today.as_str()),
            ("reason", "left_job"),
        ])
        .send()
        .await
        .expect("end");
    assert_eq!(resp.status(), 422);
    assert!(
        resp.text()
            .await
            .expect("html")
            .contains("Choose a reason from the list.")
    );
    let resp = c
        .post(app.url(&format!("{page}/end")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("until", today.as_str()),
            ("reason", "stopped"),
        ])
        .send()
        .await
        .expect("end");
    assert_eq!(resp.status(), 303);
    let html = get(&c, &format!("{page}?notice=ended"))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Stopped contributing") && html.contains("The registration is ended."));
    assert!(!html.contains("id=\"bpu-pay-form\"") && !html.contains("id=\"bpu-end-form\""));

    // The employer's page ends a wage worker's registration.
    let (k, kcsrf) = crate::pages::logged_in(&app, "kab").await;
    k.post(app.url("/employers"))
        .form(&[
            ("csrf", kcsrf.as_str()),
            ("npp", NPP_A),
            ("name", "PT Halaman"),
            ("sector", "Jasa"),
            ("risk_class", "1"),
            ("village_code", VILLAGE),
            ("address", ""),
        ])
        .send()
        .await
        .expect("register");
    let html = k
        .post(app.url(&format!("/employers/{NPP_A}/workers")))
        .form(&[
            ("csrf", kcsrf.as_str()),
            ("nik", nik(VILLAGE, 1).as_str()),
            ("kpj", ""),
            ("since", "2025-01-01"),
        ])
        .send()
        .await
        .expect("worker")
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"end-form\""));
    let wkpj = html
        .split("name=\"wage_")
        .nth(1)
        .and_then(|s| s.get(..11))
        .expect("kpj")
        .to_string();
    let end = |until: String, reason: &'static str| {
        k.post(app.url(&format!("/employers/{NPP_A}/workers/end")))
            .form(&[
                ("csrf", kcsrf.clone()),
                ("kpj", wkpj.clone()),
                ("until", until),
                ("reason", reason.to_string()),
            ])
            .send()
    };
    let resp = end("2024-12-31".into(), "died").await.expect("end");
    assert_eq!(resp.status(), 422);
    assert!(
        resp.text()
            .await
            .expect("html")
            .contains("Hari terakhir tidak boleh sebelum kepesertaan dimulai.")
    );
    let resp = end(today.clone(), "died").await.expect("end");
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.expect("html");
    assert!(html.contains("id=\"notice\"") && html.contains("Meninggal dunia"));
    assert!(!html.contains("id=\"end-form\""), "no current worker left");
}
