//! `GET /api/v1/search`: one box over tickets, customers and assets (see the store's search).

use axum::extract::RawQuery;
use axum::Json;
use loopdesk_core::search::Kind;
use loopdesk_store::SearchPage;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::extract::CurrentUser;

/// What to look for. `kind` may repeat (`?kind=ticket&kind=asset`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The words: Chinese is cut into words, numbers and phone numbers match in any spelling.
    pub q: String,
    /// `ticket`, `customer`, `asset` or `article`; repeatable; default all.
    pub kind: Option<Vec<String>>,
    /// 1–100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// From `next_cursor`.
    pub cursor: Option<String>,
}

/// The parameters, read by hand: a repeated `kind` is a list.
struct Asked {
    q: String,
    kinds: Vec<Kind>,
    limit: i64,
    cursor: Option<String>,
}

fn asked(raw: Option<&str>) -> Result<Asked, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ApiError::invalid("q", "error.bad_request"))?;
    let mut out = Asked {
        q: String::new(),
        kinds: Vec::new(),
        limit: 20,
        cursor: None,
    };
    for (key, value) in pairs {
        match key.as_str() {
            "q" => out.q = value,
            "kind" => {
                for k in value.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                    let kind = Kind::parse(k)
                        .ok_or_else(|| ApiError::invalid("kind", "error.invalid_value"))?;
                    if !out.kinds.contains(&kind) {
                        out.kinds.push(kind);
                    }
                }
            }
            "limit" => {
                out.limit = value
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|l| (1..=100).contains(l))
                    .ok_or_else(|| ApiError::invalid("limit", "error.limit_range"))?;
            }
            "cursor" => out.cursor = Some(value).filter(|c| !c.is_empty()),
            _ => {}
        }
    }
    Ok(out)
}

/// Tickets, customers and assets holding every word of `q` that the caller may see, best
/// first; `title` and `snippet` are escaped HTML with the words in `<mark>`.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchPage), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn search(
    user: CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<SearchPage>, ApiError> {
    let a = asked(raw.as_deref())?;
    let page = user
        .tenant
        .search(&user.actor, &a.q, &a.kinds, a.limit, a.cursor.as_deref())
        .await?;
    Ok(Json(page))
}
