use super::*;

#[test]
fn webhooks_are_checked_field_by_field() {
    let ev = vec!["ticket.created".to_owned()];
    assert_eq!(
        check_webhook("https://x.example/h", "0123456789abcdef", &ev, None, &[]),
        Ok(8)
    );
    let field = |r: Result<i64, FieldError>| r.unwrap_err().field;
    assert_eq!(
        field(check_webhook("ftp://x", "0123456789abcdef", &ev, None, &[])),
        "url"
    );
    assert_eq!(
        field(check_webhook(
            "http://a b",
            "0123456789abcdef",
            &ev,
            None,
            &[]
        )),
        "url"
    );
    assert_eq!(
        field(check_webhook("http://x", "short", &ev, None, &[])),
        "secret"
    );
    let bad = vec!["ticket.exploded".to_owned()];
    assert_eq!(
        field(check_webhook(
            "http://x",
            "0123456789abcdef",
            &bad,
            None,
            &[]
        )),
        "events"
    );
    assert_eq!(
        field(check_webhook(
            "http://x",
            "0123456789abcdef",
            &[],
            None,
            &[]
        )),
        "events"
    );
    assert_eq!(
        field(check_webhook(
            "http://x",
            "0123456789abcdef",
            &ev,
            Some(0),
            &[]
        )),
        "max_attempts"
    );
    assert!(subscribed(&["*".to_owned()], "sla.breached"));
}

#[test]
fn webhooks_to_this_machine_or_a_private_network_are_refused_unless_allowed() {
    let ev = vec!["ticket.created".to_owned()];
    let key = "0123456789abcdef";
    for url in [
        "http://127.0.0.1:9000/h",
        "http://localhost/h",
        "http://api.localhost./h",
        "http://2130706433/h",
        "http://0x7f.1/h",
        "http://[::1]/h",
        "http://[::ffff:7f00:1]/h",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/h",
        "http://192.168.1.10/h",
        "http://0.0.0.0/h",
    ] {
        let err = check_webhook(url, key, &ev, None, &[]).unwrap_err();
        assert_eq!(
            (err.field, err.reason),
            ("url", "error.webhook_internal"),
            "{url}"
        );
    }
    let loopback: IpRange = "127.0.0.0/8".parse().unwrap();
    assert_eq!(
        check_webhook("http://127.0.0.1:9000/h", key, &ev, None, &[loopback]),
        Ok(8)
    );
    assert_eq!(
        check_webhook("http://localhost:9000/h", key, &ev, None, &[loopback]),
        Ok(8)
    );
    assert!(check_webhook("http://10.0.0.5/h", key, &ev, None, &[loopback]).is_err());
    assert_eq!(
        check_webhook("https://hooks.example.com/h", key, &ev, None, &[]),
        Ok(8)
    );
    assert_eq!(
        check_webhook("http://8.8.8.8/h", key, &ev, None, &[]),
        Ok(8)
    );
    assert!(!subscribed(&ev, "sla.breached"));
}

#[test]
fn escalations_go_to_the_regions_supervisors_else_to_all() {
    let sup: Roles = [Role::Supervisor].into_iter().collect();
    let mgr: Roles = [Role::Manager, Role::Supervisor].into_iter().collect();
    let staff = [
        Staff {
            id: "s-east",
            roles: sup,
            region: Some("east"),
        },
        Staff {
            id: "s-west",
            roles: sup,
            region: Some("west"),
        },
        Staff {
            id: "boss",
            roles: mgr,
            region: None,
        },
    ];
    let sv = [Role::Supervisor];
    assert_eq!(
        escalation_recipients(&sv, Some("east"), &staff),
        vec!["s-east"]
    );
    // A region without its own supervisor: every supervisor hears of it.
    assert_eq!(
        escalation_recipients(&sv, Some("north"), &staff),
        vec!["boss", "s-east", "s-west"]
    );
    assert_eq!(
        escalation_recipients(&sv, None, &staff),
        vec!["boss", "s-east", "s-west"]
    );
    // Several roles, each person once.
    assert_eq!(
        escalation_recipients(&[Role::Supervisor, Role::Manager], Some("west"), &staff),
        vec!["boss", "s-west"]
    );
    assert!(escalation_recipients(&[Role::Admin], Some("west"), &staff).is_empty());
}
