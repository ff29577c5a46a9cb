//! Customers with their contacts and sites; finding a caller by phone number; the customer
//! card.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self};
use loopdesk_core::customer::{self, NewContact, NewCustomer, NewSite};
use loopdesk_core::ticket::views::{Sort, SortKey};
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::{self};
use loopdesk_core::{ContactId, CustomerId, RegionId, SiteId};
use sqlx::{Any, Transaction};

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

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: String,
    name: String,
    kind: String,
    tier: String,
    region_id: Option<String>,
    tags: String,
    created_at: i64,
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

impl TenantStore {
    /// Creates a customer with its contacts and sites, all or nothing.
    pub async fn create_customer(
        &self,
        new: NewCustomer,
        now: DateTime<Utc>,
    ) -> Result<CustomerId, StoreError> {
        let name = validate::required_text("name", &new.name, validate::MAX_NAME)?;
        let kind = customer::kind(new.kind.as_deref())?;
        let tier = customer::tier(new.tier.as_deref())?;
        let contacts = new
            .contacts
            .iter()
            .map(customer::contact)
            .collect::<Result<Vec<_>, _>>()?;
        let sites = new
            .sites
            .iter()
            .map(|s| customer::site(s, new.region_id))
            .collect::<Result<Vec<_>, _>>()?;
        for r in new
            .region_id
            .iter()
            .chain(sites.iter().filter_map(|s| s.region_id.as_ref()))
        {
            self.require("regions", &r.to_string(), "region_id").await?;
        }
        let id = CustomerId::new();
        let mut tx = self.store.write.begin().await?;
        sqlx::query(
            "INSERT INTO customers (id, tenant_id, name, kind, tier, region_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&name)
        .bind(kind)
        .bind(&tier)
        .bind(new.region_id.map(|r| r.to_string()))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        for c in contacts {
            self.insert_contact(&mut tx, id, c, now).await?;
        }
        for s in sites {
            self.insert_site(&mut tx, id, s, now).await?;
        }
        index::refresh(&mut tx, &self.tid(), Kind::Customer, &[id.to_string()]).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn insert_contact(
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

    async fn insert_site(
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

    /// Adds a site to an existing customer.
    pub async fn add_site(
        &self,
        customer: CustomerId,
        s: NewSite,
        now: DateTime<Utc>,
    ) -> Result<SiteId, StoreError> {
        let s = customer::site(&s, None)?;
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

    /// Customers having a contact with this phone number (any spelling of it).
    pub async fn customers_by_phone(
        &self,
        phone: &str,
        only: Option<CustomerId>,
    ) -> Result<Vec<Customer>, StoreError> {
        let phone = validate::phone("phone", phone)?;
        let rows: Vec<CustomerRow> = sqlx::query_as(
            "SELECT DISTINCT c.id, c.name, c.kind, c.tier, c.region_id, c.tags, c.created_at FROM customers c \
             JOIN contacts k ON k.customer_id = c.id WHERE c.tenant_id = $1 AND k.tenant_id = $1 AND k.phone = $2 \
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
            "SELECT id, name, kind, tier, region_id, tags, created_at FROM customers \
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
                 WHERE tenant_id = $1 AND customer_id = $2 ORDER BY created_at, id",
            )
            .bind(self.tid())
            .bind(&r.id)
            .fetch_all(&self.store.read)
            .await?;
            out.push(Customer {
                id,
                name: r.name,
                kind: r.kind,
                tier: r.tier,
                region_id: parse_opt_id(r.region_id, RegionId::parse)?,
                tags: serde_json::from_str(&r.tags)
                    .map_err(|_| StoreError::Corrupt("customer tags".into()))?,
                created_at: from_ms(r.created_at),
                contacts: contacts
                    .into_iter()
                    .filter(|c| c.customer_id == r.id)
                    .map(contact_model)
                    .collect::<Result<_, _>>()?,
            });
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
            "SELECT id, name, kind, tier, region_id, tags, created_at FROM customers WHERE tenant_id = $1 AND id = $2",
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
        let sites: Vec<SiteRow> = sqlx::query_as(
            "SELECT id, name, address, lat, lon, region_id, geofence_m FROM sites \
             WHERE tenant_id = $1 AND customer_id = $2 ORDER BY created_at, id",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_all(&self.store.read)
        .await?;
        let sites = sites
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
            .collect::<Result<_, StoreError>>()?;
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
        Ok(CustomerDetail {
            customer,
            sites,
            assets,
            recent_tickets,
            open_tickets,
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
        let row: Option<Row> = match (contact, customer) {
            (Some(contact), _) => {
                sqlx::query_as(
                    "SELECT notify_channel, lang, email, phone, wechat_id FROM contacts \
                     WHERE tenant_id = $1 AND id = $2",
                )
                .bind(&tenant)
                .bind(contact)
                .fetch_optional(&self.read)
                .await?
            }
            (None, Some(customer)) => {
                sqlx::query_as(
                    "SELECT notify_channel, lang, email, phone, wechat_id FROM contacts \
                     WHERE tenant_id = $1 AND customer_id = $2 ORDER BY created_at, id LIMIT 1",
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
