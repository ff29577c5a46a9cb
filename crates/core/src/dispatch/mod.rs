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
use flow::{Network, Solver};

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

/// The last tie-breaker, load: an order moves from its engineer to another at the very same
/// place (a shared depot, say) who may take it and would then carry less, while that evens
/// the load out. Travel, orders assigned and their ranks stay exactly as they were.
fn balance(
    mut chosen: Vec<(usize, usize)>,
    engineers: &[Engineer],
    eligible: &[Vec<u32>],
) -> Vec<(usize, usize)> {
    let at = |j: usize| {
        engineers[j]
            .position
            .map(|p| (p.lat.to_bits(), p.lon.to_bits()))
    };
    let mut places: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for (j, _) in engineers.iter().enumerate() {
        if let Some(key) = at(j) {
            places.entry(key).or_default().push(j);
        }
    }
    places.retain(|_, crew| crew.len() > 1);
    if places.is_empty() {
        return chosen;
    }
    let mut taken = vec![0i64; engineers.len()];
    for &(_, j) in &chosen {
        taken[j] += 1;
    }
    let load = |taken: &[i64], j: usize| engineers[j].load + taken[j];
    let mut moved = true;
    while moved {
        moved = false;
        for pick in chosen.iter_mut() {
            let (i, j) = *pick;
            let Some(crew) = at(j).and_then(|key| places.get(&key)) else {
                continue;
            };
            let lighter = crew
                .iter()
                .copied()
                .filter(|&k| taken[k] < engineers[k].free() && eligible[i].contains(&(k as u32)))
                .min_by_key(|&k| (load(&taken, k), k));
            if let Some(k) = lighter {
                if load(&taken, k) + 1 < load(&taken, j) {
                    taken[j] -= 1;
                    taken[k] += 1;
                    *pick = (i, k);
                    moved = true;
                }
            }
        }
    }
    chosen
}

/// `work` over `0..n`, in a few parts on the machine's cores for a large `n`; the parts'
/// results in order.
fn in_parts<T: Send>(n: usize, work: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync) -> Vec<T> {
    let parts = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .min(8)
        .min(n / 2048 + 1);
    if parts <= 1 {
        return work(0..n);
    }
    let size = n.div_ceil(parts);
    let work = &work;
    std::thread::scope(|s| {
        let running: Vec<_> = (0..parts)
            .map(|p| s.spawn(move || work(p * size..((p + 1) * size).min(n))))
            .collect();
        running
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Why nobody may take `o`.
fn no_one(o: &Order, engineers: &[Engineer], opts: &Options) -> Unassigned {
    let mut counts: HashMap<Exclusion, usize> = HashMap::new();
    for e in engineers {
        let why = exclusion(o, e, opts).unwrap_or(Exclusion::Full);
        *counts.entry(why).or_default() += 1;
    }
    let mut excluded: Vec<(Exclusion, usize)> = counts.into_iter().collect();
    excluded.sort();
    Unassigned::NoEligibleEngineer { excluded }
}

/// The `k` engineers of `list` nearest to `at`.
fn nearest(at: Option<Point>, list: &[u32], engineers: &[Engineer], k: usize) -> Vec<u32> {
    let Some(at) = at else { return Vec::new() };
    if list.len() <= k {
        return list.to_vec();
    }
    let mut ranked: Vec<(f64, u32)> = list
        .iter()
        .filter_map(|&j| {
            let q = engineers[j as usize].position?;
            Some((rank_distance(at, q), j))
        })
        .collect();
    ranked.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
    ranked.truncate(k);
    ranked.into_iter().map(|(_, j)| j).collect()
}

/// A bound in km on any one trip: the positions' bounding box, one meridian side plus
/// its widest parallel (any two points in it are joined by such a path).
fn span_km(orders: &[Order], engineers: &[Engineer]) -> f64 {
    let points = orders
        .iter()
        .filter_map(|o| o.position)
        .chain(engineers.iter().filter_map(|e| e.position));
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
    for p in points {
        lat0 = lat0.min(p.lat);
        lat1 = lat1.max(p.lat);
        lon0 = lon0.min(p.lon);
        lon1 = lon1.max(p.lon);
    }
    if lat0 > lat1 {
        return 0.0;
    }
    let nearest_equator = if lat0 <= 0.0 && lat1 >= 0.0 {
        0.0
    } else {
        lat0.abs().min(lat1.abs())
    };
    let r = EARTH_RADIUS_KM;
    let meridian = (lat1 - lat0).to_radians() * r;
    let parallel = (lon1 - lon0).to_radians() * r * nearest_equator.to_radians().cos();
    meridian + parallel
}

/// A heaviest set of orders that can all be assigned at once, and one way to assign it: the
/// greedy of a matroid (the sets of orders assignable together), orders taken by rank, each
/// kept if an augmenting path finds it a slot. It is tried first on its nearest candidates
/// (`near`), then over every eligible engineer (`adj`).
fn heaviest(near: &[Vec<u32>], adj: &[Vec<u32>], free: &[i64], ranks: &[i64]) -> Vec<Option<u32>> {
    let n = adj.len();
    let mut of_order: Vec<Option<u32>> = vec![None; n];
    let mut holders: Vec<Vec<u32>> = vec![Vec::new(); free.len()];
    let mut by_rank: Vec<usize> = (0..n).filter(|&i| !adj[i].is_empty()).collect();
    by_rank.sort_by_key(|&i| std::cmp::Reverse(ranks[i]));
    let has_room =
        |holders: &[Vec<u32>], j: u32| (holders[j as usize].len() as i64) < free[j as usize];
    // Engineers from which no free slot can be reached any more: a search that fails leaves
    // every engineer it saw full, with holders whose engineers it saw too, and taking orders
    // in later never opens that set again.
    let mut dead = vec![false; free.len()];
    let mut seen_eng = vec![u32::MAX; free.len()];
    let mut from_order: Vec<(u32, u32)> = vec![(u32::MAX, u32::MAX); n];
    let mut stamp = 0u32;
    let mut queue = std::collections::VecDeque::new();
    let slots: i64 = free.iter().sum();
    let mut matched = 0i64;
    for root in by_rank {
        if matched >= slots {
            break; // every slot is taken: no path can end anywhere
        }
        // Most orders find a free slot directly, nearest candidates first.
        if let Some(&j) = near[root]
            .iter()
            .chain(&adj[root])
            .find(|&&j| has_room(&holders, j))
        {
            of_order[root] = Some(j);
            holders[j as usize].push(root as u32);
            matched += 1;
            continue;
        }
        stamp += 1;
        queue.clear();
        queue.push_back(root as u32);
        from_order[root] = (stamp, u32::MAX);
        let mut found = None;
        'search: while let Some(i) = queue.pop_front() {
            for &j in &adj[i as usize] {
                if dead[j as usize] || seen_eng[j as usize] == stamp {
                    continue;
                }
                seen_eng[j as usize] = stamp;
                if has_room(&holders, j) {
                    found = Some((i, j));
                    break 'search;
                }
                for &h in &holders[j as usize] {
                    // `h` may move elsewhere and leave `j`'s slot to `i`.
                    if from_order[h as usize].0 != stamp {
                        from_order[h as usize] = (stamp, i);
                        queue.push_back(h);
                    }
                }
            }
        }
        let Some((mut i, mut j)) = found else {
            for (e, s) in seen_eng.iter().enumerate() {
                if *s == stamp {
                    dead[e] = true;
                }
            }
            continue;
        };
        matched += 1;
        // Walk back: each order on the path takes the engineer of the step after it.
        loop {
            let old = of_order[i as usize];
            if let Some(o) = old {
                let hs = &mut holders[o as usize];
                if let Some(pos) = hs.iter().position(|&h| h == i) {
                    hs.swap_remove(pos);
                }
            }
            of_order[i as usize] = Some(j);
            holders[j as usize].push(i);
            if i as usize == root {
                break;
            }
            let prev = from_order[i as usize].1;
            j = old.unwrap_or(j);
            i = prev;
        }
    }
    of_order
}

/// Arc list of one flow solve: (order, engineer, arc index).
type PairArcs = Vec<(usize, usize, usize)>;

/// The flow network over the candidate pairs, its supplies, and its (order, engineer, arc)
/// triples. `keep` holds, for each rank, (orders that can be served, orders to assign). Nodes:
/// order `i` is `1 + i`, engineer `j` is `1 + n + j`, the sink `n + m + 1`, then one drop node
/// per rank that leaves orders out (node 0 is not used).
fn network(
    orders: &[Order],
    engineers: &[Engineer],
    cand: &[Vec<u32>],
    free: &[i64],
    ranks: &[i64],
    keep: &HashMap<i64, (i64, i64)>,
    unit: Units,
) -> (Network, Vec<i64>, PairArcs) {
    // Every order that can be served brings one unit; it flows to an engineer, or — when not
    // all orders of its rank are to be assigned — to its rank's drop node, which takes exactly
    // the number of that rank left out. Travel is the only cost.
    let n = orders.len();
    let m = engineers.len();
    let sink = n + m + 1;
    let mut drop_node: HashMap<i64, usize> = HashMap::new();
    let mut dropped: Vec<(usize, i64)> = Vec::new();
    let mut ranked: Vec<(&i64, &(i64, i64))> = keep.iter().collect();
    ranked.sort();
    for (&rank, &(served, kept)) in ranked {
        if served > kept {
            let node = n + m + 2 + dropped.len();
            drop_node.insert(rank, node);
            dropped.push((node, served - kept));
        }
    }
    let nodes = n + m + 2 + dropped.len();
    let mut net = Network::new(nodes);
    let mut supply = vec![0; nodes];
    let mut arcs = Vec::new();
    let mut served = 0;
    for (i, list) in cand.iter().enumerate() {
        let Some(p) = orders[i].position else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        served += 1;
        supply[1 + i] = 1;
        for &j in list {
            let Some(q) = engineers[j as usize].position else {
                continue;
            };
            let a = net.arc(1 + i, 1 + n + j as usize, 1, unit.between(p, q));
            arcs.push((i, j as usize, a));
        }
        if let Some(&node) = drop_node.get(&ranks[i]) {
            net.arc(1 + i, node, 1, 0);
        }
    }
    for (node, count) in dropped {
        net.arc(node, sink, i32::try_from(count).unwrap_or(i32::MAX), 0);
    }
    for (j, &f) in free.iter().enumerate() {
        if f > 0 {
            net.arc(1 + n + j, sink, i32::try_from(f).unwrap_or(i32::MAX), 0);
        }
    }
    supply[sink] = -served;
    // The candidates hold the chosen assignment, so every order can be routed.
    (net, supply, arcs)
}

/// One candidate engineer for an order, with the terms the choice weighs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// Index into the engineers.
    pub engineer: usize,
    /// Great-circle km to the site.
    pub km: f64,
    /// Estimated road km (× the road factor).
    pub road_km: f64,
    /// Open orders now.
    pub load: i64,
    /// Orders they can still take.
    pub free: i64,
    /// Their level in the order's skill (0 when the order needs none).
    pub level: u8,
}

/// Why one order would go where it goes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Explanation {
    /// The eligible engineers with free capacity, nearest first (then least loaded); the
    /// first is the best engineer now.
    pub candidates: Vec<Candidate>,
    /// The others, with the reason.
    pub excluded: Vec<(usize, Exclusion)>,
    /// Minutes to SLA breach.
    pub sla_slack_minutes: Option<i64>,
}

impl Explanation {
    /// The best three.
    pub fn top(&self) -> &[Candidate] {
        &self.candidates[..self.candidates.len().min(3)]
    }
}

/// The candidates for one order, best first, and why the others are out.
pub fn explain(o: &Order, engineers: &[Engineer], opts: &Options) -> Explanation {
    let mut out = Explanation {
        sla_slack_minutes: o.sla_slack_minutes,
        ..Explanation::default()
    };
    for (j, e) in engineers.iter().enumerate() {
        let why = exclusion(o, e, opts).or((e.free() == 0).then_some(Exclusion::Full));
        match (why, o.position, e.position) {
            (None, Some(p), Some(q)) => {
                let km = haversine_km(p.lat, p.lon, q.lat, q.lon);
                out.candidates.push(Candidate {
                    engineer: j,
                    km,
                    road_km: km * opts.road_factor,
                    load: e.load,
                    free: e.free(),
                    level: o
                        .skill
                        .as_ref()
                        .and_then(|s| e.skills.iter().find(|x| &x.name == s))
                        .map_or(0, |s| s.level),
                });
            }
            (Some(why), _, _) => out.excluded.push((j, why)),
            (None, _, _) => out.excluded.push((j, Exclusion::NoPosition)),
        }
    }
    out.candidates
        .sort_by(|a, b| a.km.total_cmp(&b.km).then(a.load.cmp(&b.load)));
    out
}

#[cfg(test)]
mod tests;
