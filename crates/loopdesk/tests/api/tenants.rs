//! Tenants as the platform operator runs them (issue 24): a suspended tenant's people cannot
//! sign in and their sessions end, the other tenants go on, and resuming lets them back in.

use chrono::Duration;
use serde_json::json;

use crate::helpers::{spawn_app, Backend, PASSWORD};
use crate::on_both_backends;

on_both_backends!(a_suspended_tenant_signs_nobody_in_and_its_sessions_end);

async fn a_suspended_tenant_signs_nobody_in_and_its_sessions_end(backend: Backend) {
    let app = spawn_app(backend).await;
    let east = app
        .other_tenant_user("east", "east-agent", loopdesk_core::Role::Agent)
        .await;
    let (_, ours) = app.user("home-agent", &["agent"], json!({})).await;
    let login = |username: &str, tenant: &str| {
        let body = json!({ "username": username, "password": PASSWORD, "tenant": tenant });
        let app = &app;
        async move {
            app.post_json("", "/api/v1/auth/login", &body)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(app.get(&east, "/api/v1/tickets").await.status(), 200);

    let now = {
        use loopdesk_core::clock::Clock;
        app.clock.now()
    };
    app.store
        .set_tenant_suspended("east", true, now)
        .await
        .unwrap();
    // Past the instance's short memory of sessions.
    app.clock.advance(Duration::seconds(30));
    assert_eq!(app.get(&east, "/api/v1/tickets").await.status(), 401);
    assert_eq!(login("east-agent", "east").await, 401);
    // The other tenant goes on.
    assert_eq!(app.get(&ours, "/api/v1/tickets").await.status(), 200);
    let listed = app.store.tenant_summaries().await.unwrap();
    let e = listed.iter().find(|t| t.slug == "east").unwrap();
    assert_eq!((e.users, e.suspended_at.is_some()), (1, true));
    assert!(listed
        .iter()
        .any(|t| t.slug == "default" && t.suspended_at.is_none()));

    app.store
        .set_tenant_suspended("east", false, now)
        .await
        .unwrap();
    assert_eq!(login("east-agent", "east").await, 200);
    assert!(matches!(
        app.store.set_tenant_suspended("west", true, now).await,
        Err(loopdesk_store::StoreError::NotFound)
    ));
    assert!(matches!(
        app.store.create_tenant("East", "x", now).await,
        Err(loopdesk_store::StoreError::Invalid(e)) if e.field == "slug"
    ));
    assert!(matches!(
        app.store.create_tenant("east", "x", now).await,
        Err(loopdesk_store::StoreError::Conflict { field: "slug" })
    ));
}
