//! Errors as HTTP answers.
//!
//! Policy: every error is `{"error": code, "message": text, "field": name?}`. `code` is a
//! snake_case contract that integrations match on; `message` is for people and comes from the
//! translation table in the caller's language (`Accept-Language`, zh-CN by default). A
//! forbidden object answers 404 like a missing one. 5xx bodies say nothing of the cause;
//! the cause is logged once, here.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use loopdesk_core::i18n::{self, Lang};
use loopdesk_core::ticket::TransitionError;
use loopdesk_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// The JSON body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code, e.g. `not_found`, `stale_version`, `validation_failed`.
    pub error: &'static str,
    /// Human-readable text.
    pub message: String,
    /// The field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For an incomplete work report: every missing field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<String>>,
    /// For a failed import: each failing row (the sheet's row; the header is row 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<RowErrorBody>>,
    /// For a failed line-by-line import (JSON lines): each failing line's faults (the first
    /// line is 1; at most the first 1,000, `message` says how many there are).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<LineErrorBody>>,
}

/// One fault of one line of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineErrorBody {
    /// The line (the first is 1).
    pub line: usize,
    /// The field at fault (`json` when the line is not a JSON object).
    pub field: String,
    /// Why, in the caller's language.
    pub message: String,
}

/// A fault of one line of an import, before it is put in words.
#[derive(Debug, Clone)]
pub struct LineFault {
    /// The line (the first is 1).
    pub line: usize,
    /// The field at fault.
    pub field: String,
    /// Translation key of the reason.
    pub key: &'static str,
    /// Filled into the reason's `{detail}`.
    pub detail: Option<String>,
}

/// One failing row of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowErrorBody {
    /// The sheet's row (the header is row 1).
    pub row: usize,
    /// The column at fault.
    pub field: String,
    /// Why, in the caller's language.
    pub message: String,
}

impl LineFault {
    /// Why, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match &self.detail {
            Some(detail) => i18n::tf(lang, self.key, &[("detail", detail)]),
            None => i18n::t(lang, self.key).to_owned(),
        }
    }
}

/// An error on its way to becoming a response (boxed: errors are rare, `Result`s are not).
#[derive(Debug, Clone)]
pub struct ApiError(Box<Details>);

#[derive(Debug, Clone)]
struct Details {
    status: StatusCode,
    code: &'static str,
    key: &'static str,
    args: Vec<(&'static str, String)>,
    field: Option<String>,
    missing: Option<Vec<String>>,
    rows: Option<Vec<loopdesk_store::RowError>>,
    lines: Option<Vec<LineFault>>,
    /// The cause of a 5xx, for the log.
    cause: Option<String>,
    /// Seconds to wait, sent as `Retry-After` (429).
    retry_after: Option<i64>,
}

impl ApiError {
    /// An error with a code and a translation key.
    pub fn new(status: StatusCode, code: &'static str, key: &'static str) -> ApiError {
        ApiError(Box::new(Details {
            status,
            code,
            key,
            args: Vec::new(),
            field: None,
            missing: None,
            rows: None,
            lines: None,
            cause: None,
            retry_after: None,
        }))
    }

    /// Names the field at fault.
    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.0.field = Some(field.into());
        self
    }

    /// Fills a placeholder of the message.
    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.0.args.push((name, value.into()));
        self
    }

    /// Asks the caller to wait `seconds` (`Retry-After`).
    pub fn retry_after(mut self, seconds: i64) -> ApiError {
        self.0.retry_after = Some(seconds);
        self
    }

    /// 422 `import_failed` for a line-by-line import, counting the lines at fault; the first
    /// [`loopdesk_core::ticket::import::MAX_ERRORS`] of them listed.
    pub fn lines(mut faults: Vec<LineFault>) -> ApiError {
        let total = faults
            .iter()
            .map(|f| f.line)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        faults.truncate(loopdesk_core::ticket::import::MAX_ERRORS);
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import_failed",
            "error.import_lines",
        )
        .arg("count", total.to_string());
        e.0.lines = Some(faults);
        e
    }

    /// 413: a body larger than the route takes.
    pub fn payload_too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "error.payload_too_large",
        )
    }

    /// 404.
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "error.not_found")
    }

    /// 401.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "error.unauthorized",
        )
    }

    /// 403.
    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "error.forbidden")
    }

    /// 422 for one field.
    pub fn invalid(field: &str, reason: &'static str) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "error.validation_failed",
        )
        .field(field)
        .arg("reason", reason)
    }

    /// 500, with the cause kept for the log only.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "error.internal",
        );
        e.0.cause = Some(cause.to_string());
        e
    }

    /// The message people read, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        self.body(lang).message
    }

    /// The message for a page that shows the form itself: a field's fault is its reason
    /// alone, without the field's API name.
    pub fn plain_message(&self, lang: Lang) -> String {
        match self.0.args.iter().find(|(name, _)| *name == "reason") {
            Some((_, reason)) => i18n::t(lang, reason).to_owned(),
            None => self.message(lang),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The stable code clients branch on.
    pub fn code(&self) -> &'static str {
        self.0.code
    }

    fn body(&self, lang: Lang) -> ErrorBody {
        let mut args: Vec<(&str, String)> = Vec::new();
        let d = &self.0;
        for (name, value) in &d.args {
            // A reason is itself a translation key.
            let value = if *name == "reason" || *name == "from" || *name == "to" {
                i18n::t(lang, value).to_owned()
            } else {
                value.clone()
            };
            args.push((name, value));
        }
        if let Some(f) = &d.field {
            args.push(("field", f.clone()));
        }
        let refs: Vec<(&str, &str)> = args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        ErrorBody {
            error: d.code,
            message: i18n::tf(lang, d.key, &refs),
            field: d.field.clone(),
            missing: d.missing.clone(),
            rows: d.rows.as_ref().map(|rows| {
                rows.iter()
                    .map(|r| RowErrorBody {
                        row: r.row,
                        field: r.field.to_owned(),
                        message: i18n::t(lang, r.reason).to_owned(),
                    })
                    .collect()
            }),
            errors: d.lines.as_ref().map(|lines| {
                lines
                    .iter()
                    .map(|l| LineErrorBody {
                        line: l.line,
                        field: l.field.clone(),
                        message: l.message(lang),
                    })
                    .collect()
            }),
        }
    }

    fn render(&self, lang: Lang) -> Response {
        let mut res = (self.0.status, axum::Json(self.body(lang))).into_response();
        if let Some(secs) = self.0.retry_after {
            if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res.extensions_mut().insert(self.clone());
        res
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.render(Lang::default())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Stale { current } => {
                ApiError::new(StatusCode::CONFLICT, "stale_version", "error.stale_version")
                    .field("version")
                    .arg("version", current.to_string())
            }
            StoreError::Conflict { field } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", "error.conflict").field(field)
            }
            StoreError::Forbidden => ApiError::forbidden(),
            StoreError::Refused { reason, gone: true } => {
                ApiError::new(StatusCode::GONE, "gone", reason)
            }
            StoreError::Refused {
                reason,
                gone: false,
            } => ApiError::new(StatusCode::CONFLICT, "conflict", reason),
            StoreError::Invalid(f) => ApiError::invalid(f.field, f.reason),
            StoreError::UnknownField(f) => ApiError::invalid(&f, "error.unknown_field"),
            StoreError::InsufficientStock {
                sku,
                warehouse_id,
                available,
                reservation,
            } => ApiError::new(
                StatusCode::CONFLICT,
                "insufficient_stock",
                if reservation {
                    "error.insufficient_reserved"
                } else {
                    "error.insufficient_stock"
                },
            )
            .field("qty")
            .arg("sku", sku)
            .arg("available", available.to_string())
            .arg("warehouse_id", warehouse_id.to_string()),
            StoreError::Transition(t) => t.into(),
            StoreError::TooFewExamples { have, need } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_few_examples",
                if need == 0 {
                    "error.one_class"
                } else {
                    "error.too_few_examples"
                },
            )
            .field("target")
            .arg("have", have.to_string())
            .arg("need", need.to_string()),
            StoreError::Rows(rows) => {
                let mut e = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "import_failed",
                    "error.import_failed",
                )
                .arg("count", rows.len().to_string());
                e.0.rows = Some(rows);
                e
            }
            StoreError::IdempotencyMismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_mismatch",
                "error.idempotency_mismatch",
            )
            .field("Idempotency-Key"),
            other => ApiError::internal(other),
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(e: TransitionError) -> ApiError {
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        match e {
            TransitionError::NotAllowed { from, to } => ApiError::new(
                unprocessable,
                "transition_not_allowed",
                "error.transition_not_allowed",
            )
            .field("to")
            .arg("from", from.label_key())
            .arg("to", to.label_key()),
            TransitionError::Forbidden => ApiError::forbidden(),
            TransitionError::Missing { field } => {
                ApiError::new(unprocessable, "missing_data", "error.missing").field(field)
            }
            TransitionError::Invalid { field, reason } => ApiError::invalid(field, reason),
            TransitionError::IncompleteReport { missing } => {
                let mut err = ApiError::new(
                    unprocessable,
                    "incomplete_report",
                    "error.incomplete_report",
                )
                .arg("missing", missing.join(", "));
                err.0.field = missing.first().map(|f| (*f).to_owned());
                err.0.missing = Some(missing.into_iter().map(str::to_owned).collect());
                err
            }
        }
    }
}

/// Middleware: renders error bodies in the caller's language, logs 5xx causes once, and
/// counts every request for `/metrics`.
pub async fn localise_and_measure(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let api = req.uri().path().starts_with("/api/");
    let started = std::time::Instant::now();
    let mut res = next.run(req).await;
    if api && res.extensions().get::<ApiError>().is_none() {
        // A request the framework refused before any handler saw it (a query string or a
        // multipart body that does not parse, a body over the limit): the same JSON body as
        // every other error.
        if let Some(err) = framework_rejection(res.status()) {
            res = err.render(lang);
        }
    }
    if let Some(err) = res.extensions_mut().remove::<ApiError>() {
        if let Some(cause) = &err.0.cause {
            tracing::error!(%method, %route, cause, "request failed");
        }
        if lang != Lang::default() {
            res = err.render(lang);
            res.extensions_mut().remove::<ApiError>();
        }
    }
    state.metrics.observe(
        method.as_str(),
        &route,
        res.status().as_u16(),
        started.elapsed(),
    );
    res
}

/// The error body of a status the framework answered with a plain-text body.
fn framework_rejection(status: StatusCode) -> Option<ApiError> {
    let (code, key) = match status {
        StatusCode::BAD_REQUEST => ("bad_request", "error.bad_request"),
        StatusCode::NOT_FOUND => ("not_found", "error.not_found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "error.method_not_allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "error.payload_too_large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "error.unsupported_media_type")
        }
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid_body", "error.bad_request"),
        _ => return None,
    };
    Some(ApiError::new(status, code, key))
}
