//! What the store hands out: read models, serialisable as the API shows them.

use chrono::{DateTime, Utc};
use loopdesk_core::{
    AssetId, ContactId, CustomerId, RegionId, Role, SiteId, TeamId, TenantId, UserId,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

mod ticket;

pub use ticket::*;

/// An organisation using Loopdesk.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Tenant {
    /// Id.
    pub id: TenantId,
    /// Short name used at login.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Local time offset (minutes east of UTC) for numbering and calendars.
    pub utc_offset_minutes: i64,
    /// Days after closing in which a ticket may still be reopened.
    pub reopen_window_days: i64,
}

/// A user.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// The tenant.
    pub tenant_id: TenantId,
    /// Login name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Roles held.
    pub roles: Vec<Role>,
    /// For a customer contact: their customer.
    pub customer_id: Option<CustomerId>,
    /// Team.
    pub team_id: Option<TeamId>,
    /// Region.
    pub region_id: Option<RegionId>,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// `app` or `email`: how they hear of what concerns them.
    pub notify_channel: String,
    /// Language of what we send them.
    pub lang: String,
    /// False once deactivated.
    pub active: bool,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Signs in with a second factor (an authenticator app's code).
    pub two_factor: bool,
}

/// A region or a team (both are a name in a tenant).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Named {
    /// Id.
    pub id: uuid::Uuid,
    /// Name.
    pub name: String,
}

/// A customer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Customer {
    /// Id.
    pub id: CustomerId,
    /// Name.
    pub name: String,
    /// `company` or `person`.
    pub kind: String,
    /// Service tier, e.g. `vip` or `standard`.
    pub tier: String,
    /// Region.
    pub region_id: Option<RegionId>,
    /// Tags, e.g. `loyalty` (the loyalty programme, from top survey scores).
    pub tags: Vec<String>,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Version, for optimistic locking of edits.
    pub version: i64,
    /// Contacts.
    pub contacts: Vec<Contact>,
}

/// A contact person.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Contact {
    /// Id.
    pub id: ContactId,
    /// Name.
    pub name: String,
    /// Normalised phone number.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// WeChat id.
    pub wechat_id: Option<String>,
    /// How they hear from us: `email`, `sms`, `wechat` or `none`.
    pub notify_channel: String,
    /// The language of what we send them.
    pub lang: String,
}

/// A site.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Site {
    /// Id.
    pub id: SiteId,
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Region.
    pub region_id: Option<RegionId>,
    /// Geofence radius in metres.
    pub geofence_m: f64,
}

/// A piece of equipment.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Asset {
    /// Id.
    pub id: AssetId,
    /// Customer.
    pub customer_id: CustomerId,
    /// Site.
    pub site_id: SiteId,
    /// Model.
    pub model: String,
    /// Serial number.
    pub serial: String,
    /// Installed on (YYYY-MM-DD).
    pub installed_on: Option<String>,
    /// Warranty until (YYYY-MM-DD).
    pub warranty_until: Option<String>,
    /// Unguessable token for the QR label.
    pub qr_token: String,
    /// `in_service`, `out_of_service` or `decommissioned`.
    #[schema(value_type = String)]
    pub status: loopdesk_core::asset::AssetStatus,
    /// The last meter reading.
    pub meter: Option<i64>,
    /// Free fields.
    #[schema(value_type = Object)]
    pub fields: Value,
    /// Version (optimistic locking): send it back with a change.
    pub version: i64,
}

/// A customer with everything an agent needs at intake.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CustomerDetail {
    /// The customer and contacts.
    #[serde(flatten)]
    pub customer: Customer,
    /// Sites.
    pub sites: Vec<Site>,
    /// Assets.
    pub assets: Vec<Asset>,
    /// The most recent tickets the caller may see.
    pub recent_tickets: Vec<Ticket>,
    /// Every open ticket the caller may see (up to 50), most urgent first: what a caller may
    /// be ringing about again.
    pub open_tickets: Vec<Ticket>,
    /// Duplicates merged into this customer, newest first.
    pub merged_from: Vec<crate::CustomerMerge>,
}

/// The signed-in principal behind a token.
#[derive(Clone, Debug)]
pub struct AuthUser {
    /// The user.
    pub user: User,
    /// The token's kind (`session` or `api`).
    pub kind: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
}
