use serde_json::json;

use crate::helpers::{TestApp, backend_tests};

async fn liveness_and_readiness_answer_ok(app: TestApp) {
    let health = app.send(app.http.get(app.url("/healthz"))).await;
    assert_eq!((health.status, &health.body), (200, &json!({"status": "ok"})));
    let ready = app.send(app.http.get(app.url("/readyz"))).await;
    assert_eq!((ready.status, &ready.body), (200, &json!({"status": "ready"})));
}

async fn every_response_carries_a_request_id_and_errors_quote_it(app: TestApp) {
    let given = app
        .send(
            app.http
                .get(app.url("/v1/auth-servers/x"))
                .bearer_auth(crate::helpers::ADMIN_TOKEN)
                .header("x-request-id", "trace-123"),
        )
        .await;
    assert_eq!(given.header("x-request-id"), Some("trace-123"));
    assert_eq!(given.body["instance"], "tessera:trace:trace-123");
    let generated = app.get("/v1/auth-servers").await;
    let id = generated.header("x-request-id").unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).map(|u| u.get_version_num()), Ok(4));
}

async fn unknown_paths_and_methods_get_problem_responses(app: TestApp) {
    assert_eq!(app.get("/v1/nothing-here").await.status, 404);
    assert_eq!(app.send(app.http.get(app.url("/nothing"))).await.status, 404);
    let wrong_method = app.send(app.http.delete(app.url("/healthz"))).await;
    assert_eq!(wrong_method.status, 405);
}

async fn the_openapi_description_is_served(app: TestApp) {
    let response = app.send(app.http.get(app.url("/openapi.yaml"))).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.text, include_str!("../../openapi.yaml"));
}

async fn a_graceful_stop_finishes_cleanly(app: TestApp) {
    app.create_auth_server("kept").await;
    app.stop().await;
}

backend_tests!(
    liveness_and_readiness_answer_ok,
    every_response_carries_a_request_id_and_errors_quote_it,
    unknown_paths_and_methods_get_problem_responses,
    the_openapi_description_is_served,
    a_graceful_stop_finishes_cleanly
);

/// With the database unreachable, /v1 and /readyz answer 503 with Retry-After within
/// the pool's acquire timeout instead of failing or hanging; liveness stays up.
#[tokio::test]
async fn an_unreachable_database_gives_503_with_retry_after() {
    let settings = tessera::config::Settings {
        auto_migrate: false,
        ..tessera::config::Settings::for_tests(
            "postgres://postgres@127.0.0.1:1/none".to_owned(),
            crate::helpers::ADMIN_TOKEN,
        )
    };
    let app = tessera::startup::Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.address());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let http = reqwest::Client::new();
    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.headers()["retry-after"], "5");
    let list =
        http.get(format!("{base}/v1/auth-servers")).bearer_auth(crate::helpers::ADMIN_TOKEN).send().await.unwrap();
    assert_eq!(list.status(), 503);
    let create = http
        .post(format!("{base}/v1/auth-servers"))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .json(&json!({"name": "n", "audience": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 503);
    assert_eq!(create.headers()["retry-after"], "5");
    assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
}

/// A Postgres outage mid-flight: requests get 503 with Retry-After while the database is
/// unreachable, and the same node serves again, with nothing lost, once it is back.
mod database_outage {
    use std::time::Duration;

    use serde_json::json;

    use crate::helpers::{ADMIN_TOKEN, FlakyProxy, TestDb};

    #[tokio::test]
    #[cfg_attr(not(tessera_pg_tests), ignore = "Postgres skipped: set TESSERA_TEST_POSTGRES_URL to run it")]
    async fn postgres_outage_gives_503_and_the_service_recovers_by_itself() {
        let (_db, database_url) = TestDb::create(crate::helpers::Backend::Postgres).await;
        let mut url = url::Url::parse(&database_url).unwrap();
        let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
        let target = tokio::net::lookup_host(target).await.unwrap().next().unwrap();
        let proxy = FlakyProxy::start(target).await;
        url.set_port(Some(proxy.port)).unwrap();

        let app =
            tessera::startup::Application::build(tessera::config::Settings::for_tests(url.to_string(), ADMIN_TOKEN))
                .await
                .unwrap();
        let base = format!("http://{}", app.address());
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        let http = reqwest::Client::new();
        let create = |name: &str| {
            http.post(format!("{base}/v1/auth-servers"))
                .bearer_auth(ADMIN_TOKEN)
                .json(&json!({"name": name, "audience": "x"}))
                .send()
        };
        assert_eq!(create("before").await.unwrap().status(), 201);

        proxy.cut();
        let during = create("during").await.unwrap();
        assert_eq!(during.status(), 503);
        assert_eq!(during.headers()["retry-after"], "5");
        assert_eq!(http.get(format!("{base}/readyz")).send().await.unwrap().status(), 503);

        proxy.restore();
        let mut status = 0;
        for _ in 0..20 {
            status = create("after").await.unwrap().status().as_u16();
            if status == 201 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert_eq!(status, 201, "the node serves again once the database is back");
        let list = http.get(format!("{base}/v1/auth-servers?sort=name")).bearer_auth(ADMIN_TOKEN).send().await.unwrap();
        let names: Vec<String> = list.json::<serde_json::Value>().await.unwrap()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            ["after", "before"],
            "what was acknowledged before the outage is kept; the 503 wrote nothing"
        );
    }
}

mod metrics {
    use crate::helpers::{Backend, TestApp};

    /// Token outcomes, latency per route and cache hits show up in Prometheus text format.
    #[tokio::test]
    async fn metrics_count_tokens_latency_and_cache_hits() {
        let app = TestApp::spawn(Backend::Sqlite).await;
        let seed = app.auth_server_with_client().await;
        // The change feed replays the setup's writes once (nodes read their own rows too).
        tokio::time::sleep(tessera::cache::sync::POLL_INTERVAL * 2).await;
        // Eight concurrent first uses of the secret: Argon2 must run once, the rest wait for it.
        let first_uses = futures::future::join_all((0..8).map(|_| app.token(&seed, Some("scope1")))).await;
        assert!(first_uses.iter().all(|r| r.status == 200));
        app.access_token(&seed).await;
        let _ = app.token(&crate::helpers::Seed { secret: "wrong".into(), ..seed.clone() }, None).await;
        let response = app.send(app.http.get(app.url("/metrics"))).await;
        assert_eq!(response.status, 200);
        assert!(response.header("content-type").unwrap().starts_with("text/plain"));
        let text = &response.text;
        let server = &seed.server_id;
        assert!(text.contains(&format!("tessera_tokens_total{{auth_server=\"{server}\",grant_type=\"client_credentials\",outcome=\"issued\"}} 9")), "{text}");
        assert!(text.contains(&format!("tessera_tokens_total{{auth_server=\"{server}\",grant_type=\"client_credentials\",outcome=\"invalid_client\"}} 1")));
        assert!(text.contains("tessera_request_duration_seconds_count{method=\"POST\",route=\"/{issuerSlug}/auth/oauth/token\",status=\"2xx\"} 9"));
        assert!(
            text.contains("tessera_cache_lookups_total{cache=\"client_secret\",result=\"miss\"} 2"),
            "one Argon2 run for the eight concurrent first uses, none for the ninth, one for the wrong secret: {text}"
        );
    }
}
