//! The programme catalogue (PRG-1): programmes, their eligibility rules as numbered versions
//! with the date each takes effect, and their quotas per area.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;

use crate::{FromRow, Result, Row, col, execute, fetch_all, fetch_one, query_one};

/// A programme as stored. `documents`, `requires` and `implies` are JSON (the service reads
/// them); the rule lives in [`RuleVersionRow`]s.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgrammeRow {
    pub id: String,
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub description_id: Option<String>,
    pub description_en: Option<String>,
    pub owner_agency: String,
    pub technical_unit: Option<String>,
    pub guarantee: String,
    pub kind: String,
    pub benefit_id: Option<String>,
    pub benefit_en: Option<String>,
    pub benefit_amount: Option<i64>,
    pub benefit_period: Option<String>,
    pub area_code: Option<String>,
    pub budget: Option<i64>,
    pub quota: Option<i64>,
    pub target: String,
    pub need: Option<String>,
    pub rank_by: String,
    /// JSON: `[{"id": "...", "en": "..."}]`.
    pub documents: String,
    pub procedure_id: Option<String>,
    pub procedure_en: Option<String>,
    pub focal_point: Option<String>,
    pub active_from: NaiveDate,
    pub active_until: Option<NaiveDate>,
    /// JSON arrays of programme codes.
    pub requires: String,
    pub implies: String,
    pub example: bool,
    pub updated_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FromRow for ProgrammeRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(ProgrammeRow {
            id: col(row, "id")?,
            code: col(row, "code")?,
            name_id: col(row, "name_id")?,
            name_en: col(row, "name_en")?,
            description_id: col(row, "description_id")?,
            description_en: col(row, "description_en")?,
            owner_agency: col(row, "owner_agency")?,
            technical_unit: col(row, "technical_unit")?,
            guarantee: col(row, "guarantee")?,
            kind: col(row, "kind")?,
            benefit_id: col(row, "benefit_id")?,
            benefit_en: col(row, "benefit_en")?,
            benefit_amount: col(row, "benefit_amount")?,
            benefit_period: col(row, "benefit_period")?,
            area_code: col(row, "area_code")?,
            budget: col(row, "budget")?,
            quota: col(row, "quota")?,
            target: col(row, "target")?,
            need: col(row, "need")?,
            rank_by: col(row, "rank_by")?,
            documents: col(row, "documents")?,
            procedure_id: col(row, "procedure_id")?,
            procedure_en: col(row, "procedure_en")?,
            focal_point: col(row, "focal_point")?,
            active_from: col(row, "active_from")?,
            active_until: col(row, "active_until")?,
            requires: col(row, "requires")?,
            implies: col(row, "implies")?,
            example: col(row, "example")?,
            updated_by: col(row, "updated_by")?,
            created_at: col(row, "created_at")?,
            updated_at: col(row, "updated_at")?,
        })
    }
}

const COLUMNS: &str = "id, code, name_id, name_en, description_id, description_en, owner_agency, \
    technical_unit, guarantee, kind, benefit_id, benefit_en, benefit_amount, benefit_period, \
    area_code, budget, quota, target, need, rank_by, documents, procedure_id, procedure_en, \
    focal_point, active_from, active_until, requires, implies, example, updated_by, created_at, \
    updated_at";

/// The values of a row, in the order of [`COLUMNS`].
fn values(r: &ProgrammeRow) -> Vec<Value> {
    vec![
        r.id.clone().into(),
        r.code.clone().into(),
        r.name_id.clone().into(),
        r.name_en.clone().into(),
        r.description_id.clone().into(),
        r.description_en.clone().into(),
        r.owner_agency.clone().into(),
        r.technical_unit.clone().into(),
        r.guarantee.clone().into(),
        r.kind.clone().into(),
        r.benefit_id.clone().into(),
        r.benefit_en.clone().into(),
        r.benefit_amount.into(),
        r.benefit_period.clone().into(),
        r.area_code.clone().into(),
        r.budget.into(),
        r.quota.into(),
        r.target.clone().into(),
        r.need.clone().into(),
        r.rank_by.clone().into(),
        r.documents.clone().into(),
        r.procedure_id.clone().into(),
        r.procedure_en.clone().into(),
        r.focal_point.clone().into(),
        r.active_from.into(),
        r.active_until.into(),
        r.requires.clone().into(),
        r.implies.clone().into(),
        r.example.into(),
        r.updated_by.clone().into(),
        r.created_at.into(),
        r.updated_at.into(),
    ]
}

pub async fn insert(c: &impl ConnectionTrait, r: &ProgrammeRow) -> Result<()> {
    let marks = vec!["?"; 32].join(", ");
    execute(
        c,
        &format!("INSERT INTO programmes ({COLUMNS}) VALUES ({marks})"),
        values(r),
    )
    .await?;
    Ok(())
}

/// Writes a programme's form if nobody changed it since `seen` (its `updated_at` when read);
/// false when someone did. The code and the creation stay as they were.
pub async fn update(
    c: &impl ConnectionTrait,
    r: &ProgrammeRow,
    seen: DateTime<Utc>,
) -> Result<bool> {
    // Every column of the form: all but the id, the code and the creation.
    let columns: Vec<&str> = COLUMNS
        .split(',')
        .map(str::trim)
        .filter(|c| !["id", "code", "created_at"].contains(c))
        .collect();
    let mut v: Vec<Value> = COLUMNS
        .split(',')
        .map(str::trim)
        .zip(values(r))
        .filter(|(c, _)| columns.contains(c))
        .map(|(_, v)| v)
        .collect();
    v.push(r.id.clone().into());
    v.push(seen.into());
    let sets: Vec<String> = columns.iter().map(|c| format!("{c} = ?")).collect();
    let n = execute(
        c,
        &format!(
            "UPDATE programmes SET {} WHERE id = ? AND updated_at = ?",
            sets.join(", ")
        ),
        v,
    )
    .await?;
    Ok(n == 1)
}

/// Which programmes a list shows.
#[derive(Debug, Clone, Default)]
pub struct ProgrammeFilter<'a> {
    /// Running on this date.
    pub active_on: Option<NaiveDate>,
    pub guarantee: Option<&'a str>,
    pub kind: Option<&'a str>,
    /// Words found in the code, the names, the owner or the technical unit (case-insensitive).
    pub text: Option<&'a str>,
}

/// Programmes, by code.
pub async fn list(c: &impl ConnectionTrait, f: &ProgrammeFilter<'_>) -> Result<Vec<ProgrammeRow>> {
    let mut sql = format!("SELECT {COLUMNS} FROM programmes WHERE 1 = 1");
    let mut values: Vec<Value> = Vec::new();
    if let Some(on) = f.active_on {
        sql.push_str(" AND active_from <= ? AND (active_until IS NULL OR active_until >= ?)");
        values.push(on.into());
        values.push(on.into());
    }
    if let Some(g) = f.guarantee {
        sql.push_str(" AND guarantee = ?");
        values.push(g.into());
    }
    if let Some(k) = f.kind {
        sql.push_str(" AND kind = ?");
        values.push(k.into());
    }
    // Each word somewhere: LOWER on both sides, so both backends match regardless of case.
    for word in f.text.unwrap_or("").split_whitespace().take(8) {
        let escaped: String = word
            .to_lowercase()
            .chars()
            .flat_map(|ch| match ch {
                '%' | '_' | '\\' => vec!['\\', ch],
                other => vec![other],
            })
            .collect();
        sql.push_str(
            " AND (LOWER(code) LIKE ? ESCAPE '\\' OR LOWER(name_id) LIKE ? ESCAPE '\\' \
             OR LOWER(name_en) LIKE ? ESCAPE '\\' OR LOWER(owner_agency) LIKE ? ESCAPE '\\' \
             OR LOWER(COALESCE(technical_unit, '')) LIKE ? ESCAPE '\\')",
        );
        let pattern = format!("%{escaped}%");
        for _ in 0..5 {
            values.push(pattern.clone().into());
        }
    }
    sql.push_str(" ORDER BY code");
    fetch_all(c, &sql, values).await
}

pub async fn by_code(c: &impl ConnectionTrait, code: &str) -> Result<Option<ProgrammeRow>> {
    fetch_one(
        c,
        &format!("SELECT {COLUMNS} FROM programmes WHERE code = ?"),
        vec![code.into()],
    )
    .await
}

/// How many programmes the catalogue holds.
pub async fn count(c: &impl ConnectionTrait) -> Result<i64> {
    match query_one(c, "SELECT COUNT(*) AS n FROM programmes", vec![]).await? {
        Some(row) => col(&row, "n"),
        None => Ok(0),
    }
}

/// Which of `codes` are programmes.
pub async fn existing_codes(c: &impl ConnectionTrait, codes: &[String]) -> Result<Vec<String>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let rows = crate::query_in(
        c,
        "SELECT code FROM programmes WHERE code IN ({in})",
        &[],
        codes,
    )
    .await?;
    rows.iter().map(|r| col(r, "code")).collect()
}

/// Whether a programme was ever used: someone enrolled in it, listed by a matching run, or
/// added or removed by a village forum. A used programme is ended, never deleted.
pub async fn was_used(c: &impl ConnectionTrait, id: &str, code: &str) -> Result<bool> {
    let row = query_one(
        c,
        "SELECT 1 AS used WHERE EXISTS (SELECT 1 FROM enrolments WHERE programme_code = ?) \
         OR EXISTS (SELECT 1 FROM match_lists l JOIN match_lines r ON r.list_id = l.id \
           WHERE l.programme_id = ?) \
         OR EXISTS (SELECT 1 FROM match_overrides WHERE programme_id = ?)",
        vec![code.into(), id.into(), id.into()],
    )
    .await?;
    Ok(row.is_some())
}

/// Ends a programme on `until` (it stays in the catalogue, no longer active after that day).
pub async fn end(
    c: &impl ConnectionTrait,
    id: &str,
    until: NaiveDate,
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "UPDATE programmes SET active_until = ?, updated_by = ?, updated_at = ? WHERE id = ?",
        vec![until.into(), by.into(), at.into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Deletes a programme that was never used, with its rules and quotas.
pub async fn delete(c: &impl ConnectionTrait, id: &str) -> Result<()> {
    for sql in [
        "DELETE FROM programme_quotas WHERE programme_id = ?",
        "DELETE FROM programme_rules WHERE programme_id = ?",
        "DELETE FROM programmes WHERE id = ?",
    ] {
        execute(c, sql, vec![id.into()]).await?;
    }
    Ok(())
}

/// One version of a programme's eligibility rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleVersionRow {
    pub id: String,
    pub programme_id: String,
    pub version: i32,
    pub rule: String,
    pub effective_from: NaiveDate,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl FromRow for RuleVersionRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(RuleVersionRow {
            id: col(row, "id")?,
            programme_id: col(row, "programme_id")?,
            version: col(row, "version")?,
            rule: col(row, "rule")?,
            effective_from: col(row, "effective_from")?,
            note: col(row, "note")?,
            created_by: col(row, "created_by")?,
            created_at: col(row, "created_at")?,
        })
    }
}

const RULE_COLUMNS: &str =
    "id, programme_id, version, rule, effective_from, note, created_by, created_at";

/// A new rule version to record.
#[derive(Debug, Clone)]
pub struct NewRuleVersion<'a> {
    pub id: &'a str,
    pub programme_id: &'a str,
    pub rule: &'a str,
    pub effective_from: NaiveDate,
    pub note: Option<&'a str>,
    pub created_by: &'a str,
    pub at: DateTime<Utc>,
}

/// Records the next version of a programme's rule (one more than the highest). Two writers
/// at once: the unique (programme, version) index refuses the second.
pub async fn insert_rule(c: &impl ConnectionTrait, r: &NewRuleVersion<'_>) -> Result<i32> {
    let next: i32 = match query_one(
        c,
        "SELECT COALESCE(MAX(version), 0) + 1 AS next FROM programme_rules WHERE programme_id = ?",
        vec![r.programme_id.into()],
    )
    .await?
    {
        Some(row) => col(&row, "next")?,
        None => 1,
    };
    execute(
        c,
        &format!("INSERT INTO programme_rules ({RULE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
        vec![
            r.id.into(),
            r.programme_id.into(),
            next.into(),
            r.rule.into(),
            r.effective_from.into(),
            r.note.map(str::to_string).into(),
            r.created_by.into(),
            r.at.into(),
        ],
    )
    .await?;
    Ok(next)
}

/// Every version of a programme's rule, oldest first.
pub async fn rules(c: &impl ConnectionTrait, programme_id: &str) -> Result<Vec<RuleVersionRow>> {
    fetch_all(
        c,
        &format!(
            "SELECT {RULE_COLUMNS} FROM programme_rules WHERE programme_id = ? ORDER BY version"
        ),
        vec![programme_id.into()],
    )
    .await
}

/// The rule in force on `on`: the highest version whose `effective_from` is on or before it.
pub async fn rule_in_force(
    c: &impl ConnectionTrait,
    programme_id: &str,
    on: NaiveDate,
) -> Result<Option<RuleVersionRow>> {
    fetch_one(
        c,
        &format!(
            "SELECT {RULE_COLUMNS} FROM programme_rules WHERE programme_id = ? AND effective_from <= ? \
             ORDER BY version DESC LIMIT 1"
        ),
        vec![programme_id.into(), on.into()],
    )
    .await
}

/// A programme's quota in one area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaRow {
    pub area_code: String,
    pub quota: i64,
}

impl FromRow for QuotaRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(QuotaRow {
            area_code: col(row, "area_code")?,
            quota: col(row, "quota")?,
        })
    }
}

/// A programme's quotas, by area code.
pub async fn quotas(c: &impl ConnectionTrait, programme_id: &str) -> Result<Vec<QuotaRow>> {
    fetch_all(
        c,
        "SELECT area_code, quota FROM programme_quotas WHERE programme_id = ? ORDER BY area_code",
        vec![programme_id.into()],
    )
    .await
}

/// Sets a programme's quota in an area (replacing the one there).
pub async fn set_quota(
    c: &impl ConnectionTrait,
    programme_id: &str,
    area_code: &str,
    quota: i64,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO programme_quotas (programme_id, area_code, quota) VALUES (?, ?, ?) \
         ON CONFLICT (programme_id, area_code) DO UPDATE SET quota = excluded.quota",
        vec![programme_id.into(), area_code.into(), quota.into()],
    )
    .await?;
    Ok(())
}

/// Removes a programme's quota in an area; false if there was none.
pub async fn remove_quota(
    c: &impl ConnectionTrait,
    programme_id: &str,
    area_code: &str,
) -> Result<bool> {
    let n = execute(
        c,
        "DELETE FROM programme_quotas WHERE programme_id = ? AND area_code = ?",
        vec![programme_id.into(), area_code.into()],
    )
    .await?;
    Ok(n == 1)
}

/// A programme's call-centre questions, in order.
pub async fn questions(
    c: &impl ConnectionTrait,
    programme_id: &str,
) -> Result<Vec<pintu_domain::programmes::Question>> {
    let rows = crate::query_all(
        c,
        "SELECT question_id, question_en, answer_id, answer_en FROM programme_questions \
         WHERE programme_id = ? ORDER BY position",
        vec![programme_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(pintu_domain::programmes::Question {
                question_id: col(r, "question_id")?,
                question_en: col(r, "question_en")?,
                answer_id: col(r, "answer_id")?,
                answer_en: col(r, "answer_en")?,
            })
        })
        .collect()
}

/// Replaces a programme's call-centre questions with `list`, in the caller's transaction.
pub async fn replace_questions(
    c: &impl ConnectionTrait,
    programme_id: &str,
    list: &[pintu_domain::programmes::Question],
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "DELETE FROM programme_questions WHERE programme_id = ?",
        vec![programme_id.into()],
    )
    .await?;
    for (i, q) in list.iter().enumerate() {
        execute(
            c,
            "INSERT INTO programme_questions (programme_id, position, question_id, question_en, \
             answer_id, answer_en, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                programme_id.into(),
                (i as i32).into(),
                q.question_id.clone().into(),
                q.question_en.clone().into(),
                q.answer_id.clone().into(),
                q.answer_en.clone().into(),
                by.into(),
                at.into(),
            ],
        )
        .await?;
    }
    Ok(())
}
