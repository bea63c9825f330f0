//! Basic-auth credentials of principals (Kong Identity v2): a username, unique within its
//! directory, and up to two passwords so a caller can rotate without downtime.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::directory::ManagedBy;
use super::secret::ClientSecret;
use super::{Invalid, check_length};

/// Kong's limits: 5 credentials of each type per principal, 2 passwords per username.
pub const MAX_PER_PRINCIPAL: i64 = 5;
pub const MAX_PASSWORDS: i64 = 2;

/// A username: 1–255 characters, without a colon (RFC 7617 §2: the user-id cannot contain
/// one) or control characters (they cannot travel in an `Authorization` header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(value: String) -> Result<Username, Invalid> {
        check_length(&value, 1, 255)?;
        if value.contains(':') {
            return Err(Invalid::new("invalid", "must not contain a colon (RFC 7617 §2)"));
        }
        if value.chars().any(char::is_control) {
            return Err(Invalid::new("invalid", "must not contain control characters"));
        }
        Ok(Username(value))
    }

    /// A username read back from the database, checked when it was written.
    pub fn trusted(value: String) -> Username {
        Username(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as given: 1–255 characters (`CreatePasswordBody.secret`), without control
/// characters; hashed like a client secret.
pub fn parse_password(value: String) -> Result<ClientSecret, Invalid> {
    check_length(&value, 1, 255)?;
    ClientSecret::parse(value)
}

#[derive(Clone, Debug, PartialEq)]
pub struct BasicAuth {
    pub id: Uuid,
    pub directory_id: Uuid,
    pub principal_id: Uuid,
    pub username: Username,
    pub managed_by: ManagedBy,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored password, without its secret (only its hash is kept, by the store).
#[derive(Clone, Debug, PartialEq)]
pub struct Password {
    pub id: Uuid,
    pub basic_auth_id: Uuid,
    pub expires_at: Option<DateTime<Utc>>,
    pub managed_by: ManagedBy,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// What an audit event records of a basic-auth credential.
impl super::audit::Snapshot for BasicAuth {
    fn snapshot(&self) -> Map<String, Value> {
        object(json!({
            "principal_id": self.principal_id,
            "username": self.username.as_str(),
            "managed_by": self.managed_by,
        }))
    }
}

/// What an audit event records of a password: never the secret nor its hash.
impl super::audit::Snapshot for Password {
    fn snapshot(&self) -> Map<String, Value> {
        object(json!({
            "basic_auth_id": self.basic_auth_id,
            "expires_at": self.expires_at.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            "managed_by": self.managed_by,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_fit_a_basic_authorization_header() {
        assert!(Username::parse("acme-billing@example.com".to_owned()).is_ok());
        assert!(Username::parse("é".repeat(255)).is_ok());
        for bad in ["", "a:b", "tab\there", "line\nbreak"] {
            assert!(Username::parse(bad.to_owned()).is_err(), "{bad:?}");
        }
        assert!(Username::parse("a".repeat(256)).is_err());
    }

    #[test]
    fn passwords_are_one_to_255_characters() {
        assert!(parse_password("p".to_owned()).is_ok());
        assert!(parse_password("p".repeat(255)).is_ok());
        assert!(parse_password(String::new()).is_err());
        assert!(parse_password("p".repeat(256)).is_err());
        assert!(parse_password("bell\u{7}".to_owned()).is_err());
    }
}
