//! People, kept by admins: roles, team and region changed; deactivated (every session ends
//! at once, the sign-in refused) and brought back; a one-time password; and the two things
//! an admin may not do to their own account.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, ADMIN_PASSWORD, PASSWORD};
use crate::on_both_backends;

on_both_backends!(admins_change_deactivate_and_reset_people_but_never_lock_themselves_out,);

async fn send(
    app: &TestApp,
    method: &str,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn signs_in(app: &TestApp, username: &str, password: &str) -> bool {
    app.post_json(
        "",
        "/api/v1/auth/login",
        &json!({ "username": username, "password": password }),
    )
    .await
    .status()
        == 200
}

async fn admins_change_deactivate_and_reset_people_but_never_lock_themselves_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let (agent_id, agent) = app.user("xiaoli", &["agent"], json!({})).await;
    let team = app
        .ok(
            &app.admin,
            "/api/v1/teams",
            json!({ "name": "制冷组" }),
            201,
        )
        .await["id"]
        .clone();
    let region = app
        .ok(
            &app.admin,
            "/api/v1/regions",
            json!({ "name": "徐汇" }),
            201,
        )
        .await["id"]
        .clone();
    let path = format!("/api/v1/users/{agent_id}");

    // Roles, team, region, name and e-mail; what is left out stays.
    let (s, u) = send(
        &app,
        "PATCH",
        &app.admin,
        &path,
        Some(json!({
        "roles": ["agent", "dispatcher"], "team_id": team, "region_id": region,
        "display_name": "调度小李", "email": "li@example.com" })),
    )
    .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(
        (
            &u["roles"],
            &u["team_id"],
            &u["region_id"],
            &u["display_name"],
            &u["email"],
            &u["active"]
        ),
        (
            &json!(["dispatcher", "agent"]),
            &team,
            &region,
            &json!("调度小李"),
            &json!("li@example.com"),
            &json!(true)
        )
    );
    let (s, u) = send(
        &app,
        "PATCH",
        &app.admin,
        &path,
        Some(json!({ "team_id": null })),
    )
    .await;
    assert_eq!(
        (s, &u["team_id"], &u["region_id"]),
        (200, &Value::Null, &region)
    );
    // Their session still works after a change of roles.
    app.ok_get(&agent, "/api/v1/tickets", 200).await;

    // Bad input names its field, and changes nothing.
    for (body, field) in [
        (json!({ "roles": [] }), "roles"),
        (json!({ "roles": ["customer"] }), "customer_id"),
        (json!({ "team_id": uuid::Uuid::new_v4() }), "team_id"),
        (json!({ "email": "not-mail" }), "email"),
        (json!({ "display_name": " " }), "display_name"),
    ] {
        let (s, e) = send(&app, "PATCH", &app.admin, &path, Some(body)).await;
        assert_eq!((s, e["field"].as_str()), (422, Some(field)), "{e}");
    }
    let (s, _) = send(
        &app,
        "PATCH",
        &app.admin,
        &path,
        Some(json!({ "roles": ["wizard"] })),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        app.read(&app.admin, "/api/v1/users?role=dispatcher").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Only admins; an unknown person is a 404.
    for token in [&agent] {
        assert_eq!(
            send(
                &app,
                "PATCH",
                token,
                &path,
                Some(json!({ "display_name": "x" }))
            )
            .await
            .0,
            403
        );
        assert_eq!(send(&app, "DELETE", token, &path, None).await.0, 403);
        assert_eq!(
            send(&app, "POST", token, &format!("{path}/password"), None)
                .await
                .0,
            403
        );
    }
    let nobody = format!("/api/v1/users/{}", uuid::Uuid::new_v4());
    assert_eq!(send(&app, "DELETE", &app.admin, &nobody, None).await.0, 404);
    assert_eq!(
        send(
            &app,
            "POST",
            &app.admin,
            &format!("{nobody}/password"),
            None
        )
        .await
        .0,
        404
    );

    // Deactivated: the open session stops at once, the password no longer signs in.
    let (s, u) = send(&app, "DELETE", &app.admin, &path, None).await;
    assert_eq!((s, &u["active"]), (200, &json!(false)));
    assert_eq!(app.get(&agent, "/api/v1/tickets").await.status(), 401);
    assert!(!signs_in(&app, "xiaoli", PASSWORD).await);
    // Brought back: they sign in again (the old session stays ended).
    let (s, _) = send(
        &app,
        "PATCH",
        &app.admin,
        &path,
        Some(json!({ "active": true })),
    )
    .await;
    assert_eq!(s, 200);
    assert!(signs_in(&app, "xiaoli", PASSWORD).await);
    assert_eq!(app.get(&agent, "/api/v1/tickets").await.status(), 401);

    // A one-time password: the old one stops working, every session ends.
    let fresh = app.login("xiaoli", PASSWORD).await;
    let (s, p) = send(&app, "POST", &app.admin, &format!("{path}/password"), None).await;
    assert_eq!(s, 200);
    let one_time = p["password"].as_str().unwrap().to_owned();
    assert_eq!(one_time.len(), 12);
    assert!(!one_time.contains(['0', 'O', '1', 'l', 'I']), "{one_time}");
    assert_eq!(app.get(&fresh, "/api/v1/tickets").await.status(), 401);
    assert!(!signs_in(&app, "xiaoli", PASSWORD).await);
    assert!(signs_in(&app, "xiaoli", &one_time).await);

    // An admin may not take their own admin role, nor deactivate themselves; another admin may.
    let me = app.read(&app.admin, "/api/v1/me").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mine = format!("/api/v1/users/{me}");
    let (s, e) = send(
        &app,
        "PATCH",
        &app.admin,
        &mine,
        Some(json!({ "roles": ["manager"] })),
    )
    .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("roles")), "{e}");
    let (s, e) = send(&app, "DELETE", &app.admin, &mine, None).await;
    assert_eq!((s, e["field"].as_str()), (422, Some("active")), "{e}");
    let (s, e) = send(&app, "POST", &app.admin, &format!("{mine}/password"), None).await;
    assert_eq!((s, e["field"].as_str()), (422, Some("id")), "{e}");
    assert!(signs_in(&app, "admin", ADMIN_PASSWORD).await);
    let (_, second) = app.user("second", &["admin"], json!({})).await;
    let (s, u) = send(
        &app,
        "PATCH",
        &second,
        &mine,
        Some(json!({ "roles": ["manager"] })),
    )
    .await;
    assert_eq!((s, &u["roles"]), (200, &json!(["manager"])), "{u}");
    // The change holds at once for the session of the one changed.
    assert_eq!(
        send(
            &app,
            "DELETE",
            &app.admin,
            &format!("/api/v1/users/{agent_id}"),
            None
        )
        .await
        .0,
        403
    );
}
