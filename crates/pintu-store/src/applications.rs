//! Applications to programmes: the applications as they stand, every step they took, and
//! the documents handed in (their metadata; the bytes are files named by their SHA-256).

use chrono::{DateTime, Utc};
use pintu_domain::access::Scope;
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;

use crate::{FromRow, Result, Row, col, execute, fetch_all, fetch_one, scope_filter};

/// An application as it stands, with the applicant's name and the programme's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplicationRow {
    pub id: String,
    pub person_id: String,
    pub person_name: String,
    pub household_id: Option<String>,
    pub programme_id: String,
    pub programme_code: String,
    pub programme_name_id: String,
    pub programme_name_en: String,
    pub village_code: String,
    pub channel: String,
    pub state: String,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub run_id: Option<String>,
    /// The exclusion complaint it was opened from.
    pub complaint_id: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FromRow for ApplicationRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(ApplicationRow {
            id: col(row, "id")?,
            person_id: col(row, "person_id")?,
            person_name: col(row, "person_name")?,
            household_id: col(row, "household_id")?,
            programme_id: col(row, "programme_id")?,
            programme_code: col(row, "programme_code")?,
            programme_name_id: col(row, "programme_name_id")?,
            programme_name_en: col(row, "programme_name_en")?,
            village_code: col(row, "village_code")?,
            channel: col(row, "channel")?,
            state: col(row, "state")?,
            note: col(row, "note")?,
            reason: col(row, "reason")?,
            run_id: col(row, "run_id")?,
            complaint_id: col(row, "complaint_id")?,
            created_by: col(row, "created_by")?,
            created_at: col(row, "created_at")?,
            updated_at: col(row, "updated_at")?,
        })
    }
}

const SELECT: &str = "SELECT a.id, a.person_id, p.full_name AS person_name, a.household_id, \
    a.programme_id, g.code AS programme_code, g.name_id AS programme_name_id, \
    g.name_en AS programme_name_en, a.village_code, a.channel, a.state, a.note, a.reason, \
    a.run_id, a.complaint_id, a.created_by, a.created_at, a.updated_at \
    FROM applications a JOIN persons p ON p.id = a.person_id \
    JOIN programmes g ON g.id = a.programme_id";

/// A new application (its first state is written with it).
#[derive(Debug, Clone)]
pub struct NewApplication<'a> {
    pub id: &'a str,
    pub person_id: &'a str,
    pub household_id: Option<&'a str>,
    pub programme_id: &'a str,
    pub village_code: &'a str,
    pub channel: &'a str,
    pub state: &'a str,
    pub note: Option<&'a str>,
    pub run_id: Option<&'a str>,
    pub complaint_id: Option<&'a str>,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

pub async fn insert(c: &impl ConnectionTrait, a: &NewApplication<'_>) -> Result<()> {
    execute(
        c,
        "INSERT INTO applications (id, person_id, household_id, programme_id, village_code, \
         channel, state, note, reason, run_id, complaint_id, created_by, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)",
        vec![
            a.id.into(),
            a.person_id.into(),
            a.household_id.map(str::to_string).into(),
            a.programme_id.into(),
            a.village_code.into(),
            a.channel.into(),
            a.state.into(),
            a.note.map(str::to_string).into(),
            a.run_id.map(str::to_string).into(),
            a.complaint_id.map(str::to_string).into(),
            a.actor.into(),
            a.at.into(),
            a.at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// An application in `scope`.
pub async fn get(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: &str,
) -> Result<Option<ApplicationRow>> {
    let (area, mut values) = scope_filter(scope, "a.village_code");
    values.insert(0, id.into());
    fetch_one(c, &format!("{SELECT} WHERE a.id = ? AND {area}"), values).await
}

/// Which applications a list shows.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter<'a> {
    pub programme_code: Option<&'a str>,
    pub state: Option<&'a str>,
    pub person_id: Option<&'a str>,
    pub complaint_id: Option<&'a str>,
    /// Only those older than this id (the previous page's cursor, newest first).
    pub before: Option<&'a str>,
}

/// Applications in `scope`, newest first.
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    f: &ApplicationFilter<'_>,
    limit: u64,
) -> Result<Vec<ApplicationRow>> {
    let (area, mut values) = scope_filter(scope, "a.village_code");
    let mut sql = format!("{SELECT} WHERE {area}");
    let mut eq = |column: &str, v: Option<&str>| {
        if let Some(v) = v {
            sql.push_str(&format!(" AND {column} = ?"));
            values.push(v.into());
        }
    };
    eq("g.code", f.programme_code);
    eq("a.state", f.state);
    eq("a.person_id", f.person_id);
    eq("a.complaint_id", f.complaint_id);
    if let Some(b) = f.before {
        sql.push_str(" AND a.id < ?");
        values.push(b.into());
    }
    sql.push_str(" ORDER BY a.id DESC LIMIT ?");
    values.push((limit as i64).into());
    fetch_all(c, &sql, values).await
}

/// The person's application to the programme that is still open, if any.
pub async fn open_application(
    c: &impl ConnectionTrait,
    person_id: &str,
    programme_id: &str,
) -> Result<Option<String>> {
    let found: Option<crate::read::IdRow> = fetch_one(
        c,
        "SELECT id FROM applications WHERE person_id = ? AND programme_id = ? \
         AND state NOT IN ('rejected', 'enrolled', 'withdrawn') LIMIT 1",
        vec![person_id.into(), programme_id.into()],
    )
    .await?;
    Ok(found.map(|i| i.0))
}

/// Moves an application from state `from` to `to` if it is still in `from`; false when
/// someone moved it first.
pub async fn set_state(
    c: &impl ConnectionTrait,
    id: &str,
    from: &str,
    to: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = execute(
        c,
        "UPDATE applications SET state = ?, reason = COALESCE(?, reason), updated_at = ? \
         WHERE id = ? AND state = ?",
        vec![
            to.into(),
            reason.map(str::to_string).into(),
            at.into(),
            id.into(),
            from.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// One step in an application's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `created`, a step (`submit`, `forward` ...), `document` or `checked`.
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: Option<String>,
}

impl FromRow for EventRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(EventRow {
            at: col(row, "at")?,
            actor: col(row, "actor")?,
            action: col(row, "action")?,
            from_state: col(row, "from_state")?,
            to_state: col(row, "to_state")?,
            note: col(row, "note")?,
        })
    }
}

pub async fn insert_event(
    c: &impl ConnectionTrait,
    application_id: &str,
    village_code: &str,
    e: &EventRow,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO application_events (application_id, village_code, at, actor, action, \
         from_state, to_state, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            application_id.into(),
            village_code.into(),
            e.at.into(),
            e.actor.clone().into(),
            e.action.clone().into(),
            e.from_state.clone().into(),
            e.to_state.clone().into(),
            e.note.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn events(c: &impl ConnectionTrait, application_id: &str) -> Result<Vec<EventRow>> {
    fetch_all(
        c,
        "SELECT at, actor, action, from_state, to_state, note FROM application_events \
         WHERE application_id = ? ORDER BY id",
        vec![application_id.into()],
    )
    .await
}

/// A document handed in, without its bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentRow {
    pub id: String,
    pub application_id: String,
    /// Which of the programme's required documents (0-based), if any.
    pub requirement: Option<i32>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
    pub checked_by: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

impl FromRow for DocumentRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(DocumentRow {
            id: col(row, "id")?,
            application_id: col(row, "application_id")?,
            requirement: col(row, "requirement")?,
            file_name: col(row, "file_name")?,
            content_type: col(row, "content_type")?,
            size: col(row, "size")?,
            sha256: col(row, "sha256")?,
            uploaded_by: col(row, "uploaded_by")?,
            uploaded_at: col(row, "uploaded_at")?,
            checked_by: col(row, "checked_by")?,
            checked_at: col(row, "checked_at")?,
        })
    }
}

const DOCUMENT_COLUMNS: &str = "id, application_id, requirement, file_name, content_type, size, \
    sha256, uploaded_by, uploaded_at, checked_by, checked_at";

pub async fn insert_document(
    c: &impl ConnectionTrait,
    d: &DocumentRow,
    village_code: &str,
) -> Result<()> {
    let values: Vec<Value> = vec![
        d.id.clone().into(),
        d.application_id.clone().into(),
        d.requirement.into(),
        d.file_name.clone().into(),
        d.content_type.clone().into(),
        d.size.into(),
        d.sha256.clone().into(),
        d.uploaded_by.clone().into(),
        d.uploaded_at.into(),
        d.checked_by.clone().into(),
        d.checked_at.into(),
        village_code.into(),
    ];
    execute(
        c,
        &format!(
            "INSERT INTO application_documents ({DOCUMENT_COLUMNS}, village_code) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        values,
    )
    .await?;
    Ok(())
}

pub async fn documents(c: &impl ConnectionTrait, application_id: &str) -> Result<Vec<DocumentRow>> {
    fetch_all(
        c,
        &format!(
            "SELECT {DOCUMENT_COLUMNS} FROM application_documents WHERE application_id = ? \
             ORDER BY uploaded_at, id"
        ),
        vec![application_id.into()],
    )
    .await
}

pub async fn document(
    c: &impl ConnectionTrait,
    application_id: &str,
    id: &str,
) -> Result<Option<DocumentRow>> {
    fetch_one(
        c,
        &format!(
            "SELECT {DOCUMENT_COLUMNS} FROM application_documents \
             WHERE application_id = ? AND id = ?"
        ),
        vec![application_id.into(), id.into()],
    )
    .await
}

/// Marks a document checked against the original; false if it already was.
pub async fn check_document(
    c: &impl ConnectionTrait,
    id: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = execute(
        c,
        "UPDATE application_documents SET checked_by = ?, checked_at = ? \
         WHERE id = ? AND checked_at IS NULL",
        vec![by.into(), at.into(), id.into()],
    )
    .await?;
    Ok(n == 1)
}
