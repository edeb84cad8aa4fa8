//! The call-centre console (INF-2): find the caller (by NIK or name, never in a URL), see
//! their household, applications and past calls, answer from a programme's script, log the
//! call, and open an application or a complaint for them.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use pintu_domain::calls::{Outcome, Reason};
use pintu_domain::programmes::Question;
use pintu_service::Error;
use pintu_service::calls::{CallInput, ScriptLine};
use pintu_store::applications::ApplicationRow;
use pintu_store::calls::CallRow;
use pintu_store::registry::PersonRow;
use serde::Deserialize;

use crate::AppState;
use crate::i18n::Lang;
use crate::pages::{FormErrors, Layout, PersonLine, check_csrf, error_page, render};
use crate::session::PageUser;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/call-centre", get(console))
        .route("/call-centre/search", post(search))
        .route("/call-centre/persons/{id}", get(person_console))
        .route("/call-centre/calls", post(log))
        .route(
            "/programmes/{code}/questions",
            get(questions_form).post(save_questions),
        )
}

/// The choices of a call's reason and outcome, as the forms list them.
fn reasons() -> Vec<&'static str> {
    Reason::ALL.iter().map(|r| r.code()).collect()
}

fn outcomes() -> Vec<&'static str> {
    Outcome::ALL.iter().map(|o| o.code()).collect()
}

fn may_use(u: &PageUser) -> bool {
    u.ctx
        .actor
        .role()
        .is_some_and(pintu_domain::applications::may_take_applications)
}

#[derive(Template)]
#[template(path = "call_centre.html")]
struct ConsolePage {
    l: Layout,
    query: String,
    searched: bool,
    found: Vec<PersonLine>,
    error: Option<String>,
    calls: Vec<CallRow>,
    /// The form for a caller who is not in the registry.
    f: LogForm,
    errors: FormErrors,
    reasons: Vec<&'static str>,
    outcomes: Vec<&'static str>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
struct ConsoleQuery {
    #[serde(default)]
    notice: Option<String>,
}

async fn console(
    State(state): State<AppState>,
    u: PageUser,
    Query(q): Query<ConsoleQuery>,
) -> Response {
    let notice = q.notice.filter(|n| n == "call-logged");
    let found = Found {
        notice,
        ..Found::default()
    };
    show_console(
        &state,
        &u,
        found,
        LogForm::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// What the console shows above its log: a search and what it found.
#[derive(Default)]
struct Found {
    query: String,
    searched: bool,
    people: Vec<PersonLine>,
    error: Option<String>,
    notice: Option<String>,
}

async fn show_console(
    state: &AppState,
    u: &PageUser,
    found: Found,
    f: LogForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    if !may_use(u) {
        return error_page(u.tr.clone(), Error::Forbidden, u.ctx.request_id.clone());
    }
    let calls = match state.pintu.calls(&u.ctx, None, Some(20)).await {
        Ok(c) => c,
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    (
        status,
        render(&ConsolePage {
            l: Layout::for_user(u, "call-centre-title", "call-centre", "/call-centre"),
            query: found.query,
            searched: found.searched,
            found: found.people,
            error: found.error,
            calls,
            f,
            errors,
            reasons: reasons(),
            outcomes: outcomes(),
            notice: found.notice,
        }),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
struct SearchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    q: String,
}

async fn search(State(state): State<AppState>, u: PageUser, Form(f): Form<SearchForm>) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let q = f.q.trim().to_string();
    let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    let result = if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        state.pintu.search_by_nik(&u.ctx, &digits).await
    } else {
        state.pintu.search_by_name(&u.ctx, &q, None, Some(20)).await
    };
    // The NIK typed is not shown back: the results name the people found.
    let shown = if digits.chars().all(|c| c.is_ascii_digit()) {
        String::new()
    } else {
        q
    };
    let found = match result {
        Ok(rows) => Found {
            query: shown,
            searched: true,
            people: rows.iter().map(PersonLine::of).collect(),
            ..Found::default()
        },
        Err(Error::Invalid(inv)) => Found {
            query: shown,
            searched: true,
            error: inv.0.first().map(|e| u.tr.error(e.code)),
            ..Found::default()
        },
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    show_console(
        &state,
        &u,
        found,
        LogForm::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
struct PersonQuery {
    #[serde(default)]
    programme: Option<String>,
    #[serde(default)]
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "call_centre_person.html")]
struct PersonConsole {
    l: Layout,
    p: PersonRow,
    members: Vec<PersonLine>,
    applications: Vec<ApplicationRow>,
    calls: Vec<CallRow>,
    programmes: Vec<(String, String)>,
    programme: String,
    script: Vec<ScriptLine>,
    reasons: Vec<&'static str>,
    outcomes: Vec<&'static str>,
    notice: Option<String>,
    errors: FormErrors,
    f: LogForm,
}

#[derive(Deserialize, Default, Clone)]
struct LogForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    person: String,
    /// For a caller not in the registry.
    #[serde(default)]
    village_code: String,
    #[serde(default)]
    caller_phone: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    programme: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
}

async fn person_console(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<PersonQuery>,
) -> Response {
    let notice = q.notice.filter(|n| n == "call-logged");
    let programme = q.programme.unwrap_or_default();
    let f = LogForm {
        person: id.clone(),
        programme: programme.clone(),
        ..LogForm::default()
    };
    show_person(
        &state,
        &u,
        &id,
        programme,
        notice,
        FormErrors::default(),
        f,
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn show_person(
    state: &AppState,
    u: &PageUser,
    id: &str,
    programme: String,
    notice: Option<String>,
    errors: FormErrors,
    mut f: LogForm,
    status: StatusCode,
) -> Response {
    if !may_use(u) {
        return error_page(u.tr.clone(), Error::Forbidden, u.ctx.request_id.clone());
    }
    let fail = |e: Error| error_page(u.tr.clone(), e, u.ctx.request_id.clone());
    let (p, programmes) = match crate::pages_matching::person_and_programmes(state, u, id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let members = match &p.household_id {
        Some(h) => match state.pintu.household(&u.ctx, h).await {
            Ok(d) => d.members.iter().map(PersonLine::of).collect(),
            Err(e) => return fail(e),
        },
        None => Vec::new(),
    };
    let applications = match state.pintu.applications_of(&u.ctx, &p.id).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let calls = match state.pintu.calls(&u.ctx, Some(&p.id), Some(20)).await {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let script = if programme.is_empty() {
        Vec::new()
    } else {
        match state
            .pintu
            .programme_script(&programme, u.tr.lang == Lang::En)
            .await
        {
            Ok(s) => s,
            Err(e) => return fail(e),
        }
    };
    if f.caller_phone.is_empty() {
        f.caller_phone = p.phone.clone().unwrap_or_default();
    }
    (
        status,
        render(&PersonConsole {
            l: Layout::for_user(
                u,
                "call-centre-title",
                "call-centre",
                &format!("/call-centre/persons/{}", p.id),
            ),
            members,
            applications,
            calls,
            programmes,
            programme,
            script,
            reasons: reasons(),
            outcomes: outcomes(),
            notice,
            errors,
            f,
            p,
        }),
    )
        .into_response()
}

async fn log(State(state): State<AppState>, u: PageUser, Form(f): Form<LogForm>) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let known = !f.person.trim().is_empty();
    let input = CallInput {
        person_id: Some(f.person.clone()),
        village_code: Some(f.village_code.clone()),
        caller_phone: Some(f.caller_phone.clone()),
        reason: f.reason.clone(),
        programme: Some(f.programme.clone()),
        outcome: f.outcome.clone(),
        note: Some(f.note.clone()),
    };
    match state.pintu.log_call(&u.ctx, &input, Utc::now()).await {
        Ok(_) if known => Redirect::to(&format!(
            "/call-centre/persons/{}?notice=call-logged",
            f.person
        ))
        .into_response(),
        Ok(_) => Redirect::to("/call-centre?notice=call-logged").into_response(),
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) if !known => {
                show_console(&state, &u, Found::default(), f, errors, status).await
            }
            Ok((status, errors)) => {
                let id = f.person.clone();
                show_person(&state, &u, &id, String::new(), None, errors, f, status).await
            }
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

// ---- a programme's questions -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "programme_questions.html")]
struct QuestionsPage {
    l: Layout,
    code: String,
    name: String,
    /// The questions, then blank rows to add more.
    rows: Vec<Question>,
    errors: FormErrors,
}

impl QuestionsPage {
    /// Whether a field of row `i` has an error.
    fn bad(&self, i: &usize, field: &str) -> bool {
        self.errors.has(&format!("questions[{i}].{field}"))
    }
}

/// Blank rows offered under the questions kept.
const BLANK_ROWS: usize = 3;

async fn questions_page(
    state: &AppState,
    u: &PageUser,
    code: &str,
    mut rows: Vec<Question>,
    errors: FormErrors,
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
    rows.extend(std::iter::repeat_n(Question::default(), BLANK_ROWS));
    let g = d.programme;
    let path = format!("/programmes/{}/questions", g.code);
    (
        status,
        render(&QuestionsPage {
            l: Layout::for_user(u, "questions-title", "programmes", &path),
            name: if u.tr.lang == Lang::En {
                g.name_en
            } else {
                g.name_id
            },
            code: g.code,
            rows,
            errors,
        }),
    )
        .into_response()
}

async fn questions_form(
    State(state): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
) -> Response {
    let rows = match state.pintu.programme_questions(&code).await {
        Ok(rows) => rows,
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    questions_page(
        &state,
        &u,
        &code,
        rows,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// The rows of the questions form: its fields in order, a row starting at each
/// `question_id`.
fn rows_of(fields: &[(String, String)]) -> Vec<Question> {
    let mut rows: Vec<Question> = Vec::new();
    for (name, value) in fields {
        if name == "question_id" {
            rows.push(Question::default());
        }
        let Some(row) = rows.last_mut() else { continue };
        let value = value.clone();
        match name.as_str() {
            "question_id" => row.question_id = value,
            "question_en" => row.question_en = value,
            "answer_id" => row.answer_id = value,
            "answer_en" => row.answer_en = value,
            _ => {}
        }
    }
    rows
}

async fn save_questions(
    State(state): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if let Err(r) = check_csrf(&u, csrf) {
        return r;
    }
    let rows = rows_of(&fields);
    match state
        .pintu
        .set_programme_questions(&u.ctx, &code, &rows, Utc::now())
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/programmes/{}?notice=programme-questions-saved",
            code.trim().to_ascii_uppercase()
        ))
        .into_response(),
        Err(e) => match FormErrors::from_error(e, &u.tr) {
            Ok((status, errors)) => {
                let kept = rows
                    .into_iter()
                    .filter(|q| {
                        [&q.question_id, &q.question_en, &q.answer_id, &q.answer_en]
                            .iter()
                            .any(|t| !t.trim().is_empty())
                    })
                    .collect();
                questions_page(&state, &u, &code, kept, errors, status).await
            }
            Err(e) => error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_questions_form_is_read_row_by_row() {
        let f = |k: &str, v: &str| (k.to_string(), v.to_string());
        let rows = rows_of(&[
            f("csrf", "x"),
            f("question_id", "Kapan?"),
            f("question_en", "When?"),
            f("answer_id", "Besok"),
            f("answer_en", "Tomorrow"),
            f("question_id", ""),
            f("question_en", ""),
            f("answer_id", ""),
            f("answer_en", ""),
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].answer_en, "Tomorrow");
        assert_eq!(rows[1], Question::default());
    }
}
