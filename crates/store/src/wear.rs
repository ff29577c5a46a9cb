//! Maintenance suggestions: the faults of the tenant's equipment read as core's
//! [`wear::suggest`] needs them — each ticket with a category on a unit (maintenance visits,
//! cancelled tickets and merged duplicates left out), its local day and the meter read on
//! it, and each unit's installation day.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use loopdesk_core::access;
use loopdesk_core::insights::wear::{self, Fault, Installed, Suggestion};
use loopdesk_core::ticket::Actor;

use crate::sql::Sql;
use crate::{from_ms, ms, StoreError, TenantStore};

impl TenantStore {
    /// Preventive plans worth proposing, per model and fault (supervisors — from their
    /// region's tickets —, managers, admins), most telling first; of one model when asked.
    pub async fn maintenance_suggestions(
        &self,
        actor: &Actor,
        model: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Suggestion>, StoreError> {
        let Some(region) = access::insight_scope(actor) else {
            return Err(StoreError::Forbidden);
        };
        let model = model.map(str::trim).filter(|m| !m.is_empty());
        let offset = self.utc_offset().await?;
        let mut sql = Sql::new(
            "SELECT t.id, t.asset_id, a.model, t.category, t.created_at FROM tickets t \
             JOIN assets a ON a.tenant_id = t.tenant_id AND a.id = t.asset_id \
             WHERE t.tenant_id = ",
        );
        sql.text(self.tid())
            .push(
                " AND t.category IS NOT NULL AND t.status <> 'cancelled' AND t.merged_into IS NULL",
            )
            .push(" AND t.created_at >= ")
            .int(ms(now - chrono::Duration::days(365 * wear::HISTORY_YEARS)))
            .push(
                " AND NOT EXISTS (SELECT 1 FROM maintenance_visits v \
                 WHERE v.tenant_id = t.tenant_id AND v.ticket_id = t.id)",
            );
        if let Some(m) = model {
            sql.push(" AND a.model = ").text(m);
        }
        if let Some(r) = region {
            sql.push(" AND t.region_id = ").text(r.to_string());
        }
        let rows: Vec<(String, String, String, String, i64)> =
            sql.query_as().fetch_all(&self.store.read).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let readings: Vec<(String, i64)> = sqlx::query_as(
            "SELECT ticket_id, value FROM asset_readings WHERE tenant_id = $1 AND ticket_id IS NOT NULL",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        let mut meter: HashMap<String, i64> = HashMap::new();
        for (ticket, value) in readings {
            let at = meter.entry(ticket).or_insert(value);
            *at = (*at).max(value);
        }
        let faults: Vec<Fault> = rows
            .into_iter()
            .map(|(ticket, unit, model, category, at)| Fault {
                meter: meter.get(&ticket).copied(),
                unit,
                model,
                category,
                on: from_ms(at).with_timezone(&offset).date_naive(),
            })
            .collect();
        let mut installed_sql = Sql::new(
            "SELECT id, installed_on FROM assets WHERE installed_on IS NOT NULL AND tenant_id = ",
        );
        installed_sql.text(self.tid());
        if let Some(m) = model {
            installed_sql.push(" AND model = ").text(m);
        }
        let days: Vec<(String, String)> =
            installed_sql.query_as().fetch_all(&self.store.read).await?;
        let installed: Installed = days
            .into_iter()
            .filter_map(|(id, on)| Some((id, on.parse::<NaiveDate>().ok()?)))
            .collect();
        Ok(wear::suggest(&faults, &installed))
    }
}
