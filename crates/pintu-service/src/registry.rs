//! The registry's use cases: households and their members, people, life events, search and
//! lists. The area check is the store's (every query takes the actor's scope); writes to a
//! village outside the actor's area are refused here before anything is written.

use base64::Engine;
use chrono::{NaiveDate, Utc};
use pintu_domain::access::Scope;
use pintu_domain::household::{self, HouseholdInput, MemberInput, PersonFacts};
use pintu_domain::{AreaCode, AreaLevel, Invalid, LifeStatus, Nik, Relationship, names};
use pintu_store::registry::{
    self as q, Cursor, HistoryEntry, HistoryTable, HouseholdRow, NewHousehold, NewPerson,
    PersonRow, RegistryCounts,
};
use pintu_store::sea_orm::{ConnectionTrait, DatabaseTransaction, Value};
use pintu_store::{areas, new_id};
use serde::{Deserialize, Serialize};

use crate::{Ctx, Error, Pintu, Result, today};

/// Most rows a list or search returns in one page.
pub const MAX_PAGE: u64 = 200;

/// What registering a household produced, including warnings the officer should see.
#[derive(Debug, Clone, Serialize)]
pub struct Registered {
    pub household_id: String,
    pub person_ids: Vec<String>,
    /// `(field, code)` pairs such as `("members[1].nik", "nik_sex_mismatch")`.
    pub warnings: Vec<(String, &'static str)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonDetail {
    pub person: PersonRow,
    pub household: Option<HouseholdRow>,
    pub history: Vec<HistoryEntry>,
    pub nik_warnings: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HouseholdDetail {
    pub household: HouseholdRow,
    pub members: Vec<PersonRow>,
    pub history: Vec<HistoryEntry>,
}

/// A page of a list, with the cursor of the next page when there is one.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// A page read with `limit`: when it is full, the next one starts after its last item's
    /// `key`.
    pub(crate) fn of(items: Vec<T>, limit: u64, key: impl Fn(&T) -> String) -> Page<T> {
        let next = (items.len() as u64 == limit)
            .then(|| items.last().map(key))
            .flatten();
        Page { items, next }
    }
}

/// A cursor that is a record id (`field` names it in the error): `None` when absent.
pub(crate) fn id_cursor(field: &str, value: Option<&str>) -> Result<Option<String>> {
    value
        .filter(|a| !a.is_empty())
        .map(|a| {
            pintu_store::parse_id(a)
                .ok_or_else(|| Error::invalid(field.to_string(), "cursor_invalid"))
        })
        .transpose()
}

/// Changes to a person; absent fields stay as they are, empty strings clear optional ones.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PersonPatch {
    pub nik: Option<String>,
    pub full_name: Option<String>,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub birth_place: Option<String>,
    pub religion: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub marital_status: Option<String>,
    pub phone: Option<String>,
    /// Why the change is made; kept in the history.
    pub reason: Option<String>,
}

/// A life event of a person (REG-4).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LifeEvent {
    /// A child born to this person: registered in the same household.
    Birth {
        date: String,
        full_name: String,
        sex: String,
        #[serde(default)]
        nik: Option<String>,
        #[serde(default)]
        birth_place: Option<String>,
    },
    Death {
        date: String,
    },
    /// A move to another village (`village_code`), or out of the registry's territory
    /// (`out_of_area: true`). A head may take the whole household along.
    Move {
        date: String,
        #[serde(default)]
        village_code: Option<String>,
        #[serde(default)]
        out_of_area: bool,
        #[serde(default)]
        whole_household: bool,
        #[serde(default)]
        address: Option<String>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct EventOutcome {
    pub person_id: String,
    /// The child registered by a birth.
    pub new_person_id: Option<String>,
}

fn encode_cursor(village_code: &str, id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{village_code}|{id}"))
}

fn decode_cursor(s: &str) -> Result<Cursor> {
    let bad = || Error::invalid("after", "cursor_invalid");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (village_code, id) = text.split_once('|').ok_or_else(bad)?;
    Ok(Cursor {
        village_code: village_code.to_string(),
        id: id.to_string(),
    })
}

pub(crate) fn page_limit(limit: Option<u64>) -> Result<u64> {
    match limit.unwrap_or(50) {
        0 => Err(Error::invalid("limit", "limit_invalid")),
        n => Ok(n.min(MAX_PAGE)),
    }
}

fn new_person(facts: &PersonFacts, village: &str, at: chrono::DateTime<Utc>) -> NewPerson {
    NewPerson {
        id: new_id(),
        nik: facts.nik.as_ref().map(|n| n.as_str().to_string()),
        full_name: facts.full_name.clone(),
        name_key: names::search_key(&facts.full_name),
        sex: facts.sex.code(),
        birth_date: facts.birth_date,
        birth_place: facts.birth_place.clone(),
        religion: facts.religion.clone(),
        education: facts.education.clone(),
        occupation: facts.occupation.clone(),
        marital_status: facts.marital_status.clone(),
        phone: facts.phone.clone(),
        village_code: village.to_string(),
        at,
    }
}

impl Ctx {
    pub(crate) fn history(&self, subject: &str, village: &str, action: &str) -> HistoryEntry {
        HistoryEntry {
            subject_id: subject.to_string(),
            village_code: village.to_string(),
            at: Utc::now(),
            actor: self.actor.label(),
            action: action.to_string(),
            field: None,
            old_value: None,
            new_value: None,
            reason: None,
            source: "officer".into(),
            request_id: self.request_id.clone(),
        }
    }

    pub(crate) fn change(
        &self,
        subject: &str,
        village: &str,
        field: &str,
        old: Option<String>,
        new: Option<String>,
        reason: Option<&str>,
    ) -> HistoryEntry {
        HistoryEntry {
            field: Some(field.to_string()),
            old_value: old,
            new_value: new,
            reason: reason.map(str::to_string),
            ..self.history(subject, village, "updated")
        }
    }
}

impl Pintu {
    /// Refuses a write into a village outside the actor's area, and an unknown village.
    async fn check_writable_village(
        &self,
        ctx: &Ctx,
        c: &impl ConnectionTrait,
        village: &AreaCode,
        field: &str,
    ) -> Result<()> {
        if !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        if !areas::village_exists(c, village.as_str()).await? {
            return Err(Error::invalid(field, "village_unknown"));
        }
        if !registry_scope(ctx)?.allows(village) {
            return Err(Error::Forbidden);
        }
        Ok(())
    }

    /// NIKs already in the registry, reported per field: a 409 names the member.
    async fn check_new_niks(
        &self,
        c: &impl ConnectionTrait,
        niks: &[(String, &Nik)],
    ) -> Result<()> {
        for (field, nik) in niks {
            if q::person_by_nik(c, &Scope::National, nik.as_str())
                .await?
                .is_some()
            {
                return Err(Error::Conflict {
                    code: "nik_already_registered",
                    field: Some(field.clone()),
                });
            }
        }
        Ok(())
    }

    /// Registers a household from its family card, with all members, in one transaction.
    pub async fn register_household(
        &self,
        ctx: &Ctx,
        input: &HouseholdInput,
    ) -> Result<Registered> {
        let valid = input.validate(today())?;
        let tx = self.store.begin().await?;
        self.check_writable_village(ctx, &tx, &valid.village, "village_code")
            .await?;
        let niks: Vec<(String, &Nik)> = valid
            .members
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                m.facts
                    .nik
                    .as_ref()
                    .map(|n| (format!("members[{i}].nik"), n))
            })
            .collect();
        self.check_new_niks(&tx, &niks).await?;
        if let Some(kk) = &valid.kk_number
            && q::household_by_kk(&tx, &Scope::National, kk.as_str())
                .await?
                .is_some()
        {
            return Err(Error::Conflict {
                code: "kk_already_registered",
                field: Some("kk_number".into()),
            });
        }
        let now = Utc::now();
        let village = valid.village.as_str();
        let household_id = new_id();
        q::insert_household(
            &tx,
            &NewHousehold {
                id: &household_id,
                kk_number: valid.kk_number.as_ref().map(|k| k.as_str()),
                village_code: village,
                address: valid.address.as_deref(),
                rt: valid.rt.as_deref(),
                rw: valid.rw.as_deref(),
                at: now,
            },
        )
        .await?;
        let mut person_ids = Vec::with_capacity(valid.members.len());
        let mut person_history = Vec::new();
        let mut warnings = Vec::new();
        for (i, m) in valid.members.iter().enumerate() {
            let p = new_person(&m.facts, village, now);
            q::insert_person(&tx, &p).await?;
            q::insert_member(
                &tx,
                &p.id,
                &household_id,
                m.relationship.code(),
                village,
                today(),
            )
            .await?;
            person_history.push(HistoryEntry {
                new_value: Some(household_id.clone()),
                ..ctx.history(&p.id, village, "registered")
            });
            warnings.extend(
                m.nik_warnings
                    .iter()
                    .map(|w| (format!("members[{i}].nik"), w.code())),
            );
            person_ids.push(p.id);
        }
        q::append_history(&tx, HistoryTable::Person, &person_history).await?;
        q::append_history(
            &tx,
            HistoryTable::Household,
            &[HistoryEntry {
                new_value: valid.kk_number.as_ref().map(|k| k.to_string()),
                field: Some("kk_number".into()),
                ..ctx.history(&household_id, village, "registered")
            }],
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "household.register",
                "household",
                Some(&household_id),
                Some(village),
                Some(format!("members={}", person_ids.len())),
            )
            .await?;
        Ok(Registered {
            household_id,
            person_ids,
            warnings,
        })
    }

    /// One person with their household and history. Outside the actor's area it does not exist.
    pub async fn person(&self, ctx: &Ctx, id: &str) -> Result<PersonDetail> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let scope = registry_scope(ctx)?;
        // Both reads at once; the history is dropped unread when the person is out of scope.
        let (found, history) = tokio::join!(
            q::person_with_household(&self.store, &scope, &id),
            q::history(&self.store, HistoryTable::Person, &id, 100)
        );
        let (person, household) = found?.ok_or(Error::NotFound)?;
        let history = history?;
        let nik_warnings = nik_warnings_of(&person);
        self.audit
            .record(
                ctx,
                "person.read",
                "person",
                Some(&id),
                Some(&person.village_code),
                None,
            )
            .await?;
        Ok(PersonDetail {
            person,
            household,
            history,
            nik_warnings,
        })
    }

    pub async fn household(&self, ctx: &Ctx, id: &str) -> Result<HouseholdDetail> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let c = self.store.conn();
        let scope = registry_scope(ctx)?;
        let household = q::household(c, &scope, &id).await?.ok_or(Error::NotFound)?;
        let members = q::household_members(c, &scope, &id).await?;
        let history = q::history(&self.store, HistoryTable::Household, &id, 100).await?;
        self.audit
            .record(
                ctx,
                "household.read",
                "household",
                Some(&id),
                Some(&household.village_code),
                Some(format!("members={}", members.len())),
            )
            .await?;
        Ok(HouseholdDetail {
            household,
            members,
            history,
        })
    }

    /// Finds a person by exact NIK inside the actor's area. The NIK is never logged.
    pub async fn search_by_nik(&self, ctx: &Ctx, nik: &str) -> Result<Vec<PersonRow>> {
        let nik = Nik::parse(nik).map_err(|e| Error::invalid("nik", e.code()))?;
        let found =
            q::person_by_nik(self.store.conn(), &registry_scope(ctx)?, nik.as_str()).await?;
        let found: Vec<PersonRow> = found.into_iter().collect();
        self.audit
            .record(
                ctx,
                "person.search",
                "person",
                found.first().map(|p| p.id.as_str()),
                None,
                Some(format!("by=nik results={}", found.len())),
            )
            .await?;
        Ok(found)
    }

    /// Finds people by name (case- and accent-insensitive; names starting with the query
    /// first, then any word, then anywhere), optionally within a smaller area.
    pub async fn search_by_name(
        &self,
        ctx: &Ctx,
        name: &str,
        area: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Vec<PersonRow>> {
        let key = names::search_key(name);
        if key.chars().count() < 2 {
            return Err(Error::invalid("name", "query_too_short"));
        }
        let scope = self.narrowed_scope(ctx, area).await?;
        let found = q::persons_by_name(self.store.conn(), &scope, &key, page_limit(limit)?).await?;
        self.audit
            .record(
                ctx,
                "person.search",
                "person",
                None,
                scope_area(&scope),
                Some(format!("by=name results={}", found.len())),
            )
            .await?;
        Ok(found)
    }

    /// The actor's registry scope narrowed to `area`; an area outside theirs is refused.
    pub async fn narrowed_scope(&self, ctx: &Ctx, area: Option<&str>) -> Result<Scope> {
        registry_scope(ctx)?;
        self.area_scope(ctx, area).await
    }

    /// The actor's scope narrowed to `area` (any use case); an area outside theirs is
    /// refused.
    pub async fn area_scope(&self, ctx: &Ctx, area: Option<&str>) -> Result<Scope> {
        let scope = ctx.actor.scope();
        match area.map(str::trim).filter(|a| !a.is_empty()) {
            None => Ok(scope),
            Some(a) => {
                let code = AreaCode::parse(a).map_err(|e| Error::invalid("area", e.code()))?;
                if self.store.area(code.as_str()).await?.is_none() {
                    return Err(Error::invalid("area", "area_unknown"));
                }
                scope.narrow(&code).ok_or(Error::Forbidden)
            }
        }
    }

    /// The scope, cursor and page size of a list request, checked.
    async fn list_params(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        after: Option<&str>,
        limit: Option<u64>,
    ) -> Result<(Scope, Option<Cursor>, u64)> {
        let scope = self.narrowed_scope(ctx, area).await?;
        let limit = page_limit(limit)?;
        let after = after
            .filter(|a| !a.is_empty())
            .map(decode_cursor)
            .transpose()?;
        Ok((scope, after, limit))
    }

    /// Wraps a fetched page, with the cursor of the next one, and audits the listing.
    async fn listed<T>(
        &self,
        ctx: &Ctx,
        record_type: &str,
        scope: &Scope,
        items: Vec<T>,
        limit: u64,
        key: impl Fn(&T) -> (&str, &str),
    ) -> Result<Page<T>> {
        let next = (items.len() as u64 == limit)
            .then(|| items.last().map(|i| encode_cursor(key(i).0, key(i).1)))
            .flatten();
        self.audit
            .record(
                ctx,
                &format!("{record_type}.list"),
                record_type,
                None,
                scope_area(scope),
                Some(format!("results={}", items.len())),
            )
            .await?;
        Ok(Page { items, next })
    }

    pub async fn list_persons(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        after: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Page<PersonRow>> {
        let (scope, after, limit) = self.list_params(ctx, area, after, limit).await?;
        let items = q::list_persons(self.store.conn(), &scope, after.as_ref(), limit).await?;
        self.listed(ctx, "person", &scope, items, limit, |p| {
            (&p.village_code, &p.id)
        })
        .await
    }

    pub async fn list_households(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        after: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Page<HouseholdRow>> {
        let (scope, after, limit) = self.list_params(ctx, area, after, limit).await?;
        let items = q::list_households(self.store.conn(), &scope, after.as_ref(), limit).await?;
        self.listed(ctx, "household", &scope, items, limit, |h| {
            (&h.village_code, &h.id)
        })
        .await
    }

    /// Counts for the actor's dashboard: not personal data, so not audited.
    pub async fn dashboard(&self, ctx: &Ctx) -> Result<RegistryCounts> {
        Ok(q::counts(self.store.conn(), &registry_scope(ctx)?).await?)
    }

    /// Updates a person's facts; each changed field is recorded in the history with the
    /// old and new value and the reason.
    pub async fn update_person(
        &self,
        ctx: &Ctx,
        id: &str,
        patch: &PersonPatch,
    ) -> Result<PersonRow> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let tx = self.store.begin().await?;
        let (updated, fields) = self.patch_person(&tx, ctx, &id, patch).await?;
        tx.commit().await?;
        if !fields.is_empty() {
            self.audit
                .record(
                    ctx,
                    "person.update",
                    "person",
                    Some(&id),
                    Some(&updated.village_code),
                    Some(format!("fields={}", fields.join(","))),
                )
                .await?;
        }
        Ok(updated)
    }

    /// Applies a patch to a person in `tx` (with its history); returns the person and the
    /// fields that changed.
    pub(crate) async fn patch_person(
        &self,
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        id: &str,
        patch: &PersonPatch,
    ) -> Result<(PersonRow, Vec<String>)> {
        let id = id.to_string();
        let current = q::person(tx, &registry_scope(ctx)?, &id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut errors = Invalid::default();
        let mut changes: Vec<(&'static str, Value)> = Vec::new();
        let mut history = Vec::new();
        let reason = patch
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let village = current.village_code.clone();
        let mut record = |column: &'static str,
                          old: Option<String>,
                          new: Option<String>,
                          value: Value,
                          changes: &mut Vec<(&'static str, Value)>| {
            if old != new {
                history.push(ctx.change(&id, &village, column, old, new, reason));
                changes.push((column, value));
            }
        };
        if let Some(v) = &patch.full_name {
            let name = household::full_name(v, "full_name", &mut errors);
            record(
                "full_name",
                Some(current.full_name.clone()),
                Some(name.clone()),
                name.clone().into(),
                &mut changes,
            );
            changes.push(("name_key", names::search_key(&name).into()));
        }
        if let Some(v) = &patch.sex {
            let sex = household::sex(v, "sex", &mut errors).code();
            record(
                "sex",
                Some(current.sex.clone()),
                Some(sex.to_string()),
                sex.into(),
                &mut changes,
            );
        }
        if let Some(v) = &patch.birth_date {
            let date = household::birth_date(v, "birth_date", today(), &mut errors);
            record(
                "birth_date",
                Some(current.birth_date.to_string()),
                Some(date.to_string()),
                date.into(),
                &mut changes,
            );
        }
        let mut new_nik = None;
        if let Some(v) = &patch.nik {
            let nik = household::nik(&Some(v.clone()), "nik", &mut errors);
            if v.trim().is_empty() && current.nik.is_some() {
                errors.push("nik", "nik_cannot_be_removed");
            }
            if let Some(n) = &nik
                && current.nik.as_deref() != Some(n.as_str())
            {
                new_nik = Some(n.clone());
                record(
                    "nik",
                    current.nik.clone(),
                    Some(n.to_string()),
                    n.as_str().into(),
                    &mut changes,
                );
            }
        }
        let texts: [(&'static str, &Option<String>, &Option<String>, usize); 5] = [
            (
                "birth_place",
                &patch.birth_place,
                &current.birth_place,
                household::MAX_NAME_CHARS,
            ),
            ("religion", &patch.religion, &current.religion, 40),
            ("education", &patch.education, &current.education, 60),
            ("occupation", &patch.occupation, &current.occupation, 80),
            (
                "marital_status",
                &patch.marital_status,
                &current.marital_status,
                40,
            ),
        ];
        for (column, new, old, max) in texts {
            if new.is_some() {
                let v = household::optional_text(new, column, max, &mut errors);
                record(column, old.clone(), v.clone(), v.into(), &mut changes);
            }
        }
        if patch.phone.is_some() {
            let v = household::phone(&patch.phone, "phone", &mut errors);
            record(
                "phone",
                current.phone.clone(),
                v.clone(),
                v.into(),
                &mut changes,
            );
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        if let Some(n) = &new_nik {
            self.check_new_niks(tx, &[("nik".to_string(), n)]).await?;
        }
        if history.is_empty() {
            return Ok((current, Vec::new()));
        }
        let fields: Vec<String> = history.iter().filter_map(|h| h.field.clone()).collect();
        q::update_person(tx, &id, changes, Utc::now()).await?;
        q::append_history(tx, HistoryTable::Person, &history).await?;
        let updated = q::person(tx, &Scope::National, &id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok((updated, fields))
    }

    /// Adds a new member (a person not yet in the registry) to a household.
    pub async fn add_member(
        &self,
        ctx: &Ctx,
        household_id: &str,
        member: &MemberInput,
    ) -> Result<String> {
        let household_id = pintu_store::parse_id(household_id).ok_or(Error::NotFound)?;
        let tx = self.store.begin().await?;
        let household = q::household(&tx, &registry_scope(ctx)?, &household_id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut errors = Invalid::default();
        let (facts, relationship) = member.validate_into("", today(), &mut errors);
        if relationship == Some(Relationship::Head) && household.head_name.is_some() {
            errors.push("relationship", "one_head_only");
        }
        let relationship = match relationship {
            Some(r) if errors.is_empty() => r,
            _ => return Err(Error::Invalid(errors)),
        };
        if let Some(n) = &facts.nik {
            self.check_new_niks(&tx, &[("nik".to_string(), n)]).await?;
        }
        let p = new_person(&facts, &household.village_code, Utc::now());
        q::insert_person(&tx, &p).await?;
        q::insert_member(
            &tx,
            &p.id,
            &household_id,
            relationship.code(),
            &household.village_code,
            today(),
        )
        .await?;
        q::append_history(
            &tx,
            HistoryTable::Person,
            &[HistoryEntry {
                new_value: Some(household_id.clone()),
                ..ctx.history(&p.id, &household.village_code, "registered")
            }],
        )
        .await?;
        q::append_history(
            &tx,
            HistoryTable::Household,
            &[HistoryEntry {
                field: Some("member".into()),
                new_value: Some(p.id.clone()),
                ..ctx.history(&household_id, &household.village_code, "member_added")
            }],
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "household.add_member",
                "household",
                Some(&household_id),
                Some(&household.village_code),
                Some(format!("person={}", p.id)),
            )
            .await?;
        Ok(p.id)
    }

    /// Moves an existing person into another household (both inside the actor's area), or
    /// out of any household when `to_household` is `None`.
    pub async fn move_member(
        &self,
        ctx: &Ctx,
        person_id: &str,
        to_household: Option<&str>,
        relationship: Option<&str>,
        reason: Option<&str>,
    ) -> Result<()> {
        let person_id = pintu_store::parse_id(person_id).ok_or(Error::NotFound)?;
        let scope = registry_scope(ctx)?;
        let tx = self.store.begin().await?;
        let person = q::person(&tx, &scope, &person_id)
            .await?
            .ok_or(Error::NotFound)?;
        let target = match to_household {
            Some(h) => {
                let h = pintu_store::parse_id(h)
                    .ok_or_else(|| Error::invalid("household_id", "household_unknown"))?;
                Some(
                    q::household(&tx, &scope, &h)
                        .await?
                        .ok_or_else(|| Error::invalid("household_id", "household_unknown"))?,
                )
            }
            None => None,
        };
        let relationship = match (&target, relationship) {
            (Some(_), Some(r)) => Some(
                Relationship::parse(r)
                    .ok_or_else(|| Error::invalid("relationship", "relationship_invalid"))?,
            ),
            (Some(_), None) => return Err(Error::invalid("relationship", "required")),
            (None, _) => None,
        };
        if let (Some(t), Some(Relationship::Head)) = (&target, relationship)
            && t.head_name.is_some()
        {
            return Err(Error::invalid("relationship", "one_head_only"));
        }
        self.leave_household(ctx, &tx, &person, reason).await?;
        if let (Some(t), Some(r)) = (&target, relationship) {
            q::insert_member(&tx, &person_id, &t.id, r.code(), &t.village_code, today()).await?;
            if t.village_code != person.village_code {
                q::update_person(
                    &tx,
                    &person_id,
                    vec![("village_code", t.village_code.clone().into())],
                    Utc::now(),
                )
                .await?;
            }
            q::append_history(
                &tx,
                HistoryTable::Person,
                &[ctx.change(
                    &person_id,
                    &t.village_code,
                    "household",
                    person.household_id.clone(),
                    Some(t.id.clone()),
                    reason,
                )],
            )
            .await?;
            q::append_history(
                &tx,
                HistoryTable::Household,
                &[HistoryEntry {
                    field: Some("member".into()),
                    new_value: Some(person_id.clone()),
                    reason: reason.map(str::to_string),
                    ..ctx.history(&t.id, &t.village_code, "member_added")
                }],
            )
            .await?;
        }
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "person.move_member",
                "person",
                Some(&person_id),
                Some(&person.village_code),
                target.map(|t| format!("to={}", t.id)),
            )
            .await?;
        Ok(())
    }

    /// Takes a person out of their current household, recording it on both sides.
    async fn leave_household(
        &self,
        ctx: &Ctx,
        tx: &DatabaseTransaction,
        person: &PersonRow,
        reason: Option<&str>,
    ) -> Result<()> {
        if let Some(h) = &person.household_id {
            q::delete_member(tx, &person.id).await?;
            q::append_history(
                tx,
                HistoryTable::Household,
                &[HistoryEntry {
                    field: Some("member".into()),
                    old_value: Some(person.id.clone()),
                    reason: reason.map(str::to_string),
                    ..ctx.history(
                        h,
                        &person.village_code,
                        if person.relationship.as_deref() == Some(Relationship::Head.code()) {
                            "head_left"
                        } else {
                            "member_left"
                        },
                    )
                }],
            )
            .await?;
            q::append_history(
                tx,
                HistoryTable::Person,
                &[ctx.change(
                    &person.id,
                    &person.village_code,
                    "household",
                    Some(h.clone()),
                    None,
                    reason,
                )],
            )
            .await?;
        }
        Ok(())
    }

    /// Records a birth, death or move (REG-4), each dated and kept in the history.
    pub async fn record_event(
        &self,
        ctx: &Ctx,
        person_id: &str,
        event: &LifeEvent,
    ) -> Result<EventOutcome> {
        let person_id = pintu_store::parse_id(person_id).ok_or(Error::NotFound)?;
        let scope = registry_scope(ctx)?;
        let tx = self.store.begin().await?;
        let person = q::person(&tx, &scope, &person_id)
            .await?
            .ok_or(Error::NotFound)?;
        if person.life_status != LifeStatus::Alive.code() {
            return Err(Error::Conflict {
                code: "person_not_alive",
                field: None,
            });
        }
        let event_date = |s: &str| -> Result<NaiveDate> {
            let mut e = Invalid::default();
            let d = household::birth_date(s, "date", today(), &mut e);
            e.or_ok(d).map_err(Error::Invalid)
        };
        let now = Utc::now();
        let mut outcome = EventOutcome {
            person_id: person_id.clone(),
            new_person_id: None,
        };
        let action;
        match event {
            LifeEvent::Birth {
                date,
                full_name,
                sex,
                nik,
                birth_place,
            } => {
                let household_id = person.household_id.clone().ok_or(Error::Conflict {
                    code: "person_has_no_household",
                    field: None,
                })?;
                let relationship =
                    match person.relationship.as_deref().and_then(Relationship::parse) {
                        Some(Relationship::Head | Relationship::Wife | Relationship::Husband) => {
                            Relationship::Child
                        }
                        Some(Relationship::Child | Relationship::ChildInLaw) => {
                            Relationship::Grandchild
                        }
                        _ => Relationship::OtherRelative,
                    };
                let input = MemberInput {
                    nik: nik.clone(),
                    full_name: full_name.clone(),
                    sex: sex.clone(),
                    birth_date: date.clone(),
                    birth_place: birth_place.clone(),
                    relationship: relationship.code().into(),
                    marital_status: Some("BELUM KAWIN".into()),
                    ..Default::default()
                };
                let mut errors = Invalid::default();
                let (facts, _) = input.validate_into("", today(), &mut errors);
                if !errors.is_empty() {
                    return Err(Error::Invalid(errors));
                }
                if facts.birth_date < person.birth_date {
                    return Err(Error::invalid("date", "birth_before_parent"));
                }
                if let Some(n) = &facts.nik {
                    self.check_new_niks(&tx, &[("nik".to_string(), n)]).await?;
                }
                let child = new_person(&facts, &person.village_code, now);
                q::insert_person(&tx, &child).await?;
                q::insert_member(
                    &tx,
                    &child.id,
                    &household_id,
                    relationship.code(),
                    &person.village_code,
                    facts.birth_date,
                )
                .await?;
                q::append_history(
                    &tx,
                    HistoryTable::Person,
                    &[
                        HistoryEntry {
                            new_value: Some(facts.birth_date.to_string()),
                            field: Some("birth".into()),
                            reason: Some(format!("parent={person_id}")),
                            ..ctx.history(&child.id, &person.village_code, "born")
                        },
                        HistoryEntry {
                            field: Some("child".into()),
                            new_value: Some(child.id.clone()),
                            ..ctx.history(&person_id, &person.village_code, "child_born")
                        },
                    ],
                )
                .await?;
                q::append_history(
                    &tx,
                    HistoryTable::Household,
                    &[HistoryEntry {
                        field: Some("member".into()),
                        new_value: Some(child.id.clone()),
                        ..ctx.history(&household_id, &person.village_code, "member_born")
                    }],
                )
                .await?;
                outcome.new_person_id = Some(child.id);
                action = "person.event.birth";
            }
            LifeEvent::Death { date } => {
                let d = event_date(date)?;
                if d < person.birth_date {
                    return Err(Error::invalid("date", "death_before_birth"));
                }
                self.leave_household(ctx, &tx, &person, Some("death"))
                    .await?;
                q::update_person(
                    &tx,
                    &person_id,
                    vec![
                        ("life_status", LifeStatus::Dead.code().into()),
                        ("died_on", d.into()),
                    ],
                    now,
                )
                .await?;
                q::append_history(
                    &tx,
                    HistoryTable::Person,
                    &[HistoryEntry {
                        field: Some("life_status".into()),
                        old_value: Some("alive".into()),
                        new_value: Some("dead".into()),
                        reason: Some(format!("died_on={d}")),
                        ..ctx.history(&person_id, &person.village_code, "died")
                    }],
                )
                .await?;
                action = "person.event.death";
            }
            LifeEvent::Move {
                date,
                village_code,
                out_of_area,
                whole_household,
                address,
            } => {
                let d = event_date(date)?;
                let reason = format!("moved_on={d}");
                if *out_of_area {
                    self.leave_household(ctx, &tx, &person, Some(&reason))
                        .await?;
                    q::update_person(
                        &tx,
                        &person_id,
                        vec![("life_status", LifeStatus::MovedOut.code().into())],
                        now,
                    )
                    .await?;
                    q::append_history(
                        &tx,
                        HistoryTable::Person,
                        &[HistoryEntry {
                            field: Some("life_status".into()),
                            old_value: Some("alive".into()),
                            new_value: Some("moved_out".into()),
                            reason: Some(reason),
                            ..ctx.history(&person_id, &person.village_code, "moved_out")
                        }],
                    )
                    .await?;
                } else {
                    let target = village_code.as_deref().unwrap_or("").trim();
                    let target = AreaCode::parse(target).map_err(|_| {
                        Error::invalid(
                            "village_code",
                            if target.is_empty() {
                                "required"
                            } else {
                                "area_code_malformed"
                            },
                        )
                    })?;
                    if target.level() != AreaLevel::Village {
                        return Err(Error::invalid("village_code", "village_required"));
                    }
                    if !areas::village_exists(&tx, target.as_str()).await? {
                        return Err(Error::invalid("village_code", "village_unknown"));
                    }
                    if target.as_str() == person.village_code {
                        return Err(Error::invalid("village_code", "same_village"));
                    }
                    let is_head = person.relationship.as_deref() == Some(Relationship::Head.code());
                    if *whole_household {
                        let household_id = match (&person.household_id, is_head) {
                            (Some(h), true) => h.clone(),
                            _ => {
                                return Err(Error::invalid(
                                    "whole_household",
                                    "only_head_moves_household",
                                ));
                            }
                        };
                        let members =
                            q::household_members(&tx, &Scope::National, &household_id).await?;
                        q::set_household_village(&tx, &household_id, target.as_str(), now).await?;
                        q::update_member_village(&tx, &household_id, target.as_str()).await?;
                        let mut history = Vec::new();
                        for m in &members {
                            q::update_person(
                                &tx,
                                &m.id,
                                vec![("village_code", target.as_str().into())],
                                now,
                            )
                            .await?;
                            history.push(HistoryEntry {
                                action: "moved".into(),
                                ..ctx.change(
                                    &m.id,
                                    target.as_str(),
                                    "village_code",
                                    Some(m.village_code.clone()),
                                    Some(target.to_string()),
                                    Some(&reason),
                                )
                            });
                        }
                        q::append_history(&tx, HistoryTable::Person, &history).await?;
                        q::append_history(
                            &tx,
                            HistoryTable::Household,
                            &[HistoryEntry {
                                action: "moved".into(),
                                ..ctx.change(
                                    &household_id,
                                    target.as_str(),
                                    "village_code",
                                    Some(person.village_code.clone()),
                                    Some(target.to_string()),
                                    Some(&reason),
                                )
                            }],
                        )
                        .await?;
                        if let Some(addr) =
                            address.as_deref().map(str::trim).filter(|a| !a.is_empty())
                        {
                            pintu_store::execute(
                                &tx,
                                "UPDATE households SET address = ? WHERE id = ?",
                                vec![addr.into(), household_id.clone().into()],
                            )
                            .await?;
                        }
                    } else {
                        self.leave_household(ctx, &tx, &person, Some(&reason))
                            .await?;
                        q::update_person(
                            &tx,
                            &person_id,
                            vec![("village_code", target.as_str().into())],
                            now,
                        )
                        .await?;
                        q::append_history(
                            &tx,
                            HistoryTable::Person,
                            &[HistoryEntry {
                                action: "moved".into(),
                                ..ctx.change(
                                    &person_id,
                                    target.as_str(),
                                    "village_code",
                                    Some(person.village_code.clone()),
                                    Some(target.to_string()),
                                    Some(&reason),
                                )
                            }],
                        )
                        .await?;
                    }
                }
                action = "person.event.move";
            }
        }
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                action,
                "person",
                Some(&person_id),
                Some(&person.village_code),
                outcome.new_person_id.as_ref().map(|c| format!("child={c}")),
            )
            .await?;
        Ok(outcome)
    }
}

pub(crate) fn scope_area(scope: &Scope) -> Option<&str> {
    match scope {
        Scope::National => None,
        Scope::Within(a) => Some(a.as_str()),
    }
}

/// Warnings about a stored person's NIK (sex, birth date or area disagreeing with the record).
pub fn nik_warnings_of(p: &PersonRow) -> Vec<&'static str> {
    let (Some(nik), Some(sex), Ok(village)) = (
        p.nik.as_deref().and_then(|n| Nik::parse(n).ok()),
        pintu_domain::Sex::parse(&p.sex),
        AreaCode::parse(&p.village_code),
    ) else {
        return vec![];
    };
    nik.warnings(sex, p.birth_date, &village)
        .into_iter()
        .map(|w| w.code())
        .collect()
}

/// Age in whole years on `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// The records of the registry the actor may read: their area; the ombudsman none.
pub fn registry_scope(ctx: &Ctx) -> Result<Scope> {
    if !ctx.actor.may_read_registry() {
        return Err(Error::Forbidden);
    }
    Ok(ctx.actor.scope())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_rejected() {
        let c = encode_cursor("35.07.12.2003", "0192-abc");
        let d = decode_cursor(&c).expect("decodes");
        assert_eq!(
            (d.village_code.as_str(), d.id.as_str()),
            ("35.07.12.2003", "0192-abc")
        );
        assert!(decode_cursor("!!!").is_err());
    }

    #[test]
    fn age_counts_whole_years() {
        let birth = NaiveDate::from_ymd_opt(1990, 8, 17).expect("date");
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 8, 16).expect("date")),
            35
        );
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 8, 17).expect("date")),
            36
        );
    }
}
