//! A generated service history whose breaches come from load, category and parts — the way
//! they do in the field — for judging the risk model (its tests, `loopdesk-bench risk` and
//! the LightGBM comparison in `scripts/`). Deterministic for a seed.

use super::Case;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// SplitMix64: the same history on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }

    /// Exponential with mean `mean`.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }
}

/// Categories: (code, mean service hours, chance parts are needed, chance of a reopen).
const CATEGORIES: [(&str, f64, f64, f64); 6] = [
    ("install", 6.0, 0.05, 0.03),
    ("inspect", 3.0, 0.02, 0.02),
    ("repair", 10.0, 0.30, 0.10),
    ("compressor", 16.0, 0.55, 0.15),
    ("electrical", 8.0, 0.15, 0.06),
    ("leak", 12.0, 0.25, 0.12),
];
/// Resolution windows by priority (hours).
const WINDOWS: [i64; 4] = [12, 24, 48, 72];

/// `tickets` tickets over `days` days starting at `start` (ms), served by `engineers`.
pub fn history(seed: u64, tickets: usize, days: i64, engineers: usize, start: i64) -> Vec<Case> {
    let mut rng = Rng(seed);
    let customers = (tickets / 20).max(10);
    // Some customers' sites are harder (older kit, far away), some engineers slower.
    let hard: Vec<f64> = (0..customers)
        .map(|_| if rng.unit() < 0.15 { 1.8 } else { 1.0 })
        .collect();
    let slow: Vec<f64> = (0..engineers).map(|_| 0.7 + 0.8 * rng.unit()).collect();
    let mut arrivals: Vec<i64> = (0..tickets)
        .map(|_| {
            // Busier weeks come and go: a slow wave over the period.
            loop {
                let t = rng.unit();
                let wave = 0.6 + 0.4 * (t * days as f64 / 9.0).sin();
                if rng.unit() < wave {
                    return start + (t * (days * DAY) as f64) as i64;
                }
            }
        })
        .collect();
    arrivals.sort_unstable();
    // Each engineer's open orders: when each ends.
    let mut open: Vec<Vec<i64>> = vec![Vec::new(); engineers];
    let mut out = Vec::with_capacity(tickets);
    for created in arrivals {
        let (code, hours, parts_chance, reopen_chance) = CATEGORIES[rng.below(CATEGORIES.len())];
        let priority = [1, 2, 2, 3, 3, 3, 4, 4][rng.below(8)];
        let window = WINDOWS[(priority - 1) as usize] * HOUR;
        let customer = rng.below(customers);
        let assigned = created + (rng.exp(1.0) * HOUR as f64) as i64;
        // The less loaded of two engineers picked at random.
        let (a, b) = (rng.below(engineers), rng.below(engineers));
        for list in [a, b] {
            open[list].retain(|&end| end > assigned);
        }
        let engineer = if open[a].len() <= open[b].len() { a } else { b };
        let load = open[engineer].len() as f64;
        let queue = rng.exp(load * 5.0) * HOUR as f64;
        let service = rng.exp(hours * slow[engineer] * hard[customer]) * HOUR as f64;
        let mut parts = Vec::new();
        let mut wait = 0.0;
        if rng.unit() < parts_chance {
            let from = assigned + (rng.unit() * 4.0 * HOUR as f64) as i64;
            wait = (12.0 + rng.unit() * 48.0) * HOUR as f64;
            parts.push((from, Some(from + wait as i64)));
        }
        let resolved = assigned + (queue + service + wait) as i64;
        open[engineer].push(resolved);
        let mut chases = Vec::new();
        let mut at = created;
        loop {
            at += (rng.exp(20.0) * HOUR as f64) as i64;
            if at >= resolved {
                break;
            }
            chases.push(at);
        }
        let urgent = if rng.unit() < 0.05 {
            vec![created]
        } else {
            Vec::new()
        };
        let reopen = rng.unit() < reopen_chance * if parts.is_empty() { 1.0 } else { 1.5 };
        let reopened_at = reopen.then(|| resolved + (rng.unit() * 5.0 * DAY as f64) as i64);
        out.push(Case {
            created_at: created,
            due: Some(created + window),
            resolved_at: Some(resolved),
            reopened_at,
            cancelled_at: None,
            category: Some(code.to_owned()),
            priority,
            customer: Some(format!("c{customer}")),
            assignments: vec![(assigned, Some(format!("e{engineer}")))],
            chases,
            urgent,
            parts,
        });
    }
    out
}
