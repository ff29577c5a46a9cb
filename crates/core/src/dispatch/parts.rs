//! The batch plan's building blocks: the orders to assign (a heaviest basis of the
//! skill-and-capacity matroid, by rank), each order's nearest eligible engineers, the flow
//! network over them, and the final balance between engineers at one place.

use crate::geo::EARTH_RADIUS_KM;
use flow::Network;
use std::collections::HashMap;

use super::*;

/// The last tie-breaker, load: an order moves from its engineer to another at the very same
/// place (a shared depot, say) who may take it and would then carry less, while that evens
/// the load out. Travel, orders assigned and their ranks stay exactly as they were.
pub(crate) fn balance(
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
pub(crate) fn in_parts<T: Send>(
    n: usize,
    work: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync,
) -> Vec<T> {
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
pub(crate) fn no_one(o: &Order, engineers: &[Engineer], opts: &Options) -> Unassigned {
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
pub(crate) fn nearest(
    at: Option<Point>,
    list: &[u32],
    engineers: &[Engineer],
    k: usize,
) -> Vec<u32> {
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
pub(crate) fn span_km(orders: &[Order], engineers: &[Engineer]) -> f64 {
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
pub(crate) fn heaviest(
    near: &[Vec<u32>],
    adj: &[Vec<u32>],
    free: &[i64],
    ranks: &[i64],
) -> Vec<Option<u32>> {
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
pub(crate) type PairArcs = Vec<(usize, usize, usize)>;

/// The flow network over the candidate pairs, its supplies, and its (order, engineer, arc)
/// triples. `keep` holds, for each rank, (orders that can be served, orders to assign). Nodes:
/// order `i` is `1 + i`, engineer `j` is `1 + n + j`, the sink `n + m + 1`, then one drop node
/// per rank that leaves orders out (node 0 is not used).
pub(crate) fn network(
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
