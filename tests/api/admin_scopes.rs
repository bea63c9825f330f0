use serde_json::json;

use crate::helpers::{TestApp, backend_tests, client_body, str_of};

async fn creating_a_scope_returns_the_shape_kongs_tutorial_shows_with_defaults(app: TestApp) {
    let server = app.create_auth_server("s").await;
    let id = str_of(&server, "id");
    let scope1 = app
        .post(&format!("/v1/auth-servers/{id}/scopes"), json!({"name": "scope1", "description": "scope1", "default": false, "include_in_metadata": false, "enabled": true}))
        .await;
    assert_eq!(scope1.status, 201, "{}", scope1.text);
    assert_eq!(scope1.body["name"], "scope1");
    assert_eq!(scope1.body["description"], "scope1");

    let minimal = app.create_scope(id, "read:orders").await;
    assert_eq!(minimal["description"], "");
    assert_eq!(minimal["default"], false);
    assert_eq!(minimal["include_in_metadata"], false);
    assert_eq!(minimal["enabled"], true);
    let fetched = app.get(&format!("/v1/auth-servers/{id}/scopes/{}", str_of(&minimal, "id"))).await;
    assert_eq!(fetched.body, minimal);
}

async fn scope_names_are_unique_within_an_auth_server_only(app: TestApp) {
    let a = app.create_auth_server("a").await;
    let b = app.create_auth_server("b").await;
    app.create_scope(str_of(&a, "id"), "shared").await;
    app.create_scope(str_of(&b, "id"), "shared").await;
    let again = app.post(&format!("/v1/auth-servers/{}/scopes", str_of(&a, "id")), json!({"name": "shared"})).await;
    assert_eq!(again.status, 409);
}

async fn scope_names_must_be_rfc_6749_scope_tokens(app: TestApp) {
    let server = app.create_auth_server("s").await;
    let path = format!("/v1/auth-servers/{}/scopes", str_of(&server, "id"));
    for bad in ["two words", "quote\"d", "", "back\\slash"] {
        let response = app.post(&path, json!({"name": bad})).await;
        assert_eq!(response.status, 400, "{bad:?}");
        assert!(response.rule_for("name").is_some(), "{}", response.text);
    }
    let wrong_types = app.post(&path, json!({"name": "ok", "default": "yes", "enabled": 1})).await;
    assert_eq!(wrong_types.rule_for("default").as_deref(), Some("is_boolean"));
    assert_eq!(wrong_types.rule_for("enabled").as_deref(), Some("is_boolean"));
}

async fn patching_a_scope_updates_fields_and_guards_the_name(app: TestApp) {
    let server = app.create_auth_server("s").await;
    let id = str_of(&server, "id");
    app.create_scope(id, "taken").await;
    let scope = app.create_scope(id, "mine").await;
    let path = format!("/v1/auth-servers/{id}/scopes/{}", str_of(&scope, "id"));
    let patched = app
        .patch(&path, json!({"default": true, "include_in_metadata": true, "enabled": false, "description": "d"}))
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(
        (&patched.body["default"], &patched.body["enabled"], &patched.body["name"]),
        (&json!(true), &json!(false), &json!("mine"))
    );
    assert_eq!(app.patch(&path, json!({"name": "taken"})).await.status, 409);
    assert_eq!(app.patch(&path, json!({"name": "bad name"})).await.status, 400);
    assert_eq!(app.patch(&path, json!({"name": "renamed"})).await.body["name"], "renamed");
}

async fn deleting_a_scope_removes_it_from_clients_and_claims(app: TestApp) {
    let server = app.create_auth_server("s").await;
    let id = str_of(&server, "id");
    let keep = app.create_scope(id, "keep").await;
    let drop = app.create_scope(id, "drop").await;
    let scopes = [str_of(&keep, "id"), str_of(&drop, "id")];
    let client = app.create_client(id, "c", &scopes).await;
    let claim = app.create_claim(id, json!({"name": "c", "value": "v", "include_in_scopes": scopes})).await;

    assert_eq!(app.delete(&format!("/v1/auth-servers/{id}/scopes/{}", scopes[1])).await.status, 204);
    assert_eq!(app.get(&format!("/v1/auth-servers/{id}/scopes/{}", scopes[1])).await.status, 404);
    let client = app.get(&format!("/v1/auth-servers/{id}/clients/{}", str_of(&client, "id"))).await;
    assert_eq!(client.body["allow_scopes"], json!([scopes[0]]));
    let claim = app.get(&format!("/v1/auth-servers/{id}/claims/{}", str_of(&claim, "id"))).await;
    assert_eq!(claim.body["include_in_scopes"], json!([scopes[0]]));
    assert_eq!(app.delete(&format!("/v1/auth-servers/{id}/scopes/{}", scopes[1])).await.status, 404);
}

async fn scopes_of_one_auth_server_are_invisible_from_another(app: TestApp) {
    let a = app.create_auth_server("a").await;
    let b = app.create_auth_server("b").await;
    let scope = app.create_scope(str_of(&a, "id"), "private").await;
    let path = format!("/v1/auth-servers/{}/scopes/{}", str_of(&b, "id"), str_of(&scope, "id"));
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.patch(&path, json!({"enabled": false})).await.status, 404);
    assert_eq!(app.delete(&path).await.status, 404);
    let borrowing = app
        .post(&format!("/v1/auth-servers/{}/clients", str_of(&b, "id")), client_body("c", &[str_of(&scope, "id")]))
        .await;
    assert_eq!(borrowing.status, 400);
    assert_eq!(borrowing.rule_for("allow_scopes").as_deref(), Some("missing_reference"));
}

async fn scope_lists_paginate_sort_and_filter(app: TestApp) {
    let server = app.create_auth_server("s").await;
    let id = str_of(&server, "id");
    for name in ["c", "a", "b"] {
        app.create_scope(id, name).await;
    }
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["data"].as_array().unwrap().iter().map(|s| str_of(s, "name").to_owned()).collect()
    };
    assert_eq!(names(&app.get(&format!("/v1/auth-servers/{id}/scopes?sort=name")).await.body), ["a", "b", "c"]);
    let page = app.get(&format!("/v1/auth-servers/{id}/scopes?sort=name%20desc&page[size]=1&page[number]=2")).await;
    assert_eq!(names(&page.body), ["b"]);
    assert_eq!(page.body["meta"]["page"], json!({"number": 2, "size": 1, "total": 3}));
    assert_eq!(names(&app.get(&format!("/v1/auth-servers/{id}/scopes?filter[name][eq]=a")).await.body), ["a"]);
    assert_eq!(app.get(&format!("/v1/auth-servers/{id}/scopes?sort=audience")).await.status, 400);
    assert_eq!(app.get(&format!("/v1/auth-servers/{id}/scopes?filter[labels]=x")).await.status, 400);
}

backend_tests!(
    creating_a_scope_returns_the_shape_kongs_tutorial_shows_with_defaults,
    scope_names_are_unique_within_an_auth_server_only,
    scope_names_must_be_rfc_6749_scope_tokens,
    patching_a_scope_updates_fields_and_guards_the_name,
    deleting_a_scope_removes_it_from_clients_and_claims,
    scopes_of_one_auth_server_are_invisible_from_another,
    scope_lists_paginate_sort_and_filter
);
