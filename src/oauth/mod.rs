//! OAuth 2.0 protocol logic, free of HTTP framework and database.
//!
//! ```text
//!  client ──POST $ISSUER/oauth/token (client_credentials)──▶ client_auth ─▶ scope::grant
//!                                                           ─▶ claims::select ─▶ issue::mint ─▶ JWT
//!  gateway ─GET $ISSUER/.well-known/openid-configuration──▶ discovery ─▶ jwks_uri ─▶ verify offline
//!  gateway ─POST $ISSUER/introspect (token)───────────────▶ introspect: signature, iss, exp, revoked
//!  client ──POST $ISSUER/oauth/revoke (token)─────────────▶ revoke: recorded, synced to every node
//! ```

pub mod authorize;
pub mod bearer;
pub mod client_assertion;
pub mod client_auth;
pub mod discovery;
pub mod error;
pub mod flow;
pub mod form;
pub mod introspect;
pub mod issue;
pub mod registration;
pub mod scope;

pub use error::OAuthError;
