//! Requisitions (申领): what a request for parts may hold, its worth and whether it is
//! approved without a supervisor, where the parts come from, and the requisition's own
//! transition table: pending → approved or rejected, approved → received.

use crate::access::{self, Permission};
use crate::geo;
use crate::ticket::transitions::Actor;
use crate::validate::FieldError;
use crate::Status;
use crate::WarehouseId;
use serde::{Deserialize, Serialize};

use super::{fail, sku, WarehouseKind, MAX_QTY};

/// Where a requisition stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequisitionStatus {
    /// Waiting for a supervisor.
    Pending,
    /// Approved: the parts were transferred to the van and reserved for the ticket.
    Approved,
    /// Refused, with a reason.
    Rejected,
    /// The engineer has the parts; the ticket went on.
    Received,
}

impl RequisitionStatus {
    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequisitionStatus::Pending => "pending",
            RequisitionStatus::Approved => "approved",
            RequisitionStatus::Rejected => "rejected",
            RequisitionStatus::Received => "received",
        }
    }

    /// Reads the stored name.
    pub fn parse(text: &str) -> Option<RequisitionStatus> {
        [
            RequisitionStatus::Pending,
            RequisitionStatus::Approved,
            RequisitionStatus::Rejected,
            RequisitionStatus::Received,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// True when parts may be requested for a ticket in `status`: from assignment until the
/// work is done.
pub fn takes_requisitions(status: Status) -> bool {
    matches!(
        status,
        Status::Assigned
            | Status::Accepted
            | Status::EnRoute
            | Status::OnSite
            | Status::InProgress
            | Status::WaitingParts
    )
}

/// True when a requisition puts the ticket in `waiting_parts`: its engineer asked for the
/// parts while at work on it (before the visit there is nothing to wait on yet).
pub fn requisition_waits(status: Status, by_assignee: bool) -> bool {
    by_assignee && matches!(status, Status::OnSite | Status::InProgress)
}

/// True when the ticket goes back to work as a requisition's parts arrive: it waits for
/// parts and no other requisition of it is still pending or on its way.
pub fn parts_arrived(status: Status, still_open: i64) -> bool {
    status == Status::WaitingParts && still_open == 0
}

/// True when `actor` may say a requisition's parts reached the van: the van's engineer, or
/// a stock keeper.
pub fn may_receive(actor: &Actor, own_van: bool) -> bool {
    own_van || access::allowed(actor, Permission::ManageStock)
}

/// Most lines in one requisition.
pub const MAX_REQUISITION_ITEMS: usize = 50;

/// Checks a requisition's items (SKU and quantity each, at least one, the same SKU at most
/// once) and answers them normalised.
pub fn requisition_items(items: &[(String, i64)]) -> Result<Vec<(String, i64)>, FieldError> {
    if items.is_empty() {
        return fail("items", "error.required");
    }
    if items.len() > MAX_REQUISITION_ITEMS {
        return fail("items", "error.too_many_lines");
    }
    let mut out: Vec<(String, i64)> = Vec::with_capacity(items.len());
    for (s, q) in items {
        let s = sku("items.sku", s)?;
        if !(1..=MAX_QTY).contains(q) {
            return fail("items.qty", "error.invalid_number");
        }
        if out.iter().any(|(o, _)| *o == s) {
            return fail("items.sku", "error.duplicate");
        }
        out.push((s, *q));
    }
    Ok(out)
}

/// What a requisition is worth, in fen: the sum of cost × units over its lines (`(cost in
/// fen, units)`); unknown when a part has no cost.
pub fn requisition_value(lines: &[(Option<i64>, i64)]) -> Option<i64> {
    lines.iter().try_fold(0i64, |sum, (cost, qty)| {
        cost.map(|c| sum.saturating_add(c.saturating_mul(*qty)))
    })
}

/// True when a requisition worth `value_fen` is approved without a supervisor: the tenant
/// set a limit and the value is under it. A requisition with a part of unknown cost is never
/// approved automatically.
pub fn auto_approves(value_fen: Option<i64>, limit_fen: Option<i64>) -> bool {
    matches!((value_fen, limit_fen), (Some(v), Some(l)) if v < l)
}

/// A warehouse that might supply a requisition's line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Source {
    /// The warehouse.
    pub id: WarehouseId,
    /// Its kind.
    pub kind: WarehouseKind,
    /// Where it is, when known.
    pub position: Option<(f64, f64)>,
    /// Units free there now.
    pub available: i64,
}

/// Where `qty` units should come from for a van at `to` (the engineer's position, or the
/// ticket's site): a warehouse that has them all free, a regional pool before the central
/// store, then the nearest (one without a position last). Vans never supply each other.
pub fn choose_source(qty: i64, to: Option<(f64, f64)>, sources: &[Source]) -> Option<WarehouseId> {
    let distance = |s: &Source| match (s.position, to) {
        (Some((a, b)), Some((c, d))) => geo::haversine_km(a, b, c, d),
        _ => f64::INFINITY,
    };
    sources
        .iter()
        .filter(|s| s.kind != WarehouseKind::Van && s.available >= qty)
        .min_by(|a, b| {
            let rank = |s: &Source| u8::from(s.kind != WarehouseKind::Regional);
            rank(a)
                .cmp(&rank(b))
                .then(distance(a).total_cmp(&distance(b)))
                .then(a.id.cmp(&b.id))
        })
        .map(|s| s.id)
}

/// A decision on a requisition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequisitionMove {
    /// A supervisor (or the tenant's limit) approves: the parts are reserved for the van.
    Approve,
    /// A supervisor turns it down, with a reason.
    Reject,
    /// The parts reached the van.
    Receive,
}

/// One row of the requisition table: the move, from which status, to which, and the reason
/// a move from any other status is refused with.
#[derive(Clone, Copy, Debug)]
pub struct RequisitionRule {
    /// The move.
    pub kind: RequisitionMove,
    /// The status it starts from.
    pub from: RequisitionStatus,
    /// The status it goes to.
    pub to: RequisitionStatus,
    /// Translation key of the refusal from another status.
    pub refused: &'static str,
}

/// THE requisition table. Who may make each move is `access` (approve, reject) and
/// [`may_receive`].
pub const REQUISITION_RULES: [RequisitionRule; 3] = [
    RequisitionRule {
        kind: RequisitionMove::Approve,
        from: RequisitionStatus::Pending,
        to: RequisitionStatus::Approved,
        refused: "error.requisition_decided",
    },
    RequisitionRule {
        kind: RequisitionMove::Reject,
        from: RequisitionStatus::Pending,
        to: RequisitionStatus::Rejected,
        refused: "error.requisition_decided",
    },
    RequisitionRule {
        kind: RequisitionMove::Receive,
        from: RequisitionStatus::Approved,
        to: RequisitionStatus::Received,
        refused: "error.requisition_not_approved",
    },
];

/// The status a move takes a requisition in `current` to, or the reason it is refused.
pub fn move_requisition(
    current: RequisitionStatus,
    kind: RequisitionMove,
) -> Result<RequisitionStatus, &'static str> {
    let rule = REQUISITION_RULES
        .iter()
        .find(|r| r.kind == kind)
        .ok_or("error.requisition_decided")?;
    if rule.from == current {
        Ok(rule.to)
    } else {
        Err(rule.refused)
    }
}

impl RequisitionStatus {
    /// The statuses in which a requisition still keeps its ticket waiting for parts.
    pub const OPEN: [RequisitionStatus; 2] =
        [RequisitionStatus::Pending, RequisitionStatus::Approved];
}
