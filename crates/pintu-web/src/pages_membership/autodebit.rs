//! The JKN page's e-wallet auto-debit forms: set up the family's mandate or cancel it, by
//! an officer of the area or by the resident for their own household.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use pintu_service::autodebit::MandateInput;

use super::{JknForm, Viewer, after_error, notice_of, officer_viewer, page, resident_viewer};
use crate::AppState;
use crate::pages::{FormErrors, check_csrf, constant_time_eq};
use crate::session::{PageUser, ResidentPage};

fn mandate_input(f: &JknForm) -> MandateInput {
    MandateInput {
        wallet: f.wallet.clone(),
        phone: f.phone.clone(),
    }
}

/// Shows the page again with what was done, or the form with its errors.
async fn done(
    state: &AppState,
    v: Viewer<'_>,
    id: &str,
    f: JknForm,
    result: Result<(), pintu_service::Error>,
    notice: &str,
) -> Response {
    match result {
        Ok(()) => {
            page(
                state,
                v,
                id,
                JknForm::default(),
                FormErrors::default(),
                notice_of(notice),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => after_error(state, v, id, f, e).await,
    }
}

pub(super) async fn officer_set(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let r = state
        .pintu
        .set_debit_mandate(&u.ctx, &id, &mandate_input(&f), Utc::now())
        .await
        .map(|_| ());
    done(
        &state,
        officer_viewer(&u, &id),
        &id,
        f,
        r,
        "debit-mandate-set",
    )
    .await
}

pub(super) async fn officer_cancel(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let r = state
        .pintu
        .cancel_debit_mandate(&u.ctx, &id, Utc::now())
        .await
        .map(|_| ());
    done(
        &state,
        officer_viewer(&u, &id),
        &id,
        f,
        r,
        "debit-mandate-cancelled",
    )
    .await
}

pub(super) async fn resident_set(
    State(state): State<AppState>,
    r: ResidentPage,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    if !constant_time_eq(&r.resident.csrf_token, &f.csrf) {
        return crate::pages::error_page_code(&r.tr, StatusCode::FORBIDDEN, "csrf_invalid");
    }
    let result = state
        .pintu
        .set_debit_mandate(r.ctx(), &id, &mandate_input(&f), Utc::now())
        .await
        .map(|_| ());
    done(
        &state,
        resident_viewer(&r, &id),
        &id,
        f,
        result,
        "debit-mandate-set",
    )
    .await
}

pub(super) async fn resident_cancel(
    State(state): State<AppState>,
    r: ResidentPage,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    if !constant_time_eq(&r.resident.csrf_token, &f.csrf) {
        return crate::pages::error_page_code(&r.tr, StatusCode::FORBIDDEN, "csrf_invalid");
    }
    let result = state
        .pintu
        .cancel_debit_mandate(r.ctx(), &id, Utc::now())
        .await
        .map(|_| ());
    done(
        &state,
        resident_viewer(&r, &id),
        &id,
        f,
        result,
        "debit-mandate-cancelled",
    )
    .await
}
