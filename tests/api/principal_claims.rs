//! Principals in tokens (issue 15): a client linked to a principal by an `auth_server_client`
//! identity gets `.Principal` in its claim templates, so a gateway validating JWTs offline
//! has the principal's metadata with no lookup.

use serde_json::json;

use crate::helpers::{TestApp, backend_tests, jwt_parts, str_of};
use crate::multi_node::eventually;

async fn a_linked_clients_tokens_carry_its_principal_and_follow_its_changes(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let claims = format!("/v1/auth-servers/{}/claims", seed.server_id);
    let claim = |name: &str, value: &str| json!({"name": name, "value": value, "include_in_token": true, "include_in_scopes": [seed.scope_id]});
    app.create_claim(&seed.server_id, claim("tier", "${ .Principal.Metadata.tier | default \"none\" }")).await;
    app.create_claim(&seed.server_id, claim("principal", "${ .Principal.DisplayName }")).await;
    let refused = app.post(&claims, claim("bad", "${ .Principal.Secret }")).await;
    assert_eq!(refused.status, 400, "unknown principal fields are refused when saved: {}", refused.text);
    assert_eq!(refused.rule_for("value").as_deref(), Some("template"), "{}", refused.text);

    let tier = |token: String| jwt_parts(&token).1["tier"].clone();
    assert_eq!(tier(app.access_token(&seed).await), "none", "no principal linked yet");

    let directory = app.post("/v2/directories", json!({"name": "customers"})).await;
    let directory = str_of(&directory.body, "id").to_owned();
    let principal = app
        .post(
            &format!("/v2/directories/{directory}/principals"),
            json!({"display_name": "acme", "metadata": {"tier": "gold"}}),
        )
        .await;
    let principal = str_of(&principal.body, "id").to_owned();
    let identities = format!("/v2/directories/{directory}/principals/{principal}/identities");
    let link = json!({"type": "auth_server_client", "auth_server_id": seed.server_id, "client_id": seed.client_id});
    assert_eq!(app.post(&identities, link).await.status, 201);

    eventually("the link reaches the token", || async { tier(app.access_token(&seed).await) == "gold" }).await;
    let (_, claims) = jwt_parts(&app.access_token(&seed).await);
    assert_eq!(claims["principal"], "acme");

    let path = format!("/v2/directories/{directory}/principals/{principal}");
    assert_eq!(app.patch(&path, json!({"metadata": {"tier": "platinum"}})).await.status, 200);
    eventually("a metadata change reaches the next token", || async {
        tier(app.access_token(&seed).await) == "platinum"
    })
    .await;

    let tried = app
        .post(
            &format!("/v1/auth-servers/{}/clients/{}/test-claim", seed.server_id, seed.client_id),
            json!({"who": "${ .Principal.DisplayName } (${ .Principal.ID })"}),
        )
        .await;
    assert_eq!(tried.status, 200, "{}", tried.text);
    assert_eq!(tried.body["who"], format!("acme ({principal})"));

    assert_eq!(app.delete(&path).await.status, 204);
    eventually("a deleted principal leaves the token", || async { tier(app.access_token(&seed).await) == "none" })
        .await;

    // A directory deleted with force takes its principals, and their place in tokens, with it.
    let again =
        app.post(&format!("/v2/directories/{directory}/principals"), json!({"metadata": {"tier": "bronze"}})).await;
    let identities = format!("/v2/directories/{directory}/principals/{}/identities", str_of(&again.body, "id"));
    let link = json!({"type": "auth_server_client", "auth_server_id": seed.server_id, "client_id": seed.client_id});
    assert_eq!(app.post(&identities, link).await.status, 201);
    eventually("the new link reaches the token", || async { tier(app.access_token(&seed).await) == "bronze" }).await;
    assert_eq!(app.delete(&format!("/v2/directories/{directory}?force=true")).await.status, 204);
    eventually("a deleted directory leaves the token", || async { tier(app.access_token(&seed).await) == "none" })
        .await;
}

backend_tests!(a_linked_clients_tokens_carry_its_principal_and_follow_its_changes);
