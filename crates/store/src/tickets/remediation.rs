//! The remediation queue (补救通道): a ticket goes in on a bad survey or a customer's
//! "not fixed", and comes out once someone has looked after the customer.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::{self};
use loopdesk_core::TicketId;
use sqlx::{Any, Transaction};

use crate::events::{self, NewEvent};
use crate::{StoreError, TenantStore, TicketDetail};
use loopdesk_core::followup::Remediation;

/// Puts a ticket into the remediation queue (补救通道) with an event and a notice to the
/// supervisors; nothing when it is there already.
pub(crate) async fn open_remediation(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    ticket: TicketId,
    reasons: &[Remediation],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let opened = sqlx::query(
        "UPDATE tickets SET remediation = 'open' WHERE tenant_id = $1 AND id = $2 \
         AND (remediation IS NULL OR remediation <> 'open')",
    )
    .bind(tenant)
    .bind(ticket.to_string())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if opened == 0 {
        return Ok(());
    }
    let opened = Payload::RemediationOpened(payload::RemediationOpened {
        reasons: reasons.to_vec(),
    });
    let event = NewEvent::system(ticket, opened, now);
    events::record(tx, tenant, event, Some("ticket.remediation")).await?;
    Ok(())
}

impl TenantStore {
    /// Takes a ticket out of the remediation queue once the customer has been looked after
    /// (supervisor, manager, admin), with a note of what was done.
    pub async fn close_remediation(
        &self,
        actor: &Actor,
        id: TicketId,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<TicketDetail, StoreError> {
        let scope = access::ticket_scope(actor);
        // Visible first (404), then allowed (403), then the input (422).
        self.ticket(&scope, id, true).await?;
        if !access::allowed(actor, Permission::Remediate) {
            return Err(StoreError::Forbidden);
        }
        let note = validate::required_text("note", note, 2000)?;
        let mut tx = self.store.write.begin().await?;
        let done = sqlx::query(
            "UPDATE tickets SET remediation = 'done' WHERE tenant_id = $1 AND id = $2 AND remediation = 'open'",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            return Err(validate::FieldError {
                field: "remediation",
                reason: "error.remediation_not_open",
            }
            .into());
        }
        let done = Payload::RemediationDone(payload::RemediationDone { note });
        events::record(
            &mut tx,
            &self.tid(),
            NewEvent::by(actor, id, done, now),
            None,
        )
        .await?;
        tx.commit().await?;
        self.ticket(&scope, id, true).await
    }
}
