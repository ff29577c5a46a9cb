//! Loopdesk's domain core: the rules of the closed loop, once.
//!
//! Pure and synchronous: no I/O, no async, no SQL, no wall clock (time is a parameter,
//! see [`clock::Clock`]). The store gathers facts, asks this crate what a command means,
//! and writes the answer; the web layer only translates HTTP to those calls.

pub mod access;
pub mod asset;
pub mod audit;
pub mod clock;
pub mod customer;
pub mod customer_import;
pub mod directory;
pub mod dispatch;
pub mod event;
pub mod followup;
pub mod geo;
pub mod i18n;
pub mod ids;
pub mod inbound;
pub mod insights;
pub mod intake;
pub mod inventory;
pub mod job;
pub mod knowledge;
pub mod kpi;
pub mod login;
pub mod maintenance;
pub mod net;
pub mod notify;
pub mod oidc;
pub mod photo;
pub mod region_shape;
pub mod role;
pub mod screening;
pub mod search;
pub mod sheet;
pub mod signing;
pub mod sla;
pub mod ticket;
pub mod totp;
pub mod triage;
pub mod validate;

pub use ids::*;
pub use role::{Role, Roles};
pub use ticket::status::Status;
