use serde_json::json;

use crate::helpers::{TestApp, backend_tests};

backend_tests! {
    async fn liveness_and_readiness_answer_ok(app: TestApp) {
        let health = app.send(app.http.get(app.url("/healthz"))).await;
        assert_eq!((health.status, &health.body), (200, &json!({"status": "ok"})));
        let ready = app.send(app.http.get(app.url("/readyz"))).await;
        assert_eq!((ready.status, &ready.body), (200, &json!({"status": "ready"})));
    }

    async fn every_response_carries_a_request_id_and_errors_quote_it(app: TestApp) {
        let given = app.send(app.http.get(app.url("/v1/auth-servers/x")).bearer_auth(crate::helpers::ADMIN_TOKEN).header("x-request-id", "trace-123")).await;
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
}

/// With the database unreachable, /v1 and /readyz answer 503 with Retry-After within
/// the pool's acquire timeout instead of failing or hanging; liveness stays up.
#[tokio::test]
async fn an_unreachable_database_gives_503_with_retry_after() {
    let settings = tessera::config::Settings {
        auto_migrate: false,
        ..tessera::config::Settings::for_tests("postgres://postgres@127.0.0.1:1/none".to_owned(), crate::helpers::ADMIN_TOKEN)
    };
    let app = tessera::startup::Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.address());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let http = reqwest::Client::new();
    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.headers()["retry-after"], "5");
    let list = http.get(format!("{base}/v1/auth-servers")).bearer_auth(crate::helpers::ADMIN_TOKEN).send().await.unwrap();
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
