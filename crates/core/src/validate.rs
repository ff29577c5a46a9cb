//! Input validation shared by every entry point (API, pages, CLI, import).
//!
//! Each check returns a [`FieldError`] naming the field and a translation key for the reason,
//! so the API can answer `{"error": "validation_failed", "field": …, "message": …}`.

use crate::{CustomerId, Role, Roles, Status};

/// Longest subject.
pub const MAX_SUBJECT: usize = 200;
/// Longest description, resolution or comment body.
pub const MAX_DESCRIPTION: usize = 10_000;
/// Longest note or reason.
pub const MAX_NOTE: usize = 2_000;
/// Longest name (customer, site, person, team …).
pub const MAX_NAME: usize = 200;

/// A field that failed validation, with the translation key of the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// The field, as the API names it.
    pub field: &'static str,
    /// Translation key of the reason (see [`crate::i18n`]).
    pub reason: &'static str,
}

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

/// Trims `text` and checks that it is not empty and at most `max` characters long.
pub fn required_text(field: &'static str, text: &str, max: usize) -> Result<String, FieldError> {
    match optional_text(field, Some(text), max)? {
        Some(t) => Ok(t),
        None => fail(field, "error.required"),
    }
}

/// A tenant's slug, as it stands in sign-in URLs and hosts: 1–40 lower-case ASCII letters,
/// digits and hyphens, starting with a letter, not ending with a hyphen.
pub fn slug(text: &str) -> Result<String, FieldError> {
    let s = text.trim();
    let ok = (1..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(s.to_owned())
    } else {
        fail("slug", "error.invalid_slug")
    }
}

/// Like [`required_text`], but absent or blank text is `None`.
pub fn optional_text(
    field: &'static str,
    text: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > max {
        return fail(field, "error.too_long");
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return fail(field, "error.control_characters");
    }
    Ok(Some(t.to_owned()))
}

/// Priority P1 (most urgent) to P4.
pub fn priority(p: i64) -> Result<u8, FieldError> {
    match u8::try_from(p) {
        Ok(p @ 1..=4) => Ok(p),
        _ => fail("priority", "error.priority_range"),
    }
}

/// Latitude −90..90 and longitude −180..180, both finite.
pub fn lat_lon(lat: f64, lon: f64) -> Result<(), FieldError> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return fail("lat", "error.latitude_range");
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return fail("lon", "error.longitude_range");
    }
    Ok(())
}

/// Normalises a phone number so that one caller always has one spelling:
/// - Chinese mobiles (`1[3-9]` + 9 digits), with or without `+86`/`0086`: the 11 digits;
/// - Chinese landlines (`0` + area code + number, 10–12 digits): the digits, e.g. `02112345678`;
/// - other international numbers (`+` or `00` + 8–15 digits, E.164): `+` and the digits.
///
/// Spaces, dashes, dots and brackets are ignored; anything else is an error.
pub fn phone(field: &'static str, text: &str) -> Result<String, FieldError> {
    let t = text.trim();
    let (plus, body) = match t.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let mut digits = String::with_capacity(body.len());
    for c in body.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return fail(field, "error.invalid_phone"),
        }
    }
    let international = if plus {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    if let Some(intl) = international {
        if let Some(cn) = intl.strip_prefix("86") {
            return china_number(field, cn, true);
        }
        if (8..=15).contains(&intl.len()) && !intl.starts_with('0') {
            return Ok(format!("+{intl}"));
        }
        return fail(field, "error.invalid_phone");
    }
    china_number(field, &digits, false)
}

fn china_number(
    field: &'static str,
    digits: &str,
    from_abroad: bool,
) -> Result<String, FieldError> {
    let b = digits.as_bytes();
    let mobile = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
    // From abroad a landline is dialled without its leading 0 (+86 21 …).
    let landline = (10..=12).contains(&b.len()) && b[0] == b'0' && b.get(1) != Some(&b'0');
    let landline_intl = from_abroad && (9..=11).contains(&b.len()) && (b'2'..=b'9').contains(&b[0]);
    if mobile || landline {
        Ok(digits.to_owned())
    } else if landline_intl {
        Ok(format!("0{digits}"))
    } else {
        fail(field, "error.invalid_phone")
    }
}

/// A plausible e-mail address (one `@`, a dotted domain, no spaces), lower-cased domain.
pub fn email(field: &'static str, text: &str) -> Result<String, FieldError> {
    let t = text.trim();
    let Some((local, domain)) = t.split_once('@') else {
        return fail(field, "error.invalid_email");
    };
    let ok = !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 255
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !t.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
        && !domain.contains('@');
    if ok {
        Ok(format!("{local}@{}", domain.to_lowercase()))
    } else {
        fail(field, "error.invalid_email")
    }
}

/// A username: 3–64 characters of `a-z 0-9 . _ -`, lower-cased.
pub fn username(text: &str) -> Result<String, FieldError> {
    let t = text.trim().to_lowercase();
    let ok = (3..=64).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(t)
    } else {
        fail("username", "error.invalid_username")
    }
}

/// Text typed into a search box read as a phone number, normalised: digits (at least five)
/// and phone punctuation only, and a number [`phone`] accepts. Anything else is searched as
/// words.
pub fn phone_query(q: &str) -> Option<String> {
    let q = q.trim();
    let looks = q.chars().filter(char::is_ascii_digit).count() >= 5
        && q.chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
    looks.then(|| phone("q", q).ok()).flatten()
}

/// A password: at least 8 and at most 256 characters.
pub fn password(text: &str) -> Result<(), FieldError> {
    match text.chars().count() {
        8..=256 => Ok(()),
        _ => fail("password", "error.password_length"),
    }
}

/// Passwords every guesser tries first (the most common in published leaks, Chinese sites'
/// favourites among them), compared in lower case.
const COMMON_PASSWORDS: [&str; 40] = [
    "password",
    "password1",
    "password123",
    "passw0rd",
    "12345678",
    "123456789",
    "1234567890",
    "11111111",
    "00000000",
    "88888888",
    "66666666",
    "12341234",
    "11223344",
    "87654321",
    "qwertyui",
    "qwerty123",
    "1qaz2wsx",
    "1q2w3e4r",
    "a1234567",
    "a12345678",
    "abc12345",
    "abcd1234",
    "aa123456",
    "asdfghjk",
    "zxcvbnm1",
    "iloveyou",
    "woaini1314",
    "woaini520",
    "5201314520",
    "admin123",
    "admin1234",
    "administrator",
    "welcome1",
    "letmein1",
    "changeme",
    "loopdesk",
    "loopdesk123",
    "sunshine",
    "football",
    "baseball",
];

/// A password someone chooses for an account named `username`: the length of [`password`],
/// and not one a guesser tries first (NIST SP 800-63B: no composition rules, a list of
/// the commonly used instead) — not on the list of the most common, not the user's name in
/// it, not one character repeated, not a run such as `12345678` or `abcdefgh`.
pub fn chosen_password(username: &str, text: &str) -> Result<(), FieldError> {
    password(text)?;
    let lower = text.to_lowercase();
    let name = username.trim().to_lowercase();
    if name.chars().count() >= 3 && lower.contains(&name) {
        return fail("password", "error.password_has_username");
    }
    let chars: Vec<char> = lower.chars().collect();
    let repeated = chars.iter().all(|c| *c == chars[0]);
    let run = |step: i32| {
        chars
            .windows(2)
            .all(|w| (w[1] as i32) - (w[0] as i32) == step)
    };
    if COMMON_PASSWORDS.contains(&lower.as_str()) || repeated || run(1) || run(-1) {
        return fail("password", "error.password_common");
    }
    Ok(())
}

/// A password replacing `current`: a [`chosen_password`], and another one (its faults name
/// `new_password`).
pub fn new_password(username: &str, current: &str, new: &str) -> Result<(), FieldError> {
    chosen_password(username, new).map_err(|e| FieldError {
        field: "new_password",
        ..e
    })?;
    if new == current {
        return fail("new_password", "error.password_unchanged");
    }
    Ok(())
}

/// A user speaks for a customer exactly when they hold the `customer` role: a customer
/// contact needs their customer, and staff have none.
pub fn user_customer_link(roles: Roles, customer_id: Option<CustomerId>) -> Result<(), FieldError> {
    match (roles.has(Role::Customer), customer_id.is_some()) {
        (true, false) => fail("customer_id", "error.required"),
        (false, true) => fail("customer_id", "error.only_for_customers"),
        _ => Ok(()),
    }
}

/// A page size: 1 to `max`.
pub fn limit(value: i64, max: i64) -> Result<i64, FieldError> {
    if (1..=max).contains(&value) {
        Ok(value)
    } else {
        fail("limit", "error.invalid_number")
    }
}

/// A status filter value.
pub fn status(field: &'static str, text: &str) -> Result<Status, FieldError> {
    Status::parse(text).ok_or(FieldError {
        field,
        reason: "error.unknown_status",
    })
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;

/// A list typed into one box, its items separated by commas (Latin or Chinese) or 、:
/// each trimmed, the empty ones dropped.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', '，', '、'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}
