//! Single sign-on with OpenID Connect (authorization code with PKCE). `/login/sso` sends the
//! browser to the tenant's provider with a fresh state, nonce and PKCE verifier, kept in a
//! short-lived cookie only this path reads; `/login/sso/callback` checks the state, trades
//! the code (with the verifier and the client's secret) at the provider's token endpoint,
//! checks the ID token's claims (core's [`oidc`] rules), reads the person's claims, and signs
//! them in with the roles their groups give — their account made or brought up to date as a
//! directory's is.

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use loopdesk_core::i18n::Lang;
use loopdesk_core::oidc::{self, OidcSettings};
use loopdesk_core::TenantId;
use loopdesk_store::{DirectoryPerson, StoreError};
use rand::RngCore;
use serde::Deserialize;
use serde_json::Value;

use super::layout::{PageLang, PageQuery};
use super::session::{login_form, safe_next, signed_in};
use crate::extract::{tenant_named, ClientIp};
use crate::state::AppState;

/// The cookie that carries a sign-in across the provider.
const COOKIE: &str = "loopdesk_sso";
/// How long a sign-in at the provider may take.
const MINUTES: i64 = 10;

/// `/login/sso`'s query.
#[derive(Deserialize)]
pub struct Start {
    tenant: Option<String>,
    next: Option<String>,
}

/// The provider's endpoints, from its discovery document.
#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: Option<String>,
}

fn random() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// One client for every call to a provider (each new one would load the system's CA
/// certificates again).
fn http() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

async fn discover(settings: &OidcSettings) -> Result<Discovery, String> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        settings.issuer.trim().trim_end_matches('/')
    );
    let found: Discovery = http()
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("discovery: {e}"))?
        .json()
        .await
        .map_err(|e| format!("discovery: {e}"))?;
    if found.issuer.trim_end_matches('/') != settings.issuer.trim().trim_end_matches('/') {
        return Err(format!("the provider calls itself {}", found.issuer));
    }
    Ok(found)
}

/// Where the provider sends the browser back to.
fn callback(state: &AppState) -> String {
    format!(
        "{}/login/sso/callback",
        state.config.public_url.trim_end_matches('/')
    )
}

/// The tenant whose provider this sign-in goes to.
async fn provider_of(
    state: &AppState,
    named: Option<&str>,
    headers: &HeaderMap,
) -> Result<Option<(TenantId, OidcSettings)>, StoreError> {
    let tenant = tenant_named(state, named, headers).await;
    state
        .store
        .oidc_tenant(tenant.as_ref().map(|t| t.slug.as_str()))
        .await
}

/// Whether the sign-in page offers single sign-on, and its button's words; `slug`: the tenant
/// the page already found named.
pub(super) async fn offered(state: &AppState, slug: Option<&str>) -> Option<String> {
    let (_, s) = state.store.oidc_tenant(slug).await.ok()??;
    Some(s.button_label.unwrap_or_default())
}

/// Sends the browser to the provider.
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageLang(lang): PageLang,
    PageQuery(q): PageQuery<Start>,
) -> Response {
    let next = safe_next(q.next.as_deref()).to_owned();
    let failed = |why: String| {
        tracing::warn!(error = %why, "single sign-on could not start");
        login_form(lang, ("", None), &next, Some("error.oidc_failed"))
    };
    let (tenant, settings) = match provider_of(&state, q.tenant.as_deref(), &headers).await {
        Ok(Some(found)) => found,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return failed(e.to_string()),
    };
    let endpoints = match discover(&settings).await {
        Ok(d) => d,
        Err(why) => return failed(why),
    };
    let (state_value, nonce, verifier) = (random(), random(), random());
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", settings.client_id.as_str()),
        ("redirect_uri", callback(&state).as_str()),
        ("scope", settings.scopes.as_str()),
        ("state", state_value.as_str()),
        ("nonce", nonce.as_str()),
        ("code_challenge", oidc::pkce_challenge(&verifier).as_str()),
        ("code_challenge_method", "S256"),
    ])
    .unwrap_or_default();
    let sep = if endpoints.authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    let carried = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&next);
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={tenant}.{state_value}.{nonce}.{verifier}.{carried}; HttpOnly; SameSite=Lax; \
         Path=/login/sso; Max-Age={}{secure}",
        MINUTES * 60
    );
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&format!("{}{sep}{query}", endpoints.authorization_endpoint)),
    )
        .into_response()
}

/// What the provider sends back.
#[derive(Deserialize)]
pub struct Back {
    code: Option<String>,
    state: Option<String>,
}

/// The sign-in as carried in the cookie.
struct Carried {
    tenant: TenantId,
    state: String,
    nonce: String,
    verifier: String,
    next: String,
}

fn carried(headers: &HeaderMap) -> Option<Carried> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(&format!("{COOKIE}=")))?;
    let mut parts = value.split('.');
    let tenant = TenantId::parse(parts.next()?)?;
    let (state, nonce, verifier) = (parts.next()?, parts.next()?, parts.next()?);
    let next = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts.next()?)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())?;
    Some(Carried {
        tenant,
        state: state.to_owned(),
        nonce: nonce.to_owned(),
        verifier: verifier.to_owned(),
        next: safe_next(Some(&next)).to_owned(),
    })
}

/// Why a callback did not sign anyone in: a translation key for the person, and the reason
/// for the log.
type Refused = (&'static str, String);

/// The person the provider vouches for, with their roles.
async fn person(
    state: &AppState,
    settings: &OidcSettings,
    sign_in: &Carried,
    code: &str,
) -> Result<DirectoryPerson, Refused> {
    let failed = |why: String| ("error.oidc_failed", why);
    let endpoints = discover(settings).await.map_err(failed)?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &callback(state)),
        ("code_verifier", &sign_in.verifier),
    ];
    let tokens: Value = http()
        .post(&endpoints.token_endpoint)
        .basic_auth(&settings.client_id, settings.client_secret.as_deref())
        .form(&form)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| failed(format!("token: {e}")))?
        .json()
        .await
        .map_err(|e| failed(format!("token: {e}")))?;
    let id_token = tokens["id_token"].as_str().unwrap_or_default();
    let now = state.clock.now().timestamp();
    let mut claims = oidc::id_token_claims(
        id_token,
        &endpoints.issuer,
        &settings.client_id,
        &sign_in.nonce,
        now,
    )
    .map_err(|r| failed(format!("the ID token: {r:?}")))?;
    // The person's other claims (groups among them) from the userinfo endpoint, for the
    // same subject only.
    if let (Some(url), Some(access)) = (
        &endpoints.userinfo_endpoint,
        tokens["access_token"].as_str(),
    ) {
        let info: Value = http()
            .get(url)
            .bearer_auth(access)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| failed(format!("userinfo: {e}")))?
            .json()
            .await
            .map_err(|e| failed(format!("userinfo: {e}")))?;
        if info["sub"] != claims["sub"] {
            return Err(failed("userinfo names another subject".into()));
        }
        if let (Some(all), Some(more)) = (claims.as_object_mut(), info.as_object()) {
            for (k, v) in more {
                all.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    let username = settings
        .username_in(&claims)
        .ok_or_else(|| failed("no sign-in name".into()))?;
    let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(DirectoryPerson {
        username: username.to_owned(),
        dn: format!(
            "oidc:{}#{}",
            endpoints.issuer,
            text("sub").unwrap_or_default()
        ),
        display_name: text("name"),
        email: text("email"),
        roles: settings.roles_for(settings.groups_in(&claims)),
    })
}

/// The provider's answer: the state checked, the code traded, the person signed in.
pub async fn callback_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    PageLang(lang): PageLang,
    PageQuery(back): PageQuery<Back>,
) -> Response {
    let refuse = |key: &str, why: &str, next: &str| {
        tracing::warn!(reason = %why, "a single sign-on was refused");
        let gone = format!("{COOKIE}=; HttpOnly; SameSite=Lax; Path=/login/sso; Max-Age=0");
        (
            [(header::SET_COOKIE, gone)],
            login_form(lang, ("", None), next, Some(key)),
        )
            .into_response()
    };
    let Some(sign_in) = carried(&headers) else {
        return refuse("error.oidc_failed", "no sign-in under way", "/");
    };
    let next = sign_in.next.clone();
    let (Some(code), Some(returned)) = (back.code.as_deref(), back.state.as_deref()) else {
        return refuse("error.oidc_failed", "the provider sent no code", &next);
    };
    if !loopdesk_core::signing::same_secret(&sign_in.state, returned) {
        return refuse(
            "error.oidc_failed",
            "the state is not this sign-in's",
            &next,
        );
    }
    let settings = match state.store.tenant(sign_in.tenant).oidc_settings().await {
        Ok(Some(s)) => s,
        Ok(None) => return refuse("error.oidc_failed", "single sign-on is off", &next),
        Err(e) => return refuse("error.internal", &e.to_string(), &next),
    };
    let person = match person(&state, &settings, &sign_in, code).await {
        Ok(p) => p,
        Err((key, why)) => return refuse(key, &why, &next),
    };
    if person.roles.is_empty() {
        return refuse("error.sso_no_role", &person.username, &next);
    }
    let user = match state
        .store
        .directory_sign_in(sign_in.tenant, &person, state.clock.now())
        .await
    {
        Ok(u) => u,
        Err(StoreError::Conflict { .. }) => {
            return refuse("error.directory_name_taken", &person.username, &next)
        }
        Err(e) => return refuse("error.oidc_failed", &e.to_string(), &next),
    };
    let origin = crate::extract::origin(&ip, &headers);
    let mut done = signed_in(&state, lang, &user, &user.username, &next, &origin).await;
    // Beside the session's cookie (a header set the usual way would replace it).
    let gone = format!("{COOKIE}=; HttpOnly; SameSite=Lax; Path=/login/sso; Max-Age=0");
    if let Ok(v) = header::HeaderValue::from_str(&gone) {
        done.headers_mut().append(header::SET_COOKIE, v);
    }
    done
}

/// The sign-in page's single sign-on button.
pub(super) fn button(lang: Lang, label: &str, tenant: Option<&str>, next: &str) -> maud::Markup {
    let query = serde_urlencoded::to_string([("tenant", tenant.unwrap_or("")), ("next", next)])
        .unwrap_or_default();
    let words = if label.trim().is_empty() {
        loopdesk_core::i18n::t(lang, "page.login.sso").to_owned()
    } else {
        label.to_owned()
    };
    maud::html! {
        p.sso { a.button #sso href={ "/login/sso?" (query) } { (words) } }
    }
}
