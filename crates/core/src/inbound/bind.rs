//! Binding a chat sender to a contact (绑定): a sender whom no contact carries is asked, on
//! the chat, for the mobile number they registered; a number a contact has gets a one-time
//! code by SMS (the `customer.notice` gateway), and that code sent back on the chat makes the
//! sender the contact's (`wechat_id`). Until then their words are still a request —
//! unidentified — so nothing waits on the binding.
//!
//! Only the code's hash is kept, tied to the sender; a code lasts [`CODE_MINUTES`], takes
//! [`MAX_TRIES`] wrong guesses, and a new one is sent at most every [`RESEND_SECONDS`] and
//! [`MAX_CODES_A_DAY`] times a day.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::validate;

/// How long a code is good for.
pub const CODE_MINUTES: i64 = 10;
/// Wrong codes before the code is void.
pub const MAX_TRIES: i64 = 5;
/// The least time between two codes to one sender.
pub const RESEND_SECONDS: i64 = 60;
/// An unbound sender is asked for their number again after this long.
pub const ASK_AGAIN_HOURS: i64 = 24;
/// Codes one sender may have sent in a day: with [`MAX_TRIES`] guesses each, the chance of
/// guessing someone else's code stays under one in thirty thousand a day.
pub const MAX_CODES_A_DAY: i64 = 6;

/// What a sender is told when no contact has the number they sent (a translation key).
pub const UNKNOWN_NUMBER: &str = "bind.unknown_phone";

/// Where a sender's binding stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// When they were last asked for their number.
    pub asked_at: DateTime<Utc>,
    /// The code sent, hashed ([`code_hash`]), while one is out.
    pub code_hash: Option<String>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// Wrong guesses at it.
    pub tries: i64,
    /// Codes sent since `codes_since`.
    pub codes: i64,
    /// When the day of `codes` began (the first code of it).
    pub codes_since: Option<DateTime<Utc>>,
}

impl Pending {
    /// Codes sent in the day up to `now`.
    fn codes_today(&self, now: DateTime<Utc>) -> i64 {
        match self.codes_since {
            Some(since) if now - since < Duration::days(1) => self.codes,
            _ => 0,
        }
    }

    /// The day's code count with one more sent at `now`: (count, since).
    pub fn one_more_code(p: Option<&Pending>, now: DateTime<Utc>) -> (i64, DateTime<Utc>) {
        match p.and_then(|p| Some((p.codes_today(now), p.codes_since?))) {
            Some((n, since)) if n > 0 => (n + 1, since),
            _ => (1, now),
        }
    }
}

/// What a message from an unbound sender is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Words for their request; `ask`: ask them for their number as well.
    Words {
        /// Ask for the number (first time, or long since).
        ask: bool,
    },
    /// A mobile number (normalised): a code goes to it if a contact has it.
    Phone(String),
    /// A number again before [`RESEND_SECONDS`] have passed: no new code.
    TooSoon,
    /// A number after [`MAX_CODES_A_DAY`] codes today: no new code until tomorrow.
    Limited,
    /// The code that was sent: bind.
    Bound,
    /// A code, not the one sent.
    Wrong {
        /// That was the last guess allowed: the code is void.
        last: bool,
    },
    /// A code, but the one sent is out of time.
    Expired,
}

impl Step {
    /// What the sender is told on the chat (a translation key), if anything.
    pub fn answer(&self) -> Option<&'static str> {
        match self {
            Step::Words { ask: true } => Some("bind.ask"),
            Step::Words { ask: false } | Step::Bound | Step::Phone(_) => None,
            Step::TooSoon => Some("bind.too_soon"),
            Step::Limited => Some("bind.limited"),
            Step::Wrong { last: false } => Some("bind.wrong_code"),
            Step::Wrong { last: true } => Some("bind.too_many"),
            Step::Expired => Some("bind.expired"),
        }
    }
}

/// The hash a code is kept as: of the sender and the code, so that a code is only ever good
/// for the sender it was sent for.
pub fn code_hash(sender: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{sender}\n{code}").as_bytes()))
}

/// A six-digit code from a random number.
pub fn code(random: u32) -> String {
    format!("{:06}", random % 1_000_000)
}

/// A mobile number with its middle hidden (`138****8000`), to tell the sender where the code
/// went without saying whose number it is.
pub fn masked(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A mainland mobile number (what an SMS reaches), normalised, if `words` are one and nothing
/// else.
fn mobile(words: &str) -> Option<String> {
    validate::phone_query(words).filter(|p| p.len() == 11 && p.starts_with('1'))
}

/// What `words` from `sender` are, given where their binding stands.
pub fn step(pending: Option<&Pending>, sender: &str, words: &str, now: DateTime<Utc>) -> Step {
    let said = words.trim();
    let out = pending.and_then(|p| Some((p, p.code_hash.as_deref()?, p.sent_at?)));
    if let Some((p, hash, sent_at)) = out {
        if said.len() == 6 && said.bytes().all(|b| b.is_ascii_digit()) {
            if now - sent_at > Duration::minutes(CODE_MINUTES) {
                return Step::Expired;
            }
            if code_hash(sender, said) == hash {
                return Step::Bound;
            }
            return Step::Wrong {
                last: p.tries + 1 >= MAX_TRIES,
            };
        }
    }
    if let Some(phone) = mobile(said) {
        let recent = pending
            .and_then(|p| p.sent_at)
            .is_some_and(|at| now - at < Duration::seconds(RESEND_SECONDS));
        let spent = pending.is_some_and(|p| p.codes_today(now) >= MAX_CODES_A_DAY);
        return match (recent, spent) {
            (true, _) => Step::TooSoon,
            (false, true) => Step::Limited,
            (false, false) => Step::Phone(phone),
        };
    }
    let ask = pending.is_none_or(|p| now - p.asked_at >= Duration::hours(ASK_AGAIN_HOURS));
    Step::Words { ask }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).single().unwrap() + Duration::minutes(minute)
    }

    fn sent(code: &str, minute: i64, tries: i64) -> Pending {
        Pending {
            asked_at: at(0),
            code_hash: Some(code_hash("u1", code)),
            sent_at: Some(at(minute)),
            tries,
            codes: 1,
            codes_since: Some(at(minute)),
        }
    }

    #[test]
    fn a_first_message_is_a_request_and_asks_for_the_number() {
        assert_eq!(
            step(None, "u1", "空调不制冷", at(0)),
            Step::Words { ask: true }
        );
        assert_eq!(Step::Words { ask: true }.answer(), Some("bind.ask"));
        let asked = Pending {
            asked_at: at(0),
            code_hash: None,
            sent_at: None,
            tries: 0,
            codes: 0,
            codes_since: None,
        };
        assert_eq!(
            step(Some(&asked), "u1", "还在吗", at(5)),
            Step::Words { ask: false }
        );
        let next_day = at(ASK_AGAIN_HOURS * 60);
        assert_eq!(
            step(Some(&asked), "u1", "还在吗", next_day),
            Step::Words { ask: true }
        );
    }

    #[test]
    fn a_mobile_number_in_any_spelling_asks_for_a_code() {
        for typed in ["13800138000", " 138-0013-8000 ", "+86 138 0013 8000"] {
            assert_eq!(
                step(None, "u1", typed, at(0)),
                Step::Phone("13800138000".into()),
                "{typed}"
            );
        }
        // A landline gets no SMS; a number inside a sentence is words.
        assert_eq!(
            step(None, "u1", "021-12345678", at(0)),
            Step::Words { ask: true }
        );
        assert_eq!(
            step(None, "u1", "我的电话 13800138000", at(0)),
            Step::Words { ask: true }
        );
    }

    #[test]
    fn the_right_code_in_time_binds_and_nothing_else_does() {
        let p = sent("042917", 0, 0);
        assert_eq!(step(Some(&p), "u1", " 042917 ", at(3)), Step::Bound);
        assert_eq!(
            step(Some(&p), "u1", "042918", at(3)),
            Step::Wrong { last: false }
        );
        // The code is the sender's: another sender guessing it right is wrong.
        assert_eq!(
            step(Some(&p), "u2", "042917", at(3)),
            Step::Wrong { last: false }
        );
        assert_eq!(
            step(Some(&p), "u1", "042917", at(CODE_MINUTES + 1)),
            Step::Expired
        );
        let tried = sent("042917", 0, MAX_TRIES - 1);
        assert_eq!(
            step(Some(&tried), "u1", "000000", at(1)),
            Step::Wrong { last: true }
        );
        // Six digits with no code out are words.
        assert_eq!(step(None, "u1", "042917", at(0)), Step::Words { ask: true });
    }

    #[test]
    fn a_new_code_waits_a_minute() {
        let p = sent("042917", 0, 0);
        assert_eq!(step(Some(&p), "u1", "13800138000", at(0)), Step::TooSoon);
        assert_eq!(
            step(Some(&p), "u1", "13800138000", at(2)),
            Step::Phone("13800138000".into())
        );
    }

    #[test]
    fn a_sender_gets_a_few_codes_a_day_and_no_more() {
        let mut p = sent("042917", 0, 0);
        p.codes = MAX_CODES_A_DAY;
        assert_eq!(step(Some(&p), "u1", "13800138000", at(5)), Step::Limited);
        assert_eq!(Step::Limited.answer(), Some("bind.limited"));
        // A day after the first of them, codes come again.
        assert_eq!(
            step(Some(&p), "u1", "13800138000", at(24 * 60)),
            Step::Phone("13800138000".into())
        );
        // The count: the day goes on from its first code, and starts again after it.
        assert_eq!(Pending::one_more_code(None, at(3)), (1, at(3)));
        assert_eq!(
            Pending::one_more_code(Some(&p), at(5)),
            (MAX_CODES_A_DAY + 1, at(0))
        );
        assert_eq!(
            Pending::one_more_code(Some(&p), at(24 * 60)),
            (1, at(24 * 60))
        );
    }

    #[test]
    fn codes_and_masks() {
        assert_eq!(code(42), "000042");
        assert_eq!(code(4_294_967_295), "967295");
        assert_eq!(masked("13800138000"), "138****8000");
        assert_eq!(masked("123"), "***");
        assert_ne!(code_hash("u1", "000042"), code_hash("u2", "000042"));
    }
}
