//! The type checker: the untyped tree to a [`Rule`] whose every node has a type and whose
//! names are resolved to facts, or every error found, each with its position.

use super::parse::{self, Ast, BinOp, Node};
use super::{
    ArithOp, CompareOp, Expr, ExprKind, HouseholdField, PersonField, RankKey, Rule, RuleError,
    Span, Subject, Type, Value,
};

/// Parses and type-checks a rule; a rule must be true or false.
pub fn check(text: &str) -> Result<Rule, Vec<RuleError>> {
    let node = parse::parse(text).map_err(|e| vec![e])?;
    let mut c = Checker {
        text,
        errors: Vec::new(),
        member: None,
    };
    let expr = c.expr(&node);
    match expr {
        Some(e) if c.errors.is_empty() => {
            if e.ty != Type::Bool {
                return Err(vec![c.error(
                    "not_boolean",
                    e.span,
                    format!(
                        "aturan harus bernilai benar atau salah, bukan {}",
                        type_id(e.ty)
                    ),
                    format!("a rule must be true or false, not {}", type_en(e.ty)),
                )]);
            }
            Ok(Rule {
                text: text.to_string(),
                expr: e,
            })
        }
        _ => Err(c.errors),
    }
}

/// Parses and type-checks a ranking order: numeric keys separated by commas, each
/// optionally followed by `asc` (the default) or `desc`.
pub fn check_ranking(text: &str) -> Result<Vec<RankKey>, Vec<RuleError>> {
    let keys = parse::parse_keys(text).map_err(|e| vec![e])?;
    let mut c = Checker {
        text,
        errors: Vec::new(),
        member: None,
    };
    let mut out = Vec::new();
    for (node, descending) in keys {
        if let Some(e) = c.expr(&node) {
            if e.ty.is_numeric() {
                out.push(RankKey {
                    expr: e,
                    descending,
                });
            } else {
                let err = c.error(
                    "not_numeric",
                    e.span,
                    format!("urutan hanya dapat memakai angka, bukan {}", type_id(e.ty)),
                    format!("a ranking key must be a number, not {}", type_en(e.ty)),
                );
                c.errors.push(err);
            }
        }
    }
    if c.errors.is_empty() {
        Ok(out)
    } else {
        Err(c.errors)
    }
}

fn type_id(t: Type) -> &'static str {
    match t {
        Type::Bool => "benar/salah",
        Type::Int => "bilangan bulat",
        Type::Decimal => "bilangan desimal",
        Type::Text => "teks",
    }
}

fn type_en(t: Type) -> &'static str {
    match t {
        Type::Bool => "true/false",
        Type::Int => "a whole number",
        Type::Decimal => "a decimal number",
        Type::Text => "text",
    }
}

/// The closest of `names` to `name`, if close enough to be a likely typo.
fn suggest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names
        .map(|n| (strsim::jaro_winkler(name, n), n))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

const FUNCTIONS: [&str; 4] = ["enrolled", "in_area", "has", "size"];
const MACROS: [&str; 4] = ["exists", "all", "filter", "size"];

struct Checker<'t> {
    text: &'t str,
    errors: Vec<RuleError>,
    /// The members macro's variable, while checking its predicate.
    member: Option<String>,
}

fn literal(span: Span, v: Value) -> Expr {
    let ty = match &v {
        Value::Bool(_) => Type::Bool,
        Value::Int(_) => Type::Int,
        Value::Decimal(_) => Type::Decimal,
        Value::Text(_) | Value::Null => Type::Text,
    };
    Expr {
        span,
        ty,
        kind: ExprKind::Literal(v),
    }
}

impl Checker<'_> {
    fn error(&self, code: &'static str, span: Span, id: String, en: String) -> RuleError {
        parse::error(self.text, code, span, id, en)
    }

    fn push(&mut self, code: &'static str, span: Span, id: String, en: String) {
        let e = self.error(code, span, id, en);
        self.errors.push(e);
    }

    fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    fn unknown_field(&mut self, span: Span, name: &str, names: Vec<&str>) {
        match suggest(name, names.into_iter()) {
            Some(s) => self.push(
                "unknown_field",
                span,
                format!("data `{name}` tidak dikenal; maksudnya `{s}`?"),
                format!("unknown field `{name}`; did you mean `{s}`?"),
            ),
            None => self.push(
                "unknown_field",
                span,
                format!("data `{name}` tidak dikenal"),
                format!("unknown field `{name}`"),
            ),
        }
    }

    fn person_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&str> = PersonField::ALL.iter().map(|f| f.code()).collect();
        names.push("household");
        names
    }

    /// A type mismatch between what is expected and what was found.
    fn mismatch(&mut self, span: Span, id: String, en: String) {
        self.push("type_mismatch", span, id, en);
    }

    fn expect_bool(&mut self, e: Expr) -> Option<Expr> {
        if e.ty == Type::Bool {
            Some(e)
        } else {
            let what = self.slice(e.span).to_string();
            self.mismatch(
                e.span,
                format!(
                    "`{what}` harus bernilai benar/salah, bukan {}",
                    type_id(e.ty)
                ),
                format!("`{what}` must be true or false, not {}", type_en(e.ty)),
            );
            None
        }
    }

    fn expect_number(&mut self, e: Expr) -> Option<Expr> {
        if e.ty.is_numeric() {
            Some(e)
        } else {
            let what = self.slice(e.span).to_string();
            self.mismatch(
                e.span,
                format!("`{what}` harus berupa angka, bukan {}", type_id(e.ty)),
                format!("`{what}` must be a number, not {}", type_en(e.ty)),
            );
            None
        }
    }

    fn expr(&mut self, n: &Node) -> Option<Expr> {
        let span = n.span;
        match &n.ast {
            Ast::Int(i) => Some(literal(span, Value::Int(*i))),
            Ast::Dec(d) => Some(literal(span, Value::Decimal(*d))),
            Ast::Str(s) => Some(literal(span, Value::Text(s.clone()))),
            Ast::Bool(b) => Some(literal(span, Value::Bool(*b))),
            Ast::List(_) => {
                self.mismatch(
                    span,
                    "daftar [..] hanya boleh sesudah `in`".into(),
                    "a list [..] can only follow `in`".into(),
                );
                None
            }
            Ast::Ident(name) => self.ident(span, name),
            Ast::Member(target, name) => self.member(span, target, name),
            Ast::Call {
                target,
                name,
                name_span,
                args,
            } => self.call(span, target.as_deref(), name, *name_span, args),
            Ast::Not(inner) => {
                let e = self.expr(inner)?;
                let e = self.expect_bool(e)?;
                Some(Expr {
                    span,
                    ty: Type::Bool,
                    kind: ExprKind::Not(Box::new(e)),
                })
            }
            Ast::Neg(inner) => {
                let e = self.expr(inner)?;
                let e = self.expect_number(e)?;
                match e.kind {
                    ExprKind::Literal(Value::Int(i)) => {
                        Some(literal(span, Value::Int(i.checked_neg()?)))
                    }
                    ExprKind::Literal(Value::Decimal(d)) => Some(literal(span, Value::Decimal(-d))),
                    _ => Some(Expr {
                        span,
                        ty: e.ty,
                        kind: ExprKind::Arith(
                            ArithOp::Sub,
                            Box::new(literal(
                                Span {
                                    start: span.start,
                                    end: span.start,
                                },
                                Value::Int(0),
                            )),
                            Box::new(e),
                        ),
                    }),
                }
            }
            Ast::And(parts) | Ast::Or(parts) => {
                let is_and = matches!(n.ast, Ast::And(_));
                let mut out = Vec::with_capacity(parts.len());
                let mut ok = true;
                for p in parts {
                    match self.expr(p).and_then(|e| self.expect_bool(e)) {
                        Some(e) => {
                            // `(a && b) && c` is one conjunction of three.
                            match e.kind {
                                ExprKind::And(inner) if is_and => out.extend(inner),
                                ExprKind::Or(inner) if !is_and => out.extend(inner),
                                kind => out.push(Expr { kind, ..e }),
                            }
                        }
                        None => ok = false,
                    }
                }
                ok.then_some(Expr {
                    span,
                    ty: Type::Bool,
                    kind: if is_and {
                        ExprKind::And(out)
                    } else {
                        ExprKind::Or(out)
                    },
                })
            }
            Ast::Binary(op, l, r) => {
                let l = self.expr(l);
                let r = self.expr(r);
                let (l, r) = (l?, r?);
                self.binary(span, *op, l, r)
            }
            Ast::In(value, list) => self.membership(span, value, list),
        }
    }

    fn binary(&mut self, span: Span, op: BinOp, l: Expr, r: Expr) -> Option<Expr> {
        let arith = match op {
            BinOp::Add => Some(ArithOp::Add),
            BinOp::Sub => Some(ArithOp::Sub),
            BinOp::Mul => Some(ArithOp::Mul),
            _ => None,
        };
        if let Some(a) = arith {
            let l = self.expect_number(l);
            let r = self.expect_number(r);
            let (l, r) = (l?, r?);
            let ty = if l.ty == Type::Decimal || r.ty == Type::Decimal {
                Type::Decimal
            } else {
                Type::Int
            };
            return Some(Expr {
                span,
                ty,
                kind: ExprKind::Arith(a, Box::new(l), Box::new(r)),
            });
        }
        let cmp = match op {
            BinOp::Eq => CompareOp::Eq,
            BinOp::Ne => CompareOp::Ne,
            BinOp::Lt => CompareOp::Lt,
            BinOp::Le => CompareOp::Le,
            BinOp::Gt => CompareOp::Gt,
            _ => CompareOp::Ge,
        };
        let ordered = !matches!(cmp, CompareOp::Eq | CompareOp::Ne);
        let fits = if ordered {
            l.ty.is_numeric() && r.ty.is_numeric()
        } else {
            l.ty == r.ty || (l.ty.is_numeric() && r.ty.is_numeric())
        };
        if !fits {
            let (a, b) = (
                self.slice(l.span).to_string(),
                self.slice(r.span).to_string(),
            );
            if ordered {
                self.mismatch(
                    span,
                    format!(
                        "`<`, `<=`, `>` dan `>=` membandingkan angka: `{a}` adalah {}, `{b}` adalah {}",
                        type_id(l.ty),
                        type_id(r.ty)
                    ),
                    format!(
                        "`<`, `<=`, `>` and `>=` compare numbers: `{a}` is {}, `{b}` is {}",
                        type_en(l.ty),
                        type_en(r.ty)
                    ),
                );
            } else {
                self.mismatch(
                    span,
                    format!(
                        "`{a}` ({}) tidak dapat dibandingkan dengan `{b}` ({})",
                        type_id(l.ty),
                        type_id(r.ty)
                    ),
                    format!(
                        "`{a}` ({}) cannot be compared with `{b}` ({})",
                        type_en(l.ty),
                        type_en(r.ty)
                    ),
                );
            }
            return None;
        }
        Some(Expr {
            span,
            ty: Type::Bool,
            kind: ExprKind::Compare(cmp, Box::new(l), Box::new(r)),
        })
    }

    fn membership(&mut self, span: Span, value: &Node, list: &Node) -> Option<Expr> {
        let value = self.expr(value);
        let Ast::List(items) = &list.ast else {
            self.mismatch(
                list.span,
                "sesudah `in` harus ada daftar, misalnya [\"SD\", \"SMP\"]".into(),
                "`in` must be followed by a list, e.g. [\"SD\", \"SMP\"]".into(),
            );
            return None;
        };
        let mut values = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            let v = match &item.ast {
                Ast::Int(i) => Some(Value::Int(*i)),
                Ast::Dec(d) => Some(Value::Decimal(*d)),
                Ast::Str(s) => Some(Value::Text(s.clone())),
                Ast::Bool(b) => Some(Value::Bool(*b)),
                Ast::Neg(inner) => match inner.ast {
                    Ast::Int(i) => i.checked_neg().map(Value::Int),
                    Ast::Dec(d) => Some(Value::Decimal(-d)),
                    _ => None,
                },
                _ => None,
            };
            match v {
                Some(v) => values.push((v, item.span)),
                None => {
                    ok = false;
                    self.mismatch(
                        item.span,
                        "daftar hanya boleh berisi nilai tetap (angka, teks, true/false)".into(),
                        "a list may only hold fixed values (numbers, text, true/false)".into(),
                    );
                }
            }
        }
        let value = value?;
        for (v, item_span) in &values {
            let ty = literal(*item_span, v.clone()).ty;
            let fits = ty == value.ty || (ty.is_numeric() && value.ty.is_numeric());
            if !fits {
                ok = false;
                let what = self.slice(value.span).to_string();
                self.mismatch(
                    *item_span,
                    format!(
                        "`{what}` adalah {}, tetapi daftar berisi {}",
                        type_id(value.ty),
                        type_id(ty)
                    ),
                    format!(
                        "`{what}` is {}, but the list holds {}",
                        type_en(value.ty),
                        type_en(ty)
                    ),
                );
            }
        }
        ok.then(|| Expr {
            span,
            ty: Type::Bool,
            kind: ExprKind::In(
                Box::new(value),
                values.into_iter().map(|(v, _)| v).collect(),
            ),
        })
    }

    fn ident(&mut self, span: Span, name: &str) -> Option<Expr> {
        if self.member.as_deref() == Some(name) {
            self.mismatch(
                span,
                format!("`{name}` adalah anggota rumah tangga; tulis misalnya `{name}.age`"),
                format!("`{name}` is a household member; write e.g. `{name}.age`"),
            );
            return None;
        }
        if name == "household" {
            self.mismatch(
                span,
                "tulis data rumah tangga yang dimaksud, misalnya `household.size`".into(),
                "name the household's fact, e.g. `household.size`".into(),
            );
            return None;
        }
        match PersonField::parse(name) {
            Some(f) => Some(Expr {
                span,
                ty: f.ty(),
                kind: ExprKind::Field(Subject::Person, f),
            }),
            None => {
                let names = self.person_names();
                self.unknown_field(span, name, names);
                None
            }
        }
    }

    fn member(&mut self, span: Span, target: &Node, name: &str) -> Option<Expr> {
        let Ast::Ident(owner) = &target.ast else {
            self.push(
                "unknown_field",
                span,
                format!(
                    "`{}` tidak mempunyai data `{name}`",
                    self.slice(target.span)
                ),
                format!("`{}` has no field `{name}`", self.slice(target.span)),
            );
            return None;
        };
        if owner == "household" {
            if name == "members" {
                self.mismatch(
                    span,
                    "`household.members` adalah daftar anggota; gunakan .exists(m, ...), .all(m, ...), .filter(m, ...).size() atau .size()".into(),
                    "`household.members` is the list of members; use .exists(m, ...), .all(m, ...), .filter(m, ...).size() or .size()".into(),
                );
                return None;
            }
            return match HouseholdField::parse(name) {
                Some(f) => Some(Expr {
                    span,
                    ty: f.ty(),
                    kind: ExprKind::Household(f),
                }),
                None => {
                    let mut names: Vec<&str> =
                        HouseholdField::ALL.iter().map(|f| f.code()).collect();
                    names.push("members");
                    let field_span = Span {
                        start: target.span.end + 1,
                        end: span.end,
                    };
                    self.unknown_field(field_span, name, names);
                    None
                }
            };
        }
        if self.member.as_deref() == Some(owner.as_str()) {
            return match PersonField::parse(name) {
                Some(f) => Some(Expr {
                    span,
                    ty: f.ty(),
                    kind: ExprKind::Field(Subject::Member, f),
                }),
                None => {
                    let names = PersonField::ALL.iter().map(|f| f.code()).collect();
                    let field_span = Span {
                        start: target.span.end + 1,
                        end: span.end,
                    };
                    self.unknown_field(field_span, name, names);
                    None
                }
            };
        }
        self.unknown_owner(target.span, owner);
        None
    }

    fn unknown_owner(&mut self, span: Span, owner: &str) {
        if PersonField::parse(owner).is_some() {
            self.push(
                "unknown_field",
                span,
                format!("`{owner}` tidak mempunyai data di dalamnya"),
                format!("`{owner}` has no fields"),
            );
        } else if owner.len() <= 3 || self.member.is_some() {
            self.push(
                "unknown_variable",
                span,
                format!(
                    "`{owner}` tidak dikenal; anggota rumah tangga hanya dikenal di dalam household.members.exists({owner}, ...)"
                ),
                format!(
                    "`{owner}` is unknown; a household member is only known inside household.members.exists({owner}, ...)"
                ),
            );
        } else {
            let names = self.person_names();
            self.unknown_field(span, owner, names);
        }
    }

    /// A single string literal argument (a programme code or an area code).
    fn text_argument(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[Node],
    ) -> Option<(String, Span)> {
        match args {
            [
                Node {
                    ast: Ast::Str(s),
                    span,
                    ..
                },
            ] => Some((s.clone(), *span)),
            _ => {
                self.push(
                    "wrong_arguments",
                    name_span,
                    format!("`{name}` memerlukan satu teks, misalnya {name}(\"PKH\")"),
                    format!("`{name}` takes one text, e.g. {name}(\"PKH\")"),
                );
                None
            }
        }
    }

    fn programme_code(&mut self, name: &str, name_span: Span, args: &[Node]) -> Option<String> {
        let (code, span) = self.text_argument(name, name_span, args)?;
        let valid = !code.is_empty()
            && code.len() <= 24
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            self.push(
                "wrong_arguments",
                span,
                format!("`{code}` bukan kode program (huruf besar, angka dan -)"),
                format!("`{code}` is not a programme code (capitals, digits and -)"),
            );
            return None;
        }
        Some(code)
    }

    fn area_code(&mut self, name_span: Span, args: &[Node]) -> Option<String> {
        let (code, span) = self.text_argument("in_area", name_span, args)?;
        let segments: Vec<&str> = code.split('.').collect();
        let valid = segments.len() <= 4
            && segments
                .iter()
                .all(|s| !s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit()));
        if !valid {
            self.push(
                "wrong_arguments",
                span,
                format!("`{code}` bukan kode wilayah, misalnya \"35.07\" atau \"35.07.01.2001\""),
                format!("`{code}` is not an area code, e.g. \"35.07\" or \"35.07.01.2001\""),
            );
            return None;
        }
        Some(code)
    }

    fn call(
        &mut self,
        span: Span,
        target: Option<&Node>,
        name: &str,
        name_span: Span,
        args: &[Node],
    ) -> Option<Expr> {
        let boolean = |kind| {
            Some(Expr {
                span,
                ty: Type::Bool,
                kind,
            })
        };
        match target.map(|t| &t.ast) {
            None => match name {
                "enrolled" => {
                    let code = self.programme_code(name, name_span, args)?;
                    boolean(ExprKind::Enrolled(Subject::Person, code))
                }
                "in_area" => {
                    let code = self.area_code(name_span, args)?;
                    boolean(ExprKind::InArea(Subject::Person, code))
                }
                "has" => {
                    let [arg] = args else {
                        self.push(
                            "wrong_arguments",
                            name_span,
                            "`has` memerlukan satu data, misalnya has(welfare_decile)".into(),
                            "`has` takes one field, e.g. has(welfare_decile)".into(),
                        );
                        return None;
                    };
                    let e = self.expr(arg)?;
                    if !matches!(e.kind, ExprKind::Field(..) | ExprKind::Household(_)) {
                        self.push(
                            "wrong_arguments",
                            arg.span,
                            "`has` memeriksa satu data, misalnya has(welfare_decile)".into(),
                            "`has` checks one field, e.g. has(welfare_decile)".into(),
                        );
                        return None;
                    }
                    boolean(ExprKind::Known(Box::new(e)))
                }
                "size" => {
                    let is_members = matches!(args, [Node { ast: Ast::Member(t, m), .. }]
                        if m == "members" && matches!(&t.ast, Ast::Ident(h) if h == "household"));
                    if !is_members {
                        self.push(
                            "wrong_arguments",
                            name_span,
                            "`size` menghitung anggota: size(household.members)".into(),
                            "`size` counts members: size(household.members)".into(),
                        );
                        return None;
                    }
                    Some(self.members_count(span, None))
                }
                _ => {
                    self.unknown_function(name_span, name, &FUNCTIONS);
                    None
                }
            },
            Some(Ast::Ident(owner)) if owner == "household" => {
                if name == "enrolled" {
                    let code = self.programme_code(name, name_span, args)?;
                    return boolean(ExprKind::HouseholdEnrolled(code));
                }
                self.unknown_function(name_span, name, &["enrolled"]);
                None
            }
            Some(Ast::Ident(owner)) if self.member.as_deref() == Some(owner.as_str()) => match name
            {
                "enrolled" => {
                    let code = self.programme_code(name, name_span, args)?;
                    boolean(ExprKind::Enrolled(Subject::Member, code))
                }
                "in_area" => {
                    let code = self.area_code(name_span, args)?;
                    boolean(ExprKind::InArea(Subject::Member, code))
                }
                _ => {
                    self.unknown_function(name_span, name, &["enrolled", "in_area"]);
                    None
                }
            },
            Some(Ast::Member(owner, list))
                if list == "members" && matches!(&owner.ast, Ast::Ident(h) if h == "household") =>
            {
                self.members_macro(span, name, name_span, args)
            }
            Some(Ast::Call {
                target: Some(inner),
                name: inner_name,
                args: inner_args,
                name_span: inner_span,
            }) if inner_name == "filter"
                && matches!(&inner.ast, Ast::Member(o, l)
                    if l == "members" && matches!(&o.ast, Ast::Ident(h) if h == "household")) =>
            {
                if name != "size" || !args.is_empty() {
                    self.push(
                        "wrong_arguments",
                        name_span,
                        "sesudah .filter(m, ...) tulis .size() untuk menghitung".into(),
                        "after .filter(m, ...) write .size() to count".into(),
                    );
                    return None;
                }
                let pred = self.predicate(*inner_span, inner_args)?;
                Some(self.members_count(span, Some(pred)))
            }
            Some(Ast::Ident(owner)) => {
                let owner_span = target.map_or(span, |t| t.span);
                self.unknown_owner(owner_span, owner);
                None
            }
            Some(_) => {
                self.unknown_function(name_span, name, &[]);
                None
            }
        }
    }

    fn unknown_function(&mut self, span: Span, name: &str, known: &[&str]) {
        match suggest(name, known.iter().copied()) {
            Some(s) => self.push(
                "unknown_function",
                span,
                format!("fungsi `{name}` tidak dikenal; maksudnya `{s}`?"),
                format!("unknown function `{name}`; did you mean `{s}`?"),
            ),
            None => self.push(
                "unknown_function",
                span,
                format!("fungsi `{name}` tidak dikenal"),
                format!("unknown function `{name}`"),
            ),
        }
    }

    fn members_count(&self, span: Span, pred: Option<Expr>) -> Expr {
        let pred = pred.unwrap_or_else(|| literal(span, Value::Bool(true)));
        Expr {
            span,
            ty: Type::Int,
            kind: ExprKind::MembersCount(Box::new(pred)),
        }
    }

    fn members_macro(
        &mut self,
        span: Span,
        name: &str,
        name_span: Span,
        args: &[Node],
    ) -> Option<Expr> {
        match name {
            "size" if args.is_empty() => Some(self.members_count(span, None)),
            "exists" | "all" => {
                let pred = self.predicate(name_span, args)?;
                Some(Expr {
                    span,
                    ty: Type::Bool,
                    kind: if name == "exists" {
                        ExprKind::MembersExist(Box::new(pred))
                    } else {
                        ExprKind::MembersAll(Box::new(pred))
                    },
                })
            }
            "filter" => {
                self.push(
                    "wrong_arguments",
                    span,
                    "sesudah .filter(m, ...) tulis .size() untuk menghitung".into(),
                    "after .filter(m, ...) write .size() to count".into(),
                );
                None
            }
            _ => {
                self.unknown_function(name_span, name, &MACROS);
                None
            }
        }
    }

    /// The `(m, predicate)` of a members macro: the predicate checked with `m` bound.
    fn predicate(&mut self, name_span: Span, args: &[Node]) -> Option<Expr> {
        if self.member.is_some() {
            self.push(
                "wrong_arguments",
                name_span,
                "daftar anggota tidak dapat diperiksa di dalam pemeriksaan anggota".into(),
                "members cannot be checked inside a members check".into(),
            );
            return None;
        }
        let [var, pred] = args else {
            self.push(
                "wrong_arguments",
                name_span,
                "tulis misalnya household.members.exists(m, m.age < 6)".into(),
                "write e.g. household.members.exists(m, m.age < 6)".into(),
            );
            return None;
        };
        let Ast::Ident(v) = &var.ast else {
            self.push(
                "wrong_arguments",
                var.span,
                "argumen pertama adalah nama untuk anggota, misalnya m".into(),
                "the first argument names the member, e.g. m".into(),
            );
            return None;
        };
        if v == "household" || PersonField::parse(v).is_some() || FUNCTIONS.contains(&v.as_str()) {
            self.push(
                "wrong_arguments",
                var.span,
                format!("`{v}` sudah dipakai; beri nama lain untuk anggota, misalnya m"),
                format!("`{v}` is taken; name the member otherwise, e.g. m"),
            );
            return None;
        }
        self.member = Some(v.clone());
        let checked = self.expr(pred);
        self.member = None;
        self.expect_bool(checked?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<(&'static str, usize, usize)> {
        match check(text) {
            Ok(_) => Vec::new(),
            Err(es) => es.iter().map(|e| (e.code, e.line, e.column)).collect(),
        }
    }

    fn first(text: &str) -> RuleError {
        check(text).expect_err("an error").remove(0)
    }

    #[test]
    fn every_documented_and_shipped_style_rule_checks() {
        for rule in [
            r#"age >= 60 && household.welfare_decile <= 4 && !enrolled("JSLU")"#,
            "household.members.exists(m, m.age < 6) && household.income_per_capita < 600000",
            r#"household.welfare_decile <= 3 && household.members.exists(m, m.age < 6 || m.school_status in ["SD", "SMP"])"#,
            r#"age >= 15 && age < 65 && employment_status == "INFORMAL""#,
            "disability && household.welfare_decile <= 3",
            r#"sex == "P" && age >= 15 && age <= 49"#,
            "household.members.filter(anggota, anggota.age >= 60).size() >= 2",
            "size(household.members) == 1 && household.members.size() == 1",
            r#"household.enrolled("PKH") || in_area("35.07.01") || has(pmt_score)"#,
            "pmt_score < 12.5 && -1 < jkn_class * 2 - 1",
            r#"household.members.all(m, m.enrolled("PBI-JK") && m.in_area("35.07"))"#,
            r#"jkn_segment in [] || welfare_decile in [1, 2.5, -3]"#,
        ] {
            let r = check(rule).unwrap_or_else(|e| panic!("{rule}: {e:?}"));
            assert_eq!(r.expr.ty, Type::Bool);
        }
    }

    #[test]
    fn an_unknown_field_is_reported_where_it_is_with_the_closest_name() {
        let e = first("age >= 60 &&\n  agee < 70");
        assert_eq!((e.code, e.line, e.column), ("unknown_field", 2, 3));
        assert!(
            e.message_en.contains("did you mean `age`"),
            "{}",
            e.message_en
        );
        assert!(e.message_id.contains("maksudnya `age`"));
        let e = first("household.welfare_decil <= 3");
        assert_eq!((e.code, e.column), ("unknown_field", 11));
        assert!(e.message_en.contains("welfare_decile"));
    }

    #[test]
    fn several_unknown_names_are_reported_together() {
        assert_eq!(
            errors("agee > 1 && sexx == \"L\" && foo(1)"),
            vec![
                ("unknown_field", 1, 1),
                ("unknown_field", 1, 13),
                ("unknown_function", 1, 28)
            ]
        );
    }

    #[test]
    fn type_mismatches_are_refused() {
        assert_eq!(first(r#"age == "60""#).code, "type_mismatch");
        assert_eq!(first("sex > 3").code, "type_mismatch");
        assert_eq!(first("age && true").code, "type_mismatch");
        assert_eq!(first(r#"school_status in [1, 2]"#).code, "type_mismatch");
        assert_eq!(first(r#"age in "SD""#).code, "type_mismatch");
        assert_eq!(first("[1, 2]").code, "type_mismatch");
        let e = first("age + 1");
        assert_eq!((e.code, e.column), ("not_boolean", 1));
    }

    #[test]
    fn syntax_errors_say_where() {
        assert_eq!(errors("age >="), vec![("unexpected_end", 1, 7)]);
        assert_eq!(errors("age >= 60 60"), vec![("unexpected_token", 1, 11)]);
        assert_eq!(errors("1 < age < 5"), vec![("unexpected_token", 1, 9)]);
        assert_eq!(errors("sex == \"P"), vec![("unterminated_string", 1, 8)]);
        assert_eq!(errors("age = 5"), vec![("unexpected_character", 1, 5)]);
        assert_eq!(errors("   "), vec![("empty_rule", 1, 1)]);
        assert_eq!(
            errors("99999999999999999999 > age"),
            vec![("number_too_large", 1, 1)]
        );
        assert_eq!(
            errors("age > 1 && (age < 5"),
            vec![("unexpected_end", 1, 20)]
        );
    }

    #[test]
    fn member_variables_live_only_inside_their_macro() {
        assert_eq!(first("m.age > 5").code, "unknown_variable");
        assert_eq!(
            first("household.members.exists(m, household.members.exists(n, n.age > 1))").code,
            "wrong_arguments"
        );
        assert_eq!(
            first("household.members.exists(age, age > 1)").code,
            "wrong_arguments"
        );
        assert_eq!(
            first("household.members.exists(m, m)").code,
            "type_mismatch"
        );
        assert_eq!(
            first("household.members.exists(m, m.age)").code,
            "type_mismatch"
        );
        assert_eq!(first("household.members > 2").code, "type_mismatch");
        assert_eq!(
            first("household.members.filter(m, m.age > 1) > 2").code,
            "wrong_arguments"
        );
    }

    #[test]
    fn functions_check_their_arguments() {
        assert_eq!(first("enrolled(PKH)").code, "wrong_arguments");
        assert_eq!(first(r#"enrolled("pkh lama")"#).code, "wrong_arguments");
        assert_eq!(first(r#"in_area("Malang")"#).code, "wrong_arguments");
        assert_eq!(first("has(1)").code, "wrong_arguments");
        assert_eq!(first("size(household)").code, "wrong_arguments");
        let e = first(r#"enroled("PKH")"#);
        assert_eq!(e.code, "unknown_function");
        assert!(e.message_en.contains("`enrolled`"));
    }

    #[test]
    fn conjunctions_are_flattened_through_parentheses() {
        let r = check("(age > 1 && age < 5) && sex == \"L\"").expect("checks");
        let ExprKind::And(parts) = r.expr.kind else {
            panic!("an and");
        };
        assert_eq!(parts.len(), 3);
    }

    #[test]
    fn limits_refuse_long_and_deep_rules_without_crashing() {
        let deep = format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(first(&deep).code, "too_long");
        let deep = format!("{}true{}", "(".repeat(1_000), ")".repeat(1_000));
        assert_eq!(first(&deep).code, "too_deep");
        let nots = format!("{}true", "!".repeat(1_000));
        assert_eq!(first(&nots).code, "too_deep");
        let sum = format!("age{} > 1", " + 1".repeat(500));
        assert_eq!(first(&sum).code, "too_deep");
        let long = format!("age > 1{}", " && age > 1".repeat(500));
        assert_eq!(first(&long).code, "too_long");
        let many = format!("age > 1{}", " && age > 1".repeat(300));
        assert!(check(&many).is_ok(), "a long conjunction is flat, not deep");
    }

    #[test]
    fn ranking_keys_are_numbers_with_a_direction() {
        let keys =
            check_ranking("household.pmt_score, age desc, welfare_decile asc").expect("keys");
        assert_eq!(
            keys.iter().map(|k| k.descending).collect::<Vec<_>>(),
            vec![false, true, false]
        );
        assert!(check_ranking("").expect("empty").is_empty());
        assert_eq!(
            check_ranking("sex").expect_err("text")[0].code,
            "not_numeric"
        );
        assert_eq!(
            check_ranking("age desc desc").expect_err("bad")[0].code,
            "unexpected_token"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_checked_without_panicking(text in "\\PC{0,200}") {
            let _ = check(&text);
            let _ = check_ranking(&text);
        }

        #[test]
        fn rule_shaped_text_is_checked_without_panicking(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "age", "household.", "members", ".exists(m,", "m.", "(", ")", "[", "]", ",",
                    "&&", "||", "!", "==", "<", ">=", "in", "+", "-", "*", "1", "2.5", "\"SD\"",
                    "true", "enrolled(\"PKH\")", "size(", "filter", ".size()", "welfare_decile",
                ]),
                0..40,
            )
        ) {
            let text = parts.join(" ");
            let _ = check(&text);
        }
    }
}
