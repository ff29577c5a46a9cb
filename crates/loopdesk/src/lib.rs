//! The `loopdesk` binary's library: configuration, start-up, the demo data set and the
//! dispatch engine's instance runner, shared by `main.rs`, the integration tests and the
//! benchmarks (`loopdesk-bench`).

pub mod app;
pub mod backup;
pub mod config;
pub mod cti_sim;
pub mod demo;
pub mod dispatch_bench;
pub mod progress;
pub mod s3;
pub mod telemetry;
pub mod triage_bench;

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
