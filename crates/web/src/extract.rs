//! Extractors: who is calling (the only source of a tenant), JSON bodies with field-level
//! errors, and the login rate limiter.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use loopdesk_core::ticket::Actor;
use loopdesk_core::Roles;
use loopdesk_store::{AuthUser, TenantStore};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "loopdesk_session";

/// The signed-in caller, with their tenant's store. Handlers get a tenant only from here.
pub struct CurrentUser {
    /// The user and token kind.
    pub auth: AuthUser,
    /// The user as the domain core sees them.
    pub actor: Actor,
    /// The store, scoped to the user's tenant.
    pub tenant: TenantStore,
    /// The presented token (for logout).
    pub token: String,
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value of a session (`token` for `ttl`; none: the cookie is cleared).
pub fn session_cookie(token: Option<&str>, ttl: chrono::Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(t) => format!(
            "{SESSION_COOKIE}={t}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{secure}",
            ttl.num_seconds()
        ),
        None => format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{secure}"),
    }
}

fn bearer_or_cookie(headers: &HeaderMap) -> Option<String> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return auth.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    cookie(headers, SESSION_COOKIE).map(str::to_owned)
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_or_cookie(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        let now = state.clock.now();
        let auth = match state.sessions.get(&token, now) {
            Some(auth) => auth,
            None => {
                let auth = state
                    .store
                    .authenticate(&token, now)
                    .await?
                    .ok_or_else(ApiError::unauthorized)?;
                state.sessions.put(&token, &auth, now);
                auth
            }
        };
        let u = &auth.user;
        let actor = Actor::User {
            id: u.id,
            roles: u.roles.iter().copied().collect::<Roles>(),
            customer_id: u.customer_id,
            region_id: u.region_id,
        };
        let tenant = state.store.tenant(u.tenant_id);
        Ok(CurrentUser {
            auth,
            actor,
            tenant,
            token,
        })
    }
}

/// The `Idempotency-Key` header with the hash of the request it came with: the target
/// (method and path) and the body, so one key can never replay onto another resource.
pub fn idempotency(
    headers: &HeaderMap,
    target: &str,
    body: &[u8],
) -> Result<Option<loopdesk_store::Idempotency>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .map_err(|_| ApiError::invalid("Idempotency-Key", "error.invalid_value"))?
        .trim();
    if key.is_empty() || key.len() > 200 {
        return Err(ApiError::invalid("Idempotency-Key", "error.invalid_value"));
    }
    Ok(Some(loopdesk_store::Idempotency {
        key: key.to_owned(),
        request_hash: hex::encode(
            Sha256::new()
                .chain_update(target)
                .chain_update([0])
                .chain_update(body)
                .finalize(),
        ),
    }))
}

/// A JSON body whose errors name the field at fault: malformed JSON is 400 `invalid_json`;
/// a wrong type, a missing or an unknown field is 422 `invalid_body` with `field`.
pub struct AppJson<T> {
    /// The value.
    pub value: T,
    /// The raw body (for idempotency hashing).
    pub raw: axum::body::Bytes,
}

impl<T: DeserializeOwned> FromRequest<AppState> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"));
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "error.unsupported_media_type",
            ));
        }
        let raw = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "error.payload_too_large",
                )
            })?;
        let de = &mut serde_json::Deserializer::from_slice(&raw);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(value) => Ok(AppJson { value, raw }),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let syntax = inner.is_syntax() || inner.is_eof();
                let (status, code) = if syntax {
                    (StatusCode::BAD_REQUEST, "invalid_json")
                } else {
                    (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                };
                let detail = inner.to_string();
                let mut err =
                    ApiError::new(status, code, "error.invalid_body").arg("detail", detail.clone());
                let at_root = matches!(path.as_str(), "" | "." | "?");
                let field = match unknown_or_missing_field(&detail) {
                    // An unknown field is already the last segment of the path.
                    Some(f) if path == f || path.ends_with(&format!(".{f}")) => Some(path),
                    Some(f) => Some(join_path(&path, &f)),
                    None => (!at_root).then_some(path),
                };
                if let Some(f) = field {
                    err = err.field(f);
                }
                Err(err)
            }
        }
    }
}

fn join_path(path: &str, field: &str) -> String {
    if matches!(path, "" | "." | "?") {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// serde names the field of an unknown- or missing-field error only in its message.
fn unknown_or_missing_field(detail: &str) -> Option<String> {
    for prefix in ["unknown field `", "missing field `"] {
        if let Some(rest) = detail.split(prefix).nth(1) {
            return rest.split('`').next().map(str::to_owned);
        }
    }
    None
}

/// Counts attempts per key in one-minute windows (login brute-force protection).
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` attempts per key.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt; `false` when the key is over its budget.
    pub fn allow(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = map.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

/// The client's address, when the server was started with connection info.
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default();
        Ok(ClientIp(ip))
    }
}

/// Recently checked tokens, so a busy client does not cost a query per request. An entry lives
/// `SESSION_CACHE_SECONDS` at most and never past the token's expiry; a logout on this instance
/// drops it at once, on other instances within that time.
pub struct SessionCache {
    entries: Mutex<HashMap<String, (AuthUser, chrono::DateTime<chrono::Utc>)>>,
}

/// How long a checked token is trusted without asking the database again.
pub const SESSION_CACHE_SECONDS: i64 = 10;

impl SessionCache {
    /// An empty cache.
    pub fn new() -> SessionCache {
        SessionCache {
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cached principal of a token, if fresh and unexpired.
    pub fn get(&self, token: &str, now: chrono::DateTime<chrono::Utc>) -> Option<AuthUser> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (auth, checked) = map.get(token)?;
        let fresh =
            now - *checked < chrono::Duration::seconds(SESSION_CACHE_SECONDS) && now >= *checked;
        (fresh && now < auth.expires_at).then(|| auth.clone())
    }

    /// Remembers a checked token.
    pub fn put(&self, token: &str, auth: &AuthUser, now: chrono::DateTime<chrono::Utc>) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= 50_000 {
            map.clear();
        }
        map.insert(token.to_owned(), (auth.clone(), now));
    }

    /// Forgets a token (logout).
    pub fn forget(&self, token: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token);
    }
}

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache::new()
    }
}
