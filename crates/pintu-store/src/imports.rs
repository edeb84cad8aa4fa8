//! Imports of source extracts. Each batch of rows is written in one transaction together
//! with the import's counters and the number of rows read, so an import interrupted at any
//! moment resumes after the last committed row: no row lost, none written twice.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;

use crate::bulk::{multi_insert, multi_upsert};
use crate::{FromRow, Result, Row, col, execute, fetch_all, fetch_one};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportRow {
    pub id: String,
    pub source: String,
    pub file_name: String,
    pub sha256: String,
    pub area_code: Option<String>,
    /// `running`, `synchronising`, `cancelling`, `cancelled`, `done` or `failed`.
    pub status: String,
    /// Data rows in the file (the header not counted).
    pub rows_total: i64,
    pub rows_read: i64,
    pub rows_accepted: i64,
    pub rows_rejected: i64,
    pub rows_with_warnings: i64,
    /// Accepted rows linked to the registry so far (the synchronisation's progress).
    pub rows_synchronised: i64,
    pub unknown_columns: Option<String>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FromRow for ImportRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(ImportRow {
            id: col(row, "id")?,
            source: col(row, "source")?,
            file_name: col(row, "file_name")?,
            sha256: col(row, "sha256")?,
            area_code: col(row, "area_code")?,
            status: col(row, "status")?,
            rows_total: col(row, "rows_total")?,
            rows_read: col(row, "rows_read")?,
            rows_accepted: col(row, "rows_accepted")?,
            rows_rejected: col(row, "rows_rejected")?,
            rows_with_warnings: col(row, "rows_with_warnings")?,
            rows_synchronised: col(row, "rows_synchronised")?,
            unknown_columns: col(row, "unknown_columns")?,
            error: col(row, "error")?,
            created_by: col(row, "created_by")?,
            created_at: col(row, "created_at")?,
            updated_at: col(row, "updated_at")?,
        })
    }
}

const IMPORT_COLUMNS: &str = "id, source, file_name, sha256, area_code, status, rows_total, rows_read, rows_accepted, \
    rows_rejected, rows_with_warnings, rows_synchronised, unknown_columns, error, created_by, created_at, updated_at";

/// An accepted row, normalised, ready to write.
#[derive(Debug, Clone)]
pub struct NewSourceRecord {
    pub row_number: i64,
    pub source_key: Option<String>,
    pub nik: Option<String>,
    pub kk_number: Option<String>,
    pub full_name: String,
    pub name_key: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<String>,
    pub relationship: Option<String>,
    pub village_code: Option<String>,
    pub address: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<String>,
    /// The other columns, as a JSON object.
    pub attributes: String,
}

/// A rejection (the row was not imported) or a dropped value (the row was).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportIssue {
    pub row_number: i64,
    pub column_name: String,
    pub code: String,
    pub rejected: bool,
}

impl FromRow for ImportIssue {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(ImportIssue {
            row_number: col(row, "row_number")?,
            column_name: col(row, "column_name")?,
            code: col(row, "code")?,
            rejected: col(row, "rejected")?,
        })
    }
}

/// One committed step of an import.
pub struct ImportBatch {
    pub records: Vec<NewSourceRecord>,
    pub issues: Vec<ImportIssue>,
    /// Rows read so far, including this batch: where a resumed import starts.
    pub rows_read: i64,
    pub rejected: i64,
    pub with_warnings: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_import(
    c: &impl ConnectionTrait,
    id: &str,
    source: &str,
    file_name: &str,
    sha256: &str,
    area_code: Option<&str>,
    rows_total: i64,
    unknown_columns: Option<&str>,
    created_by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO imports (id, source, file_name, sha256, area_code, status, rows_total, rows_read, rows_accepted, \
         rows_rejected, rows_with_warnings, unknown_columns, error, created_by, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, 'running', ?, 0, 0, 0, 0, ?, NULL, ?, ?, ?)",
        vec![
            id.into(),
            source.into(),
            file_name.into(),
            sha256.into(),
            area_code.map(str::to_string).into(),
            rows_total.into(),
            unknown_columns.map(str::to_string).into(),
            created_by.into(),
            at.into(),
            at.into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn import(c: &impl ConnectionTrait, id: &str) -> Result<Option<ImportRow>> {
    fetch_one(
        c,
        &format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE id = ?"),
        vec![id.into()],
    )
    .await
}

/// The import of this very file from this source, if there was one.
pub async fn import_of_file(
    c: &impl ConnectionTrait,
    source: &str,
    sha256: &str,
) -> Result<Option<ImportRow>> {
    fetch_one(
        c,
        &format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE source = ? AND sha256 = ?"),
        vec![source.into(), sha256.into()],
    )
    .await
}

/// The latest imports started in `scope` (by an officer of that area or one below it),
/// newest first.
pub async fn recent_imports(
    c: &impl ConnectionTrait,
    scope: &pintu_domain::access::Scope,
    limit: u64,
) -> Result<Vec<ImportRow>> {
    let (filter, mut values) = match scope {
        pintu_domain::access::Scope::National => ("1 = 1".to_string(), vec![]),
        pintu_domain::access::Scope::Within(area) => {
            let (f, mut v) = crate::scope_filter(scope, "area_code");
            v.insert(0, area.as_str().into());
            (format!("(area_code = ? OR {f})"), v)
        }
    };
    values.push((limit as i64).into());
    fetch_all(
        c,
        &format!(
            "SELECT {IMPORT_COLUMNS} FROM imports WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT ?"
        ),
        values,
    )
    .await
}

/// Imports a stop left running (or asked to cancel), oldest first.
pub async fn unfinished_imports(c: &impl ConnectionTrait) -> Result<Vec<ImportRow>> {
    fetch_all(
        c,
        &format!(
            "SELECT {IMPORT_COLUMNS} FROM imports WHERE status IN ('running', 'cancelling', 'synchronising') ORDER BY created_at, id"
        ),
        vec![],
    )
    .await
}

/// Writes one batch and advances the import's counters; call inside a transaction. The
/// import must still be where this run left it (`rows_read == from`, not finished): false
/// means another run has taken over, and the caller rolls back.
pub async fn write_batch(
    c: &impl ConnectionTrait,
    import_id: &str,
    source: &str,
    from: i64,
    batch: ImportBatch,
    at: DateTime<Utc>,
) -> Result<bool> {
    let claimed = execute(
        c,
        "UPDATE imports SET rows_read = ?, updated_at = ? WHERE id = ? AND rows_read = ? AND status IN ('running', 'cancelling')",
        vec![batch.rows_read.into(), at.into(), import_id.into(), from.into()],
    )
    .await?;
    if claimed != 1 {
        return Ok(false);
    }
    let accepted = batch.records.len() as i64;
    let records: Vec<Vec<Value>> = batch
        .records
        .into_iter()
        .map(|r| {
            vec![
                import_id.into(),
                r.row_number.into(),
                source.into(),
                r.source_key.into(),
                r.nik.into(),
                r.kk_number.into(),
                r.full_name.into(),
                r.name_key.into(),
                r.birth_date.into(),
                r.sex.into(),
                r.relationship.into(),
                r.village_code.into(),
                r.address.into(),
                r.rt.into(),
                r.rw.into(),
                r.attributes.into(),
            ]
        })
        .collect();
    multi_insert(
        c,
        "source_records (import_id, row_number, source, source_key, nik, kk_number, full_name, name_key, \
         birth_date, sex, relationship, village_code, address, rt, rw, attributes)",
        16,
        records,
    )
    .await?;
    let issues: Vec<Vec<Value>> = batch
        .issues
        .into_iter()
        .map(|i| {
            vec![
                import_id.into(),
                i.row_number.into(),
                i.column_name.into(),
                i.code.into(),
                i.rejected.into(),
            ]
        })
        .collect();
    multi_insert(
        c,
        "import_issues (import_id, row_number, column_name, code, rejected)",
        5,
        issues,
    )
    .await?;
    execute(
        c,
        "UPDATE imports SET rows_accepted = rows_accepted + ?, rows_rejected = rows_rejected + ?, \
         rows_with_warnings = rows_with_warnings + ? WHERE id = ?",
        vec![
            accepted.into(),
            batch.rejected.into(),
            batch.with_warnings.into(),
            import_id.into(),
        ],
    )
    .await?;
    Ok(true)
}

/// Sets the status (and the error of a failed import).
pub async fn set_status(
    c: &impl ConnectionTrait,
    id: &str,
    status: &str,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "UPDATE imports SET status = ?, error = ?, updated_at = ? WHERE id = ?",
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

/// Asks a running import (storing its rows or synchronising them) to stop after its current
/// batch. False if it was not running.
pub async fn request_cancel(c: &impl ConnectionTrait, id: &str, at: DateTime<Utc>) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE imports SET status = 'cancelling', updated_at = ? \
         WHERE id = ? AND status IN ('running', 'synchronising')",
        vec![at.into(), id.into()],
    )
    .await?
        == 1)
}

/// Moves an import whose rows are all stored on to its synchronisation (or finds it there
/// already, when a synchronisation is resumed). False when it is in any other state: asked
/// to cancel since its last batch, or finished or failed by another run.
pub async fn start_sync(c: &impl ConnectionTrait, id: &str, at: DateTime<Utc>) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE imports SET status = 'synchronising', error = NULL, updated_at = ? \
         WHERE id = ? AND status IN ('running', 'synchronising')",
        vec![at.into(), id.into()],
    )
    .await?
        == 1)
}

/// Counts a batch of synchronised rows; call inside the batch's transaction, before its
/// writes. The import must still be where this run left it (`rows_synchronised == from`):
/// false means another run of the same import has applied rows since, and the caller rolls
/// back.
pub async fn synchronised_batch(
    c: &impl ConnectionTrait,
    id: &str,
    from: i64,
    rows: i64,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE imports SET rows_synchronised = ?, updated_at = ? \
         WHERE id = ? AND rows_synchronised = ?",
        vec![(from + rows).into(), at.into(), id.into(), from.into()],
    )
    .await?
        == 1)
}

/// Marks a synchronised import done. A cancel asked for while its last step ran comes too
/// late: every row is linked, and the import is done.
pub async fn finish_sync(c: &impl ConnectionTrait, id: &str, at: DateTime<Utc>) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE imports SET status = 'done', updated_at = ? \
         WHERE id = ? AND status IN ('synchronising', 'cancelling')",
        vec![at.into(), id.into()],
    )
    .await?
        == 1)
}

/// The rejections and dropped values of an import, in row order.
pub async fn issues(c: &impl ConnectionTrait, import_id: &str) -> Result<Vec<ImportIssue>> {
    fetch_all(
        c,
        "SELECT row_number, column_name, code, rejected FROM import_issues WHERE import_id = ? ORDER BY row_number, id",
        vec![import_id.into()],
    )
    .await
}

/// How many source records an import wrote (a check for tests and the summary).
pub async fn record_count(c: &impl ConnectionTrait, import_id: &str) -> Result<i64> {
    let row = crate::query_one(
        c,
        "SELECT COUNT(*) AS n FROM source_records WHERE import_id = ?",
        vec![import_id.into()],
    )
    .await?;
    match row {
        Some(r) => col(&r, "n"),
        None => Ok(0),
    }
}

/// A registry person as linkage sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkCandidate {
    pub id: String,
    pub nik: Option<String>,
    pub full_name: String,
    pub name_key: String,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub village_code: String,
    pub kk_number: Option<String>,
    pub household_id: Option<String>,
    /// `alive` or `dead`: a source that still lists someone who died is a disagreement.
    pub life_status: String,
    pub died_on: Option<NaiveDate>,
}

impl FromRow for LinkCandidate {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(LinkCandidate {
            id: col(row, "id")?,
            nik: col(row, "nik")?,
            full_name: col(row, "full_name")?,
            name_key: col(row, "name_key")?,
            birth_date: col(row, "birth_date")?,
            sex: col(row, "sex")?,
            village_code: col(row, "village_code")?,
            kk_number: col(row, "kk_number")?,
            household_id: col(row, "household_id")?,
            life_status: col(row, "life_status")?,
            died_on: col(row, "died_on")?,
        })
    }
}

/// The registry people in `scope` who live there or died there, with their household's KK
/// number.
pub async fn link_candidates(
    store: &crate::Store,
    scope: &pintu_domain::access::Scope,
) -> Result<Vec<LinkCandidate>> {
    let (filter, values) = crate::scope_filter(scope, "p.village_code");
    store
        .fetch_all_long(
            format!(
                "SELECT p.id, p.nik, p.full_name, p.name_key, p.birth_date, p.sex, p.village_code, \
                 h.kk_number, m.household_id, p.life_status, p.died_on \
                 FROM persons p LEFT JOIN household_members m ON m.person_id = p.id \
                 LEFT JOIN households h ON h.id = m.household_id \
                 WHERE p.life_status IN ('alive', 'dead') AND {filter}"
            ),
            values,
        )
        .await
}

/// The people synchronisation created from the rows of an import.
pub async fn people_created_by(store: &crate::Store, import_id: &str) -> Result<Vec<String>> {
    let rows: Vec<crate::read::IdRow> = store
        .fetch_all_long(
            "SELECT person_id AS id FROM source_records \
             WHERE import_id = ? AND link_method = 'new' AND person_id IS NOT NULL"
                .to_string(),
            vec![import_id.into()],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A stored source row.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecordRow {
    pub id: i64,
    pub row_number: i64,
    pub source: String,
    pub source_key: Option<String>,
    pub nik: Option<String>,
    pub kk_number: Option<String>,
    pub full_name: String,
    pub name_key: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<String>,
    pub relationship: Option<String>,
    pub village_code: Option<String>,
    pub address: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<String>,
    pub attributes: String,
    pub person_id: Option<String>,
    pub link_method: Option<String>,
    pub link_score: Option<f64>,
}

impl FromRow for SourceRecordRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(SourceRecordRow {
            id: col(row, "id")?,
            row_number: col(row, "row_number")?,
            source: col(row, "source")?,
            source_key: col(row, "source_key")?,
            nik: col(row, "nik")?,
            kk_number: col(row, "kk_number")?,
            full_name: col(row, "full_name")?,
            name_key: col(row, "name_key")?,
            birth_date: col(row, "birth_date")?,
            sex: col(row, "sex")?,
            relationship: col(row, "relationship")?,
            village_code: col(row, "village_code")?,
            address: col(row, "address")?,
            rt: col(row, "rt")?,
            rw: col(row, "rw")?,
            attributes: col(row, "attributes")?,
            person_id: col(row, "person_id")?,
            link_method: col(row, "link_method")?,
            link_score: col(row, "link_score")?,
        })
    }
}

const RECORD_COLUMNS: &str = "id, row_number, source, source_key, nik, kk_number, full_name, name_key, birth_date, \
    sex, relationship, village_code, address, rt, rw, attributes, person_id, link_method, link_score";

/// The rows of an import, in file order (reports and tests).
pub async fn records(store: &crate::Store, import_id: &str) -> Result<Vec<SourceRecordRow>> {
    store
        .fetch_all_long(
            format!(
                "SELECT {RECORD_COLUMNS} FROM source_records WHERE import_id = ? ORDER BY row_number"
            ),
            vec![import_id.into()],
        )
        .await
}

/// Synchronisation's decision on one row, made before the registry changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub record_id: i64,
    pub person_id: Option<String>,
    /// `nik`, `probabilistic`, `new` or `unmatched`.
    pub method: &'static str,
    pub score: Option<f64>,
}

/// Whether the rows of an import have been decided (the plan is written whole or not at all).
pub async fn has_plan(c: &impl ConnectionTrait, import_id: &str) -> Result<bool> {
    Ok(crate::query_one(
        c,
        "SELECT record_id FROM sync_plans WHERE import_id = ? LIMIT 1",
        vec![import_id.into()],
    )
    .await?
    .is_some())
}

/// Writes the decisions of every row of an import (in the caller's transaction). Rows
/// another run of the same import has decided already keep that run's decision.
pub async fn insert_plan(c: &impl ConnectionTrait, import_id: &str, plans: &[Plan]) -> Result<()> {
    let rows: Vec<Vec<Value>> = plans
        .iter()
        .map(|p| {
            vec![
                p.record_id.into(),
                import_id.into(),
                p.person_id.clone().into(),
                p.method.into(),
                p.score.into(),
            ]
        })
        .collect();
    multi_upsert(
        c,
        "sync_plans (record_id, import_id, person_id, method, score)",
        5,
        rows,
        " ON CONFLICT (record_id) DO NOTHING",
    )
    .await
}

/// A row not applied yet, with its planned decision.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRecord {
    pub record: SourceRecordRow,
    pub person_id: Option<String>,
    pub method: String,
    pub score: Option<f64>,
}

impl FromRow for PlannedRecord {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(PlannedRecord {
            record: SourceRecordRow::from_row(row)?,
            person_id: col(row, "plan_person_id")?,
            method: col(row, "plan_method")?,
            score: col(row, "plan_score")?,
        })
    }
}

/// The planned rows of an import that are not applied yet, in file order.
pub async fn pending_plan(store: &crate::Store, import_id: &str) -> Result<Vec<PlannedRecord>> {
    let columns: Vec<String> = RECORD_COLUMNS
        .split(',')
        .map(|c| format!("r.{}", c.trim()))
        .collect();
    store
        .fetch_all_long(
            format!(
                "SELECT {}, p.person_id AS plan_person_id, p.method AS plan_method, \
                 p.score AS plan_score \
                 FROM source_records r JOIN sync_plans p ON p.record_id = r.id \
                 WHERE r.import_id = ? AND r.link_method IS NULL ORDER BY r.row_number",
                columns.join(", ")
            ),
            vec![import_id.into()],
        )
        .await
}

/// The households a synchronisation of an import made for its survey households without a
/// KK number, before it was interrupted: source key → household. Read once when the
/// synchronisation starts (a read a batch went through all the import's rows each time).
pub async fn survey_households_of(
    c: &impl ConnectionTrait,
    import_id: &str,
) -> Result<std::collections::HashMap<String, String>> {
    let rows = crate::query_all(
        c,
        "SELECT r.source_key, m.household_id FROM source_records r \
         JOIN household_members m ON m.person_id = r.person_id \
         WHERE r.import_id = ? AND r.link_method = 'new' AND r.kk_number IS NULL \
         AND r.source_key IS NOT NULL",
        vec![import_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "source_key")?, col(r, "household_id")?)))
        .collect()
}

/// One row's synchronisation outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkUpdate {
    pub record_id: i64,
    pub person_id: Option<String>,
    pub method: &'static str,
    pub score: Option<f64>,
}

/// Records the outcomes of many rows in a few statements.
pub async fn set_links(c: &impl ConnectionTrait, updates: &[LinkUpdate]) -> Result<()> {
    for chunk in updates.chunks(500) {
        let mut sql = String::from(
            "UPDATE source_records SET person_id = v.column2, link_method = v.column3, link_score = v.column4 FROM (VALUES ",
        );
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 4);
        for (i, u) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str("(?, ?, ?, ?)");
            values.extend([
                u.record_id.into(),
                u.person_id.clone().into(),
                u.method.into(),
                u.score.into(),
            ]);
        }
        sql.push_str(") AS v WHERE source_records.id = v.column1");
        execute(c, &sql, values).await?;
    }
    Ok(())
}

/// One line of a synchronisation summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkCount {
    pub village_code: Option<String>,
    pub link_method: Option<String>,
    pub rows: i64,
}

impl FromRow for LinkCount {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(LinkCount {
            village_code: col(row, "village_code")?,
            link_method: col(row, "link_method")?,
            rows: col(row, "n")?,
        })
    }
}

/// How an import's rows were linked, by village.
pub async fn link_counts(c: &impl ConnectionTrait, import_id: &str) -> Result<Vec<LinkCount>> {
    fetch_all(
        c,
        "SELECT village_code, link_method, COUNT(*) AS n FROM source_records WHERE import_id = ? \
         GROUP BY village_code, link_method ORDER BY village_code, link_method",
        vec![import_id.into()],
    )
    .await
}
