//! Dispatch by hand: every engineer for one order with why the ruled-out are out (from the
//! engine's inputs), and the assignment a person chooses, checked by core's
//! `dispatch::hand_choice` and made through the transition table.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::dispatch::{self, auto::Mode};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::ticket::MoveCommand;
use loopdesk_core::{Status, TicketId, UserId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{StoreError, TenantStore, TicketDetail, TransitionRequest};

/// One engineer as a person choosing by hand sees them: how far, how loaded, how skilled,
/// and — when they may not take the order — why.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HandCandidate {
    /// User id.
    pub id: UserId,
    /// Name.
    pub display_name: String,
    /// Great-circle km to the site (none: either position unknown).
    pub km: Option<f64>,
    /// Estimated road km.
    pub road_km: Option<f64>,
    /// Open orders now.
    pub load: i64,
    /// How many they take at once.
    pub capacity: i64,
    /// Their level in the order's skill (0: none needed, or none held).
    pub level: u8,
    /// On duty.
    pub on_duty: bool,
    /// Why they may not take it (`no_skill`, `level_too_low`, `off_duty`, `out_of_shift`,
    /// `other_region`, `no_position`, `full`, `tried_already`); none: eligible.
    #[schema(value_type = Option<String>)]
    pub excluded: Option<dispatch::Exclusion>,
}

/// Everyone who could take one order, for a person to choose.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HandDispatch {
    /// The ticket.
    pub ticket_id: TicketId,
    /// Its number.
    pub number: String,
    /// Its subject.
    pub subject: String,
    /// 1–4.
    pub priority: i64,
    /// Its status.
    pub status: Status,
    /// The engineer the engine would choose now (none: nobody, or dispatch is off).
    pub proposed: Option<UserId>,
    /// The eligible first (nearest, then least loaded), then the others with why.
    pub engineers: Vec<HandCandidate>,
}

impl TenantStore {
    /// Every active engineer for one order the caller may see and dispatch: the eligible ones
    /// best first, then those who may not take it, with the reason (core's dispatch rules).
    pub async fn hand_dispatch(
        &self,
        actor: &Actor,
        ticket: TicketId,
        cross_region: bool,
        now: DateTime<Utc>,
    ) -> Result<HandDispatch, StoreError> {
        if !access::allowed(actor, Permission::Dispatch) {
            return Err(StoreError::Forbidden);
        }
        // The ticket's own row is all this needs: no events.
        self.ticket_row_visible(actor, ticket).await?;
        let t = self.ticket_without_events(ticket).await?;
        let one = [ticket];
        let inputs = self
            .dispatch_inputs(t.status, Some(&one), None, cross_region, now)
            .await?;
        let Some(order) = inputs.orders.first() else {
            return Err(StoreError::NotFound);
        };
        let why = dispatch::explain(order, &inputs.engineers, &inputs.opts);
        let road = inputs.opts.road_factor;
        let person = |j: usize, km: Option<f64>, level: u8, excluded| {
            let (v, e) = (&inputs.views[j], &inputs.engineers[j]);
            HandCandidate {
                id: v.id,
                display_name: v.display_name.clone(),
                km,
                road_km: km.map(|k| k * road),
                load: e.load,
                capacity: e.capacity,
                level,
                on_duty: v.on_duty,
                excluded,
            }
        };
        let distance = |j: usize| {
            let (p, q) = (order.position?, inputs.engineers[j].position?);
            Some(loopdesk_core::geo::haversine_km(p.lat, p.lon, q.lat, q.lon))
        };
        let level = |j: usize| {
            order.skill.as_ref().map_or(0, |skill| {
                inputs.engineers[j]
                    .skills
                    .iter()
                    .find(|s| &s.name == skill)
                    .map_or(0, |s| s.level)
            })
        };
        let mut engineers: Vec<HandCandidate> = why
            .candidates
            .iter()
            .map(|c| person(c.engineer, Some(c.km), c.level, None))
            .collect();
        let mut out: Vec<HandCandidate> = why
            .excluded
            .iter()
            .map(|(j, reason)| person(*j, distance(*j), level(*j), Some(*reason)))
            .collect();
        out.sort_by(|a, b| {
            (a.excluded, a.km.unwrap_or(f64::MAX))
                .partial_cmp(&(b.excluded, b.km.unwrap_or(f64::MAX)))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        engineers.extend(out);
        let proposed = if self.dispatch_settings().await?.mode == Mode::Off {
            None
        } else {
            why.candidates.first().map(|c| inputs.views[c.engineer].id)
        };
        Ok(HandDispatch {
            ticket_id: t.id,
            number: t.number,
            subject: t.subject,
            priority: t.priority,
            status: t.status,
            proposed,
            engineers,
        })
    }
}

impl TenantStore {
    /// Assigns an order to the engineer a person chose from [`TenantStore::hand_dispatch`]:
    /// one the rules leave out only for a reason a person may override, and then with a note
    /// (core's `dispatch::hand_choice`); the move itself follows the transition table, and a
    /// choice other than the engine's is recorded as an override with the note.
    pub async fn hand_assign(
        &self,
        actor: &Actor,
        ticket: TicketId,
        engineer: UserId,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<TicketDetail, StoreError> {
        let hand = self.hand_dispatch(actor, ticket, false, now).await?;
        let invalid = |reason| {
            StoreError::Invalid(loopdesk_core::validate::FieldError {
                field: "engineer_id",
                reason,
            })
        };
        let chosen = hand
            .engineers
            .iter()
            .find(|e| e.id == engineer)
            .ok_or_else(|| invalid("error.invalid_value"))?;
        dispatch::hand_choice(chosen.excluded, note)?;
        let version = self
            .ticket_version(actor, ticket)
            .await?
            .ok_or(StoreError::NotFound)?;
        let note = note.trim();
        let req = TransitionRequest {
            version,
            command: MoveCommand {
                to: Some(Status::Assigned),
                assignee_id: Some(engineer),
                note: (!note.is_empty()).then(|| note.chars().take(2000).collect()),
                ..Default::default()
            },
        };
        self.transition(actor, ticket, req, None, now).await
    }
}
