use super::*;

#[test]
fn admin_and_security_requests_are_named_and_daily_work_is_not() {
    let cases = [
        ("POST", "/api/v1/auth/login", "", Some("sign_in")),
        ("POST", "/login", "", Some("sign_in")),
        ("POST", "/api/v1/auth/logout", "", Some("sign_out")),
        ("PATCH", "/api/v1/users/u1", "", Some("users")),
        ("POST", "/admin/users/u1/password", "", Some("users")),
        ("POST", "/api/v1/sla-policies", "", Some("sla")),
        ("PUT", "/api/v1/calendars/c1", "", Some("sla")),
        ("DELETE", "/api/v1/webhooks/w1", "", Some("webhooks")),
        ("PATCH", "/api/v1/channels/c1", "", Some("channels")),
        ("PUT", "/api/v1/screening/settings", "", Some("settings")),
        ("POST", "/admin/settings/triage", "", Some("settings")),
        ("POST", "/api/v1/import/tickets", "", Some("import")),
        ("POST", "/api/v1/customers/import", "", Some("import")),
        ("POST", "/api/v1/triage/train", "", Some("training")),
        ("GET", "/desk/export", "", Some("export")),
        (
            "GET",
            "/api/v1/kpis",
            "group=region&format=xlsx",
            Some("export"),
        ),
        // Daily work, and a channel's inbound traffic: not admin actions.
        ("POST", "/api/v1/tickets", "", None),
        ("POST", "/api/v1/channels/c1/messages", "", None),
        ("POST", "/api/v1/channels/c1/events", "", None),
        ("GET", "/api/v1/users", "", None),
        ("POST", "/api/v1/triage", "", None),
        ("POST", "/api/v1/usersx", "", None),
    ];
    for (method, path, query, want) in cases {
        assert_eq!(
            action_of(method, path, query),
            want,
            "{method} {path}?{query}"
        );
    }
}

#[test]
fn no_password_token_or_secret_is_ever_kept() {
    let body = br#"{"username":"li","password":"hunter22","webhook":{"secret":"s3","url":"https://x"},"items":[{"api_token":"t"}]}"#;
    let kept = kept_body(body, false);
    assert_eq!(kept["username"], "li");
    assert_eq!(kept["password"], "***");
    assert_eq!(kept["webhook"]["secret"], "***");
    assert_eq!(kept["webhook"]["url"], "https://x");
    assert_eq!(kept["items"][0]["api_token"], "***");
    let form = kept_body(
        b"username=zhang+san&password=p%40ss&name=%E5%8D%8E%E4%B8%9C",
        true,
    );
    assert_eq!(form["username"], "zhang san");
    assert_eq!(form["password"], "***");
    assert_eq!(form["name"], "华东");
    assert_eq!(
        kept_body(&vec![b'x'; MAX_KEPT_BODY + 1], false)["bytes"],
        MAX_KEPT_BODY + 1
    );
    assert_eq!(kept_body(b"not json", false)["bytes"], 8);
    // Whatever was sent, what is kept is an object.
    assert_eq!(
        kept_body(b"-18564681", false),
        serde_json::json!({ "body": -18564681 })
    );
    let list = kept_body(br#"[{"secret":"x"}]"#, false);
    assert_eq!(list["body"][0]["secret"], "***");
    assert_eq!(kept_body(b"%zz%", true)["%zz%"], "");
}

#[test]
fn retention_is_kept_within_bounds() {
    assert_eq!(retention_days(None), DEFAULT_RETENTION_DAYS);
    assert_eq!(retention_days(Some(1)), MIN_RETENTION_DAYS);
    assert_eq!(retention_days(Some(90)), 90);
}

#[test]
fn every_action_named_is_listed() {
    for (method, path) in [
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/api/v1/users"),
    ] {
        let a = action_of(method, path, "").unwrap();
        assert!(ACTIONS.contains(&a), "{a}");
    }
    assert!(ACTIONS.contains(&"sign_in_failed"));
}
