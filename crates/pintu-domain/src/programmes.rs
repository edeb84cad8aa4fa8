//! The programme catalogue (PRG-1): the "single form" of each social protection programme —
//! who owns it, which guarantee of the social protection floor it serves, what it gives, where,
//! to whom (its eligibility rule, kept as versions by the service), what to bring and how to
//! register — and who may keep it.
//!
//! A [`ProgrammeInput`] is what was typed (a form, an API body, a catalogue entry);
//! [`ProgrammeInput::validate`] turns it into a [`Programme`], valid by construction, or every
//! field error at once. The rule and the ranking order are checked by the rule language
//! ([`crate::rules`]) in the service, which also knows which codes and areas exist.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::access::{Actor, Role};
use crate::area::{AreaCode, AreaLevel};
use crate::complaints::{codes, text};
use crate::validation::Invalid;

/// The ranking order when none is given: the lowest welfare score first (the poorest), then
/// the lowest decile.
pub const DEFAULT_RANK_BY: &str = "household.pmt_score, household.welfare_decile";
/// Most documents a programme lists.
pub const MAX_DOCUMENTS: usize = 30;
/// Most programmes a programme may require or imply.
pub const MAX_CODES: usize = 20;

codes! {
    /// The guarantee of the social protection floor a programme serves (ILO R202): essential
    /// health care, income security for children, for people of working age, and for older
    /// persons.
    Guarantee {
        Health = "health",
        Children = "children",
        WorkingAge = "working_age",
        OlderPersons = "older_persons",
    }
}

codes! {
    /// What a programme gives.
    Kind {
        Cash = "cash",
        InKind = "in_kind",
        Insurance = "insurance",
        Service = "service",
        Training = "training",
        Employment = "employment",
    }
}

codes! {
    /// Who is listed: a person, or a household (by its head).
    Target {
        Person = "person",
        Household = "household",
    }
}

codes! {
    /// How often the benefit amount is paid.
    BenefitPeriod {
        Month = "month",
        Quarter = "quarter",
        Year = "year",
        Once = "once",
    }
}

/// A document to bring, named in Bahasa Indonesia and English.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub en: String,
}

/// A programme as entered: text as typed, numbers as given. Empty optional text is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProgrammeInput {
    /// `^[A-Z0-9-]{2,24}$` (lower case is raised).
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub description_id: Option<String>,
    pub description_en: Option<String>,
    pub owner_agency: String,
    pub technical_unit: Option<String>,
    /// A [`Guarantee`] code.
    pub guarantee: String,
    /// A [`Kind`] code.
    pub kind: String,
    /// A [`Target`] code.
    pub target: String,
    pub benefit_id: Option<String>,
    pub benefit_en: Option<String>,
    /// Whole rupiah per period.
    pub benefit_amount: Option<i64>,
    /// A [`BenefitPeriod`] code; required with an amount.
    pub benefit_period: Option<String>,
    /// Absent: national; else the province or regency the programme covers.
    pub area_code: Option<String>,
    pub budget: Option<i64>,
    /// A cap on the people (or households) served in all.
    pub quota: Option<i64>,
    /// Programmes meeting the same need (`health_insurance`): served twice = double targeting.
    pub need: Option<String>,
    /// The ranking order (default [`DEFAULT_RANK_BY`]).
    pub rank_by: Option<String>,
    pub documents: Vec<Document>,
    pub procedure_id: Option<String>,
    pub procedure_en: Option<String>,
    pub focal_point: Option<String>,
    /// `YYYY-MM-DD`.
    pub active_from: String,
    pub active_until: Option<String>,
    /// Codes of programmes a beneficiary must also be in (conditions of a package).
    pub requires: Vec<String>,
    /// Codes of programmes a beneficiary should also be in (combined packages).
    pub implies: Vec<String>,
    /// An illustration shipped with Pintu, not an agency's official criteria.
    pub example: bool,
}

/// A programme's form, valid by construction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Programme {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub description_id: Option<String>,
    pub description_en: Option<String>,
    pub owner_agency: String,
    pub technical_unit: Option<String>,
    pub guarantee: Guarantee,
    pub kind: Kind,
    pub target: Target,
    pub benefit_id: Option<String>,
    pub benefit_en: Option<String>,
    pub benefit_amount: Option<i64>,
    pub benefit_period: Option<BenefitPeriod>,
    pub area: Option<AreaCode>,
    pub budget: Option<i64>,
    pub quota: Option<i64>,
    pub need: Option<String>,
    pub rank_by: String,
    pub documents: Vec<Document>,
    pub procedure_id: Option<String>,
    pub procedure_en: Option<String>,
    pub focal_point: Option<String>,
    pub active_from: NaiveDate,
    pub active_until: Option<NaiveDate>,
    pub requires: Vec<String>,
    pub implies: Vec<String>,
    pub example: bool,
}

impl Programme {
    /// Whether the programme runs on `on`.
    pub fn active_on(&self, on: NaiveDate) -> bool {
        self.active_from <= on && self.active_until.is_none_or(|u| u >= on)
    }
}

/// A programme code: trimmed, raised to upper case, `^[A-Z0-9-]{2,24}$`.
pub fn parse_code(input: &str) -> Result<String, &'static str> {
    let code = input.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err("required");
    }
    let ok = (2..=24).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(code)
    } else {
        Err("programme_code_invalid")
    }
}

/// A date as typed, `YYYY-MM-DD`, between 1945 and 2100.
pub fn parse_date(input: &str) -> Result<NaiveDate, &'static str> {
    let d = NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d").map_err(|_| "date_invalid")?;
    let year = chrono::Datelike::year(&d);
    if (1945..=2100).contains(&year) {
        Ok(d)
    } else {
        Err("date_invalid")
    }
}

/// A need: `^[a-z0-9_]{2,32}$`.
fn parse_need(input: &str) -> Result<String, &'static str> {
    let need = input.trim().to_ascii_lowercase();
    let ok = (2..=32).contains(&need.len())
        && need
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok { Ok(need) } else { Err("need_invalid") }
}

fn required_text(v: &str, field: &str, max: usize, errors: &mut Invalid) -> String {
    match text(v, max) {
        Ok(t) => t,
        Err(code) => {
            errors.push(field, code);
            String::new()
        }
    }
}

fn optional_text(
    v: &Option<String>,
    field: &str,
    max: usize,
    errors: &mut Invalid,
) -> Option<String> {
    let v = v.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
    match text(v, max) {
        Ok(t) => Some(t),
        Err(code) => {
            errors.push(field, code);
            None
        }
    }
}

fn code_of<T>(
    v: &str,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
    unknown: &'static str,
    errors: &mut Invalid,
) -> Option<T> {
    match v.trim() {
        "" => {
            errors.push(field, "required");
            None
        }
        s => parse(s).or_else(|| {
            errors.push(field, unknown);
            None
        }),
    }
}

fn amount(v: Option<i64>, field: &str, errors: &mut Invalid) -> Option<i64> {
    match v {
        Some(n) if n < 0 => {
            errors.push(field, "amount_negative");
            None
        }
        other => other,
    }
}

/// Programme codes of a package: each valid, none twice (the first kept), not the
/// programme's own.
fn codes_list(list: &[String], field: &str, own: &str, errors: &mut Invalid) -> Vec<String> {
    if list.len() > MAX_CODES {
        errors.push(field, "too_many_codes");
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, raw) in list.iter().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        match parse_code(raw) {
            Ok(c) if c == own => errors.push(format!("{field}[{i}]"), "programme_refers_to_itself"),
            Ok(c) => {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
            Err(code) => errors.push(format!("{field}[{i}]"), code),
        }
    }
    out
}

impl ProgrammeInput {
    /// The programme, or every field error (codes the UI translates).
    pub fn validate(&self) -> Result<Programme, Invalid> {
        let mut errors = Invalid::default();
        let code = match parse_code(&self.code) {
            Ok(c) => c,
            Err(e) => {
                errors.push("code", e);
                String::new()
            }
        };
        let name_id = required_text(&self.name_id, "name_id", 200, &mut errors);
        let name_en = required_text(&self.name_en, "name_en", 200, &mut errors);
        let description_id =
            optional_text(&self.description_id, "description_id", 4000, &mut errors);
        let description_en =
            optional_text(&self.description_en, "description_en", 4000, &mut errors);
        let owner_agency = required_text(&self.owner_agency, "owner_agency", 200, &mut errors);
        let technical_unit =
            optional_text(&self.technical_unit, "technical_unit", 200, &mut errors);
        let guarantee = code_of(
            &self.guarantee,
            "guarantee",
            Guarantee::parse,
            "guarantee_unknown",
            &mut errors,
        );
        let kind = code_of(&self.kind, "kind", Kind::parse, "kind_unknown", &mut errors);
        let target = code_of(
            &self.target,
            "target",
            Target::parse,
            "target_unknown",
            &mut errors,
        );
        let benefit_id = optional_text(&self.benefit_id, "benefit_id", 1000, &mut errors);
        let benefit_en = optional_text(&self.benefit_en, "benefit_en", 1000, &mut errors);
        let benefit_amount = amount(self.benefit_amount, "benefit_amount", &mut errors);
        let benefit_period = match self.benefit_period.as_deref().map(str::trim) {
            None | Some("") => {
                if benefit_amount.is_some() {
                    errors.push("benefit_period", "required");
                }
                None
            }
            Some(p) => BenefitPeriod::parse(p).or_else(|| {
                errors.push("benefit_period", "benefit_period_unknown");
                None
            }),
        };
        let area = match self.area_code.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) => match AreaCode::parse(a) {
                Ok(a) if matches!(a.level(), AreaLevel::Province | AreaLevel::Regency) => Some(a),
                Ok(_) => {
                    errors.push("area_code", "programme_area_level");
                    None
                }
                Err(e) => {
                    errors.push("area_code", e.code());
                    None
                }
            },
        };
        let budget = amount(self.budget, "budget", &mut errors);
        let quota = amount(self.quota, "quota", &mut errors);
        let need = match self.need.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(n) => match parse_need(n) {
                Ok(n) => Some(n),
                Err(e) => {
                    errors.push("need", e);
                    None
                }
            },
        };
        let rank_by = match self.rank_by.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_RANK_BY.to_string(),
            Some(r) if r.len() > 1000 => {
                errors.push("rank_by", "too_long");
                String::new()
            }
            Some(r) => r.to_string(),
        };
        let mut documents = Vec::new();
        if self.documents.len() > MAX_DOCUMENTS {
            errors.push("documents", "too_many_documents");
        } else {
            for (i, d) in self.documents.iter().enumerate() {
                if d.id.trim().is_empty() && d.en.trim().is_empty() {
                    continue;
                }
                let id = required_text(&d.id, &format!("documents[{i}].id"), 300, &mut errors);
                let en = required_text(&d.en, &format!("documents[{i}].en"), 300, &mut errors);
                documents.push(Document { id, en });
            }
        }
        let procedure_id = optional_text(&self.procedure_id, "procedure_id", 4000, &mut errors);
        let procedure_en = optional_text(&self.procedure_en, "procedure_en", 4000, &mut errors);
        let focal_point = optional_text(&self.focal_point, "focal_point", 500, &mut errors);
        let active_from = match self.active_from.trim() {
            "" => {
                errors.push("active_from", "required");
                None
            }
            s => parse_date(s)
                .map_err(|e| errors.push("active_from", e))
                .ok(),
        };
        let active_until = match self.active_until.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => parse_date(s)
                .map_err(|e| errors.push("active_until", e))
                .ok(),
        };
        if let (Some(from), Some(until)) = (active_from, active_until)
            && until < from
        {
            errors.push("active_until", "dates_out_of_order");
        }
        let requires = codes_list(&self.requires, "requires", &code, &mut errors);
        let implies = codes_list(&self.implies, "implies", &code, &mut errors);
        let (Some(guarantee), Some(kind), Some(target), Some(active_from)) =
            (guarantee, kind, target, active_from)
        else {
            return Err(errors);
        };
        errors.or_ok(Programme {
            code,
            name_id,
            name_en,
            description_id,
            description_en,
            owner_agency,
            technical_unit,
            guarantee,
            kind,
            target,
            benefit_id,
            benefit_en,
            benefit_amount,
            benefit_period,
            area,
            budget,
            quota,
            need,
            rank_by,
            documents,
            procedure_id,
            procedure_en,
            focal_point,
            active_from,
            active_until,
            requires,
            implies,
            example: self.example,
        })
    }
}

impl From<&Programme> for ProgrammeInput {
    /// The form of a programme as it stands, to edit.
    fn from(p: &Programme) -> ProgrammeInput {
        ProgrammeInput {
            code: p.code.clone(),
            name_id: p.name_id.clone(),
            name_en: p.name_en.clone(),
            description_id: p.description_id.clone(),
            description_en: p.description_en.clone(),
            owner_agency: p.owner_agency.clone(),
            technical_unit: p.technical_unit.clone(),
            guarantee: p.guarantee.code().into(),
            kind: p.kind.code().into(),
            target: p.target.code().into(),
            benefit_id: p.benefit_id.clone(),
            benefit_en: p.benefit_en.clone(),
            benefit_amount: p.benefit_amount,
            benefit_period: p.benefit_period.map(|b| b.code().into()),
            area_code: p.area.as_ref().map(|a| a.as_str().into()),
            budget: p.budget,
            quota: p.quota,
            need: p.need.clone(),
            rank_by: Some(p.rank_by.clone()),
            documents: p.documents.clone(),
            procedure_id: p.procedure_id.clone(),
            procedure_en: p.procedure_en.clone(),
            focal_point: p.focal_point.clone(),
            active_from: p.active_from.to_string(),
            active_until: p.active_until.map(|d| d.to_string()),
            requires: p.requires.clone(),
            implies: p.implies.clone(),
            example: p.example,
        }
    }
}

/// Most questions a programme's call-centre script keeps.
pub const MAX_QUESTIONS: usize = 30;

/// A question residents ask about a programme and the call centre's answer, in Bahasa
/// Indonesia and English, kept with the programme in the catalogue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub question_id: String,
    pub question_en: String,
    pub answer_id: String,
    pub answer_en: String,
}

/// Checks a programme's questions: blank rows are dropped, every other row needs its
/// question and answer in both languages (questions up to 300 characters, answers 2,000).
pub fn check_questions(list: &[Question]) -> Result<Vec<Question>, Invalid> {
    let mut errors = Invalid::default();
    let mut out = Vec::new();
    let rows: Vec<&Question> = list
        .iter()
        .filter(|q| {
            [&q.question_id, &q.question_en, &q.answer_id, &q.answer_en]
                .iter()
                .any(|t| !t.trim().is_empty())
        })
        .collect();
    if rows.len() > MAX_QUESTIONS {
        errors.push("questions", "too_many_questions");
        return Err(errors);
    }
    for (i, q) in rows.into_iter().enumerate() {
        let mut field = |name: &str, value: &str, max: usize| {
            required_text(value, &format!("questions[{i}].{name}"), max, &mut errors)
        };
        let checked = Question {
            question_id: field("question_id", &q.question_id, 300),
            question_en: field("question_en", &q.question_en, 300),
            answer_id: field("answer_id", &q.answer_id, 2_000),
            answer_en: field("answer_en", &q.answer_en, 2_000),
        };
        out.push(checked);
    }
    errors.or_ok(out)
}

/// Whether `actor` keeps a programme covering `area` (none: national): district back offices
/// and above whose area contains the programme's; a national programme only national officers
/// and administrators (and the system).
pub fn may_manage(actor: &Actor, area: Option<&AreaCode>) -> bool {
    match actor {
        Actor::System { .. } => true,
        Actor::Officer {
            role, area: home, ..
        } => {
            role_keeps_catalogue(*role)
                && match (home, area) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(home), Some(area)) => home.contains(area),
                }
        }
        Actor::Resident { .. } => false,
    }
}

/// Whether `actor` sets a quota for `quota_area`: a district back office or above whose area
/// contains it, whoever owns the programme (a district sets its villages' quotas of a
/// national programme).
pub fn may_set_quota(actor: &Actor, quota_area: &AreaCode) -> bool {
    match actor {
        Actor::System { .. } => true,
        Actor::Officer {
            role, area: home, ..
        } => role_keeps_catalogue(*role) && home.as_ref().is_none_or(|h| h.contains(quota_area)),
        Actor::Resident { .. } => false,
    }
}

/// Whether a quota for `quota_area` belongs to a programme covering `programme_area`.
pub fn quota_area_fits(programme_area: Option<&AreaCode>, quota_area: &AreaCode) -> bool {
    programme_area.is_none_or(|p| p.contains(quota_area))
}

/// Whether `actor` keeps any part of the catalogue: district back offices and above, and the
/// system.
pub fn keeps_catalogue(actor: &Actor) -> bool {
    actor.role().is_none_or(role_keeps_catalogue)
}

fn role_keeps_catalogue(role: Role) -> bool {
    matches!(
        role,
        Role::DistrictOfficer | Role::ProvinceOfficer | Role::NationalOfficer | Role::Admin
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkh() -> ProgrammeInput {
        ProgrammeInput {
            code: "pkh".into(),
            name_id: "Program Keluarga Harapan".into(),
            name_en: "Family Hope Programme".into(),
            owner_agency: "Kementerian Sosial".into(),
            guarantee: "children".into(),
            kind: "cash".into(),
            target: "household".into(),
            benefit_amount: Some(750_000),
            benefit_period: Some("quarter".into()),
            documents: vec![Document {
                id: "Kartu Keluarga".into(),
                en: "Family card".into(),
            }],
            active_from: "2007-07-01".into(),
            requires: vec!["pip".into(), "PIP".into()],
            implies: vec!["PBI-JK".into()],
            ..ProgrammeInput::default()
        }
    }

    fn codes(e: &Invalid) -> Vec<(&str, &str)> {
        e.0.iter().map(|f| (f.field.as_str(), f.code)).collect()
    }

    fn officer(role: Role, area: Option<&str>) -> Actor {
        Actor::Officer {
            user_id: "u".into(),
            username: "u".into(),
            role,
            area: area.map(|a| AreaCode::parse(a).expect("area")),
        }
    }

    fn code(s: &str) -> AreaCode {
        AreaCode::parse(s).expect("area")
    }

    #[test]
    fn a_valid_programme_is_normalised() {
        let p = pkh().validate().expect("valid");
        assert_eq!(p.code, "PKH");
        assert_eq!(p.guarantee, Guarantee::Children);
        assert_eq!(p.benefit_period, Some(BenefitPeriod::Quarter));
        assert_eq!(p.rank_by, DEFAULT_RANK_BY);
        assert_eq!(p.requires, ["PIP"], "raised and deduplicated");
        assert_eq!(p.area, None, "national");
        assert!(p.active_on(NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")));
        assert_eq!(ProgrammeInput::from(&p).validate(), Ok(p));
    }

    #[test]
    fn codes_are_short_upper_case_letters_digits_and_dashes() {
        assert_eq!(parse_code(" pbi-jk "), Ok("PBI-JK".into()));
        assert_eq!(parse_code(""), Err("required"));
        for bad in ["P", "BSM/PIP", "PKH 2", &"X".repeat(25), "PKĦ"] {
            assert_eq!(parse_code(bad), Err("programme_code_invalid"), "{bad}");
        }
    }

    #[test]
    fn every_field_error_is_reported_at_once() {
        let input = ProgrammeInput {
            code: "P/K".into(),
            name_id: " ".into(),
            guarantee: "wealth".into(),
            kind: String::new(),
            target: "village".into(),
            benefit_amount: Some(-1),
            budget: Some(-5),
            area_code: Some("35.07.01".into()),
            need: Some("Health Insurance".into()),
            active_from: "2026-13-01".into(),
            ..pkh()
        };
        let errors = input.validate().expect_err("invalid");
        assert_eq!(
            codes(&errors),
            [
                ("code", "programme_code_invalid"),
                ("name_id", "required"),
                ("guarantee", "guarantee_unknown"),
                ("kind", "required"),
                ("target", "target_unknown"),
                ("benefit_amount", "amount_negative"),
                ("area_code", "programme_area_level"),
                ("budget", "amount_negative"),
                ("need", "need_invalid"),
                ("active_from", "date_invalid"),
            ]
        );
    }

    #[test]
    fn dates_must_be_in_order_and_an_amount_needs_its_period() {
        let input = ProgrammeInput {
            active_until: Some("2007-06-30".into()),
            benefit_period: None,
            ..pkh()
        };
        let errors = input.validate().expect_err("invalid");
        assert_eq!(
            codes(&errors),
            [
                ("benefit_period", "required"),
                ("active_until", "dates_out_of_order")
            ]
        );
        let same_day = ProgrammeInput {
            active_until: Some("2007-07-01".into()),
            ..pkh()
        };
        assert!(same_day.validate().is_ok());
    }

    #[test]
    fn documents_need_both_languages_and_blank_rows_are_dropped() {
        let input = ProgrammeInput {
            documents: vec![
                Document::default(),
                Document {
                    id: "KTP-el".into(),
                    en: " ".into(),
                },
            ],
            ..pkh()
        };
        let errors = input.validate().expect_err("invalid");
        assert_eq!(codes(&errors), [("documents[1].en", "required")]);
        let many = ProgrammeInput {
            documents: vec![
                Document {
                    id: "a".into(),
                    en: "a".into()
                };
                MAX_DOCUMENTS + 1
            ],
            ..pkh()
        };
        assert_eq!(
            codes(&many.validate().expect_err("too many")),
            [("documents", "too_many_documents")]
        );
    }

    #[test]
    fn a_package_cannot_name_a_bad_code_or_itself() {
        let input = ProgrammeInput {
            requires: vec!["PKH".into()],
            implies: vec!["PBI JK".into()],
            ..pkh()
        };
        let errors = input.validate().expect_err("invalid");
        assert_eq!(
            codes(&errors),
            [
                ("requires[0]", "programme_refers_to_itself"),
                ("implies[0]", "programme_code_invalid")
            ]
        );
    }

    #[test]
    fn regional_programmes_sit_in_a_province_or_regency() {
        let regency = ProgrammeInput {
            area_code: Some("35.07".into()),
            ..pkh()
        };
        assert_eq!(regency.validate().expect("valid").area, Some(code("35.07")));
        let malformed = ProgrammeInput {
            area_code: Some("35.7".into()),
            ..pkh()
        };
        assert_eq!(
            codes(&malformed.validate().expect_err("invalid")),
            [("area_code", "area_code_malformed")]
        );
    }

    #[test]
    fn district_offices_and_above_keep_the_programmes_of_their_area() {
        let district = officer(Role::DistrictOfficer, Some("35.07"));
        assert!(may_manage(&district, Some(&code("35.07"))));
        assert!(!may_manage(&district, Some(&code("35.08"))));
        assert!(!may_manage(&district, Some(&code("35"))), "the province's");
        assert!(!may_manage(&district, None), "a national programme");
        let province = officer(Role::ProvinceOfficer, Some("35"));
        assert!(may_manage(&province, Some(&code("35.07"))));
        assert!(!may_manage(&province, None));
        let national = officer(Role::NationalOfficer, None);
        assert!(may_manage(&national, None));
        assert!(may_manage(&officer(Role::Admin, None), Some(&code("32"))));
        assert!(!may_manage(
            &officer(Role::SubdistrictOfficer, Some("35.07.01")),
            Some(&code("35.07"))
        ));
        assert!(!may_manage(
            &officer(Role::VillageOfficer, Some("35.07.01.2001")),
            Some(&code("35.07"))
        ));
        assert!(!may_manage(
            &officer(Role::Ombudsman, Some("35")),
            Some(&code("35"))
        ));
        assert!(may_manage(&Actor::System { job: "t".into() }, None));
    }

    #[test]
    fn a_district_sets_the_quotas_inside_its_area_for_any_programme() {
        let district = officer(Role::DistrictOfficer, Some("35.07"));
        assert!(may_set_quota(&district, &code("35.07.01.2001")));
        assert!(may_set_quota(&district, &code("35.07")));
        assert!(!may_set_quota(&district, &code("35.08.01")));
        assert!(!may_set_quota(
            &officer(Role::SubdistrictOfficer, Some("35.07.01")),
            &code("35.07.01.2001")
        ));
        assert!(quota_area_fits(None, &code("35.07.01")));
        assert!(quota_area_fits(Some(&code("35.07")), &code("35.07.01")));
        assert!(!quota_area_fits(Some(&code("35.07")), &code("35.08")));
    }

    #[test]
    fn every_code_parses_back() {
        for g in Guarantee::ALL {
            assert_eq!(Guarantee::parse(g.code()), Some(*g));
        }
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.code()), Some(*k));
        }
        for p in BenefitPeriod::ALL {
            assert_eq!(BenefitPeriod::parse(p.code()), Some(*p));
        }
        assert_eq!(Target::parse("village"), None);
    }
}
