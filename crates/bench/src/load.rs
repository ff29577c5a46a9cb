//! `loopdesk-bench load`: a load benchmark over HTTP. It starts a `loopdesk serve` of its own
//! (SQLite in a temporary directory, or a fresh database on the PostgreSQL server given),
//! drives it with N concurrent clients — ticket creation, then reading one ticket with its
//! events — and prints requests/s, p50/p95/p99 latency and the server's peak RSS. With
//! `--vs-pgbench` it first runs pgbench on the same server with the statements of one
//! creation (see [`crate::pgbench`]) and prints Loopdesk's rate as a ratio of pgbench's. The
//! load generator runs on the same machine, as it does in the figures of BENCHMARKS.md. It
//! measures; it asserts nothing.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};

use loopdesk::config::Config;

/// Flags of `load`.
#[derive(Args, Debug, Clone)]
pub struct LoadArgs {
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Seconds per phase.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// A PostgreSQL server for the server under test (a fresh database is made on it and
    /// dropped afterwards); default: SQLite in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
    /// First run pgbench on the `--database-url` server with the statements of one ticket
    /// creation, and print Loopdesk's creations per second as a ratio of its rate.
    #[arg(long, requires = "database_url")]
    pub vs_pgbench: bool,
    /// The `loopdesk` binary to start (default: the one next to this binary).
    #[arg(long)]
    pub server_bin: Option<std::path::PathBuf>,
    /// Benchmark an already running server at this URL instead of starting one.
    #[arg(long)]
    pub url: Option<String>,
    /// Admin password of the server at `--url`.
    #[arg(long, env = "LOOPDESK_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
}

pub(crate) struct Server {
    pub(crate) child: Option<std::process::Child>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Server {
    /// A memory figure of the server process from `/proc/<pid>/status`, in MiB.
    fn status_mib(&self, field: &str) -> Option<f64> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with(field))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    }
}

/// The `loopdesk` binary: `--server-bin`, or the one `cargo build` put next to this one.
pub(crate) fn server_binary(args: &LoadArgs) -> anyhow::Result<std::path::PathBuf> {
    if let Some(bin) = &args.server_bin {
        return Ok(bin.clone());
    }
    let me = std::env::current_exe().context("locating this binary")?;
    let bin = me.with_file_name(format!("loopdesk{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        bail!(
            "no server binary at {} (build it with `cargo build --release`, or name one with --server-bin)",
            bin.display()
        );
    }
    Ok(bin)
}

pub(crate) async fn start_server(
    args: &LoadArgs,
    cfg: &Config,
    password: &str,
    more: &[&str],
) -> anyhow::Result<(String, Server)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut cmd = std::process::Command::new(server_binary(args)?);
    cmd.args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--admin-password",
        password,
        "--database-url",
        &cfg.database_url,
    ])
    .arg("--data-dir")
    .arg(&cfg.data_dir)
    .args(more)
    .env("RUST_LOG", "warn")
    .stdout(Stdio::null());
    let child = cmd.spawn().context("starting the server")?;
    let server = Server { child: Some(child) };
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok((base, server));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become ready")
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

struct Phase {
    ok: usize,
    errors: usize,
    latencies: Vec<Duration>,
    took: Duration,
}

impl Phase {
    /// Prints the phase's figures; answers its requests per second.
    fn print(&mut self, name: &str) -> f64 {
        self.latencies.sort();
        let rate = self.ok as f64 / self.took.as_secs_f64();
        println!(
            "{name:<14} {:>9.0} req/s   p50 {:>6.2} ms   p95 {:>6.2} ms   p99 {:>6.2} ms   ({} ok, {} errors)",
            rate,
            percentile(&self.latencies, 0.50),
            percentile(&self.latencies, 0.95),
            percentile(&self.latencies, 0.99),
            self.ok,
            self.errors
        );
        rate
    }
}

async fn phase<F, Fut>(clients: usize, seconds: u64, make: F) -> Phase
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let make = Arc::new(make);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut errors, mut lat, mut i) = (0usize, 0usize, Vec::new(), 0u64);
            while Instant::now() < deadline {
                let t = Instant::now();
                if make(c, i).await {
                    ok += 1;
                    lat.push(t.elapsed());
                } else {
                    errors += 1;
                }
                i += 1;
            }
            (ok, errors, lat)
        }));
    }
    let mut out = Phase {
        ok: 0,
        errors: 0,
        latencies: Vec::new(),
        took: Duration::ZERO,
    };
    for t in tasks {
        if let Ok((ok, errors, lat)) = t.await {
            out.ok += ok;
            out.errors += errors;
            out.latencies.extend(lat);
        }
    }
    out.took = started.elapsed();
    out
}

/// Runs the benchmark (after pgbench, with `--vs-pgbench`) and prints its figures.
pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    let anchor = match (&args.database_url, args.vs_pgbench) {
        (Some(server), true) => {
            let (shared, own) = crate::pgbench::run(server, args.clients, args.seconds).await?;
            println!(
                "pgbench, one creation's statements, {} clients, {} s: shared counter {:.0} tps ({:.2} ms), own counter {:.0} tps ({:.2} ms)",
                args.clients, args.seconds, shared.tps, shared.latency_ms, own.tps, own.latency_ms
            );
            Some(shared.tps.max(own.tps))
        }
        _ => None,
    };
    let created = match &args.url {
        Some(url) => {
            let server = Server { child: None };
            measure(&args, url.trim_end_matches('/'), &server).await?.0
        }
        None => {
            let server = args.database_url.clone();
            crate::scratch::with_scratch_database(
                server.as_deref(),
                "bench_load",
                true,
                |cfg| async move {
                    let password = "bench-desk-password";
                    let (base, server) = start_server(&args, &cfg, password, &[]).await?;
                    measure(&args, &base, &server)
                        .await
                        .map(|(created, _)| created)
                },
            )
            .await?
        }
    };
    if let Some(tps) = anchor {
        println!(
            "creations: {:.2}x pgbench's better rate ({created:.0} / {tps:.0} per second)",
            created / tps
        );
    }
    Ok(())
}

/// Drives the server at `base`; answers the creations and the reads per second.
pub(crate) async fn measure(
    args: &LoadArgs,
    base: &str,
    server: &Server,
) -> anyhow::Result<(f64, f64)> {
    let password = args
        .admin_password
        .clone()
        .unwrap_or_else(|| "bench-desk-password".to_owned());
    let base = base.to_owned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients * 2)
        .build()?;
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": "admin", "password": password }))
        .send()
        .await?
        .error_for_status()
        .context("logging in as admin")?
        .json()
        .await?;
    let token = login["token"]
        .as_str()
        .context("no token in the login answer")?
        .to_owned();
    // The admin records requests through an agent account, as the phone desk would (one per
    // measurement: a fleet benchmark measures the same database several times).
    static ROUNDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let agent = format!(
        "bench{}-{}",
        std::process::id(),
        ROUNDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let agent_pw = "bench-agent-password";
    client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(&token)
        .json(&json!({ "username": agent, "password": agent_pw, "roles": ["agent"] }))
        .send()
        .await?
        .error_for_status()
        .context("creating the bench agent")?;
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": agent, "password": agent_pw }))
        .send()
        .await?
        .json()
        .await?;
    let auth = Arc::new(format!(
        "Bearer {}",
        login["token"].as_str().context("no agent token")?
    ));
    println!(
        "loopdesk-bench load: {} clients, {} s per phase, server {}",
        args.clients,
        args.seconds,
        args.database_url
            .as_deref()
            .map_or("SQLite (temporary)", |u| if u.starts_with("postgres") {
                "PostgreSQL"
            } else {
                "custom"
            })
    );

    let ids = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let (c, a, b, ids2) = (client.clone(), auth.clone(), base.clone(), ids.clone());
    let mut create = phase(args.clients, args.seconds, move |client_no, i| {
        let (c, a, b, ids) = (c.clone(), a.clone(), b.clone(), ids2.clone());
        async move {
            let body = json!({ "subject": format!("压测工单 {client_no}-{i}"), "description": "空调不制冷，室外机异响", "priority": 3, "channel": "phone" });
            let r = c.post(format!("{b}/api/v1/tickets")).header("authorization", a.as_str()).json(&body).send().await;
            match r {
                Ok(r) if r.status().as_u16() == 201 => match r.json::<Value>().await {
                    Ok(v) => {
                        if let Some(id) = v["id"].as_str() {
                            ids.lock().unwrap_or_else(|e| e.into_inner()).push(id.to_owned());
                        }
                        true
                    }
                    Err(_) => false,
                },
                _ => false,
            }
        }
    })
    .await;
    let created = create.print("create ticket");

    let ids: Arc<Vec<String>> = Arc::new(std::mem::take(
        &mut *ids.lock().unwrap_or_else(|e| e.into_inner()),
    ));
    if ids.is_empty() {
        bail!("no ticket was created");
    }
    let (c, a, b) = (client.clone(), auth.clone(), base.clone());
    let mut read = phase(args.clients, args.seconds, move |client_no, i| {
        let (c, a, b, ids) = (c.clone(), a.clone(), b.clone(), ids.clone());
        async move {
            let id = &ids[(client_no * 7919 + i as usize * 104_729) % ids.len()];
            let r = c
                .get(format!("{b}/api/v1/tickets/{id}"))
                .header("authorization", a.as_str())
                .send()
                .await;
            match r {
                Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                _ => false,
            }
        }
    })
    .await;
    let reads = read.print("read ticket");
    // Peak resident memory, and at the end how much of it is the process's own (anonymous)
    // and how much the database file mapped by SQLite's readers (page cache, given back under
    // memory pressure).
    match (
        server.status_mib("VmHWM:"),
        server.status_mib("RssAnon:"),
        server.status_mib("RssFile:"),
    ) {
        (Some(peak), Some(anon), Some(file)) => println!(
            "server peak RSS {peak:.1} MiB (at the end: own {anon:.1} MiB, mapped files {file:.1} MiB)"
        ),
        _ => println!("server peak RSS: not measured (external server)"),
    }
    Ok((created, reads))
}
