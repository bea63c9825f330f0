//! One integration-test binary. Every test runs against the real router over HTTP with a
//! fresh database, once on SQLite and once on Postgres (see `helpers::backend_tests!`), and
//! every response is checked against `openapi.yaml`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod browser;
mod helpers;
mod process;
mod spec;

mod admin_auth;
mod admin_auth_servers;
mod admin_claims;
mod admin_client_secrets;
mod admin_clients;
mod admin_credentials;
mod admin_scopes;
mod admin_tokens;
mod api_keys;
mod audit;
mod basic_auths;
mod claim_templates;
mod client_assertion;
mod console;
mod console_browser;
mod directories;
mod exchange_policies;
mod gateway_example;
mod hashing;
mod hostile_load;
mod identities;
mod issuer_cors;
mod jose;
mod jwt_bearer;
mod key_rotation;
mod keys_at_rest;
mod lookup;
mod multi_node;
mod oauth_discovery;
mod oauth_interactive;
mod oauth_introspection;
mod oauth_token;
mod openapi;
mod operations;
mod outage;
mod pages_metrics_logs;
mod principal_claims;
mod principals;
mod rate_limits;
mod registration;
mod resource_indicators;
mod resources;
mod security;
mod token_exchange;
mod tracing;
mod trusted_issuers;
