//! Pintu's web: server-rendered pages (askama + htmx, vendored) and the JSON API under
//! `/api/v1` with its OpenAPI document, sharing one router and one state.

pub mod api;
pub mod api_applications;
pub mod api_autodebit;
pub mod api_bpjstk;
pub mod api_calls;
pub mod api_cases;
pub mod api_complaints;
pub mod api_imports;
pub mod api_matching;
pub mod api_membership;
pub mod api_messages;
pub mod api_payments;
pub mod api_programmes;
pub mod api_residents;
pub mod api_review;
pub mod error;
pub mod i18n;
pub mod pages;
mod pages_applications;
mod pages_bpjstk;
mod pages_calls;
mod pages_cases;
mod pages_check;
mod pages_complaints;
mod pages_imports;
mod pages_matching;
mod pages_membership;
mod pages_payments;
mod pages_programmes;
mod pages_residents;
mod pages_review;
pub mod paysim;
pub mod reports;
mod session;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use pintu_service::Pintu;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Largest request body the server reads: a household with 30 members fits many times over.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler shares; cloned per request, so it is one pointer.
#[derive(Clone)]
pub struct AppState(std::sync::Arc<Shared>);

pub struct Shared {
    pub pintu: Pintu,
    /// Mark cookies `Secure`: set when Pintu is served behind TLS.
    pub secure_cookies: bool,
    /// Where a resident pays a bill online (a bank's or aggregator's payment page, or the
    /// local payment simulator), given `va`, `amount` and `return`; none hides the button.
    pub payment_page: Option<String>,
}

impl AppState {
    pub fn new(pintu: Pintu, secure_cookies: bool) -> AppState {
        AppState(std::sync::Arc::new(Shared {
            pintu,
            secure_cookies,
            payment_page: None,
        }))
    }

    /// Sends residents to `url` to pay their bills online.
    pub fn with_payment_page(self, url: Option<String>) -> AppState {
        let shared = std::sync::Arc::try_unwrap(self.0).unwrap_or_else(|arc| Shared {
            pintu: arc.pintu.clone(),
            secure_cookies: arc.secure_cookies,
            payment_page: arc.payment_page.clone(),
        });
        AppState(std::sync::Arc::new(Shared {
            payment_page: url.filter(|u| !u.trim().is_empty()),
            ..shared
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The whole application: pages, API, static assets, health probes and security headers.
pub fn app(state: AppState) -> Router {
    let (api_router, _) = api::router().split_for_parts();
    Router::new()
        .merge(pages::router())
        .merge(api_router)
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/static/{*path}", get(pages::static_file))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(60)))
        // URLs never carry a NIK, so request spans may log the path.
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// The OpenAPI 3.1 document of the API, as committed in `docs/openapi.json`.
pub fn openapi_document() -> String {
    let (_, doc) = api::router().split_for_parts();
    doc.to_pretty_json().unwrap_or_default()
}

async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi_document(),
    )
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.pintu.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// The request id set by the middleware, for the audit log and error pages.
pub fn request_id(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
