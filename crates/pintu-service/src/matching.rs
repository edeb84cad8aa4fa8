//! Matching (MAT-2, 3, 5): the cross-table of an area — for every active programme, the people
//! its rule makes eligible, ranked by the programme's order and cut at its quotas, the rest
//! on a waiting list — with the village forum's overrides; "why?" for one person; and the
//! rule editor's preview.
//!
//! A run is a job: two lanes take the programmes in turn, each programme written in one
//! transaction with the run's progress, so a run interrupted by a crash resumes with the
//! programmes not yet written and ends with the same lines as an uninterrupted one.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use base64::Engine;
use chrono::{NaiveDate, Utc};
use pintu_domain::access::Scope;
use pintu_domain::area::AreaCode;
use pintu_domain::jkn::{
    BpjsTkAdvice, JknAdvice, PbiStanding, Tariffs, bpjs_tk_advice, jkn_advice,
};
use pintu_domain::rules::{self, RankKey, RuleError, Truth, area_contains};
use pintu_store::bulk::ProgrammeLines;
use pintu_store::matching::{
    self as q, Candidate, ListLine, MatchProgramme, NewOverride, NewResult, OverrideRow, RunRow,
};
use pintu_store::rules_sql::{Compiler, key_is_decimal};
use pintu_store::{facts, new_id};
use serde::{Deserialize, Serialize};

use crate::registry::{Page, page_limit, registry_scope};
use crate::{Ctx, Error, Pintu, Result};

/// Why a lane of a run stopped before the programmes ran out.
enum LaneStop {
    /// The run is no longer running: cancelled, or finished by another worker.
    Moved,
    Failed(Error),
}

/// What one programme came to in a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgrammeSummary {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub rule_version: Option<i32>,
    pub eligible: u64,
    pub selected: u64,
    pub waiting: u64,
    pub added: u64,
    pub removed: u64,
    /// Why the programme was skipped (no rule in force, a rule that no longer checks).
    pub error: Option<String>,
}

fn parse_summary(s: &str) -> Vec<ProgrammeSummary> {
    serde_json::from_str(s).unwrap_or_default()
}

/// A run with its per-programme summary.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    #[serde(flatten)]
    pub row: RunRow,
    pub programmes: Vec<ProgrammeSummary>,
}

impl From<RunRow> for Run {
    fn from(row: RunRow) -> Run {
        let programmes = parse_summary(&row.summary);
        Run { row, programmes }
    }
}

/// The areas a village code lies in, itself included, as codes (`35`, `35.07`, ...).
pub(crate) fn ancestors(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = code[at..].find('.') {
        out.push(code[..at + i].to_string());
        at += i + 1;
    }
    out.push(code.to_string());
    out
}

/// The part of `scope` a programme covers (`area` = the programme's area; none = national).
fn programme_scope(scope: &Scope, area: Option<&str>) -> Option<Scope> {
    match area.and_then(|a| AreaCode::parse(a).ok()) {
        None => Some(scope.clone()),
        Some(a) => scope.narrow(&a),
    }
}

/// Orders candidates by the ranking keys (unknown values last), then by person id.
fn rank_order(keys: &[RankKey]) -> impl Fn(&Candidate, &Candidate) -> Ordering + '_ {
    move |a, b| {
        for (i, k) in keys.iter().enumerate() {
            let ord = match (a.keys[i], b.keys[i]) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => {
                    let o = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
                    if k.descending { o.reverse() } else { o }
                }
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        a.person_id.cmp(&b.person_id)
    }
}

/// Cuts a ranked list at the quotas: each person counts against the most specific quota
/// area holding their village; `total` caps the whole list. Forum removals leave the list
/// first; forum additions are listed as `added` whatever their rank.
pub(crate) fn allocate(
    ranked: Vec<Candidate>,
    quotas: &[(String, i64)],
    total: Option<i64>,
    removed: &HashSet<String>,
    added: &HashSet<String>,
) -> Vec<NewResult> {
    let mut per_area: HashMap<&str, i64> = HashMap::new();
    let mut selected_total = 0i64;
    let mut out = Vec::with_capacity(ranked.len());
    for c in ranked {
        if removed.contains(&c.person_id) {
            out.push(NewResult {
                person_id: c.person_id,
                household_id: c.household_id,
                village_code: c.village_code,
                rank: None,
                status: "removed",
            });
            continue;
        }
        let area = quotas
            .iter()
            .filter(|(a, _)| area_contains(a, &c.village_code))
            .max_by_key(|(a, _)| a.len());
        let key = area.map_or("", |(a, _)| a.as_str());
        let rank = per_area.entry(key).or_insert(0);
        *rank += 1;
        let within_area = area.is_none_or(|(_, q)| *rank <= *q);
        let within_total = total.is_none_or(|t| selected_total < t);
        let status = if added.contains(&c.person_id) {
            "added"
        } else if within_area && within_total {
            "selected"
        } else {
            "waiting"
        };
        if status == "selected" {
            selected_total += 1;
        }
        out.push(NewResult {
            person_id: c.person_id,
            household_id: c.household_id,
            village_code: c.village_code,
            rank: Some(*rank),
            status,
        });
    }
    out
}

/// "Why?" for one programme.
#[derive(Debug, Clone, Serialize)]
pub struct Entitlement {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub rule: Option<String>,
    pub rule_version: Option<i32>,
    /// The rule's answer now: eligible (true), not (false), or cannot tell (unknown).
    pub truth: Truth,
    pub clauses: Vec<rules::Clause>,
    /// Enrolled now (the person, or for a household programme anyone in the household).
    pub enrolled: bool,
    /// The person's line in the latest run covering their village: selected, waiting,
    /// added or removed, with the rank.
    pub list_status: Option<String>,
    pub rank: Option<i64>,
    pub run_id: Option<String>,
    /// The village forum's decision in force, if any.
    pub forum: Option<OverrideRow>,
    /// Unmet conditions of a combined package: programmes this one implies or requires that
    /// the person is not enrolled in.
    pub missing: Vec<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Entitlements {
    pub person_id: String,
    pub village_code: String,
    pub on: NaiveDate,
    pub programmes: Vec<Entitlement>,
    /// The JKN segment the person should have and its contribution (MAT-6).
    pub jkn: JknAdvice,
    /// The BPJS Ketenagakerjaan programmes the person should be in as a worker.
    pub bpjs_tk: BpjsTkAdvice,
}

/// The JKN contribution rates shipped with Pintu (`data/tariffs/jkn.toml`).
pub const SHIPPED_TARIFFS: &str = include_str!("../../../data/tariffs/jkn.toml");

/// The shipped tariffs, read once.
pub fn tariffs() -> Result<&'static Tariffs> {
    static TARIFFS: std::sync::OnceLock<Result<Tariffs, String>> = std::sync::OnceLock::new();
    TARIFFS
        .get_or_init(|| toml::from_str(SHIPPED_TARIFFS).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::Internal(anyhow::anyhow!("data/tariffs/jkn.toml: {e}")))
}

/// The editor's preview: how many living people in the area, how many the rule makes
/// eligible; or the rule's errors.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub area: Option<String>,
    pub people: i64,
    pub eligible: i64,
    pub errors: Vec<RuleError>,
}

/// A village forum decision to record.
#[derive(Debug, Clone, Deserialize)]
pub struct OverrideInput {
    pub programme: String,
    pub person_id: String,
    /// `add` or `remove`
    pub action: String,
    pub reason: String,
    pub forum_date: NaiveDate,
}

fn codes(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

impl Pintu {
    fn matching_area(&self, ctx: &Ctx, area: Option<&str>) -> Result<AreaCode> {
        if !ctx.actor.may_run_matching() {
            return Err(Error::Forbidden);
        }
        let area = match area.filter(|a| !a.is_empty()) {
            Some(a) => AreaCode::parse(a).map_err(|e| Error::invalid("area", e.code()))?,
            None => match ctx.actor.scope() {
                Scope::Within(a) => a,
                Scope::National => return Err(Error::invalid("area", "area_required")),
            },
        };
        if !ctx.actor.scope().allows(&area) {
            return Err(Error::Forbidden);
        }
        Ok(area)
    }

    async fn new_run(&self, ctx: &Ctx, area: AreaCode, on: NaiveDate) -> Result<RunRow> {
        let programmes = q::active_programmes(self.store.conn(), on).await?;
        let scope = Scope::Within(area.clone());
        let total = programmes
            .iter()
            .filter(|g| programme_scope(&scope, g.area_code.as_deref()).is_some())
            .count();
        let now = Utc::now();
        let run = RunRow {
            id: new_id(),
            area_code: area.as_str().to_string(),
            reference_date: on,
            status: "running".into(),
            programmes_done: 0,
            programmes_total: i32::try_from(total).unwrap_or(i32::MAX),
            summary: "[]".into(),
            error: None,
            created_by: ctx.actor.label(),
            created_at: now,
            updated_at: now,
        };
        q::insert_run(self.store.conn(), &run).await?;
        self.audit
            .record(
                ctx,
                "start_matching",
                "match_run",
                Some(&run.id),
                Some(area.as_str()),
                Some(format!("reference date {on}")),
            )
            .await?;
        Ok(run)
    }

    /// Starts a matching run of `area` (default: the actor's) for `on` (default: today) in
    /// the background and returns it at once.
    pub async fn start_matching(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        on: Option<NaiveDate>,
    ) -> Result<Run> {
        let area = self.matching_area(ctx, area)?;
        let run = self
            .new_run(ctx, area, on.unwrap_or_else(crate::today))
            .await?;
        let pintu = self.clone();
        let spawned = run.clone();
        tokio::spawn(async move {
            let id = spawned.id.clone();
            if let Err(e) = pintu.execute_run(spawned, |_, _| {}).await {
                tracing::error!(run = %id, error = %e, "matching run failed");
            }
        });
        Ok(run.into())
    }

    /// Runs a matching run to its end (the CLI), reporting progress.
    pub async fn run_matching(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        on: Option<NaiveDate>,
        progress: impl FnMut(i32, i32) + Send,
    ) -> Result<Run> {
        let area = self.matching_area(ctx, area)?;
        let run = self
            .new_run(ctx, area, on.unwrap_or_else(crate::today))
            .await?;
        Ok(self.execute_run(run, progress).await?.into())
    }

    /// Resumes the runs a stop interrupted (called when the server starts).
    pub async fn resume_matching(&self) -> Result<usize> {
        q::drop_stale_populations(self.store.conn()).await?;
        let runs = q::unfinished_runs(self.store.conn()).await?;
        let n = runs.len();
        for run in runs {
            tracing::info!(run = %run.id, done = run.programmes_done, "resuming a matching run");
            let pintu = self.clone();
            tokio::spawn(async move {
                let id = run.id.clone();
                if let Err(e) = pintu.execute_run(run, |_, _| {}).await {
                    tracing::error!(run = %id, error = %e, "matching run failed");
                }
            });
        }
        Ok(n)
    }

    async fn execute_run(
        &self,
        run: RunRow,
        progress: impl FnMut(i32, i32) + Send,
    ) -> Result<RunRow> {
        let area = AreaCode::parse(&run.area_code)
            .map_err(|_| Error::Internal(anyhow::anyhow!("run area")))?;
        let scope = Scope::Within(area);
        let on = run.reference_date;
        let programmes = q::active_programmes(self.store.conn(), on).await?;
        let done: HashSet<String> = q::programmes_with_results(self.store.conn(), &run.id)
            .await?
            .into_iter()
            .collect();
        let summary = parse_summary(&run.summary);
        if !q::has_population(self.store.conn(), &run.id).await? {
            let started = std::time::Instant::now();
            let people = self.store.build_run_population(&run.id, &scope).await?;
            tracing::info!(run = %run.id, people, ms = started.elapsed().as_millis() as u64, "population copied");
        }
        let todo: Vec<(MatchProgramme, Scope)> = programmes
            .into_iter()
            .filter(|g| !done.contains(&g.id) && !summary.iter().any(|s| s.code == g.code))
            .filter_map(|g| {
                let within = programme_scope(&scope, g.area_code.as_deref())?;
                Some((g, within))
            })
            .collect();
        // Two lanes take the programmes in turn, each querying a programme and then writing
        // its lines: while one writes, the other queries or writes, so the two cores share
        // the work however long each programme's query and lines take.
        let next = AtomicUsize::new(0);
        let progress = std::sync::Mutex::new(progress);
        let lane = || async {
            while let Some((g, within)) = todo.get(next.fetch_add(1, AtomicOrdering::Relaxed)) {
                self.match_and_save(&run, g, within, &progress).await?;
            }
            Ok::<(), LaneStop>(())
        };
        let ended = match tokio::try_join!(lane(), lane()) {
            Ok(_) => None,
            Err(LaneStop::Moved) => Some(None),
            Err(LaneStop::Failed(e)) => Some(Some(e)),
        };
        let tx = self.store.begin().await?;
        match &ended {
            None => q::end_run(&tx, &run.id, "finished", None).await?,
            Some(Some(e)) => q::end_run(&tx, &run.id, "failed", Some(&e.to_string())).await?,
            // Cancelled or finished by another worker: left as it is.
            Some(None) => 0,
        };
        let now = q::run(&tx, &run.id).await?.ok_or(Error::NotFound)?;
        if now.status != "running" {
            q::drop_population(&tx, &run.id).await?;
        }
        tx.commit().await?;
        match ended {
            Some(Some(e)) => Err(e),
            _ => Ok(now),
        }
    }

    /// Matches one programme of a run and writes its lines with the run's progress.
    async fn match_and_save(
        &self,
        run: &RunRow,
        g: &MatchProgramme,
        within: &Scope,
        progress: &std::sync::Mutex<impl FnMut(i32, i32)>,
    ) -> std::result::Result<(), LaneStop> {
        let started = std::time::Instant::now();
        let (lines, line) = match self
            .match_programme(&run.id, g, within, run.reference_date)
            .await
        {
            Ok(found) => found,
            Err(Error::Invalid(e)) => (
                Vec::new(),
                ProgrammeSummary {
                    code: g.code.clone(),
                    name_id: g.name_id.clone(),
                    name_en: g.name_en.clone(),
                    rule_version: g.rule_version,
                    error: Some(e.to_string()),
                    ..Default::default()
                },
            ),
            Err(e) => return Err(LaneStop::Failed(e)),
        };
        let eligible = line.eligible;
        let saving = std::time::Instant::now();
        let lines = ProgrammeLines {
            run_id: run.id.clone(),
            programme_id: g.id.clone(),
            rule_version: g.rule_version.unwrap_or(0),
            lines,
        };
        let add = Box::new(move |done: i32, summary: &str| {
            let mut summary = parse_summary(summary);
            summary.retain(|s| s.code != line.code);
            summary.push(line);
            summary.sort_by(|a, b| a.code.cmp(&b.code));
            (
                done + 1,
                serde_json::to_string(&summary).unwrap_or_default(),
            )
        });
        let saved = self
            .store
            .save_programme_lines(lines, add)
            .await
            .map_err(|e| LaneStop::Failed(e.into()))?;
        tracing::debug!(programme = %g.code, ms = saving.elapsed().as_millis() as u64, "lines saved");
        let Some(done) = saved else {
            return Err(LaneStop::Moved);
        };
        tracing::info!(
            run = %run.id,
            programme = %g.code,
            eligible,
            ms = started.elapsed().as_millis() as u64,
            "programme matched"
        );
        if let Ok(mut progress) = progress.lock() {
            (*progress)(done, run.programmes_total);
        }
        Ok(())
    }

    /// One programme's lines in `scope`.
    async fn match_programme(
        &self,
        run_id: &str,
        g: &MatchProgramme,
        scope: &Scope,
        on: NaiveDate,
    ) -> Result<(Vec<NewResult>, ProgrammeSummary)> {
        let mut line = ProgrammeSummary {
            code: g.code.clone(),
            name_id: g.name_id.clone(),
            name_en: g.name_en.clone(),
            rule_version: g.rule_version,
            ..Default::default()
        };
        let Some(text) = &g.rule else {
            line.error = Some("no rule in force".into());
            return Ok((Vec::new(), line));
        };
        let rule = rules::check(text).map_err(|_| Error::invalid("rule", "rule_invalid"))?;
        let keys = rules::check_ranking(&g.rank_by)
            .map_err(|_| Error::invalid("rank_by", "rule_invalid"))?;
        let compiler = Compiler::new(self.store.backend(), on);
        let sql = compiler.eligible(run_id, &rule.expr, &keys, scope, g.target == "household");
        let decimal: Vec<bool> = keys.iter().map(key_is_decimal).collect();
        let started = std::time::Instant::now();
        let mut found = q::candidates(&self.store, sql, &decimal).await?;
        tracing::debug!(programme = %g.code, rows = found.len(), ms = started.elapsed().as_millis() as u64, "eligibility query");
        found.sort_by(rank_order(&keys));
        line.eligible = found.len() as u64;
        let overrides = q::overrides(self.store.conn(), scope, Some(&g.id), None, false).await?;
        let removed: HashSet<String> = overrides
            .iter()
            .filter(|o| o.action == "remove")
            .map(|o| o.person_id.clone())
            .collect();
        let mut added: HashSet<String> = overrides
            .iter()
            .filter(|o| o.action == "add")
            .map(|o| o.person_id.clone())
            .collect();
        let quotas = q::quotas(self.store.conn(), &g.id).await?;
        let listed: HashSet<String> = found.iter().map(|c| c.person_id.clone()).collect();
        let mut lines = allocate(found, &quotas, g.quota, &removed, &added);
        // Forum additions the rule did not find.
        added.retain(|p| !listed.contains(p));
        let extra: Vec<String> = added.into_iter().collect();
        let households = pintu_store::registry::households_of(self.store.conn(), &extra).await?;
        for o in overrides.iter().filter(|o| extra.contains(&o.person_id)) {
            lines.push(NewResult {
                person_id: o.person_id.clone(),
                household_id: households.get(&o.person_id).cloned(),
                village_code: o.village_code.clone(),
                rank: None,
                status: "added",
            });
        }
        for l in &lines {
            match l.status {
                "selected" => line.selected += 1,
                "waiting" => line.waiting += 1,
                "added" => line.added += 1,
                _ => line.removed += 1,
            }
        }
        Ok((lines, line))
    }

    /// A run, if the actor's area and the run's overlap.
    pub async fn matching_run(&self, ctx: &Ctx, id: &str) -> Result<Run> {
        let scope = registry_scope(ctx)?;
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let run = q::run(self.store.conn(), &id)
            .await?
            .ok_or(Error::NotFound)?;
        let area = AreaCode::parse(&run.area_code).map_err(|_| Error::NotFound)?;
        scope.narrow(&area).ok_or(Error::NotFound)?;
        Ok(run.into())
    }

    /// The latest runs of the actor's area, its parts and the areas above it.
    pub async fn matching_runs(&self, ctx: &Ctx) -> Result<Vec<Run>> {
        let scope = registry_scope(ctx)?;
        let above = match &scope {
            Scope::Within(a) => ancestors(a.as_str()),
            Scope::National => Vec::new(),
        };
        Ok(q::recent_runs(self.store.conn(), &scope, &above, 50)
            .await?
            .into_iter()
            .map(Run::from)
            .collect())
    }

    /// The scope a list request reads: the actor's area narrowed to `area`.
    fn list_scope(ctx: &Ctx, area: Option<&str>) -> Result<Scope> {
        let scope = registry_scope(ctx)?;
        match area.filter(|a| !a.is_empty()) {
            None => Ok(scope),
            Some(a) => {
                let a = AreaCode::parse(a).map_err(|e| Error::invalid("area", e.code()))?;
                scope.narrow(&a).ok_or(Error::Forbidden)
            }
        }
    }

    /// The latest finished run covering `scope` (a run of the area or of an area above it).
    async fn run_covering(&self, scope: &Scope) -> Result<Option<RunRow>> {
        let areas = match scope {
            Scope::Within(a) => ancestors(a.as_str()),
            Scope::National => return Ok(None),
        };
        Ok(q::latest_finished_run(self.store.conn(), &areas).await?)
    }

    /// A page of a programme's list (the pre-identified people) in an area, from the latest
    /// run covering it: by village, then rank.
    pub async fn eligible_list(
        &self,
        ctx: &Ctx,
        programme: &str,
        area: Option<&str>,
        status: Option<&str>,
        after: Option<&str>,
        limit: Option<u64>,
    ) -> Result<(Option<Run>, Page<ListLine>)> {
        let scope = Self::list_scope(ctx, area)?;
        if let Some(s) = status.filter(|s| !s.is_empty())
            && !["selected", "waiting", "added", "removed"].contains(&s)
        {
            return Err(Error::invalid("status", "status_unknown"));
        }
        let status = status.filter(|s| !s.is_empty());
        let limit = page_limit(limit)?;
        let (programme_id, _) = q::programme_id(self.store.conn(), programme)
            .await?
            .ok_or(Error::NotFound)?;
        let Some(run) = self.run_covering(&scope).await? else {
            return Ok((
                None,
                Page {
                    items: Vec::new(),
                    next: None,
                },
            ));
        };
        let cursor = after
            .filter(|a| !a.is_empty())
            .map(decode_list_cursor)
            .transpose()?;
        let items = q::list_page(
            self.store.conn(),
            &run.id,
            &programme_id,
            &scope,
            status,
            cursor
                .as_ref()
                .map(|(v, r, p)| (v.as_str(), *r, p.as_str())),
            limit,
        )
        .await?;
        self.audit
            .record(
                ctx,
                "read_list",
                "programme",
                Some(programme),
                scope_area(&scope).as_deref(),
                Some(format!("run {}, {} lines", run.id, items.len())),
            )
            .await?;
        Ok((
            Some(run.into()),
            Page::of(items, limit, |l| {
                encode_list_cursor(&l.village_code, l.rank.unwrap_or(i64::MAX), &l.person_id)
            }),
        ))
    }

    /// Every line of a programme's list in an area (the CSV and printable list).
    pub async fn full_list(
        &self,
        ctx: &Ctx,
        programme: &str,
        area: Option<&str>,
        status: Option<&str>,
    ) -> Result<(Option<Run>, Vec<ListLine>)> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        let mut run = None;
        loop {
            let (r, page) = self
                .eligible_list(ctx, programme, area, status, after.as_deref(), Some(500))
                .await?;
            run = run.or(r);
            all.extend(page.items);
            match page.next {
                Some(n) if all.len() < 200_000 => after = Some(n),
                _ => break,
            }
        }
        Ok((run, all))
    }

    /// "Why?": for each active programme covering the person's village, whether the rule
    /// makes them eligible and the clauses that decided it, their enrolment, their line in
    /// the latest run, the forum's decision, and unmet package conditions.
    pub async fn entitlements(
        &self,
        ctx: &Ctx,
        person_id: &str,
        on: Option<NaiveDate>,
    ) -> Result<Entitlements> {
        let id = pintu_store::parse_id(person_id).ok_or(Error::NotFound)?;
        if ctx.actor.is_resident() {
            // A resident asks about themself or a member of their household only.
            let p = pintu_store::registry::person(self.store.conn(), &Scope::National, &id)
                .await?
                .ok_or(Error::NotFound)?;
            if !ctx.actor.is_resident_of(&p.id, p.household_id.as_deref()) {
                return Err(Error::NotFound);
            }
        }
        let scope = match ctx.actor.is_resident() {
            true => Scope::National,
            false => registry_scope(ctx)?,
        };
        let subjects = facts::subjects_of(self.store.conn(), &id)
            .await?
            .ok_or(Error::NotFound)?;
        let village = subjects.person.village.clone();
        let village_code = AreaCode::parse(&village).map_err(|_| Error::NotFound)?;
        if !scope.allows(&village_code) {
            return Err(Error::NotFound);
        }
        let on = on.unwrap_or_else(crate::today);
        let programmes = q::active_programmes(self.store.conn(), on).await?;
        let run = q::latest_finished_run(self.store.conn(), &ancestors(&village)).await?;
        let lines: HashMap<String, (String, Option<i64>)> = match &run {
            Some(r) => q::person_results(self.store.conn(), &r.id, &id)
                .await?
                .into_iter()
                .map(|(g, status, rank, _)| (g, (status, rank)))
                .collect(),
            None => HashMap::new(),
        };
        let forum: HashMap<String, OverrideRow> =
            q::overrides(self.store.conn(), &Scope::National, None, Some(&id), false)
                .await?
                .into_iter()
                .map(|o| (o.programme_id.clone(), o))
                .collect();
        let household_enrolments: HashSet<&String> = subjects
            .members
            .iter()
            .flat_map(|m| m.enrolments.iter())
            .collect();
        let mut out = Vec::new();
        for g in programmes.iter().filter(|g| {
            g.area_code
                .as_deref()
                .is_none_or(|a| area_contains(a, &village))
        }) {
            let enrolled = if g.target == "household" {
                household_enrolments.contains(&g.code)
            } else {
                subjects.person.enrolments.contains(&g.code)
            };
            let mut e = Entitlement {
                code: g.code.clone(),
                name_id: g.name_id.clone(),
                name_en: g.name_en.clone(),
                rule: g.rule.clone(),
                rule_version: g.rule_version,
                truth: Truth::Unknown,
                clauses: Vec::new(),
                enrolled,
                list_status: lines.get(&g.id).map(|(s, _)| s.clone()),
                rank: lines.get(&g.id).and_then(|(_, r)| *r),
                run_id: run.as_ref().map(|r| r.id.clone()),
                forum: forum.get(&g.id).cloned(),
                missing: Vec::new(),
                error: None,
            };
            match g.rule.as_deref().map(rules::check) {
                Some(Ok(rule)) => {
                    let outcome = rule.evaluate(&subjects, on);
                    e.truth = outcome.truth;
                    e.clauses = outcome.clauses;
                }
                Some(Err(_)) => e.error = Some("rule_invalid".into()),
                None => e.error = Some("no_rule".into()),
            }
            let served =
                enrolled || matches!(e.list_status.as_deref(), Some("selected") | Some("added"));
            if served {
                let mut wanted = codes(&g.implies);
                wanted.extend(codes(&g.requires));
                e.missing = wanted
                    .into_iter()
                    .filter(|c| !household_enrolments.contains(c))
                    .collect();
            }
            out.push(e);
        }
        let standing = |code: &str| {
            programmes
                .iter()
                .find(|g| g.code == code)
                .and_then(|g| lines.get(&g.id))
                .map(|(status, _)| status.as_str())
        };
        let listed = |code: &str| matches!(standing(code), Some("selected") | Some("added"));
        let pbi = PbiStanding {
            national: listed("PBI-JK"),
            regional: listed("JAMKESDA"),
            waiting: standing("PBI-JK") == Some("waiting")
                || standing("JAMKESDA") == Some("waiting"),
        };
        let jkn = jkn_advice(&subjects, pbi, tariffs()?, on);
        let bpjs_tk = bpjs_tk_advice(&subjects.person, on);
        self.audit
            .record(
                ctx,
                "read_entitlements",
                "person",
                Some(&id),
                Some(&village),
                None,
            )
            .await?;
        Ok(Entitlements {
            person_id: id,
            village_code: village,
            on,
            programmes: out,
            jkn,
            bpjs_tk,
        })
    }

    /// The rule editor's preview: the rule's errors, or how many living people in `area`
    /// (default: the actor's) it makes eligible today.
    pub async fn preview_rule(&self, ctx: &Ctx, rule: &str, area: Option<&str>) -> Result<Preview> {
        let scope = Self::list_scope(ctx, area)?;
        let area = scope_area(&scope);
        let checked = match rules::check(rule) {
            Ok(r) => r,
            Err(errors) => {
                return Ok(Preview {
                    area,
                    people: 0,
                    eligible: 0,
                    errors,
                });
            }
        };
        // The area's population as a snapshot, as a run reads it, in a transaction that is
        // rolled back: the preview writes nothing.
        let tx = self.store.begin().await?;
        let snapshot = pintu_store::new_id();
        q::build_population(&tx, &snapshot, &scope).await?;
        let sql = Compiler::new(self.store.backend(), crate::today()).count(
            &snapshot,
            &checked.expr,
            &scope,
        );
        let (people, eligible) = q::count(&tx, sql).await?;
        tx.rollback().await?;
        Ok(Preview {
            area,
            people,
            eligible,
            errors: Vec::new(),
        })
    }

    /// Records a village forum decision: add a person to a programme's list or remove them,
    /// with the reason; it holds in every later run until revoked.
    pub async fn record_override(&self, ctx: &Ctx, input: OverrideInput) -> Result<OverrideRow> {
        if !ctx.actor.may_record_overrides() {
            return Err(Error::Forbidden);
        }
        let mut errors = pintu_domain::Invalid::default();
        if !["add", "remove"].contains(&input.action.as_str()) {
            errors.push("action", "action_unknown");
        }
        let reason = input.reason.trim();
        if reason.is_empty() {
            errors.push("reason", "reason_required");
        } else if reason.chars().count() > 2000 || reason.chars().any(char::is_control) {
            errors.push("reason", "text_invalid");
        }
        if input.forum_date > crate::today() {
            errors.push("forum_date", "date_in_future");
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let (programme_id, programme_area) = q::programme_id(self.store.conn(), &input.programme)
            .await?
            .ok_or_else(|| Error::invalid("programme", "programme_unknown"))?;
        let person = pintu_store::parse_id(&input.person_id)
            .ok_or_else(|| Error::invalid("person_id", "person_unknown"))?;
        let subjects = facts::subjects_of(self.store.conn(), &person)
            .await?
            .ok_or_else(|| Error::invalid("person_id", "person_unknown"))?;
        let village = subjects.person.village;
        let village_code =
            AreaCode::parse(&village).map_err(|_| Error::invalid("person_id", "person_unknown"))?;
        if !ctx.actor.scope().allows(&village_code) {
            return Err(Error::Forbidden);
        }
        if programme_area
            .as_deref()
            .is_some_and(|a| !area_contains(a, &village))
        {
            return Err(Error::invalid("programme", "programme_not_in_area"));
        }
        let id = new_id();
        let tx = self.store.begin().await?;
        q::insert_override(
            &tx,
            &NewOverride {
                id: &id,
                programme_id: &programme_id,
                person_id: &person,
                village_code: &village,
                action: &input.action,
                reason,
                forum_date: input.forum_date,
                created_by: &ctx.actor.label(),
                at: Utc::now(),
            },
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "record_override",
                "person",
                Some(&person),
                Some(&village),
                Some(format!("{} {}", input.action, input.programme)),
            )
            .await?;
        q::override_by_id(self.store.conn(), &id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Revokes a forum decision in the actor's area.
    pub async fn revoke_override(&self, ctx: &Ctx, id: &str) -> Result<OverrideRow> {
        if !ctx.actor.may_record_overrides() {
            return Err(Error::Forbidden);
        }
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let o = q::override_by_id(self.store.conn(), &id)
            .await?
            .ok_or(Error::NotFound)?;
        let village = AreaCode::parse(&o.village_code).map_err(|_| Error::NotFound)?;
        if !ctx.actor.scope().allows(&village) {
            return Err(Error::NotFound);
        }
        if !q::revoke_override(self.store.conn(), &id, &ctx.actor.label(), Utc::now()).await? {
            return Err(Error::Conflict {
                code: "override_already_revoked",
                field: None,
            });
        }
        self.audit
            .record(
                ctx,
                "revoke_override",
                "person",
                Some(&o.person_id),
                Some(&o.village_code),
                Some(o.programme_code.clone()),
            )
            .await?;
        q::override_by_id(self.store.conn(), &id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// The forum decisions in the actor's area (in force, or all), of one programme if given.
    pub async fn overrides(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        programme: Option<&str>,
        all: bool,
    ) -> Result<Vec<OverrideRow>> {
        let scope = Self::list_scope(ctx, area)?;
        let programme_id = match programme.filter(|p| !p.is_empty()) {
            Some(code) => Some(
                q::programme_id(self.store.conn(), code)
                    .await?
                    .ok_or_else(|| Error::invalid("programme", "programme_unknown"))?
                    .0,
            ),
            None => None,
        };
        let rows = q::overrides(
            self.store.conn(),
            &scope,
            programme_id.as_deref(),
            None,
            all,
        )
        .await?;
        self.audit
            .record(
                ctx,
                "list_overrides",
                "match_override",
                None,
                scope_area(&scope).as_deref(),
                Some(format!("{} rows", rows.len())),
            )
            .await?;
        Ok(rows)
    }
}

/// Gaps by area (MAT-4), from the newest run covering it and the enrolments now.
#[derive(Debug, Clone, Serialize)]
pub struct Gaps {
    pub run: Option<Run>,
    /// Listed (selected or added) but not enrolled, by programme and village.
    pub exclusion: Vec<q::GapCount>,
    /// Enrolled but not on the list, by programme and village.
    pub inclusion: Vec<q::GapCount>,
    /// Households served twice for one need, by need and village.
    pub double_targeting: Vec<q::GapCount>,
}

impl Pintu {
    /// Exclusion errors, inclusion errors and double targeting in an area.
    pub async fn gaps(&self, ctx: &Ctx, area: Option<&str>) -> Result<Gaps> {
        let scope = Self::list_scope(ctx, area)?;
        let run = self.run_covering(&scope).await?;
        let double_targeting = q::double_targeting_counts(self.store.conn(), &scope).await?;
        let (exclusion, inclusion) = match &run {
            Some(r) => {
                let mut ids = Vec::new();
                for p in parse_summary(&r.summary)
                    .iter()
                    .filter(|p| p.error.is_none())
                {
                    if let Some((id, _)) = q::programme_id(self.store.conn(), &p.code).await? {
                        ids.push(id);
                    }
                }
                (
                    q::exclusion_counts(self.store.conn(), &r.id, &scope).await?,
                    q::inclusion_counts(self.store.conn(), &r.id, &ids, &scope).await?,
                )
            }
            None => (Vec::new(), Vec::new()),
        };
        self.audit
            .record(
                ctx,
                "read_gaps",
                "match_run",
                run.as_ref().map(|r| r.id.as_str()),
                scope_area(&scope).as_deref(),
                None,
            )
            .await?;
        Ok(Gaps {
            run: run.map(Run::from),
            exclusion,
            inclusion,
            double_targeting,
        })
    }
}

fn scope_area(scope: &Scope) -> Option<String> {
    match scope {
        Scope::Within(a) => Some(a.as_str().to_string()),
        Scope::National => None,
    }
}

fn encode_list_cursor(village: &str, rank: i64, person: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{village}|{rank}|{person}"))
}

fn decode_list_cursor(s: &str) -> Result<(String, i64, String)> {
    let bad = || Error::invalid("after", "cursor_invalid");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = text.splitn(3, '|');
    let village = parts.next().ok_or_else(bad)?.to_string();
    let rank = parts.next().and_then(|r| r.parse().ok()).ok_or_else(bad)?;
    let person = pintu_store::parse_id(parts.next().ok_or_else(bad)?).ok_or_else(bad)?;
    Ok((village, rank, person))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: &str, village: &str, keys: &[Option<f64>]) -> Candidate {
        Candidate {
            person_id: id.into(),
            household_id: None,
            village_code: village.into(),
            keys: keys.to_vec(),
        }
    }

    #[test]
    fn ancestors_of_a_village_are_every_level_above_and_itself() {
        assert_eq!(
            ancestors("35.07.01.2001"),
            vec!["35", "35.07", "35.07.01", "35.07.01.2001"]
        );
    }

    #[test]
    fn ranking_puts_unknown_values_last_and_breaks_ties_by_person() {
        let keys = rules::check_ranking("household.pmt_score, age desc").expect("checks");
        let mut list = [
            cand("d", "v", &[None, Some(50.0)]),
            cand("c", "v", &[Some(2.0), Some(30.0)]),
            cand("b", "v", &[Some(1.0), Some(30.0)]),
            cand("a", "v", &[Some(2.0), Some(30.0)]),
            cand("e", "v", &[Some(2.0), Some(70.0)]),
        ];
        list.sort_by(rank_order(&keys));
        let order: Vec<&str> = list.iter().map(|c| c.person_id.as_str()).collect();
        assert_eq!(order, vec!["b", "e", "a", "c", "d"]);
    }

    #[test]
    fn quotas_cut_each_area_and_the_forum_moves_people() {
        let ranked = vec![
            cand("1", "35.07.01.2001", &[]),
            cand("2", "35.07.01.2001", &[]),
            cand("3", "35.07.01.2001", &[]),
            cand("4", "35.07.01.2002", &[]),
            cand("5", "35.07.01.2002", &[]),
            cand("6", "35.07.02.2001", &[]),
        ];
        let quotas = vec![
            ("35.07.01".to_string(), 3),
            ("35.07.01.2001".to_string(), 1),
        ];
        let removed: HashSet<String> = ["2".to_string()].into();
        let added: HashSet<String> = ["3".to_string()].into();
        let out = allocate(ranked, &quotas, None, &removed, &added);
        let got: Vec<(&str, Option<i64>, &str)> = out
            .iter()
            .map(|r| (r.person_id.as_str(), r.rank, r.status))
            .collect();
        assert_eq!(
            got,
            vec![
                ("1", Some(1), "selected"),
                ("2", None, "removed"),
                ("3", Some(2), "added"),
                ("4", Some(1), "selected"),
                ("5", Some(2), "selected"),
                ("6", Some(1), "selected"),
            ]
        );
        let capped = allocate(
            vec![
                cand("1", "a", &[]),
                cand("2", "a", &[]),
                cand("3", "a", &[]),
            ],
            &[],
            Some(2),
            &HashSet::new(),
            &HashSet::new(),
        );
        let statuses: Vec<&str> = capped.iter().map(|r| r.status).collect();
        assert_eq!(statuses, vec!["selected", "selected", "waiting"]);
    }

    #[test]
    fn list_cursors_round_trip_and_garbage_is_refused() {
        let id = new_id();
        let c = encode_list_cursor("35.07.01.2001", 12, &id);
        assert_eq!(
            decode_list_cursor(&c).expect("decodes"),
            ("35.07.01.2001".to_string(), 12, id)
        );
        assert!(decode_list_cursor("%%%").is_err());
    }
}
