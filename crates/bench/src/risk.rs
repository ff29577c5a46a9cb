//! `loopdesk-bench risk`: the breach model on a generated year of service whose breaches come
//! from load, category and parts (core's `insights::risk::simulate`): trained on what was known
//! before the last weeks, judged on them (AUC, Brier score), and the very same feature rows
//! written as CSV for `scripts/risk-baseline.py` to train LightGBM on.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use loopdesk_core::insights::risk::{self, feature_names, simulate, Model, Rows};

const DAY: i64 = 86_400_000;
/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600_000;

/// Flags of `risk`.
#[derive(Args, Debug, Clone)]
pub struct BenchRiskArgs {
    /// Tickets in the generated history.
    #[arg(long, default_value_t = 60_000)]
    pub tickets: usize,
    /// Days it spans; the last `test_days` of them are judged.
    #[arg(long, default_value_t = 365)]
    pub days: i64,
    /// Days judged at the end.
    #[arg(long, default_value_t = 60)]
    pub test_days: i64,
    /// Engineers.
    #[arg(long, default_value_t = 120)]
    pub engineers: usize,
    /// The history's seed.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Where to write `train.csv` and `test.csv` (the same rows for another learner).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs the benchmark and prints what it measured.
pub fn run(args: BenchRiskArgs) -> anyhow::Result<()> {
    let generated = Instant::now();
    let cases = simulate::history(args.seed, args.tickets, args.days, args.engineers, START);
    let generated = generated.elapsed();
    let from = START + (args.days - args.test_days) * DAY;
    let to = START + args.days * DAY;
    // Long enough after the end for every outcome to be known.
    let now = to + 30 * DAY;
    let trained = Instant::now();
    let model = Model::train(&cases, from).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let trained = trained.elapsed();
    let judged = Instant::now();
    let test = risk::replay(&model, &cases, from, to, now);
    let scores: Vec<f64> = test
        .rows
        .iter()
        .map(|r| model.breach.probability(r))
        .collect();
    let b = risk::judge(&scores, &test.labels, test.tickets, model.trained_on);
    let judged = judged.elapsed();
    let breached = test.labels.iter().filter(|&&y| y).count() as f64 / test.n().max(1) as f64;
    println!(
        "{}",
        serde_json::json!({
            "bench": "risk",
            "tickets": args.tickets,
            "trained_on_tickets": model.trained_on,
            "test_tickets": b.tickets,
            "test_moments": b.n,
            "test_breach_share": breached,
            "auc": b.auc,
            "brier": b.brier,
            "generate_ms": generated.as_millis(),
            "train_ms": trained.as_millis(),
            "score_ms": judged.as_millis(),
        })
    );
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)?;
        let names = feature_names(&model.categories);
        let train = risk::training_rows(&model, &cases, from);
        write(&dir.join("train.csv"), &names, &train)?;
        write(&dir.join("test.csv"), &names, &test)?;
        eprintln!(
            "wrote {} training and {} test rows to {}",
            train.n(),
            test.n(),
            dir.display()
        );
    }
    Ok(())
}

fn write(path: &Path, names: &[String], rows: &Rows) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "{},breached", names.join(","))?;
    for (row, &label) in rows.rows.iter().zip(&rows.labels) {
        for x in row {
            write!(f, "{x},")?;
        }
        writeln!(f, "{}", u8::from(label))?;
    }
    f.flush()?;
    Ok(())
}
