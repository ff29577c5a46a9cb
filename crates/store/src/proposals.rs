//! Dispatch proposals: for each order that waits, the engineer the engine would choose (skill,
//! distance, load), read from the tickets and the engineers' profiles and worked out by the
//! dispatch engine in core. A person assigning someone else is recorded as an override.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::dispatch::profile::{self, ProfileInput};
use loopdesk_core::dispatch::{self, auto, auto::Mode, Point};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{Status, TicketId, UserId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::events::{self, NewEvent};
use crate::from_ms;
use crate::rows::{parse_id, parse_opt_id};
use crate::sql::Sql;
use crate::{ms, StoreError, TenantStore};
use loopdesk_core::event::payload::AcceptTimeout;
use loopdesk_core::event::{EventKind, Payload};

/// One engineer as a proposal shows them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProposedEngineer {
    /// User id.
    pub id: UserId,
    /// Name.
    pub display_name: String,
    /// Great-circle km to the site.
    pub km: f64,
    /// Estimated road km.
    pub road_km: f64,
    /// Open orders now.
    pub load: i64,
    /// Orders they can still take.
    pub free: i64,
    /// Their level in the order's skill (0: none needed).
    pub level: u8,
}

/// What dispatch proposes for one unassigned order, and why.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Proposal {
    /// The ticket.
    pub ticket_id: TicketId,
    /// Its number.
    pub number: String,
    /// Its subject.
    pub subject: String,
    /// 1–4.
    pub priority: i64,
    /// Minutes to its resolution due time (negative: late).
    pub sla_slack_minutes: Option<i64>,
    /// Where the site is.
    #[schema(value_type = Option<Object>)]
    pub position: Option<Point>,
    /// The engineer the batch plan gives it (the best overall, not always the nearest).
    pub engineer: Option<ProposedEngineer>,
    /// The three best candidates for this order alone, nearest first.
    pub candidates: Vec<ProposedEngineer>,
    /// Engineers who may not take it, counted by reason (`no_skill`, `off_duty`, …).
    #[schema(value_type = Object)]
    pub excluded: std::collections::BTreeMap<String, usize>,
    /// Why it stays unassigned, when it does.
    #[schema(value_type = Option<Object>)]
    pub unassigned: Option<loopdesk_core::dispatch::Unassigned>,
}

/// What the engine weighs: the orders (with their rows) and the engineers (with their views).
#[derive(Default)]
pub(crate) struct Inputs {
    rows: Vec<OrderRow>,
    /// The orders, in the engine's terms.
    pub(crate) orders: Vec<dispatch::Order>,
    /// The engineers as the API shows them.
    pub(crate) views: Vec<crate::EngineerView>,
    /// The engineers, in the engine's terms (same order as `views`).
    pub(crate) engineers: Vec<dispatch::Engineer>,
    /// The engine's options.
    pub(crate) opts: dispatch::Options,
}

/// An order waiting for dispatch, with where it is and what its asset's model needs.
#[derive(sqlx::FromRow)]
struct OrderRow {
    id: String,
    number: String,
    subject: String,
    priority: i64,
    region_id: Option<String>,
    resolution_due: Option<i64>,
    lat: Option<f64>,
    lon: Option<f64>,
    skill: Option<String>,
    skill_level: Option<i64>,
}

impl TenantStore {
    /// Proposals for every unassigned (`new`) order the actor may dispatch: the batch plan
    /// of [`dispatch::plan`] (as many orders as possible, urgent first, then least travel)
    /// with, for each order, its three best candidates and why the others are out. Nothing
    /// is assigned: a dispatcher accepts a proposal by making the move. Engineers who had an
    /// order before (declined it, or let it time out) are not proposed for it again.
    pub async fn dispatch_proposals(
        &self,
        actor: &Actor,
        cross_region: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Proposal>, StoreError> {
        if !access::allowed(actor, Permission::Dispatch) {
            return Err(StoreError::Forbidden);
        }
        if self.dispatch_settings().await?.mode == auto::Mode::Off {
            return Ok(Vec::new());
        }
        let scope = access::ticket_scope(actor);
        let region = match (scope.all, scope.region) {
            (false, Some(region)) => Some(region.to_string()),
            _ => None,
        };
        self.proposals_for(Status::New, None, region.as_deref(), cross_region, now)
            .await
    }

    /// What the engine weighs for the orders in `status` (only those in `only`, when given;
    /// of one region, when given): the orders and every active engineer.
    pub(crate) async fn dispatch_inputs(
        &self,
        status: Status,
        only: Option<&[TicketId]>,
        region: Option<&str>,
        cross_region: bool,
        now: DateTime<Utc>,
    ) -> Result<Inputs, StoreError> {
        let mut sql = Sql::new(
            "SELECT t.id, t.number, t.subject, t.priority, t.region_id, t.resolution_due, s.lat, s.lon, \
             m.skill, m.skill_level FROM tickets t LEFT JOIN sites s ON s.id = t.site_id \
             LEFT JOIN assets a ON a.id = t.asset_id \
             LEFT JOIN product_models m ON m.tenant_id = t.tenant_id AND m.code = a.model \
             WHERE t.status = ",
        );
        sql.text(status.as_str())
            .push(" AND t.tenant_id = ")
            .text(self.tid());
        if let Some(region) = region {
            sql.push(" AND t.region_id = ").text(region);
        }
        if let Some(ids) = only {
            if ids.is_empty() {
                return Ok(Inputs::default());
            }
            sql.push(" AND t.id IN (");
            for (k, id) in ids.iter().enumerate() {
                if k > 0 {
                    sql.push(", ");
                }
                sql.text(id.to_string());
            }
            sql.push(")");
        }
        sql.push(" ORDER BY t.priority, t.created_at LIMIT 2000");
        let rows: Vec<OrderRow> = sql.query_as().fetch_all(&self.store.read).await?;
        let mut tried: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        let mut had = Sql::new(
            "SELECT a.ticket_id, a.user_id FROM ticket_assignments a JOIN tickets t ON t.id = a.ticket_id \
             WHERE t.status = ",
        );
        had.text(status.as_str())
            .push(" AND t.tenant_id = ")
            .text(self.tid());
        let pairs: Vec<(String, String)> = had.query_as().fetch_all(&self.store.read).await?;
        for (ticket, user) in pairs {
            tried.entry(ticket).or_default().push(user);
        }
        let views = self.engineer_rows(None, now).await?;
        let engineers: Vec<dispatch::Engineer> = views
            .iter()
            .map(|v| {
                let profile = ProfileInput {
                    skills: v.skills.clone(),
                    regions: v.regions.clone(),
                    home: v.home,
                    capacity: v.capacity,
                    shift: Vec::new(),
                };
                profile::for_dispatch(
                    v.id.to_string(),
                    v.region_id.map(|r| r.to_string()),
                    &profile,
                    v.position.as_ref().map(|p| Point {
                        lat: p.lat,
                        lon: p.lon,
                    }),
                    v.load,
                    v.on_duty,
                    v.in_shift,
                )
            })
            .collect();
        let orders: Vec<dispatch::Order> = rows
            .iter()
            .map(|r| dispatch::Order {
                id: r.id.clone(),
                position: r.lat.zip(r.lon).map(|(lat, lon)| Point { lat, lon }),
                skill: r.skill.clone(),
                min_level: r
                    .skill_level
                    .and_then(|l| u8::try_from(l).ok())
                    .unwrap_or(0),
                priority: r.priority,
                region: r.region_id.clone(),
                sla_slack_minutes: r
                    .resolution_due
                    .map(|due| (due - ms(now)).div_euclid(60_000)),
                tried: tried.remove(&r.id).unwrap_or_default(),
            })
            .collect();
        let opts = dispatch::Options {
            cross_region,
            ..dispatch::Options::default()
        };
        Ok(Inputs {
            rows,
            orders,
            views,
            engineers,
            opts,
        })
    }

    /// Proposals for the orders in `status` (only those in `only`, when given; of one region,
    /// when given).
    pub async fn proposals_for(
        &self,
        status: Status,
        only: Option<&[TicketId]>,
        region: Option<&str>,
        cross_region: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Proposal>, StoreError> {
        let Inputs {
            rows,
            orders,
            views,
            engineers,
            opts,
        } = self
            .dispatch_inputs(status, only, region, cross_region, now)
            .await?;
        let plan = dispatch::plan(&orders, &engineers, &opts);
        let shown = |j: usize, km: f64, load: i64, free: i64, level: u8| ProposedEngineer {
            id: views[j].id,
            display_name: views[j].display_name.clone(),
            km,
            road_km: km * opts.road_factor,
            load,
            free,
            level,
        };
        let mut out: Vec<Proposal> = Vec::with_capacity(orders.len());
        for (i, (o, r)) in orders.iter().zip(&rows).enumerate() {
            let why = dispatch::explain(o, &engineers, &opts);
            let mut excluded = std::collections::BTreeMap::new();
            for (_, reason) in &why.excluded {
                *excluded.entry(reason.as_str().to_owned()).or_insert(0) += 1;
            }
            out.push(Proposal {
                ticket_id: parse_id(&r.id, TicketId::parse)?,
                number: r.number.clone(),
                subject: r.subject.clone(),
                priority: r.priority,
                sla_slack_minutes: o.sla_slack_minutes,
                position: o.position,
                engineer: plan.assignments.iter().find(|a| a.order == i).map(|a| {
                    let e = &engineers[a.engineer];
                    shown(a.engineer, a.km, e.load, e.free(), 0)
                }),
                candidates: why
                    .top()
                    .iter()
                    .map(|c| shown(c.engineer, c.km, c.load, c.free, c.level))
                    .collect(),
                excluded,
                unassigned: plan
                    .unassigned
                    .iter()
                    .find(|(k, _)| *k == i)
                    .map(|(_, u)| u.clone()),
            });
        }
        Ok(out)
    }
}

impl TenantStore {
    /// The engineer the engine proposes for one order now, if any (for the record of an
    /// override).
    pub(crate) async fn proposed_for(
        &self,
        ticket: TicketId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        if self.dispatch_settings().await?.mode == Mode::Off {
            return Ok(None);
        }
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM tickets WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(ticket.to_string())
                .fetch_optional(&self.store.read)
                .await?;
        let Some(status) = status.as_deref().and_then(Status::parse) else {
            return Ok(None);
        };
        let one = [ticket];
        let proposals = self
            .proposals_for(status, Some(&one), None, false, now)
            .await?;
        Ok(proposals
            .into_iter()
            .next()
            .and_then(|p| p.candidates.first().map(|c| c.id.to_string())))
    }
}

/// An order assigned but not yet accepted.
#[derive(Clone, Debug)]
pub struct AwaitingAcceptance {
    /// The order.
    pub ticket: TicketId,
    /// The engineer it waits for.
    pub engineer: Option<UserId>,
    /// When it was last (re)assigned.
    pub assigned_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct AwaitingRow {
    id: String,
    assignee_id: Option<String>,
    assigned_at: Option<i64>,
}

impl TenantStore {
    /// The orders assigned and not yet accepted, with when each was last (re)assigned.
    pub async fn awaiting_acceptance(&self) -> Result<Vec<AwaitingAcceptance>, StoreError> {
        let [assign, reassign, redispatch] = EventKind::ASSIGNMENTS.map(EventKind::as_str);
        let rows: Vec<AwaitingRow> = sqlx::query_as(
            "SELECT t.id, t.assignee_id, (SELECT MAX(e.at) FROM ticket_events e WHERE e.tenant_id = t.tenant_id \
             AND e.ticket_id = t.id AND e.kind IN ($2, $3, $4)) AS assigned_at \
             FROM tickets t WHERE t.tenant_id = $1 AND t.status = $5",
        )
        .bind(self.tid())
        .bind(assign)
        .bind(reassign)
        .bind(redispatch)
        .bind(Status::Assigned.as_str())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(AwaitingAcceptance {
                    ticket: parse_id(&r.id, TicketId::parse)?,
                    engineer: parse_opt_id(r.assignee_id, UserId::parse)?,
                    assigned_at: r.assigned_at.map(from_ms),
                })
            })
            .collect()
    }

    /// Records that an order's engineer did not accept in time and who it goes to next.
    pub async fn record_accept_timeout(
        &self,
        ticket: TicketId,
        timeout: AcceptTimeout,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.store.write.begin().await?;
        let event = NewEvent::system(ticket, Payload::AcceptTimeout(timeout), now);
        events::record(&mut tx, &self.tid(), event, None).await?;
        tx.commit().await?;
        Ok(())
    }
}
