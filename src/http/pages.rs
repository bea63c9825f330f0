//! The HTML Tessera serves: the authorization endpoint's error page and its form_post page.
//! Every page goes out through [`secure`], with a Content-Security-Policy that runs no script
//! but the form_post page's own, loads nothing, cannot be framed and posts forms nowhere else,
//! plus `X-Frame-Options`, `Referrer-Policy` and `Cache-Control` (`nosniff` is on every response,
//! see [`super::router`]).

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use url::{Host, Url};

/// The only script Tessera serves: it submits the form_post page's form as the page loads.
const AUTO_SUBMIT: &str = "document.forms[0].submit()";

/// The CSP hash source allowing [`AUTO_SUBMIT`] and nothing else (CSP Level 3 §2.3.1); a hash
/// needs no per-response nonce since the script never changes.
static AUTO_SUBMIT_SOURCE: LazyLock<String> = LazyLock::new(|| {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(AUTO_SUBMIT)))
});

/// Nothing is loaded, nothing frames the page, no `<base>` may redirect its links.
const BASELINE: &str = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// An error shown to the user, in a page that runs no script and submits no form.
pub fn error(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign-in error</title></head>\
         <body><h1>Sign-in error</h1><p>{}</p></body></html>",
        escape(message)
    );
    secure((status, Html(body)).into_response(), &format!("{BASELINE}; form-action 'none'"))
}

/// OAuth 2.0 Form Post Response Mode: a form the browser submits to the client at once. The
/// policy lets the page run [`AUTO_SUBMIT`] and post to the redirect URI's origin only.
pub fn form_post(action: &str, params: &[(String, String)]) -> Response {
    let inputs: String = params
        .iter()
        .map(|(name, value)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(name), escape(value)))
        .collect();
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Submitting…</title></head>\
         <body><form method=\"post\" action=\"{}\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form>\
         <script>{AUTO_SUBMIT}</script></body></html>",
        escape(action)
    );
    let policy = format!("{BASELINE}; script-src {}; form-action {}", *AUTO_SUBMIT_SOURCE, form_action(action));
    secure((StatusCode::OK, Html(body)).into_response(), &policy)
}

/// Never cached, and no `Referer` carrying codes: for the pages and the endpoint's redirects.
pub fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn secure(response: Response, policy: &str) -> Response {
    let mut response = private(response);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// The `form-action` source for a redirect URI: its origin, e.g. `https://app.example.com`.
/// Browsers ignore the path after a redirect, so the origin lets the client's callback
/// redirect within its own site. CSP host sources cannot spell IP literals (CSP Level 3
/// §2.3.1 `host-part`), so a loopback redirect URI (RFC 8252 §7.3) gets its scheme instead.
/// Redirect URIs are absolute https or loopback http (`domain::RedirectUri`).
fn form_action(redirect_uri: &str) -> String {
    match Url::parse(redirect_uri) {
        Ok(url) if matches!(url.host(), Some(Host::Domain(_))) => url.origin().ascii_serialization(),
        Ok(url) => format!("{}:", url.scheme()),
        Err(_) => "'none'".to_owned(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_action_allows_the_redirect_uris_origin_or_scheme() {
        let cases = [
            ("https://app.example.com/cb?x=1", "https://app.example.com", "path and query dropped"),
            ("https://app.example.com:443/cb", "https://app.example.com", "default port dropped"),
            ("https://App.Example.com:8443/cb", "https://app.example.com:8443", "host lowercased, port kept"),
            ("http://localhost:3000/cb", "http://localhost:3000", "localhost is a domain"),
            ("http://127.0.0.1:7777/callback", "http:", "IPv4 literal: scheme only"),
            ("http://[::1]:7777/callback", "http:", "IPv6 literal: scheme only"),
            ("not a uri", "'none'", "unparsable: nowhere"),
        ];
        for (uri, expected, why) in cases {
            assert_eq!(form_action(uri), expected, "{why}");
        }
    }

    #[test]
    fn the_script_hash_is_the_sha256_of_the_script() {
        // echo -n 'document.forms[0].submit()' | openssl dgst -sha256 -binary | base64
        assert_eq!(*AUTO_SUBMIT_SOURCE, "'sha256-ePniVEkSivX/c7XWBGafqh8tSpiRrKiqYeqbG7N1TOE='");
    }
}
