//! `/api/v1`: one module per resource; each handler is documented for OpenAPI.

pub mod assets;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod automation;
pub mod calls;
pub mod channels;
pub mod chats;
pub mod customers;
pub mod directory;
pub mod engineers;
pub mod followup;
pub mod insights;
pub mod knowledge;
pub mod kpis;
pub mod maintenance;
pub mod organisation;
pub mod platform;
pub mod problems;
pub mod screening;
pub mod search;
pub mod service_report;
pub mod sessions;
pub mod sla_whatif;
pub mod stock;
pub mod ticket_import;
pub mod tickets;
pub mod triage;
pub mod two_factor;
pub mod users;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

/// Every API route, collected with its OpenAPI description.
pub fn routes(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(sessions::change_password))
        .routes(routes!(sessions::mine))
        .routes(routes!(sessions::end_mine))
        .routes(routes!(sessions::end_others))
        .routes(routes!(sessions::of_user))
        .routes(routes!(sessions::end_all_of_user))
        .routes(routes!(two_factor::enrol))
        .routes(routes!(two_factor::confirm))
        .routes(routes!(two_factor::off))
        .routes(routes!(two_factor::reset))
        .routes(routes!(two_factor::roles, two_factor::set_roles))
        .routes(routes!(directory::show, directory::set, directory::off))
        .routes(routes!(directory::try_it))
        .routes(routes!(
            directory::show_oidc,
            directory::set_oidc,
            directory::oidc_off
        ))
        .routes(routes!(platform::list, platform::create))
        .routes(routes!(platform::suspend))
        .routes(routes!(platform::resume))
        .routes(routes!(platform::export))
        .routes(routes!(platform::erase))
        .routes(routes!(users::create_user, users::list_users))
        .routes(routes!(users::edit_user, users::deactivate_user))
        .routes(routes!(users::reset_password))
        .routes(routes!(
            organisation::create_region,
            organisation::list_regions
        ))
        .routes(routes!(
            organisation::put_region_shape,
            organisation::delete_region_shape
        ))
        .routes(routes!(organisation::create_team))
        .routes(routes!(
            organisation::create_category,
            organisation::list_categories
        ))
        .routes(routes!(
            customers::create_customer,
            customers::list_customers
        ))
        .routes(routes!(customers::get_customer, customers::edit_customer))
        .routes(routes!(customers::merge_customer))
        .routes(routes!(customers::add_contact))
        .routes(routes!(customers::add_site))
        .routes(routes!(customers::put_contact, customers::delete_contact))
        .routes(routes!(customers::put_site, customers::delete_site))
        .routes(routes!(assets::create_asset, assets::list_assets))
        .routes(routes!(assets::import_assets))
        .routes(routes!(customers::import_customers))
        .routes(routes!(customers::import_contacts))
        .routes(routes!(customers::import_sites))
        .routes(routes!(assets::export_assets))
        .routes(routes!(assets::get_asset, assets::edit_asset))
        .routes(routes!(assets::get_asset_by_token))
        .routes(routes!(assets::add_reading))
        .routes(routes!(assets::set_status))
        .routes(routes!(assets::label))
        .routes(routes!(assets::create_model, assets::list_models))
        .routes(routes!(assets::edit_model))
        .routes(routes!(tickets::create_ticket, tickets::list_tickets))
        .routes(routes!(tickets::get_ticket))
        .routes(routes!(search::search))
        .routes(routes!(tickets::ticket_moves))
        .routes(routes!(tickets::transition_ticket))
        .routes(routes!(tickets::comment_ticket))
        .routes(routes!(tickets::transfer_team))
        .routes(routes!(tickets::merge_ticket))
        .routes(routes!(tickets::related_tickets))
        .routes(routes!(kpis::chase_ticket))
        .routes(routes!(kpis::kpis))
        .routes(routes!(kpis::export_kpis))
        .routes(routes!(kpis::kpi_tickets))
        .routes(routes!(kpis::list_schedules, kpis::add_schedule))
        .routes(routes!(kpis::remove_schedule))
        .routes(routes!(kpis::get_kpi_settings, kpis::set_kpi_settings))
        .routes(routes!(engineers::list_engineers))
        .routes(routes!(engineers::get_engineer))
        .routes(routes!(engineers::put_profile))
        .routes(routes!(engineers::set_duty))
        .routes(routes!(engineers::post_position))
        .routes(routes!(engineers::proposals))
        .routes(routes!(engineers::candidates))
        .routes(routes!(
            engineers::get_dispatch_settings,
            engineers::set_dispatch_settings
        ))
        .routes(routes!(engineers::run_dispatch))
        .routes(routes!(stock::create_part, stock::list_parts))
        .routes(routes!(stock::import_parts))
        .routes(routes!(stock::edit_part))
        .routes(routes!(stock::import_opening_stock))
        .routes(routes!(stock::create_warehouse, stock::list_warehouses))
        .routes(routes!(stock::create_movement, stock::ledger))
        .routes(routes!(stock::stock))
        .routes(routes!(stock::set_threshold))
        .routes(routes!(stock::low_stock))
        .routes(routes!(stock::create_requisition, stock::list_requisitions))
        .routes(routes!(stock::approve_requisition))
        .routes(routes!(stock::reject_requisition))
        .routes(routes!(stock::receive_requisition))
        .routes(routes!(
            stock::get_stock_settings,
            stock::set_stock_settings
        ))
        .routes(routes!(
            maintenance::create_contract,
            maintenance::list_contracts
        ))
        .routes(routes!(maintenance::create_plan, maintenance::list_plans))
        .routes(routes!(maintenance::run))
        .routes(routes!(maintenance::compliance))
        .routes(routes!(attachments::upload_attachment))
        .routes(routes!(attachments::get_attachment))
        .routes(routes!(attachments::get_thumbnail))
        .routes(routes!(service_report::service_report))
        .routes(routes!(
            automation::create_sla_policy,
            automation::list_sla_policies
        ))
        .routes(routes!(
            automation::create_calendar,
            automation::list_calendars
        ))
        .routes(routes!(automation::update_calendar))
        .routes(routes!(automation::apply_sla_policy))
        .routes(routes!(sla_whatif::what_if))
        .routes(routes!(knowledge::create, knowledge::list))
        .routes(routes!(knowledge::suggest))
        .routes(routes!(knowledge::get, knowledge::change))
        .routes(routes!(knowledge::feedback))
        .routes(routes!(knowledge::deflection))
        .routes(routes!(knowledge::draft_from_ticket))
        .routes(routes!(knowledge::used_on_ticket))
        .routes(routes!(knowledge::figures))
        .routes(routes!(followup::get_survey, followup::answer_survey))
        .routes(routes!(followup::change_priority))
        .routes(routes!(followup::change_category))
        .routes(routes!(followup::close_remediation))
        .routes(routes!(followup::get_follow_up, followup::set_follow_up))
        .routes(routes!(
            automation::create_webhook,
            automation::list_webhooks
        ))
        .routes(routes!(
            automation::edit_webhook,
            automation::delete_webhook
        ))
        .routes(routes!(automation::test_webhook))
        .routes(routes!(automation::webhook_deliveries))
        .routes(routes!(channels::create_channel, channels::list_channels))
        .routes(routes!(channels::channel_health))
        .routes(routes!(
            channels::get_channel,
            channels::edit_channel,
            channels::delete_channel
        ))
        .routes(routes!(channels::list_messages, channels::receive_message))
        .routes(routes!(channels::retry_message))
        .routes(routes!(channels::discard_message))
        .routes(routes!(chats::check_url, chats::receive))
        .routes(routes!(calls::receive_event))
        .routes(routes!(calls::list_calls))
        .routes(routes!(calls::get_call))
        .routes(routes!(calls::callback_done))
        .routes(routes!(triage::triage))
        .routes(routes!(triage::train))
        .routes(routes!(triage::settings, triage::set_settings))
        .routes(routes!(screening::settings, screening::set_settings))
        .routes(routes!(audit::list))
        .routes(routes!(audit::export))
        .routes(routes!(audit::set_settings))
        .routes(routes!(insights::problems))
        .routes(routes!(insights::risk))
        .routes(routes!(insights::risk_backtest))
        .routes(routes!(insights::maintenance))
        .routes(routes!(problems::open_record, problems::list_records))
        .routes(routes!(problems::get_record, problems::change_record))
        // A migration's lines: larger than any other body.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(ticket_import::import_tickets))
                .layer(axum::extract::DefaultBodyLimit::max(
                    ticket_import::MAX_BODY,
                )),
        )
        .routes(routes!(automation::list_jobs))
        .routes(routes!(automation::list_notifications))
        .routes(routes!(automation::mark_read))
}

/// Parses an id from the path; an id that cannot exist answers 404.
pub(crate) fn path_id<T>(text: &str, parse: fn(&str) -> Option<T>) -> Result<T, ApiError> {
    parse(text).ok_or_else(ApiError::not_found)
}

/// 403 unless the caller may read this group of settings.
pub(crate) fn require_setting_reader(
    user: &crate::extract::CurrentUser,
    setting: loopdesk_core::access::Setting,
) -> Result<(), ApiError> {
    if loopdesk_core::access::reads_setting(&user.actor, setting) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// An optional id in a query: absent or empty is none; anything else must be an id (422
/// naming the field otherwise).
pub(crate) fn query_id<T>(
    field: &'static str,
    text: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, crate::error::ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => parse(t)
            .map(Some)
            .ok_or_else(|| crate::error::ApiError::invalid(field, "error.invalid_value")),
    }
}

/// A list's page size in a query: absent or empty is 50; else 1–200 (422 naming `limit`).
pub(crate) fn query_limit(text: Option<&str>) -> Result<usize, crate::error::ApiError> {
    match text.map(str::trim).filter(|l| !l.is_empty()) {
        None => Ok(50),
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=200).contains(l))
            .ok_or_else(|| crate::error::ApiError::invalid("limit", "error.invalid_number")),
    }
}

/// Reads a field of a change that may be absent (left as it is) or `null` (cleared).
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// Imports an uploaded table (CSV, or Excel by its content type or first bytes) as `sheet`,
/// all rows or none: `201` with how many, or `422 import_failed` with each bad row.
pub(crate) async fn import_sheet(
    state: &AppState,
    user: &crate::extract::CurrentUser,
    sheet: crate::import::Sheet,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<(axum::http::StatusCode, axum::Json<assets::Imported>), ApiError> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    let lang =
        loopdesk_core::i18n::Lang::from_accept_language(text(axum::http::header::ACCEPT_LANGUAGE));
    let kind = text(axum::http::header::CONTENT_TYPE).unwrap_or("");
    let imported = crate::import::import_sheet(state, user, sheet, lang, kind, body).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        axum::Json(assets::Imported { imported }),
    ))
}
