use futures::future::join_all;
use serde_json::{Value, json};
use tessera::domain::ClientId;
use tessera::domain::secret::ClientSecret;
use tessera::store::{ConnectOptions, Store};

use crate::helpers::{TestApp, backend_tests, client_body, str_of};

/// The stored secret hashes of a client, read directly from the database.
async fn stored_hashes(app: &TestApp, auth_server: &str, client: &str) -> Vec<String> {
    let store = Store::connect(&ConnectOptions {
        url: app.database_url.clone(),
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(5),
    })
    .unwrap();
    let hashes = tessera::store::client_secrets::enabled_hashes(
        &store,
        auth_server.parse().unwrap(),
        &ClientId::parse(client).unwrap(),
    )
    .await
    .unwrap();
    store.close().await;
    hashes
}

fn verifies(secret: &str, hashes: &[String]) -> bool {
    let secret = ClientSecret::parse(secret.to_owned()).unwrap();
    let mut memory = tessera::domain::secret::Argon2Memory::default();
    hashes.iter().any(|hash| secret.verify_with(hash, &mut memory))
}

async fn auth_server_with_scope(app: &TestApp) -> (String, String) {
    let server = app.create_auth_server("s").await;
    let id = str_of(&server, "id").to_owned();
    let scope = app.create_scope(&id, "scope1").await;
    (id, str_of(&scope, "id").to_owned())
}

async fn creating_a_client_returns_its_secret_once(app: TestApp) {
    let (server, scope) = auth_server_with_scope(&app).await;
    let created = app.post(&format!("/v1/auth-servers/{server}/clients"), client_body("client1", &[&scope])).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let client = &created.body;
    let id = str_of(client, "id");
    let secret = str_of(client, "client_secret");
    assert_eq!(id.len(), 20);
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(secret.len(), 32);
    assert_eq!(client["grant_types"], json!(["client_credentials"]));
    assert_eq!(client["response_types"], json!(["id_token", "token"]));
    assert_eq!(client["allow_scopes"], json!([scope]));
    assert_eq!((&client["access_token_duration"], &client["id_token_duration"]), (&json!(3600), &json!(3600)));
    assert_eq!(
        (&client["redirect_uris"], &client["login_uri"], &client["labels"]),
        (&json!([]), &Value::Null, &json!({}))
    );
    assert_eq!(client["token_endpoint_auth_method"], "client_secret_post");

    let fetched = app.get(&format!("/v1/auth-servers/{server}/clients/{id}")).await;
    let listed = app.get(&format!("/v1/auth-servers/{server}/clients")).await;
    let secrets = app.get(&format!("/v1/auth-servers/{server}/clients/{id}/secrets")).await;
    for response in [&fetched, &listed, &secrets] {
        assert!(!response.text.contains(secret), "the secret leaked: {}", response.text);
    }
    let mut without_secret = client.clone();
    without_secret.as_object_mut().unwrap().remove("client_secret");
    assert_eq!(fetched.body, without_secret);

    let hashes = stored_hashes(&app, &server, id).await;
    assert_eq!(hashes.len(), 1);
    assert!(hashes[0].starts_with("$argon2id$") && !hashes[0].contains(secret));
    assert!(verifies(secret, &hashes));
}

async fn clients_get_kong_defaults(app: TestApp) {
    let (server, _) = auth_server_with_scope(&app).await;
    let response = app
        .post(
            &format!("/v1/auth-servers/{server}/clients"),
            json!({"name": "minimal", "grant_types": [], "response_types": []}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    let client = &response.body;
    assert_eq!((&client["access_token_duration"], &client["id_token_duration"]), (&json!(300), &json!(300)));
    assert_eq!((&client["allow_all_scopes"], &client["allow_scopes"]), (&json!(false), &json!([])));
}

async fn interactive_client_fields_are_validated(app: TestApp) {
    let (server, _) = auth_server_with_scope(&app).await;
    let path = format!("/v1/auth-servers/{server}/clients");
    let good = json!({
        "name": "web", "grant_types": ["authorization_code", "implicit", "refresh_token"], "response_types": ["code", "id_token", "none"],
        "redirect_uris": ["https://client.com/callback", "http://localhost:3000/cb", "http://127.0.0.1:9/cb"],
        "login_uri": "https://client.com/login", "token_endpoint_auth_method": "none", "labels": {"env": "prod"}
    });
    let created = app.post(&path, good.clone()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    for key in ["redirect_uris", "login_uri", "grant_types", "response_types", "labels", "token_endpoint_auth_method"] {
        assert_eq!(created.body[key], good[key], "{key}");
    }
}

async fn invalid_clients_get_400_naming_the_field_and_rule(app: TestApp) {
    let (server, _) = auth_server_with_scope(&app).await;
    let path = format!("/v1/auth-servers/{server}/clients");
    let with = |key: &str, value: Value| {
        let mut body = client_body("c", &[]);
        body[key] = value;
        body
    };
    let mut missing_grants = client_body("c", &[]);
    missing_grants.as_object_mut().unwrap().remove("grant_types");
    let cases = [
        (missing_grants, "grant_types", "required"),
        (with("grant_types", json!(["password"])), "grant_types[0]", "enum"),
        (with("grant_types", json!(["implicit", "implicit"])), "grant_types[1]", "invalid"),
        (with("response_types", json!(["code token"])), "response_types[0]", "enum"),
        (with("access_token_duration", json!(59)), "access_token_duration", "min"),
        (with("id_token_duration", json!(2_592_001)), "id_token_duration", "max"),
        (with("access_token_duration", json!(60.5)), "access_token_duration", "is_integer"),
        (with("redirect_uris", json!(["http://client.com/cb"])), "redirect_uris[0]", "invalid"),
        (with("redirect_uris", json!(["https://client.com/cb#frag"])), "redirect_uris[0]", "invalid"),
        (with("redirect_uris", json!(["/relative"])), "redirect_uris[0]", "invalid"),
        (with("login_uri", json!("http://client.com/login")), "login_uri", "invalid"),
        (with("allow_scopes", json!(["not-a-uuid"])), "allow_scopes[0]", "is_uuid"),
        (with("allow_scopes", json!(["0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11"])), "allow_scopes", "missing_reference"),
        (
            with(
                "allow_scopes",
                json!(["0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11", "0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11"]),
            ),
            "allow_scopes[1]",
            "invalid",
        ),
        (with("token_endpoint_auth_method", json!("client_secret_jwt")), "token_endpoint_auth_method", "enum"),
        (with("token_endpoint_auth_method", json!("private_key_jwt")), "jwks", "required"),
        (with("labels", json!({"_hidden": "x"})), "labels._hidden", "is_label"),
        (with("client_secret", json!("chosen")), "client_secret", "unknown_property"),
        (with("id", json!("chosen")), "id", "unknown_property"),
    ];
    for (body, field, rule) in cases {
        let response = app.post(&path, body.clone()).await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.rule_for(field).as_deref(), Some(rule), "{body}: {}", response.text);
    }
}

async fn client_names_are_unique_even_under_concurrency(app: TestApp) {
    let (server, _) = auth_server_with_scope(&app).await;
    let path = format!("/v1/auth-servers/{server}/clients");
    let responses = join_all((0..6).map(|_| app.post(&path, client_body("same", &[])))).await;
    let created = responses.iter().filter(|r| r.status == 201).count();
    let conflicts = responses.iter().filter(|r| r.status == 409).count();
    assert_eq!((created, conflicts), (1, 5));
    assert_eq!(app.get(&path).await.body["meta"]["page"]["total"], 1);
}

async fn put_imports_a_client_with_its_id_and_secret_then_replaces_it(app: TestApp) {
    let (server, scope) = auth_server_with_scope(&app).await;
    let path = format!("/v1/auth-servers/{server}/clients/legacy-client_01");
    let body = json!({"name": "Replace Client", "client_secret": "SecretPassword", "grant_types": ["client_credentials"], "response_types": ["token"], "allow_scopes": [scope]});
    let created = app.put(&path, body.clone()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["id"], "legacy-client_01");
    assert!(!created.text.contains("SecretPassword"));
    assert!(verifies("SecretPassword", &stored_hashes(&app, &server, "legacy-client_01").await));
    let secret_ids = app.get(&format!("{path}/secrets")).await.body["data"].clone();

    // The same PUT again is idempotent: same creation time, same secret record.
    let again = app.put(&path, body.clone()).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["created_at"], created.body["created_at"]);
    assert_eq!(app.get(&format!("{path}/secrets")).await.body["data"], secret_ids);

    // A replacement resets omitted fields to their defaults and swaps the secret.
    let replaced = app.put(&path, json!({"name": "Renamed", "client_secret": "AnotherSecret", "grant_types": ["implicit"], "response_types": ["token"]})).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!((&replaced.body["name"], &replaced.body["allow_scopes"]), (&json!("Renamed"), &json!([])));
    let hashes = stored_hashes(&app, &server, "legacy-client_01").await;
    assert_eq!(hashes.len(), 1);
    assert!(verifies("AnotherSecret", &hashes) && !verifies("SecretPassword", &hashes));
}

async fn put_validates_its_id_body_and_name(app: TestApp) {
    let (server, _) = auth_server_with_scope(&app).await;
    app.create_client(&server, "taken", &[]).await;
    let body = json!({"name": "n", "client_secret": "s3cret", "grant_types": [], "response_types": []});
    let bad_id = app.put(&format!("/v1/auth-servers/{server}/clients/has%20space"), body.clone()).await;
    assert_eq!(bad_id.rule_for("clientId").as_deref(), Some("matches_regex"));
    let too_long = app.put(&format!("/v1/auth-servers/{server}/clients/{}", "x".repeat(37)), body.clone()).await;
    assert_eq!(too_long.rule_for("clientId").as_deref(), Some("max_length"));
    let mut no_secret = body.clone();
    no_secret.as_object_mut().unwrap().remove("client_secret");
    let missing = app.put(&format!("/v1/auth-servers/{server}/clients/ok"), no_secret).await;
    assert_eq!(missing.rule_for("client_secret").as_deref(), Some("required"));
    let mut named = body.clone();
    named["name"] = json!("taken");
    assert_eq!(app.put(&format!("/v1/auth-servers/{server}/clients/ok"), named).await.status, 409);
}

async fn patching_a_client_changes_only_given_fields(app: TestApp) {
    let (server, scope) = auth_server_with_scope(&app).await;
    let client = app.create_client(&server, "c", &[&scope]).await;
    let path = format!("/v1/auth-servers/{server}/clients/{}", str_of(&client, "id"));
    let patched = app
        .patch(&path, json!({"name": "Updated Client", "login_uri": "https://client.com/login", "labels": {"env": "prod"}, "allow_all_scopes": true, "access_token_duration": 600}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["name"], "Updated Client");
    assert_eq!(patched.body["allow_scopes"], json!([scope]));
    assert_eq!(patched.body["grant_types"], client["grant_types"]);
    assert_eq!(
        (&patched.body["access_token_duration"], &patched.body["id_token_duration"]),
        (&json!(600), &json!(3600))
    );
    let cleared = app.patch(&path, json!({"login_uri": null, "labels": {"env": null, "tier": "1"}})).await;
    assert_eq!((&cleared.body["login_uri"], &cleared.body["labels"]), (&Value::Null, &json!({"tier": "1"})));
    assert_eq!(app.patch(&path, json!({"access_token_duration": 10})).await.status, 400);
    assert_eq!(
        app.patch(&format!("/v1/auth-servers/{server}/clients/unknown"), json!({"name": "x"})).await.status,
        404
    );
}

async fn patching_a_client_secret_replaces_the_secrets(app: TestApp) {
    let (server, _) = auth_server_with_scope(&app).await;
    let client = app.create_client(&server, "c", &[]).await;
    let id = str_of(&client, "id");
    let patched = app
        .patch(&format!("/v1/auth-servers/{server}/clients/{id}"), json!({"client_secret": "Rotated-By-Patch"}))
        .await;
    assert_eq!(patched.status, 200);
    assert!(!patched.text.contains("Rotated-By-Patch"));
    let hashes = stored_hashes(&app, &server, id).await;
    assert!(verifies("Rotated-By-Patch", &hashes));
    assert!(!verifies(str_of(&client, "client_secret"), &hashes));
}

async fn deleting_a_client_deletes_its_secrets(app: TestApp) {
    let (server, _) = auth_server_with_scope(&app).await;
    let client = app.create_client(&server, "c", &[]).await;
    let path = format!("/v1/auth-servers/{server}/clients/{}", str_of(&client, "id"));
    assert_eq!(app.delete(&path).await.status, 204);
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.get(&format!("{path}/secrets")).await.status, 404);
    assert!(stored_hashes(&app, &server, str_of(&client, "id")).await.is_empty());
    // The same name can be used again.
    app.create_client(&server, "c", &[]).await;
}

async fn client_lists_filter_by_name_id_and_labels(app: TestApp) {
    let (server, _) = auth_server_with_scope(&app).await;
    let path = format!("/v1/auth-servers/{server}/clients");
    for (name, env) in [("billing", "prod"), ("shipping", "dev"), ("Billing-Dev", "dev")] {
        let mut body = client_body(name, &[]);
        body["labels"] = json!({"env": env});
        assert_eq!(app.post(&path, body).await.status, 201);
    }
    let names = |v: &Value| -> Vec<String> {
        v["data"].as_array().unwrap().iter().map(|c| str_of(c, "name").to_owned()).collect()
    };
    assert_eq!(
        names(&app.get(&format!("{path}?filter[name][contains]=billing&sort=name")).await.body),
        ["Billing-Dev", "billing"]
    );
    assert_eq!(
        names(&app.get(&format!("{path}?filter[labels][eq]=env:dev&sort=name%20desc")).await.body),
        ["shipping", "Billing-Dev"]
    );
    let all = app.get(&path).await;
    assert!(all.body["data"].as_array().unwrap().iter().all(|c| c.get("client_secret").is_none()));
    let one = str_of(&all.body["data"][1], "id").to_owned();
    assert_eq!(names(&app.get(&format!("{path}?filter[id]={one}")).await.body), ["shipping"]);
}

backend_tests!(
    creating_a_client_returns_its_secret_once,
    clients_get_kong_defaults,
    interactive_client_fields_are_validated,
    invalid_clients_get_400_naming_the_field_and_rule,
    client_names_are_unique_even_under_concurrency,
    put_imports_a_client_with_its_id_and_secret_then_replaces_it,
    put_validates_its_id_body_and_name,
    patching_a_client_changes_only_given_fields,
    patching_a_client_secret_replaces_the_secrets,
    deleting_a_client_deletes_its_secrets,
    client_lists_filter_by_name_id_and_labels
);
