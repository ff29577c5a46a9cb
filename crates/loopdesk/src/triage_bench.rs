//! `loopdesk bench-triage --corpus FILE.csv`: the triage classifier on a labelled corpus
//! (columns `label,text`, optionally `category`): trained on a stratified 80 %, judged on
//! the other 20 %, with its training time and the latency of one suggestion. `--split FILE`
//! writes which rows were held out (`train`/`test`, one per corpus row), so that a baseline
//! (`scripts/triage-baseline.py`) is judged on the very same split.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use loopdesk_core::triage::{features, train, urgency, Classifier, Example, Options};
use serde_json::json;

/// Flags of `bench-triage`.
#[derive(Args, Debug, Clone)]
pub struct TriageBenchArgs {
    /// The corpus: a CSV file with a header naming `label` and `text` (and maybe `category`).
    #[arg(long)]
    pub corpus: PathBuf,
    /// Where to write the split of the `label` target (one line per row: train or test).
    #[arg(long)]
    pub split: Option<PathBuf>,
    /// Only the first N rows.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Print one JSON object per target instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the benchmark.
pub fn run(args: &TriageBenchArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.corpus)
        .with_context(|| format!("cannot read {}", args.corpus.display()))?;
    let rows = loopdesk_web::import::csv_rows(&bytes)
        .map_err(|_| anyhow::anyhow!("{} is not a UTF-8 CSV file", args.corpus.display()))?;
    let Some((header, rows)) = rows.split_first() else {
        bail!("{} is empty", args.corpus.display());
    };
    let column = |name: &str| header.iter().position(|h| h.trim() == name);
    let (Some(label), Some(text)) = (column("label"), column("text")) else {
        bail!("the header must name the columns label and text");
    };
    let rows: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r.len() > label.max(text))
        .take(args.limit.unwrap_or(usize::MAX))
        .collect();
    let started = Instant::now();
    let feats: Vec<Vec<String>> = rows
        .iter()
        .map(|r| features::features(&r[text], ""))
        .collect();
    let featurise_s = started.elapsed().as_secs_f64();
    let mut targets = vec![("label", label)];
    if let Some(c) = column("category") {
        targets.push(("category", c));
    }
    for (name, col) in targets {
        let examples: Vec<(usize, Example)> = rows
            .iter()
            .zip(&feats)
            .enumerate()
            .filter(|(_, (r, _))| !r[col].trim().is_empty())
            .map(|(i, (r, f))| {
                (
                    i,
                    Example {
                        features: f.clone(),
                        label: r[col].trim().to_owned(),
                    },
                )
            })
            .collect();
        let texts: Vec<&str> = rows.iter().map(|r| r[text].as_str()).collect();
        let report = bench_target(args, name, examples, &texts, featurise_s)?;
        if args.json {
            println!("{report}");
        } else {
            println!(
                "{name}: {} train / {} test, {} classes, {} features | accuracy {:.4}, macro-F1 {:.4} | training {:.2} s (+ features {:.2} s) | suggest p50 {:.3} ms, p95 {:.3} ms, p99 {:.3} ms",
                report["train"], report["test"], report["classes"], report["features"],
                report["accuracy"].as_f64().unwrap_or(0.0), report["macro_f1"].as_f64().unwrap_or(0.0),
                report["train_seconds"].as_f64().unwrap_or(0.0), featurise_s,
                report["p50_ms"].as_f64().unwrap_or(0.0), report["p95_ms"].as_f64().unwrap_or(0.0),
                report["p99_ms"].as_f64().unwrap_or(0.0),
            );
            if let Some(auc) = report["lexicon_negative_auc"].as_f64() {
                println!("{name}: the shipped lexicon, untrained: negative AUC {auc:.4}");
            }
        }
    }
    Ok(())
}

fn bench_target(
    args: &TriageBenchArgs,
    name: &str,
    examples: Vec<(usize, Example)>,
    texts: &[&str],
    featurise_s: f64,
) -> anyhow::Result<serde_json::Value> {
    // The split by row, so it can be written for the baseline.
    let labels: Vec<&str> = examples.iter().map(|(_, e)| e.label.as_str()).collect();
    let mut held = vec![false; texts.len()];
    for ((i, _), h) in examples.iter().zip(train::held_out(&labels, 0.2)) {
        held[*i] = h;
    }
    let (mut training, mut test, mut test_texts) = (Vec::new(), Vec::new(), Vec::new());
    for (i, e) in examples {
        if held[i] {
            test.push(e);
            test_texts.push(texts[i]);
        } else {
            training.push(e);
        }
    }
    if name == "label" {
        if let Some(path) = &args.split {
            let lines: String = held
                .iter()
                .map(|h| if *h { "test\n" } else { "train\n" })
                .collect();
            std::fs::write(path, lines)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    let options = Options::default();
    let started = Instant::now();
    let mut model = Classifier::train(&training, &options);
    let train_seconds = started.elapsed().as_secs_f64();
    model.calibrate(&test);
    let holdout = train::judge(&model, &test);
    // One suggestion as /triage makes it: cutting the text, then the model.
    let mut latencies: Vec<f64> = Vec::with_capacity(test.len());
    for text in test_texts.iter().take(5_000) {
        let t = Instant::now();
        let f = features::features(text, "");
        let s = model.suggest(&f, 3);
        std::hint::black_box(s);
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let q = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    // A corpus labelled negative/positive also judges the shipped lexicon, untrained.
    let lexicon_auc = if model.classes() == ["negative", "positive"] {
        let scores: Vec<f64> = test_texts.iter().map(|t| urgency::negative(t)).collect();
        let negatives: Vec<bool> = test.iter().map(|e| e.label == "negative").collect();
        Some(train::auc(&scores, &negatives))
    } else {
        None
    };
    Ok(json!({
        "target": name,
        "lexicon_negative_auc": lexicon_auc,
        "train": training.len(),
        "test": test.len(),
        "classes": model.classes().len(),
        "features": model.dimensions(),
        "accuracy": holdout.accuracy,
        "macro_f1": holdout.macro_f1,
        "train_seconds": train_seconds,
        "featurise_seconds": featurise_s,
        "p50_ms": q(0.5),
        "p95_ms": q(0.95),
        "p99_ms": q(0.99),
        "model_bytes": model.to_bytes().len(),
    }))
}
