use super::*;
use chrono::TimeZone;

fn insert(tenant: &str, customer: Option<String>) -> TicketInsert {
    TicketInsert {
        publish: true,
        inbound: None,
        tenant: tenant.to_owned(),
        offset: FixedOffset::east_opt(8 * 3600).unwrap(),
        id: TicketId::new(),
        channel: Channel::Phone,
        customer_id: customer,
        contact_id: None,
        contact_phone: None,
        site_id: None,
        asset_id: None,
        region_id: None,
        category: None,
        priority: 3,
        subject: "x".into(),
        description: String::new(),
        fields: "{}".into(),
        created_by: None,
        by: By::System,
        now: Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap(),
        idempotency: None,
        sla: crate::sla::SlaColumns {
            state: "ok",
            ..Default::default()
        },
        warranty: None,
        search: loopdesk_core::search::document_words(&["x"], &[], &[]),
        urgency: None,
    }
}

#[tokio::test]
pub(super) async fn a_row_that_fails_in_the_database_fails_alone_and_the_rest_of_its_batch_commits()
{
    let dir = tempfile::tempdir().unwrap();
    one_bad_row_among_good_ones(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("t.db").display()
    ))
    .await;
    // PostgreSQL aborts a transaction at its first failed statement: the case that needs
    // the savepoint path. Runs when LOOPDESK_TEST_POSTGRES names a server.
    if let Ok(admin) = std::env::var("LOOPDESK_TEST_POSTGRES") {
        use sqlx::Connection;
        let name = format!("loopdesk_batch_{}", uuid::Uuid::new_v4().simple());
        let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        one_bad_row_among_good_ones(format!("{base}/{name}")).await;
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut c)
            .await
            .unwrap();
    }
}

pub(super) async fn one_bad_row_among_good_ones(url: String) {
    let (store, tenant) = crate::test_store(url).await;
    let tenant = tenant.to_string();
    // A customer that does not exist breaks the foreign key of exactly one row.
    let mut jobs = Vec::new();
    for i in 0..6 {
        let customer = (i == 2).then(|| uuid::Uuid::now_v7().to_string());
        let batcher = store.batcher.clone();
        let item = insert(&tenant, customer);
        jobs.push(tokio::spawn(async move { batcher.create(item).await }));
    }
    let mut created = 0;
    for (i, job) in jobs.into_iter().enumerate() {
        match job.await.unwrap() {
            Ok(Outcome::Created(_)) => created += 1,
            Ok(Outcome::Replayed(_)) => panic!("no idempotency key was given"),
            Err(StoreError::Database(_)) => assert_eq!(i, 2, "only the bad row fails"),
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(created, 5);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets")
        .fetch_one(&store.read)
        .await
        .unwrap();
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_events")
        .fetch_one(&store.read)
        .await
        .unwrap();
    assert_eq!(
        (n, events),
        (5, 5),
        "each ticket with its created event, nothing of the bad one"
    );
}

/// A batch may hold one tenant's tickets in more than one run (A, B, A …): each urgent request
/// still gets exactly one `urgency_signalled` event and one `ticket.urgent` publish.
#[tokio::test]
async fn every_urgent_request_of_a_mixed_batch_is_signalled_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let (store, a) = crate::test_store(url).await;
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap();
    let b = store.create_tenant("u", "U", at).await.unwrap().id;
    let mut jobs = Vec::new();
    for i in 0..12 {
        let tenant = if i % 2 == 0 { a } else { b }.to_string();
        let mut item = insert(&tenant, None);
        item.urgency =
            loopdesk_core::triage::urgency::signalled("再不来修就打12315投诉", "request");
        let batcher = store.batcher.clone();
        jobs.push(tokio::spawn(async move { batcher.create(item).await }));
    }
    for job in jobs {
        assert!(matches!(job.await.unwrap(), Ok(Outcome::Created(_))));
    }
    let per_ticket: Vec<(String, i64)> = sqlx::query_as(
        "SELECT ticket_id, COUNT(*) FROM ticket_events WHERE kind = 'urgency_signalled' GROUP BY ticket_id",
    )
    .fetch_all(&store.read)
    .await
    .unwrap();
    assert_eq!(per_ticket.len(), 12);
    assert!(per_ticket.iter().all(|(_, n)| *n == 1), "{per_ticket:?}");
    let published: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE payload LIKE '%ticket.urgent%'")
            .fetch_one(&store.read)
            .await
            .unwrap();
    assert_eq!(published, 12);
}
