//! The audit log: who read or changed which personal record, when, under which request.
//! Entries never carry a NIK; they name records by their opaque id.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;

use crate::{Result, col, execute, query_all};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub record_type: String,
    pub record_id: Option<String>,
    pub area_code: Option<String>,
    pub request_id: Option<String>,
    pub detail: Option<String>,
}

/// The columns of an audit entry, as [`audit_values`] gives them.
pub(crate) const AUDIT_COLUMNS: &[(&str, crate::rows::Kind)] = {
    use crate::rows::Kind::{Instant, Text};
    &[
        ("at", Instant),
        ("actor", Text),
        ("action", Text),
        ("record_type", Text),
        ("record_id", Text),
        ("area_code", Text),
        ("request_id", Text),
        ("detail", Text),
    ]
};

/// An audit entry's values, in the order of [`AUDIT_COLUMNS`].
pub(crate) fn audit_values(e: &AuditEntry) -> [Value; 8] {
    [
        e.at.into(),
        e.actor.clone().into(),
        e.action.clone().into(),
        e.record_type.clone().into(),
        e.record_id.clone().into(),
        e.area_code.clone().into(),
        e.request_id.clone().into(),
        e.detail.clone().into(),
    ]
}

/// Writes a batch of entries in multi-row INSERTs (the caller supplies the transaction).
pub async fn insert_audit(c: &impl ConnectionTrait, entries: &[AuditEntry]) -> Result<()> {
    for chunk in entries.chunks(500) {
        let mut rows = crate::rows::Rows::new(AUDIT_COLUMNS, chunk.len());
        for e in chunk {
            rows.push(audit_values(e));
        }
        let (sql, values) = rows.insert(c, "audit_log");
        execute(c, &sql, values).await?;
    }
    Ok(())
}

/// The audit trail of one record, newest first.
pub async fn audit_for_record(
    c: &impl ConnectionTrait,
    record_type: &str,
    record_id: &str,
    limit: u64,
) -> Result<Vec<AuditEntry>> {
    let rows = query_all(
        c,
        "SELECT at, actor, action, record_type, record_id, area_code, request_id, detail FROM audit_log \
         WHERE record_type = ? AND record_id = ? ORDER BY id DESC LIMIT ?",
        vec![record_type.into(), record_id.into(), (limit as i64).into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                at: col(r, "at")?,
                actor: col(r, "actor")?,
                action: col(r, "action")?,
                record_type: col(r, "record_type")?,
                record_id: col(r, "record_id")?,
                area_code: col(r, "area_code")?,
                request_id: col(r, "request_id")?,
                detail: col(r, "detail")?,
            })
        })
        .collect()
}

/// Every audit entry, oldest first: for tests and exports.
pub async fn all_audit(
    c: &impl ConnectionTrait,
) -> Result<Vec<(String, String, Option<String>, Option<String>)>> {
    let rows = query_all(
        c,
        "SELECT actor, action, record_id, detail FROM audit_log ORDER BY id",
        vec![],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "actor")?,
                col(r, "action")?,
                col(r, "record_id")?,
                col(r, "detail")?,
            ))
        })
        .collect()
}

/// The audit writer's own SQLite connection: one prepared INSERT stepped per entry inside
/// one transaction per batch, on a thread of its own, with no hop through the async pool.
pub struct SqliteAuditWriter {
    conn: rusqlite::Connection,
}

/// WAL pages after which the audit writer checkpoints (SQLite's default is 1,000).
const AUDIT_WAL_CHECKPOINT_PAGES: i64 = 256;

impl SqliteAuditWriter {
    pub fn open(path: &str) -> Result<SqliteAuditWriter> {
        let open = || -> rusqlite::Result<rusqlite::Connection> {
            let conn = rusqlite::Connection::open(path)?;
            conn.busy_timeout(std::time::Duration::from_secs(30))?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            // Small, frequent checkpoints: the writer that crosses the threshold copies the
            // WAL back into the database while its batch waits, so a short WAL keeps that
            // pause (and the readers' WAL lookups) short. Measured in docs/benchmarks.md.
            conn.pragma_update(None, "wal_autocheckpoint", AUDIT_WAL_CHECKPOINT_PAGES)?;
            conn.pragma_update(None, "journal_size_limit", crate::SQLITE_WAL_SIZE_LIMIT)?;
            Ok(conn)
        };
        open()
            .map(|conn| SqliteAuditWriter { conn })
            .map_err(|e| crate::StoreError::Other(format!("audit writer: {e}")))
    }

    /// Writes `entries` in one transaction: all of them, or none.
    pub fn write(&mut self, entries: &[AuditEntry]) -> Result<()> {
        let run = |conn: &mut rusqlite::Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO audit_log (at, actor, action, record_type, record_id, area_code, request_id, detail) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                for e in entries {
                    let at = e.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
                    insert.execute(rusqlite::params![
                        at,
                        e.actor,
                        e.action,
                        e.record_type,
                        e.record_id,
                        e.area_code,
                        e.request_id,
                        e.detail
                    ])?;
                }
            }
            tx.commit()
        };
        run(&mut self.conn).map_err(|e| crate::StoreError::Other(format!("audit write: {e}")))
    }
}
