//! The call centre's log of calls.

use chrono::{DateTime, Utc};
use pintu_domain::access::Scope;
use sea_orm::ConnectionTrait;
use serde::Serialize;

use crate::{FromRow, Result, Row, col, execute, fetch_all, scope_filter};

/// A call as logged, with the caller's name when they are in the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRow {
    pub id: String,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub village_code: String,
    pub caller_phone: Option<String>,
    pub reason: String,
    pub programme_code: Option<String>,
    pub outcome: String,
    pub note: Option<String>,
    pub officer: String,
    pub at: DateTime<Utc>,
}

impl FromRow for CallRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(CallRow {
            id: col(row, "id")?,
            person_id: col(row, "person_id")?,
            person_name: col(row, "person_name")?,
            village_code: col(row, "village_code")?,
            caller_phone: col(row, "caller_phone")?,
            reason: col(row, "reason")?,
            programme_code: col(row, "programme_code")?,
            outcome: col(row, "outcome")?,
            note: col(row, "note")?,
            officer: col(row, "officer")?,
            at: col(row, "at")?,
        })
    }
}

pub async fn insert(c: &impl ConnectionTrait, r: &CallRow) -> Result<()> {
    execute(
        c,
        "INSERT INTO calls (id, person_id, village_code, caller_phone, reason, programme_code, \
         outcome, note, officer, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            r.id.clone().into(),
            r.person_id.clone().into(),
            r.village_code.clone().into(),
            r.caller_phone.clone().into(),
            r.reason.clone().into(),
            r.programme_code.clone().into(),
            r.outcome.clone().into(),
            r.note.clone().into(),
            r.officer.clone().into(),
            r.at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Calls in `scope` (of one person when given), newest first.
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    person_id: Option<&str>,
    limit: u64,
) -> Result<Vec<CallRow>> {
    let (area, mut values) = scope_filter(scope, "k.village_code");
    let mut sql = format!(
        "SELECT k.id, k.person_id, p.full_name AS person_name, k.village_code, k.caller_phone, \
         k.reason, k.programme_code, k.outcome, k.note, k.officer, k.at \
         FROM calls k LEFT JOIN persons p ON p.id = k.person_id WHERE {area}"
    );
    if let Some(p) = person_id {
        sql.push_str(" AND k.person_id = ?");
        values.push(p.into());
    }
    sql.push_str(" ORDER BY k.at DESC, k.id DESC LIMIT ?");
    values.push((limit as i64).into());
    fetch_all(c, &sql, values).await
}
