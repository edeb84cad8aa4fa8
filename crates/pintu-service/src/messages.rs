//! Messages to residents (MSG-1): queued in the transaction of the change they announce
//! (the transactional outbox), sent by a dispatcher through a gateway with retries and
//! backoff, their status visible to officers.
//!
//! A message is claimed for a lease before it is sent and carries its id as the gateway's
//! reference: if a dispatcher dies between the gateway's answer and recording it, the lease
//! runs out and the next dispatcher sends it again under the same reference, which the
//! gateway (and the file gateway here) recognises, so the resident gets it once.
//!
//! The gateway later reports whether a sent message reached the phone
//! ([`Pintu::report_delivery`]): a sent message becomes delivered or failed, once.

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, DurationRound, Utc};
use pintu_domain::messages::{self as d, Lang, MAX_ATTEMPTS, Template, retry_delay};
use pintu_store::new_id;
use pintu_store::outbox::{self as q, MessageRow};
use serde::{Deserialize, Serialize};

use crate::registry::{Page, id_cursor, page_limit, registry_scope};
use crate::{Ctx, Error, Pintu, Result};

/// How long a dispatcher holds a claimed message before another may take it over.
pub const LEASE: Duration = Duration::minutes(5);

/// What a gateway said to one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted, with the gateway's own reference if it gave one.
    Accepted(Option<String>),
    /// Not now (the gateway failed, timed out, or asked to slow down): try again later.
    Retry(String),
    /// Never (the gateway refused the message itself): give up.
    Refused(String),
}

/// A message as the gateway receives it.
#[derive(Debug, Clone, Serialize)]
pub struct Outgoing {
    /// Pintu's id of the message: the same on every attempt, so the gateway can tell a
    /// repeat from a new message.
    pub reference: String,
    pub to: String,
    pub text: String,
}

type SendFuture<'a> = Pin<Box<dyn Future<Output = SendOutcome> + Send + 'a>>;

/// Where SMS go: a file (demo and tests) or an aggregator over HTTP.
pub trait Gateway: Send + Sync {
    fn send<'a>(&'a self, m: &'a Outgoing) -> SendFuture<'a>;
}

/// Writes each message as a JSON line to a file instead of sending it; a reference already
/// in the file is not written again.
pub struct FileGateway {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileGateway {
    pub fn new(path: impl Into<PathBuf>) -> FileGateway {
        FileGateway {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    fn write(&self, m: &Outgoing) -> std::io::Result<()> {
        let _held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let marker = format!("\"reference\":\"{}\"", m.reference);
        if let Ok(existing) = std::fs::read_to_string(&self.path)
            && existing.contains(&marker)
        {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        let line = serde_json::to_string(m).map_err(std::io::Error::other)?;
        writeln!(f, "{line}")?;
        f.sync_data()
    }
}

impl Gateway for FileGateway {
    fn send<'a>(&'a self, m: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            match self.write(m) {
                Ok(()) => SendOutcome::Accepted(None),
                Err(e) => SendOutcome::Retry(format!("file: {e}")),
            }
        })
    }
}

/// Posts each message as JSON (`{"reference", "to", "text"}`) to an SMS aggregator's URL,
/// with a bearer token if one is configured. 2xx is accepted (a JSON `id` in the answer is
/// kept as the gateway's reference); 429, 5xx, a timeout or no connection are retried; any
/// other answer refuses the message.
pub struct HttpGateway {
    client: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl HttpGateway {
    pub fn new(url: &str, token: Option<String>, timeout: StdDuration) -> Result<HttpGateway> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| Error::Internal(e.into()))?;
        Ok(HttpGateway {
            client,
            url: url.to_string(),
            token,
        })
    }
}

#[derive(Deserialize)]
struct GatewayAnswer {
    id: Option<serde_json::Value>,
}

impl Gateway for HttpGateway {
    fn send<'a>(&'a self, m: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let mut req = self
                .client
                .post(&self.url)
                .header("Idempotency-Key", &m.reference)
                .json(m);
            if let Some(t) = &self.token {
                req = req.bearer_auth(t);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) if e.is_timeout() => return SendOutcome::Retry("timeout".into()),
                Err(e) => return SendOutcome::Retry(format!("connection: {e}")),
            };
            let status = resp.status();
            if status.is_success() {
                let reference = resp
                    .json::<GatewayAnswer>()
                    .await
                    .ok()
                    .and_then(|a| a.id)
                    .map(|v| match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    });
                SendOutcome::Accepted(reference)
            } else if status.as_u16() == 429 || status.is_server_error() {
                SendOutcome::Retry(format!("HTTP {}", status.as_u16()))
            } else {
                SendOutcome::Refused(format!("HTTP {}", status.as_u16()))
            }
        })
    }
}

/// A message to queue with the change it announces.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    /// The resident it is for (empty for a number not in the registry).
    pub person_id: &'a str,
    pub village_code: &'a str,
    pub phone: Option<&'a str>,
    pub template: Template,
    pub programme: &'a str,
    pub reason: Option<&'a str>,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
}

/// A phone number an SMS can go to: digits (a leading + kept), 9 to 15 of them, a local
/// `0` turned into Indonesia's `62`.
pub fn sms_number(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let number = match digits.strip_prefix('0') {
        Some(rest) => format!("62{rest}"),
        None => digits,
    };
    (9..=15).contains(&number.len()).then_some(number)
}

/// Queues `n` in the caller's transaction; nothing when the person has no usable phone.
/// Returns the message's id.
pub async fn queue(
    c: &impl pintu_store::sea_orm::ConnectionTrait,
    n: &Notice<'_>,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    if n.phone.and_then(sms_number).is_none() {
        return Ok(None);
    }
    // The resident's chosen language; Bahasa Indonesia until they choose.
    let lang = match n.person_id {
        "" => None,
        id => pintu_store::residents::language_of(c, id).await?,
    };
    let Some(row) = message_row(n, lang.as_deref(), now) else {
        return Ok(None);
    };
    q::insert(c, &row).await?;
    Ok(Some(row.id))
}

/// The outbox row of `n` in `lang` (a resident's choice; Bahasa Indonesia if none), or none
/// when the person has no usable phone.
pub fn message_row(n: &Notice<'_>, lang: Option<&str>, now: DateTime<Utc>) -> Option<MessageRow> {
    let to = n.phone.and_then(sms_number)?;
    let lang = lang.map(Lang::parse).unwrap_or(Lang::Id);
    Some(MessageRow {
        id: new_id(),
        channel: "sms".into(),
        recipient: to,
        person_id: (!n.person_id.is_empty()).then(|| n.person_id.to_string()),
        village_code: n.village_code.to_string(),
        lang: lang.code().into(),
        template: n.template.code().into(),
        body: d::render(n.template, lang, n.programme, n.reason),
        subject_type: Some(n.subject_type.to_string()),
        subject_id: Some(n.subject_id.to_string()),
        status: d::Status::Queued.code().into(),
        attempts: 0,
        next_attempt_at: now,
        lease_until: None,
        last_error: None,
        gateway_ref: None,
        created_at: now,
        updated_at: now,
        sent_at: None,
    })
}

/// A message as officers see it: a resident's login code or a mandate's code is never
/// shown, so that nobody but the resident can log in or confirm with it.
fn shown(mut m: MessageRow) -> MessageRow {
    if let Some(t) = Template::parse(&m.template).filter(|t| t.carries_code()) {
        // The body again with the code masked (the wallet's name is not kept apart).
        m.body = d::render(t, Lang::parse(&m.lang), "e-wallet", Some("******"));
    }
    m
}

/// The gateway's report on a message it was given, as its delivery webhook posts it.
#[derive(Debug, Clone, Default)]
pub struct DeliveryReport {
    /// Pintu's id of the message (the `reference` and `Idempotency-Key` it was sent with).
    pub reference: Option<String>,
    /// The gateway's own id of the message, as it answered the send.
    pub gateway_id: Option<String>,
    /// `delivered` or `failed`.
    pub status: String,
    /// Why it was not delivered.
    pub error: Option<String>,
    /// When it was delivered or given up (RFC 3339); defaults to when the report arrives.
    pub at: Option<String>,
}

/// A message after a delivery report, and whether the report changed it.
#[derive(Debug, Clone)]
pub struct Reported {
    pub message: MessageRow,
    pub changed: bool,
}

/// The characters of a gateway's error kept with a message.
const MAX_ERROR_CHARS: usize = 500;

/// What one pass of the dispatcher did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DispatchRun {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    /// Sent, but another dispatcher had taken the message over meanwhile.
    pub lost: u64,
}

impl Pintu {
    /// Sends the messages due at `now` through `gateway`, at most `limit` of them.
    pub async fn dispatch_messages(
        &self,
        gateway: &dyn Gateway,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<DispatchRun> {
        // Whole milliseconds: the lease is compared for equality after a round trip
        // through either database.
        let lease = (now + LEASE)
            .duration_trunc(Duration::milliseconds(1))
            .map_err(|e| Error::Internal(e.into()))?;
        let claimed = q::claim_due(self.store.conn(), now, lease, limit).await?;
        let mut run = DispatchRun::default();
        for m in claimed {
            let out = Outgoing {
                reference: m.id.clone(),
                to: m.recipient.clone(),
                text: m.body.clone(),
            };
            let outcome = gateway.send(&out).await;
            let attempts = m.attempts + 1;
            let (status, next, error, reference) = match &outcome {
                SendOutcome::Accepted(r) => ("sent", now, None, r.as_deref()),
                SendOutcome::Retry(e) if attempts < MAX_ATTEMPTS => (
                    "queued",
                    now + retry_delay(m.attempts),
                    Some(e.as_str()),
                    None,
                ),
                SendOutcome::Retry(e) | SendOutcome::Refused(e) => {
                    ("failed", now, Some(e.as_str()), None)
                }
            };
            let kept = q::finish(
                self.store.conn(),
                &m.id,
                lease,
                status,
                attempts,
                next,
                error,
                reference,
                Utc::now(),
            )
            .await?;
            match (kept, status) {
                (false, _) => run.lost += 1,
                (true, "sent") => run.sent += 1,
                (true, "queued") => run.retried += 1,
                (true, _) => run.failed += 1,
            }
            if let Some(e) = error {
                tracing::warn!(message = %m.id, attempts, status, error = e, "message not sent");
            }
        }
        Ok(run)
    }

    /// Records the gateway's report that a message was delivered or could not be: only a
    /// sent message changes (to delivered, or to failed with the gateway's error). A report
    /// about a message that is queued, failed or already reported, or a repeat of one,
    /// changes nothing, so the gateway may post it again. A message being sent (the
    /// gateway's report came before its answer was recorded) is a conflict, for the gateway
    /// to post again later.
    pub async fn report_delivery(
        &self,
        report: &DeliveryReport,
        now: DateTime<Utc>,
    ) -> Result<Reported> {
        let status = match d::Status::parse(&report.status) {
            Some(s @ (d::Status::Delivered | d::Status::Failed)) => s,
            _ => return Err(Error::invalid("status", "status_unknown")),
        };
        let at = match report
            .at
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            None => None,
            Some(a) => Some(
                DateTime::parse_from_rfc3339(a)
                    .map_err(|_| Error::invalid("at", "date_invalid"))?
                    .with_timezone(&Utc),
            ),
        };
        let error = match status {
            d::Status::Failed => Some(
                report
                    .error
                    .as_deref()
                    .map(|e| e.trim().chars().take(MAX_ERROR_CHARS).collect::<String>())
                    .filter(|e| !e.is_empty())
                    .unwrap_or_else(|| "not delivered".into()),
            ),
            _ => None,
        };
        let m = self.reported_message(report).await?;
        if m.status == d::Status::Sending.code() {
            return Err(Error::Conflict {
                code: "message_being_sent",
                field: Some("reference".into()),
            });
        }
        // Not before it was sent, nor later than now: the gateway's clock is not ours.
        let at = at
            .unwrap_or(now)
            .min(now)
            .max(m.sent_at.unwrap_or(m.created_at));
        let changed = q::report_delivery(
            self.store.conn(),
            &m.id,
            status.code(),
            error.as_deref(),
            at,
        )
        .await?;
        let current = q::get(
            self.store.conn(),
            &pintu_domain::access::Scope::National,
            &m.id,
        )
        .await?
        .ok_or(Error::NotFound)?;
        self.audit
            .record(
                &Ctx::system("sms"),
                "message.delivery_report",
                "message",
                Some(&current.id),
                Some(&current.village_code),
                Some(format!(
                    "reported={} was={} now={}",
                    status.code(),
                    m.status,
                    current.status
                )),
            )
            .await?;
        Ok(Reported {
            message: current,
            changed,
        })
    }

    /// The message a delivery report is about: by Pintu's reference, else by the gateway's
    /// own id when exactly one message has it.
    async fn reported_message(&self, report: &DeliveryReport) -> Result<MessageRow> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let (reference, gateway_id) = (given(&report.reference), given(&report.gateway_id));
        if reference.is_none() && gateway_id.is_none() {
            return Err(Error::invalid("reference", "required"));
        }
        if let Some(id) = reference.as_deref().and_then(pintu_store::parse_id)
            && let Some(m) = q::get(
                self.store.conn(),
                &pintu_domain::access::Scope::National,
                &id,
            )
            .await?
        {
            return Ok(m);
        }
        let Some(gateway_id) = gateway_id else {
            return Err(Error::NotFound);
        };
        let mut found = q::by_gateway_ref(self.store.conn(), &gateway_id, 2).await?;
        match found.len() {
            0 => Err(Error::NotFound),
            1 => Ok(found.remove(0)),
            _ => Err(Error::Conflict {
                code: "gateway_id_ambiguous",
                field: Some("gateway_id".into()),
            }),
        }
    }

    /// Messages to residents of the actor's area (or `area` inside it), newest first.
    pub async fn messages(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        status: Option<&str>,
        before: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Page<MessageRow>> {
        registry_scope(ctx)?;
        let scope = self.narrowed_scope(ctx, area).await?;
        let limit = page_limit(limit)?;
        let before = id_cursor("before", before)?;
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                d::Status::parse(s)
                    .ok_or_else(|| Error::invalid("status", "status_unknown"))?
                    .code(),
            ),
        };
        let rows = q::list(
            self.store.conn(),
            &scope,
            status,
            None,
            before.as_deref(),
            limit,
        )
        .await?;
        let rows: Vec<MessageRow> = rows.into_iter().map(shown).collect();
        self.audit
            .record(
                ctx,
                "message.list",
                "message",
                None,
                area,
                Some(format!("count={}", rows.len())),
            )
            .await?;
        Ok(Page::of(rows, limit, |m| m.id.clone()))
    }

    /// One message, if it is to a resident of the actor's area.
    pub async fn message(&self, ctx: &Ctx, id: &str) -> Result<MessageRow> {
        let scope = registry_scope(ctx)?;
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let m = q::get(self.store.conn(), &scope, &id)
            .await?
            .map(shown)
            .ok_or(Error::NotFound)?;
        self.audit
            .record(
                ctx,
                "message.read",
                "message",
                Some(&m.id),
                Some(&m.village_code),
                None,
            )
            .await?;
        Ok(m)
    }

    /// The messages about one record (an application), oldest first; the caller has
    /// checked the actor may see the record.
    pub(crate) async fn messages_about(&self, subject_id: &str) -> Result<Vec<MessageRow>> {
        let mut rows = q::list(
            self.store.conn(),
            &pintu_domain::access::Scope::National,
            None,
            Some(subject_id),
            None,
            100,
        )
        .await?;
        rows.reverse();
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_become_international_digits() {
        assert_eq!(
            sms_number("0812 3456 7890").as_deref(),
            Some("6281234567890")
        );
        assert_eq!(
            sms_number("+62 812-3456-7890").as_deref(),
            Some("6281234567890")
        );
        assert_eq!(sms_number("12345"), None);
        assert_eq!(sms_number(""), None);
    }
}
