//! API tests against a real server on SQLite and on PostgreSQL.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]

mod assets;
mod audit;
mod backup;
mod calls;
mod channels;
mod chat_sim;
mod chats;
mod customers;
mod directory;
mod engineers;
mod followup;
mod helpers;
mod holes;
mod imap;
mod imports;
mod insights;
mod isolation;
mod knowledge;
mod kpis;
mod lifecycle;
mod mail;
mod maintenance;
mod pages;
mod paper;
mod risk;
mod rules;
mod s3;
mod search;
mod security;
mod sla;
mod stock;
mod tenants;
mod ticket_import;
mod triage;
mod two_factor;
mod users;
mod wear;
mod what_if;
