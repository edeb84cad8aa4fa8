//! The JSON API under `/api/v1`. Every handler is declared once with `#[utoipa::path]`, which
//! both routes it and documents it in the OpenAPI document.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request};
use axum::http::StatusCode;
use axum::{Json, extract::State};
use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::household::{HouseholdInput, MemberInput};
use pintu_service::registry::{LifeEvent, PersonPatch};
use pintu_store::registry::{HistoryEntry, HouseholdRow, PersonRow};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::session::{ApiCtx, api_lang};

#[derive(OpenApi)]
#[openapi(
    info(title = "Pintu API", description = "The registry of people and households: the same operations as the web pages. Authenticate with `Authorization: Bearer <token>` (`pintu user token`). A NIK never appears in a URL: search with POST.", license(name = "Apache-2.0")),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(register_household, list_households))
        .routes(routes!(get_household))
        .routes(routes!(add_member))
        .routes(routes!(get_person, patch_person))
        .routes(routes!(list_persons))
        .routes(routes!(search_persons))
        .routes(routes!(record_event))
        .routes(routes!(change_household))
        .routes(routes!(list_areas))
        .merge(crate::api_imports::router())
        .merge(crate::api_review::router())
        .merge(crate::api_complaints::router())
        .merge(crate::api_programmes::router())
        .merge(crate::api_matching::router())
        .merge(crate::api_applications::router())
        .merge(crate::api_messages::router())
        .merge(crate::api_cases::router())
        .merge(crate::api_calls::router())
        .merge(crate::api_residents::router())
        .merge(crate::api_membership::router())
        .merge(crate::api_payments::router())
        .merge(crate::api_autodebit::router())
        .merge(crate::api_bpjstk::router())
}

/// JSON bodies with errors in the API's shape: 400 malformed, 413 too large, 415 wrong type.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let lang = api_lang(&parts);
        let request_id = crate::request_id(&parts.headers);
        let req = Request::from_parts(parts, body);
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                let (status, code) = match &rejection {
                    r if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
                    }
                    JsonRejection::MissingJsonContentType(_) => {
                        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
                    }
                    JsonRejection::JsonSyntaxError(_) => {
                        (StatusCode::BAD_REQUEST, "malformed_json")
                    }
                    _ => (StatusCode::BAD_REQUEST, "malformed_request"),
                };
                Err(ApiError::new(status, code)
                    .with_lang(lang)
                    .with_request_id(request_id))
            }
        }
    }
}

// ---- schemas -----------------------------------------------------------------------------

/// A member of a household to register, as on the family card. Missing fields are
/// reported as `required` validation errors (422), like empty ones.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct MemberIn {
    /// 16 digits; omit for people without a NIK yet (newborns).
    pub nik: Option<String>,
    #[serde(default)]
    pub full_name: String,
    /// `L` (male) or `P` (female).
    #[serde(default)]
    pub sex: String,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub birth_date: String,
    pub birth_place: Option<String>,
    /// As on the KK: `KEPALA KELUARGA`, `ISTRI`, `SUAMI`, `ANAK`, `MENANTU`, `CUCU`, `ORANG TUA`, `MERTUA`, `FAMILI LAIN`, `PEMBANTU`, `LAINNYA`.
    #[serde(default)]
    pub relationship: String,
    pub religion: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub marital_status: Option<String>,
    /// Indonesian mobile number, e.g. `081234567890`.
    pub phone: Option<String>,
}

impl From<MemberIn> for MemberInput {
    fn from(m: MemberIn) -> Self {
        MemberInput {
            nik: m.nik,
            full_name: m.full_name,
            sex: m.sex,
            birth_date: m.birth_date,
            birth_place: m.birth_place,
            relationship: m.relationship,
            religion: m.religion,
            education: m.education,
            occupation: m.occupation,
            marital_status: m.marital_status,
            phone: m.phone,
        }
    }
}

/// A household to register from its family card.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct HouseholdIn {
    pub kk_number: Option<String>,
    /// Village code, e.g. `35.07.12.2003`.
    #[serde(default)]
    pub village_code: String,
    pub address: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<String>,
    #[serde(default)]
    pub members: Vec<MemberIn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WarningOut {
    pub field: String,
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredOut {
    pub household_id: String,
    /// In the order of the submitted members.
    pub person_ids: Vec<String>,
    /// Disagreements to check, e.g. a NIK that encodes a different sex.
    pub warnings: Vec<WarningOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonOut {
    pub id: String,
    pub nik: Option<String>,
    /// True when the person has no NIK yet.
    pub nik_pending: bool,
    pub full_name: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub birth_place: Option<String>,
    pub religion: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub marital_status: Option<String>,
    pub phone: Option<String>,
    pub village_code: String,
    /// `alive`, `dead` or `moved_out`.
    pub life_status: String,
    pub died_on: Option<NaiveDate>,
    pub household_id: Option<String>,
    pub relationship: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<PersonRow> for PersonOut {
    fn from(p: PersonRow) -> Self {
        PersonOut {
            nik_pending: p.nik.is_none(),
            id: p.id,
            nik: p.nik,
            full_name: p.full_name,
            sex: p.sex,
            birth_date: p.birth_date,
            birth_place: p.birth_place,
            religion: p.religion,
            education: p.education,
            occupation: p.occupation,
            marital_status: p.marital_status,
            phone: p.phone,
            village_code: p.village_code,
            life_status: p.life_status,
            died_on: p.died_on,
            household_id: p.household_id,
            relationship: p.relationship,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdOut {
    pub id: String,
    pub kk_number: Option<String>,
    pub village_code: String,
    pub address: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<String>,
    pub status: String,
    pub head_name: Option<String>,
    pub member_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<HouseholdRow> for HouseholdOut {
    fn from(h: HouseholdRow) -> Self {
        HouseholdOut {
            id: h.id,
            kk_number: h.kk_number,
            village_code: h.village_code,
            address: h.address,
            rt: h.rt,
            rw: h.rw,
            status: h.status,
            head_name: h.head_name,
            member_count: h.member_count,
            created_at: h.created_at,
            updated_at: h.updated_at,
        }
    }
}

/// One recorded change, with its provenance.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOut {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
    pub source: String,
}

impl From<HistoryEntry> for HistoryOut {
    fn from(h: HistoryEntry) -> Self {
        HistoryOut {
            at: h.at,
            actor: h.actor,
            action: h.action,
            field: h.field,
            old_value: h.old_value,
            new_value: h.new_value,
            reason: h.reason,
            source: h.source,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDetailOut {
    pub person: PersonOut,
    pub household: Option<HouseholdOut>,
    pub history: Vec<HistoryOut>,
    pub nik_warnings: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdDetailOut {
    pub household: HouseholdOut,
    pub members: Vec<PersonOut>,
    pub history: Vec<HistoryOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonPage {
    pub items: Vec<PersonOut>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdPage {
    pub items: Vec<HouseholdOut>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// An area code inside the caller's area (`35.07.12`); defaults to the caller's whole area.
    pub area: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// The `next` value of the previous page.
    pub after: Option<String>,
}

/// Search by exact NIK, or by name (optionally within an area).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SearchIn {
    pub nik: Option<String>,
    pub name: Option<String>,
    pub area: Option<String>,
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOut {
    pub items: Vec<PersonOut>,
}

/// Changes to a person. Absent fields are kept; an empty string clears an optional field.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PersonPatchIn {
    pub nik: Option<String>,
    pub full_name: Option<String>,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub birth_place: Option<String>,
    pub religion: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub marital_status: Option<String>,
    pub phone: Option<String>,
    /// Why; kept in the history.
    pub reason: Option<String>,
}

/// A life event: `{"kind": "birth", ...}`, `{"kind": "death", "date": ...}` or `{"kind": "move", ...}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventIn {
    Birth {
        date: String,
        full_name: String,
        sex: String,
        nik: Option<String>,
        birth_place: Option<String>,
    },
    Death {
        date: String,
    },
    Move {
        date: String,
        village_code: Option<String>,
        #[serde(default)]
        out_of_area: bool,
        #[serde(default)]
        whole_household: bool,
        address: Option<String>,
    },
}

impl From<EventIn> for LifeEvent {
    fn from(e: EventIn) -> Self {
        match e {
            EventIn::Birth {
                date,
                full_name,
                sex,
                nik,
                birth_place,
            } => LifeEvent::Birth {
                date,
                full_name,
                sex,
                nik,
                birth_place,
            },
            EventIn::Death { date } => LifeEvent::Death { date },
            EventIn::Move {
                date,
                village_code,
                out_of_area,
                whole_household,
                address,
            } => LifeEvent::Move {
                date,
                village_code,
                out_of_area,
                whole_household,
                address,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub person_id: String,
    /// The child registered by a birth.
    pub new_person_id: Option<String>,
}

/// Moves a person into another household, or out of any (`household_id` absent).
#[derive(Debug, Deserialize, ToSchema)]
pub struct HouseholdChangeIn {
    pub household_id: Option<String>,
    /// Relationship to the new household's head; required with `household_id`.
    pub relationship: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedOut {
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaOut {
    pub code: String,
    pub name: String,
    /// `province`, `regency`, `district` or `village`.
    pub level: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AreaQuery {
    /// The parent's code; omit for the provinces.
    pub parent: Option<String>,
}

fn person_detail(d: pintu_service::registry::PersonDetail) -> PersonDetailOut {
    PersonDetailOut {
        person: d.person.into(),
        household: d.household.map(Into::into),
        history: d.history.into_iter().map(Into::into).collect(),
        nik_warnings: d.nik_warnings.into_iter().map(str::to_string).collect(),
    }
}

// ---- handlers ----------------------------------------------------------------------------

/// Register a household with its members.
#[utoipa::path(post, path = "/api/v1/households", tag = "households", request_body = HouseholdIn,
    responses((status = 201, body = RegisteredOut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "the village is outside your area"), (status = 409, body = ErrorBody, description = "NIK or KK number already registered"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register_household(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(body): ApiJson<HouseholdIn>,
) -> Result<(StatusCode, Json<RegisteredOut>), ApiError> {
    let input = HouseholdInput {
        kk_number: body.kk_number,
        village_code: body.village_code,
        address: body.address,
        rt: body.rt,
        rw: body.rw,
        members: body.members.into_iter().map(Into::into).collect(),
    };
    let r = s
        .pintu
        .register_household(&c.ctx, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredOut {
            household_id: r.household_id,
            person_ids: r.person_ids,
            warnings: r
                .warnings
                .into_iter()
                .map(|(field, code)| WarningOut {
                    field,
                    code: code.to_string(),
                })
                .collect(),
        }),
    ))
}

/// A household with its members and history.
#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "households", params(("id" = String, Path)),
    responses((status = 200, body = HouseholdDetailOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "unknown, or outside your area")))]
async fn get_household(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<HouseholdDetailOut>, ApiError> {
    let d = s.pintu.household(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    Ok(Json(HouseholdDetailOut {
        household: d.household.into(),
        members: d.members.into_iter().map(Into::into).collect(),
        history: d.history.into_iter().map(Into::into).collect(),
    }))
}

/// Households in an area, a page at a time.
#[utoipa::path(get, path = "/api/v1/households", tag = "households", params(ListQuery),
    responses((status = 200, body = HouseholdPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_households(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<ListQuery>,
) -> Result<Json<HouseholdPage>, ApiError> {
    let page = s
        .pintu
        .list_households(&c.ctx, q.area.as_deref(), q.after.as_deref(), q.limit)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(HouseholdPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next: page.next,
    }))
}

/// Add a new member to a household.
#[utoipa::path(post, path = "/api/v1/households/{id}/members", tag = "households", params(("id" = String, Path)), request_body = MemberIn,
    responses((status = 201, body = CreatedOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_member(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MemberIn>,
) -> Result<(StatusCode, Json<CreatedOut>), ApiError> {
    let person_id = s
        .pintu
        .add_member(&c.ctx, &id, &body.into())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(CreatedOut { id: person_id })))
}

/// A person with their household, history and NIK warnings.
#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = String, Path)),
    responses((status = 200, body = PersonDetailOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "unknown, or outside your area")))]
async fn get_person(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<PersonDetailOut>, ApiError> {
    let d = s.pintu.person(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    Ok(Json(person_detail(d)))
}

/// Correct a person's data; every changed field is kept in the history.
#[utoipa::path(patch, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = String, Path)), request_body = PersonPatchIn,
    responses((status = 200, body = PersonOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn patch_person(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PersonPatchIn>,
) -> Result<Json<PersonOut>, ApiError> {
    let patch = PersonPatch {
        nik: b.nik,
        full_name: b.full_name,
        sex: b.sex,
        birth_date: b.birth_date,
        birth_place: b.birth_place,
        religion: b.religion,
        education: b.education,
        occupation: b.occupation,
        marital_status: b.marital_status,
        phone: b.phone,
        reason: b.reason,
    };
    let p = s
        .pintu
        .update_person(&c.ctx, &id, &patch)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(p.into()))
}

/// People in an area, a page at a time, ordered by village then id.
#[utoipa::path(get, path = "/api/v1/persons", tag = "persons", params(ListQuery),
    responses((status = 200, body = PersonPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_persons(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<ListQuery>,
) -> Result<Json<PersonPage>, ApiError> {
    let page = s
        .pintu
        .list_persons(&c.ctx, q.area.as_deref(), q.after.as_deref(), q.limit)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(PersonPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next: page.next,
    }))
}

/// Find people by exact NIK or by name (case- and accent-insensitive; prefix, then contains).
#[utoipa::path(post, path = "/api/v1/persons/search", tag = "persons", request_body = SearchIn,
    responses((status = 200, body = SearchOut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn search_persons(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<SearchIn>,
) -> Result<Json<SearchOut>, ApiError> {
    let found = match (
        b.nik.as_deref().filter(|n| !n.trim().is_empty()),
        b.name.as_deref(),
    ) {
        (Some(nik), _) => s.pintu.search_by_nik(&c.ctx, nik).await,
        (None, Some(name)) => {
            s.pintu
                .search_by_name(&c.ctx, name, b.area.as_deref(), b.limit)
                .await
        }
        (None, None) => Err(pintu_service::Error::invalid("name", "required")),
    }
    .map_err(|e| c.err(e))?;
    Ok(Json(SearchOut {
        items: found.into_iter().map(Into::into).collect(),
    }))
}

/// Record a birth, death or move.
#[utoipa::path(post, path = "/api/v1/persons/{id}/events", tag = "persons", params(("id" = String, Path)), request_body = EventIn,
    responses((status = 201, body = EventOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_event(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<EventIn>,
) -> Result<(StatusCode, Json<EventOut>), ApiError> {
    let o = s
        .pintu
        .record_event(&c.ctx, &id, &b.into())
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::CREATED,
        Json(EventOut {
            person_id: o.person_id,
            new_person_id: o.new_person_id,
        }),
    ))
}

/// Move a person to another household in your area, or take them out of their household.
#[utoipa::path(post, path = "/api/v1/persons/{id}/household", tag = "persons", params(("id" = String, Path)), request_body = HouseholdChangeIn,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_household(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<HouseholdChangeIn>,
) -> Result<StatusCode, ApiError> {
    s.pintu
        .move_member(
            &c.ctx,
            &id,
            b.household_id.as_deref().filter(|h| !h.is_empty()),
            b.relationship.as_deref(),
            b.reason.as_deref(),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The areas directly below a parent (or the provinces): for pickers.
#[utoipa::path(get, path = "/api/v1/areas", tag = "areas", params(AreaQuery), responses((status = 200, body = Vec<AreaOut>), (status = 401, body = ErrorBody)))]
async fn list_areas(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<AreaQuery>,
) -> Result<Json<Vec<AreaOut>>, ApiError> {
    let areas = s
        .pintu
        .store
        .child_areas(q.parent.as_deref())
        .await
        .map_err(|e| c.err(e.into()))?;
    Ok(Json(
        areas
            .into_iter()
            .map(|a| AreaOut {
                code: a.code,
                name: a.name,
                level: a.level.as_str().to_string(),
            })
            .collect(),
    ))
}
