//! The root values the tests, the fuzzer and the bench render against: Kong Identity's claim
//! template context (`.AuthServer` and `.Client`, with the fields and Go types Kong documents),
//! built from plain values. Tessera builds the same shape from its domain types.
#![allow(dead_code)] // each test binary, the fuzzer and the bench use a different part

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use gotemplate::{Elem, GoTime, Shape, Struct, Value};

static STRING: Shape = Shape::Scalar("string");

static AUTH_SERVER_FIELDS: [(&str, Shape); 8] = [
    ("ID", Shape::Scalar("string")),
    ("CreatedAt", Shape::Time),
    ("UpdatedAt", Shape::Time),
    ("Name", Shape::Scalar("string")),
    ("Description", Shape::Scalar("string")),
    ("Audience", Shape::Scalar("string")),
    ("SigningAlgorithm", Shape::Scalar("string")),
    ("Labels", Shape::Map(&STRING)),
];

static CLIENT_FIELDS: [(&str, Shape); 10] = [
    ("ID", Shape::Scalar("string")),
    ("CreatedAt", Shape::Time),
    ("UpdatedAt", Shape::Time),
    ("Name", Shape::Scalar("string")),
    ("Labels", Shape::Map(&STRING)),
    ("GrantTypes", Shape::Scalar("[]string")),
    ("RedirectURIs", Shape::Scalar("[]string")),
    ("LoginURI", Shape::Scalar("string")),
    ("ResponseTypes", Shape::Scalar("[]string")),
    ("AllowAllScopes", Shape::Scalar("bool")),
];

static ROOT_FIELDS: [(&str, Shape); 2] = [
    ("AuthServer", Shape::Struct("AuthServer", &AUTH_SERVER_FIELDS)),
    ("Client", Shape::Struct("Client", &CLIENT_FIELDS)),
];

/// The shape of the context: dot at the top of a template, and `$`.
pub static SHAPE: Shape = Shape::Struct("Context", &ROOT_FIELDS);

fn labels(pairs: &[(&str, &str)]) -> Value {
    Value::typed_map(
        Elem::Str,
        pairs.iter().map(|(k, v)| ((*k).to_owned(), Value::str(*v))).collect::<BTreeMap<_, _>>(),
    )
}

fn structure(type_name: &'static str, fields: Vec<(&'static str, Value)>) -> Value {
    Value::Struct(Arc::new(Struct { type_name, fields }))
}

/// The context of the Go oracle (`tools/go-oracle/main.go` builds the same one in Go): every
/// field set, times at 1700000000.123456 s, no redirect URIs.
pub fn example() -> Value {
    let at = GoTime::utc(DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap_or_default());
    let labels = labels(&[("environment", "staging")]);
    let server = structure(
        "AuthServer",
        vec![
            ("ID", Value::str("5f9fd312-a987-4628-b4c5-bb4f4fddd5f7")),
            ("CreatedAt", Value::Time(at.clone())),
            ("UpdatedAt", Value::Time(at.clone())),
            ("Name", Value::str("Payments")),
            ("Description", Value::str("")),
            ("Audience", Value::str("http://myhttpbin.dev")),
            ("SigningAlgorithm", Value::str("RS256")),
            ("Labels", labels.clone()),
        ],
    );
    let client = structure(
        "Client",
        vec![
            ("ID", Value::str("abc123")),
            ("CreatedAt", Value::Time(at.clone())),
            ("UpdatedAt", Value::Time(at)),
            ("Name", Value::str("billing-service")),
            ("Labels", labels),
            ("GrantTypes", Value::strings(["client_credentials"])),
            ("RedirectURIs", Value::strings(Vec::<String>::new())),
            ("LoginURI", Value::str("")),
            ("ResponseTypes", Value::strings(["token"])),
            ("AllowAllScopes", Value::Bool(false)),
        ],
    );
    structure("Context", vec![("AuthServer", server), ("Client", client)])
}

/// The context of the render tests and the bench: a client with two grant types, a redirect
/// URI and a numeric label.
pub fn sample() -> Value {
    let server_at = GoTime::utc(Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).single().unwrap_or_default());
    let client_at = GoTime::utc(Utc.with_ymd_and_hms(2024, 2, 3, 4, 5, 6).single().unwrap_or_default());
    let server = structure(
        "AuthServer",
        vec![
            ("ID", Value::str("5f9fd312-a987-4628-b4c5-bb4f4fddd5f7")),
            ("CreatedAt", Value::Time(server_at.clone())),
            ("UpdatedAt", Value::Time(server_at)),
            ("Name", Value::str("Payments")),
            ("Description", Value::str("Payments issuer")),
            ("Audience", Value::str("http://myhttpbin.dev")),
            ("SigningAlgorithm", Value::str("RS256")),
            ("Labels", labels(&[("region", "eu")])),
        ],
    );
    let client = structure(
        "Client",
        vec![
            ("ID", Value::str("abc123")),
            ("CreatedAt", Value::Time(client_at.clone())),
            ("UpdatedAt", Value::Time(client_at)),
            ("Name", Value::str("billing-service")),
            ("Labels", labels(&[("environment", "staging"), ("tier", "3")])),
            ("GrantTypes", Value::strings(["client_credentials", "authorization_code"])),
            ("RedirectURIs", Value::strings(["https://app.example.com/cb"])),
            ("LoginURI", Value::str("")),
            ("ResponseTypes", Value::strings(["code"])),
            ("AllowAllScopes", Value::Bool(true)),
        ],
    );
    structure("Context", vec![("AuthServer", server), ("Client", client)])
}
