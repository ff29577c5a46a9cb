//! Requisitions (申领): an engineer asks for parts for a ticket; a supervisor approves (or the
//! tenant's limit does); the parts move from the nearest warehouse that has them (a regional
//! pool before the central store) to the engineer's van, reserved for the ticket; when the
//! engineer has them, the ticket goes on.

use chrono::{DateTime, Utc};
use loopdesk_core::inventory::{self, RequisitionStatus};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::WarehouseId;
use loopdesk_core::{access, access::Permission, RequisitionId, TicketId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::rows::parse_id;
use crate::rows::parse_opt_id;
use crate::{from_ms, StoreError, TenantStore};

mod create;
mod decide;

use decide::{destination, sources_of};

/// One line of a requisition.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RequisitionItem {
    /// Part.
    pub sku: String,
    /// Units.
    pub qty: i64,
    /// The warehouse the units came from, once approved.
    pub source_warehouse_id: Option<WarehouseId>,
    /// While pending: where they would come from if approved now (none: no warehouse has
    /// them free).
    pub proposed_warehouse_id: Option<WarehouseId>,
}

/// A requisition.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Requisition {
    /// Id.
    pub id: RequisitionId,
    /// The ticket the parts are for.
    pub ticket_id: TicketId,
    /// `pending`, `approved`, `rejected` or `received`.
    #[schema(value_type = String)]
    pub status: RequisitionStatus,
    /// Who asked.
    pub requested_by: Option<String>,
    /// The van the parts go to.
    pub van_id: Option<WarehouseId>,
    /// What the parts cost, in yuan (unknown when a part has no cost).
    pub value: Option<f64>,
    /// The requester's note.
    pub note: Option<String>,
    /// Who decided (none: approved automatically).
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
    /// Why (a rejection's reason).
    pub decision_note: Option<String>,
    /// When the engineer had the parts.
    pub received_at: Option<DateTime<Utc>>,
    /// When asked.
    pub created_at: DateTime<Utc>,
    /// What was asked for.
    pub items: Vec<RequisitionItem>,
}

/// A stored requisition ([`COLUMNS`]).
#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    ticket_id: String,
    status: String,
    requested_by: Option<String>,
    van_id: Option<String>,
    value_fen: Option<i64>,
    note: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<i64>,
    decision_note: Option<String>,
    received_at: Option<i64>,
    created_at: i64,
}

/// One line of a requisition.
#[derive(sqlx::FromRow)]
struct ItemRow {
    sku: String,
    qty: i64,
    source_id: Option<String>,
    part_id: String,
}

const COLUMNS: &str = "id, ticket_id, status, requested_by, van_id, value_fen, note, decided_by, \
    decided_at, decision_note, received_at, created_at";

impl TenantStore {
    /// Requisitions, newest first: all of them for those who approve or keep stock, an
    /// engineer's own otherwise; of one status and/or one ticket when given.
    pub async fn requisitions(
        &self,
        actor: &Actor,
        status: Option<RequisitionStatus>,
        ticket: Option<TicketId>,
    ) -> Result<Vec<Requisition>, StoreError> {
        if !access::allowed(actor, Permission::RequestParts)
            && !access::allowed(actor, Permission::ApproveRequisitions)
        {
            return Err(StoreError::Forbidden);
        }
        let everyone = access::allowed(actor, Permission::ApproveRequisitions)
            || access::allowed(actor, Permission::ManageStock);
        let mut sql = crate::sql::Sql::new(&format!(
            "SELECT {COLUMNS} FROM requisitions WHERE tenant_id = "
        ));
        sql.text(self.tid());
        if let Some(s) = status {
            sql.push(" AND status = ").text(s.as_str());
        }
        if let Some(t) = ticket {
            sql.push(" AND ticket_id = ").text(t.to_string());
        }
        if !everyone {
            let me = actor.user_id().map(|u| u.to_string()).unwrap_or_default();
            sql.push(" AND (requested_by = ")
                .text(me.clone())
                .push(" OR van_id IN (SELECT id FROM warehouses WHERE engineer_id = ")
                .text(me)
                .push("))");
        }
        sql.push(" ORDER BY created_at DESC, id DESC LIMIT 500");
        let rows: Vec<Row> = sql.query_as().fetch_all(&self.store.read).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.with_items(r).await?);
        }
        Ok(out)
    }

    /// One requisition.
    pub async fn requisition(&self, id: RequisitionId) -> Result<Requisition, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM requisitions WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.write)
        .await?;
        self.with_items(row.ok_or(StoreError::NotFound)?).await
    }

    async fn with_items(&self, r: Row) -> Result<Requisition, StoreError> {
        let items: Vec<ItemRow> = sqlx::query_as(
            "SELECT p.sku, i.qty, i.source_id, i.part_id FROM requisition_items i JOIN parts p ON p.id = i.part_id \
             WHERE i.tenant_id = $1 AND i.requisition_id = $2 ORDER BY i.line",
        )
        .bind(self.tid())
        .bind(&r.id)
        .fetch_all(&self.store.write)
        .await?;
        let pending = RequisitionStatus::parse(&r.status) == Some(RequisitionStatus::Pending);
        let mut proposed = vec![None; items.len()];
        if pending {
            let mut conn = self.store.read.acquire().await?;
            let id = parse_id(&r.id, RequisitionId::parse)?;
            let (_, _, to) = destination(&mut conn, &self.tid(), id).await?;
            for (k, item) in items.iter().enumerate() {
                let sources = sources_of(&mut conn, &self.tid(), &item.part_id).await?;
                proposed[k] = inventory::choose_source(item.qty, to, &sources);
            }
        }
        let corrupt = || StoreError::Corrupt(format!("requisition status {}", r.status));
        #[expect(clippy::cast_precision_loss, reason = "money below 2^53 fen")]
        let value = r.value_fen.map(|f| f as f64 / 100.0);
        Ok(Requisition {
            id: parse_id(&r.id, RequisitionId::parse)?,
            ticket_id: parse_id(&r.ticket_id, TicketId::parse)?,
            status: RequisitionStatus::parse(&r.status).ok_or_else(corrupt)?,
            requested_by: r.requested_by,
            van_id: r
                .van_id
                .as_deref()
                .map(|v| parse_id(v, WarehouseId::parse))
                .transpose()?,
            value,
            note: r.note,
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(from_ms),
            decision_note: r.decision_note,
            received_at: r.received_at.map(from_ms),
            created_at: from_ms(r.created_at),
            items: items
                .into_iter()
                .zip(proposed)
                .map(|(item, proposed_warehouse_id)| {
                    Ok(RequisitionItem {
                        sku: item.sku,
                        qty: item.qty,
                        source_warehouse_id: parse_opt_id(item.source_id, WarehouseId::parse)?,
                        proposed_warehouse_id,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
        })
    }
}
