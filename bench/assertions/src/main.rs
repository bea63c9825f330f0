//! `assertions ALG COUNT ISSUER AUDIENCE SUBJECT OUT_DIR`: generates a key (RS256 or ES256),
//! writes its public JWK Set to OUT_DIR/jwks.json and COUNT distinct signed JWTs (one `jti`
//! each, valid for an hour) to OUT_DIR/assertions.txt, one per line, using both cores.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

enum Key {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, alg, count, issuer, audience, subject, out] = args.as_slice() else {
        eprintln!("usage: assertions RS256|ES256 COUNT ISSUER AUDIENCE SUBJECT OUT_DIR");
        std::process::exit(2);
    };
    let count: usize = count.parse().expect("COUNT is a number");
    let (key, jwk) = match alg.as_str() {
        "RS256" => {
            let key = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key");
            let public = key.public_key();
            let components: signature::RsaPublicKeyComponents<Vec<u8>> = public.into();
            let jwk = json!({"kty": "RSA", "kid": "bench", "n": b64(&components.n), "e": b64(&components.e)});
            (Key::Rsa(key), jwk)
        }
        "ES256" => {
            let key = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).expect("EC key");
            let point = key.public_key().as_ref().to_vec();
            let jwk = json!({"kty": "EC", "crv": "P-256", "kid": "bench", "x": b64(&point[1..33]), "y": b64(&point[33..65])});
            (Key::Ec(key), jwk)
        }
        other => panic!("unsupported alg {other}"),
    };
    std::fs::write(format!("{out}/jwks.json"), json!({"keys": [jwk]}).to_string()).expect("jwks.json written");
    let header = b64(json!({"alg": alg, "kid": "bench", "typ": "JWT"}).to_string().as_bytes());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs();
    let sign = |n: usize| {
        let claims = json!({"iss": issuer, "sub": subject, "aud": audience, "iat": now, "exp": now + 3600,
                            "jti": format!("bench-{n}")});
        let input = format!("{header}.{}", b64(claims.to_string().as_bytes()));
        let rng = SystemRandom::new();
        let signature = match &key {
            Key::Rsa(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(&signature::RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut signature).expect("signed");
                signature
            }
            Key::Ec(key) => key.sign(&rng, input.as_bytes()).expect("signed").as_ref().to_vec(),
        };
        format!("{input}.{}\n", b64(&signature))
    };
    let halves: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|part| scope.spawn(move || (part..count).step_by(2).map(sign).collect::<String>()))
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).collect()
    });
    let mut file = std::fs::File::create(format!("{out}/assertions.txt")).expect("assertions.txt created");
    for half in halves {
        file.write_all(half.as_bytes()).expect("written");
    }
}
