//! The lookup API a gateway calls (README "The lookup API"): a presented API key or basic-auth
//! pair, or an identity, answered with the principal or `active: false`, cacheable for the
//! directory's TTLs.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, backend_tests, str_of};

struct Setup {
    directory: String,
    principal: String,
    gateway: String,
    api_key: String,
    api_key_id: String,
}

async fn setup(app: &TestApp) -> Setup {
    let directory =
        app.post("/v2/directories", json!({"name": "edge", "ttl_secs": 900, "negative_ttl_secs": 300})).await;
    let directory = str_of(&directory.body, "id").to_owned();
    let principal = app
        .post(
            &format!("/v2/directories/{directory}/principals"),
            json!({"display_name": "acme", "metadata": {"tier": "gold", "quota": 100}, "labels": {"team": "a"}}),
        )
        .await;
    assert_eq!(principal.status, 201, "{}", principal.text);
    let principal = str_of(&principal.body, "id").to_owned();
    let key =
        app.post(&format!("/v2/directories/{directory}/principals/{principal}/api-keys"), json!({"type": "v1"})).await;
    assert_eq!(key.status, 201, "{}", key.text);
    assert_eq!(key.header("cache-control"), Some("no-store"), "the answer that carries the key is not cached");
    let gateway = app
        .post("/v1/admin-credentials", json!({"name": "edge-gateway", "role": "gateway", "directory_ids": [directory]}))
        .await;
    assert_eq!(gateway.status, 201, "{}", gateway.text);
    Setup {
        gateway: str_of(&gateway.body, "token").to_owned(),
        api_key: str_of(&key.body, "secret").to_owned(),
        api_key_id: str_of(&key.body, "id").to_owned(),
        directory,
        principal,
    }
}

async fn ask(app: &TestApp, token: &str, path: &str, body: Value) -> TestResponse {
    app.send(app.http.request(Method::POST, app.url(path)).bearer_auth(token).json(&body)).await
}

async fn a_gateway_authenticates_api_keys_and_basic_auth_to_their_principal(app: TestApp) {
    let s = setup(&app).await;
    let path = format!("/v2/directories/{}/authenticate", s.directory);
    let found = ask(&app, &s.gateway, &path, json!({"api_key": s.api_key})).await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.body["active"], true);
    assert_eq!(found.body["directory_id"], s.directory.as_str());
    assert_eq!(
        found.body["principal"],
        json!({"id": s.principal, "display_name": "acme", "metadata": {"tier": "gold", "quota": 100}, "labels": {"team": "a"}})
    );
    assert_eq!(found.header("cache-control"), Some("private, max-age=900"));

    let missing = ask(&app, &s.gateway, &path, json!({"api_key": format!("{}x", s.api_key)})).await;
    assert_eq!(missing.status, 200);
    assert_eq!(missing.body, json!({"active": false, "directory_id": s.directory}));
    assert_eq!(missing.header("cache-control"), Some("private, max-age=300"));

    let basic = app
        .post(
            &format!("/v2/directories/{}/principals/{}/basic-auths", s.directory, s.principal),
            json!({"username": "acme-svc"}),
        )
        .await;
    assert_eq!(basic.status, 201, "{}", basic.text);
    let password = app
        .post(
            &format!(
                "/v2/directories/{}/principals/{}/basic-auths/{}/passwords",
                s.directory,
                s.principal,
                str_of(&basic.body, "id")
            ),
            json!({"secret": "correct horse battery staple"}),
        )
        .await;
    assert_eq!(password.status, 201, "{}", password.text);
    let pair =
        ask(&app, &s.gateway, &path, json!({"username": "acme-svc", "password": "correct horse battery staple"})).await;
    assert_eq!(pair.body["active"], true, "{}", pair.text);
    assert_eq!(pair.body["principal"]["id"], s.principal.as_str());
    for (username, password) in [("acme-svc", "wrong"), ("nobody", "correct horse battery staple")] {
        let refused = ask(&app, &s.gateway, &path, json!({"username": username, "password": password})).await;
        assert_eq!(refused.body["active"], false, "{username}");
    }

    // The answer follows the principal: its metadata now, and nothing once it is gone.
    let principal_path = format!("/v2/directories/{}/principals/{}", s.directory, s.principal);
    assert_eq!(app.patch(&principal_path, json!({"metadata": {"tier": "silver"}})).await.status, 200);
    let changed = ask(&app, &s.gateway, &path, json!({"api_key": s.api_key})).await;
    assert_eq!(changed.body["principal"]["metadata"], json!({"tier": "silver"}));
    assert_eq!(app.delete(&principal_path).await.status, 204);
    assert_eq!(ask(&app, &s.gateway, &path, json!({"api_key": s.api_key})).await.body["active"], false);
}

async fn a_gateway_resolves_identities_to_their_principal(app: TestApp) {
    let s = setup(&app).await;
    let identities = format!("/v2/directories/{}/principals/{}/identities", s.directory, s.principal);
    let oidc = json!({"type": "oidc", "issuer": "https://token.actions.githubusercontent.com",
                      "claim": {"name": "sub", "value": "repo:acme/billing:ref:refs/heads/main"}});
    assert_eq!(app.post(&identities, oidc.clone()).await.status, 201);
    assert_eq!(app.post(&identities, json!({"type": "custom", "key": "tenant", "value": "acme"})).await.status, 201);
    let path = format!("/v2/directories/{}/resolve", s.directory);
    for body in [oidc, json!({"type": "custom", "key": "tenant", "value": "acme"})] {
        let found = ask(&app, &s.gateway, &path, body.clone()).await;
        assert_eq!(found.status, 200, "{body}: {}", found.text);
        assert_eq!(found.body["principal"]["id"], s.principal.as_str(), "{body}");
        assert_eq!(found.header("cache-control"), Some("private, max-age=900"));
    }
    let unknown = ask(&app, &s.gateway, &path, json!({"type": "custom", "key": "tenant", "value": "globex"})).await;
    assert_eq!(unknown.body["active"], false);
    assert_eq!(unknown.header("cache-control"), Some("private, max-age=300"));
}

/// A gateway reaches the lookups of its directories and nothing else; bad bodies are named.
async fn the_lookup_api_is_for_gateways_of_the_directory_and_refuses_bad_bodies(app: TestApp) {
    let s = setup(&app).await;
    let other = app.post("/v2/directories", json!({"name": "elsewhere"})).await;
    let elsewhere = ask(
        &app,
        &s.gateway,
        &format!("/v2/directories/{}/authenticate", str_of(&other.body, "id")),
        json!({"api_key": s.api_key}),
    )
    .await;
    assert_eq!(elsewhere.status, 404, "another directory does not exist for this gateway");
    let read =
        app.send(app.http.get(app.url(&format!("/v2/directories/{}", s.directory))).bearer_auth(&s.gateway)).await;
    assert_eq!(read.status, 403, "a gateway only looks up");
    let reader = app.post("/v1/admin-credentials", json!({"name": "reader", "role": "read-only"})).await;
    let looked_up = ask(
        &app,
        str_of(&reader.body, "token"),
        &format!("/v2/directories/{}/authenticate", s.directory),
        json!({"api_key": s.api_key}),
    )
    .await;
    assert_eq!(looked_up.status, 403, "read-only does not authenticate credentials");

    let path = format!("/v2/directories/{}/authenticate", s.directory);
    for (body, field, rule) in [
        (json!({}), "api_key", "required"),
        (json!({"username": "u"}), "password", "required"),
        (json!({"password": "p"}), "username", "required"),
        (json!({"api_key": "k", "username": "u", "password": "p"}), "api_key", "invalid"),
        (json!({"api_key": 7}), "api_key", "is_string"),
        (json!({"token": "k"}), "token", "unknown_property"),
    ] {
        let refused = ask(&app, &s.gateway, &path, body.clone()).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
        assert_eq!(refused.rule_for(field).as_deref(), Some(rule), "{body}: {}", refused.text);
    }
    let resolve = format!("/v2/directories/{}/resolve", s.directory);
    for (body, field) in [(json!({"type": "ldap"}), "type"), (json!({"type": "custom", "key": "k"}), "value")] {
        let refused = ask(&app, &s.gateway, &resolve, body.clone()).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
        assert!(refused.rule_for(field).is_some(), "{body}: {}", refused.text);
    }
    let unknown = uuid::Uuid::new_v4();
    let admin_asks = app.post(&format!("/v2/directories/{unknown}/authenticate"), json!({"api_key": "k"})).await;
    assert_eq!(admin_asks.status, 404);
}

/// A gateway never caches an answer past the expiry of the credential that matched.
async fn an_answer_is_cached_no_longer_than_its_credential_lives(app: TestApp) {
    let s = setup(&app).await;
    let soon = (chrono::Utc::now() + chrono::TimeDelta::seconds(120)).to_rfc3339();
    let keys = format!("/v2/directories/{}/principals/{}/api-keys", s.directory, s.principal);
    let key = app.post(&keys, json!({"type": "v1", "expires_at": soon})).await;
    assert_eq!(key.status, 201, "{}", key.text);
    let path = format!("/v2/directories/{}/authenticate", s.directory);
    let found = ask(&app, &s.gateway, &path, json!({"api_key": str_of(&key.body, "secret")})).await;
    assert_eq!(found.body["active"], true);
    let max_age: i64 = found.header("cache-control").unwrap().trim_start_matches("private, max-age=").parse().unwrap();
    assert!(
        (100..=120).contains(&max_age),
        "max-age {max_age} is bounded by the key's expiry, not the directory's 900"
    );
}

/// An identity may name only an auth server its author reaches: to a directory-admin, every
/// auth server is as absent as an unknown one.
async fn a_directory_admin_cannot_link_or_probe_clients_of_auth_servers_it_does_not_reach(app: TestApp) {
    let s = setup(&app).await;
    let seed = app.auth_server_with_client().await;
    let admin = app
        .post(
            "/v1/admin-credentials",
            json!({"name": "dir-admin", "role": "directory-admin", "directory_ids": [s.directory]}),
        )
        .await;
    let token = str_of(&admin.body, "token").to_owned();
    let identities = format!("/v2/directories/{}/principals/{}/identities", s.directory, s.principal);
    let existing = json!({"type": "auth_server_client", "auth_server_id": seed.server_id, "client_id": seed.client_id});
    let unknown = json!({"type": "auth_server_client", "auth_server_id": uuid::Uuid::new_v4(), "client_id": "nobody"});
    let (a, b) =
        (ask(&app, &token, &identities, existing.clone()).await, ask(&app, &token, &identities, unknown).await);
    assert_eq!((a.status, b.status), (400, 400), "{} {}", a.text, b.text);
    assert_eq!(
        a.body["invalid_parameters"], b.body["invalid_parameters"],
        "a real and an unknown auth server look alike"
    );
    assert_eq!(app.post(&identities, existing).await.status, 201, "an admin may link it");
}

/// Asks the forwarded form (GET, the caller's credential in headers), as nginx and Envoy do.
async fn forward(app: &TestApp, s: &Setup, headers: &[(&str, &str)]) -> TestResponse {
    let mut request =
        app.http.get(app.url(&format!("/v2/directories/{}/authenticate", s.directory))).bearer_auth(&s.gateway);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request).await
}

async fn add_password(app: &TestApp, s: &Setup, username: &str, password: &str) {
    let basic = app
        .post(
            &format!("/v2/directories/{}/principals/{}/basic-auths", s.directory, s.principal),
            json!({"username": username}),
        )
        .await;
    assert_eq!(basic.status, 201, "{}", basic.text);
    let path = format!(
        "/v2/directories/{}/principals/{}/basic-auths/{}/passwords",
        s.directory,
        s.principal,
        str_of(&basic.body, "id")
    );
    let added = app.post(&path, json!({"secret": password})).await;
    assert_eq!(added.status, 201, "{}", added.text);
}

fn basic(username: &str, password: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}")))
}

/// nginx `auth_request` and Envoy `ext_authz` forward the caller's headers: the status is the
/// verdict and the principal comes back in headers the gateway passes on.
async fn a_gateway_may_forward_the_callers_headers_and_read_the_verdict_from_the_status(app: TestApp) {
    let s = setup(&app).await;
    let found = forward(&app, &s, &[("x-api-key", &s.api_key)]).await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.header("x-principal-id"), Some(s.principal.as_str()));
    assert_eq!(found.header("x-principal-name"), Some("acme"));
    let metadata: Value = serde_json::from_str(found.header("x-principal-metadata").unwrap()).unwrap();
    assert_eq!(metadata, json!({"tier": "gold", "quota": 100}));
    let labels: Value = serde_json::from_str(found.header("x-principal-labels").unwrap()).unwrap();
    assert_eq!(labels, json!({"team": "a"}));
    assert_eq!(found.body["principal"]["id"], s.principal.as_str(), "the body is the POST answer");
    assert_eq!(found.header("cache-control"), Some("private, max-age=900"));

    for (what, headers) in [
        ("no credential", vec![]),
        ("an unknown key", vec![("x-api-key", "tsk_unknown")]),
        ("an empty key", vec![("x-api-key", "")]),
    ] {
        let refused = forward(&app, &s, &headers).await;
        assert_eq!(refused.status, 401, "{what}: {}", refused.text);
        assert_eq!(refused.body, json!({"active": false, "directory_id": s.directory}), "{what}");
        assert_eq!(refused.header("x-principal-id"), None, "{what}");
        assert_eq!(refused.header("cache-control"), Some("private, max-age=300"), "{what}");
    }

    add_password(&app, &s, "acme-svc", "pass:with:colons").await;
    let pair = forward(&app, &s, &[("x-forwarded-authorization", &basic("acme-svc", "pass:with:colons"))]).await;
    assert_eq!(pair.status, 200, "the password may hold colons (RFC 7617 §2): {}", pair.text);
    assert_eq!(pair.header("x-principal-id"), Some(s.principal.as_str()));
    let wrong = forward(&app, &s, &[("x-forwarded-authorization", &basic("acme-svc", "wrong"))]).await;
    assert_eq!(wrong.status, 401);

    // The headers are the caller's: whatever they hold is a verdict, never a 400 that a
    // gateway would turn into a 500.
    let both = basic("acme-svc", "pass:with:colons");
    for headers in [
        vec![("x-api-key", s.api_key.as_str()), ("x-forwarded-authorization", both.as_str())],
        vec![("x-forwarded-authorization", "Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig")],
        vec![("x-forwarded-authorization", "Basic %%%")],
        vec![("x-forwarded-authorization", "Basic bm9jb2xvbg==")],
        vec![("x-forwarded-authorization", "Basic")],
    ] {
        let refused = forward(&app, &s, &headers).await;
        assert_eq!(refused.status, 401, "{headers:?}: {}", refused.text);
        assert_eq!(refused.body["active"], false, "{headers:?}");
    }
    let raw = app
        .send(
            app.http
                .get(app.url(&format!("/v2/directories/{}/authenticate", s.directory)))
                .bearer_auth(&s.gateway)
                .header("x-api-key", reqwest::header::HeaderValue::from_bytes(b"k\xffey").unwrap()),
        )
        .await;
    assert_eq!(raw.status, 401, "a key that is not text: {}", raw.text);

    // Whatever a principal holds, the headers are valid header values that read back whole.
    let principal_path = format!("/v2/directories/{}/principals/{}", s.directory, s.principal);
    let patched = app
        .patch(&principal_path, json!({"display_name": "Zoë & co/ops", "metadata": {"city": "Zürich \"HQ\" 🏔"}}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let found = forward(&app, &s, &[("x-api-key", &s.api_key)]).await;
    let name = found.header("x-principal-name").unwrap();
    assert_eq!(percent_encoding::percent_decode_str(name).decode_utf8().unwrap(), "Zoë & co/ops");
    let metadata = found.header("x-principal-metadata").unwrap();
    assert!(metadata.is_ascii(), "{metadata}");
    assert_eq!(serde_json::from_str::<Value>(metadata).unwrap(), json!({"city": "Zürich \"HQ\" 🏔"}));

    let reader = app.post("/v1/admin-credentials", json!({"name": "reader", "role": "read-only"})).await;
    let refused = app
        .send(
            app.http
                .get(app.url(&format!("/v2/directories/{}/authenticate", s.directory)))
                .bearer_auth(str_of(&reader.body, "token"))
                .header("x-api-key", &s.api_key),
        )
        .await;
    assert_eq!(refused.status, 403, "read-only does not authenticate credentials");
}

/// Each node keeps the answers it gave; a write on any node drops them on every node.
async fn a_credential_or_principal_changed_on_one_node_is_answered_anew_on_the_other_within_a_second(app: TestApp) {
    let s = setup(&app).await;
    let other = app.spawn_second_node().await;
    let path = format!("/v2/directories/{}/authenticate", s.directory);
    let at_other = || ask(&other, &s.gateway, &path, json!({"api_key": s.api_key}));
    assert_eq!(at_other().await.body["principal"]["metadata"]["tier"], "gold", "remembered on the other node");
    let principal_path = format!("/v2/directories/{}/principals/{}", s.directory, s.principal);
    assert_eq!(app.patch(&principal_path, json!({"metadata": {"tier": "silver"}})).await.status, 200);
    crate::multi_node::eventually("the new metadata on the other node", || async {
        at_other().await.body["principal"]["metadata"]["tier"] == "silver"
    })
    .await;
    let key_path = format!("/v2/directories/{}/principals/{}/api-keys/{}", s.directory, s.principal, s.api_key_id);
    assert_eq!(app.delete(&key_path).await.status, 204);
    assert_eq!(
        ask(&app, &s.gateway, &path, json!({"api_key": s.api_key})).await.body["active"],
        false,
        "at once on the deleting node"
    );
    crate::multi_node::eventually("the deleted key refused on the other node", || async {
        at_other().await.body["active"] == false
    })
    .await;
}

/// A client's link goes with the client (a cascade outside the directory): the answer follows,
/// on the node that deleted it and on the others.
async fn a_deleted_client_no_longer_resolves_to_its_principal(app: TestApp) {
    let s = setup(&app).await;
    let other = app.spawn_second_node().await;
    let seed = app.auth_server_with_client().await;
    let identity = json!({"type": "auth_server_client", "auth_server_id": seed.server_id, "client_id": seed.client_id});
    let identities = format!("/v2/directories/{}/principals/{}/identities", s.directory, s.principal);
    assert_eq!(app.post(&identities, identity.clone()).await.status, 201);
    let path = format!("/v2/directories/{}/resolve", s.directory);
    for node in [&app, &other] {
        let found = ask(node, &s.gateway, &path, identity.clone()).await;
        assert_eq!(found.body["principal"]["id"], s.principal.as_str(), "{}", found.text);
    }
    let client = format!("/v1/auth-servers/{}/clients/{}", seed.server_id, seed.client_id);
    assert_eq!(app.delete(&client).await.status, 204);
    for node in [&app, &other] {
        crate::multi_node::eventually("the deleted client's link forgotten", || async {
            ask(node, &s.gateway, &path, identity.clone()).await.body["active"] == false
        })
        .await;
    }
}

/// As client secrets: a basic-auth pair costs Argon2 once per node, until a write in the
/// directory; a pair that failed fails again without it.
async fn a_basic_auth_pair_costs_argon2_once_per_node_until_the_directory_changes(app: TestApp) {
    let s = setup(&app).await;
    add_password(&app, &s, "acme-svc", "first-password").await;
    let path = format!("/v2/directories/{}/authenticate", s.directory);
    let pair =
        |password: &'static str| ask(&app, &s.gateway, &path, json!({"username": "acme-svc", "password": password}));
    let jobs = crate::hashing::argon2_jobs;

    let before = jobs(&app).await;
    assert_eq!(pair("first-password").await.body["active"], true);
    assert!(jobs(&app).await > before, "the first check runs Argon2");
    // The node's own setup writes come back through the change feed a poll or two later and
    // drop the directory's answers once more, so an early round may pay Argon2 again; a
    // cache that does not remember pairs (right or wrong) pays in every round.
    let mut rounds_paying = 0;
    loop {
        let start = jobs(&app).await;
        for _ in 0..3 {
            assert_eq!(pair("first-password").await.body["active"], true);
            assert_eq!(pair("wrong").await.body["active"], false);
        }
        if jobs(&app).await == start {
            break;
        }
        rounds_paying += 1;
        assert!(rounds_paying < 5, "remembered pairs run no Argon2, yet every round ran it");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }

    // Deleting the principal's passwords is a write in the directory: the pair is checked anew.
    let basics = app.get(&format!("/v2/directories/{}/principals/{}/basic-auths", s.directory, s.principal)).await;
    let basic_id = basics.body["data"][0]["id"].as_str().unwrap().to_owned();
    let basic = format!("/v2/directories/{}/principals/{}/basic-auths/{basic_id}", s.directory, s.principal);
    assert_eq!(app.delete(&basic).await.status, 204);
    assert_eq!(pair("first-password").await.body["active"], false, "a deleted username no longer authenticates");
}

backend_tests!(
    a_basic_auth_pair_costs_argon2_once_per_node_until_the_directory_changes,
    a_deleted_client_no_longer_resolves_to_its_principal,
    a_gateway_may_forward_the_callers_headers_and_read_the_verdict_from_the_status,
    a_credential_or_principal_changed_on_one_node_is_answered_anew_on_the_other_within_a_second
);

backend_tests!(
    an_answer_is_cached_no_longer_than_its_credential_lives,
    a_directory_admin_cannot_link_or_probe_clients_of_auth_servers_it_does_not_reach
);

backend_tests!(
    a_gateway_authenticates_api_keys_and_basic_auth_to_their_principal,
    a_gateway_resolves_identities_to_their_principal,
    the_lookup_api_is_for_gateways_of_the_directory_and_refuses_bad_bodies
);
