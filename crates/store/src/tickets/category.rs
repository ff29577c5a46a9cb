//! A ticket's category: set, corrected or confirmed by a person, or guessed by the tenant's
//! model when the tenant lets it (above its confidence threshold). The SLA follows the category
//! either way (a policy may be the category's). A guess stays marked until a person confirms
//! or corrects it, and only a person's category is training data.

use chrono::{DateTime, Duration, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::ticket::Actor;
use loopdesk_core::triage::{assess, features, Target};
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::TicketId;
use sqlx::{Any, Transaction};

use super::*;
use crate::events::{self, NewEvent};
use crate::rows::parse_id;
use crate::sla::{write_sla, Kept, ReapplyRow};
use crate::{ms, StoreError, TenantStore, TicketDetail};

/// A category change as requested through the API.
#[derive(Clone, Debug)]
pub struct CategoryChange {
    /// The version the caller last saw.
    pub version: i64,
    /// The category's code (the current one again confirms the model's guess).
    pub category: String,
    /// Why (shown in the event).
    pub reason: Option<String>,
}

/// New tickets the model looks at per tenant and run, at most.
const GUESSES_PER_RUN: i64 = 500;
/// Tickets older than this are left as they are (a person has seen them by then).
const GUESS_WITHIN_HOURS: i64 = 24;

impl TenantStore {
    /// Sets, corrects or confirms a ticket's category (agent, dispatcher, supervisor, admin);
    /// the SLA policy is chosen again. Checks in the order of a move: visible (404), `version`
    /// current (409), allowed (403), then the input (422: a category the tenant does not have,
    /// a closed ticket). The same category again confirms a guess, else changes nothing.
    pub async fn change_category(
        &self,
        actor: &Actor,
        id: TicketId,
        req: CategoryChange,
        now: DateTime<Utc>,
    ) -> Result<TicketDetail, StoreError> {
        let scope = access::ticket_scope(actor);
        let mut tx = self.store.write.begin().await?;
        let row = self.lock_current(&mut tx, id, &scope, req.version).await?;
        if !access::allowed(actor, Permission::ChangeCategory) {
            return Err(StoreError::Forbidden);
        }
        let code = req.category.trim();
        let reason = validate::optional_text("reason", req.reason.as_deref(), 500)?;
        let known: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM categories WHERE tenant_id = $1 AND code = $2",
        )
        .bind(self.tid())
        .bind(code)
        .fetch_one(&mut *tx)
        .await?;
        if known == 0 {
            return Err(FieldError {
                field: "category",
                reason: "error.unknown_category",
            }
            .into());
        }
        if !row.status()?.is_open() {
            return Err(FieldError {
                field: "category",
                reason: "error.category_closed",
            }
            .into());
        }
        let same = row.category.as_deref() == Some(code);
        if same && row.category_guessed == 0 {
            drop(tx);
            return self.ticket(&scope, id, sees_internal(actor)).await;
        }
        let reapply = ReapplyRow {
            id: row.id.clone(),
            priority: row.priority,
            category: Some(code.to_owned()),
            tier: self.tier_of(&mut tx, row.customer_id.as_deref()).await?,
            sla: row.sla.clone(),
            kept: Kept {
                status: row.status.clone(),
                first_response_at: row.first_response_at,
                first_arrival_at: row.first_arrival_at,
                resolved_at: row.resolved_at,
                closed_at: row.closed_at,
                updated_at: ms(now),
            },
        };
        let changed = payload::CategoryChanged {
            from: row.category.clone(),
            to: code.to_owned(),
            reason,
            confidence: None,
        };
        let ticket_id = parse_id(&row.id, TicketId::parse)?;
        self.write_category(&mut tx, &reapply, row.version, false, now)
            .await?;
        let event = NewEvent::by(actor, ticket_id, Payload::CategoryChanged(changed), now);
        events::record(&mut tx, &self.tid(), event, Some("ticket.category_changed")).await?;
        tx.commit().await?;
        self.ticket(&scope, id, sees_internal(actor)).await
    }

    async fn tier_of(
        &self,
        tx: &mut Transaction<'_, Any>,
        customer: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let Some(c) = customer else {
            return Ok(None);
        };
        Ok(
            sqlx::query_scalar("SELECT tier FROM customers WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(c)
                .fetch_optional(&mut **tx)
                .await?,
        )
    }

    /// Writes the category of `row` (its `category`), marked a guess or not, with the SLA it
    /// brings; `version` must still be current.
    async fn write_category(
        &self,
        tx: &mut Transaction<'_, Any>,
        row: &ReapplyRow,
        version: i64,
        guessed: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let updated = sqlx::query(
            "UPDATE tickets SET category = $1, category_guessed = $2, category_triaged = 1, \
             version = version + 1, updated_at = $3 WHERE tenant_id = $4 AND id = $5 AND version = $6",
        )
        .bind(&row.category)
        .bind(i64::from(guessed))
        .bind(ms(now))
        .bind(self.tid())
        .bind(&row.id)
        .bind(version)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::Stale {
                current: version + 1,
            });
        }
        if let Some(cols) = self.sla_reapplied(row, row.priority, now).await? {
            let tid = self.tid();
            write_sla(
                tx,
                &tid,
                &row.id,
                &cols,
                row.kept.first_response_at,
                row.kept.first_arrival_at,
            )
            .await?;
        }
        Ok(())
    }

    /// The confidence above which the model sets a new ticket's category itself (`None`: it
    /// only suggests, the default).
    pub async fn auto_category_above(&self) -> Result<Option<f64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT triage_auto_category FROM tenants WHERE id = $1")
                .bind(self.tid())
                .fetch_one(&self.store.read)
                .await?,
        )
    }

    /// Sets (or, with `None`, turns off) that threshold (admins; 0.5 to 1).
    pub async fn set_auto_category_above(
        &self,
        actor: &Actor,
        threshold: Option<f64>,
    ) -> Result<Option<f64>, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        let threshold = threshold.map(assess::auto_threshold).transpose()?;
        sqlx::query("UPDATE tenants SET triage_auto_category = $1 WHERE id = $2")
            .bind(threshold)
            .bind(self.tid())
            .execute(&self.store.write)
            .await?;
        self.auto_category_above().await
    }

    /// Gives the tenant's new tickets without a category (mail, chat, portal, maintenance) the
    /// model's best category when it is at least as sure as the tenant's threshold, recorded as
    /// the model's guess; each new ticket is looked at once. Answers how many were set.
    pub async fn guess_categories(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let Some(threshold) = self.auto_category_above().await? else {
            return Ok(0);
        };
        let models = self.triage_models().await?;
        let Some(model) = models.get(&Target::Category) else {
            return Ok(0);
        };
        let codes: Vec<String> = self
            .categories()
            .await?
            .into_iter()
            .map(|c| c.code)
            .collect();
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT id, subject, description, version FROM tickets WHERE tenant_id = $1 \
             AND created_at >= $2 AND category IS NULL AND category_triaged = 0 \
             AND status NOT IN ('closed', 'cancelled') ORDER BY created_at LIMIT $3",
        )
        .bind(self.tid())
        .bind(ms(now - Duration::hours(GUESS_WITHIN_HOURS)))
        .bind(GUESSES_PER_RUN)
        .fetch_all(&self.store.read)
        .await?;
        let mut set = 0;
        for (id, subject, description, version) in rows {
            let f = features::features(&subject, &description);
            let mut suggestions = model.model.suggest(&f, model.model.classes().len());
            suggestions.retain(|s| codes.contains(&s.class));
            let mut tx = self.store.write.begin().await?;
            let Some(guess) = assess::auto_category(&suggestions, Some(threshold)) else {
                sqlx::query(
                    "UPDATE tickets SET category_triaged = 1 WHERE tenant_id = $1 AND id = $2",
                )
                .bind(self.tid())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                continue;
            };
            let current: Option<ReapplyRow> = sqlx::query_as(&format!(
                "{} AND t.id = $2 AND t.version = $3 AND t.category IS NULL",
                crate::sla::REAPPLY_SELECT
            ))
            .bind(self.tid())
            .bind(&id)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
            // Changed meanwhile (a person was quicker): theirs stands.
            let Some(mut row) = current else {
                continue;
            };
            row.category = Some(guess.class.clone());
            row.kept.updated_at = ms(now);
            match self.write_category(&mut tx, &row, version, true, now).await {
                Ok(()) => {}
                Err(StoreError::Stale { .. }) => continue,
                Err(e) => return Err(e),
            }
            let changed = payload::CategoryChanged {
                from: None,
                to: guess.class.clone(),
                reason: None,
                confidence: Some((guess.confidence * 1000.0).round() / 1000.0),
            };
            let ticket_id = parse_id(&id, TicketId::parse)?;
            let event = NewEvent::by(
                &Actor::System,
                ticket_id,
                Payload::CategoryChanged(changed),
                now,
            );
            events::record(&mut tx, &self.tid(), event, Some("ticket.category_changed")).await?;
            tx.commit().await?;
            set += 1;
        }
        Ok(set)
    }
}
