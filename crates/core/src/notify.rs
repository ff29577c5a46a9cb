//! Who hears of what: the events the outside world can subscribe to, what a webhook
//! endpoint must look like, and who gets an in-app notification.

use crate::validate::FieldError;
use crate::{Role, Roles};

/// Events a webhook can subscribe to (`*` subscribes to all).
pub const EVENTS: [&str; 17] = [
    "ticket.created",
    "ticket.status_changed",
    "ticket.assigned",
    "ticket.commented",
    "ticket.chased",
    "ticket.priority_changed",
    "ticket.remediation",
    "sla.warning",
    "sla.breached",
    "sla.escalated",
    "survey.sent",
    "survey.answered",
    "requisition.created",
    "requisition.approved",
    "requisition.rejected",
    // A warehouse's free stock of a part fell below its threshold (not about a ticket).
    "stock.low",
    // A milestone told to the customer, with the channel, address and text ready to send
    // (for SMS gateways and chat bots); derived from the events above.
    "customer.notice",
];

/// Attempts before a delivery is dead, unless the endpoint says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 8;

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

/// Checks a webhook endpoint: an http(s) URL, a secret of 16–200 characters, known events,
/// 1–50 attempts. Answers the attempts to use.
pub fn check_webhook(
    url: &str,
    secret: &str,
    events: &[String],
    max_attempts: Option<i64>,
) -> Result<i64, FieldError> {
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.contains(char::is_whitespace)
        || url.len() > 2000
    {
        return fail("url", "error.webhook_url");
    }
    if !(16..=200).contains(&secret.chars().count()) {
        return fail("secret", "error.webhook_secret");
    }
    if events.is_empty()
        || events
            .iter()
            .any(|e| e != "*" && !EVENTS.contains(&e.as_str()))
    {
        return fail("events", "error.webhook_events");
    }
    let attempts = max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
    if !(1..=50).contains(&attempts) {
        return fail("max_attempts", "error.webhook_attempts");
    }
    Ok(attempts)
}

/// True when an endpoint subscribed to `events` wants `event`.
pub fn subscribed(events: &[String], event: &str) -> bool {
    events.iter().any(|e| e == event || e == "*")
}

/// Who gets an in-app notification of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Nobody (the event is for webhooks only).
    Nobody,
    /// The ticket's assignee.
    Assignee,
    /// Holders of these roles, routed by [`escalation_recipients`].
    Roles(Vec<Role>),
}

/// Who hears of `event` (with its `data`) in the app: the engineer a ticket was assigned to;
/// the roles an escalation level names; the supervisors, of a ticket put into remediation.
pub fn in_app_audience(event: &str, data: &serde_json::Value) -> Audience {
    match event {
        "ticket.assigned" | "ticket.chased" | "requisition.approved" | "requisition.rejected" => {
            Audience::Assignee
        }
        "requisition.created" => Audience::Roles(vec![Role::Supervisor]),
        "ticket.remediation" => Audience::Roles(vec![Role::Supervisor]),
        "sla.escalated" => Audience::Roles(
            serde_json::from_value(data["notify_roles"].clone()).unwrap_or_default(),
        ),
        _ => Audience::Nobody,
    }
}

/// A member of staff, as far as routing a notification needs.
#[derive(Clone, Copy, Debug)]
pub struct Staff<'a> {
    /// The user's id.
    pub id: &'a str,
    /// Their roles.
    pub roles: Roles,
    /// Their region.
    pub region: Option<&'a str>,
}

/// Who is told of an escalation to `roles` on a ticket in `region`: for the supervisor role
/// the supervisors of that region, or every supervisor when the region has none; for any
/// other role everyone holding it. Each person once.
pub fn escalation_recipients<'a>(
    roles: &[Role],
    region: Option<&str>,
    staff: &[Staff<'a>],
) -> Vec<&'a str> {
    let mut out = Vec::new();
    for &role in roles {
        let holders = staff.iter().filter(|s| s.roles.has(role));
        let local: Vec<&str> = holders
            .clone()
            .filter(|s| region.is_some() && s.region == region)
            .map(|s| s.id)
            .collect();
        if role == Role::Supervisor && !local.is_empty() {
            out.extend(local);
        } else {
            out.extend(holders.map(|s| s.id));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
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
}
