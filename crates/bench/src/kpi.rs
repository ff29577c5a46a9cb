//! `loopdesk-bench kpi`: loads a year of realistic ticket history — `--tickets` tickets with
//! their whole event logs (remote fixes, visits, transfers, waiting for parts, reopens,
//! chases, auto-closes, surveys answered or not), created over 12 months and written in
//! shuffled order, as a migration would — then times the dashboard's KPI calls. It builds its
//! own data set (SQLite in a temporary directory, or a fresh database on the PostgreSQL
//! server given), measures, prints, and asserts nothing.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use clap::Args;
use loopdesk_core::clock::Clock;
use loopdesk_core::customer::NewCustomer;
use loopdesk_core::event::payload::{self, MoveData};
use loopdesk_core::event::{By, Payload};
use loopdesk_core::i18n::Lang;
use loopdesk_core::ticket::transitions::{
    Actor, CheckIn, CheckInRecord, Confirmation, ConfirmedBy, MoveKind,
};
use loopdesk_core::ticket::Channel;
use loopdesk_core::{
    CommentId, CustomerId, RegionId, Role, Roles, Status, TeamId, TicketId, UserId,
};
use loopdesk_store::{HistoryEvent, HistoryTicket, KpiRequest, NewUser, TenantStore};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use loopdesk::app;
use loopdesk::config::Config;
use loopdesk::SystemClock;

/// Flags of `kpi`.
#[derive(Args, Debug, Clone)]
pub struct BenchKpiArgs {
    /// Tickets of history to load.
    #[arg(long, default_value_t = 1_000_000)]
    pub tickets: usize,
    /// Times each dashboard call is made (after one warm-up call); 0 loads only. The p95 of
    /// 20 calls is their second slowest: one hiccup of a shared machine moved it by 40 ms.
    #[arg(long, default_value_t = 100)]
    pub repeat: usize,
    /// A PostgreSQL server (a fresh database is made on it and dropped afterwards); default:
    /// SQLite in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Runs the benchmark and prints what it measured.
pub async fn run(args: BenchKpiArgs) -> anyhow::Result<()> {
    let server = args.database_url.clone();
    crate::scratch::with_scratch_database(server.as_deref(), "bench_kpi", false, |cfg| async move {
        measure(&args, &cfg).await
    })
    .await
}

const DISTRICTS: [&str; 8] = [
    "浦东新区",
    "徐汇区",
    "静安区",
    "黄浦区",
    "长宁区",
    "普陀区",
    "杨浦区",
    "闵行区",
];
const ENGINEERS_PER_REGION: usize = 8;
const CUSTOMERS_PER_REGION: usize = 150;
/// Tickets per import transaction. History arrives in no order, so every transaction
/// rewrites pages all over the unique indexes (ticket ids, numbers, facts): fewer, larger
/// ones rewrite each page fewer times.
const BATCH: usize = 20_000;

/// The people and places tickets are made of.
struct World {
    regions: Vec<Region>,
    agents: Vec<UserId>,
    dispatcher: UserId,
}

struct Region {
    id: RegionId,
    team: TeamId,
    engineers: Vec<UserId>,
    customers: Vec<(CustomerId, Option<UserId>)>,
}

async fn measure(args: &BenchKpiArgs, cfg: &Config) -> anyhow::Result<()> {
    let url = cfg.database_url.expose();
    let store = app::open_store(cfg).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let now = clock.now();
    let boot = app::bootstrap(&store, cfg.admin_password.as_deref(), clock.as_ref()).await?;
    let tenant = store.tenant(boot.tenant.id);
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "KPI benchmark on {backend}: {} tickets over 12 months",
        args.tickets
    );
    let world = world(&tenant, now).await?;

    let started = Instant::now();
    tenant.begin_import().await?;
    let mut rng = StdRng::seed_from_u64(1_000_000);
    // Creation times in a random order: history arrives as it was exported, not as it happened.
    let mut order: Vec<usize> = (0..args.tickets).collect();
    order.shuffle(&mut rng);
    let mut events = 0usize;
    // The next batch is made, and the rows of one in flight built, while another is written:
    // PostgreSQL writes two at once (one server process per connection), SQLite's one
    // writer takes them in turn.
    let writers = 2;
    let mut writing = tokio::task::JoinSet::new();
    for chunk in order.chunks(BATCH) {
        let batch: Vec<HistoryTicket> = chunk
            .iter()
            .map(|&i| history(&world, i, now, &mut rng))
            .collect();
        events += batch.iter().map(|t| t.events.len()).sum::<usize>();
        if writing.len() >= writers {
            if let Some(done) = writing.join_next().await {
                done??;
            }
        }
        let tenant = tenant.clone();
        writing.spawn(async move { tenant.import_history(&Actor::System, &batch).await });
    }
    while let Some(done) = writing.join_next().await {
        done??;
    }
    let indexing = Instant::now();
    tenant.end_import().await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  loaded {} tickets and {events} events in {secs:.1} s ({:.0} tickets/s), \
         of which {:.1} s for indexes and statistics",
        args.tickets,
        args.tickets as f64 / secs,
        indexing.elapsed().as_secs_f64()
    );

    let year = now - Duration::days(365);
    let calls: [(&str, KpiRequest); 5] = [
        (
            "all KPIs, 12 months, by week",
            request(year, now, None, Some("week")),
        ),
        (
            "all KPIs, 12 months, by region",
            request(year, now, None, Some("region")),
        ),
        (
            "FRT p50/p90 per engineer, 12 months",
            request(year, now, Some("frt"), Some("engineer")),
        ),
        (
            "reopen rate by region, 12 months",
            request(year, now, Some("reopen_rate"), Some("region")),
        ),
        (
            "all KPIs, last 30 days",
            request(now - Duration::days(30), now, None, None),
        ),
    ];
    let admin = Actor::System;
    if args.repeat == 0 {
        return Ok(());
    }
    // The first call reads every ticket's facts into this process's KPI book.
    let rss = resident_mib();
    let t = Instant::now();
    tenant
        .kpis(
            &admin,
            request(now - Duration::days(1), now, Some("backlog"), None),
            Lang::ZhCn,
            now,
        )
        .await?;
    println!(
        "  KPI book loaded in {:.1} s; resident memory {:.0} MiB -> {:.0} MiB",
        t.elapsed().as_secs_f64(),
        rss,
        resident_mib()
    );
    for (name, req) in calls {
        let mut times = Vec::with_capacity(args.repeat);
        let rows = tenant
            .kpis(&admin, req.clone(), Lang::ZhCn, now)
            .await?
            .rows
            .len();
        for _ in 0..args.repeat {
            let t = Instant::now();
            tenant.kpis(&admin, req.clone(), Lang::ZhCn, now).await?;
            times.push(t.elapsed());
        }
        times.sort();
        let pct = |p: f64| {
            let i = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1;
            times[i].as_secs_f64() * 1000.0
        };
        println!(
            "  {name:<40} {rows:>4} rows   p50 {:>8.1} ms   p95 {:>8.1} ms",
            pct(0.5),
            pct(0.95)
        );
    }
    Ok(())
}

/// This process's resident memory (VmRSS), in MiB; 0 where /proc is missing.
fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn request(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    metrics: Option<&str>,
    group_by: Option<&str>,
) -> KpiRequest {
    KpiRequest {
        from: Some(from),
        to: Some(to),
        metrics: metrics.map(str::to_owned),
        group_by: group_by.map(str::to_owned),
        ..KpiRequest::default()
    }
}

async fn world(t: &TenantStore, now: DateTime<Utc>) -> anyhow::Result<World> {
    let user = |name: String, role: Role, region: Option<RegionId>, team: Option<TeamId>| NewUser {
        username: name.clone(),
        password: "kpi-bench-secret-9".to_owned(),
        roles: Roles::from_iter([role]),
        display_name: Some(name),
        customer_id: None,
        team_id: team,
        region_id: region,
        email: None,
        notify_channel: None,
        lang: None,
    };
    let agents = [
        t.create_user(user("agent1".into(), Role::Agent, None, None), now)
            .await?
            .id,
        t.create_user(user("agent2".into(), Role::Agent, None, None), now)
            .await?
            .id,
    ]
    .to_vec();
    let dispatcher = t
        .create_user(user("dispatcher".into(), Role::Dispatcher, None, None), now)
        .await?
        .id;
    let mut regions = Vec::new();
    for (r, name) in DISTRICTS.iter().enumerate() {
        let id = t.create_region(name, now).await?;
        let team = t
            .create_team(&format!("{name}服务队"), Some(id), now)
            .await?;
        let mut engineers = Vec::new();
        for e in 0..ENGINEERS_PER_REGION {
            let u = user(format!("eng{r}_{e}"), Role::Engineer, Some(id), Some(team));
            engineers.push(t.create_user(u, now).await?.id);
        }
        let mut customers = Vec::new();
        for c in 0..CUSTOMERS_PER_REGION {
            let tier = ["standard", "standard", "standard", "vip"][c % 4];
            let new = NewCustomer {
                name: format!("{name}客户{c:03}"),
                tier: Some(tier.into()),
                region_id: Some(id),
                ..NewCustomer::default()
            };
            let cid = t.create_customer(new, now).await?;
            // One customer in five confirms fixes in the portal themselves.
            let login = if c % 5 == 0 {
                let mut u = user(format!("cust{r}_{c}"), Role::Customer, None, None);
                u.customer_id = Some(cid);
                Some(t.create_user(u, now).await?.id)
            } else {
                None
            };
            customers.push((cid, login));
        }
        regions.push(Region {
            id,
            team,
            engineers,
            customers,
        });
    }
    Ok(World {
        regions,
        agents,
        dispatcher,
    })
}

/// A ticket's life, event by event, stopping at `now`.
struct Life {
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    status: Status,
    events: Vec<HistoryEvent>,
}

impl Life {
    /// A move `minutes` after the last event; `false` (and nothing) when that is after now.
    fn go(
        &mut self,
        kind: MoveKind,
        who: (Option<UserId>, By),
        minutes: i64,
        to: Status,
        data: MoveData,
    ) -> bool {
        let at = self.at + Duration::minutes(minutes.max(1));
        if at >= self.now {
            return false;
        }
        self.events.push(HistoryEvent {
            payload: Payload::Move(kind, data),
            actor_id: who.0,
            by: who.1,
            at,
            from: Some(self.status),
            to: Some(to),
            internal: false,
        });
        self.at = at;
        self.status = to;
        true
    }

    /// An event that is not a move.
    fn note(&mut self, payload: Payload, who: (Option<UserId>, By), minutes: i64) {
        let at = self.at + Duration::minutes(minutes.max(1));
        if at < self.now {
            self.events.push(HistoryEvent {
                payload,
                actor_id: who.0,
                by: who.1,
                at,
                from: None,
                to: None,
                internal: false,
            });
        }
    }
}

fn history(w: &World, i: usize, now: DateTime<Utc>, rng: &mut StdRng) -> HistoryTicket {
    let created = now - Duration::seconds(rng.gen_range(0..365 * 86_400));
    let region = &w.regions[rng.gen_range(0..w.regions.len())];
    let (customer, login) = region.customers[rng.gen_range(0..region.customers.len())];
    let agent = (Some(w.agents[rng.gen_range(0..w.agents.len())]), By::Staff);
    let dispatcher = (Some(w.dispatcher), By::Staff);
    let engineer_id = region.engineers[rng.gen_range(0..region.engineers.len())];
    let engineer = (Some(engineer_id), By::Staff);
    let customer_side = match login {
        Some(u) => (Some(u), By::Customer),
        None => agent,
    };
    let system = (None, By::System);
    let channel = [
        Channel::Phone,
        Channel::Phone,
        Channel::Phone,
        Channel::Web,
        Channel::App,
        Channel::Wechat,
        Channel::Email,
    ][rng.gen_range(0..7)];
    let priority = [1, 2, 2, 3, 3, 3, 3, 4][rng.gen_range(0..8)];
    let maintenance = rng.gen_bool(0.15);
    let number = format!("H{i:08}");
    let mut life = Life {
        at: created,
        now,
        status: Status::New,
        events: vec![HistoryEvent {
            payload: Payload::Created(payload::Created {
                number: number.clone(),
                channel,
                priority,
            }),
            actor_id: agent.0,
            by: By::Staff,
            at: created,
            from: None,
            to: Some(Status::New),
            internal: false,
        }],
    };
    if rng.gen_bool(0.1) {
        let chased = Payload::Chased(payload::Chased {
            note: Some("请问什么时候能处理？".into()),
            status: Status::New,
            assignee_id: None,
        });
        life.note(chased, customer_side, rng.gen_range(20..240));
    }
    live(
        &mut life,
        rng,
        agent,
        dispatcher,
        engineer,
        customer_side,
        system,
        region,
    );
    life.events.sort_by_key(|e| e.at);
    HistoryTicket {
        id: TicketId::new(),
        number,
        channel,
        customer_id: Some(customer),
        asset_id: None,
        region_id: Some(region.id),
        team_id: Some(region.team),
        category: Some(if maintenance { "maintenance" } else { "repair" }.into()),
        priority,
        subject: if maintenance {
            "定期保养"
        } else {
            "设备故障报修"
        }
        .into(),
        description: "客户来电反映设备运行异常，需安排处理。".into(),
        created_by: agent.0,
        created_at: created,
        resolution_due: Some(created + Duration::hours([4, 8, 24, 72][(priority - 1) as usize])),
        events: life.events,
    }
}

type Who = (Option<UserId>, By);

fn reason(text: &str) -> MoveData {
    MoveData {
        reason: Some(text.into()),
        ..MoveData::default()
    }
}

fn assignment(to: Option<UserId>, before: Option<UserId>) -> MoveData {
    MoveData {
        assignee_id: to,
        previous_assignee_id: Some(before),
        ..MoveData::default()
    }
}

fn report(remote: bool, resolution: &str, photos: usize) -> MoveData {
    MoveData {
        remote: Some(remote),
        resolution: Some(resolution.into()),
        parts: Some(Vec::new()),
        photos: Some(photos),
        screened_to_review: Some(false),
        ..MoveData::default()
    }
}

fn confirmation(by: ConfirmedBy, note: Option<&str>) -> MoveData {
    MoveData {
        confirmation: Some(Confirmation {
            by,
            note: note.map(str::to_owned),
        }),
        ..MoveData::default()
    }
}

#[expect(clippy::too_many_arguments, reason = "the cast of one ticket's life")]
fn live(
    life: &mut Life,
    rng: &mut StdRng,
    agent: Who,
    dispatcher: Who,
    engineer: Who,
    customer: Who,
    system: Who,
    region: &Region,
) {
    if rng.gen_bool(0.04) {
        life.go(
            MoveKind::Cancel,
            agent,
            rng.gen_range(5..120),
            Status::Cancelled,
            reason("客户撤销"),
        );
        return;
    }
    let remote = rng.gen_bool(0.18);
    if remote {
        if !life.go(
            MoveKind::TakeRemote,
            agent,
            rng.gen_range(2..45),
            Status::InProgress,
            MoveData::default(),
        ) {
            return;
        }
        let report = report(true, "电话指导恢复", 0);
        if !life.go(
            MoveKind::Resolve,
            agent,
            rng.gen_range(5..90),
            Status::Resolved,
            report,
        ) {
            return;
        }
    } else {
        let assign = assignment(engineer.0, None);
        if !life.go(
            MoveKind::Assign,
            dispatcher,
            rng.gen_range(5..90),
            Status::Assigned,
            assign,
        ) {
            return;
        }
        if rng.gen_bool(0.1) {
            // Handed to a colleague and back (转派 twice).
            let other = region.engineers[rng.gen_range(0..region.engineers.len())];
            let to_other = assignment(Some(other), engineer.0);
            let back = assignment(engineer.0, Some(other));
            if !life.go(
                MoveKind::Reassign,
                dispatcher,
                rng.gen_range(5..60),
                Status::Assigned,
                to_other,
            ) || !life.go(
                MoveKind::Reassign,
                dispatcher,
                rng.gen_range(5..60),
                Status::Assigned,
                back,
            ) {
                return;
            }
        }
        let check_in = MoveData {
            check_in: Some(CheckInRecord {
                position: CheckIn {
                    lat: 31.23,
                    lon: 121.47,
                    accuracy_m: None,
                },
                distance_m: Some(40.0),
                outside_geofence: false,
            }),
            ..MoveData::default()
        };
        if !life.go(
            MoveKind::Accept,
            engineer,
            rng.gen_range(3..60),
            Status::Accepted,
            MoveData::default(),
        ) || !life.go(
            MoveKind::Depart,
            engineer,
            rng.gen_range(5..120),
            Status::EnRoute,
            MoveData::default(),
        ) || !life.go(
            MoveKind::CheckIn,
            engineer,
            rng.gen_range(15..100),
            Status::OnSite,
            check_in,
        ) || !life.go(
            MoveKind::Start,
            engineer,
            rng.gen_range(1..10),
            Status::InProgress,
            MoveData::default(),
        ) {
            return;
        }
        let waits = rng.gen_bool(0.12);
        if waits
            && (!life.go(
                MoveKind::WaitParts,
                engineer,
                rng.gen_range(20..90),
                Status::WaitingParts,
                reason("等待配件"),
            ) || !life.go(
                MoveKind::Resume,
                engineer,
                rng.gen_range(600..4000),
                Status::InProgress,
                MoveData::default(),
            ))
        {
            return;
        }
        let report = report(false, "更换部件，试机正常", 2);
        if !life.go(
            MoveKind::Resolve,
            engineer,
            rng.gen_range(20..240),
            Status::Resolved,
            report.clone(),
        ) {
            return;
        }
        let reopens = rng.gen_bool(0.07);
        if reopens
            && (!life.go(
                MoveKind::Reopen,
                customer,
                rng.gen_range(60..4000),
                Status::InProgress,
                reason("故障复现"),
            ) || !life.go(
                MoveKind::Resolve,
                engineer,
                rng.gen_range(60..1500),
                Status::Resolved,
                report,
            ))
        {
            return;
        }
    }
    if rng.gen_bool(0.3) {
        let comment = Payload::Comment(payload::Comment {
            comment_id: CommentId::new(),
            body: "已电话回访".into(),
            internal: false,
            channel: None,
            from: None,
        });
        life.note(comment, agent, rng.gen_range(1..30));
    }
    let sent = Payload::SurveySent(payload::SurveySent {
        survey_id: CommentId::new().to_string(),
        expires_at: life.at + Duration::days(7),
    });
    life.note(sent, system, 60);
    let answered = rng.gen_bool(0.4);
    let close = match rng.gen_range(0..20) {
        0..=10 if customer.1 == By::Customer => {
            Some((customer, confirmation(ConfirmedBy::Customer, None)))
        }
        0..=14 => Some((agent, confirmation(ConfirmedBy::Agent, Some("电话确认")))),
        _ => None,
    };
    let closed = match close {
        Some((who, data)) => life.go(
            MoveKind::Confirm,
            who,
            rng.gen_range(30..2000),
            Status::Closed,
            data,
        ),
        None => life.go(
            MoveKind::AutoClose,
            system,
            3 * 1440,
            Status::Closed,
            MoveData::default(),
        ),
    };
    if closed && answered {
        let csat = [5, 5, 5, 4, 4, 3, 2, 1][rng.gen_range(0..8)];
        let nps = (csat * 2).min(10) - rng.gen_range(0..2);
        let answered = Payload::SurveyAnswered(payload::SurveyAnswered {
            survey_id: String::new(),
            csat: Some(csat),
            nps: Some(nps),
            comment: None,
        });
        life.note(answered, customer, rng.gen_range(10..600));
    }
}
