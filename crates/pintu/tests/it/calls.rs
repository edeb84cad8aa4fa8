//! The call centre through the API on every backend and in the console pages: calls logged
//! for registered and unregistered callers, bad input, programme scripts from the catalogue
//! in both languages, and the area scope.

use pintu_testkit::{TestApp, backends, spawn_app};
use serde_json::{Value, json};

use crate::matching::family;
use crate::{OTHER_DISTRICT_VILLAGE, SIBLING_VILLAGE, VILLAGE, json_of, nik};

async fn error_of(resp: reqwest::Response) -> (u16, Value, Value) {
    let status = resp.status().as_u16();
    let b = json_of(resp).await;
    (
        status,
        b["error"]["code"].clone(),
        b["error"]["field"].clone(),
    )
}

#[tokio::test]
async fn calls_are_logged_for_the_officers_area_and_scripts_come_from_the_catalogue() {
    for backend in backends() {
        let app: TestApp = spawn_app(backend).await;
        let kec = app
            .officer("kec", "subdistrict_officer", Some("35.07.01"))
            .await;
        let people = family(&app, &kec.token, VILLAGE, 1, 2).await;
        let call = json!({"person_id": people[0], "reason": "application_status", "programme": "pkh", "outcome": "answered", "note": "Menanyakan PKH"});
        let resp = app.post(&kec.token, "/api/v1/calls", &call).await;
        assert_eq!(resp.status(), 201, "{backend:?}");
        let logged = json_of(resp).await;
        assert_eq!(
            (
                logged["person_name"].as_str(),
                logged["programme"].as_str(),
                logged["village_code"].as_str()
            ),
            (Some("Kepala 1"), Some("PKH"), Some(VILLAGE))
        );
        assert!(
            logged["officer"]
                .as_str()
                .is_some_and(|o| o.starts_with("user:"))
        );
        // Someone not in the registry: their village and number.
        let stranger = json!({"village_code": SIBLING_VILLAGE, "caller_phone": "0812 9999 1111", "reason": "programme_information", "outcome": "referred"});
        assert_eq!(
            app.post(&kec.token, "/api/v1/calls", &stranger)
                .await
                .status(),
            201
        );

        for (body, code, field) in [
            (
                json!({"person_id": people[0], "reason": "gossip", "outcome": "answered"}),
                "call_reason_unknown",
                "reason",
            ),
            (
                json!({"person_id": people[0], "reason": "other", "outcome": "hung_up"}),
                "outcome_unknown",
                "outcome",
            ),
            (
                json!({"reason": "other", "outcome": "answered"}),
                "village_required",
                "village_code",
            ),
            (
                json!({"village_code": OTHER_DISTRICT_VILLAGE, "reason": "other", "outcome": "answered"}),
                "village_outside_area",
                "village_code",
            ),
            (
                json!({"person_id": people[0], "reason": "other", "outcome": "answered", "programme": "NOPE"}),
                "programme_unknown",
                "programme",
            ),
            (
                json!({"person_id": people[0], "reason": "other", "outcome": "answered", "caller_phone": "12"}),
                "phone_invalid",
                "caller_phone",
            ),
            (
                json!({"person_id": "no-such-person", "reason": "other", "outcome": "answered"}),
                "person_not_found",
                "person_id",
            ),
        ] {
            let (status, code_got, field_got) =
                error_of(app.post(&kec.token, "/api/v1/calls", &body).await).await;
            assert_eq!(
                (status, code_got, field_got),
                (422, json!(code), json!(field)),
                "{backend:?} {body}"
            );
        }
        let mine = json_of(
            app.get(
                &kec.token,
                &format!("/api/v1/calls?person_id={}", people[0]),
            )
            .await,
        )
        .await;
        assert_eq!(mine.as_array().expect("calls").len(), 1);
        assert_eq!(
            json_of(app.get(&kec.token, "/api/v1/calls").await)
                .await
                .as_array()
                .expect("calls")
                .len(),
            2
        );

        // Scope: another sub-district sees none; an administrator takes no calls.
        let other = app
            .officer("kec2", "subdistrict_officer", Some("35.07.02"))
            .await;
        assert_eq!(
            json_of(app.get(&other.token, "/api/v1/calls").await).await,
            json!([])
        );
        let (status, code, _) =
            error_of(app.post(&other.token, "/api/v1/calls", &call).await).await;
        assert_eq!(
            (status, code),
            (422, json!("person_not_found")),
            "a caller of another area is not found"
        );
        let admin = app.officer("admin1", "admin", None).await;
        assert_eq!(
            app.post(&admin.token, "/api/v1/calls", &call)
                .await
                .status(),
            403
        );

        // The script, from the catalogue, in the language asked for.
        let script = json_of(
            app.client
                .get(app.url("/api/v1/programmes/PKH/script"))
                .bearer_auth(&kec.token)
                .header("accept-language", "id")
                .send()
                .await
                .expect("script"),
        )
        .await;
        let lines = script.as_array().expect("lines");
        // The five answers from the programme's form, then its own questions.
        assert_eq!(lines.len(), 7);
        assert_eq!(lines[5]["question"], "Kapan bantuan PKH cair?");
        assert_eq!(lines[0]["question"], "Apa itu Program Keluarga Harapan?");
        assert!(
            lines[2]["answer"]
                .as_str()
                .expect("documents")
                .contains("Kartu Keluarga (KK)")
        );
        assert!(
            lines[4]["answer"]
                .as_str()
                .expect("contact")
                .contains("Kementerian Sosial")
        );
        let en = json_of(
            app.client
                .get(app.url("/api/v1/programmes/PKH/script"))
                .bearer_auth(&kec.token)
                .header("accept-language", "en")
                .send()
                .await
                .expect("script"),
        )
        .await;
        assert!(
            en[2]["answer"]
                .as_str()
                .expect("documents")
                .contains("Family card (KK)")
        );
        assert_eq!(
            app.get(&kec.token, "/api/v1/programmes/NOPE/script")
                .await
                .status(),
            404
        );
    }
}

#[tokio::test]
async fn the_call_centre_console_finds_the_caller_answers_and_logs_the_call() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let kec = app
        .officer("kec", "subdistrict_officer", Some("35.07.01"))
        .await;
    let people = family(&app, &kec.token, VILLAGE, 1, 2).await;
    let (c, csrf) = crate::pages::logged_in(&app, "kec").await;
    let get = |path: String| {
        let c = c.clone();
        let url = app.url(&path);
        async move {
            let resp = c.get(url).send().await.expect("page");
            (resp.status().as_u16(), resp.text().await.expect("html"))
        }
    };
    let (status, html) = get("/call-centre".into()).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("href=\"/call-centre\" aria-current=\"page\"")
            && html.contains("id=\"no-calls\"")
    );
    // Found by NIK, posted (never in a URL), and the NIK is not echoed back.
    let the_nik = nik(VILLAGE, 1);
    let resp = c
        .post(app.url("/call-centre/search"))
        .form(&[("csrf", csrf.as_str()), ("q", the_nik.as_str())])
        .send()
        .await
        .expect("search");
    let html = resp.text().await.expect("html");
    assert!(
        html.contains(&format!("href=\"/call-centre/persons/{}\"", people[0])),
        "{html}"
    );
    assert!(!html.contains(&the_nik));
    let resp = c
        .post(app.url("/call-centre/search"))
        .form(&[("csrf", csrf.as_str()), ("q", "Nobody Here")])
        .send()
        .await
        .expect("search");
    assert!(
        resp.text()
            .await
            .expect("html")
            .contains("id=\"no-callers\"")
    );

    let console = format!("/call-centre/persons/{}", people[0]);
    let (status, html) = get(format!("{console}?programme=PKH")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Siti Aminah"), "the household's members");
    assert!(
        html.contains("id=\"script\"") && html.contains("Kartu Keluarga (KK)"),
        "the PKH script"
    );
    assert!(
        html.contains("channel=call_centre"),
        "start an application or a complaint for the caller"
    );

    let resp = c
        .post(app.url("/call-centre/calls"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("person", people[0].as_str()),
            ("reason", ""),
            ("outcome", "answered"),
        ])
        .send()
        .await
        .expect("log");
    assert_eq!(resp.status(), 422);
    assert!(
        resp.text()
            .await
            .expect("html")
            .contains("Pilih alasan warga menelepon")
    );
    let resp = c
        .post(app.url("/call-centre/calls"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("person", people[0].as_str()),
            ("reason", "programme_information"),
            ("programme", "PKH"),
            ("outcome", "answered"),
            ("caller_phone", "0812 3456 7890"),
            ("note", "Syarat PKH dijelaskan"),
        ])
        .send()
        .await
        .expect("log");
    assert_eq!(resp.status(), 303);
    let (_, html) = get(format!("{console}?notice=call-logged")).await;
    assert!(
        html.contains("id=\"notice\"") && html.contains("Syarat PKH dijelaskan"),
        "{html}"
    );
    let (_, html) = get("/call-centre".into()).await;
    assert!(html.contains("Informasi program"));
    let resp = c
        .post(app.url("/call-centre/calls"))
        .form(&[
            ("person", people[0].as_str()),
            ("reason", "other"),
            ("outcome", "answered"),
        ])
        .send()
        .await
        .expect("log");
    assert_eq!(resp.status(), 403, "no CSRF token, no call");

    // A caller who is not in the registry: their village is required and must be ours.
    let resp = c
        .post(app.url("/call-centre/calls"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("village_code", OTHER_DISTRICT_VILLAGE),
            ("reason", "other"),
            ("outcome", "referred"),
        ])
        .send()
        .await
        .expect("log");
    assert_eq!(resp.status(), 422);
    assert!(
        resp.text()
            .await
            .expect("html")
            .contains("id=\"unknown-caller\" open")
    );
    let resp = c
        .post(app.url("/call-centre/calls"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("village_code", SIBLING_VILLAGE),
            ("caller_phone", "0813 1111 2222"),
            ("reason", "payment"),
            ("outcome", "call_back"),
            ("note", "Minta ditelepon sore"),
        ])
        .send()
        .await
        .expect("log");
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "/call-centre?notice=call-logged"
    );
    let (_, html) = get("/call-centre?notice=call-logged".into()).await;
    assert!(
        html.contains("Minta ditelepon sore") && html.contains("0813 1111 2222"),
        "{html}"
    );

    // The application form opened from the console has the call centre as its channel.
    let (_, html) = get(format!(
        "/applications/new?person={}&channel=call_centre",
        people[0]
    ))
    .await;
    assert!(
        html.contains("<option value=\"call_centre\" selected>"),
        "{html}"
    );
}

#[tokio::test]
async fn a_programmes_keepers_edit_its_questions_for_the_call_centre_script() {
    for backend in backends() {
        let app: TestApp = spawn_app(backend).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        crate::applications::programme_with_documents(&app.pintu.store, "BANTU-T", Some("35.07"))
            .await;
        let shipped = json_of(
            app.get(&kab.token, "/api/v1/programmes/PKH/questions")
                .await,
        )
        .await;
        assert_eq!(shipped.as_array().map(Vec::len), Some(2));

        let list = json!([
            {"question_id": "Kapan pendaftaran dibuka?", "question_en": "When does registration open?", "answer_id": "Setiap Januari.", "answer_en": "Every January."},
            {"question_id": "", "question_en": "", "answer_id": "", "answer_en": ""}
        ]);
        let put = |token: String, body: Value| {
            let app = &app;
            async move {
                app.client
                    .put(app.url("/api/v1/programmes/BANTU-T/questions"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("put")
            }
        };
        // A village office does not keep the catalogue.
        assert_eq!(put(desa.token.clone(), list.clone()).await.status(), 403);
        let half = json!([{"question_id": "Kapan?", "question_en": "", "answer_id": "Besok", "answer_en": "Tomorrow"}]);
        let (status, code, field) = error_of(put(kab.token.clone(), half).await).await;
        assert_eq!(
            (status, code, field),
            (422, json!("required"), json!("questions[0].question_en"))
        );
        let resp = put(kab.token.clone(), list).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            json_of(resp).await.as_array().map(Vec::len),
            Some(1),
            "blank rows dropped"
        );

        let en = json_of(
            app.client
                .get(app.url("/api/v1/programmes/BANTU-T/script"))
                .bearer_auth(&kab.token)
                .header("accept-language", "en")
                .send()
                .await
                .expect("script"),
        )
        .await;
        let last = en
            .as_array()
            .and_then(|l| l.last())
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            last,
            json!({"question": "When does registration open?", "answer": "Every January."})
        );

        // In the browser: the programme page lists them, the form edits them.
        let (c, csrf) = crate::pages::logged_in(&app, "kab").await;
        let page = c
            .get(app.url("/programmes/BANTU-T"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(
            page.contains("Kapan pendaftaran dibuka?") && page.contains("id=\"questions-link\"")
        );
        let form = c
            .get(app.url("/programmes/BANTU-T/questions"))
            .send()
            .await
            .expect("form");
        assert_eq!(form.status(), 200);
        let resp = c
            .post(app.url("/programmes/BANTU-T/questions"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("question_id", "Siapa yang mendapat?"),
                ("question_en", "Who gets it?"),
                ("answer_id", "Warga dewasa."),
                ("answer_en", ""),
            ])
            .send()
            .await
            .expect("save");
        assert_eq!(resp.status(), 422);
        let resp = c
            .post(app.url("/programmes/BANTU-T/questions"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("question_id", "Siapa yang mendapat?"),
                ("question_en", "Who gets it?"),
                ("answer_id", "Warga dewasa."),
                ("answer_en", "Adults."),
            ])
            .send()
            .await
            .expect("save");
        assert_eq!(resp.status(), 303);
        let saved = json_of(
            app.get(&kab.token, "/api/v1/programmes/BANTU-T/questions")
                .await,
        )
        .await;
        assert_eq!(saved[0]["answer_en"], "Adults.");
        assert_eq!(saved.as_array().map(Vec::len), Some(1));
        let (v, _) = crate::pages::logged_in(&app, "desa").await;
        let resp = v
            .get(app.url("/programmes/BANTU-T/questions"))
            .send()
            .await
            .expect("form");
        assert_eq!(resp.status(), 403);
    }
}
