//! The five source extracts a district receives (ektp, kk, dtks, kps, jkn): their columns,
//! the check of a file's header, and the validation of one row into a [`SourceRecord`].
//!
//! A row is rejected when a required value is missing or unusable; an optional value that
//! cannot be read is dropped (treated as unknown) and reported as a warning, so a survey row
//! with a mistyped NIK still reaches linkage through its name, birth date and village.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::household;
use crate::names::search_key;
use crate::validation::Invalid;
use crate::{AreaCode, AreaLevel, KkNumber, Nik, Relationship, Sex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Ektp,
    Kk,
    Dtks,
    Kps,
    Jkn,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::Ektp,
        Source::Kk,
        Source::Dtks,
        Source::Kps,
        Source::Jkn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Source::Ektp => "ektp",
            Source::Kk => "kk",
            Source::Dtks => "dtks",
            Source::Kps => "kps",
            Source::Jkn => "jkn",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL
            .into_iter()
            .find(|src| src.code().eq_ignore_ascii_case(s.trim()))
    }

    /// The columns of the format, in the documented order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Source::Ektp => &[
                "nik",
                "full_name",
                "birth_place",
                "birth_date",
                "sex",
                "blood_type",
                "religion",
                "marital_status",
                "occupation",
                "citizenship",
                "address",
                "rt",
                "rw",
                "village_code",
                "issued_on",
            ],
            Source::Kk => &[
                "kk_number",
                "nik",
                "full_name",
                "relationship",
                "birth_place",
                "birth_date",
                "sex",
                "religion",
                "education",
                "occupation",
                "marital_status",
                "father_name",
                "mother_name",
                "address",
                "rt",
                "rw",
                "village_code",
                "issued_on",
            ],
            Source::Dtks => &[
                "household_id",
                "kk_number",
                "nik",
                "full_name",
                "birth_date",
                "sex",
                "relationship",
                "welfare_decile",
                "pmt_score",
                "disability",
                "chronic_illness",
                "school_status",
                "occupation",
                "employment_status",
                "monthly_income",
                "address",
                "rt",
                "rw",
                "village_code",
                "surveyed_on",
            ],
            Source::Kps => &[
                "card_number",
                "kk_number",
                "head_name",
                "partner_name",
                "member_names",
                "address",
                "village_code",
                "valid_until",
            ],
            Source::Jkn => &[
                "card_number",
                "nik",
                "full_name",
                "birth_date",
                "sex",
                "kk_number",
                "segment",
                "class",
                "fktp_code",
                "status",
                "village_code",
            ],
        }
    }

    /// The columns a file must have, and a row must fill.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Source::Ektp => &["nik", "full_name", "birth_date", "sex", "village_code"],
            Source::Kk => &[
                "kk_number",
                "full_name",
                "relationship",
                "birth_date",
                "sex",
                "village_code",
            ],
            Source::Dtks => &[
                "household_id",
                "full_name",
                "village_code",
                "welfare_decile",
            ],
            Source::Kps => &["card_number", "head_name", "village_code"],
            Source::Jkn => &["card_number", "full_name", "segment", "status"],
        }
    }

    /// The column that holds the person's (or, on a card, the head's) name.
    fn name_column(self) -> &'static str {
        match self {
            Source::Kps => "head_name",
            _ => "full_name",
        }
    }

    /// The column that identifies the row's unit in the source itself, if any.
    fn key_column(self) -> Option<&'static str> {
        match self {
            Source::Dtks => Some("household_id"),
            Source::Kps | Source::Jkn => Some("card_number"),
            Source::Ektp | Source::Kk => None,
        }
    }
}

/// Values a coded column may take.
fn allowed(column: &str) -> Option<&'static [&'static str]> {
    Some(match column {
        "marital_status" => &["BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI"],
        "disability" | "chronic_illness" => &["Y", "N"],
        "school_status" => &["TIDAK SEKOLAH", "SD", "SMP", "SMA", "PT", "TIDAK/BELUM"],
        "employment_status" => &["FORMAL", "INFORMAL", "TIDAK BEKERJA", "PELAJAR", "PENSIUN"],
        "segment" => &["PBI-APBN", "PBI-APBD", "PPU", "PBPU", "BP"],
        "class" => &["1", "2", "3"],
        "status" => &["AKTIF", "TIDAK AKTIF"],
        _ => return None,
    })
}

/// Why a file was refused before any row was read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the file is empty or has no header row")]
    Empty,
    #[error("required columns are missing: {}", .0.join(", "))]
    MissingColumns(Vec<&'static str>),
    #[error("the column {0} appears twice")]
    DuplicateColumn(String),
}

impl HeaderError {
    pub fn code(&self) -> &'static str {
        match self {
            HeaderError::Empty => "file_empty",
            HeaderError::MissingColumns(_) => "file_missing_columns",
            HeaderError::DuplicateColumn(_) => "file_duplicate_column",
        }
    }
}

/// Where each known column of a format sits in a file, and what else the file has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub source: Source,
    positions: Vec<Option<usize>>,
    /// Columns the format does not know: ignored, reported once.
    pub unknown: Vec<String>,
    /// How many cells a row must have.
    pub width: usize,
}

impl Header {
    /// Reads a header row: names are matched case-insensitively, a byte-order mark is
    /// ignored, columns may come in any order.
    pub fn parse(source: Source, names: &[&str]) -> Result<Header, HeaderError> {
        let names: Vec<String> = names
            .iter()
            .map(|n| n.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
            .collect();
        if names.iter().all(String::is_empty) {
            return Err(HeaderError::Empty);
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(HeaderError::DuplicateColumn(n.clone()));
            }
        }
        let positions: Vec<Option<usize>> = source
            .columns()
            .iter()
            .map(|c| names.iter().position(|n| n == c))
            .collect();
        let missing: Vec<&'static str> = source
            .required()
            .iter()
            .copied()
            .filter(|r| !names.iter().any(|n| n == r))
            .collect();
        if !missing.is_empty() {
            return Err(HeaderError::MissingColumns(missing));
        }
        let unknown = names
            .iter()
            .filter(|n| !source.columns().contains(&n.as_str()))
            .cloned()
            .collect();
        Ok(Header {
            source,
            positions,
            unknown,
            width: names.len(),
        })
    }

    fn cell<'a>(&self, cells: &[&'a str], column: &str) -> &'a str {
        self.source
            .columns()
            .iter()
            .position(|c| *c == column)
            .and_then(|i| self.positions[i])
            .and_then(|p| cells.get(p))
            .map_or("", |s| s.trim())
    }
}

/// One finding about a row: the column and a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowIssue {
    pub column: String,
    pub code: &'static str,
}

/// A valid row of an extract, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    pub source: Source,
    /// The unit's key in the source (DTKS household id, KPS or JKN card number).
    pub source_key: Option<String>,
    pub nik: Option<Nik>,
    pub kk_number: Option<KkNumber>,
    pub full_name: String,
    pub name_key: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub relationship: Option<Relationship>,
    pub village: Option<AreaCode>,
    pub address: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<String>,
    /// Every other known, non-empty column, normalised (welfare decile, segment ...).
    pub attributes: BTreeMap<String, String>,
}

/// A row read: the record and the values dropped on the way, or why it was rejected.
pub type RowOutcome = Result<(SourceRecord, Vec<RowIssue>), Vec<RowIssue>>;

/// Validates one row of `header`'s format. `today` bounds birth dates.
pub fn parse_row(header: &Header, cells: &[&str], today: NaiveDate) -> RowOutcome {
    let source = header.source;
    let mut rejected: Vec<RowIssue> = Vec::new();
    let mut warnings: Vec<RowIssue> = Vec::new();
    if cells.len() != header.width {
        return Err(vec![RowIssue {
            column: String::new(),
            code: "row_wrong_cell_count",
        }]);
    }
    let required = |c: &str| source.required().contains(&c);
    // Collects a validator's findings: rejections where the column is required, warnings
    // (and the value dropped) where it is not.
    let mut sort = |column: &str, errs: Invalid, rejected: &mut Vec<RowIssue>| -> bool {
        let ok = errs.is_empty();
        for e in errs.0 {
            let issue = RowIssue {
                column: column.to_string(),
                code: e.code,
            };
            if required(column) {
                rejected.push(issue);
            } else {
                warnings.push(issue);
            }
        }
        ok
    };
    let get = |c: &str| header.cell(cells, c);
    for c in source.required() {
        if get(c).is_empty() {
            rejected.push(RowIssue {
                column: (*c).to_string(),
                code: "required",
            });
        }
    }

    let mut errs = Invalid::default();
    let full_name = household::full_name(get(source.name_column()), "", &mut errs);
    if !get(source.name_column()).is_empty() {
        sort(source.name_column(), errs, &mut rejected);
    }

    let mut nik = None;
    if !get("nik").is_empty() {
        let mut errs = Invalid::default();
        let n = household::nik(&Some(get("nik").to_string()), "", &mut errs);
        if sort("nik", errs, &mut rejected) {
            nik = n;
        }
    }
    let mut kk_number = None;
    if !get("kk_number").is_empty() {
        match KkNumber::parse(get("kk_number")) {
            Ok(k) => kk_number = Some(k),
            Err(e) => {
                let mut errs = Invalid::default();
                errs.push("", e.code());
                sort("kk_number", errs, &mut rejected);
            }
        }
    }
    let mut birth_date = None;
    if !get("birth_date").is_empty() {
        let mut errs = Invalid::default();
        let d = household::birth_date(get("birth_date"), "", today, &mut errs);
        if sort("birth_date", errs, &mut rejected) {
            birth_date = Some(d);
        }
    }
    let mut sex = None;
    if !get("sex").is_empty() {
        let mut errs = Invalid::default();
        let s = household::sex(get("sex"), "", &mut errs);
        if sort("sex", errs, &mut rejected) {
            sex = Some(s);
        }
    }
    let mut relationship = None;
    if !get("relationship").is_empty() {
        match Relationship::parse(get("relationship")) {
            Some(r) => relationship = Some(r),
            None => {
                sort(
                    "relationship",
                    Invalid::one("", "relationship_invalid"),
                    &mut rejected,
                );
            }
        }
    }
    let mut village = None;
    if !get("village_code").is_empty() {
        match AreaCode::parse(get("village_code")) {
            Ok(a) if a.level() == AreaLevel::Village => village = Some(a),
            _ => {
                sort(
                    "village_code",
                    Invalid::one("", "village_code_invalid"),
                    &mut rejected,
                );
            }
        }
    }
    let mut rt_rw = |column: &str| {
        let mut errs = Invalid::default();
        let v = household::rt_rw(&Some(get(column).to_string()), "", &mut errs);
        sort(column, errs, &mut rejected);
        v
    };
    let rt = rt_rw("rt");
    let rw = rt_rw("rw");

    let mut attributes = BTreeMap::new();
    for column in source.columns() {
        let handled = [
            "nik",
            "kk_number",
            "full_name",
            "head_name",
            "birth_date",
            "sex",
            "relationship",
            "village_code",
            "rt",
            "rw",
            "address",
        ];
        let value = get(column);
        if handled.contains(column) || value.is_empty() {
            continue;
        }
        match attribute(column, value) {
            Ok(v) => {
                attributes.insert((*column).to_string(), v);
            }
            Err(code) => {
                sort(column, Invalid::one("", code), &mut rejected);
            }
        }
    }

    if !rejected.is_empty() {
        rejected.dedup();
        return Err(rejected);
    }
    let address = Some(crate::names::tidy(get("address"))).filter(|a| !a.is_empty());
    Ok((
        SourceRecord {
            source,
            source_key: source
                .key_column()
                .map(|c| get(c).to_string())
                .filter(|k| !k.is_empty()),
            nik,
            kk_number,
            name_key: search_key(&full_name),
            full_name,
            birth_date,
            sex,
            relationship,
            village,
            address,
            rt,
            rw,
            attributes,
        },
        warnings,
    ))
}

/// Normalises a column outside the identity fields, or names what is wrong with it.
fn attribute(column: &str, value: &str) -> Result<String, &'static str> {
    let tidy = crate::names::tidy(value);
    if tidy.chars().count() > 200 {
        return Err("too_long");
    }
    if let Some(values) = allowed(column) {
        let upper = tidy.to_uppercase();
        return values
            .iter()
            .find(|v| **v == upper)
            .map(|v| (*v).to_string())
            .ok_or("value_not_allowed");
    }
    match column {
        "welfare_decile" => match tidy.parse::<u8>() {
            Ok(d @ 1..=10) => Ok(d.to_string()),
            _ => Err("decile_invalid"),
        },
        "pmt_score" => tidy
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite())
            .map(|s| s.to_string())
            .ok_or("number_invalid"),
        "monthly_income" => tidy
            .parse::<u64>()
            .map(|n| n.to_string())
            .map_err(|_| "number_invalid"),
        "issued_on" | "surveyed_on" | "valid_until" => NaiveDate::parse_from_str(&tidy, "%Y-%m-%d")
            .map(|d| d.to_string())
            .map_err(|_| "date_invalid"),
        "member_names" => Ok(tidy
            .split(';')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect::<Vec<_>>()
            .join(";")),
        _ => Ok(tidy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default()
    }

    fn header(source: Source) -> Header {
        Header::parse(source, source.columns()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn ektp(cells: [&str; 15]) -> RowOutcome {
        parse_row(&header(Source::Ektp), &cells, today())
    }

    const GOOD_EKTP: [&str; 15] = [
        "3507124508850003",
        "siti  aminah",
        "Malang",
        "1985-08-05",
        "P",
        "O",
        "ISLAM",
        "KAWIN",
        "PETANI",
        "WNI",
        "Jl. Mawar 3",
        "4",
        "002",
        "35.07.12.2003",
        "2020-01-15",
    ];

    #[test]
    fn a_good_row_is_normalised() {
        let (r, warnings) = ektp(GOOD_EKTP).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(warnings.is_empty());
        assert_eq!(r.full_name, "siti aminah");
        assert_eq!(r.name_key, search_key("Siti Aminah"));
        assert_eq!(r.rt.as_deref(), Some("004"));
        assert_eq!(r.sex, Some(Sex::Female));
        assert_eq!(
            r.attributes.get("marital_status").map(String::as_str),
            Some("KAWIN")
        );
        assert_eq!(
            r.village.map(|v| v.as_str().to_string()).as_deref(),
            Some("35.07.12.2003")
        );
    }

    #[test]
    fn a_required_value_that_cannot_be_read_rejects_the_row() {
        let mut cells = GOOD_EKTP;
        cells[0] = "35071245O8850003"; // a letter O in a NIK
        cells[3] = "2023-02-30";
        let issues = ektp(cells).expect_err("rejected");
        assert!(
            issues
                .iter()
                .any(|i| i.column == "nik" && i.code == "nik_not_digits")
        );
        assert!(
            issues
                .iter()
                .any(|i| i.column == "birth_date" && i.code == "date_invalid")
        );
    }

    #[test]
    fn an_optional_value_that_cannot_be_read_is_dropped_with_a_warning() {
        let h = header(Source::Dtks);
        let mut cells = vec![""; h.width];
        let set = |cells: &mut Vec<&str>, c: &str, v: &'static str| {
            let i = Source::Dtks
                .columns()
                .iter()
                .position(|x| *x == c)
                .unwrap_or(0);
            cells[i] = v;
        };
        set(&mut cells, "household_id", "D-1");
        set(&mut cells, "full_name", "Budi");
        set(&mut cells, "village_code", "35.07.12.2003");
        set(&mut cells, "welfare_decile", "2");
        set(&mut cells, "nik", "35071208O8850003");
        set(&mut cells, "disability", "maybe");
        let (r, warnings) = parse_row(&h, &cells, today()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.nik, None);
        assert_eq!(r.source_key.as_deref(), Some("D-1"));
        assert!(warnings.iter().any(|w| w.column == "nik"));
        assert!(
            warnings
                .iter()
                .any(|w| w.column == "disability" && w.code == "value_not_allowed")
        );
        set(&mut cells, "welfare_decile", "11");
        let issues = parse_row(&h, &cells, today()).expect_err("decile out of range");
        assert!(issues.iter().any(|i| i.code == "decile_invalid"));
    }

    #[test]
    fn missing_cells_and_missing_values_are_explained() {
        let issues =
            parse_row(&header(Source::Ektp), &GOOD_EKTP[..10], today()).expect_err("truncated");
        assert_eq!(issues[0].code, "row_wrong_cell_count");
        let mut cells = GOOD_EKTP;
        cells[13] = "";
        let issues = ektp(cells).expect_err("no village");
        assert_eq!(
            issues,
            vec![RowIssue {
                column: "village_code".into(),
                code: "required"
            }]
        );
        cells[13] = "35.07.12";
        let issues = ektp(cells).expect_err("a district is not a village");
        assert_eq!(issues[0].code, "village_code_invalid");
    }

    #[test]
    fn headers_are_checked_before_any_row() {
        assert_eq!(
            Header::parse(Source::Kk, &["nik", "full_name"]),
            Err(HeaderError::MissingColumns(vec![
                "kk_number",
                "relationship",
                "birth_date",
                "sex",
                "village_code"
            ]))
        );
        assert_eq!(Header::parse(Source::Kps, &[""]), Err(HeaderError::Empty));
        let mut names: Vec<&str> = Source::Kps.columns().to_vec();
        names.push("Extra");
        names[0] = "\u{feff}CARD_NUMBER";
        let h = Header::parse(Source::Kps, &names).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.unknown, vec!["extra".to_string()]);
        names.push("head_name");
        assert!(matches!(
            Header::parse(Source::Kps, &names),
            Err(HeaderError::DuplicateColumn(_))
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]
        /// The row parser as a fuzz target: any cells, of any number, for any source, give
        /// a record or reasons, never a panic; and a record keeps the format's promises.
        #[test]
        fn any_row_is_read_or_explained(
            source in 0usize..5,
            cells in proptest::collection::vec(
                proptest::prop_oneof![
                    ".{0,24}",
                    "[0-9]{16}",
                    "[0-9]{4}-[0-9]{2}-[0-9]{2}",
                    "35\\.07\\.[0-9]{2}\\.[0-9]{4}",
                    proptest::strategy::Just(String::new()),
                ],
                0..24,
            ),
        ) {
            let source = Source::ALL[source];
            let mut h = header(source);
            h.width = cells.len();
            let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
            match parse_row(&h, &refs, today()) {
                Ok((r, _)) => {
                    proptest::prop_assert!(!r.full_name.is_empty());
                    proptest::prop_assert!(r.village.as_ref().is_none_or(|v| v.level() == AreaLevel::Village));
                    proptest::prop_assert!(r.birth_date.is_none_or(|d| d <= today()));
                }
                Err(issues) => proptest::prop_assert!(!issues.is_empty()),
            }
        }
    }

    #[test]
    fn sources_parse_by_code() {
        for s in Source::ALL {
            assert_eq!(Source::parse(s.code()), Some(s));
            for r in s.required() {
                assert!(s.columns().contains(r), "{r} of {}", s.code());
            }
        }
        assert_eq!(Source::parse("DTKS"), Some(Source::Dtks));
        assert_eq!(Source::parse("bpjs"), None);
    }
}
