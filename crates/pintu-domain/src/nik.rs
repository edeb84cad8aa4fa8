//! NIK (Nomor Induk Kependudukan): the 16-digit national identity number.
//!
//! Layout: `PPRRDD` area of issue (province, regency, district), `DDMMYY` birth date with
//! 40 added to the day for women, `SSSS` a serial from 0001.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::area::{AreaCode, is_province_code};
use crate::person::Sex;

/// Why a string is not a NIK. Each class of mistake has its own variant and stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NikError {
    #[error("a NIK has exactly 16 digits")]
    WrongLength,
    #[error("a NIK has only digits")]
    NotDigits,
    #[error("the NIK's first two digits are not a province code")]
    UnknownProvince,
    #[error("the NIK's regency or district digits are 00")]
    ZeroArea,
    #[error("the NIK's birth-date digits are not a real date")]
    ImpossibleBirthDate,
    #[error("the NIK's serial number is 0000")]
    ZeroSerial,
}

impl NikError {
    pub fn code(&self) -> &'static str {
        match self {
            NikError::WrongLength => "nik_wrong_length",
            NikError::NotDigits => "nik_not_digits",
            NikError::UnknownProvince => "nik_unknown_province",
            NikError::ZeroArea => "nik_zero_area",
            NikError::ImpossibleBirthDate => "nik_impossible_birth_date",
            NikError::ZeroSerial => "nik_zero_serial",
        }
    }
}

/// Facts about a valid NIK that disagree with the record it sits on. These do not stop a
/// registration (people move, and old records carry typos) but are shown to the officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NikWarning {
    SexMismatch,
    BirthDateMismatch,
    AreaMismatch,
}

impl NikWarning {
    pub fn code(self) -> &'static str {
        match self {
            NikWarning::SexMismatch => "nik_sex_mismatch",
            NikWarning::BirthDateMismatch => "nik_birth_date_mismatch",
            NikWarning::AreaMismatch => "nik_area_mismatch",
        }
    }
}

/// A valid NIK. Construct with [`Nik::parse`].
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nik(String);

impl Nik {
    pub fn parse(input: &str) -> Result<Nik, NikError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(NikError::NotDigits);
        }
        if s.len() != 16 {
            return Err(NikError::WrongLength);
        }
        if !is_province_code(&s[0..2]) {
            return Err(NikError::UnknownProvince);
        }
        if &s[2..4] == "00" || &s[4..6] == "00" {
            return Err(NikError::ZeroArea);
        }
        let (day, month, yy) = (num(&s[6..8]), num(&s[8..10]), num(&s[10..12]));
        let day = if day > 40 { day - 40 } else { day };
        if !real_date_in_some_century(day, month, yy) {
            return Err(NikError::ImpossibleBirthDate);
        }
        if &s[12..16] == "0000" {
            return Err(NikError::ZeroSerial);
        }
        Ok(Nik(s))
    }

    /// Builds the NIK of a person born in `district` on `birth_date` with `serial` (1..=9999).
    pub fn compose(
        district: &AreaCode,
        birth_date: NaiveDate,
        sex: Sex,
        serial: u16,
    ) -> Option<Nik> {
        let prefix = district.nik_prefix()?;
        let day = birth_date.day() + if sex == Sex::Female { 40 } else { 0 };
        let s = format!(
            "{prefix}{day:02}{:02}{:02}{:04}",
            birth_date.month(),
            birth_date.year().rem_euclid(100),
            serial.clamp(1, 9999)
        );
        Nik::parse(&s).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Female when 40 was added to the birth day.
    pub fn sex(&self) -> Sex {
        if num(&self.0[6..8]) > 40 {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    /// Day, month and two-digit year of birth encoded in the NIK.
    pub fn birth_day_month_year(&self) -> (u32, u32, u32) {
        let day = num(&self.0[6..8]);
        let day = if day > 40 { day - 40 } else { day };
        (day, num(&self.0[8..10]), num(&self.0[10..12]))
    }

    /// The district of issue as a dotted area code (`35.07.12`).
    pub fn district(&self) -> AreaCode {
        let s = &self.0;
        AreaCode::from_trusted(format!("{}.{}.{}", &s[0..2], &s[2..4], &s[4..6]))
    }

    /// Compares the NIK with the record it belongs to.
    pub fn warnings(&self, sex: Sex, birth_date: NaiveDate, village: &AreaCode) -> Vec<NikWarning> {
        let mut out = Vec::new();
        if self.sex() != sex {
            out.push(NikWarning::SexMismatch);
        }
        let (d, m, y) = self.birth_day_month_year();
        if d != birth_date.day()
            || m != birth_date.month()
            || y != birth_date.year().rem_euclid(100) as u32
        {
            out.push(NikWarning::BirthDateMismatch);
        }
        if !self.district().contains(village) {
            out.push(NikWarning::AreaMismatch);
        }
        out
    }

    /// The NIK with all but the first four and last two digits hidden, for screens and logs
    /// that need to hint at a NIK without revealing it.
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }
}

impl fmt::Display for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Debug never prints the NIK itself, so a stray `{:?}` cannot leak it into a log.
impl fmt::Debug for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nik({})", self.masked())
    }
}

fn num(s: &str) -> u32 {
    s.bytes().fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

/// Two-digit years are ambiguous: `00` is 1900 (not a leap year) or 2000 (a leap year).
pub(crate) fn real_date_in_some_century(day: u32, month: u32, yy: u32) -> bool {
    [1900, 2000]
        .iter()
        .any(|c| NaiveDate::from_ymd_opt(c + yy as i32, month, day).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_valid_nik_parses_and_decodes() {
        let nik = Nik::parse("3507125708900003").expect("valid");
        assert_eq!(nik.sex(), Sex::Female);
        assert_eq!(nik.birth_day_month_year(), (17, 8, 90));
        assert_eq!(nik.district().as_str(), "35.07.12");
        assert_eq!(nik.masked(), "3507**********03");
    }

    #[test]
    fn spaces_are_ignored() {
        assert!(Nik::parse(" 3507 1217 0890 0003 ").is_ok());
    }

    #[test]
    fn every_invalid_class_has_its_own_error() {
        let cases = [
            ("350712170890000", NikError::WrongLength),
            ("35071217089000031", NikError::WrongLength),
            ("35071217089000a3", NikError::NotDigits),
            ("9907121708900003", NikError::UnknownProvince),
            ("3500121708900003", NikError::ZeroArea),
            ("3507003108900003", NikError::ZeroArea),
            ("3507123202900003", NikError::ImpossibleBirthDate),
            ("3507127202900003", NikError::ImpossibleBirthDate),
            ("3507121713900003", NikError::ImpossibleBirthDate),
            ("3507120008900003", NikError::ImpossibleBirthDate),
            ("3507121708900000", NikError::ZeroSerial),
        ];
        for (input, expected) in cases {
            assert_eq!(Nik::parse(input), Err(expected.clone()), "{input}");
        }
    }

    #[test]
    fn february_29th_is_accepted_only_when_a_century_makes_it_leap() {
        assert!(Nik::parse("3507122902000001").is_ok()); // 2000-02-29
        assert!(Nik::parse("3507122902040001").is_ok()); // 2004-02-29
        assert_eq!(
            Nik::parse("3507122902010001"),
            Err(NikError::ImpossibleBirthDate)
        );
    }

    #[test]
    fn warnings_report_disagreements_with_the_record() {
        let nik = Nik::parse("3507125708900003").expect("valid");
        let village = AreaCode::parse("35.07.12.2003").expect("valid");
        let date = NaiveDate::from_ymd_opt(1990, 8, 17).expect("date");
        assert!(nik.warnings(Sex::Female, date, &village).is_empty());
        let elsewhere = AreaCode::parse("35.08.01.2001").expect("valid");
        let other_date = NaiveDate::from_ymd_opt(1990, 8, 18).expect("date");
        assert_eq!(
            nik.warnings(Sex::Male, other_date, &elsewhere),
            vec![
                NikWarning::SexMismatch,
                NikWarning::BirthDateMismatch,
                NikWarning::AreaMismatch
            ]
        );
    }

    #[test]
    fn debug_output_never_shows_the_full_nik() {
        let nik = Nik::parse("3507125708900003").expect("valid");
        assert!(!format!("{nik:?}").contains("3507125708900003"));
    }

    proptest! {
        #[test]
        fn compose_then_parse_round_trips(
            days in 0i64..36_500,
            female in any::<bool>(),
            serial in 1u16..=9999,
        ) {
            let birth = NaiveDate::from_ymd_opt(1930, 1, 1).expect("date") + chrono::Duration::days(days);
            let sex = if female { Sex::Female } else { Sex::Male };
            let district = AreaCode::parse("35.07.12").expect("valid");
            let nik = Nik::compose(&district, birth, sex, serial).expect("composes");
            let reparsed = Nik::parse(nik.as_str()).expect("parses");
            prop_assert_eq!(&reparsed, &nik);
            prop_assert_eq!(reparsed.sex(), sex);
            let village = AreaCode::parse("35.07.12.2003").expect("valid");
            prop_assert!(reparsed.warnings(sex, birth, &village).is_empty());
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,20}") {
            let _ = Nik::parse(&s);
        }

        #[test]
        fn wrong_lengths_are_always_rejected(s in "[0-9]{0,15}|[0-9]{17,20}") {
            prop_assert_eq!(Nik::parse(&s), Err(NikError::WrongLength));
        }
    }
}
