//! The product catalogue (models with their skill, warranty and checklist) and ticket
//! categories.

use crate::rows::parse_id;
use crate::{ms, StoreError, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::asset::{self, NewModel};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{access, access::Permission, ModelId};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A product model in the catalogue.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProductModel {
    /// Id.
    pub id: ModelId,
    /// Model code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Product line.
    pub product_line: Option<String>,
    /// Default warranty, in months from installation.
    pub warranty_months: Option<i64>,
    /// Skill a repair needs.
    pub skill: Option<String>,
    /// Its minimum level.
    pub skill_level: Option<i64>,
    /// Default checklist.
    pub checklist: Vec<String>,
}

/// A stored product model ([`MODEL_COLUMNS`]).
#[derive(sqlx::FromRow)]
pub(crate) struct ModelRow {
    id: String,
    code: String,
    name: String,
    product_line: Option<String>,
    warranty_months: Option<i64>,
    skill: Option<String>,
    skill_level: Option<i64>,
    checklist: String,
}

pub(crate) const MODEL_COLUMNS: &str =
    "id, code, name, product_line, warranty_months, skill, skill_level, checklist";

pub(crate) fn model_of(r: ModelRow) -> Result<ProductModel, StoreError> {
    Ok(ProductModel {
        id: parse_id(&r.id, ModelId::parse)?,
        code: r.code,
        name: r.name,
        product_line: r.product_line,
        warranty_months: r.warranty_months,
        skill: r.skill,
        skill_level: r.skill_level,
        checklist: serde_json::from_str(&r.checklist)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

/// A checked model as stored under `id`.
fn stored(id: ModelId, m: NewModel) -> ProductModel {
    ProductModel {
        id,
        code: m.code,
        name: m.name,
        product_line: m.product_line,
        warranty_months: m.warranty_months,
        skill: m.skill,
        skill_level: m.skill_level,
        checklist: m.checklist,
    }
}

/// A request category.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Category {
    /// Code.
    pub code: String,
    /// Name shown.
    pub name: String,
    /// Fields a request of it must fill in.
    pub required_fields: Vec<String>,
    /// Every report on it goes to review.
    pub requires_review: bool,
}

impl TenantStore {
    /// Adds a model to the catalogue (admins).
    pub async fn create_model(
        &self,
        actor: &Actor,
        new: NewModel,
        now: DateTime<Utc>,
    ) -> Result<ProductModel, StoreError> {
        if !access::allowed(actor, Permission::ManageOrganisation) {
            return Err(StoreError::Forbidden);
        }
        let m = asset::model(&new)?;
        let id = ModelId::new();
        sqlx::query(&format!(
            "INSERT INTO product_models ({MODEL_COLUMNS}, tenant_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(id.to_string())
        .bind(&m.code)
        .bind(&m.name)
        .bind(&m.product_line)
        .bind(m.warranty_months)
        .bind(&m.skill)
        .bind(m.skill_level)
        .bind(json!(m.checklist).to_string())
        .bind(self.tid())
        .bind(ms(now))
        .execute(&self.store.write)
        .await
        .map_err(|e| StoreError::on_unique(e, "code"))?;
        Ok(stored(id, m))
    }

    /// The catalogue, by product line and code.
    pub async fn models(&self) -> Result<Vec<ProductModel>, StoreError> {
        let rows: Vec<ModelRow> = sqlx::query_as(&format!(
            "SELECT {MODEL_COLUMNS} FROM product_models WHERE tenant_id = $1 ORDER BY product_line, code"
        ))
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter().map(model_of).collect()
    }

    /// Changes a model (admins): everything but its code, which assets name it by; checked as
    /// a new model is. Answers the model.
    pub async fn edit_model(
        &self,
        actor: &Actor,
        id: ModelId,
        change: NewModel,
    ) -> Result<ProductModel, StoreError> {
        if !access::allowed(actor, Permission::ManageOrganisation) {
            return Err(StoreError::Forbidden);
        }
        let row: Option<ModelRow> = sqlx::query_as(&format!(
            "SELECT {MODEL_COLUMNS} FROM product_models WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        let current = model_of(row.ok_or(StoreError::NotFound)?)?;
        let m = asset::model(&NewModel {
            code: current.code.clone(),
            ..change
        })?;
        sqlx::query(
            "UPDATE product_models SET name = $1, product_line = $2, warranty_months = $3, skill = $4, \
             skill_level = $5, checklist = $6 WHERE tenant_id = $7 AND id = $8",
        )
        .bind(&m.name)
        .bind(&m.product_line)
        .bind(m.warranty_months)
        .bind(&m.skill)
        .bind(m.skill_level)
        .bind(json!(m.checklist).to_string())
        .bind(self.tid())
        .bind(id.to_string())
        .execute(&self.store.write)
        .await?;
        Ok(stored(id, m))
    }

    /// How many assets name each model code (of those with any).
    pub async fn assets_per_model(
        &self,
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT model, COUNT(*) FROM assets WHERE tenant_id = $1 GROUP BY model",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// A model by its code.
    pub async fn model_by_code(&self, code: &str) -> Result<Option<ProductModel>, StoreError> {
        let row: Option<ModelRow> = sqlx::query_as(&format!(
            "SELECT {MODEL_COLUMNS} FROM product_models WHERE tenant_id = $1 AND code = $2"
        ))
        .bind(self.tid())
        .bind(code)
        .fetch_optional(&self.store.read)
        .await?;
        row.map(model_of).transpose()
    }

    /// The checklist a job comes with: a maintenance order's own, else its asset's model's.
    pub async fn job_checklist(&self, tk: &crate::Ticket) -> Result<Vec<String>, StoreError> {
        if let Some(items) = tk.fields.get("checklist").and_then(|c| c.as_array()) {
            return Ok(items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect());
        }
        let Some(asset) = tk.asset_id else {
            return Ok(Vec::new());
        };
        let model = self.asset(asset).await?.model;
        Ok(self
            .model_by_code(&model)
            .await?
            .map(|m| m.checklist)
            .unwrap_or_default())
    }

    /// Adds a request category (admins).
    pub async fn create_category(
        &self,
        actor: &Actor,
        new: loopdesk_core::intake::NewCategory,
        now: DateTime<Utc>,
    ) -> Result<Category, StoreError> {
        if !access::allowed(actor, Permission::ManageOrganisation) {
            return Err(StoreError::Forbidden);
        }
        let c = loopdesk_core::intake::category(&new)?;
        sqlx::query(
            "INSERT INTO categories (id, tenant_id, code, name, required_fields, requires_review, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(self.tid())
        .bind(&c.code)
        .bind(&c.name)
        .bind(json!(c.required_fields).to_string())
        .bind(i64::from(c.requires_review))
        .bind(ms(now))
        .execute(&self.store.write)
        .await
        .map_err(|e| StoreError::on_unique(e, "code"))?;
        Ok(Category {
            code: c.code,
            name: c.name,
            required_fields: c.required_fields,
            requires_review: c.requires_review,
        })
    }

    /// The tenant's request categories, by name.
    pub async fn categories(&self) -> Result<Vec<Category>, StoreError> {
        let rows: Vec<CategoryRow> = sqlx::query_as(
            "SELECT code, name, required_fields, requires_review FROM categories WHERE tenant_id = $1 ORDER BY name",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Category {
                    code: r.code,
                    name: r.name,
                    required_fields: serde_json::from_str(&r.required_fields)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    requires_review: r.requires_review != 0,
                })
            })
            .collect()
    }

    /// The names of the tenant's categories by code (to show a code as its name).
    pub async fn category_names(
        &self,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        Ok(self
            .categories()
            .await?
            .into_iter()
            .map(|c| (c.code, c.name))
            .collect())
    }
}

/// A stored category.
#[derive(sqlx::FromRow)]
struct CategoryRow {
    code: String,
    name: String,
    required_fields: String,
    requires_review: i64,
}
