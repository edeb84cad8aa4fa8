//! BPJS Ketenagakerjaan (PAY-4, PAY-5): district offices register employers (NPP) of their
//! area; the employer's own account (or the district office for it) registers workers by
//! NIK, each with a member card (KPJ, one per person for life), and reports their wages
//! every month — a form, a CSV file or the API. A report computes the month's bill at the
//! rates in force (`data/tariffs/bpjstk.toml`), due on the 15th of the next month on the
//! employer's virtual account. A report of a month already reported replaces the earlier one
//! in one transaction while the month's bill is unpaid, and is refused once it is paid; a
//! report with any bad row changes nothing. Non-wage workers (BPU) are registered and their
//! monthly contributions taken by agents (officers of the person's area), once per month and
//! once per form (an idempotency key). A registration ends — the worker left the job,
//! retired or died, or a non-wage worker stopped — on a day it covers, by the employer or a
//! district office (wage workers) or an agent (BPU); after its month the worker is no longer
//! reported or paid for, while their history and JHT balance stay. Inspectors (district
//! offices and above) see each enterprise's compliance flags.
//!
//! The same wage report bills the employer's JKN contributions for its wage earners (PPU,
//! PAY-2) to BPJS Kesehatan: 4 % of each wage from the employer and 1 % withheld from the
//! worker, on the wage raised to the regional minimum wage and capped
//! (`data/tariffs/jkn.toml`), on a separate bill and virtual account due on the 10th of the
//! next month. Both bills of a month are saved with its wages, and once either is paid the
//! month is not reported again.

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use pintu_domain::bpjstk::{
    self as tk, BpuContribution, EndReason, JHT_AGE, MinimumWages, ProjectionPoint, Rates,
    bpu_contribution, contribution,
};
use pintu_domain::jkn;
use pintu_domain::payments::{Account, Entry};
use pintu_domain::{AreaCode, AreaLevel, Invalid, Nik, names};
use pintu_store::bpjstk::{
    self as q, BpuPaymentRow, CardRow, EmployerBillRow, EmployerRow, JhtLine, PpuBillRow,
    UnregisteredWorker, WageRow, WorkerRow,
};
use pintu_store::new_id;
use pintu_store::registry::{self as reg, PersonRow};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::{Ctx, Error, Pintu, Result, today};

/// The shipped contribution rates.
pub const SHIPPED_RATES: &str = include_str!("../../../data/tariffs/bpjstk.toml");
/// The shipped (example) regional minimum wages.
pub const SHIPPED_MINIMUM_WAGES: &str = include_str!("../../../data/tariffs/minimum_wages.toml");

/// The most rows one wage report may hold.
pub const MAX_WAGE_ROWS: usize = 5_000;
/// The most wage a row may report, in rupiah: anything above is a typing error.
const MAX_WAGE: i64 = 10_000_000_000;
/// How many unregistered formal workers the compliance list names (all are counted).
const UNREGISTERED_LISTED: u64 = 200;

pub fn rates() -> Result<&'static Rates> {
    static RATES: std::sync::OnceLock<Result<Rates, String>> = std::sync::OnceLock::new();
    RATES
        .get_or_init(|| toml::from_str(SHIPPED_RATES).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::Internal(anyhow::anyhow!("data/tariffs/bpjstk.toml: {e}")))
}

pub fn minimum_wages() -> Result<&'static MinimumWages> {
    static WAGES: std::sync::OnceLock<Result<MinimumWages, String>> = std::sync::OnceLock::new();
    WAGES
        .get_or_init(|| toml::from_str(SHIPPED_MINIMUM_WAGES).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::Internal(anyhow::anyhow!("data/tariffs/minimum_wages.toml: {e}")))
}

/// Registering an employer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EmployerInput {
    pub npp: String,
    pub name: String,
    pub sector: String,
    pub risk_class: Option<i64>,
    pub village_code: String,
    #[serde(default)]
    pub address: Option<String>,
    /// `YYYY-MM-DD`; today when absent.
    #[serde(default)]
    pub registered_on: Option<String>,
}

/// Registering a worker with an employer. The NIK travels in the body only.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WorkerInput {
    pub nik: String,
    /// The worker's card if they have one from before; a new one is issued otherwise.
    #[serde(default)]
    pub kpj: Option<String>,
    /// `YYYY-MM-DD`; today when absent.
    #[serde(default)]
    pub since: Option<String>,
}

/// One row of a wage report: the worker by NIK or KPJ, and the month's wage.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WageLine {
    pub worker: String,
    pub wage: String,
}

/// Registering a non-wage worker (BPU) through an agent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BpuInput {
    pub nik: String,
    pub declared_income: String,
    #[serde(default)]
    pub with_jht: bool,
}

/// Ending a registration: its last day and why.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EndInput {
    /// `YYYY-MM-DD`, the registration's last day: not before it began, not after today.
    pub until: String,
    /// `left_job`, `retired` or `died` for a wage worker; `stopped`, `retired` or `died`
    /// for a non-wage worker.
    pub reason: String,
}

/// A month of a non-wage worker's registration: what it costs and whether it is paid.
#[derive(Debug, Clone, Serialize)]
pub struct BpuMonth {
    /// `YYYY-MM`.
    pub period: String,
    /// The contribution due at the rates in force in the month (what was paid, once paid).
    pub due: i64,
    pub paid: bool,
}

/// A non-wage worker's page: the registration, the months due and the payments.
#[derive(Debug, Clone, Serialize)]
pub struct BpuView {
    pub worker: WorkerRow,
    /// The contribution of a month at today's rates on the declared income.
    pub monthly: Option<BpuContribution>,
    /// The registration's months up to this one (or its last), newest first, with any month
    /// paid outside them.
    pub months: Vec<BpuMonth>,
    /// Months of the registration not paid yet, and what they come to.
    pub unpaid_months: usize,
    pub unpaid_total: i64,
    /// Payments taken by agents, newest first.
    pub payments: Vec<BpuPaymentRow>,
    /// Whether the viewer may take payments and end the registration (an agent).
    pub may_act: bool,
}

/// A BPU payment taken, or found again by its idempotency key.
#[derive(Debug, Clone, Serialize)]
pub struct BpuPaid {
    pub payment: BpuPaymentRow,
    /// The same key was taken before: nothing was taken now.
    pub duplicate: bool,
}

/// An employer as its page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EmployerView {
    pub employer: EmployerRow,
    pub workers: Vec<WorkerRow>,
    /// Months reported, newest first, with how many workers.
    pub periods: Vec<(String, i64)>,
    pub bills: Vec<EmployerBillRow>,
    /// The JKN (PPU) bills of the same months, newest first.
    pub ppu_bills: Vec<PpuBillRow>,
    /// The minimum wage in force at the enterprise today, if known.
    pub minimum_wage: Option<i64>,
    /// Whether the viewer may register workers and report wages.
    pub may_report: bool,
}

/// What a wage report did.
#[derive(Debug, Clone, Serialize)]
pub struct WageReport {
    pub period: String,
    pub wages: Vec<WageRow>,
    pub bill: EmployerBillRow,
    /// The month's JKN bill for the same workers (PPU), to BPJS Kesehatan.
    pub ppu_bill: PpuBillRow,
    pub minimum_wage: Option<i64>,
    /// Rows below the minimum wage (reported, and flagged for inspectors; their JKN
    /// contribution is counted on the minimum wage).
    pub below_minimum: usize,
    /// Whether an earlier report of the month was replaced.
    pub replaced: bool,
}

/// A member's JHT balance and its simulation.
#[derive(Debug, Clone, Serialize)]
pub struct JhtBalance {
    pub kpj: String,
    pub person_name: String,
    pub lines: Vec<JhtLine>,
    /// JHT paid by non-wage workers through agents.
    pub bpu_paid: i64,
    /// JHT contributions on paid bills (and BPU payments): the balance, without returns.
    pub balance: i64,
    /// JHT reported on bills not yet paid.
    pub unpaid: i64,
    /// The JHT contribution of the latest month, carried forward in the simulation.
    pub monthly: i64,
    /// The yearly return the simulation assumes, in basis points.
    pub annual_bp: i64,
    /// Months simulated: until the member turns 56, or the years asked for.
    pub months: i64,
    pub projection: Vec<ProjectionPoint>,
    pub projected: i64,
}

/// One enterprise's compliance flags.
#[derive(Debug, Clone, Serialize)]
pub struct EmployerFlags {
    pub employer: EmployerRow,
    pub minimum_wage: Option<i64>,
    /// Workers reported for the last month and the one before.
    pub workers_last: i64,
    pub workers_previous: i64,
    pub below_minimum: i64,
    pub missing_report: bool,
    pub overdue_bills: i64,
    pub overdue_amount: i64,
    pub headcount_drop: bool,
    /// Registrations the employer ended from the start of the month before to the end of the
    /// last month: the part of a drop the employer recorded (left, retired, died).
    pub workers_ended: i64,
}

impl EmployerFlags {
    pub fn flagged(&self) -> bool {
        self.below_minimum > 0
            || self.missing_report
            || self.overdue_bills > 0
            || self.headcount_drop
    }
}

/// The compliance list of an area.
#[derive(Debug, Clone, Serialize)]
pub struct Compliance {
    pub on: NaiveDate,
    /// The month whose report is expected by now, and the one before it.
    pub last_period: String,
    pub previous_period: String,
    /// Flagged enterprises first.
    pub employers: Vec<EmployerFlags>,
    /// Formal workers of the registry in the area with no employer registration.
    pub unregistered_count: i64,
    pub unregistered: Vec<UnregisteredWorker>,
}

/// A fresh KPJ number: eleven digits.
fn new_kpj() -> String {
    format!(
        "{:011}",
        rand::rng().random_range(10_000_000_000u64..100_000_000_000)
    )
}

/// An amount typed by a person: digits with `.`, `,` or spaces between thousands, or `Rp`.
fn parse_rupiah(s: &str) -> Option<i64> {
    let t = s.trim();
    let t = t
        .strip_prefix("Rp")
        .or_else(|| t.strip_prefix("rp"))
        .unwrap_or(t);
    let digits: String = t
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' ' | '_'))
        .collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 15 {
        return None;
    }
    digits.parse().ok()
}

fn date_or_today(v: Option<&str>, field: &str, invalid: &mut Invalid) -> NaiveDate {
    match v.map(str::trim) {
        None | Some("") => today(),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|_| {
            invalid.push(field.to_string(), "date_invalid");
            today()
        }),
    }
}

/// The last day and reason of ending `worker`'s registration, both checked at once.
fn check_end(worker: &WorkerRow, input: &EndInput) -> Result<(NaiveDate, EndReason)> {
    let mut invalid = Invalid::default();
    let reason = EndReason::parse(&input.reason, &worker.kind)
        .map_err(|code| invalid.push("reason", code))
        .ok();
    let until = match input.until.trim() {
        "" => {
            invalid.push("until", "required");
            None
        }
        s => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Err(_) => {
                invalid.push("until", "date_invalid");
                None
            }
            Ok(d) => tk::check_end_date(worker.since, d, today())
                .map_err(|code| invalid.push("until", code))
                .ok(),
        },
    };
    invalid.or_ok(()).map_err(Error::Invalid)?;
    match (until, reason) {
        (Some(u), Some(r)) => Ok((u, r)),
        _ => Err(Error::Internal(anyhow::anyhow!("validated end"))),
    }
}

/// Reads a wage file: a header `nik_or_kpj,wage` (or `nik,wage`, `kpj,wage`; `upah` for
/// `wage`), then one row per worker. Rows are numbered by their line in the file.
pub fn parse_wage_csv(text: &str) -> Result<Vec<(usize, WageLine)>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| Error::invalid("file", "row_unreadable"))?
        .clone();
    let first = headers
        .get(0)
        .unwrap_or("")
        .trim_start_matches('\u{feff}')
        .to_lowercase();
    let second = headers.get(1).unwrap_or("").to_lowercase();
    if headers.len() < 2
        || !matches!(first.as_str(), "nik_or_kpj" | "nik" | "kpj")
        || !matches!(second.as_str(), "wage" | "upah")
    {
        return Err(Error::invalid("file", "file_missing_column"));
    }
    let mut out = Vec::new();
    let mut invalid = Invalid::default();
    // Row by row, so a row is named by its line in the file (blank lines skipped).
    for (i, raw) in text.lines().enumerate().skip(1) {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let mut one = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(raw.as_bytes());
        match one.records().next() {
            Some(Ok(r)) if r.len() != 2 => {
                invalid.push(format!("rows[{line}].worker"), "row_wrong_cell_count")
            }
            Some(Ok(r)) => out.push((
                line,
                WageLine {
                    worker: r.get(0).unwrap_or("").to_string(),
                    wage: r.get(1).unwrap_or("").to_string(),
                },
            )),
            _ => invalid.push(format!("rows[{line}].worker"), "row_unreadable"),
        }
    }
    invalid.or_ok(()).map_err(Error::Invalid)?;
    if out.is_empty() {
        return Err(Error::invalid("file", "file_empty"));
    }
    Ok(out)
}

impl Pintu {
    /// The NPP of the employer account acting, if it is one.
    async fn own_npp(&self, ctx: &Ctx) -> Result<Option<String>> {
        if !ctx.actor.is_employer() {
            return Ok(None);
        }
        let user_id = ctx.actor.user_id().ok_or(Error::Forbidden)?;
        pintu_store::users::user_by_id(self.store.conn(), user_id)
            .await?
            .and_then(|u| u.employer_npp)
            .map(Some)
            .ok_or(Error::Forbidden)
    }

    /// The employer `npp` as the actor may see it (`write`: register workers and report
    /// wages): the employer's own account; officers of its area (writing: district offices
    /// and above). Outside the actor's reach it does not exist.
    async fn employer_in(&self, ctx: &Ctx, npp: &str, write: bool) -> Result<EmployerRow> {
        let c = self.store.conn();
        let npp = tk::parse_npp(npp).map_err(|_| Error::NotFound)?;
        if let Some(own) = self.own_npp(ctx).await? {
            if own != npp {
                return Err(Error::NotFound);
            }
            return q::employer_by_npp(c, &Scope::National, &npp)
                .await?
                .ok_or(Error::NotFound);
        }
        if !ctx.actor.may_read_registry() {
            return Err(Error::Forbidden);
        }
        let e = q::employer_by_npp(c, &ctx.actor.scope(), &npp)
            .await?
            .ok_or(Error::NotFound)?;
        if write && !ctx.actor.may_inspect_employers() {
            return Err(Error::Forbidden);
        }
        Ok(e)
    }

    /// Registers an employer in its village (district offices and above, of that area).
    pub async fn register_employer(
        &self,
        ctx: &Ctx,
        input: &EmployerInput,
        now: DateTime<Utc>,
    ) -> Result<EmployerRow> {
        if !ctx.actor.may_inspect_employers() {
            return Err(Error::Forbidden);
        }
        let mut invalid = Invalid::default();
        let npp = tk::parse_npp(&input.npp).unwrap_or_else(|code| {
            invalid.push("npp", code);
            String::new()
        });
        let name = input.name.trim();
        if name.is_empty() {
            invalid.push("name", "required");
        } else if name.chars().count() > 200 {
            invalid.push("name", "too_long");
        }
        let sector = input.sector.trim();
        if sector.is_empty() {
            invalid.push("sector", "required");
        } else if sector.chars().count() > 64 {
            invalid.push("sector", "too_long");
        }
        let risk_class = match input.risk_class.map(tk::check_risk_class) {
            None => {
                invalid.push("risk_class", "required");
                1
            }
            Some(Err(code)) => {
                invalid.push("risk_class", code);
                1
            }
            Some(Ok(k)) => k,
        };
        let village = match AreaCode::parse(input.village_code.trim()) {
            Ok(v) if v.level() == AreaLevel::Village => Some(v),
            Ok(_) => {
                invalid.push("village_code", "area_not_village");
                None
            }
            Err(e) => {
                invalid.push("village_code", e.code());
                None
            }
        };
        if let Some(v) = &village
            && self.store.area(v.as_str()).await?.is_none()
        {
            invalid.push("village_code", "village_unknown");
        }
        let address = input
            .address
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        if address.is_some_and(|a| a.chars().count() > 500) {
            invalid.push("address", "too_long");
        }
        let registered_on = date_or_today(
            input.registered_on.as_deref(),
            "registered_on",
            &mut invalid,
        );
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let Some(village) = village else {
            return Err(Error::Internal(anyhow::anyhow!("validated village")));
        };
        if !ctx.actor.scope().allows(&village) {
            return Err(Error::Forbidden);
        }
        let row = EmployerRow {
            id: new_id(),
            npp,
            name: name.to_string(),
            sector: sector.to_string(),
            risk_class: risk_class as i32,
            village_code: village.to_string(),
            address: address.map(str::to_string),
            registered_on,
            created_by: ctx.actor.label(),
            created_at: now,
        };
        q::insert_employer(self.store.conn(), &row)
            .await
            .map_err(|e| match Error::from(e) {
                Error::Conflict { code, .. } => Error::Conflict {
                    code,
                    field: Some("npp".into()),
                },
                other => other,
            })?;
        self.audit
            .record(
                ctx,
                "tk.employer.register",
                "employer",
                Some(&row.id),
                Some(&row.village_code),
                Some(format!("npp={}", row.npp)),
            )
            .await?;
        Ok(row)
    }

    /// The employers the actor may see: of their area (narrowed to `area`), or an employer's
    /// own enterprise.
    pub async fn employers(&self, ctx: &Ctx, area: Option<&str>) -> Result<Vec<EmployerRow>> {
        if let Some(npp) = self.own_npp(ctx).await? {
            return Ok(
                q::employer_by_npp(self.store.conn(), &Scope::National, &npp)
                    .await?
                    .into_iter()
                    .collect(),
            );
        }
        if !ctx.actor.may_read_registry() {
            return Err(Error::Forbidden);
        }
        let scope = self.area_scope(ctx, area).await?;
        Ok(q::employers(self.store.conn(), &scope).await?)
    }

    /// An employer with its workers, reported months and bills.
    pub async fn employer(&self, ctx: &Ctx, npp: &str) -> Result<EmployerView> {
        let employer = self.employer_in(ctx, npp, false).await?;
        let c = self.store.conn();
        let workers = q::workers_of(c, &employer.id).await?;
        let periods = q::reported_periods(c, &employer.id).await?;
        let bills = q::bills_of(c, &employer.id).await?;
        let ppu_bills = q::ppu_bills_of(c, &employer.id).await?;
        let minimum_wage = AreaCode::parse(&employer.village_code)
            .ok()
            .and_then(|a| minimum_wages().ok()?.for_area(&a, today()));
        self.audit
            .record(
                ctx,
                "tk.employer.read",
                "employer",
                Some(&employer.id),
                Some(&employer.village_code),
                None,
            )
            .await?;
        Ok(EmployerView {
            may_report: ctx.actor.is_employer() || ctx.actor.may_inspect_employers(),
            employer,
            workers,
            periods,
            bills,
            ppu_bills,
            minimum_wage,
        })
    }

    /// The living person with `nik` whom the actor may register: in the registry, within the
    /// actor's registry scope (an employer: anywhere in its enterprise's regency).
    async fn registrable_person(
        &self,
        ctx: &Ctx,
        nik: &str,
        within: Option<&AreaCode>,
    ) -> Result<PersonRow> {
        let nik = Nik::parse(nik.trim()).map_err(|e| Error::invalid("nik", e.code()))?;
        let scope = match (ctx.actor.is_employer(), within) {
            (true, Some(area)) => Scope::Within(area.clone()),
            (true, None) => return Err(Error::Forbidden),
            (false, _) => crate::registry::registry_scope(ctx)?,
        };
        let person = reg::person_by_nik(self.store.conn(), &scope, nik.as_str())
            .await?
            .filter(|p| {
                within
                    .is_none_or(|a| AreaCode::parse(&p.village_code).is_ok_and(|v| a.contains(&v)))
            })
            .ok_or_else(|| Error::invalid("nik", "person_not_found"))?;
        if person.life_status != "alive" {
            return Err(Error::invalid("nik", "person_not_alive"));
        }
        Ok(person)
    }

    /// The person's card, or a new one (`kpj` if given and free, else drawn) in `tx`.
    async fn card_for(
        &self,
        tx: &impl pintu_store::sea_orm::ConnectionTrait,
        person: &PersonRow,
        kpj: Option<&str>,
        on: NaiveDate,
    ) -> Result<CardRow> {
        let kpj = match kpj.map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => Some(tk::parse_kpj(k).map_err(|code| Error::invalid("kpj", code))?),
        };
        if let Some(card) = q::card_of_person(tx, &person.id).await? {
            if kpj.as_ref().is_some_and(|k| *k != card.kpj) {
                return Err(Error::invalid("kpj", "kpj_mismatch"));
            }
            return Ok(card);
        }
        let number = match kpj {
            // A card number given by the employer must be free.
            Some(k) => k,
            None => {
                let mut n = new_kpj();
                while q::card_by_kpj(tx, &n).await?.is_some() {
                    n = new_kpj();
                }
                n
            }
        };
        let card = CardRow {
            person_id: person.id.clone(),
            kpj: number,
            village_code: person.village_code.clone(),
            issued_on: on,
        };
        q::insert_card(tx, &card)
            .await
            .map_err(|e| match Error::from(e) {
                Error::Conflict { code, .. } => Error::Conflict {
                    code,
                    field: Some("kpj".into()),
                },
                other => other,
            })?;
        Ok(card)
    }

    /// Registers a worker with the employer `npp` by NIK (the employer's own account, or a
    /// district office of its area): the person must be in the registry and live in the
    /// enterprise's regency, within the actor's registry area.
    pub async fn register_worker(
        &self,
        ctx: &Ctx,
        npp: &str,
        input: &WorkerInput,
        now: DateTime<Utc>,
    ) -> Result<WorkerRow> {
        let employer = self.employer_in(ctx, npp, true).await?;
        let regency = AreaCode::parse(&employer.village_code)
            .ok()
            .and_then(|a| a.ancestor(AreaLevel::Regency));
        let mut invalid = Invalid::default();
        let since = date_or_today(input.since.as_deref(), "since", &mut invalid);
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let person = self
            .registrable_person(ctx, &input.nik, regency.as_ref())
            .await?;
        let c = self.store.conn();
        if q::registrations_of(c, &person.id)
            .await?
            .iter()
            .any(|w| w.employer_id.as_deref() == Some(employer.id.as_str()) && w.until.is_none())
        {
            return Err(Error::Conflict {
                code: "worker_already_registered",
                field: Some("nik".into()),
            });
        }
        // Coming back after leaving: from after the day the last registration ended.
        if q::registrations_of(c, &person.id).await?.iter().any(|w| {
            w.employer_id.as_deref() == Some(employer.id.as_str())
                && w.until.is_some_and(|u| u >= since)
        }) {
            return Err(Error::Conflict {
                code: "registration_overlaps",
                field: Some("since".into()),
            });
        }
        let tx = self.store.begin().await?;
        let card = self
            .card_for(&tx, &person, input.kpj.as_deref(), since)
            .await?;
        let row = WorkerRow {
            id: new_id(),
            employer_id: Some(employer.id.clone()),
            person_id: person.id.clone(),
            person_name: person.full_name.clone(),
            birth_date: person.birth_date,
            kpj: card.kpj,
            village_code: employer.village_code.clone(),
            kind: "wage".into(),
            since,
            until: None,
            declared_income: None,
            with_jht: true,
            registered_by: ctx.actor.label(),
            created_at: now,
            end_reason: None,
        };
        q::insert_worker(&tx, &row).await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "tk.worker.register",
                "person",
                Some(&person.id),
                Some(&person.village_code),
                Some(format!("npp={}", employer.npp)),
            )
            .await?;
        Ok(row)
    }

    /// Reports the wages of `period` (`YYYY-MM`) for the employer `npp` and issues (or
    /// recomputes) the month's bills — BPJS Ketenagakerjaan's and JKN's (PPU) — in one
    /// transaction. Every row must name a current worker of the employer, once, with a wage;
    /// otherwise nothing changes and every bad row is named (`rows[<n>].worker` or
    /// `rows[<n>].wage`, `n` the row's number). A month either of whose bills is paid cannot
    /// be reported again (`wages_period_paid`).
    pub async fn report_wages(
        &self,
        ctx: &Ctx,
        npp: &str,
        period: &str,
        lines: &[(usize, WageLine)],
        now: DateTime<Utc>,
    ) -> Result<WageReport> {
        let employer = self.employer_in(ctx, npp, true).await?;
        let (period, start) =
            tk::parse_period(period).map_err(|code| Error::invalid("period", code))?;
        if start > today() {
            return Err(Error::invalid("period", "period_in_future"));
        }
        if lines.is_empty() {
            return Err(Error::invalid("rows", "required"));
        }
        if lines.len() > MAX_WAGE_ROWS {
            return Err(Error::invalid("rows", "too_many_rows"));
        }
        let c = self.store.conn();
        let paid = || Error::Conflict {
            code: "wages_period_paid",
            field: Some("period".into()),
        };
        if q::bill_of(c, &employer.id, &period)
            .await?
            .is_some_and(|b| b.status != "open")
            || q::ppu_bill_of(c, &employer.id, &period)
                .await?
                .is_some_and(|b| b.status != "open")
        {
            return Err(paid());
        }
        let rates = rates()?;
        let tariffs = crate::matching::tariffs()?;
        // The JKN contribution counts each wage at no less than the minimum wage of the
        // enterprise's area in force in the month, where one is known. A broken minimum
        // wage file stops the report rather than bill without the floor.
        let minimum_wages = minimum_wages()?;
        let minimum_wage = AreaCode::parse(&employer.village_code)
            .ok()
            .and_then(|a| minimum_wages.for_area(&a, start));
        let end = start
            .checked_add_months(chrono::Months::new(1))
            .and_then(|d| d.pred_opt())
            .unwrap_or(start);
        let registered = q::workers_of(c, &employer.id).await?;
        // A worker is reported for the months their registration covers a day of; after the
        // month of its end a row naming them is refused (`registration_ended`), not dropped:
        // the bill is what the employer sent.
        let workers: Vec<&WorkerRow> = registered
            .iter()
            .filter(|w| w.since <= end && w.until.is_none_or(|u| u >= start))
            .collect();
        let mut invalid = Invalid::default();
        let mut seen = std::collections::HashSet::new();
        let mut wages = Vec::new();
        let mut total = tk::Contribution::default();
        let mut ppu = jkn::PpuContribution::default();
        for (n, line) in lines {
            let id = line.worker.trim();
            let field = |f: &str| format!("rows[{n}].{f}");
            let digits = id.bytes().all(|b| b.is_ascii_digit());
            let nik_person = match id.len() {
                11 if digits => None,
                16 if digits => reg::person_by_nik(c, &Scope::National, id)
                    .await?
                    .map(|p| p.id),
                _ => {
                    invalid.push(field("worker"), "worker_id_invalid");
                    continue;
                }
            };
            let named = |w: &WorkerRow| match &nik_person {
                Some(person) => w.person_id == *person,
                None => id.len() == 11 && w.kpj == id,
            };
            let Some(worker) = workers.iter().copied().find(|w| named(w)) else {
                let ended = registered
                    .iter()
                    .any(|w| named(w) && w.until.is_some_and(|u| u < start));
                invalid.push(
                    field("worker"),
                    if ended {
                        "registration_ended"
                    } else {
                        "worker_not_registered"
                    },
                );
                continue;
            };
            if !seen.insert(worker.person_id.clone()) {
                invalid.push(field("worker"), "worker_repeated");
                continue;
            }
            let wage = match parse_rupiah(&line.wage) {
                Some(w) if w > 0 && w <= MAX_WAGE => w,
                Some(_) => {
                    invalid.push(field("wage"), "value_out_of_range");
                    continue;
                }
                None => {
                    invalid.push(field("wage"), "number_invalid");
                    continue;
                }
            };
            let in_jp = i64::from(crate::registry::age_on(worker.birth_date, start))
                < pintu_domain::jkn::PENSION_AGE;
            let k = contribution(rates, i64::from(employer.risk_class), wage, in_jp, start)
                .map_err(|e| Error::Internal(anyhow::anyhow!("no {} rate on {start}", e.0)))?;
            total.add(&k);
            let h = jkn::ppu_contribution(tariffs, wage, minimum_wage, start)
                .ok_or_else(|| Error::invalid("period", "no_rule_in_force"))?;
            ppu.counted += h.counted;
            ppu.employer += h.employer;
            ppu.worker += h.worker;
            wages.push(WageRow {
                id: new_id(),
                employer_id: employer.id.clone(),
                village_code: employer.village_code.clone(),
                period: period.clone(),
                person_id: worker.person_id.clone(),
                person_name: worker.person_name.clone(),
                wage,
                jkk: k.jkk,
                jkm: k.jkm,
                jht_employer: k.jht_employer,
                jht_worker: k.jht_worker,
                jp_employer: k.jp_employer,
                jp_worker: k.jp_worker,
                reported_at: now,
            });
        }
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let replaced = !q::wages_of(c, &employer.id, &period).await?.is_empty();
        let bill = EmployerBillRow {
            id: new_id(),
            employer_id: employer.id.clone(),
            village_code: employer.village_code.clone(),
            period: period.clone(),
            va_number: format!("8889{}{}", employer.npp, start.format("%Y%m")),
            workers: wages.len() as i32,
            wages: total.wage,
            jkk: total.jkk,
            jkm: total.jkm,
            jht: total.jht(),
            jp: total.jp_employer + total.jp_worker,
            employer_share: total.employer(),
            worker_share: total.worker(),
            total: total.total(),
            due_on: tk::due_on(start),
            status: "open".into(),
            paid_at: None,
            created_at: now,
            updated_at: now,
        };
        let ppu_bill = PpuBillRow {
            id: new_id(),
            employer_id: employer.id.clone(),
            village_code: employer.village_code.clone(),
            period: period.clone(),
            va_number: jkn::ppu_va_number(&employer.npp, start),
            workers: wages.len() as i32,
            wages_counted: ppu.counted,
            employer_share: ppu.employer,
            worker_share: ppu.worker,
            total: ppu.total(),
            due_on: jkn::ppu_due_on(start),
            status: "open".into(),
            paid_at: None,
            created_at: now,
            updated_at: now,
        };
        let tx = self.store.begin().await?;
        q::replace_wages(&tx, &employer.id, &period, &wages).await?;
        // Either bill paid between the check and now: the transaction is dropped unfinished,
        // so the report and both bills stay as they were.
        if !q::save_bill(&tx, &bill).await? || !q::save_ppu_bill(&tx, &ppu_bill).await? {
            return Err(paid());
        }
        tx.commit().await?;
        let bill = q::bill_of(c, &employer.id, &period)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("bill just saved")))?;
        let ppu_bill = q::ppu_bill_of(c, &employer.id, &period)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("JKN bill just saved")))?;
        let below_minimum = minimum_wage.map_or(0, |m| wages.iter().filter(|w| w.wage < m).count());
        self.audit
            .record(
                ctx,
                "tk.wages.report",
                "employer",
                Some(&employer.id),
                Some(&employer.village_code),
                Some(format!(
                    "period={period} workers={} replaced={replaced}",
                    wages.len()
                )),
            )
            .await?;
        let wages = q::wages_of(c, &employer.id, &period).await?;
        Ok(WageReport {
            period,
            wages,
            bill,
            ppu_bill,
            minimum_wage,
            below_minimum,
            replaced,
        })
    }

    /// A wage report read from a CSV file (see [`parse_wage_csv`]): all rows or none.
    pub async fn report_wages_csv(
        &self,
        ctx: &Ctx,
        npp: &str,
        period: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<WageReport> {
        // The employer is checked before the file is read: a stranger learns nothing of it.
        self.employer_in(ctx, npp, true).await?;
        let lines = parse_wage_csv(text)?;
        self.report_wages(ctx, npp, period, &lines, now).await
    }

    /// The wages reported for one month.
    pub async fn reported_wages(&self, ctx: &Ctx, npp: &str, period: &str) -> Result<Vec<WageRow>> {
        let employer = self.employer_in(ctx, npp, false).await?;
        let (period, _) =
            tk::parse_period(period).map_err(|code| Error::invalid("period", code))?;
        let rows = q::wages_of(self.store.conn(), &employer.id, &period).await?;
        self.audit
            .record(
                ctx,
                "tk.wages.read",
                "employer",
                Some(&employer.id),
                Some(&employer.village_code),
                Some(format!("period={period}")),
            )
            .await?;
        Ok(rows)
    }

    /// An employer's bills, newest first.
    pub async fn employer_bills(&self, ctx: &Ctx, npp: &str) -> Result<Vec<EmployerBillRow>> {
        let employer = self.employer_in(ctx, npp, false).await?;
        Ok(q::bills_of(self.store.conn(), &employer.id).await?)
    }

    /// An employer's JKN (PPU) bills, newest first.
    pub async fn employer_ppu_bills(&self, ctx: &Ctx, npp: &str) -> Result<Vec<PpuBillRow>> {
        let employer = self.employer_in(ctx, npp, false).await?;
        Ok(q::ppu_bills_of(self.store.conn(), &employer.id).await?)
    }

    /// The person behind card `kpj`, if the actor may see their contributions: an officer
    /// who may read the registry, for a member living in or registered with an employer in
    /// their area; an employer, for its own workers (present or past).
    async fn member_by_kpj(&self, ctx: &Ctx, kpj: &str) -> Result<(CardRow, PersonRow)> {
        let kpj = tk::parse_kpj(kpj).map_err(|_| Error::NotFound)?;
        let c = self.store.conn();
        let own = self.own_npp(ctx).await?;
        if own.is_none() && !ctx.actor.may_read_registry() {
            return Err(Error::Forbidden);
        }
        let card = q::card_by_kpj(c, &kpj).await?.ok_or(Error::NotFound)?;
        let person = reg::person(c, &Scope::National, &card.person_id)
            .await?
            .ok_or(Error::NotFound)?;
        let registrations = q::registrations_of(c, &person.id).await?;
        let visible = match own {
            Some(npp) => {
                let Some(e) = q::employer_by_npp(c, &Scope::National, &npp).await? else {
                    return Err(Error::NotFound);
                };
                registrations
                    .iter()
                    .any(|w| w.employer_id.as_deref() == Some(e.id.as_str()))
            }
            None => {
                let scope = ctx.actor.scope();
                let allows = |v: &str| AreaCode::parse(v).is_ok_and(|a| scope.allows(&a));
                allows(&person.village_code)
                    || registrations.iter().any(|w| allows(&w.village_code))
            }
        };
        if !visible {
            return Err(Error::NotFound);
        }
        Ok((card, person))
    }

    /// A member's JHT balance — the JHT contributions of paid bills and BPU payments — and a
    /// simulation: the latest month's contribution carried on with monthly compounding at
    /// the return in the rates file, until the member turns 56 or for `years`.
    pub async fn jht_balance(
        &self,
        ctx: &Ctx,
        kpj: &str,
        years: Option<i64>,
    ) -> Result<JhtBalance> {
        if let Some(y) = years
            && !(1..=50).contains(&y)
        {
            return Err(Error::invalid("years", "value_out_of_range"));
        }
        let (card, person) = self.member_by_kpj(ctx, kpj).await?;
        let c = self.store.conn();
        let lines = q::jht_lines(c, &person.id).await?;
        let bpu = q::bpu_payments_of(c, &person.id).await?;
        let bpu_paid: i64 = bpu.iter().map(|p| p.jht).sum();
        let balance = lines.iter().filter(|l| l.paid).map(|l| l.jht).sum::<i64>() + bpu_paid;
        let unpaid = lines.iter().filter(|l| !l.paid).map(|l| l.jht).sum();
        let latest_wage = lines.iter().map(|l| l.period.as_str()).max();
        let monthly = match latest_wage {
            Some(p) => lines.iter().filter(|l| l.period == p).map(|l| l.jht).sum(),
            None => bpu.last().map_or(0, |p| p.jht),
        };
        let on = today();
        let annual_bp = rates()?.jht_return(on).map_or(0, |r| r.annual_bp);
        let months = match years {
            Some(y) => y * 12,
            None => tk::months_until_age(person.birth_date, on, JHT_AGE),
        };
        let projection = tk::jht_projection(balance, monthly, annual_bp, months);
        let projected = projection.last().map_or(balance, |p| p.balance);
        self.audit
            .record(
                ctx,
                "tk.jht.read",
                "person",
                Some(&person.id),
                Some(&person.village_code),
                None,
            )
            .await?;
        Ok(JhtBalance {
            kpj: card.kpj,
            person_name: person.full_name,
            lines,
            bpu_paid,
            balance,
            unpaid,
            monthly,
            annual_bp,
            months,
            projection,
            projected,
        })
    }

    /// Registers a non-wage worker (BPU) through an agent: an officer who writes the registry
    /// of the person's area. The declared income sets the contribution.
    pub async fn register_bpu(
        &self,
        ctx: &Ctx,
        input: &BpuInput,
        now: DateTime<Utc>,
    ) -> Result<WorkerRow> {
        if !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let income = match parse_rupiah(&input.declared_income) {
            Some(n) if n > 0 && n <= MAX_WAGE => n,
            Some(_) => return Err(Error::invalid("declared_income", "value_out_of_range")),
            None => return Err(Error::invalid("declared_income", "number_invalid")),
        };
        let person = self.registrable_person(ctx, &input.nik, None).await?;
        let c = self.store.conn();
        if q::registrations_of(c, &person.id)
            .await?
            .iter()
            .any(|w| w.kind == "bpu" && w.until.is_none())
        {
            return Err(Error::Conflict {
                code: "bpu_already_registered",
                field: Some("nik".into()),
            });
        }
        let on = today();
        let tx = self.store.begin().await?;
        let card = self.card_for(&tx, &person, None, on).await?;
        let row = WorkerRow {
            id: new_id(),
            employer_id: None,
            person_id: person.id.clone(),
            person_name: person.full_name.clone(),
            birth_date: person.birth_date,
            kpj: card.kpj,
            village_code: person.village_code.clone(),
            kind: "bpu".into(),
            since: on,
            until: None,
            declared_income: Some(income),
            with_jht: input.with_jht,
            registered_by: ctx.actor.label(),
            created_at: now,
            end_reason: None,
        };
        q::insert_worker(&tx, &row).await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "tk.bpu.register",
                "person",
                Some(&person.id),
                Some(&person.village_code),
                Some(format!("income={income} jht={}", input.with_jht)),
            )
            .await?;
        Ok(row)
    }

    /// The BPU registration behind card `kpj` that the actor (an officer who reads the
    /// registry) may see: in their area, the current one, else the latest ended.
    async fn bpu_registration(&self, ctx: &Ctx, kpj: &str) -> Result<WorkerRow> {
        if !ctx.actor.may_read_registry() {
            return Err(Error::Forbidden);
        }
        let kpj = tk::parse_kpj(kpj).map_err(|_| Error::NotFound)?;
        let c = self.store.conn();
        let card = q::card_by_kpj(c, &kpj).await?.ok_or(Error::NotFound)?;
        let scope = ctx.actor.scope();
        let mine: Vec<WorkerRow> = q::registrations_of(c, &card.person_id)
            .await?
            .into_iter()
            .filter(|w| {
                w.kind == "bpu" && AreaCode::parse(&w.village_code).is_ok_and(|a| scope.allows(&a))
            })
            .collect();
        let current = mine.iter().rposition(|w| w.until.is_none());
        let at = current
            .or(mine.len().checked_sub(1))
            .ok_or(Error::NotFound)?;
        mine.into_iter().nth(at).ok_or(Error::NotFound)
    }

    /// An agent takes a BPU worker's contribution for `period`: the amount at the rates in
    /// force on the month's first day, on the declared income. Once per month; a month after
    /// an ended registration's last is refused (`registration_ended`). With an idempotency
    /// key (the agent's form, or the API's header), the same key again returns the first
    /// payment and takes nothing.
    pub async fn pay_bpu(
        &self,
        ctx: &Ctx,
        kpj: &str,
        period: &str,
        idempotency_key: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<BpuPaid> {
        if !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let key = idempotency_key.map(str::trim).filter(|k| !k.is_empty());
        if key.is_some_and(|k| !pintu_domain::payments::valid_reference(k)) {
            return Err(Error::invalid("idempotency_key", "idempotency_key_invalid"));
        }
        let worker = self.bpu_registration(ctx, kpj).await?;
        let (period, start) =
            tk::parse_period(period).map_err(|code| Error::invalid("period", code))?;
        let c = self.store.conn();
        let again = |first: BpuPaymentRow| {
            if first.person_id == worker.person_id && first.period == period {
                Ok(BpuPaid {
                    payment: first,
                    duplicate: true,
                })
            } else {
                Err(Error::Conflict {
                    code: "idempotency_conflict",
                    field: Some("idempotency_key".into()),
                })
            }
        };
        // A retry answers from what was taken, before anything else.
        if let Some(k) = key
            && let Some(first) = q::bpu_payment_by_key(c, k).await?
        {
            return again(first);
        }
        if worker.until.is_some_and(|u| u < start) {
            return Err(Error::invalid("period", "registration_ended"));
        }
        // A month is paid once per person, whichever of their registrations it was paid on.
        let paid = || Error::Conflict {
            code: "bpu_period_paid",
            field: Some("period".into()),
        };
        if q::bpu_payments_of(c, &worker.person_id)
            .await?
            .iter()
            .any(|p| p.period == period)
        {
            return Err(paid());
        }
        let k = bpu_contribution(
            rates()?,
            worker.declared_income.unwrap_or(0),
            worker.with_jht,
            start,
        )
        .map_err(|_| Error::invalid("period", "no_rule_in_force"))?;
        let row = BpuPaymentRow {
            id: new_id(),
            worker_id: worker.id.clone(),
            person_id: worker.person_id.clone(),
            village_code: worker.village_code.clone(),
            period: period.clone(),
            income: k.income,
            jkk: k.jkk,
            jkm: k.jkm,
            jht: k.jht,
            total: k.total,
            agent: ctx.actor.label(),
            paid_at: now,
            idempotency_key: key.map(str::to_string),
            collected_by: ctx.actor.user_id().map(str::to_string),
            deposit_id: None,
        };
        // The cash is the agent's until deposited, and the contribution BPJS TK's revenue:
        // booked with the payment.
        let tx = self.store.begin().await?;
        if let Err(e) = q::insert_bpu_payment(&tx, &row).await.map_err(Error::from) {
            tx.rollback().await?;
            return match e {
                // The same form submitted twice at once: the first one's payment.
                Error::Conflict { .. } if key.is_some() => {
                    match q::bpu_payment_by_key(c, key.unwrap_or_default()).await? {
                        Some(first) => again(first),
                        None => Err(paid()),
                    }
                }
                Error::Conflict { .. } => Err(paid()),
                e => Err(e),
            };
        }
        let postings = Entry::new()
            .debit(Account::AgentCash, row.total)
            .credit(Account::TkContributionRevenue, row.total)
            .balanced()
            .map_err(|e| Error::Internal(anyhow::anyhow!("BPU entry: {e:?}")))?;
        pintu_store::payments::insert_entry(
            &tx,
            &pintu_store::payments::EntryRow {
                id: new_id(),
                kind: "bpu_payment".into(),
                ref_id: row.id.clone(),
                village_code: row.village_code.clone(),
                period: crate::payments::wib_day(now).format("%Y-%m").to_string(),
                at: now,
                memo: Some(format!("BPU {}", row.period)),
            },
            &postings,
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "tk.bpu.pay",
                "person",
                Some(&worker.person_id),
                Some(&worker.village_code),
                Some(format!("period={} total={}", row.period, row.total)),
            )
            .await?;
        Ok(BpuPaid {
            payment: row,
            duplicate: false,
        })
    }

    /// The non-wage workers (BPU) of the actor's area (narrowed to `area`), current ones
    /// first: all of them (the first 200), or those found by `query` — a name, a KPJ (11
    /// digits) or a NIK (16 digits; send it in a body, never in an address).
    pub async fn bpu_workers(
        &self,
        ctx: &Ctx,
        query: &str,
        area: Option<&str>,
    ) -> Result<Vec<WorkerRow>> {
        if !ctx.actor.may_read_registry() {
            return Err(Error::Forbidden);
        }
        let scope = self.area_scope(ctx, area).await?;
        let c = self.store.conn();
        let q_text: String = query.chars().filter(|ch| !ch.is_whitespace()).collect();
        let digits = !q_text.is_empty() && q_text.bytes().all(|b| b.is_ascii_digit());
        const LIMIT: u64 = 200;
        let (by, rows) = if query.trim().is_empty() {
            (
                "all",
                q::bpu_workers(c, &scope, None, None, None, LIMIT).await?,
            )
        } else if digits && q_text.len() == 11 {
            (
                "kpj",
                q::bpu_workers(c, &scope, None, Some(&q_text), None, LIMIT).await?,
            )
        } else if digits {
            let nik = Nik::parse(&q_text).map_err(|e| Error::invalid("q", e.code()))?;
            let rows = match reg::person_by_nik(c, &scope, nik.as_str()).await? {
                Some(p) => q::bpu_workers(c, &scope, None, None, Some(&p.id), LIMIT).await?,
                None => Vec::new(),
            };
            ("nik", rows)
        } else {
            let key = names::search_key(query);
            if key.chars().count() < 2 {
                return Err(Error::invalid("q", "query_too_short"));
            }
            (
                "name",
                q::bpu_workers(c, &scope, Some(&key), None, None, LIMIT).await?,
            )
        };
        self.audit
            .record(
                ctx,
                "tk.bpu.list",
                "person",
                None,
                match &scope {
                    Scope::Within(a) => Some(a.as_str()),
                    Scope::National => None,
                },
                Some(format!("by={by} results={}", rows.len())),
            )
            .await?;
        Ok(rows)
    }

    /// A non-wage worker's registration, the contribution of each of its months (up to this
    /// one) and whether it is paid, and the payments taken (agents of the worker's area).
    pub async fn bpu_worker(&self, ctx: &Ctx, kpj: &str) -> Result<BpuView> {
        let worker = self.bpu_registration(ctx, kpj).await?;
        let c = self.store.conn();
        let mut payments: Vec<BpuPaymentRow> = q::bpu_payments_of(c, &worker.person_id)
            .await?
            .into_iter()
            .filter(|p| p.worker_id == worker.id)
            .collect();
        let on = today();
        let rates = rates()?;
        let income = worker.declared_income.unwrap_or(0);
        let last = worker.until.map_or(on, |u| u.min(on));
        let mut months: std::collections::BTreeMap<String, BpuMonth> =
            tk::months_between(worker.since, last)
                .into_iter()
                .map(|(period, first)| {
                    let due = bpu_contribution(rates, income, worker.with_jht, first)
                        .map_or(0, |k| k.total);
                    (
                        period.clone(),
                        BpuMonth {
                            period,
                            due,
                            paid: false,
                        },
                    )
                })
                .collect();
        for p in &payments {
            let m = months.entry(p.period.clone()).or_insert_with(|| BpuMonth {
                period: p.period.clone(),
                due: p.total,
                paid: true,
            });
            m.paid = true;
            m.due = p.total;
        }
        let unpaid: Vec<&BpuMonth> = months.values().filter(|m| !m.paid).collect();
        let (unpaid_months, unpaid_total) = (unpaid.len(), unpaid.iter().map(|m| m.due).sum());
        let months: Vec<BpuMonth> = months.into_values().rev().collect();
        payments.reverse();
        self.audit
            .record(
                ctx,
                "tk.bpu.read",
                "person",
                Some(&worker.person_id),
                Some(&worker.village_code),
                None,
            )
            .await?;
        Ok(BpuView {
            monthly: bpu_contribution(rates, income, worker.with_jht, on).ok(),
            may_act: ctx.actor.may_write_registry(),
            worker,
            months,
            unpaid_months,
            unpaid_total,
            payments,
        })
    }

    /// Ends the current registration of worker `kpj` with employer `npp` (its own account,
    /// or a district office of its area): on `until`, a day the registration covers, not
    /// after today, and not before a month the employer reported them for
    /// (`reported_after_end`). The worker's history and JHT balance stay.
    pub async fn end_worker(
        &self,
        ctx: &Ctx,
        npp: &str,
        kpj: &str,
        input: &EndInput,
        now: DateTime<Utc>,
    ) -> Result<WorkerRow> {
        let employer = self.employer_in(ctx, npp, true).await?;
        let kpj = tk::parse_kpj(kpj).map_err(|_| Error::NotFound)?;
        let c = self.store.conn();
        let registrations: Vec<WorkerRow> = q::workers_of(c, &employer.id)
            .await?
            .into_iter()
            .filter(|w| w.kpj == kpj)
            .collect();
        let Some(worker) = registrations.iter().find(|w| w.until.is_none()).cloned() else {
            return Err(if registrations.is_empty() {
                Error::NotFound
            } else {
                Error::Conflict {
                    code: "registration_ended",
                    field: Some("until".into()),
                }
            });
        };
        let (until, reason) = check_end(&worker, input)?;
        let last_month = until.format("%Y-%m").to_string();
        if q::reported_after(c, &employer.id, &worker.person_id, &last_month)
            .await?
            .is_some()
        {
            return Err(Error::Conflict {
                code: "reported_after_end",
                field: Some("until".into()),
            });
        }
        self.end_registration(
            ctx,
            worker,
            until,
            reason,
            now,
            &format!("npp={}", employer.npp),
        )
        .await
    }

    /// Ends a non-wage worker's current registration through an agent of their area: on
    /// `until` (a day it covers, not after today, not before a month paid for —
    /// `reported_after_end`). Their payments and JHT balance stay.
    pub async fn end_bpu(
        &self,
        ctx: &Ctx,
        kpj: &str,
        input: &EndInput,
        now: DateTime<Utc>,
    ) -> Result<WorkerRow> {
        if !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let worker = self.bpu_registration(ctx, kpj).await?;
        if worker.until.is_some() {
            return Err(Error::Conflict {
                code: "registration_ended",
                field: Some("until".into()),
            });
        }
        let (until, reason) = check_end(&worker, input)?;
        let last_month = until.format("%Y-%m").to_string();
        if q::bpu_payments_of(self.store.conn(), &worker.person_id)
            .await?
            .iter()
            .any(|p| p.worker_id == worker.id && p.period > last_month)
        {
            return Err(Error::Conflict {
                code: "reported_after_end",
                field: Some("until".into()),
            });
        }
        self.end_registration(ctx, worker, until, reason, now, "bpu")
            .await
    }

    async fn end_registration(
        &self,
        ctx: &Ctx,
        worker: WorkerRow,
        until: NaiveDate,
        reason: EndReason,
        now: DateTime<Utc>,
        what: &str,
    ) -> Result<WorkerRow> {
        let c = self.store.conn();
        if !q::end_registration(c, &worker.id, until, reason.code(), &ctx.actor.label(), now)
            .await?
        {
            return Err(Error::Conflict {
                code: "registration_ended",
                field: Some("until".into()),
            });
        }
        let person_village = reg::person(c, &Scope::National, &worker.person_id)
            .await?
            .map_or_else(|| worker.village_code.clone(), |p| p.village_code);
        self.audit
            .record(
                ctx,
                if worker.kind == "bpu" {
                    "tk.bpu.end"
                } else {
                    "tk.worker.end"
                },
                "person",
                Some(&worker.person_id),
                Some(&person_village),
                Some(format!("{what} until={until} reason={}", reason.code())),
            )
            .await?;
        Ok(WorkerRow {
            until: Some(until),
            end_reason: Some(reason.code().to_string()),
            ..worker
        })
    }

    /// The compliance list of the actor's area (narrowed to `area`) on `on`, for inspectors
    /// (district offices and above): per enterprise, wages below the minimum in the last
    /// month, a missing report for the last month, bills unpaid after their due date, and a
    /// headcount drop of [`tk::HEADCOUNT_DROP_PERCENT`] % or more from the month before; and
    /// the registry's formal workers of the area whom no employer registered.
    pub async fn compliance(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        on: NaiveDate,
    ) -> Result<Compliance> {
        if !ctx.actor.may_inspect_employers() {
            return Err(Error::Forbidden);
        }
        let scope = self.area_scope(ctx, area).await?;
        let c = self.store.conn();
        let this_month = tk::parse_period(&on.format("%Y-%m").to_string())
            .map_err(|_| Error::Internal(anyhow::anyhow!("month of {on}")))?
            .1;
        let last_period = tk::previous_period(this_month);
        let last_start = tk::parse_period(&last_period)
            .map_err(|_| Error::Internal(anyhow::anyhow!("period {last_period}")))?
            .1;
        let previous_period = tk::previous_period(last_start);
        let previous_start = tk::parse_period(&previous_period)
            .map_err(|_| Error::Internal(anyhow::anyhow!("period {previous_period}")))?
            .1;
        let last_end = this_month.pred_opt().unwrap_or(last_start);
        let employers = q::employers(c, &scope).await?;
        let registrations =
            q::registration_counts(c, &scope, previous_start, last_start, last_end).await?;
        let counts = q::headcounts(c, &scope, &[&last_period, &previous_period]).await?;
        let wages = q::period_wages(c, &scope, &last_period).await?;
        let overdue = q::overdue_bills(c, &scope, on).await?;
        let minimums = minimum_wages()?;
        let mut out = Vec::new();
        for e in employers {
            let count = |p: &str| {
                counts
                    .iter()
                    .find(|(id, period, _)| *id == e.id && period == p)
                    .map_or(0, |x| x.2)
            };
            let (workers_last, workers_previous) = (count(&last_period), count(&previous_period));
            let minimum_wage = AreaCode::parse(&e.village_code)
                .ok()
                .and_then(|a| minimums.for_area(&a, last_start));
            let below_minimum = minimum_wage.map_or(0, |m| {
                wages.iter().filter(|(id, w)| *id == e.id && *w < m).count() as i64
            });
            let (ever, active_last, workers_ended) = registrations
                .iter()
                .find(|(id, ..)| *id == e.id)
                .map_or((0, 0, 0), |x| (x.1, x.2, x.3));
            // No report is expected of an employer whose every worker had left before the
            // month began; one with no worker registered at all is still flagged.
            let expects_report = ever == 0 || active_last > 0;
            let (overdue_bills, overdue_amount) = overdue
                .iter()
                .find(|(id, ..)| *id == e.id)
                .map_or((0, 0), |x| (x.1, x.2));
            out.push(EmployerFlags {
                missing_report: workers_last == 0 && e.registered_on < this_month && expects_report,
                headcount_drop: tk::headcount_dropped(workers_previous, workers_last),
                employer: e,
                minimum_wage,
                workers_last,
                workers_previous,
                below_minimum,
                overdue_bills,
                overdue_amount,
                workers_ended,
            });
        }
        out.sort_by_key(|f| !f.flagged());
        let (unregistered_count, unregistered) =
            q::unregistered_workers(c, &scope, UNREGISTERED_LISTED).await?;
        self.audit
            .record(
                ctx,
                "tk.compliance.read",
                "employer",
                None,
                match &scope {
                    Scope::Within(a) => Some(a.as_str()),
                    Scope::National => None,
                },
                Some(format!(
                    "employers={} unregistered={unregistered_count}",
                    out.len()
                )),
            )
            .await?;
        Ok(Compliance {
            on,
            last_period,
            previous_period,
            employers: out,
            unregistered_count,
            unregistered,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rate_files_read() {
        assert!(rates().is_ok());
        assert!(minimum_wages().is_ok());
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        assert_eq!(parse_rupiah("5.000.000"), Some(5_000_000));
        assert_eq!(parse_rupiah("Rp 4,750,000"), Some(4_750_000));
        assert_eq!(parse_rupiah("3500000"), Some(3_500_000));
        assert_eq!(parse_rupiah("-1"), None);
        assert_eq!(parse_rupiah("lima juta"), None);
        assert_eq!(parse_rupiah(""), None);
    }

    #[test]
    fn a_wage_file_needs_its_header_and_names_bad_rows_by_line() {
        let ok = parse_wage_csv(
            "nik_or_kpj,wage\n12345678901,5000000\n\n3507011503780001,\"4.000.000\"\n",
        )
        .expect("file");
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].0, 4);
        assert!(matches!(
            parse_wage_csv("name,wage\nx,1\n"),
            Err(Error::Invalid(_))
        ));
        match parse_wage_csv("kpj,upah\n1,2,3\n") {
            Err(Error::Invalid(inv)) => assert_eq!(inv.0[0].field, "rows[2].worker"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_wage_csv("kpj,wage\n"),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn kpj_numbers_have_eleven_digits() {
        let k = new_kpj();
        assert!(tk::parse_kpj(&k).is_ok(), "{k}");
    }
}
