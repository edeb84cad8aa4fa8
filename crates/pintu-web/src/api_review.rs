//! `/api/v1/conflicts` and `/api/v1/duplicates`: the review queues of synchronisation; and
//! `/api/v1/persons/{id}/sources`: where a person's values came from.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, NaiveDate, Utc};
use pintu_service::review::{PersonSources, Resolution};
use pintu_store::review::{ConflictRow, DuplicateRow, DuplicateSide, LinkedRecord, Provenance};
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
        .routes(routes!(list_conflicts))
        .routes(routes!(get_conflict))
        .routes(routes!(resolve_conflict))
        .routes(routes!(list_duplicates))
        .routes(routes!(merge_duplicate))
        .routes(routes!(dismiss_duplicate))
        .routes(routes!(person_sources))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReviewQuery {
    /// An area code inside the caller's area; defaults to the caller's whole area.
    pub area: Option<String>,
    /// Conflicts: `open`, `field_check`, `resolved`, `auto` or `all` (default: open and
    /// field_check; for a village officer field_check). Duplicates: `open` (default),
    /// `merged`, `dismissed` or `superseded`.
    pub status: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// The `next` value of the previous page.
    pub after: Option<String>,
}

/// A disagreement between a source row and the registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictOut {
    pub id: String,
    pub person_id: String,
    pub person_name: Option<String>,
    pub village_code: String,
    /// `full_name`, `birth_date`, `sex`, `village_code`, `household` or `life_status`.
    pub field: String,
    /// The registry's value when the conflict was found, and where it came from.
    pub current_value: Option<String>,
    pub current_source: Option<String>,
    /// The source's value.
    pub proposed_value: Option<String>,
    pub proposed_source: String,
    pub import_id: String,
    pub imported_at: DateTime<Utc>,
    pub row_number: i64,
    /// `open`, `field_check` (sent to the village), `resolved`, or `auto` (settled by a
    /// source's authority: see `rule`).
    pub status: String,
    /// `ektp_adult_identity`, `kk_household` or `civil_registry_first`.
    pub rule: Option<String>,
    /// `keep`, `take`, `verified` or `send_to_village`.
    pub decision: Option<String>,
    pub resolved_value: Option<String>,
    pub note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<ConflictRow> for ConflictOut {
    fn from(c: ConflictRow) -> Self {
        ConflictOut {
            id: c.id,
            person_id: c.person_id,
            person_name: c.person_name,
            village_code: c.village_code,
            field: c.field,
            current_value: c.current_value,
            current_source: c.current_source,
            proposed_value: c.proposed_value,
            proposed_source: c.proposed_source,
            import_id: c.import_id,
            imported_at: c.imported_at,
            row_number: c.row_number,
            status: c.status,
            rule: c.rule,
            decision: c.decision,
            resolved_value: c.resolved_value,
            note: c.note,
            decided_by: c.decided_by,
            decided_at: c.decided_at,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictPage {
    pub items: Vec<ConflictOut>,
    pub next: Option<String>,
}

/// A decision on a conflict.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveIn {
    /// `keep` (the registry's value), `take` (the source's), `verified` (with `value`) or
    /// `send_to_village` (for field verification). Village, household and life-status
    /// conflicts take only `keep` and `send_to_village`.
    pub decision: String,
    pub value: Option<String>,
    pub note: Option<String>,
}

/// Conflicts in your area: by default the queue still to decide.
#[utoipa::path(get, path = "/api/v1/conflicts", tag = "review", params(ReviewQuery),
    responses((status = 200, body = ConflictPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_conflicts(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<ReviewQuery>,
) -> Result<Json<ConflictPage>, ApiError> {
    let page = s
        .pintu
        .conflicts(
            &c.ctx,
            q.area.as_deref(),
            q.status.as_deref(),
            q.after.as_deref(),
            q.limit,
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(ConflictPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next: page.next,
    }))
}

#[utoipa::path(get, path = "/api/v1/conflicts/{id}", tag = "review", params(("id" = String, Path)),
    responses((status = 200, body = ConflictOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_conflict(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ConflictOut>, ApiError> {
    let conflict = s.pintu.conflict(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    Ok(Json(conflict.into()))
}

/// Decide a conflict. The person's change, its history and the decision are written
/// together; a conflict already decided answers 409 `conflict_already_decided`.
#[utoipa::path(post, path = "/api/v1/conflicts/{id}/resolve", tag = "review", params(("id" = String, Path)), request_body = ResolveIn,
    responses((status = 200, body = ConflictOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn resolve_conflict(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ResolveIn>,
) -> Result<Json<ConflictOut>, ApiError> {
    let input = Resolution {
        decision: b.decision,
        value: b.value,
        note: b.note,
    };
    let conflict = s
        .pintu
        .resolve_conflict(&c.ctx, &id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(conflict.into()))
}

/// One of the two records of a likely duplicate (empty once merged away).
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateSideOut {
    pub id: String,
    pub nik: Option<String>,
    pub full_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<String>,
    pub village_code: Option<String>,
    pub kk_number: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

impl From<DuplicateSide> for DuplicateSideOut {
    fn from(d: DuplicateSide) -> Self {
        DuplicateSideOut {
            id: d.id,
            nik: d.nik,
            full_name: d.full_name,
            birth_date: d.birth_date,
            sex: d.sex,
            village_code: d.village_code,
            kk_number: d.kk_number,
            created_at: d.created_at,
        }
    }
}

/// Two registry records that are likely the same person.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateOut {
    pub id: String,
    pub village_code: String,
    /// The probability that the two are one person.
    pub score: f64,
    /// `open`, `merged`, `dismissed` or `superseded`.
    pub status: String,
    pub note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub a: DuplicateSideOut,
    pub b: DuplicateSideOut,
}

impl From<DuplicateRow> for DuplicateOut {
    fn from(d: DuplicateRow) -> Self {
        DuplicateOut {
            id: d.id,
            village_code: d.village_code,
            score: d.score,
            status: d.status,
            note: d.note,
            decided_by: d.decided_by,
            decided_at: d.decided_at,
            created_at: d.created_at,
            a: d.a.into(),
            b: d.b.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicatePage {
    pub items: Vec<DuplicateOut>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeIn {
    /// The id of the record that stays (either of the pair); by default the one with a
    /// NIK, else the first.
    pub keep: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DismissIn {
    pub note: Option<String>,
}

/// Likely duplicates in your area.
#[utoipa::path(get, path = "/api/v1/duplicates", tag = "review", params(ReviewQuery),
    responses((status = 200, body = DuplicatePage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_duplicates(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<ReviewQuery>,
) -> Result<Json<DuplicatePage>, ApiError> {
    let page = s
        .pintu
        .duplicates(
            &c.ctx,
            q.area.as_deref(),
            q.status.as_deref(),
            q.after.as_deref(),
            q.limit,
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(DuplicatePage {
        items: page.items.into_iter().map(Into::into).collect(),
        next: page.next,
    }))
}

/// Merge a likely duplicate into one person: the history, source links and conflicts of
/// the other record move to the one kept, and the merge is in the history.
#[utoipa::path(post, path = "/api/v1/duplicates/{id}/merge", tag = "review", params(("id" = String, Path)), request_body = MergeIn,
    responses((status = 200, body = DuplicateOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn merge_duplicate(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MergeIn>,
) -> Result<Json<DuplicateOut>, ApiError> {
    let d = s
        .pintu
        .merge_duplicate(&c.ctx, &id, b.keep.as_deref(), &b.note)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

/// Mark a likely duplicate as two different people; it is not listed again.
#[utoipa::path(post, path = "/api/v1/duplicates/{id}/dismiss", tag = "review", params(("id" = String, Path)), request_body = DismissIn,
    responses((status = 200, body = DuplicateOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn dismiss_duplicate(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DismissIn>,
) -> Result<Json<DuplicateOut>, ApiError> {
    let d = s
        .pintu
        .dismiss_duplicate(&c.ctx, &id, &b.note)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

/// Where one of a person's values came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvenanceOut {
    pub field: String,
    /// `ektp`, `kk`, `dtks`, `kps`, `jkn`, `officer`, `review` ...
    pub source: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

impl From<Provenance> for ProvenanceOut {
    fn from(p: Provenance) -> Self {
        ProvenanceOut {
            field: p.field,
            source: p.source,
            actor: p.actor,
            at: p.at,
            reason: p.reason,
        }
    }
}

/// What one linked source row says.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedRecordOut {
    pub source: String,
    pub import_id: String,
    pub file_name: String,
    pub imported_at: DateTime<Utc>,
    pub row_number: i64,
    pub nik: Option<String>,
    pub kk_number: Option<String>,
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<String>,
    pub village_code: Option<String>,
    /// `nik`, `probabilistic` or `new`.
    pub link_method: Option<String>,
    pub link_score: Option<f64>,
}

impl From<LinkedRecord> for LinkedRecordOut {
    fn from(r: LinkedRecord) -> Self {
        LinkedRecordOut {
            source: r.source,
            import_id: r.import_id,
            file_name: r.file_name,
            imported_at: r.imported_at,
            row_number: r.row_number,
            nik: r.nik,
            kk_number: r.kk_number,
            full_name: r.full_name,
            birth_date: r.birth_date,
            sex: r.sex,
            village_code: r.village_code,
            link_method: r.link_method,
            link_score: r.link_score,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonSourcesOut {
    pub provenance: Vec<ProvenanceOut>,
    pub records: Vec<LinkedRecordOut>,
    pub conflicts: Vec<ConflictOut>,
}

impl From<PersonSources> for PersonSourcesOut {
    fn from(p: PersonSources) -> Self {
        PersonSourcesOut {
            provenance: p.provenance.into_iter().map(Into::into).collect(),
            records: p.records.into_iter().map(Into::into).collect(),
            conflicts: p.conflicts.into_iter().map(Into::into).collect(),
        }
    }
}

/// Where each of a person's values came from (source and date), what every linked source
/// row says, and the conflicts about the person.
#[utoipa::path(get, path = "/api/v1/persons/{id}/sources", tag = "persons", params(("id" = String, Path)),
    responses((status = 200, body = PersonSourcesOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn person_sources(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<PersonSourcesOut>, ApiError> {
    let p = s
        .pintu
        .person_sources(&c.ctx, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(p.into()))
}
