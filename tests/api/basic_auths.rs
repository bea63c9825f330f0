//! Basic-auth credentials of principals and their passwords (Kong Identity v2), each answer
//! checked against Kong's schemas by `TestApp::send`; and `authenticate_basic`, which the
//! lookup API uses.

use chrono::{Duration, Utc};
use futures::future::join_all;
use serde_json::{Value, json};
use tessera::hashing::Hasher;
use tessera::service::basic_auth::authenticate_basic;
use tessera::store::{ConnectOptions, Store};
use uuid::Uuid;

use crate::helpers::{TestApp, backend_tests, str_of};

async fn directory(app: &TestApp, name: &str) -> String {
    let created = app.post("/v2/directories", json!({"name": name})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    str_of(&created.body, "id").to_owned()
}

/// A principal of the directory, and the path of its basic-auths.
async fn principal(app: &TestApp, directory: &str) -> (String, String) {
    let created = app.post(&format!("/v2/directories/{directory}/principals"), json!({})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = str_of(&created.body, "id").to_owned();
    let path = format!("/v2/directories/{directory}/principals/{id}/basic-auths");
    (id, path)
}

async fn basic_auth(app: &TestApp, basic_auths: &str, body: Value) -> (Value, String) {
    let created = app.post(basic_auths, body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let path = format!("{basic_auths}/{}", str_of(&created.body, "id"));
    (created.body, path)
}

async fn password(app: &TestApp, basic_auth: &str, body: Value) -> Value {
    let created = app.post(&format!("{basic_auth}/passwords"), body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.body
}

fn actions(events: &Value) -> Vec<String> {
    events["data"].as_array().unwrap().iter().map(|e| str_of(e, "action").to_owned()).collect()
}

async fn a_basic_auth_and_its_passwords_are_created_read_changed_replaced_and_deleted(app: TestApp) {
    let dir = directory(&app, "partners").await;
    let (_, basic_auths) = principal(&app, &dir).await;
    let (created, path) =
        basic_auth(&app, &basic_auths, json!({"username": "acme", "managed_by": {"owner": "terraform"}})).await;
    let id = str_of(&created, "id").to_owned();
    assert_eq!(created["username"], "acme");
    assert_eq!(app.get(&path).await.body, created);
    assert_eq!(app.get(&basic_auths).await.body["data"], json!([created]));

    let patched = app.patch(&path, json!({"managed_by": {"owner": null, "team": "billing"}})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["managed_by"], json!({"team": "billing"}), "managed_by merges; null removes a key");
    assert_eq!(patched.body["username"], "acme");
    let replaced = app.put(&path, json!({"username": "acme-2"})).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.body["managed_by"], json!({}), "PUT resets what it leaves out");
    assert_eq!(replaced.body["created_at"], created["created_at"]);
    let unchanged = app.patch(&path, json!({})).await;
    assert_eq!(unchanged.body, replaced.body, "an empty PATCH changes nothing");

    let expires = (Utc::now() + Duration::days(30)).to_rfc3339();
    let chosen = password(&app, &path, json!({"secret": "correct horse battery staple", "expires_at": expires})).await;
    assert_eq!(chosen["secret"], "correct horse battery staple", "the secret is answered once, on creation");
    assert!(chosen["expires_at"].is_string());
    let generated_answer = app.post(&format!("{path}/passwords"), json!({})).await;
    assert_eq!(generated_answer.status, 201, "{}", generated_answer.text);
    assert_eq!(generated_answer.header("cache-control"), Some("no-store"), "an answer with a secret is not cached");
    let generated = generated_answer.body;
    let generated_secret = str_of(&generated, "secret").to_owned();
    assert!(generated_secret.len() >= 32, "a generated password is long: {generated_secret}");
    assert_eq!(generated["expires_at"], Value::Null);
    let password_path = format!("{path}/passwords/{}", str_of(&chosen, "id"));
    let read = app.get(&password_path).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert!(read.body.get("secret").is_none(), "never again after creation: {}", read.text);
    let listed = app.get(&format!("{path}/passwords")).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
    assert!(!listed.text.contains("correct horse") && !listed.text.contains(&generated_secret));

    let cleared = app.patch(&password_path, json!({"expires_at": null, "managed_by": {"rotated-by": "ci"}})).await;
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert_eq!(cleared.body["expires_at"], Value::Null, "null removes the expiry");
    assert_eq!(cleared.body["managed_by"], json!({"rotated-by": "ci"}));
    let put = app.put(&password_path, json!({"secret": "a new secret", "expires_at": expires})).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert!(put.body.get("secret").is_none(), "PUT answers a KongPassword: {}", put.text);
    assert_eq!(put.body["managed_by"], json!({}));

    let events = app.get(&format!("/v1/audit-events?filter[resource_id]={id}")).await;
    assert_eq!(actions(&events.body), ["basic_auth.created", "basic_auth.updated", "basic_auth.updated"]);
    let events = app.get(&format!("/v1/audit-events?filter[resource_id]={}", str_of(&chosen, "id"))).await;
    assert_eq!(actions(&events.body), ["password.created", "password.updated", "password.updated"]);
    let secret_changes: Vec<&Value> = events.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["changes"].as_array().unwrap())
        .filter(|c| c["field"] == "secret")
        .collect();
    assert_eq!(secret_changes.len(), 2, "created and replaced: {}", events.text);
    assert!(secret_changes.iter().all(|c| c["redacted"] == true && c.get("new").is_none()));
    let everything = app.get("/v1/audit-events?page[size]=100").await;
    for secret in ["correct horse", "a new secret", generated_secret.as_str()] {
        assert!(!everything.text.contains(secret), "{secret} reached the audit log");
    }

    assert_eq!(app.delete(&password_path).await.status, 204);
    assert_eq!(app.get(&password_path).await.status, 404);
    assert_eq!(app.delete(&password_path).await.status, 404);
    assert_eq!(app.delete(&format!("{path}/passwords")).await.status, 204, "deletes the generated one");
    assert_eq!(app.get(&format!("{path}/passwords")).await.body["data"], json!([]));
    assert_eq!(app.delete(&format!("{path}/passwords")).await.status, 204, "none left is no error");
    let events = app.get(&format!("/v1/audit-events?filter[resource_id]={}", str_of(&generated, "id"))).await;
    assert_eq!(actions(&events.body), ["password.created", "password.deleted"]);

    assert_eq!(app.delete(&path).await.status, 204);
    assert_eq!(app.get(&path).await.status, 404);
    let gone = app.patch(&path, json!({"username": "x"})).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body["detail"], format!("Basic auth [{id}] not found"));
}

/// Kong's limits: 5 credentials per principal; 2 passwords per username, so a rotation adds
/// the new one before the old one goes. Past them: 409, and room again after a delete.
async fn a_principal_holds_five_basic_auths_and_a_username_two_passwords(app: TestApp) {
    let dir = directory(&app, "limits").await;
    let (_, basic_auths) = principal(&app, &dir).await;
    let mut paths = Vec::new();
    for n in 0..5 {
        paths.push(basic_auth(&app, &basic_auths, json!({"username": format!("user-{n}")})).await.1);
    }
    let sixth = app.post(&basic_auths, json!({"username": "user-5"})).await;
    assert_eq!(sixth.status, 409, "{}", sixth.text);
    assert!(str_of(&sixth.body, "detail").contains("at most 5"), "{}", sixth.text);
    let page = app.get(&format!("{basic_auths}?page[size]=3")).await;
    assert_eq!(page.body["data"].as_array().unwrap().len(), 3);
    let next = app.get(str_of(&page.body["meta"]["page"], "next")).await;
    assert_eq!(next.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(app.get(&format!("{basic_auths}?sort=username")).await.status, 400, "Kong offers no sort here");
    assert_eq!(app.delete(&paths[4]).await.status, 204);
    basic_auth(&app, &basic_auths, json!({"username": "user-5"})).await;

    let old = password(&app, &paths[0], json!({"secret": "old"})).await;
    password(&app, &paths[0], json!({"secret": "new"})).await;
    let third = app.post(&format!("{}/passwords", paths[0]), json!({"secret": "newer"})).await;
    assert_eq!(third.status, 409, "{}", third.text);
    assert!(str_of(&third.body, "detail").contains("at most 2 passwords"), "{}", third.text);
    let passwords = format!("{}/passwords", paths[1]);
    let concurrent = join_all((0..4).map(|_| app.post(&passwords, json!({})))).await;
    let statuses: Vec<u16> = concurrent.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 2, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 2, "{statuses:?}");
    assert_eq!(app.delete(&format!("{}/passwords/{}", paths[0], str_of(&old, "id"))).await.status, 204);
    password(&app, &paths[0], json!({"secret": "newer"})).await;
}

/// A username is unique within its directory: one winner among concurrent creates, 409 on a
/// rename to a taken one, free in another directory, and free again once its principal goes.
async fn usernames_are_unique_within_a_directory(app: TestApp) {
    let dir = directory(&app, "people").await;
    let mut principals = Vec::new();
    for _ in 0..4 {
        principals.push(principal(&app, &dir).await);
    }
    let attempts = join_all(principals.iter().map(|(_, path)| app.post(path, json!({"username": "alice"})))).await;
    let statuses: Vec<u16> = attempts.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 3, "{statuses:?}");
    let refused = attempts.iter().find(|r| r.status == 409).unwrap();
    assert_eq!(refused.body["detail"], "The username [alice] is already taken in this directory");
    let winner = principals.iter().zip(&attempts).find(|(_, r)| r.status == 201).map(|(p, _)| p.clone()).unwrap();
    let loser = principals.iter().find(|p| p.0 != winner.0).unwrap();

    let (_, bob) = basic_auth(&app, &loser.1, json!({"username": "bob"})).await;
    assert_eq!(app.patch(&bob, json!({"username": "alice"})).await.status, 409);
    assert_eq!(app.put(&bob, json!({"username": "alice"})).await.status, 409);
    assert_eq!(app.get(&bob).await.body["username"], "bob");
    assert_eq!(app.patch(&bob, json!({"username": "Alice"})).await.status, 200, "usernames are case-sensitive");

    let elsewhere = directory(&app, "elsewhere").await;
    let (_, other) = principal(&app, &elsewhere).await;
    basic_auth(&app, &other, json!({"username": "alice"})).await;

    assert_eq!(app.delete(&format!("/v2/directories/{dir}/principals/{}", winner.0)).await.status, 204);
    basic_auth(&app, &loser.1, json!({"username": "alice"})).await;
}

async fn bad_basic_auths_and_passwords_are_refused_field_by_field(app: TestApp) {
    let dir = directory(&app, "strict").await;
    let (_, basic_auths) = principal(&app, &dir).await;
    let cases = [
        (json!({}), "username", "required"),
        (json!({"username": ""}), "username", "min_length"),
        (json!({"username": "x".repeat(256)}), "username", "max_length"),
        (json!({"username": "a:b"}), "username", "invalid"),
        (json!({"username": 7}), "username", "is_string"),
        (json!({"username": "u", "managed_by": {"_x": "1"}}), "managed_by._x", "is_label"),
        (json!({"username": "u", "password": "p"}), "password", "unknown_property"),
    ];
    for (body, field, rule) in cases {
        let refused = app.post(&basic_auths, body.clone()).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
        assert_eq!(refused.rule_for(field).as_deref(), Some(rule), "{body}: {}", refused.text);
    }
    let (_, path) = basic_auth(&app, &basic_auths, json!({"username": "u"})).await;
    assert_eq!(app.put(&path, json!({})).await.rule_for("username").as_deref(), Some("required"));

    let past = (Utc::now() - Duration::minutes(1)).to_rfc3339();
    let cases = [
        (json!({"secret": ""}), "secret", "min_length"),
        (json!({"secret": "p".repeat(256)}), "secret", "max_length"),
        (json!({"secret": "bell\u{7}"}), "secret", "invalid"),
        (json!({"expires_at": past}), "expires_at", "invalid"),
        (json!({"expires_at": "tomorrow"}), "expires_at", "is_date_time"),
        (json!({"enabled": true}), "enabled", "unknown_property"),
    ];
    for (body, field, rule) in cases {
        let refused = app.post(&format!("{path}/passwords"), body.clone()).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
        assert_eq!(refused.rule_for(field).as_deref(), Some(rule), "{body}: {}", refused.text);
    }
    let created = password(&app, &path, json!({})).await;
    let password_path = format!("{path}/passwords/{}", str_of(&created, "id"));
    let no_expiry = app.put(&password_path, json!({"secret": "s"})).await;
    assert_eq!(no_expiry.rule_for("expires_at").as_deref(), Some("required"), "{}", no_expiry.text);
    let secret_patch = app.patch(&password_path, json!({"secret": "s"})).await;
    assert_eq!(secret_patch.rule_for("secret").as_deref(), Some("unknown_property"), "the secret changes by PUT");
    assert_eq!(
        app.get(&format!("{path}/passwords/not-a-uuid")).await.rule_for("passwordId").as_deref(),
        Some("is_uuid")
    );
}

/// Each missing part of the path answers its own 404; a credential is found only under its
/// own principal and directory.
async fn unknown_parents_answer_a_404_naming_what_is_missing(app: TestApp) {
    let dir = directory(&app, "home").await;
    let (principal_id, basic_auths) = principal(&app, &dir).await;
    let (created, path) = basic_auth(&app, &basic_auths, json!({"username": "u"})).await;
    let id = str_of(&created, "id");
    let unknown = Uuid::new_v4();
    let cases = [
        (format!("/v2/directories/{unknown}/principals/{principal_id}/basic-auths"), format!("Directory [{unknown}]")),
        (format!("/v2/directories/{dir}/principals/{unknown}/basic-auths"), format!("Principal [{unknown}]")),
        (format!("{basic_auths}/{unknown}"), format!("Basic auth [{unknown}]")),
        (format!("{basic_auths}/{unknown}/passwords"), format!("Basic auth [{unknown}]")),
        (format!("{path}/passwords/{unknown}"), format!("Password [{unknown}]")),
    ];
    for (target, missing) in cases {
        let answer = app.get(&target).await;
        assert_eq!(answer.status, 404, "{target}: {}", answer.text);
        assert_eq!(answer.body["detail"], format!("{missing} not found"), "{target}");
    }
    let posted = app.post(&format!("{basic_auths}/{unknown}/passwords"), json!({})).await;
    assert_eq!(posted.status, 404);
    let (other_principal, _) = principal(&app, &dir).await;
    let misplaced = app.get(&format!("/v2/directories/{dir}/principals/{other_principal}/basic-auths/{id}")).await;
    assert_eq!(misplaced.status, 404, "another principal's credential");
    let elsewhere = directory(&app, "elsewhere").await;
    let moved = app.get(&format!("/v2/directories/{elsewhere}/principals/{principal_id}/basic-auths/{id}")).await;
    assert_eq!(moved.status, 404);
}

/// What the lookup API will call: the right password of a username answers its principal;
/// both passwords work during a rotation; wrong, expired, unknown or deleted ones answer none.
async fn authenticate_basic_answers_the_principal_of_an_unexpired_password(app: TestApp) {
    let dir = directory(&app, "gateway").await;
    let (principal_id, basic_auths) = principal(&app, &dir).await;
    let (_, path) = basic_auth(&app, &basic_auths, json!({"username": "svc"})).await;
    let soon = Utc::now() + Duration::hours(1);
    let old = password(&app, &path, json!({"secret": "old-password", "expires_at": soon.to_rfc3339()})).await;
    let new = password(&app, &path, json!({})).await;
    let new_secret = str_of(&new, "secret").to_owned();

    let store = Store::connect(&ConnectOptions {
        url: app.database_url.clone(),
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(5),
    })
    .unwrap();
    let hasher = Hasher::new(1, 8, Default::default());
    let dir_id: Uuid = dir.parse().unwrap();
    let principal: Uuid = principal_id.parse().unwrap();
    let check = |username: &'static str, password: String, at: chrono::DateTime<Utc>| {
        let (store, hasher) = (&store, &hasher);
        async move {
            authenticate_basic(store, hasher, dir_id, username, &password, at).await.unwrap().map(|a| a.principal_id)
        }
    };
    let now = Utc::now();
    assert_eq!(check("svc", "old-password".into(), now).await, Some(principal), "the old password");
    assert_eq!(check("svc", new_secret.clone(), now).await, Some(principal), "the new password");
    assert_eq!(check("svc", "wrong".into(), now).await, None);
    assert_eq!(check("svc", String::new(), now).await, None);
    assert_eq!(check("nobody", "old-password".into(), now).await, None, "an unknown username");
    assert_eq!(check("SVC", "old-password".into(), now).await, None, "usernames are case-sensitive");
    let later = soon + Duration::seconds(1);
    assert_eq!(check("svc", "old-password".into(), later).await, None, "expired");
    assert_eq!(check("svc", new_secret.clone(), later).await, Some(principal), "no expiry");
    let other_dir: Uuid = directory(&app, "other").await.parse().unwrap();
    assert_eq!(authenticate_basic(&store, &hasher, other_dir, "svc", &new_secret, now).await.unwrap(), None);

    let old_path = format!("{path}/passwords/{}", str_of(&old, "id"));
    assert_eq!(app.delete(&old_path).await.status, 204);
    assert_eq!(check("svc", "old-password".into(), now).await, None, "deleted");
    assert_eq!(app.delete(&format!("/v2/directories/{dir}/principals/{principal_id}")).await.status, 204);
    assert_eq!(check("svc", new_secret.clone(), now).await, None, "its principal is gone, and its credentials");
    store.close().await;
}

backend_tests!(
    a_basic_auth_and_its_passwords_are_created_read_changed_replaced_and_deleted,
    a_principal_holds_five_basic_auths_and_a_username_two_passwords,
    usernames_are_unique_within_a_directory,
    bad_basic_auths_and_passwords_are_refused_field_by_field,
    unknown_parents_answer_a_404_naming_what_is_missing,
    authenticate_basic_answers_the_principal_of_an_unexpired_password
);
