//! Signing in with OpenID Connect (authorization code with PKCE): what a tenant configures, the
//! PKCE challenge of a verifier (RFC 7636, S256), and the checks an ID token's claims must pass
//! (OpenID Connect Core §3.1.3.7: issuer, audience, nonce, expiry). The token comes straight
//! from the provider's token endpoint over the connection the client opened, which the spec
//! lets stand for its signature. Which roles a person gets is the directory's rule, on the
//! provider's groups claim.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::directory::{check_rules, roles_for, GroupRule};
use crate::role::Roles;
use crate::validate::FieldError;

fn default_scopes() -> String {
    "openid profile email groups".into()
}

fn default_username_claim() -> String {
    "preferred_username".into()
}

fn default_groups_claim() -> String {
    "groups".into()
}

/// A tenant's OpenID provider, as an admin configures it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The provider's issuer (`https://login.example.com/realms/staff`); its discovery
    /// document is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// This install's client id at the provider.
    pub client_id: String,
    /// Its secret (write-only: never answered).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Scopes asked for.
    #[serde(default = "default_scopes")]
    pub scopes: String,
    /// The claim that is the sign-in name.
    #[serde(default = "default_username_claim")]
    pub username_claim: String,
    /// The claim that lists the person's groups.
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// Which groups give which roles; someone in none of them does not sign in.
    pub groups: Vec<GroupRule>,
    /// What the sign-in page's button says (default: 单点登录 / Single sign-on).
    #[serde(default)]
    pub button_label: Option<String>,
}

impl OidcSettings {
    /// Checks what an admin sent: an https issuer (http only on this machine's loopback), a
    /// client id, `openid` among the scopes, claim names, and group rules with staff roles.
    pub fn validate(&self) -> Result<(), FieldError> {
        let fail = |field, reason| Err(FieldError { field, reason });
        let issuer = self.issuer.trim();
        let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| issuer.starts_with(p));
        let rest = issuer.strip_prefix("https://").or(local.then_some(issuer));
        if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace))
            || issuer.len() > 500
        {
            return fail("issuer", "error.oidc_issuer");
        }
        if self.client_id.trim().is_empty() || self.client_id.len() > 500 {
            return fail("client_id", "error.required");
        }
        if !self.scopes.split_whitespace().any(|s| s == "openid") {
            return fail("scopes", "error.oidc_scopes");
        }
        for (field, claim) in [
            ("username_claim", &self.username_claim),
            ("groups_claim", &self.groups_claim),
        ] {
            if claim.trim().is_empty() || claim.len() > 100 {
                return fail(field, "error.required");
            }
        }
        check_rules(&self.groups, false)
    }

    /// The roles a person whose groups claim is `groups` gets.
    pub fn roles_for<'a>(&self, groups: impl IntoIterator<Item = &'a str>) -> Roles {
        roles_for(&self.groups, groups)
    }

    /// The group names in a person's claims (a list of strings, or one string).
    pub fn groups_in<'a>(&self, claims: &'a Value) -> Vec<&'a str> {
        match claims.get(&self.groups_claim) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(one)) => vec![one.as_str()],
            _ => Vec::new(),
        }
    }

    /// The sign-in name in a person's claims: the configured claim, else `sub`.
    pub fn username_in<'a>(&self, claims: &'a Value) -> Option<&'a str> {
        claims
            .get(&self.username_claim)
            .and_then(Value::as_str)
            .or_else(|| claims.get("sub").and_then(Value::as_str))
    }
}

/// The S256 challenge of a PKCE verifier: base64url(SHA-256(verifier)), unpadded.
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Why an ID token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Not a JWT, or its claims are not JSON.
    Malformed,
    /// Issued by someone else.
    Issuer,
    /// Not for this client.
    Audience,
    /// Not the answer to this sign-in.
    Nonce,
    /// Expired.
    Expired,
    /// No subject.
    Subject,
}

/// The claims of an ID token (the JWT's middle part), checked against the sign-in it answers:
/// issued by `issuer`, for `client_id` (alone, or with `azp` naming it), carrying `nonce`,
/// not expired at `now` (seconds since 1970, a minute's leeway), naming a subject.
pub fn id_token_claims(
    token: &str,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now: i64,
) -> Result<Value, TokenRefusal> {
    let mut parts = token.split('.');
    let (Some(_), Some(body), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenRefusal::Malformed);
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body.trim_end_matches('='))
        .map_err(|_| TokenRefusal::Malformed)?;
    let claims: Value = serde_json::from_slice(&bytes).map_err(|_| TokenRefusal::Malformed)?;
    if claims.get("iss").and_then(Value::as_str) != Some(issuer.trim_end_matches('/'))
        && claims.get("iss").and_then(Value::as_str) != Some(issuer)
    {
        return Err(TokenRefusal::Issuer);
    }
    let audience: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let azp = claims.get("azp").and_then(Value::as_str);
    if !audience.contains(&client_id) || (audience.len() > 1 && azp != Some(client_id)) {
        return Err(TokenRefusal::Audience);
    }
    if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
        return Err(TokenRefusal::Nonce);
    }
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp + 60 >= now => {}
        _ => return Err(TokenRefusal::Expired),
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(TokenRefusal::Subject);
    }
    Ok(claims)
}

#[cfg(test)]
#[path = "oidc_tests.rs"]
mod tests;
