//! The shape every import sheet shares: a header row naming each column by its field or by
//! its Chinese or English heading, and rows of text cells. What a column means is the
//! import's own; finding it, and refusing a heading nobody knows, is done here once.

use crate::validate::FieldError;

/// Reads a header row against the headings each column is known by (lower case): each
/// heading's column, `None` for a blank heading. Refused (as the field `file`) for a heading
/// no column of this import is known by, a column named twice, or `required` missing.
pub fn columns<C: Copy + PartialEq>(
    header: &[String],
    known: &[(C, &[&str])],
    required: C,
) -> Result<Vec<Option<C>>, FieldError> {
    let mut out = Vec::with_capacity(header.len());
    for h in header {
        let h = h.trim().to_lowercase();
        if h.is_empty() {
            out.push(None);
            continue;
        }
        let column = known
            .iter()
            .find(|(_, names)| names.contains(&h.as_str()))
            .map(|(c, _)| *c);
        match column {
            Some(c) if out.contains(&Some(c)) => return fail("error.duplicate"),
            Some(c) => out.push(Some(c)),
            None => return fail("error.unknown_column"),
        }
    }
    if !out.contains(&Some(required)) {
        return fail("error.missing_column");
    }
    Ok(out)
}

fn fail<T>(reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError {
        field: "file",
        reason,
    })
}

/// One row's cells by column: trimmed, empty ones absent, cells under a blank heading
/// skipped.
pub fn cells<'a, C: Copy>(columns: &[Option<C>], row: &'a [String]) -> Vec<(C, &'a str)> {
    columns
        .iter()
        .zip(row)
        .filter_map(|(c, v)| Some(((*c)?, v.trim())))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}
