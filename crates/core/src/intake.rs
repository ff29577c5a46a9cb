//! Intake rules: what a new request is about, decided from what the caller said and what is
//! known. The store gathers the facts and asks here.

use serde_json::{json, Value};

use crate::ticket::Actor;
use crate::validate::{self, FieldError};
use crate::{CustomerId, Role, SiteId};

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

    #[test]
    fn only_a_single_site_is_chosen_without_asking() {
        let (a, b) = (SiteId::new(), SiteId::new());
        assert_eq!(site_of_request(Some(b), &[a]), Some(b));
        assert_eq!(site_of_request(None, &[a]), Some(a));
        assert_eq!(site_of_request(None, &[a, b]), None);
        assert_eq!(site_of_request(None, &[]), None);
    }
}
