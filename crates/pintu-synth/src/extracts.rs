//! The five source extracts of /work/shared/FORMATS.md, written from a population, with the
//! disagreements real sources have, plus a `truth.csv` that says which person every row is.
//!
//! Each person's truth key is `H{household index:06}-{member index:02}` (both 0-based indexes
//! into the slice given to [`write_extracts`], so `H000123-02` is `households[123].members[2]`),
//! and each household's key is `H{household index:06}`. `truth.csv` has one row per data row of
//! the five files: `source,row,person_key,household_key`, `row` counting data rows from 1. A KPS
//! row is a card, and its person is the household head.
//!
//! What each source knows, and how it goes wrong (rates are per row unless stated):
//!
//! - **ektp.csv** (civil registry): every person aged 17+ who has a NIK. Authoritative: exact
//!   name, birth date and sex; about 25% of blood types unknown.
//! - **kk.csv** (family cards): every member, in card order, with father's and mother's names
//!   (members of the card where they live there, otherwise made up). About 1.5% of NIKs have
//!   one digit changed or two swapped, 1% are blank, 0.5% of names are spelled differently.
//! - **dtks.csv** (poor-household survey): households in welfare deciles 1-4 (40% of
//!   households), ranked by a wealth score drawn from jobs, dependants, schooling and chance.
//!   The survey id is `DTKS-PPRR-nnnnnn`. Members born after the survey date are missing, and
//!   3% of other members were not listed. Names are spelled as heard in 30% of rows (old
//!   spellings, `Y`/`I`, dropped letters, `MOH.` for `MUHAMMAD`, missing second name). Birth
//!   dates: 10% only the year right, 4% day and month swapped, 3% blank. NIK: 15% blank, 6%
//!   mistyped; KK number (per household): 20% blank, 5% mistyped. 15% of CUCU are recorded as
//!   ANAK. `school_status` is the current level for pupils and the highest level attended for
//!   adults; `monthly_income` is per person, 0 for those without work.
//! - **kps.csv** (social protection cards): the poorest 25% of households, one row per card
//!   issued one to six years ago and valid five years (some have expired). Members born after
//!   the card was issued are missing. KK number 15% blank, 3% mistyped; head and partner names
//!   misspelled in 12% of cards, other members' names in 10%.
//! - **jkn.csv** (BPJS Kesehatan): about 70% of people, decided per household: PBI (state- or
//!   region-paid) for the poor, PPU for households with a formal worker, BP for pensioners,
//!   PBPU or nothing for the rest; babies are often not yet registered. PBPU families are in
//!   arrears (TIDAK AKTIF) in 25% of cases. 3% of rows show another village (moved), 6% a
//!   different spelling, 1.5% swapped day and month, 3% no NIK, 2% a mistyped NIK, 35% no KK
//!   number.
//! - **Deaths**: 2% of members aged 65+ (never the head) have died and been removed by
//!   Dukcapil, so they are missing from ektp.csv and kk.csv, while the DTKS and KPS still list
//!   them and BPJS shows them TIDAK AKTIF.
//!
//! Everything textual is upper case, as the national databases print it. Each source draws from
//! its own seeded random stream, so the files are deterministic for a seed and changing one
//! source's rules does not reshuffle the others.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::Path;

use chrono::{Datelike, Days, Months, NaiveDate};
use pintu_domain::household::{ValidHousehold, ValidMember};
use pintu_domain::sources::Source;
use pintu_domain::{Relationship, Sex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::names::{self, Culture, NameCtx};
use crate::noise::{misspell, mistype_digits, swap_day_month, year_only};
use crate::pick::{chance, pick, weighted};
use crate::vocab::{Education, Occupation, Religion, Work};

/// Data rows written per file (headers not counted); `truth` is the sum of the other five.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtractSummary {
    pub ektp: usize,
    pub kk: usize,
    pub dtks: usize,
    pub kps: usize,
    pub jkn: usize,
    pub truth: usize,
}

const TRUTH_HEADER: [&str; 4] = ["source", "row", "person_key", "household_key"];

/// Writes ektp.csv, kk.csv, dtks.csv, kps.csv, jkn.csv and truth.csv into `dir` (which must
/// exist) for the given households. Deterministic for the households, `seed` and `today`.
pub fn write_extracts(
    households: &[ValidHousehold],
    dir: &Path,
    seed: u64,
    today: NaiveDate,
) -> io::Result<ExtractSummary> {
    let ctx = Context::new(households, seed, today);
    let mut truth = Truth::create(dir)?;
    let summary = ExtractSummary {
        ektp: write_ektp(&ctx, dir, &mut truth)?,
        kk: write_kk(&ctx, dir, &mut truth)?,
        dtks: write_dtks(&ctx, dir, &mut truth)?,
        kps: write_kps(&ctx, dir, &mut truth)?,
        jkn: write_jkn(&ctx, dir, &mut truth)?,
        truth: 0,
    };
    Ok(ExtractSummary {
        truth: truth.finish()?,
        ..summary
    })
}

/// Salts that give every source its own random stream.
const WEALTH: u64 = 1;
const DEATHS: u64 = 2;
const EKTP: u64 = 3;
const KK: u64 = 4;
const DTKS: u64 = 5;
const KPS: u64 = 6;
const JKN: u64 = 7;

/// What all sources share: the welfare ranking and who has died.
struct Context<'a> {
    households: &'a [ValidHousehold],
    seed: u64,
    today: NaiveDate,
    /// Welfare rank of each household, 0 = poorest.
    rank: Vec<usize>,
    /// Index of each household's first member in `deceased`.
    first_member: Vec<usize>,
    deceased: Vec<bool>,
}

impl<'a> Context<'a> {
    fn new(households: &'a [ValidHousehold], seed: u64, today: NaiveDate) -> Context<'a> {
        let mut ctx = Context {
            households,
            seed,
            today,
            rank: vec![0; households.len()],
            first_member: Vec::with_capacity(households.len()),
            deceased: Vec::new(),
        };
        let mut rng = ctx.rng(WEALTH);
        let scores: Vec<f64> = households
            .iter()
            .map(|h| wealth_score(&mut rng, h))
            .collect();
        let mut order: Vec<usize> = (0..households.len()).collect();
        order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
        for (rank, &h) in order.iter().enumerate() {
            ctx.rank[h] = rank;
        }
        let mut rng = ctx.rng(DEATHS);
        for h in households {
            ctx.first_member.push(ctx.deceased.len());
            for m in &h.members {
                let old = ctx.age(m) >= 65 && m.relationship != Relationship::Head;
                ctx.deceased.push(old && chance(&mut rng, 0.02));
            }
        }
        ctx
    }

    fn rng(&self, salt: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn age(&self, m: &ValidMember) -> u32 {
        self.today.years_since(m.facts.birth_date).unwrap_or(0)
    }

    fn is_deceased(&self, h: usize, m: usize) -> bool {
        self.deceased[self.first_member[h] + m]
    }

    /// Where the household stands between 0 (poorest) and 1.
    fn percentile(&self, h: usize) -> f64 {
        self.rank[h] as f64 / self.households.len().max(1) as f64
    }

    /// Welfare decile, 1 (poorest) to 10.
    fn decile(&self, h: usize) -> u32 {
        (self.rank[h] * 10 / self.households.len().max(1)) as u32 + 1
    }
}

/// Higher is richer: a random base moved by formal jobs, earners, dependants, the town and the
/// head's schooling, as a proxy-means test would.
fn wealth_score<R: Rng + ?Sized>(rng: &mut R, h: &ValidHousehold) -> f64 {
    let mut score = rng.random::<f64>() + rng.random::<f64>() + rng.random::<f64>();
    let mut earners = 0usize;
    let mut formal = 0usize;
    for m in &h.members {
        let Some(occupation) = occupation_of(m) else {
            continue;
        };
        match occupation.work() {
            Work::Formal => {
                formal += 1;
                earners += 1;
            }
            Work::Informal => earners += 1,
            Work::Retired => score += 0.3,
            Work::None | Work::Student => {}
        }
        if occupation.is_public_sector() {
            score += 0.3;
        }
    }
    score += match formal {
        0 => 0.0,
        1 => 0.8,
        _ => 1.1,
    };
    score += 0.15 * earners as f64;
    score -= 0.08 * h.members.len().saturating_sub(earners) as f64;
    if is_urban(h) {
        score += 0.25;
    }
    let head_education = h
        .members
        .iter()
        .find(|m| m.relationship == Relationship::Head)
        .and_then(|m| m.facts.education.as_deref())
        .and_then(Education::parse);
    match head_education {
        Some(e) if e >= Education::Diploma3 => score += 0.5,
        Some(Education::None) => score -= 0.3,
        _ => {}
    }
    score
}

fn occupation_of(m: &ValidMember) -> Option<Occupation> {
    m.facts.occupation.as_deref().and_then(Occupation::parse)
}

/// Kelurahan (urban) codes have a village part starting with 1.
fn is_urban(h: &ValidHousehold) -> bool {
    h.village.as_str().as_bytes().get(9) == Some(&b'1')
}

/// Two-digit parts of the village code: province, regency, district.
fn code_part(h: &ValidHousehold, part: usize) -> &str {
    h.village.as_str().split('.').nth(part).unwrap_or("00")
}

fn number_part(h: &ValidHousehold, part: usize) -> u8 {
    code_part(h, part).parse().unwrap_or(0)
}

fn head_index(h: &ValidHousehold) -> usize {
    h.members
        .iter()
        .position(|m| m.relationship == Relationship::Head)
        .unwrap_or(0)
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

fn upper(value: &Option<String>) -> String {
    text(value).to_uppercase()
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn create(dir: &Path, file: &str, header: &[&str]) -> io::Result<csv::Writer<File>> {
    let mut w = csv::Writer::from_path(dir.join(file))?;
    w.write_record(header)?;
    Ok(w)
}

/// A NIK or KK number as a source holds it: blank with probability `missing`, mistyped with
/// probability `typo`, otherwise exact.
fn noisy_number<R: Rng + ?Sized>(
    rng: &mut R,
    number: Option<&str>,
    missing: f64,
    typo: f64,
) -> String {
    let Some(number) = number else {
        return String::new();
    };
    let r = rng.random::<f64>();
    if r < missing {
        String::new()
    } else if r < missing + typo {
        mistype_digits(rng, number)
    } else {
        number.to_string()
    }
}

/// A name as a source holds it: misspelled with probability `p`, otherwise in upper case.
fn noisy_name<R: Rng + ?Sized>(rng: &mut R, name: &str, p: f64) -> String {
    if chance(rng, p) {
        misspell(rng, name)
    } else {
        name.to_uppercase()
    }
}

struct Truth {
    out: csv::Writer<File>,
    rows: usize,
}

impl Truth {
    fn create(dir: &Path) -> io::Result<Truth> {
        Ok(Truth {
            out: create(dir, "truth.csv", &TRUTH_HEADER)?,
            rows: 0,
        })
    }

    fn record(&mut self, source: &str, row: usize, h: usize, m: usize) -> io::Result<()> {
        let row = row.to_string();
        let household = format!("H{h:06}");
        let person = format!("{household}-{m:02}");
        self.out
            .write_record([source, row.as_str(), person.as_str(), household.as_str()])?;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self) -> io::Result<usize> {
        self.out.flush()?;
        Ok(self.rows)
    }
}

fn write_ektp(ctx: &Context<'_>, dir: &Path, truth: &mut Truth) -> io::Result<usize> {
    let mut out = create(dir, "ektp.csv", Source::Ektp.columns())?;
    let mut rng = ctx.rng(EKTP);
    // e-KTP cards were rolled out from 2011; earlier identity cards were re-issued as e-KTP.
    let rollout = NaiveDate::from_ymd_opt(2011, 6, 1).unwrap_or(ctx.today);
    let mut rows = 0;
    for (h, household) in ctx.households.iter().enumerate() {
        for (m, member) in household.members.iter().enumerate() {
            let f = &member.facts;
            let Some(nik) = &f.nik else { continue };
            if ctx.age(member) < 17 || ctx.is_deceased(h, m) {
                continue;
            }
            let seventeen = f
                .birth_date
                .checked_add_months(Months::new(17 * 12))
                .unwrap_or(ctx.today);
            let start = rollout
                .checked_add_days(Days::new(rng.random_range(0..=900)))
                .unwrap_or(rollout)
                .max(seventeen);
            let issued = start
                .checked_add_days(Days::new(rng.random_range(0..=180)))
                .unwrap_or(start)
                .min(ctx.today);
            let blood = weighted(
                &mut rng,
                &[("A", 25), ("B", 27), ("O", 38), ("AB", 7), ("", 25)],
            );
            out.write_record([
                nik.as_str(),
                &f.full_name.to_uppercase(),
                &upper(&f.birth_place),
                &date(f.birth_date),
                f.sex.code(),
                blood,
                text(&f.religion),
                text(&f.marital_status),
                text(&f.occupation),
                "WNI",
                &upper(&household.address),
                text(&household.rt),
                text(&household.rw),
                household.village.as_str(),
                &date(issued),
            ])?;
            rows += 1;
            truth.record("ektp", rows, h, m)?;
        }
    }
    out.flush()?;
    Ok(rows)
}

/// The issue date a KK number encodes in its digits 7-12 (`DDMMYY`).
fn kk_issue_date(kk: &str, today: NaiveDate) -> Option<NaiveDate> {
    let n = |r: std::ops::Range<usize>| kk.get(r).and_then(|s| s.parse::<u32>().ok());
    let (day, month, yy) = (n(6..8)?, n(8..10)?, n(10..12)? as i32);
    let year = if 2000 + yy <= today.year() {
        2000 + yy
    } else {
        1900 + yy
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Indexes of a member's father and mother within the household, where they live there.
fn parents_in(h: &ValidHousehold, m: usize) -> (Option<usize>, Option<usize>) {
    let find = |relationship: Relationship, sex: Sex| {
        h.members
            .iter()
            .position(|x| x.relationship == relationship && x.facts.sex == sex)
    };
    let by_sex = |a: Option<usize>, b: Option<usize>| {
        let pair = [a, b];
        let of = |sex: Sex| {
            pair.into_iter()
                .flatten()
                .find(|&i| h.members[i].facts.sex == sex)
        };
        (of(Sex::Male), of(Sex::Female))
    };
    match h.members[m].relationship {
        Relationship::Child => {
            let partner = h
                .members
                .iter()
                .position(|x| matches!(x.relationship, Relationship::Wife | Relationship::Husband));
            by_sex(Some(head_index(h)), partner)
        }
        Relationship::Grandchild => {
            let in_law = h
                .members
                .iter()
                .position(|x| x.relationship == Relationship::ChildInLaw);
            let married_child = in_law.and_then(|i| {
                h.members.iter().position(|x| {
                    x.relationship == Relationship::Child
                        && x.facts.sex != h.members[i].facts.sex
                        && x.facts.marital_status.as_deref() == Some("KAWIN")
                })
            });
            by_sex(in_law, married_child)
        }
        Relationship::Head => (
            find(Relationship::Parent, Sex::Male),
            find(Relationship::Parent, Sex::Female),
        ),
        Relationship::Wife | Relationship::Husband => (
            find(Relationship::ParentInLaw, Sex::Male),
            find(Relationship::ParentInLaw, Sex::Female),
        ),
        _ => (None, None),
    }
}

/// A parent's name for the KK when the parent is not on the card: a name of the household's
/// naming custom, the father carrying the child's clan where there are clans.
fn made_up_parent<R: Rng + ?Sized>(
    rng: &mut R,
    h: &ValidHousehold,
    child: &ValidMember,
    sex: Sex,
) -> String {
    let religion = child
        .facts
        .religion
        .as_deref()
        .and_then(Religion::parse)
        .unwrap_or(Religion::Islam);
    let culture = Culture::for_place(rng, number_part(h, 0), number_part(h, 1), religion);
    let clan = (culture.has_clans() && sex == Sex::Male)
        .then(|| child.facts.full_name.rsplit(' ').next())
        .flatten();
    let years_older = if sex == Sex::Male { 28 } else { 24 };
    let birth_order = rng.random_range(0..4);
    names::person_name(
        rng,
        &NameCtx {
            culture,
            christian: religion.is_christian(),
            sex,
            birth_year: child.facts.birth_date.year() - years_older,
            clan,
            birth_order,
        },
    )
    .to_uppercase()
}

fn write_kk(ctx: &Context<'_>, dir: &Path, truth: &mut Truth) -> io::Result<usize> {
    let mut out = create(dir, "kk.csv", Source::Kk.columns())?;
    let mut rng = ctx.rng(KK);
    let mut rows = 0;
    for (h, household) in ctx.households.iter().enumerate() {
        let kk = household
            .kk_number
            .as_ref()
            .map(|k| k.as_str())
            .unwrap_or("");
        let issued = kk_issue_date(kk, ctx.today).map(date).unwrap_or_default();
        let address = upper(&household.address);
        for (m, member) in household.members.iter().enumerate() {
            if ctx.is_deceased(h, m) {
                continue;
            }
            let f = &member.facts;
            let nik = noisy_number(&mut rng, f.nik.as_ref().map(|n| n.as_str()), 0.01, 0.015);
            let name = noisy_name(&mut rng, &f.full_name, 0.005);
            let (father, mother) = parents_in(household, m);
            let mut parent = |index: Option<usize>, sex: Sex| match index {
                Some(i) => household.members[i].facts.full_name.to_uppercase(),
                None => made_up_parent(&mut rng, household, member, sex),
            };
            let father = parent(father, Sex::Male);
            let mother = parent(mother, Sex::Female);
            out.write_record([
                kk,
                &nik,
                &name,
                member.relationship.code(),
                &upper(&f.birth_place),
                &date(f.birth_date),
                f.sex.code(),
                text(&f.religion),
                text(&f.education),
                text(&f.occupation),
                text(&f.marital_status),
                &father,
                &mother,
                &address,
                text(&household.rt),
                text(&household.rw),
                household.village.as_str(),
                &issued,
            ])?;
            rows += 1;
            truth.record("kk", rows, h, m)?;
        }
    }
    out.flush()?;
    Ok(rows)
}

/// The DTKS `school_status`: the current level for pupils, the highest level attended for
/// adults, `TIDAK/BELUM` for young children.
fn school_status(
    age: u32,
    occupation: Option<Occupation>,
    education: Option<Education>,
) -> &'static str {
    if age < 7 {
        return "TIDAK/BELUM";
    }
    if occupation == Some(Occupation::Student) {
        return match age {
            0..=12 => "SD",
            13..=15 => "SMP",
            16..=18 => "SMA",
            _ => "PT",
        };
    }
    if age <= 18 {
        return "TIDAK SEKOLAH";
    }
    education
        .map(Education::school_level)
        .unwrap_or("TIDAK SEKOLAH")
}

/// Monthly income in rupiah, rounded to Rp 50,000 as respondents state it.
fn monthly_income<R: Rng + ?Sized>(rng: &mut R, work: Work, decile: u32) -> u64 {
    let rupiah = match work {
        Work::Formal => rng.random_range(1_800_000..=4_500_000),
        Work::Informal => 300_000 + u64::from(decile) * 150_000 + rng.random_range(0..=600_000),
        Work::Retired => rng.random_range(1_000_000..=2_500_000),
        Work::None | Work::Student => 0,
    };
    rupiah / 50_000 * 50_000
}

fn write_dtks(ctx: &Context<'_>, dir: &Path, truth: &mut Truth) -> io::Result<usize> {
    let mut out = create(dir, "dtks.csv", Source::Dtks.columns())?;
    let mut rng = ctx.rng(DTKS);
    let mut survey_numbers: HashMap<String, u32> = HashMap::new();
    let mut rows = 0;
    for (h, household) in ctx.households.iter().enumerate() {
        let decile = ctx.decile(h);
        if decile > 4 || household.members.is_empty() {
            continue;
        }
        let regency = format!("{}{}", code_part(household, 0), code_part(household, 1));
        let number = survey_numbers.entry(regency.clone()).or_insert(0);
        *number += 1;
        let household_id = format!("DTKS-{regency}-{:06}", *number);
        let surveyed_on = ctx
            .today
            .checked_sub_days(Days::new(rng.random_range(60..=1100)))
            .unwrap_or(ctx.today);
        let kk = noisy_number(
            &mut rng,
            household.kk_number.as_ref().map(|k| k.as_str()),
            0.2,
            0.05,
        );
        let pmt = 8.0 + ctx.percentile(h) * 100.0 + rng.random_range(-2.0..2.0);
        let pmt = format!("{pmt:.2}");
        let decile = decile.to_string();
        let address = upper(&household.address);
        let head = head_index(household);
        for (m, member) in household.members.iter().enumerate() {
            let f = &member.facts;
            if f.birth_date > surveyed_on || (m != head && chance(&mut rng, 0.03)) {
                continue;
            }
            let age = ctx.age(member);
            let nik = noisy_number(&mut rng, f.nik.as_ref().map(|n| n.as_str()), 0.15, 0.06);
            let name = noisy_name(&mut rng, &f.full_name, 0.3);
            let r = rng.random::<f64>();
            let birth = if r < 0.10 {
                date(year_only(&mut rng, f.birth_date))
            } else if r < 0.14 {
                date(
                    swap_day_month(f.birth_date)
                        .unwrap_or_else(|| year_only(&mut rng, f.birth_date)),
                )
            } else if r < 0.17 {
                String::new()
            } else {
                date(f.birth_date)
            };
            let relationship =
                if member.relationship == Relationship::Grandchild && chance(&mut rng, 0.15) {
                    Relationship::Child
                } else {
                    member.relationship
                };
            let yes_no = |yes: bool| if yes { "Y" } else { "N" };
            let disability = yes_no(chance(&mut rng, if age >= 60 { 0.08 } else { 0.02 }));
            let chronic = yes_no(chance(
                &mut rng,
                match age {
                    0..=39 => 0.05,
                    40..=59 => 0.15,
                    _ => 0.3,
                },
            ));
            let occupation = occupation_of(member);
            let education = f.education.as_deref().and_then(Education::parse);
            let work = match (occupation, &f.occupation) {
                (Some(o), _) => o.work(),
                (None, Some(_)) => Work::Informal,
                (None, None) => Work::None,
            };
            let income = monthly_income(&mut rng, work, ctx.decile(h)).to_string();
            out.write_record([
                household_id.as_str(),
                &kk,
                &nik,
                &name,
                &birth,
                f.sex.code(),
                relationship.code(),
                &decile,
                &pmt,
                disability,
                chronic,
                school_status(age, occupation, education),
                text(&f.occupation),
                work.as_str(),
                &income,
                &address,
                text(&household.rt),
                text(&household.rw),
                household.village.as_str(),
                &date(surveyed_on),
            ])?;
            rows += 1;
            truth.record("dtks", rows, h, m)?;
        }
    }
    out.flush()?;
    Ok(rows)
}

fn write_kps(ctx: &Context<'_>, dir: &Path, truth: &mut Truth) -> io::Result<usize> {
    let mut out = create(dir, "kps.csv", Source::Kps.columns())?;
    let mut rng = ctx.rng(KPS);
    let mut rows = 0;
    for (h, household) in ctx.households.iter().enumerate() {
        if ctx.percentile(h) >= 0.25 || household.members.is_empty() {
            continue;
        }
        let issued = ctx
            .today
            .checked_sub_days(Days::new(rng.random_range(365..=6 * 365)))
            .unwrap_or(ctx.today);
        let valid_until = issued.checked_add_months(Months::new(60)).unwrap_or(issued);
        let card_number = format!(
            "{}{}{:08}",
            code_part(household, 0),
            code_part(household, 1),
            rows + 1
        );
        let kk = noisy_number(
            &mut rng,
            household.kk_number.as_ref().map(|k| k.as_str()),
            0.15,
            0.03,
        );
        let head = head_index(household);
        let partner = household
            .members
            .iter()
            .position(|m| matches!(m.relationship, Relationship::Wife | Relationship::Husband));
        let head_name = noisy_name(&mut rng, &household.members[head].facts.full_name, 0.12);
        let partner_name = partner
            .map(|p| noisy_name(&mut rng, &household.members[p].facts.full_name, 0.12))
            .unwrap_or_default();
        let mut member_names = String::new();
        for (m, member) in household.members.iter().enumerate() {
            if m == head || Some(m) == partner || member.facts.birth_date > issued {
                continue;
            }
            if !member_names.is_empty() {
                member_names.push(';');
            }
            member_names.push_str(&noisy_name(&mut rng, &member.facts.full_name, 0.1));
        }
        out.write_record([
            card_number.as_str(),
            &kk,
            &head_name,
            &partner_name,
            &member_names,
            &upper(&household.address),
            household.village.as_str(),
            &date(valid_until),
        ])?;
        rows += 1;
        truth.record("kps", rows, h, head)?;
    }
    out.flush()?;
    Ok(rows)
}

/// A household's BPJS membership: segment, class, whether it is enrolled, and whether its
/// contributions are in arrears.
struct Membership {
    segment: &'static str,
    class: &'static str,
    enrolled: bool,
    in_arrears: bool,
}

fn membership<R: Rng + ?Sized>(rng: &mut R, h: &ValidHousehold, decile: u32) -> Membership {
    let occupations = || h.members.iter().filter_map(occupation_of);
    let formal = occupations().any(|o| o.work() == Work::Formal);
    let public = occupations().any(Occupation::is_public_sector);
    let retired_head = h
        .members
        .iter()
        .find(|m| m.relationship == Relationship::Head)
        .and_then(occupation_of)
        == Some(Occupation::Retired);
    let (segment, class, enrolled, in_arrears) = if decile <= 4 {
        let segment = if chance(rng, 0.85) {
            "PBI-APBN"
        } else {
            "PBI-APBD"
        };
        (segment, "3", chance(rng, 0.92), chance(rng, 0.03))
    } else if formal {
        let class = if public || chance(rng, 0.4) { "1" } else { "2" };
        ("PPU", class, chance(rng, 0.9), chance(rng, 0.02))
    } else if retired_head {
        (
            "BP",
            pick(rng, &["1", "2"]),
            chance(rng, 0.9),
            chance(rng, 0.02),
        )
    } else if decile <= 6 && chance(rng, 0.15) {
        ("PBI-APBD", "3", true, chance(rng, 0.05))
    } else {
        let class = weighted(rng, &[("3", 55), ("2", 30), ("1", 15)]);
        ("PBPU", class, chance(rng, 0.3), chance(rng, 0.25))
    };
    Membership {
        segment,
        class,
        enrolled,
        in_arrears,
    }
}

/// A first-level facility (puskesmas or clinic) code in the district: regency and district
/// digits, a letter, a number, like `0712B004`.
fn fktp_code<R: Rng + ?Sized>(rng: &mut R, h: &ValidHousehold) -> String {
    let n: u32 = rng.random_range(1..=6);
    let letter = ['A', 'B', 'C', 'U'][n as usize % 4];
    format!("{}{}{letter}{n:03}", code_part(h, 1), code_part(h, 2))
}

fn write_jkn(ctx: &Context<'_>, dir: &Path, truth: &mut Truth) -> io::Result<usize> {
    let mut out = create(dir, "jkn.csv", Source::Jkn.columns())?;
    let mut rng = ctx.rng(JKN);
    let mut rows = 0;
    for (h, household) in ctx.households.iter().enumerate() {
        let plan = membership(&mut rng, household, ctx.decile(h));
        if !plan.enrolled {
            continue;
        }
        let fktp = fktp_code(&mut rng, household);
        for (m, member) in household.members.iter().enumerate() {
            let f = &member.facts;
            let registered = if ctx.age(member) == 0 { 0.5 } else { 0.97 };
            if !chance(&mut rng, registered) {
                continue;
            }
            let card_number = format!("{:013}", 1_300_000_000u64 + rows as u64 + 1);
            let nik = noisy_number(&mut rng, f.nik.as_ref().map(|n| n.as_str()), 0.03, 0.02);
            let name = noisy_name(&mut rng, &f.full_name, 0.06);
            let birth = match swap_day_month(f.birth_date) {
                Some(swapped) if chance(&mut rng, 0.015) => swapped,
                _ => f.birth_date,
            };
            let kk = noisy_number(
                &mut rng,
                household.kk_number.as_ref().map(|k| k.as_str()),
                0.35,
                0.01,
            );
            let own_fktp = if chance(&mut rng, 0.1) {
                fktp_code(&mut rng, household)
            } else {
                fktp.clone()
            };
            let active = !(plan.in_arrears || ctx.is_deceased(h, m));
            let village = if chance(&mut rng, 0.03) {
                &ctx.households[rng.random_range(0..ctx.households.len())].village
            } else {
                &household.village
            };
            out.write_record([
                card_number.as_str(),
                &nik,
                &name,
                &date(birth),
                f.sex.code(),
                &kk,
                plan.segment,
                plan.class,
                &own_fktp,
                if active { "AKTIF" } else { "TIDAK AKTIF" },
                village.as_str(),
            ])?;
            rows += 1;
            truth.record("jkn", rows, h, m)?;
        }
    }
    out.flush()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::{SynthConfig, generate};
    use pintu_domain::AreaCode;
    use std::collections::HashSet;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
    }

    fn population(persons: usize) -> Vec<ValidHousehold> {
        let villages: Vec<AreaCode> = [
            "35.07.12.2003",
            "35.07.12.2004",
            "35.07.01.1001",
            "32.05.10.2002",
            "51.04.02.2005",
            "12.02.04.2001",
        ]
        .iter()
        .map(|c| AreaCode::parse(c).expect("valid code"))
        .collect();
        let cfg = SynthConfig {
            seed: 99,
            persons,
            today: today(),
        };
        let mut out = Vec::new();
        generate(&villages, &cfg, |h| out.push(h));
        out
    }

    struct Written {
        households: Vec<ValidHousehold>,
        dir: tempfile::TempDir,
        summary: ExtractSummary,
    }

    fn written(persons: usize, seed: u64) -> Written {
        let households = population(persons);
        let dir = tempfile::tempdir().expect("temp dir");
        let summary = write_extracts(&households, dir.path(), seed, today()).expect("written");
        Written {
            households,
            dir,
            summary,
        }
    }

    fn read(w: &Written, file: &str) -> (Vec<String>, Vec<csv::StringRecord>) {
        let mut reader = csv::Reader::from_path(w.dir.path().join(file)).expect("readable");
        let header = reader
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        let rows = reader.records().collect::<Result<_, _>>().expect("rows");
        (header, rows)
    }

    /// Each data row of `source` with the member it stands for, via truth.csv.
    fn rows_with_truth<'w>(
        w: &'w Written,
        source: &str,
    ) -> Vec<(csv::StringRecord, &'w ValidHousehold, &'w ValidMember)> {
        let (_, rows) = read(w, &format!("{source}.csv"));
        let (_, truth) = read(w, "truth.csv");
        let keys: Vec<&csv::StringRecord> = truth.iter().filter(|t| &t[0] == source).collect();
        assert_eq!(keys.len(), rows.len());
        rows.into_iter()
            .zip(keys)
            .map(|(row, key)| {
                let (h, m) = key[2][1..].split_once('-').expect("person key");
                let household = &w.households[h.parse::<usize>().expect("index")];
                let member = &household.members[m.parse::<usize>().expect("index")];
                (row, household, member)
            })
            .collect()
    }

    fn column(header: &[String], name: &str) -> usize {
        header.iter().position(|h| h == name).expect("column")
    }

    #[test]
    fn every_extract_has_exactly_the_header_of_formats_md() {
        let w = written(500, 1);
        let expected = [
            (
                "ektp.csv",
                "nik,full_name,birth_place,birth_date,sex,blood_type,religion,marital_status,\
                 occupation,citizenship,address,rt,rw,village_code,issued_on",
            ),
            (
                "kk.csv",
                "kk_number,nik,full_name,relationship,birth_place,birth_date,sex,religion,\
                 education,occupation,marital_status,father_name,mother_name,address,rt,rw,\
                 village_code,issued_on",
            ),
            (
                "dtks.csv",
                "household_id,kk_number,nik,full_name,birth_date,sex,relationship,\
                 welfare_decile,pmt_score,disability,chronic_illness,school_status,occupation,\
                 employment_status,monthly_income,address,rt,rw,village_code,surveyed_on",
            ),
            (
                "kps.csv",
                "card_number,kk_number,head_name,partner_name,member_names,address,\
                 village_code,valid_until",
            ),
            (
                "jkn.csv",
                "card_number,nik,full_name,birth_date,sex,kk_number,segment,class,fktp_code,\
                 status,village_code",
            ),
            ("truth.csv", "source,row,person_key,household_key"),
        ];
        for (file, header) in expected {
            assert_eq!(read(&w, file).0.join(","), header, "{file}");
        }
    }

    #[test]
    fn truth_has_one_row_per_extract_row_numbered_from_one() {
        let w = written(2_000, 2);
        let s = w.summary;
        let (_, truth) = read(&w, "truth.csv");
        assert_eq!(truth.len(), s.truth);
        assert_eq!(s.truth, s.ektp + s.kk + s.dtks + s.kps + s.jkn);
        for (source, count) in [
            ("ektp", s.ektp),
            ("kk", s.kk),
            ("dtks", s.dtks),
            ("kps", s.kps),
            ("jkn", s.jkn),
        ] {
            assert_eq!(read(&w, &format!("{source}.csv")).1.len(), count);
            let rows: Vec<usize> = truth
                .iter()
                .filter(|t| &t[0] == source)
                .map(|t| t[1].parse().expect("row number"))
                .collect();
            assert_eq!(rows, (1..=count).collect::<Vec<_>>(), "{source}");
        }
        assert!(truth.iter().all(|t| t[2].starts_with(&t[3])));
    }

    #[test]
    fn the_same_seed_writes_the_same_bytes_and_another_seed_does_not() {
        let files = |w: &Written| {
            [
                "ektp.csv",
                "kk.csv",
                "dtks.csv",
                "kps.csv",
                "jkn.csv",
                "truth.csv",
            ]
            .map(|f| std::fs::read(w.dir.path().join(f)).expect("file"))
        };
        let a = written(1_000, 3);
        assert_eq!(files(&a), files(&written(1_000, 3)));
        assert_ne!(files(&a)[2], files(&written(1_000, 4))[2]);
    }

    #[test]
    fn ektp_holds_the_living_adults_with_a_nik_exactly_as_registered() {
        let w = written(2_000, 5);
        let rows = rows_with_truth(&w, "ektp");
        assert!(!rows.is_empty());
        for (row, _, member) in rows {
            let f = &member.facts;
            assert!(today().years_since(f.birth_date).expect("past") >= 17);
            assert_eq!(Some(&row[0]), f.nik.as_ref().map(|n| n.as_str()));
            assert_eq!(row[1], f.full_name.to_uppercase());
            assert_eq!(row[3], f.birth_date.to_string());
            assert_eq!(&row[4], f.sex.code());
        }
    }

    #[test]
    fn kk_lists_the_members_with_a_few_mistyped_or_missing_niks() {
        let w = written(3_000, 6);
        let rows = rows_with_truth(&w, "kk");
        let persons: usize = w.households.iter().map(|h| h.members.len()).sum();
        assert!(
            rows.len() * 100 >= persons * 99,
            "{} of {persons}",
            rows.len()
        );
        let (mut mistyped, mut missing) = (0, 0);
        for (row, household, member) in &rows {
            assert_eq!(&row[0], household.kk_number.as_ref().expect("kk").as_str());
            assert_eq!(&row[3], member.relationship.code());
            match (&row[1], &member.facts.nik) {
                ("", Some(_)) => missing += 1,
                (nik, Some(real)) if nik != real.as_str() => {
                    assert_eq!(nik.len(), 16);
                    mistyped += 1;
                }
                _ => {}
            }
        }
        assert!(
            mistyped > 10 && mistyped < rows.len() / 20,
            "{mistyped} mistyped"
        );
        assert!(
            missing > 5 && missing < rows.len() / 20,
            "{missing} missing"
        );
    }

    #[test]
    fn dtks_covers_the_poorest_forty_percent_of_households() {
        let w = written(3_000, 7);
        let (_, truth) = read(&w, "truth.csv");
        let surveyed: HashSet<&str> = truth
            .iter()
            .filter(|t| &t[0] == "dtks")
            .map(|t| t.get(3).unwrap_or(""))
            .collect();
        let share = surveyed.len() as f64 / w.households.len() as f64;
        assert!((0.39..=0.41).contains(&share), "{share}");
        let kps = w.summary.kps as f64 / w.households.len() as f64;
        assert!((0.24..=0.26).contains(&kps), "{kps}");
    }

    #[test]
    fn dtks_names_and_birth_dates_disagree_in_the_documented_ways() {
        let w = written(3_000, 8);
        let rows = rows_with_truth(&w, "dtks");
        let (mut names, mut swapped, mut year_only, mut blank) = (0, 0, 0, 0);
        let mut shortened = 0;
        for (row, _, member) in &rows {
            let real = member.facts.full_name.to_uppercase();
            if row[3] != real {
                names += 1;
                if real.starts_with(&row[3]) && row[3].len() < real.len() {
                    shortened += 1;
                }
            }
            let born = member.facts.birth_date;
            match NaiveDate::parse_from_str(&row[4], "%Y-%m-%d") {
                Err(_) => blank += 1,
                Ok(d) if Some(d) == swap_day_month(born) => swapped += 1,
                Ok(d) if d != born && d.year() == born.year() => year_only += 1,
                Ok(d) => assert_eq!(d, born),
            }
        }
        let n = rows.len();
        assert!(
            names * 100 > n * 20 && names * 100 < n * 40,
            "{names} of {n}"
        );
        assert!(shortened > 0);
        assert!(swapped > 0 && year_only > swapped && blank > 0);
    }

    #[test]
    fn dtks_values_come_from_the_documented_vocabularies() {
        let w = written(2_000, 9);
        let (header, rows) = read(&w, "dtks.csv");
        let relationships: HashSet<&str> = Relationship::ALL.iter().map(|r| r.code()).collect();
        for row in &rows {
            let cell = |name: &str| &row[column(&header, name)];
            assert!(cell("household_id").starts_with("DTKS-"));
            assert!(["1", "2", "3", "4"].contains(&cell("welfare_decile")));
            assert!(cell("pmt_score").parse::<f64>().is_ok());
            assert!(["Y", "N"].contains(&cell("disability")));
            assert!(["Y", "N"].contains(&cell("chronic_illness")));
            assert!(
                ["TIDAK SEKOLAH", "SD", "SMP", "SMA", "PT", "TIDAK/BELUM"]
                    .contains(&cell("school_status"))
            );
            assert!(
                ["FORMAL", "INFORMAL", "TIDAK BEKERJA", "PELAJAR", "PENSIUN"]
                    .contains(&cell("employment_status"))
            );
            assert!(cell("monthly_income").parse::<u64>().is_ok());
            assert!(relationships.contains(cell("relationship")));
            assert!(["L", "P"].contains(&cell("sex")));
        }
    }

    #[test]
    fn kps_cards_name_the_head_and_the_other_members() {
        let w = written(2_000, 10);
        let rows = rows_with_truth(&w, "kps");
        assert!(!rows.is_empty());
        let with_members = rows.iter().filter(|(r, _, _)| !r[4].is_empty()).count();
        assert!(with_members > rows.len() / 2);
        for (row, household, head) in &rows {
            assert_eq!(head.relationship, Relationship::Head);
            let listed = row[4].split(';').filter(|n| !n.is_empty()).count();
            assert!(listed < household.members.len());
            assert!(NaiveDate::parse_from_str(&row[7], "%Y-%m-%d").is_ok());
        }
    }

    #[test]
    fn jkn_covers_about_seventy_percent_of_people_with_valid_codes() {
        let w = written(3_000, 11);
        let rows = rows_with_truth(&w, "jkn");
        let persons: usize = w.households.iter().map(|h| h.members.len()).sum();
        let share = rows.len() as f64 / persons as f64;
        assert!((0.6..0.8).contains(&share), "{share}");
        let mut moved = 0;
        let mut segments = HashSet::new();
        for (row, household, _) in &rows {
            assert!(row[0].len() == 13 && row[0].bytes().all(|b| b.is_ascii_digit()));
            segments.insert(row[6].to_string());
            assert!(["PBI-APBN", "PBI-APBD", "PPU", "PBPU", "BP"].contains(&&row[6]));
            assert!(["1", "2", "3"].contains(&&row[7]));
            let fktp = row[8].as_bytes();
            assert!(fktp.len() == 8 && fktp[4].is_ascii_uppercase());
            assert!(["AKTIF", "TIDAK AKTIF"].contains(&&row[9]));
            if &row[10] != household.village.as_str() {
                moved += 1;
            }
        }
        assert!(moved > 0);
        assert!(segments.len() >= 4, "{segments:?}");
    }

    #[test]
    fn the_dead_are_missing_from_the_civil_registry_but_not_from_the_survey() {
        let households = population(20_000);
        let ctx = Context::new(&households, 12, today());
        let dead: Vec<(usize, usize)> = households
            .iter()
            .enumerate()
            .flat_map(|(h, hh)| (0..hh.members.len()).map(move |m| (h, m)))
            .filter(|&(h, m)| ctx.is_deceased(h, m))
            .collect();
        assert!(!dead.is_empty());
        for &(h, m) in &dead {
            assert_ne!(households[h].members[m].relationship, Relationship::Head);
        }
        let dir = tempfile::tempdir().expect("temp dir");
        write_extracts(&households, dir.path(), 12, today()).expect("written");
        let truth = std::fs::read_to_string(dir.path().join("truth.csv")).expect("truth");
        for (h, m) in dead {
            let key = format!("H{h:06}-{m:02}");
            let sources: Vec<&str> = truth
                .lines()
                .filter(|l| l.contains(&key))
                .filter_map(|l| l.split(',').next())
                .collect();
            assert!(!sources.contains(&"kk") && !sources.contains(&"ektp"));
        }
    }
}
