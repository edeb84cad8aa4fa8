//! What the sources say of a person beyond identity — the DTKS survey's welfare facts and the
//! JKN membership — and who is enrolled in which programme: the facts eligibility rules read.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, Utc};
use pintu_domain::rules::{PersonFacts, Subjects};
use sea_orm::{ConnectionTrait, Value};

use crate::bulk::multi_upsert;
use crate::{Result, col, query_all};

/// One person's facts from a DTKS row.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyFacts {
    pub person_id: String,
    pub village_code: String,
    pub disability: Option<bool>,
    pub chronic_illness: Option<bool>,
    pub school_status: Option<String>,
    pub employment_status: Option<String>,
    pub monthly_income: Option<i64>,
    pub welfare_decile: Option<i64>,
    pub pmt_score: Option<f64>,
    pub surveyed_on: Option<NaiveDate>,
}

/// One person's JKN membership from a BPJS Kesehatan row.
#[derive(Debug, Clone, PartialEq)]
pub struct JknFacts {
    pub person_id: String,
    pub village_code: String,
    pub segment: Option<String>,
    pub class: Option<i64>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEnrolment {
    pub person_id: String,
    pub village_code: String,
    pub programme_code: String,
    pub active: bool,
    pub since: Option<NaiveDate>,
    /// kps, jkn, application, officer, demo
    pub source: &'static str,
    pub reference: Option<String>,
}

/// Keeps the last of each key (rows of one multi-row upsert must not collide).
fn last_per_key<T>(rows: &[T], key: impl Fn(&T) -> String) -> Vec<&T> {
    let mut at: HashMap<String, usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        at.insert(key(r), i);
    }
    let mut keep: Vec<usize> = at.into_values().collect();
    keep.sort_unstable();
    keep.into_iter().map(|i| &rows[i]).collect()
}

/// Records survey facts; a person's newer survey wins over an older one (a row without a
/// survey date only replaces facts that have none either).
pub async fn upsert_survey(c: &impl ConnectionTrait, rows: &[SurveyFacts]) -> Result<()> {
    let now = Utc::now();
    let mut newest: HashMap<&str, &SurveyFacts> = HashMap::new();
    for r in rows {
        let keep = newest
            .get(r.person_id.as_str())
            .is_none_or(|k| r.surveyed_on >= k.surveyed_on);
        if keep {
            newest.insert(&r.person_id, r);
        }
    }
    let mut chosen: Vec<&SurveyFacts> = newest.into_values().collect();
    chosen.sort_by(|a, b| a.person_id.cmp(&b.person_id));
    let values = chosen
        .into_iter()
        .map(|r| {
            vec![
                r.person_id.clone().into(),
                r.village_code.clone().into(),
                r.disability.into(),
                r.chronic_illness.into(),
                r.school_status.clone().into(),
                r.employment_status.clone().into(),
                r.monthly_income.into(),
                r.welfare_decile.into(),
                r.pmt_score.into(),
                r.surveyed_on.into(),
                now.into(),
            ]
        })
        .collect();
    multi_upsert(
        c,
        "person_facts (person_id, village_code, disability, chronic_illness, school_status, \
         employment_status, monthly_income, welfare_decile, pmt_score, surveyed_on, updated_at)",
        11,
        values,
        " ON CONFLICT (person_id) DO UPDATE SET village_code = excluded.village_code, \
         disability = excluded.disability, chronic_illness = excluded.chronic_illness, \
         school_status = excluded.school_status, employment_status = excluded.employment_status, \
         monthly_income = excluded.monthly_income, welfare_decile = excluded.welfare_decile, \
         pmt_score = excluded.pmt_score, surveyed_on = excluded.surveyed_on, \
         updated_at = excluded.updated_at \
         WHERE person_facts.surveyed_on IS NULL \
            OR (excluded.surveyed_on IS NOT NULL AND excluded.surveyed_on >= person_facts.surveyed_on)",
    )
    .await
}

/// Records JKN memberships (the latest extract is the membership's state).
pub async fn upsert_jkn(c: &impl ConnectionTrait, rows: &[JknFacts]) -> Result<()> {
    let now = Utc::now();
    let values = last_per_key(rows, |r| r.person_id.clone())
        .into_iter()
        .map(|r| {
            vec![
                r.person_id.clone().into(),
                r.village_code.clone().into(),
                r.segment.clone().into(),
                r.class.into(),
                r.active.into(),
                now.into(),
            ]
        })
        .collect();
    multi_upsert(
        c,
        "person_facts (person_id, village_code, jkn_segment, jkn_class, jkn_active, updated_at)",
        6,
        values,
        " ON CONFLICT (person_id) DO UPDATE SET jkn_segment = excluded.jkn_segment, \
         jkn_class = excluded.jkn_class, jkn_active = excluded.jkn_active, \
         updated_at = excluded.updated_at",
    )
    .await
}

/// Records enrolments: a person is in a programme once; a later record changes its status.
pub async fn upsert_enrolments(c: &impl ConnectionTrait, rows: &[NewEnrolment]) -> Result<()> {
    let now = Utc::now();
    let values = last_per_key(rows, |r| format!("{}|{}", r.person_id, r.programme_code))
        .into_iter()
        .map(|r| {
            vec![
                crate::new_id().into(),
                r.person_id.clone().into(),
                r.village_code.clone().into(),
                r.programme_code.clone().into(),
                if r.active { "active" } else { "ended" }.into(),
                r.since.into(),
                (if r.active {
                    None
                } else {
                    Some(now.date_naive())
                })
                .into(),
                r.source.into(),
                r.reference.clone().into(),
                now.into(),
                now.into(),
            ]
        })
        .collect();
    multi_upsert(
        c,
        "enrolments (id, person_id, village_code, programme_code, status, since, until, source, \
         reference, created_at, updated_at)",
        11,
        values,
        " ON CONFLICT (person_id, programme_code) DO UPDATE SET status = excluded.status, \
         village_code = excluded.village_code, \
         since = COALESCE(enrolments.since, excluded.since), until = excluded.until, \
         source = excluded.source, reference = excluded.reference, \
         updated_at = excluded.updated_at",
    )
    .await
}

/// A person's current enrolments: programme code → (source, since).
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolment {
    pub programme_code: String,
    pub status: String,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub source: String,
    pub reference: Option<String>,
}

pub async fn enrolments_of(c: &impl ConnectionTrait, person_id: &str) -> Result<Vec<Enrolment>> {
    let rows = query_all(
        c,
        "SELECT programme_code, status, since, until, source, reference FROM enrolments \
         WHERE person_id = ? ORDER BY programme_code",
        vec![person_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Enrolment {
                programme_code: col(r, "programme_code")?,
                status: col(r, "status")?,
                since: col(r, "since")?,
                until: col(r, "until")?,
                source: col(r, "source")?,
                reference: col(r, "reference")?,
            })
        })
        .collect()
}

/// The columns [`subjects_of`] reads for each member.
const MEMBER_FACTS: &str = "p.id, p.birth_date, p.sex, p.village_code, p.occupation, \
    p.marital_status, m.relationship, f.disability, f.chronic_illness, f.school_status, \
    f.employment_status, f.monthly_income, f.welfare_decile, f.pmt_score, f.jkn_segment, \
    f.jkn_class, f.jkn_active";

/// What a rule reads about one living person: the person and the living members of their
/// household (the person alone when in none). `None` if there is no such living person.
/// The caller checks the area.
pub async fn subjects_of(c: &impl ConnectionTrait, person_id: &str) -> Result<Option<Subjects>> {
    let sql = format!(
        "SELECT {MEMBER_FACTS} FROM persons p \
         LEFT JOIN household_members m ON m.person_id = p.id \
         LEFT JOIN person_facts f ON f.person_id = p.id \
         WHERE p.life_status = 'alive' AND (p.id = ? OR p.id IN \
           (SELECT o.person_id FROM household_members o WHERE o.household_id = \
             (SELECT household_id FROM household_members WHERE person_id = ?))) \
         ORDER BY p.id"
    );
    let rows = query_all(c, &sql, vec![person_id.into(), person_id.into()]).await?;
    let mut members = Vec::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    for r in &rows {
        ids.push(col::<String>(r, "id")?);
        members.push(PersonFacts {
            birth_date: col(r, "birth_date")?,
            sex: col(r, "sex")?,
            relationship: col(r, "relationship")?,
            village: col(r, "village_code")?,
            occupation: col(r, "occupation")?,
            marital_status: col(r, "marital_status")?,
            disability: col(r, "disability")?,
            chronic_illness: col(r, "chronic_illness")?,
            school_status: col(r, "school_status")?,
            employment_status: col(r, "employment_status")?,
            monthly_income: col(r, "monthly_income")?,
            welfare_decile: col(r, "welfare_decile")?,
            pmt_score: col(r, "pmt_score")?,
            jkn_segment: col(r, "jkn_segment")?,
            jkn_class: col(r, "jkn_class")?,
            jkn_active: col(r, "jkn_active")?,
            enrolments: BTreeSet::new(),
        });
    }
    let Some(me) = ids.iter().position(|id| id == person_id) else {
        return Ok(None);
    };
    let enrolled = crate::query_in(
        c,
        "SELECT person_id, programme_code FROM enrolments WHERE status = 'active' \
         AND person_id IN ({in})",
        &[],
        &ids,
    )
    .await?;
    for r in &enrolled {
        let id: String = col(r, "person_id")?;
        if let Some(i) = ids.iter().position(|x| *x == id) {
            members[i].enrolments.insert(col(r, "programme_code")?);
        }
    }
    Ok(Some(Subjects {
        person: members[me].clone(),
        members,
    }))
}

/// Follows a person's move: their facts and enrolments carry their village code.
pub async fn follow_move(c: &impl ConnectionTrait, person_id: &str, village: &str) -> Result<()> {
    for table in ["person_facts", "enrolments"] {
        crate::execute(
            c,
            &format!("UPDATE {table} SET village_code = ? WHERE person_id = ?"),
            vec![Value::from(village), Value::from(person_id)],
        )
        .await?;
    }
    Ok(())
}

/// Merging person `from` into `into`: `into` keeps its own facts and enrolments and takes
/// `from`'s where it has none; forum overrides follow; `from`'s matching results go (the next
/// run lists `into`).
pub async fn merge_person(c: &impl ConnectionTrait, from: &str, into: &str) -> Result<()> {
    let statements = [
        "UPDATE person_facts SET person_id = ? WHERE person_id = ? \
         AND NOT EXISTS (SELECT 1 FROM person_facts k WHERE k.person_id = ?)",
        "UPDATE enrolments SET person_id = ? WHERE person_id = ? \
         AND programme_code NOT IN (SELECT programme_code FROM enrolments k WHERE k.person_id = ?)",
        "UPDATE match_overrides SET person_id = ? WHERE person_id = ? AND ? IS NOT NULL",
    ];
    for sql in statements {
        crate::execute(c, sql, vec![into.into(), from.into(), into.into()]).await?;
    }
    for table in ["person_facts", "enrolments"] {
        crate::execute(
            c,
            &format!("DELETE FROM {table} WHERE person_id = ?"),
            vec![from.into()],
        )
        .await?;
    }
    // Through the key (list, person) of every list: lines have no index by person.
    crate::execute(
        c,
        "DELETE FROM match_lines WHERE list_id IN (SELECT id FROM match_lists) \
         AND person_id = ?",
        vec![from.into()],
    )
    .await?;
    Ok(())
}
