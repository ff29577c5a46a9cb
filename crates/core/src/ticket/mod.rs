//! The ticket (工单): its statuses, THE transition table, numbering and channels.

pub mod channel;
pub mod number;
pub mod status;
pub mod transitions;

pub use channel::Channel;
pub use transitions::{
    plan_move, Actor, AssigneeFacts, CheckIn, Confirmation, ConfirmedBy, Flag, MoveCommand,
    MoveKind, Plan, ReportInput, SiteFacts, TicketFacts, TransitionError, RULES,
};
