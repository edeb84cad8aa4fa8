//! Complaints and appeals (GRM-1..3): intake on the action form at every channel, routing up
//! the levels with a deadline at each hop, escalation of overdue cases by the scheduler with
//! a call-back owed to the resident, response, acknowledgement and reopening; corrections of
//! registry data opened from a complaint; statistics and the periodic reports.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use pintu_domain::access::{Actor, Role, Scope};
use pintu_domain::complaints::{
    self as d, Acknowledgement, Action, Category, Channel, Level, Resolution, State, Status, Unit,
};
use pintu_domain::{AreaCode, AreaLevel, Invalid, Nik, household};
use pintu_store::complaints::{
    self as q, AttachmentRow, CallbackRow, ComplaintFilter, ComplaintRow, EventRow, NewEvent,
    StatRow,
};
use pintu_store::new_id;
use pintu_store::sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use crate::registry::{Page, PersonPatch, id_cursor, page_limit, registry_scope, scope_area};
use crate::{Ctx, Error, Pintu, Result, today};

/// Longest description, response or note.
pub const MAX_TEXT_CHARS: usize = 4_000;
/// Largest attachment (a photo of a card or a letter), and most attachments per complaint.
pub const MAX_ATTACHMENT_BYTES: usize = 2 * 1024 * 1024;
pub const MAX_ATTACHMENTS: usize = 5;

/// A complaint as recorded on the action form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewComplaint {
    /// `YYYY-MM-DD`; today when absent.
    #[serde(default)]
    pub received_on: Option<String>,
    pub channel: String,
    /// The complainant's village (for an anonymous complainant, where the complaint is
    /// about).
    pub village_code: String,
    /// A registered complainant, by id or by NIK (looked up in the officer's area).
    #[serde(default)]
    pub complainant_person_id: Option<String>,
    #[serde(default)]
    pub complainant_nik: Option<String>,
    /// An unregistered or anonymous complainant: a name (optional) and how to reach them.
    #[serde(default)]
    pub complainant_name: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
    pub category: String,
    #[serde(default)]
    pub programme: Option<String>,
    pub description: String,
    /// The officer in charge at the first level.
    #[serde(default)]
    pub officer: Option<String>,
}

/// A step to take on a complaint.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Step {
    /// `forward`, `assign`, `respond`, `resolve`, `acknowledge` or `reopen`.
    pub action: String,
    /// For `assign`: the technical unit or agency.
    #[serde(default)]
    pub unit: Option<String>,
    /// The officer in charge at the next level (`forward`, `assign`, `reopen`).
    #[serde(default)]
    pub officer: Option<String>,
    /// For `resolve`: `on_the_spot`, `community_consensus` or `answered`.
    #[serde(default)]
    pub resolution: Option<String>,
    /// For `acknowledge`: `acknowledged` or `not_reachable`.
    #[serde(default)]
    pub acknowledgement: Option<String>,
    /// The response (`respond`, `resolve`: required), or why (`forward`, `reopen`).
    #[serde(default)]
    pub note: Option<String>,
}

/// A complaint with everything the action form shows.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintDetail {
    pub complaint: ComplaintRow,
    /// The messages sent to the complainant about it.
    pub messages: Vec<pintu_store::outbox::MessageRow>,
    /// The applications opened from it (an exclusion complaint).
    pub applications: Vec<pintu_store::applications::ApplicationRow>,
    pub events: Vec<EventRow>,
    pub attachments: Vec<AttachmentRow>,
    pub callbacks: Vec<CallbackRow>,
    /// The steps the actor may take now.
    pub actions: Vec<&'static str>,
    /// Whether it is past its deadline now.
    pub overdue: bool,
}

/// A correction of registry data opened from a wrong-data complaint.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Correction {
    pub person_id: String,
    /// `full_name`, `sex`, `birth_date`, `birth_place`, `religion`, `education`,
    /// `occupation`, `marital_status` or `phone`.
    pub field: String,
    pub value: String,
}

/// What a run of the scheduler did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EscalationRun {
    pub escalated: u64,
    pub callbacks: u64,
}

/// Counts of one slice of complaints.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub received: u64,
    /// Resolved or closed.
    pub resolved: u64,
    /// Resolved ÷ received, 0 when none were received.
    pub share_resolved: f64,
    /// Days from receipt to resolution, of the resolved ones.
    pub average_days: Option<f64>,
    pub median_days: Option<f64>,
    /// Open and past their deadline.
    pub overdue: u64,
    /// Sent up by the scheduler at least once.
    pub escalated: u64,
    pub reached_ombudsman: u64,
}

/// Counts overall and by one dimension.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: Counts,
    /// `area`, `category`, `programme`, `level`, `channel`, `status` or `month`.
    pub by: String,
    pub groups: Vec<(String, Counts)>,
}

/// The periodic reports: to the district every month, to the ombudsman twice a year.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `monthly` or `half_year`.
    pub kind: String,
    pub area: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: Counts,
    pub by_category: Vec<(String, Counts)>,
    pub by_programme: Vec<(String, Counts)>,
    pub by_level: Vec<(String, Counts)>,
    pub by_area: Vec<(String, Counts)>,
    pub by_month: Vec<(String, Counts)>,
}

/// The dimensions statistics can be grouped by.
pub const STAT_DIMENSIONS: [&str; 7] = [
    "area",
    "category",
    "programme",
    "level",
    "channel",
    "status",
    "month",
];

/// The fields a correction may change: those of the person a complaint says are wrong (the
/// NIK is corrected by the civil registry, not by a complaint).
pub const CORRECTABLE_FIELDS: [&str; 9] = [
    "full_name",
    "sex",
    "birth_date",
    "birth_place",
    "religion",
    "education",
    "occupation",
    "marital_status",
    "phone",
];

/// The level an officer records complaints at: their own office's.
fn intake_level(actor: &Actor) -> Level {
    match actor.role() {
        Some(Role::VillageOfficer) | None => Level::Village,
        Some(Role::SubdistrictOfficer) => Level::Subdistrict,
        Some(_) => Level::District,
    }
}

fn may_work(actor: &Actor, level: Level) -> bool {
    match actor.role() {
        Some(role) => d::may_work(role, level),
        None => true,
    }
}

fn optional_text(
    v: &Option<String>,
    field: &str,
    max: usize,
    errors: &mut Invalid,
) -> Option<String> {
    let v = v.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
    match d::text(v, max) {
        Ok(t) => Some(t),
        Err(code) => {
            errors.push(field, code);
            None
        }
    }
}

fn state_of(c: &ComplaintRow) -> Result<State> {
    let bad = || Error::Internal(anyhow::anyhow!("complaint {} has an unknown state", c.id));
    Ok(State {
        status: Status::parse(&c.status).ok_or_else(bad)?,
        level: Level::parse(&c.level).ok_or_else(bad)?,
        unit: c.unit.as_deref().and_then(Unit::parse),
        resolution: c.resolution.as_deref().and_then(Resolution::parse),
        acknowledgement: c
            .acknowledgement
            .as_deref()
            .and_then(Acknowledgement::parse),
        resolved_at: c.resolved_at,
    })
}

impl Pintu {
    /// The scope of the complaints the actor may see: their area (an ombudsman only the
    /// cases that reached the province's ombudsman), narrowed to `area`.
    async fn complaint_scope(&self, ctx: &Ctx, area: Option<&str>) -> Result<(Scope, bool)> {
        // An employer's account has its enterprise and nothing else.
        if ctx.actor.is_employer() {
            return Err(Error::Forbidden);
        }
        let scope = self.area_scope(ctx, area).await?;
        Ok((scope, ctx.actor.role() == Some(Role::Ombudsman)))
    }

    /// Records a complaint: a reference number of its district, the first hop at the
    /// recording officer's level with its deadline, in one transaction.
    pub async fn record_complaint(
        &self,
        ctx: &Ctx,
        input: &NewComplaint,
        now: DateTime<Utc>,
    ) -> Result<ComplaintRow> {
        if !ctx.actor.may_record_complaints() {
            return Err(Error::Forbidden);
        }
        let mut errors = Invalid::default();
        let channel = match input.channel.trim() {
            "" => {
                errors.push("channel", "required");
                None
            }
            c => Channel::parse(c).or_else(|| {
                errors.push("channel", "channel_unknown");
                None
            }),
        };
        let category = match input.category.trim() {
            "" => {
                errors.push("category", "required");
                None
            }
            c => Category::parse(c).or_else(|| {
                errors.push("category", "category_unknown");
                None
            }),
        };
        let received_on = match input.received_on.as_deref().map(str::trim) {
            None | Some("") => today(),
            Some(v) => match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(date) if date > today() => {
                    errors.push("received_on", "date_in_future");
                    today()
                }
                Ok(date) if date < today() - chrono::Duration::days(366) => {
                    errors.push("received_on", "date_too_old");
                    today()
                }
                Ok(date) => date,
                Err(_) => {
                    errors.push("received_on", "date_invalid");
                    today()
                }
            },
        };
        let description = match d::text(&input.description, MAX_TEXT_CHARS) {
            Ok(t) => Some(t),
            Err(code) => {
                errors.push("description", code);
                None
            }
        };
        let programme = optional_text(&input.programme, "programme", 120, &mut errors);
        let officer = optional_text(&input.officer, "officer", 120, &mut errors);
        let contact = optional_text(&input.contact, "contact", 200, &mut errors).map(|c| {
            let mut ignore = Invalid::default();
            household::phone(&Some(c.clone()), "contact", &mut ignore).unwrap_or(c)
        });
        let given_name = input
            .complainant_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| household::full_name(n, "complainant_name", &mut errors));
        let village = match AreaCode::parse(&input.village_code) {
            Ok(v) if v.level() == AreaLevel::Village => Some(v),
            Ok(_) => {
                errors.push("village_code", "village_code_invalid");
                None
            }
            Err(e) => {
                errors.push("village_code", e.code());
                None
            }
        };
        let person_id = input
            .complainant_person_id
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let nik = input
            .complainant_nik
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let nik = nik.and_then(|n| match Nik::parse(n) {
            Ok(n) => Some(n),
            Err(e) => {
                errors.push("complainant_nik", e.code());
                None
            }
        });
        if person_id.is_none()
            && nik.is_none()
            && contact.is_none()
            && !errors.0.iter().any(|e| e.field == "complainant_nik")
        {
            errors.push("contact", "contact_required");
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let (Some(channel), Some(category), Some(description), Some(village)) =
            (channel, category, description, village)
        else {
            return Err(Error::Internal(anyhow::anyhow!(
                "validated input incomplete"
            )));
        };
        if self.store.area(village.as_str()).await?.is_none() {
            return Err(Error::invalid("village_code", "village_unknown"));
        }
        if !ctx.actor.scope().allows(&village) {
            return Err(Error::Forbidden);
        }
        // A registered complainant is looked up where the officer works.
        let complainant = match (person_id, &nik) {
            (Some(id), _) => {
                let id = pintu_store::parse_id(id).ok_or_else(|| {
                    Error::invalid("complainant_person_id", "complainant_not_found")
                })?;
                let p =
                    pintu_store::registry::person(self.store.conn(), &registry_scope(ctx)?, &id)
                        .await?
                        .ok_or_else(|| {
                            Error::invalid("complainant_person_id", "complainant_not_found")
                        })?;
                Some(p.id)
            }
            (None, Some(n)) => {
                let found = pintu_store::registry::person_by_nik(
                    self.store.conn(),
                    &registry_scope(ctx)?,
                    n.as_str(),
                )
                .await?
                .ok_or_else(|| Error::invalid("complainant_nik", "complainant_not_found"))?;
                Some(found.id)
            }
            (None, None) => None,
        };
        let regency = d::reference_area(&village)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("village without regency")))?;
        let level = intake_level(&ctx.actor);
        let actor = ctx.actor.label();
        let tx = self.store.begin().await?;
        let year = received_on.year();
        let seq = q::next_sequence(&tx, regency.as_str(), year).await?;
        let due_at = self.complaint_deadlines.due(category, level, now);
        let row = ComplaintRow {
            id: new_id(),
            reference: d::reference(&regency, year, seq),
            regency_code: regency.as_str().to_string(),
            village_code: village.as_str().to_string(),
            received_on,
            channel: channel.code().into(),
            complainant_person_id: complainant,
            complainant_name: given_name,
            contact,
            category: category.code().into(),
            programme,
            description,
            status: Status::Open.code().into(),
            level: level.code().into(),
            unit: None,
            officer: officer.clone(),
            sent_at: now,
            due_at,
            flagged_due_at: None,
            escalations: 0,
            reached_ombudsman_at: None,
            resolution: None,
            response: None,
            resolved_at: None,
            acknowledgement: None,
            acknowledged_at: None,
            created_by: actor.clone(),
            created_at: now,
            updated_at: now,
        };
        q::insert(&tx, &row).await?;
        q::insert_event(
            &tx,
            &NewEvent {
                complaint_id: &row.id,
                village_code: &row.village_code,
                at: now,
                actor: &actor,
                action: "received",
                level: level.code(),
                unit: None,
                officer: officer.as_deref(),
                due_at: Some(due_at),
                note: Some(channel.code()),
            },
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "complaint.create",
                "complaint",
                Some(&row.id),
                Some(&row.village_code),
                Some(format!("reference={}", row.reference)),
            )
            .await?;
        self.complaint_in(ctx, &row.id).await
    }

    async fn complaint_in(&self, ctx: &Ctx, id: &str) -> Result<ComplaintRow> {
        let (scope, ombudsman) = self.complaint_scope(ctx, None).await?;
        let c = q::get(self.store.conn(), &scope, id)
            .await?
            .ok_or(Error::NotFound)?;
        if ombudsman && c.reached_ombudsman_at.is_none() {
            return Err(Error::NotFound);
        }
        Ok(c)
    }

    /// A complaint with its steps, attachments and call-backs, and what the actor may do.
    pub async fn complaint(
        &self,
        ctx: &Ctx,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<ComplaintDetail> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let complaint = self.complaint_in(ctx, &id).await?;
        let c = self.store.conn();
        let events = q::events(c, &id).await?;
        let attachments = q::attachments(c, &id).await?;
        let callbacks = q::callbacks(c, &Scope::National, None, Some(&id), None, 100).await?;
        let state = state_of(&complaint)?;
        let actions = self.allowed_steps(ctx, &state, now);
        self.audit
            .record(
                ctx,
                "complaint.read",
                "complaint",
                Some(&id),
                Some(&complaint.village_code),
                None,
            )
            .await?;
        let applications = pintu_store::applications::list(
            c,
            &Scope::National,
            &pintu_store::applications::ApplicationFilter {
                complaint_id: Some(&id),
                ..Default::default()
            },
            20,
        )
        .await?;
        Ok(ComplaintDetail {
            messages: self.messages_about(&id).await?,
            applications,
            overdue: complaint.status == "open" && complaint.due_at < now,
            complaint,
            events,
            attachments,
            callbacks,
            actions,
        })
    }

    fn allowed_steps(&self, ctx: &Ctx, state: &State, now: DateTime<Utc>) -> Vec<&'static str> {
        if !may_work(&ctx.actor, state.level) {
            return Vec::new();
        }
        let candidates = [
            Action::Forward,
            Action::Assign(Unit::DinasSosial),
            Action::Respond,
            Action::Resolve(Resolution::Answered),
            Action::Acknowledge(Acknowledgement::Acknowledged),
            Action::Reopen,
        ];
        candidates
            .into_iter()
            .filter(|a| state.apply(*a, now).is_ok())
            .map(Action::code)
            .collect()
    }

    /// Complaints in the actor's area (or `area` inside it), newest first.
    #[allow(clippy::too_many_arguments)]
    pub async fn complaints(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        status: Option<&str>,
        level: Option<&str>,
        category: Option<&str>,
        overdue: bool,
        before: Option<&str>,
        limit: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<Page<ComplaintRow>> {
        let (scope, ombudsman) = self.complaint_scope(ctx, area).await?;
        let limit = page_limit(limit)?;
        let before = id_cursor("before", before)?;
        // A filter value is one of the codes it filters on; empty (or `all`) filters nothing.
        fn known(
            v: Option<&str>,
            field: &'static str,
            is_code: impl Fn(&str) -> bool,
        ) -> Result<Option<String>> {
            match v.map(str::trim).filter(|s| !s.is_empty() && *s != "all") {
                None => Ok(None),
                Some(s) if is_code(s) => Ok(Some(s.to_string())),
                Some(_) => Err(Error::invalid(field, "filter_unknown")),
            }
        }
        let status_v = known(status, "status", |s| Status::parse(s).is_some())?;
        let level = known(level, "level", |s| Level::parse(s).is_some())?;
        let category = known(category, "category", |s| Category::parse(s).is_some())?;
        let statuses: Vec<&str> = status_v.as_deref().into_iter().collect();
        let items = q::list(
            self.store.conn(),
            &scope,
            &ComplaintFilter {
                statuses: &statuses,
                level: level.as_deref(),
                category: category.as_deref(),
                overdue_at: overdue.then_some(now),
                escalated_to_ombudsman: ombudsman,
                complainant: None,
                before: before.as_deref(),
            },
            limit,
        )
        .await?;
        self.audit
            .record(
                ctx,
                "complaint.list",
                "complaint",
                None,
                scope_area(&scope),
                Some(format!("results={}", items.len())),
            )
            .await?;
        Ok(Page::of(items, limit, |x| x.id.clone()))
    }

    /// Takes a step on a complaint: permission (the level the actor works), the state
    /// machine, the new hop's deadline, and the step in the complaint's history, together.
    /// A complaint changed by someone else meanwhile answers `complaint_changed`.
    pub async fn complaint_step(
        &self,
        ctx: &Ctx,
        id: &str,
        step: &Step,
        now: DateTime<Utc>,
    ) -> Result<ComplaintRow> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let current = self.complaint_in(ctx, &id).await?;
        let state = state_of(&current)?;
        if !may_work(&ctx.actor, state.level) {
            return Err(Error::Forbidden);
        }
        let mut errors = Invalid::default();
        let note = optional_text(&step.note, "note", MAX_TEXT_CHARS, &mut errors);
        let officer = optional_text(&step.officer, "officer", 120, &mut errors);
        let action = match step.action.trim() {
            "forward" => Some(Action::Forward),
            "assign" => match step.unit.as_deref().map(str::trim) {
                None | Some("") => {
                    errors.push("unit", "required");
                    None
                }
                Some(u) => Unit::parse(u).map(Action::Assign).or_else(|| {
                    errors.push("unit", "unit_unknown");
                    None
                }),
            },
            "respond" => Some(Action::Respond),
            "resolve" => match step.resolution.as_deref().map(str::trim) {
                None | Some("") => Some(Action::Resolve(Resolution::Answered)),
                Some(r) => Resolution::parse(r).map(Action::Resolve).or_else(|| {
                    errors.push("resolution", "resolution_unknown");
                    None
                }),
            },
            "acknowledge" => match step.acknowledgement.as_deref().map(str::trim) {
                None | Some("") => {
                    errors.push("acknowledgement", "required");
                    None
                }
                Some(a) => Acknowledgement::parse(a)
                    .map(Action::Acknowledge)
                    .or_else(|| {
                        errors.push("acknowledgement", "acknowledgement_unknown");
                        None
                    }),
            },
            "reopen" => Some(Action::Reopen),
            "" => {
                errors.push("action", "required");
                None
            }
            _ => {
                errors.push("action", "action_unknown");
                None
            }
        };
        let needs_note = matches!(
            action,
            Some(Action::Respond | Action::Resolve(_) | Action::Reopen)
        );
        if needs_note && note.is_none() && !errors.0.iter().any(|e| e.field == "note") {
            errors.push("note", "required");
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let Some(action) = action else {
            return Err(Error::Internal(anyhow::anyhow!(
                "validated step incomplete"
            )));
        };
        let next = state
            .apply(action, now)
            .map_err(|code| Error::Conflict { code, field: None })?;
        let tx = self.store.begin().await?;
        let updated = self
            .write_step(
                &tx,
                &ctx.actor.label(),
                &current,
                &next,
                action,
                officer.as_deref(),
                note.as_deref(),
                now,
            )
            .await?;
        if let Action::Resolve(_) = action {
            // The complainant is told the answer by SMS, queued with the resolution: at
            // their registered number, or at the contact an unregistered one gave.
            let registered = match &current.complainant_person_id {
                Some(id) => pintu_store::registry::person(&tx, &Scope::National, id).await?,
                None => None,
            };
            let phone = registered
                .as_ref()
                .and_then(|p| p.phone.clone())
                .or_else(|| current.contact.clone());
            crate::messages::queue(
                &tx,
                &crate::messages::Notice {
                    person_id: current.complainant_person_id.as_deref().unwrap_or(""),
                    village_code: &current.village_code,
                    phone: phone.as_deref(),
                    template: pintu_domain::messages::Template::ComplaintResolved,
                    programme: &current.reference,
                    reason: note.as_deref(),
                    subject_type: "complaint",
                    subject_id: &current.id,
                },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                &format!("complaint.{}", action.code()),
                "complaint",
                Some(&id),
                Some(&current.village_code),
                None,
            )
            .await?;
        Ok(updated)
    }

    /// Writes a complaint's new state and the step's history entry in `tx`.
    #[allow(clippy::too_many_arguments)]
    async fn write_step(
        &self,
        tx: &DatabaseTransaction,
        actor: &str,
        current: &ComplaintRow,
        next: &State,
        action: Action,
        officer: Option<&str>,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ComplaintRow> {
        let category = Category::parse(&current.category).unwrap_or(Category::Other);
        let mut row = current.clone();
        let moved = matches!(
            action,
            Action::Forward | Action::Escalate | Action::Assign(_) | Action::Reopen
        );
        row.status = next.status.code().into();
        row.level = next.level.code().into();
        row.unit = next.unit.map(|u| u.code().to_string());
        row.resolution = next.resolution.map(|r| r.code().to_string());
        row.resolved_at = next.resolved_at;
        row.acknowledgement = next.acknowledgement.map(|a| a.code().to_string());
        if moved {
            row.sent_at = now;
            row.due_at = self.complaint_deadlines.due(category, next.level, now);
            row.officer = officer.map(str::to_string);
        }
        match action {
            Action::Resolve(_) => row.response = note.map(str::to_string),
            Action::Acknowledge(_) => row.acknowledged_at = Some(now),
            Action::Reopen => {
                row.response = None;
                row.acknowledged_at = None;
            }
            Action::Escalate => {
                row.escalations += 1;
                row.flagged_due_at = Some(current.due_at);
            }
            _ => {}
        }
        if next.level == Level::Ombudsman && row.reached_ombudsman_at.is_none() {
            row.reached_ombudsman_at = Some(now);
        }
        row.updated_at = now.max(current.updated_at + chrono::Duration::microseconds(1));
        if !q::update(tx, &row, current.updated_at).await? {
            return Err(Error::Conflict {
                code: "complaint_changed",
                field: None,
            });
        }
        let done = match action {
            Action::Forward => "forwarded",
            Action::Assign(_) => "assigned",
            Action::Respond => "responded",
            Action::Resolve(_) => "resolved",
            Action::Acknowledge(_) => "acknowledged",
            Action::Reopen => "reopened",
            Action::Escalate => "escalated",
        };
        let detail = match action {
            Action::Resolve(r) => Some(r.code()),
            Action::Acknowledge(a) => Some(a.code()),
            _ => None,
        };
        let note = match (detail, note) {
            (Some(d), Some(n)) => Some(format!("{d}: {n}")),
            (Some(d), None) => Some(d.to_string()),
            (None, n) => n.map(str::to_string),
        };
        q::insert_event(
            tx,
            &NewEvent {
                complaint_id: &row.id,
                village_code: &row.village_code,
                at: now,
                actor,
                action: done,
                level: &row.level,
                unit: row.unit.as_deref(),
                officer: if moved { officer } else { None },
                due_at: moved.then_some(row.due_at),
                note: note.as_deref(),
            },
        )
        .await?;
        Ok(row)
    }

    /// The scheduler's run at `now`: every open complaint past its deadline is sent up one
    /// level (with a new deadline) and its resident is owed a call-back; one at the top
    /// gets the call-back only. Each complaint in its own transaction; a complaint an
    /// officer changes meanwhile is left for the next run.
    pub async fn escalate_overdue(&self, now: DateTime<Utc>) -> Result<EscalationRun> {
        let mut run = EscalationRun::default();
        let mut skipped = std::collections::HashSet::new();
        loop {
            let batch = q::overdue_unflagged(self.store.conn(), now, 200).await?;
            let fresh: Vec<ComplaintRow> = batch
                .into_iter()
                .filter(|c| !skipped.contains(&c.id))
                .collect();
            if fresh.is_empty() {
                break;
            }
            for c in fresh {
                let state = state_of(&c)?;
                let tx = self.store.begin().await?;
                let escalated = match state.apply(Action::Escalate, now) {
                    Ok(next) => {
                        let note =
                            format!("overdue since {}", c.due_at.format("%Y-%m-%d %H:%M UTC"));
                        self.write_step(
                            &tx,
                            "system:scheduler",
                            &c,
                            &next,
                            Action::Escalate,
                            None,
                            Some(&note),
                            now,
                        )
                        .await
                        .map(|_| true)
                    }
                    Err(_) => {
                        // At the top already: flag the deadline so the call-back is made once.
                        let mut row = c.clone();
                        row.flagged_due_at = Some(c.due_at);
                        row.updated_at = now.max(c.updated_at + chrono::Duration::microseconds(1));
                        match q::update(&tx, &row, c.updated_at).await? {
                            true => Ok(false),
                            false => Err(Error::Conflict {
                                code: "complaint_changed",
                                field: None,
                            }),
                        }
                    }
                };
                match escalated {
                    Ok(up) => {
                        q::insert_callback(&tx, &new_id(), &c, &c.level, now).await?;
                        tx.commit().await?;
                        run.escalated += u64::from(up);
                        run.callbacks += 1;
                    }
                    Err(Error::Conflict { .. }) => {
                        tx.rollback().await?;
                        skipped.insert(c.id.clone());
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        if run.callbacks > 0 {
            tracing::info!(
                escalated = run.escalated,
                callbacks = run.callbacks,
                "overdue complaints flagged"
            );
        }
        Ok(run)
    }

    /// Call-backs owed in the actor's area: by default those still to make.
    pub async fn callbacks(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        status: Option<&str>,
        after: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Page<CallbackRow>> {
        if !ctx.actor.may_record_complaints() {
            return Err(Error::Forbidden);
        }
        let scope = self.area_scope(ctx, area).await?;
        let limit = page_limit(limit)?;
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => Some("open"),
            Some("all") => None,
            Some(s @ ("open" | "done")) => Some(s),
            Some(_) => return Err(Error::invalid("status", "status_unknown")),
        };
        let after = id_cursor("after", after)?;
        let items = q::callbacks(
            self.store.conn(),
            &scope,
            status,
            None,
            after.as_deref(),
            limit,
        )
        .await?;
        self.audit
            .record(
                ctx,
                "complaint.callbacks",
                "complaint",
                None,
                scope_area(&scope),
                Some(format!("results={}", items.len())),
            )
            .await?;
        Ok(Page::of(items, limit, |x| x.id.clone()))
    }

    /// Records the outcome of a call-back (`reached` or `not_reachable`), in the
    /// complaint's history too.
    pub async fn complete_callback(
        &self,
        ctx: &Ctx,
        id: &str,
        outcome: &str,
        note: &Option<String>,
        now: DateTime<Utc>,
    ) -> Result<CallbackRow> {
        if !ctx.actor.may_record_complaints() {
            return Err(Error::Forbidden);
        }
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let scope = ctx.actor.scope();
        let cb = q::callback(self.store.conn(), &scope, &id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut errors = Invalid::default();
        let outcome = match outcome.trim() {
            o @ ("reached" | "not_reachable") => Some(o),
            "" => {
                errors.push("outcome", "required");
                None
            }
            _ => {
                errors.push("outcome", "outcome_unknown");
                None
            }
        };
        let note = optional_text(note, "note", MAX_TEXT_CHARS, &mut errors);
        let Some(outcome) = outcome.filter(|_| errors.is_empty()) else {
            return Err(Error::Invalid(errors));
        };
        let actor = ctx.actor.label();
        let tx = self.store.begin().await?;
        if !q::complete_callback(&tx, &id, outcome, note.as_deref(), &actor, now).await? {
            return Err(Error::Conflict {
                code: "callback_already_done",
                field: None,
            });
        }
        let text = match &note {
            Some(n) => format!("{outcome}: {n}"),
            None => outcome.to_string(),
        };
        q::insert_event(
            &tx,
            &NewEvent {
                complaint_id: &cb.complaint_id,
                village_code: &cb.village_code,
                at: now,
                actor: &actor,
                action: "called_back",
                level: &cb.level,
                unit: None,
                officer: None,
                due_at: None,
                note: Some(&text),
            },
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "complaint.callback",
                "complaint",
                Some(&cb.complaint_id),
                Some(&cb.village_code),
                None,
            )
            .await?;
        q::callback(self.store.conn(), &scope, &id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Adds a file to a complaint: a PDF, JPEG or PNG (recognised by its content, not its
    /// name) of at most [`MAX_ATTACHMENT_BYTES`].
    pub async fn attach_to_complaint(
        &self,
        ctx: &Ctx,
        id: &str,
        file_name: &str,
        content: Vec<u8>,
        now: DateTime<Utc>,
    ) -> Result<AttachmentRow> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let complaint = self.complaint_in(ctx, &id).await?;
        if !may_work(
            &ctx.actor,
            Level::parse(&complaint.level).unwrap_or(Level::Village),
        ) && complaint.created_by != ctx.actor.label()
        {
            return Err(Error::Forbidden);
        }
        let content_type =
            attachment_type(&content).map_err(|code| Error::invalid("file", code))?;
        let c = self.store.conn();
        if q::attachments(c, &id).await?.len() >= MAX_ATTACHMENTS {
            return Err(Error::invalid("file", "too_many_attachments"));
        }
        let name = pintu_domain::files::clean_name(file_name, "lampiran");
        let actor = ctx.actor.label();
        let row = AttachmentRow {
            id: new_id(),
            complaint_id: id.clone(),
            file_name: name,
            content_type: content_type.into(),
            size: content.len() as i64,
            created_by: actor.clone(),
            created_at: now,
        };
        let tx = self.store.begin().await?;
        q::insert_attachment(&tx, &row, &complaint.village_code, content).await?;
        q::insert_event(
            &tx,
            &NewEvent {
                complaint_id: &id,
                village_code: &complaint.village_code,
                at: now,
                actor: &actor,
                action: "attached",
                level: &complaint.level,
                unit: complaint.unit.as_deref(),
                officer: None,
                due_at: None,
                note: Some(&row.file_name),
            },
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "complaint.attach",
                "complaint",
                Some(&id),
                Some(&complaint.village_code),
                None,
            )
            .await?;
        Ok(row)
    }

    /// An attachment's metadata and bytes.
    pub async fn complaint_attachment(
        &self,
        ctx: &Ctx,
        id: &str,
        attachment_id: &str,
    ) -> Result<(AttachmentRow, Vec<u8>)> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let aid = pintu_store::parse_id(attachment_id).ok_or(Error::NotFound)?;
        let complaint = self.complaint_in(ctx, &id).await?;
        let found = q::attachment(self.store.conn(), &id, &aid)
            .await?
            .ok_or(Error::NotFound)?;
        self.audit
            .record(
                ctx,
                "complaint.attachment",
                "complaint",
                Some(&id),
                Some(&complaint.village_code),
                None,
            )
            .await?;
        Ok(found)
    }

    /// Corrects a person's data because of a wrong-data complaint: the change is in the
    /// person's history with the complaint's reference as its reason, and in the
    /// complaint's history, in one transaction.
    pub async fn correct_from_complaint(
        &self,
        ctx: &Ctx,
        id: &str,
        correction: &Correction,
        now: DateTime<Utc>,
    ) -> Result<ComplaintRow> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let complaint = self.complaint_in(ctx, &id).await?;
        let state = state_of(&complaint)?;
        if !may_work(&ctx.actor, state.level) {
            return Err(Error::Forbidden);
        }
        if complaint.category != Category::WrongData.code() {
            return Err(Error::Conflict {
                code: "correction_needs_wrong_data",
                field: None,
            });
        }
        if state.status != Status::Open {
            return Err(Error::Conflict {
                code: "complaint_not_open",
                field: None,
            });
        }
        let field = correction.field.trim();
        if !CORRECTABLE_FIELDS.contains(&field) {
            return Err(Error::invalid("field", "field_not_correctable"));
        }
        let person_id = pintu_store::parse_id(correction.person_id.trim())
            .ok_or_else(|| Error::invalid("person_id", "person_not_found"))?;
        let reason = format!("complaint {}", complaint.reference);
        let v = Some(correction.value.clone());
        let mut patch = PersonPatch {
            reason: Some(reason),
            ..PersonPatch::default()
        };
        match field {
            "full_name" => patch.full_name = v,
            "sex" => patch.sex = v,
            "birth_date" => patch.birth_date = v,
            "birth_place" => patch.birth_place = v,
            "religion" => patch.religion = v,
            "education" => patch.education = v,
            "occupation" => patch.occupation = v,
            "marital_status" => patch.marital_status = v,
            _ => patch.phone = v,
        }
        let tx = self.store.begin().await?;
        let (person, fields) = match self.patch_person(&tx, ctx, &person_id, &patch).await {
            Err(Error::NotFound) => return Err(Error::invalid("person_id", "person_not_found")),
            Err(Error::Invalid(inv)) => {
                let code = inv.0.first().map_or("value_invalid", |e| e.code);
                return Err(Error::invalid("value", code));
            }
            other => other?,
        };
        if fields.is_empty() {
            return Err(Error::invalid("value", "value_unchanged"));
        }
        let actor = ctx.actor.label();
        let note = format!(
            "{} {}: {}",
            person.full_name,
            field,
            correction.value.trim()
        );
        q::insert_event(
            &tx,
            &NewEvent {
                complaint_id: &id,
                village_code: &complaint.village_code,
                at: now,
                actor: &actor,
                action: "corrected",
                level: &complaint.level,
                unit: complaint.unit.as_deref(),
                officer: None,
                due_at: None,
                note: Some(&note),
            },
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "person.update",
                "person",
                Some(&person.id),
                Some(&person.village_code),
                Some(format!(
                    "fields={} complaint={}",
                    fields.join(","),
                    complaint.reference
                )),
            )
            .await?;
        self.complaint_in(ctx, &id).await
    }

    /// The complaints a registered person made (the person page), newest first.
    pub async fn complaints_of_person(
        &self,
        ctx: &Ctx,
        person_id: &str,
    ) -> Result<Vec<ComplaintRow>> {
        let scope = registry_scope(ctx)?;
        Ok(q::list(
            self.store.conn(),
            &scope,
            &ComplaintFilter {
                complainant: Some(person_id),
                ..ComplaintFilter::default()
            },
            50,
        )
        .await?)
    }

    /// Statistics of the complaints received from `from` to `to` in the actor's area (or
    /// `area`), overall and grouped `by` one dimension.
    pub async fn complaint_stats(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Stats> {
        let (scope, ombudsman) = self.complaint_scope(ctx, area).await?;
        let mut errors = Invalid::default();
        let date = |v: Option<&str>, field: &str, default: NaiveDate, errors: &mut Invalid| match v
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => default,
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|_| {
                errors.push(field.to_string(), "date_invalid");
                default
            }),
        };
        let to = date(to, "to", today(), &mut errors);
        let from = date(from, "from", to - chrono::Duration::days(365), &mut errors);
        if from > to {
            errors.push("from", "period_invalid");
        }
        let by = by
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .unwrap_or("category");
        if !STAT_DIMENSIONS.contains(&by) {
            errors.push("by", "dimension_unknown");
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let rows = q::stat_rows(self.store.conn(), &scope, from, to, ombudsman).await?;
        let child = child_level(&scope);
        let total = counts(rows.iter(), now);
        let groups = group(&rows, |r| dimension(r, by, child), now);
        self.audit
            .record(
                ctx,
                "complaint.stats",
                "complaint",
                None,
                scope_area(&scope),
                None,
            )
            .await?;
        Ok(Stats {
            from,
            to,
            total,
            by: by.to_string(),
            groups,
        })
    }

    /// The monthly report to the district (`period` = `YYYY-MM`) or the half-yearly report
    /// to the ombudsman (`YYYY-H1`, `YYYY-H2`).
    pub async fn complaint_report(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        period: &str,
        now: DateTime<Utc>,
    ) -> Result<Report> {
        let (scope, ombudsman) = self.complaint_scope(ctx, area).await?;
        let (kind, from, to) =
            report_period(period).ok_or_else(|| Error::invalid("period", "period_invalid"))?;
        let rows = q::stat_rows(self.store.conn(), &scope, from, to, ombudsman).await?;
        let child = child_level(&scope);
        self.audit
            .record(
                ctx,
                "complaint.report",
                "complaint",
                None,
                scope_area(&scope),
                Some(format!("period={period}")),
            )
            .await?;
        Ok(Report {
            kind: kind.to_string(),
            area: scope_area(&scope).map(str::to_string),
            from,
            to,
            total: counts(rows.iter(), now),
            by_category: group(&rows, |r| dimension(r, "category", child), now),
            by_programme: group(&rows, |r| dimension(r, "programme", child), now),
            by_level: group(&rows, |r| dimension(r, "level", child), now),
            by_area: group(&rows, |r| dimension(r, "area", child), now),
            by_month: group(&rows, |r| dimension(r, "month", child), now),
        })
    }
}

/// The content type of a file that may be attached to a complaint: a PDF, JPEG or PNG
/// (recognised by its first bytes, not its name) of at most [`MAX_ATTACHMENT_BYTES`];
/// otherwise the code of the reason it may not.
pub fn attachment_type(content: &[u8]) -> std::result::Result<&'static str, &'static str> {
    if content.is_empty() {
        Err("file_empty")
    } else if content.len() > MAX_ATTACHMENT_BYTES {
        Err("attachment_too_large")
    } else {
        pintu_domain::files::sniff(content).ok_or("attachment_type")
    }
}

/// `YYYY-MM` (monthly) or `YYYY-H1`/`YYYY-H2` (half-yearly): the kind and the first and
/// last day.
pub fn report_period(period: &str) -> Option<(&'static str, NaiveDate, NaiveDate)> {
    let (y, rest) = period.trim().split_once('-')?;
    let year: i32 = y.parse().ok().filter(|y| (2000..=2100).contains(y))?;
    let (kind, first, months) = match rest {
        "H1" | "h1" => ("half_year", 1, 6),
        "H2" | "h2" => ("half_year", 7, 6),
        m => (
            "monthly",
            m.parse::<u32>().ok().filter(|m| (1..=12).contains(m))?,
            1,
        ),
    };
    let from = NaiveDate::from_ymd_opt(year, first, 1)?;
    let after = from.checked_add_months(chrono::Months::new(months))?;
    Some((kind, from, after.pred_opt()?))
}

/// The area level statistics by area break the scope into: the children of its area.
fn child_level(scope: &Scope) -> AreaLevel {
    match scope {
        Scope::National => AreaLevel::Province,
        Scope::Within(a) => {
            AreaLevel::from_depth(a.level().depth() + 1).unwrap_or(AreaLevel::Village)
        }
    }
}

fn dimension(r: &StatRow, by: &str, child: AreaLevel) -> String {
    match by {
        "area" => AreaCode::parse(&r.village_code)
            .ok()
            .and_then(|v| v.ancestor(child))
            .map_or_else(|| r.village_code.clone(), |a| a.as_str().to_string()),
        "programme" => r.programme.clone().unwrap_or_else(|| "-".into()),
        "level" => r.level.clone(),
        "channel" => r.channel.clone(),
        "status" => r.status.clone(),
        "month" => r.received_on.format("%Y-%m").to_string(),
        _ => r.category.clone(),
    }
}

fn group<'a>(
    rows: &'a [StatRow],
    key: impl Fn(&'a StatRow) -> String,
    now: DateTime<Utc>,
) -> Vec<(String, Counts)> {
    let mut groups: BTreeMap<String, Vec<&StatRow>> = BTreeMap::new();
    for r in rows {
        groups.entry(key(r)).or_default().push(r);
    }
    groups
        .into_iter()
        .map(|(k, rs)| (k, counts(rs.into_iter(), now)))
        .collect()
}

/// The counts of some complaints. Time to resolve is counted from the day received (as on
/// the action form) to the resolution.
pub fn counts<'a>(rows: impl Iterator<Item = &'a StatRow>, now: DateTime<Utc>) -> Counts {
    let mut c = Counts::default();
    let mut days = Vec::new();
    for r in rows {
        c.received += 1;
        if r.status == "open" && r.due_at < now {
            c.overdue += 1;
        }
        c.escalated += u64::from(r.escalations > 0);
        c.reached_ombudsman += u64::from(r.reached_ombudsman);
        if let (true, Some(at)) = (r.status != "open", r.resolved_at) {
            c.resolved += 1;
            let received = r
                .received_on
                .and_hms_opt(0, 0, 0)
                .map_or(r.created_at, |t| t.and_utc());
            days.push(((at - received).num_seconds() as f64 / 86_400.0).max(0.0));
        }
    }
    if c.received > 0 {
        c.share_resolved = c.resolved as f64 / c.received as f64;
    }
    if !days.is_empty() {
        days.sort_by(f64::total_cmp);
        c.average_days = Some(days.iter().sum::<f64>() / days.len() as f64);
        let mid = days.len() / 2;
        c.median_days = Some(if days.len() % 2 == 1 {
            days[mid]
        } else {
            (days[mid - 1] + days[mid]) / 2.0
        });
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_recognised_by_their_content() {
        assert_eq!(attachment_type(b"%PDF-1.7 ..."), Ok("application/pdf"));
        assert_eq!(attachment_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok("image/jpeg"));
        assert_eq!(attachment_type(b"MZ\x90\x00"), Err("attachment_type"));
        assert_eq!(attachment_type(b""), Err("file_empty"));
        assert_eq!(
            attachment_type(&vec![b'%'; MAX_ATTACHMENT_BYTES + 1]),
            Err("attachment_too_large")
        );
    }

    #[test]
    fn report_periods_are_months_or_halves() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert_eq!(
            report_period("2026-02"),
            Some(("monthly", d(2026, 2, 1), d(2026, 2, 28)))
        );
        assert_eq!(
            report_period("2026-H2"),
            Some(("half_year", d(2026, 7, 1), d(2026, 12, 31)))
        );
        assert_eq!(report_period("2026-13"), None);
        assert_eq!(report_period("nope"), None);
    }
}
