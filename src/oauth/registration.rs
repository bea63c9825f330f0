//! Dynamic Client Registration (RFC 7591 §2–3, RFC 7592 §2–3): reading client metadata
//! against the auth server's policy, and the client information response.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::domain::jwks::ClientJwks;
use crate::domain::registration::{RegistrationMetadata, RegistrationPolicy};
use crate::domain::{
    Client, GrantType, Invalid, Name, RedirectUri, ResponseType, Scope, SigningAlgorithm, TokenDuration,
};
use crate::domain::{ClientId, TokenEndpointAuthMethod};

use super::OAuthError;

/// Most redirect URIs or contacts one registration may list.
const MAX_ITEMS: usize = 20;
/// Longest free-text metadata value (software id and version, contacts).
const MAX_TEXT_LENGTH: usize = 255;
const MAX_URI_LENGTH: usize = 2048;

/// Methods named by RFC 7591 §2 and OpenID Connect Core §9 that Tessera does not implement.
const UNSUPPORTED_AUTH_METHODS: [&str; 3] = ["client_secret_jwt", "tls_client_auth", "self_signed_tls_client_auth"];

/// Client metadata as registered: what becomes the Tessera client, and the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientMetadata {
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub redirect_uris: Vec<RedirectUri>,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    pub allow_scopes: Vec<Uuid>,
    pub access_token_duration: TokenDuration,
    pub id_token_duration: TokenDuration,
    /// The keys of a `private_key_jwt` client.
    pub jwks: Option<ClientJwks>,
    pub metadata: RegistrationMetadata,
}

impl ClientMetadata {
    /// The Tessera name of a registered client: its `client_name`, else its id.
    pub fn name(&self, client_id: &ClientId) -> Name {
        let name = self.metadata.client_name.clone().unwrap_or_else(|| client_id.as_str().to_owned());
        Name::parse(name).unwrap_or_else(|_| Name::trusted(client_id.as_str().to_owned()))
    }

    /// The name to fall back on when the client's name is taken in the auth server.
    pub fn unique_name(&self, client_id: &ClientId) -> Name {
        let base: String = self.name(client_id).as_str().chars().take(200).collect();
        Name::trusted(format!("{base} ({client_id})"))
    }

    /// Writes the registered metadata onto a client; what the operator owns (labels,
    /// login page, name) is left to the caller.
    pub fn apply_to(&self, client: &mut Client) {
        client.grant_types = self.grant_types.clone();
        client.response_types = self.response_types.clone();
        client.redirect_uris = self.redirect_uris.clone();
        client.token_endpoint_auth_method = self.token_endpoint_auth_method;
        client.allow_all_scopes = false;
        client.allow_scopes = self.allow_scopes.clone();
        client.access_token_duration = self.access_token_duration;
        client.id_token_duration = self.id_token_duration;
        client.jwks = self.jwks.clone();
    }
}

/// Reads a registration (RFC 7591 §3.1) or update (RFC 7592 §2.2) request. Metadata the
/// server does not understand is ignored (RFC 7591 §2); omitted or null fields get the
/// policy's defaults. An update may keep whatever `current` already has, even where the
/// policy has since narrowed.
pub fn read_metadata(
    body: &Map<String, Value>,
    policy: &RegistrationPolicy,
    scopes: &[Scope],
    algorithm: SigningAlgorithm,
    current: Option<&Client>,
) -> Result<ClientMetadata, OAuthError> {
    let fields = Fields(body);
    if fields.present("software_statement") {
        return Err(OAuthError::unapproved_software_statement("This auth server accepts no software statements"));
    }
    openid_metadata(&fields, algorithm)?;
    let grant_types = grant_types(&fields, policy, current)?;
    let response_types = response_types(&fields, &grant_types)?;
    let redirect_uris = redirect_uris(&fields, &grant_types)?;
    let token_endpoint_auth_method = auth_method(&fields, policy, current, &grant_types)?;
    let (allow_scopes, openid) = registered_scopes(&fields, policy, scopes, current)?;
    let access_token_duration = duration(
        &fields,
        "access_token_duration",
        policy.default_access_token_duration,
        policy.max_access_token_duration,
        current.map(|c| c.access_token_duration),
    )?;
    let id_token_duration = duration(
        &fields,
        "id_token_duration",
        policy.default_id_token_duration,
        policy.max_id_token_duration,
        current.map(|c| c.id_token_duration),
    )?;
    let jwks = keys(&fields, token_endpoint_auth_method)?;
    let metadata = RegistrationMetadata {
        client_name: fields.text("client_name", crate::domain::names::MAX_NAME_LENGTH)?,
        client_uri: fields.web_uri("client_uri")?,
        logo_uri: fields.web_uri("logo_uri")?,
        tos_uri: fields.web_uri("tos_uri")?,
        policy_uri: fields.web_uri("policy_uri")?,
        contacts: contacts(&fields)?,
        software_id: fields.text("software_id", MAX_TEXT_LENGTH)?,
        software_version: fields.text("software_version", MAX_TEXT_LENGTH)?,
        openid,
    };
    Ok(ClientMetadata {
        grant_types,
        response_types,
        redirect_uris,
        token_endpoint_auth_method,
        allow_scopes,
        access_token_duration,
        id_token_duration,
        jwks,
        metadata,
    })
}

/// The request body's fields; null counts as absent (RFC 7592 §2.2 treats omitted and null alike).
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn present(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn string(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(OAuthError::invalid_client_metadata(format!("{name} must be a string"))),
        }
    }

    fn strings(&self, name: &str) -> Result<Option<Vec<&str>>, OAuthError> {
        let not_strings = || OAuthError::invalid_client_metadata(format!("{name} must be an array of strings"));
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => {
                items.iter().map(|v| v.as_str().ok_or_else(not_strings)).collect::<Result<Vec<_>, _>>().map(Some)
            }
            Some(_) => Err(not_strings()),
        }
    }

    /// Human-readable text: 1 to `max` characters, no control characters.
    fn text(&self, name: &str, max: usize) -> Result<Option<String>, OAuthError> {
        let Some(value) = self.string(name)? else { return Ok(None) };
        let length = value.chars().count();
        if length == 0 || length > max || value.chars().any(char::is_control) {
            return Err(OAuthError::invalid_client_metadata(format!(
                "{name} must have 1 to {max} characters and no control characters"
            )));
        }
        Ok(Some(value.to_owned()))
    }

    /// A web page of the client (RFC 7591 §2): an absolute http or https URL.
    fn web_uri(&self, name: &str) -> Result<Option<String>, OAuthError> {
        let Some(value) = self.string(name)? else { return Ok(None) };
        web_url(value).map_err(|reason| OAuthError::invalid_client_metadata(format!("{name} {reason}")))?;
        Ok(Some(value.to_owned()))
    }
}

fn web_url(value: &str) -> Result<url::Url, String> {
    if value.len() > MAX_URI_LENGTH {
        return Err(format!("must not be longer than {MAX_URI_LENGTH} characters"));
    }
    let url = url::Url::parse(value).map_err(|e| format!("must be an absolute URL ({e})"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err("must be an http or https URL with a host".to_owned());
    }
    Ok(url)
}

fn duplicate<T: PartialEq>(items: &[T]) -> Option<usize> {
    (0..items.len()).find(|&i| items[..i].contains(&items[i]))
}

/// RFC 7591 §2 `grant_types`: known, allowed by the policy (or already held), no duplicates.
fn grant_types(
    fields: &Fields<'_>,
    policy: &RegistrationPolicy,
    current: Option<&Client>,
) -> Result<Vec<GrantType>, OAuthError> {
    let Some(names) = fields.strings("grant_types")? else {
        return Ok(policy.default_grant_types.clone());
    };
    if names.is_empty() {
        return Err(OAuthError::invalid_client_metadata("grant_types must name at least one grant type"));
    }
    let mut grants = Vec::new();
    for name in names {
        let grant = GrantType::parse(name).map_err(|_| {
            OAuthError::invalid_client_metadata(format!(
                "grant_type {name} is not supported; supported: {}",
                GrantType::NAMES.join(", ")
            ))
        })?;
        let held = current.is_some_and(|c| c.grant_types.contains(&grant));
        if !policy.allowed_grant_types.contains(&grant) && !held {
            return Err(OAuthError::invalid_client_metadata(format!(
                "grant_type {name} is not allowed for registered clients of this auth server"
            )));
        }
        grants.push(grant);
    }
    if let Some(i) = duplicate(&grants) {
        return Err(OAuthError::invalid_client_metadata(format!("grant_types lists {} twice", grants[i])));
    }
    // RFC 6749 §6: refresh tokens come only with an authorization code here.
    if grants.contains(&GrantType::RefreshToken) && !grants.contains(&GrantType::AuthorizationCode) {
        return Err(OAuthError::invalid_client_metadata("grant_type refresh_token needs authorization_code"));
    }
    Ok(grants)
}

/// RFC 7591 §2.1: `response_types` must agree with `grant_types`; derived from them when absent.
/// Combined values such as "code id_token" register each part.
fn response_types(fields: &Fields<'_>, grants: &[GrantType]) -> Result<Vec<ResponseType>, OAuthError> {
    let code = grants.contains(&GrantType::AuthorizationCode);
    let implicit = grants.contains(&GrantType::Implicit);
    let Some(values) = fields.strings("response_types")? else {
        let mut derived = Vec::new();
        if code {
            derived.push(ResponseType::Code);
        }
        if implicit {
            derived.extend([ResponseType::Token, ResponseType::IdToken]);
        }
        return Ok(derived);
    };
    let mut types: Vec<ResponseType> = Vec::new();
    for value in values {
        for part in value.split(' ').filter(|p| !p.is_empty()) {
            let response_type = ResponseType::parse(part)
                .map_err(|_| OAuthError::invalid_client_metadata(format!("response_type {part} is not supported")))?;
            if !types.contains(&response_type) {
                types.push(response_type);
            }
        }
    }
    for response_type in &types {
        let consistent = match response_type {
            ResponseType::Code | ResponseType::None => code,
            ResponseType::Token | ResponseType::IdToken => implicit,
        };
        if !consistent {
            let grant = if matches!(response_type, ResponseType::Code | ResponseType::None) {
                "authorization_code"
            } else {
                "implicit"
            };
            return Err(OAuthError::invalid_client_metadata(format!(
                "response_type {response_type} needs grant_type {grant}"
            )));
        }
    }
    if code && !types.contains(&ResponseType::Code) {
        return Err(OAuthError::invalid_client_metadata("grant_type authorization_code needs response_type code"));
    }
    if implicit && !types.iter().any(|t| matches!(t, ResponseType::Token | ResponseType::IdToken)) {
        return Err(OAuthError::invalid_client_metadata("grant_type implicit needs response_type token or id_token"));
    }
    Ok(types)
}

/// RFC 7591 §2 `redirect_uris`: required for redirect-based flows; each exact, https unless
/// loopback, without a fragment (RFC 9700 §4.1).
fn redirect_uris(fields: &Fields<'_>, grants: &[GrantType]) -> Result<Vec<RedirectUri>, OAuthError> {
    let values = fields.strings("redirect_uris").map_err(|e| OAuthError::invalid_redirect_uri(e.description))?;
    let values = values.unwrap_or_default();
    let redirects = grants.iter().any(|g| matches!(g, GrantType::AuthorizationCode | GrantType::Implicit));
    if redirects && values.is_empty() {
        return Err(OAuthError::invalid_redirect_uri(
            "redirect_uris is required for the authorization_code and implicit grant types",
        ));
    }
    if values.len() > MAX_ITEMS {
        return Err(OAuthError::invalid_redirect_uri(format!("redirect_uris must not list more than {MAX_ITEMS}")));
    }
    let uris = values
        .iter()
        .enumerate()
        .map(|(i, uri)| {
            RedirectUri::parse((*uri).to_owned())
                .map_err(|e: Invalid| OAuthError::invalid_redirect_uri(format!("redirect_uris[{i}] {}", e.reason)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(i) = duplicate(&uris) {
        return Err(OAuthError::invalid_redirect_uri(format!("redirect_uris[{i}] is listed twice")));
    }
    Ok(uris)
}

/// RFC 7591 §2 `token_endpoint_auth_method`; `client_secret_basic` when absent.
fn auth_method(
    fields: &Fields<'_>,
    policy: &RegistrationPolicy,
    current: Option<&Client>,
    grants: &[GrantType],
) -> Result<TokenEndpointAuthMethod, OAuthError> {
    let method = match fields.string("token_endpoint_auth_method")? {
        None => TokenEndpointAuthMethod::ClientSecretBasic,
        Some(name) => TokenEndpointAuthMethod::parse(name).map_err(|_| {
            let reason = if UNSUPPORTED_AUTH_METHODS.contains(&name) { "is not supported" } else { "is unknown" };
            OAuthError::invalid_client_metadata(format!(
                "token_endpoint_auth_method {name} {reason}; supported: {}",
                TokenEndpointAuthMethod::NAMES.join(", ")
            ))
        })?,
    };
    let held = current.is_some_and(|c| c.token_endpoint_auth_method == method);
    if !policy.allowed_token_endpoint_auth_methods.contains(&method) && !held {
        return Err(OAuthError::invalid_client_metadata(format!(
            "token_endpoint_auth_method {method} is not allowed for registered clients of this auth server"
        )));
    }
    // RFC 6749 §4.4: client_credentials is for confidential clients only.
    if method == TokenEndpointAuthMethod::None && grants.contains(&GrantType::ClientCredentials) {
        return Err(OAuthError::invalid_client_metadata(
            "a public client (token_endpoint_auth_method none) cannot use grant_type client_credentials",
        ));
    }
    Ok(method)
}

/// RFC 7591 §2 `scope`: space-separated names of enabled scopes the policy allows (or the
/// client already has); `openid` is always accepted. The policy's defaults when absent.
fn registered_scopes(
    fields: &Fields<'_>,
    policy: &RegistrationPolicy,
    scopes: &[Scope],
    current: Option<&Client>,
) -> Result<(Vec<Uuid>, bool), OAuthError> {
    let Some(requested) = fields.string("scope")? else {
        let defaults = policy.default_scopes.iter().filter(|id| scopes.iter().any(|s| s.id == **id && s.enabled));
        return Ok((defaults.copied().collect(), false));
    };
    let defined_openid = scopes.iter().any(|s| s.name.as_str() == "openid");
    let mut openid = false;
    let mut ids = Vec::new();
    for name in requested.split(' ').filter(|n| !n.is_empty()) {
        if name == "openid" && !defined_openid {
            openid = true;
            continue;
        }
        let scope = scopes
            .iter()
            .find(|s| s.name.as_str() == name && s.enabled)
            .ok_or_else(|| OAuthError::invalid_client_metadata(format!("scope {name} does not exist")))?;
        let held = current.is_some_and(|c| c.allow_all_scopes || c.allow_scopes.contains(&scope.id));
        if !policy.allows_scope(scope.id) && !held {
            return Err(OAuthError::invalid_client_metadata(format!(
                "scope {name} is not allowed for registered clients of this auth server"
            )));
        }
        if !ids.contains(&scope.id) {
            ids.push(scope.id);
        }
    }
    Ok((ids, openid))
}

/// Tessera's `access_token_duration`/`id_token_duration` extensions, in seconds, up to the
/// policy's maximum (or what the client already has).
fn duration(
    fields: &Fields<'_>,
    name: &str,
    default: TokenDuration,
    max: TokenDuration,
    current: Option<TokenDuration>,
) -> Result<TokenDuration, OAuthError> {
    let Some(value) = fields.get(name) else { return Ok(default) };
    let seconds = value
        .as_i64()
        .ok_or_else(|| OAuthError::invalid_client_metadata(format!("{name} must be an integer number of seconds")))?;
    let limit = current.map_or(max.seconds(), |c| c.seconds().max(max.seconds()));
    if seconds > limit {
        return Err(OAuthError::invalid_client_metadata(format!(
            "{name} must be at most {limit} seconds for registered clients of this auth server"
        )));
    }
    TokenDuration::parse(seconds).map_err(|e| OAuthError::invalid_client_metadata(format!("{name} {}", e.reason)))
}

/// RFC 7591 §2 `jwks`/`jwks_uri`: a `private_key_jwt` client registers its public keys
/// inline in `jwks` (Tessera fetches no URLs a registrant names); other clients' keys are
/// checked and ignored, since nothing else uses them.
fn keys(fields: &Fields<'_>, method: TokenEndpointAuthMethod) -> Result<Option<ClientJwks>, OAuthError> {
    if fields.present("jwks_uri") && fields.present("jwks") {
        return Err(OAuthError::invalid_client_metadata("jwks_uri and jwks must not both be present"));
    }
    if method == TokenEndpointAuthMethod::PrivateKeyJwt {
        if fields.present("jwks_uri") {
            return Err(OAuthError::invalid_client_metadata(
                "jwks_uri is not supported: register the public keys inline in jwks",
            ));
        }
        let jwks = fields
            .get("jwks")
            .ok_or_else(|| OAuthError::invalid_client_metadata("jwks is required for private_key_jwt"))?;
        let jwks = ClientJwks::parse(jwks.clone())
            .map_err(|e| OAuthError::invalid_client_metadata(format!("jwks{} {}", e.suffix, e.reason)))?;
        return Ok(Some(jwks));
    }
    if let Some(uri) = fields.string("jwks_uri")? {
        let url = web_url(uri).map_err(|reason| OAuthError::invalid_client_metadata(format!("jwks_uri {reason}")))?;
        if url.scheme() != "https" {
            return Err(OAuthError::invalid_client_metadata("jwks_uri must use https"));
        }
    }
    if let Some(jwks) = fields.get("jwks")
        && !jwks.get("keys").is_some_and(Value::is_array)
    {
        return Err(OAuthError::invalid_client_metadata("jwks must be a JWK Set: an object with a keys array"));
    }
    Ok(None)
}

/// OpenID Connect Dynamic Client Registration §2: what a client would rely on without
/// checking. ID tokens are signed with the auth server's one algorithm; userinfo is plain
/// JSON; nothing is encrypted; subjects are public.
fn openid_metadata(fields: &Fields<'_>, algorithm: SigningAlgorithm) -> Result<(), OAuthError> {
    if let Some(requested) = fields.string("id_token_signed_response_alg")?
        && requested != algorithm.as_str()
    {
        return Err(OAuthError::invalid_client_metadata(format!(
            "id_token_signed_response_alg must be {algorithm}, the auth server's signing algorithm",
            algorithm = algorithm.as_str()
        )));
    }
    for name in ["userinfo_signed_response_alg", "userinfo_encrypted_response_alg", "id_token_encrypted_response_alg"] {
        if fields.present(name) {
            return Err(OAuthError::invalid_client_metadata(format!("{name} is not supported")));
        }
    }
    if fields.string("subject_type")?.is_some_and(|t| t != "public") {
        return Err(OAuthError::invalid_client_metadata("subject_type must be public"));
    }
    Ok(())
}

/// RFC 7591 §2 `contacts`: ways to reach the people responsible, usually e-mail addresses.
fn contacts(fields: &Fields<'_>) -> Result<Vec<String>, OAuthError> {
    let contacts = fields.strings("contacts")?.unwrap_or_default();
    if contacts.len() > MAX_ITEMS {
        return Err(OAuthError::invalid_client_metadata(format!("contacts must not list more than {MAX_ITEMS}")));
    }
    for (i, contact) in contacts.iter().enumerate() {
        let length = contact.chars().count();
        if length == 0 || length > MAX_TEXT_LENGTH || contact.chars().any(char::is_control) {
            return Err(OAuthError::invalid_client_metadata(format!(
                "contacts[{i}] must have 1 to {MAX_TEXT_LENGTH} characters and no control characters"
            )));
        }
    }
    Ok(contacts.into_iter().map(str::to_owned).collect())
}

/// What a client information response carries besides the client and its metadata.
pub struct Issued<'a> {
    /// The secret in clear: only when it was just generated.
    pub client_secret: Option<&'a str>,
    pub registration_access_token: &'a str,
    pub registration_client_uri: &'a str,
    pub issued_at: DateTime<Utc>,
}

/// RFC 7591 §3.2.1 / RFC 7592 §3: the client information response, from the client as it
/// now is (an admin may have changed it), so it never claims what the client does not have.
pub fn client_information(
    client: &Client,
    metadata: &RegistrationMetadata,
    scopes: &[Scope],
    algorithm: SigningAlgorithm,
    issued: Issued<'_>,
) -> Value {
    let mut names: Vec<&str> = Vec::new();
    // An `openid` scope the admin defined later is listed with the scopes below.
    if metadata.openid && !scopes.iter().any(|s| s.name.as_str() == "openid") {
        names.push("openid");
    }
    names.extend(
        scopes
            .iter()
            .filter(|s| s.enabled && (client.allow_all_scopes || client.allow_scopes.contains(&s.id)))
            .map(|s| s.name.as_str()),
    );
    let mut body = json!({
        "client_id": client.id.as_str(),
        "client_id_issued_at": issued.issued_at.timestamp(),
        "registration_access_token": issued.registration_access_token,
        "registration_client_uri": issued.registration_client_uri,
        "grant_types": client.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "response_types": client.response_types.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "redirect_uris": client.redirect_uris.iter().map(RedirectUri::as_str).collect::<Vec<_>>(),
        "token_endpoint_auth_method": client.token_endpoint_auth_method.as_str(),
        "scope": names.join(" "),
        "access_token_duration": client.access_token_duration.seconds(),
        "id_token_duration": client.id_token_duration.seconds(),
        "id_token_signed_response_alg": algorithm.as_str(),
    });
    if client.token_endpoint_auth_method.uses_secret() {
        // RFC 7591 §3.2.1: 0 means the secret does not expire.
        body["client_secret_expires_at"] = json!(0);
    }
    if let Some(jwks) = &client.jwks {
        body["jwks"] = jwks.as_value().clone();
    }
    if let Some(secret) = issued.client_secret {
        body["client_secret"] = json!(secret);
    }
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, json!(metadata)) {
        for (key, value) in extra {
            // `openid` is folded into `scope` above.
            if key != "openid" {
                body.insert(key, value);
            }
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Labels;

    fn scope(name: &str) -> Scope {
        Scope::named(name)
    }

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn interactive_policy(scopes: &[Scope]) -> RegistrationPolicy {
        RegistrationPolicy {
            enabled: true,
            allowed_grant_types: vec![
                GrantType::ClientCredentials,
                GrantType::AuthorizationCode,
                GrantType::RefreshToken,
                GrantType::Implicit,
            ],
            allowed_token_endpoint_auth_methods: vec![
                TokenEndpointAuthMethod::ClientSecretBasic,
                TokenEndpointAuthMethod::ClientSecretPost,
                TokenEndpointAuthMethod::None,
                TokenEndpointAuthMethod::PrivateKeyJwt,
            ],
            allowed_scopes: scopes.iter().map(|s| s.id).collect(),
            ..Default::default()
        }
    }

    fn read(value: Value, policy: &RegistrationPolicy, scopes: &[Scope]) -> Result<ClientMetadata, OAuthError> {
        read_metadata(&body(value), policy, scopes, SigningAlgorithm::RS256, None)
    }

    #[test]
    fn an_empty_registration_gets_the_policys_defaults() {
        let read_scope = scope("read");
        let policy = RegistrationPolicy { default_scopes: vec![read_scope.id], ..interactive_policy(&[]) };
        let policy = RegistrationPolicy { allowed_scopes: vec![read_scope.id], ..policy };
        let metadata =
            read(json!({}), &policy, std::slice::from_ref(&read_scope)).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(metadata.grant_types, vec![GrantType::ClientCredentials]);
        assert!(metadata.response_types.is_empty());
        assert_eq!(metadata.token_endpoint_auth_method, TokenEndpointAuthMethod::ClientSecretBasic);
        assert_eq!(metadata.allow_scopes, vec![read_scope.id]);
        assert_eq!(metadata.access_token_duration, TokenDuration::DEFAULT);
    }

    #[test]
    fn a_full_interactive_registration_is_read_as_given() {
        let scopes = vec![scope("read"), scope("write")];
        let policy = interactive_policy(&scopes);
        let metadata = read(
            json!({
                "client_name": "Portal app", "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"], "redirect_uris": ["https://app.example.com/cb"],
                "token_endpoint_auth_method": "client_secret_post", "scope": "openid read",
                "client_uri": "https://app.example.com", "contacts": ["dev@example.com"],
                "software_id": "4NRB1-0XZABZI9E6-5SM3R", "software_version": "2.1",
                "access_token_duration": 900, "unknown_extension": {"ignored": true}
            }),
            &policy,
            &scopes,
        )
        .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(metadata.response_types, vec![ResponseType::Code]);
        assert_eq!(metadata.allow_scopes, vec![scopes[0].id]);
        assert!(metadata.metadata.openid);
        assert_eq!(metadata.metadata.client_name.as_deref(), Some("Portal app"));
        assert_eq!(metadata.access_token_duration.seconds(), 900);
    }

    #[test]
    fn invalid_metadata_is_refused_with_the_rfc_7591_error_naming_the_field() {
        let scopes = vec![scope("read")];
        let strict = RegistrationPolicy { enabled: true, ..Default::default() };
        let open = interactive_policy(&scopes);
        let cases: Vec<(Value, &RegistrationPolicy, &str, &str)> = vec![
            (json!({"grant_types": ["password"]}), &open, "invalid_client_metadata", "not supported"),
            (json!({"grant_types": ["implicit"]}), &strict, "invalid_client_metadata", "not allowed"),
            (json!({"grant_types": []}), &open, "invalid_client_metadata", "at least one"),
            (json!({"grant_types": "client_credentials"}), &open, "invalid_client_metadata", "array of strings"),
            (json!({"grant_types": ["refresh_token"]}), &open, "invalid_client_metadata", "needs authorization_code"),
            (
                json!({"grant_types": ["client_credentials"], "response_types": ["code"]}),
                &open,
                "invalid_client_metadata",
                "needs grant_type authorization_code",
            ),
            (
                json!({"grant_types": ["authorization_code"], "response_types": ["token"], "redirect_uris": ["https://a.example/cb"]}),
                &open,
                "invalid_client_metadata",
                "needs grant_type implicit",
            ),
            (json!({"grant_types": ["authorization_code"]}), &open, "invalid_redirect_uri", "required"),
            (
                json!({"grant_types": ["authorization_code"], "redirect_uris": ["http://evil.example/cb"]}),
                &open,
                "invalid_redirect_uri",
                "redirect_uris[0]",
            ),
            (
                json!({"grant_types": ["authorization_code"], "redirect_uris": ["https://a.example/cb#frag"]}),
                &open,
                "invalid_redirect_uri",
                "fragment",
            ),
            (
                json!({"grant_types": ["authorization_code"], "redirect_uris": ["https://a.example/cb", "https://a.example/cb"]}),
                &open,
                "invalid_redirect_uri",
                "twice",
            ),
            (
                json!({"token_endpoint_auth_method": "client_secret_jwt"}),
                &open,
                "invalid_client_metadata",
                "not supported",
            ),
            (
                json!({"token_endpoint_auth_method": "private_key_jwt"}),
                &strict,
                "invalid_client_metadata",
                "not allowed",
            ),
            (
                json!({"token_endpoint_auth_method": "private_key_jwt"}),
                &open,
                "invalid_client_metadata",
                "jwks is required",
            ),
            (
                json!({"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://a.example/jwks"}),
                &open,
                "invalid_client_metadata",
                "inline",
            ),
            (
                json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}}),
                &open,
                "invalid_client_metadata",
                "jwks.keys[0] RSA keys must have at least 2048 bits",
            ),
            (json!({"token_endpoint_auth_method": "none"}), &strict, "invalid_client_metadata", "not allowed"),
            (json!({"token_endpoint_auth_method": "none"}), &open, "invalid_client_metadata", "cannot use"),
            (json!({"scope": "read"}), &strict, "invalid_client_metadata", "not allowed"),
            (json!({"scope": "nosuch"}), &open, "invalid_client_metadata", "does not exist"),
            (json!({"scope": ["read"]}), &open, "invalid_client_metadata", "must be a string"),
            (json!({"client_name": ""}), &open, "invalid_client_metadata", "client_name"),
            (json!({"client_name": 7}), &open, "invalid_client_metadata", "client_name"),
            (json!({"client_uri": "not a url"}), &open, "invalid_client_metadata", "client_uri"),
            (json!({"logo_uri": "ftp://example.com/logo.png"}), &open, "invalid_client_metadata", "logo_uri"),
            (json!({"contacts": "dev@example.com"}), &open, "invalid_client_metadata", "contacts"),
            (json!({"contacts": [""]}), &open, "invalid_client_metadata", "contacts[0]"),
            (
                json!({"jwks_uri": "https://a.example/jwks", "jwks": {"keys": []}}),
                &open,
                "invalid_client_metadata",
                "both",
            ),
            (json!({"jwks_uri": "http://a.example/jwks"}), &open, "invalid_client_metadata", "https"),
            (json!({"jwks": {"kty": "RSA"}}), &open, "invalid_client_metadata", "JWK Set"),
            (json!({"access_token_duration": 7200}), &open, "invalid_client_metadata", "at most 3600"),
            (json!({"access_token_duration": 10}), &open, "invalid_client_metadata", "at least 60"),
            (json!({"id_token_duration": "300"}), &open, "invalid_client_metadata", "integer"),
            (json!({"software_statement": "eyJ..."}), &open, "unapproved_software_statement", "software statements"),
            (json!({"id_token_signed_response_alg": "HS256"}), &open, "invalid_client_metadata", "must be RS256"),
            (json!({"userinfo_signed_response_alg": "RS256"}), &open, "invalid_client_metadata", "not supported"),
            (json!({"id_token_encrypted_response_alg": "RSA-OAEP"}), &open, "invalid_client_metadata", "not supported"),
            (json!({"subject_type": "pairwise"}), &open, "invalid_client_metadata", "public"),
        ];
        for (request, policy, error, fragment) in cases {
            let refused = read(request.clone(), policy, &scopes).map(|_| ()).unwrap_err();
            assert_eq!(refused.error, error, "{request}");
            assert_eq!(refused.status, 400, "{request}");
            assert!(refused.description.contains(fragment), "{request}: {}", refused.description);
        }
    }

    #[test]
    fn an_update_keeps_what_the_client_already_holds_beyond_the_policy() {
        let scopes = vec![scope("admin")];
        let policy = RegistrationPolicy { enabled: true, ..Default::default() };
        let client = Client {
            id: ClientId::generate(),
            auth_server_id: Uuid::nil(),
            name: Name::trusted("c".into()),
            grant_types: vec![GrantType::ClientCredentials],
            response_types: vec![],
            redirect_uris: vec![],
            login_uri: None,
            access_token_duration: TokenDuration::trusted(86_400),
            id_token_duration: TokenDuration::DEFAULT,
            allow_all_scopes: false,
            allow_scopes: vec![scopes[0].id],
            labels: Labels::default(),
            token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretPost,
            jwks: None,
            introspection_allowed: false,
            login_requests_answered_by_client: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let request = body(json!({"scope": "admin", "access_token_duration": 86400}));
        let metadata = read_metadata(&request, &policy, &scopes, SigningAlgorithm::RS256, Some(&client))
            .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(metadata.allow_scopes, vec![scopes[0].id]);
        assert_eq!(metadata.access_token_duration.seconds(), 86_400);
        assert!(
            read_metadata(&request, &policy, &scopes, SigningAlgorithm::RS256, None).is_err(),
            "a new registration may not"
        );
    }

    #[test]
    fn the_client_information_response_reflects_the_client_and_its_metadata() {
        let scopes = vec![scope("read")];
        let policy = interactive_policy(&scopes);
        let registered =
            read(json!({"scope": "openid read", "client_name": "App", "contacts": ["a@b.example"]}), &policy, &scopes)
                .unwrap_or_else(|e| unreachable!("{e:?}"));
        let mut client = Client {
            id: ClientId::generate(),
            auth_server_id: Uuid::nil(),
            name: registered.name(&ClientId::generate()),
            grant_types: vec![],
            response_types: vec![],
            redirect_uris: vec![],
            login_uri: None,
            access_token_duration: TokenDuration::DEFAULT,
            id_token_duration: TokenDuration::DEFAULT,
            allow_all_scopes: true,
            allow_scopes: vec![],
            labels: Labels::default(),
            token_endpoint_auth_method: TokenEndpointAuthMethod::None,
            jwks: None,
            introspection_allowed: false,
            login_requests_answered_by_client: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        registered.apply_to(&mut client);
        let issued = Issued {
            client_secret: Some("s3cret"),
            registration_access_token: "tsr_x",
            registration_client_uri: "https://id.example/x/auth/oauth/register/abc",
            issued_at: client.created_at,
        };
        let info = client_information(&client, &registered.metadata, &scopes, SigningAlgorithm::ES256, issued);
        assert_eq!(info["scope"], "openid read");
        assert_eq!(info["client_name"], "App");
        assert_eq!(info["contacts"], json!(["a@b.example"]));
        assert_eq!(info["client_secret"], "s3cret");
        assert_eq!(info["client_secret_expires_at"], 0);
        assert_eq!(info["token_endpoint_auth_method"], "client_secret_basic");
        assert!(info.get("openid").is_none());
        assert_eq!(info["id_token_signed_response_alg"], "ES256");
    }
}
