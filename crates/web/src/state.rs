//! Shared application state.

use std::sync::Arc;

use loopdesk_core::clock::Clock;
use loopdesk_core::net::IpRange;
use loopdesk_store::Store;

use crate::metrics::Metrics;

/// Knobs of the HTTP layer.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Largest upload in bytes.
    pub max_upload_bytes: usize,
    /// Mark cookies `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// How long a login lasts.
    pub session_ttl: chrono::Duration,
    /// Login attempts allowed per client address and username per minute.
    pub login_attempts_per_minute: u32,
    /// Where people reach Loopdesk (links printed on asset labels).
    pub public_url: String,
    /// Internal address ranges webhooks may still target (none by default).
    pub webhook_allow: Vec<IpRange>,
    /// The bearer token `/metrics` asks for; none: it answers loopback callers only.
    pub metrics_token: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none: the peer is the client).
    pub trusted_proxies: Vec<IpRange>,
    /// The font of service reports (`path` or `path#face`; none: the system's).
    pub pdf_font: Option<String>,
    /// The language of pages before sign-in, and of people who chose none.
    pub default_lang: loopdesk_core::i18n::Lang,
}

/// Everything a handler may need.
pub struct App {
    /// The database.
    pub store: Store,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// HTTP settings.
    pub config: WebConfig,
    /// Request counters for `/metrics`.
    pub metrics: Metrics,
    /// The sign-in guard.
    pub limiter: crate::extract::LoginGuard,
    /// Recently checked login tokens.
    pub sessions: crate::extract::SessionCache,
    /// Turns true when the server starts to shut down: long-lived responses (live pages)
    /// end then, so the shutdown does not wait on them.
    pub closing: tokio::sync::watch::Sender<bool>,
    /// Uploaded files.
    pub blobs: Arc<dyn crate::blobs::Blobs>,
    /// The font of service reports, read on first use.
    pub fonts: Arc<loopdesk_pdf::Fonts>,
}

/// The handle handlers receive.
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    /// Builds the state, with uploaded files kept in `blobs`.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        config: WebConfig,
        blobs: Arc<dyn crate::blobs::Blobs>,
    ) -> AppState {
        let limiter = crate::extract::LoginGuard::new(config.login_attempts_per_minute);
        let fonts = Arc::new(loopdesk_pdf::Fonts::new(config.pdf_font.clone()));
        let state = AppState(Arc::new(App {
            store,
            clock,
            config,
            metrics: Metrics::default(),
            limiter,
            sessions: crate::extract::SessionCache::new(),
            blobs,
            closing: tokio::sync::watch::channel(false).0,
            fonts,
        }));
        forget_what_the_database_revokes(&state);
        state
    }
}

/// Forgets cached sign-ins as the database says they changed (a token revoked, a user changed
/// or suspended — on any instance), for as long as the state lives.
fn forget_what_the_database_revokes(state: &AppState) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let mut heard = state.store.session_signals();
    let app = Arc::downgrade(&state.0);
    runtime.spawn(async move {
        loop {
            let signal = heard.recv().await;
            let Some(app) = app.upgrade() else {
                return;
            };
            match signal {
                Ok(loopdesk_store::SessionSignal::User(user)) => app.sessions.forget_user(user),
                Ok(loopdesk_store::SessionSignal::All)
                | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => app.sessions.clear(),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}
