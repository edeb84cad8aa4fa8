//! The eligibility rule language (MAT-1): a small, safe subset of CEL over person and household
//! facts, for example
//!
//! ```text
//! age >= 60 && household.welfare_decile <= 4 && !enrolled("JSLU")
//! household.members.exists(m, m.age < 6) && household.income_per_capita < 600000
//! ```
//!
//! A rule is text. [`check`] parses and type-checks it into a [`Rule`] (a typed tree whose
//! fields are resolved to [`PersonField`]s and [`HouseholdField`]s), or returns every error it
//! found with its position. A checked rule is then either
//! - evaluated for one person ([`Rule::evaluate`]), with a readable explanation of each clause
//!   in Bahasa Indonesia and English, or
//! - compiled to one set-based SQL statement (in `pintu-store`), so a whole area is matched at
//!   once. The two must agree; property tests compare them on both backends.
//!
//! # The language
//! - literals: integers (`60`, `600000`, `-1`), decimals (`12.5`), strings in double quotes
//!   (`"INFORMAL"`; `\"` and `\\` escapes), `true`, `false`, lists of literals (`["SD", "SMP"]`);
//! - the person's facts by name (`age`, `sex`, `disability` ...; see [`PersonField`]), the
//!   household's as `household.<name>` ([`HouseholdField`]), and a member's as `m.<name>`
//!   inside a members macro;
//! - `!`, `&&`, `||`, parentheses; `==`, `!=`, `<`, `<=`, `>`, `>=`; `x in [..]`; `+`, `-`, `*`
//!   on numbers (no division: per-capita income is a fact);
//! - functions: `enrolled("PKH")` (the person; `m.enrolled("PKH")` a member;
//!   `household.enrolled("PKH")` any member), `in_area("35.07.01")` (the person lives in that
//!   area), `has(field)` (the fact is known);
//! - the members macros: `household.members.exists(m, <pred>)`, `household.members.all(m,
//!   <pred>)`, `household.members.filter(m, <pred>).size()` (a count), and
//!   `household.members.size()` or `size(household.members)` (= `household.size`).
//!
//! # Unknown facts
//! A fact the registry does not have (no DTKS survey, no JKN membership) is *unknown*, and the
//! logic is three-valued like SQL's: a comparison or arithmetic with an unknown is unknown;
//! `!unknown` is unknown; `false && unknown` is false, `true || unknown` is true. A rule that
//! ends unknown does not make the person eligible, and the explanation says which fact was
//! missing. `exists` is true when some member's predicate is true (unknowns do not count),
//! `all` when every member's predicate is true, `filter(..).size()` counts the members whose
//! predicate is true. `has(x)` is never unknown.
//!
//! # Households
//! The household is the person's registry household (its living members, the person
//! included); a person in no household is a household of one. Its aggregates:
//! `size` = number of members, `welfare_decile` and `pmt_score` = the lowest of the members'
//! known values, `monthly_income` = the sum of the members' known incomes (unknown when none is
//! known), `income_per_capita` = `monthly_income / size` rounded down.
//!
//! # Age
//! `age` is whole years at the reference date of the evaluation (a matching run's date):
//! `ref.year - birth.year`, less one when `(ref.month, ref.day) < (birth.month, birth.day)`.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

mod check;
mod eval;
mod parse;

pub use check::{check, check_ranking};
pub(crate) use eval::group;
pub use eval::{Clause, Outcome};

/// Longest rule text accepted, in bytes.
pub const MAX_RULE_LEN: usize = 4000;
/// Deepest nesting accepted (parentheses, operators, macros), so no rule can exhaust a stack.
pub const MAX_DEPTH: usize = 32;

/// A byte range in the rule text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// A rule that failed to parse or type-check: a stable code, where, and what to do, in both
/// languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleError {
    /// `unexpected_character`, `unterminated_string`, `unexpected_token`, `unexpected_end`,
    /// `unknown_field`, `unknown_function`, `wrong_arguments`, `type_mismatch`,
    /// `not_boolean`, `too_long`, `too_deep`, `number_too_large`, `unknown_variable`,
    /// `empty_rule`, `not_numeric` (ranking keys).
    pub code: &'static str,
    pub span: Span,
    /// 1-based line and column of `span.start` (columns count characters).
    pub line: usize,
    pub column: usize,
    pub message_id: String,
    pub message_en: String,
}

/// The types of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    Bool,
    Int,
    Decimal,
    Text,
}

impl Type {
    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Int | Type::Decimal)
    }
}

/// A literal value, or the value of a fact (`Null` = unknown).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Decimal(f64),
    Text(String),
    Null,
}

macro_rules! fields {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal : $ty:ident, $id:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name written in rules.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.code() == s)
            }

            pub fn ty(self) -> Type {
                match self { $($name::$variant => Type::$ty),+ }
            }

            /// What it is called in plain words: (Bahasa Indonesia, English).
            pub fn label(self) -> (&'static str, &'static str) {
                match self { $($name::$variant => ($id, $en)),+ }
            }
        }
    };
}

fields! {
    /// A fact about one person (the subject, or a member `m` inside a members macro).
    PersonField {
        Age = "age": Int, "umur (tahun)", "age (years)";
        Sex = "sex": Text, "jenis kelamin (L/P)", "sex (L/P)";
        Relationship = "relationship": Text, "hubungan dalam keluarga", "relationship in the household";
        Occupation = "occupation": Text, "pekerjaan", "occupation";
        MaritalStatus = "marital_status": Text, "status perkawinan", "marital status";
        Disability = "disability": Bool, "penyandang disabilitas", "has a disability";
        ChronicIllness = "chronic_illness": Bool, "penyakit kronis", "has a chronic illness";
        SchoolStatus = "school_status": Text, "status sekolah", "schooling";
        EmploymentStatus = "employment_status": Text, "status pekerjaan", "employment status";
        MonthlyIncome = "monthly_income": Int, "pendapatan per bulan (Rp)", "monthly income (Rp)";
        WelfareDecile = "welfare_decile": Int, "desil kesejahteraan", "welfare decile";
        PmtScore = "pmt_score": Decimal, "skor PMT", "PMT score";
        JknSegment = "jkn_segment": Text, "segmen JKN", "JKN segment";
        JknClass = "jkn_class": Int, "kelas JKN", "JKN class";
        JknActive = "jkn_active": Bool, "JKN aktif", "JKN membership active";
    }
}

fields! {
    /// A fact about the person's household (see the module docs for the aggregates).
    HouseholdField {
        Size = "size": Int, "jumlah anggota rumah tangga", "household size";
        WelfareDecile = "welfare_decile": Int, "desil kesejahteraan rumah tangga", "household welfare decile";
        PmtScore = "pmt_score": Decimal, "skor PMT rumah tangga", "household PMT score";
        MonthlyIncome = "monthly_income": Int, "pendapatan rumah tangga per bulan (Rp)", "household monthly income (Rp)";
        IncomePerCapita = "income_per_capita": Int, "pendapatan per kapita (Rp)", "income per person (Rp)";
    }
}

/// Whose facts an expression reads: the person being evaluated, or the member bound by the
/// enclosing members macro.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Person,
    Member,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
}

/// A checked expression: typed, with fields resolved. Every node keeps its span in the rule
/// text, so explanations can quote the clause they are about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    pub span: Span,
    pub ty: Type,
    pub kind: ExprKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExprKind {
    Literal(Value),
    /// A person's fact; `Subject::Member` only inside a members macro.
    Field(Subject, PersonField),
    Household(HouseholdField),
    /// `has(field)`: the fact is known.
    Known(Box<Expr>),
    /// `enrolled("CODE")` of the person or the member.
    Enrolled(Subject, String),
    /// `household.enrolled("CODE")`: some member is enrolled.
    HouseholdEnrolled(String),
    /// `in_area("35.07")`: the person's village lies in that area (a code prefix on the
    /// dotted code, whole segments only).
    InArea(Subject, String),
    Not(Box<Expr>),
    /// `a && b && c` flattened, in written order.
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Compare(CompareOp, Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `x in [literals]`; the list holds values of `x`'s type (ints may be decimals' list).
    In(Box<Expr>, Vec<Value>),
    /// `household.members.exists(m, pred)`.
    MembersExist(Box<Expr>),
    /// `household.members.all(m, pred)`.
    MembersAll(Box<Expr>),
    /// `household.members.filter(m, pred).size()`; `household.members.size()` is
    /// `MembersCount(true)`.
    MembersCount(Box<Expr>),
}

/// A rule that parsed and type-checked, ready to evaluate or compile. Its type is `Bool`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub text: String,
    pub expr: Expr,
}

/// One key of a programme's ranking order: a numeric expression, lowest first unless
/// `descending`. Unknown values rank after known ones; the person id breaks ties.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankKey {
    pub expr: Expr,
    pub descending: bool,
}

/// The facts of one person that rules can read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonFacts {
    pub birth_date: Option<NaiveDate>,
    /// `L` or `P`.
    pub sex: String,
    /// The KK wording (`KEPALA KELUARGA`, `ISTRI`, ...); none outside a household.
    pub relationship: Option<String>,
    /// The village code, e.g. `35.07.01.2001`.
    pub village: String,
    pub occupation: Option<String>,
    pub marital_status: Option<String>,
    pub disability: Option<bool>,
    pub chronic_illness: Option<bool>,
    pub school_status: Option<String>,
    pub employment_status: Option<String>,
    pub monthly_income: Option<i64>,
    pub welfare_decile: Option<i64>,
    pub pmt_score: Option<f64>,
    pub jkn_segment: Option<String>,
    pub jkn_class: Option<i64>,
    pub jkn_active: Option<bool>,
    /// Codes of the programmes the person is enrolled in now.
    pub enrolments: BTreeSet<String>,
}

/// What a rule is evaluated on: the person, and the members of their household (the person
/// included; just the person when they belong to none).
#[derive(Debug, Clone, PartialEq)]
pub struct Subjects {
    pub person: PersonFacts,
    /// Every living member, the person included.
    pub members: Vec<PersonFacts>,
}

/// Whole years from `birth` to `on` (see the module docs).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i64 {
    let mut years = i64::from(on.year() - birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// Whether `village` lies in `area` (dotted codes; whole segments only: `35.07` contains
/// `35.07.01.2001` but not `35.071`).
pub fn area_contains(area: &str, village: &str) -> bool {
    village == area
        || (village.len() > area.len()
            && village.starts_with(area)
            && village.as_bytes()[area.len()] == b'.')
}

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    True,
    False,
    Unknown,
}
