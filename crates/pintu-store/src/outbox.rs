//! The outbox: messages to residents written with the change they announce, claimed by a
//! dispatcher for a lease, and marked sent, retried later or failed; a sent message is then
//! marked delivered or failed by the gateway's delivery report.

use chrono::{DateTime, Utc};
use pintu_domain::access::Scope;
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;

use crate::{FromRow, Result, Row, col, execute, fetch_all, fetch_one, scope_filter};

/// A message as it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageRow {
    pub id: String,
    pub channel: String,
    pub recipient: String,
    pub person_id: Option<String>,
    pub village_code: String,
    pub lang: String,
    pub template: String,
    pub body: String,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub lease_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub gateway_ref: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it last changed; for a delivered message, when the gateway reported it
    /// delivered (nothing changes a delivered message afterwards).
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl MessageRow {
    /// When the gateway reported the message delivered, if it did.
    pub fn delivered_at(&self) -> Option<DateTime<Utc>> {
        (self.status == "delivered").then_some(self.updated_at)
    }
}

impl FromRow for MessageRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(MessageRow {
            id: col(row, "id")?,
            channel: col(row, "channel")?,
            recipient: col(row, "recipient")?,
            person_id: col(row, "person_id")?,
            village_code: col(row, "village_code")?,
            lang: col(row, "lang")?,
            template: col(row, "template")?,
            body: col(row, "body")?,
            subject_type: col(row, "subject_type")?,
            subject_id: col(row, "subject_id")?,
            status: col(row, "status")?,
            attempts: col(row, "attempts")?,
            next_attempt_at: col(row, "next_attempt_at")?,
            lease_until: col(row, "lease_until")?,
            last_error: col(row, "last_error")?,
            gateway_ref: col(row, "gateway_ref")?,
            created_at: col(row, "created_at")?,
            updated_at: col(row, "updated_at")?,
            sent_at: col(row, "sent_at")?,
        })
    }
}

const COLUMNS: &str = "id, channel, recipient, person_id, village_code, lang, template, body, \
    subject_type, subject_id, status, attempts, next_attempt_at, lease_until, last_error, \
    gateway_ref, created_at, updated_at, sent_at";

/// Queues a message (in the caller's transaction).
pub async fn insert(c: &impl ConnectionTrait, m: &MessageRow) -> Result<()> {
    execute(
        c,
        &format!(
            "INSERT INTO outbox_messages ({COLUMNS}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        message_values(m).into(),
    )
    .await?;
    Ok(())
}

/// The columns of a message, as [`message_values`] gives them.
pub(crate) const MESSAGE_COLUMNS: &[(&str, crate::rows::Kind)] = {
    use crate::rows::Kind::{Instant, Int, Text};
    &[
        ("id", Text),
        ("channel", Text),
        ("recipient", Text),
        ("person_id", Text),
        ("village_code", Text),
        ("lang", Text),
        ("template", Text),
        ("body", Text),
        ("subject_type", Text),
        ("subject_id", Text),
        ("status", Text),
        ("attempts", Int),
        ("next_attempt_at", Instant),
        ("lease_until", Instant),
        ("last_error", Text),
        ("gateway_ref", Text),
        ("created_at", Instant),
        ("updated_at", Instant),
        ("sent_at", Instant),
    ]
};

/// A message's values, in the order of [`MESSAGE_COLUMNS`].
pub(crate) fn message_values(m: &MessageRow) -> [Value; 19] {
    [
        m.id.clone().into(),
        m.channel.clone().into(),
        m.recipient.clone().into(),
        m.person_id.clone().into(),
        m.village_code.clone().into(),
        m.lang.clone().into(),
        m.template.clone().into(),
        m.body.clone().into(),
        m.subject_type.clone().into(),
        m.subject_id.clone().into(),
        m.status.clone().into(),
        m.attempts.into(),
        m.next_attempt_at.into(),
        m.lease_until.into(),
        m.last_error.clone().into(),
        m.gateway_ref.clone().into(),
        m.created_at.into(),
        m.updated_at.into(),
        m.sent_at.into(),
    ]
}

/// Inserts many messages in few statements (a billing run's).
pub async fn insert_many(c: &impl ConnectionTrait, messages: &[MessageRow]) -> Result<()> {
    for chunk in messages.chunks(500) {
        let mut rows = crate::rows::Rows::new(MESSAGE_COLUMNS, chunk.len());
        for m in chunk {
            rows.push(message_values(m));
        }
        let (sql, values) = rows.insert(c, "outbox_messages");
        execute(c, &sql, values).await?;
    }
    Ok(())
}

/// Who a family's messages go to: (person, village, phone, language).
pub type Recipient = (String, String, String, Option<String>);

/// Who a family's messages go to: for each household, the head if they have a phone, else
/// the first living member with one: household → recipient. Read on `c` (a connection or a
/// transaction).
pub async fn family_recipients(
    c: &impl ConnectionTrait,
    households: &[String],
) -> Result<std::collections::HashMap<String, Recipient>> {
    recipients_read_by(c, households, |sql, values| async move {
        fetch_all::<RecipientRow>(c, &sql, values).await
    })
    .await
}

/// [`family_recipients`] read outside any transaction, as committed (on an SQLite file on
/// the store's own reader connections, which another task can step while a writer runs).
pub async fn family_recipients_committed(
    store: &crate::Store,
    households: &[String],
) -> Result<std::collections::HashMap<String, Recipient>> {
    recipients_read_by(store.conn(), households, |sql, values| async move {
        store.fetch_all::<RecipientRow>(&sql, values).await
    })
    .await
}

/// A member who may receive a family's messages, as [`family_recipients`] reads them.
struct RecipientRow {
    household_id: String,
    person_id: String,
    village_code: String,
    phone: String,
    relationship: Option<String>,
    language: Option<String>,
}

impl FromRow for RecipientRow {
    fn from_row(row: &impl Row) -> Result<Self> {
        Ok(RecipientRow {
            household_id: col(row, "household_id")?,
            person_id: col(row, "id")?,
            village_code: col(row, "village_code")?,
            phone: col(row, "phone")?,
            relationship: col(row, "relationship")?,
            language: col(row, "language")?,
        })
    }
}

impl RecipientRow {
    fn recipient(self) -> Recipient {
        (self.person_id, self.village_code, self.phone, self.language)
    }
}

/// [`family_recipients`], each read made by `read` (statement, values).
async fn recipients_read_by<F, Fut>(
    c: &impl ConnectionTrait,
    households: &[String],
    read: F,
) -> Result<std::collections::HashMap<String, Recipient>>
where
    F: Fn(String, Vec<sea_orm::Value>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<RecipientRow>>>,
{
    let mut out: std::collections::HashMap<String, Recipient> = Default::default();
    // PostgreSQL reads the families from one JSON parameter, whose length its planner does
    // not guess: it looks up each family's members. (Given a list of a few hundred
    // placeholders, it would rather read every person, up to about a million.)
    let sql = |list: &str, only_heads: bool| {
        format!(
            "SELECT m.household_id, p.id, p.village_code, p.phone, m.relationship, \
             rp.language FROM household_members m JOIN persons p ON p.id = m.person_id \
             LEFT JOIN resident_preferences rp ON rp.person_id = p.id \
             WHERE m.household_id IN {list} AND p.phone IS NOT NULL \
             AND p.life_status = 'alive'{} ORDER BY m.household_id, p.birth_date, p.id",
            if only_heads {
                format!(
                    " AND m.relationship = '{}'",
                    pintu_domain::Relationship::Head.code()
                )
            } else {
                String::new()
            }
        )
    };
    for chunk in households.chunks(1000) {
        // The heads first: one person a family to look up rather than all of its members.
        let (list, values) = crate::rows::keys_in(c, chunk);
        for r in read(sql(&list, true), values).await? {
            if let std::collections::hash_map::Entry::Vacant(e) = out.entry(r.household_id.clone())
            {
                e.insert(r.recipient());
            }
        }
        // Then the families whose head has no phone (or is recorded in other words).
        let rest: Vec<String> = chunk
            .iter()
            .filter(|h| !out.contains_key(*h))
            .cloned()
            .collect();
        if rest.is_empty() {
            continue;
        }
        let (list, values) = crate::rows::keys_in(c, &rest);
        let mut is_head: std::collections::HashMap<String, bool> = Default::default();
        for r in read(sql(&list, false), values).await? {
            let head = r
                .relationship
                .as_deref()
                .and_then(pintu_domain::Relationship::parse)
                == Some(pintu_domain::Relationship::Head);
            if out.contains_key(&r.household_id) && (!head || is_head[&r.household_id]) {
                continue;
            }
            is_head.insert(r.household_id.clone(), head);
            out.insert(r.household_id.clone(), r.recipient());
        }
    }
    Ok(out)
}

/// Claims up to `limit` messages due at `now` — queued ones whose time has come, and ones
/// whose dispatcher's lease ran out (it stopped mid-send) — until `lease_until`. Each claim
/// is one conditional update, so two dispatchers never hold the same message.
pub async fn claim_due(
    c: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<MessageRow>> {
    let due: Vec<MessageRow> = fetch_all(
        c,
        &format!(
            "SELECT {COLUMNS} FROM outbox_messages WHERE \
             (status = 'queued' AND next_attempt_at <= ?) \
             OR (status = 'sending' AND lease_until < ?) \
             ORDER BY next_attempt_at, id LIMIT ?"
        ),
        vec![now.into(), now.into(), (limit as i64).into()],
    )
    .await?;
    let mut claimed = Vec::with_capacity(due.len());
    for mut m in due {
        let n = execute(
            c,
            "UPDATE outbox_messages SET status = 'sending', lease_until = ?, updated_at = ? \
             WHERE id = ? AND ((status = 'queued' AND next_attempt_at <= ?) \
             OR (status = 'sending' AND lease_until < ?))",
            vec![
                lease_until.into(),
                now.into(),
                m.id.clone().into(),
                now.into(),
                now.into(),
            ],
        )
        .await?;
        if n == 1 {
            m.status = "sending".into();
            m.lease_until = Some(lease_until);
            claimed.push(m);
        }
    }
    Ok(claimed)
}

/// Records the outcome of a send by the dispatcher holding the lease `lease_until`: false
/// if it lost the message meanwhile (its lease ran out and another claimed it).
#[allow(clippy::too_many_arguments)]
pub async fn finish(
    c: &impl ConnectionTrait,
    id: &str,
    lease_until: DateTime<Utc>,
    status: &str,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    error: Option<&str>,
    gateway_ref: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let sent = (status == "sent").then_some(now);
    let n = execute(
        c,
        "UPDATE outbox_messages SET status = ?, attempts = ?, next_attempt_at = ?, \
         lease_until = NULL, last_error = ?, gateway_ref = COALESCE(?, gateway_ref), \
         sent_at = COALESCE(?, sent_at), updated_at = ? \
         WHERE id = ? AND status = 'sending' AND lease_until = ?",
        vec![
            status.into(),
            attempts.into(),
            next_attempt_at.into(),
            error.map(str::to_string).into(),
            gateway_ref.map(str::to_string).into(),
            sent.into(),
            now.into(),
            id.into(),
            lease_until.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Records the gateway's report on a sent message: `delivered` or `failed` (with the
/// gateway's `error`) as of `at`. Only a `sent` message changes; false for any other (a
/// repeated report, or one about a message that is not out).
pub async fn report_delivery(
    c: &impl ConnectionTrait,
    id: &str,
    status: &str,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = execute(
        c,
        "UPDATE outbox_messages SET status = ?, last_error = COALESCE(?, last_error), \
         updated_at = ? WHERE id = ? AND status = 'sent'",
        vec![
            status.into(),
            error.map(str::to_string).into(),
            at.into(),
            id.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Up to `limit` messages the gateway answered with its own reference `gateway_ref`.
pub async fn by_gateway_ref(
    c: &impl ConnectionTrait,
    gateway_ref: &str,
    limit: u64,
) -> Result<Vec<MessageRow>> {
    fetch_all(
        c,
        &format!("SELECT {COLUMNS} FROM outbox_messages WHERE gateway_ref = ? ORDER BY id LIMIT ?"),
        vec![gateway_ref.into(), (limit as i64).into()],
    )
    .await
}

/// Messages in `scope`, newest first, by status and subject.
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    status: Option<&str>,
    subject_id: Option<&str>,
    before: Option<&str>,
    limit: u64,
) -> Result<Vec<MessageRow>> {
    let (area, mut values) = scope_filter(scope, "village_code");
    let mut sql = format!("SELECT {COLUMNS} FROM outbox_messages WHERE {area}");
    for (column, v) in [("status", status), ("subject_id", subject_id)] {
        if let Some(v) = v {
            sql.push_str(&format!(" AND {column} = ?"));
            values.push(v.into());
        }
    }
    if let Some(b) = before {
        sql.push_str(" AND id < ?");
        values.push(b.into());
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    values.push((limit as i64).into());
    fetch_all(c, &sql, values).await
}

pub async fn get(c: &impl ConnectionTrait, scope: &Scope, id: &str) -> Result<Option<MessageRow>> {
    let (area, mut values) = scope_filter(scope, "village_code");
    values.insert(0, id.into());
    fetch_one(
        c,
        &format!("SELECT {COLUMNS} FROM outbox_messages WHERE id = ? AND {area}"),
        values,
    )
    .await
}
