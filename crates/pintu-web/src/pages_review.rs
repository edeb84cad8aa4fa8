//! The review pages: the conflict queue (values side by side with their sources; keep, take,
//! enter a verified value, or send to the village) and the likely duplicates (merge or
//! dismiss).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pintu_domain::conflicts::{Decision, Field};
use pintu_service::Error;
use pintu_service::review::Resolution;
use pintu_store::review::{ConflictRow, DuplicateRow};
use serde::Deserialize;

use crate::AppState;
use crate::pages::{Layout, check_csrf, error_page, render};
use crate::session::PageUser;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/review", get(conflicts))
        .route("/review/conflicts/{id}", post(resolve))
        .route("/review/duplicates", get(duplicates))
        .route("/review/duplicates/{id}/merge", post(merge))
        .route("/review/duplicates/{id}/dismiss", post(dismiss))
}

/// The tabs of the conflict page: (status parameter, label key).
const TABS: [(&str, &str); 4] = [
    ("", "review-tab-queue"),
    ("resolved", "review-tab-resolved"),
    ("auto", "review-tab-auto"),
    ("all", "review-tab-all"),
];

/// Notices a redirect may ask the page to show.
const NOTICES: [&str; 4] = [
    "review-decided",
    "review-sent",
    "review-merged",
    "review-dismissed",
];

#[derive(Deserialize, Default)]
struct ListQuery {
    status: Option<String>,
    area: Option<String>,
    after: Option<String>,
    notice: Option<String>,
}

/// A conflict as the page shows it, with the buttons the reviewer may press.
struct ConflictView {
    c: ConflictRow,
    decisions: Vec<&'static str>,
    /// Whether a verified value can be entered.
    verified: bool,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    l: Layout,
    tab: String,
    tabs: Vec<(&'static str, &'static str)>,
    items: Vec<ConflictView>,
    next: Option<String>,
    notice: Option<String>,
    errors: Vec<String>,
}

fn view(u: &PageUser, c: ConflictRow) -> ConflictView {
    let undecided = matches!(c.status.as_str(), "open" | "field_check");
    let reviewer = u.ctx.actor.may_review();
    let decisions: Vec<&'static str> = match Field::parse(&c.field) {
        Some(f) if undecided && (reviewer || c.status == "field_check") => f
            .decisions()
            .iter()
            .filter(|d| **d != Decision::SendToVillage || (reviewer && c.status == "open"))
            .filter(|d| **d != Decision::Verified)
            .map(|d| d.code())
            .collect(),
        _ => Vec::new(),
    };
    let verified = undecided
        && (reviewer || c.status == "field_check")
        && Field::parse(&c.field).is_some_and(|f| f.decisions().contains(&Decision::Verified));
    ConflictView {
        c,
        decisions,
        verified,
    }
}

async fn conflicts(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<ListQuery>,
) -> Response {
    let notice = q
        .notice
        .as_deref()
        .filter(|n| NOTICES.contains(n))
        .map(|n| u.tr.t(n));
    conflicts_page(&state, &u, &q, notice, Vec::new(), StatusCode::OK).await
}

async fn conflicts_page(
    state: &AppState,
    u: &PageUser,
    q: &ListQuery,
    notice: Option<String>,
    errors: Vec<String>,
    code: StatusCode,
) -> Response {
    let tab = q.status.clone().unwrap_or_default();
    let page = state
        .pintu
        .conflicts(
            &u.ctx,
            q.area.as_deref(),
            Some(tab.as_str()),
            q.after.as_deref(),
            Some(50),
        )
        .await;
    match page {
        Ok(p) => (
            code,
            render(&ReviewPage {
                l: Layout::for_user(u, "review-title", "review", "/review"),
                tab,
                tabs: TABS.to_vec(),
                items: p.items.into_iter().map(|c| view(u, c)).collect(),
                next: p.next,
                notice,
                errors,
            }),
        )
            .into_response(),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

#[derive(Deserialize)]
struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    note: Option<String>,
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
    let input = Resolution {
        decision: f.decision.clone(),
        value: f.value,
        note: f.note,
    };
    match state.pintu.resolve_conflict(&u.ctx, &id, &input).await {
        Ok(c) => {
            let notice = match c.status.as_str() {
                "field_check" => "review-sent",
                _ => "review-decided",
            };
            Redirect::to(&format!("/review?notice={notice}")).into_response()
        }
        Err(Error::Invalid(inv)) => {
            let errors = inv
                .0
                .iter()
                .map(|e| format!("{}: {}", u.tr.t("review-value"), u.tr.error(e.code)))
                .collect();
            let q = ListQuery::default();
            conflicts_page(
                &state,
                &u,
                &q,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e @ Error::Conflict { .. }) => {
            let api = crate::error::ApiError::from_service(e);
            let q = ListQuery::default();
            let errors = vec![u.tr.error(api.code)];
            conflicts_page(&state, &u, &q, None, errors, StatusCode::CONFLICT).await
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage {
    l: Layout,
    items: Vec<DuplicateRow>,
    next: Option<String>,
    status: String,
    notice: Option<String>,
    may_decide: bool,
}

async fn duplicates(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<ListQuery>,
) -> Response {
    let status = q.status.clone().unwrap_or_else(|| "open".into());
    let page = state
        .pintu
        .duplicates(
            &u.ctx,
            q.area.as_deref(),
            Some(status.as_str()),
            q.after.as_deref(),
            Some(50),
        )
        .await;
    match page {
        Ok(p) => render(&DuplicatesPage {
            l: Layout::for_user(&u, "duplicates-title", "review", "/review/duplicates"),
            items: p.items,
            next: p.next,
            may_decide: status == "open" && u.ctx.actor.may_review(),
            status,
            notice: q
                .notice
                .as_deref()
                .filter(|n| NOTICES.contains(n))
                .map(|n| u.tr.t(n)),
        }),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

#[derive(Deserialize)]
struct PairForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    keep: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

async fn merge(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<PairForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    match state
        .pintu
        .merge_duplicate(&u.ctx, &id, f.keep.as_deref(), &f.note)
        .await
    {
        Ok(_) => Redirect::to("/review/duplicates?notice=review-merged").into_response(),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

async fn dismiss(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<PairForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    match state.pintu.dismiss_duplicate(&u.ctx, &id, &f.note).await {
        Ok(_) => Redirect::to("/review/duplicates?notice=review-dismissed").into_response(),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}
