//! `/api/v1/me/...`: the resident's own door — log in with NIK, birth date and a code sent
//! by SMS, then read their household, programmes, entitlements, applications and documents,
//! apply, and ask for changes. Every path answers for the resident's own household only;
//! another household's ids are 404, as if they did not exist.
//!
//! `/api/v1/change-requests`: officers confirm or reject what residents asked to change.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use pintu_service::residents::{ChangeInput, ChangeValues, DecisionInput, Me};
use pintu_store::residents::ChangeRequestRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::ApiJson;
use crate::api_applications::{ApplicationDetailOut, ApplicationOut, DocumentOut};
use crate::api_matching::EntitlementsOut;
use crate::error::{ApiError, ErrorBody};
use crate::session::{ApiCtx, ResidentApi, headers_lang};

const MAX_DOCUMENT_BODY: usize = pintu_domain::applications::MAX_DOCUMENT_BYTES + 256 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_my_document))
        .routes(routes!(attach_to_my_complaint))
        .layer(DefaultBodyLimit::max(MAX_DOCUMENT_BODY))
        .routes(routes!(start_login))
        .routes(routes!(verify_login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(my_entitlements))
        .routes(routes!(apply, my_applications))
        .routes(routes!(my_application))
        .routes(routes!(my_step))
        .routes(routes!(my_document))
        .routes(routes!(request_change))
        .routes(routes!(complain))
        .routes(routes!(set_language))
        .routes(routes!(list_change_requests))
        .routes(routes!(confirm_change_request))
        .routes(routes!(reject_change_request))
}

/// Starting a login.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginIn {
    /// The resident's NIK (16 digits), in the body, never in a URL.
    pub nik: String,
    /// YYYY-MM-DD.
    pub birth_date: String,
}

/// The challenge to answer with the code sent by SMS. Given whether or not the NIK and
/// birth date matched a registered person with a phone number.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginStartedOut {
    pub challenge: String,
    pub expires_at: DateTime<Utc>,
}

/// Send a one-time login code by SMS to the phone registered for this NIK and birth date.
/// Throttled: repeated wrong NIK/birth dates and more than three codes in fifteen minutes
/// answer 429.
#[utoipa::path(post, path = "/api/v1/me/login", tag = "me", request_body = LoginIn,
    responses((status = 202, body = LoginStartedOut), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn start_login(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiJson(b): ApiJson<LoginIn>,
) -> Result<(StatusCode, Json<LoginStartedOut>), ApiError> {
    let lang = headers_lang(&headers);
    let started = s
        .pintu
        .start_resident_login(
            &b.nik,
            &b.birth_date,
            crate::request_id(&headers),
            Utc::now(),
        )
        .await
        .map_err(|e| ApiError::from_service(e).with_lang(lang))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(LoginStartedOut {
            challenge: started.challenge,
            expires_at: started.expires_at,
        }),
    ))
}

/// Answering the challenge.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyIn {
    pub challenge: String,
    /// The six digits received by SMS.
    pub code: String,
}

/// A resident's session: send the token as `Authorization: Bearer <token>` to
/// `/api/v1/me/...`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidentSessionOut {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Answer the challenge with the code. A wrong code answers 422 `login_code_wrong`; after
/// five wrong guesses, or ten minutes, the code is spent (`login_code_expired`).
#[utoipa::path(post, path = "/api/v1/me/login/verify", tag = "me", request_body = VerifyIn,
    responses((status = 200, body = ResidentSessionOut), (status = 422, body = ErrorBody)))]
async fn verify_login(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiJson(b): ApiJson<VerifyIn>,
) -> Result<Json<ResidentSessionOut>, ApiError> {
    let lang = headers_lang(&headers);
    let session = s
        .pintu
        .verify_resident_login(
            &b.challenge,
            &b.code,
            crate::request_id(&headers),
            Utc::now(),
        )
        .await
        .map_err(|e| ApiError::from_service(e).with_lang(lang))?;
    Ok(Json(ResidentSessionOut {
        token: session.token,
        expires_at: session.expires_at,
    }))
}

/// End the session.
#[utoipa::path(post, path = "/api/v1/me/logout", tag = "me",
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = crate::session::bearer(&headers).unwrap_or_default();
    s.pintu.resident_logout(token).await.map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A programme a member takes part in.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyProgrammeOut {
    pub code: String,
    pub since: Option<NaiveDate>,
}

/// A member of the household (NIK masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    pub id: String,
    pub full_name: String,
    pub nik_masked: Option<String>,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub age: i32,
    /// On the family card: `head`, `husband`, `wife`, `child`, `child_in_law`, `grandchild`,
    /// `parent`, `parent_in_law`, `other_relative` or `helper`.
    pub relationship: Option<String>,
    pub alive: bool,
    pub programmes: Vec<MyProgrammeOut>,
}

/// The household (KK number masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct MyHouseholdOut {
    pub id: String,
    pub kk_masked: Option<String>,
    pub village_code: String,
    pub village_name: Option<String>,
    pub address: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<String>,
}

/// A document handed in with one of the household's applications.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyDocumentOut {
    pub application_id: String,
    pub programme: String,
    pub document: DocumentOut,
}

/// The values of a change request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeValuesOut {
    pub phone: Option<String>,
    pub address: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<String>,
}

impl From<ChangeValues> for ChangeValuesOut {
    fn from(v: ChangeValues) -> Self {
        ChangeValuesOut {
            phone: v.phone,
            address: v.address,
            rt: v.rt,
            rw: v.rw,
        }
    }
}

fn values(json: Option<&str>) -> Option<ChangeValuesOut> {
    json.and_then(|j| serde_json::from_str::<ChangeValues>(j).ok())
        .map(Into::into)
}

/// A change a resident asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeRequestOut {
    pub id: String,
    pub person_id: String,
    pub person_name: String,
    pub household_id: Option<String>,
    pub village_code: String,
    /// `phone` or `address`.
    pub kind: String,
    pub requested: Option<ChangeValuesOut>,
    pub previous: Option<ChangeValuesOut>,
    pub note: Option<String>,
    /// `pending`, `confirmed` or `rejected`.
    pub state: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<ChangeRequestRow> for ChangeRequestOut {
    fn from(r: ChangeRequestRow) -> Self {
        ChangeRequestOut {
            requested: values(Some(&r.requested)),
            previous: values(r.previous.as_deref()),
            id: r.id,
            person_id: r.person_id,
            person_name: r.person_name,
            household_id: r.household_id,
            village_code: r.village_code,
            kind: r.kind,
            note: r.note,
            state: r.state,
            reason: r.reason,
            decided_at: r.decided_at,
            created_at: r.created_at,
        }
    }
}

/// A complaint the resident made, as they see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyComplaintOut {
    pub id: String,
    /// The reference to quote (`35.07-2026-000123`).
    pub reference: String,
    pub received_on: NaiveDate,
    pub channel: String,
    pub category: String,
    pub programme: Option<String>,
    pub description: String,
    /// `open`, `resolved` or `closed`.
    pub status: String,
    /// The answer given.
    pub response: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The names of the files attached to it (`GET /api/v1/me` only).
    pub attachments: Vec<String>,
}

impl From<pintu_store::complaints::ComplaintRow> for MyComplaintOut {
    fn from(c: pintu_store::complaints::ComplaintRow) -> Self {
        MyComplaintOut {
            attachments: Vec::new(),
            id: c.id,
            reference: c.reference,
            received_on: c.received_on,
            channel: c.channel,
            category: c.category,
            programme: c.programme,
            description: c.description,
            status: c.status,
            response: c.response,
            resolved_at: c.resolved_at,
        }
    }
}

/// Everything about the resident's own household.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    pub person_id: String,
    pub full_name: String,
    pub phone: Option<String>,
    /// `id` or `en`: the language of the portal and of messages.
    pub language: String,
    pub household: Option<MyHouseholdOut>,
    pub members: Vec<MemberOut>,
    pub applications: Vec<ApplicationOut>,
    pub documents: Vec<MyDocumentOut>,
    pub change_requests: Vec<ChangeRequestOut>,
    pub complaints: Vec<MyComplaintOut>,
}

impl From<Me> for MeOut {
    fn from(m: Me) -> Self {
        let complaints = m
            .complaints
            .iter()
            .map(|c| MyComplaintOut {
                attachments: m
                    .files_of(&c.id)
                    .into_iter()
                    .map(|f| f.file_name.clone())
                    .collect(),
                ..c.clone().into()
            })
            .collect();
        MeOut {
            person_id: m.person_id,
            full_name: m.full_name,
            phone: m.phone,
            language: m.language,
            household: m.household.map(|h| MyHouseholdOut {
                id: h.id,
                kk_masked: h.kk_masked,
                village_code: h.village_code,
                village_name: h.village_name,
                address: h.address,
                rt: h.rt,
                rw: h.rw,
            }),
            members: m
                .members
                .into_iter()
                .map(|p| MemberOut {
                    id: p.id,
                    full_name: p.full_name,
                    nik_masked: p.nik_masked,
                    sex: p.sex,
                    birth_date: p.birth_date,
                    age: p.age,
                    relationship: p.relationship,
                    alive: p.alive,
                    programmes: p
                        .programmes
                        .into_iter()
                        .map(|g| MyProgrammeOut {
                            code: g.code,
                            since: g.since,
                        })
                        .collect(),
                })
                .collect(),
            applications: m.applications.into_iter().map(Into::into).collect(),
            documents: m
                .documents
                .into_iter()
                .map(|d| MyDocumentOut {
                    application_id: d.application_id,
                    programme: d.programme_code,
                    document: d.document.into(),
                })
                .collect(),
            change_requests: m.change_requests.into_iter().map(Into::into).collect(),
            complaints,
        }
    }
}

/// My household, our programmes, applications, documents and change requests.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    responses((status = 200, body = MeOut), (status = 401, body = ErrorBody)))]
async fn me(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
) -> Result<Json<MeOut>, ApiError> {
    let m = s.pintu.me(&c.ctx).await.map_err(|e| c.err(e))?;
    Ok(Json(m.into()))
}

/// What a member of my household may be entitled to, and why.
#[utoipa::path(get, path = "/api/v1/me/persons/{id}/entitlements", tag = "me", params(("id" = String, Path)),
    responses((status = 200, body = EntitlementsOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn my_entitlements(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    Path(id): Path<String>,
) -> Result<Json<EntitlementsOut>, ApiError> {
    let e = s
        .pintu
        .entitlements(&c.ctx, &id, None)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(e.into()))
}

/// Applying online.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplyIn {
    /// A member of my household.
    pub person_id: String,
    /// The programme's code.
    pub programme: String,
}

/// Apply for a member of my household: the application is submitted at once (channel
/// `online`); hand in documents afterwards.
#[utoipa::path(post, path = "/api/v1/me/applications", tag = "me", request_body = ApplyIn,
    responses((status = 201, body = ApplicationDetailOut), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn apply(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    ApiJson(b): ApiJson<ApplyIn>,
) -> Result<(StatusCode, Json<ApplicationDetailOut>), ApiError> {
    let d = s
        .pintu
        .apply_online(&c.ctx, &b.person_id, &b.programme, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// My household's applications, newest first.
#[utoipa::path(get, path = "/api/v1/me/applications", tag = "me",
    responses((status = 200, body = Vec<ApplicationOut>), (status = 401, body = ErrorBody)))]
async fn my_applications(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
) -> Result<Json<Vec<ApplicationOut>>, ApiError> {
    let m = s.pintu.me(&c.ctx).await.map_err(|e| c.err(e))?;
    Ok(Json(m.applications.into_iter().map(Into::into).collect()))
}

/// One of my household's applications, with its history, documents and the steps I may
/// take (`submit` a draft, `withdraw`).
#[utoipa::path(get, path = "/api/v1/me/applications/{id}", tag = "me", params(("id" = String, Path)),
    responses((status = 200, body = ApplicationDetailOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn my_application(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    Path(id): Path<String>,
) -> Result<Json<ApplicationDetailOut>, ApiError> {
    let d = s
        .pintu
        .application(&c.ctx, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

/// A step the applicant takes.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MyStepIn {
    /// `submit` (a draft) or `withdraw`.
    pub action: String,
    /// Required to withdraw.
    pub reason: Option<String>,
}

/// Submit a draft or withdraw an application; other steps are the officers' (403).
#[utoipa::path(post, path = "/api/v1/me/applications/{id}/steps", tag = "me", params(("id" = String, Path)), request_body = MyStepIn,
    responses((status = 200, body = ApplicationDetailOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn my_step(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MyStepIn>,
) -> Result<Json<ApplicationDetailOut>, ApiError> {
    crate::api_applications::take_step(&s, &c, &id, b.action, b.reason).await
}

/// Hand in a document for one of my household's applications (while submitted).
#[utoipa::path(post, path = "/api/v1/me/applications/{id}/documents", tag = "me", params(("id" = String, Path)),
    request_body(content = crate::api_applications::DocumentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = DocumentOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_my_document(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<DocumentOut>), ApiError> {
    crate::api_applications::upload_document(&s, &c, &id, form).await
}

/// A document of one of my household's applications.
#[utoipa::path(get, path = "/api/v1/me/applications/{id}/documents/{document_id}", tag = "me",
    params(("id" = String, Path), ("document_id" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn my_document(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    Path((id, document_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    crate::api_applications::download_document(&s, &c, &id, &document_id).await
}

/// A change to ask for.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangeIn {
    /// `phone` (my own number) or `address` (my household's).
    pub kind: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<String>,
    pub note: Option<String>,
}

/// Ask for my phone number or my household's address to be changed; an officer of the
/// village confirms it. One request of each kind waits at a time (409
/// `change_request_pending`).
#[utoipa::path(post, path = "/api/v1/me/change-requests", tag = "me", request_body = ChangeIn,
    responses((status = 201, body = ChangeRequestOut), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn request_change(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    ApiJson(b): ApiJson<ChangeIn>,
) -> Result<(StatusCode, Json<ChangeRequestOut>), ApiError> {
    let input = ChangeInput {
        kind: b.kind,
        phone: b.phone,
        address: b.address,
        rt: b.rt,
        rw: b.rw,
        note: b.note,
    };
    let row = s
        .pintu
        .request_change(&c.ctx, &input, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// A complaint to make.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MyComplaintIn {
    /// `exclusion_error`, `inclusion_error`, `wrong_data`, `programme_information`,
    /// `service_quality`, `benefit_delay`, `staff_conduct` or `other`.
    pub category: String,
    /// The programme concerned.
    pub programme: Option<String>,
    pub description: String,
}

/// Make a complaint (channel `portal`): it goes to my village office with a reference
/// number, and its answer comes by SMS and shows in `GET /api/v1/me`.
#[utoipa::path(post, path = "/api/v1/me/complaints", tag = "me", request_body = MyComplaintIn,
    responses((status = 201, body = MyComplaintOut), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn complain(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    ApiJson(b): ApiJson<MyComplaintIn>,
) -> Result<(StatusCode, Json<MyComplaintOut>), ApiError> {
    let row = s
        .pintu
        .complain_online(
            &c.ctx,
            &pintu_service::residents::MyComplaint {
                category: b.category,
                programme: b.programme,
                description: b.description,
            },
            Utc::now(),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Attach a file to a complaint I made here (a PDF, JPEG or PNG of at most 2 MiB; at most
/// 5 a complaint). Other complaints are not found.
#[utoipa::path(post, path = "/api/v1/me/complaints/{id}/attachments", tag = "me", params(("id" = String, Path)),
    request_body(content = crate::api_complaints::AttachmentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = crate::api_complaints::AttachmentOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn attach_to_my_complaint(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<crate::api_complaints::AttachmentOut>), ApiError> {
    let (name, data) = crate::api_complaints::read_attachment(&c, form).await?;
    let row = s
        .pintu
        .attach_to_my_complaint(&c.ctx, &id, &name, data, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// The language of my portal and messages.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct LanguageIn {
    /// `id` or `en`.
    pub language: String,
}

/// Choose the language of my portal and of the SMS I receive.
#[utoipa::path(put, path = "/api/v1/me/language", tag = "me", request_body = LanguageIn,
    responses((status = 200, body = LanguageIn), (status = 401, body = ErrorBody)))]
async fn set_language(
    State(s): State<AppState>,
    ResidentApi(c): ResidentApi,
    ApiJson(b): ApiJson<LanguageIn>,
) -> Result<Json<LanguageIn>, ApiError> {
    let language = s
        .pintu
        .set_resident_language(&c.ctx, &b.language, Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(LanguageIn { language }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ChangeRequestQuery {
    /// An area inside yours.
    pub area: Option<String>,
    /// `pending`, `confirmed` or `rejected`.
    pub state: Option<String>,
}

/// Change requests of residents of your area, newest first.
#[utoipa::path(get, path = "/api/v1/change-requests", tag = "change-requests", params(ChangeRequestQuery),
    responses((status = 200, body = Vec<ChangeRequestOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_change_requests(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<ChangeRequestQuery>,
) -> Result<Json<Vec<ChangeRequestOut>>, ApiError> {
    let rows = s
        .pintu
        .change_requests(&c.ctx, q.area.as_deref(), q.state.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// A decision on a change request.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DecisionIn {
    /// Required to reject; shown to the resident.
    pub reason: Option<String>,
}

/// Confirm a pending change request: the phone number or address is changed, with its
/// history.
#[utoipa::path(post, path = "/api/v1/change-requests/{id}/confirm", tag = "change-requests", params(("id" = String, Path)),
    responses((status = 200, body = ChangeRequestOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn confirm_change_request(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ChangeRequestOut>, ApiError> {
    let row = s
        .pintu
        .decide_change_request(&c.ctx, &id, true, &DecisionInput::default(), Utc::now())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(row.into()))
}

/// Reject a pending change request, with the reason the resident reads.
#[utoipa::path(post, path = "/api/v1/change-requests/{id}/reject", tag = "change-requests", params(("id" = String, Path)), request_body = DecisionIn,
    responses((status = 200, body = ChangeRequestOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reject_change_request(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DecisionIn>,
) -> Result<Json<ChangeRequestOut>, ApiError> {
    let row = s
        .pintu
        .decide_change_request(
            &c.ctx,
            &id,
            false,
            &DecisionInput { reason: b.reason },
            Utc::now(),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(row.into()))
}
