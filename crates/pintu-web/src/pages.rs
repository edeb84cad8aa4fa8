//! The HTML pages. Each handler renders a whole page, or only the changed part when htmx asks
//! (`HX-Request`), so the same URL works with and without JavaScript.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use pintu_domain::household::{HouseholdInput, MemberInput};
use pintu_domain::{AreaCode, AreaLevel, Relationship};
use pintu_service::registry::{LifeEvent, PersonPatch, age_on, nik_warnings_of};
use pintu_service::{Error, today};
use pintu_store::areas::Area;
use pintu_store::registry::{HistoryEntry, HouseholdRow, PersonRow, RegistryCounts};
use serde::Deserialize;

use crate::AppState;
use crate::i18n::{Lang, Tr};
use crate::session::{CSRF_COOKIE, LANG_COOKIE, PageUser, SESSION_COOKIE, page_lang};

const HTMX: &str = include_str!("../static/vendor/htmx.min.2.0.11.js");
pub(crate) const HTMX_PATH: &str = "/static/vendor/htmx.min.2.0.11.js";
const CSS: &str = include_str!("../static/pintu.css");

/// Compares two secrets in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang/{lang}", get(switch_language))
        .route("/persons", get(persons))
        .route("/persons/search", post(search))
        .route("/persons/{id}", get(person))
        .route("/persons/{id}/edit", post(edit_person))
        .route("/persons/{id}/events", post(person_event))
        .route("/households", get(households))
        .route("/households/new", get(new_household).post(create_household))
        .route("/households/new/member", get(member_row))
        .route("/households/{id}", get(household))
        .route("/areas/options", get(area_options))
        .merge(crate::pages_imports::router())
        .merge(crate::pages_matching::router())
        .merge(crate::pages_applications::router())
        .merge(crate::pages_cases::router())
        .merge(crate::pages_check::router())
        .merge(crate::pages_calls::router())
        .merge(crate::pages_residents::router())
        .merge(crate::pages_membership::router())
        .merge(crate::pages_payments::router())
        .merge(crate::pages_bpjstk::router())
        .merge(crate::pages_review::router())
        .merge(crate::pages_complaints::router())
        .merge(crate::pages_programmes::router())
}

pub async fn static_file(Path(path): Path<String>) -> Response {
    let cache = (header::CACHE_CONTROL, "public, max-age=31536000, immutable");
    match path.as_str() {
        "vendor/htmx.min.2.0.11.js" => {
            ([(header::CONTENT_TYPE, "text/javascript"), cache], HTMX).into_response()
        }
        "pintu.css" => (
            [
                (header::CONTENT_TYPE, "text/css"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            CSS,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// What every page's frame needs.
pub struct Layout {
    pub tr: Tr,
    pub title: String,
    pub user_name: Option<String>,
    pub csrf: String,
    pub nav: &'static str,
    pub htmx: &'static str,
    pub path: String,
    /// Show the imports menu entry.
    pub may_import: bool,
    /// Show the registry's menu entries (not to the ombudsman, who sees complaints only).
    pub may_read_registry: bool,
    /// Registry officers work with applications (not the administrator or the ombudsman).
    pub may_take_applications: bool,
    /// The resident logged in to the portal: the portal's menu instead of the officers'.
    pub resident_name: Option<String>,
    /// Show the applications menu entry (registry officers and agency officers).
    pub applications_menu: bool,
    /// An employer's account: its enterprise's menu entry and nothing of the officers'.
    pub employer: bool,
}

impl Layout {
    /// The frame of a page seen without an officer's session: no menu, no CSRF token.
    pub(crate) fn public(tr: Tr, title: String, nav: &'static str, path: &str) -> Layout {
        Layout {
            title,
            tr,
            user_name: None,
            csrf: String::new(),
            nav,
            htmx: HTMX_PATH,
            path: path.to_string(),
            may_import: false,
            may_read_registry: false,
            resident_name: None,
            may_take_applications: false,
            applications_menu: false,
            employer: false,
        }
    }

    pub(crate) fn for_user(u: &PageUser, title_key: &str, nav: &'static str, path: &str) -> Layout {
        Layout {
            title: u.tr.t(title_key),
            tr: u.tr.clone(),
            user_name: Some(u.user.display_name.clone()),
            csrf: u.csrf.clone(),
            nav,
            htmx: HTMX_PATH,
            path: path.to_string(),
            may_import: u.ctx.actor.may_import(),
            may_read_registry: u.ctx.actor.may_read_registry(),
            resident_name: None,
            may_take_applications: u
                .ctx
                .actor
                .role()
                .is_some_and(pintu_domain::applications::may_take_applications),
            applications_menu: u.ctx.actor.role().is_some_and(|r| {
                pintu_domain::applications::may_take_applications(r)
                    || r == pintu_domain::Role::AgencyOfficer
            }),
            employer: u.ctx.actor.is_employer(),
        }
    }
}

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

pub(crate) fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    message: String,
    request_id: Option<String>,
}

/// A page for a service error: 404 for records outside the area as for missing ones.
pub fn error_page(tr: Tr, e: Error, request_id: Option<String>) -> Response {
    let api = crate::error::ApiError::from_service(e);
    let page = ErrorPage {
        message: tr.error(api.code),
        l: Layout::public(tr.clone(), tr.t("error-page-title"), "", "/"),
        request_id: if api.status.is_server_error() {
            request_id
        } else {
            None
        },
    };
    (api.status, render(&page)).into_response()
}

pub async fn not_found(headers: HeaderMap, jar: CookieJar) -> Response {
    if headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
        || headers.contains_key(header::AUTHORIZATION)
    {
        return crate::error::ApiError::new(StatusCode::NOT_FOUND, "not_found").into_response();
    }
    error_page(Tr::new(page_lang(&jar)), Error::NotFound, None)
}

/// What a list page shows for the result of its query: the rows, or — when its filters are
/// wrong — no rows and the errors on the page; anything else (a forbidden list included) is
/// the error page.
pub(crate) fn list_or_errors<T: Default>(
    u: &PageUser,
    result: Result<T, Error>,
) -> Result<(StatusCode, T, FormErrors), Response> {
    match result {
        Ok(rows) => Ok((StatusCode::OK, rows, FormErrors::default())),
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) if status != StatusCode::FORBIDDEN => {
                Ok((status, T::default(), errors))
            }
            Ok(_) => Err(error_page(
                u.tr.clone(),
                Error::Forbidden,
                u.ctx.request_id.clone(),
            )),
            Err(e) => Err(error_page(u.tr.clone(), e, u.ctx.request_id.clone())),
        },
    }
}

pub(crate) fn check_csrf(u: &PageUser, token: &str) -> Result<(), Response> {
    if constant_time_eq(&u.csrf, token) {
        Ok(())
    } else {
        Err(error_page_code(
            &u.tr,
            StatusCode::FORBIDDEN,
            "csrf_invalid",
        ))
    }
}

pub(crate) fn error_page_code(tr: &Tr, status: StatusCode, code: &str) -> Response {
    let page = ErrorPage {
        message: tr.error(code),
        l: Layout::public(tr.clone(), tr.t("error-page-title"), "", "/"),
        request_id: None,
    };
    (status, render(&page)).into_response()
}

pub(crate) fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
}

pub(crate) fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            == Some("https")
}

// ---- login -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    username: String,
    message: Option<String>,
}

fn login_layout(tr: Tr, csrf: String) -> Layout {
    let mut l = Layout::public(tr.clone(), tr.t("login-title"), "login", "/login");
    l.csrf = csrf;
    l
}

/// The login form. A CSRF token goes in a cookie and in the form (double submit), since
/// there is no session yet to hold it.
async fn login_page(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    let token = pintu_service::auth::random_token();
    let tr = Tr::new(page_lang(&jar));
    let page = LoginPage {
        l: login_layout(tr, token.clone()),
        username: String::new(),
        message: None,
    };
    (
        jar.add(cookie(CSRF_COOKIE, token, secure(&state, &headers))),
        render(&page),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let tr = Tr::new(page_lang(&jar));
    let expected = jar
        .get(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(&expected, &f.csrf) {
        return error_page_code(&tr, StatusCode::FORBIDDEN, "csrf_invalid");
    }
    match state
        .pintu
        .login(&f.username, &f.password, crate::request_id(&headers))
        .await
    {
        Ok(session) => {
            let secure = secure(&state, &headers);
            let mut jar = jar
                .add(cookie(SESSION_COOKIE, session.token, secure))
                .remove(Cookie::from(CSRF_COOKIE));
            if jar.get(LANG_COOKIE).is_none() {
                jar = jar.add(cookie(LANG_COOKIE, session.user.language.clone(), secure));
            }
            (jar, Redirect::to("/")).into_response()
        }
        Err(e) => {
            let (status, message) = match e {
                Error::Unauthenticated => (StatusCode::UNAUTHORIZED, tr.t("login-failed")),
                Error::TooManyAttempts { .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, tr.error("too_many_attempts"))
                }
                other => return error_page(tr, other, crate::request_id(&headers)),
            };
            let page = LoginPage {
                l: login_layout(tr, expected),
                username: f.username,
                message: Some(message),
            };
            (status, render(&page)).into_response()
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    u: PageUser,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    if let Some(c) = jar.get(SESSION_COOKIE)
        && let Err(e) = state.pintu.logout(c.value()).await
    {
        return error_page(u.tr, e, u.ctx.request_id);
    }
    (
        jar.remove(Cookie::from(SESSION_COOKIE)),
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Switches the language (a cookie, and the officer's preference when logged in).
async fn switch_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(lang): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = Lang::parse(&lang);
    if let Some(c) = jar.get(SESSION_COOKIE)
        && let Ok(Some((user, _))) = state.pintu.session(c.value()).await
    {
        let _ = state.pintu.set_language(&user.id, lang.code()).await;
    }
    // Only local paths, so the switch cannot be used to send someone elsewhere.
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    (
        jar.add(cookie(
            LANG_COOKIE,
            lang.code().into(),
            secure(&state, &headers),
        )),
        Redirect::to(&next),
    )
        .into_response()
}

// ---- dashboard ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    area_path: Vec<Area>,
    counts: RegistryCounts,
    /// Open cases with a follow-up past its date.
    overdue_cases: i64,
    /// Residents' change requests waiting for the area's officers.
    pending_changes: i64,
}

async fn dashboard(State(state): State<AppState>, u: PageUser) -> Response {
    // An agency officer's home is their programme's applications; the ombudsman, who has no
    // registry to count either, works the complaints.
    if u.ctx.actor.role() == Some(pintu_domain::Role::AgencyOfficer) {
        return Redirect::to("/applications").into_response();
    }
    // An employer's home is its enterprise.
    if u.ctx.actor.is_employer() {
        return Redirect::to("/employers").into_response();
    }
    if !u.ctx.actor.may_read_registry() {
        return Redirect::to("/complaints").into_response();
    }
    let counts = match state.pintu.dashboard(&u.ctx).await {
        Ok(c) => c,
        Err(e) => return error_page(u.tr, e, u.ctx.request_id),
    };
    let area_path = match u.user.area_code.as_deref().map(AreaCode::parse) {
        Some(Ok(code)) => state.pintu.store.area_path(&code).await.unwrap_or_default(),
        _ => vec![],
    };
    let overdue_cases = match state.pintu.overdue_cases(&u.ctx).await {
        Ok(n) => n,
        Err(e) => return error_page(u.tr, e, u.ctx.request_id),
    };
    let pending_changes = match state.pintu.pending_change_requests(&u.ctx).await {
        Ok(n) => n,
        Err(e) => return error_page(u.tr, e, u.ctx.request_id),
    };
    render(&DashboardPage {
        l: Layout::for_user(&u, "dashboard-title", "dashboard", "/"),
        area_path,
        counts,
        overdue_cases,
        pending_changes,
    })
}

// ---- people ------------------------------------------------------------------------------

/// A person as a table row shows them.
pub struct PersonLine {
    pub id: String,
    pub name: String,
    pub nik: Option<String>,
    pub sex: String,
    pub birth_date: String,
    pub age: i32,
    pub village_code: String,
    pub relationship_key: Option<String>,
    pub status: String,
    pub household_id: Option<String>,
}

impl PersonLine {
    pub(crate) fn of(p: &PersonRow) -> PersonLine {
        PersonLine {
            id: p.id.clone(),
            name: p.full_name.clone(),
            nik: p.nik.clone(),
            sex: format!("sex-{}", p.sex),
            birth_date: p.birth_date.to_string(),
            age: age_on(p.birth_date, p.died_on.unwrap_or_else(today)),
            village_code: p.village_code.clone(),
            relationship_key: p
                .relationship
                .as_deref()
                .and_then(Relationship::parse)
                .map(|r| format!("rel-{}", r.key())),
            status: format!("status-{}", p.life_status),
            household_id: p.household_id.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "persons.html")]
struct PersonsPage {
    l: Layout,
    query: String,
    searched: bool,
    rows: Vec<PersonLine>,
    next: Option<String>,
    results: ResultsPartial,
}

#[derive(Template)]
#[template(path = "person_results.html")]
struct ResultsPartial {
    tr: Tr,
    searched: bool,
    error: Option<String>,
    rows: Vec<PersonLine>,
}

#[derive(Deserialize)]
struct PageQuery {
    after: Option<String>,
}

async fn persons(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<PageQuery>,
) -> Response {
    let page = match state
        .pintu
        .list_persons(&u.ctx, None, q.after.as_deref(), Some(50))
        .await
    {
        Ok(p) => p,
        Err(e) => return error_page(u.tr, e, u.ctx.request_id),
    };
    let results = ResultsPartial {
        tr: u.tr.clone(),
        searched: false,
        error: None,
        rows: vec![],
    };
    render(&PersonsPage {
        l: Layout::for_user(&u, "persons-title", "persons", "/persons"),
        query: String::new(),
        searched: false,
        rows: page.items.iter().map(PersonLine::of).collect(),
        next: page.next,
        results,
    })
}

#[derive(Deserialize)]
struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    csrf: String,
}

/// Search by NIK (16 digits) or name. A POST, so the NIK never appears in a URL or a log.
async fn search(
    State(state): State<AppState>,
    u: PageUser,
    headers: HeaderMap,
    Form(f): Form<SearchForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let q = f.q.trim();
    let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    let result = if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        state.pintu.search_by_nik(&u.ctx, &digits).await
    } else {
        state.pintu.search_by_name(&u.ctx, q, None, Some(50)).await
    };
    let (rows, error) = match result {
        Ok(found) => (found.iter().map(PersonLine::of).collect(), None),
        Err(Error::Invalid(inv)) => (vec![], inv.0.first().map(|e| u.tr.error(e.code))),
        Err(e) => return error_page(u.tr, e, u.ctx.request_id),
    };
    let results = ResultsPartial {
        tr: u.tr.clone(),
        searched: true,
        error,
        rows,
    };
    if is_htmx(&headers) {
        return render(&results);
    }
    render(&PersonsPage {
        l: Layout::for_user(&u, "search-title", "persons", "/persons"),
        query: q.to_string(),
        searched: true,
        rows: vec![],
        next: None,
        results,
    })
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    l: Layout,
    p: PersonRow,
    line: PersonLine,
    household: Option<HouseholdRow>,
    history: Vec<HistoryEntry>,
    warnings: Vec<String>,
    errors: FormErrors,
    notice: Option<String>,
    area_path: Vec<Area>,
    sources: pintu_service::review::PersonSources,
    /// Each known value with where it came from: (field, value, provenance).
    provenance: Vec<(String, String, pintu_store::review::Provenance)>,
    /// The complaints this person made.
    complaints: Vec<crate::pages_complaints::ComplaintLine>,
    may_record_complaints: bool,
    /// Offer the village forum's decision on each programme.
    may_record_overrides: bool,
    /// "Why?": each active programme and what decided it; none for someone not living.
    entitlements: Option<Entitlements>,
    /// The person's applications to programmes, newest first.
    applications: Vec<pintu_store::applications::ApplicationRow>,
}

/// The person page's "why?" section, in the page's language.
pub(crate) struct Entitlements {
    pub(crate) programmes: Vec<EntitlementLine>,
    pub(crate) jkn: String,
    pub(crate) bpjs_tk: String,
}

pub(crate) struct EntitlementLine {
    pub(crate) code: String,
    pub(crate) name: String,
    /// `eligible`, `not-eligible` or `unknown` (a CSS class and a message key's end).
    pub(crate) verdict: &'static str,
    pub(crate) reasons: Vec<String>,
    pub(crate) enrolled: bool,
    /// The person's line on the latest list: status and rank.
    pub(crate) list: Option<String>,
    pub(crate) forum: Option<String>,
    pub(crate) missing: String,
}

pub(crate) fn entitlements_of(
    tr: &crate::i18n::Tr,
    e: pintu_service::matching::Entitlements,
) -> Entitlements {
    use pintu_domain::rules::Truth;
    let english = tr.lang == crate::i18n::Lang::En;
    let pick = |id: String, en: String| if english { en } else { id };
    let programmes = e
        .programmes
        .into_iter()
        .map(|p| EntitlementLine {
            verdict: match p.truth {
                Truth::True => "eligible",
                Truth::False => "not-eligible",
                Truth::Unknown => "unknown",
            },
            reasons: p
                .clauses
                .into_iter()
                .filter(|c| c.decisive)
                .map(|c| pick(c.because_id, c.because_en))
                .collect(),
            enrolled: p.enrolled,
            list: p.list_status.map(|s| {
                let status = tr.t(&format!("entitlement-list-{s}"));
                match p.rank {
                    Some(r) => format!("{status} (#{r})"),
                    None => status,
                }
            }),
            forum: p.forum.map(|f| {
                format!(
                    "{}: {} ({})",
                    tr.t(&format!("entitlement-forum-{}", f.action)),
                    f.reason,
                    f.forum_date
                )
            }),
            missing: p.missing.join(", "),
            name: pick(p.name_id, p.name_en),
            code: p.code,
        })
        .collect();
    let money = |n: i64| {
        let digits = n.to_string();
        let sep = if english { ',' } else { '.' };
        let mut out = String::from("Rp ");
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    };
    let jkn = match &e.jkn.segment {
        Some(segment) => format!(
            "{segment}: {} {}, {} {} — {}",
            tr.t("entitlement-jkn-total"),
            money(e.jkn.monthly),
            tr.t("entitlement-jkn-member"),
            money(e.jkn.member_pays),
            pick(e.jkn.because_id.clone(), e.jkn.because_en.clone())
        ),
        None => pick(e.jkn.because_id.clone(), e.jkn.because_en.clone()),
    };
    let bpjs_tk = if e.bpjs_tk.programmes.is_empty() {
        pick(e.bpjs_tk.because_id, e.bpjs_tk.because_en)
    } else {
        format!(
            "{} — {}",
            e.bpjs_tk.programmes.join(", "),
            pick(e.bpjs_tk.because_id, e.bpjs_tk.because_en)
        )
    };
    Entitlements {
        programmes,
        jkn,
        bpjs_tk,
    }
}

/// A person's value of a provenance field, as shown.
fn value_of(p: &PersonRow, field: &str) -> Option<String> {
    match field {
        "nik" => p.nik.clone(),
        "full_name" => Some(p.full_name.clone()),
        "sex" => Some(p.sex.clone()),
        "birth_date" => Some(p.birth_date.to_string()),
        "birth_place" => p.birth_place.clone(),
        "religion" => p.religion.clone(),
        "education" => p.education.clone(),
        "occupation" => p.occupation.clone(),
        "marital_status" => p.marital_status.clone(),
        "phone" => p.phone.clone(),
        "village_code" => Some(p.village_code.clone()),
        _ => None,
    }
}

async fn person(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    person_page_by_id(
        &state,
        u,
        &id,
        q.notice.as_deref(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// Not a route: shared by the person page and its forms.
async fn person_page_by_id(
    state: &AppState,
    u: PageUser,
    id: &str,
    notice: Option<&str>,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let d = match state.pintu.person(&u.ctx, id).await {
        Ok(d) => d,
        Err(e) => return error_page(u.tr, e, u.ctx.request_id),
    };
    let sources = match state.pintu.person_sources(&u.ctx, id).await {
        Ok(s) => s,
        Err(e) => return error_page(u.tr, e, u.ctx.request_id),
    };
    let complaints = match state.pintu.complaints_of_person(&u.ctx, &d.person.id).await {
        Ok(c) => crate::pages_complaints::lines(&u.tr, &c, chrono::Utc::now()),
        Err(e) => return error_page(u.tr, e, u.ctx.request_id),
    };
    let applications = match state.pintu.applications_of(&u.ctx, &d.person.id).await {
        Ok(a) => a,
        Err(e) => return error_page(u.tr, e, u.ctx.request_id),
    };
    let entitlements = match state.pintu.entitlements(&u.ctx, &d.person.id, None).await {
        Ok(e) => Some(entitlements_of(&u.tr, e)),
        // Someone who died or moved out has no entitlements to explain.
        Err(Error::NotFound) => None,
        Err(e) => return error_page(u.tr, e, u.ctx.request_id),
    };
    let warnings = nik_warnings_of(&d.person)
        .into_iter()
        .map(|c| u.tr.error(c))
        .collect();
    let area_path = match AreaCode::parse(&d.person.village_code) {
        Ok(code) => state.pintu.store.area_path(&code).await.unwrap_or_default(),
        Err(_) => vec![],
    };
    let provenance = sources
        .provenance
        .iter()
        .filter_map(|pv| {
            Some((
                pv.field.clone(),
                value_of(&d.person, &pv.field)?,
                pv.clone(),
            ))
        })
        .collect();
    let page = PersonPage {
        area_path,
        l: Layout::for_user(
            &u,
            "person-title",
            "persons",
            &format!("/persons/{}", d.person.id),
        ),
        line: PersonLine::of(&d.person),
        p: d.person,
        household: d.household,
        history: d.history,
        warnings,
        errors,
        notice: notice.map(|n| u.tr.t(n)),
        provenance,
        sources,
        complaints,
        may_record_complaints: u.ctx.actor.may_record_complaints(),
        may_record_overrides: u.ctx.actor.may_record_overrides(),
        entitlements,
        applications,
    };
    (status, render(&page)).into_response()
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

#[derive(Deserialize)]
struct EditForm {
    #[serde(default)]
    csrf: String,
    /// The same fields as the API's correction, read by the service's own type.
    #[serde(flatten)]
    patch: PersonPatch,
}

async fn edit_person(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<EditForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let mut patch = f.patch;
    // An empty NIK box on a person with a pending NIK means "still unknown", not a change.
    patch.nik = patch.nik.filter(|n| !n.trim().is_empty());
    match state.pintu.update_person(&u.ctx, &id, &patch).await {
        Ok(_) => Redirect::to(&format!("/persons/{id}?notice=person-saved")).into_response(),
        Err(e) => form_error(&state, u, &id, e).await,
    }
}

async fn form_error(state: &AppState, u: PageUser, id: &str, e: Error) -> Response {
    match FormErrors::from_error(e, &u.tr) {
        Ok((status, errors)) => person_page_by_id(state, u, id, None, errors, status).await,
        Err(e) => error_page(u.tr, e, u.ctx.request_id),
    }
}

#[derive(Deserialize)]
struct EventForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    date: String,
    full_name: Option<String>,
    sex: Option<String>,
    nik: Option<String>,
    village_code: Option<String>,
    out_of_area: Option<String>,
    whole_household: Option<String>,
}

async fn person_event(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<EventForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let event = match f.kind.as_str() {
        "birth" => LifeEvent::Birth {
            date: f.date,
            full_name: f.full_name.unwrap_or_default(),
            sex: f.sex.unwrap_or_default(),
            nik: f.nik,
            birth_place: None,
        },
        "death" => LifeEvent::Death { date: f.date },
        "move" => LifeEvent::Move {
            date: f.date,
            village_code: f.village_code,
            out_of_area: f.out_of_area.is_some(),
            whole_household: f.whole_household.is_some(),
            address: None,
        },
        _ => return form_error(&state, u, &id, Error::invalid("kind", "required")).await,
    };
    match state.pintu.record_event(&u.ctx, &id, &event).await {
        Ok(_) => Redirect::to(&format!("/persons/{id}?notice=event-saved")).into_response(),
        Err(e) => form_error(&state, u, &id, e).await,
    }
}

// ---- households --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "households.html")]
struct HouseholdsPage {
    l: Layout,
    rows: Vec<HouseholdRow>,
    next: Option<String>,
}

async fn households(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<PageQuery>,
) -> Response {
    match state
        .pintu
        .list_households(&u.ctx, None, q.after.as_deref(), Some(50))
        .await
    {
        Ok(page) => render(&HouseholdsPage {
            l: Layout::for_user(&u, "households-title", "households", "/households"),
            rows: page.items,
            next: page.next,
        }),
        Err(e) => error_page(u.tr, e, u.ctx.request_id),
    }
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    l: Layout,
    h: HouseholdRow,
    area_path: Vec<Area>,
    members: Vec<PersonLine>,
    history: Vec<HistoryEntry>,
    notice: Option<String>,
    warnings: Vec<String>,
    /// The household's cases, newest first.
    cases: Vec<pintu_store::cases::CaseRow>,
    has_open_case: bool,
}

#[derive(Deserialize)]
struct HouseholdQuery {
    notice: Option<String>,
    /// Warning codes, comma-separated.
    warn: Option<String>,
}

async fn household(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<HouseholdQuery>,
) -> Response {
    let d = match state.pintu.household(&u.ctx, &id).await {
        Ok(d) => d,
        Err(e) => return error_page(u.tr, e, u.ctx.request_id),
    };
    let area_path = match AreaCode::parse(&d.household.village_code) {
        Ok(code) => state.pintu.store.area_path(&code).await.unwrap_or_default(),
        Err(_) => vec![],
    };
    let warnings = q
        .warn
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|w| crate::error::ERROR_CODES.contains(w))
        .map(|w| u.tr.error(w))
        .collect();
    let may_take_cases = u
        .ctx
        .actor
        .role()
        .is_some_and(pintu_domain::applications::may_take_applications);
    let cases = if may_take_cases {
        match state
            .pintu
            .cases(&u.ctx, None, None, false, Some(&d.household.id), Some(20))
            .await
        {
            Ok(c) => c,
            Err(e) => return error_page(u.tr, e, u.ctx.request_id),
        }
    } else {
        Vec::new()
    };
    render(&HouseholdPage {
        has_open_case: cases.iter().any(|c| c.status == "open"),
        cases,
        l: Layout::for_user(
            &u,
            "household-title",
            "households",
            &format!("/households/{id}"),
        ),
        notice: q.notice.as_deref().map(|n| u.tr.t(n)),
        h: d.household,
        area_path,
        members: d.members.iter().map(PersonLine::of).collect(),
        history: d.history,
        warnings,
    })
}

// ---- register a household ----------------------------------------------------------------

/// Field errors of a form, by field name, already translated.
#[derive(Default)]
pub struct FormErrors {
    pub summary: Vec<(String, String, String)>,
    by_field: HashMap<String, String>,
}

impl FormErrors {
    /// Validation and conflict errors become form errors; anything else stays an error.
    pub(crate) fn from_error(e: Error, tr: &Tr) -> Result<(StatusCode, FormErrors), Error> {
        let (status, list) = match e {
            Error::Invalid(inv) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                inv.0
                    .into_iter()
                    .map(|e| (e.field, e.code))
                    .collect::<Vec<_>>(),
            ),
            Error::Conflict { code, field } => (
                StatusCode::CONFLICT,
                vec![(field.unwrap_or_default(), code)],
            ),
            Error::Forbidden => (
                StatusCode::FORBIDDEN,
                vec![("village_code".to_string(), "forbidden")],
            ),
            Error::TooManyAttempts { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                vec![(String::new(), "too_many_attempts")],
            ),
            other => return Err(other),
        };
        let mut errors = FormErrors::default();
        for (field, code) in list {
            let message = tr.error(code);
            errors
                .by_field
                .entry(field.clone())
                .or_insert_with(|| message.clone());
            errors
                .summary
                .push((field.clone(), tr.field(&field), message));
        }
        Ok((status, errors))
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.by_field.get(field).map(String::as_str)
    }

    pub fn has(&self, field: &str) -> bool {
        self.by_field.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.summary.is_empty()
    }
}

/// The four area selects, with the options along the chosen path and the levels the officer
/// may not leave fixed.
pub struct AreaPicker {
    pub levels: Vec<AreaSelect>,
}

pub struct AreaSelect {
    pub level: &'static str,
    pub label_key: &'static str,
    pub name: &'static str,
    pub options: Vec<Area>,
    pub selected: String,
    pub locked: bool,
    pub next: Option<&'static str>,
}

const LEVELS: [(&str, &str, &str); 4] = [
    ("province", "area-province", "province"),
    ("regency", "area-regency", "regency"),
    ("district", "area-district", "district"),
    ("village", "area-village", "village_code"),
];

pub(crate) async fn area_picker(
    state: &AppState,
    home: Option<&AreaCode>,
    chosen: Option<&AreaCode>,
) -> AreaPicker {
    let chosen = chosen
        .filter(|c| home.is_none_or(|h| h.contains(c)))
        .or(home);
    let mut levels = Vec::new();
    let mut parent: Option<String> = None;
    for (i, (level, label_key, name)) in LEVELS.iter().enumerate() {
        let depth = AreaLevel::from_depth(i as u8 + 1).unwrap_or(AreaLevel::Village);
        let selected = chosen
            .and_then(|c| c.ancestor(depth))
            .map(|c| c.to_string())
            .unwrap_or_default();
        let locked = home.is_some_and(|h| h.level().depth() > i as u8);
        let options = if i == 0 || parent.is_some() {
            state
                .pintu
                .store
                .child_areas(parent.as_deref())
                .await
                .unwrap_or_default()
        } else {
            vec![]
        };
        parent = (!selected.is_empty()).then(|| selected.clone());
        levels.push(AreaSelect {
            level,
            label_key,
            name,
            options,
            selected,
            locked,
            next: LEVELS.get(i + 1).map(|l| l.0),
        });
    }
    AreaPicker { levels }
}

#[derive(Template)]
#[template(path = "area_options.html")]
struct AreaOptions {
    tr: Tr,
    options: Vec<Area>,
    clear: Vec<&'static str>,
}

#[derive(Deserialize)]
struct AreaOptionsQuery {
    #[serde(default)]
    province: String,
    #[serde(default)]
    regency: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    target: String,
}

/// The options of the next select of the area picker (htmx), and empties for those below it.
async fn area_options(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<AreaOptionsQuery>,
) -> Response {
    let (parent, clear): (&str, Vec<&'static str>) = match q.target.as_str() {
        "regency" => (&q.province, vec!["district", "village"]),
        "district" => (&q.regency, vec!["village"]),
        "village" => (&q.district, vec![]),
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    let options = if parent.is_empty() {
        vec![]
    } else {
        state
            .pintu
            .store
            .child_areas(Some(parent))
            .await
            .unwrap_or_default()
    };
    render(&AreaOptions {
        tr: u.tr,
        options,
        clear,
    })
}

/// One member's inputs in the register form.
#[derive(Default, Clone)]
pub struct MemberFields {
    pub i: usize,
    pub m: BTreeMap<String, String>,
}

impl MemberFields {
    pub fn v(&self, name: &str) -> &str {
        self.m.get(name).map(String::as_str).unwrap_or("")
    }
    pub fn name(&self, field: &str) -> String {
        format!("members[{}].{field}", self.i)
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    l: Layout,
    picker: AreaPicker,
    values: BTreeMap<String, String>,
    members: Vec<MemberFields>,
    errors: FormErrors,
    relationships: Vec<(String, String)>,
    next_index: usize,
}

impl RegisterPage {
    fn v(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "member_row.html")]
struct MemberRow {
    tr: Tr,
    f: MemberFields,
    errors: FormErrors,
    relationships: Vec<(String, String)>,
    oob_next: Option<usize>,
}

fn relationship_options(tr: &Tr) -> Vec<(String, String)> {
    Relationship::ALL
        .iter()
        .map(|r| (r.code().to_string(), tr.t(&format!("rel-{}", r.key()))))
        .collect()
}

pub(crate) fn home_area(u: &PageUser) -> Option<AreaCode> {
    u.user
        .area_code
        .as_deref()
        .and_then(|a| AreaCode::parse(a).ok())
}

async fn new_household(State(state): State<AppState>, u: PageUser) -> Response {
    let home = home_area(&u);
    let picker = area_picker(&state, home.as_ref(), None).await;
    let head = MemberFields {
        i: 0,
        m: BTreeMap::from([(
            "relationship".to_string(),
            Relationship::Head.code().to_string(),
        )]),
    };
    render(&RegisterPage {
        relationships: relationship_options(&u.tr),
        l: Layout::for_user(&u, "register-title", "register", "/households/new"),
        picker,
        values: BTreeMap::new(),
        members: vec![head],
        errors: FormErrors::default(),
        next_index: 1,
    })
}

#[derive(Deserialize)]
struct MemberRowQuery {
    i: usize,
}

/// One more empty member (htmx), with the "add" button moved on to the next index.
async fn member_row(u: PageUser, Query(q): Query<MemberRowQuery>) -> Response {
    let i = q.i.min(pintu_domain::household::MAX_MEMBERS);
    render(&MemberRow {
        relationships: relationship_options(&u.tr),
        tr: u.tr,
        f: MemberFields {
            i,
            m: BTreeMap::new(),
        },
        errors: FormErrors::default(),
        oob_next: Some(i + 1),
    })
}

/// Reads the flat form (`members[0].full_name` ...) back into a household.
fn parse_register_form(
    fields: Vec<(String, String)>,
) -> (
    BTreeMap<String, String>,
    Vec<MemberFields>,
    Option<usize>,
    bool,
) {
    let mut values = BTreeMap::new();
    let mut members: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    let mut remove = None;
    let mut add = false;
    for (k, v) in fields {
        if let Some(rest) = k.strip_prefix("members[")
            && let Some((idx, field)) = rest.split_once("].")
            && let Ok(i) = idx.parse::<usize>()
            && i < 100
        {
            members.entry(i).or_default().insert(field.to_string(), v);
        } else if k == "remove" {
            remove = v.parse().ok();
        } else if k == "add_member" {
            add = true;
        } else {
            values.insert(k, v);
        }
    }
    let members = members
        .into_iter()
        .filter(|(i, _)| Some(*i) != remove)
        .map(|(i, m)| MemberFields { i, m })
        .collect();
    (values, members, remove, add)
}

async fn create_household(
    State(state): State<AppState>,
    u: PageUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (values, mut members, removed, add) = parse_register_form(fields);
    if let Err(r) = check_csrf(&u, values.get("csrf").map(String::as_str).unwrap_or("")) {
        return r;
    }
    // Renumber so the indices in error paths match what the officer sees.
    for (i, m) in members.iter_mut().enumerate() {
        m.i = i;
    }
    let home = home_area(&u);
    let chosen = values
        .get("village_code")
        .and_then(|v| AreaCode::parse(v).ok());
    let rerender =
        |members: Vec<MemberFields>, errors: FormErrors, status: StatusCode, picker: AreaPicker| {
            let next_index = members.len();
            let page = RegisterPage {
                relationships: relationship_options(&u.tr),
                l: Layout::for_user(&u, "register-title", "register", "/households/new"),
                picker,
                values: values.clone(),
                members,
                errors,
                next_index,
            };
            (status, render(&page)).into_response()
        };
    if removed.is_some() || add {
        if add && members.len() < pintu_domain::household::MAX_MEMBERS {
            members.push(MemberFields {
                i: members.len(),
                m: BTreeMap::new(),
            });
        }
        let picker = area_picker(&state, home.as_ref(), chosen.as_ref()).await;
        return rerender(members, FormErrors::default(), StatusCode::OK, picker);
    }
    let input = HouseholdInput {
        kk_number: values.get("kk_number").cloned(),
        village_code: values.get("village_code").cloned().unwrap_or_default(),
        address: values.get("address").cloned(),
        rt: values.get("rt").cloned(),
        rw: values.get("rw").cloned(),
        members: members
            .iter()
            .map(|m| MemberInput {
                nik: Some(m.v("nik").to_string()),
                full_name: m.v("full_name").to_string(),
                sex: m.v("sex").to_string(),
                birth_date: m.v("birth_date").to_string(),
                birth_place: Some(m.v("birth_place").to_string()),
                relationship: m.v("relationship").to_string(),
                religion: Some(m.v("religion").to_string()),
                education: Some(m.v("education").to_string()),
                occupation: Some(m.v("occupation").to_string()),
                marital_status: Some(m.v("marital_status").to_string()),
                phone: Some(m.v("phone").to_string()),
            })
            .collect(),
    };
    match state.pintu.register_household(&u.ctx, &input).await {
        Ok(r) => {
            let mut url = format!("/households/{}?notice=register-success", r.household_id);
            if !r.warnings.is_empty() {
                let codes: Vec<&str> = r.warnings.iter().map(|(_, c)| *c).collect();
                url.push_str("&warn=");
                url.push_str(&codes.join(","));
            }
            Redirect::to(&url).into_response()
        }
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) => {
                let picker = area_picker(&state, home.as_ref(), chosen.as_ref()).await;
                rerender(members, errors, status, picker)
            }
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

/// Rupiah as Indonesians write it: `Rp 1.250.000`.
pub fn rupiah(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::from(if n < 0 { "-Rp " } else { "Rp " });
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}
