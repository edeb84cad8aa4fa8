//! Inbound SMS (MSG-2): the aggregator posts each SMS a resident sent to a webhook signed
//! with a shared secret; Pintu records it once, acts on its command as the system, and
//! answers through the outbox.
//!
//! The sender is known only by their number: `CEK` answers only about the household of a
//! person registered with that number, `DAFTAR` applies for that person, and `ADUAN` is a
//! complaint of that person (from an unknown number it is kept as a message for the village
//! office). Anything else gets the help text.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use pintu_domain::access::Scope;
use pintu_domain::messages::Template;
use pintu_domain::sms::{self as d, Command};
use pintu_store::new_id;
use pintu_store::registry::PersonRow;
use pintu_store::sms::{self as q, InboundRow};
use sha2::Sha256;

use crate::applications::NewApplicationInput;
use crate::complaints::NewComplaint;
use crate::messages::{Notice, queue, sms_number};
use crate::{Ctx, Error, Pintu, Result};

/// How far a signed request's timestamp may be from now.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// Why a webhook request is refused before it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No secret is configured: inbound SMS are off.
    Disabled,
    Missing,
    Invalid,
    /// Signed too long ago (or in the future): a replay of an old request.
    Expired,
}

impl SignatureError {
    pub fn code(self) -> &'static str {
        match self {
            SignatureError::Disabled => "sms_inbound_disabled",
            SignatureError::Missing | SignatureError::Invalid => "signature_invalid",
            SignatureError::Expired => "signature_expired",
        }
    }
}

/// The signature of a request: hex HMAC-SHA256 over `<timestamp>.<body>` with the secret.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a request's `X-Pintu-Timestamp` (seconds since 1970) and `X-Pintu-Signature`
/// (`sha256=<hex>` or the hex alone) against the body, in constant time.
pub fn verify(
    secret: Option<&str>,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> std::result::Result<(), SignatureError> {
    let secret = secret
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::Disabled)?;
    let (Some(ts), Some(sig)) = (timestamp, signature) else {
        return Err(SignatureError::Missing);
    };
    let ts: i64 = ts.trim().parse().map_err(|_| SignatureError::Invalid)?;
    let sig = sig.trim();
    let sig = sig.strip_prefix("sha256=").unwrap_or(sig);
    let given = hex::decode(sig).map_err(|_| SignatureError::Invalid)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(ts.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| SignatureError::Invalid)?;
    if (now.timestamp() - ts).abs() > MAX_CLOCK_SKEW_SECS {
        return Err(SignatureError::Expired);
    }
    Ok(())
}

/// An SMS as the aggregator posts it.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The aggregator's id of the SMS: the same SMS posted twice is refused.
    pub gateway_id: String,
    pub from: String,
    pub text: String,
}

/// What was done with an SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    pub command: &'static str,
    pub reply: String,
}

const HELP: &str = "Pintu: CEK <NIK> status keluarga; DAFTAR <kode program> ajukan program; ADUAN <isi> kirim aduan; BANTUAN daftar perintah.";
const UNKNOWN_SENDER: &str = "Pintu: nomor Anda belum tercatat. Datanglah ke kantor desa/kelurahan untuk mencatat nomor HP Anda.";

impl Pintu {
    /// Records an SMS (once), acts on its command and queues the answer.
    pub async fn receive_sms(&self, input: &Inbound, now: DateTime<Utc>) -> Result<Handled> {
        let gateway_id = input.gateway_id.trim();
        if gateway_id.is_empty() || gateway_id.len() > 100 {
            return Err(Error::invalid("id", "value_invalid"));
        }
        let sender =
            sms_number(&input.from).ok_or_else(|| Error::invalid("from", "phone_invalid"))?;
        let command = d::parse(&input.text);
        let senders = self.senders(&sender).await?;
        let person = senders
            .iter()
            .find(|p| p.relationship.as_deref() == Some("KEPALA KELUARGA"))
            .or(senders.first())
            .cloned();
        let row = InboundRow {
            id: new_id(),
            gateway_id: gateway_id.to_string(),
            sender: sender.clone(),
            text: input.text.chars().take(2_000).collect(),
            command: command.code().into(),
            person_id: person.as_ref().map(|p| p.id.clone()),
            village_code: person.as_ref().map(|p| p.village_code.clone()),
            status: "received".into(),
            outcome: None,
            reply_id: None,
            received_at: now,
        };
        match q::insert(self.store.conn(), &row).await {
            Ok(()) => {}
            Err(pintu_store::StoreError::Conflict(_)) => {
                return Err(Error::Conflict {
                    code: "sms_replayed",
                    field: Some("id".into()),
                });
            }
            Err(e) => return Err(e.into()),
        }
        let (outcome, reply) = self.act(&command, &senders, person.as_ref(), now).await?;
        let tx = self.store.begin().await?;
        let reply_id = queue(
            &tx,
            &Notice {
                person_id: person.as_ref().map_or("", |p| p.id.as_str()),
                village_code: person.as_ref().map_or("", |p| p.village_code.as_str()),
                phone: Some(&sender),
                template: Template::SmsReply,
                programme: "",
                reason: Some(&reply),
                subject_type: "sms",
                subject_id: &row.id,
            },
            now,
        )
        .await?;
        q::answered(&tx, &row.id, &outcome, reply_id.as_deref()).await?;
        tx.commit().await?;
        // What the SMS read or changed for the sender (CEK reads a household).
        self.audit
            .record(
                &Ctx::system("sms"),
                &format!("sms.{}", command.code()),
                "sms",
                Some(&row.id),
                person.as_ref().map(|p| p.village_code.as_str()),
                Some(outcome.clone()),
            )
            .await?;
        Ok(Handled {
            command: command.code(),
            reply: pintu_domain::messages::one_sms(&reply),
        })
    }

    /// The latest SMS received from residents of the actor's area (or `area` inside it);
    /// national officers also see those from numbers not in the registry.
    pub async fn received_sms(&self, ctx: &Ctx, area: Option<&str>) -> Result<Vec<InboundRow>> {
        crate::registry::registry_scope(ctx)?;
        let scope = self.narrowed_scope(ctx, area).await?;
        let rows = q::list(self.store.conn(), &scope, 100).await?;
        self.audit
            .record(
                ctx,
                "sms.list",
                "sms",
                None,
                area,
                Some(format!("count={}", rows.len())),
            )
            .await?;
        Ok(rows)
    }

    /// The living people registered with this number.
    async fn senders(&self, number: &str) -> Result<Vec<PersonRow>> {
        let tail = &number[number
            .len()
            .saturating_sub(pintu_store::registry::PHONE_TAIL_DIGITS)..];
        let found =
            pintu_store::registry::persons_with_phone_ending(self.store.conn(), tail, 50).await?;
        Ok(found
            .into_iter()
            .filter(|p| p.phone.as_deref().and_then(sms_number).as_deref() == Some(number))
            .collect())
    }

    /// Does what the command asks: (what was done, the answer).
    async fn act(
        &self,
        command: &Command,
        senders: &[PersonRow],
        person: Option<&PersonRow>,
        now: DateTime<Utc>,
    ) -> Result<(String, String)> {
        let ctx = Ctx::system("sms");
        Ok(match (command, person) {
            (Command::Help, _) => ("help".into(), HELP.into()),
            (Command::Check(None), _) => (
                "format".into(),
                "Pintu: kirim CEK <16 digit NIK>, mis. CEK 3507011503780001.".into(),
            ),
            (Command::Register(None), _) => (
                "format".into(),
                "Pintu: kirim DAFTAR <kode program>, mis. DAFTAR PKH.".into(),
            ),
            (Command::Complaint(None), _) => (
                "format".into(),
                "Pintu: kirim ADUAN <isi aduan Anda>.".into(),
            ),
            (Command::Check(Some(_)) | Command::Register(Some(_)), None) => {
                ("unknown_sender".into(), UNKNOWN_SENDER.into())
            }
            (Command::Check(Some(nik)), Some(_)) => {
                let target = pintu_store::registry::person_by_nik(
                    self.store.conn(),
                    &Scope::National,
                    nik.as_str(),
                )
                .await?;
                // Only the sender's own household: a person registered with this number,
                // or someone in the same household as one.
                let own = target.filter(|t| {
                    senders.iter().any(|s| {
                        s.id == t.id
                            || (s.household_id.is_some() && s.household_id == t.household_id)
                    })
                });
                match own {
                    Some(t) => ("checked".into(), self.household_status(&t).await?),
                    None => (
                        "not_own_household".into(),
                        "Pintu: NIK tidak ditemukan di keluarga yang tercatat dengan nomor ini."
                            .into(),
                    ),
                }
            }
            (Command::Register(Some(code)), Some(p)) => {
                let input = NewApplicationInput {
                    person_id: p.id.clone(),
                    programme: code.clone(),
                    channel: Some("sms".into()),
                    note: Some("Dari SMS".into()),
                    ..NewApplicationInput::default()
                };
                match self.create_application(&ctx, &input, now).await {
                    Ok(d) => (
                        format!("application:{}", d.application.id),
                        format!(
                            "Pintu: permohonan {code} atas nama {} tercatat. Bawa KTP, KK dan dokumen persyaratan ke kantor desa/kelurahan.",
                            p.full_name
                        ),
                    ),
                    Err(Error::Conflict { code: c, .. }) if c == "application_exists" => (
                        c.into(),
                        format!("Pintu: Anda sudah punya permohonan {code} yang sedang diproses."),
                    ),
                    Err(Error::Conflict { code: c, .. }) if c == "already_enrolled" => (
                        c.into(),
                        format!("Pintu: Anda sudah terdaftar sebagai peserta {code}."),
                    ),
                    Err(Error::Invalid(inv)) => (
                        inv.0.first().map_or("invalid", |e| e.code).into(),
                        format!(
                            "Pintu: program {code} tidak dikenal atau tidak berlaku di desa Anda. Kirim BANTUAN."
                        ),
                    ),
                    Err(e) => return Err(e),
                }
            }
            (Command::Complaint(Some(text)), Some(p)) => {
                let input = NewComplaint {
                    channel: "sms".into(),
                    village_code: p.village_code.clone(),
                    complainant_person_id: Some(p.id.clone()),
                    category: "other".into(),
                    description: text.clone(),
                    ..NewComplaint::default()
                };
                let c = self.record_complaint(&ctx, &input, now).await?;
                (
                    format!("complaint:{}", c.id),
                    format!(
                        "Pintu: aduan Anda tercatat dengan nomor {}. Petugas akan menghubungi Anda.",
                        c.reference
                    ),
                )
            }
            (Command::Complaint(Some(_)), None) => (
                "kept_as_message".into(),
                "Pintu: aduan Anda kami terima. Nomor Anda belum tercatat; datanglah ke kantor desa/kelurahan agar aduan dapat ditindaklanjuti."
                    .into(),
            ),
        })
    }

    /// The programmes the household of `p` is enrolled in and its open applications, in one
    /// SMS.
    async fn household_status(&self, p: &PersonRow) -> Result<String> {
        let c = self.store.conn();
        let members = match &p.household_id {
            Some(h) => pintu_store::registry::household_members(c, &Scope::National, h).await?,
            None => vec![p.clone()],
        };
        let mut enrolled = std::collections::BTreeSet::new();
        let mut applying = std::collections::BTreeSet::new();
        for m in &members {
            for e in pintu_store::facts::enrolments_of(c, &m.id).await? {
                if e.status == "active" {
                    enrolled.insert(e.programme_code);
                }
            }
            let open = pintu_store::applications::list(
                c,
                &Scope::National,
                &pintu_store::applications::ApplicationFilter {
                    person_id: Some(&m.id),
                    ..Default::default()
                },
                20,
            )
            .await?;
            for a in open {
                if !matches!(a.state.as_str(), "rejected" | "enrolled" | "withdrawn") {
                    applying.insert(a.programme_code);
                }
            }
        }
        let list = |s: &std::collections::BTreeSet<String>| {
            if s.is_empty() {
                "-".to_string()
            } else {
                s.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        };
        Ok(format!(
            "Pintu: keluarga {} ({} orang). Peserta: {}. Permohonan diproses: {}.",
            members
                .iter()
                .find(|m| m.relationship.as_deref() == Some("KEPALA KELUARGA"))
                .unwrap_or(p)
                .full_name,
            members.len(),
            list(&enrolled),
            list(&applying)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_its_body_and_time_only() {
        let now = Utc::now();
        let ts = now.timestamp();
        let body = br#"{"id":"1","from":"0812","text":"CEK"}"#;
        let sig = sign("rahasia", ts, body);
        let ok = |secret, t: Option<&str>, s: Option<&str>, b: &[u8]| verify(secret, t, s, b, now);
        let tss = ts.to_string();
        assert_eq!(ok(Some("rahasia"), Some(&tss), Some(&sig), body), Ok(()));
        let prefixed = format!("sha256={sig}");
        assert_eq!(
            ok(Some("rahasia"), Some(&tss), Some(&prefixed), body),
            Ok(())
        );
        assert_eq!(
            ok(Some("rahasia"), Some(&tss), Some(&sig), b"{}"),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            ok(Some("lain"), Some(&tss), Some(&sig), body),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            ok(Some("rahasia"), None, Some(&sig), body),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            ok(None, Some(&tss), Some(&sig), body),
            Err(SignatureError::Disabled)
        );
        let old = ts - MAX_CLOCK_SKEW_SECS - 1;
        let old_sig = sign("rahasia", old, body);
        assert_eq!(
            ok(
                Some("rahasia"),
                Some(&old.to_string()),
                Some(&old_sig),
                body
            ),
            Err(SignatureError::Expired)
        );
        // The timestamp is part of what is signed: moving it breaks the signature.
        assert_eq!(
            ok(
                Some("rahasia"),
                Some(&(ts + 1).to_string()),
                Some(&sig),
                body
            ),
            Err(SignatureError::Invalid)
        );
    }
}
