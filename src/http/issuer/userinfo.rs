//! The UserInfo endpoint (OpenID Connect Core §5.3), with bearer tokens per RFC 6750.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use serde_json::{Map, Value};

use crate::http::AppState;
use crate::oauth::bearer::{self, BearerError, Refusal};
use crate::oauth::form::Form;
use crate::service;

use super::{Issuer, authorization, is_form};

/// RFC 6750 §2.1 (header) and §2.2 (form body); exactly one method.
fn bearer(method: &Method, headers: &HeaderMap, body: &[u8]) -> Result<String, BearerError> {
    let from_header = authorization(headers).map(|value| bearer::from_authorization(Some(value)).ok().flatten());
    let from_body = if method == Method::POST && is_form(headers) {
        Form::parse(body)
            .map_err(|e| BearerError::invalid_request(&e.description))?
            .get("access_token")
            .map(str::to_owned)
    } else {
        None
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err(BearerError::invalid_request("Send the access token in one place only")),
        (Some(Some(token)), None) | (None, Some(token)) if !token.is_empty() => Ok(token),
        (Some(_), None) => Err(BearerError::invalid_request("The Authorization header must be Bearer <access token>")),
        // §3.1: a request without any authentication gets the challenge and no error code.
        _ => Err(BearerError::missing("An access token is required")),
    }
}

pub async fn userinfo(
    State(state): State<AppState>,
    issuer: Issuer,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Map<String, Value>>, Refusal> {
    let token = bearer(&method, &headers, &body)?;
    Ok(Json(service::userinfo::userinfo(&issuer.context(&state), &token).await?))
}
