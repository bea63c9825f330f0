//! Signs a JWT-sized message with one RSA-2048 key (RS256: PKCS#1 v1.5, SHA-256) in each
//! library, on as many threads as the machine has cores, and prints signatures per second.
//! The libraries run one after another in the same process, so their rates compare even on a
//! noisy machine. Usage: `signers [seconds-per-library]`.

use std::sync::Arc;
use std::time::{Duration, Instant};

type SignFn = Arc<dyn Fn(&[u8]) -> usize + Send + Sync>;

fn main() {
    let seconds: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let threads = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
    // A typical access token's signing input: base64url header and claims.
    let message = vec![b'a'; 600];

    let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
    let pkey = openssl::pkey::PKey::from_rsa(rsa).unwrap();
    let pkcs8 = pkey.private_key_to_pkcs8().unwrap();

    let aws = Arc::new(aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&pkcs8).unwrap());
    let aws_rng = aws_lc_rs::rand::SystemRandom::new();
    let aws_sign: SignFn = Arc::new(move |m| {
        let mut sig = vec![0; aws.public_modulus_len()];
        aws.sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &aws_rng, m, &mut sig).unwrap();
        sig.len()
    });

    let ring_pair = Arc::new(ring::signature::RsaKeyPair::from_pkcs8(&pkcs8).unwrap());
    let ring_rng = ring::rand::SystemRandom::new();
    let ring_sign: SignFn = Arc::new(move |m| {
        let mut sig = vec![0; ring_pair.public().modulus_len()];
        ring_pair.sign(&ring::signature::RSA_PKCS1_SHA256, &ring_rng, m, &mut sig).unwrap();
        sig.len()
    });

    let ossl_key = pkey.clone();
    let ossl_sign: SignFn = Arc::new(move |m| {
        let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &ossl_key).unwrap();
        signer.update(m).unwrap();
        signer.sign_to_vec().unwrap().len()
    });

    let p256 =
        aws_lc_rs::signature::EcdsaKeyPair::generate(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let p256 = Arc::new(p256);
    let p256_rng = aws_lc_rs::rand::SystemRandom::new();
    let es256_sign: SignFn = Arc::new(move |m| p256.sign(&p256_rng, m).unwrap().as_ref().len());

    // Each signature must verify with the other libraries' verifiers: a fast wrong signer is no use.
    check_interoperable(&pkey, &pkcs8, &message);

    println!("threads: {threads}, {seconds} s per library, message {} bytes", message.len());
    for (name, sign) in [
        ("openssl (system libcrypto) RS256", ossl_sign),
        ("aws-lc-rs RS256", aws_sign),
        ("ring RS256", ring_sign),
        ("aws-lc-rs ES256", es256_sign),
    ] {
        let rate = measure(&sign, &message, threads, Duration::from_secs_f64(seconds));
        println!("RESULT\t{name}\t{rate:.0}");
    }
}

fn measure(sign: &SignFn, message: &[u8], threads: usize, duration: Duration) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let sign = sign.clone();
            let message = message.to_vec();
            std::thread::spawn(move || {
                let mut count = 0u64;
                while start.elapsed() < duration {
                    std::hint::black_box(sign(&message));
                    count += 1;
                }
                count
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total as f64 / start.elapsed().as_secs_f64()
}

fn check_interoperable(pkey: &openssl::pkey::PKey<openssl::pkey::Private>, pkcs8: &[u8], message: &[u8]) {
    let public_der = pkey.rsa().unwrap().public_key_to_der_pkcs1().unwrap();
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), pkey).unwrap();
    signer.update(message).unwrap();
    let ossl_sig = signer.sign_to_vec().unwrap();
    let aws = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(pkcs8).unwrap();
    let mut aws_sig = vec![0; aws.public_modulus_len()];
    aws.sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), message, &mut aws_sig)
        .unwrap();
    // PKCS#1 v1.5 is deterministic: the libraries must produce the same bytes.
    assert_eq!(ossl_sig, aws_sig, "openssl and aws-lc-rs signatures differ");
    aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, &public_der)
        .verify(message, &ossl_sig)
        .unwrap();
}
