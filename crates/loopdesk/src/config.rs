//! Configuration: command-line flags, then `LOOPDESK_*` environment variables, then an optional
//! TOML file (`--config`, default `./loopdesk.toml` when present), then built-in defaults that
//! just work (SQLite under `./loopdesk-data`, port 8080 on loopback).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use loopdesk_core::net::{self, IpRange};
use serde::Deserialize;

/// A value that may hold a credential: a password, or a URL with one in it. It reads as the
/// string it holds, but its `Debug` (and so every log line and panic message that formats a
/// configuration) shows a URL with its password masked and anything else as `***`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The value itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Secret {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_owned())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.contains("://") {
            write!(f, "{:?}", redact(&self.0))
        } else {
            f.write_str("***")
        }
    }
}

/// A URL with the password of its credentials (if any) replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Flags shared by every command that opens the database.
#[derive(Args, Debug, Clone, Default)]
pub struct DbArgs {
    /// Directory for the embedded database and uploads [default: ./loopdesk-data]
    #[arg(long, env = "LOOPDESK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: postgres://… for PostgreSQL [default: SQLite in the data directory]
    #[arg(long, env = "LOOPDESK_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,
    /// TOML configuration file [default: ./loopdesk.toml if it exists]
    #[arg(long, env = "LOOPDESK_CONFIG")]
    pub config: Option<PathBuf>,
    /// A PostgreSQL streaming replica of the database that dashboards (KPIs) read from, to
    /// spare the primary [default: none: they read the database]
    #[arg(long, env = "LOOPDESK_READ_DATABASE_URL", hide_env_values = true)]
    pub read_database_url: Option<Secret>,
    /// Where uploaded files are kept: `database` (every instance reads them), `directory`
    /// (<data dir>/attachments) or an S3-compatible bucket, `s3+https://KEY:SECRET@host/bucket`
    /// [default: database on PostgreSQL, directory on SQLite]
    #[arg(long, env = "LOOPDESK_ATTACHMENTS")]
    pub attachments: Option<String>,
}

/// Where uploaded files are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachments {
    /// In the database, in parts: every instance on it reads them.
    Database,
    /// Under `<data dir>/attachments`.
    Directory,
    /// In a bucket of an S3-compatible object store: `s3+https://KEY:SECRET@host[:port]/bucket
    /// [?region=…]` (`s3+http://` for a store on a private network).
    S3(Secret),
}

impl Attachments {
    /// The store named by `--attachments`, else the database's default.
    fn resolve(named: Option<&str>, database_url: &str) -> anyhow::Result<Attachments> {
        match named.map(str::trim) {
            Some("database") => Ok(Attachments::Database),
            Some("directory") => Ok(Attachments::Directory),
            Some(url) if url.starts_with("s3+http://") || url.starts_with("s3+https://") => {
                crate::s3::S3Blobs::check(url)?;
                Ok(Attachments::S3(Secret::from(url)))
            }
            Some(other) => {
                anyhow::bail!(
                    "attachments: `{}` is neither database, directory nor s3+https://KEY:SECRET@host/bucket",
                    redact(other)
                )
            }
            None if database_url.starts_with("postgres") => Ok(Attachments::Database),
            None => Ok(Attachments::Directory),
        }
    }
}

/// Flags of `serve`.
#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "LOOPDESK_BIND")]
    pub bind: Option<String>,
    /// Password for the `admin` account created on first start [default: random, printed once]
    #[arg(long, env = "LOOPDESK_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Secret>,
    #[command(flatten)]
    pub outbound: OutboundArgs,
    /// Largest upload in megabytes [default: 10]
    #[arg(long, env = "LOOPDESK_MAX_UPLOAD_MB")]
    pub max_upload_mb: Option<usize>,
    /// Load the demo data set (Shanghai) if the database has no customers yet
    #[arg(long)]
    pub demo: bool,
    /// Do not run the background jobs in this process (run `loopdesk jobs` elsewhere)
    #[arg(long, env = "LOOPDESK_NO_JOBS", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_jobs: bool,
    /// The language of pages before anyone signs in, and of people who chose none: `zh-CN`
    /// or `en` [default: zh-CN]. The browser's own language is not asked: a Chinese team on an
    /// English browser still sees Chinese.
    #[arg(long, env = "LOOPDESK_DEFAULT_LANG")]
    pub default_lang: Option<String>,
    /// Bearer token `/metrics` asks for [default: none; `/metrics` answers loopback callers
    /// that came through no proxy only]
    #[arg(long, env = "LOOPDESK_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,
    /// Reverse proxies (addresses or ranges, comma-separated) whose X-Forwarded-For names the
    /// client, for the login limiter [default: none]
    #[arg(long, env = "LOOPDESK_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
    /// The CJK font service reports are set in (a .ttf/.otf/.ttc file; `file.ttc#2` for the
    /// third face of a collection) [default: the first of wqy-microhei, Noto Sans CJK, wqy-zenhei
    /// found on the system]
    #[arg(long, env = "LOOPDESK_PDF_FONT")]
    pub pdf_font: Option<String>,
}

/// Flags of everything that sends messages (`serve` and `jobs`).
#[derive(Args, Debug, Clone, Default)]
pub struct OutboundArgs {
    /// Public URL, for links in messages; when https, cookies are marked Secure [default: http://<bind>]
    #[arg(long, env = "LOOPDESK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// SMTP server for e-mail: smtps://user:pass@host, smtp://host:587?tls=required (STARTTLS),
    /// or smtp://host:25 (plain) [default: no e-mail]
    #[arg(long, env = "LOOPDESK_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,
    /// Sender of e-mail [default: Loopdesk <loopdesk@localhost>]
    #[arg(long, env = "LOOPDESK_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Internal address ranges webhooks may reach, comma-separated (10.0.0.0/8,fd00::/8)
    /// [default: none: webhooks go to public addresses only]
    #[arg(long, env = "LOOPDESK_WEBHOOK_ALLOW", value_delimiter = ',')]
    pub webhook_allow: Vec<String>,
}

/// The optional TOML file; every key may be left out.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// See `--bind`.
    pub bind: Option<String>,
    /// See `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// See `--database-url`.
    pub database_url: Option<Secret>,
    /// See `--public-url`.
    pub public_url: Option<String>,
    /// See `--max-upload-mb`.
    pub max_upload_mb: Option<usize>,
    /// See `--smtp-url`.
    pub smtp_url: Option<Secret>,
    /// See `--mail-from`.
    pub mail_from: Option<String>,
    /// Hours a login lasts [default: 168].
    pub session_hours: Option<i64>,
    /// Login attempts per address and username per minute [default: 10].
    pub login_attempts_per_minute: Option<u32>,
    /// Database connections [default: 16].
    pub max_connections: Option<u32>,
    /// See `--webhook-allow`.
    pub webhook_allow: Option<Vec<String>>,
    /// See `--metrics-token`.
    pub metrics_token: Option<Secret>,
    /// See `--default-lang`.
    pub default_lang: Option<String>,
    /// See `--trusted-proxies`.
    pub trusted_proxies: Option<Vec<String>>,
    /// See `--pdf-font`.
    pub pdf_font: Option<String>,
    /// See `--attachments`.
    pub attachments: Option<String>,
    /// See `--read-database-url`.
    pub read_database_url: Option<Secret>,
    /// Seconds a background job claimed by an instance stays its own before another may take
    /// it over (how soon work of a killed instance is picked up) [default: 60].
    pub job_lease_seconds: Option<i64>,
}

/// The documented example file (`loopdesk config example`).
pub const EXAMPLE: &str = r#"# loopdesk.toml — every key is optional; flags and LOOPDESK_* variables override it.
bind = "127.0.0.1:8080"              # LOOPDESK_BIND
data_dir = "./loopdesk-data"         # LOOPDESK_DATA_DIR
# database_url = "postgres://loopdesk@127.0.0.1:5432/loopdesk"   # LOOPDESK_DATABASE_URL
# public_url = "https://service.example.com"                     # LOOPDESK_PUBLIC_URL
max_upload_mb = 10                   # LOOPDESK_MAX_UPLOAD_MB
# smtp_url = "smtp://user:password@mail.example.com:587?tls=required"   # LOOPDESK_SMTP_URL
# mail_from = "Loopdesk <service@example.com>"                         # LOOPDESK_MAIL_FROM
session_hours = 168
login_attempts_per_minute = 10
max_connections = 16
# webhook_allow = ["10.0.0.0/8"]     # LOOPDESK_WEBHOOK_ALLOW: internal ranges webhooks may reach
# metrics_token = "…"                # LOOPDESK_METRICS_TOKEN: /metrics wants "Authorization: Bearer …"
default_lang = "zh-CN"               # LOOPDESK_DEFAULT_LANG: pages before sign-in (zh-CN or en)
# trusted_proxies = ["127.0.0.1"]    # LOOPDESK_TRUSTED_PROXIES: whose X-Forwarded-For to believe
# pdf_font = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc#2"   # LOOPDESK_PDF_FONT
# read_database_url = "postgres://loopdesk@replica:5432/loopdesk"   # LOOPDESK_READ_DATABASE_URL: dashboards read here
# attachments = "database"           # LOOPDESK_ATTACHMENTS: database, directory, or s3+https://KEY:SECRET@host/bucket?region=… (default: database on PostgreSQL)
job_lease_seconds = 60               # how soon another instance takes over a killed one's jobs
"#;

/// Everything resolved.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub bind: String,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Database URL.
    pub database_url: Secret,
    /// A streaming replica dashboards read from.
    pub read_database_url: Option<Secret>,
    /// Admin password for the first start.
    pub admin_password: Option<Secret>,
    /// Public URL.
    pub public_url: Option<String>,
    /// SMTP server, if e-mail is sent.
    pub smtp_url: Option<Secret>,
    /// Sender of e-mail.
    pub mail_from: String,
    /// Upload limit in bytes.
    pub max_upload_bytes: usize,
    /// Login lifetime.
    pub session_hours: i64,
    /// Login attempts per minute.
    pub login_attempts_per_minute: u32,
    /// Database connections.
    pub max_connections: u32,
    /// Load demo data.
    pub demo: bool,
    /// Run the job runner inside `serve`.
    pub jobs: bool,
    /// Internal address ranges webhooks may reach.
    pub webhook_allow: Vec<IpRange>,
    /// The token `/metrics` asks for.
    pub metrics_token: Option<Secret>,
    /// The language of pages before sign-in.
    pub default_lang: loopdesk_core::i18n::Lang,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpRange>,
    /// The font of service reports (none: the system's).
    pub pdf_font: Option<String>,
    /// Where uploaded files are kept.
    pub attachments: Attachments,
    /// How long a claimed background job is this instance's own.
    pub job_lease: chrono::Duration,
}

impl Config {
    /// Resolves flags/env over the file over defaults.
    pub fn resolve(db: &DbArgs, serve: &ServeArgs) -> anyhow::Result<Config> {
        let file = load_file(db.config.as_deref())?;
        let data_dir = db
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./loopdesk-data"));
        let database_url = db
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| Secret(sqlite_url(&data_dir)));
        let attachments = Attachments::resolve(
            db.attachments.as_deref().or(file.attachments.as_deref()),
            database_url.expose(),
        )?;
        Ok(Config {
            bind: serve
                .bind
                .clone()
                .or(file.bind)
                .unwrap_or_else(|| "127.0.0.1:8080".to_owned()),
            data_dir,
            read_database_url: db.read_database_url.clone().or(file.read_database_url),
            database_url,
            admin_password: serve.admin_password.clone(),
            public_url: serve.outbound.public_url.clone().or(file.public_url),
            smtp_url: serve.outbound.smtp_url.clone().or(file.smtp_url),
            mail_from: serve
                .outbound
                .mail_from
                .clone()
                .or(file.mail_from)
                .unwrap_or_else(|| "Loopdesk <loopdesk@localhost>".to_owned()),
            max_upload_bytes: serve.max_upload_mb.or(file.max_upload_mb).unwrap_or(10)
                * 1024
                * 1024,
            session_hours: file.session_hours.unwrap_or(168),
            login_attempts_per_minute: file.login_attempts_per_minute.unwrap_or(10),
            max_connections: file.max_connections.unwrap_or(16),
            demo: serve.demo,
            jobs: !serve.no_jobs,
            webhook_allow: address_ranges(
                "webhook_allow",
                &serve.outbound.webhook_allow,
                file.webhook_allow,
            )?,
            metrics_token: serve.metrics_token.clone().or(file.metrics_token),
            default_lang: match serve.default_lang.clone().or(file.default_lang) {
                None => loopdesk_core::i18n::Lang::default(),
                Some(tag) => loopdesk_core::i18n::Lang::from_tag(&tag).ok_or_else(|| {
                    anyhow::anyhow!("default_lang: `{tag}` is neither zh-CN nor en")
                })?,
            },
            trusted_proxies: address_ranges(
                "trusted_proxies",
                &serve.trusted_proxies,
                file.trusted_proxies,
            )?,
            pdf_font: serve.pdf_font.clone().or(file.pdf_font),
            attachments,
            job_lease: match file.job_lease_seconds {
                None => chrono::Duration::seconds(60),
                Some(s) if (5..=3600).contains(&s) => chrono::Duration::seconds(s),
                Some(s) => anyhow::bail!("job_lease_seconds: {s} is not between 5 and 3600"),
            },
        })
    }
}

/// A list of address ranges from a flag (or its variable), else from the file.
fn address_ranges(
    name: &str,
    flag: &[String],
    file: Option<Vec<String>>,
) -> anyhow::Result<Vec<IpRange>> {
    let items: Vec<String> = if flag.is_empty() {
        file.unwrap_or_default()
    } else {
        flag.to_vec()
    };
    let items: Vec<&str> = items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    net::ranges(&items).with_context(|| format!("reading {name}"))
}

/// The SQLite URL for a data directory.
pub fn sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("loopdesk.db").display()
    )
}

fn load_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("loopdesk.toml"), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).with_context(|| format!("reading {}", path.display())),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            Ok(FileConfig::default())
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
