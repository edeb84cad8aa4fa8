//! Matching: runs of the cross-table, a programme's list of eligible people in an area (JSON
//! or CSV), "why?" for a person, the village forum's overrides, and the rule editor's
//! preview. Area-scoped like the registry.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, Utc};
use pintu_service::matching::{
    Entitlement, Entitlements, OverrideInput, Preview, ProgrammeSummary, Run,
};
use pintu_store::matching::{ListLine, OverrideRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::ApiJson;
use crate::error::{ApiError, ErrorBody};
use crate::session::ApiCtx;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_run, list_runs))
        .routes(routes!(get_run))
        .routes(routes!(eligible))
        .routes(routes!(entitlements))
        .routes(routes!(create_override, list_overrides))
        .routes(routes!(revoke_override))
        .routes(routes!(preview))
        .routes(routes!(gaps))
}

/// What one programme came to in a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgrammeSummaryOut {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub rule_version: Option<i32>,
    /// People the rule made eligible.
    pub eligible: u64,
    /// Within the quotas.
    pub selected: u64,
    /// Past the quotas: the waiting list.
    pub waiting: u64,
    /// Added by the village forum.
    pub added: u64,
    /// Removed by the village forum.
    pub removed: u64,
    /// Why the programme was skipped.
    pub error: Option<String>,
}

impl From<ProgrammeSummary> for ProgrammeSummaryOut {
    fn from(s: ProgrammeSummary) -> Self {
        ProgrammeSummaryOut {
            code: s.code,
            name_id: s.name_id,
            name_en: s.name_en,
            rule_version: s.rule_version,
            eligible: s.eligible,
            selected: s.selected,
            waiting: s.waiting,
            added: s.added,
            removed: s.removed,
            error: s.error,
        }
    }
}

/// A matching run: the cross-table of one area on one reference date.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunOut {
    pub id: String,
    pub area_code: String,
    pub reference_date: NaiveDate,
    /// `running`, `finished` or `failed`.
    pub status: String,
    pub programmes_done: i32,
    pub programmes_total: i32,
    pub programmes: Vec<ProgrammeSummaryOut>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Run> for RunOut {
    fn from(r: Run) -> Self {
        RunOut {
            id: r.row.id,
            area_code: r.row.area_code,
            reference_date: r.row.reference_date,
            status: r.row.status,
            programmes_done: r.row.programmes_done,
            programmes_total: r.row.programmes_total,
            programmes: r.programmes.into_iter().map(Into::into).collect(),
            error: r.row.error,
            created_by: r.row.created_by,
            created_at: r.row.created_at,
            updated_at: r.row.updated_at,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RunIn {
    /// The area to match (default: yours).
    pub area: Option<String>,
    /// The date rules, ages and active periods are taken on (default: today).
    pub reference_date: Option<NaiveDate>,
}

/// Starts a matching run of an area: every active programme's rule over everyone living
/// there, ranked and cut at the quotas. Runs in the background; poll the run.
#[utoipa::path(post, path = "/api/v1/matching/runs", tag = "matching", request_body = RunIn,
    responses((status = 202, body = RunOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn start_run(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<RunIn>,
) -> Result<(StatusCode, Json<RunOut>), ApiError> {
    let run = s
        .pintu
        .start_matching(&c.ctx, b.area.as_deref(), b.reference_date)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::ACCEPTED, Json(run.into())))
}

/// The latest runs of your area, its parts and the areas above it.
#[utoipa::path(get, path = "/api/v1/matching/runs", tag = "matching",
    responses((status = 200, body = Vec<RunOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_runs(State(s): State<AppState>, c: ApiCtx) -> Result<Json<Vec<RunOut>>, ApiError> {
    let runs = s.pintu.matching_runs(&c.ctx).await.map_err(|e| c.err(e))?;
    Ok(Json(runs.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/matching/runs/{id}", tag = "matching", params(("id" = String, Path)),
    responses((status = 200, body = RunOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_run(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<RunOut>, ApiError> {
    let run = s
        .pintu
        .matching_run(&c.ctx, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(run.into()))
}

/// One person on a programme's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListLineOut {
    pub person_id: String,
    pub full_name: String,
    pub nik: Option<String>,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub village_code: String,
    pub household_id: Option<String>,
    /// Rank within the quota area (none for forum additions the rule did not find).
    pub rank: Option<i64>,
    /// `selected`, `waiting`, `added` or `removed`.
    pub status: String,
    pub rule_version: i32,
}

impl From<ListLine> for ListLineOut {
    fn from(l: ListLine) -> Self {
        ListLineOut {
            person_id: l.person_id,
            full_name: l.full_name,
            nik: l.nik,
            birth_date: l.birth_date,
            sex: l.sex,
            village_code: l.village_code,
            household_id: l.household_id,
            rank: l.rank,
            status: l.status,
            rule_version: l.rule_version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListPage {
    /// The run the list comes from (none: no run covers the area yet).
    pub run_id: Option<String>,
    pub reference_date: Option<NaiveDate>,
    pub items: Vec<ListLineOut>,
    /// Pass as `after` for the next page.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// An area inside yours (default: yours).
    pub area: Option<String>,
    /// `selected`, `waiting`, `added` or `removed`.
    pub status: Option<String>,
    pub after: Option<String>,
    pub limit: Option<u64>,
    /// `json` (default) or `csv` (the whole list).
    pub format: Option<String>,
}

/// The people a programme's rule made eligible in an area, from the latest run covering it,
/// by village then rank.
#[utoipa::path(get, path = "/api/v1/programmes/{code}/eligible", tag = "matching", params(("code" = String, Path), ListQuery),
    responses((status = 200, body = ListPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn eligible(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<axum::response::Response, ApiError> {
    match q.format.as_deref().unwrap_or("json") {
        "csv" => {
            let (_, lines) = s
                .pintu
                .full_list(&c.ctx, &code, q.area.as_deref(), q.status.as_deref())
                .await
                .map_err(|e| c.err(e))?;
            let file = format!("daftar-{}.csv", code.to_lowercase());
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}\""),
                    ),
                ],
                list_csv(&lines),
            )
                .into_response())
        }
        "json" => {
            let (run, page) = s
                .pintu
                .eligible_list(
                    &c.ctx,
                    &code,
                    q.area.as_deref(),
                    q.status.as_deref(),
                    q.after.as_deref(),
                    q.limit,
                )
                .await
                .map_err(|e| c.err(e))?;
            Ok(Json(ListPage {
                run_id: run.as_ref().map(|r| r.row.id.clone()),
                reference_date: run.as_ref().map(|r| r.row.reference_date),
                items: page.items.into_iter().map(Into::into).collect(),
                next: page.next,
            })
            .into_response())
        }
        _ => Err(c.err(pintu_service::Error::invalid("format", "value_not_allowed"))),
    }
}

/// A list as CSV, one person per row.
pub fn list_csv(lines: &[ListLine]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "village_code",
        "rank",
        "status",
        "full_name",
        "nik",
        "birth_date",
        "sex",
        "person_id",
        "household_id",
    ]);
    for l in lines {
        let _ = w.write_record([
            l.village_code.clone(),
            l.rank.map_or(String::new(), |r| r.to_string()),
            l.status.clone(),
            l.full_name.clone(),
            l.nik.clone().unwrap_or_default(),
            l.birth_date.to_string(),
            l.sex.clone(),
            l.person_id.clone(),
            l.household_id.clone().unwrap_or_default(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// One clause of a rule and what it came to for the person.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClauseOut {
    /// The clause as written in the rule.
    pub text: String,
    /// `true`, `false` or `unknown`.
    pub truth: String,
    /// Whether this clause decided the answer.
    pub decisive: bool,
    pub because_id: String,
    pub because_en: String,
}

/// A forum decision (musyawarah desa).
#[derive(Debug, Serialize, ToSchema)]
pub struct OverrideOut {
    pub id: String,
    pub programme: String,
    pub person_id: String,
    pub full_name: String,
    pub village_code: String,
    /// `add` or `remove`.
    pub action: String,
    pub reason: String,
    pub forum_date: NaiveDate,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

impl From<OverrideRow> for OverrideOut {
    fn from(o: OverrideRow) -> Self {
        OverrideOut {
            id: o.id,
            programme: o.programme_code,
            person_id: o.person_id,
            full_name: o.full_name,
            village_code: o.village_code,
            action: o.action,
            reason: o.reason,
            forum_date: o.forum_date,
            created_by: o.created_by,
            created_at: o.created_at,
            revoked_at: o.revoked_at,
            revoked_by: o.revoked_by,
        }
    }
}

fn truth(t: pintu_domain::rules::Truth) -> String {
    match t {
        pintu_domain::rules::Truth::True => "true",
        pintu_domain::rules::Truth::False => "false",
        pintu_domain::rules::Truth::Unknown => "unknown",
    }
    .to_string()
}

/// "Why?" for one programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntitlementOut {
    pub programme: String,
    pub name_id: String,
    pub name_en: String,
    pub rule: Option<String>,
    pub rule_version: Option<i32>,
    /// The rule's answer: `true` (eligible), `false`, or `unknown` (a fact is missing).
    pub eligible: String,
    pub clauses: Vec<ClauseOut>,
    pub enrolled: bool,
    /// The person's line in the latest run: `selected`, `waiting`, `added` or `removed`.
    pub list_status: Option<String>,
    pub rank: Option<i64>,
    pub run_id: Option<String>,
    pub forum: Option<OverrideOut>,
    /// Programmes of a combined package the person should also be in but is not.
    pub missing: Vec<String>,
    pub error: Option<String>,
}

impl From<Entitlement> for EntitlementOut {
    fn from(e: Entitlement) -> Self {
        EntitlementOut {
            programme: e.code,
            name_id: e.name_id,
            name_en: e.name_en,
            rule: e.rule,
            rule_version: e.rule_version,
            eligible: truth(e.truth),
            clauses: e
                .clauses
                .into_iter()
                .map(|c| ClauseOut {
                    text: c.text,
                    truth: truth(c.truth),
                    decisive: c.decisive,
                    because_id: c.because_id,
                    because_en: c.because_en,
                })
                .collect(),
            enrolled: e.enrolled,
            list_status: e.list_status,
            rank: e.rank,
            run_id: e.run_id,
            forum: e.forum.map(Into::into),
            missing: e.missing,
            error: e.error,
        }
    }
}

/// The JKN segment a person should have, and the monthly contribution in rupiah.
#[derive(Debug, Serialize, ToSchema)]
pub struct JknOut {
    /// `PBI-APBN`, `PBI-APBD`, `PPU`, `PBPU` or `BP`; none when a fact is missing.
    pub segment: Option<String>,
    pub class: Option<i64>,
    pub monthly: i64,
    pub member_pays: i64,
    pub employer_pays: i64,
    pub government_pays: i64,
    /// Covered as a family member of the household's wage earner.
    pub as_family_member: bool,
    pub because_id: String,
    pub because_en: String,
}

/// The BPJS Ketenagakerjaan programmes a worker should be in.
#[derive(Debug, Serialize, ToSchema)]
pub struct BpjsTkOut {
    /// Of `JKK` (work injury), `JKM` (death), `JHT` (old-age savings), `JP` (pension).
    pub programmes: Vec<String>,
    pub because_id: String,
    pub because_en: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntitlementsOut {
    pub person_id: String,
    pub village_code: String,
    pub on: NaiveDate,
    pub programmes: Vec<EntitlementOut>,
    pub jkn: JknOut,
    pub bpjs_tk: BpjsTkOut,
}

impl From<Entitlements> for EntitlementsOut {
    fn from(e: Entitlements) -> Self {
        EntitlementsOut {
            person_id: e.person_id,
            village_code: e.village_code,
            on: e.on,
            programmes: e.programmes.into_iter().map(Into::into).collect(),
            jkn: JknOut {
                segment: e.jkn.segment,
                class: e.jkn.class,
                monthly: e.jkn.monthly,
                member_pays: e.jkn.member_pays,
                employer_pays: e.jkn.employer_pays,
                government_pays: e.jkn.government_pays,
                as_family_member: e.jkn.as_family_member,
                because_id: e.jkn.because_id,
                because_en: e.jkn.because_en,
            },
            bpjs_tk: BpjsTkOut {
                programmes: e.bpjs_tk.programmes,
                because_id: e.bpjs_tk.because_id,
                because_en: e.bpjs_tk.because_en,
            },
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct EntitlementsQuery {
    /// The date to judge on (default: today).
    pub on: Option<NaiveDate>,
}

/// Why a person is or is not eligible for each active programme, clause by clause.
#[utoipa::path(get, path = "/api/v1/persons/{id}/entitlements", tag = "matching", params(("id" = String, Path), EntitlementsQuery),
    responses((status = 200, body = EntitlementsOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn entitlements(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    Query(q): Query<EntitlementsQuery>,
) -> Result<Json<EntitlementsOut>, ApiError> {
    let e = s
        .pintu
        .entitlements(&c.ctx, &id, q.on)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(e.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OverrideIn {
    /// The programme's code.
    pub programme: String,
    pub person_id: String,
    /// `add` or `remove`.
    pub action: String,
    /// The forum's reason, as minuted.
    pub reason: String,
    /// The day of the forum (musyawarah desa).
    pub forum_date: NaiveDate,
}

/// Records a village forum decision: a person added to or removed from a programme's list,
/// with the reason. It holds in every later run until revoked.
#[utoipa::path(post, path = "/api/v1/overrides", tag = "matching", request_body = OverrideIn,
    responses((status = 201, body = OverrideOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_override(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<OverrideIn>,
) -> Result<(StatusCode, Json<OverrideOut>), ApiError> {
    let o = s
        .pintu
        .record_override(
            &c.ctx,
            OverrideInput {
                programme: b.programme,
                person_id: b.person_id,
                action: b.action,
                reason: b.reason,
                forum_date: b.forum_date,
            },
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(o.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OverrideQuery {
    pub area: Option<String>,
    /// A programme's code.
    pub programme: Option<String>,
    /// Include revoked decisions.
    pub all: Option<bool>,
}

/// The forum decisions in your area.
#[utoipa::path(get, path = "/api/v1/overrides", tag = "matching", params(OverrideQuery),
    responses((status = 200, body = Vec<OverrideOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_overrides(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<OverrideQuery>,
) -> Result<Json<Vec<OverrideOut>>, ApiError> {
    let rows = s
        .pintu
        .overrides(
            &c.ctx,
            q.area.as_deref(),
            q.programme.as_deref(),
            q.all.unwrap_or(false),
        )
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Revokes a forum decision; the next run lists the person as the rule decides.
#[utoipa::path(post, path = "/api/v1/overrides/{id}/revoke", tag = "matching", params(("id" = String, Path)),
    responses((status = 200, body = OverrideOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn revoke_override(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<OverrideOut>, ApiError> {
    let o = s
        .pintu
        .revoke_override(&c.ctx, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(o.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PreviewIn {
    pub rule: String,
    /// An area inside yours (default: yours).
    pub area: Option<String>,
}

/// A rule error, with where it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewErrorOut {
    pub code: String,
    pub line: usize,
    pub column: usize,
    pub start: usize,
    pub end: usize,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewOut {
    pub area: Option<String>,
    /// Living people in the area.
    pub people: i64,
    /// Of them, the rule makes eligible today.
    pub eligible: i64,
    /// Why the rule cannot be used (then the counts are 0).
    pub errors: Vec<PreviewErrorOut>,
}

/// How many people in an area a rule would make eligible today (the editor's preview).
#[utoipa::path(post, path = "/api/v1/rules/preview", tag = "matching", request_body = PreviewIn,
    responses((status = 200, body = PreviewOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn preview(
    State(s): State<AppState>,
    c: ApiCtx,
    ApiJson(b): ApiJson<PreviewIn>,
) -> Result<Json<PreviewOut>, ApiError> {
    let p: Preview = s
        .pintu
        .preview_rule(&c.ctx, &b.rule, b.area.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    let english = c.lang == crate::i18n::Lang::En;
    Ok(Json(PreviewOut {
        area: p.area,
        people: p.people,
        eligible: p.eligible,
        errors: p
            .errors
            .into_iter()
            .map(|e| PreviewErrorOut {
                code: e.code.to_string(),
                line: e.line,
                column: e.column,
                start: e.span.start,
                end: e.span.end,
                message: if english { e.message_en } else { e.message_id },
            })
            .collect(),
    }))
}

/// A count of people in a village.
#[derive(Debug, Serialize, ToSchema)]
pub struct GapCountOut {
    /// The programme's code (for double targeting: the need).
    pub programme: String,
    pub village_code: String,
    pub people: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GapsOut {
    /// The run the lists come from (none: no run covers the area yet).
    pub run_id: Option<String>,
    pub reference_date: Option<NaiveDate>,
    /// Exclusion errors: on the list (selected or added by the forum) but not enrolled.
    pub exclusion: Vec<GapCountOut>,
    /// Inclusion errors: enrolled but not on the list (not eligible, or removed by the forum).
    pub inclusion: Vec<GapCountOut>,
    /// Households served by more than one programme meeting the same need.
    pub double_targeting: Vec<GapCountOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct GapsQuery {
    /// An area inside yours (default: yours).
    pub area: Option<String>,
}

fn gap_counts(rows: Vec<pintu_store::matching::GapCount>) -> Vec<GapCountOut> {
    rows.into_iter()
        .map(|g| GapCountOut {
            programme: g.programme,
            village_code: g.village_code,
            people: g.people,
        })
        .collect()
}

/// Gaps in an area: exclusion errors, inclusion errors and double targeting, by village.
#[utoipa::path(get, path = "/api/v1/matching/gaps", tag = "matching", params(GapsQuery),
    responses((status = 200, body = GapsOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn gaps(
    State(s): State<AppState>,
    c: ApiCtx,
    Query(q): Query<GapsQuery>,
) -> Result<Json<GapsOut>, ApiError> {
    let g = s
        .pintu
        .gaps(&c.ctx, q.area.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(GapsOut {
        run_id: g.run.as_ref().map(|r| r.row.id.clone()),
        reference_date: g.run.as_ref().map(|r| r.row.reference_date),
        exclusion: gap_counts(g.exclusion),
        inclusion: gap_counts(g.inclusion),
        double_targeting: gap_counts(g.double_targeting),
    }))
}
