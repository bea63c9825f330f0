//! Signing users in: the authorization endpoint, the login page's accept/reject through the
//! admin API, the authorization code grant with PKCE, ID tokens and userinfo, driven as a
//! browser would (following each redirect by hand) and by a standard OpenID Connect library.

use std::collections::HashMap;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, backend_tests, jwt_parts, str_of};

const REDIRECT: &str = "http://127.0.0.1:7777/callback";
const LOGIN: &str = "https://login.example.com/signin";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Setup {
    server_id: String,
    issuer: String,
    client_id: String,
    secret: Option<String>,
}

impl TestApp {
    /// An auth server with scope `profile`, a claim only userinfo serves, and a client that
    /// signs users in through a login page.
    async fn interactive(&self, public: bool, changes: Value) -> Setup {
        let server = self
            .post(
                "/v1/auth-servers",
                json!({"name": format!("people-{}", uuid::Uuid::new_v4()), "audience": "https://api.example.com"}),
            )
            .await;
        let server_id = str_of(&server.body, "id").to_owned();
        let scope = self.create_scope(&server_id, "profile").await;
        self.create_claim(&server_id, json!({"name": "department", "value": "${ .Client.Labels.team | default \"sales\" }", "include_in_token": false, "include_in_all_scopes": true})).await;
        let mut body = json!({
            "name": "webapp",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "redirect_uris": [REDIRECT],
            "login_uri": LOGIN,
            "allow_all_scopes": false,
            "allow_scopes": [scope["id"]],
            "access_token_duration": 600,
            "id_token_duration": 300,
            "token_endpoint_auth_method": if public { "none" } else { "client_secret_basic" },
        });
        for (key, value) in changes.as_object().unwrap() {
            body[key] = value.clone();
        }
        let client = self.post(&format!("/v1/auth-servers/{server_id}/clients"), body).await;
        assert_eq!(client.status, 201, "{}", client.text);
        Setup {
            issuer: str_of(&server.body, "issuer").to_owned(),
            server_id,
            client_id: str_of(&client.body, "id").to_owned(),
            secret: client.body["client_secret"].as_str().map(str::to_owned),
        }
    }

    async fn browse(&self, url: &str) -> TestResponse {
        self.send(self.http.get(url)).await
    }

    /// The login page's side: accept the challenge for `subject`; the URL to send the browser to.
    async fn accept_login(&self, setup: &Setup, challenge: &str, body: Value) -> String {
        let path = format!("/v1/auth-servers/{}/login-requests/{challenge}/accept", setup.server_id);
        let response = self.post(&path, body).await;
        assert_eq!(response.status, 200, "{}", response.text);
        str_of(&response.body, "redirect_to").to_owned()
    }

    /// Authorization request → login page → accept → back to the client: the final redirect's parameters.
    async fn sign_in(&self, setup: &Setup, query: &[(&str, &str)], subject: &str) -> HashMap<String, String> {
        let challenge = self.login_challenge(setup, query).await;
        let back = self
            .accept_login(
                setup,
                &challenge,
                json!({"subject": subject, "claims": {"email": format!("{subject}@example.com")}}),
            )
            .await;
        let response = self.browse(&back).await;
        assert_eq!(response.status, 303, "{}", response.text);
        let location = response.header("location").unwrap();
        assert!(location.starts_with(REDIRECT), "{location}");
        params_of(location)
    }

    async fn login_challenge(&self, setup: &Setup, query: &[(&str, &str)]) -> String {
        let response = self.browse(&authorize_url(setup, query)).await;
        assert_eq!(response.status, 303, "{}", response.text);
        let location = response.header("location").unwrap();
        assert!(location.starts_with(&format!("{LOGIN}?login_challenge=")), "{location}");
        params_of(location)["login_challenge"].clone()
    }
}

fn authorize_url(setup: &Setup, query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![("client_id", &setup.client_id)];
    pairs.extend_from_slice(query);
    format!("{}/oauth/authorize?{}", setup.issuer, serde_urlencoded::to_string(pairs).unwrap())
}

/// The query or fragment parameters of a URL.
fn params_of(url: &str) -> HashMap<String, String> {
    let part = url.split_once('#').map(|(_, f)| f).or_else(|| url.split_once('?').map(|(_, q)| q)).unwrap_or("");
    serde_urlencoded::from_str::<Vec<(String, String)>>(part).unwrap().into_iter().collect()
}

fn code_request(state: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile"),
        ("state", state),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

async fn an_openid_connect_library_signs_a_user_in_with_code_and_pkce(app: TestApp) {
    let setup = app.interactive(true, json!({"grant_types": ["authorization_code", "refresh_token"]})).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(setup.issuer.clone()).unwrap(), &http)
        .await
        .expect("discovery");
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(setup.client_id.clone()), None)
        .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    // The browser: to the login page, which signs the user in and accepts the challenge.
    let response = app.browse(url.as_str()).await;
    assert_eq!(response.status, 303, "{}", response.text);
    let login = response.header("location").unwrap().to_owned();
    let challenge = params_of(&login)["login_challenge"].clone();
    let request = app.get(&format!("/v1/auth-servers/{}/login-requests/{challenge}", setup.server_id)).await;
    assert_eq!(
        (request.body["client_id"].as_str(), request.body["client_name"].as_str()),
        (Some(setup.client_id.as_str()), Some("webapp"))
    );
    assert_eq!(request.body["scope"], json!(["openid", "profile"]));
    let back = app
        .accept_login(
            &setup,
            &challenge,
            json!({"subject": "user-42", "claims": {"email": "ada@example.com", "name": "Ada"}, "amr": ["pwd"]}),
        )
        .await;
    let response = app.browse(&back).await;
    assert_eq!(response.status, 303, "{}", response.text);
    let callback = params_of(response.header("location").unwrap());
    assert_eq!(callback["state"], *csrf.secret());
    assert_eq!(callback["iss"], setup.issuer, "RFC 9207");
    // The client: code for tokens, ID token verified through discovery and the JWKS.
    let tokens = client
        .exchange_code(AuthorizationCode::new(callback["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).expect("ID token verifies");
    assert_eq!(claims.subject().as_str(), "user-42");
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert!(claims.auth_time().is_some());
    let hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&hash));
    let (_, access) = jwt_parts(tokens.access_token().secret());
    assert_eq!(
        (access["sub"].as_str(), access["client_id"].as_str()),
        (Some("user-42"), Some(setup.client_id.as_str()))
    );
    assert_eq!(access["scope"], "openid profile");
    // Userinfo: the subject, the user's claims, and the claim kept out of tokens.
    let info: CoreUserInfoClaims =
        client.user_info(tokens.access_token().clone(), None).unwrap().request_async(&http).await.expect("userinfo");
    assert_eq!(info.subject().as_str(), "user-42");
    assert_eq!(info.name().and_then(|n| n.get(None)).map(|n| n.as_str()), Some("Ada"));
    let raw =
        app.send(app.http.get(format!("{}/userinfo", setup.issuer)).bearer_auth(tokens.access_token().secret())).await;
    assert_eq!(raw.body["department"], "sales", "{}", raw.text);
    assert!(access.get("department").is_none(), "include_in_token: false stays out of the token");
    // And the library refreshes: a new access token, a rotated refresh token, a fresh ID token.
    let refresh = tokens.refresh_token().expect("a refresh token");
    let refreshed = client.exchange_refresh_token(refresh).unwrap().request_async(&http).await.expect("refresh");
    assert_ne!(refreshed.access_token().secret(), tokens.access_token().secret());
    assert_ne!(refreshed.refresh_token().map(|r| r.secret()), Some(refresh.secret()), "rotated");
    let renewed = refreshed.id_token().expect("an ID token on refresh");
    let renewed = renewed.claims(&verifier, |_: Option<&Nonce>| Ok(())).expect("refreshed ID token verifies");
    assert_eq!(renewed.subject().as_str(), "user-42");
    let reused = client.exchange_refresh_token(refresh).unwrap().request_async(&http).await;
    assert!(reused.is_err(), "a refresh token works once");
    // Logging out: the public client revokes its refresh token with its client_id alone (RFC 7009 §2.1).
    let latest = refreshed.refresh_token().unwrap().secret();
    let revoked = app
        .send(
            app.http
                .post(format!("{}/oauth/revoke", setup.issuer))
                .form(&[("token", latest.as_str()), ("client_id", setup.client_id.as_str())]),
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    let after = app
        .send(app.http.post(format!("{}/oauth/token", setup.issuer)).form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", latest.as_str()),
            ("client_id", setup.client_id.as_str()),
        ]))
        .await;
    assert_eq!(after.body["error"], "invalid_grant");
}

async fn a_confidential_client_gets_tokens_and_a_replayed_code_revokes_them(app: TestApp) {
    let setup = app.interactive(false, json!({})).await;
    let callback = app.sign_in(&setup, &code_request("s1"), "user-1").await;
    let exchange = |code: String| {
        let request = app
            .http
            .post(format!("{}/oauth/token", setup.issuer))
            .basic_auth(&setup.client_id, setup.secret.as_deref())
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ]);
        app.send(request)
    };
    let first = exchange(callback["code"].clone()).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.header("cache-control"), Some("no-store"));
    let access = str_of(&first.body, "access_token").to_owned();
    assert!(first.body.get("refresh_token").is_none(), "no refresh_token grant, no refresh token");
    let (_, id_claims) = jwt_parts(str_of(&first.body, "id_token"));
    assert_eq!(
        (id_claims["aud"].as_str(), id_claims["sub"].as_str()),
        (Some(setup.client_id.as_str()), Some("user-1"))
    );
    assert!(
        id_claims.get("jti").is_none() && id_claims.get("scope").is_none(),
        "an ID token never passes for an access token"
    );
    let introspect = |token: String| {
        let request = app
            .http
            .post(format!("{}/introspect", setup.issuer))
            .basic_auth(&setup.client_id, setup.secret.as_deref())
            .form(&[("token", token)]);
        app.send(request)
    };
    assert_eq!(introspect(access.clone()).await.body["active"], true);
    assert_eq!(introspect(str_of(&first.body, "id_token").to_owned()).await.body["active"], false);
    let id_at_userinfo =
        app.send(app.http.get(format!("{}/userinfo", setup.issuer)).bearer_auth(str_of(&first.body, "id_token"))).await;
    assert_eq!(id_at_userinfo.status, 401, "an ID token is not an access token");
    let replay = exchange(callback["code"].clone()).await;
    assert_eq!((replay.status, replay.body["error"].as_str()), (400, Some("invalid_grant")), "{}", replay.text);
    assert_eq!(introspect(access).await.body["active"], false, "what the code issued is revoked");
    // Two redemptions racing: whichever order, the replay leaves no live token behind.
    let callback = app.sign_in(&setup, &code_request("s2"), "user-1").await;
    let (a, b) = futures::join!(exchange(callback["code"].clone()), exchange(callback["code"].clone()));
    assert!(a.status != 200 || b.status != 200, "one code, at most one answer: {} / {}", a.text, b.text);
    for winner in [a, b].iter().filter(|r| r.status == 200) {
        assert_eq!(introspect(str_of(&winner.body, "access_token").to_owned()).await.body["active"], false);
    }
}

async fn the_token_endpoint_refuses_codes_that_do_not_check_out(app: TestApp) {
    let setup = app.interactive(true, json!({})).await;
    let token = |form: Vec<(&'static str, String)>| {
        app.send(app.http.post(format!("{}/oauth/token", setup.issuer)).form(&form))
    };
    let base = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", setup.client_id.clone()),
            ("code", code.to_owned()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("code_verifier", VERIFIER.to_owned()),
        ]
    };
    let code = app.sign_in(&setup, &code_request("s"), "u").await["code"].clone();
    let cases: Vec<(Vec<(&'static str, String)>, &str)> = vec![
        (base("not-a-code"), "invalid or has expired"),
        (base(&code).into_iter().filter(|(k, _)| *k != "code_verifier").collect(), "code_verifier is required"),
        (
            base(&code)
                .into_iter()
                .map(|(k, v)| if k == "code_verifier" { (k, VERIFIER.replace('k', "j")) } else { (k, v) })
                .collect(),
            "does not match",
        ),
        (
            base(&code)
                .into_iter()
                .map(|(k, v)| if k == "redirect_uri" { (k, "http://127.0.0.1:7777/other".to_owned()) } else { (k, v) })
                .collect(),
            "redirect_uri differs",
        ),
        (base(&code).into_iter().filter(|(k, _)| *k != "redirect_uri").collect(), "redirect_uri is required"),
    ];
    for (form, expected) in cases {
        let response = token(form).await;
        assert_eq!(
            (response.status, response.body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{expected}: {}",
            response.text
        );
        assert!(str_of(&response.body, "error_description").contains(expected), "{expected}: {}", response.text);
    }
    let ok = token(base(&code)).await;
    assert_eq!(ok.status, 200, "failed checks do not use the code up: {}", ok.text);
    let secretless = app.interactive(false, json!({})).await;
    let response = app
        .send(app.http.post(format!("{}/oauth/token", secretless.issuer)).form(&[
            ("grant_type", "authorization_code"),
            ("client_id", secretless.client_id.as_str()),
            ("code", "x"),
        ]))
        .await;
    assert_eq!(
        (response.status, response.body["error"].as_str()),
        (401, Some("invalid_client")),
        "confidential clients need their secret"
    );
}

async fn authorization_errors_are_shown_or_redirected_as_the_rfc_says(app: TestApp) {
    let setup = app.interactive(true, json!({})).await;
    // Untrusted redirect URIs and unknown clients: a page, never a redirect.
    for url in [
        authorize_url(
            &setup,
            &[
                ("response_type", "code"),
                ("redirect_uri", "https://evil.example.com/cb"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
        ),
        format!("{}/oauth/authorize?client_id=nosuchclient&response_type=code", setup.issuer),
        format!("{}/oauth/authorize?response_type=code", setup.issuer),
    ] {
        let response = app.browse(&url).await;
        assert_eq!(response.status, 400, "{url}");
        assert!(response.header("location").is_none());
        assert!(response.header("content-type").unwrap().starts_with("text/html"));
    }
    // Everything else goes back to the client with the state and the issuer.
    let app = &app;
    let redirected = |query: Vec<(&'static str, &'static str)>| {
        let url = authorize_url(&setup, &query);
        async move {
            let response = app.browse(&url).await;
            assert_eq!(response.status, 303, "{url}: {}", response.text);
            let location = response.header("location").unwrap().to_owned();
            assert!(location.starts_with(REDIRECT), "{location}");
            params_of(&location)
        }
    };
    let without_pkce: Vec<_> = code_request("st").into_iter().filter(|(k, _)| !k.starts_with("code_")).collect();
    let params = redirected(without_pkce).await;
    assert_eq!(
        (params["error"].as_str(), params["state"].as_str(), params["iss"].as_str()),
        ("invalid_request", "st", setup.issuer.as_str())
    );
    assert!(params["error_description"].contains("PKCE"));
    let mut implicit = code_request("st");
    implicit[0] = ("response_type", "token");
    assert_eq!(redirected(implicit).await["error"], "unauthorized_client", "the client may not use implicit");
    let mut unknown_scope = code_request("st");
    unknown_scope[2] = ("scope", "openid admin");
    assert_eq!(redirected(unknown_scope).await["error"], "invalid_scope");
    // Exact matching (RFC 9700 §4.1.3): no normalisation, no prefixes, no added query.
    for variant in [
        "HTTP://127.0.0.1:7777/callback",
        "http://127.0.0.1:7777/callback/",
        "http://127.0.0.1:7777/Callback",
        "http://127.0.0.1:7777/callback?x=1",
        "http://127.0.0.1:7777/callback#f",
        "http://user@127.0.0.1:7777/callback",
    ] {
        let url = authorize_url(
            &setup,
            &[
                ("response_type", "code"),
                ("redirect_uri", variant),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
        );
        let response = app.browse(&url).await;
        assert_eq!((response.status, response.header("location")), (400, None), "{variant}");
    }
    let no_login = app.interactive(true, json!({"login_uri": null})).await;
    let url = authorize_url(&no_login, &code_request("st"));
    let response = app.browse(&url).await;
    assert_eq!(params_of(response.header("location").unwrap())["error"], "unauthorized_client", "no login_uri");
}

async fn the_login_page_can_reject_and_each_step_works_once(app: TestApp) {
    let setup = app.interactive(true, json!({})).await;
    let challenge = app.login_challenge(&setup, &code_request("r1")).await;
    let path = format!("/v1/auth-servers/{}/login-requests/{challenge}", setup.server_id);
    let rejected = app.post(&format!("{path}/reject"), json!({"error_description": "Wrong password too often"})).await;
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    let again = app.post(&format!("{path}/accept"), json!({"subject": "u"})).await;
    assert_eq!(again.status, 409, "a challenge is answered once: {}", again.text);
    let back = app.browse(str_of(&rejected.body, "redirect_to")).await;
    let params = params_of(back.header("location").unwrap());
    assert_eq!((params["error"].as_str(), params["state"].as_str()), ("access_denied", "r1"));
    assert_eq!(params["error_description"], "Wrong password too often");
    let replayed = app.browse(str_of(&rejected.body, "redirect_to")).await;
    assert_eq!(replayed.status, 400, "a verifier is used once");
    for (bad, status) in [("garbage", 404), (&challenge[..challenge.len() - 2], 404)] {
        let response = app.get(&format!("/v1/auth-servers/{}/login-requests/{bad}", setup.server_id)).await;
        assert_eq!(response.status, status, "{}", response.text);
    }
    let fresh = app.login_challenge(&setup, &code_request("r2")).await;
    let accept = format!("/v1/auth-servers/{}/login-requests/{fresh}/accept", setup.server_id);
    let invalid = app.post(&accept, json!({"subject": "", "claims": {"sub": "other"}, "extra": 1})).await;
    assert_eq!(invalid.status, 400);
    assert_eq!(
        invalid.invalid_fields(),
        ["extra", "subject", "claims.sub"].map(String::from).to_vec(),
        "{}",
        invalid.text
    );
    let huge = app.post(&accept, json!({"subject": "u", "claims": {"blob": "x".repeat(20_000)}})).await;
    assert_eq!(huge.rule_for("claims").as_deref(), Some("max_length"), "{}", huge.text);
    let other_server = app.post("/v1/auth-servers", json!({"name": "other", "audience": "x"})).await;
    let elsewhere = format!("/v1/auth-servers/{}/login-requests/{fresh}", str_of(&other_server.body, "id"));
    assert_eq!(app.get(&elsewhere).await.status, 404, "a challenge belongs to one auth server");
}

async fn max_age_and_prompt_login_reach_the_login_page_and_are_enforced(app: TestApp) {
    let setup = app.interactive(true, json!({})).await;
    let mut query = code_request("m1");
    query.extend([("max_age", "60"), ("prompt", "login"), ("login_hint", "ada@example.com"), ("acr_values", "mfa")]);
    let challenge = app.login_challenge(&setup, &query).await;
    let path = format!("/v1/auth-servers/{}/login-requests/{challenge}", setup.server_id);
    let view = app.get(&path).await;
    assert_eq!(
        (view.body["max_age"].as_i64(), view.body["prompt"].as_str()),
        (Some(60), Some("login")),
        "{}",
        view.text
    );
    assert_eq!(
        (view.body["login_hint"].as_str(), view.body["acr_values"].as_str()),
        (Some("ada@example.com"), Some("mfa"))
    );
    let an_hour_ago = chrono::Utc::now().timestamp() - 3600;
    let back = app.accept_login(&setup, &challenge, json!({"subject": "u", "auth_time": an_hour_ago})).await;
    let response = app.browse(&back).await;
    let params = params_of(response.header("location").unwrap());
    assert_eq!(
        (params["error"].as_str(), params["state"].as_str()),
        ("login_required", "m1"),
        "a session older than max_age is refused"
    );
    let fresh = app.login_challenge(&setup, &query).await;
    let back = app.accept_login(&setup, &fresh, json!({"subject": "u"})).await;
    let params = params_of(app.browse(&back).await.header("location").unwrap());
    assert!(params.contains_key("code"), "a sign-in just now satisfies both: {params:?}");
    let future = app
        .post(
            &format!(
                "/v1/auth-servers/{}/login-requests/{}/accept",
                setup.server_id,
                app.login_challenge(&setup, &query).await
            ),
            json!({"subject": "u", "auth_time": chrono::Utc::now().timestamp() + 3600}),
        )
        .await;
    assert_eq!(future.rule_for("auth_time").as_deref(), Some("max"), "{}", future.text);
}

async fn a_sign_in_completes_only_in_the_browser_that_started_it(app: TestApp) {
    let setup = app.interactive(true, json!({})).await;
    let started = app.browse(&authorize_url(&setup, &code_request("b1"))).await;
    let cookie = started.header("set-cookie").unwrap().to_owned();
    assert!(
        cookie.starts_with("tessera_signin_") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let challenge = params_of(started.header("location").unwrap())["login_challenge"].clone();
    let back = app.accept_login(&setup, &challenge, json!({"subject": "victim"})).await;
    // The attacker's browser (no cookie) cannot complete it, and does not use it up.
    let elsewhere = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let stolen = elsewhere.get(&back).send().await.unwrap();
    assert_eq!(stolen.status(), 400);
    assert!(stolen.text().await.unwrap().contains("another browser"));
    let completed = app.browse(&back).await;
    assert_eq!(completed.status, 303, "{}", completed.text);
    assert!(params_of(completed.header("location").unwrap()).contains_key("code"));
}

async fn a_sign_in_started_on_one_node_finishes_on_another(app: TestApp) {
    let setup = app.interactive(true, json!({})).await;
    let other = app.spawn_second_node().await;
    let on_other = |url: &str| url.replacen(&app.address, &other.address, 1);
    let challenge = app.login_challenge(&setup, &code_request("n1")).await;
    let accept = format!("/v1/auth-servers/{}/login-requests/{challenge}/accept", setup.server_id);
    let accepted = other.post(&accept, json!({"subject": "roaming"})).await;
    assert_eq!(accepted.status, 200, "the other node opens this node's challenge: {}", accepted.text);
    let back = app.browse(&on_other(str_of(&accepted.body, "redirect_to"))).await;
    assert_eq!(back.status, 303, "{}", back.text);
    let code = params_of(back.header("location").unwrap())["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", setup.client_id.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let tokens = app.send(app.http.post(format!("{}/oauth/token", setup.issuer)).form(&form)).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let userinfo = || {
        app.send(
            app.http
                .get(on_other(&format!("{}/userinfo", setup.issuer)))
                .bearer_auth(str_of(&tokens.body, "access_token")),
        )
    };
    let info = userinfo().await;
    assert_eq!((info.status, info.body["sub"].as_str()), (200, Some("roaming")), "{}", info.text);
    let replay = app.send(app.http.post(on_other(&format!("{}/oauth/token", setup.issuer))).form(&form)).await;
    assert_eq!(replay.body["error"], "invalid_grant", "single use holds across nodes");
    assert_eq!(userinfo().await.status, 401, "and the replay revoked what the first node issued");
}

async fn a_login_page_answers_with_its_clients_credentials_only_when_an_admin_allows_it(app: TestApp) {
    let setup = app.interactive(false, json!({})).await;
    let challenge = app.login_challenge(&setup, &code_request("c1")).await;
    let path = format!("/v1/auth-servers/{}/login-requests/{challenge}", setup.server_id);
    let as_client = |id: &str, secret: &str, method: reqwest::Method, suffix: &str, body: Option<Value>| {
        let mut request = app.http.request(method, app.url(&format!("{path}{suffix}"))).basic_auth(id, Some(secret));
        if let Some(body) = body {
            request = request.json(&body);
        }
        app.send(request)
    };
    let secret = setup.secret.clone().unwrap();
    // By default only the admin answers: a client's credentials would let it sign in anyone.
    let refused =
        as_client(&setup.client_id, &secret, reqwest::Method::POST, "/accept", Some(json!({"subject": "victim"})))
            .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(refused.text.contains("login_requests_answered_by_client"), "{}", refused.text);
    let client_path = format!("/v1/auth-servers/{}/clients/{}", setup.server_id, setup.client_id);
    let allowed = app.patch(&client_path, json!({"login_requests_answered_by_client": true})).await;
    assert_eq!((allowed.status, &allowed.body["login_requests_answered_by_client"]), (200, &json!(true)));

    assert_eq!(as_client(&setup.client_id, "wrong", reqwest::Method::GET, "", None).await.status, 401);
    let other = app.interactive(false, json!({})).await;
    let other_client = app.post(&format!("/v1/auth-servers/{}/clients", setup.server_id), json!({"name": "other", "grant_types": ["authorization_code"], "redirect_uris": [REDIRECT], "login_uri": LOGIN, "response_types": ["code"], "login_requests_answered_by_client": true})).await;
    let foreign = as_client(
        str_of(&other_client.body, "id"),
        str_of(&other_client.body, "client_secret"),
        reqwest::Method::POST,
        "/accept",
        Some(json!({"subject": "mallory"})),
    )
    .await;
    assert_eq!(foreign.status, 403, "another client's challenge: {}", foreign.text);
    let elsewhere = as_client(&other.client_id, other.secret.as_deref().unwrap(), reqwest::Method::GET, "", None).await;
    assert_eq!(elsewhere.status, 401, "a client of another auth server is unknown here");
    let view = as_client(&setup.client_id, &secret, reqwest::Method::GET, "", None).await;
    assert_eq!(view.status, 200, "{}", view.text);
    let accepted =
        as_client(&setup.client_id, &secret, reqwest::Method::POST, "/accept", Some(json!({"subject": "u-1"}))).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let scopes = app
        .send(
            app.http
                .get(app.url(&format!("/v1/auth-servers/{}/scopes", setup.server_id)))
                .basic_auth(&setup.client_id, Some(&secret)),
        )
        .await;
    assert_eq!(scopes.status, 401, "client credentials open login requests only");
}

async fn implicit_and_form_post_responses_carry_tokens_where_they_should(app: TestApp) {
    let setup = app
        .interactive(
            false,
            json!({"grant_types": ["implicit", "authorization_code"], "response_types": ["token", "id_token", "code"]}),
        )
        .await;
    let query = [
        ("response_type", "id_token token"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", "i1"),
        ("nonce", "n-123"),
    ];
    let params = app.sign_in(&setup, &query, "user-7").await;
    assert_eq!((params["token_type"].as_str(), params["state"].as_str()), ("Bearer", "i1"));
    let (_, id_claims) = jwt_parts(&params["id_token"]);
    assert_eq!((id_claims["nonce"].as_str(), id_claims["sub"].as_str()), (Some("n-123"), Some("user-7")));
    assert!(id_claims["at_hash"].is_string());
    let userinfo =
        app.send(app.http.get(format!("{}/userinfo", setup.issuer)).bearer_auth(&params["access_token"])).await;
    assert_eq!(
        (userinfo.status, userinfo.body["email"].as_str()),
        (200, Some("user-7@example.com")),
        "{}",
        userinfo.text
    );
    let missing_nonce = authorize_url(
        &setup,
        &[("response_type", "id_token"), ("redirect_uri", REDIRECT), ("scope", "openid"), ("state", "i2")],
    );
    let response = app.browse(&missing_nonce).await;
    let location = response.header("location").unwrap();
    assert!(location.contains('#'), "implicit errors go in the fragment: {location}");
    assert_eq!(params_of(location)["error"], "invalid_request");
    let form_post = [
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", "f1\"><script>alert(1)</script>"),
        ("response_mode", "form_post"),
    ];
    let challenge = app.login_challenge(&setup, &form_post).await;
    let back = app.accept_login(&setup, &challenge, json!({"subject": "u"})).await;
    let page = app.browse(&back).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains(&format!("action=\"{REDIRECT}\"")) && page.text.contains("name=\"code\""),
        "{}",
        page.text
    );
    assert!(
        page.text.contains("value=\"f1&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""),
        "state is escaped: {}",
        page.text
    );
    assert!(!page.text.contains("<script>alert"), "{}", page.text);
}

async fn userinfo_answers_bearer_errors_per_rfc_6750(app: TestApp) {
    let setup = app.interactive(true, json!({})).await;
    let url = format!("{}/userinfo", setup.issuer);
    let none = app.browse(&url).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.header("www-authenticate"), Some("Bearer realm=\"tessera\""));
    let bad = app.send(app.http.get(&url).bearer_auth("not.a.token")).await;
    assert_eq!(bad.status, 401);
    assert!(bad.header("www-authenticate").unwrap().contains("error=\"invalid_token\""));
    let seed = app.auth_server_with_client().await;
    let machine = app.access_token(&seed).await;
    let url = format!("{}/userinfo", seed.issuer);
    let no_openid = app.send(app.http.get(&url).bearer_auth(&machine)).await;
    assert_eq!(no_openid.status, 403);
    assert!(no_openid.header("www-authenticate").unwrap().contains("insufficient_scope"));
    let both = app.send(app.http.post(&url).bearer_auth(&machine).form(&[("access_token", machine.as_str())])).await;
    assert_eq!(both.status, 400, "one method only");
}

async fn discovery_advertises_the_interactive_endpoints(app: TestApp) {
    let setup = app.interactive(true, json!({})).await;
    let metadata = app.browse(&format!("{}/.well-known/openid-configuration", setup.issuer)).await.body;
    assert_eq!(metadata["authorization_endpoint"], format!("{}/oauth/authorize", setup.issuer));
    assert_eq!(metadata["userinfo_endpoint"], format!("{}/userinfo", setup.issuer));
    assert_eq!(metadata["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(metadata["response_modes_supported"], json!(["query", "fragment", "form_post"]));
    assert_eq!(metadata["authorization_response_iss_parameter_supported"], true);
    assert!(metadata["grant_types_supported"].as_array().unwrap().contains(&json!("authorization_code")));
    assert!(metadata["token_endpoint_auth_methods_supported"].as_array().unwrap().contains(&json!("none")));
    assert!(metadata["revocation_endpoint_auth_methods_supported"].as_array().unwrap().contains(&json!("none")));
    assert!(!metadata["introspection_endpoint_auth_methods_supported"].as_array().unwrap().contains(&json!("none")));
}

backend_tests!(
    an_openid_connect_library_signs_a_user_in_with_code_and_pkce,
    a_confidential_client_gets_tokens_and_a_replayed_code_revokes_them,
    the_token_endpoint_refuses_codes_that_do_not_check_out,
    authorization_errors_are_shown_or_redirected_as_the_rfc_says,
    the_login_page_can_reject_and_each_step_works_once,
    max_age_and_prompt_login_reach_the_login_page_and_are_enforced,
    a_sign_in_completes_only_in_the_browser_that_started_it,
    a_sign_in_started_on_one_node_finishes_on_another,
    a_login_page_answers_with_its_clients_credentials_only_when_an_admin_allows_it,
    implicit_and_form_post_responses_carry_tokens_where_they_should,
    userinfo_answers_bearer_errors_per_rfc_6750,
    discovery_advertises_the_interactive_endpoints
);

async fn refresh_tokens_rotate_and_a_replayed_one_revokes_the_family(app: TestApp) {
    let setup = app.interactive(false, json!({"grant_types": ["authorization_code", "refresh_token"]})).await;
    let callback = app
        .sign_in(
            &setup,
            &[
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
                ("scope", "openid profile"),
                ("state", "s"),
                ("nonce", "n1"),
            ],
            "user-9",
        )
        .await;
    let token = |form: Vec<(&'static str, String)>| {
        let request = app
            .http
            .post(format!("{}/oauth/token", setup.issuer))
            .basic_auth(&setup.client_id, setup.secret.as_deref())
            .form(&form);
        app.send(request)
    };
    let refresh = |value: &str, scope: Option<&'static str>| {
        let mut form = vec![("grant_type", "refresh_token".to_owned()), ("refresh_token", value.to_owned())];
        if let Some(scope) = scope {
            form.push(("scope", scope.to_owned()));
        }
        token(form)
    };
    let first = token(vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", callback["code"].clone()),
        ("redirect_uri", REDIRECT.to_owned()),
    ])
    .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let r1 = str_of(&first.body, "refresh_token").to_owned();
    let second = refresh(&r1, None).await;
    assert_eq!(second.status, 200, "{}", second.text);
    let r2 = str_of(&second.body, "refresh_token").to_owned();
    assert_ne!(r1, r2, "rotated");
    assert_eq!(second.body["scope"], "openid profile");
    let (_, id_claims) = jwt_parts(str_of(&second.body, "id_token"));
    assert_eq!(id_claims["sub"], "user-9");
    assert!(id_claims.get("nonce").is_none(), "OpenID Connect Core §12.2");
    let (_, access) = jwt_parts(str_of(&second.body, "access_token"));
    assert_eq!(access["sub"], "user-9");
    let wider = refresh(&r2, Some("openid admin")).await;
    assert_eq!(wider.body["error"], "invalid_scope", "{}", wider.text);
    let narrower = refresh(&r2, Some("openid")).await;
    assert_eq!(
        (narrower.status, narrower.body["scope"].as_str()),
        (200, Some("openid")),
        "a refused widening does not use the token up: {}",
        narrower.text
    );
    let r3 = str_of(&narrower.body, "refresh_token").to_owned();
    let latest = str_of(&narrower.body, "access_token").to_owned();
    let replay = refresh(&r1, None).await;
    assert_eq!((replay.status, replay.body["error"].as_str()), (400, Some("invalid_grant")), "{}", replay.text);
    let introspected = app
        .send(
            app.http
                .post(format!("{}/introspect", setup.issuer))
                .basic_auth(&setup.client_id, setup.secret.as_deref())
                .form(&[("token", latest.as_str())]),
        )
        .await;
    assert_eq!(introspected.body["active"], false, "the family's access tokens are revoked");
    assert_eq!(refresh(&r3, None).await.body["error"], "invalid_grant", "and so is its newest refresh token");
    let other = app.interactive(false, json!({"grant_types": ["authorization_code", "refresh_token"]})).await;
    let stolen = app
        .send(
            app.http
                .post(format!("{}/oauth/token", other.issuer))
                .basic_auth(&other.client_id, other.secret.as_deref())
                .form(&[("grant_type", "refresh_token"), ("refresh_token", r3.as_str())]),
        )
        .await;
    assert_eq!(stolen.body["error"], "invalid_grant", "refresh tokens belong to one auth server and client");
    // Two requests racing with one refresh token: one wins, the other is a replay.
    let callback = app
        .sign_in(
            &setup,
            &[("response_type", "code"), ("redirect_uri", REDIRECT), ("scope", "openid profile"), ("state", "s3")],
            "user-9",
        )
        .await;
    let fresh = token(vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", callback["code"].clone()),
        ("redirect_uri", REDIRECT.to_owned()),
    ])
    .await;
    let raced = str_of(&fresh.body, "refresh_token").to_owned();
    let (a, b) = futures::join!(refresh(&raced, None), refresh(&raced, None));
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400], "{} / {}", a.text, b.text);
    let winner = if a.status == 200 { &a } else { &b };
    assert_eq!(
        refresh(str_of(&winner.body, "refresh_token"), None).await.body["error"],
        "invalid_grant",
        "the race revoked the family"
    );
    // Scopes the admin takes away are not refreshed.
    let callback = app
        .sign_in(
            &setup,
            &[("response_type", "code"), ("redirect_uri", REDIRECT), ("scope", "openid profile"), ("state", "s4")],
            "user-9",
        )
        .await;
    let fresh = token(vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", callback["code"].clone()),
        ("redirect_uri", REDIRECT.to_owned()),
    ])
    .await;
    let scopes = app.get(&format!("/v1/auth-servers/{}/scopes", setup.server_id)).await;
    let profile = scopes.body["data"].as_array().unwrap().iter().find(|s| s["name"] == "profile").unwrap().clone();
    let disabled = app
        .patch(
            &format!("/v1/auth-servers/{}/scopes/{}", setup.server_id, str_of(&profile, "id")),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    let narrowed = refresh(str_of(&fresh.body, "refresh_token"), None).await;
    assert_eq!((narrowed.status, narrowed.body["scope"].as_str()), (200, Some("openid")), "{}", narrowed.text);
    // RFC 7009: revoking a refresh token ends its grant.
    let callback = app
        .sign_in(
            &setup,
            &[("response_type", "code"), ("redirect_uri", REDIRECT), ("scope", "openid"), ("state", "s2")],
            "user-9",
        )
        .await;
    let fresh = token(vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", callback["code"].clone()),
        ("redirect_uri", REDIRECT.to_owned()),
    ])
    .await;
    let r = str_of(&fresh.body, "refresh_token").to_owned();
    let revoked = app
        .send(
            app.http
                .post(format!("{}/oauth/revoke", setup.issuer))
                .basic_auth(&setup.client_id, setup.secret.as_deref())
                .form(&[("token", r.as_str()), ("token_type_hint", "refresh_token")]),
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(refresh(&r, None).await.body["error"], "invalid_grant");
}

backend_tests!(refresh_tokens_rotate_and_a_replayed_one_revokes_the_family);

/// A challenge sealed with the deployment's flow key an hour ago: what a login page holding
/// a stale link would present.
#[tokio::test]
async fn an_expired_login_challenge_is_gone_and_a_forged_one_unknown() {
    use tessera::cache::flow_keys::FlowKeys;
    use tessera::oauth::flow::{AuthorizationRequest, Challenge, FlowSealer, Kind, ResponseMode};
    let master = "cd".repeat(32);
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |s| s.encryption_key = Some(master.clone())).await;
    let setup = app.interactive(true, json!({})).await;
    let key = FlowKeys::derive(&hex::decode(&master).unwrap().try_into().unwrap());
    let sealer = FlowSealer::new(&key).unwrap();
    let request = AuthorizationRequest {
        client_id: setup.client_id.clone(),
        redirect_uri: REDIRECT.into(),
        redirect_uri_sent: true,
        resource: vec![],
        response_type: "code".into(),
        response_mode: ResponseMode::Query,
        scope: vec!["openid".into()],
        scope_requested: false,
        state: None,
        nonce: None,
        code_challenge: Some(CHALLENGE.into()),
        prompt: None,
        max_age: None,
        acr_values: None,
        login_hint: None,
        ui_locales: None,
        requested_at: chrono::Utc::now().timestamp(),
        browser: String::new(),
    };
    let server_id = uuid::Uuid::parse_str(&setup.server_id).unwrap();
    let an_hour_ago = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    let stale =
        sealer.seal(Kind::Challenge, server_id, &Challenge { request: request.clone() }, 600, an_hour_ago).unwrap();
    let path = |challenge: &str| format!("/v1/auth-servers/{}/login-requests/{challenge}", setup.server_id);
    let gone = app.get(&path(&stale)).await;
    assert_eq!(gone.status, 410, "{}", gone.text);
    assert_eq!(app.post(&format!("{}/accept", path(&stale)), json!({"subject": "u"})).await.status, 410);
    let fresh = sealer
        .seal(Kind::Challenge, server_id, &Challenge { request: request.clone() }, 600, chrono::Utc::now())
        .unwrap();
    assert_eq!(app.get(&path(&fresh)).await.status, 200, "the same key, in time: accepted");
    let forged = FlowSealer::new(&[9u8; 32]).unwrap().seal(
        Kind::Challenge,
        server_id,
        &Challenge { request },
        600,
        chrono::Utc::now(),
    );
    assert_eq!(app.get(&path(&forged.unwrap())).await.status, 404, "another key: unknown");
}

/// RFC 8707 §2.1–2.2: resources named at sign-in bound what the code and its refresh tokens
/// can be for; each token request picks among them, and gets their audience and scopes.
async fn resources_named_at_sign_in_bound_the_tokens_of_the_code_and_its_refreshes(app: TestApp) {
    const PROFILES: &str = "https://profiles.example.com";
    const AUDIT: &str = "https://audit.example.com";
    let setup = app.interactive(false, json!({"grant_types": ["authorization_code", "refresh_token"]})).await;
    let scopes = app.get(&format!("/v1/auth-servers/{}/scopes", setup.server_id)).await;
    let profile = scopes.body["data"][0]["id"].clone();
    let resources = format!("/v1/auth-servers/{}/resources", setup.server_id);
    for (uri, scopes) in [(PROFILES, json!([profile])), (AUDIT, json!([])), ("https://other.example.com", json!([]))] {
        let created = app.post(&resources, json!({"uri": uri, "scopes": scopes})).await;
        assert_eq!(created.status, 201, "{}", created.text);
    }
    let mut query = code_request("r1");
    query.extend([("resource", PROFILES), ("resource", AUDIT)]);
    let callback = app.sign_in(&setup, &query, "user-7").await;
    let token = |form: Vec<(&'static str, String)>| {
        let request = app
            .http
            .post(format!("{}/oauth/token", setup.issuer))
            .basic_auth(&setup.client_id, setup.secret.as_deref())
            .form(&form);
        app.send(request)
    };
    let redeem = |resource: &'static str| {
        token(vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", callback["code"].clone()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("code_verifier", VERIFIER.to_owned()),
            ("resource", resource.to_owned()),
        ])
    };
    let outside = redeem("https://other.example.com").await;
    assert_eq!(outside.body["error"], "invalid_target", "{}", outside.text);
    let first = redeem(PROFILES).await;
    assert_eq!(first.status, 200, "a refused resource does not use the code up: {}", first.text);
    let (_, access) = jwt_parts(str_of(&first.body, "access_token"));
    assert_eq!((access["aud"].clone(), access["sub"].clone()), (json!([PROFILES]), json!("user-7")));
    assert_eq!(first.body["scope"], "openid profile");

    let refresh = |value: String, resource: &'static str| {
        token(vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", value),
            ("resource", resource.to_owned()),
        ])
    };
    let audit = refresh(str_of(&first.body, "refresh_token").to_owned(), AUDIT).await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let (_, access) = jwt_parts(str_of(&audit.body, "access_token"));
    assert_eq!(
        (access["aud"].clone(), access["scope"].clone()),
        (json!([AUDIT]), json!("openid")),
        "profile is not the audit API's"
    );
    let refused = refresh(str_of(&audit.body, "refresh_token").to_owned(), "https://other.example.com").await;
    assert_eq!(refused.body["error"], "invalid_target", "{}", refused.text);

    // An undeclared resource at the authorization endpoint goes back to the client.
    let mut unknown = code_request("r2");
    unknown.push(("resource", "https://unknown.example.com"));
    let response = app.browse(&authorize_url(&setup, &unknown)).await;
    assert_eq!(response.status, 303, "{}", response.text);
    let back = params_of(response.header("location").unwrap());
    assert_eq!((back["error"].as_str(), back["state"].as_str()), ("invalid_target", "r2"));
}

/// RFC 8693 with an ID token as the subject: the app that received it (its audience, OpenID
/// Connect Core §2) may exchange it for an access token for the user; another app may not.
async fn an_app_exchanges_its_users_id_token_and_no_other_app_can(app: TestApp) {
    let setup = app.interactive(false, json!({})).await;
    let callback = app.sign_in(&setup, &code_request("x1"), "user-5").await;
    let tokens = app
        .send(
            app.http
                .post(format!("{}/oauth/token", setup.issuer))
                .basic_auth(&setup.client_id, setup.secret.as_deref())
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", &callback["code"]),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", VERIFIER),
                ]),
        )
        .await;
    let id_token = str_of(&tokens.body, "id_token").to_owned();
    let policy =
        |client_id: &str| format!("/v1/auth-servers/{}/clients/{client_id}/token-exchange-policy", setup.server_id);
    assert_eq!(app.put(&policy(&setup.client_id), json!({})).await.status, 200);
    let exchange = |client_id: String, secret: String| {
        let request =
            app.http.post(format!("{}/oauth/token", setup.issuer)).basic_auth(client_id, Some(secret)).form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
                ("subject_token", id_token.as_str()),
                ("subject_token_type", "urn:ietf:params:oauth:token-type:id_token"),
            ]);
        app.send(request)
    };
    let exchanged = exchange(setup.client_id.clone(), setup.secret.clone().unwrap()).await;
    assert_eq!(exchanged.status, 200, "{}", exchanged.text);
    let (_, access) = jwt_parts(str_of(&exchanged.body, "access_token"));
    assert_eq!((access["sub"].clone(), access["client_id"].clone()), (json!("user-5"), json!(setup.client_id)));

    let other = app.create_client(&setup.server_id, "other-app", &[]).await;
    assert_eq!(app.put(&policy(str_of(&other, "id")), json!({})).await.status, 200);
    let refused = exchange(str_of(&other, "id").to_owned(), str_of(&other, "client_secret").to_owned()).await;
    assert_eq!(refused.body["error"], "invalid_request", "{}", refused.text);
    assert!(
        str_of(&refused.body, "error_description").contains("ID token issued to another client"),
        "{}",
        refused.text
    );
}

backend_tests!(
    resources_named_at_sign_in_bound_the_tokens_of_the_code_and_its_refreshes,
    an_app_exchanges_its_users_id_token_and_no_other_app_can
);
