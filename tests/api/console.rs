//! The web console's server side over HTTP: its page and files with their security headers,
//! signing in with an admin credential for a cookie session, the CSRF header every cookie
//! request needs, how sessions end, and the activity its dashboard draws. What the pages do in a
//! browser is in `console_browser`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, Backend, TestApp, TestResponse, backend_fns, backend_tests, str_of};

/// A signed-in console: the app's cookie jar holds the session cookie.
struct Console {
    csrf: String,
    credential_id: String,
}

async fn sign_in_with(app: &TestApp, token: &str) -> TestResponse {
    app.send(app.http.post(app.url("/console/session")).json(&json!({ "token": token }))).await
}

async fn sign_in(app: &TestApp, token: &str) -> Console {
    let signed_in = sign_in_with(app, token).await;
    assert_eq!(signed_in.status, 201, "sign in: {}", signed_in.text);
    Console {
        csrf: str_of(&signed_in.body, "csrf_token").to_owned(),
        credential_id: str_of(&signed_in.body["credential"], "id").to_owned(),
    }
}

/// A request as the console makes it: the cookie (from the jar), no bearer token, and the
/// CSRF header when `csrf` is given.
async fn call(app: &TestApp, method: Method, path: &str, csrf: Option<&str>, body: Option<Value>) -> TestResponse {
    let mut request = app.http.request(method, app.url(path));
    if let Some(csrf) = csrf {
        request = request.header("x-csrf-token", csrf);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    app.send(request).await
}

async fn credential(app: &TestApp, name: &str, role: &str) -> (String, String) {
    let created = app.post("/v1/admin-credentials", json!({ "name": name, "role": role })).await;
    assert_eq!(created.status, 201, "{}", created.text);
    (str_of(&created.body, "id").to_owned(), str_of(&created.body, "token").to_owned())
}

backend_tests!(
    the_console_page_and_its_files_are_served_under_a_strict_content_security_policy,
    a_console_file_outside_the_console_directory_cannot_be_read,
    signing_in_sets_an_http_only_same_site_strict_cookie_that_calls_v1_with_the_csrf_token,
    a_cookie_request_without_the_sessions_csrf_token_is_refused,
    signing_in_takes_only_a_json_body_with_a_valid_token,
    signing_out_ends_the_session_and_clears_the_cookie,
    disabling_or_rotating_the_credential_ends_its_console_sessions,
    a_read_only_console_session_reads_but_cannot_write,
    console_writes_are_audited_as_the_credential_that_signed_in,
    the_activity_dashboard_counts_issued_and_rejected_token_requests,
    a_credential_keeps_at_most_twenty_sessions_and_a_further_sign_in_ends_the_oldest,
);

backend_fns!(a_new_bootstrap_token_ends_the_old_ones_console_sessions_for_good);

async fn the_console_page_and_its_files_are_served_under_a_strict_content_security_policy(app: TestApp) {
    for path in ["/console", "/console/"] {
        let page = app.send(app.http.get(app.url(path))).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(page.text.contains("/console/assets/app.js"), "the page loads the console's script: {}", page.text);
        let policy = page.header("content-security-policy").expect("a CSP");
        assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe"), "no unsafe-inline or unsafe-eval: {policy}");
        assert_eq!(page.header("x-frame-options"), Some("DENY"));
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    }

    let script = app.send(app.http.get(app.url("/console/assets/app.js"))).await;
    assert_eq!(script.status, 200);
    assert_eq!(script.header("content-type"), Some("text/javascript; charset=utf-8"));
    let etag = script.header("etag").expect("an ETag").to_owned();
    let style = app.send(app.http.get(app.url("/console/assets/console.css"))).await;
    assert_eq!(style.header("content-type"), Some("text/css; charset=utf-8"));
    assert_ne!(style.header("etag"), Some(etag.as_str()), "each file has its own ETag");

    let missing = app.send(app.http.get(app.url("/console/assets/missing.js"))).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["detail"], "No such console asset");
}

async fn a_console_file_outside_the_console_directory_cannot_be_read(app: TestApp) {
    for path in ["..%2fCargo.toml", "..%2f..%2fCargo.toml", "%2e%2e/Cargo.toml", "pages%2f..%2f..%2fCargo.toml"] {
        let response = app.http.get(app.url(&format!("/console/assets/{path}"))).send().await.expect("answered");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        assert!(status == 404 || status == 400, "{path}: {status}");
        assert!(!text.contains("[package]"), "{path} read a file outside console/");
    }
}

async fn signing_in_sets_an_http_only_same_site_strict_cookie_that_calls_v1_with_the_csrf_token(app: TestApp) {
    let signed_in = sign_in_with(&app, ADMIN_TOKEN).await;
    assert_eq!(signed_in.status, 201, "{}", signed_in.text);
    let cookie = signed_in.header("set-cookie").expect("a session cookie");
    assert!(cookie.starts_with("tessera_console="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.split("; ").any(|a| a == attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "no Secure on a plain-http public URL: {cookie}");
    assert!(!cookie.contains(ADMIN_TOKEN), "the cookie is not the admin token");
    assert_eq!(signed_in.header("cache-control"), Some("no-store"));
    assert_eq!(signed_in.body["role"], "admin");
    assert_eq!(signed_in.body["idle_timeout_seconds"], 1800);
    let csrf = str_of(&signed_in.body, "csrf_token").to_owned();

    let shown = call(&app, Method::GET, "/console/session", None, None).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.body["csrf_token"], csrf.as_str(), "the session's CSRF token is stable");

    let created = call(
        &app,
        Method::POST,
        "/v1/auth-servers",
        Some(&csrf),
        Some(json!({"name": "From the console", "audience": "console"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let listed = call(&app, Method::GET, "/v1/auth-servers", Some(&csrf), None).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["data"][0]["name"], "From the console");
    let directories = call(&app, Method::GET, "/v2/directories", Some(&csrf), None).await;
    assert_eq!(directories.status, 200, "the session reaches /v2 too: {}", directories.text);
}

async fn a_cookie_request_without_the_sessions_csrf_token_is_refused(app: TestApp) {
    let console = sign_in(&app, ADMIN_TOKEN).await;
    let body = json!({"name": "Forged", "audience": "forged"});
    let missing = call(&app, Method::POST, "/v1/auth-servers", None, Some(body.clone())).await;
    assert_eq!(missing.status, 403, "{}", missing.text);
    assert!(str_of(&missing.body, "detail").contains("CSRF"), "{}", missing.text);
    let wrong = call(&app, Method::POST, "/v1/auth-servers", Some("not-the-token"), Some(body.clone())).await;
    assert_eq!(wrong.status, 403);
    // Another browser's session token does not fit this one.
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let elsewhere: Value = browser
        .post(app.url("/console/session"))
        .json(&json!({ "token": ADMIN_TOKEN }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let elsewhere = str_of(&elsewhere, "csrf_token");
    assert_ne!(elsewhere, console.csrf, "each session has its own CSRF token");
    let foreign = call(&app, Method::POST, "/v1/auth-servers", Some(elsewhere), Some(body)).await;
    assert_eq!(foreign.status, 403);
    let reads_too = call(&app, Method::GET, "/v1/auth-servers", None, None).await;
    assert_eq!(reads_too.status, 403, "reads need the CSRF token as well");
    let listed = app.get("/v1/auth-servers").await;
    assert_eq!(listed.body["data"], json!([]), "no refused request created anything");
}

async fn signing_in_takes_only_a_json_body_with_a_valid_token(app: TestApp) {
    // A cross-site HTML form can post only forms and text: neither signs in.
    let form = app.send(app.http.post(app.url("/console/session")).form(&[("token", ADMIN_TOKEN)])).await;
    assert_eq!(form.status, 415, "{}", form.text);
    let text = app
        .send(
            app.http
                .post(app.url("/console/session"))
                .header("content-type", "text/plain")
                .body(format!("{{\"token\":\"{ADMIN_TOKEN}\"}}")),
        )
        .await;
    assert_eq!(text.status, 415);
    let without_token = app.send(app.http.post(app.url("/console/session")).json(&json!({}))).await;
    assert_eq!(without_token.status, 400);
    assert_eq!(without_token.invalid_fields(), vec!["token"]);
    let wrong = sign_in_with(&app, "not-an-admin-token-at-all").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.header("set-cookie").is_none(), "no cookie for a wrong token");
    let shown = call(&app, Method::GET, "/console/session", None, None).await;
    assert_eq!(shown.status, 401);
}

async fn signing_out_ends_the_session_and_clears_the_cookie(app: TestApp) {
    let console = sign_in(&app, ADMIN_TOKEN).await;
    let forged = call(&app, Method::DELETE, "/console/session", None, None).await;
    assert_eq!(forged.status, 403, "no other site can sign a browser out");
    assert_eq!(call(&app, Method::GET, "/console/session", None, None).await.status, 200);

    let signed_out = call(&app, Method::DELETE, "/console/session", Some(&console.csrf), None).await;
    assert_eq!(signed_out.status, 204);
    let cleared = signed_out.header("set-cookie").expect("the cookie is cleared");
    assert!(cleared.starts_with("tessera_console=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(call(&app, Method::GET, "/console/session", None, None).await.status, 401);
    assert_eq!(call(&app, Method::GET, "/v1/auth-servers", Some(&console.csrf), None).await.status, 401);
}

async fn disabling_or_rotating_the_credential_ends_its_console_sessions(app: TestApp) {
    let (id, token) = credential(&app, "ops", "admin").await;
    let console = sign_in(&app, &token).await;
    assert_eq!(console.credential_id, id);
    assert_eq!(call(&app, Method::GET, "/v1/auth-servers", Some(&console.csrf), None).await.status, 200);
    let disabled = app.patch(&format!("/v1/admin-credentials/{id}"), json!({"enabled": false})).await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    let refused = call(&app, Method::GET, "/v1/auth-servers", Some(&console.csrf), None).await;
    assert_eq!(refused.status, 401, "a disabled credential's session ends: {}", refused.text);
    assert_eq!(app.patch(&format!("/v1/admin-credentials/{id}"), json!({"enabled": true})).await.status, 200);
    let revived = call(&app, Method::GET, "/v1/auth-servers", Some(&console.csrf), None).await;
    assert_eq!(revived.status, 401, "enabling the credential again does not revive its old sessions");

    let console = sign_in(&app, &token).await;
    assert_eq!(call(&app, Method::GET, "/v1/auth-servers", Some(&console.csrf), None).await.status, 200);
    let rotated = app.post(&format!("/v1/admin-credentials/{id}/rotate"), json!({})).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let refused = call(&app, Method::GET, "/v1/auth-servers", Some(&console.csrf), None).await;
    assert_eq!(refused.status, 401, "a rotated credential's session ends: {}", refused.text);
    assert_eq!(sign_in_with(&app, &token).await.status, 401, "the old token no longer signs in");
    sign_in(&app, str_of(&rotated.body, "token")).await;
}

async fn a_read_only_console_session_reads_but_cannot_write(app: TestApp) {
    let server = app.create_auth_server("Readable").await;
    let (_, token) = credential(&app, "auditor", "read-only").await;
    let console = sign_in(&app, &token).await;
    let shown = call(&app, Method::GET, "/console/session", None, None).await;
    assert_eq!(shown.body["role"], "read-only");
    let listed = call(&app, Method::GET, "/v1/auth-servers", Some(&console.csrf), None).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["data"][0]["id"], server["id"]);
    let write = call(
        &app,
        Method::POST,
        "/v1/auth-servers",
        Some(&console.csrf),
        Some(json!({"name": "No", "audience": "no"})),
    )
    .await;
    assert_eq!(write.status, 403, "{}", write.text);
    assert!(str_of(&write.body, "detail").contains("read-only"), "{}", write.text);
    let delete =
        call(&app, Method::DELETE, &format!("/v1/auth-servers/{}", str_of(&server, "id")), Some(&console.csrf), None)
            .await;
    assert_eq!(delete.status, 403);
}

async fn console_writes_are_audited_as_the_credential_that_signed_in(app: TestApp) {
    let (id, token) = credential(&app, "release-bot", "admin").await;
    let console = sign_in(&app, &token).await;
    let created = call(
        &app,
        Method::POST,
        "/v1/auth-servers",
        Some(&console.csrf),
        Some(json!({"name": "Audited", "audience": "a"})),
    )
    .await;
    assert_eq!(created.status, 201);
    let events = app.get(&format!("/v1/audit-events?filter[resource_id]={}", str_of(&created.body, "id"))).await;
    assert_eq!(events.status, 200);
    let event = &events.body["data"][0];
    assert_eq!(event["action"], "auth_server.created");
    assert_eq!(event["actor"]["id"], id.as_str(), "{event}");
    assert_eq!(event["actor"]["name"], "release-bot");
}

async fn the_activity_dashboard_counts_issued_and_rejected_token_requests(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    for _ in 0..3 {
        assert_eq!(app.token(&seed, None).await.status, 200);
    }
    let wrong = app
        .post_form(
            &format!("{}/oauth/token", seed.issuer),
            &[("grant_type", "client_credentials"), ("client_id", &seed.client_id), ("client_secret", "wrong")],
        )
        .await;
    assert_eq!(wrong.status, 401);

    let path = format!("/console/api/auth-servers/{}/activity", seed.server_id);
    let activity = app.get(&path).await;
    assert_eq!(activity.status, 200, "{}", activity.text);
    assert_eq!(activity.body["window_minutes"], 60);
    let buckets = activity.body["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 60);
    let total = |key: &str| buckets.iter().map(|b| b[key].as_u64().unwrap()).sum::<u64>();
    assert_eq!((total("issued"), total("rejected")), (3, 1));
    assert!(buckets.windows(2).all(|w| w[0]["start"].as_str() < w[1]["start"].as_str()), "oldest first");

    // Through a session, and only for auth servers the credential can see.
    let console = sign_in(&app, ADMIN_TOKEN).await;
    assert_eq!(call(&app, Method::GET, &path, Some(&console.csrf), None).await.status, 200);
    let other = app.create_auth_server("Elsewhere").await;
    let scoped = app
        .post("/v1/admin-credentials", json!({"name": "scoped", "role": "read-only", "auth_server_ids": [other["id"]]}))
        .await;
    assert_eq!(scoped.status, 201, "{}", scoped.text);
    let hidden = app.send(app.http.get(app.url(&path)).bearer_auth(str_of(&scoped.body, "token"))).await;
    assert_eq!(hidden.status, 404, "an auth server outside the credential's scope is absent");
    let unknown = app.get(&format!("/console/api/auth-servers/{}/activity", uuid::Uuid::new_v4())).await;
    assert_eq!(unknown.status, 404);
}

/// A session unused for the idle timeout ends (SQLite only: the rule is the server's, not the
/// database's).
#[tokio::test]
async fn an_idle_console_session_ends_and_a_used_one_does_not() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.console_idle_timeout_seconds = 4).await;
    let console = sign_in(&app, ADMIN_TOKEN).await;
    // Used every second for longer than the idle timeout: it stays open.
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
        let used = call(&app, Method::GET, "/v1/auth-servers", Some(&console.csrf), None).await;
        assert_eq!(used.status, 200, "a session in use stays open: {}", used.text);
    }
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    let idle = call(&app, Method::GET, "/v1/auth-servers", Some(&console.csrf), None).await;
    assert_eq!(idle.status, 401, "{}", idle.text);
    assert!(str_of(&idle.body, "detail").starts_with("Signed out of the console"), "{}", idle.text);
    assert_eq!(call(&app, Method::GET, "/console/session", None, None).await.status, 401);
    app.stop().await;
}

/// Signs in from a browser of its own (no shared cookie jar): the session cookie's
/// `name=value` and the session's CSRF token.
async fn sign_in_elsewhere(app: &TestApp, token: &str) -> (String, String) {
    let signed_in =
        app.send(reqwest::Client::new().post(app.url("/console/session")).json(&json!({ "token": token }))).await;
    assert_eq!(signed_in.status, 201, "{}", signed_in.text);
    let cookie = signed_in.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    (cookie, str_of(&signed_in.body, "csrf_token").to_owned())
}

async fn status_with(app: &TestApp, (cookie, csrf): &(String, String)) -> u16 {
    let request =
        reqwest::Client::new().get(app.url("/v1/auth-servers")).header("cookie", cookie).header("x-csrf-token", csrf);
    app.send(request).await.status
}

async fn a_credential_keeps_at_most_twenty_sessions_and_a_further_sign_in_ends_the_oldest(app: TestApp) {
    let mut sessions = Vec::new();
    for _ in 0..20 {
        sessions.push(sign_in_elsewhere(&app, ADMIN_TOKEN).await);
        // Sessions are ordered by when they started, to the microsecond.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert_eq!(status_with(&app, &sessions[0]).await, 200);
    let newest = sign_in_elsewhere(&app, ADMIN_TOKEN).await;
    assert_eq!(status_with(&app, &sessions[0]).await, 401, "the oldest session ended");
    for session in sessions[1..].iter().chain([&newest]) {
        assert_eq!(status_with(&app, session).await, 200, "the newest twenty live on");
    }
}

async fn a_new_bootstrap_token_ends_the_old_ones_console_sessions_for_good(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = sign_in_elsewhere(&app, ADMIN_TOKEN).await;
    assert_eq!(status_with(&app, &session).await, 200);
    let app = app.restart_with(|s| s.admin_token = Some("another-admin-token-0123456789".to_owned())).await;
    assert_eq!(status_with(&app, &session).await, 401, "the old token's session ended");
    let app = app.restart_with(|_| {}).await;
    assert_eq!(status_with(&app, &session).await, 401, "and the old token coming back does not revive it");
    app.stop().await;
}

/// Over https the cookie is `__Host-` prefixed and `Secure`: no other host of the site can
/// set or shadow it. The plain name is not accepted then.
#[tokio::test]
async fn over_https_the_session_cookie_is_host_prefixed_and_secure() {
    let public_url = url::Url::parse("https://tessera.example.com").unwrap();
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.public_url = Some(public_url)).await;
    let signed_in = sign_in_with(&app, ADMIN_TOKEN).await;
    let cookie = signed_in.header("set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("__Host-tessera_console=") && cookie.ends_with("; Secure"), "{cookie}");
    assert!(!cookie.contains("Domain"), "{cookie}");
    let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
    let csrf = str_of(&signed_in.body, "csrf_token").to_owned();
    assert_eq!(status_with(&app, &(format!("__Host-tessera_console={value}"), csrf.clone())).await, 200);
    assert_eq!(status_with(&app, &(format!("tessera_console={value}"), csrf.clone())).await, 401);
    // An empty cookie of the same name placed first does not hide the session.
    let both = format!("__Host-tessera_console=; __Host-tessera_console={value}");
    assert_eq!(status_with(&app, &(both, csrf)).await, 200);
    app.stop().await;
}
