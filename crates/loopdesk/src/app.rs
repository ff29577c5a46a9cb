//! Start-up: open and migrate the database, make sure the default tenant and its admin exist,
//! bind the listener first (so the port is known, e.g. 0 in tests), then serve until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use loopdesk_core::clock::Clock;
use loopdesk_core::i18n::{self, Lang};
use loopdesk_core::{Role, Roles};
use loopdesk_store::{NewUser, Store, StoreOptions, Tenant};
use loopdesk_web::{AppState, WebConfig};
use tokio::net::TcpListener;

use crate::config::Config;

/// Slug of the tenant created on first start.
pub const DEFAULT_TENANT: &str = "default";

/// Opens the database and applies pending migrations.
pub async fn open_store(cfg: &Config) -> anyhow::Result<Store> {
    if cfg.database_url.starts_with("sqlite:") {
        private_dir(&cfg.data_dir)
            .with_context(|| format!("creating data directory {}", cfg.data_dir.display()))?;
        if let Some(file) = sqlite_file(&cfg.database_url) {
            private_file(&file)
                .with_context(|| format!("creating the database file {}", file.display()))?;
        }
    }
    let store = Store::connect(&StoreOptions {
        url: cfg.database_url.expose().to_owned(),
        max_connections: cfg.max_connections,
        replica_url: cfg
            .read_database_url
            .as_ref()
            .map(|u| u.expose().to_owned()),
    })
    .await
    .with_context(|| format!("connecting to {}", redact(&cfg.database_url)))?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

pub use crate::config::redact;

/// The database file of a SQLite URL (`sqlite://path?mode=rwc`, `sqlite:path`); none for
/// an in-memory database.
pub(crate) fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// Makes `dir` (and its parents) and leaves it readable by this user only: it holds password
/// hashes, the tenants' keys and the customers' files.
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    builder.create(dir)
}

/// Creates the SQLite file readable by this user only before SQLite opens it (SQLite gives
/// its `-wal` and `-shm` files the same mode), and takes away what others could read of one
/// made by an older version.
fn private_file(file: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        options.open(file)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            match std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
    #[cfg(not(unix))]
    options.open(file).map(|_| ())
}

/// What the first start created.
pub struct Bootstrap {
    /// The default tenant.
    pub tenant: Tenant,
    /// The admin's password, when it was generated now (to print once).
    pub generated_password: Option<String>,
}

/// Creates the default tenant and its `admin` on first start; does nothing afterwards.
pub async fn bootstrap(
    store: &Store,
    admin_password: Option<&str>,
    clock: &dyn Clock,
) -> anyhow::Result<Bootstrap> {
    if let Some(tenant) = store.tenant_by_slug(DEFAULT_TENANT).await? {
        return Ok(Bootstrap {
            tenant,
            generated_password: None,
        });
    }
    let tenant = match store
        .create_tenant(DEFAULT_TENANT, "Loopdesk", clock.now())
        .await
    {
        Ok(t) => t,
        // Another instance won the race on a shared database.
        Err(loopdesk_store::StoreError::Conflict { .. }) => {
            let tenant = store
                .tenant_by_slug(DEFAULT_TENANT)
                .await?
                .context("default tenant vanished")?;
            return Ok(Bootstrap {
                tenant,
                generated_password: None,
            });
        }
        Err(e) => return Err(e).context("creating the default tenant"),
    };
    let (password, generated) = match admin_password {
        Some(p) => (p.to_owned(), None),
        None => {
            let p = format!("{:032x}", rand::random::<u128>());
            (p.clone(), Some(p))
        }
    };
    let admin = NewUser {
        username: "admin".into(),
        password,
        roles: [Role::Admin].into_iter().collect::<Roles>(),
        display_name: Some(i18n::t(Lang::ZhCn, "role.admin").to_owned()),
        customer_id: None,
        team_id: None,
        region_id: None,
        ..NewUser::default()
    };
    store
        .tenant(tenant.id)
        .create_user(admin, clock.now())
        .await
        .context("creating the admin account")?;
    Ok(Bootstrap {
        tenant,
        generated_password: generated,
    })
}

/// A built application with its listener bound.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Builds the HTTP application on an open store and binds the listener.
    pub async fn build(
        cfg: &Config,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Application> {
        let blobs = blobs(cfg, &store);
        let web = WebConfig {
            max_upload_bytes: cfg.max_upload_bytes,
            secure_cookies: cfg
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            session_ttl: chrono::Duration::hours(cfg.session_hours),
            login_attempts_per_minute: cfg.login_attempts_per_minute,
            public_url: cfg
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", cfg.bind)),
            webhook_allow: cfg.webhook_allow.clone(),
            metrics_token: cfg.metrics_token.as_ref().map(|t| t.expose().to_owned()),
            trusted_proxies: cfg.trusted_proxies.clone(),
            pdf_font: cfg.pdf_font.clone(),
            default_lang: cfg.default_lang,
        };
        let listener = TcpListener::bind(&cfg.bind)
            .await
            .with_context(|| format!("binding {}", cfg.bind))?;
        Ok(Application {
            listener,
            state: AppState::new(store, clock, web, blobs),
        })
    }

    /// The application's state (shared with work beside the server, such as fetching
    /// mailboxes).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight. The store
    /// stays open: the caller closes it once everything else using it (the job runner) is done.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let closing = self.state.closing.clone();
        let router = loopdesk_web::router(self.state);
        // Live pages end first, or the shutdown would wait on them.
        let shutdown = async move {
            shutdown.await;
            let _ = closing.send(true);
        };
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")?;
        Ok(())
    }
}

/// Where this install keeps uploaded files (`--attachments`).
pub fn blobs(cfg: &Config, store: &Store) -> Arc<dyn loopdesk_store::blobs::Blobs> {
    match &cfg.attachments {
        crate::config::Attachments::Database => {
            Arc::new(loopdesk_store::blobs::DbBlobs::new(store.clone()))
        }
        crate::config::Attachments::Directory => Arc::new(loopdesk_store::blobs::FsBlobs::new(
            cfg.data_dir.join("attachments"),
        )),
        // Checked when the configuration was read.
        crate::config::Attachments::S3(url) => match crate::s3::S3Blobs::new(url.expose()) {
            Ok(s3) => Arc::new(s3),
            Err(e) => {
                tracing::error!(error = %e, "the S3 store's address; files go to the data directory");
                Arc::new(loopdesk_store::blobs::FsBlobs::new(
                    cfg.data_dir.join("attachments"),
                ))
            }
        },
    }
}

/// This process's name in leases, told apart from other processes' (host, process id and a
/// random part).
pub fn instance_name() -> String {
    format!(
        "{}-{}-{:08x}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "loopdesk".into()),
        std::process::id(),
        rand::random::<u32>()
    )
}

/// The job runner of this process, named so that its leases are told apart from other
/// processes' (host, process id and a random part).
pub fn job_runner(
    store: &Store,
    clock: Arc<dyn Clock>,
    cfg: &Config,
) -> anyhow::Result<loopdesk_jobs::Runner> {
    let name = instance_name();
    let config = loopdesk_jobs::RunnerConfig {
        public_url: cfg
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", cfg.bind)),
        webhook_allow: cfg.webhook_allow.clone(),
        lease: cfg.job_lease,
        ..loopdesk_jobs::RunnerConfig::default()
    };
    let runner = loopdesk_jobs::Runner::new(store.clone(), clock, name, config)
        .context("setting up the job runner's HTTP client")?
        .with_service_reports(blobs(cfg, store), cfg.pdf_font.clone());
    Ok(match &cfg.smtp_url {
        Some(url) => runner.with_mailer(
            loopdesk_jobs::Mailer::new(url, &cfg.mail_from).context("setting up e-mail")?,
        ),
        None => runner,
    })
}

/// A flag that turns true on SIGTERM or Ctrl-C, for everything that must stop then (the
/// HTTP server and the job runner watch the same one).
pub fn shutdown_flag() -> tokio::sync::watch::Receiver<bool> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    stopped
}

/// Completes once the flag turns true.
pub async fn wait_for(mut flag: tokio::sync::watch::Receiver<bool>) {
    let _ = flag.wait_for(|stop| *stop).await;
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
