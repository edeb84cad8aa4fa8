//! The rule language's two modes agree: for generated people, households and rules, the
//! evaluator's answer for each person equals the compiled SQL's, on SQLite and PostgreSQL —
//! eligibility (three-valued, with unknown facts), the editor's count, and numeric values
//! (the ranking keys).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, Utc};
use pintu_domain::AreaCode;
use pintu_domain::access::Scope;
use pintu_domain::rules::{self, RankKey, Truth, Value};
use pintu_store::facts::{self, JknFacts, NewEnrolment, SurveyFacts};
use pintu_store::matching as q;
use pintu_store::registry::{self as reg, NewHousehold, NewMember, NewPerson};
use pintu_store::rules_sql::{Compiler, key_is_decimal};
use pintu_store::{Store, col, execute, new_id, query_all};
use pintu_testkit::{backends, fresh_store};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

const VILLAGES: [&str; 3] = ["35.07.01.2001", "35.07.01.2002", "35.07.02.2001"];
/// Outside the regency the tests match: where a household's migrant member is registered.
const ELSEWHERE: &str = "35.73.01.1001";
const SCHOOL: [&str; 6] = ["TIDAK SEKOLAH", "SD", "SMP", "SMA", "PT", "TIDAK/BELUM"];
const WORK: [&str; 5] = ["FORMAL", "INFORMAL", "TIDAK BEKERJA", "PELAJAR", "PENSIUN"];
const SEGMENTS: [&str; 5] = ["PBI-APBN", "PBI-APBD", "PPU", "PBPU", "BP"];
const PROGRAMMES: [&str; 3] = ["PKH", "KPS", "PBI-JK"];
const OCCUPATIONS: [&str; 3] = ["PETANI", "BURUH", "PEDAGANG"];
const RELATIONSHIPS: [&str; 4] = ["ISTRI", "ANAK", "ORANG TUA", "CUCU"];

fn maybe<T>(rng: &mut StdRng, p: f64, v: impl FnOnce(&mut StdRng) -> T) -> Option<T> {
    if rng.random_bool(p) {
        Some(v(rng))
    } else {
        None
    }
}

/// Writes a small random population: households of one to six (and people in none), random
/// facts with gaps, enrolments, and a few dead people. Returns the ids of everyone.
async fn populate(store: &Store, rng: &mut StdRng) -> Vec<String> {
    let tx = store.begin().await.expect("tx");
    let now = Utc::now();
    let mut ids = Vec::new();
    let mut persons = Vec::new();
    let mut members = Vec::new();
    let mut survey = Vec::new();
    let mut jkn = Vec::new();
    let mut enrolments = Vec::new();
    for h in 0..24 {
        let village = *VILLAGES.choose(rng).expect("village");
        let household = (h % 6 != 5).then(new_id);
        if let Some(hid) = &household {
            reg::insert_household(
                &tx,
                &NewHousehold {
                    id: hid,
                    kk_number: None,
                    village_code: village,
                    address: None,
                    rt: None,
                    rw: None,
                    at: now,
                },
            )
            .await
            .expect("household");
        }
        let size = if household.is_some() {
            rng.random_range(1..=6)
        } else {
            1
        };
        // One household in a while shares the decile of all its members; others vary.
        let decile = rng.random_range(1..=10i64);
        for m in 0..size {
            let id = new_id();
            ids.push(id.clone());
            let birth = NaiveDate::from_ymd_opt(
                rng.random_range(1935..=2025),
                rng.random_range(1..=12),
                rng.random_range(1..=28),
            )
            .expect("date");
            // Some birthdays on the reference day, the day before and the day after.
            let birth = match rng.random_range(0..10) {
                0 => NaiveDate::from_ymd_opt(rng.random_range(1950..=2020), 11, 22).expect("d"),
                1 => NaiveDate::from_ymd_opt(rng.random_range(1950..=2020), 11, 23).expect("d"),
                2 => NaiveDate::from_ymd_opt(2000, 2, 29).expect("d"),
                _ => birth,
            };
            persons.push(NewPerson {
                id: id.clone(),
                nik: None,
                full_name: format!("ORANG {h} {m}"),
                name_key: format!("orang {h} {m}"),
                sex: if rng.random_bool(0.5) { "L" } else { "P" },
                birth_date: birth,
                birth_place: None,
                religion: None,
                education: None,
                occupation: maybe(rng, 0.6, |r| OCCUPATIONS.choose(r).expect("o").to_string()),
                marital_status: None,
                phone: None,
                // Now and then a member registered in another regency: still a member, counted
                // in the household's facts, but not in the regency's lists.
                village_code: if m > 0 && h % 3 == 1 {
                    ELSEWHERE.into()
                } else {
                    village.into()
                },
                at: now,
            });
            if let Some(hid) = &household {
                members.push(NewMember {
                    person_id: id.clone(),
                    household_id: hid.clone(),
                    relationship: if m == 0 {
                        "KEPALA KELUARGA".into()
                    } else {
                        RELATIONSHIPS.choose(rng).expect("r").to_string()
                    },
                    village_code: village.into(),
                    since: birth,
                });
            }
            if rng.random_bool(0.75) {
                survey.push(SurveyFacts {
                    person_id: id.clone(),
                    village_code: village.into(),
                    disability: maybe(rng, 0.8, |r| r.random_bool(0.2)),
                    chronic_illness: maybe(rng, 0.8, |r| r.random_bool(0.2)),
                    school_status: maybe(rng, 0.7, |r| SCHOOL.choose(r).expect("s").to_string()),
                    employment_status: maybe(rng, 0.7, |r| WORK.choose(r).expect("w").to_string()),
                    monthly_income: maybe(rng, 0.7, |r| r.random_range(0..5_000_000i64)),
                    welfare_decile: maybe(rng, 0.85, |r| {
                        if r.random_bool(0.7) {
                            decile
                        } else {
                            r.random_range(1..=10)
                        }
                    }),
                    pmt_score: maybe(rng, 0.7, |r| f64::from(r.random_range(0..1000u32)) / 10.0),
                    surveyed_on: None,
                });
            }
            if rng.random_bool(0.4) {
                jkn.push(JknFacts {
                    person_id: id.clone(),
                    village_code: village.into(),
                    segment: maybe(rng, 0.9, |r| SEGMENTS.choose(r).expect("g").to_string()),
                    class: maybe(rng, 0.8, |r| r.random_range(1..=3i64)),
                    active: maybe(rng, 0.9, |r| r.random_bool(0.8)),
                });
            }
            for code in PROGRAMMES {
                if rng.random_bool(0.2) {
                    enrolments.push(NewEnrolment {
                        person_id: id.clone(),
                        village_code: village.into(),
                        programme_code: code.into(),
                        active: rng.random_bool(0.8),
                        since: None,
                        source: "officer",
                        reference: None,
                    });
                }
            }
        }
    }
    reg::insert_persons(&tx, &persons).await.expect("persons");
    reg::insert_members(&tx, &members).await.expect("members");
    facts::upsert_survey(&tx, &survey).await.expect("survey");
    facts::upsert_jkn(&tx, &jkn).await.expect("jkn");
    facts::upsert_enrolments(&tx, &enrolments)
        .await
        .expect("enrolments");
    for id in ids.iter().step_by(17) {
        execute(
            &tx,
            "UPDATE persons SET life_status = 'dead' WHERE id = ?",
            vec![id.clone().into()],
        )
        .await
        .expect("death");
    }
    tx.commit().await.expect("commit");
    ids
}

/// A generator of well-typed rule texts over every fact, function and macro.
struct Gen<'a> {
    rng: &'a mut StdRng,
}

impl Gen<'_> {
    fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items.choose(self.rng).expect("item")
    }

    fn subject(&mut self, member: bool) -> &'static str {
        if member && self.rng.random_bool(0.7) {
            "m."
        } else {
            ""
        }
    }

    fn int(&mut self, depth: u32, member: bool) -> String {
        let s = self.subject(member);
        match self.rng.random_range(0..if depth == 0 { 4 } else { 8 }) {
            0 => format!("{s}age"),
            1 => format!(
                "{s}{}",
                self.pick(&["welfare_decile", "jkn_class", "monthly_income"])
            ),
            2 => format!(
                "household.{}",
                self.pick(&[
                    "size",
                    "welfare_decile",
                    "monthly_income",
                    "income_per_capita"
                ])
            ),
            3 => self.rng.random_range(-5..120i64).to_string(),
            4 => format!(
                "({} {} {})",
                self.int(depth - 1, member),
                self.pick(&["+", "-", "*"]),
                self.int(depth - 1, member)
            ),
            5 if !member => format!(
                "household.members.filter(x, {}).size()",
                self.boolean(depth - 1, true).replace("m.", "x.")
            ),
            6 if !member => "size(household.members)".into(),
            _ => format!("{s}age"),
        }
    }

    fn decimal(&mut self, depth: u32, member: bool) -> String {
        let s = self.subject(member);
        match self.rng.random_range(0..4) {
            0 => format!("{s}pmt_score"),
            1 => "household.pmt_score".into(),
            2 => format!("{}.5", self.rng.random_range(0..100)),
            _ => format!(
                "({s}pmt_score + {})",
                self.int(depth.saturating_sub(1), member)
            ),
        }
    }

    fn text_compare(&mut self, member: bool) -> String {
        let s = self.subject(member);
        let (field, values): (&str, &[&str]) = match self.rng.random_range(0..6) {
            0 => ("sex", &["L", "P"]),
            1 => ("school_status", &SCHOOL),
            2 => ("employment_status", &WORK),
            3 => ("jkn_segment", &SEGMENTS),
            4 => ("occupation", &OCCUPATIONS),
            _ => ("relationship", &["KEPALA KELUARGA", "ISTRI", "ANAK"]),
        };
        match self.rng.random_range(0..3) {
            0 => format!("{s}{field} == \"{}\"", self.pick(values)),
            1 => format!("{s}{field} != \"{}\"", self.pick(values)),
            _ => {
                let n = self.rng.random_range(0..3);
                let list: Vec<String> = (0..n)
                    .map(|_| format!("\"{}\"", self.pick(values)))
                    .collect();
                format!("{s}{field} in [{}]", list.join(", "))
            }
        }
    }

    fn boolean(&mut self, depth: u32, member: bool) -> String {
        let s = self.subject(member);
        let leaf = depth == 0;
        match self.rng.random_range(0..if leaf { 8 } else { 13 }) {
            0 => format!(
                "{} {} {}",
                self.int(depth.min(1), member),
                self.pick(&["<", "<=", ">", ">=", "==", "!="]),
                self.int(0, member)
            ),
            1 => self.text_compare(member),
            2 => format!(
                "{s}{}",
                self.pick(&["disability", "chronic_illness", "jkn_active"])
            ),
            3 => format!(
                "has({s}{})",
                self.pick(&["welfare_decile", "pmt_score", "school_status", "disability"])
            ),
            4 => format!("{s}enrolled(\"{}\")", self.pick(&PROGRAMMES)),
            5 => format!("household.enrolled(\"{}\")", self.pick(&PROGRAMMES)),
            6 => format!(
                "in_area(\"{}\")",
                self.pick(&["35.07", "35.07.01", "35.07.01.2002", "35.0"])
            ),
            7 => format!(
                "{} {} {}",
                self.decimal(0, member),
                self.pick(&["<", ">=", "=="]),
                self.decimal(0, member)
            ),
            8 => format!("!({})", self.boolean(depth - 1, member)),
            9 => format!(
                "({} && {})",
                self.boolean(depth - 1, member),
                self.boolean(depth - 1, member)
            ),
            10 => format!(
                "({} || {})",
                self.boolean(depth - 1, member),
                self.boolean(depth - 1, member)
            ),
            11 if !member => format!(
                "household.members.{}(m, {})",
                self.pick(&["exists", "all"]),
                self.boolean(depth - 1, true)
            ),
            12 => format!("{s}disability == {}", self.pick(&["true", "false"])),
            _ => format!("{s}age >= 18"),
        }
    }
}

fn subjects_truth(outcome: Truth) -> bool {
    outcome == Truth::True
}

/// The run `PARITY_RUN`'s people whom `rule` makes eligible: by its SQL, and by the
/// evaluator over `subjects`.
async fn eligible_both_ways(
    store: &Store,
    compiler: &Compiler,
    rule: &rules::Rule,
    scope: &Scope,
    subjects: &BTreeMap<String, rules::Subjects>,
    on: NaiveDate,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let sql = compiler.eligible(PARITY_RUN, &rule.expr, &[], scope, false);
    let from_sql = q::candidates(store, sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{:?} {}: {e}", store.backend(), rule.text))
        .into_iter()
        .map(|c| c.person_id)
        .collect();
    let from_eval = subjects
        .iter()
        .filter(|(_, s)| subjects_truth(rule.evaluate(s, on).truth))
        .map(|(id, _)| id.clone())
        .collect();
    (from_sql, from_eval)
}

/// The run id the parity test's population snapshot is written under.
const PARITY_RUN: &str = "parity";

#[tokio::test]
async fn the_evaluator_and_the_sql_agree_on_generated_people_and_rules() {
    let on = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    for backend in backends() {
        let (store, _) = fresh_store(backend).await;
        let mut rng = StdRng::seed_from_u64(20261122);
        let ids = populate(&store, &mut rng).await;
        let mut subjects = BTreeMap::new();
        for id in &ids {
            if let Some(s) = facts::subjects_of(store.conn(), id)
                .await
                .expect("subjects")
            {
                subjects.insert(id.clone(), s);
            }
        }
        let scope = Scope::Within(AreaCode::parse("35.07").expect("area"));
        let in_area: BTreeSet<String> = query_all(
            store.conn(),
            "SELECT id FROM persons WHERE village_code LIKE '35.07.%'",
            vec![],
        )
        .await
        .expect("people")
        .iter()
        .map(|r| col::<String>(r, "id").expect("id"))
        .collect();
        subjects.retain(|id, _| in_area.contains(id));
        assert!(
            ids.iter().filter(|id| !in_area.contains(*id)).count() >= 3,
            "some members are registered elsewhere: {} of {}",
            ids.iter().filter(|id| !in_area.contains(*id)).count(),
            ids.len()
        );
        let compiler = Compiler::new(store.backend(), on);
        let run = PARITY_RUN;
        let tx = store.begin().await.expect("tx");
        q::build_population(&tx, run, &scope)
            .await
            .expect("population");
        tx.commit().await.expect("commit");
        let mut eligible_somewhere = 0;
        for case in 0..300 {
            let text = Gen { rng: &mut rng }.boolean(3, false);
            let rule = rules::check(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            let (from_sql, from_eval) =
                eligible_both_ways(&store, &compiler, &rule, &scope, &subjects, on).await;
            assert_eq!(
                from_sql, from_eval,
                "{backend:?} case {case}: the SQL and the evaluator differ on `{text}`"
            );
            let (people, eligible) =
                q::count(store.conn(), compiler.count(run, &rule.expr, &scope))
                    .await
                    .expect("count");
            assert_eq!(people as usize, subjects.len(), "living people");
            assert_eq!(
                eligible as usize,
                from_eval.len(),
                "{backend:?} count of `{text}`"
            );
            if !from_eval.is_empty() && from_eval.len() < subjects.len() {
                eligible_somewhere += 1;
            }
        }
        // The generated rules are not trivial: most split the population.
        assert!(
            eligible_somewhere > 100,
            "only {eligible_somewhere} rules split the population"
        );

        // Numeric values (ranking keys) agree too, unknowns included.
        for case in 0..150 {
            let mut g = Gen { rng: &mut rng };
            let text = if case % 3 == 0 {
                g.decimal(2, false)
            } else {
                g.int(2, false)
            };
            let keys: Vec<RankKey> =
                rules::check_ranking(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            let always = rules::check("true").expect("true");
            let decimal: Vec<bool> = keys.iter().map(key_is_decimal).collect();
            let sql = compiler.eligible(run, &always.expr, &keys, &scope, false);
            let rows = q::candidates(&store, sql, &decimal)
                .await
                .unwrap_or_else(|e| panic!("{backend:?} {text}: {e}"));
            assert_eq!(rows.len(), subjects.len());
            for row in rows {
                let expected = match keys[0].expr.value(&subjects[&row.person_id], on) {
                    Value::Int(i) => Some(i as f64),
                    Value::Decimal(d) => Some(d),
                    Value::Null => None,
                    other => panic!("a number, not {other:?}"),
                };
                let close = match (row.keys[0], expected) {
                    (Some(a), Some(b)) => (a - b).abs() < 1e-9 * (1.0 + b.abs()),
                    (a, b) => a == b,
                };
                assert!(
                    close,
                    "{backend:?} `{text}` for {}: SQL {:?}, evaluator {:?}",
                    row.person_id, row.keys[0], expected
                );
            }
        }

        // Ages compared with a number are compiled as birth dates compared with a day some
        // years back: around birthdays, leap days and common years' February 28, every
        // comparison agrees with the evaluator's whole years.
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let mut split = 0;
        for on in [
            day(2026, 11, 22),
            day(2026, 11, 23),
            day(2027, 2, 28),
            day(2027, 3, 1),
            day(2028, 2, 28),
            day(2028, 2, 29),
        ] {
            let compiler = Compiler::new(store.backend(), on);
            for n in [-1, 0, 1, 6, 26, 27, 28, 60, 76, 77, 120, 10_000_000] {
                for op in ["<", "<=", ">", ">=", "==", "!="] {
                    for text in [format!("age {op} {n}"), format!("{n} {op} age")] {
                        let rule = rules::check(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
                        let (from_sql, from_eval) =
                            eligible_both_ways(&store, &compiler, &rule, &scope, &subjects, on)
                                .await;
                        assert_eq!(
                            from_sql, from_eval,
                            "{backend:?} on {on}: the SQL and the evaluator differ on `{text}`"
                        );
                        if !from_eval.is_empty() && from_eval.len() < subjects.len() {
                            split += 1;
                        }
                    }
                }
            }
        }
        assert!(
            split > 200,
            "only {split} age comparisons split the population"
        );
    }
}

#[tokio::test]
async fn heads_only_lists_each_household_once_by_its_head() {
    let on = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    for backend in backends() {
        let (store, _) = fresh_store(backend).await;
        let mut rng = StdRng::seed_from_u64(7);
        populate(&store, &mut rng).await;
        let scope = Scope::Within(AreaCode::parse("35.07").expect("area"));
        let rule = rules::check("true").expect("rule");
        let tx = store.begin().await.expect("tx");
        q::build_population(&tx, "heads", &scope)
            .await
            .expect("population");
        tx.commit().await.expect("commit");
        let sql =
            Compiler::new(store.backend(), on).eligible("heads", &rule.expr, &[], &scope, true);
        let rows = q::candidates(&store, sql, &[]).await.expect("rows");
        let households: BTreeSet<Option<String>> = rows
            .iter()
            .filter(|r| r.household_id.is_some())
            .map(|r| r.household_id.clone())
            .collect();
        let with = rows.iter().filter(|r| r.household_id.is_some()).count();
        assert_eq!(with, households.len(), "one line per household");
        assert!(
            rows.iter().any(|r| r.household_id.is_none()),
            "people in no household are their own head"
        );
    }
}
