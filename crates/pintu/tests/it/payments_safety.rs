//! The safety of the contributions' money: a billing run and a reconciliation killed with
//! SIGKILL at random moments and resumed, each compared with the same work done without
//! interruption on a copy of the same database; and the ledger's invariants after random
//! sequences of billing runs, callbacks, duplicates, cash, deposits and statement imports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use pintu_domain::access::Scope;
use pintu_domain::payments::Channel;
use pintu_service::payments::PaymentInput;
use pintu_service::{Ctx, Pintu};
use pintu_store::sea_orm::{ConnectionTrait, TransactionTrait};
use rand::Rng;

/// The value of the `n` column of a one-row query.
async fn number(c: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = pintu_store::query_one(c, sql, vec![])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or_else(|| panic!("{sql}: no row"));
    pintu_store::col::<i64>(&row, "n").unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Where the ledger and the records it books disagree; empty when they agree.
///
/// Every entry balances and has postings; each account's balance (as the finance pages read
/// it) is the sum of its postings added up here line by line; the accounts sum to zero; and
/// each account is what the records say it is: receivables the open bills, credit what
/// payments have left, agent cash what is not deposited, clearing what the channel has not
/// settled, the bank the deposits and settlements, and so on. Each bill's `paid` is what its
/// allocations put on it and never more than its amount; each payment is on bills or kept
/// as credit; every bill, payment, settlement and write-off is booked exactly once.
pub(crate) async fn ledger_violations(c: &impl ConnectionTrait) -> Vec<String> {
    let mut bad = Vec::new();
    let unbalanced = pintu_store::payments::unbalanced_entries(c)
        .await
        .expect("unbalanced entries");
    if !unbalanced.is_empty() {
        bad.push(format!("unbalanced entries: {unbalanced:?}"));
    }
    // The postings added up here, independently of the store's balance query.
    let rows = pintu_store::query_all(
        c,
        "SELECT p.account, p.amount, p.village_code, e.kind FROM postings p \
         LEFT JOIN journal_entries e ON e.id = p.entry_id",
        vec![],
    )
    .await
    .expect("postings");
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    // And in each village and district, by the posting's own village.
    let mut in_area: BTreeMap<(String, String), i64> = BTreeMap::new();
    for r in &rows {
        let account: String = pintu_store::col(r, "account").expect("account");
        let amount: i64 = pintu_store::col(r, "amount").expect("amount");
        let kind: Option<String> = pintu_store::col(r, "kind").expect("kind");
        let village: String = pintu_store::col(r, "village_code").expect("village");
        if kind.is_none() {
            bad.push(format!("a posting of {amount} to {account} has no entry"));
        }
        *sums.entry(account.clone()).or_default() += amount;
        for area in [
            village.clone(),
            village.get(..5).unwrap_or_default().to_string(),
        ] {
            *in_area.entry((area, account.clone())).or_default() += amount;
        }
    }
    let areas: std::collections::BTreeSet<&String> = in_area.keys().map(|(a, _)| a).collect();
    for area in areas {
        let scope = Scope::Within(pintu_domain::AreaCode::parse(area).expect("area code"));
        let balances = pintu_store::payments::balances(c, &scope)
            .await
            .expect("balances in an area");
        let expected: BTreeMap<&String, i64> = in_area
            .iter()
            .filter(|((a, _), _)| a == area)
            .map(|((_, account), sum)| (account, *sum))
            .collect();
        let found: BTreeMap<&String, i64> =
            balances.iter().map(|b| (&b.account, b.balance)).collect();
        if found != expected {
            bad.push(format!(
                "{area}: balances {found:?} but its postings sum to {expected:?}"
            ));
        }
    }
    let empty = number(
        c,
        "SELECT COUNT(*) AS n FROM journal_entries e \
         WHERE NOT EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = e.id)",
    )
    .await;
    if empty > 0 {
        bad.push(format!("{empty} entries without postings"));
    }
    let balances = pintu_store::payments::balances(c, &Scope::National)
        .await
        .expect("balances");
    for b in &balances {
        if b.balance != sums.get(&b.account).copied().unwrap_or(0) {
            bad.push(format!(
                "{}: balance {} but its postings sum to {:?}",
                b.account,
                b.balance,
                sums.get(&b.account)
            ));
        }
    }
    if balances.len() != sums.len() {
        bad.push(format!(
            "balances of {} accounts, postings to {}",
            balances.len(),
            sums.len()
        ));
    }
    let total: i64 = balances.iter().map(|b| b.balance).sum();
    if total != 0 {
        bad.push(format!("the balances sum to {total}"));
    }
    let of = |a: &str| sums.get(a).copied().unwrap_or(0);
    let expected = [
        (
            of("member_receivable"),
            "SELECT CAST(COALESCE(SUM(amount - paid), 0) AS BIGINT) AS n FROM jkn_bills \
             WHERE status = 'open'",
            "member receivable = open bills' outstanding",
        ),
        (
            -of("member_credit"),
            "SELECT CAST(COALESCE(SUM(credit), 0) AS BIGINT) AS n FROM payments",
            "member credit = the payments' credit",
        ),
        (
            of("agent_cash"),
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM payments \
             WHERE channel IN ('counter', 'agent') AND deposit_id IS NULL",
            "agent cash = the cash not deposited",
        ),
        (
            of("bank"),
            "SELECT CAST((SELECT COALESCE(SUM(amount), 0) FROM cash_deposits) \
             + (SELECT COALESCE(SUM(amount), 0) FROM payments WHERE settled_at IS NOT NULL) \
             AS BIGINT) AS n",
            "bank = deposits + settled payments",
        ),
        (
            of("collection_cost"),
            "SELECT CAST(COALESCE(SUM(fee), 0) AS BIGINT) AS n FROM payments",
            "collection cost = the payments' fees",
        ),
        (
            -of("fees_payable"),
            "SELECT CAST(COALESCE(SUM(fee), 0) AS BIGINT) AS n FROM payments",
            "fees payable = the payments' fees",
        ),
        (
            of("arrears_written_off"),
            "SELECT CAST(COALESCE(SUM(amount - paid), 0) AS BIGINT) AS n FROM jkn_bills \
             WHERE status = 'written_off'",
            "arrears written off = what written-off bills still owed",
        ),
        (
            of("subsidy_receivable") + of("contribution_revenue"),
            "SELECT CAST(-COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM jkn_bills",
            "revenue = the bills (families' part and subsidy) and PBI contributions",
        ),
    ];
    for (got, sql, what) in expected {
        let want = number(c, sql).await;
        if got != want {
            bad.push(format!("{what}: ledger {got}, records {want}"));
        }
    }
    for channel in Channel::ALL.into_iter().filter(|c| c.is_callback()) {
        let got = of(&format!("clearing_{}", channel.code()));
        let want = number(
            c,
            &format!(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM payments \
                 WHERE channel = '{}' AND settled_at IS NULL",
                channel.code()
            ),
        )
        .await;
        if got != want {
            bad.push(format!(
                "clearing {}: ledger {got}, unsettled payments {want}",
                channel.code()
            ));
        }
    }
    let checks = [
        (
            "SELECT COUNT(*) AS n FROM jkn_bills b WHERE b.paid <> COALESCE((SELECT SUM(a.amount) \
             FROM payment_allocations a WHERE a.bill_id = b.id), 0)",
            "bills whose paid is not the sum of their allocations",
        ),
        (
            "SELECT COUNT(*) AS n FROM jkn_bills WHERE paid < 0 OR paid > amount",
            "bills paid beyond their amount",
        ),
        (
            "SELECT COUNT(*) AS n FROM jkn_bills WHERE (status = 'paid' AND paid <> amount) \
             OR (status <> 'paid' AND paid >= amount)",
            "bills whose status disagrees with what was paid",
        ),
        (
            "SELECT COUNT(*) AS n FROM payments p WHERE p.credit < 0 OR p.amount <> p.credit \
             + COALESCE((SELECT SUM(a.amount) FROM payment_allocations a \
             WHERE a.payment_id = p.id), 0)",
            "payments neither on bills nor kept as credit",
        ),
        (
            "SELECT COUNT(*) AS n FROM jkn_bills b WHERE (SELECT COUNT(*) FROM journal_entries e \
             WHERE e.kind = 'bill' AND e.ref_id = b.id) <> 1",
            "bills not booked exactly once",
        ),
        (
            "SELECT COUNT(*) AS n FROM journal_entries e WHERE e.kind = 'bill' \
             AND NOT EXISTS (SELECT 1 FROM jkn_bills b WHERE b.id = e.ref_id)",
            "bill entries without their bill",
        ),
        (
            "SELECT COUNT(*) AS n FROM payments p WHERE (SELECT COUNT(*) FROM journal_entries e \
             WHERE e.kind = 'payment' AND e.ref_id = p.id) <> 1",
            "payments not booked exactly once",
        ),
        (
            "SELECT COUNT(*) AS n FROM journal_entries e WHERE e.kind = 'payment' \
             AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = e.ref_id)",
            "payment entries without their payment",
        ),
        (
            "SELECT COUNT(*) AS n FROM payments p WHERE (SELECT COUNT(*) FROM journal_entries e \
             WHERE e.kind = 'settlement' AND e.ref_id = p.id) \
             <> CASE WHEN p.settled_at IS NULL THEN 0 ELSE 1 END",
            "payments whose settlement is not booked exactly once",
        ),
        (
            "SELECT COUNT(*) AS n FROM jkn_bills b WHERE (SELECT COUNT(*) FROM journal_entries e \
             WHERE e.kind = 'write_off' AND e.ref_id = b.id) \
             <> CASE WHEN b.status = 'written_off' AND b.paid < b.amount THEN 1 ELSE 0 END",
            "write-offs not booked exactly once",
        ),
        // Credit is put on a bill as the bill is written, so its allocation is dated with the
        // bill. A payment that came before the bill but was booked after it (it waited for
        // the families' lock) pays the bill itself, on its own date: no credit.
        (
            "SELECT COUNT(*) AS n FROM jkn_bills b WHERE (SELECT COUNT(*) FROM journal_entries e \
             WHERE e.kind = 'credit' AND e.ref_id = b.id) <> CASE WHEN EXISTS (SELECT 1 \
             FROM payment_allocations a JOIN journal_entries pe ON pe.ref_id = a.payment_id \
             AND pe.kind = 'payment' WHERE a.bill_id = b.id AND pe.at < b.created_at \
             AND a.at = b.created_at) THEN 1 ELSE 0 END",
            "bills paid from earlier credit without exactly one credit entry",
        ),
    ];
    for (sql, what) in checks {
        let n = number(c, sql).await;
        if n != 0 {
            bad.push(format!("{n} {what}"));
        }
    }
    bad
}

/// Each query's rows as text, to compare two databases that did the same work (ids and
/// times left out, or replaced by what identifies the record in both).
fn facts(path: &Path, queries: &[&str]) -> BTreeMap<String, Vec<String>> {
    let conn = rusqlite::Connection::open(path).expect("open");
    queries
        .iter()
        .map(|sql| {
            let mut st = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            let n = st.column_count();
            let rows = st
                .query_map([], |r| {
                    let mut line = Vec::with_capacity(n);
                    for i in 0..n {
                        line.push(format!("{:?}", r.get::<_, rusqlite::types::Value>(i)?));
                    }
                    Ok(line.join("|"))
                })
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .collect::<Result<Vec<String>, _>>()
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            (sql.to_string(), rows)
        })
        .collect()
}

fn one(path: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.query_row(sql, [], |r| r.get::<_, i64>(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// An application on a database file of its own with `persons` synthetic people in district
/// 35.07.01 (no JKN members yet).
async fn population(persons: usize, seed: u64) -> Pintu {
    let (store, _) = pintu_testkit::fresh_store(pintu_testkit::Backend::Sqlite).await;
    pintu_service::membership::load_facilities(&store)
        .await
        .expect("facilities");
    let pintu = Pintu::new(store);
    let area = pintu_domain::AreaCode::parse("35.07.01").expect("district");
    pintu
        .load_synthetic(&Ctx::system("test"), &area, persons, seed, |_, _| {})
        .await
        .expect("synthetic population");
    pintu
}

/// Registers everyone alive in the households `which` picks (an SQL condition on
/// `hm.household_id`) as PBPU families (class 3, a few in classes 1 and 2), as
/// `register_membership` does it for a family, in one statement instead of one call each.
async fn join_jkn(pintu: &Pintu, which: &str) {
    let now = Utc::now();
    pintu_store::execute(
        pintu.store.conn(),
        &format!(
            "INSERT INTO jkn_members (person_id, village_code, household_id, card_number, \
             segment, class, fktp_code, fktp_since, next_fktp_code, next_fktp_on, start_date, \
             status, created_at, updated_at) \
             SELECT p.id, p.village_code, hm.household_id, '000' || printf('%010d', p.rowid), \
             'PBPU', CASE substr(hm.household_id, -1) WHEN 'a' THEN 1 WHEN 'b' THEN 2 ELSE 3 \
             END, '0507P001', '2023-01-01', NULL, NULL, '2023-01-01', 'active', ?, ? \
             FROM persons p JOIN household_members hm ON hm.person_id = p.id \
             WHERE p.life_status = 'alive' AND {which}"
        ),
        vec![now.into(), now.into()],
    )
    .await
    .expect("memberships");
}

/// `persons` synthetic people, every family a PBPU member, billed for `period` on `on`.
async fn billed_families(persons: usize, seed: u64, period: &str, on: NaiveDate) -> Pintu {
    let pintu = population(persons, seed).await;
    join_jkn(&pintu, "1 = 1").await;
    pintu
        .run_billing(&Ctx::system("test"), period, on, Utc::now())
        .await
        .expect("billing");
    pintu
}

/// Opens the payment booker's connection, so that a payment made next starts at once.
async fn warm_booker(pintu: &Pintu) {
    pintu
        .store
        .begin_booking()
        .await
        .expect("booker's connection")
        .0
        .rollback()
        .await
        .expect("rollback");
}

/// A consistent copy of an SQLite database.
async fn copy_database(pintu: &Pintu, to: &Path) {
    pintu
        .store
        .conn()
        .execute_unprepared(&format!("VACUUM INTO '{}'", to.display()))
        .await
        .expect("copy");
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// An instant on a day, in the morning in Indonesia.
pub(crate) fn morning(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(2, 0, 0).expect("time"))
}

fn pintu_cli(db: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pintu"));
    cmd.arg("--database-url")
        .arg(format!("sqlite://{}?mode=rwc", db.display()))
        .args(args)
        .env_remove("PINTU_DATABASE_URL")
        .env("PINTU_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs the command to its end: its standard output, and how long it took.
fn run_to_end(mut cmd: Command) -> (String, Duration) {
    let started = Instant::now();
    let out = cmd.output().expect("run pintu");
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8_lossy(&out.stdout).into_owned(), took)
}

/// Starts the command and kills it (SIGKILL) after `delay` unless it has finished: whether
/// it was killed.
async fn kill_after(mut cmd: Command, delay: Duration) -> bool {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn pintu");
    tokio::time::sleep(delay).await;
    let killed = child.try_wait().expect("wait").is_none();
    if killed {
        child.kill().expect("kill -9");
    }
    let _ = child.wait();
    killed
}

/// How long `pintu` takes to start on `db` (open, check the schema) and refuse a bad
/// request: the part of a run before any work, when a kill interrupts nothing.
fn startup(db: &Path) -> Duration {
    let started = Instant::now();
    let out = pintu_cli(db, &["bill", "--period", "0000-00"])
        .output()
        .expect("run pintu");
    assert!(!out.status.success());
    started.elapsed()
}

/// `kills` random moments between `from` and `until`, one in each equal slice, earliest
/// first: a run killed and started again gets further each time, so the later kills fall
/// in its later steps.
fn kill_delays(from: Duration, until: Duration, kills: usize) -> Vec<Duration> {
    let mut rng = rand::rng();
    let from = from.as_millis() as u64;
    let span = (until.as_millis() as u64)
        .saturating_sub(from)
        .max(kills as u64);
    let slice = span / kills as u64;
    (0..kills as u64)
        .map(|i| Duration::from_millis(from + slice * i + rng.random_range(0..slice)))
        .collect()
}

/// The records a billing run writes, as text: what the families were billed and paid,
/// how each bill was booked and told, the ledger by kind of entry and account, the
/// memberships' status, and the messages of each subject.
const BILLING_FACTS: &[&str] = &[
    "SELECT household_id, period, members, amount, subsidy, paid, status, due_on, va_number \
     FROM jkn_bills ORDER BY household_id, period",
    "SELECT b.household_id, b.period, \
     (SELECT COUNT(*) FROM journal_entries e WHERE e.kind = 'bill' AND e.ref_id = b.id), \
     (SELECT COUNT(*) FROM journal_entries e WHERE e.kind = 'credit' AND e.ref_id = b.id), \
     (SELECT COUNT(*) FROM journal_entries e WHERE e.kind = 'write_off' AND e.ref_id = b.id), \
     (SELECT COUNT(*) FROM outbox_messages m WHERE m.template = 'bill_issued' \
      AND m.subject_id = b.id), \
     (SELECT MAX(m.body) FROM outbox_messages m WHERE m.template = 'bill_issued' \
      AND m.subject_id = b.id) \
     FROM jkn_bills b ORDER BY 1, 2",
    "SELECT e.kind, e.period, p.account, COUNT(*), SUM(p.amount) FROM journal_entries e \
     JOIN postings p ON p.entry_id = e.id GROUP BY e.kind, e.period, p.account ORDER BY 1, 2, 3",
    "SELECT person_id, status, reactivated_on FROM jkn_members ORDER BY person_id",
    "SELECT subject_id, template, body, COUNT(*) FROM outbox_messages \
     WHERE template <> 'bill_issued' GROUP BY subject_id, template, body ORDER BY 1, 2, 3",
    "SELECT idempotency_key, amount, allocated, credit, reactivated FROM payments ORDER BY 1",
    "SELECT p.idempotency_key, b.household_id, b.period, a.amount FROM payment_allocations a \
     JOIN payments p ON p.id = a.payment_id JOIN jkn_bills b ON b.id = a.bill_id \
     ORDER BY 1, 2, 3",
];

/// Kills `pintu bill` at random moments, runs it again to its end, and compares the result
/// with an uninterrupted run on a copy of the same database. The run bills some 2,500
/// families (a few paying from their credit, each bill told by SMS), writes off their bills
/// of February 2024 (beyond the 24 months that count) and suspends the families that left
/// January unpaid.
#[tokio::test]
async fn a_billing_run_killed_at_any_moment_resumes_without_billing_twice_or_losing_a_message() {
    // A quarter of the families were members in February 2024 and never paid that bill;
    // the rest joined later.
    let pintu = population(9_000, 7).await;
    let ctx = Ctx::system("test");
    let early = |household: &str| format!("substr({household}, -1) IN ('0', '1', '2', '3')");
    join_jkn(&pintu, &early("hm.household_id")).await;
    pintu
        .run_billing(&ctx, "2024-02", day(2024, 2, 2), Utc::now())
        .await
        .expect("billing");
    join_jkn(&pintu, &format!("NOT ({})", early("hm.household_id"))).await;
    pintu
        .run_billing(&ctx, "2026-01", day(2026, 1, 2), Utc::now())
        .await
        .expect("billing");
    // Some pay on 5 January 2026 (January's bill not yet due): of the early families, some
    // their two bills and 50,000 more kept as credit, some their two bills, some only the
    // 2024 bill; of the others, some January's bill and 50,000 more.
    let rows = pintu_store::query_all(
        pintu.store.conn(),
        &format!(
            "SELECT va_number, amount FROM jkn_bills WHERE period = '2026-01' AND {} \
             ORDER BY household_id LIMIT 240",
            early("household_id")
        ),
        vec![],
    )
    .await
    .expect("bills");
    for (i, r) in rows.iter().enumerate() {
        let va: String = pintu_store::col(r, "va_number").expect("va");
        let bill: i64 = pintu_store::col(r, "amount").expect("amount");
        let amount = match i % 3 {
            0 => 2 * bill + 50_000,
            1 => 2 * bill,
            _ => bill,
        };
        let booked = pintu
            .receive_payment(
                Channel::BankVa,
                &format!("SETUP-{i:04}"),
                &PaymentInput {
                    va_number: va,
                    amount,
                    reference: format!("SETUP-{i:04}"),
                    paid_at: Some(morning(day(2026, 1, 5))),
                },
                Utc::now(),
            )
            .await
            .expect("payment");
        assert!(booked.payment.reactivated, "paid what was overdue");
    }
    let rows = pintu_store::query_all(
        pintu.store.conn(),
        &format!(
            "SELECT va_number, amount FROM jkn_bills WHERE period = '2026-01' AND NOT ({}) \
             ORDER BY household_id LIMIT 120",
            early("household_id")
        ),
        vec![],
    )
    .await
    .expect("bills");
    for (i, r) in rows.iter().enumerate() {
        let va: String = pintu_store::col(r, "va_number").expect("va");
        let bill: i64 = pintu_store::col(r, "amount").expect("amount");
        pintu
            .receive_payment(
                Channel::Ewallet,
                &format!("LATER-{i:04}"),
                &PaymentInput {
                    va_number: va,
                    amount: bill + 50_000,
                    reference: format!("LATER-{i:04}"),
                    paid_at: Some(morning(day(2026, 1, 6))),
                },
                Utc::now(),
            )
            .await
            .expect("payment");
    }
    let families = number(
        pintu.store.conn(),
        "SELECT COUNT(DISTINCT household_id) AS n FROM jkn_members",
    )
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let clean = dir.path().join("clean.db");
    let crashed = dir.path().join("crashed.db");
    copy_database(&pintu, &clean).await;
    copy_database(&pintu, &crashed).await;
    pintu.store.close().await.expect("close");

    let args = ["bill", "--period", "2026-02", "--on", "2026-02-02"];
    let (out, took) = run_to_end(pintu_cli(&clean, &args));
    assert!(
        out.contains(&format!("{families} families, {families} billed")),
        "{out}"
    );
    let expected = facts(&clean, BILLING_FACTS);

    let ready = startup(&clean);
    let mut kills = Vec::new();
    for delay in kill_delays(ready, took, 8) {
        if kill_after(pintu_cli(&crashed, &args), delay).await {
            let done = [
                "SELECT COUNT(*) FROM jkn_bills WHERE period = '2026-02'",
                "SELECT COUNT(*) FROM jkn_bills WHERE status = 'written_off'",
                "SELECT COUNT(*) FROM outbox_messages WHERE template = 'membership_suspended' \
                 AND created_at > (SELECT MIN(created_at) FROM jkn_bills WHERE period = '2026-02')",
            ]
            .map(|sql| one(&crashed, sql));
            kills.push((delay.as_millis(), done));
        }
    }
    eprintln!(
        "billing run of {families} families: {} ms uninterrupted, {} ms to start; killed at \
         (ms, [bills, written off, suspended] so far) {kills:?}",
        took.as_millis(),
        ready.as_millis()
    );
    assert!(!kills.is_empty(), "the billing run was never interrupted");
    let (out, _) = run_to_end(pintu_cli(&crashed, &args));
    assert!(out.contains(&format!("{families} families")), "{out}");

    // Never two bills for a family and month, each booked once and told once.
    assert_eq!(
        one(
            &crashed,
            "SELECT COUNT(*) FROM (SELECT household_id, period FROM jkn_bills \
             GROUP BY household_id, period HAVING COUNT(*) > 1)"
        ),
        0
    );
    assert_eq!(
        one(
            &crashed,
            "SELECT COUNT(*) FROM jkn_bills WHERE period = '2026-02'"
        ),
        families
    );
    assert_eq!(
        one(
            &crashed,
            "SELECT COUNT(*) FROM jkn_bills b WHERE (SELECT COUNT(*) FROM outbox_messages m \
             WHERE m.template = 'bill_issued' AND m.subject_id = b.id) \
             <> (SELECT COUNT(*) > 0 FROM persons p JOIN household_members hm \
             ON hm.person_id = p.id WHERE hm.household_id = b.household_id \
             AND p.phone IS NOT NULL AND p.life_status = 'alive')"
        ),
        0,
        "one bill_issued message per bill of a family with a phone"
    );
    let got = facts(&crashed, BILLING_FACTS);
    for sql in BILLING_FACTS {
        let (want, have) = (&expected[*sql], &got[*sql]);
        if want != have {
            let first = want
                .iter()
                .zip(have.iter())
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("uninterrupted {a}\nresumed       {b}"));
            panic!(
                "{sql}\n{} rows uninterrupted, {} resumed; first difference:\n{}",
                want.len(),
                have.len(),
                first.unwrap_or_default()
            );
        }
    }
    let store = pintu_store::Store::connect(&format!("sqlite://{}", crashed.display()))
        .await
        .expect("open");
    assert_eq!(ledger_violations(store.conn()).await, Vec::<String>::new());
    store.close().await.expect("close");
}

/// The records a reconciliation writes, as text: the statement, its lines and exceptions
/// (payments named by their channel's key), which payments were settled and how often, and
/// the ledger by kind of entry and account.
const RECONCILIATION_FACTS: &[&str] = &[
    "SELECT channel, file_name, from_day, to_day, lines, matched, exceptions \
     FROM bank_statements ORDER BY 1, 2",
    "SELECT l.line_no, l.value_date, l.reference, l.amount, l.status, p.idempotency_key \
     FROM statement_lines l LEFT JOIN payments p ON p.id = l.payment_id ORDER BY 1",
    "SELECT x.kind, x.channel, x.reference, p.idempotency_key, x.line_no, x.amount_ours, \
     x.amount_bank, x.village_code, x.status FROM recon_exceptions x \
     LEFT JOIN payments p ON p.id = x.payment_id ORDER BY 1, 3, 5",
    "SELECT p.channel, p.idempotency_key, p.amount, p.settled_at IS NOT NULL, \
     (SELECT COUNT(*) FROM journal_entries e WHERE e.kind = 'settlement' AND e.ref_id = p.id) \
     FROM payments p ORDER BY 1, 2",
    "SELECT e.kind, e.period, p.account, COUNT(*), SUM(p.amount) FROM journal_entries e \
     JOIN postings p ON p.entry_id = e.id GROUP BY e.kind, e.period, p.account ORDER BY 1, 2, 3",
];

/// Kills `pintu reconcile` at random moments while it imports a bank statement of some
/// 2,400 lines, runs it again to its end, and compares the result with an uninterrupted
/// import on a copy of the same database: the statement is imported once, every payment
/// on it settled once, every exception listed once, and no payment lost.
#[tokio::test]
async fn a_reconciliation_killed_at_any_moment_imports_the_statement_exactly_once() {
    let pintu = billed_families(3_000, 13, "2026-11", day(2026, 11, 2)).await;
    let vas: Vec<String> = pintu_store::query_all(
        pintu.store.conn(),
        "SELECT va_number FROM jkn_bills ORDER BY household_id",
        vec![],
    )
    .await
    .expect("bills")
    .iter()
    .map(|r| pintu_store::col(r, "va_number").expect("va"))
    .collect();
    // Payments by virtual account over eight days of November (and a few by e-wallet, which
    // a bank statement does not show): the first pays the family's bill, the rest is credit.
    let mut statement = String::from("date,reference,amount,description\n");
    let (mut matched, mut exceptions, mut bank_va) = (0, 0, 0);
    for i in 0..2_400usize {
        let channel = if i % 80 == 79 {
            Channel::Ewallet
        } else {
            Channel::BankVa
        };
        let paid_on = day(2026, 11, 20 + (i % 8) as u32);
        let amount = 10_000 + (i as i64 * 7_919) % 90_000;
        let reference = format!("{}-{i:05}", channel.code().to_uppercase());
        pintu
            .receive_payment(
                channel,
                &reference,
                &PaymentInput {
                    va_number: vas[i % vas.len()].clone(),
                    amount,
                    reference: reference.clone(),
                    paid_at: Some(morning(paid_on)),
                },
                Utc::now(),
            )
            .await
            .expect("payment");
        if channel != Channel::BankVa {
            continue;
        }
        bank_va += 1;
        match i % 40 {
            // Not on the statement: missing at the bank.
            7 => exceptions += 1,
            // Another amount at the bank.
            13 => {
                statement.push_str(&format!("{paid_on},{reference},{},VA\n", amount + 1_000));
                exceptions += 1;
            }
            _ => {
                statement.push_str(&format!("{paid_on},{reference},{amount},VA\n"));
                matched += 1;
            }
        }
    }
    // Lines Pintu has no payment for, and one payment shown twice.
    for k in 0..15 {
        statement.push_str(&format!("2026-11-2{},UNKNOWN-{k:02},25000,VA\n", k % 8));
        exceptions += 1;
    }
    statement.push_str("2026-11-20,BANK_VA-00000,10000,VA again\n");
    exceptions += 1;
    let lines = statement.lines().count() as i64 - 1;

    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("bni-2026-11.csv");
    std::fs::write(&file, &statement).expect("statement");
    let clean = dir.path().join("clean.db");
    let crashed = dir.path().join("crashed.db");
    copy_database(&pintu, &clean).await;
    copy_database(&pintu, &crashed).await;
    pintu.store.close().await.expect("close");
    let payments_before = facts(
        &crashed,
        &["SELECT channel, idempotency_key, amount, allocated, credit FROM payments ORDER BY 1, 2"],
    );

    let file_arg = file.display().to_string();
    let args = ["reconcile", "--channel", "bank_va", file_arg.as_str()];
    let (out, took) = run_to_end(pintu_cli(&clean, &args));
    assert!(
        out.contains(&format!(
            "{lines} lines, {matched} matched, {exceptions} exceptions"
        )),
        "{out}"
    );
    let expected = facts(&clean, RECONCILIATION_FACTS);

    let ready = startup(&clean);
    let mut kills = Vec::new();
    for delay in kill_delays(ready, took, 6) {
        if kill_after(pintu_cli(&crashed, &args), delay).await {
            let imported = one(&crashed, "SELECT COUNT(*) FROM bank_statements");
            kills.push((delay.as_millis(), imported));
        }
    }
    eprintln!(
        "reconciliation of {lines} lines: {} ms uninterrupted, {} ms to start; killed at \
         (ms, statements imported) {kills:?}",
        took.as_millis(),
        ready.as_millis()
    );
    assert!(
        kills
            .iter()
            .any(|(ms, imported)| *ms > ready.as_millis() && *imported == 0),
        "no kill fell within the import: {kills:?}"
    );
    let (out, _) = run_to_end(pintu_cli(&crashed, &args));
    assert!(
        out.contains(&format!(
            "{lines} lines, {matched} matched, {exceptions} exceptions"
        )),
        "{out}"
    );
    let (again, _) = run_to_end(pintu_cli(&crashed, &args));
    assert!(again.contains("imported already"), "{again}");

    assert_eq!(one(&crashed, "SELECT COUNT(*) FROM bank_statements"), 1);
    assert_eq!(one(&crashed, "SELECT COUNT(*) FROM statement_lines"), lines);
    assert_eq!(
        one(
            &crashed,
            "SELECT COUNT(*) FROM payments WHERE settled_at IS NOT NULL"
        ),
        matched
    );
    assert_eq!(
        one(
            &crashed,
            "SELECT COUNT(*) FROM journal_entries WHERE kind = 'settlement'"
        ),
        matched,
        "one settlement entry per payment settled"
    );
    assert_eq!(
        one(&crashed, "SELECT COUNT(*) FROM recon_exceptions"),
        exceptions
    );
    assert_eq!(
        one(
            &crashed,
            "SELECT COUNT(*) FROM (SELECT kind, reference, line_no FROM recon_exceptions \
             GROUP BY kind, reference, line_no HAVING COUNT(*) > 1)"
        ),
        0,
        "no exception listed twice"
    );
    // No payment lost: the same payments, each settled or in the queue.
    assert_eq!(
        facts(
            &crashed,
            &[
                "SELECT channel, idempotency_key, amount, allocated, credit FROM payments ORDER BY 1, 2"
            ]
        ),
        payments_before
    );
    assert_eq!(
        one(
            &crashed,
            "SELECT COUNT(*) FROM payments p WHERE p.channel = 'bank_va' \
             AND p.settled_at IS NULL AND (SELECT COUNT(*) FROM recon_exceptions x \
             WHERE x.payment_id = p.id) <> 1"
        ),
        0,
        "every payment of the statement's days settled or in the queue once"
    );
    assert_eq!(
        one(
            &crashed,
            "SELECT COUNT(*) FROM payments WHERE channel = 'bank_va'"
        ),
        bank_va
    );
    let got = facts(&crashed, RECONCILIATION_FACTS);
    for sql in RECONCILIATION_FACTS {
        assert_eq!(got[*sql], expected[*sql], "{sql}");
    }
    let store = pintu_store::Store::connect(&format!("sqlite://{}", crashed.display()))
        .await
        .expect("open");
    assert_eq!(ledger_violations(store.conn()).await, Vec::<String>::new());
    store.close().await.expect("close");
}

/// How much of what a family owes a payment brings.
#[derive(Debug, Clone, Copy)]
enum Pay {
    /// This many thousandths of it (at least one rupiah).
    Under(i64),
    Exact,
    /// It and this much more, kept as credit.
    Over(i64),
}

/// One step of a random sequence.
#[derive(Debug, Clone)]
enum Op {
    /// The next month's billing run, counting overdue bills from this day of the month.
    Bill { on_day: u32 },
    /// A callback from a channel for a family, paid on a day of the last month billed.
    Callback {
        family: usize,
        channel: Channel,
        pay: Pay,
        paid_day: u32,
    },
    /// The `nth` callback so far (modulo their number), sent again.
    Duplicate { nth: usize },
    /// Cash taken by the officer at the counter or as an agent.
    Cash {
        family: usize,
        agent: bool,
        pay: Pay,
    },
    /// The officer deposits the cash taken.
    Deposit,
    /// A channel's statement of its unsettled payments: the first `missing` of them not on
    /// it, one with another amount, and a line Pintu has no payment for.
    Statement {
        channel: Channel,
        missing: usize,
        differs: bool,
        unknown: bool,
    },
}

fn op_strategy() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    let channel = prop_oneof![
        Just(Channel::BankVa),
        Just(Channel::Ewallet),
        Just(Channel::Retail),
        Just(Channel::AutoDebit),
    ];
    let pay = prop_oneof![
        (1i64..1000).prop_map(Pay::Under),
        Just(Pay::Exact),
        (1i64..200_000).prop_map(Pay::Over),
    ];
    prop_oneof![
        2 => (1u32..=28).prop_map(|on_day| Op::Bill { on_day }),
        5 => (0usize..3, channel.clone(), pay.clone(), 1u32..=28).prop_map(
            |(family, channel, pay, paid_day)| Op::Callback { family, channel, pay, paid_day }
        ),
        2 => (0usize..100).prop_map(|nth| Op::Duplicate { nth }),
        2 => (0usize..3, any::<bool>(), pay)
            .prop_map(|(family, agent, pay)| Op::Cash { family, agent, pay }),
        1 => Just(Op::Deposit),
        1 => (channel, 0usize..3, any::<bool>(), any::<bool>()).prop_map(
            |(channel, missing, differs, unknown)| Op::Statement { channel, missing, differs, unknown }
        ),
    ]
}

/// What a family owes now on its open bills.
async fn owed(pintu: &Pintu, household: &str) -> i64 {
    pintu_store::jkn::bills_of(pintu.store.conn(), household)
        .await
        .expect("bills")
        .iter()
        .map(|b| b.outstanding())
        .sum()
}

fn amount_of(pay: Pay, owed: i64) -> i64 {
    // A family that owes nothing pays a month ahead.
    let owed = if owed > 0 { owed } else { 105_000 };
    match pay {
        Pay::Under(pm) => (owed * pm / 1000).max(1),
        Pay::Exact => owed,
        Pay::Over(more) => owed + more,
    }
}

/// Runs a sequence on a new application with three PBPU families and checks the ledger
/// after every step.
async fn run_sequence(ops: Vec<Op>) -> Result<(), String> {
    let app = pintu_testkit::spawn_app(pintu_testkit::Backend::Sqlite).await;
    let officer =
        crate::registry::officer_ctx(&app, "desa", "village_officer", Some(crate::VILLAGE)).await;
    let token = app
        .pintu
        .issue_api_token(&Ctx::system("test"), "desa", "families")
        .await
        .expect("token");
    let mut families = Vec::new();
    for serial in 1..=3 {
        let head = crate::payments::pbpu_family(&app, &token, crate::VILLAGE, serial).await;
        let member = pintu_store::jkn::member(app.pintu.store.conn(), &Scope::National, &head)
            .await
            .expect("member")
            .expect("joined");
        families.push(member.household_id.expect("household"));
    }
    let system = Ctx::system("test");
    let mut months = 0u32;
    let mut sent: Vec<(Channel, String, PaymentInput, String)> = Vec::new();
    let mut keys = 0usize;
    let mut payments = 0i64;
    let start = day(2025, 1, 1);
    let ops = std::iter::once(Op::Bill { on_day: 2 }).chain(ops);
    for (step, op) in ops.enumerate() {
        let period_start = start
            .checked_add_months(chrono::Months::new(months.saturating_sub(1)))
            .expect("month");
        let va = |household: &str| {
            let household = household.to_string();
            let c = app.pintu.store.conn();
            async move {
                pintu_store::jkn::bills_of(c, &household)
                    .await
                    .expect("bills")[0]
                    .va_number
                    .clone()
            }
        };
        match &op {
            Op::Bill { on_day } => {
                let first = start
                    .checked_add_months(chrono::Months::new(months))
                    .expect("month");
                let period = first.format("%Y-%m").to_string();
                let on = first + chrono::Duration::days(i64::from(*on_day) - 1);
                app.pintu
                    .run_billing(&system, &period, on, Utc::now())
                    .await
                    .map_err(|e| format!("step {step} {op:?}: {e}"))?;
                months += 1;
            }
            Op::Callback {
                family,
                channel,
                pay,
                paid_day,
            } => {
                let household = &families[*family];
                keys += 1;
                let key = format!("CB-{keys}");
                let input = PaymentInput {
                    va_number: va(household).await,
                    amount: amount_of(*pay, owed(&app.pintu, household).await),
                    reference: key.clone(),
                    paid_at: Some(morning(
                        period_start + chrono::Duration::days(i64::from(*paid_day) - 1),
                    )),
                };
                let booked = app
                    .pintu
                    .receive_payment(*channel, &key, &input, Utc::now())
                    .await
                    .map_err(|e| format!("step {step} {op:?}: {e}"))?;
                if booked.duplicate {
                    return Err(format!("step {step}: a new key booked as a duplicate"));
                }
                payments += 1;
                sent.push((*channel, key, input, booked.payment.id));
            }
            Op::Duplicate { nth } => {
                if sent.is_empty() {
                    continue;
                }
                let (channel, key, input, id) = &sent[nth % sent.len()];
                let again = app
                    .pintu
                    .receive_payment(*channel, key, input, Utc::now())
                    .await
                    .map_err(|e| format!("step {step} {op:?}: {e}"))?;
                if !again.duplicate || &again.payment.id != id {
                    return Err(format!(
                        "step {step}: the callback {key} again was booked anew"
                    ));
                }
            }
            Op::Cash { family, agent, pay } => {
                let household = &families[*family];
                keys += 1;
                let key = format!("CASH-{keys}");
                let input = PaymentInput {
                    va_number: va(household).await,
                    amount: amount_of(*pay, owed(&app.pintu, household).await),
                    reference: key.clone(),
                    paid_at: None,
                };
                let channel = if *agent {
                    Channel::Agent
                } else {
                    Channel::Counter
                };
                app.pintu
                    .collect_cash(&officer, channel, &key, &input, Utc::now())
                    .await
                    .map_err(|e| format!("step {step} {op:?}: {e}"))?;
                payments += 1;
            }
            Op::Deposit => {
                keys += 1;
                match app
                    .pintu
                    .deposit_cash(&officer, &format!("SLIP-{keys}"), Utc::now())
                    .await
                {
                    Ok(_) | Err(pintu_service::Error::Conflict { .. }) => {}
                    Err(e) => return Err(format!("step {step} {op:?}: {e}")),
                }
            }
            Op::Statement {
                channel,
                missing,
                differs,
                unknown,
            } => {
                let unsettled = pintu_store::query_all(
                    app.pintu.store.conn(),
                    "SELECT reference, amount, paid_at FROM payments \
                     WHERE channel = ? AND settled_at IS NULL ORDER BY reference",
                    vec![channel.code().into()],
                )
                .await
                .expect("payments");
                let mut csv = String::from("date,reference,amount\n");
                for (i, r) in unsettled.iter().enumerate().skip(*missing) {
                    let reference: String = pintu_store::col(r, "reference").expect("ref");
                    let amount: i64 = pintu_store::col(r, "amount").expect("amount");
                    let paid_at: DateTime<Utc> = pintu_store::col(r, "paid_at").expect("at");
                    let amount = if *differs && i == *missing {
                        amount + 1
                    } else {
                        amount
                    };
                    csv.push_str(&format!(
                        "{},{reference},{amount}\n",
                        pintu_service::payments::wib_day(paid_at)
                    ));
                }
                if *unknown || csv.lines().count() == 1 {
                    keys += 1;
                    csv.push_str(&format!("{period_start},UNKNOWN-{keys},5000\n"));
                }
                app.pintu
                    .import_statement(&system, *channel, "s.csv", csv.as_bytes(), Utc::now())
                    .await
                    .map_err(|e| format!("step {step} {op:?}: {e}"))?;
            }
        }
        let c = app.pintu.store.conn();
        let bad = ledger_violations(c).await;
        if !bad.is_empty() {
            return Err(format!("after step {step} {op:?}: {bad:#?}"));
        }
        let booked = number(c, "SELECT COUNT(*) AS n FROM payments").await;
        if booked != payments {
            return Err(format!(
                "after step {step} {op:?}: {booked} payments booked, {payments} sent"
            ));
        }
    }
    Ok(())
}

/// Random sequences of billing runs for successive months, callbacks on every channel
/// (under, exact and over what the family owes), duplicate callbacks, cash at the counter
/// and with agents, deposits and statement imports: after every step the ledger balances
/// and agrees with the bills and payments ([`ledger_violations`]), and each payment is
/// booked once however often it is sent.
#[test]
fn the_ledger_stays_balanced_and_true_to_the_records_under_any_sequence_of_operations() {
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut runner = TestRunner::new(Config {
        cases: 20,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(op_strategy(), 8..40), |ops| {
        rt.block_on(run_sequence(ops)).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A payment that arrives while a billing run is under way, for a family the run has not
/// reached yet, leaves its over-payment as credit; the run then issues the family's bill
/// without using that credit, because it read which families hold credit once, before
/// billing any. The family holds credit beside an open bill it would pay, and the next
/// run suspends it.
#[tokio::test]
async fn credit_booked_during_a_billing_run_pays_the_bill_the_run_issues() {
    // The payment waits for the write lock and gets in when the run pauses between two of
    // its transactions; under a heavy load it may get in only after the family's. That is
    // no fault, but it misses the case: the scenario is then played again, a few times.
    for attempt in 1..=3 {
        if pays_during_the_billing(7 + attempt).await {
            return;
        }
        eprintln!("attempt {attempt}: the payment missed the run's middle; again");
    }
    panic!(
        "the payment came before the run had issued its first bills or after the family's, three times"
    );
}

/// One play of [`credit_booked_during_a_billing_run_pays_the_bill_the_run_issues`]: whether
/// the payment came after the run's first bills and before the family's (the ledger is
/// checked either way).
async fn pays_during_the_billing(seed: u64) -> bool {
    // Enough families that the run takes several transactions: the payment, waiting for
    // the write lock, gets in between two of them before the family's.
    let pintu = billed_families(30_000, seed, "2026-01", day(2026, 1, 2)).await;
    // The family billed last (the run goes by household).
    let row = pintu_store::query_one(
        pintu.store.conn(),
        "SELECT household_id, va_number, amount FROM jkn_bills WHERE period = '2026-01' \
         ORDER BY household_id DESC LIMIT 1",
        vec![],
    )
    .await
    .expect("bill")
    .expect("a family");
    let household: String = pintu_store::col(&row, "household_id").expect("household");
    let va: String = pintu_store::col(&row, "va_number").expect("va");
    let bill: i64 = pintu_store::col(&row, "amount").expect("amount");
    let db = PathBuf::from(pintu.store.sqlite_file().expect("file"));
    warm_booker(&pintu).await;

    let run = pintu_cli(&db, &["bill", "--period", "2026-02", "--on", "2026-02-02"])
        .spawn()
        .expect("spawn pintu");
    // Once the run has issued its first bills, the family pays January and February.
    let started = Instant::now();
    while number(
        pintu.store.conn(),
        "SELECT COUNT(*) AS n FROM jkn_bills WHERE period = '2026-02'",
    )
    .await
        == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no bill issued"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let booked = pintu
        .receive_payment(
            Channel::BankVa,
            "DURING-RUN",
            &PaymentInput {
                va_number: va,
                amount: 2 * bill,
                reference: "DURING-RUN".into(),
                paid_at: Some(morning(day(2026, 2, 1))),
            },
            Utc::now(),
        )
        .await
        .expect("payment");
    let out = run.wait_with_output().expect("run");
    assert!(out.status.success());
    let c = pintu.store.conn();
    assert_eq!(ledger_violations(c).await, Vec::<String>::new());
    if booked.payment.credit != bill {
        return false;
    }
    let february = pintu_store::jkn::bills_of(c, &household)
        .await
        .expect("bills")
        .into_iter()
        .find(|b| b.period == "2026-02")
        .expect("billed");
    assert_eq!(
        (february.status.as_str(), february.paid),
        ("paid", bill),
        "February's bill is paid from the credit the family had when it was issued"
    );
    true
}

/// A payment that arrives while a billing run writes off bills older than 24 months, on a
/// bill the run has listed but not yet written off, is put on that bill (it is still open);
/// the run then writes the bill off for what it owed when listed, not what it still owes, so
/// the ledger takes the payment off the family's receivable twice.
#[tokio::test]
async fn a_payment_during_the_write_offs_is_not_written_off_again() {
    // The payment waits for the write lock and gets in when the run pauses between two of
    // its transactions; under a heavy load it may get in only after the last. That is no
    // fault, but it misses the case: the scenario is then played again, a few times.
    for attempt in 1..=3 {
        if pays_during_the_write_offs(7 + attempt).await {
            return;
        }
        eprintln!("attempt {attempt}: the payment came after the write-offs; again");
    }
    panic!("the payment came after the bill was written off, three times");
}

/// One play of [`a_payment_during_the_write_offs_is_not_written_off_again`]: whether the
/// payment came while the family's bill was still open (the ledger is checked either way).
async fn pays_during_the_write_offs(seed: u64) -> bool {
    // Enough families that the write-offs take several transactions: the payment, waiting
    // for the write lock, gets in between two of them before the last.
    let pintu = billed_families(60_000, seed, "2024-02", day(2024, 2, 2)).await;
    // The bill the run will write off last (it goes by bill id).
    let row = pintu_store::query_one(
        pintu.store.conn(),
        "SELECT va_number FROM jkn_bills WHERE period = '2024-02' ORDER BY id DESC LIMIT 1",
        vec![],
    )
    .await
    .expect("bill")
    .expect("a family");
    let va: String = pintu_store::col(&row, "va_number").expect("va");
    let db = PathBuf::from(pintu.store.sqlite_file().expect("file"));
    warm_booker(&pintu).await;

    let run = pintu_cli(&db, &["bill", "--period", "2026-03", "--on", "2026-03-02"])
        .spawn()
        .expect("spawn pintu");
    // Once the run has written off its first bills, the family pays a little.
    let started = Instant::now();
    while number(
        pintu.store.conn(),
        "SELECT COUNT(*) AS n FROM jkn_bills WHERE status = 'written_off'",
    )
    .await
        == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nothing written off"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let booked = pintu
        .receive_payment(
            Channel::BankVa,
            "DURING-WRITE-OFF",
            &PaymentInput {
                va_number: va,
                amount: 1_000,
                reference: "DURING-WRITE-OFF".into(),
                paid_at: Some(morning(day(2026, 3, 1))),
            },
            Utc::now(),
        )
        .await
        .expect("payment");
    let out = run.wait_with_output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        ledger_violations(pintu.store.conn()).await,
        Vec::<String>::new()
    );
    booked.allocations.first().map(|a| a.period.as_str()) == Some("2024-02")
}

/// A family that pays what was overdue while a billing run is suspending families, after
/// the run has listed it and before it reaches it, is suspended all the same: the run lists
/// the families to suspend once and suspends each without asking again. The family has
/// paid everything due and has no cover until it pays again (runs never reactivate).
#[tokio::test]
async fn a_family_that_pays_while_the_run_suspends_others_keeps_its_cover() {
    let pintu = billed_families(9_000, 7, "2026-01", day(2026, 1, 2)).await;
    // The family the run will suspend last (it goes by household).
    let row = pintu_store::query_one(
        pintu.store.conn(),
        "SELECT household_id, va_number, amount FROM jkn_bills WHERE period = '2026-01' \
         ORDER BY household_id DESC LIMIT 1",
        vec![],
    )
    .await
    .expect("bill")
    .expect("a family");
    let household: String = pintu_store::col(&row, "household_id").expect("household");
    let va: String = pintu_store::col(&row, "va_number").expect("va");
    let bill: i64 = pintu_store::col(&row, "amount").expect("amount");
    let db = PathBuf::from(pintu.store.sqlite_file().expect("file"));
    warm_booker(&pintu).await;

    let run = pintu_cli(&db, &["bill", "--period", "2026-02", "--on", "2026-02-02"])
        .spawn()
        .expect("spawn pintu");
    // Once the run has suspended its first families, the family pays January.
    let started = Instant::now();
    while number(
        pintu.store.conn(),
        "SELECT COUNT(*) AS n FROM jkn_members WHERE status = 'suspended'",
    )
    .await
        == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nobody suspended"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let booked = pintu
        .receive_payment(
            Channel::BankVa,
            "DURING-SUSPENSION",
            &PaymentInput {
                va_number: va,
                amount: bill,
                reference: "DURING-SUSPENSION".into(),
                paid_at: Some(morning(day(2026, 2, 3))),
            },
            Utc::now(),
        )
        .await
        .expect("payment");
    let out = run.wait_with_output().expect("run");
    assert!(out.status.success());
    // Whichever came first — the payment (the run then leaves the family be) or the
    // suspension (the payment then brings the family back) — the family ends covered.
    let _ = booked.payment.reactivated;
    let c = pintu.store.conn();
    assert_eq!(ledger_violations(c).await, Vec::<String>::new());
    let overdue = pintu_store::jkn::bills_of(c, &household)
        .await
        .expect("bills")
        .iter()
        .filter(|b| b.status == "open" && b.due_on < day(2026, 2, 3))
        .count();
    assert_eq!(overdue, 0, "January is paid, February not yet due");
    let statuses = pintu_store::jkn::household_members(c, &household)
        .await
        .expect("members")
        .into_iter()
        .map(|m| m.status)
        .collect::<Vec<_>>();
    assert!(
        statuses.iter().all(|s| s == "active"),
        "a family with nothing overdue keeps its cover: {statuses:?}"
    );
}

/// The page count in an SQLite file's header: what the database file itself holds, without
/// what is still only in the WAL.
fn pages_in_file(path: &Path) -> i64 {
    use std::io::Read;
    let mut header = [0u8; 100];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .expect("read the database header");
    i64::from(u32::from_be_bytes([
        header[28], header[29], header[30], header[31],
    ]))
}

#[tokio::test]
async fn the_payment_bookers_writes_reach_the_database_file_without_its_commits_checkpointing() {
    let pintu = billed_families(3_000, 11, "2026-01", day(2026, 1, 2)).await;
    let c = pintu.store.conn();
    c.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .expect("checkpoint");
    let db = PathBuf::from(pintu.store.sqlite_file().expect("file"));
    let before = number(c, "SELECT page_count AS n FROM pragma_page_count()").await;
    assert_eq!(pages_in_file(&db), before);

    // Every family pays, through the booker only: no other connection writes meanwhile.
    let bills = pintu_store::query_all(c, "SELECT va_number, amount FROM jkn_bills", vec![])
        .await
        .expect("bills");
    let mut payments = tokio::task::JoinSet::new();
    for r in &bills {
        let va: String = pintu_store::col(r, "va_number").expect("va");
        let amount: i64 = pintu_store::col(r, "amount").expect("amount");
        let pintu = pintu.clone();
        payments.spawn(async move {
            pintu
                .receive_payment(
                    Channel::BankVa,
                    &format!("WAL-{va}"),
                    &PaymentInput {
                        va_number: va.clone(),
                        amount,
                        reference: format!("WAL-{va}"),
                        paid_at: None,
                    },
                    Utc::now(),
                )
                .await
                .expect("payment")
        });
    }
    assert_eq!(payments.join_all().await.len(), bills.len());
    let after = number(c, "SELECT page_count AS n FROM pragma_page_count()").await;
    assert!(
        after > before,
        "the payments took {before} to {after} pages"
    );

    // The booker's connection leaves the checkpoint to its thread, which copies them back.
    let started = Instant::now();
    while pages_in_file(&db) < after {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the database file holds {} of {after} pages",
            pages_in_file(&db)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The WAL's checkpoint sequence number, which SQLite advances each time it starts the WAL
/// over, and the WAL file's size.
fn wal_state(db: &str) -> (u32, u64) {
    use std::io::Read;
    let path = format!("{db}-wal");
    let mut header = [0u8; 32];
    std::fs::File::open(&path)
        .and_then(|mut f| f.read_exact(&mut header))
        .expect("read the WAL header");
    let size = std::fs::metadata(&path).expect("WAL").len();
    (
        u32::from_be_bytes([header[12], header[13], header[14], header[15]]),
        size,
    )
}

/// Every family pays `part` of its bill, all at once, through `pintu`'s booker.
async fn everyone_pays(pintu: &Pintu, bills: &[(String, i64)], part: &str) {
    let mut payments = tokio::task::JoinSet::new();
    for (va, amount) in bills {
        let (pintu, va, amount) = (pintu.clone(), va.clone(), *amount);
        let key = format!("{part}-{va}");
        payments.spawn(async move {
            pintu
                .receive_payment(
                    Channel::BankVa,
                    &key,
                    &PaymentInput {
                        va_number: va,
                        amount: amount / 4,
                        reference: key.clone(),
                        paid_at: None,
                    },
                    Utc::now(),
                )
                .await
                .expect("payment")
        });
    }
    assert_eq!(payments.join_all().await.len(), bills.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wal_past_its_limit_is_started_over_even_when_the_checkpoint_is_behind() {
    let first = billed_families(3_000, 12, "2026-01", day(2026, 1, 2)).await;
    let path = first.store.sqlite_file().expect("file").to_string();
    let bills: Vec<(String, i64)> = pintu_store::query_all(
        first.store.conn(),
        "SELECT va_number, amount FROM jkn_bills",
        vec![],
    )
    .await
    .expect("bills")
    .iter()
    .map(|r| {
        (
            pintu_store::col(r, "va_number").expect("va"),
            pintu_store::col(r, "amount").expect("amount"),
        )
    })
    .collect();
    // A booker whose WAL is started over past 64 pages (256 KiB).
    let store = pintu_store::Store::connect(&format!("sqlite://{path}"))
        .await
        .expect("store")
        .with_wal_limit(64);
    let pintu = Pintu::new(store);

    // A reader that began before the first part was booked keeps the checkpoint from
    // copying it back, as a steady flow of payments does, until the checkpoint thread has
    // reported the WAL past its limit and behind.
    let reader = first
        .store
        .conn()
        .begin_with_options(pintu_store::sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(pintu_store::sea_orm::SqliteTransactionMode::Deferred),
            ..Default::default()
        })
        .await
        .expect("reader");
    number(&reader, "SELECT COUNT(*) AS n FROM payments").await;
    everyone_pays(&pintu, &bills, "FIRST").await;
    // The booker decides from the checkpoint thread's last report, which follows the batch
    // that booked the first part (perhaps the only one).
    let reported = Instant::now();
    while !pintu
        .store
        .booker_wal()
        .is_some_and(|(frames, copied)| frames > 64 && copied < frames)
    {
        assert!(
            reported.elapsed() < Duration::from_secs(10),
            "no report of the first part: {:?}",
            pintu.store.booker_wal()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (sequence, size) = wal_state(&path);
    // The reader ends; nothing asks the thread to checkpoint again before the next batch.
    reader.rollback().await.expect("reader ends");
    // Had the first part taken two batches, the second would have waited for the reader in
    // vain, and the booker would not wait again for a while.
    while pintu.store.booker_backing_off() {
        assert!(
            reported.elapsed() < Duration::from_secs(30),
            "still backing off"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The next part's transaction waits for the checkpoint to catch up, and so writes the
    // WAL from its start again: the WAL holds the second part only, not both. (Without the
    // wait it would begin with the first part still in the WAL, and append to it.)
    everyone_pays(&pintu, &bills, "SECOND").await;
    let (sequence_after, size_after) = wal_state(&path);
    assert_ne!(sequence_after, sequence, "the WAL was not started over");
    assert!(
        size_after < size + size / 2,
        "the WAL grew from {size} to {size_after} bytes"
    );
    assert_eq!(
        number(
            pintu.store.conn(),
            "SELECT COUNT(*) AS n FROM payments WHERE idempotency_key LIKE 'SECOND-%'"
        )
        .await as usize,
        bills.len()
    );
}
