//! JKN membership pages (PAY-1): a person's membership (register it, change the FKTP), the
//! digital card (KIS digital) with a QR code a facility scans to check coverage, and the
//! same for the resident's household in the portal.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use pintu_domain::{AreaCode, AreaLevel};
use pintu_service::Error;
use pintu_service::membership::{FktpInput, Membership, MembershipInput};
use pintu_store::jkn::FacilityRow;
use pintu_store::payments::{AllocationRow, PaymentRow};
use serde::Deserialize;

use crate::AppState;
use crate::i18n::Tr;
use crate::pages::{FormErrors, Layout, check_csrf, constant_time_eq, error_page, render};
use crate::session::{PageUser, ResidentPage};

mod autodebit;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/persons/{id}/jkn", get(officer_page).post(register))
        .route("/persons/{id}/jkn/fktp", post(officer_fktp))
        .route("/persons/{id}/jkn/card", get(officer_card))
        .route("/persons/{id}/jkn/cash", post(officer_cash))
        .route("/persons/{id}/jkn/debit", post(autodebit::officer_set))
        .route(
            "/persons/{id}/jkn/debit/confirm",
            post(autodebit::officer_confirm),
        )
        .route(
            "/persons/{id}/jkn/debit/cancel",
            post(autodebit::officer_cancel),
        )
        .route("/me/persons/{id}/jkn/debit", post(autodebit::resident_set))
        .route(
            "/me/persons/{id}/jkn/debit/confirm",
            post(autodebit::resident_confirm),
        )
        .route(
            "/me/persons/{id}/jkn/debit/cancel",
            post(autodebit::resident_cancel),
        )
        .route("/me/persons/{id}/jkn", get(resident_page))
        .route("/me/persons/{id}/jkn/fktp", post(resident_fktp))
        .route("/me/persons/{id}/jkn/card", get(resident_card))
        .route("/jkn/denda", get(denda_page))
}

#[derive(Template)]
#[template(path = "jkn_denda.html")]
struct DendaPage {
    l: Layout,
    q: pintu_service::membership::DendaQuestion,
    result: Option<(pintu_domain::jkn::Denda, pintu_domain::jkn::DendaRule)>,
    errors: FormErrors,
}

impl DendaPage {
    fn v<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or("")
    }

    fn rupiah(&self, n: &i64) -> String {
        crate::pages::rupiah(*n)
    }
}

/// The penalty calculator for facilities and officers: the question in the address (it holds
/// no personal data), the answer under it.
async fn denda_page(
    u: PageUser,
    axum::extract::Query(q): axum::extract::Query<pintu_service::membership::DendaQuestion>,
) -> Response {
    let asked = q.case_tariff.is_some() || q.admitted_on.is_some();
    let (status, result, errors) = if asked {
        match pintu_service::membership::denda_of(&q) {
            Ok(r) => (StatusCode::OK, Some(r), FormErrors::default()),
            Err(e) => match FormErrors::from_error(e, &u.tr) {
                Ok((status, errors)) => (status, None, errors),
                Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
            },
        }
    } else {
        (StatusCode::OK, None, FormErrors::default())
    };
    (
        status,
        render(&DendaPage {
            l: Layout::for_user(&u, "denda-title", "programmes", "/jkn/denda"),
            q,
            result,
            errors,
        }),
    )
        .into_response()
}

/// The QR code of a card number, as inline SVG.
fn qr_svg(card: &str) -> String {
    qrcode::QrCode::new(card.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(180, 180)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "jkn.html")]
struct JknPage {
    l: Layout,
    /// Where the page lives: `/persons/{id}/jkn` or `/me/persons/{id}/jkn`.
    base: String,
    person_name: String,
    m: Option<Membership>,
    facilities: Vec<FacilityRow>,
    /// Whether the viewer may register a membership (an officer of the area).
    may_register: bool,
    f: JknForm,
    errors: FormErrors,
    notice: Option<String>,
    /// The family's payments, newest first, with the bills each paid.
    payments: Vec<(PaymentRow, Vec<AllocationRow>)>,
    /// For the resident: where to pay online (the page's address with the bill).
    pay_url: Option<String>,
    /// Whether the viewer may take cash from the family (an officer of the area).
    may_collect: bool,
    /// A fresh idempotency key for the cash form: submitting twice books once.
    cash_key: String,
    /// The family's e-wallet auto-debit: its mandate, their history and recent debits.
    debits: Option<pintu_service::autodebit::FamilyDebits>,
    /// Whether the viewer may set up or cancel the auto-debit (the resident, or an officer
    /// who may change the registry).
    may_debit: bool,
}

impl JknPage {
    fn rupiah(&self, n: &i64) -> String {
        crate::pages::rupiah(*n)
    }

    fn wallets(&self) -> &'static [pintu_domain::autodebit::Wallet] {
        pintu_domain::autodebit::Wallet::ALL
    }

    fn wallet_name(&self, code: &str) -> &'static str {
        pintu_domain::autodebit::Wallet::parse(code)
            .map_or("?", pintu_domain::autodebit::Wallet::name)
    }

    /// Why a debit failed, in the reader's language when Pintu knows the reason.
    fn debit_reason(&self, reason: &str) -> String {
        let key = format!("debit-reason-{reason}");
        if self.l.tr.has(&key) {
            self.l.tr.t(&key)
        } else {
            reason.to_string()
        }
    }
}

#[derive(Deserialize, Default)]
struct JknForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    segment: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    fktp: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    exception: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    idempotency_key: String,
    #[serde(default)]
    wallet: String,
    #[serde(default)]
    phone: String,
    /// A mandate's code, as received by SMS.
    #[serde(default)]
    code: String,
}

/// Who is looking: an officer or a resident, with what the page needs of them.
struct Viewer<'a> {
    ctx: &'a pintu_service::Ctx,
    tr: &'a Tr,
    layout: Layout,
    base: String,
    may_register: bool,
}

async fn page(
    state: &AppState,
    v: Viewer<'_>,
    id: &str,
    f: JknForm,
    errors: FormErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let m = match state.pintu.membership(v.ctx, id).await {
        Ok(m) => Some(m),
        Err(Error::NotFound) => None,
        Err(e) => return error_page(v.tr.clone(), e, v.ctx.request_id.clone()),
    };
    // Without a membership, the person (and whether the viewer may see them) is read.
    let (person_name, village) = match &m {
        Some(m) => (m.member.person_name.clone(), m.member.village_code.clone()),
        None => match person_of(state, v.ctx, id).await {
            Ok(p) => p,
            Err(e) => return error_page(v.tr.clone(), e, v.ctx.request_id.clone()),
        },
    };
    let regency = AreaCode::parse(&village)
        .ok()
        .and_then(|a| a.ancestor(AreaLevel::Regency))
        .map(|a| a.to_string());
    let facilities = match state.pintu.facilities(regency.as_deref()).await {
        Ok(list) => list,
        Err(e) => return error_page(v.tr.clone(), e, v.ctx.request_id.clone()),
    };
    let payments = match &m {
        Some(m) => match state.pintu.member_payments(m).await {
            Ok(p) => p,
            Err(e) => return error_page(v.tr.clone(), e, v.ctx.request_id.clone()),
        },
        None => Vec::new(),
    };
    let debits = match &m {
        Some(m) => match state
            .pintu
            .member_debits(m, m.member.household_id.as_deref())
            .await
        {
            Ok(d) => Some(d),
            Err(e) => return error_page(v.tr.clone(), e, v.ctx.request_id.clone()),
        },
        None => None,
    };
    let may_debit = v.ctx.actor.is_resident() || v.ctx.actor.may_write_registry();
    // The resident pays what is owed now: every open bill.
    let pay_url = match (&m, &state.payment_page) {
        (Some(m), Some(page)) if v.ctx.actor.is_resident() => {
            let owed: i64 = m.bills.iter().map(|b| b.outstanding()).sum();
            m.bills.first().filter(|_| owed > 0).map(|b| {
                let q: String = form_urlencoded::Serializer::new(String::new())
                    .append_pair("va", &b.va_number)
                    .append_pair("amount", &owed.to_string())
                    .append_pair("return", &v.base)
                    .finish();
                format!("{page}?{q}")
            })
        }
        _ => None,
    };
    (
        status,
        render(&JknPage {
            l: v.layout,
            base: v.base,
            person_name,
            may_register: v.may_register && m.is_none(),
            may_collect: v.may_register && m.is_some(),
            m,
            facilities,
            f,
            errors,
            notice,
            payments,
            pay_url,
            cash_key: pintu_store::new_id(),
            debits,
            may_debit,
        }),
    )
        .into_response()
}

/// The person's name and village, when they have no membership yet (officers only).
async fn person_of(
    state: &AppState,
    ctx: &pintu_service::Ctx,
    id: &str,
) -> Result<(String, String), Error> {
    if ctx.actor.is_resident() {
        let p = state.pintu.my_member(ctx, id).await?;
        return Ok((p.full_name, p.village_code));
    }
    let d = state.pintu.person(ctx, id).await?;
    Ok((d.person.full_name, d.person.village_code))
}

fn officer_viewer<'a>(u: &'a PageUser, id: &str) -> Viewer<'a> {
    Viewer {
        ctx: &u.ctx,
        tr: &u.tr,
        layout: Layout::for_user(u, "jkn-title", "persons", &format!("/persons/{id}/jkn")),
        base: format!("/persons/{id}/jkn"),
        may_register: u.ctx.actor.may_write_registry(),
    }
}

fn resident_viewer<'a>(r: &'a ResidentPage, id: &str) -> Viewer<'a> {
    let path = format!("/me/persons/{id}/jkn");
    let mut l = Layout::public(r.tr.clone(), r.tr.t("jkn-title"), "me", &path);
    l.csrf = r.resident.csrf_token.clone();
    l.resident_name = Some(r.resident.person.full_name.clone());
    Viewer {
        ctx: r.ctx(),
        tr: &r.tr,
        layout: l,
        base: path,
        may_register: false,
    }
}

fn notice_of(n: &str) -> Option<String> {
    Some(n.to_string())
}

async fn officer_page(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
) -> Response {
    page(
        &state,
        officer_viewer(&u, &id),
        &id,
        JknForm::default(),
        FormErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn resident_page(
    State(state): State<AppState>,
    r: ResidentPage,
    Path(id): Path<String>,
) -> Response {
    page(
        &state,
        resident_viewer(&r, &id),
        &id,
        JknForm::default(),
        FormErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn register(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let input = MembershipInput {
        person_id: id.clone(),
        segment: f.segment.clone(),
        class: f.class.trim().parse().ok(),
        fktp: f.fktp.clone(),
        start_date: Some(f.start_date.clone()),
    };
    match state
        .pintu
        .register_membership(&u.ctx, &input, Utc::now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/persons/{id}/jkn")).into_response(),
        Err(e) => after_error(&state, officer_viewer(&u, &id), &id, f, e).await,
    }
}

async fn after_error(state: &AppState, v: Viewer<'_>, id: &str, f: JknForm, e: Error) -> Response {
    match FormErrors::from_error(e, v.tr) {
        Ok((status, errors)) => page(state, v, id, f, errors, None, status).await,
        Err(e) => error_page(v.tr.clone(), e, v.ctx.request_id.clone()),
    }
}

/// Cash taken from the family by the officer (at the counter or as an agent); the form's
/// idempotency key books a double submission once.
async fn officer_cash(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    let va = match state.pintu.membership(&u.ctx, &id).await {
        Ok(m) => m
            .bills
            .first()
            .map(|b| b.va_number.clone())
            .unwrap_or_default(),
        Err(e) => return error_page(u.tr.clone(), e, u.ctx.request_id.clone()),
    };
    let channel = match pintu_domain::payments::Channel::parse(&f.channel) {
        Some(c) if c.is_cash() => c,
        _ => {
            let e = Error::invalid("channel", "channel_invalid");
            return after_error(&state, officer_viewer(&u, &id), &id, f, e).await;
        }
    };
    let Ok(amount) = f.amount.trim().replace('.', "").parse::<i64>() else {
        let e = Error::invalid("amount", "amount_invalid");
        return after_error(&state, officer_viewer(&u, &id), &id, f, e).await;
    };
    let reference = if f.reference.trim().is_empty() {
        f.idempotency_key.clone()
    } else {
        f.reference.trim().to_string()
    };
    let input = pintu_service::payments::PaymentInput {
        va_number: va,
        amount,
        reference,
        paid_at: None,
    };
    match state
        .pintu
        .collect_cash(&u.ctx, channel, &f.idempotency_key, &input, Utc::now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/persons/{id}/jkn")).into_response(),
        Err(e) => after_error(&state, officer_viewer(&u, &id), &id, f, e).await,
    }
}

fn fktp_input(f: &JknForm) -> FktpInput {
    FktpInput {
        fktp: f.fktp.clone(),
        exception: Some(f.exception.clone()),
        reason: Some(f.reason.clone()),
    }
}

async fn officer_fktp(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    if let Err(r) = check_csrf(&u, &f.csrf) {
        return r;
    }
    match state
        .pintu
        .change_fktp(&u.ctx, &id, &fktp_input(&f), Utc::now())
        .await
    {
        Ok(_) => {
            page(
                &state,
                officer_viewer(&u, &id),
                &id,
                JknForm::default(),
                FormErrors::default(),
                notice_of("jkn-fktp-changed"),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => after_error(&state, officer_viewer(&u, &id), &id, f, e).await,
    }
}

async fn resident_fktp(
    State(state): State<AppState>,
    r: ResidentPage,
    Path(id): Path<String>,
    Form(f): Form<JknForm>,
) -> Response {
    if !constant_time_eq(&r.resident.csrf_token, &f.csrf) {
        return crate::pages::error_page_code(&r.tr, StatusCode::FORBIDDEN, "csrf_invalid");
    }
    match state
        .pintu
        .change_fktp(r.ctx(), &id, &fktp_input(&f), Utc::now())
        .await
    {
        Ok(_) => {
            page(
                &state,
                resident_viewer(&r, &id),
                &id,
                JknForm::default(),
                FormErrors::default(),
                notice_of("jkn-fktp-changed"),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => after_error(&state, resident_viewer(&r, &id), &id, f, e).await,
    }
}

#[derive(Template)]
#[template(path = "jkn_card.html")]
struct CardPage {
    l: Layout,
    m: Membership,
    qr: String,
}

async fn card(state: &AppState, v: Viewer<'_>, id: &str) -> Response {
    match state.pintu.membership(v.ctx, id).await {
        Ok(m) => render(&CardPage {
            qr: qr_svg(&m.member.card_number),
            l: v.layout,
            m,
        }),
        Err(e) => error_page(v.tr.clone(), e, v.ctx.request_id.clone()),
    }
}

async fn officer_card(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
) -> Response {
    card(&state, officer_viewer(&u, &id), &id).await
}

async fn resident_card(
    State(state): State<AppState>,
    r: ResidentPage,
    Path(id): Path<String>,
) -> Response {
    card(&state, resident_viewer(&r, &id), &id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_number_becomes_an_svg_qr_code() {
        let svg = qr_svg("0001234567890");
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
