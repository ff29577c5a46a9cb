//! The store's contract, told as a story and run on both backends: a customer calls, the
//! request is recorded once, dispatched, worked on site, confirmed by the customer; another is
//! fixed on the phone, reopened by the customer and fixed again. Every step goes through the
//! store's public API; after each, what the store must keep is checked — statuses, versions,
//! the event log, the outbox, idempotency and optimistic locking — and at the end every
//! ticket's stored KPI facts must equal its event log folded from scratch.

use chrono::{DateTime, Duration, TimeZone, Utc};
use loopdesk_core::customer::{NewContact, NewCustomer, NewSite};
use loopdesk_core::event::EventKind;
use loopdesk_core::job::{Job, JobKind};
use loopdesk_core::kpi::Facts;
use loopdesk_core::ticket::transitions::{
    AttachmentKind, CheckIn, Confirmation, ConfirmedBy, ReportInput,
};
use loopdesk_core::ticket::{Actor, Channel, MoveCommand};
use loopdesk_core::{AttachmentId, Role, Roles, Status, TicketId};

use crate::facts::{fold, EventRow, EVENT_COLUMNS};
use crate::{Idempotency, NewTicket, NewUser, Store, StoreError, TenantStore, TransitionRequest};

async fn user(
    t: &TenantStore,
    name: &str,
    role: Role,
    customer: Option<loopdesk_core::CustomerId>,
    at: DateTime<Utc>,
) -> Actor {
    let u = t
        .create_user(
            NewUser {
                username: name.into(),
                password: "story-password".into(),
                roles: [role].into_iter().collect::<Roles>(),
                customer_id: customer,
                ..NewUser::default()
            },
            at,
        )
        .await
        .unwrap();
    Actor::User {
        id: u.id,
        roles: [role].into_iter().collect(),
        customer_id: customer,
        region_id: None,
    }
}

/// Moves a ticket from the version it is at; answers the new version.
async fn go(
    t: &TenantStore,
    actor: &Actor,
    id: TicketId,
    version: i64,
    command: MoveCommand,
    at: DateTime<Utc>,
) -> i64 {
    let to = command.to;
    let d = t
        .transition(actor, id, TransitionRequest { version, command }, None, at)
        .await
        .unwrap_or_else(|e| panic!("the move to {to:?} was refused: {e}"));
    assert_eq!(d.ticket.version, version + 1);
    d.ticket.version
}

fn to(status: Status) -> MoveCommand {
    MoveCommand {
        to: Some(status),
        ..MoveCommand::default()
    }
}

async fn kinds(t: &TenantStore, id: TicketId) -> Vec<EventKind> {
    t.ticket(
        &loopdesk_core::access::ticket_scope(&Actor::System),
        id,
        true,
    )
    .await
    .unwrap()
    .events
    .iter()
    .map(|e| e.kind)
    .collect()
}

/// The ticket's stored facts, and its whole event log folded again.
async fn facts_both_ways(store: &Store, tenant: &str, id: TicketId) -> (Facts, Facts) {
    let mut tx = store.write.begin().await.unwrap();
    let stored = crate::facts::read(&mut tx, store.backend, tenant, &[id])
        .await
        .unwrap()
        .remove(&id)
        .expect("a facts row");
    tx.rollback().await.unwrap();
    let created: i64 = sqlx::query_scalar("SELECT created_at FROM tickets WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(&store.read)
        .await
        .unwrap();
    let events: Vec<EventRow> = sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id \
         WHERE e.ticket_id = $1 ORDER BY e.ticket_id, e.at, e.id"
    ))
    .bind(id.to_string())
    .fetch_all(&store.read)
    .await
    .unwrap();
    let mut folded = std::collections::HashMap::from([(id.to_string(), Facts::new(created))]);
    fold(&mut folded, &events).unwrap();
    (stored, folded.remove(&id.to_string()).unwrap())
}

async fn story(url: String) {
    let (store, tenant_id) = crate::test_store(url).await;
    let t = store.tenant(tenant_id);
    let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap();
    let at = |minutes: i64| t0 + Duration::minutes(minutes);

    let customer = t
        .create_customer(
            NewCustomer {
                name: "静安物业".into(),
                contacts: vec![NewContact {
                    name: "王经理".into(),
                    phone: Some("138-0013-8000".into()),
                    ..NewContact::default()
                }],
                sites: vec![NewSite {
                    name: "静安大厦".into(),
                    address: "南京西路 1 号".into(),
                    ..NewSite::default()
                }],
                ..NewCustomer::default()
            },
            at(0),
        )
        .await
        .unwrap();
    let agent = user(&t, "agent", Role::Agent, None, at(0)).await;
    let engineer = user(&t, "engineer", Role::Engineer, None, at(0)).await;
    let contact = user(&t, "wang", Role::Customer, Some(customer), at(0)).await;

    // The call: recorded once, whatever the retries; the phone finds the customer and site.
    let call = NewTicket {
        subject: "空调不制冷".into(),
        description: "三楼机房".into(),
        priority: 2,
        channel: Channel::Phone,
        customer_id: None,
        contact_phone: Some("+86 13800138000".into()),
        site_id: None,
        asset_id: None,
        category: None,
        fields: None,
    };
    let key = Idempotency {
        key: "call-1".into(),
        request_hash: "h1".into(),
    };
    let (a, replayed) = t
        .create_ticket(&agent, call.clone(), Some(key.clone()), at(1))
        .await
        .unwrap();
    assert!(!replayed);
    assert_eq!(a.customer_id, Some(customer));
    assert!(a.contact_id.is_some() && a.site_id.is_some(), "{a:?}");
    let (again, replayed) = t
        .create_ticket(&agent, call.clone(), Some(key), at(2))
        .await
        .unwrap();
    assert!(
        replayed && again.id == a.id,
        "a retry answers the first ticket"
    );
    let other_body = Idempotency {
        key: "call-1".into(),
        request_hash: "h2".into(),
    };
    assert!(matches!(
        t.create_ticket(&agent, call.clone(), Some(other_body), at(2))
            .await,
        Err(StoreError::IdempotencyMismatch)
    ));

    // Dispatched and worked on site.
    let engineer_id = engineer.user_id().unwrap();
    let mut v = go(
        &t,
        &agent,
        a.id,
        a.version,
        MoveCommand {
            assignee_id: Some(engineer_id),
            ..to(Status::Assigned)
        },
        at(5),
    )
    .await;
    // A move from a version someone else already moved on from is stale.
    assert!(matches!(
        t.transition(&engineer, a.id, TransitionRequest { version: v - 1, command: to(Status::Accepted) }, None, at(6)).await,
        Err(StoreError::Stale { current }) if current == v
    ));
    v = go(&t, &engineer, a.id, v, to(Status::Accepted), at(6)).await;
    t.chase(&contact, a.id, Some("什么时候到？"), at(7))
        .await
        .unwrap();
    v = go(&t, &engineer, a.id, v, to(Status::EnRoute), at(10)).await;
    let check_in = MoveCommand {
        check_in: Some(CheckIn {
            lat: 31.23,
            lon: 121.47,
            accuracy_m: Some(10.0),
        }),
        ..to(Status::OnSite)
    };
    v = go(&t, &engineer, a.id, v, check_in, at(40)).await;
    v = go(&t, &engineer, a.id, v, to(Status::InProgress), at(41)).await;
    t.add_comment(&engineer, a.id, "压缩机需更换", false, at(50))
        .await
        .unwrap();
    let mut files = Vec::new();
    for kind in [
        AttachmentKind::Before,
        AttachmentKind::After,
        AttachmentKind::Signature,
    ] {
        let id = AttachmentId::new();
        t.add_attachment(
            &engineer,
            a.id,
            kind,
            "p.png",
            "image/png",
            68,
            "00",
            "key",
            id,
            at(60),
        )
        .await
        .unwrap();
        files.push(id);
    }
    let report = ReportInput {
        resolution: "更换压缩机，试机正常".into(),
        before_photo_ids: vec![files[0]],
        after_photo_ids: vec![files[1]],
        signature_id: Some(files[2]),
        ..ReportInput::default()
    };
    v = go(
        &t,
        &engineer,
        a.id,
        v,
        MoveCommand {
            report: Some(report),
            ..to(Status::Resolved)
        },
        at(120),
    )
    .await;
    let confirm = MoveCommand {
        confirmation: Some(Confirmation {
            by: ConfirmedBy::Customer,
            note: None,
        }),
        ..to(Status::Closed)
    };
    go(&t, &contact, a.id, v, confirm, at(200)).await;
    use EventKind as K;
    assert_eq!(
        kinds(&t, a.id).await,
        [
            K::Created,
            K::Assign,
            K::Accept,
            K::Chased,
            K::Depart,
            K::CheckIn,
            K::Start,
            K::Comment,
            K::Attachment,
            K::Attachment,
            K::Attachment,
            K::Resolve,
            K::Confirm
        ]
    );

    // Fixed on the phone, not fixed after all, fixed again.
    let (b, _) = t
        .create_ticket(
            &contact,
            NewTicket {
                subject: "门禁卡失效".into(),
                contact_phone: None,
                channel: Channel::Web,
                ..call
            },
            None,
            at(300),
        )
        .await
        .unwrap();
    let mut v = go(&t, &agent, b.id, b.version, to(Status::InProgress), at(305)).await;
    let remote = |text: &str| MoveCommand {
        report: Some(ReportInput {
            resolution: text.into(),
            remote: true,
            ..ReportInput::default()
        }),
        ..to(Status::Resolved)
    };
    v = go(&t, &agent, b.id, v, remote("远程重置"), at(310)).await;
    let reopen = MoveCommand {
        reason: Some("还是打不开".into()),
        ..to(Status::InProgress)
    };
    v = go(&t, &contact, b.id, v, reopen, at(400)).await;
    go(&t, &agent, b.id, v, remote("更换读卡器配置"), at(420)).await;
    assert_eq!(
        kinds(&t, b.id).await,
        [
            K::Created,
            K::TakeRemote,
            K::Resolve,
            K::Reopen,
            K::RemediationOpened,
            K::Resolve
        ]
    );
    let b_now = t.ticket_without_events(b.id).await.unwrap();
    assert_eq!(
        (
            b_now.status,
            b_now.reopen_count,
            b_now.remediation.as_deref()
        ),
        (Status::Resolved, 1, Some("open"))
    );

    // The outbox holds what the outside world is owed, once each.
    let published: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, payload FROM jobs WHERE tenant_id = $1")
            .bind(tenant_id.to_string())
            .fetch_all(&store.read)
            .await
            .unwrap();
    let events: Vec<String> = published
        .iter()
        .filter_map(|(kind, payload)| {
            let kind = JobKind::parse(kind)?;
            match Job::parse(kind, &serde_json::from_str(payload).ok()?).ok()? {
                Job::Publish(p) => Some(p.event),
                _ => None,
            }
        })
        .collect();
    let count = |e: &str| events.iter().filter(|x| *x == e).count();
    assert_eq!(count("ticket.created"), 2, "{events:?}");
    assert_eq!(count("ticket.assigned"), 1);
    assert_eq!(count("ticket.chased"), 1);
    assert_eq!(count("ticket.remediation"), 1);
    assert_eq!(count("ticket.status_changed"), 7 + 4, "one per move");

    // Every ticket's stored facts are its log folded from scratch, and the SLA's first
    // response is the KPIs' (acceptance for A, taking the call for B).
    for (id, first_response) in [(a.id, at(6)), (b.id, at(305))] {
        let (stored, folded) = facts_both_ways(&store, &tenant_id.to_string(), id).await;
        assert_eq!(stored, folded, "ticket {id}");
        assert_eq!(
            stored.first_response_at,
            Some(first_response.timestamp_millis())
        );
        let column: Option<i64> =
            sqlx::query_scalar("SELECT first_response_at FROM tickets WHERE id = $1")
                .bind(id.to_string())
                .fetch_one(&store.read)
                .await
                .unwrap();
        assert_eq!(column, stored.first_response_at);
    }
    store.close().await;
}

#[tokio::test]
async fn the_story_holds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    story(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.db").display()
    ))
    .await;
}

#[tokio::test]
#[cfg_attr(
    not(loopdesk_pg),
    ignore = "skipped: set LOOPDESK_TEST_POSTGRES=postgres://… to run on PostgreSQL"
)]
async fn the_story_holds_on_postgres() {
    let server = std::env::var("LOOPDESK_TEST_POSTGRES").unwrap();
    let name = format!("loopdesk_story_{}", uuid::Uuid::new_v4().simple());
    let url = crate::create_database(&server, &name).await.unwrap();
    story(url).await;
    crate::drop_database(&server, &name).await.unwrap();
}
