//! BPJS Ketenagakerjaan pages (PAY-4, PAY-5): the employers of an area and registering one,
//! an employer's page (its workers, registering one by NIK, the month's wage report as a
//! form or a CSV file, its bills, ending a worker's registration), a member's JHT balance
//! with its simulation, the inspectors' compliance list, and the non-wage workers (BPU) an
//! agent registers, takes contributions from and ends. Plain forms: they work without
//! JavaScript; a NIK travels only in form bodies.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use pintu_domain::bpjstk::EndReason;
use pintu_service::Error;
use pintu_service::bpjstk::{
    BpuInput, BpuView, Compliance, EmployerInput, EmployerView, EndInput, JhtBalance, WageLine,
    WageReport, WorkerInput,
};
use pintu_store::bpjstk::{EmployerRow, WorkerRow};
use serde::Deserialize;

use crate::AppState;
use crate::pages::{FormErrors, Layout, check_csrf, error_page, render};
use crate::session::PageUser;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/employers", get(employers_page).post(register_employer))
        .route("/employers/{npp}", get(employer_page))
        .route("/employers/{npp}/workers", post(register_worker))
        .route("/employers/{npp}/workers/end", post(end_worker))
        .route("/employers/{npp}/wages", post(report_wages))
        .route("/employers/{npp}/wages/csv", post(upload_wages))
        .route("/tk/workers/{kpj}/jht", get(jht_page))
        .route("/tk/compliance", get(compliance_page))
        .route("/tk/bpu", get(bpu_list_page).post(register_bpu))
        .route("/tk/bpu/search", post(search_bpu))
        .route("/tk/bpu/{kpj}", get(bpu_page))
        .route("/tk/bpu/{kpj}/payments", post(pay_bpu))
        .route("/tk/bpu/{kpj}/end", post(end_bpu))
}

/// Rupiah with dots between thousands.
pub(crate) fn rupiah(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::from(if n < 0 { "-Rp " } else { "Rp " });
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Helpers the templates call.
trait Money {
    fn rp(&self, n: &i64) -> String {
        rupiah(*n)
    }
}

// ---- employers ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "tk_employers.html")]
struct EmployersPage {
    l: Layout,
    employers: Vec<EmployerRow>,
    area: String,
    may_register: bool,
    f: EmployerForm,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
struct EmployerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    npp: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    risk_class: String,
    #[serde(default)]
    village_code: String,
    #[serde(default)]
    address: String,
}

#[derive(Deserialize, Default)]
struct AreaQuery {
    #[serde(default)]
    area: Option<String>,
}

async fn employers_view(
    state: &AppState,
    u: &PageUser,
    area: Option<String>,
    f: EmployerForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let employers = match state.pintu.employers(&u.ctx, area.as_deref()).await {
        Ok(list) => list,
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    (
        status,
        render(&EmployersPage {
            l: Layout::for_user(u, "tk-employers-title", "employers", "/employers"),
            employers,
            area: area.unwrap_or_default(),
            may_register: u.ctx.actor.may_inspect_employers(),
            f,
            errors,
        }),
    )
        .into_response()
}

async fn employers_page(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<AreaQuery>,
) -> Response {
    employers_view(
        &state,
        &u,
        q.area.filter(|a| !a.trim().is_empty()),
        EmployerForm::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn register_employer(
    State(state): State<AppState>,
    u: PageUser,
    Form(f): Form<EmployerForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let input = EmployerInput {
        npp: f.npp.clone(),
        name: f.name.clone(),
        sector: f.sector.clone(),
        risk_class: f.risk_class.trim().parse().ok(),
        village_code: f.village_code.clone(),
        address: Some(f.address.clone()),
        registered_on: None,
    };
    match state
        .pintu
        .register_employer(&u.ctx, &input, Utc::now())
        .await
    {
        Ok(e) => Redirect::to(&format!("/employers/{}", e.npp)).into_response(),
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) => employers_view(&state, &u, None, f, errors, status).await,
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

// ---- one employer -------------------------------------------------------------------------

/// A bad row of a wage report: its row number, the field's label and the message.
struct Rejection {
    row: String,
    label: String,
    message: String,
}

#[derive(Template)]
#[template(path = "tk_employer.html")]
struct EmployerPage {
    l: Layout,
    v: EmployerView,
    /// The month the wage form proposes: last month.
    period: String,
    worker: WorkerForm,
    errors: FormErrors,
    rejections: Vec<Rejection>,
    report: Option<WageReport>,
    notice: Option<String>,
    end: EndForm,
    reasons: Vec<&'static str>,
    today: String,
}

impl Money for EmployerPage {}

impl EmployerPage {
    /// Whether the wage form asks for `w`'s wage: a current worker, or one whose
    /// registration ended in or after the month the form proposes.
    fn reportable(&self, w: &WorkerRow) -> bool {
        w.until
            .is_none_or(|u| u.format("%Y-%m").to_string() >= self.period)
    }

    /// Whether any worker's registration is current (and may be ended).
    fn has_current(&self) -> bool {
        self.v.workers.iter().any(|w| w.until.is_none())
    }
}

/// Ending a registration: on the employer's page the worker is chosen by KPJ.
#[derive(Deserialize, Default)]
struct EndForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kpj: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
}

fn reason_codes(kind: &str) -> Vec<&'static str> {
    EndReason::for_kind(kind)
        .into_iter()
        .map(EndReason::code)
        .collect()
}

#[derive(Deserialize, Default)]
struct WorkerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nik: String,
    #[serde(default)]
    kpj: String,
    #[serde(default)]
    since: String,
}

/// Last month, `YYYY-MM`: the report an employer makes now.
fn last_month() -> String {
    let today = pintu_service::today();
    let (_, first) = pintu_domain::bpjstk::parse_period(&today.format("%Y-%m").to_string())
        .unwrap_or_else(|_| (String::new(), today));
    pintu_domain::bpjstk::previous_period(first)
}

/// The rows named by a report's errors (`rows[<n>].<field>`), apart from the other errors.
fn rejections_of(errors: &mut FormErrors) -> Vec<Rejection> {
    let mut out = Vec::new();
    errors.summary.retain(|(field, label, message)| {
        let Some(rest) = field.strip_prefix("rows[") else {
            return true;
        };
        out.push(Rejection {
            row: rest.split(']').next().unwrap_or("").to_string(),
            label: label.clone(),
            message: message.clone(),
        });
        false
    });
    out
}

struct Shown {
    worker: WorkerForm,
    end: EndForm,
    errors: FormErrors,
    report: Option<WageReport>,
    notice: Option<String>,
    status: StatusCode,
    period: Option<String>,
}

impl Default for Shown {
    fn default() -> Self {
        Shown {
            worker: WorkerForm::default(),
            end: EndForm::default(),
            errors: FormErrors::default(),
            report: None,
            notice: None,
            status: StatusCode::OK,
            period: None,
        }
    }
}

async fn employer_view(state: &AppState, u: &PageUser, npp: &str, mut s: Shown) -> Response {
    let v = match state.pintu.employer(&u.ctx, npp).await {
        Ok(v) => v,
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    let rejections = rejections_of(&mut s.errors);
    (
        s.status,
        render(&EmployerPage {
            l: Layout::for_user(
                u,
                "tk-employer-title",
                "employers",
                &format!("/employers/{npp}"),
            ),
            period: s.period.unwrap_or_else(last_month),
            v,
            worker: s.worker,
            errors: s.errors,
            rejections,
            report: s.report,
            notice: s.notice,
            end: s.end,
            reasons: reason_codes("wage"),
            today: pintu_service::today().to_string(),
        }),
    )
        .into_response()
}

async fn employer_page(
    State(state): State<AppState>,
    u: PageUser,
    Path(npp): Path<String>,
) -> Response {
    employer_view(&state, &u, &npp, Shown::default()).await
}

fn shown_error(e: Error, u: &PageUser, s: Shown) -> Result<Shown, Response> {
    match FormErrors::from_error(e, &u.tr) {
        Ok((status, errors)) => Ok(Shown {
            errors,
            status,
            ..s
        }),
        Err(e) => Err(error_page(u.tr.clone(), e, u.ctx.request_id.clone())),
    }
}

async fn register_worker(
    State(state): State<AppState>,
    u: PageUser,
    Path(npp): Path<String>,
    Form(f): Form<WorkerForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let input = WorkerInput {
        nik: f.nik.clone(),
        kpj: Some(f.kpj.clone()),
        since: Some(f.since.clone()),
    };
    match state
        .pintu
        .register_worker(&u.ctx, &npp, &input, Utc::now())
        .await
    {
        Ok(_) => {
            let s = Shown {
                notice: Some("tk-worker-registered".into()),
                ..Shown::default()
            };
            employer_view(&state, &u, &npp, s).await
        }
        Err(e) => {
            // The NIK typed is not shown back: it is kept out of the page's history.
            let kept = WorkerForm {
                nik: String::new(),
                ..f
            };
            match shown_error(
                e,
                &u,
                Shown {
                    worker: kept,
                    ..Shown::default()
                },
            ) {
                Ok(s) => employer_view(&state, &u, &npp, s).await,
                Err(r) => r,
            }
        }
    }
}

/// Ends a worker's registration: the worker (by KPJ), the last day and the reason.
async fn end_worker(
    State(state): State<AppState>,
    u: PageUser,
    Path(npp): Path<String>,
    Form(f): Form<EndForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let input = EndInput {
        until: f.until.clone(),
        reason: f.reason.clone(),
    };
    let r = if f.kpj.trim().is_empty() {
        Err(Error::invalid("kpj", "required"))
    } else {
        state
            .pintu
            .end_worker(&u.ctx, &npp, f.kpj.trim(), &input, Utc::now())
            .await
    };
    match r {
        Ok(_) => {
            let s = Shown {
                notice: Some("tk-worker-ended".into()),
                ..Shown::default()
            };
            employer_view(&state, &u, &npp, s).await
        }
        // A worker no longer on the list (ended meanwhile) is named on the form.
        Err(Error::NotFound) if !f.kpj.trim().is_empty() => {
            match shown_error(
                Error::invalid("kpj", "worker_not_registered"),
                &u,
                Shown {
                    end: f,
                    ..Shown::default()
                },
            ) {
                Ok(s) => employer_view(&state, &u, &npp, s).await,
                Err(r) => r,
            }
        }
        Err(e) => match shown_error(
            e,
            &u,
            Shown {
                end: f,
                ..Shown::default()
            },
        ) {
            Ok(s) => employer_view(&state, &u, &npp, s).await,
            Err(r) => r,
        },
    }
}

/// The wage form: `period`, and `wage_<kpj>` for each worker (empty: not in this report).
async fn report_wages(
    State(state): State<AppState>,
    u: PageUser,
    Path(npp): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = check_csrf(&u, f.get("csrf").map(String::as_str).unwrap_or("")) {
        return r;
    }
    let period = f.get("period").cloned().unwrap_or_default();
    let mut kpjs: Vec<(&String, &String)> = f
        .iter()
        .filter(|(k, v)| k.starts_with("wage_") && !v.trim().is_empty())
        .collect();
    kpjs.sort();
    let lines: Vec<(usize, WageLine)> = kpjs
        .into_iter()
        .enumerate()
        .map(|(i, (k, v))| {
            (
                i + 1,
                WageLine {
                    worker: k.trim_start_matches("wage_").to_string(),
                    wage: v.clone(),
                },
            )
        })
        .collect();
    after_report(
        &state,
        &u,
        &npp,
        period.clone(),
        state
            .pintu
            .report_wages(&u.ctx, &npp, &period, &lines, Utc::now())
            .await,
    )
    .await
}

async fn after_report(
    state: &AppState,
    u: &PageUser,
    npp: &str,
    period: String,
    r: Result<WageReport, Error>,
) -> Response {
    match r {
        Ok(report) => {
            let s = Shown {
                notice: Some("tk-wages-reported".into()),
                period: Some(report.period.clone()),
                report: Some(report),
                ..Shown::default()
            };
            employer_view(state, u, npp, s).await
        }
        Err(e) => match shown_error(
            e,
            u,
            Shown {
                period: Some(period),
                ..Shown::default()
            },
        ) {
            Ok(s) => employer_view(state, u, npp, s).await,
            Err(r) => r,
        },
    }
}

async fn upload_wages(
    State(state): State<AppState>,
    u: PageUser,
    Path(npp): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let Ok(form) = form else {
        return crate::pages::error_page_code(&u.tr, StatusCode::BAD_REQUEST, "malformed_request");
    };
    let upload = match crate::api_imports::read_upload(form).await {
        Ok(up) => up,
        Err((status, code)) => return crate::pages::error_page_code(&u.tr, status, code),
    };
    let field = |name: &str| {
        upload
            .fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if let Err(r) = check_csrf(&u, &field("csrf")) {
        return r;
    }
    let period = field("period");
    let r = match upload.data.filter(|d| !d.is_empty()) {
        None => Err(Error::invalid("file", "required")),
        Some(d) => match String::from_utf8(d) {
            Ok(text) => {
                state
                    .pintu
                    .report_wages_csv(&u.ctx, &npp, &period, &text, Utc::now())
                    .await
            }
            Err(_) => Err(Error::invalid("file", "file_not_utf8")),
        },
    };
    after_report(&state, &u, &npp, period, r).await
}

// ---- JHT ----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "tk_jht.html")]
struct JhtPage {
    l: Layout,
    j: JhtBalance,
    years: String,
    errors: FormErrors,
}

impl Money for JhtPage {}

impl JhtPage {
    fn percent(&self, bp: &i64) -> String {
        format!("{}.{:02} %", bp / 100, bp % 100)
    }
}

#[derive(Deserialize, Default)]
struct JhtQuery {
    #[serde(default)]
    years: Option<String>,
}

async fn jht_page(
    State(state): State<AppState>,
    u: PageUser,
    Path(kpj): Path<String>,
    Query(q): Query<JhtQuery>,
) -> Response {
    let raw = q.years.unwrap_or_default();
    let (years, mut errors) = match raw.trim() {
        "" => (None, FormErrors::default()),
        y => match y.parse::<i64>() {
            Ok(n) => (Some(n), FormErrors::default()),
            Err(_) => {
                match FormErrors::from_error(Error::invalid("years", "number_invalid"), &u.tr) {
                    Ok((_, e)) => (None, e),
                    Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
                }
            }
        },
    };
    let j = match state.pintu.jht_balance(&u.ctx, &kpj, years).await {
        Ok(j) => j,
        Err(Error::Invalid(inv)) => {
            match FormErrors::from_error(Error::Invalid(inv), &u.tr) {
                Ok((_, e)) => errors = e,
                Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
            }
            match state.pintu.jht_balance(&u.ctx, &kpj, None).await {
                Ok(j) => j,
                Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
            }
        }
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    render(&JhtPage {
        l: Layout::for_user(
            &u,
            "tk-jht-title",
            "employers",
            &format!("/tk/workers/{kpj}/jht"),
        ),
        j,
        years: raw,
        errors,
    })
}

// ---- compliance ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "tk_compliance.html")]
struct CompliancePage {
    l: Layout,
    c: Compliance,
    area: String,
}

impl Money for CompliancePage {}

async fn compliance_page(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<AreaQuery>,
) -> Response {
    let area = q.area.filter(|a| !a.trim().is_empty());
    match state
        .pintu
        .compliance(&u.ctx, area.as_deref(), pintu_service::today())
        .await
    {
        Ok(c) => render(&CompliancePage {
            l: Layout::for_user(&u, "tk-compliance-title", "employers", "/tk/compliance"),
            c,
            area: area.unwrap_or_default(),
        }),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

// ---- non-wage workers (BPU) --------------------------------------------------------------

#[derive(Template)]
#[template(path = "tk_bpu_list.html")]
struct BpuListPage {
    l: Layout,
    workers: Vec<WorkerRow>,
    /// What was searched (never a NIK: it is not shown back).
    query: String,
    searched: bool,
    may_register: bool,
    f: BpuForm,
    errors: FormErrors,
}

impl Money for BpuListPage {}

#[derive(Deserialize, Default)]
struct BpuForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nik: String,
    #[serde(default)]
    declared_income: String,
    #[serde(default)]
    with_jht: Option<String>,
}

#[derive(Deserialize, Default)]
struct BpuSearchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    q: String,
}

struct BpuListShown {
    query: String,
    searched: bool,
    f: BpuForm,
    errors: FormErrors,
    status: StatusCode,
}

impl Default for BpuListShown {
    fn default() -> Self {
        BpuListShown {
            query: String::new(),
            searched: false,
            f: BpuForm::default(),
            errors: FormErrors::default(),
            status: StatusCode::OK,
        }
    }
}

fn is_nik_like(q: &str) -> bool {
    let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit())
}

async fn bpu_list_view(state: &AppState, u: &PageUser, mut s: BpuListShown) -> Response {
    let workers = match state.pintu.bpu_workers(&u.ctx, &s.query, None).await {
        Ok(rows) => rows,
        Err(e @ Error::Invalid(_)) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) => {
                s.errors = errors;
                s.status = status;
                Vec::new()
            }
            Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    if is_nik_like(&s.query) {
        s.query.clear();
    }
    (
        s.status,
        render(&BpuListPage {
            l: Layout::for_user(u, "tk-bpu-title", "employers", "/tk/bpu"),
            workers,
            query: s.query,
            searched: s.searched,
            may_register: u.ctx.actor.may_write_registry(),
            f: s.f,
            errors: s.errors,
        }),
    )
        .into_response()
}

async fn bpu_list_page(State(state): State<AppState>, u: PageUser) -> Response {
    bpu_list_view(&state, &u, BpuListShown::default()).await
}

/// Search by name, KPJ or NIK: a POST, so a NIK never appears in an address or a log.
async fn search_bpu(
    State(state): State<AppState>,
    u: PageUser,
    Form(f): Form<BpuSearchForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let s = BpuListShown {
        query: f.q.trim().to_string(),
        searched: !f.q.trim().is_empty(),
        ..BpuListShown::default()
    };
    bpu_list_view(&state, &u, s).await
}

async fn register_bpu(
    State(state): State<AppState>,
    u: PageUser,
    Form(f): Form<BpuForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let input = BpuInput {
        nik: f.nik.clone(),
        declared_income: f.declared_income.clone(),
        with_jht: f.with_jht.is_some(),
    };
    match state.pintu.register_bpu(&u.ctx, &input, Utc::now()).await {
        Ok(w) => Redirect::to(&format!("/tk/bpu/{}?notice=registered", w.kpj)).into_response(),
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) => {
                // The NIK typed is not shown back: it is kept out of the page's history.
                let kept = BpuForm {
                    nik: String::new(),
                    ..f
                };
                let s = BpuListShown {
                    f: kept,
                    errors,
                    status,
                    ..BpuListShown::default()
                };
                bpu_list_view(&state, &u, s).await
            }
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

#[derive(Template)]
#[template(path = "tk_bpu.html")]
struct BpuPage {
    l: Layout,
    v: BpuView,
    notice: Option<&'static str>,
    errors: FormErrors,
    /// The month the payment form proposes: the oldest unpaid, else the next unpaid one.
    period: String,
    /// A fresh key for the payment form: submitting it twice takes the payment once.
    pay_key: String,
    end: EndForm,
    reasons: Vec<&'static str>,
    today: String,
}

impl Money for BpuPage {}

#[derive(Deserialize, Default)]
struct BpuPayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    idempotency_key: String,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    #[serde(default)]
    notice: Option<String>,
}

/// The month the payment form proposes.
fn month_to_pay(v: &BpuView) -> String {
    if let Some(m) = v.months.iter().rev().find(|m| !m.paid) {
        return m.period.clone();
    }
    let this_month = pintu_service::today().format("%Y-%m").to_string();
    match v.months.first() {
        // Every month paid up to now: the next one, paid ahead.
        Some(m) if m.period >= this_month => pintu_domain::bpjstk::parse_period(&m.period)
            .ok()
            .and_then(|(_, d)| d.checked_add_months(chrono::Months::new(1)))
            .map_or(this_month, |d| d.format("%Y-%m").to_string()),
        _ => this_month,
    }
}

struct BpuShown {
    notice: Option<&'static str>,
    errors: FormErrors,
    status: StatusCode,
    period: Option<String>,
    end: EndForm,
}

impl Default for BpuShown {
    fn default() -> Self {
        BpuShown {
            notice: None,
            errors: FormErrors::default(),
            status: StatusCode::OK,
            period: None,
            end: EndForm::default(),
        }
    }
}

async fn bpu_view(state: &AppState, u: &PageUser, kpj: &str, s: BpuShown) -> Response {
    let v = match state.pintu.bpu_worker(&u.ctx, kpj).await {
        Ok(v) => v,
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    (
        s.status,
        render(&BpuPage {
            l: Layout::for_user(
                u,
                "tk-bpu-worker-title",
                "employers",
                &format!("/tk/bpu/{kpj}"),
            ),
            period: s.period.unwrap_or_else(|| month_to_pay(&v)),
            reasons: reason_codes("bpu"),
            v,
            notice: s.notice,
            errors: s.errors,
            pay_key: pintu_store::new_id(),
            end: s.end,
            today: pintu_service::today().to_string(),
        }),
    )
        .into_response()
}

async fn bpu_page(
    State(state): State<AppState>,
    u: PageUser,
    Path(kpj): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let notice = match q.notice.as_deref() {
        Some("registered") => Some("tk-bpu-registered"),
        Some("paid") => Some("tk-bpu-paid"),
        Some("ended") => Some("tk-bpu-ended"),
        _ => None,
    };
    bpu_view(
        &state,
        &u,
        &kpj,
        BpuShown {
            notice,
            ..BpuShown::default()
        },
    )
    .await
}

async fn bpu_error(state: &AppState, u: &PageUser, kpj: &str, e: Error, s: BpuShown) -> Response {
    match FormErrors::from_error(e, &u.tr) {
        Ok((status, errors)) => {
            bpu_view(
                state,
                u,
                kpj,
                BpuShown {
                    errors,
                    status,
                    ..s
                },
            )
            .await
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

/// Cash taken by the agent for a month; the form's key takes a double submission once.
async fn pay_bpu(
    State(state): State<AppState>,
    u: PageUser,
    Path(kpj): Path<String>,
    Form(f): Form<BpuPayForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let key = f.idempotency_key.trim();
    if key.is_empty() {
        let e = Error::invalid("idempotency_key", "idempotency_key_invalid");
        return bpu_error(&state, &u, &kpj, e, BpuShown::default()).await;
    }
    match state
        .pintu
        .pay_bpu(&u.ctx, &kpj, &f.period, Some(key), Utc::now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/tk/bpu/{kpj}?notice=paid")).into_response(),
        Err(e) => {
            let s = BpuShown {
                period: Some(f.period.clone()),
                ..BpuShown::default()
            };
            bpu_error(&state, &u, &kpj, e, s).await
        }
    }
}

async fn end_bpu(
    State(state): State<AppState>,
    u: PageUser,
    Path(kpj): Path<String>,
    Form(f): Form<EndForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let input = EndInput {
        until: f.until.clone(),
        reason: f.reason.clone(),
    };
    match state.pintu.end_bpu(&u.ctx, &kpj, &input, Utc::now()).await {
        Ok(_) => Redirect::to(&format!("/tk/bpu/{kpj}?notice=ended")).into_response(),
        Err(e) => {
            let s = BpuShown {
                end: f,
                ..BpuShown::default()
            };
            bpu_error(&state, &u, &kpj, e, s).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_are_grouped_by_thousands() {
        assert_eq!(rupiah(477_000), "Rp 477.000");
        assert_eq!(rupiah(6_800), "Rp 6.800");
        assert_eq!(rupiah(0), "Rp 0");
    }
}
