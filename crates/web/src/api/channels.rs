//! Channels (admins) and the mail pipe: `POST /api/v1/channels/{id}/messages` takes one raw
//! RFC 5322 message, authenticated by the channel's own secret, and answers what became of it.
//! Any bytes at all end in one of five outcomes; none is a server error.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use loopdesk_core::inbound::mail::{self, Reading};
use loopdesk_core::inbound::{ChannelKind, Outcome};
use loopdesk_core::signing::same_secret;
use loopdesk_core::{AttachmentId, ChannelId, InboundId};
use loopdesk_store::{
    Channel, ChannelHealth, InboundChannel, InboundPage, Received, ReceivedFile, StoreError,
    TenantStore,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::path_id;
use crate::api::attachments::check_upload;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// The largest raw message the pipe takes (a 25 MB mail with its attachments, base64-encoded).
pub const MAX_MAIL_BYTES: usize = 40 * 1024 * 1024;

/// A new channel: its kind, its name, and the kind's fields beside them.
#[derive(Deserialize, ToSchema)]
pub struct NewChannel {
    /// `email`, `phone`, `wecom`, `wechat_oa` or `dingtalk`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// The kind's fields (`address`, `imap_url`, `corp_id` …).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
}

/// A channel just made: its secret (e-mail and phone) is shown here once.
#[derive(Serialize, ToSchema)]
pub struct CreatedChannel {
    /// The channel.
    #[serde(flatten)]
    pub channel: Channel,
    /// The mail pipe's bearer token or the call events' key; never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Sets up a channel (admin).
#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", request_body = NewChannel,
    responses((status = 201, body = CreatedChannel), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_channel(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<NewChannel>,
) -> Result<(StatusCode, Json<CreatedChannel>), ApiError> {
    let b = body.value;
    let (channel, secret) = user
        .tenant
        .create_channel(&user.actor, &b.kind, &b.name, &b.fields, state.clock.now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedChannel { channel, secret }),
    ))
}

/// The tenant's channels, oldest first (admin; no secrets).
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, body = [Channel]), (status = 403, body = ErrorBody)))]
pub async fn list_channels(user: CurrentUser) -> Result<Json<Vec<Channel>>, ApiError> {
    Ok(Json(user.tenant.channels(&user.actor).await?))
}

/// One channel (admin; no secrets).
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = String, Path)),
    responses((status = 200, body = Channel), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_channel(
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Channel>, ApiError> {
    let id = path_id(&id, ChannelId::parse)?;
    Ok(Json(user.tenant.channel(&user.actor, id).await?))
}

/// A change to a channel: its name, `active`, and any of its kind's fields (`null` clears an
/// optional one).
#[derive(Deserialize, ToSchema)]
pub struct ChannelChange {
    /// A new name.
    pub name: Option<String>,
    /// Take messages in (`false` pauses the channel).
    pub active: Option<bool>,
    /// The kind's fields to change.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
}

/// Changes a channel (admin).
#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = String, Path)),
    request_body = ChannelChange,
    responses((status = 200, body = Channel), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn edit_channel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<ChannelChange>,
) -> Result<Json<Channel>, ApiError> {
    let id = path_id(&id, ChannelId::parse)?;
    let b = body.value;
    let c = user
        .tenant
        .update_channel(
            &user.actor,
            id,
            b.name.as_deref(),
            b.active,
            &b.fields,
            state.clock.now(),
        )
        .await?;
    Ok(Json(c))
}

/// Removes a channel and its message log (admin); tickets keep what came in.
#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_channel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, ChannelId::parse)?;
    for key in user.tenant.delete_channel(&user.actor, id).await? {
        let _ = state.blobs.delete(&key).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Which messages of a channel's log.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// One outcome only.
    pub outcome: Option<String>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

/// A channel's messages, newest first (admin).
#[utoipa::path(get, path = "/api/v1/channels/{id}/messages", tag = "channels",
    params(("id" = String, Path), LogQuery),
    responses((status = 200, body = InboundPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_messages(
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<LogQuery>,
) -> Result<Json<InboundPage>, ApiError> {
    let id = path_id(&id, ChannelId::parse)?;
    let outcome = match q.outcome.as_deref().filter(|o| !o.is_empty()) {
        Some(o) => Some(
            Outcome::parse(o).ok_or_else(|| ApiError::invalid("outcome", "error.invalid_value"))?,
        ),
        None => None,
    };
    let page = user
        .tenant
        .inbound_messages(
            &user.actor,
            id,
            outcome,
            q.cursor.as_deref().filter(|c| !c.is_empty()),
            q.limit.unwrap_or(50),
        )
        .await?;
    Ok(Json(page))
}

/// Every channel's health: outcomes in the last 24 hours, the last message, what waits in
/// quarantine (admin).
#[utoipa::path(get, path = "/api/v1/channels/health", tag = "channels",
    responses((status = 200, body = [ChannelHealth]), (status = 403, body = ErrorBody)))]
pub async fn channel_health(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<ChannelHealth>>, ApiError> {
    Ok(Json(
        user.tenant
            .channel_health(&user.actor, state.clock.now())
            .await?,
    ))
}

/// What became of a message (the mail pipe's answer).
#[derive(Serialize, ToSchema)]
pub struct MessageOutcome {
    /// `created`, `appended`, `duplicate`, `ignored` or `quarantined`.
    pub outcome: String,
    /// The ticket it opened or went onto.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<String>,
    /// Why it was ignored or quarantined (a stable code, e.g. `inbound.auto_submitted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl From<Received> for MessageOutcome {
    fn from(r: Received) -> MessageOutcome {
        MessageOutcome {
            outcome: r.outcome.as_str().to_owned(),
            ticket_id: r.ticket_id.map(|t| t.to_string()),
            reason: r.reason,
        }
    }
}

fn unauthorised() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "error.channel_secret",
    )
}

/// Takes one raw mail in (`Content-Type: message/rfc822`), authenticated by the channel's
/// secret as a bearer token: what an MTA pipe or a mail forwarder delivers.
#[utoipa::path(post, path = "/api/v1/channels/{id}/messages", tag = "channels", params(("id" = String, Path)),
    request_body(content_type = "message/rfc822", content = String),
    security(("channel_secret" = [])),
    responses((status = 200, body = MessageOutcome), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive_message(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<MessageOutcome>, ApiError> {
    let id = ChannelId::parse(&id).ok_or_else(unauthorised)?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let channel = state
        .store
        .inbound_channel(id)
        .await?
        .filter(|c| c.secret().is_some_and(|s| same_secret(s, given.trim())))
        .ok_or_else(unauthorised)?;
    if channel.kind != ChannelKind::Email {
        return Err(ApiError::invalid("channel", "error.not_a_mail_channel"));
    }
    if !channel.active {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "channel_paused",
            "error.channel_paused",
        ));
    }
    let rfc822 = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim().to_ascii_lowercase().starts_with("message/rfc822"));
    if !rfc822 {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "error.unsupported_media_type",
        ));
    }
    // Read here, not by an extractor: a whole mail may be larger than the upload limit the
    // other routes have.
    let raw = axum::body::to_bytes(body, MAX_MAIL_BYTES)
        .await
        .map_err(|_| ApiError::payload_too_large())?;
    Ok(Json(take_in(&state, &channel, raw.to_vec()).await?.into()))
}

/// Takes one raw message in on a mail channel: read (core), its files checked and kept as
/// uploads are, then stored as a ticket, a reply, a duplicate, or a log line; a message that
/// cannot be read is kept raw for an admin. Whatever is refused on the way leaves no file.
pub(crate) async fn take_in(
    state: &AppState,
    channel: &InboundChannel,
    raw: Vec<u8>,
) -> Result<Received, ApiError> {
    let t = state.store.tenant(channel.tenant);
    let now = state.clock.now();
    let size = i64::try_from(raw.len()).unwrap_or(i64::MAX);
    let own = channel.setup.text("address").map(str::to_owned);
    let (raw, reading) = tokio::task::spawn_blocking(move || {
        let reading = mail::read(&raw, own.as_deref());
        (raw, reading)
    })
    .await
    .map_err(ApiError::internal)?;
    if let Some(first) = t.inbound_seen(channel, reading.message_id()).await? {
        return Ok(first);
    }
    let m = match reading {
        Reading::Mail(m) => m,
        Reading::Ignored {
            message_id,
            reason,
            from,
            subject,
        } => {
            return Ok(t
                .log_inbound(
                    channel,
                    &message_id,
                    Outcome::Ignored,
                    reason,
                    from.as_deref(),
                    subject.as_deref(),
                    None,
                    size,
                    now,
                )
                .await?);
        }
        Reading::Unreadable { message_id, reason } => {
            return quarantine(state, &t, channel, &message_id, reason, &raw, size).await;
        }
    };
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for f in &m.files {
        match check_upload(state, &f.bytes, false).await {
            Ok(checked) => {
                let id = AttachmentId::new();
                let key = format!("{}/{}", channel.tenant, id);
                state
                    .blobs
                    .put(&key, &f.bytes)
                    .await
                    .map_err(ApiError::internal)?;
                if let Some(small) = &checked.thumbnail {
                    let _ = state.blobs.put(&format!("{key}.thumb.jpg"), small).await;
                }
                files.push(ReceivedFile {
                    id,
                    filename: f.filename.chars().take(255).collect(),
                    content_type: checked.content_type.to_owned(),
                    size_bytes: i64::try_from(f.bytes.len()).unwrap_or(i64::MAX),
                    sha256: hex::encode(Sha256::digest(&f.bytes)),
                    storage_key: key,
                });
            }
            Err(_) => skipped.push(f.filename.chars().take(255).collect()),
        }
    }
    let received = t
        .receive_mail(channel, &m, &files, &skipped, size, now)
        .await;
    let forget = async {
        for f in &files {
            let _ = state.blobs.delete(&f.storage_key).await;
            let _ = state
                .blobs
                .delete(&format!("{}.thumb.jpg", f.storage_key))
                .await;
        }
    };
    match received {
        Ok(r) if matches!(r.outcome, Outcome::Created | Outcome::Appended) => Ok(r),
        Ok(r) => {
            forget.await;
            Ok(r)
        }
        // What the store refuses of a readable mail is kept for an admin, not lost.
        Err(StoreError::Invalid(_) | StoreError::UnknownField(_) | StoreError::Conflict { .. }) => {
            forget.await;
            quarantine(
                state,
                &t,
                channel,
                &m.message_id,
                "inbound.refused",
                &raw,
                size,
            )
            .await
        }
        Err(e) => {
            forget.await;
            Err(e.into())
        }
    }
}

/// Keeps a message that cannot be taken in, raw, for an admin to retry or discard.
async fn quarantine(
    state: &AppState,
    t: &TenantStore,
    channel: &InboundChannel,
    message_id: &str,
    reason: &'static str,
    raw: &[u8],
    size: i64,
) -> Result<Received, ApiError> {
    let key = format!("{}/inbound/{}", channel.tenant, InboundId::new());
    state
        .blobs
        .put(&key, raw)
        .await
        .map_err(ApiError::internal)?;
    let r = t
        .log_inbound(
            channel,
            message_id,
            Outcome::Quarantined,
            reason,
            None,
            None,
            Some(&key),
            size,
            state.clock.now(),
        )
        .await?;
    if r.outcome != Outcome::Quarantined {
        let _ = state.blobs.delete(&key).await;
    }
    Ok(r)
}

/// Takes a quarantined message in again (admin), after a fix or a new version: it is read
/// anew and becomes what it becomes.
#[utoipa::path(post, path = "/api/v1/channels/{id}/messages/{message}/retry", tag = "channels",
    params(("id" = String, Path), ("message" = String, Path)),
    responses((status = 200, body = MessageOutcome), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn retry_message(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, message)): Path<(String, String)>,
) -> Result<Json<MessageOutcome>, ApiError> {
    let channel_id = path_id(&id, ChannelId::parse)?;
    let message = path_id(&message, InboundId::parse)?;
    Ok(Json(
        retry(&state, &user, channel_id, message).await?.into(),
    ))
}

/// Reads a quarantined message of `channel_id` again (for the API and the page).
pub(crate) async fn retry(
    state: &AppState,
    user: &CurrentUser,
    channel_id: ChannelId,
    message: InboundId,
) -> Result<Received, ApiError> {
    let (held_by, key) = user.tenant.quarantined(&user.actor, message).await?;
    let channel = state
        .store
        .inbound_channel(channel_id)
        .await?
        .filter(|c| held_by == channel_id && c.tenant == user.tenant.tenant_id())
        .ok_or_else(ApiError::not_found)?;
    let raw = state.blobs.get(&key).await.map_err(ApiError::internal)?;
    user.tenant
        .release_quarantined(&user.actor, message)
        .await?;
    let r = take_in(state, &channel, raw).await?;
    // Taken in, or held again under a new key: the old copy goes.
    let _ = state.blobs.delete(&key).await;
    Ok(r)
}

/// Lets go of a quarantined message (admin): its raw bytes are deleted; its log line stays.
#[utoipa::path(post, path = "/api/v1/channels/{id}/messages/{message}/discard", tag = "channels",
    params(("id" = String, Path), ("message" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn discard_message(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, message)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let channel_id = path_id(&id, ChannelId::parse)?;
    let message = path_id(&message, InboundId::parse)?;
    discard(&state, &user, channel_id, message).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Discards a quarantined message of `channel_id` (for the API and the page).
pub(crate) async fn discard(
    state: &AppState,
    user: &CurrentUser,
    channel_id: ChannelId,
    message: InboundId,
) -> Result<(), ApiError> {
    let (held_by, _) = user.tenant.quarantined(&user.actor, message).await?;
    if held_by != channel_id {
        return Err(ApiError::not_found());
    }
    let key = user
        .tenant
        .discard_quarantined(&user.actor, message)
        .await?;
    let _ = state.blobs.delete(&key).await;
    Ok(())
}
