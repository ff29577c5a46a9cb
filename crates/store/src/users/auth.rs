//! Signing in: checking a password, issuing and revoking tokens, and who a token is.

use crate::{from_ms, ms, AuthUser, Store, StoreError, User};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::*;

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRowWithHash {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRowWithKind {
    #[sqlx(flatten)]
    user: UserRow,
    kind: String,
    expires_at: i64,
}

impl Store {
    /// Checks a username and password. `tenant` is the slug; without it the username must be
    /// unique across tenants. Unknown users cost the same time as wrong passwords.
    pub async fn verify_login(
        &self,
        tenant: Option<&str>,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, StoreError> {
        let username = username.trim().to_lowercase();
        // No account's name or tenant holds a NUL (PostgreSQL text cannot): such a sign-in
        // matches nobody, and is checked against the dummy hash like any other unknown name.
        let impossible = username.contains('\0') || tenant.is_some_and(|t| t.contains('\0'));
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u JOIN tenants t ON t.id = u.tenant_id \
             WHERE u.username = $1 AND ($2 = '' OR t.slug = $2) AND u.active = 1 \
             AND t.suspended_at IS NULL LIMIT 2"
        );
        let mut rows: Vec<UserRowWithHash> = if impossible {
            Vec::new()
        } else {
            sqlx::query_as(&sql)
                .bind(&username)
                .bind(tenant.unwrap_or(""))
                .fetch_all(&self.read)
                .await?
        };
        let found = if rows.len() == 1 { rows.pop() } else { None };
        let hash = match &found {
            Some(r) => r.password_hash.clone(),
            None => dummy_hash().await?,
        };
        let ok = verify_password(password.to_owned(), hash).await;
        match found {
            Some(r) if ok => r.user.into_model().map(Some),
            _ => Ok(None),
        }
    }

    /// Issues a login token for a user; only its SHA-256 is stored, so a database leak does
    /// not leak sessions. Tokens survive restarts and are shared by every instance.
    pub async fn issue_token(
        &self,
        user: &User,
        kind: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = format!("ld_{}", hex::encode(raw));
        sqlx::query(
            "INSERT INTO api_tokens (id, tenant_id, user_id, token_hash, kind, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(user.tenant_id.to_string())
        .bind(user.id.to_string())
        .bind(token_hash(&token))
        .bind(kind)
        .bind(ms(now))
        .bind(ms(now + ttl))
        .execute(&self.write)
        .await?;
        Ok(token)
    }

    /// The user behind a token, if it is valid, unexpired, unrevoked and the user active.
    pub async fn authenticate(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AuthUser>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, k.kind, k.expires_at FROM api_tokens k JOIN users u ON u.id = k.user_id \
             WHERE k.token_hash = $1 AND k.revoked_at IS NULL AND k.expires_at > $2 AND u.active = 1"
        );
        let row: Option<UserRowWithKind> = sqlx::query_as(&sql)
            .bind(token_hash(token))
            .bind(ms(now))
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(AuthUser {
                user: r.user.into_model()?,
                kind: r.kind,
                expires_at: from_ms(r.expires_at),
            })
        })
        .transpose()
    }

    /// Revokes a token (logout).
    pub async fn revoke_token(&self, token: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash(token))
        .bind(ms(now))
        .execute(&self.write)
        .await?;
        Ok(())
    }
}
