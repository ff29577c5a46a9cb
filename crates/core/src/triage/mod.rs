//! Triage: what a request's words say before anyone reads them (issue 23). Everything here
//! is the tenant's own and runs inside Loopdesk: no outside service, nothing downloaded.
//!
//! - [`urgency`]: a shipped lexicon of urgency and escalation words (尽快, 着急, 投诉, 12315,
//!   曝光, 律师…) with negation (不急) and degree words (非常), giving a level, a score and
//!   the words that drove it; and a first, lexicon-only reading of negative sentiment.

pub mod urgency;
