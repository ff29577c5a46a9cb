//! Spare parts and stock (库存管理): what each kind of movement does to the levels, when a
//! level may not go lower, where a requisition's parts come from, and when stock counts as
//! low. The ledger holds movements only; every level is the sum of its lines.

use serde::{Deserialize, Serialize};

use crate::access::{self, Permission};
use crate::ticket::transitions::Actor;
use crate::validate::{self, FieldError};
use crate::Role;
use crate::{RegionId, TicketId, WarehouseId};

/// Most units in one movement (a typo guard, not a business limit).
pub const MAX_QTY: i64 = 1_000_000_000;

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

/// The three kinds of place stock is kept in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarehouseKind {
    /// The central store.
    Central,
    /// A region's shared pool (区域共享库存池).
    Regional,
    /// An engineer's van.
    Van,
}

impl WarehouseKind {
    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            WarehouseKind::Central => "central",
            WarehouseKind::Regional => "regional",
            WarehouseKind::Van => "van",
        }
    }

    /// Reads the stored name.
    pub fn parse(text: &str) -> Option<WarehouseKind> {
        match text {
            "central" => Some(WarehouseKind::Central),
            "regional" => Some(WarehouseKind::Regional),
            "van" => Some(WarehouseKind::Van),
            _ => None,
        }
    }
}

/// What a movement does.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Units arrive from a supplier into a warehouse.
    Receive,
    /// Units leave one warehouse and enter another, in one transaction.
    Transfer,
    /// Units in a warehouse are set aside for a ticket.
    Reserve,
    /// A ticket's reservation is given back.
    Release,
    /// Units are used up on a ticket (its reservation first).
    Consume,
    /// Units come back into a warehouse (unused, or taken back from a site).
    Return,
    /// A stock count (盘点) corrects the level, up or down, with a reason.
    Adjust,
}

impl MovementKind {
    /// Every kind, in the API's order.
    pub const ALL: [MovementKind; 7] = [
        MovementKind::Receive,
        MovementKind::Transfer,
        MovementKind::Reserve,
        MovementKind::Release,
        MovementKind::Consume,
        MovementKind::Return,
        MovementKind::Adjust,
    ];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receive => "receive",
            MovementKind::Transfer => "transfer",
            MovementKind::Reserve => "reserve",
            MovementKind::Release => "release",
            MovementKind::Consume => "consume",
            MovementKind::Return => "return",
            MovementKind::Adjust => "adjust",
        }
    }

    /// Reads the stored name.
    pub fn parse(text: &str) -> Option<MovementKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Movements that only make sense for a ticket.
    pub fn needs_ticket(self) -> bool {
        matches!(
            self,
            MovementKind::Reserve | MovementKind::Release | MovementKind::Consume
        )
    }
}

/// A movement as asked for (API, requisition, work report).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MovementRequest {
    /// The kind's name.
    pub kind: String,
    /// Units (signed only for `adjust`).
    pub qty: i64,
    /// Where units leave from.
    pub from: Option<WarehouseId>,
    /// Where units arrive.
    pub to: Option<WarehouseId>,
    /// The ticket the units are for.
    pub ticket: Option<TicketId>,
    /// Why (required for `adjust`).
    pub reason: Option<String>,
}

/// A checked movement: which warehouse(s) it touches and how many units.
#[derive(Clone, Debug, PartialEq)]
pub struct Movement {
    /// What it does.
    pub kind: MovementKind,
    /// Units (positive, except an `adjust` down).
    pub qty: i64,
    /// The warehouse units leave (transfer) or the one warehouse touched (all others).
    pub warehouse: WarehouseId,
    /// Where a transfer's units arrive.
    pub to: Option<WarehouseId>,
    /// The ticket.
    pub ticket: Option<TicketId>,
    /// Why.
    pub reason: Option<String>,
}

/// Checks a movement request: the kind, a quantity of at least one (an adjustment: any
/// change but zero), the warehouses the kind needs (a transfer: two different ones; any other
/// kind: exactly one, given as `to_warehouse_id` for units that arrive and `from_warehouse_id`
/// for units that leave or are set aside, either accepted), a ticket for reserve, release and
/// consume, and a reason for an adjustment.
pub fn movement(r: &MovementRequest) -> Result<Movement, FieldError> {
    let Some(kind) = MovementKind::parse(r.kind.trim()) else {
        return fail("kind", "error.invalid_value");
    };
    let qty_ok = match kind {
        MovementKind::Adjust => r.qty != 0 && r.qty.abs() <= MAX_QTY,
        _ => (1..=MAX_QTY).contains(&r.qty),
    };
    if !qty_ok {
        return fail("qty", "error.invalid_number");
    }
    let reason = validate::optional_text("reason", r.reason.as_deref(), validate::MAX_NOTE)?;
    if kind == MovementKind::Adjust && reason.is_none() {
        return fail("reason", "error.required");
    }
    if kind.needs_ticket() && r.ticket.is_none() {
        return fail("ticket_id", "error.required");
    }
    let (warehouse, to) = if kind == MovementKind::Transfer {
        match (r.from, r.to) {
            (None, _) => return fail("from_warehouse_id", "error.required"),
            (_, None) => return fail("to_warehouse_id", "error.required"),
            (Some(a), Some(b)) if a == b => {
                return fail("to_warehouse_id", "error.same_warehouse");
            }
            (Some(a), Some(b)) => (a, Some(b)),
        }
    } else {
        let arriving = matches!(kind, MovementKind::Receive | MovementKind::Return);
        match (r.from, r.to) {
            (Some(_), Some(_)) => {
                let field = if arriving {
                    "from_warehouse_id"
                } else {
                    "to_warehouse_id"
                };
                return fail(field, "error.one_warehouse");
            }
            (Some(w), None) | (None, Some(w)) => (w, None),
            (None, None) => {
                let field = if arriving {
                    "to_warehouse_id"
                } else {
                    "from_warehouse_id"
                };
                return fail(field, "error.required");
            }
        }
    };
    Ok(Movement {
        kind,
        qty: r.qty,
        warehouse,
        to,
        ticket: r.ticket,
        reason,
    })
}

/// True when `actor` may record a movement of `kind`: stock keepers (see
/// [`Permission::ManageStock`]) any movement anywhere; an engineer only what happens on a job
/// with their own van (`own_van`): reserve, release, consume and return.
pub fn may_move(actor: &Actor, kind: MovementKind, own_van: bool) -> bool {
    if access::allowed(actor, Permission::ManageStock) {
        return true;
    }
    actor.has(Role::Engineer)
        && own_van
        && matches!(
            kind,
            MovementKind::Reserve
                | MovementKind::Release
                | MovementKind::Consume
                | MovementKind::Return
        )
}

/// True when `actor` may record some movement somewhere (stock keepers and engineers): the
/// check made before anything about the movement is looked up.
pub fn may_move_any(actor: &Actor) -> bool {
    access::allowed(actor, Permission::ManageStock) || actor.has(Role::Engineer)
}

/// One line of the ledger: the change a movement makes to one warehouse's stock of one part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// The warehouse.
    pub warehouse: WarehouseId,
    /// Change of the units on hand.
    pub on_hand: i64,
    /// Change of the units reserved (for any ticket).
    pub reserved: i64,
    /// Change of the movement's ticket's own reservation in this warehouse.
    pub ticket_reserved: i64,
}

impl Movement {
    /// The ledger lines of this movement. `held` is what the movement's ticket has reserved
    /// in the warehouse now: a consumption uses that reservation first.
    pub fn lines(&self, held: i64) -> Vec<Line> {
        let line = |warehouse, on_hand, reserved| Line {
            warehouse,
            on_hand,
            reserved,
            ticket_reserved: reserved,
        };
        let q = self.qty;
        match self.kind {
            MovementKind::Receive | MovementKind::Return | MovementKind::Adjust => {
                vec![line(self.warehouse, q, 0)]
            }
            MovementKind::Transfer => {
                let mut lines = vec![line(self.warehouse, -q, 0)];
                if let Some(to) = self.to {
                    lines.push(line(to, q, 0));
                }
                lines
            }
            MovementKind::Reserve => vec![line(self.warehouse, 0, q)],
            MovementKind::Release => vec![line(self.warehouse, 0, -q)],
            MovementKind::Consume => {
                let from_reservation = held.clamp(0, q);
                vec![line(self.warehouse, -q, -from_reservation)]
            }
        }
    }
}

/// One warehouse's stock of one part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// Units physically there.
    pub on_hand: i64,
    /// Units set aside for tickets.
    pub reserved: i64,
}

/// Why a line cannot be written: it would take stock below zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortage {
    /// Not enough units free (on hand and not reserved): `available` are.
    Stock {
        /// Units free now.
        available: i64,
    },
    /// The ticket has fewer units reserved than it gives back.
    Reservation {
        /// Units the ticket holds.
        held: i64,
    },
}

impl Level {
    /// Units on hand and not reserved.
    pub fn available(self) -> i64 {
        self.on_hand - self.reserved
    }

    /// The level after `line`, with the ticket's reservation `held` before it. Refused when
    /// anything would go below zero: units on hand, units reserved, units free (reserved
    /// never exceeds on hand), or the ticket's own reservation.
    pub fn apply(self, line: &Line, held: i64) -> Result<(Level, i64), Shortage> {
        let after = Level {
            on_hand: self.on_hand + line.on_hand,
            reserved: self.reserved + line.reserved,
        };
        let held_after = held + line.ticket_reserved;
        if held_after < 0 || after.reserved < 0 {
            return Err(Shortage::Reservation { held });
        }
        if after.on_hand < 0 || after.available() < 0 {
            return Err(Shortage::Stock {
                available: self.available().max(0),
            });
        }
        Ok((after, held_after))
    }
}

/// True when a movement takes the free units of a part below its threshold (from at or
/// above it): the moment to raise a low-stock alert, once per crossing.
pub fn crosses_low(before: Level, after: Level, min_available: Option<i64>) -> bool {
    match min_available {
        Some(min) => before.available() >= min && after.available() < min,
        None => false,
    }
}

/// True when a level is below its threshold.
pub fn is_low(level: Level, min_available: Option<i64>) -> bool {
    min_available.is_some_and(|min| level.available() < min)
}

/// A money amount given in yuan (up to two decimals), kept in fen.
pub fn money(field: &'static str, yuan: Option<f64>) -> Result<Option<i64>, FieldError> {
    match yuan {
        None => Ok(None),
        Some(v) if v.is_finite() && (0.0..=1e10).contains(&v) => {
            let fen = (v * 100.0).round();
            if (fen - v * 100.0).abs() > 1e-6 {
                return fail(field, "error.invalid_number");
            }
            #[expect(
                clippy::cast_possible_truncation,
                reason = "bounded to 1e12 fen just above"
            )]
            Ok(Some(fen as i64))
        }
        Some(_) => fail(field, "error.invalid_number"),
    }
}

/// A part to add to the catalogue (the body of `POST /api/v1/parts`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPart {
    /// Stock keeping unit, unique in the tenant.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Unit of count (`个` when none is given).
    #[serde(default)]
    pub unit: Option<String>,
    /// What one unit costs us, in yuan.
    #[serde(default)]
    pub cost: Option<f64>,
    /// What the customer pays for one, in yuan.
    #[serde(default)]
    pub price: Option<f64>,
    /// Models it fits.
    #[serde(default)]
    pub models: Vec<String>,
}

/// A part, checked: the SKU without spaces around it, costs in fen.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidPart {
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Cost in fen.
    pub cost_fen: Option<i64>,
    /// Price in fen.
    pub price_fen: Option<i64>,
    /// Models it fits.
    pub models: Vec<String>,
}

/// Checks a part.
pub fn part(p: &NewPart) -> Result<ValidPart, FieldError> {
    let sku = sku("sku", &p.sku)?;
    let mut models = Vec::new();
    for m in &p.models {
        let m = validate::required_text("models", m, validate::MAX_NAME)?;
        if !models.contains(&m) {
            models.push(m);
        }
    }
    Ok(ValidPart {
        sku,
        name: validate::required_text("name", &p.name, validate::MAX_NAME)?,
        unit: validate::optional_text("unit", p.unit.as_deref(), 16)?
            .unwrap_or_else(|| "个".into()),
        cost_fen: money("cost", p.cost)?,
        price_fen: money("price", p.price)?,
        models,
    })
}

/// A SKU: 1–64 characters, no spaces or control characters.
pub fn sku(field: &'static str, text: &str) -> Result<String, FieldError> {
    let s = validate::required_text(field, text, 64)?;
    if s.chars().any(char::is_whitespace) {
        return fail(field, "error.invalid_value");
    }
    Ok(s)
}

/// A warehouse to create (the body of `POST /api/v1/warehouses`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWarehouse {
    /// Name.
    pub name: String,
    /// `central`, `regional` or `van`.
    pub kind: String,
    /// The engineer whose van it is (vans only, and required for them).
    #[serde(default)]
    pub engineer_id: Option<crate::UserId>,
    /// The region a pool serves.
    #[serde(default)]
    pub region_id: Option<RegionId>,
    /// Where it is.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Where it is.
    #[serde(default)]
    pub lon: Option<f64>,
}

/// Checks a warehouse: a van belongs to an engineer, nothing else does; coordinates come in
/// pairs.
pub fn warehouse(w: &NewWarehouse) -> Result<(String, WarehouseKind), FieldError> {
    let name = validate::required_text("name", &w.name, validate::MAX_NAME)?;
    let Some(kind) = WarehouseKind::parse(w.kind.trim()) else {
        return fail("kind", "error.invalid_value");
    };
    match (kind, w.engineer_id) {
        (WarehouseKind::Van, None) => return fail("engineer_id", "error.required"),
        (WarehouseKind::Central | WarehouseKind::Regional, Some(_)) => {
            return fail("engineer_id", "error.van_only");
        }
        _ => {}
    }
    match (w.lat, w.lon) {
        (Some(lat), Some(lon)) => validate::lat_lon(lat, lon)?,
        (None, None) => {}
        (None, Some(_)) => return fail("lat", "error.required"),
        (Some(_), None) => return fail("lon", "error.required"),
    }
    Ok((name, kind))
}

mod requisition;
pub mod sheet;

pub use requisition::*;

#[cfg(test)]
mod tests;
