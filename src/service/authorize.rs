//! The authorization endpoint (RFC 6749 §3.1, OpenID Connect Core §3.1.2): checks the
//! request, hands the browser to the client's login page with a sealed challenge, and, when
//! the browser comes back with the login page's verifier, answers the client.

use crate::domain::Client;
use crate::oauth::authorize::{self, AuthorizeError, Delivery, Params, RedirectError};
use crate::oauth::flow::{self, AuthorizationRequest, BrowserBinding, Challenge, Code, Kind, Login, Outcome, Verifier};
use crate::oauth::issue::Alongside;
use crate::oauth::{OAuthError, resource};
use crate::store;

use super::{Context, mint};

/// What the browser is sent.
pub enum Reply {
    /// To the client's login page with a sealed challenge; the cookie of `binding` ties the
    /// sign-in to this browser.
    ToLogin { location: String, binding: BrowserBinding },
    /// The authorization response, or an error the client's redirect URI can be trusted with.
    ToClient(Delivery),
    /// An error shown to the user: nothing about the request can be trusted enough to redirect.
    Page { status: u16, message: String },
}

impl Reply {
    fn page(message: impl Into<String>) -> Reply {
        Reply::Page { status: 400, message: message.into() }
    }

    fn unavailable() -> Reply {
        Reply::Page { status: 503, message: "The service is temporarily unavailable; retry shortly".to_owned() }
    }

    fn server_error(error: &dyn std::fmt::Display) -> Reply {
        tracing::error!(%error, "authorization endpoint failed");
        Reply::Page { status: 500, message: "The server could not complete the request".to_owned() }
    }

    fn refused(ctx: &Context<'_>, error: AuthorizeError) -> Reply {
        match error {
            AuthorizeError::Page(message) => Reply::page(message),
            AuthorizeError::Redirect(error) => {
                let params = authorize::error_params(&error, ctx.issuer);
                Reply::ToClient(authorize::deliver(&error.redirect_uri, error.response_mode, params))
            }
        }
    }
}

/// An error for the client at its redirect URI (RFC 6749 §4.1.2.1).
fn to_client(request: &AuthorizationRequest, error: &'static str, description: String) -> AuthorizeError {
    AuthorizeError::Redirect(RedirectError {
        redirect_uri: request.redirect_uri.clone(),
        response_mode: request.response_mode,
        state: request.state.clone(),
        error,
        description,
    })
}

/// A new request: checks, then off to the login page.
#[tracing::instrument(level = "info", skip_all, fields(auth_server = %ctx.entry.server.id))]
pub async fn begin(ctx: &Context<'_>, params: &Params) -> Reply {
    let client_id = match authorize::client_id(params) {
        Ok(client_id) => client_id,
        Err(error) => return Reply::refused(ctx, error),
    };
    let client = match ctx.cache.client(ctx.entry.server.id, client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return Reply::page("Unknown client_id"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot load client");
            return Reply::unavailable();
        }
    };
    let binding = BrowserBinding::generate();
    let request = match authorize::validate(
        params,
        &client.client,
        &ctx.entry.scopes,
        ctx.entry.server.require_pkce,
        ctx.now,
        &binding.digest,
    ) {
        Ok(request) => request,
        Err(error) => return Reply::refused(ctx, error),
    };
    // RFC 8707 §2: resources the auth server does not declare are refused before sign-in.
    if let Err(e) = resource::resolve(request.resource.iter().map(String::as_str), &ctx.entry.resources) {
        return Reply::refused(ctx, to_client(&request, e.error, e.description));
    }
    let Some(login_uri) = client.client.login_uri.as_ref() else {
        return Reply::page("The client has no login_uri");
    };
    let sealer = match ctx.flows.sealer().await {
        Ok(sealer) => sealer,
        Err(e) => {
            tracing::warn!(error = %e, "cannot load the flow key");
            return Reply::unavailable();
        }
    };
    let challenge = Challenge { request };
    let sealed = match sealer.seal(Kind::Challenge, ctx.entry.server.id, &challenge, flow::CHALLENGE_SECONDS, ctx.now) {
        Ok(sealed) => sealed,
        Err(e) => return Reply::server_error(&e),
    };
    let separator = if login_uri.as_str().contains('?') { '&' } else { '?' };
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("login_challenge", &sealed);
    Reply::ToLogin { location: format!("{}{separator}{}", login_uri.as_str(), query.finish()), binding }
}

/// The browser is back from the login page with `sealed` (the login verifier) and its
/// `cookies`: answer the client with what it asked for.
#[tracing::instrument(level = "info", skip_all, fields(auth_server = %ctx.entry.server.id))]
pub async fn resume(ctx: &Context<'_>, sealed: &str, cookies: &str) -> Reply {
    let server_id = ctx.entry.server.id;
    let sealer = match ctx.flows.sealer().await {
        Ok(sealer) => sealer,
        Err(e) => {
            tracing::warn!(error = %e, "cannot load the flow key");
            return Reply::unavailable();
        }
    };
    let opened = match sealer.open::<Verifier>(Kind::Verifier, server_id, sealed, ctx.now) {
        Ok(opened) => opened,
        Err(e) => return Reply::page(format!("The sign-in cannot continue: {e}")),
    };
    // Checked before the verifier is used up, so the right browser can still complete it.
    if !BrowserBinding::presented_in(cookies, &opened.payload.request.browser) {
        return Reply::page(
            "This sign-in was started in another browser (or its cookie was blocked); start again from the application",
        );
    }
    match store::grants::mark_used(ctx.store, opened.id, server_id, Kind::Verifier.as_str(), opened.expires_at).await {
        Ok(true) => {}
        Ok(false) => return Reply::page("This sign-in has already been completed"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot record the login verifier");
            return Reply::unavailable();
        }
    }
    let Verifier { request, outcome } = opened.payload;
    // The client may have changed during the sign-in: deleted, or its redirect URI removed.
    // Then nothing can be trusted to receive the answer.
    let client = match ctx.cache.client(server_id, &request.client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return Reply::page("The client no longer exists"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot load client");
            return Reply::unavailable();
        }
    };
    if !client.client.redirect_uris.iter().any(|uri| uri.as_str() == request.redirect_uri) {
        return Reply::page("The redirect_uri is no longer registered for this client");
    }
    let login = match outcome {
        Outcome::Accepted(login)
            if !authorize::authentication_fresh_enough(&request, login.auth_time, ctx.now.timestamp()) =>
        {
            let description = "The sign-in is older than max_age or prompt=login allows".to_owned();
            return Reply::refused(ctx, to_client(&request, "login_required", description));
        }
        Outcome::Accepted(login) => login,
        Outcome::Rejected { error, description } => {
            let description = description.unwrap_or_else(|| "The user was not signed in".to_owned());
            return Reply::refused(ctx, to_client(&request, authorize::rejection_code(&error), description));
        }
    };
    match respond(ctx, &client.client, &request, &login).await {
        Ok(params) => Reply::ToClient(authorize::deliver(&request.redirect_uri, request.response_mode, params)),
        Err(e) => Reply::refused(ctx, to_client(&request, e.error, e.description)),
    }
}

/// The authorization response (RFC 6749 §4.1.2, §4.2.2; OpenID Connect Core §3.3.2.5).
async fn respond(
    ctx: &Context<'_>,
    client: &Client,
    request: &AuthorizationRequest,
    login: &Login,
) -> Result<Vec<(String, String)>, OAuthError> {
    let mut params = Vec::new();
    let mut code = None;
    if request.wants("code") {
        let sealer = ctx.flows.sealer().await?;
        let grant = Code { request: request.clone(), login: login.clone() };
        let sealed =
            sealer.seal(Kind::Code, ctx.entry.server.id, &grant, flow::CODE_SECONDS, ctx.now).map_err(|e| {
                tracing::error!(error = %e, "cannot seal an authorization code");
                OAuthError::server_error()
            })?;
        params.push(("code".to_owned(), sealed.clone()));
        code = Some(sealed);
    }
    let mut access = None;
    if request.wants("token") {
        let (token, jwt) = mint::user_access_token(ctx, client, request, login, &request.resource).await?;
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
        params.push(("id_token".to_owned(), mint::id_token(ctx, client, request, login, alongside)?));
    }
    if let Some(state) = &request.state {
        params.push(("state".to_owned(), state.clone()));
    }
    // RFC 9207: the issuer identifies itself, so a client talking to several cannot be mixed up.
    params.push(("iss".to_owned(), ctx.issuer.to_owned()));
    Ok(params)
}
