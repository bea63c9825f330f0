//! The web console in a real browser (headless Chromium over WebDriver, see `browser`): what
//! a newcomer does with it, what a read-only credential cannot do, how a session ends, and that
//! no page has a console error or a CSP violation. SQLite only: the console's behaviour does
//! not depend on the database, and each browser costs a core.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::browser::{Browser, browser};
use crate::helpers::{ADMIN_TOKEN, Backend, Seed, TestApp, jwt_parts, str_of};

/// Polls `GET path` (as the bootstrap admin) until `found` picks something out of its answer:
/// what the console did, seen in the database through the API.
async fn eventually(app: &TestApp, path: &str, found: impl Fn(&Value) -> Option<Value>) -> Value {
    let started = Instant::now();
    loop {
        let response = app.get(path).await;
        if let Some(value) = found(&response.body) {
            return value;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "GET {path} never showed it: {}", response.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The item of a list answer whose `key` is `value`.
fn item(key: &'static str, value: &'static str) -> impl Fn(&Value) -> Option<Value> {
    move |body| body["data"].as_array()?.iter().find(|item| item[key] == value).cloned()
}

async fn sign_in(browser: &Browser, app: &TestApp, token: &str) {
    browser.goto(&app.url("/console")).await;
    browser.fill("#sign-in input[name=token]", token).await;
    browser.click("#sign-in [data-test=submit]").await;
    browser.find("[data-test=sign-out]").await;
}

#[tokio::test]
async fn the_harness_sees_console_errors_and_csp_violations() {
    let Some(browser) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    browser.goto(&app.url("/console")).await;
    browser.find("#sign-in").await;
    browser.assert_no_problems("the sign-in page").await;

    browser.execute("console.error('something broke')", vec![]).await;
    let problems = browser.problems().await;
    assert!(problems.iter().any(|p| p.contains("something broke")), "{problems:?}");

    // An inline script, which the console's policy forbids: Chromium refuses and reports it.
    browser
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.ran = true'; document.body.append(s);",
            vec![],
        )
        .await;
    assert_eq!(
        browser.execute("return window.ran === true", vec![]).await,
        json!(false),
        "the inline script did not run"
    );
    let problems = browser.problems().await;
    assert!(problems.iter().any(|p| p.contains("Content Security Policy")), "{problems:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_token_is_refused_on_the_sign_in_page_and_the_right_one_signs_in() {
    let Some(browser) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    browser.goto(&app.url("/console")).await;
    browser.fill("#sign-in input[name=token]", "not-the-admin-token").await;
    browser.click("#sign-in [data-test=submit]").await;
    browser.wait_for_text("[data-test=form-error]", "").await;
    assert!(!browser.exists("[data-test=sign-out]").await);
    browser.problems().await; // the 401 is expected

    sign_in(&browser, &app, ADMIN_TOKEN).await;
    assert_eq!(browser.text("[data-test=credential-name]").await, "bootstrap");
    assert_eq!(browser.text("[data-test=role]").await, "admin");
    browser.assert_no_problems("after signing in").await;
    app.stop().await;
}

#[tokio::test]
async fn a_newcomer_completes_the_kong_tutorial_in_the_console_without_curl() {
    let Some(browser) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    sign_in(&browser, &app, ADMIN_TOKEN).await;
    browser.wait_loaded().await;
    assert!(browser.exists("[data-test=empty]").await, "a first start shows the empty state");

    // The auth server.
    browser.click("[data-test=create]").await;
    browser.fill("#auth-server-form input[name=name]", "Appointments").await;
    browser.fill("#auth-server-form input[name=audience]", "http://myhttpbin:8080/anything").await;
    browser.click("#auth-server-form [data-test=submit]").await;
    let server = eventually(&app, "/v1/auth-servers", item("name", "Appointments")).await;
    let server_id = str_of(&server, "id").to_owned();
    assert_eq!(server["audience"], "http://myhttpbin:8080/anything");
    browser.wait_for_text("[data-test=discovery]", "token_endpoint").await;
    browser.find("[data-test=jwks]").await;

    // A scope.
    browser.click("[data-test=tab-scopes]").await;
    browser.click("[data-test=create]").await;
    browser.fill("#scope-form input[name=name]", "scope1").await;
    browser.click("#scope-form [data-test=submit]").await;
    eventually(&app, &format!("/v1/auth-servers/{server_id}/scopes"), item("name", "scope1")).await;

    // A claim: with no client yet, the preview says what it needs.
    browser.click("[data-test=tab-claims]").await;
    browser.click("[data-test=create]").await;
    browser.fill("#claim-form input[name=name]", "team").await;
    browser.fill("#claim-form textarea[name=value]", "${ .Client.Labels.team | default \"platform\" }").await;
    browser.click("#claim-form input[name=include_in_all_scopes]").await;
    browser.wait_for_attribute("[data-test=claim-preview]", "data-state", &["idle"]).await;
    browser.wait_for_text("[data-test=claim-preview]", "Create a client").await;
    browser.click("#claim-form [data-test=submit]").await;
    let claim = eventually(&app, &format!("/v1/auth-servers/{server_id}/claims"), item("name", "team")).await;

    // A client allowed scope1: its secret is shown once.
    browser.click("[data-test=tab-clients]").await;
    browser.click("[data-test=create]").await;
    browser.fill("#client-form input[name=name]", "client1").await;
    browser.click_label("client-form", "scope1").await;
    browser.fill("#client-form textarea[name=labels]", "team=payments").await;
    browser.click("#client-form [data-test=submit]").await;
    browser.wait_for_text("[data-test=secret-once]", "you will not see it again").await;
    let secret = browser.text("[data-test=secret-value]").await;
    assert!(secret.len() >= 32, "a real secret: {secret:?}");
    browser.screenshot("client-secret").await;
    let client = eventually(&app, &format!("/v1/auth-servers/{server_id}/clients"), item("name", "client1")).await;
    let client_id = str_of(&client, "id").to_owned();
    let issuer = str_of(&server, "issuer").to_owned();
    // The secret the page showed is the client's.
    let token = app
        .post_form(
            &format!("{issuer}/oauth/token"),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("scope", "scope1"),
            ],
        )
        .await;
    assert_eq!(token.status, 200, "{}", token.text);
    browser.click("[data-test=done]").await;
    browser.wait_gone("[data-test=secret-once]").await;

    // Back to the claim: the preview now renders it for client1, as it is typed.
    browser.goto(&app.url(&format!("/console#/auth-servers/{server_id}/claims/{}", str_of(&claim, "id")))).await;
    browser.wait_for_attribute("[data-test=claim-preview]", "data-state", &["ok"]).await;
    browser.wait_for_text("[data-test=claim-preview-value]", "payments").await;
    browser.fill("#claim-form textarea[name=value]", "${ .Client.Name }-${ .AuthServer.Audience }").await;
    browser.wait_for_text("[data-test=claim-preview-value]", "client1-http://myhttpbin:8080/anything").await;
    browser.fill("#claim-form textarea[name=value]", "${ .Client.Nope | unknownfn }").await;
    browser.wait_for_attribute("[data-test=claim-preview]", "data-state", &["error"]).await;
    let reason = browser.text("[data-test=claim-preview-error]").await;
    assert!(!reason.is_empty(), "the template's problem is shown");
    browser.fill("#claim-form textarea[name=value]", "${ .Client.Labels.team | default \"platform\" }").await;
    browser.wait_for_text("[data-test=claim-preview-value]", "payments").await;
    browser.screenshot("claim-preview").await;

    // The test token: a real one from the issuer, decoded on the page.
    browser.goto(&app.url(&format!("/console#/auth-servers/{server_id}/clients/{client_id}"))).await;
    browser.fill("#test-token input[name=client_secret]", &secret).await;
    browser.click("[data-test=get-token]").await;
    let payload = browser.wait_for_text("[data-test=token-payload]", "\"team\"").await;
    assert!(payload.contains("payments") && payload.contains(&client_id), "{payload}");
    assert!(browser.text("[data-test=token-header]").await.contains("RS256"));
    let raw = browser.text("[data-test=raw-token]").await;
    let introspected = app
        .introspect(
            &Seed {
                server_id: server_id.clone(),
                issuer: issuer.clone(),
                scope_id: String::new(),
                client_id: client_id.clone(),
                secret: secret.clone(),
            },
            raw.trim(),
        )
        .await;
    assert_eq!(introspected.body["active"], true, "the page's token is live: {}", introspected.text);
    browser.scroll_to("#test-token").await;
    browser.screenshot("test-token").await;

    // The dashboard counted the two tokens.
    browser.click("[data-test=tab-overview]").await;
    browser.wait_for_text("[data-test=issued-total]", "2").await;
    browser.screenshot("dashboard").await;

    // The audit log, filtered to the client by a link: its creation, by this credential.
    browser.goto(&app.url(&format!("/console#/audit?filter[resource_id]={client_id}"))).await;
    browser.wait_for_text("[data-test=row]", "client.created").await;
    let rows = browser.execute("return document.querySelectorAll('[data-test=row]').length", vec![]).await;
    assert_eq!(rows, json!(1), "only the client's events");
    browser.goto(&app.url("/console#/audit")).await;
    browser.wait_for_text("[data-test=row]", "client.created").await;
    browser.screenshot("audit").await;
    browser.assert_no_problems("the tutorial").await;
    app.stop().await;
}

/// The console's view of the client's secrets, for the rotation walk.
async fn secret_ids(app: &TestApp, seed: &Seed) -> Vec<String> {
    let listed = app.get(&format!("/v1/auth-servers/{}/clients/{}/secrets", seed.server_id, seed.client_id)).await;
    listed.body["data"].as_array().unwrap().iter().map(|s| str_of(s, "id").to_owned()).collect()
}

#[tokio::test]
async fn a_secret_is_rotated_and_tokens_are_revoked_in_the_console() {
    let Some(browser) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let seed = app.auth_server_with_client().await;
    let old_secret = secret_ids(&app, &seed).await.remove(0);
    sign_in(&browser, &app, ADMIN_TOKEN).await;
    let client_page = app.url(&format!("/console#/auth-servers/{}/clients/{}", seed.server_id, seed.client_id));

    // Rotation: add the new secret, use it, disable then delete the old one.
    browser.goto(&format!("{client_page}/secrets")).await;
    browser.wait_for_text("[data-test=two-secret-rule]", "At most two secrets").await;
    browser.click("[data-test=add-secret]").await;
    let new_secret = browser.text("[data-test=secret-once] [data-test=secret-value]").await;
    let rotated = Seed { secret: new_secret.trim().to_owned(), ..seed.clone() };
    assert_eq!(app.token(&rotated, None).await.status, 200, "the new secret works at once");
    assert_eq!(app.token(&seed, None).await.status, 200, "and the old one still does");
    browser.click("[data-test=done]").await;
    browser.click(&format!("[data-test=row][data-id='{old_secret}'] [data-test=disable]")).await;
    browser.find(&format!("[data-test=row][data-id='{old_secret}'] [data-test=enable]")).await;
    assert_eq!(app.token(&seed, None).await.status, 401, "a disabled secret no longer authenticates");
    browser.click(&format!("[data-test=row][data-id='{old_secret}'] [data-test=delete]")).await;
    browser.click("[data-test=confirm-dialog] [data-test=confirm]").await;
    browser.wait_gone(&format!("[data-test=row][data-id='{old_secret}']")).await;
    assert_eq!(secret_ids(&app, &seed).await.len(), 1);

    // Revocation: one token, then all of them.
    let first = app.access_token(&rotated).await;
    let second = app.access_token(&rotated).await;
    let first_id = str_of(&jwt_parts(&first).1, "jti").to_owned();
    browser.goto(&format!("{client_page}/tokens")).await;
    browser.click(&format!("[data-test=row][data-id='{first_id}'] [data-test=revoke]")).await;
    browser.click("[data-test=confirm-dialog] [data-test=confirm]").await;
    browser.wait_gone(&format!("[data-test=row][data-id='{first_id}']")).await;
    assert_eq!(app.introspect(&rotated, &first).await.body["active"], false, "the revoked token is dead");
    assert_eq!(app.introspect(&rotated, &second).await.body["active"], true, "the other one lives");
    browser.click("[data-test=revoke-all]").await;
    browser.click("[data-test=confirm-dialog] [data-test=confirm]").await;
    browser.find("[data-test=empty]").await;
    assert_eq!(app.introspect(&rotated, &second).await.body["active"], false);
    browser.assert_no_problems("rotation and revocation").await;
    app.stop().await;
}

/// Every button that writes, on any page.
const WRITE_BUTTONS: &str = "[data-test=create], [data-test=edit], [data-test=delete], [data-test=add-secret], \
     [data-test=enable], [data-test=disable], [data-test=revoke], [data-test=revoke-all], [data-test=rotate], \
     [data-test=submit]";

#[tokio::test]
async fn a_read_only_credential_sees_no_edit_buttons_and_the_server_refuses_its_edits() {
    let Some(browser) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let seed = app.auth_server_with_client().await;
    let created = app.post("/v1/admin-credentials", json!({"name": "auditor", "role": "read-only"})).await;
    assert_eq!(created.status, 201);
    sign_in(&browser, &app, str_of(&created.body, "token")).await;
    assert_eq!(browser.text("[data-test=role]").await, "read-only");
    let server = format!("/console#/auth-servers/{}", seed.server_id);
    let client = format!("{server}/clients/{}", seed.client_id);
    for page in [
        "/console#/auth-servers".to_owned(),
        format!("{server}/overview"),
        format!("{server}/scopes"),
        format!("{server}/scopes/{}", seed.scope_id),
        format!("{server}/claims"),
        format!("{server}/clients"),
        format!("{server}/keys"),
        format!("{server}/registration"),
        format!("{server}/trusted-issuers"),
        format!("{server}/settings"),
        format!("{client}/secrets"),
        format!("{client}/tokens"),
        "/console#/directories".to_owned(),
        "/console#/admin-credentials".to_owned(),
    ] {
        browser.goto(&app.url(&page)).await;
        browser.wait_loaded().await;
        let buttons = browser.execute(
            "return [...document.querySelectorAll(arguments[0])].filter(e => !e.closest('#test-token, #token-filter, #audit-filter')).map(e => e.outerHTML.slice(0, 120))",
            vec![json!(WRITE_BUTTONS)],
        ).await;
        assert_eq!(buttons, json!([]), "{page} shows write buttons to a read-only credential");
        browser.assert_no_problems(&page).await;
    }
    // The server refuses what the page does not offer.
    let refused =
        browser.fetch_as_console("POST", "/v1/auth-servers", json!({"name": "No", "audience": "no"}), true).await;
    assert_eq!(refused, 403);
    let listed = app.get("/v1/auth-servers").await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1, "nothing was created");
    app.stop().await;
}

#[tokio::test]
async fn console_requests_need_the_csrf_token_and_an_ended_session_returns_to_sign_in() {
    let Some(browser) = browser().await else { return };
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.console_idle_timeout_seconds = 6).await;
    sign_in(&browser, &app, ADMIN_TOKEN).await;
    let body = json!({"name": "Forged", "audience": "forged"});
    assert_eq!(browser.fetch_as_console("POST", "/v1/auth-servers", body.clone(), false).await, 403, "no CSRF token");
    assert_eq!(app.get("/v1/auth-servers").await.body["data"], json!([]));
    assert_eq!(browser.fetch_as_console("POST", "/v1/auth-servers", body, true).await, 201, "with it");
    browser.problems().await; // the refused fetch is logged as a 403

    tokio::time::sleep(Duration::from_millis(6200)).await;
    // The next page the console opens finds the session over.
    browser.click("[data-test=nav-directories]").await;
    browser.wait_for_text("[data-test=session-ended]", "Your session has ended").await;
    browser.find("#sign-in input[name=token]").await;
    browser.problems().await;
    browser.fill("#sign-in input[name=token]", ADMIN_TOKEN).await;
    browser.click("#sign-in [data-test=submit]").await;
    browser.find("[data-test=sign-out]").await;

    // Signing out ends the session on the server too.
    browser.click("[data-test=sign-out]").await;
    browser.find("#sign-in").await;
    assert_eq!(browser.fetch_as_console("GET", "/v1/auth-servers", Value::Null, true).await, 401);
    app.stop().await;
}

#[tokio::test]
async fn no_console_page_has_a_console_error_or_a_csp_violation_at_desktop_or_phone_width() {
    let Some(browser) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let seed = app.auth_server_with_client().await;
    assert_eq!(app.token(&seed, None).await.status, 200);
    let claims = app.get(&format!("/v1/auth-servers/{}/claims", seed.server_id)).await;
    let claim_id = str_of(&claims.body["data"][0], "id").to_owned();
    let directory = app.post("/v2/directories", json!({"name": "staff"})).await;
    assert_eq!(directory.status, 201, "{}", directory.text);
    let directory_id = str_of(&directory.body, "id").to_owned();
    let principal =
        app.post(&format!("/v2/directories/{directory_id}/principals"), json!({"display_name": "ada"})).await;
    assert_eq!(principal.status, 201, "{}", principal.text);
    let principal_id = str_of(&principal.body, "id").to_owned();
    sign_in(&browser, &app, ADMIN_TOKEN).await;

    let server = format!("#/auth-servers/{}", seed.server_id);
    let client = format!("{server}/clients/{}", seed.client_id);
    let pages = [
        ("auth-servers", "#/auth-servers".to_owned()),
        ("auth-server-new", "#/auth-servers/new".to_owned()),
        ("overview", format!("{server}/overview")),
        ("scopes", format!("{server}/scopes")),
        ("scope", format!("{server}/scopes/{}", seed.scope_id)),
        ("claims", format!("{server}/claims")),
        ("claim", format!("{server}/claims/{claim_id}")),
        ("clients", format!("{server}/clients")),
        ("client", client.clone()),
        ("client-edit", format!("{client}/edit")),
        ("client-secrets", format!("{client}/secrets")),
        ("client-tokens", format!("{client}/tokens")),
        ("keys", format!("{server}/keys")),
        ("registration", format!("{server}/registration")),
        ("login-requests", format!("{server}/login-requests")),
        ("trusted-issuers", format!("{server}/trusted-issuers")),
        ("settings", format!("{server}/settings")),
        ("admin-credentials", "#/admin-credentials".to_owned()),
        ("audit", "#/audit".to_owned()),
        ("directories", "#/directories".to_owned()),
        ("directory", format!("#/directories/{directory_id}")),
        ("principal", format!("#/directories/{directory_id}/principals/{principal_id}")),
    ];
    for (width, suffix) in [(1280, ""), (390, "-phone")] {
        browser.resize(width, 900).await;
        for (name, page) in &pages {
            browser.goto(&app.url(&format!("/console{page}"))).await;
            browser.wait_loaded().await;
            let broken =
                browser.execute("return document.querySelector('#app').innerText.includes('Not found')", vec![]).await;
            assert_eq!(broken, json!(false), "{page} renders");
            browser.assert_no_problems(page).await;
            // The README's pictures: the first page at desktop width, two at phone width.
            if (suffix.is_empty() && *name == "auth-servers")
                || (!suffix.is_empty() && matches!(*name, "overview" | "client"))
            {
                browser.screenshot(&format!("{name}{suffix}")).await;
            }
        }
    }
    app.stop().await;
}

/// A link whose ids carry an encoded `/`, `?`, `#` or `..` would aim a page's API calls, and
/// its buttons, at another resource (a "revoke all" that deletes an admin credential): such a
/// link opens no page.
#[tokio::test]
async fn a_crafted_console_link_cannot_aim_a_pages_buttons_at_another_resource() {
    let Some(browser) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let seed = app.auth_server_with_client().await;
    let created = app.post("/v1/admin-credentials", json!({"name": "ci-deployer", "role": "admin"})).await;
    let credential_id = str_of(&created.body, "id").to_owned();
    sign_in(&browser, &app, ADMIN_TOKEN).await;
    let server = &seed.server_id;
    for link in [
        format!("#/auth-servers/..%2Fadmin-credentials%2F{credential_id}%23/clients/x/tokens"),
        format!("#/auth-servers/{server}%3Fforce%3Dtrue%23/clients/{}/tokens", seed.client_id),
        format!("#/auth-servers/{server}/scopes/..%2F..%2F..%2Fadmin-credentials%2F{credential_id}"),
        format!("#/directories/x%2F..%2F..%2F..%2Fv1%2Fadmin-credentials%2F{credential_id}%23/principals/y"),
        "#/auth-servers/%E0%A4%A".to_owned(),
    ] {
        browser.goto(&app.url(&format!("/console{link}"))).await;
        browser.wait_for_text("#app", "Page not found").await;
        assert!(!browser.exists("[data-test=revoke-all], [data-test=delete]").await, "{link} offers a button");
    }
    assert_eq!(app.get(&format!("/v1/admin-credentials/{credential_id}")).await.status, 200);
    assert_eq!(app.get(&format!("/v1/auth-servers/{server}")).await.status, 200);
    browser.assert_no_problems("crafted links").await;
    app.stop().await;
}

#[tokio::test]
async fn deleting_an_auth_server_that_is_not_empty_asks_again_with_a_force_checkbox() {
    let Some(browser) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let seed = app.auth_server_with_client().await;
    sign_in(&browser, &app, ADMIN_TOKEN).await;
    browser.goto(&app.url(&format!("/console#/auth-servers/{}/settings", seed.server_id))).await;
    browser.click("[data-test=delete]").await;
    browser.click("[data-test=confirm-dialog] [data-test=confirm]").await;
    // The API refused (it holds a scope, a claim and a client): the second question.
    browser.find("[data-test=confirm-dialog] [data-test=force]").await;
    browser.click("[data-test=confirm-dialog] [data-test=confirm]").await;
    browser.wait_for_text("[data-test=dialog-error]", "Tick the box").await;
    assert_eq!(app.get(&format!("/v1/auth-servers/{}", seed.server_id)).await.status, 200, "not without the box");
    browser.click("[data-test=confirm-dialog] [data-test=force]").await;
    browser.click("[data-test=confirm-dialog] [data-test=confirm]").await;
    browser.wait_gone("[data-test=confirm-dialog]").await;
    browser.find("[data-test=empty]").await;
    assert_eq!(app.get(&format!("/v1/auth-servers/{}", seed.server_id)).await.status, 404);
    browser.problems().await; // the first refusal is logged as a 400
    app.stop().await;
}
