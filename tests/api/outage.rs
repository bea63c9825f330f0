//! Outages fail fast: with the database unreachable, a token request whose configuration is
//! cached, `/readyz` and `/v1` writes answer 503 with `Retry-After` within a second (one short
//! connection wait, then at once while a probe finds the database down), and the node serves
//! again within about a second of the database's return.
//!
//! Postgres only: the outage is a TCP proxy between one node and its own test database that
//! the test cuts (the shared Postgres server keeps running). An embedded SQLite file has no
//! connection to lose.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Backend, FlakyProxy, TestApp, TestDb};

/// A node whose database connections all pass through a proxy the test can cut.
async fn node_behind_a_proxy() -> (TestApp, FlakyProxy) {
    let (db, database_url) = TestDb::create(Backend::Postgres).await;
    let mut url = url::Url::parse(&database_url).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let target = tokio::net::lookup_host(target).await.unwrap().next().unwrap();
    let proxy = FlakyProxy::start(target).await;
    url.set_port(Some(proxy.port)).unwrap();
    (TestApp::spawn_on(db, url.to_string(), |_| {}).await, proxy)
}

/// Generous for a loaded two-core machine; the point is "not 9 s".
const FAST: Duration = Duration::from_millis(1500);

#[tokio::test]
#[cfg_attr(not(tessera_pg_tests), ignore = "Postgres skipped: set TESSERA_TEST_POSTGRES_URL to run it")]
async fn with_the_database_down_requests_answer_503_within_a_second_and_the_node_recovers_at_once() {
    let (app, proxy) = node_behind_a_proxy().await;
    let seed = app.auth_server_with_client().await;
    // The change feed replays the setup's writes once (nodes read their own rows too); then
    // the configuration is cached and the secret verified.
    tokio::time::sleep(tessera::cache::sync::POLL_INTERVAL * 3).await;
    app.access_token(&seed).await;

    proxy.cut();
    for attempt in 0..5 {
        let started = Instant::now();
        let response = app.token(&seed, None).await;
        let took = started.elapsed();
        eprintln!("token request {attempt} with the database down: {} after {took:?}", response.status);
        assert_eq!(response.status, 503, "attempt {attempt}: {}", response.text);
        assert_eq!(response.body["error"], "temporarily_unavailable", "{}", response.text);
        assert!(response.header("retry-after").is_some(), "attempt {attempt}: Retry-After");
        assert!(took < FAST, "attempt {attempt}: 503 only after {took:?}");
    }

    let started = Instant::now();
    let ready = app.send(app.http.get(app.url("/readyz"))).await;
    eprintln!("/readyz with the database down: {} after {:?}", ready.status, started.elapsed());
    assert_eq!(ready.status, 503);
    assert!(started.elapsed() < FAST);

    let started = Instant::now();
    let write = app.post("/v1/auth-servers", json!({"name": "during", "audience": "x"})).await;
    eprintln!("/v1 write with the database down: {} after {:?}", write.status, started.elapsed());
    assert_eq!(write.status, 503, "{}", write.text);
    assert_eq!(write.header("content-type"), Some("application/problem+json"));
    assert!(write.header("retry-after").is_some());
    assert!(started.elapsed() < FAST);

    proxy.restore();
    let restored = Instant::now();
    loop {
        if app.token(&seed, None).await.status == 200 {
            break;
        }
        assert!(restored.elapsed() < Duration::from_secs(3), "the node serves again once the database is back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("token requests served again {:?} after the database returned", restored.elapsed());
    assert_eq!(app.send(app.http.get(app.url("/readyz"))).await.status, 200);
}
