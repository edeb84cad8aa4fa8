//! Officers' accounts, browser sessions and API tokens. Session and API tokens are stored
//! only as SHA-256 hashes: a copy of the database does not let anyone log in.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;

use crate::{Result, col, execute, query_all, query_one};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub area_code: Option<String>,
    pub language: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// For an agency officer: the programme whose applications they decide.
    pub programme_code: Option<String>,
    /// For an employer's account: the enterprise's NPP.
    pub employer_npp: Option<String>,
}

const USER_COLUMNS: &str = "id, username, display_name, password_hash, role, area_code, language, \
     disabled, created_at, programme_code, employer_npp";

fn user_from_row(row: &QueryResult) -> Result<UserRow> {
    Ok(UserRow {
        id: col(row, "id")?,
        username: col(row, "username")?,
        display_name: col(row, "display_name")?,
        password_hash: col(row, "password_hash")?,
        role: col(row, "role")?,
        area_code: col(row, "area_code")?,
        language: col(row, "language")?,
        disabled: col(row, "disabled")?,
        created_at: col(row, "created_at")?,
        programme_code: col(row, "programme_code")?,
        employer_npp: col(row, "employer_npp")?,
    })
}

pub async fn insert_user(c: &impl ConnectionTrait, u: &UserRow) -> Result<()> {
    execute(
        c,
        &format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        vec![
            u.id.clone().into(),
            u.username.clone().into(),
            u.display_name.clone().into(),
            u.password_hash.clone().into(),
            u.role.clone().into(),
            u.area_code.clone().into(),
            u.language.clone().into(),
            u.disabled.into(),
            u.created_at.into(),
            u.programme_code.clone().into(),
            u.employer_npp.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn set_password(c: &impl ConnectionTrait, user_id: &str, hash: &str) -> Result<u64> {
    execute(
        c,
        "UPDATE users SET password_hash = ? WHERE id = ?",
        vec![hash.into(), user_id.into()],
    )
    .await
}

pub async fn set_language(c: &impl ConnectionTrait, user_id: &str, language: &str) -> Result<u64> {
    execute(
        c,
        "UPDATE users SET language = ? WHERE id = ?",
        vec![language.into(), user_id.into()],
    )
    .await
}

pub async fn user_by_username(c: &impl ConnectionTrait, username: &str) -> Result<Option<UserRow>> {
    let row = query_one(
        c,
        &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?"),
        vec![username.into()],
    )
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn user_by_id(c: &impl ConnectionTrait, id: &str) -> Result<Option<UserRow>> {
    let row = query_one(
        c,
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"),
        vec![id.into()],
    )
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn list_users(c: &impl ConnectionTrait) -> Result<Vec<UserRow>> {
    query_all(
        c,
        &format!("SELECT {USER_COLUMNS} FROM users ORDER BY username"),
        vec![],
    )
    .await?
    .iter()
    .map(user_from_row)
    .collect()
}

pub async fn insert_session(
    c: &impl ConnectionTrait,
    token_hash: &str,
    user_id: &str,
    csrf_token: &str,
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        vec![token_hash.into(), user_id.into(), csrf_token.into(), at.into(), expires_at.into()],
    )
    .await?;
    Ok(())
}

/// The user of a live session and the session's CSRF token.
pub async fn session_user(
    c: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(UserRow, String)>> {
    let row = query_one(
        c,
        "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, u.area_code, u.language, u.disabled, \
                u.created_at, u.programme_code, u.employer_npp, s.csrf_token \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?",
        vec![token_hash.into(), now.into()],
    )
    .await?;
    match row {
        Some(r) => Ok(Some((user_from_row(&r)?, col(&r, "csrf_token")?))),
        None => Ok(None),
    }
}

pub async fn delete_session(c: &impl ConnectionTrait, token_hash: &str) -> Result<u64> {
    execute(
        c,
        "DELETE FROM sessions WHERE token_hash = ?",
        vec![token_hash.into()],
    )
    .await
}

pub async fn delete_expired_sessions(c: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    execute(
        c,
        "DELETE FROM sessions WHERE expires_at <= ?",
        vec![now.into()],
    )
    .await
}

pub async fn insert_api_token(
    c: &impl ConnectionTrait,
    token_hash: &str,
    user_id: &str,
    name: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO api_tokens (token_hash, user_id, name, created_at, revoked) VALUES (?, ?, ?, ?, ?)",
        vec![token_hash.into(), user_id.into(), name.into(), at.into(), false.into()],
    )
    .await?;
    Ok(())
}

pub async fn api_token_user(c: &impl ConnectionTrait, token_hash: &str) -> Result<Option<UserRow>> {
    let row = query_one(
        c,
        "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, u.area_code, u.language, u.disabled, u.created_at, \
         u.programme_code, u.employer_npp FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked = ?",
        vec![token_hash.into(), false.into()],
    )
    .await?;
    row.as_ref().map(user_from_row).transpose()
}
