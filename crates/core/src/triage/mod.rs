//! Triage: what a request's words say before anyone reads them (issue 23). Everything here
//! is the tenant's own and runs inside Loopdesk: no outside service, nothing downloaded.
//!
//! - [`urgency`]: a shipped lexicon of urgency and escalation words (尽快, 着急, 投诉, 12315,
//!   曝光, 律师…) with negation (不急) and degree words (非常), giving a level, a score and
//!   the words that drove it; and a first, lexicon-only reading of negative sentiment.
//! - [`features`], [`classifier`], [`train`]: a classifier of category, priority, team or
//!   sentiment trained on the tenant's own tickets, judged on a held-out fifth, every
//!   suggestion with the words that drove it.
//! - [`assess`]: one request triaged with the tenant's models.
//! - [`similar`]: how alike two requests read (the duplicates shown at intake).

pub mod assess;
pub mod classifier;
pub mod features;
pub mod similar;
pub mod train;
pub mod urgency;

#[cfg(test)]
mod tests;

pub use assess::{assess, Assessment, Candidate, Known, Models, Request, Target};
pub use classifier::{Classifier, Example, Options, Suggestion};
pub use train::{Holdout, TrainError, Trained, MIN_EXAMPLES};
