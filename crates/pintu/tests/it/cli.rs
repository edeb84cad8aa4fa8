//! The `pintu` command line, run as a person would run it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn pintu(db: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pintu"))
        .arg("--database-url")
        .arg(db)
        .args(args)
        .env_remove("PINTU_DATABASE_URL")
        .env("PINTU_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pintu");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("pintu output")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn officers_are_added_with_a_password_from_stdin_and_get_api_tokens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}/pintu.db?mode=rwc", dir.path().display());

    let migrate = pintu(&db, &["migrate"], None);
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
    assert!(text(&migrate.stdout).contains("areas loaded: 91599"));

    let added = pintu(
        &db,
        &[
            "user",
            "add",
            "--username",
            "Budi",
            "--role",
            "village_officer",
            "--area",
            "35.07.01.2001",
        ],
        Some("a long passphrase\n"),
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert!(text(&added.stdout).contains("created budi (village_officer, 35.07.01.2001)"));

    let token = pintu(&db, &["user", "token", "--username", "budi"], None);
    assert!(token.status.success());
    assert!(text(&token.stdout).trim().starts_with("pintu_"));

    let bad = pintu(
        &db,
        &[
            "user",
            "add",
            "--username",
            "x1",
            "--role",
            "village_officer",
            "--area",
            "35.07",
        ],
        Some("short"),
    );
    assert!(!bad.status.success());
    let message = text(&bad.stderr);
    assert!(
        message.contains("The area does not match the role's level.")
            && message.contains("at least 10 characters"),
        "{message}"
    );
    assert!(
        !message.contains("backtrace"),
        "a message for a person, not a backtrace"
    );
}

#[test]
fn config_print_hides_the_database_password() {
    let out = pintu(
        "postgres://pintu:s3cret@db.example/pintu",
        &["config", "print"],
        None,
    );
    assert!(out.status.success());
    let shown = text(&out.stdout);
    assert!(
        shown.contains("postgres://pintu:****@db.example/pintu"),
        "{shown}"
    );
    assert!(!shown.contains("s3cret"));
}

#[test]
fn a_matching_run_from_the_command_line_lists_every_shipped_programme() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}/pintu.db?mode=rwc", dir.path().display());
    let run = pintu(
        &db,
        &["match", "--area", "35.07", "--on", "2026-11-22"],
        None,
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    let out = text(&run.stdout);
    assert!(out.contains("of 35.07 on 2026-11-22: finished"), "{out}");
    for code in ["PKH", "PBI-JK", "JSLU", "JAMKESDA"] {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(code) && l.contains("rule v1: 0 eligible")),
            "{code} in {out}"
        );
    }
    let bad = pintu(&db, &["match", "--area", "35-07"], None);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("area"), "{}", text(&bad.stderr));
}

#[test]
fn facilities_and_agency_officers_come_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}/pintu.db?mode=rwc", dir.path().display());
    // A new installation: the areas, the example catalogue and facilities.
    let migrate = pintu(&db, &["migrate"], None);
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
    let file = dir.path().join("fktp.csv");
    std::fs::write(
        &file,
        "code,name,kind,regency_code,address\n0507X001,Puskesmas Contoh,puskesmas,35.07,\n",
    )
    .expect("csv");
    let loaded = pintu(
        &db,
        &["facilities", "load", &file.display().to_string()],
        None,
    );
    assert!(loaded.status.success(), "{}", text(&loaded.stderr));
    assert!(text(&loaded.stdout).contains("facilities added or updated: 1"));
    std::fs::write(
        &file,
        "code,name,kind,regency_code,address\nX,,hospital,35.07,\n",
    )
    .expect("csv");
    let bad = pintu(
        &db,
        &["facilities", "load", &file.display().to_string()],
        None,
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("line 2"),
        "{}",
        text(&bad.stderr)
    );

    let agency = pintu(
        &db,
        &[
            "user",
            "add",
            "--username",
            "pkh",
            "--role",
            "agency_officer",
            "--programme",
            "PKH",
        ],
        Some("a long passphrase\n"),
    );
    assert!(agency.status.success(), "{}", text(&agency.stderr));
    let wrong = pintu(
        &db,
        &[
            "user",
            "add",
            "--username",
            "desa",
            "--role",
            "village_officer",
            "--area",
            "35.07.01.2001",
            "--programme",
            "PKH",
        ],
        Some("a long passphrase\n"),
    );
    assert!(!wrong.status.success());
}

#[test]
fn billing_takes_the_day_it_counts_from_and_a_statement_is_reconciled_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}/pintu.db?mode=rwc", dir.path().display());
    let run = pintu(
        &db,
        &["bill", "--period", "2026-11", "--on", "2026-11-02"],
        None,
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stdout).starts_with("2026-11: 0 families, 0 billed"),
        "{}",
        text(&run.stdout)
    );
    let bad = pintu(
        &db,
        &["bill", "--period", "2026-11", "--on", "2026-11-31"],
        None,
    );
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("--on"), "{}", text(&bad.stderr));

    let file = dir.path().join("bni.csv");
    std::fs::write(&file, "date,reference,amount\n2026-11-20,BNI-1,35000\n").expect("csv");
    let file = file.display().to_string();
    let done = pintu(&db, &["reconcile", "--channel", "bank_va", &file], None);
    assert!(done.status.success(), "{}", text(&done.stderr));
    let out = text(&done.stdout);
    assert!(
        out.contains("(bank_va, 2026-11-20 to 2026-11-20): 1 lines, 0 matched, 1 exceptions"),
        "{out}"
    );
    let again = pintu(&db, &["reconcile", "--channel", "bank_va", &file], None);
    assert!(again.status.success());
    assert!(
        text(&again.stdout).contains("imported already"),
        "{}",
        text(&again.stdout)
    );
    let cash = pintu(&db, &["reconcile", "--channel", "counter", &file], None);
    assert!(!cash.status.success());
    assert!(
        text(&cash.stderr).contains("--channel must be one of"),
        "{}",
        text(&cash.stderr)
    );
}
