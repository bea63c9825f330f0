//! The authorization endpoint (RFC 6749 §3.1, OpenID Connect Core §3.1.2): validates the
//! request, hands the browser to the client's login page with a sealed challenge, and, when
//! the browser comes back with the login page's verifier, answers the client.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;

use crate::http::AppState;
use crate::oauth::OAuthError;
use crate::oauth::authorize::{self, AuthorizeError, Delivery, Params, RedirectError};
use crate::oauth::flow::{self, AuthorizationRequest, BrowserBinding, Challenge, Code, Kind, Login, Outcome, Verifier};
use crate::oauth::issue::Alongside;
use crate::store;

use super::{Issuer, mint};

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
        Err(message) => return page(StatusCode::BAD_REQUEST, &message),
    };
    if let Some(verifier) = params.get("login_verifier") {
        let cookies = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("");
        return resume(&state, &issuer, verifier, cookies).await;
    }
    match begin(&state, &issuer, &params).await {
        Ok(response) | Err(response) => response,
    }
}

/// The parameters from the query (GET) or a form body (POST); each at most once (§3.1).
fn read_params(method: &Method, query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<Params, String> {
    let pairs: Vec<(String, String)> = if method == Method::POST {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        {
            return Err("The authorization request must be a form (application/x-www-form-urlencoded)".into());
        }
        serde_urlencoded::from_bytes(body).map_err(|e| format!("The request body is not a valid form: {e}"))?
    } else {
        serde_urlencoded::from_str(query.unwrap_or("")).map_err(|e| format!("The query is not valid: {e}"))?
    };
    let mut params = Params::new();
    for (name, value) in pairs {
        if value.is_empty() {
            continue;
        }
        if params.insert(name.clone(), value).is_some() {
            return Err(format!("Parameter {name} is repeated"));
        }
    }
    Ok(params)
}

/// A new request: checks, then off to the login page.
async fn begin(state: &AppState, issuer: &Issuer, params: &Params) -> Result<Response, Response> {
    let refused = |error: AuthorizeError| refuse(issuer, error);
    let client_id = authorize::client_id(params).map_err(refused)?;
    let client = state
        .cache
        .client(issuer.entry.server.id, client_id)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "cannot load client");
            page(StatusCode::SERVICE_UNAVAILABLE, "The service is temporarily unavailable; retry shortly")
        })?
        .ok_or_else(|| page(StatusCode::BAD_REQUEST, "Unknown client_id"))?;
    let binding = BrowserBinding::generate();
    let request = authorize::validate(params, &client.client, &issuer.entry.scopes, Utc::now(), &binding.digest)
        .map_err(refused)?;
    let Some(login_uri) = client.client.login_uri.as_ref() else {
        return Err(page(StatusCode::BAD_REQUEST, "The client has no login_uri"));
    };
    let sealer = state.flows.sealer().await.map_err(|e| {
        tracing::warn!(error = %e, "cannot load the flow key");
        page(StatusCode::SERVICE_UNAVAILABLE, "The service is temporarily unavailable; retry shortly")
    })?;
    let challenge = sealer
        .seal(Kind::Challenge, issuer.entry.server.id, &Challenge { request }, flow::CHALLENGE_SECONDS, Utc::now())
        .map_err(|e| server_error_page(&e))?;
    let separator = if login_uri.as_str().contains('?') { '&' } else { '?' };
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    serializer.append_pair("login_challenge", &challenge);
    let mut response = see_other(&format!("{}{separator}{}", login_uri.as_str(), serializer.finish()));
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
    Ok(response)
}

/// The browser is back from the login page: answer the client with what it asked for.
async fn resume(state: &AppState, issuer: &Issuer, sealed: &str, cookies: &str) -> Response {
    let now = Utc::now();
    let server_id = issuer.entry.server.id;
    let sealer = match state.flows.sealer().await {
        Ok(sealer) => sealer,
        Err(e) => {
            tracing::warn!(error = %e, "cannot load the flow key");
            return page(StatusCode::SERVICE_UNAVAILABLE, "The service is temporarily unavailable; retry shortly");
        }
    };
    let opened = match sealer.open::<Verifier>(Kind::Verifier, server_id, sealed, now) {
        Ok(opened) => opened,
        Err(e) => return page(StatusCode::BAD_REQUEST, &format!("The sign-in cannot continue: {e}")),
    };
    // Checked before the verifier is used up, so the right browser can still complete it.
    if !BrowserBinding::presented_in(cookies, &opened.payload.request.browser) {
        return page(
            StatusCode::BAD_REQUEST,
            "This sign-in was started in another browser (or its cookie was blocked); start again from the application",
        );
    }
    match store::grants::mark_used(&state.store, opened.id, server_id, Kind::Verifier.as_str(), opened.expires_at).await
    {
        Ok(true) => {}
        Ok(false) => return page(StatusCode::BAD_REQUEST, "This sign-in has already been completed"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot record the login verifier");
            return page(StatusCode::SERVICE_UNAVAILABLE, "The service is temporarily unavailable; retry shortly");
        }
    }
    let Verifier { request, outcome } = opened.payload;
    // The client may have changed during the sign-in: deleted, or its redirect URI removed.
    // Then nothing can be trusted to receive the answer.
    let client = match state.cache.client(server_id, &request.client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return page(StatusCode::BAD_REQUEST, "The client no longer exists"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot load client");
            return page(StatusCode::SERVICE_UNAVAILABLE, "The service is temporarily unavailable; retry shortly");
        }
    };
    if !client.client.redirect_uris.iter().any(|uri| uri.as_str() == request.redirect_uri) {
        return page(StatusCode::BAD_REQUEST, "The redirect_uri is no longer registered for this client");
    }
    let login = match outcome {
        Outcome::Accepted(login)
            if !authorize::authentication_fresh_enough(&request, login.auth_time, now.timestamp()) =>
        {
            let error = RedirectError {
                redirect_uri: request.redirect_uri.clone(),
                response_mode: request.response_mode,
                state: request.state.clone(),
                error: "login_required",
                description: "The sign-in is older than max_age or prompt=login allows".to_owned(),
            };
            return refuse(issuer, AuthorizeError::Redirect(error));
        }
        Outcome::Accepted(login) => login,
        Outcome::Rejected { error, description } => {
            let error = RedirectError {
                redirect_uri: request.redirect_uri.clone(),
                response_mode: request.response_mode,
                state: request.state.clone(),
                error: rejection_code(&error),
                description: description.unwrap_or_else(|| "The user was not signed in".to_owned()),
            };
            return refuse(issuer, AuthorizeError::Redirect(error));
        }
    };
    match respond(state, issuer, &client.client, &request, &login).await {
        Ok(params) => deliver(&request, params),
        Err(e) => {
            let error = RedirectError {
                redirect_uri: request.redirect_uri.clone(),
                response_mode: request.response_mode,
                state: request.state.clone(),
                error: e.error,
                description: e.description,
            };
            refuse(issuer, AuthorizeError::Redirect(error))
        }
    }
}

/// The error codes a login page may reject with (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6).
pub const REJECTION_CODES: [&str; 5] =
    ["access_denied", "login_required", "consent_required", "interaction_required", "account_selection_required"];

fn rejection_code(error: &str) -> &'static str {
    REJECTION_CODES.iter().find(|code| **code == error).copied().unwrap_or("access_denied")
}

/// The authorization response (RFC 6749 §4.1.2, §4.2.2; OpenID Connect Core §3.3.2.5).
async fn respond(
    state: &AppState,
    issuer: &Issuer,
    client: &crate::domain::Client,
    request: &AuthorizationRequest,
    login: &Login,
) -> Result<Vec<(String, String)>, OAuthError> {
    let now = Utc::now();
    let mut params = Vec::new();
    let mut code = None;
    if request.wants("code") {
        let sealer = state.flows.sealer().await.map_err(|_| OAuthError::temporarily_unavailable())?;
        let sealed = sealer
            .seal(
                Kind::Code,
                issuer.entry.server.id,
                &Code { request: request.clone(), login: login.clone() },
                flow::CODE_SECONDS,
                now,
            )
            .map_err(|e| {
                tracing::error!(error = %e, "cannot seal an authorization code");
                OAuthError::server_error()
            })?;
        params.push(("code".to_owned(), sealed.clone()));
        code = Some(sealed);
    }
    let mut access = None;
    if request.wants("token") {
        let (token, jwt) = mint::user_access_token(state, issuer, client, request, login, now).await?;
        params.push(("access_token".to_owned(), jwt.clone()));
        params.push(("token_type".to_owned(), "Bearer".to_owned()));
        params.push(("expires_in".to_owned(), token.expires_in.to_string()));
        if !token.scope.is_empty() {
            params.push(("scope".to_owned(), token.scope));
        }
        access = Some(jwt);
    }
    if request.wants("id_token") {
        let alongside = Alongside { access_token: access.as_deref(), code: code.as_deref() };
        params.push(("id_token".to_owned(), mint::id_token(issuer, client, request, login, alongside, now)?));
    }
    if let Some(state) = &request.state {
        params.push(("state".to_owned(), state.clone()));
    }
    // RFC 9207: the issuer identifies itself, so a client talking to several cannot be mixed up.
    params.push(("iss".to_owned(), issuer.issuer.clone()));
    Ok(params)
}

fn deliver(request: &AuthorizationRequest, params: Vec<(String, String)>) -> Response {
    delivered(authorize::deliver(&request.redirect_uri, request.response_mode, params))
}

fn refuse(issuer: &Issuer, error: AuthorizeError) -> Response {
    match error {
        AuthorizeError::Page(message) => page(StatusCode::BAD_REQUEST, &message),
        AuthorizeError::Redirect(error) => {
            let params = authorize::error_params(&error, &issuer.issuer);
            delivered(authorize::deliver(&error.redirect_uri, error.response_mode, params))
        }
    }
}

fn delivered(delivery: Delivery) -> Response {
    match delivery {
        Delivery::Redirect(location) => see_other(&location),
        Delivery::FormPost { action, params } => form_post(&action, &params),
    }
}

/// 303 so a POSTed request is followed with GET; never cached, and no Referer carrying codes.
fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    private(response)
}

fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// An error shown to the user: nothing about the request can be trusted enough to redirect.
fn page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign-in error</title></head>\
         <body><h1>Sign-in error</h1><p>{}</p></body></html>",
        escape(message)
    );
    private((status, Html(body)).into_response())
}

fn server_error_page(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "authorization endpoint failed");
    page(StatusCode::INTERNAL_SERVER_ERROR, "The server could not complete the request")
}

/// OAuth 2.0 Form Post Response Mode: a form the browser submits to the client at once.
fn form_post(action: &str, params: &[(String, String)]) -> Response {
    let inputs: String = params
        .iter()
        .map(|(name, value)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(name), escape(value)))
        .collect();
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Submitting…</title></head>\
         <body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        escape(action)
    );
    private((StatusCode::OK, Html(body)).into_response())
}
