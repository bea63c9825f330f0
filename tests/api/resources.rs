//! Resources (RFC 8707): the management API of the APIs an auth server issues tokens for,
//! validated field by field, unique by URI, bounded in number, audited, recorded in the change
//! feed, and gone with their auth server.

use reqwest::Method;
use serde_json::{Value, json};
use tessera::store::changes::{self, Change};
use tessera::store::{ConnectOptions, Store};
use uuid::Uuid;

use crate::helpers::{TestApp, backend_tests, str_of};

/// An auth server with two scopes; returns (auth server id, resources path, scope ids).
async fn server_with_scopes(app: &TestApp) -> (String, String, [String; 2]) {
    let server = app.create_auth_server("resourceful").await;
    let id = str_of(&server, "id").to_owned();
    let read = app.create_scope(&id, "payments:read").await;
    let write = app.create_scope(&id, "payments:write").await;
    let path = format!("/v1/auth-servers/{id}/resources");
    (id, path, [str_of(&read, "id").to_owned(), str_of(&write, "id").to_owned()])
}

fn open(app: &TestApp) -> Store {
    Store::connect(&ConnectOptions {
        url: app.database_url.clone(),
        max_connections: 2,
        acquire_timeout: std::time::Duration::from_secs(10),
    })
    .unwrap()
}

/// How many changes of the auth server's configuration the feed holds.
async fn server_changes(store: &Store, server_id: &str) -> usize {
    let id = Uuid::parse_str(server_id).unwrap();
    changes::after(store, 0).await.unwrap().into_iter().filter(|(_, change)| *change == Change::Server(id)).count()
}

async fn a_resource_round_trips_through_create_get_list_patch_and_delete_with_defaults(app: TestApp) {
    let (_, path, [read, write]) = server_with_scopes(&app).await;
    let created = app.post(&path, json!({"uri": "https://api.example.com/payments"})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let resource = created.body;
    assert_eq!(resource["uri"], "https://api.example.com/payments");
    assert_eq!(resource["description"], "", "an empty description by default");
    assert_eq!(resource["scopes"], json!([]), "no scopes by default");
    assert_eq!(resource["created_at"], resource["updated_at"]);

    let one = format!("{path}/{}", str_of(&resource, "id"));
    assert_eq!(app.get(&one).await.body, resource);
    let listed = app.get(&path).await;
    assert_eq!(listed.body["data"], json!([resource]));
    assert_eq!(listed.body["meta"]["page"], json!({"number": 1, "size": 100, "total": 1}));

    let patched = app.patch(&one, json!({"description": "The payments API", "scopes": [write, read]})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["description"], "The payments API");
    assert_eq!(patched.body["scopes"], json!([write, read]), "scopes keep their order");
    assert_eq!(
        (&patched.body["uri"], &patched.body["created_at"]),
        (&resource["uri"], &resource["created_at"]),
        "fields not given keep their value"
    );
    let moved = app.patch(&one, json!({"uri": "urn:example:payments"})).await;
    assert_eq!(moved.body["uri"], "urn:example:payments", "{}", moved.text);
    assert_eq!(moved.body["scopes"], json!([write, read]));
    assert_eq!(app.get(&one).await.body, moved.body);

    let second = app.post(&path, json!({"uri": "https://api.example.com/ledger", "scopes": [read]})).await;
    assert_eq!(second.status, 201, "{}", second.text);
    let filtered = app.get(&format!("{path}?filter[uri][contains]=LEDGER")).await;
    assert_eq!(filtered.body["data"], json!([second.body]), "{}", filtered.text);
    let sorted = app.get(&format!("{path}?sort=uri%20desc")).await;
    let uris: Vec<&str> = sorted.body["data"].as_array().unwrap().iter().map(|r| str_of(r, "uri")).collect();
    assert_eq!(uris, ["urn:example:payments", "https://api.example.com/ledger"]);

    assert_eq!(app.delete(&one).await.status, 204);
    assert_eq!(app.get(&one).await.status, 404);
    assert_eq!(app.patch(&one, json!({"description": "x"})).await.status, 404);
    assert_eq!(app.delete(&one).await.status, 404);
    assert_eq!(app.get(&path).await.body["meta"]["page"]["total"], 1);
}

async fn every_rule_of_a_resource_gives_a_400_naming_its_field(app: TestApp) {
    let (_, path, [read, write]) = server_with_scopes(&app).await;
    let other = app.create_auth_server("other").await;
    let foreign = app.create_scope(str_of(&other, "id"), "payments:read").await;
    let foreign = str_of(&foreign, "id");
    let unknown = Uuid::new_v4().to_string();
    let uri = "https://api.example.com/payments";
    let cases = [
        ("no uri", json!({"description": "x"}), vec!["uri"], "required"),
        ("a relative uri", json!({"uri": "/payments"}), vec!["uri"], "invalid"),
        ("a uri with a fragment", json!({"uri": "https://api.example.com/#x"}), vec!["uri"], "invalid"),
        ("an empty uri", json!({"uri": ""}), vec!["uri"], "min_length"),
        ("a uri that is not a string", json!({"uri": 7}), vec!["uri"], "is_string"),
        ("a long description", json!({"uri": uri, "description": "x".repeat(1025)}), vec!["description"], "max_length"),
        ("scopes that are not a list", json!({"uri": uri, "scopes": read}), vec!["scopes"], "is_array"),
        ("a scope that is not a uuid", json!({"uri": uri, "scopes": [read, "read"]}), vec!["scopes[1]"], "is_uuid"),
        ("a scope named twice", json!({"uri": uri, "scopes": [read, write, read]}), vec!["scopes[2]"], "invalid"),
        (
            "unknown scopes",
            json!({"uri": uri, "scopes": [unknown, read, foreign]}),
            vec!["scopes[0]", "scopes[2]"],
            "missing_reference",
        ),
        ("an unknown field", json!({"uri": uri, "name": "payments"}), vec!["name"], "unknown_property"),
    ];
    for (case, body, fields, rule) in cases {
        let refused = app.post(&path, body).await;
        assert_eq!(refused.status, 400, "{case}: {}", refused.text);
        assert_eq!(refused.invalid_fields(), fields, "{case}: {}", refused.text);
        assert_eq!(refused.rule_for(fields[0]).as_deref(), Some(rule), "{case}: {}", refused.text);
    }
    assert_eq!(app.get(&path).await.body["meta"]["page"]["total"], 0, "nothing refused was saved");

    let created = app.post(&path, json!({"uri": uri, "scopes": [read]})).await;
    let one = format!("{path}/{}", str_of(&created.body, "id"));
    for (case, body, field) in [
        ("a null uri", json!({"uri": null}), "uri"),
        ("a relative uri", json!({"uri": "payments"}), "uri"),
        ("an unknown scope", json!({"scopes": [read, unknown]}), "scopes[1]"),
        ("an unknown field", json!({"id": Uuid::new_v4()}), "id"),
    ] {
        let refused = app.patch(&one, body).await;
        assert_eq!(refused.status, 400, "PATCH {case}: {}", refused.text);
        assert_eq!(refused.invalid_fields(), [field], "PATCH {case}: {}", refused.text);
    }
    assert_eq!(app.get(&one).await.body, created.body, "a refused PATCH changes nothing");
    let bad_id = app.get(&format!("{path}/not-a-uuid")).await;
    assert_eq!(bad_id.rule_for("resourceId").as_deref(), Some("is_uuid"), "{}", bad_id.text);
}

async fn resource_uris_are_unique_within_an_auth_server(app: TestApp) {
    let (_, path, _) = server_with_scopes(&app).await;
    let uri = "https://api.example.com/payments";
    assert_eq!(app.post(&path, json!({"uri": uri})).await.status, 201);
    let taken = app.post(&path, json!({"uri": uri, "description": "again"})).await;
    assert_eq!(taken.status, 409, "{}", taken.text);
    assert!(str_of(&taken.body, "detail").contains(&format!("uri [{uri}]")), "{}", taken.text);
    let trailing = app.post(&path, json!({"uri": format!("{uri}/")})).await;
    assert_eq!(trailing.status, 201, "URIs are compared as strings (RFC 8707 §2): {}", trailing.text);

    let second = app.post(&path, json!({"uri": "https://api.example.com/ledger"})).await;
    let second_path = format!("{path}/{}", str_of(&second.body, "id"));
    assert_eq!(app.patch(&second_path, json!({"uri": uri})).await.status, 409);
    assert_eq!(app.patch(&second_path, json!({"uri": "https://api.example.com/ledger"})).await.status, 200);

    let elsewhere = app.create_auth_server("elsewhere").await;
    let again =
        app.post(&format!("/v1/auth-servers/{}/resources", str_of(&elsewhere, "id")), json!({"uri": uri})).await;
    assert_eq!(again.status, 201, "another auth server may declare the same URI: {}", again.text);
}

async fn an_auth_server_declares_at_most_200_resources(app: TestApp) {
    let (_, path, _) = server_with_scopes(&app).await;
    for i in 0..200 {
        let created = app.post(&path, json!({"uri": format!("urn:example:api-{i}")})).await;
        assert_eq!(created.status, 201, "resource {i}: {}", created.text);
    }
    let refused = app.post(&path, json!({"uri": "urn:example:one-too-many"})).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(str_of(&refused.body, "detail").contains("at most 200 resources"), "{}", refused.text);
    let page = app.get(&format!("{path}?page[size]=1")).await;
    assert_eq!(page.body["meta"]["page"]["total"], 200);

    let first = app.get(&format!("{path}?filter[uri]=urn:example:api-0")).await;
    let first = format!("{path}/{}", str_of(&first.body["data"][0], "id"));
    assert_eq!(app.delete(&first).await.status, 204);
    assert_eq!(app.post(&path, json!({"uri": "urn:example:one-more"})).await.status, 201, "room again");
}

async fn unknown_auth_servers_and_resources_of_another_auth_server_are_404(app: TestApp) {
    let (_, path, _) = server_with_scopes(&app).await;
    let created = app.post(&path, json!({"uri": "https://api.example.com/payments"})).await;
    let id = str_of(&created.body, "id");
    let nowhere = format!("/v1/auth-servers/{}/resources", Uuid::new_v4());
    assert_eq!(app.get(&nowhere).await.status, 404);
    let refused = app.post(&nowhere, json!({"uri": "https://api.example.com/payments"})).await;
    assert_eq!(refused.status, 404, "{}", refused.text);
    assert!(str_of(&refused.body, "detail").starts_with("Auth server ["), "{}", refused.text);

    let other = app.create_auth_server("other").await;
    let elsewhere = format!("/v1/auth-servers/{}/resources/{id}", str_of(&other, "id"));
    assert_eq!(app.get(&elsewhere).await.status, 404);
    assert_eq!(app.patch(&elsewhere, json!({"description": "x"})).await.status, 404);
    assert_eq!(app.delete(&elsewhere).await.status, 404);
    assert_eq!(app.get(&format!("{path}/{id}")).await.status, 200, "still there");
}

async fn each_resource_write_records_one_audit_event_and_one_configuration_change(app: TestApp) {
    let (server_id, path, [read, _]) = server_with_scopes(&app).await;
    let store = open(&app);
    let before = server_changes(&store, &server_id).await;
    let created = app.post(&path, json!({"uri": "https://api.example.com/payments", "scopes": [read]})).await;
    let id = str_of(&created.body, "id").to_owned();
    let one = format!("{path}/{id}");
    assert_eq!(server_changes(&store, &server_id).await, before + 1, "a create reloads the configuration");
    assert_eq!(app.post(&path, json!({"uri": "https://api.example.com/payments"})).await.status, 409);
    assert_eq!(app.patch(&one, json!({"description": "Payments"})).await.status, 200);
    assert_eq!(server_changes(&store, &server_id).await, before + 2, "an update reloads the configuration");
    assert_eq!(app.patch(&one, json!({"description": "Payments"})).await.status, 200, "a PATCH that changes nothing");
    assert_eq!(app.patch(&one, json!({"uri": "payments"})).await.status, 400);
    let changes_before_delete = server_changes(&store, &server_id).await;
    assert_eq!(app.delete(&one).await.status, 204);
    assert_eq!(server_changes(&store, &server_id).await, changes_before_delete + 1, "a delete too");
    store.close().await;

    let events = app.get("/v1/audit-events?filter[resource_type]=resource").await;
    assert_eq!(events.status, 200, "{}", events.text);
    let events = events.body["data"].as_array().unwrap().clone();
    let actions: Vec<&str> = events.iter().map(|e| str_of(e, "action")).collect();
    assert_eq!(actions, ["resource.created", "resource.updated", "resource.deleted"]);
    for event in &events {
        assert_eq!(event["resource_id"], id.as_str(), "{event}");
        assert_eq!(event["auth_server_id"], server_id.as_str(), "{event}");
    }
    assert_eq!(
        events[0]["changes"],
        json!([
            {"field": "description", "old": null, "new": ""},
            {"field": "scopes", "old": null, "new": [read]},
            {"field": "uri", "old": null, "new": "https://api.example.com/payments"},
        ])
    );
    assert_eq!(events[1]["changes"], json!([{"field": "description", "old": "", "new": "Payments"}]));
}

async fn a_read_only_credential_reads_resources_but_cannot_write_them(app: TestApp) {
    let (server_id, path, _) = server_with_scopes(&app).await;
    let created = app.post(&path, json!({"uri": "https://api.example.com/payments"})).await;
    let one = format!("{path}/{}", str_of(&created.body, "id"));
    let credential = app
        .post("/v1/admin-credentials", json!({"name": "auditor", "role": "read-only", "auth_server_ids": [server_id]}))
        .await;
    assert_eq!(credential.status, 201, "{}", credential.text);
    let token = str_of(&credential.body, "token").to_owned();
    let as_reader = |method: Method, path: &str, body: Option<Value>| {
        let mut request = app.http.request(method, app.url(path)).bearer_auth(&token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        app.send(request)
    };

    assert_eq!(as_reader(Method::GET, &path, None).await.status, 200);
    assert_eq!(as_reader(Method::GET, &one, None).await.status, 200);
    let create = as_reader(Method::POST, &path, Some(json!({"uri": "https://api.example.com/ledger"}))).await;
    assert_eq!(create.status, 403, "{}", create.text);
    assert_eq!(as_reader(Method::PATCH, &one, Some(json!({"description": "x"}))).await.status, 403);
    assert_eq!(as_reader(Method::DELETE, &one, None).await.status, 403);
    assert_eq!(app.get(&one).await.body, created.body, "nothing changed");
}

/// A deleted scope leaves the resources that name it, as it leaves clients' `allow_scopes`.
async fn deleting_a_scope_removes_it_from_resources(app: TestApp) {
    let (server_id, path, [read, write]) = server_with_scopes(&app).await;
    let client =
        app.post(&format!("/v1/auth-servers/{server_id}/clients"), crate::helpers::client_body("api", &[])).await;
    let client_path = format!("/v1/auth-servers/{server_id}/clients/{}", str_of(&client.body, "id"));
    assert_eq!(app.patch(&client_path, json!({"allow_scopes": [read, write]})).await.status, 200);
    let created = app.post(&path, json!({"uri": "https://api.example.com/payments", "scopes": [read, write]})).await;
    let one = format!("{path}/{}", str_of(&created.body, "id"));

    assert_eq!(app.delete(&format!("/v1/auth-servers/{server_id}/scopes/{read}")).await.status, 204);
    assert_eq!(app.get(&client_path).await.body["allow_scopes"], json!([write]), "as the database does for clients");
    let after = app.get(&one).await.body;
    assert_eq!(after["scopes"], json!([write]));
    assert_eq!(after["updated_at"], created.body["updated_at"], "not an edit of the resource");
    assert_eq!(app.patch(&one, json!({"description": "still writable"})).await.status, 200);
}

/// What the issuer's configuration cache loads: every resource, oldest first; and nothing
/// once the auth server is deleted.
async fn deleting_an_auth_server_deletes_its_resources(app: TestApp) {
    let (server_id, path, [read, _]) = server_with_scopes(&app).await;
    let first = app.post(&path, json!({"uri": "https://api.example.com/payments", "scopes": [read]})).await;
    let second = app.post(&path, json!({"uri": "https://api.example.com/ledger", "description": "Ledger"})).await;
    assert_eq!(second.status, 201, "{}", second.text);

    let store = open(&app);
    let id = Uuid::parse_str(&server_id).unwrap();
    let loaded = tessera::store::resources::for_server(&store, id).await.unwrap();
    let uris: Vec<&str> = loaded.iter().map(|resource| resource.uri.as_str()).collect();
    assert_eq!(uris, ["https://api.example.com/payments", "https://api.example.com/ledger"]);
    assert_eq!(loaded[0].id.to_string(), str_of(&first.body, "id"));
    assert_eq!(loaded[0].scopes, [Uuid::parse_str(&read).unwrap()]);
    assert_eq!(loaded[1].description, "Ledger");

    assert_eq!(app.delete(&format!("/v1/auth-servers/{server_id}?force=true")).await.status, 204);
    assert!(tessera::store::resources::for_server(&store, id).await.unwrap().is_empty());
    assert_eq!(app.get(&path).await.status, 404);
    store.close().await;
}

backend_tests!(
    a_resource_round_trips_through_create_get_list_patch_and_delete_with_defaults,
    every_rule_of_a_resource_gives_a_400_naming_its_field,
    resource_uris_are_unique_within_an_auth_server,
    an_auth_server_declares_at_most_200_resources,
    unknown_auth_servers_and_resources_of_another_auth_server_are_404,
    each_resource_write_records_one_audit_event_and_one_configuration_change,
    a_read_only_credential_reads_resources_but_cannot_write_them,
    deleting_a_scope_removes_it_from_resources,
    deleting_an_auth_server_deletes_its_resources
);
