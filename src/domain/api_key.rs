//! API keys of principals (Kong Identity v2): generated (`v1`) or imported, shown once, and
//! stored only as a keyed lookup digest so a presented key is found with one indexed lookup.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::directory::ManagedBy;
use super::{Invalid, check_length, random};

/// Kong's limit: 5 credentials of each type per principal.
pub const MAX_KEYS_PER_PRINCIPAL: i64 = 5;

/// An API key in clear, as generated or imported. Never logged (no `Debug` output).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeySecret(<redacted>)")
    }
}

impl ApiKeySecret {
    /// Recognisable in logs, configuration and secret scanners.
    pub const PREFIX: &'static str = "tsk_";
    const GENERATED_LENGTH: usize = 40;
    /// `CreatePrincipalKeyBodyImported.secret`: 1–255 characters.
    const MAX_IMPORTED_LENGTH: usize = 255;

    /// `tsk_` and 40 characters of `[A-Za-z0-9]` (238 bits).
    pub fn generate() -> ApiKeySecret {
        ApiKeySecret(format!("{}{}", Self::PREFIX, random::alphanumeric(Self::GENERATED_LENGTH)))
    }

    /// An imported key: 1–255 characters without control characters (a gateway reads it from
    /// a header or query parameter).
    pub fn parse(value: String) -> Result<ApiKeySecret, Invalid> {
        check_length(&value, 1, Self::MAX_IMPORTED_LENGTH)?;
        if value.chars().any(char::is_control) {
            return Err(Invalid::new("invalid", "must not contain control characters"));
        }
        Ok(ApiKeySecret(value))
    }

    /// A key presented for authentication, taken as it is: an unknown key simply finds nothing.
    pub fn presented(value: &str) -> ApiKeySecret {
        ApiKeySecret(value.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The server key of lookup digests: `HMAC-SHA256(key, api key)`, so a copy of the database
/// alone does not allow guessing low-entropy imported keys offline.
#[derive(Clone)]
pub struct DigestKey(aws_lc_rs::hmac::Key);

impl DigestKey {
    const LABEL: &'static [u8] = b"tessera api key lookup v1";

    pub fn new(bytes: &[u8; 32]) -> DigestKey {
        DigestKey(aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, bytes))
    }

    /// The digest key for a configured encryption key: HMAC-SHA256 of a fixed label, so the
    /// encryption key itself never digests anything.
    pub fn derive(master: &[u8; 32]) -> DigestKey {
        let mac_key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, master);
        let mut key = [0u8; 32];
        key.copy_from_slice(&aws_lc_rs::hmac::sign(&mac_key, Self::LABEL).as_ref()[..32]);
        DigestKey::new(&key)
    }

    /// Lowercase hex of `HMAC-SHA256(self, key)`, as stored.
    pub fn digest(&self, key: &ApiKeySecret) -> String {
        hex::encode(self.mac(key))
    }

    /// `HMAC-SHA256(self, key)`.
    pub fn mac(&self, key: &ApiKeySecret) -> [u8; 32] {
        let mut mac = [0u8; 32];
        mac.copy_from_slice(aws_lc_rs::hmac::sign(&self.0, key.expose().as_bytes()).as_ref());
        mac
    }
}

/// The digest keys in use: `current` digests new keys; `older` ones (from previous encryption
/// keys, or the generated key an encryption key replaced) still find the keys they digested.
#[derive(Clone)]
pub struct LookupKeys {
    pub current: DigestKey,
    pub older: Vec<DigestKey>,
}

impl LookupKeys {
    /// The key's digest under every digest key, the current one first.
    pub fn digests(&self, key: &ApiKeySecret) -> Vec<String> {
        std::iter::once(&self.current).chain(&self.older).map(|digest_key| digest_key.digest(key)).collect()
    }
}

/// `type` of `CreatePrincipalKeyBody`: generated here (`v1`) or brought along (`imported`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Generated,
    Imported,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Generated => "v1",
            KeyKind::Imported => "imported",
        }
    }

    pub fn parse(value: &str) -> Result<KeyKind, Invalid> {
        match value {
            "v1" => Ok(KeyKind::Generated),
            "imported" => Ok(KeyKind::Imported),
            _ => Err(Invalid::one_of(&["imported", "v1"])),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ApiKey {
    pub id: Uuid,
    pub directory_id: Uuid,
    pub principal_id: Uuid,
    pub kind: KeyKind,
    pub expires_at: Option<DateTime<Utc>>,
    pub managed_by: ManagedBy,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an audit event records of a key: never the key, never its digest.
impl super::audit::Snapshot for ApiKey {
    fn snapshot(&self) -> Map<String, Value> {
        let value = serde_json::json!({
            "principal_id": self.principal_id,
            "type": self.kind.as_str(),
            "expires_at": self.expires_at.map(|at| at.to_rfc3339()),
            "managed_by": self.managed_by,
        });
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_carry_the_prefix_and_40_random_alphanumerics() {
        let key = ApiKeySecret::generate();
        let random = key.expose().strip_prefix("tsk_").unwrap();
        assert_eq!(random.len(), 40);
        assert!(random.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(ApiKeySecret::generate(), key);
        assert_eq!(format!("{key:?}"), "ApiKeySecret(<redacted>)");
    }

    #[test]
    fn imported_keys_are_1_to_255_characters_without_control_characters() {
        assert!(ApiKeySecret::parse("k".repeat(255)).is_ok());
        assert!(ApiKeySecret::parse("k".repeat(256)).is_err());
        assert!(ApiKeySecret::parse(String::new()).is_err());
        assert!(ApiKeySecret::parse("a\nb".to_owned()).is_err());
    }

    #[test]
    fn the_digest_is_hmac_sha256_under_the_server_key() {
        // RFC 4231 §4.3, test case 2: key "Jefe" (here zero-padded to 32 bytes, which HMAC
        // treats the same, RFC 2104 §2).
        let mut jefe = [0u8; 32];
        jefe[..4].copy_from_slice(b"Jefe");
        let digest = DigestKey::new(&jefe).digest(&ApiKeySecret::presented("what do ya want for nothing?"));
        assert_eq!(digest, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn digests_depend_on_the_key_and_the_server_key() {
        let key = ApiKeySecret::presented("low-entropy");
        let one = DigestKey::new(&[1; 32]);
        assert_eq!(one.digest(&key), one.digest(&ApiKeySecret::presented("low-entropy")));
        assert_ne!(one.digest(&key), one.digest(&ApiKeySecret::presented("low-entropy2")));
        assert_ne!(one.digest(&key), DigestKey::new(&[2; 32]).digest(&key));
        // The derived key is neither the encryption key nor a plain hash of the API key.
        assert_ne!(DigestKey::derive(&[1; 32]).digest(&key), one.digest(&key));
        assert_eq!(DigestKey::derive(&[1; 32]).digest(&key), DigestKey::derive(&[1; 32]).digest(&key));
    }

    #[test]
    fn lookup_digests_list_the_current_key_first() {
        let keys = LookupKeys { current: DigestKey::new(&[1; 32]), older: vec![DigestKey::new(&[2; 32])] };
        let key = ApiKeySecret::presented("k");
        assert_eq!(
            keys.digests(&key),
            vec![DigestKey::new(&[1; 32]).digest(&key), DigestKey::new(&[2; 32]).digest(&key)]
        );
    }
}
