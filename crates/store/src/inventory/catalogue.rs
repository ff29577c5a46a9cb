//! The parts catalogue as a list to page through (with how many of each are on hand), and a
//! part's details changed.

use loopdesk_core::access::{self, Permission};
use loopdesk_core::inventory::{self, NewPart};
use loopdesk_core::ticket::transitions::Actor;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{part_of, Part, PartRow};
use crate::dialect::{contains_pattern, LIKE_ESCAPE};
use crate::{StoreError, TenantStore};

/// A row of the catalogue: the part and its stock over every warehouse.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CatalogueRow {
    /// The part.
    #[serde(flatten)]
    pub part: Part,
    /// Units on hand, all warehouses together.
    pub on_hand: i64,
    /// Of which reserved for tickets.
    pub reserved: i64,
}

/// A page of the catalogue.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CataloguePage {
    /// By SKU.
    pub items: Vec<CatalogueRow>,
    /// Pass as `after` for the next page; none on the last.
    pub next: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    part: PartRow,
    on_hand: Option<i64>,
    reserved: Option<i64>,
}

impl TenantStore {
    /// Parts whose SKU or name contains `q`, by SKU after `after`, `limit` (1–200) at a time,
    /// each with its stock (those who read stock).
    pub async fn part_page(
        &self,
        actor: &Actor,
        q: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<CataloguePage, StoreError> {
        if !access::allowed(actor, Permission::ReadStock) {
            return Err(StoreError::Forbidden);
        }
        let limit = limit.clamp(1, 200);
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT p.id, p.sku, p.name, p.unit, p.cost_fen, p.price_fen, p.models, \
             CAST(SUM(l.on_hand) AS BIGINT) AS on_hand, CAST(SUM(l.reserved) AS BIGINT) AS reserved \
             FROM parts p LEFT JOIN stock_levels l ON l.tenant_id = p.tenant_id AND l.part_id = p.id \
             WHERE p.tenant_id = $1 AND (p.sku {ilike} $2{LIKE_ESCAPE} OR p.name {ilike} $2{LIKE_ESCAPE}) \
             AND p.sku > $3 \
             GROUP BY p.id, p.sku, p.name, p.unit, p.cost_fen, p.price_fen, p.models \
             ORDER BY p.sku LIMIT $4",
            ilike = self.store.backend.ilike()
        ))
        .bind(self.tid())
        .bind(contains_pattern(q.trim()))
        .bind(after.unwrap_or(""))
        .bind(i64::try_from(limit + 1).unwrap_or(201))
        .fetch_all(&self.store.read)
        .await?;
        let more = rows.len() > limit;
        let items = rows
            .into_iter()
            .take(limit)
            .map(|r| {
                Ok(CatalogueRow {
                    part: part_of(r.part)?,
                    on_hand: r.on_hand.unwrap_or(0),
                    reserved: r.reserved.unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let next = more
            .then(|| items.last().map(|r| r.part.sku.clone()))
            .flatten();
        Ok(CataloguePage { items, next })
    }

    /// Changes a part's name, unit, cost, price and models (those who manage stock), checked
    /// as a new part is; its SKU stays. `NotFound` for no such SKU.
    pub async fn edit_part(
        &self,
        actor: &Actor,
        sku: &str,
        mut new: NewPart,
    ) -> Result<Part, StoreError> {
        if !access::allowed(actor, Permission::ManageStock) {
            return Err(StoreError::Forbidden);
        }
        new.sku = sku.to_owned();
        let p = inventory::part(&new)?;
        let changed = sqlx::query(
            "UPDATE parts SET name = $1, unit = $2, cost_fen = $3, price_fen = $4, models = $5 \
             WHERE tenant_id = $6 AND sku = $7",
        )
        .bind(&p.name)
        .bind(&p.unit)
        .bind(p.cost_fen)
        .bind(p.price_fen)
        .bind(json!(p.models).to_string())
        .bind(self.tid())
        .bind(&p.sku)
        .execute(&self.store.write)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.part_by_sku("sku", &p.sku).await
    }
}
