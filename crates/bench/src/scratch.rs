//! A throw-away database for the benchmarks: SQLite in a temporary directory, or a fresh
//! database on the PostgreSQL server given, dropped when the benchmark is done.

use std::future::Future;

use anyhow::Context;

use loopdesk::config::Config;

/// Runs `bench` against a scratch database (`server`: a PostgreSQL server URL; none: SQLite)
/// and drops the database afterwards, whatever the outcome. `bench` gets a configuration that
/// points at it.
pub async fn with_scratch_database<F, Fut, T>(
    server: Option<&str>,
    name: &str,
    jobs: bool,
    bench: F,
) -> anyhow::Result<T>
where
    F: FnOnce(Config) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let dir = tempfile::tempdir()?;
    let (url, pg) = match server {
        Some(server) => {
            let name = format!("loopdesk_{name}_{}", std::process::id());
            let url = loopdesk_store::create_database(server, &name)
                .await
                .context("making a database for the benchmark")?;
            (url, Some((server.to_owned(), name)))
        }
        None => (loopdesk::config::sqlite_url(dir.path()), None),
    };
    let config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        database_url: url.into(),
        read_database_url: None,
        admin_password: Some("bench-desk-password".into()),
        public_url: None,
        smtp_url: None,
        mail_from: "Loopdesk <loopdesk@localhost>".into(),
        max_upload_bytes: 1 << 20,
        session_hours: 1,
        login_attempts_per_minute: 10,
        max_connections: 16,
        demo: false,
        jobs,
        // Webhook receivers in tests and benchmarks listen on loopback.
        webhook_allow: vec!["127.0.0.0/8".parse()?],
        metrics_token: None,
        trusted_proxies: Vec::new(),
        pdf_font: None,
        attachments: match pg {
            Some(_) => loopdesk::config::Attachments::Database,
            None => loopdesk::config::Attachments::Directory,
        },
        default_lang: loopdesk_core::i18n::Lang::default(),
        job_lease: chrono::Duration::seconds(60),
    };
    let result = bench(config).await;
    if let Some((server, name)) = pg {
        loopdesk_store::drop_database(&server, &name).await?;
    }
    result
}

/// Loopdesk serving in this process on a free port, with the admin signed in.
pub struct Served {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The admin's token.
    pub token: String,
    /// The web state (for what a benchmark calls directly).
    pub state: loopdesk_web::AppState,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Served {
    /// Starts Loopdesk on `store` and signs the admin in.
    pub async fn start(
        cfg: &Config,
        store: loopdesk_store::Store,
        clock: std::sync::Arc<dyn loopdesk_core::clock::Clock>,
        client: &reqwest::Client,
    ) -> anyhow::Result<Served> {
        let application = loopdesk::app::Application::build(cfg, store, clock).await?;
        let base = format!("http://127.0.0.1:{}", application.port());
        let state = application.state();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(application.run_until(async move {
            let _ = stopped.await;
        }));
        let password = cfg.admin_password.as_ref().map(|p| p.expose());
        let signed_in: serde_json::Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": "admin", "password": password }))
            .send()
            .await?
            .json()
            .await?;
        let token = signed_in["token"]
            .as_str()
            .context("signing in")?
            .to_owned();
        Ok(Served {
            base,
            token,
            state,
            stop,
            server,
        })
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
    }
}
