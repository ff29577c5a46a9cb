//! Why an order gets whom it gets: the candidates for one order alone, and who may not take
//! it and why.

use crate::geo::haversine_km;
use serde::Serialize;

use super::*;

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
