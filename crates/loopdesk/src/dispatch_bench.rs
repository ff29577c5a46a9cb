//! `loopdesk dispatch-bench INSTANCE.json --out SOLUTION.json`: runs the batch dispatch engine
//! on a benchmark instance (the format of `shared/dispatch/README.md`), writes the assignment,
//! and prints the objective, the orders assigned and the time taken. With `--optimum` it also
//! prints the gap to a known optimal solution.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use loopdesk_core::dispatch::{self, Engineer, Options, Order, Point, Skill};
use loopdesk_core::geo::haversine_km;
use serde::Deserialize;
use serde_json::json;

/// Flags of `dispatch-bench`.
#[derive(Args, Debug, Clone)]
pub struct DispatchBenchArgs {
    /// The instance.
    pub instance: PathBuf,
    /// Where to write the solution.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A known optimal solution, to print the gap to it.
    #[arg(long)]
    pub optimum: Option<PathBuf>,
    /// Nearest engineers per order in the first graph.
    #[arg(long, default_value_t = 16)]
    pub candidates: usize,
}

#[derive(Deserialize)]
struct Instance {
    engineers: Vec<BenchEngineer>,
    orders: Vec<BenchOrder>,
}

#[derive(Deserialize)]
struct BenchEngineer {
    id: String,
    lat: f64,
    lon: f64,
    skills: Vec<String>,
    capacity: i64,
    #[serde(default)]
    load: i64,
}

#[derive(Deserialize)]
struct BenchOrder {
    id: String,
    lat: f64,
    lon: f64,
    required_skill: String,
    priority: i64,
}

#[derive(Deserialize)]
struct Solution {
    assignments: HashMap<String, Option<String>>,
}

/// Runs the benchmark.
pub fn run(args: &DispatchBenchArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let text = std::fs::read_to_string(&args.instance)
        .with_context(|| format!("reading {}", args.instance.display()))?;
    let inst: Instance = serde_json::from_str(&text)
        .with_context(|| format!("parsing {}", args.instance.display()))?;
    let engineers: Vec<Engineer> = inst
        .engineers
        .iter()
        .map(|e| Engineer {
            id: e.id.clone(),
            position: Some(Point {
                lat: e.lat,
                lon: e.lon,
            }),
            skills: e
                .skills
                .iter()
                .map(|s| Skill {
                    name: s.clone(),
                    level: 1,
                })
                .collect(),
            capacity: e.capacity,
            load: e.load,
            on_duty: true,
            in_shift: true,
            regions: Vec::new(),
        })
        .collect();
    let orders: Vec<Order> = inst
        .orders
        .iter()
        .map(|o| Order {
            id: o.id.clone(),
            position: Some(Point {
                lat: o.lat,
                lon: o.lon,
            }),
            skill: Some(o.required_skill.clone()),
            min_level: 0,
            priority: o.priority,
            region: None,
            sla_slack_minutes: None,
            tried: Vec::new(),
        })
        .collect();
    let loaded = started.elapsed();
    let opts = Options {
        candidates: args.candidates,
        ..Options::default()
    };
    let solving = Instant::now();
    let plan = dispatch::plan(&orders, &engineers, &opts);
    let solved = solving.elapsed();
    println!(
        "{}: {} orders × {} engineers",
        args.instance.display(),
        orders.len(),
        engineers.len()
    );
    println!(
        "  assigned {} / {}, priority weight {}, travel {:.3} km",
        plan.assigned,
        orders.len(),
        plan.priority_weight,
        plan.travel_km
    );
    println!(
        "  solve {:.1} ms ({} flow round{}), load {:.1} ms, total {:.1} ms",
        solved.as_secs_f64() * 1000.0,
        plan.rounds,
        if plan.rounds == 1 { "" } else { "s" },
        loaded.as_secs_f64() * 1000.0,
        started.elapsed().as_secs_f64() * 1000.0
    );
    if let Some(path) = &args.optimum {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let best: Solution = serde_json::from_str(&text)?;
        let (count, weight, km) = score(&inst, &best);
        println!(
            "  optimum:  assigned {count}, priority weight {weight}, travel {km:.3} km → gap {:+.4} % km, {} orders, {} weight",
            (plan.travel_km - km) / km.max(1e-9) * 100.0,
            plan.assigned as i64 - count as i64,
            plan.priority_weight - weight
        );
    }
    if let Some(out) = &args.out {
        let assignments: serde_json::Map<String, serde_json::Value> = plan
            .assignments
            .iter()
            .map(|a| (orders[a.order].id.clone(), json!(engineers[a.engineer].id)))
            .collect();
        let body = json!({
            "meta": { "solver": "loopdesk", "solve_ms": solved.as_secs_f64() * 1000.0, "rounds": plan.rounds },
            "assignments": assignments,
        });
        std::fs::write(out, body.to_string())
            .with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}

/// (assigned, priority weight, km) of a solution, as the benchmark's checker counts them.
fn score(inst: &Instance, sol: &Solution) -> (usize, i64, f64) {
    let eng: HashMap<&str, &BenchEngineer> =
        inst.engineers.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut out = (0, 0, 0.0);
    for o in &inst.orders {
        let Some(Some(e)) = sol.assignments.get(&o.id) else {
            continue;
        };
        let Some(e) = eng.get(e.as_str()) else {
            continue;
        };
        out.0 += 1;
        out.1 += 5 - o.priority;
        out.2 += haversine_km(e.lat, e.lon, o.lat, o.lon);
    }
    out
}
