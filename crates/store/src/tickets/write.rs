//! Writing a batch of new tickets: idempotency keys, one number counter update per tenant
//! and day, then every ticket, its `created` event (with its facts) and its outbox entry
//! in a statement each; on a failure, each ticket again in a savepoint of its own.

use super::batch::{failed, Outcome, TicketInsert};
use crate::events::{self, NewEvent};
use crate::idempotency::claim_key;
use crate::outbox::{insert_jobs, publish};
use crate::search::index::{self, DocWords};
use crate::sql::{Arg, Sql};
use crate::{ms, StoreError};
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::search::{self, Kind};
use loopdesk_core::ticket::number::{format_number, numbering_day};
use loopdesk_core::{Status, TicketId};
use sqlx::{Any, Transaction};

pub(super) async fn write_all(
    tx: &mut Transaction<'_, Any>,
    inserts: &[TicketInsert],
    careful: bool,
) -> Vec<Result<Outcome, StoreError>> {
    let mut results: Vec<Option<Result<Outcome, StoreError>>> =
        inserts.iter().map(|_| None).collect();
    // 1. Idempotency keys: a key seen before answers its first ticket.
    for (i, t) in inserts.iter().enumerate() {
        let Some(idem) = &t.idempotency else {
            continue;
        };
        let user = crate::idempotency::key_owner(t.created_by);
        let claimed = async {
            begin_item(tx, careful).await?;
            let r = claim_key(tx, &t.tenant, user, idem, &t.id.to_string(), t.now).await;
            end_item(tx, careful, r.is_ok()).await?;
            r
        }
        .await;
        match claimed {
            Ok(None) => {}
            Ok(Some(existing)) => {
                results[i] = Some(
                    TicketId::parse(&existing)
                        .map(Outcome::Replayed)
                        .ok_or_else(|| StoreError::Corrupt(existing)),
                );
            }
            Err(e) => results[i] = Some(Err(e)),
        }
    }
    // 2. Numbers: one counter update per tenant and local day.
    let mut numbers: Vec<Option<String>> = inserts.iter().map(|_| None).collect();
    let mut groups: Vec<((String, chrono::NaiveDate), Vec<usize>)> = Vec::new();
    for (i, t) in inserts
        .iter()
        .enumerate()
        .filter(|(i, _)| results[*i].is_none())
    {
        let key = (t.tenant.clone(), numbering_day(t.now, t.offset));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    for ((tenant, day), members) in &groups {
        let n = members.len() as i64;
        let last: Result<i64, sqlx::Error> = sqlx::query_scalar(
            "INSERT INTO ticket_counters (tenant_id, day, last) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, day) DO UPDATE SET last = ticket_counters.last + $3 RETURNING last",
        )
        .bind(tenant)
        .bind(day.to_string())
        .bind(n)
        .fetch_one(&mut **tx)
        .await;
        match last {
            Ok(last) => {
                for (k, i) in members.iter().enumerate() {
                    numbers[*i] =
                        Some(format_number(*day, (last - n + 1 + k as i64).max(0) as u64));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for i in members {
                    results[*i] = Some(Err(StoreError::Database(sqlx::Error::Protocol(
                        msg.clone(),
                    ))));
                }
            }
        }
    }
    // 3. Tickets, their `created` events and outbox entries: on the fast path three
    //    statements for the whole batch; on the careful path each ticket in a savepoint.
    let ready: Vec<(usize, String)> = (0..inserts.len())
        .filter(|i| results[*i].is_none())
        .filter_map(|i| numbers[i].take().map(|n| (i, n)))
        .collect();
    if careful {
        for (i, number) in ready {
            let written = async {
                begin_item(tx, careful).await?;
                let r = insert_tickets(tx, &[(&inserts[i], number.as_str())]).await;
                end_item(tx, careful, r.is_ok()).await?;
                r
            }
            .await;
            results[i] = Some(written.map(|()| Outcome::Created(number)));
        }
    } else {
        let rows: Vec<(&TicketInsert, &str)> = ready
            .iter()
            .map(|(i, n)| (&inserts[*i], n.as_str()))
            .collect();
        let written = insert_tickets(tx, &rows).await;
        for (i, number) in ready {
            results[i] = Some(match &written {
                Ok(()) => Ok(Outcome::Created(number)),
                Err(e) => Err(failed(e)),
            });
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(StoreError::Corrupt("unanswered".into()))))
        .collect()
}

/// Writes tickets with their `created` events and outbox entries: three statements,
/// however many tickets.
async fn insert_tickets(
    tx: &mut Transaction<'_, Any>,
    items: &[(&TicketInsert, &str)],
) -> Result<(), StoreError> {
    if items.is_empty() {
        return Ok(());
    }
    let mut tickets = Sql::new(
        "INSERT INTO tickets (id, tenant_id, number, channel, customer_id, contact_id, contact_phone, site_id, \
         asset_id, region_id, category, priority, subject, description, fields, status, created_by, created_at, \
         updated_at, version, sla_policy_id, sla, sla_state, sla_next_at, resolution_due, warranty) VALUES ",
    );
    tickets.rows(items.iter().map(|(t, number)| ticket_row(t, number)));
    tickets.positional_on(tx).query().execute(&mut **tx).await?;
    let lines: Vec<Vec<Arg>> = items
        .iter()
        .filter_map(|(t, _)| Some(inbound_row(t, t.inbound.as_ref()?)))
        .collect();
    if !lines.is_empty() {
        // A message's second delivery was answered by its idempotency key above: a line
        // already there is the same message's, and is left as it is.
        let mut log = Sql::new(
            "INSERT INTO inbound_messages (id, tenant_id, channel_id, message_id, outcome, ticket_id, \
             sender, subject, files_skipped, size_bytes, received_at) VALUES ",
        );
        log.rows(lines)
            .push(" ON CONFLICT (channel_id, message_id) DO NOTHING");
        log.positional_on(tx).query().execute(&mut **tx).await?;
    }
    let created: Vec<NewEvent> = items
        .iter()
        .map(|(t, number)| {
            let payload = Payload::Created(payload::Created {
                number: (*number).to_owned(),
                channel: t.channel,
                priority: t.priority,
            });
            NewEvent {
                actor: t.created_by,
                by: t.by,
                ..NewEvent::system(t.id, payload, t.now)
            }
            .moving_to(Status::New)
        })
        .collect();
    let outbox = items
        .iter()
        .zip(&created)
        .filter(|((t, _), _)| t.publish)
        .map(|((t, _), e)| publish(&t.tenant, t.id, "ticket.created", e.payload.data(), t.now));
    // A request that reads urgent: its event after `created`, and the supervisors told.
    let urgent: Vec<(usize, &TicketInsert, NewEvent)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, (t, _))| {
            let u = t.urgency.clone()?;
            let event = NewEvent {
                actor: t.created_by,
                by: t.by,
                ..NewEvent::system(t.id, Payload::UrgencySignalled(u), t.now)
            };
            Some((i, *t, event))
        })
        .collect();
    let outbox = outbox.chain(
        urgent
            .iter()
            .map(|(_, t, e)| publish(&t.tenant, t.id, "ticket.urgent", e.payload.data(), t.now)),
    );
    insert_jobs(tx, outbox, items[0].0.now).await?;
    // Almost always one tenant; the batch groups them anyway.
    let mut start = 0;
    while start < items.len() {
        let tenant = &items[start].0.tenant;
        let end = start
            + items[start..]
                .iter()
                .take_while(|(t, _)| t.tenant == *tenant)
                .count();
        events::append(tx, tenant, &created[start..end]).await?;
        // This run's own: a batch may hold a tenant's tickets in more than one run.
        let signalled: Vec<NewEvent> = urgent
            .iter()
            .filter(|(i, _, _)| (start..end).contains(i))
            .map(|(_, _, e)| e.clone())
            .collect();
        if !signalled.is_empty() {
            events::append(tx, tenant, &signalled).await?;
        }
        let docs: Vec<DocWords> = items[start..end]
            .iter()
            .map(|(t, number)| {
                let mut words = t.search.clone();
                let numbered = search::document_words(&[number], &[], &[]);
                words.title.splice(0..0, numbered.title);
                DocWords {
                    kind: Kind::Ticket,
                    ref_id: t.id.to_string(),
                    words,
                }
            })
            .collect();
        index::write_docs(tx, tenant, &docs, index::stamp()).await?;
        start = end;
    }
    Ok(())
}

/// The log line of the message a ticket is made from, in the column order of
/// [`insert_tickets`].
fn inbound_row(t: &TicketInsert, l: &super::batch::InboundLine) -> Vec<Arg> {
    vec![
        Arg::Text(Some(loopdesk_core::InboundId::new().to_string())),
        Arg::Text(Some(t.tenant.clone())),
        Arg::Text(Some(l.channel_id.clone())),
        Arg::Text(Some(l.message_id.clone())),
        Arg::Text(Some(
            loopdesk_core::inbound::Outcome::Created.as_str().to_owned(),
        )),
        Arg::Text(Some(t.id.to_string())),
        Arg::Text(l.sender.clone()),
        Arg::Text(l.subject.clone()),
        Arg::Text(l.files_skipped.clone()),
        Arg::Int(l.size),
        Arg::Int(ms(t.now)),
    ]
}

/// One new ticket's values, in the column order of [`insert_tickets`].
pub(super) fn ticket_row(t: &TicketInsert, number: &str) -> Vec<Arg> {
    let text = |s: &str| Arg::Text(Some(s.to_owned()));
    vec![
        Arg::Text(Some(t.id.to_string())),
        text(&t.tenant),
        text(number),
        text(t.channel.as_str()),
        Arg::Text(t.customer_id.clone()),
        Arg::Text(t.contact_id.clone()),
        Arg::Text(t.contact_phone.clone()),
        Arg::Text(t.site_id.clone()),
        Arg::Text(t.asset_id.clone()),
        Arg::Text(t.region_id.clone()),
        Arg::Text(t.category.clone()),
        Arg::Int(t.priority),
        text(&t.subject),
        text(&t.description),
        text(&t.fields),
        text(Status::New.as_str()),
        Arg::Text(t.created_by.map(|u| u.to_string())),
        Arg::Int(ms(t.now)),
        Arg::Int(ms(t.now)),
        Arg::Int(1),
        Arg::Text(t.sla.policy_id.clone()),
        Arg::Text(t.sla.sla.clone()),
        text(t.sla.state),
        Arg::OptInt(t.sla.next_at),
        Arg::OptInt(t.sla.resolution_due),
        Arg::Text(t.warranty.map(str::to_owned)),
    ]
}

async fn savepoint(tx: &mut Transaction<'_, Any>, sql: &str) -> Result<(), StoreError> {
    sqlx::query(sql).execute(&mut **tx).await?;
    Ok(())
}

/// Opens a savepoint for one item, in careful mode.
async fn begin_item(tx: &mut Transaction<'_, Any>, careful: bool) -> Result<(), StoreError> {
    if careful {
        savepoint(tx, "SAVEPOINT item").await?;
    }
    Ok(())
}

/// Closes the item's savepoint, undoing the item if it failed.
async fn end_item(
    tx: &mut Transaction<'_, Any>,
    careful: bool,
    ok: bool,
) -> Result<(), StoreError> {
    match (careful, ok) {
        (false, _) => Ok(()),
        (true, true) => savepoint(tx, "RELEASE SAVEPOINT item").await,
        (true, false) => savepoint(tx, "ROLLBACK TO SAVEPOINT item").await,
    }
}
