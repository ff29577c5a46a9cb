//! Prometheus text metrics: request counts and latency histograms by route, tickets created.
//! A few dozen lines instead of a metrics framework.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Counters kept in memory, rendered on `/metrics`.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Series>>,
    tickets_created: AtomicU64,
}

impl Metrics {
    /// Records one request.
    pub fn observe(&self, method: &str, route: &str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let s = map
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        s.count += 1;
        s.sum += secs;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    /// Counts a created ticket.
    pub fn ticket_created(&self) {
        self.tickets_created.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        out.push_str("# HELP loopdesk_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE loopdesk_http_requests_total counter\n");
        for ((m, r, s), v) in map.iter() {
            let _ = writeln!(
                out,
                "loopdesk_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{s}\"}} {}",
                v.count
            );
        }
        out.push_str("# HELP loopdesk_http_request_duration_seconds HTTP latency by route.\n");
        out.push_str("# TYPE loopdesk_http_request_duration_seconds histogram\n");
        let mut by_route: BTreeMap<(&str, &str), Series> = BTreeMap::new();
        for ((m, r, _), v) in map.iter() {
            let agg = by_route.entry((m, r)).or_default();
            agg.count += v.count;
            agg.sum += v.sum;
            for (a, b) in agg.buckets.iter_mut().zip(v.buckets.iter()) {
                *a += b;
            }
        }
        for ((m, r), v) in by_route {
            let labels = format!("method=\"{m}\",route=\"{r}\"");
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "loopdesk_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    v.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "loopdesk_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                v.count
            );
            let _ = writeln!(
                out,
                "loopdesk_http_request_duration_seconds_sum{{{labels}}} {}",
                v.sum
            );
            let _ = writeln!(
                out,
                "loopdesk_http_request_duration_seconds_count{{{labels}}} {}",
                v.count
            );
        }
        out.push_str("# HELP loopdesk_tickets_created_total Tickets created by this instance.\n");
        out.push_str("# TYPE loopdesk_tickets_created_total counter\n");
        let _ = writeln!(
            out,
            "loopdesk_tickets_created_total {}",
            self.tickets_created.load(Ordering::Relaxed)
        );
        out
    }
}
