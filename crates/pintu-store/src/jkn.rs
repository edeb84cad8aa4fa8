//! JKN memberships, the primary care providers (FKTP) members choose, and changes of FKTP.

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use sea_orm::ConnectionTrait;
use serde::Serialize;

use crate::{FromRow, Result, Row, col, execute, fetch_all, fetch_one, scope_filter};

/// A primary care provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacilityRow {
    pub code: String,
    pub name: String,
    /// `puskesmas`, `clinic` or `doctor`.
    pub kind: String,
    pub regency_code: String,
    pub address: Option<String>,
    pub active: bool,
}

impl FromRow for FacilityRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(FacilityRow {
            code: col(row, "code")?,
            name: col(row, "name")?,
            kind: col(row, "kind")?,
            regency_code: col(row, "regency_code")?,
            address: col(row, "address")?,
            active: col(row, "active")?,
        })
    }
}

const FACILITY: &str = "SELECT code, name, kind, regency_code, address, active FROM facilities";

pub async fn facility(c: &impl ConnectionTrait, code: &str) -> Result<Option<FacilityRow>> {
    fetch_one(c, &format!("{FACILITY} WHERE code = ?"), vec![code.into()]).await
}

/// Facilities of a regency (all when `None`), by name.
pub async fn facilities(
    c: &impl ConnectionTrait,
    regency: Option<&str>,
) -> Result<Vec<FacilityRow>> {
    match regency {
        Some(r) => {
            fetch_all(
                c,
                &format!("{FACILITY} WHERE regency_code = ? ORDER BY name"),
                vec![r.into()],
            )
            .await
        }
        None => fetch_all(c, &format!("{FACILITY} ORDER BY name"), vec![]).await,
    }
}

pub async fn count_facilities(c: &impl ConnectionTrait) -> Result<i64> {
    let row = crate::query_one(c, "SELECT COUNT(*) AS n FROM facilities", vec![]).await?;
    row.map(|r| col::<i64>(&r, "n"))
        .transpose()
        .map(|n| n.unwrap_or(0))
}

/// Adds a facility or changes it (by code).
pub async fn upsert_facility(c: &impl ConnectionTrait, f: &FacilityRow) -> Result<()> {
    execute(
        c,
        "INSERT INTO facilities (code, name, kind, regency_code, address, active) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
         kind = excluded.kind, regency_code = excluded.regency_code, \
         address = excluded.address, active = excluded.active",
        vec![
            f.code.clone().into(),
            f.name.clone().into(),
            f.kind.clone().into(),
            f.regency_code.clone().into(),
            f.address.clone().into(),
            f.active.into(),
        ],
    )
    .await?;
    Ok(())
}

/// A membership as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberRow {
    pub person_id: String,
    pub person_name: String,
    pub village_code: String,
    pub household_id: Option<String>,
    pub card_number: String,
    pub segment: String,
    pub class: i32,
    pub fktp_code: String,
    pub fktp_since: NaiveDate,
    pub next_fktp_code: Option<String>,
    pub next_fktp_on: Option<NaiveDate>,
    pub start_date: NaiveDate,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FromRow for MemberRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(MemberRow {
            person_id: col(row, "person_id")?,
            person_name: col(row, "person_name")?,
            village_code: col(row, "village_code")?,
            household_id: col(row, "household_id")?,
            card_number: col(row, "card_number")?,
            segment: col(row, "segment")?,
            class: col(row, "class")?,
            fktp_code: col(row, "fktp_code")?,
            fktp_since: col(row, "fktp_since")?,
            next_fktp_code: col(row, "next_fktp_code")?,
            next_fktp_on: col(row, "next_fktp_on")?,
            start_date: col(row, "start_date")?,
            status: col(row, "status")?,
            created_at: col(row, "created_at")?,
            updated_at: col(row, "updated_at")?,
        })
    }
}

const MEMBER: &str = "SELECT m.person_id, p.full_name AS person_name, m.village_code, \
     m.household_id, m.card_number, m.segment, m.class, m.fktp_code, m.fktp_since, \
     m.next_fktp_code, m.next_fktp_on, m.start_date, m.status, m.created_at, m.updated_at \
     FROM jkn_members m JOIN persons p ON p.id = m.person_id";

pub async fn insert_member(c: &impl ConnectionTrait, m: &MemberRow) -> Result<()> {
    execute(
        c,
        "INSERT INTO jkn_members (person_id, village_code, household_id, card_number, segment, \
         class, fktp_code, fktp_since, next_fktp_code, next_fktp_on, start_date, status, \
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)",
        vec![
            m.person_id.clone().into(),
            m.village_code.clone().into(),
            m.household_id.clone().into(),
            m.card_number.clone().into(),
            m.segment.clone().into(),
            m.class.into(),
            m.fktp_code.clone().into(),
            m.fktp_since.into(),
            m.start_date.into(),
            m.status.clone().into(),
            m.created_at.into(),
            m.updated_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// A person's membership, if in `scope`.
pub async fn member(
    c: &impl ConnectionTrait,
    scope: &Scope,
    person_id: &str,
) -> Result<Option<MemberRow>> {
    let (area, mut values) = scope_filter(scope, "m.village_code");
    values.insert(0, person_id.into());
    fetch_one(
        c,
        &format!("{MEMBER} WHERE m.person_id = ? AND {area}"),
        values,
    )
    .await
}

pub async fn member_by_card(c: &impl ConnectionTrait, card: &str) -> Result<Option<MemberRow>> {
    fetch_one(
        c,
        &format!("{MEMBER} WHERE m.card_number = ?"),
        vec![card.into()],
    )
    .await
}

/// The memberships of a household, by name.
pub async fn household_members(
    c: &impl ConnectionTrait,
    household_id: &str,
) -> Result<Vec<MemberRow>> {
    fetch_all(
        c,
        &format!("{MEMBER} WHERE m.household_id = ? ORDER BY p.full_name"),
        vec![household_id.into()],
    )
    .await
}

/// Schedules a move to `to` from `on` (the first of a month). A move already due by `today`
/// is folded into the current FKTP first. `false` if the membership changed meanwhile.
pub async fn schedule_fktp(
    c: &impl ConnectionTrait,
    m: &MemberRow,
    to: &str,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE jkn_members SET next_fktp_code = ?, next_fktp_on = ?, updated_at = ? \
         WHERE person_id = ? AND updated_at = ?",
        vec![
            to.into(),
            on.into(),
            now.into(),
            m.person_id.clone().into(),
            m.updated_at.into(),
        ],
    )
    .await?
        == 1)
}

/// Makes a move that is due the current FKTP.
pub async fn settle_fktp(
    c: &impl ConnectionTrait,
    m: &MemberRow,
    now: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE jkn_members SET fktp_code = next_fktp_code, fktp_since = next_fktp_on, \
         next_fktp_code = NULL, next_fktp_on = NULL, updated_at = ? \
         WHERE person_id = ? AND updated_at = ? AND next_fktp_code IS NOT NULL",
        vec![now.into(), m.person_id.clone().into(), m.updated_at.into()],
    )
    .await?
        == 1)
}

/// A change of FKTP as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFktpChange<'a> {
    pub id: &'a str,
    pub person_id: &'a str,
    pub village_code: &'a str,
    pub from_code: &'a str,
    pub to_code: &'a str,
    pub effective_on: NaiveDate,
    pub exception: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

pub async fn insert_fktp_change(c: &impl ConnectionTrait, f: &NewFktpChange<'_>) -> Result<()> {
    execute(
        c,
        "INSERT INTO fktp_changes (id, person_id, village_code, from_code, to_code, \
         effective_on, exception, reason, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            f.id.into(),
            f.person_id.into(),
            f.village_code.into(),
            f.from_code.into(),
            f.to_code.into(),
            f.effective_on.into(),
            f.exception.map(str::to_string).into(),
            f.reason.map(str::to_string).into(),
            f.actor.into(),
            f.at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// A family's bill for one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BillRow {
    pub id: String,
    pub household_id: String,
    pub village_code: String,
    /// `YYYY-MM`.
    pub period: String,
    pub va_number: String,
    pub members: i32,
    /// What the family pays.
    pub amount: i64,
    /// What the state pays on top (the class 3 subsidy).
    pub subsidy: i64,
    /// What the family has paid of `amount` so far.
    pub paid: i64,
    pub due_on: NaiveDate,
    /// `open`, `paid`, or `written_off` (arrears older than the 24 months that count).
    pub status: String,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The family's segment: `BP` when every paying member is BP (not a worker), else
    /// `PBPU`.
    pub segment: String,
}

impl BillRow {
    pub fn outstanding(&self) -> i64 {
        if self.status == "open" {
            self.amount - self.paid
        } else {
            0
        }
    }
}

impl FromRow for BillRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(BillRow {
            id: col(row, "id")?,
            household_id: col(row, "household_id")?,
            village_code: col(row, "village_code")?,
            period: col(row, "period")?,
            va_number: col(row, "va_number")?,
            members: col(row, "members")?,
            amount: col(row, "amount")?,
            subsidy: col(row, "subsidy")?,
            paid: col(row, "paid")?,
            due_on: col(row, "due_on")?,
            status: col(row, "status")?,
            paid_at: col(row, "paid_at")?,
            created_at: col(row, "created_at")?,
            segment: col(row, "segment")?,
        })
    }
}

pub(crate) const BILL: &str = "SELECT id, household_id, village_code, period, va_number, \
     members, amount, subsidy, paid, due_on, status, paid_at, created_at, segment \
     FROM jkn_bills";

/// Inserts a bill unless the family has one for the period; `true` if it was new.
pub async fn insert_bill(c: &impl ConnectionTrait, b: &BillRow) -> Result<bool> {
    Ok(execute(
        c,
        "INSERT INTO jkn_bills (id, household_id, village_code, period, va_number, members, \
         amount, subsidy, paid, due_on, status, created_at, segment) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (household_id, period) DO NOTHING",
        vec![
            b.id.clone().into(),
            b.household_id.clone().into(),
            b.village_code.clone().into(),
            b.period.clone().into(),
            b.va_number.clone().into(),
            b.members.into(),
            b.amount.into(),
            b.subsidy.into(),
            b.paid.into(),
            b.due_on.into(),
            b.status.clone().into(),
            b.created_at.into(),
            b.segment.clone().into(),
        ],
    )
    .await?
        == 1)
}

/// A household's bills, newest first.
pub async fn bills_of(c: &impl ConnectionTrait, household_id: &str) -> Result<Vec<BillRow>> {
    fetch_all(
        c,
        &format!("{BILL} WHERE household_id = ? ORDER BY period DESC"),
        vec![household_id.into()],
    )
    .await
}

/// The paying memberships (PBPU and BP, not inactive) in `scope`, by household.
pub async fn paying_members(c: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<MemberRow>> {
    let (area, values) = scope_filter(scope, "m.village_code");
    fetch_all(
        c,
        &format!(
            "{MEMBER} WHERE {area} AND m.segment IN ('PBPU', 'BP') AND m.status <> 'inactive' \
             AND m.household_id IS NOT NULL ORDER BY m.household_id, m.person_id"
        ),
        values,
    )
    .await
}

/// The families of `scope` with an active member and a bill of `last_unpaid_period` or
/// earlier still open: (household, its virtual account).
pub async fn families_to_suspend(
    c: &impl ConnectionTrait,
    scope: &Scope,
    last_unpaid_period: &str,
) -> Result<Vec<(String, String)>> {
    let (area, mut values) = scope_filter(scope, "m.village_code");
    values.push(last_unpaid_period.into());
    let rows = crate::query_all(
        c,
        &format!(
            "SELECT DISTINCT m.household_id, b.va_number FROM jkn_members m \
             JOIN jkn_bills b ON b.household_id = m.household_id \
             WHERE {area} AND m.status = 'active' AND b.status = 'open' AND b.period <= ? \
             ORDER BY m.household_id"
        ),
        values,
    )
    .await?;
    let mut out: Vec<(String, String)> = Vec::new();
    for r in &rows {
        let h: String = col(r, "household_id")?;
        if out.last().is_none_or(|(last, _)| *last != h) {
            out.push((h, col(r, "va_number")?));
        }
    }
    Ok(out)
}

/// Suspends a family's active memberships; returns how many.
pub async fn suspend_family(
    c: &impl ConnectionTrait,
    household_id: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    execute(
        c,
        "UPDATE jkn_members SET status = 'suspended', updated_at = ? \
         WHERE household_id = ? AND status = 'active'",
        vec![now.into(), household_id.into()],
    )
    .await
}

/// The PBI members (paid by the state or region) in `scope`, counted by village.
pub async fn pbi_members_by_village(
    c: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<Vec<(String, i64)>> {
    let (area, values) = scope_filter(scope, "village_code");
    let rows = crate::query_all(
        c,
        &format!(
            "SELECT village_code, COUNT(*) AS n FROM jkn_members WHERE {area} \
             AND segment IN ('PBI-APBN', 'PBI-APBD') AND status <> 'inactive' \
             GROUP BY village_code ORDER BY village_code"
        ),
        values,
    )
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "village_code")?, col(r, "n")?)))
        .collect()
}

/// The open bills of `scope` due between two days (inclusive) whose family has not had the
/// reminder of `column` (`reminded_at` or `overdue_notice_at`).
pub async fn bills_to_remind(
    c: &impl ConnectionTrait,
    scope: &Scope,
    column: &str,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<BillRow>> {
    let column = match column {
        "overdue_notice_at" => "overdue_notice_at",
        _ => "reminded_at",
    };
    let (area, mut values) = scope_filter(scope, "village_code");
    values.push(from.into());
    values.push(until.into());
    fetch_all(
        c,
        &format!(
            "{BILL} WHERE {area} AND status = 'open' AND due_on >= ? AND due_on <= ? \
             AND {column} IS NULL ORDER BY id"
        ),
        values,
    )
    .await
}

/// Marks the reminder of `column` sent for those of the bills still open and not yet
/// reminded: what each of them still owes, by bill id.
pub async fn mark_reminded_many(
    c: &impl ConnectionTrait,
    bill_ids: &[String],
    column: &str,
    at: DateTime<Utc>,
) -> Result<std::collections::HashMap<String, i64>> {
    let column = match column {
        "overdue_notice_at" => "overdue_notice_at",
        _ => "reminded_at",
    };
    let mut out = std::collections::HashMap::new();
    for chunk in bill_ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut values: Vec<sea_orm::Value> = vec![at.into()];
        values.extend(chunk.iter().map(|id| sea_orm::Value::from(id.clone())));
        for r in crate::query_all(
            c,
            &format!(
                "UPDATE jkn_bills SET {column} = ? WHERE id IN ({marks}) AND {column} IS NULL \
                 AND status = 'open' RETURNING id, amount - paid AS owed"
            ),
            values,
        )
        .await?
        {
            out.insert(col::<String>(&r, "id")?, col::<i64>(&r, "owed")?);
        }
    }
    Ok(out)
}

/// What billing needs of a paying member.
#[derive(Debug, Clone, PartialEq)]
pub struct PayingMember {
    pub household_id: String,
    pub village_code: String,
    pub card_number: String,
    pub class: i32,
    /// `PBPU` or `BP`.
    pub segment: String,
}

/// The paying memberships (PBPU and BP, not inactive) in `scope`, by household: the billing
/// run's read, without the members' names.
pub async fn paying_families(c: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<PayingMember>> {
    let (area, values) = scope_filter(scope, "village_code");
    let rows = crate::query_all(
        c,
        &format!(
            "SELECT household_id, village_code, card_number, class, segment FROM jkn_members \
             WHERE {area} AND segment IN ('PBPU', 'BP') AND status <> 'inactive' \
             AND household_id IS NOT NULL ORDER BY household_id, person_id"
        ),
        values,
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PayingMember {
                household_id: col(r, "household_id")?,
                village_code: col(r, "village_code")?,
                card_number: col(r, "card_number")?,
                class: col(r, "class")?,
                segment: col(r, "segment")?,
            })
        })
        .collect()
}

/// Inserts the bills no family has for their period yet, in few statements: the ids of
/// those inserted.
pub async fn insert_bills(c: &impl ConnectionTrait, bills: &[BillRow]) -> Result<Vec<String>> {
    let mut new = Vec::with_capacity(bills.len());
    use crate::rows::Kind::{BigInt, Date, Instant, Int, Text};
    const COLUMNS: &[(&str, crate::rows::Kind)] = &[
        ("id", Text),
        ("household_id", Text),
        ("village_code", Text),
        ("period", Text),
        ("va_number", Text),
        ("members", Int),
        ("amount", BigInt),
        ("subsidy", BigInt),
        ("paid", BigInt),
        ("due_on", Date),
        ("status", Text),
        ("created_at", Instant),
        ("segment", Text),
    ];
    for chunk in bills.chunks(1000) {
        let mut rows = crate::rows::Rows::new(COLUMNS, chunk.len());
        for b in chunk {
            rows.push([
                b.id.clone().into(),
                b.household_id.clone().into(),
                b.village_code.clone().into(),
                b.period.clone().into(),
                b.va_number.clone().into(),
                b.members.into(),
                b.amount.into(),
                b.subsidy.into(),
                b.paid.into(),
                b.due_on.into(),
                b.status.clone().into(),
                b.created_at.into(),
                b.segment.clone().into(),
            ]);
        }
        let (insert, values) = rows.insert(c, "jkn_bills");
        let sql = format!("{insert} ON CONFLICT (household_id, period) DO NOTHING RETURNING id");
        for r in crate::query_all(c, &sql, values).await? {
            new.push(col(&r, "id")?);
        }
    }
    Ok(new)
}

/// Locks the families until the transaction ends (PostgreSQL; on SQLite the writing
/// transaction holds the database): a payment and a billing run for the same family take
/// their turns. The lock is on the family's row in the registry, one row a family however
/// many members it has, and lets rows that refer to it be written meanwhile.
pub async fn lock_families(c: &impl ConnectionTrait, households: &[String]) -> Result<()> {
    if c.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    for chunk in households.chunks(1000) {
        let (list, values) = crate::rows::keys_in(c, chunk);
        crate::query_all(
            c,
            &format!("SELECT id FROM households WHERE id IN {list} ORDER BY id FOR NO KEY UPDATE"),
            values,
        )
        .await?;
    }
    Ok(())
}

/// Suspends the active memberships of those of the families that still have an open bill
/// of `last_unpaid_period` or earlier (a family that has just paid keeps its cover):
/// (members suspended, the families suspended).
pub async fn suspend_families(
    c: &impl ConnectionTrait,
    households: &[String],
    last_unpaid_period: &str,
    now: DateTime<Utc>,
) -> Result<(u64, std::collections::BTreeSet<String>)> {
    let mut n = 0;
    let mut families = std::collections::BTreeSet::new();
    for chunk in households.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut values: Vec<sea_orm::Value> = vec![now.into()];
        values.extend(chunk.iter().map(|h| sea_orm::Value::from(h.clone())));
        values.push(last_unpaid_period.into());
        let rows = crate::query_all(
            c,
            &format!(
                "UPDATE jkn_members SET status = 'suspended', updated_at = ? \
                 WHERE status = 'active' AND household_id IN ({marks}) AND EXISTS \
                 (SELECT 1 FROM jkn_bills b WHERE b.household_id = jkn_members.household_id \
                 AND b.status = 'open' AND b.period <= ?) RETURNING household_id"
            ),
            values,
        )
        .await?;
        n += rows.len() as u64;
        for r in &rows {
            families.insert(col::<String>(r, "household_id")?);
        }
    }
    Ok((n, families))
}
