//! Customers with their contacts and sites; finding a caller by phone number; the customer
//! card.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self};
use loopdesk_core::customer::{self, CustomerEdit, NewContact, NewCustomer, NewSite};
use loopdesk_core::ticket::views::{Sort, SortKey};
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::{self};
use loopdesk_core::{ContactId, CustomerId, RegionId, SiteId};
use serde::Serialize;
use sqlx::{Any, Transaction};
use utoipa::ToSchema;

use crate::dialect::{contains_pattern, LIKE_ESCAPE};
use crate::rows::{parse_id, parse_opt_id};
use crate::search::index;
use crate::sql::{Arg, Sql};
use crate::tickets::TicketFilter;
use crate::{
    from_ms, ms, Contact, Customer, CustomerDetail, Site, Store, StoreError, TenantStore, Ticket,
};
use loopdesk_core::followup::{self, Recipient};
use loopdesk_core::i18n::Lang;
use loopdesk_core::search::Kind;
use loopdesk_core::TenantId;

/// A new customer whose fields, contacts and sites passed their checks.
pub(crate) struct CheckedCustomer {
    name: String,
    kind: &'static str,
    tier: String,
    region_id: Option<RegionId>,
    tags: String,
    contacts: Vec<customer::ValidContact>,
    sites: Vec<NewSite>,
}

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: String,
    name: String,
    kind: String,
    tier: String,
    region_id: Option<String>,
    tags: String,
    created_at: i64,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: String,
    customer_id: String,
    name: String,
    phone: Option<String>,
    email: Option<String>,
    wechat_id: Option<String>,
    notify_channel: String,
    lang: String,
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: String,
    name: String,
    address: String,
    lat: Option<f64>,
    lon: Option<f64>,
    region_id: Option<String>,
    geofence_m: f64,
}

impl CustomerRow {
    fn model(self, contacts: Vec<Contact>) -> Result<Customer, StoreError> {
        Ok(Customer {
            id: parse_id(&self.id, CustomerId::parse)?,
            name: self.name,
            kind: self.kind,
            tier: self.tier,
            region_id: parse_opt_id(self.region_id, RegionId::parse)?,
            tags: serde_json::from_str(&self.tags)
                .map_err(|_| StoreError::Corrupt("customer tags".into()))?,
            created_at: from_ms(self.created_at),
            version: self.version,
            contacts,
        })
    }
}

fn contact_model(r: ContactRow) -> Result<Contact, StoreError> {
    Ok(Contact {
        id: parse_id(&r.id, ContactId::parse)?,
        name: r.name,
        phone: r.phone,
        email: r.email,
        wechat_id: r.wechat_id,
        notify_channel: r.notify_channel,
        lang: r.lang,
    })
}

/// How the customer list is cut: `q` is part of a name (the customer's or a contact's), an
/// e-mail, or a phone number in any spelling; then tier, region and tag; keyset paging by
/// name after the customer `after`.
#[derive(Clone, Debug, Default)]
pub struct CustomerFilter {
    /// Text typed into the search box.
    pub q: String,
    /// Only this tier.
    pub tier: Option<String>,
    /// Only this region.
    pub region_id: Option<RegionId>,
    /// Only customers carrying this tag.
    pub tag: Option<String>,
    /// The page after this customer.
    pub after: Option<CustomerId>,
    /// Rows per page (1–200; 50 when 0).
    pub limit: usize,
}

/// A row of the customer list: the customer with their contacts, and what the list shows
/// beside them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CustomerSummary {
    /// The customer and contacts.
    #[serde(flatten)]
    pub customer: Customer,
    /// The region's name.
    pub region_name: Option<String>,
    /// How many of their tickets are open.
    pub open_tickets: i64,
}

/// A page of the customer list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CustomerPage {
    /// Customers, by name.
    pub items: Vec<CustomerSummary>,
    /// Pass as `after` for the next page; none on the last.
    pub next: Option<CustomerId>,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    #[sqlx(flatten)]
    customer: CustomerRow,
    region_name: Option<String>,
    open_tickets: i64,
}

impl TenantStore {
    /// Creates a customer with its contacts and sites, all or nothing.
    pub async fn create_customer(
        &self,
        new: NewCustomer,
        now: DateTime<Utc>,
    ) -> Result<CustomerId, StoreError> {
        let checked = self.check_customer(&new).await?;
        let mut tx = self.store.write.begin().await?;
        let id = self.insert_customer(&mut tx, checked, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A new customer checked (its fields, contacts, sites and regions), not yet stored.
    pub(crate) async fn check_customer(
        &self,
        new: &NewCustomer,
    ) -> Result<CheckedCustomer, StoreError> {
        let name = validate::required_text("name", &new.name, validate::MAX_NAME)?;
        let kind = customer::kind(new.kind.as_deref())?;
        let tier = customer::tier(new.tier.as_deref())?;
        let tags = serde_json::to_string(&customer::tags(&new.tags)?)
            .map_err(|_| StoreError::Corrupt("customer tags".into()))?;
        let contacts = new
            .contacts
            .iter()
            .map(customer::contact)
            .collect::<Result<Vec<_>, _>>()?;
        let drawn = if new.sites.iter().any(|s| s.lat.is_some()) {
            self.drawn_regions().await?
        } else {
            Vec::new()
        };
        let sites = new
            .sites
            .iter()
            .map(|s| customer::site(&crate::users::placed(s.clone(), &drawn), new.region_id))
            .collect::<Result<Vec<_>, _>>()?;
        for r in new
            .region_id
            .iter()
            .chain(sites.iter().filter_map(|s| s.region_id.as_ref()))
        {
            self.require("regions", &r.to_string(), "region_id").await?;
        }
        Ok(CheckedCustomer {
            name,
            kind,
            tier,
            region_id: new.region_id,
            tags,
            contacts,
            sites,
        })
    }

    /// Stores a checked customer with its contacts and sites in `tx`, and its search document.
    pub(crate) async fn insert_customer(
        &self,
        tx: &mut Transaction<'_, Any>,
        c: CheckedCustomer,
        now: DateTime<Utc>,
    ) -> Result<CustomerId, StoreError> {
        let id = CustomerId::new();
        sqlx::query(
            "INSERT INTO customers (id, tenant_id, name, kind, tier, region_id, tags, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&c.name)
        .bind(c.kind)
        .bind(&c.tier)
        .bind(c.region_id.map(|r| r.to_string()))
        .bind(c.tags)
        .bind(ms(now))
        .execute(&mut **tx)
        .await?;
        for k in c.contacts {
            self.insert_contact(tx, id, k, now).await?;
        }
        for s in c.sites {
            self.insert_site(tx, id, s, now).await?;
        }
        index::refresh(tx, &self.tid(), Kind::Customer, &[id.to_string()]).await?;
        Ok(id)
    }

    pub(crate) async fn insert_contact(
        &self,
        tx: &mut Transaction<'_, Any>,
        customer: CustomerId,
        c: customer::ValidContact,
        now: DateTime<Utc>,
    ) -> Result<ContactId, StoreError> {
        let id = ContactId::new();
        sqlx::query(
            "INSERT INTO contacts (id, tenant_id, customer_id, name, phone, email, wechat_id, notify_channel, lang, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(customer.to_string())
        .bind(c.name)
        .bind(c.phone)
        .bind(c.email)
        .bind(c.wechat_id)
        .bind(c.channel.as_str())
        .bind(c.lang.tag())
        .bind(ms(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub(crate) async fn insert_site(
        &self,
        tx: &mut Transaction<'_, Any>,
        customer: CustomerId,
        s: NewSite,
        now: DateTime<Utc>,
    ) -> Result<SiteId, StoreError> {
        let id = SiteId::new();
        let mut sql = Sql::new(
            "INSERT INTO sites (id, tenant_id, customer_id, name, address, lat, lon, region_id, geofence_m, created_at) VALUES (",
        );
        sql.text(id.to_string())
            .push(", ")
            .text(self.tid())
            .push(", ")
            .text(customer.to_string());
        sql.push(", ")
            .text(s.name)
            .push(", ")
            .text(s.address)
            .push(", ")
            .float_or_null(s.lat);
        sql.push(", ")
            .float_or_null(s.lon)
            .push(", ")
            .bind(Arg::Text(s.region_id.map(|r| r.to_string())));
        sql.push(", ")
            .float_or_null(Some(s.geofence_m.unwrap_or(customer::DEFAULT_GEOFENCE_M)))
            .push(", ")
            .int(ms(now))
            .push(")");
        sql.query().execute(&mut **tx).await?;
        Ok(id)
    }

    /// Adds a contact to an existing customer.
    pub async fn add_contact(
        &self,
        customer: CustomerId,
        c: NewContact,
        now: DateTime<Utc>,
    ) -> Result<ContactId, StoreError> {
        let c = customer::contact(&c)?;
        self.require("customers", &customer.to_string(), "customer_id")
            .await?;
        let mut tx = self.store.write.begin().await?;
        let id = self.insert_contact(&mut tx, customer, c, now).await?;
        index::refresh(
            &mut tx,
            &self.tid(),
            Kind::Customer,
            &[customer.to_string()],
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces a contact's details (name, phone, e-mail, WeChat id, how and in which
    /// language they hear from us), checked as a new one is.
    pub async fn update_contact(
        &self,
        customer: CustomerId,
        contact: ContactId,
        c: NewContact,
    ) -> Result<(), StoreError> {
        let c = customer::contact(&c)?;
        let mut tx = self.store.write.begin().await?;
        let changed = sqlx::query(
            "UPDATE contacts SET name = $1, phone = $2, email = $3, wechat_id = $4, notify_channel = $5, lang = $6 \
             WHERE tenant_id = $7 AND customer_id = $8 AND id = $9 AND removed_at IS NULL",
        )
        .bind(c.name)
        .bind(c.phone)
        .bind(c.email)
        .bind(c.wechat_id)
        .bind(c.channel.as_str())
        .bind(c.lang.tag())
        .bind(self.tid())
        .bind(customer.to_string())
        .bind(contact.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        index::refresh(
            &mut tx,
            &self.tid(),
            Kind::Customer,
            &[customer.to_string()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a site to an existing customer.
    pub async fn add_site(
        &self,
        customer: CustomerId,
        s: NewSite,
        now: DateTime<Utc>,
    ) -> Result<SiteId, StoreError> {
        let drawn = self.drawn_regions().await?;
        let s = customer::site(&crate::users::placed(s, &drawn), None)?;
        self.require("customers", &customer.to_string(), "customer_id")
            .await?;
        if let Some(r) = s.region_id {
            self.require("regions", &r.to_string(), "region_id").await?;
        }
        let mut tx = self.store.write.begin().await?;
        let id = self.insert_site(&mut tx, customer, s, now).await?;
        index::refresh(
            &mut tx,
            &self.tid(),
            Kind::Customer,
            &[customer.to_string()],
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A page of the customer list (staff; a customer sees only themselves).
    pub async fn customer_page(
        &self,
        actor: &Actor,
        f: &CustomerFilter,
    ) -> Result<CustomerPage, StoreError> {
        let only = access::customer_scope(actor).ok_or(StoreError::Forbidden)?;
        let limit = if f.limit == 0 { 50 } else { f.limit.min(200) };
        let open = loopdesk_core::Status::OPEN
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = Sql::new(&format!(
            "SELECT c.id, c.name, c.kind, c.tier, c.region_id, c.tags, c.created_at, c.version, \
             r.name AS region_name, (SELECT COUNT(*) FROM tickets t WHERE t.tenant_id = c.tenant_id AND t.customer_id = c.id \
              AND t.status IN ({open})) AS open_tickets \
             FROM customers c LEFT JOIN regions r ON r.tenant_id = c.tenant_id AND r.id = c.region_id \
             WHERE c.tenant_id = "
        ));
        sql.text(self.tid());
        if let Some(own) = only {
            sql.push(" AND c.id = ").text(own.to_string());
        }
        let q = f.q.trim();
        if !q.is_empty() {
            if let Some(phone) = validate::phone_query(q) {
                sql.push(" AND c.id IN (SELECT customer_id FROM contacts WHERE tenant_id = ")
                    .text(self.tid())
                    .push(" AND removed_at IS NULL AND phone = ")
                    .text(phone)
                    .push(")");
            } else {
                let like = self.store.backend.ilike();
                let pattern = contains_pattern(q);
                sql.push(&format!(" AND (c.name {like} "))
                    .text(pattern.clone())
                    .push(LIKE_ESCAPE)
                    .push(" OR c.id IN (SELECT customer_id FROM contacts WHERE tenant_id = ")
                    .text(self.tid())
                    .push(&format!(" AND removed_at IS NULL AND (name {like} "))
                    .text(pattern.clone())
                    .push(LIKE_ESCAPE)
                    .push(&format!(" OR email {like} "))
                    .text(pattern)
                    .push(LIKE_ESCAPE)
                    .push(")))");
            }
        }
        if let Some(tier) = f.tier.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            sql.push(" AND c.tier = ").text(tier);
        }
        if let Some(region) = f.region_id {
            sql.push(" AND c.region_id = ").text(region.to_string());
        }
        if let Some(tag) = f.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // Tags are kept as a JSON array: the tag with its quotes is one whole element.
            let quoted = serde_json::to_string(tag)
                .map_err(|_| StoreError::Corrupt("customer tag".into()))?;
            sql.push(" AND c.tags LIKE ")
                .text(contains_pattern(&quoted))
                .push(LIKE_ESCAPE);
        }
        if let Some(after) = f.after {
            sql.push(
                " AND (c.name, c.id) > (SELECT a.name, a.id FROM customers a WHERE a.tenant_id = ",
            )
            .text(self.tid())
            .push(" AND a.id = ")
            .text(after.to_string())
            .push(")");
        }
        sql.push(" ORDER BY c.name, c.id LIMIT ")
            .int(limit as i64 + 1);
        let rows: Vec<SummaryRow> = sql.query_as().fetch_all(&self.store.read).await?;
        let more = rows.len() > limit;
        let rows: Vec<SummaryRow> = rows.into_iter().take(limit).collect();
        let ids: Vec<String> = rows.iter().map(|r| r.customer.id.clone()).collect();
        let mut contacts: std::collections::HashMap<String, Vec<Contact>> = Default::default();
        if !ids.is_empty() {
            let mut sql = Sql::new(
                "SELECT id, customer_id, name, phone, email, wechat_id, notify_channel, lang FROM contacts \
                 WHERE tenant_id = ",
            );
            sql.text(self.tid())
                .push(" AND removed_at IS NULL AND ")
                .id_list("customer_id", &ids)
                .push(" ORDER BY created_at, id");
            let found: Vec<ContactRow> = sql.query_as().fetch_all(&self.store.read).await?;
            for k in found {
                let owner = k.customer_id.clone();
                contacts.entry(owner).or_default().push(contact_model(k)?);
            }
        }
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            let contacts = contacts.remove(&r.customer.id).unwrap_or_default();
            items.push(CustomerSummary {
                customer: r.customer.model(contacts)?,
                region_name: r.region_name,
                open_tickets: r.open_tickets,
            });
        }
        let next = if more {
            items.last().map(|c| c.customer.id)
        } else {
            None
        };
        Ok(CustomerPage { items, next })
    }

    /// The tiers and tags in use, for the list's filters: (tiers, tags), each sorted.
    pub async fn customer_facets(&self) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let tiers: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT tier FROM customers WHERE tenant_id = $1 ORDER BY tier",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        let lists: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT tags FROM customers WHERE tenant_id = $1 AND tags <> '[]'",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        let mut tags = std::collections::BTreeSet::new();
        for l in lists {
            let list: Vec<String> = serde_json::from_str(&l)
                .map_err(|_| StoreError::Corrupt("customer tags".into()))?;
            tags.extend(list);
        }
        Ok((tiers, tags.into_iter().collect()))
    }

    /// Changes a customer's own fields, if `version` is still the stored one (else
    /// `Stale`, nothing changed). Returns the new version.
    pub async fn edit_customer(
        &self,
        id: CustomerId,
        version: i64,
        edit: CustomerEdit,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let name = edit
            .name
            .as_deref()
            .map(|n| validate::required_text("name", n, validate::MAX_NAME))
            .transpose()?;
        let kind = edit
            .kind
            .as_deref()
            .map(|k| customer::kind(Some(k)))
            .transpose()?;
        let tier = edit
            .tier
            .as_deref()
            .map(|t| customer::tier(Some(t)))
            .transpose()?;
        let tags = edit.tags.as_deref().map(customer::tags).transpose()?;
        if let Some(Some(r)) = edit.region_id {
            self.require("regions", &r.to_string(), "region_id").await?;
        }
        let mut tx = self.store.write.begin().await?;
        let found: Option<i64> =
            sqlx::query_scalar("SELECT version FROM customers WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        match found {
            None => return Err(StoreError::NotFound),
            Some(v) if v != version => return Err(StoreError::Stale { current: v }),
            Some(_) => {}
        }
        let mut sql = Sql::new("UPDATE customers SET version = version + 1, updated_at = ");
        sql.int(ms(now));
        if let Some(name) = name {
            sql.push(", name = ").text(name);
        }
        if let Some(kind) = kind {
            sql.push(", kind = ").text(kind);
        }
        if let Some(tier) = tier {
            sql.push(", tier = ").text(tier);
        }
        if let Some(region) = edit.region_id {
            sql.push(", region_id = ")
                .bind(Arg::Text(region.map(|r| r.to_string())));
        }
        if let Some(tags) = tags {
            let json = serde_json::to_string(&tags)
                .map_err(|_| StoreError::Corrupt("customer tags".into()))?;
            sql.push(", tags = ").text(json);
        }
        sql.push(" WHERE tenant_id = ")
            .text(self.tid())
            .push(" AND id = ")
            .text(id.to_string())
            .push(" AND version = ")
            .int(version);
        let changed = sql.query().execute(&mut *tx).await?.rows_affected();
        if changed != 1 {
            // Another edit landed between the read and the write (PostgreSQL's read
            // committed); its version is at least one more.
            return Err(StoreError::Stale {
                current: version + 1,
            });
        }
        index::refresh(&mut tx, &self.tid(), Kind::Customer, &[id.to_string()]).await?;
        tx.commit().await?;
        Ok(version + 1)
    }

    /// Customers having a contact with this phone number (any spelling of it).
    pub async fn customers_by_phone(
        &self,
        phone: &str,
        only: Option<CustomerId>,
    ) -> Result<Vec<Customer>, StoreError> {
        let phone = validate::phone("phone", phone)?;
        let rows: Vec<CustomerRow> = sqlx::query_as(
            "SELECT DISTINCT c.id, c.name, c.kind, c.tier, c.region_id, c.tags, c.created_at, c.version FROM customers c \
             JOIN contacts k ON k.customer_id = c.id WHERE c.tenant_id = $1 AND k.tenant_id = $1 AND k.phone = $2 \
             AND k.removed_at IS NULL \
             ORDER BY c.name LIMIT 50",
        )
        .bind(self.tid())
        .bind(phone)
        .fetch_all(&self.store.read)
        .await?;
        self.with_contacts(rows, only).await
    }

    /// Customers whose name contains `q` (all when `q` is empty), by name.
    pub async fn customers_by_name(
        &self,
        q: &str,
        only: Option<CustomerId>,
    ) -> Result<Vec<Customer>, StoreError> {
        let sql = format!(
            "SELECT id, name, kind, tier, region_id, tags, created_at, version FROM customers \
             WHERE tenant_id = $1 AND name {} $2{LIKE_ESCAPE} ORDER BY name LIMIT 100",
            self.store.backend.ilike()
        );
        let pattern = contains_pattern(q);
        let rows: Vec<CustomerRow> = sqlx::query_as(&sql)
            .bind(self.tid())
            .bind(pattern)
            .fetch_all(&self.store.read)
            .await?;
        self.with_contacts(rows, only).await
    }

    async fn with_contacts(
        &self,
        rows: Vec<CustomerRow>,
        only: Option<CustomerId>,
    ) -> Result<Vec<Customer>, StoreError> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id = parse_id(&r.id, CustomerId::parse)?;
            if only.is_some_and(|o| o != id) {
                continue;
            }
            let contacts: Vec<ContactRow> = sqlx::query_as(
                "SELECT id, customer_id, name, phone, email, wechat_id, notify_channel, lang FROM contacts \
                 WHERE tenant_id = $1 AND customer_id = $2 AND removed_at IS NULL ORDER BY created_at, id",
            )
            .bind(self.tid())
            .bind(&r.id)
            .fetch_all(&self.store.read)
            .await?;
            let contacts = contacts
                .into_iter()
                .map(contact_model)
                .collect::<Result<_, _>>()?;
            out.push(r.model(contacts)?);
        }
        Ok(out)
    }

    /// A customer's name alone (a list's filter chip), if the caller may see them.
    pub async fn customer_name(
        &self,
        actor: &Actor,
        id: CustomerId,
    ) -> Result<Option<String>, StoreError> {
        if !access::sees_customer(actor, id) {
            return Ok(None);
        }
        let name =
            sqlx::query_scalar("SELECT name FROM customers WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(id.to_string())
                .fetch_optional(&self.store.read)
                .await?;
        Ok(name)
    }

    /// A customer's sites, oldest first.
    pub async fn customer_sites(&self, id: CustomerId) -> Result<Vec<Site>, StoreError> {
        let sites: Vec<SiteRow> = sqlx::query_as(
            "SELECT id, name, address, lat, lon, region_id, geofence_m FROM sites \
             WHERE tenant_id = $1 AND customer_id = $2 AND removed_at IS NULL ORDER BY created_at, id",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_all(&self.store.read)
        .await?;
        sites
            .into_iter()
            .map(|s| {
                Ok(Site {
                    id: parse_id(&s.id, SiteId::parse)?,
                    name: s.name,
                    address: s.address,
                    lat: s.lat,
                    lon: s.lon,
                    region_id: parse_opt_id(s.region_id, RegionId::parse)?,
                    geofence_m: s.geofence_m,
                })
            })
            .collect()
    }

    /// A customer with contacts, sites, assets and the recent tickets the actor may see;
    /// `NotFound` when the actor may not read this customer.
    pub async fn customer_detail(
        &self,
        actor: &Actor,
        id: CustomerId,
    ) -> Result<CustomerDetail, StoreError> {
        if !access::sees_customer(actor, id) {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<CustomerRow> = sqlx::query_as(
            "SELECT id, name, kind, tier, region_id, tags, created_at, version FROM customers WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_all(&self.store.read)
        .await?;
        let customer = self
            .with_contacts(rows, None)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)?;
        let sites = self.customer_sites(id).await?;
        let assets = self.assets_where("customer_id", &id.to_string()).await?;
        let filter = TicketFilter {
            customer_id: Some(id),
            limit: Some(20),
            ..TicketFilter::default()
        };
        let recent_tickets = self.tickets_for(actor, &filter).await?.items;
        let open = TicketFilter {
            customer_id: Some(id),
            status: loopdesk_core::Status::OPEN.to_vec(),
            sort: Some(Sort::natural(SortKey::Urgency)),
            limit: Some(50),
            ..TicketFilter::default()
        };
        let open_tickets = self.tickets_for(actor, &open).await?.items;
        let merged_from = self.customer_merges(id).await?;
        Ok(CustomerDetail {
            customer,
            sites,
            assets,
            recent_tickets,
            open_tickets,
            merged_from,
        })
    }
}

/// What a customer said of the service: their answered surveys, newest first, and how often
/// they chased.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CustomerFeedback {
    /// Answered surveys (the latest 20).
    pub surveys: Vec<SurveyLine>,
    /// Chases (催单) on any of their tickets.
    pub chases: i64,
}

/// One answered survey.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SurveyLine {
    /// The ticket.
    pub ticket_id: String,
    /// Its number.
    pub number: String,
    /// Satisfaction 1–5.
    pub csat: Option<i64>,
    /// Likelihood to recommend 0–10.
    pub nps: Option<i64>,
    /// What they wrote.
    pub comment: Option<String>,
    /// When.
    pub answered_at: DateTime<Utc>,
}

impl TenantStore {
    /// What a customer has been charged for parts used on their tickets (in fen, at the
    /// catalogue's price; parts taken back are taken off), and on how many tickets.
    pub async fn customer_parts_spend(&self, id: CustomerId) -> Result<(i64, i64), StoreError> {
        let (fen, tickets): (Option<i64>, i64) = sqlx::query_as(
            "SELECT CAST(SUM(-m.on_hand_delta * COALESCE(p.price_fen, 0)) AS BIGINT), \
             COUNT(DISTINCT m.ticket_id) \
             FROM stock_movements m JOIN tickets t ON t.id = m.ticket_id \
             JOIN parts p ON p.id = m.part_id \
             WHERE m.tenant_id = $1 AND t.tenant_id = $1 AND t.customer_id = $2 \
             AND m.kind IN ('consume', 'return')",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_one(&self.store.read)
        .await?;
        Ok((fen.unwrap_or(0), tickets))
    }

    /// A customer's feedback (staff who may read the customer).
    pub async fn customer_feedback(
        &self,
        actor: &Actor,
        id: CustomerId,
    ) -> Result<CustomerFeedback, StoreError> {
        if !access::sees_customer(actor, id) {
            return Err(StoreError::NotFound);
        }
        #[derive(sqlx::FromRow)]
        struct Row {
            ticket_id: String,
            number: String,
            csat: Option<i64>,
            nps: Option<i64>,
            comment: Option<String>,
            answered_at: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT s.ticket_id, t.number, s.csat, s.nps, s.comment, s.answered_at FROM tickets t \
             JOIN surveys s ON s.tenant_id = t.tenant_id AND s.ticket_id = t.id \
             WHERE t.tenant_id = $1 AND t.customer_id = $2 AND s.answered_at IS NOT NULL \
             ORDER BY s.answered_at DESC LIMIT 20",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_all(&self.store.read)
        .await?;
        let chases: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM tickets t JOIN ticket_events e ON e.tenant_id = t.tenant_id AND e.ticket_id = t.id \
             WHERE t.tenant_id = $1 AND t.customer_id = $2 AND e.kind = 'chased'",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_one(&self.store.read)
        .await?;
        Ok(CustomerFeedback {
            surveys: rows
                .into_iter()
                .map(|r| SurveyLine {
                    ticket_id: r.ticket_id,
                    number: r.number,
                    csat: r.csat,
                    nps: r.nps,
                    comment: r.comment,
                    answered_at: from_ms(r.answered_at),
                })
                .collect(),
            chases,
        })
    }
}

impl Store {
    /// How the ticket's contact wants to hear from us (the ticket's own contact, else the
    /// customer's first), if the ticket has one.
    pub async fn customer_recipient(
        &self,
        tenant: TenantId,
        ticket: &Ticket,
    ) -> Result<Option<Recipient>, StoreError> {
        let tenant = tenant.to_string();
        let contact = ticket.contact_id.map(|c| c.to_string());
        let customer = ticket.customer_id.map(|c| c.to_string());
        #[derive(sqlx::FromRow)]
        struct Row {
            notify_channel: String,
            lang: String,
            email: Option<String>,
            phone: Option<String>,
            wechat_id: Option<String>,
        }
        // A removed contact (someone who left) hears nothing; the customer's first contact
        // does instead.
        let own: Option<Row> = match contact {
            Some(contact) => {
                sqlx::query_as(
                    "SELECT notify_channel, lang, email, phone, wechat_id FROM contacts \
                     WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL",
                )
                .bind(&tenant)
                .bind(contact)
                .fetch_optional(&self.read)
                .await?
            }
            None => None,
        };
        let row: Option<Row> = match (own, customer) {
            (Some(own), _) => Some(own),
            (None, Some(customer)) => {
                sqlx::query_as(
                    "SELECT notify_channel, lang, email, phone, wechat_id FROM contacts \
                     WHERE tenant_id = $1 AND customer_id = $2 AND removed_at IS NULL \
                     ORDER BY created_at, id LIMIT 1",
                )
                .bind(&tenant)
                .bind(customer)
                .fetch_optional(&self.read)
                .await?
            }
            (None, None) => None,
        };
        Ok(row.map(|r| Recipient {
            channel: followup::Channel::parse(&r.notify_channel).unwrap_or_default(),
            lang: Lang::from_tag(&r.lang).unwrap_or_default(),
            email: r.email,
            phone: r.phone,
            wechat_id: r.wechat_id,
        }))
    }
}
