//! Appending to the ticket event log, the one way any write adds a ticket event.
//!
//! An event is a [`NewEvent`]: its kind and data are a typed [`Payload`] from core. Appending
//! writes the events in one statement and folds each into its ticket's KPI facts in the same
//! transaction ([`append`]): the facts row is read, the new events applied
//! ([`Facts::apply`]) and written back, so the facts never disagree with the log and nothing
//! re-reads the log. A ticket's `created` event starts its facts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use loopdesk_core::event::{By, Event, EventKind, Payload};
use loopdesk_core::kpi::Facts;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{Status, TicketId, UserId};
use sqlx::{Any, Transaction};

use crate::dialect::Backend;
use crate::sql::{Arg, Sql};
use crate::{facts, ms, StoreError};

/// `INSERT` of ticket events; rows from [`NewEvent::row`] follow.
pub(crate) const EVENT_INSERT: &str =
    "INSERT INTO ticket_events (tenant_id, ticket_id, kind, actor_id, at, \
    from_status, to_status, internal, data) VALUES ";

/// A ticket event to append.
#[derive(Clone, Debug)]
pub(crate) struct NewEvent {
    /// The ticket.
    pub ticket: TicketId,
    /// What happened.
    pub payload: Payload,
    /// The person, if one acted.
    pub actor: Option<UserId>,
    /// Customer, staff or the system.
    pub by: By,
    /// When.
    pub at: DateTime<Utc>,
    /// A move's statuses.
    pub from: Option<Status>,
    /// The status a move went to.
    pub to: Option<Status>,
    /// Staff only.
    pub internal: bool,
}

impl NewEvent {
    /// What `actor` did to `ticket` (not a move).
    pub fn by(actor: &Actor, ticket: TicketId, payload: Payload, at: DateTime<Utc>) -> NewEvent {
        NewEvent {
            ticket,
            payload,
            actor: actor.user_id(),
            by: By::of(actor),
            at,
            from: None,
            to: None,
            internal: false,
        }
    }

    /// What the system did to `ticket` (not a move).
    pub fn system(ticket: TicketId, payload: Payload, at: DateTime<Utc>) -> NewEvent {
        NewEvent::by(&Actor::System, ticket, payload, at)
    }

    /// The same event as a move from one status to another.
    pub fn moving(self, from: Status, to: Status) -> NewEvent {
        NewEvent {
            from: Some(from),
            to: Some(to),
            ..self
        }
    }

    /// The same event as the start of a ticket's life, in status `to`.
    pub fn moving_to(self, to: Status) -> NewEvent {
        NewEvent {
            to: Some(to),
            ..self
        }
    }

    /// The same event, seen by staff only.
    pub fn internal(self, internal: bool) -> NewEvent {
        NewEvent { internal, ..self }
    }

    /// The event as the rules read it.
    pub fn as_event(&self) -> Event<'_> {
        Event {
            payload: &self.payload,
            at: ms(self.at),
            to: self.to,
            by: self.by,
            internal: self.internal,
        }
    }

    /// Its values, in [`EVENT_INSERT`]'s order.
    fn row(&self, tenant: &str) -> Vec<Arg> {
        EventRow {
            ticket: self.ticket,
            payload: &self.payload,
            actor: self.actor,
            at: self.at,
            from: self.from,
            to: self.to,
            internal: self.internal,
        }
        .row(tenant)
    }
}

/// An event's columns, borrowed (the history import writes its events without copying them).
pub(crate) struct EventRow<'a> {
    pub ticket: TicketId,
    pub payload: &'a Payload,
    pub actor: Option<UserId>,
    pub at: DateTime<Utc>,
    pub from: Option<Status>,
    pub to: Option<Status>,
    pub internal: bool,
}

impl EventRow<'_> {
    /// Its values, in [`EVENT_INSERT`]'s order.
    pub fn row(&self, tenant: &str) -> Vec<Arg> {
        vec![
            Arg::Text(Some(tenant.to_owned())),
            Arg::Text(Some(self.ticket.to_string())),
            Arg::Text(Some(self.payload.kind().as_str().to_owned())),
            Arg::Text(self.actor.map(|u| u.to_string())),
            Arg::Int(ms(self.at)),
            Arg::Text(self.from.map(|s| s.as_str().to_owned())),
            Arg::Text(self.to.map(|s| s.as_str().to_owned())),
            Arg::Int(i64::from(self.internal)),
            Arg::Text(Some(self.payload.data_text())),
        ]
    }
}

/// Appends `events` of the tenant's tickets inside `tx`, and their tickets' facts with them;
/// answers each touched ticket's facts after the events.
pub(crate) async fn append(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    events: &[NewEvent],
) -> Result<HashMap<TicketId, Facts>, StoreError> {
    if events.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = Backend::of_connection(tx);
    Sql::new(EVENT_INSERT)
        .rows(events.iter().map(|e| e.row(tenant)))
        .positional_for(backend)
        .query()
        .execute(&mut **tx)
        .await?;
    // Tickets that start here need no read; the others' facts are read (and locked).
    let mut facts: HashMap<TicketId, Facts> = events
        .iter()
        .filter(|e| e.payload.kind() == EventKind::Created)
        .map(|e| (e.ticket, Facts::new(ms(e.at))))
        .collect();
    let mut older: Vec<TicketId> = events
        .iter()
        .map(|e| e.ticket)
        .filter(|t| !facts.contains_key(t))
        .collect();
    older.sort_unstable();
    older.dedup();
    let stored = facts::read(tx, backend, tenant, &older).await?;
    let missing: Vec<TicketId> = older
        .iter()
        .filter(|t| !stored.contains_key(t))
        .copied()
        .collect();
    facts.extend(stored);
    for e in events {
        if let Some(f) = facts.get_mut(&e.ticket) {
            f.apply(&e.as_event());
        }
    }
    facts::write(tx, tenant, facts.iter()).await?;
    if !missing.is_empty() {
        // A ticket without facts (a database restored from before them could hold one): its
        // whole log, these events included, is folded once.
        facts::refresh(tx, tenant, &missing).await?;
        facts.extend(facts::read(tx, backend, tenant, &missing).await?);
    }
    Ok(facts)
}

/// Appends one event inside `tx` and, when `publish` names an outbox event, its entry with
/// the event's data; answers the ticket's facts after it.
pub(crate) async fn record(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    event: NewEvent,
    publish: Option<&str>,
) -> Result<Facts, StoreError> {
    if let Some(name) = publish {
        let mut data = event.payload.data();
        // Who did it: a customer's own reply is not mailed back to them (core followup).
        if let Some(fields) = data.as_object_mut() {
            fields.insert("by".into(), event.by.as_str().into());
        }
        crate::outbox::enqueue_publish(tx, tenant, event.ticket, name, &data, event.at).await?;
    }
    let ticket = event.ticket;
    let mut facts = append(tx, tenant, std::slice::from_ref(&event)).await?;
    facts
        .remove(&ticket)
        .ok_or_else(|| StoreError::Corrupt(format!("no facts for ticket {ticket}")))
}
