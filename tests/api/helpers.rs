//! `TestApp`: the real application on port 0 with its own database, and request helpers
//! that check every response against `openapi.yaml`.

use reqwest::Method;
use serde_json::{Value, json};
use tessera::config::Settings;
use tessera::startup::Application;
use tokio::sync::oneshot;

use crate::spec;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares each named test twice, `<name>::sqlite` and `<name>::postgres`. Each name is an
/// `async fn name(app: TestApp)` of the calling module, written as an ordinary function (so
/// rustfmt formats it) and listed here after it:
///
/// ```ignore
/// async fn health_endpoints_need_no_token(app: TestApp) { ... }
///
/// backend_tests!(health_endpoints_need_no_token);
/// ```
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await).await
                }

                #[tokio::test]
                #[cfg_attr(not(tessera_pg_tests), ignore = "Postgres skipped: set TESSERA_TEST_POSTGRES_URL to run it")]
                async fn postgres() {
                    super::$name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await).await
                }
            }
        )*
    };
}
pub(crate) use backend_tests;

/// Declares `<name>::sqlite` and `<name>::postgres` for an `async fn name(backend: Backend)`,
/// for tests that start the server their own way.
macro_rules! backend_fns {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }

                #[tokio::test]
                #[cfg_attr(not(tessera_pg_tests), ignore = "Postgres skipped: set TESSERA_TEST_POSTGRES_URL to run it")]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}
pub(crate) use backend_fns;

/// A database that lives as long as the test.
pub enum TestDb {
    /// Another node's database: owned (and dropped) by that node's test app.
    Shared,
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        server_url: String,
        name: String,
    },
}

impl TestDb {
    pub async fn create(backend: Backend) -> (TestDb, String) {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("tessera.db").display());
                (TestDb::Sqlite { _dir: dir }, url)
            }
            Backend::Postgres => {
                let server_url =
                    std::env::var("TESSERA_TEST_POSTGRES_URL").ok().filter(|url| !url.is_empty()).unwrap_or_else(
                        || panic!("Postgres tests are enabled (CI=true) but TESSERA_TEST_POSTGRES_URL is not set"),
                    );
                let name = format!("tessera_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&server_url)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach TESSERA_TEST_POSTGRES_URL: {e}"));
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
                let mut url = url::Url::parse(&server_url).expect("TESSERA_TEST_POSTGRES_URL is a URL");
                url.set_path(&format!("/{name}"));
                (TestDb::Postgres { server_url, name }, url.to_string())
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { server_url, name } = self {
            let (server_url, name) = (server_url.clone(), name.clone());
            // Drop runs inside the test's runtime; a thread with its own runtime can block.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                runtime.block_on(async {
                    if let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(&server_url).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), String>>>,
    // Declared last: the database outlives the server's connections.
    _db: TestDb,
}

/// A response, read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    /// The body as JSON, or `Null` when empty or not JSON.
    pub body: Value,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `field`s of `invalid_parameters`, for asserting which ones a 400 names.
    pub fn invalid_fields(&self) -> Vec<String> {
        self.body["invalid_parameters"]
            .as_array()
            .map(|items| items.iter().map(|p| p["field"].as_str().unwrap_or_default().to_owned()).collect())
            .unwrap_or_default()
    }

    /// The `rule` given for `field` in `invalid_parameters`.
    pub fn rule_for(&self, field: &str) -> Option<String> {
        self.body["invalid_parameters"]
            .as_array()?
            .iter()
            .find(|p| p["field"] == field)
            .and_then(|p| p["rule"].as_str().map(str::to_owned))
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns with adjusted settings (no configured admin token, say).
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let (db, database_url) = TestDb::create(backend).await;
        Self::spawn_on(db, database_url, adjust).await
    }

    /// A second node on this node's database with the same public URL, as in a multi-node
    /// deployment behind one load balancer.
    pub async fn spawn_second_node(&self) -> TestApp {
        self.spawn_second_node_with(|_| {}).await
    }

    /// The same, with `adjust`ed settings.
    pub async fn spawn_second_node_with(&self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let public_url = url::Url::parse(&self.address).expect("address is a URL");
        Self::spawn_on(TestDb::Shared, self.database_url.clone(), |s| {
            s.public_url = Some(public_url);
            adjust(s)
        })
        .await
    }

    /// Stops this node and starts it again on the same database and address (so the same
    /// issuer URLs) with `adjust`ed settings, as an operator restarts with a new configuration.
    pub async fn restart_with(mut self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let db = std::mem::replace(&mut self._db, TestDb::Shared);
        let database_url = self.database_url.clone();
        let listen = self.address.trim_start_matches("http://").parse().expect("address");
        self.stop().await;
        Self::spawn_on(db, database_url, |s| {
            s.listen = listen;
            adjust(s)
        })
        .await
    }

    /// Spawns a node on a database the caller prepared.
    pub async fn spawn_on(db: TestDb, database_url: String, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = Settings::for_tests(database_url.clone(), ADMIN_TOKEN);
        adjust(&mut settings);
        let app = Application::build(settings).await.expect("application builds");
        let address = format!("http://{}", app.address());
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async {
            let _ = rx.await;
        }));
        TestApp {
            address,
            database_url,
            // Redirects are part of what the tests check (the authorization endpoint's), so none is followed.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // A browser's cookie jar: sign-ins are bound to the browser that started them.
                .cookie_store(true)
                .build()
                .expect("client builds"),
            shutdown: Some(tx),
            server: Some(server),
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends a request built by the caller and checks the response against the spec.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> TestResponse {
        let request = request.build().expect("request builds");
        let method = request.method().as_str().to_owned();
        let path = request.url().path().to_owned();
        let response = self.http.execute(request).await.expect("request is answered");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body is read");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        let spec = spec::spec_for(&path);
        if let Err(problem) = spec.check(&method, &path, status, content_type, &bytes) {
            panic!("{method} {path} -> {status} does not match openapi.yaml: {problem}\nbody: {text}");
        }
        let pairs: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        if let Err(problem) = spec.check_headers(&method, &path, status, &pairs) {
            panic!("{method} {path} -> {status}: headers do not match openapi.yaml: {problem}");
        }
        assert!(headers.contains_key("x-request-id"), "{method} {path}: no x-request-id header");
        TestResponse { status, headers, text, body }
    }

    fn admin(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(ADMIN_TOKEN)
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(self.admin(Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> TestResponse {
        self.send(self.admin(Method::DELETE, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> TestResponse {
        self.send(self.admin(Method::POST, path).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> TestResponse {
        self.send(self.admin(Method::PATCH, path).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> TestResponse {
        self.send(self.admin(Method::PUT, path).json(&body)).await
    }

    /// Sends a raw body with the given content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> TestResponse {
        self.send(self.admin(Method::POST, path).header("content-type", content_type).body(body)).await
    }

    // Fixtures: each asserts its own success, so a test reads as its scenario.

    pub async fn create_auth_server(&self, name: &str) -> Value {
        let response = self
            .post("/v1/auth-servers", json!({ "name": name, "audience": "http://myhttpbin.dev", "description": format!("{name} description") }))
            .await;
        assert_eq!(response.status, 201, "create auth server: {}", response.text);
        response.body
    }

    pub async fn create_scope(&self, auth_server: &str, name: &str) -> Value {
        let response = self.post(&format!("/v1/auth-servers/{auth_server}/scopes"), json!({ "name": name })).await;
        assert_eq!(response.status, 201, "create scope: {}", response.text);
        response.body
    }

    pub async fn create_claim(&self, auth_server: &str, body: Value) -> Value {
        let response = self.post(&format!("/v1/auth-servers/{auth_server}/claims"), body).await;
        assert_eq!(response.status, 201, "create claim: {}", response.text);
        response.body
    }

    pub async fn create_client(&self, auth_server: &str, name: &str, scopes: &[&str]) -> Value {
        let response = self.post(&format!("/v1/auth-servers/{auth_server}/clients"), client_body(name, scopes)).await;
        assert_eq!(response.status, 201, "create client: {}", response.text);
        response.body
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stops cleanly");
        }
    }
}

/// The client of Kong's client-credentials tutorial: client_credentials, the given scopes,
/// one-hour tokens.
pub fn client_body(name: &str, scopes: &[&str]) -> Value {
    json!({
        "name": name,
        "grant_types": ["client_credentials"],
        "allow_all_scopes": false,
        "allow_scopes": scopes,
        "access_token_duration": 3600,
        "id_token_duration": 3600,
        "response_types": ["id_token", "token"],
    })
}

pub fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_else(|| panic!("no string {key} in {value}"))
}

/// A TCP proxy in front of the test database that can cut every connection and refuse new
/// ones, then let them through again: a database outage without touching the server.
pub struct FlakyProxy {
    pub port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl FlakyProxy {
    pub async fn start(target: std::net::SocketAddr) -> FlakyProxy {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let port = listener.local_addr().expect("proxy address").port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let links = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (accept_up, accept_links) = (up.clone(), links.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !accept_up.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is reset
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                accept_links.lock().expect("links").push(link);
            }
        });
        FlakyProxy { port, up, links, accept }
    }

    pub fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for FlakyProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// What Kong's client-credentials tutorial sets up, and most tests start from: an auth server,
/// `scope1`, `claim1` included with it, and `client1` with its secret.
#[derive(Clone)]
pub struct Seed {
    pub server_id: String,
    pub issuer: String,
    pub scope_id: String,
    pub client_id: String,
    pub secret: String,
}

impl TestApp {
    pub async fn auth_server_with_client(&self) -> Seed {
        self.auth_server_with_client_signing("RS256").await
    }

    /// The same, with tokens signed with `algorithm` instead of RS256.
    pub async fn auth_server_with_client_signing(&self, algorithm: &str) -> Seed {
        let server = self
            .post(
                "/v1/auth-servers",
                json!({"name": format!("AuthN_Server_{algorithm}"), "audience": "http://myhttpbin.dev", "signing_algorithm": algorithm}),
            )
            .await;
        assert_eq!(server.status, 201, "{}", server.text);
        let server_id = str_of(&server.body, "id").to_owned();
        let scope = self
            .post(
                &format!("/v1/auth-servers/{server_id}/scopes"),
                json!({"name": "scope1", "include_in_metadata": true}),
            )
            .await;
        let scope_id = str_of(&scope.body, "id").to_owned();
        self.create_claim(
            &server_id,
            json!({"name": "claim1", "value": "claim1", "include_in_token": true, "include_in_scopes": [scope_id]}),
        )
        .await;
        let client = self.create_client(&server_id, "client1", &[&scope_id]).await;
        Seed {
            issuer: str_of(&server.body, "issuer").to_owned(),
            server_id,
            scope_id,
            client_id: str_of(&client, "id").to_owned(),
            secret: str_of(&client, "client_secret").to_owned(),
        }
    }

    /// POSTs a form to an issuer endpoint, e.g. `{issuer}/oauth/token`.
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> TestResponse {
        self.send(self.http.post(url).form(form)).await
    }

    /// A client_credentials token with client_secret_post, as Kong's tutorials request it.
    pub async fn token(&self, seed: &Seed, scope: Option<&str>) -> TestResponse {
        let mut form =
            vec![("grant_type", "client_credentials"), ("client_id", &seed.client_id), ("client_secret", &seed.secret)];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.post_form(&format!("{}/oauth/token", seed.issuer), &form).await
    }

    /// The access token of a successful token request.
    pub async fn access_token(&self, seed: &Seed) -> String {
        let response = self.token(seed, Some("scope1")).await;
        assert_eq!(response.status, 200, "{}", response.text);
        str_of(&response.body, "access_token").to_owned()
    }

    /// The client a gateway introspects with: a client of the seed's auth server that the admin
    /// made a resource server (`introspection_allowed`, RFC 7662 §4), the one setting Kong's
    /// introspection how-to needs on Tessera.
    pub async fn gateway(&self, seed: &Seed) -> Seed {
        let created = self
            .post(
                &format!("/v1/auth-servers/{}/clients", seed.server_id),
                json!({"name": format!("gateway-{}", uuid::Uuid::new_v4()), "grant_types": ["client_credentials"],
                       "response_types": ["token"], "introspection_allowed": true}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        Seed {
            client_id: str_of(&created.body, "id").to_owned(),
            secret: str_of(&created.body, "client_secret").to_owned(),
            ..seed.clone()
        }
    }

    /// Introspects with the `Seed` client's credentials over HTTP Basic, as Kong's gateway does.
    pub async fn introspect(&self, seed: &Seed, token: &str) -> TestResponse {
        let request = self
            .http
            .post(format!("{}/introspect", seed.issuer))
            .basic_auth(&seed.client_id, Some(&seed.secret))
            .form(&[("token", token)]);
        self.send(request).await
    }
}

/// The decoded (unverified) header and payload of a compact JWS.
pub fn jwt_parts(token: &str) -> (Value, Value) {
    use base64::Engine;
    let decode = |part: &str| -> Value {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).expect("base64url");
        serde_json::from_slice(&bytes).expect("JSON")
    };
    let mut parts = token.split('.');
    let header = decode(parts.next().expect("header"));
    let payload = decode(parts.next().expect("payload"));
    (header, payload)
}
