//! Warehouses: the central store, regional pools, and engineers' vans.

use crate::{ms, StoreError, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::inventory::NewWarehouse;
use loopdesk_core::inventory::{self};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{access, Role, Roles, UserId};
use loopdesk_core::{access::Permission, WarehouseId};
use sqlx::{Any, Transaction};

use super::*;

impl TenantStore {
    /// Adds a warehouse; a van needs an engineer, who has at most one.
    pub async fn create_warehouse(
        &self,
        actor: &Actor,
        new: NewWarehouse,
        now: DateTime<Utc>,
    ) -> Result<Warehouse, StoreError> {
        if !access::allowed(actor, Permission::ManageStock) {
            return Err(StoreError::Forbidden);
        }
        let (name, kind) = inventory::warehouse(&new)?;
        if let Some(e) = new.engineer_id {
            let roles: Option<String> =
                sqlx::query_scalar("SELECT roles FROM users WHERE tenant_id = $1 AND id = $2")
                    .bind(self.tid())
                    .bind(e.to_string())
                    .fetch_optional(&self.store.read)
                    .await?;
            let engineer = match roles {
                Some(r) => Roles::from_csv(&r)
                    .map_err(StoreError::Corrupt)?
                    .has(Role::Engineer),
                None => false,
            };
            if !engineer {
                return field("engineer_id", "error.not_engineer");
            }
        }
        if let Some(r) = new.region_id {
            self.require("regions", &r.to_string(), "region_id").await?;
        }
        let id = WarehouseId::new();
        sqlx::query(
            "INSERT INTO warehouses (id, tenant_id, name, kind, region_id, engineer_id, lat, lon, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&name)
        .bind(kind.as_str())
        .bind(new.region_id.map(|r| r.to_string()))
        .bind(new.engineer_id.map(|e| e.to_string()))
        .bind(new.lat)
        .bind(new.lon)
        .bind(ms(now))
        .execute(&self.store.write)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                let van = db.message().contains("engineer") || db.message().contains("warehouses_van");
                StoreError::Conflict {
                    field: if van { "engineer_id" } else { "name" },
                }
            }
            _ => StoreError::Database(e),
        })?;
        Ok(Warehouse {
            id,
            name,
            kind,
            region_id: new.region_id,
            engineer_id: new.engineer_id,
            lat: new.lat,
            lon: new.lon,
        })
    }

    /// Every warehouse, by kind and name.
    pub async fn warehouses(&self, actor: &Actor) -> Result<Vec<Warehouse>, StoreError> {
        if !access::allowed(actor, Permission::ReadStock) {
            return Err(StoreError::Forbidden);
        }
        let rows: Vec<WarehouseRow> = sqlx::query_as(&format!(
            "SELECT {WAREHOUSE_COLUMNS} FROM warehouses WHERE tenant_id = $1 ORDER BY kind, name"
        ))
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter().map(warehouse_of).collect()
    }

    pub(crate) async fn warehouse_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        id: WarehouseId,
        field_name: &'static str,
    ) -> Result<Warehouse, StoreError> {
        let row: Option<WarehouseRow> = sqlx::query_as(&format!(
            "SELECT {WAREHOUSE_COLUMNS} FROM warehouses WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        match row {
            Some(r) => warehouse_of(r),
            None => field(field_name, "error.unknown_id"),
        }
    }

    /// The caller's own van, if they have one.
    pub async fn my_van(&self, actor: &Actor) -> Result<Option<Warehouse>, StoreError> {
        let Some(me) = actor.user_id() else {
            return Ok(None);
        };
        let row: Option<WarehouseRow> = sqlx::query_as(&format!(
            "SELECT {WAREHOUSE_COLUMNS} FROM warehouses WHERE tenant_id = $1 AND engineer_id = $2"
        ))
        .bind(self.tid())
        .bind(me.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        row.map(warehouse_of).transpose()
    }

    /// The parts free in the caller's own van with their names, by SKU (none without a van).
    pub async fn van_parts(&self, actor: &Actor) -> Result<Vec<VanPart>, StoreError> {
        let Some(van) = self.my_van(actor).await? else {
            return Ok(Vec::new());
        };
        let parts = sqlx::query_as(
            "SELECT s.sku, p.name, s.on_hand - s.reserved AS available FROM stock_levels s \
             JOIN parts p ON p.id = s.part_id \
             WHERE s.tenant_id = $1 AND s.warehouse_id = $2 AND s.on_hand > s.reserved \
             ORDER BY s.sku LIMIT 1000",
        )
        .bind(self.tid())
        .bind(van.id.to_string())
        .fetch_all(&self.store.read)
        .await?;
        Ok(parts)
    }

    /// The van of an engineer, if they have one.
    pub(crate) async fn van_of(
        &self,
        tx: &mut Transaction<'_, Any>,
        engineer: UserId,
    ) -> Result<Option<Warehouse>, StoreError> {
        let row: Option<WarehouseRow> = sqlx::query_as(&format!(
            "SELECT {WAREHOUSE_COLUMNS} FROM warehouses WHERE tenant_id = $1 AND engineer_id = $2"
        ))
        .bind(self.tid())
        .bind(engineer.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        row.map(warehouse_of).transpose()
    }
}
