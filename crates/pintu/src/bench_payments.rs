//! `pintu bench payments`: a JKN billing run over a synthetic population whose every family
//! is a PBPU member, then payment callbacks booked into the ledger, each timed; on
//! PostgreSQL also the baselines, the same computations as single SQL statements
//! (`benches/payments.sh` runs SQLite and PostgreSQL).

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use pintu_domain::AreaCode;
use pintu_domain::payments::Channel;
use pintu_service::payments::PaymentInput;
use pintu_service::{Ctx, Pintu};
use pintu_store::sea_orm::{ConnectionTrait, DbBackend};
use pintu_store::{Store, col, query_all, query_one};

async fn count(store: &Store, sql: &str) -> anyhow::Result<i64> {
    let row = query_one(store.conn(), sql, vec![])
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row"))?;
    Ok(col::<i64>(&row, "n")?)
}

/// Every living member of a household joins JKN as PBPU, the family in one class (1, 2 or 3
/// by the household), one set-based statement per backend.
async fn enrol_everyone(store: &Store) -> anyhow::Result<i64> {
    let (card, class) = match store.backend() {
        DbBackend::Postgres => (
            "lpad((row_number() OVER (ORDER BY m.person_id))::text, 13, '0')",
            "(ascii(substr(m.household_id, 36, 1)) % 3) + 1",
        ),
        _ => (
            "printf('%013d', row_number() OVER (ORDER BY m.person_id))",
            "(unicode(substr(m.household_id, 36, 1)) % 3) + 1",
        ),
    };
    let now = Utc::now();
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    pintu_store::execute(
        store.conn(),
        &format!(
            "INSERT INTO jkn_members (person_id, village_code, household_id, card_number, \
                 segment, class, fktp_code, fktp_since, start_date, status, created_at, \
                 updated_at) SELECT m.person_id, m.village_code, m.household_id, {card}, \
                 'PBPU', {class}, '0507P001', ?, ?, 'active', ?, ? \
                 FROM household_members m JOIN persons p ON p.id = m.person_id \
                 WHERE p.life_status = 'alive'"
        ),
        vec![start.into(), start.into(), now.into(), now.into()],
    )
    .await?;
    count(store, "SELECT COUNT(*) AS n FROM jkn_members").await
}

/// The billing as one SQL statement (PostgreSQL): the same bills, into a copy of the table.
async fn baseline_billing(store: &Store, period: &str) -> anyhow::Result<(u64, f64)> {
    let c = store.conn();
    c.execute_unprepared(
        "CREATE TABLE baseline_bills (LIKE jkn_bills INCLUDING DEFAULTS); \
         CREATE UNIQUE INDEX ux_baseline_bills ON baseline_bills (household_id, period)",
    )
    .await?;
    let started = Instant::now();
    let r = c
        .execute_unprepared(&format!(
            "INSERT INTO baseline_bills (id, household_id, village_code, period, va_number, \
             members, amount, subsidy, paid, due_on, status, created_at) \
             SELECT gen_random_uuid()::text, m.household_id, min(m.village_code), '{period}', \
             '88888' || min(m.card_number), count(*), sum(r.monthly - r.subsidy), \
             sum(r.subsidy), 0, DATE '{period}-10', 'open', now() \
             FROM jkn_members m JOIN (VALUES (1, 150000, 0), (2, 100000, 0), (3, 42000, 7000)) \
             AS r(class, monthly, subsidy) ON r.class = m.class \
             WHERE m.segment IN ('PBPU', 'BP') AND m.status <> 'inactive' \
             AND m.household_id IS NOT NULL GROUP BY m.household_id \
             ON CONFLICT (household_id, period) DO NOTHING"
        ))
        .await?;
    Ok((r.rows_affected(), started.elapsed().as_secs_f64()))
}

/// The callbacks as one SQL statement (PostgreSQL): the staged callbacks inserted as payments
/// of the family their account names, once per key — without allocation, ledger or messages.
async fn baseline_callbacks(
    store: &Store,
    callbacks: &[(String, String, i64)],
) -> anyhow::Result<(u64, f64)> {
    let c = store.conn();
    c.execute_unprepared(
        "CREATE TABLE staged_callbacks (idempotency_key text, va_number text, amount bigint); \
         CREATE TABLE baseline_payments (LIKE payments INCLUDING DEFAULTS); \
         CREATE UNIQUE INDEX ux_baseline_payments ON baseline_payments (channel, idempotency_key)",
    )
    .await?;
    for chunk in callbacks.chunks(5000) {
        let mut sql = String::from(
            "INSERT INTO staged_callbacks (idempotency_key, va_number, amount) VALUES ",
        );
        for (i, (key, va, amount)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("('{key}', '{va}', {amount})"));
        }
        c.execute_unprepared(&sql).await?;
    }
    let started = Instant::now();
    let r = c
        .execute_unprepared(
            "INSERT INTO baseline_payments (id, channel, idempotency_key, reference, va_number, \
             household_id, village_code, amount, fee, allocated, credit, paid_at, received_at, \
             entry_id, reactivated) \
             SELECT gen_random_uuid()::text, 'bank_va', s.idempotency_key, s.idempotency_key, \
             s.va_number, b.household_id, b.village_code, s.amount, 2500, 0, 0, now(), now(), \
             gen_random_uuid()::text, false \
             FROM staged_callbacks s JOIN jkn_bills b ON b.va_number = s.va_number \
             ON CONFLICT (channel, idempotency_key) DO NOTHING",
        )
        .await?;
    Ok((r.rows_affected(), started.elapsed().as_secs_f64()))
}

pub async fn run(
    persons: usize,
    callbacks: usize,
    concurrency: usize,
    area: &str,
    seed: u64,
    target: Option<String>,
) -> anyhow::Result<()> {
    let area = AreaCode::parse(area).map_err(|e| anyhow::anyhow!("--area: {e}"))?;
    let url = match target {
        Some(u) => u,
        None => {
            let path = "pintu-data/bench-payments.db";
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            format!("sqlite://{path}?mode=rwc")
        }
    };
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let secret = "bench";
    let pintu = Pintu::new(store.clone()).with_payments_secret(Some(secret.into()));
    let ctx = Ctx::system("bench");
    anyhow::ensure!(
        count(&store, "SELECT COUNT(*) AS n FROM persons").await? == 0,
        "the target database must be empty"
    );
    eprintln!("loading {persons} synthetic people...");
    pintu
        .load_synthetic(
            &ctx,
            &area,
            persons,
            seed,
            crate::progress(persons, "loading"),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("enrolling every family in JKN...");
    let members = enrol_everyone(&store).await?;
    if store.backend() == DbBackend::Postgres {
        store.conn().execute_unprepared("VACUUM ANALYZE").await?;
    }
    let period = "2026-12";
    let on = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
    println!("backend: {:?}; members: {members}", store.backend());

    eprintln!("billing...");
    let started = Instant::now();
    let run = pintu
        .run_billing(&ctx, period, on, Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let messages = count(
        &store,
        "SELECT COUNT(*) AS n FROM outbox_messages WHERE template = 'bill_issued'",
    )
    .await?;
    println!(
        "pintu billing run: {seconds:.2} s for {members} members in {} families ({} bills, \
         their ledger entries and {messages} SMS queued); {:.0} families/s",
        run.families,
        run.billed,
        run.families as f64 / seconds
    );
    let started = Instant::now();
    let again = pintu
        .run_billing(&ctx, period, on, Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "pintu billing run again (nothing to bill): {:.2} s, {} billed, {} already billed",
        started.elapsed().as_secs_f64(),
        again.billed,
        again.already_billed
    );
    if store.backend() == DbBackend::Postgres {
        let (n, s) = baseline_billing(&store, period).await?;
        println!("baseline billing, one SQL statement: {s:.2} s for {n} bills (bills only)");
    }

    // The callbacks: each family pays its bill, in one or two parts; one in ten is sent
    // twice (a retry), which must book nothing.
    let rows = query_all(
        store.conn(),
        "SELECT va_number, amount FROM jkn_bills ORDER BY va_number",
        vec![],
    )
    .await?;
    let bills: Vec<(String, i64)> = rows
        .iter()
        .map(|r| Ok((col(r, "va_number")?, col(r, "amount")?)))
        .collect::<anyhow::Result<_>>()?;
    anyhow::ensure!(!bills.is_empty(), "no bills");
    let mut planned: Vec<(String, String, i64)> = Vec::with_capacity(callbacks);
    let mut i = 0usize;
    while planned.len() < callbacks {
        let (va, amount) = &bills[i % bills.len()];
        let round = i / bills.len();
        let key = format!("BENCH-{i:08}");
        let part = if round == 0 { amount / 2 } else { amount / 4 };
        planned.push((key.clone(), va.clone(), part.max(1)));
        if i.is_multiple_of(10) && planned.len() < callbacks {
            planned.push((key, va.clone(), part.max(1)));
        }
        i += 1;
    }
    eprintln!(
        "booking {} callbacks, {concurrency} at a time...",
        planned.len()
    );
    // An officer keeps working meanwhile: how long their edits wait behind the payments.
    let people: Vec<String> = query_all(
        store.conn(),
        "SELECT id FROM persons WHERE life_status = 'alive' ORDER BY id LIMIT 200",
        vec![],
    )
    .await?
    .iter()
    .map(|r| col(r, "id"))
    .collect::<Result<_, _>>()?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let officer = tokio::spawn(officer_at_work(pintu.clone(), people, stop.clone()));
    let started = Instant::now();
    let cpu_before = crate::bench::process_cpu_seconds();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(planned.clone().into_iter()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (queue, pintu) = (queue.clone(), pintu.clone());
        tasks.spawn(async move {
            let mut booked = (0u64, 0u64);
            loop {
                let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                let Some((key, va, amount)) = next else { break };
                let input = PaymentInput {
                    va_number: va,
                    amount,
                    reference: key.clone(),
                    paid_at: None,
                };
                match pintu
                    .receive_payment(Channel::BankVa, &key, &input, Utc::now())
                    .await
                {
                    Ok(b) if b.duplicate => booked.1 += 1,
                    Ok(_) => booked.0 += 1,
                    Err(e) => return Err(anyhow::anyhow!("{key}: {e}")),
                }
            }
            Ok(booked)
        });
    }
    let (mut new, mut duplicates) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (n, d) = r??;
        new += n;
        duplicates += d;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_before
        .zip(crate::bench::process_cpu_seconds())
        .map(|((u0, s0), (u1, s1))| (u1 - u0, s1 - s0));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut waits, failed) = officer.await?;
    let unbalanced = pintu_store::payments::unbalanced_entries(store.conn())
        .await?
        .len();
    println!(
        "pintu callbacks: {seconds:.2} s for {} callbacks ({new} payments booked with their \
         allocations, ledger entries and SMS; {duplicates} duplicates answered); {:.0} \
         callbacks/s; unbalanced entries: {unbalanced}",
        planned.len(),
        planned.len() as f64 / seconds
    );
    if let Some((user, system)) = cpu {
        println!(
            "the process's CPU during the callbacks: {user:.1} s user, {system:.1} s system \
             ({:.1} of the machine's {} cores)",
            (user + system) / seconds,
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }
    waits.sort_by(f64::total_cmp);
    let at = |q: f64| {
        waits
            .get(((waits.len() as f64 * q) as usize).min(waits.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "an officer's edits meanwhile (a person's phone, one every {} ms): {} done, {failed} \
         failed; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        OFFICER_PAUSE.as_millis(),
        waits.len(),
        at(0.5),
        at(0.99),
        waits.last().copied().unwrap_or(0.0)
    );
    if store.backend() == DbBackend::Postgres {
        let (n, s) = baseline_callbacks(&store, &planned).await?;
        println!(
            "baseline callbacks, one SQL statement: {s:.2} s for {n} payments (inserted once \
             per key; no allocation, ledger or messages)"
        );
    }
    Ok(())
}

/// How long the officer of [`officer_at_work`] pauses between two edits.
const OFFICER_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// Edits people's phones one after the other (each a read, then a write with the person's
/// history and the audit), pausing [`OFFICER_PAUSE`] between two, until `stop`: how long
/// each edit took (ms), and how many failed.
async fn officer_at_work(
    pintu: Pintu,
    people: Vec<String>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (Vec<f64>, usize) {
    let ctx = Ctx::system("bench-officer");
    let (mut waits, mut failed) = (Vec::new(), 0);
    for (i, person) in people.iter().cycle().enumerate() {
        if stop.load(std::sync::atomic::Ordering::Relaxed) || people.is_empty() {
            break;
        }
        let patch = pintu_service::registry::PersonPatch {
            phone: Some(format!("0812{:08}", i % 100_000_000)),
            reason: Some("nomor baru".into()),
            ..Default::default()
        };
        let started = Instant::now();
        match pintu.update_person(&ctx, person, &patch).await {
            Ok(_) => waits.push(started.elapsed().as_secs_f64() * 1000.0),
            Err(e) => {
                tracing::warn!(error = %e, "an officer's edit failed");
                failed += 1;
            }
        }
        tokio::time::sleep(OFFICER_PAUSE).await;
    }
    (waits, failed)
}
