//! Channels (多渠道接入): the ways customers' messages come in, kept by admins, and the log of
//! what came in on each. What a message becomes is in [`inbound`].

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::inbound::{self, ChannelKind, Outcome, Setup, SetupError};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::{ChannelId, InboundId, TenantId, TicketId};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::rows::{parse_id, parse_opt_id};
use crate::{from_ms, ms, Store, StoreError, TenantStore};

/// A page's cursor, `{ms}_{id}`: the time and id of the last row on the page before.
fn page_cursor(cursor: &str) -> Result<(i64, String), FieldError> {
    let bad = || FieldError {
        field: "cursor",
        reason: "error.invalid_value",
    };
    let (at, id) = cursor.split_once('_').ok_or_else(bad)?;
    let at: i64 = at.parse().map_err(|_| bad())?;
    Ok((at, id.to_owned()))
}

mod bind;
mod calls;
mod chat;
mod health;
mod mailbox;
mod receive;

pub use calls::{Call, CallFilter, CallPage, CallRecorded, LiveCall};
pub use chat::ChatIn;
pub use health::{ChannelDay, ChannelHealth};
pub use mailbox::MailboxCursor;
pub use receive::{Received, ReceivedFile};

/// A channel as admins see it: never its secrets.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Channel {
    /// Id.
    pub id: ChannelId,
    /// `email`, `phone`, `wecom`, `wechat_oa` or `dingtalk`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// What may be shown of its fields (an IMAP address without its password).
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    /// Which secret fields are set (their names only).
    pub secrets_set: Vec<String>,
    /// Messages are taken in (a paused channel answers 403 and stores nothing).
    pub active: bool,
    /// Where the platform calls back (WeCom, WeChat, DingTalk), a path.
    pub callback_url: Option<String>,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Changed at.
    pub updated_at: DateTime<Utc>,
}

/// A channel with everything needed to take a message in on it, secrets included: only for
/// the inbound path, which checks the caller's secret against it.
#[derive(Clone, Debug)]
pub struct InboundChannel {
    /// Its tenant.
    pub tenant: TenantId,
    /// Id.
    pub id: ChannelId,
    /// Kind.
    pub kind: ChannelKind,
    /// Fields and secrets.
    pub setup: Setup,
    /// Taking messages in.
    pub active: bool,
}

impl InboundChannel {
    /// The secret a caller must present (the mail pipe's bearer token, the key of call
    /// events' signatures).
    pub fn secret(&self) -> Option<&str> {
        self.setup.secrets.get("secret").and_then(Value::as_str)
    }
}

/// One message that came in, and what became of it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InboundMessage {
    /// Id.
    pub id: InboundId,
    /// The channel.
    pub channel_id: ChannelId,
    /// Its `Message-ID` (or digest).
    pub message_id: String,
    /// `created`, `appended`, `duplicate`, `ignored` or `quarantined`.
    pub outcome: String,
    /// Why it was ignored or quarantined (a translation key).
    pub reason: Option<String>,
    /// The ticket it opened or went onto.
    pub ticket_id: Option<TicketId>,
    /// The ticket's number.
    pub ticket_number: Option<String>,
    /// Who sent it.
    pub sender: Option<String>,
    /// Its subject.
    pub subject: Option<String>,
    /// Files it brought that were not kept (a type Loopdesk does not take, too large).
    pub files_skipped: Vec<String>,
    /// The raw message is kept (quarantined, until retried or discarded).
    pub raw_kept: bool,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// When it came in.
    pub received_at: DateTime<Utc>,
}

/// A channel's message log, newest first, a page at a time.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InboundPage {
    /// Messages.
    pub items: Vec<InboundMessage>,
    /// The cursor of the next (older) page.
    pub next_cursor: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ChannelRow {
    id: String,
    kind: String,
    name: String,
    settings: String,
    secrets: String,
    active: i64,
    created_at: i64,
    updated_at: i64,
}

impl ChannelRow {
    fn setup(&self) -> Result<(ChannelKind, Setup), StoreError> {
        let kind =
            ChannelKind::parse(&self.kind).ok_or_else(|| StoreError::Corrupt(self.kind.clone()))?;
        let map = |text: &str| -> Result<Map<String, Value>, StoreError> {
            serde_json::from_str(text).map_err(|_| StoreError::Corrupt("channel settings".into()))
        };
        Ok((
            kind,
            Setup {
                settings: map(&self.settings)?,
                secrets: map(&self.secrets)?,
            },
        ))
    }

    fn model(self) -> Result<Channel, StoreError> {
        let (kind, setup) = self.setup()?;
        Ok(Channel {
            id: parse_id(&self.id, ChannelId::parse)?,
            callback_url: kind
                .has_callback()
                .then(|| format!("/api/v1/channels/{}/callback", self.id)),
            kind: self.kind,
            name: self.name,
            settings: setup.settings,
            secrets_set: setup.secrets.keys().cloned().collect(),
            active: self.active != 0,
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
        })
    }
}

pub(super) const CHANNEL_COLUMNS: &str =
    "id, kind, name, settings, secrets, active, created_at, updated_at FROM channels";

fn setup_error(e: SetupError) -> StoreError {
    match e {
        SetupError::Field(f) => f.into(),
        SetupError::Unknown(field) => StoreError::UnknownField(field),
    }
}

/// A secret of 32 random bytes, as hex: the mail pipe's bearer token, the call events' key.
fn new_secret() -> String {
    let a = uuid::Uuid::new_v4();
    let b = uuid::Uuid::new_v4();
    format!("{}{}", a.simple(), b.simple())
}

impl Store {
    /// A channel with its secrets, for taking a message in (the caller is checked against
    /// them; no user is signed in). `None` when there is no such channel.
    pub async fn inbound_channel(
        &self,
        id: ChannelId,
    ) -> Result<Option<InboundChannel>, StoreError> {
        let row: Option<TenantChannelRow> = sqlx::query_as(&format!(
            "SELECT tenant_id, {CHANNEL_COLUMNS} WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.map(TenantChannelRow::inbound).transpose()
    }
}

/// A channel's row with its tenant, for the paths that find it by id alone.
#[derive(sqlx::FromRow)]
pub(super) struct TenantChannelRow {
    tenant_id: String,
    #[sqlx(flatten)]
    row: ChannelRow,
}

impl TenantChannelRow {
    pub(super) fn inbound(self) -> Result<InboundChannel, StoreError> {
        let (kind, setup) = self.row.setup()?;
        Ok(InboundChannel {
            tenant: parse_id(&self.tenant_id, TenantId::parse)?,
            id: parse_id(&self.row.id, ChannelId::parse)?,
            kind,
            setup,
            active: self.row.active != 0,
        })
    }

    pub(super) fn updated_at(&self) -> i64 {
        self.row.updated_at
    }
}

impl TenantStore {
    fn may_manage_channels(actor: &Actor) -> Result<(), StoreError> {
        if access::allowed(actor, Permission::ManageAutomation) {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }

    /// The tenant's channels, oldest first.
    pub async fn channels(&self, actor: &Actor) -> Result<Vec<Channel>, StoreError> {
        Self::may_manage_channels(actor)?;
        let rows: Vec<ChannelRow> = sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLUMNS} WHERE tenant_id = $1 ORDER BY created_at, id"
        ))
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter().map(ChannelRow::model).collect()
    }

    /// One channel.
    pub async fn channel(&self, actor: &Actor, id: ChannelId) -> Result<Channel, StoreError> {
        Self::may_manage_channels(actor)?;
        self.channel_row(id).await?.model()
    }

    async fn channel_row(&self, id: ChannelId) -> Result<ChannelRow, StoreError> {
        sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLUMNS} WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Sets up a channel: its kind's fields checked (core `inbound::setup`); an e-mail or
    /// phone channel gets a generated secret, answered here once and never again.
    pub async fn create_channel(
        &self,
        actor: &Actor,
        kind: &str,
        name: &str,
        fields: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<(Channel, Option<String>), StoreError> {
        Self::may_manage_channels(actor)?;
        let kind = ChannelKind::parse(kind.trim()).ok_or(FieldError {
            field: "kind",
            reason: "error.invalid_value",
        })?;
        let name = validate::required_text("name", name, 100)?;
        let mut setup = inbound::setup(kind, fields, None).map_err(setup_error)?;
        let secret = kind.has_generated_secret().then(new_secret);
        if let Some(s) = &secret {
            setup
                .secrets
                .insert("secret".into(), Value::String(s.clone()));
        }
        let id = ChannelId::new();
        sqlx::query(
            "INSERT INTO channels (id, tenant_id, kind, name, settings, secrets, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(kind.as_str())
        .bind(&name)
        .bind(Value::Object(setup.settings).to_string())
        .bind(Value::Object(setup.secrets).to_string())
        .bind(ms(now))
        .execute(&self.store.write)
        .await?;
        Ok((self.channel_row(id).await?.model()?, secret))
    }

    /// Changes a channel: its name, whether it takes messages in, and any of its kind's
    /// fields (laid over what it has; `null` clears an optional one). The generated secret
    /// stays.
    pub async fn update_channel(
        &self,
        actor: &Actor,
        id: ChannelId,
        name: Option<&str>,
        active: Option<bool>,
        fields: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<Channel, StoreError> {
        Self::may_manage_channels(actor)?;
        let row = self.channel_row(id).await?;
        let (kind, before) = row.setup()?;
        let name = match name {
            Some(n) => validate::required_text("name", n, 100)?,
            None => row.name.clone(),
        };
        let mut setup = inbound::setup(kind, fields, Some(&before)).map_err(setup_error)?;
        if let Some(secret) = before.secrets.get("secret") {
            setup.secrets.insert("secret".into(), secret.clone());
        }
        sqlx::query(
            "UPDATE channels SET name = $1, settings = $2, secrets = $3, active = $4, updated_at = $5 \
             WHERE tenant_id = $6 AND id = $7",
        )
        .bind(&name)
        .bind(Value::Object(setup.settings).to_string())
        .bind(Value::Object(setup.secrets).to_string())
        .bind(i64::from(active.unwrap_or(row.active != 0)))
        .bind(ms(now))
        .bind(self.tid())
        .bind(id.to_string())
        .execute(&self.store.write)
        .await?;
        self.channel_row(id).await?.model()
    }

    /// Removes a channel and its message log (tickets keep what came in); answers the keys
    /// of the raw messages it held, for the file store to forget.
    pub async fn delete_channel(
        &self,
        actor: &Actor,
        id: ChannelId,
    ) -> Result<Vec<String>, StoreError> {
        Self::may_manage_channels(actor)?;
        self.channel_row(id).await?;
        let mut tx = self.store.write.begin().await?;
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT raw_key FROM inbound_messages WHERE tenant_id = $1 AND channel_id = $2 AND raw_key IS NOT NULL",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        for sql in [
            "DELETE FROM inbound_messages WHERE tenant_id = $1 AND channel_id = $2",
            "DELETE FROM channel_cursors WHERE tenant_id = $1 AND channel_id = $2",
            "DELETE FROM channel_tokens WHERE tenant_id = $1 AND channel_id = $2",
            "DELETE FROM chat_bindings WHERE tenant_id = $1 AND channel_id = $2",
            "DELETE FROM channels WHERE tenant_id = $1 AND id = $2",
        ] {
            sqlx::query(sql)
                .bind(self.tid())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(keys)
    }

    /// A channel's messages, newest first; `outcome` narrows to one outcome; `before` is the
    /// previous page's cursor.
    pub async fn inbound_messages(
        &self,
        actor: &Actor,
        channel: ChannelId,
        outcome: Option<Outcome>,
        before: Option<&str>,
        limit: i64,
    ) -> Result<InboundPage, StoreError> {
        Self::may_manage_channels(actor)?;
        self.channel_row(channel).await?;
        let limit = limit.clamp(1, 200);
        let cursor = before.map(page_cursor).transpose()?;
        let mut sql = crate::sql::Sql::new(
            "SELECT m.id, m.message_id, m.outcome, m.reason, m.ticket_id, t.number, m.sender, m.subject, \
             m.files_skipped, m.raw_key, m.size_bytes, m.received_at FROM inbound_messages m \
             LEFT JOIN tickets t ON t.tenant_id = m.tenant_id AND t.id = m.ticket_id WHERE m.tenant_id = ",
        );
        sql.text(self.tid());
        sql.push(" AND m.channel_id = ");
        sql.text(channel.to_string());
        if let Some(o) = outcome {
            sql.push(" AND m.outcome = ");
            sql.text(o.as_str());
        }
        if let Some((at, id)) = &cursor {
            sql.push(" AND (m.received_at < ");
            sql.int(*at);
            sql.push(" OR (m.received_at = ");
            sql.int(*at);
            sql.push(" AND m.id < ");
            sql.text(id);
            sql.push("))");
        }
        sql.push(" ORDER BY m.received_at DESC, m.id DESC LIMIT ");
        sql.int(limit + 1);
        let rows: Vec<InboundRow> = sql.query_as().fetch_all(&self.store.read).await?;
        let more = rows.len() as i64 > limit;
        let items: Vec<InboundMessage> = rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .map(|r| r.model(channel))
            .collect::<Result<_, _>>()?;
        let next_cursor = more
            .then(|| {
                items
                    .last()
                    .map(|m| format!("{}_{}", ms(m.received_at), m.id))
            })
            .flatten();
        Ok(InboundPage { items, next_cursor })
    }

    /// A quarantined message's raw bytes' key and its channel, to retry it; `NotFound` when
    /// it is not held (any more).
    pub async fn quarantined(
        &self,
        actor: &Actor,
        id: InboundId,
    ) -> Result<(ChannelId, String), StoreError> {
        Self::may_manage_channels(actor)?;
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT channel_id, raw_key FROM inbound_messages WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        match row {
            Some((channel, Some(key))) => Ok((parse_id(&channel, ChannelId::parse)?, key)),
            _ => Err(StoreError::NotFound),
        }
    }

    /// Lets go of a quarantined message: its log line stays (with the reason that it was
    /// discarded, and no raw bytes) so that a second delivery is still a duplicate. Answers
    /// the raw bytes' key for the file store to forget.
    pub async fn discard_quarantined(
        &self,
        actor: &Actor,
        id: InboundId,
    ) -> Result<String, StoreError> {
        let (_, key) = self.quarantined(actor, id).await?;
        sqlx::query(
            "UPDATE inbound_messages SET raw_key = NULL, reason = 'inbound.discarded' \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .execute(&self.store.write)
        .await?;
        Ok(key)
    }

    /// Forgets a quarantined message's log line before it is taken in again (a retry), so
    /// that it is not a duplicate of itself.
    pub async fn release_quarantined(
        &self,
        actor: &Actor,
        id: InboundId,
    ) -> Result<(), StoreError> {
        self.quarantined(actor, id).await?;
        sqlx::query("DELETE FROM inbound_messages WHERE tenant_id = $1 AND id = $2")
            .bind(self.tid())
            .bind(id.to_string())
            .execute(&self.store.write)
            .await?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct InboundRow {
    id: String,
    message_id: String,
    outcome: String,
    reason: Option<String>,
    ticket_id: Option<String>,
    number: Option<String>,
    sender: Option<String>,
    subject: Option<String>,
    files_skipped: Option<String>,
    raw_key: Option<String>,
    size_bytes: i64,
    received_at: i64,
}

impl InboundRow {
    fn model(self, channel: ChannelId) -> Result<InboundMessage, StoreError> {
        Ok(InboundMessage {
            id: parse_id(&self.id, InboundId::parse)?,
            channel_id: channel,
            message_id: self.message_id,
            outcome: self.outcome,
            reason: self.reason,
            ticket_id: parse_opt_id(self.ticket_id, TicketId::parse)?,
            ticket_number: self.number,
            sender: self.sender,
            subject: self.subject,
            files_skipped: self
                .files_skipped
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|_| StoreError::Corrupt("files_skipped".into()))?
                .unwrap_or_default(),
            raw_kept: self.raw_key.is_some(),
            size_bytes: self.size_bytes,
            received_at: from_ms(self.received_at),
        })
    }
}
