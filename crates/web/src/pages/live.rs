//! Live pages: a ticket's page and the queues hear when someone else changes what they show
//! (server-sent events). The server looks at the ticket's version, or the newest change among
//! the caller's tickets, every second, so it works whichever instance made the change.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use loopdesk_core::TicketId;
use loopdesk_store::StoreError;

use super::layout::PageUser;
use crate::extract::CurrentUser;
use crate::state::AppState;

/// How often the server looks.
const EVERY: Duration = Duration::from_secs(1);

/// A stream that says `changed` each time `look` answers something new, until the server
/// shuts down (`closing`).
fn changes<F, Fut>(
    first: i64,
    closing: tokio::sync::watch::Receiver<bool>,
    look: F,
) -> impl Stream<Item = Result<Event, Infallible>>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Option<i64>> + Send,
{
    stream::unfold(
        (first, look, closing),
        |(last, look, mut closing)| async move {
            let mut last = last;
            loop {
                tokio::select! {
                    () = tokio::time::sleep(EVERY) => {}
                    _ = closing.wait_for(|c| *c) => return None,
                }
                match look().await {
                    // Gone or no longer visible: the stream ends, the page stays as it is.
                    None => return None,
                    Some(now) if now != last => {
                        last = now;
                        let event = Event::default().event("changed").data(now.to_string());
                        return Some((Ok(event), (last, look, closing)));
                    }
                    Some(_) => {}
                }
            }
        },
    )
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
    let CurrentUser { tenant, actor, .. } = user;
    let now = match tenant.ticket_version(&actor, id).await {
        Ok(Some(v)) => v,
        Ok(None) => return super::failure(lang, &StoreError::NotFound),
        Err(e) => return super::failure(lang, &e),
    };
    let first = shown.v.and_then(|v| v.parse().ok()).unwrap_or(now);
    let look = move || {
        let (tenant, actor) = (tenant.clone(), actor.clone());
        async move { tenant.ticket_version(&actor, id).await.ok().flatten() }
    };
    Sse::new(changes(first, state.closing.subscribe(), look))
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
    let CurrentUser { tenant, actor, .. } = user;
    let first = match shown.v.and_then(|v| v.parse().ok()) {
        Some(v) => v,
        None => match tenant.queue_stamp(&actor).await {
            Ok(v) => v,
            Err(e) => return super::failure(lang, &e),
        },
    };
    let look = move || {
        let (tenant, actor) = (tenant.clone(), actor.clone());
        async move { tenant.queue_stamp(&actor).await.ok() }
    };
    Sse::new(changes(first, state.closing.subscribe(), look))
        .keep_alive(KeepAlive::default())
        .into_response()
}
