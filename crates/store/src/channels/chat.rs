//! What a chat message (WeCom, WeChat, DingTalk) becomes: the sender's word on their latest
//! open ticket from the channel while that one is fresh, else a new request — of the contact
//! bound to the sender, or unidentified. Each message is one line of the channel's log,
//! unique per platform message id, so a platform's retry is a duplicate.

use chrono::{DateTime, Utc};
use loopdesk_core::inbound::{self, chat, Outcome};
use loopdesk_core::{CustomerId, Status, TicketId};

use super::receive::LogLine;
use super::{InboundChannel, Received};
use crate::rows::{parse_id, parse_opt_id};
use crate::{from_ms, NewTicket, StoreError, TenantStore};

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

impl TenantStore {
    /// Takes a chat message in (see the module).
    pub async fn receive_chat(
        &self,
        channel: &InboundChannel,
        m: &ChatIn<'_>,
        now: DateTime<Utc>,
    ) -> Result<Received, StoreError> {
        if let Some(first) = self.inbound_seen(channel, m.message_id).await? {
            return Ok(first);
        }
        let (subject, body) = inbound::as_request("", m.words);
        let line = |outcome, ticket| LogLine {
            message_id: m.message_id,
            outcome,
            reason: None,
            ticket: Some(ticket),
            sender: Some(m.sender),
            subject: Some(&subject),
            skipped: &[],
            raw_key: None,
            size: m.size,
        };
        if let Some(ticket) = self.chat_thread(channel, m.sender, now).await? {
            let mut tx = self.store.write.begin().await?;
            if !self
                .log(&mut tx, channel, &line(Outcome::Appended, ticket), now)
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
        let customer = self.customer_of_chat_sender(m.sender).await?;
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
        self.open_ticket(
            channel,
            new,
            m.message_id,
            |t| line(Outcome::Created, t),
            &[],
            now,
        )
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
        let Some(mut ticket) = parse_opt_id(last.flatten(), TicketId::parse)? else {
            return Ok(None);
        };
        for _ in 0..8 {
            let row: Option<(String, Option<String>, i64)> = sqlx::query_as(
                "SELECT status, merged_into, updated_at FROM tickets WHERE tenant_id = $1 AND id = $2",
            )
            .bind(self.tid())
            .bind(ticket.to_string())
            .fetch_optional(&self.store.read)
            .await?;
            let Some((status, into, updated)) = row else {
                return Ok(None);
            };
            if let Some(into) = parse_opt_id(into, TicketId::parse)? {
                ticket = into;
                continue;
            }
            let status = Status::parse(&status).ok_or(StoreError::Corrupt(status))?;
            return Ok(chat::continues_thread(status, from_ms(updated), now).then_some(ticket));
        }
        Ok(None)
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
