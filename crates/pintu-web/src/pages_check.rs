//! The public check (INF-1): `GET /check` asks a resident a few plain questions, and
//! `POST /check` shows on the same page, with the form still filled, which programmes they
//! might be entitled to and why — for anyone, without logging in.
//!
//! Nothing is kept: the answers travel only in the form body (never in a URL), are neither
//! written nor logged, no cookie is set (the language comes from the existing language
//! cookie, if any), and the pages may not be cached (`Cache-Control: no-store`), so a shared
//! phone or a proxy keeps no copy. The form has no CSRF token: posting it changes nothing,
//! so a forged post can do no harm, and a token would need a cookie of its own.

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use pintu_domain::rules::Truth;
use pintu_service::check::{
    CHILD_AGE, CheckAnswers, CheckLine, CheckResult, Income, OLDER_AGE, SCHOOL_CHILD_AGE, Someone,
    Who, Work,
};
use pintu_service::today;
use pintu_store::areas::Area;

use crate::AppState;
use crate::i18n::{Lang, Tr};
use crate::pages::{FormErrors, Layout, error_page, render};
use crate::session::page_lang;

pub fn router() -> Router<AppState> {
    Router::new().route("/check", get(form).post(submit))
}

/// One radio button.
struct Choice {
    value: &'static str,
    label: String,
    checked: bool,
}

fn choices<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(&'static str) -> String,
    answer: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| {
            let value = code(*v);
            Choice {
                value,
                label: label(value),
                checked: value == answer.trim(),
            }
        })
        .collect()
}

/// A province and its regencies: one group of the area question.
struct Province {
    name: String,
    regencies: Vec<Area>,
}

/// One programme in the answer, in the page's language.
struct Line {
    code: String,
    name: String,
    /// Whom it is about, when not the resident.
    who: Option<String>,
    reasons: Vec<String>,
}

/// The programmes with one answer: `eligible`, `unknown` or `not-eligible` (a CSS class and
/// a message key's end).
struct Group {
    verdict: &'static str,
    title: String,
    lines: Vec<Line>,
}

struct ResultView {
    regency: String,
    /// How the answers were read: the income estimate and what stays unknown.
    notes: Vec<String>,
    groups: Vec<Group>,
    /// A programme code for the SMS example: the first one that might be for the resident.
    example_code: String,
}

#[derive(Template)]
#[template(path = "check.html")]
struct CheckPage {
    l: Layout,
    f: CheckAnswers,
    errors: FormErrors,
    provinces: Vec<Province>,
    sexes: Vec<Choice>,
    work: Vec<Choice>,
    disability: Vec<Choice>,
    chronic_illness: Vec<Choice>,
    income: Vec<Choice>,
    result: Option<ResultView>,
}

/// Rupiah with the language's thousands separator.
fn money(tr: &Tr, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = if tr.lang == Lang::En { ',' } else { '.' };
    let mut out = String::from("Rp ");
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

fn line_of(tr: &Tr, g: CheckLine) -> Line {
    let english = tr.lang == Lang::En;
    let mut reasons: Vec<String> = g
        .clauses
        .into_iter()
        .map(|c| if english { c.because_en } else { c.because_id })
        .collect();
    if g.varies_by_area {
        reasons.push(tr.t("check-varies-by-area"));
    }
    if let Some(e) = g.error {
        reasons.push(tr.t(&format!("check-{}", e.replace('_', "-"))));
    }
    let who = (g.who != Who::Resident).then(|| {
        let age = match g.who {
            Who::ChildUnder6 => CHILD_AGE,
            Who::SchoolChild => SCHOOL_CHILD_AGE,
            _ => OLDER_AGE,
        };
        tr.t1(&format!("check-who-{}", g.who.code()), "age", age)
    });
    Line {
        name: if english { g.name_en } else { g.name_id },
        code: g.code,
        who,
        reasons,
    }
}

fn result_view(tr: &Tr, r: CheckResult) -> ResultView {
    let mut notes = Vec::new();
    match (r.income_per_person, r.welfare_decile) {
        (Some(income), Some(decile)) => {
            notes.push(tr.t1("check-estimate-income", "amount", money(tr, income)));
            notes.push(tr.t1("check-estimate-decile", "decile", decile));
        }
        _ => notes.push(tr.t("check-estimate-none")),
    }
    notes.push(tr.t("check-assumptions"));
    let mut groups = ["eligible", "unknown", "not-eligible"].map(|verdict| Group {
        verdict,
        title: tr.t(&format!("check-group-{verdict}")),
        lines: Vec::new(),
    });
    let mut example_code = None;
    for g in r.programmes {
        let i = match g.truth {
            Truth::True => 0,
            Truth::Unknown => 1,
            Truth::False => 2,
        };
        if i == 0 && example_code.is_none() {
            example_code = Some(g.code.clone());
        }
        groups[i].lines.push(line_of(tr, g));
    }
    ResultView {
        regency: r.regency.name,
        notes,
        groups: Vec::from(groups),
        example_code: example_code.unwrap_or_else(|| "PKH".into()),
    }
}

/// The page: the form filled with `f`, with its errors or the answer.
async fn page(
    state: &AppState,
    tr: Tr,
    f: CheckAnswers,
    errors: FormErrors,
    result: Option<CheckResult>,
    status: StatusCode,
) -> Response {
    let provinces = match state.pintu.check_regencies().await {
        Ok(p) => p
            .into_iter()
            .map(|(p, regencies)| Province {
                name: p.name,
                regencies,
            })
            .collect(),
        Err(e) => return error_page(tr, e, None),
    };
    let label = |prefix: &str| {
        let tr = tr.clone();
        let prefix = prefix.to_string();
        move |v: &'static str| tr.t(&format!("{prefix}{v}"))
    };
    let page = CheckPage {
        sexes: choices(&["L", "P"], |s| s, label("sex-"), &f.sex),
        work: choices(&Work::ALL, Work::code, label("check-work-"), &f.work),
        disability: choices(
            &Someone::ALL,
            Someone::code,
            label("check-someone-"),
            &f.disability,
        ),
        chronic_illness: choices(
            &Someone::ALL,
            Someone::code,
            label("check-someone-"),
            &f.chronic_illness,
        ),
        income: choices(
            &Income::ALL,
            Income::code,
            label("check-income-"),
            &f.income,
        ),
        result: result.map(|r| result_view(&tr, r)),
        l: Layout::public(tr.clone(), tr.t("check-title"), "check", "/check"),
        f,
        errors,
        provinces,
    };
    (status, [(header::CACHE_CONTROL, "no-store")], render(&page)).into_response()
}

/// The questions, empty (no disability, no chronic illness chosen to start with).
async fn form(State(state): State<AppState>, jar: CookieJar) -> Response {
    let f = CheckAnswers {
        disability: Someone::No.code().into(),
        chronic_illness: Someone::No.code().into(),
        ..CheckAnswers::default()
    };
    let tr = Tr::new(page_lang(&jar));
    page(&state, tr, f, FormErrors::default(), None, StatusCode::OK).await
}

/// The answer, or the answers' errors (422), with the form filled as posted.
async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<CheckAnswers>,
) -> Response {
    let tr = Tr::new(page_lang(&jar));
    match state.pintu.public_check(&f, today()).await {
        Ok(r) => {
            page(
                &state,
                tr,
                f,
                FormErrors::default(),
                Some(r),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => match FormErrors::from_error(e, &tr) {
            Ok((status, errors)) => page(&state, tr, f, errors, None, status).await,
            Err(e) => error_page(tr, e, crate::request_id(&headers)),
        },
    }
}
