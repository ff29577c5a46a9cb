//! `loopdesk bench`: a load benchmark over HTTP. It starts a fresh server of its own (SQLite in
//! a temporary directory, or the PostgreSQL database given), drives it with N concurrent
//! clients — ticket creation, then reading one ticket with its events — and prints requests/s,
//! p50/p95/p99 latency and the server's peak RSS. It measures; it asserts nothing.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};

/// Flags of `bench`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Seconds per phase.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Database for the server under test (default: SQLite in a temporary directory).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Benchmark an already running server at this URL instead of starting one.
    #[arg(long)]
    pub url: Option<String>,
    /// Admin password of the server at `--url`.
    #[arg(long, env = "LOOPDESK_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
}

struct Server {
    child: Option<std::process::Child>,
    _dir: Option<tempfile::TempDir>,
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
    /// Peak resident memory of the server process (VmHWM), in MiB.
    fn peak_rss_mib(&self) -> Option<f64> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    }
}

async fn start_server(args: &BenchArgs, password: &str) -> anyhow::Result<(String, Server)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dir = tempfile::tempdir()?;
    let exe = std::env::current_exe().context("locating the loopdesk binary")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--admin-password",
        password,
    ])
    .arg("--data-dir")
    .arg(dir.path())
    .env("RUST_LOG", "warn")
    .stdout(Stdio::null());
    if let Some(url) = &args.database_url {
        cmd.args(["--database-url", url]);
    }
    let child = cmd.spawn().context("starting the server")?;
    let server = Server {
        child: Some(child),
        _dir: Some(dir),
    };
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
    fn print(&mut self, name: &str) {
        self.latencies.sort();
        println!(
            "{name:<14} {:>9.0} req/s   p50 {:>6.2} ms   p95 {:>6.2} ms   p99 {:>6.2} ms   ({} ok, {} errors)",
            self.ok as f64 / self.took.as_secs_f64(),
            percentile(&self.latencies, 0.50),
            percentile(&self.latencies, 0.95),
            percentile(&self.latencies, 0.99),
            self.ok,
            self.errors
        );
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

/// Runs the benchmark and prints its figures.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let password = args
        .admin_password
        .clone()
        .unwrap_or_else(|| "bench-admin-password".to_owned());
    let (base, server) = match &args.url {
        Some(u) => (
            u.trim_end_matches('/').to_owned(),
            Server {
                child: None,
                _dir: None,
            },
        ),
        None => start_server(&args, &password).await?,
    };
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
    // The admin records requests through an agent account, as the phone desk would.
    let agent_pw = "bench-agent-password";
    client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(&token)
        .json(&json!({ "username": format!("bench{}", std::process::id()), "password": agent_pw, "roles": ["agent"] }))
        .send()
        .await?
        .error_for_status()
        .context("creating the bench agent")?;
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": format!("bench{}", std::process::id()), "password": agent_pw }))
        .send()
        .await?
        .json()
        .await?;
    let auth = Arc::new(format!(
        "Bearer {}",
        login["token"].as_str().context("no agent token")?
    ));
    println!(
        "loopdesk bench: {} clients, {} s per phase, server {}",
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
    create.print("create ticket");

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
    read.print("read ticket");
    match server.peak_rss_mib() {
        Some(m) => println!("server peak RSS {m:.1} MiB"),
        None => println!("server peak RSS: not measured (external server)"),
    }
    Ok(())
}
