//! `loopdesk-bench stock`: builds a stock ledger at scale — `--skus` parts, `--warehouses`
//! warehouses (one central store, regional pools, engineers' vans, each stocking a realistic
//! share of the catalogue) and `--movements` movements of history (receipts, transfers down
//! the chain, consumption, stock counts) — then times the level queries the API serves and
//! the rate of live movements through the same path as `POST /api/v1/stock/movements`. It
//! builds its own database (SQLite in a temporary directory, or a fresh database on the
//! PostgreSQL server given), measures, prints, and asserts nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use clap::Args;
use loopdesk_core::clock::Clock;
use loopdesk_core::inventory::{MovementKind, MovementRequest, NewPart, NewWarehouse};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{MovementId, Role, Roles, WarehouseId};
use loopdesk_store::{LoadLine, NewUser, StockMovementInput, TenantStore};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use loopdesk::app;
use loopdesk::config::Config;

/// Flags of `stock`.
#[derive(Args, Debug, Clone)]
pub struct BenchStockArgs {
    /// Parts in the catalogue.
    #[arg(long, default_value_t = 20_000)]
    pub skus: usize,
    /// Warehouses: one central store, one regional pool per 15, vans for the rest.
    #[arg(long, default_value_t = 300)]
    pub warehouses: usize,
    /// Movements of history to load.
    #[arg(long, default_value_t = 5_000_000)]
    pub movements: usize,
    /// Seconds of live movements to time.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent clients making live movements.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// A PostgreSQL server (a fresh database is made on it and dropped afterwards); default:
    /// SQLite in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Runs the benchmark and prints what it measured.
pub async fn run(args: BenchStockArgs) -> anyhow::Result<()> {
    let server = args.database_url.clone();
    crate::scratch::with_scratch_database(
        server.as_deref(),
        "bench_stock",
        false,
        |cfg| async move { measure(&args, &cfg).await },
    )
    .await
}

/// Movements per load transaction.
const BATCH: usize = 20_000;
/// Parts a regional pool stocks, and a van.
const POOL_SKUS: usize = 5_000;
const VAN_SKUS: usize = 200;

struct Place {
    id: WarehouseId,
    /// Indexes into the catalogue of the parts it stocks.
    skus: Vec<usize>,
    /// The pool a van is filled from.
    pool: usize,
}

async fn measure(args: &BenchStockArgs, cfg: &Config) -> anyhow::Result<()> {
    let store = app::open_store(cfg).await?;
    let clock = loopdesk::SystemClock;
    let now = loopdesk::SystemClock.now();
    let boot = app::bootstrap(&store, cfg.admin_password.as_deref(), &clock).await?;
    let t = store.tenant(boot.tenant.id);
    let backend = if cfg.database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "Stock benchmark on {backend}: {} SKUs × {} warehouses, {} movements of history",
        args.skus, args.warehouses, args.movements
    );
    let system = Actor::System;
    let started = Instant::now();
    let parts: Vec<NewPart> = (0..args.skus)
        .map(|i| NewPart {
            sku: sku(i),
            name: format!("备件 {i}"),
            cost: Some(f64::from(u32::try_from(i % 500).unwrap_or(0)) + 0.5),
            ..NewPart::default()
        })
        .collect();
    t.create_parts(&system, &parts, now).await?;
    let part_ids = t.part_ids().await?;
    let part_of = |i: usize| part_ids.get(&sku(i)).copied();
    let mut rng = StdRng::seed_from_u64(20_000);
    let places = warehouses(&t, args, &mut rng).await?;
    println!(
        "  catalogue and {} warehouses in {:.1} s",
        places.len(),
        started.elapsed().as_secs_f64()
    );

    // History, generated so no level ever goes below zero: receipts into the central store,
    // transfers to the pools and on to the vans, consumption from the vans, stock counts.
    let started = Instant::now();
    let mut levels: HashMap<(usize, usize), i64> = HashMap::new();
    let mut lines = Vec::with_capacity(BATCH * 2);
    let mut at = now - Duration::days(365);
    let step = Duration::milliseconds((365 * 86_400_000 / args.movements.max(1)) as i64);
    let mut loaded = 0usize;
    let mut line_count = 0usize;
    let pools: Vec<usize> = (1..places.len()).filter(|&w| places[w].pool == w).collect();
    for m in 0..args.movements {
        at += step;
        let id = MovementId::new();
        let roll = rng.gen_range(0..100);
        let van = rng.gen_range(1..places.len());
        let p = places[van].skus[rng.gen_range(0..places[van].skus.len())];
        let pool = places[van].pool;
        let level = |w: usize| levels.get(&(w, p)).copied().unwrap_or(0);
        let change: Vec<(usize, i64, MovementKind)> = if roll < 40 && pool != van && level(van) >= 1
        {
            let q = rng.gen_range(1..=level(van).min(3));
            vec![(van, -q, MovementKind::Consume)]
        } else if roll < 70 && pool != van && level(pool) >= 5 {
            vec![
                (pool, -5, MovementKind::Transfer),
                (van, 5, MovementKind::Transfer),
            ]
        } else if roll < 95 && pool != 0 && level(0) >= 20 {
            vec![
                (0, -20, MovementKind::Transfer),
                (pool, 20, MovementKind::Transfer),
            ]
        } else if roll < 97 && level(pool) >= 1 {
            vec![(pool, -1, MovementKind::Adjust)]
        } else {
            vec![(0, rng.gen_range(100..500), MovementKind::Receive)]
        };
        for (w, delta, kind) in change {
            *levels.entry((w, p)).or_insert(0) += delta;
            if let Some(part) = part_of(p) {
                lines.push(LoadLine {
                    movement: id,
                    kind,
                    part,
                    sku: sku(p),
                    warehouse: places[w].id,
                    on_hand: delta,
                    reserved: 0,
                    at,
                });
            }
        }
        if (m + 1) % BATCH == 0 || m + 1 == args.movements {
            line_count += lines.len();
            t.load_ledger(&system, &lines).await?;
            lines.clear();
            loaded = m + 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  loaded {loaded} movements ({line_count} ledger lines, {} stock levels) in {secs:.1} s ({:.0} movements/s)",
        levels.len(),
        loaded as f64 / secs
    );

    // Level queries, as `GET /api/v1/stock` makes them.
    let stocked: Vec<(usize, usize)> = levels.keys().copied().collect();
    let queries = [
        "one warehouse × one SKU",
        "one SKU in every warehouse",
        "a van's stock (≤200 rows)",
        "the central store, first 1000 rows",
    ];
    let vans = pools.len() + 1..places.len();
    for (q, name) in queries.iter().enumerate() {
        let mut times = Vec::with_capacity(300);
        let mut rows = 0;
        for i in 0..301 {
            let (w, s) = match q {
                0 => {
                    let (w, p) = stocked[rng.gen_range(0..stocked.len())];
                    (Some(places[w].id), Some(sku(p)))
                }
                1 => (None, Some(sku(stocked[rng.gen_range(0..stocked.len())].1))),
                2 if !vans.is_empty() => (Some(places[rng.gen_range(vans.clone())].id), None),
                _ => (Some(places[0].id), None),
            };
            let t0 = Instant::now();
            let got = t.stock(&system, w, s.as_deref(), 1000).await?;
            if i > 0 {
                times.push(t0.elapsed());
            }
            rows = rows.max(got.len());
        }
        println!(
            "  {name:<36} up to {rows:>4} rows   {}",
            percentiles(&mut times)
        );
    }

    // Live movements through the API's path: receipts, transfers down the chain.
    let t = Arc::new(t);
    let places = Arc::new(places);
    let deadline = Instant::now() + StdDuration::from_secs(args.seconds);
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..args.clients {
        let (t, places) = (t.clone(), places.clone());
        clients.spawn(async move {
            let mut rng = StdRng::seed_from_u64(c as u64);
            let mut times = Vec::new();
            let mut refused = 0usize;
            while Instant::now() < deadline {
                let van = rng.gen_range(1..places.len());
                let p = places[van].skus[rng.gen_range(0..places[van].skus.len())];
                let pool = places[van].pool;
                let (kind, from, to) = match rng.gen_range(0..3) {
                    0 => ("receive", None, Some(places[0].id)),
                    1 => ("transfer", Some(places[0].id), Some(places[pool].id)),
                    _ if pool != van => ("transfer", Some(places[pool].id), Some(places[van].id)),
                    _ => ("receive", None, Some(places[van].id)),
                };
                let input = StockMovementInput {
                    sku: sku(p),
                    movement: MovementRequest {
                        kind: kind.into(),
                        qty: 1,
                        from,
                        to,
                        ..MovementRequest::default()
                    },
                };
                let t0 = Instant::now();
                match t
                    .record_movement(&Actor::System, input, None, loopdesk::SystemClock.now())
                    .await
                {
                    Ok(_) => times.push(t0.elapsed()),
                    Err(loopdesk_store::StoreError::InsufficientStock { .. }) => refused += 1,
                    Err(e) => return Err(anyhow::Error::from(e)),
                }
            }
            Ok::<_, anyhow::Error>((times, refused))
        });
    }
    let mut times = Vec::new();
    let mut refused = 0;
    while let Some(done) = clients.join_next().await {
        let (t, r) = done??;
        times.extend(t);
        refused += r;
    }
    println!(
        "  live movements, {} clients: {:.0} movements/s ({refused} refused as short)   {}",
        args.clients,
        times.len() as f64 / args.seconds as f64,
        percentiles(&mut times)
    );
    println!(
        "  ledger and levels disagree on {} pairs",
        t.stock_disagreements().await?.len()
    );
    Ok(())
}

fn sku(i: usize) -> String {
    format!("SKU-{i:06}")
}

pub(crate) fn percentiles(times: &mut [StdDuration]) -> String {
    if times.is_empty() {
        return "no samples".into();
    }
    times.sort();
    let pct = |p: f64| {
        let i = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1;
        times[i].as_secs_f64() * 1000.0
    };
    format!(
        "p50 {:>6.2} ms   p95 {:>6.2} ms   p99 {:>6.2} ms",
        pct(0.5),
        pct(0.95),
        pct(0.99)
    )
}

/// The central store (index 0), a regional pool per 15 warehouses, and vans, each van
/// belonging to an engineer and filled from a pool; pools stock a quarter of the catalogue,
/// vans 200 parts of their pool's.
async fn warehouses(
    t: &TenantStore,
    args: &BenchStockArgs,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<Place>> {
    let now = loopdesk::SystemClock.now();
    let system = Actor::System;
    let n = args.warehouses.max(2);
    let pool_count = (n / 15).max(1);
    let mut places = Vec::with_capacity(n);
    let central = t
        .create_warehouse(
            &system,
            NewWarehouse {
                name: "总仓".into(),
                kind: "central".into(),
                lat: Some(31.30),
                lon: Some(121.20),
                ..NewWarehouse::default()
            },
            now,
        )
        .await?;
    places.push(Place {
        id: central.id,
        skus: (0..args.skus).collect(),
        pool: 0,
    });
    for i in 0..pool_count {
        let w = t
            .create_warehouse(
                &system,
                NewWarehouse {
                    name: format!("共享库 {i}"),
                    kind: "regional".into(),
                    ..NewWarehouse::default()
                },
                now,
            )
            .await?;
        let skus = (0..POOL_SKUS.min(args.skus))
            .map(|_| rng.gen_range(0..args.skus))
            .collect();
        places.push(Place {
            id: w.id,
            skus,
            pool: places.len(),
        });
    }
    for i in places.len()..n {
        let name = format!("bench-eng-{i}");
        let engineer = t
            .create_user(
                NewUser {
                    username: name.clone(),
                    password: "stock-bench-secret-9".to_owned(),
                    roles: Roles::from_iter([Role::Engineer]),
                    display_name: Some(name.clone()),
                    customer_id: None,
                    team_id: None,
                    region_id: None,
                    email: None,
                    notify_channel: None,
                    lang: None,
                },
                now,
            )
            .await?;
        let w = t
            .create_warehouse(
                &system,
                NewWarehouse {
                    name: format!("车 {i}"),
                    kind: "van".into(),
                    engineer_id: Some(engineer.id),
                    ..NewWarehouse::default()
                },
                now,
            )
            .await?;
        let pool = 1 + rng.gen_range(0..pool_count);
        let pool_skus = &places[pool].skus;
        let skus = (0..VAN_SKUS.min(pool_skus.len()))
            .map(|_| pool_skus[rng.gen_range(0..pool_skus.len())])
            .collect();
        places.push(Place {
            id: w.id,
            skus,
            pool,
        });
    }
    Ok(places)
}
