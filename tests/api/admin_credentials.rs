//! Admin credentials: roles, scoping to auth servers, expiry, disabling and rotation.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, Backend, TestApp, backend_fns, backend_tests, str_of};
use crate::spec::SPEC;

/// Creates a credential as the bootstrap admin; returns (id, token).
async fn credential(app: &TestApp, name: &str, role: &str, auth_servers: Option<&[&str]>) -> (String, String) {
    let mut body = json!({ "name": name, "role": role });
    if let Some(ids) = auth_servers {
        body["auth_server_ids"] = json!(ids);
    }
    let created = app.post("/v1/admin-credentials", body).await;
    assert_eq!(created.status, 201, "create {role} credential: {}", created.text);
    (str_of(&created.body, "id").to_owned(), str_of(&created.body, "token").to_owned())
}

async fn as_holder(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> crate::helpers::TestResponse {
    let mut request = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    app.send(request).await
}

#[derive(Debug, PartialEq)]
enum Expect {
    Allowed,
    Forbidden,
    /// Outside the credential's scope: the 404 of an unknown id.
    Hidden,
}

/// What each role may do, written from the issue rather than read from the server's table. In
/// the walk, `admin` is unscoped, `directory-admin` and `gateway` are scoped to one directory,
/// and the others to one auth server (so every directory is hidden from them, and every auth
/// server from the directory roles).
fn role_expects(role: &str, method: &str, path: &str) -> Expect {
    let below_server = path.starts_with("/v1/auth-servers/{authServerId}");
    let below_directory = path.starts_with("/v2/directories/{directoryId}");
    let credentials = path.starts_with("/v1/admin-credentials");
    let directories = path.starts_with("/v2/directories");
    let audit = path.starts_with("/v1/audit-events");
    let login = path.contains("/login-requests/");
    // Not a client's registration access token: with it, RFC 7592 rotates the client's secret.
    let registration = path.contains("/client-registration");
    let read = method == "GET" || path.ends_with("/test-claim");
    let directory_role = matches!(role, "directory-admin" | "gateway");
    if role != "admin" && ((directory_role && below_server) || (!directory_role && below_directory)) {
        return Expect::Hidden;
    }
    let allowed = match role {
        "admin" => true,
        "auth-server-admin" => below_server || (path == "/v1/auth-servers" && method == "GET") || (audit && read),
        "read-only" => read && !credentials,
        "login-page" => login,
        "registration-admin" => registration,
        "directory-admin" => directories,
        "gateway" => path.ends_with("/authenticate") || path.ends_with("/resolve"),
        other => panic!("unknown role {other}"),
    };
    if allowed { Expect::Allowed } else { Expect::Forbidden }
}

/// Fills a path template with ids that exist where that is harmless, and with unknown ids
/// where an allowed request would destroy what later requests need.
fn fill(template: &str, server: &str, client: &str, scope: &str) -> String {
    let unknown = uuid::Uuid::new_v4().to_string();
    template
        .replace("{authServerId}", server)
        .replace("{clientId}", client)
        .replace("{scopeId}", scope)
        .replace("{claimId}", &unknown)
        .replace("{trustedIssuerId}", &unknown)
        .replace("{resourceId}", &unknown)
        .replace("{clientSecretId}", &unknown)
        .replace("{tokenId}", &unknown)
        .replace("{initialAccessTokenId}", &unknown)
        .replace("{adminCredentialId}", &unknown)
        .replace("{principalId}", &unknown)
        .replace("{apiKeyId}", &unknown)
        .replace("{identityId}", &unknown)
        .replace("{basicAuthId}", &unknown)
        .replace("{passwordId}", &unknown)
        .replace("{loginChallenge}", "not-a-challenge")
}

/// Walks every /v1 operation of openapi.yaml and every /v2 one of openapi-v2.yaml with a credential of every role, scoped to one
/// auth server: a role's operations are never refused (401/403), the others are 403 in
/// Kong's problem shape; on another auth server, every operation of a scoped credential is
/// the 404 of an unknown auth server.
async fn every_management_operation_answers_each_role_as_the_route_table_says(app: TestApp) {
    let mine = app.auth_server_with_client().await;
    let other = app.create_auth_server("someone-else").await;
    let other_id = str_of(&other, "id").to_owned();
    let directory = app.post("/v2/directories", json!({"name": "walked"})).await;
    let directory_id = str_of(&directory.body, "id").to_owned();
    let other_directory = app.post("/v2/directories", json!({"name": "not-walked"})).await;
    let other_directory_id = str_of(&other_directory.body, "id").to_owned();
    let roles =
        ["admin", "auth-server-admin", "read-only", "login-page", "registration-admin", "directory-admin", "gateway"];
    let mut tokens = Vec::new();
    for role in roles {
        let mut body = json!({ "name": format!("{role}-walker"), "role": role });
        match role {
            "admin" => {}
            "directory-admin" | "gateway" => body["directory_ids"] = json!([directory_id]),
            _ => body["auth_server_ids"] = json!([mine.server_id]),
        }
        let created = app.post("/v1/admin-credentials", body).await;
        assert_eq!(created.status, 201, "{role}: {}", created.text);
        tokens.push((role, str_of(&created.body, "token").to_owned()));
    }
    let operations: Vec<(String, String)> = SPEC
        .operations()
        .into_iter()
        .filter(|(_, path)| path.starts_with("/v1/"))
        .chain(crate::spec::SPEC_V2.operations())
        .collect();
    assert!(operations.len() >= 60, "openapi.yaml and openapi-v2.yaml list the operations ({})", operations.len());
    let fill_in = |template: &str, server: &str, directory: &str| {
        fill(template, server, &mine.client_id, &mine.scope_id).replace("{directoryId}", directory)
    };
    let mut checked = 0;
    for (method, template) in &operations {
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        for (role, token) in &tokens {
            let mut path = fill_in(template, &mine.server_id, &directory_id);
            // An allowed DELETE of the auth server or directory would remove what the walk
            // needs: a bad `force` makes the handler refuse it after the permission check.
            if method == Method::DELETE
                && ["/v1/auth-servers/{authServerId}", "/v2/directories/{directoryId}"].contains(&template.as_str())
            {
                path.push_str("?force=maybe");
            }
            let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
            let response = as_holder(&app, token, method.clone(), &path, body.clone()).await;
            let label = format!("{role}: {method} {template} -> {} {}", response.status, response.text);
            match role_expects(role, method.as_str(), template) {
                // The forwarded lookup's verdict for no credential is a 401 with a lookup answer
                // (`active`): the route ran.
                Expect::Allowed => assert!(
                    ![401, 403].contains(&response.status) || response.body.get("active").is_some(),
                    "allowed, but refused: {label}"
                ),
                Expect::Forbidden => {
                    assert_eq!(response.status, 403, "forbidden, but not 403: {label}");
                    assert_eq!(response.body["title"], "Forbidden", "{label}");
                    assert!(str_of(&response.body, "detail").contains(role), "{label}");
                }
                Expect::Hidden => assert_eq!(response.status, 404, "outside its scope, but not 404: {label}"),
            }
            let elsewhere = if template.contains("{authServerId}") {
                Some((fill_in(template, &other_id, &directory_id), format!("Auth server [{other_id}] not found")))
            } else if template.contains("{directoryId}") {
                let path = fill_in(template, &mine.server_id, &other_directory_id);
                Some((path, format!("Directory [{other_directory_id}] not found")))
            } else {
                None
            };
            if let (Some((elsewhere, detail)), true) = (elsewhere, *role != "admin") {
                let response = as_holder(&app, token, method.clone(), &elsewhere, body).await;
                assert_eq!(response.status, 404, "{role}: {method} {template} elsewhere: {}", response.text);
                assert_eq!(response.body["detail"], detail, "{role}: {template}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, operations.len() * roles.len());
}

/// A scoped credential cannot tell another auth server from one that does not exist: the list
/// leaves it out and every answer about it is the same 404 as for a random id.
async fn scoping_hides_other_auth_servers(app: TestApp) {
    let mine = app.create_auth_server("mine").await;
    let theirs = app.create_auth_server("theirs").await;
    let (mine_id, theirs_id) = (str_of(&mine, "id"), str_of(&theirs, "id"));
    let (_, token) = credential(&app, "team-a", "auth-server-admin", Some(&[mine_id])).await;

    let listed = as_holder(&app, &token, Method::GET, "/v1/auth-servers", None).await;
    assert_eq!(listed.status, 200);
    let ids: Vec<&str> = listed.body["data"].as_array().unwrap().iter().map(|s| str_of(s, "id")).collect();
    assert_eq!(ids, [mine_id], "only its own auth server is listed");
    assert_eq!(listed.body["meta"]["page"]["total"], 1);

    let unknown = uuid::Uuid::new_v4().to_string();
    for id in [theirs_id, unknown.as_str()] {
        let got = as_holder(&app, &token, Method::GET, &format!("/v1/auth-servers/{id}"), None).await;
        assert_eq!(got.status, 404);
        assert_eq!(got.body["detail"], format!("Auth server [{id}] not found"));
        let scope =
            as_holder(&app, &token, Method::POST, &format!("/v1/auth-servers/{id}/scopes"), Some(json!({"name": "x"})))
                .await;
        assert_eq!(scope.status, 404);
    }
    let own = as_holder(
        &app,
        &token,
        Method::POST,
        &format!("/v1/auth-servers/{mine_id}/scopes"),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(own.status, 201, "{}", own.text);
    let created =
        as_holder(&app, &token, Method::POST, "/v1/auth-servers", Some(json!({"name": "new", "audience": "a"}))).await;
    assert_eq!(created.status, 403, "an auth-server-admin cannot create auth servers");
    let credentials = as_holder(&app, &token, Method::GET, "/v1/admin-credentials", None).await;
    assert_eq!(credentials.status, 403, "nor see credentials");
    assert_eq!(app.get(&format!("/v1/auth-servers/{theirs_id}/scopes")).await.body["meta"]["page"]["total"], 0);
}

/// The token is in the creation answer only; it authenticates with its role; names are unique;
/// the body is validated field by field.
async fn a_credential_shows_its_token_once_and_acts_with_its_role(app: TestApp) {
    let server = app.create_auth_server("watched").await;
    let server_id = str_of(&server, "id");
    let created = app.post("/v1/admin-credentials", json!({"name": "auditor", "role": "read-only"})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let token = str_of(&created.body, "token").to_owned();
    let id = str_of(&created.body, "id").to_owned();
    assert!(token.starts_with("tsa_") && token.len() == 44, "{token}");
    assert_eq!(created.body["auth_server_ids"], Value::Null);
    assert_eq!(created.body["enabled"], true);

    let fetched = app.get(&format!("/v1/admin-credentials/{id}")).await;
    assert_eq!(fetched.status, 200);
    assert!(fetched.body.get("token").is_none());
    let listed = app.get("/v1/admin-credentials").await;
    assert!(!listed.text.contains(&token), "the token is never listed");
    let names: Vec<&str> = listed.body["data"].as_array().unwrap().iter().map(|c| str_of(c, "name")).collect();
    assert_eq!(names, ["bootstrap", "auditor"]);
    let bootstrap = &listed.body["data"][0];
    assert_eq!(bootstrap["role"], "admin");
    assert_eq!(bootstrap["id"], "00000000-0000-0000-0000-000000000000");

    let read = as_holder(&app, &token, Method::GET, &format!("/v1/auth-servers/{server_id}"), None).await;
    assert_eq!(read.status, 200);
    let write =
        as_holder(&app, &token, Method::PATCH, &format!("/v1/auth-servers/{server_id}"), Some(json!({"name": "x"})))
            .await;
    assert_eq!(write.status, 403);
    assert_eq!(write.header("content-type"), Some("application/problem+json"));
    assert_eq!(app.get(&format!("/v1/auth-servers/{server_id}")).await.body["name"], "watched", "nothing changed");

    let again = app.post("/v1/admin-credentials", json!({"name": "auditor", "role": "admin"})).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["detail"], "An admin credential named [auditor] already exists");

    let unknown_server = uuid::Uuid::new_v4().to_string();
    let cases = [
        (json!({"name": "a", "role": "root"}), "role", "enum"),
        (json!({"role": "admin"}), "name", "required"),
        (json!({"name": "a", "role": "admin", "auth_server_ids": [server_id]}), "auth_server_ids", "invalid"),
        (json!({"name": "a", "role": "auth-server-admin"}), "auth_server_ids", "required"),
        (json!({"name": "a", "role": "login-page", "auth_server_ids": []}), "auth_server_ids", "min_items"),
        (
            json!({"name": "a", "role": "read-only", "auth_server_ids": [unknown_server]}),
            "auth_server_ids[0]",
            "missing_reference",
        ),
        (json!({"name": "a", "role": "read-only", "auth_server_ids": ["nope"]}), "auth_server_ids[0]", "is_uuid"),
        (json!({"name": "a", "role": "read-only", "expires_at": "2001-01-01T00:00:00Z"}), "expires_at", "invalid"),
        (json!({"name": "a", "role": "read-only", "expires_at": "tomorrow"}), "expires_at", "is_date_time"),
        (json!({"name": "a", "role": "read-only", "token": "tsa_mine"}), "token", "unknown_property"),
    ];
    for (body, field, rule) in cases {
        let response = app.post("/v1/admin-credentials", body.clone()).await;
        assert_eq!(response.status, 400, "{body}: {}", response.text);
        assert_eq!(response.rule_for(field).as_deref(), Some(rule), "{body}: {}", response.text);
    }
}

/// Rotation gives a new token for the same credential; the old one stops working at once.
async fn rotation_replaces_the_token_and_keeps_the_role(app: TestApp) {
    let (id, old) = credential(&app, "ci", "read-only", None).await;
    let rotated = app.post(&format!("/v1/admin-credentials/{id}/rotate"), json!({})).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let new = str_of(&rotated.body, "token").to_owned();
    assert_ne!(new, old);
    assert_eq!(rotated.body["role"], "read-only");
    assert_eq!(rotated.body["id"], id.as_str());
    assert_eq!(as_holder(&app, &old, Method::GET, "/v1/auth-servers", None).await.status, 401);
    assert_eq!(as_holder(&app, &new, Method::GET, "/v1/auth-servers", None).await.status, 200);
    assert_eq!(
        as_holder(&app, &new, Method::POST, "/v1/auth-servers", Some(json!({"name": "n", "audience": "a"})))
            .await
            .status,
        403
    );
    let missing = app.post(&format!("/v1/admin-credentials/{}/rotate", uuid::Uuid::new_v4()), json!({})).await;
    assert_eq!(missing.status, 404);
}

/// The management API cannot lock itself out: the last usable admin stays, for an hour at
/// least; other credentials are never held back by that rule.
async fn the_last_admin_credential_cannot_be_disabled_or_deleted(app: TestApp) {
    let bootstrap = "/v1/admin-credentials/00000000-0000-0000-0000-000000000000";
    let refused = app.patch(bootstrap, json!({"enabled": false})).await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(str_of(&refused.body, "detail").contains("no enabled admin credential"), "{}", refused.text);
    let demoted = app.patch(bootstrap, json!({"role": "read-only"})).await;
    assert_eq!(demoted.status, 409, "{}", demoted.text);
    let soon = (chrono::Utc::now() + chrono::TimeDelta::minutes(10)).to_rfc3339();
    let expiring = app.patch(bootstrap, json!({"expires_at": soon})).await;
    assert_eq!(expiring.status, 409, "an expiry within the hour locks the API out as surely: {}", expiring.text);
    let (reader, _) = credential(&app, "reader", "read-only", None).await;
    let off = app.patch(&format!("/v1/admin-credentials/{reader}"), json!({"enabled": false})).await;
    assert_eq!(off.status, 200, "non-admins are never held back: {}", off.text);
    let events =
        app.get("/v1/audit-events?filter[resource_type]=admin_credential").await.body["meta"]["page"]["total"].clone();
    assert_eq!(app.patch(bootstrap, json!({})).await.status, 200);
    assert_eq!(app.patch(bootstrap, json!({"enabled": true})).await.status, 200);
    let after =
        app.get("/v1/audit-events?filter[resource_type]=admin_credential").await.body["meta"]["page"]["total"].clone();
    assert_eq!(events, after, "a PATCH that changes nothing records no event");

    // TESSERA_ADMIN_TOKEN is this credential's token at every start: rotating or deleting it
    // here would not last, so it is refused; disabling it lasts, and is allowed.
    for refused in [app.post(&format!("{bootstrap}/rotate"), json!({})).await, app.delete(bootstrap).await] {
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert!(str_of(&refused.body, "detail").contains("TESSERA_ADMIN_TOKEN"), "{}", refused.text);
    }

    let (_, second) = credential(&app, "second-admin", "admin", None).await;
    let disabled = app.patch(bootstrap, json!({"enabled": false})).await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    assert_eq!(app.get("/v1/auth-servers").await.status, 401, "the disabled bootstrap token is refused");
    let detail = app.get("/v1/auth-servers").await.body["detail"].clone();
    assert_eq!(detail, "Invalid admin token: the admin credential is disabled");
    let enabled = as_holder(&app, &second, Method::PATCH, bootstrap, Some(json!({"enabled": true}))).await;
    assert_eq!(enabled.status, 200);
    assert_eq!(app.get("/v1/auth-servers").await.status, 200);
}

/// Disabling on one node holds on the other at once (each request reads its credential); an
/// expiry holds by each node's clock, without waiting for anything.
async fn disabling_or_expiring_a_credential_holds_on_every_node_at_once(app: TestApp) {
    let skewed = app.spawn_second_node_with(|settings| settings.test_clock_offset_seconds = 3600).await;
    let (id, token) = credential(&app, "roaming", "read-only", None).await;
    assert_eq!(as_holder(&skewed, &token, Method::GET, "/v1/auth-servers", None).await.status, 200);

    let disabled = app.patch(&format!("/v1/admin-credentials/{id}"), json!({"enabled": false})).await;
    assert_eq!(disabled.status, 200);
    assert_eq!(as_holder(&skewed, &token, Method::GET, "/v1/auth-servers", None).await.status, 401);
    assert_eq!(app.patch(&format!("/v1/admin-credentials/{id}"), json!({"enabled": true})).await.status, 200);
    assert_eq!(as_holder(&skewed, &token, Method::GET, "/v1/auth-servers", None).await.status, 200);

    // Expires in a minute: the node whose clock is an hour ahead already refuses it.
    let soon = (chrono::Utc::now() + chrono::TimeDelta::seconds(60)).to_rfc3339();
    assert_eq!(app.patch(&format!("/v1/admin-credentials/{id}"), json!({"expires_at": soon})).await.status, 200);
    assert_eq!(as_holder(&app, &token, Method::GET, "/v1/auth-servers", None).await.status, 200);
    let expired = as_holder(&skewed, &token, Method::GET, "/v1/auth-servers", None).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.body["detail"], "Invalid admin token: the admin credential has expired");
    skewed.stop().await;
}

/// `last_used_at` is written in batches, not per request, and shows up within a flush.
async fn last_use_is_recorded_without_a_write_per_request(app: TestApp) {
    let (id, token) = credential(&app, "busy", "read-only", None).await;
    assert_eq!(app.get(&format!("/v1/admin-credentials/{id}")).await.body["last_used_at"], Value::Null);
    for _ in 0..5 {
        assert_eq!(as_holder(&app, &token, Method::GET, "/v1/auth-servers", None).await.status, 200);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let fetched = app.get(&format!("/v1/admin-credentials/{id}")).await;
        if fetched.body["last_used_at"].is_string() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "last_used_at was not recorded within 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

backend_tests!(
    every_management_operation_answers_each_role_as_the_route_table_says,
    scoping_hides_other_auth_servers,
    a_credential_shows_its_token_once_and_acts_with_its_role,
    rotation_replaces_the_token_and_keeps_the_role,
    the_last_admin_credential_cannot_be_disabled_or_deleted,
    disabling_or_expiring_a_credential_holds_on_every_node_at_once,
    last_use_is_recorded_without_a_write_per_request
);

/// `TESSERA_ADMIN_TOKEN` stays a full admin, and the bootstrap credential it names can be
/// managed like any other.
async fn the_configured_admin_token_is_the_bootstrap_admin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let me = app.get("/v1/admin-credentials/00000000-0000-0000-0000-000000000000").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["name"], "bootstrap");
    assert_eq!(me.body["role"], "admin");
    assert!(!me.text.contains(ADMIN_TOKEN));
}

backend_fns!(the_configured_admin_token_is_the_bootstrap_admin);

/// Runs `tessera admin-credentials …` against the app's database; (success, stdout, stderr).
async fn cli(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .env_clear()
        .env("DATABASE_URL", &app.database_url)
        .arg("admin-credentials")
        .args(args)
        .output()
        .await
        .expect("the binary runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

/// Break-glass: the command line creates a credential whose token the running server accepts at
/// once, lists credentials without tokens, and disables one, which the server then refuses.
async fn the_command_line_creates_lists_and_disables_credentials(app: TestApp) {
    let server = app.create_auth_server("ops").await;
    let server_id = str_of(&server, "id");
    let (ok, out, err) =
        cli(&app, &["create", "--name", "oncall", "--role", "auth-server-admin", "--auth-server", server_id]).await;
    assert!(ok, "{out}{err}");
    let token = out.split_whitespace().find(|word| word.starts_with("tsa_")).expect("the token is printed").to_owned();
    let read = as_holder(&app, &token, Method::GET, &format!("/v1/auth-servers/{server_id}"), None).await;
    assert_eq!(read.status, 200);
    assert_eq!(as_holder(&app, &token, Method::GET, "/v1/admin-credentials", None).await.status, 403);

    let (ok, out, _) = cli(&app, &["list"]).await;
    assert!(ok && out.contains("oncall") && out.contains("auth-server-admin") && out.contains("bootstrap"), "{out}");
    assert!(!out.contains(&token), "list never prints a token");

    let (ok, out, err) = cli(&app, &["disable", "oncall"]).await;
    assert!(ok, "{out}{err}");
    let events =
        app.get("/v1/audit-events?filter[actor_type]=command_line&filter[resource_type]=admin_credential").await;
    let actions: Vec<&str> = events.body["data"].as_array().unwrap().iter().map(|e| str_of(e, "action")).collect();
    assert_eq!(
        actions,
        ["admin_credential.created", "admin_credential.created", "admin_credential.disabled"],
        "the start's, then the command line's"
    );
    assert_eq!(events.body["data"][1]["actor"]["name"], "admin-credentials create");
    assert!(!events.text.contains(&token));
    assert_eq!(as_holder(&app, &token, Method::GET, &format!("/v1/auth-servers/{server_id}"), None).await.status, 401);

    let (ok, _, err) = cli(&app, &["create", "--name", "bad", "--role", "auth-server-admin"]).await;
    assert!(!ok && err.contains("--auth-server"), "{err}");
    let (ok, _, err) = cli(&app, &["create", "--name", "oncall", "--role", "read-only"]).await;
    assert!(!ok && err.contains("exists"), "{err}");
    let (ok, _, err) = cli(&app, &["disable", "bootstrap"]).await;
    assert!(!ok && err.contains("last enabled admin"), "{err}");
}

backend_tests!(the_command_line_creates_lists_and_disables_credentials);

/// The events of admin credentials (never the start's own), oldest first.
async fn credential_events(app: &TestApp) -> (Vec<Value>, String) {
    let response = app.get("/v1/audit-events?filter[resource_type]=admin_credential&page[size]=1000").await;
    assert_eq!(response.status, 200, "{}", response.text);
    let events = response.body["data"].as_array().unwrap().iter().filter(|e| e["actor"]["type"] != "command_line");
    (events.cloned().collect(), response.text)
}

/// Each credential change is one event by the acting credential, naming the fields that
/// changed; tokens appear only as changed, never as values.
async fn every_credential_change_is_one_audit_event_without_its_token(app: TestApp) {
    let server = app.create_auth_server("audited").await;
    let server_id = str_of(&server, "id");
    let (id, first_token) = credential(&app, "team-b", "auth-server-admin", Some(&[server_id])).await;
    let patched = app.patch(&format!("/v1/admin-credentials/{id}"), json!({"name": "team-b2", "enabled": false})).await;
    assert_eq!(patched.status, 200);
    assert_eq!(app.patch(&format!("/v1/admin-credentials/{id}"), json!({"enabled": true})).await.status, 200);
    let rotated = app.post(&format!("/v1/admin-credentials/{id}/rotate"), json!({})).await;
    let second_token = str_of(&rotated.body, "token").to_owned();
    assert_eq!(app.delete(&format!("/v1/admin-credentials/{id}")).await.status, 204);
    assert_eq!(app.delete(&format!("/v1/admin-credentials/{id}")).await.status, 404, "a second delete changes nothing");

    let (events, body) = credential_events(&app).await;
    let actions: Vec<&str> = events.iter().map(|e| str_of(e, "action")).collect();
    assert_eq!(
        actions,
        [
            "admin_credential.created",
            "admin_credential.disabled",
            "admin_credential.enabled",
            "admin_credential.rotated",
            "admin_credential.deleted"
        ]
    );
    for event in &events {
        assert_eq!(
            event["actor"],
            json!({"type": "admin_credential", "id": "00000000-0000-0000-0000-000000000000", "name": "bootstrap"})
        );
        assert_eq!(event["resource_id"], id.as_str());
    }
    let fields = |event: &Value| -> Vec<String> {
        event["changes"].as_array().unwrap().iter().map(|c| str_of(c, "field").to_owned()).collect()
    };
    assert_eq!(fields(&events[0]), ["auth_server_ids", "enabled", "name", "role"]);
    assert_eq!(fields(&events[1]), ["enabled", "name"]);
    assert_eq!(events[1]["changes"][1], json!({"field": "name", "old": "team-b", "new": "team-b2"}));
    assert_eq!(events[3]["changes"], json!([{"field": "token", "redacted": true}]));
    for secret in [&first_token, &second_token, &ADMIN_TOKEN.to_owned()] {
        assert!(!body.contains(secret.as_str()), "a token is in the audit log: {body}");
    }
}

/// A scoped credential reads only its auth servers' events, and events that belong to no auth
/// server (credentials, failed authentications) not at all.
async fn a_scoped_credential_reads_only_its_auth_servers_events(app: TestApp) {
    let mine = app.create_auth_server("mine").await;
    let theirs = app.create_auth_server("theirs").await;
    let (mine_id, theirs_id) = (str_of(&mine, "id"), str_of(&theirs, "id"));
    app.create_scope(theirs_id, "hidden").await;
    let (_, token) = credential(&app, "reader", "read-only", Some(&[mine_id])).await;
    let own = as_holder(&app, &token, Method::POST, &format!("/v1/auth-servers/{mine_id}/scopes"), None).await;
    assert_eq!(own.status, 403, "read-only writes nothing");

    let seen = as_holder(&app, &token, Method::GET, "/v1/audit-events?page[size]=1000", None).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    let events = seen.body["data"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["auth_server_id"] == mine_id), "{}", seen.text);
    assert!(!seen.text.contains(theirs_id));
    let all = app.get("/v1/audit-events?page[size]=1000").await;
    assert!(all.text.contains(theirs_id) && all.text.contains("admin_credential.created"));

    let (_, login_page) = credential(&app, "page", "login-page", Some(&[mine_id])).await;
    assert_eq!(as_holder(&app, &login_page, Method::GET, "/v1/audit-events", None).await.status, 403);
}

backend_tests!(
    every_credential_change_is_one_audit_event_without_its_token,
    a_scoped_credential_reads_only_its_auth_servers_events
);

/// A directory-admin reaches its directories and nothing else: the list leaves the others out,
/// and auth servers do not exist for it.
async fn a_directory_admin_sees_only_its_directories(app: TestApp) {
    let mine = app.post("/v2/directories", json!({"name": "team-dir"})).await.body;
    let theirs = app.post("/v2/directories", json!({"name": "their-dir"})).await.body;
    let (mine_id, theirs_id) = (str_of(&mine, "id"), str_of(&theirs, "id"));
    let created = app
        .post(
            "/v1/admin-credentials",
            json!({"name": "dir-team", "role": "directory-admin", "directory_ids": [mine_id]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["directory_ids"], json!([mine_id]));
    let token = str_of(&created.body, "token").to_owned();
    let listed = as_holder(&app, &token, Method::GET, "/v2/directories", None).await;
    let ids: Vec<&str> = listed.body["data"].as_array().unwrap().iter().map(|d| str_of(d, "id")).collect();
    assert_eq!(ids, [mine_id]);
    assert_eq!(as_holder(&app, &token, Method::GET, &format!("/v2/directories/{theirs_id}"), None).await.status, 404);
    let principal =
        as_holder(&app, &token, Method::POST, &format!("/v2/directories/{mine_id}/principals"), Some(json!({}))).await;
    assert_eq!(principal.status, 201);
    let servers = as_holder(&app, &token, Method::GET, "/v1/auth-servers", None).await;
    assert_eq!(servers.status, 403);

    let server = app.create_auth_server("s").await;
    let cases = [
        (json!({"name": "a", "role": "directory-admin"}), "directory_ids", "required"),
        (json!({"name": "a", "role": "gateway", "directory_ids": []}), "directory_ids", "min_items"),
        (
            json!({"name": "a", "role": "auth-server-admin", "auth_server_ids": [str_of(&server, "id")], "directory_ids": [mine_id]}),
            "directory_ids",
            "invalid",
        ),
        (
            json!({"name": "a", "role": "directory-admin", "auth_server_ids": [str_of(&server, "id")], "directory_ids": [mine_id]}),
            "auth_server_ids",
            "invalid",
        ),
        (
            json!({"name": "a", "role": "gateway", "directory_ids": [uuid::Uuid::new_v4()]}),
            "directory_ids[0]",
            "missing_reference",
        ),
    ];
    for (body, field, rule) in cases {
        let response = app.post("/v1/admin-credentials", body.clone()).await;
        assert_eq!(response.status, 400, "{body}: {}", response.text);
        assert_eq!(response.rule_for(field).as_deref(), Some(rule), "{body}: {}", response.text);
    }
}

backend_tests!(a_directory_admin_sees_only_its_directories);
