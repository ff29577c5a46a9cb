//! What the service report prints beyond the ticket page: the service company's name and the
//! last work report, for anyone who may see the ticket — the customer included, for whom the
//! report is made.

use loopdesk_core::access;
use loopdesk_core::ticket::transitions::ReportInput;
use loopdesk_core::ticket::Actor;
use loopdesk_core::{Status, TicketId};

use super::sees_internal;
use crate::rows::corrupt;
use crate::{StoreError, TenantStore};

/// The company and the work report behind a service report.
#[derive(Clone, Debug)]
pub struct ServiceSheet {
    /// The tenant's name.
    pub company: String,
    /// The last report the engineer sent; none before the first, and none while the ticket
    /// does not print one for this reader (core's `Status::prints_service_report`).
    pub report: Option<ReportInput>,
}

impl TenantStore {
    /// The company and last work report of a ticket `actor` may see (else `NotFound`).
    pub async fn service_sheet(
        &self,
        actor: &Actor,
        id: TicketId,
    ) -> Result<ServiceSheet, StoreError> {
        let scope = access::ticket_scope(actor);
        let row: Option<(String,)> = self
            .visible_ticket("t.status", id, &scope)
            .query_as()
            .fetch_optional(&self.store.read)
            .await?;
        let status = row.ok_or(StoreError::NotFound)?.0;
        let status =
            Status::parse(&status).ok_or_else(|| corrupt(&format!("ticket status `{status}`")))?;
        let company: Option<String> = sqlx::query_scalar("SELECT name FROM tenants WHERE id = $1")
            .bind(self.tid())
            .fetch_optional(&self.store.read)
            .await?;
        if !status.prints_service_report(sees_internal(actor)) {
            return Ok(ServiceSheet {
                company: company.unwrap_or_default(),
                report: None,
            });
        }
        let body: Option<String> = sqlx::query_scalar(
            "SELECT body FROM work_reports WHERE tenant_id = $1 AND ticket_id = $2 \
             ORDER BY submitted_at DESC, id DESC LIMIT 1",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        let report = body
            .map(|b| serde_json::from_str(&b).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()?;
        Ok(ServiceSheet {
            company: company.unwrap_or_default(),
            report,
        })
    }
}
