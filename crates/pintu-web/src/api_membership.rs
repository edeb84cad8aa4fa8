//! `/api/v1/persons/{id}/jkn`: JKN membership (card, segment, class, FKTP, status) and
//! changes of FKTP; `/api/v1/coverage/check` for facilities; `/api/v1/facilities`; and the
//! resident's own `/api/v1/me/persons/{id}/jkn`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use pintu_service::membership::{Coverage, FktpInput, Membership, MembershipInput};
use pintu_store::jkn::FacilityRow;
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
        .routes(routes!(register, get_membership))
        .routes(routes!(change_fktp))
        .routes(routes!(coverage))
        .routes(routes!(facilities))
        .routes(routes!(my_membership))
        .routes(routes!(my_fktp))
        .routes(routes!(denda))
        .routes(routes!(billing))
}

/// A family's bill for one month.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillOut {
    /// `YYYY-MM`.
    pub period: String,
    /// The family's virtual account number to pay into.
    pub va_number: String,
    pub members: i32,
    /// What the family pays, in rupiah.
    pub amount: i64,
    /// What the family has paid of it so far.
    pub paid: i64,
    /// What the state pays on top (the class 3 subsidy).
    pub subsidy: i64,
    pub due_on: NaiveDate,
    /// `open`, `paid` or `written_off` (arrears beyond the 24 months that count).
    pub status: String,
}

/// Running the monthly billing.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BillingIn {
    /// `YYYY-MM`.
    pub period: String,
}

/// What a billing run did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillingOut {
    pub period: String,
    pub families: u64,
    pub billed: u64,
    pub already_billed: u64,
    pub amount: i64,
    pub suspended: u64,
    /// What the state owes for its PBI members this month (booked once per month).
    pub pbi_amount: i64,
    /// Bills older than the 24 months of arrears that count, written off.
    pub written_off: u64,
}

/// Bill every PBPU and BP family of your area for a month (district back offices and
/// above): one bill per family, due on the 10th; running it again bills nobody twice. Families
/// with a bill of an earlier month still open are suspended.
#[utoipa::path(post, path = "/api/v1/jkn/billing", tag = "jkn", request_body = BillingIn,
    responses((status = 200, body = BillingOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn billing(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<BillingIn>,
) -> Result<Json<BillingOut>, ApiError> {
    let r = s
        .pintu
        .run_billing(&c.ctx, &b.period, pintu_service::today(), Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(BillingOut {
        period: r.period,
        families: r.families,
        billed: r.billed,
        already_billed: r.already_billed,
        amount: r.amount,
        suspended: r.suspended,
        pbi_amount: r.pbi_amount,
        written_off: r.written_off,
    }))
}

/// A primary care provider.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacilityOut {
    pub code: String,
    pub name: String,
    /// `puskesmas`, `clinic` or `doctor`.
    pub kind: String,
    pub regency_code: String,
    pub address: Option<String>,
}

impl From<FacilityRow> for FacilityOut {
    fn from(f: FacilityRow) -> Self {
        FacilityOut {
            code: f.code,
            name: f.name,
            kind: f.kind,
            regency_code: f.regency_code,
            address: f.address,
        }
    }
}

/// A card of the household.
#[derive(Debug, Serialize, ToSchema)]
pub struct FamilyCardOut {
    pub person_id: String,
    pub person_name: String,
    pub card_number: String,
    pub class: i32,
    pub status: String,
}

/// A JKN membership.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipOut {
    pub person_id: String,
    pub person_name: String,
    /// The KIS card number (13 digits).
    pub card_number: String,
    /// `PBI-APBN`, `PBI-APBD`, `PPU`, `PBPU` or `BP`.
    pub segment: String,
    pub class: i32,
    /// `active`, `suspended` or `inactive`.
    pub status: String,
    pub start_date: NaiveDate,
    pub fktp: Option<FacilityOut>,
    pub fktp_since: NaiveDate,
    /// The FKTP the member moves to, and from when.
    pub next_fktp: Option<FacilityOut>,
    pub next_fktp_on: Option<NaiveDate>,
    /// From this day the FKTP can change without an exception.
    pub fktp_change_from: NaiveDate,
    pub family: Vec<FamilyCardOut>,
    /// The family's bills, newest first.
    pub bills: Vec<BillOut>,
    /// Open bills past their due date, in rupiah.
    pub arrears: i64,
}

impl From<Membership> for MembershipOut {
    fn from(m: Membership) -> Self {
        let r = m.member;
        MembershipOut {
            person_id: r.person_id,
            person_name: r.person_name,
            card_number: r.card_number,
            segment: r.segment,
            class: r.class,
            status: r.status,
            start_date: r.start_date,
            fktp: m.fktp.map(Into::into),
            fktp_since: r.fktp_since,
            next_fktp: m.next_fktp.map(Into::into),
            next_fktp_on: r.next_fktp_on,
            fktp_change_from: m.fktp_change_from,
            bills: m
                .bills
                .into_iter()
                .map(|b| BillOut {
                    period: b.period,
                    va_number: b.va_number,
                    members: b.members,
                    amount: b.amount,
                    paid: b.paid,
                    subsidy: b.subsidy,
                    due_on: b.due_on,
                    status: b.status,
                })
                .collect(),
            arrears: m.arrears,
            family: m
                .family
                .into_iter()
                .map(|f| FamilyCardOut {
                    person_id: f.person_id,
                    person_name: f.person_name,
                    card_number: f.card_number,
                    class: f.class,
                    status: f.status,
                })
                .collect(),
        }
    }
}

/// Registering a membership.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MembershipIn {
    /// `PBI-APBN`, `PBI-APBD`, `PPU`, `PBPU` (the whole household joins, in one class) or `BP`.
    pub segment: String,
    /// 1, 2 or 3 (PBI: always 3).
    pub class: Option<i64>,
    /// The FKTP's code (`GET /api/v1/facilities`).
    pub fktp: String,
    /// `YYYY-MM-DD`; today when absent.
    pub start_date: Option<String>,
}

/// Register a person's JKN membership (409 `jkn_member_exists` if they have one).
#[utoipa::path(post, path = "/api/v1/persons/{id}/jkn", tag = "jkn", params(("id" = String, Path)), request_body = MembershipIn,
    responses((status = 201, body = MembershipOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MembershipIn>,
) -> Result<(StatusCode, Json<MembershipOut>), ApiError> {
    let input = MembershipInput {
        person_id: id,
        segment: b.segment,
        class: b.class,
        fktp: b.fktp,
        start_date: b.start_date,
    };
    let m = s
        .pintu
        .register_membership(&c.ctx, &input, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

/// A person's JKN membership.
#[utoipa::path(get, path = "/api/v1/persons/{id}/jkn", tag = "jkn", params(("id" = String, Path)),
    responses((status = 200, body = MembershipOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_membership(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<MembershipOut>, ApiError> {
    let m = s
        .pintu
        .membership(&c.ctx, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(m.into()))
}

/// Asking for another FKTP.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FktpIn {
    pub fktp: String,
    /// `moved_house` or `official_assignment`: to change before three months (with a reason).
    pub exception: Option<String>,
    pub reason: Option<String>,
}

impl From<FktpIn> for FktpInput {
    fn from(b: FktpIn) -> Self {
        FktpInput {
            fktp: b.fktp,
            exception: b.exception,
            reason: b.reason,
        }
    }
}

/// Change the FKTP from the first of the next month: after three months with the current
/// one (409 `fktp_change_too_soon` before), or sooner with an exception.
#[utoipa::path(post, path = "/api/v1/persons/{id}/jkn/fktp", tag = "jkn", params(("id" = String, Path)), request_body = FktpIn,
    responses((status = 200, body = MembershipOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_fktp(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<FktpIn>,
) -> Result<Json<MembershipOut>, ApiError> {
    let m = s
        .pintu
        .change_fktp(&c.ctx, &id, &b.into(), Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(m.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CoverageQuery {
    /// The KIS card number (13 digits), as scanned from the card's QR code.
    pub card: String,
}

/// What a facility learns of a card.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageOut {
    /// Whether the card covers care today.
    pub active: bool,
    pub class: i32,
    pub fktp_code: String,
    pub fktp_name: Option<String>,
}

impl From<Coverage> for CoverageOut {
    fn from(c: Coverage) -> Self {
        CoverageOut {
            active: c.active,
            class: c.class,
            fktp_code: c.fktp_code,
            fktp_name: c.fktp_name,
        }
    }
}

/// For facilities: whether a card covers care today, its class and its FKTP — nothing else.
#[utoipa::path(get, path = "/api/v1/coverage/check", tag = "jkn", params(CoverageQuery),
    responses((status = 200, body = CoverageOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn coverage(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<CoverageQuery>,
) -> Result<Json<CoverageOut>, ApiError> {
    let cov = s
        .pintu
        .coverage(&c.ctx, &q.card)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(cov.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct FacilityQuery {
    /// A regency code; all facilities when absent.
    pub regency: Option<String>,
}

/// The primary care providers (FKTP) members choose from.
#[utoipa::path(get, path = "/api/v1/facilities", tag = "jkn", params(FacilityQuery),
    responses((status = 200, body = Vec<FacilityOut>), (status = 401, body = ErrorBody)))]
async fn facilities(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<FacilityQuery>,
) -> Result<Json<Vec<FacilityOut>>, ApiError> {
    let rows = s
        .pintu
        .facilities(
            q.regency
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty()),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DendaQuery {
    /// The case's estimated tariff (INA-CBG), in rupiah.
    pub case_tariff: Option<String>,
    /// Months in arrears paid at reactivation.
    pub months_in_arrears: Option<String>,
    /// `YYYY-MM-DD`.
    pub reactivated_on: Option<String>,
    /// `YYYY-MM-DD`.
    pub admitted_on: Option<String>,
}

/// The penalty for one in-patient case, and the rule that made it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DendaOut {
    /// Whether the admission falls within the days after reactivation the penalty covers.
    pub applies: bool,
    pub months_counted: i64,
    /// In rupiah, after the cap.
    pub amount: i64,
    pub capped: bool,
    pub per_mille: i64,
    pub max_months: i64,
    pub cap: i64,
    pub days_after_reactivation: i64,
}

/// The penalty (denda) for in-patient care within 45 days after a membership's
/// reactivation: 5 % of the case's estimated tariff per month in arrears (at most 12), capped
/// at Rp 30,000,000 — the numbers as data (`data/tariffs/jkn.toml`). Keeps nothing.
#[utoipa::path(get, path = "/api/v1/jkn/denda", tag = "jkn", params(DendaQuery),
    responses((status = 200, body = DendaOut), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn denda(c: ApiCtx, Query(q): Query<DendaQuery>) -> Result<Json<DendaOut>, ApiError> {
    let (d, rule) =
        pintu_service::membership::denda_of(&pintu_service::membership::DendaQuestion {
            case_tariff: q.case_tariff,
            months_in_arrears: q.months_in_arrears,
            reactivated_on: q.reactivated_on,
            admitted_on: q.admitted_on,
        })
        .map_err(|e| c.err(e))?;
    Ok(Json(DendaOut {
        applies: d.applies,
        months_counted: d.months_counted,
        amount: d.amount,
        capped: d.capped,
        per_mille: rule.per_mille,
        max_months: rule.max_months,
        cap: rule.cap,
        days_after_reactivation: rule.days_after_reactivation,
    }))
}

/// The JKN membership of a member of my household.
#[utoipa::path(get, path = "/api/v1/me/persons/{id}/jkn", tag = "me", params(("id" = String, Path)),
    responses((status = 200, body = MembershipOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn my_membership(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    Path(id): Path<String>,
) -> Result<Json<MembershipOut>, ApiError> {
    let m = s
        .pintu
        .membership(&c.ctx, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(m.into()))
}

/// Change the FKTP of a member of my household (the same rule as at the office).
#[utoipa::path(post, path = "/api/v1/me/persons/{id}/jkn/fktp", tag = "me", params(("id" = String, Path)), request_body = FktpIn,
    responses((status = 200, body = MembershipOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn my_fktp(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<FktpIn>,
) -> Result<Json<MembershipOut>, ApiError> {
    let m = s
        .pintu
        .change_fktp(&c.ctx, &id, &b.into(), Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(m.into()))
}
