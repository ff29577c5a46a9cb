//! Recording a request: the intake checks (customer, contact, site and asset belong
//! together), the SLA it starts under, and the group-committed write ([`super::batch`]).

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::asset::{self, Warranty};
use loopdesk_core::event::By;
use loopdesk_core::intake;
use loopdesk_core::search::{Document, TicketText};
use loopdesk_core::sla::TicketKey;
use loopdesk_core::ticket::{Actor, Channel};
use loopdesk_core::validate;
use loopdesk_core::{AssetId, ContactId, CustomerId, RegionId, SiteId, Status, TicketId};

use super::batch::{Outcome, TicketInsert};
use crate::idempotency::Idempotency;
use crate::rows::{corrupt, parse_id, parse_opt_id};
use crate::{from_ms, ms, StoreError, TenantStore, Ticket};

use crate::NewTicket;

/// The ticket just written, as a read would show it.
pub(super) fn created_ticket(
    t: &TicketInsert,
    number: String,
    channel: Channel,
) -> Result<Ticket, StoreError> {
    let at = from_ms(ms(t.now));
    Ok(Ticket {
        id: t.id,
        number,
        status: Status::New,
        version: 1,
        priority: t.priority,
        channel,
        subject: t.subject.clone(),
        description: t.description.clone(),
        category: t.category.clone(),
        category_guessed: false,
        fields: serde_json::from_str(&t.fields).map_err(|_| corrupt("fields"))?,
        customer_id: parse_opt_id(t.customer_id.clone(), CustomerId::parse)?,
        contact_id: parse_opt_id(t.contact_id.clone(), ContactId::parse)?,
        contact_phone: t.contact_phone.clone(),
        site_id: parse_opt_id(t.site_id.clone(), SiteId::parse)?,
        asset_id: parse_opt_id(t.asset_id.clone(), AssetId::parse)?,
        region_id: parse_opt_id(t.region_id.clone(), RegionId::parse)?,
        team_id: None,
        assignee_id: None,
        created_by: t.created_by,
        created_at: at,
        updated_at: at,
        resolved_at: None,
        closed_at: None,
        confirmed_by: None,
        reopen_count: 0,
        visit_count: 0,
        flags: Vec::new(),
        check_in: None,
        remediation: None,
        chargeable: asset::chargeable(t.warranty.and_then(Warranty::parse)),
        warranty: t.warranty.map(str::to_owned),
        sla: crate::TicketSlaView::of(
            t.sla.policy_id.as_deref(),
            t.sla.sla.as_deref(),
            t.sla.state,
        )?,
        merged_into: None,
    })
}

pub(super) struct IntakeContext {
    contact_id: Option<ContactId>,
    site_id: Option<SiteId>,
    region_id: Option<RegionId>,
    /// The customer's tier, for the SLA policy.
    tier: Option<String>,
    /// The asset's warranty end.
    warranty_until: Option<chrono::NaiveDate>,
    /// The customer's and the contact's names, for the search document.
    customer_name: Option<String>,
    contact_name: Option<String>,
}

impl TenantStore {
    /// Records a new request. With an idempotency key, a retry answers the first ticket
    /// (`true` in the second place) instead of creating a second one.
    pub async fn create_ticket(
        &self,
        actor: &Actor,
        new: NewTicket,
        idempotency: Option<Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<(Ticket, bool), StoreError> {
        self.record_request(actor, new, idempotency, true, None, now)
            .await
    }

    /// [`TenantStore::create_ticket`], publishing `ticket.created` or leaving that to the
    /// caller (`publish: false`), and writing the channel log line of the message the ticket
    /// is made from (`inbound`) in the same commit.
    pub(crate) async fn record_request(
        &self,
        actor: &Actor,
        new: NewTicket,
        idempotency: Option<Idempotency>,
        publish: bool,
        inbound: Option<super::batch::InboundLine>,
        now: DateTime<Utc>,
    ) -> Result<(Ticket, bool), StoreError> {
        if !access::allowed(actor, Permission::CreateTicket) {
            return Err(StoreError::Forbidden);
        }
        let subject = validate::required_text("subject", &new.subject, validate::MAX_SUBJECT)?;
        let description = validate::optional_text(
            "description",
            Some(&new.description),
            validate::MAX_DESCRIPTION,
        )?
        .unwrap_or_default();
        let priority = validate::priority(new.priority)?;
        let phone = new
            .contact_phone
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .map(|p| validate::phone("contact_phone", p))
            .transpose()?;
        let category = validate::optional_text("category", new.category.as_deref(), 64)?;
        let mut customer = intake::customer_of_request(actor, new.customer_id);
        let ctx = self
            .resolve_intake(&mut customer, phone.as_deref(), new.site_id, new.asset_id)
            .await?;
        let required = self.required_fields(category.as_deref()).await?;
        let fields = intake::request_fields(new.fields, &required)?;

        let offset = self.settings().await?.offset;
        let today = now.with_timezone(&offset).date_naive();
        let contract = match new.asset_id {
            Some(a) => self.contract_cover(a, today).await?,
            None => None,
        };
        let (warranty, tier) = asset::at_intake(
            ctx.warranty_until,
            today,
            contract.as_ref().map(Option::as_deref),
            ctx.tier.as_deref(),
        );
        let warranty = warranty.map(Warranty::as_str);
        let sla = self
            .sla_for_new(
                &TicketKey {
                    priority: i64::from(priority),
                    customer_tier: tier.as_deref(),
                    category: category.as_deref(),
                },
                now,
            )
            .await?;
        // The words are cut here, before the write transaction; the number joins them there.
        let search = TicketText {
            subject: subject.clone(),
            description: description.clone(),
            customer: ctx.customer_name.clone(),
            contact: ctx.contact_name.clone(),
            phone: phone.clone(),
            ..TicketText::default()
        }
        .words();
        let urgency = loopdesk_core::triage::urgency::signalled(
            &format!("{subject}\n{description}"),
            "request",
        );
        let insert = TicketInsert {
            search,
            urgency,
            tenant: self.tid(),
            offset,
            id: TicketId::new(),
            channel: new.channel,
            customer_id: customer.map(|c| c.to_string()),
            contact_id: ctx.contact_id.map(|c| c.to_string()),
            contact_phone: phone,
            site_id: ctx.site_id.map(|s| s.to_string()),
            asset_id: new.asset_id.map(|a| a.to_string()),
            region_id: ctx.region_id.map(|r| r.to_string()),
            category,
            priority: i64::from(priority),
            subject,
            description,
            fields: fields.to_string(),
            created_by: actor.user_id(),
            by: By::of(actor),
            now,
            idempotency,
            publish,
            inbound,
            sla,
            warranty,
        };
        match self.store.batcher.create(insert.clone()).await? {
            // Answered from what was written: the same as a read, one round trip fewer.
            Outcome::Created(number) => Ok((created_ticket(&insert, number, new.channel)?, false)),
            Outcome::Replayed(id) => Ok((
                self.ticket(&access::ticket_scope(actor), id, false)
                    .await?
                    .ticket,
                true,
            )),
        }
    }

    /// What the request is about, reconciled: the store reads what intake needs to know, in
    /// two steps, and core decides (`intake::parties`, then `intake::place`) whether the
    /// customer, contact, site and asset belong together.
    pub(super) async fn resolve_intake(
        &self,
        customer: &mut Option<CustomerId>,
        phone: Option<&str>,
        site: Option<SiteId>,
        asset: Option<AssetId>,
    ) -> Result<IntakeContext, StoreError> {
        let named = intake::Named {
            customer: *customer,
            site,
            asset,
        };
        let known_asset = match asset {
            Some(a) => self.intake_asset(a).await?,
            None => None,
        };
        let (contacts, contact_names): (Vec<_>, Vec<_>) = match phone {
            Some(p) => self.intake_contacts(p).await?.into_iter().unzip(),
            None => (Vec::new(), Vec::new()),
        };
        let parties = intake::parties(named, known_asset, &contacts)?;
        let (known_customer, customer_name) = match parties.customer {
            Some(c) => self.intake_customer(c).await?.unzip(),
            None => (None, None),
        };
        let contact_name = contacts
            .iter()
            .zip(contact_names)
            .find(|(k, _)| Some(k.id) == parties.contact)
            .map(|(_, name)| name);
        let customer_sites = match (parties.site, parties.customer) {
            (None, Some(c)) => self.intake_sites_of(c).await?,
            _ => Vec::new(),
        };
        let chosen = match parties.customer {
            Some(_) => intake::site_of_request(parties.site, &customer_sites),
            None => parties.site,
        };
        let known_site = match chosen {
            Some(s) => self.intake_site(s).await?,
            None => None,
        };
        let placed = intake::place(
            &parties,
            known_customer.as_ref(),
            &customer_sites,
            known_site.as_ref(),
        )?;
        let customer_name = customer_name.filter(|_| placed.customer == parties.customer);
        *customer = placed.customer;
        Ok(IntakeContext {
            customer_name,
            contact_name,
            contact_id: parties.contact,
            site_id: placed.site,
            region_id: placed.region,
            tier: placed.tier,
            warranty_until: parties.warranty_until,
        })
    }

    async fn intake_asset(&self, id: AssetId) -> Result<Option<intake::KnownAsset>, StoreError> {
        let row: Option<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT customer_id, site_id, warranty_until FROM assets WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        row.map(|(c, s, until)| {
            Ok(intake::KnownAsset {
                customer: parse_id(&c, CustomerId::parse)?,
                site: parse_id(&s, SiteId::parse)?,
                warranty_until: until.and_then(|u| u.parse().ok()),
            })
        })
        .transpose()
    }

    /// The contacts with this phone number, oldest first.
    async fn intake_contacts(
        &self,
        phone: &str,
    ) -> Result<Vec<(intake::KnownContact, String)>, StoreError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, customer_id, name FROM contacts WHERE tenant_id = $1 AND phone = $2 \
             AND removed_at IS NULL ORDER BY created_at, id LIMIT 50",
        )
        .bind(self.tid())
        .bind(phone)
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|(id, c, name)| {
                let known = intake::KnownContact {
                    id: parse_id(&id, ContactId::parse)?,
                    customer: parse_id(&c, CustomerId::parse)?,
                };
                Ok((known, name))
            })
            .collect()
    }

    async fn intake_customer(
        &self,
        id: CustomerId,
    ) -> Result<Option<(intake::KnownCustomer, String)>, StoreError> {
        let row: Option<(Option<String>, String, String)> = sqlx::query_as(
            "SELECT region_id, tier, name FROM customers WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        row.map(|(region, tier, name)| {
            let known = intake::KnownCustomer {
                region: parse_opt_id(region, RegionId::parse)?,
                tier,
            };
            Ok((known, name))
        })
        .transpose()
    }

    /// Up to two of a customer's sites (enough to tell whether it has only one).
    async fn intake_sites_of(&self, customer: CustomerId) -> Result<Vec<SiteId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM sites WHERE tenant_id = $1 AND customer_id = $2 AND removed_at IS NULL \
             LIMIT 2",
        )
        .bind(self.tid())
        .bind(customer.to_string())
        .fetch_all(&self.store.read)
        .await?;
        ids.iter().map(|id| parse_id(id, SiteId::parse)).collect()
    }

    async fn intake_site(&self, id: SiteId) -> Result<Option<intake::KnownSite>, StoreError> {
        let row: Option<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT s.customer_id, s.region_id, c.tier FROM sites s JOIN customers c ON c.id = s.customer_id \
             WHERE s.tenant_id = $1 AND s.id = $2 AND s.removed_at IS NULL",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        row.map(|(owner, region, tier)| {
            Ok(intake::KnownSite {
                customer: parse_id(&owner, CustomerId::parse)?,
                region: parse_opt_id(region, RegionId::parse)?,
                tier,
            })
        })
        .transpose()
    }

    /// The fields a category requires (none for a category the tenant has not configured).
    pub(super) async fn required_fields(
        &self,
        category: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let Some(code) = category else {
            return Ok(Vec::new());
        };
        let required: Option<String> = sqlx::query_scalar(
            "SELECT required_fields FROM categories WHERE tenant_id = $1 AND code = $2",
        )
        .bind(self.tid())
        .bind(code)
        .fetch_optional(&self.store.read)
        .await?;
        match required {
            Some(text) => serde_json::from_str(&text).map_err(|_| corrupt("required_fields")),
            None => Ok(Vec::new()),
        }
    }
}
