//! The Argon2 pool under pressure: a full pool answers 503 at once, wrong secrets are
//! remembered, verified secrets survive unrelated admin writes, and a secret added on one node
//! works on another at once.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Backend, TestApp, backend_fns, backend_tests, client_body, str_of};
use crate::multi_node::on_node;

/// A counter of `/metrics`, by the start of its line.
async fn counter(app: &TestApp, series: &str) -> u64 {
    let metrics = app.send(app.http.get(app.url("/metrics"))).await.text;
    metrics
        .lines()
        .find(|line| line.starts_with(series))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|count| count.parse().ok())
        .unwrap_or(0)
}

async fn argon2_runs(app: &TestApp) -> u64 {
    counter(app, "tessera_cache_lookups_total{cache=\"client_secret\",result=\"miss\"}").await
}

pub(crate) async fn argon2_jobs(app: &TestApp) -> u64 {
    counter(app, "tessera_argon2_jobs_total{result=\"accepted\"}").await
}

async fn a_full_argon2_pool_answers_503_with_retry_after_at_once(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.argon2_threads = Some(1);
        s.argon2_queue = Some(0);
    })
    .await;
    let seed = app.auth_server_with_client().await;
    let clients = format!("/v1/auth-servers/{}/clients", seed.server_id);
    let started = Instant::now();
    let creations = (0..12).map(|n| app.post(&clients, client_body(&format!("parallel-{n}"), &[])));
    let answers = futures::future::join_all(creations).await;
    let elapsed = started.elapsed();
    let busy: Vec<_> = answers.iter().filter(|a| a.status == 503).collect();
    assert!(answers.iter().all(|a| a.status == 201 || a.status == 503), "{answers:?}");
    assert!(answers.iter().any(|a| a.status == 201));
    assert!(!busy.is_empty(), "one thread and no queue cannot take twelve hashes at once");
    assert!(busy.iter().all(|a| a.header("retry-after").is_some() && a.body["status"] == 503));
    assert!(elapsed < Duration::from_secs(10), "answered in {elapsed:?}");

    // The token endpoint: distinct wrong secrets at once, in the OAuth error shape.
    let url = format!("{}/oauth/token", seed.issuer);
    let started = Instant::now();
    let attempts = (0..12).map(|n| {
        let form = [
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", seed.client_id.clone()),
            ("client_secret", format!("WrongSecret{n:02}WrongSecretWrongSecret")),
        ];
        app.send(app.http.post(&url).form(&form))
    });
    let answers = futures::future::join_all(attempts).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(answers.iter().all(|a| a.status == 401 || a.status == 503), "{answers:?}");
    let busy: Vec<_> = answers.iter().filter(|a| a.status == 503).collect();
    assert!(!busy.is_empty());
    for answer in busy {
        assert_eq!(answer.body["error"], "temporarily_unavailable");
        assert!(answer.header("retry-after").is_some());
        assert_eq!(answer.header("cache-control"), Some("no-store"));
    }
    // The pool is free again afterwards.
    assert_eq!(app.token(&seed, None).await.status, 200);
    app.stop().await;
}

async fn a_repeated_wrong_secret_runs_argon2_once(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let wrong = crate::helpers::Seed { secret: "WrongSecretWrongSecretWrong12345".to_owned(), ..seed.clone() };
    let unknown = crate::helpers::Seed { client_id: "no-such-client".to_owned(), ..wrong.clone() };
    for who in [&wrong, &unknown] {
        let before = argon2_runs(&app).await;
        let first = app.token(who, None).await;
        assert_eq!(argon2_runs(&app).await - before, 1);
        for _ in 0..3 {
            let again = app.token(who, None).await;
            assert_eq!((again.status, &again.body), (first.status, &first.body));
        }
        assert_eq!(argon2_runs(&app).await - before, 1, "repeats are answered from memory");
        assert_eq!(first.status, 401);
    }
    // The right secret still works.
    assert_eq!(app.token(&seed, None).await.status, 200);
}

async fn a_verified_secret_survives_an_admin_write_that_does_not_touch_it(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    assert_eq!(app.token(&seed, None).await.status, 200);
    let before = argon2_runs(&app).await;
    app.create_scope(&seed.server_id, "unrelated").await;
    let client = format!("/v1/auth-servers/{}/clients/{}", seed.server_id, seed.client_id);
    assert_eq!(app.patch(&client, json!({"labels": {"team": "a"}})).await.status, 200);
    assert_eq!(app.token(&seed, None).await.status, 200);
    assert_eq!(argon2_runs(&app).await, before, "no Argon2 after writes that kept the client's secrets");

    // Disabling the secret is a change to it: refused at once.
    let secrets = format!("{client}/secrets");
    let id = str_of(&app.get(&secrets).await.body["data"][0], "id").to_owned();
    app.patch(&format!("{secrets}/{id}"), json!({"enabled": false})).await;
    assert_eq!(app.token(&seed, None).await.status, 401);
}

async fn a_secret_added_on_one_node_works_at_once_on_another(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let other = app.spawn_second_node().await;
    let at_other = on_node(&seed, &other);
    assert_eq!(other.token(&at_other, None).await.status, 200, "the other node has cached the client");
    let secrets = format!("/v1/auth-servers/{}/clients/{}/secrets", seed.server_id, seed.client_id);
    let added = app.post(&secrets, json!({})).await;
    assert_eq!(added.status, 201);
    let renewed = crate::helpers::Seed { secret: str_of(&added.body, "secret").to_owned(), ..at_other.clone() };
    let answer = other.token(&renewed, None).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    // And a wrong secret is still refused there.
    let wrong = crate::helpers::Seed { secret: "WrongSecretWrongSecretWrong12345".to_owned(), ..at_other };
    assert_eq!(other.token(&wrong, None).await.status, 401);
}

async fn a_duplicate_client_name_is_refused_before_hashing(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let clients = format!("/v1/auth-servers/{}/clients", seed.server_id);
    let before = argon2_jobs(&app).await;
    let duplicate = app.post(&clients, client_body("client1", &[])).await;
    assert_eq!(duplicate.status, 409, "{}", duplicate.text);
    let other = app.create_client(&seed.server_id, "client2", &[]).await;
    let mut body = client_body("client1", &[]);
    body["client_secret"] = json!("ImportedSecretImportedSecret123");
    let renamed = app.put(&format!("{clients}/{}", str_of(&other, "id")), body).await;
    assert_eq!(renamed.status, 409, "{}", renamed.text);
    assert_eq!(argon2_jobs(&app).await - before, 1, "only client2's secret was hashed");
}

backend_fns!(a_full_argon2_pool_answers_503_with_retry_after_at_once);

backend_tests!(
    a_repeated_wrong_secret_runs_argon2_once,
    a_verified_secret_survives_an_admin_write_that_does_not_touch_it,
    a_secret_added_on_one_node_works_at_once_on_another,
    a_duplicate_client_name_is_refused_before_hashing
);
