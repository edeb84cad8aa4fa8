//! The case pages (ENR-3): the cases of an area (with those whose follow-up is overdue),
//! the form that opens one for a household (from the household page), and the case itself:
//! its needs, the plan of referrals with follow-up dates, notes, and closing it.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use pintu_domain::cases::{Need, Referral};
use pintu_service::cases::{CaseDetail, NewCaseInput, NewStepInput};
use pintu_store::cases::CaseRow;
use serde::Deserialize;

use crate::AppState;
use crate::pages::{FormErrors, Layout, check_csrf, error_page, list_or_errors, render};
use crate::session::PageUser;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases", get(list_page).post(open))
        .route("/cases/new", get(new_form))
        .route("/cases/{id}", get(detail_page))
        .route("/cases/{id}/steps", post(add_step))
        .route("/cases/{id}/steps/{step}", post(finish_step))
        .route("/cases/{id}/notes", post(add_note))
        .route("/cases/{id}/close", post(close))
}

fn needs_of(c: &CaseRow) -> Vec<String> {
    serde_json::from_str(&c.needs).unwrap_or_default()
}

// ---- the list ------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    area: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    overdue: Option<String>,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage {
    l: Layout,
    q: ListQuery,
    overdue: bool,
    rows: Vec<CaseRow>,
    today: chrono::NaiveDate,
    errors: FormErrors,
}

impl ListPage {
    fn needs(&self, c: &CaseRow) -> String {
        needs_of(c)
            .iter()
            .map(|n| self.l.tr.t(&format!("need-{n}")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn list_page(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<ListQuery>,
) -> Response {
    let overdue = q.overdue.as_deref().is_some_and(|o| !o.is_empty());
    let result = state
        .pintu
        .cases(
            &u.ctx,
            q.area.as_deref().filter(|a| !a.trim().is_empty()),
            q.status.as_deref(),
            overdue,
            None,
            Some(200),
        )
        .await;
    let l = Layout::for_user(&u, "cases-title", "cases", "/cases");
    let today = pintu_service::today();
    let (status, rows, errors) = match list_or_errors(&u, result) {
        Ok(shown) => shown,
        Err(r) => return r,
    };
    (
        status,
        render(&ListPage {
            l,
            q,
            overdue,
            rows,
            today,
            errors,
        }),
    )
        .into_response()
}

// ---- opening one ---------------------------------------------------------------------------

#[derive(Deserialize, Default, Clone)]
struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    household: String,
    #[serde(default)]
    needs: Vec<String>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    officer: String,
}

#[derive(Template)]
#[template(path = "cases_new.html")]
struct NewPage {
    l: Layout,
    f: NewForm,
    household_label: String,
    all_needs: Vec<&'static str>,
    errors: FormErrors,
}

async fn new_form(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<NewForm>,
) -> Response {
    if q.household.is_empty() {
        return Redirect::to("/households").into_response();
    }
    form_page(&state, &u, q, FormErrors::default(), StatusCode::OK).await
}

async fn form_page(
    state: &AppState,
    u: &PageUser,
    f: NewForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let h = match state.pintu.household(&u.ctx, &f.household).await {
        Ok(h) => h,
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    let household_label = format!(
        "{} · {}",
        h.household
            .head_name
            .clone()
            .unwrap_or_else(|| u.tr.t("household-title")),
        h.household.village_code
    );
    (
        status,
        render(&NewPage {
            l: Layout::for_user(u, "case-new-title", "cases", "/cases/new"),
            f,
            household_label,
            all_needs: Need::ALL.iter().map(|n| n.code()).collect(),
            errors,
        }),
    )
        .into_response()
}

/// Reads a form whose `needs` checkboxes repeat: `serde_urlencoded` keeps only one value of
/// a repeated key, so the body is read by hand.
fn new_form_of(body: &str) -> NewForm {
    let mut f = NewForm::default();
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        match k.as_ref() {
            "csrf" => f.csrf = v.into_owned(),
            "household" => f.household = v.into_owned(),
            "needs" => f.needs.push(v.into_owned()),
            "summary" => f.summary = v.into_owned(),
            "officer" => f.officer = v.into_owned(),
            _ => {}
        }
    }
    f
}

async fn open(State(state): State<AppState>, u: PageUser, body: String) -> Response {
    let f = new_form_of(&body);
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let input = NewCaseInput {
        household_id: f.household.clone(),
        needs: f.needs.clone(),
        summary: f.summary.clone(),
        officer: Some(f.officer.clone()),
    };
    match state.pintu.open_case(&u.ctx, &input, Utc::now()).await {
        Ok(d) => to_case(&d.case.id, "case-opened"),
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) => form_page(&state, &u, f, errors, status).await,
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

fn to_case(id: &str, notice: &str) -> Response {
    Redirect::to(&format!("/cases/{id}?notice={notice}")).into_response()
}

// ---- one case ------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct DetailQuery {
    #[serde(default)]
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "case.html")]
struct DetailPage {
    l: Layout,
    d: CaseDetail,
    referrals: Vec<&'static str>,
    notice: Option<String>,
    errors: FormErrors,
}

async fn detail_page(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let notice = q.notice.filter(|n| n.starts_with("case-"));
    show(
        &state,
        &u,
        &id,
        notice,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn show(
    state: &AppState,
    u: &PageUser,
    id: &str,
    notice: Option<String>,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    match state.pintu.case(&u.ctx, id).await {
        Ok(d) => {
            let path = format!("/cases/{}", d.case.id);
            (
                status,
                render(&DetailPage {
                    l: Layout::for_user(u, "case-title", "cases", &path),
                    d,
                    referrals: Referral::ALL.iter().map(|r| r.code()).collect(),
                    notice,
                    errors,
                }),
            )
                .into_response()
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

async fn done(
    state: &AppState,
    u: &PageUser,
    id: &str,
    result: pintu_service::Result<CaseDetail>,
    notice: &str,
) -> Response {
    match result {
        Ok(d) => to_case(&d.case.id, notice),
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) => show(state, u, id, None, errors, status).await,
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

#[derive(Deserialize, Default)]
struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    referral: String,
    #[serde(default)]
    referred_to: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    status: String,
}

async fn add_step(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let input = NewStepInput {
        referral: f.referral,
        referred_to: f.referred_to,
        due_on: f.due_on,
        note: Some(f.note),
    };
    let result = state
        .pintu
        .add_case_step(&u.ctx, &id, &input, Utc::now())
        .await;
    done(&state, &u, &id, result, "case-step-added").await
}

async fn finish_step(
    State(state): State<AppState>,
    u: PageUser,
    Path((id, step)): Path<(String, String)>,
    Form(f): Form<StepForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let result = state
        .pintu
        .finish_case_step(&u.ctx, &id, &step, &f.status, Some(&f.note), Utc::now())
        .await;
    done(&state, &u, &id, result, "case-step-finished").await
}

#[derive(Deserialize, Default)]
struct TextForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

async fn add_note(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<TextForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let result = state
        .pintu
        .add_case_note(&u.ctx, &id, &f.text, Utc::now())
        .await;
    done(&state, &u, &id, result, "case-note-added").await
}

async fn close(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<TextForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let result = state
        .pintu
        .close_case(&u.ctx, &id, &f.text, Utc::now())
        .await;
    done(&state, &u, &id, result, "case-closed").await
}
