//! The chat platforms' callbacks at a channel's `callback_url`: WeCom (企业微信), WeChat
//! Official Account (公众号, safe mode) and DingTalk (钉钉), each as the platform publishes
//! it — the URL check, then signed, encrypted messages (DingTalk: signed events, and its
//! robot's signed messages). A bad signature, another receiver or
//! a message that does not decrypt stores nothing (401); a message the platform delivers
//! again is a duplicate, answered as a success so that it stops.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loopdesk_core::i18n::Lang;
use loopdesk_core::inbound::chat::{self, CallbackQuery, ChatMessage, Cipher, Refused};
use loopdesk_core::inbound::{ChannelKind, Outcome};
use loopdesk_core::ChannelId;
use loopdesk_store::{ChatIn, InboundChannel};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

fn refused(why: Refused) -> ApiError {
    tracing::info!(reason = why.as_str(), "chat callback refused");
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "error.chat_callback",
    )
}

/// The channel behind a callback address: one of the chat kinds, with its token and key.
struct Callee {
    channel: InboundChannel,
    token: String,
    cipher: Cipher,
    /// Whom messages must be for: the corp id, the app id, the app key.
    receiver: String,
}

async fn callee(state: &AppState, id: &str) -> Result<Callee, ApiError> {
    let id = ChannelId::parse(id).ok_or_else(ApiError::not_found)?;
    let channel = state
        .store
        .inbound_channel(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let (key_field, receiver_field) = channel
        .kind
        .callback_fields()
        .ok_or_else(ApiError::not_found)?;
    let setup = &channel.setup;
    let (Some(token), Some(cipher), Some(receiver)) = (
        setup.text("token").map(str::to_owned),
        setup.text(key_field).and_then(Cipher::new),
        setup.text(receiver_field).map(str::to_owned),
    ) else {
        return Err(ApiError::not_found());
    };
    Ok(Callee {
        channel,
        token,
        cipher,
        receiver,
    })
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// The platform checks the callback address (WeCom: the decrypted `echostr`; WeChat: the
/// `echostr` as it came), answered as plain text.
#[utoipa::path(get, path = "/api/v1/channels/{id}/callback", tag = "channels", security(()),
    params(("id" = String, Path), ("msg_signature" = Option<String>, Query), ("signature" = Option<String>, Query),
        ("timestamp" = Option<String>, Query), ("nonce" = Option<String>, Query), ("echostr" = Option<String>, Query)),
    responses((status = 200, body = String, content_type = "text/plain"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn check_url(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, ApiError> {
    let c = callee(&state, &id).await?;
    let answer = match c.channel.kind {
        ChannelKind::Wecom => q.wecom_echo(&c.token, &c.cipher, &c.receiver),
        ChannelKind::WechatOa => q.wechat_echo(&c.token),
        // DingTalk checks its address with a posted `check_url` event.
        _ => return Err(ApiError::not_found()),
    };
    answer.map(text).map_err(refused)
}

/// DingTalk's posted body: the encrypted event.
#[derive(Deserialize)]
struct DingtalkBody {
    encrypt: String,
}

/// A platform posts a message or an event: WeCom and WeChat (safe mode, `encrypt_type=aes`)
/// an XML envelope signed with `msg_signature`; DingTalk `{"encrypt": …}` signed with
/// `signature`. Answered as each expects: WeCom an empty body, WeChat `success`, DingTalk
/// the encrypted `success`.
#[utoipa::path(post, path = "/api/v1/channels/{id}/callback", tag = "channels", security(()),
    params(("id" = String, Path), ("msg_signature" = Option<String>, Query), ("signature" = Option<String>, Query),
        ("timestamp" = Option<String>, Query), ("nonce" = Option<String>, Query), ("encrypt_type" = Option<String>, Query)),
    request_body(content_type = "text/xml", content = String),
    responses((status = 200, body = String, content_type = "text/plain"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn receive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<CallbackQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let c = callee(&state, &id).await?;
    let raw = axum::body::to_bytes(body, chat::MAX_CALLBACK_BYTES)
        .await
        .map_err(|_| ApiError::payload_too_large())?;
    let body = String::from_utf8_lossy(&raw);
    let size = i64::try_from(raw.len()).unwrap_or(i64::MAX);
    if c.channel.kind == ChannelKind::Dingtalk {
        let robot = (headers.get("timestamp"), headers.get("sign"));
        if let (Some(ts), Some(sign)) = robot {
            return dingtalk_robot(&state, &c, (ts, sign), &body, size).await;
        }
        return dingtalk(&state, &c, &q, &raw, size).await;
    }
    if c.channel.kind == ChannelKind::WechatOa && q.encrypt_type.as_deref() != Some("aes") {
        // Plain mode signs nothing of the message: only safe mode is taken.
        return Err(refused(Refused::Signature));
    }
    let xml = q
        .open(&c.token, &c.cipher, &c.receiver, &body)
        .map_err(refused)?;
    take(&state, &c.channel, ChatMessage::read(&xml), &xml, size).await?;
    Ok(text(match c.channel.kind {
        ChannelKind::WechatOa => "success".to_owned(),
        _ => String::new(),
    }))
}

/// Takes a message in (`read` from `raw`, the decrypted XML or the robot's JSON): words
/// become a request or a reply; events, kinds Loopdesk does not take and what cannot be read
/// are logged as ignored.
async fn take(
    state: &AppState,
    channel: &InboundChannel,
    read: Result<ChatMessage, Refused>,
    raw: &str,
    size: i64,
) -> Result<(), ApiError> {
    if !channel.active {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "channel_paused",
            "error.channel_paused",
        ));
    }
    let t = state.store.tenant(channel.tenant);
    let now = state.clock.now();
    let lang: Lang = state.config.default_lang;
    let Ok(m) = read else {
        let digest = hex::encode(Sha256::digest(raw.as_bytes()));
        t.log_inbound(
            channel,
            &digest,
            Outcome::Ignored,
            "inbound.chat_unreadable",
            None,
            None,
            None,
            size,
            now,
        )
        .await?;
        return Ok(());
    };
    match m.words(lang) {
        Ok(words) => {
            let message = ChatIn {
                message_id: &m.msg_id,
                sender: &m.from,
                words: &words,
                size,
            };
            t.receive_chat(channel, &message, lang, now).await?;
        }
        Err(reason) => {
            t.log_inbound(
                channel,
                &m.msg_id,
                Outcome::Ignored,
                reason,
                Some(&m.from),
                None,
                None,
                size,
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// A DingTalk robot's message (HTTP mode): signed in its `timestamp` and `sign` headers with
/// the app secret, within the hour; answered with an empty JSON object (replies go as work
/// notices).
async fn dingtalk_robot(
    state: &AppState,
    c: &Callee,
    (ts, sign): (&HeaderValue, &HeaderValue),
    body: &str,
    size: i64,
) -> Result<Response, ApiError> {
    let secret = c.channel.setup.text("app_secret").unwrap_or_default();
    let (ts, sign) = (
        ts.to_str().unwrap_or_default(),
        sign.to_str().unwrap_or_default(),
    );
    let now = state.clock.now().timestamp_millis();
    if !chat::robot_signed(secret, ts, sign, now) {
        return Err(refused(Refused::Signature));
    }
    let read = ChatMessage::read_robot(body, &c.receiver);
    if let Err(Refused::Receiver) = read {
        return Err(refused(Refused::Receiver));
    }
    take(state, &c.channel, read, body, size).await?;
    Ok(Json(serde_json::json!({})).into_response())
}

/// DingTalk: the event decrypted for the app key; `check_url` (and every other event) is
/// answered with the encrypted `success`, signed.
async fn dingtalk(
    state: &AppState,
    c: &Callee,
    q: &CallbackQuery,
    raw: &[u8],
    size: i64,
) -> Result<Response, ApiError> {
    let posted: DingtalkBody =
        serde_json::from_slice(raw).map_err(|_| refused(Refused::Message))?;
    let ts = q.timestamp.as_deref().unwrap_or_default();
    let nonce = q.nonce.as_deref().unwrap_or_default();
    let sig = q.signature.as_deref().unwrap_or_default();
    if !chat::signed(sig, &[&c.token, ts, nonce, &posted.encrypt]) {
        return Err(refused(Refused::Signature));
    }
    let (event, to) = c.cipher.decrypt(&posted.encrypt).map_err(refused)?;
    if to != c.receiver {
        return Err(refused(Refused::Receiver));
    }
    let kind = serde_json::from_str::<serde_json::Value>(&event)
        .ok()
        .and_then(|v| {
            v.get("EventType")
                .and_then(|e| e.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    if kind != "check_url" && c.channel.active {
        let t = state.store.tenant(c.channel.tenant);
        let digest = hex::encode(Sha256::digest(event.as_bytes()));
        t.log_inbound(
            &c.channel,
            &digest,
            Outcome::Ignored,
            "inbound.chat_event",
            None,
            None,
            None,
            size,
            state.clock.now(),
        )
        .await?;
    }
    let random = *uuid::Uuid::new_v4().as_bytes();
    let encrypted = c.cipher.encrypt(random, "success", &c.receiver);
    let answer_nonce = uuid::Uuid::new_v4().simple().to_string();
    let stamp = state.clock.now().timestamp_millis().to_string();
    Ok(Json(serde_json::json!({
        "msg_signature": chat::signature(&[&c.token, &stamp, &answer_nonce, &encrypted]),
        "timeStamp": stamp,
        "nonce": answer_nonce,
        "encrypt": encrypted,
    }))
    .into_response())
}
