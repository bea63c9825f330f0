//! Every error's wire format, in one place: `ApiError` in the Kong problem shape for /v1 and
//! operational responses; `OAuthError` (RFC 6749 §5.2) and `BearerError` (RFC 6750 §3) for
//! issuer endpoints. Internal causes are logged here and never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::Invalid;
use crate::oauth::OAuthError;
use crate::oauth::bearer::{BearerError, Refusal};
use crate::store;

use super::request_id;

/// One entry of `invalid_parameters`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct InvalidParameter {
    pub field: String,
    pub rule: &'static str,
    pub source: &'static str,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<String>>,
}

impl InvalidParameter {
    pub fn new(field: &str, source: &'static str, invalid: Invalid) -> Self {
        InvalidParameter {
            field: format!("{field}{}", invalid.suffix),
            rule: invalid.rule,
            source,
            reason: invalid.reason,
            minimum: invalid.minimum,
            maximum: invalid.maximum,
            choices: invalid.choices,
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: String,
    invalid_parameters: Vec<InvalidParameter>,
    /// Seconds for `Retry-After` on a 429 (RFC 6585 §4).
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Problem<'a> {
    status: u16,
    title: &'a str,
    #[serde(rename = "type")]
    kind: String,
    instance: String,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    invalid_parameters: &'a [InvalidParameter],
}

impl ApiError {
    fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError { status, detail: detail.into(), invalid_parameters: Vec::new(), retry_after: None }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn invalid(parameters: Vec<InvalidParameter>) -> Self {
        let detail = match parameters.as_slice() {
            [one] => format!("Invalid parameter [{}]: {}", one.field, one.reason),
            _ => format!("{} invalid parameters", parameters.len()),
        };
        ApiError { status: StatusCode::BAD_REQUEST, detail, invalid_parameters: parameters, retry_after: None }
    }

    /// A 400 about one field of the JSON body.
    pub fn invalid_field(field: &str, invalid: Invalid) -> Self {
        Self::invalid(vec![InvalidParameter::new(field, "body", invalid)])
    }

    /// A 400 about one parameter outside the body (path or query).
    pub fn invalid_at(source: &'static str, field: &str, invalid: Invalid) -> Self {
        Self::invalid(vec![InvalidParameter::new(field, source, invalid)])
    }

    /// A 400 about the body as a whole (it cannot be read as JSON, say).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::unreadable("body", detail)
    }

    /// A 400 about a whole part of the request that cannot be read: `body`, `query` or `path`.
    pub fn unreadable(source: &'static str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let parameter = InvalidParameter::new(source, source, Invalid::new("invalid", detail.clone()));
        ApiError { status: StatusCode::BAD_REQUEST, detail, invalid_parameters: vec![parameter], retry_after: None }
    }

    /// A 400 `missing_reference` for each scope id that is not in the auth server.
    pub fn missing_scopes(field: &str, ids: &[uuid::Uuid]) -> Self {
        let reason = |id: &uuid::Uuid| format!("scope [{id}] does not exist in this auth server");
        Self::invalid(
            ids.iter()
                .map(|id| InvalidParameter::new(field, "body", Invalid::new("missing_reference", reason(id))))
                .collect(),
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, detail)
    }

    pub fn gone(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::GONE, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Invalid or missing admin token: send Authorization: Bearer <token>")
    }

    /// 401 for a console request whose session has ended or never began: the console signs in again.
    pub fn console_signed_out(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// 401 for a token that names a credential which may not be used now: its holder learns why.
    pub fn unauthorized_because(reason: &impl std::fmt::Display) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, format!("Invalid admin token: {reason}"))
    }

    /// 401 from /metrics when `TESSERA_METRICS_TOKEN` is set: the problem shape, its own realm.
    pub fn metrics_unauthorized() -> Response {
        let detail = "Invalid or missing metrics token: send Authorization: Bearer <TESSERA_METRICS_TOKEN>";
        let mut response = Self::new(StatusCode::UNAUTHORIZED, detail).into_response();
        let challenge = HeaderValue::from_static("Bearer realm=\"tessera-metrics\"");
        response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
        response
    }

    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed on this resource")
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json")
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, format!("Request body is larger than {limit} bytes"))
    }

    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "The database is unavailable; retry shortly")
    }

    /// RFC 6585 §4: too many failed authentications from this address.
    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after_seconds),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many failed authentications from this address; retry after {retry_after_seconds} seconds"),
            )
        }
    }

    pub fn timeout() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "The request took too long; retry shortly")
    }

    /// Logs the cause; the caller sees only a generic 500 and the trace id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    }
}

impl From<store::Error> for ApiError {
    fn from(error: store::Error) -> Self {
        match error {
            store::Error::NotFound => ApiError::not_found("Not found"),
            store::Error::Conflict { constraint } => {
                ApiError::conflict(format!("Conflicts with an existing resource ({constraint})"))
            }
            store::Error::MissingScopes(ids) => ApiError::missing_scopes("scopes", &ids),
            store::Error::SecretLimit => ApiError::forbidden(
                "A client can have at most 2 enabled secrets: disable or delete one before adding another",
            ),
            store::Error::NotEmpty => {
                ApiError::conflict("The directory still holds principals: delete them, or delete with force=true")
            }
            store::Error::KeyLimit => ApiError::conflict(format!(
                "A principal can have at most {} API keys: delete one before adding another",
                crate::domain::api_key::MAX_KEYS_PER_PRINCIPAL
            )),
            store::Error::IdentityLimit => ApiError::conflict(format!(
                "A principal can have at most {} identities: delete one before adding another",
                crate::domain::identity::MAX_PER_PRINCIPAL
            )),
            store::Error::MissingReference(field) => ApiError::invalid(vec![InvalidParameter::new(
                field,
                "body",
                Invalid::new(
                    "missing_reference",
                    if field == "auth_server_id" {
                        "is not an existing auth server"
                    } else {
                        "is not a client of the auth server"
                    },
                ),
            )]),
            store::Error::MissingClients(positions) => ApiError::invalid(
                positions
                    .iter()
                    .map(|i| {
                        let invalid = Invalid::new("missing_reference", "is not a client of the auth server");
                        InvalidParameter::new(&format!("subjects[{i}].client_id"), "body", invalid)
                    })
                    .collect(),
            ),
            store::Error::MissingItems(items) => ApiError::invalid(
                items
                    .iter()
                    .map(|(field, i)| {
                        let reason = match *field {
                            "trusted_issuer_ids" => "is not a trusted issuer of the auth server",
                            "audiences" => "is not the uri of a resource of the auth server",
                            _ => "is not a scope of the auth server",
                        };
                        InvalidParameter::new(
                            &format!("{field}[{i}]"),
                            "body",
                            Invalid::new("missing_reference", reason),
                        )
                    })
                    .collect(),
            ),
            store::Error::LimitReached => ApiError::conflict("A limit was reached: delete one before adding another"),
            store::Error::LastAdmin => {
                ApiError::conflict("This would leave no enabled admin credential: create or enable another admin first")
            }
            store::Error::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                ApiError::unavailable()
            }
            other => ApiError::internal(other),
        }
    }
}

/// The Argon2 pool is full: 503 with `Retry-After` at once, rather than a wait.
impl From<crate::hashing::Busy> for ApiError {
    fn from(_: crate::hashing::Busy) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "The server is busy checking secrets; retry shortly")
    }
}

impl From<crate::hashing::HashError> for ApiError {
    fn from(error: crate::hashing::HashError) -> Self {
        match error {
            crate::hashing::HashError::Busy(busy) => busy.into(),
            crate::hashing::HashError::Failed(cause) => ApiError::internal(cause),
        }
    }
}

impl From<crate::cache::CacheError> for ApiError {
    fn from(error: crate::cache::CacheError) -> Self {
        match error {
            crate::cache::CacheError::Store(error) => error.into(),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let problem = Problem {
            status: self.status.as_u16(),
            title,
            kind: format!("https://httpstatuses.com/{}", self.status.as_u16()),
            instance: format!("tessera:trace:{}", request_id::current()),
            detail: &self.detail,
            invalid_parameters: &self.invalid_parameters,
        };
        let mut response = (self.status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        match self.status {
            StatusCode::UNAUTHORIZED => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"tessera-admin\""));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

/// Maps store errors to specific answers at the call site.
pub trait ResultExt<T> {
    /// `handle` picks a specific answer for some store errors; the rest convert as usual.
    fn on_store_error(self, handle: impl FnOnce(&store::Error) -> Option<ApiError>) -> Result<T, ApiError>;
    /// A unique-key violation on `constraint` becomes `error`.
    fn on_constraint(self, constraint: &str, error: impl FnOnce() -> ApiError) -> Result<T, ApiError>;
    /// A missing row becomes a 404 naming what was looked for.
    fn or_not_found(self, what: impl FnOnce() -> String) -> Result<T, ApiError>;
}

impl<T> ResultExt<T> for Result<T, store::Error> {
    fn on_store_error(self, handle: impl FnOnce(&store::Error) -> Option<ApiError>) -> Result<T, ApiError> {
        self.map_err(|error| handle(&error).unwrap_or_else(|| ApiError::from(error)))
    }

    fn on_constraint(self, constraint: &str, error: impl FnOnce() -> ApiError) -> Result<T, ApiError> {
        match self {
            Err(store::Error::Conflict { constraint: violated }) if violated == constraint => Err(error()),
            other => other.map_err(ApiError::from),
        }
    }

    fn or_not_found(self, what: impl FnOnce() -> String) -> Result<T, ApiError> {
        match self {
            Err(store::Error::NotFound) => Err(ApiError::not_found(format!("{} not found", what()))),
            other => other.map_err(ApiError::from),
        }
    }
}

/// RFC 6749 §5.1: token responses (and every answer carrying credentials) must not be cached.
pub fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// An RFC 6749 §5.2 error response: JSON, never cached, with a Basic challenge when the client
/// tried Basic, and `Retry-After` when it is worth retrying.
impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        if self.status >= 500 {
            tracing::error!(error = self.error, description = %self.description, "issuer endpoint failed");
        }
        let body = serde_json::json!({ "error": self.error, "error_description": self.description });
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, no_store(), axum::Json(body)).into_response();
        if self.basic_challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"tessera\""));
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        } else if self.status == 503 {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// RFC 6750 §3: the error with its `WWW-Authenticate: Bearer` challenge.
impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let mut challenge = "Bearer realm=\"tessera\"".to_owned();
        if let Some(error) = self.error {
            challenge.push_str(&format!(", error=\"{error}\", error_description=\"{}\"", self.description));
            if let Some(scope) = self.scope {
                challenge.push_str(&format!(", scope=\"{scope}\""));
            }
        }
        let body = serde_json::json!({
            "error": self.error.unwrap_or("invalid_request"),
            "error_description": self.description
        });
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, no_store(), axum::Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::OAuth(error) => error.into_response(),
            Refusal::Bearer(error) => error.into_response(),
        }
    }
}
