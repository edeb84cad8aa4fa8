//! BPJS Ketenagakerjaan: employers (NPP), members' cards (KPJ), who works where, the wages
//! employers report each month, the employers' bills (and their JKN bills for the same
//! wage earners, PPU), and the non-wage workers' (BPU) payments taken by agents. Every table
//! carries the village code it is scoped by: the employer's for its workers, wages and
//! bills, the person's for BPU workers.

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use sea_orm::ConnectionTrait;
use serde::Serialize;

use crate::{FromRow, Result, Row, col, execute, fetch_all, fetch_one, query_all, scope_filter};

/// An enterprise registered at BPJS Ketenagakerjaan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmployerRow {
    pub id: String,
    /// The employer's registration number (8 digits).
    pub npp: String,
    pub name: String,
    pub sector: String,
    /// JKK risk class, 1 (very low) to 5 (very high).
    pub risk_class: i32,
    pub village_code: String,
    pub address: Option<String>,
    pub registered_on: NaiveDate,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl FromRow for EmployerRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(EmployerRow {
            id: col(row, "id")?,
            npp: col(row, "npp")?,
            name: col(row, "name")?,
            sector: col(row, "sector")?,
            risk_class: col(row, "risk_class")?,
            village_code: col(row, "village_code")?,
            address: col(row, "address")?,
            registered_on: col(row, "registered_on")?,
            created_by: col(row, "created_by")?,
            created_at: col(row, "created_at")?,
        })
    }
}

const EMPLOYER: &str = "SELECT id, npp, name, sector, risk_class, village_code, address, \
     registered_on, created_by, created_at FROM tk_employers";

pub async fn insert_employer(c: &impl ConnectionTrait, e: &EmployerRow) -> Result<()> {
    execute(
        c,
        "INSERT INTO tk_employers (id, npp, name, sector, risk_class, village_code, address, \
         registered_on, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            e.id.clone().into(),
            e.npp.clone().into(),
            e.name.clone().into(),
            e.sector.clone().into(),
            e.risk_class.into(),
            e.village_code.clone().into(),
            e.address.clone().into(),
            e.registered_on.into(),
            e.created_by.clone().into(),
            e.created_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The employer with NPP `npp`, if it is in `scope`.
pub async fn employer_by_npp(
    c: &impl ConnectionTrait,
    scope: &Scope,
    npp: &str,
) -> Result<Option<EmployerRow>> {
    let (area, mut values) = scope_filter(scope, "village_code");
    values.insert(0, npp.into());
    fetch_one(c, &format!("{EMPLOYER} WHERE npp = ? AND {area}"), values).await
}

pub async fn employer_by_id(c: &impl ConnectionTrait, id: &str) -> Result<Option<EmployerRow>> {
    fetch_one(c, &format!("{EMPLOYER} WHERE id = ?"), vec![id.into()]).await
}

/// The employers of `scope`, by name.
pub async fn employers(c: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<EmployerRow>> {
    let (area, values) = scope_filter(scope, "village_code");
    fetch_all(
        c,
        &format!("{EMPLOYER} WHERE {area} ORDER BY name, npp LIMIT 1000"),
        values,
    )
    .await
}

/// A member's card (KPJ).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CardRow {
    pub person_id: String,
    pub kpj: String,
    pub village_code: String,
    pub issued_on: NaiveDate,
}

impl FromRow for CardRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(CardRow {
            person_id: col(row, "person_id")?,
            kpj: col(row, "kpj")?,
            village_code: col(row, "village_code")?,
            issued_on: col(row, "issued_on")?,
        })
    }
}

const CARD: &str = "SELECT person_id, kpj, village_code, issued_on FROM tk_cards";

pub async fn card_of_person(c: &impl ConnectionTrait, person_id: &str) -> Result<Option<CardRow>> {
    fetch_one(
        c,
        &format!("{CARD} WHERE person_id = ?"),
        vec![person_id.into()],
    )
    .await
}

pub async fn card_by_kpj(c: &impl ConnectionTrait, kpj: &str) -> Result<Option<CardRow>> {
    fetch_one(c, &format!("{CARD} WHERE kpj = ?"), vec![kpj.into()]).await
}

pub async fn insert_card(c: &impl ConnectionTrait, card: &CardRow) -> Result<()> {
    execute(
        c,
        "INSERT INTO tk_cards (person_id, kpj, village_code, issued_on) VALUES (?, ?, ?, ?)",
        vec![
            card.person_id.clone().into(),
            card.kpj.clone().into(),
            card.village_code.clone().into(),
            card.issued_on.into(),
        ],
    )
    .await?;
    Ok(())
}

/// A registration of a worker: with an employer (`wage`) or on their own (`bpu`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerRow {
    pub id: String,
    pub employer_id: Option<String>,
    pub person_id: String,
    pub person_name: String,
    pub birth_date: NaiveDate,
    pub kpj: String,
    pub village_code: String,
    /// `wage` or `bpu`.
    pub kind: String,
    pub since: NaiveDate,
    pub until: Option<NaiveDate>,
    pub declared_income: Option<i64>,
    pub with_jht: bool,
    pub registered_by: String,
    pub created_at: DateTime<Utc>,
    /// Why the registration ended (`left_job`, `retired`, `died`, `stopped`), once `until`
    /// is set.
    pub end_reason: Option<String>,
}

impl FromRow for WorkerRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(WorkerRow {
            id: col(row, "id")?,
            employer_id: col(row, "employer_id")?,
            person_id: col(row, "person_id")?,
            person_name: col(row, "person_name")?,
            birth_date: col(row, "birth_date")?,
            kpj: col(row, "kpj")?,
            village_code: col(row, "village_code")?,
            kind: col(row, "kind")?,
            since: col(row, "since")?,
            until: col(row, "until")?,
            declared_income: col(row, "declared_income")?,
            with_jht: col(row, "with_jht")?,
            registered_by: col(row, "registered_by")?,
            created_at: col(row, "created_at")?,
            end_reason: col(row, "end_reason")?,
        })
    }
}

const WORKER: &str = "SELECT w.id, w.employer_id, w.person_id, p.full_name AS person_name, \
     p.birth_date, w.kpj, w.village_code, w.kind, w.since, w.until, w.declared_income, \
     w.with_jht, w.registered_by, w.created_at, w.end_reason \
     FROM tk_workers w JOIN persons p ON p.id = w.person_id";

pub async fn insert_worker(c: &impl ConnectionTrait, w: &WorkerRow) -> Result<()> {
    execute(
        c,
        "INSERT INTO tk_workers (id, employer_id, person_id, kpj, village_code, kind, since, \
         until, declared_income, with_jht, registered_by, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            w.id.clone().into(),
            w.employer_id.clone().into(),
            w.person_id.clone().into(),
            w.kpj.clone().into(),
            w.village_code.clone().into(),
            w.kind.clone().into(),
            w.since.into(),
            w.until.into(),
            w.declared_income.into(),
            w.with_jht.into(),
            w.registered_by.clone().into(),
            w.created_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Ends a current registration on `until` (its last day) for `reason`. `false` when it had
/// ended already (or does not exist), so two endings at once record one.
pub async fn end_registration(
    c: &impl ConnectionTrait,
    worker_id: &str,
    until: NaiveDate,
    reason: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE tk_workers SET until = ?, end_reason = ?, ended_by = ?, ended_at = ? \
         WHERE id = ? AND until IS NULL",
        vec![
            until.into(),
            reason.into(),
            by.into(),
            at.into(),
            worker_id.into(),
        ],
    )
    .await?
        == 1)
}

/// The latest month after `period` in which the employer reported a wage for the person.
pub async fn reported_after(
    c: &impl ConnectionTrait,
    employer_id: &str,
    person_id: &str,
    period: &str,
) -> Result<Option<String>> {
    let row = crate::query_one(
        c,
        "SELECT MAX(period) AS period FROM tk_wages \
         WHERE employer_id = ? AND person_id = ? AND period > ?",
        vec![employer_id.into(), person_id.into(), period.into()],
    )
    .await?;
    match row {
        Some(r) => col(&r, "period"),
        None => Ok(None),
    }
}

/// The non-wage workers (BPU) registered in `scope`, current ones first, then by name:
/// those whose name holds `name` (a search key), whose card is `kpj`, or who are the person
/// `person_id`, if given.
pub async fn bpu_workers(
    c: &impl ConnectionTrait,
    scope: &Scope,
    name: Option<&str>,
    kpj: Option<&str>,
    person_id: Option<&str>,
    limit: u64,
) -> Result<Vec<WorkerRow>> {
    let (area, mut values) = scope_filter(scope, "w.village_code");
    let mut filter = String::new();
    if let Some(id) = person_id {
        filter.push_str(" AND w.person_id = ?");
        values.push(id.into());
    }
    if let Some(k) = kpj {
        filter.push_str(" AND w.kpj = ?");
        values.push(k.into());
    }
    if let Some(n) = name {
        let key: String = n
            .chars()
            .filter(|ch| ch.is_alphanumeric() || *ch == ' ')
            .collect();
        filter.push_str(" AND p.name_key LIKE ?");
        values.push(format!("%{key}%").into());
    }
    values.push((limit as i64).into());
    fetch_all(
        c,
        &format!(
            "{WORKER} WHERE w.kind = 'bpu' AND {area}{filter} \
             ORDER BY CASE WHEN w.until IS NULL THEN 0 ELSE 1 END, p.full_name, w.since DESC, w.id \
             LIMIT ?"
        ),
        values,
    )
    .await
}

/// An employer's workers (current ones first, then by name).
pub async fn workers_of(c: &impl ConnectionTrait, employer_id: &str) -> Result<Vec<WorkerRow>> {
    fetch_all(
        c,
        &format!(
            "{WORKER} WHERE w.employer_id = ? \
             ORDER BY CASE WHEN w.until IS NULL THEN 0 ELSE 1 END, p.full_name, w.id"
        ),
        vec![employer_id.into()],
    )
    .await
}

/// Every registration of a person (with any employer, or as BPU), oldest first.
pub async fn registrations_of(c: &impl ConnectionTrait, person_id: &str) -> Result<Vec<WorkerRow>> {
    fetch_all(
        c,
        &format!("{WORKER} WHERE w.person_id = ? ORDER BY w.since, w.id"),
        vec![person_id.into()],
    )
    .await
}

/// A wage reported for one worker and month, with the contributions it makes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WageRow {
    pub id: String,
    pub employer_id: String,
    pub village_code: String,
    pub period: String,
    pub person_id: String,
    pub person_name: String,
    pub wage: i64,
    pub jkk: i64,
    pub jkm: i64,
    pub jht_employer: i64,
    pub jht_worker: i64,
    pub jp_employer: i64,
    pub jp_worker: i64,
    pub reported_at: DateTime<Utc>,
}

impl FromRow for WageRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(WageRow {
            id: col(row, "id")?,
            employer_id: col(row, "employer_id")?,
            village_code: col(row, "village_code")?,
            period: col(row, "period")?,
            person_id: col(row, "person_id")?,
            person_name: col(row, "person_name")?,
            wage: col(row, "wage")?,
            jkk: col(row, "jkk")?,
            jkm: col(row, "jkm")?,
            jht_employer: col(row, "jht_employer")?,
            jht_worker: col(row, "jht_worker")?,
            jp_employer: col(row, "jp_employer")?,
            jp_worker: col(row, "jp_worker")?,
            reported_at: col(row, "reported_at")?,
        })
    }
}

const WAGE: &str = "SELECT w.id, w.employer_id, w.village_code, w.period, w.person_id, \
     p.full_name AS person_name, w.wage, w.jkk, w.jkm, w.jht_employer, w.jht_worker, \
     w.jp_employer, w.jp_worker, w.reported_at FROM tk_wages w JOIN persons p ON p.id = w.person_id";

/// Replaces an employer's report of `period` with `rows` (call inside a transaction).
pub async fn replace_wages(
    c: &impl ConnectionTrait,
    employer_id: &str,
    period: &str,
    rows: &[WageRow],
) -> Result<()> {
    execute(
        c,
        "DELETE FROM tk_wages WHERE employer_id = ? AND period = ?",
        vec![employer_id.into(), period.into()],
    )
    .await?;
    for w in rows {
        execute(
            c,
            "INSERT INTO tk_wages (id, employer_id, village_code, period, person_id, wage, jkk, \
             jkm, jht_employer, jht_worker, jp_employer, jp_worker, reported_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                w.id.clone().into(),
                w.employer_id.clone().into(),
                w.village_code.clone().into(),
                w.period.clone().into(),
                w.person_id.clone().into(),
                w.wage.into(),
                w.jkk.into(),
                w.jkm.into(),
                w.jht_employer.into(),
                w.jht_worker.into(),
                w.jp_employer.into(),
                w.jp_worker.into(),
                w.reported_at.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// An employer's report of `period`, by name.
pub async fn wages_of(
    c: &impl ConnectionTrait,
    employer_id: &str,
    period: &str,
) -> Result<Vec<WageRow>> {
    fetch_all(
        c,
        &format!("{WAGE} WHERE w.employer_id = ? AND w.period = ? ORDER BY p.full_name, w.id"),
        vec![employer_id.into(), period.into()],
    )
    .await
}

/// The months an employer reported, newest first, with how many workers each.
pub async fn reported_periods(
    c: &impl ConnectionTrait,
    employer_id: &str,
) -> Result<Vec<(String, i64)>> {
    let rows = query_all(
        c,
        "SELECT period, COUNT(*) AS n FROM tk_wages WHERE employer_id = ? \
         GROUP BY period ORDER BY period DESC",
        vec![employer_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "period")?, col(r, "n")?)))
        .collect()
}

/// A person's JHT contributions, month by month (with every employer), and whether the
/// month's bill is paid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JhtLine {
    pub period: String,
    pub npp: String,
    pub employer_name: String,
    pub wage: i64,
    pub jht: i64,
    pub paid: bool,
}

pub async fn jht_lines(c: &impl ConnectionTrait, person_id: &str) -> Result<Vec<JhtLine>> {
    let rows = query_all(
        c,
        "SELECT w.period, e.npp, e.name, w.wage, w.jht_employer + w.jht_worker AS jht, \
         b.status FROM tk_wages w JOIN tk_employers e ON e.id = w.employer_id \
         LEFT JOIN tk_bills b ON b.employer_id = w.employer_id AND b.period = w.period \
         WHERE w.person_id = ? ORDER BY w.period, e.npp",
        vec![person_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(JhtLine {
                period: col(r, "period")?,
                npp: col(r, "npp")?,
                employer_name: col(r, "name")?,
                wage: col(r, "wage")?,
                jht: col(r, "jht")?,
                paid: col::<Option<String>>(r, "status")?.as_deref() == Some("paid"),
            })
        })
        .collect()
}

/// An employer's bill for one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmployerBillRow {
    pub id: String,
    pub employer_id: String,
    pub village_code: String,
    /// `YYYY-MM`.
    pub period: String,
    pub va_number: String,
    pub workers: i32,
    pub wages: i64,
    pub jkk: i64,
    pub jkm: i64,
    pub jht: i64,
    pub jp: i64,
    pub employer_share: i64,
    pub worker_share: i64,
    pub total: i64,
    pub due_on: NaiveDate,
    /// `open` or `paid`.
    pub status: String,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FromRow for EmployerBillRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(EmployerBillRow {
            id: col(row, "id")?,
            employer_id: col(row, "employer_id")?,
            village_code: col(row, "village_code")?,
            period: col(row, "period")?,
            va_number: col(row, "va_number")?,
            workers: col(row, "workers")?,
            wages: col(row, "wages")?,
            jkk: col(row, "jkk")?,
            jkm: col(row, "jkm")?,
            jht: col(row, "jht")?,
            jp: col(row, "jp")?,
            employer_share: col(row, "employer_share")?,
            worker_share: col(row, "worker_share")?,
            total: col(row, "total")?,
            due_on: col(row, "due_on")?,
            status: col(row, "status")?,
            paid_at: col(row, "paid_at")?,
            created_at: col(row, "created_at")?,
            updated_at: col(row, "updated_at")?,
        })
    }
}

const BILL: &str = "SELECT id, employer_id, village_code, period, va_number, workers, wages, \
     jkk, jkm, jht, jp, employer_share, worker_share, total, due_on, status, paid_at, \
     created_at, updated_at FROM tk_bills";

/// Issues the bill of an employer's month, or recomputes it while it is still open. `false`
/// when the month's bill is paid already (and nothing changed).
pub async fn save_bill(c: &impl ConnectionTrait, b: &EmployerBillRow) -> Result<bool> {
    Ok(execute(
        c,
        "INSERT INTO tk_bills (id, employer_id, village_code, period, va_number, workers, wages, \
         jkk, jkm, jht, jp, employer_share, worker_share, total, due_on, status, paid_at, \
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (employer_id, period) DO UPDATE SET workers = excluded.workers, \
         wages = excluded.wages, jkk = excluded.jkk, jkm = excluded.jkm, jht = excluded.jht, \
         jp = excluded.jp, employer_share = excluded.employer_share, \
         worker_share = excluded.worker_share, total = excluded.total, \
         updated_at = excluded.updated_at WHERE tk_bills.status = 'open'",
        vec![
            b.id.clone().into(),
            b.employer_id.clone().into(),
            b.village_code.clone().into(),
            b.period.clone().into(),
            b.va_number.clone().into(),
            b.workers.into(),
            b.wages.into(),
            b.jkk.into(),
            b.jkm.into(),
            b.jht.into(),
            b.jp.into(),
            b.employer_share.into(),
            b.worker_share.into(),
            b.total.into(),
            b.due_on.into(),
            b.status.clone().into(),
            b.paid_at.into(),
            b.created_at.into(),
            b.updated_at.into(),
        ],
    )
    .await?
        == 1)
}

/// An employer's bill of one month.
pub async fn bill_of(
    c: &impl ConnectionTrait,
    employer_id: &str,
    period: &str,
) -> Result<Option<EmployerBillRow>> {
    fetch_one(
        c,
        &format!("{BILL} WHERE employer_id = ? AND period = ?"),
        vec![employer_id.into(), period.into()],
    )
    .await
}

/// An employer's bills, newest first.
pub async fn bills_of(c: &impl ConnectionTrait, employer_id: &str) -> Result<Vec<EmployerBillRow>> {
    fetch_all(
        c,
        &format!("{BILL} WHERE employer_id = ? ORDER BY period DESC"),
        vec![employer_id.into()],
    )
    .await
}

/// The employer's bill on virtual account `va`: what a bank's payment names.
pub async fn employer_bill_by_va(
    c: &impl ConnectionTrait,
    va: &str,
) -> Result<Option<EmployerBillRow>> {
    fetch_one(
        c,
        &format!("{BILL} WHERE va_number = ?"),
        vec![va.trim().into()],
    )
    .await
}

/// Marks an open bill paid at `paid_at`. `false` if it was paid already or does not exist,
/// so a payment delivered twice settles the bill once.
pub async fn settle_employer_bill(
    c: &impl ConnectionTrait,
    bill_id: &str,
    paid_at: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE tk_bills SET status = 'paid', paid_at = ?, updated_at = ? \
         WHERE id = ? AND status = 'open'",
        vec![paid_at.into(), paid_at.into(), bill_id.into()],
    )
    .await?
        == 1)
}

/// An employer's JKN bill for one month: the contributions of its wage earners (PPU) to
/// BPJS Kesehatan, the workers' share withheld from their pay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PpuBillRow {
    pub id: String,
    pub employer_id: String,
    pub village_code: String,
    /// `YYYY-MM`.
    pub period: String,
    pub va_number: String,
    pub workers: i32,
    /// The sum of the wages counted (each between the minimum wage and the cap).
    pub wages_counted: i64,
    pub employer_share: i64,
    pub worker_share: i64,
    pub total: i64,
    pub due_on: NaiveDate,
    /// `open` or `paid`.
    pub status: String,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FromRow for PpuBillRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(PpuBillRow {
            id: col(row, "id")?,
            employer_id: col(row, "employer_id")?,
            village_code: col(row, "village_code")?,
            period: col(row, "period")?,
            va_number: col(row, "va_number")?,
            workers: col(row, "workers")?,
            wages_counted: col(row, "wages_counted")?,
            employer_share: col(row, "employer_share")?,
            worker_share: col(row, "worker_share")?,
            total: col(row, "total")?,
            due_on: col(row, "due_on")?,
            status: col(row, "status")?,
            paid_at: col(row, "paid_at")?,
            created_at: col(row, "created_at")?,
            updated_at: col(row, "updated_at")?,
        })
    }
}

const PPU_BILL: &str = "SELECT id, employer_id, village_code, period, va_number, workers, \
     wages_counted, employer_share, worker_share, total, due_on, status, paid_at, created_at, \
     updated_at FROM jkn_ppu_bills";

/// Issues the JKN (PPU) bill of an employer's month, or recomputes it while it is still
/// open. `false` when the month's bill is paid already (and nothing changed).
pub async fn save_ppu_bill(c: &impl ConnectionTrait, b: &PpuBillRow) -> Result<bool> {
    Ok(execute(
        c,
        "INSERT INTO jkn_ppu_bills (id, employer_id, village_code, period, va_number, workers, \
         wages_counted, employer_share, worker_share, total, due_on, status, paid_at, \
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (employer_id, period) DO UPDATE SET workers = excluded.workers, \
         wages_counted = excluded.wages_counted, employer_share = excluded.employer_share, \
         worker_share = excluded.worker_share, total = excluded.total, \
         updated_at = excluded.updated_at WHERE jkn_ppu_bills.status = 'open'",
        vec![
            b.id.clone().into(),
            b.employer_id.clone().into(),
            b.village_code.clone().into(),
            b.period.clone().into(),
            b.va_number.clone().into(),
            b.workers.into(),
            b.wages_counted.into(),
            b.employer_share.into(),
            b.worker_share.into(),
            b.total.into(),
            b.due_on.into(),
            b.status.clone().into(),
            b.paid_at.into(),
            b.created_at.into(),
            b.updated_at.into(),
        ],
    )
    .await?
        == 1)
}

/// An employer's JKN (PPU) bill of one month.
pub async fn ppu_bill_of(
    c: &impl ConnectionTrait,
    employer_id: &str,
    period: &str,
) -> Result<Option<PpuBillRow>> {
    fetch_one(
        c,
        &format!("{PPU_BILL} WHERE employer_id = ? AND period = ?"),
        vec![employer_id.into(), period.into()],
    )
    .await
}

/// An employer's JKN (PPU) bills, newest first.
pub async fn ppu_bills_of(c: &impl ConnectionTrait, employer_id: &str) -> Result<Vec<PpuBillRow>> {
    fetch_all(
        c,
        &format!("{PPU_BILL} WHERE employer_id = ? ORDER BY period DESC"),
        vec![employer_id.into()],
    )
    .await
}

/// The employer's JKN (PPU) bill on virtual account `va`: what a bank's payment names.
pub async fn ppu_bill_by_va(c: &impl ConnectionTrait, va: &str) -> Result<Option<PpuBillRow>> {
    fetch_one(
        c,
        &format!("{PPU_BILL} WHERE va_number = ?"),
        vec![va.trim().into()],
    )
    .await
}

/// Marks an open JKN (PPU) bill paid at `paid_at`. `false` if it was paid already or does
/// not exist, so a payment delivered twice settles the bill once.
pub async fn settle_ppu_bill(
    c: &impl ConnectionTrait,
    bill_id: &str,
    paid_at: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE jkn_ppu_bills SET status = 'paid', paid_at = ?, updated_at = ? \
         WHERE id = ? AND status = 'open'",
        vec![paid_at.into(), paid_at.into(), bill_id.into()],
    )
    .await?
        == 1)
}

/// A non-wage worker's payment of one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BpuPaymentRow {
    pub id: String,
    pub worker_id: String,
    pub person_id: String,
    pub village_code: String,
    pub period: String,
    pub income: i64,
    pub jkk: i64,
    pub jkm: i64,
    pub jht: i64,
    pub total: i64,
    /// Who took it: `user:<username>`.
    pub agent: String,
    pub paid_at: DateTime<Utc>,
    /// The agent's form (or the API's Idempotency-Key) that took it, if any.
    pub idempotency_key: Option<String>,
    /// The user who took the cash, until it is deposited.
    pub collected_by: Option<String>,
    pub deposit_id: Option<String>,
}

impl FromRow for BpuPaymentRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(BpuPaymentRow {
            id: col(row, "id")?,
            worker_id: col(row, "worker_id")?,
            person_id: col(row, "person_id")?,
            village_code: col(row, "village_code")?,
            period: col(row, "period")?,
            income: col(row, "income")?,
            jkk: col(row, "jkk")?,
            jkm: col(row, "jkm")?,
            jht: col(row, "jht")?,
            total: col(row, "total")?,
            agent: col(row, "agent")?,
            paid_at: col(row, "paid_at")?,
            idempotency_key: col(row, "idempotency_key")?,
            collected_by: col(row, "collected_by")?,
            deposit_id: col(row, "deposit_id")?,
        })
    }
}

pub async fn insert_bpu_payment(c: &impl ConnectionTrait, p: &BpuPaymentRow) -> Result<()> {
    execute(
        c,
        "INSERT INTO tk_bpu_payments (id, worker_id, person_id, village_code, period, income, \
         jkk, jkm, jht, total, agent, paid_at, idempotency_key, collected_by) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            p.id.clone().into(),
            p.worker_id.clone().into(),
            p.person_id.clone().into(),
            p.village_code.clone().into(),
            p.period.clone().into(),
            p.income.into(),
            p.jkk.into(),
            p.jkm.into(),
            p.jht.into(),
            p.total.into(),
            p.agent.clone().into(),
            p.paid_at.into(),
            p.idempotency_key.clone().into(),
            p.collected_by.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

/// The BPU contributions a user took in cash and has not deposited, oldest first (locked
/// for the deposit on PostgreSQL).
pub async fn undeposited_bpu(
    c: &impl ConnectionTrait,
    collector: &str,
) -> Result<Vec<BpuPaymentRow>> {
    let lock = if c.get_database_backend() == sea_orm::DbBackend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    fetch_all(
        c,
        &format!(
            "{BPU_PAYMENT} WHERE collected_by = ? AND deposit_id IS NULL \
             ORDER BY paid_at, id{lock}"
        ),
        vec![collector.into()],
    )
    .await
}

/// Marks BPU contributions as taken to the bank with `deposit_id`.
pub async fn mark_bpu_deposited(
    c: &impl ConnectionTrait,
    ids: &[String],
    deposit_id: &str,
) -> Result<()> {
    for chunk in ids.chunks(500) {
        let mut values: Vec<sea_orm::Value> = vec![deposit_id.into()];
        values.extend(chunk.iter().map(|i| sea_orm::Value::from(i.clone())));
        execute(
            c,
            &format!(
                "UPDATE tk_bpu_payments SET deposit_id = ? WHERE deposit_id IS NULL AND id IN ({})",
                vec!["?"; chunk.len()].join(", ")
            ),
            values,
        )
        .await?;
    }
    Ok(())
}

const BPU_PAYMENT: &str = "SELECT id, worker_id, person_id, village_code, period, income, \
     jkk, jkm, jht, total, agent, paid_at, idempotency_key, collected_by, deposit_id \
     FROM tk_bpu_payments";

/// A person's BPU payments, oldest first.
pub async fn bpu_payments_of(
    c: &impl ConnectionTrait,
    person_id: &str,
) -> Result<Vec<BpuPaymentRow>> {
    fetch_all(
        c,
        &format!("{BPU_PAYMENT} WHERE person_id = ? ORDER BY period, id"),
        vec![person_id.into()],
    )
    .await
}

/// The BPU payment taken with idempotency key `key`.
pub async fn bpu_payment_by_key(
    c: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<BpuPaymentRow>> {
    fetch_one(
        c,
        &format!("{BPU_PAYMENT} WHERE idempotency_key = ?"),
        vec![key.into()],
    )
    .await
}

/// Reported workers per employer of `scope` in each of `periods`: (employer, period, count).
pub async fn headcounts(
    c: &impl ConnectionTrait,
    scope: &Scope,
    periods: &[&str],
) -> Result<Vec<(String, String, i64)>> {
    let (area, mut values) = scope_filter(scope, "village_code");
    let marks = vec!["?"; periods.len()].join(", ");
    values.extend(periods.iter().map(|p| (*p).into()));
    let rows = query_all(
        c,
        &format!(
            "SELECT employer_id, period, COUNT(*) AS n FROM tk_wages WHERE {area} \
             AND period IN ({marks}) GROUP BY employer_id, period"
        ),
        values,
    )
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "employer_id")?, col(r, "period")?, col(r, "n")?)))
        .collect()
}

/// Per employer of `scope` with wage workers: how many registrations it ever had, how many
/// covered a day of the month `last_start`..=`last_end`, and how many ended on a day from
/// `previous_start` to `last_end` (workers who left between the two months compared).
pub async fn registration_counts(
    c: &impl ConnectionTrait,
    scope: &Scope,
    previous_start: NaiveDate,
    last_start: NaiveDate,
    last_end: NaiveDate,
) -> Result<Vec<(String, i64, i64, i64)>> {
    let (area, scope_values) = scope_filter(scope, "village_code");
    let mut values: Vec<sea_orm::Value> = vec![
        last_end.into(),
        last_start.into(),
        previous_start.into(),
        last_end.into(),
    ];
    values.extend(scope_values);
    let rows = query_all(
        c,
        &format!(
            "SELECT employer_id, COUNT(*) AS ever, \
             SUM(CASE WHEN since <= ? AND (until IS NULL OR until >= ?) THEN 1 ELSE 0 END) \
             AS active, \
             SUM(CASE WHEN until >= ? AND until <= ? THEN 1 ELSE 0 END) AS ended \
             FROM tk_workers WHERE kind = 'wage' AND {area} GROUP BY employer_id"
        ),
        values,
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "employer_id")?,
                col(r, "ever")?,
                col::<Option<i64>>(r, "active")?.unwrap_or(0),
                col::<Option<i64>>(r, "ended")?.unwrap_or(0),
            ))
        })
        .collect()
}

/// The wages reported in `scope` for `period`: (employer, wage).
pub async fn period_wages(
    c: &impl ConnectionTrait,
    scope: &Scope,
    period: &str,
) -> Result<Vec<(String, i64)>> {
    let (area, mut values) = scope_filter(scope, "village_code");
    values.push(period.into());
    let rows = query_all(
        c,
        &format!("SELECT employer_id, wage FROM tk_wages WHERE {area} AND period = ?"),
        values,
    )
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "employer_id")?, col(r, "wage")?)))
        .collect()
}

/// The bills of `scope` still open after their due date (before `on`), per employer:
/// (employer, how many, amount).
pub async fn overdue_bills(
    c: &impl ConnectionTrait,
    scope: &Scope,
    on: NaiveDate,
) -> Result<Vec<(String, i64, i64)>> {
    let (area, mut values) = scope_filter(scope, "village_code");
    values.push(on.into());
    let rows = query_all(
        c,
        &format!(
            "SELECT employer_id, COUNT(*) AS n, CAST(SUM(total) AS BIGINT) AS amount FROM tk_bills \
             WHERE {area} AND status = 'open' AND due_on < ? GROUP BY employer_id"
        ),
        values,
    )
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "employer_id")?, col(r, "n")?, col(r, "amount")?)))
        .collect()
}

/// A living person of the registry working formally (by their latest survey) with no
/// current registration with an employer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnregisteredWorker {
    pub person_id: String,
    pub full_name: String,
    pub village_code: String,
}

const UNREGISTERED: &str = "FROM persons p JOIN person_facts f ON f.person_id = p.id \
     WHERE {area} AND p.life_status = 'alive' AND f.employment_status = 'FORMAL' \
     AND NOT EXISTS (SELECT 1 FROM tk_workers w WHERE w.person_id = p.id \
     AND w.kind = 'wage' AND w.until IS NULL)";

/// Formal workers of `scope` no employer registered: how many, and the first `limit`.
pub async fn unregistered_workers(
    c: &impl ConnectionTrait,
    scope: &Scope,
    limit: u64,
) -> Result<(i64, Vec<UnregisteredWorker>)> {
    let (area, values) = scope_filter(scope, "p.village_code");
    let from = UNREGISTERED.replace("{area}", &area);
    let count = crate::query_one(c, &format!("SELECT COUNT(*) AS n {from}"), values.clone())
        .await?
        .map(|r| col::<i64>(&r, "n"))
        .transpose()?
        .unwrap_or(0);
    let rows = query_all(
        c,
        &format!(
            "SELECT p.id, p.full_name, p.village_code {from} \
             ORDER BY p.village_code, p.full_name, p.id LIMIT {limit}"
        ),
        values,
    )
    .await?;
    let people = rows
        .iter()
        .map(|r| {
            Ok(UnregisteredWorker {
                person_id: col(r, "id")?,
                full_name: col(r, "full_name")?,
                village_code: col(r, "village_code")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((count, people))
}
