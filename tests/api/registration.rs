//! Dynamic Client Registration: the policy and initial access tokens under /v1, RFC 7591
//! registration at `$ISSUER/oauth/register`, the RFC 7592 configuration endpoint, and the
//! whole flow of Kong's Dev Portal dynamic client registration guide, driven by the
//! `openidconnect` and `oauth2` crates.

use oauth2::TokenResponse;
use openidconnect::core::{
    CoreClientAuthMethod, CoreClientRegistrationRequest, CoreGrantType, CoreProviderMetadata,
    CoreRegisterErrorResponseType,
};
use openidconnect::registration::{ClientRegistrationError, EmptyAdditionalClientMetadata};
use openidconnect::{AccessToken, IssuerUrl};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, backend_tests, str_of};
use crate::jose::verify_via_discovery;

/// An auth server as Kong's Dev Portal registration guide creates it, with registration
/// enabled by `policy` and one initial access token.
struct Portal {
    server_id: String,
    issuer: String,
    endpoint: String,
    initial_token: String,
}

impl TestApp {
    /// The guide's auth server.
    async fn portal(&self, policy: Value) -> Portal {
        self.portal_named("Appointments Dev", policy).await
    }

    async fn portal_named(&self, name: &str, policy: Value) -> Portal {
        let server = self
            .post(
                "/v1/auth-servers",
                json!({"name": name, "audience": "http://myhttpbin.dev", "description": "Auth server for the Appointment dev environment"}),
            )
            .await;
        assert_eq!(server.status, 201, "{}", server.text);
        let server_id = str_of(&server.body, "id").to_owned();
        let mut patch = json!({"enabled": true});
        if let (Some(patch), Some(extra)) = (patch.as_object_mut(), policy.as_object()) {
            patch.extend(extra.clone());
        }
        let configured = self.patch(&format!("/v1/auth-servers/{server_id}/client-registration"), patch).await;
        assert_eq!(configured.status, 200, "{}", configured.text);
        let token = self
            .post(
                &format!("/v1/auth-servers/{server_id}/client-registration/initial-access-tokens"),
                json!({"description": "dev portal"}),
            )
            .await;
        assert_eq!(token.status, 201, "{}", token.text);
        Portal {
            issuer: str_of(&server.body, "issuer").to_owned(),
            endpoint: str_of(&configured.body, "registration_endpoint").to_owned(),
            initial_token: str_of(&token.body, "token").to_owned(),
            server_id,
        }
    }

    async fn register(&self, portal: &Portal, token: Option<&str>, body: Value) -> TestResponse {
        let mut request = self.http.post(&portal.endpoint).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    /// Registers with the portal's initial access token and expects success.
    async fn registered(&self, portal: &Portal, body: Value) -> Value {
        let response = self.register(portal, Some(&portal.initial_token), body).await;
        assert_eq!(response.status, 201, "{}", response.text);
        response.body
    }

    async fn configuration(&self, method: reqwest::Method, info: &Value, body: Option<Value>) -> TestResponse {
        let mut request = self
            .http
            .request(method, str_of(info, "registration_client_uri"))
            .bearer_auth(str_of(info, "registration_access_token"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    async fn client_token(&self, portal: &Portal, id: &str, secret: &str, scope: &str) -> TestResponse {
        let form =
            [("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("scope", scope)];
        self.post_form(&format!("{}/oauth/token", portal.issuer), &form).await
    }

    /// A token with HTTP Basic, as a client registered without `token_endpoint_auth_method`
    /// authenticates (RFC 7591 §2: `client_secret_basic` by default).
    async fn client_token_basic(&self, portal: &Portal, id: &str, secret: &str, scope: &str) -> TestResponse {
        let request = self
            .http
            .post(format!("{}/oauth/token", portal.issuer))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials"), ("scope", scope)]);
        self.send(request).await
    }
}

fn scope_names(scope: &Value) -> Vec<&str> {
    scope.as_str().unwrap_or_default().split(' ').filter(|s| !s.is_empty()).collect()
}

async fn a_dev_portal_registers_an_app_whose_token_verifies_through_the_jwks(app: TestApp) {
    let portal = app.portal(json!({})).await;
    // The portal finds the registration endpoint by discovery and registers with a standard client.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(portal.issuer.clone()).unwrap(), &http)
        .await
        .expect("discovery");
    let endpoint = metadata.registration_endpoint().expect("registration_endpoint advertised").clone();
    assert_eq!(endpoint.as_str(), portal.endpoint);
    let registered = CoreClientRegistrationRequest::new(Vec::new(), EmptyAdditionalClientMetadata {})
        .set_client_name(Some(openidconnect::LocalizedClaim::from(openidconnect::ClientName::new("test-dcr".into()))))
        .set_grant_types(Some(vec![CoreGrantType::ClientCredentials]))
        .set_token_endpoint_auth_method(Some(CoreClientAuthMethod::ClientSecretPost))
        .set_initial_access_token(Some(AccessToken::new(portal.initial_token.clone())))
        .register_async(&endpoint, &http)
        .await
        .expect("registration");
    // OpenID Connect Dynamic Client Registration §2: the algorithm ID tokens will carry.
    assert_eq!(serde_json::to_value(registered.id_token_signed_response_alg()).unwrap(), json!("RS256"));
    let client_id = registered.client_id().to_string();
    let secret = registered.client_secret().expect("a confidential client gets a secret").secret().clone();
    assert!(registered.registration_access_token().is_some());
    assert!(registered.registration_client_uri().is_some());

    // The application gets a token exactly as the guide's curl does, scope=openid included.
    let response = app.client_token(&portal, &client_id, &secret, "openid").await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.body["scope"], "openid");
    let token = str_of(&response.body, "access_token");
    let verified = verify_via_discovery(&app, &portal.issuer, token, "http://myhttpbin.dev").await;
    assert_eq!(verified.subject, client_id, "the portal's credential claim is sub");
    assert_eq!(verified.custom["client_id"], client_id.as_str());
    assert_eq!(verified.custom["scope"], "openid");

    // And with an unrelated OAuth 2.0 client library, credentials in the body as the guide sends them.
    let oauth = oauth2::basic::BasicClient::new(oauth2::ClientId::new(client_id.clone()))
        .set_client_secret(oauth2::ClientSecret::new(secret.clone()))
        .set_auth_type(oauth2::AuthType::RequestBody)
        .set_token_uri(oauth2::TokenUrl::new(format!("{}/oauth/token", portal.issuer)).unwrap());
    let tokens = oauth
        .exchange_client_credentials()
        .add_scope(oauth2::Scope::new("openid".into()))
        .request_async(&http)
        .await
        .expect("client_credentials with the oauth2 crate");
    verify_via_discovery(&app, &portal.issuer, tokens.access_token().secret(), "http://myhttpbin.dev").await;

    // The registered app is an ordinary client in the management API, marked as registered.
    let listed =
        app.get(&format!("/v1/auth-servers/{}/clients?filter[labels]=registration:dynamic", portal.server_id)).await;
    assert_eq!(listed.body["meta"]["page"]["total"], 1, "{}", listed.text);
    let client = &listed.body["data"][0];
    assert_eq!((client["id"].as_str(), client["name"].as_str()), (Some(client_id.as_str()), Some("test-dcr")));
    assert_eq!(client["token_endpoint_auth_method"], "client_secret_post");
    assert!(client.get("client_secret").is_none(), "the secret is shown once");
}

async fn registration_is_refused_and_not_advertised_until_the_operator_enables_it(app: TestApp) {
    let server = app.create_auth_server("off").await;
    let server_id = str_of(&server, "id");
    let issuer = str_of(&server, "issuer");
    let policy = app.get(&format!("/v1/auth-servers/{server_id}/client-registration")).await;
    assert_eq!(policy.status, 200, "{}", policy.text);
    assert_eq!(policy.body["enabled"], false);
    assert_eq!(policy.body["created_at"], Value::Null, "never configured");
    assert_eq!(policy.body["registration_endpoint"], format!("{issuer}/oauth/register"));
    let discovery = app.send(app.http.get(format!("{issuer}/.well-known/openid-configuration"))).await;
    assert!(discovery.body.get("registration_endpoint").is_none());

    let refused = app.send(app.http.post(format!("{issuer}/oauth/register")).json(&json!({}))).await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (403, Some("access_denied")), "{}", refused.text);

    app.patch(&format!("/v1/auth-servers/{server_id}/client-registration"), json!({"enabled": true})).await;
    let discovery = app.send(app.http.get(format!("{issuer}/.well-known/openid-configuration"))).await;
    assert_eq!(discovery.body["registration_endpoint"], format!("{issuer}/oauth/register"));
    let unauthorised = app.send(app.http.post(format!("{issuer}/oauth/register")).json(&json!({}))).await;
    assert_eq!(unauthorised.status, 401, "a token is still required: {}", unauthorised.text);
}

async fn registration_needs_a_live_initial_access_token(app: TestApp) {
    let portal = app.portal(json!({})).await;
    let missing = app.register(&portal, None, json!({})).await;
    assert_eq!(missing.status, 401);
    assert!(missing.header("www-authenticate").unwrap().starts_with("Bearer"), "RFC 6750 §3 challenge");
    let wrong = app.register(&portal, Some("tsi_not-a-token"), json!({})).await;
    assert_eq!((wrong.status, wrong.body["error"].as_str()), (401, Some("invalid_token")));
    assert!(wrong.header("www-authenticate").unwrap().contains("error=\"invalid_token\""));
    let malformed =
        app.send(app.http.post(&portal.endpoint).header("authorization", "Basic abc").json(&json!({}))).await;
    assert_eq!(malformed.status, 400, "{}", malformed.text);

    // Another auth server's token opens nothing here.
    let other = app.portal_named("Appointments Prod", json!({})).await;
    assert_eq!(app.register(&portal, Some(&other.initial_token), json!({})).await.status, 401);

    // A single-use token: a refused registration costs no use; the first success uses it up.
    let tokens = format!("/v1/auth-servers/{}/client-registration/initial-access-tokens", portal.server_id);
    let single = app.post(&tokens, json!({"max_uses": 1, "expires_in": 3600})).await.body;
    let value = str_of(&single, "token");
    let refused = app.register(&portal, Some(value), json!({"grant_types": ["password"]})).await;
    assert_eq!(refused.status, 400);
    assert_eq!(app.register(&portal, Some(value), json!({})).await.status, 201);
    let spent = app.register(&portal, Some(value), json!({})).await;
    assert_eq!((spent.status, spent.body["error"].as_str()), (401, Some("invalid_token")));
    let listed = app.get(&format!("{tokens}/{}", str_of(&single, "id"))).await.body;
    assert_eq!((listed["uses"].as_i64(), listed["max_uses"].as_i64()), (Some(1), Some(1)));
    assert!(listed["last_used_at"].is_string());

    // A revoked token stops at once.
    app.delete(&format!("{tokens}/{}", list_first_id(&app, &tokens).await)).await;
    assert_eq!(app.register(&portal, Some(&portal.initial_token), json!({})).await.status, 401);
}

async fn open_registration_takes_requests_without_a_token_but_not_with_a_bad_one(app: TestApp) {
    let portal = app.portal(json!({"open_registration": true})).await;
    let open = app.register(&portal, None, json!({"client_name": "anyone"})).await;
    assert_eq!(open.status, 201, "{}", open.text);
    assert_eq!(app.register(&portal, Some("tsi_wrong"), json!({})).await.status, 401);
}

async fn a_browser_app_on_a_trusted_origin_may_register_itself(app: TestApp) {
    let portal = app.portal(json!({"open_registration": true})).await;
    app.patch(
        &format!("/v1/auth-servers/{}", portal.server_id),
        json!({"trusted_origins": ["https://app.example.com"]}),
    )
    .await;
    let preflight = |url: String, method: &'static str, origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, url)
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", "authorization, content-type")
    };
    let allowed = app.send(preflight(portal.endpoint.clone(), "POST", "https://app.example.com")).await;
    assert_eq!(allowed.status, 204);
    assert_eq!(allowed.header("access-control-allow-origin"), Some("https://app.example.com"));
    assert!(allowed.header("access-control-allow-methods").unwrap().contains("POST"));
    let registered = app
        .send(
            app.http
                .post(&portal.endpoint)
                .header("origin", "https://app.example.com")
                .json(&json!({"client_name": "spa"})),
        )
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    assert_eq!(registered.header("access-control-allow-origin"), Some("https://app.example.com"));
    let configuration = app
        .send(preflight(
            str_of(&registered.body, "registration_client_uri").to_owned(),
            "PUT",
            "https://app.example.com",
        ))
        .await;
    assert_eq!(configuration.header("access-control-allow-methods"), Some("GET, PUT, DELETE, OPTIONS"));
    let untrusted = app.send(preflight(portal.endpoint.clone(), "POST", "https://evil.example.com")).await;
    assert_eq!(untrusted.header("access-control-allow-origin"), None);
}

async fn every_metadata_rule_answers_400_with_its_rfc_7591_error(app: TestApp) {
    let portal =
        app.portal(json!({"allowed_grant_types": ["client_credentials", "authorization_code", "refresh_token"]})).await;
    let cases = [
        (json!({"grant_types": ["password"]}), "invalid_client_metadata"),
        (json!({"grant_types": ["implicit"]}), "invalid_client_metadata"),
        (json!({"grant_types": ["authorization_code"]}), "invalid_redirect_uri"),
        (
            json!({"grant_types": ["authorization_code"], "redirect_uris": ["http://app.example.com/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"grant_types": ["authorization_code"], "redirect_uris": ["https://app.example.com/cb#x"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"grant_types": ["authorization_code"], "redirect_uris": "https://app.example.com/cb"}),
            "invalid_redirect_uri",
        ),
        (json!({"grant_types": ["client_credentials"], "response_types": ["code"]}), "invalid_client_metadata"),
        (json!({"token_endpoint_auth_method": "private_key_jwt"}), "invalid_client_metadata"),
        (json!({"token_endpoint_auth_method": "none"}), "invalid_client_metadata"),
        (json!({"scope": "nosuchscope"}), "invalid_client_metadata"),
        (json!({"client_name": ""}), "invalid_client_metadata"),
        (json!({"client_uri": "javascript:alert(1)"}), "invalid_client_metadata"),
        (json!({"contacts": ["ok@example.com", 7]}), "invalid_client_metadata"),
        (json!({"jwks_uri": "https://app.example.com/jwks", "jwks": {"keys": []}}), "invalid_client_metadata"),
        (json!({"access_token_duration": 86400}), "invalid_client_metadata"),
        (json!({"software_statement": "eyJhbGciOiJSUzI1NiJ9.e30.sig"}), "unapproved_software_statement"),
    ];
    for (body, error) in cases {
        let response = app.register(&portal, Some(&portal.initial_token), body.clone()).await;
        assert_eq!((response.status, response.body["error"].as_str()), (400, Some(error)), "{body}: {}", response.text);
        assert!(!response.body["error_description"].as_str().unwrap_or_default().is_empty(), "{body}");
        assert_eq!(response.header("cache-control"), Some("no-store"));
    }
    let not_json = app
        .send(
            app.http
                .post(&portal.endpoint)
                .bearer_auth(&portal.initial_token)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("client_name=x"),
        )
        .await;
    assert_eq!((not_json.status, not_json.body["error"].as_str()), (400, Some("invalid_client_metadata")));
    let broken = app
        .send(
            app.http
                .post(&portal.endpoint)
                .bearer_auth(&portal.initial_token)
                .header("content-type", "application/json")
                .body("{\"client_name\":"),
        )
        .await;
    assert_eq!((broken.status, broken.body["error"].as_str()), (400, Some("invalid_client_metadata")));
    let array = app.register(&portal, Some(&portal.initial_token), json!(["client_credentials"])).await;
    assert_eq!(array.status, 400);
    let clients = app.get(&format!("/v1/auth-servers/{}/clients", portal.server_id)).await;
    assert_eq!(clients.body["meta"]["page"]["total"], 0, "nothing refused was created");

    // A standard client library reads the error as RFC 7591 defines it.
    let http = reqwest::Client::new();
    let endpoint = openidconnect::RegistrationUrl::new(portal.endpoint.clone()).unwrap();
    let refused = CoreClientRegistrationRequest::new(Vec::new(), EmptyAdditionalClientMetadata {})
        .set_grant_types(Some(vec![CoreGrantType::AuthorizationCode]))
        .set_initial_access_token(Some(AccessToken::new(portal.initial_token.clone())))
        .register_async(&endpoint, &http)
        .await;
    match refused {
        Err(ClientRegistrationError::ServerResponse(error)) => {
            assert_eq!(*error.error(), CoreRegisterErrorResponseType::InvalidRedirectUri);
        }
        other => panic!("expected invalid_redirect_uri, got {other:?}"),
    }

    // Unknown metadata is ignored (RFC 7591 §2), not refused.
    let ignored =
        app.registered(&portal, json!({"client_name": "x", "frobnicate": true, "application_type": "web"})).await;
    assert!(ignored.get("frobnicate").is_none());
}

async fn the_policy_bounds_what_a_registration_gets_and_supplies_the_defaults(app: TestApp) {
    let server = app.create_auth_server("policy").await;
    let server_id = str_of(&server, "id").to_owned();
    let read = str_of(&app.create_scope(&server_id, "read").await, "id").to_owned();
    let write = str_of(&app.create_scope(&server_id, "write").await, "id").to_owned();
    str_of(&app.create_scope(&server_id, "admin").await, "id");
    let policy = format!("/v1/auth-servers/{server_id}/client-registration");
    let configured = app
        .put(
            &policy,
            json!({
                "enabled": true,
                "allowed_grant_types": ["client_credentials", "authorization_code", "refresh_token"],
                "allowed_token_endpoint_auth_methods": ["client_secret_basic", "client_secret_post", "none"],
                "allowed_scopes": [read, write], "default_scopes": [read],
                "default_access_token_duration": 600, "max_access_token_duration": 1800,
                "login_uri": "https://login.example.com/sign-in", "labels": {"portal": "dev"}
            }),
        )
        .await;
    assert_eq!(configured.status, 200, "{}", configured.text);
    let token = app.post(&format!("{policy}/initial-access-tokens"), json!({})).await.body;
    let portal = Portal {
        issuer: str_of(&server, "issuer").to_owned(),
        endpoint: str_of(&configured.body, "registration_endpoint").to_owned(),
        initial_token: str_of(&token, "token").to_owned(),
        server_id: server_id.clone(),
    };

    // Defaults: grant types, scopes, duration, basic auth.
    let plain = app.registered(&portal, json!({"client_name": "plain"})).await;
    assert_eq!(plain["grant_types"], json!(["client_credentials"]));
    assert_eq!(plain["scope"], "read");
    assert_eq!(plain["access_token_duration"], 600);
    assert_eq!(plain["token_endpoint_auth_method"], "client_secret_basic");
    let basic = app
        .send(
            app.http
                .post(format!("{}/oauth/token", portal.issuer))
                .basic_auth(str_of(&plain, "client_id"), Some(str_of(&plain, "client_secret")))
                .form(&[("grant_type", "client_credentials"), ("scope", "read")]),
        )
        .await;
    assert_eq!((basic.status, basic.body["scope"].as_str()), (200, Some("read")), "{}", basic.text);
    assert_eq!(basic.body["expires_in"], 600);

    // What the policy allows, asked for explicitly; the operator's login page and labels come with it.
    let web = app
        .registered(
            &portal,
            json!({
                "client_name": "web", "grant_types": ["authorization_code", "refresh_token"],
                "redirect_uris": ["https://web.example.com/cb"], "token_endpoint_auth_method": "none",
                "scope": "openid read write", "access_token_duration": 1800, "login_uri": "https://evil.example.com"
            }),
        )
        .await;
    assert_eq!(web["response_types"], json!(["code"]));
    assert!(
        web.get("client_secret").is_none() && web.get("client_secret_expires_at").is_none(),
        "a public client has no secret"
    );
    assert_eq!(scope_names(&web["scope"]), vec!["openid", "read", "write"]);
    let stored = app.get(&format!("/v1/auth-servers/{server_id}/clients/{}", str_of(&web, "client_id"))).await.body;
    assert_eq!(stored["login_uri"], "https://login.example.com/sign-in", "never the registrant's");
    assert_eq!(stored["labels"], json!({"portal": "dev", "registration": "dynamic"}));
    assert_eq!(stored["allow_scopes"], json!([read, write]));

    // Beyond the policy: refused.
    for (body, fragment) in [
        (json!({"scope": "admin"}), "not allowed"),
        (json!({"access_token_duration": 3600}), "at most 1800"),
        (json!({"grant_types": ["implicit"], "redirect_uris": ["https://web.example.com/cb"]}), "not allowed"),
    ] {
        let refused = app.register(&portal, Some(&portal.initial_token), body.clone()).await;
        assert_eq!(refused.status, 400, "{body}");
        assert!(refused.body["error_description"].as_str().unwrap().contains(fragment), "{body}: {}", refused.text);
    }
}

async fn a_registered_client_reads_updates_and_deletes_itself(app: TestApp) {
    let portal = app.portal(json!({})).await;
    let read = str_of(&app.create_scope(&portal.server_id, "read").await, "id").to_owned();
    let policy = format!("/v1/auth-servers/{}/client-registration", portal.server_id);
    assert_eq!(app.patch(&policy, json!({"allowed_scopes": [read]})).await.status, 200);
    let server_id = portal.server_id.clone();
    let info = app.registered(&portal, json!({"client_name": "app", "scope": "read", "contacts": ["ops@example.com"], "client_uri": "https://app.example.com"})).await;
    let id = str_of(&info, "client_id").to_owned();
    let secret = str_of(&info, "client_secret").to_owned();
    assert_eq!(str_of(&info, "registration_client_uri"), format!("{}/oauth/register/{id}", portal.issuer));
    assert!(str_of(&info, "registration_access_token").starts_with("tsr_"));
    let in_the_form = app.client_token(&portal, &id, &secret, "read").await;
    assert_eq!(
        (in_the_form.status, in_the_form.body["error_description"].as_str()),
        (401, Some("This client authenticates with client_secret_basic, not client_secret_post")),
        "the method it registered (by default) is enforced"
    );
    let first = app.client_token_basic(&portal, &id, &secret, "read").await;
    assert_eq!(first.status, 200);
    let first_token = str_of(&first.body, "access_token").to_owned();

    // RFC 7592 §2.1: read, with the registration access token only.
    let current = app.configuration(reqwest::Method::GET, &info, None).await;
    assert_eq!(current.status, 200, "{}", current.text);
    assert!(current.body.get("client_secret").is_none(), "stored as a hash: never shown again");
    for field in [
        "client_id",
        "client_name",
        "scope",
        "contacts",
        "client_uri",
        "grant_types",
        "registration_client_uri",
        "registration_access_token",
    ] {
        assert_eq!(current.body[field], info[field], "{field}");
    }
    let forged = app.send(app.http.get(str_of(&info, "registration_client_uri")).bearer_auth("tsr_forged")).await;
    assert_eq!(forged.status, 401);
    let other = app.registered(&portal, json!({"client_name": "other"})).await;
    let crossed = app
        .send(
            app.http
                .get(str_of(&other, "registration_client_uri"))
                .bearer_auth(str_of(&info, "registration_access_token")),
        )
        .await;
    assert_eq!(crossed.status, 401, "one client's token opens only its own registration");
    let anonymous = app.send(app.http.get(str_of(&info, "registration_client_uri"))).await;
    assert_eq!(anonymous.status, 401);

    // RFC 7592 §2.2: update, keeping the secret by presenting it.
    let mut update = current.body.clone();
    update["client_name"] = json!("app v2");
    update["client_secret"] = json!(secret);
    update["contacts"] = json!(["ops@example.com", "dev@example.com"]);
    let kept = app.configuration(reqwest::Method::PUT, &info, Some(update.clone())).await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert!(kept.body.get("client_secret").is_none());
    assert_eq!(kept.body["client_name"], "app v2");
    assert_eq!(kept.body["contacts"], json!(["ops@example.com", "dev@example.com"]));
    assert_eq!(app.client_token_basic(&portal, &id, &secret, "read").await.status, 200, "the secret still works");
    let admin_view = app.get(&format!("/v1/auth-servers/{server_id}/clients/{id}")).await.body;
    assert_eq!(admin_view["name"], "app v2");

    // A wrong secret or client_id is refused without changing anything.
    let mut wrong = update.clone();
    wrong["client_secret"] = json!("not-the-secret");
    let refused = app.configuration(reqwest::Method::PUT, &info, Some(wrong)).await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (400, Some("invalid_client_metadata")));
    let mut moved = update.clone();
    moved["client_id"] = json!("someone-else");
    assert_eq!(app.configuration(reqwest::Method::PUT, &info, Some(moved)).await.status, 400);

    // A read-modify-write without the secret keeps it: running instances are not cut off.
    let mut plain = update.clone();
    plain.as_object_mut().unwrap().remove("client_secret");
    let unchanged = app.configuration(reqwest::Method::PUT, &info, Some(plain.clone())).await;
    assert_eq!(unchanged.status, 200, "{}", unchanged.text);
    assert!(unchanged.body.get("client_secret").is_none());
    assert_eq!(app.client_token_basic(&portal, &id, &secret, "read").await.status, 200);

    // Asking for rotation: the response carries the new secret and the old one stops.
    let mut rotate = plain.clone();
    rotate["rotate_client_secret"] = json!(true);
    rotate.as_object_mut().unwrap().remove("scope");
    let rotated = app.configuration(reqwest::Method::PUT, &info, Some(rotate)).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let new_secret = str_of(&rotated.body, "client_secret").to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(rotated.body["scope"], "", "an omitted scope returns to the policy's defaults (none)");
    assert_eq!(app.client_token_basic(&portal, &id, &secret, "").await.status, 401, "the old secret is gone");
    let renewed = app.client_token_basic(&portal, &id, &new_secret, "").await;
    assert_eq!(renewed.status, 200, "{}", renewed.text);
    let mut bad_flag = plain.clone();
    bad_flag["rotate_client_secret"] = json!("yes");
    assert_eq!(app.configuration(reqwest::Method::PUT, &info, Some(bad_flag)).await.status, 400);

    // RFC 7592 §2.3: delete; the registration, the credentials and the issued tokens all end.
    let deleted = app.configuration(reqwest::Method::DELETE, &info, None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(app.configuration(reqwest::Method::GET, &info, None).await.status, 401);
    assert_eq!(app.client_token_basic(&portal, &id, &new_secret, "").await.status, 401);
    assert_eq!(app.get(&format!("/v1/auth-servers/{server_id}/clients/{id}")).await.status, 404);
    let gateway = app
        .send(
            app.http
                .post(format!("{}/introspect", portal.issuer))
                .basic_auth(str_of(&other, "client_id"), Some(str_of(&other, "client_secret")))
                .form(&[("token", &first_token)]),
        )
        .await;
    assert_eq!(gateway.body["active"], false, "tokens of a deleted client are revoked");
}

async fn registrations_stop_at_the_policys_limit(app: TestApp) {
    let portal = app.portal(json!({"max_registered_clients": 2})).await;
    let first = app.registered(&portal, json!({})).await;
    app.registered(&portal, json!({})).await;
    let full = app.register(&portal, Some(&portal.initial_token), json!({})).await;
    assert_eq!((full.status, full.body["error"].as_str()), (403, Some("access_denied")), "{}", full.text);
    assert!(full.body["error_description"].as_str().unwrap().contains("limit of 2"));
    assert_eq!(app.configuration(reqwest::Method::DELETE, &first, None).await.status, 204);
    assert_eq!(
        app.register(&portal, Some(&portal.initial_token), json!({})).await.status,
        201,
        "a freed place is taken again"
    );
}

async fn registered_clients_are_managed_through_the_management_api_like_any_other(app: TestApp) {
    let portal = app.portal(json!({})).await;
    let info = app.registered(&portal, json!({"client_name": "managed"})).await;
    let id = str_of(&info, "client_id");
    let scope = str_of(&app.create_scope(&portal.server_id, "extra").await, "id").to_owned();
    let client = format!("/v1/auth-servers/{}/clients/{id}", portal.server_id);
    let patched = app.patch(&client, json!({"allow_scopes": [scope], "access_token_duration": 7200})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let current = app.configuration(reqwest::Method::GET, &info, None).await.body;
    assert_eq!(current["scope"], "extra", "the registration shows what the admin granted");
    assert_eq!(current["access_token_duration"], 7200);

    // The client may keep what the admin granted beyond the policy when it updates itself.
    let mut update = current.clone();
    update["client_name"] = json!("managed");
    let kept = app.configuration(reqwest::Method::PUT, &info, Some(update)).await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!(kept.body["scope"], "extra");

    // A leaked registration access token is replaced by the admin; the old one stops at once.
    let replaced = app.post(&format!("{client}/registration-access-token"), json!({})).await;
    assert_eq!(replaced.status, 201, "{}", replaced.text);
    assert_eq!(replaced.body["registration_client_uri"], info["registration_client_uri"]);
    assert_eq!(app.configuration(reqwest::Method::GET, &info, None).await.status, 401, "the old token");
    let mut renewed = info.clone();
    renewed["registration_access_token"] = replaced.body["registration_access_token"].clone();
    assert_eq!(app.configuration(reqwest::Method::GET, &renewed, None).await.status, 200, "the new token");
    let manual = app.create_client(&portal.server_id, "manual", &[]).await;
    let not_registered = app
        .post(
            &format!(
                "/v1/auth-servers/{}/clients/{}/registration-access-token",
                portal.server_id,
                str_of(&manual, "id")
            ),
            json!({}),
        )
        .await;
    assert_eq!(not_registered.status, 404, "{}", not_registered.text);
    let info = renewed;

    // Deleting it in the management API ends the registration too.
    assert_eq!(app.delete(&client).await.status, 204);
    assert_eq!(app.configuration(reqwest::Method::GET, &info, None).await.status, 401);
}

async fn two_registrations_with_one_name_both_succeed(app: TestApp) {
    let portal = app.portal(json!({})).await;
    let first = app.registered(&portal, json!({"client_name": "test-dcr"})).await;
    let second = app.registered(&portal, json!({"client_name": "test-dcr"})).await;
    assert_eq!((first["client_name"].as_str(), second["client_name"].as_str()), (Some("test-dcr"), Some("test-dcr")));
    let second_id = str_of(&second, "client_id");
    let stored = app.get(&format!("/v1/auth-servers/{}/clients/{second_id}", portal.server_id)).await.body;
    assert_eq!(stored["name"], format!("test-dcr ({second_id})"), "client names stay unique per auth server");
    let unnamed = app.registered(&portal, json!({})).await;
    let unnamed_id = str_of(&unnamed, "client_id");
    let stored = app.get(&format!("/v1/auth-servers/{}/clients/{unnamed_id}", portal.server_id)).await.body;
    assert_eq!(stored["name"], unnamed_id);
    assert!(unnamed.get("client_name").is_none());
}

async fn the_registration_policy_is_validated_and_follows_its_scopes(app: TestApp) {
    let server = app.create_auth_server("policies").await;
    let server_id = str_of(&server, "id").to_owned();
    let policy = format!("/v1/auth-servers/{server_id}/client-registration");
    let scope = str_of(&app.create_scope(&server_id, "read").await, "id").to_owned();
    let cases = [
        (json!({"default_grant_types": ["implicit"]}), "default_grant_types[0]", "invalid"),
        (json!({"allowed_grant_types": ["password"]}), "allowed_grant_types[0]", "enum"),
        (json!({"allowed_grant_types": []}), "allowed_grant_types", "min_items"),
        (json!({"default_scopes": [scope]}), "default_scopes[0]", "invalid"),
        (json!({"allowed_scopes": [uuid::Uuid::new_v4()]}), "allowed_scopes", "missing_reference"),
        (json!({"max_access_token_duration": 10}), "max_access_token_duration", "min"),
        (json!({"default_access_token_duration": 7200}), "default_access_token_duration", "invalid"),
        (json!({"login_uri": "http://login.example.com"}), "login_uri", "invalid"),
        (json!({"labels": {"registration": "manual"}}), "labels.registration", "is_label"),
        (json!({"enabled": "yes"}), "enabled", "is_boolean"),
        (json!({"surprise": true}), "surprise", "unknown_property"),
        (json!({"max_registered_clients": 0}), "max_registered_clients", "min"),
        (
            json!({"labels": (0..50).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()}),
            "labels",
            "is_label",
        ),
    ];
    for (body, field, rule) in cases {
        let response = app.patch(&policy, body.clone()).await;
        assert_eq!(response.status, 400, "{body}: {}", response.text);
        assert_eq!(response.rule_for(field).as_deref(), Some(rule), "{body}: {}", response.text);
    }
    assert_eq!(app.get(&policy).await.body["created_at"], Value::Null, "nothing was stored");

    let patched =
        app.patch(&policy, json!({"enabled": true, "allowed_scopes": [scope], "default_scopes": [scope]})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert!(patched.body["created_at"].is_string());
    let labelled = app.patch(&policy, json!({"labels": {"portal": "dev", "team": "api"}})).await.body;
    assert_eq!(labelled["labels"], json!({"portal": "dev", "team": "api"}));
    let merged = app.patch(&policy, json!({"labels": {"team": null, "tier": "gold"}})).await.body;
    assert_eq!(merged["labels"], json!({"portal": "dev", "tier": "gold"}), "PATCH merges labels (RFC 7396)");
    let more = app.patch(&policy, json!({"open_registration": true})).await.body;
    assert_eq!(
        (more["enabled"].as_bool(), more["open_registration"].as_bool()),
        (Some(true), Some(true)),
        "PATCH merges"
    );
    assert_eq!(more["default_scopes"], json!([scope]));
    let replaced = app.put(&policy, json!({"enabled": true})).await.body;
    assert_eq!(replaced["open_registration"], false, "PUT resets what it leaves out");
    assert_eq!(replaced["allowed_scopes"], json!([]));
    assert_eq!(replaced["labels"], json!({}));

    app.patch(&policy, json!({"allowed_scopes": [scope], "default_scopes": [scope]})).await;
    assert_eq!(app.delete(&format!("/v1/auth-servers/{server_id}/scopes/{scope}")).await.status, 204);
    let after = app.get(&policy).await.body;
    assert_eq!(
        (after["allowed_scopes"].clone(), after["default_scopes"].clone()),
        (json!([]), json!([])),
        "a deleted scope leaves the policy"
    );

    let unknown = app.get(&format!("/v1/auth-servers/{}/client-registration", uuid::Uuid::new_v4())).await;
    assert_eq!(unknown.status, 404);
    let unknown = app
        .patch(&format!("/v1/auth-servers/{}/client-registration", uuid::Uuid::new_v4()), json!({"enabled": true}))
        .await;
    assert_eq!(unknown.status, 404);
}

async fn initial_access_tokens_are_shown_once_listed_and_revoked(app: TestApp) {
    let server = app.create_auth_server("tokens").await;
    let tokens = format!("/v1/auth-servers/{}/client-registration/initial-access-tokens", str_of(&server, "id"));
    let created = app.post(&tokens, json!({"description": "portal", "expires_in": 3600, "max_uses": 10})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let value = str_of(&created.body, "token");
    assert!(value.starts_with("tsi_") && value.len() == 44);
    assert_eq!((created.body["uses"].as_i64(), created.body["max_uses"].as_i64()), (Some(0), Some(10)));
    let created_at = chrono::DateTime::parse_from_rfc3339(str_of(&created.body, "created_at")).unwrap();
    let expires_at = chrono::DateTime::parse_from_rfc3339(str_of(&created.body, "expires_at")).unwrap();
    assert_eq!((expires_at - created_at).num_seconds(), 3600);
    let id = str_of(&created.body, "id").to_owned();
    app.post(&tokens, json!({})).await;

    let listed = app.get(&format!("{tokens}?sort=created_at")).await;
    assert_eq!(listed.body["meta"]["page"]["total"], 2);
    assert!(!listed.text.contains(value), "the value is never listed");
    assert_eq!(listed.body["data"][0]["id"], id.as_str());
    let one = app.get(&format!("{tokens}/{id}")).await;
    assert_eq!((one.status, one.body["description"].as_str()), (200, Some("portal")));
    assert!(one.body.get("token").is_none());

    for (body, field, rule) in [
        (json!({"expires_in": 10}), "expires_in", "min"),
        (json!({"max_uses": 0}), "max_uses", "min"),
        (json!({"description": "x".repeat(1025)}), "description", "max_length"),
        (json!({"token": "chosen"}), "token", "unknown_property"),
    ] {
        let response = app.post(&tokens, body.clone()).await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.rule_for(field).as_deref(), Some(rule), "{body}: {}", response.text);
    }

    assert_eq!(app.delete(&format!("{tokens}/{id}")).await.status, 204);
    assert_eq!(app.get(&format!("{tokens}/{id}")).await.status, 404);
    assert_eq!(app.delete(&format!("{tokens}/{id}")).await.status, 404);
    assert_eq!(app.get(&format!("{tokens}/not-a-uuid")).await.status, 400);
    let elsewhere = format!("/v1/auth-servers/{}/client-registration/initial-access-tokens", uuid::Uuid::new_v4());
    assert_eq!(app.post(&elsewhere, json!({})).await.status, 404);
}

async fn a_policy_change_on_one_node_reaches_the_others_discovery(app: TestApp) {
    let server = app.create_auth_server("nodes").await;
    let other = app.spawn_second_node().await;
    let issuer = str_of(&server, "issuer").replace(&app.address, &other.address);
    let discovery = format!("{issuer}/.well-known/openid-configuration");
    assert!(other.send(other.http.get(&discovery)).await.body.get("registration_endpoint").is_none(), "cached off");
    app.patch(&format!("/v1/auth-servers/{}/client-registration", str_of(&server, "id")), json!({"enabled": true}))
        .await;
    let mut advertised = false;
    for _ in 0..30 {
        if other.send(other.http.get(&discovery)).await.body.get("registration_endpoint").is_some() {
            advertised = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(advertised, "the other node learns of the policy through the change feed");
}

async fn client_credentials_grants_the_built_in_openid_scope_to_any_client(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let token = app.token(&seed, Some("openid")).await;
    assert_eq!(token.status, 200, "{}", token.text);
    assert_eq!(token.body["scope"], "openid", "openid alone earns the defaults (none here)");
    let both = app.token(&seed, Some("openid scope1")).await;
    assert_eq!(scope_names(&both.body["scope"]), vec!["openid", "scope1"]);
    let (_, claims) = crate::helpers::jwt_parts(str_of(&both.body, "access_token"));
    assert_eq!(claims["claim1"], "claim1");
    assert!(claims.get("id_token").is_none());
    assert!(both.body.get("id_token").is_none(), "no end user, no ID token");
    let userinfo = app
        .send(app.http.get(format!("{}/userinfo", seed.issuer)).bearer_auth(str_of(&both.body, "access_token")))
        .await;
    assert_eq!(
        (userinfo.status, userinfo.body["error"].as_str()),
        (403, Some("insufficient_scope")),
        "{}",
        userinfo.text
    );
    assert!(userinfo.body["error_description"].as_str().unwrap().contains("client_credentials"));
}

backend_tests!(
    a_dev_portal_registers_an_app_whose_token_verifies_through_the_jwks,
    registration_is_refused_and_not_advertised_until_the_operator_enables_it,
    registration_needs_a_live_initial_access_token,
    open_registration_takes_requests_without_a_token_but_not_with_a_bad_one,
    a_browser_app_on_a_trusted_origin_may_register_itself,
    every_metadata_rule_answers_400_with_its_rfc_7591_error,
    the_policy_bounds_what_a_registration_gets_and_supplies_the_defaults,
    a_registered_client_reads_updates_and_deletes_itself,
    registrations_stop_at_the_policys_limit,
    registered_clients_are_managed_through_the_management_api_like_any_other,
    two_registrations_with_one_name_both_succeed,
    the_registration_policy_is_validated_and_follows_its_scopes,
    initial_access_tokens_are_shown_once_listed_and_revoked,
    a_policy_change_on_one_node_reaches_the_others_discovery,
    client_credentials_grants_the_built_in_openid_scope_to_any_client
);

async fn list_first_id(app: &TestApp, tokens: &str) -> String {
    let listed = app.get(&format!("{tokens}?sort=created_at")).await;
    str_of(&listed.body["data"][0], "id").to_owned()
}
