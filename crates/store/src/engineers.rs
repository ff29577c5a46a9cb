//! Engineer profiles for dispatch: what admins set (skills, regions, home base, capacity,
//! shift) and what the engineer's phone reports (on/off duty, position), with each engineer's
//! current load (open orders assigned).

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::dispatch::profile::{self, ProfileInput};
use loopdesk_core::dispatch::{self, auto, Point, Skill};
use loopdesk_core::sla::calendar::WorkingHours;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::{RegionId, Role, Roles, Status, UserId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::parse_id;
use crate::sql::{Arg, Sql};
use crate::{from_ms, ms, StoreError, TenantStore};

/// Where an engineer's phone last was.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Position {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// When.
    pub at: DateTime<Utc>,
}

/// An engineer as dispatchers see them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EngineerView {
    /// User id.
    pub id: UserId,
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Their own region.
    pub region_id: Option<RegionId>,
    /// Skills with levels.
    #[schema(value_type = Vec<Object>)]
    pub skills: Vec<Skill>,
    /// Further regions served.
    pub regions: Vec<String>,
    /// Home base.
    #[schema(value_type = Option<Object>)]
    pub home: Option<Point>,
    /// Most open orders at once.
    pub capacity: i64,
    /// Open orders assigned now.
    pub load: i64,
    /// Weekly working hours (empty: no limit).
    pub shift: Vec<WorkingHours>,
    /// On duty (the engineer's own switch).
    pub on_duty: bool,
    /// Within their shift now.
    pub in_shift: bool,
    /// Last known position.
    pub position: Option<Position>,
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<f64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<f64>,
    Option<f64>,
    Option<i64>,
);

const SELECT: &str = "SELECT u.id, u.username, u.display_name, u.region_id, u.roles, p.skills, p.regions, \
     p.home_lat, p.home_lon, p.capacity, p.shift, p.on_duty, p.position_lat, p.position_lon, p.position_at \
     FROM users u LEFT JOIN engineer_profiles p ON p.user_id = u.id \
     WHERE u.active = 1 AND u.tenant_id = ";

fn json_or<T: serde::de::DeserializeOwned + Default>(text: Option<&str>) -> Result<T, StoreError> {
    match text {
        None => Ok(T::default()),
        Some(t) => serde_json::from_str(t).map_err(|e| StoreError::Corrupt(e.to_string())),
    }
}

impl TenantStore {
    /// Every active engineer with profile, duty, position and load (staff who list users).
    pub async fn engineers(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<EngineerView>, StoreError> {
        if !access::allowed(actor, Permission::ListUsers) {
            return Err(StoreError::Forbidden);
        }
        self.engineer_rows(None, now).await
    }

    /// One engineer (staff who list users, or the engineer themself).
    pub async fn engineer(
        &self,
        actor: &Actor,
        id: UserId,
        now: DateTime<Utc>,
    ) -> Result<EngineerView, StoreError> {
        if !access::allowed(actor, Permission::ListUsers) && actor.user_id() != Some(id) {
            return Err(StoreError::NotFound);
        }
        self.engineer_rows(Some(id), now)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)
    }

    async fn engineer_rows(
        &self,
        only: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Vec<EngineerView>, StoreError> {
        let mut sql = Sql::new(SELECT);
        sql.text(self.tid());
        if let Some(id) = only {
            sql.push(" AND u.id = ").text(id.to_string());
        }
        sql.push(" ORDER BY u.display_name, u.id");
        let rows: Vec<Row> = sql.query_as().fetch_all(&self.store.read).await?;
        let open: Vec<&str> = profile::LOAD.iter().map(|s| s.as_str()).collect();
        let loads: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT assignee_id, COUNT(*) FROM tickets WHERE tenant_id = $1 AND assignee_id IS NOT NULL \
             AND status IN ('{}') GROUP BY assignee_id",
            open.join("', '")
        ))
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        let offset = self.settings().await?.offset.local_minus_utc() / 60;
        let mut out = Vec::new();
        for r in rows {
            let roles = Roles::from_csv(&r.4).map_err(StoreError::Corrupt)?;
            if !roles.has(Role::Engineer) {
                continue;
            }
            let shift: Vec<WorkingHours> = json_or(r.10.as_deref())?;
            let load = loads.iter().find(|(u, _)| *u == r.0).map_or(0, |(_, n)| *n);
            out.push(EngineerView {
                id: parse_id(&r.0, UserId::parse)?,
                username: r.1,
                display_name: r.2,
                region_id: r.3.as_deref().and_then(RegionId::parse),
                skills: json_or(r.5.as_deref())?,
                regions: json_or(r.6.as_deref())?,
                home: r.7.zip(r.8).map(|(lat, lon)| Point { lat, lon }),
                capacity: r.9.unwrap_or(5),
                load,
                in_shift: profile::in_shift(&shift, offset, ms(now)),
                shift,
                on_duty: r.11.unwrap_or(0) != 0,
                position: match (r.12, r.13, r.14) {
                    (Some(lat), Some(lon), Some(at)) => Some(Position {
                        lat,
                        lon,
                        at: from_ms(at),
                    }),
                    _ => None,
                },
            });
        }
        Ok(out)
    }

    /// Sets an engineer's profile (admin). The user must be an engineer of this tenant and
    /// the regions must exist.
    pub async fn put_engineer_profile(
        &self,
        actor: &Actor,
        id: UserId,
        input: ProfileInput,
        now: DateTime<Utc>,
    ) -> Result<EngineerView, StoreError> {
        if !access::allowed(actor, Permission::ManageUsers) {
            return Err(StoreError::Forbidden);
        }
        self.require_engineer(id).await?;
        let offset = self.settings().await?.offset.local_minus_utc() / 60;
        let p = input.checked(offset)?;
        for r in &p.regions {
            self.require("regions", r, "regions").await?;
        }
        let mut sql = Sql::new(
            "INSERT INTO engineer_profiles (user_id, tenant_id, skills, regions, home_lat, home_lon, capacity, shift, updated_at) VALUES (",
        );
        sql.text(id.to_string())
            .push(", ")
            .text(self.tid())
            .push(", ")
            .text(to_json(&p.skills)?)
            .push(", ")
            .text(to_json(&p.regions)?)
            .push(", ");
        sql.float_or_null(p.home.map(|h| h.lat))
            .push(", ")
            .float_or_null(p.home.map(|h| h.lon))
            .push(", ")
            .int(p.capacity)
            .push(", ")
            .text(to_json(&p.shift)?)
            .push(", ")
            .int(ms(now));
        sql.push(
            ") ON CONFLICT (user_id) DO UPDATE SET skills = excluded.skills, regions = excluded.regions, \
             home_lat = excluded.home_lat, home_lon = excluded.home_lon, capacity = excluded.capacity, \
             shift = excluded.shift, updated_at = excluded.updated_at",
        );
        sql.query().execute(&self.store.write).await?;
        self.engineer(actor, id, now).await
    }

    /// The engineer goes on or off duty (their own switch).
    pub async fn set_duty(
        &self,
        actor: &Actor,
        on_duty: bool,
        now: DateTime<Utc>,
    ) -> Result<EngineerView, StoreError> {
        let id = self.acting_engineer(actor)?;
        sqlx::query(
            "INSERT INTO engineer_profiles (user_id, tenant_id, on_duty, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO UPDATE SET on_duty = excluded.on_duty, updated_at = excluded.updated_at",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(i64::from(on_duty))
        .bind(ms(now))
        .execute(&self.store.write)
        .await?;
        self.engineer(actor, id, now).await
    }

    /// The engineer's phone reports where it is.
    pub async fn record_position(
        &self,
        actor: &Actor,
        lat: f64,
        lon: f64,
        accuracy_m: Option<f64>,
        now: DateTime<Utc>,
    ) -> Result<EngineerView, StoreError> {
        let id = self.acting_engineer(actor)?;
        let p = profile::check_position(lat, lon, accuracy_m)?;
        let mut tx = self.store.write.begin().await?;
        record_position_in(&mut tx, &self.tid(), id, p.lat, p.lon, now).await?;
        tx.commit().await?;
        self.engineer(actor, id, now).await
    }

    fn acting_engineer(&self, actor: &Actor) -> Result<UserId, StoreError> {
        match actor.user_id() {
            Some(id) if actor.has(Role::Engineer) => Ok(id),
            _ => Err(StoreError::Forbidden),
        }
    }

    async fn require_engineer(&self, id: UserId) -> Result<(), StoreError> {
        let roles: Option<String> =
            sqlx::query_scalar("SELECT roles FROM users WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(id.to_string())
                .fetch_optional(&self.store.read)
                .await?;
        let roles = roles.ok_or(StoreError::NotFound)?;
        if !Roles::from_csv(&roles)
            .map_err(StoreError::Corrupt)?
            .has(Role::Engineer)
        {
            return Err(FieldError {
                field: "id",
                reason: "error.not_engineer",
            }
            .into());
        }
        Ok(())
    }
}

/// A profile part as its TEXT column holds it.
fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Keeps `engineer`'s latest position inside `tx` (a ping, or a check-in on site).
pub(crate) async fn record_position_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &str,
    engineer: UserId,
    lat: f64,
    lon: f64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO engineer_profiles (user_id, tenant_id, position_lat, position_lon, position_at, updated_at) VALUES (",
    );
    sql.text(engineer.to_string())
        .push(", ")
        .text(tenant)
        .push(", ")
        .bind(Arg::Float(lat))
        .push(", ")
        .bind(Arg::Float(lon))
        .push(", ")
        .int(ms(now))
        .push(", ")
        .int(ms(now));
    sql.push(
        ") ON CONFLICT (user_id) DO UPDATE SET position_lat = excluded.position_lat, \
         position_lon = excluded.position_lon, position_at = excluded.position_at, updated_at = excluded.updated_at",
    );
    sql.query().execute(&mut **tx).await?;
    Ok(())
}

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
    pub ticket_id: String,
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

type OrderRow = (
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<f64>,
    Option<f64>,
    Option<String>,
    Option<i64>,
);

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

    /// Proposals for the orders in `status` (only those in `only`, when given; of one region,
    /// when given).
    pub(crate) async fn proposals_for(
        &self,
        status: Status,
        only: Option<&[String]>,
        region: Option<&str>,
        cross_region: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Proposal>, StoreError> {
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
                return Ok(Vec::new());
            }
            sql.push(" AND t.id IN (");
            for (k, id) in ids.iter().enumerate() {
                if k > 0 {
                    sql.push(", ");
                }
                sql.text(id.clone());
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
                id: r.0.clone(),
                position: r.6.zip(r.7).map(|(lat, lon)| Point { lat, lon }),
                skill: r.8.clone(),
                min_level: r.9.and_then(|l| u8::try_from(l).ok()).unwrap_or(0),
                priority: r.3,
                region: r.4.clone(),
                sla_slack_minutes: r.5.map(|due| (due - ms(now)).div_euclid(60_000)),
                tried: tried.remove(&r.0).unwrap_or_default(),
            })
            .collect();
        let opts = dispatch::Options {
            cross_region,
            ..dispatch::Options::default()
        };
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
                let key = serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                *excluded.entry(key).or_insert(0) += 1;
            }
            out.push(Proposal {
                ticket_id: r.0.clone(),
                number: r.1.clone(),
                subject: r.2.clone(),
                priority: r.3,
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
