//! What a move is decided on, gathered inside its transaction: the ticket's row (locked,
//! at the version the caller saw), its site, category, files, and the engineer it names.

use super::*;
use crate::rows::{corrupt, parse_id, parse_opt_id};
use crate::sql::Sql;
use crate::{from_ms, StoreError, TenantStore};
use loopdesk_core::access::TicketScope;
use loopdesk_core::screening::{self, LabourNorm, ReportFacts};
use loopdesk_core::ticket::transitions::{
    AttachmentKind, CheckIn, CheckInRecord, ConfirmedBy, ReportInput,
};
use loopdesk_core::ticket::{AssigneeFacts, SiteFacts, TicketFacts};
use loopdesk_core::{AttachmentId, CustomerId, Role, Roles, TicketId, UserId};
use sqlx::{Any, Transaction};

impl TenantStore {
    /// The row of a ticket `scope` may see, locked for the transaction (else `NotFound`).
    pub(super) async fn lock_row(
        &self,
        tx: &mut Transaction<'_, Any>,
        id: TicketId,
        scope: &TicketScope,
    ) -> Result<TicketRow, StoreError> {
        let mut sql = self.visible_ticket(TICKET_COLUMNS, id, scope);
        sql.push(self.store.backend.for_update());
        sql.query_as()
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Locks a visible ticket's row for a change; `NotFound` when the caller may not see
    /// it, `Stale` when `version` is not the current one.
    pub(super) async fn lock_current(
        &self,
        tx: &mut Transaction<'_, Any>,
        id: TicketId,
        scope: &TicketScope,
        version: i64,
    ) -> Result<TicketRow, StoreError> {
        let row = self.lock_row(tx, id, scope).await?;
        if row.version != version {
            return Err(StoreError::Stale {
                current: row.version,
            });
        }
        Ok(row)
    }

    pub(super) async fn facts(
        &self,
        tx: &mut Transaction<'_, Any>,
        row: &TicketRow,
    ) -> Result<TicketFacts, StoreError> {
        let site = match &row.site_id {
            Some(s) => {
                let pos: Option<(Option<f64>, Option<f64>, f64)> = sqlx::query_as(
                    "SELECT lat, lon, geofence_m FROM sites WHERE tenant_id = $1 AND id = $2",
                )
                .bind(self.tid())
                .bind(s)
                .fetch_optional(&mut **tx)
                .await?;
                match pos {
                    Some((Some(lat), Some(lon), geofence_m)) => Some(SiteFacts {
                        lat,
                        lon,
                        geofence_m,
                    }),
                    _ => None,
                }
            }
            None => None,
        };
        let review: Option<i64> = match &row.category {
            Some(code) => {
                sqlx::query_scalar(
                    "SELECT requires_review FROM categories WHERE tenant_id = $1 AND code = $2",
                )
                .bind(self.tid())
                .bind(code)
                .fetch_optional(&mut **tx)
                .await?
            }
            None => None,
        };
        let files: Vec<(String, String, Option<i64>)> = sqlx::query_as(
            "SELECT id, kind, phash FROM attachments WHERE tenant_id = $1 AND ticket_id = $2",
        )
        .bind(self.tid())
        .bind(&row.id)
        .fetch_all(&mut **tx)
        .await?;
        let mut attachments = Vec::with_capacity(files.len());
        let mut photo_hashes = Vec::new();
        for (id, kind, hash) in &files {
            let id = parse_id(id, AttachmentId::parse)?;
            attachments.push((
                id,
                AttachmentKind::parse(kind).ok_or_else(|| corrupt("kind"))?,
            ));
            if let Some(h) = hash {
                // Kept as the bits of a signed column.
                photo_hashes.push((id, u64::from_ne_bytes(h.to_ne_bytes())));
            }
        }
        // Pictures another ticket of the tenant has too (asked only of a ticket with pictures).
        let reused_photos = if photo_hashes.is_empty() {
            Vec::new()
        } else {
            let ids: Vec<String> = sqlx::query_scalar(
                "SELECT a.id FROM attachments a WHERE a.tenant_id = $1 AND a.ticket_id = $2 \
                 AND a.phash IS NOT NULL AND EXISTS (SELECT 1 FROM attachments b \
                 WHERE b.tenant_id = a.tenant_id AND b.phash = a.phash AND b.ticket_id <> a.ticket_id)",
            )
            .bind(self.tid())
            .bind(&row.id)
            .fetch_all(&mut **tx)
            .await?;
            ids.iter()
                .map(|id| parse_id(id, AttachmentId::parse))
                .collect::<Result<_, StoreError>>()?
        };
        Ok(TicketFacts {
            status: row.status()?,
            assignee_id: parse_opt_id(row.assignee_id.clone(), UserId::parse)?,
            customer_id: parse_opt_id(row.customer_id.clone(), CustomerId::parse)?,
            site,
            checked_in_at: row.checked_in_at.map(from_ms),
            check_in: match (row.checkin_lat, row.checkin_lon) {
                (Some(lat), Some(lon)) => Some(CheckInRecord {
                    position: CheckIn {
                        lat,
                        lon,
                        accuracy_m: None,
                    },
                    distance_m: row.checkin_distance_m,
                    outside_geofence: row.checkin_outside != 0,
                }),
                _ => None,
            },
            visit_count: row.visit_count,
            flags: serde_json::from_str(&row.flags).map_err(|_| corrupt("flags"))?,
            resolved_at: row.resolved_at.map(from_ms),
            closed_at: row.closed_at.map(from_ms),
            confirmed_by: row
                .confirmed_by
                .as_deref()
                .map(|c| ConfirmedBy::parse(c).ok_or_else(|| corrupt("confirmed_by")))
                .transpose()?,
            reopen_count: row.reopen_count,
            category_requires_review: review.unwrap_or(0) != 0,
            attachments,
            photo_hashes,
            reused_photos,
            report: ReportFacts::default(),
        })
    }

    /// What screening a report needs (core's [`screening`]): the equipment's model, the
    /// models its parts are listed for, the category's labour norm from its newest reports,
    /// and how long the ticket's signatures were drawn. Read only for a move with a report.
    pub(super) async fn report_facts(
        &self,
        tx: &mut Transaction<'_, Any>,
        row: &TicketRow,
        report: &ReportInput,
    ) -> Result<ReportFacts, StoreError> {
        let asset_model: Option<String> = match &row.asset_id {
            Some(a) => {
                sqlx::query_scalar("SELECT model FROM assets WHERE tenant_id = $1 AND id = $2")
                    .bind(self.tid())
                    .bind(a)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            None => None,
        };
        let skus: Vec<String> = report
            .parts
            .iter()
            .map(|p| p.sku.trim().to_owned())
            .collect();
        let part_models = if asset_model.is_none() || skus.is_empty() {
            Vec::new()
        } else {
            let mut sql = Sql::new("SELECT sku, models FROM parts WHERE tenant_id = ");
            sql.text(self.tid()).id_list(" AND sku", &skus);
            let rows: Vec<(String, String)> = sql.query_as().fetch_all(&mut **tx).await?;
            rows.into_iter()
                .map(|(sku, models)| {
                    let models: Vec<String> =
                        serde_json::from_str(&models).map_err(|_| corrupt("models"))?;
                    Ok((sku, models))
                })
                .collect::<Result<_, StoreError>>()?
        };
        let labour_norm = match (&row.category, report.labour_minutes) {
            (Some(category), Some(_)) => {
                let minutes: Vec<i64> = sqlx::query_scalar(
                    "SELECT labour_minutes FROM work_reports WHERE tenant_id = $1 AND category = $2 \
                     AND labour_minutes IS NOT NULL ORDER BY submitted_at DESC LIMIT $3",
                )
                .bind(self.tid())
                .bind(category)
                .bind(screening::NORM_REPORTS)
                .fetch_all(&mut **tx)
                .await?;
                LabourNorm::of(&minutes)
            }
            _ => None,
        };
        let signatures_drawn_ms = match &report.signature_id {
            Some(sig) => {
                let drawn: Option<Option<i64>> = sqlx::query_scalar(
                    "SELECT drawn_ms FROM attachments WHERE tenant_id = $1 AND ticket_id = $2 AND id = $3",
                )
                .bind(self.tid())
                .bind(&row.id)
                .bind(sig.to_string())
                .fetch_optional(&mut **tx)
                .await?;
                drawn
                    .flatten()
                    .map(|ms| vec![(*sig, ms)])
                    .unwrap_or_default()
            }
            None => Vec::new(),
        };
        Ok(ReportFacts {
            asset_model,
            part_models,
            labour_norm,
            signatures_drawn_ms,
        })
    }

    pub(super) async fn assignee_facts(
        &self,
        tx: &mut Transaction<'_, Any>,
        id: UserId,
    ) -> Result<Option<AssigneeFacts>, StoreError> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT roles, active FROM users WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(id.to_string())
                .fetch_optional(&mut **tx)
                .await?;
        Ok(match row {
            Some((roles, active)) => {
                let roles = Roles::from_csv(&roles).map_err(StoreError::Corrupt)?;
                Some(AssigneeFacts {
                    id,
                    is_engineer: roles.has(Role::Engineer),
                    active: active != 0,
                })
            }
            None => None,
        })
    }
}
