//! Minting tokens: access tokens (RFC 9068 claims, the shape of Kong's client-credentials tutorial) and ID tokens
//! (OpenID Connect Core §2).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};
use sha2::Digest;
use uuid::Uuid;

use crate::domain::token::TokenRecord;
use crate::domain::{AuthServer, Client, SigningAlgorithm};

use super::flow::Login;

/// An access token's claims and the record that lists it in the management API.
pub struct AccessToken {
    pub claims: Map<String, Value>,
    pub record: TokenRecord,
    pub expires_in: i64,
    pub scope: String,
}

impl AccessToken {
    /// RFC 8707 §2: a token for named resources has them as its audience, in place of the
    /// auth server's own (`None` leaves it).
    pub fn restrict_audience(&mut self, audience: Option<Vec<String>>) {
        if let Some(audience) = audience {
            self.claims.insert("aud".into(), json!(audience));
        }
    }

    /// Ends the token at `expires` (Unix seconds) if that is sooner than its own lifetime: a
    /// token issued for another never outlives it.
    pub fn expire_by(&mut self, expires: i64) {
        let Some(ends) = DateTime::<Utc>::from_timestamp(expires, 0) else { return };
        if ends < self.record.expires_at {
            self.expires_in -= (self.record.expires_at - ends).num_seconds();
            self.record.expires_at = ends;
            self.claims.insert("exp".into(), json!(expires));
        }
    }
}

/// Who a token is for: the client itself (client_credentials), an end user who signed in, or
/// the subject of a token exchanged for this one (RFC 8693 §2.1).
pub enum Subject<'a> {
    Client,
    User(&'a Login),
    Exchanged(&'a str),
}

/// An access token for `subject` with the granted scope names.
pub fn access_token(
    issuer: &str,
    server: &AuthServer,
    client: &Client,
    subject: Subject<'_>,
    names: Vec<String>,
    custom: Vec<(String, Value)>,
    now: DateTime<Utc>,
) -> AccessToken {
    let jti = Uuid::new_v4();
    let lifetime = client.access_token_duration.seconds();
    let iat = now.timestamp();
    let scope = names.join(" ");
    let mut claims = Map::new();
    for (name, value) in custom {
        claims.insert(name, value);
    }
    // The management API lists the subject of every token not issued to the client itself.
    let (sub, user, listed_subject) = match subject {
        Subject::Client => (client.id.as_str().to_owned(), None, None),
        Subject::User(login) => (login.subject.clone(), Some(login), Some(login.subject.clone())),
        Subject::Exchanged(sub) => (sub.to_owned(), None, Some(sub.to_owned())),
    };
    // Registered claims last, so nothing custom can replace them (RFC 9068 §2.2).
    claims.insert("iss".into(), json!(issuer));
    claims.insert("sub".into(), json!(sub));
    claims.insert("aud".into(), json!([server.audience]));
    claims.insert("client_id".into(), json!(client.id.as_str()));
    claims.insert("iat".into(), json!(iat));
    claims.insert("nbf".into(), json!(iat));
    claims.insert("exp".into(), json!(iat + lifetime));
    claims.insert("jti".into(), json!(jti.to_string()));
    if let Some(login) = user {
        // RFC 9068 §2.2.1: when the user authenticated.
        claims.insert("auth_time".into(), json!(login.auth_time));
    }
    if !scope.is_empty() {
        claims.insert("scope".into(), json!(scope));
    }
    let record = TokenRecord {
        id: jti,
        auth_server_id: server.id,
        client_id: client.id.clone(),
        granted_scope_names: names,
        created_at: now,
        expires_at: now + TimeDelta::seconds(lifetime),
        subject: listed_subject,
        user_claims: user.map(|login| Value::Object(login.claims.clone()).to_string()),
    };
    AccessToken { claims, record, expires_in: lifetime, scope }
}

/// OpenID Connect Core §3.1.3.6: `at_hash`/`c_hash` are the left half of the hash of the
/// value, with the hash of the signing algorithm (SHA-512 for EdDSA with Ed25519).
pub fn half_hash(algorithm: SigningAlgorithm, value: &str) -> String {
    let digest: Vec<u8> = match algorithm {
        SigningAlgorithm::RS256 | SigningAlgorithm::PS256 | SigningAlgorithm::ES256 => {
            sha2::Sha256::digest(value.as_bytes()).to_vec()
        }
        SigningAlgorithm::RS384 | SigningAlgorithm::PS384 => sha2::Sha384::digest(value.as_bytes()).to_vec(),
        SigningAlgorithm::RS512 | SigningAlgorithm::PS512 | SigningAlgorithm::EdDSA => {
            sha2::Sha512::digest(value.as_bytes()).to_vec()
        }
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// What an ID token is issued alongside, for its hashes.
#[derive(Default)]
pub struct Alongside<'a> {
    pub access_token: Option<&'a str>,
    pub code: Option<&'a str>,
}

/// OpenID Connect Core §2 and §3.1.3.6: the ID token's claims. It has no `jti` and no
/// `scope`, so it can never pass for an access token at introspection or userinfo.
pub fn id_token(
    issuer: &str,
    server: &AuthServer,
    client: &Client,
    login: &Login,
    nonce: Option<&str>,
    alongside: Alongside<'_>,
    now: DateTime<Utc>,
) -> Map<String, Value> {
    let mut claims = Map::new();
    for (name, value) in &login.claims {
        if !crate::claims::is_registered(name) {
            claims.insert(name.clone(), value.clone());
        }
    }
    let iat = now.timestamp();
    claims.insert("iss".into(), json!(issuer));
    claims.insert("sub".into(), json!(login.subject));
    claims.insert("aud".into(), json!(client.id.as_str()));
    // §2: azp names the party the token was issued to; harmless with one audience, and
    // relying parties that check it find it.
    claims.insert("azp".into(), json!(client.id.as_str()));
    claims.insert("iat".into(), json!(iat));
    claims.insert("exp".into(), json!(iat + client.id_token_duration.seconds()));
    claims.insert("auth_time".into(), json!(login.auth_time));
    if let Some(nonce) = nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    if let Some(acr) = &login.acr {
        claims.insert("acr".into(), json!(acr));
    }
    if let Some(amr) = &login.amr {
        claims.insert("amr".into(), json!(amr));
    }
    if let Some(token) = alongside.access_token {
        claims.insert("at_hash".into(), json!(half_hash(server.signing_algorithm, token)));
    }
    if let Some(code) = alongside.code {
        claims.insert("c_hash".into(), json!(half_hash(server.signing_algorithm, code)));
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_hashes_take_the_left_half_of_the_algorithms_hash() {
        // A published RS256 example: SHA-256 of the token, left 16 bytes, base64url.
        let token = "dNZX1hEZ9wBCzNL40Upu646bdzQA";
        assert_eq!(half_hash(SigningAlgorithm::RS256, token), "wfgvmE9VxjAudsl9lc6TqA");
        assert_eq!(half_hash(SigningAlgorithm::RS384, token).len(), 32);
        assert_eq!(half_hash(SigningAlgorithm::EdDSA, token).len(), 43);
    }
}
