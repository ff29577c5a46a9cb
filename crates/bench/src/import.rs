//! `loopdesk-bench import`: tickets migrated from another system in one request
//! (`POST /api/v1/import/tickets`, JSON lines). It starts Loopdesk in-process on a scratch
//! database, makes `--lines` lines of a year's history (every status the contract allows,
//! reopens, survey scores and comments, customers, engineers and categories named), sends them
//! in one request and times it, then sends the same file again (every line skipped), then
//! times the recurring problems of the last week over that history, the open tickets' risk
//! (the first call trains the model) and a backtest of the last month. As its
//! anchor it times, in the same run, reading and checking the same lines alone (core's
//! checks, one core): what the import costs beyond understanding its input. It asserts nothing.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::Duration;
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use loopdesk::app;
use loopdesk::config::Config;

/// Flags of `import`.
#[derive(Args, Debug, Clone)]
pub struct BenchImportArgs {
    /// Lines in the one request.
    #[arg(long, default_value_t = 50_000)]
    pub lines: usize,
    /// A PostgreSQL server (a fresh database is made on it and dropped afterwards); default:
    /// SQLite in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Runs the benchmark and prints what it measured.
pub async fn run(args: BenchImportArgs) -> anyhow::Result<()> {
    let server = args.database_url.clone();
    crate::scratch::with_scratch_database(
        server.as_deref(),
        "bench_import",
        false,
        |cfg| async move { measure(&args, &cfg).await },
    )
    .await
}

const FAULTS: [(&str, &str); 5] = [
    ("空调不制冷", "会议室空调开了一小时还是很热，显示E4"),
    ("冷柜温度过高", "门店冷柜温度升到十二度，货品要坏了，请尽快"),
    ("电梯异响", "2号梯运行时有异响，乘客很担心"),
    ("复印机卡纸", "三楼复印机一直卡纸，打印有黑线"),
    ("热水器打不着火", "员工宿舍热水器打不着火"),
];
const STATUSES: [&str; 8] = [
    "closed",
    "closed",
    "closed",
    "closed",
    "resolved",
    "in_progress",
    "new",
    "cancelled",
];

async fn measure(args: &BenchImportArgs, cfg: &Config) -> anyhow::Result<()> {
    let store = app::open_store(cfg).await?;
    let clock: Arc<dyn loopdesk_core::clock::Clock> = Arc::new(loopdesk::SystemClock);
    app::bootstrap(&store, cfg.admin_password.as_deref(), clock.as_ref()).await?;
    let client = reqwest::Client::new();
    let served = crate::scratch::Served::start(cfg, store.clone(), clock.clone(), &client).await?;
    let (base, token) = (served.base.clone(), served.token.clone());
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    for code in ["aircon", "refrigeration", "elevator", "printer", "water"] {
        post("/api/v1/categories", json!({ "code": code, "name": code }))
            .await?
            .error_for_status()?;
    }
    let mut customers = Vec::new();
    for i in 0..200 {
        let c: Value = post(
            "/api/v1/customers",
            json!({ "name": format!("迁移客户{i}") }),
        )
        .await?
        .error_for_status()?
        .json()
        .await?;
        customers.push(c["id"].as_str().context("customer id")?.to_owned());
    }
    let engineers: Vec<String> = (0..40).map(|i| format!("old-eng-{i}")).collect();
    for name in &engineers {
        post(
            "/api/v1/users",
            json!({ "username": name, "password": "old-engineer-pw", "roles": ["engineer"] }),
        )
        .await?
        .error_for_status()?;
    }

    let now = clock.now();
    let mut rng = StdRng::seed_from_u64(23);
    let codes = ["aircon", "refrigeration", "elevator", "printer", "water"];
    let mut body = String::new();
    for i in 0..args.lines {
        // At least 100 hours back: resolved within 48 h, closed a day later, all in the past.
        let created = now - Duration::minutes(rng.gen_range(6_000..525_600));
        let (subject, description) = FAULTS[i % FAULTS.len()];
        let status = STATUSES[rng.gen_range(0..STATUSES.len())];
        let channel = ["phone", "web", "wechat", "email"][rng.gen_range(0..4)];
        let mut line = json!({
            "external_id": format!("OLD-{i:07}"),
            "subject": subject,
            "description": description,
            "category": codes[i % codes.len()],
            "customer_id": customers[rng.gen_range(0..customers.len())],
            "priority": rng.gen_range(1..=4),
            "channel": channel,
            "created_at": created.to_rfc3339(),
            "status": status,
        });
        let resolved = created + Duration::minutes(rng.gen_range(30..2_880));
        match status {
            "closed" | "resolved" => {
                line["resolved_at"] = json!(resolved.to_rfc3339());
                line["assignee"] = json!(engineers[rng.gen_range(0..engineers.len())]);
                if status == "closed" {
                    line["closed_at"] = json!((resolved + Duration::hours(24)).to_rfc3339());
                }
                if rng.gen_bool(0.08) {
                    line["reopened"] = json!(true);
                }
                if rng.gen_bool(0.4) {
                    let csat = rng.gen_range(1..=5);
                    line["csat"] = json!(csat);
                    if csat <= 2 {
                        line["comment"] = json!("等了太久，师傅态度一般");
                    }
                }
            }
            "in_progress" => {
                line["assignee"] = json!(engineers[rng.gen_range(0..engineers.len())]);
            }
            "cancelled" => line["closed_at"] = json!(resolved.to_rfc3339()),
            _ => {}
        }
        body.push_str(&line.to_string());
        body.push('\n');
    }
    let bytes = body.len();
    println!(
        "import benchmark on {}: {} lines ({:.1} MiB) in one request",
        if cfg.database_url.expose().starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        args.lines,
        bytes as f64 / (1 << 20) as f64
    );

    // The anchor: reading and checking the lines alone.
    let started = Instant::now();
    let mut good = 0usize;
    for raw in body.lines() {
        let line: loopdesk_core::ticket::import::Line = serde_json::from_str(raw)?;
        if loopdesk_core::ticket::import::check(line, now).is_ok() {
            good += 1;
        }
    }
    let check_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(good == args.lines, "only {good} lines pass their checks");

    // One request up to 200,000 lines (74 MiB, under the endpoint's limit); more go in turn.
    let chunks: Vec<String> = {
        let lines: Vec<&str> = body.lines().collect();
        lines
            .chunks(200_000)
            .map(|c| {
                let mut part = c.join("\n");
                part.push('\n');
                part
            })
            .collect()
    };
    let send_all = || async {
        let mut answers = Vec::new();
        for part in &chunks {
            let answer: Value = client
                .post(format!("{base}/api/v1/import/tickets"))
                .bearer_auth(&token)
                .header("content-type", "application/x-ndjson")
                .body(part.clone())
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            answers.push(answer);
        }
        anyhow::Ok(answers)
    };
    let started = Instant::now();
    let first = send_all().await?;
    let import_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let again = send_all().await?;
    let again_secs = started.elapsed().as_secs_f64();
    let answers = |a: &[Value]| a.iter().map(Value::to_string).collect::<Vec<_>>().join(" ");
    println!(
        "  import   {import_secs:>7.2} s  {:>8.0} lines/s   answer {} ({} requests)",
        args.lines as f64 / import_secs,
        answers(&first),
        chunks.len()
    );
    println!(
        "  again    {again_secs:>7.2} s  {:>8.0} lines/s   answer {}",
        args.lines as f64 / again_secs,
        answers(&again)
    );
    // What the history feeds: the recurring problems of the last week (five weeks of it read
    // and cut into words), three calls.
    let (took, found) = timed_gets(
        &client,
        &format!("{base}/api/v1/insights/problems"),
        &token,
        3,
    )
    .await?;
    let items = found["items"].as_array().map_or(0, Vec::len);
    println!(
        "  problems of the last week over the history: {:.0} / {:.0} / {:.0} ms ({items} items)",
        took[0], took[1], took[2]
    );
    // Risk: the first call trains the model on the history, the next score with it (each call
    // after the first within a minute is served from the scores kept); then one backtest.
    let (took, listed) =
        timed_gets(&client, &format!("{base}/api/v1/insights/risk"), &token, 3).await?;
    let open = listed.as_array().map_or(0, Vec::len);
    println!(
        "  risk of the open tickets: {:.0} (training) / {:.0} / {:.0} ms ({open} tickets)",
        took[0], took[1], took[2]
    );
    let started = Instant::now();
    let backtest = client
        .get(format!("{base}/api/v1/insights/risk/backtest"))
        .bearer_auth(&token)
        .send()
        .await?;
    let status = backtest.status();
    let answer: Value = backtest.json().await?;
    println!(
        "  risk backtest of the month ending a week ago: {:.0} ms ({status}; auc {}, n {})",
        started.elapsed().as_secs_f64() * 1000.0,
        answer["auc"],
        answer["n"]
    );
    triage(&client, (&base, &token), &customers, &mut rng).await?;
    println!(
        "  anchor: reading and checking the lines alone {check_secs:.2} s ({:.0} lines/s); \
         the import takes {:.1}× that",
        args.lines as f64 / check_secs,
        import_secs / check_secs
    );
    served.stop().await;
    Ok(())
}

/// Triage over the history: the category model trained on it, 40 published articles, then
/// `POST /api/v1/triage` for a customer's new request (categories, urgency, the customer's
/// duplicates among their tickets, articles) 300 times: p50 / p95 / p99.
async fn triage(
    client: &reqwest::Client,
    (base, token): (&str, &str),
    customers: &[String],
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let started = Instant::now();
    let trained: Value = post("/api/v1/triage/train", json!({ "target": "category" }))
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!(
        "  category model trained on the history: {:.2} s (trained on {}, holdout accuracy {})",
        started.elapsed().as_secs_f64(),
        trained["trained_on"],
        trained["holdout"]["accuracy"]
    );
    for i in 0..40 {
        let (subject, description) = FAULTS[i % FAULTS.len()];
        let body = json!({ "title": format!("{subject}的处理方法 {i}"),
            "body": format!("## 现象\n\n{description}\n\n## 处理\n\n按步骤检查第 {i} 项。") });
        let a: Value = post("/api/v1/articles", body)
            .await?
            .error_for_status()?
            .json()
            .await?;
        let id = a["id"].as_str().context("article id")?;
        client
            .patch(format!("{base}/api/v1/articles/{id}"))
            .bearer_auth(token)
            .json(&json!({ "version": 1, "state": "published" }))
            .send()
            .await?
            .error_for_status()?;
    }
    let mut times = Vec::with_capacity(300);
    let mut offered = 0;
    for i in 0..300 {
        let (subject, description) = FAULTS[i % FAULTS.len()];
        let body = json!({ "subject": format!("{subject}，第{i}次"), "description": description,
            "customer_id": customers[rng.gen_range(0..customers.len())] });
        let started = Instant::now();
        let answer: Value = post("/api/v1/triage", body)
            .await?
            .error_for_status()?
            .json()
            .await?;
        times.push(started.elapsed());
        offered += answer["articles"].as_array().map_or(0, Vec::len);
    }
    println!(
        "  POST /api/v1/triage ×300: {}   ({:.1} articles offered a call)",
        crate::stock::percentiles(&mut times),
        offered as f64 / 300.0
    );
    Ok(())
}

/// `GET url` `n` times: each call's milliseconds, and the last answer.
async fn timed_gets(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    n: usize,
) -> anyhow::Result<(Vec<f64>, Value)> {
    let mut took = Vec::with_capacity(n);
    let mut last = Value::Null;
    for _ in 0..n {
        let started = Instant::now();
        last = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((took, last))
}
