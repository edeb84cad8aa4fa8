//! The read path. On an SQLite file, point reads run on a small pool of SQLite connections
//! of their own, stepped right where they are awaited: a read of a few cached pages takes
//! tens of microseconds, less than handing it to sqlx's per-connection worker thread and
//! back (see docs/decisions/0004). On PostgreSQL, and inside transactions, reads go through
//! SeaORM as everywhere else. Row mappers are written once for both ([`Row`], [`FromRow`]).

use std::sync::Mutex;
use std::time::Duration;

use sea_orm::{ConnectionTrait, QueryResult, Value};

use crate::{Result, Store, StoreError, query_all, query_one};

/// A value a column can be read as, from either kind of row.
pub trait Col: sea_orm::TryGetable + rusqlite::types::FromSql {}
impl<T: sea_orm::TryGetable + rusqlite::types::FromSql> Col for T {}

/// A result row of either kind, read by column name.
pub trait Row {
    fn get<T: Col>(&self, name: &str) -> Result<T>;
}

impl Row for QueryResult {
    fn get<T: Col>(&self, name: &str) -> Result<T> {
        Ok(self.try_get::<T>("", name)?)
    }
}

/// A row of an SQLite statement whose column names were read once for all its rows:
/// rusqlite finds a column by name by asking SQLite for each column's name in turn, which
/// took a tenth of the time of reading a million people.
struct NamedRow<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    names: &'a [String],
}

impl Row for NamedRow<'_, '_> {
    fn get<T: Col>(&self, name: &str) -> Result<T> {
        let i = self
            .names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| StoreError::Other(format!("no column {name}")))?;
        self.row
            .get::<_, T>(i)
            .map_err(|e| StoreError::Other(format!("column {name}: {e}")))
    }
}

/// The rows of a statement, each mapped by `map` (see [`NamedRow`]).
fn map_rows<T>(
    stmt: &mut rusqlite::Statement<'_>,
    params: Vec<rusqlite::types::Value>,
    mut map: impl FnMut(&NamedRow<'_, '_>) -> Result<T>,
) -> Result<Vec<T>> {
    let names: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(sqlite_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_err)? {
        out.push(map(&NamedRow { row, names: &names })?);
    }
    Ok(out)
}

/// A record built from one result row.
pub trait FromRow: Sized {
    fn from_row(row: &impl Row) -> Result<Self>;
}

/// Connections kept for reads on an SQLite file; opened on demand, at most [`Self::MAX`] idle.
#[derive(Debug)]
pub(crate) struct Readers {
    path: String,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

impl Readers {
    const MAX: usize = 8;

    pub(crate) fn new(path: String) -> Readers {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn open(&self) -> rusqlite::Result<rusqlite::Connection> {
        let conn = rusqlite::Connection::open(&self.path)?;
        conn.busy_timeout(Duration::from_secs(2))?;
        conn.pragma_update(None, "query_only", "ON")?;
        conn.pragma_update(None, "cache_size", "-16384")?;
        conn.pragma_update(None, "mmap_size", crate::SQLITE_MMAP_SIZE)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    fn with<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> Result<T>) -> Result<T> {
        let taken = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match taken {
            Some(c) => c,
            None => self.open().map_err(sqlite_err)?,
        };
        let out = f(&conn);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < Self::MAX
        {
            idle.push(conn);
        }
        out
    }
}

fn sqlite_err(e: rusqlite::Error) -> StoreError {
    StoreError::Other(format!("read: {e}"))
}

/// The parameters of a read, as SQLite takes them: text, integers, booleans and decimals.
fn sqlite_params(values: &[Value]) -> Result<Vec<rusqlite::types::Value>> {
    use rusqlite::types::Value as V;
    values
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.as_deref().map_or(V::Null, |s| V::Text(s.to_string()))),
            Value::BigInt(i) => Ok(i.map_or(V::Null, V::Integer)),
            Value::Int(i) => Ok(i.map_or(V::Null, |i| V::Integer(i.into()))),
            Value::Bool(b) => Ok(b.map_or(V::Null, |b| V::Integer(b.into()))),
            Value::Double(d) => Ok(d.map_or(V::Null, V::Real)),
            other => Err(StoreError::Other(format!(
                "unsupported read parameter {other:?}"
            ))),
        })
        .collect()
}

/// A row of one column, `id` (alias another column `AS id`): the ids a query found.
pub(crate) struct IdRow(pub(crate) String);

impl FromRow for IdRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        row.get("id").map(IdRow)
    }
}

/// Maps each row with `T::from_row`.
struct ByFromRow<T>(std::marker::PhantomData<fn() -> T>);

impl<T: FromRow> RowMapper for ByFromRow<T> {
    type Out = T;
    fn map(&self, row: &impl Row) -> Result<T> {
        T::from_row(row)
    }
}

/// Maps a row to a record, with what the mapping needs to know beyond the row.
pub trait RowMapper {
    type Out;
    fn map(&self, row: &impl Row) -> Result<Self::Out>;
}

impl Store {
    /// The rows of a long read (a whole area, not a point read), mapped by `mapper`. On an
    /// SQLite file it runs on a reader connection on a blocking thread, so the server's
    /// other requests go on meanwhile and rows are read without sqlx's per-row overhead.
    pub async fn fetch_all_mapped<M>(
        &self,
        sql: String,
        values: Vec<Value>,
        mapper: M,
    ) -> Result<Vec<M::Out>>
    where
        M: RowMapper + Send + 'static,
        M::Out: Send + 'static,
    {
        match &self.readers {
            Some(readers) => {
                let readers = readers.clone();
                let params = sqlite_params(&values)?;
                tokio::task::spawn_blocking(move || {
                    readers.with(|conn| {
                        let mut stmt = conn.prepare(&sql).map_err(sqlite_err)?;
                        map_rows(&mut stmt, params, |row| mapper.map(row))
                    })
                })
                .await
                .map_err(|e| StoreError::Other(format!("read: {e}")))?
            }
            None => query_all(self.conn(), &sql, values)
                .await?
                .iter()
                .map(|r| mapper.map(r))
                .collect(),
        }
    }

    /// The rows of a long read (SQL with `?` placeholders), mapped with `T::from_row`: on an
    /// SQLite file on a reader connection on a blocking thread (see
    /// [`Store::fetch_all_mapped`]).
    pub async fn fetch_all_long<T>(&self, sql: String, values: Vec<Value>) -> Result<Vec<T>>
    where
        T: FromRow + Send + 'static,
    {
        self.fetch_all_mapped(sql, values, ByFromRow(std::marker::PhantomData))
            .await
    }

    /// The rows of a read (SQL with `?` placeholders), mapped with `T::from_row`.
    pub async fn fetch_all<T: FromRow>(&self, sql: &str, values: Vec<Value>) -> Result<Vec<T>> {
        match &self.readers {
            Some(readers) => {
                let params = sqlite_params(&values)?;
                readers.with(|conn| {
                    let mut stmt = conn.prepare_cached(sql).map_err(sqlite_err)?;
                    map_rows(&mut stmt, params, |row| T::from_row(row))
                })
            }
            None => fetch_all(self.conn(), sql, values).await,
        }
    }

    /// The first row of a read, if any.
    pub async fn fetch_optional<T: FromRow>(
        &self,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<Option<T>> {
        Ok(self.fetch_all(sql, values).await?.into_iter().next())
    }
}

/// Where the payment booker's reads go until its transaction first writes.
///
/// On an SQLite file the booker holds the write lock from the start of its transaction
/// ([`Store::begin_booking`]): until it writes, nothing can commit, and the store's reader
/// connections see exactly what the transaction sees. They read it without handing each
/// statement to sqlx's worker thread and each row back. Everywhere else the reads go through
/// the transaction itself (on PostgreSQL they also take its locks).
pub enum BookingReads<'a> {
    Transaction(&'a sea_orm::DatabaseTransaction),
    Readers(&'a Store),
}

impl Store {
    /// Where the reads of `tx`, a transaction from [`Store::begin_booking`], go until it
    /// first writes.
    pub fn booking_reads<'a>(&'a self, tx: &'a crate::BookingTx) -> BookingReads<'a> {
        match tx {
            crate::BookingTx::Pool(tx) => BookingReads::Transaction(tx),
            crate::BookingTx::File(_) => BookingReads::Readers(self),
        }
    }
}

impl BookingReads<'_> {
    pub fn backend(&self) -> sea_orm::DbBackend {
        match self {
            BookingReads::Transaction(tx) => tx.get_database_backend(),
            BookingReads::Readers(store) => store.backend(),
        }
    }

    /// The rows of a read, mapped with `T::from_row`.
    pub async fn fetch_all<T: FromRow>(&self, sql: &str, values: Vec<Value>) -> Result<Vec<T>> {
        match self {
            BookingReads::Transaction(tx) => fetch_all(*tx, sql, values).await,
            BookingReads::Readers(store) => store.fetch_all(sql, values).await,
        }
    }
}

/// The rows of a read on `c` (a connection or a transaction), mapped with `T::from_row`.
pub async fn fetch_all<T: FromRow>(
    c: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<T>> {
    query_all(c, sql, values)
        .await?
        .iter()
        .map(|r| T::from_row(r))
        .collect()
}

/// The first row of a read on `c`, if any.
pub async fn fetch_one<T: FromRow>(
    c: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<T>> {
    query_one(c, sql, values)
        .await?
        .as_ref()
        .map(T::from_row)
        .transpose()
}
