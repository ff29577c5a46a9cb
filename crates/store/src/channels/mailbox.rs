//! Fetching mailboxes (IMAP): which channels have one, which instance fetches each (a lease),
//! how far each has been taken in (UIDs under its UIDVALIDITY), and how fetching goes — with
//! the admins told when it keeps failing.

use chrono::{DateTime, Utc};
use loopdesk_core::followup;
use loopdesk_core::i18n::Lang;
use loopdesk_core::job::{self, Job};
use loopdesk_core::{ChannelId, Role, Roles, UserId};

use super::{InboundChannel, TenantChannelRow, CHANNEL_COLUMNS};
use crate::outbox::{insert_jobs, NewJob};
use crate::queue::{insert_notifications, NewNotification};
use crate::rows::parse_id;
use crate::{ms, Store, StoreError};

/// How far a mailbox has been taken in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MailboxCursor {
    /// The mailbox's UIDVALIDITY when its UIDs were taken (a new one starts again at 0).
    pub uid_validity: Option<i64>,
    /// The highest UID taken in.
    pub last_uid: i64,
}

impl Store {
    /// Every active e-mail channel with an IMAP address, of every tenant, with the time it
    /// was last changed (a change restarts its fetching).
    pub async fn mailboxes(&self) -> Result<Vec<(InboundChannel, i64)>, StoreError> {
        let rows: Vec<TenantChannelRow> = sqlx::query_as(&format!(
            "SELECT tenant_id, {CHANNEL_COLUMNS} WHERE kind = 'email' AND active = 1 ORDER BY created_at, id"
        ))
        .fetch_all(&self.read)
        .await?;
        let mut out = Vec::new();
        for row in rows {
            let updated_at = row.updated_at();
            let channel = row.inbound()?;
            if channel.setup.text("imap_url").is_some() {
                out.push((channel, updated_at));
            }
        }
        Ok(out)
    }

    /// Claims the fetching of a mailbox for `owner` until `until`: `true` when it is theirs
    /// (free, expired, or theirs already), `false` while another instance holds it.
    pub async fn claim_mailbox(
        &self,
        channel: &InboundChannel,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let claimed = sqlx::query(
            "INSERT INTO channel_cursors (channel_id, tenant_id, last_uid, failures, lease_owner, lease_until) \
             VALUES ($1, $2, 0, 0, $3, $4) ON CONFLICT (channel_id) DO UPDATE SET lease_owner = $3, lease_until = $4 \
             WHERE channel_cursors.lease_owner IS NULL OR channel_cursors.lease_owner = $3 \
             OR channel_cursors.lease_until IS NULL OR channel_cursors.lease_until < $5",
        )
        .bind(channel.id.to_string())
        .bind(channel.tenant.to_string())
        .bind(owner)
        .bind(ms(until))
        .bind(ms(now))
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    /// Lets go of a mailbox (the instance stops).
    pub async fn release_mailbox(&self, channel: ChannelId, owner: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE channel_cursors SET lease_owner = NULL, lease_until = NULL \
             WHERE channel_id = $1 AND lease_owner = $2",
        )
        .bind(channel.to_string())
        .bind(owner)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// How far a mailbox has been taken in.
    pub async fn mailbox_cursor(&self, channel: ChannelId) -> Result<MailboxCursor, StoreError> {
        let row: Option<(Option<i64>, i64)> = sqlx::query_as(
            "SELECT uid_validity, last_uid FROM channel_cursors WHERE channel_id = $1",
        )
        .bind(channel.to_string())
        .fetch_optional(&self.read)
        .await?;
        Ok(row
            .map(|(uid_validity, last_uid)| MailboxCursor {
                uid_validity,
                last_uid,
            })
            .unwrap_or_default())
    }

    /// Records that a mailbox was taken in up to `cursor` (after each message: a restart or
    /// `kill -9` fetches at most the one in flight again, and that one is a duplicate).
    pub async fn advance_mailbox(
        &self,
        channel: ChannelId,
        cursor: MailboxCursor,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE channel_cursors SET uid_validity = $1, last_uid = $2, last_ok_at = $3, \
             last_error = NULL, failures = 0 WHERE channel_id = $4",
        )
        .bind(cursor.uid_validity)
        .bind(cursor.last_uid)
        .bind(ms(now))
        .bind(channel.to_string())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Records a failed fetch; answers how many failed in a row. The third in a row tells the
    /// tenant's admins (the bell), once per run of failures.
    pub async fn mailbox_failed(
        &self,
        channel: &InboundChannel,
        name: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let error: String = error.chars().take(500).collect();
        let failures: Option<i64> = sqlx::query_scalar(
            "UPDATE channel_cursors SET last_error = $1, failures = failures + 1 \
             WHERE channel_id = $2 RETURNING failures",
        )
        .bind(&error)
        .bind(channel.id.to_string())
        .fetch_optional(&self.write)
        .await?;
        let failures = failures.unwrap_or(1);
        if failures == ALERT_AFTER {
            self.alert_admins(channel, name, &error, now).await?;
        }
        Ok(failures)
    }

    /// Tells the tenant's admins that a mailbox keeps failing: the bell, and a mail to those
    /// who chose to hear by mail.
    async fn alert_admins(
        &self,
        channel: &InboundChannel,
        name: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        type AdminRow = (String, String, Option<String>, String, String);
        let admins: Vec<AdminRow> = sqlx::query_as(
            "SELECT id, roles, email, notify_channel, lang FROM users WHERE tenant_id = $1 AND active = 1",
        )
        .bind(channel.tenant.to_string())
        .fetch_all(&self.read)
        .await?;
        let mut notes = Vec::new();
        let mut mails = Vec::new();
        for (user, roles, email, notify, lang) in admins {
            if !Roles::from_csv(&roles)
                .map_err(StoreError::Corrupt)?
                .has(Role::Admin)
            {
                continue;
            }
            let key = format!("channel_failing:{}:{user}:{}", channel.id, ms(now));
            if let (Some(to), true) = (email.filter(|e| !e.trim().is_empty()), notify == "email") {
                let lang = Lang::from_tag(&lang).unwrap_or_default();
                let msg = followup::channel_alert(lang, name, error);
                let mail = job::Mail {
                    to,
                    subject: msg.subject,
                    body: msg.body,
                    service_report: None,
                    csv: None,
                    thread: None,
                };
                mails.push(
                    NewJob::new(channel.tenant, Job::Mail(mail), now).keyed(format!("mail:{key}")),
                );
            }
            notes.push(NewNotification {
                tenant: channel.tenant,
                user: parse_id(&user, UserId::parse)?,
                ticket: None,
                event: "channel.failing".into(),
                data: serde_json::json!({
                    "channel_id": channel.id,
                    "name": name,
                    "error": error,
                }),
                dedupe_key: key,
            });
        }
        let mut tx = self.write.begin().await?;
        insert_notifications(&mut tx, &notes, now).await?;
        insert_jobs(&mut tx, mails, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Failed fetches in a row before the admins hear of it (a single dropped connection is not
/// news; a wrong password or an expired credential is).
pub const ALERT_AFTER: i64 = 3;
