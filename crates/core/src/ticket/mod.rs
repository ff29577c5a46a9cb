//! The ticket (工单): its statuses, THE transition table, numbering and channels.

pub mod channel;
pub mod import;
pub mod merge;
pub mod number;
pub mod status;
pub mod transitions;
pub mod views;

pub use channel::Channel;
pub use transitions::{
    plan_move, Actor, AssigneeFacts, CheckIn, Confirmation, ConfirmedBy, Flag, MoveCommand,
    MoveKind, Plan, ReportInput, SiteFacts, TicketFacts, TransitionError, RULES,
};

/// How urgent a piece of work is, for ordering queues (smallest first): the priority, then the
/// sooner resolution due time (work without one after all work with one), then the older.
pub fn urgency(
    priority: i64,
    due: Option<chrono::DateTime<chrono::Utc>>,
    created: chrono::DateTime<chrono::Utc>,
) -> (
    i64,
    bool,
    Option<chrono::DateTime<chrono::Utc>>,
    chrono::DateTime<chrono::Utc>,
) {
    (priority, due.is_none(), due, created)
}

#[cfg(test)]
mod urgency_tests {
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn priority_first_then_the_sooner_due_and_none_last() {
        let t = Utc
            .with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
            .single()
            .unwrap_or_default();
        let mut work = [
            ("p2 no due", super::urgency(2, None, t)),
            (
                "p2 due later",
                super::urgency(2, Some(t + Duration::hours(5)), t),
            ),
            ("p1", super::urgency(1, None, t)),
            (
                "p2 due soon",
                super::urgency(2, Some(t + Duration::hours(1)), t),
            ),
        ];
        work.sort_by_key(|w| w.1);
        let order: Vec<&str> = work.iter().map(|w| w.0).collect();
        assert_eq!(order, ["p1", "p2 due soon", "p2 due later", "p2 no due"]);
    }
}
