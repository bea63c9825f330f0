//! Rate limits (RFC 6585 §4), failed-authentication backoff, trusted proxies, and connections
//! that say nothing. Sources are told apart by `X-Forwarded-For`, which the test peer
//! (127.0.0.1) is trusted to set.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{ADMIN_TOKEN, Backend, Seed, TestApp, TestResponse, backend_fns};

const SOURCE_A: &str = "203.0.113.10";
const SOURCE_B: &str = "198.51.100.20";

async fn spawn(backend: Backend, adjust: impl FnOnce(&mut tessera::config::Settings)) -> TestApp {
    TestApp::spawn_with(backend, |s| {
        s.trusted_proxies = vec!["127.0.0.1".to_owned(), "::1".to_owned()];
        adjust(s)
    })
    .await
}

/// A client_credentials request from `source` with `secret`.
async fn token_from(app: &TestApp, seed: &Seed, source: &str, secret: &str) -> TestResponse {
    let form =
        [("grant_type", "client_credentials"), ("client_id", seed.client_id.as_str()), ("client_secret", secret)];
    let request = app.http.post(format!("{}/oauth/token", seed.issuer)).header("x-forwarded-for", source).form(&form);
    app.send(request).await
}

/// Asserts an RFC 6585 429 in the RFC 6749 §5.2 shape; the `Retry-After` seconds.
fn assert_oauth_429(response: &TestResponse, case: &str) -> u64 {
    assert_eq!(response.status, 429, "{case}: {}", response.text);
    assert_eq!(response.body["error"], "temporarily_unavailable", "{case}");
    assert!(response.body["error_description"].as_str().is_some_and(|d| d.contains("retry after")), "{case}");
    assert_eq!(response.header("cache-control"), Some("no-store"), "{case}");
    let retry_after: u64 = response.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After seconds");
    assert!(retry_after >= 1, "{case}: Retry-After {retry_after}");
    retry_after
}

async fn the_token_endpoint_answers_429_with_retry_after_past_the_per_address_limit(backend: Backend) {
    let app = spawn(backend, |s| s.rate_limit_per_address = 1).await;
    let seed = app.auth_server_with_client().await;
    let url = format!("{}/oauth/token", seed.issuer);
    let from_a =
        || app.http.post(&url).header("x-forwarded-for", SOURCE_A).form(&[("grant_type", "client_credentials")]);
    let first = app.send(from_a()).await;
    assert_eq!(first.status, 401, "within the limit, the request is handled: {}", first.text);
    let second = app.send(from_a()).await;
    assert_oauth_429(&second, "the second request within a second");
    // Introspection, revocation and registration share the per-address limit.
    for path in ["/introspect", "/oauth/revoke", "/oauth/register"] {
        let request =
            app.http.post(format!("{}{path}", seed.issuer)).header("x-forwarded-for", SOURCE_A).form(&[("token", "x")]);
        assert_oauth_429(&app.send(request).await, path);
    }
    // Another source address has its own bucket.
    let other = token_from(&app, &seed, SOURCE_B, &seed.secret).await;
    assert_eq!(other.status, 200, "{}", other.text);
    app.stop().await;
}

async fn failed_authentication_backs_off_for_that_source_only(backend: Backend) {
    let app = spawn(backend, |s| s.auth_failures_before_backoff = 3).await;
    let seed = app.auth_server_with_client().await;
    for attempt in 1..=3 {
        let wrong = token_from(&app, &seed, SOURCE_A, "wrong-secret").await;
        assert_eq!(wrong.status, 401, "failure {attempt} is let through: {}", wrong.text);
    }
    let locked = token_from(&app, &seed, SOURCE_A, "wrong-secret").await;
    let retry_after = assert_oauth_429(&locked, "past the allowed failures");
    let right_but_locked = token_from(&app, &seed, SOURCE_A, &seed.secret).await;
    assert_oauth_429(&right_but_locked, "even the right secret waits from that source");

    // The same client from another address is not locked out, and its failures are its own.
    let elsewhere = token_from(&app, &seed, SOURCE_B, &seed.secret).await;
    assert_eq!(elsewhere.status, 200, "another source: {}", elsewhere.text);
    let wrong_elsewhere = token_from(&app, &seed, SOURCE_B, "wrong-secret").await;
    assert_eq!(wrong_elsewhere.status, 401, "{}", wrong_elsewhere.text);

    // After the delay, the right secret works again and resets the count.
    tokio::time::sleep(Duration::from_secs(retry_after) + Duration::from_millis(200)).await;
    let again = token_from(&app, &seed, SOURCE_A, &seed.secret).await;
    assert_eq!(again.status, 200, "after Retry-After: {}", again.text);
    let wrong_again = token_from(&app, &seed, SOURCE_A, "wrong-secret").await;
    assert_eq!(wrong_again.status, 401, "a success started the count over: {}", wrong_again.text);
    app.stop().await;
}

async fn a_source_guessing_many_client_ids_backs_off_and_other_sources_do_not(backend: Backend) {
    let app = spawn(backend, |s| s.auth_failures_per_address_before_backoff = 4).await;
    let seed = app.auth_server_with_client().await;
    let url = format!("{}/oauth/token", seed.issuer);
    let guess = |n: usize| {
        let client_id = format!("guessed-client-{n}");
        let form = [("grant_type", "client_credentials"), ("client_id", client_id.as_str()), ("client_secret", "x")];
        app.http.post(&url).header("x-forwarded-for", SOURCE_A).form(&form)
    };
    // Each guess names a new client id, so no (client, source) count ever reaches its limit:
    // the per-source count across clients is what stops the Argon2 decoys.
    for n in 1..=4 {
        let answer = app.send(guess(n)).await;
        assert_eq!(answer.status, 401, "guess {n} is let through: {}", answer.text);
    }
    assert_oauth_429(&app.send(guess(5)).await, "a fifth client id from the same source");
    let real_client_from_a = token_from(&app, &seed, SOURCE_A, &seed.secret).await;
    assert_oauth_429(&real_client_from_a, "that source waits, whatever client it names");
    let elsewhere = token_from(&app, &seed, SOURCE_B, &seed.secret).await;
    assert_eq!(elsewhere.status, 200, "another source is not held up: {}", elsewhere.text);
    app.stop().await;
}

async fn registrations_are_limited_per_source_address(backend: Backend) {
    let app = spawn(backend, |s| s.rate_limit_registrations_per_address = 1).await;
    let seed = app.auth_server_with_client().await;
    let policy = app
        .patch(
            &format!("/v1/auth-servers/{}/client-registration", seed.server_id),
            json!({"enabled": true, "open_registration": true}),
        )
        .await;
    assert_eq!(policy.status, 200, "{}", policy.text);
    let endpoint = policy.body["registration_endpoint"].as_str().expect("registration_endpoint").to_owned();
    let register = |source: &str, name: &str| {
        app.http.post(&endpoint).header("x-forwarded-for", source).json(&json!({"client_name": name}))
    };
    let first = app.send(register(SOURCE_A, "first")).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_oauth_429(&app.send(register(SOURCE_A, "second")).await, "a second registration within the second");
    let elsewhere = app.send(register(SOURCE_B, "elsewhere")).await;
    assert_eq!(elsewhere.status, 201, "another source registers: {}", elsewhere.text);
    // Token requests from the throttled source are not held up by the registration limit.
    assert_eq!(token_from(&app, &seed, SOURCE_A, &seed.secret).await.status, 200);
    app.stop().await;
}

async fn valid_clients_are_not_throttled_under_the_default_limits(backend: Backend) {
    let defaults = tessera::config::Cli::parse_args(["tessera"]).unwrap().settings;
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limit_per_address = defaults.rate_limit_per_address;
        s.rate_limit_registrations_per_address = defaults.rate_limit_registrations_per_address;
        s.rate_limit_per_client = defaults.rate_limit_per_client;
        s.auth_failures_before_backoff = defaults.auth_failures_before_backoff;
        s.auth_failures_per_address_before_backoff = defaults.auth_failures_per_address_before_backoff;
    })
    .await;
    let seed = app.auth_server_with_client().await;
    let requests = (0..60).map(|_| app.token(&seed, Some("scope1")));
    let responses = futures::future::join_all(requests).await;
    for response in &responses {
        assert_eq!(response.status, 200, "{}", response.text);
    }
    // A few wrong secrets first (a rotation in progress) do not stop the right one.
    for _ in 1..defaults.auth_failures_before_backoff {
        assert_eq!(token_from(&app, &seed, "127.0.0.1", "old-secret").await.status, 401);
    }
    assert_eq!(app.token(&seed, Some("scope1")).await.status, 200);
    app.stop().await;
}

async fn an_auth_server_rate_limit_set_through_v1_is_enforced_and_null_means_unlimited(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let seed = app.auth_server_with_client().await;
    let path = format!("/v1/auth-servers/{}", seed.server_id);
    assert_eq!(app.get(&path).await.body["rate_limit_per_second"], serde_json::Value::Null, "unlimited by default");
    for bad in [json!(0), json!(-1), json!(1_000_001), json!("10"), json!(1.5)] {
        let refused = app.patch(&path, json!({ "rate_limit_per_second": bad })).await;
        assert_eq!(refused.status, 400, "{bad}: {}", refused.text);
        assert_eq!(refused.invalid_fields(), ["rate_limit_per_second"], "{bad}");
    }
    let limited = app.patch(&path, json!({ "rate_limit_per_second": 1 })).await;
    assert_eq!(limited.status, 200, "{}", limited.text);
    assert_eq!(limited.body["rate_limit_per_second"], 1);
    // Wrong credentials do not use up the auth server's share.
    for _ in 0..3 {
        assert_eq!(token_from(&app, &seed, SOURCE_B, "wrong-secret").await.status, 401);
    }
    assert_eq!(token_from(&app, &seed, SOURCE_A, &seed.secret).await.status, 200, "the one per second");
    let over = token_from(&app, &seed, SOURCE_B, &seed.secret).await;
    assert_oauth_429(&over, "the auth server's limit, whatever the source");
    // Other settings keep the limit; null removes it.
    let renamed = app.patch(&path, json!({ "description": "limited" })).await;
    assert_eq!(renamed.body["rate_limit_per_second"], 1);
    let unlimited = app.patch(&path, json!({ "rate_limit_per_second": null })).await;
    assert_eq!(unlimited.body["rate_limit_per_second"], serde_json::Value::Null);
    for i in 0..5 {
        let response = token_from(&app, &seed, SOURCE_A, &seed.secret).await;
        assert_eq!(response.status, 200, "request {i} without a limit: {}", response.text);
    }
    // Created with a limit.
    let created =
        app.post("/v1/auth-servers", json!({"name": "capped", "audience": "aud", "rate_limit_per_second": 100})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["rate_limit_per_second"], 100);
    app.stop().await;
}

async fn failed_v1_authentication_is_limited_per_source_address(backend: Backend) {
    let app = spawn(backend, |s| s.auth_failures_before_backoff = 2).await;
    let list = |source: &str, token: &str| {
        app.http.get(app.url("/v1/auth-servers")).header("x-forwarded-for", source).bearer_auth(token)
    };
    for attempt in 1..=2 {
        assert_eq!(app.send(list(SOURCE_A, "wrong-token-0123456789")).await.status, 401, "failure {attempt}");
    }
    for token in ["wrong-token-0123456789", ADMIN_TOKEN] {
        let refused = app.send(list(SOURCE_A, token)).await;
        assert_eq!(refused.status, 429, "{}", refused.text);
        assert_eq!(refused.header("content-type"), Some("application/problem+json"));
        assert_eq!(refused.body["status"], 429);
        assert!(refused.header("retry-after").and_then(|v| v.parse::<u64>().ok()).is_some_and(|s| s >= 1));
    }
    let elsewhere = app.send(list(SOURCE_B, ADMIN_TOKEN)).await;
    assert_eq!(elsewhere.status, 200, "another address is not locked out: {}", elsewhere.text);
    app.stop().await;
}

/// Reads until the server closes the connection, or gives up after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut received)).await.ok()?;
    let _ = read;
    Some(String::from_utf8_lossy(&received).into_owned())
}

async fn a_connection_that_sends_nothing_or_idles_after_a_response_is_closed_after_the_timeout(backend: Backend) {
    let app = spawn(backend, |s| s.header_read_timeout_seconds = 1).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    // Connected, silent.
    let mut silent = TcpStream::connect(&address).await.unwrap();
    let started = std::time::Instant::now();
    let answer = closed_within(&mut silent, Duration::from_secs(8)).await;
    assert!(answer.is_some(), "a silent connection is closed");
    assert!(started.elapsed() >= Duration::from_millis(900), "not before the timeout: {:?}", started.elapsed());
    // A keep-alive connection idle after its response.
    let mut idle = TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: tessera\r\n\r\n").await.unwrap();
    let answer = closed_within(&mut idle, Duration::from_secs(8)).await.expect("an idle connection is closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "the request was answered first: {answer}");
    assert_eq!(app.get("/healthz").await.status, 200);
    app.stop().await;
}

backend_fns!(
    the_token_endpoint_answers_429_with_retry_after_past_the_per_address_limit,
    failed_authentication_backs_off_for_that_source_only,
    a_source_guessing_many_client_ids_backs_off_and_other_sources_do_not,
    registrations_are_limited_per_source_address,
    valid_clients_are_not_throttled_under_the_default_limits,
    an_auth_server_rate_limit_set_through_v1_is_enforced_and_null_means_unlimited,
    failed_v1_authentication_is_limited_per_source_address,
    a_connection_that_sends_nothing_or_idles_after_a_response_is_closed_after_the_timeout,
);
