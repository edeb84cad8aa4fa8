//! E-wallet auto-debit on every backend, over real HTTP on 127.0.0.1: Pintu's router on one
//! port and the payment simulator (the e-wallet gateway) on another. A family's mandate, the
//! debit sent when the bill is issued, the gateway's signed callback booked on the
//! `auto_debit` channel; a refused debit failed, told by SMS and tried again on later days
//! up to the limit; a request sent twice booked and charged once; and who may manage it.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use pintu_service::Ctx;
use pintu_testkit::{
    Backend, TEST_PAYMENTS_SECRET, TestApp, backends, spawn_app, spawn_app_debiting_at,
};
use pintu_web::paysim::{STARTING_BALANCE, Simulator};
use serde_json::{Value, json};

use crate::payments::pbpu_family;
use crate::{OTHER_DISTRICT_VILLAGE, VILLAGE, json_of, nik};

/// Pintu sending debits to the simulator, and the simulator calling Pintu back.
async fn pintu_and_gateway(backend: Backend) -> (TestApp, Simulator) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the gateway");
    let addr = listener.local_addr().expect("gateway address");
    let app = spawn_app_debiting_at(backend, &format!("http://{addr}/debit")).await;
    let sim = Simulator::new(app.base.clone(), TEST_PAYMENTS_SECRET);
    let router = pintu_web::paysim::router(sim.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (app, sim)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

async fn bill(app: &TestApp, period: &str, on: NaiveDate) {
    app.pintu
        .run_billing(&Ctx::system("test"), period, on, Utc::now())
        .await
        .expect("billing");
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = pintu_store::query_one(app.pintu.store.conn(), sql, vec![])
        .await
        .expect("query")
        .expect("row");
    pintu_store::col::<i64>(&row, "n").expect("n")
}

async fn mandate(app: &TestApp, token: &str, head: &str) -> Value {
    json_of(
        app.get(token, &format!("/api/v1/persons/{head}/jkn/debit-mandate"))
            .await,
    )
    .await
}

/// Sets up the family's mandate at `path` and confirms it with the code sent to the wallet's
/// number, as the member would tell it; the family's auto-debit after.
async fn authorise(app: &TestApp, token: &str, path: &str, body: &Value) -> Value {
    let resp = app.post(token, path, body).await;
    assert_eq!(resp.status(), 201, "{path}");
    let set = json_of(resp).await;
    assert!(
        set["active"].is_null() && set["pending"].is_object(),
        "{set}"
    );
    let code = crate::residents::last_code_of(app, "debit_mandate_code").await;
    let resp = app
        .post(token, &format!("{path}/confirm"), &json!({"code": code}))
        .await;
    assert_eq!(resp.status(), 200, "{path}/confirm");
    json_of(resp).await
}

/// Waits (up to ten seconds) until the family's newest debit has `status`.
async fn newest_debit_becomes(app: &TestApp, token: &str, head: &str, status: &str) -> Value {
    for _ in 0..200 {
        let m = mandate(app, token, head).await;
        if m["debits"][0]["status"] == status {
            return m["debits"][0].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the newest debit never became {status}: {}",
        mandate(app, token, head).await
    );
}

async fn payments_under_key(app: &TestApp, key: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT COUNT(*) AS n FROM payments WHERE channel = 'auto_debit' \
             AND idempotency_key = '{key}'"
        ),
    )
    .await
}

#[tokio::test]
async fn an_authorised_e_wallet_pays_each_new_bill_once_through_the_gateway() {
    for backend in backends() {
        let (app, sim) = pintu_and_gateway(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let head = pbpu_family(&app, &desa.token, VILLAGE, 1).await;
        let phone = "+6281211112222";

        // The officer sets up the family's mandate; the number is shown masked.
        let path = format!("/api/v1/persons/{head}/jkn/debit-mandate");
        let resp = app
            .post(
                &desa.token,
                &path,
                &json!({"wallet": "paypal", "phone": "123"}),
            )
            .await;
        assert_eq!(resp.status(), 422);
        let fields: Vec<String> = json_of(resp).await["error"]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["field"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(fields, ["wallet", "phone"]);
        let resp = app
            .post(
                &desa.token,
                &path,
                &json!({"wallet": "gopay", "phone": "0812-1111-2222"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let body = resp.text().await.expect("body");
        assert!(!body.contains("1111"), "the number is masked: {body}");
        let m: Value = serde_json::from_str(&body).expect("json");
        assert!(m["active"].is_null(), "active only once confirmed: {m}");
        assert_eq!(m["pending"]["wallet"], "gopay");
        assert_eq!(m["pending"]["phone_masked"], "0812*****222");
        assert_eq!(m["sending"], true);
        // The member reads the code on the wallet's phone and tells the officer.
        let code = crate::residents::last_code_of(&app, "debit_mandate_code").await;
        let resp = app
            .post(
                &desa.token,
                &format!("{path}/confirm"),
                &json!({"code": code}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let m = json_of(resp).await;
        assert_eq!(m["active"]["wallet"], "gopay");
        assert!(m["pending"].is_null() && m["active"]["confirmed_at"].is_string());
        let resp = app
            .post(
                &desa.token,
                &path,
                &json!({"wallet": "ovo", "phone": "081299998888"}),
            )
            .await;
        assert_eq!(resp.status(), 409);
        assert_eq!(json_of(resp).await["error"]["code"], "debit_mandate_exists");

        // Issuing the bill records its debit; the sender sends it, the gateway calls back.
        bill(&app, "2026-11", day(2026, 11, 2)).await;
        let sent = app.pintu.send_debits(Utc::now(), 100).await.expect("send");
        assert_eq!(sent.accepted, 1, "{sent:?}");
        let debit = newest_debit_becomes(&app, &desa.token, &head, "paid").await;
        let key = debit["id"].as_str().expect("id").to_string();
        let amount = debit["amount"].as_i64().expect("amount");
        assert_eq!(debit["attempt"], 1);
        assert!(debit["payment_id"].is_string());
        let m = json_of(
            app.get(&desa.token, &format!("/api/v1/persons/{head}/jkn"))
                .await,
        )
        .await;
        assert_eq!(m["bills"][0]["status"], "paid", "{m}");
        assert_eq!(payments_under_key(&app, &key).await, 1);
        assert_eq!(
            count(
                &app,
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM postings \
                 WHERE account = 'clearing_auto_debit'"
            )
            .await,
            amount,
            "booked on the auto-debit channel's clearing account"
        );
        assert_eq!(sim.balance(phone), STARTING_BALANCE - amount);

        // The gateway's callback again (it retries): the first booking, nothing more.
        let again = sim
            .debited(&pintu_service::autodebit::DebitRequestBody {
                request_id: key.clone(),
                wallet: "gopay".into(),
                phone: phone.into(),
                amount,
                va_number: debit["va_number"].as_str().expect("va").into(),
            })
            .await
            .expect("callback");
        assert_eq!(again.0, 200, "{}", again.1);
        let again: Value = serde_json::from_str(&again.1).expect("json");
        assert_eq!(again["booked"]["duplicate"], true);
        assert_eq!(payments_under_key(&app, &key).await, 1);

        // December: a crash after the debit was recorded and sent, before it was marked
        // sent. On restart it goes again with the same id: charged and booked once.
        bill(&app, "2026-12", day(2026, 12, 1)).await;
        let pending = pintu_store::autodebit::pending_debits(app.pintu.store.conn(), 10)
            .await
            .expect("pending");
        assert_eq!(pending.len(), 1);
        let gateway = app.pintu.debit_gateway.as_ref().clone().expect("gateway");
        let first = gateway.send(&pending[0]).await.expect("first send");
        assert_eq!(first.status, "accepted");
        let _ = app
            .pintu
            .send_debits(Utc::now(), 100)
            .await
            .expect("resend");
        let second = gateway.send(&pending[0]).await.expect("a third send");
        assert_eq!(second, first, "the same request, the same answer");
        newest_debit_becomes(&app, &desa.token, &head, "paid").await;
        // Let the repeated callbacks arrive.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(payments_under_key(&app, &pending[0].id).await, 1);
        assert_eq!(
            sim.balance(phone),
            STARTING_BALANCE - amount - pending[0].amount
        );
        let m = json_of(
            app.get(&desa.token, &format!("/api/v1/persons/{head}/jkn"))
                .await,
        )
        .await;
        assert_eq!(m["bills"][0]["status"], "paid", "{m}");

        // A callback for a debit Pintu never sent is refused.
        let forged = sim
            .debited(&pintu_service::autodebit::DebitRequestBody {
                request_id: pintu_store::new_id(),
                wallet: "gopay".into(),
                phone: phone.into(),
                amount,
                va_number: debit["va_number"].as_str().expect("va").into(),
            })
            .await
            .expect("callback");
        assert_eq!(forged.0, 422);
        assert!(forged.1.contains("debit_unknown"), "{}", forged.1);
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM payments").await,
            2,
            "one payment a bill"
        );
    }
}

#[tokio::test]
async fn a_refused_debit_is_told_by_sms_and_tried_on_later_days_up_to_the_limit() {
    for backend in backends() {
        let (app, sim) = pintu_and_gateway(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let head = pbpu_family(&app, &desa.token, VILLAGE, 1).await;
        // The resident sets it up from the portal, with a wallet that has no balance.
        let token = crate::residents::log_in(&app, &nik(VILLAGE, 1)).await;
        authorise(
            &app,
            &token,
            &format!("/api/v1/me/persons/{head}/jkn/debit-mandate"),
            &json!({"wallet": "dana", "phone": "081234560000"}),
        )
        .await;
        let failed_sms =
            "SELECT COUNT(*) AS n FROM outbox_messages WHERE template = 'debit_failed'";

        bill(&app, "2026-11", day(2026, 11, 2)).await;
        for (attempt, on) in [(1, 2), (2, 3), (3, 4)] {
            if attempt > 1 {
                // Not again the same day; once on the next.
                let system = Ctx::system("test");
                let same_day = app
                    .pintu
                    .record_debits(&system, day(2026, 11, on - 1), Utc::now())
                    .await
                    .expect("record");
                assert_eq!(same_day, 0);
                let next_day = app
                    .pintu
                    .record_debits(&system, day(2026, 11, on), Utc::now())
                    .await
                    .expect("record");
                assert_eq!(next_day, 1);
            }
            let sent = app.pintu.send_debits(Utc::now(), 100).await.expect("send");
            assert_eq!(sent.refused, 1, "attempt {attempt}: {sent:?}");
            let d = mandate(&app, &desa.token, &head).await["debits"][0].clone();
            assert_eq!(d["attempt"], attempt);
            assert_eq!(d["status"], "failed");
            assert_eq!(d["reason"], "insufficient_balance");
            assert_eq!(count(&app, failed_sms).await, attempt);
        }
        let after_limit = app
            .pintu
            .record_debits(&Ctx::system("test"), day(2026, 11, 9), Utc::now())
            .await
            .expect("record");
        assert_eq!(after_limit, 0, "three attempts at most");
        assert_eq!(sim.balance("+6281234560000"), 0);
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM payments").await, 0);

        // The district office sees the failures; the village office may not list its area's.
        let failed = json_of(
            app.get(&kab.token, "/api/v1/payments/debits?status=failed")
                .await,
        )
        .await;
        assert_eq!(failed.as_array().map(Vec::len), Some(3));
        let resp = app
            .get(&kab.token, "/api/v1/payments/debits?status=lost")
            .await;
        assert_eq!(json_of(resp).await["error"]["code"], "debit_status_invalid");
        assert_eq!(
            app.get(&desa.token, "/api/v1/payments/debits")
                .await
                .status(),
            403
        );

        // The family's page and the officer's show the failures and the masked number.
        let (rc, _) = crate::residents::portal(&app, &nik(VILLAGE, 1)).await;
        let page = rc
            .get(app.url(&format!("/me/persons/{head}/jkn")))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(page.contains("id=\"debit-mandate\""), "{page}");
        assert!(page.contains("0812*****000") && !page.contains("081234560000"));
        assert_eq!(page.matches("class=\"debit-failed\"").count(), 3);
        let (oc, _) = crate::pages::logged_in(&app, "desa").await;
        let page = oc
            .get(app.url(&format!("/persons/{head}/jkn")))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(page.contains("id=\"debit-cancel-form\""));
        assert!(!page.contains("id=\"debit-not-sent\""));

        // The resident stops it; the history keeps it.
        let cancel = format!("/api/v1/me/persons/{head}/jkn/debit-mandate/cancel");
        let resp = app.post(&token, &cancel, &json!({})).await;
        assert_eq!(resp.status(), 200);
        let m = json_of(resp).await;
        assert!(m["active"].is_null());
        assert_eq!(m["mandates"][0]["status"], "cancelled");
        assert_eq!(m["mandates"][0]["cancelled_by"], format!("resident:{head}"));
        let resp = app.post(&token, &cancel, &json!({})).await;
        assert_eq!(resp.status(), 409);
        assert_eq!(json_of(resp).await["error"]["code"], "debit_mandate_none");
    }
}

#[tokio::test]
async fn only_the_family_and_officers_of_its_area_may_manage_its_auto_debit() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let far = app
            .officer("jauh", "village_officer", Some(OTHER_DISTRICT_VILLAGE))
            .await;
        let mine = pbpu_family(&app, &desa.token, VILLAGE, 1).await;
        let theirs = pbpu_family(&app, &desa.token, VILLAGE, 2).await;
        let body = json!({"wallet": "ovo", "phone": "081299990001"});

        // A resident: their own household only.
        let token = crate::residents::log_in(&app, &nik(VILLAGE, 1)).await;
        for (method, path) in [
            (
                "post",
                format!("/api/v1/me/persons/{theirs}/jkn/debit-mandate"),
            ),
            (
                "get",
                format!("/api/v1/me/persons/{theirs}/jkn/debit-mandate"),
            ),
            (
                "post",
                format!("/api/v1/me/persons/{theirs}/jkn/debit-mandate/cancel"),
            ),
        ] {
            let resp = match method {
                "post" => app.post(&token, &path, &body).await,
                _ => app.get(&token, &path).await,
            };
            assert_eq!(resp.status(), 404, "{method} {path}");
        }
        authorise(
            &app,
            &token,
            &format!("/api/v1/me/persons/{mine}/jkn/debit-mandate"),
            &body,
        )
        .await;
        // A resident's token is not an officer's, nor the other way round.
        let officer_path = format!("/api/v1/persons/{mine}/jkn/debit-mandate");
        assert_eq!(app.get(&token, &officer_path).await.status(), 401);
        assert_eq!(
            app.get(
                &desa.token,
                &format!("/api/v1/me/persons/{mine}/jkn/debit-mandate")
            )
            .await
            .status(),
            401
        );

        // An officer of another area: neither sees nor changes it.
        assert_eq!(app.get(&far.token, &officer_path).await.status(), 404);
        let resp = app
            .post(&far.token, &format!("{officer_path}/cancel"), &json!({}))
            .await;
        assert_eq!(resp.status(), 404);
        let resp = app
            .post(
                &far.token,
                &format!("/api/v1/persons/{theirs}/jkn/debit-mandate"),
                &body,
            )
            .await;
        assert_eq!(resp.status(), 404);
        // The officer of the area may stop it.
        let resp = app
            .post(&desa.token, &format!("{officer_path}/cancel"), &json!({}))
            .await;
        assert_eq!(resp.status(), 200);
        let m = json_of(resp).await;
        assert_eq!(m["mandates"][0]["cancelled_by"], "user:desa");
        assert_eq!(m["sending"], false, "no gateway configured here");

        // The same on the member's JKN page: the form, its errors, the mandate.
        let (oc, _) = crate::pages::logged_in(&app, "desa").await;
        let page_url = app.url(&format!("/persons/{theirs}/jkn"));
        let page = oc
            .get(&page_url)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(page.contains("id=\"debit-form\"") && page.contains("id=\"debit-not-sent\""));
        let csrf = crate::pages::csrf_of(&page);
        let post = |wallet: &'static str, phone: &'static str| {
            oc.post(format!("{page_url}/debit"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("wallet", wallet),
                    ("phone", phone),
                ])
                .send()
        };
        let resp = post("linkaja", "0812").await.expect("post");
        assert_eq!(resp.status(), 422);
        assert!(
            resp.text()
                .await
                .expect("html")
                .contains("aria-invalid=\"true\"")
        );
        let resp = post("linkaja", "0813 5555 6666").await.expect("post");
        assert_eq!(resp.status(), 200);
        let page = resp.text().await.expect("html");
        assert!(page.contains("id=\"debit-pending\"") && page.contains("0813*****666"));
        assert!(
            page.contains("id=\"debit-confirm-form\"") && !page.contains("id=\"debit-mandate\"")
        );
        let confirm = |code: String| {
            oc.post(format!("{page_url}/debit/confirm"))
                .form(&[("csrf", csrf.clone()), ("code", code)])
                .send()
        };
        let resp = confirm("12345".into()).await.expect("confirm");
        assert_eq!(resp.status(), 422);
        let page = resp.text().await.expect("html");
        assert!(page.contains("aria-invalid=\"true\"") && page.contains("id=\"debit-pending\""));
        let code = crate::residents::last_code_of(&app, "debit_mandate_code").await;
        let resp = confirm(code).await.expect("confirm");
        assert_eq!(resp.status(), 200);
        let page = resp.text().await.expect("html");
        assert!(page.contains("id=\"debit-mandate\"") && page.contains("0813*****666"));
        let resp = oc
            .post(format!("{page_url}/debit/cancel"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .expect("cancel");
        assert_eq!(resp.status(), 200);
        assert!(
            resp.text()
                .await
                .expect("html")
                .contains("id=\"debit-history\"")
        );

        // Every change is in the audit log.
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action IN \
                 ('autodebit.mandate_set', 'autodebit.mandate_cancel')"
            )
            .await,
            4
        );
    }
}

#[tokio::test]
async fn two_senders_at_once_send_each_debit_once_and_a_stopped_senders_debits_wait_for_its_lease()
{
    for backend in backends() {
        let (app, sim) = pintu_and_gateway(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        for n in 1..=3 {
            let head = pbpu_family(&app, &desa.token, VILLAGE, n).await;
            authorise(
                &app,
                &desa.token,
                &format!("/api/v1/persons/{head}/jkn/debit-mandate"),
                &json!({"wallet": "gopay", "phone": format!("08121111{n:04}")}),
            )
            .await;
        }
        bill(&app, "2026-11", day(2026, 11, 2)).await;

        // Two servers' senders at the same moment: each debit goes once.
        let now = Utc::now();
        let (a, b) = tokio::join!(
            app.pintu.send_debits(now, 100),
            app.pintu.send_debits(now, 100)
        );
        let (a, b) = (a.expect("first sender"), b.expect("second sender"));
        assert_eq!(a.accepted + b.accepted, 3, "{a:?} {b:?}");
        assert_eq!(sim.debit_requests_received(), 3);

        // A sender that claimed December's debit and stopped before sending it: the next
        // sender leaves it alone until the claim runs out, then sends it.
        bill(&app, "2026-12", day(2026, 12, 1)).await;
        let c = app.pintu.store.conn();
        let pending = pintu_store::autodebit::free_pending_debits(c, now, 10)
            .await
            .expect("pending");
        assert_eq!(pending.len(), 3);
        let lease =
            chrono::Duration::from_std(pintu_service::autodebit::SEND_LEASE).expect("lease");
        let stopped = &pending[0];
        let claimed_at = Utc::now();
        assert!(
            pintu_store::autodebit::claim_debit(c, &stopped.id, claimed_at, claimed_at + lease)
                .await
                .expect("claim")
        );
        let sent = app.pintu.send_debits(Utc::now(), 100).await.expect("send");
        assert_eq!(sent.accepted, 2, "{sent:?}");
        assert_eq!(sim.debit_requests_received(), 5);
        let later = claimed_at + lease + chrono::Duration::seconds(1);
        let sent = app.pintu.send_debits(later, 100).await.expect("send");
        assert_eq!(sent.accepted, 1, "{sent:?}");
        assert_eq!(sim.debit_requests_received(), 6);
        let sent = app.pintu.send_debits(later, 100).await.expect("send");
        assert_eq!(sent.accepted, 0, "{sent:?}");
    }
}

#[tokio::test]
async fn a_mandate_waits_for_the_code_sent_to_the_wallets_number() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let head = pbpu_family(&app, &desa.token, VILLAGE, 1).await;
        let path = format!("/api/v1/persons/{head}/jkn/debit-mandate");
        let confirm = format!("{path}/confirm");
        let wallet = json!({"wallet": "ovo", "phone": "0812 3456 7001"});
        let codes = "SELECT COUNT(*) AS n FROM outbox_messages \
                     WHERE template = 'debit_mandate_code' AND recipient LIKE '%81234567001'";

        // Nothing to confirm yet.
        let resp = app
            .post(&desa.token, &confirm, &json!({"code": "123456"}))
            .await;
        assert_eq!(resp.status(), 409);
        assert_eq!(
            json_of(resp).await["error"]["code"],
            "debit_mandate_not_pending"
        );

        // The code goes by SMS to the wallet's number; a pending mandate is not debited.
        let resp = app.post(&desa.token, &path, &wallet).await;
        assert_eq!(resp.status(), 201);
        assert_eq!(count(&app, codes).await, 1);
        let first = crate::residents::last_code_of(&app, "debit_mandate_code").await;
        bill(&app, "2026-11", day(2026, 11, 2)).await;
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM debit_requests").await,
            0,
            "no debit before the code comes back"
        );
        // The officers' view of the outbox hides the code: only the wallet's holder has it.
        let messages = json_of(app.get(&kab.token, "/api/v1/messages").await).await;
        let sms = messages["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|m| m["template"] == "debit_mandate_code")
            .expect("the code's SMS")
            .clone();
        let text = sms["body"].as_str().expect("body");
        assert!(text.contains("******") && !text.contains(&first), "{text}");

        // Wrong codes: malformed, then wrong, until the guesses are spent; then even the
        // right one is refused.
        let wrong = if first == "000000" {
            "000001"
        } else {
            "000000"
        };
        for (code, expected) in [
            ("12a456", "debit_code_wrong"),
            (wrong, "debit_code_wrong"),
            (wrong, "debit_code_wrong"),
            (wrong, "debit_code_wrong"),
            (wrong, "debit_code_wrong"),
            (wrong, "debit_code_expired"),
            (first.as_str(), "debit_code_expired"),
        ] {
            let resp = app
                .post(&desa.token, &confirm, &json!({"code": code}))
                .await;
            assert_eq!(resp.status(), 422, "{code}");
            let e = json_of(resp).await;
            assert_eq!(e["error"]["code"], expected, "{code}: {e}");
            assert_eq!(e["error"]["field"], "code");
        }

        // A new one replaces it with a new code; that code expires after ten minutes.
        let resp = app.post(&desa.token, &path, &wallet).await;
        assert_eq!(resp.status(), 201);
        let second = crate::residents::last_code_of(&app, "debit_mandate_code").await;
        let ctx =
            crate::registry::officer_ctx(&app, "desa2", "village_officer", Some(VILLAGE)).await;
        let late = Utc::now() + chrono::Duration::minutes(11);
        let e = app
            .pintu
            .confirm_debit_mandate(
                &ctx,
                &head,
                &pintu_service::autodebit::MandateCode {
                    code: second.clone(),
                },
                late,
            )
            .await
            .expect_err("expired");
        assert!(
            matches!(&e, pintu_service::Error::Invalid(i) if i.0[0].code == "debit_code_expired"),
            "{e:?}"
        );

        // The third within fifteen minutes is confirmed; the first two are not in the history.
        let resp = app.post(&desa.token, &path, &wallet).await;
        assert_eq!(resp.status(), 201);
        let third = crate::residents::last_code_of(&app, "debit_mandate_code").await;
        if second != third {
            // The replaced mandate's code no longer counts.
            let old = app
                .post(&desa.token, &confirm, &json!({"code": second}))
                .await;
            assert_eq!(json_of(old).await["error"]["code"], "debit_code_wrong");
        }
        let resp = app
            .post(&desa.token, &confirm, &json!({"code": third}))
            .await;
        assert_eq!(resp.status(), 200);
        let m = json_of(resp).await;
        assert_eq!(m["active"]["wallet"], "ovo");
        assert_eq!(m["mandates"].as_array().map(Vec::len), Some(1), "{m}");
        assert_eq!(count(&app, codes).await, 3);
        let resp = app
            .post(&desa.token, &confirm, &json!({"code": third}))
            .await;
        assert_eq!(resp.status(), 409, "a code is used once");
        let resp = app.post(&desa.token, &path, &wallet).await;
        assert_eq!(resp.status(), 409);
        assert_eq!(json_of(resp).await["error"]["code"], "debit_mandate_exists");
        assert_eq!(
            app.pintu
                .record_debits(
                    &pintu_service::Ctx::system("test"),
                    day(2026, 11, 3),
                    Utc::now()
                )
                .await
                .expect("record"),
            1,
            "the active mandate is debited"
        );

        // A fourth code within fifteen minutes is refused, after the mandate is stopped.
        let resp = app
            .post(&desa.token, &format!("{path}/cancel"), &json!({}))
            .await;
        assert_eq!(resp.status(), 200);
        let resp = app.post(&desa.token, &path, &wallet).await;
        assert_eq!(resp.status(), 429);
        assert_eq!(json_of(resp).await["error"]["code"], "too_many_attempts");
        assert_eq!(count(&app, codes).await, 3);

        // The resident withdraws a pending one (another family, from the portal).
        let other = pbpu_family(&app, &desa.token, VILLAGE, 2).await;
        let token = crate::residents::log_in(&app, &nik(VILLAGE, 2)).await;
        let mine = format!("/api/v1/me/persons/{other}/jkn/debit-mandate");
        let resp = app
            .post(
                &token,
                &mine,
                &json!({"wallet": "dana", "phone": "081234567002"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let resp = app
            .post(&token, &format!("{mine}/cancel"), &json!({}))
            .await;
        assert_eq!(resp.status(), 200);
        let m = json_of(resp).await;
        assert!(m["pending"].is_null() && m["active"].is_null(), "{m}");
        let code = crate::residents::last_code_of(&app, "debit_mandate_code").await;
        let resp = app
            .post(&token, &format!("{mine}/confirm"), &json!({"code": code}))
            .await;
        assert_eq!(resp.status(), 409);
        let resp = app
            .post(&token, &format!("{mine}/cancel"), &json!({}))
            .await;
        assert_eq!(resp.status(), 409);

        // Each step is in the audit log.
        for (action, n) in [
            ("autodebit.mandate_code", 4),
            (
                "autodebit.mandate_code_wrong",
                5 + i64::from(second != third),
            ),
            ("autodebit.mandate_set", 1),
            ("autodebit.mandate_withdrawn", 1),
        ] {
            let sql = format!("SELECT COUNT(*) AS n FROM audit_log WHERE action = '{action}'");
            assert_eq!(count(&app, &sql).await, n, "{action}");
        }
    }
}
