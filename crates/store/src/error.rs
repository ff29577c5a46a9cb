//! Errors of the storage layer.

use loopdesk_core::ticket::TransitionError;
use loopdesk_core::validate::FieldError;

/// What can go wrong in a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist, or the caller may not see it (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// The caller sent a `version` that is no longer current.
    #[error("stale version: the ticket is at version {current}")]
    Stale {
        /// The current version.
        current: i64,
    },
    /// A uniqueness rule was broken; names the field at fault.
    #[error("conflict on {field}")]
    Conflict {
        /// The field whose value is taken.
        field: &'static str,
    },
    /// The caller's role may not do this.
    #[error("forbidden")]
    Forbidden,
    /// The input failed validation.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The input named a field the object does not have (a channel's settings).
    #[error("unknown field {0}")]
    UnknownField(String),
    /// The transition table refused the move.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The request is understood but the object's state refuses it: a survey answered
    /// already (`gone: false`, 409) or expired (`gone: true`, 410). `reason` is a
    /// translation key.
    #[error("refused: {reason}")]
    Refused {
        /// Translation key of the reason.
        reason: &'static str,
        /// True when it can never succeed again (HTTP 410).
        gone: bool,
    },
    /// A stock movement would take a level below zero.
    #[error("insufficient stock of {sku} in {warehouse_id}: {available} available")]
    InsufficientStock {
        /// The part.
        sku: String,
        /// The warehouse.
        warehouse_id: loopdesk_core::WarehouseId,
        /// Units free there (or held by the ticket, for a reservation).
        available: i64,
        /// True when the ticket's own reservation is what is short.
        reservation: bool,
    },
    /// An import failed: these rows (and nothing was written).
    #[error("{} rows failed", .0.len())]
    Rows(Vec<RowError>),
    /// A model cannot be trained: too few examples (`need` 0 when every example has the
    /// same class).
    #[error("too few examples: {have} of {need}")]
    TooFewExamples {
        /// Examples there are (or classes, when `need` counts classes).
        have: usize,
        /// Examples needed.
        need: usize,
    },
    /// The same idempotency key came with a different request.
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    /// A stored value could not be read back (a bug or a hand-edited database).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A row of an import that failed, with the field and the reason (a translation key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The row in the sheet (the header is row 1).
    pub row: usize,
    /// The field (column) at fault.
    pub field: &'static str,
    /// Translation key of the reason.
    pub reason: &'static str,
}

impl StoreError {
    /// Maps a unique-constraint violation to a field conflict, anything else to `Database`.
    pub(crate) fn on_unique(e: sqlx::Error, field: &'static str) -> StoreError {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict { field },
            _ => StoreError::Database(e),
        }
    }
}
