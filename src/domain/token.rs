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
}
