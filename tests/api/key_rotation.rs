//! Signing key rotation: a next key is published in the JWKS before it signs, scheduled
//! rotation promotes it after the lead time, and an administrator can publish, promote or (in
//! an emergency) replace at once. The scheduler is called with a `now` in the future instead
//! of waiting for it.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use tessera::keys::{Mode, Schedule, Sealer};
use tessera::store::{ConnectOptions, Store};

use crate::helpers::{ADMIN_TOKEN, Seed, TestApp, backend_tests, jwt_parts, str_of};
use crate::multi_node::{eventually, on_node};

/// The defaults: rotation after 90 days, next keys published 24 hours ahead.
const SCHEDULE: Schedule = Schedule { rotate_after: Some(TimeDelta::days(90)), lead: TimeDelta::hours(24) };

/// The database as another process sees it, as a scheduler on another node would.
fn open(app: &TestApp) -> Store {
    Store::connect(&ConnectOptions {
        url: app.database_url.clone(),
        max_connections: 2,
        acquire_timeout: std::time::Duration::from_secs(10),
    })
    .unwrap()
}

fn sealer() -> Sealer {
    Sealer::new(None, &[]).unwrap()
}

fn rotate_path(seed: &Seed) -> String {
    format!("/v1/auth-servers/{}/keys/rotate", seed.server_id)
}

async fn signing_kid(app: &TestApp, seed: &Seed) -> String {
    jwt_parts(&app.access_token(seed).await).0["kid"].as_str().unwrap().to_owned()
}

async fn jwks_kids(app: &TestApp, seed: &Seed) -> Vec<String> {
    let jwks = app.send(app.http.get(format!("{}/.well-known/jwks", seed.issuer))).await.body;
    jwks["keys"].as_array().unwrap().iter().map(|key| str_of(key, "kid").to_owned()).collect()
}

/// The listed keys as (kid, state).
async fn states(app: &TestApp, seed: &Seed) -> Vec<(String, String)> {
    let keys = app.get(&format!("/v1/auth-servers/{}/keys", seed.server_id)).await;
    assert_eq!(keys.status, 200, "{}", keys.text);
    keys.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| (str_of(key, "kid").to_owned(), str_of(key, "state").to_owned()))
        .collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap_or_else(|| panic!("not a timestamp: {value}")).parse().unwrap()
}

async fn the_jwks_publishes_the_next_key_before_it_signs(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let current = signing_kid(&app, &seed).await;

    let published = app.post(&rotate_path(&seed), json!({"mode": "publish"})).await;

    assert_eq!(published.status, 201, "{}", published.text);
    assert_eq!((published.body["mode"].as_str(), published.body["state"].as_str()), (Some("publish"), Some("next")));
    assert_eq!(published.body["active"], false);
    let next = str_of(&published.body, "kid").to_owned();
    let lead = time(&published.body["activates_at"]) - time(&published.body["created_at"]);
    assert_eq!(lead, TimeDelta::hours(24), "signs after the default lead time");
    let kids = jwks_kids(&app, &seed).await;
    assert!(kids.contains(&next) && kids.contains(&current), "both in the JWKS: {kids:?}");
    assert_eq!(signing_kid(&app, &seed).await, current, "the current key still signs");
    assert_eq!(states(&app, &seed).await, [(next, "next".into()), (current, "current".into())]);
    assert_eq!(published.body["keys"].as_array().unwrap().len(), 2, "the answer lists the key states");
}

async fn tokens_keep_being_signed_by_the_current_key_until_the_scheduler_promotes_the_next_key(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let current = signing_kid(&app, &seed).await;
    let before = app.access_token(&seed).await;
    let published = app.post(&rotate_path(&seed), json!({"mode": "publish"})).await;
    let next = str_of(&published.body, "kid").to_owned();
    let activates_at = time(&published.body["activates_at"]);
    let (store, sealer) = (open(&app), sealer());

    let early = tessera::keys::rotate_due(&store, &sealer, &SCHEDULE, activates_at - TimeDelta::seconds(1)).await;

    assert!(early.is_empty(), "nothing is due a second early");
    assert_eq!(signing_kid(&app, &seed).await, current);

    let promoted = tessera::keys::rotate_due(&store, &sealer, &SCHEDULE, activates_at).await;

    assert_eq!(promoted, [seed.server_id.parse::<uuid::Uuid>().unwrap()]);
    eventually("the promoted key signing", || async { signing_kid(&app, &seed).await == next }).await;
    assert_eq!(states(&app, &seed).await, [(next.clone(), "current".into()), (current.clone(), "retired".into())]);
    let kids = jwks_kids(&app, &seed).await;
    assert!(kids.contains(&current), "the retired key stays published: {kids:?}");
    assert_eq!(app.introspect(&seed, &before).await.body["active"], true, "its tokens keep verifying");
    let retired = &app.get(&format!("/v1/auth-servers/{}/keys", seed.server_id)).await.body["data"][1];
    assert_eq!(time(&retired["published_until"]) - time(&retired["retired_at"]), TimeDelta::days(30));
    store.close().await;
}

async fn the_scheduler_publishes_a_next_key_a_lead_time_before_rotation_and_promotes_it_at_rotation(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let current = signing_kid(&app, &seed).await;
    let activated_at =
        time(&app.get(&format!("/v1/auth-servers/{}/keys", seed.server_id)).await.body["data"][0]["activated_at"]);
    let (store, sealer) = (open(&app), sealer());
    let rotation = activated_at + TimeDelta::days(90);

    assert!(tessera::keys::rotate_due(&store, &sealer, &SCHEDULE, rotation - TimeDelta::hours(25)).await.is_empty());
    let published = tessera::keys::rotate_due(&store, &sealer, &SCHEDULE, rotation - TimeDelta::hours(24)).await;

    assert_eq!(published.len(), 1, "a next key 24 hours before the current key is 90 days old");
    let keys = app.get(&format!("/v1/auth-servers/{}/keys", seed.server_id)).await.body;
    let next = keys["data"].as_array().unwrap().iter().find(|key| key["state"] == "next").unwrap().clone();
    assert_eq!(time(&next["activates_at"]), rotation, "it signs when the current key reaches 90 days");
    let next = str_of(&next, "kid").to_owned();
    eventually("the next key in the JWKS", || async { jwks_kids(&app, &seed).await.contains(&next) }).await;
    assert_eq!(signing_kid(&app, &seed).await, current);
    let again = tessera::keys::rotate_due(&store, &sealer, &SCHEDULE, rotation - TimeDelta::hours(1)).await;
    assert!(again.is_empty(), "one next key at a time");

    let promoted = tessera::keys::rotate_due(&store, &sealer, &SCHEDULE, rotation).await;

    assert_eq!(promoted.len(), 1);
    eventually("the next key signing", || async { signing_kid(&app, &seed).await == next }).await;
    assert_eq!(states(&app, &seed).await, [(next, "current".into()), (current, "retired".into())]);
    store.close().await;
}

async fn promote_makes_a_next_key_published_long_enough_sign_at_once(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let current = signing_kid(&app, &seed).await;
    let before = app.access_token(&seed).await;
    let refused = app.post(&rotate_path(&seed), json!({"mode": "promote"})).await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(str_of(&refused.body, "detail").contains("has no next key to promote"), "{}", refused.text);
    // A next key published ten minutes ago, as a gateway that caches the JWKS five minutes sees it.
    let store = open(&app);
    let ten_minutes_ago = Utc::now() - TimeDelta::minutes(10);
    tessera::keys::rotate(
        &store,
        &sealer(),
        seed.server_id.parse().unwrap(),
        Some(Mode::Publish),
        SCHEDULE.lead,
        ten_minutes_ago,
        &tessera::domain::admin::Origin {
            actor: tessera::domain::admin::Actor::anonymous(),
            request_id: "test".to_owned(),
            source: std::net::IpAddr::from([127, 0, 0, 1]),
            at: ten_minutes_ago,
        },
    )
    .await
    .unwrap();
    store.close().await;
    let next = states(&app, &seed).await.into_iter().find(|(_, state)| state == "next").unwrap().0;
    let twice = app.post(&rotate_path(&seed), json!({"mode": "publish"})).await;
    assert_eq!(twice.status, 409, "{}", twice.text);
    assert!(str_of(&twice.body, "detail").contains(&format!("already has a next key [{next}]")), "{}", twice.text);

    let promoted = app.post(&rotate_path(&seed), json!({"mode": "promote"})).await;

    assert_eq!(promoted.status, 200, "{}", promoted.text);
    assert_eq!((promoted.body["mode"].as_str(), promoted.body["state"].as_str()), (Some("promote"), Some("current")));
    assert_eq!(promoted.body["kid"], next.as_str());
    assert_eq!(signing_kid(&app, &seed).await, next, "signs at once");
    assert_eq!(states(&app, &seed).await, [(current.clone(), "retired".into()), (next, "current".into())]);
    assert!(jwks_kids(&app, &seed).await.contains(&current));
    assert_eq!(app.introspect(&seed, &before).await.body["active"], true);
}

async fn a_rotation_without_a_body_publishes_a_next_key_and_will_not_promote_it_before_gateways_can_know_it(
    app: TestApp,
) {
    let seed = app.auth_server_with_client().await;
    let current = signing_kid(&app, &seed).await;
    let bodiless = || app.send(app.http.post(app.url(&rotate_path(&seed))).bearer_auth(ADMIN_TOKEN));

    let published = bodiless().await;

    assert_eq!(published.status, 201, "{}", published.text);
    assert_eq!((published.body["mode"].as_str(), published.body["state"].as_str()), (Some("publish"), Some("next")));
    let next = str_of(&published.body, "kid").to_owned();

    let again = bodiless().await;

    assert_eq!(again.status, 409, "{}", again.text);
    let detail = str_of(&again.body, "detail");
    assert!(detail.contains(&format!("Next key [{next}] has been in the JWKS for less than 300 s")), "{detail}");
    assert_eq!(app.post(&rotate_path(&seed), json!({})).await.status, 409, "`{{}}` is the same as no body");
    assert_eq!(app.post(&rotate_path(&seed), json!({"mode": "promote"})).await.status, 409);
    assert_eq!(signing_kid(&app, &seed).await, current, "no key signs that gateways may not know");
}

async fn emergency_replaces_the_signing_key_at_once_and_keeps_the_old_one_published(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let current = signing_kid(&app, &seed).await;
    let before = app.access_token(&seed).await;
    let next = str_of(&app.post(&rotate_path(&seed), json!({"mode": "publish"})).await.body, "kid").to_owned();

    let replaced = app.post(&rotate_path(&seed), json!({"mode": "emergency"})).await;

    assert_eq!(replaced.status, 201, "{}", replaced.text);
    assert_eq!((replaced.body["mode"].as_str(), replaced.body["state"].as_str()), (Some("emergency"), Some("current")));
    let new = str_of(&replaced.body, "kid").to_owned();
    assert!(new != current && new != next, "a new key");
    assert_eq!(signing_kid(&app, &seed).await, new, "signs at once");
    assert_eq!(
        states(&app, &seed).await,
        [(new, "current".into()), (current.clone(), "retired".into())],
        "the next key, which never signed, is withdrawn"
    );
    let kids = jwks_kids(&app, &seed).await;
    assert!(kids.contains(&current) && !kids.contains(&next), "{kids:?}");
    assert_eq!(app.introspect(&seed, &before).await.body["active"], true, "the old key's tokens keep verifying");
}

async fn a_new_signing_algorithm_withdraws_a_next_key_of_the_old_one(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    app.post(&rotate_path(&seed), json!({"mode": "publish"})).await;

    app.patch(&format!("/v1/auth-servers/{}", seed.server_id), json!({"signing_algorithm": "EdDSA"})).await;

    let keys = app.get(&format!("/v1/auth-servers/{}/keys", seed.server_id)).await.body;
    let listed: Vec<(&str, &str)> = keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| (key["algorithm"].as_str().unwrap(), key["state"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [("EdDSA", "current"), ("RS256", "retired")]);
    assert_eq!(jwt_parts(&app.access_token(&seed).await).0["alg"], "EdDSA");
}

async fn rotation_requests_are_refused_precisely(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let path = rotate_path(&seed);

    let unknown_mode = app.post(&path, json!({"mode": "now"})).await;
    assert_eq!((unknown_mode.status, unknown_mode.rule_for("mode").as_deref()), (400, Some("enum")));
    let unknown_field = app.post(&path, json!({"when": "now"})).await;
    assert_eq!((unknown_field.status, unknown_field.rule_for("when").as_deref()), (400, Some("unknown_property")));
    assert_eq!(app.post_raw(&path, "text/plain", "promote").await.status, 415, "a body must be JSON");
    assert_eq!(app.post_raw(&path, "application/json", "[]").await.status, 400);
    let missing = app.post("/v1/auth-servers/0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11/keys/rotate", json!({})).await;
    assert_eq!(missing.status, 404);
    assert_eq!(states(&app, &seed).await.len(), 1, "nothing changed");
}

async fn two_nodes_running_the_scheduler_at_once_publish_one_next_key_and_agree_on_the_signer(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let other = app.spawn_second_node().await;
    let at_other = on_node(&seed, &other);
    let current = signing_kid(&other, &at_other).await;
    let (one, two, sealer) = (open(&app), open(&other), sealer());
    let rotation = Utc::now() + TimeDelta::days(90);

    let (a, b) = tokio::join!(
        tessera::keys::rotate_due(&one, &sealer, &SCHEDULE, rotation - TimeDelta::hours(1)),
        tessera::keys::rotate_due(&two, &sealer, &SCHEDULE, rotation - TimeDelta::hours(1)),
    );

    assert_eq!(a.len() + b.len(), 1, "one of them publishes");
    let next = states(&app, &seed).await;
    assert_eq!(next.iter().filter(|(_, state)| state == "next").count(), 1, "{next:?}");
    let next = next.into_iter().find(|(_, state)| state == "next").unwrap().0;
    eventually("both nodes publishing the next key", || async {
        jwks_kids(&app, &seed).await.contains(&next) && jwks_kids(&other, &at_other).await.contains(&next)
    })
    .await;
    assert_eq!(signing_kid(&other, &at_other).await, current);

    let (a, b) = tokio::join!(
        tessera::keys::rotate_due(&one, &sealer, &SCHEDULE, rotation + TimeDelta::days(1)),
        tessera::keys::rotate_due(&two, &sealer, &SCHEDULE, rotation + TimeDelta::days(1)),
    );

    assert_eq!(a.len() + b.len(), 1, "one of them promotes");
    eventually("both nodes signing with the promoted key", || async {
        signing_kid(&app, &seed).await == next && signing_kid(&other, &at_other).await == next
    })
    .await;
    assert_eq!(states(&other, &at_other).await, [(next, "current".into()), (current, "retired".into())]);
    one.close().await;
    two.close().await;
}

backend_tests!(
    the_jwks_publishes_the_next_key_before_it_signs,
    tokens_keep_being_signed_by_the_current_key_until_the_scheduler_promotes_the_next_key,
    the_scheduler_publishes_a_next_key_a_lead_time_before_rotation_and_promotes_it_at_rotation,
    promote_makes_a_next_key_published_long_enough_sign_at_once,
    a_rotation_without_a_body_publishes_a_next_key_and_will_not_promote_it_before_gateways_can_know_it,
    emergency_replaces_the_signing_key_at_once_and_keeps_the_old_one_published,
    a_new_signing_algorithm_withdraws_a_next_key_of_the_old_one,
    rotation_requests_are_refused_precisely,
    two_nodes_running_the_scheduler_at_once_publish_one_next_key_and_agree_on_the_signer
);
