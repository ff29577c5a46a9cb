//! What a customer, a contact, a site and an asset must look like on the way in: the
//! defaults and the checks, once, for every way they arrive (API, import, demo).

use chrono::NaiveDate;

use crate::followup::{self, Channel};
use crate::i18n::Lang;
use crate::validate::{self, FieldError};
use crate::{CustomerId, RegionId, SiteId};

/// A site's geofence radius when none is given, in metres.
pub const DEFAULT_GEOFENCE_M: f64 = 500.0;

/// A customer to create, with contacts and sites.
#[derive(Clone, Debug, Default)]
pub struct NewCustomer {
    /// Name.
    pub name: String,
    /// `company` (default) or `person`.
    pub kind: Option<String>,
    /// `standard` (default), `vip` or another tier code.
    pub tier: Option<String>,
    /// Region.
    pub region_id: Option<RegionId>,
    /// Tags (checked by [`tags`]).
    pub tags: Vec<String>,
    /// Contacts.
    pub contacts: Vec<NewContact>,
    /// Sites.
    pub sites: Vec<NewSite>,
}

/// A contact to create.
#[derive(Clone, Debug, Default)]
pub struct NewContact {
    /// Name.
    pub name: String,
    /// Phone (normalised on the way in).
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// WeChat id.
    pub wechat_id: Option<String>,
    /// How they want to hear from us: `email` (default), `sms`, `wechat` or `none`.
    pub notify_channel: Option<String>,
    /// The language of what we send them (`zh-CN`, the default, or `en`).
    pub lang: Option<String>,
}

/// A site to create.
#[derive(Clone, Debug, Default)]
pub struct NewSite {
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Region (defaults to the customer's).
    pub region_id: Option<RegionId>,
    /// Geofence radius in metres (default 500).
    pub geofence_m: Option<f64>,
}

/// An asset to create.
#[derive(Clone, Debug, Default)]
pub struct NewAsset {
    /// Customer.
    pub customer_id: CustomerId,
    /// Site (must belong to the customer).
    pub site_id: SiteId,
    /// Model.
    pub model: String,
    /// Serial number (unique in the tenant).
    pub serial: String,
    /// Installed on (YYYY-MM-DD).
    pub installed_on: Option<String>,
    /// Warranty until (YYYY-MM-DD); from the model's default when not given.
    pub warranty_until: Option<String>,
    /// Free fields (an object of short texts and numbers).
    pub fields: Option<serde_json::Value>,
}

/// Checks an asset's free fields: an object of at most 30 entries, each a number, a boolean
/// or a text of up to 500 characters, under a name of up to 64.
pub fn asset_fields(fields: Option<&serde_json::Value>) -> Result<serde_json::Value, FieldError> {
    let Some(v) = fields else {
        return Ok(serde_json::json!({}));
    };
    let Some(map) = v.as_object() else {
        return fail("fields", "error.invalid_value");
    };
    if map.len() > 30 {
        return fail("fields", "error.too_many_lines");
    }
    for (k, v) in map {
        let ok = k.chars().count() <= 64
            && !k.trim().is_empty()
            && match v {
                serde_json::Value::String(s) => s.chars().count() <= 500,
                serde_json::Value::Number(_) | serde_json::Value::Bool(_) => true,
                _ => false,
            };
        if !ok {
            return fail("fields", "error.invalid_value");
        }
    }
    Ok(v.clone())
}

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

/// A customer's kind: `company` (the default) or `person`.
pub fn kind(kind: Option<&str>) -> Result<&'static str, FieldError> {
    match kind.unwrap_or("company") {
        "company" => Ok("company"),
        "person" => Ok("person"),
        _ => fail("kind", "error.invalid_value"),
    }
}

/// A customer's tier code: `standard` when none is given.
pub fn tier(tier: Option<&str>) -> Result<String, FieldError> {
    Ok(validate::optional_text("tier", tier, 32)?.unwrap_or_else(|| "standard".into()))
}

/// A change to a customer's own fields (contacts and sites change on their own). `None`
/// leaves a field as it is; `region_id: Some(None)` clears the region.
#[derive(Clone, Debug, Default)]
pub struct CustomerEdit {
    /// Name.
    pub name: Option<String>,
    /// `company` or `person`.
    pub kind: Option<String>,
    /// Tier code.
    pub tier: Option<String>,
    /// Region, or none.
    pub region_id: Option<Option<RegionId>>,
    /// Tags, the whole list.
    pub tags: Option<Vec<String>>,
}

/// The most tags a customer carries.
pub const MAX_TAGS: usize = 20;

/// A customer's tags: each trimmed, non-empty, at most 32 characters, without commas; no
/// more than [`MAX_TAGS`]; duplicates dropped, the first spelling kept, order kept.
pub fn tags(list: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for raw in list {
        let tag = raw.trim();
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > 32
            || tag.contains([',', '，'])
            || tag.chars().any(char::is_control)
        {
            return fail("tags", "error.invalid_value");
        }
        if !out.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            out.push(tag.to_owned());
        }
    }
    if out.len() > MAX_TAGS {
        return fail("tags", "error.too_many_lines");
    }
    Ok(out)
}

/// What merging a duplicate customer into a survivor keeps: the survivor's own name, kind
/// and tier; its region, or the duplicate's when it has none; the tags of both (the
/// survivor's first, a tag only once, at most [`MAX_TAGS`]). A customer cannot be merged
/// into itself.
pub fn merged(
    survivor: (CustomerId, Option<RegionId>, &[String]),
    duplicate: (CustomerId, Option<RegionId>, &[String]),
) -> Result<(Option<RegionId>, Vec<String>), FieldError> {
    if survivor.0 == duplicate.0 {
        return fail("duplicate_id", "error.merge_same_customer");
    }
    let mut tags: Vec<String> = Vec::new();
    for tag in survivor.2.iter().chain(duplicate.2) {
        if tags.len() < MAX_TAGS && !tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            tags.push(tag.clone());
        }
    }
    Ok((survivor.1.or(duplicate.1), tags))
}

/// Tags typed into one box, separated by commas (Latin or Chinese) or 、.
pub fn split_tags(text: &str) -> Vec<String> {
    validate::split_list(text)
}

/// An optional calendar date `YYYY-MM-DD`, normalised.
pub fn date(field: &'static str, text: Option<&str>) -> Result<Option<String>, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(|d| Some(d.to_string()))
            .or_else(|_| fail(field, "error.invalid_value")),
    }
}

/// A contact, checked and normalised (the phone in its one spelling).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidContact {
    /// Name.
    pub name: String,
    /// Phone, normalised.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// WeChat id.
    pub wechat_id: Option<String>,
    /// Preferred channel.
    pub channel: Channel,
    /// Language.
    pub lang: Lang,
}

/// Checks a contact.
pub fn contact(c: &NewContact) -> Result<ValidContact, FieldError> {
    let (channel, lang) = followup::contact_prefs(c.notify_channel.as_deref(), c.lang.as_deref())?;
    Ok(ValidContact {
        name: validate::required_text("contacts.name", &c.name, validate::MAX_NAME)?,
        phone: c
            .phone
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .map(|p| validate::phone("contacts.phone", p))
            .transpose()?,
        email: c
            .email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(|e| validate::email("contacts.email", e))
            .transpose()?,
        wechat_id: validate::optional_text("contacts.wechat_id", c.wechat_id.as_deref(), 64)?,
        channel,
        lang,
    })
}

/// Checks a site: name and address required, both coordinates or neither, a geofence of
/// 10 m to 50 km (500 m when not given); a site without a region of its own lies in its
/// customer's (`customer_region`).
pub fn site(s: &NewSite, customer_region: Option<RegionId>) -> Result<NewSite, FieldError> {
    let name = validate::required_text("sites.name", &s.name, validate::MAX_NAME)?;
    let address = validate::required_text("sites.address", &s.address, 500)?;
    match (s.lat, s.lon) {
        (Some(lat), Some(lon)) => validate::lat_lon(lat, lon).map_err(|e| FieldError {
            field: if e.field == "lat" {
                "sites.lat"
            } else {
                "sites.lon"
            },
            reason: e.reason,
        })?,
        (None, None) => {}
        _ => return fail("sites.lat", "error.required"),
    }
    let geofence_m = s.geofence_m.unwrap_or(DEFAULT_GEOFENCE_M);
    if !geofence_m.is_finite() || !(10.0..=50_000.0).contains(&geofence_m) {
        return fail("sites.geofence_m", "error.invalid_number");
    }
    Ok(NewSite {
        name,
        address,
        lat: s.lat,
        lon: s.lon,
        region_id: s.region_id.or(customer_region),
        geofence_m: Some(geofence_m),
    })
}

/// Whether a site may be removed from the customer's card: not while equipment stands there
/// (move it first, so its history stays whole) nor while a ticket there is still open (the
/// engineer is on the way). A removed site stays in the history of its closed tickets.
pub fn site_removal(assets_there: i64, open_tickets_there: i64) -> Result<(), FieldError> {
    if assets_there > 0 {
        return fail("site_id", "error.site_has_equipment");
    }
    if open_tickets_there > 0 {
        return fail("site_id", "error.site_has_open_tickets");
    }
    Ok(())
}

#[cfg(test)]
#[path = "customer_tests.rs"]
mod tests;
