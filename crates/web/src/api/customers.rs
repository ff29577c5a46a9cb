//! Customers, their contacts and sites; finding a caller by phone.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use loopdesk_core::access::{self, allowed, Permission};
use loopdesk_core::{ContactId, CustomerId, RegionId, SiteId};
use loopdesk_store::{Customer, CustomerDetail, NewContact, NewCustomer, NewSite};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// A contact.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// Name.
    pub name: String,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// WeChat id.
    #[serde(default)]
    pub wechat_id: Option<String>,
    /// How they want to hear from us: `email` (default), `sms`, `wechat` or `none`.
    #[serde(default)]
    pub notify_channel: Option<String>,
    /// The language of what we send them: `zh-CN` (default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
}

/// A site.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteBody {
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Latitude.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude.
    #[serde(default)]
    pub lon: Option<f64>,
    /// Region.
    #[serde(default)]
    pub region_id: Option<RegionId>,
    /// Geofence radius in metres (default 500).
    #[serde(default)]
    pub geofence_m: Option<f64>,
}

/// A customer to create, with contacts and sites.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomerBody {
    /// Name.
    pub name: String,
    /// `company` (default) or `person`.
    #[serde(default)]
    pub kind: Option<String>,
    /// `standard` (default), `vip`, …
    #[serde(default)]
    pub tier: Option<String>,
    /// Region.
    #[serde(default)]
    pub region_id: Option<RegionId>,
    /// Contacts.
    #[serde(default)]
    pub contacts: Vec<ContactBody>,
    /// Sites.
    #[serde(default)]
    pub sites: Vec<SiteBody>,
}

fn contact(b: ContactBody) -> NewContact {
    NewContact {
        name: b.name,
        phone: b.phone,
        email: b.email,
        wechat_id: b.wechat_id,
        notify_channel: b.notify_channel,
        lang: b.lang,
    }
}

fn site(b: SiteBody) -> NewSite {
    NewSite {
        name: b.name,
        address: b.address,
        lat: b.lat,
        lon: b.lon,
        region_id: b.region_id,
        geofence_m: b.geofence_m,
    }
}

fn require_write(user: &CurrentUser) -> Result<(), ApiError> {
    if allowed(&user.actor, Permission::WriteCustomers) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Creates a customer with contacts and sites.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = CreateCustomerBody,
    responses((status = 201, body = CustomerDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_customer(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<CreateCustomerBody>,
) -> Result<(StatusCode, Json<CustomerDetail>), ApiError> {
    require_write(&user)?;
    let b = body.value;
    let new = NewCustomer {
        name: b.name,
        kind: b.kind,
        tier: b.tier,
        region_id: b.region_id,
        contacts: b.contacts.into_iter().map(contact).collect(),
        sites: b.sites.into_iter().map(site).collect(),
    };
    let id = user.tenant.create_customer(new, state.clock.now()).await?;
    let detail = user.tenant.customer_detail(&user.actor, id).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// Search of the customer list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// A caller's phone number, in any spelling: finds the customers with a contact on it.
    pub phone: Option<String>,
    /// Part of the name.
    pub q: Option<String>,
}

/// Customers found.
#[derive(Serialize, ToSchema)]
pub struct CustomerList {
    /// Customers with their contacts.
    pub items: Vec<Customer>,
}

/// Finds customers by a contact's phone number (caller identification) or by name.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = CustomerList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_customers(
    user: CurrentUser,
    Query(q): Query<CustomerQuery>,
) -> Result<Json<CustomerList>, ApiError> {
    let only = access::customer_scope(&user.actor).ok_or_else(ApiError::forbidden)?;
    let items = match q.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(phone) => user.tenant.customers_by_phone(phone, only).await?,
        None => {
            user.tenant
                .customers_by_name(q.q.as_deref().unwrap_or(""), only)
                .await?
        }
    };
    Ok(Json(CustomerList { items }))
}

/// A customer with contacts, sites, assets and recent tickets.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = String, Path)),
    responses((status = 200, body = CustomerDetail), (status = 404, body = ErrorBody)))]
pub async fn get_customer(
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<CustomerDetail>, ApiError> {
    let id = path_id(&id, CustomerId::parse)?;
    Ok(Json(user.tenant.customer_detail(&user.actor, id).await?))
}

/// Adds a contact to a customer.
#[utoipa::path(post, path = "/api/v1/customers/{id}/contacts", tag = "customers", params(("id" = String, Path)),
    request_body = ContactBody, responses((status = 201, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_contact(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<ContactBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    require_write(&user)?;
    let id = path_id(&id, CustomerId::parse)?;
    let contact_id: ContactId = user
        .tenant
        .add_contact(id, contact(body.value), state.clock.now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": contact_id })),
    ))
}

/// Adds a site to a customer.
#[utoipa::path(post, path = "/api/v1/customers/{id}/sites", tag = "customers", params(("id" = String, Path)),
    request_body = SiteBody, responses((status = 201, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_site(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<SiteBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    require_write(&user)?;
    let id = path_id(&id, CustomerId::parse)?;
    let site_id: SiteId = user
        .tenant
        .add_site(id, site(body.value), state.clock.now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": site_id })),
    ))
}
