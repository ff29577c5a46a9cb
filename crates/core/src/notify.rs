//! Who hears of what: the events the outside world can subscribe to, what a webhook
//! endpoint must look like, and who gets an in-app notification.

use std::net::{IpAddr, Ipv4Addr};

use crate::net::{self, IpRange};
use crate::validate::FieldError;
use crate::{Role, Roles};

/// Events a webhook can subscribe to (`*` subscribes to all).
pub const EVENTS: [&str; 19] = [
    "ticket.created",
    "ticket.status_changed",
    "ticket.assigned",
    "ticket.commented",
    "ticket.chased",
    "ticket.priority_changed",
    "ticket.category_changed",
    "ticket.remediation",
    // The customer's words read urgent (triage's lexicon): the supervisors hear of it.
    "ticket.urgent",
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

/// The event of a test delivery an admin sends to check a receiver (not subscribable).
pub const TEST_EVENT: &str = "webhook.test";

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

/// Checks a webhook endpoint: an http(s) URL whose host is not internal (unless `allowed`
/// admits it, see [`webhook_host_allowed`]), a secret of 16–200 characters, known events,
/// 1–50 attempts. Answers the attempts to use.
pub fn check_webhook(
    url: &str,
    secret: &str,
    events: &[String],
    max_attempts: Option<i64>,
    allowed: &[IpRange],
) -> Result<i64, FieldError> {
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.contains(char::is_whitespace)
        || url.len() > 2000
    {
        return fail("url", "error.webhook_url");
    }
    let parsed = url::Url::parse(url).or_else(|_| fail("url", "error.webhook_url"))?;
    if !webhook_host_allowed(&parsed, allowed) {
        return fail("url", "error.webhook_internal");
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

/// True unless the URL's host is an internal address (loopback, private, link-local …, in
/// any spelling the URL standard accepts: `2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`) or a
/// `localhost` name, outside the ranges the operator allowed. A host name is checked again
/// where it is resolved, on every delivery (it may point elsewhere by then).
pub fn webhook_host_allowed(url: &url::Url, allowed: &[IpRange]) -> bool {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            } else {
                return true;
            }
        }
        None => return false,
    };
    net::may_call(ip, allowed)
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
        "ticket.remediation" | "ticket.urgent" => Audience::Roles(vec![Role::Supervisor]),
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
#[path = "notify_tests.rs"]
mod tests;
