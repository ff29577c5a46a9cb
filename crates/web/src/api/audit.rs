//! `GET /api/v1/audit` and `GET /api/v1/audit/export`: the tenant's audit trail (admins);
//! `PUT /api/v1/audit/settings`: how long it is kept.

use axum::extract::Query;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use loopdesk_store::{AuditEntry, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::tickets::{opt, time};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};

/// Which entries.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// From, RFC 3339.
    pub from: Option<String>,
    /// To (exclusive), RFC 3339.
    pub to: Option<String>,
    /// One action (`sign_in_failed`, `users`, `settings` …).
    pub action: Option<String>,
    /// One person's login name.
    pub actor: Option<String>,
    /// At most this many, newest first (1–5000, default 200).
    pub limit: Option<i64>,
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, ApiError> {
        Ok(AuditFilter {
            from: opt("from", self.from.as_deref(), time)?,
            to: opt("to", self.to.as_deref(), time)?,
            action: self.action.clone(),
            actor: self.actor.clone(),
            limit: self.limit,
        })
    }
}

/// Audit entries.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub items: Vec<AuditEntry>,
}

/// The tenant's audit trail of admin and security actions, newest first (admins).
#[utoipa::path(get, path = "/api/v1/audit", tag = "users", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let items = user.tenant.audit(&user.actor, &q.filter()?).await?;
    Ok(Json(AuditPage { items }))
}

/// The same entries as CSV (admins): time, person, address, action, method, path, status,
/// what was asked.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "users", params(AuditQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export(
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let items = user.tenant.audit(&user.actor, &q.filter()?).await?;
    let cell = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut csv = String::from("at,actor,address,action,method,path,status,detail,before\n");
    for e in items {
        let row = [
            e.at.to_rfc3339(),
            cell(&e.actor_name),
            cell(&e.address),
            e.action,
            e.method,
            cell(&e.path),
            e.status.to_string(),
            cell(&e.detail.to_string()),
            cell(&e.before.map(|b| b.to_string()).unwrap_or_default()),
        ];
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        csv,
    ))
}

/// How long the trail is kept.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Days (30–3650); older entries are removed nightly.
    pub retention_days: i64,
}

/// Sets how long the trail is kept (admins; 30–3650 days).
#[utoipa::path(put, path = "/api/v1/audit/settings", tag = "users", request_body = AuditSettings,
    responses((status = 200, body = AuditSettings), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_settings(
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<AuditSettings>,
) -> Result<Json<AuditSettings>, ApiError> {
    let days = user
        .tenant
        .set_audit_retention(&user.actor, body.retention_days)
        .await?;
    Ok(Json(AuditSettings {
        retention_days: days,
    }))
}
