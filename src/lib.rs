//! Tessera: a self-hosted OAuth 2.0 / OpenID Connect authorization server whose management
//! API is shaped like Kong Identity's.

pub mod config;
pub mod domain;
pub mod http;
pub mod startup;
pub mod store;
pub mod telemetry;
