//! Kemendagri area codes: `35` province, `35.07` regency, `35.07.12` district (kecamatan),
//! `35.07.12.2003` village (desa / kelurahan).

use std::fmt;

/// The codes of Indonesia's 38 provinces (Kemendagri), used to check NIK and KK numbers
/// without a database round trip.
pub const PROVINCE_CODES: [&str; 38] = [
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36",
    "51", "52", "53", "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76", "81", "82",
    "91", "92", "93", "94", "95", "96",
];

/// Whether a two-digit code is one of the 38 provinces.
pub fn is_province_code(code: &str) -> bool {
    PROVINCE_CODES.contains(&code)
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    Province,
    Regency,
    District,
    Village,
}

impl AreaLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AreaLevel::Province => "province",
            AreaLevel::Regency => "regency",
            AreaLevel::District => "district",
            AreaLevel::Village => "village",
        }
    }

    /// 1 for a province ... 4 for a village.
    pub fn depth(self) -> u8 {
        match self {
            AreaLevel::Province => 1,
            AreaLevel::Regency => 2,
            AreaLevel::District => 3,
            AreaLevel::Village => 4,
        }
    }

    pub fn from_depth(depth: u8) -> Option<Self> {
        match depth {
            1 => Some(AreaLevel::Province),
            2 => Some(AreaLevel::Regency),
            3 => Some(AreaLevel::District),
            4 => Some(AreaLevel::Village),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AreaError {
    #[error("area code is empty")]
    Empty,
    #[error("area code must look like 35, 35.07, 35.07.12 or 35.07.12.2003")]
    Malformed,
}

impl AreaError {
    pub fn code(&self) -> &'static str {
        match self {
            AreaError::Empty => "area_code_empty",
            AreaError::Malformed => "area_code_malformed",
        }
    }
}

/// A syntactically valid Kemendagri area code. Whether it exists is the registry's question.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AreaCode(String);

impl AreaCode {
    pub fn parse(input: &str) -> Result<AreaCode, AreaError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(AreaError::Empty);
        }
        let parts: Vec<&str> = s.split('.').collect();
        let widths = [2usize, 2, 2, 4];
        if parts.len() > 4 {
            return Err(AreaError::Malformed);
        }
        for (part, width) in parts.iter().zip(widths) {
            if part.len() != width || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AreaError::Malformed);
            }
        }
        Ok(AreaCode(s.to_string()))
    }

    /// For codes built from parts already checked (a parsed NIK's digits, a database row).
    pub(crate) fn from_trusted(code: String) -> AreaCode {
        AreaCode(code)
    }

    /// The national root is not an area code; officers with national reach have `None`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> AreaLevel {
        let depth = self.0.split('.').count() as u8;
        AreaLevel::from_depth(depth).unwrap_or(AreaLevel::Village)
    }

    pub fn parent(&self) -> Option<AreaCode> {
        self.0.rfind('.').map(|i| AreaCode(self.0[..i].to_string()))
    }

    pub fn province(&self) -> &str {
        &self.0[..2]
    }

    /// Whether `other` is this area or lies inside it.
    pub fn contains(&self, other: &AreaCode) -> bool {
        other.0 == self.0
            || (other.0.len() > self.0.len()
                && other.0.starts_with(&self.0)
                && other.0.as_bytes()[self.0.len()] == b'.')
    }

    /// The ancestor of this area at `level`, if this area is at or below it.
    pub fn ancestor(&self, level: AreaLevel) -> Option<AreaCode> {
        let depth = level.depth() as usize;
        let parts: Vec<&str> = self.0.split('.').collect();
        (parts.len() >= depth).then(|| AreaCode(parts[..depth].join(".")))
    }

    /// The district part without dots, as the first six digits of a NIK or KK number.
    pub fn nik_prefix(&self) -> Option<String> {
        self.ancestor(AreaLevel::District)
            .map(|d| d.0.replace('.', ""))
    }

    /// The half-open range `[low, high)` of village codes strictly below this area, for an
    /// indexed prefix query: `code >= '35.07.' AND code < '35.07/'` ('/' follows '.').
    pub fn descendant_range(&self) -> (String, String) {
        (format!("{}.", self.0), format!("{}/", self.0))
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for AreaCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for AreaCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AreaCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> AreaCode {
        AreaCode::parse(s).expect("valid code")
    }

    #[test]
    fn levels_follow_the_number_of_parts() {
        assert_eq!(code("35").level(), AreaLevel::Province);
        assert_eq!(code("35.07").level(), AreaLevel::Regency);
        assert_eq!(code("35.07.12").level(), AreaLevel::District);
        assert_eq!(code("35.07.12.2003").level(), AreaLevel::Village);
    }

    #[test]
    fn malformed_codes_are_rejected() {
        for bad in [
            "",
            "3",
            "35.7",
            "35.07.12.203",
            "35.07.12.2003.1",
            "3a.07",
            "35..07",
        ] {
            assert!(AreaCode::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn an_area_contains_itself_and_its_descendants_only() {
        let regency = code("35.07");
        assert!(regency.contains(&code("35.07")));
        assert!(regency.contains(&code("35.07.12.2003")));
        assert!(AreaCode::parse("35.071").is_err());
        assert!(!regency.contains(&code("35.08.01")));
        assert!(!regency.contains(&code("35")));
    }

    #[test]
    fn parent_and_ancestor_walk_up() {
        let village = code("35.07.12.2003");
        assert_eq!(village.parent(), Some(code("35.07.12")));
        assert_eq!(village.ancestor(AreaLevel::Regency), Some(code("35.07")));
        assert_eq!(code("35").parent(), None);
        assert_eq!(village.nik_prefix().as_deref(), Some("350712"));
    }

    #[test]
    fn descendant_range_brackets_exactly_the_children() {
        let (low, high) = code("35.07").descendant_range();
        assert!("35.07.12.2003" >= low.as_str() && "35.07.12.2003" < high.as_str());
        assert!(!("35.08.01.2001" >= low.as_str() && "35.08.01.2001" < high.as_str()));
        assert!(!("35.07" >= low.as_str() && "35.07" < high.as_str()));
    }
}
