//! The imports pages: upload an extract, follow its progress, read and download its
//! rejection report.

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pintu_domain::sources::Source;
use pintu_service::Error;
use pintu_store::imports::{ImportIssue, ImportRow};

use crate::AppState;
use crate::api_imports::{MAX_IMPORT_BYTES, csv_download, read_upload, upload_parts};
use crate::pages::{CsrfForm, Layout, check_csrf, error_page, error_page_code, render};
use crate::session::PageUser;

/// Rejections shown on the page; the download has them all.
const ISSUES_SHOWN: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/imports",
            get(imports)
                .post(upload)
                .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route("/imports/{id}", get(import))
        .route("/imports/{id}/status", get(status))
        .route("/imports/{id}/cancel", post(cancel))
        .route("/imports/{id}/rejections.csv", get(rejections))
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    l: Layout,
    rows: Vec<ImportRow>,
    sources: Vec<&'static str>,
    chosen: String,
    errors: Vec<String>,
}

async fn imports(State(state): State<AppState>, u: PageUser) -> Response {
    imports_page(&state, &u, String::new(), Vec::new(), StatusCode::OK).await
}

async fn imports_page(
    state: &AppState,
    u: &PageUser,
    chosen: String,
    errors: Vec<String>,
    code: StatusCode,
) -> Response {
    match state.pintu.recent_imports(&u.ctx, 50).await {
        Ok(rows) => (
            code,
            render(&ImportsPage {
                l: Layout::for_user(u, "imports-title", "imports", "/imports"),
                rows,
                sources: Source::ALL.iter().map(|s| s.code()).collect(),
                chosen,
                errors,
            }),
        )
            .into_response(),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

async fn upload(
    State(state): State<AppState>,
    u: PageUser,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let Ok(form) = form else {
        return error_page_code(
            &u.tr,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        );
    };
    let upload = match read_upload(form).await {
        Ok(up) => up,
        Err((status, code)) => return error_page_code(&u.tr, status, code),
    };
    let csrf = upload
        .fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if let Err(r) = check_csrf(&u, &csrf) {
        return r;
    }
    let chosen = upload.source.clone().unwrap_or_default();
    let started = match upload_parts(upload) {
        Ok((source, name, data)) => state.pintu.start_import(&u.ctx, source, &name, data).await,
        Err(e) => Err(e),
    };
    match started {
        Ok(import) => Redirect::to(&format!("/imports/{}", import.id)).into_response(),
        Err(Error::Invalid(inv)) => {
            let errors = inv
                .0
                .iter()
                .map(|f| match f.code {
                    "file_missing_column" => u.tr.t1("imports-missing-column", "column", &f.field),
                    code => format!("{}: {}", field_label(&u, &f.field), u.tr.error(code)),
                })
                .collect();
            imports_page(&state, &u, chosen, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

fn field_label(u: &PageUser, field: &str) -> String {
    match field {
        "source" => u.tr.t("imports-source"),
        "file" => u.tr.t("imports-file"),
        other => other.to_string(),
    }
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    l: Layout,
    imp: ImportRow,
    sync: pintu_service::sync::SyncSummary,
    /// Per village: linked on NIK, linked probabilistically, new, to verify, conflicts for
    /// review, conflicts settled by authority.
    villages: Vec<(String, [i64; 6])>,
    issues: Vec<(ImportIssue, String)>,
    more_issues: usize,
}

#[derive(Template)]
#[template(path = "import_status.html")]
struct StatusPartial {
    l: Layout,
    imp: ImportRow,
}

async fn import(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    let found = state.pintu.import(&u.ctx, &id).await;
    let issues = match &found {
        Ok(_) => state.pintu.import_issues(&u.ctx, &id).await,
        Err(_) => Ok(Vec::new()),
    };
    match (found, issues) {
        (Ok(i), Ok(issues)) => {
            let sync = match state.pintu.sync_summary(&u.ctx, &i.id).await {
                Ok(s) => s,
                Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
            };
            let mut villages: std::collections::BTreeMap<String, [i64; 6]> = Default::default();
            for line in &sync.conflicts_by_village {
                let slot = if line.status == "auto" { 5 } else { 4 };
                villages.entry(line.village_code.clone()).or_default()[slot] += line.n;
            }
            for line in &sync.by_village {
                let slot = match line.link_method.as_deref() {
                    Some("nik") => 0,
                    Some("probabilistic") => 1,
                    Some("new") => 2,
                    Some("unmatched") => 3,
                    _ => continue,
                };
                villages
                    .entry(line.village_code.clone().unwrap_or_else(|| "—".into()))
                    .or_default()[slot] += line.rows;
            }
            let more_issues = issues.len().saturating_sub(ISSUES_SHOWN);
            let issues = issues
                .into_iter()
                .take(ISSUES_SHOWN)
                .map(|x| {
                    let reason = u.tr.error(&x.code);
                    (x, reason)
                })
                .collect();
            render(&ImportPage {
                l: Layout::for_user(&u, "import-title", "imports", &format!("/imports/{id}")),
                imp: i,
                sync,
                villages: villages.into_iter().collect(),
                issues,
                more_issues,
            })
        }
        (Err(e), _) | (_, Err(e)) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

/// The progress block alone, polled by the page while the import runs.
async fn status(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    match state.pintu.import(&u.ctx, &id).await {
        Ok(i) => render(&StatusPartial {
            l: Layout::for_user(&u, "import-title", "imports", &format!("/imports/{id}")),
            imp: i,
        }),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

async fn cancel(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    match state.pintu.cancel_import(&u.ctx, &id).await {
        Ok(i) => Redirect::to(&format!("/imports/{}", i.id)).into_response(),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

async fn rejections(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    _headers: HeaderMap,
) -> Response {
    match state.pintu.import_issues(&u.ctx, &id).await {
        Ok(issues) => csv_download(
            crate::reports::issues_csv(&issues),
            &format!("rejections-{id}.csv"),
        )
        .into_response(),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}
