//! SLA policies and calendars, each ticket's SLA columns, and the scan that records
//! warnings, breaches and escalations exactly once.

use chrono::{DateTime, Utc};
use loopdesk_core::sla::{
    self, Calendar, CalendarSpec, EscalationLevel, PolicyScope, PolicyTerms, SlaState, Targets,
    TicketSla,
};
use loopdesk_core::{CalendarId, SlaPolicyId, Status};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::rows::parse_id;
use crate::{from_ms, StoreError};

mod calendars;
mod policies;
mod ticket;

pub(crate) use policies::insert_default_policy;
pub use policies::SlaPreview;
pub use scan::ScanReport;
pub(crate) use ticket::write_sla;
mod scan;

/// A new SLA policy (the API's request body).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSlaPolicy {
    /// Name shown to admins.
    pub name: String,
    /// Only tickets of this priority (1–4); none: any.
    pub priority: Option<i64>,
    /// Only customers of this tier; none: any.
    pub customer_tier: Option<String>,
    /// Only this category; none: any.
    pub category: Option<String>,
    /// Minutes to the first response.
    pub first_response_minutes: i64,
    /// Minutes to the arrival on site; none for remote service.
    pub arrival_minutes: Option<i64>,
    /// Minutes to resolution.
    pub resolution_minutes: i64,
    /// Share of a target after which it turns yellow (default 0.75).
    pub warn_at: Option<f64>,
    /// Business calendar; none: around the clock.
    pub calendar_id: Option<CalendarId>,
    /// Escalation chain.
    #[serde(default)]
    pub escalation: Vec<EscalationLevel>,
}

/// An SLA policy.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SlaPolicy {
    /// Id.
    pub id: SlaPolicyId,
    /// Name.
    pub name: String,
    /// Priority it is for (none: any).
    pub priority: Option<i64>,
    /// Customer tier it is for (none: any).
    pub customer_tier: Option<String>,
    /// Category it is for (none: any).
    pub category: Option<String>,
    /// Minutes to the first response.
    pub first_response_minutes: i64,
    /// Minutes to arrival.
    pub arrival_minutes: Option<i64>,
    /// Minutes to resolution.
    pub resolution_minutes: i64,
    /// Warning share.
    pub warn_at: f64,
    /// Calendar (none: around the clock).
    pub calendar_id: Option<CalendarId>,
    /// Escalation chain.
    pub escalation: Vec<EscalationLevel>,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

/// A business calendar.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BusinessCalendarView {
    /// Id.
    pub id: CalendarId,
    /// Name.
    pub name: String,
    /// Hours, holidays, make-up days.
    pub spec: CalendarSpec,
}

/// A new calendar: without `spec`, Monday–Friday 09:00–18:00 Beijing time with the shipped
/// PRC public holidays and make-up working days.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCalendar {
    /// Name.
    pub name: String,
    /// Hours, holidays, make-up days.
    pub spec: Option<CalendarSpec>,
}

/// One policy, ready to match and compute with.
#[derive(Clone, Debug)]
pub(crate) struct PolicyEntry {
    pub id: SlaPolicyId,
    pub scope: PolicyScope,
    pub terms: PolicyTerms,
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    id: String,
    name: String,
    priority: Option<i64>,
    customer_tier: Option<String>,
    category: Option<String>,
    first_response_minutes: i64,
    arrival_minutes: Option<i64>,
    resolution_minutes: i64,
    warn_at: f64,
    calendar_id: Option<String>,
    escalation: String,
    created_at: i64,
    spec: Option<String>,
}

const POLICY_SELECT: &str = "SELECT p.id, p.name, p.priority, p.customer_tier, p.category, \
    p.first_response_minutes, p.arrival_minutes, p.resolution_minutes, p.warn_at, p.calendar_id, \
    p.escalation, p.created_at, c.spec FROM sla_policies p LEFT JOIN calendars c ON c.id = p.calendar_id \
    WHERE p.tenant_id = $1 ORDER BY p.created_at, p.id";

impl PolicyRow {
    fn view(&self) -> Result<SlaPolicy, StoreError> {
        Ok(SlaPolicy {
            id: parse_id(&self.id, SlaPolicyId::parse)?,
            name: self.name.clone(),
            priority: self.priority,
            customer_tier: self.customer_tier.clone(),
            category: self.category.clone(),
            first_response_minutes: self.first_response_minutes,
            arrival_minutes: self.arrival_minutes,
            resolution_minutes: self.resolution_minutes,
            warn_at: self.warn_at,
            calendar_id: self
                .calendar_id
                .as_deref()
                .map(|c| parse_id(c, CalendarId::parse))
                .transpose()?,
            escalation: serde_json::from_str(&self.escalation)
                .map_err(|_| StoreError::Corrupt("escalation".into()))?,
            created_at: from_ms(self.created_at),
        })
    }

    fn entry(&self) -> Result<PolicyEntry, StoreError> {
        let v = self.view()?;
        let calendar = match &self.spec {
            Some(spec) => {
                let spec: CalendarSpec = serde_json::from_str(spec)
                    .map_err(|_| StoreError::Corrupt("calendar".into()))?;
                Calendar::Business(Box::new(
                    spec.build()
                        .map_err(|_| StoreError::Corrupt("calendar".into()))?,
                ))
            }
            None => Calendar::AroundTheClock,
        };
        Ok(PolicyEntry {
            id: v.id,
            scope: PolicyScope {
                priority: v.priority,
                customer_tier: v.customer_tier,
                category: v.category,
            },
            terms: PolicyTerms {
                targets: Targets {
                    first_response_minutes: v.first_response_minutes,
                    arrival_minutes: v.arrival_minutes,
                    resolution_minutes: v.resolution_minutes,
                    warn_at: v.warn_at,
                },
                calendar,
                escalation: v.escalation,
            },
        })
    }
}

/// The SLA columns of a ticket being written.
#[derive(Clone, Debug, Default)]
pub(crate) struct SlaColumns {
    pub policy_id: Option<String>,
    pub sla: Option<String>,
    pub state: &'static str,
    pub next_at: Option<i64>,
    pub resolution_due: Option<i64>,
}

impl SlaColumns {
    /// The columns of a ticket under `policy` with the SLA `sla`.
    fn of(
        policy: &PolicyEntry,
        sla: &TicketSla,
        state: SlaState,
        next: Option<i64>,
    ) -> Result<SlaColumns, StoreError> {
        Ok(SlaColumns {
            policy_id: Some(policy.id.to_string()),
            sla: Some(serde_json::to_string(sla).map_err(|e| StoreError::Corrupt(e.to_string()))?),
            state: state.as_str(),
            next_at: next,
            resolution_due: sla.schedule.resolution.map(|d| d.due),
        })
    }
}

/// What a ticket's row says of the promises kept, for [`sla::met`].
#[derive(sqlx::FromRow, Clone, Debug)]
pub(crate) struct Kept {
    pub status: String,
    pub first_response_at: Option<i64>,
    pub first_arrival_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub updated_at: i64,
}

impl Kept {
    /// Which promises are met, and when.
    pub fn met(&self) -> Result<sla::Met, StoreError> {
        let status =
            Status::parse(&self.status).ok_or_else(|| StoreError::Corrupt("status".into()))?;
        Ok(sla::met(
            status,
            self.first_response_at,
            self.first_arrival_at,
            self.resolved_at,
            self.closed_at,
            self.updated_at,
        ))
    }
}

/// What re-choosing a ticket's policy needs to know of it.
#[derive(sqlx::FromRow)]
pub(crate) struct ReapplyRow {
    pub id: String,
    pub priority: i64,
    pub category: Option<String>,
    pub tier: Option<String>,
    pub sla: Option<String>,
    #[sqlx(flatten)]
    pub kept: Kept,
}

/// `SELECT` of [`ReapplyRow`]s; the caller adds its conditions.
pub(crate) const REAPPLY_SELECT: &str = "SELECT t.id, t.status, t.priority, t.category, \
    c.tier, t.sla, t.first_response_at, t.first_arrival_at, t.resolved_at, \
    t.closed_at, t.updated_at FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id \
    WHERE t.tenant_id = $1";
