//! The security model (README "Security model"): who may answer login requests, who may
//! introspect, how clients must authenticate, PKCE on demand, and bounded sign-in facts.
//! Each test is an attack or a rule an attacker would probe, over HTTP.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::{Backend, Seed, TestApp, TestDb, TestResponse, backend_tests, str_of};

const REDIRECT: &str = "https://app.example.com/callback";
const LOGIN: &str = "https://login.example.com/";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The query parameters of a redirect's `Location`.
fn location_params(response: &TestResponse) -> HashMap<String, String> {
    let location = response.header("location").unwrap_or_else(|| panic!("no Location: {}", response.text));
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap().into_iter().collect()
}

impl TestApp {
    /// Starts a sign-in for `client_id` and answers the login page's `login_challenge`.
    async fn challenge_for(&self, issuer: &str, client_id: &str, extra: &[(&str, &str)]) -> String {
        let mut query = vec![
            ("client_id", client_id),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("state", "s-1"),
        ];
        query.extend_from_slice(extra);
        let url = format!("{issuer}/oauth/authorize?{}", serde_urlencoded::to_string(&query).unwrap());
        let response = self.send(self.http.get(url)).await;
        assert_eq!(response.status, 303, "{}", response.text);
        location_params(&response).remove("login_challenge").unwrap_or_else(|| panic!("{response:?}"))
    }

    /// A confidential client that signs users in (client_secret_basic), and its secret.
    async fn web_client(&self, seed: &Seed, changes: Value) -> (String, String) {
        let mut body = json!({"name": format!("web-{}", uuid::Uuid::new_v4()), "grant_types": ["authorization_code"],
            "response_types": ["code"], "redirect_uris": [REDIRECT], "login_uri": LOGIN, "allow_all_scopes": true,
            "token_endpoint_auth_method": "client_secret_basic"});
        for (key, value) in changes.as_object().unwrap() {
            body[key] = value.clone();
        }
        let created = self.post(&format!("/v1/auth-servers/{}/clients", seed.server_id), body).await;
        assert_eq!(created.status, 201, "{}", created.text);
        (str_of(&created.body, "id").to_owned(), str_of(&created.body, "client_secret").to_owned())
    }

    fn login_request_path(&self, server_id: &str, challenge: &str, suffix: &str) -> String {
        format!("/v1/auth-servers/{server_id}/login-requests/{challenge}{suffix}")
    }
}

/// The high-severity finding: a self-registered client started a sign-in for itself, answered
/// its own login request with its own credentials naming any user, and got that user's token.
async fn a_self_registered_client_cannot_sign_in_a_user_it_names(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let policy = format!("/v1/auth-servers/{}/client-registration", seed.server_id);
    let opened = app
        .patch(
            &policy,
            json!({"enabled": true, "open_registration": true, "allowed_grant_types": ["authorization_code"],
                   "default_grant_types": ["authorization_code"], "login_uri": LOGIN}),
        )
        .await;
    assert_eq!(opened.status, 200, "{}", opened.text);
    let registered = app
        .send(app.http.post(format!("{}/oauth/register", seed.issuer)).json(&json!({
            "client_name": "attacker", "grant_types": ["authorization_code"], "response_types": ["code"],
            "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"})))
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    let (id, secret) = (str_of(&registered.body, "client_id"), str_of(&registered.body, "client_secret"));
    let challenge =
        app.challenge_for(&seed.issuer, id, &[("code_challenge", CHALLENGE), ("code_challenge_method", "S256")]).await;
    let accept = app.login_request_path(&seed.server_id, &challenge, "/accept");
    let attack = app
        .send(app.http.post(app.url(&accept)).basic_auth(id, Some(secret)).json(&json!({"subject": "victim"})))
        .await;
    assert_eq!(attack.status, 403, "{}", attack.text);
    assert!(attack.body.get("redirect_to").is_none());

    // An admin cannot hand the capability to a registered client either.
    let client = format!("/v1/auth-servers/{}/clients/{id}", seed.server_id);
    let refused = app.patch(&client, json!({"login_requests_answered_by_client": true})).await;
    assert_eq!(
        (refused.status, refused.rule_for("login_requests_answered_by_client").as_deref()),
        (400, Some("registered_client")),
        "{}",
        refused.text
    );
    let listed = app.get(&client).await;
    assert_eq!(listed.body["login_requests_answered_by_client"], false);
    assert_eq!(listed.body["introspection_allowed"], false, "nor may it introspect others' tokens");
    let read = app
        .send(
            app.http
                .get(app.url(&app.login_request_path(&seed.server_id, &challenge, "")))
                .basic_auth(id, Some(secret)),
        )
        .await;
    assert_eq!(read.status, 403, "{}", read.text);

    // The login page with the admin token still answers it.
    let answered = app.post(&accept, json!({"subject": "alice"})).await;
    assert_eq!(answered.status, 200, "{}", answered.text);
}

/// Before the caller is known, a login-request route reveals nothing: the same 401 for an
/// unknown auth server, a forged challenge, a malformed body, and a real challenge.
async fn login_request_routes_tell_an_unauthenticated_caller_nothing(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let (id, secret) = app.web_client(&seed, json!({"login_requests_answered_by_client": true})).await;
    let challenge = app.challenge_for(&seed.issuer, &id, &[]).await;
    let unknown_server = "0b2d6f4e-9a43-4d6b-8f5e-2b7c1d0e9a11";
    let mut answers = Vec::new();
    for (server, challenge, body) in [
        (seed.server_id.as_str(), challenge.as_str(), "{\"subject\": \"x\"}"),
        (seed.server_id.as_str(), "forged", "{\"subject\": \"x\"}"),
        (unknown_server, challenge.as_str(), "{\"subject\": \"x\"}"),
        (seed.server_id.as_str(), challenge.as_str(), "{not json"),
    ] {
        let url = app.url(&app.login_request_path(server, challenge, "/accept"));
        for credentials in [None, Some((id.as_str(), "wrong")), Some(("no-such-client", secret.as_str()))] {
            let mut request = app.http.post(&url).header("content-type", "application/json").body(body.to_owned());
            if let Some((user, password)) = credentials {
                request = request.basic_auth(user, Some(password));
            }
            let response = app.send(request).await;
            answers.push((response.status, response.body["detail"].clone()));
        }
    }
    let first = answers[0].clone();
    assert_eq!(first.0, 401, "{first:?}");
    assert!(answers.iter().all(|answer| *answer == first), "{answers:?}");
    // Once authenticated (and allowed), the login page learns what it needs.
    let url = app.url(&app.login_request_path(&seed.server_id, "forged", ""));
    let forged = app.send(app.http.get(url).basic_auth(&id, Some(&secret))).await;
    assert_eq!(forged.status, 404, "{}", forged.text);
}

/// RFC 7662 §4: introspection reveals other clients' tokens only to a resource server.
async fn only_a_resource_server_introspects_other_clients_tokens(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let own = app.access_token(&seed).await;
    let other = app.create_client(&seed.server_id, "other", &[&seed.scope_id]).await;
    let other = Seed {
        client_id: str_of(&other, "id").to_owned(),
        secret: str_of(&other, "client_secret").to_owned(),
        ..seed.clone()
    };
    let theirs = app.access_token(&other).await;
    let mine = app.introspect(&seed, &own).await;
    assert_eq!((mine.body["active"].as_bool(), mine.body["sub"].as_str()), (Some(true), Some(seed.client_id.as_str())));
    assert_eq!(app.introspect(&seed, &theirs).await.body, json!({"active": false}), "no sub, client_id or scope");

    // Kong's introspection how-to: the gateway's client, with the one setting flipped.
    let client = format!("/v1/auth-servers/{}/clients/{}", seed.server_id, seed.client_id);
    let flipped = app.patch(&client, json!({"introspection_allowed": true})).await;
    assert_eq!((flipped.status, &flipped.body["introspection_allowed"]), (200, &json!(true)), "{}", flipped.text);
    let seen = app.introspect(&seed, &theirs).await;
    assert_eq!(
        (seen.body["active"].as_bool(), seen.body["client_id"].as_str()),
        (Some(true), Some(other.client_id.as_str()))
    );

    // A PUT with Kong's fields only keeps the capability; naming it false removes it.
    let kong_fields = json!({"name": "client1", "client_secret": seed.secret, "grant_types": ["client_credentials"], "response_types": ["token"], "allow_scopes": [seed.scope_id]});
    let replaced = app.put(&client, kong_fields.clone()).await;
    assert_eq!((replaced.status, &replaced.body["introspection_allowed"]), (200, &json!(true)), "{}", replaced.text);
    let mut revoked = kong_fields;
    revoked["introspection_allowed"] = json!(false);
    assert_eq!(app.put(&client, revoked).await.body["introspection_allowed"], false);
    assert_eq!(app.introspect(&seed, &theirs).await.body["active"], false);
}

/// A database as Tessera left it before the capabilities existed (migrations up to 0005), with
/// one auth server and one client in it.
async fn database_from_before_the_capabilities(backend: Backend) -> (TestDb, String) {
    use sqlx::migrate::Migrator;
    let (db, url) = TestDb::create(backend).await;
    let dir = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let path = format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut old = Migrator::new(std::path::Path::new(&path)).await.unwrap();
    old.migrations = std::borrow::Cow::Owned(old.iter().filter(|m| m.version < 6).cloned().collect());
    let rows = [
        "INSERT INTO auth_servers (id, name, description, audience, signing_algorithm, issuer_slug, labels, \
         trusted_origins, created_at, updated_at) VALUES ('5f9fd312-a987-4628-b4c5-bb4f4fddd5f7', 'old', '', 'aud', \
         'RS256', 'oldslug', '{}', '[]', 0, 0)",
        "INSERT INTO clients (auth_server_id, id, name, grant_types, response_types, redirect_uris, login_uri, \
         access_token_duration, id_token_duration, allow_all_scopes, labels, token_endpoint_auth_method, created_at, \
         updated_at) VALUES ('5f9fd312-a987-4628-b4c5-bb4f4fddd5f7', 'gateway', 'gateway', '[\"client_credentials\"]', \
         '[]', '[]', NULL, 300, 300, FALSE, '{}', 'client_secret_post', 0, 0)",
    ];
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            old.run(&pool).await.unwrap();
            for row in rows {
                sqlx::query(row).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            old.run(&pool).await.unwrap();
            for row in rows {
                sqlx::query(row).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
    }
    (db, url)
}

/// Clients created before the capability existed keep introspecting after the upgrade; none
/// of them may sign users in with its own credentials.
async fn clients_from_before_the_upgrade_keep_introspecting(backend: Backend) {
    let (db, url) = database_from_before_the_capabilities(backend).await;
    let app = TestApp::spawn_on(db, url, |_| {}).await;
    let client = app.get("/v1/auth-servers/5f9fd312-a987-4628-b4c5-bb4f4fddd5f7/clients/gateway").await;
    assert_eq!(client.status, 200, "{}", client.text);
    assert_eq!(client.body["introspection_allowed"], true, "the upgrade keeps it introspecting");
    assert_eq!(client.body["login_requests_answered_by_client"], false, "but not signing users in");
    let created = app.create_client("5f9fd312-a987-4628-b4c5-bb4f4fddd5f7", "new", &[]).await;
    assert_eq!(created["introspection_allowed"], false, "new clients start without it");
    let server = app.get("/v1/auth-servers/5f9fd312-a987-4628-b4c5-bb4f4fddd5f7").await;
    assert_eq!(server.body["require_pkce"], false, "as Kong: PKCE optional for confidential clients");
    app.stop().await;
}

/// RFC 7591 §2: the method a client registered is the one it must use, at every endpoint.
async fn clients_authenticate_only_the_way_they_registered(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let clients = format!("/v1/auth-servers/{}/clients", seed.server_id);
    let create = |method: &'static str| {
        app.post(
            &clients,
            json!({"name": method, "grant_types": ["client_credentials", "authorization_code"], "response_types": ["code"],
                   "redirect_uris": [REDIRECT], "allow_all_scopes": true, "token_endpoint_auth_method": method}),
        )
    };
    let basic = create("client_secret_basic").await;
    let public = app
        .post(
            &format!("/v1/auth-servers/{}/clients", seed.server_id),
            json!({"name": "spa", "grant_types": ["authorization_code"], "response_types": ["code"],
                   "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}),
        )
        .await;
    let (basic_id, basic_secret) = (str_of(&basic.body, "id"), str_of(&basic.body, "client_secret"));
    let (public_id, public_secret) = (str_of(&public.body, "id"), str_of(&public.body, "client_secret"));
    let token = own_token(&app, &seed).await;
    for endpoint in ["/oauth/token", "/introspect", "/oauth/revoke"] {
        let url = format!("{}{endpoint}", seed.issuer);
        let form = [("grant_type", "client_credentials"), ("token", token.as_str())];
        let post = |id: &str, secret: &str| {
            let mut fields = form.to_vec();
            fields.extend([("client_id", id), ("client_secret", secret)]);
            app.send(app.http.post(&url).form(&fields))
        };
        let basic_auth =
            |id: &str, secret: &str| app.send(app.http.post(&url).basic_auth(id, Some(secret)).form(&form));
        let refused = post(basic_id, basic_secret).await;
        assert_eq!(
            (refused.status, refused.body["error"].as_str(), refused.body["error_description"].as_str()),
            (
                401,
                Some("invalid_client"),
                Some("This client authenticates with client_secret_basic, not client_secret_post")
            ),
            "{endpoint}"
        );
        // Authenticated: revoking another client's token is then 400 unauthorized_client.
        let expected = if endpoint == "/oauth/revoke" { 400 } else { 200 };
        assert_eq!(basic_auth(basic_id, basic_secret).await.status, expected, "{endpoint}");
        // Kong's default method also takes Basic: Kong's introspection how-to relies on it.
        assert_eq!(basic_auth(&seed.client_id, &seed.secret).await.status, 200, "{endpoint}");
        assert_eq!(post(&seed.client_id, &seed.secret).await.status, 200, "{endpoint}");
        // A public client has no credentials: the secret it was given at creation is not one.
        for answer in [post(public_id, public_secret).await, basic_auth(public_id, public_secret).await] {
            assert_eq!((answer.status, answer.body["error"].as_str()), (401, Some("invalid_client")), "{endpoint}");
        }
    }
}

async fn own_token(app: &TestApp, seed: &Seed) -> String {
    app.access_token(seed).await
}

/// The same answer, and the same Argon2 work, for an unknown client id as for a wrong secret.
async fn an_unknown_client_id_and_a_wrong_secret_look_alike(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let url = format!("{}/oauth/token", seed.issuer);
    let argon2_runs = || async {
        let metrics = app.send(app.http.get(app.url("/metrics"))).await.text;
        metrics
            .lines()
            .find(|line| line.starts_with("tessera_cache_lookups_total{cache=\"client_secret\",result=\"miss\"}"))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|count| count.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let mut answers = Vec::new();
    for (id, secret) in [
        (seed.client_id.as_str(), "WrongSecretWrongSecretWrong12345"),
        ("no-such-client", "WrongSecretWrongSecretWrong12345"),
    ] {
        let before = argon2_runs().await;
        let response = app
            .send(app.http.post(&url).basic_auth(id, Some(secret)).form(&[("grant_type", "client_credentials")]))
            .await;
        let after = argon2_runs().await;
        answers.push((
            response.status,
            response.header("www-authenticate").map(str::to_owned),
            response.body.clone(),
            after - before,
        ));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].3, 1, "one Argon2 verification each");
}

/// RFC 9700 §2.1.1: an auth server may require PKCE of every client.
async fn an_auth_server_can_require_pkce_of_confidential_clients(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let (id, secret) = app.web_client(&seed, json!({})).await;
    // Without the setting a confidential client may omit PKCE (Kong's behaviour).
    let challenge = app.challenge_for(&seed.issuer, &id, &[]).await;
    let answered =
        app.post(&app.login_request_path(&seed.server_id, &challenge, "/accept"), json!({"subject": "u"})).await;
    let back = app.send(app.http.get(str_of(&answered.body, "redirect_to"))).await;
    let code = location_params(&back).remove("code").unwrap_or_else(|| panic!("{back:?}"));

    let server = format!("/v1/auth-servers/{}", seed.server_id);
    let required = app.patch(&server, json!({"require_pkce": true})).await;
    assert_eq!((required.status, &required.body["require_pkce"]), (200, &json!(true)), "{}", required.text);
    let url = format!(
        "{}/oauth/authorize?{}",
        seed.issuer,
        serde_urlencoded::to_string([
            ("client_id", id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("state", "s-2")
        ])
        .unwrap()
    );
    let refused = app.send(app.http.get(url)).await;
    assert_eq!(refused.status, 303, "{}", refused.text);
    let error = location_params(&refused);
    assert_eq!((error["error"].as_str(), error["state"].as_str()), ("invalid_request", "s-2"));
    assert!(error["error_description"].contains("PKCE"), "{error:?}");

    // A code requested without PKCE before the switch is not redeemed after it.
    let token_url = format!("{}/oauth/token", seed.issuer);
    let redeem = |code: String, verifier: Option<&'static str>| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("redirect_uri", REDIRECT.to_owned()),
        ];
        if let Some(verifier) = verifier {
            form.push(("code_verifier", verifier.to_owned()));
        }
        app.send(app.http.post(&token_url).basic_auth(&id, Some(&secret)).form(&form))
    };
    let stale = redeem(code, None).await;
    assert_eq!((stale.status, stale.body["error"].as_str()), (400, Some("invalid_grant")), "{}", stale.text);

    let challenge =
        app.challenge_for(&seed.issuer, &id, &[("code_challenge", CHALLENGE), ("code_challenge_method", "S256")]).await;
    let answered =
        app.post(&app.login_request_path(&seed.server_id, &challenge, "/accept"), json!({"subject": "u"})).await;
    let back = app.send(app.http.get(str_of(&answered.body, "redirect_to"))).await;
    let code = location_params(&back).remove("code").unwrap();
    let tokens = redeem(code, Some(VERIFIER)).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
}

/// `auth_time`, `amr` and `acr` from the login page are bounded, each refusal naming its field.
async fn sign_in_facts_from_the_login_page_are_bounded(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let (id, _) = app.web_client(&seed, json!({})).await;
    let challenge = app.challenge_for(&seed.issuer, &id, &[("max_age", "60")]).await;
    let accept = app.login_request_path(&seed.server_id, &challenge, "/accept");
    let too_many: Vec<String> = (0..11).map(|i| format!("m{i}")).collect();
    for (body, field, rule) in [
        (json!({"subject": "u", "auth_time": i64::MIN}), "auth_time", "min"),
        (json!({"subject": "u", "auth_time": -1}), "auth_time", "min"),
        (json!({"subject": "u", "auth_time": i64::MAX}), "auth_time", "max"),
        (json!({"subject": "u", "amr": too_many}), "amr", "max_items"),
        (json!({"subject": "u", "amr": ["pwd", "x".repeat(65)]}), "amr[1]", "max_length"),
        (json!({"subject": "u", "amr": [""]}), "amr[0]", "min_length"),
        (json!({"subject": "u", "acr": "a".repeat(256)}), "acr", "max_length"),
    ] {
        let refused = app.post(&accept, body.clone()).await;
        assert_eq!((refused.status, refused.rule_for(field).as_deref()), (400, Some(rule)), "{body}: {}", refused.text);
    }
    let accepted = app
        .post(
            &accept,
            json!({"subject": "u", "auth_time": 0, "amr": ["pwd", "otp"], "acr": "urn:mace:incommon:iap:silver"}),
        )
        .await;
    assert_eq!(accepted.status, 200, "the epoch is a valid auth_time: {}", accepted.text);
}

backend_tests!(
    a_self_registered_client_cannot_sign_in_a_user_it_names,
    login_request_routes_tell_an_unauthenticated_caller_nothing,
    only_a_resource_server_introspects_other_clients_tokens,
    clients_authenticate_only_the_way_they_registered,
    an_unknown_client_id_and_a_wrong_secret_look_alike,
    an_auth_server_can_require_pkce_of_confidential_clients,
    sign_in_facts_from_the_login_page_are_bounded
);

mod clients_created_before_the_capabilities_existed_keep_introspecting {
    use crate::helpers::Backend;

    #[tokio::test]
    async fn sqlite() {
        super::clients_from_before_the_upgrade_keep_introspecting(Backend::Sqlite).await;
    }

    #[tokio::test]
    #[cfg_attr(not(tessera_pg_tests), ignore = "Postgres skipped: set TESSERA_TEST_POSTGRES_URL to run it")]
    async fn postgres() {
        super::clients_from_before_the_upgrade_keep_introspecting(Backend::Postgres).await;
    }
}
