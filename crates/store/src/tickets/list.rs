//! The ticket list: the tickets a caller may see, filtered, newest first, a page at a time.

use crate::from_ms;
use crate::rows::parse_id;
use chrono::{DateTime, Utc};
use loopdesk_core::access::{self};
use loopdesk_core::ticket::views::{Sort, SortKey};
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

/// The SQL of one part of a sort key, and whether it is text (else an integer).
struct KeyPart {
    expr: String,
    text: bool,
}

/// The parts of `sort`'s key in SQL, most significant first (the ticket id breaks ties). Each
/// never NULL, so rows compare as tuples: a missing due time sorts last either way round.
fn key_parts(sort: Sort) -> Vec<KeyPart> {
    let int = |expr: String| KeyPart { expr, text: false };
    let text = |expr: &str| KeyPart {
        expr: expr.to_owned(),
        text: true,
    };
    let due = |missing: i64| int(format!("COALESCE(t.resolution_due, {missing})"));
    match sort.key {
        // core's `ticket::urgency`: priority, the sooner due (none last), the older.
        SortKey::Urgency => vec![
            int("t.priority".into()),
            due(i64::MAX),
            int("t.created_at".into()),
        ],
        SortKey::Number => vec![text("t.number")],
        SortKey::Priority => vec![int("t.priority".into())],
        SortKey::Status => {
            let mut case = String::from("CASE t.status");
            for (i, s) in Status::ALL.iter().enumerate() {
                case.push_str(&format!(" WHEN '{}' THEN {i}", s.as_str()));
            }
            case.push_str(" ELSE 99 END");
            vec![int(case)]
        }
        SortKey::Customer => vec![text("COALESCE(c.name, '')")],
        SortKey::Assignee => vec![text("COALESCE(u.display_name, '')")],
        SortKey::Due => vec![due(if sort.descending { -1 } else { i64::MAX })],
        SortKey::Created => vec![int("t.created_at".into())],
        SortKey::Updated => vec![int("t.updated_at".into())],
    }
}

/// A cursor: the last row's key values and id, as hex of a JSON array of text, so it is one
/// opaque token in a URL whatever the key holds.
fn write_cursor(sort: Sort, values: &[String], id: &str) -> String {
    let mut all: Vec<&str> = vec![sort.key.as_str()];
    all.extend(values.iter().map(String::as_str));
    all.push(id);
    hex::encode(serde_json::to_string(&all).unwrap_or_default())
}

/// Reads a cursor written for `sort` with `parts` key values: the values and the id.
fn read_cursor(
    cursor: &str,
    sort: Sort,
    parts: &[KeyPart],
) -> Result<(Vec<String>, String), StoreError> {
    let bad = || {
        StoreError::Invalid(FieldError {
            field: "cursor",
            reason: "error.invalid_value",
        })
    };
    let json = hex::decode(cursor).map_err(|_| bad())?;
    let mut all: Vec<String> = serde_json::from_slice(&json).map_err(|_| bad())?;
    if all.len() != parts.len() + 2 || all[0] != sort.key.as_str() {
        return Err(bad());
    }
    let id = all.pop().unwrap_or_default();
    TicketId::parse(&id).ok_or_else(bad)?;
    for (v, p) in all[1..].iter().zip(parts) {
        if !p.text && v.parse::<i64>().is_err() {
            return Err(bad());
        }
    }
    all.remove(0);
    Ok((all, id))
}

/// A listed row with its sort key's values.
#[derive(sqlx::FromRow)]
struct KeyedRow {
    #[sqlx(flatten)]
    row: TicketRow,
    k0: String,
    k1: Option<String>,
    k2: Option<String>,
}

impl TenantStore {
    /// A page of the tickets the actor may see, in `f.sort`'s order (newest first when none).
    /// Keyset paging over the sort key and the id, so a page costs the same at any depth and a
    /// ticket changing meanwhile is neither shown twice nor skipped for its old place.
    pub async fn tickets_for(
        &self,
        actor: &Actor,
        f: &TicketFilter,
    ) -> Result<TicketPage, StoreError> {
        let limit = f.limit.unwrap_or(50).clamp(1, 200);
        let sort = f.sort.unwrap_or(Sort::natural(SortKey::Created));
        let parts = key_parts(sort);
        let mut select = format!("SELECT {TICKET_COLUMNS}");
        for (i, p) in parts.iter().enumerate() {
            select.push_str(&format!(", CAST({} AS TEXT) AS k{i}", p.expr));
        }
        for i in parts.len()..3 {
            select.push_str(&format!(", NULL AS k{i}"));
        }
        select.push_str(" FROM tickets t");
        match sort.key {
            SortKey::Customer => select.push_str(" LEFT JOIN customers c ON c.id = t.customer_id"),
            SortKey::Assignee => select.push_str(" LEFT JOIN users u ON u.id = t.assignee_id"),
            _ => {}
        }
        select.push_str(" WHERE t.tenant_id = ");
        let mut sql = Sql::new(&select);
        self.push_filter(&mut sql, actor, f);
        let (cmp, dir) = if sort.descending {
            ("<", " DESC")
        } else {
            (">", "")
        };
        if let Some(cursor) = &f.cursor {
            let (values, id) = read_cursor(cursor, sort, &parts)?;
            sql.push(" AND (");
            for p in &parts {
                sql.push(&p.expr).push(", ");
            }
            sql.push(&format!("t.id) {cmp} ("));
            for (v, p) in values.iter().zip(&parts) {
                if p.text {
                    sql.text(v.clone());
                } else {
                    sql.int(v.parse().unwrap_or_default());
                }
                sql.push(", ");
            }
            sql.text(id).push(")");
        }
        sql.push(" ORDER BY ");
        for p in &parts {
            sql.push(&p.expr).push(dir).push(", ");
        }
        sql.push(&format!("t.id{dir} LIMIT ")).int(limit + 1);
        let mut rows: Vec<KeyedRow> = sql.query_as().fetch_all(&self.store.read).await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| {
                let values: Vec<String> = [Some(r.k0.clone()), r.k1.clone(), r.k2.clone()]
                    .into_iter()
                    .take(parts.len())
                    .map(Option::unwrap_or_default)
                    .collect();
                write_cursor(sort, &values, &r.row.id)
            })
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(|r| r.row.into_model())
            .collect::<Result<_, _>>()?;
        Ok(TicketPage { items, next_cursor })
    }

    /// The list's WHERE after `t.tenant_id = `: the tenant, what the actor may see, and `f`'s
    /// filters (not its cursor).
    fn push_filter(&self, sql: &mut Sql, actor: &Actor, f: &TicketFilter) {
        sql.text(self.tid());
        push_scope(sql, &access::ticket_scope(actor));
        self.push_conditions(sql, actor, f);
    }

    /// `f`'s filters, each as ` AND …`.
    fn push_conditions(&self, sql: &mut Sql, actor: &Actor, f: &TicketFilter) {
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
        if let Some(a) = f.asset_id {
            sql.push(" AND t.asset_id = ").text(a.to_string());
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
        if let Some(r) = f.region_id {
            sql.push(" AND t.region_id = ").text(r.to_string());
        }
        if let Some(team) = f.team_id {
            sql.push(" AND t.team_id = ").text(team.to_string());
        }
        if let Some(c) = &f.category {
            sql.push(" AND t.category = ").text(c.clone());
        }
        if let Some(c) = f.channel {
            sql.push(" AND t.channel = ").text(c.as_str());
        }
        if let Some(from) = f.updated_from {
            sql.push(" AND t.updated_at >= ").int(ms(from));
        }
        if let Some(to) = f.updated_to {
            sql.push(" AND t.updated_at < ").int(ms(to));
        }
        if let Some(from) = f.due_from {
            sql.push(" AND t.resolution_due >= ").int(ms(from));
        }
        if let Some(to) = f.due_to {
            sql.push(" AND t.resolution_due < ").int(ms(to));
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

    /// How many tickets the actor may see match each of `filters`, in one pass over the rows
    /// that match any of them (the queue's view counts).
    pub async fn count_each(
        &self,
        actor: &Actor,
        filters: &[TicketFilter],
    ) -> Result<Vec<i64>, StoreError> {
        if filters.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT ");
        for (i, f) in filters.iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " })
                .push("COUNT(CASE WHEN 1 = 1");
            self.push_conditions(&mut sql, actor, f);
            sql.push(" THEN 1 END)");
        }
        sql.push(" FROM tickets t WHERE t.tenant_id = ")
            .text(self.tid());
        push_scope(&mut sql, &access::ticket_scope(actor));
        sql.push(" AND (");
        for (i, f) in filters.iter().enumerate() {
            sql.push(if i == 0 { "(1 = 1" } else { " OR (1 = 1" });
            self.push_conditions(&mut sql, actor, f);
            sql.push(")");
        }
        sql.push(")");
        let row = sql.query().fetch_one(&self.store.read).await?;
        (0..filters.len())
            .map(|i| {
                let n: i64 = sqlx::Row::try_get(&row, i)?;
                Ok(n)
            })
            .collect()
    }

    /// The numbers of those of these tickets the actor may see.
    pub async fn ticket_numbers(
        &self,
        actor: &Actor,
        ids: &[TicketId],
    ) -> Result<std::collections::HashMap<TicketId, String>, StoreError> {
        if ids.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let mut sql = Sql::new("SELECT t.id, t.number FROM tickets t WHERE t.tenant_id = ");
        sql.text(self.tid());
        push_scope(&mut sql, &access::ticket_scope(actor));
        sql.id_list(" AND t.id", &ids);
        let rows: Vec<(String, String)> = sql.query_as().fetch_all(&self.store.read).await?;
        rows.into_iter()
            .map(|(id, number)| Ok((parse_id(&id, TicketId::parse)?, number)))
            .collect()
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
        sql.text(self.tid()).id_list(" AND t.id", &ids);
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
