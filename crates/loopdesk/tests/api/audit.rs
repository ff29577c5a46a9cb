//! The audit trail (issue 24): sign-ins and their failures, user and settings changes,
//! webhooks and exports are kept with who, from where, what and how it ended — never a
//! password — readable and exportable by admins only, and no entry can be changed.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    admin_and_security_actions_are_kept_and_only_admins_read_them,
    a_change_keeps_what_it_changed_from
);

async fn admin_and_security_actions_are_kept_and_only_admins_read_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("au-agent", &["agent"], json!({})).await;
    // A wrong password, then a right one.
    let bad = json!({ "username": "au-agent", "password": "not-the-password" });
    let r = app.post_json("", "/api/v1/auth/login", &bad).await;
    assert_eq!(r.status(), 401);
    app.login("au-agent", PASSWORD).await;
    // An admin's changes: a user, a setting, a webhook; an export.
    app.ok(
        &app.admin,
        "/api/v1/users",
        json!({ "username": "au-new", "password": "a-long-password-1", "roles": ["dispatcher"] }),
        201,
    )
    .await;
    let (s, _) = app
        .send(
            reqwest::Method::PUT,
            &app.admin,
            "/api/v1/screening/settings",
            json!({ "blocking": ["short_visit"] }),
        )
        .await;
    assert_eq!(s, 200);
    let r = app.get(&app.admin, "/api/v1/audit/export").await;
    assert_eq!(r.status(), 200);
    // Daily work is not an admin action.
    let (customer, _) = app.customer(&agent, "审计客户", "13800000059").await;
    app.ticket(&agent, &customer, "打印机卡纸").await;

    let trail = app.read(&app.admin, "/api/v1/audit").await;
    let items = trail["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // Newest first, from the start: the admin's sign-in, the agent made and signed in (the
    // helper), the wrong password, the right one, then the admin's changes and the export.
    assert_eq!(
        actions,
        vec![
            "export",
            "settings",
            "users",
            "sign_in",
            "sign_in_failed",
            "sign_in",
            "users",
            "sign_in"
        ],
        "{trail}"
    );
    let failed = items
        .iter()
        .find(|e| e["action"] == "sign_in_failed")
        .unwrap();
    assert_eq!(failed["actor_name"], "au-agent");
    assert_eq!(failed["status"], 401);
    assert_eq!(failed["detail"]["password"], "***");
    assert!(!failed["address"].as_str().unwrap().is_empty(), "{failed}");
    let user = &items[2];
    assert_eq!(user["actor_name"], "admin");
    assert_eq!(user["detail"]["username"], "au-new");
    assert_eq!(user["detail"]["password"], "***");
    assert_eq!(
        (user["method"].as_str(), user["status"].as_u64()),
        (Some("POST"), Some(201))
    );
    let text = trail.to_string();
    assert!(!text.contains("not-the-password") && !text.contains("a-long-password-1"));
    // Filtered by action and person; exported as CSV.
    let only: Value = app
        .read(
            &app.admin,
            "/api/v1/audit?action=sign_in_failed&actor=au-agent",
        )
        .await;
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    let csv = app
        .get(&app.admin, "/api/v1/audit/export?action=users")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("at,actor,address,action") && csv.contains("au-new"),
        "{csv}"
    );
    // Admins only; the retention within bounds; an entry cannot be changed.
    assert_eq!(app.get(&agent, "/api/v1/audit").await.status(), 403);
    let (s, e) = app
        .send(
            reqwest::Method::PUT,
            &app.admin,
            "/api/v1/audit/settings",
            json!({ "retention_days": 7 }),
        )
        .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("days")), "{e}");
    assert!(app
        .raw_sql("UPDATE audit_log SET actor_name = 'x'")
        .await
        .is_err());
}

async fn a_change_keeps_what_it_changed_from(backend: Backend) {
    let app = spawn_app(backend).await;
    let roles = "/api/v1/security/two-factor";
    for to in [json!(["manager"]), json!(["manager", "supervisor"])] {
        let (status, _) = app
            .send(
                reqwest::Method::PUT,
                &app.admin,
                roles,
                json!({ "roles": to }),
            )
            .await;
        assert_eq!(status, 200);
    }
    let trail = app
        .read(&app.admin, "/api/v1/audit?action=account_security")
        .await;
    let items = trail["items"].as_array().unwrap();
    // Newest first: the second change was from the first's roles, the first from none.
    assert_eq!(
        items[0]["detail"]["roles"],
        json!(["manager", "supervisor"])
    );
    assert_eq!(items[0]["before"]["roles"], json!(["manager"]), "{trail}");
    assert_eq!(items[1]["before"]["roles"], json!([]), "{trail}");
    // A removal keeps what was removed (its secrets masked: the read never shows them).
    let directory = "/api/v1/security/directory";
    let settings = json!({
        "url": "ldap://127.0.0.1:9", "bind_dn": "cn=svc,dc=example,dc=com",
        "bind_password": "svc-secret-1", "base_dn": "ou=people,dc=example,dc=com",
        "user_filter": "(uid={username})",
        "groups": [{ "group": "cn=desk,ou=groups,dc=example,dc=com", "roles": ["agent"] }],
    });
    let (status, _) = app
        .send(reqwest::Method::PUT, &app.admin, directory, settings)
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .send(reqwest::Method::DELETE, &app.admin, directory, Value::Null)
        .await;
    assert_eq!(status, 204);
    let trail = app
        .read(&app.admin, "/api/v1/audit?action=account_security")
        .await;
    let removed = &trail["items"][0];
    assert_eq!(removed["method"], "DELETE");
    assert_eq!(
        removed["before"]["directory"]["url"], "ldap://127.0.0.1:9",
        "{trail}"
    );
    assert!(!trail.to_string().contains("svc-secret-1"));
    let csv = app
        .get(&app.admin, "/api/v1/audit/export?action=account_security")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",before"), "{csv}");
    assert!(csv.contains("manager"), "{csv}");
}
