//! Token introspection (RFC 7662).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::error::no_store;
use crate::oauth::OAuthError;
use crate::service;

use super::{FormBody, Issuer, authorization, read_form};

pub async fn introspect(
    State(state): State<AppState>,
    issuer: Issuer,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Result<Response, OAuthError> {
    issuer.limit_address(&state)?;
    let form = read_form(&headers, &body)?;
    let answer = service::introspect::introspect(&issuer.context(&state), authorization(&headers), &form).await?;
    Ok((no_store(), Json(answer)).into_response())
}
