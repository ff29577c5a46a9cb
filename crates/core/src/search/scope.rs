//! What a search may find for whom: exactly what the lists show them.

use super::Kind;
use crate::access::{self, Permission, TicketScope};
use crate::knowledge::{self, Readable};
use crate::ticket::Actor;
use crate::{CustomerId, Role};

/// The documents an actor may find.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchScope {
    /// Tickets: the ticket list's scope.
    pub tickets: TicketScope,
    /// Whether internal notes count (staff only).
    pub internal: bool,
    /// Customers and contacts: staff who may read customers find any; a customer's own
    /// people search their tickets and equipment, not the customer list.
    pub customers: bool,
    /// Assets: as customers, and every asset for an engineer (the asset card on site).
    pub assets: Option<Option<CustomerId>>,
    /// Knowledge articles: the ones the knowledge base shows them.
    pub articles: Readable,
}

impl SearchScope {
    /// The scope of `actor`.
    pub fn of(actor: &Actor) -> SearchScope {
        let customers = access::customer_scope(actor);
        let assets = if actor.has(Role::Engineer) || matches!(actor, Actor::System) {
            Some(None)
        } else {
            customers
        };
        SearchScope {
            tickets: access::ticket_scope(actor),
            internal: access::allowed(actor, Permission::InternalNotes),
            customers: customers == Some(None),
            assets,
            articles: knowledge::readable(actor),
        }
    }

    /// Of the kinds asked for (every kind when none is), those this scope can find anything
    /// of (every reader may find some knowledge articles).
    pub fn kinds(&self, asked: &[Kind]) -> Vec<Kind> {
        Kind::ALL
            .into_iter()
            .filter(|k| asked.is_empty() || asked.contains(k))
            .filter(|k| match k {
                Kind::Ticket => !self.tickets.is_empty(),
                Kind::Customer => self.customers,
                Kind::Asset => self.assets.is_some(),
                Kind::Article => true,
            })
            .collect()
    }
}
