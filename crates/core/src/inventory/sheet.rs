//! The parts catalogue and the opening stock read from a sheet (an import): columns by
//! field name or heading, each row checked as a part or a receipt typed on the page is.

use super::{NewPart, MAX_QTY};
use crate::sheet;
use crate::validate::FieldError;

/// A column of a parts or opening-stock sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockColumn {
    /// The part's SKU.
    Sku,
    /// The part's name.
    Name,
    /// Unit of count.
    Unit,
    /// What one costs us, in yuan.
    Cost,
    /// What the customer pays, in yuan.
    Price,
    /// Models it fits, separated by commas.
    Models,
    /// The warehouse's name.
    Warehouse,
    /// Units on hand.
    Qty,
    /// What an export says is on hand (read, not imported).
    OnHand,
}

const PART_HEADINGS: &[(StockColumn, &[&str])] = &[
    (StockColumn::Sku, &["sku", "物料编码", "编码", "料号"]),
    (StockColumn::Name, &["name", "名称", "物料名称"]),
    (StockColumn::Unit, &["unit", "单位"]),
    (StockColumn::Cost, &["cost", "成本", "成本价"]),
    (StockColumn::Price, &["price", "售价", "价格"]),
    (StockColumn::Models, &["models", "适用型号"]),
    (StockColumn::OnHand, &["on_hand", "现有库存", "on hand"]),
];

const OPENING_HEADINGS: &[(StockColumn, &[&str])] = &[
    (StockColumn::Warehouse, &["warehouse", "仓库"]),
    (StockColumn::Sku, &["sku", "物料编码", "编码", "料号"]),
    (StockColumn::Qty, &["qty", "数量", "quantity"]),
];

/// The columns of a parts sheet (the SKU required).
pub fn part_columns(header: &[String]) -> Result<Vec<Option<StockColumn>>, FieldError> {
    sheet::columns(header, PART_HEADINGS, StockColumn::Sku)
}

/// The columns of an opening-stock sheet (the SKU required; the warehouse and quantity
/// are checked on each row).
pub fn opening_columns(header: &[String]) -> Result<Vec<Option<StockColumn>>, FieldError> {
    sheet::columns(header, OPENING_HEADINGS, StockColumn::Sku)
}

/// Each sheet's columns as (field name, Chinese heading), for its template.
pub fn headings(opening: bool) -> Vec<(&'static str, &'static str)> {
    let list = if opening {
        OPENING_HEADINGS
    } else {
        PART_HEADINGS
    };
    list.iter()
        .filter(|(c, _)| *c != StockColumn::OnHand)
        .map(|(_, n)| (n[0], n[1]))
        .collect()
}

fn yuan(field: &'static str, text: &str) -> Result<f64, FieldError> {
    text.parse::<f64>().map_err(|_| FieldError {
        field,
        reason: "error.invalid_number",
    })
}

/// A part row (checked as a new part when stored).
pub fn part_row(columns: &[Option<StockColumn>], row: &[String]) -> Result<NewPart, FieldError> {
    let mut p = NewPart::default();
    for (column, v) in sheet::cells(columns, row) {
        match column {
            StockColumn::Sku => p.sku = v.to_owned(),
            StockColumn::Name => p.name = v.to_owned(),
            StockColumn::Unit => p.unit = Some(v.to_owned()),
            StockColumn::Cost => p.cost = Some(yuan("cost", v)?),
            StockColumn::Price => p.price = Some(yuan("price", v)?),
            StockColumn::Models => {
                p.models = crate::validate::split_list(v);
            }
            StockColumn::Warehouse | StockColumn::Qty | StockColumn::OnHand => {}
        }
    }
    Ok(p)
}

/// An opening-stock row: the warehouse's name, the SKU and how many units are on hand (a
/// whole number of at least one).
pub fn opening_row(
    columns: &[Option<StockColumn>],
    row: &[String],
) -> Result<(String, String, i64), FieldError> {
    let (mut warehouse, mut sku, mut qty) = (None, None, None);
    for (column, v) in sheet::cells(columns, row) {
        match column {
            StockColumn::Warehouse => warehouse = Some(v.to_owned()),
            StockColumn::Sku => sku = Some(v.to_owned()),
            StockColumn::Qty => qty = Some(v),
            _ => {}
        }
    }
    let required = |field| FieldError {
        field,
        reason: "error.required",
    };
    let warehouse = warehouse.ok_or(required("warehouse"))?;
    let sku = sku.ok_or(required("sku"))?;
    let qty = qty.ok_or(required("qty"))?;
    // Excel writes a whole number typed into a cell as it is; "12.0" from elsewhere is 12.
    let qty = qty
        .parse::<i64>()
        .ok()
        .or_else(|| {
            qty.parse::<f64>()
                .ok()
                .filter(|q| q.fract() == 0.0 && q.abs() < 1e12)
                .map(|q| q as i64)
        })
        .filter(|q| (1..=MAX_QTY).contains(q))
        .ok_or(FieldError {
            field: "qty",
            reason: "error.invalid_number",
        })?;
    Ok((warehouse, sku, qty))
}
