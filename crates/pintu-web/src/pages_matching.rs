//! The matching pages (MAT-2..5): the runs of the cross-table with their progress, a form to
//! start one, each programme's list of pre-identified people in an area (on screen, as a
//! printable page for the village office and as CSV), the village forum's decisions with the
//! form to record and revoke them, and the gaps of an area.
//!
//! NIKs never reach a URL: lists are chosen by programme code and area, people by their id.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use pintu_domain::access::Scope;
use pintu_domain::area::{AreaCode, AreaLevel};
use pintu_service::matching::{OverrideInput, Run};
use pintu_service::programmes::ProgrammeQuery;
use pintu_service::{Error, today};
use pintu_store::matching::{GapCount, ListLine, OverrideRow};
use serde::Deserialize;

use crate::AppState;
use crate::api_matching::list_csv;
use crate::i18n::{Lang, Tr};
use crate::pages::{CsrfForm, FormErrors, Layout, check_csrf, error_page, render};
use crate::session::PageUser;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/matching", get(runs_page).post(start))
        .route("/matching/runs/{id}", get(run_page))
        .route("/matching/runs/{id}/status", get(run_status))
        .route("/matching/lists/{code}", get(list_page))
        .route("/matching/lists/{code}/print", get(print_page))
        .route("/matching/lists/{code}/csv", get(list_download))
        .route(
            "/matching/lists/{code}/applications",
            post(start_applications),
        )
        .route("/matching/overrides", get(overrides_page).post(record))
        .route("/matching/overrides/new", get(new_override))
        .route("/matching/overrides/{id}/revoke", post(revoke))
        .route("/matching/gaps", get(gaps_page))
}

/// Notices a redirect may ask a matching page to show.
const NOTICES: [&str; 2] = ["override-recorded", "override-revoked"];

pub(crate) fn name_in(tr: &Tr, id: &str, en: &str) -> String {
    if tr.lang == Lang::En { en } else { id }.to_string()
}

/// The area the actor works in, as the default of the area fields.
fn own_area(u: &PageUser) -> String {
    match u.ctx.actor.scope() {
        Scope::Within(a) => a.as_str().to_string(),
        Scope::National => String::new(),
    }
}

/// The area a page was asked for, or (when none) the actor's own; empty only for a national
/// officer who has not chosen one.
fn area_or_own(u: &PageUser, asked: Option<&str>) -> String {
    match asked.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => a.to_string(),
        None => own_area(u),
    }
}

/// A run as the pages show it: its status in words and whether it is still going.
struct RunView {
    run: Run,
    status: String,
    running: bool,
}

impl RunView {
    fn of(tr: &Tr, run: Run) -> RunView {
        let status = tr.t(&format!("matching-status-{}", run.row.status));
        let running = run.row.status == "running";
        RunView {
            run,
            status,
            running,
        }
    }

    fn programme_name(&self, tr: &Tr, i: &usize) -> String {
        self.run
            .programmes
            .get(*i)
            .map(|p| name_in(tr, &p.name_id, &p.name_en))
            .unwrap_or_default()
    }
}

// ---- runs ----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "matching.html")]
struct RunsPage {
    l: Layout,
    runs: Vec<RunView>,
    may_run: bool,
    area: String,
    on: String,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
struct StartForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    reference_date: String,
}

async fn runs_page(State(state): State<AppState>, u: PageUser) -> Response {
    let form = StartForm {
        area: own_area(&u),
        reference_date: today().to_string(),
        ..StartForm::default()
    };
    runs_page_with(&state, &u, form, FormErrors::default(), StatusCode::OK).await
}

async fn runs_page_with(
    state: &AppState,
    u: &PageUser,
    form: StartForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    match state.pintu.matching_runs(&u.ctx).await {
        Ok(runs) => (
            status,
            render(&RunsPage {
                l: Layout::for_user(u, "matching-title", "matching", "/matching"),
                runs: runs.into_iter().map(|r| RunView::of(&u.tr, r)).collect(),
                may_run: u.ctx.actor.may_run_matching(),
                area: form.area,
                on: form.reference_date,
                errors,
            }),
        )
            .into_response(),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

async fn start(State(state): State<AppState>, u: PageUser, Form(f): Form<StartForm>) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let on = match f.reference_date.trim() {
        "" => Ok(None),
        s => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::invalid("reference_date", "date_invalid")),
    };
    let started = match on {
        Ok(on) => {
            state
                .pintu
                .start_matching(&u.ctx, Some(f.area.trim()), on)
                .await
        }
        Err(e) => Err(e),
    };
    match started {
        Ok(run) => Redirect::to(&format!("/matching/runs/{}", run.row.id)).into_response(),
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) => runs_page_with(&state, &u, f, errors, status).await,
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

#[derive(Template)]
#[template(path = "matching_run.html")]
struct RunPage {
    l: Layout,
    r: RunView,
}

#[derive(Template)]
#[template(path = "matching_run_status.html")]
struct RunStatus {
    l: Layout,
    r: RunView,
}

async fn run_page(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    run_view(&state, &u, &id, false).await
}

async fn run_status(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
) -> Response {
    run_view(&state, &u, &id, true).await
}

/// A run's page, or (`partial`) its progress and summary block alone, which the page polls
/// while the run goes on.
async fn run_view(state: &AppState, u: &PageUser, id: &str, partial: bool) -> Response {
    match state.pintu.matching_run(&u.ctx, id).await {
        Ok(run) => {
            let path = format!("/matching/runs/{id}");
            let l = Layout::for_user(u, "matching-run-title", "matching", &path);
            let r = RunView::of(&u.tr, run);
            if partial {
                render(&RunStatus { l, r })
            } else {
                render(&RunPage { l, r })
            }
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

// ---- lists ---------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    area: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    after: Option<String>,
    /// After applications were started from the list: how many (started, notified,
    /// already applying, already enrolled).
    #[serde(default)]
    started: Option<u64>,
    #[serde(default)]
    notified: Option<u64>,
    #[serde(default)]
    applying: Option<u64>,
    #[serde(default)]
    enrolled: Option<u64>,
}

/// A line as the list pages show it.
struct LineView {
    line: ListLine,
    status: String,
    village: String,
}

/// The names of the villages in `codes`, by code; a village without a name shows its code.
async fn village_names<'a>(
    state: &AppState,
    codes: impl Iterator<Item = &'a str>,
) -> HashMap<String, String> {
    let mut codes: Vec<&str> = codes.collect();
    codes.sort_unstable();
    codes.dedup();
    state
        .pintu
        .store
        .area_names(&codes)
        .await
        .unwrap_or_default()
}

async fn line_views(state: &AppState, tr: &Tr, lines: Vec<ListLine>) -> Vec<LineView> {
    let names = village_names(state, lines.iter().map(|l| l.village_code.as_str())).await;
    lines
        .into_iter()
        .map(|line| LineView {
            status: tr.t(&format!("entitlement-list-{}", line.status)),
            village: names
                .get(&line.village_code)
                .cloned()
                .unwrap_or_else(|| line.village_code.clone()),
            line,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "matching_list.html")]
struct ListPage {
    l: Layout,
    code: String,
    name: String,
    area: String,
    status: String,
    statuses: [&'static str; 4],
    run: Option<Run>,
    lines: Vec<LineView>,
    next: Option<String>,
    /// The query string of this list without the page position, for the print and CSV links.
    filter: String,
    may_override: bool,
    /// Small enough an area to print (see [`printable`]).
    printable: bool,
    /// One village, and an officer who takes applications: its pre-identified people can
    /// be turned into applications.
    may_start_applications: bool,
    notice: Option<String>,
}

fn filter_query(area: &str, status: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if !area.is_empty() {
        q.append_pair("area", area);
    }
    if !status.is_empty() {
        q.append_pair("status", status);
    }
    q.finish()
}

/// What a list page is asked for: the programme's code and name (in the page's language),
/// the area (the officer's own by default) and the status filter.
async fn list_request(
    state: &AppState,
    u: &PageUser,
    code: &str,
    q: &ListQuery,
) -> Result<(String, String, String, String), Response> {
    let p = match state.pintu.programme(code).await {
        Ok(d) => d.programme,
        Err(e) => return Err(error_page(u.tr.clone(), e, u.ctx.request_id.clone())),
    };
    let name = name_in(&u.tr, &p.name_id, &p.name_en);
    let area = area_or_own(u, q.area.as_deref());
    Ok((p.code, name, area, q.status.clone().unwrap_or_default()))
}

/// Lists are printed for a village office or a sub-district's villages: a regency's list is
/// hundreds of thousands of lines, which the CSV carries and paper does not.
fn printable(area: &str) -> bool {
    AreaCode::parse(area)
        .is_ok_and(|a| matches!(a.level(), AreaLevel::District | AreaLevel::Village))
}

async fn list_page(
    State(state): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let (code, name, area, status) = match list_request(&state, &u, &code, &q).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let listed = state
        .pintu
        .eligible_list(
            &u.ctx,
            &code,
            Some(&area),
            Some(&status),
            q.after.as_deref(),
            Some(100),
        )
        .await;
    let area_for_print = area.clone();
    let one_village = AreaCode::parse(&area).is_ok_and(|a| a.level() == AreaLevel::Village);
    let may_start_applications = one_village
        && u.ctx
            .actor
            .role()
            .is_some_and(pintu_domain::applications::may_take_applications);
    let notice = q.started.map(|started| {
        [
            u.tr.t1("from-list-started", "count", started),
            u.tr.t1("from-list-notified", "count", q.notified.unwrap_or(0)),
            u.tr.t1("from-list-applying", "count", q.applying.unwrap_or(0)),
            u.tr.t1("from-list-enrolled", "count", q.enrolled.unwrap_or(0)),
        ]
        .join(" ")
    });
    match listed {
        Ok((run, page)) => render(&ListPage {
            l: Layout::for_user(
                &u,
                "matching-list-title",
                "matching",
                &format!("/matching/lists/{code}"),
            ),
            filter: filter_query(&area, &status),
            code,
            name,
            area,
            status,
            statuses: ["selected", "waiting", "added", "removed"],
            run,
            lines: line_views(&state, &u.tr, page.items).await,
            next: page.next,
            may_override: u.ctx.actor.may_record_overrides(),
            printable: printable(&area_for_print),
            may_start_applications,
            notice,
        }),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

#[derive(Deserialize)]
struct StartApplicationsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    area: String,
}

/// Turns the village's pre-identified people into applications and goes back to the list
/// with what was done.
async fn start_applications(
    State(state): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(f): Form<StartApplicationsForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    match state
        .pintu
        .applications_from_list(&u.ctx, &code, &f.area, chrono::Utc::now())
        .await
    {
        Ok(done) => {
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("area", f.area.trim())
                .append_pair("started", &done.started.to_string())
                .append_pair("notified", &done.notified.to_string())
                .append_pair("applying", &done.already_applying.to_string())
                .append_pair("enrolled", &done.already_enrolled.to_string())
                .finish();
            Redirect::to(&format!(
                "/matching/lists/{}?{q}",
                code.trim().to_ascii_uppercase()
            ))
            .into_response()
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

#[derive(Template)]
#[template(path = "matching_print.html")]
struct PrintPage {
    l: Layout,
    code: String,
    name: String,
    area: String,
    area_name: String,
    run: Option<Run>,
    lines: Vec<LineView>,
    printed: String,
}

/// The whole list of an area on paper, for the village office to reach people: name, NIK,
/// birth date, rank and status, with space for the village head's signature.
async fn print_page(
    State(state): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let (code, name, area, status) = match list_request(&state, &u, &code, &q).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    if !printable(&area) {
        let e = Error::invalid("area", "print_area_too_large");
        return error_page(u.tr.clone(), e, u.ctx.request_id.clone());
    }
    match state
        .pintu
        .full_list(&u.ctx, &code, Some(&area), Some(&status))
        .await
    {
        Ok((run, lines)) => {
            let area_name = match AreaCode::parse(&area) {
                Ok(a) => state
                    .pintu
                    .store
                    .area_path(&a)
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .map(|x| x.name)
                    .collect::<Vec<_>>()
                    .join(", "),
                Err(_) => String::new(),
            };
            render(&PrintPage {
                l: Layout::for_user(
                    &u,
                    "matching-list-title",
                    "matching",
                    &format!("/matching/lists/{code}/print"),
                ),
                code,
                name,
                area,
                area_name,
                run,
                lines: line_views(&state, &u.tr, lines).await,
                printed: chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
            })
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

async fn list_download(
    State(state): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let area = area_or_own(&u, q.area.as_deref());
    match state
        .pintu
        .full_list(&u.ctx, &code, Some(&area), q.status.as_deref())
        .await
    {
        Ok((_, lines)) => {
            let file = format!(
                "daftar-{}-{}.csv",
                code.to_lowercase(),
                if area.is_empty() { "nasional" } else { &area }
            );
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}\""),
                    ),
                ],
                list_csv(&lines),
            )
                .into_response()
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

// ---- the village forum -----------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct OverridesQuery {
    #[serde(default)]
    area: Option<String>,
    #[serde(default)]
    programme: Option<String>,
    #[serde(default)]
    all: Option<String>,
    #[serde(default)]
    notice: Option<String>,
}

struct OverrideView {
    o: OverrideRow,
    action: String,
}

#[derive(Template)]
#[template(path = "matching_overrides.html")]
struct OverridesPage {
    l: Layout,
    rows: Vec<OverrideView>,
    area: String,
    programme: String,
    all: bool,
    notice: Option<String>,
    may_override: bool,
}

async fn overrides_page(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<OverridesQuery>,
) -> Response {
    let area = area_or_own(&u, q.area.as_deref());
    let programme = q.programme.clone().unwrap_or_default();
    let all = q.all.as_deref() == Some("1");
    match state
        .pintu
        .overrides(&u.ctx, Some(&area), Some(&programme), all)
        .await
    {
        Ok(rows) => render(&OverridesPage {
            l: Layout::for_user(&u, "overrides-title", "matching", "/matching/overrides"),
            rows: rows
                .into_iter()
                .map(|o| OverrideView {
                    action: u.tr.t(&format!("override-action-{}", o.action)),
                    o,
                })
                .collect(),
            area,
            programme,
            all,
            notice: q
                .notice
                .as_deref()
                .filter(|n| NOTICES.contains(n))
                .map(|n| u.tr.t(n)),
            may_override: u.ctx.actor.may_record_overrides(),
        }),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

#[derive(Deserialize, Default)]
struct OverrideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    programme: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    forum_date: String,
}

#[derive(Template)]
#[template(path = "matching_override_form.html")]
struct OverrideFormPage {
    l: Layout,
    f: OverrideForm,
    person_name: String,
    village: String,
    programmes: Vec<(String, String)>,
    errors: FormErrors,
}

async fn new_override(
    State(state): State<AppState>,
    u: PageUser,
    Query(f): Query<OverrideForm>,
) -> Response {
    // A decision is about one person: the form opens from a list line or a person page.
    if f.person.is_empty() {
        return Redirect::to("/matching/overrides").into_response();
    }
    let f = OverrideForm {
        forum_date: today().to_string(),
        ..f
    };
    override_form(&state, &u, f, FormErrors::default(), StatusCode::OK).await
}

/// A person of the actor's area and the programmes active today that cover their village
/// (code, name in the page's language): the choices of a form about that person.
pub(crate) async fn person_and_programmes(
    state: &AppState,
    u: &PageUser,
    person_id: &str,
) -> Result<(pintu_store::registry::PersonRow, Vec<(String, String)>), Response> {
    let person = match state.pintu.person(&u.ctx, person_id).await {
        Ok(p) => p.person,
        Err(e) => return Err(error_page(u.tr.clone(), e, u.ctx.request_id.clone())),
    };
    let query = ProgrammeQuery {
        active_on: Some(today().to_string()),
        ..ProgrammeQuery::default()
    };
    match state.pintu.programmes(&query).await {
        Ok(rows) => {
            let programmes = rows
                .into_iter()
                .filter(|p| {
                    p.area_code
                        .as_deref()
                        .is_none_or(|a| pintu_domain::rules::area_contains(a, &person.village_code))
                })
                .map(|p| {
                    let name = name_in(&u.tr, &p.name_id, &p.name_en);
                    (p.code, name)
                })
                .collect();
            Ok((person, programmes))
        }
        Err(e) => Err(error_page(u.tr.clone(), e, u.ctx.request_id.clone())),
    }
}

async fn override_form(
    state: &AppState,
    u: &PageUser,
    f: OverrideForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    if !u.ctx.actor.may_record_overrides() {
        return error_page(u.tr.clone(), Error::Forbidden, u.ctx.request_id.clone());
    }
    let (person, programmes) = match person_and_programmes(state, u, &f.person).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    (
        status,
        render(&OverrideFormPage {
            l: Layout::for_user(
                u,
                "override-new-title",
                "matching",
                "/matching/overrides/new",
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

async fn record(
    State(state): State<AppState>,
    u: PageUser,
    Form(f): Form<OverrideForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let forum_date = match NaiveDate::parse_from_str(f.forum_date.trim(), "%Y-%m-%d") {
        Ok(d) => d,
        Err(_) => {
            let e = Error::invalid("forum_date", "date_invalid");
            return match FormErrors::from_error(e, &u.tr) {
                Ok((status, errors)) => override_form(&state, &u, f, errors, status).await,
                Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
            };
        }
    };
    let input = OverrideInput {
        programme: f.programme.clone(),
        person_id: f.person.clone(),
        action: f.action.clone(),
        reason: f.reason.clone(),
        forum_date,
    };
    match state.pintu.record_override(&u.ctx, input).await {
        Ok(o) => to_overrides(&o.village_code, "override-recorded"),
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) => override_form(&state, &u, f, errors, status).await,
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

async fn revoke(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    match state.pintu.revoke_override(&u.ctx, &id).await {
        Ok(o) => to_overrides(&o.village_code, "override-revoked"),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

/// Back to the decisions of the decision's village, with a notice.
fn to_overrides(village: &str, notice: &str) -> Response {
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("area", village)
        .append_pair("notice", notice)
        .finish();
    Redirect::to(&format!("/matching/overrides?{q}")).into_response()
}

// ---- gaps ----------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct GapsQuery {
    #[serde(default)]
    area: Option<String>,
}

/// One of the three kinds of gap, by programme (or need) and village.
struct GapSection {
    id: &'static str,
    title: &'static str,
    hint: &'static str,
    /// Each count with its village's name.
    rows: Vec<(GapCount, String)>,
    total: i64,
}

impl GapSection {
    fn of(id: &'static str, rows: Vec<GapCount>, names: &HashMap<String, String>) -> GapSection {
        let (title, hint) = match id {
            "exclusion" => ("gaps-exclusion", "gaps-exclusion-hint"),
            "inclusion" => ("gaps-inclusion", "gaps-inclusion-hint"),
            _ => ("gaps-double", "gaps-double-hint"),
        };
        GapSection {
            id,
            title,
            hint,
            total: rows.iter().map(|r| r.people).sum(),
            rows: rows
                .into_iter()
                .map(|r| {
                    let name = names.get(&r.village_code).cloned().unwrap_or_default();
                    (r, name)
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "matching_gaps.html")]
struct GapsPage {
    l: Layout,
    area: String,
    run: Option<Run>,
    sections: Vec<GapSection>,
}

impl GapsPage {
    /// Gaps are counted within an area: a national officer chooses one first.
    fn choose_area(&self) -> bool {
        self.area.is_empty()
    }
}

async fn gaps_page(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<GapsQuery>,
) -> Response {
    let area = area_or_own(&u, q.area.as_deref());
    if area.is_empty() {
        return render(&GapsPage {
            l: Layout::for_user(&u, "gaps-title", "matching", "/matching/gaps"),
            area,
            run: None,
            sections: Vec::new(),
        });
    }
    match state.pintu.gaps(&u.ctx, Some(&area)).await {
        Ok(g) => {
            let villages = g
                .exclusion
                .iter()
                .chain(&g.inclusion)
                .chain(&g.double_targeting)
                .map(|r| r.village_code.as_str());
            let names = village_names(&state, villages).await;
            render(&GapsPage {
                l: Layout::for_user(&u, "gaps-title", "matching", "/matching/gaps"),
                area,
                run: g.run,
                sections: vec![
                    GapSection::of("exclusion", g.exclusion, &names),
                    GapSection::of("inclusion", g.inclusion, &names),
                    GapSection::of("double", g.double_targeting, &names),
                ],
            })
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}
