//! Live pages: a ticket's page and the queues hear when someone else changes what they show
//! (server-sent events). The database tells each instance when a tenant's tickets or calls
//! change, whichever instance changed them (`TenantStore::changes`: `LISTEN/NOTIFY` on
//! PostgreSQL); only then does a stream look at its ticket's version, or the newest change
//! among the caller's tickets. An open page costs nothing while nothing changes.
//!
//! The same stream pops the caller's card for someone who takes calls: a call ringing or going
//! on at their phone is told per stream (`call`, with the call's id) when it rings, when it is
//! answered and when it ends, whichever page they have open; a page with nothing else live listens on `/live/calls` for that alone.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::clock::Clock;
use loopdesk_core::inbound::call::CallState;
use loopdesk_core::{CallId, TicketId, UserId};
use loopdesk_store::{StoreError, TenantStore};

use super::layout::PageUser;
use crate::extract::CurrentUser;
use crate::state::AppState;

/// The least time between two looks of one stream (a burst of changes is one look).
const AT_MOST_EVERY: Duration = Duration::from_millis(250);

/// Whose phone calls a stream pops, when its user takes calls.
struct CallWatch {
    tenant: TenantStore,
    user: UserId,
    clock: Arc<dyn Clock>,
}

impl CallWatch {
    fn of(state: &AppState, user: &CurrentUser) -> Option<CallWatch> {
        if !access::allowed(&user.actor, Permission::Calls) {
            return None;
        }
        Some(CallWatch {
            tenant: user.tenant.clone(),
            user: user.actor.user_id()?,
            clock: state.clock.clone(),
        })
    }

    /// Calls at this user's phone that the stream has not told of as they are now: a new
    /// call, one answered since, and (once) one that ended since — its card then says so,
    /// and stays for the ticket to be recorded after hanging up.
    async fn new_calls(&self, told: &mut HashMap<CallId, Option<CallState>>) -> Vec<Event> {
        let now = self.clock.now();
        let Ok(live) = self.tenant.live_calls(self.user, now).await else {
            return Vec::new();
        };
        let mut changed: Vec<CallId> = live
            .iter()
            .filter(|c| told.insert(c.id, Some(c.state)) != Some(Some(c.state)))
            .map(|c| c.id)
            .collect();
        for (id, state) in told.iter_mut() {
            if state.is_some() && !live.iter().any(|c| c.id == *id) {
                *state = None;
                changed.push(*id);
            }
        }
        changed
            .into_iter()
            .map(|id| Event::default().event("call").data(id.to_string()))
            .collect()
    }
}

/// What a stream carries between looks.
struct Watch<F> {
    last: i64,
    look: Option<F>,
    calls: Option<CallWatch>,
    /// Each call told of, as it was then (`None`: over).
    told: HashMap<CallId, Option<CallState>>,
    pending: VecDeque<Event>,
    closing: tokio::sync::watch::Receiver<bool>,
    /// Moves when the tenant's tickets or calls change.
    changes: tokio::sync::watch::Receiver<u64>,
    /// The next look may not be made before this.
    next_look: tokio::time::Instant,
}

/// A stream that says `changed` each time `look` answers something new, and `call` for each
/// call that rings at the user's phone, until the server shuts down (`closing`). It looks when
/// the tenant's data changes (`changes`), and once at the start. Without a `look`, it only
/// pops calls.
fn changes<F, Fut>(
    first: i64,
    closing: tokio::sync::watch::Receiver<bool>,
    mut changes: tokio::sync::watch::Receiver<u64>,
    look: Option<F>,
    calls: Option<CallWatch>,
) -> impl Stream<Item = Result<Event, Infallible>>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Option<i64>> + Send,
{
    let watch = Watch {
        last: first,
        look,
        calls,
        told: HashMap::new(),
        pending: VecDeque::new(),
        closing,
        changes: {
            // A change between the page's render and this stream's start is looked for at once.
            changes.mark_changed();
            changes
        },
        next_look: tokio::time::Instant::now(),
    };
    stream::unfold(watch, |mut w| async move {
        loop {
            if let Some(event) = w.pending.pop_front() {
                return Some((Ok(event), w));
            }
            tokio::select! {
                changed = w.changes.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
                _ = w.closing.wait_for(|c| *c) => return None,
            }
            w.changes.mark_unchanged();
            // A burst of changes costs a look every quarter second, not one per change.
            tokio::time::sleep_until(w.next_look).await;
            w.next_look = tokio::time::Instant::now() + AT_MOST_EVERY;
            if let Some(calls) = &w.calls {
                let new = calls.new_calls(&mut w.told).await;
                w.pending.extend(new);
            }
            if let Some(look) = &w.look {
                match look().await {
                    // Gone or no longer visible: the stream ends, the page stays as it is.
                    None => return None,
                    Some(now) if now != w.last => {
                        w.last = now;
                        w.pending
                            .push_back(Event::default().event("changed").data(now.to_string()));
                    }
                    Some(_) => {}
                }
            }
        }
    })
}

/// The version of the ticket, or the stamp of the queue, that the page shows (`v`), when it
/// says.
#[derive(serde::Deserialize)]
pub struct Shown {
    v: Option<String>,
}

/// Changes to one ticket since the version its page shows: a change made between the page's
/// render and this stream's start is told at the first look, not lost.
pub async fn ticket(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Query(shown): Query<Shown>,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let calls = CallWatch::of(&state, &user);
    let CurrentUser { tenant, actor, .. } = user;
    let now = match tenant.ticket_version(&actor, id).await {
        Ok(Some(v)) => v,
        Ok(None) => return super::failure(lang, &StoreError::NotFound),
        Err(e) => return super::failure(lang, &e),
    };
    let first = shown.v.and_then(|v| v.parse().ok()).unwrap_or(now);
    let changed = tenant.changes();
    let look = move || {
        let (tenant, actor) = (tenant.clone(), actor.clone());
        async move { tenant.ticket_version(&actor, id).await.ok().flatten() }
    };
    answer(&state, first, changed, Some(look), calls)
}

/// The event stream of a page: `changes` until the server shuts down, kept alive.
fn answer<F, Fut>(
    state: &AppState,
    first: i64,
    changed: tokio::sync::watch::Receiver<u64>,
    look: Option<F>,
    calls: Option<CallWatch>,
) -> Response
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Option<i64>> + Send + 'static,
{
    Sse::new(changes(
        first,
        state.closing.subscribe(),
        changed,
        look,
        calls,
    ))
    .keep_alive(KeepAlive::default())
    .into_response()
}

/// The stream a ticket's page listens to, from the version the page shows.
pub(super) fn ticket_url(tk: &loopdesk_store::Ticket) -> String {
    format!("/live/t/{}?v={}", tk.id, tk.version)
}

/// The stream a queue page listens to, from the caller's queue as it is now: read before the
/// page reads its list, so a change in between is told, not lost.
pub(super) async fn queue_url(user: &CurrentUser) -> Result<String, StoreError> {
    let stamp = user.tenant.queue_stamp(&user.actor).await?;
    Ok(format!("/live/queue?v={stamp}"))
}

/// Changes to any ticket the caller sees (their queue) since the stamp its page shows.
pub async fn queue(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Query(shown): Query<Shown>,
) -> Response {
    let calls = CallWatch::of(&state, &user);
    let CurrentUser { tenant, actor, .. } = user;
    let first = match shown.v.and_then(|v| v.parse().ok()) {
        Some(v) => v,
        None => match tenant.queue_stamp(&actor).await {
            Ok(v) => v,
            Err(e) => return super::failure(lang, &e),
        },
    };
    let changed = tenant.changes();
    let look = move || {
        let (tenant, actor) = (tenant.clone(), actor.clone());
        async move { tenant.queue_stamp(&actor).await.ok() }
    };
    answer(&state, first, changed, Some(look), calls)
}

/// Calls ringing at the caller's phone, for a page with nothing else live (someone who does
/// not take calls gets 204: nothing to listen to).
pub async fn calls(State(state): State<AppState>, PageUser { user, .. }: PageUser) -> Response {
    let Some(calls) = CallWatch::of(&state, &user) else {
        return axum::http::StatusCode::NO_CONTENT.into_response();
    };
    let no_look: Option<fn() -> std::future::Ready<Option<i64>>> = None;
    answer(&state, 0, user.tenant.changes(), no_look, Some(calls))
}
