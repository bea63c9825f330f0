use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use serde_json::json;

use crate::helpers::{TestApp, backend_tests, jwt_parts, str_of};
use crate::jose::verify_via_discovery;

async fn a_client_credentials_token_has_the_shape_kongs_tutorial_shows(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let response = app.token(&seed, Some("scope1")).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("pragma"), Some("no-cache"));
    assert_eq!(
        (&response.body["token_type"], &response.body["expires_in"], &response.body["scope"]),
        (&json!("Bearer"), &json!(3600), &json!("scope1"))
    );
    let (header, payload) = jwt_parts(str_of(&response.body, "access_token"));
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["alg"], "RS256");
    assert!(header["kid"].is_string());
    assert_eq!(payload["aud"], json!(["http://myhttpbin.dev"]));
    assert_eq!(payload["claim1"], "claim1");
    assert_eq!(payload["client_id"], seed.client_id);
    assert_eq!(payload["sub"], seed.client_id);
    assert_eq!(payload["iss"], seed.issuer);
    assert_eq!(payload["scope"], "scope1");
    let iat = payload["iat"].as_i64().unwrap();
    assert_eq!(payload["nbf"].as_i64(), Some(iat));
    assert_eq!(payload["exp"].as_i64(), Some(iat + 3600));
    assert!((iat - chrono::Utc::now().timestamp()).abs() < 5);
    assert_eq!(uuid::Uuid::parse_str(str_of(&payload, "jti")).map(|u| u.get_version_num()), Ok(4));
    let mut names: Vec<&String> = payload.as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, ["aud", "claim1", "client_id", "exp", "iat", "iss", "jti", "nbf", "scope", "sub"]);
}

async fn the_oauth2_crate_gets_tokens_that_verify_through_discovery(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for auth_type in [AuthType::BasicAuth, AuthType::RequestBody] {
        let client = BasicClient::new(ClientId::new(seed.client_id.clone()))
            .set_client_secret(ClientSecret::new(seed.secret.clone()))
            .set_token_uri(TokenUrl::new(format!("{}/oauth/token", seed.issuer)).unwrap())
            .set_auth_type(auth_type.clone());
        let token = client
            .exchange_client_credentials()
            .add_scope(Scope::new("scope1".into()))
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("{auth_type:?}: {e:?}"));
        assert_eq!(token.scopes().map(|s| s.len()), Some(1));
        let verified =
            verify_via_discovery(&app, &seed.issuer, token.access_token().secret(), "http://myhttpbin.dev").await;
        assert_eq!(verified.subject, seed.client_id);
        assert_eq!(verified.custom["claim1"], "claim1");
        assert_eq!(verified.custom["scope"], "scope1");
        assert!(uuid::Uuid::parse_str(&verified.jwt_id).is_ok());
    }
}

async fn every_signing_algorithm_yields_tokens_a_jose_library_verifies(app: TestApp) {
    for algorithm in ["PS256", "ES256", "EdDSA"] {
        let seed = app.auth_server_with_client_signing(algorithm).await;
        let token = app.access_token(&seed).await;
        assert_eq!(jwt_parts(&token).0["alg"], algorithm);
        let verified = verify_via_discovery(&app, &seed.issuer, &token, "http://myhttpbin.dev").await;
        assert_eq!(verified.issuer, seed.issuer);
        assert!(verified.audiences.contains("http://myhttpbin.dev"));
        assert_eq!(app.introspect(&seed, &token).await.body["active"], true, "{algorithm}");
    }
}

async fn without_a_scope_the_client_gets_its_allowed_default_scopes(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let server = &seed.server_id;
    let default_allowed =
        app.post(&format!("/v1/auth-servers/{server}/scopes"), json!({"name": "read", "default": true})).await.body;
    app.post(&format!("/v1/auth-servers/{server}/scopes"), json!({"name": "not-allowed", "default": true})).await;
    app.post(
        &format!("/v1/auth-servers/{server}/scopes"),
        json!({"name": "disabled", "default": true, "enabled": false}),
    )
    .await;
    app.create_claim(server, json!({"name": "unscoped_only", "value": "yes", "include_in_token": true})).await;
    let patch = app
        .patch(
            &format!("/v1/auth-servers/{server}/clients/{}", seed.client_id),
            json!({"allow_scopes": [seed.scope_id, default_allowed["id"]]}),
        )
        .await;
    assert_eq!(patch.status, 200);

    let unscoped = app.token(&seed, None).await;
    assert_eq!(unscoped.body["scope"], "read", "{}", unscoped.text);
    let payload = jwt_parts(str_of(&unscoped.body, "access_token")).1;
    assert_eq!(payload["scope"], "read");
    assert_eq!(payload["unscoped_only"], "yes", "a claim without scopes goes in only when no scope was requested");
    assert!(payload.get("claim1").is_none());
    let scoped = jwt_parts(&app.access_token(&seed).await).1;
    assert!(scoped.get("unscoped_only").is_none());
}

async fn custom_claims_follow_their_settings_and_json_types(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let server = &seed.server_id;
    for (name, value, extra) in [
        ("number", "42", json!({})),
        ("object", "{\"tier\": \"gold\", \"limits\": [1, 2]}", json!({})),
        ("flag", "true", json!({})),
        ("text", "plain words", json!({})),
        ("userinfo_only", "x", json!({"include_in_token": false})),
        ("disabled", "x", json!({"enabled": false})),
    ] {
        let mut body = json!({"name": name, "value": value, "include_in_token": true, "include_in_all_scopes": true});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        app.create_claim(server, body).await;
    }
    let payload = jwt_parts(&app.access_token(&seed).await).1;
    assert_eq!(payload["number"], json!(42));
    assert_eq!(payload["object"], json!({"tier": "gold", "limits": [1, 2]}));
    assert_eq!(payload["flag"], json!(true));
    assert_eq!(payload["text"], json!("plain words"));
    assert!(payload.get("userinfo_only").is_none() && payload.get("disabled").is_none());
    for reserved in ["sub", "iss", "exp", "scope", "client_id"] {
        let response =
            app.post(&format!("/v1/auth-servers/{server}/claims"), json!({"name": reserved, "value": "x"})).await;
        assert_eq!(response.rule_for("name").as_deref(), Some("invalid"), "{reserved}");
    }
}

async fn scope_requests_are_checked_against_the_client_and_the_server(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let server = &seed.server_id;
    app.post(&format!("/v1/auth-servers/{server}/scopes"), json!({"name": "other"})).await;
    let disabled =
        app.post(&format!("/v1/auth-servers/{server}/scopes"), json!({"name": "off", "enabled": false})).await.body;
    app.patch(
        &format!("/v1/auth-servers/{server}/clients/{}", seed.client_id),
        json!({"allow_scopes": [seed.scope_id, disabled["id"]]}),
    )
    .await;
    for scope in ["unknown", "other", "off", "scope1 other"] {
        let response = app.token(&seed, Some(scope)).await;
        assert_eq!((response.status, &response.body["error"]), (400, &json!("invalid_scope")), "{scope}");
    }
    let repeated = app.token(&seed, Some("scope1  scope1")).await;
    assert_eq!(repeated.body["scope"], "scope1");
    app.patch(&format!("/v1/auth-servers/{server}/clients/{}", seed.client_id), json!({"allow_all_scopes": true}))
        .await;
    assert_eq!(app.token(&seed, Some("scope1 other")).await.body["scope"], "scope1 other");
}

async fn client_authentication_failures_are_invalid_client(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let token_url = format!("{}/oauth/token", seed.issuer);
    let wrong = app
        .post_form(
            &token_url,
            &[("grant_type", "client_credentials"), ("client_id", &seed.client_id), ("client_secret", "wrong")],
        )
        .await;
    assert_eq!((wrong.status, &wrong.body["error"]), (401, &json!("invalid_client")));
    assert!(wrong.header("www-authenticate").is_none());
    let unknown = app
        .post_form(&token_url, &[("grant_type", "client_credentials"), ("client_id", "nobody"), ("client_secret", "x")])
        .await;
    assert_eq!(unknown.status, 401);
    let missing = app.post_form(&token_url, &[("grant_type", "client_credentials")]).await;
    assert_eq!(missing.status, 401);
    let basic = app
        .send(
            app.http
                .post(&token_url)
                .basic_auth(&seed.client_id, Some("wrong"))
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
    assert_eq!(basic.status, 401);
    assert_eq!(basic.header("www-authenticate"), Some("Basic realm=\"tessera\""));
    let good_basic = app
        .send(
            app.http
                .post(&token_url)
                .basic_auth(&seed.client_id, Some(&seed.secret))
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
    assert_eq!(good_basic.status, 200);
    // The same wrong secret twice is still wrong (no caching of failures as successes).
    let again = app
        .post_form(
            &token_url,
            &[("grant_type", "client_credentials"), ("client_id", &seed.client_id), ("client_secret", "wrong")],
        )
        .await;
    assert_eq!(again.status, 401);
}

async fn malformed_token_requests_are_invalid_request(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let url = format!("{}/oauth/token", seed.issuer);
    let no_grant = app.post_form(&url, &[("client_id", &seed.client_id), ("client_secret", &seed.secret)]).await;
    assert_eq!((no_grant.status, &no_grant.body["error"]), (400, &json!("invalid_request")));
    let twice = format!(
        "grant_type=client_credentials&scope=scope1&scope=scope1&client_id={}&client_secret={}",
        seed.client_id, seed.secret
    );
    let repeated =
        app.send(app.http.post(&url).header("content-type", "application/x-www-form-urlencoded").body(twice)).await;
    assert_eq!(repeated.body["error"], "invalid_request");
    let as_json = app.send(app.http.post(&url).json(&json!({"grant_type": "client_credentials"}))).await;
    assert_eq!((as_json.status, &as_json.body["error"]), (400, &json!("invalid_request")));
    let both = app
        .send(app.http.post(&url).basic_auth(&seed.client_id, Some(&seed.secret)).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &seed.client_id),
            ("client_secret", &seed.secret),
        ]))
        .await;
    assert_eq!(both.body["error"], "invalid_request");
    let huge = app
        .send(
            app.http
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(vec![b'a'; 300 * 1024]),
        )
        .await;
    assert_eq!((huge.status, huge.body["error"].as_str()), (400, Some("invalid_request")), "{}", huge.text);
    assert_eq!(huge.header("cache-control"), Some("no-store"));
}

/// RFC 6749 §5.2: a body over the limit is refused in each endpoint's own JSON format, not as
/// the HTTP layer's plain text.
async fn oversized_bodies_get_each_endpoints_own_json_error(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    for endpoint in ["/oauth/token", "/introspect", "/oauth/revoke", "/oauth/register"] {
        let huge = app
            .send(
                app.http
                    .post(format!("{}{endpoint}", seed.issuer))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(vec![b'a'; 300 * 1024]),
            )
            .await;
        assert_eq!(
            (huge.status, huge.body["error"].as_str()),
            (400, Some("invalid_request")),
            "{endpoint}: {}",
            huge.text
        );
        assert!(huge.body["error_description"].as_str().unwrap().contains("larger than 262144 bytes"), "{endpoint}");
        assert_eq!(huge.header("cache-control"), Some("no-store"), "{endpoint}");
        assert!(huge.header("content-type").unwrap().starts_with("application/json"), "{endpoint}");
    }
}

async fn grant_types_are_checked(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let url = format!("{}/oauth/token", seed.issuer);
    let password = app
        .post_form(&url, &[("grant_type", "password"), ("client_id", &seed.client_id), ("client_secret", &seed.secret)])
        .await;
    assert_eq!((password.status, &password.body["error"]), (400, &json!("unsupported_grant_type")));
    let implicit_only = app
        .post(
            &format!("/v1/auth-servers/{}/clients", seed.server_id),
            json!({"name": "spa", "grant_types": ["implicit"], "response_types": ["token"]}),
        )
        .await
        .body;
    let refused = app
        .post_form(
            &url,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", str_of(&implicit_only, "id")),
                ("client_secret", str_of(&implicit_only, "client_secret")),
            ],
        )
        .await;
    assert_eq!((refused.status, &refused.body["error"]), (400, &json!("unauthorized_client")));
}

async fn secret_rotation_and_disabling_take_effect_for_the_next_request(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    assert_eq!(app.token(&seed, None).await.status, 200);
    let secrets = format!("/v1/auth-servers/{}/clients/{}/secrets", seed.server_id, seed.client_id);
    let first_id = str_of(&app.get(&secrets).await.body["data"][0], "id").to_owned();
    let second = app.post(&secrets, json!({})).await.body;
    let with_second = crate::helpers::Seed { secret: str_of(&second, "secret").to_owned(), ..seed.clone() };
    assert_eq!(app.token(&with_second, None).await.status, 200, "both secrets work during rotation");
    assert_eq!(app.token(&seed, None).await.status, 200);
    assert_eq!(app.patch(&format!("{secrets}/{first_id}"), json!({"enabled": false})).await.status, 200);
    assert_eq!(
        app.token(&seed, None).await.status,
        401,
        "a disabled secret no longer authenticates, even after it was cached"
    );
    assert_eq!(app.token(&with_second, None).await.status, 200);
    assert_eq!(
        app.delete(&format!("/v1/auth-servers/{}/clients/{}", seed.server_id, seed.client_id)).await.status,
        204
    );
    assert_eq!(app.token(&with_second, None).await.status, 401, "a deleted client is gone");
}

async fn changing_the_signing_algorithm_applies_to_the_next_token(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let before = app.access_token(&seed).await;
    let patched =
        app.patch(&format!("/v1/auth-servers/{}", seed.server_id), json!({"signing_algorithm": "ES256"})).await;
    assert_eq!(patched.body["signing_algorithm"], "ES256");
    let after = app.access_token(&seed).await;
    assert_eq!(jwt_parts(&after).0["alg"], "ES256");
    assert_ne!(jwt_parts(&after).0["kid"], jwt_parts(&before).0["kid"]);
    verify_via_discovery(&app, &seed.issuer, &before, "http://myhttpbin.dev").await;
    verify_via_discovery(&app, &seed.issuer, &after, "http://myhttpbin.dev").await;
    assert_eq!(app.introspect(&seed, &before).await.body["active"], true, "old tokens stay valid");
}

backend_tests!(
    oversized_bodies_get_each_endpoints_own_json_error,
    a_client_credentials_token_has_the_shape_kongs_tutorial_shows,
    the_oauth2_crate_gets_tokens_that_verify_through_discovery,
    every_signing_algorithm_yields_tokens_a_jose_library_verifies,
    without_a_scope_the_client_gets_its_allowed_default_scopes,
    custom_claims_follow_their_settings_and_json_types,
    scope_requests_are_checked_against_the_client_and_the_server,
    client_authentication_failures_are_invalid_client,
    malformed_token_requests_are_invalid_request,
    grant_types_are_checked,
    secret_rotation_and_disabling_take_effect_for_the_next_request,
    changing_the_signing_algorithm_applies_to_the_next_token
);
