//! Long work as rows: a job has a kind, parameters, progress and an outcome, so a page can
//! poll it and a restarted process can see what was left unfinished.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;

use crate::{Result, col, execute, query_one};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub params: String,
    pub done: i64,
    pub total: i64,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_job(
    c: &impl ConnectionTrait,
    id: &str,
    kind: &str,
    params: &str,
    total: i64,
    created_by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO jobs (id, kind, status, params, done, total, error, created_by, created_at, updated_at) \
         VALUES (?, ?, 'running', ?, 0, ?, NULL, ?, ?, ?)",
        vec![id.into(), kind.into(), params.into(), total.into(), created_by.into(), at.into(), at.into()],
    )
    .await?;
    Ok(())
}

pub async fn set_progress(
    c: &impl ConnectionTrait,
    id: &str,
    done: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "UPDATE jobs SET done = ?, updated_at = ? WHERE id = ?",
        vec![done.into(), at.into(), id.into()],
    )
    .await?;
    Ok(())
}

pub async fn finish_job(
    c: &impl ConnectionTrait,
    id: &str,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    let status = if error.is_some() { "failed" } else { "done" };
    execute(
        c,
        "UPDATE jobs SET status = ?, error = ?, updated_at = ? WHERE id = ?",
        vec![
            status.into(),
            error.map(str::to_string).into(),
            at.into(),
            id.into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn job(c: &impl ConnectionTrait, id: &str) -> Result<Option<JobRow>> {
    let row = query_one(
        c,
        "SELECT id, kind, status, params, done, total, error, created_by, created_at, updated_at FROM jobs WHERE id = ?",
        vec![id.into()],
    )
    .await?;
    row.map(|r| {
        Ok(JobRow {
            id: col(&r, "id")?,
            kind: col(&r, "kind")?,
            status: col(&r, "status")?,
            params: col(&r, "params")?,
            done: col(&r, "done")?,
            total: col(&r, "total")?,
            error: col(&r, "error")?,
            created_by: col(&r, "created_by")?,
            created_at: col(&r, "created_at")?,
            updated_at: col(&r, "updated_at")?,
        })
    })
    .transpose()
}
