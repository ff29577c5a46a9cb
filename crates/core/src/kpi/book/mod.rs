//! The KPI book: every ticket of a tenant in a compact, column-friendly form, so that a year
//! of a million tickets is grouped and counted in tens of milliseconds without going back to
//! the event log. A ticket enters (or is replaced) with its folded [`Facts`] and attributes;
//! the figures are those of the reference definition, because there is only one: [`compute`]
//! and [`behind`] in this module's parent build a book of their tickets and ask it.
//!
//! Strings (ids of regions, teams, engineers; category, channel and tier codes) are interned
//! once; a ticket is about 130 bytes plus its work spans.

use std::collections::HashMap;

use super::Durations;
use super::{time_bucket, Filter, GroupBy, KpiValue, Metric, Query, Row, TicketKpi};
use crate::sla::calendar::Calendar;

mod groups;

use groups::{Acc, Groups, Wants};

/// No time.
const NO: i64 = i64::MIN;
/// No value of a dimension.
const NONE: u32 = u32::MAX;
const DAY: i64 = 86_400_000;
/// Books with more tickets than this per core are scanned on several cores.
const PARALLEL_FROM: usize = 100_000;

/// The attribute dimensions, in the order of [`Entry::dims`].
const REGION: usize = 0;
const TEAM: usize = 1;
const ENGINEER: usize = 2;
const CATEGORY: usize = 3;
const CHANNEL: usize = 4;
const TIER: usize = 5;

/// One engineer's travel or on-site time on a ticket.
#[derive(Clone, Copy, Debug)]
struct Work {
    engineer: u32,
    start: i64,
    end: i64,
}

/// One ticket, as the KPIs read it.
#[derive(Clone, Debug)]
struct Entry {
    created_at: i64,
    first_response: i64,
    first_arrival: i64,
    resolved_at: i64,
    closed_at: i64,
    cancelled_at: i64,
    due: i64,
    pm_due: i64,
    /// Region, team, engineer last assigned, category, channel, tier ([`NONE`]: not set).
    dims: [u32; 6],
    assignments: u16,
    visits: u16,
    reopens: u16,
    chases: u16,
    sent: u16,
    answered: u16,
    csat_n: u16,
    csat_good: u16,
    nps_n: u16,
    promoters: u16,
    detractors: u16,
    /// The lowest CSAT of 3 or less, and the lowest NPS of 6 or less (drill-down).
    csat_low: Option<i8>,
    nps_low: Option<i8>,
    remote: Option<bool>,
    by_customer: bool,
    /// This ticket's spans in [`Book::work`]: start and count.
    work: (u32, u32),
}

impl Entry {
    /// Resolved before the end of its maintenance due day.
    fn pm_on_time(&self) -> bool {
        self.resolved_at != NO && self.resolved_at < self.pm_due + DAY
    }

    fn ended_by(&self, at: i64) -> bool {
        (self.closed_at != NO && self.closed_at <= at)
            || (self.cancelled_at != NO && self.cancelled_at <= at)
    }
}

/// The times that decide whether a ticket has anything in a period, apart from the rest so
/// that a short period's scan reads little.
#[derive(Clone, Copy, Debug)]
struct Hot {
    created_at: i64,
    resolved_at: i64,
    pm_due: i64,
    /// The earliest start and latest end of its work spans ([`NO`] and [`NO`]: none).
    work_from: i64,
    work_to: i64,
}

impl Hot {
    fn touches(&self, from: i64, to: i64, work: bool) -> bool {
        let inside = |at: i64| at != NO && at >= from && at < to;
        inside(self.created_at)
            || inside(self.resolved_at)
            || inside(self.pm_due)
            || (work && self.work_from != NO && self.work_from < to && self.work_to > from)
    }
}

/// The compact store of every ticket's KPI facts.
#[derive(Clone, Debug, Default)]
pub struct Book {
    names: Vec<Box<str>>,
    name_ids: HashMap<Box<str>, u32>,
    hot: Vec<Hot>,
    entries: Vec<Entry>,
    keys: Vec<u128>,
    slots: HashMap<u128, u32>,
    work: Vec<Work>,
    /// Spans no entry points at any more (replaced entries).
    dead_work: usize,
}

impl Book {
    /// An empty book.
    pub fn new() -> Book {
        Book::default()
    }

    /// How many tickets it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when it holds no ticket.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn intern(&mut self, name: Option<&str>) -> u32 {
        let Some(name) = name else { return NONE };
        if let Some(id) = self.name_ids.get(name) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(NONE - 1);
        self.names.push(name.into());
        self.name_ids.insert(name.into(), id);
        id
    }

    /// Adds the ticket `key` (its id's 128 bits), or replaces what the book held of it.
    pub fn put(&mut self, key: u128, t: &TicketKpi) {
        let f = &t.facts;
        let dims = [
            self.intern(t.region.as_deref()),
            self.intern(t.team.as_deref()),
            self.intern(f.engineer.as_deref()),
            self.intern(t.category.as_deref()),
            self.intern(Some(&t.channel)),
            self.intern(t.tier.as_deref()),
        ];
        let start = u32::try_from(self.work.len()).unwrap_or(u32::MAX);
        for s in &f.work {
            let engineer = self.intern(Some(&s.engineer));
            self.work.push(Work {
                engineer,
                start: s.start,
                end: s.end,
            });
        }
        let count = |keep: fn(&super::Rating) -> bool| {
            u16::try_from(f.ratings.iter().filter(|r| keep(r)).count()).unwrap_or(u16::MAX)
        };
        // Counts past 65,535 on one ticket are not real; they stop there.
        let small = |n: u32| u16::try_from(n).unwrap_or(u16::MAX);
        // Scores are 1–5 and 0–10; anything else stored is clamped into a byte.
        let score = |v: i64| i8::try_from(v.clamp(-128, 127)).unwrap_or(0);
        let entry = Entry {
            created_at: f.created_at,
            first_response: f.first_response_at.unwrap_or(NO),
            first_arrival: f.first_arrival_at.unwrap_or(NO),
            resolved_at: f.resolved_at.unwrap_or(NO),
            closed_at: f.closed.map_or(NO, |c| c.at),
            cancelled_at: f.cancelled_at.unwrap_or(NO),
            due: t.resolution_due.unwrap_or(NO),
            pm_due: t.pm_due.unwrap_or(NO),
            dims,
            assignments: small(f.assignments),
            visits: small(f.visits),
            reopens: small(f.reopens),
            chases: small(f.chases),
            sent: small(f.surveys_sent),
            answered: count(|_| true),
            csat_n: count(|r| r.csat.is_some()),
            csat_good: count(|r| r.csat.is_some_and(|c| c >= 4)),
            nps_n: count(|r| r.nps.is_some()),
            promoters: count(|r| r.nps.is_some_and(|n| n >= 9)),
            detractors: count(|r| r.nps.is_some_and(|n| n <= 6)),
            csat_low: f
                .ratings
                .iter()
                .filter_map(|r| r.csat)
                .filter(|c| *c <= 3)
                .min()
                .map(score),
            nps_low: f
                .ratings
                .iter()
                .filter_map(|r| r.nps)
                .filter(|n| *n <= 6)
                .min()
                .map(score),
            remote: f.remote,
            by_customer: f.closed.is_some_and(|c| c.by_customer),
            work: (start, u32::try_from(f.work.len()).unwrap_or(0)),
        };
        let hot = Hot {
            created_at: entry.created_at,
            resolved_at: entry.resolved_at,
            pm_due: entry.pm_due,
            work_from: f.work.iter().map(|s| s.start).min().unwrap_or(NO),
            work_to: f.work.iter().map(|s| s.end).max().unwrap_or(NO),
        };
        match self.slots.get(&key) {
            Some(slot) => {
                let old = &mut self.entries[*slot as usize];
                self.dead_work += old.work.1 as usize;
                *old = entry;
                self.hot[*slot as usize] = hot;
            }
            None => {
                let slot = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
                self.slots.insert(key, slot);
                self.keys.push(key);
                self.entries.push(entry);
                self.hot.push(hot);
            }
        }
        if self.dead_work > 4096 && self.dead_work * 2 > self.work.len() {
            self.compact_work();
        }
    }

    /// Work spans held, live or not (for tests of their reclaiming).
    #[cfg(test)]
    pub(super) fn spans_held(&self) -> usize {
        self.work.len()
    }

    /// Drops the spans of replaced entries.
    fn compact_work(&mut self) {
        let mut work = Vec::with_capacity(self.work.len() - self.dead_work);
        for e in &mut self.entries {
            let (start, n) = e.work;
            let at = u32::try_from(work.len()).unwrap_or(u32::MAX);
            work.extend_from_slice(&self.work[start as usize..(start + n) as usize]);
            e.work = (at, n);
        }
        self.work = work;
        self.dead_work = 0;
    }

    fn spans(&self, e: &Entry) -> &[Work] {
        let (start, n) = e.work;
        &self.work[start as usize..(start + n) as usize]
    }

    /// The filter as interned ids per dimension (`None`: any). `None` overall when it names
    /// something no ticket has: nothing passes.
    fn wanted(&self, filter: &Filter) -> Option<[Option<u32>; 6]> {
        let id = |want: &Option<String>| -> Option<Option<u32>> {
            match want {
                None => Some(None),
                Some(w) => self.name_ids.get(w.as_str()).map(|id| Some(*id)),
            }
        };
        Some([
            id(&filter.region)?,
            id(&filter.team)?,
            id(&filter.engineer)?,
            id(&filter.category)?,
            id(&filter.channel)?,
            id(&filter.tier)?,
        ])
    }

    /// The KPI rows for the query over the tickets `filter` admits: sorted by group key,
    /// the `None` group last; only groups with tickets appear. `shift` gives one engineer's
    /// on-shift time in ms within `[a, b)`.
    pub fn compute(&self, q: &Query, filter: &Filter, shift: &Calendar) -> Vec<Row> {
        let Some(want) = self.wanted(filter) else {
            return Vec::new();
        };
        let groups = Groups::new(self, q);
        let names = self.names.len();
        let wants = Wants {
            frt: q.metrics.contains(&Metric::Frt),
            oat: q.metrics.contains(&Metric::Oat),
            mttr: q.metrics.contains(&Metric::Mttr),
            work: q.metrics.contains(&Metric::Utilisation),
        };
        // A large book is scanned in parts on several cores; the parts' sums are then added.
        let n = self.entries.len();
        let parts = std::thread::available_parallelism()
            .map_or(1, |p| p.get())
            .min(4)
            .min(n / PARALLEL_FROM + 1)
            .max(1);
        let scan = |from: usize, to: usize| self.scan(from..to, q, &want, &groups, wants);
        let mut tallies = if parts == 1 {
            vec![scan(0, n)]
        } else {
            let size = n.div_ceil(parts);
            std::thread::scope(|s| {
                let running: Vec<_> = (0..parts)
                    .map(|i| s.spawn(move || scan(i * size, ((i + 1) * size).min(n))))
                    .collect();
                running
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        };
        let (mut accs, mut crew) = tallies.pop().unwrap_or_default();
        for (more, their_crew) in tallies {
            for (slot, acc) in more.into_iter().enumerate() {
                if let Some(acc) = acc {
                    match &mut accs[slot] {
                        Some(mine) => mine.add(acc),
                        none => *none = Some(acc),
                    }
                }
            }
            if crew.len() < their_crew.len() {
                crew.resize(their_crew.len(), false);
            }
            for (mine, theirs) in crew.iter_mut().zip(their_crew) {
                *mine |= theirs;
            }
        }
        let whole = (q.from, q.to);
        let ready: Vec<(usize, Acc)> = accs
            .into_iter()
            .enumerate()
            .filter_map(|(slot, acc)| {
                let mut acc = acc?;
                acc.engineers = crew
                    .get(slot * names..((slot + 1) * names).min(crew.len()))
                    .map_or(0, |row| row.iter().filter(|w| **w).count());
                if acc.is_empty() {
                    return None;
                }
                acc.window = groups.window(slot).unwrap_or(whole);
                Some((slot, acc))
            })
            .collect();
        let row = |(slot, mut acc): (usize, Acc)| Row {
            values: acc.values(&q.metrics, &|a, b| shift.between(a, b)),
            group: groups.key(slot).map(str::to_owned),
        };
        // Percentiles of many groups are worked out on several cores too.
        let mut rows: Vec<Row> = if parts > 1 && ready.len() > 1 {
            let size = ready.len().div_ceil(parts);
            let mut chunks: Vec<Vec<(usize, Acc)>> = Vec::new();
            let mut rest = ready.into_iter().peekable();
            while rest.peek().is_some() {
                chunks.push(rest.by_ref().take(size).collect());
            }
            std::thread::scope(|s| {
                let running: Vec<_> = chunks
                    .into_iter()
                    .map(|c| s.spawn(move || c.into_iter().map(row).collect::<Vec<Row>>()))
                    .collect();
                running
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        } else {
            ready.into_iter().map(row).collect()
        };
        rows.sort_by(|a, b| match (&a.group, &b.group) {
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (x, y) => x.cmp(y),
        });
        rows
    }

    /// Adds up entries `range` for the query: each group's sums, and which engineers worked in
    /// which group (slot × name, one flag each).
    fn scan(
        &self,
        range: std::ops::Range<usize>,
        q: &Query,
        want: &[Option<u32>; 6],
        groups: &Groups<'_>,
        wants: Wants,
    ) -> (Vec<Option<Acc>>, Vec<bool>) {
        let names = self.names.len();
        let mut accs: Vec<Option<Acc>> = (0..groups.slots()).map(|_| None).collect();
        let mut crew: Vec<bool> = Vec::new();
        let in_period = |at: i64| at != NO && at >= q.from && at < q.to;
        let hot = &self.hot[range.clone()];
        for (hot, e) in hot.iter().zip(&self.entries[range]) {
            if !hot.touches(q.from, q.to, wants.work) || !admits(want, e) {
                continue;
            }
            if in_period(e.created_at) {
                let slot = groups.slot(e, e.created_at);
                groups.acc(&mut accs, slot).cohort(e, q.to, wants);
            }
            if in_period(e.resolved_at) {
                let slot = groups.slot(e, e.resolved_at);
                groups.acc(&mut accs, slot).resolution(e, wants);
            }
            if in_period(e.pm_due) {
                let slot = groups.slot(e, e.pm_due);
                groups.acc(&mut accs, slot).maintenance(e);
            }
            if !wants.work {
                continue;
            }
            for s in self.spans(e) {
                let (a, b) = (s.start.max(q.from), s.end.min(q.to));
                // A span crossing bucket borders counts in each bucket for its part.
                let mut at = a;
                while at < b {
                    let slot = match q.group_by {
                        Some(GroupBy::Engineer) => s.engineer as usize,
                        _ => groups.slot(e, at),
                    };
                    let end = groups
                        .window(slot)
                        .map_or(b, |(_, wb)| wb.min(b))
                        .max(at + 1);
                    groups.acc(&mut accs, slot).work_ms += end - at;
                    let cell = slot * names + s.engineer as usize;
                    if crew.len() <= cell {
                        crew.resize((slot + 1) * names, false);
                    }
                    crew[cell] = true;
                    at = end;
                }
            }
        }
        (accs, crew)
    }

    /// The tickets behind one KPI figure that pull it down, worst first, as the keys they
    /// were put under with the value to show (see [`super::behind`]); `None` for utilisation.
    pub fn behind(
        &self,
        q: &Query,
        filter: &Filter,
        metric: Metric,
        group: Option<&str>,
    ) -> Option<Vec<(u128, Option<f64>)>> {
        if metric == Metric::Utilisation {
            return None;
        }
        let Some(want) = self.wanted(filter) else {
            return Some(Vec::new());
        };
        let groups = Groups::new(self, q);
        let mut out = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            if !admits(&want, e) {
                continue;
            }
            let at = if metric == Metric::PmCompliance {
                e.pm_due
            } else if metric.by_resolution() {
                e.resolved_at
            } else {
                e.created_at
            };
            if at == NO || at < q.from || at >= q.to {
                continue;
            }
            if groups.key(groups.slot(e, at)) != group {
                continue;
            }
            let secs = |end: i64| (end != NO).then(|| (end - e.created_at) as f64 / 1000.0);
            let hit = match metric {
                Metric::Frt => secs(e.first_response).map(Some),
                Metric::Oat => secs(e.first_arrival).map(Some),
                Metric::Mttr => Some(secs(at)),
                Metric::ClosureRate => (e.closed_at == NO).then_some(None),
                Metric::ConfirmedClosureRate => (!e.by_customer).then_some(None),
                Metric::ReopenRate => (e.reopens > 0).then_some(None),
                Metric::OnTimeRate => {
                    (e.due != NO && at > e.due).then(|| Some((at - e.due) as f64 / 1000.0))
                }
                Metric::Fcr => {
                    (e.remote == Some(true) && (e.assignments > 0 || e.reopens > 0)).then_some(None)
                }
                Metric::Ftfr => {
                    (e.remote == Some(false) && (e.visits != 1 || e.reopens > 0)).then_some(None)
                }
                Metric::TransferRate => (e.assignments > 1).then_some(None),
                Metric::ChaseRate => (e.chases > 0).then_some(Some(f64::from(e.chases))),
                Metric::Csat => e.csat_low.map(|c| Some(f64::from(c))),
                Metric::Nps => e.nps_low.map(|n| Some(f64::from(n))),
                Metric::Backlog => (!e.ended_by(q.to - 1)).then_some(None),
                Metric::PmCompliance => (!e.pm_on_time()).then(|| {
                    (e.resolved_at != NO).then(|| (e.resolved_at - e.pm_due - DAY) as f64 / 1000.0)
                }),
                Metric::Utilisation => None,
            };
            if let Some(value) = hit {
                out.push((self.keys[i], value));
            }
        }
        // The worst first: the largest durations and delays, the lowest scores.
        let low_first = matches!(metric, Metric::Csat | Metric::Nps);
        out.sort_by(|a, b| {
            let (x, y) = (a.1.unwrap_or(0.0), b.1.unwrap_or(0.0));
            if low_first {
                x.total_cmp(&y)
            } else {
                y.total_cmp(&x)
            }
        });
        Some(out)
    }
}

fn admits(want: &[Option<u32>; 6], e: &Entry) -> bool {
    want.iter()
        .zip(e.dims)
        .all(|(w, have)| w.is_none_or(|w| w == have))
}
