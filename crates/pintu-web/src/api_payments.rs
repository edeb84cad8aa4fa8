//! Payments of JKN contributions: the channels' signed callbacks, cash taken at counters and
//! by agents with its daily deposit, a family's payment history, the ledger's balances, and
//! bank statement reconciliation with its exceptions queue.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::payments::Channel;
use pintu_service::payments::{Booked, PaymentInput};
use pintu_store::payments::{
    AllocationRow, BalanceRow, DepositRow, ExceptionRow, PaymentRow, StatementRow,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::ApiJson;
use crate::error::{ApiError, ErrorBody};
use crate::session::{ApiCtx, ResidentApi};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(callback))
        .routes(routes!(collect_cash, my_cash))
        .routes(routes!(deposit))
        .routes(routes!(list_payments))
        .routes(routes!(family_payments))
        .routes(routes!(my_payments))
        .routes(routes!(balances))
        .routes(routes!(import_statement, list_statements))
        .routes(routes!(list_exceptions))
        .routes(routes!(resolve_exception))
        .routes(routes!(finance_report))
}

/// A payment as reported by a channel.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PaymentIn {
    /// The family's virtual account number.
    pub va_number: String,
    /// Rupiah.
    pub amount: i64,
    /// The channel's reference of the payment, as on its statement.
    pub reference: String,
    /// When the member paid (now if absent; never later than now).
    pub paid_at: Option<DateTime<Utc>>,
}

/// Where part of a payment went.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationOut {
    pub bill_id: String,
    /// The bill's month, `YYYY-MM`.
    pub period: String,
    pub amount: i64,
}

/// A payment as booked.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentOut {
    pub id: String,
    /// `bank_va`, `ewallet`, `retail`, `auto_debit`, `counter` or `agent`.
    pub channel: String,
    pub reference: String,
    pub va_number: String,
    pub amount: i64,
    /// What the channel charges for collecting it.
    pub fee: i64,
    /// Put on bills, oldest first.
    pub allocated: i64,
    /// Over-payment kept for the family's next bills.
    pub credit: i64,
    pub paid_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
    /// The payment brought the suspended family back into cover.
    pub reactivated: bool,
    pub allocations: Vec<AllocationOut>,
}

fn payment_out(p: PaymentRow, allocations: Vec<AllocationRow>) -> PaymentOut {
    PaymentOut {
        id: p.id,
        channel: p.channel,
        reference: p.reference,
        va_number: p.va_number,
        amount: p.amount,
        fee: p.fee,
        allocated: p.allocated,
        credit: p.credit,
        paid_at: p.paid_at,
        received_at: p.received_at,
        settled_at: p.settled_at,
        reactivated: p.reactivated,
        allocations: allocations
            .into_iter()
            .map(|a| AllocationOut {
                bill_id: a.bill_id,
                period: a.period,
                amount: a.amount,
            })
            .collect(),
    }
}

/// What booking did; a duplicate gets the first booking's result.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookedOut {
    pub payment: PaymentOut,
    /// The channel and idempotency key were booked before: nothing was booked now.
    pub duplicate: bool,
}

pub(crate) fn booked(b: Booked) -> (StatusCode, Json<BookedOut>) {
    let status = if b.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (
        status,
        Json(BookedOut {
            payment: payment_out(b.payment, b.allocations),
            duplicate: b.duplicate,
        }),
    )
}

fn idempotency_key(headers: &HeaderMap) -> String {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn input(p: PaymentIn) -> PaymentInput {
    PaymentInput {
        va_number: p.va_number,
        amount: p.amount,
        reference: p.reference,
        paid_at: p.paid_at,
    }
}

/// A payment channel's callback (no bearer token): `bank_va`, `ewallet` or `retail` (the
/// e-wallet gateway's auto-debits have their own, `/api/v1/payments/callbacks/auto_debit`).
/// Signed with the payments secret as `X-Pintu-Signature: sha256=<hex
/// HMAC-SHA256 of "<X-Pintu-Timestamp>.<body>">`, the timestamp within five minutes of now;
/// `Idempotency-Key` names the payment: the same key again returns the first result (200)
/// and books nothing, whatever the timing; the same key with another amount or account is
/// refused (409). The payment goes to the family's oldest open bill first; any rest is kept
/// as credit for the next bills; paying the arrears brings a suspended family back.
#[utoipa::path(post, path = "/api/v1/payments/callbacks/{channel}", tag = "payments",
    request_body = PaymentIn, security(()),
    params(("channel" = String, Path), ("Idempotency-Key" = String, Header),
        ("X-Pintu-Timestamp" = String, Header), ("X-Pintu-Signature" = String, Header)),
    responses((status = 201, body = BookedOut), (status = 200, body = BookedOut),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn callback(
    State(s): State<AppState>,
    Path(channel): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<BookedOut>), ApiError> {
    let lang = crate::api_messages::signed_with(
        s.pintu.payments_secret.as_deref(),
        &headers,
        &body,
        "payment callback",
        "payments_disabled",
    )?;
    let channel = Channel::parse(&channel)
        .filter(|c| c.is_callback())
        .ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "channel_invalid").with_lang(lang)
        })?;
    let Json(p) = Json::<PaymentIn>::from_bytes(&body).map_err(|_| {
        crate::api_messages::webhook_error(StatusCode::UNPROCESSABLE_ENTITY, "malformed_json", lang)
    })?;
    let b = s
        .pintu
        .receive_payment(channel, &idempotency_key(&headers), &input(p), Utc::now())
        .await
        .map_err(|e| ApiError::from_service(e).with_lang(lang))?;
    Ok(booked(b))
}

/// Cash taken from a family.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CashIn {
    /// `counter` (an office counter) or `agent` (an agent in the community).
    pub channel: String,
    pub va_number: String,
    pub amount: i64,
    /// The receipt number given to the payer; the idempotency key if absent.
    pub reference: Option<String>,
}

/// Record cash taken at a counter or by an agent from a family of your area. Send an
/// `Idempotency-Key` (the receipt's number): sending it again returns the first result.
#[utoipa::path(post, path = "/api/v1/payments/cash", tag = "payments", request_body = CashIn,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = BookedOut), (status = 200, body = BookedOut),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn collect_cash(
    State(s): State<AppState>,
    c: ApiCtx,
    headers: HeaderMap,
    ApiJson(b): ApiJson<CashIn>,
) -> Result<(StatusCode, Json<BookedOut>), ApiError> {
    let channel = Channel::parse(&b.channel)
        .filter(|c| c.is_cash())
        .ok_or_else(|| c.err(pintu_service::Error::invalid("channel", "channel_invalid")))?;
    let key = idempotency_key(&headers);
    let reference = b.reference.unwrap_or_else(|| key.clone());
    let r = s
        .pintu
        .collect_cash(
            &c.ctx,
            channel,
            &key,
            &PaymentInput {
                va_number: b.va_number,
                amount: b.amount,
                reference,
                paid_at: None,
            },
            Utc::now(),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(booked(r))
}

/// A day's deposit of collected cash.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepositOut {
    pub id: String,
    pub day: NaiveDate,
    pub payments: i32,
    pub amount: i64,
    pub bank_reference: String,
    pub at: DateTime<Utc>,
}

impl From<DepositRow> for DepositOut {
    fn from(d: DepositRow) -> Self {
        DepositOut {
            id: d.id,
            day: d.day,
            payments: d.payments,
            amount: d.amount,
            bank_reference: d.bank_reference,
            at: d.at,
        }
    }
}

/// The cash you hold and your deposits.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyCashOut {
    /// JKN payments collected and not yet deposited.
    pub undeposited: Vec<PaymentOut>,
    /// BPJS Ketenagakerjaan contributions of non-wage workers (BPU) taken and not yet
    /// deposited.
    pub undeposited_bpu: Vec<BpuCashOut>,
    /// All of it: what the next deposit takes to the bank.
    pub undeposited_amount: i64,
    pub deposits: Vec<DepositOut>,
}

/// A BPU contribution taken in cash.
#[derive(Debug, Serialize, ToSchema)]
pub struct BpuCashOut {
    /// The month it pays, `YYYY-MM`.
    pub period: String,
    pub village_code: String,
    pub amount: i64,
    pub paid_at: DateTime<Utc>,
}

/// The cash you have collected and not yet deposited, and your deposits.
#[utoipa::path(get, path = "/api/v1/payments/cash", tag = "payments",
    responses((status = 200, body = MyCashOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn my_cash(State(s): State<AppState>, c: ApiCtx) -> Result<Json<MyCashOut>, ApiError> {
    let cash = s.pintu.my_cash(&c.ctx).await.map_err(|e| c.err(e))?;
    Ok(Json(MyCashOut {
        undeposited_amount: cash.total(),
        undeposited_bpu: cash
            .bpu
            .into_iter()
            .map(|p| BpuCashOut {
                period: p.period,
                village_code: p.village_code,
                amount: p.total,
                paid_at: p.paid_at,
            })
            .collect(),
        undeposited: cash
            .jkn
            .into_iter()
            .map(|p| payment_out(p, vec![]))
            .collect(),
        deposits: cash.deposits.into_iter().map(DepositOut::from).collect(),
    }))
}

/// Depositing the day's cash.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DepositIn {
    /// The bank's reference of the deposit slip.
    pub bank_reference: String,
}

/// Deposit all the cash you hold at the bank: booked from agent cash to the bank account.
#[utoipa::path(post, path = "/api/v1/payments/deposits", tag = "payments", request_body = DepositIn,
    responses((status = 201, body = DepositOut), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn deposit(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<DepositIn>,
) -> Result<(StatusCode, Json<DepositOut>), ApiError> {
    let d = s
        .pintu
        .deposit_cash(&c.ctx, &b.bank_reference, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(d.deposit.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AreaQuery {
    /// An area code within yours.
    pub area: Option<String>,
    /// Only this channel.
    pub channel: Option<String>,
}

/// The payments received in your area (district back offices and above), newest first.
#[utoipa::path(get, path = "/api/v1/payments", tag = "payments", params(AreaQuery),
    responses((status = 200, body = Vec<PaymentOut>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_payments(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<AreaQuery>,
) -> Result<Json<Vec<PaymentOut>>, ApiError> {
    let channel =
        match q.channel.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(ch) => Some(Channel::parse(ch).ok_or_else(|| {
                c.err(pintu_service::Error::invalid("channel", "channel_invalid"))
            })?),
        };
    let rows = s
        .pintu
        .payments_list(&c.ctx, q.area.as_deref(), channel)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(
        rows.into_iter().map(|p| payment_out(p, vec![])).collect(),
    ))
}

/// A member's family's payments, newest first, with the bills each paid.
#[utoipa::path(get, path = "/api/v1/persons/{id}/jkn/payments", tag = "payments",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<PaymentOut>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn family_payments(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<Vec<PaymentOut>>, ApiError> {
    let rows = s
        .pintu
        .family_payments(&c.ctx, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(
        rows.into_iter().map(|(p, a)| payment_out(p, a)).collect(),
    ))
}

/// Your family's payments (residents).
#[utoipa::path(get, path = "/api/v1/me/persons/{id}/jkn/payments", tag = "me",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<PaymentOut>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn my_payments(
    State(s): State<AppState>,
    ResidentApi(r): ResidentApi,
    Path(id): Path<String>,
) -> Result<Json<Vec<PaymentOut>>, ApiError> {
    let rows = s
        .pintu
        .family_payments(&r.ctx, &id)
        .await
        .map_err(|e| r.err(e))?;
    Ok(Json(
        rows.into_iter().map(|(p, a)| payment_out(p, a)).collect(),
    ))
}

/// An account's balance.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceOut {
    pub account: String,
    pub debits: i64,
    pub credits: i64,
    /// Debits less credits.
    pub balance: i64,
}

impl From<BalanceRow> for BalanceOut {
    fn from(b: BalanceRow) -> Self {
        BalanceOut {
            account: b.account,
            debits: b.debits,
            credits: b.credits,
            balance: b.balance,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AreaOnly {
    /// An area code within yours.
    pub area: Option<String>,
}

/// The ledger's accounts with their balances in your area (district back offices and
/// above): member receivables, subsidies receivable, clearing per channel, agent cash, bank,
/// member credit, collection cost, fees payable, contribution revenue, arrears written off.
#[utoipa::path(get, path = "/api/v1/ledger/balances", tag = "payments", params(AreaOnly),
    responses((status = 200, body = Vec<BalanceOut>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn balances(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<AreaOnly>,
) -> Result<Json<Vec<BalanceOut>>, ApiError> {
    let rows = s
        .pintu
        .ledger_balances(&c.ctx, q.area.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(BalanceOut::from).collect()))
}

/// An imported statement and what matching found.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementOut {
    pub id: String,
    pub channel: String,
    pub file_name: String,
    pub from_day: NaiveDate,
    pub to_day: NaiveDate,
    pub lines: i32,
    pub matched: i32,
    pub exceptions: i32,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
    /// The same file was imported before; nothing was done now.
    pub already_imported: bool,
}

fn statement_out(s: StatementRow, already_imported: bool) -> StatementOut {
    StatementOut {
        id: s.id,
        channel: s.channel,
        file_name: s.file_name,
        from_day: s.from_day,
        to_day: s.to_day,
        lines: s.lines,
        matched: s.matched,
        exceptions: s.exceptions,
        imported_by: s.imported_by,
        imported_at: s.imported_at,
        already_imported,
    }
}

/// Import a channel's statement (multipart: `channel`, `file`; CSV with the columns `date`
/// (YYYY-MM-DD), `reference`, `amount`) and reconcile it, in one transaction: a file with a
/// bad line is refused whole, naming the lines; the same file again changes nothing.
/// National finance unit only.
#[utoipa::path(post, path = "/api/v1/reconciliation/statements", tag = "payments",
    request_body(content_type = "multipart/form-data", content = String),
    responses((status = 201, body = StatementOut), (status = 200, body = StatementOut),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_statement(
    State(s): State<AppState>,
    c: ApiCtx,
    mut form: Multipart,
) -> Result<(StatusCode, Json<StatementOut>), ApiError> {
    let (mut channel, mut file) = (None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("channel") => channel = field.text().await.ok(),
            Some("file") => {
                let name = field.file_name().unwrap_or("statement.csv").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| c.err(pintu_service::Error::invalid("file", "upload_failed")))?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    let channel = channel
        .as_deref()
        .and_then(Channel::parse)
        .ok_or_else(|| c.err(pintu_service::Error::invalid("channel", "channel_invalid")))?;
    let (name, bytes) =
        file.ok_or_else(|| c.err(pintu_service::Error::invalid("file", "required")))?;
    let r = s
        .pintu
        .import_statement(&c.ctx, channel, &name, &bytes, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    let status = if r.already_imported {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(statement_out(r.statement, r.already_imported))))
}

/// The statements imported, newest first.
#[utoipa::path(get, path = "/api/v1/reconciliation/statements", tag = "payments",
    responses((status = 200, body = Vec<StatementOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_statements(
    State(s): State<AppState>,
    c: ApiCtx,
) -> Result<Json<Vec<StatementOut>>, ApiError> {
    let rows = s.pintu.statements(&c.ctx).await.map_err(|e| c.err(e))?;
    Ok(Json(
        rows.into_iter().map(|r| statement_out(r, false)).collect(),
    ))
}

/// Something reconciliation could not match.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExceptionOut {
    pub id: String,
    pub statement_id: String,
    /// `missing_ours` (on the statement, no payment in Pintu), `missing_bank` (a payment the
    /// statement does not show) or `amount_differs`.
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

impl From<ExceptionRow> for ExceptionOut {
    fn from(e: ExceptionRow) -> Self {
        ExceptionOut {
            id: e.id,
            statement_id: e.statement_id,
            kind: e.kind,
            channel: e.channel,
            reference: e.reference,
            payment_id: e.payment_id,
            line_no: e.line_no,
            amount_ours: e.amount_ours,
            amount_bank: e.amount_bank,
            village_code: e.village_code,
            status: e.status,
            resolution: e.resolution,
            resolved_by: e.resolved_by,
            resolved_at: e.resolved_at,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExceptionQuery {
    /// An area code within yours.
    pub area: Option<String>,
    /// Only the open ones (default true).
    pub open: Option<bool>,
}

/// The reconciliation exceptions of your area, open first (those with no known area only
/// for the national finance unit).
#[utoipa::path(get, path = "/api/v1/reconciliation/exceptions", tag = "payments", params(ExceptionQuery),
    responses((status = 200, body = Vec<ExceptionOut>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_exceptions(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<ExceptionQuery>,
) -> Result<Json<Vec<ExceptionOut>>, ApiError> {
    let rows = s
        .pintu
        .recon_exceptions(&c.ctx, q.area.as_deref(), q.open.unwrap_or(true))
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(ExceptionOut::from).collect()))
}

/// Closing an exception.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveIn {
    /// What was found and done.
    pub resolution: String,
}

/// Close an exception with what was found and done.
#[utoipa::path(post, path = "/api/v1/reconciliation/exceptions/{id}/resolve", tag = "payments",
    params(("id" = String, Path)), request_body = ResolveIn,
    responses((status = 200, body = ExceptionOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn resolve_exception(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ResolveIn>,
) -> Result<Json<ExceptionOut>, ApiError> {
    let e = s
        .pintu
        .resolve_exception(&c.ctx, &id, &b.resolution, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(e.into()))
}

/// One area's line of the finance report.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaFinanceOut {
    pub area: String,
    pub bills: i64,
    /// Families' part of the month's bills.
    pub billed: i64,
    /// The state's part of them (class 3 subsidy).
    pub subsidy: i64,
    /// Paid so far of the month's bills.
    pub collected: i64,
    /// Of `billed` and `collected`: families of informal workers (PBPU) and of those not
    /// working (BP).
    pub pbpu_billed: i64,
    pub pbpu_collected: i64,
    pub bp_billed: i64,
    pub bp_collected: i64,
    /// Open on bills due before the month's end (or today), this month's and earlier.
    pub arrears: i64,
    /// The state's contributions for PBI members for the month.
    pub pbi: i64,
    /// Employers' JKN bills for wage earners (PPU) for the month, and paid of them.
    pub ppu_billed: i64,
    pub ppu_collected: i64,
    /// Employers' BPJS Ketenagakerjaan bills for the month, and paid of them.
    pub tk_billed: i64,
    pub tk_collected: i64,
}

impl From<pintu_store::payments::AreaFinance> for AreaFinanceOut {
    fn from(a: pintu_store::payments::AreaFinance) -> Self {
        AreaFinanceOut {
            area: a.area,
            bills: a.bills,
            billed: a.billed,
            subsidy: a.subsidy,
            collected: a.collected,
            pbpu_billed: a.pbpu_billed,
            pbpu_collected: a.pbpu_collected,
            bp_billed: a.bp_billed,
            bp_collected: a.bp_collected,
            arrears: a.arrears,
            pbi: a.pbi,
            ppu_billed: a.ppu_billed,
            ppu_collected: a.ppu_collected,
            tk_billed: a.tk_billed,
            tk_collected: a.tk_collected,
        }
    }
}

/// What a channel brought in.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelFinanceOut {
    pub channel: String,
    pub payments: i64,
    pub amount: i64,
    /// The cost of collection.
    pub fees: i64,
}

/// The monthly finance report.
#[derive(Debug, Serialize, ToSchema)]
pub struct FinanceReportOut {
    pub month: String,
    pub area: Option<String>,
    pub areas: Vec<AreaFinanceOut>,
    pub total: AreaFinanceOut,
    /// Collected over billed, per mille.
    pub collection_per_mille: Option<i64>,
    pub channels: Vec<ChannelFinanceOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportQuery {
    /// An area code within yours.
    pub area: Option<String>,
    /// `YYYY-MM`.
    pub month: String,
}

/// The monthly consolidated finance report of your area (district back offices and above):
/// billed, collected, collection ratio, arrears and PBI contributions by child area, and
/// the month's payments by channel with the cost of collecting them.
#[utoipa::path(get, path = "/api/v1/finance/report", tag = "payments", params(ReportQuery),
    responses((status = 200, body = FinanceReportOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn finance_report(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<ReportQuery>,
) -> Result<Json<FinanceReportOut>, ApiError> {
    let r = s
        .pintu
        .finance_report(&c.ctx, q.area.as_deref(), &q.month, pintu_service::today())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(FinanceReportOut {
        month: r.month,
        area: r.area,
        areas: r.areas.into_iter().map(AreaFinanceOut::from).collect(),
        total: r.total.into(),
        collection_per_mille: r.collection_per_mille,
        channels: r
            .channels
            .into_iter()
            .map(|c| ChannelFinanceOut {
                channel: c.channel,
                payments: c.payments,
                amount: c.amount,
                fees: c.fees,
            })
            .collect(),
    }))
}
