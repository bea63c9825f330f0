//! Signing keys: generation, encryption at rest, JWKS entries, and the signer and verifier
//! built from them. RSA keys come from the `rsa` crate; P-256 and Ed25519 keys, AES-GCM and
//! all signing go through aws-lc-rs (jsonwebtoken's aws-lc backend), whose RSA signing is
//! twice as fast as ring's on the benchmark machine: signing is the token endpoint's cost.

pub mod at_rest;
mod rotation;
pub use rotation::{
    Mode, Refusal, RotateError, Schedule, Step, new_key, requested_step, rotate, rotate_due, scheduled_step,
};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256, RSA_PKCS1_SHA384,
    RSA_PKCS1_SHA512, RSA_PSS_SHA256, RSA_PSS_SHA384, RSA_PSS_SHA512, RsaEncoding, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Value, json};

use crate::domain::SigningAlgorithm;

/// Retired keys stay published this long: the longest token lifetime a client can have.
pub const RETIRED_KEY_PUBLISH_SECONDS: i64 = crate::domain::TokenDuration::MAX;

/// How long gateways may cache the JWKS (its `Cache-Control: max-age`): a key must be
/// published at least this long before it signs.
pub const JWKS_MAX_AGE_SECONDS: i64 = 300;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("stored private key cannot be read: {0}")]
    Stored(String),
    #[error("signing failed: {0}")]
    Sign(String),
}

/// A freshly generated key pair, before it is sealed and stored.
pub struct GeneratedKey {
    pub kid: String,
    pub algorithm: SigningAlgorithm,
    /// PKCS#1 DER for RSA, PKCS#8 DER for P-256 and Ed25519.
    pub private_der: Vec<u8>,
    pub public_jwk: Value,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Generates a key for `algorithm`: RSA 2048 for RS*/PS*, P-256 for ES256, Ed25519 for EdDSA.
/// RSA generation takes tens of milliseconds or more: call it off the async runtime.
pub fn generate(algorithm: SigningAlgorithm) -> Result<GeneratedKey, KeyError> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;

    let kid = uuid::Uuid::new_v4().to_string();
    let rng = SystemRandom::new();
    let (private_der, mut jwk) = match algorithm {
        SigningAlgorithm::ES256 => {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            // Uncompressed SEC1 point: 0x04 || x || y.
            let point = pair.public_key().as_ref();
            let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65])});
            (pkcs8.as_ref().to_vec(), jwk)
        }
        SigningAlgorithm::EdDSA => {
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|e| KeyError::Generate(e.to_string()))?;
            let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| KeyError::Generate(e.to_string()))?;
            let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref())});
            (pkcs8.as_ref().to_vec(), jwk)
        }
        _ => {
            let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            let der = private.to_pkcs1_der().map_err(|e| KeyError::Generate(e.to_string()))?;
            let jwk = json!({"kty": "RSA", "n": b64(&private.n().to_bytes_be()), "e": b64(&private.e().to_bytes_be())});
            (der.as_bytes().to_vec(), jwk)
        }
    };
    if let Some(fields) = jwk.as_object_mut() {
        fields.insert("kid".into(), json!(kid));
        fields.insert("use".into(), json!("sig"));
        fields.insert("alg".into(), json!(algorithm.as_str()));
    }
    Ok(GeneratedKey { kid, algorithm, private_der, public_jwk: jwk })
}

/// Encrypts private keys at rest with AES-256-GCM under `TESSERA_ENCRYPTION_KEY`, bound to
/// the key id; without an encryption key, stores them in clear (and says so at start).
/// Sealed values name the encryption key by its public [`key_id`], so values sealed under a
/// previous key (`TESSERA_ENCRYPTION_KEY_PREVIOUS`) still open until `tessera reseal`.
pub struct Sealer {
    /// The key that seals, then the previous ones, which only open.
    keys: Vec<(String, LessSafeKey)>,
    encrypts: bool,
    rng: SystemRandom,
}

const SEALED: &str = "aes256gcm:";
const PLAIN: &str = "plain:";

/// A short public fingerprint of an encryption key, stored with what it sealed:
/// the first 8 bytes of HMAC-SHA256(key, "tessera key id"), in hex.
pub fn key_id(key: &[u8; 32]) -> String {
    let mac = aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key), b"tessera key id");
    hex::encode(&mac.as_ref()[..8])
}

impl Sealer {
    /// Seals under `current` (in clear without one); opens under it or any of `previous`.
    pub fn new(current: Option<[u8; 32]>, previous: &[[u8; 32]]) -> Result<Sealer, KeyError> {
        let keys = current
            .iter()
            .chain(previous)
            .map(|bytes| {
                let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|e| KeyError::Generate(e.to_string()))?;
                Ok((key_id(bytes), LessSafeKey::new(key)))
            })
            .collect::<Result<Vec<_>, KeyError>>()?;
        Ok(Sealer { keys, encrypts: current.is_some(), rng: SystemRandom::new() })
    }

    pub fn encrypts(&self) -> bool {
        self.encrypts
    }

    /// The id of the key that seals, when there is one.
    pub fn current_key_id(&self) -> Option<&str> {
        self.keys.first().filter(|_| self.encrypts).map(|(id, _)| id.as_str())
    }

    /// Whether `stored` is sealed under the current key already (so `tessera reseal` skips it).
    pub fn is_current(&self, stored: &str) -> bool {
        match (self.current_key_id(), stored.strip_prefix(SEALED).and_then(|rest| rest.split_once(':'))) {
            (Some(current), Some((id, _))) => id == current,
            _ => false,
        }
    }

    pub fn is_clear(stored: &str) -> bool {
        stored.starts_with(PLAIN)
    }

    pub fn seal(&self, kid: &str, der: &[u8]) -> Result<String, KeyError> {
        let Some((id, key)) = self.keys.first().filter(|_| self.encrypts) else {
            return Ok(format!("{PLAIN}{}", STANDARD.encode(der)));
        };
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|e| KeyError::Generate(e.to_string()))?;
        let mut sealed = der.to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(kid.as_bytes()), &mut sealed)
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED}{id}:{}", STANDARD.encode(out)))
    }

    /// Opens `aes256gcm:<key id>:<b64>` with the key of that id, `aes256gcm:<b64>` (sealed
    /// before key ids) with whichever key opens it, and `plain:<b64>`.
    pub fn open(&self, kid: &str, stored: &str) -> Result<Vec<u8>, KeyError> {
        if let Some(encoded) = stored.strip_prefix(PLAIN) {
            return STANDARD.decode(encoded).map_err(|e| KeyError::Stored(e.to_string()));
        }
        let Some(rest) = stored.strip_prefix(SEALED) else {
            return Err(KeyError::Stored("unknown storage format".into()));
        };
        if self.keys.is_empty() {
            return Err(KeyError::Stored("the key is encrypted but TESSERA_ENCRYPTION_KEY is not set".into()));
        }
        let (candidates, encoded): (Vec<&LessSafeKey>, &str) = match rest.split_once(':') {
            Some((id, encoded)) => match self.keys.iter().find(|(known, _)| known == id) {
                Some((_, key)) => (vec![key], encoded),
                None => {
                    return Err(KeyError::Stored(format!(
                        "sealed under encryption key {id}, which is neither TESSERA_ENCRYPTION_KEY nor one of \
                         TESSERA_ENCRYPTION_KEY_PREVIOUS"
                    )));
                }
            },
            None => (self.keys.iter().map(|(_, key)| key).collect(), rest),
        };
        let bytes = STANDARD.decode(encoded).map_err(|e| KeyError::Stored(e.to_string()))?;
        if bytes.len() < NONCE_LEN {
            return Err(KeyError::Stored("sealed key too short".into()));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        for key in candidates {
            let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|e| KeyError::Stored(e.to_string()))?;
            let mut sealed = sealed.to_vec();
            if let Ok(plain) = key.open_in_place(nonce, Aad::from(kid.as_bytes()), &mut sealed) {
                return Ok(plain.to_vec());
            }
        }
        Err(KeyError::Stored("decryption failed: wrong TESSERA_ENCRYPTION_KEY?".into()))
    }

    /// `stored` sealed under the current key: `None` when it is already, or when there is no
    /// current key to seal under.
    pub fn reseal(&self, kid: &str, stored: &str) -> Result<Option<String>, KeyError> {
        if !self.encrypts || self.is_current(stored) {
            return Ok(None);
        }
        let der = self.open(kid, stored)?;
        self.seal(kid, &der).map(Some)
    }
}

/// Parses `TESSERA_ENCRYPTION_KEY`: 32 bytes as 64 hex digits or base64.
pub fn parse_encryption_key(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).map_err(|e| e.to_string())?
    } else {
        STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| "TESSERA_ENCRYPTION_KEY must be 32 bytes as 64 hex digits or base64".to_owned())?
    };
    bytes.try_into().map_err(|_| "TESSERA_ENCRYPTION_KEY must be exactly 32 bytes (256 bits)".to_owned())
}

fn jwt_algorithm(algorithm: SigningAlgorithm) -> Algorithm {
    match algorithm {
        SigningAlgorithm::RS256 => Algorithm::RS256,
        SigningAlgorithm::RS384 => Algorithm::RS384,
        SigningAlgorithm::RS512 => Algorithm::RS512,
        SigningAlgorithm::PS256 => Algorithm::PS256,
        SigningAlgorithm::PS384 => Algorithm::PS384,
        SigningAlgorithm::PS512 => Algorithm::PS512,
        SigningAlgorithm::ES256 => Algorithm::ES256,
        SigningAlgorithm::EdDSA => Algorithm::EdDSA,
    }
}

/// A parsed private key, ready to sign.
enum KeyPair {
    Rsa(RsaKeyPair, &'static dyn RsaEncoding),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// Signs tokens with one key. The key is parsed (and validated) once when the signer is
/// built and cached with the auth server's configuration: per token, only the signature.
pub struct Signer {
    pub kid: String,
    pub algorithm: SigningAlgorithm,
    /// base64url of the protected header `{"typ":"JWT","alg":…,"kid":…}` (RFC 7515 §4.1).
    header: String,
    pair: KeyPair,
    rng: SystemRandom,
}

impl Signer {
    pub fn from_der(kid: &str, algorithm: SigningAlgorithm, der: &[u8]) -> Result<Signer, KeyError> {
        let invalid = |e: &dyn std::fmt::Display| KeyError::Stored(format!("private key for {kid}: {e}"));
        let rsa = |encoding: &'static dyn RsaEncoding| -> Result<KeyPair, KeyError> {
            Ok(KeyPair::Rsa(RsaKeyPair::from_der(der).map_err(|e| invalid(&e))?, encoding))
        };
        let pair = match algorithm {
            SigningAlgorithm::RS256 => rsa(&RSA_PKCS1_SHA256)?,
            SigningAlgorithm::RS384 => rsa(&RSA_PKCS1_SHA384)?,
            SigningAlgorithm::RS512 => rsa(&RSA_PKCS1_SHA512)?,
            SigningAlgorithm::PS256 => rsa(&RSA_PSS_SHA256)?,
            SigningAlgorithm::PS384 => rsa(&RSA_PSS_SHA384)?,
            SigningAlgorithm::PS512 => rsa(&RSA_PSS_SHA512)?,
            // RFC 7518 §3.4: JWS ECDSA signatures are the fixed-size R || S.
            SigningAlgorithm::ES256 => KeyPair::Ecdsa(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(|e| invalid(&e))?,
            ),
            SigningAlgorithm::EdDSA => KeyPair::Ed25519(Ed25519KeyPair::from_pkcs8(der).map_err(|e| invalid(&e))?),
        };
        let header = format!(r#"{{"typ":"JWT","alg":"{}","kid":"{}"}}"#, algorithm.as_str(), kid);
        Ok(Signer { kid: kid.to_owned(), algorithm, header: b64(header.as_bytes()), pair, rng: SystemRandom::new() })
    }

    /// A compact JWS (RFC 7515 §7.1): header.payload.signature, each base64url.
    pub fn sign(&self, claims: &impl serde::Serialize) -> Result<String, KeyError> {
        let payload = serde_json::to_vec(claims).map_err(|e| KeyError::Sign(e.to_string()))?;
        let mut jws = String::with_capacity(self.header.len() + payload.len() * 4 / 3 + 400);
        jws.push_str(&self.header);
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut jws);
        let signature = match &self.pair {
            KeyPair::Rsa(pair, encoding) => {
                let mut signature = vec![0u8; pair.public_modulus_len()];
                pair.sign(*encoding, &self.rng, jws.as_bytes(), &mut signature)
                    .map_err(|e| KeyError::Sign(e.to_string()))?;
                signature
            }
            KeyPair::Ecdsa(pair) => {
                pair.sign(&self.rng, jws.as_bytes()).map_err(|e| KeyError::Sign(e.to_string()))?.as_ref().to_vec()
            }
            KeyPair::Ed25519(pair) => pair.sign(jws.as_bytes()).as_ref().to_vec(),
        };
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut jws);
        Ok(jws)
    }
}

/// Verifies tokens signed by one key, accepting only that key's algorithm.
pub struct Verifier {
    pub kid: String,
    pub algorithm: SigningAlgorithm,
    key: DecodingKey,
}

impl Verifier {
    pub fn from_jwk(jwk: &Value) -> Result<Verifier, KeyError> {
        let field = |name: &str| jwk[name].as_str().ok_or_else(|| KeyError::Stored(format!("JWK without {name}")));
        let algorithm =
            crate::domain::SigningAlgorithm::parse(field("alg")?).map_err(|_| KeyError::Stored("JWK alg".into()))?;
        let key = match jwk["kty"].as_str() {
            Some("RSA") => DecodingKey::from_rsa_components(field("n")?, field("e")?),
            Some("EC") => DecodingKey::from_ec_components(field("x")?, field("y")?),
            Some("OKP") => DecodingKey::from_ed_components(field("x")?),
            _ => return Err(KeyError::Stored("unknown kty".into())),
        }
        .map_err(|e| KeyError::Stored(e.to_string()))?;
        Ok(Verifier { kid: field("kid")?.to_owned(), algorithm, key })
    }

    /// Checks the signature with this key's algorithm only (RFC 8725 §3.1: no algorithm
    /// switching); claims are checked by the caller.
    pub fn verify(&self, token: &str) -> Option<serde_json::Map<String, Value>> {
        let mut validation = jsonwebtoken::Validation::new(jwt_algorithm(self.algorithm));
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &self.key, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_tokens_its_public_jwk_verifies() {
        for algorithm in
            [SigningAlgorithm::RS256, SigningAlgorithm::PS384, SigningAlgorithm::ES256, SigningAlgorithm::EdDSA]
        {
            let key = generate(algorithm).unwrap();
            assert_eq!(key.public_jwk["alg"], algorithm.as_str());
            assert_eq!(key.public_jwk["use"], "sig");
            let signer = Signer::from_der(&key.kid, algorithm, &key.private_der).unwrap();
            let token = signer.sign(&json!({"sub": "x"})).unwrap();
            let verifier = Verifier::from_jwk(&key.public_jwk).unwrap();
            assert_eq!(verifier.verify(&token).unwrap()["sub"], "x", "{algorithm:?}");
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!((header.typ.as_deref(), header.kid.as_deref()), (Some("JWT"), Some(key.kid.as_str())));
            let other = Verifier::from_jwk(&generate(algorithm).unwrap().public_jwk).unwrap();
            assert!(other.verify(&token).is_none());
        }
    }

    #[test]
    fn sealed_keys_open_only_with_the_same_key_and_kid() {
        let sealer = Sealer::new(Some([7u8; 32]), &[]).unwrap();
        let sealed = sealer.seal("kid-1", b"private der").unwrap();
        assert!(sealed.starts_with(&format!("{SEALED}{}:", key_id(&[7u8; 32]))), "{sealed}");
        assert!(!sealed.contains("private") && sealer.is_current(&sealed));
        assert_eq!(sealer.open("kid-1", &sealed).unwrap(), b"private der");
        assert!(sealer.open("kid-2", &sealed).is_err(), "bound to the key id");
        assert!(Sealer::new(Some([8u8; 32]), &[]).unwrap().open("kid-1", &sealed).is_err());
        assert!(Sealer::new(None, &[]).unwrap().open("kid-1", &sealed).is_err());
        let plain = Sealer::new(None, &[]).unwrap().seal("kid-1", b"der").unwrap();
        assert!(Sealer::is_clear(&plain));
        assert_eq!(
            sealer.open("kid-1", &plain).unwrap(),
            b"der",
            "clear keys stay readable after encryption is enabled"
        );
    }

    #[test]
    fn keys_sealed_under_a_previous_key_open_and_reseal_under_the_current_one() {
        let (old, new) = ([1u8; 32], [2u8; 32]);
        assert_ne!(key_id(&old), key_id(&new));
        let sealed_old = Sealer::new(Some(old), &[]).unwrap().seal("kid", b"der").unwrap();
        let rotated = Sealer::new(Some(new), &[old]).unwrap();
        assert_eq!(rotated.open("kid", &sealed_old).unwrap(), b"der", "the previous key still opens");
        assert!(!rotated.is_current(&sealed_old));
        let resealed = rotated.reseal("kid", &sealed_old).unwrap().unwrap();
        assert!(rotated.is_current(&resealed) && rotated.reseal("kid", &resealed).unwrap().is_none());
        let only_new = Sealer::new(Some(new), &[]).unwrap();
        assert_eq!(only_new.open("kid", &resealed).unwrap(), b"der", "after reseal the previous key is not needed");
        let error = only_new.open("kid", &sealed_old).unwrap_err().to_string();
        assert!(error.contains(&key_id(&old)), "names the missing key by its public id: {error}");
        assert_eq!(Sealer::new(None, &[]).unwrap().reseal("kid", &sealed_old).unwrap(), None, "nothing to seal under");
    }

    #[test]
    fn keys_sealed_before_key_ids_still_open() {
        // The format before key ids: aes256gcm:<base64 of nonce || ciphertext || tag>.
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[5u8; 32]).unwrap());
        let mut data = b"legacy der".to_vec();
        let nonce = [3u8; NONCE_LEN];
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(&b"kid"[..]), &mut data).unwrap();
        let legacy = format!("{SEALED}{}", STANDARD.encode([nonce.to_vec(), data].concat()));
        assert_eq!(Sealer::new(Some([5u8; 32]), &[]).unwrap().open("kid", &legacy).unwrap(), b"legacy der");
        let rotated = Sealer::new(Some([6u8; 32]), &[[5u8; 32]]).unwrap();
        assert_eq!(rotated.open("kid", &legacy).unwrap(), b"legacy der", "or with a previous key");
        assert!(rotated.is_current(&rotated.reseal("kid", &legacy).unwrap().unwrap()));
    }

    #[test]
    fn encryption_keys_parse_from_hex_or_base64() {
        assert_eq!(parse_encryption_key(&"ab".repeat(32)).unwrap(), [0xab; 32]);
        assert_eq!(parse_encryption_key(&STANDARD.encode([1u8; 32])).unwrap(), [1; 32]);
        assert!(parse_encryption_key("short").is_err());
        assert!(parse_encryption_key(&STANDARD.encode([1u8; 16])).is_err());
    }
}
