//! Payments of JKN contributions on every backend: signed callbacks booked once per key
//! (even 1,000 duplicates at once), allocation oldest bill first with under- and
//! over-payments, reactivation after arrears, cash with its daily deposit, the ledger's
//! invariants, and bank statement reconciliation with its exceptions queue.

use chrono::{NaiveDate, Utc};
use pintu_testkit::{TEST_PAYMENTS_SECRET, TestApp, backends, spawn_app};
use serde_json::{Value, json};

use crate::{OTHER_DISTRICT_VILLAGE, VILLAGE, household, json_of, nik};

/// A PBPU family of three in class 3 (Rp 105,000 a month for the family): its head's id.
pub(crate) async fn pbpu_family(app: &TestApp, token: &str, village: &str, serial: u32) -> String {
    let resp = app
        .post(
            token,
            "/api/v1/households",
            &household(village, &nik(village, serial), "Kepala"),
        )
        .await;
    let head = json_of(resp).await["person_ids"][0]
        .as_str()
        .expect("id")
        .to_string();
    let fktp = if village.starts_with("35.07") {
        "0507P001"
    } else {
        "0101P001"
    };
    let resp = app
        .post(
            token,
            &format!("/api/v1/persons/{head}/jkn"),
            &json!({"segment": "PBPU", "class": 3, "fktp": fktp}),
        )
        .await;
    assert_eq!(
        resp.status(),
        201,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    head
}

/// The virtual account of the family of `person`, from its newest bill.
async fn family_va(app: &TestApp, token: &str, person: &str) -> String {
    let m = json_of(
        app.get(token, &format!("/api/v1/persons/{person}/jkn"))
            .await,
    )
    .await;
    m["bills"][0]["va_number"].as_str().expect("va").to_string()
}

async fn bill(app: &TestApp, period: &str, on: (i32, u32, u32)) {
    let on = NaiveDate::from_ymd_opt(on.0, on.1, on.2).expect("date");
    app.pintu
        .run_billing(&pintu_service::Ctx::system("test"), period, on, Utc::now())
        .await
        .expect("billing");
}

/// Posts a payment callback signed at `ts` with `secret`.
async fn callback_signed(
    app: &TestApp,
    channel: &str,
    key: &str,
    body: &Value,
    secret: &str,
    ts: i64,
) -> reqwest::Response {
    let body = serde_json::to_vec(body).expect("json");
    let sig = pintu_service::sms::sign(secret, ts, &body);
    app.client
        .post(app.url(&format!("/api/v1/payments/callbacks/{channel}")))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .header("x-pintu-timestamp", ts.to_string())
        .header("x-pintu-signature", format!("sha256={sig}"))
        .body(body)
        .send()
        .await
        .expect("callback")
}

async fn callback(app: &TestApp, channel: &str, key: &str, body: &Value) -> reqwest::Response {
    callback_signed(
        app,
        channel,
        key,
        body,
        TEST_PAYMENTS_SECRET,
        Utc::now().timestamp(),
    )
    .await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = pintu_store::query_one(app.pintu.store.conn(), sql, vec![])
        .await
        .expect("query")
        .expect("row");
    pintu_store::col::<i64>(&row, "n").expect("n")
}

/// Every entry balances, and the ledger agrees with the bills and payments it records.
async fn assert_ledger_consistent(app: &TestApp) {
    let c = app.pintu.store.conn();
    assert_eq!(
        pintu_store::payments::unbalanced_entries(c)
            .await
            .expect("entries"),
        Vec::<String>::new()
    );
    let balances = pintu_store::payments::balances(c, &pintu_domain::access::Scope::National)
        .await
        .expect("balances");
    let of = |a: &str| {
        balances
            .iter()
            .find(|b| b.account == a)
            .map_or(0, |b| b.balance)
    };
    assert_eq!(balances.iter().map(|b| b.balance).sum::<i64>(), 0);
    assert_eq!(
        of("member_receivable"),
        count(
            app,
            "SELECT CAST(COALESCE(SUM(amount - paid), 0) AS BIGINT) AS n FROM jkn_bills WHERE status = 'open'"
        )
        .await,
        "receivables are the open bills"
    );
    assert_eq!(
        -of("member_credit"),
        count(
            app,
            "SELECT CAST(COALESCE(SUM(credit), 0) AS BIGINT) AS n FROM payments"
        )
        .await,
        "credit is what payments have left"
    );
    assert_eq!(
        of("agent_cash"),
        count(
            app,
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM payments \
             WHERE channel IN ('counter', 'agent') AND deposit_id IS NULL"
        )
        .await,
        "agent cash is what is not deposited"
    );
}

#[tokio::test]
async fn payments_from_every_channel_pay_the_oldest_bill_first_and_reconcile() {
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
        let head = pbpu_family(&app, &desa.token, VILLAGE, 1).await;
        bill(&app, "2026-11", (2026, 11, 2)).await;
        // December: November unpaid, so the family is suspended.
        bill(&app, "2026-12", (2026, 12, 1)).await;
        let m = json_of(
            app.get(&desa.token, &format!("/api/v1/persons/{head}/jkn"))
                .await,
        )
        .await;
        assert_eq!(m["status"], "suspended", "{m}");
        let va = m["bills"][0]["va_number"].as_str().expect("va").to_string();

        // Forged, replayed and malformed callbacks are refused and book nothing.
        let pay = json!({"va_number": va, "amount": 150_000, "reference": "BNI-0001"});
        let now = Utc::now().timestamp();
        for (secret, ts, code) in [
            ("not-the-secret", now, "signature_invalid"),
            (TEST_PAYMENTS_SECRET, now - 3_600, "signature_expired"),
        ] {
            let resp = callback_signed(&app, "bank_va", "K1", &pay, secret, ts).await;
            assert_eq!(resp.status(), 401);
            assert_eq!(json_of(resp).await["error"]["code"], code);
        }
        let resp = app
            .client
            .post(app.url("/api/v1/payments/callbacks/bank_va"))
            .header("idempotency-key", "K1")
            .json(&pay)
            .send()
            .await
            .expect("unsigned");
        assert_eq!(resp.status(), 401);
        for (channel, key, body, code) in [
            ("cash", "K1", pay.clone(), "channel_invalid"),
            ("bank_va", "", pay.clone(), "idempotency_key_invalid"),
            (
                "bank_va",
                "K1",
                json!({"va_number": "8888800000000000", "amount": 1000, "reference": "X"}),
                "va_unknown",
            ),
            (
                "bank_va",
                "K1",
                json!({"va_number": va, "amount": -5, "reference": "X"}),
                "amount_invalid",
            ),
        ] {
            let resp = callback(&app, channel, key, &body).await;
            assert_eq!(resp.status(), 422, "{channel} {key}");
            assert_eq!(json_of(resp).await["error"]["code"], code);
        }
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM payments").await, 0);

        // Under-payment: November in full, December in part; still suspended? No: what was
        // overdue (November) is paid, so the family is covered again.
        let resp = callback(&app, "bank_va", "K1", &pay).await;
        assert_eq!(resp.status(), 201);
        let first = json_of(resp).await;
        let p = &first["payment"];
        assert_eq!(p["allocated"], 150_000);
        assert_eq!(p["credit"], 0);
        assert_eq!(p["fee"], 2_500);
        assert_eq!(p["reactivated"], true);
        assert_eq!(
            p["allocations"],
            json!([
                {"bill_id": p["allocations"][0]["bill_id"], "period": "2026-11", "amount": 105_000},
                {"bill_id": p["allocations"][1]["bill_id"], "period": "2026-12", "amount": 45_000},
            ])
        );
        // The same key again: the first result, nothing booked.
        let resp = callback(&app, "bank_va", "K1", &pay).await;
        assert_eq!(resp.status(), 200);
        let again = json_of(resp).await;
        assert_eq!(again["duplicate"], true);
        assert_eq!(again["payment"]["id"], p["id"]);
        // The same key for another amount is a conflict.
        let resp = callback(
            &app,
            "bank_va",
            "K1",
            &json!({"va_number": va, "amount": 1, "reference": "BNI-0001"}),
        )
        .await;
        assert_eq!(resp.status(), 409);
        assert_eq!(json_of(resp).await["error"]["code"], "idempotency_conflict");
        let m = json_of(
            app.get(&desa.token, &format!("/api/v1/persons/{head}/jkn"))
                .await,
        )
        .await;
        assert_eq!(m["status"], "active", "arrears paid: covered again");
        assert_eq!(m["bills"][0]["paid"], 45_000);
        assert_eq!(m["bills"][1]["status"], "paid");

        // Over-payment by e-wallet: December's rest, and 40,000 kept as credit...
        let resp = callback(
            &app,
            "ewallet",
            "OVO-77",
            &json!({"va_number": va, "amount": 100_000, "reference": "OVO-77"}),
        )
        .await;
        let p = json_of(resp).await;
        assert_eq!(
            (
                &p["payment"]["allocated"],
                &p["payment"]["credit"],
                &p["payment"]["fee"]
            ),
            (&json!(60_000), &json!(40_000), &json!(1_500))
        );
        // ... which pays January's bill in part when it is issued.
        bill(&app, "2027-01", (2027, 1, 1)).await;
        let m = json_of(
            app.get(&desa.token, &format!("/api/v1/persons/{head}/jkn"))
                .await,
        )
        .await;
        assert_eq!(
            (&m["bills"][0]["period"], &m["bills"][0]["paid"]),
            (&json!("2027-01"), &json!(40_000))
        );
        assert_eq!(m["status"], "active");

        // Cash with an agent: once per receipt, only for families of the agent's area.
        let cash = json!({"channel": "agent", "va_number": va, "amount": 65_000});
        let post_cash = |token: String, key: &'static str, body: Value| {
            let app = &app;
            async move {
                app.client
                    .post(app.url("/api/v1/payments/cash"))
                    .bearer_auth(token)
                    .header("idempotency-key", key)
                    .json(&body)
                    .send()
                    .await
                    .expect("cash")
            }
        };
        let resp = post_cash(far.token.clone(), "R-1", cash.clone()).await;
        assert_eq!(resp.status(), 422);
        assert_eq!(json_of(resp).await["error"]["code"], "va_unknown");
        let resp = post_cash(desa.token.clone(), "R-1", cash.clone()).await;
        assert_eq!(resp.status(), 201);
        let agent = json_of(resp).await;
        assert_eq!(agent["payment"]["fee"], 3_250, "5 % to the agent");
        assert_eq!(agent["payment"]["allocated"], 65_000);
        let resp = post_cash(desa.token.clone(), "R-1", cash.clone()).await;
        assert_eq!(resp.status(), 200, "a double submission books once");
        let mine = json_of(app.get(&desa.token, "/api/v1/payments/cash").await).await;
        assert_eq!(mine["undeposited_amount"], 65_000);
        assert_ledger_consistent(&app).await;
        let resp = app
            .post(
                &desa.token,
                "/api/v1/payments/deposits",
                &json!({"bank_reference": "SETOR-1"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        assert_eq!(json_of(resp).await["amount"], 65_000);
        let resp = app
            .post(
                &desa.token,
                "/api/v1/payments/deposits",
                &json!({"bank_reference": "SETOR-2"}),
            )
            .await;
        assert_eq!(resp.status(), 409);

        // The family's history, newest first, for the officer of the area only.
        let history = json_of(
            app.get(&desa.token, &format!("/api/v1/persons/{head}/jkn/payments"))
                .await,
        )
        .await;
        let channels: Vec<&str> = history
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|p| p["channel"].as_str())
            .collect();
        assert_eq!(channels, ["agent", "ewallet", "bank_va"]);
        let resp = app
            .get(&far.token, &format!("/api/v1/persons/{head}/jkn/payments"))
            .await;
        assert_eq!(resp.status(), 404);
        // Finance lists and balances are for back offices.
        for path in ["/api/v1/payments", "/api/v1/ledger/balances"] {
            assert_eq!(app.get(&desa.token, path).await.status(), 403);
        }
        assert_ledger_consistent(&app).await;

        // Reconciliation: the national finance unit imports the bank's statement.
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let pusat = app.officer("pusat", "national_officer", None).await;
        let day = Utc::now().format("%Y-%m-%d").to_string();
        let statement = format!(
            "date,reference,amount,description\n{day},BNI-0001,150000,VA 8888\n{day},BNI-9999,35000,unknown\n"
        );
        let upload = |token: String, text: String| {
            let app = &app;
            async move {
                let form = reqwest::multipart::Form::new()
                    .text("channel", "bank_va")
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(text.into_bytes()).file_name("bni.csv"),
                    );
                app.client
                    .post(app.url("/api/v1/reconciliation/statements"))
                    .bearer_auth(token)
                    .multipart(form)
                    .send()
                    .await
                    .expect("upload")
            }
        };
        assert_eq!(
            upload(kab.token.clone(), statement.clone()).await.status(),
            403
        );
        let resp = upload(
            pusat.token.clone(),
            format!("date,reference,amount\n{day},BNI-0001,150000\n2026-02-30,X,1\n"),
        )
        .await;
        assert_eq!(resp.status(), 422);
        assert_eq!(json_of(resp).await["error"]["field"], "line 3");
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM bank_statements").await,
            0,
            "a bad file writes nothing"
        );
        let resp = upload(pusat.token.clone(), statement.clone()).await;
        assert_eq!(resp.status(), 201);
        let s = json_of(resp).await;
        assert_eq!(
            (&s["lines"], &s["matched"], &s["exceptions"]),
            (&json!(2), &json!(1), &json!(1))
        );
        let resp = upload(pusat.token.clone(), statement.clone()).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(json_of(resp).await["already_imported"], true);
        let m = json_of(app.get(&pusat.token, "/api/v1/ledger/balances").await).await;
        let bank = m
            .as_array()
            .expect("balances")
            .iter()
            .find(|b| b["account"] == "bank")
            .expect("bank")["balance"]
            .clone();
        assert_eq!(
            bank,
            65_000 + 150_000,
            "the deposit and the settled payment"
        );
        // The line Pintu has no payment for is in the queue, for the national unit only.
        let ex = json_of(
            app.get(&pusat.token, "/api/v1/reconciliation/exceptions")
                .await,
        )
        .await;
        assert_eq!(ex.as_array().map(Vec::len), Some(1), "{ex}");
        assert_eq!(ex[0]["kind"], "missing_ours");
        assert_eq!(ex[0]["amount_bank"], 35_000);
        let kab_ex = json_of(
            app.get(&kab.token, "/api/v1/reconciliation/exceptions")
                .await,
        )
        .await;
        assert_eq!(kab_ex, json!([]));
        let id = ex[0]["id"].as_str().expect("id");
        let path = format!("/api/v1/reconciliation/exceptions/{id}/resolve");
        let resp = app
            .post(&pusat.token, &path, &json!({"resolution": " "}))
            .await;
        assert_eq!(resp.status(), 422);
        let resp = app
            .post(
                &pusat.token,
                &path,
                &json!({"resolution": "Transfer to another BPJS account; returned by the bank."}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(json_of(resp).await["status"], "resolved");
        let resp = app
            .post(&pusat.token, &path, &json!({"resolution": "again"}))
            .await;
        assert_eq!(resp.status(), 409);

        // An e-wallet statement that shows another amount, and misses nothing else.
        let resp = app
            .client
            .post(app.url("/api/v1/reconciliation/statements"))
            .bearer_auth(&pusat.token)
            .multipart(
                reqwest::multipart::Form::new()
                    .text("channel", "ewallet")
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(
                            format!("date,reference,amount\n{day},OVO-77,10000\n").into_bytes(),
                        )
                        .file_name("ovo.csv"),
                    ),
            )
            .send()
            .await
            .expect("upload");
        let s = json_of(resp).await;
        assert_eq!((&s["matched"], &s["exceptions"]), (&json!(0), &json!(1)));
        let ex = json_of(
            app.get(&kab.token, "/api/v1/reconciliation/exceptions")
                .await,
        )
        .await;
        assert_eq!(
            ex[0]["kind"], "amount_differs",
            "the district sees its family's"
        );
        assert_eq!(
            (&ex[0]["amount_ours"], &ex[0]["amount_bank"]),
            (&json!(100_000), &json!(10_000))
        );
        assert_ledger_consistent(&app).await;

        // Every payment told the family by SMS.
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM outbox_messages WHERE template = 'payment_received'"
            )
            .await,
            3
        );
    }
}

/// A test app with one PBPU family billed for November 2026: the app and the family's
/// virtual account.
async fn one_billed_family(backend: pintu_testkit::Backend) -> (TestApp, String) {
    let app = spawn_app(backend).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let head = pbpu_family(&app, &desa.token, VILLAGE, 1).await;
    bill(&app, "2026-11", (2026, 11, 2)).await;
    let va = family_va(&app, &desa.token, &head).await;
    (app, va)
}

/// Exactly one payment was booked, with one ledger entry.
async fn assert_one_payment_booked(app: &TestApp) {
    assert_eq!(count(app, "SELECT COUNT(*) AS n FROM payments").await, 1);
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) AS n FROM journal_entries WHERE kind = 'payment'"
        )
        .await,
        1
    );
}

const BANK_CALLBACKS: &str = "/api/v1/payments/callbacks/bank_va";

/// Posts a bank callback signed with the test secret, from a task of its own: its status and
/// body.
async fn bank_callback(
    client: reqwest::Client,
    url: String,
    key: &'static str,
    body: Value,
) -> (u16, Value) {
    let body = serde_json::to_vec(&body).expect("json");
    let ts = Utc::now().timestamp();
    let sig = pintu_service::sms::sign(TEST_PAYMENTS_SECRET, ts, &body);
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .header("x-pintu-timestamp", ts.to_string())
        .header("x-pintu-signature", sig)
        .body(body)
        .send()
        .await
        .expect("callback");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

#[tokio::test]
async fn a_thousand_duplicate_callbacks_at_once_book_one_payment_and_one_entry() {
    for backend in backends() {
        let (app, va) = one_billed_family(backend).await;
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..1_000 {
            // One in a hundred reuses the key for another amount.
            let amount = if n % 100 == 7 { 99_000 } else { 105_000 };
            let body = json!({"va_number": va, "amount": amount, "reference": "BCA-1"});
            let (client, url) = (app.client.clone(), app.url(BANK_CALLBACKS));
            tasks.spawn(async move {
                let (status, v) = bank_callback(client, url, "BCA-1", body).await;
                (status, amount, v)
            });
        }
        let mut answers = Vec::new();
        while let Some(r) = tasks.join_next().await {
            answers.push(r.expect("task"));
        }
        let firsts: Vec<_> = answers
            .iter()
            .filter(|(status, ..)| *status == 201)
            .collect();
        assert_eq!(firsts.len(), 1, "{:?}", app.backend);
        let (amount, id) = (firsts[0].1, &firsts[0].2["payment"]["id"]);
        let mut same = 0;
        for (status, sent, v) in &answers {
            if *sent == amount {
                assert!(*status == 200 || *status == 201, "status {status}: {v}");
                assert_eq!(
                    &v["payment"]["id"], id,
                    "every duplicate got the first's result"
                );
                assert_eq!(v["payment"]["amount"], json!(amount));
                same += 1;
            } else {
                assert_eq!(*status, 409, "{v}");
                assert_eq!(v["error"]["code"], "idempotency_conflict");
            }
        }
        assert!(same == 990 || same == 10, "{same}");
        assert_one_payment_booked(&app).await;
        assert_eq!(
            count(
                &app,
                &format!("SELECT COUNT(*) AS n FROM jkn_bills WHERE paid = {amount}")
            )
            .await,
            1
        );
        assert_ledger_consistent(&app).await;
    }
}

/// Copies of a key that reach the booker together are booked in one batch: the first is
/// the payment, a copy for the same amount gets its result, a copy for another amount a
/// conflict, without reading the first booking back.
#[tokio::test]
async fn copies_of_a_key_in_one_batch_answer_with_the_first_or_conflict() {
    use pintu_domain::payments::Channel;
    use pintu_service::payments::PaymentInput;
    for backend in backends() {
        let (app, va) = one_billed_family(backend).await;
        // Spawned before any runs: the booker takes them all in its first batch.
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..200 {
            let (pintu, va) = (app.pintu.clone(), va.clone());
            tasks.spawn(async move {
                let amount = if n % 10 == 3 { 40_000 } else { 35_000 };
                let input = PaymentInput {
                    va_number: va,
                    amount,
                    reference: "BRI-5".into(),
                    paid_at: None,
                };
                let booked = pintu
                    .receive_payment(Channel::BankVa, "BRI-5", &input, Utc::now())
                    .await;
                (amount, booked)
            });
        }
        let mut answers = Vec::new();
        while let Some(r) = tasks.join_next().await {
            answers.push(r.expect("task"));
        }
        let first = answers
            .iter()
            .filter_map(|(_, b)| b.as_ref().ok().filter(|b| !b.duplicate))
            .collect::<Vec<_>>();
        assert_eq!(first.len(), 1, "{:?}", app.backend);
        let first = first[0].clone();
        let mut conflicts = 0;
        for (amount, booked) in &answers {
            match booked {
                Ok(b) => {
                    assert_eq!(*amount, first.payment.amount);
                    assert_eq!(b.payment.id, first.payment.id);
                    assert_eq!(b.allocations.len(), first.allocations.len());
                }
                Err(pintu_service::Error::Conflict { code, .. }) => {
                    assert_ne!(*amount, first.payment.amount);
                    assert_eq!(*code, "idempotency_conflict");
                    conflicts += 1;
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert!(conflicts == 20 || conflicts == 180, "{conflicts}");
        assert_one_payment_booked(&app).await;
        assert_ledger_consistent(&app).await;
    }
}

/// A channel that sends one key for the accounts of several families at once: the first
/// booked is the only payment; the same account again gets its result, another account a
/// conflict. On PostgreSQL the families' payments are booked by different tasks, whose
/// batches each find the key free before either has inserted it.
#[tokio::test]
async fn one_key_sent_for_several_families_at_once_books_one_payment() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let mut vas = Vec::new();
        for serial in 1..=8 {
            vas.push(pbpu_family(&app, &desa.token, VILLAGE, serial).await);
        }
        bill(&app, "2026-11", (2026, 11, 2)).await;
        for head in vas.iter_mut() {
            *head = family_va(&app, &desa.token, head).await;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..40 {
            for va in &vas {
                let (client, url, va) = (app.client.clone(), app.url(BANK_CALLBACKS), va.clone());
                tasks.spawn(async move {
                    let body = json!({"va_number": va, "amount": 10_000, "reference": "BCA-SAME"});
                    let (status, v) = bank_callback(client, url, "BCA-SAME", body).await;
                    (status, va, v)
                });
            }
        }
        let mut answers = Vec::new();
        while let Some(r) = tasks.join_next().await {
            answers.push(r.expect("task"));
        }
        let firsts: Vec<&(u16, String, Value)> = answers
            .iter()
            .filter(|(status, ..)| *status == 201)
            .collect();
        assert_eq!(firsts.len(), 1, "{:?}", app.backend);
        let (winner, id) = (&firsts[0].1, &firsts[0].2["payment"]["id"]);
        for (status, va, v) in &answers {
            match status {
                201 => {}
                200 => {
                    assert_eq!(
                        va, winner,
                        "only the first account's retries are duplicates"
                    );
                    assert_eq!(&v["payment"]["id"], id);
                }
                409 => {
                    assert_ne!(va, winner);
                    assert_eq!(v["error"]["code"], "idempotency_conflict");
                }
                other => panic!("status {other}: {v}"),
            }
        }
        assert_one_payment_booked(&app).await;
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM payment_allocations").await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT CAST(COALESCE(SUM(paid), 0) AS BIGINT) AS n FROM jkn_bills"
            )
            .await,
            10_000
        );
        assert_ledger_consistent(&app).await;
    }
}

async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let resp = c.get(app.url(path)).send().await.expect("page");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("html"))
}

#[tokio::test]
async fn officers_take_cash_deposit_it_and_run_finance_in_the_pages() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    app.officer("kab", "district_officer", Some("35.07")).await;
    app.officer("pusat", "national_officer", None).await;
    let head = pbpu_family(&app, &desa.token, VILLAGE, 1).await;

    // The district runs the month's billing from the finance page.
    let (kab, kab_csrf) = crate::pages::logged_in(&app, "kab").await;
    let (status, html) = page(&kab, &app, "/finance").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"billing-form\"") && html.contains("href=\"/finance\""));
    let resp = kab
        .post(app.url("/finance/billing"))
        .form(&[("csrf", kab_csrf.as_str()), ("period", "2026-13")])
        .send()
        .await
        .expect("billing");
    assert_eq!(resp.status(), 422);
    let resp = kab
        .post(app.url("/finance/billing"))
        .form(&[("csrf", kab_csrf.as_str()), ("period", "2026-11")])
        .send()
        .await
        .expect("billing");
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.expect("html");
    assert!(html.contains("id=\"billing-result\""), "{html}");
    assert!(html.contains("Rp 105.000"));

    // The village officer takes cash as an agent on the member's page; twice is once.
    let (c, csrf) = crate::pages::logged_in(&app, "desa").await;
    let (_, html) = page(&c, &app, &format!("/persons/{head}/jkn")).await;
    assert!(html.contains("id=\"cash-form\"") && html.contains("id=\"no-payments\""));
    let key = html
        .split("name=\"idempotency_key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("key")
        .to_string();
    for _ in 0..2 {
        let resp = c
            .post(app.url(&format!("/persons/{head}/jkn/cash")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("idempotency_key", key.as_str()),
                ("channel", "agent"),
                ("amount", "105.000"),
                ("reference", ""),
            ])
            .send()
            .await
            .expect("cash");
        assert_eq!(resp.status(), 303);
    }
    let resp = c
        .post(app.url(&format!("/persons/{head}/jkn/cash")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("idempotency_key", "another"),
            ("channel", "agent"),
            ("amount", "lots"),
        ])
        .send()
        .await
        .expect("cash");
    assert_eq!(resp.status(), 422);
    let (_, html) = page(&c, &app, &format!("/persons/{head}/jkn")).await;
    assert_eq!(
        html.matches("Kader JKN").count(),
        2,
        "one payment listed (and the option)"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM payments").await, 1);
    let (_, html) = page(&c, &app, "/payments/cash").await;
    assert!(html.contains("Rp 105.000") && html.contains("id=\"deposit-form\""));
    let resp = c
        .post(app.url("/payments/cash/deposit"))
        .form(&[("csrf", csrf.as_str()), ("bank_reference", "")])
        .send()
        .await
        .expect("deposit");
    assert_eq!(resp.status(), 422);
    let resp = c
        .post(app.url("/payments/cash/deposit"))
        .form(&[("csrf", csrf.as_str()), ("bank_reference", "SLIP-7")])
        .send()
        .await
        .expect("deposit");
    let html = resp.text().await.expect("html");
    assert!(
        html.contains("id=\"notice\"") && html.contains("SLIP-7"),
        "{html}"
    );
    // A village office has no finance page.
    assert_eq!(page(&c, &app, "/finance").await.0, 403);

    // The district's report: billed and collected in full.
    let (_, html) = page(&kab, &app, "/finance?month=2026-11").await;
    assert!(html.contains("100.0 %"), "collection ratio");
    assert!(html.contains("Kader JKN"));

    // The national finance unit reconciles a statement from the page.
    let (pusat, csrf) = crate::pages::logged_in(&app, "pusat").await;
    let day = Utc::now().format("%Y-%m-%d");
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("channel", "bank_va")
        .part(
            "file",
            reqwest::multipart::Part::bytes(
                format!("date,reference,amount\n{day},X-1,5000\n").into_bytes(),
            )
            .file_name("bank.csv"),
        );
    let resp = pusat
        .post(app.url("/finance/statements"))
        .multipart(form)
        .send()
        .await
        .expect("statement");
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.expect("html");
    assert!(html.contains("id=\"statement-result\"") && html.contains("id=\"exception-list\""));
    let (_, html) = page(&pusat, &app, "/facilities?regency=35.07").await;
    assert!(html.contains("0507P001"));
}

#[tokio::test]
async fn families_are_reminded_once_before_the_due_date_and_once_after_it() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        pbpu_family(&app, &desa.token, VILLAGE, 1).await;
        let paid_head = pbpu_family(&app, &desa.token, VILLAGE, 2).await;
        bill(&app, "2026-11", (2026, 11, 2)).await;
        let ctx = pintu_service::Ctx::system("test");
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
        let remind = |d: u32| {
            let (app, ctx) = (&app, &ctx);
            async move {
                app.pintu
                    .run_reminders(ctx, day(d), Utc::now())
                    .await
                    .expect("reminders")
            }
        };
        // A week before the 10th: too early.
        assert_eq!(remind(3).await, (0, 0));
        // One family pays; only the other is reminded.
        let m = json_of(
            app.get(&desa.token, &format!("/api/v1/persons/{paid_head}/jkn"))
                .await,
        )
        .await;
        let va = m["bills"][0]["va_number"].as_str().expect("va");
        let resp = callback(
            &app,
            "bank_va",
            "PAID-1",
            &json!({"va_number": va, "amount": 105_000, "reference": "PAID-1"}),
        )
        .await;
        assert_eq!(resp.status(), 201);
        assert_eq!(remind(7).await, (1, 0));
        assert_eq!(remind(8).await, (0, 0), "once per bill");
        assert_eq!(remind(12).await, (0, 1));
        assert_eq!(remind(20).await, (0, 0));
        for (template, n) in [("bill_due_soon", 1), ("bill_overdue", 1)] {
            assert_eq!(
                count(
                    &app,
                    &format!(
                        "SELECT COUNT(*) AS n FROM outbox_messages WHERE template = '{template}'"
                    )
                )
                .await,
                n
            );
        }
        // A village office does not run them.
        let desa_ctx = pintu_service::Ctx::new(
            pintu_domain::Actor::Officer {
                user_id: "x".into(),
                username: "desa".into(),
                role: pintu_domain::access::Role::VillageOfficer,
                area: pintu_domain::AreaCode::parse(VILLAGE).ok(),
            },
            None,
        );
        assert!(
            app.pintu
                .run_reminders(&desa_ctx, day(7), Utc::now())
                .await
                .is_err()
        );
    }
}

#[tokio::test]
async fn an_employer_pays_its_bpjs_ketenagakerjaan_bill_through_its_virtual_account() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        pbpu_family(&app, &desa.token, VILLAGE, 1).await;
        let resp = app
            .post(
                &kab.token,
                "/api/v1/employers",
                &json!({"npp": "35070009", "name": "PT Bayar", "sector": "Manufaktur",
                    "risk_class": 2, "village_code": VILLAGE, "registered_on": "2025-01-01"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let resp = app
            .post(
                &kab.token,
                "/api/v1/employers/35070009/workers",
                &json!({"nik": nik(VILLAGE, 1), "since": "2025-01-01"}),
            )
            .await;
        assert_eq!(
            resp.status(),
            201,
            "{}",
            resp.text().await.unwrap_or_default()
        );
        let period = (pintu_service::today() - chrono::Duration::days(31))
            .format("%Y-%m")
            .to_string();
        let resp = app
            .client
            .put(app.url(&format!("/api/v1/employers/35070009/wages/{period}")))
            .bearer_auth(&kab.token)
            .json(&json!({"rows": [{"worker": nik(VILLAGE, 1), "wage": 5_000_000}]}))
            .send()
            .await
            .expect("wages");
        assert_eq!(
            resp.status(),
            200,
            "{}",
            resp.text().await.unwrap_or_default()
        );
        let bills = json_of(
            app.get(&kab.token, "/api/v1/employers/35070009/bills")
                .await,
        )
        .await;
        let bill = &bills[0];
        let va = bill["va_number"].as_str().expect("va").to_string();
        let total = bill["total"].as_i64().expect("total");

        let resp = callback(
            &app,
            "bank_va",
            "EMP-1",
            &json!({"va_number": va, "amount": total - 1, "reference": "EMP-1"}),
        )
        .await;
        assert_eq!(resp.status(), 422);
        assert_eq!(json_of(resp).await["error"]["code"], "amount_not_bill");
        let pay = json!({"va_number": va, "amount": total, "reference": "EMP-1"});
        let resp = callback(&app, "bank_va", "EMP-1", &pay).await;
        assert_eq!(resp.status(), 201);
        let resp = callback(&app, "bank_va", "EMP-1", &pay).await;
        assert_eq!(resp.status(), 200, "a retry gets the first result");
        let resp = callback(&app, "bank_va", "EMP-2", &pay).await;
        assert_eq!(resp.status(), 409);
        assert_eq!(json_of(resp).await["error"]["code"], "bill_paid");
        let bills = json_of(
            app.get(&kab.token, "/api/v1/employers/35070009/bills")
                .await,
        )
        .await;
        assert_eq!(bills[0]["status"], "paid");
        let balances = json_of(app.get(&kab.token, "/api/v1/ledger/balances").await).await;
        let revenue = balances
            .as_array()
            .expect("balances")
            .iter()
            .find(|b| b["account"] == "tk_contribution_revenue")
            .expect("account")["balance"]
            .as_i64();
        assert_eq!(revenue, Some(-total));

        // The month's JKN bill for the same wage earners (PPU), on its own account.
        let jkn = json_of(
            app.get(&kab.token, "/api/v1/employers/35070009/jkn-bills")
                .await,
        )
        .await;
        let (ppu_va, ppu_total) = (
            jkn[0]["va_number"].as_str().expect("va").to_string(),
            jkn[0]["total"].as_i64().expect("total"),
        );
        assert_eq!(ppu_total, 250_000, "5 % of 5,000,000");
        let resp = callback(
            &app,
            "ewallet",
            "PPU-1",
            &json!({"va_number": ppu_va, "amount": ppu_total, "reference": "PPU-1"}),
        )
        .await;
        assert_eq!(resp.status(), 201);
        let jkn = json_of(
            app.get(&kab.token, "/api/v1/employers/35070009/jkn-bills")
                .await,
        )
        .await;
        assert_eq!(jkn[0]["status"], "paid");
        // The month's finance report has both employers' bills, paid.
        let report = json_of(
            app.get(
                &kab.token,
                &format!("/api/v1/finance/report?month={period}"),
            )
            .await,
        )
        .await;
        assert_eq!(
            (
                &report["total"]["ppu_billed"],
                &report["total"]["ppu_collected"]
            ),
            (&json!(ppu_total), &json!(ppu_total))
        );
        assert_eq!(
            (
                &report["total"]["tk_billed"],
                &report["total"]["tk_collected"]
            ),
            (&json!(total), &json!(total))
        );
        assert_ledger_consistent(&app).await;
    }
}

#[tokio::test]
async fn every_payment_and_finance_endpoint_keeps_to_the_officers_area() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let kab = app.officer("kab", "district_officer", Some("35.07")).await;
    let other = app.officer("lain", "district_officer", Some("32.01")).await;
    let head = pbpu_family(&app, &desa.token, VILLAGE, 1).await;
    bill(&app, "2026-11", (2026, 11, 2)).await;
    let va = family_va(&app, &desa.token, &head).await;
    let resp = callback(
        &app,
        "bank_va",
        "SCOPE-1",
        &json!({"va_number": va, "amount": 1_000, "reference": "SCOPE-1"}),
    )
    .await;
    assert_eq!(resp.status(), 201);

    // Reads: the district sees its area, the other district neither the family nor the area.
    for (path, mine, theirs) in [
        (format!("/api/v1/persons/{head}/jkn/payments"), 200, 404),
        ("/api/v1/payments?area=35.07".to_string(), 200, 403),
        ("/api/v1/ledger/balances?area=35.07".to_string(), 200, 403),
        (
            "/api/v1/finance/report?area=35.07&month=2026-11".to_string(),
            200,
            403,
        ),
        (
            "/api/v1/reconciliation/exceptions?area=35.07".to_string(),
            200,
            403,
        ),
    ] {
        assert_eq!(app.get(&kab.token, &path).await.status(), mine, "{path}");
        assert_eq!(
            app.get(&other.token, &path).await.status(),
            theirs,
            "{path}"
        );
    }
    // The other district's own lists hold nothing of this area.
    let theirs = json_of(app.get(&other.token, "/api/v1/payments").await).await;
    assert_eq!(theirs, json!([]));
    let report = json_of(
        app.get(&other.token, "/api/v1/finance/report?month=2026-11")
            .await,
    )
    .await;
    assert_eq!(report["total"]["bills"], 0);
    let balances = json_of(app.get(&other.token, "/api/v1/ledger/balances").await).await;
    assert!(
        balances
            .as_array()
            .expect("balances")
            .iter()
            .all(|b| b["balance"] == 0),
        "{balances}"
    );
    // Writes: cash for a family of another area is refused as unknown.
    let resp = app
        .client
        .post(app.url("/api/v1/payments/cash"))
        .bearer_auth(&other.token)
        .header("idempotency-key", "SCOPE-CASH")
        .json(&json!({"channel": "counter", "va_number": va, "amount": 1_000}))
        .send()
        .await
        .expect("cash");
    assert_eq!(json_of(resp).await["error"]["code"], "va_unknown");
    // Without a token, nothing.
    for path in [
        "/api/v1/payments",
        "/api/v1/ledger/balances",
        "/api/v1/payments/cash",
        "/api/v1/reconciliation/statements",
    ] {
        let resp = app.client.get(app.url(path)).send().await.expect("get");
        assert_eq!(resp.status(), 401, "{path}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM payments").await, 1);
}

/// Who may do what with payments, role by role: the back offices (district, province,
/// national) read finance; every officer with registry access takes cash for families of
/// their area and deposits it; only the national finance unit imports statements; the
/// ombudsman and employers touch none of it; a resident sees only their own family's
/// payments.
#[tokio::test]
async fn each_role_may_do_only_its_part_of_payments_and_finance() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let head = pbpu_family(&app, &desa.token, VILLAGE, 1).await;
    bill(&app, "2026-11", (2026, 11, 2)).await;
    let va = family_va(&app, &desa.token, &head).await;
    let ctx = pintu_service::Ctx::system("test");
    app.pintu
        .register_employer(
            &ctx,
            &pintu_service::bpjstk::EmployerInput {
                npp: "35070001".into(),
                name: "PT Matriks".into(),
                sector: "Jasa".into(),
                risk_class: Some(1),
                village_code: VILLAGE.into(),
                address: None,
                registered_on: Some("2025-01-01".into()),
            },
            Utc::now(),
        )
        .await
        .expect("employer");
    app.pintu
        .create_employer_user(
            &ctx,
            "pemberi",
            "PT Matriks",
            "35070001",
            "kata sandi panjang",
        )
        .await
        .expect("employer user");
    let employer = app
        .pintu
        .issue_api_token(&ctx, "pemberi", "test")
        .await
        .expect("token");
    let resident = crate::residents::log_in(&app, &nik(VILLAGE, 1)).await;

    // (who, token, reads finance, takes cash, imports statements)
    let mut actors: Vec<(String, String, bool, bool, bool)> = Vec::new();
    for (role, area) in [
        ("village_officer", Some(VILLAGE)),
        ("subdistrict_officer", Some("35.07.01")),
        ("district_officer", Some("35.07")),
        ("province_officer", Some("35")),
        ("national_officer", None),
        ("admin", None),
        ("ombudsman", Some("35")),
    ] {
        let o = app.officer(&format!("u_{role}"), role, area).await;
        let finance = matches!(
            role,
            "district_officer" | "province_officer" | "national_officer"
        );
        let cash = !matches!(role, "ombudsman");
        actors.push((
            role.into(),
            o.token,
            finance,
            cash,
            role == "national_officer",
        ));
    }
    actors.push(("employer".into(), employer, false, false, false));
    actors.push(("resident".into(), resident.clone(), false, false, false));

    let denied = |status: u16| matches!(status, 401 | 403 | 404);
    let mut cash_taken = 0;
    for (who, token, finance, cash, national) in &actors {
        for path in [
            "/api/v1/payments".to_string(),
            "/api/v1/ledger/balances".to_string(),
            "/api/v1/finance/report?month=2026-11".to_string(),
            "/api/v1/reconciliation/statements".to_string(),
            "/api/v1/reconciliation/exceptions".to_string(),
            "/api/v1/payments/debits".to_string(),
        ] {
            let status = app.get(token, &path).await.status().as_u16();
            if *finance {
                assert_eq!(status, 200, "{who} {path}");
            } else {
                assert!(denied(status), "{who} {path}: {status}");
            }
        }
        // The family's payments: officers of its area, through the registry.
        let path = format!("/api/v1/persons/{head}/jkn/payments");
        let status = app.get(token, &path).await.status().as_u16();
        if *cash {
            assert_eq!(status, 200, "{who} {path}");
        } else {
            assert!(denied(status), "{who} {path}: {status}");
        }
        // ... and the resident, through the portal.
        let path = format!("/api/v1/me/persons/{head}/jkn/payments");
        let status = app.get(token, &path).await.status().as_u16();
        if who == "resident" {
            assert_eq!(status, 200, "{who} {path}");
        } else {
            assert!(denied(status), "{who} {path}: {status}");
        }
        // Cash for the family, the officer's own cash, and its deposit.
        let resp = app
            .client
            .post(app.url("/api/v1/payments/cash"))
            .bearer_auth(token)
            .header("idempotency-key", format!("CASH-{who}"))
            .json(&json!({"channel": "counter", "va_number": va, "amount": 1_000}))
            .send()
            .await
            .expect("cash");
        let status = resp.status().as_u16();
        let mine = app
            .get(token, "/api/v1/payments/cash")
            .await
            .status()
            .as_u16();
        let resp = app
            .client
            .post(app.url("/api/v1/payments/deposits"))
            .bearer_auth(token)
            .header("idempotency-key", format!("DEP-{who}"))
            .json(&json!({"bank_reference": format!("SETOR-{who}")}))
            .send()
            .await
            .expect("deposit");
        let deposit = resp.status().as_u16();
        if *cash {
            assert_eq!(status, 201, "{who} cash");
            assert_eq!(mine, 200, "{who} own cash");
            assert_eq!(
                deposit,
                201,
                "{who} deposit: {}",
                resp.text().await.unwrap_or_default()
            );
            cash_taken += 1;
        } else {
            assert!(denied(status), "{who} cash: {status}");
            assert!(denied(mine), "{who} own cash: {mine}");
            assert!(denied(deposit), "{who} deposit: {deposit}");
        }
        // Statements: the national finance unit only.
        let form = reqwest::multipart::Form::new()
            .text("channel", "bank_va")
            .part(
                "file",
                reqwest::multipart::Part::bytes(
                    format!("date,reference,amount\n2026-11-03,NONE-{who},1000\n").into_bytes(),
                )
                .file_name("statement.csv"),
            );
        let status = app
            .client
            .post(app.url("/api/v1/reconciliation/statements"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("statement")
            .status()
            .as_u16();
        if *national {
            assert_eq!(status, 201, "{who} statement");
        } else {
            assert!(denied(status), "{who} statement: {status}");
        }
        // A callback is the channel's, signed: a bearer token is not a signature.
        let status = app
            .client
            .post(app.url("/api/v1/payments/callbacks/bank_va"))
            .bearer_auth(token)
            .header("idempotency-key", format!("CB-{who}"))
            .json(&json!({"va_number": va, "amount": 1_000, "reference": format!("CB-{who}")}))
            .send()
            .await
            .expect("callback")
            .status()
            .as_u16();
        assert_eq!(status, 401, "{who} callback");
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM payments").await,
        cash_taken
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM cash_deposits").await,
        cash_taken
    );
}

/// The month's family bills, billed and collected, split between informal workers' families
/// (PBPU) and those of people not working (BP), adding up to the totals.
#[tokio::test]
async fn the_finance_report_splits_family_bills_between_pbpu_and_bp() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        pbpu_family(&app, &desa.token, VILLAGE, 1).await;
        let resp = app
            .post(
                &desa.token,
                "/api/v1/households",
                &household(VILLAGE, &nik(VILLAGE, 2), "Pensiunan"),
            )
            .await;
        let retired = json_of(resp).await["person_ids"][0]
            .as_str()
            .expect("id")
            .to_string();
        let resp = app
            .post(
                &desa.token,
                &format!("/api/v1/persons/{retired}/jkn"),
                &json!({"segment": "BP", "class": 2, "fktp": "0507P001"}),
            )
            .await;
        assert_eq!(
            resp.status(),
            201,
            "{}",
            resp.text().await.unwrap_or_default()
        );
        bill(&app, "2026-11", (2026, 11, 2)).await;
        let va = family_va(&app, &desa.token, &retired).await;
        let resp = callback(
            &app,
            "bank_va",
            "BP-1",
            &json!({"va_number": va, "amount": 60_000, "reference": "BP-1"}),
        )
        .await;
        assert_eq!(resp.status(), 201);
        let report = json_of(
            app.get(&kab.token, "/api/v1/finance/report?month=2026-11")
                .await,
        )
        .await;
        let t = &report["total"];
        assert_eq!(t["bills"], 2, "{report}");
        assert_eq!(t["bp_billed"], 100_000, "{report}");
        assert_eq!(t["bp_collected"], 60_000, "{report}");
        // The PBPU family: three members in class 3.
        assert_eq!(t["pbpu_billed"], 105_000, "{report}");
        assert_eq!(t["pbpu_collected"], 0, "{report}");
        assert_eq!(t["billed"], 205_000, "{report}");
        assert_eq!(t["collected"], 60_000, "{report}");
    }
}

/// Entries booked in bulk: an event booked before is left as it was, with its postings, and
/// the new ones of the same batch are booked with theirs.
#[tokio::test]
async fn entries_booked_in_bulk_skip_the_events_booked_before() {
    use pintu_domain::payments::{Account, Entry};
    use pintu_store::payments::{EntryRow, insert_entries, postings_of};
    for backend in backends() {
        let (store, _) = pintu_testkit::fresh_store(backend).await;
        let c = store.conn();
        let entry = |id: &str, event: &str, amount: i64| {
            (
                EntryRow {
                    id: id.into(),
                    kind: "payment".into(),
                    ref_id: event.into(),
                    village_code: VILLAGE.into(),
                    period: "2026-12".into(),
                    at: Utc::now(),
                    memo: None,
                },
                Entry::new()
                    .debit(Account::MemberCredit, amount)
                    .credit(Account::MemberReceivable, amount)
                    .balanced()
                    .expect("balanced"),
            )
        };
        let first = [entry("e1", "p1", 10), entry("e2", "p2", 20)];
        assert_eq!(insert_entries(c, &first).await.expect("first"), 2);
        // p2 again under another id, and p3 new.
        let second = [entry("e2b", "p2", 99), entry("e3", "p3", 30)];
        assert_eq!(insert_entries(c, &second).await.expect("second"), 1);
        let lines = |id: &'static str| postings_of(c, id);
        assert_eq!(lines("e2").await.expect("e2").len(), 2);
        assert_eq!(lines("e2b").await.expect("e2b"), Vec::new());
        assert_eq!(
            lines("e3").await.expect("e3"),
            vec![
                ("member_credit".to_string(), 30),
                ("member_receivable".to_string(), -30)
            ]
        );
        assert_eq!(count_in(c, "SELECT COUNT(*) AS n FROM postings").await, 6);
    }
}

/// A batch's rows reach both backends as they were written: quotes, backslashes and
/// non-ASCII text, nulls, and instants to the microsecond (PostgreSQL reads them from one
/// JSON parameter, SQLite from placeholders), and a key list of awkward ids finds its rows.
#[tokio::test]
async fn batch_rows_reach_both_backends_intact() {
    use chrono::{DateTime, TimeZone};
    use pintu_store::payments::{insert_entries, postings_of};
    let at = Utc.with_ymd_and_hms(2026, 12, 6, 23, 59, 59).unwrap()
        + chrono::Duration::nanoseconds(987_654_321);
    let memo = "Bayar \"Ibu\" \\ Ñ 日本\n{\"a\": [1]}";
    for backend in backends() {
        let (store, _) = pintu_testkit::fresh_store(backend).await;
        let c = store.conn();
        let entry = |id: &str, event: &str, memo: Option<&str>| payment_entry(id, event, at, memo);
        let awkward = r#"e"1\'x"#;
        assert_eq!(
            insert_entries(
                c,
                &[entry(awkward, "p1", Some(memo)), entry("e2", "p2", None)]
            )
            .await
            .expect("entries"),
            2
        );
        // p1 again: the key list of the new entries' ids finds only e3's.
        assert_eq!(
            insert_entries(c, &[entry("e1b", "p1", None), entry("e3", "p3", None)])
                .await
                .expect("entries again"),
            1
        );
        for (id, want) in [(awkward, Some(memo)), ("e2", None), ("e3", None)] {
            let row = pintu_store::query_one(
                c,
                "SELECT memo, at FROM journal_entries WHERE id = ?",
                vec![id.into()],
            )
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("{backend:?}: entry {id}"));
            let memo: Option<String> = pintu_store::col(&row, "memo").expect("memo");
            let read: DateTime<Utc> = pintu_store::col(&row, "at").expect("at");
            assert_eq!(memo.as_deref(), want, "{backend:?}");
            assert_eq!(
                read.timestamp_micros(),
                at.timestamp_micros(),
                "{backend:?}"
            );
            assert_eq!(postings_of(c, id).await.expect("postings").len(), 2);
        }
        assert_eq!(postings_of(c, "e1b").await.expect("e1b"), Vec::new());
    }
}

/// The booker writes its batches its own way on an SQLite file (see `BookingTx::write`):
/// what it stores reads back as written, instants in the same text as a pool's statement
/// stores them; a key taken since the batch looked undoes the whole batch; an event booked
/// before keeps its first entry.
#[tokio::test]
async fn a_booked_batch_stores_what_a_pool_statement_would() {
    use chrono::TimeZone;
    use pintu_store::payments::{
        EntryRow, PaymentRow, insert_payments, payment_by_key, postings_of,
    };
    let at = Utc.with_ymd_and_hms(2026, 12, 6, 23, 59, 59).unwrap()
        + chrono::Duration::microseconds(987_654);
    let payment = |id: &str, key: &str| PaymentRow {
        id: id.into(),
        channel: "bank_va".into(),
        idempotency_key: key.into(),
        reference: "Ref \"Ñ\" 日本".into(),
        va_number: "8888801234567890".into(),
        household_id: "h1".into(),
        village_code: VILLAGE.into(),
        amount: 35_000,
        fee: 2_500,
        allocated: 30_000,
        credit: 5_000,
        paid_at: at,
        received_at: at + chrono::Duration::microseconds(1),
        collected_by: None,
        deposit_id: None,
        settled_at: None,
        entry_id: format!("e-{id}"),
        reactivated: true,
        employer_bill_id: None,
    };
    let entry = |id: &str, event: &str| payment_entry(id, event, at, Some("bank_va \"x\""));
    for backend in backends() {
        let (store, _) = pintu_testkit::fresh_store(backend).await;
        let c = store.conn();
        insert_payments(c, &[&payment("pool", "k-pool")])
            .await
            .expect("pool insert");
        // One batch of one payment and its entry, in the booker's turn: whether it was written.
        let book = |p: PaymentRow, e: (EntryRow, Vec<_>)| async {
            let (tx, _turn) = store.begin_booking().await.expect("begin");
            let batch = pintu_store::BookingWrites {
                payments: vec![p],
                entries: vec![e],
                ..Default::default()
            };
            tx.write(batch).await.expect("write")
        };
        assert!(
            book(payment("booked", "k-booked"), entry("e1", "booked")).await,
            "{backend:?}"
        );
        let booked = payment_by_key(c, "bank_va", "k-booked")
            .await
            .expect("read")
            .expect("booked");
        assert_eq!(booked, payment("booked", "k-booked"), "{backend:?}");
        let same = "SELECT COUNT(*) AS n FROM payments a JOIN payments b \
             ON a.id = 'pool' AND b.id = 'booked' \
             WHERE a.paid_at = b.paid_at AND a.received_at = b.received_at \
             AND a.reference = b.reference AND a.reactivated = b.reactivated";
        assert_eq!(count_in(c, same).await, 1, "{backend:?}");
        assert_eq!(postings_of(c, "e1").await.expect("postings").len(), 2);

        // The pool's key, taken since the batch looked: nothing of the batch is written.
        assert!(
            !book(payment("late", "k-pool"), entry("e2", "late")).await,
            "{backend:?}"
        );
        assert_eq!(count_in(c, "SELECT COUNT(*) AS n FROM payments").await, 2);
        let entries = "SELECT COUNT(*) AS n FROM journal_entries";
        assert_eq!(count_in(c, entries).await, 1, "{backend:?}");

        // An event booked before: its first entry stays, the new one has no lines.
        assert!(
            book(payment("next", "k-next"), entry("e3", "booked")).await,
            "{backend:?}"
        );
        assert_eq!(count_in(c, entries).await, 1, "{backend:?}");
        assert_eq!(postings_of(c, "e3").await.expect("postings"), Vec::new());

        // A batch that stops before it writes lets go of the database: another writer
        // gets in at once, and so does the next batch.
        drop(store.begin_booking().await.expect("begin"));
        let other = store.begin().await.expect("another writer");
        insert_payments(&other, &[&payment("other", "k-other")])
            .await
            .expect("insert");
        other.commit().await.expect("commit");
        assert!(
            book(payment("last", "k-last"), entry("e4", "last")).await,
            "{backend:?}"
        );
        assert_eq!(count_in(c, "SELECT COUNT(*) AS n FROM payments").await, 5);
    }
}

/// A payment's journal entry for `event`: Rp7 of credit put on the family's bill.
fn payment_entry(
    id: &str,
    event: &str,
    at: chrono::DateTime<Utc>,
    memo: Option<&str>,
) -> (
    pintu_store::payments::EntryRow,
    Vec<pintu_domain::payments::Posting>,
) {
    use pintu_domain::payments::{Account, Entry};
    (
        pintu_store::payments::EntryRow {
            id: id.into(),
            kind: "payment".into(),
            ref_id: event.into(),
            village_code: VILLAGE.into(),
            period: "2026-12".into(),
            at,
            memo: memo.map(Into::into),
        },
        Entry::new()
            .debit(Account::MemberCredit, 7)
            .credit(Account::MemberReceivable, 7)
            .balanced()
            .expect("balanced"),
    )
}

async fn count_in(c: &impl pintu_store::sea_orm::ConnectionTrait, sql: &str) -> i64 {
    let row = pintu_store::query_one(c, sql, vec![])
        .await
        .expect(sql)
        .expect("a row");
    pintu_store::col(&row, "n").expect("n")
}
