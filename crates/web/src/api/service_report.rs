//! `GET /api/v1/tickets/{id}/service-report`: the ticket's service report (服务报告) as a PDF,
//! for staff who may see the ticket and for its customer, once the engineer has sent a report.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use loopdesk_core::TicketId;
use loopdesk_pdf::{Paper, PdfError, ReportError};
use serde::Deserialize;
use utoipa::IntoParams;

use super::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// How to print it.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `a4` (default) or `receipt` (an 80 mm roll).
    #[param(value_type = Option<String>, pattern = "^(a4|receipt)$")]
    pub paper: Option<String>,
    /// `zh-CN` or `en` (default: the caller's language).
    pub lang: Option<String>,
}

/// The service report as a PDF: the company, ticket number and QR code, customer, site, asset,
/// the fault, the work done, parts and labour, photos, check-in and completion times, the
/// signature and the confirmation.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/service-report", tag = "tickets",
    params(("id" = String, Path), ReportQuery),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "No work report yet", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 503, description = "No CJK font on the server", body = ErrorBody)))]
pub async fn service_report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    let q: ReportQuery = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| ApiError::invalid("paper", "error.bad_request"))?;
    let paper = match q.paper.as_deref() {
        None => Paper::A4,
        Some(p) => {
            Paper::parse(p).ok_or_else(|| ApiError::invalid("paper", "error.invalid_value"))?
        }
    };
    let lang = crate::pages::layout::lang(
        raw.as_deref(),
        &headers,
        Some(&user.auth.user),
        state.config.default_lang,
    );
    let link = format!("{}/t/{id}", state.config.public_url.trim_end_matches('/'));
    let made = loopdesk_pdf::make(
        &user.tenant,
        &user.actor,
        state.blobs.as_ref(),
        state.fonts.clone(),
        id,
        (lang, paper),
        &link,
        state.clock.now(),
    )
    .await;
    let (name, pdf) = match made {
        Ok(Some(made)) => made,
        Ok(None) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "no_report",
                "error.no_service_report",
            ))
        }
        Err(ReportError::Store(e)) => return Err(e.into()),
        Err(ReportError::Pdf(PdfError::Font(e))) => {
            tracing::error!(error = %e, "no font for service reports");
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "pdf_unavailable",
                "error.pdf_font",
            ));
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    let headers = [
        (header::CONTENT_TYPE, "application/pdf".to_owned()),
        (header::CACHE_CONTROL, "private, no-store".to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{name}\""),
        ),
        (
            header::HeaderName::from_static("x-content-type-options"),
            "nosniff".to_owned(),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            crate::security::ATTACHMENT_CSP.to_owned(),
        ),
    ];
    Ok((headers, pdf).into_response())
}
