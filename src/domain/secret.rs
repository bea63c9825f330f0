//! Client secrets and the admin token: generated from the CSPRNG, stored only as hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Invalid, check_length, random};
use crate::telemetry::spawn_blocking_with_tracing;

/// A client secret in clear, as generated or imported. Never logged (no `Debug` output).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

impl ClientSecret {
    const GENERATED_LENGTH: usize = 32;
    pub const MAX_LENGTH: usize = 512;

    /// 32 characters of `[A-Za-z0-9]` (190 bits), safe in forms and Basic credentials.
    pub fn generate() -> ClientSecret {
        ClientSecret(random::alphanumeric(Self::GENERATED_LENGTH))
    }

    /// An imported secret: any 1–512 characters without control characters.
    pub fn parse(value: String) -> Result<ClientSecret, Invalid> {
        check_length(&value, 1, Self::MAX_LENGTH)?;
        if value.chars().any(char::is_control) {
            return Err(Invalid::new("invalid", "must not contain control characters"));
        }
        Ok(ClientSecret(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Argon2id PHC string with a random salt. CPU-heavy: call off the async runtime.
    pub fn hash(&self) -> Result<String, String> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| format!("argon2 hashing failed: {e}"))
    }

    /// Whether this secret matches a stored Argon2 hash. CPU-heavy: call off the async runtime.
    pub fn verify(&self, stored_hash: &str) -> bool {
        PasswordHash::new(stored_hash)
            .map(|parsed| Argon2::default().verify_password(self.0.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    }

    /// [`ClientSecret::hash`] on a blocking thread, so Argon2 never stalls the async runtime.
    pub async fn hash_off_runtime(&self) -> Result<String, String> {
        let secret = self.clone();
        spawn_blocking_with_tracing(move || secret.hash()).await.map_err(|e| e.to_string())?
    }

    /// Whether this secret matches any of `hashes`, on a blocking thread.
    pub async fn matches_any_off_runtime(&self, hashes: Vec<String>) -> Result<bool, String> {
        let secret = self.clone();
        spawn_blocking_with_tracing(move || hashes.iter().any(|hash| secret.verify(hash)))
            .await
            .map_err(|e| e.to_string())
    }
}

/// The bearer token of the management API.
pub struct AdminToken(String);

impl AdminToken {
    /// `tsa_` and 40 characters of `[A-Za-z0-9]` (238 bits); the prefix helps secret scanners.
    pub fn generate() -> AdminToken {
        AdminToken(format!("tsa_{}", random::alphanumeric(40)))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// SHA-256 of a high-entropy token, hex encoded. A slow hash adds nothing for 238-bit
/// random tokens and would cost every admin request.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares a presented token with a stored digest in constant time.
pub fn token_matches(presented: &str, stored_digest: &str) -> bool {
    token_digest(presented).as_bytes().ct_eq(stored_digest.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_hash_and_verify_with_argon2id() {
        let secret = ClientSecret::generate();
        assert_eq!(secret.expose().len(), 32);
        let hash = secret.hash().unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains(secret.expose()));
        assert!(secret.verify(&hash));
        assert!(!ClientSecret::generate().verify(&hash));
        assert!(!secret.verify("not a hash"));
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let secret = ClientSecret::parse("SecretPassword".into()).unwrap_or_else(|_| ClientSecret::generate());
        assert!(!format!("{secret:?}").contains("SecretPassword"));
    }

    #[test]
    fn imported_secrets_must_be_non_empty_and_printable() {
        assert!(ClientSecret::parse("SecretPassword".into()).is_ok());
        assert!(ClientSecret::parse(String::new()).is_err());
        assert!(ClientSecret::parse("a\nb".into()).is_err());
        assert!(ClientSecret::parse("x".repeat(513)).is_err());
    }

    #[test]
    fn admin_tokens_match_only_their_digest() {
        let token = AdminToken::generate();
        assert!(token.expose().starts_with("tsa_"));
        let digest = token_digest(token.expose());
        assert!(token_matches(token.expose(), &digest));
        assert!(!token_matches("tsa_wrong", &digest));
    }
}

/// What is known of a stored client secret: never its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretInfo {
    pub id: uuid::Uuid,
    pub enabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A secret ready to store: its metadata and Argon2id hash.
#[derive(Clone, Debug)]
pub struct NewSecret {
    pub info: SecretInfo,
    pub hash: String,
}
