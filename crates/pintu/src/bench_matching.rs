//! `pintu bench matching`: a matching run over a synthetic population with facts, timed, and
//! an export of the same data and of the same rules as SQL for the DuckDB baseline
//! (`benches/matching.sh` runs both).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use pintu_domain::AreaCode;
use pintu_domain::access::Scope;
use pintu_domain::rules;
use pintu_service::{Ctx, Pintu};
use pintu_store::facts::{self, JknFacts, NewEnrolment, SurveyFacts};
use pintu_store::matching as q;
use pintu_store::rules_sql::Compiler;
use pintu_store::sea_orm::{DbBackend, Value};
use pintu_store::{Store, col, query_all};

/// Three rules beyond the shipped catalogue, so a run matches twenty programmes.
const EXTRA_PROGRAMMES: &str = r#"
[[programme]]
code = "BENCH-LANSIA"
name_id = "Uji: lansia tunggal miskin"
name_en = "Bench: poor older people living alone"
owner_agency = "Dinas Sosial"
guarantee = "older_persons"
kind = "cash"
target = "person"
rule = 'age >= 65 && household.size <= 2 && household.income_per_capita < 750000'
rank_by = "household.income_per_capita, age desc"
active_from = "2020-01-01"
example = true

[[programme]]
code = "BENCH-SEKOLAH"
name_id = "Uji: anak putus sekolah"
name_en = "Bench: children out of school"
owner_agency = "Dinas Pendidikan"
guarantee = "children"
kind = "service"
target = "person"
rule = 'age >= 7 && age <= 17 && school_status in ["TIDAK SEKOLAH", "TIDAK/BELUM"] && household.welfare_decile <= 5'
rank_by = "household.pmt_score"
active_from = "2020-01-01"
example = true

[[programme]]
code = "BENCH-KERJA"
name_id = "Uji: pencari kerja muda"
name_en = "Bench: young job seekers"
owner_agency = "Dinas Tenaga Kerja"
guarantee = "working_age"
kind = "employment"
target = "person"
rule = 'age >= 18 && age < 30 && employment_status == "TIDAK BEKERJA" && !household.members.exists(m, m.employment_status == "FORMAL")'
rank_by = "household.welfare_decile, age"
active_from = "2020-01-01"
example = true
"#;

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

fn hash(s: &str) -> u64 {
    mix(s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }))
}

/// Gives every person plausible survey facts, a JKN membership for most, and enrolments in
/// PBI-JK and PKH for part of the poor (a deterministic function of the ids).
async fn add_facts(store: &Store, on: NaiveDate) -> anyhow::Result<usize> {
    let rows = query_all(
        store.conn(),
        "SELECT p.id, p.nik, p.full_name, p.village_code, p.birth_date, hm.household_id, \
           hm.relationship, h.kk_number \
         FROM persons p LEFT JOIN household_members hm ON hm.person_id = p.id \
         LEFT JOIN households h ON h.id = hm.household_id",
        vec![],
    )
    .await?;
    let mut survey = Vec::new();
    let mut jkn = Vec::new();
    let mut enrolments = Vec::new();
    for r in &rows {
        let id: String = col(r, "id")?;
        let village: String = col(r, "village_code")?;
        let birth: NaiveDate = col(r, "birth_date")?;
        let head = col::<Option<String>>(r, "relationship")?.is_none_or(|r| r == "KEPALA KELUARGA");
        // Drawn from what the seed decides (NIK, name, birth date, KK number), not from the
        // ids, so every run and backend gets the same facts.
        let nik: Option<String> = col(r, "nik")?;
        let name: String = col(r, "full_name")?;
        let kk: Option<String> = col(r, "kk_number")?;
        let me = format!("{}|{name}|{birth}|{village}", nik.unwrap_or_default());
        let h = hash(kk.as_deref().unwrap_or(&me));
        let p = hash(&me);
        // Independent draws from other bits of the person's hash.
        let q = p >> 24;
        let decile = (h % 10) as i64 + 1;
        let age = rules::age_on(birth, on);
        let school = match age {
            0..=6 => "TIDAK/BELUM",
            7..=12 => {
                if q.is_multiple_of(20) {
                    "TIDAK SEKOLAH"
                } else {
                    "SD"
                }
            }
            13..=15 => {
                if q.is_multiple_of(10) {
                    "TIDAK SEKOLAH"
                } else {
                    "SMP"
                }
            }
            16..=18 => {
                if q.is_multiple_of(5) {
                    "TIDAK SEKOLAH"
                } else {
                    "SMA"
                }
            }
            _ => ["SD", "SMP", "SMA", "PT"][(p % 4) as usize],
        };
        let work = match age {
            0..=14 => "PELAJAR",
            15..=59 => ["FORMAL", "INFORMAL", "INFORMAL", "TIDAK BEKERJA"][((p >> 8) % 4) as usize],
            _ => ["PENSIUN", "TIDAK BEKERJA", "INFORMAL"][((p >> 8) % 3) as usize],
        };
        let income = match work {
            "FORMAL" => 2_000_000 + decile * 400_000 + ((p >> 16) % 1_000_000) as i64,
            "INFORMAL" => 300_000 + decile * 150_000 + ((p >> 16) % 600_000) as i64,
            _ => 0,
        };
        // Every fifth person was not surveyed: their facts are unknown.
        if !p.is_multiple_of(5) {
            survey.push(SurveyFacts {
                person_id: id.clone(),
                village_code: village.clone(),
                disability: Some(q % 40 == 1),
                chronic_illness: Some(q % 25 == 2),
                school_status: Some(school.into()),
                employment_status: Some(work.into()),
                monthly_income: Some(income),
                welfare_decile: Some(decile),
                pmt_score: Some(decile as f64 * 10.0 + ((h >> 8) % 100) as f64 / 10.0),
                surveyed_on: None,
            });
        }
        if p % 10 < 7 {
            let segment = if decile <= 4 {
                "PBI-APBN"
            } else if work == "FORMAL" {
                "PPU"
            } else {
                "PBPU"
            };
            jkn.push(JknFacts {
                person_id: id.clone(),
                village_code: village.clone(),
                segment: Some(segment.into()),
                class: Some(if segment == "PBPU" { 3 } else { 2 }),
                active: Some(!p.is_multiple_of(13)),
            });
            if segment == "PBI-APBN" {
                enrolments.push(NewEnrolment {
                    person_id: id.clone(),
                    village_code: village.clone(),
                    programme_code: "PBI-JK".into(),
                    active: true,
                    since: None,
                    source: "jkn",
                    reference: None,
                });
            }
        }
        if head && decile <= 3 && h.is_multiple_of(3) {
            enrolments.push(NewEnrolment {
                person_id: id.clone(),
                village_code: village.clone(),
                programme_code: "PKH".into(),
                active: true,
                since: None,
                source: "officer",
                reference: None,
            });
        }
    }
    for chunk in survey.chunks(20_000) {
        let tx = store.begin().await?;
        facts::upsert_survey(&tx, chunk).await?;
        tx.commit().await?;
    }
    for chunk in jkn.chunks(20_000) {
        let tx = store.begin().await?;
        facts::upsert_jkn(&tx, chunk).await?;
        tx.commit().await?;
    }
    for chunk in enrolments.chunks(20_000) {
        let tx = store.begin().await?;
        facts::upsert_enrolments(&tx, chunk).await?;
        tx.commit().await?;
    }
    Ok(rows.len())
}

fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Bool(Some(b)) => serde_json::json!(b),
        Value::BigInt(Some(i)) => serde_json::json!(i),
        Value::Int(Some(i)) => serde_json::json!(i),
        Value::Double(Some(d)) => serde_json::json!(d),
        Value::String(Some(s)) => serde_json::json!(s),
        _ => serde_json::Value::Null,
    }
}

/// The run id the exported queries read their population snapshot under.
const BASELINE_RUN: &str = "baseline";

/// Writes the tables the rules read as CSV, and every active programme's eligibility query
/// (PostgreSQL dialect, `$n` parameters) with its parameters, for DuckDB.
async fn export(store: &Store, area: &AreaCode, on: NaiveDate, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tables: [(&str, &str); 4] = [
        (
            "persons",
            "SELECT id, birth_date, sex, village_code, occupation, marital_status, life_status FROM persons",
        ),
        (
            "household_members",
            "SELECT person_id, household_id, relationship FROM household_members",
        ),
        (
            "person_facts",
            "SELECT person_id, disability, chronic_illness, school_status, employment_status, \
             monthly_income, welfare_decile, pmt_score, jkn_segment, jkn_class, jkn_active FROM person_facts",
        ),
        (
            "enrolments",
            "SELECT person_id, programme_code, status FROM enrolments",
        ),
    ];
    for (name, sql) in tables {
        let rows = query_all(store.conn(), sql, vec![]).await?;
        let columns: Vec<&str> = sql
            .trim_start_matches("SELECT ")
            .split(" FROM ")
            .next()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .collect();
        let mut w = csv::Writer::from_path(dir.join(format!("{name}.csv")))?;
        w.write_record(&columns)?;
        for r in &rows {
            let mut record = Vec::with_capacity(columns.len());
            for c in &columns {
                let cell = match *c {
                    "birth_date" => col::<NaiveDate>(r, c)?.to_string(),
                    "disability" | "chronic_illness" | "jkn_active" => {
                        col::<Option<bool>>(r, c)?.map_or(String::new(), |b| b.to_string())
                    }
                    "monthly_income" | "welfare_decile" | "jkn_class" => {
                        col::<Option<i64>>(r, c)?.map_or(String::new(), |v| v.to_string())
                    }
                    "pmt_score" => {
                        col::<Option<f64>>(r, c)?.map_or(String::new(), |v| v.to_string())
                    }
                    _ => col::<Option<String>>(r, c)?.unwrap_or_default(),
                };
                record.push(cell);
            }
            w.write_record(&record)?;
        }
        w.flush()?;
    }
    let scope = Scope::Within(area.clone());
    let compiler = Compiler::new(DbBackend::Postgres, on);
    let mut queries = Vec::new();
    for g in q::active_programmes(store.conn(), on).await? {
        let within = match g.area_code.as_deref().and_then(|a| AreaCode::parse(a).ok()) {
            None => Some(scope.clone()),
            Some(a) => scope.narrow(&a),
        };
        let (Some(within), Some(text)) = (within, g.rule.as_deref()) else {
            continue;
        };
        let rule = rules::check(text).map_err(|e| anyhow::anyhow!("{}: {e:?}", g.code))?;
        let keys = rules::check_ranking(&g.rank_by).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let sql = compiler.eligible(
            BASELINE_RUN,
            &rule.expr,
            &keys,
            &within,
            g.target == "household",
        );
        queries.push(serde_json::json!({
            "code": g.code,
            "sql": pintu_store::numbered_placeholders(&sql.text),
            "params": sql.values.iter().map(json_value).collect::<Vec<_>>(),
        }));
    }
    let population: Vec<serde_json::Value> =
        pintu_store::rules_sql::population(BASELINE_RUN, &scope)
            .iter()
            .map(|s| {
                serde_json::json!({
                    "sql": pintu_store::numbered_placeholders(&s.text),
                    "params": s.values.iter().map(json_value).collect::<Vec<_>>(),
                })
            })
            .collect();
    let all = serde_json::json!({
        "population": population,
        "queries": queries,
    });
    let mut f = std::fs::File::create(dir.join("queries.json"))?;
    f.write_all(serde_json::to_string_pretty(&all)?.as_bytes())?;
    Ok(())
}

pub async fn run(
    persons: usize,
    area: &str,
    seed: u64,
    target: Option<String>,
    export_to: Option<PathBuf>,
) -> anyhow::Result<()> {
    let area = AreaCode::parse(area).map_err(|e| anyhow::anyhow!("--area: {e}"))?;
    let url = match target {
        Some(u) => u,
        None => {
            let path = "pintu-data/bench-matching.db";
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            format!("sqlite://{path}?mode=rwc")
        }
    };
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let pintu = Pintu::new(store.clone());
    let ctx = Ctx::system("bench");
    anyhow::ensure!(
        pintu
            .dashboard(&ctx)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .persons
            == 0,
        "the target database must be empty"
    );
    pintu_service::programmes::load_catalogue(&store, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    pintu
        .import_catalogue(&ctx, EXTRA_PROGRAMMES)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let on = pintu_service::today();
    eprintln!("loading {persons} synthetic people...");
    pintu
        .load_synthetic(
            &ctx,
            &area,
            persons,
            seed,
            crate::progress(persons, "loading"),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("giving them facts and enrolments...");
    let people = add_facts(&store, on).await?;
    if store.backend() == DbBackend::Postgres {
        // A production database's autovacuum has long since visited its tables; here they
        // were loaded a moment ago, and the autovacuum's first visit to a million fresh rows
        // would share the two cores with the timed run.
        eprintln!("vacuuming the loaded tables...");
        use pintu_store::sea_orm::ConnectionTrait;
        store.conn().execute_unprepared("VACUUM ANALYZE").await?;
    }

    eprintln!("matching...");
    let started = Instant::now();
    let run = pintu
        .run_matching(&ctx, Some(area.as_str()), Some(on), |_, _| {})
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let mut eligible: BTreeMap<String, u64> = BTreeMap::new();
    for p in &run.programmes {
        anyhow::ensure!(p.error.is_none(), "{}: {:?}", p.code, p.error);
        eligible.insert(p.code.clone(), p.eligible);
    }
    println!(
        "backend: {:?}; people: {people}; programmes: {}; reference date: {on}",
        store.backend(),
        run.programmes.len()
    );
    for (code, n) in &eligible {
        println!("  {code:<14} {n:>8} eligible");
    }
    println!(
        "pintu matching run: {seconds:.2} s for {people} people x {} programmes ({} lines written)",
        run.programmes.len(),
        run.programmes
            .iter()
            .map(|p| p.selected + p.waiting + p.added + p.removed)
            .sum::<u64>()
    );
    if let Some(dir) = export_to {
        export(&store, &area, on, &dir).await?;
        std::fs::write(
            dir.join("pintu-eligible.json"),
            serde_json::to_string_pretty(&eligible)?,
        )?;
        eprintln!(
            "exported the data and the rules as SQL to {}",
            dir.display()
        );
    }
    Ok(())
}
