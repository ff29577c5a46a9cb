use super::*;

#[test]
fn webhooks_are_checked_field_by_field() {
    let ev = vec!["ticket.created".to_owned()];
    assert_eq!(
        check_webhook("https://x.example/h", "0123456789abcdef", &ev, None),
        Ok(8)
    );
    let field = |r: Result<i64, FieldError>| r.unwrap_err().field;
    assert_eq!(
        field(check_webhook("ftp://x", "0123456789abcdef", &ev, None)),
        "url"
    );
    assert_eq!(
        field(check_webhook("http://a b", "0123456789abcdef", &ev, None)),
        "url"
    );
    assert_eq!(
        field(check_webhook("http://x", "short", &ev, None)),
        "secret"
    );
    let bad = vec!["ticket.exploded".to_owned()];
    assert_eq!(
        field(check_webhook("http://x", "0123456789abcdef", &bad, None)),
        "events"
    );
    assert_eq!(
        field(check_webhook("http://x", "0123456789abcdef", &[], None)),
        "events"
    );
    assert_eq!(
        field(check_webhook("http://x", "0123456789abcdef", &ev, Some(0))),
        "max_attempts"
    );
    assert!(subscribed(&["*".to_owned()], "sla.breached"));
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
