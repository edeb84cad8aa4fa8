//! E-wallet auto-debit of JKN family contributions (for families without a bank account):
//! the family — the resident for their own household, or an officer of its area — authorises
//! one e-wallet account; each open bill is then debited from it when it is issued, and again
//! on a later day when the wallet refused, [`MAX_DEBIT_ATTEMPTS`] times at most.
//!
//! A debit is recorded before it is sent, and its id is the idempotency key: after a crash
//! between recording and sending, the same request goes again with the same id, which the
//! gateway answers as before without charging twice; its callback books through
//! [`Pintu::receive_payment`] under that key, so the money is booked once whatever repeats.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use pintu_domain::autodebit::{
    DebitStatus, MAX_DEBIT_ATTEMPTS, Wallet, WalletPhone, masked_phone, refusal_code,
};
use pintu_domain::jkn::Segment;
use pintu_domain::messages::Template;
use pintu_domain::payments::Channel;
use pintu_store::autodebit::{self as q, DebitRow, MandateRow};
use pintu_store::new_id;
use serde::{Deserialize, Serialize};

use crate::auth::{code_hash, code_shaped, one_time_code, same};
use crate::payments::{Booked, PaymentInput, wib_day};
use crate::{Ctx, Error, Pintu, Result};

/// How long a sender holds a debit it claimed: more than the gateway's timeout
/// ([`DebitGateway::new`]), so a send still waiting for its answer keeps its claim.
pub const SEND_LEASE: std::time::Duration = std::time::Duration::from_secs(120);

/// How long the gateway has to answer a debit request.
const GATEWAY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// How many of a family's debits its page shows.
pub const RECENT_DEBITS: u64 = 24;

/// How long a mandate's code lives.
pub const MANDATE_CODE_MINUTES: i64 = 10;
/// Wrong guesses a mandate's code allows.
pub const MANDATE_CODE_GUESSES: i32 = 5;
/// Mandates (codes sent) a family may set up within [`MANDATE_WINDOW_MINUTES`].
pub const MANDATES_PER_WINDOW: i64 = 3;
pub const MANDATE_WINDOW_MINUTES: i64 = 15;

/// The e-wallet gateway Pintu sends debit requests to, signed like the callbacks it sends
/// back: `X-Pintu-Signature: sha256=<hex HMAC-SHA256 of "<X-Pintu-Timestamp>.<body>">` with
/// the payments secret, and the request id as `Idempotency-Key`.
#[derive(Clone)]
pub struct DebitGateway {
    url: String,
    secret: String,
    client: reqwest::Client,
}

/// What the gateway answered to a debit request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct GatewayAnswer {
    /// `accepted` (the money follows in a callback) or `refused`.
    pub status: String,
    /// Why it was refused: `insufficient_balance`, `mandate_unknown` ...
    #[serde(default)]
    pub reason: Option<String>,
}

/// A debit request as the gateway receives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DebitRequestBody {
    /// The idempotency key: the same id is the same debit, however often it is sent.
    pub request_id: String,
    /// A [`Wallet`] code.
    pub wallet: String,
    /// The wallet account's phone number, `+62...`.
    pub phone: String,
    pub amount: i64,
    /// The family's virtual account, which the callback names.
    pub va_number: String,
}

impl DebitGateway {
    /// A gateway at `url`, signed with the payments `secret`.
    pub fn new(url: impl Into<String>, secret: impl Into<String>) -> DebitGateway {
        DebitGateway {
            url: url.into(),
            secret: secret.into(),
            client: reqwest::Client::builder()
                .timeout(GATEWAY_TIMEOUT)
                .build()
                .unwrap_or_default(),
        }
    }

    /// Sends one debit request; its answer, or an error when none came (sent again later).
    pub async fn send(&self, d: &DebitRow) -> anyhow::Result<GatewayAnswer> {
        let body = serde_json::to_vec(&DebitRequestBody {
            request_id: d.id.clone(),
            wallet: d.wallet.clone(),
            phone: d.phone.clone(),
            amount: d.amount,
            va_number: d.va_number.clone(),
        })?;
        let ts = Utc::now().timestamp();
        let sig = crate::sms::sign(&self.secret, ts, &body);
        let resp = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("idempotency-key", &d.id)
            .header("x-pintu-timestamp", ts.to_string())
            .header("x-pintu-signature", format!("sha256={sig}"))
            .body(body)
            .send()
            .await?;
        let status = resp.status();
        let answer: Option<GatewayAnswer> = resp.json().await.ok();
        match answer {
            Some(a) if matches!(a.status.as_str(), "accepted" | "refused") => Ok(a),
            _ => anyhow::bail!("debit gateway answered {status} without a decision"),
        }
    }
}

/// The code that confirms a pending mandate.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MandateCode {
    /// The six digits sent by SMS to the wallet's number.
    pub code: String,
}

/// Setting up a mandate.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MandateInput {
    /// A [`Wallet`] code: `gopay`, `ovo`, `dana`, `shopeepay` or `linkaja`.
    pub wallet: String,
    /// The wallet account's phone number.
    pub phone: String,
}

/// A mandate as shown: the phone number masked.
#[derive(Debug, Clone, Serialize)]
pub struct Mandate {
    pub id: String,
    pub wallet: String,
    pub wallet_name: &'static str,
    pub phone_masked: String,
    pub status: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Until when a pending mandate's code may be entered.
    pub code_expires_at: Option<DateTime<Utc>>,
    /// When the code came back and the mandate became active.
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl Mandate {
    /// Since when it is in effect: confirmed, or set up (before codes were asked).
    pub fn since(&self) -> DateTime<Utc> {
        self.confirmed_at.unwrap_or(self.created_at)
    }
}

impl From<MandateRow> for Mandate {
    fn from(m: MandateRow) -> Self {
        let pending = m.status == "pending";
        Mandate {
            wallet_name: Wallet::parse(&m.wallet).map_or("?", Wallet::name),
            phone_masked: masked_phone(&m.phone),
            id: m.id,
            wallet: m.wallet,
            status: m.status,
            created_by: m.created_by,
            created_at: m.created_at,
            cancelled_by: m.cancelled_by,
            cancelled_at: m.cancelled_at,
            code_expires_at: m.code_expires_at.filter(|_| pending),
            confirmed_at: m.confirmed_at,
        }
    }
}

/// A family's auto-debit: its active mandate, the one waiting for its code, every mandate it
/// had, and its recent debits.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyDebits {
    pub active: Option<Mandate>,
    /// The mandate set up last, waiting for the code sent to the wallet's number.
    pub pending: Option<Mandate>,
    /// Every mandate that was in effect, newest first, the active one included.
    pub mandates: Vec<Mandate>,
    /// Newest first.
    pub debits: Vec<DebitRow>,
    /// Whether Pintu sends debits (a gateway is configured).
    pub sending: bool,
    /// Whether the family pays its own contributions (PBPU, BP): only they can set one up.
    pub applicable: bool,
}

/// What a pass of the sender did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DebitSend {
    pub accepted: u64,
    pub refused: u64,
    /// Not sent: the bill was paid or the mandate cancelled since it was recorded.
    pub cancelled: u64,
    /// No answer from the gateway: sent again at the next pass.
    pub errors: u64,
}

/// The gateway's callback for a debit it took.
#[derive(Debug, Clone, Deserialize)]
pub struct DebitResult {
    /// `paid` or `failed`.
    pub status: String,
    pub va_number: String,
    pub amount: i64,
    /// The gateway's reference of the money (on its statement); the request id if absent.
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub paid_at: Option<DateTime<Utc>>,
    /// Why it failed.
    #[serde(default)]
    pub reason: Option<String>,
}

/// What a callback did: the debit as it now stands, and the booking of a paid one.
#[derive(Debug, Clone, Serialize)]
pub struct DebitSettled {
    pub debit: DebitRow,
    pub booked: Option<Booked>,
}

fn mandate_exists() -> Error {
    Error::Conflict {
        code: "debit_mandate_exists",
        field: Some("wallet".into()),
    }
}

fn not_pending() -> Error {
    Error::Conflict {
        code: "debit_mandate_not_pending",
        field: None,
    }
}

fn is_paying(segment: &str) -> bool {
    matches!(Segment::parse(segment), Some(Segment::Pbpu | Segment::Bp))
}

impl Pintu {
    /// Sends debits to the gateway at `url` (none: debits are recorded and not sent).
    pub fn with_debit_gateway(mut self, url: Option<String>) -> Pintu {
        let url = url.filter(|u| !u.trim().is_empty());
        let secret = self.payments_secret.as_ref().clone().unwrap_or_default();
        self.debit_gateway = Arc::new(url.map(|u| DebitGateway::new(u.trim(), secret)));
        self
    }

    /// The family of a member the actor may act for (the resident's own, or one of an
    /// officer's area), with its household and whether it pays its own bills.
    async fn debit_family(
        &self,
        ctx: &Ctx,
        person_id: &str,
    ) -> Result<(crate::membership::Membership, Option<String>)> {
        let m = self.membership(ctx, person_id).await?;
        let household = m.member.household_id.clone();
        Ok((m, household))
    }

    /// A family's auto-debit (the resident for their own, officers of its area).
    pub async fn family_debits(&self, ctx: &Ctx, person_id: &str) -> Result<FamilyDebits> {
        let (m, household) = self.debit_family(ctx, person_id).await?;
        self.member_debits(&m, household.as_deref()).await
    }

    /// The auto-debit of the family of a membership read with [`Pintu::membership`].
    pub async fn member_debits(
        &self,
        m: &crate::membership::Membership,
        household: Option<&str>,
    ) -> Result<FamilyDebits> {
        let sending = self.debit_gateway.is_some();
        let applicable = is_paying(&m.member.segment) && household.is_some();
        let Some(household) = household else {
            return Ok(FamilyDebits {
                active: None,
                pending: None,
                mandates: Vec::new(),
                debits: Vec::new(),
                sending,
                applicable,
            });
        };
        let c = self.store.conn();
        let all: Vec<Mandate> = q::mandates_of(c, household)
            .await?
            .into_iter()
            .map(Mandate::from)
            .collect();
        let pending = all.iter().find(|m| m.status == "pending").cloned();
        let mandates: Vec<Mandate> = all
            .into_iter()
            .filter(|m| matches!(m.status.as_str(), "active" | "cancelled"))
            .collect();
        Ok(FamilyDebits {
            active: mandates.iter().find(|m| m.status == "active").cloned(),
            pending,
            mandates,
            debits: q::debits_of(c, household, RECENT_DEBITS).await?,
            sending,
            applicable,
        })
    }

    /// Starts authorising the family's bills to be debited from an e-wallet account: the
    /// resident for their own household, or an officer of its area who may change the
    /// registry. The mandate waits, pending, until [`Pintu::confirm_debit_mandate`] is given
    /// the code sent by SMS to the wallet's number: that proves the family holds the wallet.
    /// One active mandate per family: another is a conflict until it is cancelled; a new
    /// one replaces a pending one (and sends a new code), [`MANDATES_PER_WINDOW`] in
    /// [`MANDATE_WINDOW_MINUTES`] at most.
    pub async fn set_debit_mandate(
        &self,
        ctx: &Ctx,
        person_id: &str,
        input: &MandateInput,
        now: DateTime<Utc>,
    ) -> Result<FamilyDebits> {
        if !ctx.actor.is_resident() && !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let (m, household) = self.debit_family(ctx, person_id).await?;
        let Some(household) = household.filter(|_| is_paying(&m.member.segment)) else {
            return Err(Error::Conflict {
                code: "debit_not_applicable",
                field: None,
            });
        };
        let mut invalid = pintu_domain::Invalid::default();
        let wallet = Wallet::parse(&input.wallet);
        if wallet.is_none() {
            invalid.push(
                "wallet",
                if input.wallet.trim().is_empty() {
                    "required"
                } else {
                    "wallet_unknown"
                },
            );
        }
        let phone = WalletPhone::parse(&input.phone)
            .map_err(|code| invalid.push("phone", code))
            .ok();
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let (Some(wallet), Some(phone)) = (wallet, phone) else {
            return Err(Error::Internal(anyhow::anyhow!("validated mandate")));
        };
        let c = self.store.conn();
        if q::active_mandate(c, &household).await?.is_some() {
            return Err(mandate_exists());
        }
        let window = now - chrono::Duration::minutes(MANDATE_WINDOW_MINUTES);
        if q::mandates_since(c, &household, window).await? >= MANDATES_PER_WINDOW {
            return Err(Error::TooManyAttempts {
                retry_after_secs: (MANDATE_WINDOW_MINUTES * 60) as u64,
            });
        }
        let code = one_time_code();
        let id = new_id();
        let row = MandateRow {
            code_hash: Some(code_hash(&id, &code)),
            id,
            household_id: household.clone(),
            village_code: m.member.village_code.clone(),
            wallet: wallet.code().into(),
            phone: phone.as_str().into(),
            status: "pending".into(),
            created_by: ctx.actor.label(),
            created_at: now,
            cancelled_by: None,
            cancelled_at: None,
            code_expires_at: Some(now + chrono::Duration::minutes(MANDATE_CODE_MINUTES)),
            code_attempts: 0,
            confirmed_at: None,
        };
        let tx = self.store.begin().await?;
        q::withdraw_pending(&tx, &household, &ctx.actor.label(), now).await?;
        q::insert_pending_mandate(&tx, &row).await?;
        crate::messages::queue(
            &tx,
            &crate::messages::Notice {
                person_id: &m.member.person_id,
                village_code: &row.village_code,
                phone: Some(&row.phone),
                template: Template::DebitMandateCode,
                programme: wallet.name(),
                reason: Some(&code),
                subject_type: "debit_mandate",
                subject_id: &row.id,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        self.outbox_wake.notify_one();
        self.audit
            .record(
                ctx,
                "autodebit.mandate_code",
                "debit_mandate",
                Some(&row.id),
                Some(&row.village_code),
                Some(format!("wallet={}", wallet.code())),
            )
            .await?;
        self.member_debits(&m, Some(&household)).await
    }

    /// Confirms the family's pending mandate with the code sent to the wallet's number (the
    /// resident, or an officer of the area the member tells it to): the mandate becomes
    /// active. A code lives [`MANDATE_CODE_MINUTES`] and allows [`MANDATE_CODE_GUESSES`]
    /// wrong guesses.
    pub async fn confirm_debit_mandate(
        &self,
        ctx: &Ctx,
        person_id: &str,
        input: &MandateCode,
        now: DateTime<Utc>,
    ) -> Result<FamilyDebits> {
        if !ctx.actor.is_resident() && !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let (m, household) = self.debit_family(ctx, person_id).await?;
        let c = self.store.conn();
        let pending = match &household {
            Some(h) => q::pending_mandate(c, h).await?,
            None => None,
        };
        let (Some(household), Some(pending)) = (household, pending) else {
            return Err(not_pending());
        };
        let code = input.code.trim();
        let wrong = || Error::invalid("code", "debit_code_wrong");
        let spent = || Error::invalid("code", "debit_code_expired");
        if !code_shaped(code) {
            return Err(wrong());
        }
        if !q::take_code_guess(c, &pending.id, now, MANDATE_CODE_GUESSES).await? {
            return Err(spent());
        }
        let right = pending
            .code_hash
            .as_deref()
            .is_some_and(|h| same(h, &code_hash(&pending.id, code)));
        if !right {
            self.audit
                .record(
                    ctx,
                    "autodebit.mandate_code_wrong",
                    "debit_mandate",
                    Some(&pending.id),
                    Some(&pending.village_code),
                    None,
                )
                .await?;
            return Err(if pending.code_attempts + 1 >= MANDATE_CODE_GUESSES {
                spent()
            } else {
                wrong()
            });
        }
        if !q::activate_mandate(c, &pending.id, &household, now)
            .await
            .map_err(|e| match Error::from(e) {
                Error::Conflict { .. } => mandate_exists(),
                other => other,
            })?
        {
            // Withdrawn or replaced while the code was checked.
            return Err(not_pending());
        }
        self.audit
            .record(
                ctx,
                "autodebit.mandate_set",
                "debit_mandate",
                Some(&pending.id),
                Some(&pending.village_code),
                Some(format!("wallet={}", pending.wallet)),
            )
            .await?;
        self.member_debits(&m, Some(&household)).await
    }

    /// Cancels the family's active mandate (the resident or an officer of the area): its
    /// debits not yet sent are not sent. Without an active one, withdraws the one waiting
    /// for its code.
    pub async fn cancel_debit_mandate(
        &self,
        ctx: &Ctx,
        person_id: &str,
        now: DateTime<Utc>,
    ) -> Result<FamilyDebits> {
        if !ctx.actor.is_resident() && !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let (m, household) = self.debit_family(ctx, person_id).await?;
        let none = || Error::Conflict {
            code: "debit_mandate_none",
            field: None,
        };
        let Some(household) = household else {
            return Err(none());
        };
        let c = self.store.conn();
        let by = ctx.actor.label();
        let Some(active) = q::active_mandate(c, &household).await? else {
            let Some(pending) = q::pending_mandate(c, &household).await? else {
                return Err(none());
            };
            if q::withdraw_pending(c, &household, &by, now).await? == 0 {
                return Err(none());
            }
            self.audit
                .record(
                    ctx,
                    "autodebit.mandate_withdrawn",
                    "debit_mandate",
                    Some(&pending.id),
                    Some(&pending.village_code),
                    None,
                )
                .await?;
            return self.member_debits(&m, Some(&household)).await;
        };
        let tx = self.store.begin().await?;
        if !q::cancel_mandate(&tx, &active.id, &by, now).await? {
            tx.rollback().await?;
            return Err(none());
        }
        q::cancel_pending_of_mandate(&tx, &active.id).await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "autodebit.mandate_cancel",
                "debit_mandate",
                Some(&active.id),
                Some(&active.village_code),
                None,
            )
            .await?;
        self.member_debits(&m, Some(&household)).await
    }

    /// The debits of the actor's area, newest first (district back offices and above).
    pub async fn debits_list(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<DebitRow>> {
        let scope = self.finance_scope(ctx, area).await?;
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                DebitStatus::parse(s)
                    .ok_or_else(|| Error::invalid("status", "debit_status_invalid"))?,
            ),
        };
        let rows = q::debits_in(self.store.conn(), &scope, status.map(|s| s.code()), 500).await?;
        self.audit
            .record(ctx, "autodebit.list", "debit_request", None, area, None)
            .await?;
        Ok(rows)
    }

    /// Records the debits due on `day` in the actor's area (back offices or the system):
    /// each open bill of a family with an active mandate that has no debit under way, none
    /// recorded that day, and fewer than [`MAX_DEBIT_ATTEMPTS`] tried. Returns how many; the
    /// sender is woken to send them.
    pub async fn record_debits(
        &self,
        ctx: &Ctx,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        if !ctx.actor.may_run_matching() {
            return Err(Error::Forbidden);
        }
        self.record_debits_in(&ctx.actor.scope(), day, now).await
    }

    pub(crate) async fn record_debits_in(
        &self,
        scope: &Scope,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let c = self.store.conn();
        let due = q::bills_to_debit(c, scope, day, MAX_DEBIT_ATTEMPTS).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let rows: Vec<DebitRow> = due
            .into_iter()
            .map(|b| DebitRow {
                id: new_id(),
                mandate_id: b.mandate_id,
                bill_id: b.bill_id,
                household_id: b.household_id,
                village_code: b.village_code,
                va_number: b.va_number,
                wallet: b.wallet,
                phone: b.phone,
                amount: b.owed,
                attempt: b.last_attempt + 1,
                day,
                status: DebitStatus::Pending.code().into(),
                reason: None,
                send_errors: 0,
                created_at: now,
                answered_at: None,
                paid_at: None,
                payment_id: None,
            })
            .collect();
        let mut recorded = 0;
        for chunk in rows.chunks(500) {
            let tx = self.store.begin().await?;
            recorded += q::insert_debits(&tx, chunk).await?;
            tx.commit().await?;
        }
        if recorded > 0 {
            tracing::info!(recorded, %day, "auto-debits recorded");
            self.debit_wake.notify_one();
        }
        Ok(recorded)
    }

    /// Sends the recorded debits to the gateway, `limit` at most, each claimed for
    /// [`SEND_LEASE`] so that two senders never send the same one at once: accepted ones wait for
    /// the gateway's callback; refused ones fail, and the family is told by SMS; one whose
    /// bill was paid or whose mandate was cancelled since is not sent. Without a gateway,
    /// nothing is sent.
    pub async fn send_debits(&self, now: DateTime<Utc>, limit: u64) -> Result<DebitSend> {
        let mut run = DebitSend::default();
        let Some(gateway) = self.debit_gateway.as_ref().clone() else {
            return Ok(run);
        };
        let c = self.store.conn();
        let lease = chrono::Duration::from_std(SEND_LEASE).unwrap_or_default();
        for d in q::free_pending_debits(c, now, limit).await? {
            // Claimed right before it goes, so that another sender (a second server) does
            // not send it too, and the lease outlasts the send however long the list.
            let at = now.max(Utc::now());
            if !q::claim_debit(c, &d.id, at, at + lease).await? {
                continue;
            }
            if !q::still_due(c, &d).await? {
                if q::mark_answered(c, &d.id, DebitStatus::Cancelled.code(), None, now).await? {
                    run.cancelled += 1;
                }
                continue;
            }
            match gateway.send(&d).await {
                Ok(a) if a.status == "accepted" => {
                    q::mark_answered(c, &d.id, DebitStatus::Accepted.code(), None, now).await?;
                    run.accepted += 1;
                }
                Ok(a) => {
                    let reason = refusal_code(a.reason.as_deref().unwrap_or(""));
                    if self.fail_debit(&d, &reason, now, true).await? {
                        run.refused += 1;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, debit = %d.id, "debit request not answered");
                    q::mark_send_error(c, &d.id).await?;
                    run.errors += 1;
                }
            }
        }
        Ok(run)
    }

    /// Marks a debit failed and tells the family, together: `false` if it was settled
    /// before (the family is told once).
    async fn fail_debit(
        &self,
        d: &DebitRow,
        reason: &str,
        now: DateTime<Utc>,
        answered: bool,
    ) -> Result<bool> {
        let tx = self.store.begin().await?;
        let changed = if answered {
            q::mark_answered(&tx, &d.id, DebitStatus::Failed.code(), Some(reason), now).await?
        } else {
            q::mark_failed(&tx, &d.id, reason, now).await?
        };
        if !changed {
            tx.rollback().await?;
            return Ok(false);
        }
        let wallet = Wallet::parse(&d.wallet).map_or("e-wallet", Wallet::name);
        let why = match reason {
            "insufficient_balance" => "saldo kurang / low balance",
            "mandate_unknown" => "akun tidak dikenal / account unknown",
            _ => "ditolak / refused",
        };
        let text = format!("{wallet} Rp{} ({why})", d.amount);
        self.notify_family(
            &tx,
            &d.household_id,
            Template::DebitFailed,
            &d.va_number,
            Some(&text),
            &d.id,
            now,
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                &Ctx::system("autodebit"),
                "autodebit.failed",
                "debit_request",
                Some(&d.id),
                Some(&d.village_code),
                Some(format!("reason={reason} attempt={}", d.attempt)),
            )
            .await?;
        Ok(true)
    }

    /// The gateway's callback for debit `request_id` (its signature checked by the caller):
    /// a paid one is booked through [`Pintu::receive_payment`] under the request id, once
    /// however often it comes; a failed one fails the debit and tells the family.
    pub async fn receive_debit_result(
        &self,
        request_id: &str,
        result: &DebitResult,
        now: DateTime<Utc>,
    ) -> Result<DebitSettled> {
        let c = self.store.conn();
        let d = match pintu_store::parse_id(request_id.trim()) {
            Some(id) => q::debit(c, &id).await?,
            None => None,
        }
        .ok_or_else(|| Error::invalid("idempotency_key", "debit_unknown"))?;
        if result.va_number.trim() != d.va_number {
            return Err(Error::invalid("va_number", "va_unknown"));
        }
        if result.amount != d.amount {
            return Err(Error::invalid("amount", "amount_not_debit"));
        }
        match result.status.as_str() {
            "paid" => {
                let reference = result
                    .reference
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .unwrap_or(&d.id)
                    .to_string();
                let booked = self
                    .receive_payment(
                        Channel::AutoDebit,
                        &d.id,
                        &PaymentInput {
                            va_number: d.va_number.clone(),
                            amount: d.amount,
                            reference,
                            paid_at: result.paid_at,
                        },
                        now,
                    )
                    .await?;
                q::mark_paid(c, &d.id, &booked.payment.id, now).await?;
                let debit = q::debit(c, &d.id).await?.unwrap_or(d);
                Ok(DebitSettled {
                    debit,
                    booked: Some(booked),
                })
            }
            "failed" => {
                let reason = refusal_code(result.reason.as_deref().unwrap_or(""));
                self.fail_debit(&d, &reason, now, false).await?;
                let debit = q::debit(c, &d.id).await?.unwrap_or(d);
                Ok(DebitSettled {
                    debit,
                    booked: None,
                })
            }
            _ => Err(Error::invalid("status", "debit_status_invalid")),
        }
    }

    /// Records the day's debits everywhere and sends what is recorded (the `serve` loop).
    pub async fn run_debits(&self, now: DateTime<Utc>) -> Result<(u64, DebitSend)> {
        let recorded = self
            .record_debits(&Ctx::system("autodebit"), wib_day(now), now)
            .await?;
        let sent = self.send_debits(now, 500).await?;
        Ok((recorded, sent))
    }
}
