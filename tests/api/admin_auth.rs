use reqwest::Method;
use tessera::domain::secret::token_digest;
use tessera::store::{ConnectOptions, Store};

use crate::helpers::{ADMIN_TOKEN, Backend, TestApp, backend_tests};

async fn v1_requests_without_a_token_get_401_with_a_bearer_challenge(app: TestApp) {
    let response = app.send(app.http.get(app.url("/v1/auth-servers"))).await;
    assert_eq!(response.status, 401);
    assert_eq!(response.header("www-authenticate"), Some("Bearer realm=\"tessera-admin\""));
    assert_eq!(response.body["status"], 401);
    assert_eq!(response.body["title"], "Unauthorized");
    assert!(response.body["instance"].as_str().unwrap().starts_with("tessera:trace:"));
}

async fn v1_requests_with_a_wrong_or_malformed_token_get_401(app: TestApp) {
    for header in ["Bearer wrong-token", "Basic dXNlcjpwYXNz", ADMIN_TOKEN, "Bearer", &format!("Bearer {ADMIN_TOKEN}x")]
    {
        let request = app.http.request(Method::GET, app.url("/v1/auth-servers")).header("authorization", header);
        assert_eq!(app.send(request).await.status, 401, "Authorization: {header}");
    }
    let lower_case_scheme =
        app.http.get(app.url("/v1/auth-servers")).header("authorization", format!("bearer {ADMIN_TOKEN}"));
    assert_eq!(app.send(lower_case_scheme).await.status, 200);
}

async fn health_endpoints_need_no_token(app: TestApp) {
    assert_eq!(app.send(app.http.get(app.url("/healthz"))).await.status, 200);
    assert_eq!(app.send(app.http.get(app.url("/readyz"))).await.status, 200);
}

backend_tests!(
    v1_requests_without_a_token_get_401_with_a_bearer_challenge,
    v1_requests_with_a_wrong_or_malformed_token_get_401,
    health_endpoints_need_no_token
);

/// Without TESSERA_ADMIN_TOKEN, the first start stores the bootstrap credential (a digest); the
/// token behind it is the one accepted, and a rotation takes effect on the running node.
async fn generated_admin_token_is_stored_only_as_a_digest(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| settings.admin_token = None).await;
    let store = Store::connect(&ConnectOptions {
        url: app.database_url.clone(),
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(5),
    })
    .unwrap();
    let bootstrap = tessera::store::admin_credentials::get(&store, tessera::store::admin_credentials::BOOTSTRAP)
        .await
        .expect("the bootstrap credential was stored at start");
    assert_eq!(bootstrap.access, tessera::domain::admin::Access::full(), "the bootstrap credential is a full admin");
    assert_eq!(app.send(app.http.get(app.url("/v1/auth-servers")).bearer_auth(ADMIN_TOKEN)).await.status, 401);

    let rotated = "tsa_rotated_token_for_the_test_0123456789";
    let origin = tessera::domain::admin::Origin::command_line("test", "rotate-admin-token", chrono::Utc::now());
    tessera::store::admin_credentials::set_bootstrap_token(&store, &token_digest(rotated), &origin).await.unwrap();
    assert_eq!(app.send(app.http.get(app.url("/v1/auth-servers")).bearer_auth(rotated)).await.status, 200);
    store.close().await;
}

mod generated_admin_token {
    use super::*;

    #[tokio::test]
    async fn sqlite() {
        generated_admin_token_is_stored_only_as_a_digest(Backend::Sqlite).await;
    }

    #[tokio::test]
    #[cfg_attr(not(tessera_pg_tests), ignore = "Postgres skipped: set TESSERA_TEST_POSTGRES_URL to run it")]
    async fn postgres() {
        generated_admin_token_is_stored_only_as_a_digest(Backend::Postgres).await;
    }
}
