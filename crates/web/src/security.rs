//! Browser-side defences on every answer: a Content-Security-Policy that allows only
//! Loopdesk's own scripts, styles and images and no framing, `nosniff`, a same-origin
//! referrer, and HSTS behind https; and the cross-site request check — a write that relies on
//! the session cookie must come from one of Loopdesk's own pages.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::extract::SESSION_COOKIE;
use crate::state::AppState;

/// The policy of every page: nothing inline, nothing from elsewhere, never in a frame.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; \
    manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// Every answer that is not a page (JSON, scripts, styles): it loads nothing from elsewhere and
/// cannot be framed. (`'self'`, not `'none'`: a script's policy is also its own when it runs as
/// the service worker, which must reach Loopdesk to keep the offline queue.)
pub const DATA_CSP: &str = "default-src 'self'; frame-ancestors 'none'";

/// Uploaded files are served under a policy of their own: whatever a file holds (an SVG or
/// HTML someone named `.png`), it runs no script in Loopdesk's origin.
pub const ATTACHMENT_CSP: &str =
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

/// Middleware: refuses cross-site writes, keeps an admin or security action in the audit
/// trail (one layer for both: each layer costs every request), then adds the headers.
pub async fn defend(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_cross_site_write(req.method(), req.headers(), &state.config.public_url) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "error.cross_site_request",
        )
        .into_response();
    }
    let mut res = crate::audit::keep(&state, req, next).await;
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    let page = h
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !page {
        // JSON, scripts, styles: nothing from elsewhere, never framed; the page headers below
        // would only cost every API answer some 600 bytes.
        set(h, header::CONTENT_SECURITY_POLICY, DATA_CSP);
        return res;
    }
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(
        h,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        header::HeaderName::from_static("permissions-policy"),
        "geolocation=(self), camera=(self), microphone=()",
    );
    if state.config.secure_cookies {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}

/// True for a state-changing request that carries the session cookie (and no bearer token,
/// which a foreign page cannot add) and that a browser says came from another site: its
/// `Origin` (or, without one, its `Referer`) is neither this host nor the public URL, or
/// `Sec-Fetch-Site` says cross-site. Requests with none of these headers come from programs,
/// not from a page someone was lured to, and pass.
pub fn is_cross_site_write(method: &Method, headers: &HeaderMap, public_url: &str) -> bool {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return false;
    }
    if headers.contains_key(header::AUTHORIZATION) {
        return false;
    }
    if crate::extract::cookie(headers, SESSION_COOKIE).is_none() {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return true;
        }
    }
    let claimed = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .map(|r| origin_of(r).to_owned())
        });
    let Some(claimed) = claimed else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let own = [
        format!("http://{host}"),
        format!("https://{host}"),
        origin_of(public_url).to_owned(),
    ];
    !own.iter()
        .any(|o| !o.ends_with("://") && o.eq_ignore_ascii_case(claimed.trim_end_matches('/')))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let Some(start) = url.find("://") else {
        return url;
    };
    let rest = &url[start + 3..];
    let end = rest
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + 3 + i);
    &url[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn only_cookie_writes_from_another_site_are_cross_site() {
        let public = "https://service.example.com/";
        let cookie = ("cookie", "loopdesk_session=abc");
        let host = ("host", "127.0.0.1:8080");
        let post = Method::POST;
        let evil = headers(&[cookie, host, ("origin", "https://evil.example")]);
        assert!(is_cross_site_write(&post, &evil, public));
        assert!(!is_cross_site_write(&Method::GET, &evil, public));
        let null = headers(&[cookie, host, ("origin", "null")]);
        assert!(is_cross_site_write(&post, &null, public));
        let same = headers(&[cookie, host, ("origin", "http://127.0.0.1:8080")]);
        assert!(!is_cross_site_write(&post, &same, public));
        let public_origin = headers(&[cookie, host, ("origin", "https://service.example.com")]);
        assert!(!is_cross_site_write(&post, &public_origin, public));
        let referer = headers(&[cookie, host, ("referer", "https://evil.example/x?y")]);
        assert!(is_cross_site_write(&post, &referer, public));
        let own_referer = headers(&[cookie, host, ("referer", "http://127.0.0.1:8080/desk")]);
        assert!(!is_cross_site_write(&post, &own_referer, public));
        let fetch = headers(&[cookie, host, ("sec-fetch-site", "cross-site")]);
        assert!(is_cross_site_write(&post, &fetch, public));
        let program = headers(&[cookie, host]);
        assert!(!is_cross_site_write(&post, &program, public));
        let bearer = headers(&[
            cookie,
            host,
            ("authorization", "Bearer t"),
            ("origin", "https://evil.example"),
        ]);
        assert!(!is_cross_site_write(&post, &bearer, public));
        let no_cookie = headers(&[host, ("origin", "https://evil.example")]);
        assert!(!is_cross_site_write(&post, &no_cookie, public));
    }
}
