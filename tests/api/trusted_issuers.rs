//! Trusted issuers (issue 16, README "Trusted issuers"): the management API of the identity
//! providers whose JWTs an auth server will accept, validated field by field, unique by name
//! and issuer, audited, and gone with their auth server.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use tessera::store::{ConnectOptions, Store};

use crate::helpers::{TestApp, backend_tests, str_of};

/// RFC 7517 Appendix A.1's public EC key.
fn jwks() -> Value {
    json!({"keys": [{
        "kty": "EC",
        "crv": "P-256",
        "kid": "issuer-key-1",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    }]})
}

/// An auth server with one client; returns (auth server, trusted issuers path, client id).
async fn server_with_client(app: &TestApp) -> (Value, String, String) {
    let server = app.create_auth_server("trusting").await;
    let id = str_of(&server, "id");
    let client = app.create_client(id, "deployer", &[]).await;
    let path = format!("/v1/auth-servers/{id}/trusted-issuers");
    (server.clone(), path, str_of(&client, "id").to_owned())
}

/// The least a trusted issuer needs: a name, an issuer, a key source and one subject.
fn minimal(name: &str, issuer: &str, client_id: &str) -> Value {
    json!({
        "name": name,
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks"),
        "subjects": [{"subject": "system:serviceaccount:payments:*", "client_id": client_id}],
    })
}

async fn a_trusted_issuer_round_trips_through_create_get_list_patch_and_delete_with_defaults(app: TestApp) {
    let (server, path, client_id) = server_with_client(&app).await;
    let created = app.post(&path, minimal("cluster", "https://k8s.example.com", &client_id)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let issuer = created.body;
    assert_eq!(issuer["allowed_algorithms"], json!(["RS256", "ES256"]));
    assert_eq!(issuer["audience"], server["issuer"], "the auth server's issuer URL by default");
    assert_eq!(issuer["max_token_age_secs"], 3600);
    assert_eq!(issuer["claim_conditions"], json!({}));
    assert_eq!(issuer["copy_claims"], json!([]));
    assert_eq!(issuer["enabled"], true);
    assert_eq!(issuer["jwks_uri"], "https://k8s.example.com/.well-known/jwks");
    assert!(issuer.get("jwks").is_none(), "one key source only: {issuer}");
    assert_eq!(issuer["subjects"], json!([{"subject": "system:serviceaccount:payments:*", "client_id": client_id}]));

    let one = format!("{path}/{}", str_of(&issuer, "id"));
    assert_eq!(app.get(&one).await.body, issuer);
    let listed = app.get(&path).await;
    assert_eq!(listed.body["data"], json!([issuer]));
    assert_eq!(listed.body["meta"]["page"], json!({"number": 1, "size": 100, "total": 1}));

    let patched = app
        .patch(
            &one,
            json!({"jwks": jwks(), "enabled": false, "copy_claims": ["namespace"], "claim_conditions": {"env": "prod"}}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["jwks"], jwks(), "giving jwks replaces jwks_uri");
    assert!(patched.body.get("jwks_uri").is_none(), "{}", patched.text);
    assert_eq!(
        (&patched.body["enabled"], &patched.body["copy_claims"], &patched.body["claim_conditions"]),
        (&json!(false), &json!(["namespace"]), &json!({"env": "prod"}))
    );
    assert_eq!(
        (&patched.body["name"], &patched.body["audience"], &patched.body["created_at"]),
        (&issuer["name"], &issuer["audience"], &issuer["created_at"]),
        "fields not given keep their value"
    );
    let back = app.patch(&one, json!({"jwks_uri": "https://k8s.example.com/keys"})).await;
    assert_eq!(back.body["jwks_uri"], "https://k8s.example.com/keys", "{}", back.text);
    assert!(back.body.get("jwks").is_none(), "{}", back.text);
    assert_eq!(app.get(&one).await.body, back.body);

    assert_eq!(app.delete(&one).await.status, 204);
    assert_eq!(app.get(&one).await.status, 404);
    assert_eq!(app.patch(&one, json!({"enabled": true})).await.status, 404);
    assert_eq!(app.delete(&one).await.status, 404);
    assert_eq!(app.get(&path).await.body["meta"]["page"]["total"], 0);
}

async fn every_rule_of_a_trusted_issuer_gives_a_400_naming_its_field(app: TestApp) {
    let (_, path, client_id) = server_with_client(&app).await;
    let base = minimal("cluster", "https://k8s.example.com", &client_id);
    let with = |changes: Value| {
        let mut body = base.clone();
        for (key, value) in changes.as_object().unwrap() {
            if value.is_null() {
                body.as_object_mut().unwrap().remove(key);
            } else {
                body[key] = value.clone();
            }
        }
        body
    };
    let subjects = |subject: &str, client: &str| json!([{"subject": subject, "client_id": client}]);
    let cases = [
        ("no key source", with(json!({"jwks_uri": null})), vec!["jwks"], "required"),
        ("both key sources", with(json!({"jwks": jwks()})), vec!["jwks", "jwks_uri"], "invalid"),
        ("an http issuer off loopback", with(json!({"issuer": "http://k8s.example.com"})), vec!["issuer"], "invalid"),
        (
            "an http jwks_uri off loopback",
            with(json!({"jwks_uri": "http://k8s.example.com/k"})),
            vec!["jwks_uri"],
            "invalid",
        ),
        (
            "a private key",
            with(json!({"jwks_uri": null, "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}})),
            vec!["jwks.keys[0]"],
            "invalid",
        ),
        (
            "an unknown client",
            with(
                json!({"subjects": [{"subject": "a", "client_id": client_id}, {"subject": "b", "client_id": "nobody"}]}),
            ),
            vec!["subjects[1].client_id"],
            "missing_reference",
        ),
        (
            "a bare wildcard subject",
            with(json!({"subjects": subjects("*", &client_id)})),
            vec!["subjects[0].subject"],
            "invalid",
        ),
        ("no subject", with(json!({"subjects": []})), vec!["subjects"], "invalid"),
        (
            "a mapping with an unknown member",
            with(json!({"subjects": [{"subject": "a", "client_id": client_id, "scope": "x"}]})),
            vec!["subjects[0].scope"],
            "unknown_property",
        ),
        ("a reserved copy claim", with(json!({"copy_claims": ["team", "sub"]})), vec!["copy_claims[1]"], "invalid"),
        ("a token age under a minute", with(json!({"max_token_age_secs": 59})), vec!["max_token_age_secs"], "min"),
        ("a token age over a day", with(json!({"max_token_age_secs": 86_401})), vec!["max_token_age_secs"], "max"),
        ("no algorithm", with(json!({"allowed_algorithms": []})), vec!["allowed_algorithms"], "invalid"),
        (
            "an HMAC algorithm",
            with(json!({"allowed_algorithms": ["ES256", "HS256"]})),
            vec!["allowed_algorithms[1]"],
            "enum",
        ),
        (
            "a condition that is not a string",
            with(json!({"claim_conditions": {"env": 1}})),
            vec!["claim_conditions.env"],
            "is_string",
        ),
        ("an empty audience", with(json!({"audience": ""})), vec!["audience"], "min_length"),
        ("no name", with(json!({"name": null})), vec!["name"], "required"),
        ("no issuer", with(json!({"issuer": null})), vec!["issuer"], "required"),
        ("no subjects", with(json!({"subjects": null})), vec!["subjects"], "required"),
        ("an unknown field", with(json!({"audiences": ["a"]})), vec!["audiences"], "unknown_property"),
    ];
    for (case, body, fields, rule) in cases {
        let refused = app.post(&path, body).await;
        assert_eq!(refused.status, 400, "{case}: {}", refused.text);
        assert_eq!(refused.invalid_fields(), fields, "{case}: {}", refused.text);
        assert_eq!(refused.rule_for(fields[0]).as_deref(), Some(rule), "{case}: {}", refused.text);
    }
    assert_eq!(app.get(&path).await.body["meta"]["page"]["total"], 0, "nothing refused was saved");

    let created = app.post(&path, base.clone()).await;
    let one = format!("{path}/{}", str_of(&created.body, "id"));
    for (case, body, field) in [
        ("both key sources", json!({"jwks": jwks(), "jwks_uri": "https://k8s.example.com/k"}), "jwks"),
        ("an unknown client", json!({"subjects": subjects("a", "nobody")}), "subjects[0].client_id"),
        ("a bare wildcard subject", json!({"subjects": subjects("**", &client_id)}), "subjects[0].subject"),
        ("a null key source", json!({"jwks_uri": null}), "jwks_uri"),
    ] {
        let refused = app.patch(&one, body).await;
        assert_eq!(refused.status, 400, "PATCH {case}: {}", refused.text);
        assert_eq!(refused.invalid_fields()[0], field, "PATCH {case}: {}", refused.text);
    }
    assert_eq!(app.get(&one).await.body, created.body, "a refused PATCH changes nothing");
}

async fn trusted_issuer_names_and_issuers_are_unique_within_an_auth_server(app: TestApp) {
    let (_, path, client_id) = server_with_client(&app).await;
    let first = app.post(&path, minimal("cluster", "https://k8s.example.com", &client_id)).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let same_name = app.post(&path, minimal("cluster", "https://other.example.com", &client_id)).await;
    assert_eq!(same_name.status, 409, "{}", same_name.text);
    assert!(str_of(&same_name.body, "detail").contains("named [cluster]"), "{}", same_name.text);
    let same_issuer = app.post(&path, minimal("cluster-2", "https://k8s.example.com", &client_id)).await;
    assert_eq!(same_issuer.status, 409, "{}", same_issuer.text);
    assert!(str_of(&same_issuer.body, "detail").contains("issuer [https://k8s.example.com]"), "{}", same_issuer.text);

    let second = app.post(&path, minimal("ci", "https://ci.example.com", &client_id)).await;
    let second_path = format!("{path}/{}", str_of(&second.body, "id"));
    assert_eq!(app.patch(&second_path, json!({"name": "cluster"})).await.status, 409);
    assert_eq!(app.patch(&second_path, json!({"issuer": "https://k8s.example.com"})).await.status, 409);

    let elsewhere = app.create_auth_server("elsewhere").await;
    let other_id = str_of(&elsewhere, "id");
    let other_client = app.create_client(other_id, "deployer", &[]).await;
    let again = app
        .post(
            &format!("/v1/auth-servers/{other_id}/trusted-issuers"),
            minimal("cluster", "https://k8s.example.com", str_of(&other_client, "id")),
        )
        .await;
    assert_eq!(again.status, 201, "another auth server may trust the same issuer: {}", again.text);
}

async fn of_parallel_creates_of_one_trusted_issuer_exactly_one_wins(app: TestApp) {
    let (_, path, client_id) = server_with_client(&app).await;
    let bodies: Vec<Value> =
        (0..6).map(|i| minimal(&format!("cluster-{i}"), "https://k8s.example.com", &client_id)).collect();
    let responses = join_all(bodies.into_iter().map(|body| app.post(&path, body))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409], "one issuer URL, one winner");

    let responses = join_all(
        (0..6).map(|i| app.post(&path, minimal("same-name", &format!("https://issuer-{i}.example.com"), &client_id))),
    )
    .await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409], "one name, one winner");
    assert_eq!(app.get(&path).await.body["meta"]["page"]["total"], 2);
}

async fn each_trusted_issuer_write_records_one_audit_event(app: TestApp) {
    let (server, path, client_id) = server_with_client(&app).await;
    let created = app.post(&path, minimal("cluster", "https://k8s.example.com", &client_id)).await;
    let id = str_of(&created.body, "id").to_owned();
    let one = format!("{path}/{id}");
    assert_eq!(app.post(&path, minimal("cluster", "https://k8s.example.com", &client_id)).await.status, 409);
    assert_eq!(app.patch(&one, json!({"enabled": false})).await.status, 200);
    assert_eq!(app.patch(&one, json!({"enabled": false})).await.status, 200, "a PATCH that changes nothing");
    assert_eq!(app.patch(&one, json!({"subjects": [{"subject": "*", "client_id": client_id}]})).await.status, 400);
    assert_eq!(app.delete(&one).await.status, 204);

    let events = app.get("/v1/audit-events?filter[resource_type]=trusted_issuer").await;
    assert_eq!(events.status, 200, "{}", events.text);
    let events = events.body["data"].as_array().unwrap().clone();
    let actions: Vec<&str> = events.iter().map(|e| str_of(e, "action")).collect();
    assert_eq!(actions, ["trusted_issuer.created", "trusted_issuer.updated", "trusted_issuer.deleted"]);
    for event in &events {
        assert_eq!(event["resource_id"], id.as_str(), "{event}");
        assert_eq!(event["auth_server_id"], server["id"], "{event}");
    }
    let created_fields: Vec<&str> =
        events[0]["changes"].as_array().unwrap().iter().map(|c| str_of(c, "field")).collect();
    assert_eq!(
        created_fields,
        [
            "allowed_algorithms",
            "audience",
            "claim_conditions",
            "copy_claims",
            "enabled",
            "issuer",
            "jwks_uri",
            "max_token_age_secs",
            "name",
            "subjects"
        ],
        "every field that has a value"
    );
    assert_eq!(events[1]["changes"], json!([{"field": "enabled", "old": true, "new": false}]));
}

async fn a_read_only_credential_reads_trusted_issuers_but_cannot_write_them(app: TestApp) {
    let (server, path, client_id) = server_with_client(&app).await;
    let created = app.post(&path, minimal("cluster", "https://k8s.example.com", &client_id)).await;
    let one = format!("{path}/{}", str_of(&created.body, "id"));
    let credential = app
        .post(
            "/v1/admin-credentials",
            json!({"name": "auditor", "role": "read-only", "auth_server_ids": [server["id"]]}),
        )
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
    let create = as_reader(Method::POST, &path, Some(minimal("ci", "https://ci.example.com", &client_id))).await;
    assert_eq!(create.status, 403, "{}", create.text);
    assert_eq!(as_reader(Method::PATCH, &one, Some(json!({"enabled": false}))).await.status, 403);
    assert_eq!(as_reader(Method::DELETE, &one, None).await.status, 403);
    assert_eq!(app.get(&one).await.body, created.body, "nothing changed");
}

async fn trusted_issuers_of_one_auth_server_are_invisible_from_another(app: TestApp) {
    let (_, path, client_id) = server_with_client(&app).await;
    let created = app.post(&path, minimal("cluster", "https://k8s.example.com", &client_id)).await;
    let other = app.create_auth_server("other").await;
    let elsewhere =
        format!("/v1/auth-servers/{}/trusted-issuers/{}", str_of(&other, "id"), str_of(&created.body, "id"));
    assert_eq!(app.get(&elsewhere).await.status, 404);
    assert_eq!(app.patch(&elsewhere, json!({"enabled": false})).await.status, 404);
    assert_eq!(app.delete(&elsewhere).await.status, 404);
    let borrowing = app
        .post(
            &format!("/v1/auth-servers/{}/trusted-issuers", str_of(&other, "id")),
            minimal("cluster", "https://k8s.example.com", &client_id),
        )
        .await;
    assert_eq!(borrowing.rule_for("subjects[0].client_id").as_deref(), Some("missing_reference"), "{}", borrowing.text);
}

/// What another engineer's cache loader reads: every trusted issuer, enabled or not, oldest
/// first; and nothing once the auth server is deleted.
async fn deleting_an_auth_server_deletes_its_trusted_issuers(app: TestApp) {
    let (server, path, client_id) = server_with_client(&app).await;
    let server_id = uuid::Uuid::parse_str(str_of(&server, "id")).unwrap();
    let first = app.post(&path, minimal("cluster", "https://k8s.example.com", &client_id)).await;
    let mut disabled = minimal("ci", "https://ci.example.com", &client_id);
    disabled["enabled"] = json!(false);
    let second = app.post(&path, disabled).await;
    assert_eq!(second.status, 201, "{}", second.text);

    let store = Store::connect(&ConnectOptions {
        url: app.database_url.clone(),
        max_connections: 2,
        acquire_timeout: std::time::Duration::from_secs(10),
    })
    .unwrap();
    let loaded = tessera::store::trusted_issuers::for_server(&store, server_id).await.unwrap();
    let names: Vec<&str> = loaded.iter().map(|issuer| issuer.name.as_str()).collect();
    assert_eq!(names, ["cluster", "ci"]);
    assert_eq!(loaded[0].id.to_string(), str_of(&first.body, "id"));
    assert!(!loaded[1].enabled);

    assert_eq!(app.delete(&format!("/v1/auth-servers/{server_id}?force=true")).await.status, 204);
    assert!(tessera::store::trusted_issuers::for_server(&store, server_id).await.unwrap().is_empty());
    assert_eq!(app.get(&path).await.status, 404);
    store.close().await;
}

backend_tests!(
    a_trusted_issuer_round_trips_through_create_get_list_patch_and_delete_with_defaults,
    every_rule_of_a_trusted_issuer_gives_a_400_naming_its_field,
    trusted_issuer_names_and_issuers_are_unique_within_an_auth_server,
    of_parallel_creates_of_one_trusted_issuer_exactly_one_wins,
    each_trusted_issuer_write_records_one_audit_event,
    a_read_only_credential_reads_trusted_issuers_but_cannot_write_them,
    trusted_issuers_of_one_auth_server_are_invisible_from_another,
    deleting_an_auth_server_deletes_its_trusted_issuers
);
