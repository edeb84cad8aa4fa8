//! Many rows, or many keys, handed to one statement.
//!
//! SQLite reads them from a list of placeholders (`VALUES (?, ?), (?, ?)`, `IN (?, ?)`).
//! PostgreSQL reads them from a single parameter, a JSON document (`jsonb_to_recordset`,
//! `jsonb_array_elements_text`), so that a statement's text is the same whatever the number
//! of rows: each connection parses and plans it once, not once per batch. A batch of a
//! thousand payments otherwise costs PostgreSQL a quarter of its time parsing and planning
//! statements of twenty thousand placeholders, each seen only once. (`jsonb`, not `json`:
//! the document is parsed once, where `json` would be checked on the way in and parsed
//! again to be read.)
//!
//! A statement cached on a connection keeps the plan made for the tables as they were;
//! transactions that write many rows plan theirs afresh ([`crate::Store::begin_bulk`]).

use chrono::SecondsFormat;
use sea_orm::{ConnectionTrait, DbBackend, Value};

/// A column's type, for PostgreSQL to read it from JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    BigInt,
    Int,
    Bool,
    /// A `timestamptz`.
    Instant,
    Date,
}

impl Kind {
    fn pg(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::BigInt => "bigint",
            Kind::Int => "integer",
            Kind::Bool => "boolean",
            Kind::Instant => "timestamptz",
            Kind::Date => "date",
        }
    }
}

/// Rows of the given columns, to be read in a statement as a table.
pub struct Rows {
    columns: &'static [(&'static str, Kind)],
    values: Vec<Value>,
}

impl Rows {
    pub fn new(columns: &'static [(&'static str, Kind)], rows: usize) -> Rows {
        Rows {
            columns,
            values: Vec::with_capacity(rows * columns.len()),
        }
    }

    /// Adds a row: one value per column, in the columns' order.
    pub fn push<const N: usize>(&mut self, row: [Value; N]) {
        debug_assert_eq!(N, self.columns.len(), "a row of {N} values");
        self.values.extend(row);
    }

    pub fn len(&self) -> usize {
        self.values.len() / self.columns.len().max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The rows as a table named `alias` whose columns have the columns' names, to put
    /// after `FROM`, and the values of its placeholders.
    pub fn table(self, c: &impl ConnectionTrait, alias: &str) -> (String, Vec<Value>) {
        if c.get_database_backend() == DbBackend::Postgres {
            let types: Vec<String> = self
                .columns
                .iter()
                .map(|(name, kind)| format!("{name} {}", kind.pg()))
                .collect();
            let json = self.json();
            (
                format!(
                    "jsonb_to_recordset(CAST(? AS jsonb)) AS {alias}({})",
                    types.join(", ")
                ),
                vec![json.into()],
            )
        } else {
            let names: Vec<String> = self
                .columns
                .iter()
                .enumerate()
                .map(|(i, (name, _))| format!("column{} AS {name}", i + 1))
                .collect();
            let row = format!("({})", vec!["?"; self.columns.len()].join(", "));
            let rows = vec![row; self.len()].join(", ");
            (
                format!(
                    "(SELECT {} FROM (VALUES {rows})) AS {alias}",
                    names.join(", ")
                ),
                self.values,
            )
        }
    }

    /// `INSERT INTO {into}` of every column, from the rows, and its values; an `ON CONFLICT`
    /// or `RETURNING` clause may follow.
    pub fn insert(self, c: &impl ConnectionTrait, into: &str) -> (String, Vec<Value>) {
        let names: Vec<&str> = self.columns.iter().map(|(name, _)| *name).collect();
        let names = names.join(", ");
        let (table, values) = self.table(c, "v");
        // `WHERE true`: SQLite would otherwise read an `ON CONFLICT` as the join's `ON`.
        (
            format!("INSERT INTO {into} ({names}) SELECT {names} FROM {table} WHERE true"),
            values,
        )
    }

    /// The rows as a JSON array of objects keyed by column name.
    fn json(&self) -> String {
        let width = self.columns.len().max(1);
        let mut out = String::with_capacity(self.values.len() * 24 + 2);
        out.push('[');
        for (r, row) in self.values.chunks(width).enumerate() {
            if r > 0 {
                out.push(',');
            }
            out.push('{');
            for (i, ((name, _), value)) in self.columns.iter().zip(row).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('"');
                out.push_str(name);
                out.push_str("\":");
                json_value(&mut out, value);
            }
            out.push('}');
        }
        out.push(']');
        out
    }
}

/// A value as JSON, in the text form PostgreSQL reads for its column's type (instants to
/// the microsecond, truncated as the binary protocol does).
fn json_value(out: &mut String, value: &Value) {
    use std::fmt::Write;
    match value {
        Value::String(Some(s)) => json_string(out, s),
        Value::BigInt(Some(n)) => {
            let _ = write!(out, "{n}");
        }
        Value::Int(Some(n)) => {
            let _ = write!(out, "{n}");
        }
        Value::Bool(Some(b)) => out.push_str(if *b { "true" } else { "false" }),
        Value::ChronoDateTimeUtc(Some(at)) => {
            json_string(out, &at.to_rfc3339_opts(SecondsFormat::Micros, true))
        }
        Value::ChronoDate(Some(d)) => json_string(out, &d.format("%Y-%m-%d").to_string()),
        Value::String(None)
        | Value::BigInt(None)
        | Value::Int(None)
        | Value::Bool(None)
        | Value::ChronoDateTimeUtc(None)
        | Value::ChronoDate(None) => out.push_str("null"),
        other => unreachable!("no JSON form for {other:?} in a row"),
    }
}

fn json_string(out: &mut String, s: &str) {
    // serde_json's escaping; writing to a String cannot fail.
    if let Ok(quoted) = serde_json::to_string(s) {
        out.push_str(&quoted);
    }
}

/// Keys to match with `IN`: the list to put after `IN`, and its placeholders' values.
pub fn keys_in(c: &impl ConnectionTrait, keys: &[String]) -> (String, Vec<Value>) {
    if c.get_database_backend() == DbBackend::Postgres {
        let json = serde_json::to_string(keys).unwrap_or_else(|_| "[]".into());
        (
            "(SELECT jsonb_array_elements_text(CAST(? AS jsonb)))".into(),
            vec![json.into()],
        )
    } else {
        (
            format!("({})", vec!["?"; keys.len()].join(", ")),
            keys.iter().map(|k| Value::from(k.clone())).collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    const COLUMNS: &[(&str, Kind)] = &[
        ("id", Kind::Text),
        ("amount", Kind::BigInt),
        ("at", Kind::Instant),
        ("done", Kind::Bool),
    ];

    #[test]
    fn rows_are_json_objects_with_nulls_and_escapes() {
        let mut rows = Rows::new(COLUMNS, 2);
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 1, 2, 3).unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        rows.push(["a\"b\\c".into(), 5i64.into(), at.into(), true.into()]);
        rows.push([
            "x".into(),
            Value::BigInt(None),
            Value::ChronoDateTimeUtc(None),
            false.into(),
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows.json(),
            r#"[{"id":"a\"b\\c","amount":5,"at":"2026-12-06T01:02:03.123456Z","done":true},{"id":"x","amount":null,"at":null,"done":false}]"#
        );
    }
}
