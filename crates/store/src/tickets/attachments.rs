//! Files on a ticket: their metadata (the bytes are in the object store).

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self};
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::ticket::transitions::AttachmentKind;
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::{self};
use loopdesk_core::{AttachmentId, TicketId};

use super::*;
use crate::events::{self, NewEvent};
use crate::scope::push_scope;
use crate::sql::Sql;
use crate::{ms, Attachment, StoreError, TenantStore};

/// Attachments with their ticket (`t`, for the caller's scope), up to the tenant's id.
pub(super) const ATTACHMENT_SELECT: &str =
    "SELECT f.id, f.ticket_id, f.kind, f.filename, f.content_type, \
     f.size_bytes, f.sha256, f.storage_key, f.created_at FROM attachments f \
     JOIN tickets t ON t.id = f.ticket_id WHERE f.tenant_id = ";

/// A file on a ticket, its bytes already in the file store.
pub(crate) struct NewFile<'a> {
    pub id: AttachmentId,
    pub kind: AttachmentKind,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
}

/// Writes a file's row inside `tx`; answers its `attachment` event's payload for the caller
/// to record.
pub(crate) async fn insert_file(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &str,
    ticket: TicketId,
    f: &NewFile<'_>,
    uploaded_by: Option<loopdesk_core::UserId>,
    now: DateTime<Utc>,
) -> Result<Payload, StoreError> {
    sqlx::query(
        "INSERT INTO attachments (id, tenant_id, ticket_id, kind, filename, content_type, size_bytes, sha256, \
         storage_key, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(f.id.to_string())
    .bind(tenant)
    .bind(ticket.to_string())
    .bind(f.kind.as_str())
    .bind(f.filename)
    .bind(f.content_type)
    .bind(f.size_bytes)
    .bind(f.sha256)
    .bind(f.storage_key)
    .bind(uploaded_by.map(|u| u.to_string()))
    .bind(ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(Payload::Attachment(payload::Attachment {
        attachment_id: f.id,
        kind: f.kind,
        filename: f.filename.to_owned(),
        content_type: f.content_type.to_owned(),
    }))
}

impl TenantStore {
    /// Records an uploaded file's metadata on a ticket the actor may see (the bytes are
    /// already in the object store under `storage_key`).
    #[expect(
        clippy::too_many_arguments,
        reason = "one value per column of the upload"
    )]
    pub async fn add_attachment(
        &self,
        actor: &Actor,
        ticket: TicketId,
        kind: AttachmentKind,
        filename: &str,
        content_type: &str,
        size_bytes: i64,
        sha256: &str,
        storage_key: &str,
        id: AttachmentId,
        now: DateTime<Utc>,
    ) -> Result<Attachment, StoreError> {
        self.ticket_row_visible(actor, ticket).await?;
        let filename = validate::optional_text("file", Some(filename), 255)?
            .unwrap_or_else(|| "upload".into());
        let mut tx = self.store.write.begin().await?;
        let file = NewFile {
            id,
            kind,
            filename: &filename,
            content_type,
            size_bytes,
            sha256,
            storage_key,
        };
        let attached =
            insert_file(&mut tx, &self.tid(), ticket, &file, actor.user_id(), now).await?;
        let event = NewEvent::by(actor, ticket, attached, now);
        events::record(&mut tx, &self.tid(), event, None).await?;
        tx.commit().await?;
        self.attachment(actor, id).await
    }

    /// Keeps a picture's difference hash (report screening compares them), once it is stored.
    pub async fn set_photo_hash(&self, id: AttachmentId, hash: u64) -> Result<(), StoreError> {
        sqlx::query("UPDATE attachments SET phash = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(i64::from_ne_bytes(hash.to_ne_bytes()))
            .bind(self.tid())
            .bind(id.to_string())
            .execute(&self.store.write)
            .await?;
        Ok(())
    }

    /// Keeps how long a signature was drawn (milliseconds of pen on the screen, as the page
    /// measured it): screening flags one drawn in a moment.
    pub async fn set_drawn_ms(&self, id: AttachmentId, ms: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE attachments SET drawn_ms = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(ms.clamp(0, 3_600_000))
            .bind(self.tid())
            .bind(id.to_string())
            .execute(&self.store.write)
            .await?;
        Ok(())
    }

    /// An attachment, if the actor may see its ticket.
    pub async fn attachment(
        &self,
        actor: &Actor,
        id: AttachmentId,
    ) -> Result<Attachment, StoreError> {
        let mut sql = Sql::new(ATTACHMENT_SELECT);
        sql.text(self.tid())
            .push(" AND f.id = ")
            .text(id.to_string());
        push_scope(&mut sql, &access::ticket_scope(actor));
        let row: Option<AttachmentRow> = sql.query_as().fetch_optional(&self.store.read).await?;
        row.ok_or(StoreError::NotFound)?.into_model()
    }

    /// The files on a ticket the caller may see, oldest first.
    pub async fn ticket_attachments(
        &self,
        actor: &Actor,
        ticket: TicketId,
    ) -> Result<Vec<Attachment>, StoreError> {
        let mut sql = Sql::new(ATTACHMENT_SELECT);
        sql.text(self.tid())
            .push(" AND f.ticket_id = ")
            .text(ticket.to_string());
        push_scope(&mut sql, &access::ticket_scope(actor));
        sql.push(" ORDER BY f.created_at, f.id");
        let rows: Vec<AttachmentRow> = sql.query_as().fetch_all(&self.store.read).await?;
        rows.into_iter().map(AttachmentRow::into_model).collect()
    }
}
