//! Claim templates over HTTP: the reference notes' examples through test-claim and inside
//! issued tokens (verified through discovery), save-time rejection, and token-time failures.

use serde_json::{Value, json};

use crate::helpers::{Seed, TestApp, backend_tests, jwt_parts, str_of};
use crate::jose::verify_via_discovery;

fn is_uuid_v4(value: &Value) -> bool {
    value.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()).is_some_and(|u| u.get_version_num() == 4)
}

impl TestApp {
    async fn label_client(&self, seed: &Seed, labels: Value) {
        let path = format!("/v1/auth-servers/{}/clients/{}", seed.server_id, seed.client_id);
        let response = self.patch(&path, json!({ "labels": labels })).await;
        assert_eq!(response.status, 200, "{}", response.text);
    }

    async fn test_claim(&self, seed: &Seed, templates: Value) -> crate::helpers::TestResponse {
        let path = format!("/v1/auth-servers/{}/clients/{}/test-claim", seed.server_id, seed.client_id);
        self.post(&path, templates).await
    }
}

async fn every_documented_example_renders_through_test_claim(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    app.label_client(&seed, json!({"environment": "staging"})).await;
    let before = chrono::Utc::now();
    let response = app
        .test_claim(
            &seed,
            json!({
                "destination": "anywhere",
                "uuid": "${ uuidv4 }",
                "name": "${ .Client.Name }",
                "issued": "${ now | date \"2006-01-02T15:04:05Z07:00\" }",
                "audience_client": "${ .AuthServer.Audience }-${ .Client.ID }",
                "environment": "${ .Client.Labels.environment | default \"production\" }",
                "region": "${ .Client.Labels.region | default \"eu-west\" }",
                "shout": "${ upper .Client.Name }",
                "random": "${ randAlphaNum 16 }",
                "sum": "${ add 1 2 }",
                "ratio": "${ divf 1 4 }",
                "flag": "${ has \"client_credentials\" .Client.GrantTypes }",
                "object": "${ dict \"tier\" 3 | toJson }",
                "list": "${ list \"a\" \"b\" | toJson }",
                "quoted": "${ quote .Client.Name }",
                "digits": "${ quote 42 }",
            }),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let body = &response.body;
    assert_eq!(body["destination"], "anywhere");
    assert!(is_uuid_v4(&body["uuid"]), "{body}");
    assert_eq!(body["name"], "client1");
    let issued = chrono::DateTime::parse_from_rfc3339(str_of(body, "issued")).unwrap();
    assert!((issued.timestamp() - before.timestamp()).abs() <= 5, "{issued}");
    assert!(str_of(body, "issued").ends_with('Z'), "UTC prints Z07:00 as Z: {}", body["issued"]);
    assert_eq!(body["audience_client"], format!("http://myhttpbin.dev-{}", seed.client_id));
    assert_eq!(body["environment"], "staging");
    assert_eq!(body["region"], "eu-west");
    assert_eq!(body["shout"], "CLIENT1");
    let random = str_of(body, "random");
    assert!(random.len() == 16 && random.bytes().all(|b| b.is_ascii_alphanumeric()), "{random}");
    assert_eq!(body["sum"], json!(3));
    assert_eq!(body["ratio"], json!(0.25));
    assert_eq!(body["flag"], json!(true));
    assert_eq!(body["object"], json!({"tier": 3}));
    assert_eq!(body["list"], json!(["a", "b"]));
    assert_eq!(body["quoted"], "client1", "a JSON string is typed as that string");
    assert_eq!(body["digits"], "42", "quote keeps a number a string");
}

async fn template_claims_render_inside_every_issued_token(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    app.label_client(&seed, json!({"environment": "prod", "team": "payments"})).await;
    for (name, value) in [
        ("request_id", "${ uuidv4 }"),
        ("client_name", "${ .Client.Name }"),
        ("issued", "${ now | date \"2006-01-02T15:04:05Z07:00\" }"),
        ("audience_client", "${ .AuthServer.Audience }-${ .Client.ID }"),
        ("env", "${ .Client.Labels.environment | default \"production\" }"),
        ("region", "${ .Client.Labels.region | default \"eu-west\" }"),
        ("shout", "${ upper .Client.Name }"),
        ("nonce16", "${ randAlphaNum 16 }"),
        ("owner", "${ .Client.Labels.team }@${ .AuthServer.Name }"),
        ("tier", "${ len .Client.GrantTypes }"),
    ] {
        app.create_claim(
            &seed.server_id,
            json!({"name": name, "value": value, "include_in_token": true, "include_in_all_scopes": true}),
        )
        .await;
    }
    let first = app.access_token(&seed).await;
    let verified = verify_via_discovery(&app, &seed.issuer, &first, "http://myhttpbin.dev").await;
    assert!(is_uuid_v4(&verified.custom["request_id"]), "{:?}", verified.custom);
    assert_eq!(verified.custom["env"], "prod");
    assert_eq!(verified.custom["region"], "eu-west");
    assert_eq!(verified.custom["client_name"], "client1");
    assert_eq!(verified.custom["shout"], "CLIENT1");
    assert_eq!(verified.custom["audience_client"], format!("http://myhttpbin.dev-{}", seed.client_id));
    let issued = chrono::DateTime::parse_from_rfc3339(verified.custom["issued"].as_str().unwrap()).unwrap();
    let (_, payload) = jwt_parts(&first);
    assert_eq!(Some(issued.timestamp()), payload["iat"].as_i64(), "now is the instant the token is minted");
    let nonce = verified.custom["nonce16"].as_str().unwrap();
    assert!(nonce.len() == 16 && nonce.bytes().all(|b| b.is_ascii_alphanumeric()), "{nonce}");
    assert_eq!(verified.custom["owner"], "payments@AuthN_Server_RS256");
    assert_eq!(verified.custom["tier"], json!(1));
    assert_eq!(verified.custom["claim1"], "claim1", "static claims are unchanged");
    let (_, second) = jwt_parts(&app.access_token(&seed).await);
    assert_ne!(second["request_id"], verified.custom["request_id"], "rendered anew for each token");
}

async fn editing_a_template_changes_the_next_token(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let claim = app.create_claim(&seed.server_id, json!({"name": "greeting", "value": "${ lower \"HELLO\" }", "include_in_token": true, "include_in_all_scopes": true})).await;
    let (_, payload) = jwt_parts(&app.access_token(&seed).await);
    assert_eq!(payload["greeting"], "hello");
    let path = format!("/v1/auth-servers/{}/claims/{}", seed.server_id, str_of(&claim, "id"));
    let patched = app.patch(&path, json!({"value": "${ .Client.Name | title }"})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let (_, payload) = jwt_parts(&app.access_token(&seed).await);
    assert_eq!(payload["greeting"], "Client1");
}

async fn invalid_templates_are_rejected_when_a_claim_is_saved(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let path = format!("/v1/auth-servers/{}/claims", seed.server_id);
    let cases = [
        ("${ uuidv5 }", "function \"uuidv5\" not defined at column 4"),
        ("id-${ .Client.Id }", "unknown field .Client.Id: Client has no field Id"),
        ("${ upper }", "wrong number of arguments for upper: want 1, got 0"),
        ("${ upper .Client.Name", "unclosed action"),
        ("${ if .Client.AllowAllScopes }yes", "if has no end"),
    ];
    for (value, reason) in cases {
        let response = app.post(&path, json!({"name": "bad", "value": value})).await;
        assert_eq!(response.status, 400, "{value}: {}", response.text);
        assert_eq!(response.rule_for("value").as_deref(), Some("template"), "{value}");
        let detail = str_of(&response.body, "detail");
        assert!(
            detail.starts_with("Invalid parameter [value]: invalid template: ") && detail.contains(reason),
            "{value}: {detail}"
        );
    }
    let claim = app.create_claim(&seed.server_id, json!({"name": "ok", "value": "${ uuidv4 }"})).await;
    let claim_path = format!("{path}/{}", str_of(&claim, "id"));
    let response = app.patch(&claim_path, json!({"value": "${ .Nope }"})).await;
    assert_eq!(response.rule_for("value").as_deref(), Some("template"), "{}", response.text);
    assert_eq!(app.get(&claim_path).await.body["value"], "${ uuidv4 }", "a rejected patch changes nothing");
}

async fn test_claim_names_the_template_that_fails(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let response = app.test_claim(&seed, json!({"good": "${ uuidv4 }", "bad": "${ .Client.Secret }"})).await;
    assert_eq!(response.status, 400, "{}", response.text);
    assert_eq!(response.rule_for("bad").as_deref(), Some("template"));
    assert!(str_of(&response.body, "detail").contains("unknown field .Client.Secret"), "{}", response.text);
    let response = app.test_claim(&seed, json!({"boom": "${ div 1 0 }"})).await;
    assert_eq!(response.status, 400, "{}", response.text);
    assert!(str_of(&response.body, "detail").contains("integer divide by zero at column 4"), "{}", response.text);
    let response = app.test_claim(&seed, json!({"number": 5})).await;
    assert_eq!(response.rule_for("number").as_deref(), Some("is_string"), "{}", response.text);
    let response = app.test_claim(&seed, json!({})).await;
    assert_eq!((response.status, &response.body), (200, &json!({})));
    let missing = format!("/v1/auth-servers/{}/clients/nosuchclient/test-claim", seed.server_id);
    assert_eq!(app.post(&missing, json!({"a": "b"})).await.status, 404);
    let missing = format!("/v1/auth-servers/{}/clients/{}/test-claim", uuid::Uuid::new_v4(), seed.client_id);
    assert_eq!(app.post(&missing, json!({"a": "b"})).await.status, 404);
}

async fn a_template_that_fails_at_token_time_refuses_only_that_token(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    app.create_claim(&seed.server_id, json!({"name": "per_shard", "value": "${ div 100 (atoi .Client.Labels.shards) }", "include_in_token": true, "include_in_all_scopes": true})).await;
    app.label_client(&seed, json!({"shards": "0"})).await;
    let response = app.token(&seed, Some("scope1")).await;
    assert_eq!(response.status, 500, "{}", response.text);
    assert_eq!(response.body["error"], "server_error");
    assert!(str_of(&response.body, "error_description").contains("per_shard"), "{}", response.text);
    assert!(!response.text.contains("divide"), "the reason stays in the logs and test-claim: {}", response.text);
    app.label_client(&seed, json!({"shards": "4"})).await;
    let (_, payload) = jwt_parts(&app.access_token(&seed).await);
    assert_eq!(payload["per_shard"], json!(25));
}

async fn runaway_templates_cannot_exhaust_the_server(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let response = app
        .test_claim(
            &seed,
            json!({"big": "${ range until 10000 }${ range until 10000 }${ randAlphaNum 64 }${ end }${ end }"}),
        )
        .await;
    assert_eq!(response.status, 400, "{}", response.text);
    assert!(
        str_of(&response.body, "detail").contains("limit") || str_of(&response.body, "detail").contains("budget"),
        "{}",
        response.text
    );
    let response = app.test_claim(&seed, json!({"huge": "${ repeat 100000000 \"x\" }"})).await;
    assert_eq!(response.status, 400, "{}", response.text);
}

backend_tests!(
    every_documented_example_renders_through_test_claim,
    template_claims_render_inside_every_issued_token,
    editing_a_template_changes_the_next_token,
    invalid_templates_are_rejected_when_a_claim_is_saved,
    test_claim_names_the_template_that_fails,
    a_template_that_fails_at_token_time_refuses_only_that_token,
    runaway_templates_cannot_exhaust_the_server
);
