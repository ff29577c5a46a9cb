//! Sessions and the second factor (issue 24): a user sees where they are signed in and ends
//! any session, or all but this one, and an admin ends all of someone's.
//!
//! The second factor: a tenant makes a role enrol, whose sessions may do nothing
//! else until they do; a user enrols their app with a first code; sign-ins then need a code of
//! the app, each code works once, and an admin resets a lost phone.

use loopdesk_core::clock::Clock;
use loopdesk_core::totp::{step_of, Secret};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    a_role_must_enrol_and_then_signs_in_with_a_code_that_works_once,
    sessions_are_listed_and_ended_one_by_one_or_everywhere_else,
    a_user_changes_their_password_and_weak_ones_are_refused,
);

/// The code the app shows now, or `steps` steps of 30 s later.
fn code(app: &TestApp, secret: &Secret, steps: i64) -> String {
    format!("{:06}", secret.code(step_of(app.clock.now()) + steps))
}

async fn login_with(app: &TestApp, username: &str, totp: Option<&str>) -> (u16, Value) {
    let mut body = json!({ "username": username, "password": PASSWORD });
    if let Some(c) = totp {
        body["totp"] = json!(c);
    }
    let r = app.post_json("", "/api/v1/auth/login", &body).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn a_role_must_enrol_and_then_signs_in_with_a_code_that_works_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (agent_id, agent) = app.user("tf-agent", &["agent"], json!({})).await;
    let (_, dispatcher) = app.user("tf-dispatcher", &["dispatcher"], json!({})).await;

    // Only admins name the roles; a customer or an unknown role cannot be named.
    let path = "/api/v1/security/two-factor";
    let (s, _) = app
        .send(
            Method::PUT,
            &dispatcher,
            path,
            json!({ "roles": ["agent"] }),
        )
        .await;
    assert_eq!(s, 403);
    for bad in [json!(["customer"]), json!(["boss"])] {
        let (s, e) = app
            .send(Method::PUT, &app.admin, path, json!({ "roles": bad }))
            .await;
        assert_eq!((s, e["field"].as_str()), (422, Some("roles")), "{e}");
    }
    let (s, set) = app
        .send(Method::PUT, &app.admin, path, json!({ "roles": ["agent"] }))
        .await;
    assert_eq!((s, set), (200, json!({ "roles": ["agent"] })));
    assert_eq!(
        app.read(&app.admin, path).await,
        json!({ "roles": ["agent"] })
    );

    // The agent's session may only set up a second factor; the dispatcher is not asked.
    let r = app.get(&agent, "/api/v1/tickets").await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "two_factor_setup_required"
    );
    assert_eq!(app.get(&agent, "/api/v1/me").await.status(), 200);
    assert_eq!(app.get(&dispatcher, "/api/v1/tickets").await.status(), 200);

    // Enrolling: a secret, then a first code of it (a wrong one is refused, naming the field).
    let e = app
        .ok(&agent, "/api/v1/me/two-factor", json!({}), 201)
        .await;
    let secret = Secret::from_base32(e["secret"].as_str().unwrap()).unwrap();
    assert!(e["uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Loopdesk:tf-agent?secret="));
    let confirm = "/api/v1/me/two-factor/confirm";
    let wrong = if code(&app, &secret, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let r = app
        .post_json(&agent, confirm, &json!({ "totp": wrong }))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "totp");
    let first = code(&app, &secret, 0);
    let r = app
        .post_json(&agent, confirm, &json!({ "totp": first }))
        .await;
    assert_eq!(r.status(), 204);
    // The same session now works, and says so.
    assert_eq!(app.get(&agent, "/api/v1/tickets").await.status(), 200);
    assert_eq!(app.read(&agent, "/api/v1/me").await["two_factor"], true);

    // Signing in: the password alone is not enough; the code used to enrol is spent.
    let (s, e) = login_with(&app, "tf-agent", None).await;
    assert_eq!(
        (s, e["error"].as_str(), e["field"].as_str()),
        (401, Some("two_factor_required"), Some("totp"))
    );
    let (s, e) = login_with(&app, "tf-agent", Some(&first)).await;
    assert_eq!((s, e["error"].as_str()), (401, Some("bad_two_factor")));
    app.clock.advance(chrono::Duration::seconds(30));
    let now_code = code(&app, &secret, 0);
    let (s, signed) = login_with(&app, "tf-agent", Some(&now_code)).await;
    assert_eq!(s, 200, "{signed}");
    // Seen over a shoulder, the same code does not sign in again.
    let (s, _) = login_with(&app, "tf-agent", Some(&now_code)).await;
    assert_eq!(s, 401);

    // A lost phone: the admin resets it, and the agent must enrol again before working.
    let (s, _) = app
        .send(
            Method::DELETE,
            &dispatcher,
            &format!("/api/v1/users/{agent_id}/two-factor"),
            json!({}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .send(
            Method::DELETE,
            &app.admin,
            &format!("/api/v1/users/{agent_id}/two-factor"),
            json!({}),
        )
        .await;
    assert_eq!(s, 204);
    let (s, fresh) = login_with(&app, "tf-agent", None).await;
    assert_eq!(s, 200);
    let fresh = fresh["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&fresh, "/api/v1/tickets").await.status(), 403);

    // Turning it off takes a current code.
    let e = app
        .ok(&fresh, "/api/v1/me/two-factor", json!({}), 201)
        .await;
    let secret = Secret::from_base32(e["secret"].as_str().unwrap()).unwrap();
    let r = app
        .post_json(&fresh, confirm, &json!({ "totp": code(&app, &secret, 0) }))
        .await;
    assert_eq!(r.status(), 204);
    let off = "/api/v1/me/two-factor/off";
    let r = app
        .post_json(&fresh, off, &json!({ "totp": "12345" }))
        .await;
    assert_eq!(r.status(), 422);
    app.clock.advance(chrono::Duration::seconds(30));
    let r = app
        .post_json(&fresh, off, &json!({ "totp": code(&app, &secret, 0) }))
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(app.read(&fresh, "/api/v1/me").await["two_factor"], false);

    // The trail keeps each step, never a code.
    let trail = app
        .read(&app.admin, "/api/v1/audit?action=account_security")
        .await;
    let items = trail["items"].as_array().unwrap();
    assert!(items.len() >= 5, "{trail}");
    assert!(!trail.to_string().contains(&now_code), "{trail}");
}

async fn sessions_are_listed_and_ended_one_by_one_or_everywhere_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, first) = app.user("ss-agent", &["agent"], json!({})).await;
    // Two more sign-ins, one from a phone.
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", "Loopdesk-Phone/1.0 (Android 14)")
        .json(&json!({ "username": "ss-agent", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let phone = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let third = app.login("ss-agent", PASSWORD).await;

    let listed = app.read(&third, "/api/v1/me/sessions").await;
    let items = listed.as_array().unwrap();
    assert_eq!(items.len(), 3, "{listed}");
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let on_phone = items
        .iter()
        .find(|s| s["user_agent"] == "Loopdesk-Phone/1.0 (Android 14)")
        .expect("the phone's session");
    assert_eq!(on_phone["client_ip"], "127.0.0.1");

    // The phone is lost: its session ends, the others go on.
    let path = format!("/api/v1/me/sessions/{}", on_phone["id"].as_str().unwrap());
    let (s, _) = app.send(Method::DELETE, &third, &path, json!({})).await;
    assert_eq!(s, 204);
    assert_eq!(app.get(&phone, "/api/v1/me").await.status(), 401);
    assert_eq!(app.get(&first, "/api/v1/me").await.status(), 200);
    // Someone else's session is not theirs to end.
    let (_, other) = app.user("ss-other", &["agent"], json!({})).await;
    let others = app.read(&other, "/api/v1/me/sessions").await;
    let path = format!("/api/v1/me/sessions/{}", others[0]["id"].as_str().unwrap());
    let (s, _) = app.send(Method::DELETE, &third, &path, json!({})).await;
    assert_eq!(s, 404);

    // Everywhere else: only this one stays.
    let ended = app
        .ok(&third, "/api/v1/me/sessions/end-others", json!({}), 200)
        .await;
    assert_eq!(ended["ended"], 1);
    assert_eq!(app.get(&first, "/api/v1/me").await.status(), 401);
    assert_eq!(app.get(&third, "/api/v1/me").await.status(), 200);

    // An admin sees and ends all of someone's; nobody else may.
    let path = format!("/api/v1/users/{id}/sessions");
    assert_eq!(app.get(&other, &path).await.status(), 403);
    assert_eq!(
        app.read(&app.admin, &path).await.as_array().unwrap().len(),
        1
    );
    let r = app
        .post_json(&other, &format!("{path}/end-all"), &json!({}))
        .await;
    assert_eq!(r.status(), 403);
    let ended = app
        .ok(&app.admin, &format!("{path}/end-all"), json!({}), 200)
        .await;
    assert_eq!(ended["ended"], 1);
    assert_eq!(app.get(&third, "/api/v1/me").await.status(), 401);
}

async fn a_user_changes_their_password_and_weak_ones_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    // An admin cannot give anyone a password a guesser tries first.
    for (weak, why) in [("12345678", "error"), ("zhangwei-2026", "name")] {
        let r = app
            .post_json(
                &app.admin,
                "/api/v1/users",
                &json!({ "username": "zhangwei", "password": weak, "roles": ["agent"] }),
            )
            .await;
        assert_eq!(r.status(), 422, "{why}");
        assert_eq!(r.json::<Value>().await.unwrap()["field"], "password");
    }
    let (_, here) = app.user("pw-agent", &["agent"], json!({})).await;
    let elsewhere = app.login("pw-agent", PASSWORD).await;
    let path = "/api/v1/me/password";
    for (current, new, field) in [
        ("not-my-password", "a quiet walk home", "current_password"),
        (PASSWORD, "88888888", "new_password"),
        (PASSWORD, PASSWORD, "new_password"),
    ] {
        let body = json!({ "current_password": current, "new_password": new });
        let r = app.post_json(&here, path, &body).await;
        assert_eq!(r.status(), 422, "{new}");
        assert_eq!(r.json::<Value>().await.unwrap()["field"], field, "{new}");
    }
    let body = json!({ "current_password": PASSWORD, "new_password": "a quiet walk home" });
    assert_eq!(app.post_json(&here, path, &body).await.status(), 204);
    // This session goes on, the others end; the new password signs in, the old does not.
    assert_eq!(app.get(&here, "/api/v1/me").await.status(), 200);
    assert_eq!(app.get(&elsewhere, "/api/v1/me").await.status(), 401);
    app.login("pw-agent", "a quiet walk home").await;
    let (s, _) = login_with(&app, "pw-agent", None).await;
    assert_eq!(s, 401);
}
