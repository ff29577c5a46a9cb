//! The audit trail (issue 24): which requests are admin and security actions, what they are
//! called, and what of a request is kept — never a password, token or secret.

use serde_json::Value;

/// Entries younger than this are never removed, whatever the retention says.
pub const MIN_RETENTION_DAYS: i64 = 30;
/// Retention when the tenant set none.
pub const DEFAULT_RETENTION_DAYS: i64 = 365;
/// Every action the trail names, as `action_of` and the sign-in's outcome spell them.
pub const ACTIONS: [&str; 15] = [
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "account_security",
    "users",
    "settings",
    "sla",
    "webhooks",
    "channels",
    "organisation",
    "training",
    "report_schedules",
    "import",
    "export",
    "tenants",
];
/// Bytes of a request body kept at most (an import's lines are counted, not kept).
pub const MAX_KEPT_BODY: usize = 16 * 1024;

/// What a request does, when it is one the audit trail keeps: sign-ins and sign-outs, users
/// and roles, settings, SLA policies and calendars, webhooks, channels, the organisation,
/// model training, imports and exports. Inbound traffic of a channel (messages, call events)
/// is the channel's own log, not an admin's action.
pub fn action_of(method: &str, path: &str, query: &str) -> Option<&'static str> {
    let path = path.trim_end_matches('/');
    // Runs on every request: compared in place, nothing allocated.
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if method == "GET" {
        let export = path.ends_with("/export")
            || path.ends_with(".csv")
            || path.ends_with(".xlsx")
            || query
                .split('&')
                .any(|kv| matches!(kv, "format=xlsx" | "format=csv"));
        return export.then_some("export");
    }
    if !matches!(method, "POST" | "PUT" | "PATCH" | "DELETE") {
        return None;
    }
    match path {
        "/api/v1/auth/login" | "/login" | "/login/two-factor" => return Some("sign_in"),
        "/api/v1/auth/logout" | "/logout" => return Some("sign_out"),
        _ => {}
    }
    if path.ends_with("/import") || under("/api/v1/import") || under("/admin/import-tickets") {
        return Some("import");
    }
    let inbound = ["/messages", "/events", "/callback", "/retry", "/discard"];
    if under("/api/v1/channels") || under("/admin/channels") {
        let operational = inbound.iter().any(|s| path.contains(s));
        return (!operational).then_some("channels");
    }
    if under("/api/v1/platform") {
        return Some("tenants");
    }
    let families: [(&[&str], &'static str); 8] = [
        (
            &[
                "/api/v1/me/two-factor",
                "/api/v1/me/sessions",
                "/api/v1/me/password",
                "/api/v1/security",
                "/account/security",
                "/account/sessions",
                "/account/password",
                "/admin/security",
                "/admin/directory",
                "/admin/sso",
            ],
            "account_security",
        ),
        (&["/api/v1/users", "/admin/users"], "users"),
        (
            &["/api/v1/sla-policies", "/api/v1/calendars", "/admin/sla"],
            "sla",
        ),
        (&["/api/v1/webhooks", "/admin/webhooks"], "webhooks"),
        (
            &[
                "/api/v1/settings",
                "/api/v1/triage/settings",
                "/api/v1/screening/settings",
                "/api/v1/stock/thresholds",
                "/admin/settings",
            ],
            "settings",
        ),
        (
            &[
                "/api/v1/regions",
                "/api/v1/teams",
                "/api/v1/categories",
                "/api/v1/models",
                "/admin/regions",
                "/admin/teams",
                "/admin/categories",
            ],
            "organisation",
        ),
        (&["/api/v1/triage/train"], "training"),
        (&["/api/v1/report-schedules"], "report_schedules"),
    ];
    families
        .iter()
        .find(|(prefixes, _)| prefixes.iter().any(|p| under(p)))
        .map(|(_, action)| *action)
}

/// True for a field whose value must never be kept.
fn secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "secret", "token", "key", "aes", "totp"]
        .iter()
        .any(|s| k.contains(s))
}

/// A request body as the trail keeps it, always an object (or null for no body): JSON with
/// every secret field's value replaced by `"***"` (a body that is not an object under
/// `body`); a form (`a=b&c=d`) the same way; anything else by its size only.
pub fn kept_body(body: &[u8], form: bool) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    if body.len() > MAX_KEPT_BODY {
        return serde_json::json!({ "bytes": body.len() });
    }
    if form {
        let mut out = serde_json::Map::new();
        for pair in String::from_utf8_lossy(body).split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = form_decode(k);
            let v = if secret(&k) {
                "***".to_owned()
            } else {
                form_decode(v)
            };
            out.insert(k, Value::String(v));
        }
        return Value::Object(out);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => redact(v),
        Ok(other) => serde_json::json!({ "body": redact(other) }),
        Err(_) => serde_json::json!({ "bytes": body.len() }),
    }
}

/// A form field as typed: `+` a space, `%XX` its byte.
fn form_decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| (h * 16 + l) as u8),
            _ => None,
        };
        match (bytes[i], escaped) {
            (_, Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (b, None) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn redact(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if secret(&k) {
                        Value::String("***".into())
                    } else {
                        redact(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

/// The retention a tenant asks for, kept within what the trail allows.
pub fn retention_days(asked: Option<i64>) -> i64 {
    asked
        .unwrap_or(DEFAULT_RETENTION_DAYS)
        .clamp(MIN_RETENTION_DAYS, 3650)
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
