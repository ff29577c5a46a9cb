//! What a chat message (WeCom, WeChat, DingTalk) becomes: the sender's word on their latest
//! open ticket from the channel while that one is fresh, else a new request — of the contact
//! bound to the sender, or unidentified (and then the sender is asked to bind themselves,
//! `bind`). Each message is one line of the channel's log,
//! unique per platform message id, so a platform's retry is a duplicate.

use chrono::{DateTime, Utc};
use loopdesk_core::i18n::Lang;
use loopdesk_core::inbound::bind::{self, Step};
use loopdesk_core::inbound::{self, chat, Outcome};
use loopdesk_core::{ChannelId, CustomerId, TicketId};

use super::receive::LogLine;
use super::{InboundChannel, Received};
use crate::rows::{parse_id, parse_opt_id};
use crate::{ms, NewTicket, StoreError, TenantStore};

/// One chat message to take in.
#[derive(Clone, Debug)]
pub struct ChatIn<'a> {
    /// The platform's id of the message.
    pub message_id: &'a str,
    /// The sender's id on the platform (a WeCom user id, a WeChat openid).
    pub sender: &'a str,
    /// What they said (a picture or a place described).
    pub words: &'a str,
    /// The body's size in bytes.
    pub size: i64,
}

impl crate::Store {
    /// A channel's platform access token, while it is good until after `at`.
    pub async fn channel_token(
        &self,
        channel: ChannelId,
        at: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT token FROM channel_tokens WHERE channel_id = $1 AND expires_at > $2",
        )
        .bind(channel.to_string())
        .bind(ms(at))
        .fetch_optional(&self.read)
        .await?)
    }

    /// Keeps a channel's new access token until `expires_at`.
    pub async fn keep_channel_token(
        &self,
        channel: &InboundChannel,
        token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO channel_tokens (channel_id, tenant_id, token, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (channel_id) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at",
        )
        .bind(channel.id.to_string())
        .bind(channel.tenant.to_string())
        .bind(token)
        .bind(ms(expires_at))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Forgets a token the platform no longer takes (only that one: a runner may have kept
    /// a newer one meanwhile).
    pub async fn forget_channel_token(
        &self,
        channel: ChannelId,
        token: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM channel_tokens WHERE channel_id = $1 AND token = $2")
            .bind(channel.to_string())
            .bind(token)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

impl TenantStore {
    /// Where the customer last spoke on a ticket, when it was a chat: the channel and their
    /// id on it (Loopdesk's messages about the ticket go back there).
    pub async fn last_chat_from_customer(
        &self,
        ticket: TicketId,
    ) -> Result<Option<(ChannelId, String)>, StoreError> {
        let row: Option<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT m.channel_id, c.kind, m.sender FROM inbound_messages m \
             JOIN channels c ON c.id = m.channel_id \
             WHERE m.tenant_id = $1 AND m.ticket_id = $2 AND m.outcome IN ('created', 'appended') \
             ORDER BY m.received_at DESC, m.id DESC LIMIT 1",
        )
        .bind(self.tid())
        .bind(ticket.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        let Some((channel, kind, Some(sender))) = row else {
            return Ok(None);
        };
        let chat = loopdesk_core::inbound::ChannelKind::parse(&kind)
            .is_some_and(loopdesk_core::inbound::ChannelKind::has_callback);
        if !chat {
            return Ok(None);
        }
        Ok(Some((parse_id(&channel, ChannelId::parse)?, sender)))
    }

    /// Takes a chat message in (see the module). A sender no contact carries is in the middle
    /// of binding (`bind`): their mobile number or code is a step of it; their words are a
    /// request all the same, and the first one asks them for their number (answers in `lang`).
    pub async fn receive_chat(
        &self,
        channel: &InboundChannel,
        m: &ChatIn<'_>,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Received, StoreError> {
        if let Some(first) = self.inbound_seen(channel, m.message_id).await? {
            return Ok(first);
        }
        let customer = self.customer_of_chat_sender(m.sender).await?;
        // What the unbound sender is told once their words are taken (a translation key).
        let mut answer = None;
        if customer.is_none() {
            let pending = self.chat_binding(channel, m.sender).await?;
            match bind::step(pending.as_ref(), m.sender, m.words, now) {
                words @ Step::Words { .. } => answer = words.answer(),
                step => match self.binding_step(channel, m, step, lang, now).await? {
                    Some(taken) => return Ok(taken),
                    // A mobile number no contact has: words after all, and they are told.
                    None => answer = Some(bind::UNKNOWN_NUMBER),
                },
            }
        }
        let received = self.chat_request(channel, m, customer, now).await?;
        if let (Some(key), Outcome::Created | Outcome::Appended) = (answer, received.outcome) {
            self.ask_for_number(channel, m, key, lang, now).await?;
        }
        Ok(received)
    }

    /// A chat message as words: onto the sender's thread, or a new request.
    async fn chat_request(
        &self,
        channel: &InboundChannel,
        m: &ChatIn<'_>,
        customer: Option<(CustomerId, Option<String>)>,
        now: DateTime<Utc>,
    ) -> Result<Received, StoreError> {
        let (subject, body) = inbound::as_request("", m.words);
        let line = |outcome, ticket: Option<TicketId>| LogLine {
            message_id: m.message_id,
            outcome,
            reason: None,
            ticket,
            sender: Some(m.sender),
            subject: Some(&subject),
            skipped: &[],
            raw_key: None,
            size: m.size,
        };
        if let Some(ticket) = self.chat_thread(channel, m.sender, now).await? {
            let mut tx = self.store.write.begin().await?;
            if !self
                .log(
                    &mut tx,
                    channel,
                    &line(Outcome::Appended, Some(ticket)),
                    now,
                )
                .await?
            {
                return self.duplicate(channel, m.message_id).await;
            }
            self.add_message(&mut tx, ticket, channel.kind, m.sender, &body, &[], now)
                .await?;
            tx.commit().await?;
            self.reopen_if_not_fixed(ticket, &body, now).await?;
            return Ok(Received {
                outcome: Outcome::Appended,
                ticket_id: Some(ticket),
                reason: None,
            });
        }
        let new = NewTicket {
            subject: subject.clone(),
            description: body,
            priority: 3,
            channel: channel.kind.ticket_channel(),
            customer_id: customer.as_ref().map(|c| c.0),
            contact_phone: customer.and_then(|c| c.1),
            site_id: None,
            asset_id: None,
            category: None,
            fields: None,
        };
        self.open_ticket(channel, new, line(Outcome::Created, None), &[], now)
            .await
    }

    /// The sender's latest ticket from this channel, if a new message still goes onto it
    /// (core `chat::continues_thread`); a merged ticket answers the one it went into.
    async fn chat_thread(
        &self,
        channel: &InboundChannel,
        sender: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TicketId>, StoreError> {
        let last: Option<Option<String>> = sqlx::query_scalar(
            "SELECT ticket_id FROM inbound_messages WHERE tenant_id = $1 AND channel_id = $2 \
             AND sender = $3 AND ticket_id IS NOT NULL ORDER BY received_at DESC, id DESC LIMIT 1",
        )
        .bind(self.tid())
        .bind(channel.id.to_string())
        .bind(sender)
        .fetch_optional(&self.store.read)
        .await?;
        let Some(ticket) = parse_opt_id(last.flatten(), TicketId::parse)? else {
            return Ok(None);
        };
        let end = self.follow_merges(ticket).await?;
        Ok(end
            .filter(|s| chat::continues_thread(s.status, s.updated_at, now))
            .map(|s| s.id))
    }

    /// The customer (and contact phone) of the contact bound to a chat sender: the contact
    /// whose `wechat_id` is the sender's platform id.
    async fn customer_of_chat_sender(
        &self,
        sender: &str,
    ) -> Result<Option<(CustomerId, Option<String>)>, StoreError> {
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT customer_id, phone FROM contacts WHERE tenant_id = $1 AND wechat_id = $2 \
             AND removed_at IS NULL ORDER BY created_at, id LIMIT 1",
        )
        .bind(self.tid())
        .bind(sender)
        .fetch_optional(&self.store.read)
        .await?;
        row.map(|(c, phone)| Ok((parse_id(&c, CustomerId::parse)?, phone)))
            .transpose()
    }
}
