//! Service contracts (维保合同) and preventive maintenance: what a contract covers and when,
//! when a plan's visits fall due, which are generated now, and PM compliance.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::validate::{self, FieldError};
use crate::{AssetId, CustomerId};

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

/// A service contract to create.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewContract {
    /// The customer.
    pub customer_id: CustomerId,
    /// Contract number or name (unique).
    pub name: String,
    /// First day covered (YYYY-MM-DD).
    pub starts_on: NaiveDate,
    /// Last day covered (YYYY-MM-DD).
    pub ends_on: NaiveDate,
    /// The SLA tier its tickets get (e.g. `vip`); the customer's own when none.
    #[serde(default)]
    pub sla_tier: Option<String>,
    /// The customer's assets it covers.
    #[serde(default)]
    pub asset_ids: Vec<AssetId>,
}

/// Checks a contract: a name, an end not before its start, at most 10 years, a tier code.
pub fn contract(c: &NewContract) -> Result<NewContract, FieldError> {
    let name = validate::required_text("name", &c.name, validate::MAX_NAME)?;
    if c.ends_on < c.starts_on {
        return fail("ends_on", "error.ends_before_start");
    }
    if c.ends_on - c.starts_on > Duration::days(3660) {
        return fail("ends_on", "error.invalid_value");
    }
    let mut assets = c.asset_ids.clone();
    assets.sort();
    assets.dedup();
    Ok(NewContract {
        name,
        sla_tier: validate::optional_text("sla_tier", c.sla_tier.as_deref(), 32)?,
        asset_ids: assets,
        ..c.clone()
    })
}

/// True when a contract valid from `starts_on` to `ends_on` (both included) covers `day`.
pub fn covers(starts_on: NaiveDate, ends_on: NaiveDate, day: NaiveDate) -> bool {
    starts_on <= day && day <= ends_on
}

/// A maintenance plan to create: for one asset, or for every asset of a model that a
/// contract covers; every N days or every N meter units.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    /// Name (e.g. 季度保养).
    pub name: String,
    /// One asset.
    #[serde(default)]
    pub asset_id: Option<AssetId>,
    /// Or a contract, with `model`: each asset of that model it covers.
    #[serde(default)]
    pub contract_id: Option<crate::ContractId>,
    /// The model, with `contract_id`.
    #[serde(default)]
    pub model: Option<String>,
    /// Every N days from `starts_on` …
    #[serde(default)]
    pub every_days: Option<i64>,
    /// … or every N meter units.
    #[serde(default)]
    pub every_meter: Option<i64>,
    /// The first due date (calendar plans).
    #[serde(default)]
    pub starts_on: Option<NaiveDate>,
    /// Work orders are made this many days before they fall due (default 14).
    #[serde(default)]
    pub lead_days: Option<i64>,
    /// Priority of the work orders (default 3).
    #[serde(default)]
    pub priority: Option<i64>,
}

/// What a plan's schedule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Due on `starts_on` and every `every` days after.
    Days {
        /// First due date.
        starts_on: NaiveDate,
        /// Days between visits.
        every: i64,
    },
    /// Due each time the meter passes another `every` units.
    Meter {
        /// Units between visits.
        every: i64,
    },
}

/// A checked plan.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidPlan {
    /// Name.
    pub name: String,
    /// Its schedule.
    pub schedule: Schedule,
    /// Days ahead.
    pub lead_days: i64,
    /// Priority.
    pub priority: i64,
}

/// Checks a plan: a name; an asset, or a contract with a model (not both); either every 1 to
/// 3650 days from a first due date, or every 1 or more meter units; lead 0–365 days.
pub fn plan(p: &NewPlan) -> Result<ValidPlan, FieldError> {
    let name = validate::required_text("name", &p.name, validate::MAX_NAME)?;
    match (p.asset_id, p.contract_id, p.model.as_deref().map(str::trim)) {
        (Some(_), None, None) => {}
        (None, Some(_), Some(m)) if !m.is_empty() => {}
        (None, Some(_), _) => return fail("model", "error.required"),
        (None, None, _) => return fail("asset_id", "error.required"),
        (Some(_), ..) => return fail("contract_id", "error.asset_or_contract"),
    }
    let schedule = match (p.every_days, p.every_meter) {
        (Some(d), None) => {
            if !(1..=3650).contains(&d) {
                return fail("every_days", "error.invalid_number");
            }
            let Some(starts_on) = p.starts_on else {
                return fail("starts_on", "error.required");
            };
            Schedule::Days {
                starts_on,
                every: d,
            }
        }
        (None, Some(m)) => {
            if m < 1 {
                return fail("every_meter", "error.invalid_number");
            }
            Schedule::Meter { every: m }
        }
        (Some(_), Some(_)) => return fail("every_meter", "error.days_or_meter"),
        (None, None) => return fail("every_days", "error.required"),
    };
    let lead_days = p.lead_days.unwrap_or(14);
    if !(0..=365).contains(&lead_days) {
        return fail("lead_days", "error.invalid_number");
    }
    let priority = validate::priority(p.priority.unwrap_or(3))?;
    Ok(ValidPlan {
        name,
        schedule,
        lead_days,
        priority: i64::from(priority),
    })
}

/// The due dates of a calendar plan whose work orders are made now (`today`): from the
/// first due date on or after `from` (when the plan, or its coverage, began) up to `today`
/// plus the lead, and within `until` (a contract's end) when given. At most `max` of them.
pub fn due_dates(
    starts_on: NaiveDate,
    every: i64,
    from: NaiveDate,
    today: NaiveDate,
    lead_days: i64,
    until: Option<NaiveDate>,
    max: usize,
) -> Vec<NaiveDate> {
    let horizon = today + Duration::days(lead_days);
    let horizon = until.map_or(horizon, |u| horizon.min(u));
    let mut k = if from > starts_on {
        ((from - starts_on).num_days() + every - 1) / every
    } else {
        0
    };
    let mut out = Vec::new();
    while out.len() < max {
        let Some(due) = starts_on.checked_add_signed(Duration::days(k * every)) else {
            break;
        };
        if due > horizon {
            break;
        }
        out.push(due);
        k += 1;
    }
    out
}

/// The meter thresholds a meter plan is due at, now that the meter reads `meter`: every
/// multiple of `every` above `baseline` (the meter when the plan began) up to the reading,
/// at most `max` (the oldest first).
pub fn meter_thresholds(baseline: i64, every: i64, meter: i64, max: usize) -> Vec<i64> {
    if every < 1 || meter < baseline + every {
        return Vec::new();
    }
    let count = usize::try_from((meter - baseline) / every).unwrap_or(0);
    (1..=count.min(max))
        .map(|k| baseline + every * i64::try_from(k).unwrap_or(0))
        .collect()
}

/// A due visit's key, unique per plan and asset: the date, or the meter threshold.
pub fn due_key(date: Option<NaiveDate>, threshold: Option<i64>) -> String {
    match (date, threshold) {
        (Some(d), _) => d.to_string(),
        (None, Some(t)) => format!("meter:{t}"),
        (None, None) => String::new(),
    }
}

/// PM compliance over visits that fell due in a period: `(due on, resolved on)` each (the
/// local dates); a visit counts as done on time when resolved by its due date. Answers (due,
/// done on time).
pub fn compliance(visits: &[(NaiveDate, Option<NaiveDate>)]) -> (usize, usize) {
    let on_time = visits
        .iter()
        .filter(|(due, done)| done.is_some_and(|d| d <= *due))
        .count();
    (visits.len(), on_time)
}

#[cfg(test)]
#[path = "maintenance_tests.rs"]
mod tests;
