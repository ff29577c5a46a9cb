//! `loopdesk tenant …`: the platform operator's commands over the tenants of an install.

use anyhow::bail;
use clap::Subcommand;
use loopdesk::app;
use loopdesk::config::{Config, DbArgs, ServeArgs};
use loopdesk::SystemClock;
use loopdesk_core::clock::Clock;
use loopdesk_core::Role;
use loopdesk_store::NewUser;

use crate::read_password;

#[derive(Subcommand, Debug)]
pub(crate) enum TenantCommand {
    /// Make a tenant with its first admin; the admin's password is read from standard input.
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// Short name for sign-in (lower-case letters, digits, hyphens).
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The first admin's login name.
        #[arg(long, default_value = "admin")]
        admin: String,
    },
    /// Every tenant with its users and tickets.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Stop a tenant: nobody of it signs in, its sessions end; its data stays.
    Suspend {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        slug: String,
    },
    /// Let a suspended tenant sign in again.
    Resume {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        slug: String,
    },
    /// Write one tenant — every row of it and every file — to one archive, consistent while
    /// it works on.
    Export {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        slug: String,
        /// The archive to write (must not exist).
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Carry the tenant of an archive of `export` into this install (which must not have it),
    /// every table and file checked against the archive.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// The archive to read.
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Make a user a platform operator (may create, suspend, export and erase tenants over the
    /// API), or with --revoke no longer one. Nobody is one by default.
    Operator {
        #[command(flatten)]
        db: DbArgs,
        /// The user's tenant.
        #[arg(long, default_value = loopdesk::app::DEFAULT_TENANT)]
        tenant: String,
        /// The user's sign-in name.
        #[arg(long)]
        username: String,
        /// Take the role away.
        #[arg(long)]
        revoke: bool,
    },
    /// Erase a suspended tenant for good: every row and file of it (export it first).
    Delete {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        slug: String,
        /// The slug again, to confirm.
        #[arg(long)]
        confirm: String,
    },
}

/// `loopdesk tenant …`.
pub(crate) async fn tenant_command(
    command: TenantCommand,
    lang: loopdesk_core::i18n::Lang,
) -> anyhow::Result<()> {
    let say = |key: &str, args: &[(&str, &str)]| loopdesk_core::i18n::tf(lang, key, args);
    let refused = |e: loopdesk_store::StoreError| match e {
        loopdesk_store::StoreError::Invalid(f) => {
            anyhow::anyhow!("{}: {}", f.field, loopdesk_core::i18n::t(lang, f.reason))
        }
        loopdesk_store::StoreError::Conflict { field } => {
            anyhow::anyhow!(say("cli.taken", &[("field", field)]))
        }
        other => anyhow::Error::new(other),
    };
    let clock = SystemClock;
    match command {
        TenantCommand::Create {
            db,
            slug,
            name,
            admin,
        } => {
            let cfg = Config::resolve(&db, &ServeArgs::default())?;
            let password = read_password(&say("cli.password_prompt", &[]))?;
            let store = app::open_store(&cfg).await?;
            app::bootstrap(&store, None, &clock).await?;
            let tenant = store
                .create_tenant(&slug, &name, clock.now())
                .await
                .map_err(refused)?;
            let new = NewUser {
                username: admin,
                password,
                roles: [Role::Admin].into_iter().collect(),
                ..NewUser::default()
            };
            let user = store
                .tenant(tenant.id)
                .create_user(new, clock.now())
                .await
                .map_err(refused)?;
            store.close().await;
            println!(
                "{}",
                say(
                    "cli.tenant_created",
                    &[("slug", &tenant.slug), ("admin", &user.username)]
                )
            );
        }
        TenantCommand::List { db } => {
            let cfg = Config::resolve(&db, &ServeArgs::default())?;
            let store = app::open_store(&cfg).await?;
            let tenants = store.tenant_summaries().await?;
            store.close().await;
            println!(
                "{:<20} {:>7} {:>9}  {:<10}  name",
                "slug", "users", "tickets", "since"
            );
            for t in tenants {
                let state = match t.suspended_at {
                    Some(at) => say(
                        "cli.tenant_suspended_since",
                        &[("at", &at.date_naive().to_string())],
                    ),
                    None => t.created_at.date_naive().to_string(),
                };
                println!(
                    "{:<20} {:>7} {:>9}  {:<10}  {}",
                    t.slug, t.users, t.tickets, state, t.name
                );
            }
        }
        TenantCommand::Suspend { db, slug } => suspend_tenant(&db, &slug, true, lang).await?,
        TenantCommand::Resume { db, slug } => suspend_tenant(&db, &slug, false, lang).await?,
        TenantCommand::Export { db, slug, out } => {
            let cfg = Config::resolve(&db, &ServeArgs::default())?;
            let store = app::open_store(&cfg).await?;
            let blobs = app::blobs(&cfg, &store);
            let done = loopdesk_web::tenant_archive::export(
                &store,
                blobs.as_ref(),
                &slug,
                &out,
                clock.now(),
            )
            .await;
            store.close().await;
            let sums = done.map_err(|e| tenant_error(e, &slug, lang))?;
            let rows: u64 = sums.tables.values().map(|t| t.rows).sum();
            println!(
                "{}",
                say(
                    "cli.tenant_exported",
                    &[
                        ("slug", &slug),
                        ("rows", &rows.to_string()),
                        ("files", &sums.files.len().to_string()),
                        ("out", &out.display().to_string()),
                    ]
                )
            );
        }
        TenantCommand::Import { db, from } => {
            let cfg = Config::resolve(&db, &ServeArgs::default())?;
            let store = app::open_store(&cfg).await?;
            app::bootstrap(&store, None, &clock).await?;
            let blobs = app::blobs(&cfg, &store);
            let done = loopdesk_web::tenant_archive::import(&store, blobs.as_ref(), &from).await;
            store.close().await;
            let done = done?;
            let rows: u64 = done.sums.tables.values().map(|t| t.rows).sum();
            println!(
                "{}",
                say(
                    "cli.tenant_imported",
                    &[
                        ("slug", &done.tenant.slug),
                        ("rows", &rows.to_string()),
                        ("files", &done.sums.files.len().to_string()),
                    ]
                )
            );
        }
        TenantCommand::Operator {
            db,
            tenant,
            username,
            revoke,
        } => {
            let cfg = Config::resolve(&db, &ServeArgs::default())?;
            let store = app::open_store(&cfg).await?;
            let done = store
                .set_platform_operator(&tenant, &username, !revoke)
                .await;
            store.close().await;
            match done {
                Ok(()) => {}
                Err(loopdesk_store::StoreError::NotFound) => bail!(say(
                    "cli.no_user_in_tenant",
                    &[("username", &username), ("tenant", &tenant)]
                )),
                Err(e) => return Err(e.into()),
            }
            let key = if revoke {
                "cli.operator_revoked"
            } else {
                "cli.operator_granted"
            };
            println!(
                "{}",
                say(key, &[("username", &username), ("tenant", &tenant)])
            );
        }
        TenantCommand::Delete { db, slug, confirm } => {
            if confirm != slug {
                bail!(say("cli.tenant_confirm", &[("slug", &slug)]));
            }
            let cfg = Config::resolve(&db, &ServeArgs::default())?;
            let store = app::open_store(&cfg).await?;
            let blobs = app::blobs(&cfg, &store);
            let done =
                loopdesk_web::tenant_archive::erase(&store, blobs.as_ref(), &slug, clock.now())
                    .await;
            store.close().await;
            let (erased, files) = done.map_err(|e| tenant_error(e, &slug, lang))?;
            let rows: u64 = erased.rows.values().sum();
            println!(
                "{}",
                say(
                    "cli.tenant_deleted",
                    &[
                        ("slug", &slug),
                        ("rows", &rows.to_string()),
                        ("files", &files.to_string()),
                    ]
                )
            );
        }
    }
    Ok(())
}

/// A tenant command's failure as its user should read it.
fn tenant_error(e: anyhow::Error, slug: &str, lang: loopdesk_core::i18n::Lang) -> anyhow::Error {
    match e.downcast_ref::<loopdesk_store::StoreError>() {
        Some(loopdesk_store::StoreError::NotFound) => anyhow::anyhow!(loopdesk_core::i18n::tf(
            lang,
            "cli.no_tenant",
            &[("tenant", slug)]
        )),
        Some(loopdesk_store::StoreError::Refused { reason, .. }) => {
            anyhow::anyhow!(loopdesk_core::i18n::tf(lang, reason, &[("slug", slug)]))
        }
        _ => e,
    }
}

/// Suspends or resumes a tenant.
async fn suspend_tenant(
    db: &DbArgs,
    slug: &str,
    suspend: bool,
    lang: loopdesk_core::i18n::Lang,
) -> anyhow::Result<()> {
    let cfg = Config::resolve(db, &ServeArgs::default())?;
    let store = app::open_store(&cfg).await?;
    let done = store
        .set_tenant_suspended(slug, suspend, SystemClock.now())
        .await;
    store.close().await;
    let key = match done {
        Ok(_) if suspend => "cli.tenant_suspended",
        Ok(_) => "cli.tenant_resumed",
        Err(loopdesk_store::StoreError::NotFound) => {
            bail!(loopdesk_core::i18n::tf(
                lang,
                "cli.no_tenant",
                &[("tenant", slug)]
            ))
        }
        Err(e) => return Err(e.into()),
    };
    println!("{}", loopdesk_core::i18n::tf(lang, key, &[("slug", slug)]));
    Ok(())
}
