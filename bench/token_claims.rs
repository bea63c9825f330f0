//! What the custom claims of one token cost: the template context built from the auth server
//! and the client, then seven template claims rendered and typed. Parsing and rendering alone
//! are timed by the engine's bench (`cargo bench -p gotemplate`). `cargo bench --bench token_claims`.

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use tessera::claims::{CompiledClaim, RenderContext, select};
use tessera::domain::{
    AuthServer, Claim, Client, ClientId, GrantType, IssuerSlug, Labels, Name, RedirectUri, ResponseType,
};

/// The examples of Kong Identity's documentation: what real claims look like (the engine's
/// bench parses and renders the same ones).
const TYPICAL: [(&str, &str); 7] = [
    ("uuid", "${ uuidv4 }"),
    ("name", "${ .Client.Name }"),
    ("date", "${ now | date \"2006-01-02T15:04:05Z07:00\" }"),
    ("concat", "${ .AuthServer.Audience }-${ .Client.ID }"),
    ("default", "${ .Client.Labels.environment | default \"production\" }"),
    ("upper", "${ upper .Client.Name }"),
    ("random", "${ randAlphaNum 16 }"),
];

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::parse(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()).unwrap_or_default()
}

fn server() -> AuthServer {
    let at = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).single().unwrap_or_default();
    AuthServer {
        id: uuid::Uuid::new_v4(),
        name: Name::parse("Payments".into()).unwrap_or_else(|_| unreachable!()),
        description: String::new(),
        audience: "http://myhttpbin.dev".into(),
        signing_algorithm: Default::default(),
        issuer_slug: IssuerSlug::generate(),
        labels: labels(&[("region", "eu")]),
        trusted_origins: vec![],
        require_pkce: false,
        rate_limit_per_second: None,
        created_at: at,
        updated_at: at,
    }
}

fn client() -> Client {
    let at = Utc.with_ymd_and_hms(2024, 2, 3, 4, 5, 6).single().unwrap_or_default();
    Client {
        id: ClientId::parse("abc123").unwrap_or_else(|_| unreachable!()),
        auth_server_id: uuid::Uuid::nil(),
        name: Name::parse("billing-service".into()).unwrap_or_else(|_| unreachable!()),
        grant_types: vec![GrantType::ClientCredentials],
        response_types: vec![ResponseType::Token],
        redirect_uris: RedirectUri::parse("https://app.example.com/cb".into()).into_iter().collect(),
        login_uri: None,
        access_token_duration: Default::default(),
        id_token_duration: Default::default(),
        allow_all_scopes: true,
        allow_scopes: vec![],
        labels: labels(&[("environment", "staging")]),
        token_endpoint_auth_method: Default::default(),
        jwks: None,
        introspection_allowed: false,
        login_requests_answered_by_client: false,
        created_at: at,
        updated_at: at,
    }
}

fn claim(name: &str, value: &str) -> Claim {
    Claim {
        id: uuid::Uuid::new_v4(),
        auth_server_id: uuid::Uuid::nil(),
        name: Name::parse(name.into()).unwrap_or_else(|_| unreachable!()),
        value: value.into(),
        include_in_token: true,
        include_in_all_scopes: true,
        include_in_scopes: vec![],
        enabled: true,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

fn benches(c: &mut Criterion) {
    let (server, client) = (server(), client());
    let now = Utc::now();
    // What one token pays: the context built once, then every template claim rendered and typed.
    let claims: Vec<CompiledClaim> =
        TYPICAL.iter().map(|(name, source)| CompiledClaim::new(claim(name, source))).collect();
    c.bench_function("token/seven_template_claims", |b| {
        b.iter(|| {
            let mut context = RenderContext::new(&server, &client, None, now);
            select(black_box(&claims), &[], false, &mut context)
        })
    });
}

criterion_group!(claim_benches, benches);
criterion_main!(claim_benches);
