//! Automatic dispatch, for the tenants that chose it: orders whose engineer has not accepted
//! within the minutes allowed go to the next best candidate (one who has not had them), then
//! every new order goes to the engineer the batch plan gives it. Each step is a move by the
//! system through the transition table; a ticket someone changed meanwhile is left to the
//! next run. The plan and the timeout rule are in core (`dispatch`).

use chrono::{DateTime, Utc};
use loopdesk_core::dispatch::auto::{self, Mode};
use loopdesk_core::event::payload::AcceptTimeout;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::ticket::MoveCommand;
use loopdesk_core::{Status, TicketId, UserId};
use loopdesk_store::{Store, StoreError, TenantStore, TransitionRequest};

/// What one run of automatic dispatch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AutoDispatch {
    /// New orders assigned to their proposal.
    pub assigned: usize,
    /// Orders passed on to the next candidate after a timeout.
    pub passed_on: usize,
}

/// One run in every tenant that dispatches automatically.
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<AutoDispatch, StoreError> {
    let mut total = AutoDispatch::default();
    for tenant in store.tenants_dispatching_automatically().await? {
        let done = run_for(&store.tenant(tenant), now).await?;
        total.assigned += done.assigned;
        total.passed_on += done.passed_on;
    }
    Ok(total)
}

/// One run in one tenant (nothing unless it dispatches automatically).
pub async fn run_for(tenant: &TenantStore, now: DateTime<Utc>) -> Result<AutoDispatch, StoreError> {
    let settings = tenant.dispatch_settings().await?;
    let mut done = AutoDispatch::default();
    if settings.mode != Mode::Auto {
        return Ok(done);
    }
    let late: Vec<_> = tenant
        .awaiting_acceptance()
        .await?
        .into_iter()
        .filter(|w| {
            w.assigned_at
                .is_some_and(|at| auto::timed_out(at, now, settings.accept_minutes))
        })
        .collect();
    if !late.is_empty() {
        let ids: Vec<TicketId> = late.iter().map(|w| w.ticket).collect();
        let proposals = tenant
            .proposals_for(Status::Assigned, Some(&ids), None, false, now)
            .await?;
        for p in proposals {
            let Some(next) = p.engineer.map(|e| e.id) else {
                continue;
            };
            let before = late
                .iter()
                .find(|w| w.ticket == p.ticket_id)
                .and_then(|w| w.engineer);
            let timeout = AcceptTimeout {
                engineer_id: before,
                minutes: settings.accept_minutes,
                next,
            };
            tenant
                .record_accept_timeout(p.ticket_id, timeout, now)
                .await?;
            if assign(tenant, p.ticket_id, next, now).await? {
                done.passed_on += 1;
            }
        }
    }
    for p in tenant
        .proposals_for(Status::New, None, None, false, now)
        .await?
    {
        let Some(engineer) = p.engineer.map(|e| e.id) else {
            continue;
        };
        if assign(tenant, p.ticket_id, engineer, now).await? {
            done.assigned += 1;
        }
    }
    Ok(done)
}

/// Assigns by the system; false when someone changed the ticket meanwhile.
async fn assign(
    tenant: &TenantStore,
    ticket: TicketId,
    engineer: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let Some(version) = tenant.ticket_version(&Actor::System, ticket).await? else {
        return Ok(false);
    };
    let req = TransitionRequest {
        version,
        command: MoveCommand {
            to: Some(Status::Assigned),
            assignee_id: Some(engineer),
            ..MoveCommand::default()
        },
    };
    match tenant
        .transition(&Actor::System, ticket, req, None, now)
        .await
    {
        Ok(_) => Ok(true),
        Err(StoreError::Stale { .. } | StoreError::Transition(_)) => Ok(false),
        Err(e) => Err(e),
    }
}
