//! Keys in the database: sealed under TESSERA_ENCRYPTION_KEY (those stored in clear once it
//! is set), still opened under the previous keys after a rotation until `tessera reseal`, the
//! flow key rotating with them; production mode's refusals; and the scheduled rotation of
//! signing keys once they are old enough.

use serde_json::json;
use tessera::config::{Mode, Settings};
use tessera::store::{ConnectOptions, Store};

use crate::helpers::{ADMIN_TOKEN, Backend, Seed, TestApp, backend_tests, jwt_parts, str_of};

const KEY_1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const KEY_2: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const REDIRECT: &str = "http://127.0.0.1:7777/callback";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn key_id(hex_key: &str) -> String {
    tessera::keys::key_id(&hex::decode(hex_key).unwrap().try_into().unwrap())
}

/// Every stored private key and deployment secret, as the database holds them.
async fn stored_secrets(database_url: &str) -> Vec<String> {
    const SQL: &str = "SELECT private_key FROM signing_keys UNION ALL SELECT value FROM deployment_secrets";
    let rows: Vec<(String,)> = if database_url.starts_with("sqlite:") {
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(database_url).await.unwrap();
        sqlx::query_as(SQL).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(database_url).await.unwrap();
        sqlx::query_as(SQL).fetch_all(&mut conn).await.unwrap()
    };
    rows.into_iter().map(|(value,)| value).collect()
}

/// Asserts every stored secret is sealed under `hex_key`.
async fn assert_all_sealed_under(app: &TestApp, hex_key: &str) {
    let prefix = format!("aes256gcm:{}:", key_id(hex_key));
    let stored = stored_secrets(&app.database_url).await;
    assert!(!stored.is_empty());
    for value in stored {
        assert!(value.starts_with(&prefix), "not sealed under {prefix}: {}", &value[..value.len().min(30)]);
    }
}

async fn kid_of(app: &TestApp, seed: &Seed) -> String {
    str_of(&jwt_parts(&app.access_token(seed).await).0, "kid").to_owned()
}

async fn jwks_kids(app: &TestApp, seed: &Seed) -> Vec<String> {
    let jwks = app.send(app.http.get(format!("{}/.well-known/jwks", seed.issuer))).await;
    assert_eq!(jwks.status, 200, "{}", jwks.text);
    jwks.body["keys"].as_array().unwrap().iter().map(|k| str_of(k, "kid").to_owned()).collect()
}

async fn clear_keys_are_sealed_when_an_encryption_key_is_first_set(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let before = app.access_token(&seed).await;
    let kid = kid_of(&app, &seed).await;
    let kids = jwks_kids(&app, &seed).await;
    assert!(stored_secrets(&app.database_url).await.iter().all(|v| v.starts_with("plain:")), "no key: clear");

    let app = app.restart_with(|s| s.encryption_key = Some(KEY_1.into())).await;
    assert_all_sealed_under(&app, KEY_1).await;
    assert_eq!(kid_of(&app, &seed).await, kid, "the same key signs");
    assert_eq!(jwks_kids(&app, &seed).await, kids, "the same JWKS");
    assert_eq!(app.introspect(&seed, &before).await.body["active"], true, "tokens from before still verify");

    let sealed = stored_secrets(&app.database_url).await;
    let app = app.restart_with(|s| s.encryption_key = Some(KEY_1.into())).await;
    assert_eq!(stored_secrets(&app.database_url).await, sealed, "a second start changes nothing");
    assert_eq!(kid_of(&app, &seed).await, kid);
}

async fn nodes_that_start_together_with_a_new_encryption_key_seal_the_clear_keys_once(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let kid = kid_of(&app, &seed).await;
    let with_key = |s: &mut Settings| s.encryption_key = Some(KEY_1.into());
    let (a, b) = tokio::join!(app.spawn_second_node_with(with_key), app.spawn_second_node_with(with_key));
    assert_all_sealed_under(&a, KEY_1).await;
    for node in [&a, &b] {
        let at_node = Seed { issuer: seed.issuer.replace(&app.address, &node.address), ..seed.clone() };
        assert_eq!(kid_of(node, &at_node).await, kid, "each node opens the key the other may have sealed");
    }
}

async fn a_key_rotated_to_a_new_encryption_key_keeps_working_with_the_old_as_previous_until_reseal(app: TestApp) {
    let app = app.restart_with(|s| s.encryption_key = Some(KEY_1.into())).await;
    let seed = app.auth_server_with_client_signing("ES256").await;
    let before = app.access_token(&seed).await;
    let kid = kid_of(&app, &seed).await;
    assert_all_sealed_under(&app, KEY_1).await;

    let rotated = |s: &mut Settings| {
        s.encryption_key = Some(KEY_2.into());
        s.encryption_key_previous = vec![KEY_1.into()];
    };
    let app = app.restart_with(rotated).await;
    assert_eq!(kid_of(&app, &seed).await, kid, "the key sealed under the previous encryption key signs");
    assert_eq!(app.introspect(&seed, &before).await.body["active"], true);
    let created = app.auth_server_with_client_signing("EdDSA").await;
    assert_eq!(app.token(&created, Some("scope1")).await.status, 200, "new keys are sealed under the new one");

    let mut settings = Settings::for_tests(app.database_url.clone(), ADMIN_TOKEN);
    rotated(&mut settings);
    tessera::startup::reseal(&settings).await.expect("reseal");
    assert_all_sealed_under(&app, KEY_2).await;
    tessera::startup::reseal(&settings).await.expect("a second reseal changes nothing");

    let app = app.restart_with(|s| s.encryption_key = Some(KEY_2.into())).await;
    assert_eq!(kid_of(&app, &seed).await, kid, "after reseal the previous key is no longer needed");
    assert_eq!(app.token(&created, Some("scope1")).await.status, 200);
    assert_eq!(app.introspect(&seed, &before).await.body["active"], true);
}

/// An auth server whose public client signs users in through a login page.
async fn sign_in_client(app: &TestApp) -> (String, String, String) {
    let server = app.create_auth_server(&format!("people-{}", uuid::Uuid::new_v4())).await;
    let server_id = str_of(&server, "id").to_owned();
    let scope = app.create_scope(&server_id, "profile").await;
    let client = app
        .post(
            &format!("/v1/auth-servers/{server_id}/clients"),
            json!({"name": "webapp", "grant_types": ["authorization_code"], "response_types": ["code"],
                   "redirect_uris": [REDIRECT], "login_uri": "https://login.example.com/signin",
                   "allow_all_scopes": false, "allow_scopes": [scope["id"]], "token_endpoint_auth_method": "none"}),
        )
        .await;
    assert_eq!(client.status, 201, "{}", client.text);
    (server_id, str_of(&server, "issuer").to_owned(), str_of(&client.body, "id").to_owned())
}

fn query_param(location: &str, name: &str) -> String {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    pairs.into_iter().find(|(key, _)| key == name).unwrap_or_else(|| panic!("no {name} in {location}")).1
}

/// Authorization request → login page accepts → back at the client with a code.
async fn authorization_code(app: &TestApp, (server_id, issuer, client_id): &(String, String, String)) -> String {
    let query = serde_urlencoded::to_string([
        ("client_id", client_id.as_str()),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ])
    .unwrap();
    let login = app.send(app.http.get(format!("{issuer}/oauth/authorize?{query}"))).await;
    assert_eq!(login.status, 303, "{}", login.text);
    let challenge = query_param(login.header("location").unwrap(), "login_challenge");
    let path = format!("/v1/auth-servers/{server_id}/login-requests/{challenge}/accept");
    let accepted = app.post(&path, json!({"subject": "ada"})).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let back = app.send(app.http.get(str_of(&accepted.body, "redirect_to"))).await;
    assert_eq!(back.status, 303, "{}", back.text);
    query_param(back.header("location").unwrap(), "code")
}

async fn redeem(app: &TestApp, (_, issuer, client_id): &(String, String, String), code: &str) -> u16 {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", client_id),
        ("code_verifier", VERIFIER),
    ];
    let response = app.post_form(&format!("{issuer}/oauth/token"), &form).await;
    assert!(response.status == 200 || response.body["error"] == "invalid_grant", "{}", response.text);
    response.status
}

async fn an_authorization_code_issued_before_a_flow_key_rotation_still_redeems(app: TestApp) {
    let client = sign_in_client(&app).await;
    let code = authorization_code(&app, &client).await;
    assert!(stored_secrets(&app.database_url).await.iter().any(|v| !v.starts_with("aes256gcm:")), "generated");

    let app = app.restart_with(|s| s.encryption_key = Some(KEY_1.into())).await;
    assert_all_sealed_under(&app, KEY_1).await;
    assert_eq!(redeem(&app, &client, &code).await, 200, "the generated flow key, sealed, still opens its codes");
    let code = authorization_code(&app, &client).await;

    let app = app
        .restart_with(|s| {
            s.encryption_key = Some(KEY_2.into());
            s.encryption_key_previous = vec![KEY_1.into()];
        })
        .await;
    let after = authorization_code(&app, &client).await;
    assert_eq!(redeem(&app, &client, &code).await, 200, "the previous key's flow key still opens its codes");
    assert_eq!(redeem(&app, &client, &after).await, 200);
    let code = authorization_code(&app, &client).await;

    let app = app.restart_with(|s| s.encryption_key = Some(KEY_1.into())).await;
    assert_eq!(redeem(&app, &client, &code).await, 400, "a key no longer configured opens nothing");
}

async fn production_mode_refuses_to_start_without_the_encryption_key(app: TestApp) {
    let mut production = Settings::for_tests(app.database_url.clone(), ADMIN_TOKEN);
    production.mode = Mode::Production;
    let refused = tessera::startup::Application::build(production).await.err().expect("refused");
    assert!(refused.contains("TESSERA_ENCRYPTION_KEY"), "{refused}");
    let app = app
        .restart_with(|s| {
            s.mode = Mode::Production;
            s.encryption_key = Some(KEY_1.into());
        })
        .await;
    assert_eq!(app.send(app.http.get(app.url("/healthz"))).await.status, 200);
    assert_eq!(app.get("/v1/auth-servers").await.status, 200, "the admin token from the environment serves");
}

backend_tests!(
    clear_keys_are_sealed_when_an_encryption_key_is_first_set,
    nodes_that_start_together_with_a_new_encryption_key_seal_the_clear_keys_once,
    a_key_rotated_to_a_new_encryption_key_keeps_working_with_the_old_as_previous_until_reseal,
    an_authorization_code_issued_before_a_flow_key_rotation_still_redeems,
    production_mode_refuses_to_start_without_the_encryption_key,
);

/// The binary itself: an admin token on its command line is visible in `ps`, so production
/// mode refuses it (non-zero exit, clear message), and takes the same token from the environment.
#[test]
fn production_mode_refuses_an_admin_token_given_on_the_command_line() {
    let run = |flag: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
        command
            .env_clear()
            .env("TESSERA_MODE", "production")
            .env("TESSERA_ENCRYPTION_KEY", KEY_1)
            .env("TESSERA_LISTEN", "127.0.0.1:0")
            // Reaching the database means the settings passed: an unusable URL stops it there.
            .env("DATABASE_URL", "unsupported://nowhere");
        if flag {
            command.args(["serve", "--admin-token", ADMIN_TOKEN]);
        } else {
            command.env("TESSERA_ADMIN_TOKEN", ADMIN_TOKEN);
        }
        let output = command.output().expect("the binary runs");
        (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (ok, stderr) = run(true);
    assert!(!ok && stderr.contains("--admin-token") && stderr.contains("TESSERA_ADMIN_TOKEN"), "{stderr}");
    assert!(!stderr.contains(ADMIN_TOKEN), "the token is not repeated: {stderr}");
    let (ok, stderr) = run(false);
    assert!(!ok && stderr.contains("unsupported DATABASE_URL") && !stderr.contains("--admin-token"), "{stderr}");
}

async fn open(app: &TestApp) -> Store {
    Store::connect(&ConnectOptions {
        url: app.database_url.clone(),
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(5),
    })
    .unwrap()
}

async fn keys_are_due_for_scheduled_rotation_only_once_old_enough(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let store = open(&app).await;
    let now = chrono::Utc::now();
    let id: uuid::Uuid = seed.server_id.parse().unwrap();
    let due_now = tessera::store::signing_keys::due_for_rotation(&store, now, Some(now - chrono::TimeDelta::days(89)))
        .await
        .unwrap();
    assert!(!due_now.iter().any(|(server, _)| *server == id), "a fresh key is not due");
    let due_later =
        tessera::store::signing_keys::due_for_rotation(&store, now, Some(now + chrono::TimeDelta::seconds(5)))
            .await
            .unwrap();
    assert!(due_later.iter().any(|(server, _)| *server == id), "a key that began signing before the cutoff is due");
    let off = tessera::store::signing_keys::due_for_rotation(&store, now, None).await.unwrap();
    assert!(!off.iter().any(|(server, _)| *server == id), "without scheduled rotation only next keys are due");
    store.close().await;
}

backend_tests!(keys_are_due_for_scheduled_rotation_only_once_old_enough);

/// With an encryption key, private keys are stored sealed and tokens still sign.
#[tokio::test]
async fn private_keys_are_encrypted_at_rest_with_the_configured_key() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.encryption_key = Some("ab".repeat(32))).await;
    let seed = app.auth_server_with_client().await;
    let token = app.access_token(&seed).await;
    assert_eq!(app.introspect(&seed, &token).await.body["active"], true);
    let store = open(&app).await;
    let keys = tessera::store::signing_keys::published(&store, seed.server_id.parse().unwrap(), chrono::Utc::now(), 60)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].sealed_private_key.starts_with("aes256gcm:"), "{}", &keys[0].sealed_private_key[..20]);
    store.close().await;
}
