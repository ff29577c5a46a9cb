//! Which tickets a caller may see, in SQL: the one place the access scopes of core
//! (`access::ticket_scope`) become `WHERE` clauses. Every read and write of a ticket goes
//! through it, so a forbidden ticket is simply not found. So do knowledge articles' readers.

use loopdesk_core::access::{self, TicketScope};
use loopdesk_core::knowledge::Readable;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::TicketId;
use sqlx::{Any, Transaction};

use crate::sql::Sql;
use crate::{StoreError, TenantStore};

/// The condition on articles (aliased `a`) that a reader of this kind may see.
pub(crate) fn readable_sql(readable: Readable) -> &'static str {
    match readable {
        Readable::PublishedPublic => " AND a.state = 'published' AND a.visibility = 'public'",
        Readable::All => "",
        Readable::Published => " AND a.state = 'published'",
    }
}

/// Appends `AND (<visibility>)` for `scope` to a query over tickets aliased `t`.
pub(crate) fn push_scope(sql: &mut Sql, scope: &TicketScope) {
    if scope.all {
        return;
    }
    if scope.is_empty() {
        sql.push(" AND 1 = 0");
        return;
    }
    let mut parts = 0;
    sql.push(" AND (");
    let mut or = |sql: &mut Sql| {
        if parts > 0 {
            sql.push(" OR ");
        }
        parts += 1;
    };
    if let Some(c) = scope.customer {
        or(sql);
        sql.push("t.customer_id = ").text(c.to_string());
    }
    if let Some(r) = scope.region {
        or(sql);
        sql.push("t.region_id = ").text(r.to_string());
    }
    if let Some(e) = scope.engineer {
        or(sql);
        sql.push(
            "EXISTS (SELECT 1 FROM ticket_assignments a WHERE a.ticket_id = t.id AND a.user_id = ",
        )
        .text(e.to_string())
        .push(")");
    }
    sql.push(")");
}

impl TenantStore {
    /// `SELECT <columns> FROM tickets t` restricted to ticket `id` of this tenant, and only
    /// if `scope` may see it.
    pub(crate) fn visible_ticket(&self, columns: &str, id: TicketId, scope: &TicketScope) -> Sql {
        let mut sql = Sql::new(&format!(
            "SELECT {columns} FROM tickets t WHERE t.tenant_id = "
        ));
        sql.text(self.tid())
            .push(" AND t.id = ")
            .text(id.to_string());
        push_scope(&mut sql, scope);
        sql
    }

    pub(crate) async fn ticket_row_visible(
        &self,
        actor: &Actor,
        id: TicketId,
    ) -> Result<(), StoreError> {
        let sql = self.visible_ticket("t.id", id, &access::ticket_scope(actor));
        let row: Option<(String,)> = sql.query_as().fetch_optional(&self.store.read).await?;
        row.map(|_| ()).ok_or(StoreError::NotFound)
    }
}

impl TenantStore {
    /// `NotFound` unless `actor` may see ticket `id`.
    pub(crate) async fn require_visible_ticket(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        id: TicketId,
    ) -> Result<(), StoreError> {
        let scope = access::ticket_scope(actor);
        let found: Option<String> = self
            .visible_ticket("t.id", id, &scope)
            .query_as::<(String,)>()
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.0);
        found.map(|_| ()).ok_or(StoreError::NotFound)
    }
}
