//! `loopdesk`: closed-loop work orders and field service, in one binary.

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use loopdesk::app::{self, Application, DEFAULT_TENANT};
use loopdesk::config::{Config, DbArgs, OutboundArgs, ServeArgs};
use loopdesk::{cti_sim, demo, dispatch_bench, progress, telemetry, SystemClock};
use loopdesk_core::clock::Clock;
use loopdesk_core::i18n::{tf, Lang};
use loopdesk_core::{CustomerId, Role};
use loopdesk_store::NewUser;

mod tenant_cmd;
use tenant_cmd::{tenant_command, TenantCommand};

/// mimalloc instead of glibc's allocator: glibc gives each of the server's threads (tokio
/// workers, one per SQLite connection) an arena of its own, and measured under the read
/// benchmark that fragmentation alone cost about 20 MiB of resident memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Loopdesk — closed-loop work orders (工单) and field service.
///
/// Start here: `loopdesk serve` runs it on http://127.0.0.1:8080 with an embedded SQLite
/// database in ./loopdesk-data (add `--demo` for a living demo data set). Settings come from
/// flags, then LOOPDESK_* environment variables, then ./loopdesk.toml, then defaults.
#[derive(Parser, Debug)]
#[command(name = "loopdesk", version, about, long_about)]
struct Cli {
    /// Language of messages: zh-CN or en [default: from LANG, else zh-CN]
    #[arg(long, global = true, env = "LOOPDESK_LANG")]
    lang: Option<String>,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "LOOPDESK_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server (creates and migrates the database on first start).
    Serve {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Create or update the database schema, then exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Load the demo data set (Shanghai) into an existing database.
    Demo {
        #[command(flatten)]
        db: DbArgs,
        /// How many tickets to generate.
        #[arg(long, default_value_t = 500)]
        tickets: usize,
    },
    /// Run the background jobs alone (SLA scan, notifications, webhooks), without HTTP.
    /// `serve` runs them too; start this on extra machines to share the work.
    Jobs {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        outbound: OutboundArgs,
        /// Run what is due now, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Dispatch benchmark: the batch engine on an instance file; writes the assignment.
    DispatchBench(dispatch_bench::DispatchBenchArgs),
    /// Triage benchmark: the classifier on a labelled corpus (CSV `label,text`), held-out
    /// accuracy, macro-F1, training time and latency.
    BenchTriage(loopdesk::triage_bench::TriageBenchArgs),
    /// Play one phone call against a running server, as a PBX would (signed call events).
    CtiSim(cti_sim::CtiSimArgs),
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// The search index.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// Write one archive of this install while it runs: a consistent copy of the SQLite
    /// database, every attachment, and a manifest to check a restore by (on PostgreSQL the
    /// attachments; the database with pg_dump).
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The archive to write (must not exist).
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Tenants of this install (the platform operator's commands).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Restore an archive of `backup` into an empty install, checking every table and file.
    Restore {
        #[command(flatten)]
        db: DbArgs,
        /// The archive to read.
        #[arg(long)]
        from: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum SearchCommand {
    /// Rebuild the whole index from the tables (safe while Loopdesk runs), with a progress bar.
    Reindex {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a user; the password is read from standard input (first line).
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// Login name.
        #[arg(long)]
        username: String,
        /// Role (repeat for several): admin, manager, supervisor, dispatcher, agent, engineer, customer.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Tenant slug.
        #[arg(long, default_value = DEFAULT_TENANT)]
        tenant: String,
        /// Display name.
        #[arg(long)]
        display_name: Option<String>,
        /// For role customer: the customer's id.
        #[arg(long)]
        customer_id: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Print a documented example loopdesk.toml.
    Example,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    telemetry::init(matches!(cli.log_format, LogFormat::Json));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let lang = cli
        .lang
        .as_deref()
        .or(std::env::var("LANG").ok().as_deref())
        .and_then(Lang::from_tag)
        .unwrap_or_default();
    match runtime.block_on(run(cli.command, lang)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, lang: Lang) -> anyhow::Result<()> {
    let say = |key: &str, args: &[(&str, &str)]| tf(lang, key, args);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match command {
        Command::Serve { db, serve } => {
            let cfg = Config::resolve(&db, &serve)?;
            let store = app::open_store(&cfg).await?;
            let boot =
                app::bootstrap(&store, cfg.admin_password.as_deref(), clock.as_ref()).await?;
            if let Some(p) = &boot.generated_password {
                println!("{}", say("cli.first_start", &[("tenant", DEFAULT_TENANT)]));
                println!("{}", say("cli.admin_password", &[("password", p)]));
            }
            if cfg.demo {
                let report = demo::load_if_empty(
                    &store,
                    boot.tenant.id,
                    app::blobs(&cfg, &store).as_ref(),
                    500,
                    clock.now(),
                    lang,
                )
                .await?;
                if let Some(r) = report {
                    println!("{r}");
                }
            }
            let stopped = app::shutdown_flag();
            let statistics = tokio::spawn({
                let store = store.clone();
                let stop = app::wait_for(stopped.clone());
                async move { store.keep_statistics(stop).await }
            });
            let jobs = if cfg.jobs {
                let runner = app::job_runner(&store, clock.clone(), &cfg)?;
                Some(tokio::spawn(
                    runner.run_until(app::wait_for(stopped.clone())),
                ))
            } else {
                None
            };
            let application = Application::build(&cfg, store.clone(), clock).await?;
            // Support mailboxes (IMAP) are fetched where the jobs run, through the same
            // intake as mail piped to the API.
            let mailboxes = cfg.jobs.then(|| {
                tokio::spawn(loopdesk_web::mailboxes::watch(
                    application.state(),
                    app::instance_name(),
                    stopped.clone(),
                ))
            });
            tracing::info!(bind = %cfg.bind, port = application.port(), db = %app::redact(&cfg.database_url), "Loopdesk is listening");
            println!("{}", say("cli.running", &[("bind", &cfg.bind)]));
            let served = application.run_until(app::wait_for(stopped)).await;
            if let Some(jobs) = jobs {
                let _ = jobs.await;
            }
            if let Some(mailboxes) = mailboxes {
                let _ = mailboxes.await;
            }
            let _ = statistics.await;
            store.close().await;
            served
        }
        Command::Jobs { db, outbound, once } => {
            let serve = ServeArgs {
                outbound,
                ..ServeArgs::default()
            };
            let cfg = Config::resolve(&db, &serve)?;
            let store = app::open_store(&cfg).await?;
            let runner = app::job_runner(&store, clock.clone(), &cfg)?;
            if once {
                let n = runner.drain().await?;
                println!("{}", say("cli.jobs_ran", &[("count", &n.to_string())]));
            } else {
                runner.run_until(app::wait_for(app::shutdown_flag())).await;
            }
            store.close().await;
            Ok(())
        }
        Command::Search {
            command: SearchCommand::Reindex { db },
        } => {
            let cfg = Config::resolve(&db, &ServeArgs::default())?;
            let store = app::open_store(&cfg).await?;
            let started = std::time::Instant::now();
            let label = say("cli.reindexing", &[]);
            let mut bar = progress::Bar::new(&label);
            let done = store
                .reindex_search(|done, total| bar.show(done, total))
                .await?;
            bar.finish();
            store.close().await;
            let seconds = format!("{:.1}", started.elapsed().as_secs_f64());
            println!(
                "{}",
                say(
                    "cli.reindexed",
                    &[
                        ("documents", &done.documents.to_string()),
                        ("removed", &done.removed.to_string()),
                        ("seconds", &seconds),
                    ]
                )
            );
            Ok(())
        }
        Command::Tenant { command } => tenant_command(command, lang).await,
        Command::Backup { db, out } => {
            let cfg = Config::resolve(&db, &ServeArgs::default())?;
            let now = SystemClock.now();
            let made = loopdesk::backup::backup(&cfg, &out, now).await?;
            let rows: u64 = made.tables.values().map(|t| t.rows).sum();
            println!(
                "{}",
                say(
                    "cli.backed_up",
                    &[
                        ("path", &out.display().to_string()),
                        ("tables", &made.tables.len().to_string()),
                        ("rows", &rows.to_string()),
                        ("files", &made.files.len().to_string()),
                    ]
                )
            );
            Ok(())
        }
        Command::Restore { db, from } => {
            let cfg = Config::resolve(&db, &ServeArgs::default())?;
            let made = loopdesk::backup::restore(&cfg, &from).await?;
            let rows: u64 = made.tables.values().map(|t| t.rows).sum();
            println!(
                "{}",
                say(
                    "cli.restored",
                    &[
                        ("made_at", &made.made_at),
                        ("tables", &made.tables.len().to_string()),
                        ("rows", &rows.to_string()),
                        ("files", &made.files.len().to_string()),
                    ]
                )
            );
            Ok(())
        }
        Command::Migrate { db } => {
            let cfg = Config::resolve(&db, &ServeArgs::default())?;
            app::open_store(&cfg).await?;
            println!(
                "{}",
                say("cli.migrated", &[("url", &app::redact(&cfg.database_url))])
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    db,
                    username,
                    roles,
                    tenant,
                    display_name,
                    customer_id,
                },
        } => {
            let cfg = Config::resolve(&db, &ServeArgs::default())?;
            let roles = roles
                .iter()
                .map(|r| Role::parse(r).with_context(|| say("cli.unknown_role", &[("role", r)])))
                .collect::<anyhow::Result<_>>()?;
            let customer_id = match customer_id {
                Some(c) => Some(
                    CustomerId::parse(&c)
                        .with_context(|| say("cli.not_a_customer_id", &[("id", &c)]))?,
                ),
                None => None,
            };
            let password = read_password(&say("cli.password_prompt", &[]))?;
            let store = app::open_store(&cfg).await?;
            app::bootstrap(&store, None, clock.as_ref()).await?;
            let Some(t) = store.tenant_by_slug(&tenant).await? else {
                bail!(say("cli.no_tenant", &[("tenant", &tenant)]));
            };
            let new = NewUser {
                username,
                password,
                roles,
                display_name,
                customer_id,
                team_id: None,
                region_id: None,
                ..NewUser::default()
            };
            let user = store
                .tenant(t.id)
                .create_user(new, clock.now())
                .await
                .map_err(|e| match e {
                    loopdesk_store::StoreError::Invalid(f) => {
                        anyhow::anyhow!("{}: {}", f.field, loopdesk_core::i18n::t(lang, f.reason))
                    }
                    loopdesk_store::StoreError::Conflict { field } => {
                        anyhow::anyhow!(say("cli.taken", &[("field", field)]))
                    }
                    other => anyhow::Error::new(other),
                })?;
            let id = user.id.to_string();
            println!(
                "{}",
                say(
                    "cli.user_created",
                    &[("username", &user.username), ("id", &id)]
                )
            );
            Ok(())
        }
        Command::Demo { db, tickets } => {
            let cfg = Config::resolve(&db, &ServeArgs::default())?;
            let store = app::open_store(&cfg).await?;
            let boot = app::bootstrap(&store, None, clock.as_ref()).await?;
            if let Some(p) = &boot.generated_password {
                println!("{}", say("cli.first_start", &[("tenant", DEFAULT_TENANT)]));
                println!("{}", say("cli.admin_password", &[("password", p)]));
            }
            match demo::load_if_empty(
                &store,
                boot.tenant.id,
                app::blobs(&cfg, &store).as_ref(),
                tickets,
                clock.now(),
                lang,
            )
            .await?
            {
                Some(r) => println!("{r}"),
                None => println!("{}", say("cli.demo_skipped", &[])),
            }
            Ok(())
        }
        Command::DispatchBench(args) => dispatch_bench::run(&args),
        Command::CtiSim(args) => cti_sim::run(args).await,
        Command::BenchTriage(args) => loopdesk::triage_bench::run(&args),
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            print!("{}", loopdesk::config::EXAMPLE);
            Ok(())
        }
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&loopdesk_web::openapi())?
            );
            Ok(())
        }
    }
}

/// The first line of standard input, asking for it on a terminal.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprintln!("{prompt}");
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from stdin")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}
