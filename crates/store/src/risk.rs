//! Risk (`GET /api/v1/insights/risk`, `…/risk/backtest`): the tenant's recent tickets read as
//! core's risk [`Case`]s — the ticket row and the events that matter (assignments, resolution,
//! reopen, cancel, chases, urgent words, waits for parts) — and the tenant's model, trained on
//! them nightly or when first asked for and kept in `risk_models`.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Duration, Utc};
use loopdesk_core::access;
use loopdesk_core::event::EventKind;
use loopdesk_core::insights::risk::{self, Backtest, Case, History, Model, Risk, TooFew};
use loopdesk_core::ticket::status::Status;
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::TicketId;

use crate::rows::parse_id;
use crate::{ms, StoreError, TenantStore};

/// How far back a model learns from and a ticket's engineer and customer are looked up.
pub const LOOKBACK_DAYS: i64 = 180;
/// Longest period a backtest replays.
pub const MAX_BACKTEST_DAYS: i64 = 366;
/// The backtest kept each night replays the tickets of these days before the training …
const NIGHTLY_BACKTEST_DAYS: i64 = 28;
/// … ending this long before it, so that most of their outcomes are known.
const NIGHTLY_BACKTEST_GAP_DAYS: i64 = 7;

/// How long the scores of a tenant's open tickets are reused (also: until its model changes).
/// Scoring reads the tenant's last months; a board that refreshes on every change would
/// otherwise read them on every change.
pub(crate) const REUSED_SECS: u64 = 60;

/// The scores of all a tenant's tickets at work, with the model they came from (its training
/// time; `None`: by the clock) and each ticket's region.
#[derive(Clone, Debug)]
pub(crate) struct Scored {
    model: Option<i64>,
    items: std::sync::Arc<Vec<(RiskItem, Option<String>)>>,
    /// Set while new scores are being made in the background.
    refreshing: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Scores made with the model trained at `model`, to keep.
fn scored(model: Option<i64>, items: Vec<(RiskItem, Option<String>)>) -> Scored {
    Scored {
        model,
        items: std::sync::Arc::new(items),
        refreshing: std::sync::Arc::default(),
    }
}

/// An open ticket's risk.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskItem {
    /// The ticket.
    pub ticket_id: TicketId,
    /// Its number.
    pub number: String,
    /// Its subject.
    pub subject: String,
    /// Its chances and reasons.
    pub risk: Risk,
}

/// The tenant's risk model, if trained, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskModel {
    /// The model.
    pub model: Model,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct TicketRow {
    id: String,
    number: String,
    subject: Option<String>,
    created_at: i64,
    resolution_due: Option<i64>,
    category: Option<String>,
    priority: i64,
    customer_id: Option<String>,
    region_id: Option<String>,
    status: String,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    ticket_id: String,
    kind: String,
    at: i64,
    data: String,
}

/// A loaded ticket: its case, and what the list needs.
struct Loaded {
    id: String,
    number: String,
    /// Read for the tickets at work only.
    subject: String,
    region: Option<String>,
    at_work: bool,
    case: Case,
}

impl From<TooFew> for StoreError {
    fn from(e: TooFew) -> StoreError {
        StoreError::TooFewExamples {
            have: e.have,
            need: e.need,
        }
    }
}

impl TenantStore {
    /// The tickets created since `since`, and those still at work whatever their age, as cases.
    async fn risk_cases(&self, since: i64) -> Result<Vec<Loaded>, StoreError> {
        let at_work: Vec<&str> = Status::ALL
            .into_iter()
            .filter(|s| risk::at_work(*s))
            .map(Status::as_str)
            .collect();
        let statuses = at_work
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let chosen =
            format!("t.tenant_id = $1 AND (t.created_at >= $2 OR t.status IN ({statuses}))");
        let tickets: Vec<TicketRow> = sqlx::query_as(&format!(
            "SELECT t.id, t.number, CASE WHEN t.status IN ({statuses}) THEN t.subject END AS subject, \
             t.created_at, t.resolution_due, t.category, t.priority, t.customer_id, t.region_id, \
             t.status FROM tickets t WHERE {chosen}"
        ))
        .bind(self.tid())
        .bind(since)
        .fetch_all(&self.store.read)
        .await?;
        let kinds = risk::KINDS
            .iter()
            .map(|k| format!("'{}'", k.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let events: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT e.ticket_id, e.kind, e.at, e.data FROM ticket_events e \
             JOIN tickets t ON t.tenant_id = e.tenant_id AND t.id = e.ticket_id \
             WHERE e.tenant_id = $1 AND e.kind IN ({kinds}) AND {chosen} \
             ORDER BY e.at, e.id"
        ))
        .bind(self.tid())
        .bind(since)
        .fetch_all(&self.store.read)
        .await?;
        let mut loaded: Vec<Loaded> = tickets
            .into_iter()
            .map(|t| Loaded {
                at_work: Status::parse(&t.status).is_some_and(risk::at_work),
                case: Case {
                    created_at: t.created_at,
                    due: t.resolution_due,
                    category: t.category,
                    priority: t.priority,
                    customer: t.customer_id,
                    ..Case::default()
                },
                id: t.id,
                number: t.number,
                subject: t.subject.unwrap_or_default(),
                region: t.region_id,
            })
            .collect();
        let index: std::collections::HashMap<String, usize> = loaded
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), i))
            .collect();
        for e in events {
            let (Some(&i), Some(kind)) = (index.get(&e.ticket_id), EventKind::parse(&e.kind))
            else {
                continue;
            };
            let assignee = serde_json::from_str::<serde_json::Value>(&e.data)
                .ok()
                .and_then(|d| d.get("assignee_id")?.as_str().map(str::to_owned));
            loaded[i].case.apply(kind, e.at, assignee.as_deref());
        }
        Ok(loaded)
    }

    /// The tenant's risk model, if one was trained.
    pub async fn risk_model(&self) -> Result<Option<RiskModel>, StoreError> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT trained_at, model FROM risk_models WHERE tenant_id = $1")
                .bind(self.tid())
                .fetch_optional(&self.store.read)
                .await?;
        let Some((at, json)) = row else {
            return Ok(None);
        };
        let model = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(Some(RiskModel {
            model,
            trained_at: crate::from_ms(at),
        }))
    }

    /// Trains the tenant's risk model on its last [`LOOKBACK_DAYS`] as known at `now`, keeps
    /// it, and keeps the day's backtest (the model as it would have been trained before the
    /// four weeks ending a week ago, judged on their tickets). Too little history →
    /// [`StoreError::TooFewExamples`].
    pub async fn train_risk(&self, now: DateTime<Utc>) -> Result<RiskModel, StoreError> {
        let cases: Vec<Case> = self
            .risk_cases(ms(now - Duration::days(LOOKBACK_DAYS)))
            .await?
            .into_iter()
            .map(|l| l.case)
            .collect();
        let model = Model::train(&cases, ms(now))?;
        let json = serde_json::to_string(&model).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO risk_models (tenant_id, trained_at, trained_on, model) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id) DO UPDATE SET trained_at = excluded.trained_at, \
             trained_on = excluded.trained_on, model = excluded.model",
        )
        .bind(self.tid())
        .bind(ms(now))
        .bind(model.trained_on as i64)
        .bind(json)
        .execute(&self.store.write)
        .await?;
        let to = now - Duration::days(NIGHTLY_BACKTEST_GAP_DAYS);
        let from = to - Duration::days(NIGHTLY_BACKTEST_DAYS);
        if let Ok(b) = risk::backtest(&cases, ms(from), ms(to), ms(now)) {
            let day = now
                .with_timezone(&self.utc_offset().await?)
                .format("%Y-%m-%d")
                .to_string();
            sqlx::query(
                "INSERT INTO risk_backtests (tenant_id, day, n, auc, brier) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (tenant_id, day) DO UPDATE SET n = excluded.n, auc = excluded.auc, \
                 brier = excluded.brier",
            )
            .bind(self.tid())
            .bind(day)
            .bind(b.n as i64)
            .bind(b.auc)
            .bind(b.brier)
            .execute(&self.store.write)
            .await?;
        }
        Ok(RiskModel {
            model,
            trained_at: now,
        })
    }

    /// The backtest AUC kept per day, oldest first: (day, moments scored, AUC).
    pub async fn risk_backtests(&self) -> Result<Vec<(String, i64, f64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT day, n, auc FROM risk_backtests WHERE tenant_id = $1 ORDER BY day",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?)
    }

    /// The open tickets the actor may see (dispatcher, supervisor — their region —, manager,
    /// admin) that are still at work, riskiest first: the chance each misses its resolution due
    /// time and comes back after resolution, with why. The model is the tenant's (trained now
    /// if it never was); with too little history, the share of the SLA window gone. Scores
    /// are reused for [`REUSED_SECS`] while the model stays the same.
    pub async fn open_risk(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<RiskItem>, StoreError> {
        let Some(region) = access::risk_scope(actor) else {
            return Err(StoreError::Forbidden);
        };
        let model = match self.risk_model().await? {
            Some(m) => Some(m),
            None => match self.train_risk(now).await {
                Ok(m) => Some(m),
                Err(StoreError::TooFewExamples { .. }) => None,
                Err(e) => return Err(e),
            },
        };
        let trained = model.as_ref().map(|m| ms(m.trained_at));
        let model = model.map(|m| m.model);
        let scored = match self.store.risk.get_aged(self.tenant_id) {
            Some((s, fresh)) if s.model == trained => {
                // Older than a minute: answered as it is while one refresh makes new scores
                // (at a million tickets a year a refresh reads 90 days: seconds nobody waits).
                if !fresh && !s.refreshing.swap(true, Ordering::AcqRel) {
                    let (me, flag) = (self.clone(), s.refreshing.clone());
                    tokio::spawn(async move {
                        match me.score_open(model, now).await {
                            Ok(items) => me.store.risk.put(me.tenant_id, scored(trained, items)),
                            Err(e) => {
                                tracing::warn!(error = %e, "refreshing the risk scores failed");
                                flag.store(false, Ordering::Release);
                            }
                        }
                    });
                }
                s
            }
            _ => {
                let s = scored(trained, self.score_open(model, now).await?);
                self.store.risk.put(self.tenant_id, s.clone());
                s
            }
        };
        let region = region.map(|r| r.to_string());
        Ok(scored
            .items
            .iter()
            .filter(|(_, r)| region.is_none() || *r == region)
            .map(|(item, _)| item.clone())
            .collect())
    }

    /// Every ticket at work scored, riskiest first, with its region.
    async fn score_open(
        &self,
        model: Option<Model>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(RiskItem, Option<String>)>, StoreError> {
        let loaded = self
            .risk_cases(ms(now - Duration::days(risk::LOOKED_UP_DAYS)))
            .await?;
        let cases: Vec<Case> = loaded.iter().map(|l| l.case.clone()).collect();
        let history = History::of(&cases);
        let t = ms(now);
        let mut out = Vec::new();
        for l in loaded.into_iter().filter(|l| l.at_work) {
            let risk = match &model {
                Some(m) => m.score(&l.case, t, &history),
                None => risk::by_the_clock(&l.case, t),
            };
            out.push((
                RiskItem {
                    ticket_id: parse_id(&l.id, TicketId::parse)?,
                    number: l.number,
                    subject: l.subject,
                    risk,
                },
                l.region,
            ));
        }
        out.sort_by(|(a, _), (b, _)| {
            b.risk
                .breach
                .total_cmp(&a.risk.breach)
                .then(b.risk.reopen.total_cmp(&a.risk.reopen))
                .then(a.number.cmp(&b.number))
        });
        Ok(out)
    }

    /// How the model would have ranked the tickets created in `[from, to)`: trained only on
    /// what was known before `from`, each ticket scored at its moments and compared with what
    /// happened (dispatcher, supervisor, manager, admin; the tenant's tickets).
    pub async fn risk_backtest(
        &self,
        actor: &Actor,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Backtest, StoreError> {
        if access::risk_scope(actor).is_none() {
            return Err(StoreError::Forbidden);
        }
        if to <= from {
            return Err(FieldError {
                field: "to",
                reason: "error.ends_before_start",
            }
            .into());
        }
        if to > now {
            return Err(FieldError {
                field: "to",
                reason: "error.in_future",
            }
            .into());
        }
        if to - from > Duration::days(MAX_BACKTEST_DAYS) {
            return Err(FieldError {
                field: "from",
                reason: "error.backtest_too_long",
            }
            .into());
        }
        let cases: Vec<Case> = self
            .risk_cases(ms(from - Duration::days(LOOKBACK_DAYS)))
            .await?
            .into_iter()
            .map(|l| l.case)
            .collect();
        Ok(risk::backtest(&cases, ms(from), ms(to), ms(now))?)
    }
}
