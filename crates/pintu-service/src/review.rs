//! The review queues of synchronisation (SYN-3, SYN-4): conflicts between sources and the
//! registry, worked by the sub-district MIS unit (or sent to the village for field
//! verification), and likely duplicates, merged with their history or dismissed. Also what
//! the person page shows about where each value came from.

use chrono::Utc;
use pintu_domain::access::Scope;
use pintu_domain::conflicts::{Decision, Field};
use pintu_domain::{Invalid, household, names};
use pintu_store::registry::{self as reg, HistoryEntry, HistoryTable, PersonRow};
use pintu_store::review::{
    self as q, ConflictDecision, ConflictFilter, ConflictRow, DuplicateRow, LinkedRecord,
    Provenance,
};
use pintu_store::sea_orm::{DatabaseTransaction, Value};
use serde::{Deserialize, Serialize};

use crate::registry::{Page, id_cursor, page_limit, registry_scope, scope_area};
use crate::{Ctx, Error, Pintu, Result, today};

/// A reviewer's decision on a conflict.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Resolution {
    /// `keep`, `take`, `verified` or `send_to_village`.
    pub decision: String,
    /// The verified value (for `verified`).
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Where a person's values came from, and what every linked source says.
#[derive(Debug, Clone, Serialize)]
pub struct PersonSources {
    pub provenance: Vec<Provenance>,
    pub records: Vec<LinkedRecord>,
    /// Open and decided conflicts about the person, oldest first.
    pub conflicts: Vec<ConflictRow>,
}

/// The fields whose provenance the person page shows.
pub const PROVENANCE_FIELDS: [&str; 11] = [
    "nik",
    "full_name",
    "sex",
    "birth_date",
    "birth_place",
    "religion",
    "education",
    "occupation",
    "marital_status",
    "phone",
    "village_code",
];

/// Statuses a list can ask for.
const CONFLICT_STATUSES: [&str; 4] = ["open", "field_check", "resolved", "auto"];

fn note_of(note: &Option<String>) -> Result<Option<String>> {
    let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    match note {
        Some(n) if n.chars().count() > 500 => Err(Error::invalid("note", "too_long")),
        other => Ok(other.map(str::to_string)),
    }
}

impl Pintu {
    /// Conflicts in the actor's area (or `area` inside it). By default the queue: open ones
    /// and those in the field; a village officer sees those sent to the village.
    pub async fn conflicts(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        status: Option<&str>,
        after: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Page<ConflictRow>> {
        let scope = self.narrowed_scope(ctx, area).await?;
        let limit = page_limit(limit)?;
        let after = id_cursor("after", after)?;
        let statuses: Vec<&str> = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None if !ctx.actor.may_review() => vec!["field_check"],
            None => vec!["open", "field_check"],
            Some("all") => vec![],
            Some(s) => vec![
                CONFLICT_STATUSES
                    .into_iter()
                    .find(|x| *x == s)
                    .ok_or_else(|| Error::invalid("status", "status_unknown"))?,
            ],
        };
        let items = q::conflicts(
            self.store.conn(),
            &scope,
            &ConflictFilter {
                statuses: &statuses,
                person_id: None,
                after: after.as_deref(),
            },
            limit,
        )
        .await?;
        self.audit
            .record(
                ctx,
                "conflict.list",
                "conflict",
                None,
                scope_area(&scope),
                Some(format!("results={}", items.len())),
            )
            .await?;
        Ok(Page::of(items, limit, |x| x.id.clone()))
    }

    pub async fn conflict(&self, ctx: &Ctx, id: &str) -> Result<ConflictRow> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let c = q::conflict(self.store.conn(), &registry_scope(ctx)?, &id)
            .await?
            .ok_or(Error::NotFound)?;
        self.audit
            .record(
                ctx,
                "conflict.read",
                "conflict",
                Some(&id),
                Some(&c.village_code),
                None,
            )
            .await?;
        Ok(c)
    }

    /// Decides a conflict: keeps the registry's value, takes the source's, enters a verified
    /// one, or sends the question to the village. The person's change (if any), its history
    /// and the decision are written together.
    pub async fn resolve_conflict(
        &self,
        ctx: &Ctx,
        id: &str,
        input: &Resolution,
    ) -> Result<ConflictRow> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let scope = registry_scope(ctx)?;
        let tx = self.store.begin().await?;
        let conflict = q::conflict(&tx, &scope, &id)
            .await?
            .ok_or(Error::NotFound)?;
        match conflict.status.as_str() {
            "open" if !ctx.actor.may_review() => return Err(Error::Forbidden),
            "open" | "field_check" => {}
            _ => {
                return Err(Error::Conflict {
                    code: "conflict_already_decided",
                    field: None,
                });
            }
        }
        let decision = Decision::parse(&input.decision)
            .ok_or_else(|| Error::invalid("decision", "decision_unknown"))?;
        if conflict.status == "field_check" && decision == Decision::SendToVillage {
            // Already with the village, which decides it.
            return Err(Error::Forbidden);
        }
        let field = Field::parse(&conflict.field)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown conflict field")))?;
        if !field.decisions().contains(&decision) {
            return Err(Error::invalid("decision", "decision_not_allowed"));
        }
        let note = note_of(&input.note)?;
        // The person may have moved since: a reviewer decides only for people of their area.
        let person = reg::person(&tx, &scope, &conflict.person_id)
            .await?
            .ok_or(Error::NotFound)?;
        let value = match decision {
            Decision::Take => conflict.proposed_value.clone(),
            Decision::Verified => Some(input.value.clone().unwrap_or_default()),
            Decision::Keep | Decision::SendToVillage => None,
        };
        let applied = match value {
            Some(v) => {
                Some(apply_value(ctx, &tx, &person, field, &v, (&conflict, decision, &note)).await?)
            }
            None => None,
        };
        let status = match decision {
            Decision::SendToVillage => "field_check",
            _ => "resolved",
        };
        let recorded = q::decide_conflict(
            &tx,
            &id,
            &conflict.status,
            &ConflictDecision {
                status,
                decision: decision.code(),
                resolved_value: applied.as_deref(),
                note: note.as_deref(),
                decided_by: &ctx.actor.label(),
                at: Utc::now(),
            },
        )
        .await?;
        if !recorded {
            return Err(Error::Conflict {
                code: "conflict_already_decided",
                field: None,
            });
        }
        if applied.is_none() {
            // Keeping a value or sending it to the field changes nothing, but is history.
            let mut entry = history(ctx, &person.id, &person.village_code, "conflict_decided");
            entry.field = Some(field.code().to_string());
            entry.reason = Some(reason(&conflict, decision, &note));
            reg::append_history(&tx, HistoryTable::Person, &[entry]).await?;
        }
        let updated = q::conflict(&tx, &Scope::National, &id)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "conflict.resolve",
                "conflict",
                Some(&id),
                Some(&conflict.village_code),
                Some(format!(
                    "field={} decision={}",
                    field.code(),
                    decision.code()
                )),
            )
            .await?;
        Ok(updated)
    }

    /// Likely duplicates in the actor's area (or `area` inside it), by status (`open` by
    /// default).
    pub async fn duplicates(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        status: Option<&str>,
        after: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Page<DuplicateRow>> {
        let scope = self.narrowed_scope(ctx, area).await?;
        let limit = page_limit(limit)?;
        let after = id_cursor("after", after)?;
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => "open",
            Some(s) => ["open", "merged", "dismissed", "superseded"]
                .into_iter()
                .find(|x| *x == s)
                .ok_or_else(|| Error::invalid("status", "status_unknown"))?,
        };
        let items =
            q::duplicates(self.store.conn(), &scope, status, after.as_deref(), limit).await?;
        self.audit
            .record(
                ctx,
                "duplicate.list",
                "duplicate",
                None,
                scope_area(&scope),
                Some(format!("results={}", items.len())),
            )
            .await?;
        Ok(Page::of(items, limit, |x| x.id.clone()))
    }

    /// An open pair and both its people, checked: the actor reviews, the pair is open and
    /// both people are inside the actor's area.
    async fn open_pair(
        &self,
        ctx: &Ctx,
        tx: &DatabaseTransaction,
        id: &str,
    ) -> Result<(DuplicateRow, PersonRow, PersonRow)> {
        if !ctx.actor.may_review() {
            return Err(Error::Forbidden);
        }
        let scope = registry_scope(ctx)?;
        let pair = q::duplicate(tx, &scope, id).await?.ok_or(Error::NotFound)?;
        if pair.status != "open" {
            return Err(Error::Conflict {
                code: "duplicate_already_decided",
                field: None,
            });
        }
        let a = reg::person(tx, &scope, &pair.a.id).await?;
        let b = reg::person(tx, &scope, &pair.b.id).await?;
        match (a, b) {
            (Some(a), Some(b)) => Ok((pair, a, b)),
            _ => Err(Error::NotFound),
        }
    }

    /// Marks a pair as two different people.
    pub async fn dismiss_duplicate(
        &self,
        ctx: &Ctx,
        id: &str,
        note: &Option<String>,
    ) -> Result<DuplicateRow> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let tx = self.store.begin().await?;
        let (pair, ..) = self.open_pair(ctx, &tx, &id).await?;
        let note = note_of(note)?;
        q::close_duplicate(
            &tx,
            &id,
            "dismissed",
            note.as_deref(),
            &ctx.actor.label(),
            Utc::now(),
        )
        .await?;
        let updated = q::duplicate(&tx, &Scope::National, &id)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "duplicate.dismiss",
                "duplicate",
                Some(&id),
                Some(&pair.village_code),
                None,
            )
            .await?;
        Ok(updated)
    }

    /// Merges a pair into one person: `keep` (either of the two; by default the one with a
    /// NIK, else the older record) stays, takes the other's NIK and any value it lacks, its
    /// history, its links to source rows and its conflicts; the other is deleted, and the
    /// merge is in the history with everything the other record said.
    pub async fn merge_duplicate(
        &self,
        ctx: &Ctx,
        id: &str,
        keep: Option<&str>,
        note: &Option<String>,
    ) -> Result<DuplicateRow> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let tx = self.store.begin().await?;
        let (pair, a, b) = self.open_pair(ctx, &tx, &id).await?;
        let note = note_of(note)?;
        let (keep, gone) = match keep.map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) if k == a.id => (a, b),
            Some(k) if k == b.id => (b, a),
            Some(_) => return Err(Error::invalid("keep", "keep_not_in_pair")),
            None if a.nik.is_none() && b.nik.is_some() => (b, a),
            None => (a, b),
        };
        let now = Utc::now();
        let mut entries: Vec<HistoryEntry> = Vec::new();
        let mut changes: Vec<(&'static str, Value)> = Vec::new();
        let mut fill = |column: &'static str, mine: &Option<String>, theirs: &Option<String>| {
            if mine.is_none()
                && let Some(v) = theirs
            {
                changes.push((column, v.clone().into()));
                let mut e = history(ctx, &keep.id, &keep.village_code, "updated");
                e.field = Some(column.to_string());
                e.new_value = Some(v.clone());
                e.reason = Some(format!("merged from duplicate {}", gone.id));
                entries.push(e);
            }
        };
        fill("nik", &keep.nik, &gone.nik);
        fill("birth_place", &keep.birth_place, &gone.birth_place);
        fill("religion", &keep.religion, &gone.religion);
        fill("education", &keep.education, &gone.education);
        fill("occupation", &keep.occupation, &gone.occupation);
        fill("marital_status", &keep.marital_status, &gone.marital_status);
        fill("phone", &keep.phone, &gone.phone);
        // The other record's household: the survivor takes its place if it has none.
        if let Some(h) = &gone.household_id {
            reg::delete_member(&tx, &gone.id).await?;
            let mut left = history(ctx, h, &gone.village_code, "member_left");
            left.reason = Some(format!("merged into {}", keep.id));
            let mut household_entries = vec![left];
            if keep.household_id.is_none() {
                let relationship = gone.relationship.as_deref().unwrap_or("LAINNYA");
                reg::insert_member(&tx, &keep.id, h, relationship, &gone.village_code, today())
                    .await?;
                let mut added = history(ctx, h, &gone.village_code, "member_added");
                added.reason = Some(format!("merged from {}", gone.id));
                household_entries.push(added);
            }
            reg::append_history(&tx, HistoryTable::Household, &household_entries).await?;
        }
        // Closed first: the merge supersedes the other record's remaining pairs.
        q::close_duplicate(&tx, &id, "merged", note.as_deref(), &ctx.actor.label(), now).await?;
        q::merge_person(&tx, &gone.id, &keep.id, now).await?;
        reg::update_person(&tx, &keep.id, changes, now).await?;
        let mut merged = history(ctx, &keep.id, &keep.village_code, "merged");
        merged.old_value = Some(serde_json::to_string(&gone).unwrap_or_default());
        merged.reason = Some(match &note {
            Some(n) => format!("duplicate {}: {n}", gone.id),
            None => format!("duplicate {}", gone.id),
        });
        entries.push(merged);
        reg::append_history(&tx, HistoryTable::Person, &entries).await?;
        let updated = q::duplicate(&tx, &Scope::National, &id)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "person.merge",
                "person",
                Some(&keep.id),
                Some(&pair.village_code),
                Some(format!("merged={}", gone.id)),
            )
            .await?;
        Ok(updated)
    }

    /// Where each of a person's values came from, what the linked source rows say, and the
    /// conflicts about the person. Audited with the person read that shows it.
    pub async fn person_sources(&self, ctx: &Ctx, id: &str) -> Result<PersonSources> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let c = self.store.conn();
        let person = reg::person(c, &registry_scope(ctx)?, &id)
            .await?
            .ok_or(Error::NotFound)?;
        let provenance = q::provenance(c, &person.id, &PROVENANCE_FIELDS).await?;
        let records = q::linked_records(&self.store, &person.id).await?;
        let conflicts = q::conflicts(
            c,
            &Scope::National,
            &ConflictFilter {
                statuses: &[],
                person_id: Some(&person.id),
                after: None,
            },
            100,
        )
        .await?;
        self.audit
            .record(
                ctx,
                "person.sources",
                "person",
                Some(&person.id),
                Some(&person.village_code),
                None,
            )
            .await?;
        Ok(PersonSources {
            provenance,
            records,
            conflicts,
        })
    }
}

/// Sets `field` of a person to `value` (validated), with its history; returns the value
/// as stored.
async fn apply_value(
    ctx: &Ctx,
    tx: &DatabaseTransaction,
    person: &PersonRow,
    field: Field,
    value: &str,
    (conflict, decision, note): (&ConflictRow, Decision, &Option<String>),
) -> Result<String> {
    let mut errors = Invalid::default();
    let (old, new, changes): (String, String, Vec<(&'static str, Value)>) = match field {
        Field::FullName => {
            let name = household::full_name(value, "value", &mut errors);
            let key = names::search_key(&name);
            (
                person.full_name.clone(),
                name.clone(),
                vec![("full_name", name.into()), ("name_key", key.into())],
            )
        }
        Field::BirthDate => {
            let d = household::birth_date(value, "value", today(), &mut errors);
            (
                person.birth_date.to_string(),
                d.to_string(),
                vec![("birth_date", d.into())],
            )
        }
        Field::Sex => {
            let sex = household::sex(value, "value", &mut errors).code();
            (
                person.sex.clone(),
                sex.to_string(),
                vec![("sex", sex.into())],
            )
        }
        Field::Village | Field::Household | Field::LifeStatus => {
            return Err(Error::invalid("decision", "decision_not_allowed"));
        }
    };
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    if old != new {
        let now = Utc::now();
        reg::update_person(tx, &person.id, changes, now).await?;
        let mut entry = history(ctx, &person.id, &person.village_code, "updated");
        entry.field = Some(field.code().to_string());
        entry.old_value = Some(old);
        entry.new_value = Some(new.clone());
        entry.reason = Some(reason(conflict, decision, note));
        reg::append_history(tx, HistoryTable::Person, &[entry]).await?;
    }
    Ok(new)
}

/// A history entry of a review decision, by the acting officer.
fn history(ctx: &Ctx, subject: &str, village: &str, action: &str) -> HistoryEntry {
    HistoryEntry {
        source: "review".into(),
        ..ctx.history(subject, village, action)
    }
}

fn reason(conflict: &ConflictRow, decision: Decision, note: &Option<String>) -> String {
    let mut r = format!(
        "conflict {} ({} import, row {}): {}",
        conflict.id,
        conflict.proposed_source,
        conflict.row_number,
        decision.code()
    );
    if let Some(n) = note {
        r.push_str(": ");
        r.push_str(n);
    }
    r
}
