use serde_json::json;

use crate::helpers::{TestApp, backend_tests, str_of};

async fn creating_a_claim_returns_the_shape_kongs_tutorial_shows(app: TestApp) {
    let server = app.create_auth_server("s").await;
    let id = str_of(&server, "id");
    let scope = app.create_scope(id, "scope1").await;
    let claim = app
        .create_claim(id, json!({"name": "claim1", "value": "claim1", "include_in_token": true, "include_in_all_scopes": false, "include_in_scopes": [scope["id"]], "enabled": true}))
        .await;
    assert_eq!(claim["name"], "claim1");
    assert_eq!(claim["value"], "claim1");
    assert_eq!(claim["include_in_token"], true);
    assert_eq!(claim["include_in_scopes"], json!([scope["id"]]));
    let fetched = app.get(&format!("/v1/auth-servers/{id}/claims/{}", str_of(&claim, "id"))).await;
    assert_eq!(fetched.body, claim);
}

async fn claims_get_kong_defaults_and_may_share_names(app: TestApp) {
    let server = app.create_auth_server("s").await;
    let id = str_of(&server, "id");
    let first = app.create_claim(id, json!({"name": "dup", "value": "${ uuidv4 }"})).await;
    assert_eq!(
        (&first["include_in_token"], &first["include_in_all_scopes"], &first["enabled"]),
        (&json!(false), &json!(false), &json!(true))
    );
    assert_eq!(first["include_in_scopes"], json!([]));
    app.create_claim(id, json!({"name": "dup", "value": "{\"a\": 1}"})).await;
}

async fn invalid_claims_get_400_with_every_problem(app: TestApp) {
    let server = app.create_auth_server("s").await;
    let other = app.create_auth_server("other").await;
    let foreign = app.create_scope(str_of(&other, "id"), "foreign").await;
    let path = format!("/v1/auth-servers/{}/claims", str_of(&server, "id"));
    let cases = [
        (json!({"value": "v"}), "name", "required"),
        (json!({"name": "n"}), "value", "required"),
        (json!({"name": "n", "value": ""}), "value", "min_length"),
        (json!({"name": "n", "value": 5}), "value", "is_string"),
        (json!({"name": "n", "value": "v", "include_in_scopes": ["nope"]}), "include_in_scopes[0]", "is_uuid"),
        (
            json!({"name": "n", "value": "v", "include_in_scopes": [foreign["id"]]}),
            "include_in_scopes",
            "missing_reference",
        ),
        (json!({"name": "n", "value": "v", "include_in_token": "true"}), "include_in_token", "is_boolean"),
    ];
    for (body, field, rule) in cases {
        let response = app.post(&path, body.clone()).await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.rule_for(field).as_deref(), Some(rule), "{body}: {}", response.text);
    }
}

async fn patching_a_claim_keeps_scope_order_and_checks_references(app: TestApp) {
    let server = app.create_auth_server("s").await;
    let id = str_of(&server, "id");
    let a = app.create_scope(id, "a").await;
    let b = app.create_scope(id, "b").await;
    let claim = app.create_claim(id, json!({"name": "n", "value": "v", "include_in_scopes": [a["id"]]})).await;
    let path = format!("/v1/auth-servers/{id}/claims/{}", str_of(&claim, "id"));
    let patched = app
        .patch(&path, json!({"include_in_scopes": [b["id"], a["id"], b["id"]], "enabled": false, "value": "w"}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["include_in_scopes"], json!([b["id"], a["id"]]));
    assert_eq!(
        (&patched.body["enabled"], &patched.body["value"], &patched.body["name"]),
        (&json!(false), &json!("w"), &json!("n"))
    );
    let unknown = app.patch(&path, json!({"include_in_scopes": ["0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11"]})).await;
    assert_eq!(unknown.rule_for("include_in_scopes").as_deref(), Some("missing_reference"));
    assert_eq!(
        app.get(&path).await.body["include_in_scopes"],
        json!([b["id"], a["id"]]),
        "a rejected patch changes nothing"
    );
}

async fn deleted_claims_are_gone(app: TestApp) {
    let server = app.create_auth_server("s").await;
    let id = str_of(&server, "id");
    let claim = app.create_claim(id, json!({"name": "n", "value": "v"})).await;
    let path = format!("/v1/auth-servers/{id}/claims/{}", str_of(&claim, "id"));
    assert_eq!(app.delete(&path).await.status, 204);
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.delete(&path).await.status, 404);
    assert_eq!(app.get(&format!("/v1/auth-servers/{id}/claims")).await.body["meta"]["page"]["total"], 0);
}

async fn claim_lists_filter_by_name(app: TestApp) {
    let server = app.create_auth_server("s").await;
    let id = str_of(&server, "id");
    for name in ["tenant", "region", "tenant_id"] {
        app.create_claim(id, json!({"name": name, "value": "v"})).await;
    }
    let list = app.get(&format!("/v1/auth-servers/{id}/claims?filter[name][contains]=TENANT&sort=name%20desc")).await;
    let names: Vec<&str> = list.body["data"].as_array().unwrap().iter().map(|c| str_of(c, "name")).collect();
    assert_eq!(names, ["tenant_id", "tenant"]);
}

backend_tests!(
    creating_a_claim_returns_the_shape_kongs_tutorial_shows,
    claims_get_kong_defaults_and_may_share_names,
    invalid_claims_get_400_with_every_problem,
    patching_a_claim_keeps_scope_order_and_checks_references,
    deleted_claims_are_gone,
    claim_lists_filter_by_name
);
