//! `loopdesk-bench search`: search at scale. Builds its own data set (SQLite in a temporary
//! directory, or a fresh database on the PostgreSQL server given), measures, prints and
//! asserts nothing.
//!
//! 1. `--customers` customers with a contact each, then `--tickets` tickets of generated
//!    Chinese service text (a device, a fault, a place, a few sentences, now and then a spare
//!    part, the caller's phone) created through the store as the API does, with a public
//!    reply on every `--reply-every`-th; the index is written with them.
//! 2. The whole index rebuilt (`loopdesk search reindex`'s work): build time; its size beside
//!    the text it covers.
//! 3. Queries of 1, 2 and 3 words, common and rare, by `--searchers` concurrent searchers as
//!    an agent (every ticket visible: the most to rank) while tickets are created at
//!    `--create-rate` a second: p50 / p95 / p99 per class, in-process (no HTTP).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use loopdesk_core::clock::Clock;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::ticket::Channel;
use loopdesk_core::{Role, Roles, UserId};
use loopdesk_store::{NewContact, NewCustomer, NewTicket, TenantStore};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use loopdesk::app;
use loopdesk::config::Config;
use loopdesk::SystemClock;

/// Flags of `search`.
#[derive(Args, Debug, Clone)]
pub struct BenchSearchArgs {
    /// Tickets to load.
    #[arg(long, default_value_t = 1_000_000)]
    pub tickets: usize,
    /// Customers (each with one contact and phone).
    #[arg(long, default_value_t = 2_000)]
    pub customers: usize,
    /// A public reply on every n-th ticket.
    #[arg(long, default_value_t = 10)]
    pub reply_every: usize,
    /// Concurrent searchers.
    #[arg(long, default_value_t = 10)]
    pub searchers: usize,
    /// Queries per class.
    #[arg(long, default_value_t = 400)]
    pub queries: usize,
    /// Tickets created per second while the queries run.
    #[arg(long, default_value_t = 100)]
    pub create_rate: u64,
    /// A PostgreSQL server (a fresh database is made on it and dropped afterwards); default:
    /// SQLite in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
    /// SQLite in this directory, kept afterwards; a database there that holds tickets already
    /// is searched as it is (no loading, no rebuild): for trying changes to the queries.
    #[arg(long, conflicts_with = "database_url")]
    pub keep_in: Option<std::path::PathBuf>,
}

const DEVICES: &[&str] = &[
    "空调",
    "冷柜",
    "电梯",
    "打印机",
    "门禁",
    "热水器",
    "锅炉",
    "冷库",
    "变频器",
    "水泵",
    "监控摄像头",
    "复印机",
    "服务器",
    "新风机",
    "净水器",
    "消防报警器",
    "发电机",
    "叉车",
    "扶梯",
    "冷却塔",
];
const FAULTS: &[&str] = &[
    "不制冷",
    "漏水",
    "异响",
    "无法启动",
    "跳闸",
    "报警",
    "温度过高",
    "噪音大",
    "卡纸",
    "无法读卡",
    "漏电",
    "压力不足",
    "网络中断",
    "显示故障代码",
    "频繁停机",
    "振动明显",
    "有焦味",
    "遥控失灵",
    "出水量小",
    "不出热水",
];
const PLACES: &[&str] = &[
    "三楼会议室",
    "一号机房",
    "前台",
    "地下车库",
    "厨房",
    "冷链仓库",
    "二楼办公区",
    "大堂",
    "五楼病房",
    "收银区",
    "生产车间",
    "员工食堂",
    "屋顶",
    "配电房",
    "宿舍楼",
];
const SENTENCES: &[&str] = &[
    "客户反映已经持续两天",
    "需要尽快安排工程师上门处理",
    "上次维修后又出现同样的问题",
    "客户要求下午两点以后到场",
    "现场有人值守，请提前电话联系",
    "设备仍在保修期内，请带好保修卡",
    "影响正常营业，客户比较着急",
    "夜间值班人员发现后报修",
    "已经尝试重启，没有效果",
    "请携带备用配件",
];
/// Spare parts: each ticket names one with a small chance, so each part is a rare word.
const PARTS: &[&str] = &[
    "膨胀阀",
    "冷凝器",
    "蒸发器",
    "电磁阀",
    "继电器",
    "接触器",
    "变压器",
    "温控器",
    "定影器",
    "搓纸轮",
    "轴承",
    "皮带",
    "滤芯",
    "压力开关",
    "电容",
    "主板",
    "显示屏",
    "门锁电机",
    "读卡模块",
    "风扇电机",
    "加热管",
    "液位计",
    "限位开关",
    "编码器",
];
const NAMES: &[&str] = &[
    "华润", "绿地", "万科", "申通", "光明", "锦江", "百联", "东方", "仁济", "瑞金",
];
const SUFFIXES: &[&str] = &[
    "置地", "集团", "物业", "医院", "酒店", "超市", "学校", "工厂",
];

/// Runs the benchmark and prints what it measured.
pub async fn run(args: BenchSearchArgs) -> anyhow::Result<()> {
    let server = args.database_url.clone();
    crate::scratch::with_scratch_database(
        server.as_deref(),
        "bench_search",
        false,
        |cfg| async move { measure(&args, &cfg).await },
    )
    .await
}

fn phone(i: usize) -> String {
    format!("139{:08}", i * 7919 % 100_000_000)
}

fn ticket(rng: &mut StdRng, customers: usize) -> NewTicket {
    let device = DEVICES[rng.gen_range(0..DEVICES.len())];
    let fault = FAULTS[rng.gen_range(0..FAULTS.len())];
    let place = PLACES[rng.gen_range(0..PLACES.len())];
    let mut description = format!("{place}的{device}{fault}。");
    for _ in 0..rng.gen_range(1..4) {
        description.push_str(SENTENCES[rng.gen_range(0..SENTENCES.len())]);
        description.push('，');
    }
    if rng.gen_bool(0.05) {
        description.push_str(&format!(
            "怀疑{}损坏，",
            PARTS[rng.gen_range(0..PARTS.len())]
        ));
    }
    description.push_str(&format!(
        "设备编号 SN-{:06X}。",
        rng.gen_range(0..0xFF_FFFF)
    ));
    NewTicket {
        subject: format!("{place}{device}{fault}"),
        description,
        priority: rng.gen_range(1..=4),
        channel: Channel::Phone,
        customer_id: None,
        contact_phone: Some(phone(rng.gen_range(0..customers.max(1)))),
        site_id: None,
        asset_id: None,
        category: None,
        fields: None,
    }
}

async fn measure(args: &BenchSearchArgs, cfg: &Config) -> anyhow::Result<()> {
    let mut cfg = cfg.clone();
    if let Some(dir) = &args.keep_in {
        std::fs::create_dir_all(dir)?;
        cfg.database_url = loopdesk::config::sqlite_url(dir).into();
        cfg.data_dir.clone_from(dir);
    }
    let cfg = &cfg;
    let url = cfg.database_url.expose();
    let store = app::open_store(cfg).await?;
    // What `serve` runs beside the requests: the planner's statistics kept up with the tables.
    let statistics = tokio::spawn({
        let store = store.clone();
        async move { store.keep_statistics(std::future::pending()).await }
    });
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let boot = app::bootstrap(&store, cfg.admin_password.as_deref(), clock.as_ref()).await?;
    let tenant = store.tenant(boot.tenant.id);
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "search benchmark on {backend}: {} tickets, {} customers, a reply on every {}th",
        args.tickets, args.customers, args.reply_every
    );

    let reused = args.keep_in.is_some() && store.search_sources().await? > 10_000;
    if !reused {
        load(args, &tenant, clock.as_ref()).await?;
        // 2. The whole index rebuilt, and its size.
        let started = Instant::now();
        let built = store.reindex_search(|_, _| {}).await?;
        println!(
            "  index rebuilt: {} documents in {:.0} s",
            built.documents,
            started.elapsed().as_secs_f64()
        );
    }
    // As autovacuum would have by now on a live system.
    store.analyze().await?;
    let size = store.search_index_size().await?;
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "  index {:.0} MiB for {:.0} MiB of ticket text: {:.2}× (of which the document map {:.0} MiB)",
        mib(size.index),
        mib(size.text),
        size.index as f64 / size.text.max(1) as f64,
        mib(size.map)
    );
    queries(args, &tenant, clock).await?;
    statistics.abort();
    store.close().await;
    Ok(())
}

/// Customers, then tickets (and replies) through the store.
async fn load(
    args: &BenchSearchArgs,
    tenant: &TenantStore,
    clock: &dyn Clock,
) -> anyhow::Result<()> {
    for i in 0..args.customers {
        let name = format!(
            "{}{}{}",
            NAMES[i % NAMES.len()],
            SUFFIXES[(i / NAMES.len()) % SUFFIXES.len()],
            i
        );
        let new = NewCustomer {
            name,
            kind: None,
            tier: None,
            region_id: None,
            tags: Vec::new(),
            contacts: vec![NewContact {
                name: format!("联系人{i}"),
                phone: Some(phone(i)),
                ..NewContact::default()
            }],
            sites: Vec::new(),
        };
        tenant.create_customer(new, clock.now()).await?;
    }
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(20261205);
    let mut made = 0;
    while made < args.tickets {
        let n = (args.tickets - made).min(1000);
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..n {
            let tenant = tenant.clone();
            let t = ticket(&mut rng, args.customers);
            let reply = (made + i) % args.reply_every.max(1) == 0;
            let now = clock.now();
            tasks.spawn(async move {
                let (created, _) = tenant.create_ticket(&Actor::System, t, None, now).await?;
                if reply {
                    tenant
                        .add_comment(
                            &Actor::System,
                            created.id,
                            "已安排工程师，预计明天上午到场，请保持电话畅通",
                            false,
                            now,
                        )
                        .await?;
                }
                anyhow::Ok(())
            });
        }
        while let Some(r) = tasks.join_next().await {
            r??;
        }
        made += n;
        if made % 100_000 == 0 || made == args.tickets {
            println!("  {made} tickets, {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  loaded in {secs:.0} s ({:.0} tickets/s with their index documents)",
        args.tickets as f64 / secs
    );
    Ok(())
}

/// Queries of each class while tickets keep coming.
async fn queries(
    args: &BenchSearchArgs,
    tenant: &TenantStore,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let agent = Actor::User {
        id: UserId::new(),
        roles: [Role::Agent].into_iter().collect::<Roles>(),
        customer_id: None,
        region_id: None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let tenant = tenant.clone();
        let stop = stop.clone();
        let clock = clock.clone();
        let rate = args.create_rate.max(1);
        let customers = args.customers;
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(7);
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let t = ticket(&mut rng, customers);
                let tenant = tenant.clone();
                let now = clock.now();
                tokio::spawn(
                    async move { tenant.create_ticket(&Actor::System, t, None, now).await },
                );
                n += 1;
            }
            n
        })
    };
    let classes: [(&str, Vec<String>); 6] = [
        (
            "1 word, common",
            DEVICES.iter().map(|d| (*d).to_owned()).collect(),
        ),
        (
            "1 word, rare",
            PARTS.iter().map(|p| (*p).to_owned()).collect(),
        ),
        ("2 words, common", pairs(DEVICES, FAULTS)),
        ("2 words, rare", pairs(PARTS, &["损坏"])),
        ("3 words, common", triples(DEVICES, FAULTS, PLACES)),
        ("3 words, rare", triples(PARTS, &["怀疑"], &["损坏"])),
    ];
    println!(
        "  {} searchers, {} queries a class, while {} tickets/s are created:",
        args.searchers, args.queries, args.create_rate
    );
    let started = Instant::now();
    for (label, queries) in classes {
        let lat = timed(tenant, &agent, &queries, args.searchers, args.queries).await?;
        let (hits, q) = lat.1;
        let pick = |p: f64| lat.0[((lat.0.len() - 1) as f64 * p).round() as usize];
        println!(
            "    {label:<16} p50 {:6.1} ms  p95 {:6.1} ms  p99 {:6.1} ms  (e.g. {q:?}: {hits} on the first page)",
            pick(0.5),
            pick(0.95),
            pick(0.99)
        );
    }
    stop.store(true, Ordering::Relaxed);
    let created = writer.await?;
    println!(
        "  created meanwhile: {created} tickets in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn pairs(a: &[&str], b: &[&str]) -> Vec<String> {
    a.iter()
        .flat_map(|x| b.iter().map(move |y| format!("{x} {y}")))
        .collect()
}

fn triples(a: &[&str], b: &[&str], c: &[&str]) -> Vec<String> {
    a.iter()
        .flat_map(|x| {
            b.iter()
                .flat_map(move |y| c.iter().map(move |z| format!("{x} {y} {z}")))
        })
        .collect()
}

/// Latencies in ms, sorted; and the first query with its first page's size.
async fn timed(
    tenant: &TenantStore,
    actor: &Actor,
    queries: &[String],
    searchers: usize,
    total: usize,
) -> anyhow::Result<(Vec<f64>, (usize, String))> {
    let mut tasks = tokio::task::JoinSet::new();
    for s in 0..searchers.max(1) {
        let tenant = tenant.clone();
        let actor = actor.clone();
        let queries = queries.to_vec();
        let share = total / searchers.max(1);
        tasks.spawn(async move {
            let mut rng = StdRng::seed_from_u64(s as u64);
            let mut out = Vec::with_capacity(share);
            let mut first = None;
            for _ in 0..share {
                let q = &queries[rng.gen_range(0..queries.len())];
                let t = Instant::now();
                let page = tenant.search(&actor, q, &[], 20, None).await?;
                out.push(t.elapsed().as_secs_f64() * 1000.0);
                first.get_or_insert_with(|| (page.items.len(), q.clone()));
            }
            anyhow::Ok((out, first))
        });
    }
    let mut all = Vec::new();
    let mut example = (0, String::new());
    while let Some(r) = tasks.join_next().await {
        let (lat, first) = r??;
        all.extend(lat);
        if let Some(f) = first {
            example = f;
        }
    }
    all.sort_by(f64::total_cmp);
    if all.is_empty() {
        all.push(0.0);
    }
    Ok((all, example))
}
