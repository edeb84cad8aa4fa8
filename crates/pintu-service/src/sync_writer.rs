//! Applies a synchronisation plan, a batch of rows at a time: links, new people and their
//! households, moves decided by the family card, and every disagreement with the registry
//! (settled by a source's authority, or queued for review), each with its history naming the
//! import and row.
//!
//! A batch reads what it needs in a few queries (which NIKs are taken, which KK numbers have
//! a household, who lives where, where disputed values came from), decides in memory, and
//! writes everything in a few multi-row statements, all in the caller's transaction.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use foldhash::{HashMap as FastMap, HashSet as FastSet};
use pintu_domain::Sex;
use pintu_domain::access::Scope;
use pintu_domain::conflicts::{self, Field, Outcome, Rule, Standing};
use pintu_domain::sources::Source;
use pintu_store::facts;
use pintu_store::imports::{self as q, LinkCandidate, LinkUpdate, PlannedRecord, SourceRecordRow};
use pintu_store::new_id;
use pintu_store::registry::{
    self as reg, HistoryEntry, HistoryTable, NewHousehold, NewMember, NewPerson,
};
use pintu_store::review::{self, NewConflict};
use pintu_store::sea_orm::{DatabaseTransaction, Value};

use crate::{Error, Result};

/// A disagreement between a linked row and the registry, and how it is settled.
struct Disagreement {
    field: Field,
    current: Option<String>,
    proposed: Option<String>,
    outcome: Outcome,
}

/// Judges the disagreements of one import's rows with the people they are linked to.
pub(crate) struct Judge {
    source: Source,
    today: NaiveDate,
    /// People linked to an e-KTP record.
    ektp: FastSet<String>,
    /// People linked to an e-KTP or family-card record.
    civil: FastSet<String>,
    /// Disagreements already before a reviewer (or decided by one).
    reviewed: FastSet<(String, String, String)>,
}

impl Judge {
    /// The standing of people before `import_id` (its own links are not counted, so a
    /// resumed synchronisation judges as an uninterrupted one did).
    pub(crate) async fn load(
        store: &pintu_store::Store,
        scope: &Scope,
        source: Source,
        import_id: &str,
    ) -> Result<Judge> {
        let mut ektp = FastSet::default();
        let mut civil = FastSet::default();
        for (person, src) in review::civil_backed_people(store, scope, import_id).await? {
            if src == "ektp" {
                ektp.insert(person.clone());
            }
            civil.insert(person);
        }
        let reviewed = review::reviewed_keys(store, scope)
            .await?
            .into_iter()
            .collect();
        Ok(Judge {
            source,
            today: crate::today(),
            ektp,
            civil,
            reviewed,
        })
    }

    fn standing(&self, p: &LinkCandidate) -> Standing {
        Standing {
            source: self.source,
            // Whoever has an e-KTP is of its age.
            adult: self.source == Source::Ektp
                || crate::registry::age_on(p.birth_date, self.today) >= 17,
            ektp_backed: self.ektp.contains(&p.id),
            civil_backed: self.civil.contains(&p.id),
        }
    }

    fn disagreements(&self, p: &LinkCandidate, r: &SourceRecordRow) -> Vec<Disagreement> {
        let st = self.standing(p);
        let mut out = Vec::new();
        let mut push = |field, current: String, proposed: String, outcome| {
            if outcome != Outcome::Same {
                out.push(Disagreement {
                    field,
                    current: Some(current),
                    proposed: Some(proposed),
                    outcome,
                });
            }
        };
        if !r.name_key.is_empty() {
            let o = conflicts::judge_name(&p.name_key, &r.name_key, st);
            push(Field::FullName, p.full_name.clone(), r.full_name.clone(), o);
        }
        if let Some(d) = r.birth_date {
            let o = conflicts::judge_birth_date(p.birth_date, d, st);
            push(Field::BirthDate, p.birth_date.to_string(), d.to_string(), o);
        }
        if let Some(sex) = &r.sex {
            let o = conflicts::judge_sex(&p.sex, sex, st);
            push(Field::Sex, p.sex.clone(), sex.clone(), o);
        }
        if let Some(v) = &r.village_code {
            let o = conflicts::judge_village(&p.village_code, v);
            push(Field::Village, p.village_code.clone(), v.clone(), o);
        }
        if self.source != Source::Kk
            && let Some(kk) = &r.kk_number
        {
            let o = conflicts::judge_household(p.kk_number.as_deref(), kk, self.source);
            let current = p.kk_number.clone().unwrap_or_default();
            push(Field::Household, current, kk.clone(), o);
        }
        if p.life_status == "dead" && lists_as_alive(p, r) {
            let current = match p.died_on {
                Some(d) => format!("dead {d}"),
                None => "dead".into(),
            };
            push(Field::LifeStatus, current, "alive".into(), Outcome::Open);
        }
        out
    }
}

/// Whether a row says that a person the registry has as dead is alive: an inactive
/// insurance membership does not, nor a card or survey dated before the death.
fn lists_as_alive(p: &LinkCandidate, r: &SourceRecordRow) -> bool {
    let attrs: HashMap<String, String> = serde_json::from_str(&r.attributes).unwrap_or_default();
    if attrs.get("status").is_some_and(|s| s == "TIDAK AKTIF") {
        return false;
    }
    let dated = ["surveyed_on", "issued_on"]
        .iter()
        .find_map(|k| attrs.get(*k))
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    !matches!((dated, p.died_on), (Some(on), Some(died)) if on < died)
}

/// What a batch needs to know of the registry, read in a few queries before it is applied.
#[derive(Default)]
struct Facts {
    /// NIKs that belong to someone (and those given to people created in this batch).
    taken_niks: HashSet<String>,
    /// Households by KK number: id and village.
    kk_households: HashMap<String, (String, String)>,
    /// The current household of the people the family card links.
    current_household: HashMap<String, String>,
    /// Where each linked person's values came from: field → source, `""` for the
    /// registration.
    provenance: HashMap<String, HashMap<String, String>>,
    /// The disagreements of each linked row, by record id.
    disagreements: HashMap<i64, Vec<Disagreement>>,
}

/// A household to insert.
struct HouseholdDraft {
    id: String,
    kk_number: Option<String>,
    village_code: String,
    address: Option<String>,
    rt: Option<String>,
    rw: Option<String>,
}

/// The writes of a batch, made together at its end.
#[derive(Default)]
struct Pending {
    links: Vec<LinkUpdate>,
    persons: Vec<NewPerson>,
    households: Vec<HouseholdDraft>,
    members: Vec<NewMember>,
    person_history: Vec<HistoryEntry>,
    household_history: Vec<HistoryEntry>,
    conflicts: Vec<NewConflict>,
    survey: Vec<facts::SurveyFacts>,
    jkn: Vec<facts::JknFacts>,
    enrolments: Vec<facts::NewEnrolment>,
}

impl Pending {
    /// Writes in the order the keys need: people and households before memberships.
    async fn flush(self, tx: &DatabaseTransaction) -> Result<()> {
        reg::insert_persons(tx, &self.persons).await?;
        let now = Utc::now();
        let households: Vec<NewHousehold<'_>> = self
            .households
            .iter()
            .map(|h| NewHousehold {
                id: &h.id,
                kk_number: h.kk_number.as_deref(),
                village_code: &h.village_code,
                address: h.address.as_deref(),
                rt: h.rt.as_deref(),
                rw: h.rw.as_deref(),
                at: now,
            })
            .collect();
        reg::insert_households(tx, &households).await?;
        reg::insert_members(tx, &self.members).await?;
        reg::append_history(tx, HistoryTable::Person, &self.person_history).await?;
        reg::append_history(tx, HistoryTable::Household, &self.household_history).await?;
        review::insert_conflicts(tx, &self.conflicts).await?;
        q::set_links(tx, &self.links).await?;
        facts::upsert_survey(tx, &self.survey).await?;
        facts::upsert_jkn(tx, &self.jkn).await?;
        facts::upsert_enrolments(tx, &self.enrolments).await?;
        Ok(())
    }
}

/// Writes synchronisation's decisions for one import.
pub(crate) struct Writer<'a> {
    pub(crate) source: Source,
    pub(crate) import_id: &'a str,
    pub(crate) actor: String,
    /// The import's area: households outside it are never changed.
    pub(crate) scope: Scope,
    /// Households of this run, by the key that groups their rows (`kk:` or `dtks:`).
    pub(crate) households: HashMap<String, String>,
    pub(crate) judge: Judge,
}

/// The key that groups the rows of one household in a household source; `None` for the
/// sources that do not describe households.
fn group_of(source: Source, r: &SourceRecordRow) -> Option<String> {
    match (source, &r.kk_number, &r.source_key) {
        (Source::Kk | Source::Dtks, Some(kk), _) => Some(format!("kk:{kk}")),
        (Source::Dtks, None, Some(key)) => Some(survey_group(key)),
        _ => None,
    }
}

/// The group of a survey household without a KK number, by its key in the survey.
fn survey_group(key: &str) -> String {
    format!("dtks:{key}")
}

/// The households an interrupted synchronisation of the import made for its groups of rows,
/// by group: those of survey households without a KK number (a household with a KK number
/// is found by it). Only DTKS groups rows that way.
pub(crate) async fn households_made_before(
    store: &pintu_store::Store,
    source: Source,
    import_id: &str,
) -> Result<HashMap<String, String>> {
    if source != Source::Dtks {
        return Ok(HashMap::new());
    }
    Ok(q::survey_households_of(store.conn(), import_id)
        .await?
        .into_iter()
        .map(|(key, household)| (survey_group(&key), household))
        .collect())
}

impl Writer<'_> {
    fn history(
        &self,
        r: &SourceRecordRow,
        subject: &str,
        village: &str,
        action: &str,
        note: Option<&str>,
    ) -> HistoryEntry {
        let mut reason = format!("import {}, row {}", self.import_id, r.row_number);
        if let Some(n) = note {
            reason.push_str(": ");
            reason.push_str(n);
        }
        HistoryEntry {
            subject_id: subject.to_string(),
            village_code: village.to_string(),
            at: Utc::now(),
            actor: self.actor.clone(),
            action: action.into(),
            field: None,
            old_value: None,
            new_value: None,
            reason: Some(reason),
            source: self.source.code().to_string(),
            request_id: None,
        }
    }

    /// Applies a batch of planned rows in `tx`. `people` are the registry's people as the
    /// plan saw them.
    pub(crate) async fn apply(
        &mut self,
        tx: &DatabaseTransaction,
        batch: &[PlannedRecord],
        people: &FastMap<String, LinkCandidate>,
    ) -> Result<()> {
        let linked = |p: &PlannedRecord| match p.method.as_str() {
            "nik" | "probabilistic" => p.person_id.as_ref().and_then(|id| people.get(id)),
            _ => None,
        };
        let mut facts = self.facts(tx, batch, &linked).await?;
        let mut out = Pending::default();
        for planned in batch {
            let r = &planned.record;
            match (planned.method.as_str(), linked(planned)) {
                (method, Some(person)) => {
                    out.links.push(LinkUpdate {
                        record_id: r.id,
                        person_id: Some(person.id.clone()),
                        method: if method == "nik" {
                            "nik"
                        } else {
                            "probabilistic"
                        },
                        score: planned.score,
                    });
                    self.reconcile(tx, person, r, &mut facts, &mut out).await?;
                    if self.source == Source::Kk {
                        // The family card decides household composition.
                        self.place(tx, &person.id, false, r, &facts, &mut out)
                            .await?;
                    }
                }
                ("new", None) => {
                    let (person, method) = match self.create_person(r, &mut facts, &mut out)? {
                        Some(id) => (Some(id), "new"),
                        // The NIK is someone else's in the registry: verify in the field.
                        None => (None, "unmatched"),
                    };
                    if let Some(id) = &person {
                        self.place(tx, id, true, r, &facts, &mut out).await?;
                    }
                    out.links.push(LinkUpdate {
                        record_id: r.id,
                        person_id: person,
                        method,
                        score: None,
                    });
                }
                // Unmatched, or linked to someone no longer in the area.
                _ => out.links.push(LinkUpdate {
                    record_id: r.id,
                    person_id: None,
                    method: "unmatched",
                    score: None,
                }),
            }
            let linked_to = out.links.last().and_then(|l| l.person_id.clone());
            if let Some(person_id) = linked_to {
                let village = linked(planned)
                    .map(|p| p.village_code.clone())
                    .or_else(|| r.village_code.clone());
                if let Some(village) = village {
                    self.source_facts(r, person_id, village, &mut out);
                }
            }
        }
        out.flush(tx).await
    }

    /// What a linked row says beyond identity, for eligibility rules: a DTKS row's welfare
    /// facts, a JKN row's membership (and PBI as an enrolment), a KPS card as an enrolment of
    /// its holder.
    fn source_facts(
        &self,
        r: &SourceRecordRow,
        person_id: String,
        village_code: String,
        out: &mut Pending,
    ) {
        let attrs: HashMap<String, String> =
            serde_json::from_str(&r.attributes).unwrap_or_default();
        let get = |k: &str| attrs.get(k).cloned();
        let yes = |k: &str| attrs.get(k).map(|v| v == "Y");
        match self.source {
            Source::Dtks => out.survey.push(facts::SurveyFacts {
                person_id,
                village_code,
                disability: yes("disability"),
                chronic_illness: yes("chronic_illness"),
                school_status: get("school_status"),
                employment_status: get("employment_status"),
                monthly_income: get("monthly_income").and_then(|v| v.parse().ok()),
                welfare_decile: get("welfare_decile").and_then(|v| v.parse().ok()),
                pmt_score: get("pmt_score").and_then(|v| v.parse().ok()),
                surveyed_on: get("surveyed_on").and_then(|v| v.parse().ok()),
            }),
            Source::Jkn => {
                let segment = get("segment");
                let active = get("status").map(|s| s == "AKTIF");
                // Membership paid by the state (PBI) is the PBI-JK programme; by the region,
                // Jamkesda.
                let programme = match segment.as_deref() {
                    Some("PBI-APBN") => Some("PBI-JK"),
                    Some("PBI-APBD") => Some("JAMKESDA"),
                    _ => None,
                };
                if let Some(code) = programme {
                    out.enrolments.push(facts::NewEnrolment {
                        person_id: person_id.clone(),
                        village_code: village_code.clone(),
                        programme_code: code.into(),
                        active: active.unwrap_or(true),
                        since: None,
                        source: "jkn",
                        reference: r.source_key.clone(),
                    });
                }
                out.jkn.push(facts::JknFacts {
                    person_id,
                    village_code,
                    segment,
                    class: get("class").and_then(|v| v.parse().ok()),
                    active,
                });
            }
            Source::Kps => {
                let valid_until: Option<NaiveDate> =
                    get("valid_until").and_then(|v| v.parse().ok());
                out.enrolments.push(facts::NewEnrolment {
                    person_id,
                    village_code,
                    programme_code: "KPS".into(),
                    active: valid_until.is_none_or(|d| d >= self.judge.today),
                    since: None,
                    source: "kps",
                    reference: r.source_key.clone(),
                });
            }
            Source::Ektp | Source::Kk => {}
        }
    }

    /// Reads what the batch needs, in a few queries.
    async fn facts<'p>(
        &self,
        tx: &DatabaseTransaction,
        batch: &[PlannedRecord],
        linked: &impl Fn(&PlannedRecord) -> Option<&'p LinkCandidate>,
    ) -> Result<Facts> {
        let mut facts = Facts::default();
        let niks: Vec<String> = batch
            .iter()
            .filter(|p| p.method == "new")
            .filter_map(|p| p.record.nik.clone())
            .collect();
        facts.taken_niks = reg::registered_niks(tx, &niks).await?;
        // A survey household without a KK number is one of this run's (`self.households`,
        // which starts with those made before an interruption) or a new one.
        let kks: Vec<String> = batch
            .iter()
            .filter(|p| {
                group_of(self.source, &p.record).is_some_and(|g| !self.households.contains_key(&g))
            })
            .filter_map(|p| p.record.kk_number.clone())
            .collect();
        facts.kk_households = reg::households_by_kk(tx, &kks).await?;
        let mut disputed = Vec::new();
        let mut carded = Vec::new();
        for p in batch {
            let Some(person) = linked(p) else {
                continue;
            };
            let found = self.judge.disagreements(person, &p.record);
            if !found.is_empty() {
                disputed.push(person.id.clone());
                facts.disagreements.insert(p.record.id, found);
            }
            if self.source == Source::Kk {
                carded.push(person.id.clone());
            }
        }
        facts.provenance = review::provenance_of_people(tx, &disputed).await?;
        facts.current_household = reg::households_of(tx, &carded).await?;
        Ok(facts)
    }

    /// Creates the person a row describes (inserted when the batch is written). `None`
    /// when the row's NIK already belongs to someone.
    fn create_person(
        &self,
        r: &SourceRecordRow,
        facts: &mut Facts,
        out: &mut Pending,
    ) -> Result<Option<String>> {
        if let Some(nik) = &r.nik
            && !facts.taken_niks.insert(nik.clone())
        {
            return Ok(None);
        }
        let (Some(birth_date), Some(village), Some(sex)) = (
            r.birth_date,
            r.village_code.clone(),
            r.sex.as_deref().and_then(Sex::parse),
        ) else {
            return Err(Error::Internal(anyhow::anyhow!(
                "row {} cannot make a person",
                r.id
            )));
        };
        let attrs: HashMap<String, String> =
            serde_json::from_str(&r.attributes).unwrap_or_default();
        let id = new_id();
        out.persons.push(NewPerson {
            id: id.clone(),
            nik: r.nik.clone(),
            full_name: r.full_name.clone(),
            name_key: r.name_key.clone(),
            sex: sex.code(),
            birth_date,
            birth_place: attrs.get("birth_place").cloned(),
            religion: attrs.get("religion").cloned(),
            education: attrs.get("education").cloned(),
            occupation: attrs.get("occupation").cloned(),
            marital_status: attrs.get("marital_status").cloned(),
            phone: None,
            village_code: village.clone(),
            at: Utc::now(),
        });
        out.person_history
            .push(self.history(r, &id, &village, "registered", None));
        Ok(Some(id))
    }

    /// Puts the person of a household source's row (KK, DTKS) into the household the row
    /// describes: the registry's household with that KK number, one made earlier by this
    /// import, or a new one. Only the family card moves a person out of another household
    /// (the move is in both households' history, and recorded with the card's authority); a
    /// household outside the import's area is left alone.
    async fn place(
        &mut self,
        tx: &DatabaseTransaction,
        person: &str,
        is_new: bool,
        r: &SourceRecordRow,
        facts: &Facts,
        out: &mut Pending,
    ) -> Result<()> {
        let Some(group) = group_of(self.source, r) else {
            return Ok(());
        };
        let Some(village) = r.village_code.clone() else {
            return Ok(());
        };
        let household = match self.households.get(&group) {
            Some(h) => h.clone(),
            None => {
                // The registry's household with the row's KK number, if it has one.
                let existing = r
                    .kk_number
                    .as_ref()
                    .and_then(|kk| facts.kk_households.get(kk));
                let h = match existing {
                    Some((id, v)) => {
                        let inside =
                            pintu_domain::AreaCode::parse(v).is_ok_and(|v| self.scope.allows(&v));
                        if !inside {
                            return Ok(());
                        }
                        id.clone()
                    }
                    None => {
                        let id = new_id();
                        out.households.push(HouseholdDraft {
                            id: id.clone(),
                            kk_number: r.kk_number.clone(),
                            village_code: village.clone(),
                            address: r.address.clone(),
                            rt: r.rt.clone(),
                            rw: r.rw.clone(),
                        });
                        out.household_history.push(self.history(
                            r,
                            &id,
                            &village,
                            "registered",
                            None,
                        ));
                        id
                    }
                };
                self.households.insert(group, h.clone());
                h
            }
        };
        let current = match is_new {
            true => None,
            false => facts.current_household.get(person).cloned(),
        };
        if current.as_deref() == Some(household.as_str()) {
            return Ok(());
        }
        if let Some(old) = &current {
            if self.source != Source::Kk {
                return Ok(());
            }
            let old_kk = reg::household(tx, &Scope::National, old)
                .await?
                .and_then(|h| h.kk_number);
            reg::delete_member(tx, person).await?;
            out.conflicts.push(NewConflict {
                id: new_id(),
                person_id: person.to_string(),
                village_code: village.clone(),
                field: Field::Household.code(),
                current_value: old_kk,
                current_source: None,
                proposed_value: r.kk_number.clone(),
                proposed_source: self.source.code().to_string(),
                source_record_id: r.id,
                import_id: self.import_id.to_string(),
                status: "auto",
                rule: Some(Rule::KkHousehold.code()),
                decision: Some("take"),
                at: Utc::now(),
            });
            out.household_history.push(self.history(
                r,
                old,
                &village,
                "member_left",
                Some("on another family card"),
            ));
        }
        out.members.push(NewMember {
            person_id: person.to_string(),
            household_id: household.clone(),
            relationship: r
                .relationship
                .clone()
                .unwrap_or_else(|| "LAINNYA".to_string()),
            village_code: village.clone(),
            since: Utc::now().date_naive(),
        });
        out.household_history
            .push(self.history(r, &household, &village, "member_added", None));
        Ok(())
    }

    /// Records how the row linked to `p` disagrees with the registry: settled by a source's
    /// authority (and applied, when the source's value is taken) or queued for review.
    async fn reconcile(
        &mut self,
        tx: &DatabaseTransaction,
        p: &LinkCandidate,
        r: &SourceRecordRow,
        facts: &mut Facts,
        out: &mut Pending,
    ) -> Result<()> {
        let Some(found) = facts.disagreements.remove(&r.id) else {
            return Ok(());
        };
        let origin = facts.provenance.get(&p.id);
        let origin_of =
            |field: &str| origin.and_then(|o| o.get(field).or_else(|| o.get("")).cloned());
        let now = Utc::now();
        let mut changes: Vec<(&'static str, Value)> = Vec::new();
        for d in found {
            let (status, rule, decision) = match d.outcome {
                Outcome::Same => continue,
                Outcome::Auto { rule, take } => {
                    ("auto", Some(rule), Some(if take { "take" } else { "keep" }))
                }
                Outcome::Open => {
                    let key = (
                        p.id.clone(),
                        d.field.code().to_string(),
                        d.proposed.clone().unwrap_or_default(),
                    );
                    if !self.judge.reviewed.insert(key) {
                        continue;
                    }
                    ("open", None, None)
                }
            };
            if decision == Some("take") {
                let value = d.proposed.clone().unwrap_or_default();
                match d.field {
                    Field::FullName => {
                        changes.push(("name_key", r.name_key.clone().into()));
                        changes.push(("full_name", value.into()));
                    }
                    Field::BirthDate => changes.push(("birth_date", r.birth_date.into())),
                    Field::Sex => changes.push(("sex", value.into())),
                    _ => {}
                }
                let why = rule.map_or("", |r| r.code());
                let mut entry = self.history(r, &p.id, &p.village_code, "updated", Some(why));
                entry.field = Some(d.field.code().to_string());
                entry.old_value = d.current.clone();
                entry.new_value = d.proposed.clone();
                out.person_history.push(entry);
            }
            out.conflicts.push(NewConflict {
                id: new_id(),
                person_id: p.id.clone(),
                village_code: p.village_code.clone(),
                field: d.field.code(),
                current_source: origin_of(d.field.code()),
                current_value: d.current,
                proposed_value: d.proposed,
                proposed_source: self.source.code().to_string(),
                source_record_id: r.id,
                import_id: self.import_id.to_string(),
                status,
                rule: rule.map(|r| r.code()),
                decision,
                at: now,
            });
        }
        if !changes.is_empty() {
            reg::update_person(tx, &p.id, changes, now).await?;
        }
        Ok(())
    }
}
