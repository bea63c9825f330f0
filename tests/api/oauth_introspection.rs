use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::helpers::{TestApp, backend_tests, jwt_parts, str_of};

/// A token with the given header and the payload of `token`, signature kept: forgeries.
fn with_header(token: &str, header: serde_json::Value) -> String {
    let mut parts = token.split('.');
    let _ = parts.next();
    let payload = parts.next().unwrap();
    let signature = parts.next().unwrap();
    format!("{}.{payload}.{signature}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

async fn introspection_describes_an_active_token(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let token = app.access_token(&seed).await;
    let response = app.introspect(&seed, &token).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = &response.body;
    let payload = jwt_parts(&token).1;
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "Bearer");
    for claim in ["scope", "client_id", "sub", "aud", "iss", "exp", "iat", "nbf", "jti"] {
        assert_eq!(body[claim], payload[claim], "{claim}");
    }
    let by_post = app
        .post_form(
            &format!("{}/introspect", seed.issuer),
            &[("token", &token), ("client_id", &seed.client_id), ("client_secret", &seed.secret)],
        )
        .await;
    assert_eq!(by_post.body["active"], true);
}

async fn introspection_needs_an_authenticated_client_of_the_same_auth_server(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let other = app.auth_server_with_client_signing("ES256").await;
    let token = app.access_token(&seed).await;
    let anonymous = app.post_form(&format!("{}/introspect", seed.issuer), &[("token", &token)]).await;
    assert_eq!((anonymous.status, &anonymous.body["error"]), (401, &json!("invalid_client")));
    let foreign_client = app
        .send(
            app.http
                .post(format!("{}/introspect", seed.issuer))
                .basic_auth(&other.client_id, Some(&other.secret))
                .form(&[("token", &token)]),
        )
        .await;
    assert_eq!(foreign_client.status, 401);
    let missing_token = app
        .send(
            app.http
                .post(format!("{}/introspect", seed.issuer))
                .basic_auth(&seed.client_id, Some(&seed.secret))
                .form(&[("x", "y")]),
        )
        .await;
    assert_eq!(missing_token.body["error"], "invalid_request");
}

async fn forged_malformed_and_foreign_tokens_are_inactive(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let other = app.auth_server_with_client_signing("ES256").await;
    let token = app.access_token(&seed).await;
    let (header, payload) = jwt_parts(&token);
    let foreign = app.access_token(&other).await;

    let mut tampered_payload = payload.clone();
    tampered_payload["scope"] = json!("admin");
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(tampered_payload.to_string()), parts[2]);
    let alg_none =
        format!("{}.{}.", URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string()), parts[1]);
    let unknown_kid = with_header(&token, json!({"alg": "RS256", "typ": "JWT", "kid": "not-a-key"}));
    // HS256 "signed" with the public key as the HMAC secret: the classic algorithm confusion.
    let jwks = app.send(app.http.get(format!("{}/.well-known/jwks", seed.issuer))).await.body;
    let public = jwks["keys"][0]["n"].as_str().unwrap().to_owned();
    let hs_header = json!({"alg": "HS256", "typ": "JWT", "kid": header["kid"]});
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(hs_header.to_string()), parts[1]);
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, public.as_bytes());
    let hs256 = format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(aws_lc_rs::hmac::sign(&key, signing_input.as_bytes()).as_ref())
    );

    for (what, candidate) in [
        ("garbage", "not a token".to_owned()),
        ("tampered payload", tampered),
        ("alg none", alg_none),
        ("unknown kid", unknown_kid),
        ("HS256 with the public key", hs256),
        ("another issuer's token", foreign),
        ("truncated", token[..token.len() - 10].to_owned()),
    ] {
        let response = app.introspect(&seed, &candidate).await;
        assert_eq!((response.status, &response.body), (200, &json!({"active": false})), "{what}");
    }
}

async fn revoked_tokens_are_inactive_everywhere_they_are_asked(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let own = app.access_token(&seed).await;
    let revoke_url = format!("{}/oauth/revoke", seed.issuer);
    let response = app
        .send(
            app.http
                .post(&revoke_url)
                .basic_auth(&seed.client_id, Some(&seed.secret))
                .form(&[("token", own.as_str()), ("token_type_hint", "access_token")]),
        )
        .await;
    assert_eq!((response.status, response.text.as_str()), (200, ""));
    assert_eq!(app.introspect(&seed, &own).await.body["active"], false);
    let again = app
        .send(app.http.post(&revoke_url).basic_auth(&seed.client_id, Some(&seed.secret)).form(&[("token", &own)]))
        .await;
    assert_eq!(again.status, 200, "revoking twice is fine");
    let garbage = app
        .send(app.http.post(&revoke_url).basic_auth(&seed.client_id, Some(&seed.secret)).form(&[("token", "garbage")]))
        .await;
    assert_eq!(garbage.status, 200, "RFC 7009 §2.2: invalid tokens are not an error");

    let other_client = app.create_client(&seed.server_id, "other", &[&seed.scope_id]).await;
    let theirs = app
        .post_form(
            &format!("{}/oauth/token", seed.issuer),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", str_of(&other_client, "id")),
                ("client_secret", str_of(&other_client, "client_secret")),
            ],
        )
        .await;
    let theirs = str_of(&theirs.body, "access_token").to_owned();
    let refused = app
        .send(app.http.post(&revoke_url).basic_auth(&seed.client_id, Some(&seed.secret)).form(&[("token", &theirs)]))
        .await;
    assert_eq!((refused.status, &refused.body["error"]), (400, &json!("unauthorized_client")));
    let gateway = app.gateway(&seed).await;
    assert_eq!(app.introspect(&gateway, &theirs).await.body["active"], true, "the refused revocation changed nothing");
}

async fn tokens_of_a_deleted_client_are_inactive(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let token = app.access_token(&seed).await;
    let gateway = app.gateway(&seed).await;
    assert_eq!(app.introspect(&gateway, &token).await.body["active"], true);
    app.delete(&format!("/v1/auth-servers/{}/clients/{}", seed.server_id, seed.client_id)).await;
    assert_eq!(app.introspect(&gateway, &token).await.body, json!({"active": false}));
}

async fn rotated_keys_keep_old_tokens_valid_while_new_ones_use_the_new_key(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let before = app.access_token(&seed).await;
    let rotated =
        app.post(&format!("/v1/auth-servers/{}/keys/rotate", seed.server_id), json!({"mode": "emergency"})).await;
    assert_eq!(rotated.status, 201, "{}", rotated.text);
    assert_eq!(rotated.body["active"], true);
    let after = app.access_token(&seed).await;
    assert_eq!(jwt_parts(&after).0["kid"], rotated.body["kid"]);
    assert_ne!(jwt_parts(&before).0["kid"], rotated.body["kid"]);
    let keys = app.get(&format!("/v1/auth-servers/{}/keys", seed.server_id)).await;
    let listed = keys.body["data"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed.iter().filter(|k| k["active"] == true).count(), 1);
    assert!(!keys.text.contains("\"d\""), "no private key material");
    let jwks = app.send(app.http.get(format!("{}/.well-known/jwks", seed.issuer))).await.body;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(app.introspect(&seed, &before).await.body["active"], true);
    assert_eq!(app.introspect(&seed, &after).await.body["active"], true);
    crate::jose::verify_via_discovery(&app, &seed.issuer, &before, "http://myhttpbin.dev").await;
    assert_eq!(
        app.post("/v1/auth-servers/0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11/keys/rotate", json!({})).await.status,
        404
    );
}

backend_tests!(
    introspection_describes_an_active_token,
    introspection_needs_an_authenticated_client_of_the_same_auth_server,
    forged_malformed_and_foreign_tokens_are_inactive,
    revoked_tokens_are_inactive_everywhere_they_are_asked,
    tokens_of_a_deleted_client_are_inactive,
    rotated_keys_keep_old_tokens_valid_while_new_ones_use_the_new_key
);

async fn a_client_deleted_and_imported_again_does_not_revive_its_old_tokens(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let path = format!("/v1/auth-servers/{}/clients/reused-id", seed.server_id);
    let body = json!({"name": "reused", "client_secret": "reused-secret", "grant_types": ["client_credentials"], "response_types": ["token"]});
    assert_eq!(app.put(&path, body.clone()).await.status, 201);
    let reused = crate::helpers::Seed { client_id: "reused-id".into(), secret: "reused-secret".into(), ..seed.clone() };
    let old = str_of(&app.token(&reused, None).await.body, "access_token").to_owned();
    assert_eq!(app.delete(&path).await.status, 204);
    assert_eq!(app.put(&path, body).await.status, 201);
    let gateway = app.gateway(&seed).await;
    assert_eq!(app.introspect(&gateway, &old).await.body["active"], false);
    let fresh = str_of(&app.token(&reused, None).await.body, "access_token").to_owned();
    assert_eq!(app.introspect(&gateway, &fresh).await.body["active"], true);
}

backend_tests!(a_client_deleted_and_imported_again_does_not_revive_its_old_tokens);
