//! Evaluation for one person, three-valued, with an explanation of each clause in plain
//! words (Bahasa Indonesia and English).

use chrono::NaiveDate;
use serde::Serialize;

use super::{
    ArithOp, CompareOp, Expr, ExprKind, HouseholdField, PersonFacts, PersonField, Rule, Span,
    Subject, Subjects, Truth, Value, age_on, area_contains,
};

/// A rule's answer for one person, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub truth: Truth,
    pub clauses: Vec<Clause>,
}

/// One top-level clause of a rule and what it came to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clause {
    /// The clause as written.
    pub text: String,
    pub span: Span,
    pub truth: Truth,
    /// Whether this clause decided the rule's answer.
    pub decisive: bool,
    pub because_id: String,
    pub because_en: String,
}

struct Ctx<'a> {
    subjects: &'a Subjects,
    on: NaiveDate,
    member: Option<&'a PersonFacts>,
}

fn truth(v: &Value) -> Truth {
    match v {
        Value::Bool(true) => Truth::True,
        Value::Bool(false) => Truth::False,
        _ => Truth::Unknown,
    }
}

fn person_value(p: &PersonFacts, f: PersonField, on: NaiveDate) -> Value {
    let text = |s: &Option<String>| s.clone().map_or(Value::Null, Value::Text);
    let int = |i: Option<i64>| i.map_or(Value::Null, Value::Int);
    let boolean = |b: Option<bool>| b.map_or(Value::Null, Value::Bool);
    match f {
        PersonField::Age => p
            .birth_date
            .map_or(Value::Null, |b| Value::Int(age_on(b, on))),
        PersonField::Sex => Value::Text(p.sex.clone()),
        PersonField::Relationship => text(&p.relationship),
        PersonField::Occupation => text(&p.occupation),
        PersonField::MaritalStatus => text(&p.marital_status),
        PersonField::Disability => boolean(p.disability),
        PersonField::ChronicIllness => boolean(p.chronic_illness),
        PersonField::SchoolStatus => text(&p.school_status),
        PersonField::EmploymentStatus => text(&p.employment_status),
        PersonField::MonthlyIncome => int(p.monthly_income),
        PersonField::WelfareDecile => int(p.welfare_decile),
        PersonField::PmtScore => p.pmt_score.map_or(Value::Null, Value::Decimal),
        PersonField::JknSegment => text(&p.jkn_segment),
        PersonField::JknClass => int(p.jkn_class),
        PersonField::JknActive => boolean(p.jkn_active),
    }
}

fn household_value(s: &Subjects, f: HouseholdField) -> Value {
    let members = &s.members;
    let income = || {
        let known: Vec<i64> = members.iter().filter_map(|m| m.monthly_income).collect();
        if known.is_empty() {
            return None;
        }
        known.iter().try_fold(0i64, |acc, i| acc.checked_add(*i))
    };
    match f {
        HouseholdField::Size => Value::Int(members.len() as i64),
        HouseholdField::WelfareDecile => members
            .iter()
            .filter_map(|m| m.welfare_decile)
            .min()
            .map_or(Value::Null, Value::Int),
        HouseholdField::PmtScore => members
            .iter()
            .filter_map(|m| m.pmt_score)
            .min_by(f64::total_cmp)
            .map_or(Value::Null, Value::Decimal),
        HouseholdField::MonthlyIncome => income().map_or(Value::Null, Value::Int),
        HouseholdField::IncomePerCapita => match (income(), members.len() as i64) {
            (Some(total), n) if n > 0 => Value::Int(total.div_euclid(n)),
            _ => Value::Null,
        },
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Decimal(d) => Some(*d),
        _ => None,
    }
}

fn equal(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Int(x), Value::Int(y)) => Some(x == y),
        (Value::Text(x), Value::Text(y)) => Some(x == y),
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        _ => Some(as_f64(a)? == as_f64(b)?),
    }
}

fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        _ => as_f64(a)?.partial_cmp(&as_f64(b)?),
    }
}

impl Ctx<'_> {
    fn who(&self, s: Subject) -> &PersonFacts {
        match (s, self.member) {
            (Subject::Member, Some(m)) => m,
            _ => &self.subjects.person,
        }
    }

    fn with_member<'b>(&'b self, m: &'b PersonFacts) -> Ctx<'b> {
        Ctx {
            subjects: self.subjects,
            on: self.on,
            member: Some(m),
        }
    }

    fn members_true(&self, pred: &Expr) -> usize {
        self.subjects
            .members
            .iter()
            .filter(|m| truth(&self.with_member(m).eval(pred)) == Truth::True)
            .count()
    }

    fn eval(&self, e: &Expr) -> Value {
        match &e.kind {
            ExprKind::Literal(v) => v.clone(),
            ExprKind::Field(s, f) => person_value(self.who(*s), *f, self.on),
            ExprKind::Household(f) => household_value(self.subjects, *f),
            ExprKind::Known(inner) => Value::Bool(self.eval(inner) != Value::Null),
            ExprKind::Enrolled(s, code) => Value::Bool(self.who(*s).enrolments.contains(code)),
            ExprKind::HouseholdEnrolled(code) => Value::Bool(
                self.subjects
                    .members
                    .iter()
                    .any(|m| m.enrolments.contains(code)),
            ),
            ExprKind::InArea(s, area) => Value::Bool(area_contains(area, &self.who(*s).village)),
            ExprKind::Not(inner) => match self.eval(inner) {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Null,
            },
            ExprKind::And(parts) => {
                let mut unknown = false;
                for p in parts {
                    match truth(&self.eval(p)) {
                        Truth::False => return Value::Bool(false),
                        Truth::Unknown => unknown = true,
                        Truth::True => {}
                    }
                }
                if unknown {
                    Value::Null
                } else {
                    Value::Bool(true)
                }
            }
            ExprKind::Or(parts) => {
                let mut unknown = false;
                for p in parts {
                    match truth(&self.eval(p)) {
                        Truth::True => return Value::Bool(true),
                        Truth::Unknown => unknown = true,
                        Truth::False => {}
                    }
                }
                if unknown {
                    Value::Null
                } else {
                    Value::Bool(false)
                }
            }
            ExprKind::Compare(op, l, r) => {
                let (a, b) = (self.eval(l), self.eval(r));
                let result = match op {
                    CompareOp::Eq => equal(&a, &b),
                    CompareOp::Ne => equal(&a, &b).map(|x| !x),
                    _ => order(&a, &b).map(|o| match op {
                        CompareOp::Lt => o.is_lt(),
                        CompareOp::Le => o.is_le(),
                        CompareOp::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    }),
                };
                result.map_or(Value::Null, Value::Bool)
            }
            ExprKind::Arith(op, l, r) => {
                let (a, b) = (self.eval(l), self.eval(r));
                match (&a, &b) {
                    (Value::Int(x), Value::Int(y)) => {
                        let v = match op {
                            ArithOp::Add => x.checked_add(*y),
                            ArithOp::Sub => x.checked_sub(*y),
                            ArithOp::Mul => x.checked_mul(*y),
                        };
                        v.map_or(Value::Null, Value::Int)
                    }
                    _ => match (as_f64(&a), as_f64(&b)) {
                        (Some(x), Some(y)) => Value::Decimal(match op {
                            ArithOp::Add => x + y,
                            ArithOp::Sub => x - y,
                            ArithOp::Mul => x * y,
                        }),
                        _ => Value::Null,
                    },
                }
            }
            ExprKind::In(inner, list) => {
                if list.is_empty() {
                    return Value::Bool(false);
                }
                let v = self.eval(inner);
                if v == Value::Null {
                    return Value::Null;
                }
                Value::Bool(list.iter().any(|item| equal(&v, item) == Some(true)))
            }
            ExprKind::MembersExist(pred) => Value::Bool(self.members_true(pred) > 0),
            ExprKind::MembersAll(pred) => {
                Value::Bool(self.members_true(pred) == self.subjects.members.len())
            }
            ExprKind::MembersCount(pred) => Value::Int(self.members_true(pred) as i64),
        }
    }
}

impl Expr {
    /// The expression's value for one person on a date (`Value::Null` = unknown).
    pub fn value(&self, s: &Subjects, on: NaiveDate) -> Value {
        Ctx {
            subjects: s,
            on,
            member: None,
        }
        .eval(self)
    }
}

impl Rule {
    /// The rule's answer for one person on a date, and each clause's part in it.
    pub fn evaluate(&self, s: &Subjects, on: NaiveDate) -> Outcome {
        let ctx = Ctx {
            subjects: s,
            on,
            member: None,
        };
        let result = truth(&ctx.eval(&self.expr));
        let (parts, is_and) = match &self.expr.kind {
            ExprKind::And(parts) => (parts.iter().collect::<Vec<_>>(), true),
            ExprKind::Or(parts) => (parts.iter().collect(), false),
            _ => (vec![&self.expr], true),
        };
        let clauses = parts
            .into_iter()
            .map(|p| {
                let t = truth(&ctx.eval(p));
                let decisive = match (is_and, result) {
                    (true, Truth::True) => true,
                    (false, Truth::False) => true,
                    (_, r) => t == r,
                };
                let (because_id, because_en) = explain(&ctx, p, t, &self.text);
                Clause {
                    text: self
                        .text
                        .get(p.span.start..p.span.end)
                        .unwrap_or("")
                        .to_string(),
                    span: p.span,
                    truth: t,
                    decisive,
                    because_id,
                    because_en,
                }
            })
            .collect();
        Outcome {
            truth: result,
            clauses,
        }
    }
}

// ---- explanations ------------------------------------------------------------------------

/// A fact's label, whose it is, and whether it is in Rupiah.
fn fact_label(e: &Expr) -> Option<(String, String, bool)> {
    match &e.kind {
        ExprKind::Field(s, f) => {
            let (id, en) = f.label();
            let money = *f == PersonField::MonthlyIncome;
            Some(match s {
                Subject::Person => (id.to_string(), en.to_string(), money),
                Subject::Member => (format!("{id} anggota"), format!("member's {en}"), money),
            })
        }
        ExprKind::Household(f) => {
            let (id, en) = f.label();
            let money = matches!(
                f,
                HouseholdField::MonthlyIncome | HouseholdField::IncomePerCapita
            );
            Some((id.to_string(), en.to_string(), money))
        }
        _ => None,
    }
}

/// `n` with its thousands separated by `sep` (Indonesian `.`, English `,`).
pub(crate) fn group(n: i64, sep: char) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A value in words: (Bahasa Indonesia, English).
fn show(v: &Value, money: bool) -> (String, String) {
    match v {
        Value::Bool(true) => ("ya".into(), "yes".into()),
        Value::Bool(false) => ("tidak".into(), "no".into()),
        Value::Int(i) if money => (
            format!("Rp {}", group(*i, '.')),
            format!("Rp {}", group(*i, ',')),
        ),
        Value::Int(i) => (i.to_string(), i.to_string()),
        Value::Decimal(d) => {
            let s = format!("{d:.2}");
            let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
            (s.replace('.', ","), s)
        }
        Value::Text(t) => (format!("\"{t}\""), format!("\"{t}\"")),
        Value::Null => ("tidak diketahui".into(), "unknown".into()),
    }
}

fn op_symbol(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "≠",
        CompareOp::Lt => "<",
        CompareOp::Le => "≤",
        CompareOp::Gt => ">",
        CompareOp::Ge => "≥",
    }
}

fn flip(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        other => other,
    }
}

/// Every fact a clause reads, with its value, for the generic sentence.
fn facts_read(ctx: &Ctx<'_>, e: &Expr, out: &mut Vec<(String, String)>) {
    if let Some((id, en, money)) = fact_label(e)
        && !matches!(e.kind, ExprKind::Field(Subject::Member, _))
    {
        let (vid, ven) = show(&ctx.eval(e), money);
        let pair = (format!("{id} = {vid}"), format!("{en} = {ven}"));
        if !out.contains(&pair) {
            out.push(pair);
        }
        return;
    }
    match &e.kind {
        ExprKind::Known(x) | ExprKind::Not(x) => facts_read(ctx, x, out),
        ExprKind::And(xs) | ExprKind::Or(xs) => xs.iter().for_each(|x| facts_read(ctx, x, out)),
        ExprKind::Compare(_, a, b) | ExprKind::Arith(_, a, b) => {
            facts_read(ctx, a, out);
            facts_read(ctx, b, out);
        }
        ExprKind::In(x, _) => facts_read(ctx, x, out),
        _ => {}
    }
}

fn explain(ctx: &Ctx<'_>, e: &Expr, t: Truth, text: &str) -> (String, String) {
    let quote = |x: &Expr| text.get(x.span.start..x.span.end).unwrap_or("").to_string();
    match &e.kind {
        ExprKind::Compare(op, l, r) => {
            let shaped = match (&l.kind, &r.kind) {
                (_, ExprKind::Literal(v)) if fact_label(l).is_some() => Some((l, *op, v)),
                (ExprKind::Literal(v), _) if fact_label(r).is_some() => Some((r, flip(*op), v)),
                _ => None,
            };
            if let Some((fact, op, limit)) = shaped {
                let (id, en, money) = fact_label(fact).unwrap_or_default();
                let value = ctx.eval(fact);
                if value == Value::Null {
                    return (format!("{id} tidak diketahui"), format!("{en} is unknown"));
                }
                let (vid, ven) = show(&value, money);
                let (lid, len) = show(limit, money);
                let sym = op_symbol(op);
                return match t {
                    Truth::True => (
                        format!("{id} {vid}, {sym} {lid}"),
                        format!("{en} is {ven}, {sym} {len}"),
                    ),
                    _ => (
                        format!("{id} {vid}, tidak {sym} {lid}"),
                        format!("{en} is {ven}, not {sym} {len}"),
                    ),
                };
            }
        }
        ExprKind::Field(..) | ExprKind::Household(_) if e.ty == super::Type::Bool => {
            let (id, en, _) = fact_label(e).unwrap_or_default();
            let (vid, ven) = show(&ctx.eval(e), false);
            return (format!("{id}: {vid}"), format!("{en}: {ven}"));
        }
        ExprKind::Not(inner)
            if inner.ty == super::Type::Bool
                && matches!(
                    inner.kind,
                    ExprKind::Field(..)
                        | ExprKind::Enrolled(..)
                        | ExprKind::HouseholdEnrolled(_)
                        | ExprKind::InArea(..)
                ) =>
        {
            return explain(ctx, inner, flip_truth(t), text);
        }
        ExprKind::Enrolled(_, code) => {
            return if ctx.eval(e) == Value::Bool(true) {
                (
                    format!("sudah terdaftar di {code}"),
                    format!("already enrolled in {code}"),
                )
            } else {
                (
                    format!("belum terdaftar di {code}"),
                    format!("not enrolled in {code}"),
                )
            };
        }
        ExprKind::HouseholdEnrolled(code) => {
            return if ctx.eval(e) == Value::Bool(true) {
                (
                    format!("ada anggota rumah tangga yang terdaftar di {code}"),
                    format!("someone in the household is enrolled in {code}"),
                )
            } else {
                (
                    format!("tidak ada anggota rumah tangga yang terdaftar di {code}"),
                    format!("no one in the household is enrolled in {code}"),
                )
            };
        }
        ExprKind::InArea(_, area) => {
            return if ctx.eval(e) == Value::Bool(true) {
                (
                    format!("tinggal di wilayah {area}"),
                    format!("lives in area {area}"),
                )
            } else {
                (
                    format!("tidak tinggal di wilayah {area}"),
                    format!("does not live in area {area}"),
                )
            };
        }
        ExprKind::Known(inner) => {
            let (id, en, _) = fact_label(inner).unwrap_or_default();
            return if t == Truth::True {
                (format!("{id} diketahui"), format!("{en} is known"))
            } else {
                (format!("{id} tidak diketahui"), format!("{en} is unknown"))
            };
        }
        ExprKind::In(inner, list) if fact_label(inner).is_some() => {
            let (id, en, money) = fact_label(inner).unwrap_or_default();
            let value = ctx.eval(inner);
            if value == Value::Null {
                return (format!("{id} tidak diketahui"), format!("{en} is unknown"));
            }
            let (vid, ven) = show(&value, money);
            let items: Vec<(String, String)> = list.iter().map(|v| show(v, money)).collect();
            let ids = items
                .iter()
                .map(|i| i.0.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let ens = items
                .iter()
                .map(|i| i.1.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return if t == Truth::True {
                (
                    format!("{id} {vid}, salah satu dari {ids}"),
                    format!("{en} is {ven}, one of {ens}"),
                )
            } else {
                (
                    format!("{id} {vid}, bukan salah satu dari {ids}"),
                    format!("{en} is {ven}, not one of {ens}"),
                )
            };
        }
        ExprKind::MembersExist(pred) | ExprKind::MembersAll(pred) => {
            let n = ctx.members_true(pred);
            let of = ctx.subjects.members.len();
            let p = quote(pred);
            return if n == 0 {
                (
                    format!("tidak ada anggota rumah tangga yang memenuhi: {p}"),
                    format!("no household member meets: {p}"),
                )
            } else {
                (
                    format!("{n} dari {of} anggota rumah tangga memenuhi: {p}"),
                    format!("{n} of {of} household members meet: {p}"),
                )
            };
        }
        _ => {}
    }
    let clause = quote(e);
    let mut facts = Vec::new();
    facts_read(ctx, e, &mut facts);
    let (id_facts, en_facts) = if facts.is_empty() {
        (String::new(), String::new())
    } else {
        (
            format!(
                " ({})",
                facts
                    .iter()
                    .map(|f| f.0.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            format!(
                " ({})",
                facts
                    .iter()
                    .map(|f| f.1.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )
    };
    let (vid, ven) = match t {
        Truth::True => ("terpenuhi", "holds"),
        Truth::False => ("tidak terpenuhi", "does not hold"),
        Truth::Unknown => ("tidak dapat ditentukan", "cannot be decided"),
    };
    (
        format!("`{clause}` {vid}{id_facts}"),
        format!("`{clause}` {ven}{en_facts}"),
    )
}

fn flip_truth(t: Truth) -> Truth {
    match t {
        Truth::True => Truth::False,
        Truth::False => Truth::True,
        Truth::Unknown => Truth::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::super::check;
    use super::*;

    fn on() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
    }

    fn person(birth: (i32, u32, u32), decile: Option<i64>) -> PersonFacts {
        PersonFacts {
            birth_date: NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2),
            sex: "P".into(),
            village: "35.07.01.2001".into(),
            welfare_decile: decile,
            ..PersonFacts::default()
        }
    }

    fn alone(p: PersonFacts) -> Subjects {
        Subjects {
            person: p.clone(),
            members: vec![p],
        }
    }

    fn family() -> Subjects {
        let mut head = person((1960, 5, 1), Some(3));
        head.monthly_income = Some(1_000_000);
        head.pmt_score = Some(22.5);
        head.enrolments.insert("PKH".into());
        let mut wife = person((1965, 1, 1), Some(2));
        wife.monthly_income = Some(501_000);
        wife.disability = Some(true);
        let child = person((2023, 12, 1), None);
        Subjects {
            person: wife.clone(),
            members: vec![head, wife, child],
        }
    }

    fn truth_of(rule: &str, s: &Subjects) -> Truth {
        check(rule)
            .unwrap_or_else(|e| panic!("{rule}: {e:?}"))
            .evaluate(s, on())
            .truth
    }

    #[test]
    fn logic_is_three_valued_like_sql() {
        let s = alone(person((1990, 1, 1), None));
        for (rule, expected) in [
            ("welfare_decile <= 3", Truth::Unknown),
            ("!(welfare_decile <= 3)", Truth::Unknown),
            ("false && welfare_decile <= 3", Truth::False),
            ("true && welfare_decile <= 3", Truth::Unknown),
            ("true || welfare_decile <= 3", Truth::True),
            ("false || welfare_decile <= 3", Truth::Unknown),
            ("has(welfare_decile)", Truth::False),
            ("welfare_decile in [1, 2]", Truth::Unknown),
            ("welfare_decile in []", Truth::False),
            ("welfare_decile + 1 > 0", Truth::Unknown),
        ] {
            assert_eq!(truth_of(rule, &s), expected, "{rule}");
        }
    }

    #[test]
    fn household_aggregates_read_every_member() {
        let s = family();
        for (rule, expected) in [
            ("household.size == 3", Truth::True),
            ("household.welfare_decile == 2", Truth::True),
            ("household.pmt_score == 22.5", Truth::True),
            ("household.monthly_income == 1501000", Truth::True),
            ("household.income_per_capita == 500333", Truth::True),
            ("household.members.exists(m, m.age < 6)", Truth::True),
            (
                "household.members.all(m, m.welfare_decile <= 3)",
                Truth::False,
            ),
            (
                "household.members.filter(m, m.age >= 18).size() == 2",
                Truth::True,
            ),
            (
                "size(household.members) == household.members.size()",
                Truth::True,
            ),
            (
                r#"household.enrolled("PKH") && !enrolled("PKH")"#,
                Truth::True,
            ),
            (
                r#"household.members.exists(m, m.enrolled("PKH"))"#,
                Truth::True,
            ),
            ("disability && welfare_decile == 2", Truth::True),
        ] {
            assert_eq!(truth_of(rule, &s), expected, "{rule}");
        }
        let nobody_known = alone(person((1990, 1, 1), None));
        assert_eq!(
            truth_of("has(household.monthly_income)", &nobody_known),
            Truth::False
        );
        assert_eq!(
            truth_of(
                "household.members.all(m, m.welfare_decile < 5)",
                &nobody_known
            ),
            Truth::False
        );
    }

    #[test]
    fn age_turns_on_the_birthday_and_leap_day_births_turn_on_the_first_of_march() {
        let on = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let born = on(2000, 11, 22);
        assert_eq!(age_on(born, on(2026, 11, 21)), 25);
        assert_eq!(age_on(born, on(2026, 11, 22)), 26);
        let leap = on(2000, 2, 29);
        assert_eq!(age_on(leap, on(2027, 2, 28)), 26);
        assert_eq!(age_on(leap, on(2027, 3, 1)), 27);
        assert_eq!(age_on(leap, on(2028, 2, 29)), 28);
    }

    #[test]
    fn areas_match_whole_segments_only() {
        let s = alone(person((1990, 1, 1), None));
        assert_eq!(truth_of(r#"in_area("35.07")"#, &s), Truth::True);
        assert_eq!(truth_of(r#"in_area("35.07.01.2001")"#, &s), Truth::True);
        assert_eq!(truth_of(r#"in_area("35.0")"#, &s), Truth::False);
        assert_eq!(truth_of(r#"in_area("35.07.01.200")"#, &s), Truth::False);
    }

    #[test]
    fn numbers_mix_and_overflow_is_unknown() {
        let mut p = person((1990, 1, 1), Some(2));
        p.pmt_score = Some(2.0);
        p.monthly_income = Some(i64::MAX);
        let s = alone(p);
        assert_eq!(truth_of("welfare_decile == pmt_score", &s), Truth::True);
        assert_eq!(truth_of("welfare_decile < 2.5", &s), Truth::True);
        assert_eq!(truth_of("monthly_income + 1 > 0", &s), Truth::Unknown);
        assert_eq!(truth_of("monthly_income * 2 > 0 || true", &s), Truth::True);
    }

    #[test]
    fn clauses_say_what_decided_in_both_languages() {
        let s = alone(person((1990, 6, 1), Some(5)));
        let rule = check(r#"age >= 60 && household.welfare_decile <= 4 && !enrolled("JSLU")"#)
            .expect("checks");
        let o = rule.evaluate(&s, on());
        assert_eq!(o.truth, Truth::False);
        let decisive: Vec<&str> = o
            .clauses
            .iter()
            .filter(|c| c.decisive)
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(decisive, vec!["age >= 60", "household.welfare_decile <= 4"]);
        assert_eq!(o.clauses[0].because_en, "age (years) is 36, not ≥ 60");
        assert_eq!(o.clauses[0].because_id, "umur (tahun) 36, tidak ≥ 60");
        assert_eq!(o.clauses[2].because_en, "not enrolled in JSLU");
        assert_eq!(o.clauses[2].because_id, "belum terdaftar di JSLU");

        let unknown = alone(person((1950, 1, 1), None));
        let o = rule.evaluate(&unknown, on());
        assert_eq!(o.truth, Truth::Unknown);
        let c = o.clauses.iter().find(|c| c.decisive).expect("decisive");
        assert_eq!(c.because_en, "household welfare decile is unknown");

        let o = check("household.members.exists(m, m.age < 6) || disability")
            .expect("checks")
            .evaluate(&family(), on());
        assert_eq!(o.truth, Truth::True);
        assert_eq!(
            o.clauses[0].because_en,
            "1 of 3 household members meet: m.age < 6"
        );
        assert_eq!(o.clauses[1].because_id, "penyandang disabilitas: ya");
        assert!(o.clauses.iter().all(|c| c.decisive));

        let o = check("household.income_per_capita * 2 < 2000000")
            .expect("checks")
            .evaluate(&family(), on());
        assert_eq!(
            o.clauses[0].because_en,
            "`household.income_per_capita * 2 < 2000000` holds (income per person (Rp) = Rp 500,333)"
        );
    }

    proptest::proptest! {
        #[test]
        fn evaluation_never_panics(
            decile in proptest::option::of(1i64..=10),
            income in proptest::option::of(proptest::num::i64::ANY),
            pmt in proptest::option::of(proptest::num::f64::ANY),
            year in 1900i32..2030,
            rule in proptest::sample::select(vec![
                "monthly_income * monthly_income > 0",
                "household.income_per_capita - monthly_income < 5",
                "pmt_score * 1000000000.0 > monthly_income",
                "household.members.all(m, m.pmt_score >= pmt_score)",
                "age * age * age * age * age * age * age * age * age * age > 0",
                "welfare_decile in [1, 2.5] || household.pmt_score < -1",
            ]),
        ) {
            let mut p = person((year, 2, 28), decile);
            p.monthly_income = income;
            p.pmt_score = pmt;
            let s = Subjects { person: p.clone(), members: vec![p.clone(), p] };
            let _ = check(rule).expect("checks").evaluate(&s, on());
        }
    }
}
