//! Household cases through the API on every backend and in the pages: needs, the plan of
//! referrals with follow-up dates (overdue ones on the dashboard), notes, closing, bad input,
//! and the area scope.

use chrono::Duration;
use pintu_service::today;
use pintu_testkit::{TestApp, backends, spawn_app};
use serde_json::{Value, json};

use crate::{SIBLING_VILLAGE, VILLAGE, household, json_of, nik};

async fn household_id(app: &TestApp, token: &str, village: &str, serial: u32) -> String {
    let resp = app
        .post(
            token,
            "/api/v1/households",
            &household(village, &nik(village, serial), &format!("Kepala {serial}")),
        )
        .await;
    assert_eq!(resp.status(), 201);
    json_of(resp).await["household_id"]
        .as_str()
        .expect("household id")
        .to_string()
}

async fn code_of(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let b: Value = json_of(resp).await;
    (
        status,
        b["error"]["code"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn a_case_plans_referrals_follows_them_up_and_closes() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let h = household_id(&app, &desa.token, VILLAGE, 1).await;
        let there = household_id(&app, &kab.token, SIBLING_VILLAGE, 2).await;

        for (body, field, code) in [
            (
                json!({"household_id": h, "needs": ["wealth"], "summary": "x"}),
                "needs",
                "need_unknown",
            ),
            (
                json!({"household_id": h, "needs": [], "summary": "x"}),
                "needs",
                "needs_required",
            ),
            (
                json!({"household_id": h, "needs": ["income"], "summary": "  "}),
                "summary",
                "required",
            ),
            (
                json!({"household_id": there, "needs": ["income"], "summary": "x"}),
                "household_id",
                "household_unknown",
            ),
        ] {
            let resp = app.post(&desa.token, "/api/v1/cases", &body).await;
            assert_eq!(resp.status(), 422, "{backend:?} {body}");
            let e = json_of(resp).await;
            assert_eq!(
                (e["error"]["code"].as_str(), e["error"]["field"].as_str()),
                (Some(code), Some(field))
            );
        }
        let body = json!({"household_id": h, "needs": ["income", "health", "income"], "summary": "Kepala keluarga sakit, tidak bekerja sejak Mei", "officer": "Pak Budi (TKSK)"});
        let resp = app.post(&desa.token, "/api/v1/cases", &body).await;
        assert_eq!(resp.status(), 201, "{backend:?}");
        let d = json_of(resp).await;
        let id = d["case"]["id"].as_str().expect("id").to_string();
        assert_eq!(d["case"]["needs"], json!(["income", "health"]));
        assert_eq!(d["case"]["head_name"], "Kepala 1");
        assert_eq!(d["case"]["status"], "open");
        let again = app.post(&desa.token, "/api/v1/cases", &body).await;
        assert_eq!(code_of(again).await, (409, "case_exists".into()));

        // The plan: a programme by its code, and a service; bad steps are explained.
        let steps = format!("/api/v1/cases/{id}/steps");
        let yesterday = (today() - Duration::days(1)).to_string();
        let next_week = (today() + Duration::days(7)).to_string();
        for (body, field, code) in [
            (
                json!({"referral": "programme", "referred_to": "NOPE", "due_on": next_week}),
                "referred_to",
                "programme_unknown",
            ),
            (
                json!({"referral": "magic", "referred_to": "x", "due_on": next_week}),
                "referral",
                "referral_unknown",
            ),
            (
                json!({"referral": "service", "referred_to": "Puskesmas", "due_on": "besok"}),
                "due_on",
                "date_invalid",
            ),
        ] {
            let resp = app.post(&desa.token, &steps, &body).await;
            let e = json_of(resp).await;
            assert_eq!(
                (e["error"]["code"].as_str(), e["error"]["field"].as_str()),
                (Some(code), Some(field)),
                "{body}"
            );
        }
        let resp = app
            .post(
                &desa.token,
                &steps,
                &json!({"referral": "programme", "referred_to": "pkh", "due_on": yesterday}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let d = json_of(
            app.post(&desa.token, &steps, &json!({"referral": "service", "referred_to": "Puskesmas Donomulyo", "due_on": next_week, "note": "Periksa rutin"}))
                .await,
        )
        .await;
        let plan = d["steps"].as_array().expect("steps");
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[0]["referred_to"], "PKH");
        assert_eq!(d["overdue"], json!([plan[0]["id"]]));
        assert_eq!(d["case"]["next_follow_up"], yesterday.as_str());

        // Overdue follow-ups: the list and the dashboard's count.
        let overdue = json_of(app.get(&kab.token, "/api/v1/cases?overdue=true").await).await;
        assert_eq!(overdue.as_array().expect("list").len(), 1, "{backend:?}");
        let ctx = pintu_service::Ctx::new(
            pintu_domain::Actor::Officer {
                user_id: "u".into(),
                username: "desa".into(),
                role: pintu_domain::Role::VillageOfficer,
                area: Some(pintu_domain::AreaCode::parse(VILLAGE).expect("area")),
            },
            None,
        );
        assert_eq!(app.pintu.overdue_cases(&ctx).await.expect("count"), 1);

        let first = plan[0]["id"].as_str().expect("step").to_string();
        let finish = format!("/api/v1/cases/{id}/steps/{first}");
        let resp = app
            .post(
                &desa.token,
                &finish,
                &json!({"status": "done", "note": "Sudah terdaftar PKH"}),
            )
            .await;
        let d = json_of(resp).await;
        assert_eq!(d["steps"][0]["status"], "done");
        assert_eq!(d["overdue"], json!([]));
        let twice = app
            .post(&desa.token, &finish, &json!({"status": "dropped"}))
            .await;
        assert_eq!(code_of(twice).await, (409, "step_already_finished".into()));
        assert_eq!(app.pintu.overdue_cases(&ctx).await.expect("count"), 0);

        let resp = app
            .post(
                &desa.token,
                &format!("/api/v1/cases/{id}/notes"),
                &json!({"text": "Kunjungan rumah 12/11"}),
            )
            .await;
        assert_eq!(
            json_of(resp).await["notes"][0]["text"],
            "Kunjungan rumah 12/11"
        );
        let close = format!("/api/v1/cases/{id}/close");
        let resp = app.post(&desa.token, &close, &json!({"reason": ""})).await;
        assert_eq!(code_of(resp).await, (422, "required".into()));
        let resp = app
            .post(
                &desa.token,
                &close,
                &json!({"reason": "Kebutuhan terpenuhi"}),
            )
            .await;
        let d = json_of(resp).await;
        assert_eq!(
            (
                d["case"]["status"].as_str(),
                d["case"]["closed_reason"].as_str()
            ),
            (Some("closed"), Some("Kebutuhan terpenuhi"))
        );
        let resp = app
            .post(
                &desa.token,
                &steps,
                &json!({"referral": "job", "referred_to": "Pabrik", "due_on": next_week}),
            )
            .await;
        assert_eq!(code_of(resp).await, (409, "case_closed".into()));
        let resp = app
            .post(&desa.token, &close, &json!({"reason": "lagi"}))
            .await;
        assert_eq!(code_of(resp).await, (409, "case_closed".into()));
        // A closed case makes room for a new one.
        let resp = app.post(&desa.token, "/api/v1/cases", &body).await;
        assert_eq!(resp.status(), 201);

        // Scope: another village sees nothing; administrators and the ombudsman no cases.
        let other = app
            .officer("tetangga", "village_officer", Some(SIBLING_VILLAGE))
            .await;
        assert_eq!(
            app.get(&other.token, &format!("/api/v1/cases/{id}"))
                .await
                .status(),
            404
        );
        assert_eq!(
            json_of(app.get(&other.token, "/api/v1/cases").await).await,
            json!([])
        );
        assert_eq!(
            app.post(&other.token, &close, &json!({"reason": "x"}))
                .await
                .status(),
            404
        );
        for (name, role, area) in [("admin1", "admin", None), ("omb", "ombudsman", Some("35"))] {
            let o = app.officer(name, role, area).await;
            assert_eq!(
                app.get(&o.token, "/api/v1/cases").await.status(),
                403,
                "{role}"
            );
            assert_eq!(
                app.get(&o.token, &format!("/api/v1/cases/{id}"))
                    .await
                    .status(),
                403,
                "{role}"
            );
        }
        assert_eq!(
            json_of(app.get(&kab.token, "/api/v1/cases?status=closed").await)
                .await
                .as_array()
                .expect("list")
                .len(),
            1
        );
        assert_eq!(
            code_of(app.get(&kab.token, "/api/v1/cases?status=maybe").await).await,
            (422, "status_unknown".into())
        );
    }
}

#[tokio::test]
async fn officers_open_and_follow_a_case_in_the_pages() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let h = household_id(&app, &desa.token, VILLAGE, 1).await;
    let (c, csrf) = crate::pages::logged_in(&app, "desa").await;
    let get = |path: String| {
        let c = c.clone();
        let url = app.url(&path);
        async move {
            let resp = c.get(url).send().await.expect("page");
            (resp.status().as_u16(), resp.text().await.expect("html"))
        }
    };
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = app.url(&path);
        async move {
            let resp = c.post(url).form(&form).send().await.expect("post");
            let status = resp.status().as_u16();
            let loc = resp
                .headers()
                .get("location")
                .map(|l| l.to_str().expect("loc").to_string());
            (
                status,
                loc.unwrap_or_default(),
                resp.text().await.unwrap_or_default(),
            )
        }
    };
    let (status, html) = get(format!("/households/{h}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("href=\"/cases/new?household={h}\"")),
        "open a case"
    );
    let (_, html) = get("/cases".into()).await;
    assert!(
        html.contains("id=\"no-cases\"") && html.contains("href=\"/cases\" aria-current=\"page\"")
    );
    let (status, html) = get(format!("/cases/new?household={h}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"elderly_care\""));

    let (status, _, html) = post(
        "/cases".into(),
        vec![
            ("csrf", csrf.clone()),
            ("household", h.clone()),
            ("summary", "Lansia tinggal sendiri".into()),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Pilih paling sedikit satu kebutuhan"),
        "{html}"
    );
    let (status, location, _) = post(
        "/cases".into(),
        vec![
            ("csrf", csrf.clone()),
            ("household", h.clone()),
            ("needs", "elderly_care".into()),
            ("needs", "health".into()),
            ("summary", "Lansia tinggal sendiri".into()),
            ("officer", "".into()),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let id = location
        .trim_start_matches("/cases/")
        .split('?')
        .next()
        .expect("id")
        .to_string();
    let (_, html) = get(location.clone()).await;
    assert!(
        html.contains("id=\"notice\"") && html.contains("Perawatan lansia, Kesehatan"),
        "{html}"
    );

    let past = (today() - Duration::days(3)).to_string();
    let (status, _, _) = post(
        format!("/cases/{id}/steps"),
        vec![
            ("csrf", csrf.clone()),
            ("referral", "service".into()),
            ("referred_to", "Posyandu lansia".into()),
            ("due_on", past),
            ("note", "".into()),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, html) = post(
        format!("/cases/{id}/steps"),
        vec![
            ("csrf", csrf.clone()),
            ("referral", "programme".into()),
            ("referred_to", "TIDAKADA".into()),
            ("due_on", "2027-01-01".into()),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"form-errors\""));
    let (_, html) = get("/".into()).await;
    assert!(
        html.contains("id=\"count-overdue-cases\">1<"),
        "the dashboard counts the overdue follow-up"
    );
    let (_, html) = get("/cases?overdue=1".into()).await;
    assert!(html.contains(&format!("id=\"case-{id}\"")));
    let (_, html) = get(format!("/cases/{id}")).await;
    let step = html
        .split("id=\"finish-")
        .nth(1)
        .expect("a finish form")
        .split('"')
        .next()
        .expect("id")
        .to_string();
    let (status, _, _) = post(
        format!("/cases/{id}/steps/{step}"),
        vec![
            ("csrf", csrf.clone()),
            ("status", "done".into()),
            ("note", "Hadir".into()),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, _) = post(
        format!("/cases/{id}/notes"),
        vec![("csrf", csrf.clone()), ("text", "Dikunjungi kader".into())],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, _) = post(
        format!("/cases/{id}/close"),
        vec![
            ("csrf", csrf.clone()),
            ("text", "Pindah ke rumah anak".into()),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = get(format!("/cases/{id}")).await;
    assert!(
        html.contains("Ditutup: Pindah ke rumah anak") && html.contains("Dikunjungi kader"),
        "{html}"
    );
    assert!(
        !html.contains("id=\"step-form\""),
        "a closed case takes no steps"
    );
    let (_, html) = get("/".into()).await;
    assert!(html.contains("id=\"count-overdue-cases\">0<"));
    let (status, _, _) = post(
        format!("/cases/{id}/notes"),
        vec![("text", "tanpa token".into())],
    )
    .await;
    assert_eq!(status, 403, "no CSRF token, no note");
}
