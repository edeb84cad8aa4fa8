//! `/api/v1/calls` and programme scripts: the call centre's log and its answers.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use pintu_domain::programmes::Question;
use pintu_service::calls::CallInput;
use pintu_store::calls::CallRow;
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
        .routes(routes!(log_call, list_calls))
        .routes(routes!(script))
        .routes(routes!(get_questions, put_questions))
}

/// A call the call centre took.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallOut {
    pub id: String,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub village_code: String,
    pub caller_phone: Option<String>,
    pub reason: String,
    pub programme: Option<String>,
    pub outcome: String,
    pub note: Option<String>,
    pub officer: String,
    pub at: DateTime<Utc>,
}

impl From<CallRow> for CallOut {
    fn from(c: CallRow) -> Self {
        CallOut {
            id: c.id,
            person_id: c.person_id,
            person_name: c.person_name,
            village_code: c.village_code,
            caller_phone: c.caller_phone,
            reason: c.reason,
            programme: c.programme_code,
            outcome: c.outcome,
            note: c.note,
            officer: c.officer,
            at: c.at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CallIn {
    /// The caller, when in the registry.
    pub person_id: Option<String>,
    /// The caller's village when not in the registry (then required).
    pub village_code: Option<String>,
    pub caller_phone: Option<String>,
    /// `programme_information`, `application_status`, `complaint`, `data_change`,
    /// `payment` or `other`.
    pub reason: String,
    pub programme: Option<String>,
    /// `answered`, `application_started`, `complaint_recorded`, `referred` or `call_back`.
    pub outcome: String,
    pub note: Option<String>,
}

/// Log a call.
#[utoipa::path(post, path = "/api/v1/calls", tag = "calls", request_body = CallIn,
    responses((status = 201, body = CallOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn log_call(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<CallIn>,
) -> Result<(StatusCode, Json<CallOut>), ApiError> {
    let input = CallInput {
        person_id: b.person_id,
        village_code: b.village_code,
        caller_phone: b.caller_phone,
        reason: b.reason,
        programme: b.programme,
        outcome: b.outcome,
        note: b.note,
    };
    let row = s
        .pintu
        .log_call(&c.ctx, &input, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CallQuery {
    /// Only this person's calls.
    pub person_id: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
}

/// Calls of your area, newest first.
#[utoipa::path(get, path = "/api/v1/calls", tag = "calls", params(CallQuery),
    responses((status = 200, body = Vec<CallOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_calls(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<CallQuery>,
) -> Result<Json<Vec<CallOut>>, ApiError> {
    let rows = s
        .pintu
        .calls(&c.ctx, q.person_id.as_deref(), q.limit)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// One question of a programme's script and its answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScriptLineOut {
    pub question: String,
    pub answer: String,
}

/// A programme's script for the call centre, in the request's language (Accept-Language):
/// what it is, what it gives, which documents, how to register, whom to contact — from the
/// catalogue.
#[utoipa::path(get, path = "/api/v1/programmes/{code}/script", tag = "calls", params(("code" = String, Path)),
    responses((status = 200, body = Vec<ScriptLineOut>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn script(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
) -> Result<Json<Vec<ScriptLineOut>>, ApiError> {
    let lines = s
        .pintu
        .programme_script(&code, c.lang == crate::i18n::Lang::En)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(
        lines
            .into_iter()
            .map(|l| ScriptLineOut {
                question: l.question,
                answer: l.answer,
            })
            .collect(),
    ))
}

/// A resident's question about a programme and the call centre's answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuestionIo {
    pub question_id: String,
    pub question_en: String,
    pub answer_id: String,
    pub answer_en: String,
}

impl From<Question> for QuestionIo {
    fn from(q: Question) -> Self {
        QuestionIo {
            question_id: q.question_id,
            question_en: q.question_en,
            answer_id: q.answer_id,
            answer_en: q.answer_en,
        }
    }
}

/// A programme's own questions for the call centre's script, in order, both languages.
#[utoipa::path(get, path = "/api/v1/programmes/{code}/questions", tag = "calls", params(("code" = String, Path)),
    responses((status = 200, body = Vec<QuestionIo>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_questions(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
) -> Result<Json<Vec<QuestionIo>>, ApiError> {
    let list = s
        .pintu
        .programme_questions(&code)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Replace a programme's questions (its keepers: district back offices and above whose
/// area holds the programme's). At most 30; blank rows are dropped; every other row needs
/// both languages.
#[utoipa::path(put, path = "/api/v1/programmes/{code}/questions", tag = "calls", params(("code" = String, Path)),
    request_body = Vec<QuestionIo>,
    responses((status = 200, body = Vec<QuestionIo>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_questions(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<Vec<QuestionIo>>,
) -> Result<Json<Vec<QuestionIo>>, ApiError> {
    let list: Vec<Question> = b
        .into_iter()
        .map(|q| Question {
            question_id: q.question_id,
            question_en: q.question_en,
            answer_id: q.answer_id,
            answer_en: q.answer_en,
        })
        .collect();
    let saved = s
        .pintu
        .set_programme_questions(&c.ctx, &code, &list, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(saved.into_iter().map(Into::into).collect()))
}
