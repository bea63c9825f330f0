//! Custom claims added to tokens.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Invalid, Name, check_length};

pub const MAX_VALUE_LENGTH: usize = 16 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub id: Uuid,
    pub auth_server_id: Uuid,
    pub name: Name,
    /// A static value or a template; rendered and typed when a token is minted.
    pub value: String,
    pub include_in_token: bool,
    pub include_in_all_scopes: bool,
    /// Scope ids, in the order given.
    pub include_in_scopes: Vec<Uuid>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn parse_value(value: String) -> Result<String, Invalid> {
    check_length(&value, 1, MAX_VALUE_LENGTH)?;
    Ok(value)
}
