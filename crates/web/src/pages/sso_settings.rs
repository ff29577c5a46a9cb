//! `/admin/sso`: an admin offers single sign-on with the company's OpenID Connect provider —
//! its issuer, this install's client at it, which claims are the name and the groups, and which
//! groups give which roles.

use std::collections::HashMap;

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::oidc::OidcSettings;
use maud::html;
use serde::Deserialize;

use super::directory::{field, group_rows, rules_of};
use super::layout::{page, PageQuery, PageUser};
use crate::error::ApiError;
use crate::extract::CurrentUser;
use crate::state::AppState;

/// What the page was sent back with.
#[derive(Deserialize, Default)]
pub struct Shown {
    done: Option<String>,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    note: Option<&str>,
    error: Option<String>,
    typed: Option<OidcSettings>,
) -> Response {
    let saved = match user.tenant.oidc(&user.actor).await {
        Ok(s) => s,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let on = saved.is_some();
    let s = typed.or(saved).unwrap_or_else(|| OidcSettings {
        issuer: String::new(),
        client_id: String::new(),
        client_secret: None,
        scopes: "openid profile email groups".into(),
        username_claim: "preferred_username".into(),
        groups_claim: "groups".into(),
        groups: Vec::new(),
        button_label: None,
    });
    let title = t(lang, "page.sso.title");
    let redirect = format!(
        "{}/login/sso/callback",
        state.config.public_url.trim_end_matches('/')
    );
    let body = html! {
        h1 { (title) }
        p.muted { (t(lang, "page.sso.intro")) }
        @if let Some(n) = note { p.notice { (t(lang, n)) } }
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        p { (t(lang, if on { "page.sso.on" } else { "page.sso.off" })) }
        p { (t(lang, "page.sso.redirect")) " " code #redirect { (redirect) } }
        section.card {
            form method="post" action="/admin/sso" {
                (field(lang, "issuer", "page.sso.issuer", &s.issuer, "https://login.example.com/realms/staff"))
                (field(lang, "client_id", "page.sso.client_id", &s.client_id, "loopdesk"))
                label {
                    (t(lang, "page.sso.client_secret"))
                    input type="password" name="client_secret" autocomplete="new-password"
                        placeholder=(if on { t(lang, "page.directory.secret_kept") } else { "" });
                }
                (field(lang, "scopes", "page.sso.scopes", &s.scopes, "openid profile email groups"))
                (field(lang, "username_claim", "page.sso.username_claim", &s.username_claim, "preferred_username"))
                (field(lang, "groups_claim", "page.sso.groups_claim", &s.groups_claim, "groups"))
                (field(lang, "button_label", "page.sso.button_label", &s.button_label.clone().unwrap_or_default(), t(lang, "page.login.sso")))
                h2 { (t(lang, "page.directory.groups")) }
                p.muted { (t(lang, "page.sso.groups_hint")) }
                (group_rows(lang, &s.groups))
                p { button type="submit" { (t(lang, "page.desk.save")) } }
            }
            @if on {
                form method="post" action="/admin/sso/off" {
                    button.quiet type="submit" { (t(lang, "page.sso.turn_off")) }
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

/// The page.
pub async fn show(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(shown): PageQuery<Shown>,
) -> Response {
    let note = match shown.done.as_deref() {
        Some("saved") => Some("page.settings.saved"),
        Some("off") => Some("page.sso.turned_off"),
        _ => None,
    };
    render(&state, &user, lang, note, None, None).await
}

/// Saves the provider; a refusal shows the form again with what was typed.
pub async fn save(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let text = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let settings = OidcSettings {
        issuer: text("issuer"),
        client_id: text("client_id"),
        client_secret: form.get("client_secret").filter(|p| !p.is_empty()).cloned(),
        scopes: text("scopes"),
        username_claim: text("username_claim"),
        groups_claim: text("groups_claim"),
        groups: rules_of(&form),
        button_label: Some(text("button_label")).filter(|b| !b.is_empty()),
    };
    match user
        .tenant
        .set_oidc(&user.actor, Some(settings.clone()))
        .await
    {
        Ok(()) => Redirect::to("/admin/sso?done=saved").into_response(),
        Err(e) => {
            let message = ApiError::from(e).plain_message(lang);
            let typed = OidcSettings {
                client_secret: None,
                ..settings
            };
            render(&state, &user, lang, None, Some(message), Some(typed)).await
        }
    }
}

/// Stops single sign-on.
pub async fn off(State(state): State<AppState>, PageUser { user, lang }: PageUser) -> Response {
    match user.tenant.set_oidc(&user.actor, None).await {
        Ok(()) => Redirect::to("/admin/sso?done=off").into_response(),
        Err(e) => {
            let message = ApiError::from(e).plain_message(lang);
            render(&state, &user, lang, None, Some(message), None).await
        }
    }
}
