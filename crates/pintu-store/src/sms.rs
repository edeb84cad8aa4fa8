//! SMS received from residents: each once, with what it asked and what was done.

use chrono::{DateTime, Utc};
use pintu_domain::access::Scope;
use sea_orm::ConnectionTrait;
use serde::Serialize;

use crate::{FromRow, Result, Row, col, execute, fetch_all, scope_filter};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboundRow {
    pub id: String,
    pub gateway_id: String,
    pub sender: String,
    pub text: String,
    pub command: String,
    pub person_id: Option<String>,
    pub village_code: Option<String>,
    pub status: String,
    pub outcome: Option<String>,
    pub reply_id: Option<String>,
    pub received_at: DateTime<Utc>,
}

impl FromRow for InboundRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(InboundRow {
            id: col(row, "id")?,
            gateway_id: col(row, "gateway_id")?,
            sender: col(row, "sender")?,
            text: col(row, "text")?,
            command: col(row, "command")?,
            person_id: col(row, "person_id")?,
            village_code: col(row, "village_code")?,
            status: col(row, "status")?,
            outcome: col(row, "outcome")?,
            reply_id: col(row, "reply_id")?,
            received_at: col(row, "received_at")?,
        })
    }
}

/// Records an SMS as received; a second one with the same gateway id is refused by the
/// unique index (a `Conflict`).
pub async fn insert(c: &impl ConnectionTrait, m: &InboundRow) -> Result<()> {
    execute(
        c,
        "INSERT INTO inbound_sms (id, gateway_id, sender, text, command, person_id, village_code, \
         status, outcome, reply_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            m.id.clone().into(),
            m.gateway_id.clone().into(),
            m.sender.clone().into(),
            m.text.clone().into(),
            m.command.clone().into(),
            m.person_id.clone().into(),
            m.village_code.clone().into(),
            m.status.clone().into(),
            m.outcome.clone().into(),
            m.reply_id.clone().into(),
            m.received_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Records what was done and the reply queued.
pub async fn answered(
    c: &impl ConnectionTrait,
    id: &str,
    outcome: &str,
    reply_id: Option<&str>,
) -> Result<()> {
    execute(
        c,
        "UPDATE inbound_sms SET status = 'answered', outcome = ?, reply_id = ? WHERE id = ?",
        vec![
            outcome.into(),
            reply_id.map(str::to_string).into(),
            id.into(),
        ],
    )
    .await?;
    Ok(())
}

/// SMS from senders registered in `scope`, newest first; a national scope also sees those
/// from numbers not in the registry.
pub async fn list(c: &impl ConnectionTrait, scope: &Scope, limit: u64) -> Result<Vec<InboundRow>> {
    let (area, mut values) = match scope {
        Scope::National => ("1 = 1".to_string(), vec![]),
        _ => {
            let (a, v) = scope_filter(scope, "village_code");
            (format!("village_code IS NOT NULL AND {a}"), v)
        }
    };
    values.push((limit as i64).into());
    fetch_all(
        c,
        &format!(
            "SELECT id, gateway_id, sender, text, command, person_id, village_code, status, \
             outcome, reply_id, received_at FROM inbound_sms WHERE {area} \
             ORDER BY received_at DESC, id DESC LIMIT ?"
        ),
        values,
    )
    .await
}
