//! What was known of engineers and customers at a moment: an engineer's open orders, the
//! share of their past orders that breached, a customer's recent requests and their breaches.
//! Everything is looked up "as of" a time, so a model judged on a past period never sees what
//! happened after the moment it scores.

use std::collections::HashMap;

use super::{Case, CUSTOMER_WINDOW_MS};

/// Outcomes (when known, breached) in the order they became known, with running breach counts.
#[derive(Clone, Debug, Default)]
struct Outcomes {
    known_at: Vec<i64>,
    breaches_before: Vec<u32>,
    pending: Vec<(i64, bool)>,
}

impl Outcomes {
    fn push(&mut self, at: i64, breached: bool) {
        self.pending.push((at, breached));
    }

    fn seal(&mut self) {
        self.pending.sort_unstable();
        let mut breaches = 0;
        for &(at, breached) in &self.pending {
            breaches += u32::from(breached);
            self.known_at.push(at);
            self.breaches_before.push(breaches);
        }
        self.pending = Vec::new();
    }

    /// (outcomes, breaches) known strictly before `t`.
    fn before(&self, t: i64) -> (u32, u32) {
        let k = self.known_at.partition_point(|&at| at < t);
        if k == 0 {
            (0, 0)
        } else {
            (k as u32, self.breaches_before[k - 1])
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Engineer {
    starts: Vec<i64>,
    ends: Vec<i64>,
    outcomes: Outcomes,
}

#[derive(Clone, Debug, Default)]
struct Customer {
    created: Vec<i64>,
    outcomes: Outcomes,
}

/// Engineers' and customers' timelines over a set of cases.
#[derive(Clone, Debug, Default)]
pub struct History {
    engineers: HashMap<String, Engineer>,
    customers: HashMap<String, Customer>,
}

impl History {
    /// The timelines of `cases`.
    pub fn of(cases: &[Case]) -> History {
        let mut h = History::default();
        for c in cases {
            let end = c.end();
            for (i, (at, engineer)) in c.assignments.iter().enumerate() {
                let until = c
                    .assignments
                    .get(i + 1)
                    .map_or(end, |(next, _)| (*next).min(end));
                if let Some(engineer) = engineer {
                    let e = h.engineers.entry(engineer.clone()).or_default();
                    e.starts.push(*at);
                    e.ends.push(until);
                }
            }
            let outcome = c.breach_outcome();
            if let (Some((at, breached)), Some(Some(engineer))) =
                (outcome, c.assignments.last().map(|(_, e)| e))
            {
                let e = h.engineers.entry(engineer.clone()).or_default();
                e.outcomes.push(at, breached);
            }
            if let Some(customer) = &c.customer {
                let entry = h.customers.entry(customer.clone()).or_default();
                entry.created.push(c.created_at);
                if let Some((at, breached)) = outcome {
                    entry.outcomes.push(at, breached);
                }
            }
        }
        for e in h.engineers.values_mut() {
            e.starts.sort_unstable();
            e.ends.sort_unstable();
            e.outcomes.seal();
        }
        for c in h.customers.values_mut() {
            c.created.sort_unstable();
            c.outcomes.seal();
        }
        h
    }

    /// The engineer's orders open at `t` (assigned at or before, not yet done).
    pub fn load(&self, engineer: &str, t: i64) -> u32 {
        let Some(e) = self.engineers.get(engineer) else {
            return 0;
        };
        let started = e.starts.partition_point(|&s| s <= t);
        let ended = e.ends.partition_point(|&s| s <= t);
        started.saturating_sub(ended) as u32
    }

    /// (outcomes, breaches) of the engineer's orders known before `t`.
    pub fn engineer_record(&self, engineer: &str, t: i64) -> (u32, u32) {
        self.engineers
            .get(engineer)
            .map_or((0, 0), |e| e.outcomes.before(t))
    }

    /// The customer's requests in the window before `t`, and (outcomes, breaches) known.
    pub fn customer_record(&self, customer: &str, t: i64) -> (u32, (u32, u32)) {
        let Some(c) = self.customers.get(customer) else {
            return (0, (0, 0));
        };
        let from = c.created.partition_point(|&at| at < t - CUSTOMER_WINDOW_MS);
        let to = c.created.partition_point(|&at| at < t);
        ((to - from) as u32, c.outcomes.before(t))
    }
}
