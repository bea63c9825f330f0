//! Two nodes on one database: what one node writes, the other honours within a second.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, backend_tests, str_of};

/// Retries `check` for up to two seconds: the change feed is polled every 200 ms.
pub(crate) async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..20 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within two seconds");
}

pub(crate) fn on_node(seed: &crate::helpers::Seed, node: &TestApp) -> crate::helpers::Seed {
    let path =
        seed.issuer.split_once("/auth").map(|(before, _)| before.rsplit('/').next().unwrap().to_owned()).unwrap();
    crate::helpers::Seed { issuer: format!("{}/{path}/auth", node.address), ..seed.clone() }
}

async fn a_revocation_on_one_node_is_honoured_by_the_other_within_a_second(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let other = app.spawn_second_node().await;
    let at_other = on_node(&seed, &other);
    let token = other.access_token(&at_other).await;
    assert_eq!(other.introspect(&at_other, &token).await.body["active"], true);
    assert_eq!(app.introspect(&seed, &token).await.body["active"], true);

    let revoke = app
        .send(
            app.http
                .post(format!("{}/oauth/revoke", seed.issuer))
                .basic_auth(&seed.client_id, Some(&seed.secret))
                .form(&[("token", &token)]),
        )
        .await;
    assert_eq!(revoke.status, 200);
    eventually("revocation reaching the other node", || async {
        other.introspect(&at_other, &token).await.body["active"] == false
    })
    .await;
}

async fn configuration_changes_on_one_node_reach_the_other(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let other = app.spawn_second_node().await;
    let at_other = on_node(&seed, &other);
    assert_eq!(other.token(&at_other, Some("scope1")).await.status, 200, "the other node has cached the client");

    let secrets = format!("/v1/auth-servers/{}/clients/{}/secrets", seed.server_id, seed.client_id);
    let id = str_of(&app.get(&secrets).await.body["data"][0], "id").to_owned();
    app.patch(&format!("{secrets}/{id}"), json!({"enabled": false})).await;
    eventually("a disabled secret being refused", || async { other.token(&at_other, None).await.status == 401 }).await;

    app.patch(&format!("/v1/auth-servers/{}/scopes/{}", seed.server_id, seed.scope_id), json!({"enabled": false}))
        .await;
    let new_secret = app.post(&secrets, json!({})).await.body;
    let renewed = crate::helpers::Seed { secret: str_of(&new_secret, "secret").to_owned(), ..at_other.clone() };
    eventually("a disabled scope being refused", || async {
        other.token(&renewed, Some("scope1")).await.body["error"] == "invalid_scope"
    })
    .await;

    app.patch(&format!("/v1/auth-servers/{}", seed.server_id), json!({"signing_algorithm": "EdDSA"})).await;
    eventually("the new algorithm signing", || async {
        let response = other.token(&renewed, None).await;
        response.status == 200 && crate::helpers::jwt_parts(str_of(&response.body, "access_token")).0["alg"] == "EdDSA"
    })
    .await;
}

backend_tests!(
    a_revocation_on_one_node_is_honoured_by_the_other_within_a_second,
    configuration_changes_on_one_node_reach_the_other
);

/// What `writer` revokes and deletes, `reader` honours within two seconds.
async fn writes_reach(writer: &TestApp, reader: &TestApp, seed: &crate::helpers::Seed, name: &str) {
    let client = writer.create_client(&seed.server_id, name, &[&seed.scope_id]).await;
    let at_reader = crate::helpers::Seed {
        client_id: str_of(&client, "id").to_owned(),
        secret: str_of(&client, "client_secret").to_owned(),
        ..on_node(seed, reader)
    };
    let token = reader.access_token(&at_reader).await;
    assert_eq!(reader.introspect(&at_reader, &token).await.body["active"], true, "{name}: fresh token");
    let jti = crate::helpers::jwt_parts(&token).1["jti"].as_str().unwrap().to_owned();

    let clients = format!("/v1/auth-servers/{}/clients/{}", seed.server_id, at_reader.client_id);
    assert_eq!(writer.delete(&format!("{clients}/tokens/{jti}")).await.status, 204);
    eventually(&format!("{name}: the revocation reaching the other node"), || async {
        reader.introspect(&at_reader, &token).await.body["active"] == false
    })
    .await;

    assert_eq!(writer.delete(&clients).await.status, 204);
    eventually(&format!("{name}: the client's deletion reaching the other node"), || async {
        reader.token(&at_reader, None).await.status == 401
    })
    .await;
}

/// Nodes follow the change feed and the revocation list by database-assigned sequence numbers,
/// so a node whose clock is minutes behind (or ahead) still sees every write at once, and its
/// own writes still reach the others.
async fn nodes_with_skewed_clocks_see_each_others_revocations_and_changes(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    for offset in [-300, -30, 300] {
        let skewed = app.spawn_second_node_with(|s| s.test_clock_offset_seconds = offset).await;
        writes_reach(&app, &skewed, &seed, &format!("writer on time, reader {offset} s off")).await;
        writes_reach(&skewed, &app, &seed, &format!("writer {offset} s off, reader on time")).await;
        skewed.stop().await;
    }
}

/// With three nodes, two issuing tokens in a loop while the first deletes the client and then
/// imports it again under the same id and secret: no token handed out before the re-import is
/// active afterwards, on any node, nor listed for the new client.
async fn a_deleted_client_stays_dead_on_every_node_after_it_is_imported_again(app: TestApp) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let seed = app.auth_server_with_client().await;
    let gateway = app.gateway(&seed).await;
    let nodes = [app.spawn_second_node().await, app.spawn_second_node().await];
    let nodes: Vec<Arc<TestApp>> = nodes.into_iter().map(Arc::new).collect();
    let id = "resurrected-client";
    let client = format!("/v1/auth-servers/{}/clients/{id}", seed.server_id);
    let body = json!({"name": "Resurrected", "client_secret": "SecretPassword", "grant_types": ["client_credentials"],
                      "response_types": ["token"], "allow_scopes": [seed.scope_id]});
    assert_eq!(app.put(&client, body.clone()).await.status, 201);
    let imported =
        crate::helpers::Seed { client_id: id.to_owned(), secret: "SecretPassword".to_owned(), ..seed.clone() };

    let mut refused_after_delete = 0;
    for round in 0..5 {
        // Both issuing nodes have the client cached and its secret verified.
        for node in &nodes {
            let at_node = on_node(&imported, node);
            eventually("the issuing node knowing the client", || async {
                node.token(&at_node, None).await.status == 200
            })
            .await;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let issuers: Vec<_> = nodes
            .iter()
            .map(|node| {
                let (node, stop, at_node) = (node.clone(), stop.clone(), on_node(&imported, node));
                tokio::spawn(async move {
                    let (mut issued, mut refused) = (Vec::new(), 0);
                    while !stop.load(Ordering::SeqCst) {
                        let response = node.token(&at_node, None).await;
                        match response.status {
                            200 => issued.push(str_of(&response.body, "access_token").to_owned()),
                            _ => refused += 1,
                        }
                    }
                    (issued, refused)
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(app.delete(&client).await.status, 204, "round {round}: delete");
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, Ordering::SeqCst);
        let mut issued = Vec::new();
        for issuer in issuers {
            let (tokens, refused) = issuer.await.unwrap();
            issued.extend(tokens);
            refused_after_delete += refused;
        }
        assert!(!issued.is_empty(), "round {round}: the nodes issued tokens before the delete");

        assert_eq!(app.put(&client, body.clone()).await.status, 201, "round {round}: re-import");
        let listed = app.get(&format!("{client}/tokens")).await;
        assert_eq!(listed.status, 200);
        assert_eq!(listed.body["data"], json!([]), "round {round}: no token of the deleted client is listed");
        tokio::time::sleep(Duration::from_millis(500)).await;
        for node in std::iter::once(&app).chain(nodes.iter().map(|n| n.as_ref())) {
            let at_node = on_node(&gateway, node);
            for token in &issued {
                let active = node.introspect(&at_node, token).await.body["active"].clone();
                assert_eq!(
                    active, false,
                    "round {round}: a token of the deleted client is active again on {}",
                    node.address
                );
            }
        }
    }
    assert!(refused_after_delete > 0, "the issuing nodes were still trying after the delete");
}

backend_tests!(
    nodes_with_skewed_clocks_see_each_others_revocations_and_changes,
    a_deleted_client_stays_dead_on_every_node_after_it_is_imported_again
);
