//! The token endpoint (RFC 6749 §3.2): the form is read once into a [`TokenRequest`] tagged by
//! grant type, and an exhaustive `match` hands it to the grant's own module.

mod authorization_code;
mod client_credentials;
mod jwt_bearer;
mod refresh_token;
mod token_exchange;

pub use refresh_token::REFRESH_TOKEN_SECONDS;

use serde::Serialize;

use crate::domain::{Client, GrantType};
use crate::oauth::OAuthError;
use crate::oauth::flow::{AuthorizationRequest, Login};
use crate::oauth::form::Form;
use crate::oauth::issue::{AccessToken, Alongside};

use super::{Context, client_auth, mint};

/// A token request by grant type, with the parameters that grant takes (RFC 6749 §4.1.3,
/// §4.4.2, §6).
#[derive(Debug)]
pub enum TokenRequest<'a> {
    ClientCredentials { scope: Option<&'a str>, resources: Vec<&'a str> },
    AuthorizationCode(CodeRedemption<'a>),
    RefreshToken { refresh_token: &'a str, scope: Option<&'a str>, resources: Vec<&'a str> },
}

/// RFC 6749 §4.1.3 with RFC 7636 §4.5: what redeems an authorization code.
#[derive(Debug)]
pub struct CodeRedemption<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
    /// RFC 8707 §2.2: the resources the token is for, among those the grant named.
    pub resources: Vec<&'a str>,
}

impl<'a> TokenRequest<'a> {
    /// Reads the request for `client`. RFC 6749 §5.2: an unknown grant type is
    /// `unsupported_grant_type`; one the client may not use is `unauthorized_client`.
    pub fn parse(grant_type: &str, client: &Client, form: &'a Form) -> Result<TokenRequest<'a>, OAuthError> {
        let wanted = GrantType::parse(grant_type)
            .map_err(|_| OAuthError::unsupported_grant_type(format!("Unsupported grant_type {grant_type}")))?;
        if !client.grant_types.contains(&wanted) {
            return Err(OAuthError::unauthorized_client(format!("The client may not use grant_type {grant_type}")));
        }
        Ok(match wanted {
            GrantType::ClientCredentials => {
                TokenRequest::ClientCredentials { scope: form.get("scope"), resources: form.all("resource").collect() }
            }
            GrantType::AuthorizationCode => TokenRequest::AuthorizationCode(CodeRedemption {
                code: form.require("code")?,
                redirect_uri: form.get("redirect_uri"),
                code_verifier: form.get("code_verifier"),
                resources: form.all("resource").collect(),
            }),
            GrantType::RefreshToken => TokenRequest::RefreshToken {
                refresh_token: form.require("refresh_token")?,
                scope: form.get("scope"),
                resources: form.all("resource").collect(),
            },
            // RFC 6749 §4.2: implicit tokens come from the authorization endpoint, not this one.
            GrantType::Implicit => {
                return Err(OAuthError::unsupported_grant_type(format!(
                    "grant_type {grant_type} is not supported at this endpoint"
                )));
            }
        })
    }
}

/// RFC 6749 §5.1 (with OpenID Connect Core §3.1.3.3's `id_token`): sent with `no-store`.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// RFC 8693 §2.2.1: what a token exchange issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
}

impl TokenResponse {
    fn bearer(token: &AccessToken, jwt: String) -> TokenResponse {
        TokenResponse {
            access_token: jwt,
            token_type: "Bearer",
            expires_in: token.expires_in,
            scope: (!token.scope.is_empty()).then(|| token.scope.clone()),
            refresh_token: None,
            id_token: None,
            issued_token_type: None,
        }
    }
}

/// The token endpoint: authenticates the client, reads the grant, and runs it.
/// `authorization` is the `Authorization` header's value, if one was sent.
pub async fn exchange(
    ctx: &Context<'_>,
    authorization: Option<&str>,
    form: &Form,
) -> Result<TokenResponse, OAuthError> {
    let grant_type = form.require("grant_type")?;
    // RFC 7523 §2.1: the assertion names the client, which need not authenticate.
    if grant_type == crate::oauth::federated_assertion::GRANT_TYPE {
        ctx.limiter.server(ctx.entry.server.id, ctx.entry.server.rate_limit_per_second, std::time::Instant::now())?;
        return jwt_bearer::grant(ctx, authorization, form).await;
    }
    // RFC 8693 §2.1: only a client that authenticates, under its exchange policy.
    if grant_type == crate::oauth::token_exchange::GRANT_TYPE {
        let client = client_auth::authenticate(ctx, authorization, form).await?;
        ctx.limiter.server(ctx.entry.server.id, ctx.entry.server.rate_limit_per_second, std::time::Instant::now())?;
        return token_exchange::grant(ctx, &client.client, form).await;
    }
    let client = client_auth::identify(ctx, authorization, form).await?;
    // The auth server's own limit (a Tessera extension; Kong caps an auth server at 100 TPS).
    ctx.limiter.server(ctx.entry.server.id, ctx.entry.server.rate_limit_per_second, std::time::Instant::now())?;
    let client = &client.client;
    match TokenRequest::parse(grant_type, client, form)? {
        TokenRequest::ClientCredentials { scope, resources } => {
            client_credentials::grant(ctx, client, scope, resources).await
        }
        TokenRequest::AuthorizationCode(redemption) => authorization_code::grant(ctx, client, &redemption).await,
        TokenRequest::RefreshToken { refresh_token, scope, resources } => {
            refresh_token::grant(ctx, client, refresh_token, scope, resources).await
        }
    }
}

/// A signed-in user's tokens: the access token, the refresh token when there is one, and the
/// ID token when `openid` was granted (OpenID Connect Core §3.1.3.3).
fn user_token_response(
    ctx: &Context<'_>,
    client: &Client,
    request: &AuthorizationRequest,
    login: &Login,
    (token, jwt): (AccessToken, String),
    refresh_token: Option<String>,
) -> Result<TokenResponse, OAuthError> {
    let id_token = if request.scope.iter().any(|s| s == "openid") {
        let alongside = Alongside { access_token: Some(&jwt), code: None };
        Some(mint::id_token(ctx, client, request, login, alongside)?)
    } else {
        None
    };
    Ok(TokenResponse { refresh_token, id_token, ..TokenResponse::bearer(&token, jwt) })
}

/// How an issued access token is listed for later revocation: `{"jti", "exp"}`.
fn issued_entry(token: &AccessToken) -> serde_json::Value {
    serde_json::json!({ "jti": token.record.id, "exp": token.record.expires_at.timestamp() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(grant_types: Vec<GrantType>) -> Client {
        let now = chrono::Utc::now();
        Client {
            id: crate::domain::ClientId::generate(),
            auth_server_id: uuid::Uuid::nil(),
            name: crate::domain::Name::parse("a client".into()).unwrap(),
            grant_types,
            response_types: vec![],
            redirect_uris: vec![],
            login_uri: None,
            access_token_duration: Default::default(),
            id_token_duration: Default::default(),
            allow_all_scopes: true,
            allow_scopes: vec![],
            labels: Default::default(),
            token_endpoint_auth_method: Default::default(),
            jwks: None,
            introspection_allowed: false,
            login_requests_answered_by_client: false,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn an_unknown_grant_type_is_unsupported_and_a_forbidden_one_unauthorized() {
        let form = Form::default();
        let client = client(vec![GrantType::ClientCredentials]);
        let unknown = TokenRequest::parse("password", &client, &form).unwrap_err();
        assert_eq!(unknown.error, "unsupported_grant_type");
        let forbidden = TokenRequest::parse("refresh_token", &client, &form).unwrap_err();
        assert_eq!(forbidden.error, "unauthorized_client");
    }

    #[test]
    fn implicit_is_not_a_token_endpoint_grant() {
        let client = client(vec![GrantType::Implicit]);
        let refused = TokenRequest::parse("implicit", &client, &Form::default()).unwrap_err();
        assert_eq!(refused.error, "unsupported_grant_type");
    }

    #[test]
    fn each_grant_requires_its_own_parameters() {
        let client = client(vec![GrantType::AuthorizationCode, GrantType::RefreshToken, GrantType::ClientCredentials]);
        let empty = Form::default();
        assert_eq!(TokenRequest::parse("authorization_code", &client, &empty).unwrap_err().error, "invalid_request");
        assert_eq!(TokenRequest::parse("refresh_token", &client, &empty).unwrap_err().error, "invalid_request");
        let form = Form::parse(b"code=c&code_verifier=v&scope=a").unwrap();
        match TokenRequest::parse("authorization_code", &client, &form).unwrap() {
            TokenRequest::AuthorizationCode(r) => {
                assert_eq!((r.code, r.code_verifier, r.redirect_uri), ("c", Some("v"), None))
            }
            other => panic!("{other:?}"),
        }
        match TokenRequest::parse("client_credentials", &client, &form).unwrap() {
            TokenRequest::ClientCredentials { scope, .. } => assert_eq!(scope, Some("a")),
            other => panic!("{other:?}"),
        }
    }
}
