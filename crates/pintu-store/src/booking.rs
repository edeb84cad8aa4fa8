//! The payment booker's own SQLite connection, which never checkpoints when it commits, and
//! the thread that checkpoints for it.
//!
//! A commit that finds the WAL past SQLite's threshold (1,000 pages) copies the WAL back
//! into the database file and waits for its fsyncs before it returns, holding up the next
//! batch. Each batch of payments writes thousands of pages spread over the file, so every
//! commit of the booker would pay for a checkpoint. Its own connection leaves that to a
//! thread instead, which checkpoints (`PASSIVE`: never blocking readers or writers) after
//! each batch, on the other core. The pool's connections keep SQLite's automatic
//! checkpoints: a long run's commits then pause while the WAL is copied back, and writers
//! waiting for the lock get in between its transactions.
//!
//! SQLite writes the WAL from its start again only when a transaction begins with every
//! frame already copied back. Under a steady flow of payments the next batch always begins
//! while the thread is still copying the last one, so the WAL would grow for as long as the
//! flow lasts (14 GB in 80 seconds of a million callbacks). Once it holds more than
//! [`WAL_LIMIT_PAGES`], the booker therefore waits for the thread to catch up before its next
//! transaction, which then starts the WAL over and cuts the file back to that size.
//!
//! The booker's connection is SQLite's own (rusqlite), not the pool's: a batch is decided in
//! memory and then written in one call on a blocking thread, each table's rows through one
//! statement prepared once and stepped for each row ([`BookingTx::write`]). Through sqlx
//! each of a batch's dozen multi-row statements went to its worker thread and back, with
//! every value copied into sqlx's arguments on the way; the callbacks took a fifth longer.
//! The values are those the PostgreSQL statements take, bound as sqlx binds them (instants
//! as RFC 3339 text), so both ways store the same text.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::payments::Posting;
use sea_orm::{DatabaseTransaction, Value};
use tokio::sync::watch;

use crate::audit::{AUDIT_COLUMNS, AuditEntry, audit_values};
use crate::outbox::{MESSAGE_COLUMNS, MessageRow, message_values};
use crate::payments::{self as q, Allocation, BillPaid, EntryRow, PaymentRow};
use crate::rows::insert_one;

/// WAL pages after which the booker lets the checkpoint catch up before its next batch
/// (128 MiB of 4 KiB pages: a few batches of a million people's payments).
pub(crate) const WAL_LIMIT_PAGES: i64 = 32_768;

/// Longest the booker waits for the checkpoint to catch up. A reader that stays open keeps
/// the checkpoint from copying back what was written after it began; the booker then goes
/// on, and waits again only after [`BACK_OFF`], so that a long export costs the payments one
/// such wait every ten seconds rather than one every batch.
const MOST_WAIT: Duration = Duration::from_millis(500);

/// How long the booker goes without waiting after a wait that did not catch up.
const BACK_OFF: Duration = Duration::from_secs(10);

/// The booker's connection and the checkpoint thread's doorbell.
#[derive(Debug)]
pub(crate) struct Booking {
    conn: Arc<Mutex<rusqlite::Connection>>,
    ring: SyncSender<()>,
    passes: watch::Receiver<Pass>,
    limit_pages: i64,
    /// The round of the pass the booker last waited for.
    caught_up: AtomicU64,
    /// When the booker last gave up waiting.
    gave_up: std::sync::Mutex<Option<Instant>>,
}

/// What the checkpoint thread's last pass found.
#[derive(Clone, Copy, Debug, Default)]
struct Pass {
    /// Passes so far.
    round: u64,
    /// Frames in the WAL.
    frames: i64,
    /// Of those, the frames copied back into the database file.
    copied: i64,
}

impl Booking {
    /// Opens the connection to the SQLite file at `path` and starts the thread; the WAL is
    /// started over once it holds more than `limit_pages` pages.
    pub(crate) async fn open(path: &str, limit_pages: i64) -> crate::Result<Booking> {
        let conn = rusqlite::Connection::open(path)
            .map_err(|e| crate::StoreError::Other(format!("checkpoint connection: {e}")))?;
        conn.busy_timeout(Duration::from_secs(1))
            .map_err(|e| crate::StoreError::Other(format!("checkpoint connection: {e}")))?;
        let (ring, rung) = sync_channel(1);
        let (report, passes) = watch::channel(Pass::default());
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_when_rung(&conn, &rung, &report))
            .map_err(|e| crate::StoreError::Other(format!("checkpoint thread: {e}")))?;
        let size_limit = (limit_pages * 4096).to_string();
        let path = path.to_string();
        let booker = tokio::task::spawn_blocking(move || open_booker(&path, &size_limit))
            .await
            .map_err(|e| crate::StoreError::Other(format!("booker connection: {e}")))?
            .map_err(|e| crate::StoreError::Other(format!("booker connection: {e}")))?;
        Ok(Booking {
            conn: Arc::new(Mutex::new(booker)),
            ring,
            passes,
            limit_pages,
            caught_up: AtomicU64::new(0),
            gave_up: std::sync::Mutex::new(None),
        })
    }

    /// The WAL as the thread's last pass found it: (frames, of which copied back); `None`
    /// before its first pass.
    pub(crate) fn last_pass(&self) -> Option<(i64, i64)> {
        let pass = *self.passes.borrow();
        (pass.round > 0).then_some((pass.frames, pass.copied))
    }

    /// Whether the booker gave up waiting for the checkpoint less than [`BACK_OFF`] ago,
    /// and so does not wait for it now.
    pub(crate) fn backing_off(&self) -> bool {
        self.gave_up
            .lock()
            .map(|at| at.is_some_and(|at| at.elapsed() < BACK_OFF))
            .unwrap_or(false)
    }

    /// Asks the thread to checkpoint (once, however often asked before it gets to it).
    pub(crate) fn checkpoint_soon(&self) {
        let _ = self.ring.try_send(());
    }

    /// Before a batch: once the WAL holds more than the limit, waits until the thread has
    /// copied all of it back, so that the batch's transaction writes the WAL from its start.
    pub(crate) async fn make_room(&self) {
        let last = *self.passes.borrow();
        // The pass that last caught up is still the latest: the WAL has been started over
        // since, and the thread has not yet reported on the batch that did it.
        let caught_up = self.caught_up.load(Ordering::Relaxed);
        if last.frames <= self.limit_pages || last.round == caught_up {
            return;
        }
        if self.backing_off() {
            return;
        }

        let mut passes = self.passes.clone();
        let waited = tokio::time::timeout(MOST_WAIT, async {
            loop {
                let round = passes.borrow_and_update().round;
                self.checkpoint_soon();
                let Ok(pass) = passes.wait_for(|p| p.round > round).await.map(|p| *p) else {
                    return;
                };
                if pass.frames == pass.copied {
                    self.caught_up.store(pass.round, Ordering::Relaxed);
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        if let Ok(mut gave_up) = self.gave_up.lock() {
            *gave_up = waited.is_err().then(Instant::now);
        }
        if waited.is_err() {
            tracing::debug!("WAL checkpoint held back by a reader; the WAL grows meanwhile");
        }
    }
}

/// Checkpoints each time the doorbell rings, until every handle to it is dropped, and
/// reports each pass.
fn checkpoint_when_rung(
    conn: &rusqlite::Connection,
    rung: &Receiver<()>,
    report: &watch::Sender<Pass>,
) {
    let mut round = 0;
    while rung.recv().is_ok() {
        // Rung again meanwhile: the ring waits in the channel, and the next round takes it.
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        }) {
            Ok((frames, copied)) => {
                round += 1;
                report.send_replace(Pass {
                    round,
                    frames,
                    copied,
                });
            }
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
}

/// The booker's connection: set up as the pool's, but it never checkpoints when it commits
/// (the thread does), and maps nothing into memory: the booker reads its pages to write them,
/// which copies them into its cache in any case, and each commit of another connection made
/// it drop the whole map (and fault the pages in again after).
fn open_booker(path: &str, size_limit: &str) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    for (pragma, value) in [
        ("journal_mode", "WAL"),
        ("synchronous", "NORMAL"),
        ("foreign_keys", "ON"),
        ("cache_size", "-65536"),
        ("temp_store", "MEMORY"),
        ("mmap_size", "0"),
        ("wal_autocheckpoint", "0"),
        ("journal_size_limit", size_limit),
    ] {
        conn.pragma_update(None, pragma, value)?;
    }
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// What a batch of payments writes, decided in memory before anything is written.
#[derive(Debug, Default)]
pub struct BookingWrites {
    pub payments: Vec<PaymentRow>,
    pub bills: Vec<BillPaid>,
    pub allocations: Vec<Allocation>,
    pub entries: Vec<(EntryRow, Vec<Posting>)>,
    /// Suspended families covered again: (from the day, the families, when).
    pub reactivations: Vec<(NaiveDate, Vec<String>, DateTime<Utc>)>,
    pub messages: Vec<MessageRow>,
    pub audit: Vec<AuditEntry>,
}

/// A transaction of the payment booker (see [`crate::Store::begin_booking`]).
pub enum BookingTx {
    /// On PostgreSQL (and an SQLite database in memory): a transaction of the pool.
    Pool(DatabaseTransaction),
    /// On an SQLite file: begun on the booker's own connection, which writes the batch
    /// through statements prepared once and stepped for each row.
    File(FileTx),
}

/// The booker's transaction on an SQLite file, rolled back if dropped unfinished.
pub struct FileTx {
    conn: Arc<Mutex<rusqlite::Connection>>,
    open: bool,
}

impl Booking {
    /// Begins a transaction that holds SQLite's write lock from its start.
    pub(crate) async fn begin(&self) -> crate::Result<FileTx> {
        let conn = self.conn.clone();
        on_booker(conn.clone(), |c| {
            // A transaction left open by a batch that stopped half-way is rolled back.
            if !c.is_autocommit() {
                c.execute_batch("ROLLBACK")?;
            }
            c.execute_batch("BEGIN IMMEDIATE")
        })
        .await?;
        Ok(FileTx { conn, open: true })
    }
}

/// Runs `f` on the blocking pool with the booker's connection.
async fn on_booker<T: Send + 'static>(
    conn: Arc<Mutex<rusqlite::Connection>>,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
) -> crate::Result<T> {
    tokio::task::spawn_blocking(move || {
        // A batch that panicked left no transaction behind it that `begin` does not roll
        // back: the connection stays usable.
        let guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&guard)
    })
    .await
    .map_err(|e| crate::StoreError::Other(format!("payment batch: {e}")))?
    .map_err(crate::bulk::rusqlite_err)
}

impl Drop for FileTx {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let c = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !c.is_autocommit() {
            let _ = c.execute_batch("ROLLBACK");
        }
    }
}

impl BookingTx {
    /// Locks the families until the transaction ends (see [`crate::jkn::lock_families`]);
    /// on an SQLite file the transaction holds the database already.
    pub async fn lock_families(&self, households: &[String]) -> crate::Result<()> {
        match self {
            BookingTx::Pool(tx) => crate::jkn::lock_families(tx, households).await,
            BookingTx::File(_) => Ok(()),
        }
    }

    pub async fn rollback(self) -> crate::Result<()> {
        match self {
            BookingTx::Pool(tx) => Ok(tx.rollback().await?),
            BookingTx::File(mut tx) => {
                tx.open = false;
                on_booker(tx.conn.clone(), |c| c.execute_batch("ROLLBACK")).await
            }
        }
    }

    /// Writes the batch and commits it: `false`, with nothing written, when one of its
    /// payments' keys was booked since it was found free.
    pub async fn write(self, w: BookingWrites) -> crate::Result<bool> {
        match self {
            BookingTx::Pool(tx) => {
                let payments: Vec<&PaymentRow> = w.payments.iter().collect();
                if q::insert_payments(&tx, &payments).await? < payments.len() as u64 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                q::pay_bills(&tx, &w.bills).await?;
                q::insert_allocations(&tx, &w.allocations).await?;
                q::insert_entries(&tx, &w.entries).await?;
                for (day, families, now) in &w.reactivations {
                    q::reactivate_families(&tx, families, *day, *now).await?;
                }
                crate::outbox::insert_many(&tx, &w.messages).await?;
                crate::audit::insert_audit(&tx, &w.audit).await?;
                tx.commit().await?;
                Ok(true)
            }
            BookingTx::File(mut tx) => {
                tx.open = false;
                on_booker(tx.conn.clone(), move |c| {
                    let written = write_rows(c, &w);
                    match written {
                        Ok(true) => c.execute_batch("COMMIT")?,
                        _ => c.execute_batch("ROLLBACK")?,
                    }
                    written
                })
                .await
            }
        }
    }
}

/// A value as SQLite stores it, as sqlx would have bound it: instants as RFC 3339 text,
/// dates as `YYYY-MM-DD`, booleans as integers. A kind of value the booker does not write
/// is refused, not stored as NULL.
fn sqlite_value(v: &Value) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
    use rusqlite::types::{ToSqlOutput, Value as V, ValueRef};
    Ok(match v {
        Value::String(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        Value::BigInt(Some(n)) => ToSqlOutput::Owned(V::Integer(*n)),
        Value::Int(Some(n)) => ToSqlOutput::Owned(V::Integer((*n).into())),
        Value::Bool(Some(b)) => ToSqlOutput::Owned(V::Integer((*b).into())),
        Value::Double(Some(x)) => ToSqlOutput::Owned(V::Real(*x)),
        Value::ChronoDateTimeUtc(Some(at)) => ToSqlOutput::Owned(V::Text(
            at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
        )),
        Value::ChronoDate(Some(d)) => ToSqlOutput::Owned(V::Text(d.format("%F").to_string())),
        Value::String(None)
        | Value::BigInt(None)
        | Value::Int(None)
        | Value::Bool(None)
        | Value::Double(None)
        | Value::ChronoDateTimeUtc(None)
        | Value::ChronoDate(None) => ToSqlOutput::Owned(V::Null),
        other => {
            return Err(rusqlite::Error::ToSqlConversionFailure(
                format!("no SQLite binding for {other:?}").into(),
            ));
        }
    })
}

/// Runs a prepared statement with `values`: the rows it changed.
fn run(stmt: &mut rusqlite::CachedStatement<'_>, values: &[Value]) -> rusqlite::Result<usize> {
    for (i, v) in values.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, sqlite_value(v)?)?;
    }
    stmt.raw_execute()
}

/// The batch's rows, each through a statement prepared once: `false` if a payment's key
/// was taken (the caller rolls back).
fn write_rows(c: &rusqlite::Connection, w: &BookingWrites) -> rusqlite::Result<bool> {
    let mut payments = c.prepare_cached(&insert_one(
        "payments",
        q::PAYMENT_COLUMNS,
        "ON CONFLICT (channel, idempotency_key) DO NOTHING",
    ))?;
    for p in &w.payments {
        if run(&mut payments, &q::payment_values(p))? == 0 {
            return Ok(false);
        }
    }
    let mut bills = c.prepare_cached(
        "UPDATE jkn_bills SET paid = paid + ?, status = ?, paid_at = ? WHERE id = ?",
    )?;
    for (id, amount, settles, at) in &w.bills {
        run(
            &mut bills,
            &[
                (*amount).into(),
                if *settles { "paid" } else { "open" }.into(),
                if *settles { Some(*at) } else { None }.into(),
                id.clone().into(),
            ],
        )?;
    }
    let mut allocations = c.prepare_cached(&insert_one(
        "payment_allocations",
        q::ALLOCATION_COLUMNS,
        "",
    ))?;
    for a in &w.allocations {
        run(&mut allocations, &q::allocation_values(a))?;
    }
    let mut entries = c.prepare_cached(&insert_one(
        "journal_entries",
        q::ENTRY_COLUMNS,
        "ON CONFLICT (kind, ref_id) DO NOTHING",
    ))?;
    let mut postings = c.prepare_cached(&insert_one("postings", q::POSTING_COLUMNS, ""))?;
    for (e, lines) in &w.entries {
        // An event booked before keeps its first entry.
        if run(&mut entries, &q::entry_values(e))? == 1 {
            for (line, p) in lines.iter().enumerate() {
                run(&mut postings, &q::posting_values(e, line, p))?;
            }
        }
    }
    let mut reactivate = c.prepare_cached(
        "UPDATE jkn_members SET status = 'active', reactivated_on = ?, updated_at = ? \
         WHERE status = 'suspended' AND household_id = ?",
    )?;
    for (day, families, at) in &w.reactivations {
        for family in families {
            run(
                &mut reactivate,
                &[(*day).into(), (*at).into(), family.clone().into()],
            )?;
        }
    }
    let mut messages = c.prepare_cached(&insert_one("outbox_messages", MESSAGE_COLUMNS, ""))?;
    for m in &w.messages {
        run(&mut messages, &message_values(m))?;
    }
    let mut audit = c.prepare_cached(&insert_one("audit_log", AUDIT_COLUMNS, ""))?;
    for e in &w.audit {
        run(&mut audit, &audit_values(e))?;
    }
    Ok(true)
}
