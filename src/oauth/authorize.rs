//! The authorization endpoint's checks (RFC 6749 §3.1, §4.1.1, §4.2.1; OpenID Connect Core
//! §3.1.2.1), one small function each, in the order errors must be found: the client and
//! redirect URI first (errors there are shown, never redirected), then everything else
//! (errors redirected to the client, §4.1.2.1).

use crate::domain::{Client, GrantType, ResponseType, Scope, TokenEndpointAuthMethod};

use super::flow::{AuthorizationRequest, ResponseMode};
use super::scope;

/// At most this long: `state` and `nonce` travel in URLs and sealed state.
const MAX_ECHOED_LENGTH: usize = 2048;

/// Why an authorization request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: tell the user, redirect nowhere.
    Page(String),
    /// RFC 6749 §4.1.2.1: sent back to the client's redirect URI.
    Redirect(RedirectError),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectError {
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
    pub error: &'static str,
    pub description: String,
}

impl AuthorizeError {
    fn page(message: impl Into<String>) -> AuthorizeError {
        AuthorizeError::Page(message.into())
    }
}

/// Where errors go once the redirect URI is trusted.
struct Reply<'a> {
    redirect_uri: &'a str,
    response_mode: ResponseMode,
    state: Option<&'a str>,
}

impl Reply<'_> {
    fn error(&self, error: &'static str, description: impl Into<String>) -> AuthorizeError {
        AuthorizeError::Redirect(RedirectError {
            redirect_uri: self.redirect_uri.to_owned(),
            response_mode: self.response_mode,
            state: self.state.map(str::to_owned),
            error,
            description: description.into(),
        })
    }
}

/// The error codes a login page may reject with (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6).
pub const REJECTION_CODES: [&str; 5] =
    ["access_denied", "login_required", "consent_required", "interaction_required", "account_selection_required"];

/// The code a rejected sign-in is answered with: the login page's, when it is one it may use.
pub fn rejection_code(error: &str) -> &'static str {
    REJECTION_CODES.iter().find(|code| **code == error).copied().unwrap_or("access_denied")
}

/// Parameters of an authorization request, from the query or a form (each at most once,
/// but for `resource`, RFC 8707 §2).
pub type Params = super::form::Form;

/// The client named by `client_id`; the caller looks it up.
pub fn client_id(params: &Params) -> Result<&str, AuthorizeError> {
    params.get("client_id").ok_or_else(|| AuthorizeError::page("The request has no client_id"))
}

/// Validates a request of `client`, granting scopes from `scopes`; `require_pkce` is the auth
/// server's setting (RFC 9700 §2.1.1).
pub fn validate(
    params: &Params,
    client: &Client,
    scopes: &[Scope],
    require_pkce: bool,
    now: chrono::DateTime<chrono::Utc>,
    browser: &str,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let redirect_uri = redirect_uri(params, client)?;
    let state = params.get("state");
    if state.is_some_and(|s| s.len() > MAX_ECHOED_LENGTH) {
        return Err(AuthorizeError::page(format!("state is longer than {MAX_ECHOED_LENGTH} characters")));
    }
    let raw_type = params.get("response_type").unwrap_or_default();
    let parts = response_type_parts(raw_type);
    let default_mode = if parts.iter().any(|p| *p == ResponseType::Token || *p == ResponseType::IdToken) {
        ResponseMode::Fragment
    } else {
        ResponseMode::Query
    };
    let reply = Reply { redirect_uri: &redirect_uri, response_mode: default_mode, state };
    let response_mode = response_mode(params, &parts, &reply)?;
    let reply = Reply { response_mode, ..reply };
    refuse_unsupported_parameters(params, &reply)?;
    let response_type = response_type(raw_type, parts, client, &reply)?;
    let (scope, scope_requested) = granted_scope(params, client, scopes, &reply)?;
    let wants_id_token = response_type.split(' ').any(|p| p == "id_token");
    if wants_id_token && !scope.iter().any(|s| s == "openid") {
        return Err(reply.error("invalid_scope", "response_type id_token needs the openid scope"));
    }
    let nonce = nonce(params, wants_id_token, &reply)?;
    let wants_code = response_type.split(' ').any(|p| p == "code");
    let code_challenge = pkce(params, client, wants_code, require_pkce, &reply)?;
    prompt(params, &reply)?;
    let max_age = max_age(params, &reply)?;
    let passed = |name: &str| -> Result<Option<String>, AuthorizeError> {
        match params.get(name) {
            Some(value) if value.len() > MAX_ECHOED_LENGTH => {
                Err(reply.error("invalid_request", format!("{name} is longer than {MAX_ECHOED_LENGTH} characters")))
            }
            other => Ok(other.map(str::to_owned)),
        }
    };
    let (prompt, acr_values) = (passed("prompt")?, passed("acr_values")?);
    let (login_hint, ui_locales) = (passed("login_hint")?, passed("ui_locales")?);
    if client.login_uri.is_none() {
        return Err(reply.error("unauthorized_client", "The client has no login_uri to sign users in"));
    }
    Ok(AuthorizationRequest {
        client_id: client.id.as_str().to_owned(),
        redirect_uri,
        redirect_uri_sent: params.get("redirect_uri").is_some(),
        resource: params.all("resource").map(str::to_owned).collect(),
        response_type,
        response_mode,
        scope,
        scope_requested,
        state: state.map(str::to_owned),
        nonce,
        code_challenge,
        prompt,
        max_age,
        acr_values,
        login_hint,
        ui_locales,
        requested_at: now.timestamp(),
        browser: browser.to_owned(),
    })
}

/// RFC 6749 §3.1.2.3 and OpenID Connect Core §3.1.2.1: an exact match with a registered URI;
/// may be omitted only when the client registered exactly one.
fn redirect_uri(params: &Params, client: &Client) -> Result<String, AuthorizeError> {
    let registered: Vec<&str> = client.redirect_uris.iter().map(|u| u.as_str()).collect();
    match params.get("redirect_uri") {
        Some(given) if registered.contains(&given) => Ok(given.to_owned()),
        Some(_) => Err(AuthorizeError::page("redirect_uri is not registered for this client (it must match exactly)")),
        // OpenID Connect Core §3.1.2.1: required in OpenID requests.
        None if params.get("scope").is_some_and(|s| s.split(' ').any(|v| v == "openid")) => {
            Err(AuthorizeError::page("redirect_uri is required in OpenID Connect requests"))
        }
        None => match registered.as_slice() {
            [only] => Ok((*only).to_owned()),
            [] => Err(AuthorizeError::page("The client has no redirect_uris")),
            _ => Err(AuthorizeError::page("redirect_uri is required: the client registered several")),
        },
    }
}

/// "code id_token" → its parts; an unknown word makes the list empty (unsupported).
fn response_type_parts(raw: &str) -> Vec<ResponseType> {
    let parts: Option<Vec<ResponseType>> =
        raw.split(' ').filter(|p| !p.is_empty()).map(|p| ResponseType::parse(p).ok()).collect();
    parts.unwrap_or_default()
}

/// OAuth 2.0 Multiple Response Type Encoding Practices §5: tokens never go in a query.
fn response_mode(params: &Params, parts: &[ResponseType], reply: &Reply<'_>) -> Result<ResponseMode, AuthorizeError> {
    let Some(raw) = params.get("response_mode") else { return Ok(reply.response_mode) };
    let mode = ResponseMode::parse(raw).ok_or_else(|| {
        reply.error("invalid_request", format!("response_mode must be one of {}", ResponseMode::NAMES.join(", ")))
    })?;
    let carries_tokens = parts.iter().any(|p| *p == ResponseType::Token || *p == ResponseType::IdToken);
    if mode == ResponseMode::Query && carries_tokens {
        return Err(reply.error("invalid_request", "Tokens are never returned in the query; use fragment or form_post"));
    }
    Ok(mode)
}

/// OpenID Connect Core §6: request objects are not supported.
fn refuse_unsupported_parameters(params: &Params, reply: &Reply<'_>) -> Result<(), AuthorizeError> {
    if params.get("request").is_some() {
        return Err(reply.error("request_not_supported", "Request objects are not supported"));
    }
    if params.get("request_uri").is_some() {
        return Err(reply.error("request_uri_not_supported", "request_uri is not supported"));
    }
    Ok(())
}

/// RFC 6749 §3.1.1: the response types the client registered, with the grant type each
/// needs (code: authorization_code; token and id_token: implicit).
fn response_type(
    raw: &str,
    parts: Vec<ResponseType>,
    client: &Client,
    reply: &Reply<'_>,
) -> Result<String, AuthorizeError> {
    if raw.is_empty() {
        return Err(reply.error("invalid_request", "response_type is required"));
    }
    if parts.is_empty() || (parts.contains(&ResponseType::None) && parts.len() > 1) {
        return Err(reply.error("unsupported_response_type", format!("response_type {raw} is not supported")));
    }
    for part in &parts {
        if !client.response_types.contains(part) {
            return Err(
                reply.error("unauthorized_client", format!("The client may not use response_type {}", part.as_str()))
            );
        }
        let grant = match part {
            ResponseType::Code | ResponseType::None => GrantType::AuthorizationCode,
            ResponseType::Token | ResponseType::IdToken => GrantType::Implicit,
        };
        if !client.grant_types.contains(&grant) {
            return Err(reply.error(
                "unauthorized_client",
                format!("response_type {} needs the {} grant type", part.as_str(), grant.as_str()),
            ));
        }
    }
    // A canonical order, so "token id_token" and "id_token token" mean the same.
    let mut names: Vec<&str> = parts.iter().map(|p| p.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    Ok(names.join(" "))
}

/// RFC 6749 §3.3, with OpenID Connect's built-in `openid` ([`scope::grant_with_openid`]).
fn granted_scope(
    params: &Params,
    client: &Client,
    scopes: &[Scope],
    reply: &Reply<'_>,
) -> Result<(Vec<String>, bool), AuthorizeError> {
    let requested = params.get("scope");
    let granted =
        scope::grant_with_openid(requested, scopes, client).map_err(|e| reply.error("invalid_scope", e.description))?;
    Ok((granted.names, granted.requested))
}

/// OpenID Connect Core §3.2.2.1: a nonce is required when an ID token comes from this endpoint.
fn nonce(params: &Params, wants_id_token: bool, reply: &Reply<'_>) -> Result<Option<String>, AuthorizeError> {
    let nonce = params.get("nonce").map(str::to_owned);
    if nonce.as_ref().is_some_and(|n| n.len() > MAX_ECHOED_LENGTH) {
        return Err(reply.error("invalid_request", format!("nonce is longer than {MAX_ECHOED_LENGTH} characters")));
    }
    if wants_id_token && nonce.is_none() {
        return Err(reply.error("invalid_request", "nonce is required when an ID token is returned from this endpoint"));
    }
    Ok(nonce)
}

/// RFC 7636 §4.2–4.3: S256 only (`plain` protects nothing a TLS-observing attacker cannot
/// read); required for public clients (RFC 9700 §2.1.1), and from confidential ones when the
/// auth server requires it (RFC 9700 §2.1.1 recommends it), otherwise accepted from them.
fn pkce(
    params: &Params,
    client: &Client,
    wants_code: bool,
    required: bool,
    reply: &Reply<'_>,
) -> Result<Option<String>, AuthorizeError> {
    let challenge = params.get("code_challenge");
    let method = params.get("code_challenge_method");
    match (challenge, method) {
        (None, Some(_)) => Err(reply.error("invalid_request", "code_challenge_method without code_challenge")),
        (Some(_), Some(m)) if m != "S256" => {
            Err(reply.error("invalid_request", "code_challenge_method must be S256 (plain is not accepted)"))
        }
        (Some(_), None) => {
            Err(reply.error("invalid_request", "code_challenge_method must be S256 (plain is not accepted)"))
        }
        (Some(challenge), Some(_)) => {
            let valid =
                challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid {
                return Err(
                    reply.error("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)")
                );
            }
            Ok(Some(challenge.to_owned()))
        }
        (None, None) if wants_code && client.token_endpoint_auth_method == TokenEndpointAuthMethod::None => {
            Err(reply.error("invalid_request", "PKCE is required for public clients: send code_challenge (S256)"))
        }
        (None, None) if wants_code && required => {
            Err(reply.error("invalid_request", "PKCE is required by this auth server: send code_challenge (S256)"))
        }
        (None, None) => Ok(None),
    }
}

/// OpenID Connect Core §3.1.2.1: Tessera keeps no user session, so `prompt=none` cannot succeed.
fn prompt(params: &Params, reply: &Reply<'_>) -> Result<(), AuthorizeError> {
    if params.get("prompt").is_some_and(|p| p.split(' ').any(|v| v == "none")) {
        return Err(reply.error("login_required", "Tessera keeps no session: the user must sign in"));
    }
    Ok(())
}

/// How an authorization response reaches the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    /// A redirect to this URL (query or fragment).
    Redirect(String),
    /// OAuth 2.0 Form Post Response Mode: an auto-submitting form posting `params` to `action`.
    FormPost { action: String, params: Vec<(String, String)> },
}

/// RFC 6749 §4.1.2 (query, keeping the URI's own query) and §4.2.2 (fragment).
pub fn deliver(redirect_uri: &str, mode: ResponseMode, params: Vec<(String, String)>) -> Delivery {
    let encoded = || {
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &params {
            serializer.append_pair(name, value);
        }
        serializer.finish()
    };
    match mode {
        ResponseMode::Query => {
            let separator = if redirect_uri.contains('?') { '&' } else { '?' };
            Delivery::Redirect(format!("{redirect_uri}{separator}{}", encoded()))
        }
        ResponseMode::Fragment => Delivery::Redirect(format!("{redirect_uri}#{}", encoded())),
        ResponseMode::FormPost => Delivery::FormPost { action: redirect_uri.to_owned(), params },
    }
}

/// The parameters of an error response (RFC 6749 §4.1.2.1), with RFC 9207's `iss`.
pub fn error_params(error: &RedirectError, issuer: &str) -> Vec<(String, String)> {
    let mut params = vec![("error".to_owned(), error.error.to_owned())];
    if !error.description.is_empty() {
        params.push(("error_description".to_owned(), error.description.clone()));
    }
    if let Some(state) = &error.state {
        params.push(("state".to_owned(), state.clone()));
    }
    params.push(("iss".to_owned(), issuer.to_owned()));
    params
}

/// OpenID Connect Core §3.1.2.1: `max_age`, a non-negative number of seconds.
fn max_age(params: &Params, reply: &Reply<'_>) -> Result<Option<i64>, AuthorizeError> {
    let Some(raw) = params.get("max_age") else { return Ok(None) };
    match raw.parse::<i64>() {
        Ok(seconds) if seconds >= 0 => Ok(Some(seconds)),
        _ => Err(reply.error("invalid_request", "max_age must be a non-negative integer (seconds)")),
    }
}

/// OpenID Connect Core §3.1.2.1 and §3.1.2.3: whether a sign-in at `auth_time` satisfies the
/// request: recent enough for `max_age`, and after the request for `prompt=login`.
pub fn authentication_fresh_enough(request: &AuthorizationRequest, auth_time: i64, now: i64) -> bool {
    let within_max_age = request.max_age.is_none_or(|max| now - auth_time <= max);
    let after_prompt = !request.prompt.as_deref().is_some_and(|p| p.split(' ').any(|v| v == "login"))
        || auth_time >= request.requested_at;
    within_max_age && after_prompt
}

/// RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge; the verifier is 43–128
/// unreserved characters (§4.1).
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine;
    use sha2::Digest;
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return false;
    }
    let digest = sha2::Sha256::digest(verifier.as_bytes());
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    subtle::ConstantTimeEq::ct_eq(computed.as_bytes(), challenge.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientId, LoginUri, Name, RedirectUri};
    use chrono::Utc;

    fn client(public: bool) -> Client {
        let now = Utc::now();
        Client {
            id: ClientId::parse("app").unwrap(),
            auth_server_id: uuid::Uuid::nil(),
            name: Name::parse("app".into()).unwrap(),
            grant_types: vec![GrantType::AuthorizationCode, GrantType::Implicit],
            response_types: vec![ResponseType::Code, ResponseType::IdToken, ResponseType::Token],
            redirect_uris: vec![RedirectUri::parse("https://app.example.com/cb".into()).unwrap()],
            login_uri: Some(LoginUri::parse("https://login.example.com/".into()).unwrap()),
            access_token_duration: Default::default(),
            id_token_duration: Default::default(),
            allow_all_scopes: true,
            allow_scopes: vec![],
            labels: Default::default(),
            token_endpoint_auth_method: if public {
                TokenEndpointAuthMethod::None
            } else {
                TokenEndpointAuthMethod::ClientSecretBasic
            },
            jwks: None,
            introspection_allowed: false,
            login_requests_answered_by_client: false,
            created_at: now,
            updated_at: now,
        }
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        let pairs = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Params::from_pairs(pairs).unwrap_or_else(|e| panic!("{e:?}"))
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("client_id", "app"),
            ("redirect_uri", "https://app.example.com/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "xyz"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]
    }

    /// Parameters to replace (Some) or drop (None) in the base request.
    type Changes = Vec<(&'static str, Option<&'static str>)>;

    fn with(changes: &[(&'static str, Option<&'static str>)]) -> Params {
        let mut pairs = base();
        for (key, value) in changes {
            pairs.retain(|(k, _)| k != key);
            if let Some(value) = value {
                pairs.push((key, value));
            }
        }
        params(&pairs)
    }

    fn redirected(error: Result<AuthorizationRequest, AuthorizeError>) -> (&'static str, String, ResponseMode) {
        match error {
            Err(AuthorizeError::Redirect(e)) => {
                assert_eq!(e.state.as_deref(), Some("xyz"), "state echoed");
                (e.error, e.description, e.response_mode)
            }
            other => panic!("expected a redirected error, got {other:?}"),
        }
    }

    #[test]
    fn a_code_request_with_pkce_is_accepted() {
        let request = validate(&params(&base()), &client(true), &[], false, Utc::now(), "b").unwrap();
        assert_eq!(request.response_type, "code");
        assert_eq!(request.response_mode, ResponseMode::Query);
        assert_eq!(request.scope, vec!["openid"]);
        assert!(!request.scope_requested);
        assert_eq!(request.code_challenge.as_deref(), Some(CHALLENGE));
    }

    #[test]
    fn untrusted_redirect_uris_are_shown_not_followed() {
        for (changes, message) in [
            (vec![("redirect_uri", Some("https://evil.example.com/cb"))], "is not registered"),
            (vec![("redirect_uri", Some("https://app.example.com/cb/"))], "must match exactly"),
            (vec![("redirect_uri", None)], "required in OpenID Connect requests"),
        ] {
            match validate(&with(&changes), &client(false), &[], false, Utc::now(), "b") {
                Err(AuthorizeError::Page(text)) => assert!(text.contains(message), "{text}"),
                other => panic!("{changes:?}: {other:?}"),
            }
        }
        let omitted =
            validate(&with(&[("redirect_uri", None), ("scope", None)]), &client(false), &[], false, Utc::now(), "b")
                .unwrap();
        assert_eq!(omitted.redirect_uri, "https://app.example.com/cb", "the only registered URI");
    }

    #[test]
    fn every_other_problem_is_redirected_with_its_rfc_error() {
        let confidential = client(false);
        let cases: Vec<(Changes, &str)> = vec![
            (vec![("response_type", None)], "invalid_request"),
            (vec![("response_type", Some("code banana"))], "unsupported_response_type"),
            (vec![("response_type", Some("none code"))], "unsupported_response_type"),
            (vec![("response_mode", Some("post"))], "invalid_request"),
            (vec![("response_type", Some("token")), ("response_mode", Some("query"))], "invalid_request"),
            (vec![("scope", Some("openid nosuchscope"))], "invalid_scope"),
            (vec![("response_type", Some("id_token")), ("scope", Some("profile"))], "invalid_scope"),
            (vec![("response_type", Some("id_token"))], "invalid_request"),
            (vec![("code_challenge_method", Some("plain"))], "invalid_request"),
            (vec![("code_challenge_method", None)], "invalid_request"),
            (vec![("code_challenge", Some("short"))], "invalid_request"),
            (vec![("prompt", Some("none"))], "login_required"),
            (vec![("request", Some("eyJ..."))], "request_not_supported"),
            (vec![("max_age", Some("-1"))], "invalid_request"),
            (vec![("max_age", Some("soon"))], "invalid_request"),
        ];
        for (changes, expected) in cases {
            let (error, description, _) =
                redirected(validate(&with(&changes), &confidential, &[], false, Utc::now(), "b"));
            assert_eq!(error, expected, "{changes:?}: {description}");
        }
    }

    #[test]
    fn public_clients_must_use_pkce_and_clients_need_the_grant_and_a_login_page() {
        let no_pkce = with(&[("code_challenge", None), ("code_challenge_method", None)]);
        assert_eq!(redirected(validate(&no_pkce, &client(true), &[], false, Utc::now(), "b")).0, "invalid_request");
        assert!(
            validate(&no_pkce, &client(false), &[], false, Utc::now(), "b").is_ok(),
            "confidential clients may omit PKCE"
        );
        let (error, description, _) = redirected(validate(&no_pkce, &client(false), &[], true, Utc::now(), "b"));
        assert_eq!(error, "invalid_request", "unless the auth server requires PKCE");
        assert!(description.contains("required by this auth server"), "{description}");
        let mut without_grant = client(false);
        without_grant.grant_types = vec![GrantType::ClientCredentials];
        assert_eq!(
            redirected(validate(&params(&base()), &without_grant, &[], false, Utc::now(), "b")).0,
            "unauthorized_client"
        );
        let mut without_type = client(false);
        without_type.response_types = vec![ResponseType::Token];
        assert_eq!(
            redirected(validate(&params(&base()), &without_type, &[], false, Utc::now(), "b")).0,
            "unauthorized_client"
        );
        let mut without_login = client(false);
        without_login.login_uri = None;
        let (error, description, _) =
            redirected(validate(&params(&base()), &without_login, &[], false, Utc::now(), "b"));
        assert_eq!(
            (error, description.as_str()),
            ("unauthorized_client", "The client has no login_uri to sign users in")
        );
    }

    #[test]
    fn implicit_and_hybrid_requests_default_to_the_fragment() {
        let request = validate(
            &with(&[("response_type", Some("token id_token")), ("nonce", Some("n-1"))]),
            &client(false),
            &[],
            false,
            Utc::now(),
            "b",
        )
        .unwrap();
        assert_eq!((request.response_type.as_str(), request.response_mode), ("id_token token", ResponseMode::Fragment));
        assert_eq!(request.nonce.as_deref(), Some("n-1"));
        let (_, _, mode) = redirected(validate(
            &with(&[("response_type", Some("id_token"))]),
            &client(false),
            &[],
            false,
            Utc::now(),
            "b",
        ));
        assert_eq!(mode, ResponseMode::Fragment, "errors use the response's mode too");
    }

    #[test]
    fn max_age_and_prompt_login_demand_a_recent_sign_in() {
        let request = validate(
            &with(&[("max_age", Some("60")), ("prompt", Some("login"))]),
            &client(false),
            &[],
            false,
            Utc::now(),
            "b",
        )
        .unwrap();
        let now = request.requested_at;
        assert!(authentication_fresh_enough(&request, now, now + 30));
        assert!(!authentication_fresh_enough(&request, now - 1, now), "before the request: not a new sign-in");
        assert!(!authentication_fresh_enough(&request, now, now + 61), "older than max_age");
        let lax = validate(&params(&base()), &client(false), &[], false, Utc::now(), "b").unwrap();
        assert!(authentication_fresh_enough(&lax, 0, now), "without either, any sign-in does");
    }

    #[test]
    fn responses_go_in_the_query_the_fragment_or_a_form() {
        let params = || vec![("code".to_owned(), "a b".to_owned()), ("state".to_owned(), "s&t".to_owned())];
        assert_eq!(
            deliver("https://app.example.com/cb?x=1", ResponseMode::Query, params()),
            Delivery::Redirect("https://app.example.com/cb?x=1&code=a+b&state=s%26t".into())
        );
        assert_eq!(
            deliver("https://app.example.com/cb", ResponseMode::Fragment, params()),
            Delivery::Redirect("https://app.example.com/cb#code=a+b&state=s%26t".into())
        );
        assert!(matches!(
            deliver("https://app.example.com/cb", ResponseMode::FormPost, params()),
            Delivery::FormPost { .. }
        ));
    }

    #[test]
    fn pkce_verifiers_are_checked_with_s256() {
        // RFC 7636 Appendix B.
        assert!(verifier_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", CHALLENGE));
        assert!(!verifier_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj", CHALLENGE));
        assert!(!verifier_matches("short", CHALLENGE));
        assert!(!verifier_matches(CHALLENGE, CHALLENGE), "plain is not S256");
    }
}
