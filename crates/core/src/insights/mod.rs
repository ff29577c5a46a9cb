//! Recurring problems (issue 23): groups of tickets — a category, or a word of their text —
//! far above their own baseline in a window, each with the attributes its tickets concentrate
//! on ("80 % 型号 X9, 70 % 闵行区"). What a supervisor's weekly 闭环小组 would look for by hand.
//!
//! A group's baseline is its count in the same weekdays of the previous four weeks (the window
//! moved back by whole weeks, at least one); its count in the window is tested against that
//! rate as a Poisson count, with a Bonferroni bound over every group tested, so a stationary
//! history raises nothing. A group whose tickets are mostly another's already reported (the
//! words of a spiking category) is left out: one problem, one item.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

pub mod alert;
pub mod record;
pub mod risk;
pub mod wear;

const DAY_MS: i64 = 86_400_000;
/// Baseline windows (the same weekdays of the previous four weeks).
pub const BASELINE_WINDOWS: usize = 4;
/// A group needs this many tickets in the window.
pub const MIN_COUNT: usize = 5;
/// And at least this many times its expected count.
pub const MIN_LIFT: f64 = 2.0;
/// The chance of one false alarm in a stationary history, over every group tested.
pub const ALPHA: f64 = 0.01;
/// A group mostly (this share of its tickets) inside one already reported is not another item.
const COVERED: f64 = 0.8;
/// Items reported at most.
pub const MAX_ITEMS: usize = 20;
/// A value is a concentration when this share of the group has it …
const MIN_SHARE: f64 = 0.3;
/// … and at least this many times its share among all the window's tickets.
const MIN_SHARE_LIFT: f64 = 1.5;
/// Related words per item at most.
const MAX_RELATED: usize = 3;
/// Concentrations per item at most.
const MAX_SHARES: usize = 5;

/// What a ticket is, for these questions.
#[derive(Clone, Debug, Default)]
pub struct ProblemTicket {
    /// Created, ms since the epoch.
    pub at: i64,
    /// Its category code.
    pub category: Option<String>,
    /// The distinct words of its subject and description ([`words`]).
    pub words: Vec<String>,
    /// Its attributes (model, region, channel, tier, site), each at most once.
    pub attributes: Vec<(Attribute, String)>,
}

/// An attribute tickets may concentrate on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    /// The equipment's model.
    AssetModel,
    /// The region.
    Region,
    /// The channel.
    Channel,
    /// The customer's tier.
    CustomerTier,
    /// The category.
    Category,
    /// The site.
    Site,
}

impl Attribute {
    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Attribute::AssetModel => "asset_model",
            Attribute::Region => "region",
            Attribute::Channel => "channel",
            Attribute::CustomerTier => "customer_tier",
            Attribute::Category => "category",
            Attribute::Site => "site",
        }
    }
}

/// What a group is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Tickets of one category.
    Category,
    /// Tickets whose text has one word.
    Term,
}

impl Signal {
    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Category => "category",
            Signal::Term => "term",
        }
    }
}

/// One attribute value a problem's tickets concentrate on.
#[derive(Clone, Debug, PartialEq)]
pub struct Share {
    /// Which attribute.
    pub attribute: Attribute,
    /// Its value.
    pub value: String,
    /// The share of the problem's tickets that have it.
    pub share: f64,
}

/// A group far above its baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// A category or a word.
    pub signal: Signal,
    /// The category's code or the word.
    pub value: String,
    /// Its tickets in the window.
    pub count: usize,
    /// Its expected count (the baseline's mean).
    pub expected: f64,
    /// `count / expected` (the expected count smoothed, so a new word has a finite lift).
    pub lift: f64,
    /// Natural log of the chance of so many or more at the expected rate.
    pub log_p: f64,
    /// Its tickets: indices into the tickets given.
    pub tickets: Vec<usize>,
    /// What its tickets concentrate on, the largest share first.
    pub concentration: Vec<Share>,
    /// Words whose tickets are mostly this problem's (they are not items of their own), the
    /// most significant first: with the value, what the problem reads as (打开 · 闪退).
    pub related: Vec<String>,
}

impl Problem {
    /// Its key: `category:<code>` or `term:<word>`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.signal.as_str(), self.value)
    }
}

/// Single characters that join words rather than name things: a run of other single
/// characters (what jieba's dictionary does not know, 闪退, 异响) is broken at them.
const JOINERS: &str = "的了就在是有也都和与很又还被把给到时后会要着过吗呢吧啊";

/// The words of a ticket's text worth grouping by, each once: jieba's words of two characters
/// or more (single characters and bare numbers say little), and the runs of two to four Chinese
/// characters jieba left single (a word its dictionary lacks: 闪退, 异响).
pub fn words(subject: &str, description: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut run = String::new();
    let mut keep = |w: String, out: &mut Vec<String>| {
        let n = w.chars().count();
        if n >= 2 && !w.chars().all(|c| c.is_ascii_digit()) && seen.insert(w.clone()) {
            out.push(w);
        }
    };
    for text in [subject, description] {
        for w in crate::search::text_words(text) {
            let mut chars = w.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if crate::search::is_cjk(c) && !JOINERS.contains(c) => run.push(c),
                _ => {
                    if (2..=4).contains(&run.chars().count()) {
                        keep(std::mem::take(&mut run), &mut out);
                    }
                    run.clear();
                    keep(w, &mut out);
                }
            }
        }
        // A run ends with its text.
        if (2..=4).contains(&run.chars().count()) {
            keep(std::mem::take(&mut run), &mut out);
        }
        run.clear();
    }
    out
}

/// The baseline windows of `[from, to)`: the window moved back by whole weeks (at least one,
/// enough to clear it), [`BASELINE_WINDOWS`] times. The earliest start is where the tickets
/// to read begin.
pub fn baseline_windows(from: i64, to: i64) -> Vec<(i64, i64)> {
    let week = 7 * DAY_MS;
    let weeks = ((to - from).max(1) + week - 1) / week;
    (1..=BASELINE_WINDOWS as i64)
        .map(|k| (from - k * weeks * week, to - k * weeks * week))
        .collect()
}

/// The problems of `[from, to)`, most significant first. `tickets` holds the window's
/// tickets and those of its baseline windows (others are ignored); `history_from` is when the
/// tenant's history begins (baseline windows before it do not count: a new tenant is compared
/// with what it has, and with nothing has no problems).
pub fn problems(tickets: &[ProblemTicket], from: i64, to: i64, history_from: i64) -> Vec<Problem> {
    let windows: Vec<(i64, i64)> = baseline_windows(from, to)
        .into_iter()
        .filter(|(start, _)| *start >= history_from)
        .collect();
    if windows.is_empty() {
        return Vec::new();
    }
    // Counts per group: in the window (with its tickets) and in the baseline.
    // In the window: each group's tickets, and the sum of the word's places in their texts
    // (of equally telling words, those said first name the problem: the subject's).
    let mut now: HashMap<(Signal, &str), (Vec<usize>, usize)> = HashMap::new();
    let mut before: HashMap<(Signal, &str), usize> = HashMap::new();
    let mut current = Vec::new();
    for (i, t) in tickets.iter().enumerate() {
        let inside = from <= t.at && t.at < to;
        let baseline = windows.iter().any(|(s, e)| *s <= t.at && t.at < *e);
        if !inside && !baseline {
            continue;
        }
        let groups = t
            .category
            .iter()
            .map(|c| (Signal::Category, c.as_str()))
            .chain(t.words.iter().map(|w| (Signal::Term, w.as_str())));
        if inside {
            current.push(i);
            for (place, g) in groups.enumerate() {
                let (ids, places) = now.entry(g).or_default();
                ids.push(i);
                *places += place;
            }
        } else {
            for g in groups {
                *before.entry(g).or_default() += 1;
            }
        }
    }
    let n = windows.len() as f64;
    let tests = now.len().max(1) as f64;
    let bound = (ALPHA / tests).ln();
    let mut found: Vec<(Problem, f64)> = now
        .into_iter()
        .filter(|(_, (ids, _))| ids.len() >= MIN_COUNT)
        .filter_map(|((signal, value), (ids, places))| {
            let place = places as f64 / ids.len() as f64;
            let seen = before.get(&(signal, value)).copied().unwrap_or(0) as f64;
            let expected = seen / n;
            // Half a ticket over the baseline: a word never seen has a small rate, not none.
            let rate = (seen + 0.5) / n;
            let count = ids.len();
            let lift = count as f64 / rate;
            let log_p = poisson_tail_ln(count, rate);
            let problem = Problem {
                signal,
                value: value.to_owned(),
                count,
                expected,
                lift,
                log_p,
                tickets: ids,
                concentration: Vec::new(),
                related: Vec::new(),
            };
            (lift >= MIN_LIFT && log_p <= bound).then_some((problem, place))
        })
        .collect();
    found.sort_by(|(a, a_place), (b, b_place)| {
        a.log_p
            .total_cmp(&b.log_p)
            .then(a.signal.cmp(&b.signal))
            .then(b.count.cmp(&a.count))
            .then(a_place.total_cmp(b_place))
            .then(a.value.cmp(&b.value))
    });
    let mut kept: Vec<Problem> = Vec::new();
    let mut reported: Vec<HashSet<usize>> = Vec::new();
    for (p, _) in found {
        let covered = reported.iter().position(|r| {
            let inside = p.tickets.iter().filter(|i| r.contains(i)).count();
            inside as f64 >= COVERED * p.tickets.len() as f64
        });
        if let Some(k) = covered {
            if p.signal == Signal::Term && kept[k].related.len() < MAX_RELATED {
                kept[k].related.push(p.value);
            }
            continue;
        }
        if kept.len() == MAX_ITEMS {
            break;
        }
        reported.push(p.tickets.iter().copied().collect());
        kept.push(p);
    }
    let overall = shares(tickets, &current);
    for p in &mut kept {
        p.concentration = concentration(tickets, p, &overall);
    }
    kept
}

/// The share of each attribute value among `ids`.
fn shares(tickets: &[ProblemTicket], ids: &[usize]) -> BTreeMap<(Attribute, String), f64> {
    let mut counts: BTreeMap<(Attribute, String), usize> = BTreeMap::new();
    for i in ids {
        let t = &tickets[*i];
        for (a, v) in &t.attributes {
            *counts.entry((*a, v.clone())).or_default() += 1;
        }
        if let Some(c) = &t.category {
            *counts.entry((Attribute::Category, c.clone())).or_default() += 1;
        }
    }
    let n = ids.len().max(1) as f64;
    counts.into_iter().map(|(k, c)| (k, c as f64 / n)).collect()
}

fn concentration(
    tickets: &[ProblemTicket],
    p: &Problem,
    overall: &BTreeMap<(Attribute, String), f64>,
) -> Vec<Share> {
    let mut out: Vec<Share> = shares(tickets, &p.tickets)
        .into_iter()
        .filter(|((a, _), _)| !(p.signal == Signal::Category && *a == Attribute::Category))
        .filter(|(k, share)| {
            let base = overall.get(k).copied().unwrap_or(0.0);
            *share >= MIN_SHARE && *share >= MIN_SHARE_LIFT * base
        })
        .map(|((attribute, value), share)| Share {
            attribute,
            value,
            share,
        })
        .collect();
    out.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then(a.attribute.cmp(&b.attribute))
    });
    out.truncate(MAX_SHARES);
    out
}

/// ln P(X ≥ k) for X Poisson with mean `rate` > 0: the terms from k on, summed until they
/// no longer matter (they fall geometrically once past the mean).
pub fn poisson_tail_ln(k: usize, rate: f64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let ln_rate = rate.ln();
    let ln_fact: f64 = (2..=k).map(|i| (i as f64).ln()).sum();
    let first = -rate + k as f64 * ln_rate - ln_fact;
    // Sum of term_j / term_k for j ≥ k.
    let (mut sum, mut ratio, mut j) = (1.0_f64, 1.0_f64, k);
    loop {
        j += 1;
        ratio *= rate / j as f64;
        sum += ratio;
        if (ratio < 1e-12 * sum && j as f64 > rate) || j > k + 100_000 {
            break;
        }
    }
    (first + sum.ln()).min(0.0)
}

#[cfg(test)]
mod tests;
