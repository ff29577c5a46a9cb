//! Phone calls (CTI): the events a PBX or cloud call centre posts about a call, and what one
//! call record becomes of them.
//!
//! A call's events may come out of order or twice (a PBX retries; two legs report the same
//! end). Each event only fills in what it knows — the first time of each kind, a recording, a
//! transcript — so whatever order they come in, the record ends the same ([`CallTimes`]).
//! A call nobody answered is missed, and a missed inbound call wants a callback; an answer
//! reported late withdraws the callback, and an answered call back to that number settles it.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::validate::{self, FieldError};

/// The longest call id, number, agent name and recording address taken.
const MAX_ID: usize = 200;
const MAX_NUMBER: usize = 40;
const MAX_URL: usize = 2000;
/// A transcript longer than this is cut (never refused).
pub const MAX_TRANSCRIPT: usize = 50_000;

/// What happened to a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallEventKind {
    /// The phone rings (at an agent, when the PBX says whose).
    Ringing,
    /// Someone picked up.
    Answered,
    /// The call ended.
    Ended,
    /// Nobody picked up (the caller hung up, or it timed out).
    Missed,
}

impl CallEventKind {
    /// Reads the event's name.
    pub fn parse(s: &str) -> Option<CallEventKind> {
        Some(match s {
            "ringing" => CallEventKind::Ringing,
            "answered" => CallEventKind::Answered,
            "ended" => CallEventKind::Ended,
            "missed" => CallEventKind::Missed,
            _ => return None,
        })
    }
}

/// A call event's body as posted (`POST /api/v1/channels/{id}/events`), before it is checked.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostedEvent {
    /// The PBX's id of the call; every event of one call carries the same.
    pub call_id: String,
    /// `ringing`, `answered`, `ended` or `missed`.
    pub event: String,
    /// The calling number.
    pub from: String,
    /// The called number.
    pub to: String,
    /// The username of the agent whose phone it is.
    #[serde(default)]
    pub agent: Option<String>,
    /// When it happened (RFC 3339).
    pub at: String,
    /// Where the recording can be heard.
    #[serde(default)]
    pub recording_url: Option<String>,
    /// What was said, as text.
    #[serde(default)]
    pub transcript: Option<String>,
}

/// A checked call event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallEvent {
    /// The PBX's id of the call.
    pub call_id: String,
    /// What happened.
    pub kind: CallEventKind,
    /// The calling number, as the PBX wrote it (an extension, a hotline or a phone).
    pub from: String,
    /// The called number.
    pub to: String,
    /// The agent's username.
    pub agent: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Recording address (http or https).
    pub recording_url: Option<String>,
    /// Transcript, cut to [`MAX_TRANSCRIPT`] characters.
    pub transcript: Option<String>,
}

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

/// A number as the PBX wrote it: digits with an optional `+`, spaces and dashes dropped. An
/// extension (`8001`) or a hotline (`400-800-1234`) is a number too; only a customer's phone
/// must also read as one ([`validate::phone`]) to find them.
fn number(field: &'static str, text: &str) -> Result<String, FieldError> {
    let t = text.trim();
    let mut out = String::with_capacity(t.len());
    for (i, c) in t.chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            '+' if i == 0 => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return fail(field, "error.invalid_phone"),
        }
    }
    if out.trim_start_matches('+').is_empty() {
        return fail(field, "error.required");
    }
    if out.len() > MAX_NUMBER {
        return fail(field, "error.too_long");
    }
    Ok(out)
}

impl PostedEvent {
    /// Checks the event: each field that is wrong is named.
    pub fn check(self) -> Result<CallEvent, FieldError> {
        let call_id = self.call_id.trim();
        if call_id.is_empty() {
            return fail("call_id", "error.required");
        }
        if call_id.chars().count() > MAX_ID || call_id.chars().any(char::is_control) {
            return fail("call_id", "error.invalid_value");
        }
        let kind = CallEventKind::parse(self.event.trim()).ok_or(FieldError {
            field: "event",
            reason: "error.invalid_value",
        })?;
        let from = number("from", &self.from)?;
        let to = number("to", &self.to)?;
        let agent = match self.agent.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) if a.chars().count() > MAX_ID || a.chars().any(char::is_control) => {
                return fail("agent", "error.invalid_value")
            }
            Some(a) => Some(a.to_owned()),
        };
        let at = DateTime::parse_from_rfc3339(self.at.trim())
            .map_err(|_| FieldError {
                field: "at",
                reason: "error.invalid_time",
            })?
            .with_timezone(&Utc);
        let recording_url = match self.recording_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(u) => {
                let lower = u.to_ascii_lowercase();
                let web = lower.starts_with("https://") || lower.starts_with("http://");
                if !web || u.len() > MAX_URL || u.chars().any(|c| c.is_control() || c == ' ') {
                    return fail("recording_url", "error.invalid_url");
                }
                Some(u.to_owned())
            }
        };
        let transcript = self
            .transcript
            .map(|t| t.trim().chars().take(MAX_TRANSCRIPT).collect::<String>())
            .filter(|t| !t.is_empty());
        Ok(CallEvent {
            call_id: call_id.to_owned(),
            kind,
            from,
            to,
            agent,
            at,
            recording_url,
            transcript,
        })
    }
}

/// A number that reads as a customer's phone, spelt as contacts keep it; `None` for an
/// extension or a hotline.
pub fn customer_phone(number: &str) -> Option<String> {
    validate::phone("phone", number).ok()
}

/// Which way a call went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// A customer called in.
    Inbound,
    /// Someone here called a customer (a callback).
    Outbound,
}

impl Direction {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    /// Reads its name.
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "inbound" => Some(Direction::Inbound),
            "outbound" => Some(Direction::Outbound),
            _ => None,
        }
    }

    /// A call is inbound unless the calling number is nobody's and the called number is a
    /// customer's (a call centre's own numbers are not contacts).
    pub fn of(from_is_customer: bool, to_is_customer: bool) -> Direction {
        if !from_is_customer && to_is_customer {
            Direction::Outbound
        } else {
            Direction::Inbound
        }
    }
}

/// Where a call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallState {
    /// Ringing.
    Ringing,
    /// In progress.
    Answered,
    /// Over, after someone talked.
    Ended,
    /// Over, nobody picked up.
    Missed,
}

impl CallState {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Ringing => "ringing",
            CallState::Answered => "answered",
            CallState::Ended => "ended",
            CallState::Missed => "missed",
        }
    }

    /// Reads its name.
    pub fn parse(s: &str) -> Option<CallState> {
        Some(match s {
            "ringing" => CallState::Ringing,
            "answered" => CallState::Answered,
            "ended" => CallState::Ended,
            "missed" => CallState::Missed,
            _ => return None,
        })
    }

    /// The call is still going on (the caller's card stays up for its agent).
    pub fn is_live(self) -> bool {
        matches!(self, CallState::Ringing | CallState::Answered)
    }
}

/// The times a call's events tell, each the earliest reported of its kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallTimes {
    /// It rang.
    pub ringing_at: Option<DateTime<Utc>>,
    /// Someone picked up.
    pub answered_at: Option<DateTime<Utc>>,
    /// It ended (a missed call ends too).
    pub ended_at: Option<DateTime<Utc>>,
    /// The PBX said nobody picked up.
    pub missed: bool,
}

fn earliest(a: Option<DateTime<Utc>>, b: DateTime<Utc>) -> Option<DateTime<Utc>> {
    Some(a.map_or(b, |a| a.min(b)))
}

impl CallTimes {
    /// Takes one event in; the same event twice, or events in another order, end the same.
    pub fn apply(&mut self, kind: CallEventKind, at: DateTime<Utc>) {
        match kind {
            CallEventKind::Ringing => self.ringing_at = earliest(self.ringing_at, at),
            CallEventKind::Answered => self.answered_at = earliest(self.answered_at, at),
            CallEventKind::Ended => self.ended_at = earliest(self.ended_at, at),
            CallEventKind::Missed => {
                self.missed = true;
                self.ended_at = earliest(self.ended_at, at);
            }
        }
    }

    /// Where the call stands: answered wins over a report that it was missed (someone did
    /// talk); an end without an answer is a missed call.
    pub fn state(&self) -> CallState {
        match (self.answered_at, self.ended_at) {
            (Some(_), Some(_)) => CallState::Ended,
            (Some(_), None) => CallState::Answered,
            (None, Some(_)) => CallState::Missed,
            (None, None) if self.missed => CallState::Missed,
            (None, None) => CallState::Ringing,
        }
    }

    /// How long they talked, in seconds.
    pub fn talk_seconds(&self) -> Option<i64> {
        match (self.answered_at, self.ended_at) {
            (Some(a), Some(e)) if e >= a => Some((e - a).num_seconds()),
            _ => None,
        }
    }

    /// When the call began (its first event).
    pub fn began_at(&self) -> Option<DateTime<Utc>> {
        [self.ringing_at, self.answered_at, self.ended_at]
            .into_iter()
            .flatten()
            .min()
    }
}

/// A missed call's callback (回电).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callback {
    /// Waiting in the desk queue.
    Open,
    /// Someone called back, or recorded the request.
    Done,
}

impl Callback {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Callback::Open => "open",
            Callback::Done => "done",
        }
    }

    /// Reads its name.
    pub fn parse(s: &str) -> Option<Callback> {
        match s {
            "open" => Some(Callback::Open),
            "done" => Some(Callback::Done),
            _ => None,
        }
    }

    /// The callback a call wants now: a missed inbound call opens one; an answer reported
    /// late withdraws one still open; one done stays done.
    pub fn after(
        now: Option<Callback>,
        state: CallState,
        direction: Direction,
    ) -> Option<Callback> {
        match (now, state, direction) {
            (Some(Callback::Done), _, _) => Some(Callback::Done),
            (_, CallState::Missed, Direction::Inbound) => Some(Callback::Open),
            _ => None,
        }
    }
}

/// An outbound call someone answered settles the open callbacks to that number.
pub fn settles_callbacks(direction: Direction, state: CallState) -> bool {
    direction == Direction::Outbound && matches!(state, CallState::Answered | CallState::Ended)
}
