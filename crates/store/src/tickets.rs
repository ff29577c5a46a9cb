//! Tickets: creation (numbering, idempotency), scoped reads, moves through the transition
//! table, comments and attachments. Every write appends its event in the same transaction.

use chrono::{DateTime, FixedOffset, Utc};
use loopdesk_core::access::{self, Permission, TicketScope};
use loopdesk_core::asset::{self, Warranty};
use loopdesk_core::dispatch::auto;
use loopdesk_core::event::{payload, By, EventKind, Payload};
use loopdesk_core::followup::{self, FollowUp};
use loopdesk_core::intake;
use loopdesk_core::sla::{self, TicketKey};
use loopdesk_core::ticket::transitions::{
    AttachmentKind, CheckIn, CheckInRecord, ConfirmedBy, LifecyclePolicy,
};
use loopdesk_core::ticket::{
    plan_move, Actor, AssigneeFacts, Channel, MoveCommand, Plan, SiteFacts, TicketFacts,
};
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::{
    AssetId, AttachmentId, CommentId, ContactId, CustomerId, RegionId, Role, Roles, SiteId, Status,
    TeamId, TicketId, UserId,
};
use serde_json::{json, Value};
use sqlx::{Any, Transaction};

use crate::batch::{Outcome, TicketInsert};
use crate::events::{self, NewEvent};
use crate::followup::{open_remediation, schedule_survey};
use crate::jobs::enqueue_publish;
use crate::model::{parse_id, parse_opt_id};
use crate::sla::{write_sla, Kept, ReapplyRow, TicketSlaView};
use crate::sql::{Arg, Sql};
use crate::{
    from_ms, ms, Attachment, CheckInView, Comment, StoreError, TenantSettings, TenantStore, Ticket,
    TicketDetail, TicketEvent, TicketPage,
};

/// A request to record.
#[derive(Clone, Debug)]
pub struct NewTicket {
    /// Subject.
    pub subject: String,
    /// Description.
    pub description: String,
    /// P1–P4.
    pub priority: i64,
    /// Intake channel.
    pub channel: Channel,
    /// Customer (forced to the caller's own for a customer).
    pub customer_id: Option<CustomerId>,
    /// The caller's phone; finds the contact (and the customer, when not given).
    pub contact_phone: Option<String>,
    /// Site.
    pub site_id: Option<SiteId>,
    /// Asset.
    pub asset_id: Option<AssetId>,
    /// Category code.
    pub category: Option<String>,
    /// Category-specific fields (a JSON object).
    pub fields: Option<Value>,
}

/// Filters of the ticket list.
#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    /// Any of these statuses.
    pub status: Vec<Status>,
    /// Priority.
    pub priority: Option<i64>,
    /// Customer.
    pub customer_id: Option<CustomerId>,
    /// Assignee.
    pub assignee_id: Option<UserId>,
    /// `open`: the remediation queue; `done`: remediated tickets.
    pub remediation: Option<String>,
    /// Text in the subject or description, or the exact number.
    pub q: Option<String>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size (default 50, at most 200).
    pub limit: Option<i64>,
}

/// A priority change as requested through the API.
#[derive(Clone, Debug)]
pub struct PriorityChange {
    /// The version the caller last saw.
    pub version: i64,
    /// The new priority, 1–4.
    pub priority: i64,
    /// Why (shown in the event).
    pub reason: Option<String>,
}

/// A move as requested through the API.
#[derive(Clone, Debug)]
pub struct TransitionRequest {
    /// The version the caller last saw.
    pub version: i64,
    /// The move.
    pub command: MoveCommand,
}

/// An idempotency key and the hash of the request that came with it.
#[derive(Clone, Debug)]
pub struct Idempotency {
    /// The client's key.
    pub key: String,
    /// SHA-256 of the request body.
    pub request_hash: String,
}

const TICKET_COLUMNS: &str = "t.id, t.number, t.status, t.version, t.priority, t.channel, t.subject, \
    t.description, t.category, t.fields, t.customer_id, t.contact_id, t.contact_phone, t.site_id, t.asset_id, \
    t.region_id, t.team_id, t.assignee_id, t.created_by, t.created_at, t.updated_at, t.resolved_at, t.closed_at, \
    t.confirmed_by, t.reopen_count, t.visit_count, t.flags, t.checked_in_at, t.checkin_lat, t.checkin_lon, \
    t.checkin_distance_m, t.checkin_outside, t.sla_policy_id, t.sla, t.sla_state, t.first_response_at, \
    t.first_arrival_at, t.remediation, t.warranty";

#[derive(sqlx::FromRow, Clone)]
struct TicketRow {
    id: String,
    number: String,
    status: String,
    version: i64,
    priority: i64,
    channel: String,
    subject: String,
    description: String,
    category: Option<String>,
    fields: String,
    customer_id: Option<String>,
    contact_id: Option<String>,
    contact_phone: Option<String>,
    site_id: Option<String>,
    asset_id: Option<String>,
    region_id: Option<String>,
    team_id: Option<String>,
    assignee_id: Option<String>,
    created_by: Option<String>,
    created_at: i64,
    updated_at: i64,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
    confirmed_by: Option<String>,
    reopen_count: i64,
    visit_count: i64,
    flags: String,
    checked_in_at: Option<i64>,
    checkin_lat: Option<f64>,
    checkin_lon: Option<f64>,
    checkin_distance_m: Option<f64>,
    checkin_outside: i64,
    sla_policy_id: Option<String>,
    sla: Option<String>,
    sla_state: String,
    first_response_at: Option<i64>,
    first_arrival_at: Option<i64>,
    remediation: Option<String>,
    warranty: Option<String>,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

impl TicketRow {
    fn status(&self) -> Result<Status, StoreError> {
        Status::parse(&self.status).ok_or_else(|| corrupt("status"))
    }

    fn into_model(self) -> Result<Ticket, StoreError> {
        let check_in = match (self.checked_in_at, self.checkin_lat, self.checkin_lon) {
            (Some(at), Some(lat), Some(lon)) => Some(CheckInView {
                lat,
                lon,
                distance_m: self.checkin_distance_m,
                outside_geofence: self.checkin_outside != 0,
                at: from_ms(at),
            }),
            _ => None,
        };
        Ok(Ticket {
            id: parse_id(&self.id, TicketId::parse)?,
            status: self.status()?,
            number: self.number,
            version: self.version,
            priority: self.priority,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel"))?,
            subject: self.subject,
            description: self.description,
            category: self.category,
            fields: serde_json::from_str(&self.fields).map_err(|_| corrupt("fields"))?,
            customer_id: parse_opt_id(self.customer_id, CustomerId::parse)?,
            contact_id: parse_opt_id(self.contact_id, ContactId::parse)?,
            contact_phone: self.contact_phone,
            site_id: parse_opt_id(self.site_id, SiteId::parse)?,
            asset_id: parse_opt_id(self.asset_id, AssetId::parse)?,
            region_id: parse_opt_id(self.region_id, RegionId::parse)?,
            team_id: parse_opt_id(self.team_id, TeamId::parse)?,
            assignee_id: parse_opt_id(self.assignee_id, UserId::parse)?,
            created_by: parse_opt_id(self.created_by, UserId::parse)?,
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
            resolved_at: self.resolved_at.map(from_ms),
            closed_at: self.closed_at.map(from_ms),
            confirmed_by: self.confirmed_by,
            reopen_count: self.reopen_count,
            visit_count: self.visit_count,
            flags: serde_json::from_str(&self.flags).map_err(|_| corrupt("flags"))?,
            check_in,
            remediation: self.remediation,
            chargeable: asset::chargeable(self.warranty.as_deref().and_then(Warranty::parse)),
            warranty: self.warranty,
            sla: TicketSlaView::of(
                self.sla_policy_id.as_deref(),
                self.sla.as_deref(),
                &self.sla_state,
            )?,
        })
    }
}

/// One event as the read query's JSON array carries it.
#[derive(serde::Deserialize)]
struct EventRow {
    id: i64,
    kind: String,
    actor_id: Option<String>,
    actor_name: Option<String>,
    at: i64,
    from_status: Option<String>,
    to_status: Option<String>,
    internal: i64,
    data: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct TicketWithEventsRow {
    #[sqlx(flatten)]
    ticket: TicketRow,
    events: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    id: String,
    ticket_id: String,
    kind: String,
    filename: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    storage_key: String,
    created_at: i64,
}

impl AttachmentRow {
    fn into_model(self) -> Result<Attachment, StoreError> {
        Ok(Attachment {
            id: parse_id(&self.id, AttachmentId::parse)?,
            ticket_id: parse_id(&self.ticket_id, TicketId::parse)?,
            kind: self.kind,
            filename: self.filename,
            content_type: self.content_type,
            size_bytes: self.size_bytes,
            sha256: self.sha256,
            storage_key: self.storage_key,
            created_at: from_ms(self.created_at),
        })
    }
}

/// Appends `AND (<visibility>)` for `scope` to a query over tickets aliased `t`.
fn push_scope(sql: &mut Sql, scope: &TicketScope) {
    if scope.all {
        return;
    }
    if scope.is_empty() {
        sql.push(" AND 1 = 0");
        return;
    }
    let mut parts = 0;
    sql.push(" AND (");
    let mut or = |sql: &mut Sql| {
        if parts > 0 {
            sql.push(" OR ");
        }
        parts += 1;
    };
    if let Some(c) = scope.customer {
        or(sql);
        sql.push("t.customer_id = ").text(c.to_string());
    }
    if let Some(r) = scope.region {
        or(sql);
        sql.push("t.region_id = ").text(r.to_string());
    }
    if let Some(e) = scope.engineer {
        or(sql);
        sql.push(
            "EXISTS (SELECT 1 FROM ticket_assignments a WHERE a.ticket_id = t.id AND a.user_id = ",
        )
        .text(e.to_string())
        .push(")");
    }
    sql.push(")");
}

fn user_text(actor: &Actor) -> Option<String> {
    actor.user_id().map(|u| u.to_string())
}

/// Internal notes are for staff: customers never see them.
fn sees_internal(actor: &Actor) -> bool {
    access::allowed(actor, Permission::InternalNotes)
}

impl TenantStore {
    /// Records a new request. With an idempotency key, a retry answers the first ticket
    /// (`true` in the second place) instead of creating a second one.
    pub async fn create_ticket(
        &self,
        actor: &Actor,
        new: NewTicket,
        idempotency: Option<Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<(Ticket, bool), StoreError> {
        if !access::allowed(actor, Permission::CreateTicket) {
            return Err(StoreError::Forbidden);
        }
        let subject = validate::required_text("subject", &new.subject, validate::MAX_SUBJECT)?;
        let description = validate::optional_text(
            "description",
            Some(&new.description),
            validate::MAX_DESCRIPTION,
        )?
        .unwrap_or_default();
        let priority = validate::priority(new.priority)?;
        let phone = new
            .contact_phone
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .map(|p| validate::phone("contact_phone", p))
            .transpose()?;
        let category = validate::optional_text("category", new.category.as_deref(), 64)?;
        let mut customer = intake::customer_of_request(actor, new.customer_id);
        let ctx = self
            .resolve_intake(&mut customer, phone.as_deref(), new.site_id, new.asset_id)
            .await?;
        let required = self.required_fields(category.as_deref()).await?;
        let fields = intake::request_fields(new.fields, &required)?;

        let offset = self.settings().await?.offset;
        let today = now.with_timezone(&offset).date_naive();
        let contract = match new.asset_id {
            Some(a) => self.contract_cover(a, today).await?,
            None => None,
        };
        let (warranty, tier) = asset::at_intake(
            ctx.warranty_until,
            today,
            contract.as_ref().map(Option::as_deref),
            ctx.tier.as_deref(),
        );
        let warranty = warranty.map(Warranty::as_str);
        let sla = self
            .sla_for_new(
                &TicketKey {
                    priority: i64::from(priority),
                    customer_tier: tier.as_deref(),
                    category: category.as_deref(),
                },
                now,
            )
            .await?;
        let insert = TicketInsert {
            tenant: self.tid(),
            offset,
            id: TicketId::new(),
            channel: new.channel,
            customer_id: customer.map(|c| c.to_string()),
            contact_id: ctx.contact_id.map(|c| c.to_string()),
            contact_phone: phone,
            site_id: ctx.site_id.map(|s| s.to_string()),
            asset_id: new.asset_id.map(|a| a.to_string()),
            region_id: ctx.region_id.map(|r| r.to_string()),
            category,
            priority: i64::from(priority),
            subject,
            description,
            fields: fields.to_string(),
            created_by: actor.user_id(),
            by: By::of(actor),
            now,
            idempotency,
            sla,
            warranty,
        };
        match self.store.batcher.create(insert.clone()).await? {
            // Answered from what was written: the same as a read, one round trip fewer.
            Outcome::Created(number) => Ok((created_ticket(&insert, number, new.channel)?, false)),
            Outcome::Replayed(id) => Ok((
                self.ticket(&access::ticket_scope(actor), id, false)
                    .await?
                    .ticket,
                true,
            )),
        }
    }

    /// `SELECT <columns> FROM tickets t` restricted to ticket `id` of this tenant, and only
    /// if `scope` may see it.
    pub(crate) fn visible_ticket(&self, columns: &str, id: TicketId, scope: &TicketScope) -> Sql {
        let mut sql = Sql::new(&format!(
            "SELECT {columns} FROM tickets t WHERE t.tenant_id = "
        ));
        sql.text(self.tid())
            .push(" AND t.id = ")
            .text(id.to_string());
        push_scope(&mut sql, scope);
        sql
    }

    /// The tenant's local time zone (as a fixed offset from UTC).
    pub async fn utc_offset(&self) -> Result<FixedOffset, StoreError> {
        Ok(self.settings().await?.offset)
    }

    /// The tenant's settings, cached for a minute (they change rarely; a change shows within it).
    pub(crate) async fn settings(&self) -> Result<TenantSettings, StoreError> {
        if let Some(settings) = self.store.settings.get(self.tenant_id) {
            return Ok(settings);
        }
        let (minutes, reopen_days, auto_close_days, survey_delay_minutes, survey_valid_days): (
            i64,
            i64,
            i64,
            i64,
            i64,
        ) = sqlx::query_as(
            "SELECT utc_offset_minutes, reopen_window_days, auto_close_days, survey_delay_minutes, \
             survey_valid_days FROM tenants WHERE id = $1",
        )
        .bind(self.tid())
        .fetch_one(&self.store.read)
        .await?;
        let offset = i32::try_from(minutes * 60)
            .ok()
            .and_then(FixedOffset::east_opt)
            .ok_or_else(|| corrupt("utc_offset_minutes"))?;
        let policy = LifecyclePolicy {
            reopen_window: chrono::Duration::days(reopen_days),
            ..LifecyclePolicy::default()
        };
        let follow_up = FollowUp {
            auto_close_days,
            survey_delay_minutes,
            survey_valid_days,
        };
        let settings = TenantSettings {
            offset,
            policy,
            follow_up,
        };
        self.store.settings.put(self.tenant_id, settings);
        Ok(settings)
    }

    /// Finds contact, site and region from what intake knows; checks every id belongs together.
    async fn resolve_intake(
        &self,
        customer: &mut Option<CustomerId>,
        phone: Option<&str>,
        site: Option<SiteId>,
        asset: Option<AssetId>,
    ) -> Result<IntakeContext, StoreError> {
        let mut ctx = IntakeContext {
            contact_id: None,
            site_id: site,
            region_id: None,
            tier: None,
            warranty_until: None,
        };
        if let Some(a) = asset {
            let row: Option<(String, String, Option<String>)> = sqlx::query_as(
                "SELECT customer_id, site_id, warranty_until FROM assets WHERE tenant_id = $1 AND id = $2",
            )
            .bind(self.tid())
            .bind(a.to_string())
            .fetch_optional(&self.store.read)
            .await?;
            let (c, s, until) = row.ok_or(FieldError {
                field: "asset_id",
                reason: "error.unknown_id",
            })?;
            let (c, s) = (
                parse_id(&c, CustomerId::parse)?,
                parse_id(&s, SiteId::parse)?,
            );
            if customer.is_some_and(|x| x != c) || site.is_some_and(|x| x != s) {
                return Err(FieldError {
                    field: "asset_id",
                    reason: "error.unknown_id",
                }
                .into());
            }
            *customer = Some(c);
            ctx.site_id = Some(s);
            ctx.warranty_until = until.and_then(|u| u.parse().ok());
        }
        if let Some(p) = phone {
            let row: Option<(String, String)> = sqlx::query_as(
                "SELECT id, customer_id FROM contacts WHERE tenant_id = $1 AND phone = $2 \
                 AND ($3 = '' OR customer_id = $3) ORDER BY created_at LIMIT 1",
            )
            .bind(self.tid())
            .bind(p)
            .bind(customer.map(|c| c.to_string()).unwrap_or_default())
            .fetch_optional(&self.store.read)
            .await?;
            if let Some((contact, c)) = row {
                ctx.contact_id = Some(parse_id(&contact, ContactId::parse)?);
                *customer = Some(parse_id(&c, CustomerId::parse)?);
            }
        }
        if let Some(c) = customer {
            let row: Option<(Option<String>, String)> = sqlx::query_as(
                "SELECT region_id, tier FROM customers WHERE tenant_id = $1 AND id = $2",
            )
            .bind(self.tid())
            .bind(c.to_string())
            .fetch_optional(&self.store.read)
            .await?;
            let (region, tier) = row.ok_or(FieldError {
                field: "customer_id",
                reason: "error.unknown_id",
            })?;
            ctx.region_id = parse_opt_id(region, RegionId::parse)?;
            ctx.tier = Some(tier);
        }
        if let (None, Some(c)) = (ctx.site_id, *customer) {
            let sites: Vec<(String,)> = sqlx::query_as(
                "SELECT id FROM sites WHERE tenant_id = $1 AND customer_id = $2 LIMIT 2",
            )
            .bind(self.tid())
            .bind(c.to_string())
            .fetch_all(&self.store.read)
            .await?;
            let sites = sites
                .iter()
                .map(|(id,)| parse_id(id, SiteId::parse))
                .collect::<Result<Vec<_>, _>>()?;
            ctx.site_id = intake::site_of_request(None, &sites);
        }
        if let Some(s) = ctx.site_id {
            let row: Option<(String, Option<String>, String)> = sqlx::query_as(
                "SELECT s.customer_id, s.region_id, c.tier FROM sites s JOIN customers c ON c.id = s.customer_id \
                 WHERE s.tenant_id = $1 AND s.id = $2",
            )
            .bind(self.tid())
            .bind(s.to_string())
            .fetch_optional(&self.store.read)
            .await?;
            let (owner, region, tier) = row.ok_or(FieldError {
                field: "site_id",
                reason: "error.unknown_id",
            })?;
            let owner = parse_id(&owner, CustomerId::parse)?;
            if customer.is_some_and(|c| c != owner) {
                return Err(FieldError {
                    field: "site_id",
                    reason: "error.unknown_id",
                }
                .into());
            }
            *customer = Some(owner);
            ctx.tier = Some(tier);
            if let Some(r) = parse_opt_id(region, RegionId::parse)? {
                ctx.region_id = Some(r);
            }
        }
        Ok(ctx)
    }

    /// The fields a category requires (none for a category the tenant has not configured).
    async fn required_fields(&self, category: Option<&str>) -> Result<Vec<String>, StoreError> {
        let Some(code) = category else {
            return Ok(Vec::new());
        };
        let required: Option<String> = sqlx::query_scalar(
            "SELECT required_fields FROM categories WHERE tenant_id = $1 AND code = $2",
        )
        .bind(self.tid())
        .bind(code)
        .fetch_optional(&self.store.read)
        .await?;
        match required {
            Some(text) => serde_json::from_str(&text).map_err(|_| corrupt("required_fields")),
            None => Ok(Vec::new()),
        }
    }

    /// One ticket with its events, if `scope` may see it (otherwise `NotFound`).
    pub async fn ticket(
        &self,
        scope: &TicketScope,
        id: TicketId,
        internal: bool,
    ) -> Result<TicketDetail, StoreError> {
        let events_json = self.store.backend.ticket_events_json(internal);
        let sql = self.visible_ticket(
            &format!("{TICKET_COLUMNS}, {events_json} AS events"),
            id,
            scope,
        );
        let row: Option<TicketWithEventsRow> =
            sql.query_as().fetch_optional(&self.store.read).await?;
        let row = row.ok_or(StoreError::NotFound)?;
        let ticket = row.ticket.into_model()?;
        let rows: Vec<EventRow> = serde_json::from_str(row.events.as_deref().unwrap_or("[]"))
            .map_err(|_| corrupt("ticket events"))?;
        let events = rows
            .into_iter()
            .map(|r| {
                Ok(TicketEvent {
                    id: r.id,
                    kind: EventKind::parse(&r.kind).ok_or_else(|| corrupt("event kind"))?,
                    actor: parse_opt_id(r.actor_id, UserId::parse)?,
                    actor_name: r.actor_name,
                    at: from_ms(r.at),
                    from_status: r
                        .from_status
                        .as_deref()
                        .map(Status::parse)
                        .map(|s| s.ok_or_else(|| corrupt("from_status")))
                        .transpose()?,
                    to_status: r
                        .to_status
                        .as_deref()
                        .map(Status::parse)
                        .map(|s| s.ok_or_else(|| corrupt("to_status")))
                        .transpose()?,
                    internal: r.internal != 0,
                    data: r.data,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(TicketDetail { ticket, events })
    }

    /// One ticket without its events, as the API shows it (for the outbox: no access check).
    pub(crate) async fn ticket_without_events(&self, id: TicketId) -> Result<Ticket, StoreError> {
        let sql = self.visible_ticket(TICKET_COLUMNS, id, &access::ticket_scope(&Actor::System));
        let row: Option<TicketRow> = sql.query_as().fetch_optional(&self.store.read).await?;
        row.ok_or(StoreError::NotFound)?.into_model()
    }

    /// One ticket with the events `actor` may see.
    pub async fn ticket_for(
        &self,
        actor: &Actor,
        id: TicketId,
    ) -> Result<TicketDetail, StoreError> {
        self.ticket(&access::ticket_scope(actor), id, sees_internal(actor))
            .await
    }

    /// The tenant's teams, by name: (id, name).
    pub async fn teams(&self) -> Result<Vec<(TeamId, String)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM teams WHERE tenant_id = $1 ORDER BY name")
                .bind(self.tid())
                .fetch_all(&self.store.read)
                .await?;
        rows.into_iter()
            .map(|(id, name)| Ok((parse_id(&id, TeamId::parse)?, name)))
            .collect()
    }

    /// The tenant's regions, by name: (id, name).
    pub async fn regions(&self) -> Result<Vec<(RegionId, String)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM regions WHERE tenant_id = $1 ORDER BY name")
                .bind(self.tid())
                .fetch_all(&self.store.read)
                .await?;
        rows.into_iter()
            .map(|(id, name)| Ok((parse_id(&id, RegionId::parse)?, name)))
            .collect()
    }

    /// Hands a ticket to another team (those who dispatch), with a note; an event records
    /// from which team to which. The same team again changes nothing.
    pub async fn transfer_team(
        &self,
        actor: &Actor,
        id: TicketId,
        team: TeamId,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if !access::allowed(actor, Permission::Dispatch) {
            return Err(StoreError::Forbidden);
        }
        let note = validate::optional_text("note", note, validate::MAX_NOTE)?;
        self.require("teams", &team.to_string(), "team_id").await?;
        let scope = access::ticket_scope(actor);
        let mut tx = self.store.write.begin().await?;
        let mut sql = self.visible_ticket("t.team_id", id, &scope);
        sql.push(self.store.backend.for_update());
        let row: Option<(Option<String>,)> = sql.query_as().fetch_optional(&mut *tx).await?;
        let (before,) = row.ok_or(StoreError::NotFound)?;
        if before.as_deref() == Some(team.to_string().as_str()) {
            return Ok(());
        }
        sqlx::query(
            "UPDATE tickets SET team_id = $1, version = version + 1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .bind(team.to_string())
        .bind(ms(now))
        .bind(self.tid())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        let from_team_id = parse_opt_id(before, TeamId::parse)?;
        let moved = Payload::TeamTransferred(payload::TeamTransferred {
            from_team_id,
            to_team_id: team,
            note,
        });
        events::record(
            &mut tx,
            &self.tid(),
            NewEvent::by(actor, id, moved, now),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The version of a ticket the actor may see (`None`: not visible), for live pages.
    pub async fn ticket_version(
        &self,
        actor: &Actor,
        id: TicketId,
    ) -> Result<Option<i64>, StoreError> {
        let scope = access::ticket_scope(actor);
        let row: Option<(i64,)> = self
            .visible_ticket("t.version", id, &scope)
            .query_as()
            .fetch_optional(&self.store.read)
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// When a ticket the actor may see last changed (`updated_at`, newest), for live queues.
    pub async fn queue_stamp(&self, actor: &Actor) -> Result<i64, StoreError> {
        let scope = access::ticket_scope(actor);
        let mut sql = Sql::new("SELECT MAX(t.updated_at) FROM tickets t WHERE t.tenant_id = ");
        sql.text(self.tid());
        push_scope(&mut sql, &scope);
        let row: (Option<i64>,) = sql.query_as().fetch_one(&self.store.read).await?;
        Ok(row.0.unwrap_or(0))
    }

    /// A page of the tickets the actor may see, newest first.
    pub async fn tickets_for(
        &self,
        actor: &Actor,
        f: &TicketFilter,
    ) -> Result<TicketPage, StoreError> {
        let scope = &access::ticket_scope(actor);
        let limit = f.limit.unwrap_or(50).clamp(1, 200);
        let mut sql = Sql::new(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.tenant_id = "
        ));
        sql.text(self.tid());
        push_scope(&mut sql, scope);
        if !f.status.is_empty() {
            sql.push(" AND t.status IN (");
            for (i, s) in f.status.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(s.as_str());
            }
            sql.push(")");
        }
        if let Some(p) = f.priority {
            sql.push(" AND t.priority = ").int(p);
        }
        if let Some(c) = f.customer_id {
            sql.push(" AND t.customer_id = ").text(c.to_string());
        }
        if let Some(a) = f.assignee_id {
            sql.push(" AND t.assignee_id = ").text(a.to_string());
        }
        if let Some(r) = &f.remediation {
            sql.push(" AND t.remediation = ").text(r.clone());
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", q.replace(['%', '_', '\\'], ""));
            let like = self.store.backend.ilike();
            sql.push(" AND (t.number = ")
                .text(q)
                .push(&format!(" OR t.subject {like} "))
                .text(pattern.clone());
            sql.push(&format!(" OR t.description {like} "))
                .text(pattern)
                .push(")");
        }
        if let Some(from) = f.created_from {
            sql.push(" AND t.created_at >= ").int(ms(from));
        }
        if let Some(to) = f.created_to {
            sql.push(" AND t.created_at < ").int(ms(to));
        }
        if let Some(cursor) = &f.cursor {
            let (at, id) = parse_cursor(cursor)?;
            sql.push(" AND (t.created_at < ")
                .int(at)
                .push(" OR (t.created_at = ")
                .int(at);
            sql.push(" AND t.id < ").text(id).push("))");
        }
        sql.push(" ORDER BY t.created_at DESC, t.id DESC LIMIT ")
            .int(limit + 1);
        let mut rows: Vec<TicketRow> = sql.query_as().fetch_all(&self.store.read).await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| format!("{}.{}", r.created_at, r.id))
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(TicketRow::into_model)
            .collect::<Result<_, _>>()?;
        Ok(TicketPage { items, next_cursor })
    }

    /// True when the caller already made a request under this idempotency key (a form sent
    /// again from a phone's offline queue, for instance).
    pub async fn idempotency_used(&self, actor: &Actor, key: &str) -> Result<bool, StoreError> {
        let Some(user) = actor.user_id() else {
            return Ok(false);
        };
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM idempotency_keys WHERE tenant_id = $1 AND user_id = $2 AND key = $3",
        )
        .bind(self.tid())
        .bind(user.to_string())
        .bind(key)
        .fetch_optional(&self.store.write)
        .await?;
        Ok(found.is_some())
    }

    /// Moves a ticket through the transition table. Checks, in this order: visible (else
    /// `NotFound`), `version` current (else `Stale`), then the table (role, move, data). The row,
    /// the assignment history, the work report and the event are written in one transaction.
    pub async fn transition(
        &self,
        actor: &Actor,
        id: TicketId,
        req: TransitionRequest,
        idempotency: Option<Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<TicketDetail, StoreError> {
        let scope = access::ticket_scope(actor);
        // The engine's proposal, for the record of an override: worked out before the write
        // begins, so the engine never runs while the ticket is locked.
        let proposed = match (req.command.assignee_id, actor.user_id()) {
            (Some(_), Some(_)) => self.proposed_for(id, now).await?,
            _ => None,
        };
        let mut tx = self.store.write.begin().await?;
        if let (Some(idem), Some(user)) = (&idempotency, actor.user_id()) {
            if claim_key(&mut tx, &self.tid(), user, idem, &id.to_string(), now)
                .await?
                .is_some()
            {
                drop(tx);
                return self.ticket(&scope, id, sees_internal(actor)).await;
            }
        }
        let row = self.lock_current(&mut tx, id, &scope, req.version).await?;
        let facts = self.facts(&mut tx, &row).await?;
        let assignee = match req.command.assignee_id {
            Some(a) => self.assignee_facts(&mut tx, a).await?,
            None => None,
        };
        let policy = self.settings().await?.policy;
        let plan = plan_move(&facts, actor, &req.command, assignee, &policy, now)?;
        // A person assigning someone other than the engine's proposal: recorded, with why.
        let overridden = match (plan.assignee, actor.user_id()) {
            (Some(Some(chosen)), Some(_)) => {
                auto::is_override(proposed.as_deref(), &chosen.to_string()).then(|| {
                    payload::DispatchOverride {
                        proposed_engineer_id: proposed.as_deref().and_then(UserId::parse),
                        assignee_id: chosen,
                        reason: req
                            .command
                            .reason
                            .clone()
                            .or_else(|| req.command.note.clone()),
                    }
                })
            }
            _ => None,
        };
        self.write_plan(&mut tx, actor, &row, facts, &plan, now)
            .await?;
        if let Some(over) = overridden {
            let event = NewEvent::by(actor, id, Payload::DispatchOverride(over), now);
            events::record(&mut tx, &self.tid(), event, None).await?;
        }
        tx.commit().await?;
        self.ticket(&scope, id, sees_internal(actor)).await
    }

    /// Moves a ticket, at whatever version it is, inside a transaction another change began
    /// (a requisition puts the ticket in `waiting_parts`; its parts arriving take it out). The
    /// transition table decides as for any move.
    pub(crate) async fn move_within(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        id: TicketId,
        command: MoveCommand,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let scope = access::ticket_scope(actor);
        let mut sql = self.visible_ticket(TICKET_COLUMNS, id, &scope);
        sql.push(self.store.backend.for_update());
        let row: TicketRow = sql
            .query_as()
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let facts = self.facts(tx, &row).await?;
        let policy = self.settings().await?.policy;
        let plan = plan_move(&facts, actor, &command, None, &policy, now)?;
        self.write_plan(tx, actor, &row, facts, &plan, now).await
    }

    /// Locks a visible ticket's row for a change; `NotFound` when the caller may not see
    /// it, `Stale` when `version` is not the current one.
    async fn lock_current(
        &self,
        tx: &mut Transaction<'_, Any>,
        id: TicketId,
        scope: &TicketScope,
        version: i64,
    ) -> Result<TicketRow, StoreError> {
        let mut sql = self.visible_ticket(TICKET_COLUMNS, id, scope);
        sql.push(self.store.backend.for_update());
        let row: TicketRow = sql
            .query_as()
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if row.version != version {
            return Err(StoreError::Stale {
                current: row.version,
            });
        }
        Ok(row)
    }

    async fn facts(
        &self,
        tx: &mut Transaction<'_, Any>,
        row: &TicketRow,
    ) -> Result<TicketFacts, StoreError> {
        let site = match &row.site_id {
            Some(s) => {
                let pos: Option<(Option<f64>, Option<f64>, f64)> = sqlx::query_as(
                    "SELECT lat, lon, geofence_m FROM sites WHERE tenant_id = $1 AND id = $2",
                )
                .bind(self.tid())
                .bind(s)
                .fetch_optional(&mut **tx)
                .await?;
                match pos {
                    Some((Some(lat), Some(lon), geofence_m)) => Some(SiteFacts {
                        lat,
                        lon,
                        geofence_m,
                    }),
                    _ => None,
                }
            }
            None => None,
        };
        let review: Option<i64> = match &row.category {
            Some(code) => {
                sqlx::query_scalar(
                    "SELECT requires_review FROM categories WHERE tenant_id = $1 AND code = $2",
                )
                .bind(self.tid())
                .bind(code)
                .fetch_optional(&mut **tx)
                .await?
            }
            None => None,
        };
        let files: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, kind FROM attachments WHERE tenant_id = $1 AND ticket_id = $2",
        )
        .bind(self.tid())
        .bind(&row.id)
        .fetch_all(&mut **tx)
        .await?;
        let attachments = files
            .into_iter()
            .map(|(id, kind)| {
                Ok((
                    parse_id(&id, AttachmentId::parse)?,
                    AttachmentKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(TicketFacts {
            status: row.status()?,
            assignee_id: parse_opt_id(row.assignee_id.clone(), UserId::parse)?,
            customer_id: parse_opt_id(row.customer_id.clone(), CustomerId::parse)?,
            site,
            checked_in_at: row.checked_in_at.map(from_ms),
            check_in: match (row.checkin_lat, row.checkin_lon) {
                (Some(lat), Some(lon)) => Some(CheckInRecord {
                    position: CheckIn {
                        lat,
                        lon,
                        accuracy_m: None,
                    },
                    distance_m: row.checkin_distance_m,
                    outside_geofence: row.checkin_outside != 0,
                }),
                _ => None,
            },
            visit_count: row.visit_count,
            flags: serde_json::from_str(&row.flags).map_err(|_| corrupt("flags"))?,
            resolved_at: row.resolved_at.map(from_ms),
            closed_at: row.closed_at.map(from_ms),
            confirmed_by: row
                .confirmed_by
                .as_deref()
                .map(|c| ConfirmedBy::parse(c).ok_or_else(|| corrupt("confirmed_by")))
                .transpose()?,
            reopen_count: row.reopen_count,
            category_requires_review: review.unwrap_or(0) != 0,
            attachments,
        })
    }

    async fn assignee_facts(
        &self,
        tx: &mut Transaction<'_, Any>,
        id: UserId,
    ) -> Result<Option<AssigneeFacts>, StoreError> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT roles, active FROM users WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(id.to_string())
                .fetch_optional(&mut **tx)
                .await?;
        Ok(match row {
            Some((roles, active)) => {
                let roles = Roles::from_csv(&roles).map_err(StoreError::Corrupt)?;
                Some(AssigneeFacts {
                    id,
                    is_engineer: roles.has(Role::Engineer),
                    active: active != 0,
                })
            }
            None => None,
        })
    }

    /// Writes what the move does to the ticket ([`TicketFacts::apply`], in core), the
    /// assignment history, the work report and the event.
    async fn write_plan(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        row: &TicketRow,
        mut after: TicketFacts,
        plan: &Plan,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let expected = row.version;
        let t = ms(now);
        after.apply(plan, now);
        let check_in = after.check_in;
        let mut sql = Sql::new("UPDATE tickets SET status = ");
        sql.text(after.status.as_str())
            .push(", version = version + 1, updated_at = ")
            .int(t);
        sql.push(", assignee_id = ")
            .bind(Arg::Text(after.assignee_id.map(|u| u.to_string())));
        sql.push(", checked_in_at = ")
            .bind(Arg::OptInt(after.checked_in_at.map(ms)));
        sql.push(", checkin_lat = ")
            .float_or_null(check_in.map(|c| c.position.lat));
        sql.push(", checkin_lon = ")
            .float_or_null(check_in.map(|c| c.position.lon));
        sql.push(", checkin_distance_m = ")
            .float_or_null(check_in.and_then(|c| c.distance_m));
        sql.push(", checkin_outside = ")
            .int(i64::from(check_in.is_some_and(|c| c.outside_geofence)));
        sql.push(", visit_count = ").int(after.visit_count);
        sql.push(", flags = ").text(json!(after.flags).to_string());
        sql.push(", resolved_at = ")
            .bind(Arg::OptInt(after.resolved_at.map(ms)));
        sql.push(", closed_at = ")
            .bind(Arg::OptInt(after.closed_at.map(ms)));
        sql.push(", confirmed_by = ")
            .bind(Arg::Text(after.confirmed_by.map(|c| c.as_str().to_owned())));
        sql.push(", reopen_count = ").int(after.reopen_count);
        sql.push(" WHERE tenant_id = ")
            .text(self.tid())
            .push(" AND id = ")
            .text(row.id.clone());
        sql.push(" AND version = ").int(expected);
        let updated = sql.query().execute(&mut **tx).await?.rows_affected();
        if updated != 1 {
            return Err(StoreError::Stale {
                current: expected + 1,
            });
        }
        let ticket_id = parse_id(&row.id, TicketId::parse)?;
        if let Some(Some(a)) = plan.assignee {
            sqlx::query(
                "INSERT INTO ticket_assignments (tenant_id, ticket_id, user_id, first_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (ticket_id, user_id) DO NOTHING",
            )
            .bind(self.tid())
            .bind(&row.id)
            .bind(a.to_string())
            .bind(t)
            .execute(&mut **tx)
            .await?;
        }
        if let (Some(c), Some(engineer)) = (&plan.check_in, actor.user_id()) {
            // A check-in is the engineer's latest known position, for dispatch.
            crate::engineers::record_position_in(
                tx,
                &self.tid(),
                engineer,
                c.position.lat,
                c.position.lon,
                now,
            )
            .await?;
        }
        if let Some(report) = &plan.report {
            sqlx::query(
                "INSERT INTO work_reports (id, tenant_id, ticket_id, submitted_by, submitted_at, remote, resolution, body) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(self.tid())
            .bind(&row.id)
            .bind(user_text(actor))
            .bind(t)
            .bind(i64::from(report.remote))
            .bind(report.resolution.trim())
            .bind(serde_json::to_string(report).map_err(|e| StoreError::Corrupt(e.to_string()))?)
            .execute(&mut **tx)
            .await?;
            if let Some(engineer) = actor.user_id() {
                self.consume_from_van(tx, engineer, ticket_id, &report.parts, now)
                    .await?;
            }
        }
        let tid = self.tid();
        let mut data = plan.data.clone();
        data.flags.clone_from(&plan.flags);
        let event = NewEvent::by(actor, ticket_id, Payload::Move(plan.kind, data), now)
            .moving(plan.from, plan.to);
        let folded = events::record(tx, &tid, event, None).await?;
        // The SLA follows the move: first response and arrival as the ticket's facts have
        // them (one rule with the KPIs, in core), the clock paused or resumed, the colour
        // and the next moment to look again.
        let first_response_at = row.first_response_at.or(folded.first_response_at);
        let first_arrival_at = row.first_arrival_at.or(folded.first_arrival_at);
        let met = sla::met(
            after.status,
            first_response_at,
            first_arrival_at,
            after.resolved_at.map(ms),
            after.closed_at.map(ms),
            t,
        );
        if let Some(cols) = self
            .sla_after_move(
                row.sla_policy_id.as_deref(),
                row.sla.as_deref(),
                plan.from,
                &met,
                plan.to,
                now,
            )
            .await?
        {
            write_sla(
                tx,
                &tid,
                &row.id,
                &cols,
                first_response_at,
                first_arrival_at,
            )
            .await?;
        }
        let change = json!({ "kind": plan.kind.as_str(), "from": plan.from, "to": plan.to });
        enqueue_publish(tx, &tid, ticket_id, "ticket.status_changed", &change, now).await?;
        if let Some(Some(a)) = plan.assignee {
            let assigned = json!({ "assignee_id": a });
            enqueue_publish(tx, &tid, ticket_id, "ticket.assigned", &assigned, now).await?;
        }
        if plan.to == Status::Resolved {
            let at = self.settings().await?.follow_up.survey_at(now);
            schedule_survey(tx, &tid, ticket_id, after.reopen_count, at, now).await?;
        }
        if let Some(reason) = followup::reopen_remediation(plan.kind, actor) {
            open_remediation(tx, &tid, ticket_id, &[reason], now).await?;
        }
        Ok(())
    }

    /// Changes a ticket's priority; its SLA follows (the policy is chosen again and the due
    /// times recomputed on the same clock). Checks in the order of a move: visible (404),
    /// `version` current (409), allowed (403), then the input (422). The same priority again
    /// changes nothing.
    pub async fn change_priority(
        &self,
        actor: &Actor,
        id: TicketId,
        req: PriorityChange,
        now: DateTime<Utc>,
    ) -> Result<TicketDetail, StoreError> {
        let scope = access::ticket_scope(actor);
        let mut tx = self.store.write.begin().await?;
        let row = self.lock_current(&mut tx, id, &scope, req.version).await?;
        if !access::allowed(actor, Permission::ChangePriority) {
            return Err(StoreError::Forbidden);
        }
        let priority = i64::from(validate::priority(req.priority)?);
        let reason = validate::optional_text("reason", req.reason.as_deref(), 500)?;
        if !row.status()?.is_open() {
            return Err(FieldError {
                field: "priority",
                reason: "error.priority_closed",
            }
            .into());
        }
        if priority == row.priority {
            drop(tx);
            return self.ticket(&scope, id, sees_internal(actor)).await;
        }
        let tier: Option<String> = match &row.customer_id {
            Some(c) => {
                sqlx::query_scalar("SELECT tier FROM customers WHERE tenant_id = $1 AND id = $2")
                    .bind(self.tid())
                    .bind(c)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => None,
        };
        let t = ms(now);
        let updated = sqlx::query(
            "UPDATE tickets SET priority = $1, version = version + 1, updated_at = $2 \
             WHERE tenant_id = $3 AND id = $4 AND version = $5",
        )
        .bind(priority)
        .bind(t)
        .bind(self.tid())
        .bind(&row.id)
        .bind(row.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::Stale {
                current: row.version + 1,
            });
        }
        let current = ReapplyRow {
            id: row.id.clone(),
            priority: row.priority,
            category: row.category.clone(),
            tier,
            sla: row.sla.clone(),
            kept: Kept {
                status: row.status.clone(),
                first_response_at: row.first_response_at,
                first_arrival_at: row.first_arrival_at,
                resolved_at: row.resolved_at,
                closed_at: row.closed_at,
                updated_at: t,
            },
        };
        let tid = self.tid();
        if let Some(cols) = self.sla_reapplied(&current, priority, now).await? {
            write_sla(
                &mut tx,
                &tid,
                &row.id,
                &cols,
                row.first_response_at,
                row.first_arrival_at,
            )
            .await?;
        }
        let changed = Payload::PriorityChanged(payload::PriorityChanged {
            from: row.priority,
            to: priority,
            reason,
        });
        let ticket_id = parse_id(&row.id, TicketId::parse)?;
        let event = NewEvent::by(actor, ticket_id, changed, now);
        events::record(&mut tx, &tid, event, Some("ticket.priority_changed")).await?;
        tx.commit().await?;
        self.ticket(&scope, id, sees_internal(actor)).await
    }

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
        });
        let event = NewEvent::by(actor, ticket, comment, now).internal(internal);
        let answers = event.as_event().answers_customer();
        let publish = (!internal).then_some("ticket.commented");
        let folded = events::record(&mut tx, &self.tid(), event, publish).await?;
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

    async fn ticket_row_visible(&self, actor: &Actor, id: TicketId) -> Result<(), StoreError> {
        let sql = self.visible_ticket("t.id", id, &access::ticket_scope(actor));
        let row: Option<(String,)> = sql.query_as().fetch_optional(&self.store.read).await?;
        row.map(|_| ()).ok_or(StoreError::NotFound)
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

    /// Records an uploaded file's metadata on a ticket the actor may see (the bytes are
    /// already in the object store under `storage_key`).
    #[expect(
        clippy::too_many_arguments,
        reason = "one value per column of the upload"
    )]
    pub async fn add_attachment(
        &self,
        actor: &Actor,
        ticket: TicketId,
        kind: AttachmentKind,
        filename: &str,
        content_type: &str,
        size_bytes: i64,
        sha256: &str,
        storage_key: &str,
        id: AttachmentId,
        now: DateTime<Utc>,
    ) -> Result<Attachment, StoreError> {
        self.ticket_row_visible(actor, ticket).await?;
        let filename = validate::optional_text("file", Some(filename), 255)?
            .unwrap_or_else(|| "upload".into());
        let mut tx = self.store.write.begin().await?;
        sqlx::query(
            "INSERT INTO attachments (id, tenant_id, ticket_id, kind, filename, content_type, size_bytes, sha256, \
             storage_key, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(ticket.to_string())
        .bind(kind.as_str())
        .bind(&filename)
        .bind(content_type)
        .bind(size_bytes)
        .bind(sha256)
        .bind(storage_key)
        .bind(user_text(actor))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let attached = Payload::Attachment(payload::Attachment {
            attachment_id: id,
            kind,
            filename,
            content_type: content_type.to_owned(),
        });
        let event = NewEvent::by(actor, ticket, attached, now);
        events::record(&mut tx, &self.tid(), event, None).await?;
        tx.commit().await?;
        self.attachment(actor, id).await
    }

    /// An attachment, if the actor may see its ticket.
    pub async fn attachment(
        &self,
        actor: &Actor,
        id: AttachmentId,
    ) -> Result<Attachment, StoreError> {
        let mut sql = Sql::new(ATTACHMENT_SELECT);
        sql.text(self.tid())
            .push(" AND f.id = ")
            .text(id.to_string());
        push_scope(&mut sql, &access::ticket_scope(actor));
        let row: Option<AttachmentRow> = sql.query_as().fetch_optional(&self.store.read).await?;
        row.ok_or(StoreError::NotFound)?.into_model()
    }

    /// The files on a ticket the caller may see, oldest first.
    pub async fn ticket_attachments(
        &self,
        actor: &Actor,
        ticket: TicketId,
    ) -> Result<Vec<Attachment>, StoreError> {
        let mut sql = Sql::new(ATTACHMENT_SELECT);
        sql.text(self.tid())
            .push(" AND f.ticket_id = ")
            .text(ticket.to_string());
        push_scope(&mut sql, &access::ticket_scope(actor));
        sql.push(" ORDER BY f.created_at, f.id");
        let rows: Vec<AttachmentRow> = sql.query_as().fetch_all(&self.store.read).await?;
        rows.into_iter().map(AttachmentRow::into_model).collect()
    }
}

/// Attachments with their ticket (`t`, for the caller's scope), up to the tenant's id.
const ATTACHMENT_SELECT: &str = "SELECT f.id, f.ticket_id, f.kind, f.filename, f.content_type, \
     f.size_bytes, f.sha256, f.storage_key, f.created_at FROM attachments f \
     JOIN tickets t ON t.id = f.ticket_id WHERE f.tenant_id = ";

/// The ticket just written, as a read would show it.
fn created_ticket(
    t: &TicketInsert,
    number: String,
    channel: Channel,
) -> Result<Ticket, StoreError> {
    let at = from_ms(ms(t.now));
    Ok(Ticket {
        id: t.id,
        number,
        status: Status::New,
        version: 1,
        priority: t.priority,
        channel,
        subject: t.subject.clone(),
        description: t.description.clone(),
        category: t.category.clone(),
        fields: serde_json::from_str(&t.fields).map_err(|_| corrupt("fields"))?,
        customer_id: parse_opt_id(t.customer_id.clone(), CustomerId::parse)?,
        contact_id: parse_opt_id(t.contact_id.clone(), ContactId::parse)?,
        contact_phone: t.contact_phone.clone(),
        site_id: parse_opt_id(t.site_id.clone(), SiteId::parse)?,
        asset_id: parse_opt_id(t.asset_id.clone(), AssetId::parse)?,
        region_id: parse_opt_id(t.region_id.clone(), RegionId::parse)?,
        team_id: None,
        assignee_id: None,
        created_by: t.created_by,
        created_at: at,
        updated_at: at,
        resolved_at: None,
        closed_at: None,
        confirmed_by: None,
        reopen_count: 0,
        visit_count: 0,
        flags: Vec::new(),
        check_in: None,
        remediation: None,
        chargeable: asset::chargeable(t.warranty.and_then(Warranty::parse)),
        warranty: t.warranty.map(str::to_owned),
        sla: TicketSlaView::of(
            t.sla.policy_id.as_deref(),
            t.sla.sla.as_deref(),
            t.sla.state,
        )?,
    })
}

struct IntakeContext {
    contact_id: Option<ContactId>,
    site_id: Option<SiteId>,
    region_id: Option<RegionId>,
    /// The customer's tier, for the SLA policy.
    tier: Option<String>,
    /// The asset's warranty end.
    warranty_until: Option<chrono::NaiveDate>,
}

/// Claims an idempotency key inside `tx`; answers the resource of an earlier request with
/// the same key, or `IdempotencyMismatch` when that request was a different one. On
/// PostgreSQL a concurrent duplicate waits here for the first to commit.
pub(crate) async fn claim_key(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    user: UserId,
    idem: &Idempotency,
    resource: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (tenant_id, user_id, key, request_hash, resource_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, user_id, key) DO NOTHING",
    )
    .bind(tenant)
    .bind(user.to_string())
    .bind(&idem.key)
    .bind(&idem.request_hash)
    .bind(resource)
    .bind(ms(now))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(None);
    }
    let (hash, existing): (String, String) = sqlx::query_as(
        "SELECT request_hash, resource_id FROM idempotency_keys WHERE tenant_id = $1 AND user_id = $2 AND key = $3",
    )
    .bind(tenant)
    .bind(user.to_string())
    .bind(&idem.key)
    .fetch_one(&mut **tx)
    .await?;
    if hash != idem.request_hash {
        return Err(StoreError::IdempotencyMismatch);
    }
    Ok(Some(existing))
}

fn parse_cursor(cursor: &str) -> Result<(i64, String), StoreError> {
    let bad = || {
        StoreError::Invalid(FieldError {
            field: "cursor",
            reason: "error.invalid_value",
        })
    };
    let (at, id) = cursor.split_once('.').ok_or_else(bad)?;
    let at = at.parse().map_err(|_| bad())?;
    TicketId::parse(id).ok_or_else(bad)?;
    Ok((at, id.to_owned()))
}
