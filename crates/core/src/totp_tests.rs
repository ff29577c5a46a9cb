use chrono::TimeZone;

use super::*;

fn at(unix: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix, 0).unwrap()
}

/// RFC 6238's SHA-1 secret, "12345678901234567890".
fn rfc_secret() -> Secret {
    Secret(b"12345678901234567890".to_vec())
}

#[test]
fn the_codes_are_rfc_6238s_test_vectors() {
    // Appendix B gives eight digits; six are their last six.
    for (unix, eight) in [
        (59, 94_287_082u32),
        (1_111_111_109, 7_081_804),
        (1_111_111_111, 14_050_471),
        (1_234_567_890, 89_005_924),
        (2_000_000_000, 69_279_037),
        (20_000_000_000, 65_353_130),
    ] {
        assert_eq!(
            rfc_secret().code(step_of(at(unix))),
            eight % 1_000_000,
            "{unix}"
        );
    }
}

#[test]
fn base32_goes_both_ways_as_the_apps_write_it() {
    let s = rfc_secret();
    assert_eq!(s.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_eq!(
        Secret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"),
        Some(s)
    );
    let drawn = Secret::new([0xA5; SECRET_BYTES]);
    assert_eq!(Secret::from_base32(&drawn.to_base32()), Some(drawn));
    assert_eq!(Secret::from_base32("not base32!"), None);
    assert_eq!(Secret::from_base32(""), None);
}

#[test]
fn a_code_is_taken_a_step_either_side_and_each_step_once() {
    let s = rfc_secret();
    let now = at(1_234_567_890);
    let step = step_of(now);
    let code = |st: i64| format!("{:06}", s.code(st));
    assert_eq!(s.check(&code(step), now, None), Some(step));
    assert_eq!(s.check(&code(step - 1), now, None), Some(step - 1));
    assert_eq!(s.check(&code(step + 1), now, None), Some(step + 1));
    assert_eq!(s.check(&code(step - 2), now, None), None);
    assert_eq!(s.check(&code(step + 2), now, None), None);
    // Used once: not again, nor an older one.
    assert_eq!(s.check(&code(step), now, Some(step)), None);
    assert_eq!(s.check(&code(step - 1), now, Some(step)), None);
    assert_eq!(s.check(&code(step + 1), now, Some(step)), Some(step + 1));
    // Spaces as some apps show them are fine; anything else is not a code.
    let spaced = format!("{} {}", &code(step)[..3], &code(step)[3..]);
    assert_eq!(s.check(&spaced, now, None), Some(step));
    for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
        assert_eq!(s.check(bad, now, None), None, "{bad}");
    }
}

#[test]
fn the_app_address_names_the_issuer_and_the_account() {
    let uri = rfc_secret().uri("Loopdesk 东区", "admin");
    assert!(uri.starts_with("otpauth://totp/Loopdesk%20%E4%B8%9C%E5%8C%BA:admin?secret=GEZDGNBV"));
    assert!(uri.contains("&digits=6&period=30"), "{uri}");
}

#[test]
fn staff_in_a_named_role_must_enrol_and_customers_never() {
    let required: Roles = [Role::Admin, Role::Customer].into_iter().collect();
    assert!(super::required(
        required,
        [Role::Admin].into_iter().collect()
    ));
    assert!(super::required(
        required,
        [Role::Agent, Role::Admin].into_iter().collect()
    ));
    assert!(!super::required(
        required,
        [Role::Agent].into_iter().collect()
    ));
    assert!(!super::required(
        required,
        [Role::Customer].into_iter().collect()
    ));
    assert!(!super::required(
        Roles::default(),
        [Role::Admin].into_iter().collect()
    ));
}
