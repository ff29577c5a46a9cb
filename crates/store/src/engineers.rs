//! Engineer profiles for dispatch: what admins set (skills, regions, home base, capacity,
//! shift) and what the engineer's phone reports (on/off duty, position), with each engineer's
//! current load (open orders assigned).

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::dispatch::profile::{self, ProfileInput};
use loopdesk_core::dispatch::{Point, Skill};
use loopdesk_core::sla::calendar::WorkingHours;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::{RegionId, Role, Roles, UserId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::rows::parse_id;
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

/// A user with their engineer's profile, if they have one ([`SELECT`]).
#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    username: String,
    display_name: String,
    region_id: Option<String>,
    roles: String,
    skills: Option<String>,
    regions: Option<String>,
    home_lat: Option<f64>,
    home_lon: Option<f64>,
    capacity: Option<i64>,
    shift: Option<String>,
    on_duty: Option<i64>,
    position_lat: Option<f64>,
    position_lon: Option<f64>,
    position_at: Option<i64>,
}

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

    pub(crate) async fn engineer_rows(
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
            let roles = Roles::from_csv(&r.roles).map_err(StoreError::Corrupt)?;
            if !roles.has(Role::Engineer) {
                continue;
            }
            let shift: Vec<WorkingHours> = json_or(r.shift.as_deref())?;
            let load = loads
                .iter()
                .find(|(u, _)| *u == r.id)
                .map_or(0, |(_, n)| *n);
            out.push(EngineerView {
                id: parse_id(&r.id, UserId::parse)?,
                username: r.username,
                display_name: r.display_name,
                region_id: r.region_id.as_deref().and_then(RegionId::parse),
                skills: json_or(r.skills.as_deref())?,
                regions: json_or(r.regions.as_deref())?,
                home: r
                    .home_lat
                    .zip(r.home_lon)
                    .map(|(lat, lon)| Point { lat, lon }),
                capacity: r.capacity.unwrap_or(5),
                load,
                in_shift: profile::in_shift(&shift, offset, ms(now)),
                shift,
                on_duty: r.on_duty.unwrap_or(0) != 0,
                position: match (r.position_lat, r.position_lon, r.position_at) {
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

impl TenantStore {}
