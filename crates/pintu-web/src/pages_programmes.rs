//! The programme pages (PRG-1, PRG-2): the catalogue with its filters, each programme's
//! single form in plain words, and its printable leaflet — readable by anyone, logged in or
//! not, since they hold no personal data — and, for the officers who keep the catalogue, the
//! programme form, the rule editor (errors as you type, a new version with its effective
//! date), quotas per area and ending a programme.

use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use pintu_domain::access::Scope;
use pintu_domain::programmes::{
    BenefitPeriod, Document, Guarantee, Kind, ProgrammeInput, Target, keeps_catalogue,
    may_set_quota,
};
use pintu_domain::rules::{self, CompareOp, Expr, ExprKind, Subject, Value};
use pintu_domain::{AreaCode, Invalid};
use pintu_service::programmes::{ProgrammeDetail, ProgrammeQuery, RuleVersionInput};
use pintu_service::{Error, today};
use pintu_store::programmes::ProgrammeRow;
use serde::Deserialize;

use crate::AppState;
use crate::api_programmes::{RuleFieldsOut, check_text, rule_fields_of};
use crate::error::RuleErrorOut;
use crate::i18n::{Lang, Tr};
use crate::pages::{CsrfForm, FormErrors, Layout, check_csrf, error_page, render};
use crate::session::{PageUser, SESSION_COOKIE, page_lang};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/programmes", get(list))
        .route("/programmes/new", get(new_form).post(create))
        .route("/programmes/rule-check", post(rule_check))
        .route("/programmes/{code}", get(detail))
        .route("/programmes/{code}/leaflet", get(leaflet))
        .route("/programmes/{code}/edit", get(edit_form).post(edit))
        .route("/programmes/{code}/rules", get(rules_page).post(add_rule))
        .route("/programmes/{code}/quotas", post(set_quota))
        .route("/programmes/{code}/quotas/remove", post(remove_quota))
        .route("/programmes/{code}/end", post(end))
}

/// Notices a redirect may ask a programme page to show.
const NOTICES: [&str; 8] = [
    "programme-created",
    "programme-saved",
    "programme-rule-saved",
    "programme-quota-saved",
    "programme-quota-removed",
    "programme-was-ended",
    "programme-deleted",
    "programme-questions-saved",
];

fn notice(tr: &Tr, n: Option<&str>) -> Option<String> {
    n.filter(|n| NOTICES.contains(n)).map(|n| tr.t(n))
}

// ---- who is reading -------------------------------------------------------------------------

/// Whoever reads a programme page: an officer when logged in, anyone otherwise.
pub struct Visitor {
    pub user: Option<PageUser>,
    pub tr: Tr,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let user = if jar.get(SESSION_COOKIE).is_some() {
            PageUser::from_request_parts(parts, state).await.ok()
        } else {
            None
        };
        let tr = match &user {
            Some(u) => u.tr.clone(),
            None => Tr::new(page_lang(&jar)),
        };
        Ok(Visitor { user, tr })
    }
}

impl Visitor {
    /// The officers' frame when logged in; the public frame (no menu) otherwise.
    fn layout(&self, title: String, path: &str) -> Layout {
        match &self.user {
            Some(u) => {
                let mut l = Layout::for_user(u, "programmes-title", "programmes", path);
                l.title = title;
                l
            }
            None => Layout::public(self.tr.clone(), title, "programmes", path),
        }
    }

    fn error(&self, e: Error) -> Response {
        let request_id = self.user.as_ref().and_then(|u| u.ctx.request_id.clone());
        error_page(self.tr.clone(), e, request_id)
    }
}

// ---- words -------------------------------------------------------------------------------

/// The label of a code of one kind (`guarantee`, `kind`, `target`, `period`).
fn label(tr: &Tr, kind: &str, code: &str) -> String {
    let key = format!("programme-{kind}-{code}");
    if tr.has(&key) {
        tr.t(&key)
    } else {
        code.to_string()
    }
}

/// One of two texts by language, the other when the first is missing.
fn pick(lang: Lang, id: &Option<String>, en: &Option<String>) -> Option<String> {
    let (first, second) = match lang {
        Lang::Id => (id, en),
        Lang::En => (en, id),
    };
    first.clone().or_else(|| second.clone())
}

fn name(lang: Lang, p: &ProgrammeRow) -> String {
    match lang {
        Lang::Id => p.name_id.clone(),
        Lang::En => p.name_en.clone(),
    }
}

/// Whole rupiah with the thousands grouped as each language writes them.
fn rupiah(lang: Lang, amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let sep = match lang {
        Lang::Id => '.',
        Lang::En => ',',
    };
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    let sign = if amount < 0 { "-" } else { "" };
    format!("Rp {sign}{out}")
}

/// A number of people with the thousands grouped.
fn count(lang: Lang, n: i64) -> String {
    rupiah(lang, n).trim_start_matches("Rp ").to_string()
}

/// The benefit in words: the text, and the amount with its period.
fn benefit(tr: &Tr, p: &ProgrammeRow) -> (Option<String>, Option<String>) {
    let text = pick(tr.lang, &p.benefit_id, &p.benefit_en);
    let amount = p.benefit_amount.map(|a| {
        let money = rupiah(tr.lang, a);
        match p.benefit_period.as_deref() {
            Some(period) => format!("{money} {}", label(tr, "per", period)),
            None => money,
        }
    });
    (text, amount)
}

/// What a value looks like in a rule's reading.
fn value_words(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Text(t) => format!("“{t}”"),
        Value::Null => "—".into(),
    }
}

/// A rule read in plain words, one line per clause of its top-level "and".
pub(crate) fn reading(tr: &Tr, rule: &str) -> Vec<String> {
    match rules::check(rule) {
        Ok(r) => match &r.expr.kind {
            ExprKind::And(items) => items.iter().map(|e| words(tr, e, false)).collect(),
            _ => vec![words(tr, &r.expr, false)],
        },
        Err(_) => Vec::new(),
    }
}

fn field_label(lang: Lang, (id, en): (&str, &str)) -> String {
    match lang {
        Lang::Id => id.to_string(),
        Lang::En => en.to_string(),
    }
}

/// An expression in words; `nested` puts a compound in parentheses.
fn words(tr: &Tr, e: &Expr, nested: bool) -> String {
    let lang = tr.lang;
    let paren = |s: String| if nested { format!("({s})") } else { s };
    match &e.kind {
        ExprKind::Literal(v) => value_words(v),
        ExprKind::Field(Subject::Person, f) => field_label(lang, f.label()),
        ExprKind::Field(Subject::Member, f) => tr.t1(
            "rules-words-member-field",
            "field",
            field_label(lang, f.label()),
        ),
        ExprKind::Household(f) => field_label(lang, f.label()),
        ExprKind::Known(x) => tr.t1("rules-words-known", "x", words(tr, x, true)),
        ExprKind::Enrolled(Subject::Person, code) => tr.t1("rules-words-enrolled", "code", code),
        ExprKind::Enrolled(Subject::Member, code) => {
            tr.t1("rules-words-member-enrolled", "code", code)
        }
        ExprKind::HouseholdEnrolled(code) => tr.t1("rules-words-household-enrolled", "code", code),
        ExprKind::InArea(_, area) => tr.t1("rules-words-in-area", "area", area),
        ExprKind::Not(x) => match &x.kind {
            ExprKind::Enrolled(Subject::Person, code) => {
                tr.t1("rules-words-not-enrolled", "code", code)
            }
            ExprKind::HouseholdEnrolled(code) => {
                tr.t1("rules-words-household-not-enrolled", "code", code)
            }
            _ => tr.t1("rules-words-not", "x", words(tr, x, true)),
        },
        ExprKind::And(items) => paren(
            items
                .iter()
                .map(|i| words(tr, i, true))
                .collect::<Vec<_>>()
                .join(&format!(" {} ", tr.t("rules-words-and"))),
        ),
        ExprKind::Or(items) => paren(
            items
                .iter()
                .map(|i| words(tr, i, true))
                .collect::<Vec<_>>()
                .join(&format!(" {} ", tr.t("rules-words-or"))),
        ),
        ExprKind::Compare(op, a, b) => {
            let key = match op {
                CompareOp::Eq => "rules-words-eq",
                CompareOp::Ne => "rules-words-ne",
                CompareOp::Lt => "rules-words-lt",
                CompareOp::Le => "rules-words-le",
                CompareOp::Gt => "rules-words-gt",
                CompareOp::Ge => "rules-words-ge",
            };
            format!(
                "{} {} {}",
                words(tr, a, true),
                tr.t(key),
                words(tr, b, true)
            )
        }
        ExprKind::Arith(op, a, b) => {
            let sign = match op {
                rules::ArithOp::Add => "+",
                rules::ArithOp::Sub => "−",
                rules::ArithOp::Mul => "×",
            };
            paren(format!(
                "{} {sign} {}",
                words(tr, a, true),
                words(tr, b, true)
            ))
        }
        ExprKind::In(x, list) => {
            let values: Vec<String> = list.iter().map(value_words).collect();
            format!(
                "{} {} {}",
                words(tr, x, true),
                tr.t("rules-words-in"),
                values.join(", ")
            )
        }
        ExprKind::MembersExist(p) => tr.t1("rules-words-exists", "x", words(tr, p, false)),
        ExprKind::MembersAll(p) => tr.t1("rules-words-all", "x", words(tr, p, false)),
        ExprKind::MembersCount(p) => tr.t1("rules-words-count", "x", words(tr, p, false)),
    }
}

// ---- the catalogue -----------------------------------------------------------------------

/// A programme as a row of the catalogue shows it.
pub struct ProgrammeLine {
    pub code: String,
    pub name: String,
    pub guarantee: String,
    pub kind: String,
    pub owner: String,
    pub area: String,
    pub benefit: String,
    pub active: bool,
    pub example: bool,
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

/// The name of an area (its code when unknown), or "national" for none.
async fn area_name(state: &AppState, tr: &Tr, code: Option<&str>) -> String {
    match code {
        None => tr.t("programme-national"),
        Some(c) => match state.pintu.store.area(c).await {
            Ok(Some(a)) => format!("{} ({c})", a.name),
            _ => c.to_string(),
        },
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    guarantee: Option<String>,
    kind: Option<String>,
    /// `active` (default: running today) or `all`.
    show: Option<String>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "programmes.html")]
struct ListPage {
    l: Layout,
    q: String,
    show_all: bool,
    guarantees: Vec<Opt>,
    kinds: Vec<Opt>,
    rows: Vec<ProgrammeLine>,
    may_create: bool,
    notice: Option<String>,
    error: Option<String>,
}

async fn list(State(state): State<AppState>, v: Visitor, Query(q): Query<ListQuery>) -> Response {
    let tr = v.tr.clone();
    let text = q.q.clone().unwrap_or_default();
    let guarantee = q.guarantee.clone().unwrap_or_default();
    let kind = q.kind.clone().unwrap_or_default();
    let show_all = q.show.as_deref() == Some("all");
    let query = ProgrammeQuery {
        active_on: (!show_all).then(|| today().to_string()),
        guarantee: Some(guarantee.clone()),
        kind: Some(kind.clone()),
        q: Some(text.clone()),
    };
    let (rows, error) = match state.pintu.programmes(&query).await {
        Ok(rows) => (rows, None),
        Err(Error::Invalid(inv)) => (vec![], inv.0.first().map(|e| tr.error(e.code))),
        Err(e) => return v.error(e),
    };
    let on = today();
    let mut lines = Vec::with_capacity(rows.len());
    for p in &rows {
        let (text, amount) = benefit(&tr, p);
        lines.push(ProgrammeLine {
            code: p.code.clone(),
            name: name(tr.lang, p),
            guarantee: label(&tr, "guarantee", &p.guarantee),
            kind: label(&tr, "kind", &p.kind),
            owner: p.owner_agency.clone(),
            area: area_name(&state, &tr, p.area_code.as_deref()).await,
            benefit: amount.or(text).unwrap_or_default(),
            active: p.active_from <= on && p.active_until.is_none_or(|u| u >= on),
            example: p.example,
        });
    }
    let may_create = v
        .user
        .as_ref()
        .is_some_and(|u| keeps_catalogue(&u.ctx.actor));
    render(&ListPage {
        l: v.layout(tr.t("programmes-title"), "/programmes"),
        q: text,
        show_all,
        guarantees: options(
            &tr,
            "guarantee",
            Guarantee::ALL.iter().map(|g| g.code()),
            &guarantee,
        ),
        kinds: options(&tr, "kind", Kind::ALL.iter().map(|k| k.code()), &kind),
        rows: lines,
        may_create,
        notice: notice(&tr, q.notice.as_deref()),
        error,
    })
}

// ---- a programme -------------------------------------------------------------------------

/// A programme's single form in words.
pub struct ProgrammeView {
    pub code: String,
    pub name: String,
    /// The name in the other language.
    pub other_name: String,
    pub description: Option<String>,
    pub owner_agency: String,
    pub technical_unit: Option<String>,
    pub guarantee: String,
    pub kind: String,
    pub target: String,
    pub benefit: Option<String>,
    pub amount: Option<String>,
    pub area: String,
    pub budget: Option<String>,
    pub quota: Option<String>,
    pub need: Option<String>,
    pub rank_by: String,
    pub documents: Vec<String>,
    pub procedure: Option<String>,
    pub focal_point: Option<String>,
    pub period: String,
    pub active: bool,
    pub example: bool,
    pub requires: Vec<String>,
    pub implies: Vec<String>,
    /// The rule in force today, its version and its reading in plain words.
    pub rule: Option<String>,
    pub rule_version: Option<i32>,
    pub reading: Vec<String>,
    pub updated_by: String,
    pub updated_at: String,
}

async fn view_of(state: &AppState, tr: &Tr, d: &ProgrammeDetail) -> ProgrammeView {
    let p = &d.programme;
    let (benefit_text, amount) = benefit(tr, p);
    let period = match p.active_until {
        Some(u) => tr.t1(
            "programme-period-until",
            "range",
            format!("{} – {u}", p.active_from),
        ),
        None => tr.t1("programme-period-since", "from", p.active_from),
    };
    let rule = d.rule_in_force.as_ref().map(|r| r.rule.clone());
    ProgrammeView {
        code: p.code.clone(),
        name: name(tr.lang, p),
        other_name: name(tr.other_lang(), p),
        description: pick(tr.lang, &p.description_id, &p.description_en),
        owner_agency: p.owner_agency.clone(),
        technical_unit: p.technical_unit.clone(),
        guarantee: label(tr, "guarantee", &p.guarantee),
        kind: label(tr, "kind", &p.kind),
        target: label(tr, "target", &p.target),
        benefit: benefit_text,
        amount,
        area: area_name(state, tr, p.area_code.as_deref()).await,
        budget: p.budget.map(|b| rupiah(tr.lang, b)),
        quota: p.quota.map(|q| count(tr.lang, q)),
        need: p.need.clone(),
        rank_by: p.rank_by.clone(),
        documents: d
            .documents
            .iter()
            .map(|doc| match tr.lang {
                Lang::Id => doc.id.clone(),
                Lang::En => doc.en.clone(),
            })
            .collect(),
        procedure: pick(tr.lang, &p.procedure_id, &p.procedure_en),
        focal_point: p.focal_point.clone(),
        period,
        active: d.active,
        example: p.example,
        requires: d.requires.clone(),
        implies: d.implies.clone(),
        reading: rule.as_deref().map(|r| reading(tr, r)).unwrap_or_default(),
        rule,
        rule_version: d.rule_in_force.as_ref().map(|r| r.version),
        updated_by: p.updated_by.clone(),
        updated_at: p.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// A version of the rule as the page lists it.
pub struct VersionLine {
    pub version: i32,
    pub rule: String,
    pub effective_from: String,
    pub note: Option<String>,
    pub created_by: String,
    pub in_force: bool,
    pub future: bool,
}

fn versions(d: &ProgrammeDetail) -> Vec<VersionLine> {
    let in_force = d.rule_in_force.as_ref().map(|r| r.version);
    let on = today();
    d.rules
        .iter()
        .map(|r| VersionLine {
            version: r.version,
            rule: r.rule.clone(),
            effective_from: r.effective_from.to_string(),
            note: r.note.clone(),
            created_by: r.created_by.clone(),
            in_force: Some(r.version) == in_force,
            future: r.effective_from > on,
        })
        .collect()
}

/// A quota as the page lists it.
pub struct QuotaLine {
    pub area_code: String,
    pub area: String,
    pub quota: String,
    pub may_change: bool,
}

#[derive(Template)]
#[template(path = "programmes_detail.html")]
struct DetailPage {
    l: Layout,
    p: ProgrammeView,
    versions: Vec<VersionLine>,
    quotas: Vec<QuotaLine>,
    officer: bool,
    may_manage: bool,
    may_set_quotas: bool,
    quota_area: String,
    quota_value: String,
    errors: FormErrors,
    notice: Option<String>,
    /// The residents' questions and the call centre's answers, in the page's language.
    questions: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    v: Visitor,
    Path(code): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    detail_page(
        &state,
        &v,
        &code,
        q.notice.as_deref(),
        FormErrors::default(),
        (String::new(), String::new()),
        StatusCode::OK,
    )
    .await
}

/// Not a route: the programme page, also with the quota form's errors.
async fn detail_page(
    state: &AppState,
    v: &Visitor,
    code: &str,
    notice_key: Option<&str>,
    errors: FormErrors,
    (quota_area, quota_value): (String, String),
    status: StatusCode,
) -> Response {
    let d = match state.pintu.programme(code).await {
        Ok(d) => d,
        Err(e) => return v.error(e),
    };
    let tr = &v.tr;
    let p = view_of(state, tr, &d).await;
    let actor = v.user.as_ref().map(|u| &u.ctx.actor);
    let area = d
        .programme
        .area_code
        .as_deref()
        .and_then(|a| AreaCode::parse(a).ok());
    let may_manage = actor.is_some_and(|a| pintu_domain::programmes::may_manage(a, area.as_ref()));
    // The quota form shows to whoever may set a quota somewhere inside the programme's area.
    let may_set_quotas = actor.is_some_and(|a| {
        keeps_catalogue(a)
            && match (a.scope(), &area) {
                (Scope::National, _) | (Scope::Within(_), None) => true,
                (Scope::Within(home), Some(pa)) => pa.contains(&home) || home.contains(pa),
            }
    });
    let mut quotas = Vec::new();
    for q in &d.quotas {
        let may_change = match (actor, AreaCode::parse(&q.area_code)) {
            (Some(a), Ok(qa)) => may_set_quota(a, &qa),
            _ => false,
        };
        quotas.push(QuotaLine {
            area: area_name(state, tr, Some(&q.area_code)).await,
            area_code: q.area_code.clone(),
            quota: count(tr.lang, q.quota),
            may_change,
        });
    }
    let questions = match state.pintu.programme_questions(&d.programme.code).await {
        Ok(list) => list
            .into_iter()
            .map(|q| match tr.lang {
                Lang::En => (q.question_en, q.answer_en),
                _ => (q.question_id, q.answer_id),
            })
            .collect(),
        Err(e) => return v.error(e),
    };
    let page = DetailPage {
        questions,
        l: v.layout(p.name.clone(), &format!("/programmes/{}", d.programme.code)),
        p,
        versions: versions(&d),
        quotas,
        officer: v.user.is_some(),
        may_manage,
        may_set_quotas,
        quota_area,
        quota_value,
        errors,
        notice: notice(tr, notice_key),
    };
    (status, render(&page)).into_response()
}

#[derive(Template)]
#[template(path = "programmes_leaflet.html")]
struct LeafletPage {
    l: Layout,
    p: ProgrammeView,
    printed: String,
}

/// The printable one-page leaflet, in the language of the switch.
async fn leaflet(State(state): State<AppState>, v: Visitor, Path(code): Path<String>) -> Response {
    let d = match state.pintu.programme(&code).await {
        Ok(d) => d,
        Err(e) => return v.error(e),
    };
    let p = view_of(&state, &v.tr, &d).await;
    render(&LeafletPage {
        l: v.layout(
            p.name.clone(),
            &format!("/programmes/{}/leaflet", d.programme.code),
        ),
        p,
        printed: today().to_string(),
    })
}

// ---- the programme form ------------------------------------------------------------------

/// The programme form as posted: every field as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProgrammeForm {
    pub csrf: String,
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub description_id: String,
    pub description_en: String,
    pub owner_agency: String,
    pub technical_unit: String,
    pub guarantee: String,
    pub kind: String,
    pub target: String,
    pub benefit_id: String,
    pub benefit_en: String,
    pub benefit_amount: String,
    pub benefit_period: String,
    pub area_code: String,
    pub budget: String,
    pub quota: String,
    pub need: String,
    pub rank_by: String,
    /// One document a line: `Bahasa Indonesia | English`.
    pub documents: String,
    pub procedure_id: String,
    pub procedure_en: String,
    pub focal_point: String,
    pub active_from: String,
    pub active_until: String,
    /// Codes separated by commas or spaces.
    pub requires: String,
    pub implies: String,
    pub example: Option<String>,
    /// The first rule (new programmes only).
    pub rule: String,
    /// The `updated_at` the form was read with (edits only).
    pub updated_at: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A number as typed, thousands separators allowed; an error code otherwise.
fn number(s: &str, field: &str, errors: &mut Invalid) -> Option<i64> {
    let digits: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' ' | '_'))
        .collect();
    if digits.is_empty() {
        return None;
    }
    match digits.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(field, "number_invalid");
            None
        }
    }
}

fn code_list(s: &str) -> Vec<String> {
    s.split([',', ' ', '\n', ';'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

impl ProgrammeForm {
    /// The input, and the errors of what could not even be read (numbers).
    fn input(&self) -> (ProgrammeInput, Invalid) {
        let mut errors = Invalid::default();
        let documents = self
            .documents
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| match l.split_once('|') {
                Some((id, en)) => Document {
                    id: id.trim().into(),
                    en: en.trim().into(),
                },
                None => Document {
                    id: l.trim().into(),
                    en: String::new(),
                },
            })
            .collect();
        let input = ProgrammeInput {
            code: self.code.clone(),
            name_id: self.name_id.clone(),
            name_en: self.name_en.clone(),
            description_id: opt(&self.description_id),
            description_en: opt(&self.description_en),
            owner_agency: self.owner_agency.clone(),
            technical_unit: opt(&self.technical_unit),
            guarantee: self.guarantee.clone(),
            kind: self.kind.clone(),
            target: self.target.clone(),
            benefit_id: opt(&self.benefit_id),
            benefit_en: opt(&self.benefit_en),
            benefit_amount: number(&self.benefit_amount, "benefit_amount", &mut errors),
            benefit_period: opt(&self.benefit_period),
            area_code: opt(&self.area_code),
            budget: number(&self.budget, "budget", &mut errors),
            quota: number(&self.quota, "quota", &mut errors),
            need: opt(&self.need),
            rank_by: opt(&self.rank_by),
            documents,
            procedure_id: opt(&self.procedure_id),
            procedure_en: opt(&self.procedure_en),
            focal_point: opt(&self.focal_point),
            active_from: self.active_from.clone(),
            active_until: opt(&self.active_until),
            requires: code_list(&self.requires),
            implies: code_list(&self.implies),
            example: self.example.is_some(),
        };
        (input, errors)
    }

    /// The form of a programme as it stands.
    fn of(input: &ProgrammeInput, updated_at: Option<DateTime<Utc>>) -> ProgrammeForm {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        let n = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        ProgrammeForm {
            csrf: String::new(),
            code: input.code.clone(),
            name_id: input.name_id.clone(),
            name_en: input.name_en.clone(),
            description_id: s(&input.description_id),
            description_en: s(&input.description_en),
            owner_agency: input.owner_agency.clone(),
            technical_unit: s(&input.technical_unit),
            guarantee: input.guarantee.clone(),
            kind: input.kind.clone(),
            target: input.target.clone(),
            benefit_id: s(&input.benefit_id),
            benefit_en: s(&input.benefit_en),
            benefit_amount: n(input.benefit_amount),
            benefit_period: s(&input.benefit_period),
            area_code: s(&input.area_code),
            budget: n(input.budget),
            quota: n(input.quota),
            need: s(&input.need),
            rank_by: s(&input.rank_by),
            documents: input
                .documents
                .iter()
                .map(|d| format!("{} | {}", d.id, d.en))
                .collect::<Vec<_>>()
                .join("\n"),
            procedure_id: s(&input.procedure_id),
            procedure_en: s(&input.procedure_en),
            focal_point: s(&input.focal_point),
            active_from: input.active_from.clone(),
            active_until: s(&input.active_until),
            requires: input.requires.join(", "),
            implies: input.implies.join(", "),
            example: input.example.then(|| "on".to_string()),
            rule: String::new(),
            updated_at: updated_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
                .unwrap_or_default(),
        }
    }
}

/// Field errors as the form shows them: a list's entries on the list's field.
fn form_errors(tr: &Tr, inv: Invalid) -> FormErrors {
    let mut merged = Invalid::default();
    for e in inv.0 {
        let field = match e.field.split_once('[') {
            Some((list, _)) => list.to_string(),
            None => e.field,
        };
        if !merged
            .0
            .iter()
            .any(|m| m.field == field && m.code == e.code)
        {
            merged.push(field, e.code);
        }
    }
    match FormErrors::from_error(Error::Invalid(merged), tr) {
        Ok((_, errors)) => errors,
        Err(_) => FormErrors::default(),
    }
}

#[derive(Template)]
#[template(path = "programmes_form.html")]
struct FormPage {
    l: Layout,
    /// A new programme (else an edit of `f.code`).
    new: bool,
    f: ProgrammeForm,
    guarantees: Vec<Opt>,
    kinds: Vec<Opt>,
    targets: Vec<Opt>,
    periods: Vec<Opt>,
    errors: FormErrors,
    /// The errors partials, rendered.
    rule_errors: String,
    rank_errors: String,
    fields: RuleFieldsOut,
}

/// The errors of a rule (or ranking order) under its box: filled as you type.
#[derive(Template)]
#[template(path = "programmes_rule_errors.html")]
pub struct RuleErrorsPartial {
    pub tr: Tr,
    /// Nothing was checked yet.
    pub unchecked: bool,
    pub errors: Vec<RuleErrorOut>,
    /// For a rule that checks: how many people in the officer's area it makes eligible today.
    pub preview: Option<String>,
}

impl RuleErrorsPartial {
    /// The partial as HTML, to place inside a page.
    fn html(&self) -> String {
        self.render().unwrap_or_default()
    }

    fn unchecked(tr: &Tr) -> RuleErrorsPartial {
        RuleErrorsPartial {
            tr: tr.clone(),
            unchecked: true,
            errors: vec![],
            preview: None,
        }
    }

    fn of(tr: &Tr, text: &str, kind: &str) -> RuleErrorsPartial {
        let errors = check_text(text, kind).unwrap_or_default();
        RuleErrorsPartial {
            tr: tr.clone(),
            unchecked: false,
            errors: errors
                .iter()
                .map(|e| RuleErrorOut::of(e, tr.lang))
                .collect(),
            preview: None,
        }
    }
}

fn form_page(
    u: &PageUser,
    new: bool,
    f: ProgrammeForm,
    errors: FormErrors,
    checked: bool,
) -> FormPage {
    let tr = &u.tr;
    let (title, path) = if new {
        (tr.t("programme-new-title"), "/programmes/new".to_string())
    } else {
        (
            tr.t1("programme-edit-title", "code", &f.code),
            format!("/programmes/{}/edit", f.code),
        )
    };
    let mut l = Layout::for_user(u, "programmes-title", "programmes", &path);
    l.title = title;
    let (rule_errors, rank_errors) = if checked {
        (
            if new {
                RuleErrorsPartial::of(tr, &f.rule, "rule")
            } else {
                RuleErrorsPartial::unchecked(tr)
            },
            if f.rank_by.trim().is_empty() {
                RuleErrorsPartial::unchecked(tr)
            } else {
                RuleErrorsPartial::of(tr, &f.rank_by, "ranking")
            },
        )
    } else {
        (
            RuleErrorsPartial::unchecked(tr),
            RuleErrorsPartial::unchecked(tr),
        )
    };
    FormPage {
        l,
        new,
        guarantees: options(
            tr,
            "guarantee",
            Guarantee::ALL.iter().map(|g| g.code()),
            &f.guarantee,
        ),
        kinds: options(tr, "kind", Kind::ALL.iter().map(|k| k.code()), &f.kind),
        targets: options(
            tr,
            "target",
            Target::ALL.iter().map(|t| t.code()),
            &f.target,
        ),
        periods: options(
            tr,
            "per",
            BenefitPeriod::ALL.iter().map(|p| p.code()),
            &f.benefit_period,
        ),
        f,
        errors,
        rule_errors: rule_errors.html(),
        rank_errors: rank_errors.html(),
        fields: rule_fields_of(tr.lang),
    }
}

async fn new_form(u: PageUser) -> Response {
    if !keeps_catalogue(&u.ctx.actor) {
        return error_page(u.tr.clone(), Error::Forbidden, u.ctx.request_id.clone());
    }
    let f = ProgrammeForm {
        active_from: today().to_string(),
        rank_by: pintu_domain::programmes::DEFAULT_RANK_BY.to_string(),
        ..ProgrammeForm::default()
    };
    render(&form_page(&u, true, f, FormErrors::default(), false))
}

/// The form again with what went wrong; nothing was written.
fn refused(u: &PageUser, new: bool, f: ProgrammeForm, e: Error) -> Response {
    let (status, errors) = match e {
        Error::Invalid(inv) => (StatusCode::UNPROCESSABLE_ENTITY, form_errors(&u.tr, inv)),
        Error::Rule { field, .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            form_errors(&u.tr, Invalid::one(field, "rule_invalid")),
        ),
        Error::Conflict { code, field } => (
            StatusCode::CONFLICT,
            form_errors(&u.tr, Invalid::one(field.unwrap_or_default(), code)),
        ),
        other => return error_page(u.tr.clone(), other, u.ctx.request_id.clone()),
    };
    (status, render(&form_page(u, new, f, errors, true))).into_response()
}

async fn create(
    State(state): State<AppState>,
    u: PageUser,
    Form(f): Form<ProgrammeForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    if !keeps_catalogue(&u.ctx.actor) {
        return error_page(u.tr.clone(), Error::Forbidden, u.ctx.request_id.clone());
    }
    let (input, mut unread) = f.input();
    if !unread.is_empty() {
        // Numbers that cannot be read: say so with everything else wrong, write nothing.
        if let Err(more) = input.validate() {
            unread.0.extend(more.0);
        }
        if f.rule.trim().is_empty() {
            unread.push("rule", "required");
        }
        return refused(&u, true, f, Error::Invalid(unread));
    }
    match state.pintu.create_programme(&u.ctx, &input, &f.rule).await {
        Ok(d) => Redirect::to(&format!(
            "/programmes/{}?notice=programme-created",
            d.programme.code
        ))
        .into_response(),
        Err(e) => refused(&u, true, f, e),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
) -> Response {
    let d = match state.pintu.programme(&code).await {
        Ok(d) => d,
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    match state.pintu.may_manage_programme(&u.ctx, &code).await {
        Ok(true) => {}
        Ok(false) => return error_page(u.tr.clone(), Error::Forbidden, u.ctx.request_id.clone()),
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
    let f = ProgrammeForm::of(&d.input(), Some(d.programme.updated_at));
    render(&form_page(&u, false, f, FormErrors::default(), false))
}

async fn edit(
    State(state): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(mut f): Form<ProgrammeForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    f.code = code.trim().to_ascii_uppercase();
    let (input, mut unread) = f.input();
    let seen = DateTime::parse_from_rfc3339(f.updated_at.trim()).map(|t| t.with_timezone(&Utc));
    if seen.is_err() {
        unread.push("updated_at", "required");
    }
    if !unread.is_empty() {
        if let Err(more) = input.validate() {
            unread.0.extend(more.0);
        }
        return refused(&u, false, f, Error::Invalid(unread));
    }
    let Ok(seen) = seen else {
        return refused(&u, false, f, Error::invalid("updated_at", "required"));
    };
    match state
        .pintu
        .update_programme(&u.ctx, &code, &input, seen)
        .await
    {
        Ok(d) => Redirect::to(&format!(
            "/programmes/{}?notice=programme-saved",
            d.programme.code
        ))
        .into_response(),
        Err(e) => refused(&u, false, f, e),
    }
}

// ---- the rule editor ---------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct CheckForm {
    csrf: String,
    rule: String,
    rank_by: String,
    /// `rule` (default) or `ranking` (then `rank_by` is checked).
    kind: String,
}

/// The errors partial for the rule editor, as you type.
/// A rule that checks also gets the preview: how many living people in the officer's area it
/// makes eligible today (officers without registry access get the check alone).
async fn rule_check(
    State(state): State<AppState>,
    u: PageUser,
    Form(f): Form<CheckForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let mut partial = match f.kind.trim() {
        "ranking" => RuleErrorsPartial::of(&u.tr, &f.rank_by, "ranking"),
        _ => RuleErrorsPartial::of(&u.tr, &f.rule, "rule"),
    };
    if f.kind.trim() != "ranking"
        && partial.errors.is_empty()
        && let Ok(p) = state.pintu.preview_rule(&u.ctx, &f.rule, None).await
        && p.errors.is_empty()
    {
        partial.preview = Some(format!(
            "{} {}",
            u.tr.t1("rule-preview-count", "eligible", p.eligible),
            u.tr.t1("rule-preview-of", "people", p.people)
        ));
    }
    render(&partial)
}

#[derive(Template)]
#[template(path = "programmes_rules.html")]
struct RulesPage {
    l: Layout,
    code: String,
    name: String,
    versions: Vec<VersionLine>,
    rule: String,
    effective_from: String,
    note: String,
    errors: FormErrors,
    rule_errors: String,
    fields: RuleFieldsOut,
    today: String,
}

/// Not a route: the editor, fresh or with a refused version.
async fn rules_editor(
    state: &AppState,
    u: &PageUser,
    code: &str,
    posted: Option<(&RuleForm, FormErrors)>,
    status: StatusCode,
) -> Response {
    let d = match state.pintu.programme(code).await {
        Ok(d) => d,
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    match state.pintu.may_manage_programme(&u.ctx, code).await {
        Ok(true) => {}
        Ok(false) => return error_page(u.tr.clone(), Error::Forbidden, u.ctx.request_id.clone()),
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
    let tr = &u.tr;
    let current = d
        .rule_in_force
        .as_ref()
        .or(d.rules.last())
        .map(|r| r.rule.clone())
        .unwrap_or_default();
    let path = format!("/programmes/{}/rules", d.programme.code);
    let mut l = Layout::for_user(u, "programmes-title", "programmes", &path);
    l.title = tr.t1("programme-rules-title", "code", &d.programme.code);
    let (rule, effective_from, note, errors, rule_errors) = match posted {
        Some((f, errors)) => (
            f.rule.clone(),
            f.effective_from.clone(),
            f.note.clone(),
            errors,
            RuleErrorsPartial::of(tr, &f.rule, "rule"),
        ),
        None => (
            current.clone(),
            today().to_string(),
            String::new(),
            FormErrors::default(),
            RuleErrorsPartial::of(tr, &current, "rule"),
        ),
    };
    let page = RulesPage {
        l,
        code: d.programme.code.clone(),
        name: name(tr.lang, &d.programme),
        versions: versions(&d),
        rule,
        effective_from,
        note,
        errors,
        rule_errors: rule_errors.html(),
        fields: rule_fields_of(tr.lang),
        today: today().to_string(),
    };
    (status, render(&page)).into_response()
}

async fn rules_page(
    State(state): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
) -> Response {
    rules_editor(&state, &u, &code, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RuleForm {
    csrf: String,
    rule: String,
    effective_from: String,
    note: String,
}

async fn add_rule(
    State(state): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(f): Form<RuleForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let input = RuleVersionInput {
        rule: f.rule.clone(),
        effective_from: opt(&f.effective_from),
        note: opt(&f.note),
    };
    match state.pintu.add_rule_version(&u.ctx, &code, &input).await {
        Ok(_) => Redirect::to(&format!(
            "/programmes/{}?notice=programme-rule-saved",
            code.trim().to_ascii_uppercase()
        ))
        .into_response(),
        Err(e) => {
            let (status, errors) = match e {
                Error::Invalid(inv) => (StatusCode::UNPROCESSABLE_ENTITY, form_errors(&u.tr, inv)),
                Error::Rule { field, .. } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    form_errors(&u.tr, Invalid::one(field, "rule_invalid")),
                ),
                Error::Conflict { code: c, .. } => (
                    StatusCode::CONFLICT,
                    form_errors(&u.tr, Invalid::one("rule", c)),
                ),
                other => return error_page(u.tr.clone(), other, u.ctx.request_id.clone()),
            };
            rules_editor(&state, &u, &code, Some((&f, errors)), status).await
        }
    }
}

// ---- quotas and ending -------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct QuotaForm {
    csrf: String,
    area_code: String,
    quota: String,
}

async fn set_quota(
    State(state): State<AppState>,
    v: Visitor,
    Path(code): Path<String>,
    Form(f): Form<QuotaForm>,
) -> Response {
    let Some(u) = &v.user else {
        return Redirect::to("/login").into_response();
    };
    if let Err(r) = check_csrf(u, &f.csrf) {
        return r;
    }
    let mut unread = Invalid::default();
    let quota = number(&f.quota, "quota", &mut unread);
    let result = match quota {
        None if unread.is_empty() => Err(Error::invalid("quota", "required")),
        None => Err(Error::Invalid(unread)),
        Some(q) => state.pintu.set_quota(&u.ctx, &code, &f.area_code, q).await,
    };
    match result {
        Ok(_) => Redirect::to(&format!(
            "/programmes/{}?notice=programme-quota-saved",
            code.trim().to_ascii_uppercase()
        ))
        .into_response(),
        Err(e) => quota_refused(&state, &v, &code, e, (f.area_code, f.quota)).await,
    }
}

async fn quota_refused(
    state: &AppState,
    v: &Visitor,
    code: &str,
    e: Error,
    values: (String, String),
) -> Response {
    let (status, inv) = match e {
        Error::Invalid(inv) => (StatusCode::UNPROCESSABLE_ENTITY, inv),
        Error::Forbidden => (
            StatusCode::FORBIDDEN,
            Invalid::one("area_code", "forbidden"),
        ),
        Error::NotFound if v.user.is_some() => (
            StatusCode::NOT_FOUND,
            Invalid::one("area_code", "not_found"),
        ),
        other => return v.error(other),
    };
    let errors = form_errors(&v.tr, inv);
    detail_page(state, v, code, None, errors, values, status).await
}

async fn remove_quota(
    State(state): State<AppState>,
    v: Visitor,
    Path(code): Path<String>,
    Form(f): Form<QuotaForm>,
) -> Response {
    let Some(u) = &v.user else {
        return Redirect::to("/login").into_response();
    };
    if let Err(r) = check_csrf(u, &f.csrf) {
        return r;
    }
    match state.pintu.remove_quota(&u.ctx, &code, &f.area_code).await {
        Ok(()) => Redirect::to(&format!(
            "/programmes/{}?notice=programme-quota-removed",
            code.trim().to_ascii_uppercase()
        ))
        .into_response(),
        Err(e) => quota_refused(&state, &v, &code, e, (f.area_code, String::new())).await,
    }
}

async fn end(
    State(state): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    match state.pintu.end_programme(&u.ctx, &code).await {
        Ok(e) if e.deleted => Redirect::to("/programmes?notice=programme-deleted").into_response(),
        Ok(e) => Redirect::to(&format!(
            "/programmes/{}?notice=programme-was-ended",
            e.code
        ))
        .into_response(),
        Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_are_grouped_as_each_language_writes_them() {
        assert_eq!(rupiah(Lang::Id, 750_000), "Rp 750.000");
        assert_eq!(rupiah(Lang::En, 15_000_000), "Rp 15,000,000");
        assert_eq!(rupiah(Lang::Id, 0), "Rp 0");
        assert_eq!(count(Lang::En, 1_234), "1,234");
    }

    #[test]
    fn a_rule_reads_in_plain_words_clause_by_clause() {
        let en = Tr::new(Lang::En);
        assert_eq!(
            reading(
                &en,
                "age >= 60 && household.welfare_decile <= 4 && !enrolled(\"PBI-JK\")"
            ),
            [
                "age (years) is at least 60",
                "household welfare decile is at most 4",
                "not enrolled in PBI-JK"
            ]
        );
        let id = Tr::new(Lang::Id);
        assert_eq!(
            reading(
                &id,
                "household.members.exists(m, m.age < 6 || m.school_status in [\"SD\"])"
            ),
            [
                "ada anggota rumah tangga dengan umur (tahun) anggota kurang dari 6 atau status sekolah anggota salah satu dari “SD”"
            ]
        );
        assert!(
            reading(&en, "age >=").is_empty(),
            "a rule that does not check is not read"
        );
    }

    #[test]
    fn typed_numbers_may_carry_separators() {
        let mut errors = Invalid::default();
        assert_eq!(number("1.500.000", "x", &mut errors), Some(1_500_000));
        assert_eq!(number(" ", "x", &mut errors), None);
        assert!(errors.is_empty());
        assert_eq!(number("satu", "x", &mut errors), None);
        assert_eq!(errors.0[0].code, "number_invalid");
    }

    #[test]
    fn the_form_reads_documents_by_line_and_codes_by_comma() {
        let f = ProgrammeForm {
            documents: "KTP-el | e-KTP\n\nKartu Keluarga".into(),
            requires: "PIP, imunisasi".into(),
            example: Some("on".into()),
            ..ProgrammeForm::default()
        };
        let (input, errors) = f.input();
        assert!(errors.is_empty());
        assert_eq!(input.documents.len(), 2);
        assert_eq!(input.documents[0].en, "e-KTP");
        assert_eq!(input.documents[1].en, "");
        assert_eq!(input.requires, ["PIP", "imunisasi"]);
        assert!(input.example);
        let back = ProgrammeForm::of(&input, None);
        assert_eq!(back.requires, "PIP, imunisasi");
    }
}
