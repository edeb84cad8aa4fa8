//! Registering a household from the family card: the raw input as a form or the API sends it,
//! and its validation into values that are correct by construction.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::area::{AreaCode, AreaLevel};
use crate::kk::KkNumber;
use crate::names;
use crate::nik::{Nik, NikWarning};
use crate::person::{Relationship, Sex};
use crate::validation::Invalid;

pub const MAX_NAME_CHARS: usize = 120;
pub const MAX_TEXT_CHARS: usize = 200;
pub const MAX_MEMBERS: usize = 30;

/// A household member as typed at the counter or sent to the API.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(PartialEq))]
pub struct MemberInput {
    #[serde(default)]
    pub nik: Option<String>,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub birth_place: Option<String>,
    #[serde(default)]
    pub relationship: String,
    #[serde(default)]
    pub religion: Option<String>,
    #[serde(default)]
    pub education: Option<String>,
    #[serde(default)]
    pub occupation: Option<String>,
    #[serde(default)]
    pub marital_status: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// A household as typed at the counter or sent to the API.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HouseholdInput {
    #[serde(default)]
    pub kk_number: Option<String>,
    #[serde(default)]
    pub village_code: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub rt: Option<String>,
    #[serde(default)]
    pub rw: Option<String>,
    #[serde(default)]
    pub members: Vec<MemberInput>,
}

/// A validated person's facts (without identity in the registry yet).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFacts {
    pub nik: Option<Nik>,
    pub full_name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub birth_place: Option<String>,
    pub religion: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub marital_status: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidMember {
    pub facts: PersonFacts,
    pub relationship: Relationship,
    pub nik_warnings: Vec<NikWarning>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidHousehold {
    pub kk_number: Option<KkNumber>,
    pub village: AreaCode,
    pub address: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<String>,
    pub members: Vec<ValidMember>,
}

/// Trims a free-text field; empty means unknown.
pub fn optional_text(
    value: &Option<String>,
    field: &str,
    max: usize,
    errors: &mut Invalid,
) -> Option<String> {
    let v = names::tidy(value.as_deref().unwrap_or(""));
    if v.is_empty() {
        return None;
    }
    if v.chars().count() > max {
        errors.push(field, "too_long");
    }
    Some(v)
}

/// RT and RW are up to three digits, stored zero-padded (`4` → `004`).
pub fn rt_rw(value: &Option<String>, field: &str, errors: &mut Invalid) -> Option<String> {
    let v = value.as_deref().unwrap_or("").trim();
    if v.is_empty() {
        return None;
    }
    if v.len() > 3 || !v.bytes().all(|b| b.is_ascii_digit()) {
        errors.push(field, "rt_rw_invalid");
        return None;
    }
    Some(format!("{:0>3}", v))
}

pub fn full_name(value: &str, field: &str, errors: &mut Invalid) -> String {
    let name = names::tidy(value);
    if name.is_empty() {
        errors.push(field, "required");
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.push(field, "too_long");
    } else if !name.chars().any(char::is_alphabetic) {
        errors.push(field, "name_invalid");
    }
    name
}

pub fn sex(value: &str, field: &str, errors: &mut Invalid) -> Sex {
    Sex::parse(value).unwrap_or_else(|| {
        errors.push(
            field,
            if value.trim().is_empty() {
                "required"
            } else {
                "sex_invalid"
            },
        );
        Sex::Male
    })
}

/// A birth date: ISO `YYYY-MM-DD`, not in the future, not before 1900.
pub fn birth_date(value: &str, field: &str, today: NaiveDate, errors: &mut Invalid) -> NaiveDate {
    let v = value.trim();
    if v.is_empty() {
        errors.push(field, "required");
        return today;
    }
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) if d > today => {
            errors.push(field, "date_in_future");
            today
        }
        Ok(d) if d < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(d) => {
            errors.push(field, "date_too_old");
            today
        }
        Ok(d) => d,
        Err(_) => {
            errors.push(field, "date_invalid");
            today
        }
    }
}

pub fn nik(value: &Option<String>, field: &str, errors: &mut Invalid) -> Option<Nik> {
    let v = value.as_deref().unwrap_or("").trim();
    if v.is_empty() {
        return None;
    }
    match Nik::parse(v) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(field, e.code());
            None
        }
    }
}

/// Phone numbers as Indonesians write them: `08...`, `+628...` or `628...`, stored as `+62...`.
pub fn phone(value: &Option<String>, field: &str, errors: &mut Invalid) -> Option<String> {
    let raw: String = value
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    if raw.is_empty() {
        return None;
    }
    let digits = raw
        .strip_prefix("+62")
        .or_else(|| raw.strip_prefix("62"))
        .or_else(|| raw.strip_prefix('0'));
    match digits {
        Some(d)
            if (8..=13).contains(&d.len())
                && d.bytes().all(|b| b.is_ascii_digit())
                && d.starts_with('8') =>
        {
            Some(format!("+62{d}"))
        }
        _ => {
            errors.push(field, "phone_invalid");
            None
        }
    }
}

impl MemberInput {
    /// Validates one member; field paths are prefixed with `prefix` (e.g. `members[0].`).
    pub fn validate_into(
        &self,
        prefix: &str,
        today: NaiveDate,
        errors: &mut Invalid,
    ) -> (PersonFacts, Option<Relationship>) {
        let f = |name: &str| format!("{prefix}{name}");
        let facts = PersonFacts {
            nik: nik(&self.nik, &f("nik"), errors),
            full_name: full_name(&self.full_name, &f("full_name"), errors),
            sex: sex(&self.sex, &f("sex"), errors),
            birth_date: birth_date(&self.birth_date, &f("birth_date"), today, errors),
            birth_place: optional_text(
                &self.birth_place,
                &f("birth_place"),
                MAX_NAME_CHARS,
                errors,
            ),
            religion: optional_text(&self.religion, &f("religion"), 40, errors),
            education: optional_text(&self.education, &f("education"), 60, errors),
            occupation: optional_text(&self.occupation, &f("occupation"), 80, errors),
            marital_status: optional_text(&self.marital_status, &f("marital_status"), 40, errors),
            phone: phone(&self.phone, &f("phone"), errors),
        };
        let relationship = if self.relationship.trim().is_empty() {
            errors.push(f("relationship"), "required");
            None
        } else {
            let r = Relationship::parse(&self.relationship);
            if r.is_none() {
                errors.push(f("relationship"), "relationship_invalid");
            }
            r
        };
        (facts, relationship)
    }
}

impl HouseholdInput {
    /// Checks everything that can be checked without the database: formats, dates, exactly one
    /// head, no NIK twice. Whether the village exists and the NIKs are new is the store's job.
    pub fn validate(&self, today: NaiveDate) -> Result<ValidHousehold, Invalid> {
        let mut errors = Invalid::default();
        let kk_number = match self
            .kk_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => match KkNumber::parse(s) {
                Ok(kk) => Some(kk),
                Err(e) => {
                    errors.push("kk_number", e.code());
                    None
                }
            },
        };
        let village = match AreaCode::parse(&self.village_code) {
            Ok(code) if code.level() == AreaLevel::Village => Some(code),
            Ok(_) => {
                errors.push("village_code", "village_required");
                None
            }
            Err(AreaError::Empty) => {
                errors.push("village_code", "required");
                None
            }
            Err(e) => {
                errors.push("village_code", e.code());
                None
            }
        };
        let address = optional_text(&self.address, "address", MAX_TEXT_CHARS, &mut errors);
        let rt = rt_rw(&self.rt, "rt", &mut errors);
        let rw = rt_rw(&self.rw, "rw", &mut errors);

        if self.members.is_empty() {
            errors.push("members", "members_required");
        }
        if self.members.len() > MAX_MEMBERS {
            errors.push("members", "too_many_members");
        }
        let mut members = Vec::with_capacity(self.members.len());
        for (i, m) in self.members.iter().enumerate() {
            let (facts, relationship) =
                m.validate_into(&format!("members[{i}]."), today, &mut errors);
            if let Some(relationship) = relationship {
                members.push((i, facts, relationship));
            }
        }
        let heads = members
            .iter()
            .filter(|(_, _, r)| *r == Relationship::Head)
            .count();
        if !self.members.is_empty() && heads == 0 {
            errors.push("members", "head_required");
        }
        if heads > 1 {
            errors.push("members", "one_head_only");
        }
        for (i, (_, facts, _)) in members.iter().enumerate() {
            if let Some(nik) = &facts.nik
                && members[..i]
                    .iter()
                    .any(|(_, f, _)| f.nik.as_ref() == Some(nik))
            {
                errors.push(format!("members[{}].nik", members[i].0), "nik_repeated");
            }
        }
        let village = match village {
            Some(v) if errors.is_empty() => v,
            _ => return Err(errors),
        };
        let members = members
            .into_iter()
            .map(|(_, facts, relationship)| ValidMember {
                nik_warnings: facts
                    .nik
                    .as_ref()
                    .map(|n| n.warnings(facts.sex, facts.birth_date, &village))
                    .unwrap_or_default(),
                facts,
                relationship,
            })
            .collect();
        Ok(ValidHousehold {
            kk_number,
            village,
            address,
            rt,
            rw,
            members,
        })
    }
}

use crate::area::AreaError;

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
    }

    fn member(name: &str, relationship: &str) -> MemberInput {
        MemberInput {
            full_name: name.into(),
            sex: "L".into(),
            birth_date: "1980-05-17".into(),
            relationship: relationship.into(),
            ..Default::default()
        }
    }

    fn household(members: Vec<MemberInput>) -> HouseholdInput {
        HouseholdInput {
            village_code: "35.07.12.2003".into(),
            rt: Some("4".into()),
            rw: Some("12".into()),
            members,
            ..Default::default()
        }
    }

    fn codes(result: Result<ValidHousehold, Invalid>) -> Vec<(String, &'static str)> {
        result
            .expect_err("should be invalid")
            .0
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn a_simple_household_is_valid_and_rt_rw_are_padded() {
        let valid = household(vec![
            member("Budi Santoso", "KEPALA KELUARGA"),
            member("Ani", "ANAK"),
        ])
        .validate(today())
        .expect("valid");
        assert_eq!(valid.rt.as_deref(), Some("004"));
        assert_eq!(valid.rw.as_deref(), Some("012"));
        assert_eq!(valid.members.len(), 2);
        assert!(valid.members[1].facts.nik.is_none());
    }

    #[test]
    fn a_household_needs_exactly_one_head() {
        let none = household(vec![member("Ani", "ANAK")]).validate(today());
        assert_eq!(codes(none), vec![("members".to_string(), "head_required")]);
        let two = household(vec![
            member("A", "KEPALA KELUARGA"),
            member("B", "KEPALA KELUARGA"),
        ])
        .validate(today());
        assert_eq!(codes(two), vec![("members".to_string(), "one_head_only")]);
    }

    #[test]
    fn member_errors_name_the_member_and_field() {
        let mut bad = member("", "KEPALA KELUARGA");
        bad.nik = Some("123".into());
        bad.birth_date = "2030-01-01".into();
        bad.sex = "X".into();
        let got = codes(household(vec![bad]).validate(today()));
        assert!(got.contains(&("members[0].nik".into(), "nik_wrong_length")));
        assert!(got.contains(&("members[0].full_name".into(), "required")));
        assert!(got.contains(&("members[0].birth_date".into(), "date_in_future")));
        assert!(got.contains(&("members[0].sex".into(), "sex_invalid")));
    }

    #[test]
    fn the_same_nik_twice_in_one_household_is_refused() {
        let mut a = member("A", "KEPALA KELUARGA");
        a.nik = Some("3507121705800001".into());
        let mut b = member("B", "ANAK");
        b.nik = Some("3507121705800001".into());
        assert_eq!(
            codes(household(vec![a, b]).validate(today())),
            vec![("members[1].nik".into(), "nik_repeated")]
        );
    }

    #[test]
    fn the_village_must_be_a_village_code() {
        let mut h = household(vec![member("A", "KEPALA KELUARGA")]);
        h.village_code = "35.07".into();
        assert_eq!(
            codes(h.validate(today())),
            vec![("village_code".into(), "village_required")]
        );
    }

    #[test]
    fn nik_disagreements_are_warnings_not_errors() {
        let mut a = member("A", "KEPALA KELUARGA");
        a.nik = Some("3507125705800001".into()); // encodes a woman
        let valid = household(vec![a]).validate(today()).expect("valid");
        assert_eq!(valid.members[0].nik_warnings, vec![NikWarning::SexMismatch]);
    }

    #[test]
    fn phones_are_normalised_to_plus_62() {
        let mut e = Invalid::default();
        assert_eq!(
            phone(&Some("0812-3456-7890".into()), "p", &mut e).as_deref(),
            Some("+6281234567890")
        );
        assert_eq!(phone(&Some("12345".into()), "p", &mut e), None);
        assert_eq!(e.0.len(), 1);
    }
}
