//! Complaints and appeals: the complaints with their current hop, every step they took,
//! their attachments, the call-backs owed for overdue ones, and the reference counters.

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;

use crate::{FromRow, Result, Row, col, execute, fetch_all, fetch_one, query_one, scope_filter};

/// A complaint as it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplaintRow {
    pub id: String,
    pub reference: String,
    pub regency_code: String,
    pub village_code: String,
    pub received_on: NaiveDate,
    pub channel: String,
    pub complainant_person_id: Option<String>,
    /// The registered complainant's name in the registry now, or the name given.
    pub complainant_name: Option<String>,
    pub contact: Option<String>,
    pub category: String,
    pub programme: Option<String>,
    pub description: String,
    pub status: String,
    pub level: String,
    pub unit: Option<String>,
    pub officer: Option<String>,
    pub sent_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub flagged_due_at: Option<DateTime<Utc>>,
    pub escalations: i32,
    pub reached_ombudsman_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    pub response: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub acknowledgement: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FromRow for ComplaintRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        let given: Option<String> = col(row, "complainant_name")?;
        let registered: Option<String> = col(row, "person_name")?;
        Ok(ComplaintRow {
            id: col(row, "id")?,
            reference: col(row, "reference")?,
            regency_code: col(row, "regency_code")?,
            village_code: col(row, "village_code")?,
            received_on: col(row, "received_on")?,
            channel: col(row, "channel")?,
            complainant_person_id: col(row, "complainant_person_id")?,
            complainant_name: registered.or(given),
            contact: col(row, "contact")?,
            category: col(row, "category")?,
            programme: col(row, "programme")?,
            description: col(row, "description")?,
            status: col(row, "status")?,
            level: col(row, "level")?,
            unit: col(row, "unit")?,
            officer: col(row, "officer")?,
            sent_at: col(row, "sent_at")?,
            due_at: col(row, "due_at")?,
            flagged_due_at: col(row, "flagged_due_at")?,
            escalations: col(row, "escalations")?,
            reached_ombudsman_at: col(row, "reached_ombudsman_at")?,
            resolution: col(row, "resolution")?,
            response: col(row, "response")?,
            resolved_at: col(row, "resolved_at")?,
            acknowledgement: col(row, "acknowledgement")?,
            acknowledged_at: col(row, "acknowledged_at")?,
            created_by: col(row, "created_by")?,
            created_at: col(row, "created_at")?,
            updated_at: col(row, "updated_at")?,
        })
    }
}

const SELECT: &str = "SELECT c.id, c.reference, c.regency_code, c.village_code, c.received_on, c.channel, \
    c.complainant_person_id, c.complainant_name, p.full_name AS person_name, c.contact, c.category, c.programme, \
    c.description, c.status, c.level, c.unit, c.officer, c.sent_at, c.due_at, c.flagged_due_at, c.escalations, \
    c.reached_ombudsman_at, c.resolution, c.response, c.resolved_at, c.acknowledgement, c.acknowledged_at, \
    c.created_by, c.created_at, c.updated_at \
    FROM complaints c LEFT JOIN persons p ON p.id = c.complainant_person_id";

/// Gives the next reference number of a district and year. Inside the caller's
/// transaction, the counter row stays locked until it commits, so two complaints recorded
/// at once never get the same number (on PostgreSQL the second waits; SQLite has one
/// writer).
pub async fn next_sequence(c: &impl ConnectionTrait, regency: &str, year: i32) -> Result<i64> {
    let row = query_one(
        c,
        "INSERT INTO complaint_sequences (regency_code, year, last) VALUES (?, ?, 1) \
         ON CONFLICT (regency_code, year) DO UPDATE SET last = complaint_sequences.last + 1 \
         RETURNING last",
        vec![regency.into(), year.into()],
    )
    .await?
    .ok_or_else(|| crate::StoreError::Other("no sequence returned".into()))?;
    col(&row, "last")
}

pub async fn insert(c: &impl ConnectionTrait, r: &ComplaintRow) -> Result<()> {
    execute(
        c,
        "INSERT INTO complaints (id, reference, regency_code, village_code, received_on, channel, \
         complainant_person_id, complainant_name, contact, category, programme, description, status, level, \
         unit, officer, sent_at, due_at, flagged_due_at, escalations, reached_ombudsman_at, resolution, \
         response, resolved_at, acknowledgement, acknowledged_at, created_by, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            r.id.clone().into(),
            r.reference.clone().into(),
            r.regency_code.clone().into(),
            r.village_code.clone().into(),
            r.received_on.into(),
            r.channel.clone().into(),
            r.complainant_person_id.clone().into(),
            r.complainant_name.clone().into(),
            r.contact.clone().into(),
            r.category.clone().into(),
            r.programme.clone().into(),
            r.description.clone().into(),
            r.status.clone().into(),
            r.level.clone().into(),
            r.unit.clone().into(),
            r.officer.clone().into(),
            r.sent_at.into(),
            r.due_at.into(),
            r.flagged_due_at.into(),
            r.escalations.into(),
            r.reached_ombudsman_at.into(),
            r.resolution.clone().into(),
            r.response.clone().into(),
            r.resolved_at.into(),
            r.acknowledgement.clone().into(),
            r.acknowledged_at.into(),
            r.created_by.clone().into(),
            r.created_at.into(),
            r.updated_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Writes a complaint's new state if nobody changed it since `seen` (its `updated_at` when
/// read); false when someone did.
pub async fn update(
    c: &impl ConnectionTrait,
    r: &ComplaintRow,
    seen: DateTime<Utc>,
) -> Result<bool> {
    let n = execute(
        c,
        "UPDATE complaints SET status = ?, level = ?, unit = ?, officer = ?, sent_at = ?, due_at = ?, \
         flagged_due_at = ?, escalations = ?, reached_ombudsman_at = ?, resolution = ?, response = ?, \
         resolved_at = ?, acknowledgement = ?, acknowledged_at = ?, updated_at = ? \
         WHERE id = ? AND updated_at = ?",
        vec![
            r.status.clone().into(),
            r.level.clone().into(),
            r.unit.clone().into(),
            r.officer.clone().into(),
            r.sent_at.into(),
            r.due_at.into(),
            r.flagged_due_at.into(),
            r.escalations.into(),
            r.reached_ombudsman_at.into(),
            r.resolution.clone().into(),
            r.response.clone().into(),
            r.resolved_at.into(),
            r.acknowledgement.clone().into(),
            r.acknowledged_at.into(),
            r.updated_at.into(),
            r.id.clone().into(),
            seen.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Which complaints a list shows.
#[derive(Debug, Clone, Default)]
pub struct ComplaintFilter<'a> {
    /// Any of these statuses (all when empty).
    pub statuses: &'a [&'a str],
    pub level: Option<&'a str>,
    pub category: Option<&'a str>,
    /// Open and past their deadline at this instant.
    pub overdue_at: Option<DateTime<Utc>>,
    /// Only those that reached the ombudsman (what an ombudsman sees).
    pub escalated_to_ombudsman: bool,
    pub complainant: Option<&'a str>,
    /// Only those older than this id (the cursor of the previous page, newest first).
    pub before: Option<&'a str>,
}

/// Complaints in `scope`, newest first.
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    f: &ComplaintFilter<'_>,
    limit: u64,
) -> Result<Vec<ComplaintRow>> {
    let (area, mut values) = scope_filter(scope, "c.village_code");
    let mut sql = format!("{SELECT} WHERE {area}");
    if !f.statuses.is_empty() {
        sql.push_str(&format!(
            " AND c.status IN ({})",
            vec!["?"; f.statuses.len()].join(", ")
        ));
        values.extend(f.statuses.iter().map(|s| Value::from(*s)));
    }
    let mut eq = |column: &str, v: Option<&str>| {
        if let Some(v) = v {
            sql.push_str(&format!(" AND {column} = ?"));
            values.push(v.into());
        }
    };
    eq("c.level", f.level);
    eq("c.category", f.category);
    eq("c.complainant_person_id", f.complainant);
    if let Some(now) = f.overdue_at {
        sql.push_str(" AND c.status = 'open' AND c.due_at < ?");
        values.push(now.into());
    }
    if f.escalated_to_ombudsman {
        sql.push_str(" AND c.reached_ombudsman_at IS NOT NULL");
    }
    if let Some(b) = f.before {
        sql.push_str(" AND c.id < ?");
        values.push(b.into());
    }
    sql.push_str(" ORDER BY c.id DESC LIMIT ?");
    values.push((limit as i64).into());
    fetch_all(c, &sql, values).await
}

pub async fn get(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: &str,
) -> Result<Option<ComplaintRow>> {
    let (area, mut values) = scope_filter(scope, "c.village_code");
    values.insert(0, id.into());
    fetch_one(c, &format!("{SELECT} WHERE c.id = ? AND {area}"), values).await
}

/// Open complaints past their deadline that the scheduler has not flagged yet, oldest
/// deadline first.
pub async fn overdue_unflagged(
    c: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<ComplaintRow>> {
    fetch_all(
        c,
        &format!(
            "{SELECT} WHERE c.status = 'open' AND c.due_at < ? \
             AND (c.flagged_due_at IS NULL OR c.flagged_due_at <> c.due_at) \
             ORDER BY c.due_at, c.id LIMIT ?"
        ),
        vec![now.into(), (limit as i64).into()],
    )
    .await
}

/// One step of a complaint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `received`, `forwarded`, `assigned`, `escalated`, `responded`, `resolved`,
    /// `acknowledged`, `reopened`, `corrected`, `attached`, `called_back`.
    pub action: String,
    /// The level holding the complaint after the step, and the unit.
    pub level: String,
    pub unit: Option<String>,
    /// The officer in charge named at this step.
    pub officer: Option<String>,
    /// The deadline the step set.
    pub due_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

impl FromRow for EventRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(EventRow {
            id: col(row, "id")?,
            at: col(row, "at")?,
            actor: col(row, "actor")?,
            action: col(row, "action")?,
            level: col(row, "level")?,
            unit: col(row, "unit")?,
            officer: col(row, "officer")?,
            due_at: col(row, "due_at")?,
            note: col(row, "note")?,
        })
    }
}

/// A step to record.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub complaint_id: &'a str,
    pub village_code: &'a str,
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub action: &'a str,
    pub level: &'a str,
    pub unit: Option<&'a str>,
    pub officer: Option<&'a str>,
    pub due_at: Option<DateTime<Utc>>,
    pub note: Option<&'a str>,
}

pub async fn insert_event(c: &impl ConnectionTrait, e: &NewEvent<'_>) -> Result<()> {
    execute(
        c,
        "INSERT INTO complaint_events (complaint_id, village_code, at, actor, action, level, unit, officer, due_at, note) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            e.complaint_id.into(),
            e.village_code.into(),
            e.at.into(),
            e.actor.into(),
            e.action.into(),
            e.level.into(),
            e.unit.map(str::to_string).into(),
            e.officer.map(str::to_string).into(),
            e.due_at.into(),
            e.note.map(str::to_string).into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn events(c: &impl ConnectionTrait, complaint_id: &str) -> Result<Vec<EventRow>> {
    fetch_all(
        c,
        "SELECT id, at, actor, action, level, unit, officer, due_at, note FROM complaint_events \
         WHERE complaint_id = ? ORDER BY id",
        vec![complaint_id.into()],
    )
    .await
}

/// An attachment, without its content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttachmentRow {
    pub id: String,
    pub complaint_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl FromRow for AttachmentRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(AttachmentRow {
            id: col(row, "id")?,
            complaint_id: col(row, "complaint_id")?,
            file_name: col(row, "file_name")?,
            content_type: col(row, "content_type")?,
            size: col(row, "size")?,
            created_by: col(row, "created_by")?,
            created_at: col(row, "created_at")?,
        })
    }
}

pub async fn insert_attachment(
    c: &impl ConnectionTrait,
    a: &AttachmentRow,
    village_code: &str,
    content: Vec<u8>,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO complaint_attachments (id, complaint_id, village_code, file_name, content_type, size, content, created_by, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            a.id.clone().into(),
            a.complaint_id.clone().into(),
            village_code.into(),
            a.file_name.clone().into(),
            a.content_type.clone().into(),
            a.size.into(),
            content.into(),
            a.created_by.clone().into(),
            a.created_at.into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn attachments(
    c: &impl ConnectionTrait,
    complaint_id: &str,
) -> Result<Vec<AttachmentRow>> {
    fetch_all(
        c,
        "SELECT id, complaint_id, file_name, content_type, size, created_by, created_at \
         FROM complaint_attachments WHERE complaint_id = ? ORDER BY id",
        vec![complaint_id.into()],
    )
    .await
}

/// The attachments of the complaints a person made, oldest first.
pub async fn attachments_of_complainant(
    c: &impl ConnectionTrait,
    person_id: &str,
) -> Result<Vec<AttachmentRow>> {
    fetch_all(
        c,
        "SELECT a.id, a.complaint_id, a.file_name, a.content_type, a.size, a.created_by, \
         a.created_at FROM complaint_attachments a JOIN complaints c ON c.id = a.complaint_id \
         WHERE c.complainant_person_id = ? ORDER BY a.id",
        vec![person_id.into()],
    )
    .await
}

struct Content(Vec<u8>);

impl FromRow for Content {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(Content(col(row, "content")?))
    }
}

/// An attachment's metadata and bytes.
pub async fn attachment(
    c: &impl ConnectionTrait,
    complaint_id: &str,
    id: &str,
) -> Result<Option<(AttachmentRow, Vec<u8>)>> {
    let meta: Option<AttachmentRow> = fetch_one(
        c,
        "SELECT id, complaint_id, file_name, content_type, size, created_by, created_at \
         FROM complaint_attachments WHERE complaint_id = ? AND id = ?",
        vec![complaint_id.into(), id.into()],
    )
    .await?;
    let Some(meta) = meta else {
        return Ok(None);
    };
    let content: Option<Content> = fetch_one(
        c,
        "SELECT content FROM complaint_attachments WHERE id = ?",
        vec![id.into()],
    )
    .await?;
    Ok(content.map(|b| (meta, b.0)))
}

/// A call-back owed to the resident of an overdue complaint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallbackRow {
    pub id: String,
    pub complaint_id: String,
    pub reference: String,
    pub village_code: String,
    /// The level at which the complaint was overdue.
    pub level: String,
    pub category: String,
    pub complainant_name: Option<String>,
    pub contact: Option<String>,
    /// `open` or `done`.
    pub status: String,
    /// `reached` or `not_reachable`.
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub done_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl FromRow for CallbackRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        let given: Option<String> = col(row, "complainant_name")?;
        let registered: Option<String> = col(row, "person_name")?;
        let contact: Option<String> = col(row, "contact")?;
        let phone: Option<String> = col(row, "person_phone")?;
        Ok(CallbackRow {
            id: col(row, "id")?,
            complaint_id: col(row, "complaint_id")?,
            reference: col(row, "reference")?,
            village_code: col(row, "village_code")?,
            level: col(row, "level")?,
            category: col(row, "category")?,
            complainant_name: registered.or(given),
            contact: contact.or(phone),
            status: col(row, "status")?,
            outcome: col(row, "outcome")?,
            note: col(row, "note")?,
            done_by: col(row, "done_by")?,
            done_at: col(row, "done_at")?,
            created_at: col(row, "created_at")?,
        })
    }
}

const CALLBACK_SELECT: &str = "SELECT b.id, b.complaint_id, c.reference, b.village_code, b.level, c.category, \
    c.complainant_name, p.full_name AS person_name, c.contact, p.phone AS person_phone, b.status, b.outcome, b.note, \
    b.done_by, b.done_at, b.created_at \
    FROM complaint_callbacks b JOIN complaints c ON c.id = b.complaint_id \
    LEFT JOIN persons p ON p.id = c.complainant_person_id";

pub async fn insert_callback(
    c: &impl ConnectionTrait,
    id: &str,
    complaint: &ComplaintRow,
    level: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO complaint_callbacks (id, complaint_id, village_code, level, status, created_at) \
         VALUES (?, ?, ?, ?, 'open', ?)",
        vec![
            id.into(),
            complaint.id.clone().into(),
            complaint.village_code.clone().into(),
            level.into(),
            at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Call-backs in `scope` with `status` (all when `None`), oldest first after `after`.
pub async fn callbacks(
    c: &impl ConnectionTrait,
    scope: &Scope,
    status: Option<&str>,
    complaint_id: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<CallbackRow>> {
    let (area, mut values) = scope_filter(scope, "b.village_code");
    let mut sql = format!("{CALLBACK_SELECT} WHERE {area}");
    if let Some(s) = status {
        sql.push_str(" AND b.status = ?");
        values.push(s.into());
    }
    if let Some(id) = complaint_id {
        sql.push_str(" AND b.complaint_id = ?");
        values.push(id.into());
    }
    if let Some(a) = after {
        sql.push_str(" AND b.id > ?");
        values.push(a.into());
    }
    sql.push_str(" ORDER BY b.id LIMIT ?");
    values.push((limit as i64).into());
    fetch_all(c, &sql, values).await
}

pub async fn callback(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: &str,
) -> Result<Option<CallbackRow>> {
    let (area, mut values) = scope_filter(scope, "b.village_code");
    values.insert(0, id.into());
    fetch_one(
        c,
        &format!("{CALLBACK_SELECT} WHERE b.id = ? AND {area}"),
        values,
    )
    .await
}

/// Records a call-back's outcome if it is still open; false if someone did already.
pub async fn complete_callback(
    c: &impl ConnectionTrait,
    id: &str,
    outcome: &str,
    note: Option<&str>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = execute(
        c,
        "UPDATE complaint_callbacks SET status = 'done', outcome = ?, note = ?, done_by = ?, done_at = ? \
         WHERE id = ? AND status = 'open'",
        vec![
            outcome.into(),
            note.map(str::to_string).into(),
            by.into(),
            at.into(),
            id.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// What the statistics need of each complaint.
#[derive(Debug, Clone, PartialEq)]
pub struct StatRow {
    pub village_code: String,
    pub channel: String,
    pub category: String,
    pub programme: Option<String>,
    pub status: String,
    pub level: String,
    pub received_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub due_at: DateTime<Utc>,
    pub escalations: i32,
    pub reached_ombudsman: bool,
}

impl FromRow for StatRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        let reached: Option<DateTime<Utc>> = col(row, "reached_ombudsman_at")?;
        Ok(StatRow {
            village_code: col(row, "village_code")?,
            channel: col(row, "channel")?,
            category: col(row, "category")?,
            programme: col(row, "programme")?,
            status: col(row, "status")?,
            level: col(row, "level")?,
            received_on: col(row, "received_on")?,
            created_at: col(row, "created_at")?,
            resolved_at: col(row, "resolved_at")?,
            due_at: col(row, "due_at")?,
            escalations: col(row, "escalations")?,
            reached_ombudsman: reached.is_some(),
        })
    }
}

/// The complaints of `scope` received between `from` and `to` (inclusive), for statistics.
pub async fn stat_rows(
    c: &impl ConnectionTrait,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    escalated_to_ombudsman: bool,
) -> Result<Vec<StatRow>> {
    let (area, mut values) = scope_filter(scope, "village_code");
    values.push(from.into());
    values.push(to.into());
    let extra = if escalated_to_ombudsman {
        " AND reached_ombudsman_at IS NOT NULL"
    } else {
        ""
    };
    fetch_all(
        c,
        &format!(
            "SELECT village_code, channel, category, programme, status, level, received_on, created_at, \
             resolved_at, due_at, escalations, reached_ombudsman_at FROM complaints \
             WHERE {area} AND received_on >= ? AND received_on <= ?{extra}"
        ),
        values,
    )
    .await
}
