use std::collections::BTreeSet;

use crate::spec::SPEC;

#[test]
fn every_route_is_described_in_openapi_and_every_described_operation_is_routed() {
    let routed: BTreeSet<(String, String)> = tessera::http::route_table().into_iter().collect();
    let described: BTreeSet<(String, String)> =
        SPEC.operations().into_iter().chain(crate::spec::SPEC_V2.operations()).collect();
    let undocumented: Vec<_> = routed.difference(&described).collect();
    let unrouted: Vec<_> = described.difference(&routed).collect();
    assert!(undocumented.is_empty(), "routes missing from openapi.yaml: {undocumented:?}");
    assert!(unrouted.is_empty(), "openapi.yaml describes operations that are not routed: {unrouted:?}");
}

#[test]
fn the_spec_checker_rejects_responses_that_do_not_match() {
    let id = "0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11";
    let path = format!("/v1/auth-servers/{id}/scopes/{id}");
    let scope = serde_json::json!({"id": id, "name": "s", "description": "", "default": false, "include_in_metadata": false,
        "enabled": true, "created_at": "2025-09-19T21:05:34.604098Z", "updated_at": "2025-09-19T21:05:34.604098Z"});
    let body = serde_json::to_vec(&scope).unwrap();
    assert_eq!(SPEC.check("GET", &path, 200, "application/json", &body), Ok(()));

    let mut extra = scope.clone();
    extra["secret"] = "leak".into();
    assert!(SPEC.check("GET", &path, 200, "application/json", &serde_json::to_vec(&extra).unwrap()).is_err());
    let mut missing = scope.clone();
    missing.as_object_mut().unwrap().remove("enabled");
    assert!(SPEC.check("GET", &path, 200, "application/json", &serde_json::to_vec(&missing).unwrap()).is_err());
    assert!(SPEC.check("GET", &path, 418, "application/json", &body).is_err(), "undocumented status");
    assert!(SPEC.check("GET", &path, 200, "text/plain", &body).is_err(), "wrong content type");
}

#[test]
fn the_spec_checker_rejects_headers_that_do_not_match() {
    let path = "/dhafxmmgz56rlw6b/auth/oauth/register/abc";
    let header = |name: &str, value: &str| (name.to_owned(), value.to_owned());
    let good = vec![
        header("x-request-id", "3f1c"),
        header("vary", "Origin"),
        header("access-control-allow-origin", "https://app.example.com"),
        header("access-control-allow-methods", "GET, PUT, DELETE, OPTIONS"),
    ];
    assert_eq!(SPEC.check_headers("OPTIONS", path, 204, &good), Ok(()));
    let mut wrong = good.clone();
    wrong[3] = header("access-control-allow-methods", "GET, POST, OPTIONS");
    assert!(SPEC.check_headers("OPTIONS", path, 204, &wrong).is_err(), "a value its schema forbids");
    assert!(SPEC.check_headers("OPTIONS", path, 204, &good[1..]).is_err(), "a required header missing");
}

/// Kong Identity's operations with the operationIds of Kong's published spec (v1): clients
/// generated from that spec call these names, so ours keep them.
const KONG_OPERATION_IDS: &[(&str, &str, &str)] = &[
    ("get", "/v1/auth-servers", "listAuthServers"),
    ("post", "/v1/auth-servers", "createAuthServer"),
    ("get", "/v1/auth-servers/{authServerId}", "getAuthServer"),
    ("patch", "/v1/auth-servers/{authServerId}", "updateAuthServer"),
    ("delete", "/v1/auth-servers/{authServerId}", "deleteAuthServer"),
    ("get", "/v1/auth-servers/{authServerId}/claims", "listAuthServerClaims"),
    ("post", "/v1/auth-servers/{authServerId}/claims", "createAuthServerClaim"),
    ("get", "/v1/auth-servers/{authServerId}/claims/{claimId}", "getAuthServerClaim"),
    ("patch", "/v1/auth-servers/{authServerId}/claims/{claimId}", "updateAuthServerClaim"),
    ("delete", "/v1/auth-servers/{authServerId}/claims/{claimId}", "deleteAuthServerClaim"),
    ("get", "/v1/auth-servers/{authServerId}/scopes", "listAuthServerScopes"),
    ("post", "/v1/auth-servers/{authServerId}/scopes", "createAuthServerScope"),
    ("get", "/v1/auth-servers/{authServerId}/scopes/{scopeId}", "getAuthServerScope"),
    ("patch", "/v1/auth-servers/{authServerId}/scopes/{scopeId}", "updateAuthServerScope"),
    ("delete", "/v1/auth-servers/{authServerId}/scopes/{scopeId}", "deleteAuthServerScope"),
    ("get", "/v1/auth-servers/{authServerId}/clients", "listAuthServerClients"),
    ("post", "/v1/auth-servers/{authServerId}/clients", "createAuthServerClient"),
    ("get", "/v1/auth-servers/{authServerId}/clients/{clientId}", "getAuthServerClient"),
    ("patch", "/v1/auth-servers/{authServerId}/clients/{clientId}", "updateAuthServerClient"),
    ("put", "/v1/auth-servers/{authServerId}/clients/{clientId}", "replaceAuthServerClient"),
    ("delete", "/v1/auth-servers/{authServerId}/clients/{clientId}", "deleteAuthServerClient"),
    ("get", "/v1/auth-servers/{authServerId}/clients/{clientId}/secrets", "listClientSecrets"),
    ("post", "/v1/auth-servers/{authServerId}/clients/{clientId}/secrets", "createClientSecret"),
    ("get", "/v1/auth-servers/{authServerId}/clients/{clientId}/secrets/{clientSecretId}", "getClientSecret"),
    ("patch", "/v1/auth-servers/{authServerId}/clients/{clientId}/secrets/{clientSecretId}", "updateClientSecret"),
    ("delete", "/v1/auth-servers/{authServerId}/clients/{clientId}/secrets/{clientSecretId}", "deleteClientSecret"),
    ("post", "/v1/auth-servers/{authServerId}/clients/{clientId}/test-claim", "testClaimForClient"),
    ("get", "/v1/auth-servers/{authServerId}/clients/{clientId}/tokens", "listAuthServerClientTokens"),
    ("delete", "/v1/auth-servers/{authServerId}/clients/{clientId}/tokens", "deleteAllAuthServerClientTokens"),
    ("get", "/v1/auth-servers/{authServerId}/clients/{clientId}/tokens/{tokenId}", "getAuthServerClientToken"),
    ("delete", "/v1/auth-servers/{authServerId}/clients/{clientId}/tokens/{tokenId}", "deleteAuthServerClientToken"),
];

#[test]
fn kong_identity_operations_keep_kongs_operation_ids() {
    let differing: Vec<String> = KONG_OPERATION_IDS
        .iter()
        .filter_map(|&(method, path, kong)| {
            let ours = SPEC.doc["paths"][path][method]["operationId"].as_str();
            (ours != Some(kong)).then(|| format!("{method} {path}: ours {ours:?}, Kong's {kong}"))
        })
        .collect();
    assert!(differing.is_empty(), "operationIds that differ from Kong's: {differing:#?}");
}
