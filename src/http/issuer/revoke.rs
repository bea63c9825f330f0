//! Token revocation (RFC 7009).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::error::no_store;
use crate::oauth::OAuthError;
use crate::service;

use super::{FormBody, Issuer, authorization, read_form};

/// RFC 7009 §2.2: 200 whether or not the token was valid.
pub async fn revoke(
    State(state): State<AppState>,
    issuer: Issuer,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Result<Response, OAuthError> {
    issuer.limit_address(&state)?;
    let form = read_form(&headers, &body)?;
    service::revoke::revoke(&issuer.context(&state), authorization(&headers), &form).await?;
    Ok((StatusCode::OK, no_store()).into_response())
}
