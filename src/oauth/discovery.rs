//! Authorization server metadata (RFC 8414 §2, OpenID Connect Discovery 1.0 §3).

use serde_json::{Value, json};

use crate::domain::{AuthServer, Scope, SigningAlgorithm};

/// Where the issuer's endpoints live; built from the route constants.
pub struct Endpoints {
    pub issuer: String,
    pub token: String,
    pub jwks: String,
    pub introspection: String,
    pub revocation: String,
    pub authorization: String,
    pub userinfo: String,
    /// RFC 7591 §3: advertised only while the auth server accepts registrations.
    pub registration: Option<String>,
}

pub fn metadata(endpoints: &Endpoints, server: &AuthServer, scopes: &[Scope], claims_supported: Vec<String>) -> Value {
    let scopes_supported: Vec<&str> =
        scopes.iter().filter(|s| s.enabled && s.include_in_metadata).map(|s| s.name.as_str()).collect();
    let auth_methods = ["client_secret_basic", "client_secret_post", "private_key_jwt"];
    let token_auth_methods = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"];
    let mut document = json!({
        "issuer": endpoints.issuer,
        "token_endpoint": endpoints.token,
        "jwks_uri": endpoints.jwks,
        "introspection_endpoint": endpoints.introspection,
        "revocation_endpoint": endpoints.revocation,
        "scopes_supported": scopes_supported,
        "authorization_endpoint": endpoints.authorization,
        "userinfo_endpoint": endpoints.userinfo,
        "response_types_supported":
            ["code", "token", "id_token", "id_token token", "code id_token", "code token", "code id_token token", "none"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["client_credentials", "authorization_code", "implicit", "refresh_token",
            "urn:ietf:params:oauth:grant-type:jwt-bearer", "urn:ietf:params:oauth:grant-type:token-exchange"],
        "code_challenge_methods_supported": ["S256"],
        // RFC 9207: authorization responses carry `iss`.
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": token_auth_methods,
        // RFC 8414 §2: required with private_key_jwt; what client assertions may be signed with.
        "token_endpoint_auth_signing_alg_values_supported": SigningAlgorithm::NAMES,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": SigningAlgorithm::NAMES,
        "revocation_endpoint_auth_signing_alg_values_supported": SigningAlgorithm::NAMES,
        // RFC 7009 §2.1: public clients revoke their own tokens with `client_id` alone.
        "revocation_endpoint_auth_methods_supported": token_auth_methods,
        "id_token_signing_alg_values_supported": [server.signing_algorithm.as_str()],
        "claims_supported": claims_supported,
    });
    if let Some(registration) = &endpoints.registration {
        // RFC 8414 §2 `registration_endpoint`.
        document["registration_endpoint"] = json!(registration);
    }
    document
}
