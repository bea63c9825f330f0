//! RFC 6750 bearer-token errors, for the endpoints a bearer token opens (userinfo, the
//! registration endpoints).

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::no_store;

/// RFC 6750 §3: an error with its `WWW-Authenticate: Bearer` challenge.
pub struct BearerError {
    pub status: StatusCode,
    pub error: Option<&'static str>,
    pub description: String,
    /// The scope that would do, for an `insufficient_scope` challenge.
    pub scope: Option<&'static str>,
}

impl BearerError {
    pub fn invalid_request(description: &str) -> Self {
        BearerError {
            status: StatusCode::BAD_REQUEST,
            error: Some("invalid_request"),
            description: description.into(),
            scope: None,
        }
    }

    pub fn invalid_token(description: &str) -> Self {
        BearerError {
            status: StatusCode::UNAUTHORIZED,
            error: Some("invalid_token"),
            description: description.into(),
            scope: None,
        }
    }

    /// RFC 6750 §3.1: a request without credentials gets the challenge and no error code.
    pub fn missing(description: &str) -> Self {
        BearerError { status: StatusCode::UNAUTHORIZED, error: None, description: description.into(), scope: None }
    }

    /// RFC 6750 §3.1: the token is valid but not for this resource.
    pub fn insufficient_scope(description: &str) -> Self {
        BearerError {
            status: StatusCode::FORBIDDEN,
            error: Some("insufficient_scope"),
            description: description.into(),
            scope: None,
        }
    }
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let mut challenge = "Bearer realm=\"tessera\"".to_owned();
        if let Some(error) = self.error {
            challenge.push_str(&format!(", error=\"{error}\", error_description=\"{}\"", self.description));
            if let Some(scope) = self.scope {
                challenge.push_str(&format!(", scope=\"{scope}\""));
            }
        }
        let body = json!({ "error": self.error.unwrap_or("invalid_request"), "error_description": self.description });
        let mut response = (self.status, no_store(), Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// RFC 6750 §2.1: the token of an `Authorization: Bearer` header; `None` without one.
pub fn from_header(headers: &HeaderMap) -> Result<Option<String>, BearerError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .map(|(_, token)| Some(token.trim().to_owned()))
        .ok_or_else(|| BearerError::invalid_request("The Authorization header must be Bearer <token>"))
}
