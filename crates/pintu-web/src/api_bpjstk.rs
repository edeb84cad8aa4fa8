//! BPJS Ketenagakerjaan (PAY-4, PAY-5): `/api/v1/employers` (register, list, workers, wage
//! reports as JSON or CSV, bills, the JKN bills of the same wage earners (PPU, PAY-2),
//! employer accounts, ending a worker's registration) and `/api/v1/tk` (a member's JHT
//! balance and simulation, non-wage workers through agents — listed, registered, paid for
//! and ended — the inspectors' compliance list). A NIK travels only in request bodies; KPJ
//! and NPP numbers are no personal data by themselves.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use pintu_service::bpjstk::{
    BpuInput, BpuView, Compliance, EmployerInput, EmployerView, EndInput, JhtBalance, WageLine,
    WageReport, WorkerInput,
};
use pintu_store::bpjstk::{
    BpuPaymentRow, EmployerBillRow, EmployerRow, PpuBillRow, WageRow, WorkerRow,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::ApiJson;
use crate::error::{ApiError, ErrorBody};
use crate::session::ApiCtx;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_employer, list_employers))
        .routes(routes!(get_employer))
        .routes(routes!(register_worker))
        .routes(routes!(end_worker))
        .routes(routes!(put_wages, get_wages))
        .routes(routes!(upload_wages))
        .routes(routes!(bills))
        .routes(routes!(jkn_bills))
        .routes(routes!(employer_account))
        .routes(routes!(jht))
        .routes(routes!(register_bpu, list_bpu))
        .routes(routes!(get_bpu))
        .routes(routes!(pay_bpu))
        .routes(routes!(end_bpu))
        .routes(routes!(compliance))
}

/// An enterprise registered at BPJS Ketenagakerjaan.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmployerOut {
    /// The employer's registration number (8 digits).
    pub npp: String,
    pub name: String,
    pub sector: String,
    /// JKK risk class, 1 (very low) to 5 (very high).
    pub risk_class: i32,
    pub village_code: String,
    pub address: Option<String>,
    pub registered_on: NaiveDate,
}

impl From<EmployerRow> for EmployerOut {
    fn from(e: EmployerRow) -> Self {
        EmployerOut {
            npp: e.npp,
            name: e.name,
            sector: e.sector,
            risk_class: e.risk_class,
            village_code: e.village_code,
            address: e.address,
            registered_on: e.registered_on,
        }
    }
}

/// A worker's registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerOut {
    pub person_id: String,
    pub person_name: String,
    /// The member's card number (11 digits).
    pub kpj: String,
    /// `wage` (with an employer) or `bpu` (non-wage worker).
    pub kind: String,
    pub since: NaiveDate,
    /// The registration's last day, once it ended.
    pub until: Option<NaiveDate>,
    /// Why it ended: `left_job`, `retired`, `died` or `stopped` (a non-wage worker).
    pub end_reason: Option<String>,
    /// BPU: the declared monthly income.
    pub declared_income: Option<i64>,
    pub with_jht: bool,
}

impl From<WorkerRow> for WorkerOut {
    fn from(w: WorkerRow) -> Self {
        WorkerOut {
            person_id: w.person_id,
            person_name: w.person_name,
            kpj: w.kpj,
            kind: w.kind,
            since: w.since,
            until: w.until,
            end_reason: w.end_reason,
            declared_income: w.declared_income,
            with_jht: w.with_jht,
        }
    }
}

/// An employer's bill for one month.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmployerBillOut {
    /// `YYYY-MM`.
    pub period: String,
    /// The virtual account to pay into.
    pub va_number: String,
    pub workers: i32,
    pub wages: i64,
    pub jkk: i64,
    pub jkm: i64,
    pub jht: i64,
    pub jp: i64,
    pub employer_share: i64,
    pub worker_share: i64,
    pub total: i64,
    /// The 15th of the next month.
    pub due_on: NaiveDate,
    /// `open` or `paid`.
    pub status: String,
    pub paid_at: Option<DateTime<Utc>>,
}

impl From<EmployerBillRow> for EmployerBillOut {
    fn from(b: EmployerBillRow) -> Self {
        EmployerBillOut {
            period: b.period,
            va_number: b.va_number,
            workers: b.workers,
            wages: b.wages,
            jkk: b.jkk,
            jkm: b.jkm,
            jht: b.jht,
            jp: b.jp,
            employer_share: b.employer_share,
            worker_share: b.worker_share,
            total: b.total,
            due_on: b.due_on,
            status: b.status,
            paid_at: b.paid_at,
        }
    }
}

/// An employer's JKN bill for one month: its wage earners' contributions to BPJS
/// Kesehatan (PPU), 4 % of each wage from the employer and 1 % withheld from the worker, on
/// the wage raised to the regional minimum wage and capped.
#[derive(Debug, Serialize, ToSchema)]
pub struct PpuBillOut {
    /// `YYYY-MM`.
    pub period: String,
    /// The virtual account to pay into.
    pub va_number: String,
    pub workers: i32,
    /// The sum of the wages counted.
    pub wages_counted: i64,
    pub employer_share: i64,
    /// Withheld from the workers' pay.
    pub worker_share: i64,
    pub total: i64,
    /// The 10th of the next month.
    pub due_on: NaiveDate,
    /// `open` or `paid`.
    pub status: String,
    pub paid_at: Option<DateTime<Utc>>,
}

impl From<PpuBillRow> for PpuBillOut {
    fn from(b: PpuBillRow) -> Self {
        PpuBillOut {
            period: b.period,
            va_number: b.va_number,
            workers: b.workers,
            wages_counted: b.wages_counted,
            employer_share: b.employer_share,
            worker_share: b.worker_share,
            total: b.total,
            due_on: b.due_on,
            status: b.status,
            paid_at: b.paid_at,
        }
    }
}

/// A month reported and how many workers it had.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodOut {
    pub period: String,
    pub workers: i64,
}

/// An employer with its workers, reported months and bills.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmployerDetailOut {
    pub employer: EmployerOut,
    pub workers: Vec<WorkerOut>,
    pub periods: Vec<PeriodOut>,
    pub bills: Vec<EmployerBillOut>,
    /// The JKN (PPU) bills, newest first.
    pub jkn_bills: Vec<PpuBillOut>,
    /// The minimum wage in force at the enterprise, if known.
    pub minimum_wage: Option<i64>,
}

impl From<EmployerView> for EmployerDetailOut {
    fn from(v: EmployerView) -> Self {
        EmployerDetailOut {
            employer: v.employer.into(),
            workers: v.workers.into_iter().map(Into::into).collect(),
            periods: v
                .periods
                .into_iter()
                .map(|(period, workers)| PeriodOut { period, workers })
                .collect(),
            bills: v.bills.into_iter().map(Into::into).collect(),
            jkn_bills: v.ppu_bills.into_iter().map(Into::into).collect(),
            minimum_wage: v.minimum_wage,
        }
    }
}

/// Registering an employer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmployerIn {
    pub npp: String,
    pub name: String,
    pub sector: String,
    /// 1 to 5.
    pub risk_class: Option<i64>,
    /// The village of the enterprise's address.
    pub village_code: String,
    pub address: Option<String>,
    /// `YYYY-MM-DD`; today when absent.
    pub registered_on: Option<String>,
}

/// Register an employer in your area (district offices and above); 409 `npp_taken`.
#[utoipa::path(post, path = "/api/v1/employers", tag = "bpjstk", request_body = EmployerIn,
    responses((status = 201, body = EmployerOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register_employer(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<EmployerIn>,
) -> Result<(StatusCode, Json<EmployerOut>), ApiError> {
    let input = EmployerInput {
        npp: b.npp,
        name: b.name,
        sector: b.sector,
        risk_class: b.risk_class,
        village_code: b.village_code,
        address: b.address,
        registered_on: b.registered_on,
    };
    let e = s
        .pintu
        .register_employer(&c.ctx, &input, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AreaQuery {
    /// An area code inside yours; your whole area when absent.
    pub area: Option<String>,
}

/// The employers of your area (an employer's account: its own).
#[utoipa::path(get, path = "/api/v1/employers", tag = "bpjstk", params(AreaQuery),
    responses((status = 200, body = Vec<EmployerOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_employers(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<AreaQuery>,
) -> Result<Json<Vec<EmployerOut>>, ApiError> {
    let rows = s
        .pintu
        .employers(&c.ctx, q.area.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// An employer with its workers, reported months and bills.
#[utoipa::path(get, path = "/api/v1/employers/{npp}", tag = "bpjstk", params(("npp" = String, Path)),
    responses((status = 200, body = EmployerDetailOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_employer(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(npp): Path<String>,
) -> Result<Json<EmployerDetailOut>, ApiError> {
    let v = s.pintu.employer(&c.ctx, &npp).await.map_err(|e| c.err(e))?;
    Ok(Json(v.into()))
}

/// Registering a worker: the NIK in the body, never in the address.
#[derive(Debug, Deserialize, ToSchema)]
pub struct WorkerIn {
    pub nik: String,
    /// The member's card if they have one; a new one is issued otherwise.
    pub kpj: Option<String>,
    /// `YYYY-MM-DD`; today when absent.
    pub since: Option<String>,
}

/// Register a worker with the employer (its own account, or a district office of its area):
/// a person of the registry living in the enterprise's regency.
#[utoipa::path(post, path = "/api/v1/employers/{npp}/workers", tag = "bpjstk", params(("npp" = String, Path)), request_body = WorkerIn,
    responses((status = 201, body = WorkerOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register_worker(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(npp): Path<String>,
    ApiJson(b): ApiJson<WorkerIn>,
) -> Result<(StatusCode, Json<WorkerOut>), ApiError> {
    let input = WorkerInput {
        nik: b.nik,
        kpj: b.kpj,
        since: b.since,
    };
    let w = s
        .pintu
        .register_worker(&c.ctx, &npp, &input, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(w.into())))
}

/// Ending a registration.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EndIn {
    /// `YYYY-MM-DD`: the registration's last day, not before it began nor after today.
    pub until: String,
    /// A wage worker: `left_job`, `retired` or `died`; a non-wage worker: `stopped`,
    /// `retired` or `died`.
    pub reason: String,
}

/// End a worker's registration with the employer (its own account, or a district office of
/// its area): the worker left the job, retired or died. Wage reports of a later month that
/// name the worker are refused (`registration_ended`); their history and JHT balance stay.
/// 409 `registration_ended` when ended already, `reported_after_end` when a later month
/// reports the worker.
#[utoipa::path(post, path = "/api/v1/employers/{npp}/workers/{kpj}/end", tag = "bpjstk",
    params(("npp" = String, Path), ("kpj" = String, Path)), request_body = EndIn,
    responses((status = 200, body = WorkerOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn end_worker(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((npp, kpj)): Path<(String, String)>,
    ApiJson(b): ApiJson<EndIn>,
) -> Result<Json<WorkerOut>, ApiError> {
    let w = s
        .pintu
        .end_worker(
            &c.ctx,
            &npp,
            &kpj,
            &EndInput {
                until: b.until,
                reason: b.reason,
            },
            Utc::now(),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(w.into()))
}

/// One worker's wage.
#[derive(Debug, Deserialize, ToSchema)]
pub struct WageIn {
    /// The worker's KPJ (11 digits) or NIK (16 digits).
    pub worker: String,
    /// The month's wage, in rupiah.
    pub wage: i64,
}

/// A month's wage report.
#[derive(Debug, Deserialize, ToSchema)]
pub struct WagesIn {
    pub rows: Vec<WageIn>,
}

/// A worker's reported wage and the contributions it makes.
#[derive(Debug, Serialize, ToSchema)]
pub struct WageOut {
    pub person_id: String,
    pub person_name: String,
    pub wage: i64,
    pub jkk: i64,
    pub jkm: i64,
    pub jht_employer: i64,
    pub jht_worker: i64,
    pub jp_employer: i64,
    pub jp_worker: i64,
}

impl From<WageRow> for WageOut {
    fn from(w: WageRow) -> Self {
        WageOut {
            person_id: w.person_id,
            person_name: w.person_name,
            wage: w.wage,
            jkk: w.jkk,
            jkm: w.jkm,
            jht_employer: w.jht_employer,
            jht_worker: w.jht_worker,
            jp_employer: w.jp_employer,
            jp_worker: w.jp_worker,
        }
    }
}

/// What a wage report did: the wages, the month's bills (BPJS Ketenagakerjaan and JKN) and
/// the rows below the minimum wage.
#[derive(Debug, Serialize, ToSchema)]
pub struct WageReportOut {
    pub period: String,
    pub wages: Vec<WageOut>,
    pub bill: EmployerBillOut,
    /// The month's JKN bill for the same workers (PPU).
    pub jkn_bill: PpuBillOut,
    pub minimum_wage: Option<i64>,
    pub below_minimum: usize,
    /// Whether an earlier report of the month was replaced.
    pub replaced: bool,
}

impl From<WageReport> for WageReportOut {
    fn from(r: WageReport) -> Self {
        WageReportOut {
            period: r.period,
            wages: r.wages.into_iter().map(Into::into).collect(),
            bill: r.bill.into(),
            jkn_bill: r.ppu_bill.into(),
            minimum_wage: r.minimum_wage,
            below_minimum: r.below_minimum,
            replaced: r.replaced,
        }
    }
}

/// Report a month's wages (`YYYY-MM`) and issue its bills: BPJS Ketenagakerjaan's, due on
/// the 15th of the next month, and JKN's (PPU), due on the 10th. Reporting a month again
/// replaces its report and both bills while neither is paid (409 `wages_period_paid` after). A bad row changes nothing: each is named `rows[<index>]`.
#[utoipa::path(put, path = "/api/v1/employers/{npp}/wages/{period}", tag = "bpjstk",
    params(("npp" = String, Path), ("period" = String, Path)), request_body = WagesIn,
    responses((status = 200, body = WageReportOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_wages(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((npp, period)): Path<(String, String)>,
    ApiJson(b): ApiJson<WagesIn>,
) -> Result<Json<WageReportOut>, ApiError> {
    let lines: Vec<(usize, WageLine)> = b
        .rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            (
                i,
                WageLine {
                    worker: r.worker,
                    wage: r.wage.to_string(),
                },
            )
        })
        .collect();
    let r = s
        .pintu
        .report_wages(&c.ctx, &npp, &period, &lines, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(r.into()))
}

/// The wages reported for a month.
#[utoipa::path(get, path = "/api/v1/employers/{npp}/wages/{period}", tag = "bpjstk",
    params(("npp" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = Vec<WageOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_wages(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((npp, period)): Path<(String, String)>,
) -> Result<Json<Vec<WageOut>>, ApiError> {
    let rows = s
        .pintu
        .reported_wages(&c.ctx, &npp, &period)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// The multipart form of a wage file.
#[derive(ToSchema)]
#[allow(dead_code)]
struct WageUpload {
    /// UTF-8 CSV: a header `nik_or_kpj,wage`, then one row per worker.
    #[schema(format = Binary, content_media_type = "text/csv")]
    file: Vec<u8>,
}

/// Report a month's wages from a CSV file (`nik_or_kpj,wage`): all rows or none; bad rows
/// are named `rows[<line>]` by their line in the file.
#[utoipa::path(post, path = "/api/v1/employers/{npp}/wages/{period}/csv", tag = "bpjstk",
    params(("npp" = String, Path), ("period" = String, Path)),
    request_body(content = WageUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = WageReportOut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload_wages(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((npp, period)): Path<(String, String)>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Json<WageReportOut>, ApiError> {
    let bad = |status, code| {
        ApiError::new(status, code)
            .with_lang(c.lang)
            .with_request_id(c.ctx.request_id.clone())
    };
    let form = form.map_err(|_| bad(StatusCode::BAD_REQUEST, "malformed_request"))?;
    let upload = crate::api_imports::read_upload(form)
        .await
        .map_err(|(status, code)| bad(status, code))?;
    let data = upload
        .data
        .filter(|d| !d.is_empty())
        .ok_or_else(|| c.err(pintu_service::Error::invalid("file", "required")))?;
    let text = String::from_utf8(data)
        .map_err(|_| c.err(pintu_service::Error::invalid("file", "file_not_utf8")))?;
    let r = s
        .pintu
        .report_wages_csv(&c.ctx, &npp, &period, &text, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(r.into()))
}

/// The employer's bills, newest first.
#[utoipa::path(get, path = "/api/v1/employers/{npp}/bills", tag = "bpjstk", params(("npp" = String, Path)),
    responses((status = 200, body = Vec<EmployerBillOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn bills(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(npp): Path<String>,
) -> Result<Json<Vec<EmployerBillOut>>, ApiError> {
    let rows = s
        .pintu
        .employer_bills(&c.ctx, &npp)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// The employer's JKN bills for its wage earners (PPU), newest first.
#[utoipa::path(get, path = "/api/v1/employers/{npp}/jkn-bills", tag = "bpjstk", params(("npp" = String, Path)),
    responses((status = 200, body = Vec<PpuBillOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn jkn_bills(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(npp): Path<String>,
) -> Result<Json<Vec<PpuBillOut>>, ApiError> {
    let rows = s
        .pintu
        .employer_ppu_bills(&c.ctx, &npp)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// An employer's account to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmployerAccountIn {
    pub username: String,
    pub display_name: Option<String>,
    /// At least 10 characters.
    pub password: String,
}

/// The account created.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmployerAccountOut {
    pub username: String,
    pub role: String,
    pub npp: String,
}

/// Create the employer's own account (district offices of its area and above, or an
/// administrator): it registers its workers and reports their wages, and sees nothing else.
#[utoipa::path(post, path = "/api/v1/employers/{npp}/users", tag = "bpjstk", params(("npp" = String, Path)), request_body = EmployerAccountIn,
    responses((status = 201, body = EmployerAccountOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn employer_account(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(npp): Path<String>,
    ApiJson(b): ApiJson<EmployerAccountIn>,
) -> Result<(StatusCode, Json<EmployerAccountOut>), ApiError> {
    let u = s
        .pintu
        .create_employer_user(
            &c.ctx,
            &b.username,
            b.display_name.as_deref().unwrap_or(""),
            &npp,
            &b.password,
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::CREATED,
        Json(EmployerAccountOut {
            username: u.username,
            role: u.role,
            npp: u.employer_npp.unwrap_or_default(),
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct JhtQuery {
    /// Years to simulate (1–50); until the member turns 56 when absent.
    pub years: Option<i64>,
}

/// A month of JHT contributions.
#[derive(Debug, Serialize, ToSchema)]
pub struct JhtLineOut {
    pub period: String,
    pub npp: String,
    pub employer_name: String,
    pub wage: i64,
    pub jht: i64,
    /// Whether the month's bill is paid (only paid months count in the balance).
    pub paid: bool,
}

/// A point of the simulation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectionOut {
    /// Months from now.
    pub month: i64,
    pub balance: i64,
}

/// A member's JHT balance and its simulation.
#[derive(Debug, Serialize, ToSchema)]
pub struct JhtOut {
    pub kpj: String,
    pub person_name: String,
    pub lines: Vec<JhtLineOut>,
    pub bpu_paid: i64,
    /// JHT contributions of paid bills and BPU payments (returns not included).
    pub balance: i64,
    /// JHT reported on bills not paid yet.
    pub unpaid: i64,
    /// The latest month's JHT contribution, carried on in the simulation.
    pub monthly: i64,
    /// The yearly return assumed, in basis points (550 = 5.5 %).
    pub annual_bp: i64,
    pub months: i64,
    /// The balance at the end of every year simulated and of the last month.
    pub projection: Vec<ProjectionOut>,
    pub projected: i64,
}

impl From<JhtBalance> for JhtOut {
    fn from(j: JhtBalance) -> Self {
        JhtOut {
            kpj: j.kpj,
            person_name: j.person_name,
            lines: j
                .lines
                .into_iter()
                .map(|l| JhtLineOut {
                    period: l.period,
                    npp: l.npp,
                    employer_name: l.employer_name,
                    wage: l.wage,
                    jht: l.jht,
                    paid: l.paid,
                })
                .collect(),
            bpu_paid: j.bpu_paid,
            balance: j.balance,
            unpaid: j.unpaid,
            monthly: j.monthly,
            annual_bp: j.annual_bp,
            months: j.months,
            projection: j
                .projection
                .into_iter()
                .map(|p| ProjectionOut {
                    month: p.month,
                    balance: p.balance,
                })
                .collect(),
            projected: j.projected,
        }
    }
}

/// A member's JHT balance with a simulation (monthly compounding at the rates file's return).
#[utoipa::path(get, path = "/api/v1/tk/workers/{kpj}/jht", tag = "bpjstk", params(("kpj" = String, Path), JhtQuery),
    responses((status = 200, body = JhtOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn jht(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(kpj): Path<String>,
    Query(q): Query<JhtQuery>,
) -> Result<Json<JhtOut>, ApiError> {
    let j = s
        .pintu
        .jht_balance(&c.ctx, &kpj, q.years)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(j.into()))
}

/// Registering a non-wage worker.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BpuIn {
    pub nik: String,
    /// The declared monthly income, in rupiah.
    pub declared_income: i64,
    /// Whether the worker joins JHT (2 %).
    #[serde(default)]
    pub with_jht: bool,
}

/// Register a non-wage worker (BPU) as an agent: an officer of the person's area.
#[utoipa::path(post, path = "/api/v1/tk/bpu", tag = "bpjstk", request_body = BpuIn,
    responses((status = 201, body = WorkerOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register_bpu(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<BpuIn>,
) -> Result<(StatusCode, Json<WorkerOut>), ApiError> {
    let w = s
        .pintu
        .register_bpu(
            &c.ctx,
            &BpuInput {
                nik: b.nik,
                declared_income: b.declared_income.to_string(),
                with_jht: b.with_jht,
            },
            Utc::now(),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(w.into())))
}

/// A month to pay.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PeriodIn {
    /// `YYYY-MM`.
    pub period: String,
}

/// A BPU contribution taken by an agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct BpuPaymentOut {
    pub period: String,
    pub income: i64,
    pub jkk: i64,
    pub jkm: i64,
    pub jht: i64,
    pub total: i64,
    pub agent: String,
    pub paid_at: DateTime<Utc>,
    /// The same Idempotency-Key was sent before: this is the first payment, nothing was
    /// taken now.
    pub duplicate: bool,
}

fn payment_out(p: BpuPaymentRow, duplicate: bool) -> BpuPaymentOut {
    BpuPaymentOut {
        period: p.period,
        income: p.income,
        jkk: p.jkk,
        jkm: p.jkm,
        jht: p.jht,
        total: p.total,
        agent: p.agent,
        paid_at: p.paid_at,
        duplicate,
    }
}

/// Take a non-wage worker's contribution for a month (once; 409 `bpu_period_paid`; 422
/// `registration_ended` for a month after an ended registration). An `Idempotency-Key`
/// (the receipt's number) makes a retry return the first payment (200) and take nothing;
/// the same key for another worker or month is refused (409 `idempotency_conflict`).
#[utoipa::path(post, path = "/api/v1/tk/bpu/{kpj}/payments", tag = "bpjstk",
    params(("kpj" = String, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = PeriodIn,
    responses((status = 201, body = BpuPaymentOut), (status = 200, body = BpuPaymentOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn pay_bpu(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(kpj): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<PeriodIn>,
) -> Result<(StatusCode, Json<BpuPaymentOut>), ApiError> {
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap_or("\u{0}").to_string());
    let p = s
        .pintu
        .pay_bpu(&c.ctx, &kpj, &b.period, key.as_deref(), Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    let status = if p.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(payment_out(p.payment, p.duplicate))))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BpuQuery {
    /// A name (at least two letters) or a member card number (KPJ, 11 digits); every
    /// non-wage worker of the area (the first 200) when absent. Never a NIK: search by NIK
    /// through the pages' search form, whose NIK travels in the body.
    pub q: Option<String>,
    /// An area code inside yours; your whole area when absent.
    pub area: Option<String>,
}

/// The non-wage workers (BPU) of your area, current ones first.
#[utoipa::path(get, path = "/api/v1/tk/bpu", tag = "bpjstk", params(BpuQuery),
    responses((status = 200, body = Vec<WorkerOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_bpu(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<BpuQuery>,
) -> Result<Json<Vec<WorkerOut>>, ApiError> {
    let text = q.q.unwrap_or_default();
    let compact: String = text.chars().filter(|ch| !ch.is_whitespace()).collect();
    if !compact.is_empty() && compact.bytes().all(|b| b.is_ascii_digit()) && compact.len() != 11 {
        return Err(c.err(pintu_service::Error::invalid("q", "search_name_or_kpj")));
    }
    let rows = s
        .pintu
        .bpu_workers(&c.ctx, &text, q.area.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// A month of a non-wage worker's registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct BpuMonthOut {
    /// `YYYY-MM`.
    pub period: String,
    /// The contribution at the rates in force in the month (what was paid, once paid).
    pub due: i64,
    pub paid: bool,
}

/// A non-wage worker: the registration, the contribution a month, the months due and the
/// payments taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct BpuDetailOut {
    pub worker: WorkerOut,
    /// A month's contribution at today's rates on the declared income.
    pub monthly_total: Option<i64>,
    /// Newest first.
    pub months: Vec<BpuMonthOut>,
    pub unpaid_months: usize,
    pub unpaid_total: i64,
    /// Newest first.
    pub payments: Vec<BpuPaymentOut>,
}

impl From<BpuView> for BpuDetailOut {
    fn from(v: BpuView) -> Self {
        BpuDetailOut {
            worker: v.worker.into(),
            monthly_total: v.monthly.map(|m| m.total),
            months: v
                .months
                .into_iter()
                .map(|m| BpuMonthOut {
                    period: m.period,
                    due: m.due,
                    paid: m.paid,
                })
                .collect(),
            unpaid_months: v.unpaid_months,
            unpaid_total: v.unpaid_total,
            payments: v
                .payments
                .into_iter()
                .map(|p| payment_out(p, false))
                .collect(),
        }
    }
}

/// A non-wage worker of your area with the months due and the payments taken.
#[utoipa::path(get, path = "/api/v1/tk/bpu/{kpj}", tag = "bpjstk", params(("kpj" = String, Path)),
    responses((status = 200, body = BpuDetailOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_bpu(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(kpj): Path<String>,
) -> Result<Json<BpuDetailOut>, ApiError> {
    let v = s
        .pintu
        .bpu_worker(&c.ctx, &kpj)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(v.into()))
}

/// End a non-wage worker's registration as an agent of their area: they stopped, retired
/// or died. A month after its last is not paid for (`registration_ended`); their payments
/// and JHT balance stay. 409 `registration_ended` when ended already,
/// `reported_after_end` when a later month is paid.
#[utoipa::path(post, path = "/api/v1/tk/bpu/{kpj}/end", tag = "bpjstk", params(("kpj" = String, Path)), request_body = EndIn,
    responses((status = 200, body = WorkerOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn end_bpu(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(kpj): Path<String>,
    ApiJson(b): ApiJson<EndIn>,
) -> Result<Json<WorkerOut>, ApiError> {
    let w = s
        .pintu
        .end_bpu(
            &c.ctx,
            &kpj,
            &EndInput {
                until: b.until,
                reason: b.reason,
            },
            Utc::now(),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(w.into()))
}

/// One enterprise's compliance flags.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmployerFlagsOut {
    pub employer: EmployerOut,
    pub minimum_wage: Option<i64>,
    pub workers_last: i64,
    pub workers_previous: i64,
    /// Workers whose last month's wage is below the regional minimum.
    pub below_minimum: i64,
    /// No wage report for the last month.
    pub missing_report: bool,
    /// Bills still open after their due date.
    pub overdue_bills: i64,
    pub overdue_amount: i64,
    /// 20 % or more fewer workers reported than the month before.
    pub headcount_drop: bool,
    /// Registrations the employer ended from the start of the month before to the end of
    /// last month: the part of a drop it recorded (workers who left, retired or died).
    pub workers_ended: i64,
}

/// A formal worker of the registry no employer registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnregisteredOut {
    pub person_id: String,
    pub full_name: String,
    pub village_code: String,
}

/// The compliance list of an area.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceOut {
    pub on: NaiveDate,
    pub last_period: String,
    pub previous_period: String,
    /// Flagged enterprises first.
    pub employers: Vec<EmployerFlagsOut>,
    pub unregistered_count: i64,
    pub unregistered: Vec<UnregisteredOut>,
}

impl From<Compliance> for ComplianceOut {
    fn from(c: Compliance) -> Self {
        ComplianceOut {
            on: c.on,
            last_period: c.last_period,
            previous_period: c.previous_period,
            employers: c
                .employers
                .into_iter()
                .map(|f| EmployerFlagsOut {
                    employer: f.employer.into(),
                    minimum_wage: f.minimum_wage,
                    workers_last: f.workers_last,
                    workers_previous: f.workers_previous,
                    below_minimum: f.below_minimum,
                    missing_report: f.missing_report,
                    overdue_bills: f.overdue_bills,
                    overdue_amount: f.overdue_amount,
                    headcount_drop: f.headcount_drop,
                    workers_ended: f.workers_ended,
                })
                .collect(),
            unregistered_count: c.unregistered_count,
            unregistered: c
                .unregistered
                .into_iter()
                .map(|u| UnregisteredOut {
                    person_id: u.person_id,
                    full_name: u.full_name,
                    village_code: u.village_code,
                })
                .collect(),
        }
    }
}

/// The inspectors' compliance list (district offices and above): per enterprise of the area,
/// wages below the minimum wage, a missing report for last month, overdue bills, a headcount
/// drop; and the formal workers of the registry whom no employer registered.
#[utoipa::path(get, path = "/api/v1/tk/compliance", tag = "bpjstk", params(AreaQuery),
    responses((status = 200, body = ComplianceOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn compliance(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<AreaQuery>,
) -> Result<Json<ComplianceOut>, ApiError> {
    let r = s
        .pintu
        .compliance(&c.ctx, q.area.as_deref(), pintu_service::today())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(r.into()))
}
