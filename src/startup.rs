//! Builds the application: binds first (so tests can use port 0), connects the store,
//! migrates, prepares admin authentication, then serves until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use url::Url;

use crate::config::Settings;
use crate::domain::admin::Origin;
use crate::domain::secret::{AdminToken, token_digest};
use std::sync::Arc;

use crate::cache::Cache;
use crate::cache::api_key_digests::ApiKeyDigests;
use crate::cache::flow_keys::FlowKeys;
use crate::http::{self, AppState, Urls};
use crate::keys::{Sealer, at_rest};
use crate::store::{self, ConnectOptions, Store, TokenLog};
use crate::tasks;

pub struct Application {
    listener: TcpListener,
    router: http::Router,
    address: SocketAddr,
    store: Store,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    limits: http::ConnectionLimits,
    admin_usage: Arc<crate::service::admin_auth::Usage>,
    audit_failures: Arc<std::sync::Mutex<crate::domain::audit::FailureThrottle>>,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, String> {
        settings.validate()?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
        let address = listener.local_addr().map_err(|e| format!("cannot read the bound address: {e}"))?;
        let public_url = match &settings.public_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{address}")).map_err(|e| format!("bad listen address: {e}"))?,
        };
        let store = connect(&settings)?;
        if settings.auto_migrate {
            migrate_with_retry(&store).await?;
        }
        bootstrap_credential(&settings, &store).await?;
        let (current, previous) = settings.encryption_keys()?;
        let sealer = Arc::new(sealer(&settings)?);
        seal_clear_keys(&store, &sealer).await?;
        let flows = Arc::new(FlowKeys::new(store.clone(), sealer.clone(), current, &previous));
        let api_key_digests = Arc::new(ApiKeyDigests::new(store.clone(), current, &previous));
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let (workers, queue) = settings.argon2_pool();
        let hasher = Arc::new(crate::hashing::Hasher::new(workers, queue, metrics.clone()));
        let cache = Arc::new(Cache::new(store.clone(), sealer, metrics.clone(), hasher));
        let (token_log, writer) = TokenLog::start(store.clone());
        let (use_log, use_writer) = crate::store::UseLog::start(store.clone());
        let admin_usage = Arc::new(crate::service::admin_auth::Usage::default());
        let audit_failures = Arc::new(std::sync::Mutex::new(crate::domain::audit::FailureThrottle::default()));
        let console_lifetime = crate::service::console_session::Lifetime {
            idle: chrono::TimeDelta::seconds(settings.console_idle_timeout_seconds as i64),
        };
        let mut tasks = vec![
            writer,
            use_writer,
            tokio::spawn(tasks::flush_admin_usage(store.clone(), admin_usage.clone())),
            tokio::spawn(tasks::record_held_back_failures(store.clone(), audit_failures.clone())),
            tokio::spawn(crate::cache::sync::run(cache.clone(), store.clone())),
            tokio::spawn(tasks::cleanup(store.clone(), cache.clone(), settings.audit_retention(), console_lifetime)),
        ];
        // Even without scheduled rotation: a next key published on request is promoted on time.
        tasks.push(tokio::spawn(tasks::rotate_keys(store.clone(), cache.clone(), settings.key_schedule())));
        let state = AppState::new(http::Shared {
            store: store.clone(),
            urls: Arc::new(Urls::new(public_url.clone(), settings.issuer_domain.clone())),
            admin_usage: admin_usage.clone(),
            admin_token_configured: settings.admin_token.is_some(),
            cache,
            token_log,
            use_log,
            metrics,
            metrics_token: settings.metrics_token.as_deref().map(|token| Arc::from(token_digest(token))),
            flows,
            api_key_digests,
            key_schedule: settings.key_schedule(),
            limiter: Arc::new(crate::limits::Limiter::new(settings.rate_limits())),
            audit_failures: audit_failures.clone(),
            proxies: Arc::new(settings.trusted_proxies()?),
            request_timeout: Duration::from_secs(settings.request_timeout_seconds),
            console_lifetime,
            clock_offset: chrono::TimeDelta::seconds(settings.test_clock_offset_seconds),
        });
        if settings.metrics_token.is_none() && !settings.listen.ip().is_loopback() {
            tracing::warn!("TESSERA_METRICS_TOKEN is not set: /metrics is open to anyone who can reach {address}");
        }
        let console = public_url.join("console").map(|url| url.to_string()).unwrap_or_default();
        tracing::info!(%address, public_url = %public_url, %console, database = %crate::config::redact_url(&settings.database_url), "tessera listening");
        let limits = settings.connection_limits();
        Ok(Application {
            listener,
            router: http::router(state),
            address,
            store,
            tasks,
            limits,
            admin_usage,
            audit_failures,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `signal` resolves, then finishes in-flight requests and closes the pools.
    pub async fn run_until_stopped(self, signal: impl Future<Output = ()> + Send + 'static) -> Result<(), String> {
        let served = http::serve(self.listener, self.router, self.limits, signal).await;
        // Every response has been sent, so every token record it acknowledged is committed.
        for task in &self.tasks {
            task.abort();
        }
        if let Err(e) = self.admin_usage.flush(&self.store).await {
            tracing::warn!(error = %e, "cannot record when admin credentials were last used");
        }
        crate::service::admin_auth::record_held_back_failures(&self.store, &self.audit_failures, chrono::Utc::now())
            .await;
        self.store.close().await;
        served.map_err(|e| format!("server error: {e}"))
    }
}

pub(crate) fn connect(settings: &Settings) -> Result<Store, String> {
    Store::connect(&ConnectOptions {
        url: settings.database_url.clone(),
        max_connections: settings.max_connections(),
        acquire_timeout: settings.acquire_timeout(),
    })
}

/// The sealer for private keys; without `TESSERA_ENCRYPTION_KEY`, says loudly that keys are stored in clear.
fn sealer(settings: &Settings) -> Result<Sealer, String> {
    let (current, previous) = settings.encryption_keys()?;
    if current.is_none() {
        tracing::warn!(
            "TESSERA_ENCRYPTION_KEY is not set: signing keys are stored UNENCRYPTED in the database. \
             Set a 32-byte key (e.g. `openssl rand -hex 32`) to encrypt them at rest."
        );
    }
    if settings.admin_token_on_command_line {
        tracing::warn!("--admin-token is visible to every user in `ps`: set TESSERA_ADMIN_TOKEN in the environment");
    }
    Sealer::new(current, &previous).map_err(|e| e.to_string())
}

/// Once an encryption key is set, seals what is still stored in clear. A database that is
/// down only postpones this to the next start.
async fn seal_clear_keys(store: &Store, sealer: &Sealer) -> Result<(), String> {
    match at_rest::seal_stored(store, sealer, at_rest::Pass::Clear, chrono::Utc::now()).await {
        Ok(sealed) if sealed.signing_keys > 0 || sealed.flow_key => {
            tracing::info!(
                signing_keys = sealed.signing_keys,
                flow_key = sealed.flow_key,
                key_id = sealer.current_key_id().unwrap_or_default(),
                "sealed the keys stored in clear under TESSERA_ENCRYPTION_KEY"
            );
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(at_rest::AtRestError::Store(e @ store::Error::Unavailable(_))) => {
            tracing::warn!(error = %e, "cannot seal the keys stored in clear now; the next start will");
            Ok(())
        }
        Err(e) => Err(format!("cannot seal the keys stored in clear: {e}")),
    }
}

/// A database that is still starting gets 30 seconds before we give up.
pub(crate) async fn migrate_with_retry(store: &Store) -> Result<(), String> {
    let mut attempt = 0;
    loop {
        match store.migrate().await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 10 => {
                attempt += 1;
                tracing::warn!(attempt, "migrations failed, retrying: {e}");
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            Err(e) => return Err(format!("migrations failed: {e}")),
        }
    }
}

/// The bootstrap credential, a full admin: its token is `TESSERA_ADMIN_TOKEN` when set; otherwise
/// a first start generates one and prints it.
async fn bootstrap_credential(settings: &Settings, store: &Store) -> Result<(), String> {
    let now = chrono::Utc::now();
    if let Some(token) = &settings.admin_token {
        let digest = token_digest(token);
        let origin = Origin::command_line("", "start with TESSERA_ADMIN_TOKEN", now);
        return match store::admin_credentials::set_bootstrap_token(store, &digest, &origin).await {
            // A node starts while the database is down (it answers 503 meanwhile); the token is
            // stored as soon as the database is back.
            Err(store::Error::Unavailable(e)) => {
                tracing::warn!(error = %e, "cannot store TESSERA_ADMIN_TOKEN yet; retrying in the background");
                tokio::spawn(store_admin_token_later(store.clone(), digest, origin));
                Ok(())
            }
            other => other.map_err(|e| format!("cannot store the admin token: {e}")),
        };
    }
    let token = AdminToken::generate();
    let origin = Origin::command_line("", "first start", now);
    let stored = store::admin_credentials::initialize_bootstrap(store, &token_digest(token.expose()), &origin)
        .await
        .map_err(|e| format!("cannot initialize the admin token: {e}"))?;
    if stored {
        print_admin_token("generated the admin token for /v1", &token);
    }
    Ok(())
}

async fn store_admin_token_later(store: Store, digest: String, origin: Origin) {
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        match store::admin_credentials::set_bootstrap_token(&store, &digest, &origin).await {
            Ok(()) => return tracing::info!("stored TESSERA_ADMIN_TOKEN"),
            Err(store::Error::Unavailable(_)) => continue,
            Err(e) => return tracing::error!(error = %e, "cannot store TESSERA_ADMIN_TOKEN"),
        }
    }
}

/// Printed to the terminal once, never through the log pipeline.
fn print_admin_token(what: &str, token: &AdminToken) {
    eprintln!(
        "\n  Tessera {what}; it is stored only as a hash and will not be shown again:\n\n    {}\n\n  \
         Use it as: Authorization: Bearer <token>, or sign in with it to the web console at /console.\n  \
         Lost it? Run `tessera rotate-admin-token`.\n",
        token.expose()
    );
}

pub async fn migrate(settings: &Settings) -> Result<(), String> {
    let store = connect(settings)?;
    let result = store.migrate().await.map_err(|e| format!("migrations failed: {e}"));
    store.close().await;
    result?;
    tracing::info!("migrations applied");
    Ok(())
}

pub async fn rotate_admin_token(settings: &Settings) -> Result<(), String> {
    if settings.admin_token.is_some() {
        return Err("TESSERA_ADMIN_TOKEN is set; change it there instead".to_owned());
    }
    let store = connect(settings)?;
    migrate_with_retry(&store).await?;
    let token = AdminToken::generate();
    let origin = crate::commands::operator("rotate-admin-token", chrono::Utc::now());
    let result = store::admin_credentials::set_bootstrap_token(&store, &token_digest(token.expose()), &origin).await;
    store.close().await;
    result.map_err(|e| format!("cannot store the admin token: {e}"))?;
    print_admin_token("rotated the admin token", &token);
    Ok(())
}

/// `tessera reseal`: seals every stored private key under the current encryption key, so
/// the previous keys are no longer needed; prints what it changed, never a key.
pub async fn reseal(settings: &Settings) -> Result<(), String> {
    settings.validate()?;
    let sealer = sealer(settings)?;
    let Some(key_id) = sealer.current_key_id().map(str::to_owned) else {
        return Err("TESSERA_ENCRYPTION_KEY is not set: there is no key to seal under".to_owned());
    };
    let store = connect(settings)?;
    migrate_with_retry(&store).await?;
    let result = at_rest::seal_stored(&store, &sealer, at_rest::Pass::All, chrono::Utc::now()).await;
    store.close().await;
    let sealed = result.map_err(|e| format!("reseal failed, nothing changed: {e}"))?;
    println!(
        "Resealed {} signing keys under encryption key {key_id} ({} already were){}.",
        sealed.signing_keys,
        sealed.unchanged,
        if sealed.flow_key { ", and the retired flow key" } else { "" }
    );
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing in-flight requests");
}
