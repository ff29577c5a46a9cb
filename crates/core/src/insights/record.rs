//! A problem record (问题单): the root-cause follow-up of a recurring problem, opened from the
//! problems found (or by hand) with the tickets it links; closed only with its root cause
//! written down — what the seeds' weekly 闭环小组 keeps.

use serde::{Deserialize, Serialize};

use crate::validate::{self, FieldError, MAX_DESCRIPTION, MAX_SUBJECT};
use crate::TicketId;

/// Tickets one record links at most.
pub const MAX_TICKETS: usize = 500;

/// Where a record stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RecordStatus {
    /// Being looked into.
    Open,
    /// Its root cause found and dealt with.
    Resolved,
}

impl RecordStatus {
    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordStatus::Open => "open",
            RecordStatus::Resolved => "resolved",
        }
    }

    /// Parses the code name.
    pub fn parse(text: &str) -> Option<RecordStatus> {
        [RecordStatus::Open, RecordStatus::Resolved]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The record's title.
pub fn title(text: &str) -> Result<String, FieldError> {
    validate::required_text("title", text, MAX_SUBJECT)
}

/// What the problem's key was (`term:闪退`), when it came from the problems found.
pub fn key(text: Option<&str>) -> Result<Option<String>, FieldError> {
    validate::optional_text("key", text, MAX_SUBJECT)
}

/// The root cause as written.
pub fn root_cause(text: Option<&str>) -> Result<Option<String>, FieldError> {
    validate::optional_text("root_cause", text, MAX_DESCRIPTION)
}

/// The tickets to link: each once, in the order given, at most [`MAX_TICKETS`]; a new record
/// links at least one (`at_least_one`).
pub fn tickets(ids: &[TicketId], at_least_one: bool) -> Result<Vec<TicketId>, FieldError> {
    let mut out: Vec<TicketId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    if out.len() > MAX_TICKETS {
        return Err(FieldError {
            field: "ticket_ids",
            reason: "error.too_many",
        });
    }
    if at_least_one && out.is_empty() {
        return Err(FieldError {
            field: "ticket_ids",
            reason: "error.required",
        });
    }
    Ok(out)
}

/// A record is resolved only with its root cause written down.
pub fn may_become(status: RecordStatus, root_cause: Option<&str>) -> Result<(), FieldError> {
    match (status, root_cause) {
        (RecordStatus::Resolved, None) => Err(FieldError {
            field: "root_cause",
            reason: "error.root_cause_first",
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_links_each_ticket_once_and_closes_only_with_its_cause() {
        let (a, b) = (TicketId::new(), TicketId::new());
        assert_eq!(tickets(&[a, b, a], true), Ok(vec![a, b]));
        assert_eq!(
            tickets(&[], true).map_err(|e| e.reason),
            Err("error.required")
        );
        assert_eq!(tickets(&[], false), Ok(vec![]));
        let many: Vec<TicketId> = (0..=MAX_TICKETS).map(|_| TicketId::new()).collect();
        assert_eq!(
            tickets(&many, true).map_err(|e| e.reason),
            Err("error.too_many")
        );
        assert_eq!(
            may_become(RecordStatus::Resolved, None).map_err(|e| e.field),
            Err("root_cause")
        );
        assert!(may_become(RecordStatus::Resolved, Some("压缩机批次缺陷")).is_ok());
        assert!(may_become(RecordStatus::Open, None).is_ok());
        assert_eq!(title("  ").map_err(|e| e.reason), Err("error.required"));
        assert_eq!(
            RecordStatus::parse("resolved"),
            Some(RecordStatus::Resolved)
        );
    }
}
