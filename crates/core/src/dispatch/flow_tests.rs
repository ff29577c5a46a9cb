use super::*;

/// Every assignment of `costs` (rows to columns, one each), the cheapest by brute force.
fn brute(costs: &[Vec<i64>]) -> i64 {
    fn go(costs: &[Vec<i64>], row: usize, used: &mut Vec<bool>) -> i64 {
        if row == costs.len() {
            return 0;
        }
        let mut best = i64::MAX;
        for c in 0..costs[row].len() {
            if !used[c] {
                used[c] = true;
                best = best.min(costs[row][c] + go(costs, row + 1, used));
                used[c] = false;
            }
        }
        best
    }
    go(costs, 0, &mut vec![false; costs[0].len()])
}

#[test]
fn small_assignments_match_brute_force() {
    let mut seed = 7u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as i64
    };
    for _ in 0..200 {
        let n = 1 + (next() % 5) as usize;
        let costs: Vec<Vec<i64>> = (0..n)
            .map(|_| (0..n).map(|_| next() % 100 - 30).collect())
            .collect();
        let mut net = Network::new(2 * n + 2);
        let (s, t) = (2 * n, 2 * n + 1);
        let mut arcs = Vec::new();
        for (i, row) in costs.iter().enumerate() {
            net.arc(s, i, 1, 0);
            net.arc(n + i, t, 1, 0);
            for (j, &c) in row.iter().enumerate() {
                arcs.push((i, j, net.arc(i, n + j, 1, c)));
            }
        }
        let mut supply = vec![0; 2 * n + 2];
        supply[s] = n as i64;
        supply[t] = -(n as i64);
        let solved = Solver::solve(&net, &supply).unwrap();
        let total: i64 = arcs
            .iter()
            .map(|&(i, j, a)| i64::from(solved.flow(a)) * costs[i][j])
            .sum();
        assert_eq!(total, brute(&costs), "{costs:?}");
        for &(i, j, a) in &arcs {
            if solved.flow(a) == 0 {
                assert!(solved.reduced_cost(i, n + j, costs[i][j]) >= -1);
            }
        }
    }
}

#[test]
fn a_warm_resolve_after_adding_arcs_matches_a_fresh_solve() {
    // 3 × 3 assignment; first only the diagonal (expensive), then every arc.
    let costs = [[9, 2, 7], [3, 9, 1], [4, 6, 9]];
    let mut net = Network::new(8);
    let (s, t) = (6, 7);
    let mut arcs = Vec::new();
    for (i, row) in costs.iter().enumerate() {
        net.arc(s, i, 1, 0);
        net.arc(3 + i, t, 1, 0);
        arcs.push((i, i, net.arc(i, 3 + i, 1, row[i])));
    }
    let supply = [0, 0, 0, 0, 0, 0, 3, -3];
    let first = Solver::solve(&net, &supply).unwrap();
    let total = |solved: &Solver, arcs: &[(usize, usize, usize)]| -> i64 {
        arcs.iter()
            .map(|&(i, j, a)| i64::from(solved.flow(a)) * costs[i][j])
            .sum()
    };
    assert_eq!(total(&first, &arcs), 27);
    for (i, row) in costs.iter().enumerate() {
        for (j, &c) in row.iter().enumerate() {
            if i != j {
                arcs.push((i, j, net.arc(i, 3 + j, 1, c)));
            }
        }
    }
    let warm = first.resolve(&net, &supply).unwrap();
    let fresh = Solver::solve(&net, &supply).unwrap();
    // Best: 0→1 (2), 1→2 (1), 2→0 (4).
    assert_eq!(total(&warm, &arcs), 7);
    assert_eq!(total(&fresh, &arcs), 7);
}

#[test]
fn too_much_supply_is_infeasible() {
    let mut net = Network::new(2);
    net.arc(0, 1, 1, 5);
    assert_eq!(
        Solver::solve(&net, &[2, -2]).unwrap_err(),
        FlowError::Infeasible
    );
}
