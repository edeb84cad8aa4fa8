//! `pintu bench linkage`: the five synthetic extracts imported and synchronised as an officer
//! would (`pintu import`), then every row's person compared with `truth.csv`.
//!
//! Scores are pairwise: two rows are a true pair when the truth says they are the same
//! person, a predicted pair when synchronisation linked them to the same registry person.
//! Per source, the pairs counted are those with at least one row of that source.

use std::collections::HashMap;
use std::time::Instant;

use pintu_domain::AreaCode;
use pintu_domain::sources::Source;
use pintu_service::{Ctx, Pintu};
use pintu_store::Store;

/// Pair counts of one slice of the rows.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scores {
    pub true_pairs: u64,
    pub predicted_pairs: u64,
    pub both: u64,
}

impl Scores {
    pub fn precision(&self) -> f64 {
        ratio(self.both, self.predicted_pairs)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.both, self.true_pairs)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// One row: its truth, its prediction (`None`: linked to nobody), and whether it counts for
/// the slice being scored.
pub struct Scored<'a> {
    pub truth: &'a str,
    pub predicted: Option<&'a str>,
    pub counted: bool,
}

/// Pairs with at least one counted row, by cluster: C(n,2) - C(n - counted, 2).
pub fn score<'a>(rows: &[Scored<'a>]) -> Scores {
    fn pairs(groups: HashMap<(&str, &str), (u64, u64)>) -> u64 {
        groups
            .values()
            .map(|&(n, k)| choose2(n) - choose2(n - k))
            .sum()
    }
    type Groups<'a> = HashMap<(&'a str, &'a str), (u64, u64)>;
    let mut truth: Groups<'a> = HashMap::new();
    let mut predicted: Groups<'a> = HashMap::new();
    let mut both: Groups<'a> = HashMap::new();
    for r in rows {
        let k = u64::from(r.counted);
        let add = |m: &mut Groups<'a>, key: (&'a str, &'a str)| {
            let e = m.entry(key).or_default();
            e.0 += 1;
            e.1 += k;
        };
        add(&mut truth, (r.truth, ""));
        if let Some(p) = r.predicted {
            add(&mut predicted, (p, ""));
            add(&mut both, (p, r.truth));
        }
    }
    Scores {
        true_pairs: pairs(truth),
        predicted_pairs: pairs(predicted),
        both: pairs(both),
    }
}

fn choose2(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

pub async fn run(
    persons: usize,
    area: &str,
    seed: u64,
    target: Option<String>,
    predictions: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let area = AreaCode::parse(area).map_err(|e| anyhow::anyhow!("--area: {e}"))?;
    let url = match target {
        Some(u) => u,
        None => {
            let path = "pintu-data/bench-linkage.db";
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
    let dir = std::path::Path::new("pintu-data/bench-extracts");
    std::fs::create_dir_all(dir)?;
    eprintln!(
        "generating {persons} people and their five extracts in {}...",
        dir.display()
    );
    let today = pintu_service::today();
    let cfg = pintu_synth::population::SynthConfig {
        seed,
        persons,
        today,
    };
    let mut households = Vec::new();
    pintu_synth::population::generate(&villages, &cfg, |h| households.push(h));
    pintu_synth::extracts::write_extracts(&households, dir, seed, today)?;
    drop(households);

    let pintu = Pintu::new(store.clone());
    let ctx = Ctx::system("bench");
    let backend = format!("{:?}", store.backend());
    println!(
        "| source | rows | import + sync | rows/s | linked on NIK | linked probabilistically | new | to verify |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut imports = Vec::new();
    let started_all = Instant::now();
    for source in Source::ALL {
        let data = std::fs::read(dir.join(format!("{}.csv", source.code())))?;
        let started = Instant::now();
        let done = pintu
            .import_file(
                &ctx,
                source,
                &format!("{}.csv", source.code()),
                data,
                |_, _, _| {},
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", source.code()))?;
        let secs = started.elapsed().as_secs_f64();
        let s = pintu
            .sync_summary(&ctx, &done.id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "| {} | {} | {secs:.2} s | {:.0} | {} | {} | {} | {} |",
            source.code(),
            done.rows_read,
            done.rows_read as f64 / secs,
            s.linked_exact,
            s.linked_probabilistic,
            s.created,
            s.unmatched
        );
        imports.push((source, done.id));
    }
    let total_secs = started_all.elapsed().as_secs_f64();

    let mut rows = Vec::new();
    for (source, id) in &imports {
        for r in pintu_store::imports::records(&store, id).await? {
            rows.push(Prediction {
                source: source.code().to_string(),
                // The spreadsheet row counts the header; truth counts data rows from 1.
                row: r.row_number - 1,
                person: r.person_id,
                has_nik: r.nik.is_some(),
            });
        }
    }
    if let Some(path) = &predictions {
        write_predictions(path, &rows)?;
    }
    println!();
    println!(
        "{backend}, {persons} people, {} rows, all five imported and synchronised in {total_secs:.1} s",
        rows.len()
    );
    println!();
    report(&dir.join("truth.csv"), &rows)
}

/// One row's predicted person.
pub struct Prediction {
    pub source: String,
    pub row: i64,
    /// `None`: linked to nobody.
    pub person: Option<String>,
    pub has_nik: bool,
}

/// `source,row,person,has_nik`: the format `pintu bench score` reads, for other tools too.
fn write_predictions(path: &std::path::Path, rows: &[Prediction]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["source", "row", "person", "has_nik"])?;
    for r in rows {
        w.write_record([
            r.source.as_str(),
            &r.row.to_string(),
            r.person.as_deref().unwrap_or(""),
            if r.has_nik { "1" } else { "0" },
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// `pintu bench score`: scores a predictions file against a truth file.
pub fn score_files(truth: &std::path::Path, predictions: &std::path::Path) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    let mut reader = csv::Reader::from_path(predictions)?;
    for rec in reader.records() {
        let rec = rec?;
        rows.push(Prediction {
            source: rec.get(0).unwrap_or("").to_string(),
            row: rec.get(1).unwrap_or("0").parse()?,
            person: rec.get(2).filter(|p| !p.is_empty()).map(str::to_string),
            has_nik: rec.get(3) == Some("1"),
        });
    }
    report(truth, &rows)
}

/// Prints precision, recall and F1: all rows, per source, with and without a NIK.
fn report(truth_path: &std::path::Path, predictions: &[Prediction]) -> anyhow::Result<()> {
    let mut truth: HashMap<(String, i64), String> = HashMap::new();
    let mut reader = csv::Reader::from_path(truth_path)?;
    for rec in reader.records() {
        let rec = rec?;
        let row: i64 = rec.get(1).unwrap_or("0").parse()?;
        truth.insert(
            (rec.get(0).unwrap_or("").to_string(), row),
            rec.get(2).unwrap_or("").to_string(),
        );
    }
    let rows: Vec<(&Prediction, &str)> = predictions
        .iter()
        .filter_map(|p| {
            truth
                .get(&(p.source.clone(), p.row))
                .map(|t| (p, t.as_str()))
        })
        .collect();
    let slice = |pick: &dyn Fn(&Prediction) -> bool| {
        let scored: Vec<Scored<'_>> = rows
            .iter()
            .map(|(p, t)| Scored {
                truth: t,
                predicted: p.person.as_deref(),
                counted: pick(p),
            })
            .collect();
        score(&scored)
    };
    println!("| rows scored | precision | recall | F1 |");
    println!("|---|---|---|---|");
    let line = |name: &str, s: Scores| {
        println!(
            "| {name} | {:.4} | {:.4} | {:.4} |",
            s.precision(),
            s.recall(),
            s.f1()
        )
    };
    line("all", slice(&|_| true));
    for source in Source::ALL {
        line(source.code(), slice(&|p| p.source == source.code()));
    }
    line("rows with a NIK", slice(&|p| p.has_nik));
    line("rows without a NIK", slice(&|p| !p.has_nik));
    // Only the rows that carry a NIK, all counted: the pairs of two such rows, where the NIK
    // is present on both sides (the line above also counts pairs with a row without one,
    // such as a KPS card, whose linkage the NIK does not help).
    let with_nik: Vec<Scored<'_>> = rows
        .iter()
        .filter(|(p, _)| p.has_nik)
        .map(|(p, t)| Scored {
            truth: t,
            predicted: p.person.as_deref(),
            counted: true,
        })
        .collect();
    line("pairs of two rows with a NIK", score(&with_nik));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_scores_count_pairs_within_clusters() {
        let rows = [
            Scored {
                truth: "a",
                predicted: Some("1"),
                counted: true,
            },
            Scored {
                truth: "a",
                predicted: Some("1"),
                counted: true,
            },
            Scored {
                truth: "a",
                predicted: Some("2"),
                counted: true,
            },
            Scored {
                truth: "b",
                predicted: Some("2"),
                counted: true,
            },
        ];
        let s = score(&rows);
        assert_eq!((s.true_pairs, s.predicted_pairs, s.both), (3, 2, 1));
        assert!((s.precision() - 0.5).abs() < 1e-9);
        assert!((s.recall() - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_slice_counts_the_pairs_touching_it() {
        let rows = [
            Scored {
                truth: "a",
                predicted: Some("1"),
                counted: true,
            },
            Scored {
                truth: "a",
                predicted: Some("1"),
                counted: false,
            },
            Scored {
                truth: "a",
                predicted: None,
                counted: false,
            },
        ];
        let s = score(&rows);
        assert_eq!((s.true_pairs, s.predicted_pairs, s.both), (2, 1, 1));
    }
}
