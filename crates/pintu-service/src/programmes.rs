//! The programme catalogue (PRG-1, PRG-2): the "single form" of every programme, its
//! eligibility rule as versions with effective dates, its quotas per area, and the catalogue
//! shipped with Pintu (`data/programmes/catalogue.toml`, examples) loaded on first start.
//!
//! Programme information is public (no personal data): reading it needs no actor and is not
//! audited. Keeping it is for district back offices and above inside their area; every change
//! is recorded (`updated_by`, a rule version's `created_by`) and written to the audit log.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use pintu_domain::programmes::{
    self as d, Document, Guarantee, Kind, Programme, ProgrammeInput, keeps_catalogue,
};
use pintu_domain::rules;
use pintu_domain::{AreaCode, Invalid};
use pintu_store::Store;
use pintu_store::audit::{AuditEntry, insert_audit};
use pintu_store::new_id;
use pintu_store::programmes::{
    self as q, NewRuleVersion, ProgrammeFilter, ProgrammeRow, QuotaRow, RuleVersionRow,
};
use pintu_store::sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use crate::{Ctx, Error, Pintu, Result, today};

/// The catalogue shipped with Pintu (examples; see `data/programmes/README.md`).
pub const SHIPPED_CATALOGUE: &str = include_str!("../../../data/programmes/catalogue.toml");

/// A programme with its rule versions and quotas: its page.
#[derive(Debug, Clone, Serialize)]
pub struct ProgrammeDetail {
    pub programme: ProgrammeRow,
    pub documents: Vec<Document>,
    pub requires: Vec<String>,
    pub implies: Vec<String>,
    /// Every version of the rule, oldest first.
    pub rules: Vec<RuleVersionRow>,
    /// The version in force today (none before the first takes effect).
    pub rule_in_force: Option<RuleVersionRow>,
    pub quotas: Vec<QuotaRow>,
    /// Whether the programme runs today.
    pub active: bool,
}

impl ProgrammeDetail {
    /// The form as it stands, to edit.
    pub fn input(&self) -> ProgrammeInput {
        input_of(&self.programme)
    }
}

/// A new version of a programme's rule.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RuleVersionInput {
    pub rule: String,
    /// `YYYY-MM-DD`; today when absent. Not before today, unless it is the first version.
    #[serde(default)]
    pub effective_from: Option<String>,
    /// Why it changed.
    #[serde(default)]
    pub note: Option<String>,
}

/// Which programmes a list shows.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProgrammeQuery {
    /// Running on this date (`YYYY-MM-DD`); all when absent.
    #[serde(default)]
    pub active_on: Option<String>,
    #[serde(default)]
    pub guarantee: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    /// Words in the code, the names, the owner or the technical unit.
    #[serde(default)]
    pub q: Option<String>,
}

/// What ending a programme did: deleted when it was never used, else ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ended {
    pub code: String,
    pub deleted: bool,
    /// The last day it runs, when it was ended rather than deleted.
    pub active_until: Option<NaiveDate>,
}

/// What loading a catalogue file did, by programme code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CatalogueReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    /// Programmes whose rule changed: a new version, in force from today.
    pub new_rule_versions: Vec<String>,
}

/// One programme of a catalogue file, checked.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    pub programme: Programme,
    pub rule: String,
    pub rule_effective_from: NaiveDate,
    /// The call centre's questions and answers (`questions = [...]` in the file).
    pub questions: Vec<d::Question>,
}

/// The JSON of a list of strings or documents as stored.
fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// A stored list of programme codes.
pub fn codes_of(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// A stored list of documents.
pub fn documents_of(json: &str) -> Vec<Document> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The form of a stored programme.
pub fn input_of(p: &ProgrammeRow) -> ProgrammeInput {
    ProgrammeInput {
        code: p.code.clone(),
        name_id: p.name_id.clone(),
        name_en: p.name_en.clone(),
        description_id: p.description_id.clone(),
        description_en: p.description_en.clone(),
        owner_agency: p.owner_agency.clone(),
        technical_unit: p.technical_unit.clone(),
        guarantee: p.guarantee.clone(),
        kind: p.kind.clone(),
        target: p.target.clone(),
        benefit_id: p.benefit_id.clone(),
        benefit_en: p.benefit_en.clone(),
        benefit_amount: p.benefit_amount,
        benefit_period: p.benefit_period.clone(),
        area_code: p.area_code.clone(),
        budget: p.budget,
        quota: p.quota,
        need: p.need.clone(),
        rank_by: Some(p.rank_by.clone()),
        documents: documents_of(&p.documents),
        procedure_id: p.procedure_id.clone(),
        procedure_en: p.procedure_en.clone(),
        focal_point: p.focal_point.clone(),
        active_from: p.active_from.to_string(),
        active_until: p.active_until.map(|d| d.to_string()),
        requires: codes_of(&p.requires),
        implies: codes_of(&p.implies),
        example: p.example,
    }
}

/// The row of a valid programme.
fn row_of(
    p: &Programme,
    id: String,
    by: &str,
    created_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> ProgrammeRow {
    ProgrammeRow {
        id,
        code: p.code.clone(),
        name_id: p.name_id.clone(),
        name_en: p.name_en.clone(),
        description_id: p.description_id.clone(),
        description_en: p.description_en.clone(),
        owner_agency: p.owner_agency.clone(),
        technical_unit: p.technical_unit.clone(),
        guarantee: p.guarantee.code().into(),
        kind: p.kind.code().into(),
        benefit_id: p.benefit_id.clone(),
        benefit_en: p.benefit_en.clone(),
        benefit_amount: p.benefit_amount,
        benefit_period: p.benefit_period.map(|b| b.code().to_string()),
        area_code: p.area.as_ref().map(|a| a.as_str().to_string()),
        budget: p.budget,
        quota: p.quota,
        target: p.target.code().into(),
        need: p.need.clone(),
        rank_by: p.rank_by.clone(),
        documents: json(&p.documents),
        procedure_id: p.procedure_id.clone(),
        procedure_en: p.procedure_en.clone(),
        focal_point: p.focal_point.clone(),
        active_from: p.active_from,
        active_until: p.active_until,
        requires: json(&p.requires),
        implies: json(&p.implies),
        example: p.example,
        updated_by: by.to_string(),
        created_at,
        updated_at: at,
    }
}

/// Whether two rows hold the same form (who wrote it and when aside).
fn same_form(a: &ProgrammeRow, b: &ProgrammeRow) -> bool {
    let strip = |r: &ProgrammeRow| ProgrammeRow {
        id: String::new(),
        updated_by: String::new(),
        created_at: DateTime::<Utc>::MIN_UTC,
        updated_at: DateTime::<Utc>::MIN_UTC,
        ..r.clone()
    };
    strip(a) == strip(b)
}

/// Instants as both backends keep them (PostgreSQL: microseconds), so a client's copy of
/// `updated_at` compares equal.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Checks a rule's text: the checked rule, or [`Error::Rule`] with every error.
pub fn check_rule(rule: &str) -> Result<rules::Rule> {
    rules::check(rule).map_err(|errors| Error::Rule {
        field: "rule",
        errors,
    })
}

/// Checks a ranking order's text.
pub fn check_ranking(rank_by: &str) -> Result<Vec<rules::RankKey>> {
    rules::check_ranking(rank_by).map_err(|errors| Error::Rule {
        field: "rank_by",
        errors,
    })
}

/// Programme codes of a package that are not in `known`, as field errors.
fn unknown_codes(p: &Programme, known: &BTreeSet<String>, errors: &mut Invalid) {
    for (field, list) in [("requires", &p.requires), ("implies", &p.implies)] {
        for (i, c) in list.iter().enumerate() {
            if !known.contains(c) {
                errors.push(format!("{field}[{i}]"), "programme_unknown");
            }
        }
    }
}

fn text_field(v: &Option<String>, field: &str, max: usize) -> Result<Option<String>> {
    match v.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => pintu_domain::complaints::text(t, max)
            .map(Some)
            .map_err(|code| Error::invalid(field, code)),
    }
}

fn parse_area(v: &str) -> Result<AreaCode> {
    match v.trim() {
        "" => Err(Error::invalid("area_code", "required")),
        s => AreaCode::parse(s).map_err(|e| Error::invalid("area_code", e.code())),
    }
}

/// A filter value: one of the codes it filters on; empty (or `all`) filters nothing.
fn filter_code(
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

/// Parses and checks a catalogue file (TOML, `[[programme]]` tables): every form valid,
/// every rule and ranking order checked, codes unique, packages naming programmes of the
/// file or of `known`. Returns a message naming the programme and field at fault.
pub fn parse_catalogue(
    text: &str,
    known: &BTreeSet<String>,
) -> std::result::Result<Vec<CatalogueEntry>, String> {
    let file: toml::Table = text.parse().map_err(|e| format!("not a catalogue: {e}"))?;
    let mut problems = Vec::new();
    for key in file.keys().filter(|k| *k != "programme") {
        problems.push(format!("unknown table or key `{key}`"));
    }
    let tables = match file.get("programme") {
        None => Vec::new(),
        Some(toml::Value::Array(a)) => a.clone(),
        Some(_) => return Err("`programme` must be an array of tables ([[programme]])".into()),
    };
    let mut entries = Vec::new();
    for (i, t) in tables.into_iter().enumerate() {
        let toml::Value::Table(mut t) = t else {
            problems.push(format!("programme {}: not a table", i + 1));
            continue;
        };
        let name = t
            .get("code")
            .and_then(toml::Value::as_str)
            .map_or_else(|| format!("programme {}", i + 1), str::to_string);
        let rule = match t.remove("rule") {
            Some(toml::Value::String(r)) => r,
            Some(_) => {
                problems.push(format!("{name}: rule: must be text"));
                continue;
            }
            None => {
                problems.push(format!("{name}: rule: required"));
                continue;
            }
        };
        let effective = match t.remove("rule_effective_from") {
            None => None,
            Some(toml::Value::String(s)) => match d::parse_date(&s) {
                Ok(date) => Some(date),
                Err(code) => {
                    problems.push(format!("{name}: rule_effective_from: {code}"));
                    continue;
                }
            },
            Some(_) => {
                problems.push(format!(
                    "{name}: rule_effective_from: must be YYYY-MM-DD text"
                ));
                continue;
            }
        };
        let questions = match t.remove("questions") {
            None => Vec::new(),
            Some(v) => match v.try_into::<Vec<d::Question>>() {
                Ok(list) => match d::check_questions(&list) {
                    Ok(list) => list,
                    Err(inv) => {
                        for f in inv.0 {
                            problems.push(format!("{name}: {}: {}", f.field, f.code));
                        }
                        continue;
                    }
                },
                Err(e) => {
                    problems.push(format!("{name}: questions: {}", e.to_string().trim()));
                    continue;
                }
            },
        };
        let input: ProgrammeInput = match toml::Value::Table(t).try_into() {
            Ok(input) => input,
            Err(e) => {
                problems.push(format!("{name}: {}", e.to_string().trim()));
                continue;
            }
        };
        let programme = match input.validate() {
            Ok(p) => p,
            Err(inv) => {
                for f in inv.0 {
                    problems.push(format!("{name}: {}: {}", f.field, f.code));
                }
                continue;
            }
        };
        for (field, text, result) in [
            ("rule", &rule, rules::check(&rule).map(|_| ())),
            (
                "rank_by",
                &programme.rank_by,
                rules::check_ranking(&programme.rank_by).map(|_| ()),
            ),
        ] {
            if let Err(errors) = result {
                for e in errors {
                    problems.push(format!(
                        "{name}: {field} `{text}`: line {}, column {}: {}",
                        e.line, e.column, e.message_en
                    ));
                }
            }
        }
        let rule_effective_from = effective.unwrap_or(programme.active_from);
        entries.push(CatalogueEntry {
            programme,
            rule,
            rule_effective_from,
            questions,
        });
    }
    let mut codes: BTreeSet<String> = known.clone();
    let mut seen = BTreeSet::new();
    for e in &entries {
        if !seen.insert(e.programme.code.clone()) {
            problems.push(format!("{}: code: listed twice", e.programme.code));
        }
        codes.insert(e.programme.code.clone());
    }
    for e in &entries {
        let mut inv = Invalid::default();
        unknown_codes(&e.programme, &codes, &mut inv);
        for f in inv.0 {
            let list = if f.field.starts_with("requires") {
                &e.programme.requires
            } else {
                &e.programme.implies
            };
            let i: usize = f
                .field
                .split(['[', ']'])
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            problems.push(format!(
                "{}: {}: no programme {}",
                e.programme.code,
                f.field,
                list.get(i).map_or("", String::as_str)
            ));
        }
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems.join("\n"))
    }
}

/// Loads a catalogue into an empty programmes table: the file at `path`, or the catalogue
/// shipped with Pintu. Does nothing when the catalogue already holds programmes, so it is
/// safe at every start. Returns how many programmes were loaded.
pub async fn load_catalogue(store: &Store, path: Option<&Path>) -> Result<usize> {
    if q::count(store.conn()).await? > 0 {
        return Ok(0);
    }
    let text = match path {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| Error::Internal(anyhow::anyhow!("{}: {e}", p.display())))?,
        None => SHIPPED_CATALOGUE.to_string(),
    };
    let entries = parse_catalogue(&text, &BTreeSet::new())
        .map_err(|m| Error::Internal(anyhow::anyhow!("programme catalogue: {m}")))?;
    let actor = "system:catalogue";
    let at = now();
    let tx = store.begin().await?;
    if q::count(&tx).await? > 0 {
        return Ok(0);
    }
    for e in &entries {
        insert_programme(&tx, e, actor, at).await?;
    }
    insert_audit(
        &tx,
        &[AuditEntry {
            at,
            actor: actor.into(),
            action: "programme.catalogue_load".into(),
            record_type: "programme".into(),
            record_id: None,
            area_code: None,
            request_id: None,
            detail: Some(format!("programmes={}", entries.len())),
        }],
    )
    .await?;
    tx.commit().await?;
    tracing::info!(programmes = entries.len(), "programme catalogue loaded");
    Ok(entries.len())
}

/// Inserts a programme and the first version of its rule; returns the programme's id.
async fn insert_programme(
    tx: &DatabaseTransaction,
    e: &CatalogueEntry,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<String> {
    let id = new_id();
    q::insert(tx, &row_of(&e.programme, id.clone(), actor, at, at))
        .await
        .map_err(code_taken)?;
    q::insert_rule(
        tx,
        &NewRuleVersion {
            id: &new_id(),
            programme_id: &id,
            rule: e.rule.trim(),
            effective_from: e.rule_effective_from,
            note: None,
            created_by: actor,
            at,
        },
    )
    .await?;
    if !e.questions.is_empty() {
        q::replace_questions(tx, &id, &e.questions, actor, at).await?;
    }
    Ok(id)
}

/// A unique violation on the code as a conflict on the field.
fn code_taken(e: pintu_store::StoreError) -> Error {
    match Error::from(e) {
        Error::Conflict { code, .. } => Error::Conflict {
            code,
            field: Some("code".into()),
        },
        other => other,
    }
}

fn forbidden_unless(allowed: bool) -> Result<()> {
    if allowed {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

impl Pintu {
    /// Programmes matching `query`, by code. Public information: no actor needed.
    pub async fn programmes(&self, query: &ProgrammeQuery) -> Result<Vec<ProgrammeRow>> {
        let active_on = match query.active_on.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(d::parse_date(s).map_err(|c| Error::invalid("active_on", c))?),
        };
        let guarantee = filter_code(query.guarantee.as_deref(), "guarantee", |s| {
            Guarantee::parse(s).is_some()
        })?;
        let kind = filter_code(query.kind.as_deref(), "kind", |s| Kind::parse(s).is_some())?;
        let text = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.chars().count() > 100) {
            return Err(Error::invalid("q", "too_long"));
        }
        Ok(q::list(
            self.store.conn(),
            &ProgrammeFilter {
                active_on,
                guarantee: guarantee.as_deref(),
                kind: kind.as_deref(),
                text,
            },
        )
        .await?)
    }

    /// A programme by code, with its rule versions and quotas. Public information.
    pub async fn programme(&self, code: &str) -> Result<ProgrammeDetail> {
        let code = d::parse_code(code).map_err(|_| Error::NotFound)?;
        let c = self.store.conn();
        let programme = q::by_code(c, &code).await?.ok_or(Error::NotFound)?;
        let rules = q::rules(c, &programme.id).await?;
        let on = today();
        let rule_in_force = q::rule_in_force(c, &programme.id, on).await?;
        let quotas = q::quotas(c, &programme.id).await?;
        Ok(ProgrammeDetail {
            documents: documents_of(&programme.documents),
            requires: codes_of(&programme.requires),
            implies: codes_of(&programme.implies),
            active: programme.active_from <= on && programme.active_until.is_none_or(|u| u >= on),
            programme,
            rules,
            rule_in_force,
            quotas,
        })
    }

    /// Whether the actor may change the programme with this code (the pages show the
    /// managers' links only then).
    pub async fn may_manage_programme(&self, ctx: &Ctx, code: &str) -> Result<bool> {
        let p = self.programme(code).await?.programme;
        let area = p.area_code.as_deref().and_then(|a| AreaCode::parse(a).ok());
        Ok(d::may_manage(&ctx.actor, area.as_ref()))
    }

    /// Checks a valid form against what the catalogue holds: its area exists, the
    /// programmes of its package exist, its ranking order checks.
    async fn check_references(&self, p: &Programme) -> Result<()> {
        let mut errors = Invalid::default();
        if let Some(area) = &p.area
            && self.store.area(area.as_str()).await?.is_none()
        {
            errors.push("area_code", "area_unknown");
        }
        let wanted: Vec<String> = p.requires.iter().chain(&p.implies).cloned().collect();
        let known: BTreeSet<String> = q::existing_codes(self.store.conn(), &wanted)
            .await?
            .into_iter()
            .collect();
        unknown_codes(p, &known, &mut errors);
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        check_ranking(&p.rank_by)?;
        Ok(())
    }

    /// Adds a programme with the first version of its rule, in force from the day the
    /// programme starts. A rule that does not check is refused with its errors and nothing
    /// is written.
    pub async fn create_programme(
        &self,
        ctx: &Ctx,
        input: &ProgrammeInput,
        rule: &str,
    ) -> Result<ProgrammeDetail> {
        forbidden_unless(keeps_catalogue(&ctx.actor))?;
        let mut p = input.validate();
        if rule.trim().is_empty() {
            let mut errors = p.as_ref().err().cloned().unwrap_or_default();
            errors.push("rule", "required");
            p = Err(errors);
        }
        let p = p.map_err(Error::Invalid)?;
        forbidden_unless(d::may_manage(&ctx.actor, p.area.as_ref()))?;
        self.check_references(&p).await?;
        check_rule(rule)?;
        let actor = ctx.actor.label();
        let at = now();
        let tx = self.store.begin().await?;
        let entry = CatalogueEntry {
            rule_effective_from: p.active_from,
            rule: rule.trim().to_string(),
            programme: p,
            questions: Vec::new(),
        };
        let id = insert_programme(&tx, &entry, &actor, at).await?;
        tx.commit().await?;
        let area = entry.programme.area.as_ref().map(|a| a.as_str());
        self.audit
            .record(
                ctx,
                "programme.create",
                "programme",
                Some(&id),
                area,
                Some(format!("code={}", entry.programme.code)),
            )
            .await?;
        self.programme(&entry.programme.code).await
    }

    /// Changes a programme's form (not its code, nor its rule: rules change by versions).
    /// `seen` is the `updated_at` the form was read with: a programme changed by someone
    /// else meanwhile answers `programme_changed`.
    pub async fn update_programme(
        &self,
        ctx: &Ctx,
        code: &str,
        input: &ProgrammeInput,
        seen: DateTime<Utc>,
    ) -> Result<ProgrammeDetail> {
        forbidden_unless(keeps_catalogue(&ctx.actor))?;
        let current = self.programme(code).await?.programme;
        let current_area = current
            .area_code
            .as_deref()
            .and_then(|a| AreaCode::parse(a).ok());
        forbidden_unless(d::may_manage(&ctx.actor, current_area.as_ref()))?;
        let mut input = input.clone();
        if input.code.trim().is_empty() {
            input.code = current.code.clone();
        }
        let p = input.validate()?;
        if p.code != current.code {
            return Err(Error::invalid("code", "code_cannot_change"));
        }
        forbidden_unless(d::may_manage(&ctx.actor, p.area.as_ref()))?;
        self.check_references(&p).await?;
        let at = now().max(current.updated_at + chrono::Duration::microseconds(1));
        let row = row_of(
            &p,
            current.id.clone(),
            &ctx.actor.label(),
            current.created_at,
            at,
        );
        let tx = self.store.begin().await?;
        if !q::update(&tx, &row, seen).await? {
            return Err(Error::Conflict {
                code: "programme_changed",
                field: None,
            });
        }
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "programme.update",
                "programme",
                Some(&current.id),
                row.area_code.as_deref(),
                Some(format!("code={}", row.code)),
            )
            .await?;
        self.programme(&row.code).await
    }

    /// Records the next version of a programme's rule. It takes effect on `effective_from`
    /// (today by default), which may not be in the past unless it is the first version; until
    /// then the version before stays in force.
    pub async fn add_rule_version(
        &self,
        ctx: &Ctx,
        code: &str,
        input: &RuleVersionInput,
    ) -> Result<RuleVersionRow> {
        forbidden_unless(keeps_catalogue(&ctx.actor))?;
        let detail = self.programme(code).await?;
        let p = &detail.programme;
        let area = p.area_code.as_deref().and_then(|a| AreaCode::parse(a).ok());
        forbidden_unless(d::may_manage(&ctx.actor, area.as_ref()))?;
        let mut errors = Invalid::default();
        let effective_from = match input.effective_from.as_deref().map(str::trim) {
            None | Some("") => Some(today()),
            Some(s) => d::parse_date(s)
                .map_err(|c| errors.push("effective_from", c))
                .ok(),
        };
        if let Some(date) = effective_from
            && !detail.rules.is_empty()
            && date < today()
        {
            errors.push("effective_from", "effective_date_past");
        }
        if input.rule.trim().is_empty() {
            errors.push("rule", "required");
        }
        let note = match text_field(&input.note, "note", 1000) {
            Ok(n) => n,
            Err(Error::Invalid(inv)) => {
                errors.0.extend(inv.0);
                None
            }
            Err(e) => return Err(e),
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let effective_from = effective_from.unwrap_or_else(today);
        check_rule(&input.rule)?;
        let id = new_id();
        let tx = self.store.begin().await?;
        let version = q::insert_rule(
            &tx,
            &NewRuleVersion {
                id: &id,
                programme_id: &p.id,
                rule: input.rule.trim(),
                effective_from,
                note: note.as_deref(),
                created_by: &ctx.actor.label(),
                at: now(),
            },
        )
        .await
        .map_err(|e| match Error::from(e) {
            // Someone else added a version at the same moment.
            Error::Conflict { .. } => Error::Conflict {
                code: "programme_changed",
                field: None,
            },
            other => other,
        })?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "programme.rule_version",
                "programme",
                Some(&p.id),
                p.area_code.as_deref(),
                Some(format!(
                    "code={} version={version} effective_from={effective_from}",
                    p.code
                )),
            )
            .await?;
        let rules = q::rules(self.store.conn(), &p.id).await?;
        rules
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("rule version {id} not found")))
    }

    /// Sets a programme's quota for an area inside it: by an officer whose area contains the
    /// quota's (a district sets its villages' quotas of a national programme).
    pub async fn set_quota(
        &self,
        ctx: &Ctx,
        code: &str,
        area: &str,
        quota: i64,
    ) -> Result<QuotaRow> {
        forbidden_unless(keeps_catalogue(&ctx.actor))?;
        let (p, area) = self.quota_target(ctx, code, area).await?;
        if quota < 0 {
            return Err(Error::invalid("quota", "amount_negative"));
        }
        let tx = self.store.begin().await?;
        q::set_quota(&tx, &p.id, area.as_str(), quota).await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "programme.quota_set",
                "programme",
                Some(&p.id),
                Some(area.as_str()),
                Some(format!("code={} quota={quota}", p.code)),
            )
            .await?;
        Ok(QuotaRow {
            area_code: area.as_str().to_string(),
            quota,
        })
    }

    /// Removes a programme's quota for an area (not found when there was none).
    pub async fn remove_quota(&self, ctx: &Ctx, code: &str, area: &str) -> Result<()> {
        forbidden_unless(keeps_catalogue(&ctx.actor))?;
        let (p, area) = self.quota_target(ctx, code, area).await?;
        let tx = self.store.begin().await?;
        if !q::remove_quota(&tx, &p.id, area.as_str()).await? {
            return Err(Error::NotFound);
        }
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "programme.quota_remove",
                "programme",
                Some(&p.id),
                Some(area.as_str()),
                Some(format!("code={}", p.code)),
            )
            .await?;
        Ok(())
    }

    /// The programme and quota area of a quota change, checked: the area exists, lies in
    /// the programme's, and in the actor's.
    async fn quota_target(
        &self,
        ctx: &Ctx,
        code: &str,
        area: &str,
    ) -> Result<(ProgrammeRow, AreaCode)> {
        let p = self.programme(code).await?.programme;
        let area = parse_area(area)?;
        let programme_area = p.area_code.as_deref().and_then(|a| AreaCode::parse(a).ok());
        if !d::quota_area_fits(programme_area.as_ref(), &area) {
            return Err(Error::invalid("area_code", "quota_area_outside_programme"));
        }
        if self.store.area(area.as_str()).await?.is_none() {
            return Err(Error::invalid("area_code", "area_unknown"));
        }
        forbidden_unless(d::may_set_quota(&ctx.actor, &area))?;
        Ok((p, area))
    }

    /// Ends a programme. One ever used (someone enrolled, listed by a run, or decided on by a
    /// village forum) stays in the catalogue and stops running after today; one never used
    /// is deleted with its rules and quotas.
    pub async fn end_programme(&self, ctx: &Ctx, code: &str) -> Result<Ended> {
        forbidden_unless(keeps_catalogue(&ctx.actor))?;
        let p = self.programme(code).await?.programme;
        let area = p.area_code.as_deref().and_then(|a| AreaCode::parse(a).ok());
        forbidden_unless(d::may_manage(&ctx.actor, area.as_ref()))?;
        let tx = self.store.begin().await?;
        let used = q::was_used(&tx, &p.id, &p.code).await?;
        let ended = if used {
            let until = p.active_until.map_or(today(), |u| u.min(today()));
            q::end(&tx, &p.id, until, &ctx.actor.label(), now()).await?;
            Ended {
                code: p.code.clone(),
                deleted: false,
                active_until: Some(until),
            }
        } else {
            q::delete(&tx, &p.id).await?;
            Ended {
                code: p.code.clone(),
                deleted: true,
                active_until: None,
            }
        };
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                if used {
                    "programme.end"
                } else {
                    "programme.delete"
                },
                "programme",
                Some(&p.id),
                p.area_code.as_deref(),
                Some(format!("code={}", p.code)),
            )
            .await?;
        Ok(ended)
    }

    /// Loads a catalogue file (`pintu programmes load`): adds its programmes, and updates
    /// those whose code exists (a changed rule becomes a new version in force from today, or
    /// from the file's `rule_effective_from` if later). All or nothing: a file with any error
    /// changes nothing.
    pub async fn import_catalogue(&self, ctx: &Ctx, text: &str) -> Result<CatalogueReport> {
        forbidden_unless(keeps_catalogue(&ctx.actor))?;
        let c = self.store.conn();
        let existing: HashMap<String, ProgrammeRow> = q::list(c, &ProgrammeFilter::default())
            .await?
            .into_iter()
            .map(|p| (p.code.clone(), p))
            .collect();
        let known: BTreeSet<String> = existing.keys().cloned().collect();
        let entries = parse_catalogue(text, &known).map_err(|m| {
            Error::Invalid(Invalid::one(format!("catalogue: {m}"), "catalogue_invalid"))
        })?;
        for e in &entries {
            forbidden_unless(d::may_manage(&ctx.actor, e.programme.area.as_ref()))?;
            if let Some(old) = existing.get(&e.programme.code) {
                let area = old
                    .area_code
                    .as_deref()
                    .and_then(|a| AreaCode::parse(a).ok());
                forbidden_unless(d::may_manage(&ctx.actor, area.as_ref()))?;
            }
            if let Some(area) = &e.programme.area
                && self.store.area(area.as_str()).await?.is_none()
            {
                return Err(Error::invalid(
                    format!("catalogue: {}: area_code", e.programme.code),
                    "area_unknown",
                ));
            }
        }
        let actor = ctx.actor.label();
        let at = now();
        let mut report = CatalogueReport::default();
        let tx = self.store.begin().await?;
        let mut audit = Vec::new();
        for e in &entries {
            let code = e.programme.code.clone();
            let Some(old) = existing.get(&code) else {
                let id = insert_programme(&tx, e, &actor, at).await?;
                audit.push(("programme.create", id, e.programme.area.clone()));
                report.added.push(code);
                continue;
            };
            let row = row_of(&e.programme, old.id.clone(), &actor, old.created_at, at);
            let changed = !same_form(&row, old);
            if changed {
                if !q::update(&tx, &row, old.updated_at).await? {
                    return Err(Error::Conflict {
                        code: "programme_changed",
                        field: None,
                    });
                }
                audit.push(("programme.update", old.id.clone(), e.programme.area.clone()));
                report.updated.push(code.clone());
            }
            // The questions of the file replace the stored ones; a file without any keeps them.
            let questions_changed =
                !e.questions.is_empty() && q::questions(&tx, &old.id).await? != e.questions;
            if questions_changed {
                q::replace_questions(&tx, &old.id, &e.questions, &actor, at).await?;
                audit.push((
                    "programme.questions",
                    old.id.clone(),
                    e.programme.area.clone(),
                ));
                if !changed {
                    report.updated.push(code.clone());
                }
            }
            let latest = q::rules(&tx, &old.id).await?.pop();
            if latest.as_ref().map(|r| r.rule.trim()) != Some(e.rule.trim()) {
                let effective_from = e.rule_effective_from.max(today());
                q::insert_rule(
                    &tx,
                    &NewRuleVersion {
                        id: &new_id(),
                        programme_id: &old.id,
                        rule: e.rule.trim(),
                        effective_from,
                        note: Some("pintu programmes load"),
                        created_by: &actor,
                        at,
                    },
                )
                .await?;
                audit.push((
                    "programme.rule_version",
                    old.id.clone(),
                    e.programme.area.clone(),
                ));
                report.new_rule_versions.push(code.clone());
            } else if !changed && !questions_changed {
                report.unchanged.push(code);
            }
        }
        tx.commit().await?;
        for (action, id, area) in audit {
            self.audit
                .record(
                    ctx,
                    action,
                    "programme",
                    Some(&id),
                    area.as_ref().map(|a| a.as_str()),
                    Some("source=catalogue".into()),
                )
                .await?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_lists_read_back_and_garbage_reads_as_empty() {
        assert_eq!(codes_of(r#"["PKH","PIP"]"#), ["PKH", "PIP"]);
        assert!(codes_of("not json").is_empty());
        let docs = vec![Document {
            id: "KK".into(),
            en: "Family card".into(),
        }];
        assert_eq!(documents_of(&json(&docs)), docs);
    }

    #[test]
    fn a_catalogues_questions_are_read_and_checked() {
        let text = r#"
[[programme]]
code = "ABC"
name_id = "A"
name_en = "A"
owner_agency = "X"
guarantee = "health"
kind = "service"
target = "person"
active_from = "2020-01-01"
rule = "age < 5"
questions = [
  { question_id = "Kapan?", question_en = "When?", answer_id = "Besok.", answer_en = "Tomorrow." },
]
"#;
        let entries = parse_catalogue(text, &BTreeSet::new()).expect("valid");
        assert_eq!(entries[0].questions[0].answer_en, "Tomorrow.");
        let half = text.replace(", answer_en = \"Tomorrow.\"", "");
        let err = parse_catalogue(&half, &BTreeSet::new()).expect_err("half a question");
        assert!(err.contains("ABC: questions"), "{err}");
        let shipped = parse_catalogue(SHIPPED_CATALOGUE, &BTreeSet::new()).expect("shipped");
        assert!(shipped.iter().any(|e| !e.questions.is_empty()));
    }

    #[test]
    fn a_catalogue_with_a_typo_or_an_unknown_programme_names_what_is_wrong() {
        let text = r#"
[[programme]]
code = "ABC"
name_id = "A"
name_en = "A"
owner_agency = "X"
guarantee = "health"
kind = "service"
target = "person"
active_from = "2020-01-01"
rule = "age < 5"
implies = ["NOPE"]
colour = "red"
"#;
        let err = parse_catalogue(text, &BTreeSet::new()).expect_err("typo");
        assert!(err.contains("ABC") && err.contains("colour"), "{err}");
        let fixed = text.replace("colour = \"red\"\n", "");
        let err = parse_catalogue(&fixed, &BTreeSet::new()).expect_err("unknown code");
        assert!(err.contains("implies[0]: no programme NOPE"), "{err}");
        let known = BTreeSet::from(["NOPE".to_string()]);
        let entries = parse_catalogue(&fixed, &known).expect("valid");
        assert_eq!(entries[0].rule_effective_from.to_string(), "2020-01-01");
    }
}
