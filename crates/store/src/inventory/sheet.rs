//! The parts catalogue and the opening stock imported from a sheet: every row checked
//! first, then all stored in one transaction or none, each bad row and column named.

use chrono::{DateTime, Utc};
use loopdesk_core::inventory::{self, Movement, MovementKind, NewPart};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::{access, access::Permission, asset, MovementId};

use super::movements::apply_movement;
use crate::{RowError, StoreError, TenantStore};

/// An opening-stock row as read: warehouse name, SKU, units.
pub type OpeningRow = Result<(String, String, i64), FieldError>;

/// Most failing rows named in one answer.
const MAX_ROW_ERRORS: usize = 100;

fn row_error(row: usize, e: FieldError) -> RowError {
    RowError {
        row,
        field: e.field,
        reason: e.reason,
    }
}

fn refused(mut errors: Vec<RowError>) -> StoreError {
    errors.truncate(MAX_ROW_ERRORS);
    StoreError::Rows(errors)
}

impl TenantStore {
    fn may_import_stock(&self, actor: &Actor, rows: usize) -> Result<(), StoreError> {
        if !access::allowed(actor, Permission::ManageStock) {
            return Err(StoreError::Forbidden);
        }
        if rows > asset::MAX_IMPORT_ROWS {
            return Err(FieldError {
                field: "file",
                reason: "error.too_many_rows",
            }
            .into());
        }
        Ok(())
    }

    /// Imports parts into the catalogue (those who manage stock): a SKU given twice in the
    /// sheet, or already in the catalogue, is a bad row. Answers how many were stored.
    pub async fn import_parts(
        &self,
        actor: &Actor,
        rows: Vec<(usize, Result<NewPart, FieldError>)>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.may_import_stock(actor, rows.len())?;
        let known = self.part_ids().await?;
        let mut seen = std::collections::HashSet::new();
        let (mut parts, mut errors) = (Vec::with_capacity(rows.len()), Vec::new());
        for (row, parsed) in rows {
            let checked = parsed.and_then(|p| {
                let valid = inventory::part(&p)?;
                if known.contains_key(&valid.sku) {
                    return Err(FieldError {
                        field: "sku",
                        reason: "error.conflict",
                    });
                }
                if !seen.insert(valid.sku) {
                    return Err(FieldError {
                        field: "sku",
                        reason: "error.duplicate",
                    });
                }
                Ok(p)
            });
            match checked {
                Ok(p) => parts.push(p),
                Err(e) => errors.push(row_error(row, e)),
            }
        }
        if !errors.is_empty() {
            return Err(refused(errors));
        }
        self.create_parts(actor, &parts, now).await
    }

    /// Loads the opening stock (those who manage stock): each row received into its
    /// warehouse, named, with `reason` on the ledger. The warehouse and the SKU must exist.
    /// Answers how many rows were stored.
    pub async fn import_opening_stock(
        &self,
        actor: &Actor,
        rows: Vec<(usize, OpeningRow)>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.may_import_stock(actor, rows.len())?;
        let warehouses = self.warehouses(actor).await?;
        let parts = self.part_ids().await?;
        let (mut lines, mut errors) = (Vec::with_capacity(rows.len()), Vec::new());
        for (row, parsed) in rows {
            let checked = parsed.and_then(|(warehouse, sku, qty)| {
                let w = warehouses
                    .iter()
                    .find(|w| w.name == warehouse)
                    .ok_or(FieldError {
                        field: "warehouse",
                        reason: "error.unknown_id",
                    })?;
                let (sku, part) = parts.get_key_value(&sku).ok_or(FieldError {
                    field: "sku",
                    reason: "error.unknown_id",
                })?;
                Ok((w.id, sku.clone(), *part, qty))
            });
            match checked {
                Ok(line) => lines.push(line),
                Err(e) => errors.push(row_error(row, e)),
            }
        }
        if !errors.is_empty() {
            return Err(refused(errors));
        }
        let tid = self.tid();
        let mut tx = self.store.write.begin().await?;
        for (warehouse, sku, part, qty) in &lines {
            let m = Movement {
                kind: MovementKind::Receive,
                qty: *qty,
                warehouse: *warehouse,
                to: None,
                ticket: None,
                reason: Some(reason.to_owned()),
            };
            apply_movement(
                &mut tx,
                self.store.backend,
                &tid,
                (part, sku),
                &m,
                MovementId::new(),
                actor.user_id(),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(lines.len())
    }
}
