use serde_json::json;

use crate::helpers::{TestApp, backend_tests};

async fn trusted_origins_get_cors_headers_on_issuer_endpoints_only(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    app.patch(
        &format!("/v1/auth-servers/{}", seed.server_id),
        json!({"trusted_origins": ["https://portal.example.com"]}),
    )
    .await;
    let jwks = format!("{}/.well-known/jwks", seed.issuer);
    let trusted = app.send(app.http.get(&jwks).header("origin", "https://portal.example.com")).await;
    assert_eq!(trusted.header("access-control-allow-origin"), Some("https://portal.example.com"));
    let untrusted = app.send(app.http.get(&jwks).header("origin", "https://evil.example.com")).await;
    assert_eq!(untrusted.header("access-control-allow-origin"), None);

    let preflight = app
        .send(
            app.http
                .request(reqwest::Method::OPTIONS, format!("{}/oauth/token", seed.issuer))
                .header("origin", "https://portal.example.com")
                .header("access-control-request-method", "POST"),
        )
        .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("https://portal.example.com"));
    assert!(preflight.header("access-control-allow-methods").unwrap().contains("POST"));

    let admin = app
        .send(
            app.http
                .get(app.url("/v1/auth-servers"))
                .bearer_auth(crate::helpers::ADMIN_TOKEN)
                .header("origin", "https://portal.example.com"),
        )
        .await;
    assert_eq!(admin.header("access-control-allow-origin"), None, "the management API never gets CORS headers");
}

backend_tests!(trusted_origins_get_cors_headers_on_issuer_endpoints_only);
