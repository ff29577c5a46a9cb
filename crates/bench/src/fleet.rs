//! `loopdesk-bench fleet`: Loopdesk as a fleet on one PostgreSQL. It starts `--instances`
//! `loopdesk serve` processes on a fresh database and measures ticket creations and reads per
//! second through haproxy with 1, 2, … of them behind it (the curve up to where PostgreSQL is
//! the limit), beside pgbench on the same server with `--vs-pgbench`; then it opens
//! `--live-pages` live pages (server-sent events) spread over the instances and measures what
//! they cost while nothing changes: the instances' CPU time and the whole machine's, over ten
//! seconds. It measures; it asserts nothing.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};

use crate::load::{self, LoadArgs, Server};

/// Flags of `fleet`.
#[derive(Args, Debug, Clone)]
pub struct BenchFleetArgs {
    /// The PostgreSQL server (a fresh database is made on it and dropped afterwards).
    #[arg(long)]
    pub database_url: String,
    /// Instances, at most.
    #[arg(long, default_value_t = 3)]
    pub instances: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Seconds per phase.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Live pages opened for the idle measurement.
    #[arg(long, default_value_t = 5000)]
    pub live_pages: usize,
    /// First run pgbench with the statements of one ticket creation, for the ratio.
    #[arg(long)]
    pub vs_pgbench: bool,
    /// The `loopdesk` binary to start (default: the one next to this binary).
    #[arg(long)]
    pub server_bin: Option<std::path::PathBuf>,
}

/// haproxy, stopped when dropped.
struct Balancer(Child);

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// haproxy in front of `bases`, round robin; answers its URL.
async fn balance(dir: &std::path::Path, bases: &[String]) -> anyhow::Result<(String, Balancer)> {
    let haproxy = ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .context("haproxy is not installed (apt-get install haproxy)")?;
    let port = free_port()?;
    let mut cfg = format!(
        "global\n  maxconn 4000\n\
         defaults\n  mode http\n  timeout connect 1s\n  timeout client 30s\n  timeout server 30s\n\
         \x20 option http-keep-alive\n\
         frontend desk\n  bind 127.0.0.1:{port}\n  default_backend instances\n\
         backend instances\n  balance roundrobin\n"
    );
    for (i, base) in bases.iter().enumerate() {
        let at = base.trim_start_matches("http://");
        cfg.push_str(&format!("  server i{i} {at}\n"));
    }
    let path = dir.join(format!("haproxy-{}.cfg", bases.len()));
    std::fs::write(&path, cfg)?;
    let child = Command::new(haproxy)
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting haproxy")?;
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("{url}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok((url, Balancer(child)));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("haproxy did not answer")
}

/// CPU time (user + system) of a process so far, in clock ticks.
fn process_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces) in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// The whole machine's busy and total clock ticks so far.
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = cpu.iter().sum();
    // idle and iowait
    let idle = cpu.get(3)? + cpu.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux).
fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: BenchFleetArgs) -> anyhow::Result<()> {
    let anchor = if args.vs_pgbench {
        let (shared, own) =
            crate::pgbench::run(&args.database_url, args.clients, args.seconds).await?;
        println!(
            "pgbench, one creation's statements, {} clients, {} s: shared counter {:.0} tps, own counter {:.0} tps",
            args.clients, args.seconds, shared.tps, own.tps
        );
        Some(shared.tps.max(own.tps))
    } else {
        None
    };
    let server = args.database_url.clone();
    crate::scratch::with_scratch_database(Some(&server), "bench_fleet", true, |cfg| async move {
        let load_args = LoadArgs {
            clients: args.clients,
            seconds: args.seconds,
            database_url: Some(args.database_url.clone()),
            vs_pgbench: false,
            server_bin: args.server_bin.clone(),
            url: None,
            admin_password: None,
        };
        let password = "bench-desk-password";
        let mut instances: Vec<(String, Server)> = Vec::new();
        for i in 0..args.instances.max(1) {
            let mut own = cfg.clone();
            own.data_dir = cfg.data_dir.join(format!("i{i}"));
            std::fs::create_dir_all(&own.data_dir)?;
            instances.push(load::start_server(&load_args, &own, password, &[]).await?);
        }
        let mut curve = Vec::new();
        for n in 1..=instances.len() {
            let bases: Vec<String> = instances[..n].iter().map(|(b, _)| b.clone()).collect();
            let (lb, balancer) = balance(&cfg.data_dir, &bases).await?;
            println!("\n{n} instance(s) behind haproxy:");
            let (created, read) = load::measure(&load_args, &lb, &Server { child: None }).await?;
            drop(balancer);
            curve.push((n, created, read));
        }
        println!("\ninstances  creations/s  reads/s");
        for (n, created, read) in &curve {
            let ratio = anchor.map_or(String::new(), |tps| {
                format!("   ({:.2}x pgbench's {tps:.0} tps)", created / tps)
            });
            println!("{n:>9}  {created:>11.0}  {read:>7.0}{ratio}");
        }

        // Idle live pages.
        if args.live_pages > 0 {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()?;
            let login: Value = client
                .post(format!("{}/api/v1/auth/login", instances[0].0))
                .json(&json!({ "username": "admin", "password": password }))
                .send()
                .await?
                .json()
                .await?;
            let token = login["token"].as_str().context("no token")?.to_owned();
            let cookie = format!("loopdesk_session={token}");
            let mut open = Vec::with_capacity(args.live_pages);
            for i in 0..args.live_pages {
                let base = &instances[i % instances.len()].0;
                let r = client
                    .get(format!("{base}/live/queue"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .context("opening a live page")?;
                if !r.status().is_success() {
                    bail!("a live page answered {}", r.status());
                }
                open.push(r);
            }
            // Each stream's first look, then quiet.
            tokio::time::sleep(Duration::from_secs(5)).await;
            let pids: Vec<u32> = instances
                .iter()
                .filter_map(|(_, s)| s.child.as_ref().map(Child::id))
                .collect();
            let before: u64 = pids.iter().filter_map(|p| process_ticks(*p)).sum();
            let machine_before = machine_ticks();
            let window = 10.0;
            tokio::time::sleep(Duration::from_secs_f64(window)).await;
            let after: u64 = pids.iter().filter_map(|p| process_ticks(*p)).sum();
            let machine_after = machine_ticks();
            let hz = ticks_per_second();
            let instances_share = (after - before) as f64 / hz / window * 100.0;
            let machine = match (machine_before, machine_after) {
                (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
                    // Of one core: the machine's share times its cores.
                    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                    format!(
                        "{:.2} % of one core",
                        (b1 - b0) as f64 / (t1 - t0) as f64 * 100.0 * cores as f64
                    )
                }
                _ => "not measured".to_owned(),
            };
            println!(
                "\n{} live pages open over {} instance(s), idle {window:.0} s: the instances {instances_share:.2} % of one core; the whole machine (PostgreSQL, this client) {machine}",
                open.len(),
                instances.len()
            );
            drop(open);
        }
        Ok(())
    })
    .await
}
