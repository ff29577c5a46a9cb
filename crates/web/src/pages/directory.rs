//! `/admin/directory`: an admin points sign-in at the company directory (LDAP, Active
//! Directory) — where it is, the service account, where people and groups are, which groups
//! give which roles — and tries a name and password against it before anyone depends on it.

use std::collections::HashMap;

use axum::extract::Form;
use axum::response::{IntoResponse, Redirect, Response};
use loopdesk_core::directory::{DirectorySettings, GroupRule};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::Role;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::error::ApiError;
use crate::extract::CurrentUser;

/// The roles a directory group may give.
const STAFF: [Role; 6] = [
    Role::Admin,
    Role::Manager,
    Role::Supervisor,
    Role::Dispatcher,
    Role::Agent,
    Role::Engineer,
];

/// Empty group rows offered below the saved ones.
const SPARE_ROWS: usize = 2;

/// What the page was sent back with.
#[derive(Deserialize, Default)]
pub struct Shown {
    done: Option<String>,
}

/// What a try answered, to show.
enum Tried {
    Found(loopdesk_store::DirectoryPerson),
    NotFound,
    Unreachable(String),
}

/// The page: the settings form (what was typed, after a refusal), a note or an error, and
/// what the last try answered.
async fn render(
    user: &CurrentUser,
    lang: Lang,
    note: Option<&str>,
    error: Option<String>,
    typed: Option<DirectorySettings>,
    tried: Option<Tried>,
) -> Response {
    // One read: whether a password is kept, then the settings as a form shows them (without it).
    let mut saved = match user.tenant.directory_to_try(&user.actor).await {
        Ok(s) => s,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let has_secret = saved.as_ref().is_some_and(|d| d.bind_password.is_some());
    if let Some(d) = saved.as_mut() {
        d.bind_password = None;
    }
    let on = saved.is_some();
    let s = typed.or(saved).unwrap_or_else(|| DirectorySettings {
        url: String::new(),
        start_tls: false,
        bind_dn: None,
        bind_password: None,
        base_dn: String::new(),
        user_filter: "(&(objectClass=inetOrgPerson)(uid={username}))".into(),
        group_base_dn: None,
        groups: Vec::new(),
    });
    let title = t(lang, "page.directory.title");
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let body = html! {
        h1 { (title) }
        p.muted { (t(lang, "page.directory.intro")) }
        @if let Some(n) = note { p.notice { (t(lang, n)) } }
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        p { (t(lang, if on { "page.directory.on" } else { "page.directory.off" })) }
        section.card {
            form method="post" action="/admin/directory" {
                (field(lang, "url", "page.directory.url", &s.url, "ldap://ad.example.com:389"))
                label.check {
                    input type="checkbox" name="start_tls" value="on" checked[s.start_tls];
                    " " (t(lang, "page.directory.start_tls"))
                }
                (field(lang, "bind_dn", "page.directory.bind_dn", &text(&s.bind_dn), "cn=loopdesk,ou=services,dc=example,dc=com"))
                label {
                    (t(lang, "page.directory.bind_password"))
                    input type="password" name="bind_password" autocomplete="new-password"
                        placeholder=(if has_secret { t(lang, "page.directory.secret_kept") } else { "" });
                }
                (field(lang, "base_dn", "page.directory.base_dn", &s.base_dn, "ou=people,dc=example,dc=com"))
                (field(lang, "user_filter", "page.directory.user_filter", &s.user_filter, "(uid={username})"))
                p.muted { (t(lang, "page.directory.filter_hint")) }
                (field(lang, "group_base_dn", "page.directory.group_base_dn", &text(&s.group_base_dn), "ou=groups,dc=example,dc=com"))
                h2 { (t(lang, "page.directory.groups")) }
                p.muted { (t(lang, "page.directory.groups_hint")) }
                (group_rows(lang, &s.groups))
                p { button type="submit" { (t(lang, "page.desk.save")) } }
            }
            @if on {
                form method="post" action="/admin/directory/off" {
                    button.quiet type="submit" { (t(lang, "page.directory.turn_off")) }
                }
            }
        }
        @if on {
            section.card {
                h2 { (t(lang, "page.directory.try")) }
                p.muted { (t(lang, "page.directory.try_hint")) }
                form method="post" action="/admin/directory/test" {
                    (field(lang, "username", "page.login.username", "", ""))
                    label {
                        (t(lang, "page.login.password"))
                        input type="password" name="password" autocomplete="off";
                    }
                    p { button type="submit" { (t(lang, "page.directory.try_button")) } }
                }
                @match &tried {
                    Some(Tried::Found(p)) => {
                        dl.facts {
                            dt { (t(lang, "page.directory.dn")) } dd { (p.dn) }
                            dt { (t(lang, "page.directory.name")) } dd { (p.display_name.clone().unwrap_or_default()) }
                            dt { (t(lang, "page.directory.email")) } dd { (p.email.clone().unwrap_or_default()) }
                            dt { (t(lang, "page.directory.roles")) }
                            dd {
                                @if p.roles.is_empty() { (t(lang, "error.directory_no_role")) }
                                @for r in p.roles.iter() { span.chip { (t(lang, &format!("role.{}", r.as_str()))) } " " }
                            }
                        }
                    }
                    Some(Tried::NotFound) => { p.error { (t(lang, "page.directory.not_found")) } }
                    Some(Tried::Unreachable(why)) => { p.error { (t(lang, "error.directory_unavailable")) " (" (why) ")" } }
                    None => {}
                }
            }
        }
    };
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! { div.narrow { (body) } },
    )
}

/// A labelled text field.
pub(super) fn field(lang: Lang, name: &str, label: &str, value: &str, example: &str) -> Markup {
    html! {
        label {
            (t(lang, label))
            input type="text" name=(name) value=(value) placeholder=(example);
        }
    }
}

/// The group → roles table of a form: the saved rules, then [`SPARE_ROWS`] blank ones.
pub(super) fn group_rows(lang: Lang, rules: &[GroupRule]) -> Markup {
    let rows = rules.len() + SPARE_ROWS;
    html! {
        table.list {
            thead { tr {
                th { (t(lang, "page.directory.group")) }
                @for r in STAFF { th { (t(lang, &format!("role.{}", r.as_str()))) } }
            } }
            tbody {
                @for i in 0..rows {
                    @let rule = rules.get(i);
                    tr {
                        td { input type="text" name={ "group_" (i) } size="48"
                            value=(rule.map(|r| r.group.as_str()).unwrap_or(""))
                            aria-label=(t(lang, "page.directory.group")); }
                        @for r in STAFF {
                            td { input type="checkbox" name={ "role_" (i) "_" (r.as_str()) } value="on"
                                aria-label=(t(lang, &format!("role.{}", r.as_str())))
                                checked[rule.is_some_and(|g| g.roles.iter().any(|n| n == r.as_str()))]; }
                        }
                    }
                }
            }
        }
    }
}

/// The group rules a form holds (a blank row is none).
pub(super) fn rules_of(form: &HashMap<String, String>) -> Vec<GroupRule> {
    let mut groups = Vec::new();
    for i in 0.. {
        let Some(group) = form.get(&format!("group_{i}")) else {
            break;
        };
        let roles: Vec<String> = STAFF
            .iter()
            .filter(|r| form.contains_key(&format!("role_{i}_{}", r.as_str())))
            .map(|r| r.as_str().to_owned())
            .collect();
        if !group.trim().is_empty() || !roles.is_empty() {
            groups.push(GroupRule {
                group: group.trim().to_owned(),
                roles,
            });
        }
    }
    groups
}

/// The page.
pub async fn show(
    PageUser { user, lang }: PageUser,
    PageQuery(shown): PageQuery<Shown>,
) -> Response {
    let note = match shown.done.as_deref() {
        Some("saved") => Some("page.settings.saved"),
        Some("off") => Some("page.directory.turned_off"),
        _ => None,
    };
    render(&user, lang, note, None, None, None).await
}

/// The settings a form holds.
fn settings_of(form: &HashMap<String, String>) -> DirectorySettings {
    let text = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let some = |k: &str| Some(text(k)).filter(|v| !v.is_empty());
    let groups = rules_of(form);
    DirectorySettings {
        url: text("url"),
        start_tls: form.contains_key("start_tls"),
        bind_dn: some("bind_dn"),
        bind_password: form.get("bind_password").filter(|p| !p.is_empty()).cloned(),
        base_dn: text("base_dn"),
        user_filter: text("user_filter"),
        group_base_dn: some("group_base_dn"),
        groups,
    }
}

/// Saves the settings; a refusal shows the form again with what was typed.
pub async fn save(
    PageUser { user, lang }: PageUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let settings = settings_of(&form);
    match user
        .tenant
        .set_directory(&user.actor, Some(settings.clone()))
        .await
    {
        Ok(()) => Redirect::to("/admin/directory?done=saved").into_response(),
        Err(e) => {
            let message = ApiError::from(e).plain_message(lang);
            let typed = DirectorySettings {
                bind_password: None,
                ..settings
            };
            render(&user, lang, None, Some(message), Some(typed), None).await
        }
    }
}

/// Turns directory sign-in off.
pub async fn off(PageUser { user, lang }: PageUser) -> Response {
    match user.tenant.set_directory(&user.actor, None).await {
        Ok(()) => Redirect::to("/admin/directory?done=off").into_response(),
        Err(e) => {
            let message = ApiError::from(e).plain_message(lang);
            render(&user, lang, None, Some(message), None, None).await
        }
    }
}

/// A name and password to try.
#[derive(Deserialize)]
pub struct TryForm {
    username: String,
    password: String,
}

/// Tries a name and password against the saved settings and shows what came back.
pub async fn try_it(PageUser { user, lang }: PageUser, Form(f): Form<TryForm>) -> Response {
    let settings = match user.tenant.directory_to_try(&user.actor).await {
        Ok(Some(s)) => s,
        Ok(None) => return Redirect::to("/admin/directory").into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let tried = match crate::directory::try_sign_in(&settings, &f.username, &f.password).await {
        Ok(Some(p)) => Tried::Found(p),
        Ok(None) => Tried::NotFound,
        Err(why) => Tried::Unreachable(why),
    };
    render(&user, lang, None, None, None, Some(tried)).await
}
