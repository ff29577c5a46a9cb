//! Triage's data: the examples a model learns from (the tenant's tickets as people filed
//! them, survey comments with their scores), the trained models, and the recent tickets a
//! request may repeat.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::event::Payload;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::triage::{
    assess, features, similar, train, Assessment, Candidate, Classifier, Example, Holdout, Known,
    Models, Options, Request, Target, TrainError,
};
use loopdesk_core::{AssetId, CustomerId, TenantId, TicketId};

use crate::rows::parse_id;
use crate::scope::push_scope;
use crate::sql::Sql;
use crate::{from_ms, ms, StoreError, TenantStore};

/// Most examples a model is trained on: the newest, which say most of how the tenant files
/// tickets today.
pub const MAX_EXAMPLES: i64 = 200_000;

/// A model as kept, with when and on how much it was trained.
#[derive(Clone, Debug)]
pub struct TriageModel {
    /// The model.
    pub model: Arc<Classifier>,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
    /// On how many examples.
    pub trained_on: i64,
}

/// Parsed models per tenant and target, with the training time they were read at: a model
/// trained on another instance is read again at the next triage (one small query tells).
#[derive(Clone, Debug, Default)]
pub(crate) struct ModelCache(Arc<Mutex<HashMap<(TenantId, Target), TriageModel>>>);

/// When the customer's `text` reads urgent (core's lexicon), records its `urgency_signalled`
/// event — made by `event` from the payload — and publishes `ticket.urgent`, in `tx`. One
/// place for every way a customer's words come in (a reply, a mail or chat, a survey).
pub(crate) async fn signal_urgency(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &str,
    text: &str,
    source: &str,
    event: impl FnOnce(Payload) -> crate::events::NewEvent,
) -> Result<(), StoreError> {
    if let Some(u) = loopdesk_core::triage::urgency::signalled(text, source) {
        let e = event(Payload::UrgencySignalled(u));
        crate::events::record(tx, tenant, e, Some("ticket.urgent")).await?;
    }
    Ok(())
}

/// A recent ticket a request may repeat: id and number.
pub type DuplicateTicket = (TicketId, String);

impl TenantStore {
    /// The examples for `target`, newest first: (subject, description, class). Only what a
    /// person chose: the category and priority of tickets a person recorded (not those the
    /// mail, chat or maintenance intake made with defaults), or whose category or priority a
    /// person set or changed since — never a category the model guessed and no person
    /// confirmed; the team as the tickets carry it; sentiment from survey comments.
    pub async fn triage_examples(
        &self,
        target: Target,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let query = match target {
            // Never the model's own guess until a person confirms it.
            Target::Category => {
                "SELECT subject, description, category FROM tickets t \
                 WHERE tenant_id = $1 AND category IS NOT NULL AND category_guessed = 0 \
                 AND (created_by IS NOT NULL OR EXISTS (SELECT 1 FROM ticket_events e \
                 WHERE e.tenant_id = t.tenant_id AND e.ticket_id = t.id AND e.kind = 'category_changed' \
                 AND e.actor_id IS NOT NULL)) ORDER BY created_at DESC LIMIT $2"
            }
            Target::Priority => {
                "SELECT subject, description, CAST(priority AS TEXT) FROM tickets t \
                 WHERE tenant_id = $1 AND (created_by IS NOT NULL OR EXISTS (SELECT 1 FROM ticket_events e \
                 WHERE e.tenant_id = t.tenant_id AND e.ticket_id = t.id AND e.kind = 'priority_changed' \
                 AND e.actor_id IS NOT NULL)) ORDER BY created_at DESC LIMIT $2"
            }
            Target::Team => {
                "SELECT subject, description, team_id FROM tickets \
                 WHERE tenant_id = $1 AND team_id IS NOT NULL ORDER BY created_at DESC LIMIT $2"
            }
            Target::Sentiment => {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT comment, csat FROM surveys WHERE tenant_id = $1 AND csat IS NOT NULL \
                     AND comment IS NOT NULL AND comment <> '' ORDER BY answered_at DESC LIMIT $2",
                )
                .bind(self.tid())
                .bind(MAX_EXAMPLES)
                .fetch_all(&self.store.read)
                .await?;
                return Ok(rows
                    .into_iter()
                    .filter_map(|(comment, csat)| {
                        let label = assess::sentiment_label(csat)?;
                        Some((comment, String::new(), label.to_owned()))
                    })
                    .collect());
            }
        };
        Ok(sqlx::query_as(query)
            .bind(self.tid())
            .bind(MAX_EXAMPLES)
            .fetch_all(&self.store.read)
            .await?)
    }

    /// Keeps a trained model for `target`, replacing the one before.
    pub async fn save_triage_model(
        &self,
        target: Target,
        model: &Classifier,
        trained_on: usize,
        holdout: &Holdout,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let holdout =
            serde_json::to_string(holdout).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO triage_models (tenant_id, target, trained_at, trained_on, classes, holdout, model) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, target) DO UPDATE SET \
             trained_at = excluded.trained_at, trained_on = excluded.trained_on, \
             classes = excluded.classes, holdout = excluded.holdout, model = excluded.model",
        )
        .bind(self.tid())
        .bind(target.as_str())
        .bind(ms(at))
        .bind(trained_on as i64)
        .bind(model.classes().len() as i64)
        .bind(holdout)
        .bind(model.to_bytes())
        .execute(&self.store.write)
        .await?;
        Ok(())
    }

    /// When each of the tenant's models was trained (a target never trained is absent).
    pub async fn triage_trained(&self) -> Result<HashMap<Target, DateTime<Utc>>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT target, trained_at FROM triage_models WHERE tenant_id = $1")
                .bind(self.tid())
                .fetch_all(&self.store.read)
                .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(name, at)| Some((Target::parse(&name)?, from_ms(at))))
            .collect())
    }

    /// The tenant's trained models, by target (a target never trained is absent).
    pub async fn triage_models(&self) -> Result<HashMap<Target, TriageModel>, StoreError> {
        let mut out = HashMap::new();
        for (target, trained_at) in self.triage_trained().await? {
            let key = (self.tenant_id, target);
            let cached = {
                let cache = self
                    .store
                    .triage
                    .0
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                cache.get(&key).cloned()
            };
            let model = match cached {
                Some(m) if m.trained_at == trained_at => m,
                _ => {
                    let Some(m) = self.load_triage_model(target).await? else {
                        continue;
                    };
                    let mut cache = self
                        .store
                        .triage
                        .0
                        .lock()
                        .unwrap_or_else(|e| e.into_inner());
                    cache.insert(key, m.clone());
                    m
                }
            };
            out.insert(target, model);
        }
        Ok(out)
    }

    async fn load_triage_model(&self, target: Target) -> Result<Option<TriageModel>, StoreError> {
        let row: Option<(i64, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT trained_at, trained_on, model FROM triage_models WHERE tenant_id = $1 AND target = $2",
        )
        .bind(self.tid())
        .bind(target.as_str())
        .fetch_optional(&self.store.read)
        .await?;
        let Some((trained_at, trained_on, bytes)) = row else {
            return Ok(None);
        };
        let model = Classifier::from_bytes(&bytes)
            .ok_or_else(|| StoreError::Corrupt(format!("triage model {}", target.as_str())))?;
        Ok(Some(TriageModel {
            model: Arc::new(model),
            trained_at: from_ms(trained_at),
            trained_on,
        }))
    }

    /// The tickets of the same customer or asset created since `since` (not cancelled), that
    /// `actor` may see, newest first.
    pub async fn duplicate_candidates(
        &self,
        actor: &Actor,
        customer: Option<CustomerId>,
        asset: Option<AssetId>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candidate<DuplicateTicket>>, StoreError> {
        if customer.is_none() && asset.is_none() {
            return Ok(Vec::new());
        }
        let since = now - Duration::days(similar::DUPLICATE_DAYS);
        let mut sql = Sql::new(
            "SELECT t.id, t.number, t.subject, t.description FROM tickets t WHERE t.tenant_id = ",
        );
        sql.text(self.tid())
            .push(" AND t.status <> 'cancelled' AND t.created_at >= ")
            .int(ms(since))
            .push(" AND (");
        match (customer, asset) {
            (Some(c), Some(a)) => {
                sql.push("t.customer_id = ")
                    .text(c.to_string())
                    .push(" OR t.asset_id = ")
                    .text(a.to_string());
            }
            (Some(c), None) => {
                sql.push("t.customer_id = ").text(c.to_string());
            }
            (None, Some(a)) => {
                sql.push("t.asset_id = ").text(a.to_string());
            }
            (None, None) => {}
        }
        sql.push(")");
        push_scope(&mut sql, &access::ticket_scope(actor));
        sql.push(" ORDER BY t.created_at DESC LIMIT 100");
        let rows: Vec<(String, String, String, String)> =
            sql.query_as().fetch_all(&self.store.read).await?;
        rows.into_iter()
            .map(|(id, number, subject, description)| {
                Ok(Candidate {
                    ticket: (parse_id(&id, TicketId::parse)?, number),
                    subject,
                    description,
                })
            })
            .collect()
    }
}

/// A request triaged, and the category model that read it.
#[derive(Clone, Debug)]
pub struct Triaged {
    /// What the models and the lexicon say.
    pub assessment: Assessment<DuplicateTicket>,
    /// When the category model was trained and on how many tickets.
    pub category_model: Option<(DateTime<Utc>, i64)>,
    /// The tenant's categories, (code, name), read for the suggestions (empty without a
    /// category model): a page names the suggestions without reading them again.
    pub category_names: Vec<(String, String)>,
}

/// A model trained: on how much, how many classes, and its held-out check.
#[derive(Clone, Copy, Debug)]
pub struct TrainReport {
    /// What it suggests.
    pub target: Target,
    /// Examples it learned from.
    pub trained_on: usize,
    /// Classes it tells apart.
    pub classes: usize,
    /// Its held-out check.
    pub holdout: Holdout,
}

impl TenantStore {
    /// Triages a request with the tenant's models; duplicates are tickets of the same customer
    /// or asset that `actor` may see.
    pub async fn triage(
        &self,
        actor: &Actor,
        request: &Request,
        customer: Option<CustomerId>,
        asset: Option<AssetId>,
        now: DateTime<Utc>,
    ) -> Result<Triaged, StoreError> {
        if !access::allowed(actor, Permission::Triage) {
            return Err(StoreError::Forbidden);
        }
        let models = self.triage_models().await?;
        let category_names: Vec<(String, String)> = if models.contains_key(&Target::Category) {
            self.categories()
                .await?
                .into_iter()
                .map(|c| (c.code, c.name))
                .collect()
        } else {
            Vec::new()
        };
        let categories: Vec<String> = category_names.iter().map(|(c, _)| c.clone()).collect();
        let teams: Vec<String> = if models.contains_key(&Target::Team) {
            self.teams()
                .await?
                .into_iter()
                .map(|(id, _)| id.to_string())
                .collect()
        } else {
            Vec::new()
        };
        let candidates = self
            .duplicate_candidates(actor, customer, asset, now)
            .await?;
        let model = |t: Target| models.get(&t).map(|m| m.model.as_ref());
        let assessment = assess::assess(
            request,
            Models {
                category: model(Target::Category),
                priority: model(Target::Priority),
                team: model(Target::Team),
                sentiment: model(Target::Sentiment),
            },
            Known {
                categories: &categories,
                teams: &teams,
            },
            candidates,
        );
        Ok(Triaged {
            assessment,
            category_model: models
                .get(&Target::Category)
                .map(|m| (m.trained_at, m.trained_on)),
            category_names,
        })
    }

    /// Trains the tenant's model for `target` on its examples (off the async threads) and
    /// keeps it; every instance uses it from its next triage.
    pub async fn train_triage(
        &self,
        actor: &Actor,
        target: Target,
        now: DateTime<Utc>,
    ) -> Result<TrainReport, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        let rows = self.triage_examples(target).await?;
        let trained = tokio::task::spawn_blocking(move || {
            let examples: Vec<Example> = rows
                .into_iter()
                .map(|(subject, description, label)| Example {
                    features: features::features(&subject, &description),
                    label,
                })
                .collect();
            train::train(examples, &Options::default())
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("training stopped: {e}")))?;
        let trained = match trained {
            Ok(t) => t,
            Err(TrainError::TooFew { have, need }) => {
                return Err(StoreError::TooFewExamples { have, need })
            }
            Err(TrainError::OneClass) => {
                return Err(StoreError::TooFewExamples { have: 1, need: 0 })
            }
        };
        self.save_triage_model(
            target,
            &trained.model,
            trained.trained_on,
            &trained.holdout,
            now,
        )
        .await?;
        Ok(TrainReport {
            target,
            trained_on: trained.trained_on,
            classes: trained.classes,
            holdout: trained.holdout,
        })
    }
}
