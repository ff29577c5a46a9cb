//! API tests against a real server on SQLite and on PostgreSQL.

mod helpers;
mod lifecycle;
mod rules;
mod security;
