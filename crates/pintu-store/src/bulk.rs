//! Bulk loading of whole households: each batch is one transaction, so a crash leaves no
//! half-written batch. SQLite takes large multi-row INSERTs (one parse per thousand rows);
//! PostgreSQL takes COPY, its fastest route.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, TransactionTrait, Value};

use crate::registry::{NewPerson, PERSON_INSERT_COLUMNS};
use crate::{Result, Store, StoreError, execute};

/// A household with its members, ready to write.
#[derive(Debug, Clone)]
pub struct BulkHousehold {
    pub id: String,
    pub kk_number: Option<String>,
    pub village_code: String,
    pub address: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<String>,
    pub members: Vec<(NewPerson, &'static str)>,
}

/// Where the rows came from, recorded in the household history for provenance.
pub struct BulkSource<'a> {
    pub actor: &'a str,
    pub source: &'a str,
    pub at: DateTime<Utc>,
}

/// Rows per multi-row INSERT on SQLite (17 columns × 1,000 rows stays under the 32,766
/// bound-variable limit).
const SQLITE_ROWS_PER_STATEMENT: usize = 1_000;

impl Store {
    /// Writes `batch` in one transaction. Returns the number of people written.
    pub async fn load_households(
        &self,
        batch: &[BulkHousehold],
        src: &BulkSource<'_>,
    ) -> Result<usize> {
        match self.backend() {
            DbBackend::Postgres => self.copy_households(batch, src).await,
            _ => {
                let tx = self.conn().begin().await?;
                let n = insert_households(&tx, batch, src).await?;
                tx.commit().await?;
                Ok(n)
            }
        }
    }

    async fn copy_households(
        &self,
        batch: &[BulkHousehold],
        src: &BulkSource<'_>,
    ) -> Result<usize> {
        let pool = self.conn().get_postgres_connection_pool();
        let mut tx = pool.begin().await.map_err(sqlx_err)?;
        let mut households = Csv::default();
        let mut persons = Csv::default();
        let mut members = Csv::default();
        let mut history = Csv::default();
        let at = src.at.to_rfc3339();
        let mut people = 0;
        for h in batch {
            households.row(&[
                Some(&h.id),
                h.kk_number.as_deref(),
                Some(&h.village_code),
                h.address.as_deref(),
                h.rt.as_deref(),
                h.rw.as_deref(),
                Some("active"),
                Some(&at),
                Some(&at),
            ]);
            history.row(&[
                Some(&h.id),
                Some(&h.village_code),
                Some(&at),
                Some(src.actor),
                Some("registered"),
                None,
                None,
                None,
                None,
                Some(src.source),
                None,
            ]);
            for (p, relationship) in &h.members {
                let birth = p.birth_date.to_string();
                persons.row(&[
                    Some(&p.id),
                    p.nik.as_deref(),
                    Some(&p.full_name),
                    Some(&p.name_key),
                    Some(p.sex),
                    Some(&birth),
                    p.birth_place.as_deref(),
                    p.religion.as_deref(),
                    p.education.as_deref(),
                    p.occupation.as_deref(),
                    p.marital_status.as_deref(),
                    p.phone.as_deref(),
                    Some(&p.village_code),
                    Some("alive"),
                    None,
                    Some(&at),
                    Some(&at),
                ]);
                members.row(&[
                    Some(&p.id),
                    Some(&h.id),
                    Some(relationship),
                    Some(&h.village_code),
                    Some(&birth),
                ]);
                people += 1;
            }
        }
        let copies = [
            (
                "households (id, kk_number, village_code, address, rt, rw, status, created_at, updated_at)",
                households,
            ),
            (&*format!("persons ({PERSON_INSERT_COLUMNS})"), persons),
            (
                "household_members (person_id, household_id, relationship, village_code, since)",
                members,
            ),
            (
                "household_history (household_id, village_code, at, actor, action, field, old_value, new_value, reason, source, request_id)",
                history,
            ),
        ];
        for (target, data) in copies {
            let mut copy = tx
                .copy_in_raw(&format!("COPY {target} FROM STDIN (FORMAT csv)"))
                .await
                .map_err(sqlx_err)?;
            copy.send(data.0).await.map_err(sqlx_err)?;
            copy.finish().await.map_err(sqlx_err)?;
        }
        tx.commit().await.map_err(sqlx_err)?;
        Ok(people)
    }
}

fn sqlx_err(e: sea_orm::sqlx::Error) -> StoreError {
    StoreError::from(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(
        e.into(),
    )))
}

/// CSV for COPY: empty unquoted cells are NULL, everything else is quoted.
#[derive(Default)]
struct Csv(Vec<u8>);

impl Csv {
    fn row(&mut self, cells: &[Option<&str>]) {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            if let Some(v) = cell {
                self.0.push(b'"');
                for b in v.bytes() {
                    if b == b'"' {
                        self.0.push(b'"');
                    }
                    self.0.push(b);
                }
                self.0.push(b'"');
            }
        }
        self.0.push(b'\n');
    }
}

/// Multi-row INSERTs of households, people, memberships and history inside `tx`.
pub async fn insert_households(
    tx: &DatabaseTransaction,
    batch: &[BulkHousehold],
    src: &BulkSource<'_>,
) -> Result<usize> {
    let mut rows: Vec<Vec<Value>> = Vec::with_capacity(batch.len());
    let mut history: Vec<Vec<Value>> = Vec::with_capacity(batch.len());
    for h in batch {
        rows.push(vec![
            h.id.clone().into(),
            h.kk_number.clone().into(),
            h.village_code.clone().into(),
            h.address.clone().into(),
            h.rt.clone().into(),
            h.rw.clone().into(),
            "active".into(),
            src.at.into(),
            src.at.into(),
        ]);
        history.push(vec![
            h.id.clone().into(),
            h.village_code.clone().into(),
            src.at.into(),
            src.actor.into(),
            "registered".into(),
            Option::<String>::None.into(),
            Option::<String>::None.into(),
            Option::<String>::None.into(),
            Option::<String>::None.into(),
            src.source.into(),
            Option::<String>::None.into(),
        ]);
    }
    multi_insert(
        tx,
        "households (id, kk_number, village_code, address, rt, rw, status, created_at, updated_at)",
        9,
        rows,
    )
    .await?;
    let mut persons = Vec::new();
    let mut members = Vec::new();
    for h in batch {
        for (p, relationship) in &h.members {
            let mut v = Vec::with_capacity(17);
            p.push_values(&mut v);
            persons.push(v);
            members.push(vec![
                p.id.clone().into(),
                h.id.clone().into(),
                (*relationship).into(),
                h.village_code.clone().into(),
                p.birth_date.into(),
            ]);
        }
    }
    let people = persons.len();
    multi_insert(
        tx,
        &format!("persons ({PERSON_INSERT_COLUMNS})"),
        17,
        persons,
    )
    .await?;
    multi_insert(
        tx,
        "household_members (person_id, household_id, relationship, village_code, since)",
        5,
        members,
    )
    .await?;
    multi_insert(
        tx,
        "household_history (household_id, village_code, at, actor, action, field, old_value, new_value, reason, source, request_id)",
        11,
        history,
    )
    .await?;
    Ok(people)
}

async fn multi_insert(
    c: &impl ConnectionTrait,
    target: &str,
    width: usize,
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    let one = format!("({})", vec!["?"; width].join(", "));
    let per_statement = (SQLITE_ROWS_PER_STATEMENT * 17 / width).min(30_000 / width);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let mut sql = String::with_capacity(32 + target.len() + chunk.len() * (one.len() + 2));
        sql.push_str("INSERT INTO ");
        sql.push_str(target);
        sql.push_str(" VALUES ");
        let mut values = Vec::with_capacity(chunk.len() * width);
        for (i, row) in chunk.into_iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&one);
            values.extend(row);
        }
        execute(c, &sql, values).await?;
    }
    Ok(())
}

/// The baseline for the load benchmark: the same people into a bare table with no index,
/// key or constraint, by each backend's own fastest raw route (SQLite: one prepared INSERT
/// reused for every row in one transaction; PostgreSQL: COPY).
pub async fn raw_baseline_load(store: &Store, people: &[NewPerson]) -> Result<()> {
    let conn = store.conn();
    conn.execute_unprepared("DROP TABLE IF EXISTS bench_raw_persons")
        .await?;
    conn.execute_unprepared(
        "CREATE TABLE bench_raw_persons (id TEXT, nik TEXT, full_name TEXT, name_key TEXT, sex TEXT, birth_date TEXT, \
         birth_place TEXT, religion TEXT, education TEXT, occupation TEXT, marital_status TEXT, phone TEXT, \
         village_code TEXT, life_status TEXT, died_on TEXT, created_at TEXT, updated_at TEXT)",
    )
    .await?;
    match store.backend() {
        DbBackend::Postgres => {
            let pool = conn.get_postgres_connection_pool();
            let mut data = Csv::default();
            for p in people {
                let birth = p.birth_date.to_string();
                let at = p.at.to_rfc3339();
                data.row(&[
                    Some(&p.id),
                    p.nik.as_deref(),
                    Some(&p.full_name),
                    Some(&p.name_key),
                    Some(p.sex),
                    Some(&birth),
                    p.birth_place.as_deref(),
                    p.religion.as_deref(),
                    p.education.as_deref(),
                    p.occupation.as_deref(),
                    p.marital_status.as_deref(),
                    p.phone.as_deref(),
                    Some(&p.village_code),
                    Some("alive"),
                    None,
                    Some(&at),
                    Some(&at),
                ]);
            }
            let mut tx = pool.begin().await.map_err(sqlx_err)?;
            let mut copy = tx
                .copy_in_raw("COPY bench_raw_persons FROM STDIN (FORMAT csv)")
                .await
                .map_err(sqlx_err)?;
            copy.send(data.0).await.map_err(sqlx_err)?;
            copy.finish().await.map_err(sqlx_err)?;
            tx.commit().await.map_err(sqlx_err)?;
        }
        _ => {
            use sea_orm::sqlx::Arguments;
            let pool = conn.get_sqlite_connection_pool();
            let mut tx = pool.begin().await.map_err(sqlx_err)?;
            const SQL: &str = "INSERT INTO bench_raw_persons VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
            for p in people {
                let mut args = sea_orm::sqlx::sqlite::SqliteArguments::default();
                let at = p.at.to_rfc3339();
                let cells: [Option<String>; 17] = [
                    Some(p.id.clone()),
                    p.nik.clone(),
                    Some(p.full_name.clone()),
                    Some(p.name_key.clone()),
                    Some(p.sex.to_string()),
                    Some(p.birth_date.to_string()),
                    p.birth_place.clone(),
                    p.religion.clone(),
                    p.education.clone(),
                    p.occupation.clone(),
                    p.marital_status.clone(),
                    p.phone.clone(),
                    Some(p.village_code.clone()),
                    Some("alive".into()),
                    None,
                    Some(at.clone()),
                    Some(at),
                ];
                for cell in cells {
                    args.add(cell)
                        .map_err(|e| StoreError::Other(e.to_string()))?;
                }
                sea_orm::sqlx::query_with(SQL, args)
                    .execute(&mut *tx)
                    .await
                    .map_err(sqlx_err)?;
            }
            tx.commit().await.map_err(sqlx_err)?;
        }
    }
    Ok(())
}
