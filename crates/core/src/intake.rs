//! Intake rules: what a new request is about, decided from what the caller said and what is
//! known. The store gathers the facts and asks here.

use serde_json::{json, Value};

use chrono::NaiveDate;

use crate::ticket::Actor;
use crate::validate::{self, FieldError};
use crate::{AssetId, ContactId, CustomerId, RegionId, Role, SiteId};

/// Largest `fields` object of a request, serialised.
pub const MAX_FIELDS_BYTES: usize = 16 * 1024;

/// The category-specific fields of a request: a JSON object of at most
/// [`MAX_FIELDS_BYTES`] that holds every field its category requires, each present, not null
/// and not empty. Absent fields are an empty object (when the category requires none).
pub fn request_fields(fields: Option<Value>, required: &[String]) -> Result<Value, FieldError> {
    let fail = |reason| {
        Err(FieldError {
            field: "fields",
            reason,
        })
    };
    let fields = match fields {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v,
        Some(_) => return fail("error.invalid_value"),
    };
    if fields.to_string().len() > MAX_FIELDS_BYTES {
        return fail("error.too_long");
    }
    let missing = required.iter().any(|key| {
        !fields
            .get(key)
            .is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
    });
    if missing {
        return fail("error.required");
    }
    Ok(fields)
}

/// A request category to create: what the request form asks for it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// Code (`a-z`, digits, `_`, `-`), what tickets carry in `category`.
    pub code: String,
    /// Name shown.
    pub name: String,
    /// The fields a request of this category must fill in (e.g. 设备型号, 故障现象).
    #[serde(default)]
    pub required_fields: Vec<String>,
    /// Every report on it goes to supervisor review.
    #[serde(default)]
    pub requires_review: bool,
}

/// Checks a category: a code of up to 64 of `a-z 0-9 _ -`, a name, at most 20 distinct
/// required fields of up to 64 characters.
pub fn category(c: &NewCategory) -> Result<NewCategory, FieldError> {
    let code = validate::required_text("code", &c.code, 64)?;
    if !code
        .chars()
        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || ch == '-')
    {
        return Err(FieldError {
            field: "code",
            reason: "error.invalid_value",
        });
    }
    let name = validate::required_text("name", &c.name, validate::MAX_NAME)?;
    if c.required_fields.len() > 20 {
        return Err(FieldError {
            field: "required_fields",
            reason: "error.too_many_lines",
        });
    }
    let mut fields: Vec<String> = Vec::new();
    for f in &c.required_fields {
        let f = validate::required_text("required_fields", f, 64)?;
        if fields.contains(&f) {
            return Err(FieldError {
                field: "required_fields",
                reason: "error.duplicate",
            });
        }
        fields.push(f);
    }
    Ok(NewCategory {
        code,
        name,
        required_fields: fields,
        requires_review: c.requires_review,
    })
}

/// The customer a new request belongs to: a customer contact's own, whatever the body says;
/// for staff, the one they named.
pub fn customer_of_request(actor: &Actor, named: Option<CustomerId>) -> Option<CustomerId> {
    match actor {
        Actor::User {
            roles, customer_id, ..
        } if roles.has(Role::Customer) => *customer_id,
        _ => named,
    }
}

/// The site of a new request: the one named (or the asset's), else the customer's only site.
/// A customer with several sites must say which; the request is then recorded without one.
pub fn site_of_request(named: Option<SiteId>, customer_sites: &[SiteId]) -> Option<SiteId> {
    match (named, customer_sites) {
        (Some(site), _) => Some(site),
        (None, [only]) => Some(*only),
        (None, _) => None,
    }
}

/// What a request says it is about.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Named {
    /// The customer (a customer contact's own: see [`customer_of_request`]).
    pub customer: Option<CustomerId>,
    /// The site.
    pub site: Option<SiteId>,
    /// The asset.
    pub asset: Option<AssetId>,
}

/// An asset as intake knows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KnownAsset {
    /// Whose it is.
    pub customer: CustomerId,
    /// Where it stands.
    pub site: SiteId,
    /// Its warranty's last day.
    pub warranty_until: Option<NaiveDate>,
}

/// A contact whose phone is the caller's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KnownContact {
    /// The contact.
    pub id: ContactId,
    /// Their customer.
    pub customer: CustomerId,
}

/// Who and what a request is about once the asset and the caller are known: the first step
/// of intake.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Parties {
    /// The customer.
    pub customer: Option<CustomerId>,
    /// The caller, when their phone is a contact's.
    pub contact: Option<ContactId>,
    /// The site.
    pub site: Option<SiteId>,
    /// The asset's warranty's last day.
    pub warranty_until: Option<NaiveDate>,
}

fn unknown(field: &'static str) -> FieldError {
    FieldError {
        field,
        reason: "error.unknown_id",
    }
}

/// The parties of a request: an asset settles its customer and site, and must agree with
/// any the request names (else it is not one of theirs: `asset_id` unknown); a caller whose
/// phone is a contact's (`contacts`: those with the phone, oldest first, of the customer when
/// one is known) makes that contact's customer the request's.
pub fn parties(
    named: Named,
    asset: Option<KnownAsset>,
    contacts: &[KnownContact],
) -> Result<Parties, FieldError> {
    let mut p = Parties {
        customer: named.customer,
        site: named.site,
        ..Parties::default()
    };
    if named.asset.is_some() {
        let a = asset.ok_or_else(|| unknown("asset_id"))?;
        if named.customer.is_some_and(|c| c != a.customer)
            || named.site.is_some_and(|s| s != a.site)
        {
            return Err(unknown("asset_id"));
        }
        p.customer = Some(a.customer);
        p.site = Some(a.site);
        p.warranty_until = a.warranty_until;
    }
    if let Some(c) = contacts
        .iter()
        .find(|c| p.customer.is_none_or(|known| known == c.customer))
    {
        p.contact = Some(c.id);
        p.customer = Some(c.customer);
    }
    Ok(p)
}

/// A customer as intake knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct KnownCustomer {
    /// Its region.
    pub region: Option<RegionId>,
    /// Its tier.
    pub tier: String,
}

/// A site as intake knows it, with its customer's tier.
#[derive(Clone, Debug, PartialEq)]
pub struct KnownSite {
    /// Whose it is.
    pub customer: CustomerId,
    /// Its region.
    pub region: Option<RegionId>,
    /// Its customer's tier.
    pub tier: String,
}

/// Where a request is, and under which terms: the second step of intake.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Placed {
    /// The customer.
    pub customer: Option<CustomerId>,
    /// The site.
    pub site: Option<SiteId>,
    /// The region (the site's, else the customer's).
    pub region: Option<RegionId>,
    /// The customer's tier, for the SLA policy.
    pub tier: Option<String>,
}

/// Places a request: the customer must exist (`customer_id` unknown otherwise) and gives the
/// region and tier; the site is the one named or the asset's, else the customer's only one
/// (`customer_sites`); a site must exist and be the customer's (`site_id` unknown otherwise),
/// and its region, when it has one, is the request's.
pub fn place(
    parties: &Parties,
    customer: Option<&KnownCustomer>,
    customer_sites: &[SiteId],
    site: Option<&KnownSite>,
) -> Result<Placed, FieldError> {
    let mut placed = Placed {
        customer: parties.customer,
        ..Placed::default()
    };
    if parties.customer.is_some() {
        let c = customer.ok_or_else(|| unknown("customer_id"))?;
        placed.region = c.region;
        placed.tier = Some(c.tier.clone());
    }
    placed.site = match parties.customer {
        Some(_) => site_of_request(parties.site, customer_sites),
        None => parties.site,
    };
    if placed.site.is_some() {
        let s = site.ok_or_else(|| unknown("site_id"))?;
        if parties.customer.is_some_and(|c| c != s.customer) {
            return Err(unknown("site_id"));
        }
        placed.customer = Some(s.customer);
        placed.tier = Some(s.tier.clone());
        if let Some(r) = s.region {
            placed.region = Some(r);
        }
    }
    Ok(placed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserId;

    #[test]
    fn a_customer_contact_always_files_for_their_own_customer() {
        let own = CustomerId::new();
        let other = CustomerId::new();
        let contact = Actor::User {
            id: UserId::new(),
            roles: [Role::Customer].into_iter().collect(),
            customer_id: Some(own),
            region_id: None,
        };
        assert_eq!(customer_of_request(&contact, Some(other)), Some(own));
        let agent = Actor::User {
            id: UserId::new(),
            roles: [Role::Agent].into_iter().collect(),
            customer_id: None,
            region_id: None,
        };
        assert_eq!(customer_of_request(&agent, Some(other)), Some(other));
        assert_eq!(customer_of_request(&agent, None), None);
    }

    #[test]
    fn fields_are_an_object_of_bounded_size_holding_what_the_category_requires() {
        let required = vec!["model".to_owned(), "symptom".to_owned()];
        let ok = json!({ "model": "KFR-72LW", "symptom": "不制冷", "extra": 1 });
        assert_eq!(request_fields(Some(ok.clone()), &required), Ok(ok));
        assert_eq!(request_fields(None, &[]), Ok(json!({})));
        let reason = |f, r: &[String]| request_fields(f, r).unwrap_err().reason;
        assert_eq!(
            reason(Some(json!({ "model": "x", "symptom": "" })), &required),
            "error.required"
        );
        assert_eq!(
            reason(Some(json!({ "model": "x", "symptom": null })), &required),
            "error.required"
        );
        assert_eq!(reason(None, &required), "error.required");
        assert_eq!(reason(Some(json!([1, 2])), &[]), "error.invalid_value");
        assert_eq!(
            reason(Some(json!({ "note": "长".repeat(6000) })), &[]),
            "error.too_long"
        );
    }

    fn reason<T: std::fmt::Debug>(r: Result<T, FieldError>) -> (&'static str, &'static str) {
        let e = r.unwrap_err();
        (e.field, e.reason)
    }

    #[test]
    fn an_asset_settles_customer_and_site_and_must_agree_with_what_is_named() {
        let (cust, other) = (CustomerId::new(), CustomerId::new());
        let (site, elsewhere) = (SiteId::new(), SiteId::new());
        let asset = KnownAsset {
            customer: cust,
            site,
            warranty_until: None,
        };
        let named = Named {
            asset: Some(AssetId::new()),
            ..Named::default()
        };
        let p = parties(named, Some(asset), &[]).unwrap();
        assert_eq!((p.customer, p.site), (Some(cust), Some(site)));
        let theirs = Named {
            customer: Some(other),
            ..named
        };
        assert_eq!(
            reason(parties(theirs, Some(asset), &[])),
            ("asset_id", "error.unknown_id")
        );
        let misplaced = Named {
            site: Some(elsewhere),
            ..named
        };
        assert_eq!(
            reason(parties(misplaced, Some(asset), &[])),
            ("asset_id", "error.unknown_id")
        );
        assert_eq!(
            reason(parties(named, None, &[])),
            ("asset_id", "error.unknown_id")
        );
    }

    #[test]
    fn the_callers_phone_finds_their_contact_of_the_known_customer_first() {
        let (a, b) = (CustomerId::new(), CustomerId::new());
        let older = KnownContact {
            id: ContactId::new(),
            customer: a,
        };
        let newer = KnownContact {
            id: ContactId::new(),
            customer: b,
        };
        let p = parties(Named::default(), None, &[older, newer]).unwrap();
        assert_eq!((p.contact, p.customer), (Some(older.id), Some(a)));
        let of_b = Named {
            customer: Some(b),
            ..Named::default()
        };
        let p = parties(of_b, None, &[older, newer]).unwrap();
        assert_eq!((p.contact, p.customer), (Some(newer.id), Some(b)));
    }

    #[test]
    fn a_site_must_be_the_customers_and_its_region_wins() {
        let cust = CustomerId::new();
        let site = SiteId::new();
        let (north, south) = (RegionId::new(), RegionId::new());
        let customer = KnownCustomer {
            region: Some(north),
            tier: "standard".into(),
        };
        let theirs = KnownSite {
            customer: cust,
            region: Some(south),
            tier: "standard".into(),
        };
        let p = Parties {
            customer: Some(cust),
            ..Parties::default()
        };
        // The only site is taken, with its region.
        let placed = place(&p, Some(&customer), &[site], Some(&theirs)).unwrap();
        assert_eq!((placed.site, placed.region), (Some(site), Some(south)));
        // No site when there are several to choose from.
        let placed = place(&p, Some(&customer), &[site, SiteId::new()], None).unwrap();
        assert_eq!((placed.site, placed.region), (None, Some(north)));
        // Someone else's site, or an unknown customer, is refused.
        let named_site = Parties {
            site: Some(site),
            ..p
        };
        let strangers = KnownSite {
            customer: CustomerId::new(),
            ..theirs.clone()
        };
        assert_eq!(
            reason(place(&named_site, Some(&customer), &[], Some(&strangers))),
            ("site_id", "error.unknown_id")
        );
        assert_eq!(
            reason(place(&named_site, None, &[], Some(&theirs))),
            ("customer_id", "error.unknown_id")
        );
        assert_eq!(
            reason(place(&named_site, Some(&customer), &[], None)),
            ("site_id", "error.unknown_id")
        );
        // A site named without a customer makes its owner the customer.
        let only_site = Parties {
            site: Some(site),
            ..Parties::default()
        };
        let placed = place(&only_site, None, &[], Some(&theirs)).unwrap();
        assert_eq!(placed.customer, Some(cust));
    }

    #[test]
    fn only_a_single_site_is_chosen_without_asking() {
        let (a, b) = (SiteId::new(), SiteId::new());
        assert_eq!(site_of_request(Some(b), &[a]), Some(b));
        assert_eq!(site_of_request(None, &[a]), Some(a));
        assert_eq!(site_of_request(None, &[a, b]), None);
        assert_eq!(site_of_request(None, &[]), None);
    }
}
