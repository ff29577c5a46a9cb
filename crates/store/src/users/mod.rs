//! Tenants, users, password hashes and login tokens.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use loopdesk_core::followup;
use loopdesk_core::ticket::Actor;
use loopdesk_core::{
    access, validate, CustomerId, RegionId, Role, Roles, TeamId, TenantId, UserId,
};

use crate::rows::{parse_id, parse_opt_id};
use crate::{from_ms, ms, StoreError, TenantStore, User};

mod auth;
mod directory;
mod org;
mod shapes;
mod two_factor;
pub use auth::{SessionView, TokenOrigin};
pub use directory::DirectoryPerson;
pub use org::TenantSummary;
pub(crate) use shapes::placed;
pub use shapes::RegionShape;
pub use two_factor::CodeCheck;

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

/// A change to a user; `None` leaves a field as it is (`Some(None)` clears a team, region or
/// e-mail).
#[derive(Clone, Debug, Default)]
pub struct UserEdit {
    /// Display name.
    pub display_name: Option<String>,
    /// Roles, the whole set.
    pub roles: Option<Roles>,
    /// Team, or none.
    pub team_id: Option<Option<TeamId>>,
    /// Region, or none.
    pub region_id: Option<Option<RegionId>>,
    /// E-mail, or none.
    pub email: Option<Option<String>>,
    /// Active (may sign in, be dispatched to, receive notices) or deactivated.
    pub active: Option<bool>,
}

/// The letters of a one-time password: no 0/O, 1/l/I, to be read out on the phone.
const ONE_TIME_LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

pub(crate) const USER_COLUMNS: &str = "u.id, u.tenant_id, u.username, u.display_name, u.roles, \
    u.customer_id, u.team_id, u.region_id, u.phone, u.email, u.notify_channel, u.lang, u.active, u.created_at, \
    CAST(CASE WHEN u.totp_secret IS NULL THEN 0 ELSE 1 END AS BIGINT) AS two_factor";

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
    two_factor: i64,
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
            two_factor: self.two_factor != 0,
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

impl TenantStore {
    /// Creates a user; `Conflict{username}` when the name is taken in this tenant.
    pub async fn create_user(&self, new: NewUser, now: DateTime<Utc>) -> Result<User, StoreError> {
        let username = validate::username(&new.username)?;
        validate::chosen_password(&username, &new.password)?;
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

    /// Changes a user (admins): roles, team, region, name, e-mail, active. An admin cannot
    /// take their own admin role or deactivate themselves. Deactivating ends every session of
    /// theirs at once; their open tickets stay theirs until reassigned.
    pub async fn edit_user(
        &self,
        actor: &Actor,
        id: UserId,
        edit: UserEdit,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let current = self.user(id).await?;
        let roles = match edit.roles {
            Some(r) if r.is_empty() => {
                return Err(validate::FieldError {
                    field: "roles",
                    reason: "error.required",
                }
                .into())
            }
            Some(r) => r,
            None => current.roles.iter().copied().collect(),
        };
        validate::user_customer_link(roles, current.customer_id)?;
        let active = edit.active.unwrap_or(current.active);
        access::own_account_change(actor, id, roles.has(Role::Admin), active)?;
        let display_name = edit
            .display_name
            .as_deref()
            .map(|d| validate::required_text("display_name", d, validate::MAX_NAME))
            .transpose()?;
        let email = match edit.email {
            Some(Some(e)) if !e.trim().is_empty() => Some(Some(validate::email("email", &e)?)),
            Some(_) => Some(None),
            None => None,
        };
        if let Some(Some(t)) = edit.team_id {
            self.require("teams", &t.to_string(), "team_id").await?;
        }
        if let Some(Some(r)) = edit.region_id {
            self.require("regions", &r.to_string(), "region_id").await?;
        }
        let mut sql = crate::sql::Sql::new("UPDATE users SET roles = ");
        sql.text(roles.to_csv())
            .push(", active = ")
            .int(i64::from(active));
        if let Some(d) = display_name {
            sql.push(", display_name = ").text(d);
        }
        if let Some(e) = email {
            sql.push(", email = ").bind(crate::sql::Arg::Text(e));
        }
        if let Some(t) = edit.team_id {
            sql.push(", team_id = ")
                .bind(crate::sql::Arg::Text(t.map(|t| t.to_string())));
        }
        if let Some(r) = edit.region_id {
            sql.push(", region_id = ")
                .bind(crate::sql::Arg::Text(r.map(|r| r.to_string())));
        }
        sql.push(" WHERE tenant_id = ")
            .text(self.tid())
            .push(" AND id = ")
            .text(id.to_string());
        let mut tx = self.store.write.begin().await?;
        sql.query().execute(&mut *tx).await?;
        if !active {
            Self::end_sessions(&mut tx, id, now).await?;
        }
        tx.commit().await?;
        self.user(id).await
    }

    /// Changes a user's own password: the current one must be right (`current_password` 422
    /// otherwise), the new one a [`validate::chosen_password`]; every other session of theirs
    /// ends (`keep`: the token asking).
    pub async fn change_password(
        &self,
        user: UserId,
        current: &str,
        new: &str,
        keep: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (username, hash): (String, String) = sqlx::query_as(
            "SELECT username, password_hash FROM users WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tid())
        .bind(user.to_string())
        .fetch_optional(&self.store.write)
        .await?
        .ok_or(StoreError::NotFound)?;
        if !verify_password(current.to_owned(), hash).await {
            return Err(validate::FieldError {
                field: "current_password",
                reason: "error.bad_credentials",
            }
            .into());
        }
        validate::new_password(&username, current, new)?;
        let hash = hash_password(new.to_owned()).await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(hash)
            .bind(self.tid())
            .bind(user.to_string())
            .execute(&self.store.write)
            .await?;
        self.end_other_sessions(user, Some(keep), now).await?;
        Ok(())
    }

    /// Gives a user a new password, made here and answered once (to be told to them); every
    /// session of theirs ends. Not one's own (422).
    pub async fn reset_password(
        &self,
        actor: &Actor,
        id: UserId,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        self.user(id).await?;
        access::own_password_reset(actor, id)?;
        let password: String = {
            use rand::Rng;
            let mut rng = rand::rngs::OsRng;
            (0..12)
                .map(|_| char::from(ONE_TIME_LETTERS[rng.gen_range(0..ONE_TIME_LETTERS.len())]))
                .collect()
        };
        let hash = hash_password(password.clone()).await?;
        let mut tx = self.store.write.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(hash)
            .bind(self.tid())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        Self::end_sessions(&mut tx, id, now).await?;
        tx.commit().await?;
        Ok(password)
    }

    async fn end_sessions(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(())
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
}
