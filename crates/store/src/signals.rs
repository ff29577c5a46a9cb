//! Signals from the database to this instance: a tenant's tickets or calls changed (live pages
//! wake and look), a user's sign-ins changed (a revoked token stops working everywhere).
//!
//! On PostgreSQL, triggers `NOTIFY` on every write (migration 0039) and one connection per
//! instance `LISTEN`s, so every instance hears every change at once, whichever made it. On
//! SQLite (one process), one connection asks `PRAGMA data_version` twice a second — it moves
//! when another connection commits, and costs no read — and wakes every tenant when it does.
//! Either way an open page costs nothing while nothing changes.
//!
//! A listener that lost its connection may have missed signals: when it is back, every tenant
//! is woken and every user's cached sign-ins forgotten ([`SessionSignal::All`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use loopdesk_core::{TenantId, UserId};
use sqlx::Connection;
use tokio::sync::{broadcast, watch};

use crate::dialect::Backend;

/// The channel tenants' changes are told on (payload: the tenant's id).
const CHANGES: &str = "loopdesk_changes";
/// The channel users' sign-in changes are told on (payload: the user's id).
const SESSIONS: &str = "loopdesk_sessions";
/// How often SQLite's data version is asked.
const SQLITE_EVERY: Duration = Duration::from_millis(500);

/// A change to who may stay signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSignal {
    /// This user's tokens, roles or state changed.
    User(UserId),
    /// Anything may have changed (the listener was away).
    All,
}

/// The signals hub of one instance; started on first use.
#[derive(Clone)]
pub(crate) struct Signals {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signals")
    }
}

struct Inner {
    url: String,
    backend: Backend,
    tenants: Mutex<HashMap<TenantId, watch::Sender<u64>>>,
    sessions: broadcast::Sender<SessionSignal>,
    started: OnceLock<()>,
    /// Dropped with the hub: the listening task then ends (and lets its connection go).
    alive: watch::Sender<()>,
}

impl Signals {
    pub(crate) fn new(url: &str, backend: Backend) -> Signals {
        Signals {
            inner: Arc::new(Inner {
                url: url.to_owned(),
                backend,
                tenants: Mutex::new(HashMap::new()),
                sessions: broadcast::channel(1024).0,
                started: OnceLock::new(),
                alive: watch::channel(()).0,
            }),
        }
    }

    /// Starts listening (once per instance).
    fn start(&self) {
        if self.inner.started.set(()).is_err() {
            return;
        }
        let inner = Arc::downgrade(&self.inner);
        let mut gone = self.inner.alive.subscribe();
        let work: futures_util::future::BoxFuture<'static, ()> = match self.inner.backend {
            Backend::Postgres => Box::pin(listen_postgres(inner)),
            Backend::Sqlite => Box::pin(watch_sqlite(inner)),
        };
        tokio::spawn(async move {
            tokio::select! {
                () = work => {}
                _ = gone.changed() => {}
            }
        });
    }

    /// A receiver that sees a new value each time the tenant's tickets or calls change.
    pub(crate) fn tenant(&self, tenant: TenantId) -> watch::Receiver<u64> {
        self.start();
        let mut map = self.inner.tenants.lock().unwrap_or_else(|e| e.into_inner());
        // Tenants nobody watches any more are dropped as others come.
        map.retain(|_, tx| tx.receiver_count() > 0);
        map.entry(tenant)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Sign-in changes, as they are heard.
    pub(crate) fn sessions(&self) -> broadcast::Receiver<SessionSignal> {
        self.start();
        self.inner.sessions.subscribe()
    }
}

impl Inner {
    fn wake(&self, tenant: Option<TenantId>) {
        let map = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let bump = |tx: &watch::Sender<u64>| tx.send_modify(|v| *v = v.wrapping_add(1));
        match tenant {
            Some(t) => map.get(&t).into_iter().for_each(bump),
            None => map.values().for_each(bump),
        }
    }

    fn session(&self, signal: SessionSignal) {
        // Nobody listening is no error.
        let _ = self.sessions.send(signal);
    }
}

/// Listens on PostgreSQL for as long as the hub lives, reconnecting after a second when the
/// connection drops (and then waking everything: signals may have been missed).
async fn listen_postgres(hub: std::sync::Weak<Inner>) {
    let Some(url) = hub.upgrade().map(|h| h.url.clone()) else {
        return;
    };
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "listening for changes: cannot connect");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen_all([CHANGES, SESSIONS]).await {
            tracing::warn!(error = %e, "listening for changes failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Listening again: what happened while away is unknown.
        match hub.upgrade() {
            Some(h) => {
                h.wake(None);
                h.session(SessionSignal::All);
            }
            None => return,
        }
        loop {
            // `try_recv` answers `None` when the connection was lost.
            let heard = listener.try_recv().await;
            let Some(h) = hub.upgrade() else {
                return;
            };
            match heard {
                Ok(Some(n)) => match n.channel() {
                    CHANGES => {
                        if let Some(t) = TenantId::parse(n.payload()) {
                            h.wake(Some(t));
                        }
                    }
                    SESSIONS => {
                        if let Some(u) = UserId::parse(n.payload()) {
                            h.session(SessionSignal::User(u));
                        }
                    }
                    _ => {}
                },
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "listening for changes failed");
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Asks SQLite's data version for as long as the hub lives: it moves when another connection
/// of this process commits, and every watched tenant is woken then (and once when watching
/// begins, as when PostgreSQL's listener begins).
async fn watch_sqlite(hub: std::sync::Weak<Inner>) {
    let Some(url) = hub.upgrade().map(|h| h.url.clone()) else {
        return;
    };
    let mut conn = None;
    let mut last: Option<i64> = None;
    loop {
        if conn.is_none() {
            conn = sqlx::AnyConnection::connect(&url).await.ok();
        }
        if let Some(c) = conn.as_mut() {
            let version: Result<(i64,), _> = sqlx::query_as("PRAGMA data_version")
                .fetch_one(&mut *c)
                .await;
            match version {
                Ok((v,)) if last != Some(v) => {
                    let Some(h) = hub.upgrade() else {
                        return;
                    };
                    h.wake(None);
                    last = Some(v);
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "watching for changes failed");
                    // A new connection counts from its own start: wake once more then.
                    conn = None;
                    last = None;
                }
            }
        }
        tokio::time::sleep(SQLITE_EVERY).await;
        if hub.strong_count() == 0 {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use loopdesk_core::ticket::{Actor, Channel};
    use loopdesk_core::{Role, Roles};

    use super::*;
    use crate::{NewTicket, NewUser, Store, StoreOptions};

    async fn wait_for(rx: &mut watch::Receiver<u64>) -> bool {
        tokio::time::timeout(Duration::from_secs(5), rx.changed())
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Two handles on one database stand for two instances: a ticket created through one
    /// wakes the other's watchers of that tenant (not another tenant's), and a token revoked
    /// through one is heard by the other.
    async fn heard_across(url: String) {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap();
        let (a, tenant) = crate::test_store(url.clone()).await;
        let b = Store::connect(&StoreOptions {
            url,
            max_connections: 2,
            ..StoreOptions::default()
        })
        .await
        .unwrap();
        let other = a.create_tenant("other", "Other", at).await.unwrap().id;
        let mut watching = b.tenant(tenant).changes();
        let mut elsewhere = b.tenant(other).changes();
        let mut sessions = b.session_signals();
        // The listener is up (it wakes everything once it listens): then nothing more.
        assert!(wait_for(&mut watching).await, "the listener never began");
        watching.mark_unchanged();
        elsewhere.mark_unchanged();
        while sessions.try_recv().is_ok() {}

        let t = a.tenant(tenant);
        let agent = t
            .create_user(
                NewUser {
                    username: "agent".into(),
                    password: "signals-password".into(),
                    roles: [Role::Agent].into_iter().collect::<Roles>(),
                    ..NewUser::default()
                },
                at,
            )
            .await
            .unwrap();
        let actor = Actor::User {
            id: agent.id,
            roles: [Role::Agent].into_iter().collect(),
            customer_id: None,
            region_id: None,
        };
        let ticket = NewTicket {
            subject: "空调不制冷".into(),
            description: "三楼".into(),
            priority: 2,
            channel: Channel::Phone,
            customer_id: None,
            contact_phone: None,
            site_id: None,
            asset_id: None,
            category: None,
            fields: None,
        };
        t.create_ticket(&actor, ticket, None, at).await.unwrap();
        assert!(
            wait_for(&mut watching).await,
            "the other instance heard nothing"
        );
        if b.backend() == Backend::Postgres {
            // SQLite's one process wakes every tenant; PostgreSQL says which one.
            assert!(!elsewhere.has_changed().unwrap());
        }

        if b.backend() == Backend::Postgres {
            let token = a
                .issue_token(
                    &agent,
                    "session",
                    chrono::Duration::hours(1),
                    at,
                    &crate::TokenOrigin::default(),
                )
                .await
                .unwrap();
            a.revoke_token(&token, at).await.unwrap();
            let heard = tokio::time::timeout(Duration::from_secs(5), async {
                loop {
                    match sessions.recv().await {
                        Ok(SessionSignal::User(u)) if u == agent.id => return true,
                        Ok(_) => {}
                        Err(_) => return false,
                    }
                }
            })
            .await;
            assert_eq!(heard, Ok(true), "the revocation was not heard");
        }
        b.close().await;
        a.close().await;
    }

    #[tokio::test]
    async fn a_change_wakes_the_tenants_watchers_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        heard_across(format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("s.db").display()
        ))
        .await;
    }

    #[tokio::test]
    #[cfg_attr(
        not(loopdesk_pg),
        ignore = "skipped: set LOOPDESK_TEST_POSTGRES=postgres://… to run on PostgreSQL"
    )]
    async fn a_change_or_a_revocation_is_heard_by_every_instance_on_postgres() {
        let server = std::env::var("LOOPDESK_TEST_POSTGRES").unwrap();
        let name = format!("loopdesk_signals_{}", uuid::Uuid::new_v4().simple());
        let url = crate::create_database(&server, &name).await.unwrap();
        heard_across(url).await;
        crate::drop_database(&server, &name).await.unwrap();
    }
}
