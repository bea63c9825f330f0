//! Client secrets and the admin token: generated from the CSPRNG, stored only as hashes.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Invalid, check_length, random};

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

    /// Argon2id (default parameters: 19 MiB, t=2, p=1) PHC string with a random salt, computed
    /// in `memory`, which the caller keeps for the next hash. CPU-heavy: run it on the Argon2
    /// pool (`crate::hashing`), never on the async runtime.
    pub fn hash_with(&self, memory: &mut Argon2Memory) -> Result<String, String> {
        let failed = |e: &dyn std::fmt::Display| format!("argon2 hashing failed: {e}");
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_buffer = [0u8; 64];
        let salt_bytes = salt.as_salt().decode_b64(&mut salt_buffer).map_err(|e| failed(&e))?;
        let params = Params::DEFAULT;
        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        let blocks = memory.blocks(params.block_count()).ok_or_else(|| failed(&"too much memory"))?;
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into_with_memory(self.0.as_bytes(), salt_bytes, &mut output, blocks)
            .map_err(|e| failed(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&output).map_err(|e| failed(&e))?),
        };
        Ok(phc.to_string())
    }

    /// Whether this secret matches a stored Argon2 PHC string: its algorithm, version,
    /// parameters and salt are taken from the string, the hash is computed in `memory`, and the
    /// outputs are compared in constant time. CPU-heavy, like [`ClientSecret::hash_with`].
    pub fn verify_with(&self, stored_hash: &str, memory: &mut Argon2Memory) -> bool {
        let Ok(parsed) = PasswordHash::new(stored_hash) else { return false };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
        let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else { return false };
        let version = match parsed.version {
            Some(version) => Version::try_from(version),
            None => Ok(Version::default()),
        };
        let (Ok(version), Ok(params)) = (version, Params::try_from(&parsed)) else { return false };
        let mut salt_buffer = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_buffer) else { return false };
        let mut buffer = [0u8; Output::MAX_LENGTH];
        let Some(output) = buffer.get_mut(..expected.len()) else { return false };
        let Some(blocks) = memory.blocks(params.block_count()) else { return false };
        let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            self.0.as_bytes(),
            salt,
            output,
            blocks,
        );
        computed.is_ok() && bool::from(output.ct_eq(expected.as_bytes()))
    }
}

/// Argon2 working memory, owned by one worker thread and reused for every hash it computes,
/// so memory does not grow with concurrency or with the allocator's per-thread arenas.
#[derive(Default)]
pub struct Argon2Memory(Vec<argon2::Block>);

impl Argon2Memory {
    /// The most a stored hash may ask for (64 MiB); Tessera's own hashes use 19 MiB.
    const MAX_BLOCKS: usize = 64 * 1024;

    /// Whether it holds memory (it has run a job since it was made).
    pub fn is_held(&self) -> bool {
        !self.0.is_empty()
    }

    /// `count` blocks, grown on first use and kept afterwards; `None` past the maximum.
    fn blocks(&mut self, count: usize) -> Option<&mut [argon2::Block]> {
        if count > Self::MAX_BLOCKS {
            return None;
        }
        if self.0.len() < count {
            self.0.resize(count, argon2::Block::default());
        }
        self.0.get_mut(..count)
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

    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    /// How hashes were made and checked before the pool: `Argon2::default()` with its own memory.
    fn old_hash(secret: &ClientSecret) -> String {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(secret.expose().as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
    }

    fn old_verify(secret: &ClientSecret, hash: &str) -> bool {
        PasswordHash::new(hash)
            .map(|parsed| Argon2::default().verify_password(secret.expose().as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    }

    #[test]
    fn generated_secrets_hash_and_verify_with_argon2id() {
        let mut memory = Argon2Memory::default();
        let secret = ClientSecret::generate();
        assert_eq!(secret.expose().len(), 32);
        let hash = secret.hash_with(&mut memory).unwrap_or_default();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(!hash.contains(secret.expose()));
        assert!(secret.verify_with(&hash, &mut memory));
        assert!(!ClientSecret::generate().verify_with(&hash, &mut memory));
        assert!(!secret.verify_with("not a hash", &mut memory));
        assert!(!secret.verify_with("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ", &mut memory), "no hash part");
    }

    #[test]
    fn hashes_of_the_old_code_verify_with_reused_memory_and_the_other_way_round() {
        let mut memory = Argon2Memory::default();
        let secret = ClientSecret::parse("SecretPassword".into()).unwrap_or_else(|_| ClientSecret::generate());
        let other = ClientSecret::generate();
        let stored_before = old_hash(&secret);
        assert!(secret.verify_with(&stored_before, &mut memory));
        assert!(!other.verify_with(&stored_before, &mut memory));
        let stored_now = secret.hash_with(&mut memory).unwrap_or_default();
        assert!(old_verify(&secret, &stored_now));
        assert!(!old_verify(&other, &stored_now));
        // Other parameters are read from the PHC string, not assumed.
        let small = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(64, 1, 1, None).unwrap_or_default());
        let salt = SaltString::generate(&mut OsRng);
        let stored_small =
            small.hash_password(secret.expose().as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default();
        assert!(secret.verify_with(&stored_small, &mut memory));
        assert!(!other.verify_with(&stored_small, &mut memory));
        // The memory kept its size: the largest hash computed in it.
        assert_eq!(memory.0.len(), Params::DEFAULT.block_count());
    }

    #[test]
    fn a_hash_asking_for_more_memory_than_allowed_never_matches() {
        let mut memory = Argon2Memory::default();
        let secret = ClientSecret::generate();
        let huge = "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(!secret.verify_with(huge, &mut memory));
        assert!(memory.0.is_empty());
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
