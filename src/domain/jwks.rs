//! A client's public keys (RFC 7517 JWK Set), with which it signs `private_key_jwt` client
//! assertions (RFC 7523 §2.2, OpenID Connect Core §9).

use serde_json::{Map, Value};

use super::{Invalid, SigningAlgorithm};

/// Most keys one client may register: enough to roll keys over.
pub const MAX_KEYS: usize = 10;
/// RSA moduli shorter than 2048 bits are refused (NIST SP 800-131A); longer than 8192 bits,
/// too (nothing verifies them, and each try would cost a request dearly).
const MIN_RSA_MODULUS_BYTES: usize = 256;
const MAX_RSA_MODULUS_BYTES: usize = 1024;
/// Private JWK members (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2): never accepted.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A validated JWK Set of public signing keys, kept as the JSON it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientJwks(Value);

impl ClientJwks {
    pub fn parse(value: Value) -> Result<ClientJwks, Invalid> {
        let keys = value
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| Invalid::new("invalid", "must be a JWK Set: an object with a keys array"))?;
        if keys.is_empty() {
            return Err(Invalid::new("invalid", "must hold at least one key").at(".keys"));
        }
        if keys.len() > MAX_KEYS {
            return Err(Invalid::max_items(MAX_KEYS).at(".keys"));
        }
        let mut kids: Vec<&str> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let at = format!(".keys[{i}]");
            let key = key.as_object().ok_or_else(|| Invalid::new("invalid", "must be a JWK object").at(&at))?;
            check_key(key).map_err(|e| e.at(&at))?;
            if let Some(kid) = key.get("kid").and_then(Value::as_str) {
                if kids.contains(&kid) {
                    return Err(Invalid::new("invalid", format!("kid {kid} is used twice")).at(&at));
                }
                kids.push(kid);
            }
        }
        let keys = keys.clone();
        Ok(ClientJwks(serde_json::json!({ "keys": keys })))
    }

    pub(crate) fn trusted(value: Value) -> ClientJwks {
        ClientJwks(value)
    }

    pub fn as_value(&self) -> &Value {
        &self.0
    }

    /// The keys that may have signed with `algorithm`: the one named by `kid` when the
    /// assertion names one, otherwise every key of the right type, each with the JWK's
    /// `alg` (when it has one) equal to `algorithm`.
    pub fn candidates<'a>(&'a self, kid: Option<&'a str>, algorithm: SigningAlgorithm) -> Vec<&'a Map<String, Value>> {
        let keys = self.0["keys"].as_array().map(Vec::as_slice).unwrap_or_default();
        keys.iter()
            .filter_map(Value::as_object)
            .filter(|key| kid.is_none_or(|kid| key.get("kid").and_then(Value::as_str) == Some(kid)))
            .filter(|key| key.get("kty").and_then(Value::as_str) == Some(key_type(algorithm)))
            .filter(|key| key.get("alg").and_then(Value::as_str).is_none_or(|alg| alg == algorithm.as_str()))
            .collect()
    }
}

/// The JWK `kty` that signs with an algorithm.
pub fn key_type(algorithm: SigningAlgorithm) -> &'static str {
    match algorithm {
        SigningAlgorithm::ES256 => "EC",
        SigningAlgorithm::EdDSA => "OKP",
        _ => "RSA",
    }
}

fn text<'a>(key: &'a Map<String, Value>, name: &str) -> Result<&'a str, Invalid> {
    key.get(name)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Invalid::new("invalid", format!("{name} is required")))
}

fn decoded(value: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value).ok()
}

fn decoded_length(value: &str) -> Option<usize> {
    decoded(value).map(|bytes| bytes.len())
}

/// A public signing key of a type Tessera verifies.
fn check_key(key: &Map<String, Value>) -> Result<(), Invalid> {
    if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| key.contains_key(**m)) {
        return Err(Invalid::new("invalid", format!("must be a public key: it has the private member {member}")));
    }
    if key.get("use").is_some_and(|u| u != "sig") {
        return Err(Invalid::new("invalid", "use must be sig"));
    }
    if let Some(kid) = key.get("kid") {
        let kid = kid.as_str().ok_or_else(|| Invalid::new("invalid", "kid must be a string"))?;
        super::check_length(kid, 1, 255).map_err(|e| e.at(".kid"))?;
    }
    let kty = text(key, "kty")?;
    if let Some(alg) = key.get("alg") {
        let algorithm = alg
            .as_str()
            .and_then(|a| SigningAlgorithm::parse(a).ok())
            .ok_or_else(|| Invalid::one_of(&SigningAlgorithm::NAMES).at(".alg"))?;
        if key_type(algorithm) != kty {
            return Err(Invalid::new("invalid", format!("alg {} does not go with kty {kty}", algorithm.as_str())));
        }
    }
    let wrong = |name: &str, what: &str| Invalid::new("invalid", format!("{name} must be {what}"));
    match kty {
        "RSA" => {
            let modulus = decoded(text(key, "n")?).ok_or_else(|| wrong("n", "base64url"))?;
            // Leading zero bytes add nothing to the key's size.
            let significant = modulus.iter().skip_while(|b| **b == 0).count();
            if significant < MIN_RSA_MODULUS_BYTES {
                return Err(Invalid::new("invalid", "RSA keys must have at least 2048 bits"));
            }
            if significant > MAX_RSA_MODULUS_BYTES {
                return Err(Invalid::new("invalid", "RSA keys must have at most 8192 bits"));
            }
            decoded_length(text(key, "e")?).ok_or_else(|| wrong("e", "base64url"))?;
        }
        "EC" => {
            if key.get("crv").and_then(Value::as_str) != Some("P-256") {
                return Err(wrong("crv", "P-256"));
            }
            for coordinate in ["x", "y"] {
                if decoded_length(text(key, coordinate)?) != Some(32) {
                    return Err(wrong(coordinate, "32 bytes of base64url"));
                }
            }
        }
        "OKP" => {
            if key.get("crv").and_then(Value::as_str) != Some("Ed25519") {
                return Err(wrong("crv", "Ed25519"));
            }
            if decoded_length(text(key, "x")?) != Some(32) {
                return Err(wrong("x", "32 bytes of base64url"));
            }
        }
        other => return Err(Invalid::new("invalid", format!("kty {other} is not supported: use RSA, EC or OKP"))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rsa() -> Value {
        json!({"kty": "RSA", "kid": "r1", "n": format!("w{}", "A".repeat(341)), "e": "AQAB"})
    }

    fn ec() -> Value {
        json!({"kty": "EC", "crv": "P-256", "kid": "e1", "x": "A".repeat(43), "y": "A".repeat(43), "alg": "ES256"})
    }

    #[test]
    fn public_signing_keys_are_accepted_and_selected_by_kid_and_algorithm() {
        let set = ClientJwks::parse(json!({"keys": [rsa(), ec()]})).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(set.candidates(Some("r1"), SigningAlgorithm::RS256).len(), 1);
        assert_eq!(set.candidates(None, SigningAlgorithm::PS256).len(), 1, "an RSA key without alg signs any RSA alg");
        assert_eq!(set.candidates(Some("e1"), SigningAlgorithm::RS256).len(), 0, "kid of another type");
        assert_eq!(set.candidates(None, SigningAlgorithm::ES256).len(), 1);
        assert_eq!(set.candidates(None, SigningAlgorithm::EdDSA).len(), 0);
    }

    #[test]
    fn private_weak_or_malformed_keys_are_refused_with_their_position() {
        let mut private = rsa();
        private["d"] = json!("secret");
        let mut short = rsa();
        short["n"] = json!("A".repeat(342));
        let mut mismatched = ec();
        mismatched["alg"] = json!("RS256");
        let cases = [
            (json!({"keys": [private]}), ".keys[0]", "private member d"),
            (json!({"keys": [short]}), ".keys[0]", "2048 bits"),
            (json!({"keys": [mismatched]}), ".keys[0]", "does not go with"),
            (json!({"keys": [{"kty": "oct", "k": "x"}]}), ".keys[0]", "private member k"),
            (json!({"keys": [{"kty": "EC", "crv": "P-384", "x": "A", "y": "A"}]}), ".keys[0]", "P-256"),
            (json!({"keys": [rsa(), rsa()]}), ".keys[1]", "used twice"),
            (json!({"keys": []}), ".keys", "at least one"),
            (json!({"kty": "RSA"}), "", "JWK Set"),
        ];
        for (value, at, reason) in cases {
            let invalid = ClientJwks::parse(value.clone()).unwrap_err();
            assert_eq!(invalid.suffix, at, "{value}");
            assert!(invalid.reason.contains(reason), "{value}: {}", invalid.reason);
        }
    }
}
