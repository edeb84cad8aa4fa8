//! The lexer and the recursive-descent parser: rule text to an untyped tree with spans.
//! Precedence, lowest first: `||`, `&&`, comparison and `in` (not associative), `+ -`, `*`,
//! unary `! -`, postfix (`.name`, `.name(args)`, calls).

use super::{MAX_DEPTH, MAX_RULE_LEN, RuleError, Span};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Int(i64),
    Dec(f64),
    Str(String),
    Ident(String),
    True,
    False,
    In,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Not,
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Int(i) => i.to_string(),
            Tok::Dec(d) => d.to_string(),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Ident(s) => s.clone(),
            Tok::True => "true".into(),
            Tok::False => "false".into(),
            Tok::In => "in".into(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::LBracket => "[".into(),
            Tok::RBracket => "]".into(),
            Tok::Comma => ",".into(),
            Tok::Dot => ".".into(),
            Tok::Not => "!".into(),
            Tok::And => "&&".into(),
            Tok::Or => "||".into(),
            Tok::Eq => "==".into(),
            Tok::Ne => "!=".into(),
            Tok::Lt => "<".into(),
            Tok::Le => "<=".into(),
            Tok::Gt => ">".into(),
            Tok::Ge => ">=".into(),
            Tok::Plus => "+".into(),
            Tok::Minus => "-".into(),
            Tok::Star => "*".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
}

/// The untyped tree.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Ast {
    Int(i64),
    Dec(f64),
    Str(String),
    Bool(bool),
    List(Vec<Node>),
    Ident(String),
    /// `target.name`
    Member(Box<Node>, String),
    /// `name(args)` or `target.name(args)`; the span of the name is kept for errors.
    Call {
        target: Option<Box<Node>>,
        name: String,
        name_span: Span,
        args: Vec<Node>,
    },
    Not(Box<Node>),
    Neg(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Binary(BinOp, Box<Node>, Box<Node>),
    In(Box<Node>, Box<Node>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub span: Span,
    pub ast: Ast,
    /// The height of the tree under this node (a leaf is 1).
    pub height: usize,
}

/// The tallest tree accepted: long chains of `+` nest one node per operator.
const MAX_HEIGHT: usize = 2 * MAX_DEPTH;

pub(super) fn error(
    text: &str,
    code: &'static str,
    span: Span,
    id: String,
    en: String,
) -> RuleError {
    let start = span.start.min(text.len());
    let before = text.get(..start).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    RuleError {
        code,
        span,
        line,
        column,
        message_id: id,
        message_en: en,
    }
}

/// Splits the text into tokens with their spans.
pub(super) fn lex(text: &str) -> Result<Vec<(Tok, Span)>, RuleError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let one = |t: Tok| {
            (
                t,
                Span {
                    start,
                    end: start + 1,
                },
            )
        };
        let two = |t: Tok| {
            (
                t,
                Span {
                    start,
                    end: start + 2,
                },
            )
        };
        let next = bytes.get(i + 1).copied();
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => out.push(one(Tok::LParen)),
            b')' => out.push(one(Tok::RParen)),
            b'[' => out.push(one(Tok::LBracket)),
            b']' => out.push(one(Tok::RBracket)),
            b',' => out.push(one(Tok::Comma)),
            b'.' => out.push(one(Tok::Dot)),
            b'+' => out.push(one(Tok::Plus)),
            b'-' => out.push(one(Tok::Minus)),
            b'*' => out.push(one(Tok::Star)),
            b'&' if next == Some(b'&') => {
                out.push(two(Tok::And));
                i += 2;
                continue;
            }
            b'|' if next == Some(b'|') => {
                out.push(two(Tok::Or));
                i += 2;
                continue;
            }
            b'=' if next == Some(b'=') => {
                out.push(two(Tok::Eq));
                i += 2;
                continue;
            }
            b'!' if next == Some(b'=') => {
                out.push(two(Tok::Ne));
                i += 2;
                continue;
            }
            b'<' if next == Some(b'=') => {
                out.push(two(Tok::Le));
                i += 2;
                continue;
            }
            b'>' if next == Some(b'=') => {
                out.push(two(Tok::Ge));
                i += 2;
                continue;
            }
            b'!' => out.push(one(Tok::Not)),
            b'<' => out.push(one(Tok::Lt)),
            b'>' => out.push(one(Tok::Gt)),
            b'"' => {
                let (s, end) = string(text, i)?;
                out.push((Tok::Str(s), Span { start, end }));
                i = end;
                continue;
            }
            b'0'..=b'9' => {
                let mut j = i;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                let decimal =
                    bytes.get(j) == Some(&b'.') && bytes.get(j + 1).is_some_and(u8::is_ascii_digit);
                if decimal {
                    j += 1;
                    while j < bytes.len() && bytes[j].is_ascii_digit() {
                        j += 1;
                    }
                }
                let span = Span { start, end: j };
                let lit = &text[start..j];
                let tok = if decimal {
                    lit.parse()
                        .ok()
                        .filter(|d: &f64| d.is_finite())
                        .map(Tok::Dec)
                } else {
                    lit.parse().ok().map(Tok::Int)
                };
                match tok {
                    Some(t) => out.push((t, span)),
                    None => {
                        return Err(error(
                            text,
                            "number_too_large",
                            span,
                            format!("angka `{lit}` terlalu besar"),
                            format!("the number `{lit}` is too large"),
                        ));
                    }
                }
                i = j;
                continue;
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                let mut j = i;
                while j < bytes.len() && (bytes[j] == b'_' || bytes[j].is_ascii_alphanumeric()) {
                    j += 1;
                }
                let word = &text[start..j];
                let tok = match word {
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "in" => Tok::In,
                    _ => Tok::Ident(word.to_string()),
                };
                out.push((tok, Span { start, end: j }));
                i = j;
                continue;
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('?');
                let span = Span {
                    start,
                    end: start + ch.len_utf8(),
                };
                let (id, en) = match ch {
                    '&' => (
                        "gunakan `&&` untuk \"dan\"".to_string(),
                        "use `&&` for \"and\"".to_string(),
                    ),
                    '|' => (
                        "gunakan `||` untuk \"atau\"".to_string(),
                        "use `||` for \"or\"".to_string(),
                    ),
                    '=' => (
                        "gunakan `==` untuk membandingkan".to_string(),
                        "use `==` to compare".to_string(),
                    ),
                    '\'' => (
                        "teks ditulis di antara tanda kutip ganda \"...\"".to_string(),
                        "write text between double quotes \"...\"".to_string(),
                    ),
                    '/' => (
                        "pembagian tidak tersedia; gunakan household.income_per_capita".to_string(),
                        "there is no division; use household.income_per_capita".to_string(),
                    ),
                    _ => (
                        format!("karakter `{ch}` tidak dikenal"),
                        format!("unexpected character `{ch}`"),
                    ),
                };
                return Err(error(text, "unexpected_character", span, id, en));
            }
        }
        i += 1;
    }
    Ok(out)
}

/// A string literal starting at the quote at `start`: its value and the end of its span.
fn string(text: &str, start: usize) -> Result<(String, usize), RuleError> {
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((k, ch)) = chars.next() {
        match ch {
            '"' => return Ok((out, start + 1 + k + 1)),
            '\\' => match chars.next() {
                Some((_, c @ ('"' | '\\'))) => out.push(c),
                Some((_, 'n')) => out.push('\n'),
                _ => {
                    return Err(error(
                        text,
                        "unexpected_character",
                        Span {
                            start: start + 1 + k,
                            end: start + 2 + k,
                        },
                        "di dalam teks hanya \\\" dan \\\\ yang boleh".into(),
                        "only \\\" and \\\\ may follow a backslash in text".into(),
                    ));
                }
            },
            '\n' => break,
            c => out.push(c),
        }
    }
    Err(error(
        text,
        "unterminated_string",
        Span {
            start,
            end: text.len(),
        },
        "teks belum ditutup dengan tanda kutip \"".into(),
        "the text is not closed with a \" quote".into(),
    ))
}

struct Parser<'t> {
    text: &'t str,
    toks: Vec<(Tok, Span)>,
    at: usize,
    depth: usize,
}

/// Parses a whole expression (`ranking` allows a trailing list of keys handled by the
/// caller: see [`parse_keys`]).
pub(super) fn parse(text: &str) -> Result<Node, RuleError> {
    if text.len() > MAX_RULE_LEN {
        return Err(too_long(text));
    }
    let toks = lex(text)?;
    let mut p = Parser {
        text,
        toks,
        at: 0,
        depth: 0,
    };
    if p.toks.is_empty() {
        return Err(error(
            text,
            "empty_rule",
            Span { start: 0, end: 0 },
            "aturan masih kosong".into(),
            "the rule is empty".into(),
        ));
    }
    let node = p.or()?;
    p.end()?;
    Ok(node)
}

/// Parses a ranking order: expressions separated by commas, each optionally followed by
/// `asc` or `desc`. Returns each expression with whether it is descending.
pub(super) fn parse_keys(text: &str) -> Result<Vec<(Node, bool)>, RuleError> {
    if text.len() > MAX_RULE_LEN {
        return Err(too_long(text));
    }
    let toks = lex(text)?;
    let mut p = Parser {
        text,
        toks,
        at: 0,
        depth: 0,
    };
    let mut keys = Vec::new();
    if p.toks.is_empty() {
        return Ok(keys);
    }
    loop {
        let node = p.or()?;
        let mut descending = false;
        if let Some((Tok::Ident(w), _)) = p.peek()
            && (w == "asc" || w == "desc")
        {
            descending = w == "desc";
            p.at += 1;
        }
        keys.push((node, descending));
        match p.peek() {
            None => return Ok(keys),
            Some((Tok::Comma, _)) => p.at += 1,
            Some(_) => return Err(p.unexpected()),
        }
    }
}

fn too_long(text: &str) -> RuleError {
    error(
        text,
        "too_long",
        Span {
            start: MAX_RULE_LEN,
            end: text.len(),
        },
        format!("aturan terlalu panjang (paling banyak {MAX_RULE_LEN} karakter)"),
        format!("the rule is too long (at most {MAX_RULE_LEN} characters)"),
    )
}

fn node(span: Span, ast: Ast, children: &[&Node]) -> Node {
    let height = 1 + children.iter().map(|c| c.height).max().unwrap_or(0);
    Node { span, ast, height }
}

fn join(a: Span, b: Span) -> Span {
    Span {
        start: a.start.min(b.start),
        end: a.end.max(b.end),
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<&(Tok, Span)> {
        self.toks.get(self.at)
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek().is_some_and(|(k, _)| k == t) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn unexpected(&self) -> RuleError {
        match self.peek() {
            Some((t, span)) => {
                let what = t.describe();
                error(
                    self.text,
                    "unexpected_token",
                    *span,
                    format!("`{what}` tidak diharapkan di sini"),
                    format!("`{what}` is not expected here"),
                )
            }
            None => self.unexpected_end(),
        }
    }

    fn unexpected_end(&self) -> RuleError {
        let end = self.text.trim_end().len();
        error(
            self.text,
            "unexpected_end",
            Span { start: end, end },
            "aturan berhenti di tengah: ada yang kurang di akhir".into(),
            "the rule stops halfway: something is missing at the end".into(),
        )
    }

    fn expect(&mut self, t: &Tok) -> Result<Span, RuleError> {
        match self.peek() {
            Some((k, span)) if k == t => {
                let span = *span;
                self.at += 1;
                Ok(span)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn end(&self) -> Result<(), RuleError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.unexpected()),
        }
    }

    fn enter(&mut self, span: Span) -> Result<(), RuleError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error(
                self.text,
                "too_deep",
                span,
                format!("aturan terlalu bertingkat (paling banyak {MAX_DEPTH} tingkat)"),
                format!("the rule nests too deeply (at most {MAX_DEPTH} levels)"),
            ));
        }
        Ok(())
    }

    fn check_height(&self, n: Node) -> Result<Node, RuleError> {
        if n.height > MAX_HEIGHT {
            return Err(error(
                self.text,
                "too_deep",
                n.span,
                "aturan terlalu bertingkat; pecah menjadi bagian yang lebih sederhana".into(),
                "the rule nests too deeply; split it into simpler parts".into(),
            ));
        }
        Ok(n)
    }

    fn or(&mut self) -> Result<Node, RuleError> {
        self.chain(&Tok::Or, Self::and, Ast::Or)
    }

    fn and(&mut self) -> Result<Node, RuleError> {
        self.chain(&Tok::And, Self::comparison, Ast::And)
    }

    /// `next (op next)*` as one n-ary node: long conjunctions stay flat, not deep.
    fn chain(
        &mut self,
        op: &Tok,
        next: fn(&mut Self) -> Result<Node, RuleError>,
        make: fn(Vec<Node>) -> Ast,
    ) -> Result<Node, RuleError> {
        let first = next(self)?;
        if !self.peek().is_some_and(|(t, _)| t == op) {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.eat(op) {
            parts.push(next(self)?);
        }
        let span = join(parts[0].span, parts[parts.len() - 1].span);
        let refs: Vec<&Node> = parts.iter().collect();
        let shape = node(span, Ast::Bool(true), &refs);
        self.check_height(Node {
            ast: make(parts),
            ..shape
        })
    }

    fn comparison(&mut self) -> Result<Node, RuleError> {
        let left = self.additive()?;
        let op = match self.peek().map(|(t, _)| t) {
            Some(Tok::Eq) => Some(BinOp::Eq),
            Some(Tok::Ne) => Some(BinOp::Ne),
            Some(Tok::Lt) => Some(BinOp::Lt),
            Some(Tok::Le) => Some(BinOp::Le),
            Some(Tok::Gt) => Some(BinOp::Gt),
            Some(Tok::Ge) => Some(BinOp::Ge),
            Some(Tok::In) => None,
            _ => return Ok(left),
        };
        self.at += 1;
        let right = self.additive()?;
        let span = join(left.span, right.span);
        let n = match op {
            Some(op) => {
                let shape = node(span, Ast::Bool(true), &[&left, &right]);
                Node {
                    ast: Ast::Binary(op, Box::new(left), Box::new(right)),
                    ..shape
                }
            }
            None => {
                let shape = node(span, Ast::Bool(true), &[&left, &right]);
                Node {
                    ast: Ast::In(Box::new(left), Box::new(right)),
                    ..shape
                }
            }
        };
        // Comparisons do not chain: `1 < age < 5` is written `age > 1 && age < 5`.
        if matches!(
            self.peek().map(|(t, _)| t),
            Some(Tok::Eq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge | Tok::In)
        ) {
            return Err(self.unexpected());
        }
        self.check_height(n)
    }

    fn additive(&mut self) -> Result<Node, RuleError> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek().map(|(t, _)| t) {
                Some(Tok::Plus) => BinOp::Add,
                Some(Tok::Minus) => BinOp::Sub,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.multiplicative()?;
            let span = join(left.span, right.span);
            let shape = node(span, Ast::Bool(true), &[&left, &right]);
            left = self.check_height(Node {
                ast: Ast::Binary(op, Box::new(left), Box::new(right)),
                ..shape
            })?;
        }
    }

    fn multiplicative(&mut self) -> Result<Node, RuleError> {
        let mut left = self.unary()?;
        while self.eat(&Tok::Star) {
            let right = self.unary()?;
            let span = join(left.span, right.span);
            let shape = node(span, Ast::Bool(true), &[&left, &right]);
            left = self.check_height(Node {
                ast: Ast::Binary(BinOp::Mul, Box::new(left), Box::new(right)),
                ..shape
            })?;
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, RuleError> {
        let Some((tok, span)) = self.peek().cloned() else {
            return Err(self.unexpected_end());
        };
        self.enter(span)?;
        let result = match tok {
            Tok::Not | Tok::Minus => {
                self.at += 1;
                let inner = self.unary()?;
                let whole = join(span, inner.span);
                let shape = node(whole, Ast::Bool(true), &[&inner]);
                let ast = if tok == Tok::Not {
                    Ast::Not(Box::new(inner))
                } else {
                    Ast::Neg(Box::new(inner))
                };
                self.check_height(Node { ast, ..shape })
            }
            _ => self.postfix(),
        };
        self.depth -= 1;
        result
    }

    fn postfix(&mut self) -> Result<Node, RuleError> {
        let mut target = self.primary()?;
        while self.eat(&Tok::Dot) {
            let (name, name_span) = match self.peek().cloned() {
                Some((Tok::Ident(name), span)) => {
                    self.at += 1;
                    (name, span)
                }
                _ => return Err(self.unexpected()),
            };
            if matches!(self.peek(), Some((Tok::LParen, _))) {
                let (args, close) = self.arguments()?;
                let span = join(target.span, close);
                let mut children: Vec<&Node> = args.iter().collect();
                children.push(&target);
                let shape = node(span, Ast::Bool(true), &children);
                target = self.check_height(Node {
                    ast: Ast::Call {
                        target: Some(Box::new(target)),
                        name,
                        name_span,
                        args,
                    },
                    ..shape
                })?;
            } else {
                let span = join(target.span, name_span);
                let shape = node(span, Ast::Bool(true), &[&target]);
                target = self.check_height(Node {
                    ast: Ast::Member(Box::new(target), name),
                    ..shape
                })?;
            }
        }
        Ok(target)
    }

    /// `( args )` after a name: the arguments and the span of the closing parenthesis.
    fn arguments(&mut self) -> Result<(Vec<Node>, Span), RuleError> {
        let open = self.expect(&Tok::LParen)?;
        self.enter(open)?;
        let mut args = Vec::new();
        if !matches!(self.peek(), Some((Tok::RParen, _))) {
            loop {
                args.push(self.or()?);
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        let close = self.expect(&Tok::RParen)?;
        self.depth -= 1;
        Ok((args, close))
    }

    fn primary(&mut self) -> Result<Node, RuleError> {
        let Some((tok, span)) = self.peek().cloned() else {
            return Err(self.unexpected_end());
        };
        let leaf = |ast| Node {
            span,
            ast,
            height: 1,
        };
        match tok {
            Tok::Int(i) => {
                self.at += 1;
                Ok(leaf(Ast::Int(i)))
            }
            Tok::Dec(d) => {
                self.at += 1;
                Ok(leaf(Ast::Dec(d)))
            }
            Tok::Str(s) => {
                self.at += 1;
                Ok(leaf(Ast::Str(s)))
            }
            Tok::True | Tok::False => {
                self.at += 1;
                Ok(leaf(Ast::Bool(tok == Tok::True)))
            }
            Tok::Ident(name) => {
                self.at += 1;
                if matches!(self.peek(), Some((Tok::LParen, _))) {
                    let (args, close) = self.arguments()?;
                    let whole = join(span, close);
                    let refs: Vec<&Node> = args.iter().collect();
                    let shape = node(whole, Ast::Bool(true), &refs);
                    self.check_height(Node {
                        ast: Ast::Call {
                            target: None,
                            name,
                            name_span: span,
                            args,
                        },
                        ..shape
                    })
                } else {
                    Ok(leaf(Ast::Ident(name)))
                }
            }
            Tok::LParen => {
                self.at += 1;
                self.enter(span)?;
                let inner = self.or()?;
                let close = self.expect(&Tok::RParen)?;
                self.depth -= 1;
                // The parentheses belong to the expression's span, so a clause quotes them.
                Ok(Node {
                    span: join(span, close),
                    ..inner
                })
            }
            Tok::LBracket => {
                self.at += 1;
                self.enter(span)?;
                let mut items = Vec::new();
                if !matches!(self.peek(), Some((Tok::RBracket, _))) {
                    loop {
                        items.push(self.unary()?);
                        if !self.eat(&Tok::Comma) {
                            break;
                        }
                    }
                }
                let close = self.expect(&Tok::RBracket)?;
                self.depth -= 1;
                let refs: Vec<&Node> = items.iter().collect();
                let shape = node(join(span, close), Ast::Bool(true), &refs);
                self.check_height(Node {
                    ast: Ast::List(items),
                    ..shape
                })
            }
            _ => Err(self.unexpected()),
        }
    }
}
