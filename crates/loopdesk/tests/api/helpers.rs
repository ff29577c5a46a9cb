//! The test harness: a real server on a random port over a fresh database (a SQLite file in a
//! temporary directory, or a PostgreSQL database created for the test and dropped after it),
//! with a clock the test controls, and typed helpers for the API.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use loopdesk::app::{self, Application};
use loopdesk::config::Config;
use loopdesk_core::clock::{Clock, ManualClock};
use loopdesk_store::Store;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a scenario once on SQLite and once on PostgreSQL. The PostgreSQL variant is marked
/// ignored, with the reason in the test output, unless `LOOPDESK_TEST_POSTGRES` is set.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::helpers::Backend::Sqlite).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(loopdesk_pg), ignore = "skipped: set LOOPDESK_TEST_POSTGRES=postgres://… to run on PostgreSQL")]
            async fn $name() {
                super::$name($crate::helpers::Backend::Postgres).await
            })*
        }
    };
}

/// A PostgreSQL database made for one test, dropped when the test ends.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside async code: use a runtime of its own on a plain thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&url).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

async fn fresh_postgres() -> (String, PgDatabase) {
    use sqlx::Connection;
    let admin_url = std::env::var("LOOPDESK_TEST_POSTGRES").expect("LOOPDESK_TEST_POSTGRES");
    let name = format!("loopdesk_test_{}", uuid::Uuid::new_v4().simple());
    let mut c = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to LOOPDESK_TEST_POSTGRES");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await
        .expect("create test database");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    (
        format!("{base}/{name}"),
        PgDatabase {
            admin_url: admin_url.clone(),
            name,
        },
    )
}

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub admin: String,
    pub config: Config,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

pub const ADMIN_PASSWORD: &str = "desk-root-password-1";
pub const PASSWORD: &str = "user-password-1";

/// Starts a server on a fresh database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts a server on a fresh database, with the test's changes to the configuration.
pub async fn spawn_app_with(backend: Backend, change: impl FnOnce(&mut Config)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        loopdesk::telemetry::init(false);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = match backend {
        Backend::Sqlite => (loopdesk::config::sqlite_url(dir.path()), None),
        Backend::Postgres => {
            let (url, db) = fresh_postgres().await;
            (url, Some(db))
        }
    };
    let config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        database_url: url.into(),
        read_database_url: None,
        admin_password: Some(ADMIN_PASSWORD.into()),
        public_url: None,
        smtp_url: None,
        mail_from: "Loopdesk <loopdesk@localhost>".into(),
        max_upload_bytes: 256 * 1024,
        session_hours: 24,
        login_attempts_per_minute: 10,
        max_connections: 8,
        demo: false,
        jobs: false,
        // Webhook receivers in tests and benchmarks listen on loopback.
        webhook_allow: vec!["127.0.0.0/8".parse().expect("range")],
        metrics_token: None,
        trusted_proxies: Vec::new(),
        pdf_font: None,
        attachments: match backend {
            Backend::Sqlite => loopdesk::config::Attachments::Directory,
            Backend::Postgres => loopdesk::config::Attachments::Database,
        },
        default_lang: loopdesk_core::i18n::Lang::default(),
        job_lease: chrono::Duration::seconds(60),
    };
    let mut config = config;
    change(&mut config);
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap(),
    ));
    let store = app::open_store(&config).await.expect("open store");
    app::bootstrap(&store, config.admin_password.as_deref(), clock.as_ref())
        .await
        .expect("bootstrap");
    let (app, server, shutdown) = start(&config, store.clone(), clock.clone()).await;
    let client = Client::new();
    let mut test = TestApp {
        base: app,
        client,
        store,
        clock,
        admin: String::new(),
        config,
        shutdown: Some(shutdown),
        server: Some(server),
        _dir: dir,
        _pg: pg,
    };
    test.admin = test.login("admin", ADMIN_PASSWORD).await;
    test
}

type Started = (
    String,
    tokio::task::JoinHandle<anyhow::Result<()>>,
    tokio::sync::oneshot::Sender<()>,
);

async fn start(config: &Config, store: Store, clock: Arc<ManualClock>) -> Started {
    let application = Application::build(config, store, clock as Arc<dyn Clock>)
        .await
        .expect("build");
    let base = format!("http://127.0.0.1:{}", application.port());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(application.run_until(async move {
        let _ = rx.await;
    }));
    (base, server, tx)
}

impl TestApp {
    /// Stops the server gracefully and starts a new one on the same database (a restart).
    pub async fn restart(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.await.expect("join").expect("server ended cleanly");
        }
        self.store.close().await;
        let store = app::open_store(&self.config).await.expect("reopen");
        self.store = store.clone();
        let (base, server, shutdown) = start(&self.config, store, self.clock.clone()).await;
        self.base = base;
        self.server = Some(server);
        self.shutdown = Some(shutdown);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self
            .post_json(
                "",
                "/api/v1/auth/login",
                &json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "login {username}");
        let v: Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_owned()
    }

    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request")
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// Sends JSON with `method`; answers the status and the JSON body (null when none).
    pub async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        let r = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// PATCHes JSON; answers the status and the JSON body.
    pub async fn patch(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, token, path, body).await
    }

    /// POSTs and asserts the status; answers the JSON body.
    pub async fn ok(&self, token: &str, path: &str, body: Value, status: u16) -> Value {
        let r = self.post_json(token, path, &body).await;
        let got = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_eq!(got, status, "POST {path} {body} → {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Adds a request category (as the admin).
    pub async fn category(&self, code: &str, name: &str) {
        let body = json!({ "code": code, "name": name });
        self.ok(&self.admin, "/api/v1/categories", body, 201).await;
    }

    /// Records a P3 phone request for `customer`; answers the ticket.
    pub async fn ticket(&self, token: &str, customer: &str, subject: &str) -> Value {
        self.ok(
            token,
            "/api/v1/tickets",
            json!({ "subject": subject, "priority": 3, "channel": "phone", "customer_id": customer }),
            201,
        )
        .await
    }

    /// The id of the install's first tenant (`default`), as text.
    pub async fn default_tenant_id(&self) -> String {
        let t = self.store.tenant_by_slug("default").await.unwrap();
        t.expect("the default tenant").id.to_string()
    }

    /// Makes another tenant `slug` with one user holding `role`; answers their token (a
    /// sign-in that names the tenant).
    pub async fn other_tenant_user(
        &self,
        slug: &str,
        username: &str,
        role: loopdesk_core::Role,
    ) -> String {
        let now = self.clock.now();
        let other = self.store.create_tenant(slug, slug, now).await.unwrap();
        let new = loopdesk_store::NewUser {
            username: username.into(),
            password: PASSWORD.into(),
            roles: [role].into_iter().collect(),
            ..loopdesk_store::NewUser::default()
        };
        self.store
            .tenant(other.id)
            .create_user(new, now)
            .await
            .unwrap();
        let r = self
            .post_json(
                "",
                "/api/v1/auth/login",
                &json!({ "username": username, "password": PASSWORD, "tenant": slug }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "login {username}@{slug}");
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// GETs and asserts `status`; answers the JSON body.
    pub async fn ok_get(&self, token: &str, path: &str, status: u16) -> Value {
        let r = self.get(token, path).await;
        let got = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_eq!(got, status, "GET {path} → {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// GETs and asserts 200; answers the JSON body.
    pub async fn read(&self, token: &str, path: &str) -> Value {
        let r = self.get(token, path).await;
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "GET {path} → {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Creates a user with `roles` and answers (id, token).
    pub async fn user(&self, username: &str, roles: &[&str], extra: Value) -> (String, String) {
        let mut body = json!({ "username": username, "password": PASSWORD, "roles": roles });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let u = self.ok(&self.admin, "/api/v1/users", body, 201).await;
        let id = u["id"].as_str().unwrap().to_owned();
        (id, self.login(username, PASSWORD).await)
    }

    /// Creates a customer with one contact (phone) and one site at People's Square; answers
    /// (customer id, site id).
    pub async fn customer(&self, token: &str, name: &str, phone: &str) -> (String, String) {
        let body = json!({
            "name": name, "tier": "vip",
            "contacts": [{ "name": "李雷", "phone": phone }],
            "sites": [{ "name": "总店", "address": "上海市黄浦区人民大道 1 号", "lat": 31.2304, "lon": 121.4737, "geofence_m": 300 }]
        });
        let c = self.ok(token, "/api/v1/customers", body, 201).await;
        (
            c["id"].as_str().unwrap().to_owned(),
            c["sites"][0]["id"].as_str().unwrap().to_owned(),
        )
    }

    /// Registers equipment of catalogue model `model` at a customer's site; answers the asset.
    pub async fn asset(
        &self,
        token: &str,
        (customer, site): (&str, &str),
        model: &str,
        serial: &str,
    ) -> Value {
        let body =
            json!({ "customer_id": customer, "site_id": site, "model": model, "serial": serial });
        self.ok(token, "/api/v1/assets", body, 201).await
    }

    /// Moves a ticket; asserts the status and answers the body.
    pub async fn go(&self, token: &str, ticket: &Value, mut body: Value, status: u16) -> Value {
        let id = ticket["id"].as_str().unwrap();
        if body.get("version").is_none() {
            body["version"] = ticket["version"].clone();
        }
        self.ok(
            token,
            &format!("/api/v1/tickets/{id}/transitions"),
            body,
            status,
        )
        .await
    }

    /// Works a new ticket and resolves it remotely with `resolution` (no visit); answers the
    /// resolved ticket.
    pub async fn resolve_remotely(&self, token: &str, ticket: &Value, resolution: &str) -> Value {
        let t = self
            .go(token, ticket, json!({ "to": "in_progress" }), 200)
            .await;
        self.go(
            token,
            &t,
            json!({ "to": "resolved", "report": { "resolution": resolution, "remote": true } }),
            200,
        )
        .await
    }

    /// Uploads a file to a ticket; answers the response.
    pub async fn upload(
        &self,
        token: &str,
        ticket: &str,
        kind: &str,
        bytes: Vec<u8>,
        name: &str,
    ) -> Response {
        let form = reqwest::multipart::Form::new()
            .text("kind", kind.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        self.client
            .post(self.url(&format!("/api/v1/tickets/{ticket}/attachments")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }

    /// A new order for a customer's site, recorded by `agent` and assigned to the engineer
    /// `engineer_id`.
    pub async fn assigned_order(
        &self,
        agent: &str,
        (customer, site): (&str, &str),
        engineer_id: &str,
        subject: &str,
    ) -> Value {
        let t = self
            .ok(
                agent,
                "/api/v1/tickets",
                json!({ "channel": "phone", "customer_id": customer, "site_id": site,
                        "subject": subject, "description": "", "priority": 2 }),
                201,
            )
            .await;
        let assign = json!({ "to": "assigned", "assignee_id": engineer_id });
        self.go(agent, &t, assign, 200).await
    }

    /// An engineer ready for dispatch: `profile` set (capacity, skills…), on duty, at
    /// `(lat, lon)`.
    pub async fn ready_engineer(
        &self,
        (id, token): (&str, &str),
        profile: Value,
        (lat, lon): (f64, f64),
    ) {
        let r = self
            .client
            .put(self.url(&format!("/api/v1/engineers/{id}/profile")))
            .bearer_auth(&self.admin)
            .json(&profile)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        self.ok(token, "/api/v1/me/duty", json!({ "on_duty": true }), 200)
            .await;
        let at = json!({ "lat": lat, "lon": lon });
        self.ok(token, "/api/v1/me/position", at, 200).await;
    }

    /// The assigned engineer accepts, sets out and checks in at the helper customer's site
    /// (People's Square); answers the ticket on site.
    pub async fn walk_on_site(&self, engineer: &str, ticket: &Value) -> Value {
        let t = self
            .go(engineer, ticket, json!({ "to": "accepted" }), 200)
            .await;
        let t = self
            .go(engineer, &t, json!({ "to": "en_route" }), 200)
            .await;
        let check_in = json!({ "to": "on_site", "check_in": { "lat": 31.2306, "lon": 121.4739 } });
        self.go(engineer, &t, check_in, 200).await
    }

    /// `agent` assigns the ticket to the engineer `(id, token)`, who walks on site
    /// ([`TestApp::walk_on_site`]) and starts work; answers the ticket in progress.
    pub async fn work_on_site(&self, agent: &str, ticket: &Value, engineer: (&str, &str)) -> Value {
        let assign = json!({ "to": "assigned", "assignee_id": engineer.0 });
        let t = self.go(agent, ticket, assign, 200).await;
        let t = self.walk_on_site(engineer.1, &t).await;
        self.go(engineer.1, &t, json!({ "to": "in_progress" }), 200)
            .await
    }

    /// The assigned engineer accepts and checks in 2 km north of the helper customer's site,
    /// outside its 300 m geofence (the report will go to review); answers the ticket on site.
    pub async fn check_in_afar(&self, engineer: &str, ticket: &Value) -> Value {
        let t = self
            .go(engineer, ticket, json!({ "to": "accepted" }), 200)
            .await;
        let far = json!({ "to": "on_site", "check_in": { "lat": 31.2484, "lon": 121.4737 } });
        self.go(engineer, &t, far, 200).await
    }

    /// The engineer sends `report` as the ticket's work report; answers the ticket after.
    pub async fn send_report(&self, engineer: &str, ticket: &Value, report: Value) -> Value {
        let body = json!({ "to": "resolved", "report": report });
        self.go(engineer, ticket, body, 200).await
    }

    /// Uploads what a complete report needs (a before and an after photo, a signature);
    /// answers their ids in that order.
    pub async fn report_files(&self, token: &str, ticket: &str) -> Vec<String> {
        let mut ids = Vec::new();
        for kind in ["before", "after", "signature"] {
            let r = self
                .upload(token, ticket, kind, png(), &format!("{kind}.png"))
                .await;
            assert_eq!(r.status(), 201);
            let v: Value = r.json().await.unwrap();
            ids.push(v["id"].as_str().unwrap().to_owned());
        }
        ids
    }

    /// Runs raw SQL against the test database (for checks the API cannot make).
    pub async fn raw_sql(&self, sql: &str) -> Result<u64, sqlx::Error> {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&self.config.database_url).await?;
        Ok(sqlx::query(sql).execute(&mut c).await?.rows_affected())
    }

    /// Counts rows with raw SQL.
    pub async fn count(&self, sql: &str) -> i64 {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&self.config.database_url)
            .await
            .unwrap();
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&mut c)
            .await
            .unwrap()
    }
}

/// A tiny valid PNG.
pub fn png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x60,
        0x60, 0x60, 0xF8, 0x0F, 0x00, 0x01, 0x04, 0x01, 0x00, 0x5F, 0xE5, 0xC3, 0x4B, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

/// `text` as a query-string value.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
