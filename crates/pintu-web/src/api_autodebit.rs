//! E-wallet auto-debit of JKN bills: a family's mandate (set up, cancelled, with its
//! history) for officers of its area and for the resident's own household, the debits of an
//! area, and the e-wallet gateway's signed callback.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use pintu_service::autodebit::{DebitResult, FamilyDebits, Mandate, MandateCode, MandateInput};
use pintu_store::autodebit::DebitRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::ApiJson;
use crate::api_payments::BookedOut;
use crate::error::{ApiError, ErrorBody};
use crate::session::{ApiCtx, ResidentApi};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(debit_callback))
        .routes(routes!(family_mandate, set_mandate))
        .routes(routes!(confirm_mandate))
        .routes(routes!(cancel_mandate))
        .routes(routes!(my_mandate, set_my_mandate))
        .routes(routes!(confirm_my_mandate))
        .routes(routes!(cancel_my_mandate))
        .routes(routes!(list_debits))
}

/// An e-wallet mandate, its phone number masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct MandateOut {
    pub id: String,
    /// `gopay`, `ovo`, `dana`, `shopeepay` or `linkaja`.
    pub wallet: String,
    pub wallet_name: String,
    /// The account's phone number with all but its first four and last three digits hidden.
    pub phone_masked: String,
    /// `pending` (waiting for the code sent to the wallet's number), `active` or
    /// `cancelled`.
    pub status: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Until when a pending mandate's code may be entered.
    pub code_expires_at: Option<DateTime<Utc>>,
    /// When the code came back and the mandate became active.
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl From<Mandate> for MandateOut {
    fn from(m: Mandate) -> Self {
        MandateOut {
            id: m.id,
            wallet: m.wallet,
            wallet_name: m.wallet_name.to_string(),
            phone_masked: m.phone_masked,
            status: m.status,
            created_by: m.created_by,
            created_at: m.created_at,
            cancelled_by: m.cancelled_by,
            cancelled_at: m.cancelled_at,
            code_expires_at: m.code_expires_at,
            confirmed_at: m.confirmed_at,
        }
    }
}

/// A debit of a bill from a family's e-wallet.
#[derive(Debug, Serialize, ToSchema)]
pub struct DebitOut {
    /// The request id: the idempotency key the gateway calls back with.
    pub id: String,
    pub bill_id: String,
    pub va_number: String,
    pub wallet: String,
    pub amount: i64,
    /// 1 for the bill's first debit, then one more for each day it was tried again.
    pub attempt: i32,
    pub day: NaiveDate,
    /// `pending` (recorded, not yet answered), `accepted` (the money is awaited), `paid`,
    /// `failed` or `cancelled` (not sent: the bill was paid or the mandate cancelled).
    pub status: String,
    /// Why it failed: `insufficient_balance`, `mandate_unknown`, `refused` ...
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payment_id: Option<String>,
}

impl From<DebitRow> for DebitOut {
    fn from(d: DebitRow) -> Self {
        DebitOut {
            id: d.id,
            bill_id: d.bill_id,
            va_number: d.va_number,
            wallet: d.wallet,
            amount: d.amount,
            attempt: d.attempt,
            day: d.day,
            status: d.status,
            reason: d.reason,
            created_at: d.created_at,
            answered_at: d.answered_at,
            paid_at: d.paid_at,
            payment_id: d.payment_id,
        }
    }
}

/// A family's auto-debit.
#[derive(Debug, Serialize, ToSchema)]
pub struct FamilyDebitsOut {
    pub active: Option<MandateOut>,
    /// The mandate set up last, waiting for the code sent by SMS to the wallet's number.
    pub pending: Option<MandateOut>,
    /// Every mandate that was in effect, newest first.
    pub mandates: Vec<MandateOut>,
    /// The recent debits, newest first.
    pub debits: Vec<DebitOut>,
    /// Whether Pintu sends debits (an e-wallet gateway is configured); when not, debits are
    /// recorded and wait.
    pub sending: bool,
    /// Whether the family pays its own contributions (PBPU, BP) and may set up a mandate.
    pub applicable: bool,
}

impl From<FamilyDebits> for FamilyDebitsOut {
    fn from(f: FamilyDebits) -> Self {
        FamilyDebitsOut {
            active: f.active.map(MandateOut::from),
            pending: f.pending.map(MandateOut::from),
            mandates: f.mandates.into_iter().map(MandateOut::from).collect(),
            debits: f.debits.into_iter().map(DebitOut::from).collect(),
            sending: f.sending,
            applicable: f.applicable,
        }
    }
}

/// Setting up a mandate.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MandateIn {
    /// `gopay`, `ovo`, `dana`, `shopeepay` or `linkaja`.
    #[serde(default)]
    pub wallet: String,
    /// The e-wallet account's phone number, e.g. `081234567890`.
    #[serde(default)]
    pub phone: String,
}

/// The code that confirms a mandate.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MandateCodeIn {
    /// The six digits sent by SMS to the wallet's number.
    #[serde(default)]
    pub code: String,
}

fn mandate_input(b: MandateIn) -> MandateInput {
    MandateInput {
        wallet: b.wallet,
        phone: b.phone,
    }
}

/// A member's family's auto-debit: its mandate, their history and recent debits.
#[utoipa::path(get, path = "/api/v1/persons/{id}/jkn/debit-mandate", tag = "payments",
    params(("id" = String, Path)),
    responses((status = 200, body = FamilyDebitsOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn family_mandate(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<FamilyDebitsOut>, ApiError> {
    let f = s
        .pintu
        .family_debits(&c.ctx, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(f.into()))
}

/// Start authorising the auto-debit of a member's family's JKN bills from an e-wallet
/// account (officers of the family's area who may change the registry). The mandate is
/// `pending` until the code sent by SMS to the wallet's number is confirmed with
/// `.../debit-mandate/confirm`; a new one replaces a pending one and sends a new code (three
/// in 15 minutes at most: 429 `too_many_attempts`). One active mandate per family: cancel it
/// before setting up another (409 `debit_mandate_exists`).
#[utoipa::path(post, path = "/api/v1/persons/{id}/jkn/debit-mandate", tag = "payments",
    params(("id" = String, Path)), request_body = MandateIn,
    responses((status = 201, body = FamilyDebitsOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn set_mandate(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MandateIn>,
) -> Result<(StatusCode, Json<FamilyDebitsOut>), ApiError> {
    let f = s
        .pintu
        .set_debit_mandate(&c.ctx, &id, &mandate_input(b), Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(f.into())))
}

/// Confirm a member's family's pending mandate with the code the member received by SMS on
/// the wallet's number (officers of its area who may change the registry): it becomes active.
/// A wrong code is 422 `debit_code_wrong`; one expired (10 minutes) or after five wrong
/// guesses is 422 `debit_code_expired`; nothing pending is 409 `debit_mandate_not_pending`.
#[utoipa::path(post, path = "/api/v1/persons/{id}/jkn/debit-mandate/confirm", tag = "payments",
    params(("id" = String, Path)), request_body = MandateCodeIn,
    responses((status = 200, body = FamilyDebitsOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn confirm_mandate(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MandateCodeIn>,
) -> Result<Json<FamilyDebitsOut>, ApiError> {
    let f = s
        .pintu
        .confirm_debit_mandate(&c.ctx, &id, &MandateCode { code: b.code }, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(f.into()))
}

/// Cancel a member's family's auto-debit (officers of its area): debits not yet sent are
/// not sent. Without an active mandate, the pending one is withdrawn.
#[utoipa::path(post, path = "/api/v1/persons/{id}/jkn/debit-mandate/cancel", tag = "payments",
    params(("id" = String, Path)),
    responses((status = 200, body = FamilyDebitsOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_mandate(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<FamilyDebitsOut>, ApiError> {
    let f = s
        .pintu
        .cancel_debit_mandate(&c.ctx, &id, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(f.into()))
}

/// Your family's auto-debit (residents).
#[utoipa::path(get, path = "/api/v1/me/persons/{id}/jkn/debit-mandate", tag = "me",
    params(("id" = String, Path)),
    responses((status = 200, body = FamilyDebitsOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn my_mandate(
    State(s): State<AppState>,
    ResidentApi(r): ResidentApi,
    Path(id): Path<String>,
) -> Result<Json<FamilyDebitsOut>, ApiError> {
    let f = s
        .pintu
        .family_debits(&r.ctx, &id)
        .await
        .map_err(|e| r.err(e))?;
    Ok(Json(f.into()))
}

/// Start authorising the auto-debit of your family's JKN bills from your e-wallet account
/// (residents): a code goes by SMS to the wallet's number, to confirm with
/// `.../debit-mandate/confirm`.
#[utoipa::path(post, path = "/api/v1/me/persons/{id}/jkn/debit-mandate", tag = "me",
    params(("id" = String, Path)), request_body = MandateIn,
    responses((status = 201, body = FamilyDebitsOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn set_my_mandate(
    State(s): State<AppState>,
    ResidentApi(r): ResidentApi,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MandateIn>,
) -> Result<(StatusCode, Json<FamilyDebitsOut>), ApiError> {
    let f = s
        .pintu
        .set_debit_mandate(&r.ctx, &id, &mandate_input(b), Utc::now())
        .await
        .map_err(|e| r.err(e))?;
    Ok((StatusCode::CREATED, Json(f.into())))
}

/// Confirm your family's pending mandate with the code sent by SMS to the wallet's number
/// (residents): it becomes active.
#[utoipa::path(post, path = "/api/v1/me/persons/{id}/jkn/debit-mandate/confirm", tag = "me",
    params(("id" = String, Path)), request_body = MandateCodeIn,
    responses((status = 200, body = FamilyDebitsOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn confirm_my_mandate(
    State(s): State<AppState>,
    ResidentApi(r): ResidentApi,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MandateCodeIn>,
) -> Result<Json<FamilyDebitsOut>, ApiError> {
    let f = s
        .pintu
        .confirm_debit_mandate(&r.ctx, &id, &MandateCode { code: b.code }, Utc::now())
        .await
        .map_err(|e| r.err(e))?;
    Ok(Json(f.into()))
}

/// Cancel your family's auto-debit (residents); without an active mandate, the pending one
/// is withdrawn.
#[utoipa::path(post, path = "/api/v1/me/persons/{id}/jkn/debit-mandate/cancel", tag = "me",
    params(("id" = String, Path)),
    responses((status = 200, body = FamilyDebitsOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_my_mandate(
    State(s): State<AppState>,
    ResidentApi(r): ResidentApi,
    Path(id): Path<String>,
) -> Result<Json<FamilyDebitsOut>, ApiError> {
    let f = s
        .pintu
        .cancel_debit_mandate(&r.ctx, &id, Utc::now())
        .await
        .map_err(|e| r.err(e))?;
    Ok(Json(f.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DebitQuery {
    /// An area code within yours.
    pub area: Option<String>,
    /// Only debits with this status (`pending`, `accepted`, `paid`, `failed`, `cancelled`).
    pub status: Option<String>,
}

/// The auto-debits of families in your area, newest first (district back offices and
/// above): failed ones with `status=failed`.
#[utoipa::path(get, path = "/api/v1/payments/debits", tag = "payments", params(DebitQuery),
    responses((status = 200, body = Vec<DebitOut>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_debits(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<DebitQuery>,
) -> Result<Json<Vec<DebitOut>>, ApiError> {
    let rows = s
        .pintu
        .debits_list(&c.ctx, q.area.as_deref(), q.status.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(DebitOut::from).collect()))
}

/// The e-wallet gateway's report of a debit.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DebitResultIn {
    /// `paid` (the money was taken) or `failed`; `paid` if absent.
    pub status: Option<String>,
    /// The family's virtual account, as in the debit request.
    pub va_number: String,
    /// Rupiah: the debit request's amount.
    pub amount: i64,
    /// The gateway's reference of the money, as on its statement (the request id if absent).
    pub reference: Option<String>,
    /// When the wallet was debited (now if absent; never later than now).
    pub paid_at: Option<DateTime<Utc>>,
    /// Why it failed: `insufficient_balance`, `mandate_unknown` ...
    pub reason: Option<String>,
}

/// What a debit callback did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DebitSettledOut {
    pub debit: DebitOut,
    /// The payment booked for a paid debit (the first booking's on a repeat).
    pub booked: Option<BookedOut>,
}

/// The e-wallet gateway's callback for an auto-debit (no bearer token), signed like every
/// payment callback (`X-Pintu-Signature: sha256=<hex HMAC-SHA256 of
/// "<X-Pintu-Timestamp>.<body>">` with the payments secret); `Idempotency-Key` is the debit
/// request's id. A paid debit is booked on the `auto_debit` channel under that key, oldest
/// bill first, once however often it comes (200 with `duplicate` on a repeat); a failed one
/// fails the debit and tells the family by SMS. A request id Pintu did not send is refused
/// (422 `debit_unknown`).
#[utoipa::path(post, path = "/api/v1/payments/callbacks/auto_debit", tag = "payments",
    request_body = DebitResultIn, security(()),
    params(("Idempotency-Key" = String, Header),
        ("X-Pintu-Timestamp" = String, Header), ("X-Pintu-Signature" = String, Header)),
    responses((status = 201, body = DebitSettledOut), (status = 200, body = DebitSettledOut),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn debit_callback(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<DebitSettledOut>), ApiError> {
    let lang = crate::api_messages::signed_with(
        s.pintu.payments_secret.as_deref(),
        &headers,
        &body,
        "debit callback",
        "payments_disabled",
    )?;
    let Json(b) = Json::<DebitResultIn>::from_bytes(&body).map_err(|_| {
        crate::api_messages::webhook_error(StatusCode::UNPROCESSABLE_ENTITY, "malformed_json", lang)
    })?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let result = DebitResult {
        status: b.status.unwrap_or_else(|| "paid".into()),
        va_number: b.va_number,
        amount: b.amount,
        reference: b.reference,
        paid_at: b.paid_at,
        reason: b.reason,
    };
    let settled = s
        .pintu
        .receive_debit_result(&key, &result, Utc::now())
        .await
        .map_err(|e| ApiError::from_service(e).with_lang(lang))?;
    let status = match &settled.booked {
        Some(b) if !b.duplicate => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    Ok((
        status,
        Json(DebitSettledOut {
            debit: settled.debit.into(),
            booked: settled.booked.map(|b| crate::api_payments::booked(b).1.0),
        }),
    ))
}
