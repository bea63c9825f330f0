//! RFC 8707 resource indicators at the token endpoint: a client names the API it wants a token
//! for, gets a token whose `aud` is that API's URI and whose scopes are the ones belonging to
//! it, verified by an independent JOSE library through discovery; requested through the
//! `oauth2` crate as an application would.

use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use serde_json::{Value, json};

use crate::helpers::{Seed, TestApp, backend_tests, jwt_parts, str_of};
use crate::jose::verify_via_discovery;

const LEDGER: &str = "https://ledger.example.com/api";
const PAYMENTS: &str = "urn:acme:payments";

/// Resources of the seed's auth server: the ledger with `ledger:read` (and `scope1`), the
/// payments API with `payments:write`; the seed client may use all three scopes.
pub async fn declare_resources(app: &TestApp, seed: &Seed) -> (Value, Value) {
    let server = &seed.server_id;
    let read = app.create_scope(server, "ledger:read").await;
    let write = app.create_scope(server, "payments:write").await;
    let client = format!("/v1/auth-servers/{server}/clients/{}", seed.client_id);
    let allowed = app.patch(&client, json!({"allow_scopes": [seed.scope_id, read["id"], write["id"]]})).await;
    assert_eq!(allowed.status, 200, "{}", allowed.text);
    let resources = format!("/v1/auth-servers/{server}/resources");
    let ledger = app.post(&resources, json!({"uri": LEDGER, "scopes": [read["id"], seed.scope_id]})).await;
    assert_eq!(ledger.status, 201, "{}", ledger.text);
    let payments = app.post(&resources, json!({"uri": PAYMENTS, "scopes": [write["id"]]})).await;
    assert_eq!(payments.status, 201, "{}", payments.text);
    (ledger.body, payments.body)
}

async fn token_for(app: &TestApp, seed: &Seed, extra: &[(&str, &str)]) -> crate::helpers::TestResponse {
    let mut form =
        vec![("grant_type", "client_credentials"), ("client_id", &seed.client_id), ("client_secret", &seed.secret)];
    form.extend_from_slice(extra);
    app.post_form(&format!("{}/oauth/token", seed.issuer), &form).await
}

async fn a_token_requested_for_a_resource_is_for_that_resource_and_its_scopes_alone(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    declare_resources(&app, &seed).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let client = BasicClient::new(ClientId::new(seed.client_id.clone()))
        .set_client_secret(ClientSecret::new(seed.secret.clone()))
        .set_token_uri(TokenUrl::new(format!("{}/oauth/token", seed.issuer)).unwrap());
    let token = client
        .exchange_client_credentials()
        .add_scopes(["ledger:read", "payments:write"].map(|s| Scope::new(s.into())))
        .add_extra_param("resource", LEDGER)
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let scopes: Vec<String> = token.scopes().unwrap().iter().map(|s| s.to_string()).collect();
    assert_eq!(scopes, ["ledger:read"], "narrowed to the ledger's scopes");
    let verified = verify_via_discovery(&app, &seed.issuer, token.access_token().secret(), LEDGER).await;
    assert!(!verified.audiences.contains("http://myhttpbin.dev"), "the auth server's audience is replaced");
    assert_eq!(verified.custom["scope"], "ledger:read");
    let introspected = app.introspect(&seed, token.access_token().secret()).await;
    assert_eq!(introspected.body["aud"], json!([LEDGER]), "{}", introspected.text);

    // Both resources: both audiences, each resource's scopes.
    let both = token_for(
        &app,
        &seed,
        &[("scope", "ledger:read payments:write scope1"), ("resource", LEDGER), ("resource", PAYMENTS)],
    )
    .await;
    assert_eq!(both.status, 200, "{}", both.text);
    let (_, claims) = jwt_parts(str_of(&both.body, "access_token"));
    assert_eq!(claims["aud"], json!([LEDGER, PAYMENTS]));
    assert_eq!(claims["scope"], "ledger:read payments:write scope1");

    // No resource: Kong's token, for the auth server's audience and every scope asked for.
    let plain = token_for(&app, &seed, &[("scope", "ledger:read payments:write")]).await;
    let (_, claims) = jwt_parts(str_of(&plain.body, "access_token"));
    assert_eq!(
        (claims["aud"].clone(), claims["scope"].clone()),
        (json!(["http://myhttpbin.dev"]), json!("ledger:read payments:write"))
    );
}

async fn a_resource_the_auth_server_does_not_declare_is_an_invalid_target(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    declare_resources(&app, &seed).await;
    let too_many: Vec<(&str, &str)> = std::iter::repeat_n(("resource", LEDGER), 21).collect();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("resource", "https://elsewhere.example.com")], "not known to this auth server"),
        (vec![("resource", LEDGER), ("resource", "https://elsewhere.example.com")], "not known"),
        (vec![("resource", "ledger")], "absolute URI"),
        (vec![("resource", "https://ledger.example.com/api#frag")], "absolute URI"),
        (too_many, "at most 20"),
    ];
    for (extra, reason) in cases {
        let refused = token_for(&app, &seed, &extra).await;
        assert_eq!(
            (refused.status, str_of(&refused.body, "error")),
            (400, "invalid_target"),
            "{reason}: {}",
            refused.text
        );
        assert!(str_of(&refused.body, "error_description").contains(reason), "{reason}: {}", refused.text);
    }
    // A repeated parameter that may not repeat is still refused.
    let repeated = token_for(&app, &seed, &[("scope", "scope1"), ("scope", "scope1")]).await;
    assert_eq!(str_of(&repeated.body, "error"), "invalid_request");
}

async fn deleting_a_resource_makes_it_an_invalid_target_at_once(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let (ledger, _) = declare_resources(&app, &seed).await;
    assert_eq!(token_for(&app, &seed, &[("resource", LEDGER)]).await.status, 200);
    let path = format!("/v1/auth-servers/{}/resources/{}", seed.server_id, str_of(&ledger, "id"));
    assert_eq!(app.delete(&path).await.status, 204);
    let refused = token_for(&app, &seed, &[("resource", LEDGER)]).await;
    assert_eq!(str_of(&refused.body, "error"), "invalid_target", "{}", refused.text);
}

backend_tests!(
    a_token_requested_for_a_resource_is_for_that_resource_and_its_scopes_alone,
    a_resource_the_auth_server_does_not_declare_is_an_invalid_target,
    deleting_a_resource_makes_it_an_invalid_target_at_once
);
