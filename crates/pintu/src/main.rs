//! `pintu`: one binary to serve, migrate, load demo data, manage users and benchmark.

mod bench;
mod bench_linkage;
mod bench_matching;
mod bench_payments;
mod config;

use std::io::{IsTerminal, Read};
use std::net::SocketAddr;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use pintu_domain::AreaCode;
use pintu_service::imports::ImportStep;
use pintu_service::{Ctx, Pintu};
use pintu_store::Store;

#[derive(Parser)]
#[command(
    name = "pintu",
    version,
    about = "Pintu: one door to every social protection programme and social security scheme"
)]
struct Cli {
    /// Configuration file (default: pintu.toml if present).
    #[arg(long, global = true, env = "PINTU_CONFIG")]
    config: Option<String>,
    /// Database URL: sqlite://... (default, embedded) or postgres://...
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web pages and the API.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Create or update the schema and load the area reference data.
    Migrate,
    /// Load a synthetic population for one regency, create demo officers, print their logins and serve.
    Demo {
        /// Regency (kabupaten/kota) code.
        #[arg(long, default_value = "35.07")]
        regency: String,
        /// Number of people to generate.
        #[arg(long, default_value_t = 100_000)]
        persons: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long)]
        listen: Option<String>,
        /// Load and print the logins, then exit instead of serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Officer accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Show the effective configuration (secrets redacted).
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Write a synthetic population's five source extracts (ektp, kk, dtks, kps, jkn) and the truth file.
    Synth {
        /// Area whose villages are populated (regency, district or village code).
        #[arg(long, default_value = "35.07")]
        area: String,
        #[arg(long, default_value_t = 10_000)]
        persons: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Output directory.
        #[arg(long, default_value = "pintu-data/extracts")]
        out: String,
    },
    /// Import a source extract (FORMATS.md). Importing the same file again resumes an
    /// interrupted import and changes nothing after a finished one.
    Import {
        /// ektp, kk, dtks, kps or jkn.
        #[arg(long)]
        source: String,
        /// The CSV file.
        file: std::path::PathBuf,
        /// Where to write the rejection report (CSV); default: only the summary.
        #[arg(long)]
        rejections: Option<std::path::PathBuf>,
    },
    /// Complaints: the scheduler's escalation of overdue cases, run once (for cron, when
    /// `complaints.escalation_interval_minutes` is 0).
    Complaints {
        #[command(subcommand)]
        command: ComplaintsCommand,
    },
    /// Messages to residents: send the queued ones once (for cron, when
    /// `sms.dispatch_interval_seconds` is 0).
    Messages {
        #[command(subcommand)]
        command: MessagesCommand,
    },
    /// Build the cross-table of an area: every active programme's rule over everyone living
    /// there, ranked and cut at the quotas (a matching run; the rest go on waiting lists).
    Match {
        /// Area code (province, regency, district or village).
        #[arg(long)]
        area: String,
        /// The date rules, ages and active periods are taken on (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
    },
    /// The programme catalogue.
    Programmes {
        #[command(subcommand)]
        command: ProgrammesCommand,
    },
    /// The monthly JKN billing of PBPU and BP families (one bill per family, due on the
    /// 10th; running it again bills nobody twice), then the suspension of families with an
    /// earlier bill still open.
    Bill {
        /// The month to bill, YYYY-MM.
        #[arg(long)]
        period: String,
        /// The day the run counts overdue bills from (YYYY-MM-DD; default today): families
        /// with a bill of a month before this day's month still open are suspended.
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
    },
    /// Reconcile a payment channel's statement (CSV: date,reference,amount) with the
    /// payments booked, as the national finance unit: matched payments are settled to the
    /// bank, the rest go to the exceptions queue. The same file again changes nothing.
    Reconcile {
        /// bank_va, ewallet, retail or auto_debit.
        #[arg(long)]
        channel: String,
        /// The statement file.
        file: std::path::PathBuf,
    },
    /// The primary care providers (FKTP) JKN members choose.
    Facilities {
        #[command(subcommand)]
        command: FacilitiesCommand,
    },
    /// Print the OpenAPI document of the API.
    Openapi,
    /// Benchmarks (results go in docs/benchmarks.md).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an officer; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        /// village_officer, subdistrict_officer, district_officer, province_officer, national_officer, admin, ombudsman (a province), agency_officer (with --programme) or employer (with --npp).
        #[arg(long)]
        role: String,
        /// Home area code (none for national_officer and admin; any level or none for
        /// agency_officer).
        #[arg(long)]
        area: Option<String>,
        #[arg(long, default_value = "")]
        name: String,
        /// For agency_officer: the code of the programme whose applications they decide.
        #[arg(long)]
        programme: Option<String>,
        /// For employer: the NPP of the enterprise the account reports for (its area is the
        /// enterprise's village).
        #[arg(long)]
        npp: Option<String>,
    },
    /// Print a new API token for a user.
    Token {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
enum ComplaintsCommand {
    /// Escalate every open complaint past its deadline one level and owe its resident a
    /// call-back.
    Escalate,
}

#[derive(Subcommand)]
enum MessagesCommand {
    /// Send every message that is due through the configured gateway.
    Dispatch,
}

#[derive(Subcommand)]
enum FacilitiesCommand {
    /// Add the facilities of a CSV file (code,name,kind,regency_code,address) and update
    /// those whose code exists. A file with any error changes nothing.
    Load { file: std::path::PathBuf },
}

#[derive(Subcommand)]
enum ProgrammesCommand {
    /// Add the programmes of a catalogue file (the format of data/programmes/catalogue.toml)
    /// and update those whose code exists; a changed rule becomes a new version in force from
    /// today. A file with any error changes nothing.
    Load {
        /// The catalogue file (TOML).
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    Print,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PINTU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// mimalloc: a batch of payments allocates and frees thousands of rows and statement
/// values at once, where glibc's allocator spends a fifth of the time consolidating.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // A message for a person, not a backtrace.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    init_tracing();
    let cli = Cli::parse();
    let mut cfg = config::load(cli.config.as_deref())?;
    if let Some(url) = &cli.database_url {
        pintu_store::check_url(url).map_err(|e| anyhow::anyhow!(e))?;
        cfg.database.url = url.clone();
    }
    match cli.command {
        Command::Config {
            command: ConfigCommand::Print,
        } => {
            print!("{}", config::redacted(&cfg));
            Ok(())
        }
        Command::Openapi => {
            println!("{}", pintu_web::openapi_document());
            Ok(())
        }
        Command::Migrate => {
            let store = open(&cfg).await?;
            let report = store.migrate().await?;
            let programmes = load_programmes(&store).await?;
            println!(
                "migrations applied: {}, areas loaded: {}, programmes loaded: {programmes}",
                report.applied, report.areas_loaded
            );
            Ok(())
        }
        Command::Serve { listen } => {
            if let Some(l) = listen {
                cfg.server.listen = l;
            }
            let store = open(&cfg).await?;
            if cfg.server.migrate_on_start {
                store.migrate().await?;
                load_programmes(&store).await?;
            }
            serve(&cfg, app_pintu(&cfg, store)?).await
        }
        Command::Demo {
            regency,
            persons,
            seed,
            listen,
            no_serve,
        } => {
            if let Some(l) = listen {
                cfg.server.listen = l;
            }
            demo_payments(&mut cfg)?;
            demo(&cfg, &regency, persons, seed, no_serve).await
        }
        Command::User { command } => {
            let store = open(&cfg).await?;
            store.migrate().await?;
            let pintu = app_pintu(&cfg, store)?;
            let ctx = Ctx::system("cli");
            match command {
                UserCommand::Add {
                    username,
                    role,
                    area,
                    name,
                    programme,
                    npp,
                } => {
                    let mut password = String::new();
                    std::io::stdin()
                        .read_to_string(&mut password)
                        .context("reading the password from standard input")?;
                    let password = password.trim_end_matches(['\n', '\r']);
                    let user = match (programme, npp) {
                        (None, Some(npp)) if role == "employer" => {
                            pintu
                                .create_employer_user(&ctx, &username, &name, &npp, password)
                                .await
                        }
                        (None, Some(_)) => Err(pintu_service::Error::invalid(
                            "npp",
                            "npp_only_for_employer",
                        )),
                        (Some(_), Some(_)) => Err(pintu_service::Error::invalid(
                            "npp",
                            "npp_only_for_employer",
                        )),
                        (Some(p), None) if role == "agency_officer" => {
                            pintu
                                .create_agency_officer(
                                    &ctx,
                                    &username,
                                    &name,
                                    &p,
                                    area.as_deref(),
                                    password,
                                )
                                .await
                        }
                        (Some(_), None) => Err(pintu_service::Error::invalid(
                            "programme",
                            "programme_only_for_agency",
                        )),
                        (None, None) => {
                            pintu
                                .create_user(
                                    &ctx,
                                    &username,
                                    &name,
                                    &role,
                                    area.as_deref(),
                                    password,
                                )
                                .await
                        }
                    }
                    .map_err(describe)?;
                    println!(
                        "created {} ({}{})",
                        user.username,
                        user.role,
                        user.area_code.map(|a| format!(", {a}")).unwrap_or_default()
                    );
                }
                UserCommand::Token { username, name } => {
                    let token = pintu
                        .issue_api_token(&ctx, &username, &name)
                        .await
                        .map_err(describe)?;
                    println!("{token}");
                }
            }
            Ok(())
        }
        Command::Synth {
            area,
            persons,
            seed,
            out,
        } => synth(&cfg, &area, persons, seed, &out).await,
        Command::Bench { command } => bench::run(command, &cfg.database.url).await,
        Command::Match { area, on } => {
            let store = open(&cfg).await?;
            store.migrate().await?;
            load_programmes(&store).await?;
            let pintu = app_pintu(&cfg, store)?;
            let bar = progress(0, "matching");
            let run = pintu
                .run_matching(&Ctx::system("match"), Some(&area), on, |done, total| {
                    bar(done.max(0) as usize, total.max(0) as usize)
                })
                .await
                .map_err(describe)?;
            println!(
                "matching run {} of {} on {}: {}",
                run.row.id, run.row.area_code, run.row.reference_date, run.row.status
            );
            for p in &run.programmes {
                match &p.error {
                    Some(e) => println!("  {:<12} skipped: {e}", p.code),
                    None => println!(
                        "  {:<12} rule v{}: {} eligible, {} selected, {} waiting, {} added, {} removed by the village forum",
                        p.code,
                        p.rule_version.unwrap_or(0),
                        p.eligible,
                        p.selected,
                        p.waiting,
                        p.added,
                        p.removed
                    ),
                }
            }
            Ok(())
        }
        Command::Bill { period, on } => {
            let store = open(&cfg).await?;
            store.migrate().await?;
            let pintu = app_pintu(&cfg, store)?;
            let r = pintu
                .run_billing(
                    &Ctx::system("cli"),
                    &period,
                    on.unwrap_or_else(pintu_service::today),
                    chrono::Utc::now(),
                )
                .await
                .map_err(describe)?;
            println!(
                "{}: {} families, {} billed (Rp {}), {} billed already, {} memberships suspended, \
                 {} bills older than 24 months written off",
                r.period,
                r.families,
                r.billed,
                r.amount,
                r.already_billed,
                r.suspended,
                r.written_off
            );
            Ok(())
        }
        Command::Reconcile { channel, file } => reconcile(&cfg, &channel, &file).await,
        Command::Facilities {
            command: FacilitiesCommand::Load { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let store = open(&cfg).await?;
            store.migrate().await?;
            let pintu = app_pintu(&cfg, store)?;
            let n = pintu
                .load_facility_list(&Ctx::system("cli"), &text)
                .await
                .map_err(describe)?;
            println!("facilities added or updated: {n}");
            Ok(())
        }
        Command::Programmes {
            command: ProgrammesCommand::Load { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let store = open(&cfg).await?;
            store.migrate().await?;
            let pintu = app_pintu(&cfg, store)?;
            let r = pintu
                .import_catalogue(&Ctx::system("cli"), &text)
                .await
                .map_err(describe)?;
            let list = |codes: &[String]| {
                if codes.is_empty() {
                    "none".to_string()
                } else {
                    codes.join(", ")
                }
            };
            println!("added: {}", list(&r.added));
            println!("updated: {}", list(&r.updated));
            println!(
                "new rule versions (in force from today): {}",
                list(&r.new_rule_versions)
            );
            println!("unchanged: {}", r.unchanged.len());
            Ok(())
        }
        Command::Messages {
            command: MessagesCommand::Dispatch,
        } => {
            let store = open(&cfg).await?;
            store.migrate().await?;
            let gateway = cfg.sms.gateway(&cfg.files.dir)?;
            let pintu = app_pintu(&cfg, store)?;
            let mut total = pintu_service::messages::DispatchRun::default();
            loop {
                let run = pintu
                    .dispatch_messages(gateway.as_ref(), chrono::Utc::now(), 500)
                    .await
                    .map_err(describe)?;
                let done = run.sent + run.retried + run.failed + run.lost;
                total.sent += run.sent;
                total.retried += run.retried;
                total.failed += run.failed;
                if done < 500 {
                    break;
                }
            }
            println!(
                "{} messages sent, {} to retry later, {} failed",
                total.sent, total.retried, total.failed
            );
            Ok(())
        }
        Command::Complaints {
            command: ComplaintsCommand::Escalate,
        } => {
            let store = open(&cfg).await?;
            store.migrate().await?;
            let pintu = app_pintu(&cfg, store)?;
            let run = pintu
                .escalate_overdue(chrono::Utc::now())
                .await
                .map_err(describe)?;
            println!(
                "{} complaints escalated, {} call-backs owed",
                run.escalated, run.callbacks
            );
            Ok(())
        }
        Command::Import {
            source,
            file,
            rejections,
        } => import(&cfg, &source, &file, rejections.as_deref()).await,
    }
}

async fn import(
    cfg: &config::Config,
    source: &str,
    file: &std::path::Path,
    rejections: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let source = pintu_domain::sources::Source::parse(source)
        .ok_or_else(|| anyhow::anyhow!("--source must be one of ektp, kk, dtks, kps, jkn"))?;
    let data = std::fs::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let store = open(cfg).await?;
    store.migrate().await?;
    let pintu = app_pintu(cfg, store)?;
    let ctx = Ctx::system("import");
    let prepared = pintu
        .prepare_import(&ctx, source, &name, data)
        .await
        .map_err(describe)?;
    if prepared.import.status == "done" {
        println!(
            "this file was imported before (import {}): nothing changed",
            prepared.import.id
        );
    }
    let total = prepared.import.rows_total.max(0) as usize;
    let storing = progress(total, "importing");
    // The second bar appears when the rows are stored and their linking begins.
    let mut linking = None;
    let done = pintu
        .run_import(&ctx, prepared, |step, done, total| {
            let (done, total) = (done.max(0) as usize, total.max(0) as usize);
            match step {
                ImportStep::Storing => storing(done, total),
                ImportStep::Linking => {
                    linking.get_or_insert_with(|| progress(total, "linking"))(done, total)
                }
            }
        })
        .await
        .map_err(describe)?;
    if done.status == "done" {
        let s = pintu.sync_summary(&ctx, &done.id).await.map_err(describe)?;
        println!(
            "synchronised: {} linked on NIK, {} linked probabilistically, {} new people, {} to verify; \
             {} conflicts to review, {} settled by source authority",
            s.linked_exact,
            s.linked_probabilistic,
            s.created,
            s.unmatched,
            s.conflicts,
            s.conflicts_settled
        );
    }
    println!(
        "import {}: {} — {} rows read, {} accepted, {} rejected, {} with values dropped",
        done.id,
        done.status,
        done.rows_read,
        done.rows_accepted,
        done.rows_rejected,
        done.rows_with_warnings
    );
    if let Some(cols) = &done.unknown_columns {
        println!("columns ignored (not in the format): {cols}");
    }
    if let Some(path) = rejections {
        let issues = pintu
            .import_issues(&ctx, &done.id)
            .await
            .map_err(describe)?;
        let csv = pintu_web::reports::issues_csv(&issues);
        std::fs::write(path, csv).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        println!("rejection report: {}", path.display());
    }
    Ok(())
}

async fn reconcile(
    cfg: &config::Config,
    channel: &str,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    let channel = pintu_domain::payments::Channel::parse(channel)
        .filter(|c| c.is_callback())
        .ok_or_else(|| {
            anyhow::anyhow!("--channel must be one of bank_va, ewallet, retail, auto_debit")
        })?;
    let data = std::fs::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let store = open(cfg).await?;
    store.migrate().await?;
    let pintu = app_pintu(cfg, store)?;
    // A bank's statement spans the country: the system imports it as the national unit.
    let done = pintu
        .import_statement(
            &Ctx::system("reconcile"),
            channel,
            &name,
            &data,
            chrono::Utc::now(),
        )
        .await
        .map_err(describe)?;
    let s = &done.statement;
    if done.already_imported {
        println!(
            "this statement was imported already (statement {}): nothing changed",
            s.id
        );
    }
    println!(
        "statement {} ({}, {} to {}): {} lines, {} matched, {} exceptions",
        s.id, s.channel, s.from_day, s.to_day, s.lines, s.matched, s.exceptions
    );
    Ok(())
}

/// Service errors as a person at a terminal should read them, in English.
fn describe(e: pintu_service::Error) -> anyhow::Error {
    let tr = pintu_web::i18n::Tr::new(pintu_web::i18n::Lang::En);
    match e {
        pintu_service::Error::Invalid(inv) => {
            let lines: Vec<String> = inv
                .0
                .iter()
                .map(|f| format!("{}: {}", f.field, tr.error(f.code)))
                .collect();
            anyhow::anyhow!("{}", lines.join("; "))
        }
        pintu_service::Error::Conflict { code, .. } => anyhow::anyhow!("{}", tr.error(code)),
        pintu_service::Error::NotFound => anyhow::anyhow!("{}", tr.error("not_found")),
        pintu_service::Error::Forbidden => anyhow::anyhow!("{}", tr.error("forbidden")),
        other => anyhow::anyhow!("{other}"),
    }
}

/// The application over `store`, configured.
fn app_pintu(cfg: &config::Config, store: Store) -> anyhow::Result<Pintu> {
    Ok(Pintu::new(store)
        .with_files_dir(&cfg.files.dir)
        .with_complaint_deadlines(cfg.complaints.deadlines()?)
        .with_sms_secret(cfg.sms.inbound_secret.clone())
        .with_payments_secret(cfg.payments.callback_secret.clone())
        .with_debit_gateway(cfg.payments.debit_url.clone()))
}

/// Every `minutes`, escalates overdue complaints (a failed run is logged and retried at the
/// next tick).
fn spawn_escalation(pintu: Pintu, minutes: u64) {
    if minutes == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(minutes * 60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = pintu.escalate_overdue(chrono::Utc::now()).await {
                tracing::error!(error = %e, "escalating overdue complaints failed");
            }
        }
    });
}

/// Every hour, reminds families of bills falling due and tells them of overdue ones (each
/// reminder once per bill).
fn spawn_reminders(pintu: Pintu) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let ctx = Ctx::system("reminders");
            match pintu
                .run_reminders(&ctx, pintu_service::today(), chrono::Utc::now())
                .await
            {
                Ok((0, 0)) => {}
                Ok((before, after)) => tracing::info!(before, after, "bill reminders queued"),
                Err(e) => tracing::error!(error = %e, "bill reminders failed"),
            }
        }
    });
}

/// Every minute, and at once when a billing run recorded debits: records the day's
/// e-wallet auto-debits (new bills, and refused ones again on a later day) and sends them.
fn spawn_debits(pintu: Pintu) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = pintu.debit_wake.notified() => {}
            }
            match pintu.run_debits(chrono::Utc::now()).await {
                Ok((0, s)) if s == Default::default() => {}
                Ok((recorded, s)) => tracing::info!(
                    recorded,
                    accepted = s.accepted,
                    refused = s.refused,
                    cancelled = s.cancelled,
                    errors = s.errors,
                    "auto-debits"
                ),
                Err(e) => tracing::error!(error = %e, "auto-debits failed"),
            }
        }
    });
}

/// Every `seconds`, sends the queued messages to residents (a failed pass is logged and
/// tried again at the next tick).
fn spawn_dispatcher(
    pintu: Pintu,
    gateway: Box<dyn pintu_service::messages::Gateway>,
    seconds: u64,
) {
    if seconds == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(seconds));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // The next round, or at once when a message must not wait (a login code).
            tokio::select! {
                _ = tick.tick() => {}
                _ = pintu.outbox_wake.notified() => {}
            }
            match pintu
                .dispatch_messages(gateway.as_ref(), chrono::Utc::now(), 200)
                .await
            {
                Ok(run) if run.sent + run.retried + run.failed > 0 => {
                    tracing::info!(
                        sent = run.sent,
                        retried = run.retried,
                        failed = run.failed,
                        "messages dispatched"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "dispatching messages failed"),
            }
        }
    });
}

/// Loads the programme catalogue shipped with Pintu into an empty catalogue, as `migrate`
/// loads the areas: a new installation has programmes to show and match.
async fn load_programmes(store: &Store) -> anyhow::Result<usize> {
    pintu_service::membership::load_facilities(store)
        .await
        .map_err(describe)?;
    pintu_service::programmes::load_catalogue(store, None)
        .await
        .map_err(describe)
}

async fn open(cfg: &config::Config) -> anyhow::Result<Store> {
    Store::connect(&cfg.database.url)
        .await
        .with_context(|| "cannot open the database (check database.url / PINTU_DATABASE_URL)")
}

async fn serve(cfg: &config::Config, pintu: Pintu) -> anyhow::Result<()> {
    let addr: SocketAddr = cfg
        .server
        .listen
        .parse()
        .with_context(|| format!("listen address {:?}", cfg.server.listen))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    match pintu.resume_imports().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(imports = n, "resumed interrupted imports"),
        Err(e) => tracing::error!(error = %e, "could not resume interrupted imports"),
    }
    match pintu.resume_matching().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(runs = n, "resumed interrupted matching runs"),
        Err(e) => tracing::error!(error = %e, "could not resume interrupted matching runs"),
    }
    spawn_escalation(pintu.clone(), cfg.complaints.escalation_interval_minutes);
    spawn_reminders(pintu.clone());
    spawn_debits(pintu.clone());
    spawn_dispatcher(
        pintu.clone(),
        cfg.sms.gateway(&cfg.files.dir)?,
        cfg.sms.dispatch_interval_seconds,
    );
    if let (Some(sim), Some(secret)) = (
        cfg.payments.simulator_listen.as_deref(),
        cfg.payments.callback_secret.as_deref(),
    ) {
        let sim_addr: SocketAddr = sim
            .parse()
            .with_context(|| format!("payment simulator address {sim:?}"))?;
        let sim_listener = tokio::net::TcpListener::bind(sim_addr)
            .await
            .with_context(|| format!("cannot listen on {sim_addr}"))?;
        let router = pintu_web::paysim::router(pintu_web::paysim::Simulator::new(
            format!("http://{addr}"),
            secret,
        ));
        println!("Payment simulator (a pretend bank) at http://{sim_addr}/pay");
        tokio::spawn(async move {
            if let Err(e) = axum::serve(sim_listener, router).await {
                tracing::error!(error = %e, "payment simulator stopped");
            }
        });
    }
    let app = pintu_web::app(
        pintu_web::AppState::new(pintu, cfg.server.secure_cookies)
            .with_payment_page(cfg.payments.page_url.clone()),
    );
    tracing::info!(%addr, "serving");
    println!("Pintu is running at http://{addr}/");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// A progress bar on a terminal, log lines otherwise.
pub fn progress(total: usize, what: &str) -> impl Fn(usize, usize) {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        bar
    });
    let what = what.to_string();
    // The first report is logged, so a step's start shows.
    let last_logged = std::sync::atomic::AtomicUsize::new(usize::MAX);
    move |done, total| match &bar {
        Some(b) => {
            b.set_position(done as u64);
            if done >= total {
                b.finish();
            }
        }
        None => {
            let tenth = (done * 10) / total.max(1);
            if last_logged.swap(tenth, std::sync::atomic::Ordering::Relaxed) != tenth
                || done >= total
            {
                eprintln!("{what}: {done}/{total}");
            }
        }
    }
}

/// The demo pays through the local payment simulator, on the port after Pintu's, unless
/// payments are configured.
fn demo_payments(cfg: &mut config::Config) -> anyhow::Result<()> {
    if cfg.payments.callback_secret.is_some() {
        return Ok(());
    }
    let addr: SocketAddr = cfg
        .server
        .listen
        .parse()
        .with_context(|| format!("listen address {:?}", cfg.server.listen))?;
    let sim = SocketAddr::new(addr.ip(), addr.port().wrapping_add(1));
    cfg.payments.callback_secret = Some(pintu_web::paysim::random_secret());
    cfg.payments.simulator_listen = Some(sim.to_string());
    cfg.payments.page_url = Some(format!("http://{sim}/pay"));
    cfg.payments.debit_url = Some(format!("http://{sim}/debit"));
    Ok(())
}

async fn demo(
    cfg: &config::Config,
    regency: &str,
    persons: usize,
    seed: u64,
    no_serve: bool,
) -> anyhow::Result<()> {
    let regency = AreaCode::parse(regency).map_err(|e| anyhow::anyhow!("--regency: {e}"))?;
    let store = open(cfg).await?;
    let report = store.migrate().await?;
    if report.areas_loaded > 0 {
        println!("Loaded {} areas of Indonesia.", report.areas_loaded);
    }
    let programmes = load_programmes(&store).await?;
    if programmes > 0 {
        println!("Loaded {programmes} example programmes into the catalogue.");
    }
    let pintu = app_pintu(cfg, store)?;
    let region = pintu
        .store
        .area(regency.as_str())
        .await?
        .with_context(|| format!("unknown regency {regency}"))?;
    let ctx = Ctx::system("demo");
    let existing = pintu
        .dashboard(&Ctx::new(
            pintu_domain::Actor::System { job: "demo".into() },
            None,
        ))
        .await
        .map_err(describe)?;
    if existing.persons == 0 {
        println!(
            "Generating {persons} people in {} ({regency})...",
            region.name
        );
        let report = pintu
            .load_synthetic(
                &ctx,
                &regency,
                persons,
                seed,
                progress(persons, "loading people"),
            )
            .await
            .map_err(describe)?;
        println!(
            "Loaded {} households and {} people in {:.1} s ({:.0} people/s).",
            report.households,
            report.persons,
            report.seconds,
            report.persons as f64 / report.seconds.max(0.001)
        );
    } else {
        println!(
            "The database already holds {} people; not loading again.",
            existing.persons
        );
    }
    let logins = pintu.create_demo_users(&regency).await.map_err(describe)?;
    println!("Importing the five source extracts of the first households...");
    // As the regency's district officer, whose imports page then lists them.
    let district = pintu
        .demo_officer(pintu_service::demo::DEMO_DISTRICT_OFFICER)
        .await
        .map_err(describe)?;
    let imports = pintu
        .import_demo_extracts(&district, &regency, persons, seed)
        .await
        .map_err(describe)?;
    for i in &imports {
        let s = pintu.sync_summary(&ctx, &i.id).await.map_err(describe)?;
        println!(
            "  {:<5} {:>6} rows: {} linked, {} new, {} conflicts to review",
            i.source,
            i.rows_accepted,
            s.linked_exact + s.linked_probabilistic,
            s.created,
            s.conflicts
        );
    }
    let complaints = pintu
        .record_demo_complaints(&regency)
        .await
        .map_err(describe)?;
    if complaints > 0 {
        println!("Recorded {complaints} sample complaints at different stages.");
    }
    let applications = pintu
        .record_demo_applications(&regency)
        .await
        .map_err(describe)?;
    if applications > 0 {
        println!("Started {applications} sample applications at different stages.");
    }
    if pintu
        .record_demo_membership(&regency)
        .await
        .map_err(describe)?
    {
        println!("Registered the demo resident's family in JKN (PBPU, class 3).");
    }
    if pintu
        .record_demo_employer(&regency)
        .await
        .map_err(describe)?
    {
        println!(
            "Registered a demo employer (BPJS Ketenagakerjaan) with workers and last month's wages; its login: pemberi / {}.",
            pintu_service::demo::DEMO_PASSWORD
        );
    }
    if pintu.record_demo_cases(&regency).await.map_err(describe)? > 0 {
        println!("Opened a sample household case with a follow-up overdue.");
    }
    let matched = pintu
        .matching_runs(&Ctx::system("demo"))
        .await
        .map_err(describe)?
        .iter()
        .any(|r| r.row.area_code == regency.as_str() && r.row.status == "finished");
    if !matched {
        println!("Matching everyone in {regency} against the programme catalogue...");
        let run = pintu
            .run_matching(&ctx, Some(regency.as_str()), None, |_, _| {})
            .await
            .map_err(describe)?;
        let listed: u64 = run.programmes.iter().map(|p| p.selected + p.waiting).sum();
        println!(
            "  {} programmes, {listed} lines on their lists (GET /api/v1/programmes/{{code}}/eligible).",
            run.programmes.len()
        );
    }
    println!(
        "\nDemo officers (password for all: {}):",
        pintu_service::demo::DEMO_PASSWORD
    );
    for l in &logins {
        println!(
            "  {:<10} {:<20} {}",
            l.username,
            l.role,
            l.area_name
                .clone()
                .map(|n| format!("{n} ({})", l.area_code.clone().unwrap_or_default()))
                .unwrap_or_else(|| "national".into())
        );
    }
    if let Some((nik, born, name)) = pintu.demo_resident(&regency).await.map_err(describe)? {
        let outbox = match cfg.sms.gateway.as_str() {
            "file" => cfg.sms.file_path(&cfg.files.dir),
            _ => "the SMS aggregator".into(),
        };
        println!(
            "\nResident portal: /me/login as {name} (NIK {nik}, born {born}); the login code \
             is sent by SMS: {outbox}."
        );
    }
    println!("Anyone: /check asks a few questions and tells what they might be entitled to.");
    println!();
    if no_serve {
        return Ok(());
    }
    serve(cfg, pintu).await
}

async fn synth(
    cfg: &config::Config,
    area: &str,
    persons: usize,
    seed: u64,
    out: &str,
) -> anyhow::Result<()> {
    let area = AreaCode::parse(area).map_err(|e| anyhow::anyhow!("--area: {e}"))?;
    let store = open(cfg).await?;
    store.migrate().await?;
    let villages = store.villages_within(&area).await?;
    anyhow::ensure!(!villages.is_empty(), "no villages in {area}");
    let today = pintu_service::today();
    let mut households = Vec::new();
    pintu_synth::population::generate(
        &villages,
        &pintu_synth::population::SynthConfig {
            seed,
            persons,
            today,
        },
        |h| households.push(h),
    );
    std::fs::create_dir_all(out)?;
    let summary =
        pintu_synth::extracts::write_extracts(&households, std::path::Path::new(out), seed, today)?;
    println!("wrote {out}: {summary:?}");
    Ok(())
}
