//! The anchor for the load benchmark: pgbench running, on the same PostgreSQL server, the
//! statements the store writes for one ticket creation — the day's number counter, the
//! ticket, its `created` event, its KPI facts row and its outbox entry — one ticket per
//! transaction, on a fresh database migrated by Loopdesk (same tables, indexes, foreign keys
//! and triggers). Absolute rates drift between machines and runs; the ratio to this, measured
//! minutes apart, does not.
//!
//! Two runs: `shared counter` is exactly Loopdesk's work, every client incrementing the one
//! counter row of the tenant's day (each transaction holds that row until it commits, so
//! clients queue on it); `own counter` gives each client a counter row of its own, the best
//! plain PostgreSQL can do with these statements. The load benchmark compares with the better
//! of the two.

use std::io::Write;
use std::process::Command;

use anyhow::{bail, Context};
use loopdesk_core::clock::Clock;
use loopdesk_core::{Role, Roles};
use loopdesk_store::NewUser;

use loopdesk::app;
use loopdesk::config::Config;
use loopdesk::SystemClock;

/// The transaction, in pgbench's script language; `:counter_day` stands for the counter
/// row's day key, filled in before the run.
const SCRIPT: &str = r#"\set p random(1, 4)
BEGIN;
INSERT INTO ticket_counters (tenant_id, day, last) VALUES (:tenant::text, :counter_day::text, 1) ON CONFLICT (tenant_id, day) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last, gen_random_uuid()::text AS tid, (extract(epoch from clock_timestamp()) * 1000)::bigint AS now
\gset
INSERT INTO tickets (id, tenant_id, number, channel, customer_id, contact_id, contact_phone, site_id, asset_id, region_id, category, priority, subject, description, fields, status, created_by, created_at, updated_at, version, sla_policy_id, sla, sla_state, sla_next_at, resolution_due, warranty) VALUES (:tid::text, :tenant::text, 'WO-20261204-' || :client_id::text || '-' || lpad(:last::text, 5, '0'), 'phone', NULL, NULL, NULL, NULL, NULL, NULL, NULL, :p::bigint, '压测工单 ' || :client_id::text || '-' || :last::text, '空调不制冷，室外机异响', '{}', 'new', :user::text, :now::bigint, :now::bigint, 1, :policy::text, '{"clock": {"start": 1796389910907, "pauses": [], "paused_since": null}, "schedule": {"first_response": {"due": 1796393510907, "warn": 1796392610907}, "arrival": {"due": 1796404310907, "warn": 1796400710907}, "resolution": {"due": 1796476310907, "warn": 1796454710907}}}', 'ok', :now::bigint, :now::bigint, NULL);
INSERT INTO ticket_events (tenant_id, ticket_id, kind, actor_id, at, from_status, to_status, internal, data) VALUES (:tenant::text, :tid::text, 'created', :user::text, :now::bigint, NULL, 'new', 0, '{"channel": "phone", "number": "WO-20261204-00001", "priority": 3}');
INSERT INTO ticket_facts (tenant_id, ticket_id, mark, facts) VALUES (:tenant::text, :tid::text, pg_current_xact_id()::text::bigint, '{"created_at": 1796389910907}') ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET mark = excluded.mark, facts = excluded.facts;
INSERT INTO jobs (id, tenant_id, kind, payload, status, attempts, max_attempts, run_at, dedupe_key, created_at, updated_at) VALUES (gen_random_uuid()::text, :tenant::text, 'publish', '{"at": 1796389910957, "data": {"channel": "phone", "number": "WO-20261204-00093", "priority": 3}, "event": "ticket.created", "ticket_id": "01a2412e-b9ad-71ad-be35-a63df8fbbef4"}', 'pending', 0, 8, :now::bigint, NULL, :now::bigint, :now::bigint) ON CONFLICT (dedupe_key) DO NOTHING;
END;
"#;

/// One pgbench run's figures.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    /// Transactions per second.
    pub tps: f64,
    /// Mean latency, ms.
    pub latency_ms: f64,
}

/// Runs the transaction under pgbench with `clients` clients for `seconds`, on a fresh
/// database on `server`, once with the shared counter row and once with one per client.
pub async fn run(server: &str, clients: usize, seconds: u64) -> anyhow::Result<(Rate, Rate)> {
    let mut rates = Vec::new();
    for shared in [true, false] {
        let rate = crate::scratch::with_scratch_database(
            Some(server),
            "pgbench",
            false,
            |cfg| async move { once(&cfg, clients, seconds, shared).await },
        )
        .await?;
        rates.push(rate);
    }
    match rates[..] {
        [shared, own] => Ok((shared, own)),
        _ => bail!("pgbench ran {} times, not twice", rates.len()),
    }
}

async fn once(cfg: &Config, clients: usize, seconds: u64, shared: bool) -> anyhow::Result<Rate> {
    let store = app::open_store(cfg).await?;
    let clock = SystemClock;
    let boot = app::bootstrap(&store, Some("bench-desk-password"), &clock).await?;
    let tenant = store.tenant(boot.tenant.id);
    let agent = tenant
        .create_user(
            NewUser {
                username: "pgbench_agent".into(),
                password: "bench-agent-password".into(),
                roles: [Role::Agent].into_iter().collect::<Roles>(),
                ..NewUser::default()
            },
            clock.now(),
        )
        .await?;
    let policy = tenant
        .sla_policies(&loopdesk_core::ticket::transitions::Actor::System)
        .await?
        .into_iter()
        .next()
        .context("the tenant has no SLA policy")?;
    store.close().await;

    // Shared: every client increments the tenant's one counter row of the day. Own: the
    // client's number is part of the row's key (pgbench can only put it in through the SQL).
    let text = if shared {
        SCRIPT.replace(":counter_day::text", "'2026-12-04'")
    } else {
        SCRIPT.replace(":counter_day::text", "'2026-12-04/' || :client_id::text")
    };
    let mut script = tempfile::NamedTempFile::new()?;
    script.write_all(text.as_bytes())?;
    let mut cmd = Command::new("pgbench");
    cmd.args(["-n", "-M", "prepared", "-j", "2"])
        .args(["-c", &clients.to_string(), "-T", &seconds.to_string()])
        .arg("-f")
        .arg(script.path())
        .args(["-D", &format!("tenant={}", boot.tenant.id)])
        .args(["-D", &format!("user={}", agent.id)])
        .args(["-D", &format!("policy={}", policy.id)]);
    cmd.arg(cfg.database_url.expose());
    let out = cmd
        .output()
        .context("running pgbench (Debian: apt-get install postgresql-client)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "pgbench failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let figure = |prefix: &str| -> anyhow::Result<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("no `{prefix}` in pgbench's output:\n{text}"))
    };
    Ok(Rate {
        tps: figure("tps = ")?,
        latency_ms: figure("latency average = ")?,
    })
}
