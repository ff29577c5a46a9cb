//! Who may see and do what (DESIGN §6), decided in one place.
//!
//! Visibility of tickets is a [`TicketScope`] that the store turns into one `WHERE` clause,
//! so a list and a single fetch can never disagree. Everything else is a [`Permission`]
//! checked by [`allowed`]. An object outside the scope answers 404, never 403.

use crate::ticket::transitions::Actor;
use crate::{CustomerId, RegionId, Role, UserId};

/// The tickets an actor may see: the union of the parts that are set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketScope {
    /// Every ticket of the tenant.
    pub all: bool,
    /// Tickets in this region (supervisors).
    pub region: Option<RegionId>,
    /// Tickets this engineer is or was assigned to.
    pub engineer: Option<UserId>,
    /// Tickets of this customer (customer contacts).
    pub customer: Option<CustomerId>,
}

impl TicketScope {
    /// True when the scope admits no ticket at all.
    pub fn is_empty(&self) -> bool {
        !self.all && self.region.is_none() && self.engineer.is_none() && self.customer.is_none()
    }
}

/// Computes the ticket scope of an actor from their roles.
pub fn ticket_scope(actor: &Actor) -> TicketScope {
    let Actor::User {
        id,
        roles,
        customer_id,
        region_id,
    } = actor
    else {
        return TicketScope {
            all: true,
            ..TicketScope::default()
        };
    };
    let mut scope = TicketScope::default();
    for role in roles.iter() {
        match role {
            Role::Admin | Role::Manager | Role::Dispatcher | Role::Agent => scope.all = true,
            // A supervisor without a region oversees the whole tenant.
            Role::Supervisor => match region_id {
                Some(r) => scope.region = Some(*r),
                None => scope.all = true,
            },
            Role::Engineer => scope.engineer = Some(*id),
            Role::Customer => scope.customer = *customer_id,
        }
    }
    scope
}

/// Things an actor may do outside the transition table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Record a new request.
    CreateTicket,
    /// Read and search customers (a customer contact: only their own).
    ReadCustomers,
    /// Create and edit customers, contacts, sites and assets.
    WriteCustomers,
    /// Create users and change roles.
    ManageUsers,
    /// List users (to pick an assignee, for instance).
    ListUsers,
    /// Write or read internal notes on a visible ticket.
    InternalNotes,
    /// Create and edit teams, regions and categories.
    ManageOrganisation,
    /// SLA policies, calendars, webhooks, and the job queue.
    ManageAutomation,
    /// Change a visible ticket's priority (its SLA follows).
    ChangePriority,
    /// Work the remediation queue (补救通道) and close its entries.
    Remediate,
    /// Read the service KPIs (supervisors: of their region).
    ReadKpis,
    /// Set the service targets the dashboard judges by (closure rate).
    SetTargets,
    /// Record that the customer asked about progress (催单).
    Chase,
    /// See dispatch proposals (assigning itself follows the transition table).
    Dispatch,
    /// Parts, warehouses, and every stock movement in any warehouse.
    ManageStock,
    /// See stock levels, parts, warehouses and movements.
    ReadStock,
    /// Ask for parts for a ticket (申领).
    RequestParts,
    /// Approve or reject requisitions.
    ApproveRequisitions,
    /// Keep views of the queue and share them with one's team.
    SaveViews,
    /// Read the call log and work the callbacks of missed calls (回电).
    Calls,
    /// Ask the triage models about a request (category, priority, team, duplicates).
    Triage,
    /// Read what the tickets tell as a whole: recurring problems.
    Insights,
    /// Replay a past period under a candidate SLA policy.
    SlaWhatIf,
    /// Write knowledge articles (drafts, edits, sending for review).
    WriteArticles,
    /// Publish, send back and archive knowledge articles.
    ReviewArticles,
    /// Set or correct a ticket's category, or confirm the model's guess.
    ChangeCategory,
    /// Read open tickets' breach and reopen risk, and its backtest.
    Risk,
    /// Read and export the audit trail of admin and security actions.
    ReadAudit,
}

/// True when the actor may do `what`.
pub fn allowed(actor: &Actor, what: Permission) -> bool {
    match actor {
        Actor::System => true,
        Actor::User { .. } => roles_allow(|r| actor.has(r), what),
    }
}

/// True when someone holding the roles `has` answers for may do `what` (a page deciding what
/// to offer from the roles alone).
pub fn roles_allow(has: impl Fn(Role) -> bool, what: Permission) -> bool {
    use Role::*;
    let any = |roles: &[Role]| roles.iter().any(|r| has(*r));
    match what {
        Permission::CreateTicket => any(&[Customer, Agent, Dispatcher, Supervisor, Admin]),
        Permission::ReadCustomers => {
            any(&[Customer, Agent, Dispatcher, Supervisor, Manager, Admin])
        }
        Permission::WriteCustomers => any(&[Agent, Dispatcher, Supervisor, Admin]),
        Permission::ManageUsers | Permission::ManageOrganisation | Permission::ManageAutomation => {
            any(&[Admin])
        }
        Permission::ListUsers => any(&[Agent, Dispatcher, Supervisor, Manager, Admin]),
        Permission::ChangePriority | Permission::ChangeCategory => {
            any(&[Agent, Dispatcher, Supervisor, Admin])
        }
        Permission::Remediate | Permission::Insights => any(&[Supervisor, Manager, Admin]),
        Permission::ReadKpis | Permission::Risk => any(&[Supervisor, Manager, Dispatcher, Admin]),
        Permission::SetTargets | Permission::SlaWhatIf => any(&[Manager, Admin]),
        Permission::ReadAudit => any(&[Admin]),
        Permission::WriteArticles => any(&[Agent, Dispatcher, Engineer, Supervisor, Admin]),
        Permission::ReviewArticles => any(&[Supervisor, Admin]),
        Permission::Chase => any(&[Customer, Agent, Dispatcher, Supervisor, Admin]),
        Permission::Dispatch => any(&[Agent, Dispatcher, Supervisor, Admin]),
        Permission::ManageStock => any(&[Dispatcher, Supervisor, Admin]),
        Permission::ReadStock => any(&[Engineer, Dispatcher, Supervisor, Manager, Admin]),
        Permission::RequestParts => any(&[Engineer, Dispatcher, Supervisor, Admin]),
        Permission::ApproveRequisitions => any(&[Supervisor, Manager, Admin]),
        Permission::SaveViews | Permission::Calls | Permission::Triage => {
            any(&[Agent, Dispatcher, Supervisor, Admin])
        }
        Permission::InternalNotes => {
            any(&[Agent, Dispatcher, Supervisor, Manager, Admin, Engineer])
        }
    }
}

/// A group of tenant settings with its own readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// Dispatch mode and acceptance minutes.
    Dispatch,
    /// Requisition auto-approval.
    Stock,
    /// Service targets.
    Kpi,
    /// Surveys and auto-close.
    FollowUp,
}

/// True when the actor may read a group of settings: those whose work the settings steer
/// (and admins, who change them). Customers and engineers read none: nothing they do depends
/// on them, and the thresholds are the organisation's business.
pub fn reads_setting(actor: &Actor, setting: Setting) -> bool {
    allowed(actor, Permission::ManageAutomation)
        || match setting {
            Setting::Dispatch => allowed(actor, Permission::Dispatch),
            Setting::Stock => {
                allowed(actor, Permission::ManageStock)
                    || allowed(actor, Permission::ApproveRequisitions)
            }
            Setting::Kpi => allowed(actor, Permission::ReadKpis),
            // Whoever talks to customers tells them when a resolved ticket closes by itself.
            Setting::FollowUp => [
                Role::Agent,
                Role::Dispatcher,
                Role::Supervisor,
                Role::Manager,
            ]
            .iter()
            .any(|r| actor.has(*r)),
        }
}

/// Whose KPIs an actor may read: the whole tenant (`Some(None)`), one region (a supervisor
/// of that region), or none.
pub fn kpi_scope(actor: &Actor) -> Option<Option<RegionId>> {
    if !allowed(actor, Permission::ReadKpis) {
        return None;
    }
    let scope = ticket_scope(actor);
    Some(if scope.all { None } else { scope.region })
}

/// Whose tickets an actor may read insights of (recurring problems, risk): the whole tenant
/// (`Some(None)`), one region (a supervisor of that region), or none.
pub fn insight_scope(actor: &Actor) -> Option<Option<RegionId>> {
    if !allowed(actor, Permission::Insights) {
        return None;
    }
    let scope = ticket_scope(actor);
    Some(if scope.all { None } else { scope.region })
}

/// Whose open tickets' risk an actor may read: the whole tenant (`Some(None)`), one region
/// (a supervisor of that region), or none.
pub fn risk_scope(actor: &Actor) -> Option<Option<RegionId>> {
    if !allowed(actor, Permission::Risk) {
        return None;
    }
    let scope = ticket_scope(actor);
    Some(if scope.all { None } else { scope.region })
}

/// The customers an actor may read: all of the tenant, only their own, or none.
pub fn customer_scope(actor: &Actor) -> Option<Option<CustomerId>> {
    if !allowed(actor, Permission::ReadCustomers) {
        return None;
    }
    let staff = [
        Role::Agent,
        Role::Dispatcher,
        Role::Supervisor,
        Role::Manager,
        Role::Admin,
    ];
    if matches!(actor, Actor::System) || staff.iter().any(|r| actor.has(*r)) {
        return Some(None);
    }
    match actor {
        Actor::User {
            customer_id: Some(c),
            ..
        } => Some(Some(*c)),
        _ => None,
    }
}

/// True when the actor may read customer `id` (staff: any of the tenant's; a customer's
/// contact: only their own). A customer they may not read is answered as not found.
pub fn sees_customer(actor: &Actor, id: CustomerId) -> bool {
    match customer_scope(actor) {
        Some(None) => true,
        Some(Some(own)) => own == id,
        None => false,
    }
}

/// True when the actor may read an asset of customer `owner`: whoever may read the customer,
/// and every engineer (the asset card on site; an engineer may be sent to any customer).
pub fn sees_asset(actor: &Actor, owner: CustomerId) -> bool {
    sees_customer(actor, owner) || actor.has(Role::Engineer)
}

/// What an administrator may not do to their own account: take away their own admin role or
/// deactivate themselves. Another admin must, so that a tenant never locks itself out by a
/// slip (the last admin can then never be removed either: whoever removes one is another).
pub fn own_account_change(
    actor: &Actor,
    target: UserId,
    keeps_admin: bool,
    stays_active: bool,
) -> Result<(), crate::validate::FieldError> {
    if actor.user_id() != Some(target) {
        return Ok(());
    }
    let fail = |field, reason| Err(crate::validate::FieldError { field, reason });
    if !stays_active {
        return fail("active", "error.own_account");
    }
    if !keeps_admin && actor.has(Role::Admin) {
        return fail("roles", "error.own_account");
    }
    Ok(())
}

/// An admin does not reset their own password with the one-time reset (it would end their
/// own session and put a password on the screen meant for someone else to hear).
pub fn own_password_reset(
    actor: &Actor,
    target: UserId,
) -> Result<(), crate::validate::FieldError> {
    if actor.user_id() == Some(target) {
        return Err(crate::validate::FieldError {
            field: "id",
            reason: "error.own_account",
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
