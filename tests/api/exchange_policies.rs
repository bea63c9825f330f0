//! Token exchange policies (RFC 8693): one per client, replaced as a whole, naming only what
//! its auth server has, audited, recorded in the change feed, and gone with its client.

use reqwest::Method;
use serde_json::{Value, json};
use tessera::store::changes::{self, Change};
use tessera::store::{ConnectOptions, Store};
use uuid::Uuid;

use crate::helpers::{TestApp, backend_tests, client_body, str_of};

/// An auth server with a client, a scope, a trusted issuer and a resource.
struct Setup {
    server_id: String,
    client_id: String,
    /// The client's policy.
    path: String,
    scope: String,
    issuer: String,
    resource: String,
    resource_uri: String,
}

async fn setup(app: &TestApp) -> Setup {
    let server = app.create_auth_server("exchanging").await;
    let server_id = str_of(&server, "id").to_owned();
    let client = app.create_client(&server_id, "exchanger", &[]).await;
    let client_id = str_of(&client, "id").to_owned();
    let scope = app.create_scope(&server_id, "payments:read").await;
    let issuer = app
        .post(
            &format!("/v1/auth-servers/{server_id}/trusted-issuers"),
            json!({
                "name": "cluster",
                "issuer": "https://k8s.example.com",
                "jwks_uri": "https://k8s.example.com/keys",
                "subjects": [{"subject": "system:serviceaccount:payments:*", "client_id": client_id}],
            }),
        )
        .await;
    assert_eq!(issuer.status, 201, "{}", issuer.text);
    let resource_uri = "https://api.example.com/payments".to_owned();
    let resource = app.post(&format!("/v1/auth-servers/{server_id}/resources"), json!({"uri": resource_uri})).await;
    assert_eq!(resource.status, 201, "{}", resource.text);
    Setup {
        path: format!("/v1/auth-servers/{server_id}/clients/{client_id}/token-exchange-policy"),
        server_id,
        client_id,
        scope: str_of(&scope, "id").to_owned(),
        issuer: str_of(&issuer.body, "id").to_owned(),
        resource: str_of(&resource.body, "id").to_owned(),
        resource_uri,
    }
}

impl Setup {
    /// A policy naming one of everything.
    fn full(&self) -> Value {
        json!({
            "accept_own_tokens": false,
            "trusted_issuer_ids": [self.issuer],
            "audiences": [self.resource_uri],
            "scopes": [self.scope],
            "allow_scope_widening": true,
            "allow_impersonation": false,
            "allow_delegation": true,
        })
    }
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

async fn a_policy_is_created_read_replaced_and_deleted_as_a_whole(app: TestApp) {
    let setup = setup(&app).await;
    let none = app.get(&setup.path).await;
    assert_eq!(none.status, 404, "{}", none.text);
    assert!(str_of(&none.body, "detail").contains("Token exchange policy"), "{}", none.text);

    let created = app.put(&setup.path, json!({})).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let policy = created.body;
    assert_eq!(policy["client_id"], setup.client_id.as_str());
    assert_eq!(
        [
            &policy["accept_own_tokens"],
            &policy["allow_scope_widening"],
            &policy["allow_impersonation"],
            &policy["allow_delegation"]
        ],
        [&json!(true), &json!(false), &json!(true), &json!(false)],
        "the defaults: {policy}"
    );
    assert_eq!(
        [&policy["trusted_issuer_ids"], &policy["audiences"], &policy["scopes"]],
        [&json!([]), &json!([]), &json!([])]
    );
    assert_eq!(policy["created_at"], policy["updated_at"]);
    assert_eq!(app.get(&setup.path).await.body, policy);

    let replaced = app.put(&setup.path, setup.full()).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    let mut expected = setup.full();
    for field in ["client_id", "created_at"] {
        expected[field] = policy[field].clone();
    }
    expected["updated_at"] = replaced.body["updated_at"].clone();
    assert_eq!(replaced.body, expected, "everything replaced but the creation time");
    assert_eq!(app.get(&setup.path).await.body, replaced.body);

    let reset = app.put(&setup.path, json!({"allow_delegation": true})).await;
    assert_eq!(reset.status, 200, "{}", reset.text);
    assert_eq!(reset.body["trusted_issuer_ids"], json!([]), "a field left out takes its default: {}", reset.text);
    assert_eq!((&reset.body["allow_impersonation"], &reset.body["allow_delegation"]), (&json!(true), &json!(true)));

    assert_eq!(app.delete(&setup.path).await.status, 204);
    assert_eq!(app.get(&setup.path).await.status, 404);
    assert_eq!(app.delete(&setup.path).await.status, 404);
}

async fn every_rule_of_a_policy_gives_a_400_naming_its_field(app: TestApp) {
    let setup = setup(&app).await;
    let other = app.create_auth_server("other").await;
    let foreign_scope = app.create_scope(str_of(&other, "id"), "payments:read").await;
    let foreign_scope = str_of(&foreign_scope, "id");
    let unknown = Uuid::new_v4().to_string();
    let (issuer, scope, uri) = (setup.issuer.as_str(), setup.scope.as_str(), setup.resource_uri.as_str());
    let many: Vec<String> = (0..101).map(|i| format!("urn:example:{i}")).collect();
    let cases = [
        (
            "an unknown trusted issuer",
            json!({"trusted_issuer_ids": [issuer, unknown]}),
            vec!["trusted_issuer_ids[1]"],
            "missing_reference",
        ),
        (
            "an undeclared audience",
            json!({"audiences": ["https://api.example.com/ledger"]}),
            vec!["audiences[0]"],
            "missing_reference",
        ),
        ("a scope of another auth server", json!({"scopes": [foreign_scope]}), vec!["scopes[0]"], "missing_reference"),
        (
            "several unknown references",
            json!({"trusted_issuer_ids": [unknown], "audiences": [uri, "urn:x"], "scopes": [scope, unknown]}),
            vec!["trusted_issuer_ids[0]", "audiences[1]", "scopes[1]"],
            "missing_reference",
        ),
        (
            "a trusted issuer that is not a uuid",
            json!({"trusted_issuer_ids": ["cluster"]}),
            vec!["trusted_issuer_ids[0]"],
            "is_uuid",
        ),
        ("a scope named twice", json!({"scopes": [scope, scope]}), vec!["scopes[1]"], "invalid"),
        ("an audience named twice", json!({"audiences": [uri, uri]}), vec!["audiences[1]"], "invalid"),
        ("an audience that is not a string", json!({"audiences": [1]}), vec!["audiences[0]"], "is_string"),
        ("too many audiences", json!({"audiences": many}), vec!["audiences"], "max_items"),
        ("scopes that are not a list", json!({"scopes": scope}), vec!["scopes"], "is_array"),
        ("a flag that is not a boolean", json!({"accept_own_tokens": "yes"}), vec!["accept_own_tokens"], "is_boolean"),
        (
            "no way to exchange",
            json!({"allow_impersonation": false}),
            vec!["allow_impersonation", "allow_delegation"],
            "invalid",
        ),
        (
            "neither impersonation nor delegation",
            json!({"allow_impersonation": false, "allow_delegation": false}),
            vec!["allow_impersonation", "allow_delegation"],
            "invalid",
        ),
        ("a response field", json!({"client_id": setup.client_id}), vec!["client_id"], "unknown_property"),
        ("an unknown field", json!({"audience": uri}), vec!["audience"], "unknown_property"),
    ];
    for (case, body, fields, rule) in cases {
        let refused = app.put(&setup.path, body).await;
        assert_eq!(refused.status, 400, "{case}: {}", refused.text);
        assert_eq!(refused.invalid_fields(), fields, "{case}: {}", refused.text);
        assert_eq!(refused.rule_for(fields[0]).as_deref(), Some(rule), "{case}: {}", refused.text);
    }
    assert_eq!(app.get(&setup.path).await.status, 404, "nothing refused was saved");

    let saved = app.put(&setup.path, setup.full()).await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    let refused = app.put(&setup.path, json!({"scopes": [unknown]})).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(app.get(&setup.path).await.body, saved.body, "a refused PUT changes nothing");
}

async fn unknown_auth_servers_and_clients_are_404(app: TestApp) {
    let setup = setup(&app).await;
    assert_eq!(app.put(&setup.path, json!({})).await.status, 200);
    let other = app.create_auth_server("other").await;
    let other_id = str_of(&other, "id");
    let paths = [
        format!("/v1/auth-servers/{}/clients/{}/token-exchange-policy", Uuid::new_v4(), setup.client_id),
        format!("/v1/auth-servers/{}/clients/nobody/token-exchange-policy", setup.server_id),
        // The client of another auth server.
        format!("/v1/auth-servers/{other_id}/clients/{}/token-exchange-policy", setup.client_id),
    ];
    for path in &paths {
        for response in [app.get(path).await, app.put(path, json!({})).await, app.delete(path).await] {
            assert_eq!(response.status, 404, "{path}: {}", response.text);
            let detail = str_of(&response.body, "detail");
            assert!(detail.starts_with("Auth server [") || detail.starts_with("Client ["), "{path}: {detail}");
        }
    }
    assert_eq!(app.get(&setup.path).await.status, 200, "still there");
    let bad_id =
        app.get(&format!("/v1/auth-servers/{}/clients/no%20spaces/token-exchange-policy", setup.server_id)).await;
    assert_eq!(bad_id.status, 400, "{}", bad_id.text);
}

async fn each_policy_write_records_one_audit_event_and_one_configuration_change(app: TestApp) {
    let setup = setup(&app).await;
    let store = open(&app);
    let before = server_changes(&store, &setup.server_id).await;
    assert_eq!(app.put(&setup.path, json!({})).await.status, 200);
    assert_eq!(server_changes(&store, &setup.server_id).await, before + 1, "a create reloads the configuration");
    assert_eq!(app.put(&setup.path, json!({"scopes": [setup.scope]})).await.status, 200);
    assert_eq!(server_changes(&store, &setup.server_id).await, before + 2, "a replace too");
    assert_eq!(app.put(&setup.path, json!({"scopes": [setup.scope]})).await.status, 200, "a PUT that changes nothing");
    assert_eq!(app.put(&setup.path, json!({"scopes": [Uuid::new_v4()]})).await.status, 400);
    let changes_before_delete = server_changes(&store, &setup.server_id).await;
    assert_eq!(app.delete(&setup.path).await.status, 204);
    assert_eq!(server_changes(&store, &setup.server_id).await, changes_before_delete + 1, "a delete too");
    store.close().await;

    let events = app.get("/v1/audit-events?filter[resource_type]=token_exchange_policy").await;
    assert_eq!(events.status, 200, "{}", events.text);
    let events = events.body["data"].as_array().unwrap().clone();
    let actions: Vec<&str> = events.iter().map(|e| str_of(e, "action")).collect();
    assert_eq!(
        actions,
        ["token_exchange_policy.created", "token_exchange_policy.updated", "token_exchange_policy.deleted"]
    );
    for event in &events {
        assert_eq!(event["resource_id"], setup.client_id.as_str(), "{event}");
        assert_eq!(event["auth_server_id"], setup.server_id.as_str(), "{event}");
    }
    let created_fields: Vec<&str> =
        events[0]["changes"].as_array().unwrap().iter().map(|c| str_of(c, "field")).collect();
    assert_eq!(
        created_fields,
        [
            "accept_own_tokens",
            "allow_delegation",
            "allow_impersonation",
            "allow_scope_widening",
            "audiences",
            "scopes",
            "trusted_issuer_ids"
        ]
    );
    assert_eq!(events[1]["changes"], json!([{"field": "scopes", "old": [], "new": [setup.scope]}]));
}

async fn a_read_only_credential_reads_a_policy_but_cannot_write_it(app: TestApp) {
    let setup = setup(&app).await;
    let saved = app.put(&setup.path, json!({})).await;
    let credential = app
        .post(
            "/v1/admin-credentials",
            json!({"name": "auditor", "role": "read-only", "auth_server_ids": [setup.server_id]}),
        )
        .await;
    assert_eq!(credential.status, 201, "{}", credential.text);
    let token = str_of(&credential.body, "token").to_owned();
    let as_reader = |method: Method, body: Option<Value>| {
        let mut request = app.http.request(method, app.url(&setup.path)).bearer_auth(&token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        app.send(request)
    };

    assert_eq!(as_reader(Method::GET, None).await.status, 200);
    let replace = as_reader(Method::PUT, Some(json!({"allow_delegation": true}))).await;
    assert_eq!(replace.status, 403, "{}", replace.text);
    assert_eq!(as_reader(Method::DELETE, None).await.status, 403);
    assert_eq!(app.get(&setup.path).await.body, saved.body, "nothing changed");
}

/// The policy row goes with its client (a foreign key), and every node drops it from its
/// cached configuration: a client created again under the same id has no policy.
async fn a_policy_goes_away_with_its_client(app: TestApp) {
    let setup = setup(&app).await;
    assert_eq!(app.put(&setup.path, setup.full()).await.status, 200);
    let store = open(&app);
    let before = server_changes(&store, &setup.server_id).await;
    let client = format!("/v1/auth-servers/{}/clients/{}", setup.server_id, setup.client_id);
    assert_eq!(app.delete(&client).await.status, 204);
    assert_eq!(server_changes(&store, &setup.server_id).await, before + 1, "the configuration held the policy");
    let id = Uuid::parse_str(&setup.server_id).unwrap();
    assert!(tessera::store::exchange_policies::for_server(&store, id).await.unwrap().is_empty());
    assert_eq!(app.get(&setup.path).await.status, 404, "no client, no policy");

    let mut body = client_body("exchanger", &[]);
    body["client_secret"] = json!("a-secret-chosen-by-the-importer");
    let again = app.put(&client, body).await;
    assert_eq!(again.status, 201, "{}", again.text);
    let none = app.get(&setup.path).await;
    assert_eq!(none.status, 404, "a new client under the old id has no policy: {}", none.text);
    assert!(str_of(&none.body, "detail").contains("Token exchange policy"), "{}", none.text);
    let after = server_changes(&store, &setup.server_id).await;
    assert_eq!(app.delete(&client).await.status, 204);
    assert_eq!(server_changes(&store, &setup.server_id).await, after, "a client without a policy is its own change");
    store.close().await;
}

/// A policy never names what its auth server no longer has: a deleted trusted issuer, scope or
/// resource leaves its lists, and a resource's new URI replaces the old one in `audiences`.
async fn a_policy_follows_what_it_names(app: TestApp) {
    let setup = setup(&app).await;
    let base = format!("/v1/auth-servers/{}", setup.server_id);
    let second = app.create_scope(&setup.server_id, "payments:write").await;
    let second = str_of(&second, "id").to_owned();
    let ledger = app.post(&format!("{base}/resources"), json!({"uri": "https://api.example.com/ledger"})).await;
    let mut body = setup.full();
    body["scopes"] = json!([setup.scope, second]);
    body["audiences"] = json!([setup.resource_uri, "https://api.example.com/ledger"]);
    let saved = app.put(&setup.path, body).await;
    assert_eq!(saved.status, 200, "{}", saved.text);

    assert_eq!(app.delete(&format!("{base}/scopes/{}", setup.scope)).await.status, 204);
    assert_eq!(app.delete(&format!("{base}/trusted-issuers/{}", setup.issuer)).await.status, 204);
    assert_eq!(app.delete(&format!("{base}/resources/{}", str_of(&ledger.body, "id"))).await.status, 204);
    let renamed =
        app.patch(&format!("{base}/resources/{}", setup.resource), json!({"uri": "urn:example:payments"})).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);

    let policy = app.get(&setup.path).await.body;
    assert_eq!(policy["scopes"], json!([second]));
    assert_eq!(policy["trusted_issuer_ids"], json!([]));
    assert_eq!(policy["audiences"], json!(["urn:example:payments"]));
    assert_eq!(policy["updated_at"], saved.body["updated_at"], "not an edit of the policy");
    let mut again = policy.clone();
    for field in ["client_id", "created_at", "updated_at"] {
        again.as_object_mut().unwrap().remove(field);
    }
    assert_eq!(app.put(&setup.path, again).await.status, 200, "what it names is all there");
}

/// What the issuer's configuration cache loads: every policy of the auth server; and nothing
/// once the auth server is deleted.
async fn deleting_an_auth_server_deletes_its_policies(app: TestApp) {
    let setup = setup(&app).await;
    let other = app.create_client(&setup.server_id, "another", &[]).await;
    let other_path =
        format!("/v1/auth-servers/{}/clients/{}/token-exchange-policy", setup.server_id, str_of(&other, "id"));
    assert_eq!(app.put(&setup.path, setup.full()).await.status, 200);
    assert_eq!(app.put(&other_path, json!({"allow_delegation": true})).await.status, 200);

    let store = open(&app);
    let id = Uuid::parse_str(&setup.server_id).unwrap();
    let loaded = tessera::store::exchange_policies::for_server(&store, id).await.unwrap();
    let clients: Vec<&str> = loaded.iter().map(|policy| policy.client_id.as_str()).collect();
    assert_eq!(clients, [setup.client_id.as_str(), str_of(&other, "id")]);
    assert_eq!(loaded[0].audiences, [setup.resource_uri.as_str()]);
    assert_eq!(loaded[0].trusted_issuer_ids, [Uuid::parse_str(&setup.issuer).unwrap()]);
    assert!(!loaded[0].accept_own_tokens && loaded[0].allow_delegation && !loaded[0].allow_impersonation);

    assert_eq!(app.delete(&format!("/v1/auth-servers/{}?force=true", setup.server_id)).await.status, 204);
    assert!(tessera::store::exchange_policies::for_server(&store, id).await.unwrap().is_empty());
    assert_eq!(app.get(&setup.path).await.status, 404);
    store.close().await;
}

backend_tests!(
    a_policy_is_created_read_replaced_and_deleted_as_a_whole,
    every_rule_of_a_policy_gives_a_400_naming_its_field,
    unknown_auth_servers_and_clients_are_404,
    each_policy_write_records_one_audit_event_and_one_configuration_change,
    a_read_only_credential_reads_a_policy_but_cannot_write_it,
    a_policy_goes_away_with_its_client,
    a_policy_follows_what_it_names,
    deleting_an_auth_server_deletes_its_policies
);
