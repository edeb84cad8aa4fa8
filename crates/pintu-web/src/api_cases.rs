//! `/api/v1/cases`: household cases — needs, a plan of referrals with follow-up dates, notes.
//! Area-scoped like the registry.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use pintu_service::cases::{CaseDetail, NewCaseInput, NewStepInput};
use pintu_store::cases::{CaseRow, NoteRow, StepRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::ApiJson;
use crate::error::{ApiError, ErrorBody};
use crate::session::ApiCtx;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open_case, list_cases))
        .routes(routes!(get_case))
        .routes(routes!(add_step))
        .routes(routes!(finish_step))
        .routes(routes!(add_note))
        .routes(routes!(close_case))
}

/// A household's case.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseOut {
    pub id: String,
    pub household_id: String,
    pub head_name: Option<String>,
    pub kk_number: Option<String>,
    pub village_code: String,
    /// Need codes.
    pub needs: Vec<String>,
    pub summary: String,
    /// `open` or `closed`.
    pub status: String,
    pub officer: Option<String>,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_reason: Option<String>,
    /// The earliest follow-up date of a planned step.
    pub next_follow_up: Option<NaiveDate>,
}

impl From<CaseRow> for CaseOut {
    fn from(c: CaseRow) -> Self {
        CaseOut {
            needs: serde_json::from_str(&c.needs).unwrap_or_default(),
            id: c.id,
            household_id: c.household_id,
            head_name: c.head_name,
            kk_number: c.kk_number,
            village_code: c.village_code,
            summary: c.summary,
            status: c.status,
            officer: c.officer,
            opened_by: c.opened_by,
            opened_at: c.opened_at,
            closed_at: c.closed_at,
            closed_reason: c.closed_reason,
            next_follow_up: c.next_follow_up,
        }
    }
}

/// A step of the plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepOut {
    pub id: String,
    /// `programme`, `service`, `training` or `job`.
    pub referral: String,
    /// The programme's code, or the service, training or job.
    pub referred_to: String,
    pub due_on: NaiveDate,
    /// `planned`, `done` or `dropped`.
    pub status: String,
    pub note: Option<String>,
    pub created_by: String,
    pub finished_by: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<StepRow> for StepOut {
    fn from(s: StepRow) -> Self {
        StepOut {
            id: s.id,
            referral: s.referral,
            referred_to: s.target,
            due_on: s.due_on,
            status: s.status,
            note: s.note,
            created_by: s.created_by,
            finished_by: s.finished_by,
            finished_at: s.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteOut {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub text: String,
}

impl From<NoteRow> for NoteOut {
    fn from(n: NoteRow) -> Self {
        NoteOut {
            at: n.at,
            actor: n.actor,
            text: n.text,
        }
    }
}

/// A case with its plan and notes.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetailOut {
    pub case: CaseOut,
    pub steps: Vec<StepOut>,
    pub notes: Vec<NoteOut>,
    /// The ids of planned steps past their follow-up date.
    pub overdue: Vec<String>,
}

impl From<CaseDetail> for CaseDetailOut {
    fn from(d: CaseDetail) -> Self {
        CaseDetailOut {
            case: d.case.into(),
            steps: d.steps.into_iter().map(Into::into).collect(),
            notes: d.notes.into_iter().map(Into::into).collect(),
            overdue: d.overdue,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CaseIn {
    pub household_id: String,
    /// `income`, `food`, `health`, `disability`, `elderly_care`, `education`, `housing`,
    /// `employment`, `child_protection`, `civil_documents`.
    pub needs: Vec<String>,
    pub summary: String,
    pub officer: Option<String>,
}

/// Open a case for a household of your area (one open case per household: 409
/// `case_exists`).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CaseIn,
    responses((status = 201, body = CaseDetailOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn open_case(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<CaseIn>,
) -> Result<(StatusCode, Json<CaseDetailOut>), ApiError> {
    let input = NewCaseInput {
        household_id: b.household_id,
        needs: b.needs,
        summary: b.summary,
        officer: b.officer,
    };
    let d = s
        .pintu
        .open_case(&c.ctx, &input, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CaseQuery {
    /// An area code inside yours; defaults to your whole area.
    pub area: Option<String>,
    /// `open` or `closed`.
    pub status: Option<String>,
    /// Only open cases with a follow-up past its date.
    pub overdue: Option<bool>,
    pub household_id: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
}

/// Cases in your area, newest first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, body = Vec<CaseOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_cases(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<CaseQuery>,
) -> Result<Json<Vec<CaseOut>>, ApiError> {
    let rows = s
        .pintu
        .cases(
            &c.ctx,
            q.area.as_deref(),
            q.status.as_deref(),
            q.overdue.unwrap_or(false),
            q.household_id.as_deref(),
            q.limit,
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = String, Path)),
    responses((status = 200, body = CaseDetailOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_case(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<CaseDetailOut>, ApiError> {
    let d = s.pintu.case(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StepIn {
    /// `programme` (`referred_to` is a programme code), `service`, `training` or `job`.
    pub referral: String,
    pub referred_to: String,
    /// `YYYY-MM-DD`: when it is followed up.
    pub due_on: String,
    pub note: Option<String>,
}

/// Add a step to an open case's plan.
#[utoipa::path(post, path = "/api/v1/cases/{id}/steps", tag = "cases", params(("id" = String, Path)), request_body = StepIn,
    responses((status = 200, body = CaseDetailOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_step(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StepIn>,
) -> Result<Json<CaseDetailOut>, ApiError> {
    let input = NewStepInput {
        referral: b.referral,
        referred_to: b.referred_to,
        due_on: b.due_on,
        note: b.note,
    };
    let d = s
        .pintu
        .add_case_step(&c.ctx, &id, &input, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FinishStepIn {
    /// `done` or `dropped`.
    pub status: String,
    pub note: Option<String>,
}

/// Mark a planned step done or dropped (once: 409 `step_already_finished`).
#[utoipa::path(post, path = "/api/v1/cases/{id}/steps/{step_id}", tag = "cases",
    params(("id" = String, Path), ("step_id" = String, Path)), request_body = FinishStepIn,
    responses((status = 200, body = CaseDetailOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn finish_step(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((id, step_id)): Path<(String, String)>,
    ApiJson(b): ApiJson<FinishStepIn>,
) -> Result<Json<CaseDetailOut>, ApiError> {
    let d = s
        .pintu
        .finish_case_step(
            &c.ctx,
            &id,
            &step_id,
            &b.status,
            b.note.as_deref(),
            Utc::now(),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NoteIn {
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/notes", tag = "cases", params(("id" = String, Path)), request_body = NoteIn,
    responses((status = 200, body = CaseDetailOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_note(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NoteIn>,
) -> Result<Json<CaseDetailOut>, ApiError> {
    let d = s
        .pintu
        .add_case_note(&c.ctx, &id, &b.text, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CloseIn {
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/close", tag = "cases", params(("id" = String, Path)), request_body = CloseIn,
    responses((status = 200, body = CaseDetailOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close_case(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CloseIn>,
) -> Result<Json<CaseDetailOut>, ApiError> {
    let d = s
        .pintu
        .close_case(&c.ctx, &id, &b.reason, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}
