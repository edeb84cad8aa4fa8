//! The resident's door (INF-1): a resident logs in with their NIK and birth date plus a
//! one-time code sent by SMS through the outbox, then sees their own household, programmes,
//! what they may be entitled to and why, their applications and documents; applies online;
//! and asks for their phone number or address to be changed, which an officer of the area
//! confirms or rejects.
//!
//! Nothing here tells a stranger whether a NIK is registered: a wrong NIK or birth date gets
//! the same answer as a right one (a code "has been sent" if the records match), and both are
//! throttled. A code is six digits, lives ten minutes, allows five guesses and is used once;
//! at most three are sent to a person in fifteen minutes.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use pintu_domain::access::Scope;
use pintu_domain::messages::{Lang, Template};
use pintu_domain::{Actor, AreaCode, Invalid, Nik, household};
use pintu_store::applications::{self as apps, ApplicationFilter, ApplicationRow, DocumentRow};
use pintu_store::facts::{Enrolment, enrolments_of};
use pintu_store::new_id;
use pintu_store::registry::{self as reg, HistoryEntry, HistoryTable, PersonRow};
use pintu_store::residents::{self as q, ChangeRequestRow, CodeRow, RequestFilter, SessionRow};
use serde::{Deserialize, Serialize};

use crate::applications::{ApplicationDetail, NewApplicationInput, StepInput};
use crate::auth::{code_hash, code_shaped, one_time_code, random_token, same, token_hash};
use crate::messages::Notice;
use crate::registry::{PersonPatch, age_on, registry_scope};
use crate::{Ctx, Error, Pintu, Result, today};

/// How long a login code lives.
pub const CODE_MINUTES: i64 = 10;
/// Wrong guesses a code allows.
pub const CODE_GUESSES: i32 = 5;
/// Codes sent to one person within [`CODE_WINDOW_MINUTES`].
pub const CODES_PER_WINDOW: i64 = 3;
pub const CODE_WINDOW_MINUTES: i64 = 15;
/// How long a resident stays logged in.
pub const RESIDENT_SESSION_HOURS: i64 = 2;
/// Longest note on a change request.
pub const MAX_NOTE_CHARS: usize = 500;

/// A login started: the challenge to answer with the code. Issued whether or not the NIK and
/// birth date matched, so that it tells nothing.
#[derive(Debug, Clone, Serialize)]
pub struct LoginStarted {
    pub challenge: String,
    pub expires_at: DateTime<Utc>,
}

/// A resident's portal session.
#[derive(Debug, Clone, Serialize)]
pub struct ResidentSession {
    pub token: String,
    #[serde(skip)]
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// The logged-in resident behind a session.
#[derive(Debug, Clone)]
pub struct Resident {
    pub ctx: Ctx,
    pub person: PersonRow,
    pub csrf_token: String,
    /// `id` or `en`, as the resident chose (Bahasa Indonesia until they do).
    pub language: String,
}

/// A member of the resident's household as the resident sees it: the NIK masked.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: String,
    pub full_name: String,
    pub nik_masked: Option<String>,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub age: i32,
    /// The relationship on the family card: `head`, `wife`, `child` ...
    pub relationship: Option<String>,
    pub alive: bool,
    /// Active programmes.
    pub programmes: Vec<Programme>,
}

/// A programme a member takes part in.
#[derive(Debug, Clone, Serialize)]
pub struct Programme {
    pub code: String,
    pub since: Option<NaiveDate>,
}

/// The household as the resident sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Household {
    pub id: String,
    pub kk_masked: Option<String>,
    pub village_code: String,
    pub village_name: Option<String>,
    pub address: Option<String>,
    pub rt: Option<String>,
    pub rw: Option<String>,
}

/// A document handed in with one of the household's applications.
#[derive(Debug, Clone, Serialize)]
pub struct MyDocument {
    pub application_id: String,
    pub programme_code: String,
    #[serde(flatten)]
    pub document: DocumentRow,
}

/// Everything the portal's home page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Me {
    pub person_id: String,
    pub full_name: String,
    pub phone: Option<String>,
    pub language: String,
    pub household: Option<Household>,
    pub members: Vec<Member>,
    pub applications: Vec<ApplicationRow>,
    pub documents: Vec<MyDocument>,
    pub change_requests: Vec<ChangeRequestRow>,
    /// The complaints the resident made (through any channel), newest first.
    pub complaints: Vec<pintu_store::complaints::ComplaintRow>,
    /// The files attached to those complaints, oldest first.
    pub complaint_files: Vec<pintu_store::complaints::AttachmentRow>,
}

impl Me {
    /// The files attached to one of the resident's complaints.
    pub fn files_of(&self, complaint_id: &str) -> Vec<&pintu_store::complaints::AttachmentRow> {
        self.complaint_files
            .iter()
            .filter(|f| f.complaint_id == complaint_id)
            .collect()
    }
}

/// A complaint made in the portal.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MyComplaint {
    /// One of the complaint categories (`exclusion_error`, `benefit_delay` ...).
    pub category: String,
    #[serde(default)]
    pub programme: Option<String>,
    pub description: String,
}

/// A change the resident asks for: `phone` (their own number) or `address` (the
/// household's address, RT and RW).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChangeInput {
    pub kind: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub rt: Option<String>,
    #[serde(default)]
    pub rw: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// An officer's decision on a change request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DecisionInput {
    /// Required to reject; shown to the resident.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The requested values of a change (stored as JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeValues {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rw: Option<String>,
}

/// Keeps the last four characters of an identifier.
pub fn masked(id: &str) -> String {
    let n = id.chars().count();
    id.chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < n { '*' } else { c })
        .collect()
}

fn note(value: Option<&str>, invalid: &mut Invalid) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > MAX_NOTE_CHARS || v.chars().any(|c| c.is_control() && c != '\n') {
        invalid.push("note", "text_invalid");
        return None;
    }
    Some(v.to_string())
}

/// The household id of the resident acting.
/// The portal itself, which records what residents send: a resident is no officer.
fn portal_ctx(ctx: &Ctx) -> Ctx {
    Ctx::new(
        Actor::System {
            job: "portal".into(),
        },
        ctx.request_id.clone(),
    )
}

fn resident_household(ctx: &Ctx) -> Result<(&str, Option<&str>)> {
    match &ctx.actor {
        Actor::Resident {
            person_id,
            household_id,
            ..
        } => Ok((person_id.as_str(), household_id.as_deref())),
        _ => Err(Error::Forbidden),
    }
}

impl Pintu {
    /// Starts a login: when the NIK and birth date match a living person with a phone number,
    /// sends them a one-time code by SMS (queued in the outbox and dispatched at once). The
    /// answer is the same whether they matched or not.
    pub async fn start_resident_login(
        &self,
        nik: &str,
        birth_date: &str,
        request_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<LoginStarted> {
        let mut invalid = Invalid::default();
        let nik = match Nik::parse(nik) {
            Ok(n) => Some(n),
            Err(e) => {
                invalid.push("nik", e.code());
                None
            }
        };
        let birth = match NaiveDate::parse_from_str(birth_date.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                invalid.push("birth_date", "date_invalid");
                None
            }
        };
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let (Some(nik), Some(birth)) = (nik, birth) else {
            return Err(Error::Internal(anyhow::anyhow!("validated login")));
        };
        // The throttle is keyed by a hash: the NIK is not kept, even in memory.
        let key = format!("resident:{}", token_hash(nik.as_str()));
        self.throttle.check(&key)?;
        let decoy = LoginStarted {
            challenge: new_id(),
            expires_at: now + Duration::minutes(CODE_MINUTES),
        };
        let c = self.store.conn();
        let person = reg::person_by_nik(c, &Scope::National, nik.as_str())
            .await?
            .filter(|p| p.life_status == "alive");
        let Some(person) = person.filter(|p| p.birth_date == birth) else {
            self.throttle.fail(&key);
            return Ok(decoy);
        };
        let Some(phone) = person
            .phone
            .as_deref()
            .filter(|p| crate::messages::sms_number(p).is_some())
        else {
            // No phone to send the code to: the same answer; the page says to register
            // a phone number at the village office.
            return Ok(decoy);
        };
        let sent =
            q::codes_since(c, &person.id, now - Duration::minutes(CODE_WINDOW_MINUTES)).await?;
        if sent >= CODES_PER_WINDOW {
            return Err(Error::TooManyAttempts {
                retry_after_secs: (CODE_WINDOW_MINUTES * 60) as u64,
            });
        }
        let code = one_time_code();
        let row = CodeRow {
            id: decoy.challenge.clone(),
            person_id: person.id.clone(),
            village_code: person.village_code.clone(),
            code_hash: code_hash(&decoy.challenge, &code),
            attempts: 0,
            expires_at: decoy.expires_at,
            used_at: None,
        };
        let tx = self.store.begin().await?;
        q::insert_code(&tx, &row, now).await?;
        crate::messages::queue(
            &tx,
            &Notice {
                person_id: &person.id,
                village_code: &person.village_code,
                phone: Some(phone),
                template: Template::LoginCode,
                programme: "",
                reason: Some(&code),
                subject_type: "resident_login",
                subject_id: &row.id,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        self.outbox_wake.notify_one();
        let ctx = Ctx::new(self.resident_actor(&person)?, request_id);
        self.audit
            .record(
                &ctx,
                "resident.login.code",
                "person",
                Some(&person.id),
                Some(&person.village_code),
                None,
            )
            .await?;
        Ok(decoy)
    }

    fn resident_actor(&self, p: &PersonRow) -> Result<Actor> {
        Ok(Actor::Resident {
            person_id: p.id.clone(),
            household_id: p.household_id.clone(),
            village: AreaCode::parse(&p.village_code)
                .map_err(|e| anyhow::anyhow!("bad village on person: {e}"))?,
        })
    }

    /// Answers a login challenge with the code received by SMS; opens a session.
    pub async fn verify_resident_login(
        &self,
        challenge: &str,
        code: &str,
        request_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<ResidentSession> {
        let code = code.trim();
        let wrong = || Error::invalid("code", "login_code_wrong");
        if !code_shaped(code) {
            return Err(wrong());
        }
        let id = pintu_store::parse_id(challenge).ok_or_else(wrong)?;
        let c = self.store.conn();
        if !q::take_guess(c, &id, now, CODE_GUESSES).await? {
            // A challenge that was never stored (the decoy of a wrong NIK) is answered as a
            // wrong code, so that it cannot be told apart from a real one.
            return Err(match q::code(c, &id).await? {
                None => wrong(),
                Some(_) => Error::invalid("code", "login_code_expired"),
            });
        }
        let row = q::code(c, &id).await?.ok_or_else(wrong)?;
        if !same(&row.code_hash, &code_hash(&id, code)) {
            return Err(if row.attempts >= CODE_GUESSES {
                Error::invalid("code", "login_code_expired")
            } else {
                wrong()
            });
        }
        let person = reg::person(c, &Scope::National, &row.person_id)
            .await?
            .filter(|p| p.life_status == "alive")
            .ok_or(Error::Unauthenticated)?;
        let token = random_token();
        let session = SessionRow {
            person_id: person.id.clone(),
            village_code: person.village_code.clone(),
            csrf_token: random_token(),
            expires_at: now + Duration::hours(RESIDENT_SESSION_HOURS),
        };
        let tx = self.store.begin().await?;
        if !q::use_code(&tx, &id, now).await? {
            return Err(Error::invalid("code", "login_code_expired"));
        }
        q::insert_session(&tx, &token_hash(&token), &session, now).await?;
        tx.commit().await?;
        q::delete_expired(c, now).await?;
        if let Some(nik) = &person.nik {
            self.throttle
                .succeed(&format!("resident:{}", token_hash(nik)));
        }
        let ctx = Ctx::new(self.resident_actor(&person)?, request_id);
        self.audit
            .record(
                &ctx,
                "resident.login",
                "person",
                Some(&person.id),
                Some(&person.village_code),
                None,
            )
            .await?;
        Ok(ResidentSession {
            token,
            csrf_token: session.csrf_token,
            expires_at: session.expires_at,
        })
    }

    /// The resident behind a live session token.
    pub async fn resident_session(
        &self,
        token: &str,
        request_id: Option<String>,
    ) -> Result<Option<Resident>> {
        let c = self.store.conn();
        let Some(session) = q::session(c, &token_hash(token), Utc::now()).await? else {
            return Ok(None);
        };
        let Some(person) = reg::person(c, &Scope::National, &session.person_id)
            .await?
            .filter(|p| p.life_status == "alive")
        else {
            return Ok(None);
        };
        let language = q::language_of(c, &person.id)
            .await?
            .unwrap_or_else(|| "id".into());
        Ok(Some(Resident {
            ctx: Ctx::new(self.resident_actor(&person)?, request_id),
            person,
            csrf_token: session.csrf_token,
            language,
        }))
    }

    pub async fn resident_logout(&self, token: &str) -> Result<()> {
        q::delete_session(self.store.conn(), &token_hash(token)).await?;
        Ok(())
    }

    /// The resident's own household, programmes, applications, documents and change
    /// requests.
    pub async fn me(&self, ctx: &Ctx) -> Result<Me> {
        let (person_id, household_id) = resident_household(ctx)?;
        let c = self.store.conn();
        let me = reg::person(c, &Scope::National, person_id)
            .await?
            .ok_or(Error::NotFound)?;
        let (household, people) = match household_id {
            Some(h) => (
                reg::household(c, &Scope::National, h).await?,
                reg::household_members(c, &Scope::National, h).await?,
            ),
            None => (None, vec![me.clone()]),
        };
        let on = today();
        let mut members = Vec::with_capacity(people.len());
        for p in &people {
            let programmes = enrolments_of(c, &p.id)
                .await?
                .into_iter()
                .filter(|e: &Enrolment| e.status == "active")
                .map(|e| Programme {
                    code: e.programme_code,
                    since: e.since,
                })
                .collect();
            members.push(Member {
                id: p.id.clone(),
                full_name: p.full_name.clone(),
                nik_masked: p.nik.as_deref().map(masked),
                sex: p.sex.clone(),
                birth_date: p.birth_date,
                age: age_on(p.birth_date, on),
                relationship: p
                    .relationship
                    .as_deref()
                    .and_then(pintu_domain::Relationship::parse)
                    .map(|r| r.key().to_string()),
                alive: p.life_status == "alive",
                programmes,
            });
        }
        let village_name = match &household {
            Some(h) => self.store.area(&h.village_code).await?.map(|a| a.name),
            None => None,
        };
        let mut applications = Vec::new();
        for p in &people {
            applications.extend(
                apps::list(
                    c,
                    &Scope::National,
                    &ApplicationFilter {
                        person_id: Some(&p.id),
                        ..Default::default()
                    },
                    100,
                )
                .await?,
            );
        }
        applications.sort_by(|a, b| b.id.cmp(&a.id));
        let mut documents = Vec::new();
        for a in &applications {
            for d in apps::documents(c, &a.id).await? {
                documents.push(MyDocument {
                    application_id: a.id.clone(),
                    programme_code: a.programme_code.clone(),
                    document: d,
                });
            }
        }
        let change_requests = q::requests(
            c,
            &Scope::National,
            &RequestFilter {
                person_id: Some(person_id),
                household_id,
                ..Default::default()
            },
            50,
        )
        .await?;
        let language = q::language_of(c, person_id)
            .await?
            .unwrap_or_else(|| "id".into());
        let complaints = pintu_store::complaints::list(
            c,
            &Scope::National,
            &pintu_store::complaints::ComplaintFilter {
                complainant: Some(person_id),
                ..Default::default()
            },
            50,
        )
        .await?;
        let complaint_files =
            pintu_store::complaints::attachments_of_complainant(c, person_id).await?;
        self.audit
            .record(
                ctx,
                "resident.read",
                "household",
                household_id,
                Some(&me.village_code),
                Some(format!("members={}", members.len())),
            )
            .await?;
        Ok(Me {
            person_id: me.id.clone(),
            full_name: me.full_name.clone(),
            phone: me.phone.clone(),
            language,
            household: household.map(|h| Household {
                kk_masked: h.kk_number.as_deref().map(masked),
                id: h.id,
                village_code: h.village_code,
                village_name,
                address: h.address,
                rt: h.rt,
                rw: h.rw,
            }),
            members,
            applications,
            documents,
            change_requests,
            complaints,
            complaint_files,
        })
    }

    /// Records a complaint the resident makes in the portal (channel `portal`): theirs, at
    /// their village's office, with its reference number.
    pub async fn complain_online(
        &self,
        ctx: &Ctx,
        input: &MyComplaint,
        now: DateTime<Utc>,
    ) -> Result<pintu_store::complaints::ComplaintRow> {
        let (person_id, _) = resident_household(ctx)?;
        let village = match &ctx.actor {
            Actor::Resident { village, .. } => village.to_string(),
            _ => return Err(Error::Forbidden),
        };
        let portal = portal_ctx(ctx);
        let complaint = self
            .record_complaint(
                &portal,
                &crate::complaints::NewComplaint {
                    channel: "portal".into(),
                    village_code: village,
                    complainant_person_id: Some(person_id.to_string()),
                    category: input.category.clone(),
                    programme: input.programme.clone(),
                    description: input.description.clone(),
                    ..Default::default()
                },
                now,
            )
            .await?;
        self.audit
            .record(
                ctx,
                "resident.complaint",
                "complaint",
                Some(&complaint.id),
                Some(&complaint.village_code),
                Some(format!("reference={}", complaint.reference)),
            )
            .await?;
        Ok(complaint)
    }

    /// Attaches a file (a PDF, JPEG or PNG of at most 2 MiB; at most five a complaint) to a
    /// complaint the resident made in the portal. Any other complaint does not exist for
    /// them.
    pub async fn attach_to_my_complaint(
        &self,
        ctx: &Ctx,
        complaint_id: &str,
        file_name: &str,
        content: Vec<u8>,
        now: DateTime<Utc>,
    ) -> Result<pintu_store::complaints::AttachmentRow> {
        let (person_id, _) = resident_household(ctx)?;
        let id = pintu_store::parse_id(complaint_id).ok_or(Error::NotFound)?;
        let portal = portal_ctx(ctx);
        let mine = pintu_store::complaints::get(self.store.conn(), &Scope::National, &id)
            .await?
            .filter(|c| {
                c.channel == "portal"
                    && c.created_by == portal.actor.label()
                    && c.complainant_person_id.as_deref() == Some(person_id)
            })
            .ok_or(Error::NotFound)?;
        let row = self
            .attach_to_complaint(&portal, &mine.id, file_name, content, now)
            .await?;
        self.audit
            .record(
                ctx,
                "resident.complaint_attachment",
                "complaint",
                Some(&mine.id),
                Some(&mine.village_code),
                Some(format!("attachment={}", row.id)),
            )
            .await?;
        Ok(row)
    }

    /// A member of the resident's household; any other person does not exist for them.
    pub async fn my_member(&self, ctx: &Ctx, person_id: &str) -> Result<PersonRow> {
        resident_household(ctx)?;
        let id = pintu_store::parse_id(person_id).ok_or(Error::NotFound)?;
        reg::person(self.store.conn(), &Scope::National, &id)
            .await?
            .filter(|p| ctx.actor.is_resident_of(&p.id, p.household_id.as_deref()))
            .ok_or(Error::NotFound)
    }

    /// Applies online for a member of the resident's household: the application is started
    /// (channel `online`) and submitted at once; documents can be added while it is
    /// submitted.
    pub async fn apply_online(
        &self,
        ctx: &Ctx,
        person_id: &str,
        programme: &str,
        now: DateTime<Utc>,
    ) -> Result<ApplicationDetail> {
        let member = self.my_member(ctx, person_id).await?;
        let started = self
            .create_application(
                ctx,
                &NewApplicationInput {
                    person_id: member.id,
                    programme: programme.to_string(),
                    channel: Some("online".into()),
                    ..Default::default()
                },
                now,
            )
            .await?;
        self.application_step(
            ctx,
            &started.application.id,
            &StepInput {
                action: "submit".into(),
                reason: None,
            },
            now,
        )
        .await
    }

    /// Asks for a change of the resident's phone number or their household's address. One
    /// request of each kind waits at a time.
    pub async fn request_change(
        &self,
        ctx: &Ctx,
        input: &ChangeInput,
        now: DateTime<Utc>,
    ) -> Result<ChangeRequestRow> {
        let (person_id, household_id) = resident_household(ctx)?;
        let c = self.store.conn();
        let me = reg::person(c, &Scope::National, person_id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut invalid = Invalid::default();
        let note = note(input.note.as_deref(), &mut invalid);
        let (kind, requested, previous) = match input.kind.trim() {
            "phone" => {
                let phone = household::phone(&input.phone, "phone", &mut invalid);
                if phone.is_none() && invalid.is_empty() {
                    invalid.push("phone", "required");
                }
                if phone.is_some() && phone == me.phone {
                    invalid.push("phone", "change_request_same");
                }
                (
                    "phone",
                    ChangeValues {
                        phone,
                        ..Default::default()
                    },
                    ChangeValues {
                        phone: me.phone.clone(),
                        ..Default::default()
                    },
                )
            }
            "address" => {
                let Some(h) = household_id else {
                    return Err(Error::invalid("kind", "change_request_no_household"));
                };
                let current = reg::household(c, &Scope::National, h)
                    .await?
                    .ok_or(Error::NotFound)?;
                let address =
                    household::optional_text(&input.address, "address", 200, &mut invalid);
                if address.is_none() {
                    invalid.push("address", "required");
                }
                let wanted = ChangeValues {
                    address,
                    rt: household::rt_rw(&input.rt, "rt", &mut invalid),
                    rw: household::rt_rw(&input.rw, "rw", &mut invalid),
                    phone: None,
                };
                let before = ChangeValues {
                    address: current.address,
                    rt: current.rt,
                    rw: current.rw,
                    phone: None,
                };
                if wanted == before {
                    invalid.push("address", "change_request_same");
                }
                ("address", wanted, before)
            }
            _ => {
                invalid.push("kind", "change_request_kind_unknown");
                ("", ChangeValues::default(), ChangeValues::default())
            }
        };
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let pending = q::requests(
            c,
            &Scope::National,
            &RequestFilter {
                state: Some("pending"),
                kind: Some(kind),
                person_id: (kind == "phone").then_some(person_id),
                household_id: if kind == "address" {
                    household_id
                } else {
                    None
                },
            },
            1,
        )
        .await?;
        if !pending.is_empty() {
            return Err(Error::Conflict {
                code: "change_request_pending",
                field: Some("kind".into()),
            });
        }
        let row = ChangeRequestRow {
            id: new_id(),
            person_id: me.id.clone(),
            person_name: me.full_name.clone(),
            household_id: household_id.map(str::to_string),
            village_code: me.village_code.clone(),
            kind: kind.into(),
            requested: serde_json::to_string(&requested).map_err(anyhow::Error::from)?,
            previous: Some(serde_json::to_string(&previous).map_err(anyhow::Error::from)?),
            note,
            state: "pending".into(),
            reason: None,
            decided_by: None,
            decided_at: None,
            created_at: now,
        };
        q::insert_request(c, &row).await?;
        self.audit
            .record(
                ctx,
                "change_request.create",
                "change_request",
                Some(&row.id),
                Some(&row.village_code),
                Some(format!("kind={kind}")),
            )
            .await?;
        Ok(row)
    }

    /// Chooses the language of the resident's portal and messages.
    pub async fn set_resident_language(
        &self,
        ctx: &Ctx,
        language: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let (person_id, _) = resident_household(ctx)?;
        let lang = Lang::parse(language).code();
        let village = match &ctx.actor {
            Actor::Resident { village, .. } => village.to_string(),
            _ => return Err(Error::Forbidden),
        };
        q::set_language(self.store.conn(), person_id, &village, lang, now).await?;
        Ok(lang.to_string())
    }

    /// How many change requests wait for an officer of the actor's area (the dashboard);
    /// none for those who do not write the registry.
    pub async fn pending_change_requests(&self, ctx: &Ctx) -> Result<i64> {
        if !ctx.actor.may_write_registry() {
            return Ok(0);
        }
        Ok(q::pending_count(self.store.conn(), &ctx.actor.scope()).await?)
    }

    /// Change requests of the officer's area (or `area` inside it), by state, newest first.
    pub async fn change_requests(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        state: Option<&str>,
    ) -> Result<Vec<ChangeRequestRow>> {
        if !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let scope = self.narrowed_scope(ctx, area).await?;
        let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s @ ("pending" | "confirmed" | "rejected")) => Some(s),
            Some(_) => return Err(Error::invalid("state", "status_unknown")),
        };
        let rows = q::requests(
            self.store.conn(),
            &scope,
            &RequestFilter {
                state,
                ..Default::default()
            },
            200,
        )
        .await?;
        self.audit
            .record(
                ctx,
                "change_request.list",
                "change_request",
                None,
                area,
                Some(format!("count={}", rows.len())),
            )
            .await?;
        Ok(rows)
    }

    /// Confirms a pending change request, which changes the record (with its history), or
    /// rejects it with a reason the resident sees.
    pub async fn decide_change_request(
        &self,
        ctx: &Ctx,
        id: &str,
        confirm: bool,
        input: &DecisionInput,
        now: DateTime<Utc>,
    ) -> Result<ChangeRequestRow> {
        if !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let scope = registry_scope(ctx)?;
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let c = self.store.conn();
        let request = q::request(c, &scope, &id).await?.ok_or(Error::NotFound)?;
        let mut invalid = Invalid::default();
        let reason = input
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        if reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_NOTE_CHARS)
        {
            invalid.push("reason", "text_invalid");
        }
        if !confirm && reason.is_none() {
            invalid.push("reason", "change_request_reason_required");
        }
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let decided = || Error::Conflict {
            code: "change_request_decided",
            field: None,
        };
        if request.state != "pending" {
            return Err(decided());
        }
        let values: ChangeValues =
            serde_json::from_str(&request.requested).map_err(anyhow::Error::from)?;
        let actor = ctx.actor.label();
        let why = format!("change request {}", request.id);
        let tx = self.store.begin().await?;
        let state = if confirm { "confirmed" } else { "rejected" };
        if !q::decide_request(&tx, &request.id, state, reason.as_deref(), &actor, now).await? {
            return Err(decided());
        }
        if confirm {
            match request.kind.as_str() {
                "phone" => {
                    self.patch_person(
                        &tx,
                        ctx,
                        &request.person_id,
                        &PersonPatch {
                            phone: Some(values.phone.clone().unwrap_or_default()),
                            reason: Some(why.clone()),
                            ..Default::default()
                        },
                    )
                    .await?;
                }
                "address" => {
                    let h = request.household_id.as_deref().ok_or(Error::NotFound)?;
                    let current = reg::household(&tx, &scope, h)
                        .await?
                        .ok_or(Error::NotFound)?;
                    pintu_store::execute(
                        &tx,
                        "UPDATE households SET address = ?, rt = ?, rw = ?, updated_at = ? \
                         WHERE id = ?",
                        vec![
                            values.address.clone().into(),
                            values.rt.clone().into(),
                            values.rw.clone().into(),
                            now.into(),
                            h.into(),
                        ],
                    )
                    .await?;
                    let history: Vec<HistoryEntry> = [
                        ("address", current.address, values.address),
                        ("rt", current.rt, values.rt),
                        ("rw", current.rw, values.rw),
                    ]
                    .into_iter()
                    .filter(|(_, old, new)| old != new)
                    .map(|(field, old, new)| {
                        ctx.change(h, &current.village_code, field, old, new, Some(&why))
                    })
                    .collect();
                    reg::append_history(&tx, HistoryTable::Household, &history).await?;
                }
                _ => return Err(Error::Internal(anyhow::anyhow!("change request kind"))),
            }
        }
        // The resident is told, at their number as it stands after the change.
        let person = reg::person(&tx, &Scope::National, &request.person_id).await?;
        crate::messages::queue(
            &tx,
            &Notice {
                person_id: &request.person_id,
                village_code: &request.village_code,
                phone: person.as_ref().and_then(|p| p.phone.as_deref()),
                template: if confirm {
                    Template::ChangeConfirmed
                } else {
                    Template::ChangeRejected
                },
                programme: &request.kind,
                reason: reason.as_deref(),
                subject_type: "change_request",
                subject_id: &request.id,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                if confirm {
                    "change_request.confirm"
                } else {
                    "change_request.reject"
                },
                "change_request",
                Some(&request.id),
                Some(&request.village_code),
                Some(format!("kind={}", request.kind)),
            )
            .await?;
        q::request(c, &scope, &request.id)
            .await?
            .ok_or(Error::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_the_last_four() {
        assert_eq!(masked("3507120101900001"), "************0001");
        assert_eq!(masked("12"), "12");
    }

    #[test]
    fn code_hashes_depend_on_the_challenge() {
        assert_ne!(code_hash("a", "123456"), code_hash("b", "123456"));
        assert!(same(&code_hash("a", "1"), &code_hash("a", "1")));
        assert!(!same(&code_hash("a", "1"), &code_hash("a", "2")));
    }
}
