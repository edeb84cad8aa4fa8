//! `/api/v1/imports`: source extracts uploaded, followed and reported.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use pintu_domain::Invalid;
use pintu_domain::sources::Source;
use pintu_service::Error;
use pintu_store::imports::ImportRow;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::session::ApiCtx;

/// Largest extract accepted in one upload.
pub const MAX_IMPORT_BYTES: usize = 512 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_import, list_imports))
        .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES))
        .routes(routes!(get_import))
        .routes(routes!(import_rejections))
        .routes(routes!(cancel_import))
        .routes(routes!(import_sync))
}

/// An import of a source extract and how far it has come.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportOut {
    pub id: String,
    /// `ektp`, `kk`, `dtks`, `kps` or `jkn`.
    pub source: String,
    pub file_name: String,
    /// SHA-256 of the file: the same file is the same import.
    pub sha256: String,
    /// The area of the officer who started it (none: national).
    pub area_code: Option<String>,
    /// `running`, `synchronising`, `cancelling`, `cancelled`, `done` or `failed`.
    pub status: String,
    pub rows_total: i64,
    pub rows_read: i64,
    pub rows_accepted: i64,
    pub rows_rejected: i64,
    /// Rows imported with a value dropped (e.g. a mistyped NIK in a survey).
    pub rows_with_warnings: i64,
    /// Accepted rows linked to the registry so far: the synchronisation's progress, out of
    /// `rows_accepted`.
    pub rows_synchronised: i64,
    /// Columns of the file that the format does not know (ignored).
    pub unknown_columns: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ImportRow> for ImportOut {
    fn from(i: ImportRow) -> Self {
        ImportOut {
            id: i.id,
            source: i.source,
            file_name: i.file_name,
            sha256: i.sha256,
            area_code: i.area_code,
            status: i.status,
            rows_total: i.rows_total,
            rows_read: i.rows_read,
            rows_accepted: i.rows_accepted,
            rows_rejected: i.rows_rejected,
            rows_with_warnings: i.rows_with_warnings,
            rows_synchronised: i.rows_synchronised,
            unknown_columns: i.unknown_columns,
            error: i.error,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ImportUpload {
    /// `ektp`, `kk`, `dtks`, `kps` or `jkn`.
    source: String,
    /// The extract: UTF-8 CSV with a header row (FORMATS.md).
    #[schema(format = Binary, content_media_type = "text/csv")]
    file: Vec<u8>,
}

/// What an upload form carried.
pub struct Upload {
    pub source: Option<String>,
    pub file_name: String,
    pub data: Option<Vec<u8>>,
    /// Other text fields (the pages' CSRF token).
    pub fields: Vec<(String, String)>,
}

/// Reads a multipart upload with a `source` and a `file` field.
pub async fn read_upload(mut form: Multipart) -> Result<Upload, (StatusCode, &'static str)> {
    let mut upload = Upload {
        source: None,
        file_name: String::new(),
        data: None,
        fields: Vec::new(),
    };
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err((StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"));
            }
            Err(_) => return Err((StatusCode::BAD_REQUEST, "malformed_request")),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            upload.file_name = field.file_name().unwrap_or("upload.csv").to_string();
            match field.bytes().await {
                Ok(b) => upload.data = Some(b.to_vec()),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err((StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"));
                }
                Err(_) => return Err((StatusCode::BAD_REQUEST, "malformed_request")),
            }
        } else {
            let text = field
                .text()
                .await
                .map_err(|_| (StatusCode::BAD_REQUEST, "malformed_request"))?;
            if name == "source" {
                upload.source = Some(text);
            } else {
                upload.fields.push((name, text));
            }
        }
    }
    Ok(upload)
}

/// The source and file of an upload, or the fields that are missing or wrong.
pub fn upload_parts(upload: Upload) -> Result<(Source, String, Vec<u8>), Error> {
    let mut invalid = Invalid::default();
    let source = match upload.source.as_deref().map(str::trim) {
        None | Some("") => {
            invalid.push("source", "required");
            None
        }
        Some(s) => Source::parse(s).or_else(|| {
            invalid.push("source", "source_unknown");
            None
        }),
    };
    let data = upload.data.filter(|d| !d.is_empty());
    if data.is_none() {
        invalid.push("file", "required");
    }
    match (source, data) {
        (Some(s), Some(d)) if invalid.is_empty() => Ok((s, upload.file_name, d)),
        _ => Err(Error::Invalid(invalid)),
    }
}

/// Upload an extract. The file is checked whole (encoding, header) before anything is
/// written; its rows are then imported in the background. Uploading the same file again
/// resumes an unfinished import and changes nothing after a finished one.
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports",
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses((status = 202, body = ImportOut, description = "accepted: follow it at /api/v1/imports/{id}"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody, description = "missing column, not UTF-8, unknown source ...")))]
async fn upload_import(
    State(s): State<AppState>,
    c: ApiCtx,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<ImportOut>), ApiError> {
    let form = form.map_err(|_| {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            .with_lang(c.lang)
            .with_request_id(c.ctx.request_id.clone())
    })?;
    let upload = read_upload(form).await.map_err(|(status, code)| {
        ApiError::new(status, code)
            .with_lang(c.lang)
            .with_request_id(c.ctx.request_id.clone())
    })?;
    let (source, name, data) = upload_parts(upload).map_err(|e| c.err(e))?;
    let import = s
        .pintu
        .start_import(&c.ctx, source, &name, data)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::ACCEPTED, Json(import.into())))
}

/// The latest imports in your area, newest first.
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports",
    responses((status = 200, body = Vec<ImportOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_imports(
    State(s): State<AppState>,
    c: ApiCtx,
) -> Result<Json<Vec<ImportOut>>, ApiError> {
    let list = s
        .pintu
        .recent_imports(&c.ctx, 50)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// An import's status, counts and progress.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports", params(("id" = String, Path)),
    responses((status = 200, body = ImportOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_import(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ImportOut>, ApiError> {
    let import = s.pintu.import(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    Ok(Json(import.into()))
}

/// The rejection report (CSV): spreadsheet row (the header is row 1), column, outcome
/// (`rejected` or `value_dropped`), code, and the reason in Bahasa Indonesia and English.
#[utoipa::path(get, path = "/api/v1/imports/{id}/rejections", tag = "imports", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn import_rejections(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let issues = s
        .pintu
        .import_issues(&c.ctx, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(csv_download(
        crate::reports::issues_csv(&issues),
        &format!("rejections-{id}.csv"),
    ))
}

/// A CSV file to download.
pub fn csv_download(body: Vec<u8>, file_name: &str) -> impl IntoResponse + use<> {
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file_name.replace(
            |ch: char| !ch.is_ascii_alphanumeric() && ch != '-' && ch != '.',
            "_"
        )
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
}

/// Stop a running import after its current batch, while its rows are stored or while they
/// are synchronised (rows already written or linked stay; uploading the same file again
/// resumes it).
#[utoipa::path(post, path = "/api/v1/imports/{id}/cancel", tag = "imports", params(("id" = String, Path)),
    responses((status = 200, body = ImportOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not running")))]
async fn cancel_import(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ImportOut>, ApiError> {
    let import = s
        .pintu
        .cancel_import(&c.ctx, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(import.into()))
}

/// Rows of one village by how synchronisation decided them.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncLineOut {
    pub village_code: Option<String>,
    /// `nik`, `probabilistic`, `new` or `unmatched`; none while not yet synchronised.
    pub link_method: Option<String>,
    pub rows: i64,
}

/// What synchronisation did with an import's rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncOut {
    pub rows: i64,
    pub linked_exact: i64,
    pub linked_probabilistic: i64,
    pub created: i64,
    pub unmatched: i64,
    /// Disagreements with the registry for a reviewer (see `/api/v1/conflicts`).
    pub conflicts: i64,
    /// Disagreements settled by a source's authority.
    pub conflicts_settled: i64,
    /// Rows of the file rejected (see the rejection report).
    pub rejected: i64,
    pub by_village: Vec<SyncLineOut>,
    pub conflicts_by_village: Vec<ConflictLineOut>,
}

/// Conflicts of one village by status (`open`, `field_check`, `resolved`, `auto`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictLineOut {
    pub village_code: String,
    pub status: String,
    pub conflicts: i64,
}

impl From<pintu_service::sync::SyncSummary> for SyncOut {
    fn from(s: pintu_service::sync::SyncSummary) -> Self {
        SyncOut {
            rows: s.rows,
            linked_exact: s.linked_exact,
            linked_probabilistic: s.linked_probabilistic,
            created: s.created,
            unmatched: s.unmatched,
            conflicts: s.conflicts,
            conflicts_settled: s.conflicts_settled,
            rejected: s.rejected,
            conflicts_by_village: s
                .conflicts_by_village
                .into_iter()
                .map(|l| ConflictLineOut {
                    village_code: l.village_code,
                    status: l.status,
                    conflicts: l.n,
                })
                .collect(),
            by_village: s
                .by_village
                .into_iter()
                .map(|l| SyncLineOut {
                    village_code: l.village_code,
                    link_method: l.link_method,
                    rows: l.rows,
                })
                .collect(),
        }
    }
}

/// The synchronisation summary of an import: rows linked on NIK, linked probabilistically,
/// new people, rows to verify, conflicts (for review and settled by authority), rows
/// rejected; overall and by village.
#[utoipa::path(get, path = "/api/v1/imports/{id}/sync", tag = "imports", params(("id" = String, Path)),
    responses((status = 200, body = SyncOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn import_sync(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<SyncOut>, ApiError> {
    let summary = s
        .pintu
        .sync_summary(&c.ctx, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(summary.into()))
}
