//! The organisation: tenants, and a tenant's regions and teams.

use crate::rows::parse_id;
use crate::{ms, Store, StoreError, Tenant, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::{validate, RegionId, TeamId, TenantId};

#[derive(sqlx::FromRow)]
pub(crate) struct TenantRow {
    id: String,
    slug: String,
    name: String,
    utc_offset_minutes: i64,
    reopen_window_days: i64,
}

impl TenantRow {
    fn into_model(self) -> Result<Tenant, StoreError> {
        Ok(Tenant {
            id: parse_id(&self.id, TenantId::parse)?,
            slug: self.slug,
            name: self.name,
            utc_offset_minutes: self.utc_offset_minutes,
            reopen_window_days: self.reopen_window_days,
        })
    }
}

impl Store {
    /// The tenant with this slug.
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as(
            "SELECT id, slug, name, utc_offset_minutes, reopen_window_days FROM tenants WHERE slug = $1",
        )
        .bind(slug)
        .fetch_optional(&self.read)
        .await?;
        row.map(TenantRow::into_model).transpose()
    }

    /// The tenant with this id.
    pub async fn tenant_by_id(&self, id: TenantId) -> Result<Tenant, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as(
            "SELECT id, slug, name, utc_offset_minutes, reopen_window_days FROM tenants WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.map(TenantRow::into_model)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Creates a tenant; `Conflict{slug}` if the slug is taken, a field error for a slug or
    /// name that is not one.
    pub async fn create_tenant(
        &self,
        slug: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Tenant, StoreError> {
        let slug = validate::slug(slug)?;
        let name = validate::required_text("name", name, validate::MAX_NAME)?;
        let (slug, name) = (slug.as_str(), name.as_str());
        let id = TenantId::new();
        let mut tx = self.write.begin().await?;
        sqlx::query("INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id.to_string())
            .bind(slug)
            .bind(name)
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::on_unique(e, "slug"))?;
        crate::sla::insert_default_policy(&mut tx, &id.to_string(), now).await?;
        tx.commit().await?;
        self.tenant_by_id(id).await
    }
}

/// A tenant as the platform operator lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TenantSummary {
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Active users.
    pub users: i64,
    /// Tickets.
    pub tickets: i64,
    /// Suspended since, if it is.
    pub suspended_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Every tenant with its users, tickets and whether it is suspended, by slug.
    pub async fn tenant_summaries(&self) -> Result<Vec<TenantSummary>, StoreError> {
        let rows: Vec<(String, String, i64, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT t.slug, t.name, t.created_at, \
             (SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id AND u.active = 1), \
             (SELECT COUNT(*) FROM tickets k WHERE k.tenant_id = t.id), t.suspended_at \
             FROM tenants t ORDER BY t.slug",
        )
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(slug, name, created_at, users, tickets, suspended_at)| TenantSummary {
                    slug,
                    name,
                    created_at: crate::from_ms(created_at),
                    users,
                    tickets,
                    suspended_at: suspended_at.map(crate::from_ms),
                },
            )
            .collect())
    }

    /// Suspends a tenant (nobody of it signs in; every session of it is revoked) or, with
    /// `suspend` false, resumes it. `NotFound` for an unknown slug.
    pub async fn set_tenant_suspended(
        &self,
        slug: &str,
        suspend: bool,
        now: DateTime<Utc>,
    ) -> Result<Tenant, StoreError> {
        let tenant = self
            .tenant_by_slug(slug)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut tx = self.write.begin().await?;
        sqlx::query("UPDATE tenants SET suspended_at = $1 WHERE id = $2")
            .bind(suspend.then(|| ms(now)))
            .bind(tenant.id.to_string())
            .execute(&mut *tx)
            .await?;
        if suspend {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE tenant_id = $2 AND revoked_at IS NULL",
            )
            .bind(ms(now))
            .bind(tenant.id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(tenant)
    }
}

impl TenantStore {
    /// Creates a region.
    pub async fn create_region(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<RegionId, StoreError> {
        let name = validate::required_text("name", name, validate::MAX_NAME)?;
        let id = RegionId::new();
        sqlx::query(
            "INSERT INTO regions (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(name)
        .bind(ms(now))
        .execute(&self.store.write)
        .await
        .map_err(|e| StoreError::on_unique(e, "name"))?;
        Ok(id)
    }

    /// Creates a team, optionally in a region.
    pub async fn create_team(
        &self,
        name: &str,
        region: Option<RegionId>,
        now: DateTime<Utc>,
    ) -> Result<TeamId, StoreError> {
        let name = validate::required_text("name", name, validate::MAX_NAME)?;
        if let Some(r) = region {
            self.require("regions", &r.to_string(), "region_id").await?;
        }
        let id = TeamId::new();
        sqlx::query("INSERT INTO teams (id, tenant_id, name, region_id, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.to_string())
            .bind(self.tid())
            .bind(name)
            .bind(region.map(|r| r.to_string()))
            .bind(ms(now))
            .execute(&self.store.write)
            .await
            .map_err(|e| StoreError::on_unique(e, "name"))?;
        Ok(id)
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
}
