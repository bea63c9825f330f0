//! API keys of principals (Kong Identity v2): every answer is checked against Kong's schemas
//! by `TestApp::send`; lookups go through `store::api_keys::principal_for_key`, as the lookup
//! API will.

use chrono::{DateTime, TimeDelta, Utc};
use futures::future::join_all;
use serde_json::{Value, json};
use tessera::cache::api_key_digests::ApiKeyDigests;
use tessera::domain::api_key::ApiKeySecret;
use tessera::store::{ConnectOptions, Store};
use uuid::Uuid;

use crate::helpers::{TestApp, backend_tests, str_of};

const KEY_1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const KEY_2: &str = "2222222222222222222222222222222222222222222222222222222222222222";

async fn directory(app: &TestApp, name: &str) -> String {
    let created = app.post("/v2/directories", json!({"name": name})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    str_of(&created.body, "id").to_owned()
}

async fn principal(app: &TestApp, directory: &str) -> String {
    let created = app.post(&format!("/v2/directories/{directory}/principals"), json!({"display_name": "acme"})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    str_of(&created.body, "id").to_owned()
}

fn keys_path(directory: &str, principal: &str) -> String {
    format!("/v2/directories/{directory}/principals/{principal}/api-keys")
}

fn open_store(app: &TestApp) -> Store {
    Store::connect(&ConnectOptions {
        url: app.database_url.clone(),
        max_connections: 2,
        acquire_timeout: std::time::Duration::from_secs(5),
    })
    .unwrap()
}

fn encryption_key(hex: &str) -> [u8; 32] {
    tessera::keys::parse_encryption_key(hex).unwrap()
}

/// The principal `presented` authenticates in `directory` at `now`, looked up as a node with
/// these encryption keys would.
async fn principal_for(
    app: &TestApp,
    keys: (Option<&str>, &[&str]),
    directory: &str,
    presented: &str,
    now: DateTime<Utc>,
) -> Option<String> {
    let store = open_store(app);
    let previous: Vec<[u8; 32]> = keys.1.iter().map(|key| encryption_key(key)).collect();
    let digests = ApiKeyDigests::new(store.clone(), keys.0.map(encryption_key), &previous);
    let found = tessera::store::api_keys::principal_for_key(
        &store,
        digests.keys().await.unwrap(),
        directory.parse().unwrap(),
        &ApiKeySecret::presented(presented),
        now,
    )
    .await
    .unwrap();
    store.close().await;
    found.map(|found| found.principal_id.to_string())
}

async fn audit_of(app: &TestApp, id: &str) -> (Vec<String>, String) {
    let events = app.get(&format!("/v1/audit-events?filter[resource_id]={id}")).await;
    assert_eq!(events.status, 200, "{}", events.text);
    let actions = events.body["data"].as_array().unwrap().iter().map(|e| str_of(e, "action").to_owned()).collect();
    (actions, events.text)
}

/// The life of a key: the secret is shown once; GET, list and the audit log never show it;
/// PATCH changes only the expiry and managed_by; the key authenticates its principal until
/// deleted.
async fn a_principal_key_is_created_shown_once_changed_and_deleted(app: TestApp) {
    let dir = directory(&app, "partners").await;
    let who = principal(&app, &dir).await;
    let keys = keys_path(&dir, &who);
    let expires = (Utc::now() + TimeDelta::days(30)).to_rfc3339();

    let created =
        app.post(&keys, json!({"type": "v1", "expires_at": expires, "managed_by": {"owner": "terraform"}})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = str_of(&created.body, "secret").to_owned();
    let random = secret.strip_prefix("tsk_").expect("a generated key starts with tsk_");
    assert!(random.len() == 40 && random.chars().all(|c| c.is_ascii_alphanumeric()), "{secret}");
    assert_eq!(created.body["managed_by"], json!({"owner": "terraform"}));
    let id = str_of(&created.body, "id").to_owned();
    let path = format!("{keys}/{id}");

    let read = app.get(&path).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert!(read.body.get("secret").is_none() && !read.text.contains(&secret), "{}", read.text);
    let mut without_secret = created.body.clone();
    without_secret.as_object_mut().unwrap().remove("secret");
    assert_eq!(read.body, without_secret);

    let imported = app.post(&keys, json!({"type": "imported", "secret": "correct horse battery"})).await;
    assert_eq!(imported.status, 201, "{}", imported.text);
    assert_eq!(imported.body["secret"], "correct horse battery");
    assert_eq!(imported.body["expires_at"], Value::Null);
    assert_eq!(imported.body["managed_by"], json!({}));

    let listed = app.get(&keys).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let ids: Vec<&str> = listed.body["data"].as_array().unwrap().iter().map(|k| str_of(k, "id")).collect();
    assert_eq!(ids, [id.as_str(), str_of(&imported.body, "id")]);
    assert!(!listed.text.contains(&secret) && !listed.text.contains("correct horse"), "{}", listed.text);

    let now = Utc::now();
    assert_eq!(principal_for(&app, (None, &[]), &dir, &secret, now).await.as_deref(), Some(who.as_str()));
    assert_eq!(
        principal_for(&app, (None, &[]), &dir, "correct horse battery", now).await.as_deref(),
        Some(who.as_str())
    );
    assert_eq!(principal_for(&app, (None, &[]), &dir, "correct horse batter", now).await, None);
    let elsewhere = directory(&app, "elsewhere").await;
    assert_eq!(
        principal_for(&app, (None, &[]), &elsewhere, &secret, now).await,
        None,
        "a key belongs to its directory"
    );

    let patched = app.patch(&path, json!({"expires_at": null, "managed_by": {"owner": null, "team": "billing"}})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["expires_at"], Value::Null);
    assert_eq!(patched.body["managed_by"], json!({"team": "billing"}), "managed_by merges (RFC 7396)");
    assert_eq!(patched.body["created_at"], created.body["created_at"]);
    let unchanged = app.patch(&path, json!({"managed_by": {"team": "billing"}})).await;
    assert_eq!(unchanged.status, 200, "{}", unchanged.text);
    assert_eq!(unchanged.body, patched.body, "a PATCH that changes nothing changes nothing");
    let no_secret_change = app.patch(&path, json!({"secret": "new"})).await;
    assert_eq!(no_secret_change.status, 400, "the key itself never changes");
    assert_eq!(no_secret_change.rule_for("secret").as_deref(), Some("unknown_property"));

    assert_eq!(app.delete(&path).await.status, 204);
    let gone = app.get(&path).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body["detail"], format!("API key [{id}] not found"));
    assert_eq!(app.delete(&path).await.status, 404);
    assert_eq!(app.patch(&path, json!({"expires_at": null})).await.status, 404);
    assert_eq!(principal_for(&app, (None, &[]), &dir, &secret, Utc::now()).await, None, "a deleted key is revoked");

    let (actions, text) = audit_of(&app, &id).await;
    assert_eq!(actions, ["key.created", "key.updated", "key.deleted"]);
    assert!(!text.contains(&secret), "{text}");
    let created_event: Value = serde_json::from_str(&text).unwrap();
    let changes = created_event["data"][0]["changes"].to_string();
    assert!(
        changes.contains("\"secret\"") && changes.contains("redacted"),
        "the secret is recorded as redacted: {changes}"
    );
    let (_, imported_text) = audit_of(&app, str_of(&imported.body, "id")).await;
    assert!(!imported_text.contains("correct horse"), "{imported_text}");

    // Principals take their keys with them.
    assert_eq!(app.delete(&format!("/v2/directories/{dir}/principals/{who}")).await.status, 204);
    assert_eq!(principal_for(&app, (None, &[]), &dir, "correct horse battery", Utc::now()).await, None);
}

/// Five keys per principal (Kong's limit for each credential type), even when eight arrive at
/// once; a deleted key makes room again.
async fn a_principal_holds_at_most_five_keys_even_under_concurrency(app: TestApp) {
    let dir = directory(&app, "limits").await;
    let who = principal(&app, &dir).await;
    let keys = keys_path(&dir, &who);
    let answers = join_all((0..8).map(|_| app.post(&keys, json!({"type": "v1"})))).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 3, "{statuses:?}");
    let refused = answers.iter().find(|a| a.status == 409).unwrap();
    assert!(str_of(&refused.body, "detail").contains("at most 5 API keys"), "{}", refused.text);
    let listed = app.get(&format!("{keys}?page[size]=2")).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
    assert!(listed.body["meta"]["page"]["next"].as_str().unwrap().starts_with(&keys), "{}", listed.text);
    let first = answers.iter().find(|a| a.status == 201).unwrap();
    assert_eq!(app.delete(&format!("{keys}/{}", str_of(&first.body, "id"))).await.status, 204);
    assert_eq!(app.post(&keys, json!({"type": "v1"})).await.status, 201);
    assert_eq!(app.post(&keys, json!({"type": "v1"})).await.status, 409);
}

/// An imported key exists once in the whole installation (a presented key must name one
/// principal): of six concurrent imports into two directories, exactly one wins.
/// A key is unique within its directory, with one winner under concurrency; another directory
/// may hold the same key, so no directory's admin learns what another holds.
async fn an_imported_key_exists_once_and_one_concurrent_import_wins(app: TestApp) {
    let (one, two) = (directory(&app, "one").await, directory(&app, "two").await);
    let (alice, carol, bob) = (principal(&app, &one).await, principal(&app, &one).await, principal(&app, &two).await);
    let paths = [keys_path(&one, &alice), keys_path(&one, &carol)];
    let body = json!({"type": "imported", "secret": "shared-secret"});
    let answers = join_all((0..6).map(|i| app.post(&paths[i % 2], body.clone()))).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 5, "{statuses:?}");
    assert_eq!(app.post(&keys_path(&two, &bob), body.clone()).await.status, 201, "another directory's key is its own");
    let conflict = answers.iter().find(|a| a.status == 409).unwrap();
    assert!(!conflict.text.contains("shared-secret"), "{}", conflict.text);
    assert_eq!(app.post(&paths[0], json!({"type": "imported", "secret": "Shared-secret"})).await.status, 201);
}

/// Every malformed body, path or query is a 400 naming the field; what does not exist is a 404
/// naming what is missing.
async fn bad_key_requests_are_refused_precisely(app: TestApp) {
    let dir = directory(&app, "strict").await;
    let who = principal(&app, &dir).await;
    let keys = keys_path(&dir, &who);
    let past = (Utc::now() - TimeDelta::minutes(1)).to_rfc3339();
    let cases = [
        (json!({}), "type", "required"),
        (json!({"type": "v2"}), "type", "enum"),
        (json!({"type": 1}), "type", "is_string"),
        (json!({"type": "imported"}), "secret", "required"),
        (json!({"type": "imported", "secret": ""}), "secret", "min_length"),
        (json!({"type": "imported", "secret": "k".repeat(256)}), "secret", "max_length"),
        (json!({"type": "imported", "secret": "a\u{0}b"}), "secret", "invalid"),
        (json!({"type": "imported", "secret": "abc", "managed_by": {}}), "managed_by", "unknown_property"),
        (json!({"type": "v1", "secret": "abc"}), "secret", "unknown_property"),
        (json!({"type": "v1", "expires_at": past}), "expires_at", "invalid"),
        (json!({"type": "v1", "expires_at": "tomorrow"}), "expires_at", "is_date_time"),
        (
            json!({"type": "v1", "managed_by": {"a": "1", "b": "1", "c": "1", "d": "1", "e": "1", "f": "1"}}),
            "managed_by",
            "",
        ),
        (json!({"type": "v1", "name": "x"}), "name", "unknown_property"),
    ];
    for (body, field, rule) in cases {
        let answer = app.post(&keys, body.clone()).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.text);
        let found = answer.rule_for(field);
        assert!(found.as_deref().is_some_and(|r| r.starts_with(rule)), "{body}: {field} {found:?} {}", answer.text);
    }
    assert!(app.get(&keys).await.body["data"].as_array().unwrap().is_empty(), "no refused key was stored");

    let bad_patch = app.patch(&format!("{keys}/{}", Uuid::new_v4()), json!({"expires_at": past})).await;
    assert_eq!(bad_patch.status, 400, "{}", bad_patch.text);
    let sort_by_name = app.get(&format!("{keys}?sort=name")).await;
    assert_eq!(sort_by_name.status, 400, "keys have no name: {}", sort_by_name.text);
    assert_eq!(app.get(&format!("{keys}?sort=created_at desc")).await.status, 200);
    assert_eq!(app.get(&format!("{keys}/not-a-uuid")).await.status, 400);

    let nobody = Uuid::new_v4();
    let unknown_principal = app.post(&keys_path(&dir, &nobody.to_string()), json!({"type": "v1"})).await;
    assert_eq!(unknown_principal.status, 404);
    assert_eq!(unknown_principal.body["detail"], format!("Principal [{nobody}] not found"));
    let nowhere = Uuid::new_v4();
    let unknown_directory = app.get(&keys_path(&nowhere.to_string(), &who)).await;
    assert_eq!(unknown_directory.status, 404);
    assert_eq!(unknown_directory.body["detail"], format!("Directory [{nowhere}] not found"));
    let other = directory(&app, "other").await;
    assert_eq!(app.get(&keys_path(&other, &who)).await.status, 404, "a principal is found only in its directory");
    let key = app.post(&keys, json!({"type": "v1"})).await;
    let key_elsewhere = format!("{}/{}", keys_path(&other, &who), str_of(&key.body, "id"));
    assert_eq!(app.delete(&key_elsewhere).await.status, 404);
}

/// `expires_at` is enforced at lookup: the key finds its principal until then, nothing after.
async fn an_expired_key_finds_no_principal(app: TestApp) {
    let dir = directory(&app, "expiry").await;
    let who = principal(&app, &dir).await;
    let expires = Utc::now() + TimeDelta::hours(1);
    let created = app
        .post(
            &keys_path(&dir, &who),
            json!({"type": "imported", "secret": "short-lived", "expires_at": expires.to_rfc3339()}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let before = expires - TimeDelta::seconds(1);
    assert_eq!(principal_for(&app, (None, &[]), &dir, "short-lived", before).await.as_deref(), Some(who.as_str()));
    assert_eq!(principal_for(&app, (None, &[]), &dir, "short-lived", expires).await, None);
    assert_eq!(principal_for(&app, (None, &[]), &dir, "short-lived", expires + TimeDelta::days(1)).await, None);
}

/// With TESSERA_ENCRYPTION_KEY set, digests are keyed by it (a copy of the database alone finds
/// nothing), and keys made under a previous encryption key are still found and still unique.
async fn keys_are_digested_under_the_encryption_key_and_survive_its_rotation(app: TestApp) {
    let app = app.restart_with(|s| s.encryption_key = Some(KEY_1.into())).await;
    let dir = directory(&app, "sealed").await;
    let who = principal(&app, &dir).await;
    let keys = keys_path(&dir, &who);
    assert_eq!(app.post(&keys, json!({"type": "imported", "secret": "guessable"})).await.status, 201);
    let now = Utc::now();
    assert_eq!(principal_for(&app, (Some(KEY_1), &[]), &dir, "guessable", now).await.as_deref(), Some(who.as_str()));
    assert_eq!(
        principal_for(&app, (Some(KEY_2), &[]), &dir, "guessable", now).await,
        None,
        "another server key finds nothing"
    );

    let app = app
        .restart_with(|s| {
            s.encryption_key = Some(KEY_2.into());
            s.encryption_key_previous = vec![KEY_1.into()];
        })
        .await;
    let again = app.post(&keys, json!({"type": "imported", "secret": "guessable"})).await;
    assert_eq!(again.status, 409, "the same key under the previous digest key: {}", again.text);
    assert_eq!(app.post(&keys, json!({"type": "imported", "secret": "fresh"})).await.status, 201);
    let rotated = (Some(KEY_2), &[KEY_1][..]);
    assert_eq!(principal_for(&app, rotated, &dir, "guessable", now).await.as_deref(), Some(who.as_str()));
    assert_eq!(principal_for(&app, rotated, &dir, "fresh", now).await.as_deref(), Some(who.as_str()));
    assert_eq!(principal_for(&app, (Some(KEY_1), &[]), &dir, "fresh", now).await, None, "new keys use the new key");
}

backend_tests!(
    a_principal_key_is_created_shown_once_changed_and_deleted,
    a_principal_holds_at_most_five_keys_even_under_concurrency,
    an_imported_key_exists_once_and_one_concurrent_import_wins,
    bad_key_requests_are_refused_precisely,
    an_expired_key_finds_no_principal,
    keys_are_digested_under_the_encryption_key_and_survive_its_rotation,
);
