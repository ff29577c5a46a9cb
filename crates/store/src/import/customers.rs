//! Importing customers (each with a first contact and site), contacts and sites from a
//! sheet: every row checked first, then all stored in one transaction or none, with each
//! bad row and its column named.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::customer::{self, NewContact, NewCustomer, NewSite};
use loopdesk_core::search::Kind;
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::{asset, CustomerId};

use crate::search::index;
use crate::{RowError, StoreError, TenantStore};

/// A customer row as read: the customer and the name of its region.
pub type CustomerImportRow = Result<(NewCustomer, Option<String>), FieldError>;
/// A contact row as read: whose, and the contact.
pub type ContactImportRow = Result<(CustomerId, NewContact), FieldError>;
/// A site row as read: whose, and the site.
pub type SiteImportRow = Result<(CustomerId, NewSite), FieldError>;

/// Most failing rows named in one answer.
const MAX_ROW_ERRORS: usize = 100;

/// Collects the rows' failures; `Rows` when any failed.
struct Checked<T> {
    rows: Vec<T>,
    errors: Vec<RowError>,
}

impl<T> Checked<T> {
    fn new(capacity: usize) -> Self {
        Checked {
            rows: Vec::with_capacity(capacity),
            errors: Vec::new(),
        }
    }

    /// Keeps a checked row, or its failure; anything but a field error stops the import.
    fn take(&mut self, row: usize, result: Result<T, StoreError>) -> Result<(), StoreError> {
        match result {
            Ok(v) => self.rows.push(v),
            Err(StoreError::Invalid(e)) => self.errors.push(RowError {
                row,
                field: e.field,
                reason: e.reason,
            }),
            Err(e) => return Err(e),
        }
        Ok(())
    }

    fn done(mut self) -> Result<Vec<T>, StoreError> {
        if self.errors.is_empty() {
            Ok(self.rows)
        } else {
            self.errors.truncate(MAX_ROW_ERRORS);
            Err(StoreError::Rows(self.errors))
        }
    }
}

/// Rewrites the search documents of the customers rows were added to, each once.
async fn refresh_customers(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &str,
    mut owners: Vec<String>,
) -> Result<(), StoreError> {
    owners.sort();
    owners.dedup();
    for chunk in owners.chunks(500) {
        index::refresh(tx, tenant, Kind::Customer, chunk).await?;
    }
    Ok(())
}

impl TenantStore {
    fn may_import<T>(&self, actor: &Actor, rows: &[T]) -> Result<(), StoreError> {
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
        Ok(())
    }

    /// Imports customers (those who edit customers): answers how many were stored.
    pub async fn import_customers(
        &self,
        actor: &Actor,
        rows: Vec<(usize, CustomerImportRow)>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.may_import(actor, &rows)?;
        let regions = self.regions().await?;
        let mut checked = Checked::new(rows.len());
        for (row, parsed) in rows {
            let result = match parsed {
                Ok((mut new, region)) => match region {
                    Some(name) => match regions.iter().find(|(_, n)| *n == name) {
                        Some((id, _)) => {
                            new.region_id = Some(*id);
                            self.check_customer(&new).await
                        }
                        None => Err(FieldError {
                            field: "region",
                            reason: "error.unknown_id",
                        }
                        .into()),
                    },
                    None => self.check_customer(&new).await,
                },
                Err(e) => Err(e.into()),
            };
            checked.take(row, result)?;
        }
        let customers = checked.done()?;
        let count = customers.len();
        let mut tx = self.store.write.begin().await?;
        for c in customers {
            self.insert_customer(&mut tx, c, now).await?;
        }
        tx.commit().await?;
        Ok(count)
    }

    /// Imports contacts of existing customers: answers how many were stored.
    pub async fn import_contacts(
        &self,
        actor: &Actor,
        rows: Vec<(usize, ContactImportRow)>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.may_import(actor, &rows)?;
        let mut checked = Checked::new(rows.len());
        for (row, parsed) in rows {
            let result = match parsed {
                Ok((owner, k)) => match self.owner_exists(owner).await {
                    Ok(()) => customer::contact(&k)
                        .map(|k| (owner, k))
                        .map_err(StoreError::from),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e.into()),
            };
            checked.take(row, result)?;
        }
        let contacts = checked.done()?;
        let count = contacts.len();
        let owners: Vec<String> = contacts.iter().map(|(o, _)| o.to_string()).collect();
        let mut tx = self.store.write.begin().await?;
        for (owner, k) in contacts {
            self.insert_contact(&mut tx, owner, k, now).await?;
        }
        refresh_customers(&mut tx, &self.tid(), owners).await?;
        tx.commit().await?;
        Ok(count)
    }

    /// Imports sites of existing customers (each in its customer's region unless it names
    /// none): answers how many were stored.
    pub async fn import_sites(
        &self,
        actor: &Actor,
        rows: Vec<(usize, SiteImportRow)>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.may_import(actor, &rows)?;
        let drawn = self.drawn_regions().await?;
        let mut checked = Checked::new(rows.len());
        for (row, parsed) in rows {
            let result = match parsed {
                Ok((owner, s)) => match self.owner_region(owner).await {
                    Ok(region) => customer::site(&crate::users::placed(s, &drawn), region)
                        .map(|s| (owner, s))
                        .map_err(StoreError::from),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e.into()),
            };
            checked.take(row, result)?;
        }
        let sites = checked.done()?;
        let count = sites.len();
        let owners: Vec<String> = sites.iter().map(|(o, _)| o.to_string()).collect();
        let mut tx = self.store.write.begin().await?;
        for (owner, s) in sites {
            self.insert_site(&mut tx, owner, s, now).await?;
        }
        refresh_customers(&mut tx, &self.tid(), owners).await?;
        tx.commit().await?;
        Ok(count)
    }

    async fn owner_exists(&self, owner: CustomerId) -> Result<(), StoreError> {
        self.owner_region(owner).await.map(|_| ())
    }

    /// The region of a customer a row names; a field error when there is no such customer.
    async fn owner_region(
        &self,
        owner: CustomerId,
    ) -> Result<Option<loopdesk_core::RegionId>, StoreError> {
        let region: Option<Option<String>> =
            sqlx::query_scalar("SELECT region_id FROM customers WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(owner.to_string())
                .fetch_optional(&self.store.read)
                .await?;
        match region {
            None => Err(FieldError {
                field: "customer_id",
                reason: "error.unknown_id",
            }
            .into()),
            Some(r) => Ok(r.and_then(|r| loopdesk_core::RegionId::parse(&r))),
        }
    }
}
