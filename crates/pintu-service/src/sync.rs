//! Synchronisation: after an import, every source row is linked to a person in the registry
//! (exactly on a plausible NIK, otherwise by [`pintu_domain::linkage`]), and a person (with
//! their household, for the sources that describe households) is created only when nothing
//! matches. Every row is decided first, against the registry as it was, and the decisions
//! are kept (the plan); they are then applied in transactions of [`sync_batch_rows`] rows
//! ([`crate::sync_writer`]), so an interrupted synchronisation continues where it stopped,
//! exactly as an uninterrupted one would have.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use foldhash::{HashMap as FastMap, HashSet as FastSet};
use pintu_domain::Sex;
use pintu_domain::access::Scope;
use pintu_domain::linkage::{self, LinkFields, Model, compare_name};
use pintu_domain::sources::Source;
use pintu_store::imports::{self as q, LinkCount, SourceRecordRow};
use pintu_store::review;
use serde::Serialize;

use crate::imports::ImportStep;
use crate::sync_writer::{Judge, Writer};
use crate::{Ctx, Error, Pintu, Result};

/// Rows decided per transaction on SQLite. Each transaction's commit writes the pages it
/// changed and copies the WAL back into the database file: 4,000 rows a transaction instead
/// of 1,000 applied a plan in 10.2 s instead of 12.3 s at 100,000 people (10,000 rows:
/// 9.3 s), while an officer's edit waits behind a batch for about 140 ms at most.
pub const SYNC_BATCH_ROWS: usize = 4_000;

/// Rows decided per transaction on PostgreSQL, where 4,000 rows a transaction made applying
/// the plans of 100,000 people take 54.1 s instead of 29.6 s.
pub const SYNC_BATCH_ROWS_PG: usize = 1_000;

/// Rows decided per transaction on `backend`.
pub fn sync_batch_rows(backend: pintu_store::sea_orm::DbBackend) -> usize {
    match backend {
        pintu_store::sea_orm::DbBackend::Postgres => SYNC_BATCH_ROWS_PG,
        _ => SYNC_BATCH_ROWS,
    }
}

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
    /// step of [`Pintu::run_import`]): `done`, or `cancelled` when a cancel was asked for
    /// before the last batch (the batches applied stay; running it again goes on from
    /// there). Running it again decides only the rows not decided yet. Another run of the
    /// same import that applies a batch first makes this one stop (`import_taken_over`).
    pub(crate) async fn sync_rows(
        &self,
        ctx: &Ctx,
        import: &q::ImportRow,
        progress: &mut (dyn FnMut(ImportStep, i64, i64) + Send),
    ) -> Result<&'static str> {
        let scope = match import.area_code.as_deref() {
            Some(a) => Scope::Within(
                pintu_domain::AreaCode::parse(a).map_err(|e| Error::Internal(e.into()))?,
            ),
            None => Scope::National,
        };
        let started = std::time::Instant::now();
        let accepted = q::import(self.store.conn(), &import.id)
            .await?
            .ok_or(Error::NotFound)?;
        progress(
            ImportStep::Linking,
            accepted.rows_synchronised,
            accepted.rows_accepted,
        );
        self.plan_sync(import, &scope).await?;
        let planned = started.elapsed();
        // Where this run starts counting, read before the rows still to apply: a run of the
        // same import that applies a batch after this read makes each of this run's batches
        // fail their check, so no row is applied twice.
        let Some(mut synchronised) = self.sync_position(&import.id).await? else {
            return Ok("cancelled");
        };
        let pending = q::pending_plan(&self.store, &import.id).await?;
        // The people the plan links to, as they are now: a person is linked once per import,
        // so their values are those the plan saw until their own row is applied.
        let people: FastMap<String, q::LinkCandidate> = q::link_candidates(&self.store, &scope)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let source = Source::parse(&import.source)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown source")))?;
        let judge = Judge::load(&self.store, &scope, source, &import.id).await?;
        let households =
            crate::sync_writer::households_made_before(&self.store, source, &import.id).await?;
        let mut writer = Writer {
            source,
            import_id: &import.id,
            actor: ctx.actor.label(),
            scope: scope.clone(),
            households,
            judge,
        };
        // How long the commits took, of the apply: the pages each batch changed, written.
        let mut committing = std::time::Duration::ZERO;
        for chunk in pending.chunks(sync_batch_rows(self.store.backend())) {
            let tx = self.store.begin().await?;
            let rows = chunk.len() as i64;
            if !q::synchronised_batch(&tx, &import.id, synchronised, rows, Utc::now()).await? {
                tx.rollback().await?;
                return Err(Error::Conflict {
                    code: "import_taken_over",
                    field: None,
                });
            }
            writer.apply(&tx, chunk, &people).await?;
            let commit = std::time::Instant::now();
            tx.commit().await?;
            committing += commit.elapsed();
            synchronised += rows;
            progress(ImportStep::Linking, synchronised, accepted.rows_accepted);
            // A cancel asked for meanwhile stops the synchronisation here, between batches.
            if self.sync_position(&import.id).await?.is_none() {
                return Ok("cancelled");
            }
        }
        let applied = started.elapsed();
        let found = self.scan_duplicates(&import.id, &scope).await?;
        tracing::info!(
            import = %import.id,
            plan_ms = planned.as_millis() as u64,
            apply_ms = (applied - planned).as_millis() as u64,
            commit_ms = committing.as_millis() as u64,
            duplicates_ms = (started.elapsed() - applied).as_millis() as u64,
            "synchronised"
        );
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
        Ok("done")
    }

    /// How many of an import's rows are synchronised; none when a cancel has been asked for.
    async fn sync_position(&self, import_id: &str) -> Result<Option<i64>> {
        let now = q::import(self.store.conn(), import_id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok((now.status != "cancelling").then_some(now.rows_synchronised))
    }

    /// Decides every row of an import against the registry as it is before any of them is
    /// applied, and writes the decisions in one transaction; nothing to do when they are
    /// written already.
    async fn plan_sync(&self, import: &q::ImportRow, scope: &Scope) -> Result<()> {
        let c = self.store.conn();
        if q::has_plan(c, &import.id).await? {
            return Ok(());
        }
        let records = q::records(&self.store, &import.id).await?;
        let candidates = q::link_candidates(&self.store, scope).await?;
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
        let created: FastSet<String> = q::people_created_by(&self.store, import_id)
            .await?
            .into_iter()
            .collect();
        if created.is_empty() {
            return Ok(0);
        }
        let people = q::link_candidates(&self.store, scope).await?;
        let fields: Vec<LinkFields> = people
            .iter()
            .map(|p| fields_of_candidate(p, Vec::new(), false))
            .collect();
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

/// A person of the registry; `households`: whether `others` was filled from their household
/// (empty then means they live alone).
fn fields_of_candidate(c: &q::LinkCandidate, others: Vec<String>, households: bool) -> LinkFields {
    LinkFields {
        key: c.id.clone(),
        nik: c.nik.clone(),
        kk: c.kk_number.clone(),
        name_key: c.name_key.clone(),
        birth_date: Some(c.birth_date),
        sex: Sex::parse(&c.sex),
        village: Some(c.village_code.clone()),
        others,
        household_listed: households && c.household_id.is_some(),
    }
}

fn fields_of_record(r: &SourceRecordRow, others: Vec<String>) -> LinkFields {
    LinkFields {
        key: format!("{:012}", r.row_number),
        nik: r.nik.clone(),
        kk: r.kk_number.clone(),
        name_key: r.name_key.clone(),
        birth_date: r.birth_date,
        sex: r.sex.as_deref().and_then(Sex::parse),
        village: r.village_code.clone(),
        others,
        // A card names the whole household (but for children born since it was issued).
        household_listed: r.source == "kps",
    }
}

/// Name keys of the other members of each candidate's household, in candidate order.
fn candidates_households(candidates: &[q::LinkCandidate]) -> Vec<Vec<String>> {
    let mut households: FastMap<&str, Vec<usize>> = FastMap::default();
    for (i, c) in candidates.iter().enumerate() {
        if let Some(h) = &c.household_id {
            households.entry(h).or_default().push(i);
        }
    }
    candidates
        .iter()
        .enumerate()
        .map(|(i, c)| match &c.household_id {
            Some(h) => households[h.as_str()]
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| candidates[j].name_key.clone())
                .collect(),
            None => Vec::new(),
        })
        .collect()
}

/// Name keys of the other members of each row's household, in row order: the partner and
/// members a social protection card names, or the other rows with the same KK number (or
/// survey household) in the file.
fn records_households(records: &[SourceRecordRow]) -> Vec<Vec<String>> {
    let group = |r: &SourceRecordRow| -> Option<String> {
        match (&r.kk_number, &r.source_key) {
            (Some(kk), _) => Some(format!("kk:{kk}")),
            (None, Some(key)) if r.source == "dtks" => Some(format!("dtks:{key}")),
            _ => None,
        }
    };
    let mut groups: FastMap<String, Vec<usize>> = FastMap::default();
    for (j, r) in records.iter().enumerate() {
        if r.source != "kps"
            && let Some(g) = group(r)
        {
            groups.entry(g).or_default().push(j);
        }
    }
    records
        .iter()
        .enumerate()
        .map(|(j, r)| {
            if r.source == "kps" {
                let attrs: HashMap<String, String> =
                    serde_json::from_str(&r.attributes).unwrap_or_default();
                return ["partner_name", "member_names"]
                    .iter()
                    .filter_map(|k| attrs.get(*k))
                    .flat_map(|v| v.split(';'))
                    .map(pintu_domain::names::search_key)
                    .filter(|n| !n.is_empty())
                    .collect();
            }
            match group(r).and_then(|g| groups.get(&g)) {
                Some(members) => members
                    .iter()
                    .filter(|&&k| k != j)
                    .map(|&k| records[k].name_key.clone())
                    .collect(),
                None => Vec::new(),
            }
        })
        .collect()
}

/// Decides every row: a plausible NIK first, then the probabilistic model over what is
/// left, then a new person where the row says enough.
fn decide(records: &[SourceRecordRow], candidates: &[q::LinkCandidate]) -> Vec<Decision> {
    let by_nik: FastMap<&str, usize> = candidates
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
                // A NIK is trusted when the name agrees with it. The birth date does not
                // vouch for it: the NIK spells the birth date, so a NIK mistyped in its last
                // digits is a neighbour's born the same day in the same district.
                !taken[i] && compare_name(&candidates[i].name_key, &r.name_key) <= 2
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
    let mut candidate_others = candidates_households(candidates);
    let mut record_others = records_households(records);
    // The rows linked on their NIK are known matches: they say how one person's other
    // values differ between this source and the registry.
    let known: Vec<linkage::Pattern> = decisions
        .iter()
        .enumerate()
        .filter_map(|(j, d)| match d {
            Some(Decision::Link { candidate, .. }) => Some((j, *candidate)),
            _ => None,
        })
        .filter(|(_, i)| sampled(&candidates[*i].id, known_stride(records.len())))
        .map(|(j, i)| {
            linkage::compare(
                &fields_of_candidate(&candidates[i], candidate_others[i].clone(), true),
                &fields_of_record(&records[j], record_others[j].clone()),
            )
        })
        .collect();
    let known_m = if known.len() >= linkage::MIN_KNOWN_MATCHES {
        linkage::m_from_matches(&known, &[linkage::NIK, linkage::NAME])
    } else {
        // A source without NIKs (the social protection cards): three samples of known
        // matches, each chosen on two fields, measure every m.
        let known = card_matches(
            records,
            candidates,
            &record_others,
            &pending,
            &open,
            |i, j| {
                linkage::compare(
                    &fields_of_candidate(&candidates[i], candidate_others[i].clone(), true),
                    &fields_of_record(&records[j], record_others[j].clone()),
                )
            },
        );
        use linkage::{HOUSEHOLD, KK, NAME, m_from_matches};
        let mut m = m_from_matches(&known.by_card_and_name, &[KK, NAME]);
        m[KK] = m_from_matches(&known.by_name_and_household, &[NAME, HOUSEHOLD])[KK].clone();
        m[NAME] = m_from_matches(&known.by_card_and_household, &[KK, HOUSEHOLD])[NAME].clone();
        m
    };
    let registry: Vec<LinkFields> = open
        .iter()
        .map(|&i| {
            fields_of_candidate(
                &candidates[i],
                std::mem::take(&mut candidate_others[i]),
                true,
            )
        })
        .collect();
    let rows: Vec<LinkFields> = pending
        .iter()
        .map(|&j| fields_of_record(&records[j], std::mem::take(&mut record_others[j])))
        .collect();
    let result = linkage::link(&registry, &rows, LINK_THRESHOLD, &known_m);
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

/// Known matches among the rows of a source without NIKs (the social protection cards), in
/// three samples each chosen on two fields, so that every field is measured on a sample not
/// chosen on it.
#[derive(Debug, Default)]
struct CardMatches {
    /// The row's family card number names exactly one candidate of the row's name, spelled
    /// the same: these measure the household (and the village).
    by_card_and_name: Vec<linkage::Pattern>,
    /// The row's village has exactly one candidate of the row's name whose household the row
    /// names: these measure the card.
    by_name_and_household: Vec<linkage::Pattern>,
    /// Of the people on the row's family card, exactly one lives with the others the row
    /// names and is not one of them (a card names the head apart from the partner and the
    /// members): these measure the name.
    by_card_and_household: Vec<linkage::Pattern>,
}

/// The [`CardMatches`] of the rows still to link, compared by `compare(candidate, row)` and
/// sampled as the NIK's known matches are.
fn card_matches(
    records: &[SourceRecordRow],
    candidates: &[q::LinkCandidate],
    record_others: &[Vec<String>],
    pending: &[usize],
    open: &[usize],
    mut compare: impl FnMut(usize, usize) -> linkage::Pattern,
) -> CardMatches {
    let mut by_card: FastMap<&str, Vec<usize>> = FastMap::default();
    let mut by_village: FastMap<(&str, &str), Vec<usize>> = FastMap::default();
    for &i in open {
        let c = &candidates[i];
        if let Some(kk) = &c.kk_number {
            by_card.entry(kk).or_default().push(i);
        }
        by_village
            .entry((&c.village_code, &c.name_key))
            .or_default()
            .push(i);
    }
    let stride = known_stride(records.len());
    let mut known = CardMatches::default();
    // The one candidate found, if it is in the sample.
    let only = |found: &[(usize, linkage::Pattern)]| match found {
        [(i, p)] if sampled(&candidates[*i].id, stride) => Some(*p),
        _ => None,
    };
    let at_home = |p: &linkage::Pattern| p[linkage::HOUSEHOLD] == Some(0);
    for &j in pending {
        let r = &records[j];
        if let Some(family) = r.kk_number.as_deref().and_then(|kk| by_card.get(kk)) {
            let family: Vec<(usize, linkage::Pattern)> =
                family.iter().map(|&i| (i, compare(i, j))).collect();
            let named: Vec<_> = family
                .iter()
                .filter(|(i, _)| candidates[*i].name_key == r.name_key)
                .copied()
                .collect();
            known.by_card_and_name.extend(only(&named));
            let head: Vec<_> = family
                .iter()
                .filter(|(i, p)| {
                    at_home(p)
                        && !record_others[j]
                            .iter()
                            .any(|o| compare_name(o, &candidates[*i].name_key) <= 1)
                })
                .copied()
                .collect();
            known.by_card_and_household.extend(only(&head));
        }
        if let Some(namesakes) = r
            .village_code
            .as_deref()
            .and_then(|v| by_village.get(&(v, r.name_key.as_str())))
        {
            let home: Vec<_> = namesakes
                .iter()
                .map(|&i| (i, compare(i, j)))
                .filter(|(_, p)| at_home(p))
                .collect();
            known.by_name_and_household.extend(only(&home));
        }
    }
    known
}

/// Known matches to compare: every one up to 50,000 rows, about one in `stride` beyond.
fn known_stride(rows: usize) -> usize {
    rows.div_ceil(50_000).max(1)
}

/// Whether the person `id` is in a one-in-`stride` sample: chosen by the id (FNV-1a), so the
/// sample does not depend on the order of the rows.
fn sampled(id: &str, stride: usize) -> bool {
    linkage::fnv1a(id).is_multiple_of(stride as u64)
}

/// A person is created from a row only when it gives a name, sex, birth date and village.
fn can_create(r: &SourceRecordRow) -> bool {
    !r.name_key.is_empty()
        && r.sex.as_deref().and_then(Sex::parse).is_some()
        && r.birth_date.is_some()
        && r.village_code.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, name: &str, kk: &str) -> q::LinkCandidate {
        q::LinkCandidate {
            id: id.into(),
            nik: None,
            full_name: name.to_uppercase(),
            name_key: name.into(),
            birth_date: chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("date"),
            sex: "L".into(),
            village_code: "35.07.30.2006".into(),
            kk_number: Some(kk.into()),
            household_id: Some(kk.into()),
            life_status: "alive".into(),
            died_on: None,
        }
    }

    fn card(row: i64, head: &str, kk: Option<&str>) -> SourceRecordRow {
        SourceRecordRow {
            id: row,
            row_number: row + 1,
            source: "kps".into(),
            source_key: None,
            nik: None,
            kk_number: kk.map(str::to_string),
            full_name: head.to_uppercase(),
            name_key: head.into(),
            birth_date: None,
            sex: None,
            relationship: None,
            village_code: Some("35.07.30.2006".into()),
            address: None,
            rt: None,
            rw: None,
            attributes: "{}".into(),
            person_id: None,
            link_method: None,
            link_score: None,
        }
    }

    #[test]
    fn a_card_is_a_known_match_when_its_card_or_its_household_names_one_person_of_its_name() {
        let kk = "3507300101700001";
        let candidates = vec![
            person("a", "paiman", kk),
            person("b", "legini retnowati", kk),
            // Namesakes on one card (a person listed twice): which one is not known.
            person("c", "sumini", "3507300101700002"),
            person("d", "sumini", "3507300101700002"),
            // The namesake on another card.
            person("e", "paiman", "3507300101700003"),
        ];
        let records = vec![
            card(0, "paiman", Some(kk)),
            card(1, "paiman", None),
            card(2, "paeman", Some(kk)),
            card(3, "sumini", Some("3507300101700002")),
        ];
        // The first card names Paiman's wife.
        let others = vec![vec!["legini retnowati".to_string()], vec![], vec![], vec![]];
        let pending: Vec<usize> = (0..records.len()).collect();
        let open: Vec<usize> = (0..candidates.len()).collect();
        // The first card agrees with both Paimans' households, the card without a number
        // with the first Paiman's only.
        let known = card_matches(&records, &candidates, &others, &pending, &open, |i, j| {
            let mut p = [None; linkage::N_FIELDS];
            if (j == 0 && [0, 1, 4].contains(&i)) || (i, j) == (0, 1) {
                p[linkage::HOUSEHOLD] = Some(0);
            }
            p[linkage::KK] = Some(u8::from(j != 0 || i > 1));
            p[linkage::NAME] = Some(u8::from(i != 0));
            p
        });
        // Paiman, the only one of his name on the first card's family card.
        assert_eq!(known.by_card_and_name.len(), 1);
        assert_eq!(known.by_card_and_name[0][linkage::NAME], Some(0));
        // Paiman again: his wife, on the same family card and at home, is named on the card.
        assert_eq!(known.by_card_and_household.len(), 1);
        assert_eq!(known.by_card_and_household[0][linkage::KK], Some(0));
        assert_eq!(known.by_card_and_household[0][linkage::NAME], Some(0));
        // The card without a number: one Paiman of the village lives with its household.
        assert_eq!(known.by_name_and_household.len(), 1);
        assert_eq!(known.by_name_and_household[0][linkage::KK], Some(1));
    }
}
