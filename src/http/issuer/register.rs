//! Dynamic Client Registration: `POST $ISSUER/oauth/register` (RFC 7591 §3) and each
//! registered client's configuration endpoint, `$ISSUER/oauth/register/{clientId}` (RFC 7592 §2).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::error::no_store;
use crate::http::routes::REGISTER_SUFFIX;
use crate::oauth::bearer::Refusal;
use crate::service::registration::{self, RegistrationRequest};

use super::{FormBody, Issuer, authorization};

type Params = Path<HashMap<String, String>>;

/// The request as the service reads it; `endpoint` is this issuer's registration endpoint.
fn request<'a>(
    endpoint: &'a str,
    headers: &'a HeaderMap,
    params: Option<&'a Params>,
    body: &'a [u8],
    request_id: &'a str,
) -> RegistrationRequest<'a> {
    RegistrationRequest {
        endpoint,
        authorization: authorization(headers),
        client_id: params.and_then(|Path(params)| params.get("clientId")).map(String::as_str),
        content_type: headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or(""),
        body,
        request_id,
    }
}

/// RFC 7591 §3.2.1 / RFC 7592 §3: the client information response, never cached.
fn information(status: StatusCode, body: serde_json::Value) -> Response {
    (status, no_store(), Json(body)).into_response()
}

pub async fn register(
    State(state): State<AppState>,
    issuer: Issuer,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Result<Response, Refusal> {
    issuer.limit_address(&state)?;
    issuer.limit_registration(&state)?;
    let endpoint = format!("{}{REGISTER_SUFFIX}", issuer.issuer);
    let request_id = crate::http::request_id::current();
    let call = request(&endpoint, &headers, None, &body, &request_id);
    Ok(information(StatusCode::CREATED, registration::register(&issuer.context(&state), &call).await?))
}

pub async fn read(
    State(state): State<AppState>,
    issuer: Issuer,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let endpoint = format!("{}{REGISTER_SUFFIX}", issuer.issuer);
    let request_id = crate::http::request_id::current();
    let call = request(&endpoint, &headers, Some(&params), &[], &request_id);
    Ok(information(StatusCode::OK, registration::read(&issuer.context(&state), &call).await?))
}

pub async fn update(
    State(state): State<AppState>,
    issuer: Issuer,
    params: Params,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Result<Response, Refusal> {
    let endpoint = format!("{}{REGISTER_SUFFIX}", issuer.issuer);
    let request_id = crate::http::request_id::current();
    let call = request(&endpoint, &headers, Some(&params), &body, &request_id);
    Ok(information(StatusCode::OK, registration::update(&issuer.context(&state), &call).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    issuer: Issuer,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let endpoint = format!("{}{REGISTER_SUFFIX}", issuer.issuer);
    let request_id = crate::http::request_id::current();
    let call = request(&endpoint, &headers, Some(&params), &[], &request_id);
    registration::delete(&issuer.context(&state), &call).await?;
    Ok((StatusCode::NO_CONTENT, no_store()).into_response())
}
