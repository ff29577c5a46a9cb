//! The KPI book: every ticket of a tenant in a compact, column-friendly form, so that a year
//! of a million tickets is grouped and counted in tens of milliseconds without going back to
//! the event log. A ticket enters (or is replaced) with its folded [`Facts`] and attributes;
//! the figures are those of the reference definition, because there is only one: [`compute`]
//! and [`behind`] in this module's parent build a book of their tickets and ask it.
//!
//! Strings (ids of regions, teams, engineers; category, channel and tier codes) are interned
//! once; a ticket is about 130 bytes plus its work spans.

use std::collections::{BTreeMap, HashMap};

use super::Durations;
use super::{time_bucket, Filter, GroupBy, KpiValue, Metric, Query, Row, TicketKpi};
use crate::sla::calendar::Calendar;

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

/// How a query cuts tickets into rows: by a dimension (a slot per interned name), by time
/// (a slot per bucket, found from the local day) or not at all; the last slot holds the
/// tickets without a key.
struct Groups<'a> {
    book: &'a Book,
    dim: Option<usize>,
    /// For a time grouping: the first local day of the period, each day's bucket, and each
    /// bucket's key and its part of the period.
    first_day: i64,
    offset_ms: i64,
    day_bucket: Vec<u32>,
    buckets: Vec<(String, (i64, i64))>,
    time: bool,
}

impl<'a> Groups<'a> {
    fn new(book: &'a Book, q: &Query) -> Groups<'a> {
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
    fn slots(&self) -> usize {
        if self.time {
            self.buckets.len() + 1
        } else if self.dim.is_some() {
            self.book.names.len() + 1
        } else {
            1
        }
    }

    fn none(&self) -> usize {
        self.slots() - 1
    }

    /// The slot of a ticket for an anchor time inside the period.
    fn slot(&self, e: &Entry, at: i64) -> usize {
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

    fn acc<'b>(&self, accs: &'b mut [Option<Acc>], slot: usize) -> &'b mut Acc {
        accs[slot].get_or_insert_with(Acc::default)
    }

    /// A time bucket's part of the period.
    fn window(&self, slot: usize) -> Option<(i64, i64)> {
        self.buckets.get(slot).map(|b| b.1).filter(|_| self.time)
    }

    fn key(&self, slot: usize) -> Option<&str> {
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
struct Wants {
    frt: bool,
    oat: bool,
    mttr: bool,
    /// Utilisation: engineers' working time.
    work: bool,
}

/// What one group adds up.
#[derive(Default)]
struct Acc {
    frt: Vec<i64>,
    oat: Vec<i64>,
    mttr: Vec<i64>,
    created: u64,
    closed: u64,
    confirmed: u64,
    backlog: u64,
    assigned: u64,
    transferred: u64,
    chased: u64,
    resolved: u64,
    reopened: u64,
    on_time: u64,
    with_due: u64,
    remote: u64,
    first_contact: u64,
    on_site: u64,
    first_time: u64,
    sent: u64,
    answered: u64,
    csat_n: u64,
    csat_good: u64,
    nps_n: u64,
    promoters: u64,
    detractors: u64,
    work_ms: i64,
    pm_due: u64,
    pm_on_time: u64,
    /// Engineers with working time in the group.
    engineers: usize,
    /// The group's part of the period (a time bucket's, or the whole period).
    window: (i64, i64),
}

impl Acc {
    /// A ticket created in the period (`to`: the period's end).
    fn cohort(&mut self, e: &Entry, to: i64, wants: Wants) {
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
    fn resolution(&mut self, e: &Entry, wants: Wants) {
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
    fn add(&mut self, o: Acc) {
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
    fn maintenance(&mut self, e: &Entry) {
        self.pm_due += 1;
        self.pm_on_time += u64::from(e.pm_on_time());
    }

    fn values(
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

    fn is_empty(&self) -> bool {
        self.created == 0 && self.resolved == 0 && self.engineers == 0 && self.pm_due == 0
    }
}

/// Mean and nearest-rank p50 and p90 (p50 of 1, 2, 3, 4 is 2), in seconds.
fn durations(ms: &mut [i64]) -> KpiValue {
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
fn nth(values: &mut [i64], ranks: &[usize]) -> Vec<i64> {
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
