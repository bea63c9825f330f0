//! Minting access tokens (RFC 9068 claims, seed 002's shape).

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::domain::token::TokenRecord;
use crate::domain::{AuthServer, Client, Scope};

/// An access token's claims and the record that lists it in the management API.
pub struct AccessToken {
    pub claims: Map<String, Value>,
    pub record: TokenRecord,
    pub expires_in: i64,
    pub scope: String,
}

/// Claims of a client_credentials access token: `sub` and `client_id` are the client,
/// `aud` the auth server's audience, `exp` from the client's access token duration.
pub fn client_credentials_token(
    issuer: &str,
    server: &AuthServer,
    client: &Client,
    granted: &[&Scope],
    custom: Vec<(String, Value)>,
    now: DateTime<Utc>,
) -> AccessToken {
    let jti = Uuid::new_v4();
    let lifetime = client.access_token_duration.seconds();
    let iat = now.timestamp();
    let names: Vec<String> = granted.iter().map(|s| s.name.as_str().to_owned()).collect();
    let scope = names.join(" ");
    let mut claims = Map::new();
    for (name, value) in custom {
        claims.insert(name, value);
    }
    // Registered claims last, so nothing custom can replace them (RFC 9068 §2.2).
    claims.insert("iss".into(), json!(issuer));
    claims.insert("sub".into(), json!(client.id.as_str()));
    claims.insert("aud".into(), json!([server.audience]));
    claims.insert("client_id".into(), json!(client.id.as_str()));
    claims.insert("iat".into(), json!(iat));
    claims.insert("nbf".into(), json!(iat));
    claims.insert("exp".into(), json!(iat + lifetime));
    claims.insert("jti".into(), json!(jti.to_string()));
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
    };
    AccessToken { claims, record, expires_in: lifetime, scope }
}
