//! Case management per household (ENR-3): an officer opens a case for a household of their
//! area with the needs assessed, plans referrals (programmes, services, training, jobs) each
//! with a follow-up date, marks them done or dropped, keeps notes, and closes the case with
//! its reason. Follow-ups past their date show on the dashboard.

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::Invalid;
use pintu_domain::cases::{self as d, CaseStatus, MAX_STEPS, MAX_TEXT_CHARS, Referral, StepStatus};
use pintu_store::cases::{self as q, CaseRow, NewCase, NoteRow, StepRow};
use pintu_store::new_id;
use serde::{Deserialize, Serialize};

use crate::registry::{page_limit, registry_scope};
use crate::{Ctx, Error, Pintu, Result, today};

/// A case as an officer opens it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewCaseInput {
    pub household_id: String,
    /// Need codes: `income`, `food`, `health`, `disability`, `elderly_care`, `education`,
    /// `housing`, `employment`, `child_protection`, `civil_documents`.
    pub needs: Vec<String>,
    /// The assessment in a few words.
    pub summary: String,
    /// The officer following the case (a name), if not the one opening it.
    #[serde(default)]
    pub officer: Option<String>,
}

/// A step of the plan as an officer adds it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewStepInput {
    /// `programme`, `service`, `training` or `job`.
    pub referral: String,
    /// The programme's code, or the service, training or job.
    pub referred_to: String,
    /// `YYYY-MM-DD`: when it is followed up.
    pub due_on: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A case with its plan and notes.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDetail {
    pub case: CaseRow,
    pub needs: Vec<String>,
    pub steps: Vec<StepRow>,
    pub notes: Vec<NoteRow>,
    /// Planned steps past their follow-up date.
    pub overdue: Vec<String>,
}

fn text(v: Option<&str>, field: &str, required: bool, invalid: &mut Invalid) -> Option<String> {
    let v = v.map(str::trim).filter(|v| !v.is_empty());
    match v {
        None if required => {
            invalid.push(field, "required");
            None
        }
        None => None,
        Some(v)
            if v.chars().count() > MAX_TEXT_CHARS
                || v.chars().any(|c| c.is_control() && c != '\n') =>
        {
            invalid.push(field, "text_invalid");
            None
        }
        Some(v) => Some(v.to_string()),
    }
}

/// One required text field, checked alone.
fn required(value: &str, field: &str) -> Result<String> {
    let mut invalid = Invalid::default();
    let v = text(Some(value), field, true, &mut invalid);
    invalid.or_ok(()).map_err(Error::Invalid)?;
    v.ok_or_else(|| Error::Internal(anyhow::anyhow!("validated {field}")))
}

/// Officers of the registry work with cases; not the administrator or the ombudsman.
fn case_scope(ctx: &Ctx) -> Result<pintu_domain::access::Scope> {
    let scope = registry_scope(ctx)?;
    match (&ctx.actor, ctx.actor.role()) {
        (pintu_domain::Actor::System { .. }, _) => Ok(scope),
        (_, Some(role)) if pintu_domain::applications::may_take_applications(role) => Ok(scope),
        _ => Err(Error::Forbidden),
    }
}

impl Pintu {
    /// Opens a case for a household of the actor's area; a household has one open case.
    pub async fn open_case(
        &self,
        ctx: &Ctx,
        input: &NewCaseInput,
        now: DateTime<Utc>,
    ) -> Result<CaseDetail> {
        let scope = case_scope(ctx)?;
        let c = self.store.conn();
        let mut invalid = Invalid::default();
        let household = match pintu_store::parse_id(&input.household_id) {
            Some(id) => pintu_store::registry::household(c, &scope, &id).await?,
            None => None,
        };
        if household.is_none() {
            invalid.push("household_id", "household_unknown");
        }
        let needs = match d::parse_needs(&input.needs) {
            Ok(n) => n,
            Err(code) => {
                invalid.push("needs", code);
                Vec::new()
            }
        };
        let summary = text(Some(&input.summary), "summary", true, &mut invalid);
        let officer = text(input.officer.as_deref(), "officer", false, &mut invalid);
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let (Some(h), Some(summary)) = (household, summary) else {
            return Err(Error::Internal(anyhow::anyhow!("validated case")));
        };
        if q::open_case_of(c, &h.id).await?.is_some() {
            return Err(Error::Conflict {
                code: "case_exists",
                field: Some("household_id".into()),
            });
        }
        let needs_json = serde_json::to_string(&needs.iter().map(|n| n.code()).collect::<Vec<_>>())
            .map_err(|e| Error::Internal(e.into()))?;
        let id = new_id();
        let actor = ctx.actor.label();
        let tx = self.store.begin().await?;
        q::insert(
            &tx,
            &NewCase {
                id: &id,
                household_id: &h.id,
                village_code: &h.village_code,
                needs: &needs_json,
                summary: &summary,
                officer: officer.as_deref(),
                actor: &actor,
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "case.open",
                "case",
                Some(&id),
                Some(&h.village_code),
                None,
            )
            .await?;
        self.case(ctx, &id).await
    }

    /// Records the change in the audit log and reads the case again.
    async fn changed(&self, ctx: &Ctx, case: &CaseRow, action: &str) -> Result<CaseDetail> {
        self.audit
            .record(
                ctx,
                action,
                "case",
                Some(&case.id),
                Some(&case.village_code),
                None,
            )
            .await?;
        self.case(ctx, &case.id).await
    }

    async fn case_in(&self, ctx: &Ctx, id: &str) -> Result<CaseRow> {
        let scope = case_scope(ctx)?;
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        q::get(self.store.conn(), &scope, &id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// A case with its plan and notes.
    pub async fn case(&self, ctx: &Ctx, id: &str) -> Result<CaseDetail> {
        let case = self.case_in(ctx, id).await?;
        let c = self.store.conn();
        let steps = q::steps(c, &case.id).await?;
        let notes = q::notes(c, &case.id).await?;
        let needs: Vec<String> = serde_json::from_str(&case.needs).unwrap_or_default();
        let overdue = steps
            .iter()
            .filter(|s| s.status == "planned" && s.due_on < today() && case.status == "open")
            .map(|s| s.id.clone())
            .collect();
        self.audit
            .record(
                ctx,
                "case.read",
                "case",
                Some(&case.id),
                Some(&case.village_code),
                None,
            )
            .await?;
        Ok(CaseDetail {
            case,
            needs,
            steps,
            notes,
            overdue,
        })
    }

    /// Cases in the actor's area (or `area` inside it), newest first: by status, only those
    /// with a follow-up past its date, or a household's.
    pub async fn cases(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        status: Option<&str>,
        overdue: bool,
        household: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Vec<CaseRow>> {
        case_scope(ctx)?;
        let scope = self.narrowed_scope(ctx, area).await?;
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                CaseStatus::parse(s)
                    .ok_or_else(|| Error::invalid("status", "status_unknown"))?
                    .code(),
            ),
        };
        let household = household.and_then(pintu_store::parse_id);
        let rows = q::list(
            self.store.conn(),
            &scope,
            status,
            overdue.then(today),
            household.as_deref(),
            page_limit(limit)?,
        )
        .await?;
        self.audit
            .record(
                ctx,
                "case.list",
                "case",
                None,
                area,
                Some(format!("count={}", rows.len())),
            )
            .await?;
        Ok(rows)
    }

    /// Open cases of the actor's area with a follow-up past its date (the dashboard).
    pub async fn overdue_cases(&self, ctx: &Ctx) -> Result<i64> {
        let Ok(scope) = case_scope(ctx) else {
            return Ok(0);
        };
        Ok(q::overdue_count(self.store.conn(), &scope, today()).await?)
    }

    /// Adds a step to an open case's plan. A programme referral names a programme of the
    /// catalogue.
    pub async fn add_case_step(
        &self,
        ctx: &Ctx,
        id: &str,
        input: &NewStepInput,
        now: DateTime<Utc>,
    ) -> Result<CaseDetail> {
        let case = self.case_in(ctx, id).await?;
        if case.status != "open" {
            return Err(Error::Conflict {
                code: "case_closed",
                field: None,
            });
        }
        let c = self.store.conn();
        let mut invalid = Invalid::default();
        let referral = Referral::parse(&input.referral);
        if referral.is_none() {
            invalid.push("referral", "referral_unknown");
        }
        let mut target = text(Some(&input.referred_to), "referred_to", true, &mut invalid);
        if let (Some(Referral::Programme), Some(t)) = (referral, &target) {
            match pintu_store::programmes::by_code(c, &t.to_ascii_uppercase()).await? {
                Some(g) => target = Some(g.code),
                None => invalid.push("referred_to", "programme_unknown"),
            }
        }
        let due_on = match NaiveDate::parse_from_str(input.due_on.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                invalid.push("due_on", "date_invalid");
                None
            }
        };
        let note = text(input.note.as_deref(), "note", false, &mut invalid);
        if q::steps(c, &case.id).await?.len() >= MAX_STEPS {
            invalid.push("referral", "too_many_steps");
        }
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let (Some(referral), Some(target), Some(due_on)) = (referral, target, due_on) else {
            return Err(Error::Internal(anyhow::anyhow!("validated step")));
        };
        let step = StepRow {
            id: new_id(),
            case_id: case.id.clone(),
            referral: referral.code().into(),
            target,
            due_on,
            status: StepStatus::Planned.code().into(),
            note,
            created_by: ctx.actor.label(),
            created_at: now,
            finished_by: None,
            finished_at: None,
        };
        let tx = self.store.begin().await?;
        q::insert_step(&tx, &step, &case.village_code).await?;
        q::touch(&tx, &case.id, now).await?;
        tx.commit().await?;
        self.changed(ctx, &case, "case.step").await
    }

    /// Marks a planned step done or dropped, with a note.
    pub async fn finish_case_step(
        &self,
        ctx: &Ctx,
        id: &str,
        step_id: &str,
        status: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<CaseDetail> {
        let case = self.case_in(ctx, id).await?;
        let step_id = pintu_store::parse_id(step_id).ok_or(Error::NotFound)?;
        let c = self.store.conn();
        let step = q::steps(c, &case.id)
            .await?
            .into_iter()
            .find(|s| s.id == step_id)
            .ok_or(Error::NotFound)?;
        let mut invalid = Invalid::default();
        let to = StepStatus::parse(status);
        if to.is_none() {
            invalid.push("status", "status_unknown");
        }
        let note = text(note, "note", false, &mut invalid);
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let from = StepStatus::parse(&step.status)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("step status")))?;
        let to = to
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("validated status")))
            .and_then(|to| {
                from.finish(to).map_err(|code| Error::Conflict {
                    code,
                    field: Some("status".into()),
                })
            })?;
        let actor = ctx.actor.label();
        let tx = self.store.begin().await?;
        if !q::finish_step(
            &tx,
            &case.id,
            &step.id,
            to.code(),
            note.as_deref(),
            &actor,
            now,
        )
        .await?
        {
            return Err(Error::Conflict {
                code: "step_already_finished",
                field: Some("status".into()),
            });
        }
        q::touch(&tx, &case.id, now).await?;
        tx.commit().await?;
        self.changed(ctx, &case, "case.step").await
    }

    /// Adds a note to a case.
    pub async fn add_case_note(
        &self,
        ctx: &Ctx,
        id: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<CaseDetail> {
        let case = self.case_in(ctx, id).await?;
        let text = required(note, "note")?;
        let tx = self.store.begin().await?;
        q::insert_note(
            &tx,
            &case.id,
            &case.village_code,
            &NoteRow {
                at: now,
                actor: ctx.actor.label(),
                text,
            },
        )
        .await?;
        q::touch(&tx, &case.id, now).await?;
        tx.commit().await?;
        self.changed(ctx, &case, "case.note").await
    }

    /// Closes an open case with its reason.
    pub async fn close_case(
        &self,
        ctx: &Ctx,
        id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<CaseDetail> {
        let case = self.case_in(ctx, id).await?;
        let reason = required(reason, "reason")?;
        if !q::close(self.store.conn(), &case.id, &reason, now).await? {
            return Err(Error::Conflict {
                code: "case_closed",
                field: None,
            });
        }
        self.changed(ctx, &case, "case.close").await
    }
}
