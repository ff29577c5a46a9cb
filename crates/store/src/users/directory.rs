//! A tenant's company directory (LDAP, Active Directory) and the users it manages: the
//! settings an admin keeps (the service account's password never answered), and the local
//! account a directory sign-in creates or brings up to date — its name, e-mail and roles
//! follow the directory at every sign-in.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::directory::DirectorySettings;
use loopdesk_core::oidc::OidcSettings;
use loopdesk_core::ticket::Actor;
use loopdesk_core::{validate, Roles, TenantId};
use rand::RngCore;

use super::{NewUser, UserRow, USER_COLUMNS};
use crate::model::User;
use crate::rows::corrupt;
use crate::{Store, StoreError, TenantStore};

/// A person as the directory answered for them, their password checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryPerson {
    /// The sign-in name they typed.
    pub username: String,
    /// Their distinguished name.
    pub dn: String,
    /// `displayName` or `cn`.
    pub display_name: Option<String>,
    /// `mail`.
    pub email: Option<String>,
    /// The roles their groups give.
    pub roles: Roles,
}

/// A tenant's external sign-in settings, each a JSON column of `tenants`.
#[derive(Clone, Copy)]
enum SignInColumn {
    Directory,
    Oidc,
}

impl SignInColumn {
    fn name(self) -> &'static str {
        match self {
            SignInColumn::Directory => "directory",
            SignInColumn::Oidc => "oidc",
        }
    }
}

impl TenantStore {
    /// The tenant's directory, the service account's password left out (admins).
    pub async fn directory(&self, actor: &Actor) -> Result<Option<DirectorySettings>, StoreError> {
        Ok(self.directory_to_try(actor).await?.map(|mut d| {
            d.bind_password = None;
            d
        }))
    }

    /// Sets (or with `None` turns off) the tenant's directory (admins). A password left out
    /// keeps the one stored, so a form need never show it.
    pub async fn set_directory(
        &self,
        actor: &Actor,
        settings: Option<DirectorySettings>,
    ) -> Result<(), StoreError> {
        let settings = match settings {
            Some(mut s) => {
                s.validate()?;
                if s.bind_password.is_none() && s.bind_dn.is_some() {
                    s.bind_password = self
                        .directory_to_try(actor)
                        .await?
                        .and_then(|d| d.bind_password);
                }
                Some(s)
            }
            None => None,
        };
        self.put_sign_in(actor, SignInColumn::Directory, settings.as_ref())
            .await
    }

    /// The settings with the service account's password, to try a sign-in with (admins).
    pub async fn directory_to_try(
        &self,
        actor: &Actor,
    ) -> Result<Option<DirectorySettings>, StoreError> {
        if !access::allowed(actor, Permission::ManageUsers) {
            return Err(StoreError::Forbidden);
        }
        self.sign_in_settings(SignInColumn::Directory).await
    }

    /// The tenant's OpenID provider, the client secret left out (admins).
    pub async fn oidc(&self, actor: &Actor) -> Result<Option<OidcSettings>, StoreError> {
        if !access::allowed(actor, Permission::ManageUsers) {
            return Err(StoreError::Forbidden);
        }
        Ok(self.oidc_settings().await?.map(|mut o| {
            o.client_secret = None;
            o
        }))
    }

    /// Sets (or with `None` turns off) the tenant's OpenID provider (admins). A secret left
    /// out keeps the one stored.
    pub async fn set_oidc(
        &self,
        actor: &Actor,
        settings: Option<OidcSettings>,
    ) -> Result<(), StoreError> {
        let settings = match settings {
            Some(mut s) => {
                s.validate()?;
                if s.client_secret.is_none() {
                    s.client_secret = self.oidc_settings().await?.and_then(|o| o.client_secret);
                }
                Some(s)
            }
            None => None,
        };
        self.put_sign_in(actor, SignInColumn::Oidc, settings.as_ref())
            .await
    }

    /// The stored provider, secret included.
    pub async fn oidc_settings(&self) -> Result<Option<OidcSettings>, StoreError> {
        self.sign_in_settings(SignInColumn::Oidc).await
    }

    /// One of the tenant's sign-in settings, secrets included.
    async fn sign_in_settings<T: serde::de::DeserializeOwned>(
        &self,
        column: SignInColumn,
    ) -> Result<Option<T>, StoreError> {
        let sql = format!("SELECT {} FROM tenants WHERE id = $1", column.name());
        let text: Option<String> = sqlx::query_scalar(&sql)
            .bind(self.tid())
            .fetch_one(&self.store.read)
            .await?;
        text.map(|t| serde_json::from_str(&t).map_err(|_| corrupt("tenants sign-in settings")))
            .transpose()
    }

    /// Stores (or with `None` clears) one of the tenant's sign-in settings (admins).
    async fn put_sign_in<T: serde::Serialize>(
        &self,
        actor: &Actor,
        column: SignInColumn,
        settings: Option<&T>,
    ) -> Result<(), StoreError> {
        if !access::allowed(actor, Permission::ManageUsers) {
            return Err(StoreError::Forbidden);
        }
        let text = settings
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let sql = format!("UPDATE tenants SET {} = $1 WHERE id = $2", column.name());
        sqlx::query(&sql)
            .bind(text)
            .bind(self.tid())
            .execute(&self.store.write)
            .await?;
        Ok(())
    }
}

impl Store {
    /// The tenant whose OpenID provider a sign-in page offers: `tenant` (a slug), or with none
    /// named the one active tenant that has a provider.
    pub async fn oidc_tenant(
        &self,
        tenant: Option<&str>,
    ) -> Result<Option<(TenantId, OidcSettings)>, StoreError> {
        self.tenant_signing_in(SignInColumn::Oidc, tenant).await
    }

    /// The directory to ask for a sign-in to `tenant` (a slug), password included; with no
    /// tenant named, the directory of the one active tenant that has one. `None`: sign-ins
    /// there are local only.
    pub async fn directory_for(
        &self,
        tenant: Option<&str>,
    ) -> Result<Option<(TenantId, DirectorySettings)>, StoreError> {
        self.tenant_signing_in(SignInColumn::Directory, tenant)
            .await
    }

    /// The active tenant `tenant` names (or, with none named, the only one) whose `column` is
    /// set, with that setting.
    async fn tenant_signing_in<T: serde::de::DeserializeOwned>(
        &self,
        column: SignInColumn,
        tenant: Option<&str>,
    ) -> Result<Option<(TenantId, T)>, StoreError> {
        // No slug holds a NUL (PostgreSQL text cannot): such a sign-in names no tenant.
        if tenant.is_some_and(|t| t.contains('\0')) {
            return Ok(None);
        }
        let c = column.name();
        let sql = format!(
            "SELECT id, {c} FROM tenants WHERE {c} IS NOT NULL \
             AND suspended_at IS NULL AND ($1 = '' OR slug = $1) LIMIT 2"
        );
        let rows: Vec<(String, String)> = sqlx::query_as(&sql)
            .bind(tenant.unwrap_or(""))
            .fetch_all(&self.read)
            .await?;
        let [(id, text)] = rows.as_slice() else {
            return Ok(None);
        };
        let id = TenantId::parse(id).ok_or_else(|| corrupt("tenants.id"))?;
        let settings =
            serde_json::from_str(text).map_err(|_| corrupt("tenants sign-in settings"))?;
        Ok(Some((id, settings)))
    }

    /// The local account of a person the directory has just let in: made on their first
    /// sign-in, brought up to date (name, e-mail, roles from their groups) on every later one.
    /// Refused with `Conflict{username}` when a local account (not the directory's) has the
    /// name, and `NotFound` when an admin has deactivated their account here.
    pub async fn directory_sign_in(
        &self,
        tenant: TenantId,
        person: &DirectoryPerson,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let username = validate::username(&person.username)?;
        let t = self.tenant(tenant);
        let email = person
            .email
            .as_deref()
            .and_then(|e| validate::email("email", e).ok());
        let display_name = person
            .display_name
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| d.chars().take(validate::MAX_NAME).collect::<String>());
        let found: Option<(String, Option<String>, i64)> = sqlx::query_as(
            "SELECT id, directory_dn, active FROM users WHERE tenant_id = $1 AND username = $2",
        )
        .bind(tenant.to_string())
        .bind(&username)
        .fetch_optional(&self.read)
        .await?;
        let id = match found {
            Some((_, None, _)) => return Err(StoreError::Conflict { field: "username" }),
            Some((_, Some(_), 0)) => return Err(StoreError::NotFound),
            Some((id, Some(_), _)) => id,
            None => {
                // The password is the directory's; the local one is a random nobody knows.
                let mut raw = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut raw);
                let new = NewUser {
                    username: username.clone(),
                    password: hex::encode(raw),
                    roles: person.roles,
                    display_name: display_name.clone(),
                    email: email.clone(),
                    ..NewUser::default()
                };
                t.create_user(new, now).await?.id.to_string()
            }
        };
        sqlx::query(
            "UPDATE users SET directory_dn = $1, roles = $2, \
             display_name = COALESCE($3, display_name), email = COALESCE($4, email) \
             WHERE tenant_id = $5 AND id = $6",
        )
        .bind(&person.dn)
        .bind(person.roles.to_csv())
        .bind(display_name)
        .bind(email)
        .bind(tenant.to_string())
        .bind(&id)
        .execute(&self.write)
        .await?;
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users u WHERE u.tenant_id = $1 AND u.id = $2");
        let row: UserRow = sqlx::query_as(&sql)
            .bind(tenant.to_string())
            .bind(&id)
            .fetch_one(&self.read)
            .await?;
        row.into_model()
    }
}
