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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use tokio::sync::watch;

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
    pub(crate) db: DatabaseConnection,
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
        let mut opts = ConnectOptions::new(format!("sqlite://{path}"));
        let size_limit = (limit_pages * 4096).to_string();
        opts.sqlx_logging(false)
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .map_sqlx_sqlite_opts(move |o| {
                crate::sqlite_options(o)
                    // No memory map: the booker reads its pages to write them, which copies
                    // them into its cache in any case, and each commit of another connection
                    // made it drop the whole map (and fault the pages in again after).
                    .pragma("mmap_size", "0")
                    .pragma("wal_autocheckpoint", "0")
                    .pragma("journal_size_limit", size_limit.clone())
            });
        Ok(Booking {
            db: Database::connect(opts).await?,
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
