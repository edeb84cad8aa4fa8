//! E-wallet auto-debit: families' mandates (one active per family, with their history) and
//! the debit requests sent to the e-wallet gateway, one per bill and attempt.

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;

use crate::{FromRow, Result, Row, col, execute, fetch_all, fetch_one, query_all, scope_filter};

/// A family's authorisation to debit its JKN bills from an e-wallet account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MandateRow {
    pub id: String,
    pub household_id: String,
    pub village_code: String,
    /// A [`pintu_domain::autodebit::Wallet`] code.
    pub wallet: String,
    /// The wallet account's phone number, `+62...`.
    pub phone: String,
    /// `pending` (waiting for the code sent to the wallet's number), `active`, `cancelled`
    /// (stopped after it was active) or `unconfirmed` (withdrawn or replaced before its
    /// code came back).
    pub status: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The hash of a pending mandate's code, salted with the mandate's id.
    #[serde(skip)]
    pub code_hash: Option<String>,
    pub code_expires_at: Option<DateTime<Utc>>,
    /// Wrong guesses spent on the code.
    pub code_attempts: i32,
    /// When the code came back (none for mandates set up before codes were asked).
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl FromRow for MandateRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(MandateRow {
            id: col(row, "id")?,
            household_id: col(row, "household_id")?,
            village_code: col(row, "village_code")?,
            wallet: col(row, "wallet")?,
            phone: col(row, "phone")?,
            status: col(row, "status")?,
            created_by: col(row, "created_by")?,
            created_at: col(row, "created_at")?,
            cancelled_by: col(row, "cancelled_by")?,
            cancelled_at: col(row, "cancelled_at")?,
            code_hash: col(row, "code_hash")?,
            code_expires_at: col(row, "code_expires_at")?,
            code_attempts: col(row, "code_attempts")?,
            confirmed_at: col(row, "confirmed_at")?,
        })
    }
}

const MANDATE: &str = "SELECT id, household_id, village_code, wallet, phone, status, \
     created_by, created_at, cancelled_by, cancelled_at, code_hash, code_expires_at, \
     code_attempts, confirmed_at FROM debit_mandates";

/// Inserts a pending mandate, waiting for its code.
pub async fn insert_pending_mandate(c: &impl ConnectionTrait, m: &MandateRow) -> Result<()> {
    execute(
        c,
        "INSERT INTO debit_mandates (id, household_id, village_code, wallet, phone, status, \
         created_by, created_at, code_hash, code_expires_at, code_attempts) \
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, 0)",
        vec![
            m.id.clone().into(),
            m.household_id.clone().into(),
            m.village_code.clone().into(),
            m.wallet.clone().into(),
            m.phone.clone().into(),
            m.created_by.clone().into(),
            m.created_at.into(),
            m.code_hash.clone().into(),
            m.code_expires_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The family's active mandate, if any.
pub async fn active_mandate(
    c: &impl ConnectionTrait,
    household_id: &str,
) -> Result<Option<MandateRow>> {
    fetch_one(
        c,
        &format!("{MANDATE} WHERE active_household = ?"),
        vec![household_id.into()],
    )
    .await
}

/// The family's mandate waiting for its code, if any (the newest: a new one replaces it).
pub async fn pending_mandate(
    c: &impl ConnectionTrait,
    household_id: &str,
) -> Result<Option<MandateRow>> {
    fetch_one(
        c,
        &format!(
            "{MANDATE} WHERE household_id = ? AND status = 'pending' \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        ),
        vec![household_id.into()],
    )
    .await
}

/// Mandates set up for the family since `since`, whatever became of them (codes sent).
pub async fn mandates_since(
    c: &impl ConnectionTrait,
    household_id: &str,
    since: DateTime<Utc>,
) -> Result<i64> {
    let row = crate::query_one(
        c,
        "SELECT COUNT(*) AS n FROM debit_mandates WHERE household_id = ? AND created_at >= ?",
        vec![household_id.into(), since.into()],
    )
    .await?;
    match row {
        Some(r) => col(&r, "n"),
        None => Ok(0),
    }
}

/// Every mandate the family has had, newest first.
pub async fn mandates_of(c: &impl ConnectionTrait, household_id: &str) -> Result<Vec<MandateRow>> {
    fetch_all(
        c,
        &format!("{MANDATE} WHERE household_id = ? ORDER BY created_at DESC, id DESC"),
        vec![household_id.into()],
    )
    .await
}

/// Withdraws the family's pending mandates (a new one replaces them, or the family stops
/// it): their codes no longer count. How many.
pub async fn withdraw_pending(
    c: &impl ConnectionTrait,
    household_id: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<u64> {
    execute(
        c,
        "UPDATE debit_mandates SET status = 'unconfirmed', code_hash = NULL, \
         cancelled_by = ?, cancelled_at = ? WHERE household_id = ? AND status = 'pending'",
        vec![by.into(), at.into(), household_id.into()],
    )
    .await
}

/// Spends one guess on a pending mandate's code: `false` when it is no longer pending, its
/// code has expired or its guesses are spent.
pub async fn take_code_guess(
    c: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
    max_guesses: i32,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE debit_mandates SET code_attempts = code_attempts + 1 \
         WHERE id = ? AND status = 'pending' AND code_expires_at > ? AND code_attempts < ?",
        vec![id.into(), now.into(), max_guesses.into()],
    )
    .await?
        == 1)
}

/// Makes a pending mandate the family's active one: `false` if it is no longer pending; a
/// family with an active mandate already is a conflict (`debit_mandate_exists`).
pub async fn activate_mandate(
    c: &impl ConnectionTrait,
    id: &str,
    household_id: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE debit_mandates SET status = 'active', active_household = ?, confirmed_at = ?, \
         code_hash = NULL WHERE id = ? AND status = 'pending'",
        vec![household_id.into(), at.into(), id.into()],
    )
    .await?
        == 1)
}

/// Cancels an active mandate: `false` if it was not active.
pub async fn cancel_mandate(
    c: &impl ConnectionTrait,
    id: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE debit_mandates SET status = 'cancelled', active_household = NULL, \
         cancelled_by = ?, cancelled_at = ? WHERE id = ? AND status = 'active'",
        vec![by.into(), at.into(), id.into()],
    )
    .await?
        == 1)
}

/// The debits of a mandate not sent yet are not sent at all.
pub async fn cancel_pending_of_mandate(c: &impl ConnectionTrait, mandate_id: &str) -> Result<u64> {
    execute(
        c,
        "UPDATE debit_requests SET status = 'cancelled' WHERE mandate_id = ? AND status = 'pending'",
        vec![mandate_id.into()],
    )
    .await
}

/// One debit of a bill from a family's e-wallet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DebitRow {
    /// The request id: the idempotency key the gateway is told and calls back with.
    pub id: String,
    pub mandate_id: String,
    pub bill_id: String,
    pub household_id: String,
    pub village_code: String,
    pub va_number: String,
    pub wallet: String,
    #[serde(skip)]
    pub phone: String,
    pub amount: i64,
    /// 1 for the first debit of the bill, then one more each day it is tried again.
    pub attempt: i32,
    /// The day (WIB) it was recorded for.
    pub day: NaiveDate,
    /// A [`pintu_domain::autodebit::DebitStatus`] code.
    pub status: String,
    /// Why it failed, as the gateway said (`insufficient_balance`, `mandate_unknown` ...).
    pub reason: Option<String>,
    /// Sends that got no answer (the gateway unreachable): tried again.
    pub send_errors: i32,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payment_id: Option<String>,
}

impl FromRow for DebitRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(DebitRow {
            id: col(row, "id")?,
            mandate_id: col(row, "mandate_id")?,
            bill_id: col(row, "bill_id")?,
            household_id: col(row, "household_id")?,
            village_code: col(row, "village_code")?,
            va_number: col(row, "va_number")?,
            wallet: col(row, "wallet")?,
            phone: col(row, "phone")?,
            amount: col(row, "amount")?,
            attempt: col(row, "attempt")?,
            day: col(row, "day")?,
            status: col(row, "status")?,
            reason: col(row, "reason")?,
            send_errors: col(row, "send_errors")?,
            created_at: col(row, "created_at")?,
            answered_at: col(row, "answered_at")?,
            paid_at: col(row, "paid_at")?,
            payment_id: col(row, "payment_id")?,
        })
    }
}

const DEBIT: &str = "SELECT id, mandate_id, bill_id, household_id, village_code, va_number, \
     wallet, phone, amount, attempt, day, status, reason, send_errors, created_at, answered_at, \
     paid_at, payment_id FROM debit_requests";

pub async fn debit(c: &impl ConnectionTrait, id: &str) -> Result<Option<DebitRow>> {
    fetch_one(c, &format!("{DEBIT} WHERE id = ?"), vec![id.into()]).await
}

/// A family's debits, newest first, at most `limit`.
pub async fn debits_of(
    c: &impl ConnectionTrait,
    household_id: &str,
    limit: u64,
) -> Result<Vec<DebitRow>> {
    fetch_all(
        c,
        &format!("{DEBIT} WHERE household_id = ? ORDER BY created_at DESC, id DESC LIMIT {limit}"),
        vec![household_id.into()],
    )
    .await
}

/// The debits of families in `scope`, newest first, of one status if given, at most `limit`.
pub async fn debits_in(
    c: &impl ConnectionTrait,
    scope: &Scope,
    status: Option<&str>,
    limit: u64,
) -> Result<Vec<DebitRow>> {
    let (area, mut values) = scope_filter(scope, "village_code");
    let mut sql = format!("{DEBIT} WHERE {area}");
    if let Some(s) = status {
        sql.push_str(" AND status = ?");
        values.push(s.into());
    }
    sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT {limit}"));
    fetch_all(c, &sql, values).await
}

/// An open bill of a family with an active mandate that is due a debit.
#[derive(Debug, Clone, PartialEq)]
pub struct BillToDebit {
    pub bill_id: String,
    pub household_id: String,
    pub village_code: String,
    pub va_number: String,
    pub owed: i64,
    pub mandate_id: String,
    pub wallet: String,
    pub phone: String,
    /// The bill's last attempt so far (0 for none).
    pub last_attempt: i32,
}

/// The open bills in `scope` of families with an active mandate that are due a debit on
/// `day`: none of their debits is under way or paid, none was recorded for `day` or later,
/// and fewer than `max_attempts` were tried (debits not sent do not count).
pub async fn bills_to_debit(
    c: &impl ConnectionTrait,
    scope: &Scope,
    day: NaiveDate,
    max_attempts: i32,
) -> Result<Vec<BillToDebit>> {
    let (area, mut values) = scope_filter(scope, "b.village_code");
    let sql = format!(
        "SELECT b.id AS bill_id, b.household_id, b.village_code, b.va_number, \
         b.amount - b.paid AS owed, m.id AS mandate_id, m.wallet, m.phone, \
         CAST(COALESCE((SELECT MAX(d.attempt) FROM debit_requests d WHERE d.bill_id = b.id), 0) \
         AS INTEGER) AS last_attempt \
         FROM debit_mandates m JOIN jkn_bills b ON b.household_id = m.active_household \
         WHERE m.active_household IS NOT NULL AND b.status = 'open' AND b.amount > b.paid \
         AND {area} \
         AND NOT EXISTS (SELECT 1 FROM debit_requests d WHERE d.bill_id = b.id \
             AND (d.status IN ('pending', 'accepted', 'paid') OR d.day >= ?)) \
         AND (SELECT COUNT(*) FROM debit_requests d WHERE d.bill_id = b.id \
             AND d.status <> 'cancelled') < ? \
         ORDER BY b.household_id, b.period"
    );
    values.push(day.into());
    values.push(max_attempts.into());
    let rows = query_all(c, &sql, values).await?;
    rows.iter()
        .map(|r| {
            Ok(BillToDebit {
                bill_id: col(r, "bill_id")?,
                household_id: col(r, "household_id")?,
                village_code: col(r, "village_code")?,
                va_number: col(r, "va_number")?,
                owed: col(r, "owed")?,
                mandate_id: col(r, "mandate_id")?,
                wallet: col(r, "wallet")?,
                phone: col(r, "phone")?,
                last_attempt: col(r, "last_attempt")?,
            })
        })
        .collect()
}

/// Records debits; one that a concurrent run recorded first (the same bill and attempt) is
/// left out. Returns how many were new.
pub async fn insert_debits(c: &impl ConnectionTrait, debits: &[DebitRow]) -> Result<u64> {
    let mut n = 0;
    for d in debits {
        n += execute(
            c,
            "INSERT INTO debit_requests (id, mandate_id, bill_id, household_id, village_code, \
             va_number, wallet, phone, amount, attempt, day, status, reason, send_errors, \
             created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, ?) \
             ON CONFLICT (bill_id, attempt) DO NOTHING",
            vec![
                d.id.clone().into(),
                d.mandate_id.clone().into(),
                d.bill_id.clone().into(),
                d.household_id.clone().into(),
                d.village_code.clone().into(),
                d.va_number.clone().into(),
                d.wallet.clone().into(),
                d.phone.clone().into(),
                d.amount.into(),
                d.attempt.into(),
                d.day.into(),
                d.status.clone().into(),
                d.created_at.into(),
            ],
        )
        .await?;
    }
    Ok(n)
}

/// The debits recorded and not yet answered by the gateway, oldest first.
pub async fn pending_debits(c: &impl ConnectionTrait, limit: u64) -> Result<Vec<DebitRow>> {
    fetch_all(
        c,
        &format!("{DEBIT} WHERE status = 'pending' ORDER BY created_at, id LIMIT {limit}"),
        vec![],
    )
    .await
}

/// A pending debit no sender holds: none claimed it, or its sender's lease ran out before
/// `now` (it stopped mid-send).
const FREE: &str = "status = 'pending' AND (lease_until IS NULL OR lease_until < ?)";

/// Up to `limit` pending debits free to send at `now`, oldest first.
pub async fn free_pending_debits(
    c: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DebitRow>> {
    fetch_all(
        c,
        &format!("{DEBIT} WHERE {FREE} ORDER BY created_at, id LIMIT {limit}"),
        vec![now.into()],
    )
    .await
}

/// Claims a free pending debit for one sender until `lease_until`: `false` if another
/// sender holds it or it was answered meanwhile. One conditional update, so two senders
/// never hold the same debit.
pub async fn claim_debit(
    c: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        &format!("UPDATE debit_requests SET lease_until = ? WHERE id = ? AND {FREE}"),
        vec![lease_until.into(), id.into(), now.into()],
    )
    .await?
        == 1)
}

/// The gateway's answer to a pending debit: `false` if it was answered (or called back)
/// already, so a late answer never overwrites a callback.
pub async fn mark_answered(
    c: &impl ConnectionTrait,
    id: &str,
    status: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE debit_requests SET status = ?, reason = ?, answered_at = ? \
         WHERE id = ? AND status = 'pending'",
        vec![status.into(), reason.into(), at.into(), id.into()],
    )
    .await?
        == 1)
}

/// A send that got no answer: counted, and released to be tried again later.
pub async fn mark_send_error(c: &impl ConnectionTrait, id: &str) -> Result<()> {
    execute(
        c,
        "UPDATE debit_requests SET send_errors = send_errors + 1, lease_until = NULL \
         WHERE id = ? AND status = 'pending'",
        vec![id.into()],
    )
    .await?;
    Ok(())
}

/// The money of a debit came and was booked as `payment_id`: `false` if it was marked
/// paid before.
pub async fn mark_paid(
    c: &impl ConnectionTrait,
    id: &str,
    payment_id: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE debit_requests SET status = 'paid', reason = NULL, paid_at = ?, payment_id = ?, \
         answered_at = COALESCE(answered_at, ?) WHERE id = ? AND status <> 'paid'",
        vec![at.into(), payment_id.into(), at.into(), id.into()],
    )
    .await?
        == 1)
}

/// A debit the gateway reports failed after taking it: `false` if it was settled before.
pub async fn mark_failed(
    c: &impl ConnectionTrait,
    id: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(execute(
        c,
        "UPDATE debit_requests SET status = 'failed', reason = ?, \
         answered_at = COALESCE(answered_at, ?) WHERE id = ? AND status IN ('pending', 'accepted')",
        vec![reason.into(), at.into(), id.into()],
    )
    .await?
        == 1)
}

/// Whether a pending debit should still go: its bill open and its mandate active.
pub async fn still_due(c: &impl ConnectionTrait, d: &DebitRow) -> Result<bool> {
    let rows = query_all(
        c,
        "SELECT 1 AS n FROM jkn_bills b, debit_mandates m WHERE b.id = ? AND b.status = 'open' \
         AND m.id = ? AND m.status = 'active'",
        vec![Value::from(d.bill_id.clone()), d.mandate_id.clone().into()],
    )
    .await?;
    Ok(!rows.is_empty())
}
