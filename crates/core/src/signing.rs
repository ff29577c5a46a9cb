//! Signatures for what leaves Loopdesk (webhook deliveries) and retry timing for deliveries.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The `X-Loopdesk-Signature` value of a delivery: `sha256=` and the hex HMAC-SHA256, keyed
/// with the endpoint's secret, of `timestamp + "." + body`.
pub fn webhook_signature(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length; this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a signature in constant time.
pub fn verify_webhook_signature(secret: &str, timestamp: i64, body: &str, signature: &str) -> bool {
    let Some(hex_sig) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(bytes) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}

/// Checks an `X-Loopdesk-Signature` sent to Loopdesk (call events): `sha256=` and the hex
/// HMAC-SHA256 of the raw body, keyed with the channel's secret, compared in constant time.
pub fn verify_body_signature(secret: &str, body: &[u8], signature: &str) -> bool {
    let Some(hex_sig) = signature.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(bytes) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    !secret.is_empty() && mac.verify_slice(&bytes).is_ok()
}

/// The signature of a body, as [`verify_body_signature`] expects it (for simulators and
/// tests that post call events).
pub fn body_signature(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// True when a secret given with a request is the expected one, in time that does not tell
/// how much of it was right (both are hashed first, so neither length shows either).
pub fn same_secret(expected: &str, given: &str) -> bool {
    use sha2::Digest;
    let (a, b) = (
        Sha256::digest(expected.as_bytes()),
        Sha256::digest(given.as_bytes()),
    );
    !expected.is_empty()
        && a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Seconds to wait before attempt `attempt + 1` after `attempt` failed: 10 s, 20 s, 40 s …,
/// at most an hour.
pub fn retry_delay_secs(attempt: i64) -> i64 {
    let exp = attempt.clamp(1, 20) - 1;
    (10i64 << exp).min(3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_matches_only_itself_and_an_empty_one_matches_nothing() {
        assert!(same_secret("s3cret-token", "s3cret-token"));
        assert!(!same_secret("s3cret-token", "s3cret-tokem"));
        assert!(!same_secret("s3cret-token", ""));
        assert!(!same_secret("", ""));
    }

    #[test]
    fn a_body_signature_matches_openssl_and_nothing_else() {
        // printf '%s' '{"call_id":"c1"}' | openssl dgst -sha256 -hmac 'k3y'
        let body = br#"{"call_id":"c1"}"#;
        let sig = body_signature("k3y", body);
        assert_eq!(
            sig,
            "sha256=26cf2e52a9f84b798bb22844cedb8ab60286e93ce3a4e6d9191b361077cc2e93"
        );
        assert!(verify_body_signature("k3y", body, &sig));
        assert!(!verify_body_signature("k3y", br#"{"call_id":"c2"}"#, &sig));
        assert!(!verify_body_signature("other", body, &sig));
        assert!(!verify_body_signature(
            "k3y",
            body,
            sig.trim_start_matches("sha256=")
        ));
        assert!(!verify_body_signature("k3y", body, "sha256=zz"));
        assert!(!verify_body_signature("", body, &body_signature("", body)));
    }

    #[test]
    fn signature_matches_a_known_value_and_verifies() {
        // Computed independently: printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'secret'
        let sig = webhook_signature("secret", 1_700_000_000, r#"{"a":1}"#);
        assert_eq!(
            sig,
            "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
        assert!(verify_webhook_signature(
            "secret",
            1_700_000_000,
            r#"{"a":1}"#,
            &sig
        ));
        assert!(!verify_webhook_signature(
            "other",
            1_700_000_000,
            r#"{"a":1}"#,
            &sig
        ));
        assert!(!verify_webhook_signature(
            "secret",
            1_700_000_001,
            r#"{"a":1}"#,
            &sig
        ));
        assert!(!verify_webhook_signature(
            "secret",
            1_700_000_000,
            r#"{"a":2}"#,
            &sig
        ));
        assert!(!verify_webhook_signature(
            "secret",
            1_700_000_000,
            r#"{"a":1}"#,
            "sha256=zz"
        ));
    }

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(retry_delay_secs(1), 10);
        assert_eq!(retry_delay_secs(2), 20);
        assert_eq!(retry_delay_secs(5), 160);
        assert_eq!(retry_delay_secs(12), 3600);
        assert_eq!(retry_delay_secs(0), 10);
    }
}
