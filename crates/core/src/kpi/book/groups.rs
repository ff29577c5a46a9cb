//! The book's accumulators: tickets counted into groups (by dimension or by time bucket)
//! and turned into KPI values.

use super::Durations;
use super::{time_bucket, GroupBy, KpiValue, Metric, Query};
use std::collections::BTreeMap;

use super::*;

/// How a query cuts tickets into rows: by a dimension (a slot per interned name), by time
/// (a slot per bucket, found from the local day) or not at all; the last slot holds the
/// tickets without a key.
pub(crate) struct Groups<'a> {
    pub(crate) book: &'a Book,
    pub(crate) dim: Option<usize>,
    /// For a time grouping: the first local day of the period, each day's bucket, and each
    /// bucket's key and its part of the period.
    pub(crate) first_day: i64,
    pub(crate) offset_ms: i64,
    pub(crate) day_bucket: Vec<u32>,
    pub(crate) buckets: Vec<(String, (i64, i64))>,
    pub(crate) time: bool,
}

impl<'a> Groups<'a> {
    pub(crate) fn new(book: &'a Book, q: &Query) -> Groups<'a> {
        let dim = match q.group_by {
            Some(GroupBy::Region) => Some(REGION),
            Some(GroupBy::Team) => Some(TEAM),
            Some(GroupBy::Engineer) => Some(ENGINEER),
            Some(GroupBy::Category) => Some(CATEGORY),
            Some(GroupBy::Channel) => Some(CHANNEL),
            Some(GroupBy::CustomerTier) => Some(TIER),
            _ => None,
        };
        let offset_ms = i64::from(q.offset.local_minus_utc()) * 1000;
        let day = |at: i64| (at + offset_ms).div_euclid(DAY);
        let (first_day, last_day) = (day(q.from), day(q.to - 1));
        let mut day_bucket = Vec::new();
        let mut buckets: Vec<(String, (i64, i64))> = Vec::new();
        let time = matches!(
            q.group_by,
            Some(GroupBy::Day | GroupBy::Week | GroupBy::Month)
        );
        if let Some(by) = q.group_by.filter(|_| time) {
            for d in first_day..=last_day {
                let at = (d * DAY - offset_ms).max(q.from);
                let bucket = match time_bucket(at, by, q.offset) {
                    Some((key, a, b)) => {
                        if buckets.last().is_none_or(|last| last.0 != key) {
                            buckets.push((key, (a.max(q.from), b.min(q.to))));
                        }
                        u32::try_from(buckets.len() - 1).unwrap_or(NONE)
                    }
                    None => NONE,
                };
                day_bucket.push(bucket);
            }
        }
        Groups {
            book,
            dim,
            first_day,
            offset_ms,
            day_bucket,
            buckets,
            time,
        }
    }

    /// Slots: one per name or bucket, and the last for "no key".
    pub(crate) fn slots(&self) -> usize {
        if self.time {
            self.buckets.len() + 1
        } else if self.dim.is_some() {
            self.book.names.len() + 1
        } else {
            1
        }
    }

    pub(crate) fn none(&self) -> usize {
        self.slots() - 1
    }

    /// The slot of a ticket for an anchor time inside the period.
    pub(crate) fn slot(&self, e: &Entry, at: i64) -> usize {
        if self.time {
            let d = (at + self.offset_ms).div_euclid(DAY) - self.first_day;
            return usize::try_from(d)
                .ok()
                .and_then(|d| self.day_bucket.get(d))
                .filter(|b| **b != NONE)
                .map_or(self.none(), |b| *b as usize);
        }
        match self.dim {
            Some(d) if e.dims[d] != NONE => e.dims[d] as usize,
            _ => self.none(),
        }
    }

    pub(crate) fn acc<'b>(&self, accs: &'b mut [Option<Acc>], slot: usize) -> &'b mut Acc {
        accs[slot].get_or_insert_with(Acc::default)
    }

    /// A time bucket's part of the period.
    pub(crate) fn window(&self, slot: usize) -> Option<(i64, i64)> {
        self.buckets.get(slot).map(|b| b.1).filter(|_| self.time)
    }

    pub(crate) fn key(&self, slot: usize) -> Option<&str> {
        if self.time {
            self.buckets.get(slot).map(|b| b.0.as_str())
        } else if self.dim.is_some() {
            self.book.names.get(slot).map(|n| &**n)
        } else {
            None
        }
    }
}

/// Which duration KPIs are asked for (the others' values are not gathered).
#[derive(Clone, Copy)]
pub(crate) struct Wants {
    pub(crate) frt: bool,
    pub(crate) oat: bool,
    pub(crate) mttr: bool,
    /// Utilisation: engineers' working time.
    pub(crate) work: bool,
}

/// What one group adds up.
#[derive(Default)]
pub(crate) struct Acc {
    pub(crate) frt: Vec<i64>,
    pub(crate) oat: Vec<i64>,
    pub(crate) mttr: Vec<i64>,
    pub(crate) created: u64,
    pub(crate) closed: u64,
    pub(crate) confirmed: u64,
    pub(crate) backlog: u64,
    pub(crate) assigned: u64,
    pub(crate) transferred: u64,
    pub(crate) chased: u64,
    pub(crate) resolved: u64,
    pub(crate) reopened: u64,
    pub(crate) on_time: u64,
    pub(crate) with_due: u64,
    pub(crate) remote: u64,
    pub(crate) first_contact: u64,
    pub(crate) on_site: u64,
    pub(crate) first_time: u64,
    pub(crate) sent: u64,
    pub(crate) answered: u64,
    pub(crate) csat_n: u64,
    pub(crate) csat_good: u64,
    pub(crate) nps_n: u64,
    pub(crate) promoters: u64,
    pub(crate) detractors: u64,
    pub(crate) work_ms: i64,
    pub(crate) pm_due: u64,
    pub(crate) pm_on_time: u64,
    /// Engineers with working time in the group.
    pub(crate) engineers: usize,
    /// The group's part of the period (a time bucket's, or the whole period).
    pub(crate) window: (i64, i64),
}

impl Acc {
    /// A ticket created in the period (`to`: the period's end).
    pub(crate) fn cohort(&mut self, e: &Entry, to: i64, wants: Wants) {
        self.created += 1;
        if wants.frt && e.first_response != NO {
            self.frt.push(e.first_response - e.created_at);
        }
        if wants.oat && e.first_arrival != NO {
            self.oat.push(e.first_arrival - e.created_at);
        }
        if e.closed_at != NO {
            self.closed += 1;
            self.confirmed += u64::from(e.by_customer);
        }
        if !e.ended_by(to - 1) {
            self.backlog += 1;
        }
        if e.assignments > 0 {
            self.assigned += 1;
            self.transferred += u64::from(e.assignments > 1);
        }
        self.chased += u64::from(e.chases > 0);
        self.sent += u64::from(e.sent);
        self.answered += u64::from(e.answered);
        self.csat_n += u64::from(e.csat_n);
        self.csat_good += u64::from(e.csat_good);
        self.nps_n += u64::from(e.nps_n);
        self.promoters += u64::from(e.promoters);
        self.detractors += u64::from(e.detractors);
    }

    /// A ticket resolved (for the last time) in the period.
    pub(crate) fn resolution(&mut self, e: &Entry, wants: Wants) {
        let resolved_at = e.resolved_at;
        self.resolved += 1;
        if wants.mttr {
            self.mttr.push(resolved_at - e.created_at);
        }
        self.reopened += u64::from(e.reopens > 0);
        if e.due != NO {
            self.with_due += 1;
            self.on_time += u64::from(resolved_at <= e.due);
        }
        match e.remote {
            Some(true) => {
                self.remote += 1;
                self.first_contact += u64::from(e.assignments == 0 && e.reopens == 0);
            }
            Some(false) => {
                self.on_site += 1;
                self.first_time += u64::from(e.visits == 1 && e.reopens == 0);
            }
            None => {}
        }
    }

    /// Adds another part's sums to these.
    pub(crate) fn add(&mut self, o: Acc) {
        self.frt.extend(o.frt);
        self.oat.extend(o.oat);
        self.mttr.extend(o.mttr);
        self.created += o.created;
        self.closed += o.closed;
        self.confirmed += o.confirmed;
        self.backlog += o.backlog;
        self.assigned += o.assigned;
        self.transferred += o.transferred;
        self.chased += o.chased;
        self.resolved += o.resolved;
        self.reopened += o.reopened;
        self.on_time += o.on_time;
        self.with_due += o.with_due;
        self.remote += o.remote;
        self.first_contact += o.first_contact;
        self.on_site += o.on_site;
        self.first_time += o.first_time;
        self.sent += o.sent;
        self.answered += o.answered;
        self.csat_n += o.csat_n;
        self.csat_good += o.csat_good;
        self.nps_n += o.nps_n;
        self.promoters += o.promoters;
        self.detractors += o.detractors;
        self.work_ms += o.work_ms;
        self.pm_due += o.pm_due;
        self.pm_on_time += o.pm_on_time;
    }

    /// A maintenance order due in the period.
    pub(crate) fn maintenance(&mut self, e: &Entry) {
        self.pm_due += 1;
        self.pm_on_time += u64::from(e.pm_on_time());
    }

    pub(crate) fn values(
        &mut self,
        metrics: &[Metric],
        shift: &dyn Fn(i64, i64) -> i64,
    ) -> BTreeMap<&'static str, KpiValue> {
        let rate = |num: u64, n: u64| KpiValue::Rate {
            value: (n > 0).then(|| num as f64 / n as f64),
            n,
        };
        let mut out = BTreeMap::new();
        for m in metrics {
            let v = match m {
                Metric::Frt => durations(&mut self.frt),
                Metric::Oat => durations(&mut self.oat),
                Metric::Mttr => durations(&mut self.mttr),
                Metric::Fcr => rate(self.first_contact, self.remote),
                Metric::Ftfr => rate(self.first_time, self.on_site),
                Metric::ClosureRate => rate(self.closed, self.created),
                Metric::ConfirmedClosureRate => rate(self.confirmed, self.created),
                Metric::ReopenRate => rate(self.reopened, self.resolved),
                Metric::OnTimeRate => rate(self.on_time, self.with_due),
                Metric::TransferRate => rate(self.transferred, self.assigned),
                Metric::ChaseRate => rate(self.chased, self.created),
                Metric::Csat => KpiValue::Csat {
                    value: (self.csat_n > 0).then(|| self.csat_good as f64 / self.csat_n as f64),
                    n: self.csat_n,
                    response_rate: (self.sent > 0)
                        .then(|| (self.answered as f64 / self.sent as f64).min(1.0)),
                    sent: self.sent,
                },
                Metric::Nps => KpiValue::Rate {
                    value: (self.nps_n > 0).then(|| {
                        (self.promoters as f64 - self.detractors as f64) * 100.0 / self.nps_n as f64
                    }),
                    n: self.nps_n,
                },
                Metric::Utilisation => {
                    let (a, b) = self.window;
                    let on_shift = self.engineers as i64 * shift(a, b);
                    KpiValue::Rate {
                        value: (on_shift > 0).then(|| self.work_ms as f64 / on_shift as f64),
                        n: self.engineers as u64,
                    }
                }
                Metric::Backlog => KpiValue::Count {
                    value: self.backlog,
                },
                Metric::PmCompliance => rate(self.pm_on_time, self.pm_due),
            };
            out.insert(m.as_str(), v);
        }
        out
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.created == 0 && self.resolved == 0 && self.engineers == 0 && self.pm_due == 0
    }
}

/// Mean and nearest-rank p50 and p90 (p50 of 1, 2, 3, 4 is 2), in seconds.
pub(crate) fn durations(ms: &mut [i64]) -> KpiValue {
    let n = ms.len();
    let rank = |p: f64| ((p * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1;
    let (p50, p90) = match nth(ms, &[rank(0.5), rank(0.9)]).as_slice() {
        [a, b] => (Some(*a as f64 / 1000.0), Some(*b as f64 / 1000.0)),
        _ => (None, None),
    };
    KpiValue::Durations(Durations {
        mean: (n > 0).then(|| ms.iter().sum::<i64>() as f64 / n as f64 / 1000.0),
        p50,
        p90,
        n: n as u64,
    })
}

/// The values at sorted positions `ranks` (empty when `values` is): one counting pass over
/// the values' range cut into buckets finds each rank's bucket, and only that bucket's
/// values are then selected among — linear time, where sorting a million took 60 ms.
pub(crate) fn nth(values: &mut [i64], ranks: &[usize]) -> Vec<i64> {
    let (Some(lo), Some(hi)) = (values.iter().min().copied(), values.iter().max().copied()) else {
        return Vec::new();
    };
    // About one bucket per value, at most 65,536.
    let buckets = (values.len() as u64).next_power_of_two().clamp(16, 1 << 16);
    let span = hi.abs_diff(lo);
    let shift = (64 - (span / buckets).leading_zeros()).min(63);
    let bucket = |v: i64| (v.abs_diff(lo) >> shift) as usize;
    let mut counts = vec![0_usize; (span >> shift) as usize + 1];
    for v in values.iter() {
        counts[bucket(*v)] += 1;
    }
    ranks
        .iter()
        .map(|&r| {
            // The bucket holding sorted position r, and r's place inside it.
            let mut before = 0;
            let mut b = 0;
            while b + 1 < counts.len() && before + counts[b] <= r {
                before += counts[b];
                b += 1;
            }
            let mut inside: Vec<i64> = values.iter().copied().filter(|v| bucket(*v) == b).collect();
            let at = (r - before).min(inside.len().saturating_sub(1));
            inside.select_nth_unstable(at).1.to_owned()
        })
        .collect()
}
