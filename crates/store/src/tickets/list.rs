//! The ticket list: the tickets a caller may see, filtered, newest first, a page at a time.

use crate::from_ms;
use crate::rows::parse_id;
use chrono::{DateTime, Utc};
use loopdesk_core::access::{self};
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::{Status, TenantId, TicketId};

use super::*;
use crate::dialect::{contains_pattern, LIKE_ESCAPE};
use crate::scope::push_scope;
use crate::search::push_ticket_match;
use crate::sql::Sql;
use crate::{ms, Store, StoreError, TenantStore, TicketPage};
use loopdesk_core::search;

use crate::TicketFilter;

pub(super) fn parse_cursor(cursor: &str) -> Result<(i64, String), StoreError> {
    let bad = || {
        StoreError::Invalid(FieldError {
            field: "cursor",
            reason: "error.invalid_value",
        })
    };
    let (at, id) = cursor.split_once('.').ok_or_else(bad)?;
    let at = at.parse().map_err(|_| bad())?;
    TicketId::parse(id).ok_or_else(bad)?;
    Ok((at, id.to_owned()))
}

impl TenantStore {
    /// A page of the tickets the actor may see, newest first.
    pub async fn tickets_for(
        &self,
        actor: &Actor,
        f: &TicketFilter,
    ) -> Result<TicketPage, StoreError> {
        let limit = f.limit.unwrap_or(50).clamp(1, 200);
        let mut sql = Sql::new(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.tenant_id = "
        ));
        self.push_filter(&mut sql, actor, f);
        if let Some(cursor) = &f.cursor {
            let (at, id) = parse_cursor(cursor)?;
            sql.push(" AND (t.created_at < ")
                .int(at)
                .push(" OR (t.created_at = ")
                .int(at);
            sql.push(" AND t.id < ").text(id).push("))");
        }
        sql.push(" ORDER BY t.created_at DESC, t.id DESC LIMIT ")
            .int(limit + 1);
        let mut rows: Vec<TicketRow> = sql.query_as().fetch_all(&self.store.read).await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| format!("{}.{}", r.created_at, r.id))
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(TicketRow::into_model)
            .collect::<Result<_, _>>()?;
        Ok(TicketPage { items, next_cursor })
    }

    /// The list's WHERE after `t.tenant_id = `: the tenant, what the actor may see, and `f`'s
    /// filters (not its cursor).
    fn push_filter(&self, sql: &mut Sql, actor: &Actor, f: &TicketFilter) {
        sql.text(self.tid());
        push_scope(sql, &access::ticket_scope(actor));
        if !f.status.is_empty() {
            sql.push(" AND t.status IN (");
            for (i, s) in f.status.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(s.as_str());
            }
            sql.push(")");
        }
        if let Some(p) = f.priority {
            sql.push(" AND t.priority = ").int(p);
        }
        if let Some(c) = f.customer_id {
            sql.push(" AND t.customer_id = ").text(c.to_string());
        }
        if let Some(a) = f.assignee_id {
            sql.push(" AND t.assignee_id = ").text(a.to_string());
        }
        if let Some(r) = &f.remediation {
            sql.push(" AND t.remediation = ").text(r.clone());
        }
        let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let words = q.map(search::query_words).unwrap_or_default();
        if !words.is_empty() {
            push_ticket_match(
                sql,
                self.store.backend,
                &self.tid(),
                &words,
                sees_internal(actor),
            );
        } else if let Some(q) = q {
            // Nothing but symbols (`%`, `_`): found as typed in the subject or description.
            let pattern = contains_pattern(q);
            let like = self.store.backend.ilike();
            sql.push(" AND (t.number = ")
                .text(q)
                .push(&format!(" OR t.subject {like} "))
                .text(pattern.clone())
                .push(LIKE_ESCAPE);
            sql.push(&format!(" OR t.description {like} "))
                .text(pattern)
                .push(LIKE_ESCAPE)
                .push(")");
        }
        if let Some(from) = f.created_from {
            sql.push(" AND t.created_at >= ").int(ms(from));
        }
        if let Some(to) = f.created_to {
            sql.push(" AND t.created_at < ").int(ms(to));
        }
        if let Some(from) = f.closed_from {
            sql.push(" AND t.closed_at >= ").int(ms(from));
        }
        if let Some(state) = f.sla_state {
            sql.push(" AND t.sla_state = ").text(state.as_str());
        }
        if f.unassigned {
            sql.push(" AND t.assignee_id IS NULL");
        }
        if let Some(me) = f.mine {
            sql.push(" AND (t.assignee_id = ")
                .text(me.to_string())
                .push(" OR t.created_by = ")
                .text(me.to_string())
                .push(")");
        }
    }

    /// How many tickets the actor may see match `f` (its cursor and limit aside).
    pub async fn count_tickets(&self, actor: &Actor, f: &TicketFilter) -> Result<i64, StoreError> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM tickets t WHERE t.tenant_id = ");
        self.push_filter(&mut sql, actor, f);
        let (n,): (i64,) = sql.query_as().fetch_one(&self.store.read).await?;
        Ok(n)
    }

    /// The customer's and the engineer's names of these tickets (for a list's columns).
    pub async fn list_names(
        &self,
        ids: &[TicketId],
    ) -> Result<std::collections::HashMap<TicketId, (Option<String>, Option<String>)>, StoreError>
    {
        if ids.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let mut sql = Sql::new(
            "SELECT t.id, c.name, u.display_name FROM tickets t \
             LEFT JOIN customers c ON c.id = t.customer_id \
             LEFT JOIN users u ON u.id = t.assignee_id WHERE t.tenant_id = ",
        );
        sql.text(self.tid()).in_list(" AND t.id", &ids);
        let rows: Vec<(String, Option<String>, Option<String>)> =
            sql.query_as().fetch_all(&self.store.read).await?;
        rows.into_iter()
            .map(|(id, customer, engineer)| {
                Ok((parse_id(&id, TicketId::parse)?, (customer, engineer)))
            })
            .collect()
    }
}

/// A resolved ticket waiting for the customer's word, for the auto-close.
#[derive(Clone, Debug)]
pub struct AwaitingConfirmation {
    /// The tenant.
    pub tenant: TenantId,
    /// The ticket.
    pub ticket: TicketId,
    /// Its version (the close is checked against it).
    pub version: i64,
    /// When it was resolved.
    pub resolved_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AwaitingRow {
    tenant_id: String,
    id: String,
    version: i64,
    resolved_at: i64,
}

impl Store {
    /// Resolved tickets of every tenant resolved at or before `before`, longest waiting
    /// first, at most `limit`.
    pub async fn resolved_before(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<AwaitingConfirmation>, StoreError> {
        let rows: Vec<AwaitingRow> = sqlx::query_as(
            "SELECT t.tenant_id, t.id, t.version, t.resolved_at FROM tickets t \
             WHERE t.status = $1 AND t.resolved_at <= $2 ORDER BY t.resolved_at LIMIT $3",
        )
        .bind(Status::Resolved.as_str())
        .bind(ms(before))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(AwaitingConfirmation {
                    tenant: parse_id(&r.tenant_id, TenantId::parse)?,
                    ticket: parse_id(&r.id, TicketId::parse)?,
                    version: r.version,
                    resolved_at: from_ms(r.resolved_at),
                })
            })
            .collect()
    }
}
