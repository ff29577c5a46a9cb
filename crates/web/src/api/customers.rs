//! Customers, their contacts and sites; finding a caller by phone.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use loopdesk_core::access::{self, allowed, Permission};
use loopdesk_core::{ContactId, CustomerId, RegionId, SiteId};
use loopdesk_store::{
    CustomerDetail, CustomerEdit, CustomerFilter, CustomerPage, NewContact, NewCustomer, NewSite,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{path_id, query_id, query_limit};
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
    /// Tags (at most 20, each up to 32 characters, no commas).
    #[serde(default)]
    pub tags: Vec<String>,
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
        tags: b.tags,
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
    /// Part of the name (or a contact's name or e-mail, or a phone number).
    pub q: Option<String>,
    /// Only this tier.
    pub tier: Option<String>,
    /// Only this region (its id).
    pub region_id: Option<String>,
    /// Only customers with this tag.
    pub tag: Option<String>,
    /// The page after this customer (the previous page's `next`).
    pub after: Option<String>,
    /// Rows per page, 1–200 (default 50).
    pub limit: Option<String>,
}

/// The customer list by name, a page at a time: searched by name, contact, e-mail or phone
/// number (`phone`: caller identification), filtered by tier, region and tag.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = CustomerPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_customers(
    user: CurrentUser,
    Query(q): Query<CustomerQuery>,
) -> Result<Json<CustomerPage>, ApiError> {
    if access::customer_scope(&user.actor).is_none() {
        return Err(ApiError::forbidden());
    }
    // A number in a spelling no phone has is refused, not answered with nobody.
    let phone = q
        .phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .map(|p| loopdesk_core::validate::phone("phone", p))
        .transpose()
        .map_err(|e| ApiError::invalid(e.field, e.reason))?;
    let limit = query_limit(q.limit.as_deref())?;
    let filter = CustomerFilter {
        q: phone.or(q.q).unwrap_or_default(),
        tier: q.tier,
        region_id: query_id("region_id", q.region_id.as_deref(), RegionId::parse)?,
        tag: q.tag,
        after: query_id("after", q.after.as_deref(), CustomerId::parse)?,
        limit,
    };
    Ok(Json(user.tenant.customer_page(&user.actor, &filter).await?))
}

/// A change to a customer's own fields; what is absent stays as it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditCustomerBody {
    /// The version last seen (optimistic locking): 409 when someone changed it meanwhile.
    pub version: i64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// `company` or `person`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Tier code.
    #[serde(default)]
    pub tier: Option<String>,
    /// Region; `null` clears it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub region_id: Option<Option<RegionId>>,
    /// Tags, the whole list.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// Changes a customer's name, kind, tier, region or tags.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = String, Path)),
    request_body = EditCustomerBody,
    responses((status = 200, body = CustomerDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_customer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<EditCustomerBody>,
) -> Result<Json<CustomerDetail>, ApiError> {
    require_write(&user)?;
    let id = path_id(&id, CustomerId::parse)?;
    let b = body.value;
    let edit = CustomerEdit {
        name: b.name,
        kind: b.kind,
        tier: b.tier,
        region_id: b.region_id,
        tags: b.tags,
    };
    user.tenant
        .edit_customer(id, b.version, edit, state.clock.now())
        .await?;
    Ok(Json(user.tenant.customer_detail(&user.actor, id).await?))
}

/// A duplicate to merge into this customer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeCustomerBody {
    /// This customer's version last seen (optimistic locking): 409 when it changed meanwhile.
    pub version: i64,
    /// The duplicate, which is removed once its contacts, sites, equipment, tickets,
    /// contracts and portal accounts have moved here.
    #[schema(value_type = String)]
    pub duplicate_id: CustomerId,
}

/// Merges a duplicate customer into this one; the duplicate's old id is kept as a pointer
/// here (its card page leads to this one).
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers", params(("id" = String, Path)),
    request_body = MergeCustomerBody,
    responses((status = 200, body = CustomerDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge_customer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<MergeCustomerBody>,
) -> Result<Json<CustomerDetail>, ApiError> {
    let id = path_id(&id, CustomerId::parse)?;
    let b = body.value;
    user.tenant
        .merge_customers(
            &user.actor,
            id,
            b.version,
            b.duplicate_id,
            state.clock.now(),
        )
        .await?;
    Ok(Json(user.tenant.customer_detail(&user.actor, id).await?))
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

/// Replaces a contact's details, checked as a new contact is.
#[utoipa::path(put, path = "/api/v1/customers/{id}/contacts/{contact}", tag = "customers",
    params(("id" = String, Path), ("contact" = String, Path)), request_body = ContactBody,
    responses((status = 200, body = CustomerDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_contact(
    user: CurrentUser,
    Path((id, contact_id)): Path<(String, String)>,
    body: AppJson<ContactBody>,
) -> Result<Json<CustomerDetail>, ApiError> {
    require_write(&user)?;
    let id = path_id(&id, CustomerId::parse)?;
    let contact_id = path_id(&contact_id, ContactId::parse)?;
    user.tenant
        .update_contact(id, contact_id, contact(body.value))
        .await?;
    Ok(Json(user.tenant.customer_detail(&user.actor, id).await?))
}

/// Removes a contact (someone who left): no longer found by phone, mailed or offered at
/// intake; the tickets they raised keep their name.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/contacts/{contact}", tag = "customers",
    params(("id" = String, Path), ("contact" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_contact(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, contact_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    require_write(&user)?;
    let id = path_id(&id, CustomerId::parse)?;
    let contact_id = path_id(&contact_id, ContactId::parse)?;
    user.tenant
        .remove_contact(id, contact_id, state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces a site's name, address, position, region and geofence, checked as a new site is.
#[utoipa::path(put, path = "/api/v1/customers/{id}/sites/{site}", tag = "customers",
    params(("id" = String, Path), ("site" = String, Path)), request_body = SiteBody,
    responses((status = 200, body = CustomerDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_site(
    user: CurrentUser,
    Path((id, site_id)): Path<(String, String)>,
    body: AppJson<SiteBody>,
) -> Result<Json<CustomerDetail>, ApiError> {
    require_write(&user)?;
    let id = path_id(&id, CustomerId::parse)?;
    let site_id = path_id(&site_id, SiteId::parse)?;
    user.tenant.edit_site(id, site_id, site(body.value)).await?;
    Ok(Json(user.tenant.customer_detail(&user.actor, id).await?))
}

/// Removes a site: refused (422 `site_id`) while equipment stands there or a ticket there is
/// open; its closed tickets keep it.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/sites/{site}", tag = "customers",
    params(("id" = String, Path), ("site" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn delete_site(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, site_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    require_write(&user)?;
    let id = path_id(&id, CustomerId::parse)?;
    let site_id = path_id(&site_id, SiteId::parse)?;
    user.tenant
        .remove_site(id, site_id, state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports customers from CSV or Excel, each row a customer with an optional first contact
/// and site. Columns by field name or heading (客户名称/name, 类型/kind, 等级/tier, 区域/region,
/// 标签/tags, 联系人/contact_name, 电话/phone, 邮箱/email, 微信/wechat_id, 地址名称/site_name,
/// 地址/address, 纬度/lat, 经度/lon, 围栏半径/geofence_m). All rows or none: `422
/// import_failed` lists each failing row with its column and reason.
#[utoipa::path(post, path = "/api/v1/customers/import", tag = "customers",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = super::assets::Imported), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_customers(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<super::assets::Imported>), ApiError> {
    super::import_sheet(
        &state,
        &user,
        crate::import::Sheet::Customers,
        &headers,
        &body,
    )
    .await
}

/// Imports contacts of existing customers (columns customer_id, contact_name or name, phone,
/// email, wechat_id, notify_channel, lang), all rows or none.
#[utoipa::path(post, path = "/api/v1/contacts/import", tag = "customers",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = super::assets::Imported), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_contacts(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<super::assets::Imported>), ApiError> {
    super::import_sheet(
        &state,
        &user,
        crate::import::Sheet::Contacts,
        &headers,
        &body,
    )
    .await
}

/// Imports sites of existing customers (columns customer_id, site_name or name, address,
/// lat, lon, geofence_m), all rows or none.
#[utoipa::path(post, path = "/api/v1/sites/import", tag = "customers",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = super::assets::Imported), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_sites(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<super::assets::Imported>), ApiError> {
    super::import_sheet(&state, &user, crate::import::Sheet::Sites, &headers, &body).await
}
