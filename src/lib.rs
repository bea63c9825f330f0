//! Tessera: a self-hosted OAuth 2.0 / OpenID Connect authorization server whose management
//! API is shaped like Kong Identity's.

pub mod cache;
pub mod claims;
pub mod config;
pub mod domain;
pub mod http;
pub mod keys;
pub mod metrics;
pub mod oauth;
pub mod startup;
pub mod store;
pub mod tasks;
pub mod telemetry;
