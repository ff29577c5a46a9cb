//! Which report-screening flags hold a report for a supervisor's review (issue 23).

use loopdesk_core::screening::Blocking;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};

/// The flags that send a report to review, and those that may be chosen.
#[derive(Serialize, ToSchema)]
pub struct ScreeningSettings {
    /// The flags that hold a report for review.
    pub blocking: Vec<String>,
    /// Every code that may be chosen.
    pub choosable: Vec<String>,
}

/// The flags to hold a report for review.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningChoice {
    /// Codes among `check_in_outside_geofence`, `short_visit`, `same_photo_before_after`,
    /// `photo_reused`, `part_not_for_model`, `labour_off_norm`, `signature_rushed`; a flag
    /// left out is shown to the reviewer but does not hold the report. An engineer's own
    /// request for review always does.
    pub blocking: Vec<String>,
}

fn answer(flags: &[loopdesk_core::ticket::Flag]) -> ScreeningSettings {
    ScreeningSettings {
        blocking: flags.iter().map(|f| f.as_str().to_owned()).collect(),
        choosable: Blocking::CHOOSABLE
            .iter()
            .map(|f| f.as_str().to_owned())
            .collect(),
    }
}

/// The flags that hold a report for review (staff).
#[utoipa::path(get, path = "/api/v1/screening/settings", tag = "tickets",
    responses((status = 200, body = ScreeningSettings), (status = 403, body = ErrorBody)))]
pub async fn settings(user: CurrentUser) -> Result<axum::Json<ScreeningSettings>, ApiError> {
    let flags = user.tenant.screening_blocking(&user.actor).await?;
    Ok(axum::Json(answer(&flags)))
}

/// Chooses the flags that hold a report for review (admin); an unknown code → 422 naming
/// `blocking`.
#[utoipa::path(put, path = "/api/v1/screening/settings", tag = "tickets",
    request_body = ScreeningChoice,
    responses((status = 200, body = ScreeningSettings), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_settings(
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<ScreeningChoice>,
) -> Result<axum::Json<ScreeningSettings>, ApiError> {
    let flags = user
        .tenant
        .set_screening_blocking(&user.actor, &body.blocking)
        .await?;
    Ok(axum::Json(answer(&flags)))
}
