//! Loopdesk's HTTP layer: the JSON API under `/api/v1`, its OpenAPI document, and the
//! operations endpoints. Handlers translate HTTP into store calls and store answers into
//! HTTP; they hold no business rules.

pub mod api;
pub mod audit;
pub use loopdesk_store::blobs;
pub mod directory;
pub mod error;
pub mod export;
pub mod extract;
pub mod import;
pub mod label;
pub mod mailboxes;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod security;
pub mod state;
pub mod tenant_archive;

pub use state::{App, AppState, WebConfig};

use axum::extract::DefaultBodyLimit;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The OpenAPI document's header; paths and schemas are collected from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Loopdesk API",
        description = "Closed-loop work orders and field service."
    ),
    components(schemas(error::ErrorBody))
)]
struct ApiDoc;

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let (api, mut doc) =
        api::routes(OpenApiRouter::with_openapi(ApiDoc::openapi())).split_for_parts();
    utoipa::Modify::modify(&openapi::Conventions, &mut doc);
    let openapi = std::sync::Arc::new(doc);
    let max_upload = state.config.max_upload_bytes;
    Router::new()
        .merge(api)
        .merge(ops::routes())
        .merge(pages::routes())
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(max_upload + 64 * 1024))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::defend,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::localise_and_measure,
        ))
        .with_state(state)
}

/// The OpenAPI document (for tests and `loopdesk openapi`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api::routes(OpenApiRouter::with_openapi(ApiDoc::openapi()))
        .split_for_parts()
        .1;
    utoipa::Modify::modify(&openapi::Conventions, &mut doc);
    doc
}
