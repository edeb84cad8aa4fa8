//! The JKN page's e-wallet auto-debit forms: set up the family's mandate, confirm it with the
//! code sent to the wallet's number, or cancel it, by an officer of the area or by the
//! resident for their own household.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use pintu_service::autodebit::{MandateCode, MandateInput};

use super::{JknForm, Viewer, after_error, notice_of, officer_viewer, page, resident_viewer};
use crate::AppState;
use crate::pages::{FormErrors, check_csrf, constant_time_eq};
use crate::session::{PageUser, ResidentPage};

/// What a form asks of the family's auto-debit.
#[derive(Clone, Copy)]
enum Action {
    /// Set up a mandate: a code goes to the wallet's number.
    Set,
    /// Confirm the pending mandate with that code.
    Confirm,
    /// Cancel the active mandate, or withdraw the pending one.
    Cancel,
}

/// Does `action` and shows the page again with what was done, or the form with its errors.
async fn act(state: &AppState, v: Viewer<'_>, id: &str, f: JknForm, action: Action) -> Response {
    let now = Utc::now();
    let pintu = &state.pintu;
    let (result, notice) = match action {
        Action::Set => {
            let input = MandateInput {
                wallet: f.wallet.clone(),
                phone: f.phone.clone(),
            };
            (
                pintu.set_debit_mandate(v.ctx, id, &input, now).await,
                "debit-mandate-code-sent",
            )
        }
        Action::Confirm => {
            let input = MandateCode {
                code: f.code.clone(),
            };
            (
                pintu.confirm_debit_mandate(v.ctx, id, &input, now).await,
                "debit-mandate-set",
            )
        }
        Action::Cancel => (
            pintu.cancel_debit_mandate(v.ctx, id, now).await,
            "debit-mandate-cancelled",
        ),
    };
    match result {
        Ok(_) => {
            // The form keeps the wallet chosen, for a new code if the first does not come.
            let kept = JknForm {
                wallet: f.wallet,
                ..JknForm::default()
            };
            let notice = notice_of(notice);
            page(
                state,
                v,
                id,
                kept,
                FormErrors::default(),
                notice,
                StatusCode::OK,
            )
            .await
        }
        Err(e) => after_error(state, v, id, f, e).await,
    }
}

async fn officer(state: AppState, u: PageUser, id: String, f: JknForm, a: Action) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    act(&state, officer_viewer(&u, &id), &id, f, a).await
}

async fn resident(state: AppState, r: ResidentPage, id: String, f: JknForm, a: Action) -> Response {
    if !constant_time_eq(&r.resident.csrf_token, &f.csrf) {
        return crate::pages::error_page_code(&r.tr, StatusCode::FORBIDDEN, "csrf_invalid");
    }
    act(&state, resident_viewer(&r, &id), &id, f, a).await
}

pub(super) async fn officer_set(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    officer(state, u, id, f, Action::Set).await
}

pub(super) async fn officer_confirm(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    officer(state, u, id, f, Action::Confirm).await
}

pub(super) async fn officer_cancel(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    officer(state, u, id, f, Action::Cancel).await
}

pub(super) async fn resident_set(
    State(state): State<AppState>,
    r: ResidentPage,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    resident(state, r, id, f, Action::Set).await
}

pub(super) async fn resident_confirm(
    State(state): State<AppState>,
    r: ResidentPage,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    resident(state, r, id, f, Action::Confirm).await
}

pub(super) async fn resident_cancel(
    State(state): State<AppState>,
    r: ResidentPage,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    resident(state, r, id, f, Action::Cancel).await
}
