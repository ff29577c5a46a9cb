//! Tables to download: CSV and Excel. Presentation only; the figures come from the store.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use loopdesk_core::kpi::Cell;

use crate::error::ApiError;

/// The media type of an Excel workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One worksheet of a download.
pub struct Sheet<'a> {
    /// The sheet's name (Excel only).
    pub name: &'a str,
    /// The header row.
    pub header: &'a [String],
    /// The rows.
    pub rows: &'a [Vec<Cell>],
}

/// A table as a download named `{name}.csv` or `{name}.xlsx`: `format` is `csv` (the default)
/// or `xlsx`; anything else is a 422 on `format`.
pub fn download(
    name: &str,
    format: Option<&str>,
    header: &[String],
    rows: &[Vec<Cell>],
) -> Result<Response, ApiError> {
    let sheet = Sheet {
        name: "Sheet1",
        header,
        rows,
    };
    download_sheets(name, format, &[sheet])
}

/// Tables as one download: a workbook of all of them (`xlsx`), or the first as CSV.
pub fn download_sheets(
    name: &str,
    format: Option<&str>,
    sheets: &[Sheet<'_>],
) -> Result<Response, ApiError> {
    let first = sheets
        .first()
        .ok_or_else(|| ApiError::internal("a download without a table"))?;
    let (bytes, kind, file) = match format.map(str::trim) {
        None | Some("" | "csv") => (
            csv(first.header, first.rows).into_bytes(),
            "text/csv; charset=utf-8",
            format!("{name}.csv"),
        ),
        Some("xlsx") => (
            workbook(sheets).map_err(ApiError::internal)?,
            XLSX,
            format!("{name}.xlsx"),
        ),
        Some(_) => return Err(ApiError::invalid("format", "error.invalid_value")),
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// RFC 4180 CSV with a byte-order mark (Excel then reads UTF-8, Chinese headers included).
/// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or carriage return
/// first: a customer's subject `=HYPERLINK(…)`) is written with a leading `'`, as text.
pub fn csv(header: &[String], rows: &[Vec<Cell>]) -> String {
    let mut out = String::from("\u{feff}");
    let mut line = |cells: Vec<String>| {
        let quoted: Vec<String> = cells
            .into_iter()
            .map(|c| {
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c
                }
            })
            .collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    };
    line(header.to_vec());
    for row in rows {
        line(
            row.iter()
                .map(|c| match c {
                    Cell::Text(t) if t.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
                        format!("'{t}")
                    }
                    Cell::Text(t) => t.clone(),
                    Cell::Number(n) => n.to_string(),
                    Cell::Empty => String::new(),
                })
                .collect(),
        );
    }
    out
}

/// One worksheet: a bold header row, then text and numbers as they are.
pub fn xlsx(header: &[String], rows: &[Vec<Cell>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    workbook(&[Sheet {
        name: "Sheet1",
        header,
        rows,
    }])
}

/// A workbook of named worksheets, each a bold header row, then text and numbers as they are.
pub fn workbook(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for s in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(s.name)?;
        for (c, h) in s.header.iter().enumerate() {
            sheet.write_string_with_format(0, col(c), h, &bold)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(t) => {
                        sheet.write_string(r, col(c), t)?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, col(c), *n)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    book.save_to_buffer()
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it_and_leaves_empty_cells_empty() {
        let head = vec!["分组".to_owned(), "a,b".to_owned()];
        let rows = vec![
            vec![Cell::Text("say \"hi\"".into()), Cell::Number(0.25)],
            vec![Cell::Text("x".into()), Cell::Empty],
        ];
        let formula = vec![vec![
            Cell::Text("=HYPERLINK(\"x\")".into()),
            Cell::Number(-1.0),
        ]];
        assert_eq!(
            csv(&head, &formula),
            "\u{feff}分组,\"a,b\"\r\n\"'=HYPERLINK(\"\"x\"\")\",-1\r\n",
            "a formula is text; a negative number stays a number"
        );
        assert_eq!(
            csv(&head, &rows),
            "\u{feff}分组,\"a,b\"\r\n\"say \"\"hi\"\"\",0.25\r\nx,\r\n"
        );
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = xlsx(&["g".to_owned()], &[vec![Cell::Number(1.0)]]);
        assert!(bytes.is_ok_and(|b| b.starts_with(b"PK\x03\x04")));
    }
}
