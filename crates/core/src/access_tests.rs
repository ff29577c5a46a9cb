use super::*;
use crate::Roles;

fn user(roles: &[Role], customer: Option<CustomerId>, region: Option<RegionId>) -> Actor {
    Actor::User {
        id: UserId::new(),
        roles: roles.iter().copied().collect::<Roles>(),
        customer_id: customer,
        region_id: region,
    }
}

#[test]
fn staff_see_the_whole_tenant_and_others_only_their_part() {
    for r in [Role::Admin, Role::Manager, Role::Dispatcher, Role::Agent] {
        assert!(ticket_scope(&user(&[r], None, None)).all, "{r:?}");
    }
    let region = RegionId::new();
    let sup = ticket_scope(&user(&[Role::Supervisor], None, Some(region)));
    assert_eq!(
        sup,
        TicketScope {
            region: Some(region),
            ..TicketScope::default()
        }
    );
    let eng = user(&[Role::Engineer], None, None);
    assert_eq!(ticket_scope(&eng).engineer, eng.user_id());
    assert!(!ticket_scope(&eng).all);
    let c = CustomerId::new();
    assert_eq!(
        ticket_scope(&user(&[Role::Customer], Some(c), None)).customer,
        Some(c)
    );
    assert!(ticket_scope(&user(&[Role::Customer], None, None)).is_empty());
}

#[test]
fn customers_read_only_their_own_customer_record_and_engineers_none() {
    let c = CustomerId::new();
    assert_eq!(
        customer_scope(&user(&[Role::Customer], Some(c), None)),
        Some(Some(c))
    );
    assert_eq!(
        customer_scope(&user(&[Role::Agent], None, None)),
        Some(None)
    );
    assert_eq!(customer_scope(&user(&[Role::Engineer], None, None)), None);
    assert!(!allowed(
        &user(&[Role::Customer], Some(c), None),
        Permission::InternalNotes
    ));
    assert!(!allowed(
        &user(&[Role::Manager], None, None),
        Permission::CreateTicket
    ));
    assert!(allowed(
        &user(&[Role::Admin], None, None),
        Permission::ManageUsers
    ));
    assert!(!allowed(
        &user(&[Role::Supervisor], None, None),
        Permission::ManageUsers
    ));
}

#[test]
fn settings_are_read_by_the_roles_whose_work_they_steer() {
    use Setting::*;
    let c = CustomerId::new();
    let customer = user(&[Role::Customer], Some(c), None);
    let engineer = user(&[Role::Engineer], None, None);
    for s in [Dispatch, Stock, Kpi, FollowUp] {
        assert!(!reads_setting(&customer, s), "customer {s:?}");
        assert!(!reads_setting(&engineer, s), "engineer {s:?}");
        assert!(
            reads_setting(&user(&[Role::Admin], None, None), s),
            "admin {s:?}"
        );
    }
    let agent = user(&[Role::Agent], None, None);
    assert!(reads_setting(&agent, Dispatch));
    assert!(reads_setting(&agent, FollowUp));
    assert!(!reads_setting(&agent, Kpi));
    assert!(!reads_setting(&agent, Stock));
    let manager = user(&[Role::Manager], None, None);
    assert!(reads_setting(&manager, Kpi));
    assert!(reads_setting(&manager, FollowUp));
    assert!(reads_setting(&manager, Stock));
    assert!(!reads_setting(&manager, Dispatch));
    assert!(reads_setting(&user(&[Role::Dispatcher], None, None), Stock));
}

#[test]
fn an_admin_may_not_lock_themselves_out() {
    let me = UserId::new();
    let admin = Actor::User {
        id: me,
        roles: [Role::Admin].into_iter().collect(),
        customer_id: None,
        region_id: None,
    };
    assert_eq!(own_account_change(&admin, me, true, true), Ok(()));
    assert_eq!(
        own_account_change(&admin, me, false, true)
            .unwrap_err()
            .field,
        "roles"
    );
    assert_eq!(
        own_account_change(&admin, me, true, false)
            .unwrap_err()
            .field,
        "active"
    );
    // Anyone else, any change.
    assert_eq!(
        own_account_change(&admin, UserId::new(), false, false),
        Ok(())
    );
    assert_eq!(own_account_change(&Actor::System, me, false, false), Ok(()));
    assert_eq!(own_password_reset(&admin, me).unwrap_err().field, "id");
    assert_eq!(own_password_reset(&admin, UserId::new()), Ok(()));
}

#[test]
fn risk_is_for_those_who_run_the_work_and_a_supervisor_sees_their_region() {
    let region = RegionId::new();
    for r in [Role::Admin, Role::Manager, Role::Dispatcher] {
        assert_eq!(risk_scope(&user(&[r], None, None)), Some(None), "{r:?}");
    }
    assert_eq!(
        risk_scope(&user(&[Role::Supervisor], None, Some(region))),
        Some(Some(region))
    );
    for r in [Role::Agent, Role::Engineer, Role::Customer] {
        assert_eq!(risk_scope(&user(&[r], None, None)), None, "{r:?}");
    }
}

#[test]
fn categories_are_set_by_those_who_triage_not_by_engineers_or_customers() {
    for r in [Role::Agent, Role::Dispatcher, Role::Supervisor, Role::Admin] {
        assert!(
            allowed(&user(&[r], None, None), Permission::ChangeCategory),
            "{r:?}"
        );
    }
    for r in [Role::Engineer, Role::Customer, Role::Manager] {
        assert!(
            !allowed(&user(&[r], None, None), Permission::ChangeCategory),
            "{r:?}"
        );
    }
}
