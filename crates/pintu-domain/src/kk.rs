//! KK (Kartu Keluarga) number: the 16-digit family-card number, `PPRRDD` area of issue,
//! `DDMMYY` issue date, `SSSS` serial.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::area::{AreaCode, is_province_code};
use crate::nik::real_date_in_some_century;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KkError {
    #[error("a KK number has exactly 16 digits")]
    WrongLength,
    #[error("a KK number has only digits")]
    NotDigits,
    #[error("the KK number's first two digits are not a province code")]
    UnknownProvince,
    #[error("the KK number's issue-date digits are not a real date")]
    ImpossibleIssueDate,
    #[error("the KK number's serial is 0000")]
    ZeroSerial,
}

impl KkError {
    pub fn code(&self) -> &'static str {
        match self {
            KkError::WrongLength => "kk_wrong_length",
            KkError::NotDigits => "kk_not_digits",
            KkError::UnknownProvince => "kk_unknown_province",
            KkError::ImpossibleIssueDate => "kk_impossible_issue_date",
            KkError::ZeroSerial => "kk_zero_serial",
        }
    }
}

/// A valid family-card number.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KkNumber(String);

impl KkNumber {
    pub fn parse(input: &str) -> Result<KkNumber, KkError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(KkError::NotDigits);
        }
        if s.len() != 16 {
            return Err(KkError::WrongLength);
        }
        if !is_province_code(&s[0..2]) {
            return Err(KkError::UnknownProvince);
        }
        let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
        if !real_date_in_some_century(n(6..8), n(8..10), n(10..12)) {
            return Err(KkError::ImpossibleIssueDate);
        }
        if &s[12..16] == "0000" {
            return Err(KkError::ZeroSerial);
        }
        Ok(KkNumber(s))
    }

    pub fn compose(district: &AreaCode, issued_on: NaiveDate, serial: u16) -> Option<KkNumber> {
        let prefix = district.nik_prefix()?;
        let s = format!(
            "{prefix}{:02}{:02}{:02}{:04}",
            issued_on.day(),
            issued_on.month(),
            issued_on.year().rem_euclid(100),
            serial.clamp(1, 9999)
        );
        KkNumber::parse(&s).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KkNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KkNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KkNumber({}**********{})", &self.0[..4], &self.0[14..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_invalid_class_has_its_own_error() {
        let cases = [
            ("350712010120", KkError::WrongLength),
            ("35071201012000x1", KkError::NotDigits),
            ("0007120101200001", KkError::UnknownProvince),
            ("3507123102200001", KkError::ImpossibleIssueDate),
            ("3507120101200000", KkError::ZeroSerial),
        ];
        for (input, expected) in cases {
            assert_eq!(KkNumber::parse(input), Err(expected.clone()), "{input}");
        }
        assert!(KkNumber::parse("3507120101200001").is_ok());
    }

    proptest! {
        #[test]
        fn compose_then_parse_round_trips(days in 0i64..20_000, serial in 1u16..=9999) {
            let issued = NaiveDate::from_ymd_opt(1975, 1, 1).expect("date") + chrono::Duration::days(days);
            let district = AreaCode::parse("35.07.12").expect("valid");
            let kk = KkNumber::compose(&district, issued, serial).expect("composes");
            prop_assert_eq!(KkNumber::parse(kk.as_str()).expect("parses"), kk);
        }
    }
}
