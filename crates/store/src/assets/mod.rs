//! Assets (equipment at a customer's site): registering and importing them, the product
//! catalogue, and the asset card with its whole history (tickets, visits, parts consumed,
//! meter readings), its meter and its status.

use chrono::{DateTime, NaiveDate, Utc};
use loopdesk_core::asset::{self, AssetStatus};
use loopdesk_core::customer::{self, NewAsset};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::{access, access::Permission, AssetId};
use loopdesk_core::{CustomerId, SiteId};
use rand::RngCore;
use sqlx::{Any, Transaction};

use crate::error::RowError;
use crate::rows::parse_id;
use crate::search::index;
use crate::{ms, Asset, StoreError, TenantStore};
use loopdesk_core::search::Kind;

mod catalogue;

pub use card::{AssetCard, AssetHistory, AssetPart, AssetReading, AssetTicket, AssetVisit};
pub use catalogue::{Category, ProductModel};
mod card;
mod edit;
pub use edit::AssetMove;

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
    version: i64,
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
        let owner: Option<String> = sqlx::query_scalar(
            "SELECT customer_id FROM sites WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL",
        )
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
        index::refresh(tx, &self.tid(), Kind::Asset, &[a.id.to_string()]).await
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
             status, meter, fields, version FROM assets WHERE tenant_id = $1 AND {column} = $2 ORDER BY created_at, id"
        );
        let rows: Vec<AssetRow> = sqlx::query_as(&sql)
            .bind(self.tid())
            .bind(value)
            .fetch_all(&self.store.read)
            .await?;
        rows.into_iter().map(AssetRow::model).collect()
    }

    /// A page of the equipment list (staff), by serial number: `q` is part of a serial, a
    /// model or the customer's name; `status` one of the asset statuses; `customer` one
    /// customer's; `after` the last serial of the page before.
    pub async fn asset_page(
        &self,
        actor: &Actor,
        q: &str,
        status: Option<AssetStatus>,
        customer: Option<CustomerId>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<AssetPage, StoreError> {
        if access::customer_scope(actor) != Some(None) {
            return Err(StoreError::Forbidden);
        }
        let limit = limit.clamp(1, 200);
        let mut sql = crate::sql::Sql::new(
            "SELECT a.id, a.customer_id, a.site_id, a.model, a.serial, a.installed_on, a.warranty_until, \
             a.qr_token, a.status, a.meter, a.fields, a.version, c.name AS customer_name, s.name AS site_name \
             FROM assets a JOIN customers c ON c.tenant_id = a.tenant_id AND c.id = a.customer_id \
             JOIN sites s ON s.tenant_id = a.tenant_id AND s.id = a.site_id WHERE a.tenant_id = ",
        );
        sql.text(self.tid());
        let q = q.trim();
        if !q.is_empty() {
            let like = self.store.backend.ilike();
            let p = crate::dialect::contains_pattern(q);
            sql.push(&format!(" AND (a.serial {like} "))
                .text(p.clone())
                .push(crate::dialect::LIKE_ESCAPE)
                .push(&format!(" OR a.model {like} "))
                .text(p.clone())
                .push(crate::dialect::LIKE_ESCAPE)
                .push(&format!(" OR c.name {like} "))
                .text(p)
                .push(crate::dialect::LIKE_ESCAPE)
                .push(")");
        }
        if let Some(s) = status {
            sql.push(" AND a.status = ").text(s.as_str());
        }
        if let Some(c) = customer {
            sql.push(" AND a.customer_id = ").text(c.to_string());
        }
        if let Some(after) = after {
            sql.push(" AND a.serial > ").text(after);
        }
        sql.push(" ORDER BY a.serial LIMIT ").int(limit as i64 + 1);
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            asset: AssetRow,
            customer_name: String,
            site_name: String,
        }
        let rows: Vec<Row> = sql.query_as().fetch_all(&self.store.read).await?;
        let more = rows.len() > limit;
        let items = rows
            .into_iter()
            .take(limit)
            .map(|r| {
                Ok(AssetListItem {
                    asset: r.asset.model()?,
                    customer_name: r.customer_name,
                    site_name: r.site_name,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let next = if more {
            items.last().map(|i| i.asset.serial.clone())
        } else {
            None
        };
        Ok(AssetPage { items, next })
    }
}

/// A row of the equipment list.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AssetListItem {
    /// The asset.
    #[serde(flatten)]
    pub asset: Asset,
    /// Its customer's name.
    pub customer_name: String,
    /// Its site's name.
    pub site_name: String,
}

/// A page of the equipment list.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AssetPage {
    /// By serial number.
    pub items: Vec<AssetListItem>,
    /// The serial to pass as `after` for the next page; none on the last.
    pub next: Option<String>,
}

impl AssetRow {
    fn model(self) -> Result<Asset, StoreError> {
        Ok(Asset {
            id: parse_id(&self.id, AssetId::parse)?,
            customer_id: parse_id(&self.customer_id, CustomerId::parse)?,
            site_id: parse_id(&self.site_id, SiteId::parse)?,
            model: self.model,
            serial: self.serial,
            installed_on: self.installed_on,
            warranty_until: self.warranty_until,
            qr_token: self.qr_token,
            status: AssetStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("asset status {}", self.status)))?,
            meter: self.meter,
            fields: serde_json::from_str(&self.fields)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            version: self.version,
        })
    }
}
