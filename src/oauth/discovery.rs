//! Authorization server metadata (RFC 8414 §2, OpenID Connect Discovery 1.0 §3).

use serde_json::{Value, json};

use crate::domain::{AuthServer, Scope};

/// Where the issuer's endpoints live; built from the route constants.
pub struct Endpoints {
    pub issuer: String,
    pub token: String,
    pub jwks: String,
    pub introspection: String,
    pub revocation: String,
}

pub fn metadata(endpoints: &Endpoints, server: &AuthServer, scopes: &[Scope], claims_supported: Vec<String>) -> Value {
    let scopes_supported: Vec<&str> =
        scopes.iter().filter(|s| s.enabled && s.include_in_metadata).map(|s| s.name.as_str()).collect();
    let auth_methods = ["client_secret_basic", "client_secret_post"];
    json!({
        "issuer": endpoints.issuer,
        "token_endpoint": endpoints.token,
        "jwks_uri": endpoints.jwks,
        "introspection_endpoint": endpoints.introspection,
        "revocation_endpoint": endpoints.revocation,
        "scopes_supported": scopes_supported,
        "response_types_supported": ["token"],
        "grant_types_supported": ["client_credentials"],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "id_token_signing_alg_values_supported": [server.signing_algorithm.as_str()],
        "claims_supported": claims_supported,
    })
}
