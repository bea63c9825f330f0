//! Tessera: a self-hosted OAuth 2.0 / OpenID Connect authorization server whose management
//! API is shaped like Kong Identity's.
//!
//! A request travels `http` → `service` → (`oauth` rules, `store`, `cache`, `keys`) and back.

/// What issuer endpoints read on every request, in memory, kept right across nodes.
pub mod cache;
/// Claims of issued tokens: the claim context of templates and which claims a token gets.
pub mod claims;
/// Subcommands that work on the database directly: admin credentials for bootstrap and break-glass.
pub mod commands;
/// Settings from flags and environment variables.
pub mod config;
/// Entities and validated newtypes, without I/O.
pub mod domain;
/// The one bounded Argon2 pool: worker threads that reuse their memory, refusing when full.
pub mod hashing;
/// axum: the /v1 management API, the issuer endpoints, operational endpoints; adapters only.
pub mod http;
/// Signing keys: generation, rotation, encryption at rest, signers and verifiers.
pub mod keys;
/// Rate limits, failed-authentication backoff and trusted proxies, in process and bounded.
pub mod limits;
/// Prometheus metrics.
pub mod metrics;
/// OAuth 2.0 / OpenID Connect protocol rules, pure: no framework, no database.
pub mod oauth;
/// What each issuer endpoint does (grants, client authentication, minting), free of HTTP.
pub mod service;
/// Application: bind, connect, build the state and the router, start the background loops.
pub mod startup;
/// The only module that touches the database (SQLite or Postgres, one SQL text for both).
pub mod store;
/// Background loops, scheduled.
pub mod tasks;
/// Logging and tracing setup.
pub mod telemetry;
