//! Eligibility rules compiled to SQL: one set-based statement selects everyone in an area a
//! rule makes eligible, with the same three-valued answer as the evaluator in
//! `pintu_domain::rules` (property tests compare the two on both backends).
//!
//! Safe by construction: the SQL text comes only from this module's fixed fragments (column
//! names from the fact catalogue, operators, subqueries); every value written in a rule —
//! numbers, strings, programme codes, area codes — is a bound parameter.
//!
//! The queries read a run's population snapshot (`match_population`, built once per run by
//! [`population`]): one row per living person with their facts and their household's. The
//! person is `x`; a member inside a members macro is `mx`. A person in no household is a
//! household of one: their `household_key` is their own id, so every rule reads them the
//! same way.

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

/// The alias of the person an expression reads: the person, or a member in a macro.
type Who = &'static str;

const PERSON: Who = "x";
const MEMBER: Who = "mx";

/// The living members of the person's household (`mx`), for the members macros.
const MEMBERS_OF_HOUSEHOLD: &str = "FROM match_population mx \
    WHERE mx.run_id = x.run_id AND mx.household_key = x.household_key";

/// The columns of a snapshot row, in the order [`population`] writes them.
const POPULATION_COLUMNS: &str = "household_key, person_id, household_id, is_head, village_code, \
    birth_date, sex, relationship, occupation, marital_status, disability, chronic_illness, \
    school_status, employment_status, monthly_income, welfare_decile, pmt_score, jkn_segment, \
    jkn_class, jkn_active";

/// The statements that build the snapshot of `scope` for run `run_id`, to run in order in
/// one transaction: every living person whose village is in the scope, and the other living
/// members of their households (so that household facts and macros count every member),
/// each with the household's aggregates — size, poorest decile and PMT score, total income.
///
/// 1. The people of the area, with their households' aggregates over them, in one pass.
/// 2. The living members registered outside the area of a household that has fewer rows
///    than members (rare: a member registered elsewhere, or a death; only the former adds).
/// 3. Those households' aggregates again, over all their living members.
pub fn population(run_id: &str, scope: &Scope) -> Vec<Sql> {
    population_part(run_id, scope, None)
}

/// [`population`], its first statement taking only half of the households: `Some(0)`
/// those whose key ends in `0`-`7`, `Some(1)` the others (the last digit of a random id).
/// The two halves can be written at once, on two connections (PostgreSQL); together they
/// write what the first statement writes alone.
pub fn population_part(run_id: &str, scope: &Scope, half: Option<u8>) -> Vec<Sql> {
    let person = "COALESCE(hm.household_id, p.id) AS household_key, p.id AS person_id, \
        hm.household_id AS household_id, \
        (hm.household_id IS NULL OR hm.relationship = 'KEPALA KELUARGA') AS is_head, \
        p.village_code AS village_code, p.birth_date AS birth_date, p.sex AS sex, \
        hm.relationship AS relationship, p.occupation AS occupation, \
        p.marital_status AS marital_status, f.disability AS disability, \
        f.chronic_illness AS chronic_illness, f.school_status AS school_status, \
        f.employment_status AS employment_status, f.monthly_income AS monthly_income, \
        f.welfare_decile AS welfare_decile, f.pmt_score AS pmt_score, \
        f.jkn_segment AS jkn_segment, f.jkn_class AS jkn_class, f.jkn_active AS jkn_active";
    let insert = format!(
        "INSERT INTO match_population (run_id, {POPULATION_COLUMNS}, h_size, h_welfare_decile, \
         h_pmt_score, h_income) SELECT "
    );
    let area = |out: &mut Sql, column: &str| {
        let (text, values) = scope_filter(scope, column);
        out.push(&text);
        out.values.extend(values);
    };

    let mut people = Sql::default();
    people.push(&insert);
    people.bind(run_id.to_string());
    people.push(&format!(
        ", t.*, COUNT(*) OVER w, MIN(t.welfare_decile) OVER w, MIN(t.pmt_score) OVER w, \
         CAST(SUM(t.monthly_income) OVER w AS BIGINT) FROM (SELECT {person} FROM persons p \
         LEFT JOIN household_members hm ON hm.person_id = p.id \
         LEFT JOIN person_facts f ON f.person_id = p.id WHERE p.life_status = 'alive' AND "
    ));
    area(&mut people, "p.village_code");
    if let Some(half) = half {
        people.push(&format!(
            " AND substr(COALESCE(hm.household_id, p.id), 36, 1) {} '8'",
            if half == 0 { "<" } else { ">=" }
        ));
    }
    people.push(") t WINDOW w AS (PARTITION BY t.household_key)");

    let mut elsewhere = Sql::default();
    elsewhere.push(&insert);
    elsewhere.bind(run_id.to_string());
    elsewhere.push(&format!(
        ", {person}, 0, NULL, NULL, NULL FROM household_members hm \
         JOIN persons p ON p.id = hm.person_id \
         LEFT JOIN person_facts f ON f.person_id = p.id \
         WHERE p.life_status = 'alive' AND NOT ("
    ));
    area(&mut elsewhere, "p.village_code");
    elsewhere.push(
        ") AND hm.household_id IN (SELECT x.household_key FROM match_population x \
         WHERE x.run_id = ",
    );
    elsewhere.bind(run_id.to_string());
    elsewhere.push(
        " AND x.household_id IS NOT NULL GROUP BY x.household_key HAVING COUNT(*) < \
         (SELECT COUNT(*) FROM household_members c WHERE c.household_id = x.household_key))",
    );

    let mut again = Sql::default();
    let of_household = "FROM match_population a WHERE a.run_id = match_population.run_id \
        AND a.household_key = match_population.household_key";
    again.push(&format!(
        "UPDATE match_population SET h_size = (SELECT COUNT(*) {of_household}), \
         h_welfare_decile = (SELECT MIN(a.welfare_decile) {of_household}), \
         h_pmt_score = (SELECT MIN(a.pmt_score) {of_household}), \
         h_income = (SELECT CAST(SUM(a.monthly_income) AS BIGINT) {of_household}) \
         WHERE run_id = "
    ));
    again.bind(run_id.to_string());
    again.push(
        " AND household_key IN (SELECT o.household_key FROM match_population o WHERE o.run_id = ",
    );
    again.bind(run_id.to_string());
    again.push(" AND NOT (");
    area(&mut again, "o.village_code");
    again.push("))");
    vec![people, elsewhere, again]
}

impl Compiler {
    pub fn new(backend: DbBackend, on: NaiveDate) -> Compiler {
        Compiler { backend, on }
    }

    /// The SQL of a boolean expression: true, false or NULL (unknown), as the evaluator.
    pub fn condition(&self, e: &Expr) -> Sql {
        let mut out = Sql::default();
        self.expr(e, &mut out);
        out
    }

    /// The SQL value of any expression (a ranking key).
    pub fn value(&self, e: &Expr) -> Sql {
        self.condition(e)
    }

    /// Everyone of run `run_id`'s population living in `scope` whom `rule` makes eligible,
    /// with their household, village and the ranking keys' values (`k0`, `k1`, ...).
    /// `heads_only` lists a household once, by its head (a person in no household is their
    /// own head).
    pub fn eligible(
        &self,
        run_id: &str,
        rule: &Expr,
        keys: &[RankKey],
        scope: &Scope,
        heads_only: bool,
    ) -> Sql {
        let mut out = Sql::default();
        out.push("SELECT x.person_id AS person_id, x.household_id AS household_id, x.village_code AS village_code");
        for (i, k) in keys.iter().enumerate() {
            // Cast, so each key reads back as one type whatever mix of columns and
            // parameters it is made of.
            out.push(", CAST((");
            self.expr(&k.expr, &mut out);
            let ty = match (k.expr.ty, self.backend) {
                (Type::Decimal, DbBackend::Postgres) => "DOUBLE PRECISION",
                (Type::Decimal, _) => "REAL",
                (_, DbBackend::Postgres) => "BIGINT",
                _ => "INTEGER",
            };
            out.push(&format!(") AS {ty}) AS k{i}"));
        }
        Self::population_in(run_id, scope, &mut out);
        if heads_only {
            out.push(" AND x.is_head");
        }
        out.push(" AND (");
        self.expr(rule, &mut out);
        out.push(")");
        out
    }

    /// How many people of run `run_id`'s population living in `scope` the rule makes
    /// eligible (the editor's preview), and how many live there.
    pub fn count(&self, run_id: &str, rule: &Expr, scope: &Scope) -> Sql {
        let mut out = Sql::default();
        out.push("SELECT COUNT(*) AS people, COALESCE(SUM(CASE WHEN (");
        self.expr(rule, &mut out);
        out.push(") THEN 1 ELSE 0 END), 0) AS eligible");
        Self::population_in(run_id, scope, &mut out);
        out
    }

    /// ` FROM` the snapshot rows of a run living in `scope`.
    fn population_in(run_id: &str, scope: &Scope, out: &mut Sql) {
        out.push(" FROM match_population x WHERE x.run_id = ");
        out.bind(run_id.to_string());
        let (area, values) = scope_filter(scope, "x.village_code");
        out.push(" AND ");
        out.push(&area);
        out.values.extend(values);
    }

    fn who(subject: Subject) -> Who {
        match subject {
            Subject::Person => PERSON,
            Subject::Member => MEMBER,
        }
    }

    fn expr(&self, e: &Expr, out: &mut Sql) {
        match &e.kind {
            ExprKind::Literal(v) => literal(v, out),
            ExprKind::Field(subject, field) => self.field(*field, Self::who(*subject), out),
            ExprKind::Household(field) => self.household(*field, out),
            ExprKind::Known(inner) => {
                out.push("((");
                self.expr(inner, out);
                out.push(") IS NOT NULL)");
            }
            ExprKind::Enrolled(subject, code) => {
                let who = Self::who(*subject);
                out.push("EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = ");
                out.push(who);
                out.push(".person_id AND e.status = 'active' AND e.programme_code = ");
                out.bind(code.clone());
                out.push(")");
            }
            ExprKind::HouseholdEnrolled(code) => {
                // `CROSS JOIN` keeps SQLite's join order: from the household's members to
                // their enrolments (by the person's unique key), never from all of a
                // programme's enrolments to the household.
                out.push(
                    "EXISTS (SELECT 1 FROM match_population ex CROSS JOIN enrolments e \
                    WHERE ex.run_id = x.run_id AND ex.household_key = x.household_key \
                    AND e.person_id = ex.person_id AND e.status = 'active' AND e.programme_code = ",
                );
                out.bind(code.clone());
                out.push(")");
            }
            ExprKind::InArea(subject, area) => {
                let who = Self::who(*subject);
                let column = format!("{who}.village_code");
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
                self.expr(inner, out);
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
                    self.expr(part, out);
                    out.push(")");
                }
                out.push(")");
            }
            ExprKind::Compare(op, l, r) => {
                if self.age_compared(*op, l, r, out) {
                    return;
                }
                out.push("((");
                self.expr(l, out);
                out.push(match op {
                    CompareOp::Eq => ") = (",
                    CompareOp::Ne => ") <> (",
                    CompareOp::Lt => ") < (",
                    CompareOp::Le => ") <= (",
                    CompareOp::Gt => ") > (",
                    CompareOp::Ge => ") >= (",
                });
                self.expr(r, out);
                out.push("))");
            }
            ExprKind::Arith(op, l, r) => {
                out.push("((");
                self.expr(l, out);
                out.push(match op {
                    ArithOp::Add => ") + (",
                    ArithOp::Sub => ") - (",
                    ArithOp::Mul => ") * (",
                });
                self.expr(r, out);
                out.push("))");
            }
            ExprKind::In(inner, list) => {
                if list.is_empty() {
                    // An empty disjunction: false whatever the value.
                    out.push("(1 = 0)");
                    return;
                }
                out.push("((");
                self.expr(inner, out);
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
                out.push("EXISTS (SELECT 1 ");
                out.push(MEMBERS_OF_HOUSEHOLD);
                out.push(" AND (");
                self.expr(pred, out);
                out.push("))");
            }
            ExprKind::MembersAll(pred) => {
                out.push("NOT EXISTS (SELECT 1 ");
                out.push(MEMBERS_OF_HOUSEHOLD);
                out.push(" AND NOT COALESCE((");
                self.expr(pred, out);
                out.push("), FALSE))");
            }
            ExprKind::MembersCount(pred) => {
                out.push("(SELECT COUNT(*) ");
                out.push(MEMBERS_OF_HOUSEHOLD);
                out.push(" AND (");
                self.expr(pred, out);
                out.push("))");
            }
        }
    }

    fn field(&self, field: PersonField, x: Who, out: &mut Sql) {
        let column = match field {
            PersonField::Age => return self.age(x, out),
            PersonField::Sex => "sex",
            PersonField::Relationship => "relationship",
            PersonField::Occupation => "occupation",
            PersonField::MaritalStatus => "marital_status",
            PersonField::Disability => "disability",
            PersonField::ChronicIllness => "chronic_illness",
            PersonField::SchoolStatus => "school_status",
            PersonField::EmploymentStatus => "employment_status",
            PersonField::MonthlyIncome => "monthly_income",
            PersonField::WelfareDecile => "welfare_decile",
            PersonField::PmtScore => "pmt_score",
            PersonField::JknSegment => "jkn_segment",
            PersonField::JknClass => "jkn_class",
            PersonField::JknActive => "jkn_active",
        };
        out.push(&format!("{x}.{column}"));
    }
    /// `age OP n` or `n OP age` as comparisons of the birth date with the reference date
    /// moved back by whole years: `age >= k` exactly when the birth date is on or before
    /// the day `k` years before (February 29 falling on the 28th in a common year, when no
    /// one can be born on the 29th). The same answer as the age's arithmetic, without
    /// computing it for every row. False, writing nothing, for any other comparison.
    fn age_compared(&self, op: CompareOp, l: &Expr, r: &Expr, out: &mut Sql) -> bool {
        let (who, n, op) = match (&l.kind, &r.kind) {
            (ExprKind::Field(s, PersonField::Age), ExprKind::Literal(Value::Int(n))) => {
                (Self::who(*s), *n, op)
            }
            (ExprKind::Literal(Value::Int(n)), ExprKind::Field(s, PersonField::Age)) => {
                let flipped = match op {
                    CompareOp::Lt => CompareOp::Gt,
                    CompareOp::Le => CompareOp::Ge,
                    CompareOp::Gt => CompareOp::Lt,
                    CompareOp::Ge => CompareOp::Le,
                    same => same,
                };
                (Self::who(*s), *n, flipped)
            }
            _ => return false,
        };
        // The last birth date of someone at least `k` years old.
        let born_by = |k: i64| -> Option<String> {
            let months =
                chrono::Months::new(u32::try_from(k.checked_abs()?.checked_mul(12)?).ok()?);
            let day = if k >= 0 {
                self.on.checked_sub_months(months)
            } else {
                self.on.checked_add_months(months)
            }?;
            Some(day.format("%Y-%m-%d").to_string())
        };
        let (Some(from), Some(next)) = (born_by(n), n.checked_add(1).and_then(born_by)) else {
            return false;
        };
        let postgres = self.backend == DbBackend::Postgres;
        let column = format!("{who}.birth_date");
        // (at least `from`'s age: on or before it) (joined by) (less than `next`'s age).
        let parts: &[(&str, &String)] = match op {
            CompareOp::Ge => &[("<=", &from)],
            CompareOp::Gt => &[("<=", &next)],
            CompareOp::Lt => &[(">", &from)],
            CompareOp::Le => &[(">", &next)],
            CompareOp::Eq => &[("<=", &from), (">", &next)],
            CompareOp::Ne => &[(">", &from), ("<=", &next)],
        };
        let join = if op == CompareOp::Ne { " OR " } else { " AND " };
        out.push("(");
        for (i, (cmp, day)) in parts.iter().enumerate() {
            if i > 0 {
                out.push(join);
            }
            out.push(&format!("{column} {cmp} "));
            // SQLite keeps dates as `YYYY-MM-DD` text, which sorts as the dates do.
            if postgres {
                out.push("CAST(");
            }
            out.bind((*day).clone());
            if postgres {
                out.push(" AS DATE)");
            }
        }
        out.push(")");
        true
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
        out.push(match field {
            HouseholdField::Size => "x.h_size",
            HouseholdField::WelfareDecile => "x.h_welfare_decile",
            HouseholdField::PmtScore => "x.h_pmt_score",
            HouseholdField::MonthlyIncome => "x.h_income",
            HouseholdField::IncomePerCapita => "(x.h_income / x.h_size)",
        });
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
