//! The call centre (INF-2): officers find the caller, see their household and applications,
//! answer from each programme's script (its questions and answers come from the catalogue,
//! so they are always those of the programme's single form), log the call, and open an
//! application or a complaint for the caller.

use chrono::{DateTime, Utc};
use pintu_domain::calls::{Outcome, Reason};
use pintu_domain::programmes::{Question, check_questions};
use pintu_domain::{AreaCode, Invalid};
use pintu_store::calls::{self as q, CallRow};
use pintu_store::new_id;
use serde::{Deserialize, Serialize};

use crate::registry::{page_limit, registry_scope};
use crate::{Ctx, Error, Pintu, Result};

/// A call as the officer logs it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallInput {
    /// The caller, when they are in the registry.
    #[serde(default)]
    pub person_id: Option<String>,
    /// The caller's village, when they are not (required then).
    #[serde(default)]
    pub village_code: Option<String>,
    #[serde(default)]
    pub caller_phone: Option<String>,
    /// `programme_information`, `application_status`, `complaint`, `data_change`,
    /// `payment` or `other`.
    pub reason: String,
    #[serde(default)]
    pub programme: Option<String>,
    /// `answered`, `application_started`, `complaint_recorded`, `referred` or `call_back`.
    pub outcome: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// One question of a programme's script and its answer, in the officer's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptLine {
    pub question: String,
    pub answer: String,
}

impl Pintu {
    /// Logs a call. The caller is a person of the officer's area, or someone not in the
    /// registry from a village of it.
    pub async fn log_call(
        &self,
        ctx: &Ctx,
        input: &CallInput,
        now: DateTime<Utc>,
    ) -> Result<CallRow> {
        let scope = registry_scope(ctx)?;
        if !ctx
            .actor
            .role()
            .is_some_and(pintu_domain::applications::may_take_applications)
        {
            return Err(Error::Forbidden);
        }
        let c = self.store.conn();
        let mut invalid = Invalid::default();
        let person_id = input
            .person_id
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let person = match person_id {
            Some(id) => match pintu_store::parse_id(id) {
                Some(id) => pintu_store::registry::person(c, &scope, &id).await?,
                None => None,
            },
            None => None,
        };
        let village = match (&person, person_id) {
            (Some(p), _) => Some(p.village_code.clone()),
            (None, Some(_)) => {
                invalid.push("person_id", "person_not_found");
                None
            }
            (None, None) => match input.village_code.as_deref().map(str::trim) {
                None | Some("") => {
                    invalid.push("village_code", "village_required");
                    None
                }
                Some(v) => match AreaCode::parse(v) {
                    Ok(a) if a.level() == pintu_domain::AreaLevel::Village && scope.allows(&a) => {
                        Some(a.as_str().to_string())
                    }
                    Ok(_) => {
                        invalid.push("village_code", "village_outside_area");
                        None
                    }
                    Err(_) => {
                        invalid.push("village_code", "area_code_malformed");
                        None
                    }
                },
            },
        };
        let reason = Reason::parse(&input.reason);
        if reason.is_none() {
            invalid.push("reason", "call_reason_unknown");
        }
        let outcome = Outcome::parse(&input.outcome);
        if outcome.is_none() {
            invalid.push("outcome", "outcome_unknown");
        }
        let programme = match input
            .programme
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => None,
            Some(code) => {
                match pintu_store::programmes::by_code(c, &code.to_ascii_uppercase()).await? {
                    Some(g) => Some(g.code),
                    None => {
                        invalid.push("programme", "programme_unknown");
                        None
                    }
                }
            }
        };
        let phone = input
            .caller_phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if phone.is_some_and(|p| crate::messages::sms_number(p).is_none()) {
            invalid.push("caller_phone", "phone_invalid");
        }
        let note = input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > 2_000) {
            invalid.push("note", "text_invalid");
        }
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let (Some(village), Some(reason), Some(outcome)) = (village, reason, outcome) else {
            return Err(Error::Internal(anyhow::anyhow!("validated call")));
        };
        let row = CallRow {
            id: new_id(),
            person_id: person.as_ref().map(|p| p.id.clone()),
            person_name: person.as_ref().map(|p| p.full_name.clone()),
            village_code: village,
            caller_phone: phone.map(str::to_string),
            reason: reason.code().into(),
            programme_code: programme,
            outcome: outcome.code().into(),
            note: note.map(str::to_string),
            officer: ctx.actor.label(),
            at: now,
        };
        q::insert(c, &row).await?;
        self.audit
            .record(
                ctx,
                "call.log",
                "call",
                Some(&row.id),
                Some(&row.village_code),
                Some(format!("reason={} outcome={}", row.reason, row.outcome)),
            )
            .await?;
        Ok(row)
    }

    /// Calls of the actor's area (of one person when given), newest first.
    pub async fn calls(
        &self,
        ctx: &Ctx,
        person_id: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Vec<CallRow>> {
        let scope = registry_scope(ctx)?;
        let person = person_id.and_then(pintu_store::parse_id);
        if person_id.is_some_and(|p| !p.is_empty()) && person.is_none() {
            return Err(Error::invalid("person_id", "person_not_found"));
        }
        let rows = q::list(
            self.store.conn(),
            &scope,
            person.as_deref(),
            page_limit(limit)?,
        )
        .await?;
        self.audit
            .record(
                ctx,
                "call.list",
                "call",
                None,
                None,
                Some(format!("count={}", rows.len())),
            )
            .await?;
        Ok(rows)
    }

    /// A programme's script for the call centre, in Bahasa Indonesia (`en` false) or
    /// English: what it is, what it gives, which documents to bring, how to register and whom
    /// to contact — each from the programme's single form in the catalogue.
    pub async fn programme_script(&self, code: &str, en: bool) -> Result<Vec<ScriptLine>> {
        let d = self.programme(code).await?;
        let g = &d.programme;
        let pick = |id: &Option<String>, en_text: &Option<String>| -> Option<String> {
            let v = if en {
                en_text.clone().or(id.clone())
            } else {
                id.clone().or(en_text.clone())
            };
            v.filter(|s| !s.trim().is_empty())
        };
        let name = if en { &g.name_en } else { &g.name_id };
        let unknown = if en {
            "Not recorded in the catalogue."
        } else {
            "Belum tercatat di katalog."
        };
        let mut lines = Vec::new();
        let mut push = |q_id: &str, q_en: &str, answer: Option<String>| {
            lines.push(ScriptLine {
                question: if en { q_en } else { q_id }.replace("{}", name),
                answer: answer.unwrap_or_else(|| unknown.to_string()),
            });
        };
        push(
            "Apa itu {}?",
            "What is {}?",
            pick(&g.description_id, &g.description_en),
        );
        let amount = g.benefit_amount.map(|a| {
            let period = g.benefit_period.clone().unwrap_or_default();
            format!("Rp{a} {period}").trim().to_string()
        });
        let benefit = match (pick(&g.benefit_id, &g.benefit_en), amount) {
            (Some(b), Some(a)) => Some(format!("{b} ({a})")),
            (b, a) => b.or(a),
        };
        push("Apa manfaatnya?", "What does it give?", benefit);
        let documents = (!d.documents.is_empty()).then(|| {
            d.documents
                .iter()
                .map(|doc| if en { doc.en.clone() } else { doc.id.clone() })
                .collect::<Vec<_>>()
                .join("; ")
        });
        push(
            "Dokumen apa yang perlu dibawa?",
            "Which documents are needed?",
            documents,
        );
        push(
            "Bagaimana cara mendaftar?",
            "How does one register?",
            pick(&g.procedure_id, &g.procedure_en),
        );
        let contact = match &g.focal_point {
            Some(f) if !f.trim().is_empty() => format!("{} — {f}", g.owner_agency),
            _ => g.owner_agency.clone(),
        };
        push(
            "Siapa yang bisa dihubungi?",
            "Whom to contact?",
            Some(contact),
        );
        // Then the programme's own questions, as its keepers wrote them.
        for q in pintu_store::programmes::questions(self.store.conn(), &g.id).await? {
            lines.push(if en {
                ScriptLine {
                    question: q.question_en,
                    answer: q.answer_en,
                }
            } else {
                ScriptLine {
                    question: q.question_id,
                    answer: q.answer_id,
                }
            });
        }
        Ok(lines)
    }

    /// A programme's own call-centre questions and answers, in order.
    pub async fn programme_questions(&self, code: &str) -> Result<Vec<Question>> {
        let d = self.programme(code).await?;
        Ok(pintu_store::programmes::questions(self.store.conn(), &d.programme.id).await?)
    }

    /// Replaces a programme's call-centre questions (its keepers only: district back offices
    /// and above whose area holds the programme's). Blank rows are dropped.
    pub async fn set_programme_questions(
        &self,
        ctx: &Ctx,
        code: &str,
        list: &[Question],
        now: DateTime<Utc>,
    ) -> Result<Vec<Question>> {
        let d = self.programme(code).await?;
        if !self.may_manage_programme(ctx, &d.programme.code).await? {
            return Err(Error::Forbidden);
        }
        let list = check_questions(list).map_err(Error::Invalid)?;
        let tx = self.store.begin().await?;
        pintu_store::programmes::replace_questions(
            &tx,
            &d.programme.id,
            &list,
            &ctx.actor.label(),
            now,
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "programme.questions",
                "programme",
                Some(&d.programme.id),
                d.programme.area_code.as_deref(),
                Some(format!("questions={}", list.len())),
            )
            .await?;
        Ok(list)
    }
}
