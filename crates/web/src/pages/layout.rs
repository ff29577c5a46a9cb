//! The page shell: language, the signed-in user's menu, the stylesheet. Every page renders
//! inside it; every text comes from the translation table.

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderMap};
use axum::response::{Html, IntoResponse, Redirect, Response};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::Role;
use loopdesk_store::User;
use maud::{html, Markup, DOCTYPE};

use crate::extract::{cookie, CurrentUser};
use crate::state::AppState;

/// Name of the language cookie.
pub const LANG_COOKIE: &str = "loopdesk_lang";

/// The language of a page: `?lang=` (remembered in a cookie), else the cookie, else the
/// signed-in user's own, else the installation's default (`default_lang`). The browser's
/// language is not asked: a Chinese team on English browsers still reads Chinese.
pub fn lang(
    parts_query: Option<&str>,
    headers: &HeaderMap,
    user: Option<&User>,
    default: Lang,
) -> Lang {
    let asked = parts_query.and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| Lang::from_tag(v))
    });
    asked
        .or_else(|| cookie(headers, LANG_COOKIE).and_then(Lang::from_tag))
        .or_else(|| user.and_then(|u| Lang::from_tag(&u.lang)))
        .unwrap_or(default)
}

/// A signed-in person on a page; without a session the page sends them to sign in.
pub struct PageUser {
    /// The caller.
    pub user: CurrentUser,
    /// The page's language.
    pub lang: Lang,
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let next = parts.uri.path().to_owned();
        let user = CurrentUser::from_request_parts(parts, state)
            .await
            .map_err(|e| {
                if e.code() == "two_factor_setup_required" {
                    Redirect::to("/account/security").into_response()
                } else {
                    Redirect::to(&format!("/login?next={}", encode(&next))).into_response()
                }
            })?;
        let lang = lang(
            parts.uri.query(),
            &parts.headers,
            Some(&user.auth.user),
            state.config.default_lang,
        );
        Ok(PageUser { user, lang })
    }
}

/// The language of a page nobody needs to be signed in for.
pub struct PageLang(pub Lang);

impl FromRequestParts<AppState> for PageLang {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        Ok(PageLang(lang(
            parts.uri.query(),
            &parts.headers,
            None,
            state.config.default_lang,
        )))
    }
}

/// A page's query string read as `T`. A malformed one (a required field missing, a number
/// that is not one) answers the branded page in the reader's language with 400, not the
/// framework's plain text.
pub struct PageQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequestParts<AppState> for PageQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match axum::extract::Query::<T>::try_from_uri(&parts.uri) {
            Ok(axum::extract::Query(q)) => Ok(PageQuery(q)),
            Err(_) => {
                let lang = lang(
                    parts.uri.query(),
                    &parts.headers,
                    None,
                    state.config.default_lang,
                );
                let title = t(lang, "error.bad_request");
                let mut res = page(
                    lang,
                    title,
                    None,
                    html! { h1 { (title) } p { a href="/" { (t(lang, "page.home.back")) } } },
                );
                *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
                Err(res)
            }
        }
    }
}

/// Percent-encodes a path for a query parameter.
pub fn encode(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The roles that answer the phone (the desk's): core's `Permission::Calls`.
fn takes_calls(roles: &[Role]) -> bool {
    loopdesk_core::access::roles_allow(
        |r| roles.contains(&r),
        loopdesk_core::access::Permission::Calls,
    )
}

/// A menu entry: a page, or pages grouped under one heading (opened with a click), so that
/// the menu of someone with many roles fits one line at 1280 px.
enum Entry {
    Page(&'static str, &'static str),
    Group(
        &'static str,
        &'static str,
        Vec<(&'static str, &'static str)>,
    ),
}

/// The menu of someone with these roles: the pages their work starts from.
fn menu(roles: &[Role]) -> Vec<Entry> {
    let any = |of: &[Role]| roles.iter().any(|r| of.contains(r));
    let mut out = Vec::new();
    if roles.contains(&Role::Admin) {
        out.push(Entry::Page("/admin", "page.admin.title"));
    }
    if roles.contains(&Role::Customer) {
        out.push(Entry::Page("/portal", "page.nav.my_requests"));
        out.push(Entry::Page("/portal/new", "page.nav.new_request"));
    }
    if takes_calls(roles) {
        out.push(Entry::Page("/desk", "page.desk.queue"));
        out.push(Entry::Page("/desk/intake", "page.desk.intake"));
        out.push(Entry::Page("/desk/calls", "page.calls.title"));
        out.push(Entry::Page("/dispatch", "page.dispatch.title"));
    }
    use Role::*;
    if any(&[Agent, Dispatcher, Supervisor, Manager, Admin]) {
        out.push(Entry::Page("/customers", "page.customers.title"));
        out.push(Entry::Page("/assets", "page.asset.list"));
    }
    if roles.contains(&Engineer) {
        out.push(Entry::Page("/m", "page.engineer.orders"));
        out.push(Entry::Page("/m/van", "page.van.title"));
    }
    if any(&[Supervisor, Dispatcher, Admin]) {
        out.push(Entry::Page("/review", "page.review.title"));
    }
    if any(&[Supervisor, Manager, Admin]) {
        out.push(Entry::Group(
            "stock",
            "page.nav.stock",
            vec![
                ("/stock", "page.stock.title"),
                ("/requisitions", "page.approvals.title"),
            ],
        ));
    }
    if any(&[Supervisor, Manager, Dispatcher, Admin]) {
        out.push(Entry::Page("/dashboard", "page.dash.title"));
    }
    let mut analysis = Vec::new();
    if any(&[Supervisor, Manager, Admin]) {
        analysis.push(("/insights", "page.insights.title"));
        analysis.push(("/problems", "page.problems.title"));
        analysis.push(("/insights/maintenance", "page.wear.title"));
    }
    if any(&[Manager, Admin]) {
        analysis.push(("/sla/what-if", "page.whatif.title"));
    }
    if !analysis.is_empty() {
        out.push(Entry::Group("analysis", "page.nav.analysis", analysis));
    }
    out.push(Entry::Page("/kb", "page.kb.title"));
    out
}

/// A whole page: `title` (already translated) over `body`, in `lang`, with the user's menu.
pub fn page(lang: Lang, title: &str, user: Option<&User>, body: Markup) -> Response {
    let other = match lang {
        Lang::ZhCn => ("en", "English"),
        Lang::En => ("zh-CN", "中文"),
    };
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Loopdesk" }
                link rel="stylesheet" href="/static/app.css";
                // A customer installs the portal; everyone else the engineer's app.
                @if user.is_some_and(|u| u.roles.contains(&Role::Customer)) {
                    link rel="manifest" href="/portal/manifest.webmanifest";
                } @else {
                    link rel="manifest" href="/manifest.webmanifest";
                }
                link rel="icon" href="/static/icon.svg" type="image/svg+xml";
                meta name="theme-color" content="#0b6bcb";
                script src="/static/app.js" defer {}
            }
            // Someone who takes calls: a call ringing at their phone pops its caller's card.
            body data-calls=[user.filter(|u| takes_calls(&u.roles)).map(|_| "/live/calls")] {
                header.top {
                    a.brand href="/" { "Loopdesk" }
                    nav {
                        @if let Some(u) = user {
                            @for entry in menu(&u.roles) {
                                @match entry {
                                    Entry::Page(href, key) => a href=(href) { (t(lang, key)) },
                                    Entry::Group(name, key, pages) => details.menu-group data-group=(name) {
                                        summary { (t(lang, key)) }
                                        div {
                                            @for (href, key) in pages { a href=(href) { (t(lang, key)) } }
                                        }
                                    },
                                }
                            }
                        }
                    }
                    @if user.is_some() {
                        form.top-search method="get" action="/search" role="search" {
                            input #top-search type="search" name="q" accesskey="/"
                                placeholder=(t(lang, "page.search.placeholder"))
                                aria-label=(t(lang, "page.search.title"))
                                aria-keyshortcuts="/";
                        }
                    }
                    // app.js keeps the page's own query when switching (a page that needs one,
                    // such as the tickets behind a figure, stays the same page).
                    a href={ "?lang=" (other.0) } hreflang=(other.0) data-lang-switch { (other.1) }
                    @if let Some(u) = user {
                        a.muted href="/account/security" title=(t(lang, "page.account")) { (u.display_name) }
                        form method="post" action="/logout" {
                            button.link type="submit" { (t(lang, "page.logout")) }
                        }
                    }
                }
                main { (body) }
                aside #call-pop aria-live="assertive" {}
            }
        }
    };
    Html(markup.into_string()).into_response()
}

/// Remembers a language asked for with `?lang=` in a cookie, for every page after.
pub async fn lang_cookie(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let asked = req.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| Lang::from_tag(v))
    });
    let mut res = next.run(req).await;
    if let Some(lang) = asked {
        let value = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.tag()
        );
        if let Ok(v) = value.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}
