//! `/api/v1/programmes`: the programme catalogue (the "single form" of each programme), its
//! rule versions and quotas per area; `/api/v1/rules`: checking a rule or ranking order as it
//! is typed, and the facts rules can read, for editors.
//!
//! Every logged-in caller reads the catalogue; district officers and above keep the
//! programmes of their area, and set quotas inside it.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::programmes::{Document, ProgrammeInput};
use pintu_domain::rules::{self, HouseholdField, PersonField, Type};
use pintu_service::Error;
use pintu_service::programmes::{
    Ended, ProgrammeDetail, ProgrammeQuery, RuleVersionInput, codes_of, documents_of,
};
use pintu_store::programmes::{ProgrammeRow, QuotaRow, RuleVersionRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::ApiJson;
use crate::error::{ApiError, ErrorBody, RuleErrorOut};
use crate::i18n::{Lang, Tr};
use crate::session::ApiCtx;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_programmes, create_programme))
        .routes(routes!(get_programme, update_programme, end_programme))
        .routes(routes!(list_rules, add_rule))
        .routes(routes!(set_quota, remove_quota))
        .routes(routes!(check_rule))
        .routes(routes!(rule_fields))
}

/// A document to bring, in both languages.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct DocumentOut {
    /// In Bahasa Indonesia.
    #[serde(default)]
    pub id: String,
    /// In English.
    #[serde(default)]
    pub en: String,
}

/// A programme's single form.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgrammeOut {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub description_id: Option<String>,
    pub description_en: Option<String>,
    pub owner_agency: String,
    pub technical_unit: Option<String>,
    /// `health`, `children`, `working_age` or `older_persons`.
    pub guarantee: String,
    /// `cash`, `in_kind`, `insurance`, `service`, `training` or `employment`.
    pub kind: String,
    /// `person` or `household` (listed by its head).
    pub target: String,
    pub benefit_id: Option<String>,
    pub benefit_en: Option<String>,
    /// Whole rupiah per period.
    pub benefit_amount: Option<i64>,
    /// `month`, `quarter`, `year` or `once`.
    pub benefit_period: Option<String>,
    /// None: national; else the province or regency covered.
    pub area_code: Option<String>,
    pub budget: Option<i64>,
    /// A cap on the people (or households) served in all.
    pub quota: Option<i64>,
    /// Programmes with the same need serve it twice (double targeting).
    pub need: Option<String>,
    /// The ranking order, lowest first.
    pub rank_by: String,
    pub documents: Vec<DocumentOut>,
    pub procedure_id: Option<String>,
    pub procedure_en: Option<String>,
    pub focal_point: Option<String>,
    pub active_from: NaiveDate,
    pub active_until: Option<NaiveDate>,
    /// Programmes a beneficiary must also be in.
    pub requires: Vec<String>,
    /// Programmes a beneficiary should also be in.
    pub implies: Vec<String>,
    /// An illustration shipped with Pintu, not an agency's official criteria.
    pub example: bool,
    pub updated_by: String,
    pub created_at: DateTime<Utc>,
    /// Send it back with a change (`PUT`): a programme changed meanwhile answers 409.
    pub updated_at: DateTime<Utc>,
}

fn documents_out(docs: Vec<Document>) -> Vec<DocumentOut> {
    docs.into_iter()
        .map(|d| DocumentOut { id: d.id, en: d.en })
        .collect()
}

impl From<ProgrammeRow> for ProgrammeOut {
    fn from(p: ProgrammeRow) -> Self {
        ProgrammeOut {
            documents: documents_out(documents_of(&p.documents)),
            requires: codes_of(&p.requires),
            implies: codes_of(&p.implies),
            code: p.code,
            name_id: p.name_id,
            name_en: p.name_en,
            description_id: p.description_id,
            description_en: p.description_en,
            owner_agency: p.owner_agency,
            technical_unit: p.technical_unit,
            guarantee: p.guarantee,
            kind: p.kind,
            target: p.target,
            benefit_id: p.benefit_id,
            benefit_en: p.benefit_en,
            benefit_amount: p.benefit_amount,
            benefit_period: p.benefit_period,
            area_code: p.area_code,
            budget: p.budget,
            quota: p.quota,
            need: p.need,
            rank_by: p.rank_by,
            procedure_id: p.procedure_id,
            procedure_en: p.procedure_en,
            focal_point: p.focal_point,
            active_from: p.active_from,
            active_until: p.active_until,
            example: p.example,
            updated_by: p.updated_by,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// One version of a programme's eligibility rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleVersionOut {
    pub version: i32,
    /// The rule in the rule language.
    pub rule: String,
    /// In force from this day until a later version takes effect.
    pub effective_from: NaiveDate,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<RuleVersionRow> for RuleVersionOut {
    fn from(r: RuleVersionRow) -> Self {
        RuleVersionOut {
            version: r.version,
            rule: r.rule,
            effective_from: r.effective_from,
            note: r.note,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// A programme's quota in an area.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuotaOut {
    pub area_code: String,
    pub quota: i64,
}

impl From<QuotaRow> for QuotaOut {
    fn from(q: QuotaRow) -> Self {
        QuotaOut {
            area_code: q.area_code,
            quota: q.quota,
        }
    }
}

/// A programme with its rule versions and quotas.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgrammeDetailOut {
    pub programme: ProgrammeOut,
    /// Whether it runs today.
    pub active: bool,
    /// The version of the rule in force today.
    pub rule_in_force: Option<i32>,
    /// Every version, oldest first.
    pub rules: Vec<RuleVersionOut>,
    pub quotas: Vec<QuotaOut>,
}

impl From<ProgrammeDetail> for ProgrammeDetailOut {
    fn from(d: ProgrammeDetail) -> Self {
        ProgrammeDetailOut {
            active: d.active,
            rule_in_force: d.rule_in_force.map(|r| r.version),
            rules: d.rules.into_iter().map(Into::into).collect(),
            quotas: d.quotas.into_iter().map(Into::into).collect(),
            programme: d.programme.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgrammeList {
    /// By code.
    pub items: Vec<ProgrammeOut>,
}

/// A programme's form. Missing text is reported as `required` (422), like empty text.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProgrammeIn {
    /// `^[A-Z0-9-]{2,24}$` (lower case is raised). Cannot change once created.
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub description_id: Option<String>,
    pub description_en: Option<String>,
    pub owner_agency: String,
    pub technical_unit: Option<String>,
    /// `health`, `children`, `working_age` or `older_persons`.
    pub guarantee: String,
    /// `cash`, `in_kind`, `insurance`, `service`, `training` or `employment`.
    pub kind: String,
    /// `person` or `household`.
    pub target: String,
    pub benefit_id: Option<String>,
    pub benefit_en: Option<String>,
    /// Whole rupiah per period, not negative; needs `benefit_period`.
    pub benefit_amount: Option<i64>,
    /// `month`, `quarter`, `year` or `once`.
    pub benefit_period: Option<String>,
    /// A province or regency code; absent for a national programme.
    pub area_code: Option<String>,
    pub budget: Option<i64>,
    pub quota: Option<i64>,
    /// `^[a-z0-9_]{2,32}$`, e.g. `health_insurance`.
    pub need: Option<String>,
    /// Numeric expressions separated by commas, lowest first; default
    /// `household.pmt_score, household.welfare_decile`.
    pub rank_by: Option<String>,
    pub documents: Vec<DocumentOut>,
    pub procedure_id: Option<String>,
    pub procedure_en: Option<String>,
    pub focal_point: Option<String>,
    /// `YYYY-MM-DD`
    pub active_from: String,
    pub active_until: Option<String>,
    pub requires: Vec<String>,
    pub implies: Vec<String>,
    pub example: bool,
    /// The eligibility rule (`POST`: required; it becomes version 1, in force from
    /// `active_from`). Ignored by `PUT`: rules change by versions.
    pub rule: Option<String>,
    /// `PUT`: the `updated_at` you read (required).
    pub updated_at: Option<DateTime<Utc>>,
}

impl ProgrammeIn {
    fn input(&self) -> ProgrammeInput {
        ProgrammeInput {
            code: self.code.clone(),
            name_id: self.name_id.clone(),
            name_en: self.name_en.clone(),
            description_id: self.description_id.clone(),
            description_en: self.description_en.clone(),
            owner_agency: self.owner_agency.clone(),
            technical_unit: self.technical_unit.clone(),
            guarantee: self.guarantee.clone(),
            kind: self.kind.clone(),
            target: self.target.clone(),
            benefit_id: self.benefit_id.clone(),
            benefit_en: self.benefit_en.clone(),
            benefit_amount: self.benefit_amount,
            benefit_period: self.benefit_period.clone(),
            area_code: self.area_code.clone(),
            budget: self.budget,
            quota: self.quota,
            need: self.need.clone(),
            rank_by: self.rank_by.clone(),
            documents: self
                .documents
                .iter()
                .map(|d| Document {
                    id: d.id.clone(),
                    en: d.en.clone(),
                })
                .collect(),
            procedure_id: self.procedure_id.clone(),
            procedure_en: self.procedure_en.clone(),
            focal_point: self.focal_point.clone(),
            active_from: self.active_from.clone(),
            active_until: self.active_until.clone(),
            requires: self.requires.clone(),
            implies: self.implies.clone(),
            example: self.example,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ProgrammeListQuery {
    /// Only those running on this day (`YYYY-MM-DD`); all when absent.
    pub active_on: Option<String>,
    /// `health`, `children`, `working_age` or `older_persons`.
    pub guarantee: Option<String>,
    pub kind: Option<String>,
    /// Words in the code, the names, the owner or the technical unit.
    pub q: Option<String>,
}

/// A new version of a programme's rule.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RuleVersionIn {
    pub rule: String,
    /// `YYYY-MM-DD`, today when absent; not in the past (except for a first version).
    pub effective_from: Option<String>,
    /// Why the rule changed.
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleVersionsOut {
    /// The version in force today.
    pub in_force: Option<i32>,
    /// Oldest first.
    pub versions: Vec<RuleVersionOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct QuotaIn {
    /// People (or households) served in the area; not negative.
    pub quota: i64,
}

/// What `DELETE` did: a programme never used is deleted; one used is ended today.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndedOut {
    pub code: String,
    pub deleted: bool,
    /// The last day it runs, when ended.
    pub active_until: Option<NaiveDate>,
}

impl From<Ended> for EndedOut {
    fn from(e: Ended) -> Self {
        EndedOut {
            code: e.code,
            deleted: e.deleted,
            active_until: e.active_until,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RuleCheckIn {
    pub rule: String,
    /// `rule` (default: an eligibility rule, true or false) or `ranking` (numeric
    /// expressions separated by commas).
    pub kind: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleCheckOut {
    pub ok: bool,
    /// Every error, with where it is, in your language (Accept-Language).
    pub errors: Vec<RuleErrorOut>,
}

/// A fact a rule can read.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleFieldOut {
    /// As written in a rule: `age`, `household.size` (a member's: `m.age` inside a members
    /// macro).
    pub name: String,
    /// `bool`, `int`, `decimal` or `text`.
    #[serde(rename = "type")]
    pub ty: String,
    /// In plain words, in your language.
    pub label: String,
}

/// A function or macro of the rule language.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleFunctionOut {
    pub syntax: String,
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleFieldsOut {
    /// The person's facts (also a member's, as `m.<name>`).
    pub person: Vec<RuleFieldOut>,
    /// The household's facts.
    pub household: Vec<RuleFieldOut>,
    pub functions: Vec<RuleFunctionOut>,
    /// The ranking order when a programme gives none.
    pub default_rank_by: String,
}

pub(crate) fn type_name(t: Type) -> &'static str {
    match t {
        Type::Bool => "bool",
        Type::Int => "int",
        Type::Decimal => "decimal",
        Type::Text => "text",
    }
}

/// The functions of the rule language, with the key of their description.
pub(crate) const RULE_FUNCTIONS: [(&str, &str); 8] = [
    ("enrolled(\"PKH\")", "rules-fn-enrolled"),
    ("household.enrolled(\"PKH\")", "rules-fn-household-enrolled"),
    ("in_area(\"35.07\")", "rules-fn-in-area"),
    ("has(disability)", "rules-fn-has"),
    ("household.members.exists(m, m.age < 6)", "rules-fn-exists"),
    ("household.members.all(m, m.age >= 18)", "rules-fn-all"),
    (
        "household.members.filter(m, m.age < 18).size()",
        "rules-fn-filter-size",
    ),
    ("household.members.size()", "rules-fn-size"),
];

/// The facts and functions rules can use, labelled in `lang`.
pub(crate) fn rule_fields_of(lang: Lang) -> RuleFieldsOut {
    let pick = |(id, en): (&str, &str)| match lang {
        Lang::Id => id.to_string(),
        Lang::En => en.to_string(),
    };
    let tr = Tr::new(lang);
    RuleFieldsOut {
        person: PersonField::ALL
            .iter()
            .map(|f| RuleFieldOut {
                name: f.code().to_string(),
                ty: type_name(f.ty()).to_string(),
                label: pick(f.label()),
            })
            .collect(),
        household: HouseholdField::ALL
            .iter()
            .map(|f| RuleFieldOut {
                name: format!("household.{}", f.code()),
                ty: type_name(f.ty()).to_string(),
                label: pick(f.label()),
            })
            .collect(),
        functions: RULE_FUNCTIONS
            .iter()
            .map(|(syntax, key)| RuleFunctionOut {
                syntax: syntax.to_string(),
                description: tr.t(key),
            })
            .collect(),
        default_rank_by: pintu_domain::programmes::DEFAULT_RANK_BY.to_string(),
    }
}

/// The programme catalogue, by code.
#[utoipa::path(get, path = "/api/v1/programmes", tag = "programmes", params(ProgrammeListQuery),
    responses((status = 200, body = ProgrammeList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_programmes(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<ProgrammeListQuery>,
) -> Result<Json<ProgrammeList>, ApiError> {
    let rows = s
        .pintu
        .programmes(&ProgrammeQuery {
            active_on: q.active_on,
            guarantee: q.guarantee,
            kind: q.kind,
            q: q.q,
        })
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(ProgrammeList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Add a programme with its first rule. A rule or ranking order that does not check is
/// refused (422 `rule_invalid`, with `rule_errors` and their positions) and nothing is written.
#[utoipa::path(post, path = "/api/v1/programmes", tag = "programmes", request_body = ProgrammeIn,
    responses((status = 201, body = ProgrammeDetailOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_programme(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<ProgrammeIn>,
) -> Result<(StatusCode, Json<ProgrammeDetailOut>), ApiError> {
    let d = s
        .pintu
        .create_programme(&c.ctx, &b.input(), b.rule.as_deref().unwrap_or(""))
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// A programme with its rule versions and quotas.
#[utoipa::path(get, path = "/api/v1/programmes/{code}", tag = "programmes", params(("code" = String, Path)),
    responses((status = 200, body = ProgrammeDetailOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_programme(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
) -> Result<Json<ProgrammeDetailOut>, ApiError> {
    let d = s.pintu.programme(&code).await.map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

/// Change a programme's form (its code and rule stay: rules change by versions). Send the
/// `updated_at` you read: a programme changed meanwhile answers 409 `programme_changed`.
#[utoipa::path(put, path = "/api/v1/programmes/{code}", tag = "programmes", params(("code" = String, Path)), request_body = ProgrammeIn,
    responses((status = 200, body = ProgrammeDetailOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_programme(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<ProgrammeIn>,
) -> Result<Json<ProgrammeDetailOut>, ApiError> {
    let Some(seen) = b.updated_at else {
        return Err(c.err(Error::invalid("updated_at", "required")));
    };
    let d = s
        .pintu
        .update_programme(&c.ctx, &code, &b.input(), seen)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(d.into()))
}

/// End a programme: one never used is deleted; one used (enrolments, matching lists, village
/// forum decisions) stays in the catalogue and stops running after today.
#[utoipa::path(delete, path = "/api/v1/programmes/{code}", tag = "programmes", params(("code" = String, Path)),
    responses((status = 200, body = EndedOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn end_programme(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
) -> Result<Json<EndedOut>, ApiError> {
    let e = s
        .pintu
        .end_programme(&c.ctx, &code)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(e.into()))
}

/// The versions of a programme's rule and the one in force today.
#[utoipa::path(get, path = "/api/v1/programmes/{code}/rules", tag = "programmes", params(("code" = String, Path)),
    responses((status = 200, body = RuleVersionsOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_rules(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
) -> Result<Json<RuleVersionsOut>, ApiError> {
    let d = s.pintu.programme(&code).await.map_err(|e| c.err(e))?;
    Ok(Json(RuleVersionsOut {
        in_force: d.rule_in_force.map(|r| r.version),
        versions: d.rules.into_iter().map(Into::into).collect(),
    }))
}

/// Record the next version of a programme's rule, in force from `effective_from`. A rule
/// that does not check is refused (422 `rule_invalid` with `rule_errors`).
#[utoipa::path(post, path = "/api/v1/programmes/{code}/rules", tag = "programmes", params(("code" = String, Path)), request_body = RuleVersionIn,
    responses((status = 201, body = RuleVersionOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_rule(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<RuleVersionIn>,
) -> Result<(StatusCode, Json<RuleVersionOut>), ApiError> {
    let input = RuleVersionInput {
        rule: b.rule,
        effective_from: b.effective_from,
        note: b.note,
    };
    let r = s
        .pintu
        .add_rule_version(&c.ctx, &code, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// Set a programme's quota for an area inside the programme's and yours.
#[utoipa::path(put, path = "/api/v1/programmes/{code}/quotas/{area}", tag = "programmes",
    params(("code" = String, Path), ("area" = String, Path, description = "An area code, e.g. `35.07.01.2001`")), request_body = QuotaIn,
    responses((status = 200, body = QuotaOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_quota(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((code, area)): Path<(String, String)>,
    ApiJson(b): ApiJson<QuotaIn>,
) -> Result<Json<QuotaOut>, ApiError> {
    let q = s
        .pintu
        .set_quota(&c.ctx, &code, &area, b.quota)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(q.into()))
}

/// Remove a programme's quota for an area.
#[utoipa::path(delete, path = "/api/v1/programmes/{code}/quotas/{area}", tag = "programmes",
    params(("code" = String, Path), ("area" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn remove_quota(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((code, area)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    s.pintu
        .remove_quota(&c.ctx, &code, &area)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The errors of a rule or ranking order of `kind`, or an unknown kind.
pub(crate) fn check_text(text: &str, kind: &str) -> Result<Vec<rules::RuleError>, Error> {
    let result = match kind.trim() {
        "" | "rule" => rules::check(text).map(|_| ()),
        "ranking" => rules::check_ranking(text).map(|_| ()),
        _ => return Err(Error::invalid("kind", "rule_kind_unknown")),
    };
    Ok(result.err().unwrap_or_default())
}

/// Check a rule (or a ranking order) as it is typed: parse and type-check, with every error
/// and its position. Writes nothing.
#[utoipa::path(post, path = "/api/v1/rules/check", tag = "programmes", request_body = RuleCheckIn,
    responses((status = 200, body = RuleCheckOut), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn check_rule(
    c: ApiCtx,
    ApiJson(b): ApiJson<RuleCheckIn>,
) -> Result<Json<RuleCheckOut>, ApiError> {
    let errors = check_text(&b.rule, b.kind.as_deref().unwrap_or("")).map_err(|e| c.err(e))?;
    Ok(Json(RuleCheckOut {
        ok: errors.is_empty(),
        errors: errors.iter().map(|e| RuleErrorOut::of(e, c.lang)).collect(),
    }))
}

/// The facts rules can read, with their types and labels in your language, and the
/// functions of the language: for editors.
#[utoipa::path(get, path = "/api/v1/rules/fields", tag = "programmes",
    responses((status = 200, body = RuleFieldsOut), (status = 401, body = ErrorBody)))]
async fn rule_fields(c: ApiCtx) -> Json<RuleFieldsOut> {
    Json(rule_fields_of(c.lang))
}
