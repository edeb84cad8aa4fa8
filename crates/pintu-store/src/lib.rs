//! Pintu's persistence: one schema for SQLite and PostgreSQL (built with sea-query), the
//! queries of each module, bulk loaders, and the area guard that every query of personal
//! data goes through.

pub mod applications;
pub mod areas;
pub mod audit;
pub mod autodebit;
mod booking;
pub use booking::{BookingTx, BookingWrites};
pub mod bpjstk;
pub mod bulk;
pub mod calls;
pub mod cases;
pub mod complaints;
pub mod facts;
pub mod imports;
pub mod jkn;
pub mod jobs;
pub mod matching;
pub mod outbox;
pub mod payments;
pub mod programmes;
mod read;
pub mod registry;
pub mod residents;
pub mod review;
pub mod rows;
pub mod rules_sql;
pub mod schema;
mod scope;
pub mod sms;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, QueryResult, SqlErr, Statement, TransactionTrait, Value,
};

pub use read::{BookingReads, Col, FromRow, Row, RowMapper, fetch_all, fetch_one};
pub use scope::scope_filter;
pub use sea_orm;

/// What can go wrong in the store, in terms the service layer can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the code names what was duplicated
    /// (`nik_already_registered`, `kk_already_registered`, `username_taken`).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A foreign key refused the write (e.g. an unknown village).
    #[error("reference to a missing record: {0}")]
    MissingReference(String),
    #[error(transparent)]
    Db(DbErr),
    #[error("{0}")]
    Other(String),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => {
                StoreError::Conflict(conflict_code(&msg))
            }
            Some(SqlErr::ForeignKeyConstraintViolation(msg)) => StoreError::MissingReference(msg),
            _ => StoreError::Db(err),
        }
    }
}

/// Maps the constraint named in a backend's message to a stable code. SQLite says
/// `UNIQUE constraint failed: persons.nik`, PostgreSQL names the index `ux_persons_nik`.
pub(crate) fn conflict_code(msg: &str) -> &'static str {
    if msg.contains("persons.nik") || msg.contains("ux_persons_nik") {
        "nik_already_registered"
    } else if msg.contains("households.kk_number") || msg.contains("ux_households_kk") {
        "kk_already_registered"
    } else if msg.contains("users.username") || msg.contains("ux_users_username") {
        "username_taken"
    } else if msg.contains("programmes.code") || msg.contains("ux_programmes_code") {
        "programme_code_taken"
    } else if msg.contains("tk_employers.npp") || msg.contains("ux_tk_employers_npp") {
        "npp_taken"
    } else if msg.contains("tk_cards.kpj") || msg.contains("ux_tk_cards_kpj") {
        "kpj_taken"
    } else if msg.contains("debit_mandates.active_household")
        || msg.contains("ux_debit_mandates_active")
    {
        "debit_mandate_exists"
    } else {
        "already_exists"
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database: one concrete type over SeaORM's connection, for both backends.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// The database file when on SQLite: bulk loads open their own connection to it.
    sqlite_file: Option<String>,
    /// The bulk loader's own SQLite connection, kept between batches so that its page cache
    /// stays warm (opened on first use).
    bulk_conn: std::sync::Arc<std::sync::Mutex<Option<rusqlite::Connection>>>,
    /// Connections for point reads on an SQLite file (see [`Store::fetch_all`]).
    readers: Option<std::sync::Arc<read::Readers>>,
    /// The payment booker's own connection to an SQLite file (opened on first use).
    booking: std::sync::Arc<tokio::sync::OnceCell<booking::Booking>>,
    /// WAL pages after which the booker starts the WAL over (see [`Store::with_wal_limit`]).
    wal_limit_pages: i64,
    /// The turn of this process's writers to an SQLite file, first come, first served: a
    /// transaction takes SQLite's write lock in its turn, and the payment booker holds the
    /// turn for a whole batch. Without it a writer waiting for the lock polls for it, ever
    /// more slowly, and under a flood of payments catches the moment between two batches
    /// late (seconds).
    writers: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// The turn of the payment booker's batch (see [`Store::begin_booking`]): other writers of
/// the process wait until it is dropped.
pub type WriterTurn = tokio::sync::OwnedMutexGuard<()>;

/// How much of an SQLite file every connection maps into memory (SQLite caps it at 2 GiB).
pub(crate) const SQLITE_MMAP_SIZE: &str = "2147418112";

/// The bytes a WAL started over is cut back to (128 MiB).
pub(crate) const SQLITE_WAL_SIZE_LIMIT: &str = "134217728";

/// The default SQLite URL: a file under `./pintu-data/`, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://pintu-data/pintu.db?mode=rwc";

impl Store {
    /// Connects to `url` (`sqlite://...` or `postgres://...`). SQLite runs in WAL mode with
    /// foreign keys enforced and a busy timeout, so concurrent readers never block the writer.
    pub async fn connect(url: &str) -> Result<Store> {
        if let Some(path) = sqlite_path(url)
            && let Some(dir) = std::path::Path::new(&path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Other(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut opts = ConnectOptions::new(url.to_string());
        let is_sqlite = url.starts_with("sqlite:");
        opts.sqlx_logging(false)
            .max_connections(if is_sqlite { 8 } else { 32 })
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10));
        if is_sqlite {
            opts.map_sqlx_sqlite_opts(sqlite_options);
        }
        let db = Database::connect(opts).await?;
        Ok(Store {
            db,
            sqlite_file: if is_sqlite { sqlite_path(url) } else { None },
            bulk_conn: Default::default(),
            readers: sqlite_path(url).map(|p| std::sync::Arc::new(read::Readers::new(p))),
            booking: Default::default(),
            wal_limit_pages: booking::WAL_LIMIT_PAGES,
            writers: Default::default(),
        })
    }

    /// Sets the WAL pages after which the payment booker on an SQLite file waits for the
    /// checkpoint to catch up before its next batch, which then writes the WAL from its
    /// start and cuts the file back to that size (default 32,768 pages, 128 MiB). Takes
    /// effect if set before the booker's first transaction.
    pub fn with_wal_limit(mut self, pages: i64) -> Store {
        self.wal_limit_pages = pages.max(1);
        self
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    pub fn sqlite_file(&self) -> Option<&str> {
        self.sqlite_file.as_deref()
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), waiting
    /// for it as for any lock: most transactions read before they write, and one begun
    /// deferred reads a snapshot that another connection's commit makes stale, after which
    /// its first write fails at once (`SQLITE_BUSY_SNAPSHOT`), whatever the busy timeout.
    /// Readers are not held up (WAL); a transaction only reads is better not begun at all.
    pub async fn begin(&self) -> Result<DatabaseTransaction> {
        Ok(match self.backend() {
            DbBackend::Sqlite if self.sqlite_file.is_some() => {
                let _turn = self.writers.lock().await;
                self.db.begin_with_options(immediate()).await?
            }
            DbBackend::Sqlite => self.db.begin_with_options(immediate()).await?,
            _ => self.db.begin().await?,
        })
    }

    /// A transaction that reads and writes many rows at once (a billing run's, a batch of
    /// payments). On PostgreSQL each of its statements is planned for the tables as they
    /// are now: a statement's text no longer changes with its number of rows
    /// ([`rows`]), and the plan PostgreSQL would otherwise cache for it on a connection,
    /// made while a table was still small (payments at the start of a run), would go on
    /// reading the whole table once it has grown.
    pub async fn begin_bulk(&self) -> Result<DatabaseTransaction> {
        let tx = self.begin().await?;
        if self.backend() == DbBackend::Postgres {
            tx.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
                .await?;
        }
        Ok(tx)
    }

    /// Brings PostgreSQL's statistics of `tables` up to date after a job wrote much of
    /// them. Until autovacuum gets to a table that a billing run has just doubled, the
    /// planner takes it for its old size and scans it whole where its index would find a
    /// handful of rows: the payments that follow the bills would each read every bill.
    /// SQLite keeps no statistics unless asked, and plans by its indexes.
    pub async fn refresh_statistics(&self, tables: &[&'static str]) -> Result<()> {
        if self.backend() == DbBackend::Postgres && !tables.is_empty() {
            self.db
                .execute_unprepared(&format!("ANALYZE {}", tables.join(", ")))
                .await?;
        }
        Ok(())
    }

    /// A transaction of the payment booker. On an SQLite file it runs on the booker's own
    /// connection, whose commits never checkpoint (call [`Store::checkpoint_soon`] after
    /// each), and holds the write lock from its start. On PostgreSQL it is
    /// [`Store::begin_bulk`].
    ///
    /// On an SQLite file it comes with the process's writer turn, which the caller keeps
    /// until the transaction ends: the process's other writers then take the write lock
    /// in their turn, right after the batch.
    pub async fn begin_booking(&self) -> Result<(BookingTx, Option<WriterTurn>)> {
        let Some(path) = &self.sqlite_file else {
            return Ok((BookingTx::Pool(self.begin_bulk().await?), None));
        };
        let booking = self
            .booking
            .get_or_try_init(|| booking::Booking::open(path, self.wal_limit_pages))
            .await?;
        booking.make_room().await;
        let turn = self.writers.clone().lock_owned().await;
        // It reads the families' bills before it writes: it takes the write lock at once, so
        // that no other writer can commit between its reads and its writes.
        let tx = booking.begin().await?;
        Ok((BookingTx::File(tx), Some(turn)))
    }

    /// Asks for the WAL the booker wrote to be copied back into the SQLite file, on a thread
    /// of its own (nothing on PostgreSQL, or before the booker's first transaction).
    pub fn checkpoint_soon(&self) {
        if let Some(booking) = self.booking.get() {
            booking.checkpoint_soon();
        }
    }

    /// The booker's WAL on SQLite as its checkpoint thread last found it: (frames, of which
    /// copied back into the database file). `None` on PostgreSQL and before the thread's
    /// first pass.
    pub fn booker_wal(&self) -> Option<(i64, i64)> {
        self.booking.get().and_then(booking::Booking::last_pass)
    }

    /// Whether the booker, having lately waited in vain for its checkpoint thread (a reader
    /// held the WAL), goes on for now without waiting (SQLite).
    pub fn booker_backing_off(&self) -> bool {
        self.booking
            .get()
            .is_some_and(booking::Booking::backing_off)
    }

    /// `SELECT 1`: the readiness probe.
    pub async fn ping(&self) -> Result<()> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        self.db.close().await?;
        Ok(())
    }
}

/// How every connection to an SQLite file is set up: WAL mode with foreign keys enforced and
/// a busy timeout, a larger page cache, and the file mapped into memory.
fn sqlite_options(o: SqliteConnectOptions) -> SqliteConnectOptions {
    o.journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("cache_size", "-65536")
        .pragma("temp_store", "memory")
        // A WAL started over is cut back, not left at its largest.
        .pragma("journal_size_limit", SQLITE_WAL_SIZE_LIMIT)
        // Pages read through a memory map, not a system call each: a matching run reads the
        // whole area's people.
        .pragma("mmap_size", SQLITE_MMAP_SIZE)
}

/// A transaction that takes SQLite's write lock at its start (nothing else on PostgreSQL).
fn immediate() -> sea_orm::TransactionOptions {
    sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    }
}

/// The file path of a `sqlite://` URL, if it is one and not in memory.
pub fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// Checks that a URL names a backend Pintu supports, with a message a person can act on.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://")
    {
        Ok(())
    } else {
        Err("database.url must start with sqlite:// or postgres://".into())
    }
}

/// Builds a statement from SQL written with `?` placeholders, renumbered to `$1, $2 ...` for
/// PostgreSQL, so each fixed query is written once for both backends.
pub fn stmt(c: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = c.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => numbered_placeholders(sql),
        _ => sql.to_string(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// `?` placeholders renumbered `$1, $2 ...` (PostgreSQL's and DuckDB's style).
pub fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(ch);
        }
    }
    out
}

pub async fn query_all(
    c: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>> {
    Ok(c.query_all_raw(stmt(c, sql, values)).await?)
}

pub async fn query_one(
    c: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<QueryResult>> {
    Ok(c.query_one_raw(stmt(c, sql, values)).await?)
}

/// Runs `sql`, whose `{in}` stands for a list of placeholders, for `keys` in chunks of 500
/// (each after the `leading` values), and returns the rows of every chunk.
pub(crate) async fn query_in(
    c: &impl ConnectionTrait,
    sql: &str,
    leading: &[Value],
    keys: &[String],
) -> Result<Vec<QueryResult>> {
    let mut rows = Vec::new();
    for chunk in keys.chunks(500) {
        let mut values = leading.to_vec();
        values.extend(chunk.iter().map(|k| Value::from(k.clone())));
        let sql = sql.replace("{in}", &vec!["?"; chunk.len()].join(", "));
        rows.extend(query_all(c, &sql, values).await?);
    }
    Ok(rows)
}

pub async fn execute(c: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<u64> {
    Ok(c.execute_raw(stmt(c, sql, values)).await?.rows_affected())
}

/// Reads a column by name; the empty string is the "no table prefix" of SeaORM's API.
pub fn col<T: Col>(row: &impl Row, name: &str) -> Result<T> {
    row.get(name)
}

/// A new opaque, time-ordered identifier (UUIDv7) for records.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Identifiers arrive from URLs: only well-formed UUIDs reach a query.
pub fn parse_id(s: &str) -> Option<String> {
    uuid::Uuid::from_str(s).ok().map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            numbered_placeholders("a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
    }

    #[test]
    fn sqlite_paths_are_read_from_urls() {
        assert_eq!(
            sqlite_path("sqlite://pintu-data/pintu.db?mode=rwc").as_deref(),
            Some("pintu-data/pintu.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x"), None);
    }

    #[test]
    fn unique_violations_name_what_was_duplicated() {
        assert_eq!(
            conflict_code("UNIQUE constraint failed: persons.nik"),
            "nik_already_registered"
        );
        assert_eq!(
            conflict_code("duplicate key value violates unique constraint \"ux_households_kk\""),
            "kk_already_registered"
        );
    }
}
