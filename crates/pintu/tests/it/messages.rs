//! Messages to residents: decisions queued in the transaction that makes them, sent once
//! through the file gateway even when a dispatcher dies mid-send, the HTTP gateway against a
//! local server that fails, times out, refuses and succeeds, and the area scope.

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{Duration, SubsecRound, Utc};
use pintu_service::messages::{FileGateway, HttpGateway, LEASE, Notice, queue};
use pintu_store::outbox;
use pintu_testkit::{TestApp, backends, spawn_app};
use serde_json::{Value, json};

use crate::applications::programme_with_documents;
use crate::matching::family;
use crate::{SIBLING_VILLAGE, VILLAGE, json_of};

async fn forwarded_application(app: &TestApp, desa: &str, kec: &str, person: &str) -> String {
    let resp = app
        .post(
            desa,
            "/api/v1/applications",
            &json!({"person_id": person, "programme": "BANTU-T"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let d = json_of(resp).await;
    let id = d["application"]["id"].as_str().expect("id").to_string();
    for r in ["0", "1"] {
        let form = reqwest::multipart::Form::new().text("requirement", r).part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 x".to_vec()).file_name("d.pdf"),
        );
        let resp = app
            .client
            .post(app.url(&format!("/api/v1/applications/{id}/documents")))
            .bearer_auth(desa)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        let doc = json_of(resp).await["id"].as_str().expect("doc").to_string();
        let path = format!("/api/v1/applications/{id}/documents/{doc}/check");
        assert_eq!(app.post(desa, &path, &json!({})).await.status(), 200);
    }
    for (token, action) in [(desa, "submit"), (kec, "forward")] {
        let resp = app
            .post(
                token,
                &format!("/api/v1/applications/{id}/steps"),
                &json!({"action": action}),
            )
            .await;
        assert_eq!(resp.status(), 200, "{action}");
    }
    id
}

async fn messages(app: &TestApp, token: &str) -> Vec<Value> {
    json_of(app.get(token, "/api/v1/messages").await).await["items"]
        .as_array()
        .expect("items")
        .clone()
}

#[tokio::test]
async fn a_decision_is_told_to_the_applicant_once_through_the_outbox() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kec = app
            .officer("kec", "subdistrict_officer", Some("35.07.01"))
            .await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let other = app
            .officer("tetangga", "village_officer", Some(SIBLING_VILLAGE))
            .await;
        let people = family(&app, &kab.token, VILLAGE, 1, 2).await;
        programme_with_documents(&app.pintu.store, "BANTU-T", None).await;
        let id = forwarded_application(&app, &desa.token, &kec.token, &people[0]).await;
        assert!(
            messages(&app, &kab.token).await.is_empty(),
            "nothing decided yet"
        );

        // A refused step queues nothing; the decision queues its message with it.
        let steps = format!("/api/v1/applications/{id}/steps");
        let resp = app
            .post(&kab.token, &steps, &json!({"action": "reject"}))
            .await;
        assert_eq!(resp.status(), 422);
        assert!(messages(&app, &kab.token).await.is_empty(), "{backend:?}");
        let reason = "Penghasilan keluarga di atas batas program";
        let resp = app
            .post(
                &kab.token,
                &steps,
                &json!({"action": "reject", "reason": reason}),
            )
            .await;
        let d = json_of(resp).await;
        assert_eq!(d["messages"].as_array().expect("messages").len(), 1);
        let queued = messages(&app, &desa.token).await;
        assert_eq!(queued.len(), 1, "{backend:?}");
        let m = &queued[0];
        assert_eq!(m["status"], "queued");
        assert_eq!(m["recipient"], "6281234567890");
        assert_eq!(m["template"], "application_rejected");
        assert_eq!(m["subject_id"], id.as_str());
        let body = m["body"].as_str().expect("body");
        assert!(
            body.contains(reason) && body.contains("BANTU-T") && body.len() <= 160,
            "{body}"
        );
        let mid = m["id"].as_str().expect("id").to_string();

        // Another village's officer sees none of it.
        assert!(messages(&app, &other.token).await.is_empty());
        let resp = app
            .get(&other.token, &format!("/api/v1/messages/{mid}"))
            .await;
        assert_eq!(resp.status(), 404);
        let resp = app
            .get(&desa.token, &format!("/api/v1/messages/{mid}"))
            .await;
        assert_eq!(resp.status(), 200);

        // A dispatcher claims it and dies after the gateway took it, before recording that.
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("sms.jsonl");
        let gateway = FileGateway::new(&file);
        let t0 = Utc::now();
        let lease = (t0 + LEASE).trunc_subsecs(3);
        let claimed = outbox::claim_due(app.pintu.store.conn(), t0, lease, 10)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 1);
        let out = pintu_service::messages::Outgoing {
            reference: claimed[0].id.clone(),
            to: claimed[0].recipient.clone(),
            text: claimed[0].body.clone(),
        };
        use pintu_service::messages::Gateway;
        assert!(matches!(
            gateway.send(&out).await,
            pintu_service::messages::SendOutcome::Accepted(_)
        ));
        // While its lease holds, no other dispatcher takes it.
        let run = app
            .pintu
            .dispatch_messages(&gateway, t0, 10)
            .await
            .expect("run");
        assert_eq!(run.sent, 0);
        // When the lease has run out, the next dispatcher sends it again under the same
        // reference: the gateway knows it, and the resident gets one SMS.
        let later = t0 + LEASE + Duration::minutes(1);
        let run = app
            .pintu
            .dispatch_messages(&gateway, later, 10)
            .await
            .expect("run");
        assert_eq!(run.sent, 1, "{backend:?}");
        let lines: Vec<Value> = std::fs::read_to_string(&file)
            .expect("file")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(lines.len(), 1, "sent once");
        assert_eq!(lines[0]["reference"], mid.as_str());
        assert_eq!(lines[0]["to"], "6281234567890");
        // The first dispatcher's late report changes nothing.
        let kept = outbox::finish(
            app.pintu.store.conn(),
            &mid,
            lease,
            "queued",
            1,
            t0,
            Some("late"),
            None,
            t0,
        )
        .await
        .expect("finish");
        assert!(!kept);
        let m = json_of(
            app.get(&desa.token, &format!("/api/v1/messages/{mid}"))
                .await,
        )
        .await;
        assert_eq!(m["status"], "sent");
        assert_eq!(m["attempts"], 1);
        assert!(m["sent_at"].is_string());
        let run = app
            .pintu
            .dispatch_messages(&gateway, later, 10)
            .await
            .expect("run");
        assert_eq!(
            (run.sent, run.retried, run.failed),
            (0, 0, 0),
            "nothing left to send"
        );

        // Someone without a phone number gets no message, and the decision still stands.
        let child = forwarded_application(&app, &desa.token, &kec.token, &people[2]).await;
        let resp = app
            .post(
                &kab.token,
                &format!("/api/v1/applications/{child}/steps"),
                &json!({"action": "approve"}),
            )
            .await;
        assert_eq!(json_of(resp).await["application"]["state"], "approved");
        assert_eq!(messages(&app, &kab.token).await.len(), 1);
    }
}

/// What the local aggregator does with each request, in turn.
#[derive(Clone, Copy)]
enum Answer {
    Fail,
    Hang,
    Refuse,
    Accept,
}

#[derive(Clone, Default)]
struct Aggregator {
    script: Arc<Mutex<Vec<Answer>>>,
    seen: Arc<Mutex<Vec<(String, Value)>>>,
}

async fn aggregator(
    State(a): State<Aggregator>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    a.seen.lock().expect("seen").push((key, body));
    if auth != "Bearer rahasia" {
        return (StatusCode::UNAUTHORIZED, Json(json!({})));
    }
    let next = {
        let mut s = a.script.lock().expect("script");
        if s.is_empty() {
            Answer::Accept
        } else {
            s.remove(0)
        }
    };
    match next {
        Answer::Fail => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "down"})),
        ),
        Answer::Hang => {
            tokio::time::sleep(StdDuration::from_secs(5)).await;
            (StatusCode::OK, Json(json!({"id": "too-late"})))
        }
        Answer::Refuse => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "bad number"})),
        ),
        Answer::Accept => (StatusCode::OK, Json(json!({"id": "gw-42"}))),
    }
}

async fn queued(app: &TestApp, person: &str, phone: &str) -> String {
    queue(
        app.pintu.store.conn(),
        &Notice {
            person_id: person,
            village_code: VILLAGE,
            phone: Some(phone),
            template: pintu_domain::messages::Template::ApplicationEnrolled,
            programme: "PKH",
            reason: None,
            subject_type: "application",
            subject_id: "none",
        },
        Utc::now(),
    )
    .await
    .expect("queue")
    .expect("a phone")
}

async fn status_of(app: &TestApp, id: &str) -> outbox::MessageRow {
    outbox::get(
        app.pintu.store.conn(),
        &pintu_domain::access::Scope::National,
        id,
    )
    .await
    .expect("get")
    .expect("message")
}

#[tokio::test]
async fn the_http_gateway_retries_failures_and_timeouts_and_gives_up_on_refusals() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let kab = app.officer("kab", "district_officer", Some("35.07")).await;
    let people = family(&app, &kab.token, VILLAGE, 1, 2).await;
    let agg = Aggregator::default();
    *agg.script.lock().expect("script") =
        vec![Answer::Fail, Answer::Hang, Answer::Accept, Answer::Refuse];
    let router = axum::Router::new()
        .route("/sms", post(aggregator))
        .with_state(agg.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    let url = format!("http://{addr}/sms");
    let gateway = HttpGateway::new(&url, Some("rahasia".into()), StdDuration::from_millis(500))
        .expect("gateway");

    let id = queued(&app, &people[0], "0812 1111 2222").await;
    let t0 = Utc::now() + Duration::seconds(1);
    // 500: tried again in a minute.
    let run = app
        .pintu
        .dispatch_messages(&gateway, t0, 10)
        .await
        .expect("run");
    assert_eq!(run.retried, 1);
    let m = status_of(&app, &id).await;
    assert_eq!((m.status.as_str(), m.attempts), ("queued", 1));
    assert_eq!(m.last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(m.next_attempt_at, t0 + Duration::minutes(1));
    let run = app
        .pintu
        .dispatch_messages(&gateway, t0, 10)
        .await
        .expect("run");
    assert_eq!(run.retried + run.sent, 0, "not before its time");
    // No answer in time: tried again two minutes later.
    let t1 = t0 + Duration::minutes(1);
    let run = app
        .pintu
        .dispatch_messages(&gateway, t1, 10)
        .await
        .expect("run");
    assert_eq!(run.retried, 1);
    let m = status_of(&app, &id).await;
    assert_eq!((m.attempts, m.last_error.as_deref()), (2, Some("timeout")));
    assert_eq!(m.next_attempt_at, t1 + Duration::minutes(2));
    // Accepted, with the aggregator's reference.
    let run = app
        .pintu
        .dispatch_messages(&gateway, t1 + Duration::minutes(2), 10)
        .await
        .expect("run");
    assert_eq!(run.sent, 1);
    let m = status_of(&app, &id).await;
    assert_eq!(
        (m.status.as_str(), m.gateway_ref.as_deref()),
        ("sent", Some("gw-42"))
    );
    {
        let seen = agg.seen.lock().expect("seen");
        assert_eq!(seen.len(), 3);
        for (key, body) in seen.iter() {
            assert_eq!(key, &id, "the same reference on every attempt");
            assert_eq!(body["to"], "6281211112222");
            assert_eq!(body["reference"], id.as_str());
            assert!(body["text"].as_str().expect("text").contains("TERDAFTAR"));
        }
    }

    // A refusal is final.
    let refused = queued(&app, &people[1], "0812 3333 4444").await;
    let run = app
        .pintu
        .dispatch_messages(&gateway, t0 + Duration::hours(1), 10)
        .await
        .expect("run");
    assert_eq!(run.failed, 1);
    let m = status_of(&app, &refused).await;
    assert_eq!(
        (m.status.as_str(), m.last_error.as_deref()),
        ("failed", Some("HTTP 400"))
    );

    // A gateway that keeps failing is given up after the last attempt.
    *agg.script.lock().expect("script") = vec![Answer::Fail; 10];
    let stubborn = queued(&app, &people[1], "0812 5555 6666").await;
    let mut at = t0 + Duration::hours(2);
    for _ in 0..pintu_domain::messages::MAX_ATTEMPTS {
        app.pintu
            .dispatch_messages(&gateway, at, 10)
            .await
            .expect("run");
        at += Duration::hours(1);
    }
    let m = status_of(&app, &stubborn).await;
    assert_eq!(
        (m.status.as_str(), m.attempts),
        ("failed", pintu_domain::messages::MAX_ATTEMPTS)
    );

    // A wrong token is a refusal too, and nothing was sent without it.
    let wrong = HttpGateway::new(&url, None, StdDuration::from_millis(500)).expect("gateway");
    let no_token = queued(&app, &people[0], "0812 7777 8888").await;
    let run = app
        .pintu
        .dispatch_messages(&wrong, at, 10)
        .await
        .expect("run");
    assert_eq!(run.failed, 1);
    assert_eq!(
        status_of(&app, &no_token).await.last_error.as_deref(),
        Some("HTTP 401")
    );
}

async fn sms(app: &TestApp, id: &str, from: &str, text: &str) -> reqwest::Response {
    let body = serde_json::to_vec(&json!({"id": id, "from": from, "text": text})).expect("json");
    let ts = Utc::now().timestamp();
    let sig = pintu_service::sms::sign(pintu_testkit::TEST_SMS_SECRET, ts, &body);
    app.client
        .post(app.url("/api/v1/sms/inbound"))
        .header("content-type", "application/json")
        .header("x-pintu-timestamp", ts.to_string())
        .header("x-pintu-signature", format!("sha256={sig}"))
        .body(body)
        .send()
        .await
        .expect("sms")
}

async fn reply(app: &TestApp, id: &str, from: &str, text: &str) -> (String, String) {
    let resp = sms(app, id, from, text).await;
    assert_eq!(resp.status(), 200, "{text}");
    let b = json_of(resp).await;
    (
        b["command"].as_str().expect("command").to_string(),
        b["reply"].as_str().expect("reply").to_string(),
    )
}

#[tokio::test]
async fn inbound_sms_are_signed_answered_once_and_only_about_the_senders_household() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let mine = family(&app, &kab.token, VILLAGE, 1, 2).await;
        let theirs = family(&app, &kab.token, VILLAGE, 2, 2).await;
        let resp = app
            .patch(
                &kab.token,
                &format!("/api/v1/persons/{}", theirs[0]),
                &json!({"phone": "0813 9999 0000", "reason": "nomor baru"}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        programme_with_documents(&app.pintu.store, "BANTU-T", None).await;
        let phone = "+62 812-3456-7890";
        let nik_of = |serial: u32| crate::nik(VILLAGE, serial);

        // Unsigned, wrongly signed, or old requests are refused before anything is read.
        let body = br#"{"id":"x1","from":"081234567890","text":"BANTUAN"}"#.to_vec();
        let resp = app
            .client
            .post(app.url("/api/v1/sms/inbound"))
            .body(body.clone())
            .send()
            .await
            .expect("post");
        assert_eq!(
            (
                resp.status().as_u16(),
                json_of(resp).await["error"]["code"].clone()
            ),
            (401, json!("signature_invalid"))
        );
        let ts = Utc::now().timestamp();
        let wrong = pintu_service::sms::sign("not-the-secret", ts, &body);
        let resp = app
            .client
            .post(app.url("/api/v1/sms/inbound"))
            .header("x-pintu-timestamp", ts.to_string())
            .header("x-pintu-signature", wrong)
            .body(body.clone())
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), 401);
        let old = ts - 3600;
        let sig = pintu_service::sms::sign(pintu_testkit::TEST_SMS_SECRET, old, &body);
        let resp = app
            .client
            .post(app.url("/api/v1/sms/inbound"))
            .header("x-pintu-timestamp", old.to_string())
            .header("x-pintu-signature", sig)
            .body(body)
            .send()
            .await
            .expect("post");
        assert_eq!(json_of(resp).await["error"]["code"], "signature_expired");

        // Help for anyone, for anything not understood.
        let (cmd, text) = reply(&app, "m1", "0899 1234 5678", "apa kabar?").await;
        assert_eq!(cmd, "bantuan");
        assert!(text.contains("CEK <NIK>") && text.len() <= 160, "{text}");
        // The same SMS posted again is refused.
        let resp = sms(&app, "m1", "0899 1234 5678", "apa kabar?").await;
        assert_eq!(
            (
                resp.status().as_u16(),
                json_of(resp).await["error"]["code"].clone()
            ),
            (409, json!("sms_replayed"))
        );

        // CEK: the sender's own household only.
        let (cmd, text) = reply(&app, "m2", phone, &format!("cek {}", nik_of(1))).await;
        assert_eq!(cmd, "cek");
        assert!(text.contains("Kepala 1 (3 orang)"), "{backend:?} {text}");
        let (_, text) = reply(&app, "m3", phone, &format!("CEK {}", nik_of(2))).await;
        assert!(
            text.contains("tidak ditemukan"),
            "another household stays private: {text}"
        );
        assert!(!text.contains("Kepala 2"));
        let (_, text) = reply(&app, "m4", "0899 1234 5678", &format!("CEK {}", nik_of(1))).await;
        assert!(
            text.contains("belum tercatat"),
            "an unknown number learns nothing: {text}"
        );

        // DAFTAR starts an application of the sender, once.
        let (cmd, text) = reply(&app, "m5", phone, "daftar bantu-t").await;
        assert_eq!(cmd, "daftar");
        assert!(text.contains("tercatat"), "{text}");
        let list = json_of(app.get(&kab.token, "/api/v1/applications").await).await;
        let apps = list["items"].as_array().expect("items");
        assert_eq!(apps.len(), 1);
        assert_eq!(apps[0]["person_id"], mine[0].as_str());
        assert_eq!(apps[0]["channel"], "sms");
        let (_, text) = reply(&app, "m6", phone, "DAFTAR BANTU-T").await;
        assert!(text.contains("sudah punya permohonan"), "{text}");
        let (_, text) = reply(&app, "m7", phone, "DAFTAR TIDAKADA").await;
        assert!(text.contains("tidak dikenal"), "{text}");
        let (_, text) = reply(&app, "m8", phone, &format!("CEK {}", nik_of(1))).await;
        assert!(text.contains("Permohonan diproses: BANTU-T"), "{text}");

        // ADUAN: a complaint of the sender; from an unknown number, kept as a message.
        let (cmd, text) = reply(&app, "m9", phone, "ADUAN bantuan belum cair dua bulan").await;
        assert_eq!(cmd, "aduan");
        assert!(text.contains("35.07-"), "the complaint's reference: {text}");
        let list = json_of(app.get(&kab.token, "/api/v1/complaints").await).await;
        let c = &list["items"][0];
        assert_eq!(c["channel"], "sms");
        assert_eq!(c["complainant_person_id"], mine[0].as_str());
        assert_eq!(c["description"], "bantuan belum cair dua bulan");
        let (_, text) = reply(&app, "m10", "0899 1234 5678", "ADUAN jalan rusak").await;
        assert!(text.contains("belum tercatat"), "{text}");
        let complaints = json_of(app.get(&kab.token, "/api/v1/complaints").await).await;
        assert_eq!(complaints["items"].as_array().expect("items").len(), 1);

        // Every answer went out through the outbox, to the sender.
        let all = outbox::list(
            app.pintu.store.conn(),
            &pintu_domain::access::Scope::National,
            None,
            None,
            None,
            100,
        )
        .await
        .expect("outbox");
        let to_me = all
            .iter()
            .filter(|m| m.recipient == "6281234567890")
            .count();
        let to_stranger = all
            .iter()
            .filter(|m| m.recipient == "6289912345678")
            .count();
        assert_eq!((to_me, to_stranger), (7, 3), "{backend:?}");
        assert!(
            all.iter()
                .all(|m| m.template == "sms_reply" && m.body.len() <= 160)
        );

        // What each SMS read or changed is in the audit log.
        let audit = pintu_store::query_all(
            app.pintu.store.conn(),
            "SELECT action FROM audit_log WHERE record_type = 'sms'",
            vec![],
        )
        .await
        .expect("audit");
        let actions: Vec<String> = audit
            .iter()
            .map(|r| pintu_store::col::<String>(r, "action").expect("action"))
            .collect();
        for a in ["sms.cek", "sms.daftar", "sms.aduan", "sms.bantuan"] {
            assert!(
                actions.iter().any(|x| x == a),
                "{backend:?} {a}: {actions:?}"
            );
        }

        // Officers see what came in: the district those of its residents, a national officer
        // also those from numbers not in the registry; another village none of it.
        let nas = app.officer("nasional", "national_officer", None).await;
        let other = app
            .officer("tetangga", "village_officer", Some(SIBLING_VILLAGE))
            .await;
        let count = |v: Value| v.as_array().expect("list").len();
        assert_eq!(
            count(json_of(app.get(&kab.token, "/api/v1/sms/inbound").await).await),
            7
        );
        assert_eq!(
            count(json_of(app.get(&nas.token, "/api/v1/sms/inbound").await).await),
            10
        );
        assert_eq!(
            count(json_of(app.get(&other.token, "/api/v1/sms/inbound").await).await),
            0
        );
        let received = json_of(app.get(&kab.token, "/api/v1/sms/inbound").await).await;
        assert!(
            received
                .as_array()
                .expect("list")
                .iter()
                .all(|r| r["status"] == "answered")
        );
        assert!(received.as_array().expect("list").iter().any(|r| {
            r["outcome"]
                .as_str()
                .is_some_and(|o| o.starts_with("application:"))
        }));
        if backend == pintu_testkit::Backend::Sqlite {
            let (page, _) = crate::pages::logged_in(&app, "kab").await;
            let html = page
                .get(app.url("/messages"))
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html");
            assert_eq!(html.matches("<tr id=\"received-").count(), 7, "{html}");
            assert!(html.contains("DAFTAR"));
        }
    }
}

/// Posts `body` to the delivery-report webhook, signed at `ts` with `secret`.
async fn signed_report(app: &TestApp, body: &[u8], secret: &str, ts: i64) -> reqwest::Response {
    let sig = pintu_service::sms::sign(secret, ts, body);
    app.client
        .post(app.url("/api/v1/sms/status"))
        .header("content-type", "application/json")
        .header("x-pintu-timestamp", ts.to_string())
        .header("x-pintu-signature", format!("sha256={sig}"))
        .body(body.to_vec())
        .send()
        .await
        .expect("delivery report")
}

/// A delivery report signed now with the shared secret: its status and body.
async fn report(app: &TestApp, body: &Value) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).expect("json");
    let resp = signed_report(
        app,
        &bytes,
        pintu_testkit::TEST_SMS_SECRET,
        Utc::now().timestamp(),
    )
    .await;
    (resp.status().as_u16(), json_of(resp).await)
}

/// A message queued, claimed and sent at `at`, with the gateway's own id if it gave one.
async fn sent(
    app: &TestApp,
    person: &str,
    phone: &str,
    gateway_ref: Option<&str>,
    at: chrono::DateTime<Utc>,
) -> String {
    let c = app.pintu.store.conn();
    let id = queue(
        c,
        &Notice {
            person_id: person,
            village_code: VILLAGE,
            phone: Some(phone),
            template: pintu_domain::messages::Template::ApplicationEnrolled,
            programme: "PKH",
            reason: None,
            subject_type: "application",
            subject_id: "none",
        },
        at,
    )
    .await
    .expect("queue")
    .expect("a phone");
    let lease = (at + LEASE).trunc_subsecs(3);
    let claimed = outbox::claim_due(c, at, lease, 10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    let kept = outbox::finish(c, &id, lease, "sent", 1, at, None, gateway_ref, at)
        .await
        .expect("finish");
    assert!(kept);
    id
}

#[tokio::test]
async fn delivery_reports_mark_sent_messages_delivered_or_failed_once() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let people = family(&app, &kab.token, VILLAGE, 1, 2).await;
        let t_sent = (Utc::now() - Duration::minutes(10)).trunc_subsecs(0);
        let a = sent(&app, &people[0], "0812 1111 2222", None, t_sent).await;
        let b = sent(&app, &people[1], "0812 3333 4444", Some("gw-7"), t_sent).await;
        let get = |id: &str| {
            let path = format!("/api/v1/messages/{id}");
            let app = &app;
            let token = kab.token.clone();
            async move { json_of(app.get(&token, &path).await).await }
        };

        // Unsigned, wrongly signed and stale reports are refused, and change nothing.
        let body =
            serde_json::to_vec(&json!({"reference": a, "status": "delivered"})).expect("json");
        let resp = app
            .client
            .post(app.url("/api/v1/sms/status"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("post");
        assert_eq!(
            (
                resp.status().as_u16(),
                json_of(resp).await["error"]["code"].clone()
            ),
            (401, json!("signature_invalid"))
        );
        let now = Utc::now().timestamp();
        let resp = signed_report(&app, &body, "not-the-secret", now).await;
        assert_eq!(
            (
                resp.status().as_u16(),
                json_of(resp).await["error"]["code"].clone()
            ),
            (401, json!("signature_invalid"))
        );
        let resp = signed_report(&app, &body, pintu_testkit::TEST_SMS_SECRET, now - 3600).await;
        assert_eq!(
            (
                resp.status().as_u16(),
                json_of(resp).await["error"]["code"].clone()
            ),
            (401, json!("signature_expired"))
        );
        // Signed for another body: the signature does not carry over.
        let other = serde_json::to_vec(&json!({"reference": a, "status": "failed"})).expect("json");
        let sig = pintu_service::sms::sign(pintu_testkit::TEST_SMS_SECRET, now, &body);
        let resp = app
            .client
            .post(app.url("/api/v1/sms/status"))
            .header("x-pintu-timestamp", now.to_string())
            .header("x-pintu-signature", format!("sha256={sig}"))
            .body(other)
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), 401);
        let m = get(&a).await;
        assert_eq!(
            (m["status"].as_str(), &m["delivered_at"]),
            (Some("sent"), &Value::Null),
            "{backend:?}"
        );

        // Sent → delivered, at the time the gateway gives.
        let at = t_sent + Duration::minutes(2);
        let (status, out) = report(
            &app,
            &json!({"reference": a, "status": "delivered", "at": at.to_rfc3339()}),
        )
        .await;
        assert_eq!(status, 200, "{backend:?} {out}");
        assert_eq!(
            (&out["status"], &out["changed"]),
            (&json!("delivered"), &json!(true))
        );
        let delivered_at = |v: &Value| {
            v["delivered_at"]
                .as_str()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        assert_eq!(delivered_at(&out), Some(at), "{backend:?}");
        let m = get(&a).await;
        assert_eq!(m["status"], "delivered");
        assert_eq!(delivered_at(&m), Some(at));
        let listed = messages(&app, &kab.token).await;
        let row = listed
            .iter()
            .find(|x| x["id"] == a.as_str())
            .expect("listed");
        assert_eq!(
            (row["status"].as_str(), delivered_at(row)),
            (Some("delivered"), Some(at))
        );

        // The gateway retries: the same report again, or a contrary one, changes nothing.
        let (status, again) = report(
            &app,
            &json!({"reference": a, "status": "delivered", "at": Utc::now().to_rfc3339()}),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            (&again["status"], &again["changed"]),
            (&json!("delivered"), &json!(false))
        );
        assert_eq!(
            delivered_at(&again),
            Some(at),
            "the first report's time stays"
        );
        let (status, contrary) = report(&app, &json!({"reference": a, "status": "failed"})).await;
        assert_eq!(
            (status, &contrary["status"], &contrary["changed"]),
            (200, &json!("delivered"), &json!(false))
        );

        // A failure, found by the gateway's own id, with its reason.
        let (status, out) = report(
            &app,
            &json!({"gateway_id": "gw-7", "status": "failed", "error": "Nomor tidak aktif"}),
        )
        .await;
        assert_eq!(status, 200, "{backend:?} {out}");
        assert_eq!(
            (
                &out["id"],
                &out["status"],
                &out["changed"],
                &out["delivered_at"]
            ),
            (&json!(b), &json!("failed"), &json!(true), &Value::Null)
        );
        let m = get(&b).await;
        assert_eq!(
            (m["status"].as_str(), m["last_error"].as_str()),
            (Some("failed"), Some("Nomor tidak aktif"))
        );
        let (status, out) = report(&app, &json!({"reference": b, "status": "delivered"})).await;
        assert_eq!(
            (status, &out["status"], &out["changed"]),
            (200, &json!("failed"), &json!(false)),
            "a failed message stays failed"
        );

        // A message not sent yet: a report changes nothing; while it is being sent, the
        // gateway is asked to report again later.
        let queued_id = queued(&app, &people[0], "0812 5555 6666").await;
        let (status, out) = report(
            &app,
            &json!({"reference": queued_id, "status": "delivered"}),
        )
        .await;
        assert_eq!(
            (status, &out["status"], &out["changed"]),
            (200, &json!("queued"), &json!(false))
        );
        let t = Utc::now();
        let claimed =
            outbox::claim_due(app.pintu.store.conn(), t, (t + LEASE).trunc_subsecs(3), 10)
                .await
                .expect("claim");
        assert_eq!(claimed.len(), 1);
        let (status, out) = report(
            &app,
            &json!({"reference": queued_id, "status": "delivered"}),
        )
        .await;
        assert_eq!(
            (status, &out["error"]["code"]),
            (409, &json!("message_being_sent"))
        );
        assert_eq!(status_of(&app, &queued_id).await.status, "sending");

        // Unknown messages, and reports that cannot be read.
        for body in [
            json!({"reference": pintu_store::new_id(), "status": "delivered"}),
            json!({"reference": "not-an-id", "status": "delivered"}),
            json!({"gateway_id": "gw-unknown", "status": "failed"}),
        ] {
            let (status, out) = report(&app, &body).await;
            assert_eq!(
                (status, &out["error"]["code"]),
                (404, &json!("message_unknown")),
                "{backend:?} {body}"
            );
        }
        for (body, code) in [
            (json!({"reference": a, "status": "read"}), "status_unknown"),
            (json!({"reference": a, "status": "sent"}), "status_unknown"),
            (json!({"reference": a}), "malformed_json"),
            (json!({"status": "delivered"}), "required"),
            (
                json!({"reference": a, "status": "delivered", "at": "kemarin"}),
                "date_invalid",
            ),
        ] {
            let (status, out) = report(&app, &body).await;
            assert_eq!(
                (status, &out["error"]["code"]),
                (422, &json!(code)),
                "{backend:?} {body}"
            );
        }
        let resp = signed_report(
            &app,
            b"{not json",
            pintu_testkit::TEST_SMS_SECRET,
            Utc::now().timestamp(),
        )
        .await;
        assert_eq!(
            (
                resp.status().as_u16(),
                json_of(resp).await["error"]["code"].clone()
            ),
            (422, json!("malformed_json"))
        );
        assert_eq!(status_of(&app, &a).await.status, "delivered");

        // Every report read is in the audit log, by the SMS system.
        let audit = pintu_store::query_all(
            app.pintu.store.conn(),
            "SELECT record_id, actor, detail FROM audit_log WHERE action = 'message.delivery_report'",
            vec![],
        )
        .await
        .expect("audit");
        let details: Vec<(String, String, String)> = audit
            .iter()
            .map(|r| {
                (
                    pintu_store::col::<String>(r, "record_id").expect("record"),
                    pintu_store::col::<String>(r, "actor").expect("actor"),
                    pintu_store::col::<String>(r, "detail").expect("detail"),
                )
            })
            .collect();
        assert_eq!(details.len(), 6, "{backend:?} {details:?}");
        assert!(details.iter().all(|(_, actor, _)| actor == "system:sms"));
        assert!(details.contains(&(
            a.clone(),
            "system:sms".into(),
            "reported=delivered was=sent now=delivered".into()
        )));

        // Officers see it delivered, with when.
        if backend == pintu_testkit::Backend::Sqlite {
            let (page, _) = crate::pages::logged_in(&app, "kab").await;
            let html = page
                .get(app.url("/messages"))
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html");
            let row = html
                .split(&format!("<tr id=\"message-{a}\""))
                .nth(1)
                .and_then(|r| r.split("</tr>").next())
                .expect("the delivered message's row");
            assert!(
                row.contains("Diterima") && row.contains("class=\"delivered-at\""),
                "{row}"
            );
            assert!(
                row.contains(&at.format("%Y-%m-%d %H:%M").to_string()),
                "{row}"
            );
            assert!(html.contains("Nomor tidak aktif"));
        }
    }
}

/// A family's messages go to its head when the head has a phone, else to the oldest living
/// member with one; a family without a phone gets none. The heads are read first, the other
/// members only for the families whose head cannot be reached.
#[tokio::test]
async fn a_familys_messages_go_to_the_head_else_the_oldest_member_with_a_phone() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let member = |name: &str, born: &str, relationship: &str, phone: Option<&str>| {
            json!({"full_name": name, "sex": "P", "birth_date": born,
                   "relationship": relationship, "phone": phone})
        };
        let register = |serial: u32, members: Vec<Value>| {
            let (app, token) = (&app, desa.token.clone());
            async move {
                let mut all = vec![json!({"nik": crate::nik(VILLAGE, serial),
                    "full_name": format!("Kepala {serial}"), "sex": "L",
                    "birth_date": "1978-03-15", "relationship": "KEPALA KELUARGA",
                    "phone": if serial == 2 || serial == 3 { None } else { Some("0812 0000 0001") }})];
                all.extend(members);
                let resp = app
                    .post(
                        &token,
                        "/api/v1/households",
                        &json!({"village_code": VILLAGE, "address": "Jl. Mawar 1", "rt": "1",
                                "rw": "1", "members": all}),
                    )
                    .await;
                assert_eq!(resp.status(), 201);
                let v = json_of(resp).await;
                let ids: Vec<String> = v["person_ids"]
                    .as_array()
                    .expect("ids")
                    .iter()
                    .map(|id| id.as_str().expect("id").to_string())
                    .collect();
                (
                    v["household_id"].as_str().expect("household").to_string(),
                    ids,
                )
            }
        };
        // 1: the head has a phone, so has his mother, who is older.
        let (reached, reached_ids) = register(
            1,
            vec![member(
                "Wati",
                "1950-01-01",
                "ORANG TUA",
                Some("0812 0000 0002"),
            )],
        )
        .await;
        // 2: no phone for the head; a son born after his mother, both with phones.
        let (fallback, fallback_ids) = register(
            2,
            vec![
                member("Anak", "2001-05-05", "ANAK", Some("0812 0000 0004")),
                member("Ibu", "1981-02-02", "ISTRI", Some("0812 0000 0003")),
            ],
        )
        .await;
        // 3: nobody has a phone.
        let (silent, _) = register(3, vec![member("Sri", "1982-01-01", "ISTRI", None)]).await;
        // 4: the head has a phone but is recorded dead; the daughter has one.
        let (widowed, widowed_ids) = register(
            4,
            vec![member(
                "Putri",
                "1999-09-09",
                "ANAK",
                Some("0812 0000 0005"),
            )],
        )
        .await;
        let c = app.pintu.store.conn();
        pintu_store::execute(
            c,
            "UPDATE persons SET life_status = 'dead' WHERE id = ?",
            vec![widowed_ids[0].clone().into()],
        )
        .await
        .expect("death");

        let families = vec![
            reached.clone(),
            fallback.clone(),
            silent.clone(),
            widowed.clone(),
        ];
        let to = outbox::family_recipients(c, &families)
            .await
            .expect("recipients");
        let person = |household: &str| to.get(household).map(|r| r.0.clone());
        assert_eq!(
            person(&reached),
            Some(reached_ids[0].clone()),
            "{backend:?}"
        );
        assert_eq!(
            person(&fallback),
            Some(fallback_ids[2].clone()),
            "the mother, older"
        );
        assert_eq!(person(&silent), None);
        assert_eq!(person(&widowed), Some(widowed_ids[1].clone()));
        assert_eq!(to[&reached].2, "+6281200000001");
    }
}

/// The plan of `sql` (its parameters `values`) on the store's backend, one line a step. On
/// PostgreSQL with sequential scans priced out, so that a usable index shows even in a small
/// table.
async fn plan_of(app: &TestApp, sql: &str, values: Vec<pintu_store::sea_orm::Value>) -> String {
    use pintu_store::sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
    let c = app.pintu.store.conn();
    let tx = c.begin().await.expect("begin");
    let (explain, column) = match c.get_database_backend() {
        DbBackend::Postgres => {
            tx.execute_unprepared("SET LOCAL enable_seqscan = off")
                .await
                .expect("set");
            ("EXPLAIN", "QUERY PLAN")
        }
        _ => ("EXPLAIN QUERY PLAN", "detail"),
    };
    let rows = tx
        .query_all_raw(pintu_store::stmt(&tx, &format!("{explain} {sql}"), values))
        .await
        .expect("explain");
    let lines: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", column).expect("plan line"))
        .collect();
    tx.rollback().await.expect("rollback");
    lines.join("\n")
}

#[tokio::test]
async fn an_sms_sender_is_found_through_the_index_of_phone_numbers() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        // Every head registered here has the phone 0812 3456 7890.
        let one = family(&app, &kab.token, VILLAGE, 1, 2).await;
        let two = family(&app, &kab.token, VILLAGE, 2, 2).await;
        let resp = app
            .patch(
                &kab.token,
                &format!("/api/v1/persons/{}", two[0]),
                &json!({"phone": "0813 9999 0000", "reason": "nomor baru"}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let c = app.pintu.store.conn();
        let found = pintu_store::registry::persons_with_phone_ending(c, "234567890", 50)
            .await
            .expect("lookup");
        let ids: Vec<&str> = found.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, [one[0].as_str()], "{backend:?}");
        let other = pintu_store::registry::persons_with_phone_ending(c, "399990000", 50)
            .await
            .expect("lookup");
        assert_eq!(other.len(), 1, "{backend:?}");
        assert_eq!(other[0].id, two[0]);
        // Fewer digits than the index holds find nobody, rather than reading every phone.
        let short = pintu_store::registry::persons_with_phone_ending(c, "4567890", 50)
            .await
            .expect("lookup");
        assert!(short.is_empty(), "{backend:?}");

        let sql = pintu_store::registry::phone_lookup_sql(c.get_database_backend());
        let plan = plan_of(&app, &sql, vec!["234567890".into(), 50i64.into()]).await;
        assert!(
            plan.contains("ix_persons_phone_tail"),
            "{backend:?}: the lookup reads the index of phones, not every person:\n{plan}"
        );
    }
}
