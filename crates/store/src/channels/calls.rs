//! Phone calls: the call record a phone channel's events make (one per PBX call id, whatever
//! order and however often they come), the call log on customers and tickets, and the
//! callbacks (回电) that missed calls leave in the desk queue.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::inbound::call::{self, CallEvent, CallState, CallTimes, Callback, Direction};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::{CallId, ChannelId, CustomerId, TicketId, UserId};
use serde::Serialize;
use sqlx::{Any, Transaction};
use utoipa::ToSchema;

use super::InboundChannel;
use crate::rows::{parse_id, parse_opt_id};
use crate::{from_ms, ms, StoreError, TenantStore};

/// One phone call, as the call log shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Call {
    /// Id.
    pub id: CallId,
    /// The phone channel that reported it.
    pub channel_id: ChannelId,
    /// The PBX's id of the call.
    pub call_id: String,
    /// `inbound` (a customer called) or `outbound` (someone here called a customer).
    pub direction: String,
    /// The calling number.
    pub from: String,
    /// The called number.
    pub to: String,
    /// The customer's number (the caller's, or the one called back).
    pub customer_phone: Option<String>,
    /// The customer the number belongs to.
    pub customer_id: Option<CustomerId>,
    /// Their name.
    pub customer_name: Option<String>,
    /// The agent's username, as the PBX named them.
    pub agent: Option<String>,
    /// The agent's name, when they are a user here.
    pub agent_name: Option<String>,
    /// `ringing`, `answered`, `ended` or `missed`.
    pub state: String,
    /// When it rang.
    pub ringing_at: Option<DateTime<Utc>>,
    /// When someone picked up.
    pub answered_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// How long they talked, in seconds.
    pub talk_seconds: Option<i64>,
    /// Where the recording is.
    pub recording_url: Option<String>,
    /// What was said.
    pub transcript: Option<String>,
    /// The ticket recorded from this call.
    pub ticket_id: Option<TicketId>,
    /// Its number.
    pub ticket_number: Option<String>,
    /// A missed call's callback: `open` (waiting) or `done`.
    pub callback: Option<String>,
    /// When the callback was done.
    pub callback_at: Option<DateTime<Utc>>,
    /// When the call began.
    pub began_at: DateTime<Utc>,
}

/// A page of the call log, newest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CallPage {
    /// Calls.
    pub items: Vec<Call>,
    /// The cursor of the next (older) page.
    pub next_cursor: Option<String>,
}

/// Which calls of the log.
#[derive(Clone, Debug, Default)]
pub struct CallFilter {
    /// One customer's.
    pub customer: Option<CustomerId>,
    /// One ticket's.
    pub ticket: Option<TicketId>,
    /// Callbacks in this state only.
    pub callback: Option<Callback>,
    /// Missed calls only.
    pub missed: bool,
}

/// What one event made of its call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecorded {
    /// The call record.
    pub id: CallId,
    /// The customer the number belongs to, if any.
    pub customer_id: Option<CustomerId>,
}

/// A call ringing or going on at a user's phone, for their pages to pop its card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveCall {
    /// The call.
    pub id: CallId,
    /// Ringing or answered.
    pub state: CallState,
}

#[derive(sqlx::FromRow)]
struct CallRow {
    id: String,
    channel_id: String,
    call_id: String,
    direction: String,
    from_number: String,
    to_number: String,
    customer_phone: Option<String>,
    customer_id: Option<String>,
    customer_name: Option<String>,
    agent_name: Option<String>,
    agent_display: Option<String>,
    state: String,
    ringing_at: Option<i64>,
    answered_at: Option<i64>,
    ended_at: Option<i64>,
    recording_url: Option<String>,
    transcript: Option<String>,
    ticket_id: Option<String>,
    ticket_number: Option<String>,
    callback: Option<String>,
    callback_at: Option<i64>,
    began_at: i64,
}

const CALL_SELECT: &str = "SELECT k.id, k.channel_id, k.call_id, k.direction, k.from_number, \
     k.to_number, k.customer_phone, k.customer_id, c.name AS customer_name, k.agent_name, \
     u.display_name AS agent_display, k.state, k.ringing_at, k.answered_at, k.ended_at, \
     k.recording_url, k.transcript, k.ticket_id, t.number AS ticket_number, k.callback, \
     k.callback_at, k.began_at FROM calls k \
     LEFT JOIN customers c ON c.tenant_id = k.tenant_id AND c.id = k.customer_id \
     LEFT JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.agent_id \
     LEFT JOIN tickets t ON t.tenant_id = k.tenant_id AND t.id = k.ticket_id \
     WHERE k.tenant_id = ";

impl CallRow {
    fn model(self) -> Result<Call, StoreError> {
        let times = CallTimes {
            ringing_at: self.ringing_at.map(from_ms),
            answered_at: self.answered_at.map(from_ms),
            ended_at: self.ended_at.map(from_ms),
            missed: false,
        };
        Ok(Call {
            id: parse_id(&self.id, CallId::parse)?,
            channel_id: parse_id(&self.channel_id, ChannelId::parse)?,
            call_id: self.call_id,
            direction: self.direction,
            from: self.from_number,
            to: self.to_number,
            customer_phone: self.customer_phone,
            customer_id: parse_opt_id(self.customer_id, CustomerId::parse)?,
            customer_name: self.customer_name,
            agent: self.agent_name,
            agent_name: self.agent_display,
            state: self.state,
            ringing_at: times.ringing_at,
            answered_at: times.answered_at,
            ended_at: times.ended_at,
            talk_seconds: times.talk_seconds(),
            recording_url: self.recording_url,
            transcript: self.transcript,
            ticket_id: parse_opt_id(self.ticket_id, TicketId::parse)?,
            ticket_number: self.ticket_number,
            callback: self.callback,
            callback_at: self.callback_at.map(from_ms),
            began_at: from_ms(self.began_at),
        })
    }
}

/// The stored state of a call, as its next event finds it.
#[derive(sqlx::FromRow)]
struct StateRow {
    id: String,
    direction: String,
    customer_phone: Option<String>,
    customer_id: Option<String>,
    agent_name: Option<String>,
    ringing_at: Option<i64>,
    answered_at: Option<i64>,
    ended_at: Option<i64>,
    missed: i64,
    callback: Option<String>,
}

fn may_take_calls(actor: &Actor) -> Result<(), StoreError> {
    if access::allowed(actor, Permission::Calls) {
        Ok(())
    } else {
        Err(StoreError::Forbidden)
    }
}

impl TenantStore {
    /// The first contact (and so customer) with this phone number.
    async fn customer_of_phone(
        &self,
        tx: &mut Transaction<'static, Any>,
        phone: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT customer_id FROM contacts WHERE tenant_id = $1 AND phone = $2 \
             AND removed_at IS NULL ORDER BY created_at LIMIT 1",
        )
        .bind(self.tid())
        .bind(phone)
        .fetch_optional(&mut **tx)
        .await?)
    }

    /// Takes one event of a call in (a phone channel's, already authenticated): the first
    /// event makes the call record, finding the customer by the caller's number (or, for a
    /// call out, the called one); each event then fills in what it tells. A missed inbound
    /// call opens a callback; an answered call out settles the callbacks to its number.
    pub async fn record_call_event(
        &self,
        channel: &InboundChannel,
        ev: &CallEvent,
        now: DateTime<Utc>,
    ) -> Result<CallRecorded, StoreError> {
        let mut tx = self.store.write.begin().await?;
        let channel_id = channel.id.to_string();
        let agent_id: Option<String> =
            match &ev.agent {
                Some(name) => sqlx::query_scalar(
                    "SELECT id FROM users WHERE tenant_id = $1 AND username = $2 AND active = 1",
                )
                .bind(self.tid())
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?,
                None => None,
            };
        let existing = self.call_state(&mut tx, &channel_id, &ev.call_id).await?;
        let row = match existing {
            Some(row) => row,
            None => {
                let from_phone = call::customer_phone(&ev.from);
                let to_phone = call::customer_phone(&ev.to);
                let from_customer = match &from_phone {
                    Some(p) => self.customer_of_phone(&mut tx, p).await?,
                    None => None,
                };
                let to_customer = match (&from_customer, &to_phone) {
                    (None, Some(p)) => self.customer_of_phone(&mut tx, p).await?,
                    _ => None,
                };
                let direction = Direction::of(from_customer.is_some(), to_customer.is_some());
                let (phone, customer) = match direction {
                    Direction::Inbound => (from_phone, from_customer),
                    Direction::Outbound => (to_phone, to_customer),
                };
                // Two events of a new call at once: one inserts, the other finds its row.
                sqlx::query(
                    "INSERT INTO calls (id, tenant_id, channel_id, call_id, direction, from_number, \
                     to_number, customer_phone, customer_id, state, began_at, seen_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'ringing', $10, $10, $10) \
                     ON CONFLICT (channel_id, call_id) DO NOTHING",
                )
                .bind(CallId::new().to_string())
                .bind(self.tid())
                .bind(&channel_id)
                .bind(&ev.call_id)
                .bind(direction.as_str())
                .bind(&ev.from)
                .bind(&ev.to)
                .bind(phone)
                .bind(customer)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
                self.call_state(&mut tx, &channel_id, &ev.call_id)
                    .await?
                    .ok_or(StoreError::NotFound)?
            }
        };
        let direction = Direction::parse(&row.direction)
            .ok_or_else(|| StoreError::Corrupt(row.direction.clone()))?;
        let mut times = CallTimes {
            ringing_at: row.ringing_at.map(from_ms),
            answered_at: row.answered_at.map(from_ms),
            ended_at: row.ended_at.map(from_ms),
            missed: row.missed != 0,
        };
        times.apply(ev.kind, ev.at);
        let state = times.state();
        let before = row.callback.as_deref().and_then(Callback::parse);
        let callback = Callback::after(before, state, direction);
        let began = times.began_at().unwrap_or(ev.at);
        // The agent named last is the one whose phone it is now (a transfer).
        let (agent_name, agent_id) = match &ev.agent {
            Some(a) => (Some(a.clone()), agent_id),
            None => (row.agent_name.clone(), None),
        };
        sqlx::query(
            "UPDATE calls SET state = $1, ringing_at = $2, answered_at = $3, ended_at = $4, \
             missed = $5, callback = $6, agent_name = $7, \
             agent_id = CASE WHEN $8 = 1 THEN $9 ELSE agent_id END, \
             recording_url = COALESCE($10, recording_url), transcript = COALESCE($11, transcript), \
             began_at = $12, updated_at = $13 WHERE id = $14",
        )
        .bind(state.as_str())
        .bind(times.ringing_at.map(ms))
        .bind(times.answered_at.map(ms))
        .bind(times.ended_at.map(ms))
        .bind(i64::from(times.missed))
        .bind(callback.map(Callback::as_str))
        .bind(agent_name)
        .bind(i64::from(ev.agent.is_some()))
        .bind(agent_id.clone())
        .bind(ev.recording_url.clone())
        .bind(ev.transcript.clone())
        .bind(ms(began))
        .bind(ms(now))
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
        if call::settles_callbacks(direction, state) {
            if let Some(phone) = &row.customer_phone {
                sqlx::query(
                    "UPDATE calls SET callback = 'done', callback_by = $1, callback_at = $2, \
                     updated_at = $2 WHERE tenant_id = $3 AND callback = 'open' \
                     AND customer_phone = $4 AND began_at <= $5",
                )
                .bind(agent_id)
                .bind(ms(now))
                .bind(self.tid())
                .bind(phone)
                .bind(ms(began))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(CallRecorded {
            id: parse_id(&row.id, CallId::parse)?,
            customer_id: parse_opt_id(row.customer_id, CustomerId::parse)?,
        })
    }

    async fn call_state(
        &self,
        tx: &mut Transaction<'static, Any>,
        channel_id: &str,
        call_id: &str,
    ) -> Result<Option<StateRow>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT id, direction, customer_phone, customer_id, agent_name, ringing_at, \
             answered_at, ended_at, missed, callback FROM calls \
             WHERE tenant_id = $1 AND channel_id = $2 AND call_id = $3{}",
            self.store.backend.for_update()
        ))
        .bind(self.tid())
        .bind(channel_id)
        .bind(call_id)
        .fetch_optional(&mut **tx)
        .await?)
    }

    /// One call.
    pub async fn call(&self, actor: &Actor, id: CallId) -> Result<Call, StoreError> {
        may_take_calls(actor)?;
        let mut sql = crate::sql::Sql::new(CALL_SELECT);
        sql.text(self.tid());
        sql.push(" AND k.id = ");
        sql.text(id.to_string());
        let row: Option<CallRow> = sql.query_as().fetch_optional(&self.store.read).await?;
        row.ok_or(StoreError::NotFound)?.model()
    }

    /// The call log, newest first, a page at a time (`before`: the previous page's cursor).
    pub async fn calls(
        &self,
        actor: &Actor,
        filter: &CallFilter,
        before: Option<&str>,
        limit: i64,
    ) -> Result<CallPage, StoreError> {
        may_take_calls(actor)?;
        let limit = limit.clamp(1, 200);
        let cursor = before.map(super::page_cursor).transpose()?;
        let mut sql = crate::sql::Sql::new(CALL_SELECT);
        sql.text(self.tid());
        if let Some(c) = filter.customer {
            sql.push(" AND k.customer_id = ");
            sql.text(c.to_string());
        }
        if let Some(t) = filter.ticket {
            sql.push(" AND k.ticket_id = ");
            sql.text(t.to_string());
        }
        if let Some(cb) = filter.callback {
            sql.push(" AND k.callback = ");
            sql.text(cb.as_str());
        }
        if filter.missed {
            sql.push(" AND k.state = 'missed'");
        }
        if let Some((at, id)) = &cursor {
            sql.push(" AND (k.began_at < ");
            sql.int(*at);
            sql.push(" OR (k.began_at = ");
            sql.int(*at);
            sql.push(" AND k.id < ");
            sql.text(id);
            sql.push("))");
        }
        sql.push(" ORDER BY k.began_at DESC, k.id DESC LIMIT ");
        sql.int(limit + 1);
        let rows: Vec<CallRow> = sql.query_as().fetch_all(&self.store.read).await?;
        let more = rows.len() as i64 > limit;
        let items: Vec<Call> = rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .map(CallRow::model)
            .collect::<Result<_, _>>()?;
        let next_cursor = more
            .then(|| items.last().map(|c| format!("{}_{}", ms(c.began_at), c.id)))
            .flatten();
        Ok(CallPage { items, next_cursor })
    }

    /// Callbacks waiting (for the desk's count).
    pub async fn open_callbacks(&self, actor: &Actor) -> Result<i64, StoreError> {
        may_take_calls(actor)?;
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM calls WHERE tenant_id = $1 AND callback = 'open'",
        )
        .bind(self.tid())
        .fetch_one(&self.store.read)
        .await?)
    }

    /// Calls ringing or going on at this user's phone that began in the last half hour
    /// (older ones are a PBX that never said they ended).
    pub async fn live_calls(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<LiveCall>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, state FROM calls WHERE tenant_id = $1 AND agent_id = $2 \
             AND updated_at >= $3 AND state IN ('ringing', 'answered') \
             ORDER BY began_at DESC LIMIT 5",
        )
        .bind(self.tid())
        .bind(user.to_string())
        .bind(ms(now - chrono::Duration::minutes(30)))
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|(id, state)| {
                Ok(LiveCall {
                    id: parse_id(&id, CallId::parse)?,
                    state: CallState::parse(&state).ok_or_else(|| StoreError::Corrupt(state))?,
                })
            })
            .collect()
    }

    /// Marks a missed call's callback done (someone called back). Done twice is done.
    pub async fn callback_done(
        &self,
        actor: &Actor,
        id: CallId,
        now: DateTime<Utc>,
    ) -> Result<Call, StoreError> {
        may_take_calls(actor)?;
        let call = self.call(actor, id).await?;
        if call.callback.is_none() {
            return Err(FieldError {
                field: "callback",
                reason: "error.no_callback",
            }
            .into());
        }
        sqlx::query(
            "UPDATE calls SET callback = 'done', callback_by = $1, callback_at = $2, \
             updated_at = $2 WHERE tenant_id = $3 AND id = $4 AND callback = 'open'",
        )
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(ms(now))
        .bind(self.tid())
        .bind(id.to_string())
        .execute(&self.store.write)
        .await?;
        self.call(actor, id).await
    }

    /// The ticket recorded from a call (and the customer, when the call's number was
    /// nobody's): the call shows on the ticket, and its callback, if any, is done.
    pub async fn link_call(
        &self,
        actor: &Actor,
        id: CallId,
        ticket: TicketId,
        customer: Option<CustomerId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        may_take_calls(actor)?;
        let done = sqlx::query(
            "UPDATE calls SET ticket_id = COALESCE(ticket_id, $1), \
             customer_id = COALESCE(customer_id, $2), \
             callback_by = CASE WHEN callback = 'open' THEN $3 ELSE callback_by END, \
             callback_at = CASE WHEN callback = 'open' THEN $4 ELSE callback_at END, \
             callback = CASE WHEN callback = 'open' THEN 'done' ELSE callback END, \
             updated_at = $4 WHERE tenant_id = $5 AND id = $6",
        )
        .bind(ticket.to_string())
        .bind(customer.map(|c| c.to_string()))
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(ms(now))
        .bind(self.tid())
        .bind(id.to_string())
        .execute(&self.store.write)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
