//! Settings from command-line flags with environment fallbacks.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use url::Url;

#[derive(Debug, Parser)]
#[command(name = "tessera", version, about = "Self-hosted OAuth 2.0 / OpenID Connect authorization server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the management API and the issuer endpoints (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Replace the stored admin token with a new one and print it once.
    RotateAdminToken,
    /// Re-encrypt every stored private key under TESSERA_ENCRYPTION_KEY, so previous keys can go.
    Reseal,
    /// Create, list or disable admin credentials directly in the database (bootstrap and
    /// break-glass: works while no admin token is at hand).
    #[command(subcommand)]
    AdminCredentials(AdminCredentialsCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminCredentialsCommand {
    /// Create a credential and print its token once.
    Create {
        /// A unique name, e.g. the team or the system that will hold it.
        #[arg(long)]
        name: String,
        /// admin, auth-server-admin, read-only, login-page or registration-admin.
        #[arg(long)]
        role: String,
        /// An auth server id the credential is scoped to; repeat for several.
        #[arg(long = "auth-server")]
        auth_servers: Vec<uuid::Uuid>,
        /// When the credential stops working (RFC 3339, e.g. 2027-01-31T00:00:00Z).
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// List every credential (never a token).
    List,
    /// Disable a credential, by id or name; its token stops working at once on every node.
    Disable {
        /// The credential's id or name.
        credential: String,
    },
}

impl Cli {
    /// Parses the command line (`std::env::args_os()` in `main`), noting whether the admin
    /// token came from a flag, where `ps` shows it, rather than from the environment.
    pub fn parse_args<T: Into<std::ffi::OsString> + Clone>(
        args: impl IntoIterator<Item = T>,
    ) -> Result<Cli, clap::Error> {
        use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
        let matches = Cli::command().try_get_matches_from(args)?;
        let mut cli = Cli::from_arg_matches(&matches)?;
        let from_flag = |m: &clap::ArgMatches| m.value_source("admin_token") == Some(ValueSource::CommandLine);
        cli.settings.admin_token_on_command_line =
            from_flag(&matches) || matches.subcommand().is_some_and(|(_, sub)| from_flag(sub));
        Ok(cli)
    }
}

/// The encryption key (if any) and the previous ones.
pub type EncryptionKeys = (Option<[u8; 32]>, Vec<[u8; 32]>);

/// `production` refuses settings that are only fit for development.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    #[default]
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Every setting, as a flag or an environment variable.
#[derive(Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "TESSERA_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    pub listen: SocketAddr,

    /// Public base URL of this service, used to build issuer URLs [default: http://<listen>].
    #[arg(long, env = "TESSERA_PUBLIC_URL", global = true)]
    pub public_url: Option<Url>,

    /// Database: sqlite://PATH?mode=rwc (embedded) or postgres://USER@HOST/DB.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://tessera.db?mode=rwc", global = true)]
    pub database_url: String,

    /// Maximum database connections per node [default: 10 for Postgres, 4 for SQLite].
    #[arg(long, env = "TESSERA_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,

    /// Bearer token for the /v1 management API. Unset: generated once, stored hashed, printed at first start.
    #[arg(long, env = "TESSERA_ADMIN_TOKEN", hide_env_values = true, global = true)]
    pub admin_token: Option<String>,

    /// Bearer token /metrics requires (at least 16 characters). Unset: /metrics is open to anyone who can reach it.
    #[arg(long, env = "TESSERA_METRICS_TOKEN", hide_env_values = true, global = true)]
    pub metrics_token: Option<String>,

    /// 32-byte key (64 hex digits or base64) that encrypts signing keys at rest (AES-256-GCM).
    #[arg(long, env = "TESSERA_ENCRYPTION_KEY", hide_env_values = true, global = true)]
    pub encryption_key: Option<String>,

    /// Previous encryption keys, comma-separated: they still open what they sealed, until `tessera reseal`.
    #[arg(long, env = "TESSERA_ENCRYPTION_KEY_PREVIOUS", value_delimiter = ',', hide_env_values = true, global = true)]
    pub encryption_key_previous: Vec<String>,

    /// `production` refuses to start without an encryption key or with --admin-token on the command line.
    #[arg(long, env = "TESSERA_MODE", value_enum, default_value_t = Mode::Development, global = true)]
    pub mode: Mode,

    /// Whether --admin-token was given on the command line (set by `Cli::parse_args`).
    #[arg(skip)]
    pub admin_token_on_command_line: bool,

    /// A signing key signs this many days, then the next key (published ahead) takes over; 0 turns
    /// scheduled rotation off.
    #[arg(long, env = "TESSERA_KEY_ROTATION_DAYS", default_value_t = 90, global = true)]
    pub key_rotation_days: u32,

    /// Publish a new signing key in the JWKS this many seconds before it signs (at least 300,
    /// the JWKS cache lifetime; at most the rotation period). Set it to the longest time your
    /// gateways cache a JWKS.
    #[arg(long, env = "TESSERA_KEY_PUBLISH_LEAD_SECONDS", default_value_t = 86_400, global = true)]
    pub key_publish_lead_seconds: u32,

    /// Audit events are kept this many days, then purged in the background; 0 keeps them forever.
    #[arg(long, env = "TESSERA_AUDIT_RETENTION_DAYS", default_value_t = 90,
          value_parser = clap::value_parser!(u32).range(0..=36_500), global = true)]
    pub audit_retention_days: u32,

    /// Serve issuers as https://<slug>.<domain>/auth (wildcard DNS) instead of <public url>/<slug>/auth.
    #[arg(long, env = "TESSERA_ISSUER_DOMAIN", global = true)]
    pub issuer_domain: Option<String>,

    /// Apply migrations at start.
    #[arg(long, env = "TESSERA_AUTO_MIGRATE", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub auto_migrate: bool,

    /// Log filter, in tracing's EnvFilter syntax.
    #[arg(long, env = "TESSERA_LOG", default_value = "info,sqlx=warn", global = true)]
    pub log: String,

    /// Log line format.
    #[arg(long, env = "TESSERA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Seconds a client has to send a request's header; also how long an idle connection stays open.
    #[arg(long, env = "TESSERA_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=300), global = true)]
    pub header_read_timeout_seconds: u64,

    /// Connections served at once; past it, new connections wait in the listen backlog.
    #[arg(long, env = "TESSERA_MAX_CONNECTIONS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000), global = true)]
    pub max_connections: u64,

    /// Seconds a request may take before it is answered 503; the connection stays usable.
    #[arg(long, env = "TESSERA_REQUEST_TIMEOUT_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=600), global = true)]
    pub request_timeout_seconds: u64,

    /// Seconds a web console session may go without requests before it ends (it ends 12 hours
    /// after sign-in in any case).
    #[arg(long, env = "TESSERA_CONSOLE_IDLE_TIMEOUT_SECONDS", default_value_t = 1800,
          value_parser = clap::value_parser!(u64).range(1..=43_200), global = true)]
    pub console_idle_timeout_seconds: u64,

    /// Proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For is believed.
    #[arg(long, env = "TESSERA_TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<String>,

    /// Requests per second per source address at the token, introspection, revocation and
    /// registration endpoints, on this node; 0 (the default): no limit. One gateway may send
    /// tens of thousands of introspections a second from one address.
    #[arg(long, env = "TESSERA_RATE_LIMIT_PER_ADDRESS", default_value_t = 0, global = true)]
    pub rate_limit_per_address: u32,

    /// Dynamic Client Registration requests per second per source address, on this node; 0: no limit.
    #[arg(long, env = "TESSERA_RATE_LIMIT_REGISTRATIONS_PER_ADDRESS", default_value_t = 10, global = true)]
    pub rate_limit_registrations_per_address: u32,

    /// Authenticated requests per second per client at those endpoints, on this node; 0: no limit.
    #[arg(long, env = "TESSERA_RATE_LIMIT_PER_CLIENT", default_value_t = 0, global = true)]
    pub rate_limit_per_client: u32,

    /// Failed authentications of one client from one source address (or of /v1 from one
    /// address) let through before further attempts are delayed.
    #[arg(long, env = "TESSERA_AUTH_FAILURES_BEFORE_BACKOFF", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub auth_failures_before_backoff: u32,

    /// Failed client authentications from one source address, whichever clients they name,
    /// let through before further attempts from that address are delayed.
    #[arg(long, env = "TESSERA_AUTH_FAILURES_PER_ADDRESS_BEFORE_BACKOFF", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub auth_failures_per_address_before_backoff: u32,

    /// The longest delay after repeated failed authentications (it starts at 1 s and doubles).
    #[arg(long, env = "TESSERA_AUTH_BACKOFF_MAX_SECONDS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400), global = true)]
    pub auth_backoff_max_seconds: u64,

    /// FOR TESTS ONLY: shifts this node's clock by this many seconds (negative: behind), to
    /// prove that nodes never compare clocks. Hidden; never set it in production.
    #[arg(
        long,
        env = "TESSERA_TEST_CLOCK_OFFSET_SECONDS",
        default_value_t = 0,
        allow_hyphen_values = true,
        hide = true,
        global = true
    )]
    pub test_clock_offset_seconds: i64,

    /// Argon2 worker threads, each keeping 19 MiB of working memory [default: one per core].
    #[arg(long, env = "TESSERA_ARGON2_THREADS", value_parser = clap::value_parser!(u64).range(1..=256), global = true)]
    pub argon2_threads: Option<u64>,

    /// Argon2 jobs that may wait for a thread; past them, requests get 503 at once [default: 32 per thread].
    #[arg(long, env = "TESSERA_ARGON2_QUEUE", value_parser = clap::value_parser!(u64).range(0..=100_000), global = true)]
    pub argon2_queue: Option<u64>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url.as_ref().map(Url::as_str))
            .field("database_url", &redact_url(&self.database_url))
            .field("admin_token", &self.admin_token.as_ref().map(|_| "<redacted>"))
            .field("encryption_key", &self.encryption_key.as_ref().map(|_| "<redacted>"))
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "<redacted>"))
            .field("encryption_key_previous", &format_args!("<{} redacted>", self.encryption_key_previous.len()))
            .field("mode", &self.mode)
            .field("key_rotation_days", &self.key_rotation_days)
            .field("audit_retention_days", &self.audit_retention_days)
            .field("key_publish_lead_seconds", &self.key_publish_lead_seconds)
            .field("issuer_domain", &self.issuer_domain)
            .field("auto_migrate", &self.auto_migrate)
            .finish_non_exhaustive()
    }
}

/// Hides a password in a database URL.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("<redacted>"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

impl Settings {
    /// Settings for an in-process server, as tests use it: port 0, the given database.
    pub fn for_tests(database_url: String, admin_token: &str) -> Settings {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            database_url,
            db_max_connections: Some(5),
            admin_token: Some(admin_token.to_owned()),
            metrics_token: None,
            encryption_key: None,
            encryption_key_previous: Vec::new(),
            mode: Mode::Development,
            admin_token_on_command_line: false,
            key_rotation_days: 90,
            key_publish_lead_seconds: 86_400,
            audit_retention_days: 90,
            issuer_domain: None,
            auto_migrate: true,
            log: "warn".to_owned(),
            log_format: LogFormat::Text,
            header_read_timeout_seconds: 10,
            max_connections: 10_000,
            request_timeout_seconds: 30,
            console_idle_timeout_seconds: 1800,
            trusted_proxies: Vec::new(),
            rate_limit_per_address: 0,
            rate_limit_registrations_per_address: 0,
            rate_limit_per_client: 0,
            // Tests about other rules send many wrong credentials from one address; the tests of
            // the backoff itself (tests/api/rate_limits.rs) set their own thresholds or the defaults.
            auth_failures_before_backoff: 1_000,
            auth_failures_per_address_before_backoff: 1_000,
            auth_backoff_max_seconds: 300,
            test_clock_offset_seconds: 0,
            argon2_threads: None,
            argon2_queue: None,
        }
    }

    /// How long audit events are kept; `None`: forever.
    pub fn audit_retention(&self) -> Option<chrono::TimeDelta> {
        (self.audit_retention_days > 0).then(|| chrono::TimeDelta::days(i64::from(self.audit_retention_days)))
    }

    /// The trusted proxies, parsed.
    pub fn trusted_proxies(&self) -> Result<crate::limits::TrustedProxies, String> {
        crate::limits::TrustedProxies::parse(&self.trusted_proxies).map_err(|e| format!("TESSERA_TRUSTED_PROXIES: {e}"))
    }

    /// The rate limits and authentication backoff this node enforces.
    pub fn rate_limits(&self) -> crate::limits::Settings {
        let backoff = crate::limits::BackoffPolicy {
            failures_allowed: self.auth_failures_before_backoff,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(self.auth_backoff_max_seconds),
        };
        crate::limits::Settings {
            per_address: crate::limits::Rate::per_second(self.rate_limit_per_address),
            registrations_per_address: crate::limits::Rate::per_second(self.rate_limit_registrations_per_address),
            per_client: crate::limits::Rate::per_second(self.rate_limit_per_client),
            client_backoff: backoff,
            source_backoff: crate::limits::BackoffPolicy {
                failures_allowed: self.auth_failures_per_address_before_backoff,
                ..backoff
            },
            admin_backoff: backoff,
            capacity: crate::limits::DEFAULT_CAPACITY,
        }
    }

    /// Argon2 worker threads and waiting jobs.
    pub fn argon2_pool(&self) -> (usize, usize) {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        let threads = self.argon2_threads.and_then(|n| usize::try_from(n).ok()).unwrap_or(cores);
        let queue = self.argon2_queue.and_then(|n| usize::try_from(n).ok()).unwrap_or(32 * threads);
        (threads, queue)
    }

    pub fn connection_limits(&self) -> crate::http::ConnectionLimits {
        crate::http::ConnectionLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_seconds),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
        }
    }

    /// Checks what clap cannot: an admin token long enough, a usable public URL and domain.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(token) = &self.admin_token {
            if token.len() < 16 {
                return Err("TESSERA_ADMIN_TOKEN must have at least 16 characters".to_owned());
            }
        }
        if self.metrics_token.as_ref().is_some_and(|token| token.len() < 16) {
            return Err("TESSERA_METRICS_TOKEN must have at least 16 characters".to_owned());
        }
        let (current, _) = self.encryption_keys()?;
        if self.mode == Mode::Production && current.is_none() {
            return Err(
                "TESSERA_MODE=production needs TESSERA_ENCRYPTION_KEY: private keys must not be stored in clear"
                    .to_owned(),
            );
        }
        if self.mode == Mode::Production && self.admin_token_on_command_line {
            return Err("TESSERA_MODE=production refuses --admin-token on the command line, where `ps` shows it to \
                        every user: set TESSERA_ADMIN_TOKEN in the environment instead"
                .to_owned());
        }
        self.check_key_publish_lead()?;
        self.trusted_proxies()?;
        if let Some(url) = &self.public_url {
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(format!("TESSERA_PUBLIC_URL {url} must be an http(s) URL with a host"));
            }
            if url.query().is_some() || url.fragment().is_some() {
                return Err(format!("TESSERA_PUBLIC_URL {url} must not have a query or fragment"));
            }
        }
        if let Some(domain) = &self.issuer_domain {
            let valid = !domain.is_empty()
                && domain.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if !valid {
                return Err(format!(
                    "TESSERA_ISSUER_DOMAIN {domain:?} must be a DNS name such as identity.example.com"
                ));
            }
        }
        Ok(())
    }

    /// The encryption key and the previous ones, parsed.
    pub fn encryption_keys(&self) -> Result<EncryptionKeys, String> {
        let current = self.encryption_key.as_deref().map(crate::keys::parse_encryption_key).transpose()?;
        let previous = (self.encryption_key_previous.iter().map(|key| key.trim()).filter(|key| !key.is_empty()))
            .map(|key| crate::keys::parse_encryption_key(key).map_err(|e| e.replace("_KEY ", "_KEY_PREVIOUS ")))
            .collect::<Result<Vec<_>, _>>()?;
        if current.is_none() && !previous.is_empty() {
            return Err(
                "TESSERA_ENCRYPTION_KEY_PREVIOUS needs TESSERA_ENCRYPTION_KEY, the key to seal under".to_owned()
            );
        }
        Ok((current, previous))
    }

    /// A next key must be published at least as long as gateways may cache the JWKS, and no
    /// longer than a key signs (else every key would sign for the lead time, not the period).
    fn check_key_publish_lead(&self) -> Result<(), String> {
        let lead = i64::from(self.key_publish_lead_seconds);
        if lead < crate::keys::JWKS_MAX_AGE_SECONDS {
            return Err(format!(
                "TESSERA_KEY_PUBLISH_LEAD_SECONDS must be at least {}, how long gateways may cache the JWKS, not {lead}",
                crate::keys::JWKS_MAX_AGE_SECONDS
            ));
        }
        let period = i64::from(self.key_rotation_days) * 86_400;
        if self.key_rotation_days > 0 && lead > period {
            return Err(format!(
                "TESSERA_KEY_PUBLISH_LEAD_SECONDS ({lead}) must not exceed TESSERA_KEY_ROTATION_DAYS ({} days = {period} s)",
                self.key_rotation_days
            ));
        }
        Ok(())
    }

    /// Scheduled rotation and the lead time of next keys.
    pub fn key_schedule(&self) -> crate::keys::Schedule {
        crate::keys::Schedule::new(self.key_rotation_days, self.key_publish_lead_seconds)
    }

    /// SQLite has one writer and a worker thread per connection, so a small pool serves it
    /// as fast and keeps memory down; Postgres gets more.
    pub fn max_connections(&self) -> u32 {
        self.db_max_connections.unwrap_or(if self.database_url.starts_with("sqlite:") { 4 } else { 10 })
    }

    /// One short wait for a pooled connection: a request answers 503 within a second when the
    /// database is down (later ones at once, see `store::health`), never after a chain of waits.
    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(750)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "a-long-enough-admin-token";

    fn parse(args: &[&str]) -> Settings {
        Cli::parse_args(std::iter::once("tessera").chain(args.iter().copied())).unwrap().settings
    }

    #[test]
    fn production_mode_refuses_to_start_without_an_encryption_key_or_with_a_command_line_admin_token() {
        let key = "ab".repeat(32);
        let cases: [(&[&str], Option<&str>, &str); 5] = [
            (&["--mode", "production"], Some("TESSERA_ENCRYPTION_KEY"), "no encryption key"),
            (
                &["--mode", "production", "--encryption-key", &key, "--admin-token", TOKEN],
                Some("--admin-token"),
                "flag",
            ),
            (&["serve", "--mode", "production", "--encryption-key", &key, "--admin-token", TOKEN], Some("ps"), "after"),
            (&["--mode", "production", "--encryption-key", &key], None, "a key and no flag: fine"),
            (&["--admin-token", TOKEN], None, "development only warns"),
        ];
        for (args, refused, case) in cases {
            match (parse(args).validate(), refused) {
                (Err(error), Some(needle)) => assert!(error.contains(needle), "{case}: {error}"),
                (Ok(()), None) => {}
                (outcome, _) => panic!("{case}: {outcome:?}"),
            }
        }
        assert!(parse(&["--admin-token", TOKEN]).admin_token_on_command_line);
        assert!(!parse(&[]).admin_token_on_command_line);
    }

    #[test]
    fn previous_encryption_keys_are_a_list_that_needs_a_current_key() {
        let (a, b, c) = ("aa".repeat(32), "bb".repeat(32), "cc".repeat(32));
        let settings = parse(&["--encryption-key", &a, "--encryption-key-previous", &format!("{b},{c}")]);
        assert_eq!(settings.encryption_keys().unwrap(), (Some([0xaa; 32]), vec![[0xbb; 32], [0xcc; 32]]));
        let error = parse(&["--encryption-key-previous", &b]).validate().unwrap_err();
        assert!(error.contains("needs TESSERA_ENCRYPTION_KEY"), "{error}");
        let error = parse(&["--encryption-key", &a, "--encryption-key-previous", "short"]).validate().unwrap_err();
        assert!(error.contains("TESSERA_ENCRYPTION_KEY_PREVIOUS"), "{error}");
    }

    #[test]
    fn the_key_publish_lead_must_cover_the_jwks_cache_and_fit_in_the_rotation_period() {
        let with = |days: u32, lead: u32| {
            let mut settings = Settings::for_tests("sqlite::memory:".into(), "0123456789abcdef");
            (settings.key_rotation_days, settings.key_publish_lead_seconds) = (days, lead);
            settings.validate()
        };
        assert_eq!(with(90, 86_400), Ok(()), "the defaults");
        assert_eq!(with(90, 300), Ok(()), "as long as the JWKS may be cached");
        assert!(with(90, 299).unwrap_err().contains("at least 300"), "shorter than the JWKS cache");
        assert_eq!(with(1, 86_400), Ok(()), "a next key waiting all the time");
        assert!(with(1, 86_401).unwrap_err().contains("must not exceed"), "longer than a key signs");
        assert_eq!(with(0, 30 * 86_400), Ok(()), "any lead time without scheduled rotation");
    }
}
