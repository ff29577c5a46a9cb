//! Dispatch (智能派单): which engineer takes which open order.
//!
//! The hard rules come first — skill and level, free capacity, on duty and in shift, the
//! region unless cross-region dispatch is allowed, a known position. Among the assignments
//! they allow, [`plan`] finds one that is optimal for the lexicographic objective:
//!
//! 1. as many orders assigned as possible;
//! 2. then the largest priority weight Σ(5 − priority) (a P1 counts 4, a P4 counts 1), with
//!    the time left to SLA breach as the next tie-breaker;
//! 3. then the least travel, great-circle from each engineer's position to the site.
//!
//! How: the orders to assign are chosen first, as a heaviest basis of a matroid — the sets of
//! orders that can be assigned together — by the greedy: orders by rank (priority, then
//! urgency), each kept when an augmenting path finds it a slot. Every heaviest basis holds the
//! same number of orders of each rank, so the distance step only has to keep those numbers.
//! Then a minimum-cost flow, costs in decimetres, routes that many orders of each rank (any of
//! them) to engineers, over a pruned graph: each order's nearest eligible engineers plus the
//! pairs of the chosen assignment. The flow's node prices then prove the answer optimal for
//! the whole graph, pair by pair; pairs that break the proof are added and the flow solved
//! again, so the answer is exact, not a heuristic.
//!
//! [`explain`] tells, for one order, the best candidates with their terms (distance, load,
//! skill level, SLA slack) and why the others are out — the dispatcher's "why this one".

pub mod auto;
pub mod flow;
pub mod profile;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::geo::{haversine_km, EARTH_RADIUS_KM};
use crate::validate::FieldError;
use flow::Solver;

mod explain;
mod parts;

pub use explain::*;
use parts::*;

/// A point in degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// A skill an engineer holds, at a level (1 = basic).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    /// Skill code, e.g. `hvac`.
    pub name: String,
    /// Level, 1 and up.
    pub level: u8,
}

/// An engineer as dispatch sees them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Engineer {
    /// Id.
    pub id: String,
    /// Last known position.
    pub position: Option<Point>,
    /// Skills held.
    pub skills: Vec<Skill>,
    /// Most open orders at once.
    pub capacity: i64,
    /// Open orders now.
    pub load: i64,
    /// On duty.
    pub on_duty: bool,
    /// Within a working shift now.
    pub in_shift: bool,
    /// Regions served (empty: every region).
    pub regions: Vec<String>,
}

impl Engineer {
    /// Orders they can still take.
    pub fn free(&self) -> i64 {
        (self.capacity - self.load).max(0)
    }
}

/// An open order as dispatch sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Id.
    pub id: String,
    /// The site's position.
    pub position: Option<Point>,
    /// The skill it needs (none: anyone).
    pub skill: Option<String>,
    /// The lowest level of that skill that will do.
    pub min_level: u8,
    /// Priority 1 (most urgent) to 4.
    pub priority: i64,
    /// Its region.
    pub region: Option<String>,
    /// Minutes until its SLA breaks (negative: broken), if it is under one.
    pub sla_slack_minutes: Option<i64>,
    /// Engineers who had it already and declined or let it time out: not again.
    #[serde(default)]
    pub tried: Vec<String>,
}

/// Dispatch settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Engineers may take orders outside their regions.
    pub cross_region: bool,
    /// Road distance ÷ great-circle distance, for the estimates shown (the choice does not
    /// depend on it).
    pub road_factor: f64,
    /// Nearest eligible engineers per order in the first graph (more are added when the
    /// optimality proof asks for them).
    pub candidates: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cross_region: false,
            road_factor: 1.3,
            candidates: 16,
        }
    }
}

/// Why an engineer cannot take an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// Lacks the skill.
    NoSkill,
    /// Holds the skill below the level needed.
    LevelTooLow,
    /// Off duty.
    OffDuty,
    /// Outside a working shift.
    OutOfShift,
    /// Serves other regions.
    OtherRegion,
    /// Position unknown.
    NoPosition,
    /// No free capacity.
    Full,
    /// Had the order already (declined it, or let it time out).
    TriedAlready,
}

/// Why an order stays unassigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Unassigned {
    /// The site has no position.
    NoPosition,
    /// Nobody may take it; how many engineers were out for each reason.
    NoEligibleEngineer {
        /// Engineers excluded, by reason.
        excluded: Vec<(Exclusion, usize)>,
    },
    /// Engineers could take it, but their capacity went to more urgent or nearer orders.
    CapacityTaken,
}

/// One assignment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assignment {
    /// Index into the orders.
    pub order: usize,
    /// Index into the engineers.
    pub engineer: usize,
    /// Great-circle kilometres.
    pub km: f64,
}

/// What [`plan`] proposes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Plan {
    /// Assignments, by order.
    pub assignments: Vec<Assignment>,
    /// Orders left unassigned, with the reason.
    pub unassigned: Vec<(usize, Unassigned)>,
    /// Orders assigned.
    pub assigned: usize,
    /// Σ(5 − priority) over the assigned orders.
    pub priority_weight: i64,
    /// Σ great-circle km.
    pub travel_km: f64,
    /// Flow solves it took to prove the answer optimal.
    pub rounds: usize,
}

impl Exclusion {
    /// The code name, as the API spells it (`no_skill`, `off_duty`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Exclusion::NoSkill => "no_skill",
            Exclusion::LevelTooLow => "level_too_low",
            Exclusion::OffDuty => "off_duty",
            Exclusion::OutOfShift => "out_of_shift",
            Exclusion::OtherRegion => "other_region",
            Exclusion::NoPosition => "no_position",
            Exclusion::Full => "full",
            Exclusion::TriedAlready => "tried_already",
        }
    }

    /// A person may still choose an engineer left out for this reason, saying why: they can
    /// call someone off duty or out of shift, without a known position, from another region,
    /// at capacity, or who had the order before. Nobody gives an order to someone without the
    /// skill it needs.
    pub fn overridable(self) -> bool {
        !matches!(self, Exclusion::NoSkill | Exclusion::LevelTooLow)
    }
}

/// Checks a choice made by hand: an engineer the rules leave out only for a reason a person
/// may override, and then with a note saying why.
pub fn hand_choice(excluded: Option<Exclusion>, note: &str) -> Result<(), FieldError> {
    match excluded {
        None => Ok(()),
        Some(why) if !why.overridable() => Err(FieldError {
            field: "engineer_id",
            reason: "error.engineer_lacks_skill",
        }),
        Some(_) if note.trim().is_empty() => Err(FieldError {
            field: "note",
            reason: "error.override_needs_note",
        }),
        Some(_) => Ok(()),
    }
}

/// Whether `e` may take `o` by the hard rules (capacity aside: it is shared by all orders).
pub fn exclusion(o: &Order, e: &Engineer, opts: &Options) -> Option<Exclusion> {
    if o.tried.contains(&e.id) {
        return Some(Exclusion::TriedAlready);
    }
    if let Some(skill) = &o.skill {
        match e.skills.iter().find(|s| &s.name == skill) {
            None => return Some(Exclusion::NoSkill),
            Some(s) if s.level < o.min_level => return Some(Exclusion::LevelTooLow),
            Some(_) => {}
        }
    }
    if !e.on_duty {
        return Some(Exclusion::OffDuty);
    }
    if !e.in_shift {
        return Some(Exclusion::OutOfShift);
    }
    if !opts.cross_region {
        if let Some(r) = &o.region {
            if !e.regions.is_empty() && !e.regions.contains(r) {
                return Some(Exclusion::OtherRegion);
            }
        }
    }
    if e.position.is_none() {
        return Some(Exclusion::NoPosition);
    }
    None
}

/// The order's rank before distance: its priority, then its urgency. A P1 is 400, a P4 100;
/// up to 99 more for urgency, one for each hour less to SLA breach, so that among equal
/// priorities the order closest to breaking its promise ranks first.
///
/// [`plan`] compares plans rank by rank, never by adding ranks up: it first gives the largest
/// priority weight Σ(5 − priority), and only among plans with that weight the most urgency.
pub fn weight(o: &Order) -> i64 {
    steps(o) * 100 + urgency(o)
}

/// 5 − priority: a P1 counts 4, a P4 counts 1.
pub fn steps(o: &Order) -> i64 {
    5 - o.priority.clamp(1, 4)
}

/// 0 (no SLA, or 99 hours and more to breach) to 99 (breaking within the hour, or broken).
pub fn urgency(o: &Order) -> i64 {
    o.sla_slack_minutes
        .map_or(0, |m| 99 - (m.max(0) / 60).min(99))
}

/// Broken pairs of one order added per proof round.
const ADD_PER_ROUND: usize = 4;

/// The flow's unit of distance: decimetres by default, so that rounding moves a trip by 5 cm
/// at most and a plan of 10,000 trips by a few metres at most (finer units cost the flow
/// more scaling rounds); coarser when the area is so large that the costs would not fit the
/// flow's integers (see [`plan`]).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Units {
    per_km: f64,
}

impl Units {
    /// Decimetres.
    const DM: Units = Units { per_km: 10_000.0 };

    /// Great-circle distance, rounded.
    fn between(self, a: Point, b: Point) -> i64 {
        (haversine_km(a.lat, a.lon, b.lat, b.lon) * self.per_km).round() as i64
    }

    /// A lower bound on the distance, cheap enough to rule most pairs out.
    fn at_least(self, a: Point, b: Point) -> i64 {
        // Along a meridian the distance is never more than the great circle.
        ((a.lat - b.lat).abs().to_radians() * EARTH_RADIUS_KM * self.per_km - 1.0) as i64
    }
}

/// An approximate squared distance, to rank engineers by nearness.
fn rank_distance(a: Point, b: Point) -> f64 {
    let x = (a.lon - b.lon) * ((a.lat + b.lat) / 2.0).to_radians().cos();
    let y = a.lat - b.lat;
    x * x + y * y
}

/// The optimal plan for `orders` and `engineers` under `opts` (see the module's notes).
pub fn plan(orders: &[Order], engineers: &[Engineer], opts: &Options) -> Plan {
    // Eligible engineers of each order, by the hard rules; orders with none get their reason.
    let mut by_skill: HashMap<&str, Vec<u32>> = HashMap::new();
    for (j, e) in engineers.iter().enumerate() {
        for s in &e.skills {
            by_skill.entry(s.name.as_str()).or_default().push(j as u32);
        }
    }
    let everyone: Vec<u32> = (0..engineers.len() as u32).collect();
    let found: Vec<Result<Vec<u32>, Unassigned>> = in_parts(orders.len(), |range| {
        range
            .map(|i| {
                let o = &orders[i];
                if o.position.is_none() {
                    return Err(Unassigned::NoPosition);
                }
                let pool = match &o.skill {
                    Some(s) => by_skill.get(s.as_str()).map_or(&[][..], Vec::as_slice),
                    None => everyone.as_slice(),
                };
                let list: Vec<u32> = pool
                    .iter()
                    .copied()
                    .filter(|&j| {
                        let e = &engineers[j as usize];
                        e.free() > 0 && exclusion(o, e, opts).is_none()
                    })
                    .collect();
                if list.is_empty() {
                    return Err(no_one(o, engineers, opts));
                }
                Ok(list)
            })
            .collect()
    });
    let mut eligible: Vec<Vec<u32>> = vec![Vec::new(); orders.len()];
    let mut unassigned = Vec::new();
    for (i, f) in found.into_iter().enumerate() {
        match f {
            Ok(list) => eligible[i] = list,
            Err(why) => unassigned.push((i, why)),
        }
    }

    // The nearest few of each order's eligible engineers.
    let k = opts.candidates.max(1);
    let mut cand: Vec<Vec<u32>> = in_parts(orders.len(), |range| {
        range
            .map(|i| nearest(orders[i].position, &eligible[i], engineers, k))
            .collect()
    });

    // Which orders to assign: as many as can be, and of those the heaviest by rank. Any two
    // such sets hold the same number of orders of each rank (they are the heaviest bases of
    // a matroid), so the flow below keeps exactly those numbers per rank and is free to pick
    // which orders of a rank, and which engineers, for the least travel.
    let free: Vec<i64> = engineers.iter().map(Engineer::free).collect();
    let ranks: Vec<i64> = orders.iter().map(weight).collect();
    let matched = heaviest(&cand, &eligible, &free, &ranks);
    for (i, m) in matched.iter().enumerate() {
        if let Some(j) = m {
            if !cand[i].contains(j) {
                cand[i].push(*j);
            }
        }
    }
    let mut keep: HashMap<i64, (i64, i64)> = HashMap::new();
    for (i, m) in matched.iter().enumerate() {
        if !cand[i].is_empty() {
            let k = keep.entry(ranks[i]).or_default();
            k.0 += 1;
            k.1 += i64::from(m.is_some());
        }
    }

    // Costs times (nodes + 1) must stay well inside i64 while prices move: decimetres for a
    // city, coarser units for a country.
    let span = span_km(orders, engineers);
    let nodes = (orders.len() + engineers.len() + keep.len() + 3) as f64;
    let mut unit = Units::DM;
    while span * unit.per_km * nodes * 4.0 > 5e17 && unit.per_km > 1.0 {
        unit.per_km /= 10.0;
    }

    let (n, m) = (orders.len(), engineers.len());
    let (mut net, supply, mut arcs) = network(orders, engineers, &cand, &free, &ranks, &keep, unit);
    let mut previous: Option<Solver> = None;
    let mut rounds = 0;
    let chosen = loop {
        rounds += 1;
        let attempt = match &previous {
            Some(p) => p.resolve(&net, &supply),
            None => Solver::solve(&net, &supply),
        };
        let Ok(mut solved) = attempt else {
            // Cannot happen (the candidates hold a maximum assignment); assign nothing
            // rather than something unproven.
            break Vec::new();
        };
        // Tighten the prices for the proof: engineers as unattractive, orders as settled, as
        // the flow allows.
        solved.lower_prices(1 + n..1 + n + m);
        solved.raise_prices(1..1 + n);
        // The proof: every eligible pair left out must not be worth adding at these prices.
        // Only the worst few of an order's broken pairs are added at a time (one new route to
        // spare capacity often mends many others), and the flow is solved again from where
        // it stood.
        let broken = in_parts(orders.len(), |range| {
            let mut found: Vec<(usize, Vec<(i64, u32)>)> = Vec::new();
            for i in range {
                let Some(p) = orders[i].position else {
                    continue;
                };
                let node = 1 + i;
                let mut worst: Vec<(i64, u32)> = Vec::new();
                for &j in &eligible[i] {
                    if cand[i].contains(&j) {
                        continue;
                    }
                    let Some(q) = engineers[j as usize].position else {
                        continue;
                    };
                    let eng = 1 + n + j as usize;
                    if solved.reduced_cost(node, eng, unit.at_least(p, q)) >= -1 {
                        continue;
                    }
                    let reduced = solved.reduced_cost(node, eng, unit.between(p, q));
                    if reduced < -1 {
                        worst.push((reduced, j));
                    }
                }
                if worst.len() > ADD_PER_ROUND {
                    worst.select_nth_unstable(ADD_PER_ROUND - 1);
                    worst.truncate(ADD_PER_ROUND);
                }
                if !worst.is_empty() {
                    found.push((i, worst));
                }
            }
            found
        });
        let mut added = 0;
        for (i, worst) in broken {
            let Some(p) = orders[i].position else {
                continue;
            };
            added += worst.len();
            for (_, j) in worst {
                cand[i].push(j);
                if let Some(q) = engineers[j as usize].position {
                    let a = net.arc(1 + i, 1 + n + j as usize, 1, unit.between(p, q));
                    arcs.push((i, j as usize, a));
                }
            }
        }
        if added == 0 {
            break arcs
                .iter()
                .filter(|&&(_, _, a)| solved.flow(a) > 0)
                .map(|&(i, j, _)| (i, j))
                .collect::<Vec<_>>();
        }
        previous = Some(solved);
    };

    let chosen = balance(chosen, engineers, &eligible);
    let mut out = Plan {
        rounds,
        ..Plan::default()
    };
    let mut taken = vec![false; orders.len()];
    for (i, j) in chosen {
        let (Some(p), Some(q)) = (orders[i].position, engineers[j].position) else {
            continue;
        };
        let km = haversine_km(p.lat, p.lon, q.lat, q.lon);
        taken[i] = true;
        out.assigned += 1;
        out.priority_weight += steps(&orders[i]);
        out.travel_km += km;
        out.assignments.push(Assignment {
            order: i,
            engineer: j,
            km,
        });
    }
    for (i, list) in eligible.iter().enumerate() {
        if !list.is_empty() && !taken[i] {
            unassigned.push((i, Unassigned::CapacityTaken));
        }
    }
    out.assignments.sort_by_key(|a| a.order);
    unassigned.sort_by_key(|(i, _)| *i);
    out.unassigned = unassigned;
    out
}

#[cfg(test)]
mod tests;
