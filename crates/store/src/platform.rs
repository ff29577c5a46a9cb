//! The platform operator: above every tenant's admins, the few users who may create, suspend,
//! export and erase tenants over the API. Nobody is one until `loopdesk tenant operator`
//! (someone holding the database) names them; the web layer holds a [`PlatformOperator`]
//! before it calls the tenant operations.

use loopdesk_core::{TenantId, UserId};

use crate::model::User;
use crate::{Store, StoreError};

/// Proof that a user is a platform operator; only [`Store::platform_operator`] makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformOperator {
    /// The user.
    pub user_id: UserId,
    /// Their own tenant (which they may not suspend or erase from the API).
    pub tenant_id: TenantId,
}

impl Store {
    /// The operator this active user is, if they are one.
    pub async fn platform_operator(
        &self,
        user: &User,
    ) -> Result<Option<PlatformOperator>, StoreError> {
        let is: Option<i64> = sqlx::query_scalar(
            "SELECT platform_operator FROM users WHERE tenant_id = $1 AND id = $2 AND active = 1",
        )
        .bind(user.tenant_id.to_string())
        .bind(user.id.to_string())
        .fetch_optional(&self.read)
        .await?;
        Ok((is == Some(1)).then_some(PlatformOperator {
            user_id: user.id,
            tenant_id: user.tenant_id,
        }))
    }

    /// Makes the user `username` of tenant `slug` a platform operator, or with `on` false no
    /// longer one. `NotFound` for an unknown tenant or user.
    pub async fn set_platform_operator(
        &self,
        slug: &str,
        username: &str,
        on: bool,
    ) -> Result<(), StoreError> {
        let tenant = self
            .tenant_by_slug(slug)
            .await?
            .ok_or(StoreError::NotFound)?;
        let done = sqlx::query(
            "UPDATE users SET platform_operator = $1 WHERE tenant_id = $2 AND username = $3",
        )
        .bind(i64::from(on))
        .bind(tenant.id.to_string())
        .bind(username.trim().to_lowercase())
        .execute(&self.write)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
