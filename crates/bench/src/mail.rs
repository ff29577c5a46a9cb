//! `loopdesk-bench mail`: raw mails through the inbound path. It starts Loopdesk in-process on
//! a scratch database (SQLite in a temporary directory, or a fresh database on the PostgreSQL
//! server given) with one mail channel and 50 customers whose contacts write in, then pipes
//! `--messages` raw mails (`POST /api/v1/channels/{id}/messages`, as an MTA would) from
//! `--clients` concurrent senders: new requests in UTF-8, GBK and Big5 (quoted-printable and
//! base64 among them), one in ten a reply to an earlier one, 2 % auto-replies, 1 % malformed.
//! It prints messages/s, p50/p95/p99 per message and the outcomes, and as its anchor the rate
//! at which this machine merely parses the same mails (core's reader, one core), in the same
//! run. With `--imap` the same mails go into a Dovecot mailbox on loopback instead, and one
//! fetch of the whole mailbox through a mail channel is timed, beside how fast Dovecot hands
//! the mailbox out. It asserts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use loopdesk::app;
use loopdesk::config::Config;

/// Flags of `mail`.
#[derive(Args, Debug, Clone)]
pub struct BenchMailArgs {
    /// Raw messages to pipe in.
    #[arg(long, default_value_t = 10_000)]
    pub messages: usize,
    /// Concurrent senders.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// A PostgreSQL server (a fresh database is made on it and dropped afterwards); default:
    /// SQLite in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Put the mails into a Dovecot mailbox on loopback (Debian's dovecot-imapd) and time
    /// one fetch of the whole mailbox by IMAP instead of piping them in.
    #[arg(long)]
    pub imap: bool,
}

/// Runs the benchmark and prints what it measured.
pub async fn run(args: BenchMailArgs) -> anyhow::Result<()> {
    let server = args.database_url.clone();
    crate::scratch::with_scratch_database(
        server.as_deref(),
        "bench_mail",
        false,
        |cfg| async move { measure(&args, &cfg).await },
    )
    .await
}

/// 空调不制冷，请派人。 in GBK.
const GBK: &[u8] = &[
    0xbf, 0xd5, 0xb5, 0xf7, 0xb2, 0xbb, 0xd6, 0xc6, 0xc0, 0xe4, 0xa3, 0xac, 0xc7, 0xeb, 0xc5, 0xc9,
    0xc8, 0xcb, 0xa1, 0xa3,
];

const SUBJECTS: [&str; 6] = [
    "空调不制冷",
    "电梯异响",
    "冷柜温度过高",
    "热水器打不着火",
    "门禁失灵",
    "复印机卡纸",
];

/// The mails, made before the clock starts: (raw bytes, what kind).
fn mails(n: usize, senders: &[String], rng: &mut StdRng) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(n);
    let mut firsts: Vec<(String, String)> = Vec::new();
    for i in 0..n {
        let id = format!("bench-{i}@mail.test");
        let from = &senders[rng.gen_range(0..senders.len())];
        let roll = rng.gen_range(0..100);
        let raw = if roll == 0 {
            // Malformed: no header, no sender, bytes.
            (0..rng.gen_range(20..200))
                .map(|_| rng.gen::<u8>())
                .collect()
        } else if roll <= 2 {
            format!(
                "From: {from}\r\nSubject: =?UTF-8?B?6Ieq5Yqo5Zue5aSN?=\r\nMessage-ID: <{id}>\r\n\
                 Auto-Submitted: auto-replied\r\n\r\nI am away.\r\n"
            )
            .into_bytes()
        } else if roll <= 12 && !firsts.is_empty() {
            let (first, first_from) = &firsts[rng.gen_range(0..firsts.len())];
            format!(
                "From: {first_from}\r\nSubject: Re: =?UTF-8?B?6KGl5YWF?=\r\nMessage-ID: <{id}>\r\n\
                 In-Reply-To: <{first}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                 补充一下：下午两点以后有人在。\r\n\r\n在 2026年12月1日 10:00，客服 写道：\r\n> 已收到\r\n"
            )
            .into_bytes()
        } else {
            firsts.push((id.clone(), from.clone()));
            let subject = SUBJECTS[rng.gen_range(0..SUBJECTS.len())];
            match rng.gen_range(0..4) {
                0 => {
                    let mut m = format!(
                        "From: {from}\r\nSubject: =?GB2312?B?sajQ3qO6v9W19w==?=\r\nMessage-ID: <{id}>\r\n\
                         Content-Type: text/plain; charset=GBK\r\n\r\n"
                    )
                    .into_bytes();
                    m.extend_from_slice(GBK);
                    m
                }
                1 => format!(
                    "From: {from}\r\nSubject: x\r\nMessage-ID: <{id}>\r\n\
                     Content-Type: text/plain; charset=big5\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                     =B9q=B1=E8=ACG=BB=D9=A1A=BD=D0=BA=C9=A7=D6=B3B=B2z=A1C\r\n"
                )
                .into_bytes(),
                2 => format!(
                    "From: {from}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
                     Content-Type: text/plain; charset=gb18030\r\nContent-Transfer-Encoding: base64\r\n\r\n\
                     v9W197K71sbA5KOsx+vFycjLoaM=\r\n"
                )
                .into_bytes(),
                _ => format!(
                    "From: {from}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\n\
                     Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\n\
                     Content-Type: text/plain; charset=utf-8\r\n\r\n{subject}，请尽快安排工程师上门。\r\n--b\r\n\
                     Content-Type: text/html; charset=utf-8\r\n\r\n<p>{subject}，请尽快安排工程师上门。</p>\r\n--b--\r\n"
                )
                .into_bytes(),
            }
        };
        out.push(raw);
    }
    out
}

async fn measure(args: &BenchMailArgs, cfg: &Config) -> anyhow::Result<()> {
    let store = app::open_store(cfg).await?;
    let clock: Arc<dyn loopdesk_core::clock::Clock> = Arc::new(loopdesk::SystemClock);
    let boot = app::bootstrap(&store, cfg.admin_password.as_deref(), clock.as_ref()).await?;
    let t = store.tenant(boot.tenant.id);
    let now = clock.now();
    let mut senders = Vec::new();
    for i in 0..50 {
        let email = format!("contact{i}@customer{i}.cn");
        t.create_customer(
            loopdesk_store::NewCustomer {
                name: format!("客户{i}"),
                contacts: vec![loopdesk_store::NewContact {
                    name: format!("联系人{i}"),
                    email: Some(email.clone()),
                    ..Default::default()
                }],
                ..Default::default()
            },
            now,
        )
        .await?;
        senders.push(email);
    }
    // One in five writes from an address Loopdesk does not know.
    for i in 0..12 {
        senders.push(format!("stranger{i}@163.com"));
    }
    let client = reqwest::Client::new();
    let served = crate::scratch::Served::start(cfg, store.clone(), clock.clone(), &client).await?;
    let (base, token) = (served.base.clone(), served.token.clone());
    let web = served.state.clone();
    let channel: Value = client
        .post(format!("{base}/api/v1/channels"))
        .bearer_auth(&token)
        .json(&json!({ "kind": "email", "name": "bench", "address": "service@bench.test" }))
        .send()
        .await?
        .json()
        .await?;
    let url = format!(
        "{base}/api/v1/channels/{}/messages",
        channel["id"].as_str().context("the channel")?
    );
    let secret = channel["secret"].as_str().context("its secret")?.to_owned();

    let mut rng = StdRng::seed_from_u64(22);
    let all = mails(args.messages, &senders, &mut rng);
    let bytes: usize = all.iter().map(Vec::len).sum();

    // The anchor: reading the same mails, nothing else, on one core.
    let started = Instant::now();
    for m in &all {
        std::hint::black_box(loopdesk_core::inbound::mail::read(
            m,
            Some("service@bench.test"),
        ));
    }
    let parse_rate = all.len() as f64 / started.elapsed().as_secs_f64();

    if args.imap {
        let mailbox = imap(&client, &base, &token, &web, &all).await;
        served.stop().await;
        store.close().await;
        let (taken, took, serve, bytes_served) = mailbox?;
        let rate = taken as f64 / took.as_secs_f64();
        let served = all.len() as f64 / serve.as_secs_f64();
        println!(
            "IMAP mailbox on {}: {taken} of {} messages ({:.1} MB) taken in by one fetch in {:.1} s",
            backend_name(cfg),
            all.len(),
            bytes as f64 / 1e6,
            took.as_secs_f64()
        );
        println!("  {rate:.0} messages/s");
        println!(
            "  anchor: Dovecot hands the mailbox out ({:.1} MB) at {served:.0} messages/s; intake / serving = 1 : {:.0}",
            bytes_served as f64 / 1e6,
            served / rate
        );
        println!(
            "  anchor: reading alone {parse_rate:.0} messages/s on one core (1 : {:.0})",
            parse_rate / rate
        );
        return Ok(());
    }

    // The intake: every mail piped in, in order per sender slot, `clients` at a time.
    let queue = Arc::new(std::sync::Mutex::new(
        all.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let started = Instant::now();
    let mut senders_tasks = Vec::new();
    for _ in 0..args.clients {
        let (queue, client, url, secret) =
            (queue.clone(), client.clone(), url.clone(), secret.clone());
        senders_tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut outcomes: std::collections::BTreeMap<String, usize> = Default::default();
            loop {
                let next = queue.lock().ok().and_then(|mut q| {
                    if q.is_empty() {
                        None
                    } else {
                        Some(q.remove(0))
                    }
                });
                let Some((_, raw)) = next else { break };
                let t0 = Instant::now();
                let r = client
                    .post(&url)
                    .bearer_auth(&secret)
                    .header("content-type", "message/rfc822")
                    .body(raw)
                    .send()
                    .await;
                let outcome = match r {
                    Ok(r) if r.status().is_success() => r
                        .json::<Value>()
                        .await
                        .ok()
                        .and_then(|v| v["outcome"].as_str().map(str::to_owned))
                        .unwrap_or_else(|| "unreadable answer".into()),
                    Ok(r) => format!("HTTP {}", r.status().as_u16()),
                    Err(e) => format!("error: {e}"),
                };
                times.push(t0.elapsed());
                *outcomes.entry(outcome).or_default() += 1;
            }
            (times, outcomes)
        }));
    }
    let mut times: Vec<Duration> = Vec::new();
    let mut outcomes: std::collections::BTreeMap<String, usize> = Default::default();
    for task in senders_tasks {
        let (t, o) = task.await?;
        times.extend(t);
        for (k, v) in o {
            *outcomes.entry(k).or_default() += v;
        }
    }
    let took = started.elapsed();
    served.stop().await;
    let tickets = store
        .tenant(boot.tenant.id)
        .count_tickets(
            &loopdesk_core::ticket::transitions::Actor::System,
            &Default::default(),
        )
        .await?;
    store.close().await;

    let backend = backend_name(cfg);
    let rate = times.len() as f64 / took.as_secs_f64();
    println!(
        "mail intake on {backend}: {} messages ({:.1} MB) from {} senders",
        times.len(),
        bytes as f64 / 1e6,
        args.clients
    );
    println!(
        "  {:.0} messages/s   {}",
        rate,
        crate::stock::percentiles(&mut times)
    );
    println!("  outcomes: {outcomes:?}; tickets: {tickets}");
    println!(
        "  anchor: reading alone {:.0} messages/s on one core; intake / reading = {:.5} (1 : {:.0})",
        parse_rate,
        rate / parse_rate,
        parse_rate / rate
    );
    Ok(())
}

fn backend_name(cfg: &Config) -> &'static str {
    if cfg.database_url.expose().starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// The mails put into a Dovecot mailbox (junk with its NUL bytes made printable: IMAP does
/// not carry them), then one fetch of the whole mailbox through a mail channel: answers how
/// many were taken in and in what time, and how long Dovecot takes to hand them all out.
async fn imap(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    state: &loopdesk_web::AppState,
    all: &[Vec<u8>],
) -> anyhow::Result<(usize, Duration, Duration, usize)> {
    let dovecot = loopdesk_testkit::Dovecot::start()
        .await
        .context("starting Dovecot (Debian's dovecot-imapd)")?;
    let clean: Vec<Vec<u8>> = all
        .iter()
        .map(|m| m.iter().map(|b| if *b == 0 { b'.' } else { *b }).collect())
        .collect();
    let raws: Vec<&[u8]> = clean.iter().map(Vec::as_slice).collect();
    let started = Instant::now();
    dovecot
        .deliver_all(&raws)
        .await
        .context("putting the mails in")?;
    println!(
        "  ({} mails put into the mailbox in {:.1} s)",
        raws.len(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let served = dovecot.fetch_all().await.context("reading the mailbox")?;
    let serve = started.elapsed();
    let url = format!(
        "imap://support%40loopdesk.test:{}@127.0.0.1:{}/INBOX",
        loopdesk_testkit::PASSWORD,
        dovecot.port
    );
    let channel: Value = client
        .post(format!("{base}/api/v1/channels"))
        .bearer_auth(token)
        .json(&json!({ "kind": "email", "name": "bench mailbox", "address": loopdesk_testkit::USER, "imap_url": url }))
        .send()
        .await?
        .json()
        .await?;
    let id = channel["id"]
        .as_str()
        .and_then(loopdesk_core::ChannelId::parse)
        .context("the mailbox channel")?;
    let inbound = state
        .store
        .inbound_channel(id)
        .await?
        .context("the mailbox channel")?;
    let started = Instant::now();
    let taken = loopdesk_web::mailboxes::fetch(state, "bench", &inbound, false).await?;
    Ok((taken, started.elapsed(), serve, served))
}
