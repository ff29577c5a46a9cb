//! Tables to upload: CSV and Excel read into rows of text cells. Presentation only; what the
//! cells mean is decided in `core`.

use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::customer_import::{self, Import};
use loopdesk_core::i18n::{self, Lang};
use loopdesk_core::validate::FieldError;
use loopdesk_core::{asset, inventory};
use loopdesk_store::StoreError;

/// Rows of a CSV file (UTF-8, a byte-order mark allowed; RFC 4180 quoting). A file that is
/// not UTF-8 or not CSV is refused with a reason.
pub fn csv_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, &'static str> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| "error.invalid_file")?;
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(rows)
}

/// Rows of the first sheet of an Excel workbook (.xlsx): text as it is, whole numbers
/// without a decimal point, dates as `YYYY-MM-DD`.
pub fn xlsx_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, &'static str> {
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| "error.invalid_file")?;
    let range = book
        .worksheet_range_at(0)
        .ok_or("error.required")?
        .map_err(|_| "error.invalid_file")?;
    Ok(range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect())
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(_) | Data::DateTimeIso(_) => {
            cell.as_date().map(|d| d.to_string()).unwrap_or_default()
        }
        Data::DurationIso(s) => s.clone(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// The rows of a sheet, each with its row number in the sheet.
pub type NumberedRows = Vec<(usize, Vec<String>)>;

/// An uploaded table: Excel when the content type or the file's first bytes say so, else
/// CSV. Answers the header row and the data rows that are not blank, each with its row in
/// the sheet (the header is row 1).
pub fn table(
    content_type: &str,
    bytes: &[u8],
) -> Result<(Vec<String>, NumberedRows), &'static str> {
    let rows = if content_type.starts_with(crate::export::XLSX) || bytes.starts_with(b"PK\x03\x04")
    {
        xlsx_rows(bytes)
    } else {
        csv_rows(bytes)
    }?;
    let mut rows = rows.into_iter();
    let header = rows.next().ok_or("error.required")?;
    let data = rows
        .enumerate()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, cells)| (i + 2, cells))
        .collect();
    Ok((header, data))
}

/// A sheet Loopdesk imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sheet {
    /// Customers, each with a first contact and site.
    Customers,
    /// Contacts of existing customers.
    Contacts,
    /// Sites of existing customers.
    Sites,
    /// Equipment at customers' sites (any other column a free field).
    Assets,
    /// The parts catalogue.
    Parts,
    /// The opening stock of each warehouse.
    Opening,
}

impl Sheet {
    /// Parses the sheet's key.
    pub fn parse(text: &str) -> Option<Sheet> {
        [
            Sheet::Customers,
            Sheet::Contacts,
            Sheet::Sites,
            Sheet::Assets,
            Sheet::Parts,
            Sheet::Opening,
        ]
        .into_iter()
        .find(|s| s.key() == text)
    }

    /// The sheet's key (in forms and template names).
    pub fn key(self) -> &'static str {
        match self {
            Sheet::Customers => "customers",
            Sheet::Contacts => "contacts",
            Sheet::Sites => "sites",
            Sheet::Assets => "assets",
            Sheet::Parts => "parts",
            Sheet::Opening => "opening",
        }
    }

    fn customers(self) -> Option<Import> {
        match self {
            Sheet::Customers => Some(Import::Customers),
            Sheet::Contacts => Some(Import::Contacts),
            Sheet::Sites => Some(Import::Sites),
            Sheet::Assets | Sheet::Parts | Sheet::Opening => None,
        }
    }

    /// Its columns as (field name, Chinese heading).
    pub fn headings(self) -> Vec<(&'static str, &'static str)> {
        match self.customers() {
            Some(i) => i.headings(),
            // The equipment sheet is the equipment export: its columns by field name.
            None if self == Sheet::Assets => asset::COLUMNS.iter().map(|c| (*c, *c)).collect(),
            None => inventory::sheet::headings(self == Sheet::Opening),
        }
    }
}

/// Reads an uploaded table and imports it as `sheet`, all rows or none; answers how many
/// rows were stored. `lang` names what the sheet leaves unnamed (a site without a name, the
/// opening stock's ledger reason).
pub async fn import_sheet(
    state: &crate::state::AppState,
    user: &crate::extract::CurrentUser,
    sheet: Sheet,
    lang: Lang,
    content_type: &str,
    body: &[u8],
) -> Result<usize, StoreError> {
    // Who may not import this learns so before anything is read.
    let permission = match sheet {
        Sheet::Parts | Sheet::Opening => Permission::ManageStock,
        _ => Permission::WriteCustomers,
    };
    if !access::allowed(&user.actor, permission) {
        return Err(StoreError::Forbidden);
    }
    let (header, rows) = table(content_type, body).map_err(|reason| FieldError {
        field: "file",
        reason,
    })?;
    let now = state.clock.now();
    let (tenant, actor) = (&user.tenant, &user.actor);
    let main_site = i18n::t(lang, "page.customers.main_site");
    match sheet {
        Sheet::Customers | Sheet::Contacts | Sheet::Sites => {
            let what = sheet.customers().unwrap_or(Import::Customers);
            let columns = what.header(&header)?;
            match what {
                Import::Customers => {
                    let rows = rows
                        .iter()
                        .map(|(n, c)| (*n, customer_import::customer_row(&columns, c, main_site)))
                        .collect();
                    tenant.import_customers(actor, rows, now).await
                }
                Import::Contacts => {
                    let rows = rows
                        .iter()
                        .map(|(n, c)| (*n, customer_import::contact_row(&columns, c)))
                        .collect();
                    tenant.import_contacts(actor, rows, now).await
                }
                Import::Sites => {
                    let rows = rows
                        .iter()
                        .map(|(n, c)| (*n, customer_import::site_row(&columns, c, main_site)))
                        .collect();
                    tenant.import_sites(actor, rows, now).await
                }
            }
        }
        Sheet::Assets => {
            let rows = rows
                .iter()
                .map(|(n, c)| (*n, asset::import_row(&header, c)))
                .collect();
            tenant.import_assets(actor, rows, now).await
        }
        Sheet::Parts => {
            let columns = inventory::sheet::part_columns(&header)?;
            let rows = rows
                .iter()
                .map(|(n, c)| (*n, inventory::sheet::part_row(&columns, c)))
                .collect();
            tenant.import_parts(actor, rows, now).await
        }
        Sheet::Opening => {
            let columns = inventory::sheet::opening_columns(&header)?;
            let rows = rows
                .iter()
                .map(|(n, c)| (*n, inventory::sheet::opening_row(&columns, c)))
                .collect();
            let reason = i18n::t(lang, "page.import.opening_reason");
            tenant.import_opening_stock(actor, rows, reason, now).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loopdesk_core::kpi::Cell;

    #[test]
    fn csv_with_a_bom_quotes_and_newlines_reads_back() {
        let text = "\u{feff}serial,备注\r\nSN-1,\"一楼, 东侧\"\r\nSN-2,\"两行\n说明\"\r\n";
        let rows = csv_rows(text.as_bytes()).unwrap_or_default();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0], ["serial", "备注"]);
        assert_eq!(rows[1][1], "一楼, 东侧");
        assert_eq!(rows[2][1], "两行\n说明");
        assert!(csv_rows(&[0xff, 0xfe, 0x00]).is_err(), "not UTF-8");
    }

    #[test]
    fn an_exported_workbook_reads_back() {
        let header = [
            "serial".to_owned(),
            "installed_on".to_owned(),
            "meter".to_owned(),
        ];
        let rows = vec![vec![
            Cell::Text("SN-1".into()),
            Cell::Text("2025-06-30".into()),
            Cell::Number(1200.0),
        ]];
        let bytes = crate::export::xlsx(&header, &rows).unwrap_or_default();
        let back = xlsx_rows(&bytes).unwrap_or_default();
        assert_eq!(
            back,
            vec![
                header.to_vec(),
                vec![
                    "SN-1".to_owned(),
                    "2025-06-30".to_owned(),
                    "1200".to_owned()
                ]
            ]
        );
        assert_eq!(
            xlsx_rows(b"PK\x03\x04 not really"),
            Err("error.invalid_file")
        );
    }
}
