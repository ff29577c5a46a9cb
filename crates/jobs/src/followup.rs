//! After resolution: the survey that falls due, and the auto-close of fixes the customer
//! left unconfirmed. The rules (when a survey is due, after how many days a fix closes by
//! itself) are in `loopdesk_core::followup`; the store records.

use chrono::{DateTime, Utc};
use loopdesk_core::followup::FollowUp;
use loopdesk_core::job::SurveyDue;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::ticket::MoveCommand;
use loopdesk_core::{Status, TenantId};
use loopdesk_store::{Store, StoreError, TransitionRequest};

/// Sends the survey of one resolution; nothing when the ticket was reopened since (a new
/// resolution brings its own survey) or cancelled.
pub(crate) async fn send_survey(
    store: &Store,
    tenant: TenantId,
    due: &SurveyDue,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store
        .tenant(tenant)
        .send_survey(due.ticket_id, due.round, now)
        .await
}

/// Closes up to `limit` resolved tickets the customer left unconfirmed for their tenant's
/// auto-close days, as the system: the event says `auto_close` and the ticket
/// `confirmed_by: auto`. A ticket someone moves meanwhile is left alone. Answers how many
/// it looked at and how many closed.
pub(crate) async fn auto_close(
    store: &Store,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<(usize, usize), StoreError> {
    // The shortest wait any tenant may set, to let the index narrow the search; each
    // tenant's own rule is checked below.
    let earliest = FollowUp {
        auto_close_days: 1,
        ..FollowUp::default()
    }
    .auto_close_cutoff(now);
    let waiting = store.resolved_before(earliest, limit).await?;
    let mut closed = 0;
    for w in &waiting {
        let tenant = store.tenant(w.tenant);
        if tenant.follow_up().await?.auto_close_at(w.resolved_at) > now {
            continue;
        }
        let close = TransitionRequest {
            version: w.version,
            command: MoveCommand {
                to: Some(Status::Closed),
                ..MoveCommand::default()
            },
        };
        match tenant
            .transition(&Actor::System, w.ticket, close, None, now)
            .await
        {
            Ok(_) => closed += 1,
            Err(StoreError::Stale { .. } | StoreError::Transition(_) | StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((waiting.len(), closed))
}
