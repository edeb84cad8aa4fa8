//! Applications to programmes (ENR-2): started at any counter for a person of the officer's
//! area, with the programme's required documents uploaded and checked off, then submitted,
//! forwarded to the programme, approved or rejected with a reason, and enrolled — which
//! records the person's enrolment, so that matching's exclusion and inclusion reports see
//! it. Every step records who, when and why, and every read and change is audited.

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use pintu_domain::access::Scope;
use pintu_domain::applications::{
    self as d, Action, Channel, MAX_DOCUMENTS, State, may_take_applications,
};
use pintu_domain::messages::Template;
use pintu_domain::programmes::Document;
use pintu_domain::{AreaCode, Invalid, Role};
use pintu_store::applications::{
    self as q, ApplicationFilter, ApplicationRow, DocumentRow, EventRow, NewApplication,
};
use pintu_store::facts::{NewEnrolment, enrolments_of, upsert_enrolments};
use pintu_store::new_id;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::messages::Notice;
use crate::registry::{Page, id_cursor, page_limit, registry_scope};
use crate::{Ctx, Error, Pintu, Result, today};

/// Longest note or reason.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// An application as an officer starts it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewApplicationInput {
    pub person_id: String,
    /// The programme's code.
    pub programme: String,
    /// `counter` (default), `call_centre` or `matching`.
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// For `matching`: the run whose village list named the person.
    #[serde(default)]
    pub run_id: Option<String>,
    /// The open exclusion complaint it answers (the complainant or a member of their
    /// household applies); the two are linked both ways.
    #[serde(default)]
    pub complaint_id: Option<String>,
}

/// A step to take: `submit`, `forward`, `approve`, `reject`, `enrol` or `withdraw`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StepInput {
    pub action: String,
    /// Required to reject or withdraw; told to the applicant.
    #[serde(default)]
    pub reason: Option<String>,
}

/// One of the programme's required documents and what was handed in for it.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    pub index: usize,
    pub name_id: String,
    pub name_en: String,
    pub documents: Vec<DocumentRow>,
    /// A document for it was checked against the original.
    pub checked: bool,
}

/// An application with its history, documents and the steps the actor may take.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationDetail {
    pub application: ApplicationRow,
    pub events: Vec<EventRow>,
    pub requirements: Vec<Requirement>,
    /// Documents handed in that answer no particular requirement.
    pub other_documents: Vec<DocumentRow>,
    /// Whether documents can still be added and checked (draft or submitted).
    pub documents_open: bool,
    /// The steps the actor may take now.
    pub actions: Vec<&'static str>,
    /// The messages sent to the applicant about it.
    pub messages: Vec<pintu_store::outbox::MessageRow>,
}

impl ApplicationDetail {
    /// Whether every required document was checked off (needed to forward).
    pub fn documents_complete(&self) -> bool {
        self.requirements.iter().all(|r| r.checked)
    }
}

/// Writes a new draft application and its first step, in the caller's transaction.
async fn write_draft(
    tx: &impl pintu_store::sea_orm::ConnectionTrait,
    a: &NewApplication<'_>,
    event_note: Option<String>,
) -> Result<()> {
    q::insert(tx, a).await?;
    q::insert_event(
        tx,
        a.id,
        a.village_code,
        &EventRow {
            at: a.at,
            actor: a.actor.to_string(),
            action: "created".into(),
            from_state: None,
            to_state: State::Draft.code().into(),
            note: event_note,
        },
    )
    .await?;
    Ok(())
}

/// What starting the applications of a village's list did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FromList {
    /// The run whose list it was.
    pub run_id: Option<String>,
    /// Applications started (drafts, channel `matching`).
    pub started: u64,
    /// Of those, the people told by SMS (the others have no phone registered).
    pub notified: u64,
    /// People on the list who already have an open application, or are enrolled.
    pub already_applying: u64,
    pub already_enrolled: u64,
}

fn text(value: Option<&str>, field: &str, invalid: &mut Invalid) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > MAX_TEXT_CHARS || v.chars().any(|c| c.is_control() && c != '\n') {
        invalid.push(field, "text_invalid");
        return None;
    }
    Some(v.to_string())
}

/// A step about a document (handed in, checked), which leaves the state as it is.
fn document_event(
    a: &ApplicationRow,
    actor: String,
    action: &str,
    file_name: &str,
    at: DateTime<Utc>,
) -> EventRow {
    EventRow {
        at,
        actor,
        action: action.into(),
        from_state: Some(a.state.clone()),
        to_state: a.state.clone(),
        note: Some(file_name.to_string()),
    }
}

fn state_of(a: &ApplicationRow) -> Result<State> {
    State::parse(&a.state).ok_or_else(|| Error::Internal(anyhow::anyhow!("application state")))
}

/// The actor's role, if it works with applications. The system itself (the demo loader)
/// acts with a national officer's reach, as it does everywhere.
fn applications_role(ctx: &Ctx) -> Result<pintu_domain::Role> {
    registry_scope(ctx)?;
    match (&ctx.actor, ctx.actor.role()) {
        (pintu_domain::Actor::System { .. }, _) => Ok(pintu_domain::Role::NationalOfficer),
        (_, Some(role)) if may_take_applications(role) => Ok(role),
        _ => Err(Error::Forbidden),
    }
}

/// Whether the actor may take `action`: an officer by their role, the system as a national
/// officer, a resident (the applicant's household) only to submit or withdraw.
fn may_step(ctx: &Ctx, action: Action) -> bool {
    match &ctx.actor {
        pintu_domain::Actor::Resident { .. } => action.allowed_for_applicant(),
        _ if ctx.actor.role() == Some(Role::AgencyOfficer) => action.allowed_for_agency(),
        _ => applications_role(ctx).is_ok_and(|role| action.allowed_for(role)),
    }
}

/// Where a document's bytes are kept: named by their SHA-256, so the same file handed in
/// twice is stored once and a changed file is noticed.
fn document_path(files: &std::path::Path, sha256: &str) -> PathBuf {
    files.join("documents").join(&sha256[..2]).join(sha256)
}

/// Writes the bytes (if not there yet) and flushes them to disk before the database
/// records them, so a committed document always has its file.
fn store_bytes(path: &std::path::Path, content: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!("{}.part", new_id()));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(content)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

impl Pintu {
    async fn audit_application(
        &self,
        ctx: &Ctx,
        action: &str,
        id: &str,
        village_code: &str,
        detail: Option<String>,
    ) -> Result<()> {
        self.audit
            .record(
                ctx,
                action,
                "application",
                Some(id),
                Some(village_code),
                detail,
            )
            .await
    }

    /// Starts an application (a draft) of a living person of the actor's area to an active
    /// programme that covers the person's village. A person has one open application per
    /// programme, and none to a programme they are enrolled in.
    pub async fn create_application(
        &self,
        ctx: &Ctx,
        input: &NewApplicationInput,
        now: DateTime<Utc>,
    ) -> Result<ApplicationDetail> {
        // A resident applies for their own household only (the portal).
        let scope = match ctx.actor.is_resident() {
            true => Scope::National,
            false => {
                applications_role(ctx)?;
                registry_scope(ctx)?
            }
        };
        let c = self.store.conn();
        let mut invalid = Invalid::default();
        let person = match pintu_store::parse_id(&input.person_id) {
            Some(id) => pintu_store::registry::person(c, &scope, &id)
                .await?
                .filter(|p| {
                    !ctx.actor.is_resident()
                        || ctx.actor.is_resident_of(&p.id, p.household_id.as_deref())
                }),
            None => None,
        };
        match &person {
            None => invalid.push("person_id", "person_not_found"),
            Some(p) if p.life_status != "alive" => invalid.push("person_id", "person_not_alive"),
            Some(_) => {}
        }
        let code = input.programme.trim().to_ascii_uppercase();
        let programme = if code.is_empty() {
            invalid.push("programme", "required");
            None
        } else {
            let found = pintu_store::programmes::by_code(c, &code).await?;
            match &found {
                None => invalid.push("programme", "programme_unknown"),
                Some(g)
                    if g.active_from > today() || g.active_until.is_some_and(|u| u < today()) =>
                {
                    invalid.push("programme", "programme_inactive")
                }
                Some(g) => {
                    let covers = match (&g.area_code, &person) {
                        (Some(area), Some(p)) => {
                            match (AreaCode::parse(area), AreaCode::parse(&p.village_code)) {
                                (Ok(a), Ok(v)) => a.contains(&v),
                                _ => false,
                            }
                        }
                        _ => true,
                    };
                    if !covers {
                        invalid.push("programme", "programme_not_in_area");
                    }
                }
            }
            found
        };
        let channel = match input.channel.as_deref().map(str::trim) {
            _ if ctx.actor.is_resident() => Channel::Online,
            None | Some("") => Channel::Counter,
            Some(s) => match Channel::parse(s) {
                Some(ch @ (Channel::Counter | Channel::CallCentre | Channel::Matching)) => ch,
                // SMS and the portal come in through the system, never from an officer.
                Some(ch @ (Channel::Sms | Channel::Online))
                    if matches!(ctx.actor, pintu_domain::Actor::System { .. }) =>
                {
                    ch
                }
                _ => {
                    invalid.push("channel", "channel_unknown");
                    Channel::Counter
                }
            },
        };
        let note = text(input.note.as_deref(), "note", &mut invalid);
        let run_id = match input.run_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => match pintu_store::parse_id(r) {
                Some(id) => Some(id),
                None => {
                    invalid.push("run_id", "value_invalid");
                    None
                }
            },
        };
        let complaint = match input
            .complaint_id
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => None,
            Some(_) if ctx.actor.is_resident() => {
                invalid.push("complaint_id", "complaint_not_found");
                None
            }
            Some(cid) => {
                let found = match pintu_store::parse_id(cid) {
                    Some(id) => pintu_store::complaints::get(c, &scope, &id).await?,
                    None => None,
                };
                match found {
                    None => {
                        invalid.push("complaint_id", "complaint_not_found");
                        None
                    }
                    Some(k) if k.category != "exclusion_error" => {
                        invalid.push("complaint_id", "complaint_not_exclusion");
                        None
                    }
                    Some(k) if k.status != "open" => {
                        invalid.push("complaint_id", "complaint_not_open");
                        None
                    }
                    Some(k) => {
                        // The complainant applies, or a member of their household.
                        let complainant = match &k.complainant_person_id {
                            Some(id) => pintu_store::registry::person(c, &scope, id).await?,
                            None => None,
                        };
                        let related = match (&person, &complainant) {
                            (Some(p), Some(by)) => {
                                p.id == by.id
                                    || (p.household_id.is_some()
                                        && p.household_id == by.household_id)
                            }
                            _ => false,
                        };
                        if !related {
                            invalid.push("complaint_id", "complaint_person_mismatch");
                        }
                        Some(k)
                    }
                }
            }
        };
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let (Some(person), Some(programme)) = (person, programme) else {
            return Err(Error::Internal(anyhow::anyhow!("validated application")));
        };
        if q::open_application(c, &person.id, &programme.id)
            .await?
            .is_some()
        {
            return Err(Error::Conflict {
                code: "application_exists",
                field: Some("programme".into()),
            });
        }
        if enrolments_of(c, &person.id)
            .await?
            .iter()
            .any(|e| e.programme_code == programme.code && e.status == "active")
        {
            return Err(Error::Conflict {
                code: "already_enrolled",
                field: Some("programme".into()),
            });
        }
        let id = new_id();
        let actor = ctx.actor.label();
        let tx = self.store.begin().await?;
        write_draft(
            &tx,
            &NewApplication {
                id: &id,
                person_id: &person.id,
                household_id: person.household_id.as_deref(),
                programme_id: &programme.id,
                village_code: &person.village_code,
                channel: channel.code(),
                state: State::Draft.code(),
                note: note.as_deref(),
                run_id: run_id.as_deref(),
                complaint_id: complaint.as_ref().map(|k| k.id.as_str()),
                actor: &actor,
                at: now,
            },
            note.clone(),
        )
        .await?;
        if let Some(k) = &complaint {
            // The complaint's history names the application it opened.
            let note = format!("{} {id}", programme.code);
            pintu_store::complaints::insert_event(
                &tx,
                &pintu_store::complaints::NewEvent {
                    complaint_id: &k.id,
                    village_code: &k.village_code,
                    at: now,
                    actor: &actor,
                    action: "application",
                    level: &k.level,
                    unit: k.unit.as_deref(),
                    officer: None,
                    due_at: None,
                    note: Some(&note),
                },
            )
            .await?;
        }
        tx.commit().await?;
        self.audit_application(
            ctx,
            "application.create",
            &id,
            &person.village_code,
            Some(format!("programme={}", programme.code)),
        )
        .await?;
        self.application(ctx, &id).await
    }

    /// Turns a village's pre-identified people of a programme (selected by the latest run
    /// covering the village, or added by the village forum) into draft applications in one
    /// action, each told by SMS to come and complete it — all in one transaction. People
    /// with an open application or enrolled already are left as they are.
    pub async fn applications_from_list(
        &self,
        ctx: &Ctx,
        programme: &str,
        village: &str,
        now: DateTime<Utc>,
    ) -> Result<FromList> {
        applications_role(ctx)?;
        let scope = registry_scope(ctx)?;
        let village = AreaCode::parse(village.trim())
            .map_err(|_| Error::invalid("area", "area_code_malformed"))?;
        if village.level() != pintu_domain::AreaLevel::Village {
            return Err(Error::invalid("area", "area_not_village"));
        }
        if !scope.allows(&village) {
            return Err(Error::invalid("area", "village_outside_area"));
        }
        let code = programme.trim().to_ascii_uppercase();
        let c = self.store.conn();
        let g = pintu_store::programmes::by_code(c, &code)
            .await?
            .ok_or(Error::NotFound)?;
        if g.active_from > today() || g.active_until.is_some_and(|u| u < today()) {
            return Err(Error::invalid("programme", "programme_inactive"));
        }
        let (run, lines) = self
            .full_list(ctx, &code, Some(village.as_str()), None)
            .await?;
        let Some(run) = run else {
            return Err(Error::Conflict {
                code: "no_list_for_area",
                field: Some("area".into()),
            });
        };
        let mut out = FromList {
            run_id: Some(run.row.id.clone()),
            ..FromList::default()
        };
        let actor = ctx.actor.label();
        let tx = self.store.begin().await?;
        for line in lines
            .iter()
            .filter(|l| matches!(l.status.as_str(), "selected" | "added"))
        {
            if q::open_application(&tx, &line.person_id, &g.id)
                .await?
                .is_some()
            {
                out.already_applying += 1;
                continue;
            }
            if enrolments_of(&tx, &line.person_id)
                .await?
                .iter()
                .any(|e| e.programme_code == g.code && e.status == "active")
            {
                out.already_enrolled += 1;
                continue;
            }
            let Some(person) = pintu_store::registry::person(
                &tx,
                &pintu_domain::access::Scope::National,
                &line.person_id,
            )
            .await?
            .filter(|p| p.life_status == "alive") else {
                continue;
            };
            let id = new_id();
            write_draft(
                &tx,
                &NewApplication {
                    id: &id,
                    person_id: &person.id,
                    household_id: person.household_id.as_deref(),
                    programme_id: &g.id,
                    village_code: &person.village_code,
                    channel: Channel::Matching.code(),
                    state: State::Draft.code(),
                    note: None,
                    run_id: Some(&run.row.id),
                    complaint_id: None,
                    actor: &actor,
                    at: now,
                },
                Some(format!("{} #{}", g.code, line.rank.unwrap_or(0))),
            )
            .await?;
            let told = crate::messages::queue(
                &tx,
                &Notice {
                    person_id: &person.id,
                    village_code: &person.village_code,
                    phone: person.phone.as_deref(),
                    template: Template::PreIdentified,
                    programme: &g.code,
                    reason: None,
                    subject_type: "application",
                    subject_id: &id,
                },
                now,
            )
            .await?;
            out.started += 1;
            out.notified += u64::from(told.is_some());
        }
        tx.commit().await?;
        self.audit_application(
            ctx,
            "application.from_list",
            &run.row.id,
            village.as_str(),
            Some(format!("programme={} started={}", g.code, out.started)),
        )
        .await?;
        Ok(out)
    }

    /// The programme an agency officer decides the applications of; `None` for anyone who
    /// is not an agency officer.
    pub(crate) async fn agency_programme(&self, ctx: &Ctx) -> Result<Option<String>> {
        if ctx.actor.role() != Some(Role::AgencyOfficer) {
            return Ok(None);
        }
        let user_id = ctx.actor.user_id().ok_or(Error::Forbidden)?;
        pintu_store::users::user_by_id(self.store.conn(), user_id)
            .await?
            .and_then(|u| u.programme_code)
            .map(Some)
            .ok_or(Error::Forbidden)
    }

    /// An application the actor may see: in an officer's area, of the resident's own
    /// household, or to the agency officer's programme in their area.
    async fn application_in(&self, ctx: &Ctx, id: &str) -> Result<ApplicationRow> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        if let Some(programme) = self.agency_programme(ctx).await? {
            return q::get(self.store.conn(), &ctx.actor.scope(), &id)
                .await?
                .filter(|a| a.programme_code == programme)
                .ok_or(Error::NotFound);
        }
        if ctx.actor.is_resident() {
            return q::get(self.store.conn(), &Scope::National, &id)
                .await?
                .filter(|a| {
                    ctx.actor
                        .is_resident_of(&a.person_id, a.household_id.as_deref())
                })
                .ok_or(Error::NotFound);
        }
        applications_role(ctx)?;
        let scope = registry_scope(ctx)?;
        q::get(self.store.conn(), &scope, &id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// An application with its history, its documents against the programme's list, and
    /// the steps the actor may take.
    pub async fn application(&self, ctx: &Ctx, id: &str) -> Result<ApplicationDetail> {
        let application = self.application_in(ctx, id).await?;
        let detail = self.detail(ctx, application).await?;
        self.audit_application(
            ctx,
            "application.read",
            &detail.application.id,
            &detail.application.village_code,
            None,
        )
        .await?;
        Ok(detail)
    }

    async fn detail(&self, ctx: &Ctx, application: ApplicationRow) -> Result<ApplicationDetail> {
        let c = self.store.conn();
        let events = q::events(c, &application.id).await?;
        let mut documents = q::documents(c, &application.id).await?;
        let required: Vec<Document> =
            pintu_store::programmes::by_code(c, &application.programme_code)
                .await?
                .and_then(|g| serde_json::from_str(&g.documents).ok())
                .unwrap_or_default();
        let requirements = required
            .into_iter()
            .enumerate()
            .map(|(i, doc)| {
                let (mine, rest): (Vec<_>, Vec<_>) = documents
                    .drain(..)
                    .partition(|d| d.requirement == Some(i as i32));
                documents = rest;
                Requirement {
                    index: i,
                    name_id: doc.id,
                    name_en: doc.en,
                    checked: mine.iter().any(|d| d.checked_at.is_some()),
                    documents: mine,
                }
            })
            .collect::<Vec<_>>();
        let state = state_of(&application)?;
        let complete = requirements.iter().all(|r| r.checked);
        let actions = Action::ALL
            .iter()
            .copied()
            .filter(|a| may_step(ctx, *a))
            .filter(|a| state.apply(*a).is_ok())
            .filter(|a| *a != Action::Forward || complete)
            .map(Action::code)
            .collect();
        let messages = self.messages_about(&application.id).await?;
        Ok(ApplicationDetail {
            messages,
            documents_open: matches!(state, State::Draft | State::Submitted),
            application,
            events,
            requirements,
            other_documents: documents,
            actions,
        })
    }

    /// Applications in the actor's area (or `area` inside it), newest first, by programme
    /// code and state.
    pub async fn applications(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        programme: Option<&str>,
        state: Option<&str>,
        before: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Page<ApplicationRow>> {
        // An agency officer lists their programme's applications, nothing else.
        let agency = self.agency_programme(ctx).await?;
        let scope = match &agency {
            Some(_) => self.area_scope(ctx, area).await?,
            None => {
                applications_role(ctx)?;
                self.narrowed_scope(ctx, area).await?
            }
        };
        let limit = page_limit(limit)?;
        let before = id_cursor("before", before)?;
        let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                State::parse(s)
                    .ok_or_else(|| Error::invalid("state", "status_unknown"))?
                    .code(),
            ),
        };
        let programme = match agency {
            Some(own) => Some(own),
            None => programme
                .map(|p| p.trim().to_ascii_uppercase())
                .filter(|p| !p.is_empty()),
        };
        let rows = q::list(
            self.store.conn(),
            &scope,
            &ApplicationFilter {
                programme_code: programme.as_deref(),
                state,
                person_id: None,
                complaint_id: None,
                before: before.as_deref(),
            },
            limit,
        )
        .await?;
        self.audit
            .record(
                ctx,
                "application.list",
                "application",
                None,
                area,
                Some(format!("count={}", rows.len())),
            )
            .await?;
        Ok(Page::of(rows, limit, |a| a.id.clone()))
    }

    /// A person's applications (the person page), newest first.
    pub async fn applications_of(&self, ctx: &Ctx, person_id: &str) -> Result<Vec<ApplicationRow>> {
        if applications_role(ctx).is_err() {
            return Ok(Vec::new());
        }
        let scope = registry_scope(ctx)?;
        let Some(id) = pintu_store::parse_id(person_id) else {
            return Ok(Vec::new());
        };
        Ok(q::list(
            self.store.conn(),
            &scope,
            &ApplicationFilter {
                person_id: Some(&id),
                ..Default::default()
            },
            100,
        )
        .await?)
    }

    /// Takes a step. A step the state does not allow is refused (409) with its reason, a
    /// step the role may not take is forbidden, and enrolment records the enrolment in the
    /// same transaction.
    pub async fn application_step(
        &self,
        ctx: &Ctx,
        id: &str,
        input: &StepInput,
        now: DateTime<Utc>,
    ) -> Result<ApplicationDetail> {
        let application = self.application_in(ctx, id).await?;
        let mut invalid = Invalid::default();
        let action = Action::parse(&input.action);
        if action.is_none() {
            invalid.push("action", "action_unknown");
        }
        let reason = text(input.reason.as_deref(), "reason", &mut invalid);
        if action.is_some_and(Action::needs_reason) && reason.is_none() && invalid.0.is_empty() {
            invalid.push("reason", "application_reason_required");
        }
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let Some(action) = action else {
            return Err(Error::Internal(anyhow::anyhow!("validated step")));
        };
        if !may_step(ctx, action) {
            return Err(Error::Forbidden);
        }
        let from = state_of(&application)?;
        let to = from.apply(action).map_err(|code| Error::Conflict {
            code,
            field: Some("action".into()),
        })?;
        if action == Action::Forward {
            let detail = self.detail(ctx, application.clone()).await?;
            if !detail.documents_complete() {
                return Err(Error::Conflict {
                    code: "documents_not_checked",
                    field: Some("action".into()),
                });
            }
        }
        let actor = ctx.actor.label();
        let tx = self.store.begin().await?;
        if !q::set_state(
            &tx,
            &application.id,
            from.code(),
            to.code(),
            reason.as_deref().filter(|_| action.needs_reason()),
            now,
        )
        .await?
        {
            return Err(Error::Conflict {
                code: "application_changed",
                field: None,
            });
        }
        q::insert_event(
            &tx,
            &application.id,
            &application.village_code,
            &EventRow {
                at: now,
                actor,
                action: action.code().into(),
                from_state: Some(from.code().into()),
                to_state: to.code().into(),
                note: reason,
            },
        )
        .await?;
        let template = match to {
            State::Approved => Some(Template::ApplicationApproved),
            State::Rejected => Some(Template::ApplicationRejected),
            State::Enrolled => Some(Template::ApplicationEnrolled),
            _ => None,
        };
        if let Some(template) = template {
            // The applicant is told the decision, and the reason of a rejection, by SMS:
            // queued in this transaction, so there is a message exactly when there is a
            // decision.
            let person = pintu_store::registry::person(
                &tx,
                &pintu_domain::access::Scope::National,
                &application.person_id,
            )
            .await?;
            crate::messages::queue(
                &tx,
                &Notice {
                    person_id: &application.person_id,
                    village_code: &application.village_code,
                    phone: person.as_ref().and_then(|p| p.phone.as_deref()),
                    template,
                    programme: &application.programme_code,
                    reason: input.reason.as_deref().map(str::trim),
                    subject_type: "application",
                    subject_id: &application.id,
                },
                now,
            )
            .await?;
        }
        if to == State::Enrolled {
            upsert_enrolments(
                &tx,
                &[NewEnrolment {
                    person_id: application.person_id.clone(),
                    village_code: application.village_code.clone(),
                    programme_code: application.programme_code.clone(),
                    active: true,
                    since: Some(today()),
                    source: "application",
                    reference: Some(application.id.clone()),
                }],
            )
            .await?;
        }
        tx.commit().await?;
        self.audit_application(
            ctx,
            "application.step",
            &application.id,
            &application.village_code,
            Some(format!("action={}", action.code())),
        )
        .await?;
        self.application(ctx, &application.id).await
    }

    /// Adds a document to a draft or submitted application: a PDF, JPEG or PNG (recognised
    /// by its content) of at most 5 MiB, for one of the programme's required documents
    /// (`requirement`, 0-based) or none.
    pub async fn add_application_document(
        &self,
        ctx: &Ctx,
        id: &str,
        requirement: Option<&str>,
        file_name: &str,
        content: Vec<u8>,
        now: DateTime<Utc>,
    ) -> Result<DocumentRow> {
        if self.agency_programme(ctx).await?.is_some() {
            return Err(Error::Forbidden);
        }
        let application = self.application_in(ctx, id).await?;
        let detail = self.detail(ctx, application).await?;
        let application = &detail.application;
        if !detail.documents_open {
            return Err(Error::Conflict {
                code: "application_documents_closed",
                field: None,
            });
        }
        let mut invalid = Invalid::default();
        let requirement = match requirement.map(str::trim).filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => match r.parse::<usize>() {
                Ok(i) if i < detail.requirements.len() => Some(i as i32),
                _ => {
                    invalid.push("requirement", "requirement_unknown");
                    None
                }
            },
        };
        let content_type = match d::document_type(&content) {
            Ok(t) => t,
            Err(code) => {
                invalid.push("file", code);
                ""
            }
        };
        let count = detail
            .requirements
            .iter()
            .map(|r| r.documents.len())
            .sum::<usize>()
            + detail.other_documents.len();
        if count >= MAX_DOCUMENTS {
            invalid.push("file", "too_many_application_documents");
        }
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let name = pintu_domain::files::clean_name(file_name, "dokumen");
        let sha256 = hex::encode(Sha256::digest(&content));
        let path = document_path(&self.files_dir, &sha256);
        let bytes = content;
        let written = path.clone();
        tokio::task::spawn_blocking(move || store_bytes(&written, &bytes))
            .await
            .map_err(|e| Error::Internal(e.into()))?
            .map_err(|e| Error::Internal(anyhow::anyhow!("storing a document: {e}")))?;
        let actor = ctx.actor.label();
        let row = DocumentRow {
            id: new_id(),
            application_id: application.id.clone(),
            requirement,
            file_name: name,
            content_type: content_type.into(),
            size: std::fs::metadata(&path)
                .map(|m| m.len() as i64)
                .unwrap_or(0),
            sha256,
            uploaded_by: actor.clone(),
            uploaded_at: now,
            checked_by: None,
            checked_at: None,
        };
        let tx = self.store.begin().await?;
        q::insert_document(&tx, &row, &application.village_code).await?;
        q::insert_event(
            &tx,
            &application.id,
            &application.village_code,
            &document_event(application, actor, "document", &row.file_name, now),
        )
        .await?;
        tx.commit().await?;
        self.audit_application(
            ctx,
            "application.document.add",
            &application.id,
            &application.village_code,
            None,
        )
        .await?;
        Ok(row)
    }

    /// Marks a document checked against the original (draft or submitted applications).
    pub async fn check_application_document(
        &self,
        ctx: &Ctx,
        id: &str,
        document_id: &str,
        now: DateTime<Utc>,
    ) -> Result<ApplicationDetail> {
        applications_role(ctx)?;
        let application = self.application_in(ctx, id).await?;
        if !matches!(state_of(&application)?, State::Draft | State::Submitted) {
            return Err(Error::Conflict {
                code: "application_documents_closed",
                field: None,
            });
        }
        let doc_id = pintu_store::parse_id(document_id).ok_or(Error::NotFound)?;
        let doc = q::document(self.store.conn(), &application.id, &doc_id)
            .await?
            .ok_or(Error::NotFound)?;
        let actor = ctx.actor.label();
        let tx = self.store.begin().await?;
        if !q::check_document(&tx, &doc.id, &actor, now).await? {
            return Err(Error::Conflict {
                code: "document_already_checked",
                field: None,
            });
        }
        q::insert_event(
            &tx,
            &application.id,
            &application.village_code,
            &document_event(&application, actor, "checked", &doc.file_name, now),
        )
        .await?;
        tx.commit().await?;
        self.audit_application(
            ctx,
            "application.document.check",
            &application.id,
            &application.village_code,
            None,
        )
        .await?;
        self.application(ctx, &application.id).await
    }

    /// A document's metadata and bytes (checked against the SHA-256 recorded with it).
    pub async fn application_document(
        &self,
        ctx: &Ctx,
        id: &str,
        document_id: &str,
    ) -> Result<(DocumentRow, Vec<u8>)> {
        let application = self.application_in(ctx, id).await?;
        let doc_id = pintu_store::parse_id(document_id).ok_or(Error::NotFound)?;
        let doc = q::document(self.store.conn(), &application.id, &doc_id)
            .await?
            .ok_or(Error::NotFound)?;
        let path = document_path(&self.files_dir, &doc.sha256);
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("reading a document: {e}")))?;
        if hex::encode(Sha256::digest(&bytes)) != doc.sha256 {
            return Err(Error::Internal(anyhow::anyhow!(
                "document {} does not match its checksum",
                doc.id
            )));
        }
        self.audit_application(
            ctx,
            "application.document.read",
            &application.id,
            &application.village_code,
            None,
        )
        .await?;
        Ok((doc, bytes))
    }
}
