//! Sign-in with a company directory (LDAP, Active Directory). A local account is checked
//! first (so a local admin can always get in); a name the install does not know locally, or
//! a directory-managed one, is looked up in the tenant's directory by its service account,
//! the password is checked by binding as the person, and their groups give their roles
//! (core's [`directory`] rules). The local account follows the directory at every sign-in.

use std::time::Duration;

use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use loopdesk_core::directory::{escape_filter_value, DirectorySettings};
use loopdesk_store::{DirectoryPerson, StoreError, User};

use crate::state::AppState;

/// How long a directory may take to connect, and to answer each request.
const WAIT: Duration = Duration::from_secs(5);

/// Why a sign-in with a right password (or none checked) is refused.
#[derive(Debug)]
pub enum Refusal {
    /// The directory knows the person, but none of their groups may sign in.
    NoRole,
    /// A local account has the name.
    NameTaken,
    /// The directory cannot be reached or refuses the service account.
    Unavailable,
    /// Storage failed.
    Store(StoreError),
}

impl Refusal {
    /// The error code and the translation key of the message.
    pub fn code(&self) -> (&'static str, &'static str) {
        match self {
            Refusal::NoRole => ("directory_no_role", "error.directory_no_role"),
            Refusal::NameTaken => ("directory_name_taken", "error.directory_name_taken"),
            Refusal::Unavailable => ("directory_unavailable", "error.directory_unavailable"),
            Refusal::Store(_) => ("internal", "error.internal"),
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Store(e)
    }
}

/// The user a name and password sign in, locally or through the tenant's directory; `None`
/// when they do not.
pub async fn check_password(
    state: &AppState,
    tenant: Option<&str>,
    username: &str,
    password: &str,
) -> Result<Option<User>, Refusal> {
    if let Some(user) = state.store.verify_login(tenant, username, password).await? {
        return Ok(Some(user));
    }
    let Some((tenant_id, settings)) = state.store.directory_for(tenant).await? else {
        return Ok(None);
    };
    let person = match ask(&settings, username.trim(), password).await {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(None),
        Err(why) => {
            tracing::warn!(url = %settings.url, error = %why, "the directory did not answer a sign-in");
            return Err(Refusal::Unavailable);
        }
    };
    if person.roles.is_empty() {
        return Err(Refusal::NoRole);
    }
    match state
        .store
        .directory_sign_in(tenant_id, &person, state.clock.now())
        .await
    {
        Ok(user) => Ok(Some(user)),
        Err(StoreError::Conflict { .. }) => Err(Refusal::NameTaken),
        // Deactivated here, or a directory name this install cannot take as a user name.
        Err(StoreError::NotFound | StoreError::Invalid(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What the directory answers for a name and password, without signing anyone in (an admin
/// checking the settings): the person with their groups' roles, `None` for no such person or
/// a wrong password, or why the directory could not be asked.
pub async fn try_sign_in(
    settings: &DirectorySettings,
    username: &str,
    password: &str,
) -> Result<Option<DirectoryPerson>, String> {
    ask(settings, username.trim(), password)
        .await
        .map_err(|e| e.to_string())
}

/// Asks the directory: the person of that name with their groups' roles if the password is
/// theirs, `None` if not (unknown, ambiguous, wrong password); an error when it cannot be
/// asked.
async fn ask(
    settings: &DirectorySettings,
    username: &str,
    password: &str,
) -> Result<Option<DirectoryPerson>, ldap3::LdapError> {
    // An empty password is an "unauthenticated bind" that many servers let succeed.
    if username.is_empty() || password.is_empty() || username.len() > 256 {
        return Ok(None);
    }
    let how = LdapConnSettings::new()
        .set_conn_timeout(WAIT)
        .set_starttls(settings.start_tls);
    let (conn, mut ldap) = LdapConnAsync::with_settings(how, settings.url.trim()).await?;
    ldap3::drive!(conn);
    let service = async |ldap: &mut ldap3::Ldap| match &settings.bind_dn {
        Some(dn) => ldap
            .with_timeout(WAIT)
            .simple_bind(dn, settings.bind_password.as_deref().unwrap_or(""))
            .await?
            .success()
            .map(|_| ()),
        None => Ok(()),
    };
    service(&mut ldap).await?;
    let attributes = vec!["cn", "displayName", "mail", "memberOf"];
    let (entries, _) = ldap
        .with_timeout(WAIT)
        .search(
            settings.base_dn.trim(),
            Scope::Subtree,
            &settings.filter_for(username),
            attributes,
        )
        .await?
        .success()?;
    // Nobody of that name, or several: no sign-in (Active Directory's referrals to other
    // domains are not people).
    let mut entries = entries.into_iter().filter(|e| !e.is_ref());
    let (Some(entry), None) = (entries.next(), entries.next()) else {
        let _ = ldap.unbind().await;
        return Ok(None);
    };
    let entry = SearchEntry::construct(entry);
    // The password is checked by the directory itself: a bind as the person.
    let bound = ldap
        .with_timeout(WAIT)
        .simple_bind(&entry.dn, password)
        .await?;
    if bound.rc != 0 {
        let _ = ldap.unbind().await;
        return Ok(None);
    }
    let first = |name: &str| entry.attrs.get(name).and_then(|v| v.first()).cloned();
    let mut groups: Vec<String> = entry.attrs.get("memberOf").cloned().unwrap_or_default();
    if let Some(base) = &settings.group_base_dn {
        // Back to the service account (or anonymous) to read the groups.
        match &settings.bind_dn {
            Some(_) => service(&mut ldap).await?,
            None => {
                ldap.with_timeout(WAIT)
                    .simple_bind("", "")
                    .await?
                    .success()?;
            }
        }
        let filter = format!(
            "(|(member={dn})(uniqueMember={dn})(memberUid={name}))",
            dn = escape_filter_value(&entry.dn),
            name = escape_filter_value(username)
        );
        let (found, _) = ldap
            .with_timeout(WAIT)
            .search(base.trim(), Scope::Subtree, &filter, vec!["1.1"])
            .await?
            .success()?;
        groups.extend(
            found
                .into_iter()
                .filter(|g| !g.is_ref())
                .map(|g| SearchEntry::construct(g).dn),
        );
    }
    let _ = ldap.unbind().await;
    Ok(Some(DirectoryPerson {
        username: username.to_owned(),
        roles: settings.roles_for(groups.iter().map(String::as_str)),
        display_name: first("displayName").or_else(|| first("cn")),
        email: first("mail"),
        dn: entry.dn,
    }))
}
