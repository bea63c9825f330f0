//! `private_key_jwt` client authentication (RFC 7523 §2.2, OpenID Connect Core §9): clients
//! sign assertions with jwt-simple, a JOSE library that shares no code with Tessera.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, backend_tests, str_of};
use crate::jose::verify_via_discovery;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Form parameters sent beside an assertion.
type Extra<'a> = Vec<(&'a str, &'a str)>;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn rsa_jwk(key: &RS256KeyPair, kid: &str) -> Value {
    let components = key.public_key().to_components();
    json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64(&components.n), "e": b64(&components.e)})
}

fn ec_jwk(key: &ES256KeyPair, kid: &str) -> Value {
    let point = key.public_key().public_key().to_bytes_uncompressed();
    json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": b64(&point[1..33]), "y": b64(&point[33..65])})
}

fn claims(client_id: &str, audience: &str, jti: &str) -> JWTClaims<NoCustomClaims> {
    Claims::create(Duration::from_secs(60))
        .with_issuer(client_id)
        .with_subject(client_id)
        .with_audience(audience)
        .with_jwt_id(jti)
}

struct KeyClient {
    issuer: String,
    server_id: String,
    client_id: String,
    key: RS256KeyPair,
}

impl TestApp {
    /// An admin-created client that authenticates with an RSA key.
    async fn key_client(&self) -> KeyClient {
        let seed = self.auth_server_with_client().await;
        let key = RS256KeyPair::generate(2048).unwrap().with_key_id("k1");
        let body = json!({
            "name": "signer", "grant_types": ["client_credentials"], "response_types": [],
            "allow_scopes": [seed.scope_id], "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [rsa_jwk(&key, "k1")]}
        });
        let created = self.post(&format!("/v1/auth-servers/{}/clients", seed.server_id), body).await;
        assert_eq!(created.status, 201, "{}", created.text);
        assert_eq!(created.body["jwks"]["keys"][0]["kid"], "k1");
        assert!(created.body.get("client_secret").is_none(), "a key-bound client gets no secret");
        KeyClient {
            issuer: seed.issuer,
            server_id: seed.server_id,
            client_id: str_of(&created.body, "id").to_owned(),
            key,
        }
    }

    async fn token_with_assertion(&self, issuer: &str, assertion: &str, extra: &[(&str, &str)]) -> TestResponse {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
        ];
        form.extend_from_slice(extra);
        self.post_form(&format!("{issuer}/oauth/token"), &form).await
    }
}

async fn a_client_authenticates_with_a_signed_assertion_instead_of_a_secret(app: TestApp) {
    let client = app.key_client().await;
    let token_endpoint = format!("{}/oauth/token", client.issuer);
    let assertion = client.key.sign(claims(&client.client_id, &client.issuer, "jti-1")).unwrap();
    let response = app.token_with_assertion(&client.issuer, &assertion, &[("scope", "scope1")]).await;
    assert_eq!(response.status, 200, "{}", response.text);
    let verified =
        verify_via_discovery(&app, &client.issuer, str_of(&response.body, "access_token"), "http://myhttpbin.dev")
            .await;
    assert_eq!(verified.subject, client.client_id);

    // RFC 7523 §3 item 7: once only, whichever node sees it again.
    let replayed = app.token_with_assertion(&client.issuer, &assertion, &[]).await;
    assert_eq!((replayed.status, replayed.body["error"].as_str()), (401, Some("invalid_client")), "{}", replayed.text);
    assert!(replayed.body["error_description"].as_str().unwrap().contains("already been used"));
    let other = app.spawn_second_node().await;
    let elsewhere = client.issuer.replace(&app.address, &other.address);
    assert_eq!(other.token_with_assertion(&elsewhere, &assertion, &[]).await.status, 401, "replayed on another node");

    // The client_id may be sent alongside.
    let to_issuer = client.key.sign(claims(&client.client_id, &client.issuer, "jti-2")).unwrap();
    let response = app.token_with_assertion(&client.issuer, &to_issuer, &[("client_id", &client.client_id)]).await;
    assert_eq!(response.status, 200, "{}", response.text);
    let token = str_of(&response.body, "access_token").to_owned();

    // A key-bound client has no secret, and none can be added.
    let form =
        [("grant_type", "client_credentials"), ("client_id", client.client_id.as_str()), ("client_secret", "guess")];
    assert_eq!(app.post_form(&token_endpoint, &form).await.status, 401);
    let secrets = format!("/v1/auth-servers/{}/clients/{}/secrets", client.server_id, client.client_id);
    assert_eq!(app.post(&secrets, json!({})).await.status, 403);

    // Introspection takes the same kind of assertion.
    let introspection = format!("{}/introspect", client.issuer);
    let for_introspection = client.key.sign(claims(&client.client_id, &client.issuer, "jti-3")).unwrap();
    let form = [
        ("token", token.as_str()),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", for_introspection.as_str()),
    ];
    let introspected = app.post_form(&introspection, &form).await;
    assert_eq!(
        (introspected.status, introspected.body["active"].as_bool()),
        (200, Some(true)),
        "{}",
        introspected.text
    );

    let discovery = app.send(app.http.get(format!("{}/.well-known/openid-configuration", client.issuer))).await.body;
    for field in ["token_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported"] {
        assert!(discovery[field].as_array().unwrap().contains(&json!("private_key_jwt")), "{field}");
    }
    assert!(
        discovery["token_endpoint_auth_signing_alg_values_supported"].as_array().unwrap().contains(&json!("ES256"))
    );
    assert_eq!(app.get(&format!("/v1/auth-servers/{}/clients/{}", client.server_id, client.client_id)).await.body["jwks"]["keys"][0]["n"].as_str().map(str::len), Some(342));
}

async fn assertions_that_do_not_prove_the_client_are_refused_as_invalid_client(app: TestApp) {
    let client = app.key_client().await;
    let token_endpoint = format!("{}/oauth/token", client.issuer);
    let stranger = RS256KeyPair::generate(2048).unwrap().with_key_id("k1");
    let cases: Vec<(String, Extra, &str)> = vec![
        (
            stranger.sign(claims(&client.client_id, &client.issuer, "a")).unwrap(),
            vec![],
            "Client authentication failed",
        ),
        (
            client.key.sign(claims(&client.client_id, "https://elsewhere.example.com/token", "b")).unwrap(),
            vec![],
            "aud",
        ),
        (client.key.sign(claims(&client.client_id, &token_endpoint, "b2")).unwrap(), vec![], "aud must be the issuer"),
        (
            client
                .key
                .sign(
                    Claims::create(Duration::from_secs(3600))
                        .with_issuer(&client.client_id)
                        .with_subject(&client.client_id)
                        .with_audience(&client.issuer)
                        .with_jwt_id("c"),
                )
                .unwrap(),
            vec![],
            "at most 300",
        ),
        (
            client
                .key
                .sign(
                    Claims::create(Duration::from_secs(60))
                        .with_issuer(&client.client_id)
                        .with_subject(&client.client_id)
                        .with_audience(&client.issuer),
                )
                .unwrap(),
            vec![],
            "jti",
        ),
        (
            client.key.sign(claims(&client.client_id, &client.issuer, "d")).unwrap(),
            vec![("client_id", "someone-else")],
            "differs",
        ),
        (
            client.key.sign(claims("no-such-client", &client.issuer, "e")).unwrap(),
            vec![],
            "Client authentication failed",
        ),
        ("not-a-jwt".to_owned(), vec![], "not a JWT"),
    ];
    for (assertion, extra, reason) in cases {
        let response = app.token_with_assertion(&client.issuer, &assertion, &extra).await;
        assert_eq!(
            (response.status, response.body["error"].as_str()),
            (401, Some("invalid_client")),
            "{reason}: {}",
            response.text
        );
        assert!(response.body["error_description"].as_str().unwrap().contains(reason), "{reason}: {}", response.text);
    }
    let valid = client.key.sign(claims(&client.client_id, &client.issuer, "f")).unwrap();
    let wrong_type = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", "urn:example:saml"),
        ("client_assertion", valid.as_str()),
    ];
    assert_eq!(app.post_form(&token_endpoint, &wrong_type).await.status, 401);
    let two_methods = app.token_with_assertion(&client.issuer, &valid, &[("client_secret", "x")]).await;
    assert_eq!((two_methods.status, two_methods.body["error"].as_str()), (400, Some("invalid_request")));
    let missing = [("grant_type", "client_credentials"), ("client_assertion_type", ASSERTION_TYPE)];
    assert_eq!(app.post_form(&token_endpoint, &missing).await.status, 400);

    // A client that authenticates with a secret cannot switch to an assertion.
    let seed = app.auth_server_with_client_signing("ES256").await;
    let key = ES256KeyPair::generate().with_key_id("e1");
    let foreign = key.sign(claims(&seed.client_id, &seed.issuer, "g")).unwrap();
    let refused = app.token_with_assertion(&seed.issuer, &foreign, &[]).await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (401, Some("invalid_client")));
}

async fn the_management_api_checks_a_clients_keys(app: TestApp) {
    let client = app.key_client().await;
    let clients = format!("/v1/auth-servers/{}/clients", client.server_id);
    let body = |method: &str, jwks: Value| json!({"name": format!("c-{method}-{}", jwks.to_string().len()), "grant_types": ["client_credentials"], "response_types": [], "token_endpoint_auth_method": method, "jwks": jwks});
    let missing = app.post(&clients, json!({"name": "nokeys", "grant_types": ["client_credentials"], "response_types": [], "token_endpoint_auth_method": "private_key_jwt"})).await;
    assert_eq!((missing.status, missing.rule_for("jwks").as_deref()), (400, Some("required")), "{}", missing.text);
    let mut private = rsa_jwk(&client.key, "p");
    private["d"] = json!("AQAB");
    let refused = app.post(&clients, body("private_key_jwt", json!({"keys": [private]}))).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(refused.invalid_fields(), vec!["jwks.keys[0]"]);
    let not_a_set = app.post(&clients, body("private_key_jwt", json!([rsa_jwk(&client.key, "x")]))).await;
    assert_eq!(not_a_set.status, 400);

    let one = format!("{clients}/{}", client.client_id);
    let cleared = app.patch(&one, json!({"jwks": null})).await;
    assert_eq!(
        cleared.rule_for("jwks").as_deref(),
        Some("required"),
        "a private_key_jwt client keeps keys: {}",
        cleared.text
    );
    let switched = app.patch(&one, json!({"token_endpoint_auth_method": "client_secret_post", "jwks": null, "client_secret": "a-new-secret-for-the-client"})).await;
    assert_eq!((switched.status, switched.body["jwks"].clone()), (200, Value::Null), "{}", switched.text);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client.client_id.as_str()),
        ("client_secret", "a-new-secret-for-the-client"),
    ];
    assert_eq!(
        app.post_form(&format!("{}/oauth/token", client.issuer), &form).await.status,
        200,
        "the secret given when switching back"
    );

    // Kong's import (PUT) needs a secret, except for a client that has keys instead.
    let imported = app.put(&format!("{clients}/imported-signer"), json!({"name": "imported", "grant_types": ["client_credentials"], "response_types": [], "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [rsa_jwk(&client.key, "k1")]}})).await;
    assert_eq!(imported.status, 201, "{}", imported.text);
    let no_secret = app
        .put(
            &format!("{clients}/imported-plain"),
            json!({"name": "plain", "grant_types": ["client_credentials"], "response_types": []}),
        )
        .await;
    assert_eq!(no_secret.rule_for("client_secret").as_deref(), Some("required"), "{}", no_secret.text);

    // A secret client switched to keys loses its secrets, so none can come back later.
    let seed = app.auth_server_with_client_signing("PS256").await;
    let other = format!("/v1/auth-servers/{}/clients/{}", seed.server_id, seed.client_id);
    let to_keys = app
        .patch(
            &other,
            json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [rsa_jwk(&client.key, "k1")]}}),
        )
        .await;
    assert_eq!(to_keys.status, 200, "{}", to_keys.text);
    app.patch(&other, json!({"token_endpoint_auth_method": "client_secret_post", "jwks": null})).await;
    assert_eq!(app.token(&seed, None).await.status, 401, "the old secret stayed deleted");
}

async fn a_portal_registers_a_client_that_signs_with_its_own_key(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let policy = format!("/v1/auth-servers/{}/client-registration", seed.server_id);
    let configured = app.patch(&policy, json!({"enabled": true, "open_registration": true, "allowed_token_endpoint_auth_methods": ["private_key_jwt"], "allowed_scopes": [seed.scope_id]})).await;
    assert_eq!(configured.status, 200, "{}", configured.text);
    let key = ES256KeyPair::generate().with_key_id("e1");
    let registered = app
        .send(app.http.post(str_of(&configured.body, "registration_endpoint")).json(&json!({
            "client_name": "keyed", "token_endpoint_auth_method": "private_key_jwt", "scope": "scope1",
            "jwks": {"keys": [ec_jwk(&key, "e1")]}
        })))
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    assert!(
        registered.body.get("client_secret").is_none() && registered.body.get("client_secret_expires_at").is_none()
    );
    assert_eq!(registered.body["jwks"]["keys"][0]["kid"], "e1");
    let client_id = str_of(&registered.body, "client_id");
    let assertion = key.sign(claims(client_id, &seed.issuer, "r-1")).unwrap();
    let response = app.token_with_assertion(&seed.issuer, &assertion, &[("scope", "scope1")]).await;
    assert_eq!(response.status, 200, "{}", response.text);
    verify_via_discovery(&app, &seed.issuer, str_of(&response.body, "access_token"), "http://myhttpbin.dev").await;

    // The client rolls its key over through RFC 7592: the new key works, the old one stops.
    let next = ES256KeyPair::generate().with_key_id("e2");
    let mut update = registered.body.clone();
    update["jwks"] = json!({"keys": [ec_jwk(&next, "e2")]});
    let rolled = app
        .send(
            app.http
                .put(str_of(&registered.body, "registration_client_uri"))
                .bearer_auth(str_of(&registered.body, "registration_access_token"))
                .json(&update),
        )
        .await;
    assert_eq!(rolled.status, 200, "{}", rolled.text);
    let old = key.sign(claims(client_id, &seed.issuer, "r-2")).unwrap();
    assert_eq!(app.token_with_assertion(&seed.issuer, &old, &[]).await.status, 401);
    let new = next.sign(claims(client_id, &seed.issuer, "r-3")).unwrap();
    assert_eq!(app.token_with_assertion(&seed.issuer, &new, &[]).await.status, 200);
}

backend_tests!(
    a_client_authenticates_with_a_signed_assertion_instead_of_a_secret,
    assertions_that_do_not_prove_the_client_are_refused_as_invalid_client,
    the_management_api_checks_a_clients_keys,
    a_portal_registers_a_client_that_signs_with_its_own_key
);
