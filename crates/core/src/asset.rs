//! Assets (资产): the product catalogue, an asset's status and warranty, meter readings, and
//! whether a repair is chargeable.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::validate::{self, FieldError};

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

/// Where an asset stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    /// Working at the customer's site.
    #[default]
    InService,
    /// At the site but not working (awaiting repair).
    OutOfService,
    /// Taken out of use for good.
    Decommissioned,
}

impl AssetStatus {
    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetStatus::InService => "in_service",
            AssetStatus::OutOfService => "out_of_service",
            AssetStatus::Decommissioned => "decommissioned",
        }
    }

    /// Reads the stored name.
    pub fn parse(text: &str) -> Option<AssetStatus> {
        match text {
            "in_service" => Some(AssetStatus::InService),
            "out_of_service" => Some(AssetStatus::OutOfService),
            "decommissioned" => Some(AssetStatus::Decommissioned),
            _ => None,
        }
    }
}

/// A ticket's asset, seen from the warranty.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Warranty {
    /// Under warranty (or a service contract) on the day of the request.
    In,
    /// Out of warranty: the repair is chargeable.
    Out,
}

impl Warranty {
    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Warranty::In => "in",
            Warranty::Out => "out",
        }
    }

    /// Reads the stored name.
    pub fn parse(text: &str) -> Option<Warranty> {
        match text {
            "in" => Some(Warranty::In),
            "out" => Some(Warranty::Out),
            _ => None,
        }
    }
}

/// The warranty of an asset on `day` (the request's local date): in when it runs until that
/// day or later (the end date included), out after it; unknown (`None`) when the asset has no
/// warranty date, which is not chargeable until someone finds out.
pub fn warranty_on(until: Option<NaiveDate>, day: NaiveDate) -> Option<Warranty> {
    until.map(|u| {
        if day <= u {
            Warranty::In
        } else {
            Warranty::Out
        }
    })
}

/// What intake records for a ticket on an asset on `day`: the warranty state (in whenever a
/// service contract covers the asset that day, whatever its warranty date) and the SLA tier
/// (the contract's when it grants one, else the customer's). `contract`: the covering
/// contract's tier, if a contract covers the asset.
pub fn at_intake(
    until: Option<NaiveDate>,
    day: NaiveDate,
    contract: Option<Option<&str>>,
    customer_tier: Option<&str>,
) -> (Option<Warranty>, Option<String>) {
    match contract {
        Some(tier) => (
            Some(Warranty::In),
            tier.or(customer_tier).map(str::to_owned),
        ),
        None => (warranty_on(until, day), customer_tier.map(str::to_owned)),
    }
}

/// True when a repair on an asset in this warranty state is charged to the customer.
pub fn chargeable(warranty: Option<Warranty>) -> bool {
    warranty == Some(Warranty::Out)
}

/// The warranty end an asset gets: the one given; else its installation date plus its
/// model's default warranty months; else none.
pub fn default_warranty(
    given: Option<NaiveDate>,
    installed_on: Option<NaiveDate>,
    model_months: Option<i64>,
) -> Option<NaiveDate> {
    given.or_else(|| {
        let months = u32::try_from(model_months?).ok()?;
        installed_on?.checked_add_months(Months::new(months))
    })
}

/// A product model to add to the catalogue.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewModel {
    /// Model code, unique (what assets name in `model`).
    pub code: String,
    /// Name.
    pub name: String,
    /// Product line (e.g. 商用冷柜).
    #[serde(default)]
    pub product_line: Option<String>,
    /// Default warranty from installation, in months.
    #[serde(default)]
    pub warranty_months: Option<i64>,
    /// The skill a repair needs.
    #[serde(default)]
    pub skill: Option<String>,
    /// Its minimum level (1–5).
    #[serde(default)]
    pub skill_level: Option<i64>,
    /// The default checklist for repairs and maintenance.
    #[serde(default)]
    pub checklist: Vec<String>,
}

/// Checks a model: code and name required, warranty 0–240 months, skill level 1–5 (with a
/// skill), at most 50 checklist items of up to 200 characters.
pub fn model(m: &NewModel) -> Result<NewModel, FieldError> {
    let code = validate::required_text("code", &m.code, 64)?;
    let name = validate::required_text("name", &m.name, validate::MAX_NAME)?;
    if m.warranty_months.is_some_and(|w| !(0..=240).contains(&w)) {
        return fail("warranty_months", "error.invalid_number");
    }
    let skill = validate::optional_text("skill", m.skill.as_deref(), 64)?;
    match (&skill, m.skill_level) {
        (None, Some(_)) => return fail("skill", "error.required"),
        (_, Some(l)) if !(1..=5).contains(&l) => {
            return fail("skill_level", "error.invalid_number")
        }
        _ => {}
    }
    if m.checklist.len() > 50 {
        return fail("checklist", "error.too_many_lines");
    }
    let checklist = m
        .checklist
        .iter()
        .map(|c| validate::required_text("checklist", c, validate::MAX_NAME))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NewModel {
        code,
        name,
        product_line: validate::optional_text("product_line", m.product_line.as_deref(), 100)?,
        warranty_months: m.warranty_months,
        skill_level: skill.as_ref().map(|_| m.skill_level.unwrap_or(1)),
        skill,
        checklist,
    })
}

/// The columns of an asset table (import and export); any other column is a free field.
pub const COLUMNS: [&str; 8] = [
    "customer_id",
    "site_id",
    "model",
    "serial",
    "installed_on",
    "warranty_until",
    "status",
    "meter",
];

/// Most rows in one import.
pub const MAX_IMPORT_ROWS: usize = 50_000;

/// One row of an asset import, read by its header: the known columns, empty cells as
/// absent, every other non-empty column a free field (text).
pub fn import_row(
    header: &[String],
    cells: &[String],
) -> Result<(crate::customer::NewAsset, Option<AssetStatus>), FieldError> {
    let mut a = crate::customer::NewAsset::default();
    let mut status = None;
    let mut fields = serde_json::Map::new();
    let mut seen = (false, false);
    for (h, v) in header.iter().zip(cells) {
        let (h, v) = (h.trim(), v.trim());
        if v.is_empty() {
            continue;
        }
        match h {
            "customer_id" => {
                a.customer_id = crate::CustomerId::parse(v).ok_or(FieldError {
                    field: "customer_id",
                    reason: "error.invalid_value",
                })?;
                seen.0 = true;
            }
            "site_id" => {
                a.site_id = crate::SiteId::parse(v).ok_or(FieldError {
                    field: "site_id",
                    reason: "error.invalid_value",
                })?;
                seen.1 = true;
            }
            "model" => a.model = v.to_owned(),
            "serial" => a.serial = v.to_owned(),
            "installed_on" => a.installed_on = Some(v.to_owned()),
            "warranty_until" => a.warranty_until = Some(v.to_owned()),
            "status" => {
                status = Some(AssetStatus::parse(v).ok_or(FieldError {
                    field: "status",
                    reason: "error.invalid_value",
                })?);
            }
            // The meter is read, not imported: an exported table imports again as it is.
            "meter" => {}
            "" => {}
            other => {
                fields.insert(other.to_owned(), serde_json::Value::String(v.to_owned()));
            }
        }
    }
    if !seen.0 {
        return fail("customer_id", "error.required");
    }
    if !seen.1 {
        return fail("site_id", "error.required");
    }
    if !fields.is_empty() {
        a.fields = Some(serde_json::Value::Object(fields));
    }
    Ok((a, status))
}

/// Checks a meter reading against the last one: a whole number, never lower than before
/// (a meter that was replaced starts a new asset record, not a lower reading).
pub fn reading(value: i64, last: Option<i64>) -> Result<i64, FieldError> {
    if value < 0 {
        return fail("value", "error.invalid_number");
    }
    if last.is_some_and(|l| value < l) {
        return fail("value", "error.meter_backwards");
    }
    Ok(value)
}

/// A change to an asset from its card: what is `None` stays as it is; `installed_on` and
/// `warranty_until` as `Some(None)` are cleared. A move names the new `site_id`, and the
/// new `customer_id` too when the asset changes hands.
#[derive(Clone, Debug, Default)]
pub struct AssetEdit {
    /// The new owner (with a site of theirs).
    pub customer_id: Option<crate::CustomerId>,
    /// The new site.
    pub site_id: Option<crate::SiteId>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Installed on (YYYY-MM-DD), or cleared.
    pub installed_on: Option<Option<String>>,
    /// Warranty until (YYYY-MM-DD), or cleared.
    pub warranty_until: Option<Option<String>>,
    /// Why it moved (kept with the move).
    pub note: Option<String>,
}

/// The asset as it will be after `edit`, before the store checks the site is the customer's:
/// a change of owner must name the new owner's site (the old site is not theirs), and a
/// move's note is at most 500 characters.
pub fn edited(
    current: &crate::customer::NewAsset,
    edit: &AssetEdit,
) -> Result<(crate::customer::NewAsset, Option<String>), FieldError> {
    let mut next = current.clone();
    if let Some(c) = edit.customer_id {
        if c != current.customer_id && edit.site_id.is_none() {
            return fail("site_id", "error.required");
        }
        next.customer_id = c;
    }
    if let Some(s) = edit.site_id {
        next.site_id = s;
    }
    if let Some(m) = &edit.model {
        next.model.clone_from(m);
    }
    if let Some(s) = &edit.serial {
        next.serial.clone_from(s);
    }
    if let Some(d) = &edit.installed_on {
        next.installed_on.clone_from(d);
    }
    if let Some(d) = &edit.warranty_until {
        next.warranty_until.clone_from(d);
    }
    let note = validate::optional_text("note", edit.note.as_deref(), 500)?;
    Ok((next, note))
}

#[cfg(test)]
#[path = "asset_tests.rs"]
mod tests;
