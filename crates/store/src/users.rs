//! Tenants, users, password hashes and login tokens.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use loopdesk_core::followup;
use loopdesk_core::{validate, CustomerId, RegionId, Roles, TeamId, TenantId, UserId};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::rows::{parse_id, parse_opt_id};
use crate::{from_ms, ms, AuthUser, Store, StoreError, Tenant, TenantStore, User};

/// A user to create.
#[derive(Clone, Debug, Default)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Plain password (hashed with Argon2id before it is stored).
    pub password: String,
    /// Roles.
    pub roles: Roles,
    /// Display name (defaults to the username).
    pub display_name: Option<String>,
    /// Required for the `customer` role.
    pub customer_id: Option<CustomerId>,
    /// Team.
    pub team_id: Option<TeamId>,
    /// Region.
    pub region_id: Option<RegionId>,
    /// E-mail address.
    pub email: Option<String>,
    /// `app` (the default: in-app notices only) or `email` (in-app and e-mail).
    pub notify_channel: Option<String>,
    /// `zh-CN` (default) or `en`.
    pub lang: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: String,
    slug: String,
    name: String,
    utc_offset_minutes: i64,
    reopen_window_days: i64,
}

impl TenantRow {
    fn into_model(self) -> Result<Tenant, StoreError> {
        Ok(Tenant {
            id: parse_id(&self.id, TenantId::parse)?,
            slug: self.slug,
            name: self.name,
            utc_offset_minutes: self.utc_offset_minutes,
            reopen_window_days: self.reopen_window_days,
        })
    }
}

pub(crate) const USER_COLUMNS: &str = "u.id, u.tenant_id, u.username, u.display_name, u.roles, \
    u.customer_id, u.team_id, u.region_id, u.phone, u.email, u.notify_channel, u.lang, u.active, u.created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: String,
    tenant_id: String,
    username: String,
    display_name: String,
    roles: String,
    customer_id: Option<String>,
    team_id: Option<String>,
    region_id: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    notify_channel: String,
    lang: String,
    active: i64,
    created_at: i64,
}

impl UserRow {
    pub(crate) fn into_model(self) -> Result<User, StoreError> {
        let roles = Roles::from_csv(&self.roles).map_err(StoreError::Corrupt)?;
        Ok(User {
            id: parse_id(&self.id, UserId::parse)?,
            tenant_id: parse_id(&self.tenant_id, TenantId::parse)?,
            username: self.username,
            display_name: self.display_name,
            roles: roles.iter().collect(),
            customer_id: parse_opt_id(self.customer_id, CustomerId::parse)?,
            team_id: parse_opt_id(self.team_id, TeamId::parse)?,
            region_id: parse_opt_id(self.region_id, RegionId::parse)?,
            phone: self.phone,
            email: self.email,
            notify_channel: self.notify_channel,
            lang: self.lang,
            active: self.active != 0,
            created_at: from_ms(self.created_at),
        })
    }
}

/// Hashes a password with Argon2id (default parameters: 19 MiB, 2 passes). CPU-heavy, so it
/// runs on the blocking pool.
async fn hash_password(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Corrupt(format!("hashing failed: {e}")))
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("hashing task failed: {e}")))?
}

/// A hash of a password nobody has, so that an unknown username costs the same time as a
/// wrong password and does not reveal which usernames exist.
async fn dummy_hash() -> Result<String, StoreError> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| hash_password(hex::encode(rand::random::<[u8; 16]>())))
        .await
        .cloned()
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// The tenant with this slug.
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as(
            "SELECT id, slug, name, utc_offset_minutes, reopen_window_days FROM tenants WHERE slug = $1",
        )
        .bind(slug)
        .fetch_optional(&self.read)
        .await?;
        row.map(TenantRow::into_model).transpose()
    }

    /// The tenant with this id.
    pub async fn tenant_by_id(&self, id: TenantId) -> Result<Tenant, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as(
            "SELECT id, slug, name, utc_offset_minutes, reopen_window_days FROM tenants WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.map(TenantRow::into_model)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Creates a tenant; `Conflict{slug}` if the slug is taken.
    pub async fn create_tenant(
        &self,
        slug: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Tenant, StoreError> {
        let id = TenantId::new();
        let mut tx = self.write.begin().await?;
        sqlx::query("INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id.to_string())
            .bind(slug)
            .bind(name)
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::on_unique(e, "slug"))?;
        crate::sla::insert_default_policy(&mut tx, &id.to_string(), now).await?;
        tx.commit().await?;
        self.tenant_by_id(id).await
    }

    /// Checks a username and password. `tenant` is the slug; without it the username must be
    /// unique across tenants. Unknown users cost the same time as wrong passwords.
    pub async fn verify_login(
        &self,
        tenant: Option<&str>,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, StoreError> {
        let username = username.trim().to_lowercase();
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u JOIN tenants t ON t.id = u.tenant_id \
             WHERE u.username = $1 AND ($2 = '' OR t.slug = $2) AND u.active = 1 LIMIT 2"
        );
        let mut rows: Vec<UserRowWithHash> = sqlx::query_as(&sql)
            .bind(&username)
            .bind(tenant.unwrap_or(""))
            .fetch_all(&self.read)
            .await?;
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

#[derive(sqlx::FromRow)]
struct UserRowWithHash {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

#[derive(sqlx::FromRow)]
struct UserRowWithKind {
    #[sqlx(flatten)]
    user: UserRow,
    kind: String,
    expires_at: i64,
}

impl TenantStore {
    /// Creates a user; `Conflict{username}` when the name is taken in this tenant.
    pub async fn create_user(&self, new: NewUser, now: DateTime<Utc>) -> Result<User, StoreError> {
        let username = validate::username(&new.username)?;
        validate::password(&new.password)?;
        if new.roles.is_empty() {
            return Err(validate::FieldError {
                field: "roles",
                reason: "error.required",
            }
            .into());
        }
        let display_name = validate::optional_text(
            "display_name",
            new.display_name.as_deref(),
            validate::MAX_NAME,
        )?
        .unwrap_or_else(|| username.clone());
        validate::user_customer_link(new.roles, new.customer_id)?;
        if let Some(c) = new.customer_id {
            self.require("customers", &c.to_string(), "customer_id")
                .await?;
        }
        if let Some(t) = new.team_id {
            self.require("teams", &t.to_string(), "team_id").await?;
        }
        if let Some(r) = new.region_id {
            self.require("regions", &r.to_string(), "region_id").await?;
        }
        let email = new
            .email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(|e| validate::email("email", e))
            .transpose()?;
        let (channel, lang) =
            followup::staff_prefs(new.notify_channel.as_deref(), new.lang.as_deref())?;
        let hash = hash_password(new.password).await?;
        let id = UserId::new();
        sqlx::query(
            "INSERT INTO users (id, tenant_id, username, display_name, password_hash, roles, customer_id, \
             team_id, region_id, email, notify_channel, lang, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&username)
        .bind(&display_name)
        .bind(hash)
        .bind(new.roles.to_csv())
        .bind(new.customer_id.map(|c| c.to_string()))
        .bind(new.team_id.map(|t| t.to_string()))
        .bind(new.region_id.map(|r| r.to_string()))
        .bind(email)
        .bind(channel.as_str())
        .bind(lang.tag())
        .bind(ms(now))
        .execute(&self.store.write)
        .await
        .map_err(|e| StoreError::on_unique(e, "username"))?;
        self.user(id).await
    }

    /// One user of this tenant.
    pub async fn user(&self, id: UserId) -> Result<User, StoreError> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users u WHERE u.tenant_id = $1 AND u.id = $2");
        let row: Option<UserRow> = sqlx::query_as(&sql)
            .bind(self.tid())
            .bind(id.to_string())
            .fetch_optional(&self.store.read)
            .await?;
        row.ok_or(StoreError::NotFound)?.into_model()
    }

    /// The users of this tenant, optionally only those holding a role.
    pub async fn users(&self, role: Option<loopdesk_core::Role>) -> Result<Vec<User>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.tenant_id = $1 ORDER BY u.username LIMIT 1000"
        );
        let rows: Vec<UserRow> = sqlx::query_as(&sql)
            .bind(self.tid())
            .fetch_all(&self.store.read)
            .await?;
        let users = rows
            .into_iter()
            .map(UserRow::into_model)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(users
            .into_iter()
            .filter(|u| role.is_none_or(|r| u.roles.contains(&r)))
            .collect())
    }

    /// Creates a region.
    pub async fn create_region(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<RegionId, StoreError> {
        let name = validate::required_text("name", name, validate::MAX_NAME)?;
        let id = RegionId::new();
        sqlx::query(
            "INSERT INTO regions (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(name)
        .bind(ms(now))
        .execute(&self.store.write)
        .await
        .map_err(|e| StoreError::on_unique(e, "name"))?;
        Ok(id)
    }

    /// Creates a team, optionally in a region.
    pub async fn create_team(
        &self,
        name: &str,
        region: Option<RegionId>,
        now: DateTime<Utc>,
    ) -> Result<TeamId, StoreError> {
        let name = validate::required_text("name", name, validate::MAX_NAME)?;
        if let Some(r) = region {
            self.require("regions", &r.to_string(), "region_id").await?;
        }
        let id = TeamId::new();
        sqlx::query("INSERT INTO teams (id, tenant_id, name, region_id, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.to_string())
            .bind(self.tid())
            .bind(name)
            .bind(region.map(|r| r.to_string()))
            .bind(ms(now))
            .execute(&self.store.write)
            .await
            .map_err(|e| StoreError::on_unique(e, "name"))?;
        Ok(id)
    }
}

impl TenantStore {
    /// The tenant's teams, by name: (id, name).
    pub async fn teams(&self) -> Result<Vec<(TeamId, String)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM teams WHERE tenant_id = $1 ORDER BY name")
                .bind(self.tid())
                .fetch_all(&self.store.read)
                .await?;
        rows.into_iter()
            .map(|(id, name)| Ok((parse_id(&id, TeamId::parse)?, name)))
            .collect()
    }

    /// The tenant's regions, by name: (id, name).
    pub async fn regions(&self) -> Result<Vec<(RegionId, String)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM regions WHERE tenant_id = $1 ORDER BY name")
                .bind(self.tid())
                .fetch_all(&self.store.read)
                .await?;
        rows.into_iter()
            .map(|(id, name)| Ok((parse_id(&id, RegionId::parse)?, name)))
            .collect()
    }
}
