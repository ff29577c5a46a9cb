//! Merging a duplicate into another ticket (core's `ticket::merge`): the duplicate is
//! cancelled by the transition table's cancel move, points at the other ticket, and its files
//! move there; each ticket's log records the other, and the other's search document carries
//! the duplicate's number, so either number finds it.

use chrono::{DateTime, Utc};
use loopdesk_core::access;
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::search::Kind;
use loopdesk_core::ticket::merge::{self, MergeSide};
use loopdesk_core::ticket::{plan_move, Actor, MoveCommand};
use loopdesk_core::{Status, TicketId};

use super::*;
use crate::events::{self, NewEvent};
use crate::search::index;
use crate::{ms, StoreError, TenantStore, TicketDetail};

impl TicketRow {
    fn merge_side(&self) -> Result<MergeSide, StoreError> {
        Ok(MergeSide {
            id: parse_id(&self.id, TicketId::parse)?,
            status: self.status()?,
            customer_id: parse_opt_id(self.customer_id.clone(), CustomerId::parse)?,
            visit_count: self.visit_count,
            merged_into: parse_opt_id(self.merged_into.clone(), TicketId::parse)?,
        })
    }
}

impl TenantStore {
    /// Merges `duplicate` (at `version`) into `into`, in one transaction; answers `into` as the
    /// actor sees it. Refused: either not visible (`NotFound`), a stale version (`Stale`), the
    /// merge rule (`Invalid` on `into`), or the table's cancel move (`Transition`).
    pub async fn merge_ticket(
        &self,
        actor: &Actor,
        duplicate: TicketId,
        version: i64,
        into: TicketId,
        now: DateTime<Utc>,
    ) -> Result<TicketDetail, StoreError> {
        let scope = access::ticket_scope(actor);
        let mut tx = self.store.write.begin().await?;
        // Both rows locked in id order, so two merges of the same pair cannot deadlock.
        let (row, target) = if duplicate.to_string() < into.to_string() {
            let row = self
                .lock_current(&mut tx, duplicate, &scope, version)
                .await?;
            (row, self.lock_row(&mut tx, into, &scope).await?)
        } else {
            let target = self.lock_row(&mut tx, into, &scope).await?;
            (
                self.lock_current(&mut tx, duplicate, &scope, version)
                    .await?,
                target,
            )
        };
        merge::check(row.merge_side()?, target.merge_side()?)?;
        let facts = self.facts(&mut tx, &row).await?;
        let command = MoveCommand {
            to: Some(Status::Cancelled),
            reason: Some(target.number.clone()),
            ..MoveCommand::default()
        };
        let policy = self.settings().await?.policy;
        let plan = plan_move(&facts, actor, &command, None, &policy, now)?;
        self.write_plan(&mut tx, actor, &row, facts, &plan, now)
            .await?;
        let (tid, t) = (self.tid(), ms(now));
        sqlx::query("UPDATE tickets SET merged_into = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(into.to_string())
            .bind(&tid)
            .bind(duplicate.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE tickets SET version = version + 1, updated_at = $1 WHERE tenant_id = $2 AND id = $3",
        )
        .bind(t)
        .bind(&tid)
        .bind(into.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE attachments SET ticket_id = $1 WHERE tenant_id = $2 AND ticket_id = $3",
        )
        .bind(into.to_string())
        .bind(&tid)
        .bind(duplicate.to_string())
        .execute(&mut *tx)
        .await?;
        let went = Payload::Merged(payload::MergedTicket {
            ticket_id: into,
            number: target.number.clone(),
        });
        events::record(
            &mut tx,
            &tid,
            NewEvent::by(actor, duplicate, went, now),
            None,
        )
        .await?;
        let came = Payload::MergedIn(payload::MergedTicket {
            ticket_id: duplicate,
            number: row.number.clone(),
        });
        events::record(&mut tx, &tid, NewEvent::by(actor, into, came, now), None).await?;
        index::refresh(&mut tx, &tid, Kind::Ticket, &[into.to_string()]).await?;
        tx.commit().await?;
        self.ticket(&scope, into, sees_internal(actor)).await
    }

    /// The open tickets of the same asset, then of the same customer, other than `id` (at
    /// most 20, the asset's first, newest first within each): the duplicates to consider.
    pub async fn open_related(
        &self,
        actor: &Actor,
        ticket: &Ticket,
    ) -> Result<Vec<(Ticket, bool)>, StoreError> {
        let (asset, customer) = (ticket.asset_id, ticket.customer_id);
        if asset.is_none() && customer.is_none() {
            return Ok(Vec::new());
        }
        let mut filter = crate::TicketFilter {
            status: Status::OPEN.to_vec(),
            limit: Some(21),
            ..crate::TicketFilter::default()
        };
        let mut out: Vec<(Ticket, bool)> = Vec::new();
        if let Some(a) = asset {
            filter.asset_id = Some(a);
            for t in self.tickets_for(actor, &filter).await?.items {
                if t.id != ticket.id {
                    out.push((t, true));
                }
            }
            filter.asset_id = None;
        }
        if let Some(c) = customer {
            filter.customer_id = Some(c);
            for t in self.tickets_for(actor, &filter).await?.items {
                if t.id != ticket.id && !out.iter().any(|(o, _)| o.id == t.id) {
                    out.push((t, false));
                }
            }
        }
        out.truncate(20);
        Ok(out)
    }
}
