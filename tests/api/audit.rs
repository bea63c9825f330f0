//! The audit log (README "Audit log"): every change through /v1 and the registration endpoints
//! is one event written with it, naming its actor, action, resource and changed fields, and
//! never a secret; events and changes commit or roll back together; failed /v1
//! authentications are thinned; old events are purged.

use serde_json::{Value, json};
use tessera::store::{ConnectOptions, Store};

use crate::helpers::{ADMIN_TOKEN, Backend, TestApp, backend_fns, backend_tests, str_of};
use crate::multi_node::eventually;

const REDIRECT: &str = "https://app.example.com/callback";
const LOGIN: &str = "https://login.example.com/signin";
/// RFC 7636 Appendix B.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

impl TestApp {
    /// Every audit event since the server started, oldest first, and the raw body they came
    /// in. The start's own event (the bootstrap credential given `TESSERA_ADMIN_TOKEN`, see
    /// `the_start_records_the_bootstrap_credential`) is left out of the list, not the body.
    async fn audit_events(&self, query: &str) -> (Vec<Value>, String) {
        let response = self.get(&format!("/v1/audit-events?page[size]=1000{query}")).await;
        assert_eq!(response.status, 200, "{}", response.text);
        let events = response.body["data"].as_array().cloned().unwrap_or_default();
        (events.into_iter().filter(|e| e["actor"]["type"] != "command_line").collect(), response.text)
    }

    /// The actions of every event, oldest first.
    async fn audit_actions(&self) -> Vec<String> {
        self.audit_events("").await.0.iter().map(|e| str_of(e, "action").to_owned()).collect()
    }

    /// Runs one statement on the test's database, beside the server.
    async fn sql(&self, statement: &str) {
        if self.database_url.starts_with("sqlite:") {
            let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&self.database_url).await.unwrap();
            sqlx::raw_sql(statement).execute(&mut conn).await.unwrap();
        } else {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&self.database_url).await.unwrap();
            sqlx::raw_sql(statement).execute(&mut conn).await.unwrap();
        }
    }

    /// Every stored audit row, each column as text, as the database holds it.
    async fn audit_rows(&self) -> Vec<String> {
        const SQL: &str = "SELECT id || '|' || actor_type || '|' || actor_id || '|' || COALESCE(actor_name, '') || '|' || \
             action || '|' || resource_type || '|' || resource_id || '|' || COALESCE(auth_server_id, '') || '|' || \
             request_id || '|' || source || '|' || changes FROM audit_events";
        let rows: Vec<(String,)> = if self.database_url.starts_with("sqlite:") {
            let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&self.database_url).await.unwrap();
            sqlx::query_as(SQL).fetch_all(&mut conn).await.unwrap()
        } else {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&self.database_url).await.unwrap();
            sqlx::query_as(SQL).fetch_all(&mut conn).await.unwrap()
        };
        rows.into_iter().map(|(row,)| row).collect()
    }

    /// Asserts that no secret appears in the API's events nor in the stored rows.
    async fn assert_no_secret_in_audit_log(&self, secrets: &[&str]) {
        let (_, body) = self.audit_events("").await;
        let rows = self.audit_rows().await.join("\n");
        assert!(!rows.is_empty());
        for secret in secrets.iter().filter(|s| s.len() >= 8) {
            assert!(!body.contains(secret), "{secret} appears in GET /v1/audit-events: {body}");
            assert!(!rows.contains(secret), "{secret} appears in the audit_events table: {rows}");
        }
    }
}

/// The one event of `action` among `events`, which must have exactly one.
fn only<'a>(events: &'a [Value], action: &str) -> &'a Value {
    let found: Vec<&Value> = events.iter().filter(|e| e["action"] == action).collect();
    assert_eq!(found.len(), 1, "exactly one {action} event expected in {events:#?}");
    found[0]
}

/// The names of an event's changed fields, and which of them are redacted.
fn fields(event: &Value) -> (Vec<String>, Vec<String>) {
    let changes = event["changes"].as_array().cloned().unwrap_or_default();
    let names = changes.iter().map(|c| str_of(c, "field").to_owned()).collect();
    let redacted = changes.iter().filter(|c| c["redacted"] == true).map(|c| str_of(c, "field").to_owned()).collect();
    (names, redacted)
}

fn assert_bootstrap_admin(event: &Value) {
    assert_eq!(
        event["actor"],
        json!({"type": "admin_credential", "id": "00000000-0000-0000-0000-000000000000", "name": "bootstrap"}),
        "{event}"
    );
    assert_eq!(event["source"], "127.0.0.1", "{event}");
    assert!(!str_of(event, "request_id").is_empty(), "{event}");
}

async fn every_admin_write_records_one_event_with_its_actor_and_changed_fields(app: TestApp) {
    let server = app.create_auth_server("audited").await;
    let server_id = str_of(&server, "id").to_owned();
    let base = format!("/v1/auth-servers/{server_id}");
    let patched = app.patch(&base, json!({"description": "Audited server"})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let unchanged = app.patch(&base, json!({"description": "Audited server"})).await;
    assert_eq!(unchanged.status, 200, "{}", unchanged.text);
    let new_algorithm = app.patch(&base, json!({"signing_algorithm": "ES256"})).await;
    assert_eq!(new_algorithm.status, 200, "{}", new_algorithm.text);

    let scope = app.create_scope(&server_id, "read").await;
    let scope_id = str_of(&scope, "id").to_owned();
    assert_eq!(app.patch(&format!("{base}/scopes/{scope_id}"), json!({"enabled": false})).await.status, 200);
    let claim = app.create_claim(&server_id, json!({"name": "team", "value": "red"})).await;
    let claim_id = str_of(&claim, "id").to_owned();
    assert_eq!(app.patch(&format!("{base}/claims/{claim_id}"), json!({"value": "blue"})).await.status, 200);

    let client = app.create_client(&server_id, "gateway", &[]).await;
    let client_id = str_of(&client, "id").to_owned();
    let first_secret = str_of(&client, "client_secret").to_owned();
    let client_path = format!("{base}/clients/{client_id}");
    let renamed = app.patch(&client_path, json!({"name": "gateway-2"})).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let chosen_secret = "chosen-client-secret-0123456789-abcdef";
    let resecreted = app.patch(&client_path, json!({"client_secret": chosen_secret})).await;
    assert_eq!(resecreted.status, 200, "{}", resecreted.text);
    let imported_secret = "imported-client-secret-0123456789-abcdef";
    let mut import = crate::helpers::client_body("imported", &[]);
    import["client_secret"] = imported_secret.into();
    let imported = app.put(&format!("{base}/clients/imported-client"), import).await;
    assert_eq!(imported.status, 201, "{}", imported.text);

    let added_secret = "added-client-secret-0123456789-abcdef";
    let secret = app.post(&format!("{client_path}/secrets"), json!({"secret": added_secret})).await;
    assert_eq!(secret.status, 201, "{}", secret.text);
    let secret_path = format!("{client_path}/secrets/{}", str_of(&secret.body, "id"));
    assert_eq!(app.patch(&secret_path, json!({"enabled": false})).await.status, 200);
    assert_eq!(app.patch(&secret_path, json!({"enabled": true})).await.status, 200);
    assert_eq!(app.delete(&secret_path).await.status, 204);

    let issuer = str_of(&server, "issuer").to_owned();
    let token = |secret: &str| {
        let form = [("grant_type", "client_credentials"), ("client_id", client_id.as_str()), ("client_secret", secret)];
        app.http.post(format!("{issuer}/oauth/token")).form(&form)
    };
    let first = app.send(token(chosen_secret)).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let access_token = str_of(&first.body, "access_token").to_owned();
    let tokens = app.get(&format!("{client_path}/tokens")).await;
    let token_id = str_of(&tokens.body["data"][0], "id").to_owned();
    assert_eq!(app.delete(&format!("{client_path}/tokens/{token_id}")).await.status, 204);
    let second = app.send(token(chosen_secret)).await;
    let second_token = str_of(&second.body, "access_token").to_owned();
    assert_eq!(app.delete(&format!("{client_path}/tokens")).await.status, 204);
    assert_eq!(app.delete(&format!("{client_path}/tokens")).await.status, 204, "nothing left to revoke");

    let rotated = app.post(&format!("{base}/keys/rotate"), json!({"mode": "emergency"})).await;
    assert_eq!(rotated.status, 201, "{}", rotated.text);
    let initial = app.post(&format!("{base}/client-registration/initial-access-tokens"), json!({})).await;
    assert_eq!(initial.status, 201, "{}", initial.text);
    let initial_value = str_of(&initial.body, "token").to_owned();
    let initial_path = format!("{base}/client-registration/initial-access-tokens/{}", str_of(&initial.body, "id"));
    assert_eq!(app.delete(&initial_path).await.status, 204);
    assert_eq!(app.delete(&initial_path).await.status, 404, "a second revocation changes nothing");
    let policy = app.patch(&format!("{base}/client-registration"), json!({"enabled": true})).await;
    assert_eq!(policy.status, 200, "{}", policy.text);

    assert_eq!(app.delete(&format!("{base}/claims/{claim_id}")).await.status, 204);
    assert_eq!(app.delete(&format!("{base}/scopes/{scope_id}")).await.status, 204);
    assert_eq!(app.delete(&format!("{base}/scopes/{scope_id}")).await.status, 404, "a delete of nothing");
    assert_eq!(app.delete(&client_path).await.status, 204);
    assert_eq!(app.delete(&format!("{base}?force=true")).await.status, 204);

    assert_eq!(
        app.audit_actions().await,
        [
            "auth_server.created",
            "auth_server.updated",
            "auth_server.updated",
            "scope.created",
            "scope.updated",
            "claim.created",
            "claim.updated",
            "client.created",
            "client.updated",
            "client.updated",
            "client.created",
            "client_secret.created",
            "client_secret.disabled",
            "client_secret.enabled",
            "client_secret.deleted",
            "token.revoked",
            "tokens.revoked_all",
            "signing_key.rotated",
            "initial_access_token.created",
            "initial_access_token.revoked",
            "registration_policy.updated",
            "claim.deleted",
            "scope.deleted",
            "client.deleted",
            "auth_server.deleted",
        ]
    );
    let (events, _) = app.audit_events("").await;
    for event in &events {
        assert_bootstrap_admin(event);
        assert_eq!(event["auth_server_id"], server_id.as_str(), "{event}");
    }
    let resource = |action: &str| str_of(only(&events, action), "resource_id").to_owned();
    assert_eq!(resource("scope.updated"), scope_id);
    assert_eq!(resource("claim.deleted"), claim_id);
    assert_eq!(resource("client.deleted"), client_id);
    assert_eq!(resource("token.revoked"), token_id);
    assert_eq!(resource("tokens.revoked_all"), client_id);
    assert_eq!(resource("signing_key.rotated"), str_of(&rotated.body, "kid"));

    let server_updates: Vec<&Value> = events.iter().filter(|e| e["action"] == "auth_server.updated").collect();
    assert_eq!(str_of(server_updates[0], "resource_id"), server_id);
    assert_eq!(
        server_updates[0]["changes"],
        json!([{"field": "description", "old": "audited description", "new": "Audited server"}])
    );
    assert_eq!(
        server_updates[1]["changes"],
        json!([{"field": "signing_algorithm", "old": "RS256", "new": "ES256"}, {"field": "private_key", "redacted": true}]),
        "a new algorithm puts a new key in place"
    );
    assert_eq!(only(&events, "scope.updated")["changes"], json!([{"field": "enabled", "old": true, "new": false}]));
    assert_eq!(only(&events, "claim.updated")["changes"], json!([{"field": "value", "old": "red", "new": "blue"}]));
    let client_events: Vec<&Value> = events.iter().filter(|e| e["resource_type"] == "client").collect();
    assert_eq!(fields(client_events[0]).1, ["client_secret"], "a new client's secret, only as set");
    assert!(fields(client_events[0]).0.contains(&"grant_types".to_owned()));
    assert_eq!(client_events[1]["changes"], json!([{"field": "name", "old": "gateway", "new": "gateway-2"}]));
    assert_eq!(client_events[2]["changes"], json!([{"field": "client_secret", "redacted": true}]));
    assert_eq!(str_of(client_events[3], "resource_id"), "imported-client", "PUT creates the client");
    assert_eq!(fields(client_events[3]).1, ["client_secret"]);
    assert_eq!(
        fields(only(&events, "client_secret.created")),
        (vec!["enabled".to_owned(), "client_id".to_owned(), "secret".to_owned()], vec!["secret".to_owned()])
    );
    assert_eq!(
        only(&events, "client_secret.disabled")["changes"],
        json!([{"field": "enabled", "old": true, "new": false}])
    );
    assert_eq!(
        only(&events, "tokens.revoked_all")["changes"],
        json!([{"field": "revoked_access_tokens", "old": null, "new": 1}, {"field": "revoked_refresh_tokens", "old": null, "new": 0}])
    );
    assert_eq!(fields(only(&events, "signing_key.rotated")).1, ["private_key"]);
    assert_eq!(fields(only(&events, "initial_access_token.created")).1, ["token"]);
    assert_eq!(fields(only(&events, "registration_policy.updated")).0, ["enabled"]);

    app.assert_no_secret_in_audit_log(&[
        &first_secret,
        chosen_secret,
        imported_secret,
        added_secret,
        &initial_value,
        &access_token,
        &second_token,
        ADMIN_TOKEN,
    ])
    .await;
}

/// Policy and portal for registrations; returns (auth server id, issuer, initial access token).
async fn registration_portal(app: &TestApp, open: bool) -> (String, String, String, String) {
    let server = app.create_auth_server(&format!("portal-{open}")).await;
    let server_id = str_of(&server, "id").to_owned();
    let base = format!("/v1/auth-servers/{server_id}/client-registration");
    let policy = json!({"enabled": true, "open_registration": open});
    assert_eq!(app.patch(&base, policy).await.status, 200);
    let initial = app.post(&format!("{base}/initial-access-tokens"), json!({})).await;
    (
        server_id,
        str_of(&server, "issuer").to_owned(),
        str_of(&initial.body, "token").to_owned(),
        str_of(&initial.body, "id").to_owned(),
    )
}

async fn registrations_are_audited_with_the_registrant_as_actor(app: TestApp) {
    let (server_id, issuer, initial_token, initial_id) = registration_portal(&app, true).await;
    let register = |token: Option<&str>, body: Value| {
        let request = app.http.post(format!("{issuer}/oauth/register")).json(&body);
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    };
    let registered = app.send(register(Some(&initial_token), json!({"client_name": "Portal app"}))).await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    let client_id = str_of(&registered.body, "client_id").to_owned();
    let first_secret = str_of(&registered.body, "client_secret").to_owned();
    let access_token = str_of(&registered.body, "registration_access_token").to_owned();
    let configuration = str_of(&registered.body, "registration_client_uri").to_owned();
    let anonymous = app.send(register(None, json!({"client_name": "Anyone"}))).await;
    assert_eq!(anonymous.status, 201, "{}", anonymous.text);

    let update = json!({"client_id": client_id, "client_name": "Portal app 2", "rotate_client_secret": true});
    let updated = app.send(app.http.put(&configuration).bearer_auth(&access_token).json(&update)).await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let second_secret = str_of(&updated.body, "client_secret").to_owned();
    let admin_rotation = format!("/v1/auth-servers/{server_id}/clients/{client_id}/registration-access-token");
    let replaced = app.post(&admin_rotation, json!({})).await;
    assert_eq!(replaced.status, 201, "{}", replaced.text);
    let new_access_token = str_of(&replaced.body, "registration_access_token").to_owned();
    let deleted = app.send(app.http.delete(&configuration).bearer_auth(&new_access_token)).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);

    let (events, _) = app.audit_events("&filter[resource_type]=registration").await;
    let actions: Vec<&str> = events.iter().map(|e| str_of(e, "action")).collect();
    assert_eq!(
        actions,
        ["registration.created", "registration.created", "registration.updated", "registration.deleted"]
    );
    assert_eq!(events[0]["actor"], json!({"type": "initial_access_token", "id": initial_id}), "RFC 7591 with a token");
    assert_eq!(events[1]["actor"], json!({"type": "anonymous", "id": ""}), "open RFC 7591 registration");
    for event in &events[2..] {
        assert_eq!(event["actor"], json!({"type": "client", "id": client_id}), "RFC 7592: the client itself");
    }
    assert_eq!(str_of(&events[0], "resource_id"), client_id);
    assert_eq!(str_of(&events[0], "auth_server_id"), server_id);
    let (created, redacted) = fields(&events[0]);
    assert!(created.contains(&"client_name".to_owned()) && created.contains(&"grant_types".to_owned()), "{created:?}");
    assert_eq!(redacted, ["client_secret", "registration_access_token"]);
    let (changed, redacted) = fields(&events[2]);
    assert_eq!(changed, ["name", "client_secret", "client_name"]);
    assert_eq!(redacted, ["client_secret"]);
    let (rotations, _) = app.audit_events("&filter[action]=registration_access_token.rotated").await;
    assert_eq!(rotations.len(), 1);
    assert_bootstrap_admin(&rotations[0]);
    assert_eq!(rotations[0]["changes"], json!([{"field": "registration_access_token", "redacted": true}]));

    app.assert_no_secret_in_audit_log(&[
        &initial_token,
        &first_secret,
        &second_secret,
        &access_token,
        &new_access_token,
        str_of(&anonymous.body, "client_secret"),
        str_of(&anonymous.body, "registration_access_token"),
    ])
    .await;
}

/// Starts a sign-in at the authorization endpoint; the login challenge the login page gets.
async fn login_challenge(app: &TestApp, issuer: &str, client_id: &str) -> String {
    let query = [
        ("client_id", client_id),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "profile"),
        ("state", "s1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let url = format!("{issuer}/oauth/authorize?{}", serde_urlencoded::to_string(query).unwrap());
    let response = app.send(app.http.get(url)).await;
    assert_eq!(response.status, 303, "{}", response.text);
    let location = response.header("location").unwrap().to_owned();
    location.split_once("login_challenge=").unwrap().1.to_owned()
}

async fn login_answers_are_audited_with_the_answering_login_page_as_actor(app: TestApp) {
    let server = app.create_auth_server("people").await;
    let server_id = str_of(&server, "id").to_owned();
    let issuer = str_of(&server, "issuer").to_owned();
    let scope = app.create_scope(&server_id, "profile").await;
    let body = json!({
        "name": "webapp", "grant_types": ["authorization_code"], "response_types": ["code"],
        "redirect_uris": [REDIRECT], "login_uri": LOGIN, "allow_all_scopes": false, "allow_scopes": [scope["id"]],
        "token_endpoint_auth_method": "client_secret_basic", "login_requests_answered_by_client": true,
    });
    let client = app.post(&format!("/v1/auth-servers/{server_id}/clients"), body).await;
    let client_id = str_of(&client.body, "id").to_owned();
    let secret = str_of(&client.body, "client_secret").to_owned();
    let first = login_challenge(&app, &issuer, &client_id).await;
    let accept = format!("/v1/auth-servers/{server_id}/login-requests/{first}/accept");
    let accepted = app
        .send(app.http.post(app.url(&accept)).basic_auth(&client_id, Some(&secret)).json(&json!({"subject": "alice"})));
    assert_eq!(accepted.await.status, 200);
    let second = login_challenge(&app, &issuer, &client_id).await;
    let reject = format!("/v1/auth-servers/{server_id}/login-requests/{second}/reject");
    assert_eq!(app.post(&reject, json!({"error": "login_required"})).await.status, 200);
    assert_eq!(app.post(&reject, json!({})).await.status, 409, "a second answer changes nothing");

    let (events, _) = app.audit_events("&filter[resource_type]=login_request").await;
    let actions: Vec<&str> = events.iter().map(|e| str_of(e, "action")).collect();
    assert_eq!(actions, ["login_request.accepted", "login_request.rejected"]);
    assert_eq!(events[0]["actor"], json!({"type": "client", "id": client_id}), "the login page as its client");
    assert_bootstrap_admin(&events[1]);
    assert_eq!(
        events[0]["changes"],
        json!([{"field": "client_id", "old": null, "new": client_id}, {"field": "subject", "old": null, "new": "alice"}])
    );
    assert_eq!(fields(&events[1]).0, ["client_id", "error"]);
    app.assert_no_secret_in_audit_log(&[&secret, &first, &second]).await;
}

/// Makes every insert into `table` fail, on either backend.
async fn fail_inserts_into(app: &TestApp, table: &str) {
    if app.database_url.starts_with("sqlite:") {
        app.sql(&format!(
            "CREATE TRIGGER injected_failure BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'injected'); END"
        ))
        .await;
    } else {
        app.sql(&format!(
            "CREATE OR REPLACE FUNCTION injected_failure() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$ \
             LANGUAGE plpgsql; CREATE TRIGGER injected_failure BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION injected_failure()"
        ))
        .await;
    }
}

async fn stop_failing_inserts_into(app: &TestApp, table: &str) {
    if app.database_url.starts_with("sqlite:") {
        app.sql("DROP TRIGGER injected_failure").await;
    } else {
        app.sql(&format!("DROP TRIGGER injected_failure ON {table}")).await;
    }
}

async fn a_change_and_its_event_commit_or_roll_back_together(app: TestApp) {
    let server = app.create_auth_server("atomic").await;
    let server_id = str_of(&server, "id").to_owned();
    let scopes = format!("/v1/auth-servers/{server_id}/scopes");
    let kept = app.create_scope(&server_id, "kept").await;
    let events_before = app.audit_actions().await;

    fail_inserts_into(&app, "audit_events").await;
    let created = app.post(&scopes, json!({"name": "unaudited"})).await;
    assert_eq!(created.status, 500, "{}", created.text);
    assert!(!created.text.contains("injected"), "the cause is logged, not sent: {}", created.text);
    let deleted = app.delete(&format!("{scopes}/{}", str_of(&kept, "id"))).await;
    assert_eq!(deleted.status, 500, "{}", deleted.text);
    let listed = app.get(&scopes).await;
    let names: Vec<&str> = listed.body["data"].as_array().unwrap().iter().map(|s| str_of(s, "name")).collect();
    assert_eq!(names, ["kept"], "no change without its event");
    stop_failing_inserts_into(&app, "audit_events").await;
    assert_eq!(app.audit_actions().await, events_before);

    fail_inserts_into(&app, "scopes").await;
    let refused = app.post(&scopes, json!({"name": "unwritten"})).await;
    assert_eq!(refused.status, 500, "{}", refused.text);
    stop_failing_inserts_into(&app, "scopes").await;
    assert_eq!(app.audit_actions().await, events_before, "no event without its change");
    assert_eq!(app.post(&scopes, json!({"name": "written"})).await.status, 201);
    assert_eq!(app.audit_actions().await.last().map(String::as_str), Some("scope.created"));
}

fn open(app: &TestApp) -> Store {
    Store::connect(&ConnectOptions {
        url: app.database_url.clone(),
        max_connections: 2,
        acquire_timeout: std::time::Duration::from_secs(10),
    })
    .unwrap()
}

/// What `GET /v1/audit-events` shows a credential scoped to some auth servers (the store's
/// filter; the route passes the caller's scope to it).
async fn a_scoped_caller_sees_only_its_auth_servers_events(app: TestApp) {
    let mine = app.create_auth_server("mine").await;
    let theirs = app.create_auth_server("theirs").await;
    app.create_scope(str_of(&mine, "id"), "read").await;
    app.create_scope(str_of(&theirs, "id"), "read").await;
    let failed = app.send(app.http.get(app.url("/v1/auth-servers")).bearer_auth("wrong-token-0123456789")).await;
    assert_eq!(failed.status, 401);

    let store = open(&app);
    let params = tessera::domain::list::ListParams::default();
    let mine_id: uuid::Uuid = str_of(&mine, "id").parse().unwrap();
    let seen = tessera::store::audit::list(&store, Some(&[mine_id]), &params).await.unwrap();
    assert_eq!(seen.total, 2);
    assert!(seen.items.iter().all(|e| e.auth_server_id == Some(mine_id)), "{:?}", seen.items);
    let nothing = tessera::store::audit::list(&store, Some(&[]), &params).await.unwrap();
    assert_eq!(nothing.total, 0);
    let everything = tessera::store::audit::list(&store, None, &params).await.unwrap();
    assert_eq!(everything.total, 6, "both servers' events, the failed authentication and the start's");
    store.close().await;
}

async fn audit_events_are_filtered_by_time_actor_action_resource_and_auth_server(app: TestApp) {
    let first = app.create_auth_server("first").await;
    let first_id = str_of(&first, "id").to_owned();
    let (events, _) = app.audit_events("").await;
    let created_at = str_of(&events[0], "occurred_at").to_owned();
    let second = app.create_auth_server("second").await;
    let second_id = str_of(&second, "id").to_owned();
    app.create_scope(&second_id, "read").await;

    let app = &app;
    let count = |query: String| async move { app.audit_events(&query).await.0.len() };
    assert_eq!(count(format!("&filter[occurred_at][lte]={created_at}")).await, 1);
    assert_eq!(count(format!("&filter[occurred_at][gt]={created_at}")).await, 2);
    assert_eq!(count(format!("&filter[occurred_at][gte]={created_at}&filter[occurred_at][lt]={created_at}")).await, 0);
    assert_eq!(count(format!("&filter[auth_server_id]={second_id}")).await, 2);
    assert_eq!(count(format!("&filter[resource_type]=auth_server&filter[resource_id]={first_id}")).await, 1);
    assert_eq!(count("&filter[action][eq]=scope.created".to_owned()).await, 1);
    assert_eq!(count("&filter[actor_id]=00000000-0000-0000-0000-000000000000".to_owned()).await, 3);
    assert_eq!(count("&filter[actor_type]=client".to_owned()).await, 0);
    let newest = app.get("/v1/audit-events?sort=occurred_at desc&page[size]=1").await;
    assert_eq!(newest.body["data"][0]["action"], "scope.created");
    assert_eq!(newest.body["meta"]["page"]["total"], 4, "with the start's event");

    for (name, value) in [
        ("filter[occurred_at][gte]", "yesterday"),
        ("filter[occurred_at]", created_at.as_str()),
        ("filter[source]", "127.0.0.1"),
        ("sort", "action"),
    ] {
        let query = serde_urlencoded::to_string([(name, value)]).unwrap();
        let refused = app.get(&format!("/v1/audit-events?{query}")).await;
        assert_eq!(refused.status, 400, "{name}={value}: {}", refused.text);
        assert_eq!(refused.invalid_fields(), [name], "{}", refused.text);
    }
}

async fn old_audit_events_are_purged_after_the_retention_period(app: TestApp) {
    app.create_auth_server("recent").await;
    let old = chrono::Utc::now() - chrono::TimeDelta::days(91);
    app.sql(&format!(
        "INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, actor_name, action, resource_type, \
         resource_id, auth_server_id, request_id, source, changes) VALUES ('{}', {}, 'anonymous', '', NULL, \
         'admin_authentication.failed', 'admin_authentication', '', NULL, 'old', '192.0.2.1', '[]')",
        uuid::Uuid::new_v4(),
        old.timestamp_micros()
    ))
    .await;
    assert_eq!(app.audit_actions().await, ["admin_authentication.failed", "auth_server.created"]);
    // A node purges at start and every minute; events younger than 90 days stay.
    let _other = app.spawn_second_node().await;
    let app = &app;
    eventually(
        "the 91-day-old event is purged",
        || async move { app.audit_actions().await == ["auth_server.created"] },
    )
    .await;
}

async fn failed_admin_authentications_are_recorded_once_per_source_and_minute_and_all_counted(backend: Backend) {
    let app =
        TestApp::spawn_with(backend, |s| s.trusted_proxies = vec!["127.0.0.1".to_owned(), "::1".to_owned()]).await;
    let guessed = "guessed-admin-token-0123456789";
    for _ in 0..5 {
        let request =
            app.http.get(app.url("/v1/auth-servers")).bearer_auth(guessed).header("x-forwarded-for", "203.0.113.7");
        assert_eq!(app.send(request).await.status, 401);
    }
    let seed = app.auth_server_with_client().await;
    let login = format!("/v1/auth-servers/{}/login-requests/unknown/accept", seed.server_id);
    let request = app
        .http
        .post(app.url(&login))
        .basic_auth(&seed.client_id, Some("wrong-secret-0123456789"))
        .header("x-forwarded-for", "198.51.100.9")
        .json(&json!({"subject": "mallory"}));
    assert_eq!(app.send(request).await.status, 401);

    let (events, _) = app.audit_events("&filter[action]=admin_authentication.failed").await;
    assert_eq!(events.len(), 2, "one per source within the minute: {events:#?}");
    for (event, source) in events.iter().zip(["203.0.113.7", "198.51.100.9"]) {
        assert_eq!(event["actor"], json!({"type": "anonymous", "id": ""}));
        assert_eq!(event["source"], source);
        assert_eq!(event["resource_type"], "admin_authentication");
        assert_eq!(event["auth_server_id"], Value::Null);
        assert_eq!(event["changes"], json!([{"field": "failures", "old": null, "new": 1}]));
    }
    app.assert_no_secret_in_audit_log(&[guessed, "wrong-secret-0123456789", &seed.secret]).await;

    // The four failures held back are counted, not dropped: the window's end (every minute, and
    // at a graceful stop) records them.
    let app = app.restart_with(|s| s.trusted_proxies = vec!["127.0.0.1".to_owned()]).await;
    let (events, _) = app.audit_events("&filter[action]=admin_authentication.failed").await;
    assert_eq!(events.len(), 3, "{events:#?}");
    assert_eq!(events[2]["source"], "203.0.113.7");
    assert_eq!(events[2]["changes"], json!([{"field": "failures", "old": null, "new": 4}]));
}

/// Operators ship the `tessera::audit` log target to a SIEM: one JSON line per committed event.
async fn each_committed_event_is_one_json_log_line(backend: Backend) {
    let (_db, database_url) = crate::helpers::TestDb::create(backend).await;
    let server = crate::process::Server::start(&database_url).await;
    let post = |path: &str, body: Value| server.admin(reqwest::Method::POST, path).json(&body);
    let (status, _, auth_server) =
        server.send(post("/v1/auth-servers", json!({"name": "logged", "audience": "x"}))).await;
    assert_eq!(status, 201, "{auth_server}");
    let clients = format!("/v1/auth-servers/{}/clients", str_of(&auth_server, "id"));
    let (status, _, client) = server.send(post(&clients, crate::helpers::client_body("logged", &[]))).await;
    assert_eq!(status, 201, "{client}");
    let (status, _, _) = server.send(post(&clients, crate::helpers::client_body("logged", &[]))).await;
    assert_eq!(status, 409, "a refused write logs no event");
    let output = server.stop().await;

    let lines: Vec<Value> = output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["message"] == "audit event")
        .collect();
    let actions: Vec<&str> = lines.iter().map(|line| str_of(line, "action")).collect();
    assert_eq!(actions, ["admin_credential.created", "auth_server.created", "client.created"], "{output}");
    assert_eq!(lines[0]["actor_type"], "command_line", "the start gave the bootstrap credential its token");
    assert_eq!(lines[2]["actor_type"], "admin_credential");
    assert_eq!(lines[2]["resource_id"], client["id"]);
    assert_eq!(lines[2]["auth_server_id"], auth_server["id"]);
    let changes: Value = serde_json::from_str(str_of(&lines[2], "changes")).unwrap();
    assert!(changes.as_array().unwrap().contains(&json!({"field": "client_secret", "redacted": true})), "{changes}");
    assert!(!output.contains(str_of(&client, "client_secret")), "the secret is in the log");
}

backend_tests!(
    every_admin_write_records_one_event_with_its_actor_and_changed_fields,
    registrations_are_audited_with_the_registrant_as_actor,
    login_answers_are_audited_with_the_answering_login_page_as_actor,
    a_change_and_its_event_commit_or_roll_back_together,
    a_scoped_caller_sees_only_its_auth_servers_events,
    audit_events_are_filtered_by_time_actor_action_resource_and_auth_server,
    old_audit_events_are_purged_after_the_retention_period,
);
backend_fns!(
    failed_admin_authentications_are_recorded_once_per_source_and_minute_and_all_counted,
    each_committed_event_is_one_json_log_line,
);
