//! The demo data set: a Shanghai after-sales service organisation with regions, teams,
//! engineers, ~50 customers with contacts, sites and equipment, and tickets over the last 90
//! days in every status. Every ticket is driven through the real transition table, so its
//! event history is exactly what real use would have written.

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use loopdesk_core::dispatch::profile::ProfileInput;
use loopdesk_core::dispatch::{Point, Skill};
use loopdesk_core::i18n::{tf, Lang};
use loopdesk_core::ticket::transitions::{
    AttachmentKind, CheckIn, Confirmation, ConfirmedBy, PartUsed, ReportInput,
};
use loopdesk_core::ticket::{Actor, Channel, MoveCommand};
use loopdesk_core::{AttachmentId, CustomerId, Role, Roles, SiteId, Status, TenantId};
use loopdesk_store::{
    NewContact, NewCustomer, NewSite, NewTicket, NewUser, Store, TenantStore, TransitionRequest,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Password of every demo user.
pub const DEMO_PASSWORD: &str = "loopdesk-demo";

const REGIONS: [(&str, f64, f64); 5] = [
    ("浦东新区", 31.2215, 121.5447),
    ("徐汇区", 31.1885, 121.4365),
    ("静安区", 31.2290, 121.4480),
    ("闵行区", 31.1128, 121.3817),
    ("杨浦区", 31.2595, 121.5260),
];
const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: [&str; 16] = [
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "杰", "娟", "涛", "明", "超", "霞", "平", "刚",
];
const BUSINESSES: [&str; 10] = [
    "餐饮管理",
    "物业管理",
    "酒店",
    "商贸",
    "医疗器械",
    "超市",
    "制冷设备",
    "健身",
    "教育科技",
    "连锁药房",
];
const BRANDS: [&str; 12] = [
    "和平",
    "锦江",
    "东方",
    "申城",
    "浦江",
    "兴业",
    "新华",
    "金桥",
    "长宁",
    "百联",
    "华亭",
    "静安寺",
];
const ROADS: [&str; 10] = [
    "南京西路",
    "淮海中路",
    "张杨路",
    "世纪大道",
    "漕溪北路",
    "虹桥路",
    "四平路",
    "沪闵路",
    "延安西路",
    "长寿路",
];
const MODELS: [(&str, &str); 6] = [
    ("格力 KFR-72LW 柜式空调", "hvac"),
    ("大金 FXMQ 风管机", "hvac"),
    ("海尔 SC-650 商用冷柜", "refrigeration"),
    ("奥的斯 GeN2 电梯", "elevator"),
    ("西门子 WM14 商用洗衣机", "appliance"),
    ("迈瑞 BeneHeart 除颤仪", "medical"),
];
const PROBLEMS: [(&str, &str); 8] = [
    ("空调不制冷", "开机后出风不冷，室外机运转声音异常"),
    ("冷柜温度过高", "冷藏柜温度升至 12℃，食品有变质风险"),
    ("电梯异响", "电梯运行时有金属摩擦声，乘客反映明显"),
    ("设备无法开机", "按下电源键无反应，指示灯不亮"),
    ("漏水", "设备下方有积水，怀疑排水管堵塞"),
    ("报错代码 E4", "显示屏报 E4 故障代码，重启后仍出现"),
    ("噪音大", "运行噪音比以前明显增大"),
    ("定期保养", "按合同进行季度保养检查"),
];

/// Loads the demo data unless the tenant already has customers. Answers a summary.
pub async fn load_if_empty(
    store: &Store,
    tenant_id: TenantId,
    data_dir: &Path,
    tickets: usize,
    now: DateTime<Utc>,
    lang: Lang,
) -> anyhow::Result<Option<String>> {
    let t = store.tenant(tenant_id);
    if !t.customers_by_name("", None).await?.is_empty() {
        return Ok(None);
    }
    let mut rng = StdRng::seed_from_u64(20261124);
    let start = now - Duration::days(90);
    let mut people = People::default();
    let mut region_ids = Vec::new();
    for (i, (name, _, _)) in REGIONS.iter().enumerate() {
        let region = t.create_region(name, start).await?;
        let team = t
            .create_team(&format!("{name}服务组"), Some(region), start)
            .await?;
        region_ids.push(region);
        people.supervisors.push(
            user(
                &t,
                &format!("supervisor{}", i + 1),
                &[Role::Supervisor],
                Some(region),
                Some(team),
                &mut rng,
                start,
            )
            .await?,
        );
        for j in 0..3 {
            let eng = user(
                &t,
                &format!("engineer{}{}", i + 1, j + 1),
                &[Role::Engineer],
                Some(region),
                Some(team),
                &mut rng,
                start,
            )
            .await?;
            // Skills, capacity and home for dispatch; on duty, somewhere in their district.
            let (_, lat, lon) = REGIONS[i];
            let home = Point {
                lat: lat + rng.gen_range(-0.02..0.02),
                lon: lon + rng.gen_range(-0.02..0.02),
            };
            let skills = vec![
                Skill {
                    name: "hvac".into(),
                    level: rng.gen_range(1..=5),
                },
                Skill {
                    name: "refrigeration".into(),
                    level: rng.gen_range(1..=3),
                },
            ];
            if let Some(id) = eng.user_id() {
                let profile = ProfileInput {
                    skills,
                    home: Some(home),
                    capacity: rng.gen_range(10..=14),
                    ..ProfileInput::default()
                };
                t.put_engineer_profile(&Actor::System, id, profile, now)
                    .await?;
                t.set_duty(&eng, true, now).await?;
                let (plat, plon) = (
                    home.lat + rng.gen_range(-0.01..0.01),
                    home.lon + rng.gen_range(-0.01..0.01),
                );
                t.record_position(&eng, plat, plon, Some(20.0), now).await?;
            }
            people.engineers.push((eng, i));
        }
    }
    for i in 0..3 {
        people.agents.push(
            user(
                &t,
                &format!("agent{}", i + 1),
                &[Role::Agent],
                None,
                None,
                &mut rng,
                start,
            )
            .await?,
        );
    }
    people.dispatcher = Some(
        user(
            &t,
            "dispatcher",
            &[Role::Dispatcher],
            None,
            None,
            &mut rng,
            start,
        )
        .await?,
    );
    user(&t, "manager", &[Role::Manager], None, None, &mut rng, start).await?;

    let mut customers = Vec::new();
    for i in 0..50 {
        let r = rng.gen_range(0..REGIONS.len());
        let (region_name, lat, lon) = REGIONS[r];
        let vip = rng.gen_bool(0.2);
        let name = format!(
            "上海{}{}有限公司",
            BRANDS[i % BRANDS.len()],
            BUSINESSES[(i / BRANDS.len() + i) % BUSINESSES.len()]
        );
        let contact_name = person(&mut rng);
        let phone = format!(
            "13{}{:08}",
            rng.gen_range(0..10),
            rng.gen_range(0..100_000_000)
        );
        let new = NewCustomer {
            name: format!(
                "{name}{}",
                if i >= BRANDS.len() * 2 {
                    format!("（{}店）", i + 1)
                } else {
                    String::new()
                }
            ),
            kind: Some("company".into()),
            tier: Some(if vip { "vip" } else { "standard" }.into()),
            region_id: Some(region_ids[r]),
            contacts: vec![NewContact {
                name: contact_name,
                phone: Some(phone.clone()),
                email: Some(format!("service{i}@example.cn")),
                wechat_id: None,
                ..NewContact::default()
            }],
            sites: vec![NewSite {
                name: format!("{region_name}门店"),
                address: format!(
                    "上海市{region_name}{}{}号",
                    ROADS[rng.gen_range(0..ROADS.len())],
                    rng.gen_range(1..2000)
                ),
                lat: Some(lat + rng.gen_range(-0.03..0.03)),
                lon: Some(lon + rng.gen_range(-0.03..0.03)),
                region_id: Some(region_ids[r]),
                geofence_m: Some(300.0),
            }],
        };
        let id = t.create_customer(new, start).await?;
        let detail = t
            .customer_detail(&loopdesk_core::ticket::Actor::System, id)
            .await?;
        let site = detail
            .sites
            .first()
            .context("demo customer without a site")?;
        let (model, _) = MODELS[rng.gen_range(0..MODELS.len())];
        let installed = start - Duration::days(rng.gen_range(100..1500));
        let asset = t
            .create_asset(
                loopdesk_store::NewAsset {
                    customer_id: id,
                    site_id: site.id,
                    model: model.into(),
                    serial: format!("SN{:04}{:06}", 2020 + i % 6, rng.gen_range(0..1_000_000)),
                    installed_on: Some(installed.date_naive().to_string()),
                    warranty_until: Some(
                        (installed + Duration::days(365 * 3))
                            .date_naive()
                            .to_string(),
                    ),
                    fields: None,
                },
                start,
            )
            .await?;
        customers.push(DemoCustomer {
            id,
            site: site.id,
            lat: site.lat.unwrap_or(lat),
            lon: site.lon.unwrap_or(lon),
            asset: asset.id,
            phone,
            region: r,
            login: None,
        });
    }
    for (i, c) in customers.iter_mut().take(10).enumerate() {
        let new = NewUser {
            username: format!("customer{}", i + 1),
            password: DEMO_PASSWORD.into(),
            roles: [Role::Customer].into_iter().collect(),
            display_name: None,
            customer_id: Some(c.id),
            team_id: None,
            region_id: None,
            ..NewUser::default()
        };
        let u = t.create_user(new, start).await?;
        c.login = Some(Actor::User {
            id: u.id,
            roles: [Role::Customer].into_iter().collect(),
            customer_id: Some(c.id),
            region_id: None,
        });
    }

    let files = data_dir.join("attachments");
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for _ in 0..tickets {
        let c = &customers[rng.gen_range(0..customers.len())];
        let created = start + Duration::minutes(rng.gen_range(0..90 * 24 * 60));
        let status = drive_ticket(&t, &people, c, created, now, &files, &mut rng).await?;
        *counts.entry(status.as_str()).or_default() += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{s} {n}")).collect();
    let tickets = tickets.to_string();
    let summary = summary.join(", ");
    let args = [
        ("tickets", tickets.as_str()),
        ("summary", summary.as_str()),
        ("password", DEMO_PASSWORD),
    ];
    Ok(Some(tf(lang, "cli.demo_loaded", &args)))
}

#[derive(Default)]
struct People {
    supervisors: Vec<Actor>,
    engineers: Vec<(Actor, usize)>,
    agents: Vec<Actor>,
    dispatcher: Option<Actor>,
}

struct DemoCustomer {
    id: CustomerId,
    site: SiteId,
    lat: f64,
    lon: f64,
    asset: loopdesk_core::AssetId,
    phone: String,
    region: usize,
    login: Option<Actor>,
}

fn person(rng: &mut StdRng) -> String {
    format!(
        "{}{}",
        SURNAMES[rng.gen_range(0..SURNAMES.len())],
        GIVEN[rng.gen_range(0..GIVEN.len())]
    )
}

async fn user(
    t: &TenantStore,
    username: &str,
    roles: &[Role],
    region: Option<loopdesk_core::RegionId>,
    team: Option<loopdesk_core::TeamId>,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> anyhow::Result<Actor> {
    let new = NewUser {
        username: username.into(),
        password: DEMO_PASSWORD.into(),
        roles: roles.iter().copied().collect::<Roles>(),
        display_name: Some(person(rng)),
        customer_id: None,
        team_id: team,
        region_id: region,
        ..NewUser::default()
    };
    let u = t.create_user(new, at).await?;
    Ok(Actor::User {
        id: u.id,
        roles: roles.iter().copied().collect(),
        customer_id: None,
        region_id: region,
    })
}

/// Where a demo ticket stops, with weights roughly like a live service desk.
const TARGETS: [(Status, u32); 12] = [
    (Status::New, 8),
    (Status::Assigned, 6),
    (Status::Accepted, 4),
    (Status::EnRoute, 3),
    (Status::OnSite, 3),
    (Status::InProgress, 8),
    (Status::WaitingParts, 4),
    (Status::WaitingCustomer, 3),
    (Status::InReview, 3),
    (Status::Resolved, 10),
    (Status::Closed, 45),
    (Status::Cancelled, 3),
];

async fn drive_ticket(
    t: &TenantStore,
    people: &People,
    c: &DemoCustomer,
    created: DateTime<Utc>,
    now: DateTime<Utc>,
    files: &Path,
    rng: &mut StdRng,
) -> anyhow::Result<Status> {
    let total: u32 = TARGETS.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    let target = TARGETS
        .iter()
        .find(|(_, w)| {
            if pick < *w {
                true
            } else {
                pick -= w;
                false
            }
        })
        .map_or(Status::New, |(s, _)| *s);
    let agent = &people.agents[rng.gen_range(0..people.agents.len())];
    let (problem, detail) = PROBLEMS[rng.gen_range(0..PROBLEMS.len())];
    let channel = [
        Channel::Phone,
        Channel::Phone,
        Channel::Web,
        Channel::App,
        Channel::Wechat,
    ][rng.gen_range(0..5)];
    let new = NewTicket {
        subject: problem.into(),
        description: detail.into(),
        priority: [1, 2, 2, 3, 3, 3, 4][rng.gen_range(0..7)],
        channel,
        customer_id: Some(c.id),
        contact_phone: Some(c.phone.clone()),
        site_id: Some(c.site),
        asset_id: Some(c.asset),
        category: Some(
            if problem == "定期保养" {
                "maintenance"
            } else {
                "repair"
            }
            .into(),
        ),
        fields: None,
    };
    let (ticket, _) = t.create_ticket(agent, new, None, created).await?;
    let mut d = Driver {
        t,
        id: ticket.id,
        version: ticket.version,
        at: created,
        now,
        status: Status::New,
    };
    // One caller in ten rings again to ask how it is going (催单).
    if rng.gen_bool(0.1) {
        let at = created + Duration::minutes(rng.gen_range(10..90));
        if at < now {
            let who = c.login.as_ref().unwrap_or(agent);
            t.chase(who, ticket.id, Some("请问工程师什么时候到？"), at)
                .await?;
        }
    }
    if target == Status::New {
        return Ok(d.status);
    }
    if target == Status::Cancelled {
        d.go(
            agent,
            MoveCommand {
                reason: Some("客户已自行解决，撤销报修".into()),
                ..cmd(Status::Cancelled)
            },
            rng,
        )
        .await?;
        return Ok(d.status);
    }
    let remote = rng.gen_bool(0.15) && matches!(target, Status::Resolved | Status::Closed);
    let engineers: Vec<&Actor> = people
        .engineers
        .iter()
        .filter(|(_, r)| *r == c.region)
        .map(|(a, _)| a)
        .collect();
    let engineer = engineers[rng.gen_range(0..engineers.len())];
    let dispatcher = people.dispatcher.as_ref().unwrap_or(agent);
    if remote {
        let report = ReportInput {
            resolution: "电话指导客户复位设备，恢复正常".into(),
            remote: true,
            ..ReportInput::default()
        };
        if !d.go(agent, cmd(Status::InProgress), rng).await?
            || !d
                .go(
                    agent,
                    MoveCommand {
                        report: Some(report),
                        ..cmd(Status::Resolved)
                    },
                    rng,
                )
                .await?
        {
            return Ok(d.status);
        }
    } else {
        let steps = [
            Status::Assigned,
            Status::Accepted,
            Status::EnRoute,
            Status::OnSite,
            Status::InProgress,
        ];
        for s in steps {
            let (who, c2) = match s {
                Status::Assigned => (
                    dispatcher,
                    MoveCommand {
                        assignee_id: engineer.user_id(),
                        ..cmd(s)
                    },
                ),
                Status::OnSite => (
                    engineer,
                    MoveCommand {
                        check_in: Some(CheckIn {
                            lat: c.lat + rng.gen_range(-0.0008..0.0008),
                            lon: c.lon,
                            accuracy_m: Some(15.0),
                        }),
                        ..cmd(s)
                    },
                ),
                _ => (engineer, cmd(s)),
            };
            if !d.go(who, c2, rng).await? {
                return Ok(d.status);
            }
            if s == target {
                return Ok(d.status);
            }
            // One order in eight is handed on to a colleague before it is accepted (转派).
            let other = engineers.iter().find(|e| e.user_id() != engineer.user_id());
            if let (Status::Assigned, true, Some(other)) = (s, rng.gen_bool(0.125), other) {
                let handed = MoveCommand {
                    assignee_id: other.user_id(),
                    ..cmd(Status::Assigned)
                };
                if !d.go(dispatcher, handed, rng).await? {
                    return Ok(d.status);
                }
                let back = MoveCommand {
                    assignee_id: engineer.user_id(),
                    ..cmd(Status::Assigned)
                };
                if !d.go(dispatcher, back, rng).await? {
                    return Ok(d.status);
                }
            }
        }
        if matches!(target, Status::WaitingParts | Status::WaitingCustomer) {
            let reason = if target == Status::WaitingParts {
                "需更换压缩机电容，等待配件到货"
            } else {
                "客户要求改约上门时间"
            };
            let who = if target == Status::WaitingParts {
                engineer
            } else {
                agent
            };
            d.go(
                who,
                MoveCommand {
                    reason: Some(reason.into()),
                    ..cmd(target)
                },
                rng,
            )
            .await?;
            return Ok(d.status);
        }
        let before = photo(t, engineer, d.id, AttachmentKind::Before, files, d.at).await?;
        let after = photo(t, engineer, d.id, AttachmentKind::After, files, d.at).await?;
        let sig = photo(t, engineer, d.id, AttachmentKind::Signature, files, d.at).await?;
        let report = ReportInput {
            resolution: "更换故障部件并测试运行正常".into(),
            before_photo_ids: vec![before],
            after_photo_ids: vec![after],
            signature_id: Some(sig),
            parts: vec![PartUsed {
                sku: "CAP-35UF".into(),
                qty: 1,
            }],
            labour_minutes: Some(rng.gen_range(20..120)),
            needs_review: target == Status::InReview,
            ..ReportInput::default()
        };
        if !d
            .go(
                engineer,
                MoveCommand {
                    report: Some(report),
                    ..cmd(Status::Resolved)
                },
                rng,
            )
            .await?
        {
            return Ok(d.status);
        }
        if d.status == Status::InReview && target != Status::InReview {
            let sup = &people.supervisors[c.region];
            d.go(sup, cmd(Status::Resolved), rng).await?;
        }
        // One fix in twelve does not hold: the customer calls back and it is done again.
        if d.status == Status::Resolved && rng.gen_bool(1.0 / 12.0) {
            let reopen = MoveCommand {
                reason: Some("客户反馈故障复现".into()),
                ..cmd(Status::InProgress)
            };
            if !d.go(agent, reopen, rng).await? {
                return Ok(d.status);
            }
            let again = ReportInput {
                resolution: "复查后更换主板，连续运行测试正常".into(),
                before_photo_ids: vec![before],
                after_photo_ids: vec![after],
                signature_id: Some(sig),
                ..ReportInput::default()
            };
            let fix = MoveCommand {
                report: Some(again),
                ..cmd(Status::Resolved)
            };
            if !d.go(engineer, fix, rng).await? {
                return Ok(d.status);
            }
            if d.status == Status::InReview {
                let sup = &people.supervisors[c.region];
                d.go(sup, cmd(Status::Resolved), rng).await?;
            }
        }
    }
    if target == Status::Closed && d.status == Status::Resolved {
        let agent_note = |note: &str| MoveCommand {
            confirmation: Some(Confirmation {
                by: ConfirmedBy::Agent,
                note: Some(note.into()),
            }),
            ..cmd(Status::Closed)
        };
        match (rng.gen_range(0..10), &c.login) {
            (0..=6, Some(customer)) => {
                let own = MoveCommand {
                    confirmation: Some(Confirmation {
                        by: ConfirmedBy::Customer,
                        note: None,
                    }),
                    ..cmd(Status::Closed)
                };
                d.go(customer, own, rng).await?
            }
            (0..=8, _) => d.go(agent, agent_note("客户电话确认已修复"), rng).await?,
            _ => d.go(&Actor::System, cmd(Status::Closed), rng).await?,
        };
    }
    Ok(d.status)
}

fn cmd(to: Status) -> MoveCommand {
    MoveCommand {
        to: Some(to),
        ..MoveCommand::default()
    }
}

struct Driver<'a> {
    t: &'a TenantStore,
    id: loopdesk_core::TicketId,
    version: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    status: Status,
}

impl Driver<'_> {
    /// Makes one move a little later than the previous one; `false` when that would be in the future.
    async fn go(
        &mut self,
        actor: &Actor,
        command: MoveCommand,
        rng: &mut StdRng,
    ) -> anyhow::Result<bool> {
        let at = self.at + Duration::minutes(rng.gen_range(6..300));
        if at >= self.now {
            return Ok(false);
        }
        let req = TransitionRequest {
            version: self.version,
            command,
        };
        let detail = self
            .t
            .transition(actor, self.id, req, None, at)
            .await
            .context("demo move")?;
        self.version = detail.ticket.version;
        self.status = detail.ticket.status;
        self.at = at;
        Ok(true)
    }
}

/// The smallest valid PNG (1×1 pixel), for demo photos and signatures.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x60, 0x60, 0x60, 0xF8,
    0x0F, 0x00, 0x01, 0x04, 0x01, 0x00, 0x5F, 0xE5, 0xC3, 0x4B, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

async fn photo(
    t: &TenantStore,
    engineer: &Actor,
    ticket: loopdesk_core::TicketId,
    kind: AttachmentKind,
    files: &Path,
    at: DateTime<Utc>,
) -> anyhow::Result<AttachmentId> {
    let id = AttachmentId::new();
    let key = format!("{}/{}", t.tenant_id(), id);
    let path = files.join(&key);
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir)
            .await
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    tokio::fs::write(&path, PNG_1X1)
        .await
        .with_context(|| format!("writing {}", path.display()))?;
    let sha = "demo";
    let name = format!("{}.png", kind.as_str());
    t.add_attachment(
        engineer,
        ticket,
        kind,
        &name,
        "image/png",
        PNG_1X1.len() as i64,
        sha,
        &key,
        id,
        at,
    )
    .await?;
    Ok(id)
}
