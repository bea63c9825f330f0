use serde_json::json;

use crate::helpers::{TestApp, backend_tests, str_of};

async fn discovery_describes_the_issuer_and_its_endpoints(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let hidden = app.post(&format!("/v1/auth-servers/{}/scopes", seed.server_id), json!({"name": "hidden"})).await;
    assert_eq!(hidden.status, 201);
    app.post(
        &format!("/v1/auth-servers/{}/scopes", seed.server_id),
        json!({"name": "off", "include_in_metadata": true, "enabled": false}),
    )
    .await;
    let response = app.send(app.http.get(format!("{}/.well-known/openid-configuration", seed.issuer))).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("cache-control"), Some("public, max-age=300"));
    let doc = &response.body;
    let issuer = &seed.issuer;
    assert_eq!(doc["issuer"], *issuer);
    assert_eq!(doc["token_endpoint"], format!("{issuer}/oauth/token"));
    assert_eq!(doc["jwks_uri"], format!("{issuer}/.well-known/jwks"));
    assert_eq!(doc["introspection_endpoint"], format!("{issuer}/introspect"));
    assert_eq!(doc["revocation_endpoint"], format!("{issuer}/oauth/revoke"));
    assert_eq!(doc["scopes_supported"], json!(["scope1"]), "only enabled scopes with include_in_metadata");
    assert_eq!(
        doc["grant_types_supported"],
        json!([
            "client_credentials",
            "authorization_code",
            "implicit",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ])
    );
    assert!(doc["claims_supported"].as_array().unwrap().contains(&json!("claim1")));
    let rfc8414 = app.send(app.http.get(format!("{issuer}/.well-known/oauth-authorization-server"))).await;
    assert_eq!(rfc8414.body, response.body);
}

async fn the_jwks_publishes_the_signing_key_for_caching(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let response = app.send(app.http.get(format!("{}/.well-known/jwks", seed.issuer))).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("cache-control"), Some("public, max-age=300"));
    let keys = response.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!((&keys[0]["kty"], &keys[0]["use"], &keys[0]["alg"]), (&json!("RSA"), &json!("sig"), &json!("RS256")));
    assert!(keys[0].get("d").is_none(), "no private parts");
    assert!(uuid::Uuid::parse_str(str_of(&keys[0], "kid")).is_ok());
}

async fn unknown_or_deleted_issuers_are_404(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    for path in ["/aaaaaaaaaaaaaaaa/auth/.well-known/openid-configuration", "/NOT-A-SLUG/auth/.well-known/jwks"] {
        assert_eq!(app.send(app.http.get(app.url(path))).await.status, 404, "{path}");
    }
    assert_eq!(app.delete(&format!("/v1/auth-servers/{}?force=true", seed.server_id)).await.status, 204);
    let gone = app.send(app.http.get(format!("{}/.well-known/openid-configuration", seed.issuer))).await;
    assert_eq!(gone.status, 404);
    let token = app.token(&seed, None).await;
    assert_eq!(token.status, 404);
}

backend_tests!(
    discovery_describes_the_issuer_and_its_endpoints,
    the_jwks_publishes_the_signing_key_for_caching,
    unknown_or_deleted_issuers_are_404
);

/// With TESSERA_ISSUER_DOMAIN, the slug comes from the Host header.
#[tokio::test]
async fn host_based_issuers_answer_on_their_own_host() {
    let app =
        TestApp::spawn_with(crate::helpers::Backend::Sqlite, |s| s.issuer_domain = Some("id.test".to_owned())).await;
    let seed = app.auth_server_with_client().await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let slug = seed.issuer.strip_prefix("http://").unwrap().split('.').next().unwrap().to_owned();
    assert_eq!(seed.issuer, format!("http://{slug}.id.test:{port}/auth"));
    let request = app
        .http
        .get(app.url("/auth/.well-known/openid-configuration"))
        .header("host", format!("{slug}.id.test:{port}"));
    let response = app.send(request).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.body["issuer"], seed.issuer);
    let wrong_host = app
        .http
        .get(app.url("/auth/.well-known/openid-configuration"))
        .header("host", format!("{slug}.elsewhere.test"));
    assert_eq!(app.send(wrong_host).await.status, 404);
    // The path-based form reaches the same auth server.
    let by_path = app.send(app.http.get(app.url(&format!("/{slug}/auth/.well-known/jwks")))).await;
    assert_eq!(by_path.status, 200);
}
