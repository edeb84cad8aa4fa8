//! Household cases: the case with its assessed needs, the steps of its plan with follow-up
//! dates, and its notes.

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use sea_orm::ConnectionTrait;
use serde::Serialize;

use crate::{FromRow, Result, Row, col, execute, fetch_all, fetch_one, query_one, scope_filter};

/// A case as it stands, with its household's head and what is overdue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseRow {
    pub id: String,
    pub household_id: String,
    pub head_name: Option<String>,
    pub kk_number: Option<String>,
    pub village_code: String,
    /// JSON array of need codes.
    pub needs: String,
    pub summary: String,
    pub status: String,
    pub officer: Option<String>,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_reason: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// The earliest follow-up date of a planned step.
    pub next_follow_up: Option<NaiveDate>,
}

impl FromRow for CaseRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(CaseRow {
            id: col(row, "id")?,
            household_id: col(row, "household_id")?,
            head_name: col(row, "head_name")?,
            kk_number: col(row, "kk_number")?,
            village_code: col(row, "village_code")?,
            needs: col(row, "needs")?,
            summary: col(row, "summary")?,
            status: col(row, "status")?,
            officer: col(row, "officer")?,
            opened_by: col(row, "opened_by")?,
            opened_at: col(row, "opened_at")?,
            closed_at: col(row, "closed_at")?,
            closed_reason: col(row, "closed_reason")?,
            updated_at: col(row, "updated_at")?,
            next_follow_up: col(row, "next_follow_up")?,
        })
    }
}

const SELECT: &str = "SELECT c.id, c.household_id, \
    (SELECT p.full_name FROM household_members m JOIN persons p ON p.id = m.person_id \
      WHERE m.household_id = c.household_id AND m.relationship = 'KEPALA KELUARGA' LIMIT 1) AS head_name, \
    h.kk_number, c.village_code, c.needs, c.summary, c.status, c.officer, c.opened_by, \
    c.opened_at, c.closed_at, c.closed_reason, c.updated_at, \
    (SELECT MIN(s.due_on) FROM case_steps s WHERE s.case_id = c.id AND s.status = 'planned') \
      AS next_follow_up \
    FROM cases c JOIN households h ON h.id = c.household_id";

/// A new case.
#[derive(Debug, Clone)]
pub struct NewCase<'a> {
    pub id: &'a str,
    pub household_id: &'a str,
    pub village_code: &'a str,
    pub needs: &'a str,
    pub summary: &'a str,
    pub officer: Option<&'a str>,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

pub async fn insert(c: &impl ConnectionTrait, n: &NewCase<'_>) -> Result<()> {
    execute(
        c,
        "INSERT INTO cases (id, household_id, village_code, needs, summary, status, officer, \
         opened_by, opened_at, closed_at, closed_reason, updated_at) \
         VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, NULL, NULL, ?)",
        vec![
            n.id.into(),
            n.household_id.into(),
            n.village_code.into(),
            n.needs.into(),
            n.summary.into(),
            n.officer.map(str::to_string).into(),
            n.actor.into(),
            n.at.into(),
            n.at.into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn get(c: &impl ConnectionTrait, scope: &Scope, id: &str) -> Result<Option<CaseRow>> {
    let (area, mut values) = scope_filter(scope, "c.village_code");
    values.insert(0, id.into());
    fetch_one(c, &format!("{SELECT} WHERE c.id = ? AND {area}"), values).await
}

/// The household's open case, if any.
pub async fn open_case_of(c: &impl ConnectionTrait, household_id: &str) -> Result<Option<String>> {
    let row = query_one(
        c,
        "SELECT id FROM cases WHERE household_id = ? AND status = 'open'",
        vec![household_id.into()],
    )
    .await?;
    row.map(|r| col(&r, "id")).transpose()
}

/// Cases in `scope`, newest first: by status, those with a planned step due before
/// `overdue_on`, and the household's.
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    status: Option<&str>,
    overdue_on: Option<NaiveDate>,
    household_id: Option<&str>,
    limit: u64,
) -> Result<Vec<CaseRow>> {
    let (area, mut values) = scope_filter(scope, "c.village_code");
    let mut sql = format!("{SELECT} WHERE {area}");
    if let Some(s) = status {
        sql.push_str(" AND c.status = ?");
        values.push(s.into());
    }
    if let Some(h) = household_id {
        sql.push_str(" AND c.household_id = ?");
        values.push(h.into());
    }
    if let Some(d) = overdue_on {
        sql.push_str(
            " AND c.status = 'open' AND EXISTS (SELECT 1 FROM case_steps s WHERE s.case_id = c.id \
             AND s.status = 'planned' AND s.due_on < ?)",
        );
        values.push(d.into());
    }
    sql.push_str(" ORDER BY c.id DESC LIMIT ?");
    values.push((limit as i64).into());
    fetch_all(c, &sql, values).await
}

/// Open cases in `scope` with a planned step due before `on` (the dashboard's count).
pub async fn overdue_count(c: &impl ConnectionTrait, scope: &Scope, on: NaiveDate) -> Result<i64> {
    let (area, mut values) = scope_filter(scope, "c.village_code");
    values.push(on.into());
    let row = query_one(
        c,
        &format!(
            "SELECT COUNT(*) AS n FROM cases c WHERE {area} AND c.status = 'open' AND EXISTS \
             (SELECT 1 FROM case_steps s WHERE s.case_id = c.id AND s.status = 'planned' \
             AND s.due_on < ?)"
        ),
        values,
    )
    .await?;
    Ok(row.map(|r| col::<i64>(&r, "n")).transpose()?.unwrap_or(0))
}

/// Writes a case's status (closing it) if it is still open; false when it was not.
pub async fn close(
    c: &impl ConnectionTrait,
    id: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = execute(
        c,
        "UPDATE cases SET status = 'closed', closed_at = ?, closed_reason = ?, updated_at = ? \
         WHERE id = ? AND status = 'open'",
        vec![at.into(), reason.into(), at.into(), id.into()],
    )
    .await?;
    Ok(n == 1)
}

pub async fn touch(c: &impl ConnectionTrait, id: &str, at: DateTime<Utc>) -> Result<()> {
    execute(
        c,
        "UPDATE cases SET updated_at = ? WHERE id = ?",
        vec![at.into(), id.into()],
    )
    .await?;
    Ok(())
}

/// A step of a case's plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRow {
    pub id: String,
    pub case_id: String,
    /// programme, service, training or job
    pub referral: String,
    /// The programme's code, or what the service, training or job is.
    pub target: String,
    pub due_on: NaiveDate,
    /// planned, done or dropped
    pub status: String,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub finished_by: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl FromRow for StepRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(StepRow {
            id: col(row, "id")?,
            case_id: col(row, "case_id")?,
            referral: col(row, "referral")?,
            target: col(row, "target")?,
            due_on: col(row, "due_on")?,
            status: col(row, "status")?,
            note: col(row, "note")?,
            created_by: col(row, "created_by")?,
            created_at: col(row, "created_at")?,
            finished_by: col(row, "finished_by")?,
            finished_at: col(row, "finished_at")?,
        })
    }
}

const STEP_COLUMNS: &str = "id, case_id, referral, target, due_on, status, note, created_by, \
    created_at, finished_by, finished_at";

pub async fn insert_step(c: &impl ConnectionTrait, s: &StepRow, village_code: &str) -> Result<()> {
    execute(
        c,
        &format!(
            "INSERT INTO case_steps ({STEP_COLUMNS}, village_code) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        vec![
            s.id.clone().into(),
            s.case_id.clone().into(),
            s.referral.clone().into(),
            s.target.clone().into(),
            s.due_on.into(),
            s.status.clone().into(),
            s.note.clone().into(),
            s.created_by.clone().into(),
            s.created_at.into(),
            s.finished_by.clone().into(),
            s.finished_at.into(),
            village_code.into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn steps(c: &impl ConnectionTrait, case_id: &str) -> Result<Vec<StepRow>> {
    fetch_all(
        c,
        &format!("SELECT {STEP_COLUMNS} FROM case_steps WHERE case_id = ? ORDER BY due_on, id"),
        vec![case_id.into()],
    )
    .await
}

/// Finishes a planned step; false if it was not planned any more.
pub async fn finish_step(
    c: &impl ConnectionTrait,
    case_id: &str,
    id: &str,
    status: &str,
    note: Option<&str>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = execute(
        c,
        "UPDATE case_steps SET status = ?, note = COALESCE(?, note), finished_by = ?, \
         finished_at = ? WHERE case_id = ? AND id = ? AND status = 'planned'",
        vec![
            status.into(),
            note.map(str::to_string).into(),
            by.into(),
            at.into(),
            case_id.into(),
            id.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// A note on a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub text: String,
}

impl FromRow for NoteRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(NoteRow {
            at: col(row, "at")?,
            actor: col(row, "actor")?,
            text: col(row, "text")?,
        })
    }
}

pub async fn insert_note(
    c: &impl ConnectionTrait,
    case_id: &str,
    village_code: &str,
    n: &NoteRow,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO case_notes (case_id, village_code, at, actor, text) VALUES (?, ?, ?, ?, ?)",
        vec![
            case_id.into(),
            village_code.into(),
            n.at.into(),
            n.actor.clone().into(),
            n.text.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn notes(c: &impl ConnectionTrait, case_id: &str) -> Result<Vec<NoteRow>> {
    fetch_all(
        c,
        "SELECT at, actor, text FROM case_notes WHERE case_id = ? ORDER BY id",
        vec![case_id.into()],
    )
    .await
}
