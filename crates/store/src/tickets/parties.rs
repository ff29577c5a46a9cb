//! Who and what a ticket is about, by name, for the people who work it: the customer and
//! contact, the site's address, the asset, the team, the engineer and the category.

use loopdesk_core::ticket::Actor;
use loopdesk_core::TicketId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{StoreError, TenantStore};

/// The names behind a ticket's ids (each none when the ticket has none).
#[derive(Clone, Debug, Default, Serialize, ToSchema, sqlx::FromRow)]
pub struct TicketParties {
    /// The customer.
    pub customer_name: Option<String>,
    /// The contact who called.
    pub contact_name: Option<String>,
    /// The contact's phone on record.
    pub contact_phone: Option<String>,
    /// The site.
    pub site_name: Option<String>,
    /// Its address.
    pub site_address: Option<String>,
    /// Its position (WGS 84), for navigation and the check-in's geofence.
    pub site_lat: Option<f64>,
    /// Its position.
    pub site_lon: Option<f64>,
    /// Its geofence radius in metres.
    pub site_geofence_m: Option<f64>,
    /// The asset's model.
    pub asset_model: Option<String>,
    /// Its serial number.
    pub asset_serial: Option<String>,
    /// Its warranty end (YYYY-MM-DD).
    pub warranty_until: Option<String>,
    /// The team.
    pub team_name: Option<String>,
    /// The engineer.
    pub assignee_name: Option<String>,
    /// The category.
    pub category_name: Option<String>,
}

impl TenantStore {
    /// The names behind a ticket the caller may see (else `NotFound`).
    pub async fn ticket_parties(
        &self,
        actor: &Actor,
        id: TicketId,
    ) -> Result<TicketParties, StoreError> {
        self.ticket_row_visible(actor, id).await?;
        let found: Option<TicketParties> = sqlx::query_as(
            "SELECT c.name AS customer_name, k.name AS contact_name, k.phone AS contact_phone, \
             s.name AS site_name, s.address AS site_address, s.lat AS site_lat, s.lon AS site_lon, \
             s.geofence_m AS site_geofence_m, a.model AS asset_model, \
             a.serial AS asset_serial, a.warranty_until, m.name AS team_name, \
             u.display_name AS assignee_name, g.name AS category_name \
             FROM tickets t \
             LEFT JOIN customers c ON c.id = t.customer_id \
             LEFT JOIN contacts k ON k.id = t.contact_id \
             LEFT JOIN sites s ON s.id = t.site_id \
             LEFT JOIN assets a ON a.id = t.asset_id \
             LEFT JOIN teams m ON m.id = t.team_id \
             LEFT JOIN users u ON u.id = t.assignee_id \
             LEFT JOIN categories g ON g.tenant_id = t.tenant_id AND g.code = t.category \
             WHERE t.tenant_id = $1 AND t.id = $2",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        found.ok_or(StoreError::NotFound)
    }
}
