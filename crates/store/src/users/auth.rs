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
    /// `origin`: where the sign-in came from, for the user's list of sessions.
    pub async fn issue_token(
        &self,
        user: &User,
        kind: &str,
        ttl: Duration,
        now: DateTime<Utc>,
        origin: &TokenOrigin,
    ) -> Result<String, StoreError> {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = format!("ld_{}", hex::encode(raw));
        // A browser's description is kept short: it only has to be recognised in a list.
        let agent: String = origin.user_agent.chars().take(200).collect();
        sqlx::query(
            "INSERT INTO api_tokens (id, tenant_id, user_id, token_hash, kind, created_at, expires_at, \
             client_ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(user.tenant_id.to_string())
        .bind(user.id.to_string())
        .bind(token_hash(&token))
        .bind(kind)
        .bind(ms(now))
        .bind(ms(now + ttl))
        .bind(&origin.client_ip)
        .bind(agent)
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

/// Where a sign-in came from.
#[derive(Debug, Clone, Default)]
pub struct TokenOrigin {
    /// The client's address (through trusted proxies).
    pub client_ip: String,
    /// The browser's or program's `User-Agent`.
    pub user_agent: String,
}

/// One of a user's open sessions.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SessionView {
    /// Id (to end it).
    pub id: String,
    /// Signed in at.
    pub created_at: DateTime<Utc>,
    /// Ends at.
    pub expires_at: DateTime<Utc>,
    /// From where.
    pub client_ip: Option<String>,
    /// With what.
    pub user_agent: Option<String>,
    /// The session asking.
    pub current: bool,
}

impl crate::TenantStore {
    /// A user's open sessions, newest first; `current` marks the one of `token`. `NotFound`
    /// for a user not of this tenant.
    pub async fn sessions_of(
        &self,
        user: loopdesk_core::UserId,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionView>, StoreError> {
        // Someone of this tenant, or NotFound (another tenant's user is nobody here).
        self.user(user).await?;
        type Row = (String, i64, i64, Option<String>, Option<String>, String);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, created_at, expires_at, client_ip, user_agent, token_hash FROM api_tokens \
             WHERE tenant_id = $1 AND user_id = $2 AND kind = 'session' AND revoked_at IS NULL \
             AND expires_at > $3 ORDER BY created_at DESC LIMIT 100",
        )
        .bind(self.tid())
        .bind(user.to_string())
        .bind(ms(now))
        .fetch_all(&self.store.write)
        .await?;
        let mine = token_hash(token);
        Ok(rows
            .into_iter()
            .map(|(id, created, expires, ip, agent, hash)| SessionView {
                id,
                created_at: from_ms(created),
                expires_at: from_ms(expires),
                client_ip: ip,
                user_agent: agent,
                current: hash == mine,
            })
            .collect())
    }

    /// Ends one of a user's sessions (on every instance at once); `NotFound` when it is not
    /// theirs or already over.
    pub async fn end_session(
        &self,
        user: loopdesk_core::UserId,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND id = $4 \
             AND revoked_at IS NULL",
        )
        .bind(ms(now))
        .bind(self.tid())
        .bind(user.to_string())
        .bind(id)
        .execute(&self.store.write)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Ends every session of a user but the one of `keep` (sign out everywhere else); answers
    /// how many ended.
    pub async fn end_other_sessions(
        &self,
        user: loopdesk_core::UserId,
        keep: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.user(user).await?;
        Ok(sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE tenant_id = $2 AND user_id = $3 \
             AND revoked_at IS NULL AND token_hash <> $4",
        )
        .bind(ms(now))
        .bind(self.tid())
        .bind(user.to_string())
        .bind(keep.map(token_hash).unwrap_or_default())
        .execute(&self.store.write)
        .await?
        .rows_affected())
    }
}
