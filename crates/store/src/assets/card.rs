//! The asset card: an asset with its whole history (tickets, visits, parts consumed, meter
//! readings), its meter and its status.

use crate::rows::parse_id;
use crate::scope::push_scope;
use crate::sql::Sql;
use crate::{from_ms, ms, Asset, StoreError, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::asset::{self, AssetStatus};
use loopdesk_core::event::EventKind;
use loopdesk_core::inventory::MovementKind;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{access, access::Permission, AssetId, TicketId};
use serde::Serialize;
use utoipa::ToSchema;

use super::*;

/// A ticket in an asset's history.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetTicket {
    /// Ticket.
    pub id: TicketId,
    /// Number.
    pub number: String,
    /// Status.
    pub status: String,
    /// Category.
    pub category: Option<String>,
    /// Subject.
    pub subject: String,
    /// Engineer.
    pub assignee_id: Option<String>,
    /// `in` or `out` of warranty when it came in.
    pub warranty: Option<String>,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last resolved.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// An on-site visit (a check-in) on one of the asset's tickets.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetVisit {
    /// Ticket.
    pub ticket_id: String,
    /// Engineer.
    pub engineer_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Parts consumed on one of the asset's tickets.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetPart {
    /// Ticket.
    pub ticket_id: String,
    /// Part.
    pub sku: String,
    /// Its name.
    pub name: String,
    /// Units.
    pub qty: i64,
    /// When.
    pub at: DateTime<Utc>,
}

/// A meter reading.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetReading {
    /// Value.
    pub value: i64,
    /// On a ticket.
    pub ticket_id: Option<String>,
    /// By.
    pub recorded_by: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Everything that happened to an asset, newest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetHistory {
    /// Tickets on it (maintenance included).
    pub tickets: Vec<AssetTicket>,
    /// On-site visits.
    pub visits: Vec<AssetVisit>,
    /// Parts consumed.
    pub parts: Vec<AssetPart>,
    /// Meter readings.
    pub readings: Vec<AssetReading>,
    /// Moves between sites (staff only).
    pub moves: Vec<super::AssetMove>,
}

/// The asset card.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetCard {
    /// The asset.
    #[serde(flatten)]
    pub asset: Asset,
    /// `in` or `out` of warranty today (none: no warranty date known).
    pub warranty: Option<String>,
    /// Its model in the catalogue, when there.
    pub product: Option<ProductModel>,
    /// Its history.
    pub history: AssetHistory,
}

impl TenantStore {
    /// An asset the caller may see (else `NotFound`).
    pub async fn visible_asset(&self, actor: &Actor, id: AssetId) -> Result<Asset, StoreError> {
        let a = self.asset(id).await?;
        if !access::sees_asset(actor, a.customer_id) {
            return Err(StoreError::NotFound);
        }
        Ok(a)
    }

    /// The asset whose QR label carries `token`, if the caller may see it.
    pub async fn asset_by_token(&self, actor: &Actor, token: &str) -> Result<Asset, StoreError> {
        let token = token.trim();
        if token.len() != 32 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound);
        }
        let a = self
            .assets_where("qr_token", token)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)?;
        if !access::sees_asset(actor, a.customer_id) {
            return Err(StoreError::NotFound);
        }
        Ok(a)
    }

    /// The asset card: the asset, its warranty today (the tenant's local date), its model and its whole history.
    /// Its history holds only the tickets the caller may see.
    pub async fn asset_card(
        &self,
        actor: &Actor,
        id: AssetId,
        now: DateTime<Utc>,
    ) -> Result<AssetCard, StoreError> {
        let a = self.visible_asset(actor, id).await?;
        let today = now
            .with_timezone(&self.settings().await?.offset)
            .date_naive();
        let aid = a.id.to_string();
        // The history lists only tickets the caller may see: an engineer the visits they were
        // sent on, a customer their own; staff all of them.
        let scope = access::ticket_scope(actor);
        let history = |select: &str, rest: &str| {
            let mut sql = Sql::new(select);
            sql.text(self.tid())
                .push(" AND t.asset_id = ")
                .text(aid.clone());
            push_scope(&mut sql, &scope);
            sql.push(rest);
            sql
        };
        let tickets: Vec<TicketRow> = history(
            "SELECT t.id, t.number, t.status, t.category, t.subject, t.assignee_id, t.warranty, t.created_at, \
             t.resolved_at FROM tickets t WHERE t.tenant_id = ",
            " ORDER BY t.created_at DESC, t.id DESC LIMIT 500",
        )
        .query_as()
        .fetch_all(&self.store.read)
        .await?;
        let mut sql = history(
            "SELECT e.ticket_id, e.actor_id, e.at FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
             WHERE t.tenant_id = ",
            " AND e.tenant_id = t.tenant_id AND e.kind = ",
        );
        sql.text(EventKind::CheckIn.as_str())
            .push(" ORDER BY e.at DESC LIMIT 500");
        let visits: Vec<VisitRow> = sql.query_as().fetch_all(&self.store.read).await?;
        let mut sql = history(
            "SELECT m.ticket_id, p.sku, p.name, m.on_hand_delta, m.at FROM stock_movements m \
             JOIN parts p ON p.id = m.part_id JOIN tickets t ON t.id = m.ticket_id WHERE t.tenant_id = ",
            " AND m.tenant_id = t.tenant_id AND m.kind = ",
        );
        sql.text(MovementKind::Consume.as_str())
            .push(" ORDER BY m.seq DESC LIMIT 500");
        let parts: Vec<PartRow> = sql.query_as().fetch_all(&self.store.read).await?;
        // Readings belong to the asset; one taken on a ticket the caller may not see keeps its
        // value but not the ticket or who took it.
        let readings: Vec<ReadingRow> = sqlx::query_as(
            "SELECT value, ticket_id, recorded_by, at FROM asset_readings \
             WHERE tenant_id = $1 AND asset_id = $2 ORDER BY at DESC, id DESC LIMIT 500",
        )
        .bind(self.tid())
        .bind(&aid)
        .fetch_all(&self.store.read)
        .await?;
        let shown: std::collections::HashSet<&str> =
            tickets.iter().map(|t| t.id.as_str()).collect();
        let readings: Vec<ReadingRow> = readings
            .into_iter()
            .map(|mut r| {
                if !scope.all && r.ticket_id.as_deref().is_some_and(|t| !shown.contains(t)) {
                    r.ticket_id = None;
                    r.recorded_by = None;
                }
                r
            })
            .collect();
        let until = a
            .warranty_until
            .as_deref()
            .and_then(|d| d.parse::<chrono::NaiveDate>().ok());
        let product = self.model_by_code(&a.model).await?;
        let moves = if access::customer_scope(actor) == Some(None) {
            self.asset_moves(a.id).await?
        } else {
            Vec::new()
        };
        Ok(AssetCard {
            warranty: asset::warranty_on(until, today).map(|w| w.as_str().to_owned()),
            product,
            history: AssetHistory {
                tickets: tickets
                    .into_iter()
                    .map(|r| {
                        Ok(AssetTicket {
                            id: parse_id(&r.id, TicketId::parse)?,
                            number: r.number,
                            status: r.status,
                            category: r.category,
                            subject: r.subject,
                            assignee_id: r.assignee_id,
                            warranty: r.warranty,
                            created_at: from_ms(r.created_at),
                            resolved_at: r.resolved_at.map(from_ms),
                        })
                    })
                    .collect::<Result<_, StoreError>>()?,
                visits: visits
                    .into_iter()
                    .map(|v| AssetVisit {
                        ticket_id: v.ticket_id,
                        engineer_id: v.actor_id,
                        at: from_ms(v.at),
                    })
                    .collect(),
                parts: parts
                    .into_iter()
                    .map(|p| AssetPart {
                        ticket_id: p.ticket_id,
                        sku: p.sku,
                        name: p.name,
                        qty: -p.on_hand_delta,
                        at: from_ms(p.at),
                    })
                    .collect(),
                readings: readings
                    .into_iter()
                    .map(|r| AssetReading {
                        value: r.value,
                        ticket_id: r.ticket_id,
                        recorded_by: r.recorded_by,
                        at: from_ms(r.at),
                    })
                    .collect(),
                moves,
            },
            asset: a,
        })
    }

    /// Records a meter reading (staff and engineers; never lower than the last one) and
    /// keeps it as the asset's meter.
    pub async fn record_reading(
        &self,
        actor: &Actor,
        id: AssetId,
        value: i64,
        ticket: Option<TicketId>,
        now: DateTime<Utc>,
    ) -> Result<Asset, StoreError> {
        if !(access::allowed(actor, Permission::WriteCustomers)
            || actor.has(loopdesk_core::Role::Engineer))
        {
            return Err(StoreError::Forbidden);
        }
        self.visible_asset(actor, id).await?;
        let mut tx = self.store.write.begin().await?;
        if let Some(t) = ticket {
            self.require_visible_ticket(&mut tx, actor, t).await?;
        }
        let last: Option<Option<i64>> = sqlx::query_scalar(&format!(
            "SELECT meter FROM assets WHERE tenant_id = $1 AND id = $2{}",
            self.store.backend.for_update()
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let value = asset::reading(value, last.flatten())?;
        sqlx::query(
            "INSERT INTO asset_readings (id, tenant_id, asset_id, value, ticket_id, recorded_by, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(self.tid())
        .bind(id.to_string())
        .bind(value)
        .bind(ticket.map(|t| t.to_string()))
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE assets SET meter = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(value)
            .bind(self.tid())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.asset(id).await
    }

    /// Changes an asset's status (those who edit customers).
    pub async fn set_asset_status(
        &self,
        actor: &Actor,
        id: AssetId,
        status: &str,
    ) -> Result<Asset, StoreError> {
        if !access::allowed(actor, Permission::WriteCustomers) {
            return Err(StoreError::Forbidden);
        }
        let status =
            AssetStatus::parse(status.trim()).ok_or(loopdesk_core::validate::FieldError {
                field: "status",
                reason: "error.invalid_value",
            })?;
        self.visible_asset(actor, id).await?;
        sqlx::query("UPDATE assets SET status = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(status.as_str())
            .bind(self.tid())
            .bind(id.to_string())
            .execute(&self.store.write)
            .await?;
        self.asset(id).await
    }
}

/// A ticket on the asset.
#[derive(sqlx::FromRow)]
struct TicketRow {
    id: String,
    number: String,
    status: String,
    category: Option<String>,
    subject: String,
    assignee_id: Option<String>,
    warranty: Option<String>,
    created_at: i64,
    resolved_at: Option<i64>,
}

/// A check-in at the asset.
#[derive(sqlx::FromRow)]
struct VisitRow {
    ticket_id: String,
    actor_id: Option<String>,
    at: i64,
}

/// A part consumed on one of the asset's tickets.
#[derive(sqlx::FromRow)]
struct PartRow {
    ticket_id: String,
    sku: String,
    name: String,
    on_hand_delta: i64,
    at: i64,
}

/// A meter reading.
#[derive(sqlx::FromRow)]
struct ReadingRow {
    value: i64,
    ticket_id: Option<String>,
    recorded_by: Option<String>,
    at: i64,
}
