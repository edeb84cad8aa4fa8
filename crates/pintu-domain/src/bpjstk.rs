//! BPJS Ketenagakerjaan (employment social security, PAY-4 and PAY-5): employers (NPP) and
//! their workers (KPJ cards), the monthly contributions — work accident (JKK) by risk class,
//! death (JKM), old-age savings (JHT) and pension (JP, on a capped wage) — and the non-wage
//! workers' (BPU) contributions on their declared income; regional minimum wages; the JHT
//! balance simulation. The numbers are data (`data/tariffs/bpjstk.toml`,
//! `data/tariffs/minimum_wages.toml`), integers in basis points and rupiah.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::area::{AreaCode, AreaLevel};

/// Basis points in a whole: 1 bp = 0.01 %.
const BP: i64 = 10_000;

/// The age at which the JHT balance is paid out (and contributions stop in a simulation).
pub const JHT_AGE: i64 = 56;

/// A headcount drop of at least this share (in percent) of the previous month's reported
/// workers is flagged for inspectors: a sign of workers taken off the report, not off work.
pub const HEADCOUNT_DROP_PERCENT: i64 = 20;

/// Work-accident insurance (JKK), by the enterprise's risk class.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JkkRate {
    pub effective_from: NaiveDate,
    /// 1 (very low) to 5 (very high).
    pub risk_class: i64,
    pub employer_bp: i64,
}

/// Death benefit (JKM).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JkmRate {
    pub effective_from: NaiveDate,
    pub employer_bp: i64,
}

/// A programme paid by the employer and the worker, on the wage up to `wage_cap` if any.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SharedRate {
    pub effective_from: NaiveDate,
    pub employer_bp: i64,
    pub worker_bp: i64,
    #[serde(default)]
    pub wage_cap: Option<i64>,
}

/// Non-wage workers (BPU), on their declared income.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BpuRate {
    pub effective_from: NaiveDate,
    pub jkk_bp: i64,
    /// JKM is a fixed amount a month.
    pub jkm_monthly: i64,
    /// JHT, if the worker chooses it.
    pub jht_bp: i64,
    pub min_income: i64,
}

/// The yearly development return used to simulate a JHT balance.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JhtReturn {
    pub effective_from: NaiveDate,
    pub annual_bp: i64,
}

/// Every BPJS Ketenagakerjaan rate, each with the date it applies from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Rates {
    pub jkk: Vec<JkkRate>,
    pub jkm: Vec<JkmRate>,
    pub jht: Vec<SharedRate>,
    pub jp: Vec<SharedRate>,
    pub bpu: Vec<BpuRate>,
    pub jht_return: Vec<JhtReturn>,
}

/// The entry in force on `on`: the latest whose date is on or before it.
fn in_force<T>(rates: &[T], on: NaiveDate, date: impl Fn(&T) -> NaiveDate) -> Option<&T> {
    rates
        .iter()
        .filter(|r| date(r) <= on)
        .max_by_key(|r| date(r))
}

/// `amount × bp / 10,000`, rounded down to the rupiah.
pub fn share(amount: i64, bp: i64) -> i64 {
    amount.max(0) * bp / BP
}

impl Rates {
    pub fn jkk(&self, risk_class: i64, on: NaiveDate) -> Option<&JkkRate> {
        self.jkk
            .iter()
            .filter(|r| r.risk_class == risk_class && r.effective_from <= on)
            .max_by_key(|r| r.effective_from)
    }

    pub fn jkm(&self, on: NaiveDate) -> Option<&JkmRate> {
        in_force(&self.jkm, on, |r| r.effective_from)
    }

    pub fn jht(&self, on: NaiveDate) -> Option<&SharedRate> {
        in_force(&self.jht, on, |r| r.effective_from)
    }

    pub fn jp(&self, on: NaiveDate) -> Option<&SharedRate> {
        in_force(&self.jp, on, |r| r.effective_from)
    }

    pub fn bpu(&self, on: NaiveDate) -> Option<&BpuRate> {
        in_force(&self.bpu, on, |r| r.effective_from)
    }

    pub fn jht_return(&self, on: NaiveDate) -> Option<&JhtReturn> {
        in_force(&self.jht_return, on, |r| r.effective_from)
    }
}

/// One worker's contribution for a month, per programme and who pays it (rupiah).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Contribution {
    pub wage: i64,
    pub jkk: i64,
    pub jkm: i64,
    pub jht_employer: i64,
    pub jht_worker: i64,
    pub jp_employer: i64,
    pub jp_worker: i64,
    /// The wage JP was counted on (the wage up to the cap; 0 when not in JP).
    pub jp_wage: i64,
}

impl Contribution {
    pub fn employer(&self) -> i64 {
        self.jkk + self.jkm + self.jht_employer + self.jp_employer
    }

    pub fn worker(&self) -> i64 {
        self.jht_worker + self.jp_worker
    }

    pub fn total(&self) -> i64 {
        self.employer() + self.worker()
    }

    pub fn jht(&self) -> i64 {
        self.jht_employer + self.jht_worker
    }

    /// The sum of several workers' contributions.
    pub fn add(&mut self, o: &Contribution) {
        self.wage += o.wage;
        self.jkk += o.jkk;
        self.jkm += o.jkm;
        self.jht_employer += o.jht_employer;
        self.jht_worker += o.jht_worker;
        self.jp_employer += o.jp_employer;
        self.jp_worker += o.jp_worker;
        self.jp_wage += o.jp_wage;
    }
}

/// Why a contribution cannot be computed: a rate is missing on the date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoRate(pub &'static str);

/// A wage worker's contribution for the month starting `on`, at an enterprise of
/// `risk_class`: JKK, JKM and JHT on the whole wage, JP (when `in_jp`: the worker is below
/// pension age) on the wage up to the cap in force.
pub fn contribution(
    rates: &Rates,
    risk_class: i64,
    wage: i64,
    in_jp: bool,
    on: NaiveDate,
) -> Result<Contribution, NoRate> {
    let wage = wage.max(0);
    let jkk = rates.jkk(risk_class, on).ok_or(NoRate("jkk"))?;
    let jkm = rates.jkm(on).ok_or(NoRate("jkm"))?;
    let jht = rates.jht(on).ok_or(NoRate("jht"))?;
    let mut c = Contribution {
        wage,
        jkk: share(wage, jkk.employer_bp),
        jkm: share(wage, jkm.employer_bp),
        jht_employer: share(wage, jht.employer_bp),
        jht_worker: share(wage, jht.worker_bp),
        ..Contribution::default()
    };
    if in_jp {
        let jp = rates.jp(on).ok_or(NoRate("jp"))?;
        let counted = jp.wage_cap.map_or(wage, |cap| wage.min(cap));
        c.jp_wage = counted;
        c.jp_employer = share(counted, jp.employer_bp);
        c.jp_worker = share(counted, jp.worker_bp);
    }
    Ok(c)
}

/// A non-wage worker's (BPU) contribution for a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BpuContribution {
    /// The income counted: the declared income, at least the minimum.
    pub income: i64,
    pub jkk: i64,
    pub jkm: i64,
    pub jht: i64,
    pub total: i64,
}

/// A BPU worker's contribution for the month starting `on`: JKK on the declared income (at
/// least the minimum), JKM a fixed amount, JHT if chosen.
pub fn bpu_contribution(
    rates: &Rates,
    declared_income: i64,
    with_jht: bool,
    on: NaiveDate,
) -> Result<BpuContribution, NoRate> {
    let r = rates.bpu(on).ok_or(NoRate("bpu"))?;
    let income = declared_income.max(r.min_income);
    let jkk = share(income, r.jkk_bp);
    let jht = if with_jht { share(income, r.jht_bp) } else { 0 };
    Ok(BpuContribution {
        income,
        jkk,
        jkm: r.jkm_monthly,
        jht,
        total: jkk + r.jkm_monthly + jht,
    })
}

/// A provincial minimum wage (UMP).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Ump {
    pub province: String,
    pub effective_from: NaiveDate,
    pub monthly: i64,
}

/// A regency's or municipality's minimum wage (UMK), which applies instead of the province's.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Umk {
    pub regency: String,
    pub effective_from: NaiveDate,
    pub monthly: i64,
}

/// The regional minimum wages.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct MinimumWages {
    #[serde(default)]
    pub ump: Vec<Ump>,
    #[serde(default)]
    pub umk: Vec<Umk>,
}

impl MinimumWages {
    /// The minimum wage in force in `area` (any level at or below a regency) on `on`: the
    /// regency's if it has one in force, else the province's; none when neither is known.
    pub fn for_area(&self, area: &AreaCode, on: NaiveDate) -> Option<i64> {
        if let Some(regency) = area.ancestor(AreaLevel::Regency) {
            let umk = self
                .umk
                .iter()
                .filter(|u| u.regency == regency.as_str() && u.effective_from <= on)
                .max_by_key(|u| u.effective_from);
            if let Some(u) = umk {
                return Some(u.monthly);
            }
        }
        let province = area.ancestor(AreaLevel::Province)?;
        self.ump
            .iter()
            .filter(|u| u.province == province.as_str() && u.effective_from <= on)
            .max_by_key(|u| u.effective_from)
            .map(|u| u.monthly)
    }
}

/// A point of a JHT balance simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProjectionPoint {
    /// Months from now.
    pub month: i64,
    pub balance: i64,
}

/// The JHT balance after `months` months: each month the balance earns a twelfth of the yearly
/// return (rounded down to the rupiah), then the month's contribution is added. Returns the
/// balance at the end of every twelfth month and of the last.
pub fn jht_projection(
    balance: i64,
    monthly_contribution: i64,
    annual_bp: i64,
    months: i64,
) -> Vec<ProjectionPoint> {
    let mut b = balance.max(0);
    let mut points = Vec::new();
    for m in 1..=months.max(0) {
        b += b * annual_bp / (BP * 12);
        b += monthly_contribution.max(0);
        if m % 12 == 0 || m == months {
            points.push(ProjectionPoint {
                month: m,
                balance: b,
            });
        }
    }
    points
}

/// Months from `on` until the first of the month after the worker turns `age` (0 if past).
pub fn months_until_age(birth: NaiveDate, on: NaiveDate, age: i64) -> i64 {
    let Some(at) = birth.checked_add_months(Months::new((age.max(0) * 12) as u32)) else {
        return 0;
    };
    let months = (i64::from(at.year()) - i64::from(on.year())) * 12 + i64::from(at.month())
        - i64::from(on.month());
    months.max(0)
}

/// Checks an employer registration number (NPP): eight digits.
pub fn parse_npp(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err("npp_invalid")
    }
}

/// Checks a member card number (KPJ): eleven digits.
pub fn parse_kpj(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    if s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err("kpj_invalid")
    }
}

/// A month `YYYY-MM` and its first day.
pub fn parse_period(s: &str) -> Result<(String, NaiveDate), &'static str> {
    let s = s.trim();
    if s.len() != 7 {
        return Err("period_invalid");
    }
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .map(|d| (d.format("%Y-%m").to_string(), d))
        .map_err(|_| "period_invalid")
}

/// A period's contributions are due on the 15th of the next month.
pub fn due_on(period_start: NaiveDate) -> NaiveDate {
    let next = period_start
        .with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .unwrap_or(period_start);
    next.with_day(15).unwrap_or(next)
}

/// The month before `period_start`'s, as `YYYY-MM`.
pub fn previous_period(period_start: NaiveDate) -> String {
    period_start
        .with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(1)))
        .unwrap_or(period_start)
        .format("%Y-%m")
        .to_string()
}

/// Whether a month's headcount dropped enough from the month before to be flagged.
pub fn headcount_dropped(previous: i64, current: i64) -> bool {
    previous > 0 && (previous - current) * 100 >= HEADCOUNT_DROP_PERCENT * previous
}

/// Why a registration ends: a wage worker left the job, retired or died; a non-wage worker
/// (BPU) stopped, retired or died.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    LeftJob,
    Retired,
    Died,
    Stopped,
}

impl EndReason {
    pub const ALL: [EndReason; 4] = [
        EndReason::LeftJob,
        EndReason::Retired,
        EndReason::Died,
        EndReason::Stopped,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EndReason::LeftJob => "left_job",
            EndReason::Retired => "retired",
            EndReason::Died => "died",
            EndReason::Stopped => "stopped",
        }
    }

    /// The reasons that end a registration of `kind` (`wage` or `bpu`).
    pub fn for_kind(kind: &str) -> Vec<EndReason> {
        EndReason::ALL
            .into_iter()
            .filter(|r| match r {
                EndReason::LeftJob => kind == "wage",
                EndReason::Stopped => kind == "bpu",
                EndReason::Retired | EndReason::Died => true,
            })
            .collect()
    }

    /// The reason `s` if it ends a registration of `kind`.
    pub fn parse(s: &str, kind: &str) -> Result<EndReason, &'static str> {
        let s = s.trim();
        if s.is_empty() {
            return Err("required");
        }
        EndReason::for_kind(kind)
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or("end_reason_invalid")
    }
}

/// Checks the last day of a registration that began on `since`, ending on `until`, with
/// `today` the latest day it may name (an ending is recorded once it happened).
pub fn check_end_date(
    since: NaiveDate,
    until: NaiveDate,
    today: NaiveDate,
) -> Result<NaiveDate, &'static str> {
    if until > today {
        Err("date_in_future")
    } else if until < since {
        Err("end_before_start")
    } else {
        Ok(until)
    }
}

/// The months from `since`'s to `until`'s, oldest first, as (`YYYY-MM`, first day).
pub fn months_between(since: NaiveDate, until: NaiveDate) -> Vec<(String, NaiveDate)> {
    let mut out = Vec::new();
    let Some(mut m) = since.with_day(1) else {
        return out;
    };
    while m <= until {
        out.push((m.format("%Y-%m").to_string(), m));
        match m.checked_add_months(Months::new(1)) {
            Some(next) => m = next,
            None => break,
        }
    }
    out
}

/// Checks an enterprise's risk class for JKK (1 to 5).
pub fn check_risk_class(class: i64) -> Result<i64, &'static str> {
    if (1..=5).contains(&class) {
        Ok(class)
    } else {
        Err("risk_class_invalid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn rates() -> Rates {
        toml::from_str(include_str!("../../../data/tariffs/bpjstk.toml")).expect("toml")
    }

    #[test]
    fn the_shipped_rate_files_read() {
        let r = rates();
        assert_eq!(
            (1..=5)
                .map(|k| r.jkk(k, d("2026-01-01")).map(|x| x.employer_bp))
                .collect::<Vec<_>>(),
            [Some(24), Some(54), Some(89), Some(127), Some(174)]
        );
        assert_eq!(
            r.jht_return(d("2026-01-01")).map(|x| x.annual_bp),
            Some(550)
        );
        let w: MinimumWages =
            toml::from_str(include_str!("../../../data/tariffs/minimum_wages.toml")).expect("toml");
        assert!(
            w.for_area(&AreaCode::parse("35").expect("area"), d("2026-01-01"))
                .is_some()
        );
    }

    #[test]
    fn the_jp_wage_cap_follows_its_dates() {
        let r = rates();
        let cap = |on: &str| r.jp(d(on)).and_then(|x| x.wage_cap);
        assert_eq!(cap("2024-02-29"), Some(9_559_600));
        assert_eq!(cap("2024-03-01"), Some(10_042_300));
        assert_eq!(cap("2025-02-28"), Some(10_042_300));
        assert_eq!(cap("2025-03-01"), Some(10_547_400));
        assert!(r.jp(d("2015-06-30")).is_none());
    }

    #[test]
    fn a_wage_workers_contribution_worked_by_hand() {
        // Wage Rp 5,000,000 at risk class 2 in 2026:
        //   JKK 0.54 % = 27,000; JKM 0.30 % = 15,000;
        //   JHT 3.7 % = 185,000 + 2 % = 100,000; JP 2 % = 100,000 + 1 % = 50,000.
        let c = contribution(&rates(), 2, 5_000_000, true, d("2026-01-01")).expect("rates");
        assert_eq!(
            (
                c.jkk,
                c.jkm,
                c.jht_employer,
                c.jht_worker,
                c.jp_employer,
                c.jp_worker
            ),
            (27_000, 15_000, 185_000, 100_000, 100_000, 50_000)
        );
        assert_eq!(
            (c.employer(), c.worker(), c.total()),
            (327_000, 150_000, 477_000)
        );
    }

    #[test]
    fn jp_is_counted_on_the_capped_wage_and_not_past_pension_age() {
        // Wage Rp 15,000,000 at risk class 5 in November 2025: JP on 10,547,400.
        //   JKK 1.74 % = 261,000; JKM 45,000; JHT 555,000 + 300,000;
        //   JP 2 % × 10,547,400 = 210,948 and 1 % = 105,474.
        let c = contribution(&rates(), 5, 15_000_000, true, d("2025-11-01")).expect("rates");
        assert_eq!(
            (c.jkk, c.jkm, c.jht(), c.jp_wage, c.jp_employer, c.jp_worker),
            (261_000, 45_000, 855_000, 10_547_400, 210_948, 105_474)
        );
        // In February 2025 the cap was still 10,042,300: 200,846 and 100,423.
        let c = contribution(&rates(), 5, 15_000_000, true, d("2025-02-01")).expect("rates");
        assert_eq!((c.jp_employer, c.jp_worker), (200_846, 100_423));
        let old = contribution(&rates(), 5, 15_000_000, false, d("2025-11-01")).expect("rates");
        assert_eq!((old.jp_employer, old.jp_worker, old.jp_wage), (0, 0, 0));
        // Odd amounts are rounded down: 0.24 % of 3,333,333 = 7,999.9992 → 7,999.
        let c = contribution(&rates(), 1, 3_333_333, true, d("2026-01-01")).expect("rates");
        assert_eq!(c.jkk, 7_999);
        assert_eq!(
            contribution(&rates(), 6, 1, true, d("2026-01-01")),
            Err(NoRate("jkk"))
        );
    }

    #[test]
    fn a_non_wage_worker_pays_on_declared_income_with_a_floor() {
        // Declared Rp 2,500,000 with JHT: JKK 25,000, JKM 6,800, JHT 50,000.
        let c = bpu_contribution(&rates(), 2_500_000, true, d("2026-01-01")).expect("rate");
        assert_eq!(
            (c.jkk, c.jkm, c.jht, c.total),
            (25_000, 6_800, 50_000, 81_800)
        );
        // Declared Rp 600,000: counted at the minimum Rp 1,000,000; no JHT.
        let c = bpu_contribution(&rates(), 600_000, false, d("2026-01-01")).expect("rate");
        assert_eq!(
            (c.income, c.jkk, c.jht, c.total),
            (1_000_000, 10_000, 0, 16_800)
        );
    }

    #[test]
    fn a_regency_minimum_wage_overrides_the_provinces() {
        let w = MinimumWages {
            ump: vec![
                Ump {
                    province: "35".into(),
                    effective_from: d("2024-01-01"),
                    monthly: 2_165_244,
                },
                Ump {
                    province: "35".into(),
                    effective_from: d("2025-01-01"),
                    monthly: 2_305_985,
                },
            ],
            umk: vec![Umk {
                regency: "35.07".into(),
                effective_from: d("2025-01-01"),
                monthly: 3_553_530,
            }],
        };
        let area = |s: &str| AreaCode::parse(s).expect("area");
        assert_eq!(
            w.for_area(&area("35.07.01.2001"), d("2025-06-01")),
            Some(3_553_530)
        );
        // Before the UMK applied, the province's of its year.
        assert_eq!(
            w.for_area(&area("35.07.01.2001"), d("2024-06-01")),
            Some(2_165_244)
        );
        assert_eq!(w.for_area(&area("35.08"), d("2025-06-01")), Some(2_305_985));
        assert_eq!(w.for_area(&area("32.01"), d("2025-06-01")), None);
    }

    #[test]
    fn a_jht_balance_compounds_monthly() {
        // 6 % a year is 0.5 % a month: 1,000,000 → 1,005,000 + 100,000 = 1,105,000;
        // → 1,105,000 + 5,525 + 100,000 = 1,210,525.
        let p = jht_projection(1_000_000, 100_000, 600, 2);
        assert_eq!(
            p,
            vec![ProjectionPoint {
                month: 2,
                balance: 1_210_525
            }]
        );
        // Without a return, twelve contributions of 285,000 on nothing.
        let p = jht_projection(0, 285_000, 0, 24);
        assert_eq!(
            p.iter().map(|x| (x.month, x.balance)).collect::<Vec<_>>(),
            [(12, 3_420_000), (24, 6_840_000)]
        );
        assert!(jht_projection(5, 5, 550, 0).is_empty());
    }

    #[test]
    fn months_until_the_jht_age_are_counted_from_the_month() {
        assert_eq!(months_until_age(d("1990-08-17"), d("2026-01-10"), 56), 247);
        assert_eq!(months_until_age(d("1960-01-01"), d("2026-01-10"), 56), 0);
    }

    #[test]
    fn numbers_periods_and_due_dates_are_checked() {
        assert_eq!(parse_npp(" 12345678 "), Ok("12345678".into()));
        assert_eq!(parse_npp("1234567"), Err("npp_invalid"));
        assert_eq!(parse_npp("1234567a"), Err("npp_invalid"));
        assert_eq!(parse_kpj("12345678901"), Ok("12345678901".into()));
        assert_eq!(parse_kpj("1234567890"), Err("kpj_invalid"));
        assert_eq!(parse_period("2026-02").map(|p| p.1), Ok(d("2026-02-01")));
        assert_eq!(parse_period("2026-13"), Err("period_invalid"));
        assert_eq!(parse_period("2026-1"), Err("period_invalid"));
        assert_eq!(due_on(d("2026-12-01")), d("2027-01-15"));
        assert_eq!(previous_period(d("2026-01-01")), "2025-12");
        assert_eq!(check_risk_class(0), Err("risk_class_invalid"));
    }

    #[test]
    fn a_registration_ends_for_a_reason_of_its_kind_on_a_day_it_covers() {
        assert_eq!(EndReason::parse("left_job", "wage"), Ok(EndReason::LeftJob));
        assert_eq!(
            EndReason::parse("stopped", "wage"),
            Err("end_reason_invalid")
        );
        assert_eq!(EndReason::parse("stopped", "bpu"), Ok(EndReason::Stopped));
        assert_eq!(EndReason::parse("died", "bpu"), Ok(EndReason::Died));
        assert_eq!(EndReason::parse(" ", "bpu"), Err("required"));
        let (since, today) = (d("2025-01-10"), d("2026-01-10"));
        assert_eq!(
            check_end_date(since, d("2025-01-10"), today),
            Ok(d("2025-01-10"))
        );
        assert_eq!(
            check_end_date(since, d("2025-01-09"), today),
            Err("end_before_start")
        );
        assert_eq!(
            check_end_date(since, d("2026-01-11"), today),
            Err("date_in_future")
        );
    }

    #[test]
    fn the_months_of_a_registration_are_listed_from_its_first() {
        let m = months_between(d("2025-11-20"), d("2026-01-01"));
        assert_eq!(
            m.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
            ["2025-11", "2025-12", "2026-01"]
        );
        assert!(months_between(d("2026-02-01"), d("2026-01-31")).is_empty());
    }

    #[test]
    fn a_fifth_fewer_workers_is_a_headcount_drop() {
        assert!(headcount_dropped(10, 8));
        assert!(!headcount_dropped(10, 9));
        assert!(!headcount_dropped(0, 0));
        assert!(headcount_dropped(5, 0));
        assert!(!headcount_dropped(4, 6));
    }
}
