//! OpenTelemetry traces (README "Tracing"): the real binary exports its spans over OTLP/HTTP to
//! a small receiver served here, continues the caller's W3C trace, and exports nothing without
//! an endpoint. The exporter is global to a process, so each test starts `tessera` as a child.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{ADMIN_TOKEN, Backend, TestDb, backend_fns, str_of};
use crate::process::Server;

/// One OTLP/HTTP export as the receiver got it.
#[derive(Clone)]
struct Export {
    headers: HeaderMap,
    body: Bytes,
}

impl Export {
    /// The export decoded from `http/protobuf` or `http/json`, as its content type says.
    fn decode(&self) -> ExportTraceServiceRequest {
        let content_type = self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        match content_type {
            "application/x-protobuf" => ExportTraceServiceRequest::decode(self.body.clone()).unwrap(),
            "application/json" => serde_json::from_slice(&self.body).unwrap(),
            other => panic!("an OTLP export with content type {other:?}"),
        }
    }
}

/// An OTLP/HTTP trace receiver on 127.0.0.1: records every export and answers 200 with an
/// empty `ExportTraceServiceResponse`.
struct Receiver {
    endpoint: String,
    exports: Arc<Mutex<Vec<Export>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Receiver {
        let exports = Arc::new(Mutex::new(Vec::new()));
        let router = axum::Router::new().route("/v1/traces", axum::routing::post(receive)).with_state(exports.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Receiver { endpoint, exports, task }
    }

    fn exports(&self) -> Vec<Export> {
        self.exports.lock().unwrap().clone()
    }

    /// Every span received so far.
    fn spans(&self) -> Vec<Span> {
        let requests = self.exports().iter().map(Export::decode).collect::<Vec<_>>();
        requests
            .into_iter()
            .flat_map(|request| request.resource_spans)
            .flat_map(|resource| resource.scope_spans)
            .flat_map(|scope| scope.spans)
            .collect()
    }

    /// The spans received once one is a child of `caller` (the request span, which ends after
    /// all of its children); fails after ten seconds.
    async fn wait_for_child_of(&self, caller: &str) -> Vec<Span> {
        for _ in 0..100 {
            let spans = self.spans();
            if spans.iter().any(|span| hex(&span.parent_span_id) == caller) {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no span with parent {caller} arrived: {:?}", self.spans().iter().map(|s| &s.name).collect::<Vec<_>>());
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(exports): State<Arc<Mutex<Vec<Export>>>>,
    headers: HeaderMap,
    body: Bytes,
) -> impl axum::response::IntoResponse {
    exports.lock().unwrap().push(Export { headers, body });
    ([("content-type", "application/x-protobuf")], Vec::<u8>::new())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A span attribute as text (strings as they are, numbers in decimal).
fn attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    let value = attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?.value.as_ref()?;
    Some(match value {
        AnyValue::StringValue(s) => s.clone(),
        AnyValue::IntValue(i) => i.to_string(),
        AnyValue::BoolValue(b) => b.to_string(),
        other => format!("{other:?}"),
    })
}

/// A new W3C trace context of a caller: (trace id, span id), as lowercase hex.
fn caller_context() -> (String, String) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    (id.clone(), id[..16].to_owned())
}

/// An auth server with a client_credentials client: (issuer path, client id, client secret).
/// The path, not the URL, so that a later server on the same database can be asked.
async fn traced_client(server: &Server) -> (String, String, String) {
    let (status, _, auth_server) = server
        .send(server.admin(Method::POST, "/v1/auth-servers").json(&json!({"name": "traced", "audience": "x"})))
        .await;
    assert_eq!(status, 201, "{auth_server}");
    let (status, _, client) = server
        .send(server.admin(Method::POST, &format!("/v1/auth-servers/{}/clients", str_of(&auth_server, "id"))).json(
            &json!({
                "name": "traced-client", "grant_types": ["client_credentials"], "response_types": ["token"],
                "allow_all_scopes": true, "access_token_duration": 600, "id_token_duration": 300,
            }),
        ))
        .await;
    assert_eq!(status, 201, "{client}");
    (
        str_of(&auth_server, "issuer").strip_prefix(&server.base).unwrap().to_owned(),
        str_of(&client, "id").to_owned(),
        str_of(&client, "client_secret").to_owned(),
    )
}

/// A client_credentials token request with client_secret_post, sent as a caller in trace
/// `(trace_id, span_id)` with request id `request_id`; returns the access token.
async fn token_request(
    server: &Server,
    client: &(String, String, String),
    caller: &(String, String),
    request_id: &str,
) -> String {
    let (issuer, client_id, secret) = client;
    let (status, _, body) = server
        .send(
            server
                .http
                .post(format!("{}{issuer}/oauth/token", server.base))
                .header("traceparent", format!("00-{}-{}-01", caller.0, caller.1))
                .header("x-request-id", request_id)
                .form(&[("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    str_of(&body, "access_token").to_owned()
}

/// The JSON log lines of one request (its span carries `request_id`).
fn request_lines<'a>(logs: &'a str, request_id: &str) -> Vec<&'a str> {
    let marker = format!("\"request_id\":\"{request_id}\"");
    let lines: Vec<&str> = logs.lines().filter(|line| line.contains(&marker)).collect();
    assert!(!lines.is_empty(), "no log line of request {request_id}: {logs}");
    lines
}

async fn a_token_request_is_traced_from_the_callers_span_down_to_each_statement(backend: Backend) {
    let receiver = Receiver::start().await;
    let (_db, database_url) = TestDb::create(backend).await;
    let server = Server::start_with(
        &database_url,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-collector-tenant=tessera-tests"),
        ],
    )
    .await;
    let client = traced_client(&server).await;
    let caller = caller_context();
    let access_token = token_request(&server, &client, &caller, "traced-request-1").await;

    let made_up = caller_context();
    let odd = server
        .http
        .request(Method::from_bytes(b"XLEAKMETHOD").unwrap(), format!("{}/healthz", server.base))
        .header("traceparent", format!("00-{}-{}-01", made_up.0, made_up.1))
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), 405);

    let received = receiver.wait_for_child_of(&caller.1).await;
    let trace: Vec<&Span> = received.iter().filter(|span| hex(&span.trace_id) == caller.0).collect();
    let by_id: HashMap<String, &Span> = trace.iter().map(|span| (hex(&span.span_id), *span)).collect();
    let ancestors = |span: &Span| -> Vec<String> {
        let mut names = Vec::new();
        let mut parent = hex(&span.parent_span_id);
        while let Some(up) = by_id.get(&parent) {
            names.push(up.name.clone());
            parent = hex(&up.parent_span_id);
        }
        assert_eq!(parent, caller.1, "the chain of {} ends at the caller's span", span.name);
        names
    };
    let named = |name: &str| -> &Span {
        trace.iter().copied().find(|span| span.name == name).unwrap_or_else(|| {
            panic!("no span {name} in the trace: {:?}", trace.iter().map(|s| &s.name).collect::<Vec<_>>())
        })
    };

    let request = named("POST /{issuerSlug}/auth/oauth/token");
    assert_eq!(hex(&request.parent_span_id), caller.1, "the request span is a child of the caller's span");
    assert_eq!(request.kind, SpanKind::Server as i32);
    assert_eq!(attribute(&request.attributes, "http.response.status_code").as_deref(), Some("200"));
    assert_eq!(attribute(&request.attributes, "request_id").as_deref(), Some("traced-request-1"));
    assert_eq!(attribute(&request.attributes, "route").as_deref(), Some("/{issuerSlug}/auth/oauth/token"));
    for span in &trace {
        let chain = ancestors(span);
        if span.span_id != request.span_id {
            assert!(chain.contains(&request.name), "{} descends from the request span: {chain:?}", span.name);
        }
    }
    assert_eq!(ancestors(named("authenticate")), ["identify", request.name.as_str()], "client authentication");
    assert!(ancestors(named("client_credentials")).contains(&request.name), "the grant");
    let client_load = named("SELECT clients");
    assert_eq!(
        ancestors(client_load)[..3],
        ["cache_load", "authenticate", "identify"],
        "the client is loaded to authenticate it"
    );
    let system = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
    };
    assert_eq!(attribute(&client_load.attributes, "db.system").as_deref(), Some(system));
    assert_eq!(attribute(&client_load.attributes, "db.operation.name").as_deref(), Some("SELECT"));
    assert_eq!(attribute(&client_load.attributes, "db.collection.name").as_deref(), Some("clients"));
    assert_eq!(client_load.kind, SpanKind::Client as i32);
    assert!(
        ancestors(named("SELECT auth_servers")).contains(&request.name),
        "the auth server is loaded in the request"
    );

    let odd = receiver.wait_for_child_of(&made_up.1).await;
    let odd = odd.iter().find(|span| hex(&span.parent_span_id) == made_up.1).unwrap();
    assert!(odd.name.starts_with("HTTP "), "a made-up method is not a span name: {}", odd.name);

    let exports = receiver.exports();
    let service = exports[0].decode().resource_spans[0].resource.clone().unwrap();
    assert_eq!(attribute(&service.attributes, "service.name").as_deref(), Some("tessera"), "the default service name");
    for export in &exports {
        assert_eq!(export.headers.get("x-collector-tenant").unwrap(), "tessera-tests", "OTEL_EXPORTER_OTLP_HEADERS");
        let body = String::from_utf8_lossy(&export.body);
        for (what, secret) in
            [("client secret", &client.2), ("access token", &access_token), ("admin token", &ADMIN_TOKEN.to_owned())]
        {
            assert!(!body.contains(secret.as_str()), "the {what} is in an exported span");
        }
    }

    let logs = server.stop().await;
    for line in request_lines(&logs, "traced-request-1") {
        assert!(
            line.contains(&format!("\"trace_id\":\"{}\"", caller.0)),
            "a request's log line without its trace id: {line}"
        );
    }
    assert!(!logs.contains(&client.2), "the client secret is in the logs");
}

async fn without_an_otlp_endpoint_nothing_is_exported_and_logs_carry_no_trace_id(backend: Backend) {
    let receiver = Receiver::start().await;
    let (_db, database_url) = TestDb::create(backend).await;
    let unset =
        Server::start_with(&database_url, &[("OTEL_BSP_SCHEDULE_DELAY", "100"), ("OTEL_SERVICE_NAME", "tessera-off")])
            .await;
    let client = traced_client(&unset).await;
    token_request(&unset, &client, &caller_context(), "untraced-request-1").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let unset_logs = unset.stop().await;

    let disabled = Server::start_with(
        &database_url,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_SDK_DISABLED", "true"),
        ],
    )
    .await;
    token_request(&disabled, &client, &caller_context(), "untraced-request-2").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let disabled_logs = disabled.stop().await;

    assert_eq!(receiver.exports().len(), 0, "OTEL_SDK_DISABLED=true exports nothing");
    for (logs, request_id) in [(&unset_logs, "untraced-request-1"), (&disabled_logs, "untraced-request-2")] {
        for line in request_lines(logs, request_id) {
            assert!(!line.contains("trace_id") && !line.contains("otel."), "traces are off: {line}");
        }
    }
}

/// With a batch delay of ten minutes, only the flush at shutdown can send the spans; this
/// server also speaks `http/json`.
async fn spans_still_queued_are_exported_when_the_server_stops(backend: Backend) {
    let receiver = Receiver::start().await;
    let (_db, database_url) = TestDb::create(backend).await;
    let server = Server::start_with(
        &database_url,
        &[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &format!("{}/v1/traces", receiver.endpoint)),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
            ("OTEL_SERVICE_NAME", "tessera-eu-1"),
        ],
    )
    .await;
    let client = traced_client(&server).await;
    let caller = caller_context();
    token_request(&server, &client, &caller, "flushed-request-1").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.exports().len(), 0, "nothing is sent before the batch delay");

    server.terminate().await;
    let spans = receiver.wait_for_child_of(&caller.1).await;
    assert!(spans.iter().any(|span| span.name == "client_credentials" && hex(&span.trace_id) == caller.0));
    let exports = receiver.exports();
    assert_eq!(exports[0].headers.get("content-type").unwrap(), "application/json");
    let service = exports[0].decode().resource_spans[0].resource.clone().unwrap();
    assert_eq!(attribute(&service.attributes, "service.name").as_deref(), Some("tessera-eu-1"), "OTEL_SERVICE_NAME");
}

/// A trace configuration Tessera cannot honour stops it at start, before it touches the
/// database, rather than dropping every span.
#[tokio::test]
async fn a_trace_configuration_tessera_cannot_honour_stops_the_start_with_the_reason() {
    let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
    for (variables, reason) in [
        (
            vec![("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otlp.example.com")],
            "OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// URL",
        ),
        (vec![("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url")], "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is not a URL"),
        (vec![endpoint, ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")], "OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported"),
        (
            vec![endpoint, ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip")],
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=gzip is not supported",
        ),
        (vec![endpoint, ("OTEL_TRACES_EXPORTER", "zipkin")], "OTEL_TRACES_EXPORTER=zipkin is not supported"),
    ] {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("OTEL_")) {
            command.env_remove(name);
        }
        let run = command
            .env("TESSERA_LISTEN", "127.0.0.1:0")
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/never-reached")
            .env("TESSERA_ADMIN_TOKEN", ADMIN_TOKEN)
            .envs(variables.iter().copied())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(Duration::from_secs(30), run).await.expect("tessera stops at once").unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{variables:?} started");
        assert!(stderr.contains(reason), "{variables:?}: {stderr}");
    }
}

backend_fns!(
    a_token_request_is_traced_from_the_callers_span_down_to_each_statement,
    without_an_otlp_endpoint_nothing_is_exported_and_logs_carry_no_trace_id,
    spans_still_queued_are_exported_when_the_server_stops
);
