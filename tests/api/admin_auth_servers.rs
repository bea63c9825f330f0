use futures::future::join_all;
use serde_json::json;

use crate::helpers::{TestApp, backend_tests, str_of};

async fn creating_an_auth_server_returns_the_shape_kongs_tutorial_shows(app: TestApp) {
    let response = app
        .post(
            "/v1/auth-servers",
            json!({"name": "AuthN_Server_1", "audience": "http://myhttpbin.dev", "description": "AuthN Server 1"}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    let server = &response.body;
    assert_eq!(server["name"], "AuthN_Server_1");
    assert_eq!(server["audience"], "http://myhttpbin.dev");
    assert_eq!(server["description"], "AuthN Server 1");
    assert_eq!(server["signing_algorithm"], "RS256");
    assert_eq!(server["labels"], json!({}));
    assert_eq!(server["created_at"], server["updated_at"]);
    let issuer = str_of(server, "issuer");
    let slug = issuer.strip_prefix(&format!("{}/", app.address)).and_then(|rest| rest.strip_suffix("/auth")).unwrap();
    assert_eq!(slug.len(), 16);
    assert!(slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert_eq!(server["metadata_uri"], format!("{issuer}/.well-known/openid-configuration"));
    assert_eq!(server["jwks_uri"], format!("{issuer}/.well-known/jwks"));

    let fetched = app.get(&format!("/v1/auth-servers/{}", str_of(server, "id"))).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(&fetched.body, server);
}

async fn every_auth_server_gets_its_own_issuer(app: TestApp) {
    let a = app.create_auth_server("a").await;
    let b = app.create_auth_server("b").await;
    assert_ne!(a["issuer"], b["issuer"]);
    assert_ne!(a["id"], b["id"]);
}

async fn auth_server_names_are_unique(app: TestApp) {
    app.create_auth_server("Appointments Dev").await;
    let again = app.post("/v1/auth-servers", json!({"name": "Appointments Dev", "audience": "x"})).await;
    assert_eq!(again.status, 409);
    assert!(str_of(&again.body, "detail").contains("Appointments Dev"));
}

async fn concurrent_duplicate_creates_give_one_201_and_the_rest_409(app: TestApp) {
    let body = json!({"name": "race", "audience": "x"});
    let responses = join_all((0..8).map(|_| app.post("/v1/auth-servers", body.clone()))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec![201, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(app.get("/v1/auth-servers").await.body["meta"]["page"]["total"], 1);
}

async fn invalid_auth_server_bodies_get_400_naming_each_field(app: TestApp) {
    let cases = [
        (json!({"audience": "x"}), "name", "required"),
        (json!({"name": "n"}), "audience", "required"),
        (json!({"name": 5, "audience": "x"}), "name", "is_string"),
        (json!({"name": "", "audience": "x"}), "name", "min_length"),
        (json!({"name": "n".repeat(256), "audience": "x"}), "name", "max_length"),
        (json!({"name": "n", "audience": ""}), "audience", "min_length"),
        (json!({"name": "n", "audience": "x", "signing_algorithm": "HS256"}), "signing_algorithm", "enum"),
        (json!({"name": "n", "audience": "x", "surprise": true}), "surprise", "unknown_property"),
        (json!({"name": "n", "audience": "x", "labels": {"kong-env": "x"}}), "labels.kong-env", "is_label"),
        (json!({"name": "n", "audience": "x", "labels": {"env": "a b"}}), "labels.env", "is_label"),
        (json!({"name": "n", "audience": "x", "labels": {"env": 1}}), "labels.env", "is_string"),
        (json!({"name": "n", "audience": "x", "labels": []}), "labels", "is_object"),
        (
            json!({"name": "n", "audience": "x", "trusted_origins": ["https://a.com/path"]}),
            "trusted_origins[0]",
            "invalid",
        ),
        (json!({"name": "n", "audience": "x", "trusted_origins": "https://a.com"}), "trusted_origins", "is_array"),
        (json!({"name": "n", "audience": "x", "description": null}), "description", "is_string"),
    ];
    for (body, field, rule) in cases {
        let response = app.post("/v1/auth-servers", body.clone()).await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.rule_for(field).as_deref(), Some(rule), "{body} -> {}", response.text);
    }
    let many: serde_json::Map<String, serde_json::Value> = (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    let response = app.post("/v1/auth-servers", json!({"name": "n", "audience": "x", "labels": many})).await;
    assert_eq!(response.rule_for("labels").as_deref(), Some("is_label"));
    let all_at_once = app.post("/v1/auth-servers", json!({"name": 1, "audience": false, "x": 1})).await;
    assert_eq!(all_at_once.invalid_fields().len(), 3, "{}", all_at_once.text);
}

async fn unreadable_bodies_get_a_precise_4xx(app: TestApp) {
    let malformed = app.post_raw("/v1/auth-servers", "application/json", "{\"name\": ").await;
    assert_eq!(malformed.status, 400);
    assert!(str_of(&malformed.body, "detail").starts_with("Malformed JSON"));
    let not_an_object = app.post_raw("/v1/auth-servers", "application/json", "[1, 2]").await;
    assert_eq!(not_an_object.status, 400);
    let wrong_type = app.post_raw("/v1/auth-servers", "text/plain", "{\"name\":\"n\",\"audience\":\"x\"}").await;
    assert_eq!(wrong_type.status, 415);
    let no_type =
        app.send(app.http.post(app.url("/v1/auth-servers")).bearer_auth(crate::helpers::ADMIN_TOKEN).body("{}")).await;
    assert_eq!(no_type.status, 415);
    let huge = format!("{{\"name\":\"n\",\"audience\":\"x\",\"description\":\"{}\"}}", "d".repeat(300 * 1024));
    assert_eq!(app.post_raw("/v1/auth-servers", "application/json", huge).await.status, 413);
    let charset = app
        .post_raw("/v1/auth-servers", "application/json; charset=utf-8", "{\"name\":\"n\",\"audience\":\"x\"}")
        .await;
    assert_eq!(charset.status, 201);
}

async fn unknown_and_malformed_auth_server_ids_get_404_and_400(app: TestApp) {
    let missing = app.get("/v1/auth-servers/0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11").await;
    assert_eq!(missing.status, 404);
    assert!(str_of(&missing.body, "detail").contains("0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11"));
    let malformed = app.get("/v1/auth-servers/not-a-uuid").await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.rule_for("authServerId").as_deref(), Some("is_uuid"));
    for path in [
        "/v1/auth-servers/0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11/scopes",
        "/v1/auth-servers/0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11/clients",
    ] {
        assert_eq!(app.get(path).await.status, 404, "{path}");
    }
    let patch = app.patch("/v1/auth-servers/0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11", json!({"name": "x"})).await;
    assert_eq!(patch.status, 404);
    assert_eq!(app.delete("/v1/auth-servers/0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11").await.status, 404);
}

async fn patching_an_auth_server_changes_only_the_given_fields(app: TestApp) {
    let server = app
        .post("/v1/auth-servers", json!({"name": "n", "audience": "x", "labels": {"env": "dev", "team": "a"}}))
        .await
        .body;
    let path = format!("/v1/auth-servers/{}", str_of(&server, "id"));
    let patched = app
        .patch(&path, json!({"description": "new", "signing_algorithm": "PS256", "labels": {"team": null, "tier": "gold"}, "trusted_origins": ["https://portal.example.com/"]}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let body = &patched.body;
    assert_eq!(body["name"], "n");
    assert_eq!(body["audience"], "x");
    assert_eq!(body["description"], "new");
    assert_eq!(body["signing_algorithm"], "PS256");
    assert_eq!(body["labels"], json!({"env": "dev", "tier": "gold"}));
    assert_eq!(body["trusted_origins"], json!(["https://portal.example.com"]));
    assert_eq!(body["issuer"], server["issuer"]);
    assert_eq!(body["created_at"], server["created_at"]);
    assert_ne!(body["updated_at"], server["updated_at"]);
    assert_eq!(app.get(&path).await.body, patched.body);

    let cleared = app.patch(&path, json!({"labels": null})).await;
    assert_eq!(cleared.body["labels"], json!({}));
    let bad = app.patch(&path, json!({"signing_algorithm": "none", "name": ""})).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.invalid_fields().len(), 2);
}

async fn renaming_an_auth_server_onto_another_name_is_a_conflict(app: TestApp) {
    app.create_auth_server("taken").await;
    let other = app.create_auth_server("other").await;
    let response = app.patch(&format!("/v1/auth-servers/{}", str_of(&other, "id")), json!({"name": "taken"})).await;
    assert_eq!(response.status, 409);
}

async fn deleting_an_auth_server_is_refused_while_resources_exist_unless_forced(app: TestApp) {
    let server = app.create_auth_server("doomed").await;
    let id = str_of(&server, "id");
    let scope = app.create_scope(id, "scope1").await;
    app.create_client(id, "client1", &[str_of(&scope, "id")]).await;
    let refused = app.delete(&format!("/v1/auth-servers/{id}")).await;
    assert_eq!(refused.status, 400);
    assert!(str_of(&refused.body, "detail").contains("1 scopes"), "{}", refused.text);
    let also_refused = app.delete(&format!("/v1/auth-servers/{id}?force=false")).await;
    assert_eq!(also_refused.status, 400);
    assert_eq!(app.delete(&format!("/v1/auth-servers/{id}?force=yes")).await.status, 400);
    assert_eq!(app.get(&format!("/v1/auth-servers/{id}/scopes")).await.body["meta"]["page"]["total"], 1);

    assert_eq!(app.delete(&format!("/v1/auth-servers/{id}?force=true")).await.status, 204);
    assert_eq!(app.get(&format!("/v1/auth-servers/{id}")).await.status, 404);
    assert_eq!(app.get(&format!("/v1/auth-servers/{id}/scopes")).await.status, 404);
    // The name is free again once the server and everything below it are gone.
    app.create_auth_server("doomed").await;
}

async fn an_empty_auth_server_is_deleted_without_force(app: TestApp) {
    let server = app.create_auth_server("empty").await;
    assert_eq!(app.delete(&format!("/v1/auth-servers/{}", str_of(&server, "id"))).await.status, 204);
}

async fn auth_server_lists_paginate_sort_and_filter(app: TestApp) {
    for (name, audience, env) in [("Charlie", "aud-c", "prod"), ("alpha", "aud-a", "dev"), ("Bravo", "aud-b", "prod")] {
        let response =
            app.post("/v1/auth-servers", json!({"name": name, "audience": audience, "labels": {"env": env}})).await;
        assert_eq!(response.status, 201);
    }
    let names = |response: &crate::helpers::TestResponse| -> Vec<String> {
        response.body["data"].as_array().unwrap().iter().map(|s| str_of(s, "name").to_owned()).collect()
    };
    let all = app.get("/v1/auth-servers").await;
    assert_eq!(names(&all), ["Charlie", "alpha", "Bravo"], "creation order by default");
    assert_eq!(all.body["meta"]["page"], json!({"number": 1, "size": 100, "total": 3}));

    let page = app.get("/v1/auth-servers?page[size]=2&page[number]=2&sort=audience").await;
    assert_eq!(names(&page), ["Charlie"]);
    assert_eq!(page.body["meta"]["page"], json!({"number": 2, "size": 2, "total": 3}));
    assert_eq!(names(&app.get("/v1/auth-servers?sort=audience%20desc").await), ["Charlie", "Bravo", "alpha"]);
    assert_eq!(names(&app.get("/v1/auth-servers?sort=created_at%20desc").await), ["Bravo", "alpha", "Charlie"]);
    assert_eq!(names(&app.get("/v1/auth-servers?filter[name][contains]=AL").await), ["alpha"]);
    assert_eq!(names(&app.get("/v1/auth-servers?filter[name][eq]=Bravo").await), ["Bravo"]);
    assert_eq!(names(&app.get("/v1/auth-servers?filter[name]=Bravo").await), ["Bravo"]);
    assert_eq!(names(&app.get("/v1/auth-servers?filter[labels][eq]=env:prod").await), ["Charlie", "Bravo"]);
    assert_eq!(names(&app.get("/v1/auth-servers?filter[labels]=env").await).len(), 3);
    assert_eq!(names(&app.get("/v1/auth-servers?filter[audience][contains]=-b").await), ["Bravo"]);
    let beyond = app.get("/v1/auth-servers?page[number]=9").await;
    assert_eq!((names(&beyond).len(), &beyond.body["meta"]["page"]["total"]), (0, &json!(3)));

    for bad in [
        "page[size]=0",
        "page[size]=1001",
        "page[number]=x",
        "sort=secret",
        "sort=name%20up",
        "filter[secret]=x",
        "filter[id][contains]=x",
        "colour=blue",
    ] {
        let response = app.get(&format!("/v1/auth-servers?{bad}")).await;
        assert_eq!(response.status, 400, "{bad}: {}", response.text);
    }
}

backend_tests!(
    creating_an_auth_server_returns_the_shape_kongs_tutorial_shows,
    every_auth_server_gets_its_own_issuer,
    auth_server_names_are_unique,
    concurrent_duplicate_creates_give_one_201_and_the_rest_409,
    invalid_auth_server_bodies_get_400_naming_each_field,
    unreadable_bodies_get_a_precise_4xx,
    unknown_and_malformed_auth_server_ids_get_404_and_400,
    patching_an_auth_server_changes_only_the_given_fields,
    renaming_an_auth_server_onto_another_name_is_a_conflict,
    deleting_an_auth_server_is_refused_while_resources_exist_unless_forced,
    an_empty_auth_server_is_deleted_without_force,
    auth_server_lists_paginate_sort_and_filter
);
