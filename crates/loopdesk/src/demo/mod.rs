//! The demo data set: a Shanghai after-sales service organisation with regions, teams,
//! engineers, ~50 customers with contacts, sites and equipment, and tickets over the last 90
//! days in every status. Every ticket is driven through the real transition table, so its
//! event history is exactly what real use would have written.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use loopdesk_core::dispatch::profile::ProfileInput;
use loopdesk_core::dispatch::{Point, Skill};
use loopdesk_core::i18n::{tf, Lang};
use loopdesk_core::ticket::Actor;
use loopdesk_core::{CustomerId, Role, Roles, SiteId, TenantId};
use loopdesk_store::{NewContact, NewCustomer, NewSite, NewUser, Store, TenantStore};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

mod lives;
mod stock;

use lives::drive_ticket;

/// Password of every demo user.
pub const DEMO_PASSWORD: &str = "loopdesk-demo";

const REGIONS: [(&str, f64, f64); 5] = [
    ("浦东新区", 31.2215, 121.5447),
    ("徐汇区", 31.1885, 121.4365),
    ("静安区", 31.2290, 121.4480),
    ("闵行区", 31.1128, 121.3817),
    ("杨浦区", 31.2595, 121.5260),
];
/// Rough outlines of the five districts (GeoJSON [longitude, latitude]), enough for the
/// dashboard's and the dispatch board's maps to look like Shanghai.
const OUTLINES: [&str; 5] = [
    r#"{"type":"Polygon","coordinates":[[[121.49,31.23],[121.56,31.24],[121.62,31.33],[121.75,31.28],[121.80,31.05],[121.50,31.05],[121.48,31.13],[121.49,31.23]]]}"#,
    r#"{"type":"Polygon","coordinates":[[[121.40,31.13],[121.475,31.13],[121.475,31.22],[121.40,31.22],[121.40,31.13]]]}"#,
    r#"{"type":"Polygon","coordinates":[[[121.42,31.22],[121.475,31.22],[121.475,31.30],[121.42,31.30],[121.42,31.22]]]}"#,
    r#"{"type":"Polygon","coordinates":[[[121.30,31.02],[121.47,31.02],[121.47,31.13],[121.40,31.13],[121.36,31.19],[121.30,31.19],[121.30,31.02]]]}"#,
    r#"{"type":"Polygon","coordinates":[[[121.475,31.24],[121.56,31.24],[121.56,31.33],[121.475,31.33],[121.475,31.24]]]}"#,
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
/// A model of the demo's catalogue.
pub(crate) struct DemoModel {
    code: &'static str,
    name: &'static str,
    line: &'static str,
    skill: &'static str,
    warranty_months: i64,
    checklist: &'static [&'static str],
}

/// The catalogue.
const MODELS: [DemoModel; 6] = [
    DemoModel {
        code: "KFR-72LW",
        name: "格力 KFR-72LW 柜式空调",
        line: "商用空调",
        skill: "hvac",
        warranty_months: 36,
        checklist: &["检查制冷剂压力", "清洗过滤网", "测量出风温度"],
    },
    DemoModel {
        code: "FXMQ-P",
        name: "大金 FXMQ 风管机",
        line: "商用空调",
        skill: "hvac",
        warranty_months: 36,
        checklist: &["检查冷凝水排放", "清洗过滤网"],
    },
    DemoModel {
        code: "SC-650",
        name: "海尔 SC-650 商用冷柜",
        line: "冷链设备",
        skill: "refrigeration",
        warranty_months: 24,
        checklist: &["检查压缩机", "清洁冷凝器", "校准温控器"],
    },
    DemoModel {
        code: "GEN2",
        name: "奥的斯 GeN2 电梯",
        line: "电梯",
        skill: "elevator",
        warranty_months: 24,
        checklist: &["检查曳引带", "测试门机", "检查安全钳"],
    },
    DemoModel {
        code: "WM14",
        name: "西门子 WM14 商用洗衣机",
        line: "洗涤设备",
        skill: "appliance",
        warranty_months: 24,
        checklist: &["检查进水阀", "清理排水泵"],
    },
    DemoModel {
        code: "BENEHEART",
        name: "迈瑞 BeneHeart 除颤仪",
        line: "医疗设备",
        skill: "medical",
        warranty_months: 60,
        checklist: &["电池自检", "电极片有效期"],
    },
];
/// What customers report: subject, description, and the kind of request (category code) an
/// agent files it under. Several phrasings per kind, so that the triage model the demo's
/// admin trains has something to learn.
const PROBLEMS: [(&str, &str, &str); 18] = [
    ("空调不制冷", "开机后出风不冷，室外机运转声音异常", "aircon"),
    ("空调漏水", "室内机滴水，墙面已经湿了", "aircon"),
    (
        "空调报错代码 E4",
        "显示屏报 E4 故障代码，重启后仍出现",
        "aircon",
    ),
    ("空调噪音大", "运行噪音比以前明显增大", "aircon"),
    (
        "冷柜温度过高",
        "冷藏柜温度升至 12℃，食品有变质风险",
        "refrigeration",
    ),
    (
        "冷库结霜严重",
        "蒸发器结了厚厚一层霜，温度降不下来",
        "refrigeration",
    ),
    ("展示柜不制冷", "门店展示柜压缩机不启动", "refrigeration"),
    (
        "电梯异响",
        "电梯运行时有金属摩擦声，乘客反映明显",
        "elevator",
    ),
    ("电梯门关不上", "电梯门反复开关，无法运行", "elevator"),
    ("电梯困人", "有人被困在电梯里，请马上派人", "elevator"),
    ("设备无法开机", "按下电源键无反应，指示灯不亮", "electrical"),
    ("配电箱跳闸", "空气开关一合上就跳闸", "electrical"),
    ("照明不亮", "走廊灯全部不亮，开关没反应", "electrical"),
    ("漏水", "设备下方有积水，怀疑排水管堵塞", "plumbing"),
    ("下水道堵塞", "卫生间地漏返水，有异味", "plumbing"),
    ("热水器没有热水", "热水器点不着火，只有冷水", "plumbing"),
    ("定期保养", "按合同进行季度保养检查", "maintenance"),
    ("季度巡检", "合同约定的季度巡检，请安排时间", "maintenance"),
];

/// The demo's kinds of request: code and name.
const CATEGORIES: [(&str, &str); 6] = [
    ("aircon", "空调"),
    ("refrigeration", "冷柜冷库"),
    ("elevator", "电梯"),
    ("electrical", "电气"),
    ("plumbing", "给排水"),
    ("maintenance", "定期保养"),
];

/// Loads the demo data unless the tenant already has customers. Answers a summary.
pub async fn load_if_empty(
    store: &Store,
    tenant_id: TenantId,
    files: &dyn loopdesk_store::blobs::Blobs,
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
    for (code, name) in CATEGORIES {
        let new = loopdesk_core::intake::NewCategory {
            code: code.into(),
            name: name.into(),
            required_fields: Vec::new(),
            requires_review: false,
        };
        t.create_category(&Actor::System, new, start).await?;
    }
    for (i, (name, _, _)) in REGIONS.iter().enumerate() {
        let region = t.create_region(name, start).await?;
        let outline = loopdesk_core::region_shape::Shape::parse(OUTLINES[i])?;
        t.set_region_shape(region, Some(&outline)).await?;
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
            // Everyone does air-conditioning and refrigeration; each of a team's three also
            // has a trade of their own, so every model in the catalogue (which asks for level
            // 2) has someone in every district.
            let skills = vec![
                Skill {
                    name: "hvac".into(),
                    level: rng.gen_range(2..=5),
                },
                Skill {
                    name: "refrigeration".into(),
                    level: rng.gen_range(2..=4),
                },
                Skill {
                    name: ["elevator", "appliance", "medical"][j].into(),
                    level: rng.gen_range(2..=4),
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
            tags: Vec::new(),
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
        let model = MODELS[rng.gen_range(0..MODELS.len())].code;
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

    let engineers: Vec<(loopdesk_core::UserId, usize)> = people
        .engineers
        .iter()
        .filter_map(|(e, r)| e.user_id().map(|id| (id, *r)))
        .collect();
    stock::set_up(&t, &region_ids, &engineers, tickets, start).await?;

    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for life in lives::plan(tickets, start, now, &mut rng) {
        let c = &customers[rng.gen_range(0..customers.len())];
        let status = drive_ticket(store, &t, &people, c, life, now, files, &mut rng).await?;
        *counts.entry(status.as_str()).or_default() += 1;
    }
    calls(store, &t, &customers, now, &mut rng).await?;
    // The triage models, trained on the history just made, as the nightly job would.
    for target in loopdesk_core::triage::Target::ALL {
        match t.train_triage(&Actor::System, target, now).await {
            Ok(_) | Err(loopdesk_store::StoreError::TooFewExamples { .. }) => {}
            Err(e) => return Err(e.into()),
        }
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

/// The hotline and a week of its calls: most answered by the agents, some missed (a few of
/// them still waiting for a callback), one or two from numbers nobody knows.
async fn calls(
    store: &Store,
    t: &TenantStore,
    customers: &[DemoCustomer],
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    use loopdesk_core::inbound::call::PostedEvent;
    let (line, _) = t
        .create_channel(
            &Actor::System,
            "phone",
            "400 服务热线",
            &serde_json::Map::new(),
            now - Duration::days(8),
        )
        .await?;
    let Some(channel) = store.inbound_channel(line.id).await? else {
        return Ok(());
    };
    let agents = ["agent1", "agent2"];
    for i in 0..40 {
        let began = now - Duration::minutes(rng.gen_range(20..7 * 24 * 60));
        let from = if i % 13 == 0 {
            format!("139{:08}", rng.gen_range(0..100_000_000))
        } else {
            customers[rng.gen_range(0..customers.len())].phone.clone()
        };
        let agent = agents[rng.gen_range(0..agents.len())];
        let missed = rng.gen_bool(0.15);
        let mut steps = vec![("ringing", began)];
        if missed {
            steps.push(("missed", began + Duration::seconds(rng.gen_range(10..40))));
        } else {
            let answered = began + Duration::seconds(rng.gen_range(3..20));
            steps.push(("answered", answered));
            steps.push((
                "ended",
                answered + Duration::seconds(rng.gen_range(60..600)),
            ));
        }
        let mut call = None;
        for (event, at) in steps {
            let posted = PostedEvent {
                call_id: format!("demo-{i}"),
                event: event.to_owned(),
                from: from.clone(),
                to: "400-820-0000".to_owned(),
                agent: Some(agent.to_owned()),
                at: at.to_rfc3339(),
                recording_url: None,
                transcript: None,
            };
            call = Some(
                t.record_call_event(&channel, &posted.check()?, at)
                    .await?
                    .id,
            );
        }
        // The older missed calls were called back.
        if let (true, Some(call)) = (missed && began < now - Duration::days(1), call) {
            t.callback_done(&Actor::System, call, began + Duration::hours(2))
                .await?;
        }
    }
    Ok(())
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

#[cfg(test)]
mod outline_tests {
    use super::{OUTLINES, REGIONS};
    use loopdesk_core::region_shape::Shape;

    #[test]
    fn each_district_centre_lies_in_its_own_outline_only() {
        let shapes: Vec<Shape> = OUTLINES
            .iter()
            .map(|o| Shape::parse(o).expect("a demo outline parses"))
            .collect();
        for (i, (name, lat, lon)) in REGIONS.iter().enumerate() {
            let holding: Vec<usize> = (0..shapes.len())
                .filter(|j| shapes[*j].contains(*lat, *lon))
                .collect();
            assert_eq!(holding, [i], "{name}");
        }
    }
}
