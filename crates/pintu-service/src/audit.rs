//! The audit writer. Reads of personal data are frequent, so entries are written with group
//! commit: each request hands its entry to one writer task and waits until the batch that
//! holds it is committed. A response is never sent before its audit entry is durable, yet a
//! thousand concurrent reads cost a handful of transactions, not a thousand.

use chrono::Utc;
use pintu_store::Store;
use pintu_store::audit::{AuditEntry, SqliteAuditWriter, insert_audit};
use pintu_store::sea_orm::TransactionTrait;
use tokio::sync::{mpsc, oneshot};

use crate::{Ctx, Error, Result};

/// Most entries written in one transaction.
const MAX_BATCH: usize = 1_024;

type Pending = (AuditEntry, oneshot::Sender<bool>);

#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<Pending>,
}

impl AuditSink {
    /// Starts the writer: on SQLite a thread with its own connection, on PostgreSQL a task
    /// on the pool.
    pub fn start(store: Store) -> AuditSink {
        let (tx, rx) = mpsc::channel::<Pending>(8 * MAX_BATCH);
        match store.sqlite_file().map(SqliteAuditWriter::open) {
            Some(Ok(writer)) => {
                let spawned = std::thread::Builder::new()
                    .name("pintu-audit".into())
                    .spawn(move || write_batches_blocking(writer, rx));
                if let Err(e) = spawned {
                    tracing::error!(error = %e, "audit writer thread did not start");
                }
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "audit writer falls back to the pool");
                tokio::spawn(write_batches(store, rx));
            }
            None => {
                tokio::spawn(write_batches(store, rx));
            }
        }
        AuditSink { tx }
    }

    /// Records `action` on a record and waits until it is committed.
    pub async fn record(
        &self,
        ctx: &Ctx,
        action: &str,
        record_type: &str,
        record_id: Option<&str>,
        area: Option<&str>,
        detail: Option<String>,
    ) -> Result<()> {
        let entry = AuditEntry {
            at: Utc::now(),
            actor: ctx.actor.label(),
            action: action.to_string(),
            record_type: record_type.to_string(),
            record_id: record_id.map(str::to_string),
            area_code: area.map(str::to_string),
            request_id: ctx.request_id.clone(),
            detail,
        };
        let (done_tx, done_rx) = oneshot::channel();
        self.tx
            .send((entry, done_tx))
            .await
            .map_err(|_| Error::Internal(anyhow::anyhow!("audit writer stopped")))?;
        match done_rx.await {
            Ok(true) => Ok(()),
            _ => Err(Error::Internal(anyhow::anyhow!(
                "audit entry could not be written"
            ))),
        }
    }
}

async fn write_batches(store: Store, mut rx: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let entries: Vec<AuditEntry> = batch.iter().map(|(e, _)| e.clone()).collect();
        let ok = match write(&store, &entries).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, entries = entries.len(), "audit batch failed");
                false
            }
        };
        for (_, done) in batch.drain(..) {
            let _ = done.send(ok);
        }
    }
}

fn write_batches_blocking(mut writer: SqliteAuditWriter, mut rx: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let entries: Vec<AuditEntry> = batch.iter().map(|(e, _)| e.clone()).collect();
        let ok = match writer.write(&entries) {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, entries = entries.len(), "audit batch failed");
                false
            }
        };
        for (_, done) in batch.drain(..) {
            let _ = done.send(ok);
        }
    }
}

async fn write(store: &Store, entries: &[AuditEntry]) -> anyhow::Result<()> {
    let tx = store.conn().begin().await?;
    insert_audit(&tx, entries).await?;
    tx.commit().await?;
    Ok(())
}
