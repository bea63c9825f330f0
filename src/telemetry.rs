//! Logs and traces. Logs are text or JSON lines, filtered by `TESSERA_LOG`. Traces are
//! OpenTelemetry spans exported over OTLP/HTTP, only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; otherwise no OpenTelemetry layer is installed
//! and a request pays one flag check for it.

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use tracing::Level;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{FilterExt, Targets, dynamic_filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::LogFormat;

/// Whether spans are exported; read on each request, so it must be cheap.
static TRACES_ON: AtomicBool = AtomicBool::new(false);

/// The name of the span of one database statement (see `store::Db`).
pub const STATEMENT_SPAN: &str = "db";

/// What `main` shuts down once the server has stopped.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still queued, then stops the exporter.
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else { return };
        // The batch processor's shutdown blocks until its last export is done: off the async workers.
        match tokio::task::spawn_blocking(move || provider.shutdown()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot export the last spans"),
            Err(e) => tracing::warn!(error = %e, "cannot export the last spans"),
        }
    }
}

/// Installs the global subscriber: logs always, traces when an OTLP endpoint is configured. A
/// second call (as in tests) is ignored. An unusable trace configuration is an error, after
/// logging has been installed so the caller can report it.
pub fn init(filter: &str, format: LogFormat) -> Result<Telemetry, String> {
    let logs = || EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Built under the log subscriber, so the SDK's warnings about its variables are logged.
    let provider = tracing::subscriber::with_default(log_subscriber(logs(), format), tracer_provider);
    let provider = match provider {
        Ok(Some(provider)) => provider,
        other => {
            let _ = log_subscriber(logs(), format).try_init();
            return other.map(|_| Telemetry { provider: None });
        }
    };
    let spans = tracing_opentelemetry::layer().with_tracer(provider.tracer("tessera")).with_filter(exported_spans());
    let fmt = tracing_subscriber::fmt::layer().with_target(false);
    let installed = match format {
        LogFormat::Text => tracing_subscriber::registry().with(spans).with(fmt.with_filter(logs())).try_init(),
        LogFormat::Json => tracing_subscriber::registry()
            .with(spans)
            .with(fmt.json().flatten_event(true).with_current_span(true).with_filter(logs()))
            .try_init(),
    };
    if installed.is_ok() {
        TRACES_ON.store(true, Ordering::Relaxed);
    }
    Ok(Telemetry { provider: Some(provider) })
}

/// Logs alone: text or JSON lines, filtered by `filter`.
fn log_subscriber(filter: EnvFilter, format: LogFormat) -> Box<dyn tracing::Subscriber + Send + Sync> {
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    match format {
        LogFormat::Text => Box::new(builder.finish()),
        LogFormat::Json => Box::new(builder.json().flatten_event(true).with_current_span(true).finish()),
    }
}

/// True when spans are exported.
pub fn traces_on() -> bool {
    TRACES_ON.load(Ordering::Relaxed)
}

/// Tessera's own spans and events, independent of `TESSERA_LOG`: the statement spans are at
/// debug. A statement outside any span (the cache's change-feed poll, five times a second) would
/// be a trace of its own, so it is left out.
fn exported_spans<S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>>()
-> impl tracing_subscriber::layer::Filter<S> {
    let ours = Targets::new().with_target("tessera", Level::DEBUG);
    let not_alone = dynamic_filter_fn(|metadata, context| {
        !(metadata.is_span() && metadata.name() == STATEMENT_SPAN) || context.lookup_current().is_some()
    });
    ours.and(not_alone)
}

/// W3C Trace Context (`traceparent`, `tracestate`): makes `span` a child of the caller's span,
/// then records the trace id as the span's `trace_id` field, so every log line of the request
/// carries it. Without a valid `traceparent` the span starts a trace of its own.
pub fn continue_trace(span: &tracing::Span, carrier: &dyn Extractor) {
    let caller = TraceContextPropagator::new().extract(carrier);
    if caller.span().span_context().is_valid() {
        let _ = span.set_parent(caller);
    }
    let trace_id = span.context().span().span_context().trace_id();
    if trace_id != opentelemetry::trace::TraceId::INVALID {
        span.record("trace_id", tracing::field::display(trace_id));
    }
}

/// The exporter's provider when traces are wanted: an OTLP endpoint is set and neither
/// `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none` says otherwise. The SDK reads the
/// other standard variables itself (headers, timeout, compression, sampler, batch sizes).
fn tracer_provider() -> Result<Option<SdkTracerProvider>, String> {
    if variable("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    match variable("OTEL_TRACES_EXPORTER").as_deref() {
        None | Some("otlp") => {}
        Some("none") => return Ok(None),
        Some(other) => return Err(format!("OTEL_TRACES_EXPORTER={other} is not supported: use otlp or none")),
    }
    let Some((name, endpoint)) = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]
        .into_iter()
        .find_map(|name| variable(name).map(|value| (name, value)))
    else {
        return Ok(None);
    };
    // The exporter's client speaks plain HTTP only: no TLS stack is linked in for it.
    match url::Url::parse(&endpoint) {
        Ok(url) if url.scheme() == "http" => {}
        Ok(_) => {
            return Err(format!(
                "{name} must be an http:// URL: Tessera sends traces over plain HTTP, to an \
                 OpenTelemetry Collector nearby (which may forward them over TLS)"
            ));
        }
        Err(e) => return Err(format!("{name} is not a URL: {e}")),
    }
    // Neither gzip nor zstd is linked in; the SDK would send uncompressed and only warn.
    for name in ["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"] {
        if let Some(value) = variable(name).filter(|v| !v.eq_ignore_ascii_case("none")) {
            return Err(format!("{name}={value} is not supported: leave it unset or none"));
        }
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(protocol()?)
        .build()
        .map_err(|e| format!("cannot export traces: {e}"))?;
    let processor = BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build();
    Ok(Some(SdkTracerProvider::builder().with_span_processor(processor).with_resource(resource()).build()))
}

/// `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`; `http/protobuf`
/// by default, as the specification says.
fn protocol() -> Result<Protocol, String> {
    let Some((name, value)) = ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"]
        .into_iter()
        .find_map(|name| variable(name).map(|value| (name, value)))
    else {
        return Ok(Protocol::HttpBinary);
    };
    match value.as_str() {
        "http/protobuf" => Ok(Protocol::HttpBinary),
        "http/json" => Ok(Protocol::HttpJson),
        other => Err(format!("{name}={other} is not supported: use http/protobuf or http/json")),
    }
}

/// The SDK's resource (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME`), named `tessera` when
/// neither names the service.
fn resource() -> Resource {
    let detected = Resource::builder().build();
    let named = detected
        .get(&opentelemetry::Key::from_static_str("service.name"))
        .is_some_and(|name| !name.as_str().starts_with("unknown_service"));
    if named { detected } else { Resource::builder().with_service_name("tessera").build() }
}

/// An environment variable, unless unset or empty.
fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Runs CPU-heavy work (Argon2) on the blocking pool, inside the caller's span.
pub async fn spawn_blocking_with_tracing<F, R>(f: F) -> Result<R, tokio::task::JoinError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f)).await
}
