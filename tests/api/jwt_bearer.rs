//! RFC 7523 §2.1, the JWT bearer grant: a workload's token from a trusted issuer (shaped like a
//! Kubernetes service-account token or a GitHub Actions OIDC token, signed here with jwt-simple,
//! a JOSE library that shares no code with Tessera) gets an access token for the client its
//! subject maps to, with no client secret; the issued token is checked through discovery.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{Seed, TestApp, TestResponse, backend_tests, str_of};
use crate::jose::verify_via_discovery;

const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub(crate) const KUBERNETES: &str = "https://kubernetes.default.svc.cluster.local";
const GITHUB: &str = "https://token.actions.githubusercontent.com";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn rsa_jwk(key: &RS256KeyPair, kid: &str) -> Value {
    let components = key.public_key().to_components();
    json!({"kty": "RSA", "kid": kid, "use": "sig", "n": b64(&components.n), "e": b64(&components.e)})
}

pub(crate) fn ec_jwk(key: &ES256KeyPair, kid: &str) -> Value {
    let point = key.public_key().public_key().to_bytes_uncompressed();
    json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": b64(&point[1..33]), "y": b64(&point[33..65])})
}

pub(crate) async fn trust(app: &TestApp, seed: &Seed, body: Value) -> Value {
    let created = app.post(&format!("/v1/auth-servers/{}/trusted-issuers", seed.server_id), body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.body
}

async fn exchange(app: &TestApp, seed: &Seed, assertion: &str, scope: Option<&str>) -> TestResponse {
    let mut form = vec![("grant_type", GRANT_TYPE), ("assertion", assertion)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    app.post_form(&format!("{}/oauth/token", seed.issuer), &form).await
}

/// Claims of a projected Kubernetes service-account token (`kubectl create token api`).
pub(crate) fn kubernetes_claims(namespace: &str, account: &str, audience: &str) -> JWTClaims<Value> {
    let custom = json!({"kubernetes.io": {"namespace": namespace,
        "serviceaccount": {"name": account, "uid": "4b8d5a4e-0000-4000-8000-000000000001"}}});
    Claims::with_custom_claims(custom, Duration::from_secs(600))
        .with_issuer(KUBERNETES)
        .with_subject(format!("system:serviceaccount:{namespace}:{account}"))
        .with_audiences(HashSet::from([audience.to_owned()]))
        .with_jwt_id(uuid::Uuid::new_v4().to_string())
}

async fn a_kubernetes_workload_trades_its_service_account_token_for_an_access_token(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let key = RS256KeyPair::generate(2048).unwrap().with_key_id("sa-1");
    trust(
        &app,
        &seed,
        json!({
            "name": "cluster", "issuer": KUBERNETES, "jwks": {"keys": [rsa_jwk(&key, "sa-1")]},
            "allowed_algorithms": ["RS256"], "audience": "tessera",
            "subjects": [{"subject": "system:serviceaccount:payments:*", "client_id": seed.client_id}],
            "copy_claims": ["kubernetes.io"]
        }),
    )
    .await;
    let discovery = app.send(app.http.get(format!("{}/.well-known/openid-configuration", seed.issuer))).await;
    assert!(discovery.body["grant_types_supported"].as_array().unwrap().contains(&json!(GRANT_TYPE)));

    let assertion = key.sign(kubernetes_claims("payments", "api", "tessera")).unwrap();
    let issued = exchange(&app, &seed, &assertion, Some("scope1")).await;
    assert_eq!(issued.status, 200, "{}", issued.text);
    assert_eq!(issued.body["scope"], "scope1");
    let token = str_of(&issued.body, "access_token");
    let verified = verify_via_discovery(&app, &seed.issuer, token, "http://myhttpbin.dev").await;
    assert_eq!(verified.subject, seed.client_id, "the token is the mapped client's");
    assert_eq!(verified.custom["client_id"], seed.client_id.as_str());
    assert_eq!(verified.custom["kubernetes.io"]["namespace"], "payments", "copied from the assertion");

    let replayed = exchange(&app, &seed, &assertion, None).await;
    assert_eq!((replayed.status, str_of(&replayed.body, "error")), (400, "invalid_grant"));
    assert!(str_of(&replayed.body, "error_description").contains("already been used"), "{}", replayed.text);

    let other_namespace = key.sign(kubernetes_claims("billing", "api", "tessera")).unwrap();
    let refused = exchange(&app, &seed, &other_namespace, None).await;
    assert_eq!(str_of(&refused.body, "error"), "invalid_grant");
    assert!(str_of(&refused.body, "error_description").contains("sub matches no subject"), "{}", refused.text);
}

/// Claims of a GitHub Actions OIDC token for a push to `main` of `acme/billing`.
fn github_claims(repository: &str, git_ref: &str, owner: &str) -> JWTClaims<Value> {
    let custom = json!({"repository": repository, "repository_owner": owner, "ref": git_ref,
        "workflow": "deploy", "event_name": "push", "runner_environment": "github-hosted"});
    Claims::with_custom_claims(custom, Duration::from_secs(300))
        .with_issuer(GITHUB)
        .with_subject(format!("repo:{repository}:ref:{git_ref}"))
        .with_audience("https://tessera.example")
        .with_jwt_id(uuid::Uuid::new_v4().to_string())
}

async fn a_github_actions_job_gets_a_token_only_for_the_repository_and_branch_it_is_trusted_for(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let key = ES256KeyPair::generate().with_key_id("gh-1");
    let stranger = ES256KeyPair::generate().with_key_id("gh-1");
    trust(
        &app,
        &seed,
        json!({
            "name": "github", "issuer": GITHUB, "jwks": {"keys": [ec_jwk(&key, "gh-1")]},
            "audience": "https://tessera.example", "max_token_age_secs": 600,
            "subjects": [{"subject": "repo:acme/*:ref:refs/heads/main", "client_id": seed.client_id}],
            "claim_conditions": {"repository_owner": "acme"}
        }),
    )
    .await;
    let main = key.sign(github_claims("acme/billing", "refs/heads/main", "acme")).unwrap();
    let issued = exchange(&app, &seed, &main, None).await;
    assert_eq!(issued.status, 200, "{}", issued.text);

    let old = {
        let mut claims = github_claims("acme/billing", "refs/heads/main", "acme");
        claims.issued_at = Some(Clock::now_since_epoch() - Duration::from_secs(3600));
        claims
    };
    let expired = {
        let mut claims = github_claims("acme/billing", "refs/heads/main", "acme");
        claims.expires_at = Some(Clock::now_since_epoch() - Duration::from_secs(120));
        claims
    };
    let unsigned = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(serde_json::to_string(&github_claims("acme/billing", "refs/heads/main", "acme")).unwrap().as_bytes())
    );
    let cases = [
        (key.sign(github_claims("acme/billing", "refs/heads/feature", "acme")).unwrap(), "sub matches no subject"),
        (key.sign(github_claims("acme/billing", "refs/heads/main", "evil")).unwrap(), "repository_owner"),
        (stranger.sign(github_claims("acme/billing", "refs/heads/main", "acme")).unwrap(), "signature does not verify"),
        (
            key.sign(github_claims("acme/billing", "refs/heads/main", "acme").with_audience("https://other.example"))
                .unwrap(),
            "aud must include",
        ),
        (key.sign(old).unwrap(), "older than 600 seconds"),
        (key.sign(expired).unwrap(), "expired"),
        (unsigned, "alg must be one of"),
        ("not-a-jwt".to_owned(), "not a JWT"),
    ];
    for (assertion, reason) in cases {
        let refused = exchange(&app, &seed, &assertion, None).await;
        assert_eq!(
            (refused.status, str_of(&refused.body, "error")),
            (400, "invalid_grant"),
            "{reason}: {}",
            refused.text
        );
        let description = str_of(&refused.body, "error_description");
        assert!(description.contains(reason), "{reason}: {description}");
        assert!(!description.contains("acme/billing"), "no token content in {description}");
    }

    // An issuer this auth server does not trust, and an assertion that is missing.
    let unknown = {
        let claims = github_claims("acme/billing", "refs/heads/main", "acme").with_issuer("https://evil.example");
        key.sign(claims).unwrap()
    };
    let refused = exchange(&app, &seed, &unknown, None).await;
    assert!(str_of(&refused.body, "error_description").contains("not a trusted issuer"), "{}", refused.text);
    let missing = app.post_form(&format!("{}/oauth/token", seed.issuer), &[("grant_type", GRANT_TYPE)]).await;
    assert_eq!(str_of(&missing.body, "error"), "invalid_request");
}

/// A client that also authenticates must be the one the subject maps to (RFC 7523 §2.1).
async fn a_client_that_authenticates_with_the_grant_must_be_the_mapped_client(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let key = ES256KeyPair::generate().with_key_id("gh-1");
    trust(
        &app,
        &seed,
        json!({
            "name": "github", "issuer": GITHUB, "jwks": {"keys": [ec_jwk(&key, "gh-1")]},
            "audience": "https://tessera.example",
            "subjects": [{"subject": "repo:acme/billing:ref:refs/heads/main", "client_id": seed.client_id}]
        }),
    )
    .await;
    let assertion = key.sign(github_claims("acme/billing", "refs/heads/main", "acme")).unwrap();
    let with_secret = app
        .post_form(
            &format!("{}/oauth/token", seed.issuer),
            &[
                ("grant_type", GRANT_TYPE),
                ("assertion", &assertion),
                ("client_id", &seed.client_id),
                ("client_secret", &seed.secret),
            ],
        )
        .await;
    assert_eq!(with_secret.status, 200, "{}", with_secret.text);
    let wrong_secret = app
        .post_form(
            &format!("{}/oauth/token", seed.issuer),
            &[
                ("grant_type", GRANT_TYPE),
                ("assertion", &key.sign(github_claims("acme/billing", "refs/heads/main", "acme")).unwrap()),
                ("client_id", &seed.client_id),
                ("client_secret", "wrong"),
            ],
        )
        .await;
    assert_eq!(str_of(&wrong_secret.body, "error"), "invalid_client", "{}", wrong_secret.text);
    let url = format!("{}/oauth/token", seed.issuer);
    for (client_id, status) in [(seed.client_id.as_str(), 200), ("someone-else", 400)] {
        let assertion = key.sign(github_claims("acme/billing", "refs/heads/main", "acme")).unwrap();
        let named = app
            .post_form(&url, &[("grant_type", GRANT_TYPE), ("assertion", &assertion), ("client_id", client_id)])
            .await;
        assert_eq!(named.status, status, "{client_id} named without a secret: {}", named.text);
    }
}

/// The single use commits with the token it issues (one group commit): the same assertion sent
/// many times at once, so that copies land in one batch, still gets exactly one token.
async fn an_assertion_sent_many_times_at_once_gets_one_token(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let key = ES256KeyPair::generate().with_key_id("gh-1");
    trust(
        &app,
        &seed,
        json!({
            "name": "github", "issuer": GITHUB, "jwks": {"keys": [ec_jwk(&key, "gh-1")]},
            "audience": "https://tessera.example",
            "subjects": [{"subject": "repo:acme/*:ref:refs/heads/main", "client_id": seed.client_id}]
        }),
    )
    .await;
    for round in 0..3 {
        let assertion = key.sign(github_claims("acme/billing", "refs/heads/main", "acme")).unwrap();
        let answers = futures::future::join_all((0..12).map(|_| exchange(&app, &seed, &assertion, None))).await;
        let issued = answers.iter().filter(|a| a.status == 200).count();
        assert_eq!(issued, 1, "round {round}: {:?}", answers.iter().map(|a| &a.text).collect::<Vec<_>>());
        for refused in answers.iter().filter(|a| a.status != 200) {
            assert!(str_of(&refused.body, "error_description").contains("already been used"), "{}", refused.text);
        }
    }
    let tokens = app.get(&format!("/v1/auth-servers/{}/clients/{}/tokens", seed.server_id, seed.client_id)).await;
    assert_eq!(tokens.body["data"].as_array().map(Vec::len), Some(3), "only the tokens handed out are recorded");
}

backend_tests!(
    an_assertion_sent_many_times_at_once_gets_one_token,
    a_kubernetes_workload_trades_its_service_account_token_for_an_access_token,
    a_github_actions_job_gets_a_token_only_for_the_repository_and_branch_it_is_trusted_for,
    a_client_that_authenticates_with_the_grant_must_be_the_mapped_client
);

/// An issuer served by the test on a loopback port: its JWK Set at `/jwks` (which the test
/// replaces to rotate keys, counting fetches), `/slow` never answering, `/huge` sending 1 MiB.
struct TestIssuer {
    base: String,
    keys: std::sync::Arc<std::sync::Mutex<Value>>,
    fetches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

async fn test_issuer(keys: Value) -> TestIssuer {
    use axum::routing::get;
    use std::sync::atomic::Ordering;
    let keys = std::sync::Arc::new(std::sync::Mutex::new(keys));
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (served, counted) = (keys.clone(), fetches.clone());
    let app = axum::Router::new()
        .route(
            "/jwks",
            get(move || {
                let (served, counted) = (served.clone(), counted.clone());
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    axum::Json(served.lock().unwrap().clone())
                }
            }),
        )
        .route("/slow", get(|| async { tokio::time::sleep(std::time::Duration::from_secs(60)).await }))
        .route("/huge", get(|| async { "x".repeat(1 << 20) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    TestIssuer { base, keys, fetches }
}

fn workload_claims(issuer: &str) -> JWTClaims<NoCustomClaims> {
    Claims::create(Duration::from_secs(300))
        .with_issuer(issuer)
        .with_subject("system:serviceaccount:payments:api")
        .with_audience("tessera")
        .with_jwt_id(uuid::Uuid::new_v4().to_string())
}

async fn keys_are_fetched_from_the_jwks_uri_once_and_again_when_the_issuer_rotates_them(app: TestApp) {
    use std::sync::atomic::Ordering;
    let seed = app.auth_server_with_client().await;
    let first = ES256KeyPair::generate().with_key_id("k1");
    let issuer = test_issuer(json!({"keys": [ec_jwk(&first, "k1")]})).await;
    trust(
        &app,
        &seed,
        json!({
            "name": "cluster", "issuer": issuer.base, "jwks_uri": format!("{}/jwks", issuer.base),
            "audience": "tessera",
            "subjects": [{"subject": "system:serviceaccount:payments:*", "client_id": seed.client_id}]
        }),
    )
    .await;
    for _ in 0..3 {
        let issued = exchange(&app, &seed, &first.sign(workload_claims(&issuer.base)).unwrap(), None).await;
        assert_eq!(issued.status, 200, "{}", issued.text);
    }
    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 1, "fetched once, then held");

    // Made-up kids cost at most one fetch per few seconds, however many arrive.
    for n in 0..5 {
        let stranger = ES256KeyPair::generate().with_key_id(&format!("made-up-{n}"));
        let refused = exchange(&app, &seed, &stranger.sign(workload_claims(&issuer.base)).unwrap(), None).await;
        assert!(str_of(&refused.body, "error_description").contains("signature does not verify"), "{}", refused.text);
    }
    assert!(issuer.fetches.load(Ordering::SeqCst) <= 2, "{} fetches", issuer.fetches.load(Ordering::SeqCst));

    // The issuer rotates: the new kid is fetched once the refetch pause has passed.
    let second = ES256KeyPair::generate().with_key_id("k2");
    *issuer.keys.lock().unwrap() = json!({"keys": [ec_jwk(&second, "k2")]});
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let issued = exchange(&app, &seed, &second.sign(workload_claims(&issuer.base)).unwrap(), None).await;
    assert_eq!(issued.status, 200, "{}", issued.text);
}

async fn an_issuer_that_hangs_sends_too_much_or_fails_is_refused_in_seconds(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let key = ES256KeyPair::generate().with_key_id("k1");
    let issuer = test_issuer(json!({"keys": []})).await;
    for (path, reason) in [
        ("/slow", "cannot reach"),
        ("/huge", "more than 262144 bytes"),
        ("/missing", "answered 404"),
        ("/jwks", "no usable signing key"),
    ] {
        let name = format!("issuer{}", path.replace('/', "-"));
        let created = app.post(&format!("/v1/auth-servers/{}/trusted-issuers", seed.server_id), json!({
            "name": name, "issuer": format!("{}{path}", issuer.base), "jwks_uri": format!("{}{path}", issuer.base),
            "audience": "tessera",
            "subjects": [{"subject": "system:serviceaccount:payments:*", "client_id": seed.client_id}]
        })).await;
        assert_eq!(created.status, 201, "{}", created.text);
        let started = std::time::Instant::now();
        let assertion = key.sign(workload_claims(&format!("{}{path}", issuer.base))).unwrap();
        let refused = exchange(&app, &seed, &assertion, None).await;
        assert!(started.elapsed() < std::time::Duration::from_secs(8), "{path}: {:?}", started.elapsed());
        assert_eq!(
            (refused.status, str_of(&refused.body, "error")),
            (400, "invalid_grant"),
            "{path}: {}",
            refused.text
        );
        assert!(str_of(&refused.body, "error_description").contains(reason), "{path}: {}", refused.text);
    }
    // Requests waiting behind a fetch from an issuer that hangs are answered with its failure,
    // not each after a timeout of its own in turn.
    let started = std::time::Instant::now();
    let slow = format!("{}/slow", issuer.base);
    let waiting = (0..4).map(|_| {
        let assertion = key.sign(workload_claims(&slow)).unwrap();
        let app = &app;
        let seed = &seed;
        async move { exchange(app, seed, &assertion, None).await }
    });
    for refused in futures::future::join_all(waiting).await {
        assert!(str_of(&refused.body, "error_description").contains("cannot reach"), "{}", refused.text);
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(8), "{:?}", started.elapsed());
}

backend_tests!(
    keys_are_fetched_from_the_jwks_uri_once_and_again_when_the_issuer_rotates_them,
    an_issuer_that_hangs_sends_too_much_or_fails_is_refused_in_seconds
);

/// RFC 7523 §2.2: a trusted issuer's token authenticates the client its subject maps to, as
/// `private_key_jwt` does with the client's own keys, at the token, introspection and
/// revocation endpoints; each token once.
async fn a_workloads_own_token_authenticates_its_client_at_every_issuer_endpoint(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let key = RS256KeyPair::generate(2048).unwrap().with_key_id("sa-1");
    let stranger = RS256KeyPair::generate(2048).unwrap().with_key_id("sa-1");
    trust(
        &app,
        &seed,
        json!({
            "name": "cluster", "issuer": KUBERNETES, "jwks": {"keys": [rsa_jwk(&key, "sa-1")]},
            "allowed_algorithms": ["RS256"], "audience": "tessera",
            "subjects": [{"subject": "system:serviceaccount:payments:*", "client_id": seed.client_id}]
        }),
    )
    .await;
    let assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    let authenticated = |assertion: String| {
        vec![
            ("client_assertion_type".to_owned(), assertion_type.to_owned()),
            ("client_assertion".to_owned(), assertion),
        ]
    };
    let send = |path: &'static str, mut form: Vec<(String, String)>, extra: Vec<(&'static str, String)>| {
        form.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
        let url = format!("{}/{path}", seed.issuer);
        let app = &app;
        async move { app.send(app.http.post(url).form(&form)).await }
    };
    let sign = |key: &RS256KeyPair| key.sign(kubernetes_claims("payments", "api", "tessera")).unwrap();

    let first = sign(&key);
    let issued =
        send("oauth/token", authenticated(first.clone()), vec![("grant_type", "client_credentials".into())]).await;
    assert_eq!(issued.status, 200, "{}", issued.text);
    let token = str_of(&issued.body, "access_token").to_owned();
    let replayed = send("oauth/token", authenticated(first), vec![("grant_type", "client_credentials".into())]).await;
    assert_eq!((replayed.status, str_of(&replayed.body, "error")), (401, "invalid_client"), "{}", replayed.text);
    assert!(str_of(&replayed.body, "error_description").contains("already been used"));

    let forged =
        send("oauth/token", authenticated(sign(&stranger)), vec![("grant_type", "client_credentials".into())]).await;
    assert_eq!((forged.status, str_of(&forged.body, "error")), (401, "invalid_client"), "{}", forged.text);
    let other_client = send(
        "oauth/token",
        authenticated(sign(&key)),
        vec![("grant_type", "client_credentials".into()), ("client_id", "someone-else".into())],
    )
    .await;
    assert_eq!(str_of(&other_client.body, "error"), "invalid_client", "{}", other_client.text);

    let introspected = send("introspect", authenticated(sign(&key)), vec![("token", token.clone())]).await;
    assert_eq!(introspected.status, 200, "{}", introspected.text);
    assert_eq!(introspected.body["active"], true, "{}", introspected.text);
    let revoked = send("oauth/revoke", authenticated(sign(&key)), vec![("token", token.clone())]).await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    let after = send("introspect", authenticated(sign(&key)), vec![("token", token)]).await;
    assert_eq!(after.body["active"], false, "{}", after.text);
}

backend_tests!(a_workloads_own_token_authenticates_its_client_at_every_issuer_endpoint);
