//! The resident's door: one-time login codes, portal sessions, the changes residents ask for
//! and their preferred language. Codes and session tokens are stored only as SHA-256 hashes.

use chrono::{DateTime, Utc};
use pintu_domain::access::Scope;
use sea_orm::ConnectionTrait;
use serde::Serialize;

use crate::{FromRow, Result, Row, col, execute, fetch_all, fetch_one, query_one, scope_filter};

/// A one-time login code as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeRow {
    pub id: String,
    pub person_id: String,
    pub village_code: String,
    pub code_hash: String,
    pub attempts: i32,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

impl FromRow for CodeRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(CodeRow {
            id: col(row, "id")?,
            person_id: col(row, "person_id")?,
            village_code: col(row, "village_code")?,
            code_hash: col(row, "code_hash")?,
            attempts: col(row, "attempts")?,
            expires_at: col(row, "expires_at")?,
            used_at: col(row, "used_at")?,
        })
    }
}

pub async fn insert_code(
    c: &impl ConnectionTrait,
    r: &CodeRow,
    created_at: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO resident_codes (id, person_id, village_code, code_hash, attempts, \
         created_at, expires_at, used_at) VALUES (?, ?, ?, ?, 0, ?, ?, NULL)",
        vec![
            r.id.clone().into(),
            r.person_id.clone().into(),
            r.village_code.clone().into(),
            r.code_hash.clone().into(),
            created_at.into(),
            r.expires_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Codes sent to a person since `since` (the rate limit of new codes).
pub async fn codes_since(
    c: &impl ConnectionTrait,
    person_id: &str,
    since: DateTime<Utc>,
) -> Result<i64> {
    let row = query_one(
        c,
        "SELECT COUNT(*) AS n FROM resident_codes WHERE person_id = ? AND created_at >= ?",
        vec![person_id.into(), since.into()],
    )
    .await?;
    row.map(|r| col::<i64>(&r, "n"))
        .transpose()
        .map(|n| n.unwrap_or(0))
}

/// Counts one guess against a live code: `false` when the code is used, expired or out of
/// guesses (then the guess is not even compared).
pub async fn take_guess(
    c: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
    max_attempts: i32,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE resident_codes SET attempts = attempts + 1 \
         WHERE id = ? AND used_at IS NULL AND expires_at > ? AND attempts < ?",
        vec![id.into(), now.into(), max_attempts.into()],
    )
    .await?
        == 1)
}

pub async fn code(c: &impl ConnectionTrait, id: &str) -> Result<Option<CodeRow>> {
    fetch_one(
        c,
        "SELECT id, person_id, village_code, code_hash, attempts, expires_at, used_at \
         FROM resident_codes WHERE id = ?",
        vec![id.into()],
    )
    .await
}

/// Marks a code used; `false` if it was used meanwhile.
pub async fn use_code(c: &impl ConnectionTrait, id: &str, now: DateTime<Utc>) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE resident_codes SET used_at = ? WHERE id = ? AND used_at IS NULL",
        vec![now.into(), id.into()],
    )
    .await?
        == 1)
}

/// A live portal session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub person_id: String,
    pub village_code: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

impl FromRow for SessionRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(SessionRow {
            person_id: col(row, "person_id")?,
            village_code: col(row, "village_code")?,
            csrf_token: col(row, "csrf_token")?,
            expires_at: col(row, "expires_at")?,
        })
    }
}

pub async fn insert_session(
    c: &impl ConnectionTrait,
    token_hash: &str,
    s: &SessionRow,
    now: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO resident_sessions (token_hash, person_id, village_code, csrf_token, \
         created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            token_hash.into(),
            s.person_id.clone().into(),
            s.village_code.clone().into(),
            s.csrf_token.clone().into(),
            now.into(),
            s.expires_at.into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn session(
    c: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionRow>> {
    fetch_one(
        c,
        "SELECT person_id, village_code, csrf_token, expires_at FROM resident_sessions \
         WHERE token_hash = ? AND expires_at > ?",
        vec![token_hash.into(), now.into()],
    )
    .await
}

pub async fn delete_session(c: &impl ConnectionTrait, token_hash: &str) -> Result<u64> {
    execute(
        c,
        "DELETE FROM resident_sessions WHERE token_hash = ?",
        vec![token_hash.into()],
    )
    .await
}

/// Drops expired sessions and codes, so neither table grows without bound.
pub async fn delete_expired(c: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<()> {
    execute(
        c,
        "DELETE FROM resident_sessions WHERE expires_at <= ?",
        vec![now.into()],
    )
    .await?;
    // Codes are kept a day after they expire: the rate limit counts them.
    execute(
        c,
        "DELETE FROM resident_codes WHERE expires_at <= ?",
        vec![(now - chrono::Duration::days(1)).into()],
    )
    .await?;
    Ok(())
}

/// A change a resident asked for, with the value before and after (JSON objects).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRequestRow {
    pub id: String,
    pub person_id: String,
    /// The name of the person asking (read with the request).
    pub person_name: String,
    pub household_id: Option<String>,
    pub village_code: String,
    /// `phone` or `address`.
    pub kind: String,
    pub requested: String,
    pub previous: Option<String>,
    pub note: Option<String>,
    /// `pending`, `confirmed` or `rejected`.
    pub state: String,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl FromRow for ChangeRequestRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(ChangeRequestRow {
            id: col(row, "id")?,
            person_id: col(row, "person_id")?,
            person_name: col(row, "person_name")?,
            household_id: col(row, "household_id")?,
            village_code: col(row, "village_code")?,
            kind: col(row, "kind")?,
            requested: col(row, "requested")?,
            previous: col(row, "previous")?,
            note: col(row, "note")?,
            state: col(row, "state")?,
            reason: col(row, "reason")?,
            decided_by: col(row, "decided_by")?,
            decided_at: col(row, "decided_at")?,
            created_at: col(row, "created_at")?,
        })
    }
}

const REQUEST_SELECT: &str = "SELECT r.id, r.person_id, p.full_name AS person_name, \
     r.household_id, r.village_code, r.kind, r.requested, r.previous, r.note, r.state, \
     r.reason, r.decided_by, r.decided_at, r.created_at \
     FROM change_requests r JOIN persons p ON p.id = r.person_id";

pub async fn insert_request(c: &impl ConnectionTrait, r: &ChangeRequestRow) -> Result<()> {
    execute(
        c,
        "INSERT INTO change_requests (id, person_id, household_id, village_code, kind, \
         requested, previous, note, state, reason, decided_by, decided_at, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?)",
        vec![
            r.id.clone().into(),
            r.person_id.clone().into(),
            r.household_id.clone().into(),
            r.village_code.clone().into(),
            r.kind.clone().into(),
            r.requested.clone().into(),
            r.previous.clone().into(),
            r.note.clone().into(),
            r.state.clone().into(),
            r.created_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Which change requests to list.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter<'a> {
    pub state: Option<&'a str>,
    /// Those of one person or one household (the resident's own).
    pub person_id: Option<&'a str>,
    pub household_id: Option<&'a str>,
    pub kind: Option<&'a str>,
}

/// Change requests in `scope`, newest first.
pub async fn requests(
    c: &impl ConnectionTrait,
    scope: &Scope,
    f: &RequestFilter<'_>,
    limit: u64,
) -> Result<Vec<ChangeRequestRow>> {
    let (area, mut values) = scope_filter(scope, "r.village_code");
    let mut sql = format!("{REQUEST_SELECT} WHERE {area}");
    if let Some(s) = f.state {
        sql.push_str(" AND r.state = ?");
        values.push(s.into());
    }
    if let Some(k) = f.kind {
        sql.push_str(" AND r.kind = ?");
        values.push(k.into());
    }
    match (f.person_id, f.household_id) {
        (Some(p), Some(h)) => {
            sql.push_str(" AND (r.person_id = ? OR r.household_id = ?)");
            values.push(p.into());
            values.push(h.into());
        }
        (Some(p), None) => {
            sql.push_str(" AND r.person_id = ?");
            values.push(p.into());
        }
        (None, Some(h)) => {
            sql.push_str(" AND r.household_id = ?");
            values.push(h.into());
        }
        (None, None) => {}
    }
    sql.push_str(" ORDER BY r.created_at DESC, r.id DESC LIMIT ?");
    values.push((limit as i64).into());
    fetch_all(c, &sql, values).await
}

pub async fn request(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: &str,
) -> Result<Option<ChangeRequestRow>> {
    let (area, mut values) = scope_filter(scope, "r.village_code");
    values.push(id.into());
    fetch_one(
        c,
        &format!("{REQUEST_SELECT} WHERE {area} AND r.id = ?"),
        values,
    )
    .await
}

/// Pending change requests in `scope`.
pub async fn pending_count(c: &impl ConnectionTrait, scope: &Scope) -> Result<i64> {
    let (area, values) = scope_filter(scope, "r.village_code");
    let row = query_one(
        c,
        &format!(
            "SELECT COUNT(*) AS n FROM change_requests r WHERE {area} AND r.state = 'pending'"
        ),
        values,
    )
    .await?;
    row.map(|r| col::<i64>(&r, "n"))
        .transpose()
        .map(|n| n.unwrap_or(0))
}

/// Decides a pending request; `false` if it was decided meanwhile.
pub async fn decide_request(
    c: &impl ConnectionTrait,
    id: &str,
    state: &str,
    reason: Option<&str>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE change_requests SET state = ?, reason = ?, decided_by = ?, decided_at = ? \
         WHERE id = ? AND state = 'pending'",
        vec![
            state.into(),
            reason.map(str::to_string).into(),
            by.into(),
            at.into(),
            id.into(),
        ],
    )
    .await?
        == 1)
}

/// The language a resident chose, if they chose one.
pub async fn language_of(c: &impl ConnectionTrait, person_id: &str) -> Result<Option<String>> {
    let row = query_one(
        c,
        "SELECT language FROM resident_preferences WHERE person_id = ?",
        vec![person_id.into()],
    )
    .await?;
    row.map(|r| col::<String>(&r, "language")).transpose()
}

pub async fn set_language(
    c: &impl ConnectionTrait,
    person_id: &str,
    village_code: &str,
    language: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO resident_preferences (person_id, village_code, language, updated_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (person_id) DO UPDATE \
         SET language = excluded.language, village_code = excluded.village_code, \
         updated_at = excluded.updated_at",
        vec![
            person_id.into(),
            village_code.into(),
            language.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}
