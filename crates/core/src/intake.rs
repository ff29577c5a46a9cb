//! Intake rules: what a new request is about, decided from what the caller said and what is
//! known. The store gathers the facts and asks here.

use crate::ticket::Actor;
use crate::{CustomerId, Role, SiteId};

/// The customer a new request belongs to: a customer contact's own, whatever the body says;
/// for staff, the one they named.
pub fn customer_of_request(actor: &Actor, named: Option<CustomerId>) -> Option<CustomerId> {
    match actor {
        Actor::User {
            roles, customer_id, ..
        } if roles.has(Role::Customer) => *customer_id,
        _ => named,
    }
}

/// The site of a new request: the one named (or the asset's), else the customer's only site.
/// A customer with several sites must say which; the request is then recorded without one.
pub fn site_of_request(named: Option<SiteId>, customer_sites: &[SiteId]) -> Option<SiteId> {
    match (named, customer_sites) {
        (Some(site), _) => Some(site),
        (None, [only]) => Some(*only),
        (None, _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserId;

    #[test]
    fn a_customer_contact_always_files_for_their_own_customer() {
        let own = CustomerId::new();
        let other = CustomerId::new();
        let contact = Actor::User {
            id: UserId::new(),
            roles: [Role::Customer].into_iter().collect(),
            customer_id: Some(own),
            region_id: None,
        };
        assert_eq!(customer_of_request(&contact, Some(other)), Some(own));
        let agent = Actor::User {
            id: UserId::new(),
            roles: [Role::Agent].into_iter().collect(),
            customer_id: None,
            region_id: None,
        };
        assert_eq!(customer_of_request(&agent, Some(other)), Some(other));
        assert_eq!(customer_of_request(&agent, None), None);
    }

    #[test]
    fn only_a_single_site_is_chosen_without_asking() {
        let (a, b) = (SiteId::new(), SiteId::new());
        assert_eq!(site_of_request(Some(b), &[a]), Some(b));
        assert_eq!(site_of_request(None, &[a]), Some(a));
        assert_eq!(site_of_request(None, &[a, b]), None);
        assert_eq!(site_of_request(None, &[]), None);
    }
}
