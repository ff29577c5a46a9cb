//! What a message that came in becomes: a new ticket, the customer's word on one they have,
//! a duplicate, or a line in the log (ignored, quarantined). Every message is one row of
//! `inbound_messages`, unique per channel and `Message-ID`: a second delivery of the same mail
//! (an MTA's retry, two IMAP fetches, two instances) is a duplicate, whichever comes first.

use chrono::{DateTime, Utc};
use loopdesk_core::event::{payload, By, Payload};
use loopdesk_core::inbound::mail::{self, Mail};
use loopdesk_core::inbound::{self, ChannelKind, Outcome};
use loopdesk_core::search::Kind;
use loopdesk_core::ticket::transitions::{Actor, AttachmentKind, MoveCommand};
use loopdesk_core::ticket::Channel as TicketChannel;
use loopdesk_core::{AttachmentId, CommentId, ContactId, CustomerId, InboundId, Status, TicketId};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{Any, Transaction};

use super::InboundChannel;
use crate::events::{self, NewEvent};
use crate::idempotency::Idempotency;
use crate::rows::{parse_id, parse_opt_id};
use crate::search::index;
use crate::tickets::attachments::{insert_file, NewFile};
use crate::tickets::batch::InboundLine;
use crate::{from_ms, ms, NewTicket, StoreError, TenantStore};

/// A file a message brought, already in the file store.
#[derive(Clone, Debug)]
pub struct ReceivedFile {
    /// The attachment it becomes.
    pub id: AttachmentId,
    /// Its name.
    pub filename: String,
    /// Its type (sniffed).
    pub content_type: String,
    /// Bytes.
    pub size_bytes: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Where its bytes are.
    pub storage_key: String,
}

/// What became of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The outcome.
    pub outcome: Outcome,
    /// The ticket it opened or went onto (for a duplicate: the first delivery's).
    pub ticket_id: Option<TicketId>,
    /// Why it was ignored or quarantined (a translation key).
    pub reason: Option<String>,
}

/// Where a ticket stands, for a message that may go onto it.
pub(super) struct Standing {
    /// The ticket.
    pub(super) id: TicketId,
    /// Its status.
    pub(super) status: Status,
    /// The ticket it went into, if it was merged.
    pub(super) merged_into: Option<TicketId>,
    /// When it last moved.
    pub(super) updated_at: DateTime<Utc>,
}

/// One log line's columns.
pub(super) struct LogLine<'a> {
    pub(super) message_id: &'a str,
    pub(super) outcome: Outcome,
    pub(super) reason: Option<&'a str>,
    pub(super) ticket: Option<TicketId>,
    pub(super) sender: Option<&'a str>,
    pub(super) subject: Option<&'a str>,
    pub(super) skipped: &'a [String],
    pub(super) raw_key: Option<&'a str>,
    pub(super) size: i64,
}

impl TenantStore {
    /// The first delivery of a message on a channel, if it came before.
    pub async fn inbound_seen(
        &self,
        channel: &InboundChannel,
        message_id: &str,
    ) -> Result<Option<Received>, StoreError> {
        let row: Option<Option<String>> = sqlx::query_scalar(
            "SELECT ticket_id FROM inbound_messages WHERE channel_id = $1 AND message_id = $2",
        )
        .bind(channel.id.to_string())
        .bind(message_id)
        .fetch_optional(&self.store.read)
        .await?;
        row.map(|ticket| {
            Ok(Received {
                outcome: Outcome::Duplicate,
                ticket_id: parse_opt_id(ticket, TicketId::parse)?,
                reason: None,
            })
        })
        .transpose()
    }

    /// Logs a message that becomes no ticket: ignored (an automatic one) or quarantined (its
    /// raw bytes kept under `raw_key`). A second delivery is a duplicate.
    #[expect(
        clippy::too_many_arguments,
        reason = "one value per column of the log line"
    )]
    pub async fn log_inbound(
        &self,
        channel: &InboundChannel,
        message_id: &str,
        outcome: Outcome,
        reason: &'static str,
        sender: Option<&str>,
        subject: Option<&str>,
        raw_key: Option<&str>,
        size: i64,
        now: DateTime<Utc>,
    ) -> Result<Received, StoreError> {
        let mut tx = self.store.write.begin().await?;
        let line = LogLine {
            message_id,
            outcome,
            reason: Some(reason),
            ticket: None,
            sender,
            subject,
            skipped: &[],
            raw_key,
            size,
        };
        if !self.log(&mut tx, channel, &line, now).await? {
            return self.duplicate(channel, message_id).await;
        }
        tx.commit().await?;
        Ok(Received {
            outcome,
            ticket_id: None,
            reason: Some(reason.to_owned()),
        })
    }

    /// Takes a mail in: onto the ticket it answers (its `In-Reply-To`/`References` name a mail
    /// Loopdesk sent or took in on that ticket, or its subject carries the ticket's number and
    /// the sender is the ticket's customer), as the customer's reply with its files; otherwise
    /// as a new ticket (channel `email`) of the customer whose contact has the sender's
    /// address, or unidentified (or a new customer, when the channel says so).
    pub async fn receive_mail(
        &self,
        channel: &InboundChannel,
        m: &Mail,
        files: &[ReceivedFile],
        skipped: &[String],
        size: i64,
        now: DateTime<Utc>,
    ) -> Result<Received, StoreError> {
        let mut contact = self.contact_by_email(&m.from).await?;
        let thread = self
            .thread_of(m, contact.as_ref().map(|c| c.customer))
            .await?;
        let from = match &m.from_name {
            Some(name) => format!("{name} <{}>", m.from),
            None => m.from.clone(),
        };
        let (subject, body) = inbound::as_request(&m.subject, &m.body);
        let line = |outcome, ticket: Option<TicketId>| LogLine {
            message_id: &m.message_id,
            outcome,
            reason: None,
            ticket,
            sender: Some(&m.from),
            subject: Some(&subject),
            skipped,
            raw_key: None,
            size,
        };
        if let Some(ticket) = thread {
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
                return self.duplicate(channel, &m.message_id).await;
            }
            let said = if body.is_empty() {
                subject.clone()
            } else {
                body
            };
            self.add_message(&mut tx, ticket, channel.kind, &from, &said, files, now)
                .await?;
            tx.commit().await?;
            self.reopen_if_not_fixed(ticket, &said, now).await?;
            return Ok(Received {
                outcome: Outcome::Appended,
                ticket_id: Some(ticket),
                reason: None,
            });
        }
        let creates_customer = channel
            .setup
            .settings
            .get("create_customers")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if contact.is_none() && creates_customer {
            contact = Some(self.customer_from_mail(m, now).await?);
        }
        let new = NewTicket {
            subject: subject.clone(),
            description: body,
            priority: 3,
            channel: TicketChannel::Email,
            customer_id: contact.as_ref().map(|c| c.customer),
            contact_phone: contact.as_ref().and_then(|c| c.phone.clone()),
            site_id: None,
            asset_id: None,
            category: None,
            fields: None,
        };
        self.open_ticket(channel, new, line(Outcome::Created, None), files, now)
            .await
    }

    /// Opens the ticket a message asks for, once: the message's id is the ticket's
    /// idempotency key (a delivery that died between the ticket and its log line makes no
    /// second ticket when it comes again); the log line, the `ticket.created` publication
    /// (with the line, so an acknowledgement finds the message to answer) and the files go
    /// in one transaction.
    pub(super) async fn open_ticket(
        &self,
        channel: &InboundChannel,
        new: NewTicket,
        line: LogLine<'_>,
        files: &[ReceivedFile],
        now: DateTime<Utc>,
    ) -> Result<Received, StoreError> {
        let message_id = line.message_id;
        let key = format!("inbound:{}:{}", channel.id, message_id);
        let idempotency = Idempotency {
            key: hex::encode(Sha256::digest(key.as_bytes())),
            request_hash: hex::encode(Sha256::digest(message_id.as_bytes())),
        };
        // The log line rides with the ticket in the batch's one commit; a message with files
        // publishes `ticket.created` once its files are kept.
        let logged = InboundLine {
            channel_id: channel.id.to_string(),
            message_id: message_id.to_owned(),
            sender: line.sender.map(str::to_owned),
            subject: line.subject.map(|s| s.chars().take(200).collect()),
            files_skipped: (!line.skipped.is_empty())
                .then(|| serde_json::to_string(line.skipped).unwrap_or_default()),
            size: line.size,
        };
        let (ticket, replayed) = self
            .record_request(
                &Actor::System,
                new,
                Some(idempotency),
                files.is_empty(),
                Some(logged),
                now,
            )
            .await?;
        if replayed {
            return self.duplicate(channel, message_id).await;
        }
        if !files.is_empty() {
            let mut tx = self.store.write.begin().await?;
            for f in files {
                self.add_file(&mut tx, ticket.id, f, now).await?;
            }
            let created = Payload::Created(payload::Created {
                number: ticket.number.clone(),
                channel: ticket.channel,
                priority: ticket.priority,
            });
            crate::outbox::enqueue_publish(
                &mut tx,
                &self.tid(),
                ticket.id,
                "ticket.created",
                &created.data(),
                now,
            )
            .await?;
            tx.commit().await?;
        }
        Ok(Received {
            outcome: Outcome::Created,
            ticket_id: Some(ticket.id),
            reason: None,
        })
    }

    /// The customer's word that a resolved ticket is not fixed ("没修好", core
    /// `mail::says_not_fixed`) reopens it, with their words as the reason, when the table
    /// allows (a ticket that moved on meanwhile stays as it is).
    pub(super) async fn reopen_if_not_fixed(
        &self,
        ticket: TicketId,
        said: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let resolved = matches!(
            self.ticket_standing(ticket).await?,
            Some(Standing {
                status: Status::Resolved,
                merged_into: None,
                ..
            })
        );
        if !resolved || !mail::says_not_fixed(said) {
            return Ok(());
        }
        let Some(version) = self.ticket_version(&Actor::System, ticket).await? else {
            return Ok(());
        };
        let reason: String = said.chars().take(200).collect();
        let req = crate::TransitionRequest {
            version,
            command: MoveCommand {
                to: Some(Status::InProgress),
                reason: Some(reason),
                ..MoveCommand::default()
            },
        };
        match self
            .transition(&Actor::System, ticket, req, None, now)
            .await
        {
            Ok(_) | Err(StoreError::Stale { .. } | StoreError::Transition(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The customer's last mail on a ticket (its `Message-ID` and sender), for Loopdesk's
    /// mail about the ticket to answer and go to.
    pub async fn last_mail_from_customer(
        &self,
        ticket: TicketId,
    ) -> Result<Option<(String, String)>, StoreError> {
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT m.message_id, m.sender FROM inbound_messages m \
             JOIN channels c ON c.id = m.channel_id AND c.kind = 'email' \
             WHERE m.tenant_id = $1 AND m.ticket_id = $2 AND m.outcome IN ('created', 'appended') \
             ORDER BY m.received_at DESC, m.id DESC LIMIT 1",
        )
        .bind(self.tid())
        .bind(ticket.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        Ok(row.and_then(|(id, sender)| sender.map(|s| (id, s))))
    }

    pub(super) async fn duplicate(
        &self,
        channel: &InboundChannel,
        message_id: &str,
    ) -> Result<Received, StoreError> {
        Ok(self
            .inbound_seen(channel, message_id)
            .await?
            .unwrap_or(Received {
                outcome: Outcome::Duplicate,
                ticket_id: None,
                reason: None,
            }))
    }

    /// Writes the log line inside `tx`; `false` when the message was logged before (the
    /// transaction is then of no use).
    pub(super) async fn log(
        &self,
        tx: &mut Transaction<'_, Any>,
        channel: &InboundChannel,
        l: &LogLine<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let skipped =
            (!l.skipped.is_empty()).then(|| serde_json::to_string(l.skipped).unwrap_or_default());
        let written = sqlx::query(
            "INSERT INTO inbound_messages (id, tenant_id, channel_id, message_id, outcome, reason, ticket_id, \
             sender, subject, files_skipped, raw_key, size_bytes, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (channel_id, message_id) DO NOTHING",
        )
        .bind(InboundId::new().to_string())
        .bind(self.tid())
        .bind(channel.id.to_string())
        .bind(l.message_id)
        .bind(l.outcome.as_str())
        .bind(l.reason)
        .bind(l.ticket.map(|t| t.to_string()))
        .bind(l.sender)
        .bind(l.subject.map(|s| s.chars().take(200).collect::<String>()))
        .bind(skipped)
        .bind(l.raw_key)
        .bind(l.size)
        .bind(ms(now))
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(written == 1)
    }

    /// The customer's message on a ticket: a public comment by the customer, with the channel
    /// and sender it came from, and its files; findable and published like a reply.
    #[expect(
        clippy::too_many_arguments,
        reason = "the message's parts, each needed"
    )]
    pub(super) async fn add_message(
        &self,
        tx: &mut Transaction<'_, Any>,
        ticket: TicketId,
        kind: ChannelKind,
        from: &str,
        body: &str,
        files: &[ReceivedFile],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let id = CommentId::new();
        sqlx::query(
            "INSERT INTO comments (id, tenant_id, ticket_id, author_id, body, internal, created_at) \
             VALUES ($1, $2, $3, NULL, $4, 0, $5)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(ticket.to_string())
        .bind(body)
        .bind(ms(now))
        .execute(&mut **tx)
        .await?;
        let said = Payload::Comment(payload::Comment {
            comment_id: id,
            body: body.to_owned(),
            internal: false,
            channel: Some(kind.ticket_channel().as_str().to_owned()),
            from: Some(from.to_owned()),
        });
        let event = NewEvent {
            by: By::Customer,
            ..NewEvent::system(ticket, said, now)
        };
        events::record(tx, &self.tid(), event, Some("ticket.commented")).await?;
        crate::triage::signal_urgency(tx, &self.tid(), body, "comment", |p| NewEvent {
            by: By::Customer,
            ..NewEvent::system(ticket, p, now)
        })
        .await?;
        for f in files {
            self.add_file(tx, ticket, f, now).await?;
        }
        index::refresh(tx, &self.tid(), Kind::Ticket, &[ticket.to_string()]).await?;
        Ok(())
    }

    async fn add_file(
        &self,
        tx: &mut Transaction<'_, Any>,
        ticket: TicketId,
        f: &ReceivedFile,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let file = NewFile {
            id: f.id,
            kind: AttachmentKind::Other,
            filename: &f.filename,
            content_type: &f.content_type,
            size_bytes: f.size_bytes,
            sha256: &f.sha256,
            storage_key: &f.storage_key,
        };
        let attached = insert_file(tx, &self.tid(), ticket, &file, None, now).await?;
        let event = NewEvent {
            by: By::Customer,
            ..NewEvent::system(ticket, attached, now)
        };
        events::record(tx, &self.tid(), event, None).await?;
        Ok(())
    }

    /// The open ticket a mail answers, if any (see [`TenantStore::receive_mail`]); a ticket
    /// merged into another answers the one it went into.
    async fn thread_of(
        &self,
        m: &Mail,
        customer: Option<CustomerId>,
    ) -> Result<Option<TicketId>, StoreError> {
        let mut found: Option<TicketId> = None;
        for id in m.refers_to.iter().take(20) {
            if let Some(t) = mail::ticket_of_message_id(id) {
                if self.ticket_standing(t).await?.is_some() {
                    found = Some(t);
                    break;
                }
            }
        }
        if found.is_none() && !m.refers_to.is_empty() {
            let mut sql =
                crate::sql::Sql::new("SELECT ticket_id FROM inbound_messages WHERE tenant_id = ");
            sql.text(self.tid());
            sql.push(" AND ticket_id IS NOT NULL");
            // A long References chain: its newest ids are enough.
            let ids: Vec<String> = m.refers_to.iter().take(20).cloned().collect();
            sql.in_list(" AND message_id", &ids);
            sql.push(" ORDER BY received_at DESC LIMIT 1");
            let row: Option<(String,)> = sql.query_as().fetch_optional(&self.store.read).await?;
            found = parse_opt_id(row.map(|(t,)| t), TicketId::parse)?;
        }
        if found.is_none() {
            if let Some(number) = &m.ticket_number {
                let row: Option<(String, Option<String>)> = sqlx::query_as(
                    "SELECT id, customer_id FROM tickets WHERE tenant_id = $1 AND number = $2",
                )
                .bind(self.tid())
                .bind(number)
                .fetch_optional(&self.store.read)
                .await?;
                if let Some((id, owner)) = row {
                    let id = parse_id(&id, TicketId::parse)?;
                    let owner = parse_opt_id(owner, CustomerId::parse)?;
                    // A number anyone can type is proof only for the ticket's own customer,
                    // or for whoever wrote on the ticket before from this address.
                    let theirs = match (owner, customer) {
                        (Some(o), Some(c)) => o == c,
                        _ => self.wrote_before(id, &m.from).await?,
                    };
                    if theirs {
                        found = Some(id);
                    }
                }
            }
        }
        let Some(ticket) = found else {
            return Ok(None);
        };
        let end = self.follow_merges(ticket).await?;
        Ok(end.filter(|s| inbound::follows_up(s.status)).map(|s| s.id))
    }

    /// A ticket's status, the ticket it was merged into and when it last moved.
    pub(super) async fn ticket_standing(
        &self,
        id: TicketId,
    ) -> Result<Option<Standing>, StoreError> {
        let row: Option<(String, Option<String>, i64)> = sqlx::query_as(
            "SELECT status, merged_into, updated_at FROM tickets WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        row.map(|(status, into, updated)| {
            Ok(Standing {
                id,
                status: Status::parse(&status).ok_or(StoreError::Corrupt(status))?,
                merged_into: parse_opt_id(into, TicketId::parse)?,
                updated_at: from_ms(updated),
            })
        })
        .transpose()
    }

    /// The ticket a message about `ticket` goes to: itself, or the one it was merged into
    /// (a chain is short; a loop cannot be made, but is stopped anyway).
    pub(super) async fn follow_merges(
        &self,
        mut ticket: TicketId,
    ) -> Result<Option<Standing>, StoreError> {
        for _ in 0..8 {
            match self.ticket_standing(ticket).await? {
                Some(Standing {
                    merged_into: Some(into),
                    ..
                }) => ticket = into,
                end => return Ok(end),
            }
        }
        Ok(None)
    }

    async fn wrote_before(&self, ticket: TicketId, sender: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM inbound_messages WHERE tenant_id = $1 AND ticket_id = $2 AND sender = $3",
        )
        .bind(self.tid())
        .bind(ticket.to_string())
        .bind(sender)
        .fetch_one(&self.store.read)
        .await?;
        Ok(n > 0)
    }

    /// The contact with this e-mail address (any case; not removed), the oldest when several.
    async fn contact_by_email(&self, address: &str) -> Result<Option<Sender>, StoreError> {
        let row: Option<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, customer_id, phone FROM contacts WHERE tenant_id = $1 AND LOWER(email) = $2 \
             AND removed_at IS NULL ORDER BY created_at, id LIMIT 1",
        )
        .bind(self.tid())
        .bind(address.to_lowercase())
        .fetch_optional(&self.store.read)
        .await?;
        row.map(|(id, customer, phone)| {
            Ok(Sender {
                _contact: parse_id(&id, ContactId::parse)?,
                customer: parse_id(&customer, CustomerId::parse)?,
                phone,
            })
        })
        .transpose()
    }

    /// A customer made from an unknown sender: named as the mail names them, with one
    /// contact on that address (the channel's `create_customers`).
    async fn customer_from_mail(&self, m: &Mail, now: DateTime<Utc>) -> Result<Sender, StoreError> {
        let name = m.from_name.clone().unwrap_or_else(|| m.from.clone());
        let new = crate::NewCustomer {
            name: name.chars().take(100).collect(),
            kind: Some("person".into()),
            contacts: vec![crate::NewContact {
                name: name.chars().take(100).collect(),
                email: Some(m.from.clone()),
                ..crate::NewContact::default()
            }],
            ..crate::NewCustomer::default()
        };
        self.create_customer(new, now).await?;
        self.contact_by_email(&m.from)
            .await?
            .ok_or(StoreError::NotFound)
    }
}

/// A sender known as a contact.
struct Sender {
    _contact: ContactId,
    customer: CustomerId,
    phone: Option<String>,
}
