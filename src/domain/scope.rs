//! Scopes of an auth server.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::ScopeName;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub id: Uuid,
    pub auth_server_id: Uuid,
    pub name: ScopeName,
    pub description: String,
    /// Granted when a client requests no scope, if the client may have it.
    pub is_default: bool,
    /// Listed in `scopes_supported` of the discovery document.
    pub include_in_metadata: bool,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
impl Scope {
    /// An enabled, non-default scope of no auth server, for unit tests.
    pub fn named(name: &str) -> Scope {
        Scope {
            id: Uuid::new_v4(),
            auth_server_id: Uuid::nil(),
            name: ScopeName::parse(name.to_owned()).unwrap_or_else(|_| unreachable!("{name}")),
            description: String::new(),
            is_default: false,
            include_in_metadata: false,
            enabled: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }
}
