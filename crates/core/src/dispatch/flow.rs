//! Minimum-cost flow by cost scaling with push–relabel (Goldberg and Tarjan), the engine
//! behind batch dispatch. Costs are integers; they are multiplied by the number of nodes plus
//! one so that ε-optimality with ε = 1 at the end is exact optimality. The prices (node
//! potentials) it ends with prove it: every residual arc's reduced cost is at least −1 in
//! scaled units, which is what [`Solver::reduced_cost`] lets a caller check for arcs it left
//! out of the graph.

use std::collections::VecDeque;

/// A flow network under construction.
#[derive(Clone, Debug, Default)]
pub struct Network {
    nodes: usize,
    arcs: Vec<(u32, u32, i32, i64)>,
}

impl Network {
    /// A network of `nodes` nodes and no arcs.
    pub fn new(nodes: usize) -> Network {
        Network {
            nodes,
            arcs: Vec::new(),
        }
    }

    /// Adds an arc; answers its index (for [`Solver::flow`]).
    pub fn arc(&mut self, from: usize, to: usize, capacity: i32, cost: i64) -> usize {
        self.arcs.push((from as u32, to as u32, capacity, cost));
        self.arcs.len() - 1
    }

    /// The number of nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }
}

/// Why no flow was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowError {
    /// The supplies cannot all be routed to the demands.
    Infeasible,
}

/// A solved network: flows and prices.
#[derive(Clone, Debug)]
pub struct Solver {
    /// Where each node's edges begin in `edges` (and, for node `u`, end at `start[u + 1]`).
    start: Vec<u32>,
    /// Every arc and its reverse, grouped by the node they leave.
    edges: Vec<Edge>,
    /// Position of each added arc in the adjacency arrays.
    slot: Vec<u32>,
    /// Original capacity of each added arc.
    capacity: Vec<i32>,
    price: Vec<i64>,
    scale: i64,
}

/// One direction of an arc in the residual network: together, so that a node's edges are
/// read from one place.
#[derive(Clone, Copy, Debug, Default)]
struct Edge {
    to: u32,
    /// Position of the opposite direction.
    rev: u32,
    /// Residual capacity.
    cap: i32,
    /// Cost, scaled.
    cost: i64,
}

/// How much ε shrinks per refinement.
const ALPHA: i64 = 5;

impl Solver {
    /// Routes every node's `supply` (positive: supply, negative: demand; they must sum to
    /// zero) at least cost.
    pub fn solve(net: &Network, supply: &[i64]) -> Result<Solver, FlowError> {
        let s = Solver::build(net);
        let eps = s
            .edges
            .iter()
            .map(|e| e.cost.abs())
            .max()
            .unwrap_or(0)
            .max(1);
        s.scale_down(supply.to_vec(), eps)
    }

    /// Solves `net` again after arcs were added to the end of the network this solver was
    /// made from: the old flow and prices are kept, so scaling only has to mend what the new
    /// arcs change.
    pub fn resolve(&self, net: &Network, supply: &[i64]) -> Result<Solver, FlowError> {
        let mut s = Solver::build(net);
        if s.price.len() != self.price.len() || s.scale != self.scale {
            return Solver::solve(net, supply);
        }
        let mut excess = supply.to_vec();
        for (k, &(u, v, _, _)) in net.arcs.iter().enumerate().take(self.capacity.len()) {
            let f = self.flow(k);
            if f > 0 {
                let a = s.slot[k] as usize;
                s.edges[a].cap -= f;
                let b = s.edges[a].rev as usize;
                s.edges[b].cap += f;
                excess[u as usize] -= i64::from(f);
                excess[v as usize] += i64::from(f);
            }
        }
        s.price.clone_from(&self.price);
        // The worst reduced cost now: where scaling has to start.
        let mut worst = 1;
        for u in 0..s.price.len() {
            for e in &s.edges[s.start[u] as usize..s.start[u + 1] as usize] {
                if e.cap > 0 {
                    worst = worst.max(-s.reduced(u, e));
                }
            }
        }
        s.scale_down(excess, worst.saturating_mul(ALPHA))
    }

    /// The network's arrays with no flow and zero prices.
    fn build(net: &Network) -> Solver {
        let n = net.nodes;
        let m = net.arcs.len();
        let scale = n as i64 + 1;
        let mut degree = vec![0u32; n + 1];
        for &(u, v, _, _) in &net.arcs {
            degree[u as usize + 1] += 1;
            degree[v as usize + 1] += 1;
        }
        for i in 0..n {
            degree[i + 1] += degree[i];
        }
        let start = degree.clone();
        let mut fill = degree;
        let mut edges = vec![Edge::default(); 2 * m];
        let mut slot = Vec::with_capacity(m);
        let mut capacity = Vec::with_capacity(m);
        for &(u, v, c, w) in &net.arcs {
            let a = fill[u as usize] as usize;
            fill[u as usize] += 1;
            let b = fill[v as usize] as usize;
            fill[v as usize] += 1;
            edges[a] = Edge {
                to: v,
                rev: b as u32,
                cap: c,
                cost: w * scale,
            };
            edges[b] = Edge {
                to: u,
                rev: a as u32,
                cap: 0,
                cost: -w * scale,
            };
            slot.push(a as u32);
            capacity.push(c);
        }
        Solver {
            start,
            edges,
            slot,
            capacity,
            price: vec![0; n],
            scale,
        }
    }

    /// Refines from `eps` (divided by α first) down to ε = 1.
    fn scale_down(mut self, mut excess: Vec<i64>, mut eps: i64) -> Result<Solver, FlowError> {
        let n = self.price.len();
        // In a feasible network no price falls further than this; past it, excess is only
        // circling with nowhere to go.
        let lowest = self.price.iter().copied().min().unwrap_or(0).min(0);
        let floor = lowest.saturating_sub(eps.saturating_mul(3 * n as i64 + 3));
        loop {
            eps = (eps / ALPHA).max(1);
            self.refine(&mut excess, eps, floor)?;
            if eps == 1 {
                break;
            }
        }
        Ok(self)
    }

    fn reduced(&self, u: usize, e: &Edge) -> i64 {
        e.cost + self.price[u] - self.price[e.to as usize]
    }

    fn push(&mut self, excess: &mut [i64], u: usize, a: usize, delta: i32) {
        let Edge { to, rev, .. } = self.edges[a];
        self.edges[a].cap -= delta;
        self.edges[rev as usize].cap += delta;
        excess[u] -= i64::from(delta);
        excess[to as usize] += i64::from(delta);
    }

    /// Turns an ε·α-optimal flow into an ε-optimal one.
    fn refine(&mut self, excess: &mut [i64], eps: i64, floor: i64) -> Result<(), FlowError> {
        let n = self.price.len();
        // Saturate every residual arc of negative reduced cost: the pseudo-flow is then
        // 0-optimal and only excesses are left to route.
        for u in 0..n {
            for a in self.start[u] as usize..self.start[u + 1] as usize {
                let e = self.edges[a];
                if e.cap > 0 && self.reduced(u, &e) < 0 {
                    self.push(excess, u, a, e.cap);
                }
            }
        }
        let mut queue: VecDeque<usize> = (0..n).filter(|&u| excess[u] > 0).collect();
        let mut current: Vec<u32> = self.start[..n].to_vec();
        while let Some(u) = queue.pop_front() {
            let (begin, end) = (self.start[u] as usize, self.start[u + 1] as usize);
            while excess[u] > 0 {
                // The next admissible edge from where the last search stopped.
                let from = current[u] as usize;
                let pu = self.price[u];
                let found = self.edges[from..end]
                    .iter()
                    .position(|e| e.cap > 0 && e.cost + pu - self.price[e.to as usize] < 0);
                if let Some(off) = found {
                    let a = from + off;
                    current[u] = a as u32;
                    let Edge { to, cap, .. } = self.edges[a];
                    let v = to as usize;
                    let delta = i64::from(cap).min(excess[u]) as i32;
                    let before = excess[v];
                    self.push(excess, u, a, delta);
                    if before <= 0 && excess[v] > 0 {
                        queue.push_back(v);
                    }
                } else {
                    // Relabel: lower the price just enough for one residual arc to become
                    // admissible.
                    let best = self.edges[begin..end]
                        .iter()
                        .filter(|e| e.cap > 0)
                        .map(|e| self.price[e.to as usize] - e.cost)
                        .max();
                    let Some(best) = best.filter(|&b| b >= floor) else {
                        return Err(FlowError::Infeasible);
                    };
                    self.price[u] = best - eps;
                    current[u] = begin as u32;
                }
            }
        }
        Ok(())
    }

    /// Raises the price of each node in `nodes` as far as its residual arcs in allow (which
    /// keeps the flow optimal: only arcs into the node bound it). For nodes that only send,
    /// this makes arcs left out of the network as cheap to prove unneeded as they can be.
    pub fn raise_prices(&mut self, nodes: std::ops::Range<usize>) {
        for u in nodes {
            let mut bound = i64::MAX;
            for e in &self.edges[self.start[u] as usize..self.start[u + 1] as usize] {
                let back = &self.edges[e.rev as usize];
                if back.cap > 0 {
                    bound = bound.min(self.price[e.to as usize] + back.cost + 1);
                }
            }
            if bound != i64::MAX && bound > self.price[u] {
                self.price[u] = bound;
            }
        }
    }

    /// Lowers the price of each node in `nodes` as far as its residual arcs out allow (the
    /// flow stays optimal: only arcs out of the node bound it from below). For nodes that
    /// receive, this makes arcs left out of the network into them as cheap to prove
    /// unneeded as they can be.
    pub fn lower_prices(&mut self, nodes: std::ops::Range<usize>) {
        for u in nodes {
            let mut bound = i64::MIN;
            for e in &self.edges[self.start[u] as usize..self.start[u + 1] as usize] {
                if e.cap > 0 {
                    bound = bound.max(self.price[e.to as usize] - e.cost - 1);
                }
            }
            if bound != i64::MIN && bound < self.price[u] {
                self.price[u] = bound;
            }
        }
    }

    /// The flow on an arc added with [`Network::arc`].
    pub fn flow(&self, arc: usize) -> i32 {
        self.capacity[arc] - self.edges[self.slot[arc] as usize].cap
    }

    /// The reduced cost, in scaled units, an arc `from → to` of `cost` would have under the
    /// final prices. An arc left out of the network that is unused keeps the flow optimal
    /// when this is at least −1.
    pub fn reduced_cost(&self, from: usize, to: usize, cost: i64) -> i64 {
        cost * self.scale + self.price[from] - self.price[to]
    }
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;
