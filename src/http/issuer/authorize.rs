//! The authorization endpoint (RFC 6749 §3.1, OpenID Connect Core §3.1.2): validates the
//! request, hands the browser to the client's login page with a sealed challenge, and, when
//! the browser comes back with the login page's verifier, answers the client.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::pages;
use crate::oauth::authorize::{Delivery, Params};
use crate::oauth::flow;
use crate::service::authorize::{self, Reply};

use super::{Issuer, is_form};

/// GET and POST (RFC 6749 §3.1: GET must be supported; OpenID Connect Core §3.1.2.1 adds POST).
pub async fn authorize(
    State(state): State<AppState>,
    issuer: Issuer,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match read_params(&method, query.as_deref(), &headers, &body) {
        Ok(params) => params,
        Err(message) => return pages::error(StatusCode::BAD_REQUEST, &message),
    };
    let ctx = issuer.context(&state);
    let answer = match params.get("login_verifier") {
        Some(verifier) => {
            let cookies = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("");
            authorize::resume(&ctx, verifier, cookies).await
        }
        None => authorize::begin(&ctx, &params).await,
    };
    reply(&issuer, answer)
}

/// The parameters from the query (GET) or a form body (POST); each at most once (§3.1), but
/// for `resource` (RFC 8707 §2).
fn read_params(method: &Method, query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<Params, String> {
    let pairs: Vec<(String, String)> = if method == Method::POST {
        if !is_form(headers) {
            return Err("The authorization request must be a form (application/x-www-form-urlencoded)".into());
        }
        serde_urlencoded::from_bytes(body).map_err(|e| format!("The request body is not a valid form: {e}"))?
    } else {
        serde_urlencoded::from_str(query.unwrap_or("")).map_err(|e| format!("The query is not valid: {e}"))?
    };
    Params::from_pairs(pairs).map_err(|e| e.description)
}

/// What the service answered, as the browser receives it.
fn reply(issuer: &Issuer, reply: Reply) -> Response {
    match reply {
        Reply::ToLogin { location, binding } => {
            let mut response = see_other(&location);
            let secure = if issuer.issuer.starts_with("https://") { "; Secure" } else { "" };
            let cookie = format!(
                "{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
                binding.cookie_name,
                binding.cookie_value,
                flow::CHALLENGE_SECONDS + flow::VERIFIER_SECONDS
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Reply::ToClient(Delivery::Redirect(location)) => see_other(&location),
        Reply::ToClient(Delivery::FormPost { action, params }) => pages::form_post(&action, &params),
        Reply::Page { status, message } => {
            pages::error(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), &message)
        }
    }
}

/// 303 so a POSTed request is followed with GET; never cached, and no Referer carrying codes.
fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    pages::private(response)
}
