//! Eligibility rules compiled to SQL: one set-based statement selects everyone in an area a
//! rule makes eligible, with the same three-valued answer as the evaluator in
//! `pintu_domain::rules` (property tests compare the two on both backends).
//!
//! Safe by construction: the SQL text comes only from this module's fixed fragments (column
//! names from the fact catalogue, operators, subqueries); every value written in a rule —
//! numbers, strings, programme codes, area codes — is a bound parameter.
//!
//! The person is `p` (persons), `hm` (their membership, if any) and `f` (their facts); a
//! member inside a members macro is `mp`, `mm`, `mf`. A person in no household is a
//! household of one, so every household fact has a branch for `hm.household_id IS NULL`.

use chrono::{Datelike, NaiveDate};
use pintu_domain::access::Scope;
use pintu_domain::rules::{
    ArithOp, CompareOp, Expr, ExprKind, HouseholdField, PersonField, RankKey, Subject, Type, Value,
};
use sea_orm::{DbBackend, Value as SqlValue};

use crate::scope_filter;

/// A fragment of SQL with `?` placeholders and its values, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sql {
    pub text: String,
    pub values: Vec<SqlValue>,
}

impl Sql {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn bind(&mut self, v: impl Into<SqlValue>) {
        self.text.push('?');
        self.values.push(v.into());
    }
}

/// Compiles expressions for one backend and one reference date (for `age`).
pub struct Compiler {
    backend: DbBackend,
    on: NaiveDate,
}

/// The aliases of the person an expression reads.
#[derive(Clone, Copy)]
struct Who {
    person: &'static str,
    member: &'static str,
    facts: &'static str,
}

const PERSON: Who = Who {
    person: "p",
    member: "hm",
    facts: "f",
};
const MEMBER: Who = Who {
    person: "mp",
    member: "mm",
    facts: "mf",
};

/// The join of a household's living members (`mp`, `mm`, `mf`) for the members macros.
const MEMBERS_OF_HOUSEHOLD: &str = "FROM household_members mm \
    JOIN persons mp ON mp.id = mm.person_id \
    LEFT JOIN person_facts mf ON mf.person_id = mm.person_id \
    WHERE mm.household_id = hm.household_id AND mp.life_status = 'alive'";

/// The same for the household aggregates (own aliases: they may appear inside a macro).
const AGGREGATE_OF_HOUSEHOLD: &str = "FROM household_members am \
    JOIN persons ap ON ap.id = am.person_id \
    LEFT JOIN person_facts af ON af.person_id = am.person_id \
    WHERE am.household_id = hm.household_id AND ap.life_status = 'alive'";

/// The columns every eligibility query joins: the person, membership and facts.
pub const PERSON_JOINS: &str = "FROM persons p \
    LEFT JOIN household_members hm ON hm.person_id = p.id \
    LEFT JOIN person_facts f ON f.person_id = p.id";

impl Compiler {
    pub fn new(backend: DbBackend, on: NaiveDate) -> Compiler {
        Compiler { backend, on }
    }

    /// The SQL of a boolean expression: true, false or NULL (unknown), as the evaluator.
    pub fn condition(&self, e: &Expr) -> Sql {
        let mut out = Sql::default();
        self.expr(e, Subject::Person, &mut out);
        out
    }

    /// The SQL value of any expression (a ranking key).
    pub fn value(&self, e: &Expr) -> Sql {
        self.condition(e)
    }

    /// Everyone living in `scope` whom `rule` makes eligible, with their household, village
    /// and the ranking keys' values (`k0`, `k1`, ...). `heads_only` lists a household once,
    /// by its head (a person in no household is their own head).
    pub fn eligible(&self, rule: &Expr, keys: &[RankKey], scope: &Scope, heads_only: bool) -> Sql {
        let mut out = Sql::default();
        out.push("SELECT p.id AS person_id, hm.household_id AS household_id, p.village_code AS village_code");
        for (i, k) in keys.iter().enumerate() {
            // Cast, so each key reads back as one type whatever mix of columns and
            // parameters it is made of.
            out.push(", CAST((");
            self.expr(&k.expr, Subject::Person, &mut out);
            let ty = match (k.expr.ty, self.backend) {
                (Type::Decimal, DbBackend::Postgres) => "DOUBLE PRECISION",
                (Type::Decimal, _) => "REAL",
                (_, DbBackend::Postgres) => "BIGINT",
                _ => "INTEGER",
            };
            out.push(&format!(") AS {ty}) AS k{i}"));
        }
        out.push(" ");
        out.push(PERSON_JOINS);
        let (area, values) = scope_filter(scope, "p.village_code");
        out.push(" WHERE p.life_status = 'alive' AND ");
        out.push(&area);
        out.values.extend(values);
        if heads_only {
            out.push(" AND (hm.household_id IS NULL OR hm.relationship = 'KEPALA KELUARGA')");
        }
        out.push(" AND (");
        self.expr(rule, Subject::Person, &mut out);
        out.push(")");
        out
    }

    /// How many people living in `scope` the rule makes eligible (the editor's preview), and
    /// how many live there.
    pub fn count(&self, rule: &Expr, scope: &Scope) -> Sql {
        let mut out = Sql::default();
        out.push("SELECT COUNT(*) AS people, COALESCE(SUM(CASE WHEN (");
        self.expr(rule, Subject::Person, &mut out);
        out.push(") THEN 1 ELSE 0 END), 0) AS eligible ");
        out.push(PERSON_JOINS);
        let (area, values) = scope_filter(scope, "p.village_code");
        out.push(" WHERE p.life_status = 'alive' AND ");
        out.push(&area);
        out.values.extend(values);
        out
    }

    fn who(subject: Subject) -> Who {
        match subject {
            Subject::Person => PERSON,
            Subject::Member => MEMBER,
        }
    }

    fn expr(&self, e: &Expr, ctx: Subject, out: &mut Sql) {
        match &e.kind {
            ExprKind::Literal(v) => literal(v, out),
            ExprKind::Field(subject, field) => {
                self.field(*field, Self::who(resolve(*subject, ctx)), out)
            }
            ExprKind::Household(field) => self.household(*field, out),
            ExprKind::Known(inner) => {
                out.push("((");
                self.expr(inner, ctx, out);
                out.push(") IS NOT NULL)");
            }
            ExprKind::Enrolled(subject, code) => {
                let who = Self::who(resolve(*subject, ctx));
                out.push("EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = ");
                out.push(who.person);
                out.push(".id AND e.status = 'active' AND e.programme_code = ");
                out.bind(code.clone());
                out.push(")");
            }
            ExprKind::HouseholdEnrolled(code) => {
                out.push("(CASE WHEN hm.household_id IS NULL THEN EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id AND e.status = 'active' AND e.programme_code = ");
                out.bind(code.clone());
                // `CROSS JOIN` keeps SQLite's join order: from the household's members to
                // their enrolments (by the person's unique key), never from all of a
                // programme's enrolments to the household.
                out.push(") ELSE EXISTS (SELECT 1 FROM household_members em CROSS JOIN enrolments e WHERE em.household_id = hm.household_id AND e.person_id = em.person_id AND e.programme_code = ");
                out.bind(code.clone());
                out.push(" AND e.status = 'active' AND EXISTS (SELECT 1 FROM persons ep WHERE ep.id = em.person_id AND ep.life_status = 'alive')) END)");
            }
            ExprKind::InArea(subject, area) => {
                let who = Self::who(resolve(*subject, ctx));
                let column = format!("{}.village_code", who.person);
                out.push(&format!("({column} = "));
                out.bind(area.clone());
                out.push(&format!(" OR ({column} > "));
                out.bind(format!("{area}."));
                out.push(&format!(" AND {column} < "));
                out.bind(format!("{area}/"));
                out.push("))");
            }
            ExprKind::Not(inner) => {
                out.push("(NOT (");
                self.expr(inner, ctx, out);
                out.push("))");
            }
            ExprKind::And(parts) | ExprKind::Or(parts) => {
                let op = if matches!(e.kind, ExprKind::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                out.push("(");
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push(op);
                    }
                    out.push("(");
                    self.expr(part, ctx, out);
                    out.push(")");
                }
                out.push(")");
            }
            ExprKind::Compare(op, l, r) => {
                out.push("((");
                self.expr(l, ctx, out);
                out.push(match op {
                    CompareOp::Eq => ") = (",
                    CompareOp::Ne => ") <> (",
                    CompareOp::Lt => ") < (",
                    CompareOp::Le => ") <= (",
                    CompareOp::Gt => ") > (",
                    CompareOp::Ge => ") >= (",
                });
                self.expr(r, ctx, out);
                out.push("))");
            }
            ExprKind::Arith(op, l, r) => {
                out.push("((");
                self.expr(l, ctx, out);
                out.push(match op {
                    ArithOp::Add => ") + (",
                    ArithOp::Sub => ") - (",
                    ArithOp::Mul => ") * (",
                });
                self.expr(r, ctx, out);
                out.push("))");
            }
            ExprKind::In(inner, list) => {
                if list.is_empty() {
                    // An empty disjunction: false whatever the value.
                    out.push("(1 = 0)");
                    return;
                }
                out.push("((");
                self.expr(inner, ctx, out);
                out.push(") IN (");
                for (i, v) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(", ");
                    }
                    literal(v, out);
                }
                out.push("))");
            }
            ExprKind::MembersExist(pred) => {
                out.push("(CASE WHEN hm.household_id IS NULL THEN COALESCE((");
                self.expr(pred, Subject::Person, out);
                out.push("), FALSE) ELSE EXISTS (SELECT 1 ");
                out.push(MEMBERS_OF_HOUSEHOLD);
                out.push(" AND (");
                self.expr(pred, Subject::Member, out);
                out.push(")) END)");
            }
            ExprKind::MembersAll(pred) => {
                out.push("(CASE WHEN hm.household_id IS NULL THEN COALESCE((");
                self.expr(pred, Subject::Person, out);
                out.push("), FALSE) ELSE NOT EXISTS (SELECT 1 ");
                out.push(MEMBERS_OF_HOUSEHOLD);
                out.push(" AND NOT COALESCE((");
                self.expr(pred, Subject::Member, out);
                out.push("), FALSE)) END)");
            }
            ExprKind::MembersCount(pred) => {
                out.push("(CASE WHEN hm.household_id IS NULL THEN (CASE WHEN (");
                self.expr(pred, Subject::Person, out);
                out.push(") THEN 1 ELSE 0 END) ELSE (SELECT COUNT(*) ");
                out.push(MEMBERS_OF_HOUSEHOLD);
                out.push(" AND (");
                self.expr(pred, Subject::Member, out);
                out.push(")) END)");
            }
        }
    }

    fn field(&self, field: PersonField, who: Who, out: &mut Sql) {
        let Who {
            person: p,
            member: m,
            facts: f,
        } = who;
        let column = match field {
            PersonField::Age => return self.age(p, out),
            PersonField::Sex => format!("{p}.sex"),
            PersonField::Relationship => format!("{m}.relationship"),
            PersonField::Occupation => format!("{p}.occupation"),
            PersonField::MaritalStatus => format!("{p}.marital_status"),
            PersonField::Disability => format!("{f}.disability"),
            PersonField::ChronicIllness => format!("{f}.chronic_illness"),
            PersonField::SchoolStatus => format!("{f}.school_status"),
            PersonField::EmploymentStatus => format!("{f}.employment_status"),
            PersonField::MonthlyIncome => format!("{f}.monthly_income"),
            PersonField::WelfareDecile => format!("{f}.welfare_decile"),
            PersonField::PmtScore => format!("{f}.pmt_score"),
            PersonField::JknSegment => format!("{f}.jkn_segment"),
            PersonField::JknClass => format!("{f}.jkn_class"),
            PersonField::JknActive => format!("{f}.jkn_active"),
        };
        out.push(&column);
    }

    /// Whole years at the reference date: the year difference, less one before the
    /// birthday (`MM-DD` compared as text).
    fn age(&self, p: &str, out: &mut Sql) {
        let year = i64::from(self.on.year());
        let month_day = self.on.format("%m-%d").to_string();
        out.push("(");
        out.bind(year);
        match self.backend {
            DbBackend::Postgres => {
                out.push(&format!(
                    " - CAST(EXTRACT(YEAR FROM {p}.birth_date) AS BIGINT) - (CASE WHEN to_char({p}.birth_date, 'MM-DD') > "
                ));
                out.bind(month_day);
                out.push(" THEN 1 ELSE 0 END))");
            }
            _ => {
                out.push(&format!(
                    " - CAST(substr({p}.birth_date, 1, 4) AS INTEGER) - (CASE WHEN substr({p}.birth_date, 6, 5) > "
                ));
                out.bind(month_day);
                out.push(" THEN 1 ELSE 0 END))");
            }
        }
    }

    fn household(&self, field: HouseholdField, out: &mut Sql) {
        let (alone, together) = match field {
            HouseholdField::Size => ("1", "COUNT(*)"),
            HouseholdField::WelfareDecile => ("f.welfare_decile", "MIN(af.welfare_decile)"),
            HouseholdField::PmtScore => ("f.pmt_score", "MIN(af.pmt_score)"),
            HouseholdField::MonthlyIncome => {
                ("f.monthly_income", "CAST(SUM(af.monthly_income) AS BIGINT)")
            }
            HouseholdField::IncomePerCapita => (
                "f.monthly_income",
                "CAST(SUM(af.monthly_income) AS BIGINT) / COUNT(*)",
            ),
        };
        out.push(&format!(
            "(CASE WHEN hm.household_id IS NULL THEN {alone} ELSE (SELECT {together} {AGGREGATE_OF_HOUSEHOLD}) END)"
        ));
    }
}

/// Inside a members macro, `m.x` is the member; outside, the person. (A `Subject::Member`
/// node compiled for the no-household branch reads the person, who is the only member.)
fn resolve(subject: Subject, ctx: Subject) -> Subject {
    match (subject, ctx) {
        (Subject::Member, Subject::Member) => Subject::Member,
        _ => Subject::Person,
    }
}

fn literal(v: &Value, out: &mut Sql) {
    match v {
        Value::Bool(b) => out.bind(*b),
        Value::Int(i) => out.bind(*i),
        Value::Decimal(d) => out.bind(*d),
        Value::Text(s) => out.bind(s.clone()),
        Value::Null => out.push("NULL"),
    }
}

/// The Rust type a ranking key's column is read as.
pub fn key_is_decimal(key: &RankKey) -> bool {
    key.expr.ty == Type::Decimal
}
