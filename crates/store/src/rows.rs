//! Reading stored values back: ids and the like, which the database holds as text.

use chrono::NaiveDate;

use crate::StoreError;

/// A stored value that does not read as what it should be.
pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

/// A stored id, parsed with its type's `parse`.
pub(crate) fn parse_id<T>(text: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(text).ok_or_else(|| StoreError::Corrupt(format!("bad id {text}")))
}

/// A stored id that may be absent.
pub(crate) fn parse_opt_id<T>(
    text: Option<String>,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    text.map(|t| parse_id(&t, parse)).transpose()
}

/// A stored date (`YYYY-MM-DD`).
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("date {text}")))
}
