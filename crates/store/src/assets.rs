//! Assets (equipment at a customer's site): registering and importing them, the product
//! catalogue, and the asset card with its whole history (tickets, visits, parts consumed,
//! meter readings), its meter and its status.

use chrono::{DateTime, NaiveDate, Utc};
use loopdesk_core::asset::{self, AssetStatus, NewModel};
use loopdesk_core::customer::{self, NewAsset};
use loopdesk_core::event::EventKind;
use loopdesk_core::inventory::MovementKind;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::{access, access::Permission, AssetId, ModelId, TicketId};
use loopdesk_core::{CustomerId, SiteId};
use rand::RngCore;
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Transaction};
use utoipa::ToSchema;

use crate::error::RowError;
use crate::rows::parse_id;
use crate::{from_ms, ms, Asset, StoreError, TenantStore};

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

/// A ticket in an asset's history.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetTicket {
    /// Ticket.
    pub id: TicketId,
    /// Number.
    pub number: String,
    /// Status.
    pub status: String,
    /// Category.
    pub category: Option<String>,
    /// Subject.
    pub subject: String,
    /// Engineer.
    pub assignee_id: Option<String>,
    /// `in` or `out` of warranty when it came in.
    pub warranty: Option<String>,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last resolved.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// An on-site visit (a check-in) on one of the asset's tickets.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetVisit {
    /// Ticket.
    pub ticket_id: String,
    /// Engineer.
    pub engineer_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Parts consumed on one of the asset's tickets.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetPart {
    /// Ticket.
    pub ticket_id: String,
    /// Part.
    pub sku: String,
    /// Its name.
    pub name: String,
    /// Units.
    pub qty: i64,
    /// When.
    pub at: DateTime<Utc>,
}

/// A meter reading.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetReading {
    /// Value.
    pub value: i64,
    /// On a ticket.
    pub ticket_id: Option<String>,
    /// By.
    pub recorded_by: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Everything that happened to an asset, newest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetHistory {
    /// Tickets on it (maintenance included).
    pub tickets: Vec<AssetTicket>,
    /// On-site visits.
    pub visits: Vec<AssetVisit>,
    /// Parts consumed.
    pub parts: Vec<AssetPart>,
    /// Meter readings.
    pub readings: Vec<AssetReading>,
}

/// The asset card.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetCard {
    /// The asset.
    #[serde(flatten)]
    pub asset: Asset,
    /// `in` or `out` of warranty today (none: no warranty date known).
    pub warranty: Option<String>,
    /// Its model in the catalogue, when there.
    pub product: Option<ProductModel>,
    /// Its history.
    pub history: AssetHistory,
}

type ModelRow = (
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    String,
);

const MODEL_COLUMNS: &str =
    "id, code, name, product_line, warranty_months, skill, skill_level, checklist";

fn model_of(r: ModelRow) -> Result<ProductModel, StoreError> {
    Ok(ProductModel {
        id: parse_id(&r.0, ModelId::parse)?,
        code: r.1,
        name: r.2,
        product_line: r.3,
        warranty_months: r.4,
        skill: r.5,
        skill_level: r.6,
        checklist: serde_json::from_str(&r.7).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
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
        Ok(ProductModel {
            id,
            code: m.code,
            name: m.name,
            product_line: m.product_line,
            warranty_months: m.warranty_months,
            skill: m.skill,
            skill_level: m.skill_level,
            checklist: m.checklist,
        })
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

    /// An asset the caller may see (else `NotFound`).
    pub async fn visible_asset(&self, actor: &Actor, id: AssetId) -> Result<Asset, StoreError> {
        let a = self.asset(id).await?;
        if !access::sees_asset(actor, a.customer_id) {
            return Err(StoreError::NotFound);
        }
        Ok(a)
    }

    /// The asset whose QR label carries `token`, if the caller may see it.
    pub async fn asset_by_token(&self, actor: &Actor, token: &str) -> Result<Asset, StoreError> {
        let token = token.trim();
        if token.len() != 32 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound);
        }
        let a = self
            .assets_where("qr_token", token)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)?;
        if !access::sees_asset(actor, a.customer_id) {
            return Err(StoreError::NotFound);
        }
        Ok(a)
    }

    /// The asset card: the asset, its warranty today (the tenant's local date), its model and its whole history.
    /// A customer sees only their own assets' tickets; staff and engineers all of them.
    pub async fn asset_card(
        &self,
        actor: &Actor,
        id: AssetId,
        now: DateTime<Utc>,
    ) -> Result<AssetCard, StoreError> {
        let a = self.visible_asset(actor, id).await?;
        let today = now
            .with_timezone(&self.settings().await?.offset)
            .date_naive();
        let aid = a.id.to_string();
        type TicketRow = (
            String,
            String,
            String,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            i64,
            Option<i64>,
        );
        let tickets: Vec<TicketRow> = sqlx::query_as(
            "SELECT id, number, status, category, subject, assignee_id, warranty, created_at, resolved_at \
             FROM tickets WHERE tenant_id = $1 AND asset_id = $2 ORDER BY created_at DESC, id DESC LIMIT 500",
        )
        .bind(self.tid())
        .bind(&aid)
        .fetch_all(&self.store.read)
        .await?;
        let visits: Vec<(String, Option<String>, i64)> = sqlx::query_as(
            "SELECT e.ticket_id, e.actor_id, e.at FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
             WHERE t.tenant_id = $1 AND t.asset_id = $2 AND e.tenant_id = $1 AND e.kind = $3 \
             ORDER BY e.at DESC LIMIT 500",
        )
        .bind(self.tid())
        .bind(&aid)
        .bind(EventKind::CheckIn.as_str())
        .fetch_all(&self.store.read)
        .await?;
        let parts: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT m.ticket_id, p.sku, p.name, m.on_hand_delta, m.at FROM stock_movements m \
             JOIN parts p ON p.id = m.part_id JOIN tickets t ON t.id = m.ticket_id \
             WHERE t.tenant_id = $1 AND t.asset_id = $2 AND m.tenant_id = $1 AND m.kind = $3 \
             ORDER BY m.seq DESC LIMIT 500",
        )
        .bind(self.tid())
        .bind(&aid)
        .bind(MovementKind::Consume.as_str())
        .fetch_all(&self.store.read)
        .await?;
        let readings: Vec<(i64, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT value, ticket_id, recorded_by, at FROM asset_readings \
             WHERE tenant_id = $1 AND asset_id = $2 ORDER BY at DESC, id DESC LIMIT 500",
        )
        .bind(self.tid())
        .bind(&aid)
        .fetch_all(&self.store.read)
        .await?;
        let until = a
            .warranty_until
            .as_deref()
            .and_then(|d| d.parse::<chrono::NaiveDate>().ok());
        let product = self.model_by_code(&a.model).await?;
        Ok(AssetCard {
            warranty: asset::warranty_on(until, today).map(|w| w.as_str().to_owned()),
            product,
            history: AssetHistory {
                tickets: tickets
                    .into_iter()
                    .map(|r| {
                        Ok(AssetTicket {
                            id: parse_id(&r.0, TicketId::parse)?,
                            number: r.1,
                            status: r.2,
                            category: r.3,
                            subject: r.4,
                            assignee_id: r.5,
                            warranty: r.6,
                            created_at: from_ms(r.7),
                            resolved_at: r.8.map(from_ms),
                        })
                    })
                    .collect::<Result<_, StoreError>>()?,
                visits: visits
                    .into_iter()
                    .map(|(ticket_id, engineer_id, at)| AssetVisit {
                        ticket_id,
                        engineer_id,
                        at: from_ms(at),
                    })
                    .collect(),
                parts: parts
                    .into_iter()
                    .map(|(ticket_id, sku, name, delta, at)| AssetPart {
                        ticket_id,
                        sku,
                        name,
                        qty: -delta,
                        at: from_ms(at),
                    })
                    .collect(),
                readings: readings
                    .into_iter()
                    .map(|(value, ticket_id, recorded_by, at)| AssetReading {
                        value,
                        ticket_id,
                        recorded_by,
                        at: from_ms(at),
                    })
                    .collect(),
            },
            asset: a,
        })
    }

    /// Records a meter reading (staff and engineers; never lower than the last one) and
    /// keeps it as the asset's meter.
    pub async fn record_reading(
        &self,
        actor: &Actor,
        id: AssetId,
        value: i64,
        ticket: Option<TicketId>,
        now: DateTime<Utc>,
    ) -> Result<Asset, StoreError> {
        if !(access::allowed(actor, Permission::WriteCustomers)
            || actor.has(loopdesk_core::Role::Engineer))
        {
            return Err(StoreError::Forbidden);
        }
        self.visible_asset(actor, id).await?;
        let mut tx = self.store.write.begin().await?;
        if let Some(t) = ticket {
            self.require_visible_ticket(&mut tx, actor, t).await?;
        }
        let last: Option<Option<i64>> = sqlx::query_scalar(&format!(
            "SELECT meter FROM assets WHERE tenant_id = $1 AND id = $2{}",
            self.store.backend.for_update()
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let value = asset::reading(value, last.flatten())?;
        sqlx::query(
            "INSERT INTO asset_readings (id, tenant_id, asset_id, value, ticket_id, recorded_by, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(self.tid())
        .bind(id.to_string())
        .bind(value)
        .bind(ticket.map(|t| t.to_string()))
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE assets SET meter = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(value)
            .bind(self.tid())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.asset(id).await
    }

    /// Changes an asset's status (those who edit customers).
    pub async fn set_asset_status(
        &self,
        actor: &Actor,
        id: AssetId,
        status: &str,
    ) -> Result<Asset, StoreError> {
        if !access::allowed(actor, Permission::WriteCustomers) {
            return Err(StoreError::Forbidden);
        }
        let status =
            AssetStatus::parse(status.trim()).ok_or(loopdesk_core::validate::FieldError {
                field: "status",
                reason: "error.invalid_value",
            })?;
        self.visible_asset(actor, id).await?;
        sqlx::query("UPDATE assets SET status = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(status.as_str())
            .bind(self.tid())
            .bind(id.to_string())
            .execute(&self.store.write)
            .await?;
        self.asset(id).await
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
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT code, name, required_fields, requires_review FROM categories WHERE tenant_id = $1 ORDER BY name",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|(code, name, fields, review)| {
                Ok(Category {
                    code,
                    name,
                    required_fields: serde_json::from_str(&fields)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    requires_review: review != 0,
                })
            })
            .collect()
    }
}

#[derive(sqlx::FromRow)]
struct AssetRow {
    id: String,
    customer_id: String,
    site_id: String,
    model: String,
    serial: String,
    installed_on: Option<String>,
    warranty_until: Option<String>,
    qr_token: String,
    status: String,
    meter: Option<i64>,
    fields: String,
}

/// One row of an asset import as read: the asset and its status, or why the row cannot be read.
pub type ImportRow = Result<(NewAsset, Option<AssetStatus>), FieldError>;

/// An asset checked and ready to insert.
struct CheckedAsset {
    id: AssetId,
    customer_id: CustomerId,
    site_id: SiteId,
    model: String,
    serial: String,
    installed_on: Option<String>,
    warranty_until: Option<String>,
    fields: serde_json::Value,
    status: AssetStatus,
}

impl TenantStore {
    /// Registers an asset at a customer's site, with an unguessable QR token.
    pub async fn create_asset(
        &self,
        new: NewAsset,
        now: DateTime<Utc>,
    ) -> Result<Asset, StoreError> {
        let a = self.check_asset(new, None).await?;
        let mut tx = self.store.write.begin().await?;
        self.insert_asset(&mut tx, &a, now).await?;
        tx.commit().await?;
        self.asset(a.id).await
    }

    /// Imports assets, all or none: every row is checked as `create_asset` checks one (and
    /// a serial number twice in the file is refused too); when any fails, nothing is written
    /// and the answer names each failing row (the sheet's row: the header is row 1) with its
    /// field and reason. Answers how many were imported.
    pub async fn import_assets(
        &self,
        actor: &Actor,
        rows: Vec<(usize, ImportRow)>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        if !access::allowed(actor, Permission::WriteCustomers) {
            return Err(StoreError::Forbidden);
        }
        if rows.len() > asset::MAX_IMPORT_ROWS {
            return Err(FieldError {
                field: "file",
                reason: "error.too_many_rows",
            }
            .into());
        }
        let mut checked = Vec::with_capacity(rows.len());
        let mut errors = Vec::new();
        let mut serials = std::collections::HashSet::new();
        for (row, parsed) in rows {
            let result = match parsed {
                Ok((new, status)) => self.check_asset(new, status).await,
                Err(e) => Err(e.into()),
            };
            let failure = match result {
                Ok(a) if !serials.insert(a.serial.clone()) => Some(FieldError {
                    field: "serial",
                    reason: "error.duplicate",
                }),
                Ok(a) => {
                    let taken: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM assets WHERE tenant_id = $1 AND serial = $2",
                    )
                    .bind(self.tid())
                    .bind(&a.serial)
                    .fetch_one(&self.store.read)
                    .await?;
                    if taken > 0 {
                        Some(FieldError {
                            field: "serial",
                            reason: "error.conflict",
                        })
                    } else {
                        checked.push(a);
                        None
                    }
                }
                Err(StoreError::Invalid(e)) => Some(e),
                Err(e) => return Err(e),
            };
            if let Some(e) = failure {
                errors.push(RowError {
                    row,
                    field: e.field,
                    reason: e.reason,
                });
            }
        }
        if !errors.is_empty() {
            errors.truncate(100);
            return Err(StoreError::Rows(errors));
        }
        let mut tx = self.store.write.begin().await?;
        for a in &checked {
            self.insert_asset(&mut tx, a, now).await?;
        }
        tx.commit().await?;
        Ok(checked.len())
    }

    /// Every asset (of one customer when given) the caller may see, by serial number.
    pub async fn assets_list(
        &self,
        actor: &Actor,
        customer: Option<CustomerId>,
    ) -> Result<Vec<Asset>, StoreError> {
        match (access::customer_scope(actor), customer) {
            (None, _) => Err(StoreError::Forbidden),
            (Some(Some(own)), Some(c)) if own != c => Ok(Vec::new()),
            (Some(Some(own)), _) | (Some(None), Some(own)) => {
                let mut v = self.assets_where("customer_id", &own.to_string()).await?;
                v.sort_by(|a, b| a.serial.cmp(&b.serial));
                Ok(v)
            }
            (Some(None), None) => {
                let mut v = self.assets_where("tenant_id", &self.tid()).await?;
                v.sort_by(|a, b| a.serial.cmp(&b.serial));
                Ok(v)
            }
        }
    }

    /// Checks an asset to register: its text, dates and free fields, its customer, its
    /// site (the customer's), and its warranty (the model's default from installation).
    async fn check_asset(
        &self,
        new: NewAsset,
        status: Option<AssetStatus>,
    ) -> Result<CheckedAsset, StoreError> {
        let model = validate::required_text("model", &new.model, validate::MAX_NAME)?;
        let serial = validate::required_text("serial", &new.serial, 100)?;
        let installed_on = customer::date("installed_on", new.installed_on.as_deref())?;
        let warranty_until = customer::date("warranty_until", new.warranty_until.as_deref())?;
        let fields = customer::asset_fields(new.fields.as_ref())?;
        let months: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT warranty_months FROM product_models WHERE tenant_id = $1 AND code = $2",
        )
        .bind(self.tid())
        .bind(&model)
        .fetch_optional(&self.store.read)
        .await?;
        let day = |d: &Option<String>| d.as_deref().and_then(|d| d.parse::<NaiveDate>().ok());
        let warranty_until =
            asset::default_warranty(day(&warranty_until), day(&installed_on), months.flatten())
                .map(|d| d.to_string());
        self.require("customers", &new.customer_id.to_string(), "customer_id")
            .await?;
        let owner: Option<String> =
            sqlx::query_scalar("SELECT customer_id FROM sites WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(new.site_id.to_string())
                .fetch_optional(&self.store.read)
                .await?;
        if owner.as_deref() != Some(new.customer_id.to_string().as_str()) {
            return Err(FieldError {
                field: "site_id",
                reason: "error.unknown_id",
            }
            .into());
        }
        Ok(CheckedAsset {
            id: AssetId::new(),
            customer_id: new.customer_id,
            site_id: new.site_id,
            model,
            serial,
            installed_on,
            warranty_until,
            fields,
            status: status.unwrap_or_default(),
        })
    }

    async fn insert_asset(
        &self,
        tx: &mut Transaction<'_, Any>,
        a: &CheckedAsset,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut raw = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        sqlx::query(
            "INSERT INTO assets (id, tenant_id, customer_id, site_id, model, serial, installed_on, warranty_until, \
             qr_token, created_at, fields, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(a.id.to_string())
        .bind(self.tid())
        .bind(a.customer_id.to_string())
        .bind(a.site_id.to_string())
        .bind(&a.model)
        .bind(&a.serial)
        .bind(&a.installed_on)
        .bind(&a.warranty_until)
        .bind(hex::encode(raw))
        .bind(ms(now))
        .bind(a.fields.to_string())
        .bind(a.status.as_str())
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::on_unique(e, "serial"))?;
        Ok(())
    }

    /// One asset.
    pub async fn asset(&self, id: AssetId) -> Result<Asset, StoreError> {
        let rows = self.assets_where("id", &id.to_string()).await?;
        rows.into_iter().next().ok_or(StoreError::NotFound)
    }

    pub(crate) async fn assets_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Vec<Asset>, StoreError> {
        let sql = format!(
            "SELECT id, customer_id, site_id, model, serial, installed_on, warranty_until, qr_token, \
             status, meter, fields FROM assets WHERE tenant_id = $1 AND {column} = $2 ORDER BY created_at, id"
        );
        let rows: Vec<AssetRow> = sqlx::query_as(&sql)
            .bind(self.tid())
            .bind(value)
            .fetch_all(&self.store.read)
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Asset {
                    id: parse_id(&r.id, AssetId::parse)?,
                    customer_id: parse_id(&r.customer_id, CustomerId::parse)?,
                    site_id: parse_id(&r.site_id, SiteId::parse)?,
                    model: r.model,
                    serial: r.serial,
                    installed_on: r.installed_on,
                    warranty_until: r.warranty_until,
                    qr_token: r.qr_token,
                    status: AssetStatus::parse(&r.status)
                        .ok_or_else(|| StoreError::Corrupt(format!("asset status {}", r.status)))?,
                    meter: r.meter,
                    fields: serde_json::from_str(&r.fields)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }
}
