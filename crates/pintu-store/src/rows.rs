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
        let mut out: Vec<u8> = Vec::with_capacity(self.values.len() * 24 + 2);
        out.push(b'[');
        for (r, row) in self.values.chunks(width).enumerate() {
            if r > 0 {
                out.push(b',');
            }
            out.push(b'{');
            for (i, ((name, _), value)) in self.columns.iter().zip(row).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'"');
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b"\":");
                json_value(&mut out, value);
            }
            out.push(b'}');
        }
        out.push(b']');
        // Only whole UTF-8 strings and ASCII were written.
        String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into())
    }
}

/// A value as JSON, in the text form PostgreSQL reads for its column's type (instants to
/// the microsecond, truncated as the binary protocol does). Writing to a `Vec` cannot fail.
fn json_value(out: &mut Vec<u8>, value: &Value) {
    use std::io::Write;
    let _ = match value {
        // serde_json's escaping, straight into the document.
        Value::String(Some(s)) => serde_json::to_writer(&mut *out, s).map_err(|_| ()),
        Value::BigInt(Some(n)) => write!(out, "{n}").map_err(|_| ()),
        Value::Int(Some(n)) => write!(out, "{n}").map_err(|_| ()),
        Value::Bool(Some(b)) => write!(out, "{b}").map_err(|_| ()),
        Value::ChronoDateTimeUtc(Some(at)) => write!(
            out,
            "\"{}\"",
            at.to_rfc3339_opts(SecondsFormat::Micros, true)
        )
        .map_err(|_| ()),
        Value::ChronoDate(Some(d)) => write!(out, "\"{}\"", d.format("%Y-%m-%d")).map_err(|_| ()),
        Value::String(None)
        | Value::BigInt(None)
        | Value::Int(None)
        | Value::Bool(None)
        | Value::ChronoDateTimeUtc(None)
        | Value::ChronoDate(None) => out.write_all(b"null").map_err(|_| ()),
        other => unreachable!("no JSON form for {other:?} in a row"),
    };
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
