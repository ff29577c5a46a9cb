//! Binding a chat sender to a contact (core `inbound::bind` decides each step): where a
//! sender's binding stands, the one-time code going out by SMS (a `customer.notice` delivery
//! to every gateway subscribed) with the sender told on the chat, and the binding itself —
//! the contact's `wechat_id` — which also gives the sender's unidentified requests from the
//! channel their customer. Every answer on the chat is a `chat` job keyed by the message it
//! answers, written with the message's log line, so a platform's retry sends nothing twice.

use chrono::{DateTime, Utc};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::inbound::bind::{self, Pending, Step};
use loopdesk_core::inbound::Outcome;
use loopdesk_core::job::{self, ChatSend, Job};
use loopdesk_core::search::Kind;
use loopdesk_core::{notify, TicketId};
use rand::RngCore;
use serde_json::json;
use sqlx::{Any, Transaction};

use super::chat::ChatIn;
use super::receive::LogLine;
use super::{InboundChannel, Received};
use crate::outbox::insert_jobs;
use crate::rows::parse_id;
use crate::search::index;
use crate::{from_ms, ms, NewJob, StoreError, TenantStore};

#[derive(sqlx::FromRow)]
struct BindingRow {
    asked_at: i64,
    code_hash: Option<String>,
    sent_at: Option<i64>,
    tries: i64,
    codes: i64,
    codes_since: Option<i64>,
}

/// The contact a mobile number binds to: the first one on record.
struct Holder {
    id: String,
    customer_id: String,
    name: String,
}

impl TenantStore {
    /// Where `sender`'s binding on `channel` stands, if one is under way.
    pub(super) async fn chat_binding(
        &self,
        channel: &InboundChannel,
        sender: &str,
    ) -> Result<Option<Pending>, StoreError> {
        let row: Option<BindingRow> = sqlx::query_as(
            "SELECT asked_at, code_hash, sent_at, tries, codes, codes_since FROM chat_bindings \
             WHERE channel_id = $1 AND sender = $2",
        )
        .bind(channel.id.to_string())
        .bind(sender)
        .fetch_optional(&self.store.read)
        .await?;
        Ok(row.map(|r| Pending {
            asked_at: from_ms(r.asked_at),
            code_hash: r.code_hash,
            sent_at: r.sent_at.map(from_ms),
            tries: r.tries,
            codes: r.codes,
            codes_since: r.codes_since.map(from_ms),
        }))
    }

    /// A message to the sender on the chat, answering message `m` (`what` tells answers to
    /// one message apart).
    fn chat_answer(
        &self,
        channel: &InboundChannel,
        m: &ChatIn<'_>,
        what: &str,
        text: String,
        now: DateTime<Utc>,
    ) -> NewJob {
        let send = ChatSend {
            channel_id: channel.id,
            to: m.sender.to_owned(),
            text,
            template: None,
        };
        NewJob::new(self.tenant_id, Job::Chat(send), now)
            .keyed(format!("bind:{}:{}:{what}", channel.id, m.message_id))
    }

    /// After a message that became a request: the sender is told `key` (asked for their
    /// number, or that nobody has the number they sent), and asked no more for a day.
    pub(super) async fn ask_for_number(
        &self,
        channel: &InboundChannel,
        m: &ChatIn<'_>,
        key: &'static str,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.store.write.begin().await?;
        sqlx::query(
            "INSERT INTO chat_bindings (channel_id, sender, tenant_id, asked_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (channel_id, sender) DO UPDATE SET asked_at = excluded.asked_at",
        )
        .bind(channel.id.to_string())
        .bind(m.sender)
        .bind(self.tid())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let answer = self.chat_answer(channel, m, "ask", t(lang, key).to_owned(), now);
        insert_jobs(&mut tx, [answer], now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The first contact on record with a mobile number.
    async fn holder_of(&self, phone: &str) -> Result<Option<Holder>, StoreError> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT id, customer_id, name FROM contacts WHERE tenant_id = $1 AND phone = $2 \
             AND removed_at IS NULL ORDER BY created_at, id LIMIT 1",
        )
        .bind(self.tid())
        .bind(phone)
        .fetch_optional(&self.store.read)
        .await?;
        Ok(row.map(|(id, customer_id, name)| Holder {
            id,
            customer_id,
            name,
        }))
    }

    /// Takes a binding step (anything but words) from message `m`: logged as ignored (reason
    /// `inbound.chat_binding`, or `inbound.chat_bound`), with what it gives rise to. A mobile
    /// number no contact has is not a step: `None`, and the message is words after all.
    pub(super) async fn binding_step(
        &self,
        channel: &InboundChannel,
        m: &ChatIn<'_>,
        step: Step,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Option<Received>, StoreError> {
        let holder = match &step {
            Step::Phone(phone) => match self.holder_of(phone).await? {
                Some(h) => Some(h),
                None => return Ok(None),
            },
            Step::Bound => {
                let phone: Option<Option<String>> = sqlx::query_scalar(
                    "SELECT phone FROM chat_bindings WHERE channel_id = $1 AND sender = $2",
                )
                .bind(channel.id.to_string())
                .bind(m.sender)
                .fetch_optional(&self.store.read)
                .await?;
                match phone.flatten() {
                    Some(phone) => self.holder_of(&phone).await?,
                    None => None,
                }
            }
            _ => None,
        };
        let reason = match (&step, &holder) {
            (Step::Bound, Some(_)) => "inbound.chat_bound",
            _ => "inbound.chat_binding",
        };
        let line = LogLine {
            message_id: m.message_id,
            outcome: Outcome::Ignored,
            reason: Some(reason),
            ticket: None,
            sender: Some(m.sender),
            subject: None,
            skipped: &[],
            raw_key: None,
            size: m.size,
        };
        let mut tx = self.store.write.begin().await?;
        if !self.log(&mut tx, channel, &line, now).await? {
            return Ok(Some(self.duplicate(channel, m.message_id).await?));
        }
        let mut jobs = Vec::new();
        match (&step, holder) {
            (Step::Phone(phone), Some(_)) => {
                let code = bind::code(rand::rngs::OsRng.next_u32());
                let pending = self.chat_binding(channel, m.sender).await?;
                let codes = Pending::one_more_code(pending.as_ref(), now);
                self.code_out(&mut tx, channel, m.sender, (phone, &code), codes, now)
                    .await?;
                jobs.extend(self.sms(m, phone, &code, lang, now).await?);
                let said = tf(lang, "bind.code_sent", &[("phone", &bind::masked(phone))]);
                jobs.push(self.chat_answer(channel, m, "step", said, now));
            }
            (Step::Bound, Some(h)) => {
                self.bind_sender(&mut tx, channel, m.sender, &h).await?;
                let said = tf(lang, "bind.bound", &[("name", &h.name)]);
                jobs.push(self.chat_answer(channel, m, "step", said, now));
            }
            (Step::Bound, None) => {
                let said = t(lang, bind::UNKNOWN_NUMBER).to_owned();
                jobs.push(self.chat_answer(channel, m, "step", said, now));
            }
            (Step::Wrong { last }, _) => {
                let sql = match last {
                    true => "UPDATE chat_bindings SET code_hash = NULL, tries = 0 WHERE channel_id = $1 AND sender = $2",
                    false => "UPDATE chat_bindings SET tries = tries + 1 WHERE channel_id = $1 AND sender = $2",
                };
                sqlx::query(sql)
                    .bind(channel.id.to_string())
                    .bind(m.sender)
                    .execute(&mut *tx)
                    .await?;
            }
            (Step::Expired, _) => {
                sqlx::query(
                    "UPDATE chat_bindings SET code_hash = NULL, tries = 0 WHERE channel_id = $1 AND sender = $2",
                )
                .bind(channel.id.to_string())
                .bind(m.sender)
                .execute(&mut *tx)
                .await?;
            }
            _ => {}
        }
        if let Some(key) = step.answer() {
            jobs.push(self.chat_answer(channel, m, "step", t(lang, key).to_owned(), now));
        }
        insert_jobs(&mut tx, jobs, now).await?;
        tx.commit().await?;
        Ok(Some(Received {
            outcome: Outcome::Ignored,
            ticket_id: None,
            reason: Some(reason.to_owned()),
        }))
    }

    /// Keeps the code just sent to `phone` for `sender` (hashed), with no wrong guesses yet,
    /// and the day's count of codes (`codes`: the count and when its day began).
    async fn code_out(
        &self,
        tx: &mut Transaction<'_, Any>,
        channel: &InboundChannel,
        sender: &str,
        (phone, code): (&str, &str),
        codes: (i64, DateTime<Utc>),
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO chat_bindings (channel_id, sender, tenant_id, asked_at, phone, code_hash, sent_at, tries, \
             codes, codes_since) VALUES ($1, $2, $3, $4, $5, $6, $4, 0, $7, $8) \
             ON CONFLICT (channel_id, sender) DO UPDATE SET phone = excluded.phone, \
             code_hash = excluded.code_hash, sent_at = excluded.sent_at, tries = 0, \
             codes = excluded.codes, codes_since = excluded.codes_since",
        )
        .bind(channel.id.to_string())
        .bind(sender)
        .bind(self.tid())
        .bind(ms(now))
        .bind(phone)
        .bind(bind::code_hash(sender, code))
        .bind(codes.0)
        .bind(ms(codes.1))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The code's SMS: one `customer.notice` delivery to each gateway subscribed.
    async fn sms(
        &self,
        m: &ChatIn<'_>,
        phone: &str,
        code: &str,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewJob>, StoreError> {
        let hooks = self.store.active_webhooks(self.tenant_id).await?;
        let text = tf(lang, "bind.sms", &[("code", code)]);
        Ok(hooks
            .iter()
            .filter(|h| notify::subscribed(&h.events, "customer.notice"))
            .map(|hook| {
                let id = format!("bind-{}-{}", m.message_id, hook.id);
                let body = json!({
                    "id": id,
                    "event": "customer.notice",
                    "at": now,
                    "tenant": self.tenant_id,
                    "ticket": null,
                    "data": {
                        "notice": "verification_code",
                        "channel": "sms",
                        "to": phone,
                        "lang": lang.tag(),
                        "subject": "",
                        "text": text,
                        "link": null,
                    },
                });
                let d = job::Delivery {
                    webhook_id: hook.id.clone(),
                    delivery: id.clone(),
                    event: "customer.notice".to_owned(),
                    body: body.to_string(),
                };
                NewJob::new(self.tenant_id, Job::Webhook(d), now)
                    .attempts(hook.max_attempts)
                    .keyed(format!("wh:{id}"))
            })
            .collect())
    }

    /// Binds `sender` to the contact: their platform id is the contact's from now on, and
    /// their requests from this channel that no customer had are the contact's customer's.
    async fn bind_sender(
        &self,
        tx: &mut Transaction<'_, Any>,
        channel: &InboundChannel,
        sender: &str,
        h: &Holder,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE contacts SET wechat_id = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(sender)
            .bind(self.tid())
            .bind(&h.id)
            .execute(&mut **tx)
            .await?;
        let unidentified: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT t.id FROM inbound_messages m JOIN tickets t ON t.id = m.ticket_id \
             WHERE m.tenant_id = $1 AND m.channel_id = $2 AND m.sender = $3 AND t.customer_id IS NULL",
        )
        .bind(self.tid())
        .bind(channel.id.to_string())
        .bind(sender)
        .fetch_all(&mut **tx)
        .await?;
        for ticket in &unidentified {
            parse_id(ticket, TicketId::parse)?;
            sqlx::query(
                "UPDATE tickets SET customer_id = $1, contact_id = $2, version = version + 1, \
                 contact_phone = COALESCE(contact_phone, (SELECT phone FROM contacts WHERE id = $2)) \
                 WHERE tenant_id = $3 AND id = $4 AND customer_id IS NULL",
            )
            .bind(&h.customer_id)
            .bind(&h.id)
            .bind(self.tid())
            .bind(ticket)
            .execute(&mut **tx)
            .await?;
        }
        index::refresh(tx, &self.tid(), Kind::Ticket, &unidentified).await?;
        sqlx::query("DELETE FROM chat_bindings WHERE channel_id = $1 AND sender = $2")
            .bind(channel.id.to_string())
            .bind(sender)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}
