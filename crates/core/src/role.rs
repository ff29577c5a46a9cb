//! Roles (DESIGN §2). A user holds one or more.

use serde::{Deserialize, Serialize};

/// A role, with exactly the code names of DESIGN §2.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Configures the tenant: users, teams, categories.
    Admin,
    /// Reads everything, watches the KPIs.
    Manager,
    /// 区域主管: reviews reports, handles escalations in a region.
    Supervisor,
    /// 调度: assigns work to engineers.
    Dispatcher,
    /// 客服: takes calls, records requests, solves remotely.
    Agent,
    /// 工程师: does the work on site.
    Engineer,
    /// A customer's contact: sees and confirms their own requests.
    Customer,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Manager,
        Role::Supervisor,
        Role::Dispatcher,
        Role::Agent,
        Role::Engineer,
        Role::Customer,
    ];

    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Supervisor => "supervisor",
            Role::Dispatcher => "dispatcher",
            Role::Agent => "agent",
            Role::Engineer => "engineer",
            Role::Customer => "customer",
        }
    }

    /// Parses a code name.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of roles, as one user holds them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Roles(u8);

impl Roles {
    /// The empty set.
    pub const NONE: Roles = Roles(0);

    /// True when the set holds `role`.
    pub fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// True when the set holds no role.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The roles in the set, in [`Role::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.has(*r))
    }

    /// Stored form: code names joined by commas.
    pub fn to_csv(self) -> String {
        self.iter().map(Role::as_str).collect::<Vec<_>>().join(",")
    }

    /// Parses the stored form; unknown names are an error naming them.
    pub fn from_csv(text: &str) -> Result<Roles, String> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Role::parse(s).ok_or_else(|| s.to_owned()))
            .collect()
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        Roles(iter.into_iter().fold(0, |acc, r| acc | r.bit()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_form() {
        let roles: Roles = [Role::Agent, Role::Engineer].into_iter().collect();
        assert_eq!(roles.to_csv(), "agent,engineer");
        assert_eq!(Roles::from_csv("agent,engineer"), Ok(roles));
        assert_eq!(Roles::from_csv("agent,boss"), Err("boss".to_owned()));
    }
}
