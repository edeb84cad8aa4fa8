//! The application pages (ENR-2): the applications of an area with filters, the form that
//! starts one for a person (from the person page), and the application itself: the
//! programme's required documents with what was handed in and checked, the steps the officer
//! may take (with the reason a rejection or withdrawal needs), and the history.

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use pintu_domain::applications::{Action, MAX_DOCUMENT_BYTES, State as AppState_};
use pintu_service::Error;
use pintu_service::applications::{ApplicationDetail, NewApplicationInput, StepInput};
use pintu_store::applications::ApplicationRow;
use serde::Deserialize;

use crate::AppState;
use crate::i18n::{Lang, Tr};
use crate::pages::{
    CsrfForm, FormErrors, Layout, check_csrf, error_page, error_page_code, list_or_errors, render,
};
use crate::pages_complaints::read_multipart;
use crate::session::PageUser;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/applications/{id}/documents",
            post(add_document).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 256 * 1024)),
        )
        .route("/applications", get(list_page).post(create))
        .route("/applications/new", get(new_form))
        .route("/applications/{id}", get(detail_page))
        .route("/applications/{id}/steps", post(step))
        .route("/applications/{id}/documents/{doc}", get(download))
        .route("/applications/{id}/documents/{doc}/check", post(check))
        .route("/messages", get(messages_page))
}

pub(crate) fn in_lang<'a>(tr: &Tr, id: &'a str, en: &'a str) -> &'a str {
    match tr.lang {
        Lang::En => en,
        _ => id,
    }
}

// ---- the list ------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    area: Option<String>,
    #[serde(default)]
    programme: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    before: Option<String>,
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ListPage {
    l: Layout,
    q: ListQuery,
    states: Vec<&'static str>,
    rows: Vec<ApplicationRow>,
    next: Option<String>,
    errors: FormErrors,
}

impl ListPage {
    fn programme_name<'a>(&self, a: &'a ApplicationRow) -> &'a str {
        in_lang(&self.l.tr, &a.programme_name_id, &a.programme_name_en)
    }

    fn next_href(&self, next: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("area", &self.q.area),
            ("programme", &self.q.programme),
            ("state", &self.q.state),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        q.append_pair("before", next);
        format!("/applications?{}", q.finish())
    }
}

async fn list_page(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<ListQuery>,
) -> Response {
    let states = AppState_::ALL.iter().map(|s| s.code()).collect();
    let result = state
        .pintu
        .applications(
            &u.ctx,
            q.area.as_deref().filter(|a| !a.trim().is_empty()),
            q.programme.as_deref(),
            q.state.as_deref(),
            q.before.as_deref(),
            Some(50),
        )
        .await;
    let l = Layout::for_user(&u, "applications-title", "applications", "/applications");
    let (status, (rows, next), errors) = match list_or_errors(&u, result.map(|p| (p.items, p.next)))
    {
        Ok(shown) => shown,
        Err(r) => return r,
    };
    (
        status,
        render(&ListPage {
            l,
            q,
            states,
            rows,
            next,
            errors,
        }),
    )
        .into_response()
}

// ---- starting one --------------------------------------------------------------------------

#[derive(Deserialize, Default, Clone)]
struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    programme: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    note: String,
    /// The exclusion complaint it answers, when opened from one.
    #[serde(default)]
    complaint: String,
}

#[derive(Template)]
#[template(path = "applications_new.html")]
struct NewPage {
    l: Layout,
    f: NewForm,
    person_name: String,
    village: String,
    programmes: Vec<(String, String)>,
    errors: FormErrors,
}

async fn new_form(
    State(state): State<AppState>,
    u: PageUser,
    Query(f): Query<NewForm>,
) -> Response {
    // An application is of one person: the form opens from the person page.
    if f.person.is_empty() {
        return Redirect::to("/persons").into_response();
    }
    form_page(&state, &u, f, FormErrors::default(), StatusCode::OK).await
}

async fn form_page(
    state: &AppState,
    u: &PageUser,
    f: NewForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    if !u
        .ctx
        .actor
        .role()
        .is_some_and(pintu_domain::applications::may_take_applications)
    {
        return error_page(u.tr.clone(), Error::Forbidden, u.ctx.request_id.clone());
    }
    let (person, programmes) =
        match crate::pages_matching::person_and_programmes(state, u, &f.person).await {
            Ok(found) => found,
            Err(r) => return r,
        };
    (
        status,
        render(&NewPage {
            l: Layout::for_user(
                u,
                "application-new-title",
                "applications",
                "/applications/new",
            ),
            person_name: person.full_name,
            village: person.village_code,
            f,
            programmes,
            errors,
        }),
    )
        .into_response()
}

async fn create(State(state): State<AppState>, u: PageUser, Form(f): Form<NewForm>) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let input = NewApplicationInput {
        person_id: f.person.clone(),
        programme: f.programme.clone(),
        channel: Some(f.channel.clone()),
        note: Some(f.note.clone()),
        complaint_id: Some(f.complaint.clone()),
        ..NewApplicationInput::default()
    };
    match state
        .pintu
        .create_application(&u.ctx, &input, Utc::now())
        .await
    {
        Ok(d) => to_detail(&d.application.id, "application-created"),
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) => form_page(&state, &u, f, errors, status).await,
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

fn to_detail(id: &str, notice: &str) -> Response {
    Redirect::to(&format!("/applications/{id}?notice={notice}")).into_response()
}

// ---- one application -----------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct DetailQuery {
    #[serde(default)]
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "applications_detail.html")]
struct DetailPage {
    l: Layout,
    d: ApplicationDetail,
    notice: Option<String>,
    errors: FormErrors,
    /// The reason typed before an error, kept in its form.
    reason: String,
}

impl DetailPage {
    fn programme_name(&self) -> &str {
        let a = &self.d.application;
        in_lang(&self.l.tr, &a.programme_name_id, &a.programme_name_en)
    }

    fn requirement_name<'a>(&self, id: &'a str, en: &'a str) -> &'a str {
        in_lang(&self.l.tr, id, en)
    }

    fn needs_reason(&self, action: &str) -> bool {
        Action::parse(action).is_some_and(Action::needs_reason)
    }
}

async fn detail_page(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let notice = q.notice.filter(|n| n.starts_with("application-"));
    show(
        &state,
        &u,
        &id,
        notice,
        FormErrors::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

async fn show(
    state: &AppState,
    u: &PageUser,
    id: &str,
    notice: Option<String>,
    errors: FormErrors,
    reason: String,
    status: StatusCode,
) -> Response {
    match state.pintu.application(&u.ctx, id).await {
        Ok(d) => {
            let path = format!("/applications/{}", d.application.id);
            (
                status,
                render(&DetailPage {
                    l: Layout::for_user(u, "application-title", "applications", &path),
                    d,
                    notice,
                    errors,
                    reason,
                }),
            )
                .into_response()
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

/// Shows the application again with the error of what was tried, or the error page.
async fn failed(state: &AppState, u: &PageUser, id: &str, e: Error, reason: String) -> Response {
    match FormErrors::from_error(e, &u.tr) {
        Ok((status, errors)) => show(state, u, id, None, errors, reason, status).await,
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

#[derive(Deserialize, Default)]
struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

async fn step(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let input = StepInput {
        action: f.action.clone(),
        reason: Some(f.reason.clone()),
    };
    match state
        .pintu
        .application_step(&u.ctx, &id, &input, Utc::now())
        .await
    {
        Ok(d) => to_detail(&d.application.id, &format!("application-done-{}", f.action)),
        Err(e) => failed(&state, &u, &id, e, f.reason).await,
    }
}

/// A document's form as posted, once its CSRF token is read.
pub(crate) enum DocumentForm {
    Ready {
        requirement: Option<String>,
        name: String,
        bytes: Vec<u8>,
    },
    /// An error to show on the application's page (no file, too large).
    OnPage(Error),
    /// An error for the error page.
    Page(StatusCode, &'static str),
}

/// Reads a document's multipart form (the officers' and the residents' alike): the CSRF
/// token and what was handed in; the error page's status and code when it is no form.
pub(crate) async fn document_form(
    form: Result<Multipart, MultipartRejection>,
) -> Result<(String, DocumentForm), (StatusCode, &'static str)> {
    let form = form.map_err(|_| (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"))?;
    let mut posted = read_multipart(form, "document_too_large").await;
    let csrf = posted.fields.remove("csrf").unwrap_or_default();
    let doc = match (posted.failed, posted.file) {
        (Some((StatusCode::PAYLOAD_TOO_LARGE, code)), _) => {
            DocumentForm::OnPage(Error::invalid("file", code))
        }
        (Some((status, code)), _) => DocumentForm::Page(status, code),
        (None, None) => DocumentForm::OnPage(Error::invalid("file", "required")),
        (None, Some((name, bytes))) => DocumentForm::Ready {
            requirement: posted.fields.remove("requirement"),
            name,
            bytes,
        },
    };
    Ok((csrf, doc))
}

async fn add_document(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let (csrf, doc) = match document_form(form).await {
        Ok(read) => read,
        Err((status, code)) => return error_page_code(&u.tr, status, code),
    };
    if let Err(r) = check_csrf(&u, &csrf) {
        return r;
    }
    let (requirement, name, bytes) = match doc {
        DocumentForm::Ready {
            requirement,
            name,
            bytes,
        } => (requirement, name, bytes),
        DocumentForm::OnPage(e) => return failed(&state, &u, &id, e, String::new()).await,
        DocumentForm::Page(status, code) => return error_page_code(&u.tr, status, code),
    };
    match state
        .pintu
        .add_application_document(
            &u.ctx,
            &id,
            requirement.as_deref(),
            &name,
            bytes,
            Utc::now(),
        )
        .await
    {
        Ok(_) => to_detail(&id, "application-document-added"),
        Err(e) => failed(&state, &u, &id, e, String::new()).await,
    }
}

async fn check(
    State(state): State<AppState>,
    u: PageUser,
    Path((id, doc)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    match state
        .pintu
        .check_application_document(&u.ctx, &id, &doc, Utc::now())
        .await
    {
        Ok(d) => to_detail(&d.application.id, "application-document-checked"),
        Err(e) => failed(&state, &u, &id, e, String::new()).await,
    }
}

async fn download(
    State(state): State<AppState>,
    u: PageUser,
    Path((id, doc)): Path<(String, String)>,
) -> Response {
    match state.pintu.application_document(&u.ctx, &id, &doc).await {
        Ok((meta, bytes)) => {
            crate::api_complaints::file_response(&meta.file_name, &meta.content_type, bytes)
                .into_response()
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

// ---- messages to residents -----------------------------------------------------------------

#[derive(Deserialize, Default)]
struct MessagesQuery {
    #[serde(default)]
    area: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    before: Option<String>,
}

#[derive(Template)]
#[template(path = "messages.html")]
struct MessagesPage {
    l: Layout,
    q: MessagesQuery,
    statuses: Vec<&'static str>,
    rows: Vec<pintu_store::outbox::MessageRow>,
    next: Option<String>,
    errors: FormErrors,
    /// The latest SMS residents sent.
    received: Vec<pintu_store::sms::InboundRow>,
}

impl MessagesPage {
    fn next_href(&self, next: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("area", &self.q.area), ("status", &self.q.status)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        q.append_pair("before", next);
        format!("/messages?{}", q.finish())
    }
}

async fn messages_page(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<MessagesQuery>,
) -> Response {
    let statuses = pintu_domain::messages::Status::ALL
        .iter()
        .map(|s| s.code())
        .collect();
    let result = state
        .pintu
        .messages(
            &u.ctx,
            q.area.as_deref().filter(|a| !a.trim().is_empty()),
            q.status.as_deref(),
            q.before.as_deref(),
            Some(50),
        )
        .await;
    let l = Layout::for_user(&u, "messages-title", "applications", "/messages");
    let (status, (rows, next), errors) = match list_or_errors(&u, result.map(|p| (p.items, p.next)))
    {
        Ok(shown) => shown,
        Err(r) => return r,
    };
    let received = if status == StatusCode::OK {
        let area = q.area.as_deref().filter(|a| !a.trim().is_empty());
        match state.pintu.received_sms(&u.ctx, area).await {
            Ok(r) => r,
            Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        }
    } else {
        Vec::new()
    };
    (
        status,
        render(&MessagesPage {
            l,
            q,
            statuses,
            rows,
            next,
            errors,
            received,
        }),
    )
        .into_response()
}
