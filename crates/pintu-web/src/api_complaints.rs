//! `/api/v1/complaints`: complaints and appeals, from intake through routing, escalation,
//! response and acknowledgement; call-backs; attachments; corrections; statistics and the
//! periodic reports. Area-scoped like the registry; the ombudsman sees the cases that
//! reached the province's ombudsman.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, Utc};
use pintu_service::complaints::{
    ComplaintDetail, Correction, Counts, NewComplaint, Report, Stats, Step,
};
use pintu_store::complaints::{AttachmentRow, CallbackRow, ComplaintRow, EventRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::ApiJson;
use crate::error::{ApiError, ErrorBody};
use crate::session::ApiCtx;

/// A body a little larger than the largest attachment, so that an attachment slightly too
/// large is answered `attachment_too_large` rather than cut off.
const MAX_ATTACHMENT_BODY: usize = pintu_service::complaints::MAX_ATTACHMENT_BYTES + 256 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(attach))
        .layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BODY))
        .routes(routes!(create_complaint, list_complaints))
        .routes(routes!(complaint_stats))
        .routes(routes!(complaint_report))
        .routes(routes!(list_callbacks))
        .routes(routes!(complete_callback))
        .routes(routes!(get_complaint))
        .routes(routes!(step))
        .routes(routes!(attachment))
        .routes(routes!(correct))
}

/// A complaint as it stands: the action form.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintOut {
    pub id: String,
    /// Unique per district: `35.07-2026-000123`.
    pub reference: String,
    pub village_code: String,
    pub received_on: NaiveDate,
    /// `village_intermediary`, `subdistrict_counter`, `call_centre`, `web`, `sms` or `portal`.
    pub channel: String,
    pub complainant_person_id: Option<String>,
    pub complainant_name: Option<String>,
    pub contact: Option<String>,
    /// `exclusion_error`, `inclusion_error`, `wrong_data`, `programme_information`,
    /// `service_quality`, `benefit_delay`, `staff_conduct` or `other`.
    pub category: String,
    pub programme: Option<String>,
    pub description: String,
    /// `open`, `resolved` or `closed`.
    pub status: String,
    /// `village`, `subdistrict`, `district`, `unit` or `ombudsman`.
    pub level: String,
    /// The technical unit or agency, at level `unit`.
    pub unit: Option<String>,
    /// The officer in charge at the current level.
    pub officer: Option<String>,
    /// When the current level received it, and its deadline there.
    pub sent_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Times the scheduler sent it up for being overdue.
    pub escalations: i32,
    pub reached_ombudsman_at: Option<DateTime<Utc>>,
    /// `on_the_spot`, `community_consensus` or `answered`.
    pub resolution: Option<String>,
    /// The response given to the resident.
    pub response: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// `acknowledged` or `not_reachable`.
    pub acknowledgement: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ComplaintRow> for ComplaintOut {
    fn from(c: ComplaintRow) -> Self {
        ComplaintOut {
            id: c.id,
            reference: c.reference,
            village_code: c.village_code,
            received_on: c.received_on,
            channel: c.channel,
            complainant_person_id: c.complainant_person_id,
            complainant_name: c.complainant_name,
            contact: c.contact,
            category: c.category,
            programme: c.programme,
            description: c.description,
            status: c.status,
            level: c.level,
            unit: c.unit,
            officer: c.officer,
            sent_at: c.sent_at,
            due_at: c.due_at,
            escalations: c.escalations,
            reached_ombudsman_at: c.reached_ombudsman_at,
            resolution: c.resolution,
            response: c.response,
            resolved_at: c.resolved_at,
            acknowledgement: c.acknowledgement,
            acknowledged_at: c.acknowledged_at,
            created_by: c.created_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// One step in a complaint's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `received`, `forwarded`, `assigned`, `escalated`, `responded`, `resolved`,
    /// `acknowledged`, `reopened`, `corrected`, `attached` or `called_back`.
    pub action: String,
    pub level: String,
    pub unit: Option<String>,
    /// The officer in charge named at this step (the date sent is `at`).
    pub officer: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

impl From<EventRow> for EventOut {
    fn from(e: EventRow) -> Self {
        EventOut {
            at: e.at,
            actor: e.actor,
            action: e.action,
            level: e.level,
            unit: e.unit,
            officer: e.officer,
            due_at: e.due_at,
            note: e.note,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    pub id: String,
    pub file_name: String,
    /// `application/pdf`, `image/jpeg` or `image/png`.
    pub content_type: String,
    pub size: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<AttachmentRow> for AttachmentOut {
    fn from(a: AttachmentRow) -> Self {
        AttachmentOut {
            id: a.id,
            file_name: a.file_name,
            content_type: a.content_type,
            size: a.size,
            created_by: a.created_by,
            created_at: a.created_at,
        }
    }
}

/// A call-back owed to the resident of an overdue complaint.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackOut {
    pub id: String,
    pub complaint_id: String,
    pub reference: String,
    pub village_code: String,
    /// The level at which the complaint was overdue.
    pub level: String,
    pub category: String,
    pub complainant_name: Option<String>,
    pub contact: Option<String>,
    /// `open` or `done`.
    pub status: String,
    /// `reached` or `not_reachable`.
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub done_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<CallbackRow> for CallbackOut {
    fn from(c: CallbackRow) -> Self {
        CallbackOut {
            id: c.id,
            complaint_id: c.complaint_id,
            reference: c.reference,
            village_code: c.village_code,
            level: c.level,
            category: c.category,
            complainant_name: c.complainant_name,
            contact: c.contact,
            status: c.status,
            outcome: c.outcome,
            note: c.note,
            done_by: c.done_by,
            done_at: c.done_at,
            created_at: c.created_at,
        }
    }
}

/// A complaint with its history, attachments, call-backs and the steps you may take.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintDetailOut {
    pub complaint: ComplaintOut,
    pub events: Vec<EventOut>,
    pub attachments: Vec<AttachmentOut>,
    pub callbacks: Vec<CallbackOut>,
    /// Steps you may take now: `forward`, `assign`, `respond`, `resolve`, `acknowledge`,
    /// `reopen`.
    pub actions: Vec<String>,
    /// Open and past its deadline.
    pub overdue: bool,
    /// The applications opened from it (an exclusion complaint).
    pub applications: Vec<crate::api_applications::ApplicationOut>,
    /// The messages sent to the complainant about it (the answer, when resolved).
    pub messages: Vec<crate::api_messages::MessageOut>,
}

impl From<ComplaintDetail> for ComplaintDetailOut {
    fn from(d: ComplaintDetail) -> Self {
        ComplaintDetailOut {
            complaint: d.complaint.into(),
            events: d.events.into_iter().map(Into::into).collect(),
            attachments: d.attachments.into_iter().map(Into::into).collect(),
            callbacks: d.callbacks.into_iter().map(Into::into).collect(),
            actions: d.actions.into_iter().map(str::to_string).collect(),
            overdue: d.overdue,
            applications: d.applications.into_iter().map(Into::into).collect(),
            messages: d.messages.into_iter().map(Into::into).collect(),
        }
    }
}

/// A complaint on the action form.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ComplaintIn {
    /// `YYYY-MM-DD`, today when absent; not in the future, at most a year ago.
    pub received_on: Option<String>,
    pub channel: String,
    /// The complainant's village.
    pub village_code: String,
    /// A registered complainant, by id or NIK (in your area).
    pub complainant_person_id: Option<String>,
    pub complainant_nik: Option<String>,
    /// Otherwise a name (optional) and a contact (required).
    pub complainant_name: Option<String>,
    pub contact: Option<String>,
    pub category: String,
    pub programme: Option<String>,
    /// Any script; at most 4,000 characters.
    pub description: String,
    /// The officer in charge at the first level.
    pub officer: Option<String>,
}

/// A step on a complaint.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StepIn {
    /// `forward` (up one level), `assign` (district: to a unit), `respond`, `resolve`,
    /// `acknowledge` or `reopen` (within 30 days of the resolution).
    pub action: String,
    /// For `assign`: `dinas_sosial`, `dinas_kesehatan`, `dinas_pendidikan`,
    /// `dinas_tenaga_kerja`, `dukcapil`, `bappeda`, `bpjs_kesehatan`, `bpjs_ketenagakerjaan`.
    pub unit: Option<String>,
    /// The officer in charge at the next level.
    pub officer: Option<String>,
    /// For `resolve`: `on_the_spot`, `community_consensus` (village only) or `answered`.
    pub resolution: Option<String>,
    /// For `acknowledge`: `acknowledged` or `not_reachable`.
    pub acknowledgement: Option<String>,
    /// The response (required for `respond` and `resolve`), or the reason (`reopen`:
    /// required).
    pub note: Option<String>,
}

/// A correction of registry data because of a wrong-data complaint.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CorrectionIn {
    pub person_id: String,
    /// `full_name`, `sex`, `birth_date`, `birth_place`, `religion`, `education`,
    /// `occupation`, `marital_status` or `phone`.
    pub field: String,
    pub value: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CallbackIn {
    /// `reached` or `not_reachable`.
    pub outcome: String,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ComplaintQuery {
    /// An area code inside yours; defaults to your whole area.
    pub area: Option<String>,
    /// `open`, `resolved`, `closed` or `all` (default).
    pub status: Option<String>,
    pub level: Option<String>,
    pub category: Option<String>,
    /// Only open complaints past their deadline.
    pub overdue: Option<bool>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// The `next` value of the previous page.
    pub before: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintPage {
    pub items: Vec<ComplaintOut>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CallbackQuery {
    pub area: Option<String>,
    /// `open` (default), `done` or `all`.
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackPage {
    pub items: Vec<CallbackOut>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsQuery {
    pub area: Option<String>,
    /// First and last day received (`YYYY-MM-DD`); default the last 365 days.
    pub from: Option<String>,
    pub to: Option<String>,
    /// `area` (the areas one level below), `category` (default), `programme`, `level`,
    /// `channel`, `status` or `month`.
    pub by: Option<String>,
}

/// Counts of a slice of complaints.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsOut {
    pub received: u64,
    pub resolved: u64,
    pub share_resolved: f64,
    /// Days from the day received to the resolution.
    pub average_days: Option<f64>,
    pub median_days: Option<f64>,
    pub overdue: u64,
    pub escalated: u64,
    pub reached_ombudsman: u64,
}

impl From<Counts> for CountsOut {
    fn from(c: Counts) -> Self {
        CountsOut {
            received: c.received,
            resolved: c.resolved,
            share_resolved: c.share_resolved,
            average_days: c.average_days,
            median_days: c.median_days,
            overdue: c.overdue,
            escalated: c.escalated,
            reached_ombudsman: c.reached_ombudsman,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    pub key: String,
    pub counts: CountsOut,
}

fn groups(g: Vec<(String, Counts)>) -> Vec<GroupOut> {
    g.into_iter()
        .map(|(key, c)| GroupOut {
            key,
            counts: c.into(),
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsOut {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: CountsOut,
    pub by: String,
    pub groups: Vec<GroupOut>,
}

impl From<Stats> for StatsOut {
    fn from(s: Stats) -> Self {
        StatsOut {
            from: s.from,
            to: s.to,
            total: s.total.into(),
            by: s.by,
            groups: groups(s.groups),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportQuery {
    pub area: Option<String>,
    /// `YYYY-MM` (the monthly report to the district) or `YYYY-H1` / `YYYY-H2` (the
    /// half-yearly report to the ombudsman).
    pub period: String,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    /// `monthly` or `half_year`.
    pub kind: String,
    pub area: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: CountsOut,
    pub by_category: Vec<GroupOut>,
    pub by_programme: Vec<GroupOut>,
    pub by_level: Vec<GroupOut>,
    pub by_area: Vec<GroupOut>,
    pub by_month: Vec<GroupOut>,
}

impl From<Report> for ReportOut {
    fn from(r: Report) -> Self {
        ReportOut {
            kind: r.kind,
            area: r.area,
            from: r.from,
            to: r.to,
            total: r.total.into(),
            by_category: groups(r.by_category),
            by_programme: groups(r.by_programme),
            by_level: groups(r.by_level),
            by_area: groups(r.by_area),
            by_month: groups(r.by_month),
        }
    }
}

/// Record a complaint. It gets its district's next reference number and is held at your
/// office's level, with that level's deadline.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints", request_body = ComplaintIn,
    responses((status = 201, body = ComplaintOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_complaint(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<ComplaintIn>,
) -> Result<(StatusCode, Json<ComplaintOut>), ApiError> {
    let input = NewComplaint {
        received_on: b.received_on,
        channel: b.channel,
        village_code: b.village_code,
        complainant_person_id: b.complainant_person_id,
        complainant_nik: b.complainant_nik,
        complainant_name: b.complainant_name,
        contact: b.contact,
        category: b.category,
        programme: b.programme,
        description: b.description,
        officer: b.officer,
    };
    let row = s
        .pintu
        .record_complaint(&c.ctx, &input, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Complaints in your area, newest first.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "complaints", params(ComplaintQuery),
    responses((status = 200, body = ComplaintPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_complaints(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<ComplaintQuery>,
) -> Result<Json<ComplaintPage>, ApiError> {
    let page = s
        .pintu
        .complaints(
            &c.ctx,
            q.area.as_deref(),
            q.status.as_deref(),
            q.level.as_deref(),
            q.category.as_deref(),
            q.overdue.unwrap_or(false),
            q.before.as_deref(),
            q.limit,
            Utc::now(),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(ComplaintPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next: page.next,
    }))
}

#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints", params(("id" = String, Path)),
    responses((status = 200, body = ComplaintDetailOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_complaint(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ComplaintDetailOut>, ApiError> {
    let d = s
        .pintu
        .complaint(&c.ctx, &id, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

/// Take a step: forward, assign, respond, resolve, acknowledge or reopen. A step the
/// complaint's state does not allow answers 409 with the reason (`complaint_not_open`,
/// `assign_only_at_district`, `reopen_window_passed` ...); a level you do not work, 403.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/steps", tag = "complaints", params(("id" = String, Path)), request_body = StepIn,
    responses((status = 200, body = ComplaintOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn step(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StepIn>,
) -> Result<Json<ComplaintOut>, ApiError> {
    let input = Step {
        action: b.action,
        unit: b.unit,
        officer: b.officer,
        resolution: b.resolution,
        acknowledgement: b.acknowledgement,
        note: b.note,
    };
    let row = s
        .pintu
        .complaint_step(&c.ctx, &id, &input, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(row.into()))
}

/// The multipart form of an attachment.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct AttachmentUpload {
    /// A PDF, JPEG or PNG of at most 2 MiB.
    #[schema(format = Binary)]
    file: Vec<u8>,
}

/// Attach a file (a PDF, JPEG or PNG of at most 2 MiB; at most 5 per complaint).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/attachments", tag = "complaints", params(("id" = String, Path)),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn attach(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<AttachmentOut>), ApiError> {
    let (name, data) = read_attachment(&c, form).await?;
    let row = s
        .pintu
        .attach_to_complaint(&c.ctx, &id, &name, data, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// The file of an attachment's form: its name and content.
pub(crate) async fn read_attachment(
    c: &ApiCtx,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(String, Vec<u8>), ApiError> {
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
    match upload.data {
        Some(data) => Ok((upload.file_name, data)),
        None => Err(c.err(pintu_service::Error::invalid("file", "required"))),
    }
}

/// An attachment's content.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/attachments/{attachment_id}", tag = "complaints",
    params(("id" = String, Path), ("attachment_id" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn attachment(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (meta, bytes) = s
        .pintu
        .complaint_attachment(&c.ctx, &id, &attachment_id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(file_response(&meta.file_name, &meta.content_type, bytes))
}

/// A stored file as a download: its own content type, never rendered inline.
pub fn file_response(
    file_name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> impl IntoResponse + use<> {
    let name: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
}

/// Correct a person's data because of a wrong-data complaint: the person's history names
/// the complaint, and the complaint's history the correction.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/correction", tag = "complaints", params(("id" = String, Path)), request_body = CorrectionIn,
    responses((status = 200, body = ComplaintOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn correct(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CorrectionIn>,
) -> Result<Json<ComplaintOut>, ApiError> {
    let input = Correction {
        person_id: b.person_id,
        field: b.field,
        value: b.value,
    };
    let row = s
        .pintu
        .correct_from_complaint(&c.ctx, &id, &input, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(row.into()))
}

/// Call-backs owed to residents of overdue complaints in your area.
#[utoipa::path(get, path = "/api/v1/complaints/callbacks", tag = "complaints", params(CallbackQuery),
    responses((status = 200, body = CallbackPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_callbacks(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<CallbackQuery>,
) -> Result<Json<CallbackPage>, ApiError> {
    let page = s
        .pintu
        .callbacks(
            &c.ctx,
            q.area.as_deref(),
            q.status.as_deref(),
            q.after.as_deref(),
            q.limit,
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(CallbackPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next: page.next,
    }))
}

/// Record a call-back's outcome.
#[utoipa::path(post, path = "/api/v1/complaints/callbacks/{id}", tag = "complaints", params(("id" = String, Path)), request_body = CallbackIn,
    responses((status = 200, body = CallbackOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn complete_callback(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CallbackIn>,
) -> Result<Json<CallbackOut>, ApiError> {
    let row = s
        .pintu
        .complete_callback(&c.ctx, &id, &b.outcome, &b.note, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(row.into()))
}

/// Statistics of the complaints received in a period in your area.
#[utoipa::path(get, path = "/api/v1/complaints/stats", tag = "complaints", params(StatsQuery),
    responses((status = 200, body = StatsOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn complaint_stats(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<StatsQuery>,
) -> Result<Json<StatsOut>, ApiError> {
    let stats = s
        .pintu
        .complaint_stats(
            &c.ctx,
            q.area.as_deref(),
            q.from.as_deref(),
            q.to.as_deref(),
            q.by.as_deref(),
            Utc::now(),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(stats.into()))
}

/// The monthly report to the district or the half-yearly report to the ombudsman, as JSON
/// or CSV (one row per group: section, key, received, resolved, share resolved, average and
/// median days, overdue, escalated, reached the ombudsman).
#[utoipa::path(get, path = "/api/v1/complaints/reports", tag = "complaints", params(ReportQuery),
    responses((status = 200, body = ReportOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn complaint_report(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<ReportQuery>,
) -> Result<axum::response::Response, ApiError> {
    let report = s
        .pintu
        .complaint_report(&c.ctx, q.area.as_deref(), &q.period, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    match q.format.as_deref().unwrap_or("json") {
        "csv" => {
            let file = format!("pengaduan-{}.csv", q.period.trim());
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}\""),
                    ),
                ],
                report_csv(&report),
            )
                .into_response())
        }
        "json" => Ok(Json(ReportOut::from(report)).into_response()),
        _ => Err(c.err(pintu_service::Error::invalid("format", "value_not_allowed"))),
    }
}

/// A report as CSV: the total, then each section's groups.
pub fn report_csv(r: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "section",
        "key",
        "received",
        "resolved",
        "share_resolved",
        "average_days",
        "median_days",
        "overdue",
        "escalated",
        "reached_ombudsman",
    ]);
    let days = |d: Option<f64>| d.map_or(String::new(), |d| format!("{d:.1}"));
    let mut row = |section: &str, key: &str, c: &Counts| {
        let _ = w.write_record([
            section.to_string(),
            key.to_string(),
            c.received.to_string(),
            c.resolved.to_string(),
            format!("{:.3}", c.share_resolved),
            days(c.average_days),
            days(c.median_days),
            c.overdue.to_string(),
            c.escalated.to_string(),
            c.reached_ombudsman.to_string(),
        ]);
    };
    row("total", "", &r.total);
    for (section, groups) in [
        ("category", &r.by_category),
        ("programme", &r.by_programme),
        ("level", &r.by_level),
        ("area", &r.by_area),
        ("month", &r.by_month),
    ] {
        for (k, c) in groups {
            row(section, k, c);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
