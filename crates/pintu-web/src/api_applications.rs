//! `/api/v1/applications`: applications of people to programmes, their documents and the
//! steps from draft to enrolment. Area-scoped like the registry.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use pintu_service::applications::{ApplicationDetail, NewApplicationInput, StepInput};
use pintu_store::applications::{ApplicationRow, DocumentRow, EventRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::ApiJson;
use crate::error::{ApiError, ErrorBody};
use crate::session::ApiCtx;

/// A body a little larger than the largest document, so that a document slightly too large
/// is answered `document_too_large` rather than cut off.
const MAX_DOCUMENT_BODY: usize = pintu_domain::applications::MAX_DOCUMENT_BYTES + 256 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_document))
        .layer(DefaultBodyLimit::max(MAX_DOCUMENT_BODY))
        .routes(routes!(create_application, list_applications))
        .routes(routes!(from_list))
        .routes(routes!(get_application))
        .routes(routes!(step))
        .routes(routes!(get_document))
        .routes(routes!(check_document))
}

/// An application as it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationOut {
    pub id: String,
    pub person_id: String,
    pub person_name: String,
    pub household_id: Option<String>,
    pub programme: String,
    pub programme_name_id: String,
    pub programme_name_en: String,
    pub village_code: String,
    /// `counter`, `online`, `sms`, `call_centre` or `matching`.
    pub channel: String,
    /// `draft`, `submitted`, `forwarded`, `approved`, `rejected`, `enrolled` or `withdrawn`.
    pub state: String,
    pub note: Option<String>,
    /// Why it was rejected or withdrawn.
    pub reason: Option<String>,
    /// The matching run whose village list named the person.
    pub run_id: Option<String>,
    /// The exclusion complaint it was opened from.
    pub complaint_id: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ApplicationRow> for ApplicationOut {
    fn from(a: ApplicationRow) -> Self {
        ApplicationOut {
            id: a.id,
            person_id: a.person_id,
            person_name: a.person_name,
            household_id: a.household_id,
            programme: a.programme_code,
            programme_name_id: a.programme_name_id,
            programme_name_en: a.programme_name_en,
            village_code: a.village_code,
            channel: a.channel,
            state: a.state,
            note: a.note,
            reason: a.reason,
            run_id: a.run_id,
            complaint_id: a.complaint_id,
            created_by: a.created_by,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// One step in an application's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationEventOut {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `created`, `submit`, `forward`, `approve`, `reject`, `enrol`, `withdraw`,
    /// `document` (one was handed in) or `checked` (one was checked off).
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    /// The reason, or the document's file name.
    pub note: Option<String>,
}

impl From<EventRow> for ApplicationEventOut {
    fn from(e: EventRow) -> Self {
        ApplicationEventOut {
            at: e.at,
            actor: e.actor,
            action: e.action,
            from_state: e.from_state,
            to_state: e.to_state,
            note: e.note,
        }
    }
}

/// A document handed in (its bytes at `/documents/{document_id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentOut {
    pub id: String,
    /// Which of the programme's required documents (0-based), if any.
    pub requirement: Option<i32>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
    pub checked_by: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

impl From<DocumentRow> for DocumentOut {
    fn from(d: DocumentRow) -> Self {
        DocumentOut {
            id: d.id,
            requirement: d.requirement,
            file_name: d.file_name,
            content_type: d.content_type,
            size: d.size,
            sha256: d.sha256,
            uploaded_by: d.uploaded_by,
            uploaded_at: d.uploaded_at,
            checked_by: d.checked_by,
            checked_at: d.checked_at,
        }
    }
}

/// One of the programme's required documents and what was handed in for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequirementOut {
    pub index: usize,
    pub name_id: String,
    pub name_en: String,
    pub checked: bool,
    pub documents: Vec<DocumentOut>,
}

/// An application with its history, documents, and the steps you may take now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationDetailOut {
    pub application: ApplicationOut,
    pub events: Vec<ApplicationEventOut>,
    pub requirements: Vec<RequirementOut>,
    pub other_documents: Vec<DocumentOut>,
    /// Documents can still be added and checked (draft or submitted).
    pub documents_open: bool,
    pub actions: Vec<String>,
    /// The messages sent to the applicant about it (decisions, by SMS).
    pub messages: Vec<crate::api_messages::MessageOut>,
}

impl From<ApplicationDetail> for ApplicationDetailOut {
    fn from(d: ApplicationDetail) -> Self {
        ApplicationDetailOut {
            application: d.application.into(),
            events: d.events.into_iter().map(Into::into).collect(),
            requirements: d
                .requirements
                .into_iter()
                .map(|r| RequirementOut {
                    index: r.index,
                    name_id: r.name_id,
                    name_en: r.name_en,
                    checked: r.checked,
                    documents: r.documents.into_iter().map(Into::into).collect(),
                })
                .collect(),
            other_documents: d.other_documents.into_iter().map(Into::into).collect(),
            documents_open: d.documents_open,
            actions: d.actions.into_iter().map(str::to_string).collect(),
            messages: d.messages.into_iter().map(Into::into).collect(),
        }
    }
}

/// A new application (a draft).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplicationIn {
    /// A living person of your area.
    pub person_id: String,
    /// The programme's code; it must be active and cover the person's village.
    pub programme: String,
    /// `counter` (default), `call_centre` or `matching`.
    pub channel: Option<String>,
    pub note: Option<String>,
    /// For `matching`: the run whose village list named the person.
    pub run_id: Option<String>,
    /// The open exclusion complaint it answers: the complainant or a member of their
    /// household applies, and the two are linked both ways.
    pub complaint_id: Option<String>,
}

/// Start an application. The person may have one open application per programme (409
/// `application_exists`) and none to a programme they are enrolled in (409
/// `already_enrolled`).
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications", request_body = ApplicationIn,
    responses((status = 201, body = ApplicationDetailOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_application(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<ApplicationIn>,
) -> Result<(StatusCode, Json<ApplicationDetailOut>), ApiError> {
    let input = NewApplicationInput {
        person_id: b.person_id,
        programme: b.programme,
        channel: b.channel,
        note: b.note,
        run_id: b.run_id,
        complaint_id: b.complaint_id,
    };
    let d = s
        .pintu
        .create_application(&c.ctx, &input, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ApplicationQuery {
    /// An area code inside yours; defaults to your whole area.
    pub area: Option<String>,
    /// A programme code.
    pub programme: Option<String>,
    /// `draft`, `submitted`, `forwarded`, `approved`, `rejected`, `enrolled` or `withdrawn`.
    pub state: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// The `next` value of the previous page.
    pub before: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationPage {
    pub items: Vec<ApplicationOut>,
    pub next: Option<String>,
}

/// Applications in your area, newest first.
#[utoipa::path(get, path = "/api/v1/applications", tag = "applications", params(ApplicationQuery),
    responses((status = 200, body = ApplicationPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_applications(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<ApplicationQuery>,
) -> Result<Json<ApplicationPage>, ApiError> {
    let page = s
        .pintu
        .applications(
            &c.ctx,
            q.area.as_deref(),
            q.programme.as_deref(),
            q.state.as_deref(),
            q.before.as_deref(),
            q.limit,
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(ApplicationPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next: page.next,
    }))
}

#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications", params(("id" = String, Path)),
    responses((status = 200, body = ApplicationDetailOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_application(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ApplicationDetailOut>, ApiError> {
    let d = s
        .pintu
        .application(&c.ctx, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

/// A step on an application.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplicationStepIn {
    /// `submit`, `forward` (every required document checked off; sub-district and above),
    /// `approve`, `reject`, `enrol` (district and above) or `withdraw`.
    pub action: String,
    /// Required for `reject` and `withdraw`: told to the applicant.
    pub reason: Option<String>,
}

/// Take a step. A step the state does not allow answers 409 (`application_closed`,
/// `application_step_not_allowed`, `documents_not_checked`); one your role may not take,
/// 403.
#[utoipa::path(post, path = "/api/v1/applications/{id}/steps", tag = "applications", params(("id" = String, Path)), request_body = ApplicationStepIn,
    responses((status = 200, body = ApplicationDetailOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn step(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ApplicationStepIn>,
) -> Result<Json<ApplicationDetailOut>, ApiError> {
    take_step(&s, &c, &id, b.action, b.reason).await
}

/// Takes a step on an application for whoever calls (an officer, an agency, the applicant).
pub(crate) async fn take_step(
    s: &AppState,
    c: &ApiCtx,
    id: &str,
    action: String,
    reason: Option<String>,
) -> Result<Json<ApplicationDetailOut>, ApiError> {
    let d = s
        .pintu
        .application_step(&c.ctx, id, &StepInput { action, reason }, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

/// The multipart form of a document.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct DocumentUpload {
    /// Which of the programme's required documents (0-based); absent for another.
    requirement: Option<String>,
    /// A PDF, JPEG or PNG of at most 5 MiB.
    #[schema(format = Binary)]
    file: Vec<u8>,
}

/// Hand in a document (draft or submitted applications; at most 20).
#[utoipa::path(post, path = "/api/v1/applications/{id}/documents", tag = "applications", params(("id" = String, Path)),
    request_body(content = DocumentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = DocumentOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_document(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<DocumentOut>), ApiError> {
    upload_document(&s, &c, &id, form).await
}

/// Reads a document's multipart form and hands it in (officers and residents alike).
pub(crate) async fn upload_document(
    s: &AppState,
    c: &ApiCtx,
    id: &str,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<DocumentOut>), ApiError> {
    let form = form.map_err(|_| {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            .with_lang(c.lang)
            .with_request_id(c.ctx.request_id.clone())
    })?;
    let upload = crate::api_imports::read_upload(form)
        .await
        .map_err(|(status, code)| {
            ApiError::new(status, code)
                .with_lang(c.lang)
                .with_request_id(c.ctx.request_id.clone())
        })?;
    let requirement = upload
        .fields
        .iter()
        .find(|(k, _)| k == "requirement")
        .map(|(_, v)| v.clone());
    let Some(data) = upload.data else {
        return Err(c.err(pintu_service::Error::invalid("file", "required")));
    };
    let row = s
        .pintu
        .add_application_document(
            &c.ctx,
            id,
            requirement.as_deref(),
            &upload.file_name,
            data,
            Utc::now(),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// A document's content (checked against its SHA-256).
#[utoipa::path(get, path = "/api/v1/applications/{id}/documents/{document_id}", tag = "applications",
    params(("id" = String, Path), ("document_id" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_document(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((id, document_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    download_document(&s, &c, &id, &document_id).await
}

/// A document's bytes as a download (officers and residents alike).
pub(crate) async fn download_document(
    s: &AppState,
    c: &ApiCtx,
    id: &str,
    document_id: &str,
) -> Result<axum::response::Response, ApiError> {
    let (meta, bytes) = s
        .pintu
        .application_document(&c.ctx, id, document_id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(
        crate::api_complaints::file_response(&meta.file_name, &meta.content_type, bytes)
            .into_response(),
    )
}

/// Check a document off against the original.
#[utoipa::path(post, path = "/api/v1/applications/{id}/documents/{document_id}/check", tag = "applications",
    params(("id" = String, Path), ("document_id" = String, Path)),
    responses((status = 200, body = ApplicationDetailOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn check_document(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((id, document_id)): Path<(String, String)>,
) -> Result<Json<ApplicationDetailOut>, ApiError> {
    let d = s
        .pintu
        .check_application_document(&c.ctx, &id, &document_id, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

/// A village's pre-identified list to turn into applications.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FromListIn {
    /// The programme's code.
    pub programme: String,
    /// One village of your area.
    pub area: String,
}

/// What starting the applications of a list did.
#[derive(Debug, Serialize, ToSchema)]
pub struct FromListOut {
    /// The matching run whose list it was.
    pub run_id: Option<String>,
    pub started: u64,
    /// Of those started, the people told by SMS (the others have no phone registered).
    pub notified: u64,
    pub already_applying: u64,
    pub already_enrolled: u64,
}

/// Turn the village's pre-identified people of a programme (selected by the latest matching
/// run covering the village, or added by the village forum) into draft applications in one
/// action, each told by SMS to come and complete it. People already applying or enrolled
/// are left as they are; running it again starts nothing new.
#[utoipa::path(post, path = "/api/v1/applications/from-list", tag = "applications", request_body = FromListIn,
    responses((status = 200, body = FromListOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn from_list(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<FromListIn>,
) -> Result<Json<FromListOut>, ApiError> {
    let done = s
        .pintu
        .applications_from_list(&c.ctx, &b.programme, &b.area, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(FromListOut {
        run_id: done.run_id,
        started: done.started,
        notified: done.notified,
        already_applying: done.already_applying,
        already_enrolled: done.already_enrolled,
    }))
}
