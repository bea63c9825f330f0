use serde_json::json;

use crate::helpers::{TestApp, backend_tests, jwt_parts, str_of};

async fn issued_tokens_are_listed_and_revocable_through_the_management_api(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let first = app.access_token(&seed).await;
    let second = app.access_token(&seed).await;
    let tokens = format!("/v1/auth-servers/{}/clients/{}/tokens", seed.server_id, seed.client_id);
    let listed = app.get(&format!("{tokens}?sort=created_at")).await;
    assert_eq!(listed.body["meta"]["page"]["total"], 2, "{}", listed.text);
    let record = &listed.body["data"][0];
    let payload = jwt_parts(&first).1;
    assert_eq!(record["id"], payload["jti"]);
    assert_eq!(record["granted_scope_names"], json!(["scope1"]));
    let expires = chrono::DateTime::parse_from_rfc3339(str_of(record, "expires_at")).unwrap();
    assert_eq!(expires.timestamp(), payload["exp"].as_i64().unwrap());

    let one = format!("{tokens}/{}", str_of(record, "id"));
    assert_eq!(app.get(&one).await.body, *record);
    assert_eq!(app.delete(&one).await.status, 204);
    assert_eq!(app.get(&one).await.status, 404);
    assert_eq!(app.delete(&one).await.status, 404);
    assert_eq!(app.introspect(&seed, &first).await.body["active"], false);
    assert_eq!(app.introspect(&seed, &second).await.body["active"], true);

    let third = app.access_token(&seed).await;
    assert_eq!(app.delete(&tokens).await.status, 204);
    assert_eq!(app.get(&tokens).await.body["meta"]["page"]["total"], 0);
    for token in [&second, &third] {
        assert_eq!(app.introspect(&seed, token).await.body["active"], false);
    }
    assert!(!app.access_token(&seed).await.is_empty(), "the client can get new tokens");
}

async fn token_endpoints_validate_their_paths(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let tokens = format!("/v1/auth-servers/{}/clients/{}/tokens", seed.server_id, seed.client_id);
    assert_eq!(app.get(&format!("{tokens}/not-a-uuid")).await.rule_for("tokenId").as_deref(), Some("is_uuid"));
    assert_eq!(app.get(&format!("/v1/auth-servers/{}/clients/nobody/tokens", seed.server_id)).await.status, 404);
    assert_eq!(app.get(&format!("{tokens}?sort=name")).await.status, 400);
    app.access_token(&seed).await;
    let newest = app.get(&format!("{tokens}?sort=expires_at%20desc&page[size]=1")).await;
    assert_eq!(newest.body["data"].as_array().unwrap().len(), 1);
}

backend_tests!(issued_tokens_are_listed_and_revocable_through_the_management_api, token_endpoints_validate_their_paths);

async fn deleting_a_client_deletes_its_token_records(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let client = format!("/v1/auth-servers/{}/clients/imported-1", seed.server_id);
    let body = json!({"name": "imported", "client_secret": "imported-secret", "grant_types": ["client_credentials"], "response_types": ["token"]});
    assert_eq!(app.put(&client, body.clone()).await.status, 201);
    let imported =
        crate::helpers::Seed { client_id: "imported-1".into(), secret: "imported-secret".into(), ..seed.clone() };
    assert_eq!(app.token(&imported, None).await.status, 200);
    assert_eq!(app.get(&format!("{client}/tokens")).await.body["meta"]["page"]["total"], 1);
    assert_eq!(app.delete(&client).await.status, 204);
    assert_eq!(app.put(&client, body).await.status, 201);
    assert_eq!(
        app.get(&format!("{client}/tokens")).await.body["meta"]["page"]["total"],
        0,
        "no records survive their client"
    );
}

backend_tests!(deleting_a_client_deletes_its_token_records);
