//! Signing in against a company directory (LDAP, Active Directory): what a tenant configures,
//! how a sign-in name becomes a search filter that cannot be bent (RFC 4515 escaping), and
//! which roles a person's groups give them. The conversation with the server is the web
//! layer's; every rule is here.

use serde::{Deserialize, Serialize};

use crate::role::Roles;
use crate::validate::FieldError;

/// The placeholder in a user filter that the escaped sign-in name replaces.
pub const USERNAME: &str = "{username}";

/// A directory group and the roles its members get.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GroupRule {
    /// The group's distinguished name (`cn=dispatch,ou=groups,dc=example,dc=com`).
    pub group: String,
    /// Role names its members get (any but `customer`).
    pub roles: Vec<String>,
}

/// A tenant's directory, as an admin configures it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DirectorySettings {
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS.
    #[serde(default)]
    pub start_tls: bool,
    /// The service account that looks people up (none: an anonymous search).
    #[serde(default)]
    pub bind_dn: Option<String>,
    /// Its password (write-only: never answered).
    #[serde(default)]
    pub bind_password: Option<String>,
    /// Where people are (`ou=people,dc=example,dc=com`).
    pub base_dn: String,
    /// How a person is found by sign-in name: `(uid={username})`, or for Active Directory
    /// `(&(objectClass=user)(sAMAccountName={username}))`.
    pub user_filter: String,
    /// Where groups are searched for members (none: only the person's `memberOf`).
    #[serde(default)]
    pub group_base_dn: Option<String>,
    /// Which groups give which roles; someone in none of them does not sign in.
    pub groups: Vec<GroupRule>,
}

impl DirectorySettings {
    /// Checks what an admin sent: a URL of the two schemes, distinguished names that look like
    /// ones, a filter with one placeholder, and at least one group with staff roles.
    pub fn validate(&self) -> Result<(), FieldError> {
        let fail = |field, reason| Err(FieldError { field, reason });
        let url = self.url.trim();
        let rest = url
            .strip_prefix("ldap://")
            .or_else(|| url.strip_prefix("ldaps://"));
        if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
            return fail("url", "error.directory_url");
        }
        if self.start_tls && url.starts_with("ldaps://") {
            return fail("start_tls", "error.directory_start_tls");
        }
        if !looks_like_dn(&self.base_dn) {
            return fail("base_dn", "error.directory_dn");
        }
        if let Some(dn) = &self.bind_dn {
            if !looks_like_dn(dn) {
                return fail("bind_dn", "error.directory_dn");
            }
        }
        if self
            .group_base_dn
            .as_deref()
            .is_some_and(|d| !looks_like_dn(d))
        {
            return fail("group_base_dn", "error.directory_dn");
        }
        let f = self.user_filter.trim();
        if !(f.starts_with('(') && f.ends_with(')'))
            || f.matches(USERNAME).count() != 1
            || f.len() > 500
        {
            return fail("user_filter", "error.directory_filter");
        }
        check_rules(&self.groups, true)
    }

    /// The search filter for a sign-in name, the name escaped so that it matches itself only
    /// (`*`, parentheses, backslash and NUL cannot widen or end the filter).
    pub fn filter_for(&self, username: &str) -> String {
        self.user_filter
            .trim()
            .replace(USERNAME, &escape_filter_value(username))
    }

    /// The roles a person in `groups` (distinguished names, as the server spells them) gets:
    /// the union over every rule whose group they are in. Empty: they may not sign in.
    pub fn roles_for<'a>(&self, groups: impl IntoIterator<Item = &'a str>) -> Roles {
        roles_for(&self.groups, groups)
    }
}

/// The roles `rules` give someone in `groups`: the union over every rule whose group they are
/// in, names compared as directories compare them (no case, no spaces around separators).
pub fn roles_for<'a>(rules: &[GroupRule], groups: impl IntoIterator<Item = &'a str>) -> Roles {
    let held: Vec<String> = groups.into_iter().map(normal_dn).collect();
    rules
        .iter()
        .filter(|rule| held.contains(&normal_dn(&rule.group)))
        .flat_map(|rule| rule_roles(rule).unwrap_or(Roles::NONE).iter())
        .collect()
}

/// Checks a list of group rules: at least one, at most 100, each naming a group and at least
/// one staff role.
pub fn check_rules(rules: &[GroupRule], dn: bool) -> Result<(), FieldError> {
    let fail = |reason| {
        Err(FieldError {
            field: "groups",
            reason,
        })
    };
    if rules.is_empty() || rules.len() > 100 {
        return fail("error.directory_groups");
    }
    for rule in rules {
        let named = if dn {
            looks_like_dn(&rule.group)
        } else {
            !rule.group.trim().is_empty() && rule.group.len() <= 500
        };
        if !named {
            return fail("error.directory_dn");
        }
        if rule_roles(rule)?.is_empty() {
            return fail("error.directory_groups");
        }
    }
    Ok(())
}

/// A rule's roles; `customer` and unknown names refused.
fn rule_roles(rule: &GroupRule) -> Result<Roles, FieldError> {
    crate::totp::required_roles(&rule.roles).map_err(|_| FieldError {
        field: "groups",
        reason: "error.invalid_role",
    })
}

/// Escapes a value for an LDAP search filter (RFC 4515 §3): `*`, `(`, `)`, `\` and NUL as
/// `\2a`, `\28`, `\29`, `\5c`, `\00`.
pub fn escape_filter_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '*' => out.push_str("\\2a"),
            '(' => out.push_str("\\28"),
            ')' => out.push_str("\\29"),
            '\\' => out.push_str("\\5c"),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

/// True for text shaped like a distinguished name: `attr=value` parts joined by commas.
fn looks_like_dn(dn: &str) -> bool {
    let dn = dn.trim();
    !dn.is_empty()
        && dn.len() <= 1000
        && dn.split(',').all(|part| {
            part.split_once('=')
                .is_some_and(|(k, v)| !k.trim().is_empty() && !v.trim().is_empty())
        })
}

/// A distinguished name compared as directories compare them: attribute names and values
/// without case, no spaces around the separators.
fn normal_dn(dn: &str) -> String {
    dn.split(',')
        .map(|part| match part.split_once('=') {
            Some((k, v)) => format!("{}={}", k.trim(), v.trim()),
            None => part.trim().to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
        .to_lowercase()
}

#[cfg(test)]
#[path = "directory_tests.rs"]
mod tests;
