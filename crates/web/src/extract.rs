//! Extractors: who is calling (the only source of a tenant), JSON bodies with field-level
//! errors, the client's address, and the sign-in guard.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use loopdesk_core::login;
use loopdesk_core::ticket::Actor;
use loopdesk_core::Roles;
use loopdesk_store::{AuthUser, Store, TenantStore};
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

pub(crate) fn bearer_or_cookie(headers: &HeaderMap) -> Option<String> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return auth.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    cookie(headers, SESSION_COOKIE).map(str::to_owned)
}

/// What a session that must first set up a second factor may reach.
pub const SET_UP_PATHS: [&str; 8] = [
    "/api/v1/me",
    "/api/v1/me/two-factor",
    "/api/v1/me/two-factor/confirm",
    "/api/v1/auth/logout",
    "/account/security",
    "/account/security/enrol",
    "/account/security/confirm",
    "/logout",
];

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
        // A pass for the second step of signing in is no session.
        if auth.kind == crate::pages::session::PENDING {
            return Err(ApiError::unauthorized());
        }
        let u = &auth.user;
        let actor = Actor::User {
            id: u.id,
            roles: u.roles.iter().copied().collect::<Roles>(),
            customer_id: u.customer_id,
            region_id: u.region_id,
        };
        let tenant = state.store.tenant(u.tenant_id);
        // Someone whose role must have a second factor, signed in without one, may only set
        // one up (or leave).
        if !u.two_factor && !SET_UP_PATHS.contains(&parts.uri.path()) {
            let required = tenant.two_factor_roles().await?;
            if loopdesk_core::totp::required(required, u.roles.iter().copied().collect()) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "two_factor_setup_required",
                    "error.two_factor_setup_required",
                ));
            }
        }
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
            .map_err(|_| ApiError::payload_too_large())?;
        let value = parse_json(&raw)?;
        Ok(AppJson { value, raw })
    }
}

/// Reads a JSON body already taken whole (a signed one, whose signature is checked first): a
/// syntax error is 400 `invalid_json`; a wrong type, a missing or an unknown field is 422
/// `invalid_body` with `field`.
pub fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    read_json(raw).map_err(|fault| {
        let (status, code) = if fault.syntax {
            (StatusCode::BAD_REQUEST, "invalid_json")
        } else {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
        };
        let err = ApiError::new(status, code, "error.invalid_body").arg("detail", fault.detail);
        match fault.field {
            Some(f) => err.field(f),
            None => err,
        }
    })
}

/// Why a JSON text could not be read.
#[derive(Debug)]
pub struct JsonFault {
    /// Not JSON at all (or cut short), rather than JSON of the wrong shape.
    pub syntax: bool,
    /// The field at fault (its path), when there is one.
    pub field: Option<String>,
    /// serde's words.
    pub detail: String,
}

/// Reads a JSON text as `T`, naming the field at fault when it fails.
pub fn read_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, JsonFault> {
    let mut de = serde_json::Deserializer::from_slice(raw);
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let syntax = inner.is_syntax() || inner.is_eof();
        let detail = inner.to_string();
        let at_root = matches!(path.as_str(), "" | "." | "?");
        let field = match unknown_or_missing_field(&detail) {
            // An unknown field is already the last segment of the path.
            Some(f) if path == f || path.ends_with(&format!(".{f}")) => Some(path),
            Some(f) => Some(join_path(&path, &f)),
            None => (!at_root).then_some(path),
        };
        JsonFault {
            syntax,
            field,
            detail,
        }
    })?;
    // Nothing but white space may follow the value.
    de.end().map_err(|e| JsonFault {
        syntax: true,
        field: None,
        detail: e.to_string(),
    })?;
    Ok(value)
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

/// The socket peer's address (none when the server was started without connection info).
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The client's address: the socket peer, or — when the peer is a configured reverse proxy —
/// the last address in `X-Forwarded-For` that is not one of those proxies. A client cannot
/// choose its address by sending the header itself.
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(Peer(peer)) = Peer::from_request_parts(parts, state).await;
        let proxies = &state.config.trusted_proxies;
        let trusted = |ip: IpAddr| proxies.iter().any(|r| r.contains(ip));
        let Some(mut client) = peer else {
            return Ok(ClientIp(String::new()));
        };
        if trusted(client) {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .collect::<Vec<_>>();
            for hop in forwarded.iter().rev() {
                let Ok(ip) = hop.parse::<IpAddr>() else {
                    break;
                };
                client = ip;
                if !trusted(ip) {
                    break;
                }
            }
        }
        Ok(ClientIp(client.to_string()))
    }
}

/// Where a sign-in comes from: the client's address and its `User-Agent`.
pub fn origin(ip: &str, headers: &HeaderMap) -> loopdesk_store::TokenOrigin {
    loopdesk_store::TokenOrigin {
        client_ip: ip.to_owned(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    }
}

/// Why a sign-in may not even be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryLater(pub chrono::Duration);

impl From<TryLater> for ApiError {
    fn from(t: TryLater) -> ApiError {
        let secs = t.0.num_seconds().max(1);
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "error.rate_limited",
        )
        .arg("seconds", secs.to_string())
        .retry_after(secs)
    }
}

/// The sign-in guard: a raw budget of attempts per address and account per minute (every
/// attempt costs a password hash; a whole office behind one address still signs in at nine),
/// and core's [`login::Rules`] over failures per account and per address. The counts are kept
/// in the database, so every instance behind a load balancer meets the same limits. A count the
/// database cannot keep is logged and let through: the password check that follows needs the
/// same database.
pub struct LoginGuard {
    per_minute: u32,
    rules: login::Rules,
}

/// A burst the admins should hear of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    /// The user name tried last.
    pub username: String,
    /// From where.
    pub address: String,
    /// Failures in the burst.
    pub failures: u32,
    /// Names the burst (the same on every report of it).
    pub key: String,
}

/// Tries an optimistic change of a stored tally this many times before giving up on it.
const SWAPS: usize = 5;

impl LoginGuard {
    /// A guard allowing `per_minute` attempts per address and account, with the default rules.
    pub fn new(per_minute: u32) -> LoginGuard {
        LoginGuard {
            per_minute,
            rules: login::Rules::default(),
        }
    }

    /// The account a sign-in names: its user name, whatever tenant the attempt gives (naming
    /// a tenant, or not, must not buy a second allowance; the same name in two tenants shares
    /// one, which errs on the safe side).
    fn account(username: &str) -> String {
        username.trim().to_lowercase()
    }

    /// Changes a stored tally by `change` (none: leave it), retrying when another instance
    /// wrote first; answers the tally as stored.
    async fn update(
        &self,
        store: &Store,
        subject: login::Subject,
        key: &str,
        change: impl Fn(Option<login::Tally>) -> Option<login::Tally>,
    ) -> Result<Option<login::Tally>, loopdesk_store::StoreError> {
        for _ in 0..SWAPS {
            let stored = store.sign_in_tally(subject, key).await?;
            let Some(new) = change(stored.map(|s| s.tally)) else {
                return Ok(stored.map(|s| s.tally));
            };
            if store
                .swap_sign_in_tally(subject, key, stored.map(|s| s.rev), &new)
                .await?
            {
                return Ok(Some(new));
            }
        }
        Err(loopdesk_store::StoreError::Conflict { field: "sign_in" })
    }

    /// Counts an attempt; `Err` with the wait when it may not be tried now, and the burst to
    /// report if these refusals have just made one.
    pub async fn check(
        &self,
        store: &Store,
        address: &str,
        username: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), (TryLater, Option<Burst>)> {
        let mut wait = None;
        let mut burst = None;
        for (subject, key) in [
            (login::Subject::Account, Self::account(username)),
            (login::Subject::Address, address.to_owned()),
        ] {
            let rules = self.rules;
            let mut waited = None;
            let refused = |t: Option<login::Tally>| {
                let current = rules.current(t, now)?;
                rules.wait(Some(current), now)?;
                let mut t = rules.refused(current);
                if rules.alert_due(&t) {
                    t.alerted = true;
                }
                Some(t)
            };
            let before = match store.sign_in_tally(subject, &key).await {
                Ok(t) => t.map(|s| s.tally),
                Err(e) => {
                    tracing::warn!(error = %e, "reading the sign-in guard's count failed");
                    None
                }
            };
            if let Some(w) = self.rules.wait(before, now) {
                waited = Some(w);
                match self.update(store, subject, &key, refused).await {
                    Ok(Some(t)) if t.alerted && !before.is_some_and(|b| b.alerted) => {
                        burst.get_or_insert_with(|| self.burst(&key, username, address, &t, now));
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "counting a refused sign-in failed"),
                }
            }
            wait = wait.max(waited);
        }
        if let Some(w) = wait {
            return Err((TryLater(w), burst));
        }
        let key = format!("{address}|{}", Self::account(username));
        let (attempts, began) = match store.count_sign_in_attempt(&key, now).await {
            Ok(counted) => counted,
            Err(e) => {
                tracing::warn!(error = %e, "counting a sign-in attempt failed");
                return Ok(());
            }
        };
        if attempts > self.per_minute {
            let left = (began + chrono::Duration::seconds(60) - now)
                .num_seconds()
                .max(0);
            return Err((TryLater(chrono::Duration::seconds(left + 1)), None));
        }
        Ok(())
    }

    fn burst(
        &self,
        key: &str,
        username: &str,
        address: &str,
        t: &login::Tally,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Burst {
        Burst {
            username: username.trim().to_owned(),
            address: address.to_owned(),
            failures: t.failures.saturating_add(t.refused),
            key: format!("{key}:{}", now.timestamp() / 1800),
        }
    }

    /// Records a failed sign-in; answers the burst to report, if one has just begun.
    pub async fn failed(
        &self,
        store: &Store,
        address: &str,
        username: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<Burst> {
        let mut burst = None;
        for (subject, key) in [
            (login::Subject::Account, Self::account(username)),
            (login::Subject::Address, address.to_owned()),
        ] {
            let rules = self.rules;
            let fail = |t: Option<login::Tally>| {
                let mut t = rules.failed(subject, t, now);
                if rules.alert_due(&t) {
                    t.alerted = true;
                }
                Some(t)
            };
            let before = store
                .sign_in_tally(subject, &key)
                .await
                .ok()
                .flatten()
                .and_then(|s| self.rules.current(Some(s.tally), now));
            match self.update(store, subject, &key, fail).await {
                Ok(Some(t)) if t.alerted && !before.is_some_and(|b| b.alerted) => {
                    burst.get_or_insert_with(|| self.burst(&key, username, address, &t, now));
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "counting a failed sign-in failed"),
            }
        }
        burst
    }

    /// Records a successful sign-in: the account's failures are forgotten (the address's are
    /// not: a sprayer who guesses one password keeps their count).
    pub async fn succeeded(&self, store: &Store, username: &str) {
        let key = Self::account(username);
        if let Err(e) = store
            .forget_sign_in_tally(login::Subject::Account, &key)
            .await
        {
            tracing::warn!(error = %e, "forgetting an account's failed sign-ins failed");
        }
    }
}

/// Recently checked tokens, so a busy client does not cost a query per request. An entry lives
/// `SESSION_CACHE_SECONDS` at most and never past the token's expiry; a logout or revocation
/// drops it at once on this instance, and — on PostgreSQL, as the database tells every
/// instance (see [`AppState::new`](crate::AppState::new)) — on the others.
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

    /// Forgets every token of a user (their roles changed, they were deactivated, their
    /// password was reset).
    pub fn forget_user(&self, user: loopdesk_core::UserId) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (auth, _)| auth.user.id != user);
    }

    /// Forgets every token (sign-ins may have changed unheard).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
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

/// The tenant a sign-in names: `named` (a form field, a query, a body), else the first label
/// of the address the browser asked for when it is a tenant's slug (`east.desk.example.com`
/// signs in to `east`). `None` when neither names an active tenant: the name alone decides.
pub async fn tenant_named(
    state: &AppState,
    named: Option<&str>,
    headers: &axum::http::HeaderMap,
) -> Option<loopdesk_store::Tenant> {
    let from_host = || {
        let host = headers.get(axum::http::header::HOST)?.to_str().ok()?;
        let host = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        // A name, not an address, of three labels or more.
        let labels: Vec<&str> = host.split('.').collect();
        let name =
            labels.len() >= 3 && !labels.iter().all(|l| l.chars().all(|c| c.is_ascii_digit()));
        name.then(|| labels[0].to_ascii_lowercase())
    };
    let slug = match named.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.to_ascii_lowercase(),
        None => from_host()?,
    };
    if slug.len() > 64 || slug.contains('\0') {
        return None;
    }
    match state.store.tenant_by_slug(&slug).await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "looking up the tenant of a sign-in failed");
            None
        }
    }
}
