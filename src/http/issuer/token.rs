//! The token endpoint (RFC 6749 §3.2).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::error::no_store;
use crate::oauth::OAuthError;
use crate::service::grants;

use super::{FormBody, Issuer, authorization, read_form};

pub async fn token(
    State(state): State<AppState>,
    issuer: Issuer,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Result<Response, OAuthError> {
    let form = read_form(&headers, &body);
    let grant_type = form.as_ref().ok().and_then(|f| f.get("grant_type")).unwrap_or_default();
    let result = match (issuer.limit_address(&state), &form) {
        (Err(throttled), _) => Err(throttled),
        (Ok(()), Ok(form)) => grants::exchange(&issuer.context(&state), authorization(&headers), form).await,
        (Ok(()), Err(error)) => Err(error.clone()),
    };
    let outcome = match &result {
        Ok(_) => "issued",
        Err(error) => error.error,
    };
    state.metrics.token(&issuer.entry.server.id.to_string(), grant_type, outcome, state.now());
    Ok((no_store(), Json(result?)).into_response())
}
