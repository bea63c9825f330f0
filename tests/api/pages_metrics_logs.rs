//! What a reviewer expects around the protocol (README "Pages, metrics and logs"): HTML pages
//! with a strict Content-Security-Policy, `/metrics` behind its own token, and request logs
//! that name route templates, never login challenges, codes or other query values.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::helpers::{ADMIN_TOKEN, Backend, TestApp, TestDb, TestResponse, backend_fns, backend_tests, str_of};
use crate::spec::SPEC;

const REDIRECT: &str = "https://app.example.com/callback";
const LOGIN: &str = "https://login.example.com/signin";
const METRICS_TOKEN: &str = "metrics-token-0123456789abcdef";

/// The query parameters of a URL.
fn params_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap().into_iter().collect()
}

/// A Content-Security-Policy as directive → sources.
fn directives(policy: &str) -> HashMap<String, Vec<String>> {
    policy
        .split(';')
        .filter_map(|directive| {
            let mut words = directive.split_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            Some((name, words.map(str::to_owned).collect()))
        })
        .collect()
}

/// The text of each inline `<script>` of a page.
fn inline_scripts(html: &str) -> Vec<&str> {
    html.split("<script")
        .skip(1)
        .filter_map(|rest| rest.split_once('>')?.1.split_once("</script>"))
        .map(|(s, _)| s)
        .collect()
}

fn assert_page_headers(page: &TestResponse) {
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
}

// 1. HTML pages.

async fn the_error_page_runs_no_script_and_cannot_be_framed(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let page =
        app.send(app.http.get(format!("{}/oauth/authorize?client_id=nobody&response_type=code", seed.issuer))).await;
    assert_eq!(page.status, 400, "{}", page.text);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert_page_headers(&page);
    let policy = directives(page.header("content-security-policy").expect("a Content-Security-Policy"));
    for (directive, sources) in [
        ("default-src", ["'none'"]),
        ("base-uri", ["'none'"]),
        ("form-action", ["'none'"]),
        ("frame-ancestors", ["'none'"]),
    ] {
        assert_eq!(policy.get(directive).map(Vec::as_slice), Some(&sources.map(String::from)[..]), "{directive}");
    }
    assert!(!policy.contains_key("script-src"), "no script allowed: default-src 'none' applies");
    assert!(inline_scripts(&page.text).is_empty(), "{}", page.text);
}

async fn the_form_post_page_allows_only_its_own_script_and_posts_only_to_the_client(app: TestApp) {
    let (server_id, issuer, client_id) = form_post_client(&app).await;
    let authorize = format!(
        "{issuer}/oauth/authorize?{}",
        serde_urlencoded::to_string([
            ("client_id", client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("response_mode", "form_post"),
            ("state", "s-1"),
        ])
        .unwrap()
    );
    let to_login = app.send(app.http.get(authorize)).await;
    assert_eq!(to_login.status, 303, "{}", to_login.text);
    let challenge = params_of(to_login.header("location").unwrap())["login_challenge"].clone();
    let accepted = app
        .post(&format!("/v1/auth-servers/{server_id}/login-requests/{challenge}/accept"), json!({"subject": "u-1"}))
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let page = app.send(app.http.get(str_of(&accepted.body, "redirect_to"))).await;

    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains(&format!("<form method=\"post\" action=\"{REDIRECT}\">")), "{}", page.text);
    assert_page_headers(&page);
    let policy = directives(page.header("content-security-policy").expect("a Content-Security-Policy"));
    assert_eq!(policy["default-src"], ["'none'"]);
    assert_eq!(policy["frame-ancestors"], ["'none'"]);
    assert_eq!(policy["base-uri"], ["'none'"]);
    assert_eq!(policy["form-action"], ["https://app.example.com"], "the redirect URI's origin only");
    // The page still submits itself: its one script is allowed by its hash (CSP Level 3 §8.4),
    // and nothing runs from an event-handler attribute, which a hash would not allow.
    let scripts = inline_scripts(&page.text);
    assert_eq!(scripts, ["document.forms[0].submit()"], "{}", page.text);
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(scripts[0]));
    assert_eq!(policy["script-src"], [format!("'sha256-{hash}'")]);
    assert!(!page.text.contains(" onload=") && !page.text.contains(" onclick="), "{}", page.text);
}

async fn every_response_says_nosniff(app: TestApp) {
    for path in ["/healthz", "/openapi.yaml", "/nothing-here"] {
        let response = app.send(app.http.get(app.url(path))).await;
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"), "{path}");
    }
    assert_eq!(app.get("/v1/auth-servers").await.header("x-content-type-options"), Some("nosniff"));
}

/// An auth server and a confidential client answering in any response mode through a login page.
async fn form_post_client(app: &TestApp) -> (String, String, String) {
    let server = app.create_auth_server("pages").await;
    let server_id = str_of(&server, "id").to_owned();
    let client = app
        .post(
            &format!("/v1/auth-servers/{server_id}/clients"),
            json!({
                "name": "webapp",
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "redirect_uris": [REDIRECT],
                "login_uri": LOGIN,
                "allow_all_scopes": true,
                "access_token_duration": 600,
                "id_token_duration": 300,
                "token_endpoint_auth_method": "client_secret_basic",
            }),
        )
        .await;
    assert_eq!(client.status, 201, "{}", client.text);
    (server_id, str_of(&server, "issuer").to_owned(), str_of(&client.body, "id").to_owned())
}

backend_tests!(
    the_error_page_runs_no_script_and_cannot_be_framed,
    the_form_post_page_allows_only_its_own_script_and_posts_only_to_the_client,
    every_response_says_nosniff
);

// 2. Metrics.

async fn metrics_require_the_metrics_token_when_one_is_set(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| settings.metrics_token = Some(METRICS_TOKEN.to_owned())).await;
    let metrics = || app.http.get(app.url("/metrics"));
    let anonymous = app.send(metrics()).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text);
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer realm=\"tessera-metrics\""));
    assert!(!anonymous.text.contains("tessera_"), "{}", anonymous.text);
    for (authorization, why) in [
        (format!("Bearer {METRICS_TOKEN}x"), "a longer token"),
        (format!("Bearer {}", &METRICS_TOKEN[1..]), "a shorter token"),
        (format!("Bearer {ADMIN_TOKEN}"), "the admin token is not the metrics token"),
        (format!("Basic {METRICS_TOKEN}"), "another scheme"),
        (METRICS_TOKEN.to_owned(), "no scheme"),
    ] {
        let response = app.send(metrics().header("authorization", authorization)).await;
        assert_eq!(response.status, 401, "{why}");
    }
    let allowed = app.send(metrics().bearer_auth(METRICS_TOKEN)).await;
    assert_eq!(allowed.status, 200, "{}", allowed.text);
    assert!(allowed.text.contains("tessera_cache_lookups_total"), "{}", allowed.text);
    let lower_case_scheme = app.send(metrics().header("authorization", format!("bearer {METRICS_TOKEN}"))).await;
    assert_eq!(lower_case_scheme.status, 200);
    assert_eq!(app.send(app.http.get(app.url("/healthz"))).await.status, 200, "health endpoints stay open");
}

/// Labels come from closed sets: route templates, not paths with challenges or client ids, and
/// no method a caller makes up (a 405 is answered before any route records it).
async fn metrics_labels_hold_route_templates_not_what_callers_sent(app: TestApp) {
    let (server_id, issuer, client_id) = form_post_client(&app).await;
    let challenge = "made-up-challenge-in-a-path";
    let login_request = app.get(&format!("/v1/auth-servers/{server_id}/login-requests/{challenge}")).await;
    assert_eq!(login_request.status, 404, "{}", login_request.text);
    let query = format!("{issuer}/oauth/authorize?client_id={client_id}&response_type=code&state=query-marker");
    app.send(app.http.get(query)).await;
    let made_up = Method::from_bytes(b"XLEAKMETHOD").unwrap();
    assert_eq!(app.send(app.http.request(made_up, app.url("/healthz"))).await.status, 405);

    let text = app.send(app.http.get(app.url("/metrics"))).await.text;
    assert!(text.contains("route=\"/v1/auth-servers/{authServerId}/login-requests/{loginChallenge}\""), "{text}");
    assert!(text.contains("route=\"/{issuerSlug}/auth/oauth/authorize\""), "{text}");
    for secret in [challenge, client_id.as_str(), "query-marker", "XLEAKMETHOD"] {
        assert!(!text.contains(secret), "{secret} is in the metrics: {text}");
    }
}

backend_fns!(metrics_require_the_metrics_token_when_one_is_set);
backend_tests!(metrics_labels_hold_route_templates_not_what_callers_sent);

// 3. Logs.

/// The real binary, logging JSON lines at every level; everything it writes is kept.
pub(crate) struct Server {
    child: tokio::process::Child,
    base: String,
    output: Arc<Mutex<Vec<String>>>,
    readers: Vec<tokio::task::JoinHandle<()>>,
    http: reqwest::Client,
}

impl Server {
    pub(crate) async fn start(database_url: &str) -> Server {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .env("TESSERA_LISTEN", "127.0.0.1:0")
            .env("DATABASE_URL", database_url)
            .env("TESSERA_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("TESSERA_LOG", "trace")
            .env("TESSERA_LOG_FORMAT", "json")
            .env_remove("TESSERA_PUBLIC_URL")
            .env_remove("TESSERA_ISSUER_DOMAIN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the tessera binary starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, address_rx) = tokio::sync::oneshot::channel();
        let address_tx = Arc::new(Mutex::new(Some(address_tx)));
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let readers = vec![
            tokio::spawn(collect(stdout, output.clone(), address_tx.clone())),
            tokio::spawn(collect(stderr, output.clone(), address_tx)),
        ];
        let address = tokio::time::timeout(std::time::Duration::from_secs(60), address_rx)
            .await
            .unwrap_or_else(|_| panic!("no `tessera listening` line: {:?}", output.lock().unwrap()))
            .unwrap();
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
        Server { child, base: format!("http://{address}"), output, readers, http }
    }

    /// Sends a request and checks the answer against openapi.yaml, as `TestApp::send` does.
    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> (u16, HashMap<String, String>, Value) {
        let request = request.build().unwrap();
        let (method, path) = (request.method().as_str().to_owned(), request.url().path().to_owned());
        let response = self.http.execute(request).await.unwrap();
        let status = response.status().as_u16();
        let headers: HashMap<String, String> = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or("").to_owned()))
            .collect();
        let bytes = response.bytes().await.unwrap();
        let content_type = headers.get("content-type").map_or("", String::as_str);
        SPEC.check(&method, &path, status, content_type, &bytes).unwrap();
        let pairs: Vec<(String, String)> = headers.clone().into_iter().collect();
        SPEC.check_headers(&method, &path, status, &pairs).unwrap();
        (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    pub(crate) fn admin(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base)).bearer_auth(ADMIN_TOKEN)
    }

    /// Stops the process and returns everything it wrote.
    pub(crate) async fn stop(mut self) -> String {
        let _ = self.child.kill().await;
        for reader in self.readers.drain(..) {
            let _ = reader.await;
        }
        self.output.lock().unwrap().join("\n")
    }
}

type AddressSender = Arc<Mutex<Option<tokio::sync::oneshot::Sender<String>>>>;

async fn collect(stream: impl AsyncRead + Unpin, output: Arc<Mutex<Vec<String>>>, address: AddressSender) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Ok(event) = serde_json::from_str::<Value>(&line) {
            if event["message"] == "tessera listening" {
                if let Some(tx) = address.lock().unwrap().take() {
                    let _ = tx.send(event["address"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
        output.lock().unwrap().push(line);
    }
}

async fn request_logs_name_route_templates_never_challenges_or_query_values(backend: Backend) {
    let (_db, database_url) = TestDb::create(backend).await;
    let server = Server::start(&database_url).await;
    let (status, _, auth_server) = server
        .send(server.admin(Method::POST, "/v1/auth-servers").json(&json!({"name": "logs", "audience": "x"})))
        .await;
    assert_eq!(status, 201, "{auth_server}");
    let server_id = str_of(&auth_server, "id");
    let (status, _, client) = server
        .send(server.admin(Method::POST, &format!("/v1/auth-servers/{server_id}/clients")).json(&json!({
            "name": "webapp", "grant_types": ["authorization_code"], "response_types": ["code"],
            "redirect_uris": [REDIRECT], "login_uri": LOGIN, "allow_all_scopes": true,
            "access_token_duration": 600, "id_token_duration": 300,
        })))
        .await;
    assert_eq!(status, 201, "{client}");
    let state = "state-marker-7f3a";
    let authorize = format!(
        "{}/oauth/authorize?client_id={}&response_type=code&redirect_uri={}&state={state}",
        str_of(&auth_server, "issuer"),
        str_of(&client, "id"),
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let (status, headers, _) = server.send(server.http.get(authorize)).await;
    assert_eq!(status, 303);
    let challenge = params_of(&headers["location"])["login_challenge"].clone();
    let login_request = format!("/v1/auth-servers/{server_id}/login-requests/{challenge}");
    let (status, _, body) = server.send(server.admin(Method::GET, &login_request)).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = server.send(server.admin(Method::GET, &format!("{login_request}/no-such-thing"))).await;
    assert_eq!(status, 404, "an unrouted path with the challenge in it");
    let (status, _, accepted) = server
        .send(server.admin(Method::POST, &format!("{login_request}/accept")).json(&json!({"subject": "u-1"})))
        .await;
    assert_eq!(status, 200, "{accepted}");
    let back = str_of(&accepted, "redirect_to").to_owned();
    let verifier = params_of(&back)["login_verifier"].clone();
    let (status, headers, _) = server.send(server.http.get(&back)).await;
    assert_eq!(status, 303);
    let code = params_of(&headers["location"])["code"].clone();

    let logs = server.stop().await;
    for (what, value) in [("login challenge", &challenge), ("login verifier", &verifier), ("code", &code)] {
        assert!(!logs.contains(value.as_str()), "the {what} is in the logs: {logs}");
    }
    assert!(!logs.contains(state), "the state is in the logs: {logs}");
    assert!(
        logs.contains("\"route\":\"/v1/auth-servers/{authServerId}/login-requests/{loginChallenge}\""),
        "request spans name the route template: {logs}"
    );
    assert!(logs.contains("\"route\":\"/{issuerSlug}/auth/oauth/authorize\""), "{logs}");
}

backend_fns!(request_logs_name_route_templates_never_challenges_or_query_values);
