//! The resident's door (INF-1), mobile first: log in with NIK, birth date and a code sent by
//! SMS; see my household, our programmes, what each of us may be entitled to and why, our
//! applications and documents; apply online and hand in documents; ask for a new phone number
//! or address. And the officers' list of those requests, to confirm or reject.

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Form, FromRequest, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use chrono::Utc;
use pintu_domain::applications::{Action, MAX_DOCUMENT_BYTES};
use pintu_service::Error;
use pintu_service::applications::{ApplicationDetail, StepInput};
use pintu_service::residents::{ChangeInput, ChangeValues, DecisionInput, Me};
use pintu_store::residents::ChangeRequestRow;
use serde::Deserialize;

use crate::AppState;
use crate::i18n::Tr;
use crate::pages::{
    CsrfForm, Entitlements, FormErrors, Layout, check_csrf, constant_time_eq, cookie,
    entitlements_of, error_page, error_page_code, list_or_errors, render, secure,
};
use crate::pages_applications::{DocumentForm, document_form, in_lang};
use crate::session::{
    LANG_COOKIE, PageUser, RESIDENT_COOKIE, RESIDENT_CSRF_COOKIE, ResidentPage, page_lang,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/me/applications/{id}/documents",
            post(add_document).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 256 * 1024)),
        )
        .route("/me/login", get(login_page).post(start_login))
        .route("/me/login/code", post(verify_login))
        .route("/me/logout", post(logout))
        .route("/me", get(home))
        .route("/me/language", post(set_language))
        .route("/me/persons/{id}", get(why))
        .route("/me/apply", post(apply))
        .route("/me/applications/{id}", get(application))
        .route("/me/applications/{id}/steps", post(step))
        .route("/me/applications/{id}/documents/{doc}", get(download))
        .route("/me/change", get(change_form).post(request_change))
        .route(
            "/me/complaints",
            get(complaint_form)
                .post(complain)
                .layer(DefaultBodyLimit::max(
                    pintu_service::complaints::MAX_ATTACHMENT_BYTES + 256 * 1024,
                )),
        )
        .route("/change-requests", get(requests_page))
        .route("/change-requests/{id}/confirm", post(confirm))
        .route("/change-requests/{id}/reject", post(reject))
}

fn layout(
    tr: Tr,
    title_key: &str,
    nav: &'static str,
    path: &str,
    r: Option<&ResidentPage>,
) -> Layout {
    let mut l = Layout::public(tr.clone(), tr.t(title_key), nav, path);
    if let Some(r) = r {
        l.csrf = r.resident.csrf_token.clone();
        l.resident_name = Some(r.resident.person.full_name.clone());
    }
    l
}

fn resident_layout(r: &ResidentPage, title_key: &str, nav: &'static str, path: &str) -> Layout {
    layout(r.tr.clone(), title_key, nav, path, Some(r))
}

fn check(r: &ResidentPage, token: &str) -> Result<(), Response> {
    if constant_time_eq(&r.resident.csrf_token, token) {
        Ok(())
    } else {
        Err(error_page_code(
            &r.tr,
            StatusCode::FORBIDDEN,
            "csrf_invalid",
        ))
    }
}

fn failure(r: &ResidentPage, e: Error) -> Response {
    error_page(r.tr.clone(), e, r.ctx().request_id.clone())
}

// ---- logging in ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "me_login.html")]
struct LoginPage {
    l: Layout,
    /// The code step: the challenge to answer.
    challenge: Option<String>,
    birth_date: String,
    errors: FormErrors,
    message: Option<String>,
}

/// The first step: NIK and birth date. A CSRF token in a cookie and in the form (double
/// submit), as there is no session yet.
async fn login_page(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    let token = pintu_service::auth::random_token();
    let tr = Tr::new(page_lang(&jar));
    let page = LoginPage {
        l: layout_with_csrf(tr, token.clone()),
        challenge: None,
        birth_date: String::new(),
        errors: FormErrors::default(),
        message: None,
    };
    (
        jar.add(cookie(
            RESIDENT_CSRF_COOKIE,
            token,
            secure(&state, &headers),
        )),
        render(&page),
    )
        .into_response()
}

fn layout_with_csrf(tr: Tr, csrf: String) -> Layout {
    let mut l = layout(tr, "me-login-title", "me-login", "/me/login", None);
    l.csrf = csrf;
    l
}

fn login_csrf(jar: &CookieJar, posted: &str) -> Option<String> {
    jar.get(RESIDENT_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|expected| !expected.is_empty() && constant_time_eq(expected, posted))
}

#[derive(Deserialize, Default)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nik: String,
    #[serde(default)]
    birth_date: String,
}

async fn start_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let tr = Tr::new(page_lang(&jar));
    let Some(csrf) = login_csrf(&jar, &f.csrf) else {
        return error_page_code(&tr, StatusCode::FORBIDDEN, "csrf_invalid");
    };
    let result = state
        .pintu
        .start_resident_login(
            &f.nik,
            &f.birth_date,
            crate::request_id(&headers),
            Utc::now(),
        )
        .await;
    let (status, challenge, errors, message) = match result {
        Ok(started) => (
            StatusCode::OK,
            Some(started.challenge),
            FormErrors::default(),
            None,
        ),
        Err(Error::TooManyAttempts { .. }) => (
            StatusCode::TOO_MANY_REQUESTS,
            None,
            FormErrors::default(),
            Some(tr.error("too_many_attempts")),
        ),
        Err(e) => match FormErrors::from_error(e, &tr) {
            Ok((status, errors)) => (status, None, errors, None),
            Err(e) => return error_page(tr, e, crate::request_id(&headers)),
        },
    };
    // The NIK is never echoed back into the page.
    let page = LoginPage {
        l: layout_with_csrf(tr, csrf),
        challenge,
        birth_date: f.birth_date,
        errors,
        message,
    };
    (status, render(&page)).into_response()
}

#[derive(Deserialize, Default)]
struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    code: String,
}

async fn verify_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<CodeForm>,
) -> Response {
    let tr = Tr::new(page_lang(&jar));
    let Some(csrf) = login_csrf(&jar, &f.csrf) else {
        return error_page_code(&tr, StatusCode::FORBIDDEN, "csrf_invalid");
    };
    match state
        .pintu
        .verify_resident_login(
            &f.challenge,
            &f.code,
            crate::request_id(&headers),
            Utc::now(),
        )
        .await
    {
        Ok(session) => {
            let secure = secure(&state, &headers);
            let jar = jar
                .add(cookie(RESIDENT_COOKIE, session.token, secure))
                .remove(Cookie::from(RESIDENT_CSRF_COOKIE));
            (jar, Redirect::to("/me")).into_response()
        }
        Err(e) => {
            let spent = matches!(&e, Error::Invalid(i) if i.0.iter().any(|f| f.code == "login_code_expired"));
            match FormErrors::from_error(e, &tr) {
                Ok((status, errors)) => {
                    let page = LoginPage {
                        l: layout_with_csrf(tr, csrf),
                        // A spent code starts again from the NIK.
                        challenge: (!spent).then_some(f.challenge),
                        birth_date: String::new(),
                        errors,
                        message: None,
                    };
                    (status, render(&page)).into_response()
                }
                Err(e) => error_page(tr, e, crate::request_id(&headers)),
            }
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    r: ResidentPage,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(resp) = check(&r, &f.csrf) {
        return resp;
    }
    if let Some(token) = jar.get(RESIDENT_COOKIE).map(|c| c.value().to_string())
        && let Err(e) = state.pintu.resident_logout(&token).await
    {
        return failure(&r, e);
    }
    (
        jar.remove(Cookie::from(RESIDENT_COOKIE)),
        Redirect::to("/me/login"),
    )
        .into_response()
}

// ---- my household ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "me.html")]
struct HomePage {
    l: Layout,
    me: Me,
    notice: Option<String>,
}

impl HomePage {
    fn application_name<'a>(&self, id: &'a str, en: &'a str) -> &'a str {
        in_lang(&self.l.tr, id, en)
    }

    fn requested(&self, c: &ChangeRequestRow) -> String {
        describe(&c.requested)
    }
}

/// A change request's values in a line.
fn describe(json: &str) -> String {
    let v: ChangeValues = serde_json::from_str(json).unwrap_or_default();
    let mut parts = Vec::new();
    if let Some(p) = v.phone {
        parts.push(p);
    }
    if let Some(a) = v.address {
        parts.push(a);
    }
    if let Some(rt) = v.rt {
        parts.push(format!("RT {rt}"));
    }
    if let Some(rw) = v.rw {
        parts.push(format!("RW {rw}"));
    }
    parts.join(", ")
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    #[serde(default)]
    notice: Option<String>,
}

async fn home(
    State(state): State<AppState>,
    r: ResidentPage,
    Query(q): Query<NoticeQuery>,
) -> Response {
    match state.pintu.me(r.ctx()).await {
        Ok(me) => render(&HomePage {
            l: resident_layout(&r, "me-title", "me", "/me"),
            me,
            notice: q.notice.filter(|n| n.starts_with("me-")),
        }),
        Err(e) => failure(&r, e),
    }
}

#[derive(Deserialize, Default)]
struct LanguageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    language: String,
}

/// Chooses the language of the portal and of the SMS the resident receives.
async fn set_language(
    State(state): State<AppState>,
    r: ResidentPage,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<LanguageForm>,
) -> Response {
    if let Err(resp) = check(&r, &f.csrf) {
        return resp;
    }
    match state
        .pintu
        .set_resident_language(r.ctx(), &f.language, Utc::now())
        .await
    {
        Ok(lang) => (
            jar.add(cookie(LANG_COOKIE, lang, secure(&state, &headers))),
            Redirect::to("/me?notice=me-language-saved"),
        )
            .into_response(),
        Err(e) => failure(&r, e),
    }
}

// ---- why, and applying ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "me_why.html")]
struct WhyPage {
    l: Layout,
    person_id: String,
    name: String,
    e: Entitlements,
    errors: FormErrors,
}

async fn why(State(state): State<AppState>, r: ResidentPage, Path(id): Path<String>) -> Response {
    why_page(&state, &r, &id, FormErrors::default(), StatusCode::OK).await
}

async fn why_page(
    state: &AppState,
    r: &ResidentPage,
    id: &str,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    // A member of the resident's household; anyone else does not exist for them.
    let member = match state.pintu.my_member(r.ctx(), id).await {
        Ok(p) => p,
        Err(e) => return failure(r, e),
    };
    match state.pintu.entitlements(r.ctx(), id, None).await {
        Ok(e) => (
            status,
            render(&WhyPage {
                l: resident_layout(r, "me-why-title", "me", &format!("/me/persons/{id}")),
                person_id: member.id.clone(),
                name: member.full_name.clone(),
                e: entitlements_of(&r.tr, e),
                errors,
            }),
        )
            .into_response(),
        Err(e) => failure(r, e),
    }
}

#[derive(Deserialize, Default)]
struct ApplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    programme: String,
}

async fn apply(
    State(state): State<AppState>,
    r: ResidentPage,
    Form(f): Form<ApplyForm>,
) -> Response {
    if let Err(resp) = check(&r, &f.csrf) {
        return resp;
    }
    match state
        .pintu
        .apply_online(r.ctx(), &f.person_id, &f.programme, Utc::now())
        .await
    {
        Ok(d) => Redirect::to(&format!(
            "/me/applications/{}?notice=me-applied",
            d.application.id
        ))
        .into_response(),
        Err(e) => match FormErrors::from_error(e, &r.tr) {
            Ok((status, errors)) => why_page(&state, &r, &f.person_id, errors, status).await,
            Err(e) => failure(&r, e),
        },
    }
}

// ---- one application ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "me_application.html")]
struct ApplicationPage {
    l: Layout,
    d: ApplicationDetail,
    notice: Option<String>,
    errors: FormErrors,
}

impl ApplicationPage {
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

    /// Who took a step, as the resident reads it: themself, or an officer (never named).
    fn who(&self, actor: &str) -> String {
        if actor.starts_with("resident:") {
            self.l.tr.t("me-actor-you")
        } else {
            self.l.tr.t("me-actor-officer")
        }
    }
}

async fn application(
    State(state): State<AppState>,
    r: ResidentPage,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let notice = q.notice.filter(|n| n.starts_with("me-"));
    show(
        &state,
        &r,
        &id,
        notice,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn show(
    state: &AppState,
    r: &ResidentPage,
    id: &str,
    notice: Option<String>,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    match state.pintu.application(r.ctx(), id).await {
        Ok(d) => {
            let path = format!("/me/applications/{}", d.application.id);
            (
                status,
                render(&ApplicationPage {
                    l: resident_layout(r, "application-title", "me", &path),
                    d,
                    notice,
                    errors,
                }),
            )
                .into_response()
        }
        Err(e) => failure(r, e),
    }
}

async fn failed(state: &AppState, r: &ResidentPage, id: &str, e: Error) -> Response {
    match FormErrors::from_error(e, &r.tr) {
        Ok((status, errors)) => show(state, r, id, None, errors, status).await,
        Err(e) => failure(r, e),
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
    r: ResidentPage,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    if let Err(resp) = check(&r, &f.csrf) {
        return resp;
    }
    let input = StepInput {
        action: f.action.clone(),
        reason: Some(f.reason),
    };
    match state
        .pintu
        .application_step(r.ctx(), &id, &input, Utc::now())
        .await
    {
        Ok(d) => Redirect::to(&format!(
            "/me/applications/{}?notice=me-done-{}",
            d.application.id, f.action
        ))
        .into_response(),
        Err(e) => failed(&state, &r, &id, e).await,
    }
}

async fn add_document(
    State(state): State<AppState>,
    r: ResidentPage,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let (csrf, doc) = match document_form(form).await {
        Ok(read) => read,
        Err((status, code)) => return error_page_code(&r.tr, status, code),
    };
    if let Err(resp) = check(&r, &csrf) {
        return resp;
    }
    let (requirement, name, bytes) = match doc {
        DocumentForm::Ready {
            requirement,
            name,
            bytes,
        } => (requirement, name, bytes),
        DocumentForm::OnPage(e) => return failed(&state, &r, &id, e).await,
        DocumentForm::Page(status, code) => return error_page_code(&r.tr, status, code),
    };
    match state
        .pintu
        .add_application_document(
            r.ctx(),
            &id,
            requirement.as_deref(),
            &name,
            bytes,
            Utc::now(),
        )
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/me/applications/{id}?notice=me-document-added")).into_response()
        }
        Err(e) => failed(&state, &r, &id, e).await,
    }
}

async fn download(
    State(state): State<AppState>,
    r: ResidentPage,
    Path((id, doc)): Path<(String, String)>,
) -> Response {
    match state.pintu.application_document(r.ctx(), &id, &doc).await {
        Ok((meta, bytes)) => {
            crate::api_complaints::file_response(&meta.file_name, &meta.content_type, bytes)
                .into_response()
        }
        Err(e) => failure(&r, e),
    }
}

// ---- asking for a change -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "me_change.html")]
struct ChangePage {
    l: Layout,
    me: Me,
    f: ChangeForm,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    rt: String,
    #[serde(default)]
    rw: String,
    #[serde(default)]
    note: String,
}

async fn change_form(State(state): State<AppState>, r: ResidentPage) -> Response {
    change_page(
        &state,
        &r,
        ChangeForm::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn change_page(
    state: &AppState,
    r: &ResidentPage,
    mut f: ChangeForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let me = match state.pintu.me(r.ctx()).await {
        Ok(me) => me,
        Err(e) => return failure(r, e),
    };
    if f.kind.is_empty() {
        // The form starts from the values on record.
        f.phone = me.phone.clone().unwrap_or_default();
        if let Some(h) = &me.household {
            f.address = h.address.clone().unwrap_or_default();
            f.rt = h.rt.clone().unwrap_or_default();
            f.rw = h.rw.clone().unwrap_or_default();
        }
    }
    (
        status,
        render(&ChangePage {
            l: resident_layout(r, "me-change-title", "me-change", "/me/change"),
            me,
            f,
            errors,
        }),
    )
        .into_response()
}

async fn request_change(
    State(state): State<AppState>,
    r: ResidentPage,
    Form(f): Form<ChangeForm>,
) -> Response {
    if let Err(resp) = check(&r, &f.csrf) {
        return resp;
    }
    let input = ChangeInput {
        kind: f.kind.clone(),
        phone: Some(f.phone.clone()),
        address: Some(f.address.clone()),
        rt: Some(f.rt.clone()),
        rw: Some(f.rw.clone()),
        note: Some(f.note.clone()),
    };
    match state
        .pintu
        .request_change(r.ctx(), &input, Utc::now())
        .await
    {
        Ok(_) => Redirect::to("/me?notice=me-change-sent").into_response(),
        Err(e) => match FormErrors::from_error(e, &r.tr) {
            Ok((status, errors)) => change_page(&state, &r, f, errors, status).await,
            Err(e) => failure(&r, e),
        },
    }
}

// ---- complaints ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "me_complaint.html")]
struct ComplaintPage {
    l: Layout,
    categories: Vec<&'static str>,
    f: ComplaintForm,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
struct ComplaintForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    programme: String,
    #[serde(default)]
    description: String,
    /// A file came with a form sent back for another reason: it is not kept.
    #[serde(skip)]
    file_again: bool,
}

fn complaint_page(
    r: &ResidentPage,
    f: ComplaintForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    (
        status,
        render(&ComplaintPage {
            l: resident_layout(r, "me-complaint-title", "me", "/me/complaints"),
            categories: pintu_domain::complaints::Category::ALL
                .iter()
                .map(|c| c.code())
                .collect(),
            f,
            errors,
        }),
    )
        .into_response()
}

async fn complaint_form(r: ResidentPage) -> Response {
    complaint_page(
        &r,
        ComplaintForm::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
}

/// A complaint from the form, with at most one file (the form is sent as multipart; one
/// without a file may come URL-encoded). A file that cannot be attached (too large, not a
/// PDF, JPEG or PNG) sends the form back with nothing saved.
async fn complain(
    State(state): State<AppState>,
    r: ResidentPage,
    request: axum::extract::Request,
) -> Response {
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut posted = if multipart {
        match Multipart::from_request(request, &state).await {
            Ok(form) => crate::pages_complaints::read_multipart(form, "attachment_too_large").await,
            Err(_) => return error_page_code(&r.tr, StatusCode::BAD_REQUEST, "malformed_request"),
        }
    } else {
        match Form::<std::collections::BTreeMap<String, String>>::from_request(request, &state)
            .await
        {
            Ok(Form(fields)) => crate::pages_complaints::Posted {
                fields,
                ..Default::default()
            },
            Err(_) => {
                return error_page_code(
                    &r.tr,
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                );
            }
        }
    };
    if let Some((status, code)) = posted.failed
        && status != StatusCode::PAYLOAD_TOO_LARGE
    {
        return error_page_code(&r.tr, status, code);
    }
    let mut field = |name: &str| posted.fields.remove(name).unwrap_or_default();
    let f = ComplaintForm {
        csrf: field("csrf"),
        category: field("category"),
        programme: field("programme"),
        description: field("description"),
        file_again: posted.file.is_some(),
    };
    if let Err(resp) = check(&r, &f.csrf) {
        return resp;
    }
    let file_problem = match (&posted.failed, &posted.file) {
        (Some(_), _) => Some((StatusCode::PAYLOAD_TOO_LARGE, "attachment_too_large")),
        (None, Some((_, bytes))) => pintu_service::complaints::attachment_type(bytes)
            .err()
            .map(|code| (StatusCode::UNPROCESSABLE_ENTITY, code)),
        (None, None) => None,
    };
    if let Some((status, code)) = file_problem {
        return match FormErrors::from_error(pintu_service::Error::invalid("file", code), &r.tr) {
            Ok((_, errors)) => complaint_page(&r, f, errors, status),
            Err(e) => failure(&r, e),
        };
    }
    let input = pintu_service::residents::MyComplaint {
        category: f.category.clone(),
        programme: Some(f.programme.clone()),
        description: f.description.clone(),
    };
    let now = Utc::now();
    let complaint = match state.pintu.complain_online(r.ctx(), &input, now).await {
        Ok(c) => c,
        Err(e) => {
            return match FormErrors::from_error(e, &r.tr) {
                Ok((status, errors)) => complaint_page(&r, f, errors, status),
                Err(e) => failure(&r, e),
            };
        }
    };
    let notice = match posted.file {
        None => "me-complaint-sent",
        Some((name, bytes)) => match state
            .pintu
            .attach_to_my_complaint(r.ctx(), &complaint.id, &name, bytes, now)
            .await
        {
            Ok(_) => "me-complaint-sent",
            Err(e) => {
                tracing::warn!(error = ?e, complaint = %complaint.id, "attachment refused");
                "me-complaint-sent-without-attachment"
            }
        },
    };
    Redirect::to(&format!("/me?notice={notice}")).into_response()
}

// ---- officers: the requests of their area ------------------------------------------------------

#[derive(Deserialize, Default)]
struct RequestsQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "change_requests.html")]
struct RequestsPage {
    l: Layout,
    state: String,
    rows: Vec<ChangeRequestRow>,
    errors: FormErrors,
    notice: Option<String>,
}

impl RequestsPage {
    fn is(&self, state: &str) -> bool {
        self.state == state
    }

    fn describe(&self, json: &str) -> String {
        describe(json)
    }

    fn previous(&self, json: &Option<String>) -> String {
        json.as_deref().map(describe).unwrap_or_default()
    }
}

async fn requests_page(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<RequestsQuery>,
) -> Response {
    let wanted = q.state.clone().unwrap_or_else(|| "pending".into());
    let result = state
        .pintu
        .change_requests(&u.ctx, None, Some(&wanted))
        .await;
    let (status, rows, errors) = match list_or_errors(&u, result) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    (
        status,
        render(&RequestsPage {
            l: Layout::for_user(
                &u,
                "change-requests-title",
                "change-requests",
                "/change-requests",
            ),
            state: wanted,
            rows,
            errors,
            notice: q.notice.filter(|n| n.starts_with("change-request-")),
        }),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn decide(
    state: &AppState,
    u: &PageUser,
    id: &str,
    confirm: bool,
    f: DecisionForm,
) -> Response {
    if let Err(resp) = check_csrf(u, &f.csrf) {
        return resp;
    }
    let input = DecisionInput {
        reason: Some(f.reason),
    };
    match state
        .pintu
        .decide_change_request(&u.ctx, id, confirm, &input, Utc::now())
        .await
    {
        Ok(row) => Redirect::to(&format!(
            "/change-requests?notice=change-request-{}",
            row.state
        ))
        .into_response(),
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) => {
                let rows = match state
                    .pintu
                    .change_requests(&u.ctx, None, Some("pending"))
                    .await
                {
                    Ok(rows) => rows,
                    Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
                };
                (
                    status,
                    render(&RequestsPage {
                        l: Layout::for_user(
                            u,
                            "change-requests-title",
                            "change-requests",
                            "/change-requests",
                        ),
                        state: "pending".into(),
                        rows,
                        errors,
                        notice: None,
                    }),
                )
                    .into_response()
            }
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

async fn confirm(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    decide(&state, &u, &id, true, f).await
}

async fn reject(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    decide(&state, &u, &id, false, f).await
}
