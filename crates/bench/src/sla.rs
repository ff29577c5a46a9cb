//! `loopdesk-bench sla`: how long one SLA scan takes with many open tickets, and how long
//! after a breach its escalation reaches a webhook receiver. It builds its own data set (SQLite
//! in a temporary directory, or a fresh database on the PostgreSQL server given), measures,
//! prints, and asserts nothing.
//!
//! 1. `--tickets` open tickets are created through the store (the batched path the API
//!    uses), in groups of 1,000 a minute apart, one day in the future so that the real-time
//!    part below never sees them fall due.
//! 2. Scans at a moment when nothing is due (the usual case: the index says so), then at the
//!    moment one group of 1,000 reaches its warning (1,000 marks, events and outbox rows).
//! 3. With the real clock: a webhook receiver subscribed to `sla.escalated`, a policy whose
//!    first response is due a minute after creation and escalates at once, `--breaches`
//!    tickets under it, and the job runner running as in `serve`. For each delivery: arrival
//!    time minus the due time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clap::Args;
use loopdesk_core::clock::Clock;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::ticket::Channel;
use loopdesk_store::{NewSlaPolicy, NewTicket, NewWebhook, Store};
use serde_json::Value;

use loopdesk::app;
use loopdesk::config::Config;
use loopdesk::SystemClock;

/// Flags of `sla`.
#[derive(Args, Debug, Clone)]
pub struct BenchSlaArgs {
    /// Open tickets under SLA.
    #[arg(long, default_value_t = 100_000)]
    pub tickets: usize,
    /// Tickets that breach in the real-time part.
    #[arg(long, default_value_t = 200)]
    pub breaches: usize,
    /// A PostgreSQL server (a fresh database is made on it and dropped afterwards); default:
    /// SQLite in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Runs the benchmark and prints what it measured.
pub async fn run(args: BenchSlaArgs) -> anyhow::Result<()> {
    let server = args.database_url.clone();
    crate::scratch::with_scratch_database(server.as_deref(), "bench_sla", true, |cfg| async move {
        measure(&args, &cfg).await
    })
    .await
}

async fn measure(args: &BenchSlaArgs, cfg: &Config) -> anyhow::Result<()> {
    let url = cfg.database_url.expose();
    let store = app::open_store(cfg).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let boot = app::bootstrap(&store, cfg.admin_password.as_deref(), clock.as_ref()).await?;
    let tenant = store.tenant(boot.tenant.id);
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("SLA benchmark on {backend}: {} open tickets", args.tickets);

    // 1. The open tickets, in groups of 1,000 a minute apart, a day ahead.
    let t0 = clock.now() + chrono::Duration::days(1);
    let started = Instant::now();
    let groups = args.tickets.div_ceil(1000);
    for g in 0..groups {
        let at = t0 + chrono::Duration::minutes(g as i64);
        let n = (args.tickets - g * 1000).min(1000);
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..n {
            let tenant = tenant.clone();
            tasks.spawn(async move {
                tenant
                    .create_ticket(&Actor::System, ticket(i), None, at)
                    .await
            });
        }
        while let Some(r) = tasks.join_next().await {
            r??;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  created {} tickets in {secs:.1} s ({:.0} tickets/s)",
        args.tickets,
        args.tickets as f64 / secs
    );

    // 2. Scans: nothing due, then one group's warnings due.
    let mut idle = Vec::new();
    for i in 0..20 {
        let at = t0 + chrono::Duration::minutes(10) + chrono::Duration::seconds(i);
        idle.push(timed_scan(&store, at).await?.0);
    }
    idle.sort_by(f64::total_cmp);
    println!(
        "  scan, nothing due:           p50 {:.2} ms, max {:.2} ms (20 scans)",
        idle[idle.len() / 2],
        idle[idle.len() - 1]
    );
    // The default policy warns at 75 % of its 60-minute first response: 45 minutes.
    let (ms, marks) = timed_scan(&store, t0 + chrono::Duration::seconds(45 * 60 + 30)).await?;
    println!("  scan, 1,000 warnings due:    {ms:.1} ms ({marks} marks recorded)");
    let (ms, marks) = timed_scan(&store, t0 + chrono::Duration::seconds(45 * 60 + 31)).await?;
    println!("  the same moment again:       {ms:.2} ms ({marks} marks: each only once)");

    // 3. Real time: breach → escalation delivered.
    let arrivals: Arc<Mutex<Vec<Arrival>>> = Arc::default();
    let kept = arrivals.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let kept = kept.clone();
            async move {
                if let Ok(v) = serde_json::from_str::<Value>(&body) {
                    if let Ok(mut k) = kept.lock() {
                        k.push((SystemClock.now(), v));
                    }
                }
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let system = Actor::System;
    tenant
        .create_webhook(
            &system,
            NewWebhook {
                url: hook,
                secret: "bench-secret-0123456789".into(),
                events: vec!["sla.escalated".into()],
                max_attempts: None,
            },
            &cfg.webhook_allow,
            clock.now(),
        )
        .await?;
    let policy: NewSlaPolicy = serde_json::from_value(serde_json::json!({
        "name": "bench P1", "priority": 1, "first_response_minutes": 1, "resolution_minutes": 600,
        "escalation": [{"level": 1, "after_breach_minutes": 0, "notify_roles": ["supervisor"]}]
    }))?;
    tenant
        .create_sla_policy(&system, policy, clock.now())
        .await?;
    let runner = app::job_runner(&store, clock.clone(), cfg)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(runner.run_until(async move {
        let _ = stopped.await;
    }));
    for i in 0..args.breaches {
        let mut t = ticket(i);
        t.priority = 1;
        tenant.create_ticket(&system, t, None, clock.now()).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    while arrivals.lock().map(|a| a.len()).unwrap_or(0) < args.breaches && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = stop.send(());
    let _ = running.await;
    let mut delays: Vec<f64> = arrivals
        .lock()
        .map_err(|_| anyhow::anyhow!("receiver poisoned"))?
        .iter()
        .filter_map(|(at, v)| {
            let due: DateTime<Utc> = v["ticket"]["sla"]["first_response_due"]
                .as_str()?
                .parse()
                .ok()?;
            Some((*at - due).num_milliseconds() as f64 / 1000.0)
        })
        .collect();
    delays.sort_by(f64::total_cmp);
    if delays.is_empty() {
        println!("  breach → escalation delivered: nothing arrived within 3 minutes");
    } else {
        let pick = |q: f64| delays[((delays.len() - 1) as f64 * q).round() as usize];
        println!(
            "  breach → escalation delivered ({} of {}): p50 {:.2} s, p95 {:.2} s, max {:.2} s",
            delays.len(),
            args.breaches,
            pick(0.5),
            pick(0.95),
            pick(1.0)
        );
    }
    store.close().await;
    Ok(())
}

/// When a delivery arrived, and its body.
type Arrival = (DateTime<Utc>, Value);

fn ticket(i: usize) -> NewTicket {
    NewTicket {
        subject: format!("SLA bench {i}"),
        description: "benchmark ticket".into(),
        priority: 3,
        channel: Channel::Phone,
        customer_id: None,
        contact_phone: None,
        site_id: None,
        asset_id: None,
        category: None,
        fields: None,
    }
}

/// One full scan at `at` (as the runner does it: batches until one comes back short);
/// answers milliseconds and marks recorded.
async fn timed_scan(store: &Store, at: DateTime<Utc>) -> anyhow::Result<(f64, usize)> {
    let started = Instant::now();
    let mut marks = 0;
    loop {
        let r = store.sla_scan(at, 2000).await?;
        marks += r.marks;
        if r.tickets < 2000 {
            break;
        }
    }
    Ok((started.elapsed().as_secs_f64() * 1000.0, marks))
}
