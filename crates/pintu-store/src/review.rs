//! The review queues: conflicts between a source and the registry, and likely duplicates;
//! merging two records of one person; and where each of a person's values came from.

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;

use crate::bulk::multi_insert;
use crate::{FromRow, Result, Row, Store, col, execute, fetch_all, fetch_one, scope_filter};

/// A disagreement between a source row and the registry, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictRow {
    pub id: String,
    pub person_id: String,
    /// The person's name in the registry now.
    pub person_name: Option<String>,
    pub village_code: String,
    pub field: String,
    pub current_value: Option<String>,
    /// Where the registry's value came from when the conflict was found.
    pub current_source: Option<String>,
    pub proposed_value: Option<String>,
    pub proposed_source: String,
    /// The import that brought the source row, and when.
    pub import_id: String,
    pub imported_at: DateTime<Utc>,
    pub row_number: i64,
    /// `open`, `field_check` (sent to the village), `resolved`, or `auto`.
    pub status: String,
    /// The authority that settled an `auto` conflict.
    pub rule: Option<String>,
    pub decision: Option<String>,
    pub resolved_value: Option<String>,
    pub note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl FromRow for ConflictRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(ConflictRow {
            id: col(row, "id")?,
            person_id: col(row, "person_id")?,
            person_name: col(row, "person_name")?,
            village_code: col(row, "village_code")?,
            field: col(row, "field")?,
            current_value: col(row, "current_value")?,
            current_source: col(row, "current_source")?,
            proposed_value: col(row, "proposed_value")?,
            proposed_source: col(row, "proposed_source")?,
            import_id: col(row, "import_id")?,
            imported_at: col(row, "imported_at")?,
            row_number: col(row, "row_number")?,
            status: col(row, "status")?,
            rule: col(row, "rule")?,
            decision: col(row, "decision")?,
            resolved_value: col(row, "resolved_value")?,
            note: col(row, "note")?,
            decided_by: col(row, "decided_by")?,
            decided_at: col(row, "decided_at")?,
            created_at: col(row, "created_at")?,
        })
    }
}

const CONFLICT_SELECT: &str = "SELECT c.id, c.person_id, p.full_name AS person_name, c.village_code, c.field, \
    c.current_value, c.current_source, c.proposed_value, c.proposed_source, c.import_id, \
    i.created_at AS imported_at, r.row_number, c.status, c.rule, c.decision, c.resolved_value, c.note, \
    c.decided_by, c.decided_at, c.created_at \
    FROM conflicts c JOIN imports i ON i.id = c.import_id \
    JOIN source_records r ON r.id = c.source_record_id \
    LEFT JOIN persons p ON p.id = c.person_id";

/// A disagreement found by synchronisation.
#[derive(Debug, Clone, PartialEq)]
pub struct NewConflict {
    pub id: String,
    pub person_id: String,
    pub village_code: String,
    pub field: &'static str,
    pub current_value: Option<String>,
    pub current_source: Option<String>,
    pub proposed_value: Option<String>,
    pub proposed_source: String,
    pub source_record_id: i64,
    pub import_id: String,
    /// `open`, or `auto` with the rule and the decision it took.
    pub status: &'static str,
    pub rule: Option<&'static str>,
    pub decision: Option<&'static str>,
    pub at: DateTime<Utc>,
}

pub async fn insert_conflicts(c: &impl ConnectionTrait, rows: &[NewConflict]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let values: Vec<Vec<Value>> = rows
        .iter()
        .map(|r| {
            let auto = r.status == "auto";
            vec![
                r.id.clone().into(),
                r.person_id.clone().into(),
                r.village_code.clone().into(),
                r.field.into(),
                r.current_value.clone().into(),
                r.current_source.clone().into(),
                r.proposed_value.clone().into(),
                r.proposed_source.clone().into(),
                r.source_record_id.into(),
                r.import_id.clone().into(),
                r.status.into(),
                r.rule.map(str::to_string).into(),
                r.decision.map(str::to_string).into(),
                None::<String>.into(),
                None::<String>.into(),
                auto.then(|| "system:sync".to_string()).into(),
                auto.then_some(r.at).into(),
                r.at.into(),
            ]
        })
        .collect();
    multi_insert(
        c,
        "conflicts (id, person_id, village_code, field, current_value, current_source, proposed_value, \
         proposed_source, source_record_id, import_id, status, rule, decision, resolved_value, note, \
         decided_by, decided_at, created_at)",
        18,
        values,
    )
    .await
}

/// Which conflicts a list shows.
#[derive(Debug, Clone, Default)]
pub struct ConflictFilter<'a> {
    /// Any of these statuses (all when empty).
    pub statuses: &'a [&'a str],
    pub person_id: Option<&'a str>,
    /// Only conflicts with a larger id (the cursor of the previous page).
    pub after: Option<&'a str>,
}

/// Conflicts in `scope`, oldest first.
pub async fn conflicts(
    c: &impl ConnectionTrait,
    scope: &Scope,
    filter: &ConflictFilter<'_>,
    limit: u64,
) -> Result<Vec<ConflictRow>> {
    let (area, mut values) = scope_filter(scope, "c.village_code");
    let mut sql = format!("{CONFLICT_SELECT} WHERE {area}");
    if !filter.statuses.is_empty() {
        sql.push_str(&format!(
            " AND c.status IN ({})",
            vec!["?"; filter.statuses.len()].join(", ")
        ));
        values.extend(filter.statuses.iter().map(|s| Value::from(*s)));
    }
    if let Some(p) = filter.person_id {
        sql.push_str(" AND c.person_id = ?");
        values.push(p.into());
    }
    if let Some(a) = filter.after {
        sql.push_str(" AND c.id > ?");
        values.push(a.into());
    }
    sql.push_str(" ORDER BY c.id LIMIT ?");
    values.push((limit as i64).into());
    fetch_all(c, &sql, values).await
}

pub async fn conflict(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: &str,
) -> Result<Option<ConflictRow>> {
    let (area, mut values) = scope_filter(scope, "c.village_code");
    values.insert(0, id.into());
    fetch_one(
        c,
        &format!("{CONFLICT_SELECT} WHERE c.id = ? AND {area}"),
        values,
    )
    .await
}

/// Open conflicts and those in the field, by status, in `scope`.
pub async fn conflict_counts(c: &impl ConnectionTrait, scope: &Scope) -> Result<(i64, i64)> {
    let (area, values) = scope_filter(scope, "village_code");
    let rows: Vec<StatusCount> = fetch_all(
        c,
        &format!(
            "SELECT status, COUNT(*) AS n FROM conflicts WHERE status IN ('open', 'field_check') AND {area} \
             GROUP BY status"
        ),
        values,
    )
    .await?;
    let of = |s: &str| rows.iter().find(|r| r.status == s).map_or(0, |r| r.n);
    Ok((of("open"), of("field_check")))
}

struct StatusCount {
    status: String,
    n: i64,
}

impl FromRow for StatusCount {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(StatusCount {
            status: col(row, "status")?,
            n: col(row, "n")?,
        })
    }
}

/// A reviewer's decision on a conflict.
#[derive(Debug, Clone)]
pub struct ConflictDecision<'a> {
    pub status: &'a str,
    pub decision: &'a str,
    pub resolved_value: Option<&'a str>,
    pub note: Option<&'a str>,
    pub decided_by: &'a str,
    pub at: DateTime<Utc>,
}

/// Records a decision if the conflict is still in `expected` status; false if someone
/// decided it in the meantime.
pub async fn decide_conflict(
    c: &impl ConnectionTrait,
    id: &str,
    expected: &str,
    d: &ConflictDecision<'_>,
) -> Result<bool> {
    let n = execute(
        c,
        "UPDATE conflicts SET status = ?, decision = ?, resolved_value = ?, note = ?, decided_by = ?, decided_at = ? \
         WHERE id = ? AND status = ?",
        vec![
            d.status.into(),
            d.decision.into(),
            d.resolved_value.map(str::to_string).into(),
            d.note.map(str::to_string).into(),
            d.decided_by.into(),
            d.at.into(),
            id.into(),
            expected.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// A pair of registry records that are likely the same person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateRow {
    pub id: String,
    pub village_code: String,
    pub score: f64,
    /// `open`, `merged`, `dismissed` or `superseded`.
    pub status: String,
    pub note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub a: DuplicateSide,
    pub b: DuplicateSide,
}

/// One record of a likely duplicate, as the reviewer compares them. `None` fields once the
/// record was merged away.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateSide {
    pub id: String,
    pub nik: Option<String>,
    pub full_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<String>,
    pub village_code: Option<String>,
    pub kk_number: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

impl FromRow for DuplicateRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        let side = |p: &str| -> Result<DuplicateSide> {
            Ok(DuplicateSide {
                id: col(row, &format!("{p}_id"))?,
                nik: col(row, &format!("{p}_nik"))?,
                full_name: col(row, &format!("{p}_full_name"))?,
                birth_date: col(row, &format!("{p}_birth_date"))?,
                sex: col(row, &format!("{p}_sex"))?,
                village_code: col(row, &format!("{p}_village_code"))?,
                kk_number: col(row, &format!("{p}_kk_number"))?,
                created_at: col(row, &format!("{p}_created_at"))?,
            })
        };
        Ok(DuplicateRow {
            id: col(row, "id")?,
            village_code: col(row, "village_code")?,
            score: col(row, "score")?,
            status: col(row, "status")?,
            note: col(row, "note")?,
            decided_by: col(row, "decided_by")?,
            decided_at: col(row, "decided_at")?,
            created_at: col(row, "created_at")?,
            a: side("a")?,
            b: side("b")?,
        })
    }
}

fn duplicate_select() -> String {
    let side = |p: &str| {
        format!(
            "d.person_{p} AS {p}_id, {p}.nik AS {p}_nik, {p}.full_name AS {p}_full_name, {p}.birth_date AS {p}_birth_date, \
             {p}.sex AS {p}_sex, {p}.village_code AS {p}_village_code, {p}h.kk_number AS {p}_kk_number, \
             {p}.created_at AS {p}_created_at"
        )
    };
    let join = |p: &str| {
        format!(
            "LEFT JOIN persons {p} ON {p}.id = d.person_{p} \
             LEFT JOIN household_members {p}m ON {p}m.person_id = d.person_{p} \
             LEFT JOIN households {p}h ON {p}h.id = {p}m.household_id"
        )
    };
    format!(
        "SELECT d.id, d.village_code, d.score, d.status, d.note, d.decided_by, d.decided_at, d.created_at, {}, {} \
         FROM duplicate_pairs d {} {}",
        side("a"),
        side("b"),
        join("a"),
        join("b")
    )
}

/// A likely duplicate found by a scan.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDuplicate {
    pub person_a: String,
    pub person_b: String,
    pub village_code: String,
    pub score: f64,
}

/// Records likely duplicates; a pair already known (open or decided) stays as it is.
pub async fn insert_duplicates(
    c: &impl ConnectionTrait,
    rows: &[NewDuplicate],
    at: DateTime<Utc>,
) -> Result<u64> {
    let mut added = 0;
    for chunk in rows.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO duplicate_pairs (id, person_a, person_b, village_code, score, status, note, decided_by, decided_at, created_at) VALUES ",
        );
        let mut values = Vec::with_capacity(chunk.len() * 7);
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str("(?, ?, ?, ?, ?, 'open', NULL, NULL, NULL, ?)");
            values.extend([
                crate::new_id().into(),
                r.person_a.clone().into(),
                r.person_b.clone().into(),
                r.village_code.clone().into(),
                r.score.into(),
                at.into(),
            ]);
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        added += execute(c, &sql, values).await?;
    }
    Ok(added)
}

/// The pair's village, and both its people where they still exist, inside `scope`: a pair
/// whose other record lives outside the actor's area is not theirs to see.
fn pair_in_scope(scope: &Scope) -> (String, Vec<Value>) {
    let (pair, mut values) = scope_filter(scope, "d.village_code");
    let (a, a_values) = scope_filter(scope, "a.village_code");
    let (b, b_values) = scope_filter(scope, "b.village_code");
    values.extend(a_values);
    values.extend(b_values);
    (
        format!("{pair} AND (a.id IS NULL OR {a}) AND (b.id IS NULL OR {b})"),
        values,
    )
}

/// Likely duplicates in `scope` with `status`, oldest first.
pub async fn duplicates(
    c: &impl ConnectionTrait,
    scope: &Scope,
    status: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<DuplicateRow>> {
    let (area, mut values) = pair_in_scope(scope);
    let mut sql = format!("{} WHERE {area} AND d.status = ?", duplicate_select());
    values.push(status.into());
    if let Some(a) = after {
        sql.push_str(" AND d.id > ?");
        values.push(a.into());
    }
    sql.push_str(" ORDER BY d.id LIMIT ?");
    values.push((limit as i64).into());
    fetch_all(c, &sql, values).await
}

pub async fn duplicate(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: &str,
) -> Result<Option<DuplicateRow>> {
    let (area, mut values) = pair_in_scope(scope);
    values.insert(0, id.into());
    fetch_one(
        c,
        &format!("{} WHERE d.id = ? AND {area}", duplicate_select()),
        values,
    )
    .await
}

pub async fn open_duplicate_count(c: &impl ConnectionTrait, scope: &Scope) -> Result<i64> {
    let (area, values) = scope_filter(scope, "village_code");
    let rows: Vec<StatusCount> = fetch_all(
        c,
        &format!(
            "SELECT status, COUNT(*) AS n FROM duplicate_pairs WHERE status = 'open' AND {area} GROUP BY status"
        ),
        values,
    )
    .await?;
    Ok(rows.first().map_or(0, |r| r.n))
}

/// Closes an open pair; false if it was no longer open.
pub async fn close_duplicate(
    c: &impl ConnectionTrait,
    id: &str,
    status: &str,
    note: Option<&str>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = execute(
        c,
        "UPDATE duplicate_pairs SET status = ?, note = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'open'",
        vec![
            status.into(),
            note.map(str::to_string).into(),
            by.into(),
            at.into(),
            id.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Moves everything that points at person `from` to person `into` (history, source links,
/// conflicts, complaints, facts and enrolments), closes `from`'s other open pairs as superseded, and deletes `from`. The
/// caller has moved or ended `from`'s household membership.
pub async fn merge_person(
    c: &impl ConnectionTrait,
    from: &str,
    into: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    for sql in [
        "UPDATE person_history SET person_id = ? WHERE person_id = ?",
        "UPDATE source_records SET person_id = ? WHERE person_id = ?",
        "UPDATE conflicts SET person_id = ? WHERE person_id = ?",
        "UPDATE complaints SET complainant_person_id = ? WHERE complainant_person_id = ?",
    ] {
        execute(c, sql, vec![into.into(), from.into()]).await?;
    }
    execute(
        c,
        "UPDATE duplicate_pairs SET status = 'superseded', decided_at = ? \
         WHERE status = 'open' AND (person_a = ? OR person_b = ?)",
        vec![at.into(), from.into(), from.into()],
    )
    .await?;
    crate::facts::merge_person(c, from, into).await?;
    execute(c, "DELETE FROM persons WHERE id = ?", vec![from.into()]).await?;
    Ok(())
}

/// Where one of a person's current values came from: the last change of the field, or
/// the person's registration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    pub field: String,
    pub source: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

struct ProvenanceEvent {
    action: String,
    field: Option<String>,
    source: String,
    actor: String,
    at: DateTime<Utc>,
    reason: Option<String>,
}

impl FromRow for ProvenanceEvent {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(ProvenanceEvent {
            action: col(row, "action")?,
            field: col(row, "field")?,
            source: col(row, "source")?,
            actor: col(row, "actor")?,
            at: col(row, "at")?,
            reason: col(row, "reason")?,
        })
    }
}

/// The provenance of each of `fields` of a person: the newest history entry that set it,
/// else the registration.
pub async fn provenance(
    c: &impl ConnectionTrait,
    person_id: &str,
    fields: &[&str],
) -> Result<Vec<Provenance>> {
    let events: Vec<ProvenanceEvent> = fetch_all(
        c,
        "SELECT action, field, source, actor, at, reason FROM person_history \
         WHERE person_id = ? AND (field IS NOT NULL OR action = 'registered') ORDER BY id",
        vec![person_id.into()],
    )
    .await?;
    let registered = events.iter().find(|e| e.action == "registered");
    Ok(fields
        .iter()
        .filter_map(|f| {
            let e = events
                .iter()
                .rev()
                .find(|e| e.field.as_deref() == Some(*f))
                .or(registered)?;
            Some(Provenance {
                field: f.to_string(),
                source: e.source.clone(),
                actor: e.actor.clone(),
                at: e.at,
                reason: e.reason.clone(),
            })
        })
        .collect())
}

/// The source of each field's current value, for many people at once: person → field →
/// source (the newest change of the field, else the registration).
pub async fn provenance_of_people(
    c: &impl ConnectionTrait,
    people: &[String],
) -> Result<std::collections::HashMap<String, std::collections::HashMap<String, String>>> {
    let mut out: std::collections::HashMap<String, std::collections::HashMap<String, String>> =
        Default::default();
    let rows = crate::query_in(
        c,
        "SELECT person_id, action, field, source FROM person_history \
         WHERE person_id IN ({in}) AND (field IS NOT NULL OR action = 'registered') ORDER BY id",
        &[],
        people,
    )
    .await?;
    // Oldest first: the registration is the default, later changes name their field.
    for r in rows {
        let person: String = col(&r, "person_id")?;
        let source: String = col(&r, "source")?;
        let field = col::<Option<String>>(&r, "field")?.unwrap_or_default();
        let fields = out.entry(person).or_default();
        if !field.is_empty() || !fields.contains_key("") {
            fields.insert(field, source);
        }
    }
    Ok(out)
}

/// What one linked source row says about a person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkedRecord {
    pub source: String,
    pub import_id: String,
    pub file_name: String,
    pub imported_at: DateTime<Utc>,
    pub row_number: i64,
    pub nik: Option<String>,
    pub kk_number: Option<String>,
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<String>,
    pub village_code: Option<String>,
    pub link_method: Option<String>,
    pub link_score: Option<f64>,
}

impl FromRow for LinkedRecord {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(LinkedRecord {
            source: col(row, "source")?,
            import_id: col(row, "import_id")?,
            file_name: col(row, "file_name")?,
            imported_at: col(row, "imported_at")?,
            row_number: col(row, "row_number")?,
            nik: col(row, "nik")?,
            kk_number: col(row, "kk_number")?,
            full_name: col(row, "full_name")?,
            birth_date: col(row, "birth_date")?,
            sex: col(row, "sex")?,
            village_code: col(row, "village_code")?,
            link_method: col(row, "link_method")?,
            link_score: col(row, "link_score")?,
        })
    }
}

/// The source rows linked to a person, newest import first.
pub async fn linked_records(store: &Store, person_id: &str) -> Result<Vec<LinkedRecord>> {
    store
        .fetch_all(
            "SELECT r.source, r.import_id, i.file_name, i.created_at AS imported_at, r.row_number, r.nik, r.kk_number, \
             r.full_name, r.birth_date, r.sex, r.village_code, r.link_method, r.link_score \
             FROM source_records r JOIN imports i ON i.id = r.import_id WHERE r.person_id = ? \
             ORDER BY i.created_at DESC, r.id LIMIT 50",
            vec![person_id.into()],
        )
        .await
}

/// The people linked to records of e-KTP and of family cards in `scope` (other than those of
/// import `except_import`): whose values Dukcapil stands behind.
pub async fn civil_backed_people(
    store: &crate::Store,
    scope: &Scope,
    except_import: &str,
) -> Result<Vec<(String, String)>> {
    let (area, mut values) = scope_filter(scope, "village_code");
    values.push(except_import.into());
    let rows: Vec<PersonSource> = store
        .fetch_all_long(
            format!(
                "SELECT DISTINCT person_id, source FROM source_records \
                 WHERE person_id IS NOT NULL AND source IN ('ektp', 'kk') AND {area} \
                 AND import_id <> ?"
            ),
            values,
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.person_id, r.source)).collect())
}

/// The (person, field, proposed value) of every conflict in `scope` a reviewer has or had
/// before them: the same disagreement brought again by a later extract is not queued twice.
pub async fn reviewed_keys(
    store: &crate::Store,
    scope: &Scope,
) -> Result<Vec<(String, String, String)>> {
    let (area, values) = scope_filter(scope, "village_code");
    let rows: Vec<ReviewedKey> = store
        .fetch_all_long(
            format!(
                "SELECT person_id, field, proposed_value FROM conflicts \
                 WHERE status <> 'auto' AND {area}"
            ),
            values,
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.person_id, r.field, r.proposed_value.unwrap_or_default()))
        .collect())
}

struct ReviewedKey {
    person_id: String,
    field: String,
    proposed_value: Option<String>,
}

impl FromRow for ReviewedKey {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(ReviewedKey {
            person_id: col(row, "person_id")?,
            field: col(row, "field")?,
            proposed_value: col(row, "proposed_value")?,
        })
    }
}

struct PersonSource {
    person_id: String,
    source: String,
}

impl FromRow for PersonSource {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(PersonSource {
            person_id: col(row, "person_id")?,
            source: col(row, "source")?,
        })
    }
}

/// Conflicts an import's rows raised, by village and status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictCount {
    pub village_code: String,
    /// `open`, `field_check`, `resolved` or `auto`.
    pub status: String,
    pub n: i64,
}

impl FromRow for ConflictCount {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(ConflictCount {
            village_code: col(row, "village_code")?,
            status: col(row, "status")?,
            n: col(row, "n")?,
        })
    }
}

pub async fn conflict_counts_of_import(
    c: &impl ConnectionTrait,
    import_id: &str,
) -> Result<Vec<ConflictCount>> {
    fetch_all(
        c,
        "SELECT village_code, status, COUNT(*) AS n FROM conflicts WHERE import_id = ? \
         GROUP BY village_code, status ORDER BY village_code, status",
        vec![import_id.into()],
    )
    .await
}
