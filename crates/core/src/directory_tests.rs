use super::*;
use crate::role::Role;

fn settings() -> DirectorySettings {
    DirectorySettings {
        url: "ldap://127.0.0.1:3890".into(),
        start_tls: false,
        bind_dn: Some("cn=loopdesk,ou=services,dc=example,dc=com".into()),
        bind_password: Some("s3rvice".into()),
        base_dn: "ou=people,dc=example,dc=com".into(),
        user_filter: "(&(objectClass=inetOrgPerson)(uid={username}))".into(),
        group_base_dn: Some("ou=groups,dc=example,dc=com".into()),
        groups: vec![
            GroupRule {
                group: "cn=dispatch,ou=groups,dc=example,dc=com".into(),
                roles: vec!["dispatcher".into()],
            },
            GroupRule {
                group: "cn=desk,ou=groups,dc=example,dc=com".into(),
                roles: vec!["agent".into(), "supervisor".into()],
            },
        ],
    }
}

#[test]
fn a_sign_in_name_cannot_widen_or_end_the_filter() {
    let s = settings();
    assert_eq!(
        s.filter_for("zhang.wei"),
        "(&(objectClass=inetOrgPerson)(uid=zhang.wei))"
    );
    assert_eq!(
        s.filter_for("*"),
        "(&(objectClass=inetOrgPerson)(uid=\\2a))"
    );
    assert_eq!(
        s.filter_for("x)(uid=*"),
        "(&(objectClass=inetOrgPerson)(uid=x\\29\\28uid=\\2a))"
    );
    assert_eq!(escape_filter_value("a\\b\0c"), "a\\5cb\\00c");
    // Chinese names pass as they are (UTF-8 is the filter's own encoding).
    assert_eq!(escape_filter_value("张伟"), "张伟");
}

#[test]
fn groups_give_the_union_of_their_roles_compared_as_directories_compare_names() {
    let s = settings();
    let roles = s.roles_for(["CN=Dispatch, OU=Groups, DC=example, DC=com"]);
    assert_eq!(roles, [Role::Dispatcher].into_iter().collect());
    let both = s.roles_for([
        "cn=dispatch,ou=groups,dc=example,dc=com",
        "cn=desk,ou=groups,dc=example,dc=com",
    ]);
    assert_eq!(
        both,
        [Role::Dispatcher, Role::Agent, Role::Supervisor]
            .into_iter()
            .collect()
    );
    assert!(s
        .roles_for(["cn=canteen,ou=groups,dc=example,dc=com"])
        .is_empty());
    assert!(s.roles_for([]).is_empty());
}

#[test]
fn settings_are_checked_field_by_field() {
    assert_eq!(settings().validate(), Ok(()));
    let refused = |change: fn(&mut DirectorySettings)| {
        let mut s = settings();
        change(&mut s);
        s.validate().map_err(|e| e.field)
    };
    assert_eq!(
        refused(|s| s.url = "http://ad.example.com".into()),
        Err("url")
    );
    assert_eq!(refused(|s| s.url = "ldap://".into()), Err("url"));
    assert_eq!(
        refused(|s| {
            s.url = "ldaps://ad.example.com".into();
            s.start_tls = true;
        }),
        Err("start_tls")
    );
    assert_eq!(refused(|s| s.base_dn = "people".into()), Err("base_dn"));
    assert_eq!(
        refused(|s| s.bind_dn = Some("admin".into())),
        Err("bind_dn")
    );
    assert_eq!(
        refused(|s| s.user_filter = "uid={username}".into()),
        Err("user_filter")
    );
    assert_eq!(
        refused(|s| s.user_filter = "(uid=zhang)".into()),
        Err("user_filter")
    );
    assert_eq!(
        refused(|s| s.user_filter = "(|(uid={username})(mail={username}))".into()),
        Err("user_filter")
    );
    assert_eq!(refused(|s| s.groups.clear()), Err("groups"));
    assert_eq!(
        refused(|s| s.groups[0].roles = vec!["customer".into()]),
        Err("groups")
    );
    assert_eq!(refused(|s| s.groups[0].roles.clear()), Err("groups"));
    assert_eq!(
        refused(|s| s.groups[0].group = "dispatch".into()),
        Err("groups")
    );
    // ldaps without StartTLS, and no service account (anonymous search), are fine.
    assert_eq!(
        refused(|s| {
            s.url = "ldaps://ad.example.com:636".into();
            s.bind_dn = None;
            s.bind_password = None;
        }),
        Ok(())
    );
}
