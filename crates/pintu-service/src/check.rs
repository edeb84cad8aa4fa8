//! The public check (INF-1): "what might I be entitled to?" for anyone, without logging in.
//!
//! A resident answers a few plain questions (age, sex, regency, who lives in the household,
//! disability, chronic illness, work, household income). The answers become the facts of one
//! made-up person and their household ([`household`]), and every active programme covering the
//! regency has its rule evaluated on them, as "why?" does for a registered person: might be
//! eligible, not eligible, or cannot tell (a fact the questions do not ask stays unknown).
//!
//! Nothing is kept: the answers are read from the request, used and dropped. No row is
//! written (not even to the audit log, since no registered person's data is read), and
//! [`CheckAnswers`] hides its values from `Debug` so they cannot end up in a log line.
//!
//! Where the answers stand in for facts the registry would have:
//! - the household's income is put on the resident (the household's total is what rules
//!   read), at the middle of the chosen range;
//! - the welfare decile is estimated from the income per person ([`estimate_decile`]) and
//!   given to every member; it is unknown when the resident does not say the income;
//! - the PMT score, JKN membership, occupation, marital status and relationship are unknown;
//! - the resident is taken to be enrolled in no programme yet;
//! - household members are known only by the group they were counted in, at a typical age:
//!   [`CHILD_AGE`], [`SCHOOL_CHILD_AGE`] (in primary school), [`OLDER_AGE`]; the others' age
//!   is unknown;
//! - the village is the regency: a rule that names a district or village inside it
//!   (`in_area(..)`) is evaluated for each, and when the answer differs it cannot be told.

use chrono::{Months, NaiveDate};
use pintu_domain::Invalid;
use pintu_domain::area::{AreaCode, AreaLevel};
use pintu_domain::rules::{
    self, Clause, Expr, ExprKind, Outcome, PersonFacts, Rule, Subjects, Truth, area_contains,
};
use pintu_store::areas::Area;
use pintu_store::matching as q;
use serde::{Deserialize, Serialize};

use crate::{Pintu, Result};

/// Oldest age accepted.
pub const MAX_AGE: i64 = 120;
/// Largest household accepted (as the registry's household form).
pub const MAX_HOUSEHOLD: i64 = 30;
/// The age a child under 6 is taken to have.
pub const CHILD_AGE: u32 = 3;
/// The age a child in school is taken to have (in primary school, `SD`).
pub const SCHOOL_CHILD_AGE: u32 = 10;
/// The age a member aged 60 or over is taken to have.
pub const OLDER_AGE: u32 = 65;

/// The answers as posted, as typed. Every field is optional here; [`CheckAnswers::validate`]
/// says which are missing or wrong. `Debug` shows no value, so the answers never reach a log.
#[derive(Clone, Default, Deserialize)]
pub struct CheckAnswers {
    #[serde(default)]
    pub age: String,
    /// `L` or `P`.
    #[serde(default)]
    pub sex: String,
    /// A regency code (`35.07`).
    #[serde(default)]
    pub regency: String,
    /// Everyone in the household, the resident included.
    #[serde(default)]
    pub household_size: String,
    /// Besides the resident: children under 6, children in school, members aged 60 or over
    /// (empty = none).
    #[serde(default)]
    pub children_under_6: String,
    #[serde(default)]
    pub school_children: String,
    #[serde(default)]
    pub older_members: String,
    /// `no`, `me` or `other` (someone else in the household).
    #[serde(default)]
    pub disability: String,
    #[serde(default)]
    pub chronic_illness: String,
    /// `formal`, `informal` or `none`.
    #[serde(default)]
    pub work: String,
    /// One of [`Income`]'s codes.
    #[serde(default)]
    pub income: String,
}

impl std::fmt::Debug for CheckAnswers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckAnswers { .. }")
    }
}

/// The resident's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// An employee with a contract and a wage (DTKS `FORMAL`).
    Formal,
    /// Self-employed, a farmer, a day labourer, a family worker (DTKS `INFORMAL`).
    Informal,
    /// Not working (DTKS `TIDAK BEKERJA`).
    None,
}

impl Work {
    pub const ALL: [Work; 3] = [Work::Formal, Work::Informal, Work::None];

    pub fn code(self) -> &'static str {
        match self {
            Work::Formal => "formal",
            Work::Informal => "informal",
            Work::None => "none",
        }
    }

    /// The DTKS `employment_status` the rules read.
    pub fn employment_status(self) -> &'static str {
        match self {
            Work::Formal => "FORMAL",
            Work::Informal => "INFORMAL",
            Work::None => "TIDAK BEKERJA",
        }
    }
}

/// The household's income per month, as a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Income {
    Under1m,
    From1mTo2m,
    From2mTo3m,
    From3mTo5m,
    From5mTo10m,
    Over10m,
    /// Not known or not said.
    Unknown,
}

impl Income {
    pub const ALL: [Income; 7] = [
        Income::Under1m,
        Income::From1mTo2m,
        Income::From2mTo3m,
        Income::From3mTo5m,
        Income::From5mTo10m,
        Income::Over10m,
        Income::Unknown,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Income::Under1m => "under_1m",
            Income::From1mTo2m => "1m_2m",
            Income::From2mTo3m => "2m_3m",
            Income::From3mTo5m => "3m_5m",
            Income::From5mTo10m => "5m_10m",
            Income::Over10m => "over_10m",
            Income::Unknown => "unknown",
        }
    }

    /// The rupiah a month taken for the range: its middle (Rp 15 million above 10 million).
    pub fn monthly(self) -> Option<i64> {
        match self {
            Income::Under1m => Some(500_000),
            Income::From1mTo2m => Some(1_500_000),
            Income::From2mTo3m => Some(2_500_000),
            Income::From3mTo5m => Some(4_000_000),
            Income::From5mTo10m => Some(7_500_000),
            Income::Over10m => Some(15_000_000),
            Income::Unknown => None,
        }
    }
}

/// Whether someone in the household has a condition (a disability, a chronic illness).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Someone {
    No,
    /// The resident.
    Me,
    /// Someone else in the household.
    Other,
}

impl Someone {
    pub const ALL: [Someone; 3] = [Someone::No, Someone::Me, Someone::Other];

    pub fn code(self) -> &'static str {
        match self {
            Someone::No => "no",
            Someone::Me => "me",
            Someone::Other => "other",
        }
    }
}

/// Who an answer is about: the resident, or a member of their household by the group they
/// were counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Who {
    Resident,
    ChildUnder6,
    SchoolChild,
    Older,
    Other,
}

impl Who {
    pub fn code(self) -> &'static str {
        match self {
            Who::Resident => "resident",
            Who::ChildUnder6 => "child_under_6",
            Who::SchoolChild => "school_child",
            Who::Older => "older",
            Who::Other => "other",
        }
    }
}

/// The answers, checked.
#[derive(Clone, PartialEq)]
pub struct Answers {
    pub age: u32,
    pub sex: &'static str,
    pub regency: AreaCode,
    pub household_size: u32,
    pub children_under_6: u32,
    pub school_children: u32,
    pub older_members: u32,
    pub disability: Someone,
    pub chronic_illness: Someone,
    pub work: Work,
    pub income: Income,
}

/// A regency code as typed, if it is one (`35.07`).
pub fn regency_code(text: &str) -> Option<AreaCode> {
    AreaCode::parse(text)
        .ok()
        .filter(|a| a.level() == AreaLevel::Regency)
}

fn choice<T: Copy>(
    errors: &mut Invalid,
    field: &'static str,
    text: &str,
    all: &[T],
    code: impl Fn(T) -> &'static str,
) -> Option<T> {
    let text = text.trim();
    if text.is_empty() {
        errors.push(field, "required");
        return None;
    }
    let found = all.iter().copied().find(|v| code(*v) == text);
    if found.is_none() {
        errors.push(field, "value_not_allowed");
    }
    found
}

/// A whole number in `0..=max`; empty is `None` (the caller decides whether it is required).
fn number(
    errors: &mut Invalid,
    field: &'static str,
    text: &str,
    max: i64,
    out_of_range: &'static str,
) -> Option<Option<u32>> {
    let text = text.trim();
    if text.is_empty() {
        return Some(None);
    }
    match text.parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => Some(u32::try_from(n).ok()),
        Ok(_) => {
            errors.push(field, out_of_range);
            None
        }
        Err(_) => {
            errors.push(field, "number_invalid");
            None
        }
    }
}

impl CheckAnswers {
    /// Checks every answer and reports every wrong one together. `regency_known` says whether
    /// the regency is in the area list (the caller looks it up).
    pub fn validate(&self, regency_known: bool) -> Result<Answers, Invalid> {
        let mut errors = Invalid::default();
        let age = match number(&mut errors, "age", &self.age, MAX_AGE, "age_out_of_range") {
            Some(None) => {
                errors.push("age", "required");
                None
            }
            other => other.flatten(),
        };
        let sex = match self.sex.trim() {
            "" => {
                errors.push("sex", "required");
                None
            }
            "L" => Some("L"),
            "P" => Some("P"),
            _ => {
                errors.push("sex", "sex_invalid");
                None
            }
        };
        let regency = if self.regency.trim().is_empty() {
            errors.push("regency", "required");
            None
        } else {
            match regency_code(&self.regency) {
                Some(code) if regency_known => Some(code),
                _ => {
                    errors.push("regency", "area_unknown");
                    None
                }
            }
        };
        let size = match number(
            &mut errors,
            "household_size",
            &self.household_size,
            MAX_HOUSEHOLD,
            "household_size_out_of_range",
        ) {
            Some(None) => {
                errors.push("household_size", "required");
                None
            }
            Some(Some(0)) => {
                errors.push("household_size", "household_size_out_of_range");
                None
            }
            other => other.flatten(),
        };
        let mut count = |field: &'static str, text: &str| {
            number(
                &mut errors,
                field,
                text,
                MAX_HOUSEHOLD - 1,
                "household_size_out_of_range",
            )
            .map(Option::unwrap_or_default)
        };
        let under_6 = count("children_under_6", &self.children_under_6);
        let school = count("school_children", &self.school_children);
        let older = count("older_members", &self.older_members);
        if let (Some(size), Some(a), Some(b), Some(c)) = (size, under_6, school, older)
            && a + b + c > size - 1
        {
            errors.push("household_size", "members_exceed_household");
        }
        let mut condition = |field: &'static str, text: &str| {
            let found = choice(&mut errors, field, text, &Someone::ALL, Someone::code);
            if found == Some(Someone::Other) && size == Some(1) {
                errors.push(field, "no_other_member");
            }
            found
        };
        let disability = condition("disability", &self.disability);
        let chronic_illness = condition("chronic_illness", &self.chronic_illness);
        let work = choice(&mut errors, "work", &self.work, &Work::ALL, Work::code);
        let income = choice(
            &mut errors,
            "income",
            &self.income,
            &Income::ALL,
            Income::code,
        );
        match (
            age,
            sex,
            regency,
            size,
            under_6,
            school,
            older,
            disability,
            chronic_illness,
            work,
            income,
        ) {
            (
                Some(age),
                Some(sex),
                Some(regency),
                Some(household_size),
                Some(children_under_6),
                Some(school_children),
                Some(older_members),
                Some(disability),
                Some(chronic_illness),
                Some(work),
                Some(income),
            ) if errors.is_empty() => Ok(Answers {
                age,
                sex,
                regency,
                household_size,
                children_under_6,
                school_children,
                older_members,
                disability,
                chronic_illness,
                work,
                income,
            }),
            _ => Err(errors),
        }
    }
}

/// Upper bounds of the first nine welfare deciles, in rupiah of income per person a month: an
/// illustration close to Indonesia's per-capita spending deciles, not an official table.
pub const DECILE_BOUNDS: [i64; 9] = [
    600_000, 750_000, 900_000, 1_050_000, 1_250_000, 1_500_000, 1_850_000, 2_400_000, 3_500_000,
];

/// A plausible welfare decile (1 = poorest tenth) for an income per person a month.
pub fn estimate_decile(income_per_person: i64) -> i64 {
    let below = DECILE_BOUNDS
        .iter()
        .position(|bound| income_per_person < *bound)
        .unwrap_or(DECILE_BOUNDS.len());
    below as i64 + 1
}

/// The household's income per person a month, when the income is said.
pub fn income_per_person(a: &Answers) -> Option<i64> {
    a.income
        .monthly()
        .map(|m| m / i64::from(a.household_size.max(1)))
}

fn born(on: NaiveDate, age: u32) -> Option<NaiveDate> {
    on.checked_sub_months(Months::new(age.saturating_mul(12)))
}

/// The made-up household the rules are evaluated on: the resident first, then the members by
/// group (children under 6, children in school, members aged 60 or over, the others), and who
/// each one is.
pub fn household(a: &Answers, on: NaiveDate) -> (Subjects, Vec<Who>) {
    let decile = income_per_person(a).map(estimate_decile);
    let village = a.regency.as_str().to_string();
    let base = PersonFacts {
        village: village.clone(),
        welfare_decile: decile,
        disability: Some(false),
        chronic_illness: Some(false),
        ..PersonFacts::default()
    };
    let resident = PersonFacts {
        birth_date: born(on, a.age),
        sex: a.sex.to_string(),
        employment_status: Some(a.work.employment_status().to_string()),
        monthly_income: a.income.monthly(),
        disability: Some(a.disability == Someone::Me),
        chronic_illness: Some(a.chronic_illness == Someone::Me),
        ..base.clone()
    };
    let mut members = vec![resident];
    let mut who = vec![Who::Resident];
    let mut add = |n: u32, w: Who, facts: PersonFacts| {
        for _ in 0..n {
            members.push(facts.clone());
            who.push(w);
        }
    };
    add(
        a.children_under_6,
        Who::ChildUnder6,
        PersonFacts {
            birth_date: born(on, CHILD_AGE),
            school_status: Some("TIDAK/BELUM".into()),
            ..base.clone()
        },
    );
    add(
        a.school_children,
        Who::SchoolChild,
        PersonFacts {
            birth_date: born(on, SCHOOL_CHILD_AGE),
            school_status: Some("SD".into()),
            employment_status: Some("PELAJAR".into()),
            ..base.clone()
        },
    );
    add(
        a.older_members,
        Who::Older,
        PersonFacts {
            birth_date: born(on, OLDER_AGE),
            ..base.clone()
        },
    );
    let others = a
        .household_size
        .saturating_sub(1 + a.children_under_6 + a.school_children + a.older_members);
    add(others, Who::Other, base);
    // Someone else with a condition: the first of the others, else the first member counted.
    let carrier = who
        .iter()
        .position(|w| *w == Who::Other)
        .or((members.len() > 1).then_some(1));
    if let Some(i) = carrier {
        if a.disability == Someone::Other {
            members[i].disability = Some(true);
        }
        if a.chronic_illness == Someone::Other {
            members[i].chronic_illness = Some(true);
        }
    }
    let person = members[0].clone();
    (Subjects { person, members }, who)
}

/// The areas inside `regency` (strictly) that a rule's `in_area(..)` names.
fn areas_inside(e: &Expr, regency: &str, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::InArea(_, area) => {
            if area != regency && area_contains(regency, area) && !out.contains(area) {
                out.push(area.clone());
            }
        }
        ExprKind::Known(x)
        | ExprKind::Not(x)
        | ExprKind::In(x, _)
        | ExprKind::MembersExist(x)
        | ExprKind::MembersAll(x)
        | ExprKind::MembersCount(x) => areas_inside(x, regency, out),
        ExprKind::And(xs) | ExprKind::Or(xs) => {
            xs.iter().for_each(|x| areas_inside(x, regency, out));
        }
        ExprKind::Compare(_, a, b) | ExprKind::Arith(_, a, b) => {
            areas_inside(a, regency, out);
            areas_inside(b, regency, out);
        }
        ExprKind::Literal(_)
        | ExprKind::Field(..)
        | ExprKind::Household(_)
        | ExprKind::Enrolled(..)
        | ExprKind::HouseholdEnrolled(_) => {}
    }
}

/// The household living in `village` instead.
fn moved(s: &Subjects, village: &str) -> Subjects {
    let mut s = s.clone();
    s.person.village = village.to_string();
    for m in &mut s.members {
        m.village = village.to_string();
    }
    s
}

/// A rule's answer for a household living somewhere in the regency. Living in the regency
/// itself means in none of the districts or villages the rule names; living in each named
/// area covers the other cases, so when they all agree the answer holds anywhere in the
/// regency; otherwise it cannot be told (the second value is then true).
fn evaluate(rule: &Rule, s: &Subjects, inside: &[String], on: NaiveDate) -> (Outcome, bool) {
    let outcome = rule.evaluate(s, on);
    let varies = inside
        .iter()
        .any(|v| rule.evaluate(&moved(s, v), on).truth != outcome.truth);
    if varies {
        (
            Outcome {
                truth: Truth::Unknown,
                clauses: outcome.clauses,
            },
            true,
        )
    } else {
        (outcome, false)
    }
}

/// What one programme might mean for the resident.
#[derive(Debug, Clone, Serialize)]
pub struct CheckLine {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    /// `person` or `household`.
    pub target: String,
    /// Might be eligible (true), not eligible (false), cannot tell (unknown).
    pub truth: Truth,
    /// Whom the answer is about: a programme for persons that the resident is not eligible
    /// for may be one for someone in the household (a child's schooling, an older member).
    pub who: Who,
    /// The clauses that decided the answer, in plain words in both languages.
    pub clauses: Vec<Clause>,
    /// The answer depends on the district or village within the regency.
    pub varies_by_area: bool,
    /// `no_rule` or `rule_invalid`: the programme's rule cannot be evaluated.
    pub error: Option<&'static str>,
}

/// The check's answer.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub regency: Area,
    /// The household's income per person a month taken for the estimate, if said.
    pub income_per_person: Option<i64>,
    /// The welfare decile estimated from it.
    pub welfare_decile: Option<i64>,
    /// Every active programme covering the regency, by code.
    pub programmes: Vec<CheckLine>,
}

/// The answers for every programme: the resident's, or, for a programme for persons the
/// resident might not get, the first household member who might.
pub fn check_programmes(
    programmes: &[q::MatchProgramme],
    subjects: &Subjects,
    who: &[Who],
    regency: &str,
    on: NaiveDate,
) -> Vec<CheckLine> {
    let decisive = |o: Outcome| o.clauses.into_iter().filter(|c| c.decisive).collect();
    programmes
        .iter()
        .filter(|g| {
            g.area_code
                .as_deref()
                .is_none_or(|a| area_contains(a, regency))
        })
        .map(|g| {
            let mut line = CheckLine {
                code: g.code.clone(),
                name_id: g.name_id.clone(),
                name_en: g.name_en.clone(),
                target: g.target.clone(),
                truth: Truth::Unknown,
                who: Who::Resident,
                clauses: Vec::new(),
                varies_by_area: false,
                error: None,
            };
            let rule = match g.rule.as_deref().map(rules::check) {
                Some(Ok(rule)) => rule,
                Some(Err(_)) => {
                    line.error = Some("rule_invalid");
                    return line;
                }
                None => {
                    line.error = Some("no_rule");
                    return line;
                }
            };
            let mut inside = Vec::new();
            areas_inside(&rule.expr, regency, &mut inside);
            let (mut outcome, mut varies) = evaluate(&rule, subjects, &inside, on);
            if outcome.truth != Truth::True && g.target == "person" {
                let member = (1..subjects.members.len()).find_map(|i| {
                    let as_member = Subjects {
                        person: subjects.members[i].clone(),
                        members: subjects.members.clone(),
                    };
                    let (o, v) = evaluate(&rule, &as_member, &inside, on);
                    (o.truth == Truth::True).then_some((i, o, v))
                });
                if let Some((i, o, v)) = member {
                    line.who = who.get(i).copied().unwrap_or(Who::Other);
                    outcome = o;
                    varies = v;
                }
            }
            line.truth = outcome.truth;
            line.varies_by_area = varies;
            line.clauses = decisive(outcome);
            line
        })
        .collect()
}

impl Pintu {
    /// The provinces, each with its regencies, by code: the check's area question.
    pub async fn check_regencies(&self) -> Result<Vec<(Area, Vec<Area>)>> {
        let provinces = self.store.child_areas(None).await?;
        let regencies = self.store.areas_at_level(AreaLevel::Regency).await?;
        Ok(provinces
            .into_iter()
            .map(|p| {
                let within = regencies
                    .iter()
                    .filter(|r| r.parent_code.as_deref() == Some(p.code.as_str()))
                    .cloned()
                    .collect();
                (p, within)
            })
            .collect())
    }

    /// The public check: what the programmes active on `on` that cover the resident's regency
    /// might mean for them, from their answers alone. Reads the area list and the programme
    /// catalogue; writes nothing and records nothing. Wrong answers are `Error::Invalid`,
    /// field by field.
    pub async fn public_check(&self, answers: &CheckAnswers, on: NaiveDate) -> Result<CheckResult> {
        let regency = match regency_code(&answers.regency) {
            Some(code) => self
                .store
                .area(code.as_str())
                .await?
                .filter(|a| a.level == AreaLevel::Regency),
            None => None,
        };
        let a = answers.validate(regency.is_some())?;
        let Some(regency) = regency else {
            return Err(Invalid::one("regency", "area_unknown").into());
        };
        let (subjects, who) = household(&a, on);
        let programmes = q::active_programmes(self.store.conn(), on).await?;
        let per_person = income_per_person(&a);
        Ok(CheckResult {
            programmes: check_programmes(&programmes, &subjects, &who, &regency.code, on),
            income_per_person: per_person,
            welfare_decile: per_person.map(estimate_decile),
            regency,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")
    }

    fn answers() -> CheckAnswers {
        CheckAnswers {
            age: "34".into(),
            sex: "P".into(),
            regency: "35.07".into(),
            household_size: "5".into(),
            children_under_6: "1".into(),
            school_children: "2".into(),
            older_members: "".into(),
            disability: "other".into(),
            chronic_illness: "no".into(),
            work: "informal".into(),
            income: "2m_3m".into(),
        }
    }

    fn programme(code: &str, target: &str, area: Option<&str>, rule: &str) -> q::MatchProgramme {
        q::MatchProgramme {
            id: code.into(),
            code: code.into(),
            name_id: code.into(),
            name_en: code.into(),
            area_code: area.map(str::to_string),
            target: target.into(),
            rank_by: String::new(),
            quota: None,
            need: None,
            requires: "[]".into(),
            implies: "[]".into(),
            rule_version: Some(1),
            rule: Some(rule.into()),
        }
    }

    fn codes(errors: &Invalid) -> Vec<(String, &'static str)> {
        errors.0.iter().map(|e| (e.field.clone(), e.code)).collect()
    }

    #[test]
    fn answers_become_the_facts_rules_read() {
        let a = answers().validate(true).expect("valid answers");
        let (s, who) = household(&a, on());
        assert_eq!(
            who,
            vec![
                Who::Resident,
                Who::ChildUnder6,
                Who::SchoolChild,
                Who::SchoolChild,
                Who::Other
            ]
        );
        assert_eq!(s.members.len(), 5);
        assert_eq!(s.person, s.members[0]);
        let me = &s.person;
        assert_eq!(me.birth_date, NaiveDate::from_ymd_opt(1992, 3, 1));
        assert_eq!(me.sex, "P");
        assert_eq!(me.village, "35.07");
        assert_eq!(me.employment_status.as_deref(), Some("INFORMAL"));
        assert_eq!(me.monthly_income, Some(2_500_000));
        assert_eq!(me.disability, Some(false));
        assert_eq!(me.school_status, None);
        assert!(me.enrolments.is_empty());
        // Rp 2.5 million for 5 people: Rp 500,000 each, the poorest decile; every member has it.
        assert_eq!(income_per_person(&a), Some(500_000));
        assert!(s.members.iter().all(|m| m.welfare_decile == Some(1)));
        assert!(s.members[1..].iter().all(|m| m.monthly_income.is_none()));
        let child = &s.members[1];
        assert_eq!(
            rules::age_on(child.birth_date.expect("born"), on()),
            i64::from(CHILD_AGE)
        );
        assert_eq!(s.members[2].school_status.as_deref(), Some("SD"));
        // The other member: age unknown, and the one with the disability.
        assert_eq!(s.members[4].birth_date, None);
        assert_eq!(s.members[4].disability, Some(true));
        assert_eq!(s.members[4].pmt_score, None);

        let rule = |text: &str| rules::check(text).expect("checks").evaluate(&s, on()).truth;
        assert_eq!(rule("household.size == 5"), Truth::True);
        assert_eq!(rule("household.income_per_capita == 500000"), Truth::True);
        assert_eq!(rule("household.members.exists(m, m.age < 6)"), Truth::True);
        assert_eq!(
            rule("household.members.filter(m, m.school_status == \"SD\").size() == 2"),
            Truth::True
        );
        assert_eq!(
            rule("household.members.exists(m, m.disability)"),
            Truth::True
        );
        assert_eq!(rule("household.pmt_score < 30"), Truth::Unknown);
        assert_eq!(rule("jkn_segment == \"PBI\""), Truth::Unknown);

        let mut unsaid = answers();
        unsaid.income = "unknown".into();
        let a = unsaid.validate(true).expect("valid answers");
        let (s, _) = household(&a, on());
        assert!(s.members.iter().all(|m| m.welfare_decile.is_none()));
        assert_eq!(s.person.monthly_income, None);
    }

    #[test]
    fn deciles_rise_with_income_per_person() {
        assert_eq!(estimate_decile(0), 1);
        assert_eq!(estimate_decile(599_999), 1);
        assert_eq!(estimate_decile(600_000), 2);
        assert_eq!(estimate_decile(1_000_000), 4);
        assert_eq!(estimate_decile(3_499_999), 9);
        assert_eq!(estimate_decile(50_000_000), 10);
    }

    #[test]
    fn wrong_answers_are_reported_field_by_field() {
        let empty = CheckAnswers::default()
            .validate(false)
            .err()
            .expect("invalid");
        let mut fields: Vec<String> = empty.0.iter().map(|e| e.field.clone()).collect();
        fields.sort();
        assert_eq!(
            fields,
            vec![
                "age",
                "chronic_illness",
                "disability",
                "household_size",
                "income",
                "regency",
                "sex",
                "work"
            ]
        );
        assert!(empty.0.iter().all(|e| e.code == "required"));

        let wrong = CheckAnswers {
            age: "121".into(),
            sex: "X".into(),
            regency: "35.07.01".into(),
            household_size: "2".into(),
            children_under_6: "1".into(),
            school_children: "dua".into(),
            older_members: "1".into(),
            disability: "maybe".into(),
            chronic_illness: "other".into(),
            work: "formal".into(),
            income: "lots".into(),
        };
        assert_eq!(
            codes(&wrong.validate(true).err().expect("invalid")),
            vec![
                ("age".to_string(), "age_out_of_range"),
                ("sex".to_string(), "sex_invalid"),
                ("regency".to_string(), "area_unknown"),
                ("school_children".to_string(), "number_invalid"),
                ("disability".to_string(), "value_not_allowed"),
                ("income".to_string(), "value_not_allowed"),
            ]
        );

        let mut crowded = answers();
        crowded.household_size = "3".into();
        assert_eq!(
            codes(&crowded.validate(true).err().expect("invalid")),
            vec![("household_size".to_string(), "members_exceed_household")]
        );
        let mut alone = answers();
        alone.household_size = "1".into();
        alone.children_under_6 = "0".into();
        alone.school_children = "0".into();
        assert_eq!(
            codes(&alone.validate(true).err().expect("invalid")),
            vec![("disability".to_string(), "no_other_member")]
        );
        assert_eq!(
            codes(&answers().validate(false).err().expect("invalid")),
            vec![("regency".to_string(), "area_unknown")]
        );
        assert!(format!("{:?}", answers()).contains(".."));
        assert!(!format!("{:?}", answers()).contains("35.07"));
    }

    #[test]
    fn programmes_are_answered_for_the_resident_or_a_member() {
        let a = answers().validate(true).expect("valid answers");
        let (s, who) = household(&a, on());
        let programmes = vec![
            programme("CASH", "household", None, "household.welfare_decile <= 3"),
            programme("ELDER", "person", None, "age >= 60"),
            programme(
                "SCHOOL",
                "person",
                None,
                "age >= 6 && age <= 12 && school_status == \"SD\"",
            ),
            programme("JKN", "person", None, "jkn_segment == \"PBI\""),
            programme("ELSEWHERE", "person", Some("81.71"), "true"),
            programme(
                "VILLAGE",
                "person",
                None,
                "in_area(\"35.07.01\") && age >= 18",
            ),
            programme("MALANG", "person", Some("35.07"), "age >= 18"),
        ];
        let lines = check_programmes(&programmes, &s, &who, "35.07", on());
        let got: Vec<(&str, Truth, Who, bool)> = lines
            .iter()
            .map(|l| (l.code.as_str(), l.truth, l.who, l.varies_by_area))
            .collect();
        assert_eq!(
            got,
            vec![
                ("CASH", Truth::True, Who::Resident, false),
                ("ELDER", Truth::False, Who::Resident, false),
                ("SCHOOL", Truth::True, Who::SchoolChild, false),
                ("JKN", Truth::Unknown, Who::Resident, false),
                ("VILLAGE", Truth::Unknown, Who::Resident, true),
                ("MALANG", Truth::True, Who::Resident, false),
            ]
        );
        let elder = &lines[1];
        assert_eq!(elder.clauses[0].because_en, "age (years) is 34, not ≥ 60");
        assert_eq!(lines[3].clauses[0].because_en, "JKN segment is unknown");
    }
}
