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

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection};

/// The booker's connection and the checkpoint thread's doorbell.
#[derive(Debug)]
pub(crate) struct Booking {
    pub(crate) db: DatabaseConnection,
    ring: SyncSender<()>,
}

impl Booking {
    /// Opens the connection to the SQLite file at `path` and starts the thread.
    pub(crate) async fn open(path: &str) -> crate::Result<Booking> {
        let conn = rusqlite::Connection::open(path)
            .map_err(|e| crate::StoreError::Other(format!("checkpoint connection: {e}")))?;
        conn.busy_timeout(Duration::from_secs(1))
            .map_err(|e| crate::StoreError::Other(format!("checkpoint connection: {e}")))?;
        let (ring, rung) = sync_channel(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_when_rung(&conn, &rung))
            .map_err(|e| crate::StoreError::Other(format!("checkpoint thread: {e}")))?;
        let mut opts = ConnectOptions::new(format!("sqlite://{path}"));
        opts.sqlx_logging(false)
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .map_sqlx_sqlite_opts(|o| crate::sqlite_options(o).pragma("wal_autocheckpoint", "0"));
        Ok(Booking {
            db: Database::connect(opts).await?,
            ring,
        })
    }

    /// Asks the thread to checkpoint (once, however often asked before it gets to it).
    pub(crate) fn checkpoint_soon(&self) {
        let _ = self.ring.try_send(());
    }
}

/// Checkpoints each time the doorbell rings, until every handle to it is dropped.
fn checkpoint_when_rung(conn: &rusqlite::Connection, rung: &Receiver<()>) {
    while rung.recv().is_ok() {
        // Rung again meanwhile: the ring waits in the channel, and the next round takes it.
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}
