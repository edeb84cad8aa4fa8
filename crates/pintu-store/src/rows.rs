//! Many rows, or many keys, handed to one statement.
//!
//! SQLite reads them from a list of placeholders (`VALUES (?, ?), (?, ?)`, `IN (?, ?)`).
//! PostgreSQL reads them from one array parameter a column (`unnest`), sent in its binary
//! form, so that a statement's text is the same whatever the number of rows: each
//! connection parses it once, not once per batch. A batch of a thousand payments otherwise
//! costs PostgreSQL a quarter of its time parsing and planning statements of twenty thousand
//! placeholders, each seen only once. (The rows used to go as one JSON document, which the
//! server then spent a sixth of its time parsing: names, numbers and instants as text.)
//!
//! An array sent this way holds no NULL: a column with some goes with a second array that
//! says which of its values are NULL, and a column of NULLs only goes as no array at all.
//!
//! A statement cached on a connection keeps the plan made for the tables as they were;
//! transactions that write many rows plan theirs afresh ([`crate::Store::begin_bulk`]).

use sea_orm::sea_query::ArrayType;
use sea_orm::{ConnectionTrait, DbBackend, Value};

/// A column's type, for PostgreSQL to read it from an array.
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

    fn array(self) -> ArrayType {
        match self {
            Kind::Text => ArrayType::String,
            Kind::BigInt => ArrayType::BigInt,
            Kind::Int => ArrayType::Int,
            Kind::Bool => ArrayType::Bool,
            Kind::Instant => ArrayType::ChronoDateTimeUtc,
            Kind::Date => ArrayType::ChronoDate,
        }
    }

    /// What stands in an array for a NULL of this kind (the column's mask says it is one).
    fn filler(self) -> Value {
        match self {
            Kind::Text => String::new().into(),
            Kind::BigInt => 0i64.into(),
            Kind::Int => 0i32.into(),
            Kind::Bool => false.into(),
            Kind::Instant => chrono::DateTime::<chrono::Utc>::UNIX_EPOCH.into(),
            Kind::Date => chrono::DateTime::<chrono::Utc>::UNIX_EPOCH
                .date_naive()
                .into(),
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
        self.table_on(c.get_database_backend(), alias)
    }

    /// [`Rows::table`] for a statement on `backend`.
    pub fn table_on(self, backend: DbBackend, alias: &str) -> (String, Vec<Value>) {
        if backend == DbBackend::Postgres {
            self.unnest(alias)
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

    /// The rows as `unnest` of one array a column (PostgreSQL), and those arrays.
    fn unnest(self, alias: &str) -> (String, Vec<Value>) {
        let width = self.columns.len().max(1);
        let rows = self.len();
        let mut columns: Vec<Vec<Value>> = (0..width).map(|_| Vec::with_capacity(rows)).collect();
        for (i, value) in self.values.into_iter().enumerate() {
            columns[i % width].push(value);
        }
        let mut arrays: Vec<String> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        for ((name, kind), column) in self.columns.iter().zip(columns) {
            let nulls = column.iter().filter(|v| !v.is_some()).count();
            if nulls == rows {
                names.push(format!("CAST(NULL AS {}) AS {name}", kind.pg()));
                continue;
            }
            let at = arrays.len();
            arrays.push(format!("CAST(? AS {}[])", kind.pg()));
            if nulls == 0 {
                names.push(format!("c{at} AS {name}"));
                values.push(Value::Array(kind.array(), Some(Box::new(column))));
                continue;
            }
            arrays.push("CAST(? AS boolean[])".into());
            names.push(format!(
                "CASE WHEN c{} THEN NULL ELSE c{at} END AS {name}",
                at + 1
            ));
            let mask: Vec<Value> = column.iter().map(|v| (!v.is_some()).into()).collect();
            let filled: Vec<Value> = column
                .into_iter()
                .map(|v| if v.is_some() { v } else { kind.filler() })
                .collect();
            values.push(Value::Array(kind.array(), Some(Box::new(filled))));
            values.push(Value::Array(ArrayType::Bool, Some(Box::new(mask))));
        }
        let outputs: Vec<String> = (0..arrays.len()).map(|i| format!("c{i}")).collect();
        let from = if arrays.is_empty() {
            // Every column NULL: as many rows as there are.
            format!("generate_series(1, {rows}) AS u")
        } else {
            format!("unnest({}) AS u({})", arrays.join(", "), outputs.join(", "))
        };
        (
            format!("(SELECT {} FROM {from}) AS {alias}", names.join(", ")),
            values,
        )
    }
}

/// Keys to match with `IN`: the list to put after `IN`, and its placeholders' values.
pub fn keys_in(c: &impl ConnectionTrait, keys: &[String]) -> (String, Vec<Value>) {
    keys_in_on(c.get_database_backend(), keys)
}

/// [`keys_in`] for a statement on `backend`.
pub fn keys_in_on(backend: DbBackend, keys: &[String]) -> (String, Vec<Value>) {
    if backend == DbBackend::Postgres {
        let keys: Vec<Value> = keys.iter().map(|k| Value::from(k.clone())).collect();
        (
            "(SELECT unnest(CAST(? AS text[])))".into(),
            vec![Value::Array(ArrayType::String, Some(Box::new(keys)))],
        )
    } else {
        (
            format!("({})", vec!["?"; keys.len()].join(", ")),
            keys.iter().map(|k| Value::from(k.clone())).collect(),
        )
    }
}

/// `INSERT INTO table (columns) VALUES (?, ...) then`: one row, for a statement prepared
/// once and run for each row (SQLite's own API).
pub(crate) fn insert_one(table: &str, columns: &[(&str, Kind)], then: &str) -> String {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let marks = vec!["?"; columns.len()].join(", ");
    format!(
        "INSERT INTO {table} ({}) VALUES ({marks}) {then}",
        names.join(", ")
    )
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
    fn postgres_reads_a_column_an_array_with_its_nulls_masked() {
        let mut rows = Rows::new(COLUMNS, 2);
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 1, 2, 3).unwrap();
        rows.push(["a".into(), 5i64.into(), at.into(), Value::Bool(None)]);
        rows.push([
            "b".into(),
            Value::BigInt(None),
            Value::ChronoDateTimeUtc(None),
            Value::Bool(None),
        ]);
        let (sql, values) = rows.unnest("v");
        assert_eq!(
            sql,
            "(SELECT c0 AS id, CASE WHEN c2 THEN NULL ELSE c1 END AS amount, \
             CASE WHEN c4 THEN NULL ELSE c3 END AS at, CAST(NULL AS boolean) AS done \
             FROM unnest(CAST(? AS text[]), CAST(? AS bigint[]), CAST(? AS boolean[]), \
             CAST(? AS timestamptz[]), CAST(? AS boolean[])) AS u(c0, c1, c2, c3, c4)) AS v"
        );
        let array = |ty, items: Vec<Value>| Value::Array(ty, Some(Box::new(items)));
        assert_eq!(
            values,
            vec![
                array(ArrayType::String, vec!["a".into(), "b".into()]),
                array(ArrayType::BigInt, vec![5i64.into(), 0i64.into()]),
                array(ArrayType::Bool, vec![false.into(), true.into()]),
                array(
                    ArrayType::ChronoDateTimeUtc,
                    vec![at.into(), chrono::DateTime::<Utc>::UNIX_EPOCH.into()]
                ),
                array(ArrayType::Bool, vec![false.into(), true.into()]),
            ]
        );
    }
}
