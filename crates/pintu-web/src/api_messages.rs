//! `/api/v1/messages`: the messages sent to residents (SMS notices of decisions), with their
//! delivery status. Area-scoped like the registry.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use pintu_store::outbox::MessageRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::session::ApiCtx;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_messages))
        .routes(routes!(get_message))
        .routes(routes!(sms_inbound, list_received))
        .routes(routes!(sms_status))
}

/// An SMS a resident sent, and what was done with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedSmsOut {
    pub id: String,
    pub sender: String,
    pub text: String,
    /// `cek`, `daftar`, `aduan` or `bantuan`.
    pub command: String,
    /// The registered person the number belongs to, if any.
    pub person_id: Option<String>,
    pub village_code: Option<String>,
    /// `received` (not answered yet) or `answered`.
    pub status: String,
    /// What was done: `application:<id>`, `complaint:<id>`, `checked`, `help`,
    /// `unknown_sender`, `kept_as_message` ...
    pub outcome: Option<String>,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReceivedQuery {
    /// An area code inside yours; defaults to your whole area.
    pub area: Option<String>,
}

/// The latest 100 SMS received from residents of your area (national officers also see
/// those from numbers not in the registry).
#[utoipa::path(get, path = "/api/v1/sms/inbound", tag = "messages", params(ReceivedQuery),
    responses((status = 200, body = Vec<ReceivedSmsOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_received(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<ReceivedQuery>,
) -> Result<Json<Vec<ReceivedSmsOut>>, ApiError> {
    let rows = s
        .pintu
        .received_sms(&c.ctx, q.area.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ReceivedSmsOut {
                id: r.id,
                sender: r.sender,
                text: r.text,
                command: r.command,
                person_id: r.person_id,
                village_code: r.village_code,
                status: r.status,
                outcome: r.outcome,
                received_at: r.received_at,
            })
            .collect(),
    ))
}

/// A message to a resident.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    pub id: String,
    /// `sms`.
    pub channel: String,
    /// The number it goes to, in international form (`62812...`).
    pub recipient: String,
    pub person_id: Option<String>,
    pub village_code: String,
    /// `id` or `en`.
    pub lang: String,
    /// `application_approved`, `application_rejected` or `application_enrolled`.
    pub template: String,
    pub body: String,
    /// What it is about (`application`) and its id.
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    /// `queued`, `sending`, `sent`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    /// When it is tried next (queued ones).
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last send failed, or why the gateway could not deliver it.
    pub last_error: Option<String>,
    /// The gateway's reference for it.
    pub gateway_ref: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// When the gateway reported it delivered (`delivered` ones).
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<MessageRow> for MessageOut {
    fn from(m: MessageRow) -> Self {
        MessageOut {
            delivered_at: m.delivered_at(),
            id: m.id,
            channel: m.channel,
            recipient: m.recipient,
            person_id: m.person_id,
            village_code: m.village_code,
            lang: m.lang,
            template: m.template,
            body: m.body,
            subject_type: m.subject_type,
            subject_id: m.subject_id,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            gateway_ref: m.gateway_ref,
            created_at: m.created_at,
            sent_at: m.sent_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MessageQuery {
    /// An area code inside yours; defaults to your whole area.
    pub area: Option<String>,
    /// `queued`, `sending`, `sent`, `delivered` or `failed`.
    pub status: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// The `next` value of the previous page.
    pub before: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePage {
    pub items: Vec<MessageOut>,
    pub next: Option<String>,
}

/// Messages to residents of your area, newest first.
#[utoipa::path(get, path = "/api/v1/messages", tag = "messages", params(MessageQuery),
    responses((status = 200, body = MessagePage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_messages(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<MessageQuery>,
) -> Result<Json<MessagePage>, ApiError> {
    let page = s
        .pintu
        .messages(
            &c.ctx,
            q.area.as_deref(),
            q.status.as_deref(),
            q.before.as_deref(),
            q.limit,
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(MessagePage {
        items: page.items.into_iter().map(Into::into).collect(),
        next: page.next,
    }))
}

#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "messages", params(("id" = String, Path)),
    responses((status = 200, body = MessageOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_message(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<MessageOut>, ApiError> {
    let m = s.pintu.message(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    Ok(Json(m.into()))
}

/// An SMS a resident sent, as the aggregator posts it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InboundSmsIn {
    /// The aggregator's id of the SMS; the same id again is refused as a replay.
    pub id: String,
    /// The sender's number.
    pub from: String,
    pub text: String,
}

/// What was done with an SMS; the reply is also queued to the sender.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboundSmsOut {
    /// `cek`, `daftar`, `aduan` or `bantuan`.
    pub command: String,
    pub reply: String,
}

/// Checks a webhook request's signature (see [`pintu_service::sms::verify`]) and returns the
/// language to answer in; a refused request is logged and answered 401 (503 when no secret
/// is configured).
fn signed(
    s: &AppState,
    headers: &axum::http::HeaderMap,
    body: &[u8],
    what: &'static str,
) -> Result<crate::i18n::Lang, ApiError> {
    signed_with(
        s.pintu.sms_secret.as_deref(),
        headers,
        body,
        what,
        "sms_inbound_disabled",
    )
}

/// Checks a webhook request's signature with `secret`; `disabled` is the error code when no
/// secret is configured.
pub(crate) fn signed_with(
    secret: Option<&str>,
    headers: &axum::http::HeaderMap,
    body: &[u8],
    what: &'static str,
    disabled: &'static str,
) -> Result<crate::i18n::Lang, ApiError> {
    use axum::http::StatusCode;
    use pintu_service::sms::{SignatureError, verify};
    let lang = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.trim().is_empty())
        .map_or(
            crate::i18n::Lang::En,
            crate::i18n::Lang::from_accept_language,
        );
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match verify(
        secret,
        header("x-pintu-timestamp"),
        header("x-pintu-signature"),
        body,
        Utc::now(),
    ) {
        Ok(()) => Ok(lang),
        Err(e) => {
            let status = match e {
                SignatureError::Disabled => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNAUTHORIZED,
            };
            tracing::warn!(reason = e.code(), "{what} refused");
            let code = match e {
                SignatureError::Disabled => disabled,
                _ => e.code(),
            };
            Err(webhook_error(status, code, lang))
        }
    }
}

pub(crate) fn webhook_error(
    status: axum::http::StatusCode,
    code: &'static str,
    lang: crate::i18n::Lang,
) -> ApiError {
    ApiError::new(status, code).with_lang(lang)
}

/// Inbound SMS from the aggregator (no bearer token): signed with the shared secret as
/// `X-Pintu-Signature: sha256=<hex HMAC-SHA256 of "<X-Pintu-Timestamp>.<body>">`, the
/// timestamp within five minutes of now. Commands: `CEK <NIK>` (the sender's own household
/// only, matched by the registered phone), `DAFTAR <programme code>`, `ADUAN <text>`,
/// `BANTUAN`; anything else gets the help text.
#[utoipa::path(post, path = "/api/v1/sms/inbound", tag = "messages", request_body = InboundSmsIn, security(()),
    params(("X-Pintu-Timestamp" = String, Header), ("X-Pintu-Signature" = String, Header)),
    responses((status = 200, body = InboundSmsOut), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn sms_inbound(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<InboundSmsOut>, ApiError> {
    use axum::http::StatusCode;
    use pintu_service::sms::Inbound;
    let lang = signed(&s, &headers, &body, "inbound SMS")?;
    let Json(input) = Json::<InboundSmsIn>::from_bytes(&body)
        .map_err(|_| webhook_error(StatusCode::UNPROCESSABLE_ENTITY, "malformed_json", lang))?;
    let handled = s
        .pintu
        .receive_sms(
            &Inbound {
                gateway_id: input.id,
                from: input.from,
                text: input.text,
            },
            Utc::now(),
        )
        .await
        .map_err(|e| ApiError::from_service(e).with_lang(lang))?;
    Ok(Json(InboundSmsOut {
        command: handled.command.into(),
        reply: handled.reply,
    }))
}

/// A delivery report, as the aggregator posts it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeliveryReportIn {
    /// Pintu's id of the message: the `reference` (and `Idempotency-Key`) it was sent with.
    pub reference: Option<String>,
    /// The aggregator's own id of the message, as it answered the send; used when
    /// `reference` is not given or not known.
    pub gateway_id: Option<String>,
    /// `delivered` or `failed`.
    pub status: String,
    /// Why it was not delivered (for `failed`).
    pub error: Option<String>,
    /// When it was delivered or given up, RFC 3339; defaults to now.
    pub at: Option<String>,
}

/// The message a delivery report is about, as it stands after the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryReportOut {
    pub id: String,
    /// `queued`, `sent`, `delivered` or `failed`.
    pub status: String,
    /// Whether this report changed it (false for a repeat, or a report about a message that
    /// was not waiting for one).
    pub changed: bool,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Delivery reports from the aggregator (no bearer token), signed like inbound SMS:
/// `X-Pintu-Signature: sha256=<hex HMAC-SHA256 of "<X-Pintu-Timestamp>.<body>">` with the
/// shared secret, the timestamp within five minutes of now. Only a sent message becomes
/// `delivered` or `failed`; a repeated report, or one about a message that is queued or
/// already delivered or failed, changes nothing and is answered 200 with the message's
/// status, so reports may be posted again. A report about a message still being sent is
/// answered 409 `message_being_sent`: post it again later.
#[utoipa::path(post, path = "/api/v1/sms/status", tag = "messages", request_body = DeliveryReportIn, security(()),
    params(("X-Pintu-Timestamp" = String, Header), ("X-Pintu-Signature" = String, Header)),
    responses((status = 200, body = DeliveryReportOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn sms_status(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<DeliveryReportOut>, ApiError> {
    use axum::http::StatusCode;
    use pintu_service::messages::DeliveryReport;
    let lang = signed(&s, &headers, &body, "delivery report")?;
    let Json(input) = Json::<DeliveryReportIn>::from_bytes(&body)
        .map_err(|_| webhook_error(StatusCode::UNPROCESSABLE_ENTITY, "malformed_json", lang))?;
    let reported = s
        .pintu
        .report_delivery(
            &DeliveryReport {
                reference: input.reference,
                gateway_id: input.gateway_id,
                status: input.status,
                error: input.error,
                at: input.at,
            },
            Utc::now(),
        )
        .await
        .map_err(|e| match e {
            pintu_service::Error::NotFound => {
                webhook_error(StatusCode::NOT_FOUND, "message_unknown", lang)
            }
            e => ApiError::from_service(e).with_lang(lang),
        })?;
    let m = reported.message;
    Ok(Json(DeliveryReportOut {
        delivered_at: m.delivered_at(),
        id: m.id,
        status: m.status,
        changed: reported.changed,
    }))
}
