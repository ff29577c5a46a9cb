//! `POST /api/v1/sla/what-if`: a past period replayed under a candidate SLA policy — how many
//! tickets would have been late, per region, category and priority, against the policies they
//! ran under, and the tickets that flip.

use axum::extract::State;
use axum::Json;
use loopdesk_core::sla::whatif::Tally;
use loopdesk_core::{CalendarId, RegionId, SlaPolicyId, TicketId};
use loopdesk_store::{CandidatePolicy, WhatIfReport};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tickets::time;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// The candidate: new promises, for the tickets it would govern.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidateBody {
    /// The policy it replaces (its scope is then the candidate's); none: added beside them.
    #[schema(value_type = Option<String>)]
    pub replaces: Option<SlaPolicyId>,
    /// Only tickets of this priority (1–4).
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
    /// Share of a target after which it turns yellow.
    pub warn_at: Option<f64>,
    /// Business calendar (none: around the clock).
    #[schema(value_type = Option<String>)]
    pub calendar_id: Option<CalendarId>,
}

/// A what-if.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfBody {
    /// Tickets created from (RFC 3339).
    pub from: String,
    /// Tickets created before (RFC 3339, not after now; at most 366 days after `from`).
    pub to: String,
    /// The candidate policy.
    pub policy: CandidateBody,
}

/// Late tickets under the policies in force and under the candidate.
#[derive(Serialize, ToSchema)]
pub struct LateBody {
    /// Under the policies the tickets ran under.
    pub now: usize,
    /// Under the candidate.
    pub candidate: usize,
}

/// Tickets and their late promises.
#[derive(Serialize, ToSchema)]
pub struct TallyBody {
    /// Tickets.
    pub tickets: usize,
    /// First response.
    pub first_response: LateBody,
    /// Resolution.
    pub resolution: LateBody,
}

impl From<Tally> for TallyBody {
    fn from(t: Tally) -> TallyBody {
        TallyBody {
            tickets: t.tickets,
            first_response: LateBody {
                now: t.first_response.0,
                candidate: t.first_response.1,
            },
            resolution: LateBody {
                now: t.resolution.0,
                candidate: t.resolution.1,
            },
        }
    }
}

/// One region, category and priority.
#[derive(Serialize, ToSchema)]
pub struct GroupBody {
    /// Region.
    #[schema(value_type = Option<String>)]
    pub region_id: Option<RegionId>,
    /// Its name.
    pub region: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Its name.
    pub category_name: Option<String>,
    /// Priority.
    pub priority: i64,
    /// Its counts.
    #[serde(flatten)]
    pub tally: TallyBody,
}

/// A ticket that would fare otherwise.
#[derive(Serialize, ToSchema)]
pub struct FlipBody {
    /// The ticket.
    #[schema(value_type = String)]
    pub ticket_id: TicketId,
    /// Its number.
    pub number: String,
    /// `first_response` or `resolution`.
    pub target: String,
    /// `late` or `on_time` under the policy it ran under.
    pub now: String,
    /// … and under the candidate.
    pub candidate: String,
}

/// The replay.
#[derive(Serialize, ToSchema)]
pub struct WhatIfAnswer {
    /// All the period's tickets (cancelled ones left out).
    pub total: TallyBody,
    /// Per region, category and priority, the most changed first.
    pub groups: Vec<GroupBody>,
    /// The tickets that flip (the first 200).
    pub flips: Vec<FlipBody>,
    /// How many flip in all.
    pub flips_total: usize,
}

impl From<WhatIfReport> for WhatIfAnswer {
    fn from(r: WhatIfReport) -> WhatIfAnswer {
        let word = |late: bool| if late { "late" } else { "on_time" }.to_owned();
        WhatIfAnswer {
            total: r.total.into(),
            groups: r
                .groups
                .into_iter()
                .map(|g| GroupBody {
                    region_id: g.region_id,
                    region: g.region,
                    category: g.category,
                    category_name: g.category_name,
                    priority: g.priority,
                    tally: g.tally.into(),
                })
                .collect(),
            flips: r
                .flips
                .into_iter()
                .map(|f| FlipBody {
                    ticket_id: f.ticket_id,
                    number: f.number,
                    target: f.target.as_str().to_owned(),
                    now: word(f.was_late),
                    candidate: word(!f.was_late),
                })
                .collect(),
            flips_total: r.flips_total,
        }
    }
}

/// Replays the tickets created in a past period under a candidate policy (managers, admins):
/// each keeps its own life — its clock's start and pauses, when it was answered and resolved —
/// and only the promises change. The candidate replaces the policy named in `replaces` (or
/// joins the tenant's policies) and governs the tickets it would be chosen for; the rest keep
/// the policy they ran under. Answers the late tickets per region, category and priority,
/// under both, and the tickets that flip.
#[utoipa::path(post, path = "/api/v1/sla/what-if", tag = "sla", request_body = WhatIfBody,
    responses((status = 200, body = WhatIfAnswer), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn what_if(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<WhatIfBody>,
) -> Result<Json<WhatIfAnswer>, ApiError> {
    let when = |field: &'static str, text: &str| {
        time(text.trim()).ok_or_else(|| ApiError::invalid(field, "error.invalid_value"))
    };
    let (from, to) = (when("from", &body.from)?, when("to", &body.to)?);
    let p = body.policy;
    let candidate = CandidatePolicy {
        replaces: p.replaces,
        priority: p.priority,
        customer_tier: p.customer_tier,
        category: p.category,
        first_response_minutes: p.first_response_minutes,
        arrival_minutes: p.arrival_minutes,
        resolution_minutes: p.resolution_minutes,
        warn_at: p.warn_at,
        calendar_id: p.calendar_id,
    };
    let report = user
        .tenant
        .sla_what_if(&user.actor, candidate, from, to, state.clock.now())
        .await?;
    Ok(Json(report.into()))
}
