//! Spare parts, warehouses and the stock ledger. Every movement writes its ledger lines and
//! the levels they sum to in one transaction, with the level rows locked (in warehouse order,
//! so two transfers never wait on each other) while `core::inventory` decides whether the
//! movement may happen: stock never goes below zero, on either backend, however many
//! requests race.

use chrono::{DateTime, Utc};
use loopdesk_core::inventory::WarehouseKind;
use loopdesk_core::inventory::{self, MovementRequest};
use loopdesk_core::validate::FieldError;
use loopdesk_core::WarehouseId;
use loopdesk_core::{MovementId, PartId, RegionId, TicketId, UserId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::rows::{parse_id, parse_opt_id};
use crate::StoreError;

mod catalogue;
mod load;
pub use catalogue::{CataloguePage, CatalogueRow};
mod movements;
mod parts;
mod sheet;
mod warehouses;
pub(crate) use movements::apply_movement;
pub use sheet::OpeningRow;
mod levels;

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

/// A part free in an engineer's van, as the report form offers it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct VanPart {
    /// Part.
    pub sku: String,
    /// Its name in the catalogue.
    pub name: String,
    /// Units free in the van.
    pub available: i64,
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

/// A stored part.
#[derive(sqlx::FromRow)]
pub(crate) struct PartRow {
    id: String,
    sku: String,
    name: String,
    unit: String,
    cost_fen: Option<i64>,
    price_fen: Option<i64>,
    models: String,
}

fn yuan(fen: Option<i64>) -> Option<f64> {
    #[expect(clippy::cast_precision_loss, reason = "money below 2^53 fen")]
    fen.map(|f| f as f64 / 100.0)
}

fn part_of(r: PartRow) -> Result<Part, StoreError> {
    Ok(Part {
        id: parse_id(&r.id, PartId::parse)?,
        sku: r.sku,
        name: r.name,
        unit: r.unit,
        cost: yuan(r.cost_fen),
        price: yuan(r.price_fen),
        models: serde_json::from_str(&r.models).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        cost_fen: r.cost_fen,
    })
}

/// A stored warehouse ([`WAREHOUSE_COLUMNS`]).
#[derive(sqlx::FromRow)]
pub(crate) struct WarehouseRow {
    id: String,
    name: String,
    kind: String,
    region_id: Option<String>,
    engineer_id: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
}

const WAREHOUSE_COLUMNS: &str = "id, name, kind, region_id, engineer_id, lat, lon";

fn warehouse_of(r: WarehouseRow) -> Result<Warehouse, StoreError> {
    Ok(Warehouse {
        id: parse_id(&r.id, WarehouseId::parse)?,
        kind: WarehouseKind::parse(&r.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("warehouse kind {}", r.kind)))?,
        name: r.name,
        region_id: parse_opt_id(r.region_id, RegionId::parse)?,
        engineer_id: parse_opt_id(r.engineer_id, UserId::parse)?,
        lat: r.lat,
        lon: r.lon,
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
