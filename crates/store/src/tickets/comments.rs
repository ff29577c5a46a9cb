//! Replies, internal notes and chases (催单): events on a ticket that are not moves.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::{CommentId, Status, TicketId, UserId};

use super::*;
use crate::events::{self, NewEvent};
use crate::rows::parse_opt_id;
use crate::search::index;
use crate::{ms, Comment, StoreError, TenantStore, TicketDetail};
use loopdesk_core::search::Kind;

impl TenantStore {
    /// Adds a public reply or an internal note. Not a move: the version stays, an event is added.
    pub async fn add_comment(
        &self,
        actor: &Actor,
        ticket: TicketId,
        body: &str,
        internal: bool,
        now: DateTime<Utc>,
    ) -> Result<Comment, StoreError> {
        let body = validate::required_text("body", body, validate::MAX_DESCRIPTION)?;
        self.ticket_row_visible(actor, ticket).await?;
        if internal && !sees_internal(actor) {
            return Err(StoreError::Forbidden);
        }
        let id = CommentId::new();
        let mut tx = self.store.write.begin().await?;
        sqlx::query(
            "INSERT INTO comments (id, tenant_id, ticket_id, author_id, body, internal, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(ticket.to_string())
        .bind(user_text(actor))
        .bind(&body)
        .bind(i64::from(internal))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let comment = Payload::Comment(payload::Comment {
            comment_id: id,
            body: body.clone(),
            internal,
            channel: None,
            from: None,
        });
        let event = NewEvent::by(actor, ticket, comment, now).internal(internal);
        let answers = event.as_event().answers_customer();
        let publish = (!internal).then_some("ticket.commented");
        let folded = events::record(&mut tx, &self.tid(), event, publish).await?;
        // A customer's own words; staff quoting them do not count.
        if actor.has(loopdesk_core::Role::Customer) && !internal {
            let tenant = self.tid();
            crate::triage::signal_urgency(&mut tx, &tenant, &body, "comment", |p| {
                NewEvent::by(actor, ticket, p, now)
            })
            .await?;
        }
        index::refresh(&mut tx, &self.tid(), Kind::Ticket, &[ticket.to_string()]).await?;
        if let (true, Some(first)) = (answers, folded.first_response_at) {
            // A public reply by staff is a response to the customer; the scan re-evaluates
            // the colour at once.
            sqlx::query(
                "UPDATE tickets SET first_response_at = COALESCE(first_response_at, $1), \
                 sla_next_at = CASE WHEN sla_next_at IS NULL THEN NULL ELSE $2 END \
                 WHERE tenant_id = $3 AND id = $4",
            )
            .bind(first)
            .bind(ms(now))
            .bind(self.tid())
            .bind(ticket.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Comment {
            id,
            ticket_id: ticket,
            author_id: actor.user_id(),
            body,
            internal,
            created_at: now,
        })
    }

    /// Records that the customer asked about progress (催单): by the customer themselves, or by
    /// an agent taking their call. Not a move: the version stays; an event is added, the
    /// assignee hears of it, and the chase rate counts it. Only an open ticket can be chased.
    pub async fn chase(
        &self,
        actor: &Actor,
        id: TicketId,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<TicketDetail, StoreError> {
        let scope = access::ticket_scope(actor);
        let row: Option<(String, Option<String>)> = self
            .visible_ticket("t.status, t.assignee_id", id, &scope)
            .query_as()
            .fetch_optional(&self.store.read)
            .await?;
        let (status, assignee) = row.ok_or(StoreError::NotFound)?;
        if !access::allowed(actor, Permission::Chase) {
            return Err(StoreError::Forbidden);
        }
        let note = validate::optional_text("note", note, 500)?;
        let status = Status::parse(&status).ok_or_else(|| StoreError::Corrupt(status.clone()))?;
        if !status.is_open() {
            return Err(FieldError {
                field: "ticket",
                reason: "error.chase_closed",
            }
            .into());
        }
        let chased = Payload::Chased(payload::Chased {
            note,
            status,
            assignee_id: parse_opt_id(assignee, UserId::parse)?,
        });
        let mut tx = self.store.write.begin().await?;
        let event = NewEvent::by(actor, id, chased, now);
        events::record(&mut tx, &self.tid(), event, Some("ticket.chased")).await?;
        tx.commit().await?;
        self.ticket(&scope, id, sees_internal(actor)).await
    }
}
