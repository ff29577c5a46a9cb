//! Handing a ticket to another team.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::{self};
use loopdesk_core::{TeamId, TicketId};

use crate::events::{self, NewEvent};
use crate::rows::parse_opt_id;
use crate::{ms, StoreError, TenantStore};

impl TenantStore {
    /// Hands a ticket to another team (those who dispatch), with a note; an event records
    /// from which team to which. The same team again changes nothing.
    pub async fn transfer_team(
        &self,
        actor: &Actor,
        id: TicketId,
        team: TeamId,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if !access::allowed(actor, Permission::Dispatch) {
            return Err(StoreError::Forbidden);
        }
        let note = validate::optional_text("note", note, validate::MAX_NOTE)?;
        self.require("teams", &team.to_string(), "team_id").await?;
        let scope = access::ticket_scope(actor);
        let mut tx = self.store.write.begin().await?;
        let mut sql = self.visible_ticket("t.team_id", id, &scope);
        sql.push(self.store.backend.for_update());
        let row: Option<(Option<String>,)> = sql.query_as().fetch_optional(&mut *tx).await?;
        let (before,) = row.ok_or(StoreError::NotFound)?;
        if before.as_deref() == Some(team.to_string().as_str()) {
            return Ok(());
        }
        sqlx::query(
            "UPDATE tickets SET team_id = $1, version = version + 1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .bind(team.to_string())
        .bind(ms(now))
        .bind(self.tid())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        let from_team_id = parse_opt_id(before, TeamId::parse)?;
        let moved = Payload::TeamTransferred(payload::TeamTransferred {
            from_team_id,
            to_team_id: team,
            note,
        });
        events::record(
            &mut tx,
            &self.tid(),
            NewEvent::by(actor, id, moved, now),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
