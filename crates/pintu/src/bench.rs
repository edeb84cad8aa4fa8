//! `pintu bench load`: the bulk load of synthetic people against the backend's own fastest
//! raw load of the same rows, in one process, so the ratio means something on any machine.

use std::time::Instant;

use chrono::Utc;
use clap::Subcommand;
use pintu_domain::AreaCode;
use pintu_service::demo::{LOAD_BATCH_HOUSEHOLDS, bulk_household};
use pintu_store::Store;
use pintu_store::bulk::{BulkSource, raw_baseline_load};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Score a predictions file (`source,row,person,has_nik`) against a `truth.csv`.
    Score {
        #[arg(long)]
        truth: std::path::PathBuf,
        #[arg(long)]
        predictions: std::path::PathBuf,
    },
    /// Import the five synthetic extracts, synchronise them, and score the links against the
    /// truth file: precision, recall and F1, overall and per source.
    Linkage {
        #[arg(long, default_value_t = 100_000)]
        persons: usize,
        #[arg(long, default_value = "35.07")]
        area: String,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// A fresh, empty database for the run; default: a new SQLite file under pintu-data/.
        #[arg(long)]
        target: Option<String>,
        /// Also write the predicted person of every row (`source,row,person`) here, for
        /// comparing with other tools.
        #[arg(long)]
        predictions: Option<std::path::PathBuf>,
    },
    /// Load synthetic people with facts and enrolments, and time a matching run of the shipped
    /// catalogue plus three generated programmes (twenty in all); `--export DIR` also writes
    /// the data and the rules as SQL for the DuckDB baseline (`benches/matching.sh`).
    Matching {
        #[arg(long, default_value_t = 100_000)]
        persons: usize,
        #[arg(long, default_value = "35.07")]
        area: String,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// A fresh, empty database for the run; default: a new SQLite file under pintu-data/.
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        export: Option<std::path::PathBuf>,
    },
    /// Load synthetic people, enrol every family in JKN (PBPU), and time the month's billing
    /// run and payment callbacks booked into the ledger (`benches/payments.sh` adds the
    /// PostgreSQL baselines: the same computations as single SQL statements).
    Payments {
        #[arg(long, default_value_t = 100_000)]
        persons: usize,
        /// How many payment callbacks to book (one in ten also sent twice).
        #[arg(long, default_value_t = 100_000)]
        callbacks: usize,
        /// How many callbacks arrive at once (those waiting are booked together).
        #[arg(long, default_value_t = 1000)]
        concurrency: usize,
        #[arg(long, default_value = "35.07")]
        area: String,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// A fresh, empty database for the run; default: a new SQLite file under pintu-data/.
        #[arg(long)]
        target: Option<String>,
    },
    /// Bulk-load synthetic people; compare with a raw load of the same rows into a bare table.
    Load {
        #[arg(long, default_value_t = 1_000_000)]
        persons: usize,
        #[arg(long, default_value = "35.07")]
        area: String,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// A fresh, empty database for the run; default: a new SQLite file under pintu-data/.
        #[arg(long)]
        target: Option<String>,
    },
}

pub async fn run(cmd: BenchCommand, _configured_url: &str) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Load {
            persons,
            area,
            seed,
            target,
        } => load(persons, &area, seed, target).await,
        BenchCommand::Matching {
            persons,
            area,
            seed,
            target,
            export,
        } => crate::bench_matching::run(persons, &area, seed, target, export).await,
        BenchCommand::Payments {
            persons,
            callbacks,
            concurrency,
            area,
            seed,
            target,
        } => crate::bench_payments::run(persons, callbacks, concurrency, &area, seed, target).await,
        BenchCommand::Score { truth, predictions } => {
            crate::bench_linkage::score_files(&truth, &predictions)
        }
        BenchCommand::Linkage {
            persons,
            area,
            seed,
            target,
            predictions,
        } => crate::bench_linkage::run(persons, &area, seed, target, predictions).await,
    }
}

async fn load(persons: usize, area: &str, seed: u64, target: Option<String>) -> anyhow::Result<()> {
    let area = AreaCode::parse(area).map_err(|e| anyhow::anyhow!("--area: {e}"))?;
    let url = match target {
        Some(u) => u,
        None => {
            let path = "pintu-data/bench-load.db";
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            format!("sqlite://{path}?mode=rwc")
        }
    };
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let villages = store.villages_within(&area).await?;
    anyhow::ensure!(!villages.is_empty(), "no villages in {area}");

    eprintln!("generating {persons} people...");
    let mut households = Vec::new();
    let cfg = pintu_synth::population::SynthConfig {
        seed,
        persons,
        today: pintu_service::today(),
    };
    pintu_synth::population::generate(&villages, &cfg, |h| households.push(h));
    let at = Utc::now();
    let rows: Vec<_> = households.iter().map(|h| bulk_household(h, at)).collect();
    let n: usize = rows.iter().map(|h| h.members.len()).sum();
    let households = rows.len();
    let mut batches = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        batches.push(
            rows.by_ref()
                .take(LOAD_BATCH_HOUSEHOLDS)
                .collect::<Vec<_>>(),
        );
    }

    let src = BulkSource {
        actor: "system:bench",
        source: "synthetic",
        at,
    };
    eprintln!("baseline: raw load of the same rows into bare tables...");
    let started = Instant::now();
    let table_rows = raw_baseline_load(&store, &batches, &src).await?;
    let baseline = started.elapsed().as_secs_f64();

    eprintln!(
        "pintu: bulk load of {} households / {n} people with indexes, keys, memberships and history...",
        households
    );
    let progress = crate::progress(n, "loading");
    let started = Instant::now();
    let deferred = store.defer_bulk_indexes().await?;
    let mut done = 0;
    for batch in batches {
        done += store.load_households(batch, &src).await?;
        progress(done, n);
    }
    let rows_done = started.elapsed().as_secs_f64();
    if deferred {
        store.ensure_bulk_indexes().await?;
    }
    eprintln!(
        "rows written in {rows_done:.2} s, indexes built in {:.2} s",
        started.elapsed().as_secs_f64() - rows_done
    );
    let ours = started.elapsed().as_secs_f64();

    let backend = format!("{:?}", store.backend());
    println!(
        "| backend | people | table rows | baseline (raw, bare tables) | pintu bulk load | ratio |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| {backend} | {n} | {table_rows} | {:.0} rows/s ({baseline:.2} s) | {:.0} rows/s = {:.0} people/s ({ours:.2} s) | {:.2} |",
        table_rows as f64 / baseline,
        table_rows as f64 / ours,
        n as f64 / ours,
        baseline / ours
    );
    Ok(())
}

/// The CPU time this process has used so far, user and system, in seconds (Linux; `None`
/// elsewhere). Printed beside a step's time on the clock, it tells work that got heavier
/// from a step that waits more (for the disk, or with a core idle).
pub(crate) fn process_cpu_seconds() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are the 14th and 15th fields, counted in the kernel's user ticks
    // (100 a second on Linux).
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok().map(|t| t / 100.0);
    Some((ticks(11)?, ticks(12)?))
}
