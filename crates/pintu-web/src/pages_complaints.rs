//! The complaints pages: the list with its tabs and filters, the action form (record a
//! complaint, then work it step by step on its printable page), attachments, the call-backs
//! owed for overdue complaints, and the statistics with the periodic reports.
//!
//! Charts are SVG drawn by the templates from geometry computed here: no JavaScript and no
//! inline styles (the CSP forbids both).

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Datelike, Utc};
use pintu_domain::AreaCode;
use pintu_domain::complaints::{Category, Channel, Level, Resolution, Status, Unit, may_work};
use pintu_service::complaints::{
    CORRECTABLE_FIELDS, ComplaintDetail, Correction, Counts, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS,
    NewComplaint, Report, STAT_DIMENSIONS, Step,
};
use pintu_service::{Error, today};
use pintu_store::complaints::{CallbackRow, ComplaintRow, EventRow};
use serde::Deserialize;

use crate::AppState;
use crate::i18n::{Lang, Tr};
use crate::pages::{
    AreaPicker, FormErrors, Layout, area_picker, check_csrf, error_page, error_page_code,
    home_area, render,
};
use crate::session::PageUser;

/// A form with one attachment: the file and a few kilobytes of fields.
const UPLOAD_BODY_BYTES: usize = MAX_ATTACHMENT_BYTES + 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/complaints", get(list))
        .route(
            "/complaints/new",
            get(new_form)
                .post(create)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_BYTES)),
        )
        .route("/complaints/callbacks", get(callbacks))
        .route("/complaints/callbacks/{id}", post(complete_callback))
        .route("/complaints/reports", get(reports))
        .route("/complaints/reports/monthly", get(monthly_report))
        .route("/complaints/reports/half-year", get(half_year_report))
        .route("/complaints/{id}", get(detail))
        .route("/complaints/{id}/step", post(step))
        .route(
            "/complaints/{id}/attachments",
            post(attach).layer(DefaultBodyLimit::max(UPLOAD_BODY_BYTES)),
        )
        .route("/complaints/{id}/attachments/{aid}", get(attachment))
        .route("/complaints/{id}/correction", post(correct))
}

/// Notices a redirect may ask a complaints page to show.
const NOTICES: [&str; 12] = [
    "complaint-recorded",
    "complaint-recorded-without-attachment",
    "complaint-done-forward",
    "complaint-done-assign",
    "complaint-done-respond",
    "complaint-done-resolve",
    "complaint-done-acknowledge",
    "complaint-done-reopen",
    "complaint-attached",
    "complaint-corrected",
    "complaint-callback-done",
    "complaint-callback-done-not-reachable",
];

fn notice(tr: &Tr, n: Option<&str>) -> Option<String> {
    n.filter(|n| NOTICES.contains(n)).map(|n| tr.t(n))
}

// ---- labels and formats ------------------------------------------------------------------

/// The label of a code of one kind (`channel`, `category`, `level`, `unit`, `status`,
/// `resolution`, `acknowledgement`, `event`, `outcome`): the code itself if unknown.
fn label(tr: &Tr, kind: &str, code: &str) -> String {
    let key = format!("complaint-{kind}-{code}");
    if tr.has(&key) {
        tr.t(&key)
    } else {
        code.to_string()
    }
}

/// The level, and the unit when a technical unit holds it.
fn level_label(tr: &Tr, level: &str, unit: Option<&str>) -> String {
    match unit {
        Some(u) => format!("{} · {}", label(tr, "level", level), label(tr, "unit", u)),
        None => label(tr, "level", level),
    }
}

/// A step's note in words: the service writes the channel, resolution, acknowledgement or
/// call-back outcome as a code in front of the officer's text.
fn event_note(tr: &Tr, action: &str, note: &str) -> String {
    let kind = match action {
        "received" => "channel",
        "resolved" => "resolution",
        "acknowledged" => "acknowledgement",
        "called_back" => "outcome",
        "escalated" => {
            return match note.strip_prefix("overdue since ") {
                Some(since) => tr.t1("complaint-overdue-since", "at", since),
                None => note.to_string(),
            };
        }
        _ => return note.to_string(),
    };
    let (code, rest) = match note.split_once(": ") {
        Some((code, rest)) => (code, Some(rest)),
        None => (note, None),
    };
    let key = format!("complaint-{kind}-{code}");
    match (tr.has(&key), rest) {
        (false, _) => note.to_string(),
        (true, None) => tr.t(&key),
        (true, Some(rest)) => format!("{}: {rest}", tr.t(&key)),
    }
}

/// An instant as the officer reads it: Western Indonesian Time, as `today()` counts days.
fn at(t: DateTime<Utc>) -> String {
    format!(
        "{} WIB",
        (t + chrono::Duration::hours(7)).format("%Y-%m-%d %H:%M")
    )
}

fn day(t: DateTime<Utc>) -> String {
    (t + chrono::Duration::hours(7))
        .format("%Y-%m-%d")
        .to_string()
}

/// A number with one decimal, with the decimal comma in Indonesian.
fn decimal(lang: Lang, v: f64) -> String {
    let s = format!("{v:.1}");
    match lang {
        Lang::Id => s.replace('.', ","),
        Lang::En => s,
    }
}

fn percent(lang: Lang, share: f64) -> String {
    format!("{} %", decimal(lang, share * 100.0))
}

fn days(lang: Lang, v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |d| decimal(lang, d))
}

/// Percent-encodes a query value.
fn enc(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// An option of a select.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn options<'a>(
    tr: &Tr,
    kind: &str,
    codes: impl IntoIterator<Item = &'a str>,
    selected: &str,
) -> Vec<Opt> {
    codes
        .into_iter()
        .map(|c| Opt {
            value: c.to_string(),
            label: label(tr, kind, c),
            selected: c == selected,
        })
        .collect()
}

// ---- the list ----------------------------------------------------------------------------

/// A complaint as a row of a list shows it.
pub struct ComplaintLine {
    pub id: String,
    pub reference: String,
    pub received_on: String,
    pub category: String,
    pub level: String,
    pub status_code: String,
    pub status: String,
    pub due: String,
    pub overdue: bool,
    pub complainant: String,
}

impl ComplaintLine {
    fn of(tr: &Tr, c: &ComplaintRow, now: DateTime<Utc>) -> ComplaintLine {
        ComplaintLine {
            id: c.id.clone(),
            reference: c.reference.clone(),
            received_on: c.received_on.to_string(),
            category: label(tr, "category", &c.category),
            level: level_label(tr, &c.level, c.unit.as_deref()),
            status_code: c.status.clone(),
            status: label(tr, "status", &c.status),
            due: day(c.due_at),
            overdue: c.status == Status::Open.code() && c.due_at < now,
            complainant: c
                .complainant_name
                .clone()
                .unwrap_or_else(|| tr.t("complaint-anonymous")),
        }
    }
}

/// Rows of complaints, for the list and the person page.
pub(crate) fn lines(tr: &Tr, rows: &[ComplaintRow], now: DateTime<Utc>) -> Vec<ComplaintLine> {
    rows.iter().map(|c| ComplaintLine::of(tr, c, now)).collect()
}

/// The tabs of the list: (status parameter, label key).
const TABS: [(&str, &str); 5] = [
    ("open", "complaints-tab-open"),
    ("overdue", "complaints-tab-overdue"),
    ("resolved", "complaints-tab-resolved"),
    ("closed", "complaints-tab-closed"),
    ("all", "complaints-tab-all"),
];

#[derive(Deserialize, Default)]
struct ListQuery {
    status: Option<String>,
    level: Option<String>,
    category: Option<String>,
    before: Option<String>,
    notice: Option<String>,
}

/// A link of a tab bar: (href, label, current).
type Tab = (String, String, bool);

#[derive(Template)]
#[template(path = "complaints.html")]
struct ListPage {
    l: Layout,
    tabs: Vec<Tab>,
    tab: String,
    levels: Vec<Opt>,
    categories: Vec<Opt>,
    rows: Vec<ComplaintLine>,
    next: Option<String>,
    may_record: bool,
    notice: Option<String>,
}

async fn list(State(state): State<AppState>, u: PageUser, Query(q): Query<ListQuery>) -> Response {
    let now = Utc::now();
    let tab = q
        .status
        .as_deref()
        .filter(|s| TABS.iter().any(|(t, _)| t == s))
        .unwrap_or("open");
    let (status, overdue) = match tab {
        "overdue" => ("open", true),
        t => (t, false),
    };
    let level = q.level.as_deref().unwrap_or("").trim();
    let category = q.category.as_deref().unwrap_or("").trim();
    let page = state
        .pintu
        .complaints(
            &u.ctx,
            None,
            Some(status),
            Some(level).filter(|l| !l.is_empty()),
            Some(category).filter(|c| !c.is_empty()),
            overdue,
            q.before.as_deref(),
            Some(50),
            now,
        )
        .await;
    let page = match page {
        Ok(p) => p,
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    let mut filters = String::new();
    if !level.is_empty() {
        filters.push_str(&format!("&level={}", enc(level)));
    }
    if !category.is_empty() {
        filters.push_str(&format!("&category={}", enc(category)));
    }
    let tabs = TABS
        .iter()
        .map(|(t, key)| {
            (
                format!("/complaints?status={t}{filters}"),
                u.tr.t(key),
                *t == tab,
            )
        })
        .collect();
    let next = page
        .next
        .map(|n| format!("/complaints?status={tab}{filters}&before={}", enc(&n)));
    render(&ListPage {
        l: Layout::for_user(&u, "complaints-title", "complaints", "/complaints"),
        tabs,
        tab: tab.to_string(),
        levels: options(&u.tr, "level", Level::ALL.iter().map(|l| l.code()), level),
        categories: options(
            &u.tr,
            "category",
            Category::ALL.iter().map(|c| c.code()),
            category,
        ),
        rows: lines(&u.tr, &page.items, now),
        next,
        may_record: u.ctx.actor.may_record_complaints(),
        notice: notice(&u.tr, q.notice.as_deref()),
    })
}

// ---- recording a complaint ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "complaints_new.html")]
struct NewPage {
    l: Layout,
    picker: AreaPicker,
    values: BTreeMap<String, String>,
    errors: FormErrors,
    channels: Vec<Opt>,
    categories: Vec<Opt>,
    /// A registered complainant chosen from their page: (id, name).
    person: Option<(String, String)>,
    /// A file was chosen but the form came back: it has to be chosen again.
    file_again: bool,
}

impl NewPage {
    fn v(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }
}

#[derive(Deserialize)]
struct NewQuery {
    person: Option<String>,
    /// The channel to preselect (the call centre's console opens the form with its own).
    channel: Option<String>,
}

async fn new_form(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<NewQuery>,
) -> Response {
    if !u.ctx.actor.may_record_complaints() {
        return error_page(u.tr.clone(), Error::Forbidden, u.ctx.request_id.clone());
    }
    let mut values = BTreeMap::from([("received_on".to_string(), today().to_string())]);
    if let Some(p) = q.person.filter(|p| !p.trim().is_empty()) {
        values.insert("complainant_person_id".into(), p);
    }
    if let Some(ch) = q
        .channel
        .filter(|c| pintu_domain::complaints::Channel::parse(c).is_some())
    {
        values.insert("channel".into(), ch);
    }
    new_page(
        &state,
        &u,
        values,
        FormErrors::default(),
        false,
        StatusCode::OK,
    )
    .await
}

async fn new_page(
    state: &AppState,
    u: &PageUser,
    values: BTreeMap<String, String>,
    errors: FormErrors,
    file_again: bool,
    status: StatusCode,
) -> Response {
    // A complainant chosen on their page: their name, and their village preselected.
    let person = match values
        .get("complainant_person_id")
        .filter(|p| !p.is_empty())
    {
        Some(id) => match state.pintu.person(&u.ctx, id).await {
            Ok(d) => Some(d.person),
            Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
        None => None,
    };
    let chosen = values
        .get("village_code")
        .and_then(|v| AreaCode::parse(v).ok())
        .or_else(|| {
            person
                .as_ref()
                .and_then(|p| AreaCode::parse(&p.village_code).ok())
        });
    let home = home_area(u);
    let picker = area_picker(state, home.as_ref(), chosen.as_ref()).await;
    let v = |k: &str| values.get(k).map(String::as_str).unwrap_or("").to_string();
    let page = NewPage {
        l: Layout::for_user(u, "complaint-new-title", "complaints", "/complaints/new"),
        picker,
        channels: options(
            &u.tr,
            "channel",
            Channel::ALL.iter().map(|c| c.code()),
            &v("channel"),
        ),
        categories: options(
            &u.tr,
            "category",
            Category::ALL.iter().map(|c| c.code()),
            &v("category"),
        ),
        person: person.map(|p| (p.id, p.full_name)),
        values,
        errors,
        file_again,
    };
    (status, render(&page)).into_response()
}

/// A multipart form as read: its text fields, its file if one was chosen, and why reading
/// stopped early.
#[derive(Default)]
pub(crate) struct Posted {
    pub(crate) fields: BTreeMap<String, String>,
    pub(crate) file: Option<(String, Vec<u8>)>,
    pub(crate) failed: Option<(StatusCode, &'static str)>,
}

/// Reads a multipart form with at most one `file`. Browsers send the fields in the order of
/// the form, so a file too large still leaves the fields before it (and `too_large` says
/// why).
pub(crate) async fn read_multipart(mut form: Multipart, too_large: &'static str) -> Posted {
    let mut posted = Posted::default();
    let fail = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            (StatusCode::PAYLOAD_TOO_LARGE, too_large)
        } else {
            (StatusCode::BAD_REQUEST, "malformed_request")
        }
    };
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                posted.failed = Some(fail(e));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            match field.bytes().await {
                Ok(b) if b.is_empty() && file_name.is_empty() => {}
                Ok(b) => posted.file = Some((file_name, b.to_vec())),
                Err(e) => {
                    posted.failed = Some(fail(e));
                    break;
                }
            }
        } else {
            match field.text().await {
                Ok(t) => {
                    posted.fields.insert(name, t);
                }
                Err(e) => {
                    posted.failed = Some(fail(e));
                    break;
                }
            }
        }
    }
    posted
}

/// Why a file cannot be attached, checked before the complaint is written so that a wrong
/// file sends the form back with nothing saved (the service's own rule).
fn attachment_problem(content: &[u8]) -> Option<&'static str> {
    pintu_service::complaints::attachment_type(content).err()
}

fn field_errors(tr: &Tr, field: &str, code: &'static str) -> FormErrors {
    match FormErrors::from_error(Error::invalid(field, code), tr) {
        Ok((_, errors)) => errors,
        Err(_) => FormErrors::default(),
    }
}

async fn create(
    State(state): State<AppState>,
    u: PageUser,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let Ok(form) = form else {
        return error_page_code(
            &u.tr,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        );
    };
    let mut posted = read_multipart(form, "attachment_too_large").await;
    let csrf = posted.fields.remove("csrf").unwrap_or_default();
    if let Some((status, code)) = posted.failed
        && status != StatusCode::PAYLOAD_TOO_LARGE
    {
        return error_page_code(&u.tr, status, code);
    }
    if let Err(r) = check_csrf(&u, &csrf) {
        return r;
    }
    if !u.ctx.actor.may_record_complaints() {
        return error_page(u.tr.clone(), Error::Forbidden, u.ctx.request_id.clone());
    }
    let values = posted.fields;
    if posted.failed.is_some() {
        let errors = field_errors(&u.tr, "file", "attachment_too_large");
        return new_page(
            &state,
            &u,
            values,
            errors,
            true,
            StatusCode::PAYLOAD_TOO_LARGE,
        )
        .await;
    }
    if let Some(code) = posted
        .file
        .as_ref()
        .and_then(|(_, b)| attachment_problem(b))
    {
        let errors = field_errors(&u.tr, "file", code);
        return new_page(
            &state,
            &u,
            values,
            errors,
            true,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let v = |k: &str| values.get(k).cloned().filter(|s| !s.trim().is_empty());
    let input = NewComplaint {
        received_on: v("received_on"),
        channel: v("channel").unwrap_or_default(),
        village_code: v("village_code").unwrap_or_default(),
        complainant_person_id: v("complainant_person_id"),
        complainant_nik: v("complainant_nik"),
        complainant_name: v("complainant_name"),
        contact: v("contact"),
        category: v("category").unwrap_or_default(),
        programme: v("programme"),
        description: values.get("description").cloned().unwrap_or_default(),
        officer: v("officer"),
    };
    let now = Utc::now();
    match state.pintu.record_complaint(&u.ctx, &input, now).await {
        Ok(c) => {
            let attached = match posted.file {
                Some((name, bytes)) => state
                    .pintu
                    .attach_to_complaint(&u.ctx, &c.id, &name, bytes, now)
                    .await
                    .map(|_| ()),
                None => Ok(()),
            };
            let notice = match attached {
                Ok(()) => "complaint-recorded",
                Err(e) => {
                    tracing::warn!(error = ?e, complaint = %c.id, "attachment refused");
                    "complaint-recorded-without-attachment"
                }
            };
            Redirect::to(&format!("/complaints/{}?notice={notice}", c.id)).into_response()
        }
        Err(e) => {
            let file_again = posted.file.is_some();
            match FormErrors::from_error(e, &u.tr) {
                Ok((status, errors)) => {
                    new_page(&state, &u, values, errors, file_again, status).await
                }
                Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
            }
        }
    }
}

// ---- one complaint -----------------------------------------------------------------------

/// A complaint as its page shows it, every code already in words.
struct ComplaintView {
    id: String,
    reference: String,
    received_on: String,
    channel: String,
    village: String,
    complainant: String,
    /// The registered complainant, linked to their page.
    complainant_id: Option<String>,
    contact: Option<String>,
    category: String,
    programme: Option<String>,
    description: String,
    status_code: String,
    status: String,
    level: String,
    officer: Option<String>,
    sent_at: String,
    due: String,
    overdue: bool,
    escalations: i32,
    reached_ombudsman: Option<String>,
    resolution: Option<String>,
    response: Option<String>,
    resolved_at: Option<String>,
    acknowledgement: Option<String>,
    acknowledged_at: Option<String>,
    created_by: String,
    created_at: String,
}

struct EventView {
    at: String,
    actor: String,
    action: String,
    level: String,
    officer: Option<String>,
    due: Option<String>,
    note: Option<String>,
}

struct AttachmentView {
    id: String,
    file_name: String,
    size: String,
    created: String,
}

struct CallbackView {
    id: String,
    complaint_id: String,
    reference: String,
    village: String,
    complainant: String,
    contact: Option<String>,
    level: String,
    category: String,
    status_code: String,
    outcome: Option<String>,
    note: Option<String>,
    done_by: Option<String>,
    done_at: Option<String>,
    created: String,
}

impl CallbackView {
    fn of(tr: &Tr, c: &CallbackRow) -> CallbackView {
        CallbackView {
            id: c.id.clone(),
            complaint_id: c.complaint_id.clone(),
            reference: c.reference.clone(),
            village: c.village_code.clone(),
            complainant: c
                .complainant_name
                .clone()
                .unwrap_or_else(|| tr.t("complaint-anonymous")),
            contact: c.contact.clone(),
            level: label(tr, "level", &c.level),
            category: label(tr, "category", &c.category),
            status_code: c.status.clone(),
            outcome: c.outcome.as_deref().map(|o| label(tr, "outcome", o)),
            note: c.note.clone(),
            done_by: c.done_by.clone(),
            done_at: c.done_at.map(at),
            created: at(c.created_at),
        }
    }
}

/// The steps the officer may take now.
#[derive(Default)]
struct Steps {
    forward: bool,
    assign: bool,
    respond: bool,
    resolve: bool,
    acknowledge: bool,
    reopen: bool,
}

/// The correction form of a wrong-data complaint: the registered complainant, or an id to
/// type.
struct CorrectionView {
    person: Option<(String, String)>,
    fields: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "complaints_detail.html")]
struct DetailPage {
    l: Layout,
    c: ComplaintView,
    events: Vec<EventView>,
    attachments: Vec<AttachmentView>,
    callbacks: Vec<CallbackView>,
    steps: Steps,
    any_step: bool,
    /// Where forwarding sends it.
    next_level: Option<String>,
    units: Vec<Opt>,
    resolutions: Vec<Opt>,
    may_attach: bool,
    may_read_registry: bool,
    correction: Option<CorrectionView>,
    notice: Option<String>,
    errors: Vec<String>,
    /// What the officer had entered in the form that came back.
    posted: BTreeMap<String, String>,
    printed: String,
    /// The applications opened from it.
    applications: Vec<pintu_store::applications::ApplicationRow>,
    /// The messages sent to the complainant about it.
    messages: Vec<pintu_store::outbox::MessageRow>,
    /// Whether an application can be opened from it (an open exclusion complaint of a
    /// registered person, for an officer who takes applications): the complainant's id.
    apply_for: Option<String>,
}

impl DetailPage {
    /// A value entered in the form of `action`, when it is that form that came back.
    fn p(&self, action: &str, name: &str) -> &str {
        if self.posted.get("action").map(String::as_str) == Some(action) {
            self.posted.get(name).map(String::as_str).unwrap_or("")
        } else {
            ""
        }
    }
}

async fn village_label(state: &AppState, code: &str) -> String {
    match state.pintu.store.area(code).await {
        Ok(Some(a)) => format!("{} ({code})", a.name),
        _ => code.to_string(),
    }
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let notice = notice(&u.tr, q.notice.as_deref());
    detail_page(
        &state,
        &u,
        &id,
        notice,
        Vec::new(),
        BTreeMap::new(),
        StatusCode::OK,
    )
    .await
}

async fn detail_page(
    state: &AppState,
    u: &PageUser,
    id: &str,
    notice: Option<String>,
    errors: Vec<String>,
    posted: BTreeMap<String, String>,
    status: StatusCode,
) -> Response {
    let now = Utc::now();
    let d: ComplaintDetail = match state.pintu.complaint(&u.ctx, id, now).await {
        Ok(d) => d,
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    let tr = &u.tr;
    let c = &d.complaint;
    let level = Level::parse(&c.level).unwrap_or(Level::Village);
    let works = u.ctx.actor.role().is_none_or(|r| may_work(r, level));
    let has = |a: &'static str| d.actions.contains(&a);
    let steps = Steps {
        forward: has("forward"),
        assign: has("assign"),
        respond: has("respond"),
        resolve: has("resolve"),
        acknowledge: has("acknowledge"),
        reopen: has("reopen"),
    };
    let resolutions = Resolution::ALL
        .iter()
        .filter(|r| **r != Resolution::CommunityConsensus || level == Level::Village)
        .map(|r| r.code());
    let open = c.status == Status::Open.code();
    let correction = (c.category == Category::WrongData.code()
        && open
        && works
        && u.ctx.actor.may_write_registry())
    .then(|| CorrectionView {
        person: c
            .complainant_person_id
            .clone()
            .map(|p| (p, c.complainant_name.clone().unwrap_or_default())),
        fields: CORRECTABLE_FIELDS
            .iter()
            .map(|f| Opt {
                value: f.to_string(),
                label: tr.field(f),
                selected: posted.get("field").map(String::as_str) == Some(*f),
            })
            .collect(),
    });
    let view = ComplaintView {
        id: c.id.clone(),
        reference: c.reference.clone(),
        received_on: c.received_on.to_string(),
        channel: label(tr, "channel", &c.channel),
        village: village_label(state, &c.village_code).await,
        complainant: c
            .complainant_name
            .clone()
            .unwrap_or_else(|| tr.t("complaint-anonymous")),
        complainant_id: c.complainant_person_id.clone(),
        contact: c.contact.clone(),
        category: label(tr, "category", &c.category),
        programme: c.programme.clone(),
        description: c.description.clone(),
        status_code: c.status.clone(),
        status: label(tr, "status", &c.status),
        level: level_label(tr, &c.level, c.unit.as_deref()),
        officer: c.officer.clone(),
        sent_at: at(c.sent_at),
        due: at(c.due_at),
        overdue: d.overdue,
        escalations: c.escalations,
        reached_ombudsman: c.reached_ombudsman_at.map(at),
        resolution: c.resolution.as_deref().map(|r| label(tr, "resolution", r)),
        response: c.response.clone(),
        resolved_at: c.resolved_at.map(at),
        acknowledgement: c
            .acknowledgement
            .as_deref()
            .map(|a| label(tr, "acknowledgement", a)),
        acknowledged_at: c.acknowledged_at.map(at),
        created_by: c.created_by.clone(),
        created_at: at(c.created_at),
    };
    let events = d
        .events
        .iter()
        .map(|e: &EventRow| EventView {
            at: at(e.at),
            actor: e.actor.clone(),
            action: label(tr, "event", &e.action),
            level: level_label(tr, &e.level, e.unit.as_deref()),
            officer: e.officer.clone(),
            due: e.due_at.map(at),
            note: e.note.as_deref().map(|n| event_note(tr, &e.action, n)),
        })
        .collect();
    let attachments: Vec<AttachmentView> = d
        .attachments
        .iter()
        .map(|a| AttachmentView {
            id: a.id.clone(),
            file_name: a.file_name.clone(),
            size: format!("{} KB", a.size.max(0).unsigned_abs().div_ceil(1024)),
            created: format!("{} · {}", at(a.created_at), a.created_by),
        })
        .collect();
    let may_attach =
        (works || c.created_by == u.ctx.actor.label()) && attachments.len() < MAX_ATTACHMENTS;
    let apply_for = c
        .complainant_person_id
        .clone()
        .filter(|_| c.category == Category::ExclusionError.code() && open)
        .filter(|_| {
            u.ctx
                .actor
                .role()
                .is_some_and(pintu_domain::applications::may_take_applications)
        });
    let page = DetailPage {
        l: Layout::for_user(
            u,
            "complaint-title",
            "complaints",
            &format!("/complaints/{}", c.id),
        ),
        any_step: !d.actions.is_empty(),
        steps,
        next_level: level.next().map(|n| label(tr, "level", n.code())),
        units: options(tr, "unit", Unit::ALL.iter().map(|x| x.code()), ""),
        resolutions: options(tr, "resolution", resolutions, Resolution::Answered.code()),
        may_attach,
        may_read_registry: u.ctx.actor.may_read_registry(),
        correction,
        notice,
        errors,
        posted,
        printed: at(now),
        applications: d.applications.clone(),
        messages: d.messages.clone(),
        apply_for,
        events,
        attachments,
        callbacks: d
            .callbacks
            .iter()
            .map(|x| CallbackView::of(tr, x))
            .collect(),
        c: view,
    };
    (status, render(&page)).into_response()
}

/// Validation and state errors become messages on the page; anything else an error page.
fn messages(tr: &Tr, e: Error) -> Result<(StatusCode, Vec<String>), Error> {
    match e {
        Error::Invalid(inv) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            inv.0
                .iter()
                .map(|f| format!("{}: {}", tr.field(&f.field), tr.error(f.code)))
                .collect(),
        )),
        Error::Conflict { code, .. } => Ok((StatusCode::CONFLICT, vec![tr.error(code)])),
        other => Err(other),
    }
}

async fn failed(
    state: &AppState,
    u: &PageUser,
    id: &str,
    e: Error,
    posted: BTreeMap<String, String>,
) -> Response {
    match messages(&u.tr, e) {
        Ok((status, errors)) => detail_page(state, u, id, None, errors, posted, status).await,
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

#[derive(Deserialize, Default)]
struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    unit: Option<String>,
    officer: Option<String>,
    resolution: Option<String>,
    acknowledgement: Option<String>,
    note: Option<String>,
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
    let posted: BTreeMap<String, String> = [
        ("action", Some(f.action.clone())),
        ("unit", f.unit.clone()),
        ("officer", f.officer.clone()),
        ("resolution", f.resolution.clone()),
        ("note", f.note.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_string(), v?)))
    .collect();
    let input = Step {
        action: f.action.clone(),
        unit: f.unit,
        officer: f.officer,
        resolution: f.resolution,
        acknowledgement: f.acknowledgement,
        note: f.note,
    };
    match state
        .pintu
        .complaint_step(&u.ctx, &id, &input, Utc::now())
        .await
    {
        Ok(c) => {
            let action = f.action.trim();
            let n = format!("complaint-done-{action}");
            let n = if NOTICES.contains(&n.as_str()) {
                n
            } else {
                String::new()
            };
            Redirect::to(&format!("/complaints/{}?notice={n}", c.id)).into_response()
        }
        Err(e) => failed(&state, &u, &id, e, posted).await,
    }
}

async fn attach(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let Ok(form) = form else {
        return error_page_code(
            &u.tr,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        );
    };
    let mut posted = read_multipart(form, "attachment_too_large").await;
    let csrf = posted.fields.remove("csrf").unwrap_or_default();
    match posted.failed {
        Some((StatusCode::PAYLOAD_TOO_LARGE, code)) => {
            if let Err(r) = check_csrf(&u, &csrf) {
                return r;
            }
            let errors = vec![format!("{}: {}", u.tr.field("file"), u.tr.error(code))];
            return detail_page(
                &state,
                &u,
                &id,
                None,
                errors,
                BTreeMap::new(),
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .await;
        }
        Some((status, code)) => return error_page_code(&u.tr, status, code),
        None => {}
    }
    if let Err(r) = check_csrf(&u, &csrf) {
        return r;
    }
    let Some((name, bytes)) = posted.file else {
        return failed(
            &state,
            &u,
            &id,
            Error::invalid("file", "required"),
            BTreeMap::new(),
        )
        .await;
    };
    match state
        .pintu
        .attach_to_complaint(&u.ctx, &id, &name, bytes, Utc::now())
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/complaints/{id}?notice=complaint-attached")).into_response()
        }
        Err(e) => failed(&state, &u, &id, e, BTreeMap::new()).await,
    }
}

/// An attachment, downloaded (never shown inline: it is the resident's document).
async fn attachment(
    State(state): State<AppState>,
    u: PageUser,
    Path((id, aid)): Path<(String, String)>,
) -> Response {
    match state.pintu.complaint_attachment(&u.ctx, &id, &aid).await {
        Ok((row, bytes)) => {
            let ascii: String = row
                .file_name
                .chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || matches!(ch, '-' | '.' | '_') {
                        ch
                    } else {
                        '_'
                    }
                })
                .collect();
            let disposition = format!(
                "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                enc(&row.file_name)
            );
            (
                [
                    (header::CONTENT_TYPE, row.content_type),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, "private, no-store".to_string()),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

#[derive(Deserialize)]
struct CorrectionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: String,
}

async fn correct(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<CorrectionForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let posted = BTreeMap::from([
        ("action".to_string(), "correct".to_string()),
        ("person_id".to_string(), f.person_id.clone()),
        ("field".to_string(), f.field.clone()),
        ("value".to_string(), f.value.clone()),
    ]);
    let correction = Correction {
        person_id: f.person_id,
        field: f.field,
        value: f.value,
    };
    match state
        .pintu
        .correct_from_complaint(&u.ctx, &id, &correction, Utc::now())
        .await
    {
        Ok(c) => Redirect::to(&format!("/complaints/{}?notice=complaint-corrected", c.id))
            .into_response(),
        Err(e) => failed(&state, &u, &id, e, posted).await,
    }
}

// ---- call-backs --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "complaints_callbacks.html")]
struct CallbacksPage {
    l: Layout,
    tabs: Vec<Tab>,
    open: bool,
    items: Vec<CallbackView>,
    next: Option<String>,
    notice: Option<String>,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
struct CallbackQuery {
    status: Option<String>,
    after: Option<String>,
    notice: Option<String>,
}

async fn callbacks(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let notice = notice(&u.tr, q.notice.as_deref());
    callbacks_page(&state, &u, &q, notice, Vec::new(), StatusCode::OK).await
}

async fn callbacks_page(
    state: &AppState,
    u: &PageUser,
    q: &CallbackQuery,
    notice: Option<String>,
    errors: Vec<String>,
    code: StatusCode,
) -> Response {
    let status = match q.status.as_deref() {
        Some("done") => "done",
        _ => "open",
    };
    let page = state
        .pintu
        .callbacks(&u.ctx, None, Some(status), q.after.as_deref(), Some(50))
        .await;
    match page {
        Ok(p) => {
            let tabs = [
                ("open", "complaints-callbacks-tab-open"),
                ("done", "complaints-callbacks-tab-done"),
            ]
            .iter()
            .map(|(s, key)| {
                (
                    format!("/complaints/callbacks?status={s}"),
                    u.tr.t(key),
                    *s == status,
                )
            })
            .collect();
            (
                code,
                render(&CallbacksPage {
                    l: Layout::for_user(
                        u,
                        "complaints-callbacks-title",
                        "complaints",
                        "/complaints/callbacks",
                    ),
                    tabs,
                    open: status == "open",
                    items: p.items.iter().map(|c| CallbackView::of(&u.tr, c)).collect(),
                    next: p.next.map(|n| {
                        format!("/complaints/callbacks?status={status}&after={}", enc(&n))
                    }),
                    notice,
                    errors,
                }),
            )
                .into_response()
        }
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

#[derive(Deserialize)]
struct CallbackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    note: Option<String>,
}

async fn complete_callback(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<CallbackForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    match state
        .pintu
        .complete_callback(&u.ctx, &id, &f.outcome, &f.note, Utc::now())
        .await
    {
        Ok(cb) => {
            let n = if cb.outcome.as_deref() == Some("not_reachable") {
                "complaint-callback-done-not-reachable"
            } else {
                "complaint-callback-done"
            };
            Redirect::to(&format!("/complaints/callbacks?notice={n}")).into_response()
        }
        Err(e) => match messages(&u.tr, e) {
            Ok((status, errors)) => {
                callbacks_page(&state, &u, &CallbackQuery::default(), None, errors, status).await
            }
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

// ---- statistics and reports --------------------------------------------------------------

/// One line of counts, formatted.
struct CountsRow {
    label: String,
    received: u64,
    resolved: u64,
    share: String,
    average: String,
    median: String,
    overdue: u64,
    escalated: u64,
    ombudsman: u64,
}

impl CountsRow {
    fn of(lang: Lang, label: String, c: &Counts) -> CountsRow {
        CountsRow {
            label,
            received: c.received,
            resolved: c.resolved,
            share: percent(lang, c.share_resolved),
            average: days(lang, c.average_days),
            median: days(lang, c.median_days),
            overdue: c.overdue,
            escalated: c.escalated,
            ombudsman: c.reached_ombudsman,
        }
    }
}

/// A horizontal bar chart: received and, over it, resolved, per group.
struct Chart {
    /// Where the labels end and the bars start.
    label_x: u32,
    bar_x: u32,
    /// Where the legend's second entry starts.
    legend_x: u32,
    title: String,
    height: u32,
    bars: Vec<Bar>,
    legend_received: String,
    legend_resolved: String,
}

struct Bar {
    label: String,
    y: u32,
    text_y: u32,
    received_w: u32,
    resolved_w: u32,
    value_x: u32,
    received: u64,
    resolved: u64,
}

/// The chart's geometry, in the SVG's own units (it scales to the page's width).
const CHART_LABEL_W: u32 = 270;
const CHART_BAR_W: u32 = 310;
const CHART_ROW: u32 = 26;
const CHART_TOP: u32 = 28;
/// Labels longer than this are shortened.
const CHART_LABEL_CHARS: usize = 36;

fn chart(tr: &Tr, title: String, rows: &[CountsRow]) -> Option<Chart> {
    if rows.is_empty() {
        return None;
    }
    let max = rows.iter().map(|r| r.received).max().unwrap_or(0).max(1);
    let width = |n: u64| -> u32 {
        let w = (n as f64 / max as f64 * f64::from(CHART_BAR_W)).round() as u32;
        if n > 0 { w.max(2) } else { 0 }
    };
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let y = CHART_TOP + i as u32 * CHART_ROW;
            let label = if r.label.chars().count() > CHART_LABEL_CHARS {
                let short: String = r.label.chars().take(CHART_LABEL_CHARS - 1).collect();
                format!("{short}…")
            } else {
                r.label.clone()
            };
            Bar {
                label,
                y,
                text_y: y + 14,
                received_w: width(r.received),
                resolved_w: width(r.resolved),
                value_x: CHART_LABEL_W + width(r.received) + 6,
                received: r.received,
                resolved: r.resolved,
            }
        })
        .collect::<Vec<_>>();
    Some(Chart {
        title,
        label_x: CHART_LABEL_W - 8,
        bar_x: CHART_LABEL_W,
        legend_x: CHART_LABEL_W + 150,
        height: CHART_TOP + bars.len() as u32 * CHART_ROW + 4,
        bars,
        legend_received: tr.t("complaint-stat-received"),
        legend_resolved: tr.t("complaint-stat-resolved"),
    })
}

/// Words for the groups of one dimension: area names, labels of codes.
async fn group_rows(
    state: &AppState,
    tr: &Tr,
    by: &str,
    groups: &[(String, Counts)],
) -> Vec<CountsRow> {
    // Levels and statuses in the order a complaint goes through them.
    let rank = |k: &str| match by {
        "level" => Level::ALL.iter().position(|l| l.code() == k),
        "status" => Status::ALL.iter().position(|x| x.code() == k),
        _ => None,
    };
    let mut groups: Vec<&(String, Counts)> = groups.iter().collect();
    groups.sort_by_key(|(k, _)| rank(k));
    let mut rows = Vec::with_capacity(groups.len());
    for (key, counts) in groups {
        let name = match by {
            "category" | "level" | "channel" | "status" => label(tr, by, key),
            "programme" if key == "-" => tr.t("complaint-programme-none"),
            "area" => village_label(state, key).await,
            _ => key.clone(),
        };
        rows.push(CountsRow::of(tr.lang, name, counts));
    }
    rows
}

/// The current month (`YYYY-MM`) and half year (`YYYY-H1`), for the report links.
fn current_periods() -> (String, String) {
    let t = today();
    let half = if t.month() <= 6 { "H1" } else { "H2" };
    (
        t.format("%Y-%m").to_string(),
        format!("{}-{half}", t.year()),
    )
}

#[derive(Template)]
#[template(path = "complaints_reports.html")]
struct ReportsPage {
    l: Layout,
    area: String,
    from: String,
    to: String,
    dims: Vec<Opt>,
    by_label: String,
    total: Option<CountsRow>,
    rows: Vec<CountsRow>,
    chart: Option<Chart>,
    errors: Vec<String>,
    monthly: String,
    half_year: String,
    month: String,
    half: String,
}

#[derive(Deserialize, Default)]
struct StatsQuery {
    area: Option<String>,
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
}

async fn reports(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<StatsQuery>,
) -> Response {
    let tr = &u.tr;
    let area = q.area.clone().unwrap_or_default().trim().to_string();
    let stats = state
        .pintu
        .complaint_stats(
            &u.ctx,
            Some(area.as_str()),
            q.from.as_deref(),
            q.to.as_deref(),
            q.by.as_deref(),
            Utc::now(),
        )
        .await;
    let (month, half) = current_periods();
    let area_q = if area.is_empty() {
        String::new()
    } else {
        format!("&area={}", enc(&area))
    };
    let mut page = ReportsPage {
        l: Layout::for_user(
            &u,
            "complaints-reports-title",
            "complaints",
            "/complaints/reports",
        ),
        area: area.clone(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        dims: Vec::new(),
        by_label: String::new(),
        total: None,
        rows: Vec::new(),
        chart: None,
        errors: Vec::new(),
        monthly: format!("/complaints/reports/monthly?period={month}{area_q}"),
        half_year: format!("/complaints/reports/half-year?period={half}{area_q}"),
        month,
        half,
    };
    let by = q.by.clone().unwrap_or_default();
    let status = match stats {
        Ok(s) => {
            page.from = s.from.to_string();
            page.to = s.to.to_string();
            page.by_label = tr.t(&format!("complaint-by-{}", s.by));
            page.total = Some(CountsRow::of(
                tr.lang,
                tr.t("complaint-stat-total"),
                &s.total,
            ));
            page.rows = group_rows(&state, tr, &s.by, &s.groups).await;
            page.chart = chart(tr, page.by_label.clone(), &page.rows);
            page.dims = options(tr, "by", STAT_DIMENSIONS, &s.by);
            StatusCode::OK
        }
        Err(e) => match messages(tr, e) {
            Ok((status, errors)) => {
                page.errors = errors;
                page.dims = options(tr, "by", STAT_DIMENSIONS, &by);
                status
            }
            Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    };
    (status, render(&page)).into_response()
}

/// Counts by group, as the service gives them.
type Groups = [(String, Counts)];

/// A part of a printed report: a table and its chart.
struct Section {
    title: String,
    rows: Vec<CountsRow>,
    chart: Option<Chart>,
}

#[derive(Template)]
#[template(path = "complaints_report.html")]
struct ReportPage {
    l: Layout,
    heading: String,
    area: String,
    period: String,
    from: String,
    to: String,
    total: CountsRow,
    sections: Vec<Section>,
    printed: String,
    back: String,
}

#[derive(Deserialize, Default)]
struct ReportQuery {
    period: Option<String>,
    area: Option<String>,
}

async fn monthly_report(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<ReportQuery>,
) -> Response {
    let period = q.period.clone().unwrap_or_else(|| current_periods().0);
    report_page(&state, &u, &period, q.area.as_deref(), "monthly").await
}

async fn half_year_report(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<ReportQuery>,
) -> Response {
    let period = q.period.clone().unwrap_or_else(|| current_periods().1);
    report_page(&state, &u, &period, q.area.as_deref(), "half_year").await
}

async fn report_page(
    state: &AppState,
    u: &PageUser,
    period: &str,
    area: Option<&str>,
    kind: &str,
) -> Response {
    let tr = &u.tr;
    let r: Report = match state
        .pintu
        .complaint_report(&u.ctx, area, period, Utc::now())
        .await
    {
        Ok(r) if r.kind == kind => r,
        // A month asked of the half-yearly report, or the other way round.
        Ok(_) => {
            return error_page(
                tr.clone(),
                Error::invalid("period", "period_invalid"),
                u.ctx.request_id.clone(),
            );
        }
        Err(e) => return error_page(tr.clone(), e, u.ctx.request_id.clone()),
    };
    let area_name = match r.area.as_deref() {
        Some(a) => village_label(state, a).await,
        None => tr.t("dashboard-national"),
    };
    let parts: [(&str, &str, &Groups); 5] = [
        ("category", "complaint-by-category", &r.by_category),
        ("programme", "complaint-by-programme", &r.by_programme),
        ("level", "complaint-by-level", &r.by_level),
        ("area", "complaint-by-area", &r.by_area),
        ("month", "complaint-by-month", &r.by_month),
    ];
    let mut sections = Vec::new();
    for (by, key, groups) in parts {
        let rows = group_rows(state, tr, by, groups).await;
        let title = tr.t(key);
        sections.push(Section {
            chart: chart(tr, title.clone(), &rows),
            title,
            rows,
        });
    }
    let path = match kind {
        "monthly" => "/complaints/reports/monthly",
        _ => "/complaints/reports/half-year",
    };
    let mut here = format!("{path}?period={}", enc(period));
    if let Some(a) = area.filter(|a| !a.trim().is_empty()) {
        here.push_str(&format!("&area={}", enc(a)));
    }
    let page = ReportPage {
        l: Layout::for_user(u, &format!("complaint-report-{kind}"), "complaints", &here),
        heading: tr.t(&format!("complaint-report-{kind}")),
        area: area_name,
        period: period.trim().to_string(),
        from: r.from.to_string(),
        to: r.to.to_string(),
        total: CountsRow::of(tr.lang, tr.t("complaint-stat-total"), &r.total),
        sections,
        printed: at(Utc::now()),
        back: "/complaints/reports".into(),
    };
    render(&page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pintu_domain::complaints::Acknowledgement;

    #[test]
    fn numbers_use_the_decimal_comma_in_indonesian() {
        assert_eq!(percent(Lang::Id, 2.0 / 3.0), "66,7 %");
        assert_eq!(percent(Lang::En, 0.5), "50.0 %");
        assert_eq!(days(Lang::Id, Some(3.25)), "3,2");
        assert_eq!(days(Lang::En, None), "—");
    }

    #[test]
    fn codes_in_step_notes_are_put_in_words() {
        let tr = Tr::new(Lang::En);
        assert_eq!(event_note(&tr, "received", "sms"), "SMS");
        assert_eq!(
            event_note(&tr, "resolved", "answered: see the letter"),
            "Answered by the office: see the letter"
        );
        assert_eq!(
            event_note(&tr, "escalated", "overdue since 2026-05-01 09:00 UTC"),
            "Overdue since 2026-05-01 09:00 UTC"
        );
        assert_eq!(event_note(&tr, "forwarded", "a: b"), "a: b");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(enc("35.07 a&b"), "35.07+a%26b");
    }

    #[test]
    fn every_code_has_a_label_in_both_languages() {
        for lang in [Lang::Id, Lang::En] {
            let tr = Tr::new(lang);
            let mut keys: Vec<String> = Vec::new();
            keys.extend(
                Channel::ALL
                    .iter()
                    .map(|c| format!("complaint-channel-{}", c.code())),
            );
            keys.extend(
                Category::ALL
                    .iter()
                    .map(|c| format!("complaint-category-{}", c.code())),
            );
            keys.extend(
                Level::ALL
                    .iter()
                    .map(|c| format!("complaint-level-{}", c.code())),
            );
            keys.extend(
                Unit::ALL
                    .iter()
                    .map(|c| format!("complaint-unit-{}", c.code())),
            );
            keys.extend(
                Status::ALL
                    .iter()
                    .map(|c| format!("complaint-status-{}", c.code())),
            );
            keys.extend(
                Resolution::ALL
                    .iter()
                    .map(|c| format!("complaint-resolution-{}", c.code())),
            );
            keys.extend(
                Acknowledgement::ALL
                    .iter()
                    .map(|c| format!("complaint-acknowledgement-{}", c.code())),
            );
            keys.extend(STAT_DIMENSIONS.iter().map(|d| format!("complaint-by-{d}")));
            for e in [
                "received",
                "forwarded",
                "assigned",
                "escalated",
                "responded",
                "resolved",
                "acknowledged",
                "reopened",
                "corrected",
                "attached",
                "called_back",
            ] {
                keys.push(format!("complaint-event-{e}"));
            }
            for o in ["reached", "not_reachable"] {
                keys.push(format!("complaint-outcome-{o}"));
            }
            keys.extend(NOTICES.iter().map(|n| n.to_string()));
            keys.extend(TABS.iter().map(|(_, k)| k.to_string()));
            for f in CORRECTABLE_FIELDS {
                keys.push(format!("field-{f}"));
            }
            for k in keys {
                assert!(tr.has(&k), "{k} missing in {}", lang.code());
            }
        }
    }
}
