//! RFC 8693 token exchange: a gateway trades the token a caller sent it for one narrowed to the
//! API it calls next, as the caller (impersonation) or naming itself as the actor (delegation,
//! `act`), under the exchange policy an admin gave it; subject tokens from this auth server and
//! from a trusted issuer (a Kubernetes service-account token signed with jwt-simple). Issued
//! tokens are checked through discovery with an independent JOSE library.

use jwt_simple::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{Seed, TestApp, TestResponse, backend_tests, jwt_parts, str_of};
use crate::jose::verify_via_discovery;
use crate::jwt_bearer::{KUBERNETES, kubernetes_claims, rsa_jwk, trust};
use crate::resource_indicators::declare_resources;

const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
const LEDGER: &str = "https://ledger.example.com/api";
const PAYMENTS: &str = "urn:acme:payments";

/// The auth server of the seed with its resources, and a gateway client (no scopes of its own)
/// whose exchange policy is `policy`; the ledger's scope ids are filled in for `"ledger"`.
async fn gateway_with_policy(app: &TestApp, seed: &Seed, policy: Value) -> Seed {
    let client = app.create_client(&seed.server_id, &format!("gateway-{}", uuid::Uuid::new_v4()), &[]).await;
    let gateway = Seed {
        client_id: str_of(&client, "id").to_owned(),
        secret: str_of(&client, "client_secret").to_owned(),
        ..seed.clone()
    };
    set_policy(app, &gateway, policy).await;
    gateway
}

async fn set_policy(app: &TestApp, client: &Seed, policy: Value) {
    let path = format!("/v1/auth-servers/{}/clients/{}/token-exchange-policy", client.server_id, client.client_id);
    let put = app.put(&path, policy).await;
    assert_eq!(put.status, 200, "{}", put.text);
}

/// The ledger's scope ids (`ledger:read` and `scope1`).
fn ledger_scopes(ledger: &Value) -> Value {
    ledger["scopes"].clone()
}

/// Form parameters of a token exchange request, some computed.
type Params = Vec<(&'static str, String)>;

async fn exchange(app: &TestApp, caller: &Seed, params: &[(&str, &str)]) -> TestResponse {
    let mut form = vec![("grant_type", GRANT_TYPE)];
    form.extend_from_slice(params);
    let request = app
        .http
        .post(format!("{}/oauth/token", caller.issuer))
        .basic_auth(&caller.client_id, Some(&caller.secret))
        .form(&form);
    app.send(request).await
}

async fn a_gateway_exchanges_a_callers_token_for_one_narrowed_to_the_api_it_calls(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let (ledger, _) = declare_resources(&app, &seed).await;
    let gateway =
        gateway_with_policy(&app, &seed, json!({"audiences": [LEDGER], "scopes": ledger_scopes(&ledger)})).await;
    let discovery = app.send(app.http.get(format!("{}/.well-known/openid-configuration", seed.issuer))).await;
    assert!(discovery.body["grant_types_supported"].as_array().unwrap().contains(&json!(GRANT_TYPE)));

    let caller = app.token(&seed, Some("scope1 ledger:read payments:write")).await;
    let subject_token = str_of(&caller.body, "access_token").to_owned();
    let subject_exp = jwt_parts(&subject_token).1["exp"].as_i64().unwrap();
    let exchanged = exchange(
        &app,
        &gateway,
        &[("subject_token", &subject_token), ("subject_token_type", ACCESS_TOKEN), ("resource", LEDGER)],
    )
    .await;
    assert_eq!(exchanged.status, 200, "{}", exchanged.text);
    assert_eq!(exchanged.body["issued_token_type"], ACCESS_TOKEN);
    assert_eq!(exchanged.body["token_type"], "Bearer");
    assert_eq!(exchanged.body["scope"], "scope1 ledger:read", "the subject's scopes the policy and the ledger allow");
    assert!(exchanged.body.get("refresh_token").is_none());
    let token = str_of(&exchanged.body, "access_token");
    let verified = verify_via_discovery(&app, &seed.issuer, token, LEDGER).await;
    assert_eq!(verified.subject, seed.client_id, "the caller stays the subject");
    assert_eq!(verified.custom["client_id"], gateway.client_id.as_str(), "RFC 8693 §4.3: the client that exchanged");
    assert!(!verified.custom.contains_key("act"), "impersonation names no actor");
    assert!(jwt_parts(token).1["exp"].as_i64().unwrap() <= subject_exp, "never outlives the subject token");
    let introspected = app.introspect(&gateway, token).await;
    assert_eq!(
        (introspected.body["active"].clone(), introspected.body["sub"].clone()),
        (json!(true), json!(seed.client_id))
    );

    // Exchanged with a narrower scope, and as a JWT (RFC 8693 §3).
    let narrower = exchange(
        &app,
        &gateway,
        &[
            ("subject_token", &subject_token),
            ("subject_token_type", JWT),
            ("audience", LEDGER),
            ("scope", "ledger:read"),
            ("requested_token_type", JWT),
        ],
    )
    .await;
    assert_eq!(narrower.status, 200, "{}", narrower.text);
    assert_eq!(
        (narrower.body["scope"].clone(), narrower.body["issued_token_type"].clone()),
        (json!("ledger:read"), json!(JWT))
    );

    // The caller's token revoked: nothing more is exchanged for it.
    let revoked = app
        .send(
            app.http
                .post(format!("{}/oauth/revoke", seed.issuer))
                .basic_auth(&seed.client_id, Some(&seed.secret))
                .form(&[("token", &subject_token)]),
        )
        .await;
    assert_eq!(revoked.status, 200);
    let refused =
        exchange(&app, &gateway, &[("subject_token", &subject_token), ("subject_token_type", ACCESS_TOKEN)]).await;
    assert_eq!(str_of(&refused.body, "error"), "invalid_request", "{}", refused.text);
    assert!(str_of(&refused.body, "error_description").contains("subject_token has been revoked"), "{}", refused.text);
}

async fn delegation_names_the_actor_in_act_on_top_of_earlier_actors(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let (ledger, _) = declare_resources(&app, &seed).await;
    let policy = json!({"audiences": [LEDGER], "scopes": ledger_scopes(&ledger), "allow_delegation": true});
    let frontend = gateway_with_policy(&app, &seed, policy.clone()).await;
    let backend = gateway_with_policy(&app, &seed, policy).await;
    let subject_token = str_of(&app.token(&seed, Some("scope1")).await.body, "access_token").to_owned();

    let frontend_token = str_of(&app.token(&frontend, None).await.body, "access_token").to_owned();
    let first = exchange(
        &app,
        &frontend,
        &[
            ("subject_token", &subject_token),
            ("subject_token_type", ACCESS_TOKEN),
            ("actor_token", &frontend_token),
            ("actor_token_type", ACCESS_TOKEN),
        ],
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let first_token = str_of(&first.body, "access_token").to_owned();
    let verified = verify_via_discovery(&app, &seed.issuer, &first_token, "http://myhttpbin.dev").await;
    assert_eq!(verified.subject, seed.client_id);
    assert_eq!(verified.custom["act"], json!({"sub": frontend.client_id}));

    // The backend acts on the frontend's behalf in turn: the current actor on top (RFC 8693 §4.1).
    let backend_token = str_of(&app.token(&backend, None).await.body, "access_token").to_owned();
    let second = exchange(
        &app,
        &backend,
        &[
            ("subject_token", &first_token),
            ("subject_token_type", ACCESS_TOKEN),
            ("actor_token", &backend_token),
            ("actor_token_type", ACCESS_TOKEN),
            ("resource", LEDGER),
        ],
    )
    .await;
    assert_eq!(second.status, 200, "{}", second.text);
    let token = str_of(&second.body, "access_token");
    let expected_act = json!({"sub": backend.client_id, "act": {"sub": frontend.client_id}});
    assert_eq!(jwt_parts(token).1["act"], expected_act);
    assert_eq!(app.introspect(&backend, token).await.body["act"], expected_act, "introspection shows the actor");
}

async fn the_exchange_policy_decides_who_may_exchange_what(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let (ledger, _) = declare_resources(&app, &seed).await;
    let gateway =
        gateway_with_policy(&app, &seed, json!({"audiences": [LEDGER], "scopes": ledger_scopes(&ledger)})).await;
    let subject_token = str_of(&app.token(&seed, Some("scope1")).await.body, "access_token").to_owned();
    let gateway_token = str_of(&app.token(&gateway, None).await.body, "access_token").to_owned();
    let other_server = app.auth_server_with_client_signing("ES256").await;
    let foreign = str_of(&app.token(&other_server, Some("scope1")).await.body, "access_token").to_owned();
    let subject =
        |kind: &'static str| vec![("subject_token", subject_token.clone()), ("subject_token_type", kind.to_owned())];
    let with = |extra: &[(&'static str, &str)]| {
        let mut params = subject(ACCESS_TOKEN);
        params.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        params
    };
    let cases: Vec<(Params, &str, &str)> = vec![
        (with(&[("scope", "ledger:read")]), "invalid_scope", "wider than the subject token"),
        (with(&[("scope", "payments:write")]), "invalid_scope", "does not allow scope payments:write"),
        (with(&[("resource", PAYMENTS)]), "invalid_target", "does not allow this resource"),
        (with(&[("audience", "https://elsewhere.example.com")]), "invalid_target", "does not allow"),
        (
            with(&[("actor_token", &gateway_token), ("actor_token_type", ACCESS_TOKEN)]),
            "invalid_request",
            "does not allow delegation",
        ),
        (
            with(&[("actor_token_type", ACCESS_TOKEN)]),
            "invalid_request",
            "actor_token_type is sent without actor_token",
        ),
        (
            with(&[("requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token")]),
            "invalid_request",
            "requested_token_type",
        ),
        (subject(ID_TOKEN), "invalid_request", "subject_token is not an ID token"),
        (subject("urn:ietf:params:oauth:token-type:saml2"), "invalid_request", "subject_token_type must be one of"),
        (
            vec![("subject_token", "not-a-jwt".into()), ("subject_token_type", ACCESS_TOKEN.into())],
            "invalid_request",
            "subject_token is not a JWT",
        ),
        (
            vec![("subject_token", foreign.clone()), ("subject_token_type", ACCESS_TOKEN.into())],
            "invalid_request",
            "not trust",
        ),
        (vec![("subject_token_type", ACCESS_TOKEN.into())], "invalid_request", "Missing parameter subject_token"),
        (
            vec![("subject_token", "x".repeat(17_000)), ("subject_token_type", ACCESS_TOKEN.into())],
            "invalid_request",
            "subject_token is longer than 16384 characters",
        ),
    ];
    for (params, error, reason) in cases {
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = exchange(&app, &gateway, &params).await;
        assert_eq!((refused.status, str_of(&refused.body, "error")), (400, error), "{reason}: {}", refused.text);
        let description = str_of(&refused.body, "error_description");
        assert!(description.contains(reason), "{reason}: {description}");
        assert!(!description.contains(&subject_token[..20]), "no token in {description}");
    }

    // A client without a policy may not exchange; a caller that does not authenticate gets nothing.
    let no_policy =
        exchange(&app, &seed, &[("subject_token", &subject_token), ("subject_token_type", ACCESS_TOKEN)]).await;
    assert_eq!(
        (no_policy.status, str_of(&no_policy.body, "error")),
        (400, "unauthorized_client"),
        "{}",
        no_policy.text
    );
    let anonymous = app
        .post_form(
            &format!("{}/oauth/token", seed.issuer),
            &[("grant_type", GRANT_TYPE), ("subject_token", &subject_token), ("subject_token_type", ACCESS_TOKEN)],
        )
        .await;
    assert_eq!((anonymous.status, str_of(&anonymous.body, "error")), (401, "invalid_client"), "{}", anonymous.text);

    // The policy changed: delegation only, and no tokens of this auth server.
    set_policy(&app, &gateway, json!({"allow_impersonation": false, "allow_delegation": true})).await;
    let refused =
        exchange(&app, &gateway, &[("subject_token", &subject_token), ("subject_token_type", ACCESS_TOKEN)]).await;
    assert!(str_of(&refused.body, "error_description").contains("delegation only"), "{}", refused.text);
    set_policy(&app, &gateway, json!({"accept_own_tokens": false})).await;
    let refused =
        exchange(&app, &gateway, &[("subject_token", &subject_token), ("subject_token_type", ACCESS_TOKEN)]).await;
    assert!(str_of(&refused.body, "error_description").contains("does not accept its tokens"), "{}", refused.text);
    // Removed: the gateway is a client without a policy again.
    let path = format!("/v1/auth-servers/{}/clients/{}/token-exchange-policy", seed.server_id, gateway.client_id);
    assert_eq!(app.delete(&path).await.status, 204);
    let refused =
        exchange(&app, &gateway, &[("subject_token", &subject_token), ("subject_token_type", ACCESS_TOKEN)]).await;
    assert_eq!(str_of(&refused.body, "error"), "unauthorized_client", "{}", refused.text);
}

async fn a_workloads_kubernetes_token_is_exchanged_under_its_trusted_issuers_rules(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let (ledger, _) = declare_resources(&app, &seed).await;
    let key = RS256KeyPair::generate(2048).unwrap().with_key_id("sa-1");
    let trusted = trust(
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
    let gateway = gateway_with_policy(
        &app,
        &seed,
        json!({"accept_own_tokens": false, "trusted_issuer_ids": [trusted["id"]], "audiences": [LEDGER],
               "scopes": ledger_scopes(&ledger), "allow_scope_widening": true, "allow_delegation": true}),
    )
    .await;
    let workload = key.sign(kubernetes_claims("payments", "api", "tessera")).unwrap();
    let params = [
        ("subject_token", workload.as_str()),
        ("subject_token_type", JWT),
        ("resource", LEDGER),
        ("scope", "ledger:read"),
    ];
    for attempt in 0..2 {
        // A subject token is not used up: the workload may need tokens for several APIs.
        let exchanged = exchange(&app, &gateway, &params).await;
        assert_eq!(exchanged.status, 200, "attempt {attempt}: {}", exchanged.text);
        assert!(exchanged.body["expires_in"].as_i64().unwrap() <= 600, "capped by the workload token's exp");
        let verified = verify_via_discovery(&app, &seed.issuer, str_of(&exchanged.body, "access_token"), LEDGER).await;
        assert_eq!(verified.subject, "system:serviceaccount:payments:api");
        assert_eq!(verified.custom["scope"], "ledger:read", "widened: the policy allows it");
        assert_eq!(verified.custom["kubernetes.io"]["namespace"], "payments", "copied by the trusted issuer");
    }

    // Every check of the trusted issuer applies, named after the subject token.
    let expired = {
        let mut claims = kubernetes_claims("payments", "api", "tessera");
        claims.expires_at = Some(Clock::now_since_epoch() - Duration::from_secs(120));
        key.sign(claims).unwrap()
    };
    let stranger = RS256KeyPair::generate(2048).unwrap().with_key_id("sa-1");
    let may_act = {
        let claims = kubernetes_claims("payments", "api", "tessera");
        let mut value = serde_json::to_value(&claims).unwrap();
        value["may_act"] = json!({"sub": "someone-else"});
        let claims: JWTClaims<Value> = serde_json::from_value(value).unwrap();
        key.sign(claims).unwrap()
    };
    let actor = key.sign(kubernetes_claims("payments", "gateway", "tessera")).unwrap();
    let other_audience = key.sign(kubernetes_claims("payments", "api", "other")).unwrap();
    let unsigned_by_it = stranger.sign(kubernetes_claims("payments", "api", "tessera")).unwrap();
    let cases = [
        (vec![("subject_token", expired.as_str()), ("subject_token_type", JWT)], "subject_token has expired"),
        (
            vec![("subject_token", other_audience.as_str()), ("subject_token_type", JWT)],
            "subject_token aud must include",
        ),
        (vec![("subject_token", unsigned_by_it.as_str()), ("subject_token_type", JWT)], "signature does not verify"),
        (
            vec![
                ("subject_token", may_act.as_str()),
                ("subject_token_type", JWT),
                ("actor_token", actor.as_str()),
                ("actor_token_type", JWT),
            ],
            "may_act",
        ),
    ];
    for (params, reason) in cases {
        let refused = exchange(&app, &gateway, &params).await;
        assert_eq!(
            (refused.status, str_of(&refused.body, "error")),
            (400, "invalid_request"),
            "{reason}: {}",
            refused.text
        );
        assert!(str_of(&refused.body, "error_description").contains(reason), "{reason}: {}", refused.text);
    }
    // The actor from the same cluster, which may_act does not restrict here: `act` names its issuer.
    let delegated = exchange(
        &app,
        &gateway,
        &[
            ("subject_token", workload.as_str()),
            ("subject_token_type", JWT),
            ("actor_token", actor.as_str()),
            ("actor_token_type", JWT),
        ],
    )
    .await;
    assert_eq!(delegated.status, 200, "{}", delegated.text);
    let act = &jwt_parts(str_of(&delegated.body, "access_token")).1["act"];
    assert_eq!(*act, json!({"sub": "system:serviceaccount:payments:gateway", "iss": KUBERNETES}));

    // A policy that does not name this trusted issuer does not accept its tokens.
    set_policy(&app, &gateway, json!({"audiences": [LEDGER]})).await;
    let refused = exchange(&app, &gateway, &[("subject_token", workload.as_str()), ("subject_token_type", JWT)]).await;
    assert!(str_of(&refused.body, "error_description").contains("policy does not accept"), "{}", refused.text);
    // The token was verified before (and that verification is remembered): a disabled trusted
    // issuer still stops it at once.
    set_policy(&app, &gateway, json!({"accept_own_tokens": false, "trusted_issuer_ids": [trusted["id"]]})).await;
    assert_eq!(
        exchange(&app, &gateway, &[("subject_token", workload.as_str()), ("subject_token_type", JWT)]).await.status,
        200
    );
    let path = format!("/v1/auth-servers/{}/trusted-issuers/{}", seed.server_id, str_of(&trusted, "id"));
    assert_eq!(app.patch(&path, json!({"enabled": false})).await.status, 200);
    let refused = exchange(&app, &gateway, &[("subject_token", workload.as_str()), ("subject_token_type", JWT)]).await;
    assert!(str_of(&refused.body, "error_description").contains("does not trust"), "{}", refused.text);
}

backend_tests!(
    a_gateway_exchanges_a_callers_token_for_one_narrowed_to_the_api_it_calls,
    delegation_names_the_actor_in_act_on_top_of_earlier_actors,
    the_exchange_policy_decides_who_may_exchange_what,
    a_workloads_kubernetes_token_is_exchanged_under_its_trusted_issuers_rules
);
