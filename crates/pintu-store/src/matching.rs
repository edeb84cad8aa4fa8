//! Matching runs and their cross-table (MAT-2), the village forum's overrides (MAT-5), and
//! the programme facts a run needs.

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use sea_orm::{ConnectionTrait, QueryResult, Value};

use crate::bulk::multi_insert;
use crate::read::RowMapper;
use crate::rules_sql::Sql;
use crate::{
    FromRow, Result, Row, Store, col, execute, fetch_all, fetch_one, query_all, query_one,
    scope_filter,
};

/// A programme as a matching run sees it, with the rule version in force on the run's date.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchProgramme {
    pub id: String,
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub area_code: Option<String>,
    pub target: String,
    pub rank_by: String,
    pub quota: Option<i64>,
    pub need: Option<String>,
    /// JSON array of programme codes.
    pub requires: String,
    pub implies: String,
    pub rule_version: Option<i32>,
    pub rule: Option<String>,
}

impl FromRow for MatchProgramme {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(MatchProgramme {
            id: col(row, "id")?,
            code: col(row, "code")?,
            name_id: col(row, "name_id")?,
            name_en: col(row, "name_en")?,
            area_code: col(row, "area_code")?,
            target: col(row, "target")?,
            rank_by: col(row, "rank_by")?,
            quota: col(row, "quota")?,
            need: col(row, "need")?,
            requires: col(row, "requires")?,
            implies: col(row, "implies")?,
            rule_version: col(row, "rule_version")?,
            rule: col(row, "rule")?,
        })
    }
}

/// The programmes active on `on`, each with the rule version in force that day.
pub async fn active_programmes(
    c: &impl ConnectionTrait,
    on: NaiveDate,
) -> Result<Vec<MatchProgramme>> {
    fetch_all(
        c,
        "SELECT g.id, g.code, g.name_id, g.name_en, g.area_code, g.target, g.rank_by, g.quota, \
           g.need, g.requires, g.implies, r.version AS rule_version, r.rule \
         FROM programmes g \
         LEFT JOIN programme_rules r ON r.programme_id = g.id AND r.version = \
           (SELECT MAX(x.version) FROM programme_rules x \
             WHERE x.programme_id = g.id AND x.effective_from <= ?) \
         WHERE g.active_from <= ? AND (g.active_until IS NULL OR g.active_until >= ?) \
         ORDER BY g.code",
        vec![on.into(), on.into(), on.into()],
    )
    .await
}

/// A programme's quotas: (area code, quota).
pub async fn quotas(c: &impl ConnectionTrait, programme_id: &str) -> Result<Vec<(String, i64)>> {
    let rows = query_all(
        c,
        "SELECT area_code, quota FROM programme_quotas WHERE programme_id = ? ORDER BY area_code",
        vec![programme_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "area_code")?, col(r, "quota")?)))
        .collect()
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunRow {
    pub id: String,
    pub area_code: String,
    pub reference_date: NaiveDate,
    pub status: String,
    pub programmes_done: i32,
    pub programmes_total: i32,
    pub summary: String,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FromRow for RunRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(RunRow {
            id: col(row, "id")?,
            area_code: col(row, "area_code")?,
            reference_date: col(row, "reference_date")?,
            status: col(row, "status")?,
            programmes_done: col(row, "programmes_done")?,
            programmes_total: col(row, "programmes_total")?,
            summary: col(row, "summary")?,
            error: col(row, "error")?,
            created_by: col(row, "created_by")?,
            created_at: col(row, "created_at")?,
            updated_at: col(row, "updated_at")?,
        })
    }
}

const RUN_COLUMNS: &str = "id, area_code, reference_date, status, programmes_done, \
    programmes_total, summary, error, created_by, created_at, updated_at";

pub async fn insert_run(c: &impl ConnectionTrait, run: &RunRow) -> Result<()> {
    execute(
        c,
        &format!("INSERT INTO match_runs ({RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        vec![
            run.id.clone().into(),
            run.area_code.clone().into(),
            run.reference_date.into(),
            run.status.clone().into(),
            run.programmes_done.into(),
            run.programmes_total.into(),
            run.summary.clone().into(),
            run.error.clone().into(),
            run.created_by.clone().into(),
            run.created_at.into(),
            run.updated_at.into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn run(c: &impl ConnectionTrait, id: &str) -> Result<Option<RunRow>> {
    fetch_one(
        c,
        &format!("SELECT {RUN_COLUMNS} FROM match_runs WHERE id = ?"),
        vec![id.into()],
    )
    .await
}

/// Ends a running run (finished, failed): its progress stays as its programmes recorded it.
pub async fn end_run(
    c: &impl ConnectionTrait,
    id: &str,
    status: &str,
    error: Option<&str>,
) -> Result<u64> {
    execute(
        c,
        "UPDATE match_runs SET status = ?, error = ?, updated_at = ? \
         WHERE id = ? AND status = 'running'",
        vec![
            status.into(),
            error.map(str::to_string).into(),
            Utc::now().into(),
            id.into(),
        ],
    )
    .await
}

pub async fn unfinished_runs(c: &impl ConnectionTrait) -> Result<Vec<RunRow>> {
    fetch_all(
        c,
        &format!(
            "SELECT {RUN_COLUMNS} FROM match_runs WHERE status = 'running' ORDER BY created_at"
        ),
        vec![],
    )
    .await
}

/// The latest runs whose area is in `scope` or contains it, newest first.
pub async fn recent_runs(
    c: &impl ConnectionTrait,
    scope: &Scope,
    ancestors: &[String],
    limit: u64,
) -> Result<Vec<RunRow>> {
    let (area, mut values) = scope_filter(scope, "area_code");
    let mut sql = format!("SELECT {RUN_COLUMNS} FROM match_runs WHERE ({area}");
    for a in ancestors {
        sql.push_str(" OR area_code = ?");
        values.push(a.clone().into());
    }
    sql.push_str(&format!(") ORDER BY created_at DESC LIMIT {limit}"));
    fetch_all(c, &sql, values).await
}

/// The newest finished run whose area is one of `areas` (an area and its ancestors).
pub async fn latest_finished_run(
    c: &impl ConnectionTrait,
    areas: &[String],
) -> Result<Option<RunRow>> {
    if areas.is_empty() {
        return Ok(None);
    }
    let marks = vec!["?"; areas.len()].join(", ");
    fetch_one(
        c,
        &format!(
            "SELECT {RUN_COLUMNS} FROM match_runs WHERE status = 'finished' \
             AND area_code IN ({marks}) ORDER BY created_at DESC LIMIT 1"
        ),
        areas.iter().map(|a| a.clone().into()).collect(),
    )
    .await
}

/// One person the rule made eligible, with the ranking keys' values.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub person_id: String,
    pub household_id: Option<String>,
    pub village_code: String,
    /// The keys as numbers (`None` = unknown).
    pub keys: Vec<Option<f64>>,
}

/// Reads candidates with their keys: `decimal_keys[i]` says whether key `i` is read as a
/// decimal (else an integer).
struct Candidates(Vec<bool>);

impl RowMapper for Candidates {
    type Out = Candidate;

    fn map(&self, r: &impl Row) -> Result<Candidate> {
        let mut keys = Vec::with_capacity(self.0.len());
        for (i, decimal) in self.0.iter().enumerate() {
            let name = format!("k{i}");
            keys.push(if *decimal {
                r.get::<Option<f64>>(&name)?
            } else {
                r.get::<Option<i64>>(&name)?.map(|v| v as f64)
            });
        }
        Ok(Candidate {
            person_id: r.get("person_id")?,
            household_id: r.get("household_id")?,
            village_code: r.get("village_code")?,
            keys,
        })
    }
}

/// Runs a compiled eligibility query; `decimal_keys[i]` says whether key `i` is read as a
/// decimal (else an integer).
pub async fn candidates(store: &Store, sql: Sql, decimal_keys: &[bool]) -> Result<Vec<Candidate>> {
    if store.backend() == sea_orm::DbBackend::Postgres {
        // A rule's conditions (ages computed from birth dates, sets of statuses) are
        // expressions PostgreSQL cannot estimate: it guesses a handful of rows and then
        // probes the snapshot's key once per candidate household (KUBE at 1,000,000 people:
        // 210,000 probes, 2.2 s). A rule reads a whole population, for which hashing is the
        // right plan (0.8 s), and the hash tables need room. A run keeps two connections
        // busy, one per lane, so no parallel workers: on two cores they took the other
        // lane's (a million people: 17.1 and 17.6 s with them, 15.4 and 16.2 s without).
        let tx = store.begin().await?;
        tx.execute_unprepared(
            "SET LOCAL enable_nestloop = off; SET LOCAL work_mem = '64MB'; \
             SET LOCAL max_parallel_workers_per_gather = 0",
        )
        .await?;
        let mapper = Candidates(decimal_keys.to_vec());
        let rows = query_all(&tx, &sql.text, sql.values).await?;
        tx.commit().await?;
        return rows.iter().map(|r| mapper.map(r)).collect();
    }
    store
        .fetch_all_mapped(sql.text, sql.values, Candidates(decimal_keys.to_vec()))
        .await
}

/// Copies the living people of `scope` with their facts into run `run_id`'s population
/// snapshot (see `rules_sql::population`); returns how many rows it wrote.
pub async fn build_population(
    c: &impl ConnectionTrait,
    run_id: &str,
    scope: &Scope,
) -> Result<u64> {
    let mut statements = crate::rules_sql::population(run_id, scope).into_iter();
    let Some(people) = statements.next() else {
        return Ok(0);
    };
    let n = execute(c, &people.text, people.values).await?;
    Ok(n + population_elsewhere(c, statements).await?)
}

/// The rest of a snapshot once its area's people are written (`rest`: the statements of
/// `rules_sql::population` after the first): their households' members living elsewhere,
/// and those households' aggregates again. Returns the members added.
async fn population_elsewhere(
    c: &impl ConnectionTrait,
    mut rest: impl Iterator<Item = Sql>,
) -> Result<u64> {
    let (Some(elsewhere), Some(again)) = (rest.next(), rest.next()) else {
        return Ok(0);
    };
    // The table is filled and emptied by every run, so PostgreSQL's statistics of it are
    // whatever the autovacuum last saw (an empty table, or another area's run): the plans
    // of these statements and of every rule would follow them.
    // (Before the members elsewhere: with an empty table's statistics, their statement
    // aggregated every household of the snapshot, 0.8 s of a million people's 5.6 s.)
    if c.get_database_backend() == sea_orm::DbBackend::Postgres {
        c.execute_unprepared("ANALYZE match_population").await?;
    }
    let n = execute(c, &elsewhere.text, elsewhere.values).await?;
    // Only a household with a member elsewhere has aggregates to count again.
    if n > 0 {
        execute(c, &again.text, again.values).await?;
    }
    Ok(n)
}

/// Whether run `run_id` has its whole population snapshot: finished, and not emptied since
/// (PostgreSQL empties unlogged tables in crash recovery).
pub async fn has_population(c: &impl ConnectionTrait, run_id: &str) -> Result<bool> {
    Ok(query_one(
        c,
        "SELECT 1 AS one FROM match_runs r WHERE r.id = ? AND r.population_ready \
         AND EXISTS (SELECT 1 FROM match_population x WHERE x.run_id = r.id)",
        vec![run_id.into()],
    )
    .await?
    .is_some())
}

impl Store {
    /// Writes run `run_id`'s population snapshot of `scope` afresh (deleting any part of
    /// one an interrupted run left) and marks it whole; returns how many rows it wrote. On
    /// PostgreSQL the households' two halves are written at once, on two connections, each
    /// in its own transaction: the two cores share the joins, the sort and the writes.
    pub async fn build_run_population(&self, run_id: &str, scope: &Scope) -> Result<u64> {
        drop_population(self.conn(), run_id).await?;
        let mut written = 0;
        let tx = if self.backend() == sea_orm::DbBackend::Postgres {
            let half = |h: u8| async move {
                let started = std::time::Instant::now();
                let people =
                    crate::rules_sql::population_part(run_id, scope, Some(h)).swap_remove(0);
                let tx = self.begin().await?;
                let n = execute(&tx, &people.text, people.values).await?;
                tx.commit().await?;
                tracing::debug!(
                    half = h,
                    people = n,
                    ms = started.elapsed().as_millis() as u64,
                    "snapshot half written"
                );
                Ok::<u64, crate::StoreError>(n)
            };
            let (a, b) = tokio::join!(half(0), half(1));
            let (a, b) = match (a, b) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(e), _) | (_, Err(e)) => {
                    drop_population(self.conn(), run_id).await?;
                    return Err(e);
                }
            };
            let tx = self.begin().await?;
            let rest = crate::rules_sql::population(run_id, scope)
                .into_iter()
                .skip(1);
            written += a + b + population_elsewhere(&tx, rest).await?;
            tx
        } else {
            let tx = self.begin().await?;
            written = build_population(&tx, run_id, scope).await?;
            tx
        };
        execute(
            &tx,
            "UPDATE match_runs SET population_ready = ? WHERE id = ?",
            vec![true.into(), run_id.into()],
        )
        .await?;
        tx.commit().await?;
        Ok(written)
    }
}

/// Deletes a run's population snapshot (the run has ended).
pub async fn drop_population(c: &impl ConnectionTrait, run_id: &str) -> Result<u64> {
    execute(
        c,
        "DELETE FROM match_population WHERE run_id = ?",
        vec![run_id.into()],
    )
    .await
}

/// Deletes the snapshots of runs that are no longer running (left by a crash between the
/// end of a run and the deletion of its snapshot).
pub async fn drop_stale_populations(c: &impl ConnectionTrait) -> Result<u64> {
    execute(
        c,
        "DELETE FROM match_population WHERE run_id NOT IN \
         (SELECT id FROM match_runs WHERE status = 'running')",
        vec![],
    )
    .await
}

/// Runs a compiled count query: (people, eligible).
pub async fn count(c: &impl ConnectionTrait, sql: Sql) -> Result<(i64, i64)> {
    let rows: Vec<QueryResult> = query_all(c, &sql.text, sql.values).await?;
    match rows.first() {
        Some(r) => Ok((col(r, "people")?, col(r, "eligible")?)),
        None => Ok((0, 0)),
    }
}

/// One line of the cross-table.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResult {
    pub person_id: String,
    pub household_id: Option<String>,
    pub village_code: String,
    pub rank: Option<i64>,
    pub status: &'static str,
}

/// Deletes a programme's list in a run, if it has one (a resumed run rewrites the programme
/// it was in), and numbers its new list; the statements, with their parameters (run,
/// programme) and (run, programme, rule version).
pub(crate) const REPLACE_LIST: [&str; 3] = [
    "DELETE FROM match_lines WHERE list_id IN \
     (SELECT id FROM match_lists WHERE run_id = ? AND programme_id = ?)",
    "DELETE FROM match_lists WHERE run_id = ? AND programme_id = ?",
    "INSERT INTO match_lists (run_id, programme_id, rule_version) VALUES (?, ?, ?) RETURNING id",
];

/// Replaces a programme's lines in a run; returns the list's number.
pub async fn replace_results(
    c: &impl ConnectionTrait,
    run_id: &str,
    programme_id: &str,
    rule_version: i32,
    rows: &[NewResult],
) -> Result<i64> {
    for sql in &REPLACE_LIST[..2] {
        execute(c, sql, vec![run_id.into(), programme_id.into()]).await?;
    }
    let list: i64 = match query_one(
        c,
        REPLACE_LIST[2],
        vec![run_id.into(), programme_id.into(), rule_version.into()],
    )
    .await?
    {
        Some(row) => col(&row, "id")?,
        None => return Err(crate::StoreError::Other("no list number".into())),
    };
    let values = rows
        .iter()
        .map(|r| {
            vec![
                list.into(),
                r.person_id.clone().into(),
                r.household_id.clone().into(),
                r.village_code.clone().into(),
                r.rank.into(),
                r.status.into(),
            ]
        })
        .collect();
    multi_insert(
        c,
        "match_lines (list_id, person_id, household_id, village_code, rank, status)",
        6,
        values,
    )
    .await?;
    Ok(list)
}

/// Which programmes already have their list in a run (a resumed run skips them).
pub async fn programmes_with_results(
    c: &impl ConnectionTrait,
    run_id: &str,
) -> Result<Vec<String>> {
    let rows = query_all(
        c,
        "SELECT programme_id FROM match_lists WHERE run_id = ?",
        vec![run_id.into()],
    )
    .await?;
    rows.iter().map(|r| col(r, "programme_id")).collect()
}

/// The number of a programme's list in a run, as a scalar subquery with parameters (run,
/// programme).
const LIST_OF: &str = "(SELECT id FROM match_lists WHERE run_id = ? AND programme_id = ?)";

/// A line of a programme's list, with who the person is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ListLine {
    pub person_id: String,
    pub full_name: String,
    pub nik: Option<String>,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub village_code: String,
    pub household_id: Option<String>,
    pub rank: Option<i64>,
    pub status: String,
    pub rule_version: i32,
}

impl FromRow for ListLine {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(ListLine {
            person_id: col(row, "person_id")?,
            full_name: col(row, "full_name")?,
            nik: col(row, "nik")?,
            birth_date: col(row, "birth_date")?,
            sex: col(row, "sex")?,
            village_code: col(row, "village_code")?,
            household_id: col(row, "household_id")?,
            rank: col(row, "rank")?,
            status: col(row, "status")?,
            rule_version: col(row, "rule_version")?,
        })
    }
}

/// A page of a programme's list in a run, in `scope`, by village then rank (forum additions
/// last); `status` filters (`selected`, `waiting`, `added`, `removed`).
#[allow(clippy::too_many_arguments)]
pub async fn list_page(
    c: &impl ConnectionTrait,
    run_id: &str,
    programme_id: &str,
    scope: &Scope,
    status: Option<&str>,
    after: Option<(&str, i64, &str)>,
    limit: u64,
) -> Result<Vec<ListLine>> {
    let (area, mut values) = scope_filter(scope, "r.village_code");
    let mut sql = format!(
        "SELECT r.person_id, p.full_name, p.nik, p.birth_date, p.sex, r.village_code, \
           r.household_id, r.rank, r.status, l.rule_version \
         FROM match_lines r JOIN match_lists l ON l.id = r.list_id \
         JOIN persons p ON p.id = r.person_id \
         WHERE r.list_id = {LIST_OF} AND {area}"
    );
    let mut all = vec![run_id.into(), programme_id.into()];
    all.append(&mut values);
    if let Some(s) = status {
        sql.push_str(" AND r.status = ?");
        all.push(s.into());
    }
    // The order key: village, rank (additions, without a rank, after everyone), person.
    let order = "COALESCE(r.rank, 9223372036854775807)";
    if let Some((village, rank, person)) = after {
        sql.push_str(&format!(
            " AND (r.village_code > ? OR (r.village_code = ? AND ({order} > ? OR ({order} = ? AND r.person_id > ?))))"
        ));
        all.extend([
            village.into(),
            village.into(),
            rank.into(),
            rank.into(),
            person.into(),
        ]);
    }
    sql.push_str(&format!(
        " ORDER BY r.village_code, {order}, r.person_id LIMIT {limit}"
    ));
    fetch_all(c, &sql, all).await
}

/// Counts of a programme's list in a run by village and status.
pub async fn list_counts(
    c: &impl ConnectionTrait,
    run_id: &str,
    programme_id: &str,
    scope: &Scope,
) -> Result<Vec<(String, String, i64)>> {
    let (area, values) = scope_filter(scope, "village_code");
    let mut all: Vec<Value> = vec![run_id.into(), programme_id.into()];
    all.extend(values);
    let rows = query_all(
        c,
        &format!(
            "SELECT village_code, status, COUNT(*) AS n FROM match_lines \
             WHERE list_id = {LIST_OF} AND {area} \
             GROUP BY village_code, status ORDER BY village_code, status"
        ),
        all,
    )
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "village_code")?, col(r, "status")?, col(r, "n")?)))
        .collect()
}

/// A person's lines in a run: (programme id, status, rank, rule version).
pub async fn person_results(
    c: &impl ConnectionTrait,
    run_id: &str,
    person_id: &str,
) -> Result<Vec<(String, String, Option<i64>, i32)>> {
    let rows = query_all(
        c,
        "SELECT l.programme_id, r.status, r.rank, l.rule_version FROM match_lists l \
         JOIN match_lines r ON r.list_id = l.id AND r.person_id = ? WHERE l.run_id = ?",
        vec![person_id.into(), run_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "programme_id")?,
                col(r, "status")?,
                col(r, "rank")?,
                col(r, "rule_version")?,
            ))
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OverrideRow {
    pub id: String,
    pub programme_id: String,
    pub programme_code: String,
    pub person_id: String,
    pub full_name: String,
    pub village_code: String,
    pub action: String,
    pub reason: String,
    pub forum_date: NaiveDate,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

impl FromRow for OverrideRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(OverrideRow {
            id: col(row, "id")?,
            programme_id: col(row, "programme_id")?,
            programme_code: col(row, "programme_code")?,
            person_id: col(row, "person_id")?,
            full_name: col(row, "full_name")?,
            village_code: col(row, "village_code")?,
            action: col(row, "action")?,
            reason: col(row, "reason")?,
            forum_date: col(row, "forum_date")?,
            created_by: col(row, "created_by")?,
            created_at: col(row, "created_at")?,
            revoked_at: col(row, "revoked_at")?,
            revoked_by: col(row, "revoked_by")?,
        })
    }
}

const OVERRIDE_SELECT: &str = "SELECT o.id, o.programme_id, g.code AS programme_code, \
    o.person_id, p.full_name, o.village_code, o.action, o.reason, o.forum_date, o.created_by, \
    o.created_at, o.revoked_at, o.revoked_by \
    FROM match_overrides o JOIN programmes g ON g.id = o.programme_id \
    JOIN persons p ON p.id = o.person_id";

/// Overrides in `scope`: in force only unless `all`; of one programme if given.
pub async fn overrides(
    c: &impl ConnectionTrait,
    scope: &Scope,
    programme_id: Option<&str>,
    person_id: Option<&str>,
    all: bool,
) -> Result<Vec<OverrideRow>> {
    let (area, mut values) = scope_filter(scope, "o.village_code");
    let mut sql = format!("{OVERRIDE_SELECT} WHERE {area}");
    if !all {
        sql.push_str(" AND o.revoked_at IS NULL");
    }
    if let Some(id) = programme_id {
        sql.push_str(" AND o.programme_id = ?");
        values.push(id.into());
    }
    if let Some(id) = person_id {
        sql.push_str(" AND o.person_id = ?");
        values.push(id.into());
    }
    sql.push_str(" ORDER BY o.village_code, o.created_at, o.id LIMIT 5000");
    fetch_all(c, &sql, values).await
}

pub async fn override_by_id(c: &impl ConnectionTrait, id: &str) -> Result<Option<OverrideRow>> {
    fetch_one(
        c,
        &format!("{OVERRIDE_SELECT} WHERE o.id = ?"),
        vec![id.into()],
    )
    .await
}

pub struct NewOverride<'a> {
    pub id: &'a str,
    pub programme_id: &'a str,
    pub person_id: &'a str,
    pub village_code: &'a str,
    pub action: &'a str,
    pub reason: &'a str,
    pub forum_date: NaiveDate,
    pub created_by: &'a str,
    pub at: DateTime<Utc>,
}

/// Records an override; one in force per person and programme (an earlier one is revoked).
pub async fn insert_override(c: &impl ConnectionTrait, o: &NewOverride<'_>) -> Result<()> {
    execute(
        c,
        "UPDATE match_overrides SET revoked_at = ?, revoked_by = ? \
         WHERE programme_id = ? AND person_id = ? AND revoked_at IS NULL",
        vec![
            o.at.into(),
            o.created_by.into(),
            o.programme_id.into(),
            o.person_id.into(),
        ],
    )
    .await?;
    execute(
        c,
        "INSERT INTO match_overrides (id, programme_id, person_id, village_code, action, reason, \
         forum_date, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            o.id.into(),
            o.programme_id.into(),
            o.person_id.into(),
            o.village_code.into(),
            o.action.into(),
            o.reason.into(),
            o.forum_date.into(),
            o.created_by.into(),
            o.at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Revokes an override in force; false if it was not.
pub async fn revoke_override(
    c: &impl ConnectionTrait,
    id: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = execute(
        c,
        "UPDATE match_overrides SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
        vec![at.into(), by.into(), id.into()],
    )
    .await?;
    Ok(n == 1)
}

/// A programme's id by its code.
pub async fn programme_id(
    c: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<(String, Option<String>)>> {
    let rows = query_all(
        c,
        "SELECT id, area_code FROM programmes WHERE code = ?",
        vec![code.into()],
    )
    .await?;
    match rows.first() {
        Some(r) => Ok(Some((col(r, "id")?, col(r, "area_code")?))),
        None => Ok(None),
    }
}

/// One count of a gaps report: a programme's (or a need's) people in a village.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GapCount {
    pub programme: String,
    pub village_code: String,
    pub people: i64,
}

/// Whether an active enrolment in the line's programme covers the line's person: their own,
/// or for a household programme anyone's in their household.
const SERVED: &str = "EXISTS (SELECT 1 FROM enrolments e WHERE e.programme_code = g.code \
    AND e.status = 'active' AND (e.person_id = r.person_id OR (g.target = 'household' \
    AND r.household_id IS NOT NULL AND e.person_id IN \
    (SELECT x.person_id FROM household_members x WHERE x.household_id = r.household_id))))";

/// Exclusion errors (MAT-4): people a run lists (selected or added by the forum) who are not
/// enrolled in the programme, by programme and village.
pub async fn exclusion_counts(
    c: &impl ConnectionTrait,
    run_id: &str,
    scope: &Scope,
) -> Result<Vec<GapCount>> {
    let (area, values) = scope_filter(scope, "r.village_code");
    let mut all: Vec<Value> = vec![run_id.into()];
    all.extend(values);
    let rows = query_all(
        c,
        &format!(
            "SELECT g.code AS programme, r.village_code, COUNT(*) AS people \
             FROM match_lists l JOIN programmes g ON g.id = l.programme_id \
             JOIN match_lines r ON r.list_id = l.id \
             WHERE l.run_id = ? AND r.status IN ('selected', 'added') AND {area} \
             AND NOT {SERVED} \
             GROUP BY g.code, r.village_code ORDER BY g.code, r.village_code"
        ),
        all,
    )
    .await?;
    gap_rows(&rows)
}

/// Inclusion errors (MAT-4): people enrolled in a programme the run matched whom its list
/// does not hold (not eligible, or removed by the forum), by programme and village.
pub async fn inclusion_counts(
    c: &impl ConnectionTrait,
    run_id: &str,
    programme_ids: &[String],
    scope: &Scope,
) -> Result<Vec<GapCount>> {
    if programme_ids.is_empty() {
        return Ok(Vec::new());
    }
    let (area, values) = scope_filter(scope, "e.village_code");
    let marks = vec!["?"; programme_ids.len()].join(", ");
    let mut all: Vec<Value> = values;
    all.extend(programme_ids.iter().map(|p| Value::from(p.clone())));
    all.push(run_id.into());
    let rows = query_all(
        c,
        &format!(
            "SELECT g.code AS programme, e.village_code, COUNT(*) AS people \
             FROM enrolments e JOIN programmes g ON g.code = e.programme_code \
             JOIN persons p ON p.id = e.person_id AND p.life_status = 'alive' \
             LEFT JOIN household_members hm ON hm.person_id = e.person_id \
             WHERE e.status = 'active' AND {area} AND g.id IN ({marks}) \
             AND NOT EXISTS (SELECT 1 FROM match_lines r WHERE r.list_id = \
               (SELECT l.id FROM match_lists l WHERE l.run_id = ? AND l.programme_id = g.id) \
               AND r.status IN ('selected', 'waiting', 'added') \
               AND (r.person_id = e.person_id OR (g.target = 'household' \
                 AND r.household_id = hm.household_id))) \
             GROUP BY g.code, e.village_code ORDER BY g.code, e.village_code"
        ),
        all,
    )
    .await?;
    gap_rows(&rows)
}

/// Double targeting (MAT-4): households (a person in none counts alone) served by more than
/// one programme meeting the same need, by need and village; `programme` is the need.
pub async fn double_targeting_counts(
    c: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<Vec<GapCount>> {
    let (area, values) = scope_filter(scope, "e.village_code");
    let rows = query_all(
        c,
        &format!(
            "SELECT need AS programme, village_code, COUNT(*) AS people FROM ( \
               SELECT g.need, MIN(e.village_code) AS village_code \
               FROM enrolments e JOIN programmes g ON g.code = e.programme_code \
               JOIN persons p ON p.id = e.person_id AND p.life_status = 'alive' \
               LEFT JOIN household_members hm ON hm.person_id = e.person_id \
               WHERE e.status = 'active' AND g.need IS NOT NULL AND {area} \
               GROUP BY COALESCE(hm.household_id, e.person_id), g.need \
               HAVING COUNT(DISTINCT g.code) > 1) twice \
             GROUP BY need, village_code ORDER BY need, village_code"
        ),
        values,
    )
    .await?;
    gap_rows(&rows)
}

fn gap_rows(rows: &[QueryResult]) -> Result<Vec<GapCount>> {
    rows.iter()
        .map(|r| {
            Ok(GapCount {
                programme: col(r, "programme")?,
                village_code: col(r, "village_code")?,
                people: col(r, "people")?,
            })
        })
        .collect()
}
