//! JKN (national health insurance, BPJS Kesehatan) and BPJS Ketenagakerjaan (MAT-6): the
//! membership segment a person should have, its monthly contribution and who pays it, and the
//! employment-injury, death, old-age and pension programmes a worker should be in.
//!
//! Segments: PBI-APBN and PBI-APBD (contribution assistance, paid by the state or the region),
//! PPU (wage earners: a share of the wage, mostly paid by the employer), PBPU (informal
//! workers and others who pay themselves, by class), BP (not working: pensioners and
//! others with means). The rates are data ([`Tariffs`], `data/tariffs/jkn.toml`).

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::complaints::codes;
use crate::rules::{PersonFacts, Subjects, age_on};

codes! {
    /// A JKN membership's segment (who pays the contribution).
    Segment {
        PbiApbn = "PBI-APBN",
        PbiApbd = "PBI-APBD",
        Ppu = "PPU",
        Pbpu = "PBPU",
        Bp = "BP",
    }
}

codes! {
    /// Where a membership stands.
    MemberStatus {
        Active = "active",
        /// Contributions in arrears: no cover until they are paid.
        Suspended = "suspended",
        Inactive = "inactive",
    }
}

codes! {
    /// Why a member may change their primary care provider (FKTP) before three months.
    FktpException {
        MovedHouse = "moved_house",
        OfficialAssignment = "official_assignment",
    }
}

/// Months a member stays with a primary care provider before they may change it.
pub const FKTP_MONTHS: u32 = 3;

impl Segment {
    /// PBI members are in class 3, paid by the state or the region.
    pub fn fixed_class(self) -> Option<i64> {
        match self {
            Segment::PbiApbn | Segment::PbiApbd => Some(3),
            _ => None,
        }
    }
}

/// The first day of the month after `d`.
pub fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    let first = d.with_day(1).unwrap_or(d);
    first.checked_add_months(Months::new(1)).unwrap_or(first)
}

/// When a change of FKTP asked for on `today` takes effect: the 1st of the next month, once
/// the member has been with the current one since `since` for three months, or sooner with
/// an exception (a move, an official assignment). Otherwise the code of why not.
pub fn fktp_change_effective(
    since: NaiveDate,
    today: NaiveDate,
    exception: Option<FktpException>,
) -> Result<NaiveDate, &'static str> {
    let allowed_from = since
        .checked_add_months(Months::new(FKTP_MONTHS))
        .unwrap_or(since);
    if exception.is_none() && today < allowed_from {
        return Err("fktp_change_too_soon");
    }
    Ok(first_of_next_month(today))
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PbpuRate {
    pub effective_from: NaiveDate,
    pub class: i64,
    pub monthly: i64,
    /// The part the government pays.
    pub subsidy: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PpuRate {
    pub effective_from: NaiveDate,
    /// Shares of the wage, in thousandths.
    pub employer_per_mille: i64,
    pub worker_per_mille: i64,
    pub wage_cap: i64,
    /// People one worker's contribution covers (the worker included).
    pub family_size: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PbiRate {
    pub effective_from: NaiveDate,
    pub monthly: i64,
}

/// The penalty for in-patient care soon after a membership is reactivated.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DendaRule {
    pub effective_from: NaiveDate,
    /// The share of the case's estimated tariff per month in arrears, in thousandths.
    pub per_mille: i64,
    pub max_months: i64,
    pub cap: i64,
    pub days_after_reactivation: i64,
}

/// The contribution rates, each with the date it applies from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Tariffs {
    pub pbpu: Vec<PbpuRate>,
    pub ppu: Vec<PpuRate>,
    pub pbi: Vec<PbiRate>,
    #[serde(default)]
    pub denda: Vec<DendaRule>,
    /// What each payment channel charges for collecting.
    #[serde(default)]
    pub fee: Vec<crate::payments::ChannelFee>,
}

/// What the penalty comes to for one in-patient case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denda {
    /// Whether the case falls within the days after reactivation the penalty applies to.
    pub applies: bool,
    /// The months in arrears counted (at most the rule's maximum).
    pub months_counted: i64,
    /// In rupiah, after the cap.
    pub amount: i64,
    pub capped: bool,
}

/// The penalty for an in-patient case admitted on `admitted_on`, of estimated tariff
/// `case_tariff`, for a membership reactivated on `reactivated_on` after `months` in arrears.
pub fn denda(
    rule: &DendaRule,
    case_tariff: i64,
    months: i64,
    reactivated_on: NaiveDate,
    admitted_on: NaiveDate,
) -> Denda {
    let days = (admitted_on - reactivated_on).num_days();
    let applies = (0..=rule.days_after_reactivation).contains(&days) && months > 0;
    if !applies {
        return Denda {
            applies: false,
            months_counted: 0,
            amount: 0,
            capped: false,
        };
    }
    let months_counted = months.min(rule.max_months);
    let full = case_tariff.max(0) * rule.per_mille * months_counted / 1000;
    Denda {
        applies,
        months_counted,
        amount: full.min(rule.cap),
        capped: full > rule.cap,
    }
}

/// The entry in force on `on`: the latest whose date is on or before it.
fn in_force<T>(rates: &[T], on: NaiveDate, date: impl Fn(&T) -> NaiveDate) -> Option<&T> {
    rates
        .iter()
        .filter(|r| date(r) <= on)
        .max_by_key(|r| date(r))
}

impl Tariffs {
    pub fn pbpu(&self, class: i64, on: NaiveDate) -> Option<&PbpuRate> {
        self.pbpu
            .iter()
            .filter(|r| r.class == class && r.effective_from <= on)
            .max_by_key(|r| r.effective_from)
    }

    pub fn ppu(&self, on: NaiveDate) -> Option<&PpuRate> {
        in_force(&self.ppu, on, |r| r.effective_from)
    }

    pub fn denda(&self, on: NaiveDate) -> Option<&DendaRule> {
        in_force(&self.denda, on, |r| r.effective_from)
    }

    pub fn pbi(&self, on: NaiveDate) -> Option<&PbiRate> {
        in_force(&self.pbi, on, |r| r.effective_from)
    }
}

/// One wage earner's JKN contribution (PPU) for a month, in rupiah.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PpuContribution {
    /// The wage counted: the wage reported, raised to the regional minimum wage and
    /// lowered to the cap.
    pub counted: i64,
    pub employer: i64,
    /// Withheld from the worker's pay by the employer, who pays it over with its own share.
    pub worker: i64,
}

impl PpuContribution {
    pub fn total(&self) -> i64 {
        self.employer + self.worker
    }
}

/// A wage earner's PPU contribution for the month starting `on`, at the rate in force then:
/// each share is its thousandths of the wage counted — `min(cap, max(minimum, wage))`, the
/// regional minimum wage where one is known — rounded down to the rupiah on its own (as the
/// BPJS Ketenagakerjaan shares are), so a bill is the sum of its workers' rounded shares.
/// None when no PPU rate is in force on `on`.
pub fn ppu_contribution(
    tariffs: &Tariffs,
    wage: i64,
    minimum_wage: Option<i64>,
    on: NaiveDate,
) -> Option<PpuContribution> {
    let rate = tariffs.ppu(on)?;
    let counted = wage
        .max(minimum_wage.unwrap_or(0))
        .max(0)
        .min(rate.wage_cap);
    Some(PpuContribution {
        counted,
        employer: counted * rate.employer_per_mille / 1000,
        worker: counted * rate.worker_per_mille / 1000,
    })
}

/// The virtual account of an employer's JKN (PPU) bill for the month starting
/// `period_start`: `8887`, the NPP (8 digits) and `YYYYMM`. Eighteen digits like the family
/// accounts (`88888…`) and the BPJS Ketenagakerjaan bills (`8889…`), and apart from both by
/// its first four: `8888` followed by an NPP starting `8000` could be a family's account.
pub fn ppu_va_number(npp: &str, period_start: NaiveDate) -> String {
    format!("8887{npp}{}", period_start.format("%Y%m"))
}

/// An employer's JKN (PPU) bill for a month is due on the 10th of the next month: the month
/// is billed on its wage report, made once the month is over.
pub fn ppu_due_on(period_start: NaiveDate) -> NaiveDate {
    let next = first_of_next_month(period_start);
    next.with_day(10).unwrap_or(next)
}

/// Where the person stands on the contribution-assistance lists of the latest matching run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PbiStanding {
    /// Selected (or added by the forum) on the PBI-JK list: the state pays.
    pub national: bool,
    /// Selected (or added) on the Jamkesda list: the region pays.
    pub regional: bool,
    /// On a waiting list of either.
    pub waiting: bool,
}

/// The segment a person should have and what it costs each month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JknAdvice {
    /// `PBI-APBN`, `PBI-APBD`, `PPU`, `PBPU` or `BP`; none when a fact is missing.
    pub segment: Option<String>,
    pub class: Option<i64>,
    /// The contribution for this person, in rupiah, and who pays it.
    pub monthly: i64,
    pub member_pays: i64,
    pub employer_pays: i64,
    pub government_pays: i64,
    /// Covered as a family member of the household's wage earner (no contribution of their own).
    pub as_family_member: bool,
    pub because_id: String,
    pub because_en: String,
}

/// BPJS Ketenagakerjaan programmes: work injury, death, old-age savings, pension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BpjsTkAdvice {
    /// Of `JKK`, `JKM`, `JHT`, `JP`.
    pub programmes: Vec<String>,
    pub because_id: String,
    pub because_en: String,
}

fn is_head(p: &PersonFacts) -> bool {
    p.relationship
        .as_deref()
        .is_none_or(|r| r == "KEPALA KELUARGA")
}

fn works(p: &PersonFacts) -> bool {
    matches!(
        p.employment_status.as_deref(),
        Some("FORMAL") | Some("INFORMAL")
    )
}

fn rp(n: i64) -> String {
    format!("Rp {}", crate::rules::group(n, '.'))
}

/// The JKN segment `s.person` should have on `on`.
pub fn jkn_advice(s: &Subjects, pbi: PbiStanding, tariffs: &Tariffs, on: NaiveDate) -> JknAdvice {
    let p = &s.person;
    let none = |id: &str, en: &str| JknAdvice {
        segment: None,
        class: None,
        monthly: 0,
        member_pays: 0,
        employer_pays: 0,
        government_pays: 0,
        as_family_member: false,
        because_id: id.to_string(),
        because_en: en.to_string(),
    };
    if pbi.national || pbi.regional {
        let monthly = tariffs.pbi(on).map_or(0, |r| r.monthly);
        let (segment, id, en) = if pbi.national {
            (
                "PBI-APBN",
                "terpilih dalam daftar PBI-JK: iuran dibayar negara",
                "selected on the PBI-JK list: the state pays",
            )
        } else {
            (
                "PBI-APBD",
                "terpilih dalam daftar Jamkesda: iuran dibayar pemerintah daerah",
                "selected on the Jamkesda list: the region pays",
            )
        };
        return JknAdvice {
            segment: Some(segment.into()),
            class: Some(3),
            monthly,
            member_pays: 0,
            employer_pays: 0,
            government_pays: monthly,
            as_family_member: false,
            because_id: id.into(),
            because_en: en.into(),
        };
    }
    // A spouse or child who does not work is covered through the household's wage earner, if
    // there is one (PPU covers the family).
    let earner = s
        .members
        .iter()
        .find(|m| m.employment_status.as_deref() == Some("FORMAL") && is_head(m));
    let dependant = !is_head(p) && !works(p);
    if dependant
        && let Some(e) = earner
        && e != p
    {
        return JknAdvice {
            segment: Some("PPU".into()),
            class: None,
            monthly: 0,
            member_pays: 0,
            employer_pays: 0,
            government_pays: 0,
            as_family_member: true,
            because_id: "anggota keluarga pekerja penerima upah: ditanggung iuran kepala keluarga"
                .into(),
            because_en: "family member of a wage earner: covered by the head's contribution".into(),
        };
    }
    let class = p.jkn_class.filter(|c| (1..=3).contains(c)).unwrap_or(3);
    let pbpu = |id: String, en: String| match tariffs.pbpu(class, on) {
        Some(r) => JknAdvice {
            segment: Some("PBPU".into()),
            class: Some(class),
            monthly: r.monthly,
            member_pays: r.monthly - r.subsidy,
            employer_pays: 0,
            government_pays: r.subsidy,
            as_family_member: false,
            because_id: id,
            because_en: en,
        },
        None => none("tarif PBPU tidak tersedia", "no PBPU tariff in force"),
    };
    let waiting = if pbi.waiting {
        (
            " (menunggu kuota PBI)".to_string(),
            " (on the waiting list for PBI)".to_string(),
        )
    } else {
        (String::new(), String::new())
    };
    match p.employment_status.as_deref() {
        Some("FORMAL") => {
            let Some(rate) = tariffs.ppu(on) else {
                return none("tarif PPU tidak tersedia", "no PPU tariff in force");
            };
            let Some(wage) = p.monthly_income else {
                return none(
                    "pekerja penerima upah, tetapi upahnya tidak diketahui",
                    "a wage earner whose wage is unknown",
                );
            };
            // The advice does not know the regional minimum wage: the wage as surveyed.
            let k = ppu_contribution(tariffs, wage, None, on).unwrap_or_default();
            JknAdvice {
                segment: Some("PPU".into()),
                class: Some(if k.counted > 4_000_000 { 1 } else { 2 }),
                monthly: k.total(),
                member_pays: k.worker,
                employer_pays: k.employer,
                government_pays: 0,
                as_family_member: false,
                because_id: format!(
                    "pekerja penerima upah: {}‰ dari upah {} (paling banyak {})",
                    rate.employer_per_mille + rate.worker_per_mille,
                    rp(wage),
                    rp(rate.wage_cap)
                ),
                because_en: format!(
                    "wage earner: {}‰ of the wage {} (counted up to {})",
                    rate.employer_per_mille + rate.worker_per_mille,
                    rp(wage),
                    rp(rate.wage_cap)
                ),
            }
        }
        Some("INFORMAL") => pbpu(
            format!("pekerja bukan penerima upah, kelas {class}{}", waiting.0),
            format!("informal worker, class {class}{}", waiting.1),
        ),
        Some("PENSIUN") => {
            let mut a = pbpu(
                format!("bukan pekerja (pensiunan), kelas {class}"),
                format!("not working (pensioner), class {class}"),
            );
            a.segment = Some("BP".into());
            a
        }
        Some(_) => pbpu(
            format!(
                "tidak bekerja: membayar sendiri, kelas {class}{}",
                waiting.0
            ),
            format!("not working: pays their own, class {class}{}", waiting.1),
        ),
        None if p.birth_date.is_some_and(|b| age_on(b, on) < 18) => pbpu(
            format!(
                "anak: didaftarkan bersama keluarga, kelas {class}{}",
                waiting.0
            ),
            format!(
                "a child: registered with the family, class {class}{}",
                waiting.1
            ),
        ),
        None => none(
            "status pekerjaan tidak diketahui (tidak ada data DTKS)",
            "employment status unknown (no DTKS survey)",
        ),
    }
}

/// The BPJS Ketenagakerjaan programmes `p` should be in as a worker on `on`: a wage earner
/// in work injury (JKK), death (JKM), old-age savings (JHT) and, before pension age, pension
/// (JP); an informal worker in JKK and JKM (JHT voluntary); nobody else.
pub fn bpjs_tk_advice(p: &PersonFacts, on: NaiveDate) -> BpjsTkAdvice {
    let age = p.birth_date.map(|b| age_on(b, on));
    let of_age = age.is_some_and(|a| a >= 15);
    match (p.employment_status.as_deref(), of_age) {
        (Some("FORMAL"), true) => {
            let mut programmes = vec!["JKK".to_string(), "JKM".into(), "JHT".into()];
            let pension = age.is_some_and(|a| a < PENSION_AGE);
            if pension {
                programmes.push("JP".into());
            }
            BpjsTkAdvice {
                programmes,
                because_id: if pension {
                    "pekerja penerima upah: JKK, JKM, JHT dan JP".into()
                } else {
                    format!(
                        "pekerja penerima upah berumur {PENSION_AGE} tahun ke atas: JKK, JKM dan JHT"
                    )
                },
                because_en: if pension {
                    "wage earner: JKK, JKM, JHT and JP".into()
                } else {
                    format!("wage earner aged {PENSION_AGE} or more: JKK, JKM and JHT")
                },
            }
        }
        (Some("INFORMAL"), true) => BpjsTkAdvice {
            programmes: vec!["JKK".into(), "JKM".into()],
            because_id: "pekerja bukan penerima upah: JKK dan JKM (JHT sukarela)".into(),
            because_en: "informal worker: JKK and JKM (JHT voluntary)".into(),
        },
        (None, _) => BpjsTkAdvice {
            programmes: Vec::new(),
            because_id: "status pekerjaan tidak diketahui".into(),
            because_en: "employment status unknown".into(),
        },
        _ => BpjsTkAdvice {
            programmes: Vec::new(),
            because_id: "tidak bekerja".into(),
            because_en: "not working".into(),
        },
    }
}

/// The age from which a worker no longer joins the pension programme (JP).
pub const PENSION_AGE: i64 = 58;

#[cfg(test)]
mod tests {
    use super::*;

    fn tariffs() -> Tariffs {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        Tariffs {
            pbpu: vec![
                PbpuRate {
                    effective_from: d(2020, 7, 1),
                    class: 1,
                    monthly: 150_000,
                    subsidy: 0,
                },
                PbpuRate {
                    effective_from: d(2020, 7, 1),
                    class: 2,
                    monthly: 100_000,
                    subsidy: 0,
                },
                PbpuRate {
                    effective_from: d(2020, 7, 1),
                    class: 3,
                    monthly: 42_000,
                    subsidy: 16_500,
                },
                PbpuRate {
                    effective_from: d(2021, 1, 1),
                    class: 3,
                    monthly: 42_000,
                    subsidy: 7_000,
                },
            ],
            denda: Vec::new(),
            fee: Vec::new(),
            ppu: vec![PpuRate {
                effective_from: d(2020, 10, 1),
                employer_per_mille: 40,
                worker_per_mille: 10,
                wage_cap: 12_000_000,
                family_size: 5,
            }],
            pbi: vec![PbiRate {
                effective_from: d(2020, 1, 1),
                monthly: 42_000,
            }],
        }
    }

    fn on() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
    }

    fn person(work: Option<&str>, income: Option<i64>, relationship: &str) -> PersonFacts {
        PersonFacts {
            birth_date: NaiveDate::from_ymd_opt(1980, 1, 1),
            sex: "L".into(),
            village: "35.07.01.2001".into(),
            relationship: Some(relationship.into()),
            employment_status: work.map(str::to_string),
            monthly_income: income,
            ..PersonFacts::default()
        }
    }

    fn alone(p: PersonFacts) -> Subjects {
        Subjects {
            person: p.clone(),
            members: vec![p],
        }
    }

    #[test]
    fn the_shipped_tariff_file_reads() {
        let t: Tariffs =
            toml::from_str(include_str!("../../../data/tariffs/jkn.toml")).expect("toml");
        assert_eq!(
            t.pbpu(3, on()).map(|r| (r.monthly, r.subsidy)),
            Some((42_000, 7_000))
        );
        assert_eq!(t.pbpu(1, on()).map(|r| r.monthly), Some(150_000));
        assert_eq!(t.ppu(on()).map(|r| r.wage_cap), Some(12_000_000));
    }

    #[test]
    fn rates_in_force_follow_their_dates() {
        let t = tariffs();
        let before = NaiveDate::from_ymd_opt(2020, 12, 31).expect("date");
        assert_eq!(t.pbpu(3, before).map(|r| r.subsidy), Some(16_500));
        assert_eq!(t.pbpu(3, on()).map(|r| r.subsidy), Some(7_000));
        assert!(
            t.pbpu(3, NaiveDate::from_ymd_opt(2019, 1, 1).expect("date"))
                .is_none()
        );
    }

    #[test]
    fn the_state_pays_for_people_selected_for_pbi() {
        let a = jkn_advice(
            &alone(person(Some("INFORMAL"), None, "KEPALA KELUARGA")),
            PbiStanding {
                national: true,
                ..Default::default()
            },
            &tariffs(),
            on(),
        );
        assert_eq!(
            (a.segment.as_deref(), a.government_pays, a.member_pays),
            (Some("PBI-APBN"), 42_000, 0)
        );
        let a = jkn_advice(
            &alone(person(None, None, "ANAK")),
            PbiStanding {
                regional: true,
                ..Default::default()
            },
            &tariffs(),
            on(),
        );
        assert_eq!(a.segment.as_deref(), Some("PBI-APBD"));
    }

    #[test]
    fn a_wage_earner_pays_five_percent_of_a_capped_wage_and_covers_the_family() {
        let head = person(Some("FORMAL"), Some(20_000_000), "KEPALA KELUARGA");
        let a = jkn_advice(
            &alone(head.clone()),
            PbiStanding::default(),
            &tariffs(),
            on(),
        );
        assert_eq!(
            (
                a.segment.as_deref(),
                a.monthly,
                a.employer_pays,
                a.member_pays
            ),
            (Some("PPU"), 600_000, 480_000, 120_000)
        );
        let wife = person(Some("TIDAK BEKERJA"), None, "ISTRI");
        let family = Subjects {
            person: wife.clone(),
            members: vec![head, wife],
        };
        let a = jkn_advice(&family, PbiStanding::default(), &tariffs(), on());
        assert!(a.as_family_member);
        assert_eq!((a.segment.as_deref(), a.monthly), (Some("PPU"), 0));
    }

    #[test]
    fn a_ppu_contribution_counts_the_wage_between_the_minimum_wage_and_the_cap() {
        // (wage, minimum wage) → (counted, employer 4 %, worker 1 %), worked by hand.
        let cases = [
            // Below the minimum wage: counted at Rp 3,553,530; 4 % = 142,141.2 and
            // 1 % = 35,535.3, each rounded down.
            (2_000_000, Some(3_553_530), (3_553_530, 142_141, 35_535)),
            // Above the cap: counted at Rp 12,000,000.
            (15_000_000, Some(3_553_530), (12_000_000, 480_000, 120_000)),
            // In between: the wage itself; 4 % of 5,123,457 = 204,938.28, 1 % = 51,234.57.
            (5_123_457, Some(3_553_530), (5_123_457, 204_938, 51_234)),
            // No minimum wage known for the area: the wage as reported.
            (2_000_000, None, (2_000_000, 80_000, 20_000)),
            // A minimum above the cap still stops at the cap.
            (1_000_000, Some(13_000_000), (12_000_000, 480_000, 120_000)),
        ];
        for (wage, minimum, (counted, employer, worker)) in cases {
            let k = ppu_contribution(&tariffs(), wage, minimum, on()).expect("rate");
            assert_eq!(
                (k.counted, k.employer, k.worker, k.total()),
                (counted, employer, worker, employer + worker),
                "{wage} {minimum:?}"
            );
        }
    }

    #[test]
    fn no_ppu_contribution_before_a_rate_is_in_force() {
        let before = NaiveDate::from_ymd_opt(2020, 9, 30).expect("date");
        assert_eq!(ppu_contribution(&tariffs(), 5_000_000, None, before), None);
    }

    #[test]
    fn a_ppu_bill_is_due_on_the_tenth_of_the_next_month_on_its_own_account() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(ppu_due_on(d("2026-11-01")), d("2026-12-10"));
        assert_eq!(ppu_due_on(d("2026-12-01")), d("2027-01-10"));
        assert_eq!(
            ppu_va_number("35070001", d("2026-11-01")),
            "888735070001202611"
        );
    }

    #[test]
    fn informal_workers_pay_their_class_with_the_class_three_subsidy() {
        let a = jkn_advice(
            &alone(person(Some("INFORMAL"), Some(900_000), "KEPALA KELUARGA")),
            PbiStanding {
                waiting: true,
                ..Default::default()
            },
            &tariffs(),
            on(),
        );
        assert_eq!(
            (
                a.segment.as_deref(),
                a.class,
                a.member_pays,
                a.government_pays
            ),
            (Some("PBPU"), Some(3), 35_000, 7_000)
        );
        assert!(a.because_en.contains("waiting list"));
        let unknown = jkn_advice(
            &alone(person(None, None, "KEPALA KELUARGA")),
            PbiStanding::default(),
            &tariffs(),
            on(),
        );
        assert_eq!(unknown.segment, None);
    }

    #[test]
    fn workers_get_the_bpjs_tk_programmes_of_their_kind_of_work() {
        assert_eq!(
            bpjs_tk_advice(&person(Some("FORMAL"), None, "ANAK"), on()).programmes,
            vec!["JKK", "JKM", "JHT", "JP"]
        );
        let mut old = person(Some("FORMAL"), None, "ANAK");
        old.birth_date = NaiveDate::from_ymd_opt(1960, 1, 1);
        assert_eq!(
            bpjs_tk_advice(&old, on()).programmes,
            vec!["JKK", "JKM", "JHT"]
        );
        assert_eq!(
            bpjs_tk_advice(&person(Some("INFORMAL"), None, "ANAK"), on()).programmes,
            vec!["JKK", "JKM"]
        );
        assert!(
            bpjs_tk_advice(&person(Some("PELAJAR"), None, "ANAK"), on())
                .programmes
                .is_empty()
        );
    }
}

#[cfg(test)]
mod membership_tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn an_fktp_changes_after_three_months_from_the_first_of_the_next_month() {
        assert_eq!(
            fktp_change_effective(d("2026-01-15"), d("2026-04-14"), None),
            Err("fktp_change_too_soon")
        );
        assert_eq!(
            fktp_change_effective(d("2026-01-15"), d("2026-04-15"), None),
            Ok(d("2026-05-01"))
        );
        // Month ends and the turn of the year.
        assert_eq!(
            fktp_change_effective(d("2025-11-30"), d("2026-02-28"), None),
            Ok(d("2026-03-01"))
        );
        assert_eq!(
            fktp_change_effective(d("2026-08-31"), d("2026-12-31"), None),
            Ok(d("2027-01-01"))
        );
        // A move lets the member change at once, still from the next month.
        assert_eq!(
            fktp_change_effective(
                d("2026-06-01"),
                d("2026-06-02"),
                Some(FktpException::MovedHouse)
            ),
            Ok(d("2026-07-01"))
        );
    }

    #[test]
    fn the_fktp_rule_holds_at_its_edges() {
        use FktpException::{MovedHouse, OfficialAssignment};
        // (with the FKTP since, asked on, exception) → takes effect on, or why not
        let cases = [
            // Exactly three months, and the day before.
            ("2026-03-10", "2026-06-10", None, Ok("2026-07-01")),
            (
                "2026-03-10",
                "2026-06-09",
                None,
                Err("fktp_change_too_soon"),
            ),
            // 31 January + three months is 30 April (there is no 31 April).
            ("2026-01-31", "2026-04-30", None, Ok("2026-05-01")),
            (
                "2026-01-31",
                "2026-04-29",
                None,
                Err("fktp_change_too_soon"),
            ),
            // 31 August + three months is 30 November.
            ("2026-08-31", "2026-11-30", None, Ok("2026-12-01")),
            (
                "2026-08-31",
                "2026-11-29",
                None,
                Err("fktp_change_too_soon"),
            ),
            // Leap years: 30 November 2023 + three months is 29 February 2024, and
            // 29 February + three months is 29 May.
            ("2023-11-30", "2024-02-29", None, Ok("2024-03-01")),
            (
                "2023-11-30",
                "2024-02-28",
                None,
                Err("fktp_change_too_soon"),
            ),
            ("2024-02-29", "2024-05-29", None, Ok("2024-06-01")),
            (
                "2024-02-29",
                "2024-05-28",
                None,
                Err("fktp_change_too_soon"),
            ),
            // Asked on the first of a month: from the first of the next, not that day.
            ("2026-01-01", "2026-05-01", None, Ok("2026-06-01")),
            // December into January of the next year, with and without an exception.
            ("2026-09-01", "2026-12-01", None, Ok("2027-01-01")),
            ("2026-09-30", "2026-12-31", None, Ok("2027-01-01")),
            (
                "2026-10-01",
                "2026-12-31",
                None,
                Err("fktp_change_too_soon"),
            ),
            (
                "2026-10-01",
                "2026-12-31",
                Some(OfficialAssignment),
                Ok("2027-01-01"),
            ),
            // An exception allows a change on the day of joining, still from next month.
            (
                "2026-06-15",
                "2026-06-15",
                Some(MovedHouse),
                Ok("2026-07-01"),
            ),
            (
                "2026-06-15",
                "2026-06-30",
                Some(OfficialAssignment),
                Ok("2026-07-01"),
            ),
            // An exception after three months changes nothing.
            (
                "2026-01-15",
                "2026-05-20",
                Some(MovedHouse),
                Ok("2026-06-01"),
            ),
        ];
        for (since, today, exception, want) in cases {
            assert_eq!(
                fktp_change_effective(d(since), d(today), exception),
                want.map(d),
                "since {since}, asked {today}, {exception:?}"
            );
        }
        assert_eq!(first_of_next_month(d("2026-12-31")), d("2027-01-01"));
        assert_eq!(first_of_next_month(d("2024-02-29")), d("2024-03-01"));
        assert_eq!(first_of_next_month(d("2026-01-01")), d("2026-02-01"));
    }

    #[test]
    fn the_denda_follows_the_rule_in_a_table_of_cases() {
        let rule = DendaRule {
            effective_from: d("2020-07-01"),
            per_mille: 50,
            max_months: 12,
            cap: 30_000_000,
            days_after_reactivation: 45,
        };
        // (case tariff, months in arrears, reactivated, admitted) → (applies, months, amount, capped)
        let cases = [
            // 5 % × 10,000,000 × 3 months
            (
                10_000_000,
                3,
                "2026-03-01",
                "2026-03-10",
                (true, 3, 1_500_000, false),
            ),
            // the 45th day still counts, the 46th not
            (
                10_000_000,
                3,
                "2026-03-01",
                "2026-04-15",
                (true, 3, 1_500_000, false),
            ),
            (
                10_000_000,
                3,
                "2026-03-01",
                "2026-04-16",
                (false, 0, 0, false),
            ),
            // admitted before reactivation: not this rule
            (
                10_000_000,
                3,
                "2026-03-01",
                "2026-02-28",
                (false, 0, 0, false),
            ),
            // at most 12 months: 5 % × 20,000,000 × 12 = 12,000,000
            (
                20_000_000,
                24,
                "2026-03-01",
                "2026-03-02",
                (true, 12, 12_000_000, false),
            ),
            // capped at 30,000,000: 5 % × 80,000,000 × 12 = 48,000,000
            (
                80_000_000,
                12,
                "2026-03-01",
                "2026-03-02",
                (true, 12, 30_000_000, true),
            ),
            // no arrears, no penalty
            (
                10_000_000,
                0,
                "2026-03-01",
                "2026-03-02",
                (false, 0, 0, false),
            ),
        ];
        for (tariff, months, re, ad, (applies, counted, amount, capped)) in cases {
            let got = denda(&rule, tariff, months, d(re), d(ad));
            assert_eq!(
                (got.applies, got.months_counted, got.amount, got.capped),
                (applies, counted, amount, capped),
                "{tariff} {months} {re} {ad}"
            );
        }
    }

    #[test]
    fn segments_read_their_codes_and_pbi_is_class_three() {
        assert_eq!(Segment::parse("PBPU"), Some(Segment::Pbpu));
        assert_eq!(Segment::parse("pbpu"), None);
        assert_eq!(Segment::PbiApbd.fixed_class(), Some(3));
        assert_eq!(Segment::Ppu.fixed_class(), None);
    }
}
