//! Imports of the source extracts, on every backend, and the crash test on the command line.

use pintu_domain::sources::Source;
use pintu_service::imports::ImportStep;
use pintu_service::{Ctx, Error};
use pintu_store::imports::{ImportRow, record_count};
use pintu_store::sea_orm::ConnectionTrait;
use pintu_testkit::{backends, spawn_app};

/// Synthetic extracts of a few hundred people in Kabupaten Malang's district 35.07.01.
fn extracts(dir: &std::path::Path, persons: usize) {
    let villages: Vec<pintu_domain::AreaCode> = ["35.07.01.2001", "35.07.01.2002", "35.07.01.2003"]
        .iter()
        .map(|v| pintu_domain::AreaCode::parse(v).expect("village"))
        .collect();
    let today = pintu_service::today();
    let cfg = pintu_synth::population::SynthConfig {
        seed: 11,
        persons,
        today,
    };
    let mut households = Vec::new();
    pintu_synth::population::generate(&villages, &cfg, |h| households.push(h));
    pintu_synth::extracts::write_extracts(&households, dir, 11, today).expect("extracts");
}

/// Keeps an upload's file where the server keeps it for a resume; returns its path.
fn keep_upload(app: &pintu_testkit::TestApp, id: &str, data: &[u8]) -> std::path::PathBuf {
    let kept = app
        .pintu
        .files_dir
        .join("imports")
        .join(format!("{id}.csv"));
    std::fs::create_dir_all(kept.parent().expect("dir")).expect("mkdir");
    std::fs::write(&kept, data).expect("keep");
    kept
}

fn rows_in(path: &std::path::Path) -> i64 {
    let text = std::fs::read_to_string(path).expect("read");
    csv::Reader::from_reader(text.as_bytes()).records().count() as i64
}

#[tokio::test]
async fn every_source_imports_once_and_a_second_import_changes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    extracts(dir.path(), 400);
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ctx = Ctx::system("test");
        for source in Source::ALL {
            let path = dir.path().join(format!("{}.csv", source.code()));
            let data = std::fs::read(&path).expect("extract");
            let mut steps = Vec::new();
            let done = app
                .pintu
                .import_file(&ctx, source, "x.csv", data.clone(), |step, at, of| {
                    steps.push((step, at, of))
                })
                .await
                .unwrap_or_else(|e| panic!("{backend:?} {}: {e}", source.code()));
            assert_eq!(done.status, "done");
            assert_eq!(done.rows_read, rows_in(&path), "{}", source.code());
            assert_eq!(done.rows_accepted + done.rows_rejected, done.rows_read);
            // One batch of each step: the rows stored, then the linking, from its start.
            let (read, accepted) = (done.rows_read, done.rows_accepted);
            assert_eq!(
                steps,
                vec![
                    (ImportStep::Storing, read, read),
                    (ImportStep::Linking, 0, accepted),
                    (ImportStep::Linking, accepted, accepted),
                ],
                "{backend:?} {}: progress",
                source.code()
            );
            let written = record_count(app.pintu.store.conn(), &done.id)
                .await
                .expect("count");
            assert_eq!(written, done.rows_accepted);
            let again = app
                .pintu
                .import_file(&ctx, source, "x.csv", data, |_, _, _| {})
                .await
                .expect("again");
            assert_eq!(again.id, done.id, "the same file is the same import");
            assert_eq!(
                record_count(app.pintu.store.conn(), &done.id)
                    .await
                    .expect("count"),
                written,
                "re-importing changes nothing on {backend:?}"
            );
        }
    }
}

/// A cancelled import stops between two batches, with every batch it read written whole,
/// and the same file imported again goes on from there to the end.
#[tokio::test]
async fn a_cancelled_import_stops_between_batches_and_resumes_whole() {
    let dir = tempfile::tempdir().expect("dir");
    extracts(dir.path(), 40_000);
    let path = dir.path().join("kk.csv");
    let data = std::fs::read(&path).expect("extract");
    let total = rows_in(&path);
    assert!(total > 10 * pintu_service::imports::IMPORT_BATCH_ROWS as i64);
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ctx = Ctx::system("test");
        let prepared = app
            .pintu
            .prepare_import(&ctx, Source::Kk, "kk.csv", data.clone())
            .await
            .expect("prepare");
        let id = prepared.import.id.clone();
        // Cancelled once its first batch is written.
        let mut asked = false;
        let (pintu, cancel_ctx, cancel_id) = (app.pintu.clone(), ctx.clone(), id.clone());
        let stopped = app
            .pintu
            .run_import(&ctx, prepared, move |_, _, _| {
                if !asked {
                    asked = true;
                    let (pintu, ctx, id) = (pintu.clone(), cancel_ctx.clone(), cancel_id.clone());
                    tokio::spawn(async move { pintu.cancel_import(&ctx, &id).await });
                }
            })
            .await
            .expect("run");
        assert_eq!(stopped.status, "cancelled", "{backend:?}");
        assert!(
            stopped.rows_read > 0 && stopped.rows_read < total,
            "{backend:?}"
        );
        assert_eq!(
            stopped.rows_read % pintu_service::imports::IMPORT_BATCH_ROWS as i64,
            0,
            "{backend:?}: whole batches only"
        );
        assert_eq!(
            stopped.rows_accepted + stopped.rows_rejected,
            stopped.rows_read
        );
        let written = record_count(app.pintu.store.conn(), &id)
            .await
            .expect("count");
        assert_eq!(written, stopped.rows_accepted, "{backend:?}");

        let done = app
            .pintu
            .import_file(&ctx, Source::Kk, "kk.csv", data.clone(), |_, _, _| {})
            .await
            .expect("again");
        assert_eq!(done.id, id, "{backend:?}");
        assert_eq!(done.status, "done", "{backend:?}");
        assert_eq!(done.rows_read, total, "{backend:?}");
        let written = record_count(app.pintu.store.conn(), &id)
            .await
            .expect("count");
        assert_eq!(written, done.rows_accepted, "{backend:?}");
    }
}

#[tokio::test]
async fn malformed_files_are_refused_whole_and_bad_rows_are_explained() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ctx = Ctx::system("test");
        let import = |source, data: &[u8]| {
            app.pintu
                .import_file(&ctx, source, "bad.csv", data.to_vec(), |_, _, _| {})
        };
        match import(Source::Kk, b"nik,full_name\n3507,Budi\n").await {
            Err(Error::Invalid(inv)) => {
                let fields: Vec<&str> = inv.0.iter().map(|f| f.field.as_str()).collect();
                assert!(fields.contains(&"kk_number") && fields.contains(&"village_code"));
                assert!(inv.0.iter().all(|f| f.code == "file_missing_column"));
            }
            other => panic!("missing columns: {other:?}"),
        }
        match import(Source::Ektp, &[0xff, 0xfe, 0x00, 0x41, 0x80, 0x81]).await {
            Err(Error::Invalid(inv)) => assert_eq!(inv.0[0].code, "file_not_utf8"),
            other => panic!("binary garbage: {other:?}"),
        }
        match import(Source::Ektp, b"").await {
            Err(Error::Invalid(inv)) => assert_eq!(inv.0[0].code, "file_empty"),
            other => panic!("empty file: {other:?}"),
        }
        let refused = pintu_store::imports::recent_imports(
            app.pintu.store.conn(),
            &pintu_domain::access::Scope::National,
            10,
        )
        .await
        .expect("imports");
        assert!(refused.is_empty(), "a refused file writes nothing");

        let header = "nik,full_name,birth_date,sex,village_code\n";
        let only_header = import(Source::Ektp, header.as_bytes())
            .await
            .expect("header only");
        assert_eq!(
            (only_header.status.as_str(), only_header.rows_read),
            ("done", 0)
        );

        let file = format!(
            "{header}\
             3507124508850003,Siti Aminah,1985-08-05,P,35.07.01.2001\n\
             35071245O8850004,Budi,1985-08-05,L,35.07.01.2001\n\
             3507120502300005,Joko,2023-02-30,L,35.07.01.2001\n\
             3507124508850006,Sri,1985-08-05,P,35.07.99.9999\n\
             3507124508850007,Wati,1985-08-05\n\
             3507124508850008;Dewi;1985-08-05;P;35.07.01.2001\n"
        );
        let done = import(Source::Ektp, file.as_bytes())
            .await
            .expect("imported");
        assert_eq!(
            (done.rows_read, done.rows_accepted, done.rows_rejected),
            (6, 1, 5)
        );
        let issues = app
            .pintu
            .import_issues(&ctx, &done.id)
            .await
            .expect("issues");
        let has = |row: i64, column: &str, code: &str| {
            issues.iter().any(|i| {
                i.row_number == row && i.column_name == column && i.code == code && i.rejected
            })
        };
        assert!(has(3, "nik", "nik_not_digits"), "{issues:?}");
        assert!(has(4, "birth_date", "date_invalid"));
        assert!(has(5, "village_code", "village_unknown"));
        assert!(has(6, "", "row_wrong_cell_count"));
        assert!(has(7, "", "row_wrong_cell_count"));
        let report = String::from_utf8(pintu_web::reports::issues_csv(&issues)).expect("utf-8");
        assert!(report.starts_with("row,column,outcome,code,alasan,reason\n"));
        assert!(report.contains("3,nik,rejected,nik_not_digits,"));
    }
}

#[tokio::test]
async fn officers_import_only_into_their_area_and_see_only_their_imports() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let village =
        crate::registry::officer_ctx(&app, "desa", "village_officer", Some("35.07.01.2001")).await;
    let district =
        crate::registry::officer_ctx(&app, "kab", "district_officer", Some("35.07")).await;
    let other = crate::registry::officer_ctx(&app, "kab2", "district_officer", Some("35.08")).await;
    let file = b"nik,full_name,birth_date,sex,village_code\n\
        3507124508850003,Siti Aminah,1985-08-05,P,35.07.01.2001\n\
        3508124508850003,Sri,1985-08-05,P,35.08.01.2001\n";
    assert!(matches!(
        app.pintu
            .import_file(&village, Source::Ektp, "e.csv", file.to_vec(), |_, _, _| {})
            .await,
        Err(Error::Forbidden)
    ));
    let done = app
        .pintu
        .import_file(
            &district,
            Source::Ektp,
            "e.csv",
            file.to_vec(),
            |_, _, _| {},
        )
        .await
        .expect("imported");
    assert_eq!((done.rows_accepted, done.rows_rejected), (1, 1));
    let issues = app
        .pintu
        .import_issues(&district, &done.id)
        .await
        .expect("issues");
    assert_eq!(issues[0].code, "village_outside_area");
    assert!(matches!(
        app.pintu.import(&other, &done.id).await,
        Err(Error::NotFound)
    ));
}

/// Kills `pintu import` at several moments, re-runs it, and compares the result with an
/// uninterrupted import of the same file: first the family cards into an empty registry,
/// then the survey, whose rows link to the people of the cards, disagree with them and
/// make new people and households.
#[test]
fn an_import_killed_at_any_moment_resumes_without_losing_or_repeating_rows() {
    let dir = tempfile::tempdir().expect("dir");
    extracts(dir.path(), 30_000);
    let run = |db: &str, source: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pintu"));
        cmd.args(["--database-url", db, "import", "--source", source])
            .arg(dir.path().join(format!("{source}.csv")))
            .env("PINTU_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    let counts = |path: &std::path::Path| {
        let conn = rusqlite::Connection::open(path).expect("open");
        let q = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).expect(sql);
        [
            q("SELECT COUNT(*) FROM source_records"),
            q("SELECT COUNT(DISTINCT import_id || ':' || row_number) FROM source_records"),
            q("SELECT COUNT(*) FROM import_issues"),
            q("SELECT SUM(rows_read) FROM imports"),
            q("SELECT SUM(rows_accepted + rows_rejected) FROM imports"),
            // Synchronisation: every row decided once, the same way, nobody created twice.
            q("SELECT COUNT(*) FROM source_records WHERE link_method IS NOT NULL"),
            q("SELECT COUNT(*) FROM source_records WHERE link_method = 'probabilistic'"),
            q("SELECT COUNT(*) FROM source_records WHERE link_method = 'new'"),
            q("SELECT COUNT(*) FROM persons"),
            q("SELECT COUNT(*) FROM households"),
            q("SELECT COUNT(*) FROM household_members"),
            // Disagreements recorded once, likely duplicates listed once.
            q("SELECT COUNT(*) FROM conflicts"),
            q("SELECT COUNT(*) FROM conflicts WHERE status = 'open'"),
            q("SELECT COUNT(*) FROM duplicate_pairs"),
        ]
    };
    let clean = dir.path().join("clean.db");
    let clean_url = format!("sqlite://{}?mode=rwc", clean.display());
    let crashed = dir.path().join("crashed.db");
    let url = format!("sqlite://{}?mode=rwc", crashed.display());
    for source in ["kk", "dtks"] {
        let clean_run = run(&clean_url, source)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("run");
        assert!(clean_run.status.success());
        let expected = counts(&clean);
        // Without a terminal, each step's progress is logged by tenths, to its end.
        let log = String::from_utf8_lossy(&clean_run.stderr);
        let (read, accepted): (i64, i64) = rusqlite::Connection::open(&clean)
            .expect("open")
            .query_row(
                "SELECT rows_read, rows_accepted FROM imports WHERE source = ?1",
                [source],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("import");
        for line in [
            format!("importing: {read}/{read}"),
            format!("linking: {accepted}/{accepted}"),
        ] {
            assert!(log.lines().any(|l| l == line), "{source}: {line} in {log}");
        }
        assert_eq!(expected[0], expected[1]);
        let mut kills = 0;
        for delay_ms in [150u64, 400, 700, 1_000, 1_500, 2_500, 4_000] {
            let mut child = run(&url, source).spawn().expect("spawn");
            std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            if child.try_wait().expect("wait").is_none() {
                child.kill().expect("kill -9");
                kills += 1;
            }
            let _ = child.wait();
        }
        assert!(kills > 0, "the {source} import was never interrupted");
        let status = run(&url, source).status().expect("resume");
        assert!(status.success());
        assert_eq!(counts(&crashed), expected, "{source}: after {kills} kills");
        if source == "dtks" {
            assert!(
                expected[6] > 0 && expected[11] > 0,
                "the survey links and disagrees"
            );
        }
    }
}

/// A synchronisation that stops between two batches (here its second batch fails and is
/// rolled back) and is run again puts the rest of a survey household without a KK number
/// into the household its first batch made, as an uninterrupted synchronisation does.
#[tokio::test]
async fn a_survey_sync_resumed_after_a_failure_keeps_each_household_whole() {
    let dir = tempfile::tempdir().expect("dir");
    extracts(dir.path(), 30_000);
    let text = std::fs::read_to_string(dir.path().join("dtks.csv")).expect("dtks");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let kk = column("kk_number");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    // The survey from its data row `from` on, without KK numbers: each household is known
    // by its survey key alone.
    let file = |from: usize| -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&header).expect("header");
        for r in &rows[from..] {
            let mut r: Vec<&str> = r.iter().collect();
            r[kk] = "";
            w.write_record(&r).expect("row");
        }
        w.into_inner().expect("csv")
    };
    let ctx = Ctx::system("test");
    let batch = pintu_service::sync::SYNC_BATCH_ROWS;
    let import = |app: &pintu_testkit::TestApp, data: Vec<u8>| {
        let (pintu, ctx) = (app.pintu.clone(), ctx.clone());
        async move {
            pintu
                .import_file(&ctx, Source::Dtks, "dtks.csv", data, |_, _, _| {})
                .await
        }
    };
    // The file starts where a household spans the first two batches of stored rows.
    let probe = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let done = import(&probe, file(0)).await.expect("probe");
    let stored = pintu_store::imports::records(&probe.pintu.store, &done.id)
        .await
        .expect("rows");
    let first = (0..stored.len() - batch)
        .find(|&k| {
            stored[k + batch - 1].source_key.is_some()
                && stored[k + batch - 1].source_key == stored[k + batch].source_key
        })
        .expect("a household across two batches");
    // Row numbers count the header: the first data row is row 2.
    let data = file((stored[first].row_number - 2) as usize);

    let counts = |app: &pintu_testkit::TestApp| {
        let c = app.pintu.store.conn().clone();
        async move {
            let mut out = Vec::new();
            for sql in [
                "SELECT COUNT(*) AS n FROM persons",
                "SELECT COUNT(*) AS n FROM households",
                "SELECT COUNT(*) AS n FROM household_members",
                "SELECT COUNT(*) AS n FROM source_records WHERE link_method = 'new'",
                // Survey households whose people were put in more than one household.
                "SELECT COUNT(*) AS n FROM (SELECT r.source_key FROM source_records r \
                 JOIN household_members m ON m.person_id = r.person_id \
                 GROUP BY r.source_key HAVING COUNT(DISTINCT m.household_id) > 1) AS split",
            ] {
                let row = pintu_store::query_one(&c, sql, vec![])
                    .await
                    .expect(sql)
                    .expect("a row");
                out.push(row.try_get::<i64>("", "n").expect("n"));
            }
            out
        }
    };
    let clean = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let done = import(&clean, data.clone()).await.expect("clean");
    let stored = pintu_store::imports::records(&clean.pintu.store, &done.id)
        .await
        .expect("rows");
    assert_eq!(
        stored[batch - 1].source_key,
        stored[batch].source_key,
        "a household spans the first two batches"
    );
    let expected = counts(&clean).await;
    assert_eq!(
        expected[4], 0,
        "an uninterrupted run keeps households whole"
    );

    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let c = app.pintu.store.conn();
    // Linking the first row of the second batch fails: that batch is rolled back whole.
    for sql in [
        "CREATE TABLE linked_rows (n INTEGER NOT NULL)".to_string(),
        "INSERT INTO linked_rows VALUES (0)".to_string(),
        "CREATE TRIGGER count_links AFTER UPDATE OF link_method ON source_records \
         BEGIN UPDATE linked_rows SET n = n + 1; END"
            .to_string(),
        format!(
            "CREATE TRIGGER second_batch_fails BEFORE UPDATE OF link_method ON source_records \
             WHEN (SELECT n FROM linked_rows) >= {batch} \
             BEGIN SELECT RAISE(ABORT, 'interrupted'); END"
        ),
    ] {
        c.execute_unprepared(&sql).await.expect(&sql);
    }
    assert!(
        import(&app, data.clone()).await.is_err(),
        "the second batch fails"
    );
    let linked = pintu_store::query_one(
        c,
        "SELECT COUNT(*) AS n FROM source_records WHERE link_method IS NOT NULL",
        vec![],
    )
    .await
    .expect("linked")
    .expect("a row")
    .try_get::<i64>("", "n")
    .expect("n");
    assert_eq!(linked, batch as i64, "the first batch alone is applied");
    for sql in [
        "DROP TRIGGER second_batch_fails",
        "DROP TRIGGER count_links",
    ] {
        c.execute_unprepared(sql).await.expect(sql);
    }
    let resumed = import(&app, data).await.expect("resumed");
    assert_eq!(resumed.status, "done");
    assert_eq!(counts(&app).await, expected);
}

/// A row trigger on `table` that runs `body`, or fails the statement when there is none,
/// written in the app's backend's dialect.
async fn add_trigger(
    app: &pintu_testkit::TestApp,
    name: &str,
    timing: &str,
    table: &str,
    body: Option<&str>,
) {
    let c = app.pintu.store.conn();
    let statements = match app.pintu.store.backend() {
        pintu_store::sea_orm::DbBackend::Postgres => vec![
            format!(
                "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {}; \
                 RETURN NEW; END $$",
                body.unwrap_or("RAISE EXCEPTION 'interrupted'")
            ),
            format!(
                "CREATE TRIGGER {name} {timing} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
            ),
        ],
        _ => vec![format!(
            "CREATE TRIGGER {name} {timing} ON {table} BEGIN {}; END",
            body.unwrap_or("SELECT RAISE(ABORT, 'interrupted')")
        )],
    };
    for sql in statements {
        c.execute_unprepared(&sql).await.expect(&sql);
    }
}

async fn drop_trigger(app: &pintu_testkit::TestApp, name: &str, table: &str) {
    let sql = match app.pintu.store.backend() {
        pintu_store::sea_orm::DbBackend::Postgres => format!("DROP TRIGGER {name} ON {table}"),
        _ => format!("DROP TRIGGER {name}"),
    };
    app.pintu
        .store
        .conn()
        .execute_unprepared(&sql)
        .await
        .expect(&sql);
}

/// A trigger standing for an officer who asks an import to stop while it is `status`, at
/// each row `event` (e.g. `AFTER INSERT`) on the source rows.
async fn cancel_on(app: &pintu_testkit::TestApp, name: &str, event: &str, status: &str) {
    let body = format!(
        "UPDATE imports SET status = 'cancelling' WHERE id = NEW.import_id AND status = '{status}'"
    );
    add_trigger(app, name, event, "source_records", Some(&body)).await;
}

/// Imports the family cards to the end of this run.
async fn import_kk(app: &pintu_testkit::TestApp, data: &[u8]) -> Result<ImportRow, Error> {
    app.pintu
        .import_file(
            &Ctx::system("test"),
            Source::Kk,
            "kk.csv",
            data.to_vec(),
            |_, _, _| {},
        )
        .await
}

/// What the registry holds after a synchronisation: people, households, members, the
/// source rows linked, those that made a new person, and the planned rows.
async fn registry_counts(app: &pintu_testkit::TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) AS n FROM persons",
        "SELECT COUNT(*) AS n FROM households",
        "SELECT COUNT(*) AS n FROM household_members",
        "SELECT COUNT(*) AS n FROM source_records WHERE link_method IS NOT NULL",
        "SELECT COUNT(*) AS n FROM source_records WHERE link_method = 'new'",
        "SELECT COUNT(*) AS n FROM sync_plans",
    ] {
        let row = pintu_store::query_one(app.pintu.store.conn(), sql, vec![])
            .await
            .expect(sql)
            .expect("a row");
        out.push(row.try_get::<i64>("", "n").expect("n"));
    }
    out
}

/// An import cancelled while its rows are linked to the registry stops between two of the
/// synchronisation's batches, and the same file imported again goes on from there to the
/// registry an uninterrupted import makes.
#[tokio::test]
async fn an_import_cancelled_while_it_synchronises_stops_between_batches_and_resumes() {
    let dir = tempfile::tempdir().expect("dir");
    extracts(dir.path(), 9_000);
    let data = std::fs::read(dir.path().join("kk.csv")).expect("kk");
    let total = rows_in(&dir.path().join("kk.csv"));
    for backend in backends() {
        let clean = spawn_app(backend).await;
        let batch = pintu_service::sync::sync_batch_rows(clean.pintu.store.backend()) as i64;
        assert!(total > 2 * batch, "{total} rows");
        let done = import_kk(&clean, &data).await.expect("clean");
        assert_eq!(done.rows_synchronised, done.rows_accepted, "{backend:?}");
        let expected = registry_counts(&clean).await;

        let app = spawn_app(backend).await;
        // The officer asks to stop while the first batch of links is being written.
        cancel_on(
            &app,
            "cancel_while_linking",
            "AFTER UPDATE OF link_method",
            "synchronising",
        )
        .await;
        let stopped = import_kk(&app, &data).await.expect("run");
        assert_eq!(stopped.status, "cancelled", "{backend:?}");
        assert_eq!(stopped.rows_read, total, "{backend:?}: every row stored");
        assert_eq!(
            stopped.rows_synchronised, batch,
            "{backend:?}: the batch being written when the cancel came, and no other"
        );
        let now = registry_counts(&app).await;
        assert_eq!(now[3], batch, "{backend:?}: rows linked");
        assert_eq!(now[5], expected[5], "{backend:?}: every row planned");
        drop_trigger(&app, "cancel_while_linking", "source_records").await;

        let resumed = import_kk(&app, &data).await.expect("again");
        assert_eq!(resumed.id, stopped.id, "{backend:?}");
        assert_eq!(resumed.status, "done", "{backend:?}");
        assert_eq!(
            resumed.rows_synchronised, resumed.rows_accepted,
            "{backend:?}"
        );
        assert_eq!(registry_counts(&app).await, expected, "{backend:?}");
    }
}

/// A cancel asked for while the last rows are being stored is not lost: the import stops
/// before its synchronisation instead of going on to the end.
#[tokio::test]
async fn a_cancel_asked_for_as_the_last_rows_are_stored_stops_before_synchronising() {
    let dir = tempfile::tempdir().expect("dir");
    extracts(dir.path(), 300);
    let data = std::fs::read(dir.path().join("kk.csv")).expect("kk");
    let total = rows_in(&dir.path().join("kk.csv"));
    assert!(total < pintu_service::imports::IMPORT_BATCH_ROWS as i64);
    for backend in backends() {
        let app = spawn_app(backend).await;
        // The cancel comes with the file's only batch.
        cancel_on(&app, "cancel_while_storing", "AFTER INSERT", "running").await;
        let stopped = import_kk(&app, &data).await.expect("run");
        assert_eq!(stopped.status, "cancelled", "{backend:?}");
        assert_eq!(stopped.rows_read, total, "{backend:?}");
        assert_eq!(stopped.rows_synchronised, 0, "{backend:?}");
        assert_eq!(
            registry_counts(&app).await,
            vec![0, 0, 0, 0, 0, 0],
            "{backend:?}: nothing synchronised"
        );
        drop_trigger(&app, "cancel_while_storing", "source_records").await;
        let done = import_kk(&app, &data).await.expect("again");
        assert_eq!(done.status, "done", "{backend:?}");
        assert_eq!(done.rows_synchronised, done.rows_accepted, "{backend:?}");
    }
}

/// Two runs of one import at once (the same file uploaded again while it synchronises, or
/// imported on the command line while the server resumes it) link its rows once: the plan
/// is written once and each batch is applied by one run, the other stops.
#[tokio::test]
async fn two_runs_of_one_import_link_its_rows_once() {
    let dir = tempfile::tempdir().expect("dir");
    extracts(dir.path(), 9_000);
    let data = std::fs::read(dir.path().join("kk.csv")).expect("kk");
    let ctx = Ctx::system("test");
    for backend in backends() {
        let clean = spawn_app(backend).await;
        import_kk(&clean, &data).await.expect("clean");
        let expected = registry_counts(&clean).await;

        let app = spawn_app(backend).await;
        // Every row stored, none planned: the two runs below both plan and apply.
        add_trigger(&app, "no_plan", "BEFORE INSERT", "sync_plans", None).await;
        assert!(
            import_kk(&app, &data).await.is_err(),
            "{backend:?}: planning fails"
        );
        drop_trigger(&app, "no_plan", "sync_plans").await;
        let prepare = || {
            app.pintu
                .prepare_import(&ctx, Source::Kk, "kk.csv", data.clone())
        };
        let (a, b) = (prepare().await.expect("a"), prepare().await.expect("b"));
        let id = a.import.id.clone();
        // The upload as the server keeps it for a resume: whichever run ends the import
        // removes it.
        let kept = keep_upload(&app, &id, &data);
        let (mut linked_a, mut linked_b) = (Vec::new(), Vec::new());
        let (ra, rb) = tokio::join!(
            app.pintu.run_import(&ctx, a, |step, at, _| {
                if step == ImportStep::Linking {
                    linked_a.push(at)
                }
            }),
            app.pintu.run_import(&ctx, b, |step, at, _| {
                if step == ImportStep::Linking {
                    linked_b.push(at)
                }
            })
        );
        ra.expect("first run");
        rb.expect("second run");
        let import = app.pintu.import(&ctx, &id).await.expect("import");
        assert_eq!(import.status, "done", "{backend:?}");
        assert_eq!(
            import.rows_synchronised, import.rows_accepted,
            "{backend:?}"
        );
        assert!(!kept.exists(), "{backend:?}: the kept upload is removed");
        let ends = [linked_a.last(), linked_b.last()];
        assert!(
            ends.contains(&Some(&import.rows_accepted)),
            "{backend:?}: the run that ended the import reported it linked, {ends:?}"
        );
        assert_eq!(registry_counts(&app).await, expected, "{backend:?}");
    }
}

#[tokio::test]
async fn the_api_takes_an_upload_and_reports_progress_and_rejections() {
    let dir = tempfile::tempdir().expect("dir");
    extracts(dir.path(), 3_000);
    let kk = std::fs::read(dir.path().join("kk.csv")).expect("kk");
    assert!(
        kk.len() > 256 * 1024,
        "larger than an ordinary request body"
    );
    for backend in backends() {
        let app = spawn_app(backend).await;
        let district = app.officer("kab", "district_officer", Some("35.07")).await;
        let village = app
            .officer("desa", "village_officer", Some("35.07.01.2001"))
            .await;
        let other = app.officer("kab2", "district_officer", Some("35.08")).await;
        let upload = |token: &str, source: Option<&str>, data: Vec<u8>| {
            let mut form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(data).file_name("kk.csv"),
            );
            if let Some(s) = source {
                form = form.text("source", s.to_string());
            }
            app.client
                .post(app.url("/api/v1/imports"))
                .bearer_auth(token)
                .multipart(form)
                .send()
        };

        let r = upload(&district.token, Some("kk"), kk.clone())
            .await
            .expect("upload");
        assert_eq!(r.status(), 202, "{backend:?}");
        let body: serde_json::Value = r.json().await.expect("json");
        let id = body["id"].as_str().expect("id").to_string();
        let mut done = serde_json::Value::Null;
        for _ in 0..200 {
            done = app
                .get(&district.token, &format!("/api/v1/imports/{id}"))
                .await
                .json()
                .await
                .expect("json");
            if done["status"] == "done" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["rows_read"], done["rows_total"]);
        assert_eq!(done["rows_synchronised"], done["rows_accepted"], "{done}");
        let report = app
            .get(&district.token, &format!("/api/v1/imports/{id}/rejections"))
            .await;
        assert_eq!(report.status(), 200);
        assert!(
            report.headers()["content-type"]
                .to_str()
                .expect("type")
                .starts_with("text/csv")
        );
        let text = report.text().await.expect("csv");
        assert!(text.starts_with("row,column,outcome,code,alasan,reason"));
        let list: serde_json::Value = app
            .get(&district.token, "/api/v1/imports")
            .await
            .json()
            .await
            .expect("list");
        assert_eq!(list[0]["id"], id.as_str());
        let sync: serde_json::Value = app
            .get(&district.token, &format!("/api/v1/imports/{id}/sync"))
            .await
            .json()
            .await
            .expect("sync");
        assert_eq!(
            sync["rows"], done["rows_accepted"],
            "every row decided: {sync}"
        );
        assert_eq!(
            sync["created"].as_i64().unwrap_or(0)
                + sync["linked_exact"].as_i64().unwrap_or(0)
                + sync["linked_probabilistic"].as_i64().unwrap_or(0)
                + sync["unmatched"].as_i64().unwrap_or(0),
            sync["rows"].as_i64().unwrap_or(-1)
        );
        assert!(sync["by_village"].as_array().is_some_and(|v| !v.is_empty()));

        let again = upload(&district.token, Some("kk"), kk.clone())
            .await
            .expect("again");
        let again: serde_json::Value = again.json().await.expect("json");
        assert_eq!(again["id"], id.as_str(), "the same file is the same import");
        assert_eq!(again["status"], "done");

        let r = upload(&district.token, None, kk.clone())
            .await
            .expect("no source");
        assert_eq!(r.status(), 422);
        let err: serde_json::Value = r.json().await.expect("json");
        assert_eq!(err["error"]["fields"][0]["field"], "source");
        let r = upload(&district.token, Some("bpjs"), kk.clone())
            .await
            .expect("bad source");
        assert_eq!(r.status(), 422);
        let r = upload(
            &district.token,
            Some("ektp"),
            b"nama,umur\nBudi,3\n".to_vec(),
        )
        .await
        .expect("wrong file");
        assert_eq!(r.status(), 422);
        let err: serde_json::Value = r.json().await.expect("json");
        assert_eq!(err["error"]["fields"][0]["code"], "file_missing_column");
        let r = upload(&village.token, Some("kk"), kk.clone())
            .await
            .expect("village");
        assert_eq!(r.status(), 403);
        let r = app
            .get(&other.token, &format!("/api/v1/imports/{id}"))
            .await;
        assert_eq!(r.status(), 404, "another district's import is not visible");
        let r = app
            .client
            .post(app.url("/api/v1/imports"))
            .bearer_auth(&district.token)
            .json(&serde_json::json!({"source": "kk"}))
            .send()
            .await
            .expect("json body");
        assert_eq!(r.status(), 415);
        let r = app
            .client
            .post(app.url(&format!("/api/v1/imports/{id}/cancel")))
            .bearer_auth(&district.token)
            .send()
            .await
            .expect("cancel");
        assert_eq!(r.status(), 409, "a finished import cannot be cancelled");
    }
}

#[tokio::test]
async fn the_server_resumes_an_upload_a_stop_interrupted() {
    let dir = tempfile::tempdir().expect("dir");
    extracts(dir.path(), 400);
    let data = std::fs::read(dir.path().join("dtks.csv")).expect("dtks");
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let district =
        crate::registry::officer_ctx(&app, "kab", "district_officer", Some("35.07")).await;
    // An upload recorded and kept, whose run never happened (the server stopped).
    let prepared = app
        .pintu
        .prepare_import(&district, Source::Dtks, "dtks.csv", data.clone())
        .await
        .expect("prepared");
    let id = prepared.import.id.clone();
    let kept = keep_upload(&app, &id, &data);
    drop(prepared);

    assert_eq!(app.pintu.resume_imports().await.expect("resume"), 1);
    let mut import = app.pintu.import(&district, &id).await.expect("import");
    for _ in 0..200 {
        if import.status == "done" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        import = app.pintu.import(&district, &id).await.expect("import");
    }
    assert_eq!(import.status, "done");
    assert_eq!(import.rows_read, rows_in(&dir.path().join("dtks.csv")));
    assert_eq!(
        import.area_code.as_deref(),
        Some("35.07"),
        "resumed in the officer's area"
    );
    for _ in 0..100 {
        if !kept.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        !kept.exists(),
        "the kept file is removed once the import is done"
    );
    assert_eq!(app.pintu.resume_imports().await.expect("nothing left"), 0);
}

#[tokio::test]
async fn the_imports_page_uploads_follows_and_explains_in_both_languages() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    app.officer("kab", "district_officer", Some("35.07")).await;
    app.officer("desa", "village_officer", Some("35.07.01.2001"))
        .await;
    let (c, csrf) = crate::pages::logged_in(&app, "kab").await;
    let page = c.get(app.url("/imports")).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("Impor data sumber") && html.contains("enctype=\"multipart/form-data\""));
    assert!(
        html.contains("Belum ada data yang diimpor"),
        "the empty state"
    );

    let post = |csrf: String, source: &'static str, body: &'static [u8]| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("source", source)
            .part(
                "file",
                reqwest::multipart::Part::bytes(body).file_name("e.csv"),
            );
        c.post(app.url("/imports")).multipart(form).send()
    };
    let refused = post(csrf.clone(), "kk", b"nik,full_name\n1,Budi\n")
        .await
        .expect("post");
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.expect("html");
    assert!(
        html.contains("Kolom wajib “kk_number” tidak ada di berkas."),
        "{html}"
    );

    let forged = post("wrong".into(), "ektp", b"x\n").await.expect("post");
    assert_eq!(forged.status(), 403, "the upload form needs the CSRF token");

    let file: &'static [u8] = b"nik,full_name,birth_date,sex,village_code\n\
        3507124508850003,Siti Aminah,1985-08-05,P,35.07.01.2001\n\
        3507124508850004,Budi,2023-02-30,L,35.07.01.2001\n";
    let done = post(csrf.clone(), "ektp", file).await.expect("post");
    assert_eq!(done.status(), 303);
    let location = done.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(location.starts_with("/imports/"));
    let mut html = String::new();
    for _ in 0..100 {
        html = c
            .get(app.url(&location))
            .send()
            .await
            .expect("import")
            .text()
            .await
            .expect("html");
        if html.contains("Selesai.") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(html.contains("Selesai."), "{html}");
    assert!(
        html.contains("Tanggal tidak valid") || html.contains("baris ditolak"),
        "{html}"
    );
    assert!(
        html.contains("1 baris dicocokkan dengan registri / 1"),
        "the synchronisation's progress: {html}"
    );
    assert!(
        !html.contains("Hentikan impor ini"),
        "a finished import cannot be stopped"
    );
    let csv = c
        .get(app.url(&format!("{location}/rejections.csv")))
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status(), 200);
    assert!(
        csv.text()
            .await
            .expect("text")
            .contains("3,birth_date,rejected,date_invalid,")
    );

    c.get(app.url("/lang/en?next=/imports"))
        .send()
        .await
        .expect("switch");
    let html = c
        .get(app.url(&location))
        .send()
        .await
        .expect("en")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("Finished.") && html.contains("row rejected"),
        "{html}"
    );

    // While its rows are being linked, an import can be stopped from its page.
    let id = location.trim_start_matches("/imports/").to_string();
    pintu_store::imports::set_status(
        app.pintu.store.conn(),
        &id,
        "synchronising",
        None,
        chrono::Utc::now(),
    )
    .await
    .expect("synchronising");
    let html = c
        .get(app.url(&format!("{location}/status")))
        .send()
        .await
        .expect("status")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("Linking the rows with the registry") && html.contains("Stop this import"),
        "{html}"
    );
    let stopped = c
        .post(app.url(&format!("{location}/cancel")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("cancel");
    assert_eq!(stopped.status(), 303);
    let import = app
        .pintu
        .import(&Ctx::system("test"), &id)
        .await
        .expect("import");
    assert_eq!(import.status, "cancelling");

    let (v, _) = crate::pages::logged_in(&app, "desa").await;
    let html = v
        .get(app.url("/"))
        .send()
        .await
        .expect("dash")
        .text()
        .await
        .expect("html");
    assert!(
        !html.contains("href=\"/imports\""),
        "no imports menu for a village officer"
    );
    let r = v.get(app.url("/imports")).send().await.expect("page");
    assert_eq!(r.status(), 403);
}

/// The demo imports its extracts as its district officer, whose imports page lists them.
#[tokio::test]
async fn the_demo_imports_its_extracts_as_its_district_officer() {
    use pintu_service::demo::DEMO_DISTRICT_OFFICER;
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let regency = pintu_domain::AreaCode::parse("35.07").expect("regency");
    app.pintu
        .create_demo_users(&regency)
        .await
        .expect("demo users");
    let district = app
        .pintu
        .demo_officer(DEMO_DISTRICT_OFFICER)
        .await
        .expect("officer");
    let done = app
        .pintu
        .import_demo_extracts(&district, &regency, 1_000, 7)
        .await
        .expect("imports");
    assert_eq!(done.len(), Source::ALL.len());
    for import in &done {
        assert_eq!(import.status, "done", "{}", import.source);
        assert_eq!(
            import.area_code.as_deref(),
            Some("35.07"),
            "{}",
            import.source
        );
    }
    let listed = app
        .pintu
        .recent_imports(&district, 20)
        .await
        .expect("imports page");
    assert_eq!(listed.len(), done.len(), "the district officer sees them");
    assert!(matches!(
        app.pintu.demo_officer("nobody").await,
        Err(Error::NotFound)
    ));
}
