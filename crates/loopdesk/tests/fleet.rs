//! Dashboards reading from a real streaming replica (`--read-database-url`) are tested here
//! too.
//!
//! Three `loopdesk serve` processes on one PostgreSQL behind a real load balancer (Debian's
//! haproxy) on loopback (issue 24): writers keep creating tickets through the balancer while
//! one instance is killed with `kill -9`, and then every acknowledged ticket is there once, every
//! `ticket.created` webhook was delivered under one delivery id, a file uploaded through one
//! instance downloads through another, a token signed out on one instance stops working on the
//! others at once, and password guesses spread over the instances meet one limit.
//!
//! Needs `LOOPDESK_TEST_POSTGRES`, haproxy, and (for the replica) PostgreSQL's server programs
//! run as root; skipped without them unless `LOOPDESK_REQUIRE_FLEET=1` (CI) makes what is
//! missing a failure.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

const ADMIN_PASSWORD: &str = "fleet-desk-password";

/// A free port on loopback (bound, then let go for the process that will listen on it).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One `loopdesk serve` on the shared database, with a data directory of its own (nothing on
/// local disk is shared).
fn serve(url: &str, dir: &Path, port: u16) -> Running {
    serve_with(url, dir, port, &[])
}

/// `serve` with more flags.
fn serve_with(url: &str, dir: &Path, port: u16, more: &[&str]) -> Running {
    std::fs::create_dir_all(dir).unwrap();
    // Another instance takes over a killed one's jobs after 5 s.
    let config = dir.join("loopdesk.toml");
    std::fs::write(&config, "job_lease_seconds = 5\n").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_loopdesk"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir)
        .arg("--config")
        .arg(&config)
        .args(["--database-url", url])
        .args(["--admin-password", ADMIN_PASSWORD])
        .args(["--trusted-proxies", "127.0.0.1"])
        .args(["--webhook-allow", "127.0.0.0/8"])
        .args(more)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(dir.join("serve.log")).unwrap(),
        ))
        .spawn()
        .expect("starting loopdesk serve");
    Running(child)
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} never became ready");
}

fn haproxy() -> Option<PathBuf> {
    ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// haproxy in front of the instances: round robin, each instance checked every 200 ms, a
/// request that could not reach its instance sent to another.
fn balance(dir: &Path, port: u16, instances: &[u16]) -> Running {
    let mut cfg = format!(
        "global\n  maxconn 2000\n\
         defaults\n  mode http\n  timeout connect 1s\n  timeout client 30s\n  timeout server 30s\n\
         \x20 retries 3\n  option redispatch\n  option forwardfor\n\
         frontend desk\n  bind 127.0.0.1:{port}\n  default_backend instances\n\
         backend instances\n  balance roundrobin\n  option httpchk GET /readyz\n"
    );
    for (i, p) in instances.iter().enumerate() {
        cfg.push_str(&format!(
            "  server i{i} 127.0.0.1:{p} check inter 200ms fall 1 rise 2\n"
        ));
    }
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, cfg).unwrap();
    let child = Command::new(haproxy().expect("haproxy"))
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(dir.join("haproxy.log")).unwrap(),
        ))
        .spawn()
        .expect("starting haproxy");
    Running(child)
}

async fn login(client: &reqwest::Client, base: &str, user: &str, password: &str) -> String {
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": user, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Posts JSON; answers the status and body (a connection that failed: status 0).
async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    key: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let mut req = client.post(url).bearer_auth(token).json(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

/// A small PNG (8×8), built by hand.
fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(8, 8, |x, y| image::Rgb([x as u8 * 30, y as u8 * 30, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_behind_haproxy_lose_nothing_when_one_is_killed() {
    let Ok(server) = std::env::var("LOOPDESK_TEST_POSTGRES") else {
        eprintln!("skipped: set LOOPDESK_TEST_POSTGRES=postgres://… to run the fleet");
        return;
    };
    if haproxy().is_none() {
        assert!(
            std::env::var("LOOPDESK_REQUIRE_FLEET").is_err(),
            "haproxy is required (LOOPDESK_REQUIRE_FLEET) but not installed"
        );
        eprintln!("skipped: haproxy is not installed");
        return;
    }
    let name = format!("loopdesk_fleet_{}", std::process::id());
    let url = loopdesk_store::create_database(&server, &name)
        .await
        .expect("a database");
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();

    // The first instance makes the schema and the admin; the others join it.
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let direct: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let mut instances = vec![Some(serve(&url, &dir.path().join("i0"), ports[0]))];
    wait_ready(&client, &direct[0]).await;
    for (i, port) in ports.iter().enumerate().skip(1) {
        instances.push(Some(serve(&url, &dir.path().join(format!("i{i}")), *port)));
    }
    for base in &direct {
        wait_ready(&client, base).await;
    }
    let lb_port = free_port();
    let _haproxy = balance(dir.path(), lb_port, &ports);
    let lb = format!("http://127.0.0.1:{lb_port}");
    wait_ready(&client, &lb).await;
    let admin = login(&client, &lb, "admin", ADMIN_PASSWORD).await;

    // SLA: five P1 tickets on a one-minute promise, made now. Their warnings (45 s), breaches
    // and escalations (60 s) fall due while the fleet works on — and another instance is
    // killed just before the breaches — and each must be recorded once, the supervisor told.
    let (status, _) = post(
        &client,
        &format!("{lb}/api/v1/users"),
        &admin,
        None,
        &json!({ "username": "sup-fleet", "password": "fleet-supervisor-pw-1", "roles": ["supervisor"] }),
    )
    .await;
    assert_eq!(status, 201);
    let (status, policy) = post(
        &client,
        &format!("{lb}/api/v1/sla-policies"),
        &admin,
        None,
        &json!({
            "name": "一分钟响应", "priority": 1,
            "first_response_minutes": 1, "resolution_minutes": 10,
            "escalation": [{ "level": 1, "after_breach_minutes": 0, "notify_roles": ["supervisor"] }]
        }),
    )
    .await;
    assert_eq!(status, 201, "{policy}");
    let sla_started = tokio::time::Instant::now();
    let mut promised = BTreeSet::new();
    for i in 0..5 {
        let (status, t) = post(
            &client,
            &format!("{lb}/api/v1/tickets"),
            &admin,
            None,
            &json!({ "subject": format!("机房空调停机 {i}"), "priority": 1, "channel": "phone" }),
        )
        .await;
        assert_eq!(status, 201, "{t}");
        assert_eq!(t["sla"]["policy_id"], policy["id"]);
        promised.insert(t["id"].as_str().unwrap().to_owned());
    }

    // A webhook receiver on loopback, keeping each delivery's id and ticket.
    let got: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let kept = got.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let kept = kept.clone();
            async move {
                let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let delivery = headers
                    .get("x-loopdesk-delivery")
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let ticket = v["ticket"]["id"].as_str().unwrap_or_default().to_owned();
                kept.lock().unwrap().push((delivery, ticket));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let hooks = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", hooks.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(hooks, receiver).await });
    let (status, _) = post(
        &client,
        &format!("{lb}/api/v1/webhooks"),
        &admin,
        None,
        &json!({ "url": hook_url, "secret": "whsec-0123456789abcdef", "events": ["ticket.created"] }),
    )
    .await;
    assert_eq!(status, 201);

    // A file uploaded through one instance downloads whole through another.
    let (status, ticket) = post(
        &client,
        &format!("{}/api/v1/tickets", direct[0]),
        &admin,
        None,
        &json!({ "subject": "冷库温度报警", "priority": 2, "channel": "phone" }),
    )
    .await;
    assert_eq!(status, 201, "{ticket}");
    let ticket_id = ticket["id"].as_str().unwrap().to_owned();
    let photo = png();
    let form = reqwest::multipart::Form::new().text("kind", "before").part(
        "file",
        reqwest::multipart::Part::bytes(photo.clone()).file_name("before.png"),
    );
    let r = client
        .post(format!(
            "{}/api/v1/tickets/{ticket_id}/attachments",
            direct[1]
        ))
        .bearer_auth(&admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let attachment = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = client
        .get(format!("{}/api/v1/attachments/{attachment}", direct[2]))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), photo.as_slice());

    // Signed out on one instance: at once refused on another that had just let it in.
    let token = login(&client, &lb, "admin", ADMIN_PASSWORD).await;
    let me = |base: &str| {
        client
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(me(&direct[2]).await.unwrap().status(), 200);
    let r = client
        .post(format!("{}/api/v1/auth/logout", direct[0]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let mut refused_after = None;
    for waited in 0..50 {
        if me(&direct[2]).await.unwrap().status() == 401 {
            refused_after = Some(waited * 20);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The cache of checked tokens would have let it in for up to 10 s.
    assert!(
        refused_after.is_some(),
        "a signed-out token still worked on another instance after 1 s"
    );

    // Wrong passwords for one account, spread over the instances, meet one limit: the five
    // free failures, then a wait, wherever the next guess lands.
    let mut statuses = Vec::new();
    for i in 0..7 {
        let r = client
            .post(format!("{}/api/v1/auth/login", direct[i % 3]))
            .json(&json!({ "username": "admin", "password": format!("guess-{i}") }))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 401, 401, 429],
        "{statuses:?}"
    );

    // Writers through the balancer; one instance is killed while they write.
    let writers = 6;
    let acked: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let lost_in_flight = Arc::new(Mutex::new(0usize));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (client, lb, admin) = (client.clone(), lb.clone(), admin.clone());
        let (acked, stop, lost) = (acked.clone(), stop.clone(), lost_in_flight.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let key = format!("fleet-{w}-{n}");
                let body = json!({ "subject": format!("空调不制冷 {w}-{n}"), "priority": 3, "channel": "phone" });
                // A request cut off with the instance that had it is sent again with the same
                // key: the ticket is made once.
                let mut done = false;
                for _ in 0..5 {
                    let (status, t) =
                        post(&client, &format!("{lb}/api/v1/tickets"), &admin, Some(&key), &body)
                            .await;
                    if status == 201 || status == 200 {
                        let id = t["id"].as_str().unwrap_or_default().to_owned();
                        acked.lock().unwrap().insert(key.clone(), id);
                        done = true;
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                if !done {
                    *lost.lock().unwrap() += 1;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let killed = instances[1].take().unwrap();
    let pid = killed.0.id();
    let status = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    drop(killed);
    let before_kill = acked.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > before_kill,
        "writes went on after the kill: {before_kill} then {}",
        acked.len()
    );
    assert_eq!(
        *lost_in_flight.lock().unwrap(),
        0,
        "a request failed five times running"
    );

    // Every acknowledged ticket is there, once.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let stored: Vec<(String,)> = sqlx::query_as("SELECT id FROM tickets")
        .fetch_all(&pool)
        .await
        .unwrap();
    let stored: BTreeSet<String> = stored
        .into_iter()
        .map(|r| r.0)
        .filter(|id| !promised.contains(id))
        .collect();
    let distinct: BTreeSet<&String> = acked.values().collect();
    assert_eq!(distinct.len(), acked.len(), "two keys answered one ticket");
    for (key, id) in &acked {
        assert!(stored.contains(id), "acknowledged {key} ({id}) is missing");
    }
    assert_eq!(
        stored.len(),
        acked.len() + 1,
        "a ticket was made that nobody was told of, or twice"
    );

    // Every ticket's webhook arrives, each under one delivery id (the killed instance's
    // claimed deliveries are taken over once their 5 s lease ends).
    let mut delivered = BTreeMap::new();
    for _ in 0..300 {
        delivered = BTreeMap::new();
        // (The SLA tickets came before the webhook; it may or may not hear of them.)
        for (delivery, ticket) in got
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, t)| !promised.contains(t))
        {
            delivered
                .entry(ticket.clone())
                .or_insert_with(BTreeSet::new)
                .insert(delivery.clone());
        }
        if delivered.len() >= stored.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        delivered.keys().cloned().collect::<BTreeSet<_>>(),
        stored,
        "a ticket's webhook never came"
    );
    for (ticket, ids) in &delivered {
        assert_eq!(ids.len(), 1, "{ticket} was announced as {ids:?}");
    }
    let sends = got.lock().unwrap().len();
    eprintln!(
        "fleet: {} tickets acknowledged ({before_kill} before the kill), {} webhook sends for {} deliveries; sign-out refused elsewhere after {} ms",
        acked.len(),
        sends,
        delivered.len(),
        refused_after.unwrap_or_default()
    );

    // The SLA's marks: another instance killed two seconds before the breaches fall due.
    tokio::time::sleep_until(sla_started + Duration::from_secs(58)).await;
    let second = instances[2].take().unwrap();
    let status = Command::new("kill")
        .args(["-9", &second.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    drop(second);
    let kinds = ["sla_warning", "sla_breached", "escalated"];
    let mut marks: BTreeMap<(String, String), i64> = BTreeMap::new();
    while sla_started.elapsed() < Duration::from_secs(110) {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT ticket_id, kind, COUNT(*) FROM ticket_events \
             WHERE kind IN ('sla_warning', 'sla_breached', 'escalated') GROUP BY ticket_id, kind",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        marks = rows
            .into_iter()
            .filter(|(t, _, _)| promised.contains(t))
            .map(|(t, k, n)| ((t, k), n))
            .collect();
        if marks.len() == promised.len() * kinds.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for ticket in &promised {
        for kind in kinds {
            let n = marks.get(&(ticket.clone(), kind.to_owned())).copied();
            assert_eq!(n, Some(1), "{ticket}: {kind} recorded {n:?} times");
        }
    }
    let told: Vec<(String, i64)> = sqlx::query_as(
        "SELECT n.ticket_id, COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id \
         WHERE u.username = 'sup-fleet' AND n.event = 'sla.escalated' GROUP BY n.ticket_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let told: BTreeMap<String, i64> = told.into_iter().collect();
    for ticket in &promised {
        assert_eq!(
            told.get(ticket),
            Some(&1),
            "the supervisor was told of {ticket}: {told:?}"
        );
    }
    eprintln!(
        "fleet: {} SLA marks on {} tickets, each once, across a second kill; {:.0} s",
        marks.len(),
        promised.len(),
        sla_started.elapsed().as_secs_f64()
    );

    drop(instances);
    pool.close().await;
    loopdesk_store::drop_database(&server, &name).await.unwrap();
}

/// PostgreSQL's server programs (Debian keeps them out of `PATH`).
fn pg_bin(name: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop()
}

/// Runs a command as the `postgres` user; panics with its output when it fails.
fn as_postgres(program: &Path, args: &[&str]) {
    let out = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(program)
        .args(args)
        .output()
        .expect("runuser");
    assert!(
        out.status.success(),
        "{} {args:?}: {}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A streaming replica of the test server, stopped when dropped.
struct Replica {
    dir: PathBuf,
    pg_ctl: PathBuf,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let dir = self.dir.to_string_lossy().into_owned();
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&self.pg_ctl)
            .args(["-D", &dir, "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Copies the test server with `pg_basebackup` and starts the copy as a hot standby on `port`.
fn start_replica(port: u16) -> Replica {
    let pg_ctl = pg_bin("pg_ctl").expect("pg_ctl");
    let dir = std::env::temp_dir().join(format!("loopdesk-replica-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // The server's own, and only its own (it refuses to start otherwise).
    let owned = Command::new("chown")
        .args(["postgres:postgres"])
        .arg(&dir)
        .status()
        .unwrap();
    assert!(owned.success());
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let replica = Replica {
        dir: dir.clone(),
        pg_ctl: pg_ctl.clone(),
    };
    let d = dir.to_string_lossy().into_owned();
    as_postgres(
        &pg_bin("pg_basebackup").expect("pg_basebackup"),
        &[
            "-h",
            "127.0.0.1",
            "-p",
            "5432",
            "-U",
            "postgres",
            "-D",
            &d,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        ],
    );
    // Debian keeps a cluster's settings outside its directory: the copy gets its own.
    for (file, text) in [
        ("postgresql.conf", "hot_standby = on\n"),
        (
            "pg_hba.conf",
            "local all all trust\nhost all all 127.0.0.1/32 trust\n",
        ),
        ("pg_ident.conf", ""),
    ] {
        as_postgres(
            Path::new("/bin/sh"),
            &["-c", &format!("printf '{text}' > {d}/{file}")],
        );
    }
    as_postgres(
        &pg_ctl,
        &[
            "-D",
            &d,
            "-l",
            &format!("{d}/replica.log"),
            "-w",
            "-o",
            &format!("-p {port} -c listen_addresses=127.0.0.1 -k {d}"),
            "start",
        ],
    );
    replica
}

/// The KPI answer for a fixed period (only its rows).
async fn kpis(client: &reqwest::Client, base: &str, token: &str, period: &str) -> Value {
    let r = client
        .get(format!("{base}/api/v1/kpis?metrics=backlog&{period}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["rows"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_read_from_a_streaming_replica() {
    let Ok(server) = std::env::var("LOOPDESK_TEST_POSTGRES") else {
        eprintln!("skipped: set LOOPDESK_TEST_POSTGRES=postgres://… to run the fleet");
        return;
    };
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    if pg_bin("pg_basebackup").is_none() || !root {
        assert!(
            std::env::var("LOOPDESK_REQUIRE_FLEET").is_err(),
            "a replica is required (LOOPDESK_REQUIRE_FLEET): PostgreSQL's server programs, run as root"
        );
        eprintln!("skipped: no PostgreSQL server programs, or not root");
        return;
    }
    let name = format!("loopdesk_replica_{}", std::process::id());
    let url = loopdesk_store::create_database(&server, &name)
        .await
        .expect("a database");
    let replica_port = free_port();
    let _replica = start_replica(replica_port);
    let replica_url = format!("postgres://postgres@127.0.0.1:{replica_port}/{name}");
    let standby = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&replica_url)
        .await
        .expect("the replica answers");

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _serving = serve_with(
        &url,
        dir.path(),
        port,
        &["--read-database-url", &replica_url],
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_ready(&client, &base).await;
    let admin = login(&client, &base, "admin", ADMIN_PASSWORD).await;
    // The server keeps the wall clock (a separate process): so does the period asked for.
    let now = loopdesk_core::clock::Clock::now(&loopdesk::SystemClock);
    let period = format!(
        "from={}&to={}",
        (now - chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let ticket = json!({ "subject": "配电柜跳闸", "priority": 2, "channel": "phone" });
    let url_tickets = format!("{base}/api/v1/tickets");
    let empty = kpis(&client, &base, &admin, &period).await;
    for _ in 0..3 {
        assert_eq!(
            post(&client, &url_tickets, &admin, None, &ticket).await.0,
            201
        );
    }
    // The replica catches up: the dashboard shows the tickets.
    let mut seen = empty.clone();
    for _ in 0..100 {
        seen = kpis(&client, &base, &admin, &period).await;
        if seen != empty {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(seen, empty, "the dashboard never showed the new tickets");

    // The replica stops replaying: new tickets are in the database, not on the dashboard,
    // which so reads the replica…
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&standby)
        .await
        .unwrap();
    for _ in 0..100 {
        let state: String = sqlx::query_scalar("SELECT pg_get_wal_replay_pause_state()")
            .fetch_one(&standby)
            .await
            .unwrap();
        if state == "paused" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..2 {
        assert_eq!(
            post(&client, &url_tickets, &admin, None, &ticket).await.0,
            201
        );
    }
    let r = client
        .get(format!("{base}/api/v1/tickets?limit=100"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let listed = r.json::<Value>().await.unwrap()["items"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(listed, 5, "the ticket list reads the database");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(kpis(&client, &base, &admin, &period).await, seen);

    // …and shows them once it replays again.
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&standby)
        .await
        .unwrap();
    let mut after = seen.clone();
    for _ in 0..100 {
        after = kpis(&client, &base, &admin, &period).await;
        if after != seen {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(
        after, seen,
        "the dashboard never caught up with the replica"
    );
    standby.close().await;
    drop(_serving);
    // Connections to the database on the replica end with the replica (dropped above);
    // the primary's copy goes now.
    loopdesk_store::drop_database(&server, &name).await.unwrap();
}
