//! People, households and their history. Every query of personal data takes the actor's
//! [`Scope`] and adds the area predicate itself.

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Value};
use serde::Serialize;

use crate::{
    FromRow, Result, Row, Store, col, execute, fetch_all, fetch_one, query_one, scope_filter,
};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonRow {
    pub id: String,
    pub nik: Option<String>,
    pub full_name: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub birth_place: Option<String>,
    pub religion: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub marital_status: Option<String>,
    pub phone: Option<String>,
    pub village_code: String,
    pub life_status: String,
    pub died_on: Option<NaiveDate>,
    pub household_id: Option<String>,
    pub relationship: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HouseholdRow {
    pub id: String,
    pub kk_number: Option<String>,
    pub village_code: String,
    pub address: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<String>,
    pub status: String,
    pub head_name: Option<String>,
    pub member_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One recorded change: who changed which field, when, why and from which source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub subject_id: String,
    pub village_code: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
    pub source: String,
    pub request_id: Option<String>,
}

/// A page position for keyset pagination: the last row's (village code, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub village_code: String,
    pub id: String,
}

const PERSON_COLUMNS: &str = "p.id, p.nik, p.full_name, p.sex, p.birth_date, p.birth_place, p.religion, \
    p.education, p.occupation, p.marital_status, p.phone, p.village_code, p.life_status, p.died_on, \
    p.created_at, p.updated_at, m.household_id, m.relationship";

const HOUSEHOLD_COLUMNS: &str = "h.id, h.kk_number, h.village_code, h.address, h.rt, h.rw, h.status, \
    h.created_at, h.updated_at, \
    (SELECT hp.full_name FROM household_members hm JOIN persons hp ON hp.id = hm.person_id \
      WHERE hm.household_id = h.id AND hm.relationship = 'KEPALA KELUARGA' LIMIT 1) AS head_name, \
    (SELECT COUNT(*) FROM household_members hc WHERE hc.household_id = h.id) AS member_count";

impl FromRow for PersonRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        person_from_row(row)
    }
}

impl FromRow for HouseholdRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        household_from_prefixed(row, "")
    }
}

impl FromRow for HistoryEntry {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(HistoryEntry {
            subject_id: col(row, "subject_id")?,
            village_code: col(row, "village_code")?,
            at: col(row, "at")?,
            actor: col(row, "actor")?,
            action: col(row, "action")?,
            field: col(row, "field")?,
            old_value: col(row, "old_value")?,
            new_value: col(row, "new_value")?,
            reason: col(row, "reason")?,
            source: col(row, "source")?,
            request_id: col(row, "request_id")?,
        })
    }
}

/// A person with their current household, read in one row (`h_` columns).
struct PersonAndHousehold(PersonRow, Option<HouseholdRow>);

impl FromRow for PersonAndHousehold {
    fn from_row(row: &impl Row) -> Result<Self> {
        let person = person_from_row(row)?;
        let household = match &person.household_id {
            Some(_) => Some(household_from_prefixed(row, "h_")?),
            None => None,
        };
        Ok(PersonAndHousehold(person, household))
    }
}

fn person_from_row(row: &impl Row) -> Result<PersonRow> {
    Ok(PersonRow {
        id: col(row, "id")?,
        nik: col(row, "nik")?,
        full_name: col(row, "full_name")?,
        sex: col(row, "sex")?,
        birth_date: col(row, "birth_date")?,
        birth_place: col(row, "birth_place")?,
        religion: col(row, "religion")?,
        education: col(row, "education")?,
        occupation: col(row, "occupation")?,
        marital_status: col(row, "marital_status")?,
        phone: col(row, "phone")?,
        village_code: col(row, "village_code")?,
        life_status: col(row, "life_status")?,
        died_on: col(row, "died_on")?,
        household_id: col(row, "household_id")?,
        relationship: col(row, "relationship")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// Reads a household whose columns carry `prefix` (`h_id`, `h_kk_number` ...).
fn household_from_prefixed(row: &impl Row, prefix: &str) -> Result<HouseholdRow> {
    let c = |name: &str| format!("{prefix}{name}");
    Ok(HouseholdRow {
        id: col(row, &c("id"))?,
        kk_number: col(row, &c("kk_number"))?,
        village_code: col(row, &c("village_code"))?,
        address: col(row, &c("address"))?,
        rt: col(row, &c("rt"))?,
        rw: col(row, &c("rw"))?,
        status: col(row, &c("status"))?,
        head_name: col(row, &c("head_name"))?,
        member_count: col(row, &c("member_count"))?,
        created_at: col(row, &c("created_at"))?,
        updated_at: col(row, &c("updated_at"))?,
    })
}

/// One person and their current household in a single round trip (the person page and
/// `GET /persons/{id}` are the registry's hottest read).
pub async fn person_with_household(
    store: &Store,
    scope: &Scope,
    id: &str,
) -> Result<Option<(PersonRow, Option<HouseholdRow>)>> {
    let (filter, mut values) = scope_filter(scope, "p.village_code");
    values.insert(0, id.into());
    let sql = format!(
        "SELECT {PERSON_COLUMNS}, h.id AS h_id, h.kk_number AS h_kk_number, h.village_code AS h_village_code, \
            h.address AS h_address, h.rt AS h_rt, h.rw AS h_rw, h.status AS h_status, h.created_at AS h_created_at, \
            h.updated_at AS h_updated_at, \
            (SELECT hp.full_name FROM household_members hm JOIN persons hp ON hp.id = hm.person_id \
              WHERE hm.household_id = h.id AND hm.relationship = 'KEPALA KELUARGA' LIMIT 1) AS h_head_name, \
            (SELECT COUNT(*) FROM household_members hc WHERE hc.household_id = h.id) AS h_member_count \
         FROM persons p LEFT JOIN household_members m ON m.person_id = p.id LEFT JOIN households h ON h.id = m.household_id \
         WHERE p.id = ? AND {filter}"
    );
    Ok(store
        .fetch_optional::<PersonAndHousehold>(&sql, values)
        .await?
        .map(|PersonAndHousehold(p, h)| (p, h)))
}

/// One person, if inside `scope`.
pub async fn person(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: &str,
) -> Result<Option<PersonRow>> {
    person_where(c, scope, "p.id", id).await
}

/// The person with this NIK, if inside `scope`.
pub async fn person_by_nik(
    c: &impl ConnectionTrait,
    scope: &Scope,
    nik: &str,
) -> Result<Option<PersonRow>> {
    person_where(c, scope, "p.nik", nik).await
}

/// The person whose unique `column` (a fixed name, never input) equals `value`, in scope.
async fn person_where(
    c: &impl ConnectionTrait,
    scope: &Scope,
    column: &'static str,
    value: &str,
) -> Result<Option<PersonRow>> {
    let (filter, mut values) = scope_filter(scope, "p.village_code");
    values.insert(0, value.into());
    let sql = format!(
        "SELECT {PERSON_COLUMNS} FROM persons p LEFT JOIN household_members m ON m.person_id = p.id \
         WHERE {column} = ? AND {filter}"
    );
    fetch_one(c, &sql, values).await
}

/// A phone's last nine digits, its separators taken out, as SQLite's index of them spells it
/// (migration 33).
pub const PHONE_TAIL_SQLITE: &str = "substr(REPLACE(REPLACE(REPLACE(REPLACE(phone, ' ', ''), \
     '-', ''), '+', ''), '.', ''), -9)";

/// The same on PostgreSQL.
pub const PHONE_TAIL_PG: &str = "right(REPLACE(REPLACE(REPLACE(REPLACE(phone, ' ', ''), \
     '-', ''), '+', ''), '.', ''), 9)";

/// How many digits of a phone number find its people ([`persons_with_phone_ending`]).
pub const PHONE_TAIL_DIGITS: usize = 9;

/// Living people whose registered phone ends with `digits`, the last
/// [`PHONE_TAIL_DIGITS`] of a number (the caller compares the whole number): the senders an
/// SMS may come from, found through the index of phones' last digits. Fewer digits find
/// nobody.
pub async fn persons_with_phone_ending(
    c: &impl ConnectionTrait,
    digits: &str,
    limit: u64,
) -> Result<Vec<PersonRow>> {
    if digits.len() != PHONE_TAIL_DIGITS {
        return Ok(Vec::new());
    }
    let sql = phone_lookup_sql(c.get_database_backend());
    fetch_all(c, &sql, vec![digits.into(), (limit as i64).into()]).await
}

/// The statement of [`persons_with_phone_ending`] on `backend`: its parameters are the
/// digits and the limit.
pub fn phone_lookup_sql(backend: DbBackend) -> String {
    let tail = match backend {
        DbBackend::Postgres => PHONE_TAIL_PG,
        _ => PHONE_TAIL_SQLITE,
    };
    // The index's expression reads `phone` unqualified: the people are read under their own
    // name in an inner query.
    format!(
        "SELECT {PERSON_COLUMNS} FROM (SELECT * FROM persons WHERE phone IS NOT NULL \
         AND {tail} = ?) p LEFT JOIN household_members m ON m.person_id = p.id \
         WHERE p.life_status = 'alive' ORDER BY p.id LIMIT ?"
    )
}

/// People whose normalised name contains `key`, names starting with it first.
/// `key` comes from [`pintu_domain::names::search_key`]: letters, digits and single spaces.
pub async fn persons_by_name(
    c: &impl ConnectionTrait,
    scope: &Scope,
    key: &str,
    limit: u64,
) -> Result<Vec<PersonRow>> {
    let key: String = key
        .chars()
        .filter(|ch| ch.is_alphanumeric() || *ch == ' ')
        .collect();
    let (filter, scope_values) = scope_filter(scope, "p.village_code");
    let mut values: Vec<Value> = vec![format!("%{key}%").into()];
    values.extend(scope_values);
    values.push(format!("{key}%").into());
    values.push(format!("% {key}%").into());
    values.push((limit as i64).into());
    let sql = format!(
        "SELECT {PERSON_COLUMNS} FROM persons p LEFT JOIN household_members m ON m.person_id = p.id \
         WHERE p.name_key LIKE ? AND {filter} \
         ORDER BY CASE WHEN p.name_key LIKE ? THEN 0 WHEN p.name_key LIKE ? THEN 1 ELSE 2 END, p.name_key, p.id \
         LIMIT ?"
    );
    fetch_all(c, &sql, values).await
}

/// A page of people in `scope`, ordered by (village, id), after `cursor`.
pub async fn list_persons(
    c: &impl ConnectionTrait,
    scope: &Scope,
    after: Option<&Cursor>,
    limit: u64,
) -> Result<Vec<PersonRow>> {
    let (filter, mut values) = scope_filter(scope, "p.village_code");
    let keyset = keyset_clause("p", after, &mut values);
    values.push((limit as i64).into());
    let sql = format!(
        "SELECT {PERSON_COLUMNS} FROM persons p LEFT JOIN household_members m ON m.person_id = p.id \
         WHERE {filter}{keyset} ORDER BY p.village_code, p.id LIMIT ?"
    );
    fetch_all(c, &sql, values).await
}

fn keyset_clause(alias: &str, after: Option<&Cursor>, values: &mut Vec<Value>) -> String {
    match after {
        None => String::new(),
        Some(cur) => {
            values.push(cur.village_code.clone().into());
            values.push(cur.village_code.clone().into());
            values.push(cur.id.clone().into());
            format!(
                " AND ({alias}.village_code > ? OR ({alias}.village_code = ? AND {alias}.id > ?))"
            )
        }
    }
}

pub async fn household(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: &str,
) -> Result<Option<HouseholdRow>> {
    let (filter, mut values) = scope_filter(scope, "h.village_code");
    values.insert(0, id.into());
    let sql = format!("SELECT {HOUSEHOLD_COLUMNS} FROM households h WHERE h.id = ? AND {filter}");
    fetch_one(c, &sql, values).await
}

pub async fn household_by_kk(
    c: &impl ConnectionTrait,
    scope: &Scope,
    kk: &str,
) -> Result<Option<HouseholdRow>> {
    let (filter, mut values) = scope_filter(scope, "h.village_code");
    values.insert(0, kk.into());
    let sql =
        format!("SELECT {HOUSEHOLD_COLUMNS} FROM households h WHERE h.kk_number = ? AND {filter}");
    fetch_one(c, &sql, values).await
}

pub async fn list_households(
    c: &impl ConnectionTrait,
    scope: &Scope,
    after: Option<&Cursor>,
    limit: u64,
) -> Result<Vec<HouseholdRow>> {
    let (filter, mut values) = scope_filter(scope, "h.village_code");
    let keyset = keyset_clause("h", after, &mut values);
    values.push((limit as i64).into());
    let sql = format!(
        "SELECT {HOUSEHOLD_COLUMNS} FROM households h WHERE {filter}{keyset} ORDER BY h.village_code, h.id LIMIT ?"
    );
    fetch_all(c, &sql, values).await
}

/// The current members of a household (already scope-checked through the household),
/// the head first, then by birth date.
pub async fn household_members(
    c: &impl ConnectionTrait,
    scope: &Scope,
    household_id: &str,
) -> Result<Vec<PersonRow>> {
    let (filter, mut values) = scope_filter(scope, "p.village_code");
    values.insert(0, household_id.into());
    let sql = format!(
        "SELECT {PERSON_COLUMNS} FROM household_members m JOIN persons p ON p.id = m.person_id \
         WHERE m.household_id = ? AND {filter} \
         ORDER BY CASE WHEN m.relationship = 'KEPALA KELUARGA' THEN 0 ELSE 1 END, p.birth_date, p.id"
    );
    fetch_all(c, &sql, values).await
}

/// Counts for the dashboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RegistryCounts {
    pub persons: i64,
    pub households: i64,
    pub persons_without_nik: i64,
    pub deaths: i64,
}

pub async fn counts(c: &impl ConnectionTrait, scope: &Scope) -> Result<RegistryCounts> {
    let (pf, pv) = scope_filter(scope, "p.village_code");
    let (hf, hv) = scope_filter(scope, "h.village_code");
    let row = query_one(
        c,
        &format!(
            "SELECT COALESCE(SUM(CASE WHEN p.life_status = 'alive' THEN 1 ELSE 0 END), 0) AS persons, \
                    COALESCE(SUM(CASE WHEN p.life_status = 'alive' AND p.nik IS NULL THEN 1 ELSE 0 END), 0) AS no_nik, \
                    COALESCE(SUM(CASE WHEN p.life_status = 'dead' THEN 1 ELSE 0 END), 0) AS deaths \
             FROM persons p WHERE {pf}"
        ),
        pv,
    )
    .await?;
    let hrow = query_one(
        c,
        &format!("SELECT COUNT(*) AS n FROM households h WHERE h.status = 'active' AND {hf}"),
        hv,
    )
    .await?;
    let get = |r: &Option<QueryResult>, name: &str| -> Result<i64> {
        r.as_ref()
            .map(|r| col::<i64>(r, name))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    Ok(RegistryCounts {
        persons: get(&row, "persons")?,
        persons_without_nik: get(&row, "no_nik")?,
        deaths: get(&row, "deaths")?,
        households: get(&hrow, "n")?,
    })
}

/// A new household row.
pub struct NewHousehold<'a> {
    pub id: &'a str,
    pub kk_number: Option<&'a str>,
    pub village_code: &'a str,
    pub address: Option<&'a str>,
    pub rt: Option<&'a str>,
    pub rw: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub async fn insert_household(c: &impl ConnectionTrait, h: &NewHousehold<'_>) -> Result<()> {
    execute(
        c,
        "INSERT INTO households (id, kk_number, village_code, address, rt, rw, status, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)",
        vec![
            h.id.into(),
            h.kk_number.map(str::to_string).into(),
            h.village_code.into(),
            h.address.map(str::to_string).into(),
            h.rt.map(str::to_string).into(),
            h.rw.map(str::to_string).into(),
            h.at.into(),
            h.at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// A new person row; `name_key` is the normalised search key of `full_name`.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub id: String,
    pub nik: Option<String>,
    pub full_name: String,
    pub name_key: String,
    pub sex: &'static str,
    pub birth_date: NaiveDate,
    pub birth_place: Option<String>,
    pub religion: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub marital_status: Option<String>,
    pub phone: Option<String>,
    pub village_code: String,
    pub at: DateTime<Utc>,
}

pub const PERSON_INSERT_COLUMNS: &str = "id, nik, full_name, name_key, sex, birth_date, birth_place, religion, education, \
    occupation, marital_status, phone, village_code, life_status, died_on, created_at, updated_at";

impl NewPerson {
    /// The values in [`PERSON_INSERT_COLUMNS`] order.
    pub fn push_values(&self, values: &mut Vec<Value>) {
        values.push(self.id.clone().into());
        values.push(self.nik.clone().into());
        values.push(self.full_name.clone().into());
        values.push(self.name_key.clone().into());
        values.push(self.sex.into());
        values.push(self.birth_date.into());
        values.push(self.birth_place.clone().into());
        values.push(self.religion.clone().into());
        values.push(self.education.clone().into());
        values.push(self.occupation.clone().into());
        values.push(self.marital_status.clone().into());
        values.push(self.phone.clone().into());
        values.push(self.village_code.clone().into());
        values.push("alive".into());
        values.push(Option::<NaiveDate>::None.into());
        values.push(self.at.into());
        values.push(self.at.into());
    }
}

/// Inserts many people in a few statements.
pub async fn insert_persons(c: &impl ConnectionTrait, people: &[NewPerson]) -> Result<()> {
    let rows = people
        .iter()
        .map(|p| {
            let mut values = Vec::with_capacity(17);
            p.push_values(&mut values);
            values
        })
        .collect();
    crate::bulk::multi_insert(c, &format!("persons ({PERSON_INSERT_COLUMNS})"), 17, rows).await
}

/// Inserts many households (status `active`) in a few statements.
pub async fn insert_households(c: &impl ConnectionTrait, rows: &[NewHousehold<'_>]) -> Result<()> {
    let values = rows
        .iter()
        .map(|h| {
            vec![
                h.id.into(),
                h.kk_number.map(str::to_string).into(),
                h.village_code.into(),
                h.address.map(str::to_string).into(),
                h.rt.map(str::to_string).into(),
                h.rw.map(str::to_string).into(),
                "active".into(),
                h.at.into(),
                h.at.into(),
            ]
        })
        .collect();
    crate::bulk::multi_insert(
        c,
        "households (id, kk_number, village_code, address, rt, rw, status, created_at, updated_at)",
        9,
        values,
    )
    .await
}

/// A membership to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMember {
    pub person_id: String,
    pub household_id: String,
    pub relationship: String,
    pub village_code: String,
    pub since: NaiveDate,
}

pub async fn insert_members(c: &impl ConnectionTrait, rows: &[NewMember]) -> Result<()> {
    let values = rows
        .iter()
        .map(|m| {
            vec![
                m.person_id.clone().into(),
                m.household_id.clone().into(),
                m.relationship.clone().into(),
                m.village_code.clone().into(),
                m.since.into(),
            ]
        })
        .collect();
    crate::bulk::multi_insert(
        c,
        "household_members (person_id, household_id, relationship, village_code, since)",
        5,
        values,
    )
    .await
}

/// Which of `niks` belong to someone in the registry (anywhere).
pub async fn registered_niks(
    c: &impl ConnectionTrait,
    niks: &[String],
) -> Result<std::collections::HashSet<String>> {
    let rows = crate::query_in(c, "SELECT nik FROM persons WHERE nik IN ({in})", &[], niks).await?;
    rows.iter().map(|r| col(r, "nik")).collect()
}

/// The households with these KK numbers (anywhere): KK number → (id, village code).
pub async fn households_by_kk(
    c: &impl ConnectionTrait,
    kks: &[String],
) -> Result<std::collections::HashMap<String, (String, String)>> {
    let sql = "SELECT id, kk_number, village_code FROM households WHERE kk_number IN ({in})";
    let rows = crate::query_in(c, sql, &[], kks).await?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "kk_number")?,
                (col(r, "id")?, col(r, "village_code")?),
            ))
        })
        .collect()
}

/// The current household of each of `people` that has one: person → household.
pub async fn households_of(
    c: &impl ConnectionTrait,
    people: &[String],
) -> Result<std::collections::HashMap<String, String>> {
    let sql = "SELECT person_id, household_id FROM household_members WHERE person_id IN ({in})";
    let rows = crate::query_in(c, sql, &[], people).await?;
    rows.iter()
        .map(|r| Ok((col(r, "person_id")?, col(r, "household_id")?)))
        .collect()
}

pub async fn insert_person(c: &impl ConnectionTrait, p: &NewPerson) -> Result<()> {
    let mut values = Vec::with_capacity(17);
    p.push_values(&mut values);
    execute(
        c,
        &format!("INSERT INTO persons ({PERSON_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        values,
    )
    .await?;
    Ok(())
}

pub async fn insert_member(
    c: &impl ConnectionTrait,
    person_id: &str,
    household_id: &str,
    relationship: &str,
    village_code: &str,
    since: NaiveDate,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO household_members (person_id, household_id, relationship, village_code, since) VALUES (?, ?, ?, ?, ?)",
        vec![person_id.into(), household_id.into(), relationship.into(), village_code.into(), since.into()],
    )
    .await?;
    Ok(())
}

pub async fn delete_member(c: &impl ConnectionTrait, person_id: &str) -> Result<u64> {
    execute(
        c,
        "DELETE FROM household_members WHERE person_id = ?",
        vec![person_id.into()],
    )
    .await
}

/// Columns a person update may set; the service decides which and records history.
pub const UPDATABLE_PERSON_COLUMNS: &[&str] = &[
    "nik",
    "full_name",
    "name_key",
    "sex",
    "birth_date",
    "birth_place",
    "religion",
    "education",
    "occupation",
    "marital_status",
    "phone",
    "village_code",
    "life_status",
    "died_on",
];

/// Sets columns of one person. Column names are checked against a fixed list.
pub async fn update_person(
    c: &impl ConnectionTrait,
    id: &str,
    changes: Vec<(&'static str, Value)>,
    at: DateTime<Utc>,
) -> Result<u64> {
    if changes.is_empty() {
        return Ok(0);
    }
    let moved_to = changes.iter().find_map(|(column, value)| match value {
        Value::String(Some(v)) if *column == "village_code" => Some(v.to_string()),
        _ => None,
    });
    let mut sets = Vec::with_capacity(changes.len() + 1);
    let mut values = Vec::with_capacity(changes.len() + 2);
    for (column, value) in changes {
        if !UPDATABLE_PERSON_COLUMNS.contains(&column) {
            return Err(crate::StoreError::Other(format!(
                "column {column} is not updatable"
            )));
        }
        sets.push(format!("{column} = ?"));
        values.push(value);
    }
    sets.push("updated_at = ?".into());
    values.push(at.into());
    values.push(id.into());
    let n = execute(
        c,
        &format!("UPDATE persons SET {} WHERE id = ?", sets.join(", ")),
        values,
    )
    .await?;
    if let Some(village) = moved_to {
        crate::facts::follow_move(c, id, &village).await?;
    }
    Ok(n)
}

pub async fn update_member_village(
    c: &impl ConnectionTrait,
    household_id: &str,
    village_code: &str,
) -> Result<u64> {
    execute(
        c,
        "UPDATE household_members SET village_code = ? WHERE household_id = ?",
        vec![village_code.into(), household_id.into()],
    )
    .await
}

pub async fn set_household_status(
    c: &impl ConnectionTrait,
    id: &str,
    status: &str,
    at: DateTime<Utc>,
) -> Result<u64> {
    execute(
        c,
        "UPDATE households SET status = ?, updated_at = ? WHERE id = ?",
        vec![status.into(), at.into(), id.into()],
    )
    .await
}

pub async fn set_household_village(
    c: &impl ConnectionTrait,
    id: &str,
    village: &str,
    at: DateTime<Utc>,
) -> Result<u64> {
    execute(
        c,
        "UPDATE households SET village_code = ?, updated_at = ? WHERE id = ?",
        vec![village.into(), at.into(), id.into()],
    )
    .await
}

/// Appends history rows to `person_history` or `household_history`.
pub async fn append_history(
    c: &impl ConnectionTrait,
    table: HistoryTable,
    entries: &[HistoryEntry],
) -> Result<()> {
    for chunk in entries.chunks(500) {
        let mut sql = format!(
            "INSERT INTO {} ({}, village_code, at, actor, action, field, old_value, new_value, reason, source, request_id) VALUES ",
            table.name(),
            table.subject()
        );
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 11);
        for (i, e) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 {
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            } else {
                ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            });
            values.extend([
                e.subject_id.clone().into(),
                e.village_code.clone().into(),
                e.at.into(),
                e.actor.clone().into(),
                e.action.clone().into(),
                e.field.clone().into(),
                e.old_value.clone().into(),
                e.new_value.clone().into(),
                e.reason.clone().into(),
                e.source.clone().into(),
                e.request_id.clone().into(),
            ]);
        }
        execute(c, &sql, values).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub enum HistoryTable {
    Person,
    Household,
}

impl HistoryTable {
    fn name(self) -> &'static str {
        match self {
            HistoryTable::Person => "person_history",
            HistoryTable::Household => "household_history",
        }
    }
    fn subject(self) -> &'static str {
        match self {
            HistoryTable::Person => "person_id",
            HistoryTable::Household => "household_id",
        }
    }
}

/// The history of one record, newest first (the record itself is scope-checked by the caller).
pub async fn history(
    store: &Store,
    table: HistoryTable,
    subject_id: &str,
    limit: u64,
) -> Result<Vec<HistoryEntry>> {
    let sql = format!(
        "SELECT {s} AS subject_id, village_code, at, actor, action, field, old_value, new_value, reason, source, request_id \
         FROM {t} WHERE {s} = ? ORDER BY id DESC LIMIT ?",
        s = table.subject(),
        t = table.name()
    );
    store
        .fetch_all(&sql, vec![subject_id.into(), (limit as i64).into()])
        .await
}
