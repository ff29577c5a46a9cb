//! The demo tickets' lives: each is driven through the transition table to a target
//! status by the people it needs (agent, dispatcher, engineer, customer), with photos, parts
//! and a signature where the report asks for them.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use loopdesk_core::ticket::transitions::{
    AttachmentKind, CheckIn, Confirmation, ConfirmedBy, PartUsed, ReportInput,
};
use loopdesk_core::ticket::{Actor, Channel, MoveCommand};
use loopdesk_core::{AttachmentId, Status};
use loopdesk_store::blobs::Blobs;
use loopdesk_store::{NewTicket, TenantStore, TransitionRequest};
use rand::rngs::StdRng;
use rand::Rng;

use super::*;

/// Where a demo ticket stops, with weights like a live service desk that keeps up: about one
/// in sixteen still open (two or three per engineer, most of them from the last two days),
/// most closed by the customer.
pub(crate) const TARGETS: [(Status, u32); 12] = [
    (Status::New, 2),
    (Status::Assigned, 1),
    (Status::Accepted, 1),
    (Status::EnRoute, 1),
    (Status::OnSite, 1),
    (Status::InProgress, 1),
    (Status::WaitingParts, 1),
    (Status::WaitingCustomer, 1),
    (Status::InReview, 1),
    (Status::Resolved, 2),
    (Status::Closed, 184),
    (Status::Cancelled, 4),
];

/// How long ago a ticket that is now `target` came in, in minutes: the further along, the
/// older, mostly within its promises (1 h to respond, 4 h to arrive, 24 h to resolve by
/// default), one in ten past them (the breaches a desk works down).
fn open_age(target: Status, rng: &mut StdRng) -> i64 {
    let late = rng.gen_bool(0.1);
    let (on_time, overdue) = match target {
        // Nobody has answered yet: the hour to respond is running.
        Status::New | Status::Assigned => (3..45, 70..240),
        Status::Accepted | Status::EnRoute => (20..170, 260..600),
        Status::OnSite | Status::InProgress => (60..1000, 1500..3000),
        // Waiting for parts or the customer, in review, or fixed and waiting for the
        // customer's word: up to days.
        _ => (120..1300, 1500..6000),
    };
    rng.gen_range(if late { overdue } else { on_time })
}

/// Each demo ticket's end state and when it came in, for `n` tickets between `start` and
/// `now`. New requests arrive at the same rate every day, as at a desk that keeps up: the
/// open tickets came in lately, so the days they fill get fewer of the closed ones, and the
/// last weeks' bars stand level with the rest instead of looking like a crisis.
pub(crate) fn plan(
    n: usize,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> Vec<(Status, DateTime<Utc>)> {
    let total: u32 = TARGETS.iter().map(|(_, w)| w).sum();
    let days = usize::try_from((now - start).num_days().max(1)).unwrap_or(1);
    let mut open_on_day = vec![0usize; days];
    let mut plan = Vec::with_capacity(n);
    for _ in 0..n {
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
        let created = target
            .is_open()
            .then(|| now - Duration::minutes(open_age(target, rng)));
        if let Some(at) = created {
            let day = usize::try_from((now - at).num_days()).unwrap_or(0);
            if let Some(count) = open_on_day.get_mut(day) {
                *count += 1;
            }
        }
        plan.push((target, created));
    }
    // Room for closed tickets on each day (0 = today): the day's share of all requests less
    // the open ones that came in that day; where the open ones are more than a day's share,
    // the days before give up the rest, so the weeks stay level too.
    let per_day = n as f64 / days as f64;
    let mut owed = 0.0;
    let room: Vec<f64> = open_on_day
        .iter()
        .map(|&open| {
            let free = per_day - open as f64 - owed;
            owed = (-free).max(0.0);
            free.max(0.0)
        })
        .collect();
    let all_room: f64 = room.iter().sum();
    plan.into_iter()
        .map(|(target, created)| {
            let created = created.unwrap_or_else(|| {
                let mut left = rng.gen_range(0.0..all_room.max(f64::MIN_POSITIVE));
                let day = room
                    .iter()
                    .position(|r| {
                        if left < *r {
                            true
                        } else {
                            left -= r;
                            false
                        }
                    })
                    .unwrap_or(days - 1);
                let ago = i64::try_from(day).unwrap_or(0) * 24 * 60 + rng.gen_range(0..24 * 60);
                now - Duration::minutes(ago)
            });
            (target, created)
        })
        .collect()
}

#[expect(
    clippy::too_many_arguments,
    reason = "one ticket's life needs each of them"
)]
pub(crate) async fn drive_ticket(
    store: &loopdesk_store::Store,
    t: &TenantStore,
    people: &People,
    c: &DemoCustomer,
    (target, created): (Status, DateTime<Utc>),
    now: DateTime<Utc>,
    files: &dyn Blobs,
    rng: &mut StdRng,
) -> anyhow::Result<Status> {
    let agent = &people.agents[rng.gen_range(0..people.agents.len())];
    let (problem, detail, category) = PROBLEMS[rng.gen_range(0..PROBLEMS.len())];
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
        category: Some(category.into()),
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
    // The resolution the survey is about: the first, or the second after a reopen.
    let mut round = 0;
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
                sku: super::stock::VAN_PARTS[rng.gen_range(0..super::stock::VAN_PARTS.len())]
                    .into(),
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
            round = 1;
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
    let resolved_at = (d.status == Status::Resolved).then_some(d.at);
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
    if let Some(resolved) = resolved_at {
        rate(store, t, agent, ticket.id, round, resolved, now, rng).await?;
    }
    Ok(d.status)
}

/// The survey of a fix, as a healthy team's customers answer it: sent an hour after the fix,
/// answered by seven in ten within two days, most of them content; the unhappy ones open
/// remediation as live answers do.
#[expect(
    clippy::too_many_arguments,
    reason = "the survey's ticket, round and moments"
)]
async fn rate(
    store: &loopdesk_store::Store,
    t: &TenantStore,
    agent: &Actor,
    ticket: loopdesk_core::TicketId,
    round: i64,
    resolved: DateTime<Utc>,
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let sent = resolved + Duration::minutes(60);
    let answered = sent + Duration::minutes(rng.gen_range(5..2 * 24 * 60));
    if answered >= now || !rng.gen_bool(0.7) {
        return Ok(());
    }
    t.send_survey(ticket, round, sent).await?;
    let Some(token) = t.open_survey_token(agent, ticket, sent).await? else {
        return Ok(());
    };
    let csat = match rng.gen_range(0..100) {
        0..=44 => 5,
        45..=79 => 4,
        80..=91 => 3,
        92..=96 => 2,
        _ => 1,
    };
    let nps = match csat {
        5 => rng.gen_range(9..=10),
        4 => rng.gen_range(7..=9),
        3 => rng.gen_range(5..=7),
        _ => rng.gen_range(0..=4),
    };
    let comments: &[&str] = match csat {
        5 => &["工程师很专业，来得也快", "准时到场，讲解清楚，非常满意", ""],
        4 => &["修好了，就是等的时间有点长", "服务不错", ""],
        3 => &["第二次上门才修好", "到场比约定晚了半小时"],
        _ => &[
            "等了两天才来人，问题还没彻底解决",
            "工程师态度一般，设备还是时好时坏",
        ],
    };
    let comment = comments[rng.gen_range(0..comments.len())];
    let answer = loopdesk_core::followup::SurveyAnswer {
        csat,
        nps,
        comment: (!comment.is_empty()).then(|| comment.to_owned()),
    };
    store.answer_survey(&token, answer, answered).await?;
    Ok(())
}

pub(crate) fn cmd(to: Status) -> MoveCommand {
    MoveCommand {
        to: Some(to),
        ..MoveCommand::default()
    }
}

pub(crate) struct Driver<'a> {
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
        // Dispatch and the engineer's answer take minutes (the first response); later steps
        // minutes to hours, shorter when little time is left before now (a ticket that came
        // in lately has moved quickly to where it is).
        let room = (self.now - self.at).num_minutes() / 4;
        // The way there takes an hour or two (arrival is promised within four); the work
        // and what follows it, up to five.
        let step = match command.to {
            Some(Status::Assigned | Status::Accepted) => rng.gen_range(2..20),
            Some(Status::EnRoute | Status::OnSite) => rng.gen_range(6..90),
            _ => rng.gen_range(6..300),
        };
        let at = self.at + Duration::minutes(step.min(room).max(1));
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
pub(crate) const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x60, 0x60, 0x60, 0xF8,
    0x0F, 0x00, 0x01, 0x04, 0x01, 0x00, 0x5F, 0xE5, 0xC3, 0x4B, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

pub(crate) async fn photo(
    t: &TenantStore,
    engineer: &Actor,
    ticket: loopdesk_core::TicketId,
    kind: AttachmentKind,
    files: &dyn Blobs,
    at: DateTime<Utc>,
) -> anyhow::Result<AttachmentId> {
    let id = AttachmentId::new();
    let key = format!("{}/{}", t.tenant_id(), id);
    files
        .put(&key, PNG_1X1)
        .await
        .with_context(|| format!("storing {key}"))?;
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

#[cfg(test)]
mod plan_tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn requests_arrive_level_and_what_came_in_days_ago_is_mostly_closed() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T09:00:00Z")
            .expect("a time")
            .with_timezone(&Utc);
        let start = now - Duration::days(91);
        let mut rng = StdRng::seed_from_u64(7);
        let plan = plan(1000, start, now, &mut rng);
        assert_eq!(plan.len(), 1000);
        assert!(plan.iter().all(|(_, at)| *at <= now && *at >= start));
        let open = plan.iter().filter(|(s, _)| s.is_open()).count();
        assert!((40..=90).contains(&open), "{open} open of 1000");
        // Every open ticket came in within the week; of what came in three days ago or
        // earlier, nine in ten and more are done.
        assert!(plan
            .iter()
            .filter(|(s, _)| s.is_open())
            .all(|(_, at)| now - *at < Duration::days(7)));
        let older: Vec<_> = plan
            .iter()
            .filter(|(_, at)| now - *at >= Duration::days(3))
            .collect();
        let done = older.iter().filter(|(s, _)| !s.is_open()).count();
        assert!(
            done * 100 >= older.len() * 95,
            "{done} of {} older requests done",
            older.len()
        );
        let mut weeks = [0usize; 13];
        for (_, at) in &plan {
            let week = usize::try_from((now - *at).num_days() / 7).expect("not in the future");
            weeks[week.min(12)] += 1;
        }
        let mean = 1000.0 / 13.0;
        for (i, n) in weeks.iter().enumerate() {
            let n = *n as f64;
            // The newest week holds the open work on top of its share.
            let high = if i == 0 { 1.6 } else { 1.3 };
            assert!(
                n > mean * 0.7 && n < mean * high,
                "week {i} back has {n} requests, the mean is {mean:.0}: {weeks:?}"
            );
        }
    }
}
