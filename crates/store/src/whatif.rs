//! SLA what-if (`POST /api/v1/sla/what-if`): a past period's tickets read with the life they
//! had — their SLA clock (start and pauses), when they were answered, reached and resolved —
//! and core's [`whatif`] asked how each would have fared under a candidate policy, which
//! replaces one of the tenant's policies or joins them. A ticket the candidate would not have
//! governed keeps the policy it ran under.

use chrono::{DateTime, Duration, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::sla::whatif::{self, Group, Lived, Tally, Verdict};
use loopdesk_core::sla::{
    self, Calendar, CalendarSpec, Clock, PolicyScope, PolicyTerms, Target, Targets, TicketKey,
};
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::{CalendarId, RegionId, SlaPolicyId, Status, TicketId};

use crate::model::parse_sla;
use crate::rows::parse_id;
use crate::sla::PolicyEntry;
use crate::{ms, StoreError, TenantStore};

/// Longest period replayed.
pub const MAX_WHATIF_DAYS: i64 = 366;
/// Flips listed at most (all are counted).
pub const LISTED_FLIPS: usize = 200;

/// A candidate policy: targets and scope, replacing one of the tenant's policies or added
/// beside them.
#[derive(Clone, Debug, Default)]
pub struct CandidatePolicy {
    /// The policy it replaces (none: a new one).
    pub replaces: Option<SlaPolicyId>,
    /// Only tickets of this priority.
    pub priority: Option<i64>,
    /// Only customers of this tier.
    pub customer_tier: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// Minutes to the first response.
    pub first_response_minutes: i64,
    /// Minutes to arrival.
    pub arrival_minutes: Option<i64>,
    /// Minutes to resolution.
    pub resolution_minutes: i64,
    /// Warning share.
    pub warn_at: Option<f64>,
    /// Business calendar (none: around the clock).
    pub calendar_id: Option<CalendarId>,
}

/// A group's counts, named.
#[derive(Clone, Debug, PartialEq)]
pub struct WhatIfGroup {
    /// Region.
    pub region_id: Option<RegionId>,
    /// Its name.
    pub region: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Its name.
    pub category_name: Option<String>,
    /// Priority.
    pub priority: i64,
    /// Late tickets in force and under the candidate.
    pub tally: Tally,
}

/// A ticket that would fare otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct WhatIfFlip {
    /// The ticket.
    pub ticket_id: TicketId,
    /// Its number.
    pub number: String,
    /// Which promise.
    pub target: Target,
    /// Late under the policy in force (and so on time under the candidate), or the reverse.
    pub was_late: bool,
}

/// The replay.
#[derive(Clone, Debug, PartialEq)]
pub struct WhatIfReport {
    /// All the period's tickets (cancelled ones are left out: nobody was served).
    pub total: Tally,
    /// Per region, category and priority, the most changed first.
    pub groups: Vec<WhatIfGroup>,
    /// The first flips.
    pub flips: Vec<WhatIfFlip>,
    /// All flips.
    pub flips_total: usize,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    number: String,
    created_at: i64,
    priority: i64,
    category: Option<String>,
    tier: Option<String>,
    region_id: Option<String>,
    sla: Option<String>,
    sla_policy_id: Option<String>,
    status: String,
    first_response_at: Option<i64>,
    first_arrival_at: Option<i64>,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
    updated_at: i64,
}

impl TenantStore {
    /// Replays the tickets created in `[from, to)` under `candidate` (managers, admins).
    pub async fn sla_what_if(
        &self,
        actor: &Actor,
        candidate: CandidatePolicy,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<WhatIfReport, StoreError> {
        if !access::allowed(actor, Permission::SlaWhatIf) {
            return Err(StoreError::Forbidden);
        }
        let window = |field: &'static str, reason: &'static str| -> StoreError {
            FieldError { field, reason }.into()
        };
        if to <= from {
            return Err(window("to", "error.ends_before_start"));
        }
        if to > now {
            return Err(window("to", "error.in_future"));
        }
        if to - from > Duration::days(MAX_WHATIF_DAYS) {
            return Err(window("from", "error.backtest_too_long"));
        }
        let entry = self.candidate_entry(&candidate).await?;
        let policies = self.policies().await?;
        if let Some(id) = candidate.replaces {
            if !policies.iter().any(|p| p.id == id) {
                return Err(window("replaces", "error.unknown_id"));
            }
        }
        let mut with_candidate: Vec<PolicyEntry> = policies
            .iter()
            .filter(|p| Some(p.id) != candidate.replaces)
            .cloned()
            .collect();
        with_candidate.push(entry.clone());
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT t.id, t.number, t.created_at, t.priority, t.category, c.tier, t.region_id, \
             t.sla, t.sla_policy_id, t.status, t.first_response_at, t.first_arrival_at, \
             t.resolved_at, t.closed_at, t.updated_at FROM tickets t \
             LEFT JOIN customers c ON c.tenant_id = t.tenant_id AND c.id = t.customer_id \
             WHERE t.tenant_id = $1 AND t.created_at >= $2 AND t.created_at < $3 \
             AND t.status <> 'cancelled' ORDER BY t.created_at, t.id",
        )
        .bind(self.tid())
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.store.read)
        .await?;
        let t = ms(now);
        let mut compared = Vec::with_capacity(rows.len());
        for r in &rows {
            let key = TicketKey {
                priority: r.priority,
                customer_tier: r.tier.as_deref(),
                category: r.category.as_deref(),
            };
            let ran_under = r
                .sla_policy_id
                .as_deref()
                .and_then(SlaPolicyId::parse)
                .and_then(|id| policies.iter().find(|p| p.id == id))
                .or_else(|| sla::choose_policy(&policies, |p| &p.scope, &key));
            let chosen = sla::choose_policy(&with_candidate, |p| &p.scope, &key);
            let status = Status::parse(&r.status).ok_or_else(|| crate::rows::corrupt("status"))?;
            let clock = match &r.sla {
                Some(s) => parse_sla(s)?.clock,
                None => Clock {
                    start: r.created_at,
                    ..Clock::default()
                },
            };
            let lived = Lived {
                clock,
                met: sla::met(
                    status,
                    r.first_response_at,
                    r.first_arrival_at,
                    r.resolved_at,
                    r.closed_at,
                    r.updated_at,
                ),
            };
            let now_verdict =
                ran_under.map_or(Verdict::default(), |p| whatif::verdict(&p.terms, &lived, t));
            let candidate_verdict = match chosen {
                Some(p) if p.id == entry.id => whatif::verdict(&entry.terms, &lived, t),
                _ => now_verdict,
            };
            let group = Group {
                region: r.region_id.clone(),
                category: r.category.clone(),
                priority: r.priority,
            };
            compared.push((group, now_verdict, candidate_verdict));
        }
        let w = whatif::compare(&compared);
        let regions: std::collections::HashMap<String, String> = self
            .regions()
            .await?
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect();
        let categories: std::collections::HashMap<String, String> = self
            .categories()
            .await?
            .into_iter()
            .map(|c| (c.code, c.name))
            .collect();
        let mut groups = Vec::with_capacity(w.groups.len());
        for (g, tally) in w.groups {
            groups.push(WhatIfGroup {
                region_id: g
                    .region
                    .as_deref()
                    .map(|id| parse_id(id, RegionId::parse))
                    .transpose()?,
                region: g.region.as_ref().and_then(|id| regions.get(id).cloned()),
                category_name: g.category.as_ref().and_then(|c| categories.get(c).cloned()),
                category: g.category,
                priority: g.priority,
                tally,
            });
        }
        let mut flips = Vec::new();
        for f in w.flips.iter().take(LISTED_FLIPS) {
            let r = &rows[f.ticket];
            flips.push(WhatIfFlip {
                ticket_id: parse_id(&r.id, TicketId::parse)?,
                number: r.number.clone(),
                target: f.target,
                was_late: f.was_late,
            });
        }
        Ok(WhatIfReport {
            total: w.total,
            groups,
            flips,
            flips_total: w.flips.len(),
        })
    }

    /// The candidate as a policy to choose and compute with; its input checked.
    async fn candidate_entry(&self, c: &CandidatePolicy) -> Result<PolicyEntry, StoreError> {
        let priority = c
            .priority
            .map(|p| validate::priority(p).map(i64::from))
            .transpose()?;
        let tier = validate::optional_text("customer_tier", c.customer_tier.as_deref(), 32)?;
        let category = validate::optional_text("category", c.category.as_deref(), 64)?;
        let targets = Targets::checked(
            c.first_response_minutes,
            c.arrival_minutes,
            c.resolution_minutes,
            c.warn_at,
        )?;
        let calendar = match c.calendar_id {
            None => Calendar::AroundTheClock,
            Some(id) => {
                let spec: Option<String> = sqlx::query_scalar(
                    "SELECT spec FROM calendars WHERE tenant_id = $1 AND id = $2",
                )
                .bind(self.tid())
                .bind(id.to_string())
                .fetch_optional(&self.store.read)
                .await?;
                let Some(spec) = spec else {
                    return Err(FieldError {
                        field: "calendar_id",
                        reason: "error.unknown_id",
                    }
                    .into());
                };
                let spec: CalendarSpec = serde_json::from_str(&spec)
                    .map_err(|_| StoreError::Corrupt("calendar".into()))?;
                Calendar::Business(Box::new(
                    spec.build()
                        .map_err(|_| StoreError::Corrupt("calendar".into()))?,
                ))
            }
        };
        Ok(PolicyEntry {
            id: c.replaces.unwrap_or_default(),
            scope: PolicyScope {
                priority,
                customer_tier: tier,
                category,
            },
            terms: PolicyTerms {
                targets,
                calendar,
                escalation: Vec::new(),
            },
        })
    }
}
