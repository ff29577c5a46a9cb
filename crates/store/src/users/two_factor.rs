//! The second factor's rows: a user's authenticator secret (set aside while enrolling, kept
//! once a first code confirms it), the last step a code was taken for, and the roles a tenant
//! makes enrol. Core's [`totp`] says whether a code is good; here it is taken once, even when
//! two instances check the same code at the same moment.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::ticket::Actor;
use loopdesk_core::totp::Secret;
use loopdesk_core::{Roles, UserId};

use crate::rows::corrupt;
use crate::{StoreError, TenantStore};

/// Where a second factor stands for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code was good, and is now used.
    Taken,
    /// Wrong, stale, or used before.
    Refused,
    /// The user has no second factor.
    NotEnrolled,
}

impl TenantStore {
    /// The roles whose holders must sign in with a second factor.
    pub async fn two_factor_roles(&self) -> Result<Roles, StoreError> {
        Ok(self.settings().await?.two_factor_roles)
    }

    /// Sets the roles that must sign in with a second factor (admins).
    pub async fn set_two_factor_roles(
        &self,
        actor: &Actor,
        roles: Roles,
    ) -> Result<(), StoreError> {
        if !access::allowed(actor, Permission::ManageUsers) {
            return Err(StoreError::Forbidden);
        }
        sqlx::query("UPDATE tenants SET two_factor_roles = $1 WHERE id = $2")
            .bind(roles.to_csv())
            .bind(self.tid())
            .execute(&self.store.write)
            .await?;
        self.store.settings.forget(self.tenant_id);
        Ok(())
    }

    /// Draws a new secret (from the OS) and sets it aside for the user to confirm with a first
    /// code (an enrolment begun again replaces it; the secret in use, if any, stays until then).
    pub async fn begin_two_factor(&self, user: UserId) -> Result<Secret, StoreError> {
        let mut bytes = [0u8; loopdesk_core::totp::SECRET_BYTES];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        let secret = Secret::new(bytes);
        let done =
            sqlx::query("UPDATE users SET totp_pending = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(secret.to_base32())
                .bind(self.tid())
                .bind(user.to_string())
                .execute(&self.store.write)
                .await?
                .rows_affected();
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(secret)
    }

    /// Confirms the secret set aside with a code from it: it becomes the user's second factor.
    /// False when the code is not good (or nothing was set aside).
    pub async fn confirm_two_factor(
        &self,
        user: UserId,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let pending: Option<Option<String>> =
            sqlx::query_scalar("SELECT totp_pending FROM users WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(user.to_string())
                .fetch_optional(&self.store.write)
                .await?;
        let Some(text) = pending.ok_or(StoreError::NotFound)? else {
            return Ok(false);
        };
        let secret = Secret::from_base32(&text).ok_or_else(|| corrupt("totp_pending"))?;
        let Some(step) = secret.check(code, now, None) else {
            return Ok(false);
        };
        let done = sqlx::query(
            "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $1 \
             WHERE tenant_id = $2 AND id = $3 AND totp_pending = $4",
        )
        .bind(step)
        .bind(self.tid())
        .bind(user.to_string())
        .bind(&text)
        .execute(&self.store.write)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// Removes a user's second factor (they turned it off, or an admin reset a lost phone).
    pub async fn clear_two_factor(&self, user: UserId) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tid())
        .bind(user.to_string())
        .execute(&self.store.write)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Checks a code against the user's second factor and takes its step, once: of two
    /// sign-ins with the same code, on any instances, one is let in.
    pub async fn take_two_factor_code(
        &self,
        user: UserId,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<CodeCheck, StoreError> {
        let row: Option<(Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT totp_secret, totp_last_step FROM users WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tid())
        .bind(user.to_string())
        .fetch_optional(&self.store.write)
        .await?;
        let (secret, last) = row.ok_or(StoreError::NotFound)?;
        let Some(secret) = secret else {
            return Ok(CodeCheck::NotEnrolled);
        };
        let secret = Secret::from_base32(&secret).ok_or_else(|| corrupt("totp_secret"))?;
        let Some(step) = secret.check(code, now, last) else {
            return Ok(CodeCheck::Refused);
        };
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE tenant_id = $2 AND id = $3 \
             AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(self.tid())
        .bind(user.to_string())
        .execute(&self.store.write)
        .await?
        .rows_affected();
        Ok(if done == 1 {
            CodeCheck::Taken
        } else {
            CodeCheck::Refused
        })
    }
}
