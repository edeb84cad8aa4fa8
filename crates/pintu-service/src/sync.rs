//! Synchronisation: after an import, every source row is linked to a person in the registry
//! (exactly on a plausible NIK, otherwise by [`pintu_domain::linkage`]), and a person (with
//! their household, for the sources that describe households) is created only when nothing
//! matches. Rows are decided in transactions of [`SYNC_BATCH_ROWS`]; a row is decided once,
//! so an interrupted synchronisation continues where it stopped when run again.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use pintu_domain::Sex;
use pintu_domain::access::Scope;
use pintu_domain::conflicts::{self, Field, Outcome, Standing};
use pintu_domain::linkage::{self, LinkFields, Model, compare_birth_date, compare_name};
use pintu_domain::sources::Source;
use pintu_store::imports::{self as q, LinkCount, SourceRecordRow};
use pintu_store::new_id;
use pintu_store::registry::{
    self as reg, HistoryEntry, HistoryTable, NewHousehold, NewPerson, household_by_kk,
};
use pintu_store::review::{self, NewConflict};
use pintu_store::sea_orm::{ConnectionTrait, DatabaseTransaction, Value};
use serde::Serialize;

use crate::{Ctx, Error, Pintu, Result};

/// Rows decided per transaction.
pub const SYNC_BATCH_ROWS: usize = 1_000;

/// A probabilistic link needs at least this match probability.
pub const LINK_THRESHOLD: f64 = 0.9;

/// Two registry records at least this likely to be one person are listed for review.
pub const DUPLICATE_THRESHOLD: f64 = 0.5;

/// What a synchronisation did with an import's rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncSummary {
    pub rows: i64,
    /// Linked on a NIK that the name or birth date confirms.
    pub linked_exact: i64,
    pub linked_probabilistic: i64,
    /// People created because nothing matched.
    pub created: i64,
    /// Not linked, and too little known to create a person: to verify in the field.
    pub unmatched: i64,
    /// Disagreements with the registry waiting for a reviewer (or decided by one since).
    pub conflicts: i64,
    /// Disagreements settled by a source's authority.
    pub conflicts_settled: i64,
    /// Rows of the file rejected before synchronisation.
    pub rejected: i64,
    pub by_village: Vec<LinkCount>,
    pub conflicts_by_village: Vec<review::ConflictCount>,
}

/// How each row was decided.
enum Decision {
    Link {
        /// Index into the candidates.
        candidate: usize,
        method: &'static str,
        score: f64,
    },
    New,
    Unmatched,
}

impl Pintu {
    /// Links the rows of an import whose rows have all been read to the registry (the last
    /// step of [`Pintu::run_import`]). Running it again decides only the rows not decided
    /// yet.
    pub(crate) async fn sync_rows(&self, ctx: &Ctx, import: &q::ImportRow) -> Result<()> {
        let scope = match import.area_code.as_deref() {
            Some(a) => Scope::Within(
                pintu_domain::AreaCode::parse(a).map_err(|e| Error::Internal(e.into()))?,
            ),
            None => Scope::National,
        };
        let c = self.store.conn();
        self.plan_sync(import, &scope).await?;
        let pending = q::pending_plan(c, &import.id).await?;
        // The people the plan links to, as they are now: a person is linked once per import,
        // so their values are those the plan saw until their own row is applied.
        let people: HashMap<String, q::LinkCandidate> = q::link_candidates(c, &scope)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let source = Source::parse(&import.source)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown source")))?;
        let mut writer = Writer {
            source: &import.source,
            import_id: &import.id,
            actor: ctx.actor.label(),
            scope: scope.clone(),
            households: HashMap::new(),
        };
        let mut judge = Judge::load(c, &scope, source, &import.id).await?;
        for chunk in pending.chunks(SYNC_BATCH_ROWS) {
            let tx = self.store.begin().await?;
            for planned in chunk {
                let r = &planned.record;
                let linked = match planned.method.as_str() {
                    "nik" | "probabilistic" => {
                        planned.person_id.as_ref().and_then(|id| people.get(id))
                    }
                    _ => None,
                };
                match (planned.method.as_str(), linked) {
                    (method, Some(person)) => {
                        q::set_link(&tx, r.id, Some(&person.id), method, planned.score).await?;
                        writer.reconcile(&tx, &mut judge, person, r).await?;
                        if writer.source == "kk" {
                            // The family card decides household composition.
                            writer.place_in_household(&tx, &person.id, r).await?;
                        }
                    }
                    ("new", None) => match writer.create_person(&tx, r).await? {
                        Some(person) => q::set_link(&tx, r.id, Some(&person), "new", None).await?,
                        // The NIK is someone else's in the registry: verify in the field.
                        None => q::set_link(&tx, r.id, None, "unmatched", None).await?,
                    },
                    // Unmatched, or linked to someone no longer in the area.
                    _ => q::set_link(&tx, r.id, None, "unmatched", None).await?,
                }
            }
            tx.commit().await?;
        }
        let found = self.scan_duplicates(&import.id, &scope).await?;
        if found > 0 {
            tracing::info!(import = %import.id, found, "likely duplicates listed for review");
        }
        self.audit
            .record(
                ctx,
                "import.sync",
                "import",
                Some(&import.id),
                import.area_code.as_deref(),
                None,
            )
            .await?;
        Ok(())
    }

    /// Decides every row of an import against the registry as it is before any of them is
    /// applied, and writes the decisions in one transaction; nothing to do when they are
    /// written already.
    async fn plan_sync(&self, import: &q::ImportRow, scope: &Scope) -> Result<()> {
        let c = self.store.conn();
        if q::has_plan(c, &import.id).await? {
            return Ok(());
        }
        let records = q::records(c, &import.id).await?;
        let candidates = q::link_candidates(c, scope).await?;
        let plans: Vec<q::Plan> = decide(&records, &candidates)
            .into_iter()
            .zip(&records)
            .map(|(d, r)| match d {
                Decision::Link {
                    candidate,
                    method,
                    score,
                } => q::Plan {
                    record_id: r.id,
                    person_id: Some(candidates[candidate].id.clone()),
                    method,
                    score: Some(score),
                },
                Decision::New => q::Plan {
                    record_id: r.id,
                    person_id: None,
                    method: "new",
                    score: None,
                },
                Decision::Unmatched => q::Plan {
                    record_id: r.id,
                    person_id: None,
                    method: "unmatched",
                    score: None,
                },
            })
            .collect();
        let tx = self.store.begin().await?;
        q::insert_plan(&tx, &import.id, &plans).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lists the likely duplicates among the people of `scope` that involve a person this
    /// import created (because nothing matched well enough). The model's u comes from
    /// random pairs of the area's people, so a second scan finds the same pairs.
    async fn scan_duplicates(&self, import_id: &str, scope: &Scope) -> Result<u64> {
        let c = self.store.conn();
        let created: HashSet<String> = q::people_created_by(c, import_id)
            .await?
            .into_iter()
            .collect();
        if created.is_empty() {
            return Ok(0);
        }
        let people = q::link_candidates(c, scope).await?;
        let fields: Vec<LinkFields> = people.iter().map(fields_of_candidate).collect();
        let focus: HashSet<usize> = (0..people.len())
            .filter(|&i| created.contains(&people[i].id))
            .collect();
        let model = Model {
            u: Model::random_u(&fields, &fields, 200_000).unwrap_or(Model::default().u),
            ..Model::default()
        };
        let now = Utc::now();
        let found: Vec<review::NewDuplicate> =
            linkage::duplicates(&fields, Some(&focus), &model, DUPLICATE_THRESHOLD)
                .into_iter()
                .map(|d| review::NewDuplicate {
                    person_a: people[d.a].id.clone(),
                    person_b: people[d.b].id.clone(),
                    village_code: people[d.a].village_code.clone(),
                    score: d.probability,
                })
                .collect();
        let tx = self.store.begin().await?;
        let added = review::insert_duplicates(&tx, &found, now).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// The synchronisation counts of an import, overall and by village.
    pub async fn sync_summary(&self, ctx: &Ctx, import_id: &str) -> Result<SyncSummary> {
        let import = self.import(ctx, import_id).await?;
        let by_village = q::link_counts(self.store.conn(), &import.id).await?;
        let mut s = SyncSummary::default();
        for line in &by_village {
            s.rows += line.rows;
            match line.link_method.as_deref() {
                Some("nik") => s.linked_exact += line.rows,
                Some("probabilistic") => s.linked_probabilistic += line.rows,
                Some("new") => s.created += line.rows,
                Some("unmatched") => s.unmatched += line.rows,
                _ => {}
            }
        }
        s.by_village = by_village;
        s.conflicts_by_village =
            review::conflict_counts_of_import(self.store.conn(), &import.id).await?;
        for line in &s.conflicts_by_village {
            match line.status.as_str() {
                "auto" => s.conflicts_settled += line.n,
                _ => s.conflicts += line.n,
            }
        }
        s.rejected = import.rows_rejected;
        Ok(s)
    }
}

fn fields_of_candidate(c: &q::LinkCandidate) -> LinkFields {
    LinkFields {
        key: c.id.clone(),
        nik: c.nik.clone(),
        kk: c.kk_number.clone(),
        name_key: c.name_key.clone(),
        birth_date: Some(c.birth_date),
        sex: Sex::parse(&c.sex),
        village: Some(c.village_code.clone()),
    }
}

fn fields_of_record(r: &SourceRecordRow) -> LinkFields {
    LinkFields {
        key: format!("{:012}", r.row_number),
        nik: r.nik.clone(),
        kk: r.kk_number.clone(),
        name_key: r.name_key.clone(),
        birth_date: r.birth_date,
        sex: r.sex.as_deref().and_then(Sex::parse),
        village: r.village_code.clone(),
    }
}

/// Decides every row: a plausible NIK first, then the probabilistic model over what is
/// left, then a new person where the row says enough.
fn decide(records: &[SourceRecordRow], candidates: &[q::LinkCandidate]) -> Vec<Decision> {
    let by_nik: HashMap<&str, usize> = candidates
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.nik.as_deref().map(|n| (n, i)))
        .collect();
    let mut decisions: Vec<Option<Decision>> = Vec::with_capacity(records.len());
    let mut taken = vec![false; candidates.len()];
    for r in records {
        let exact = r
            .nik
            .as_deref()
            .and_then(|n| by_nik.get(n))
            .copied()
            .filter(|&i| {
                let c = &candidates[i];
                // A NIK is trusted when the name or the birth date agrees with it.
                !taken[i]
                    && (compare_name(&c.name_key, &r.name_key) <= 2
                        || r.birth_date
                            .is_some_and(|d| compare_birth_date(c.birth_date, d) == 0))
            });
        decisions.push(exact.map(|i| {
            taken[i] = true;
            Decision::Link {
                candidate: i,
                method: "nik",
                score: 1.0,
            }
        }));
    }
    let open: Vec<usize> = (0..candidates.len()).filter(|&i| !taken[i]).collect();
    let pending: Vec<usize> = (0..records.len())
        .filter(|&j| decisions[j].is_none())
        .collect();
    let registry: Vec<LinkFields> = open
        .iter()
        .map(|&i| fields_of_candidate(&candidates[i]))
        .collect();
    let rows: Vec<LinkFields> = pending
        .iter()
        .map(|&j| fields_of_record(&records[j]))
        .collect();
    let result = linkage::link(&registry, &rows, LINK_THRESHOLD);
    tracing::info!(
        candidate_pairs = result.candidate_pairs,
        lambda = result.model.lambda,
        m = ?result.model.m,
        u = ?result.model.u,
        "linkage model estimated"
    );
    for (k, &j) in pending.iter().enumerate() {
        decisions[j] = Some(match &result.links[k] {
            Some(l) => Decision::Link {
                candidate: open[l.target],
                method: "probabilistic",
                score: l.probability,
            },
            None if can_create(&records[j]) => Decision::New,
            None => Decision::Unmatched,
        });
    }
    decisions
        .into_iter()
        .map(|d| d.unwrap_or(Decision::Unmatched))
        .collect()
}

/// A person is created from a row only when it gives a name, sex, birth date and village.
fn can_create(r: &SourceRecordRow) -> bool {
    !r.name_key.is_empty()
        && r.sex.as_deref().and_then(Sex::parse).is_some()
        && r.birth_date.is_some()
        && r.village_code.is_some()
}

/// Writes synchronisation's decisions for one import: new people, their households, moves
/// decided by the family card, and the history of each, naming the import and row.
struct Writer<'a> {
    source: &'a str,
    import_id: &'a str,
    actor: String,
    /// The import's area: households outside it are never changed.
    scope: Scope,
    /// Households created in this run, by the key that groups their rows.
    households: HashMap<String, String>,
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
            source: self.source.to_string(),
            request_id: None,
        }
    }

    /// Creates the person a row describes (and, for the household sources, puts them in
    /// their household). `None` when the row's NIK already belongs to someone.
    async fn create_person(
        &mut self,
        tx: &DatabaseTransaction,
        r: &SourceRecordRow,
    ) -> Result<Option<String>> {
        if let Some(nik) = &r.nik
            && reg::person_by_nik(tx, &Scope::National, nik)
                .await?
                .is_some()
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
        reg::insert_person(
            tx,
            &NewPerson {
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
            },
        )
        .await?;
        let entry = self.history(r, &id, &village, "registered", None);
        reg::append_history(tx, HistoryTable::Person, &[entry]).await?;
        self.place_in_household(tx, &id, r).await?;
        Ok(Some(id))
    }

    /// Puts the person of a household source's row (KK, DTKS) into the household the row
    /// describes: the registry's household with that KK number, one created earlier in this
    /// run, or a new one. Only the family card moves a person out of another household (the
    /// move is in both households' history); a household outside the import's area is left
    /// alone. Rows of other sources change no membership.
    async fn place_in_household(
        &mut self,
        tx: &DatabaseTransaction,
        person: &str,
        r: &SourceRecordRow,
    ) -> Result<()> {
        let group = match (self.source, &r.kk_number, &r.source_key) {
            ("kk", Some(kk), _) | ("dtks", Some(kk), _) => format!("kk:{kk}"),
            ("dtks", None, Some(key)) => format!("dtks:{key}"),
            _ => return Ok(()),
        };
        let Some(village) = r.village_code.clone() else {
            return Ok(());
        };
        let household = match self.households.get(&group) {
            Some(h) => h.clone(),
            None => {
                let existing = match (&r.kk_number, &r.source_key) {
                    (Some(kk), _) => household_by_kk(tx, &Scope::National, kk).await?,
                    // Made for this survey household before an interruption.
                    (None, Some(key)) => {
                        match q::household_of_group(tx, self.import_id, key).await? {
                            Some(id) => reg::household(tx, &Scope::National, &id).await?,
                            None => None,
                        }
                    }
                    (None, None) => None,
                };
                let h = match existing {
                    Some(h) => {
                        let inside = pintu_domain::AreaCode::parse(&h.village_code)
                            .is_ok_and(|v| self.scope.allows(&v));
                        if !inside {
                            return Ok(());
                        }
                        h.id
                    }
                    None => {
                        let h = new_id();
                        reg::insert_household(
                            tx,
                            &NewHousehold {
                                id: &h,
                                kk_number: r.kk_number.as_deref(),
                                village_code: &village,
                                address: r.address.as_deref(),
                                rt: r.rt.as_deref(),
                                rw: r.rw.as_deref(),
                                at: Utc::now(),
                            },
                        )
                        .await?;
                        let entry = self.history(r, &h, &village, "registered", None);
                        reg::append_history(tx, HistoryTable::Household, &[entry]).await?;
                        h
                    }
                };
                self.households.insert(group, h.clone());
                h
            }
        };
        let current = q::household_of(tx, person).await?;
        if current.as_deref() == Some(household.as_str()) {
            return Ok(());
        }
        if let Some(old) = &current {
            if self.source != "kk" {
                return Ok(());
            }
            let old_kk = reg::household(tx, &Scope::National, old)
                .await?
                .and_then(|h| h.kk_number);
            reg::delete_member(tx, person).await?;
            // The family card decides: recorded with the authority that decided it.
            let now = Utc::now();
            review::insert_conflicts(
                tx,
                &[NewConflict {
                    id: new_id(),
                    person_id: person.to_string(),
                    village_code: village.clone(),
                    field: Field::Household.code(),
                    current_value: old_kk,
                    current_source: None,
                    proposed_value: r.kk_number.clone(),
                    proposed_source: self.source.to_string(),
                    source_record_id: r.id,
                    import_id: self.import_id.to_string(),
                    status: "auto",
                    rule: Some(conflicts::Rule::KkHousehold.code()),
                    decision: Some("take"),
                    at: now,
                }],
            )
            .await?;
            let entry = self.history(
                r,
                old,
                &village,
                "member_left",
                Some("on another family card"),
            );
            reg::append_history(tx, HistoryTable::Household, &[entry]).await?;
        }
        let relationship = r.relationship.as_deref().unwrap_or("LAINNYA");
        reg::insert_member(
            tx,
            person,
            &household,
            relationship,
            &village,
            Utc::now().date_naive(),
        )
        .await?;
        let entry = self.history(r, &household, &village, "member_added", None);
        reg::append_history(tx, HistoryTable::Household, &[entry]).await?;
        Ok(())
    }
}

/// A disagreement between a linked row and the registry, and how it is settled.
struct Disagreement {
    field: Field,
    current: Option<String>,
    proposed: Option<String>,
    outcome: Outcome,
}

/// Judges the disagreements of one import's rows with the people they are linked to.
struct Judge {
    source: Source,
    today: NaiveDate,
    /// People linked to an e-KTP record.
    ektp: HashSet<String>,
    /// People linked to an e-KTP or family-card record.
    civil: HashSet<String>,
    /// Disagreements already before a reviewer (or decided by one).
    reviewed: HashSet<(String, String, String)>,
}

impl Judge {
    /// The standing of people before `import_id` (its own links are not counted, so a
    /// resumed synchronisation judges as an uninterrupted one did).
    async fn load(
        c: &impl ConnectionTrait,
        scope: &Scope,
        source: Source,
        import_id: &str,
    ) -> Result<Judge> {
        let mut ektp = HashSet::new();
        let mut civil = HashSet::new();
        for (person, src) in review::civil_backed_people(c, scope, import_id).await? {
            if src == "ektp" {
                ektp.insert(person.clone());
            }
            civil.insert(person);
        }
        let reviewed = review::reviewed_keys(c, scope).await?.into_iter().collect();
        Ok(Judge {
            source,
            today: crate::today(),
            ektp,
            civil,
            reviewed,
        })
    }

    fn standing(&self, p: &q::LinkCandidate) -> Standing {
        Standing {
            source: self.source,
            // Whoever has an e-KTP is of its age.
            adult: self.source == Source::Ektp
                || crate::registry::age_on(p.birth_date, self.today) >= 17,
            ektp_backed: self.ektp.contains(&p.id),
            civil_backed: self.civil.contains(&p.id),
        }
    }

    fn disagreements(&self, p: &q::LinkCandidate, r: &SourceRecordRow) -> Vec<Disagreement> {
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
        if p.life_status == "dead" && self.lists_as_alive(p, r) {
            let current = match p.died_on {
                Some(d) => format!("dead {d}"),
                None => "dead".into(),
            };
            push(Field::LifeStatus, current, "alive".into(), Outcome::Open);
        }
        out
    }

    /// Whether a row says that a person the registry has as dead is alive: an inactive
    /// insurance membership does not, nor a card or survey dated before the death.
    fn lists_as_alive(&self, p: &q::LinkCandidate, r: &SourceRecordRow) -> bool {
        let attrs: HashMap<String, String> =
            serde_json::from_str(&r.attributes).unwrap_or_default();
        if attrs.get("status").is_some_and(|s| s == "TIDAK AKTIF") {
            return false;
        }
        let dated = ["surveyed_on", "issued_on"]
            .iter()
            .find_map(|k| attrs.get(*k))
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        !matches!((dated, p.died_on), (Some(on), Some(died)) if on < died)
    }
}

impl Writer<'_> {
    /// Records how the row linked to `p` disagrees with the registry: settled by a source's
    /// authority (and applied, when the source's value is taken) or queued for review.
    async fn reconcile(
        &mut self,
        tx: &DatabaseTransaction,
        judge: &mut Judge,
        p: &q::LinkCandidate,
        r: &SourceRecordRow,
    ) -> Result<()> {
        let found = judge.disagreements(p, r);
        if found.is_empty() {
            return Ok(());
        }
        let codes: Vec<&str> = found.iter().map(|d| d.field.code()).collect();
        let origin: HashMap<String, String> = review::provenance(tx, &p.id, &codes)
            .await?
            .into_iter()
            .map(|pv| (pv.field, pv.source))
            .collect();
        let now = Utc::now();
        let mut rows = Vec::new();
        let mut changes: Vec<(&'static str, Value)> = Vec::new();
        let mut history = Vec::new();
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
                    if !judge.reviewed.insert(key) {
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
                history.push(entry);
            }
            rows.push(NewConflict {
                id: new_id(),
                person_id: p.id.clone(),
                village_code: p.village_code.clone(),
                field: d.field.code(),
                current_value: d.current,
                current_source: origin.get(d.field.code()).cloned(),
                proposed_value: d.proposed,
                proposed_source: self.source.to_string(),
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
            reg::append_history(tx, HistoryTable::Person, &history).await?;
        }
        review::insert_conflicts(tx, &rows).await?;
        Ok(())
    }
}
