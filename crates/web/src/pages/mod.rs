//! Server-rendered pages: the sign-in page and the survey (open to all, the survey by its
//! signed link), and every role's working pages behind a session cookie — the desk, dispatch
//! board, review queue, engineer's orders, customer portal, ticket and asset pages, stock,
//! dashboard and admin. Text comes from the translation table; markup is escaped on the way
//! out.

pub mod admin;
pub mod assets;
pub mod audit;
pub mod calls;
pub mod channels;
mod charts;
pub mod customer_merge;
pub mod customer_parts;
pub mod customers;
pub mod dashboard;
pub mod desk;
pub mod directory;
pub mod dispatch;
pub mod engineer;
pub mod import;
pub mod insights;
mod knowledge;
pub mod labels;
pub mod layout;
pub mod live;
pub mod map;
pub mod models;
pub mod parts;
pub mod portal;
pub mod problems;
pub mod regions;
pub mod report;
pub mod review;
mod risk;
pub mod search;
pub mod security;
pub mod session;
pub mod settings;
pub mod sla;
mod sla_whatif;
pub mod sso;
pub mod sso_settings;
pub mod stock;
pub mod survey;
pub mod ticket;
pub mod ticket_import;
pub mod triage;
pub mod wear;
pub mod webhooks;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_store::StoreError;
use maud::html;

use crate::state::AppState;

/// The pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/survey/{token}", get(survey::show).post(survey::submit))
        .route("/", get(session::home))
        .route("/login", get(session::show).post(session::submit))
        .route("/logout", post(session::logout))
        .route("/login/two-factor", post(session::second_step))
        .route("/login/sso", get(sso::start))
        .route("/login/sso/callback", get(sso::callback_page))
        .route("/account/security", get(security::show))
        .route("/account/security/enrol", post(security::enrol))
        .route("/account/security/confirm", post(security::confirm))
        .route("/account/security/off", post(security::off))
        .route("/admin/security/roles", post(security::set_roles))
        .route(
            "/admin/directory",
            get(directory::show).post(directory::save),
        )
        .route("/admin/directory/off", post(directory::off))
        .route("/admin/directory/test", post(directory::try_it))
        .route(
            "/admin/sso",
            get(sso_settings::show).post(sso_settings::save),
        )
        .route("/admin/sso/off", post(sso_settings::off))
        .route("/account/sessions/{id}/end", post(security::end_session))
        .route("/account/sessions/end-others", post(security::end_others))
        .route("/account/password", post(security::change_password))
        .route("/portal", get(portal::list))
        .route("/portal/new", get(portal::new).post(portal::create))
        .route("/t/{id}", get(ticket::show))
        .route("/t/{id}/confirm", post(ticket::confirm))
        .route("/t/{id}/reopen", post(ticket::reopen))
        .route("/t/{id}/comment", post(ticket::comment))
        .route("/t/{id}/photos", post(ticket::add_photos))
        .route("/t/{id}/team", post(ticket::transfer))
        .route("/t/{id}/move", post(ticket::make_move))
        .route("/t/{id}/priority", post(ticket::priority))
        .route("/t/{id}/category", post(ticket::category))
        .route("/t/{id}/article-draft", post(knowledge::draft_from_ticket))
        .route("/t/{id}/articles", post(ticket::used_article))
        .route("/kb", get(knowledge::list).post(knowledge::create))
        .route("/kb/{id}", get(knowledge::show).post(knowledge::change))
        .route("/kb/{id}/feedback", post(knowledge::feedback_post))
        .route("/kb/{id}/solved", post(knowledge::solved))
        .route("/portal/suggest", post(knowledge::portal_suggest))
        .route("/t/{id}/chase", post(ticket::chase))
        .route("/t/{id}/merge", post(ticket::merge))
        .route("/search", get(search::show))
        .route("/customers", get(customers::list).post(customers::create))
        .route("/customers/new", get(customers::new))
        .route("/customers/export", get(customers::export))
        .route(
            "/customers/import",
            get(import::customers).post(import::upload_customers),
        )
        .route(
            "/customers/import/template",
            get(import::customers_template),
        )
        .route(
            "/stock/import",
            get(import::stock).post(import::upload_stock),
        )
        .route("/stock/import/template", get(import::stock_template))
        .route("/stock/parts", get(parts::list))
        .route("/stock/parts/export", get(parts::export))
        .route("/stock/parts/{sku}", post(parts::edit))
        .route(
            "/customers/{id}",
            get(customers::show).post(customers::edit),
        )
        .route(
            "/customers/{id}/merge",
            get(customer_merge::show).post(customer_merge::merge),
        )
        .route("/customers/{id}/contacts", post(customers::add_contact))
        .route(
            "/customers/{id}/contacts/{contact}",
            post(customers::edit_contact),
        )
        .route("/customers/{id}/sites", post(customers::add_site))
        .route(
            "/customers/{id}/contacts/{contact}/remove",
            post(customer_parts::remove_contact),
        )
        .route(
            "/customers/{id}/sites/{site}",
            post(customer_parts::edit_site),
        )
        .route(
            "/customers/{id}/sites/{site}/remove",
            post(customer_parts::remove_site),
        )
        .route("/customers/{id}/assets", post(customers::add_asset))
        .route("/review", get(review::show))
        .route(
            "/admin/import-tickets",
            get(ticket_import::show)
                .post(ticket_import::upload)
                // A migration's file: larger than any other upload.
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::api::ticket_import::MAX_BODY,
                )),
        )
        .route("/insights", get(insights::show))
        .route("/insights/records", post(problems::open))
        .route(
            "/insights/maintenance",
            get(wear::show).post(wear::make_plan),
        )
        .route("/problems", get(problems::list))
        .route("/problems/{id}", get(problems::show).post(problems::change))
        .route("/review/t/{id}", post(review::make_move))
        .route("/admin", get(admin::show))
        .route("/admin/users", post(admin::add_user))
        .route(
            "/admin/users/{id}",
            get(admin::user_page).post(admin::edit_user),
        )
        .route("/admin/users/{id}/active", post(admin::set_active))
        .route("/admin/users/{id}/password", post(admin::reset_password))
        .route("/admin/regions", get(regions::show).post(admin::add_region))
        .route("/admin/audit", get(audit::show))
        .route("/admin/settings", get(settings::show))
        .route("/admin/settings/{form}", post(settings::update))
        .route("/admin/regions/{id}/shape", post(regions::set_shape))
        .route(
            "/admin/regions/{id}/shape/clear",
            post(regions::clear_shape),
        )
        .route("/admin/teams", post(admin::add_team))
        .route("/admin/categories", post(admin::add_category))
        .route("/admin/sla", get(sla::show))
        .route("/sla/what-if", get(sla_whatif::show))
        .route("/admin/channels", get(channels::show).post(channels::add))
        .route(
            "/admin/channels/{id}",
            get(channels::detail).post(channels::edit),
        )
        .route("/admin/channels/{id}/delete", post(channels::delete))
        .route(
            "/admin/channels/{id}/messages/{message}/{action}",
            post(channels::handle),
        )
        .route("/admin/webhooks", get(webhooks::show).post(webhooks::add))
        .route("/admin/webhooks/{id}/active", post(webhooks::set_active))
        .route("/admin/webhooks/{id}/delete", post(webhooks::delete))
        .route("/admin/webhooks/{id}/test", post(webhooks::test))
        .route("/admin/sla/policies", post(sla::add_policy))
        .route("/admin/sla/calendars", post(sla::add_calendar))
        .route("/admin/sla/calendars/{id}", post(sla::set_days))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/dashboard/target", post(dashboard::set_target))
        .route("/dashboard/schedules", post(dashboard::add_schedule))
        .route(
            "/dashboard/schedules/{id}/remove",
            post(dashboard::remove_schedule),
        )
        .route("/dashboard/tickets", get(dashboard::behind))
        .route("/dispatch", get(dispatch::show))
        .route("/dispatch/assign", post(dispatch::assign))
        .route("/dispatch/t/{id}", get(dispatch::hand))
        .route("/desk", get(desk::queue))
        .route("/desk/counts", get(desk::counts))
        .route("/desk/intake", get(desk::intake).post(desk::record))
        .route("/desk/intake/new", post(desk::record_new_caller))
        .route("/desk/intake/triage", post(triage::panel))
        .route("/desk/bulk", post(desk::bulk))
        .route("/desk/export", get(desk::export))
        .route("/desk/views", post(desk::save_view))
        .route("/desk/views/{id}/delete", post(desk::delete_view))
        .route("/m", get(engineer::orders))
        .route("/m/t/{id}", get(engineer::order))
        .route("/m/t/{id}/move", post(engineer::make_move))
        .route("/m/t/{id}/report", get(report::show).post(report::submit))
        .route("/m/van", get(stock::van))
        .route("/m/requisitions", post(stock::request))
        .route("/requisitions", get(stock::approvals))
        .route("/stock", get(stock::levels))
        .route("/stock/movements", post(stock::move_stock))
        .route("/stock/warehouses", post(stock::add_warehouse))
        .route("/stock/parts", post(stock::add_part))
        .route("/stock/thresholds", post(stock::set_threshold))
        .route("/requisitions/{id}/approve", post(stock::approve))
        .route("/requisitions/{id}/reject", post(stock::reject))
        .route("/assets", get(assets::list))
        .route("/assets/{id}", get(assets::show))
        .route("/assets/{id}/status", post(assets::set_status))
        .route("/assets/{id}/edit", post(assets::edit))
        .route("/assets/{id}/move", post(assets::move_site))
        .route("/assets/models", get(models::list).post(models::add))
        .route("/assets/models/{id}", post(models::edit))
        .route("/assets/labels", get(labels::sheet))
        .route("/a/{token}", get(assets::scan))
        .route("/live/t/{id}", get(live::ticket))
        .route("/live/queue", get(live::queue))
        .route("/live/calls", get(live::calls))
        .route("/desk/calls", get(calls::log))
        .route("/desk/calls/{id}/card", get(calls::card))
        .route("/desk/calls/{id}/done", post(calls::done))
        .route("/static/app.css", get(stylesheet))
        .route("/static/survey.css", get(survey_stylesheet))
        .route("/static/app.js", get(script))
        .route("/static/icon.svg", get(icon))
        .route("/sw.js", get(service_worker))
        .route("/manifest.webmanifest", get(manifest))
        .route("/portal/manifest.webmanifest", get(portal_manifest))
        .layer(axum::middleware::from_fn(layout::lang_cookie))
}

/// The stylesheet, compiled into the binary.
async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("static/app.css"),
    )
        .into_response()
}

/// The survey page's own small stylesheet (the page is for customers without a sign-in).
async fn survey_stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("static/survey.css"),
    )
        .into_response()
}

/// The page script, compiled into the binary.
async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("static/app.js"),
    )
        .into_response()
}

/// The app's icon.
async fn icon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("static/icon.svg"),
    )
        .into_response()
}

/// The service worker, served from the root so that it may look after every page; always
/// checked for a new version.
async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("static/sw.js"),
    )
        .into_response()
}

/// The web app manifest: the engineer's app, installable on a phone's home screen, in the
/// caller's language.
async fn manifest(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
) -> Response {
    let lang = layout::lang(None, &headers, None, state.config.default_lang);
    app_manifest(lang, "page.app.name", "Loopdesk", "/m", "/")
}

/// The customer's own app: the portal, installable apart from the engineer's, starting at
/// their requests.
async fn portal_manifest(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
) -> Response {
    let lang = layout::lang(None, &headers, None, state.config.default_lang);
    app_manifest(
        lang,
        "page.app.portal_name",
        t(lang, "page.app.portal_short"),
        "/portal",
        "/",
    )
}

fn app_manifest(lang: Lang, name: &str, short: &str, start: &str, scope: &str) -> Response {
    let body = serde_json::json!({
        "id": start,
        "name": t(lang, name),
        "short_name": short,
        "lang": lang.tag(),
        "start_url": start,
        "scope": scope,
        "display": "standalone",
        "background_color": "#f5f7fa",
        "theme_color": "#0b6bcb",
        "icons": [{ "src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any" }],
    });
    (
        [(header::CONTENT_TYPE, "application/manifest+json")],
        body.to_string(),
    )
        .into_response()
}

/// A page for a store error: 404 for what the caller may not see, 500 otherwise (logged).
pub(crate) fn failure(lang: Lang, e: &StoreError) -> Response {
    let (status, key) = match e {
        StoreError::NotFound => (StatusCode::NOT_FOUND, "error.not_found"),
        StoreError::Forbidden => (StatusCode::FORBIDDEN, "error.forbidden"),
        other => {
            tracing::error!(error = %other, "page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
        }
    };
    let title = t(lang, key);
    let mut res = layout::page(
        lang,
        title,
        None,
        html! { h1 { (title) } p { a href="/" { (t(lang, "page.home.back")) } } },
    );
    *res.status_mut() = status;
    res
}

/// Any address nothing answers: the branded page in the reader's language (404); under
/// `/api/` the bare status, which the error layer turns into the API's JSON error.
pub async fn not_found(uri: axum::http::Uri, layout::PageLang(lang): layout::PageLang) -> Response {
    if uri.path().starts_with("/api/") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let title = t(lang, "page.not_found");
    let mut res = layout::page(
        lang,
        title,
        None,
        html! {
            h1 { (title) }
            p.muted { (t(lang, "page.not_found_hint")) }
            p { a.button href="/" { (t(lang, "page.home.back")) } }
        },
    );
    *res.status_mut() = StatusCode::NOT_FOUND;
    res
}

/// A field's name in an error line (`sites.lat` → 纬度).
pub(crate) fn field_label(lang: Lang, field: &str) -> String {
    let key = match field {
        "subject" => "page.request.subject",
        "description" => "page.request.description",
        "name" => "page.admin.name",
        "kind" => "page.customers.kind",
        "tier" => "page.customers.tier",
        "region_id" | "region" => "page.desk.region",
        "file" => "page.import.file",
        "team_id" => "page.admin.team",
        "roles" => "page.admin.roles",
        "display_name" => "page.admin.display_name",
        "active" => "page.admin.account",
        "sku" => "page.stock.sku",
        "min_available" => "page.stock.min_available",
        "engineer_id" => "page.stock.van_of",
        "movement.kind" => "page.stock.kind",
        "unit" => "page.stock.unit",
        "price" => "page.stock.price",
        "cost" => "page.stock.cost",
        "models" => "page.stock.models",
        "warehouse" => "page.stock.warehouse",
        "qty" => "page.stock.qty",
        "first_response_minutes" => "page.sla.first_response_minutes",
        "url" => "page.hooks.url",
        "secret" => "page.hooks.secret",
        "events" => "page.hooks.events",
        "arrival_minutes" => "page.sla.arrival_minutes",
        "resolution_minutes" => "page.sla.resolution_minutes",
        "warn_at" => "page.sla.warn_share",
        "calendar_id" => "page.sla.calendar",
        "customer_tier" => "page.customers.tier",
        "category" => "page.desk.category",
        "priority" => "page.request.urgency",
        "tags" => "page.customers.tags",
        "contacts.name" => "page.customers.contact_name",
        "contacts.phone" | "phone" => "page.customers.phone",
        "contacts.email" | "email" => "page.customers.email",
        "contacts.wechat_id" => "page.customers.wechat",
        "sites.name" => "page.customers.site_name",
        "sites.address" => "page.customers.address",
        "sites.lat" => "page.customers.lat",
        "sites.lon" => "page.customers.lon",
        "sites.geofence_m" => "page.customers.geofence",
        "site_id" => "page.desk.site",
        "model" => "page.customers.model",
        "serial" => "page.customers.serial",
        "installed_on" => "page.asset.installed",
        "warranty_until" => "page.asset.warranty_until",
        "version" => "page.customers.version",
        "duplicate_id" => "page.merge.duplicate",
        "mode" => "page.settings.mode",
        "accept_minutes" => "page.settings.accept_minutes",
        "survey_delay_minutes" => "page.settings.survey_delay",
        "survey_valid_days" => "page.settings.survey_valid",
        "auto_close_days" => "page.settings.auto_close",
        "requisition_auto_approve_below" => "page.settings.auto_approve",
        "closure_target" => "page.dash.target",
        "replaces" => "page.whatif.replaces",
        "auto_category_above" => "page.settings.auto_category",
        "code" => "page.models.code",
        "product_line" => "page.models.product_line",
        "warranty_months" => "page.models.warranty_months",
        "skill" => "page.models.skill",
        "skill_level" => "page.models.skill_level",
        "checklist" => "page.models.checklist",
        "note" => "page.asset.move_note",
        _ => {
            // A channel's fields (`address`, `imap_url`, `corp_id` …).
            let key = format!("page.channels.field.{field}");
            return if loopdesk_core::i18n::has(&key) {
                t(lang, &key).to_owned()
            } else {
                field.to_owned()
            };
        }
    };
    t(lang, key).to_owned()
}

/// What a refused form says beside it: the field by its label and the reason, for the
/// errors a person can fix (bad input, a value taken); none for the others.
pub(crate) fn refusal(lang: Lang, e: &StoreError) -> Option<String> {
    match e {
        StoreError::Invalid(f) => Some(format!(
            "{}: {}",
            field_label(lang, f.field),
            t(lang, f.reason)
        )),
        StoreError::Conflict { field } => Some(format!(
            "{}: {}",
            field_label(lang, field),
            t(lang, "error.conflict")
        )),
        StoreError::UnknownField(field) => {
            Some(format!("{field}: {}", t(lang, "error.unknown_field")))
        }
        _ => None,
    }
}

/// A page that says one thing, with a way home (200; callers set another status).
pub(crate) fn message(lang: Lang, title: &str, text: &str) -> Response {
    layout::page(
        lang,
        title,
        None,
        html! { h1 { (title) } p.error role="alert" { (text) } p { a href="/" { (t(lang, "page.home.back")) } } },
    )
}

/// When a form kept by the phone's offline queue was filled in, by the server's clock: the
/// queue writes `client_at` (done) and `client_sent_at` (sent), both by the phone's clock, and
/// the time between them is taken back from now — a phone whose clock is wrong still dates the
/// move right. With `client_at` alone, it is taken as it is. None when absent or unreadable.
pub(crate) fn client_time(done: &str, sent: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let read = |text: &str| {
        DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(|t| t.with_timezone(&Utc))
    };
    let done = read(done)?;
    Some(match read(sent) {
        Some(sent) if sent >= done => now - (sent - done),
        _ => done,
    })
}

/// An instant in the tenant's local time, to the minute.
pub(crate) fn local_time(offset: chrono::FixedOffset, at: DateTime<Utc>) -> String {
    at.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Percent-encodes a value for a URL's query.
pub(crate) fn query_value(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)])
        .map(|s| s.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

/// Escapes text for HTML.
pub(crate) fn escape(text: &str) -> String {
    loopdesk_core::search::escape_html(text)
}

#[cfg(test)]
mod tests;
