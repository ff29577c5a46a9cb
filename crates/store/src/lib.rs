//! Loopdesk's storage: the only crate with SQL.
//!
//! One [`Store`] handle over SQLite (embedded, the default) or PostgreSQL (for scale), with
//! one schema and one migration set per backend. Every function is one intent and one
//! transaction; every ticket write appends its event in the same transaction. Queries are
//! portable SQL run through sqlx's `Any` driver; what differs between the backends stays in
//! [`dialect`]. Ids are UUID text and times are Unix milliseconds in UTC on both backends,
//! so date arithmetic is integer arithmetic everywhere.
//!
//! Tenant scoping is by construction: tenant data is only reachable through a
//! [`TenantStore`] (from [`Store::tenant`]), whose every query binds its tenant id.
//!
//! Uploaded files live beside the database, in the file store of [`blobs`].

mod assets;
mod audit;
pub mod backup;
pub mod blobs;
mod bulk;
mod cache;
mod channels;
mod contacts_sites;
mod contracts;
mod customer_merge;
mod customers;
mod dialect;
mod engineers;
mod error;
mod events;
mod facts;
mod idempotency;
mod import;
mod insights;
mod inventory;
mod knowledge;
mod kpi;
mod maintenance;
mod model;
mod outbox;
mod platform;
mod problems;
mod proposals;
mod queue;
mod requisitions;
mod risk;
mod rows;
mod scope;
mod search;
mod settings;
mod sign_in;
mod signals;
mod sla;
mod sql;
mod statistics;
#[cfg(test)]
mod story_tests;
mod surveys;
mod tenant;
pub mod tenant_move;
mod tickets;
mod triage;
mod users;
mod views;
mod wear;
mod whatif;

pub use assets::{
    AssetCard, AssetHistory, AssetListItem, AssetPage, AssetPart, AssetReading, AssetTicket,
    AssetVisit, Category, ProductModel,
};
pub use audit::{AuditEntry, AuditFilter, NewAudit};
pub use channels::{
    Call, CallFilter, CallPage, CallRecorded, Channel, ChannelDay, ChannelHealth, ChatIn,
    InboundChannel, InboundMessage, InboundPage, LiveCall, MailboxCursor, Received, ReceivedFile,
};
pub use contracts::Contract;
pub use customer_merge::CustomerMerge;
pub use customers::{CustomerFeedback, CustomerFilter, CustomerPage, CustomerSummary, SurveyLine};
pub use dialect::Backend;
pub use engineers::{EngineerView, Position};
pub use error::{RowError, StoreError};
pub use idempotency::Idempotency;
pub use import::{
    ContactImportRow, CustomerImportRow, HistoryEvent, HistoryTicket, SiteImportRow,
    TicketsImported,
};
pub use insights::{AlertReader, ProblemItem, ProblemTicketRef, ShareItem, MAX_WINDOW_DAYS};
pub use inventory::{
    CataloguePage, CatalogueRow, LedgerLine, LoadLine, LowStock, MovementView, OpeningRow, Part,
    StockItem, StockMovementInput, VanPart, Warehouse,
};
pub use knowledge::{Article, ArticleChange, ArticleQuery, KnowledgeFigures, NewArticle};
pub use kpi::{DueSchedule, KpiReport, KpiRequest, KpiRow, KpiSource, KpiTicket, ReportSchedule};
pub use loopdesk_core::customer::{CustomerEdit, NewAsset, NewContact, NewCustomer, NewSite};
pub use loopdesk_core::kpi::Filter as KpiFilter;
pub use maintenance::{Compliance, Plan};
pub use model::*;
pub use outbox::NewJob;
pub use platform::PlatformOperator;
pub use problems::{NewProblemRecord, ProblemRecord, ProblemRecordChange, RecordTicket};
pub use proposals::{AwaitingAcceptance, Proposal, ProposedEngineer};
pub use queue::{
    ActiveWebhook, ClaimedJob, JobView, NewNotification, NewWebhook, Notification, StaffRecipient,
    Webhook, WebhookDelivery,
};
pub use requisitions::{Requisition, RequisitionItem};
pub use risk::{RiskItem, RiskModel, MAX_BACKTEST_DAYS};
pub use search::reindex::{IndexSize, Reindexed};
pub use search::{SearchHit, SearchPage};
pub use sign_in::StoredTally;
pub use signals::SessionSignal;
pub use sla::{BusinessCalendarView, NewCalendar, NewSlaPolicy, ScanReport, SlaPolicy, SlaPreview};
pub use statistics::STATISTICS_EVERY;
pub use surveys::SurveyView;
pub use tickets::{
    AwaitingConfirmation, CategoryChange, HandCandidate, HandDispatch, NewTicket, PriorityChange,
    ServiceSheet, TicketFilter, TicketParties, TransitionRequest,
};
pub use triage::{DuplicateTicket, TrainReport, TriageModel, Triaged};
pub use users::{
    CodeCheck, DirectoryPerson, NewUser, RegionShape, SessionView, TenantSummary, TokenOrigin,
    UserEdit,
};
pub use views::SavedView;
pub use whatif::{CandidatePolicy, WhatIfFlip, WhatIfGroup, WhatIfReport};

use chrono::{DateTime, TimeZone, Utc};
use loopdesk_core::TenantId;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// Makes a new, empty PostgreSQL database `name` (letters, digits and `_`) on the server
/// `server_url` connects to, and answers its URL (for benchmarks and scratch runs).
pub async fn create_database(server_url: &str, name: &str) -> Result<String, StoreError> {
    use sqlx::Connection;
    check_database_name(name)?;
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(server_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await?;
    let base = server_url.rsplit_once('/').map_or(server_url, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

/// Drops a database made by [`create_database`], closing its connections.
pub async fn drop_database(server_url: &str, name: &str) -> Result<(), StoreError> {
    use sqlx::Connection;
    check_database_name(name)?;
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(server_url).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut c)
        .await?;
    Ok(())
}

fn check_database_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Corrupt(format!("database name `{name}`")));
    }
    Ok(())
}

/// A cloneable handle to the database.
#[derive(Clone, Debug)]
pub struct Store {
    /// Connections for writes: one on SQLite (a single writer never waits on a lock),
    /// the shared pool on PostgreSQL.
    write: AnyPool,
    /// Connections for reads (WAL readers on SQLite).
    read: AnyPool,
    /// Connections for reads that may lag a little (dashboards): a PostgreSQL streaming
    /// replica when one is given, else `read`.
    replica: AnyPool,
    backend: Backend,
    /// Writes ticket creations in groups (see [`batch`]).
    batcher: tickets::batch::Batcher,
    /// Tenants' settings, cached for a minute (read on every creation and every move).
    settings: cache::TenantCache<tenant::TenantSettings>,
    /// Tenants' SLA policies, cached for 30 s (read on every creation and every move).
    policies: cache::TenantCache<std::sync::Arc<Vec<sla::PolicyEntry>>>,
    /// Tenants' triage models, parsed (see [`triage`]).
    triage: triage::ModelCache,
    /// Tenants' open tickets' risk, for a minute (see [`risk`]).
    risk: cache::TenantCache<risk::Scored>,
    /// Tenants' published knowledge articles, their words counted, for a minute.
    articles: cache::TenantCache<knowledge::Published>,
    /// Tenants' KPI books (see [`facts`]).
    books: kpi::book::Books,
    /// Bulk history imports under way (see [`TenantStore::begin_import`]).
    importing: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// What the database tells this instance (see [`signals`]).
    signals: signals::Signals,
}

/// Connection settings.
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    /// `sqlite://path?mode=rwc` or `postgres://…`.
    pub url: String,
    /// Most connections in the read pool (and the PostgreSQL pool).
    pub max_connections: u32,
    /// A PostgreSQL streaming replica of `url` that dashboards read from (none: `url`).
    pub replica_url: Option<String>,
}

impl Store {
    /// Connects to the database named by the URL. SQLite files are created if missing and run
    /// in WAL mode with `synchronous=FULL` (an acknowledged write is durable).
    pub async fn connect(opts: &StoreOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(&opts.url)?;
        // `extra`: settings for this pool's connections only (the SQLite writer's cache).
        let pool = |max: u32, extra: &'static str| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                // No ping before every use: it doubles the round trips of every query. A broken
                // connection still fails its query and is then dropped from the pool.
                .test_before_acquire(false)
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        conn.execute(backend.session_settings()).await?;
                        if !extra.is_empty() {
                            conn.execute(extra).await?;
                        }
                        Ok(())
                    })
                })
        };
        let (write, read) = match backend.pools(opts.max_connections) {
            dialect::Pools::Separate {
                writer_settings,
                reader_settings,
                readers,
            } => {
                let write = pool(1, writer_settings).connect(&opts.url).await?;
                (
                    write,
                    pool(readers, reader_settings).connect(&opts.url).await?,
                )
            }
            dialect::Pools::Shared(size) => {
                let shared = pool(size, "").connect(&opts.url).await?;
                (shared.clone(), shared)
            }
        };
        let replica = match &opts.replica_url {
            None => read.clone(),
            Some(url) => {
                if backend != Backend::Postgres || Backend::of_url(url)? != Backend::Postgres {
                    return Err(StoreError::Corrupt(
                        "a read replica is a PostgreSQL replica of a PostgreSQL database".into(),
                    ));
                }
                pool(opts.max_connections.div_ceil(2), "")
                    .connect(url)
                    .await?
            }
        };
        let batcher = tickets::batch::Batcher::spawn(write.clone());
        Ok(Store {
            write,
            read,
            replica,
            backend,
            batcher,
            settings: cache::TenantCache::new(Duration::from_secs(60)),
            policies: cache::TenantCache::new(Duration::from_secs(30)),
            triage: triage::ModelCache::default(),
            risk: cache::TenantCache::new(Duration::from_secs(risk::REUSED_SECS)),
            articles: cache::TenantCache::new(Duration::from_secs(60)),
            books: kpi::book::Books::default(),
            importing: std::sync::Arc::default(),
            signals: signals::Signals::new(&opts.url, backend),
        })
    }

    /// Applies the migrations the database does not have yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = self.backend.migrator();
        // An import cut short left indexes or keys to build; built before any migration that
        // may change them.
        self.build_deferred_schema().await?;
        migrator.run(&self.write).await?;
        self.backfill_facts().await?;
        if self.search_index_missing().await? {
            tracing::info!("building the search index");
            let built = self.reindex_search(|_, _| {}).await?;
            tracing::info!(documents = built.documents, "search index built");
        }
        Ok(())
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Answers when the database can be reached (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Closes every connection (graceful shutdown).
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
        self.replica.close().await;
    }

    /// Sign-in changes heard from the database (on PostgreSQL, made by any instance): a
    /// cache of checked tokens forgets what they name.
    pub fn session_signals(&self) -> tokio::sync::broadcast::Receiver<SessionSignal> {
        self.signals.sessions()
    }

    /// The data of one tenant. Every query made through it is scoped to that tenant.
    pub fn tenant(&self, tenant_id: TenantId) -> TenantStore {
        TenantStore {
            store: self.clone(),
            tenant_id,
        }
    }
}

/// The store, scoped to one tenant.
#[derive(Clone, Debug)]
pub struct TenantStore {
    store: Store,
    tenant_id: TenantId,
}

impl TenantStore {
    /// The tenant this handle is scoped to.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    /// A value that moves each time this tenant's tickets or calls change, on any instance:
    /// a live page waits on it instead of asking the database over and over.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.store.signals.tenant(self.tenant_id)
    }

    fn tid(&self) -> String {
        self.tenant_id.to_string()
    }
}

/// Milliseconds since the Unix epoch, the stored form of an instant.
pub(crate) fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The instant stored as `ms`.
pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// A migrated store at `url` with one tenant, for the crate's own tests.
#[cfg(test)]
pub(crate) async fn test_store(url: String) -> (Store, TenantId) {
    use chrono::TimeZone;
    let store = Store::connect(&StoreOptions {
        url,
        max_connections: 2,
        ..StoreOptions::default()
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let at = chrono::Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap();
    let tenant = store.create_tenant("t", "T", at).await.unwrap().id;
    (store, tenant)
}
