//! Training with a held-out check: a stratified fifth of the examples is kept aside, a model
//! trained on the rest is judged on it (accuracy, macro-F1) and calibrated by it, and the
//! model kept is then trained on every example with that calibration.

use serde::Serialize;

use super::classifier::{Classifier, Example, Options, SplitMix};

/// Fewest examples a model is trained on: below this, a guess is worth less than none.
pub const MIN_EXAMPLES: usize = 30;

/// How a model did on the examples held out of its training.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Holdout {
    /// Share of held-out examples whose best suggestion was their class.
    pub accuracy: f64,
    /// The F1 score averaged over classes, each counting alike.
    pub macro_f1: f64,
    /// How many were held out.
    pub n: usize,
}

/// Why no model was trained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrainError {
    /// Fewer examples than [`MIN_EXAMPLES`].
    TooFew {
        /// How many there are.
        have: usize,
        /// How many are needed.
        need: usize,
    },
    /// Every example has the same class: there is nothing to tell apart.
    OneClass,
}

/// A model and how it did.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The model, trained on every example.
    pub model: Classifier,
    /// Examples it was trained on.
    pub trained_on: usize,
    /// Classes it tells apart.
    pub classes: usize,
    /// The held-out check.
    pub holdout: Holdout,
}

/// True when a model trained at `trained_at` (never: `None`) is trained again now, the
/// tenant's clock showing `local_hour`: every night between 02:00 and 05:00, once (a model
/// trained in the last 20 hours, by hand or by the night before, is left as it is).
pub fn retrain_due(
    trained_at: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
    local_hour: u32,
) -> bool {
    (2..5).contains(&local_hour)
        && trained_at.is_none_or(|at| now - at >= chrono::Duration::hours(20))
}

/// Splits `examples` into (training, held out): about `share` of each class held out, at
/// least one example of each class kept for training. The same examples give the same split.
pub fn stratified_split(examples: Vec<Example>, share: f64) -> (Vec<Example>, Vec<Example>) {
    let labels: Vec<&str> = examples.iter().map(|e| e.label.as_str()).collect();
    let held = held_out(&labels, share);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (e, h) in examples.into_iter().zip(held) {
        if h {
            test.push(e);
        } else {
            train.push(e);
        }
    }
    (train, test)
}

/// Which of the examples with these `labels` are held out by [`stratified_split`] (a
/// benchmark writes them down for a baseline to use the same split).
pub fn held_out(labels: &[&str], share: f64) -> Vec<bool> {
    let mut by_class: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, l) in labels.iter().enumerate() {
        by_class.entry(l).or_default().push(i);
    }
    let mut rng = SplitMix(42);
    let mut held = vec![false; labels.len()];
    for (_, mut group) in by_class {
        rng.shuffle(&mut group);
        let n = ((group.len() as f64 * share).round() as usize).min(group.len() - 1);
        for &i in &group[..n] {
            held[i] = true;
        }
    }
    held
}

/// Trains a model on `examples` and reports how one trained on four fifths of them did on the
/// fifth held out.
pub fn train(examples: Vec<Example>, options: &Options) -> Result<Trained, TrainError> {
    if examples.len() < MIN_EXAMPLES {
        return Err(TrainError::TooFew {
            have: examples.len(),
            need: MIN_EXAMPLES,
        });
    }
    let first = examples[0].label.clone();
    if examples.iter().all(|e| e.label == first) {
        return Err(TrainError::OneClass);
    }
    // The examples are moved, never copied: a tenant's history can be large.
    let (mut all, test) = stratified_split(examples, 0.2);
    let mut trial = Classifier::train(&all, options);
    trial.calibrate(&test);
    let holdout = judge(&trial, &test);
    let temperature = trial.temperature();
    drop(trial);
    all.extend(test);
    let mut model = Classifier::train(&all, options);
    model.set_temperature(temperature);
    Ok(Trained {
        classes: model.classes().len(),
        trained_on: all.len(),
        model,
        holdout,
    })
}

/// Accuracy and macro-F1 of `model` on `examples`.
pub fn judge(model: &Classifier, examples: &[Example]) -> Holdout {
    let pairs: Vec<(&str, String)> = examples
        .iter()
        .map(|e| {
            let best = model
                .suggest(&e.features, 1)
                .into_iter()
                .next()
                .map(|s| s.class)
                .unwrap_or_default();
            (e.label.as_str(), best)
        })
        .collect();
    let truth: Vec<&str> = pairs.iter().map(|(t, _)| *t).collect();
    let guess: Vec<&str> = pairs.iter().map(|(_, g)| g.as_str()).collect();
    Holdout {
        accuracy: accuracy(&truth, &guess),
        macro_f1: macro_f1(&truth, &guess),
        n: examples.len(),
    }
}

/// Share of `guess` equal to `truth`, 0 for none.
pub fn accuracy(truth: &[&str], guess: &[&str]) -> f64 {
    if truth.is_empty() {
        return 0.0;
    }
    let right = truth.iter().zip(guess).filter(|(t, g)| t == g).count();
    right as f64 / truth.len() as f64
}

/// F1 per class averaged over every class in `truth` or `guess` (as scikit-learn's
/// `f1_score(average="macro")`): a class never guessed and never true does not count.
pub fn macro_f1(truth: &[&str], guess: &[&str]) -> f64 {
    let mut classes: Vec<&str> = truth.iter().chain(guess).copied().collect();
    classes.sort_unstable();
    classes.dedup();
    if classes.is_empty() {
        return 0.0;
    }
    let total: f64 = classes
        .iter()
        .map(|c| {
            let tp = truth
                .iter()
                .zip(guess)
                .filter(|(t, g)| *t == c && *g == c)
                .count() as f64;
            let fp = truth
                .iter()
                .zip(guess)
                .filter(|(t, g)| *t != c && *g == c)
                .count() as f64;
            let fn_ = truth
                .iter()
                .zip(guess)
                .filter(|(t, g)| *t == c && *g != c)
                .count() as f64;
            if tp == 0.0 {
                0.0
            } else {
                2.0 * tp / (2.0 * tp + fp + fn_)
            }
        })
        .sum();
    total / classes.len() as f64
}

/// The area under the ROC curve of `scores` for telling the `positives` apart: the chance
/// that a positive scores above a negative, ties counting half (Mann–Whitney). 0.5 when one
/// side is empty.
pub fn auc(scores: &[f64], positives: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len().min(positives.len())).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let (mut rank_sum, mut pos) = (0.0, 0usize);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Tied scores share the mean of their ranks (1-based).
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if positives[k] {
                rank_sum += rank;
                pos += 1;
            }
        }
        i = j + 1;
    }
    let neg = order.len() - pos;
    if pos == 0 || neg == 0 {
        return 0.5;
    }
    let (p, n) = (pos as f64, neg as f64);
    (rank_sum - p * (p + 1.0) / 2.0) / (p * n)
}
