//! Issued access tokens as the management API lists them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::ClientId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// The token's `jti`.
    pub id: Uuid,
    pub auth_server_id: Uuid,
    pub client_id: ClientId,
    pub granted_scope_names: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The end user it was issued for (authorization code, implicit, refresh); `None` for
    /// client_credentials tokens, whose subject is the client.
    pub subject: Option<String>,
    /// Claims the login page gave for that user (a JSON object), which userinfo serves.
    pub user_claims: Option<String>,
}
