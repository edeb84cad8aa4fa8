//! Payment and finance pages: the cash an officer or agent holds and its daily deposit;
//! the finance unit's page (the month's report by area and channel, the ledger's balances,
//! the billing run, bank statements and the exceptions queue); the list of FKTP.

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use pintu_domain::payments::Channel;
use pintu_service::Error;
use pintu_service::membership::BillingRun;
use pintu_service::payments::FinanceReport;
use pintu_store::jkn::FacilityRow;
use pintu_store::payments::{BalanceRow, DepositRow, ExceptionRow, PaymentRow, StatementRow};
use serde::Deserialize;

use crate::AppState;
use crate::pages::{FormErrors, Layout, check_csrf, error_page, error_page_code, render};
use crate::session::PageUser;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/payments/cash", get(cash_page))
        .route("/payments/cash/deposit", post(deposit))
        .route("/finance", get(finance_page))
        .route("/finance/billing", post(billing))
        .route("/finance/statements", post(statement))
        .route("/finance/exceptions/{id}/resolve", post(resolve))
        .route("/facilities", get(facilities_page))
}

#[derive(Template)]
#[template(path = "payments_cash.html")]
struct CashPage {
    l: Layout,
    cash: Vec<PaymentRow>,
    bpu: Vec<pintu_store::bpjstk::BpuPaymentRow>,
    total: i64,
    deposits: Vec<DepositRow>,
    bank_reference: String,
    errors: FormErrors,
    notice: Option<&'static str>,
}

impl CashPage {
    fn rupiah(&self, n: &i64) -> String {
        crate::pages::rupiah(*n)
    }
}

#[derive(Deserialize, Default)]
struct DepositForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bank_reference: String,
}

async fn cash_view(
    state: &AppState,
    u: &PageUser,
    bank_reference: String,
    errors: FormErrors,
    notice: Option<&'static str>,
    status: StatusCode,
) -> Response {
    match state.pintu.my_cash(&u.ctx).await {
        Ok(held) => (
            status,
            render(&CashPage {
                l: Layout::for_user(u, "cash-title", "cash", "/payments/cash"),
                total: held.total(),
                cash: held.jkn,
                bpu: held.bpu,
                deposits: held.deposits,
                bank_reference,
                errors,
                notice,
            }),
        )
            .into_response(),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

async fn cash_page(State(state): State<AppState>, u: PageUser) -> Response {
    cash_view(
        &state,
        &u,
        String::new(),
        FormErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn deposit(
    State(state): State<AppState>,
    u: PageUser,
    Form(f): Form<DepositForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    match state
        .pintu
        .deposit_cash(&u.ctx, &f.bank_reference, Utc::now())
        .await
    {
        Ok(_) => {
            cash_view(
                &state,
                &u,
                String::new(),
                FormErrors::default(),
                Some("cash-deposited"),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) => {
                cash_view(&state, &u, f.bank_reference, errors, None, status).await
            }
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

#[derive(Template)]
#[template(path = "finance.html")]
struct FinancePage {
    l: Layout,
    area: String,
    month: String,
    report: Option<FinanceReport>,
    balances: Vec<BalanceRow>,
    payments: Vec<PaymentRow>,
    statements: Vec<StatementRow>,
    exceptions: Vec<ExceptionRow>,
    run: Option<BillingRun>,
    statement: Option<(StatementRow, bool)>,
    errors: FormErrors,
    channels: Vec<&'static str>,
}

impl FinancePage {
    fn rupiah(&self, n: &i64) -> String {
        crate::pages::rupiah(*n)
    }

    fn per_cent(&self, per_mille: &i64) -> String {
        format!("{}.{} %", per_mille / 10, per_mille % 10)
    }

    /// The cost of collection of a channel, in per cent of what it brought.
    fn cost(&self, fees: &i64, amount: &i64) -> String {
        if *amount == 0 {
            return "-".into();
        }
        self.per_cent(&(fees * 1000 / amount))
    }
}

#[derive(Deserialize, Default)]
struct FinanceQuery {
    #[serde(default)]
    area: String,
    #[serde(default)]
    month: String,
}

struct Extra {
    run: Option<BillingRun>,
    statement: Option<(StatementRow, bool)>,
    errors: FormErrors,
    status: StatusCode,
}

impl Default for Extra {
    fn default() -> Self {
        Extra {
            run: None,
            statement: None,
            errors: FormErrors::default(),
            status: StatusCode::OK,
        }
    }
}

async fn finance_view(state: &AppState, u: &PageUser, q: FinanceQuery, extra: Extra) -> Response {
    let area = q.area.trim().to_string();
    let area_opt = Some(area.as_str()).filter(|a| !a.is_empty());
    let month = if q.month.trim().is_empty() {
        pintu_service::today().format("%Y-%m").to_string()
    } else {
        q.month.trim().to_string()
    };
    let p = &state.pintu;
    let loaded = async {
        let report = p
            .finance_report(&u.ctx, area_opt, &month, pintu_service::today())
            .await?;
        let balances = p.ledger_balances(&u.ctx, area_opt).await?;
        let payments = p.payments_list(&u.ctx, area_opt, None).await?;
        let statements = p.statements(&u.ctx).await?;
        let exceptions = p.recon_exceptions(&u.ctx, area_opt, false).await?;
        Ok::<_, Error>((report, balances, payments, statements, exceptions))
    }
    .await;
    let (report, balances, mut payments, statements, exceptions) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    payments.truncate(50);
    (
        extra.status,
        render(&FinancePage {
            l: Layout::for_user(u, "finance-title", "finance", "/finance"),
            area,
            month,
            report: Some(report),
            balances,
            payments,
            statements,
            exceptions,
            run: extra.run,
            statement: extra.statement,
            errors: extra.errors,
            channels: Channel::ALL
                .into_iter()
                .filter(|c| c.is_callback())
                .map(|c| c.code())
                .collect(),
        }),
    )
        .into_response()
}

async fn finance_page(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<FinanceQuery>,
) -> Response {
    finance_view(&state, &u, q, Extra::default()).await
}

async fn after_error(state: &AppState, u: &PageUser, e: Error) -> Response {
    match FormErrors::from_error(e, &u.tr) {
        Ok((status, errors)) => {
            finance_view(
                state,
                u,
                FinanceQuery::default(),
                Extra {
                    errors,
                    status,
                    ..Extra::default()
                },
            )
            .await
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

#[derive(Deserialize, Default)]
struct BillingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    period: String,
}

/// The monthly billing run of the officer's area.
async fn billing(
    State(state): State<AppState>,
    u: PageUser,
    Form(f): Form<BillingForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    match state
        .pintu
        .run_billing(&u.ctx, &f.period, pintu_service::today(), Utc::now())
        .await
    {
        Ok(run) => {
            let q = FinanceQuery {
                area: String::new(),
                month: run.period.clone(),
            };
            finance_view(
                &state,
                &u,
                q,
                Extra {
                    run: Some(run),
                    ..Extra::default()
                },
            )
            .await
        }
        Err(e) => after_error(&state, &u, e).await,
    }
}

/// A channel's statement, reconciled.
async fn statement(
    State(state): State<AppState>,
    u: PageUser,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let Ok(mut form) = form else {
        return error_page_code(
            &u.tr,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        );
    };
    let (mut csrf, mut channel, mut file) = (String::new(), String::new(), None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("channel") => channel = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("statement.csv").to_string();
                if let Ok(bytes) = field.bytes().await
                    && !bytes.is_empty()
                {
                    file = Some((name, bytes));
                }
            }
            _ => {}
        }
    }
    if let Err(r) = check_csrf(&u, &csrf) {
        return r;
    }
    let Some(channel) = Channel::parse(&channel) else {
        return after_error(&state, &u, Error::invalid("channel", "channel_invalid")).await;
    };
    let Some((name, bytes)) = file else {
        return after_error(&state, &u, Error::invalid("file", "required")).await;
    };
    match state
        .pintu
        .import_statement(&u.ctx, channel, &name, &bytes, Utc::now())
        .await
    {
        Ok(r) => {
            finance_view(
                &state,
                &u,
                FinanceQuery::default(),
                Extra {
                    statement: Some((r.statement, r.already_imported)),
                    ..Extra::default()
                },
            )
            .await
        }
        Err(e) => after_error(&state, &u, e).await,
    }
}

#[derive(Deserialize, Default)]
struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    resolution: String,
}

async fn resolve(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    match state
        .pintu
        .resolve_exception(&u.ctx, &id, &f.resolution, Utc::now())
        .await
    {
        Ok(_) => Redirect::to("/finance#exceptions").into_response(),
        Err(e) => after_error(&state, &u, e).await,
    }
}

#[derive(Template)]
#[template(path = "facilities.html")]
struct FacilitiesPage {
    l: Layout,
    regency: String,
    facilities: Vec<FacilityRow>,
}

#[derive(Deserialize, Default)]
struct FacilitiesQuery {
    #[serde(default)]
    regency: String,
}

/// The primary care providers members choose from, by regency.
async fn facilities_page(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<FacilitiesQuery>,
) -> Response {
    let regency = q.regency.trim().to_string();
    match state
        .pintu
        .facilities(Some(regency.as_str()).filter(|r| !r.is_empty()))
        .await
    {
        Ok(facilities) => render(&FacilitiesPage {
            l: Layout::for_user(&u, "facilities-title", "finance", "/facilities"),
            regency,
            facilities,
        })
        .into_response(),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}
