//! `loopdesk-bench`: Loopdesk's benchmarks, in a binary of their own so that the product
//! binary carries none of them. Each builds its own data set, measures, prints its figures
//! and asserts nothing (BENCHMARKS.md lists the commands and the latest figures).
//!
//! Build both binaries first (`cargo build --release`): `load` starts the `loopdesk` server
//! that sits next to this binary.

use clap::{Parser, Subcommand};

mod fleet;
mod import;
mod kpi;
mod load;
mod mail;
mod pgbench;
mod risk;
mod scratch;
mod search;
mod sla;
mod stock;

/// mimalloc, as in the server: the benchmarks that run the store in-process measure it with
/// the allocator it ships with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Loopdesk's benchmarks.
#[derive(Parser, Debug)]
#[command(name = "loopdesk-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Load over HTTP: ticket creations, then reads (optionally against pgbench).
    Load(load::LoadArgs),
    /// A fleet on one PostgreSQL: 1, 2, 3 instances behind haproxy, and idle live pages.
    Fleet(fleet::BenchFleetArgs),
    /// SLA: one scan over many open tickets, and breach → escalation delivered.
    Sla(sla::BenchSlaArgs),
    /// KPIs: a year of ticket history loaded, then the dashboard's KPI calls timed.
    Kpi(kpi::BenchKpiArgs),
    /// Stock: level queries and live movements over a large generated stock ledger.
    Stock(stock::BenchStockArgs),
    /// Search: a million tickets of Chinese text indexed, queries timed while tickets arrive.
    Search(search::BenchSearchArgs),
    /// Mail: raw mails piped through the inbound path (charsets, replies, auto-replies, junk).
    Mail(mail::BenchMailArgs),
    /// Import: a year of another system's tickets in one request of JSON lines.
    Import(import::BenchImportArgs),
    /// Risk: the breach model trained and judged on a generated year (rows for LightGBM too).
    Risk(risk::BenchRiskArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    loopdesk::telemetry::init(false);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Load(args) => load::run(args).await,
            Command::Fleet(args) => fleet::run(args).await,
            Command::Sla(args) => sla::run(args).await,
            Command::Kpi(args) => kpi::run(args).await,
            Command::Stock(args) => stock::run(args).await,
            Command::Search(args) => search::run(args).await,
            Command::Mail(args) => mail::run(args).await,
            Command::Import(args) => import::run(args).await,
            Command::Risk(args) => risk::run(args),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
