//! Server-rendered pages that need no sign-in. Text comes from the translation table;
//! markup is escaped on the way out.

pub mod survey;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// The pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/survey/{token}", get(survey::show).post(survey::submit))
}

/// Escapes text for HTML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            super::escape(r#"<b a="1">&'</b>"#),
            "&lt;b a=&quot;1&quot;&gt;&amp;&#39;&lt;/b&gt;"
        );
    }
}
