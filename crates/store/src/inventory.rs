//! Spare parts, warehouses and the stock ledger. Every movement writes its ledger lines and
//! the levels they sum to in one transaction, with the level rows locked (in warehouse order,
//! so two transfers never wait on each other) while `core::inventory` decides whether the
//! movement may happen: stock never goes below zero, on either backend, however many
//! requests race.

use chrono::{DateTime, Utc};
use loopdesk_core::inventory::{self, Level, Line, Movement, MovementRequest, NewPart, Shortage};
use loopdesk_core::inventory::{NewWarehouse, WarehouseKind};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::{access, MovementId, PartId, RegionId, Role, Roles, TicketId, UserId};
use loopdesk_core::{access::Permission, WarehouseId};
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Transaction};
use utoipa::ToSchema;

use crate::idempotency::{claim_key, Idempotency};
use crate::outbox::{insert_jobs, NewJob};
use crate::rows::parse_id;
use crate::sql::{Arg, Sql};
use crate::{from_ms, ms, Backend, StoreError, TenantStore};
use loopdesk_core::job::{self, Job};

/// A part in the catalogue.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Part {
    /// Id.
    pub id: PartId,
    /// Stock keeping unit.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Unit of count.
    pub unit: String,
    /// Cost of one unit, in yuan.
    pub cost: Option<f64>,
    /// Price of one unit to the customer, in yuan.
    pub price: Option<f64>,
    /// Models it fits.
    pub models: Vec<String>,
    /// The cost in fen, as stored (what requisitions add up).
    #[serde(skip)]
    pub(crate) cost_fen: Option<i64>,
}

/// A warehouse.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Warehouse {
    /// Id.
    pub id: WarehouseId,
    /// Name.
    pub name: String,
    /// `central`, `regional` or `van`.
    #[schema(value_type = String)]
    pub kind: WarehouseKind,
    /// The region a pool serves.
    pub region_id: Option<RegionId>,
    /// The engineer whose van it is.
    pub engineer_id: Option<UserId>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
}

/// One warehouse's stock of one part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct StockItem {
    /// Warehouse.
    pub warehouse_id: WarehouseId,
    /// Part.
    pub sku: String,
    /// Units there.
    pub on_hand: i64,
    /// Units reserved for tickets.
    pub reserved: i64,
    /// Units free.
    pub available: i64,
}

/// A movement as recorded, with the levels it left.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MovementView {
    /// Id (shared by a transfer's two ledger lines).
    pub id: MovementId,
    /// What it did.
    pub kind: String,
    /// Part.
    pub sku: String,
    /// Units.
    pub qty: i64,
    /// Where units left, or the one warehouse of a reservation, release or consumption.
    pub from_warehouse_id: Option<WarehouseId>,
    /// Where units arrived.
    pub to_warehouse_id: Option<WarehouseId>,
    /// The ticket.
    pub ticket_id: Option<TicketId>,
    /// Why.
    pub reason: Option<String>,
    /// Who.
    pub actor_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// The levels of the warehouses it touched, after it.
    pub levels: Vec<StockItem>,
}

/// One line of the ledger.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LedgerLine {
    /// Position in the ledger.
    pub seq: i64,
    /// The movement it belongs to.
    pub movement_id: String,
    /// What the movement did.
    pub kind: String,
    /// Part.
    pub sku: String,
    /// Warehouse.
    pub warehouse_id: String,
    /// Change of units on hand.
    pub on_hand_delta: i64,
    /// Change of units reserved.
    pub reserved_delta: i64,
    /// Ticket.
    pub ticket_id: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// Who.
    pub actor_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A warehouse's stock of a part below its threshold.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LowStock {
    /// Warehouse.
    pub warehouse_id: WarehouseId,
    /// Its name.
    pub warehouse: String,
    /// Part.
    pub sku: String,
    /// Part name.
    pub name: String,
    /// Units free.
    pub available: i64,
    /// The threshold.
    pub min_available: i64,
}

type PartRow = (
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    String,
);

fn yuan(fen: Option<i64>) -> Option<f64> {
    #[expect(clippy::cast_precision_loss, reason = "money below 2^53 fen")]
    fen.map(|f| f as f64 / 100.0)
}

fn part_of(r: PartRow) -> Result<Part, StoreError> {
    Ok(Part {
        id: parse_id(&r.0, PartId::parse)?,
        sku: r.1,
        name: r.2,
        unit: r.3,
        cost: yuan(r.4),
        price: yuan(r.5),
        models: serde_json::from_str(&r.6).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        cost_fen: r.4,
    })
}

type WarehouseRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<f64>,
);

const WAREHOUSE_COLUMNS: &str = "id, name, kind, region_id, engineer_id, lat, lon";

fn warehouse_of(r: WarehouseRow) -> Result<Warehouse, StoreError> {
    Ok(Warehouse {
        id: parse_id(&r.0, WarehouseId::parse)?,
        name: r.1,
        kind: WarehouseKind::parse(&r.2)
            .ok_or_else(|| StoreError::Corrupt(format!("warehouse kind {}", r.2)))?,
        region_id: r
            .3
            .as_deref()
            .map(|x| parse_id(x, RegionId::parse))
            .transpose()?,
        engineer_id: r
            .4
            .as_deref()
            .map(|x| parse_id(x, UserId::parse))
            .transpose()?,
        lat: r.5,
        lon: r.6,
    })
}

fn field<T>(field: &'static str, reason: &'static str) -> Result<T, StoreError> {
    Err(FieldError { field, reason }.into())
}

/// One line of ledger history to load (see [`TenantStore::load_ledger`]).
#[derive(Clone, Debug)]
pub struct LoadLine {
    /// The movement it belongs to (a transfer's two lines share it).
    pub movement: MovementId,
    /// What the movement did.
    pub kind: inventory::MovementKind,
    /// Part.
    pub part: PartId,
    /// Its SKU.
    pub sku: String,
    /// Warehouse.
    pub warehouse: WarehouseId,
    /// Change of units on hand.
    pub on_hand: i64,
    /// Change of units reserved.
    pub reserved: i64,
    /// When.
    pub at: DateTime<Utc>,
}

/// A movement to record, as the API takes it.
#[derive(Clone, Debug, Default)]
pub struct StockMovementInput {
    /// The part's SKU.
    pub sku: String,
    /// The movement.
    pub movement: MovementRequest,
}

impl TenantStore {
    /// Adds a part to the catalogue.
    pub async fn create_part(
        &self,
        actor: &Actor,
        new: NewPart,
        now: DateTime<Utc>,
    ) -> Result<Part, StoreError> {
        if !access::allowed(actor, Permission::ManageStock) {
            return Err(StoreError::Forbidden);
        }
        let p = inventory::part(&new)?;
        let id = PartId::new();
        sqlx::query(
            "INSERT INTO parts (id, tenant_id, sku, name, unit, cost_fen, price_fen, models, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&p.sku)
        .bind(&p.name)
        .bind(&p.unit)
        .bind(p.cost_fen)
        .bind(p.price_fen)
        .bind(json!(p.models).to_string())
        .bind(ms(now))
        .execute(&self.store.write)
        .await
        .map_err(|e| StoreError::on_unique(e, "sku"))?;
        Ok(Part {
            id,
            sku: p.sku,
            name: p.name,
            unit: p.unit,
            cost: yuan(p.cost_fen),
            price: yuan(p.price_fen),
            models: p.models,
            cost_fen: p.cost_fen,
        })
    }

    /// Parts whose SKU or name contains `q` (all when empty), by SKU, at most `limit`.
    pub async fn parts(&self, actor: &Actor, q: &str, limit: i64) -> Result<Vec<Part>, StoreError> {
        if !access::allowed(actor, Permission::ReadStock) {
            return Err(StoreError::Forbidden);
        }
        let like = format!("%{}%", q.trim());
        let rows: Vec<PartRow> = sqlx::query_as(
            "SELECT id, sku, name, unit, cost_fen, price_fen, models FROM parts \
             WHERE tenant_id = $1 AND (sku LIKE $2 OR name LIKE $2) ORDER BY sku LIMIT $3",
        )
        .bind(self.tid())
        .bind(like)
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter().map(part_of).collect()
    }

    pub(crate) async fn part_by_sku(
        &self,
        field_name: &'static str,
        sku: &str,
    ) -> Result<Part, StoreError> {
        let sku = inventory::sku(field_name, sku)?;
        let row: Option<PartRow> = sqlx::query_as(
            "SELECT id, sku, name, unit, cost_fen, price_fen, models FROM parts WHERE tenant_id = $1 AND sku = $2",
        )
        .bind(self.tid())
        .bind(&sku)
        .fetch_optional(&self.store.read)
        .await?;
        match row {
            Some(r) => part_of(r),
            None => field(field_name, "error.unknown_sku"),
        }
    }

    /// Every part's id by SKU.
    pub async fn part_ids(&self) -> Result<std::collections::HashMap<String, PartId>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT sku, id FROM parts WHERE tenant_id = $1")
                .bind(self.tid())
                .fetch_all(&self.store.read)
                .await?;
        rows.into_iter()
            .map(|(sku, id)| Ok((sku, parse_id(&id, PartId::parse)?)))
            .collect()
    }

    /// Adds many parts at once, all or none (a catalogue import): one invalid part, or a SKU
    /// taken or given twice, refuses the whole batch.
    pub async fn create_parts(
        &self,
        actor: &Actor,
        parts: &[NewPart],
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        if !access::allowed(actor, Permission::ManageStock) {
            return Err(StoreError::Forbidden);
        }
        let valid = parts
            .iter()
            .map(inventory::part)
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.store.write.begin().await?;
        for chunk in valid.chunks(500) {
            let rows = chunk.iter().map(|p| {
                vec![
                    Arg::Text(Some(PartId::new().to_string())),
                    Arg::Text(Some(self.tid())),
                    Arg::Text(Some(p.sku.clone())),
                    Arg::Text(Some(p.name.clone())),
                    Arg::Text(Some(p.unit.clone())),
                    Arg::OptInt(p.cost_fen),
                    Arg::OptInt(p.price_fen),
                    Arg::Text(Some(json!(p.models).to_string())),
                    Arg::Int(ms(now)),
                ]
            });
            Sql::new(
                "INSERT INTO parts (id, tenant_id, sku, name, unit, cost_fen, price_fen, models, created_at) VALUES ",
            )
            .rows(rows)
            .positional_on(&tx)
            .query()
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::on_unique(e, "sku"))?;
        }
        tx.commit().await?;
        Ok(valid.len())
    }

    /// Loads ledger history (from the system Loopdesk replaces, or a benchmark's generated
    /// data) in one transaction: the lines, and the levels they add up to. Refused with
    /// nothing written when a level would end below zero.
    pub async fn load_ledger(&self, actor: &Actor, lines: &[LoadLine]) -> Result<(), StoreError> {
        if !access::allowed(actor, Permission::ManageStock) {
            return Err(StoreError::Forbidden);
        }
        self.import_cache(true).await?;
        let loaded = self.write_ledger(lines).await;
        self.import_cache(false).await?;
        loaded
    }

    async fn write_ledger(&self, lines: &[LoadLine]) -> Result<(), StoreError> {
        let tid = self.tid();
        let mut tx = self.store.write.begin().await?;
        for chunk in lines.chunks(800) {
            let rows = chunk.iter().map(|l| {
                vec![
                    Arg::Text(Some(l.movement.to_string())),
                    Arg::Text(Some(tid.clone())),
                    Arg::Text(Some(l.kind.as_str().to_owned())),
                    Arg::Text(Some(l.part.to_string())),
                    Arg::Text(Some(l.warehouse.to_string())),
                    Arg::Int(l.on_hand),
                    Arg::Int(l.reserved),
                    Arg::Text(None),
                    Arg::Text(None),
                    Arg::Text(None),
                    Arg::Int(ms(l.at)),
                ]
            });
            Sql::new(
                "INSERT INTO stock_movements (id, tenant_id, kind, part_id, warehouse_id, on_hand_delta, \
                 reserved_delta, ticket_id, reason, actor_id, at) VALUES ",
            )
            .rows(rows)
            .positional_on(&tx)
            .query()
            .execute(&mut *tx)
            .await?;
        }
        let mut sums: std::collections::HashMap<(WarehouseId, PartId), (&str, Level)> =
            std::collections::HashMap::new();
        for l in lines {
            let e = sums
                .entry((l.warehouse, l.part))
                .or_insert((l.sku.as_str(), Level::default()));
            e.1.on_hand += l.on_hand;
            e.1.reserved += l.reserved;
        }
        let pairs: Vec<_> = sums.into_iter().collect();
        for chunk in pairs.chunks(800) {
            let rows = chunk.iter().map(|((w, p), (sku, level))| {
                vec![
                    Arg::Text(Some(w.to_string())),
                    Arg::Text(Some(p.to_string())),
                    Arg::Text(Some(tid.clone())),
                    Arg::Text(Some((*sku).to_owned())),
                    Arg::Int(level.on_hand),
                    Arg::Int(level.reserved),
                ]
            });
            Sql::new("INSERT INTO stock_levels (warehouse_id, part_id, tenant_id, sku, on_hand, reserved) VALUES ")
                .rows(rows)
                .push(
                    " ON CONFLICT (warehouse_id, part_id) DO UPDATE SET \
                     on_hand = stock_levels.on_hand + excluded.on_hand, \
                     reserved = stock_levels.reserved + excluded.reserved",
                )
                .positional_on(&tx)
                .query()
                .execute(&mut *tx)
                .await?;
            let keys = chunk.iter().map(|((w, p), _)| {
                vec![
                    Arg::Text(Some(w.to_string())),
                    Arg::Text(Some(p.to_string())),
                ]
            });
            let mut check = Sql::new("SELECT COUNT(*) FROM stock_levels l JOIN (VALUES ");
            let negative: i64 = check
                .rows(keys)
                .push(
                    ") v ON l.warehouse_id = v.column1 AND l.part_id = v.column2 \
                     WHERE l.on_hand < 0 OR l.reserved < 0 OR l.reserved > l.on_hand",
                )
                .positional_on(&tx)
                .query_as::<(i64,)>()
                .fetch_one(&mut *tx)
                .await?
                .0;
            if negative > 0 {
                return Err(StoreError::Refused {
                    reason: "error.ledger_below_zero",
                    gone: false,
                });
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds a warehouse; a van needs an engineer, who has at most one.
    pub async fn create_warehouse(
        &self,
        actor: &Actor,
        new: NewWarehouse,
        now: DateTime<Utc>,
    ) -> Result<Warehouse, StoreError> {
        if !access::allowed(actor, Permission::ManageStock) {
            return Err(StoreError::Forbidden);
        }
        let (name, kind) = inventory::warehouse(&new)?;
        if let Some(e) = new.engineer_id {
            let roles: Option<String> =
                sqlx::query_scalar("SELECT roles FROM users WHERE tenant_id = $1 AND id = $2")
                    .bind(self.tid())
                    .bind(e.to_string())
                    .fetch_optional(&self.store.read)
                    .await?;
            let engineer = match roles {
                Some(r) => Roles::from_csv(&r)
                    .map_err(StoreError::Corrupt)?
                    .has(Role::Engineer),
                None => false,
            };
            if !engineer {
                return field("engineer_id", "error.not_engineer");
            }
        }
        if let Some(r) = new.region_id {
            self.require("regions", &r.to_string(), "region_id").await?;
        }
        let id = WarehouseId::new();
        sqlx::query(
            "INSERT INTO warehouses (id, tenant_id, name, kind, region_id, engineer_id, lat, lon, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&name)
        .bind(kind.as_str())
        .bind(new.region_id.map(|r| r.to_string()))
        .bind(new.engineer_id.map(|e| e.to_string()))
        .bind(new.lat)
        .bind(new.lon)
        .bind(ms(now))
        .execute(&self.store.write)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                let van = db.message().contains("engineer") || db.message().contains("warehouses_van");
                StoreError::Conflict {
                    field: if van { "engineer_id" } else { "name" },
                }
            }
            _ => StoreError::Database(e),
        })?;
        Ok(Warehouse {
            id,
            name,
            kind,
            region_id: new.region_id,
            engineer_id: new.engineer_id,
            lat: new.lat,
            lon: new.lon,
        })
    }

    /// Every warehouse, by kind and name.
    pub async fn warehouses(&self, actor: &Actor) -> Result<Vec<Warehouse>, StoreError> {
        if !access::allowed(actor, Permission::ReadStock) {
            return Err(StoreError::Forbidden);
        }
        let rows: Vec<WarehouseRow> = sqlx::query_as(&format!(
            "SELECT {WAREHOUSE_COLUMNS} FROM warehouses WHERE tenant_id = $1 ORDER BY kind, name"
        ))
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter().map(warehouse_of).collect()
    }

    async fn warehouse_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        id: WarehouseId,
        field_name: &'static str,
    ) -> Result<Warehouse, StoreError> {
        let row: Option<WarehouseRow> = sqlx::query_as(&format!(
            "SELECT {WAREHOUSE_COLUMNS} FROM warehouses WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        match row {
            Some(r) => warehouse_of(r),
            None => field(field_name, "error.unknown_id"),
        }
    }

    /// The caller's own van, if they have one.
    pub async fn my_van(&self, actor: &Actor) -> Result<Option<Warehouse>, StoreError> {
        let Some(me) = actor.user_id() else {
            return Ok(None);
        };
        let row: Option<WarehouseRow> = sqlx::query_as(&format!(
            "SELECT {WAREHOUSE_COLUMNS} FROM warehouses WHERE tenant_id = $1 AND engineer_id = $2"
        ))
        .bind(self.tid())
        .bind(me.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        row.map(warehouse_of).transpose()
    }

    /// The van of an engineer, if they have one.
    pub(crate) async fn van_of(
        &self,
        tx: &mut Transaction<'_, Any>,
        engineer: UserId,
    ) -> Result<Option<Warehouse>, StoreError> {
        let row: Option<WarehouseRow> = sqlx::query_as(&format!(
            "SELECT {WAREHOUSE_COLUMNS} FROM warehouses WHERE tenant_id = $1 AND engineer_id = $2"
        ))
        .bind(self.tid())
        .bind(engineer.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        row.map(warehouse_of).transpose()
    }

    /// Records one movement. Checks, in this order: the caller moves stock at all (403), the
    /// input (422), the warehouses and the part exist (422), the ticket is one the caller may
    /// see (404), the caller may make this movement there (403), and the stock suffices (409
    /// `insufficient_stock`). With an idempotency key
    /// a retry answers the first movement and records nothing.
    pub async fn record_movement(
        &self,
        actor: &Actor,
        input: StockMovementInput,
        idempotency: Option<Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<MovementView, StoreError> {
        if !inventory::may_move_any(actor) {
            return Err(StoreError::Forbidden);
        }
        let m = inventory::movement(&input.movement)?;
        let part = self.part_by_sku("sku", &input.sku).await?;
        let id = MovementId::new();
        let mut tx = self.store.write.begin().await?;
        if let (Some(idem), Some(user)) = (&idempotency, actor.user_id()) {
            if let Some(first) =
                claim_key(&mut tx, &self.tid(), user, idem, &id.to_string(), now).await?
            {
                drop(tx);
                return self.movement(&first).await;
            }
        }
        let from_field = if m.to.is_some() || input.movement.from.is_some() {
            "from_warehouse_id"
        } else {
            "to_warehouse_id"
        };
        let warehouse = self.warehouse_in(&mut tx, m.warehouse, from_field).await?;
        if let Some(to) = m.to {
            self.warehouse_in(&mut tx, to, "to_warehouse_id").await?;
        }
        if let Some(t) = m.ticket {
            self.require_visible_ticket(&mut tx, actor, t).await?;
        }
        let own_van = warehouse.kind == WarehouseKind::Van
            && warehouse.engineer_id.is_some()
            && warehouse.engineer_id == actor.user_id();
        if !inventory::may_move(actor, m.kind, own_van) {
            return Err(StoreError::Forbidden);
        }
        let levels = apply_movement(
            &mut tx,
            self.store.backend,
            &self.tid(),
            (&part.id, &part.sku),
            &m,
            id,
            actor.user_id(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(MovementView {
            id,
            kind: m.kind.as_str().to_owned(),
            sku: part.sku,
            qty: m.qty,
            from_warehouse_id: (m.to.is_some() || !arriving(m.kind)).then_some(m.warehouse),
            to_warehouse_id: m.to.or(arriving(m.kind).then_some(m.warehouse)),
            ticket_id: m.ticket,
            reason: m.reason,
            actor_id: actor.user_id().map(|u| u.to_string()),
            at: now,
            levels,
        })
    }

    /// The parts a work report records are consumed from the engineer's van, the ticket's
    /// reservation first (an engineer without a van keeps no stock in Loopdesk: nothing to do).
    pub(crate) async fn consume_from_van(
        &self,
        tx: &mut Transaction<'_, Any>,
        engineer: UserId,
        ticket: TicketId,
        parts: &[loopdesk_core::ticket::transitions::PartUsed],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if parts.is_empty() {
            return Ok(());
        }
        let Some(van) = self.van_of(tx, engineer).await? else {
            return Ok(());
        };
        for used in parts {
            let part = self.part_by_sku("report.parts.sku", &used.sku).await?;
            let m = inventory::movement(&MovementRequest {
                kind: "consume".into(),
                qty: used.qty,
                from: Some(van.id),
                to: None,
                ticket: Some(ticket),
                reason: None,
            })
            .map_err(|e| FieldError {
                field: "report.parts.qty",
                reason: e.reason,
            })?;
            let tid = self.tid();
            apply_movement(
                tx,
                self.store.backend,
                &tid,
                (&part.id, &part.sku),
                &m,
                MovementId::new(),
                Some(engineer),
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// One recorded movement (for an idempotent retry).
    async fn movement(&self, id: &str) -> Result<MovementView, StoreError> {
        let lines = self.ledger_where("m.id = $2", id, 10).await?;
        let first = lines.first().ok_or(StoreError::NotFound)?;
        let kind = inventory::MovementKind::parse(&first.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("movement kind {}", first.kind)))?;
        let wh = |l: &LedgerLine| parse_id(&l.warehouse_id, WarehouseId::parse);
        let (from, to) = match (kind, lines.get(1)) {
            (inventory::MovementKind::Transfer, Some(second)) => {
                (Some(wh(first)?), Some(wh(second)?))
            }
            (k, _) if arriving(k) => (None, Some(wh(first)?)),
            _ => (Some(wh(first)?), None),
        };
        let qty = match kind {
            inventory::MovementKind::Reserve | inventory::MovementKind::Release => {
                first.reserved_delta.abs()
            }
            inventory::MovementKind::Adjust => first.on_hand_delta,
            _ => first.on_hand_delta.abs(),
        };
        let mut levels = Vec::new();
        for l in &lines {
            levels.extend(
                self.stock_where(Some(&l.warehouse_id), Some(&l.sku), 1)
                    .await?,
            );
        }
        Ok(MovementView {
            id: parse_id(id, MovementId::parse)?,
            kind: first.kind.clone(),
            sku: first.sku.clone(),
            qty,
            from_warehouse_id: from,
            to_warehouse_id: to,
            ticket_id: first
                .ticket_id
                .as_deref()
                .map(|t| parse_id(t, TicketId::parse))
                .transpose()?,
            reason: first.reason.clone(),
            actor_id: first.actor_id.clone(),
            at: first.at,
            levels,
        })
    }

    /// Stock levels, optionally of one warehouse and/or one part (a pair that never had a
    /// movement has no row), by warehouse and SKU, at most `limit`.
    pub async fn stock(
        &self,
        actor: &Actor,
        warehouse: Option<WarehouseId>,
        sku: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StockItem>, StoreError> {
        if !access::allowed(actor, Permission::ReadStock) {
            return Err(StoreError::Forbidden);
        }
        let w = warehouse.map(|w| w.to_string());
        self.stock_where(w.as_deref(), sku, limit).await
    }

    async fn stock_where(
        &self,
        warehouse: Option<&str>,
        sku: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StockItem>, StoreError> {
        let mut sql = Sql::new(
            "SELECT warehouse_id, sku, on_hand, reserved FROM stock_levels WHERE tenant_id = ",
        );
        sql.text(self.tid());
        if let Some(w) = warehouse {
            sql.push(" AND warehouse_id = ").text(w);
        }
        if let Some(s) = sku {
            sql.push(" AND sku = ").text(s.trim());
        }
        sql.push(" ORDER BY warehouse_id, sku LIMIT ")
            .int(limit.clamp(1, 10_000));
        let rows: Vec<(String, String, i64, i64)> =
            sql.query_as().fetch_all(&self.store.read).await?;
        rows.into_iter()
            .map(|(w, sku, on_hand, reserved)| {
                Ok(StockItem {
                    warehouse_id: parse_id(&w, WarehouseId::parse)?,
                    sku,
                    on_hand,
                    reserved,
                    available: on_hand - reserved,
                })
            })
            .collect()
    }

    /// The ledger, newest first: of one warehouse, one part or one ticket when given.
    pub async fn ledger(
        &self,
        actor: &Actor,
        warehouse: Option<WarehouseId>,
        ticket: Option<TicketId>,
        limit: i64,
    ) -> Result<Vec<LedgerLine>, StoreError> {
        if !access::allowed(actor, Permission::ReadStock) {
            return Err(StoreError::Forbidden);
        }
        match (warehouse, ticket) {
            (Some(w), _) => {
                self.ledger_where("m.warehouse_id = $2", &w.to_string(), limit)
                    .await
            }
            (None, Some(t)) => {
                self.ledger_where("m.ticket_id = $2", &t.to_string(), limit)
                    .await
            }
            (None, None) => self.ledger_where("$2 = $2", "", limit).await,
        }
    }

    pub(crate) async fn ledger_where(
        &self,
        condition: &str,
        value: &str,
        limit: i64,
    ) -> Result<Vec<LedgerLine>, StoreError> {
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            i64,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT m.seq, m.id, m.kind, p.sku, m.warehouse_id, m.on_hand_delta, m.reserved_delta, \
             m.ticket_id, m.reason, m.actor_id, m.at FROM stock_movements m JOIN parts p ON p.id = m.part_id \
             WHERE m.tenant_id = $1 AND {condition} ORDER BY m.seq DESC LIMIT $3"
        ))
        .bind(self.tid())
        .bind(value)
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&self.store.read)
        .await?;
        let mut lines: Vec<LedgerLine> = rows
            .into_iter()
            .map(|r| LedgerLine {
                seq: r.0,
                movement_id: r.1,
                kind: r.2,
                sku: r.3,
                warehouse_id: r.4,
                on_hand_delta: r.5,
                reserved_delta: r.6,
                ticket_id: r.7,
                reason: r.8,
                actor_id: r.9,
                at: from_ms(r.10),
            })
            .collect();
        if condition.starts_with("m.id") {
            lines.reverse();
        }
        Ok(lines)
    }

    /// Sets (or, with `None`, clears) the threshold under which a warehouse's free stock of
    /// a part counts as low.
    pub async fn set_threshold(
        &self,
        actor: &Actor,
        warehouse: WarehouseId,
        sku: &str,
        min_available: Option<i64>,
    ) -> Result<(), StoreError> {
        if !access::allowed(actor, Permission::ManageStock) {
            return Err(StoreError::Forbidden);
        }
        if min_available.is_some_and(|m| !(0..=inventory::MAX_QTY).contains(&m)) {
            return field("min_available", "error.invalid_number");
        }
        let part = self.part_by_sku("sku", sku).await?;
        self.require("warehouses", &warehouse.to_string(), "warehouse_id")
            .await?;
        let mut tx = self.store.write.begin().await?;
        sqlx::query("DELETE FROM stock_thresholds WHERE warehouse_id = $1 AND part_id = $2")
            .bind(warehouse.to_string())
            .bind(part.id.to_string())
            .execute(&mut *tx)
            .await?;
        if let Some(min) = min_available {
            sqlx::query(
                "INSERT INTO stock_thresholds (warehouse_id, part_id, tenant_id, min_available) VALUES ($1, $2, $3, $4)",
            )
            .bind(warehouse.to_string())
            .bind(part.id.to_string())
            .bind(self.tid())
            .bind(min)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every warehouse and part whose free stock is below its threshold (a pair without
    /// any stock row counts as zero), worst first.
    pub async fn low_stock(&self, actor: &Actor) -> Result<Vec<LowStock>, StoreError> {
        if !access::allowed(actor, Permission::ReadStock) {
            return Err(StoreError::Forbidden);
        }
        type Row = (String, String, String, String, i64, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT w.id, w.name, p.sku, p.name, COALESCE(l.on_hand - l.reserved, 0), t.min_available \
             FROM stock_thresholds t JOIN warehouses w ON w.id = t.warehouse_id JOIN parts p ON p.id = t.part_id \
             LEFT JOIN stock_levels l ON l.warehouse_id = t.warehouse_id AND l.part_id = t.part_id \
             WHERE t.tenant_id = $1 AND COALESCE(l.on_hand - l.reserved, 0) < t.min_available",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        let mut out = rows
            .into_iter()
            .map(|r| {
                Ok(LowStock {
                    warehouse_id: parse_id(&r.0, WarehouseId::parse)?,
                    warehouse: r.1,
                    sku: r.2,
                    name: r.3,
                    available: r.4,
                    min_available: r.5,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_by_key(|l| (l.available - l.min_available, l.sku.clone()));
        Ok(out)
    }

    /// Pairs whose stored level is not the sum of their ledger lines (none, unless the
    /// database was edited by hand): `(warehouse, sku, stored, summed)`.
    pub async fn stock_disagreements(
        &self,
    ) -> Result<Vec<(String, String, Level, Level)>, StoreError> {
        type Row = (String, String, i64, i64, i64, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "WITH s AS (SELECT warehouse_id, part_id, SUM(on_hand_delta) AS on_hand, SUM(reserved_delta) AS reserved \
               FROM stock_movements WHERE tenant_id = $1 GROUP BY warehouse_id, part_id) \
             SELECT s.warehouse_id, p.sku, COALESCE(l.on_hand, 0), COALESCE(l.reserved, 0), s.on_hand, s.reserved \
             FROM s JOIN parts p ON p.id = s.part_id \
             LEFT JOIN stock_levels l ON l.warehouse_id = s.warehouse_id AND l.part_id = s.part_id \
             WHERE COALESCE(l.on_hand, 0) <> s.on_hand OR COALESCE(l.reserved, 0) <> s.reserved \
             UNION ALL \
             SELECT l.warehouse_id, l.sku, l.on_hand, l.reserved, 0, 0 FROM stock_levels l \
             LEFT JOIN s ON s.warehouse_id = l.warehouse_id AND s.part_id = l.part_id \
             WHERE l.tenant_id = $1 AND s.warehouse_id IS NULL AND (l.on_hand <> 0 OR l.reserved <> 0)",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(w, sku, so, sr, lo, lr)| {
                (
                    w,
                    sku,
                    Level {
                        on_hand: so,
                        reserved: sr,
                    },
                    Level {
                        on_hand: lo,
                        reserved: lr,
                    },
                )
            })
            .collect())
    }
}

/// Kinds whose one warehouse is where units arrive.
fn arriving(kind: inventory::MovementKind) -> bool {
    use inventory::MovementKind as K;
    matches!(kind, K::Receive | K::Return | K::Adjust)
}

/// Writes a checked movement inside `tx`: locks the level rows it touches (in warehouse
/// order), asks `core::inventory` for the lines and whether the levels allow them, then
/// writes the lines, the levels, the ticket's reservation and, when a level crosses its
/// threshold, a low-stock alert in the outbox. Answers the levels after it.
#[expect(clippy::too_many_arguments, reason = "the movement's parts, named")]
pub(crate) async fn apply_movement(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    tenant: &str,
    (part_id, sku): (&PartId, &str),
    m: &Movement,
    id: MovementId,
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Vec<StockItem>, StoreError> {
    let part = part_id.to_string();
    let mut touched: Vec<WarehouseId> = std::iter::once(m.warehouse).chain(m.to).collect();
    touched.sort();
    // A movement that adds units to a warehouse may be the pair's first: make its row.
    let adds =
        |w: WarehouseId| m.to == Some(w) || (w == m.warehouse && arriving(m.kind) && m.qty > 0);
    let mut before: Vec<(WarehouseId, Level)> = Vec::with_capacity(2);
    for w in &touched {
        if adds(*w) {
            sqlx::query(
                "INSERT INTO stock_levels (warehouse_id, part_id, tenant_id, sku, on_hand, reserved) VALUES ($1, $2, $3, $4, 0, 0) \
                 ON CONFLICT (warehouse_id, part_id) DO NOTHING",
            )
            .bind(w.to_string())
            .bind(&part)
            .bind(tenant)
            .bind(sku)
            .execute(&mut **tx)
            .await?;
        }
        let level: Option<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT on_hand, reserved FROM stock_levels WHERE warehouse_id = $1 AND part_id = $2{}",
            backend.for_update()
        ))
        .bind(w.to_string())
        .bind(&part)
        .fetch_optional(&mut **tx)
        .await?;
        let (on_hand, reserved) = level.unwrap_or((0, 0));
        before.push((*w, Level { on_hand, reserved }));
    }
    let held = match m.ticket {
        Some(t) => sqlx::query_scalar::<_, i64>(
            "SELECT qty FROM stock_reservations WHERE warehouse_id = $1 AND part_id = $2 AND ticket_id = $3",
        )
        .bind(m.warehouse.to_string())
        .bind(&part)
        .bind(t.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .unwrap_or(0),
        None => 0,
    };
    let lines: Vec<Line> = m.lines(held);
    let mut out = Vec::with_capacity(lines.len());
    let mut rows = Vec::with_capacity(lines.len());
    for line in &lines {
        let level = before
            .iter()
            .find(|(w, _)| *w == line.warehouse)
            .map(|(_, l)| *l)
            .unwrap_or_default();
        let line_held = if line.warehouse == m.warehouse {
            held
        } else {
            0
        };
        let (after, held_after) = level.apply(line, line_held).map_err(|s| {
            let (reservation, available) = match s {
                Shortage::Stock { available } => (false, available),
                Shortage::Reservation { held } => (true, held),
            };
            StoreError::InsufficientStock {
                sku: sku.to_owned(),
                warehouse_id: line.warehouse,
                available,
                reservation,
            }
        })?;
        sqlx::query("UPDATE stock_levels SET on_hand = $1, reserved = $2 WHERE warehouse_id = $3 AND part_id = $4")
            .bind(after.on_hand)
            .bind(after.reserved)
            .bind(line.warehouse.to_string())
            .bind(&part)
            .execute(&mut **tx)
            .await?;
        if let (Some(t), true) = (m.ticket, line.ticket_reserved != 0) {
            sqlx::query(
                "INSERT INTO stock_reservations (warehouse_id, part_id, ticket_id, tenant_id, qty) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (warehouse_id, part_id, ticket_id) DO UPDATE SET qty = $5",
            )
            .bind(line.warehouse.to_string())
            .bind(&part)
            .bind(t.to_string())
            .bind(tenant)
            .bind(held_after)
            .execute(&mut **tx)
            .await?;
        }
        let min: Option<i64> = sqlx::query_scalar(
            "SELECT min_available FROM stock_thresholds WHERE warehouse_id = $1 AND part_id = $2",
        )
        .bind(line.warehouse.to_string())
        .bind(&part)
        .fetch_optional(&mut **tx)
        .await?;
        if inventory::crosses_low(level, after, min) {
            let alert = job::StockAlert {
                event: "stock.low".into(),
                warehouse_id: line.warehouse,
                sku: sku.to_owned(),
                available: after.available(),
                min_available: min,
                movement_id: id,
                at: ms(now),
            };
            let job = NewJob::of(tenant, Job::StockAlert(alert), now)
                .keyed(format!("stock:{id}:{}", line.warehouse));
            insert_jobs(tx, [job], now).await?;
        }
        rows.push(vec![
            Arg::Text(Some(id.to_string())),
            Arg::Text(Some(tenant.to_owned())),
            Arg::Text(Some(m.kind.as_str().to_owned())),
            Arg::Text(Some(part.clone())),
            Arg::Text(Some(line.warehouse.to_string())),
            Arg::Int(line.on_hand),
            Arg::Int(line.reserved),
            Arg::Text(m.ticket.map(|t| t.to_string())),
            Arg::Text(m.reason.clone()),
            Arg::Text(actor.map(|a| a.to_string())),
            Arg::Int(ms(now)),
        ]);
        out.push(StockItem {
            warehouse_id: line.warehouse,
            sku: sku.to_owned(),
            on_hand: after.on_hand,
            reserved: after.reserved,
            available: after.available(),
        });
    }
    Sql::new(
        "INSERT INTO stock_movements (id, tenant_id, kind, part_id, warehouse_id, on_hand_delta, \
         reserved_delta, ticket_id, reason, actor_id, at) VALUES ",
    )
    .rows(rows)
    .positional_on(tx)
    .query()
    .execute(&mut **tx)
    .await?;
    Ok(out)
}
