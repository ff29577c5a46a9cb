use chrono::TimeZone;
use loopdesk_core::TenantId;

use super::*;

fn history(number: &str, customer_id: Option<CustomerId>) -> HistoryTicket {
    HistoryTicket {
        id: TicketId::new(),
        number: number.into(),
        channel: Channel::Phone,
        customer_id,
        asset_id: None,
        region_id: None,
        team_id: None,
        category: None,
        priority: 3,
        subject: "旧工单".into(),
        description: String::new(),
        created_by: None,
        created_at: Utc.with_ymd_and_hms(2026, 1, 5, 2, 0, 0).unwrap(),
        resolution_due: None,
        events: Vec::new(),
    }
}

/// On SQLite an import batch writes with the row-by-row key checks off, on the one writer
/// connection: they are on again after a batch that commits, after one refused for what it
/// names and after one for a tenant that does not exist, so the next write is checked.
#[tokio::test]
async fn the_writer_checks_foreign_keys_again_after_every_import_batch() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let (store, tenant) = crate::test_store(url).await;
    let tenant = store.tenant(tenant);
    let keys_checked = || async {
        sqlx::query_scalar::<_, i64>("PRAGMA foreign_keys")
            .fetch_one(&store.write)
            .await
            .unwrap()
    };
    assert_eq!(keys_checked().await, 1);

    tenant
        .import_history(&Actor::System, &[history("H-1", None)])
        .await
        .unwrap();
    assert_eq!(keys_checked().await, 1, "after a batch that commits");
    let stranger = history("H-2", Some(CustomerId::new()));
    let refused = tenant.import_history(&Actor::System, &[stranger]).await;
    assert!(matches!(&refused, Err(StoreError::Rows(rows)) if rows.len() == 1));
    assert_eq!(keys_checked().await, 1, "after a refused batch");
    let nowhere = store.tenant(TenantId::new());
    let refused = nowhere
        .import_history(&Actor::System, &[history("H-3", None)])
        .await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    assert_eq!(keys_checked().await, 1, "after a batch for no tenant");

    // And the writer refuses what breaks a key again.
    let broken = sqlx::query(
        "INSERT INTO ticket_events (tenant_id, ticket_id, kind, at) VALUES ($1, $2, 'comment', 0)",
    )
    .bind(tenant.tid())
    .bind(TicketId::new().to_string())
    .execute(&store.write)
    .await;
    assert!(broken.is_err(), "an event of no ticket was stored");
    let stored: Vec<(String,)> = sqlx::query_as("SELECT number FROM tickets")
        .fetch_all(&store.read)
        .await
        .unwrap();
    assert_eq!(stored, [("H-1".to_owned(),)]);
}
