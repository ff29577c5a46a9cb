//! The `loopdesk` binary's library: configuration, start-up, the demo data set and the load
//! benchmark, shared by `main.rs` and the integration tests.

pub mod app;
pub mod bench;
pub mod bench_kpi;
pub mod bench_sla;
pub mod bench_stock;
pub mod config;
pub mod demo;
pub mod dispatch_bench;
pub mod scratch;
pub mod telemetry;

/// The system clock: the one place the wall clock is read.
pub struct SystemClock;

impl loopdesk_core::clock::Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the production clock reads the wall clock"
    )]
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
}
