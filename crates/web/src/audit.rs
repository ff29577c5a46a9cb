//! Writes the audit trail: every request core's `audit::action_of` names (sign-ins and their
//! failures, users, settings, SLA, webhooks, channels, the organisation, imports, exports) is
//! recorded after it is answered, with who, from where, what was asked (secrets removed) and
//! the answer's status.

use axum::extract::{FromRequestParts, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use loopdesk_core::audit;
use loopdesk_store::{AuditEntry, NewAudit};

use crate::error::ApiError;
use crate::extract::{bearer_or_cookie, ClientIp};
use crate::state::AppState;

/// Runs the request, and records it if it is an admin or security action (called by
/// [`crate::security::defend`]; nothing is copied for any other request).
pub async fn keep(state: &AppState, req: Request, next: Next) -> Response {
    let Some(action) = audit::action_of(
        req.method().as_str(),
        req.uri().path(),
        req.uri().query().unwrap_or(""),
    ) else {
        return next.run(req).await;
    };
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let (mut parts, body) = req.into_parts();
    let Ok(ClientIp(address)) = ClientIp::from_request_parts(&mut parts, state).await;
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    // The body is read here to keep it, within the largest body any audited route takes.
    let limit = if action == "import" {
        crate::api::ticket_import::MAX_BODY
    } else {
        state.config.max_upload_bytes + 64 * 1024
    };
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return ApiError::payload_too_large().into_response();
    };
    let now = state.clock.now();
    // Who, before the request runs (a sign-out revokes the very token).
    let who = match bearer_or_cookie(&parts.headers) {
        Some(token) => match state.sessions.get(&token, now) {
            Some(auth) => Some(auth),
            None => state.store.authenticate(&token, now).await.ok().flatten(),
        },
        None => None,
    };
    let detail = audit::kept_body(&bytes, form);
    // What a change or removal is about to change, as the caller could read it just before.
    let before = match (method.as_str(), &who) {
        ("PUT" | "PATCH" | "DELETE", Some(_)) if path.starts_with("/api/") => {
            read_before(state, &parts.headers, &path).await
        }
        _ => None,
    };
    let response = next
        .run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await;
    let status = response.status();
    let (action, actor_id, actor_name, tenant_id) = if action == "sign_in" {
        // A page's sign-in answers with a redirect and a session cookie; the API's with 200.
        let signed_in = status.is_success() && path.starts_with("/api/")
            || response.headers().contains_key(header::SET_COOKIE) && status.is_redirection();
        let name = detail["username"]
            .as_str()
            .unwrap_or("")
            .trim()
            .to_lowercase();
        let tenant = state
            .store
            .sign_in_tenant(detail["tenant"].as_str(), &name)
            .await
            .ok()
            .flatten();
        let action = if signed_in {
            "sign_in"
        } else {
            "sign_in_failed"
        };
        (action, None, name, tenant)
    } else {
        match &who {
            Some(a) => (
                action,
                Some(a.user.id),
                a.user.username.clone(),
                Some(a.user.tenant_id),
            ),
            None => (action, None, String::new(), None),
        }
    };
    let entry = NewAudit {
        tenant_id,
        entry: AuditEntry {
            at: now,
            actor_id,
            actor_name,
            address,
            action: action.to_owned(),
            method,
            path,
            status: status.as_u16(),
            detail,
            before,
        },
    };
    if let Err(e) = state.store.record_audit(entry).await {
        tracing::error!(error = %e, "writing the audit trail failed");
    }
    response
}

/// The API's routes without their state (holding none, they hold no cycle through it).
fn api_routes() -> &'static axum::Router<AppState> {
    static ROUTES: std::sync::OnceLock<axum::Router<AppState>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| {
        crate::api::routes(utoipa_axum::router::OpenApiRouter::new())
            .split_for_parts()
            .0
    })
}

/// The answer a read of `path` gives the same caller (their token or cookie), secrets masked;
/// `None` where the path has no read or it is not a JSON object's.
async fn read_before(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    path: &str,
) -> Option<serde_json::Value> {
    use tower::ServiceExt;
    let mut read = axum::http::Request::builder().method("GET").uri(path);
    for name in [header::AUTHORIZATION, header::COOKIE] {
        if let Some(v) = headers.get(&name) {
            read = read.header(name, v.clone());
        }
    }
    let read = read.body(axum::body::Body::empty()).ok()?;
    let answer = api_routes()
        .clone()
        .with_state(state.clone())
        .oneshot(read)
        .await
        .ok()?;
    let json = answer
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !answer.status().is_success() || !json {
        return None;
    }
    let bytes = axum::body::to_bytes(answer.into_body(), audit::MAX_KEPT_BODY * 4)
        .await
        .ok()?;
    Some(audit::kept_body(&bytes, false)).filter(|v| !v.is_null())
}
