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
