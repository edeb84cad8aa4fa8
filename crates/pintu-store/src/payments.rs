//! Payments, their allocation to bills, the double-entry journal, cash deposits, and bank
//! statements with the exceptions reconciliation leaves.

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use pintu_domain::payments::Posting;
use sea_orm::{ConnectionTrait, DbBackend, Value};
use serde::Serialize;

use crate::jkn::{BILL, BillRow};
use crate::rows::{Kind, Rows, keys_in, keys_in_on};
use crate::{FromRow, Result, Row, col, execute, fetch_all, fetch_one, query_all, scope_filter};

/// `FOR UPDATE` on PostgreSQL, where concurrent writers must queue on the rows they change;
/// nothing on SQLite, where a writing transaction holds the whole database.
fn for_update(c: &impl ConnectionTrait) -> &'static str {
    for_update_on(c.get_database_backend())
}

/// [`for_update`] for a statement on `backend`.
fn for_update_on(backend: DbBackend) -> &'static str {
    if backend == DbBackend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    }
}

/// A payment as booked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaymentRow {
    pub id: String,
    pub channel: String,
    #[serde(skip)]
    pub idempotency_key: String,
    pub reference: String,
    pub va_number: String,
    pub household_id: String,
    pub village_code: String,
    pub amount: i64,
    pub fee: i64,
    /// Put on bills when it came.
    pub allocated: i64,
    /// Left over for the family's later bills.
    pub credit: i64,
    pub paid_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub collected_by: Option<String>,
    pub deposit_id: Option<String>,
    /// When the bank statement showed it.
    pub settled_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub entry_id: String,
    /// The payment brought a suspended family back into cover.
    pub reactivated: bool,
    /// The employer's bill (BPJS Ketenagakerjaan) it paid; `household_id` is empty then.
    pub employer_bill_id: Option<String>,
}

impl FromRow for PaymentRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(PaymentRow {
            id: col(row, "id")?,
            channel: col(row, "channel")?,
            idempotency_key: col(row, "idempotency_key")?,
            reference: col(row, "reference")?,
            va_number: col(row, "va_number")?,
            household_id: col(row, "household_id")?,
            village_code: col(row, "village_code")?,
            amount: col(row, "amount")?,
            fee: col(row, "fee")?,
            allocated: col(row, "allocated")?,
            credit: col(row, "credit")?,
            paid_at: col(row, "paid_at")?,
            received_at: col(row, "received_at")?,
            collected_by: col(row, "collected_by")?,
            deposit_id: col(row, "deposit_id")?,
            settled_at: col(row, "settled_at")?,
            entry_id: col(row, "entry_id")?,
            reactivated: col(row, "reactivated")?,
            employer_bill_id: col(row, "employer_bill_id")?,
        })
    }
}

const PAYMENT: &str = "SELECT id, channel, idempotency_key, reference, va_number, household_id, \
     village_code, amount, fee, allocated, credit, paid_at, received_at, collected_by, \
     deposit_id, settled_at, entry_id, reactivated, employer_bill_id FROM payments";

/// Inserts a payment unless its channel has one with the same idempotency key: `true` if it
/// is new. The first statement of the payment's transaction, so that a concurrent duplicate
/// waits here for the first to commit and then finds it.
pub async fn insert_payment(c: &impl ConnectionTrait, p: &PaymentRow) -> Result<bool> {
    Ok(insert_payments(c, &[p]).await? == 1)
}

/// What a payment came to once its bills were paid.
pub async fn finish_payment(
    c: &impl ConnectionTrait,
    id: &str,
    allocated: i64,
    credit: i64,
    reactivated: bool,
) -> Result<()> {
    execute(
        c,
        "UPDATE payments SET allocated = ?, credit = ?, reactivated = ? WHERE id = ?",
        vec![
            allocated.into(),
            credit.into(),
            reactivated.into(),
            id.into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn payment_by_key(
    c: &impl ConnectionTrait,
    channel: &str,
    key: &str,
) -> Result<Option<PaymentRow>> {
    fetch_one(
        c,
        &format!("{PAYMENT} WHERE channel = ? AND idempotency_key = ?"),
        vec![channel.into(), key.into()],
    )
    .await
}

pub async fn payment(c: &impl ConnectionTrait, id: &str) -> Result<Option<PaymentRow>> {
    fetch_one(c, &format!("{PAYMENT} WHERE id = ?"), vec![id.into()]).await
}

/// A family's payments, newest first.
pub async fn payments_of(c: &impl ConnectionTrait, household_id: &str) -> Result<Vec<PaymentRow>> {
    fetch_all(
        c,
        &format!("{PAYMENT} WHERE household_id = ? ORDER BY received_at DESC, id DESC"),
        vec![household_id.into()],
    )
    .await
}

/// The payments received in `scope` between two instants, newest first, at most `limit`.
pub async fn payments_in(
    c: &impl ConnectionTrait,
    scope: &Scope,
    channel: Option<&str>,
    limit: u64,
) -> Result<Vec<PaymentRow>> {
    let (area, mut values) = scope_filter(scope, "village_code");
    let mut sql = format!("{PAYMENT} WHERE {area}");
    if let Some(ch) = channel {
        sql.push_str(" AND channel = ?");
        values.push(ch.into());
    }
    sql.push_str(&format!(
        " ORDER BY received_at DESC, id DESC LIMIT {limit}"
    ));
    fetch_all(c, &sql, values).await
}

/// Puts `amount` on a bill; `settles` closes it.
pub async fn pay_bill(
    c: &impl ConnectionTrait,
    bill_id: &str,
    amount: i64,
    settles: bool,
    at: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "UPDATE jkn_bills SET paid = paid + ?, status = ?, paid_at = ? WHERE id = ?",
        vec![
            amount.into(),
            if settles { "paid" } else { "open" }.into(),
            if settles { Some(at) } else { None }.into(),
            bill_id.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Records that `amount` of a payment went to a bill (added to what it put there before).
pub async fn insert_allocation(
    c: &impl ConnectionTrait,
    payment_id: &str,
    bill_id: &str,
    amount: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO payment_allocations (payment_id, bill_id, amount, at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (payment_id, bill_id) DO UPDATE SET amount = payment_allocations.amount \
         + excluded.amount",
        vec![payment_id.into(), bill_id.into(), amount.into(), at.into()],
    )
    .await?;
    Ok(())
}

/// Where the payments of a bill came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllocationRow {
    pub payment_id: String,
    pub bill_id: String,
    pub period: String,
    pub amount: i64,
    pub at: DateTime<Utc>,
}

impl FromRow for AllocationRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(AllocationRow {
            payment_id: col(row, "payment_id")?,
            bill_id: col(row, "bill_id")?,
            period: col(row, "period")?,
            amount: col(row, "amount")?,
            at: col(row, "at")?,
        })
    }
}

/// What a payment paid, bill by bill.
pub async fn allocations_of(
    c: &impl ConnectionTrait,
    payment_id: &str,
) -> Result<Vec<AllocationRow>> {
    fetch_all(
        c,
        "SELECT a.payment_id, a.bill_id, b.period, a.amount, a.at FROM payment_allocations a \
         JOIN jkn_bills b ON b.id = a.bill_id WHERE a.payment_id = ? ORDER BY b.period",
        vec![payment_id.into()],
    )
    .await
}

/// A family's payments that still carry credit, oldest first, locked.
pub async fn payments_with_credit(
    c: &impl ConnectionTrait,
    household_id: &str,
) -> Result<Vec<PaymentRow>> {
    fetch_all(
        c,
        &format!(
            "{PAYMENT} WHERE household_id = ? AND credit > 0 ORDER BY received_at, id{}",
            for_update(c)
        ),
        vec![household_id.into()],
    )
    .await
}

/// The families in `scope` holding credit.
pub async fn families_with_credit(
    c: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<std::collections::HashSet<String>> {
    let (area, values) = scope_filter(scope, "village_code");
    let rows = query_all(
        c,
        &format!("SELECT DISTINCT household_id FROM payments WHERE {area} AND credit > 0"),
        values,
    )
    .await?;
    rows.iter().map(|r| col(r, "household_id")).collect()
}

pub async fn use_credit(c: &impl ConnectionTrait, payment_id: &str, amount: i64) -> Result<()> {
    execute(
        c,
        "UPDATE payments SET credit = credit - ? WHERE id = ?",
        vec![amount.into(), payment_id.into()],
    )
    .await?;
    Ok(())
}

/// A journal entry's header.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryRow {
    pub id: String,
    /// `bill`, `payment`, `credit`, `deposit`, `settlement`, `write_off`, `pbi_bill`.
    pub kind: String,
    /// The event: at most one entry of a kind per event.
    pub ref_id: String,
    pub village_code: String,
    /// `YYYY-MM` the event belongs to.
    pub period: String,
    pub at: DateTime<Utc>,
    pub memo: Option<String>,
}

impl FromRow for EntryRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(EntryRow {
            id: col(row, "id")?,
            kind: col(row, "kind")?,
            ref_id: col(row, "ref_id")?,
            village_code: col(row, "village_code")?,
            period: col(row, "period")?,
            at: col(row, "at")?,
            memo: col(row, "memo")?,
        })
    }
}

/// Books an entry with its balanced postings unless one of its kind exists for the event:
/// `true` if it was booked.
pub async fn insert_entry(
    c: &impl ConnectionTrait,
    e: &EntryRow,
    postings: &[Posting],
) -> Result<bool> {
    let new = execute(
        c,
        "INSERT INTO journal_entries (id, kind, ref_id, village_code, period, at, memo) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, ref_id) DO NOTHING",
        vec![
            e.id.clone().into(),
            e.kind.clone().into(),
            e.ref_id.clone().into(),
            e.village_code.clone().into(),
            e.period.clone().into(),
            e.at.into(),
            e.memo.clone().into(),
        ],
    )
    .await?
        == 1;
    if !new {
        return Ok(false);
    }
    let mut sql = String::from(
        "INSERT INTO postings (entry_id, line, account, village_code, amount) VALUES ",
    );
    let mut values: Vec<Value> = Vec::with_capacity(postings.len() * 5);
    for (i, p) in postings.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?, ?, ?, ?, ?)");
        values.extend([
            e.id.clone().into(),
            (i as i32).into(),
            p.account.code().into(),
            e.village_code.clone().into(),
            p.amount.into(),
        ]);
    }
    execute(c, &sql, values).await?;
    Ok(true)
}

/// An account's balance (debits less credits) in an area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalanceRow {
    pub account: String,
    pub debits: i64,
    pub credits: i64,
    pub balance: i64,
}

/// Every account's balance in `scope`.
pub async fn balances(c: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<BalanceRow>> {
    // A posting's village is its entry's: the area's entries lead to their postings.
    let (area, values) = scope_filter(scope, "e.village_code");
    let rows = query_all(
        c,
        &format!(
            "SELECT p.account, \
             CAST(COALESCE(SUM(CASE WHEN p.amount > 0 THEN p.amount ELSE 0 END), 0) AS BIGINT) \
             AS debits, \
             CAST(COALESCE(SUM(CASE WHEN p.amount < 0 THEN -p.amount ELSE 0 END), 0) AS BIGINT) \
             AS credits \
             FROM journal_entries e JOIN postings p ON p.entry_id = e.id \
             WHERE {area} GROUP BY p.account ORDER BY p.account"
        ),
        values,
    )
    .await?;
    rows.iter()
        .map(|r| {
            let debits: i64 = col(r, "debits")?;
            let credits: i64 = col(r, "credits")?;
            Ok(BalanceRow {
                account: col(r, "account")?,
                debits,
                credits,
                balance: debits - credits,
            })
        })
        .collect()
}

/// The entries whose postings do not sum to zero (there must be none).
pub async fn unbalanced_entries(c: &impl ConnectionTrait) -> Result<Vec<String>> {
    let rows = query_all(
        c,
        "SELECT entry_id FROM postings GROUP BY entry_id HAVING SUM(amount) <> 0",
        vec![],
    )
    .await?;
    rows.iter().map(|r| col(r, "entry_id")).collect()
}

/// An entry's postings: (account, amount).
pub async fn postings_of(c: &impl ConnectionTrait, entry_id: &str) -> Result<Vec<(String, i64)>> {
    let rows = query_all(
        c,
        "SELECT account, amount FROM postings WHERE entry_id = ? ORDER BY line",
        vec![entry_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "account")?, col(r, "amount")?)))
        .collect()
}

/// The cash a collector has taken and not yet deposited, oldest first, locked.
pub async fn undeposited(c: &impl ConnectionTrait, collector: &str) -> Result<Vec<PaymentRow>> {
    fetch_all(
        c,
        &format!(
            "{PAYMENT} WHERE collected_by = ? AND deposit_id IS NULL \
             AND channel IN ('counter', 'agent') ORDER BY received_at, id{}",
            for_update(c)
        ),
        vec![collector.into()],
    )
    .await
}

/// A day's deposit of collected cash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepositRow {
    pub id: String,
    pub collected_by: String,
    pub village_code: String,
    pub day: NaiveDate,
    pub payments: i32,
    pub amount: i64,
    pub bank_reference: String,
    #[serde(skip)]
    pub entry_id: String,
    pub at: DateTime<Utc>,
}

impl FromRow for DepositRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(DepositRow {
            id: col(row, "id")?,
            collected_by: col(row, "collected_by")?,
            village_code: col(row, "village_code")?,
            day: col(row, "day")?,
            payments: col(row, "payments")?,
            amount: col(row, "amount")?,
            bank_reference: col(row, "bank_reference")?,
            entry_id: col(row, "entry_id")?,
            at: col(row, "at")?,
        })
    }
}

pub async fn insert_deposit(
    c: &impl ConnectionTrait,
    d: &DepositRow,
    payment_ids: &[String],
) -> Result<()> {
    execute(
        c,
        "INSERT INTO cash_deposits (id, collected_by, village_code, day, payments, amount, \
         bank_reference, entry_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            d.id.clone().into(),
            d.collected_by.clone().into(),
            d.village_code.clone().into(),
            d.day.into(),
            d.payments.into(),
            d.amount.into(),
            d.bank_reference.clone().into(),
            d.entry_id.clone().into(),
            d.at.into(),
        ],
    )
    .await?;
    for chunk in payment_ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut values: Vec<Value> = vec![d.id.clone().into()];
        values.extend(chunk.iter().map(|id| Value::from(id.clone())));
        execute(
            c,
            &format!("UPDATE payments SET deposit_id = ? WHERE id IN ({marks})"),
            values,
        )
        .await?;
    }
    Ok(())
}

/// A collector's deposits, newest first.
pub async fn deposits_of(c: &impl ConnectionTrait, collector: &str) -> Result<Vec<DepositRow>> {
    fetch_all(
        c,
        "SELECT id, collected_by, village_code, day, payments, amount, bank_reference, \
         entry_id, at FROM cash_deposits WHERE collected_by = ? ORDER BY at DESC LIMIT 100",
        vec![collector.into()],
    )
    .await
}

/// The deposits in `scope`, newest first.
pub async fn deposits_in(c: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<DepositRow>> {
    let (area, values) = scope_filter(scope, "village_code");
    fetch_all(
        c,
        &format!(
            "SELECT id, collected_by, village_code, day, payments, amount, bank_reference, \
             entry_id, at FROM cash_deposits WHERE {area} ORDER BY at DESC LIMIT 200"
        ),
        values,
    )
    .await
}

/// Marks a payment as shown on the bank's statement.
pub async fn settle_payment(c: &impl ConnectionTrait, id: &str, at: DateTime<Utc>) -> Result<()> {
    execute(
        c,
        "UPDATE payments SET settled_at = ? WHERE id = ? AND settled_at IS NULL",
        vec![at.into(), id.into()],
    )
    .await?;
    Ok(())
}

/// The payments of `channel` by reference, for matching a statement.
pub async fn payments_by_reference(
    c: &impl ConnectionTrait,
    channel: &str,
    references: &[String],
) -> Result<Vec<PaymentRow>> {
    let mut out = Vec::new();
    for chunk in references.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut values: Vec<Value> = vec![channel.into()];
        values.extend(chunk.iter().map(|r| Value::from(r.clone())));
        out.extend(
            fetch_all::<PaymentRow>(
                c,
                &format!("{PAYMENT} WHERE channel = ? AND reference IN ({marks})"),
                values,
            )
            .await?,
        );
    }
    Ok(out)
}

/// The payments of `channel` paid within the days of a statement that no statement has
/// shown yet.
pub async fn unsettled_between(
    c: &impl ConnectionTrait,
    channel: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<PaymentRow>> {
    fetch_all(
        c,
        &format!(
            "{PAYMENT} WHERE channel = ? AND settled_at IS NULL AND paid_at >= ? AND paid_at < ? \
             ORDER BY paid_at, id"
        ),
        vec![channel.into(), from.into(), until.into()],
    )
    .await
}

/// A bank statement as imported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementRow {
    pub id: String,
    pub channel: String,
    #[serde(skip)]
    pub file_sha256: String,
    pub file_name: String,
    pub from_day: NaiveDate,
    pub to_day: NaiveDate,
    pub lines: i32,
    pub matched: i32,
    pub exceptions: i32,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
}

impl FromRow for StatementRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(StatementRow {
            id: col(row, "id")?,
            channel: col(row, "channel")?,
            file_sha256: col(row, "file_sha256")?,
            file_name: col(row, "file_name")?,
            from_day: col(row, "from_day")?,
            to_day: col(row, "to_day")?,
            lines: col(row, "lines")?,
            matched: col(row, "matched")?,
            exceptions: col(row, "exceptions")?,
            imported_by: col(row, "imported_by")?,
            imported_at: col(row, "imported_at")?,
        })
    }
}

const STATEMENT: &str = "SELECT id, channel, file_sha256, file_name, from_day, to_day, lines, \
     matched, exceptions, imported_by, imported_at FROM bank_statements";

/// Inserts a statement unless the same file of the channel was imported: `true` if new.
pub async fn insert_statement(c: &impl ConnectionTrait, s: &StatementRow) -> Result<bool> {
    Ok(execute(
        c,
        "INSERT INTO bank_statements (id, channel, file_sha256, file_name, from_day, to_day, \
         lines, matched, exceptions, imported_by, imported_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, file_sha256) DO NOTHING",
        vec![
            s.id.clone().into(),
            s.channel.clone().into(),
            s.file_sha256.clone().into(),
            s.file_name.clone().into(),
            s.from_day.into(),
            s.to_day.into(),
            s.lines.into(),
            s.matched.into(),
            s.exceptions.into(),
            s.imported_by.clone().into(),
            s.imported_at.into(),
        ],
    )
    .await?
        == 1)
}

pub async fn statement_by_file(
    c: &impl ConnectionTrait,
    channel: &str,
    sha256: &str,
) -> Result<Option<StatementRow>> {
    fetch_one(
        c,
        &format!("{STATEMENT} WHERE channel = ? AND file_sha256 = ?"),
        vec![channel.into(), sha256.into()],
    )
    .await
}

pub async fn statement(c: &impl ConnectionTrait, id: &str) -> Result<Option<StatementRow>> {
    fetch_one(c, &format!("{STATEMENT} WHERE id = ?"), vec![id.into()]).await
}

pub async fn statements(c: &impl ConnectionTrait) -> Result<Vec<StatementRow>> {
    fetch_all(
        c,
        &format!("{STATEMENT} ORDER BY imported_at DESC LIMIT 100"),
        vec![],
    )
    .await
}

/// One line of a statement and what matching found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementLine {
    pub line_no: i32,
    pub value_date: NaiveDate,
    pub reference: String,
    pub amount: i64,
    /// `matched`, `amount_differs` or `missing_ours`.
    pub status: String,
    pub payment_id: Option<String>,
}

pub async fn insert_lines(
    c: &impl ConnectionTrait,
    statement_id: &str,
    lines: &[StatementLine],
) -> Result<()> {
    for chunk in lines.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO statement_lines (statement_id, line_no, value_date, reference, amount, \
             status, payment_id) VALUES ",
        );
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 7);
        for (i, l) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str("(?, ?, ?, ?, ?, ?, ?)");
            values.extend([
                statement_id.into(),
                l.line_no.into(),
                l.value_date.into(),
                l.reference.clone().into(),
                l.amount.into(),
                l.status.clone().into(),
                l.payment_id.clone().into(),
            ]);
        }
        execute(c, &sql, values).await?;
    }
    Ok(())
}

/// Something reconciliation could not match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionRow {
    pub id: String,
    pub statement_id: String,
    /// `missing_ours` (on the statement, not in Pintu), `missing_bank` (in Pintu, not on the
    /// statement) or `amount_differs`.
    pub kind: String,
    pub channel: String,
    pub reference: String,
    pub payment_id: Option<String>,
    pub line_no: Option<i32>,
    pub amount_ours: Option<i64>,
    pub amount_bank: Option<i64>,
    pub village_code: Option<String>,
    /// `open` or `resolved`.
    pub status: String,
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl FromRow for ExceptionRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(ExceptionRow {
            id: col(row, "id")?,
            statement_id: col(row, "statement_id")?,
            kind: col(row, "kind")?,
            channel: col(row, "channel")?,
            reference: col(row, "reference")?,
            payment_id: col(row, "payment_id")?,
            line_no: col(row, "line_no")?,
            amount_ours: col(row, "amount_ours")?,
            amount_bank: col(row, "amount_bank")?,
            village_code: col(row, "village_code")?,
            status: col(row, "status")?,
            resolution: col(row, "resolution")?,
            resolved_by: col(row, "resolved_by")?,
            resolved_at: col(row, "resolved_at")?,
            created_at: col(row, "created_at")?,
        })
    }
}

const EXCEPTION: &str = "SELECT id, statement_id, kind, channel, reference, payment_id, \
     line_no, amount_ours, amount_bank, village_code, status, resolution, resolved_by, \
     resolved_at, created_at FROM recon_exceptions";

pub async fn insert_exception(c: &impl ConnectionTrait, e: &ExceptionRow) -> Result<()> {
    execute(
        c,
        "INSERT INTO recon_exceptions (id, statement_id, kind, channel, reference, payment_id, \
         line_no, amount_ours, amount_bank, village_code, status, resolution, resolved_by, \
         resolved_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            e.id.clone().into(),
            e.statement_id.clone().into(),
            e.kind.clone().into(),
            e.channel.clone().into(),
            e.reference.clone().into(),
            e.payment_id.clone().into(),
            e.line_no.into(),
            e.amount_ours.into(),
            e.amount_bank.into(),
            e.village_code.clone().into(),
            e.status.clone().into(),
            e.resolution.clone().into(),
            e.resolved_by.clone().into(),
            e.resolved_at.into(),
            e.created_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The exceptions in `scope` (those of no area only nationally), open first.
pub async fn exceptions(
    c: &impl ConnectionTrait,
    scope: &Scope,
    open_only: bool,
) -> Result<Vec<ExceptionRow>> {
    let (area, values) = scope_filter(scope, "village_code");
    let area = if matches!(scope, Scope::National) {
        "1 = 1".to_string()
    } else {
        area
    };
    let open = if open_only {
        " AND status = 'open'"
    } else {
        ""
    };
    fetch_all(
        c,
        &format!(
            "{EXCEPTION} WHERE {area}{open} ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, \
             created_at DESC, id LIMIT 500"
        ),
        values,
    )
    .await
}

pub async fn exception(c: &impl ConnectionTrait, id: &str) -> Result<Option<ExceptionRow>> {
    fetch_one(c, &format!("{EXCEPTION} WHERE id = ?"), vec![id.into()]).await
}

/// Closes an open exception; `false` if it was not open.
pub async fn resolve_exception(
    c: &impl ConnectionTrait,
    id: &str,
    resolution: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE recon_exceptions SET status = 'resolved', resolution = ?, resolved_by = ?, \
         resolved_at = ? WHERE id = ? AND status = 'open'",
        vec![resolution.into(), by.into(), at.into(), id.into()],
    )
    .await?
        == 1)
}

/// Writes off the open bills of a family from before `oldest_counted` (`YYYY-MM`): the
/// arrears that no longer count. Returns (bill id, what was still owed) of each.
pub async fn stale_bills(
    c: &impl ConnectionTrait,
    scope: &Scope,
    oldest_counted: &str,
) -> Result<Vec<BillRow>> {
    let (area, mut values) = scope_filter(scope, "village_code");
    values.push(oldest_counted.into());
    fetch_all(
        c,
        &format!("{BILL} WHERE {area} AND status = 'open' AND period < ? ORDER BY id"),
        values,
    )
    .await
}

/// Writes off an open bill: what it still owed as it stood (`None` if it is not open).
pub async fn write_off_bill(c: &impl ConnectionTrait, bill_id: &str) -> Result<Option<i64>> {
    let rows = query_all(
        c,
        "UPDATE jkn_bills SET status = 'written_off' WHERE id = ? AND status = 'open' \
         RETURNING amount - paid AS owed",
        vec![bill_id.into()],
    )
    .await?;
    rows.first().map(|r| col::<i64>(r, "owed")).transpose()
}

/// One area's line of the monthly finance report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AreaFinance {
    /// The area (a child of the report's area), or the whole area for the total.
    pub area: String,
    pub bills: i64,
    /// What families were billed for the month (their part).
    pub billed: i64,
    /// The state's part of those bills (the class 3 subsidy).
    pub subsidy: i64,
    /// Of `billed` and `collected`: the families of informal workers (PBPU) and of those
    /// not working (BP).
    pub pbpu_billed: i64,
    pub pbpu_collected: i64,
    pub bp_billed: i64,
    pub bp_collected: i64,
    /// What families have paid of the month's bills so far.
    pub collected: i64,
    /// What is still open of bills due before the report's day, this month's and earlier.
    pub arrears: i64,
    /// What the state owes for its PBI members for the month.
    pub pbi: i64,
    /// Employers' JKN bills for their wage earners (PPU) for the month, and paid of them.
    pub ppu_billed: i64,
    pub ppu_collected: i64,
    /// Employers' BPJS Ketenagakerjaan bills for the month, and paid of them.
    pub tk_billed: i64,
    pub tk_collected: i64,
}

/// The month's bills, collections, arrears and PBI contributions in `scope`, by the areas
/// whose codes are the first `child_len` characters of the village codes.
pub async fn finance_by_area(
    c: &impl ConnectionTrait,
    scope: &Scope,
    child_len: usize,
    period: &str,
    arrears_before: NaiveDate,
) -> Result<Vec<AreaFinance>> {
    let mut out: std::collections::BTreeMap<String, AreaFinance> = Default::default();
    let (area, mut values) = scope_filter(scope, "village_code");
    values.push(period.into());
    for r in query_all(
        c,
        &format!(
            "SELECT SUBSTR(village_code, 1, {child_len}) AS area, COUNT(*) AS bills, \
             CAST(SUM(amount) AS BIGINT) AS billed, CAST(SUM(subsidy) AS BIGINT) AS subsidy, \
             CAST(SUM(paid) AS BIGINT) AS collected, \
             CAST(SUM(CASE WHEN segment = 'BP' THEN amount ELSE 0 END) AS BIGINT) AS bp_billed, \
             CAST(SUM(CASE WHEN segment = 'BP' THEN paid ELSE 0 END) AS BIGINT) AS bp_collected \
             FROM jkn_bills \
             WHERE {area} AND period = ? GROUP BY SUBSTR(village_code, 1, {child_len})"
        ),
        values,
    )
    .await?
    {
        let a: String = col(&r, "area")?;
        let line = out.entry(a.clone()).or_default();
        line.area = a;
        line.bills = col(&r, "bills")?;
        line.billed = col(&r, "billed")?;
        line.subsidy = col(&r, "subsidy")?;
        line.collected = col(&r, "collected")?;
        line.bp_billed = col(&r, "bp_billed")?;
        line.bp_collected = col(&r, "bp_collected")?;
        line.pbpu_billed = line.billed - line.bp_billed;
        line.pbpu_collected = line.collected - line.bp_collected;
    }
    let (area, mut values) = scope_filter(scope, "village_code");
    values.push(period.into());
    values.push(arrears_before.into());
    for r in query_all(
        c,
        &format!(
            "SELECT SUBSTR(village_code, 1, {child_len}) AS area, \
             CAST(SUM(amount - paid) AS BIGINT) AS arrears FROM jkn_bills \
             WHERE {area} AND status = 'open' AND period <= ? AND due_on < ? \
             GROUP BY SUBSTR(village_code, 1, {child_len})"
        ),
        values,
    )
    .await?
    {
        let a: String = col(&r, "area")?;
        let line = out.entry(a.clone()).or_default();
        line.area = a;
        line.arrears = col(&r, "arrears")?;
    }
    let (area, mut values) = scope_filter(scope, "e.village_code");
    values.push(period.into());
    for r in query_all(
        c,
        &format!(
            "SELECT SUBSTR(e.village_code, 1, {child_len}) AS area, \
             CAST(SUM(p.amount) AS BIGINT) AS pbi FROM journal_entries e \
             JOIN postings p ON p.entry_id = e.id \
             WHERE {area} AND e.kind = 'pbi_bill' AND e.period = ? AND p.amount > 0 \
             GROUP BY SUBSTR(e.village_code, 1, {child_len})"
        ),
        values,
    )
    .await?
    {
        let a: String = col(&r, "area")?;
        let line = out.entry(a.clone()).or_default();
        line.area = a;
        line.pbi = col(&r, "pbi")?;
    }
    // Employers' bills: JKN for wage earners (PPU), then BPJS Ketenagakerjaan.
    for (table, ppu) in [("jkn_ppu_bills", true), ("tk_bills", false)] {
        let (area, mut values) = scope_filter(scope, "village_code");
        values.push(period.into());
        for r in query_all(
            c,
            &format!(
                "SELECT SUBSTR(village_code, 1, {child_len}) AS area, \
                 CAST(SUM(total) AS BIGINT) AS billed, \
                 CAST(SUM(CASE WHEN status = 'paid' THEN total ELSE 0 END) AS BIGINT) \
                 AS collected FROM {table} WHERE {area} AND period = ? \
                 GROUP BY SUBSTR(village_code, 1, {child_len})"
            ),
            values,
        )
        .await?
        {
            let a: String = col(&r, "area")?;
            let line = out.entry(a.clone()).or_default();
            line.area = a;
            let (b, k): (i64, i64) = (col(&r, "billed")?, col(&r, "collected")?);
            if ppu {
                line.ppu_billed = b;
                line.ppu_collected = k;
            } else {
                line.tk_billed = b;
                line.tk_collected = k;
            }
        }
    }
    Ok(out.into_values().collect())
}

/// What one channel brought in over a time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelFinance {
    pub channel: String,
    pub payments: i64,
    pub amount: i64,
    /// What the channel charged: the cost of collection.
    pub fees: i64,
}

/// The payments received in `scope` between two instants, by channel.
pub async fn finance_by_channel(
    c: &impl ConnectionTrait,
    scope: &Scope,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<ChannelFinance>> {
    let (area, mut values) = scope_filter(scope, "village_code");
    values.push(from.into());
    values.push(until.into());
    let rows = query_all(
        c,
        &format!(
            "SELECT channel, COUNT(*) AS payments, CAST(SUM(amount) AS BIGINT) AS amount, \
             CAST(SUM(fee) AS BIGINT) AS fees FROM payments \
             WHERE {area} AND received_at >= ? AND received_at < ? GROUP BY channel \
             ORDER BY channel"
        ),
        values,
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ChannelFinance {
                channel: col(r, "channel")?,
                payments: col(r, "payments")?,
                amount: col(r, "amount")?,
                fees: col(r, "fees")?,
            })
        })
        .collect()
}

/// The payments of an employer's bills, newest first.
pub async fn payments_of_employer_bill(
    c: &impl ConnectionTrait,
    bill_id: &str,
) -> Result<Vec<PaymentRow>> {
    fetch_all(
        c,
        &format!("{PAYMENT} WHERE employer_bill_id = ? ORDER BY received_at DESC"),
        vec![bill_id.into()],
    )
    .await
}

/// Books many entries at once, each unless one of its kind exists for its event: how many
/// were booked.
pub async fn insert_entries(
    c: &impl ConnectionTrait,
    entries: &[(EntryRow, Vec<Posting>)],
) -> Result<usize> {
    let mut booked = 0;
    for chunk in entries.chunks(1000) {
        let mut rows = Rows::new(ENTRY_COLUMNS, chunk.len());
        for (e, _) in chunk {
            rows.push(entry_values(e));
        }
        let (insert, values) = rows.insert(c, "journal_entries");
        let sql = format!("{insert} ON CONFLICT (kind, ref_id) DO NOTHING");
        let inserted = execute(c, &sql, values).await? as usize;
        booked += inserted;
        // Nearly always every entry is new; otherwise those of this chunk's ids that are
        // there now are the ones inserted (an event booked before keeps its first id).
        let new: Option<std::collections::HashSet<String>> = if inserted == chunk.len() {
            None
        } else {
            let ids: Vec<String> = chunk.iter().map(|(e, _)| e.id.clone()).collect();
            let (list, values) = keys_in(c, &ids);
            Some(
                query_all(
                    c,
                    &format!("SELECT id FROM journal_entries WHERE id IN {list}"),
                    values,
                )
                .await?
                .iter()
                .map(|r| col::<String>(r, "id"))
                .collect::<Result<_>>()?,
            )
        };
        let lines: Vec<(&EntryRow, usize, &Posting)> = chunk
            .iter()
            .filter(|(e, _)| new.as_ref().is_none_or(|new| new.contains(&e.id)))
            .flat_map(|(e, ps)| ps.iter().enumerate().map(move |(i, p)| (e, i, p)))
            .collect();
        for part in lines.chunks(1000) {
            let mut rows = Rows::new(POSTING_COLUMNS, part.len());
            for (e, line, p) in part {
                rows.push(posting_values(e, *line, p));
            }
            let (sql, values) = rows.insert(c, "postings");
            execute(c, &sql, values).await?;
        }
    }
    Ok(booked)
}

/// Those of the households holding credit.
pub async fn with_credit_among(
    c: &impl ConnectionTrait,
    households: &[String],
) -> Result<std::collections::HashSet<String>> {
    let mut out = std::collections::HashSet::new();
    for chunk in households.chunks(1000) {
        let (list, values) = keys_in(c, chunk);
        for r in query_all(
            c,
            &format!(
                "SELECT DISTINCT household_id FROM payments WHERE credit > 0 \
                 AND household_id IN {list}"
            ),
            values,
        )
        .await?
        {
            out.insert(col::<String>(&r, "household_id")?);
        }
    }
    Ok(out)
}

pub(crate) const ENTRY_COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Text),
    ("kind", Kind::Text),
    ("ref_id", Kind::Text),
    ("village_code", Kind::Text),
    ("period", Kind::Text),
    ("at", Kind::Instant),
    ("memo", Kind::Text),
];

pub(crate) const POSTING_COLUMNS: &[(&str, Kind)] = &[
    ("entry_id", Kind::Text),
    ("line", Kind::Int),
    ("account", Kind::Text),
    ("village_code", Kind::Text),
    ("amount", Kind::BigInt),
];

pub(crate) const PAYMENT_COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Text),
    ("channel", Kind::Text),
    ("idempotency_key", Kind::Text),
    ("reference", Kind::Text),
    ("va_number", Kind::Text),
    ("household_id", Kind::Text),
    ("village_code", Kind::Text),
    ("amount", Kind::BigInt),
    ("fee", Kind::BigInt),
    ("allocated", Kind::BigInt),
    ("credit", Kind::BigInt),
    ("paid_at", Kind::Instant),
    ("received_at", Kind::Instant),
    ("collected_by", Kind::Text),
    ("deposit_id", Kind::Text),
    ("settled_at", Kind::Instant),
    ("entry_id", Kind::Text),
    ("reactivated", Kind::Bool),
    ("employer_bill_id", Kind::Text),
];

/// A journal entry's values, in the order of [`ENTRY_COLUMNS`].
pub(crate) fn entry_values(e: &EntryRow) -> [Value; 7] {
    [
        e.id.clone().into(),
        e.kind.clone().into(),
        e.ref_id.clone().into(),
        e.village_code.clone().into(),
        e.period.clone().into(),
        e.at.into(),
        e.memo.clone().into(),
    ]
}

/// Line `line` of entry `e`, in the order of [`POSTING_COLUMNS`].
pub(crate) fn posting_values(e: &EntryRow, line: usize, p: &Posting) -> [Value; 5] {
    [
        e.id.clone().into(),
        (line as i32).into(),
        p.account.code().into(),
        e.village_code.clone().into(),
        p.amount.into(),
    ]
}

/// A payment's values, in the order of [`PAYMENT_COLUMNS`].
pub(crate) fn payment_values(p: &PaymentRow) -> [Value; 19] {
    [
        p.id.clone().into(),
        p.channel.clone().into(),
        p.idempotency_key.clone().into(),
        p.reference.clone().into(),
        p.va_number.clone().into(),
        p.household_id.clone().into(),
        p.village_code.clone().into(),
        p.amount.into(),
        p.fee.into(),
        p.allocated.into(),
        p.credit.into(),
        p.paid_at.into(),
        p.received_at.into(),
        p.collected_by.clone().into(),
        p.deposit_id.clone().into(),
        p.settled_at.into(),
        p.entry_id.clone().into(),
        p.reactivated.into(),
        p.employer_bill_id.clone().into(),
    ]
}

/// An allocation (payment, bill, amount, when), in the order of [`ALLOCATION_COLUMNS`].
pub(crate) fn allocation_values(a: &Allocation) -> [Value; 4] {
    let (payment, bill, amount, at) = a;
    [
        payment.clone().into(),
        bill.clone().into(),
        (*amount).into(),
        (*at).into(),
    ]
}

pub(crate) const ALLOCATION_COLUMNS: &[(&str, Kind)] = &[
    ("payment_id", Kind::Text),
    ("bill_id", Kind::Text),
    ("amount", Kind::BigInt),
    ("at", Kind::Instant),
];

/// What a payment put on a bill: (payment, bill, amount, when).
pub type Allocation = (String, String, i64, DateTime<Utc>);

/// An amount put on a bill: (bill, amount added, settles it, when).
pub type BillPaid = (String, i64, bool, DateTime<Utc>);

/// Inserts payments, each with its totals, unless their channel and key are booked already:
/// how many were inserted. Two transactions inserting the same key race safely: the second
/// waits for the first and inserts nothing.
pub async fn insert_payments(c: &impl ConnectionTrait, payments: &[&PaymentRow]) -> Result<u64> {
    let mut sorted: Vec<&PaymentRow> = payments.to_vec();
    sorted.sort_by(|a, b| (&a.channel, &a.idempotency_key).cmp(&(&b.channel, &b.idempotency_key)));
    let mut inserted = 0;
    for chunk in sorted.chunks(500) {
        let mut rows = Rows::new(PAYMENT_COLUMNS, chunk.len());
        for p in chunk {
            rows.push(payment_values(p));
        }
        let (insert, values) = rows.insert(c, "payments");
        let sql = format!("{insert} ON CONFLICT (channel, idempotency_key) DO NOTHING");
        inserted += execute(c, &sql, values).await?;
    }
    Ok(inserted)
}

/// Which of these channels and idempotency keys are booked already: (channel, key).
pub async fn booked_keys(
    reads: &crate::BookingReads<'_>,
    keys: &[(&str, &str)],
) -> Result<std::collections::HashSet<(String, String)>> {
    const COLUMNS: &[(&str, Kind)] = &[("channel", Kind::Text), ("idempotency_key", Kind::Text)];
    let mut out = std::collections::HashSet::new();
    for chunk in keys.chunks(1000) {
        let mut rows = Rows::new(COLUMNS, chunk.len());
        for (channel, key) in chunk {
            rows.push([(*channel).into(), (*key).into()]);
        }
        let (table, values) = rows.table_on(reads.backend(), "v");
        let sql = format!(
            "SELECT p.channel, p.idempotency_key FROM {table} JOIN payments p \
             ON p.channel = v.channel AND p.idempotency_key = v.idempotency_key"
        );
        for key in reads.fetch_all::<BookedKey>(&sql, values).await? {
            out.insert((key.channel, key.idempotency_key));
        }
    }
    Ok(out)
}

/// A channel and idempotency key booked.
struct BookedKey {
    channel: String,
    idempotency_key: String,
}

impl FromRow for BookedKey {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(BookedKey {
            channel: col(row, "channel")?,
            idempotency_key: col(row, "idempotency_key")?,
        })
    }
}

/// A virtual account number and the family it belongs to.
struct VaFamily {
    va_number: String,
    household_id: String,
    village_code: String,
}

impl FromRow for VaFamily {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(VaFamily {
            va_number: col(row, "va_number")?,
            household_id: col(row, "household_id")?,
            village_code: col(row, "village_code")?,
        })
    }
}

/// The families many virtual account numbers belong to: va → (household, village). A read
/// outside any transaction (on an SQLite file on the store's own reader connections).
pub async fn families_of_vas(
    store: &crate::Store,
    vas: &[String],
) -> Result<std::collections::HashMap<String, (String, String)>> {
    let mut out = std::collections::HashMap::with_capacity(vas.len());
    for chunk in vas.chunks(1000) {
        let (list, values) = keys_in(store.conn(), chunk);
        let sql = format!(
            "SELECT DISTINCT va_number, household_id, village_code FROM jkn_bills \
             WHERE va_number IN {list}"
        );
        for f in store.fetch_all::<VaFamily>(&sql, values).await? {
            out.insert(f.va_number, (f.household_id, f.village_code));
        }
    }
    Ok(out)
}

/// The open bills of many families, by family and oldest first, locked for the batch's
/// transaction.
///
/// The status is compared as an expression, not a column, so that SQLite looks the families
/// up by their index: with a long list it would otherwise read every open bill through the
/// status index (ten times slower for five hundred families of a million people).
pub async fn open_bills_of(
    reads: &crate::BookingReads<'_>,
    households: &[String],
) -> Result<Vec<BillRow>> {
    let mut out = Vec::new();
    for chunk in households.chunks(1000) {
        let (list, values) = keys_in_on(reads.backend(), chunk);
        let sql = format!(
            "{BILL} WHERE household_id IN {list} AND status || '' = 'open' \
             ORDER BY household_id, period{}",
            for_update_on(reads.backend())
        );
        out.extend(reads.fetch_all::<BillRow>(&sql, values).await?);
    }
    Ok(out)
}

/// Those of the families with a suspended member.
pub async fn suspended_among(
    reads: &crate::BookingReads<'_>,
    households: &[String],
) -> Result<std::collections::HashSet<String>> {
    let mut out = std::collections::HashSet::new();
    for chunk in households.chunks(1000) {
        let (list, values) = keys_in_on(reads.backend(), chunk);
        let sql = format!(
            "SELECT DISTINCT household_id AS id FROM jkn_members WHERE status = 'suspended' \
             AND household_id IN {list}"
        );
        for family in reads.fetch_all::<crate::read::IdRow>(&sql, values).await? {
            out.insert(family.0);
        }
    }
    Ok(out)
}

/// Puts amounts on many bills: (bill, amount added, settles it, when).
pub async fn pay_bills(c: &impl ConnectionTrait, paid: &[BillPaid]) -> Result<()> {
    const COLUMNS: &[(&str, Kind)] = &[
        ("id", Kind::Text),
        ("amount", Kind::BigInt),
        ("status", Kind::Text),
        ("paid_at", Kind::Instant),
    ];
    for chunk in paid.chunks(500) {
        let mut rows = Rows::new(COLUMNS, chunk.len());
        for (id, amount, settles, at) in chunk {
            rows.push([
                id.clone().into(),
                (*amount).into(),
                if *settles { "paid" } else { "open" }.into(),
                if *settles { Some(*at) } else { None }.into(),
            ]);
        }
        let (table, values) = rows.table(c, "v");
        let sql = format!(
            "UPDATE jkn_bills SET paid = jkn_bills.paid + v.amount, status = v.status, \
             paid_at = v.paid_at FROM {table} WHERE jkn_bills.id = v.id"
        );
        execute(c, &sql, values).await?;
    }
    Ok(())
}

/// Records what many payments put on bills: (payment, bill, amount, when), each pair once.
pub async fn insert_allocations(
    c: &impl ConnectionTrait,
    allocations: &[Allocation],
) -> Result<()> {
    for chunk in allocations.chunks(1000) {
        let mut rows = Rows::new(ALLOCATION_COLUMNS, chunk.len());
        for a in chunk {
            rows.push(allocation_values(a));
        }
        let (sql, values) = rows.insert(c, "payment_allocations");
        execute(c, &sql, values).await?;
    }
    Ok(())
}

/// Brings suspended families back into cover from `on`: how many members.
pub async fn reactivate_families(
    c: &impl ConnectionTrait,
    households: &[String],
    on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut n = 0;
    for chunk in households.chunks(1000) {
        let (list, keys) = keys_in(c, chunk);
        let sql = format!(
            "UPDATE jkn_members SET status = 'active', reactivated_on = ?, updated_at = ? \
             WHERE status = 'suspended' AND household_id IN {list}"
        );
        let mut values: Vec<Value> = vec![on.into(), now.into()];
        values.extend(keys);
        n += execute(c, &sql, values).await?;
    }
    Ok(n)
}
