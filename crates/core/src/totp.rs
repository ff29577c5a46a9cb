//! The second factor for staff: time-based one-time passwords (RFC 6238 over RFC 4226's
//! HOTP with HMAC-SHA-1, six digits, 30-second steps — what every authenticator app shows),
//! the secret in base32 as the apps take it (RFC 4648, no padding), and the rules: a code of the
//! step before, now or after is taken (clocks drift), each step at most once (a code seen
//! over a shoulder cannot be used again), and which roles a tenant makes enrol.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::{Role, Roles};

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Steps either side of now whose codes are still taken.
pub const DRIFT_STEPS: i64 = 1;
/// Bytes of a secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A shared secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// A secret of the given random bytes (the caller draws them from the OS).
    pub fn new(bytes: [u8; SECRET_BYTES]) -> Secret {
        Secret(bytes.to_vec())
    }

    /// Base32 without padding, as typed into an app.
    pub fn to_base32(&self) -> String {
        let mut out = String::new();
        let (mut buffer, mut bits) = (0u32, 0u32);
        for &b in &self.0 {
            buffer = (buffer << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
            }
        }
        if bits > 0 {
            out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
        }
        out
    }

    /// Reads base32 (any case, spaces and padding ignored); `None` when it holds anything else
    /// or is empty.
    pub fn from_base32(text: &str) -> Option<Secret> {
        let mut out = Vec::new();
        let (mut buffer, mut bits) = (0u32, 0u32);
        for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
            let c = c.to_ascii_uppercase();
            let value = ALPHABET.iter().position(|&a| char::from(a) == c)?;
            buffer = (buffer << 5) | value as u32;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                out.push(((buffer >> bits) & 0xFF) as u8);
            }
        }
        (!out.is_empty()).then_some(Secret(out))
    }

    /// The six-digit code of a step (RFC 4226's dynamic truncation).
    pub fn code(&self, step: i64) -> u32 {
        let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&self.0) else {
            return 0;
        };
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[19] & 0x0F);
        let bin = (u32::from(digest[offset] & 0x7F) << 24)
            | (u32::from(digest[offset + 1]) << 16)
            | (u32::from(digest[offset + 2]) << 8)
            | u32::from(digest[offset + 3]);
        bin % 1_000_000
    }

    /// The step of the code typed, if it is one of now's or a neighbour's and later than the
    /// last step used (`None`: refused).
    pub fn check(&self, typed: &str, now: DateTime<Utc>, last_used: Option<i64>) -> Option<i64> {
        let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if typed.len() != 6 || !typed.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let value: u32 = typed.parse().ok()?;
        let current = step_of(now);
        (current - DRIFT_STEPS..=current + DRIFT_STEPS)
            .filter(|s| last_used.is_none_or(|last| *s > last))
            .find(|s| constant_eq(self.code(*s), value))
    }

    /// The `otpauth://` address an app reads from a QR code.
    pub fn uri(&self, issuer: &str, account: &str) -> String {
        let label = format!("{}:{}", escape(issuer), escape(account));
        format!(
            "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
            self.to_base32(),
            escape(issuer)
        )
    }
}

/// Compares without stopping at the first differing digit.
fn constant_eq(a: u32, b: u32) -> bool {
    (a ^ b) == 0
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn escape(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The step an instant falls in.
pub fn step_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(STEP_SECONDS)
}

/// Whether someone holding `roles` must have a second factor, where the tenant asks it of
/// `required`. Customers are never asked (they sign in to the portal by other means too).
pub fn required(required: Roles, roles: Roles) -> bool {
    roles.iter().any(|r| r != Role::Customer && required.has(r))
}

/// The roles a tenant names as having to enrol, from their codes: staff roles only (a customer
/// or an unknown code is refused, naming `roles`).
pub fn required_roles(names: &[String]) -> Result<Roles, crate::validate::FieldError> {
    names
        .iter()
        .map(|n| match Role::parse(n.trim()) {
            Some(Role::Customer) | None => Err(crate::validate::FieldError {
                field: "roles",
                reason: "error.invalid_role",
            }),
            Some(r) => Ok(r),
        })
        .collect()
}

#[cfg(test)]
#[path = "totp_tests.rs"]
mod tests;
