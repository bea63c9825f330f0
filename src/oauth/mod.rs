//! OAuth 2.0 / OpenID Connect protocol rules, pure: no HTTP framework, no database, no clock
//! of their own. `service/` applies them with the store and the caches; `http/` adapts.
//!
//! ```text
//!  client ──POST $ISSUER/oauth/token──▶ http/issuer/token ─▶ service::grants::exchange
//!             ─▶ client_auth (+ client_assertion) ─▶ TokenRequest ─▶ match grant type
//!             ─▶ scope::grant · flow (codes) ─▶ claims::select ─▶ issue (claims) ─▶ keys (sign) ─▶ JWT
//!  browser ─GET $ISSUER/oauth/authorize──▶ authorize::validate ─▶ flow (sealed challenge) ─▶ login page
//!  gateway ─GET $ISSUER/.well-known/openid-configuration──▶ discovery ─▶ jwks_uri ─▶ verify offline
//!  gateway ─POST $ISSUER/introspect (token)──▶ introspect: signature, iss, exp, revoked
//!  client ──POST $ISSUER/oauth/revoke (token)──▶ revoke: recorded, synced to every node
//!  app ─────GET $ISSUER/userinfo (bearer)──▶ bearer (RFC 6750) ─▶ claims of the signed-in user
//! ```

pub mod authorize;
pub mod bearer;
pub mod client_assertion;
pub mod client_auth;
pub mod discovery;
pub mod error;
pub mod federated_assertion;
pub mod flow;
pub mod form;
pub mod introspect;
pub mod issue;
pub mod jwt;
pub mod registration;
pub mod resource;
pub mod scope;
pub mod token_exchange;

pub use error::OAuthError;
