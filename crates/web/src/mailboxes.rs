//! Support mailboxes fetched by IMAP, beside the HTTP server: every message goes through the
//! same intake as a piped one ([`crate::api::channels::take_in`]: the same reading, the same
//! checks on its files, the same outcomes).
//!
//! Each mailbox has a task of its own ([`watch`] starts, restarts and stops them as channels
//! change), so a slow or broken one never delays another. A task holds the mailbox's lease
//! (one instance fetches a mailbox at a time), takes in every message above the last UID it
//! took under the mailbox's UIDVALIDITY, recording the UID every [`CURSOR_EVERY`] messages
//! and at each batch's end (a `kill -9` fetches at most those again, and each is a duplicate
//! by its Message-ID: nothing is taken in twice; a failure records what was taken), marks
//! what it took `\Seen`, then waits with IDLE where the server offers it (new mail comes in
//! at once) or sleeps the channel's interval. Failures are recorded on the channel and, the
//! third in a row, told to the admins.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use async_imap::{Client, Session};
use futures_util::StreamExt;
use loopdesk_core::inbound::{self, ImapTarget, ImapTls};
use loopdesk_core::ChannelId;
use loopdesk_store::{InboundChannel, MailboxCursor};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

use crate::state::AppState;

/// How often the list of mailboxes is read again.
const RESCAN: Duration = Duration::from_secs(15);

/// UIDs fetched in one command.
const BATCH: i64 = 200;

/// Messages taken in between two records of the cursor (and at the end of each batch).
const CURSOR_EVERY: usize = 20;

/// Runs a task per active mailbox until `stop` turns true; `owner` names this instance in the
/// mailboxes' leases.
pub async fn watch(state: AppState, owner: String, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tasks: HashMap<ChannelId, (i64, tokio::task::JoinHandle<()>)> = HashMap::new();
    loop {
        match state.store.mailboxes().await {
            Ok(list) => {
                tasks.retain(|id, (version, task)| {
                    let same = list.iter().any(|(c, v)| c.id == *id && v == version);
                    if !same {
                        task.abort();
                    }
                    same
                });
                for (channel, version) in list {
                    if tasks.contains_key(&channel.id) {
                        continue;
                    }
                    let id = channel.id;
                    let task = tokio::spawn(keep_fetching(state.clone(), owner.clone(), channel));
                    tasks.insert(id, (version, task));
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading the mailboxes failed"),
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            () = tokio::time::sleep(RESCAN) => {}
        }
    }
    for (id, (_, task)) in tasks {
        task.abort();
        let _ = state.store.release_mailbox(id, &owner).await;
    }
}

/// The channel's interval between fetches.
fn interval(channel: &InboundChannel) -> Duration {
    let secs = channel
        .setup
        .settings
        .get("poll_seconds")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(60)
        .clamp(10, 3600);
    Duration::from_secs(secs)
}

async fn keep_fetching(state: AppState, owner: String, channel: InboundChannel) {
    let every = interval(&channel);
    let mut failures: u32 = 0;
    loop {
        match fetch(&state, &owner, &channel, true).await {
            Ok(_) => failures = 0,
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!(channel = %channel.id, error = %e, "fetching a mailbox failed");
            }
        }
        // A mailbox that keeps failing is tried less often, up to ten intervals apart.
        tokio::time::sleep(every * failures.clamp(1, 10)).await;
    }
}

/// Takes in what is new in a channel's mailbox, if this instance holds (or gets) its lease;
/// with `idle`, stays connected and takes in new mail as the server announces it, for about
/// 25 minutes. Answers how many messages were taken in. A failure is recorded on the channel.
pub async fn fetch(
    state: &AppState,
    owner: &str,
    channel: &InboundChannel,
    idle: bool,
) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let lease = chrono::Duration::from_std(interval(channel) * 3 + Duration::from_secs(60))
        .unwrap_or_else(|_| chrono::Duration::minutes(5));
    if !state
        .store
        .claim_mailbox(channel, owner, now, now + lease)
        .await?
    {
        return Ok(0);
    }
    let outcome = connect_and_take(state, owner, channel, idle).await;
    if let Err(e) = &outcome {
        let name = channel.setup.text("address").unwrap_or_default().to_owned();
        state
            .store
            .mailbox_failed(channel, &name, &format!("{e:#}"), state.clock.now())
            .await?;
    }
    outcome
}

async fn connect_and_take(
    state: &AppState,
    owner: &str,
    channel: &InboundChannel,
    idle: bool,
) -> anyhow::Result<usize> {
    let target = inbound::imap_target(&channel.setup).ok_or_else(|| anyhow!("no IMAP address"))?;
    let tcp = tokio::time::timeout(
        Duration::from_secs(20),
        TcpStream::connect((target.host.as_str(), target.port)),
    )
    .await
    .map_err(|_| anyhow!("connecting to {}:{} timed out", target.host, target.port))?
    .with_context(|| format!("connecting to {}:{}", target.host, target.port))?;
    match target.tls {
        ImapTls::None => {
            let mut client = Client::new(tcp);
            greeting(&mut client).await?;
            session(state, owner, channel, &target, client, idle).await
        }
        ImapTls::Implicit => {
            let tls = tls_connect(&target, tcp).await?;
            let mut client = Client::new(tls);
            greeting(&mut client).await?;
            session(state, owner, channel, &target, client, idle).await
        }
        ImapTls::StartTls => {
            let mut client = Client::new(tcp);
            greeting(&mut client).await?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .context("STARTTLS")?;
            let tls = tls_connect(&target, client.into_inner()).await?;
            session(state, owner, channel, &target, Client::new(tls), idle).await
        }
    }
}

async fn greeting<T>(client: &mut Client<T>) -> anyhow::Result<()>
where
    T: AsyncRead + AsyncWrite + Unpin + Debug + Send,
{
    client
        .read_response()
        .await
        .context("reading the server's greeting")?
        .ok_or_else(|| anyhow!("the server closed the connection"))?;
    Ok(())
}

async fn tls_connect(
    target: &ImapTarget,
    tcp: TcpStream,
) -> anyhow::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS settings")?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(target.host.clone())
        .context("the IMAP host's name")?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .context("TLS handshake")
}

async fn session<T>(
    state: &AppState,
    owner: &str,
    channel: &InboundChannel,
    target: &ImapTarget,
    client: Client<T>,
    idle: bool,
) -> anyhow::Result<usize>
where
    T: AsyncRead + AsyncWrite + Unpin + Debug + Send,
{
    let mut session = client
        .login(&target.user, &target.password)
        .await
        .map_err(|(e, _)| anyhow!("login as {} refused: {e}", target.user))?;
    let mut taken = take_new(state, channel, target, &mut session).await?;
    let can_idle = idle
        && session
            .capabilities()
            .await
            .context("CAPABILITY")?
            .has_str("IDLE");
    if can_idle {
        let every = interval(channel);
        // About 25 minutes, then the connection is made afresh (servers end an IDLE at 30).
        let rounds = (1500 / every.as_secs().max(1)).max(1);
        for _ in 0..rounds {
            let now = state.clock.now();
            let lease = chrono::Duration::from_std(every * 3 + Duration::from_secs(60))
                .unwrap_or_else(|_| chrono::Duration::minutes(5));
            if !state
                .store
                .claim_mailbox(channel, owner, now, now + lease)
                .await?
            {
                break;
            }
            let mut waiting = session.idle();
            waiting.init().await.context("IDLE")?;
            let (news, _interrupt) = waiting.wait_with_timeout(every);
            news.await.context("waiting in IDLE")?;
            session = waiting.done().await.context("ending IDLE")?;
            taken += take_new(state, channel, target, &mut session).await?;
        }
    }
    let _ = session.logout().await;
    Ok(taken)
}

/// Takes in every message above the cursor, in batches, recording the cursor after each.
async fn take_new<T>(
    state: &AppState,
    channel: &InboundChannel,
    target: &ImapTarget,
    session: &mut Session<T>,
) -> anyhow::Result<usize>
where
    T: AsyncRead + AsyncWrite + Unpin + Debug + Send,
{
    let mailbox = session
        .select(&target.folder)
        .await
        .with_context(|| format!("SELECT {}", target.folder))?;
    let validity = mailbox.uid_validity.map(i64::from);
    let mut cursor = state.store.mailbox_cursor(channel.id).await?;
    if cursor.uid_validity != validity {
        // A new UIDVALIDITY: the old UIDs mean nothing; everything is looked at again (what
        // came in before is a duplicate by its Message-ID).
        cursor = MailboxCursor {
            uid_validity: validity,
            last_uid: 0,
        };
    }
    let mut taken = 0;
    loop {
        let from = cursor.last_uid + 1;
        let range = format!("{from}:{}", from + BATCH - 1);
        let mut got: Vec<(i64, Vec<u8>)> = Vec::new();
        {
            let mut fetched = session
                .uid_fetch(&range, "(UID BODY.PEEK[])")
                .await
                .context("UID FETCH")?;
            while let Some(item) = fetched.next().await {
                let item = item.context("UID FETCH")?;
                if let (Some(uid), Some(body)) = (item.uid, item.body()) {
                    got.push((i64::from(uid), body.to_vec()));
                }
            }
        }
        got.retain(|(uid, _)| *uid > cursor.last_uid);
        got.sort_by_key(|(uid, _)| *uid);
        let Some(&(last, _)) = got.last() else {
            // Nothing in this range: is there anything above it?
            if !more_above(session, from + BATCH - 1).await? {
                break;
            }
            cursor.last_uid = from + BATCH - 1;
            continue;
        };
        for (n, (uid, raw)) in got.into_iter().enumerate() {
            let took = crate::api::channels::take_in(state, channel, raw).await;
            if let Err(e) = took {
                // What was taken before this one stays taken.
                state
                    .store
                    .advance_mailbox(channel.id, cursor, state.clock.now())
                    .await?;
                return Err(anyhow!(
                    "taking in UID {uid}: {}",
                    e.message(loopdesk_core::i18n::Lang::En)
                ));
            }
            cursor.last_uid = uid;
            taken += 1;
            if (n + 1) % CURSOR_EVERY == 0 {
                state
                    .store
                    .advance_mailbox(channel.id, cursor, state.clock.now())
                    .await?;
            }
        }
        state
            .store
            .advance_mailbox(channel.id, cursor, state.clock.now())
            .await?;
        // What was taken in is read, for whoever looks at the mailbox by hand.
        let mut seen = session
            .uid_store(format!("{from}:{last}"), "+FLAGS.SILENT (\\Seen)")
            .await
            .context("UID STORE")?;
        while seen.next().await.is_some() {}
    }
    // An empty or unchanged mailbox still counts as a good fetch.
    state
        .store
        .advance_mailbox(channel.id, cursor, state.clock.now())
        .await?;
    Ok(taken)
}

/// Whether the mailbox holds a UID above `uid` (`UID SEARCH`).
async fn more_above<T>(session: &mut Session<T>, uid: i64) -> anyhow::Result<bool>
where
    T: AsyncRead + AsyncWrite + Unpin + Debug + Send,
{
    let found = session
        .uid_search(format!("UID {}:*", uid + 1))
        .await
        .context("UID SEARCH")?;
    Ok(found.iter().any(|u| i64::from(*u) > uid))
}
