//! The registry's contract, run on every backend: the same story on SQLite and PostgreSQL.

use pintu_domain::household::HouseholdInput;
use pintu_service::registry::{LifeEvent, PersonPatch};
use pintu_service::{Ctx, Error};
use pintu_store::audit::all_audit;
use pintu_testkit::{backends, spawn_app};

use crate::{OTHER_DISTRICT_VILLAGE, VILLAGE, household, nik};

fn input(v: serde_json::Value) -> HouseholdInput {
    serde_json::from_value(v).expect("household input")
}

pub(crate) async fn officer_ctx(
    app: &pintu_testkit::TestApp,
    username: &str,
    role: &str,
    area: Option<&str>,
) -> Ctx {
    app.officer(username, role, area).await;
    let user = pintu_store::users::user_by_username(app.pintu.store.conn(), username)
        .await
        .expect("query")
        .expect("user");
    Ctx::new(
        pintu_service::auth::actor_of(&user).expect("actor"),
        Some("req-test".into()),
    )
}

#[tokio::test]
async fn a_registered_household_reads_back_identically_on_every_backend() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ctx = officer_ctx(&app, "desa", "village_officer", Some(VILLAGE)).await;
        let head_nik = nik(VILLAGE, 1);
        let r = app
            .pintu
            .register_household(
                &ctx,
                &input(household(VILLAGE, &head_nik, "Sutrisno Wibowo")),
            )
            .await
            .expect("registered");
        assert_eq!(r.person_ids.len(), 3, "{backend:?}");
        assert!(r.warnings.is_empty(), "{backend:?}: {:?}", r.warnings);

        let h = app
            .pintu
            .household(&ctx, &r.household_id)
            .await
            .expect("household");
        assert_eq!(h.household.rt.as_deref(), Some("004"));
        assert_eq!(h.household.head_name.as_deref(), Some("Sutrisno Wibowo"));
        assert_eq!(h.members.len(), 3);
        assert_eq!(
            h.members[0].relationship.as_deref(),
            Some("KEPALA KELUARGA")
        );

        let p = app
            .pintu
            .person(&ctx, &r.person_ids[0])
            .await
            .expect("person");
        assert_eq!(p.person.nik.as_deref(), Some(head_nik.as_str()));
        assert_eq!(p.person.birth_date.to_string(), "1978-03-15");
        assert_eq!(p.person.phone.as_deref(), Some("+6281234567890"));
        assert_eq!(p.household.expect("in a household").id, r.household_id);
        let baby = app
            .pintu
            .person(&ctx, &r.person_ids[2])
            .await
            .expect("baby");
        assert!(
            baby.person.nik.is_none(),
            "a newborn is registered with NIK pending"
        );

        let counts = app.pintu.dashboard(&ctx).await.expect("counts");
        assert_eq!(
            (
                counts.persons,
                counts.households,
                counts.persons_without_nik
            ),
            (3, 1, 2),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn search_finds_people_by_exact_nik_and_by_name_ignoring_case_and_accents() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ctx = officer_ctx(&app, "desa", "village_officer", Some(VILLAGE)).await;
        let head_nik = nik(VILLAGE, 1);
        app.pintu
            .register_household(
                &ctx,
                &input(household(VILLAGE, &head_nik, "Sutrisno Wibowo")),
            )
            .await
            .expect("registered");
        let mut other = household(VILLAGE, &nik(VILLAGE, 2), "Dédi Wibisono");
        other["members"][1]["full_name"] = "Wati".into();
        app.pintu
            .register_household(&ctx, &input(other))
            .await
            .expect("registered");

        let by_nik = app
            .pintu
            .search_by_nik(&ctx, &head_nik)
            .await
            .expect("search");
        assert_eq!(by_nik.len(), 1);
        assert_eq!(by_nik[0].full_name, "Sutrisno Wibowo");

        let prefix = app
            .pintu
            .search_by_name(&ctx, "SUTRIS", None, None)
            .await
            .expect("search");
        assert_eq!(
            prefix
                .iter()
                .map(|p| p.full_name.as_str())
                .collect::<Vec<_>>(),
            vec!["Sutrisno Wibowo"],
            "{backend:?}"
        );
        let accent = app
            .pintu
            .search_by_name(&ctx, "dedi", None, None)
            .await
            .expect("search");
        assert_eq!(accent.len(), 1, "accent-insensitive on {backend:?}");
        let contains = app
            .pintu
            .search_by_name(&ctx, "wib", None, None)
            .await
            .expect("search");
        assert_eq!(contains.len(), 2, "contains on {backend:?}");
        assert!(matches!(
            app.pintu.search_by_name(&ctx, "a", None, None).await,
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            app.pintu.search_by_nik(&ctx, "12345").await,
            Err(Error::Invalid(_))
        ));

        let audit = all_audit(app.pintu.store.conn()).await.expect("audit");
        assert!(
            audit
                .iter()
                .all(|(_, _, _, detail)| !detail.clone().unwrap_or_default().contains(&head_nik)),
            "no NIK in the audit log"
        );
        assert!(
            audit
                .iter()
                .any(|(_, action, _, detail)| action == "person.search"
                    && detail.as_deref() == Some("by=nik results=1"))
        );
    }
}

#[tokio::test]
async fn lists_page_through_everyone_in_an_area_without_repeats() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ctx = officer_ctx(&app, "kab", "district_officer", Some("35.07")).await;
        for (i, village) in [VILLAGE, OTHER_DISTRICT_VILLAGE, crate::SIBLING_VILLAGE]
            .iter()
            .enumerate()
        {
            app.pintu
                .register_household(
                    &ctx,
                    &input(household(village, &nik(village, i as u32 + 1), "Kepala")),
                )
                .await
                .expect("registered");
        }
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = app
                .pintu
                .list_persons(&ctx, None, after.as_deref(), Some(2))
                .await
                .expect("page");
            seen.extend(page.items.iter().map(|p| p.id.clone()));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((seen.len(), unique.len()), (9, 9), "{backend:?}");

        let district = app
            .pintu
            .list_households(&ctx, Some("35.07.01"), None, Some(50))
            .await
            .expect("page");
        assert_eq!(district.items.len(), 2);
        assert!(district.next.is_none());
        assert!(matches!(
            app.pintu
                .list_persons(&ctx, Some("35.08"), None, None)
                .await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            app.pintu
                .list_persons(&ctx, None, Some("garbage!"), None)
                .await,
            Err(Error::Invalid(_))
        ));
    }
}

#[tokio::test]
async fn a_duplicate_nik_is_a_conflict_and_writes_nothing() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ctx = officer_ctx(&app, "desa", "village_officer", Some(VILLAGE)).await;
        let head_nik = nik(VILLAGE, 1);
        app.pintu
            .register_household(&ctx, &input(household(VILLAGE, &head_nik, "Pertama")))
            .await
            .expect("registered");
        let err = app
            .pintu
            .register_household(&ctx, &input(household(VILLAGE, &head_nik, "Kedua")))
            .await
            .expect_err("duplicate");
        assert!(
            matches!(
                err,
                Error::Conflict {
                    code: "nik_already_registered",
                    ..
                }
            ),
            "{err:?}"
        );
        let counts = app.pintu.dashboard(&ctx).await.expect("counts");
        assert_eq!(
            (counts.persons, counts.households),
            (3, 1),
            "nothing of the second household was written on {backend:?}"
        );
    }
}

#[tokio::test]
async fn updating_a_person_keeps_the_old_values_in_the_history() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ctx = officer_ctx(&app, "desa", "village_officer", Some(VILLAGE)).await;
        let r = app
            .pintu
            .register_household(
                &ctx,
                &input(household(VILLAGE, &nik(VILLAGE, 1), "Sutrisno")),
            )
            .await
            .expect("registered");
        let patch = PersonPatch {
            full_name: Some("Sutrisno Wibowo".into()),
            occupation: Some("PETANI".into()),
            reason: Some("KK baru".into()),
            ..Default::default()
        };
        let updated = app
            .pintu
            .update_person(&ctx, &r.person_ids[0], &patch)
            .await
            .expect("updated");
        assert_eq!(updated.full_name, "Sutrisno Wibowo");
        let d = app
            .pintu
            .person(&ctx, &r.person_ids[0])
            .await
            .expect("person");
        let change = d
            .history
            .iter()
            .find(|h| h.field.as_deref() == Some("full_name"))
            .expect("name change recorded");
        assert_eq!(
            (
                change.old_value.as_deref(),
                change.new_value.as_deref(),
                change.reason.as_deref()
            ),
            (Some("Sutrisno"), Some("Sutrisno Wibowo"), Some("KK baru"))
        );
        assert_eq!(change.actor, "user:desa");
        assert!(
            app.pintu
                .search_by_name(&ctx, "wibowo", None, None)
                .await
                .expect("search")
                .len()
                == 1,
            "the search key follows the name"
        );

        let bad = PersonPatch {
            birth_date: Some("2099-01-01".into()),
            ..Default::default()
        };
        assert!(matches!(
            app.pintu.update_person(&ctx, &r.person_ids[0], &bad).await,
            Err(Error::Invalid(_))
        ));
        let same = app
            .pintu
            .person(&ctx, &r.person_ids[0])
            .await
            .expect("person");
        assert_eq!(
            same.person.birth_date.to_string(),
            "1978-03-15",
            "a refused change changes nothing"
        );
    }
}

#[tokio::test]
async fn life_events_change_the_registry_with_history() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ctx = officer_ctx(&app, "kec", "subdistrict_officer", Some("35.07.01")).await;
        let r = app
            .pintu
            .register_household(
                &ctx,
                &input(household(VILLAGE, &nik(VILLAGE, 1), "Sutrisno")),
            )
            .await
            .expect("registered");
        let (head, wife, child) = (&r.person_ids[0], &r.person_ids[1], &r.person_ids[2]);

        let birth = LifeEvent::Birth {
            date: "2026-01-05".into(),
            full_name: "Putri".into(),
            sex: "P".into(),
            nik: None,
            birth_place: None,
        };
        let born = app
            .pintu
            .record_event(&ctx, wife, &birth)
            .await
            .expect("birth");
        let baby = app
            .pintu
            .person(&ctx, born.new_person_id.as_deref().expect("child id"))
            .await
            .expect("baby");
        assert_eq!(baby.person.relationship.as_deref(), Some("ANAK"));
        assert_eq!(baby.household.expect("household").id, r.household_id);

        app.pintu
            .record_event(
                &ctx,
                child,
                &LifeEvent::Death {
                    date: "2026-02-01".into(),
                },
            )
            .await
            .expect("death");
        let dead = app.pintu.person(&ctx, child).await.expect("person");
        assert_eq!(dead.person.life_status, "dead");
        assert!(dead.household.is_none());
        assert!(matches!(
            app.pintu
                .record_event(
                    &ctx,
                    child,
                    &LifeEvent::Death {
                        date: "2026-02-02".into()
                    }
                )
                .await,
            Err(Error::Conflict { .. })
        ));

        let moving = LifeEvent::Move {
            date: "2026-03-01".into(),
            village_code: Some(crate::SIBLING_VILLAGE.into()),
            out_of_area: false,
            whole_household: true,
            address: None,
        };
        app.pintu
            .record_event(&ctx, head, &moving)
            .await
            .expect("move");
        let h = app
            .pintu
            .household(&ctx, &r.household_id)
            .await
            .expect("household");
        assert_eq!(h.household.village_code, crate::SIBLING_VILLAGE);
        assert!(
            h.members
                .iter()
                .all(|m| m.village_code == crate::SIBLING_VILLAGE)
        );
        assert!(h.history.iter().any(|e| e.action == "moved"));

        let away = LifeEvent::Move {
            date: "2026-04-01".into(),
            village_code: None,
            out_of_area: true,
            whole_household: false,
            address: None,
        };
        app.pintu
            .record_event(&ctx, wife, &away)
            .await
            .expect("move out");
        assert_eq!(
            app.pintu
                .person(&ctx, wife)
                .await
                .expect("person")
                .person
                .life_status,
            "moved_out"
        );
        let unknown = LifeEvent::Move {
            date: "2026-04-01".into(),
            village_code: Some("35.07.01.9999".into()),
            out_of_area: false,
            whole_household: false,
            address: None,
        };
        assert!(matches!(
            app.pintu.record_event(&ctx, head, &unknown).await,
            Err(Error::Invalid(_))
        ));
    }
}

#[tokio::test]
async fn members_can_be_added_and_moved_between_households() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ctx = officer_ctx(&app, "desa", "village_officer", Some(VILLAGE)).await;
        let a = app
            .pintu
            .register_household(&ctx, &input(household(VILLAGE, &nik(VILLAGE, 1), "Ayah")))
            .await
            .expect("a");
        let b = app
            .pintu
            .register_household(&ctx, &input(household(VILLAGE, &nik(VILLAGE, 2), "Mertua")))
            .await
            .expect("b");
        let member = pintu_domain::MemberInput {
            full_name: "Nenek".into(),
            sex: "P".into(),
            birth_date: "1950-01-01".into(),
            relationship: "ORANG TUA".into(),
            ..Default::default()
        };
        app.pintu
            .add_member(&ctx, &a.household_id, &member)
            .await
            .expect("added");
        let head_again = pintu_domain::MemberInput {
            relationship: "KEPALA KELUARGA".into(),
            ..member
        };
        assert!(matches!(
            app.pintu
                .add_member(&ctx, &a.household_id, &head_again)
                .await,
            Err(Error::Invalid(_))
        ));

        app.pintu
            .move_member(
                &ctx,
                &a.person_ids[2],
                Some(&b.household_id),
                Some("CUCU"),
                Some("ikut kakek"),
            )
            .await
            .expect("moved");
        assert_eq!(
            app.pintu
                .household(&ctx, &a.household_id)
                .await
                .expect("a")
                .members
                .len(),
            3
        );
        let bh = app.pintu.household(&ctx, &b.household_id).await.expect("b");
        assert_eq!(bh.members.len(), 4);
        assert!(
            bh.members
                .iter()
                .any(|m| m.id == a.person_ids[2] && m.relationship.as_deref() == Some("CUCU"))
        );
    }
}

#[tokio::test]
async fn every_read_and_change_of_personal_data_is_audited() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let ctx = officer_ctx(&app, "desa", "village_officer", Some(VILLAGE)).await;
    let r = app
        .pintu
        .register_household(
            &ctx,
            &input(household(VILLAGE, &nik(VILLAGE, 1), "Sutrisno")),
        )
        .await
        .expect("registered");
    app.pintu
        .person(&ctx, &r.person_ids[0])
        .await
        .expect("read");
    app.pintu
        .household(&ctx, &r.household_id)
        .await
        .expect("read");
    app.pintu
        .update_person(
            &ctx,
            &r.person_ids[0],
            &PersonPatch {
                occupation: Some("GURU".into()),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    let audit = all_audit(app.pintu.store.conn()).await.expect("audit");
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .filter(|a| a.0 == "user:desa")
        .map(|a| (a.1.as_str(), a.2.as_deref().unwrap_or("")))
        .collect();
    assert!(actions.contains(&("household.register", r.household_id.as_str())));
    assert!(actions.contains(&("person.read", r.person_ids[0].as_str())));
    assert!(actions.contains(&("household.read", r.household_id.as_str())));
    assert!(actions.contains(&("person.update", r.person_ids[0].as_str())));
}

#[tokio::test]
async fn the_bulk_loader_writes_whole_batches_on_every_backend() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ctx = Ctx::system("test");
        let area = pintu_domain::AreaCode::parse("35.07.01").expect("area");
        let report = app
            .pintu
            .load_synthetic(&ctx, &area, 3_000, 1, |_, _| {})
            .await
            .expect("loaded");
        assert!(report.persons >= 3_000);
        let counts = app.pintu.dashboard(&ctx).await.expect("counts");
        assert_eq!(counts.persons as usize, report.persons, "{backend:?}");
        assert_eq!(counts.households as usize, report.households);
        let heads = app
            .pintu
            .list_households(&ctx, Some("35.07.01"), None, Some(200))
            .await
            .expect("page");
        assert!(
            heads
                .items
                .iter()
                .all(|h| h.head_name.is_some() && h.member_count >= 1)
        );
        let someone = app
            .pintu
            .search_by_name(
                &ctx,
                &heads.items[0].head_name.clone().expect("head"),
                None,
                None,
            )
            .await
            .expect("search");
        assert!(
            !someone.is_empty(),
            "bulk-loaded people are searchable on {backend:?}"
        );
    }
}

#[tokio::test]
async fn an_initial_load_with_a_duplicate_nik_is_a_conflict_when_the_index_is_built() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let store = &app.pintu.store;
        let area = pintu_domain::AreaCode::parse("35.07.01").expect("area");
        let villages = store.villages_within(&area).await.expect("villages");
        let cfg = pintu_synth::population::SynthConfig {
            seed: 3,
            persons: 50,
            today: pintu_service::today(),
        };
        let at = chrono::Utc::now();
        let mut batch = Vec::new();
        pintu_synth::population::generate(&villages, &cfg, |h| {
            batch.push(pintu_service::demo::bulk_household(&h, at))
        });
        let nik = batch[0].members[0].0.nik.clone();
        assert!(nik.is_some());
        batch[1].members[0].0.nik = nik;
        assert!(
            store.defer_bulk_indexes().await.expect("defer"),
            "empty registry"
        );
        let src = pintu_store::bulk::BulkSource {
            actor: "system:test",
            source: "synthetic",
            at,
        };
        store.load_households(batch, &src).await.expect("rows load");
        let err = store
            .ensure_bulk_indexes()
            .await
            .expect_err("duplicate NIK");
        assert!(
            matches!(
                err,
                pintu_store::StoreError::Conflict("nik_already_registered")
            ),
            "{backend:?}: {err:?}"
        );
    }
}

#[test]
fn under_ci_the_contract_tests_run_on_postgresql_too() {
    if std::env::var("CI").as_deref() == Ok("true") {
        assert!(
            backends().contains(&pintu_testkit::Backend::Postgres),
            "PostgreSQL must run under CI"
        );
    }
    assert!(backends().contains(&pintu_testkit::Backend::Sqlite));
}

/// A transaction of the store that reads before it writes (most of them: a deposit reads the
/// agent's cash, then records it) commits while other connections keep committing: on an
/// SQLite file a transaction begun deferred would have read a snapshot that the others'
/// commits made stale, and its first write would fail at once (`SQLITE_BUSY`), whatever the
/// busy timeout.
#[tokio::test]
async fn a_transaction_that_reads_then_writes_commits_while_others_commit() {
    use pintu_store::sea_orm::ConnectionTrait;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    for backend in backends() {
        let app = spawn_app(backend).await;
        let store = app.pintu.store.clone();
        store
            .conn()
            .execute_unprepared(
                "CREATE TABLE scratch_counters (id integer PRIMARY KEY, n bigint NOT NULL)",
            )
            .await
            .expect("table");
        store
            .conn()
            .execute_unprepared("INSERT INTO scratch_counters (id, n) VALUES (1, 0), (2, 0)")
            .await
            .expect("rows");
        // Another connection commits all the while.
        let stop = Arc::new(AtomicBool::new(false));
        let others = Arc::new(AtomicU64::new(0));
        let writer = {
            let (store, stop, others) = (store.clone(), stop.clone(), others.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    store
                        .conn()
                        .execute_unprepared("UPDATE scratch_counters SET n = n + 1 WHERE id = 2")
                        .await
                        .expect("other commit");
                    others.fetch_add(1, Ordering::Relaxed);
                    tokio::task::yield_now().await;
                }
            })
        };
        let mut failures = Vec::new();
        for _ in 0..40 {
            let tx = store.begin().await.expect("begin");
            let attempt = async {
                let row = pintu_store::query_one(
                    &tx,
                    "SELECT n FROM scratch_counters WHERE id = 1",
                    vec![],
                )
                .await?
                .expect("row");
                let n: i64 = pintu_store::col(&row, "n")?;
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
                pintu_store::execute(
                    &tx,
                    "UPDATE scratch_counters SET n = ? WHERE id = 1",
                    vec![(n + 1).into()],
                )
                .await?;
                Ok::<_, pintu_store::StoreError>(())
            }
            .await;
            match attempt {
                Ok(()) => tx.commit().await.expect("commit"),
                Err(e) => {
                    failures.push(e.to_string());
                    tx.rollback().await.ok();
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        writer.await.expect("writer");
        assert!(
            others.load(Ordering::Relaxed) > 0,
            "{backend:?}: the other connection committed"
        );
        assert_eq!(failures, Vec::<String>::new(), "{backend:?}");
        let row = pintu_store::query_one(
            store.conn(),
            "SELECT n FROM scratch_counters WHERE id = 1",
            vec![],
        )
        .await
        .expect("read")
        .expect("row");
        assert_eq!(
            pintu_store::col::<i64>(&row, "n").expect("n"),
            40,
            "{backend:?}"
        );
    }
}
