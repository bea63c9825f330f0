//! Verifies tokens the way an unrelated gateway would: discovery document → `jwks_uri` →
//! the key named by `kid` → signature and claims, with jwt-simple (a JOSE library that
//! shares no code with the signer).

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::*;
use serde_json::Value;

use crate::helpers::{TestApp, jwt_parts};

pub struct Verified {
    pub issuer: String,
    pub subject: String,
    pub audiences: HashSet<String>,
    pub jwt_id: String,
    pub custom: HashMap<String, Value>,
}

fn bytes(jwk: &Value, name: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap_or_else(|| panic!("JWK without {name}: {jwk}"))).unwrap()
}

/// Verifies through the issuer's discovery document; panics with the reason otherwise.
pub async fn verify_via_discovery(app: &TestApp, issuer: &str, token: &str, audience: &str) -> Verified {
    let metadata = app.send(app.http.get(format!("{issuer}/.well-known/openid-configuration"))).await.body;
    assert_eq!(metadata["issuer"], issuer);
    let jwks = app.send(app.http.get(metadata["jwks_uri"].as_str().unwrap())).await.body;
    let (header, _) = jwt_parts(token);
    let kid = header["kid"].as_str().expect("kid in header");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("kid {kid} not in JWKS"));
    let options = VerificationOptions {
        allowed_issuers: Some(HashSet::from([issuer.to_owned()])),
        allowed_audiences: Some(HashSet::from([audience.to_owned()])),
        ..Default::default()
    };
    let claims: JWTClaims<HashMap<String, Value>> = match (jwk["kty"].as_str(), jwk["alg"].as_str()) {
        (Some("RSA"), Some("RS256")) => RS256PublicKey::from_components(&bytes(jwk, "n"), &bytes(jwk, "e"))
            .unwrap()
            .verify_token(token, Some(options)),
        (Some("RSA"), Some("PS256")) => PS256PublicKey::from_components(&bytes(jwk, "n"), &bytes(jwk, "e"))
            .unwrap()
            .verify_token(token, Some(options)),
        (Some("EC"), Some("ES256")) => {
            let mut point = vec![4u8];
            point.extend(bytes(jwk, "x"));
            point.extend(bytes(jwk, "y"));
            ES256PublicKey::from_bytes(&point).unwrap().verify_token(token, Some(options))
        }
        (Some("OKP"), Some("EdDSA")) => {
            Ed25519PublicKey::from_bytes(&bytes(jwk, "x")).unwrap().verify_token(token, Some(options))
        }
        other => panic!("unexpected key type {other:?}"),
    }
    .unwrap_or_else(|e| panic!("token does not verify: {e}"));
    let audiences = match claims.audiences {
        Some(Audiences::AsSet(set)) => set,
        Some(Audiences::AsString(one)) => HashSet::from([one]),
        None => HashSet::new(),
    };
    Verified {
        issuer: claims.issuer.unwrap_or_default(),
        subject: claims.subject.unwrap_or_default(),
        audiences,
        jwt_id: claims.jwt_id.unwrap_or_default(),
        custom: claims.custom,
    }
}
