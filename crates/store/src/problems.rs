//! Problem records (问题单): opened (from the problems found, or by hand) with the tickets they
//! link, changed with optimistic locking, resolved with their root cause. Those who read
//! insights (supervisors, managers, admins) work them; a record lists only the tickets its
//! reader may see, and links only tickets its writer may see.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::insights::record::{self, RecordStatus};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::{ProblemId, TicketId};

use crate::rows::parse_id;
use crate::scope::push_scope;
use crate::sql::Sql;
use crate::{from_ms, ms, StoreError, TenantStore};

/// A problem record.
#[derive(Clone, Debug, PartialEq)]
pub struct ProblemRecord {
    /// Its id.
    pub id: ProblemId,
    /// What it is about.
    pub title: String,
    /// The problem found it was opened from (`term:闪退`).
    pub key: Option<String>,
    /// Open or resolved.
    pub status: RecordStatus,
    /// The root cause, once written.
    pub root_cause: Option<String>,
    /// Opened then.
    pub created_at: DateTime<Utc>,
    /// Last changed then.
    pub updated_at: DateTime<Utc>,
    /// Resolved then.
    pub resolved_at: Option<DateTime<Utc>>,
    /// For optimistic locking.
    pub version: i64,
    /// Tickets linked (all of them, seen or not).
    pub ticket_count: i64,
    /// The linked tickets the reader may see, newest first (empty in a list).
    pub tickets: Vec<RecordTicket>,
}

/// A ticket a record links.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordTicket {
    /// Its id.
    pub id: TicketId,
    /// Its number.
    pub number: String,
    /// Its subject.
    pub subject: String,
    /// Its status.
    pub status: String,
}

/// A new record.
#[derive(Clone, Debug, Default)]
pub struct NewProblemRecord {
    /// Title (required).
    pub title: String,
    /// The problem found it comes from.
    pub key: Option<String>,
    /// The tickets to link (at least one).
    pub ticket_ids: Vec<TicketId>,
}

/// A change to a record; what is `None` stays.
#[derive(Clone, Debug, Default)]
pub struct ProblemRecordChange {
    /// The version read.
    pub version: i64,
    /// A new title.
    pub title: Option<String>,
    /// The root cause (`Some(None)` clears it).
    pub root_cause: Option<Option<String>>,
    /// Open or resolved.
    pub status: Option<RecordStatus>,
    /// More tickets to link.
    pub add_ticket_ids: Vec<TicketId>,
}

const COLUMNS: &str = "p.id, p.title, p.problem_key, p.status, p.root_cause, p.created_at, \
     p.updated_at, p.resolved_at, p.version, \
     (SELECT COUNT(*) FROM problem_record_tickets l WHERE l.record_id = p.id)";

type Row = (
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    i64,
    i64,
);

fn record_of(r: Row) -> Result<ProblemRecord, StoreError> {
    Ok(ProblemRecord {
        id: parse_id(&r.0, ProblemId::parse)?,
        title: r.1,
        key: r.2,
        status: RecordStatus::parse(&r.3).ok_or_else(|| StoreError::Corrupt(r.3.clone()))?,
        root_cause: r.4,
        created_at: from_ms(r.5),
        updated_at: from_ms(r.6),
        resolved_at: r.7.map(from_ms),
        version: r.8,
        ticket_count: r.9,
        tickets: Vec::new(),
    })
}

impl TenantStore {
    fn may_work_records(actor: &Actor) -> Result<(), StoreError> {
        match access::allowed(actor, Permission::Insights) {
            true => Ok(()),
            false => Err(StoreError::Forbidden),
        }
    }

    /// Opens a record linking tickets the actor may see.
    pub async fn open_problem_record(
        &self,
        actor: &Actor,
        new: NewProblemRecord,
        now: DateTime<Utc>,
    ) -> Result<ProblemRecord, StoreError> {
        Self::may_work_records(actor)?;
        let title = record::title(&new.title)?;
        let key = record::key(new.key.as_deref())?;
        let tickets = record::tickets(&new.ticket_ids, true)?;
        let id = ProblemId::new();
        let mut tx = self.store.write.begin().await?;
        self.check_visible(&mut tx, actor, &tickets).await?;
        sqlx::query(
            "INSERT INTO problem_records (id, tenant_id, title, problem_key, status, created_by, \
             created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&title)
        .bind(&key)
        .bind(RecordStatus::Open.as_str())
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        self.link(&mut tx, id, &tickets).await?;
        tx.commit().await?;
        self.problem_record(actor, id).await
    }

    /// The records, the newest first (`status`: only those).
    pub async fn problem_records(
        &self,
        actor: &Actor,
        status: Option<RecordStatus>,
    ) -> Result<Vec<ProblemRecord>, StoreError> {
        Self::may_work_records(actor)?;
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM problem_records p WHERE p.tenant_id = "
        ));
        sql.text(self.tid());
        if let Some(s) = status {
            sql.push(" AND p.status = ").text(s.as_str());
        }
        sql.push(" ORDER BY p.created_at DESC LIMIT 200");
        let rows: Vec<Row> = sql
            .positional_for(self.store.backend)
            .query_as()
            .fetch_all(&self.store.read)
            .await?;
        rows.into_iter().map(record_of).collect()
    }

    /// One record with the linked tickets the actor may see.
    pub async fn problem_record(
        &self,
        actor: &Actor,
        id: ProblemId,
    ) -> Result<ProblemRecord, StoreError> {
        Self::may_work_records(actor)?;
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM problem_records p WHERE p.tenant_id = "
        ));
        sql.text(self.tid())
            .push(" AND p.id = ")
            .text(id.to_string());
        let row: Option<Row> = sql
            .positional_for(self.store.backend)
            .query_as()
            .fetch_optional(&self.store.read)
            .await?;
        let mut found = record_of(row.ok_or(StoreError::NotFound)?)?;
        let mut sql = Sql::new(
            "SELECT t.id, t.number, t.subject, t.status FROM problem_record_tickets l \
             JOIN tickets t ON t.id = l.ticket_id WHERE l.record_id = ",
        );
        sql.text(id.to_string())
            .push(" AND t.tenant_id = ")
            .text(self.tid());
        push_scope(&mut sql, &access::ticket_scope(actor));
        sql.push(" ORDER BY t.created_at DESC");
        let rows: Vec<(String, String, String, String)> = sql
            .positional_for(self.store.backend)
            .query_as()
            .fetch_all(&self.store.read)
            .await?;
        found.tickets = rows
            .into_iter()
            .map(|(id, number, subject, status)| {
                Ok(RecordTicket {
                    id: parse_id(&id, TicketId::parse)?,
                    number,
                    subject,
                    status,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(found)
    }

    /// Changes a record read at `change.version` (409 when it changed since); resolving it
    /// needs its root cause.
    pub async fn change_problem_record(
        &self,
        actor: &Actor,
        id: ProblemId,
        change: ProblemRecordChange,
        now: DateTime<Utc>,
    ) -> Result<ProblemRecord, StoreError> {
        let current = self.problem_record(actor, id).await?;
        if current.version != change.version {
            return Err(StoreError::Stale {
                current: current.version,
            });
        }
        let title = match change.title.as_deref() {
            Some(t) => record::title(t)?,
            None => current.title.clone(),
        };
        let root_cause = match change.root_cause {
            Some(text) => record::root_cause(text.as_deref())?,
            None => current.root_cause.clone(),
        };
        let status = change.status.unwrap_or(current.status);
        record::may_become(status, root_cause.as_deref())?;
        let adding = record::tickets(&change.add_ticket_ids, false)?;
        let resolved_at = match (status, current.status) {
            (RecordStatus::Resolved, RecordStatus::Open) => Some(ms(now)),
            (RecordStatus::Resolved, RecordStatus::Resolved) => current.resolved_at.map(ms),
            (RecordStatus::Open, _) => None,
        };
        let mut tx = self.store.write.begin().await?;
        self.check_visible(&mut tx, actor, &adding).await?;
        let changed = sqlx::query(
            "UPDATE problem_records SET title = $1, root_cause = $2, status = $3, \
             resolved_at = $4, updated_at = $5, version = version + 1 \
             WHERE tenant_id = $6 AND id = $7 AND version = $8",
        )
        .bind(&title)
        .bind(&root_cause)
        .bind(status.as_str())
        .bind(resolved_at)
        .bind(ms(now))
        .bind(self.tid())
        .bind(id.to_string())
        .bind(change.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            return Err(StoreError::Stale {
                current: change.version + 1,
            });
        }
        self.link(&mut tx, id, &adding).await?;
        tx.commit().await?;
        self.problem_record(actor, id).await
    }

    /// The records linking a ticket, newest first (none for those who do not work records).
    pub async fn problem_records_of(
        &self,
        actor: &Actor,
        ticket: TicketId,
    ) -> Result<Vec<(ProblemId, String, RecordStatus)>, StoreError> {
        if Self::may_work_records(actor).is_err() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT p.id, p.title, p.status FROM problem_record_tickets l \
             JOIN problem_records p ON p.id = l.record_id \
             WHERE l.tenant_id = $1 AND l.ticket_id = $2 ORDER BY p.created_at DESC",
        )
        .bind(self.tid())
        .bind(ticket.to_string())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|(id, title, status)| {
                Ok((
                    parse_id(&id, ProblemId::parse)?,
                    title,
                    RecordStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(status))?,
                ))
            })
            .collect()
    }

    /// Refuses tickets the actor may not see (or that are not the tenant's), naming the field.
    async fn check_visible(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        actor: &Actor,
        ids: &[TicketId],
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let texts: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let mut sql = Sql::new("SELECT COUNT(*) FROM tickets t WHERE t.tenant_id = ");
        sql.text(self.tid()).id_list(" AND t.id", &texts);
        push_scope(&mut sql, &access::ticket_scope(actor));
        let (seen,): (i64,) = sql
            .positional_for(self.store.backend)
            .query_as()
            .fetch_one(&mut **tx)
            .await?;
        if seen as usize != ids.len() {
            return Err(FieldError {
                field: "ticket_ids",
                reason: "error.unknown_id",
            }
            .into());
        }
        Ok(())
    }

    /// Links tickets to a record (those linked already stay as they are).
    async fn link(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: ProblemId,
        tickets: &[TicketId],
    ) -> Result<(), StoreError> {
        for t in tickets {
            sqlx::query(
                "INSERT INTO problem_record_tickets (tenant_id, record_id, ticket_id) \
                 VALUES ($1, $2, $3) ON CONFLICT (record_id, ticket_id) DO NOTHING",
            )
            .bind(self.tid())
            .bind(id.to_string())
            .bind(t.to_string())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}
