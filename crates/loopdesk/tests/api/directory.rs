//! Signing in with a company directory (issue 24), against a real OpenLDAP `slapd` started on
//! loopback: people are found by the service account, their password is checked by the
//! directory, their groups give their roles (again at every sign-in), names cannot bend the
//! search filter, local accounts keep working, and a directory that is down says so.

use loopdesk_testkit::slapd::{MANAGER, MANAGER_PASSWORD, SUFFIX};
use loopdesk_testkit::Slapd;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, ADMIN_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    people_sign_in_with_their_directory_password_and_their_groups_give_their_roles,
    an_openid_provider_is_set_up_by_admins_only_and_its_secret_never_shown
);

/// The directory's people and groups: 张伟 in dispatch, 李娜 in no group that may sign in,
/// and a dispatcher whose name is the local admin's.
fn seed() -> String {
    let person = |uid: &str, cn: &str, password: &str| {
        format!(
            "dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\n\
             cn: {cn}\nsn: {cn}\nmail: {uid}@loopdesk.test\nuserPassword: {password}\n\n"
        )
    };
    let group = |cn: &str, members: &[&str]| {
        let members: String = members
            .iter()
            .map(|m| format!("member: uid={m},ou=people,{SUFFIX}\n"))
            .collect();
        format!("dn: cn={cn},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {cn}\n{members}\n")
    };
    format!(
        "dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n{}{}{}{}{}",
        person("zhang.wei", "张伟", "Directory-pw-1"),
        person("li.na", "李娜", "Directory-pw-2"),
        person("admin", "Not The Admin", "Directory-pw-3"),
        group("dispatch", &["zhang.wei", "admin"]),
        group("canteen", &["li.na"]),
    )
}

/// slapd with [`seed`], or `None` where it is not installed (CI sets `LOOPDESK_REQUIRE_LDAP`,
/// and then it must be).
async fn slapd() -> Option<Slapd> {
    if Slapd::binary().is_none() {
        assert!(
            std::env::var_os("LOOPDESK_REQUIRE_LDAP").is_none(),
            "slapd and ldap-utils are required here"
        );
        eprintln!("skipped: slapd is not installed");
        return None;
    }
    Some(Slapd::start(&seed()).await.unwrap())
}

/// Saves the directory settings as `token`; asserts the status, answers the body.
async fn put(app: &TestApp, token: &str, body: Value, status: u16) -> Value {
    let path = "/api/v1/security/directory";
    let (got, answer) = app.send(reqwest::Method::PUT, token, path, body).await;
    assert_eq!(got, status, "{answer}");
    answer
}

/// Signs in to the default tenant; the status and the body.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> (u16, Value) {
    let body = json!({ "username": username, "password": password, "tenant": "default" });
    let r = app.post_json("", "/api/v1/auth/login", &body).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn people_sign_in_with_their_directory_password_and_their_groups_give_their_roles(
    backend: Backend,
) {
    let Some(mut ldap) = slapd().await else {
        return;
    };
    let app = spawn_app(backend).await;
    let group = |cn: &str| format!("cn={cn},ou=groups,{SUFFIX}");
    let mut settings = json!({
        "url": ldap.url,
        "bind_dn": MANAGER,
        "bind_password": MANAGER_PASSWORD,
        "base_dn": format!("ou=people,{SUFFIX}"),
        "user_filter": "(&(objectClass=inetOrgPerson)(uid={username}))",
        "group_base_dn": format!("ou=groups,{SUFFIX}"),
        "groups": [
            { "group": group("dispatch"), "roles": ["dispatcher"] },
            { "group": group("desk-admins"), "roles": ["admin"] },
        ],
    });
    // Checked field by field; only admins set it; the password is never answered.
    for (field, value) in [
        ("url", json!("http://127.0.0.1")),
        ("user_filter", json!("(uid=zhang.wei)")),
        (
            "groups",
            json!([{ "group": group("dispatch"), "roles": ["customer"] }]),
        ),
    ] {
        let mut bad = settings.clone();
        bad[field] = value;
        let e = put(&app, &app.admin, bad, 422).await;
        assert_eq!(e["field"], field, "{e}");
    }
    let (_, agent) = app.user("desk-agent", &["agent"], json!({})).await;
    put(&app, &agent, settings.clone(), 403).await;
    assert_eq!(sign_in(&app, "zhang.wei", "Directory-pw-1").await.0, 401);
    let shown = put(&app, &app.admin, settings.clone(), 200).await;
    assert!(shown["directory"]["bind_password"].is_null(), "{shown}");
    assert_eq!(shown["directory"]["bind_dn"], MANAGER);

    // An admin tries the settings without anyone signing in.
    let test = "/api/v1/security/directory/test";
    let tried = app
        .ok(
            &app.admin,
            test,
            json!({ "username": "zhang.wei", "password": "Directory-pw-1" }),
            200,
        )
        .await;
    assert_eq!(tried["found"], true);
    assert_eq!(tried["dn"], format!("uid=zhang.wei,ou=people,{SUFFIX}"));
    assert_eq!(tried["roles"], json!(["dispatcher"]));
    let tried = app
        .ok(
            &app.admin,
            test,
            json!({ "username": "zhang.wei", "password": "nope" }),
            200,
        )
        .await;
    assert_eq!(
        (tried["found"].as_bool(), tried["roles"].clone()),
        (Some(false), json!([]))
    );
    app.ok(
        &agent,
        test,
        json!({ "username": "zhang.wei", "password": "x" }),
        403,
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE username = 'zhang.wei'")
            .await,
        0
    );

    // The first sign-in makes the account, with the directory's name, e-mail and roles.
    let (status, body) = sign_in(&app, "zhang.wei", "Directory-pw-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["display_name"], "张伟");
    assert_eq!(body["user"]["email"], "zhang.wei@loopdesk.test");
    assert_eq!(body["user"]["roles"], json!(["dispatcher"]));
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&token, "/api/v1/tickets").await.status(), 200);
    // Upper case is the same person.
    assert_eq!(sign_in(&app, "Zhang.Wei", "Directory-pw-1").await.0, 200);

    // Wrong, empty, and filter-bending passwords and names are refused.
    assert_eq!(sign_in(&app, "zhang.wei", "wrong").await.0, 401);
    assert_eq!(sign_in(&app, "zhang.wei", "").await.0, 401);
    for name in ["*", "zhang*", "zhang.wei)(uid=*", "nobody"] {
        assert_eq!(sign_in(&app, name, "Directory-pw-1").await.0, 401, "{name}");
    }
    // A right password in no mapped group: told so, not signed in.
    let (status, body) = sign_in(&app, "li.na", "Directory-pw-2").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("directory_no_role"))
    );
    // The local admin stays the local admin; the directory's "admin" is not them.
    assert_eq!(sign_in(&app, "admin", ADMIN_PASSWORD).await.0, 200);
    let (status, body) = sign_in(&app, "admin", "Directory-pw-3").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("directory_name_taken"))
    );

    // Moved to the admins' group in the directory: the next sign-in gives the new role.
    ldap.modify(&format!(
        "dn: {}\nchangetype: add\nobjectClass: groupOfNames\ncn: desk-admins\n\
         member: uid=zhang.wei,ou=people,{SUFFIX}\n\n\
         dn: {}\nchangetype: modify\ndelete: member\nmember: uid=zhang.wei,ou=people,{SUFFIX}\n",
        group("desk-admins"),
        group("dispatch")
    ))
    .unwrap();
    let (status, body) = sign_in(&app, "zhang.wei", "Directory-pw-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["roles"], json!(["admin"]));
    // A password changed in the directory is the one that works.
    ldap.modify(&format!(
        "dn: uid=zhang.wei,ou=people,{SUFFIX}\nchangetype: modify\nreplace: userPassword\n\
         userPassword: Directory-pw-9\n"
    ))
    .unwrap();
    assert_eq!(sign_in(&app, "zhang.wei", "Directory-pw-1").await.0, 401);
    assert_eq!(sign_in(&app, "zhang.wei", "Directory-pw-9").await.0, 200);

    // Saved again without the password: the stored one stays.
    settings.as_object_mut().unwrap().remove("bind_password");
    put(&app, &app.admin, settings, 200).await;
    assert_eq!(sign_in(&app, "zhang.wei", "Directory-pw-9").await.0, 200);

    // The directory down: local accounts go on; directory people are told why they wait.
    ldap.stop();
    assert_eq!(sign_in(&app, "admin", ADMIN_PASSWORD).await.0, 200);
    let (status, body) = sign_in(&app, "zhang.wei", "Directory-pw-9").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("directory_unavailable"))
    );

    // Turned off: directory people sign in no more.
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &app.admin,
            "/api/v1/security/directory",
            Value::Null,
        )
        .await;
    assert_eq!(status, 204);
    let shown = app.read(&app.admin, "/api/v1/security/directory").await;
    assert!(shown["directory"].is_null());
    // (Past the hold the failures above earned the name.)
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(sign_in(&app, "zhang.wei", "Directory-pw-9").await.0, 401);
}

async fn an_openid_provider_is_set_up_by_admins_only_and_its_secret_never_shown(backend: Backend) {
    let app = spawn_app(backend).await;
    let path = "/api/v1/security/oidc";
    let mut settings = json!({
        "issuer": "https://login.example.com/realms/staff",
        "client_id": "loopdesk",
        "client_secret": "s3cret-value",
        "groups": [{ "group": "dispatch", "roles": ["dispatcher"] }],
    });
    for (field, value) in [
        ("issuer", json!("http://login.example.com")),
        ("scopes", json!("profile email")),
        ("groups", json!([])),
    ] {
        let mut bad = settings.clone();
        bad[field] = value;
        let (status, e) = app.send(reqwest::Method::PUT, &app.admin, path, bad).await;
        assert_eq!((status, e["field"].as_str()), (422, Some(field)), "{e}");
    }
    let (_, agent) = app.user("desk-agent", &["agent"], json!({})).await;
    let (status, _) = app
        .send(reqwest::Method::PUT, &agent, path, settings.clone())
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.get(&agent, path).await.status(), 403);
    // No provider yet: the sign-in page offers no single sign-on.
    let page = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("/login/sso"));
    let (status, shown) = app
        .send(reqwest::Method::PUT, &app.admin, path, settings.clone())
        .await;
    assert_eq!(status, 200, "{shown}");
    assert!(shown["oidc"]["client_secret"].is_null());
    assert_eq!(shown["oidc"]["scopes"], "openid profile email groups");
    assert!(!shown.to_string().contains("s3cret-value"));
    let page = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/login/sso?tenant="), "the page offers it");
    // Saved again without the secret: the stored one stays (the provider still gets it).
    settings.as_object_mut().unwrap().remove("client_secret");
    settings["button_label"] = json!("用集团账号登录");
    app.send(reqwest::Method::PUT, &app.admin, path, settings)
        .await;
    let stored = app
        .store
        .tenant_by_slug("default")
        .await
        .unwrap()
        .map(|t| app.store.tenant(t.id))
        .unwrap()
        .oidc_settings()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.client_secret.as_deref(), Some("s3cret-value"));
    let page = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("用集团账号登录"));
    // A refused password keeps the button (the person may have meant to use it).
    let form = [("username", "nobody"), ("password", "wrong-password-1")];
    let again = app
        .client
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let page = again.text().await.unwrap();
    assert!(
        page.contains("role=\"alert\"") && page.contains("用集团账号登录"),
        "{page}"
    );
    let (status, _) = app
        .send(reqwest::Method::DELETE, &app.admin, path, Value::Null)
        .await;
    assert_eq!(status, 204);
    assert!(app.read(&app.admin, path).await["oidc"].is_null());
}
