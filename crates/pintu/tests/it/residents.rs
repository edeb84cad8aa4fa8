//! The resident's door through the API on every backend: logging in with NIK, birth date and a
//! one-time code sent through the outbox (throttled, spent after five wrong guesses), the
//! resident's own household and nothing else (every `/api/v1/me` path probed with another
//! household's ids), applying online with documents, change requests that an officer of the
//! area confirms or rejects, and the language of the resident's messages.

use chrono::{Duration, Utc};
use pintu_store::{col, query_one};
use pintu_testkit::{TestApp, backends, spawn_app};
use serde_json::{Value, json};

use crate::applications::programme_with_documents;
use crate::{OTHER_DISTRICT_VILLAGE, SIBLING_VILLAGE, VILLAGE, household, json_of, nik};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
const BIRTH: &str = "1978-03-15";

/// The six digits of the newest login code sent to anyone.
pub(crate) async fn last_code(app: &TestApp) -> String {
    last_code_of(app, "login_code").await
}

/// The six digits in the newest SMS of `template` (a login or a mandate code) sent to anyone.
pub(crate) async fn last_code_of(app: &TestApp, template: &str) -> String {
    let row = query_one(
        app.pintu.store.conn(),
        "SELECT body FROM outbox_messages WHERE template = ? ORDER BY id DESC LIMIT 1",
        vec![template.into()],
    )
    .await
    .expect("query")
    .unwrap_or_else(|| panic!("a {template} was queued"));
    let body: String = col(&row, "body").expect("body");
    body.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("six digits in the SMS")
        .to_string()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = query_one(app.pintu.store.conn(), sql, vec![])
        .await
        .expect("query")
        .expect("row");
    col(&row, "n").expect("n")
}

async fn post_json(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn start(app: &TestApp, nik: &str, birth: &str) -> reqwest::Response {
    post_json(
        app,
        "/api/v1/me/login",
        &json!({"nik": nik, "birth_date": birth}),
    )
    .await
}

async fn verify(app: &TestApp, challenge: &str, code: &str) -> reqwest::Response {
    post_json(
        app,
        "/api/v1/me/login/verify",
        &json!({"challenge": challenge, "code": code}),
    )
    .await
}

/// Logs the head of the household with NIK `nik` in; returns the resident's token.
pub(crate) async fn log_in(app: &TestApp, nik: &str) -> String {
    let resp = start(app, nik, BIRTH).await;
    assert_eq!(resp.status(), 202);
    let challenge = json_of(resp).await["challenge"]
        .as_str()
        .expect("challenge")
        .to_string();
    let code = last_code(app).await;
    let resp = verify(app, &challenge, &code).await;
    assert_eq!(resp.status(), 200);
    json_of(resp).await["token"]
        .as_str()
        .expect("token")
        .to_string()
}

async fn error_of(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body = json_of(resp).await;
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_string(),
    )
}

/// Registers a household whose head has `nik`; returns (household id, person ids).
async fn register(app: &TestApp, token: &str, village: &str, nik: &str) -> (String, Vec<String>) {
    let resp = app
        .post(
            token,
            "/api/v1/households",
            &household(village, nik, "Budi Santoso"),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let body = json_of(resp).await;
    let people = body["person_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_str().expect("id").to_string())
        .collect();
    (
        body["household_id"].as_str().expect("id").to_string(),
        people,
    )
}

#[tokio::test]
async fn a_resident_logs_in_with_a_code_by_sms_and_sees_only_their_own_household() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let nik_a = nik(VILLAGE, 1);
        let nik_b = nik(VILLAGE, 2);
        let (household_a, people_a) = register(&app, &desa.token, VILLAGE, &nik_a).await;
        let (_, people_b) = register(&app, &desa.token, VILLAGE, &nik_b).await;

        // A wrong birth date and an unknown NIK answer exactly like a match, and send nothing.
        let sent = "SELECT COUNT(*) AS n FROM outbox_messages WHERE template = 'login_code'";
        for (n, birth) in [(nik_a.as_str(), "1978-03-16"), ("3507011503789999", BIRTH)] {
            let resp = start(&app, n, birth).await;
            assert_eq!(resp.status(), 202);
            let body = json_of(resp).await;
            assert!(body["challenge"].as_str().is_some_and(|c| c.len() == 36));
            let resp = verify(&app, body["challenge"].as_str().unwrap_or(""), "123456").await;
            assert_eq!(error_of(resp).await, (422, "login_code_wrong".into()));
        }
        assert_eq!(count(&app, sent).await, 0);
        // Malformed input is refused with its field.
        let resp = start(&app, "12345", "15-03-1978").await;
        assert_eq!(resp.status(), 422);
        let body = json_of(resp).await;
        assert_eq!(body["error"]["field"], "nik", "{body}");

        let resp = start(&app, &nik_a, BIRTH).await;
        assert_eq!(resp.status(), 202);
        let challenge = json_of(resp).await["challenge"]
            .as_str()
            .expect("challenge")
            .to_string();
        assert_eq!(count(&app, sent).await, 1);
        let code = last_code(&app).await;
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert_eq!(
            error_of(verify(&app, &challenge, wrong).await).await,
            (422, "login_code_wrong".into())
        );
        let resp = verify(&app, &challenge, &code).await;
        assert_eq!(resp.status(), 200);
        let token = json_of(resp).await["token"]
            .as_str()
            .expect("token")
            .to_string();
        // A code is used once.
        assert_eq!(
            error_of(verify(&app, &challenge, &code).await).await,
            (422, "login_code_expired".into())
        );
        // Officers never see a login code.
        let messages = json_of(app.get(&kab.token, "/api/v1/messages").await).await;
        let text = messages.to_string();
        assert!(text.contains("******") && !text.contains(&code), "{text}");

        let me = json_of(app.get(&token, "/api/v1/me").await).await;
        assert_eq!(me["person_id"], people_a[0].as_str());
        assert_eq!(me["household"]["id"], household_a.as_str());
        assert_eq!(me["members"].as_array().map(Vec::len), Some(3));
        assert_eq!(me["language"], "id");
        assert!(!me.to_string().contains(&nik_a), "the NIK is masked");
        assert!(me.to_string().contains(&nik_a[12..]));

        // Another household's records do not exist for this resident, on every path.
        programme_with_documents(&app.pintu.store, "BANTU-T", Some("35.07")).await;
        let other = json_of(
            app.post(
                &kab.token,
                "/api/v1/applications",
                &json!({"person_id": people_b[0], "programme": "BANTU-T"}),
            )
            .await,
        )
        .await;
        let other_id = other["application"]["id"].as_str().expect("id").to_string();
        let doc = app
            .client
            .post(app.url(&format!("/api/v1/applications/{other_id}/documents")))
            .bearer_auth(&kab.token)
            .multipart(reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("kk.pdf"),
            ))
            .send()
            .await
            .expect("upload");
        assert_eq!(doc.status(), 201);
        let doc_id = json_of(doc).await["id"].as_str().expect("id").to_string();
        for path in [
            format!("/api/v1/me/persons/{}/entitlements", people_b[0]),
            format!("/api/v1/me/applications/{other_id}"),
            format!("/api/v1/me/applications/{other_id}/documents/{doc_id}"),
        ] {
            assert_eq!(app.get(&token, &path).await.status(), 404, "{path}");
        }
        let resp = app
            .post(
                &token,
                &format!("/api/v1/me/applications/{other_id}/steps"),
                &json!({"action": "withdraw", "reason": "bukan saya"}),
            )
            .await;
        assert_eq!(resp.status(), 404);
        let resp = app
            .client
            .post(app.url(&format!("/api/v1/me/applications/{other_id}/documents")))
            .bearer_auth(&token)
            .multipart(reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("x.pdf"),
            ))
            .send()
            .await
            .expect("upload");
        assert_eq!(resp.status(), 404);
        let resp = app
            .post(
                &token,
                "/api/v1/me/applications",
                &json!({"person_id": people_b[1], "programme": "BANTU-T"}),
            )
            .await;
        assert_eq!(error_of(resp).await, (404, "not_found".into()));
        let other_state = json_of(
            app.get(&kab.token, &format!("/api/v1/applications/{other_id}"))
                .await,
        )
        .await;
        assert_eq!(other_state["application"]["state"], "draft");
        // My own member's "why?" answers.
        let why = app
            .get(
                &token,
                &format!("/api/v1/me/persons/{}/entitlements", people_a[1]),
            )
            .await;
        assert_eq!(why.status(), 200);

        // The resident's token is no officer's and the officer's no resident's.
        assert_eq!(app.get(&token, "/api/v1/persons").await.status(), 401);
        assert_eq!(app.get(&kab.token, "/api/v1/me").await.status(), 401);
        // Logged out, the token is dead.
        let resp = app.post(&token, "/api/v1/me/logout", &json!({})).await;
        assert_eq!(resp.status(), 204);
        assert_eq!(app.get(&token, "/api/v1/me").await.status(), 401);
        // Logging in was audited, without the NIK.
        let audited = count(
            &app,
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'resident.login'",
        )
        .await;
        assert_eq!(audited, 1);
        let leaked = query_one(
            app.pintu.store.conn(),
            "SELECT COUNT(*) AS n FROM audit_log WHERE detail LIKE ?",
            vec![format!("%{nik_a}%").into()],
        )
        .await
        .expect("query")
        .map(|r| col::<i64>(&r, "n").expect("n"));
        assert_eq!(leaked, Some(0));
    }
}

#[tokio::test]
async fn login_codes_are_throttled_spent_after_five_wrong_guesses_and_expire() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let nik_a = nik(VILLAGE, 1);
        register(&app, &desa.token, VILLAGE, &nik_a).await;

        // Five wrong guesses spend a code, even for the right code after them.
        let resp = start(&app, &nik_a, BIRTH).await;
        let challenge = json_of(resp).await["challenge"]
            .as_str()
            .expect("challenge")
            .to_string();
        let code = last_code(&app).await;
        let wrong = if code == "999999" { "999998" } else { "999999" };
        for guess in 1..=5 {
            // The fifth wrong guess says the code is spent.
            let expected = if guess < 5 {
                "login_code_wrong"
            } else {
                "login_code_expired"
            };
            assert_eq!(
                error_of(verify(&app, &challenge, wrong).await).await,
                (422, expected.into())
            );
        }
        assert_eq!(
            error_of(verify(&app, &challenge, &code).await).await,
            (422, "login_code_expired".into())
        );

        // A code lives ten minutes.
        let resp = start(&app, &nik_a, BIRTH).await;
        let challenge = json_of(resp).await["challenge"]
            .as_str()
            .expect("challenge")
            .to_string();
        let code = last_code(&app).await;
        let late = app
            .pintu
            .verify_resident_login(&challenge, &code, None, Utc::now() + Duration::minutes(11))
            .await;
        assert!(
            matches!(&late, Err(pintu_service::Error::Invalid(i)) if i.0[0].code == "login_code_expired"),
            "{late:?}"
        );

        // Three codes in fifteen minutes, then 429.
        let resp = start(&app, &nik_a, BIRTH).await;
        assert_eq!(resp.status(), 202);
        let resp = start(&app, &nik_a, BIRTH).await;
        assert_eq!(error_of(resp).await, (429, "too_many_attempts".into()));

        // Guessing birth dates for a NIK is throttled too.
        let nik_b = nik(VILLAGE, 2);
        register(&app, &desa.token, VILLAGE, &nik_b).await;
        for day in 1..=5 {
            let resp = start(&app, &nik_b, &format!("1978-03-{day:02}")).await;
            assert_eq!(resp.status(), 202);
        }
        let resp = start(&app, &nik_b, BIRTH).await;
        assert_eq!(error_of(resp).await, (429, "too_many_attempts".into()));
    }
}

#[tokio::test]
async fn a_resident_applies_online_hands_in_documents_and_withdraws() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let nik_a = nik(VILLAGE, 1);
        let (_, people) = register(&app, &desa.token, VILLAGE, &nik_a).await;
        programme_with_documents(&app.pintu.store, "BANTU-T", Some("35.07")).await;
        programme_with_documents(&app.pintu.store, "BANTU-J", Some("32")).await;
        let token = log_in(&app, &nik_a).await;

        let resp = app
            .post(
                &token,
                "/api/v1/me/applications",
                &json!({"person_id": people[1], "programme": "bantu-t"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let d = json_of(resp).await;
        assert_eq!(d["application"]["state"], "submitted");
        assert_eq!(d["application"]["channel"], "online");
        assert_eq!(d["actions"], json!(["withdraw"]));
        let id = d["application"]["id"].as_str().expect("id").to_string();
        // Once per programme; not for a programme of another province.
        let again = app
            .post(
                &token,
                "/api/v1/me/applications",
                &json!({"person_id": people[1], "programme": "BANTU-T"}),
            )
            .await;
        assert_eq!(error_of(again).await, (409, "application_exists".into()));
        let elsewhere = app
            .post(
                &token,
                "/api/v1/me/applications",
                &json!({"person_id": people[1], "programme": "BANTU-J"}),
            )
            .await;
        assert_eq!(elsewhere.status(), 422);

        let upload = |name: &'static str, bytes: Vec<u8>| {
            let app = &app;
            let token = token.clone();
            let id = id.clone();
            async move {
                app.client
                    .post(app.url(&format!("/api/v1/me/applications/{id}/documents")))
                    .bearer_auth(token)
                    .multipart(
                        reqwest::multipart::Form::new()
                            .text("requirement", "0")
                            .part(
                                "file",
                                reqwest::multipart::Part::bytes(bytes).file_name(name),
                            ),
                    )
                    .send()
                    .await
                    .expect("upload")
            }
        };
        let resp = upload("kk.pdf", PDF.to_vec()).await;
        assert_eq!(resp.status(), 201);
        let doc = json_of(resp).await["id"].as_str().expect("id").to_string();
        let resp = upload("kk.exe", b"MZ\x90\x00 not a document".to_vec()).await;
        assert_eq!(error_of(resp).await, (422, "document_type".into()));
        let resp = app
            .get(
                &token,
                &format!("/api/v1/me/applications/{id}/documents/{doc}"),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.bytes().await.expect("bytes").as_ref(), PDF);
        let me = json_of(app.get(&token, "/api/v1/me").await).await;
        assert_eq!(me["applications"][0]["id"], id.as_str());
        assert_eq!(me["documents"][0]["document"]["id"], doc.as_str());

        // The officers see it, and only they take it further.
        let seen = json_of(
            app.get(&kab.token, &format!("/api/v1/applications/{id}"))
                .await,
        )
        .await;
        assert_eq!(seen["application"]["channel"], "online");
        let resp = app
            .post(
                &token,
                &format!("/api/v1/me/applications/{id}/steps"),
                &json!({"action": "forward"}),
            )
            .await;
        assert_eq!(resp.status(), 403);
        let resp = app
            .post(
                &token,
                &format!("/api/v1/me/applications/{id}/documents/{doc}/check"),
                &json!({}),
            )
            .await;
        assert!(
            matches!(resp.status().as_u16(), 404 | 405),
            "{}",
            resp.status()
        );
        let resp = app
            .post(
                &token,
                &format!("/api/v1/me/applications/{id}/steps"),
                &json!({"action": "withdraw"}),
            )
            .await;
        assert_eq!(resp.status(), 422);
        let resp = app
            .post(
                &token,
                &format!("/api/v1/me/applications/{id}/steps"),
                &json!({"action": "withdraw", "reason": "Sudah dapat bantuan lain"}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let d = json_of(resp).await;
        assert_eq!(d["application"]["state"], "withdrawn");
        assert!(d["events"].as_array().expect("events").iter().any(|e| {
            e["actor"]
                .as_str()
                .is_some_and(|a| a.starts_with("resident:"))
        }));
    }
}

#[tokio::test]
async fn change_requests_are_confirmed_or_rejected_by_an_officer_of_the_area() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let other = app
            .officer("tetangga", "village_officer", Some(SIBLING_VILLAGE))
            .await;
        let far = app
            .officer(
                "jauh",
                "subdistrict_officer",
                Some(&OTHER_DISTRICT_VILLAGE[..8]),
            )
            .await;
        let nik_a = nik(VILLAGE, 1);
        let (household_id, people) = register(&app, &desa.token, VILLAGE, &nik_a).await;
        let token = log_in(&app, &nik_a).await;

        let ask = |body: Value| {
            let app = &app;
            let token = token.clone();
            async move { app.post(&token, "/api/v1/me/change-requests", &body).await }
        };
        let resp = ask(json!({"kind": "phone", "phone": "0812 3456 7890"})).await;
        assert_eq!(resp.status(), 422, "the same number");
        let resp = ask(json!({"kind": "phone", "phone": "12"})).await;
        assert_eq!(resp.status(), 422);
        let resp = ask(json!({"kind": "colour"})).await;
        assert_eq!(resp.status(), 422);
        let resp =
            ask(json!({"kind": "phone", "phone": "0813 1111 2222", "note": "HP lama hilang"}))
                .await;
        assert_eq!(resp.status(), 201);
        let phone = json_of(resp).await;
        assert_eq!(phone["state"], "pending");
        assert_eq!(phone["requested"]["phone"], "+6281311112222");
        let resp = ask(json!({"kind": "phone", "phone": "0813 3333 4444"})).await;
        assert_eq!(error_of(resp).await, (409, "change_request_pending".into()));
        let resp =
            ask(json!({"kind": "address", "address": "Jl. Kenanga 3", "rt": "5", "rw": "2"})).await;
        assert_eq!(resp.status(), 201);
        let address = json_of(resp).await;
        let phone_id = phone["id"].as_str().expect("id");
        let address_id = address["id"].as_str().expect("id");

        // Officers of other areas neither see nor decide them.
        for o in [&other, &far] {
            let list = json_of(app.get(&o.token, "/api/v1/change-requests").await).await;
            assert_eq!(list, json!([]));
            let resp = app
                .post(
                    &o.token,
                    &format!("/api/v1/change-requests/{phone_id}/confirm"),
                    &json!({}),
                )
                .await;
            assert_eq!(resp.status(), 404);
        }
        // Residents do not decide their own.
        let resp = app
            .post(
                &token,
                &format!("/api/v1/change-requests/{phone_id}/confirm"),
                &json!({}),
            )
            .await;
        assert_eq!(resp.status(), 401);

        let list = json_of(
            app.get(&desa.token, "/api/v1/change-requests?state=pending")
                .await,
        )
        .await;
        assert_eq!(list.as_array().map(Vec::len), Some(2));
        let resp = app
            .post(
                &desa.token,
                &format!("/api/v1/change-requests/{phone_id}/confirm"),
                &json!({}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(json_of(resp).await["state"], "confirmed");
        let resp = app
            .post(
                &desa.token,
                &format!("/api/v1/change-requests/{phone_id}/confirm"),
                &json!({}),
            )
            .await;
        assert_eq!(error_of(resp).await, (409, "change_request_decided".into()));
        // The resident is told at the new number.
        let told = query_one(
            app.pintu.store.conn(),
            "SELECT recipient, body FROM outbox_messages WHERE template = 'change_confirmed'",
            vec![],
        )
        .await
        .expect("query")
        .expect("a message");
        assert_eq!(
            col::<String>(&told, "recipient").expect("to"),
            "6281311112222"
        );
        let person = json_of(
            app.get(&desa.token, &format!("/api/v1/persons/{}", people[0]))
                .await,
        )
        .await;
        assert_eq!(person["person"]["phone"], "+6281311112222");
        assert!(
            person["history"].to_string().contains("change request"),
            "{}",
            person["history"]
        );

        let resp = app
            .post(
                &desa.token,
                &format!("/api/v1/change-requests/{address_id}/reject"),
                &json!({}),
            )
            .await;
        assert_eq!(
            error_of(resp).await,
            (422, "change_request_reason_required".into())
        );
        let resp = app
            .post(
                &desa.token,
                &format!("/api/v1/change-requests/{address_id}/reject"),
                &json!({"reason": "Alamat belum sesuai KK; bawa KK ke kantor desa"}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let rejected = query_one(
            app.pintu.store.conn(),
            "SELECT body FROM outbox_messages WHERE template = 'change_rejected'",
            vec![],
        )
        .await
        .expect("query")
        .expect("a message");
        let body: String = col(&rejected, "body").expect("body");
        assert!(body.contains("Alamat belum sesuai KK"), "{body}");
        let household = json_of(
            app.get(&desa.token, &format!("/api/v1/households/{household_id}"))
                .await,
        )
        .await;
        assert_eq!(household["household"]["address"], "Jl. Melati No. 12");

        // A confirmed address changes the household, with its history.
        let resp =
            ask(json!({"kind": "address", "address": "Jl. Kenanga 3", "rt": "5", "rw": "2"})).await;
        let again = json_of(resp).await;
        let resp = app
            .post(
                &desa.token,
                &format!(
                    "/api/v1/change-requests/{}/confirm",
                    again["id"].as_str().expect("id")
                ),
                &json!({}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let household = json_of(
            app.get(&desa.token, &format!("/api/v1/households/{household_id}"))
                .await,
        )
        .await;
        assert_eq!(household["household"]["address"], "Jl. Kenanga 3");
        assert_eq!(household["household"]["rt"], "005");

        let me = json_of(app.get(&token, "/api/v1/me").await).await;
        let states: Vec<&str> = me["change_requests"]
            .as_array()
            .expect("requests")
            .iter()
            .map(|r| r["state"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(states, ["confirmed", "rejected", "confirmed"]);
        assert_eq!(me["phone"], "+6281311112222");
    }
}

#[tokio::test]
async fn a_resident_reads_their_messages_in_the_language_they_chose() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let nik_a = nik(VILLAGE, 1);
        register(&app, &desa.token, VILLAGE, &nik_a).await;
        let token = log_in(&app, &nik_a).await;
        let first = query_one(
            app.pintu.store.conn(),
            "SELECT lang, body FROM outbox_messages ORDER BY id DESC LIMIT 1",
            vec![],
        )
        .await
        .expect("query")
        .expect("row");
        assert_eq!(col::<String>(&first, "lang").expect("lang"), "id");

        let resp = app
            .client
            .put(app.url("/api/v1/me/language"))
            .bearer_auth(&token)
            .json(&json!({"language": "en"}))
            .send()
            .await
            .expect("put");
        assert_eq!(json_of(resp).await["language"], "en");
        log_in(&app, &nik_a).await;
        let second = query_one(
            app.pintu.store.conn(),
            "SELECT lang, body FROM outbox_messages ORDER BY id DESC LIMIT 1",
            vec![],
        )
        .await
        .expect("query")
        .expect("row");
        assert_eq!(col::<String>(&second, "lang").expect("lang"), "en");
        assert!(
            col::<String>(&second, "body")
                .expect("body")
                .contains("your login code")
        );
    }
}

/// The value of an `<input ... name="{name}" value="...">` in a page.
/// The resident's household page, as HTML.
async fn home_page(c: &reqwest::Client, app: &TestApp) -> String {
    c.get(app.url("/me"))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("html")
}

fn input_value(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in the page"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').expect("closing quote")].to_string()
}

/// Logs a resident in through the portal's pages; returns the client holding the session.
pub(crate) async fn portal(app: &TestApp, nik: &str) -> (reqwest::Client, String) {
    let c = app.browser_client();
    let page = c
        .get(app.url("/me/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("html");
    let csrf = crate::pages::csrf_of(&page);
    let resp = c
        .post(app.url("/me/login"))
        .form(&[("csrf", csrf.as_str()), ("nik", nik), ("birth_date", BIRTH)])
        .send()
        .await
        .expect("start");
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.expect("html");
    assert!(page.contains("id=\"code-form\""), "{page}");
    assert!(!page.contains(nik), "the NIK is not echoed");
    let challenge = input_value(&page, "challenge");
    let wrong = c
        .post(app.url("/me/login/code"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("challenge", &challenge),
            ("code", "12"),
        ])
        .send()
        .await
        .expect("verify");
    assert_eq!(wrong.status(), 422);
    assert!(
        wrong
            .text()
            .await
            .expect("html")
            .contains("id=\"code-form\"")
    );
    let code = last_code(app).await;
    let resp = c
        .post(app.url("/me/login/code"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("challenge", &challenge),
            ("code", &code),
        ])
        .send()
        .await
        .expect("verify");
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/me");
    let home = home_page(&c, app).await;
    let token = crate::pages::csrf_of(&home);
    (c, token)
}

#[tokio::test]
async fn the_portal_pages_log_a_resident_in_apply_and_ask_for_a_change() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let nik_a = nik(VILLAGE, 1);
    let (_, people) = register(&app, &desa.token, VILLAGE, &nik_a).await;
    programme_with_documents(&app.pintu.store, "BANTU-T", Some("35.07")).await;

    // Without a session the portal sends to its login; officers' sessions do not count.
    let anonymous = app.browser_client();
    let resp = anonymous.get(app.url("/me")).send().await.expect("me");
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/me/login");
    let resp = anonymous
        .post(app.url("/me/login"))
        .form(&[
            ("csrf", "forged"),
            ("nik", nik_a.as_str()),
            ("birth_date", BIRTH),
        ])
        .send()
        .await
        .expect("forged");
    assert_eq!(resp.status(), 403);

    let (c, csrf) = portal(&app, &nik_a).await;
    let home = home_page(&c, &app).await;
    assert!(home.contains("Budi Santoso") && home.contains("Siti Aminah"));
    assert!(!home.contains(&nik_a));
    assert!(home.contains("href=\"/me/change\""));

    // "Why?" for a member, and applying from it.
    let why = c
        .get(app.url(&format!("/me/persons/{}", people[0])))
        .send()
        .await
        .expect("why");
    assert_eq!(why.status(), 200);
    let why = why.text().await.expect("html");
    assert!(why.contains("id=\"apply-BANTU-T\""), "{why}");
    let resp = c
        .get(app.url(&format!("/me/persons/{}", uuid_like())))
        .send()
        .await
        .expect("other");
    assert_eq!(resp.status(), 404);
    let resp = c
        .post(app.url("/me/apply"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("person_id", people[0].as_str()),
            ("programme", "BANTU-T"),
        ])
        .send()
        .await
        .expect("apply");
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(location.starts_with("/me/applications/"), "{location}");
    let page = c
        .get(app.url(&location))
        .send()
        .await
        .expect("application")
        .text()
        .await
        .expect("html");
    assert!(page.contains("id=\"document-form\"") && page.contains("id=\"do-withdraw\""));
    // Applying twice shows the reason on the "why?" page.
    let resp = c
        .post(app.url("/me/apply"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("person_id", people[0].as_str()),
            ("programme", "BANTU-T"),
        ])
        .send()
        .await
        .expect("apply");
    assert_eq!(resp.status(), 409);
    assert!(resp.text().await.expect("html").contains("form-errors"));

    // Asking for a new phone number; a wrong one is shown with its error.
    let resp = c
        .post(app.url("/me/change"))
        .form(&[("csrf", csrf.as_str()), ("kind", "phone"), ("phone", "abc")])
        .send()
        .await
        .expect("change");
    assert_eq!(resp.status(), 422);
    let resp = c
        .post(app.url("/me/change"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "phone"),
            ("phone", "0813 1111 2222"),
        ])
        .send()
        .await
        .expect("change");
    assert_eq!(resp.status(), 303);
    let home = c
        .get(app.url("/me?notice=me-change-sent"))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("html");
    assert!(home.contains("+6281311112222"), "the request is listed");

    // The village officer confirms it on the change-requests page.
    let (officer, officer_csrf) = crate::pages::logged_in(&app, &desa.username).await;
    let dashboard = officer
        .get(app.url("/"))
        .send()
        .await
        .expect("dashboard")
        .text()
        .await
        .expect("html");
    assert!(
        dashboard.contains("id=\"count-pending-changes\">1<"),
        "the dashboard counts the waiting request"
    );
    let list = officer
        .get(app.url("/change-requests"))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("html");
    let id = list
        .split("id=\"confirm-")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a request to confirm")
        .to_string();
    let resp = officer
        .post(app.url(&format!("/change-requests/{id}/reject")))
        .form(&[("csrf", officer_csrf.as_str()), ("reason", "")])
        .send()
        .await
        .expect("reject");
    assert_eq!(resp.status(), 422);
    let resp = officer
        .post(app.url(&format!("/change-requests/{id}/confirm")))
        .form(&[("csrf", officer_csrf.as_str())])
        .send()
        .await
        .expect("confirm");
    assert_eq!(resp.status(), 303);
    let home = home_page(&c, &app).await;
    assert!(home.contains("id=\"my-phone\">+6281311112222"), "{home}");

    // A complaint from the portal; the officer's page offers an application from it.
    let resp = c
        .post(app.url("/me/complaints"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("category", ""),
            ("description", ""),
        ])
        .send()
        .await
        .expect("complain");
    assert_eq!(resp.status(), 422);
    let resp = c
        .post(app.url("/me/complaints"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("category", "exclusion_error"),
            ("programme", "BANTU-T"),
            ("description", "Istri saya tidak terdaftar."),
        ])
        .send()
        .await
        .expect("complain");
    assert_eq!(resp.status(), 303);
    let home = home_page(&c, &app).await;
    assert!(home.contains("35.07-"), "the reference is listed");
    let complaints = json_of(app.get(&desa.token, "/api/v1/complaints").await).await;
    let complaint_id = complaints["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let page = officer
        .get(app.url(&format!("/complaints/{complaint_id}")))
        .send()
        .await
        .expect("complaint")
        .text()
        .await
        .expect("html");
    assert!(page.contains("id=\"complaint-apply\""), "{page}");
    let form = officer
        .get(app.url(&format!(
            "/applications/new?person={}&complaint={complaint_id}&programme=BANTU-T",
            people[0]
        )))
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("html");
    assert!(form.contains("id=\"from-complaint\""));

    // Logging out ends the portal session.
    let resp = c
        .post(app.url("/me/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(resp.status(), 303);
    let resp = c.get(app.url("/me")).send().await.expect("me");
    assert_eq!(resp.status(), 303);
}

pub(crate) fn uuid_like() -> String {
    "01930000-0000-7000-8000-000000000000".to_string()
}

#[tokio::test]
async fn a_residents_complaint_is_answered_by_sms_and_an_exclusion_complaint_opens_an_application()
{
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let nik_a = nik(VILLAGE, 1);
        let (_, people) = register(&app, &desa.token, VILLAGE, &nik_a).await;
        let (_, others) = register(&app, &desa.token, VILLAGE, &nik(VILLAGE, 2)).await;
        programme_with_documents(&app.pintu.store, "BANTU-T", Some("35.07")).await;
        let token = log_in(&app, &nik_a).await;

        // Bad input is refused; a complaint in the portal goes to the village office.
        let resp = app
            .post(
                &token,
                "/api/v1/me/complaints",
                &json!({"category": "", "description": "x"}),
            )
            .await;
        assert_eq!(resp.status(), 422);
        let resp = app
            .post(
                &token,
                "/api/v1/me/complaints",
                &json!({"category": "exclusion_error", "programme": "BANTU-T", "description": "Anak saya tidak terdaftar padahal memenuhi syarat."}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let mine = json_of(resp).await;
        assert_eq!(mine["channel"], "portal");
        assert_eq!(mine["status"], "open");
        let id = mine["id"].as_str().expect("id").to_string();
        let me = json_of(app.get(&token, "/api/v1/me").await).await;
        assert_eq!(me["complaints"][0]["reference"], mine["reference"]);

        // The village office opens an application for the complainant's child from it.
        let resp = app
            .post(
                &desa.token,
                "/api/v1/applications",
                &json!({"person_id": others[0], "programme": "BANTU-T", "complaint_id": id}),
            )
            .await;
        assert_eq!(
            error_of(resp).await,
            (422, "complaint_person_mismatch".into())
        );
        let resp = app
            .post(
                &desa.token,
                "/api/v1/applications",
                &json!({"person_id": people[1], "programme": "BANTU-T", "complaint_id": id}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let application = json_of(resp).await;
        assert_eq!(application["application"]["complaint_id"], id.as_str());
        let complaint = json_of(
            app.get(&desa.token, &format!("/api/v1/complaints/{id}"))
                .await,
        )
        .await;
        assert_eq!(
            complaint["applications"][0]["id"],
            application["application"]["id"]
        );
        assert!(complaint["events"].to_string().contains("application"));

        // Resolving it tells the complainant the answer by SMS.
        let resp = app
            .post(
                &desa.token,
                &format!("/api/v1/complaints/{id}/steps"),
                &json!({"action": "resolve", "note": "Permohonan BANTU-T sudah dibuat untuk anak Anda."}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let complaint = json_of(
            app.get(&desa.token, &format!("/api/v1/complaints/{id}"))
                .await,
        )
        .await;
        let sms = complaint["messages"][0]["body"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(
            sms.contains(mine["reference"].as_str().expect("reference"))
                && sms.contains("BANTU-T sudah dibuat"),
            "{sms}"
        );
        assert!(sms.len() <= 160);
        let me = json_of(app.get(&token, "/api/v1/me").await).await;
        assert_eq!(me["complaints"][0]["status"], "resolved");
        // A resolved complaint opens no more applications.
        let resp = app
            .post(
                &desa.token,
                "/api/v1/applications",
                &json!({"person_id": people[2], "programme": "BANTU-T", "complaint_id": id}),
            )
            .await;
        assert_eq!(error_of(resp).await, (422, "complaint_not_open".into()));
    }
}

/// A complaint the resident of `token` makes through the API: its id.
async fn my_complaint(app: &TestApp, token: &str, description: &str) -> String {
    let resp = app
        .post(
            token,
            "/api/v1/me/complaints",
            &json!({"category": "benefit_delay", "description": description}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    json_of(resp).await["id"].as_str().expect("id").to_string()
}

/// Posts the portal's complaint form as a browser does, with `file` when given.
async fn complaint_form(
    c: &reqwest::Client,
    app: &TestApp,
    csrf: &str,
    description: &str,
    file: Option<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .text("category", "benefit_delay")
        .text("programme", "")
        .text("description", description.to_string());
    if let Some((name, bytes)) = file {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    }
    c.post(app.url("/me/complaints"))
        .multipart(form)
        .send()
        .await
        .expect("complain")
}

#[tokio::test]
async fn a_resident_attaches_a_file_to_a_complaint_of_theirs_and_to_no_other() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let nik_a = nik(VILLAGE, 1);
        let (_, people) = register(&app, &desa.token, VILLAGE, &nik_a).await;
        let (_, others) = register(&app, &desa.token, VILLAGE, &nik(VILLAGE, 2)).await;
        let token = log_in(&app, &nik_a).await;
        let attach = |id: String, name: &'static str, bytes: Vec<u8>| {
            let (app, token) = (&app, token.clone());
            async move {
                app.client
                    .post(app.url(&format!("/api/v1/me/complaints/{id}/attachments")))
                    .bearer_auth(&token)
                    .multipart(reqwest::multipart::Form::new().part(
                        "file",
                        reqwest::multipart::Part::bytes(bytes).file_name(name),
                    ))
                    .send()
                    .await
                    .expect("attach")
            }
        };

        // Through the API, to a complaint the resident made.
        let id = my_complaint(&app, &token, "Bantuan bulan ini belum diterima.").await;
        let resp = attach(id.clone(), "surat.pdf", PDF.to_vec()).await;
        assert_eq!(resp.status(), 201, "{backend:?}");
        let attached = json_of(resp).await;
        assert_eq!(attached["file_name"], "surat.pdf");
        assert_eq!(
            error_of(attach(id.clone(), "catatan.txt", b"bukan gambar".to_vec()).await).await,
            (422, "attachment_type".into())
        );
        let complaint = json_of(
            app.get(&desa.token, &format!("/api/v1/complaints/{id}"))
                .await,
        )
        .await;
        let files = complaint["attachments"].as_array().expect("attachments");
        assert_eq!(files.len(), 1, "{complaint}");
        assert_eq!(files[0]["id"], attached["id"]);

        // A complaint recorded by the office, even about the resident, is not theirs to add
        // to; nor is a complaint of another household, nor one that does not exist.
        for person in [&people[0], &others[0]] {
            let resp = app
                .post(
                    &desa.token,
                    "/api/v1/complaints",
                    &json!({"channel": "village_intermediary", "village_code": VILLAGE,
                            "complainant_person_id": person, "category": "other",
                            "description": "Dicatat di kantor desa."}),
                )
                .await;
            assert_eq!(resp.status(), 201);
            let theirs = json_of(resp).await["id"].as_str().expect("id").to_string();
            let resp = attach(theirs, "surat.pdf", PDF.to_vec()).await;
            assert_eq!(resp.status(), 404, "{backend:?}");
        }
        let neighbour = log_in(&app, &nik(VILLAGE, 2)).await;
        let theirs = my_complaint(&app, &neighbour, "Pengaduan tetangga.").await;
        let resp = attach(theirs, "surat.pdf", PDF.to_vec()).await;
        assert_eq!(
            resp.status(),
            404,
            "{backend:?}: the neighbour's portal complaint"
        );
        let resp = attach(
            "00000000-0000-7000-8000-000000000000".into(),
            "surat.pdf",
            PDF.to_vec(),
        )
        .await;
        assert_eq!(resp.status(), 404);

        // Through the page: a wrong file sends the form back with nothing saved; a good one
        // goes with the complaint.
        let before = count(&app, "SELECT COUNT(*) AS n FROM complaints").await;
        let (c, csrf) = portal(&app, &nik_a).await;
        let page = c
            .get(app.url("/me/complaints"))
            .send()
            .await
            .expect("form")
            .text()
            .await
            .expect("html");
        assert!(
            page.contains("enctype=\"multipart/form-data\"") && page.contains("name=\"file\""),
            "{page}"
        );
        let resp = complaint_form(
            &c,
            &app,
            &csrf,
            "Kartu saya rusak.",
            Some(("kartu.txt", b"bukan gambar".to_vec())),
        )
        .await;
        assert_eq!(resp.status(), 422);
        let page = resp.text().await.expect("html");
        assert!(
            page.contains("Kartu saya rusak."),
            "the form keeps what was typed"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM complaints").await,
            before
        );
        let resp = complaint_form(
            &c,
            &app,
            &csrf,
            "Kartu saya rusak.",
            Some(("kartu.pdf", PDF.to_vec())),
        )
        .await;
        assert_eq!(resp.status(), 303);
        assert_eq!(resp.headers()["location"], "/me?notice=me-complaint-sent");
        let mine = json_of(app.get(&token, "/api/v1/me").await).await;
        let newest = mine["complaints"][0]["id"]
            .as_str()
            .expect("id")
            .to_string();
        let complaint = json_of(
            app.get(&desa.token, &format!("/api/v1/complaints/{newest}"))
                .await,
        )
        .await;
        assert_eq!(complaint["complaint"]["description"], "Kartu saya rusak.");
        assert_eq!(complaint["attachments"][0]["file_name"], "kartu.pdf");
        // The resident sees what they sent with each complaint.
        assert_eq!(mine["complaints"][0]["attachments"], json!(["kartu.pdf"]));
        let first = mine["complaints"]
            .as_array()
            .expect("complaints")
            .iter()
            .find(|k| k["id"] == id.as_str())
            .expect("the first complaint");
        assert_eq!(first["attachments"], json!(["surat.pdf"]));
        let home = home_page(&c, &app).await;
        assert!(
            home.contains("class=\"complaint-files\"") && home.contains("kartu.pdf"),
            "{home}"
        );
        // Without a file, as before.
        let resp = complaint_form(&c, &app, &csrf, "Tanpa lampiran.", None).await;
        assert_eq!(resp.status(), 303);
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM complaints").await,
            before + 2
        );
        let audited = count(
            &app,
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'resident.complaint_attachment'",
        )
        .await;
        assert_eq!(audited, 2, "{backend:?}");
    }
}

#[tokio::test]
async fn the_officer_and_resident_login_forms_keep_their_own_csrf_tokens() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let nik_a = nik(VILLAGE, 1);
    register(&app, &desa.token, VILLAGE, &nik_a).await;
    let c = app.browser_client();
    let page = |path: &'static str| {
        let c = c.clone();
        let url = app.url(path);
        async move {
            c.get(url)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html")
        }
    };
    // Both forms open in one browser, in either order: each still goes through.
    let resident_form = crate::pages::csrf_of(&page("/me/login").await);
    let officer_form = crate::pages::csrf_of(&page("/login").await);
    let resp = c
        .post(app.url("/me/login"))
        .form(&[
            ("csrf", resident_form.as_str()),
            ("nik", nik_a.as_str()),
            ("birth_date", BIRTH),
        ])
        .send()
        .await
        .expect("resident login");
    assert_eq!(resp.status(), 200);
    assert!(
        resp.text()
            .await
            .expect("html")
            .contains("id=\"code-form\""),
        "the resident's form went through after the officers' page was opened"
    );
    let resp = c
        .post(app.url("/login"))
        .form(&[
            ("username", "desa"),
            ("password", pintu_testkit::TEST_PASSWORD),
            ("csrf", officer_form.as_str()),
        ])
        .send()
        .await
        .expect("officer login");
    assert_eq!(
        resp.status(),
        303,
        "the officer's form went through after the residents' page was opened"
    );
}
