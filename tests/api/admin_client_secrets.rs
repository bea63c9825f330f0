use futures::future::join_all;
use serde_json::json;

use crate::helpers::{TestApp, backend_tests, str_of};

async fn client_path(app: &TestApp) -> (String, String) {
    let server = app.create_auth_server("s").await;
    let client = app.create_client(str_of(&server, "id"), "c", &[]).await;
    let path = format!("/v1/auth-servers/{}/clients/{}", str_of(&server, "id"), str_of(&client, "id"));
    (path, str_of(&client, "client_secret").to_owned())
}

async fn secrets_rotate_without_downtime_and_at_most_two_are_enabled(app: TestApp) {
    let (client, first_secret) = client_path(&app).await;
    let secrets = format!("{client}/secrets");
    let listed = app.get(&secrets).await;
    assert_eq!(listed.body["meta"]["page"]["total"], 1);
    let first_id = str_of(&listed.body["data"][0], "id").to_owned();
    assert!(!listed.text.contains(&first_secret));

    let second = app.post(&secrets, json!({})).await;
    assert_eq!(second.status, 201, "{}", second.text);
    let second_secret = str_of(&second.body, "secret").to_owned();
    assert_eq!(second_secret.len(), 32);
    assert_eq!(second.body["enabled"], true);

    let third = app.post(&secrets, json!({"enabled": true})).await;
    assert_eq!(third.status, 403, "{}", third.text);
    let parked = app.post(&secrets, json!({"enabled": false, "secret": "imported-secret-value"})).await;
    assert_eq!(parked.status, 201);
    assert_eq!(parked.body["secret"], "imported-secret-value");
    let parked_path = format!("{secrets}/{}", str_of(&parked.body, "id"));
    assert_eq!(app.patch(&parked_path, json!({"enabled": true})).await.status, 403);

    let disabled = app.patch(&format!("{secrets}/{first_id}"), json!({"enabled": false})).await;
    assert_eq!((disabled.status, &disabled.body["enabled"]), (200, &json!(false)));
    assert!(disabled.body.get("secret").is_none());
    assert_eq!(app.patch(&parked_path, json!({"enabled": true})).await.status, 200);

    let enabled_only = app.get(&format!("{secrets}?filter[enabled]=true")).await;
    assert_eq!(enabled_only.body["meta"]["page"]["total"], 2);
    let disabled_only = app.get(&format!("{secrets}?filter[enabled]=false")).await;
    assert_eq!(str_of(&disabled_only.body["data"][0], "id"), first_id);

    assert_eq!(app.delete(&format!("{secrets}/{first_id}")).await.status, 204);
    assert_eq!(app.get(&format!("{secrets}/{first_id}")).await.status, 404);
    assert_eq!(app.delete(&format!("{secrets}/{first_id}")).await.status, 404);
    let all = app.get(&secrets).await;
    assert_eq!(all.body["meta"]["page"]["total"], 2);
    for secret in [&first_secret, &second_secret, "imported-secret-value"] {
        assert!(!all.text.contains(secret));
    }
}

async fn concurrent_secret_creation_never_exceeds_two_enabled(app: TestApp) {
    let (client, _) = client_path(&app).await;
    let secrets = format!("{client}/secrets");
    let responses = join_all((0..5).map(|_| app.post(&secrets, json!({})))).await;
    let created = responses.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "one more enabled secret fits beside the first");
    assert!(responses.iter().all(|r| r.status == 201 || r.status == 403));
    assert_eq!(app.get(&format!("{secrets}?filter[enabled]=true")).await.body["meta"]["page"]["total"], 2);
}

async fn secret_requests_are_validated(app: TestApp) {
    let (client, _) = client_path(&app).await;
    let secrets = format!("{client}/secrets");
    assert_eq!(app.post(&secrets, json!({"secret": ""})).await.rule_for("secret").as_deref(), Some("min_length"));
    assert_eq!(app.post(&secrets, json!({"secret": 12})).await.rule_for("secret").as_deref(), Some("is_string"));
    assert_eq!(app.post(&secrets, json!({"value": "x"})).await.rule_for("value").as_deref(), Some("unknown_property"));
    let listed = app.get(&secrets).await;
    let id = str_of(&listed.body["data"][0], "id").to_owned();
    assert_eq!(
        app.patch(&format!("{secrets}/{id}"), json!({"enabled": "yes"})).await.rule_for("enabled").as_deref(),
        Some("is_boolean")
    );
    assert_eq!(app.patch(&format!("{secrets}/{id}"), json!({"secret": "x", "enabled": true})).await.status, 400);
    assert_eq!(app.get(&format!("{secrets}/not-a-uuid")).await.rule_for("clientSecretId").as_deref(), Some("is_uuid"));
    assert_eq!(app.get(&format!("{secrets}/0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11")).await.status, 404);
    assert_eq!(app.get(&format!("{secrets}?filter[enabled]=maybe")).await.status, 400);
}

async fn secrets_of_unknown_clients_are_404(app: TestApp) {
    let server = app.create_auth_server("s").await;
    let path = format!("/v1/auth-servers/{}/clients/nobody/secrets", str_of(&server, "id"));
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.post(&path, json!({})).await.status, 404);
}

/// `enabled` is optional in Kong's spec: a PATCH without it changes nothing.
async fn patching_a_secret_without_enabled_answers_it_unchanged(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let secrets = format!("/v1/auth-servers/{}/clients/{}/secrets", seed.server_id, seed.client_id);
    let before = app.get(&secrets).await.body["data"][0].clone();
    let path = format!("{secrets}/{}", str_of(&before, "id"));

    let patched = app.patch(&path, json!({})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body, before, "the secret as it was, updated_at included, without its value");
    assert_eq!(app.get(&path).await.body, before);
    assert_eq!(app.token(&seed, Some("scope1")).await.status, 200, "the secret still authenticates");

    let disabled = app.patch(&path, json!({"enabled": false})).await.body;
    assert_eq!(app.patch(&path, json!({})).await.body, disabled, "a disabled secret stays disabled");
    assert_eq!(app.token(&seed, Some("scope1")).await.status, 401);

    let unknown = format!("{secrets}/0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11");
    assert_eq!(app.patch(&unknown, json!({})).await.status, 404);
    assert_eq!(app.patch(&path, json!({"enabled": null})).await.rule_for("enabled").as_deref(), Some("is_boolean"));
    assert_eq!(app.patch(&path, json!({"secret": "x"})).await.rule_for("secret").as_deref(), Some("unknown_property"));
}

backend_tests!(
    secrets_rotate_without_downtime_and_at_most_two_are_enabled,
    concurrent_secret_creation_never_exceeds_two_enabled,
    secret_requests_are_validated,
    secrets_of_unknown_clients_are_404,
    patching_a_secret_without_enabled_answers_it_unchanged
);
