//! The data a template renders against: `.AuthServer` and `.Client`, with the fields and Go
//! types Kong Identity documents, and their shape for checking field names at save time.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::gotime::GoTime;
use super::value::{Elem, Struct, Value};
use crate::domain::{AuthServer, Client, Labels};

/// The static type of a context value, enough to reject `.Client.Nmae` when a claim is saved.
#[derive(Debug)]
pub enum Shape {
    Struct(&'static str, &'static [(&'static str, Shape)]),
    /// A map: any key, values of the inner shape.
    Map(&'static Shape),
    /// A value without fields, named by its Go type.
    Scalar(&'static str),
    /// A `time.Time`: its methods (`.Unix`, `.Format`) can follow.
    Time,
}

static STRING: Shape = Shape::Scalar("string");
static TIME: Shape = Shape::Time;

/// The shape of a time method's result other than a time.
fn scalar(type_name: &'static str) -> &'static Shape {
    static RESULTS: [Shape; 6] = [
        Shape::Scalar("int64"),
        Shape::Scalar("int"),
        Shape::Scalar("bool"),
        Shape::Scalar("string"),
        Shape::Scalar("time.Month"),
        Shape::Scalar("time.Weekday"),
    ];
    RESULTS.iter().find(|shape| matches!(shape, Shape::Scalar(name) if *name == type_name)).unwrap_or(&STRING)
}

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

/// The shape of the whole context (dot at the top of a template, and `$`).
pub static ROOT: Shape = Shape::Struct("Context", &ROOT_FIELDS);

impl Shape {
    /// Whether the field chain `.A.B.C` exists; the error names the first missing field.
    pub fn check(&self, chain: &[String], prefix: &str) -> Result<(), String> {
        let mut shape = self;
        for (depth, name) in chain.iter().enumerate() {
            shape = match shape {
                Shape::Struct(type_name, fields) => match fields.iter().find(|(field, _)| field == name) {
                    Some((_, inner)) => inner,
                    None => {
                        let known: Vec<&str> = fields.iter().map(|(field, _)| *field).collect();
                        let path = format!("{prefix}{}", chain[..=depth].join("."));
                        return Err(format!(
                            "unknown field {path}: {type_name} has no field {name} (it has {})",
                            known.join(", ")
                        ));
                    }
                },
                // Go looks a key up when the template runs; what a missing key gives (no
                // value) takes any field after it, so nothing past a key is checked.
                Shape::Map(_) => return Ok(()),
                Shape::Time => match super::methods::result_type(name) {
                    Some("time.Time") => &TIME,
                    Some(type_name) => scalar(type_name),
                    None => {
                        let path = format!("{prefix}{}", chain[..depth].join("."));
                        return Err(format!("can't evaluate field {name} of {path}: it is a time.Time"));
                    }
                },
                Shape::Scalar(type_name) => {
                    let path = format!("{prefix}{}", chain[..depth].join("."));
                    return Err(format!("can't evaluate field {name} of {path}: it is a {type_name}"));
                }
            };
        }
        Ok(())
    }
}

/// Labels are a Go `map[string]string`.
fn labels(labels: &Labels) -> Value {
    Value::typed_map(
        Elem::Str,
        labels.iter().map(|(k, v)| (k.clone(), Value::str(v.as_str()))).collect::<BTreeMap<_, _>>(),
    )
}

/// The context's lists are Go `[]string`s.
fn strings<T: std::fmt::Display>(items: &[T]) -> Value {
    Value::strings(items.iter().map(|item| item.to_string()))
}

pub fn auth_server(server: &AuthServer) -> Value {
    Value::Struct(Arc::new(Struct {
        type_name: "AuthServer",
        fields: vec![
            ("ID", Value::str(server.id.to_string())),
            ("CreatedAt", Value::Time(GoTime::utc(server.created_at))),
            ("UpdatedAt", Value::Time(GoTime::utc(server.updated_at))),
            ("Name", Value::str(server.name.as_str())),
            ("Description", Value::str(server.description.as_str())),
            ("Audience", Value::str(server.audience.as_str())),
            ("SigningAlgorithm", Value::str(server.signing_algorithm.as_str())),
            ("Labels", labels(&server.labels)),
        ],
    }))
}

pub fn client(client: &Client) -> Value {
    Value::Struct(Arc::new(Struct {
        type_name: "Client",
        fields: vec![
            ("ID", Value::str(client.id.as_str())),
            ("CreatedAt", Value::Time(GoTime::utc(client.created_at))),
            ("UpdatedAt", Value::Time(GoTime::utc(client.updated_at))),
            ("Name", Value::str(client.name.as_str())),
            ("Labels", labels(&client.labels)),
            ("GrantTypes", strings(&client.grant_types)),
            ("RedirectURIs", strings(&client.redirect_uris)),
            ("LoginURI", Value::str(client.login_uri.as_ref().map(|u| u.as_str()).unwrap_or_default())),
            ("ResponseTypes", strings(&client.response_types)),
            ("AllowAllScopes", Value::Bool(client.allow_all_scopes)),
        ],
    }))
}

/// The context a template renders against: `.AuthServer` and `.Client`.
pub fn root(auth_server: Value, client: Value) -> Value {
    Value::Struct(Arc::new(Struct {
        type_name: "Context",
        fields: vec![("AuthServer", auth_server), ("Client", client)],
    }))
}

/// A context with every field set, for the fuzzer: no database, no domain validation.
pub fn example() -> Value {
    let at = GoTime::utc(chrono::DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap_or_default());
    let labels = Value::typed_map(Elem::Str, BTreeMap::from([("environment".to_owned(), Value::str("staging"))]));
    let server = Struct {
        type_name: "AuthServer",
        fields: vec![
            ("ID", Value::str("5f9fd312-a987-4628-b4c5-bb4f4fddd5f7")),
            ("CreatedAt", Value::Time(at.clone())),
            ("UpdatedAt", Value::Time(at.clone())),
            ("Name", Value::str("Payments")),
            ("Description", Value::str("")),
            ("Audience", Value::str("http://myhttpbin.dev")),
            ("SigningAlgorithm", Value::str("RS256")),
            ("Labels", labels.clone()),
        ],
    };
    let client = Struct {
        type_name: "Client",
        fields: vec![
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
    };
    root(Value::Struct(Arc::new(server)), Value::Struct(Arc::new(client)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(path: &str) -> Vec<String> {
        path.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn documented_fields_check_and_others_are_named() {
        for path in ["AuthServer.ID", "AuthServer.Labels.anything", "Client.AllowAllScopes", "Client.RedirectURIs"] {
            assert!(ROOT.check(&chain(path), ".").is_ok(), "{path}");
        }
        let error = ROOT.check(&chain("Client.Nmae"), ".").unwrap_err();
        assert!(error.contains("unknown field .Client.Nmae") && error.contains("Name, Labels"), "{error}");
        let error = ROOT.check(&chain("Client.Name.First"), ".").unwrap_err();
        assert_eq!(error, "can't evaluate field First of .Client.Name: it is a string");
    }

    #[test]
    fn the_example_context_has_every_field_the_shape_names() {
        let Value::Struct(root) = example() else { panic!("a struct") };
        let Shape::Struct(_, shapes) = &ROOT else { panic!("a struct shape") };
        for (name, shape) in shapes.iter() {
            let Some(Value::Struct(inner)) = root.field(name) else { panic!("{name}") };
            let Shape::Struct(_, fields) = shape else { panic!("{name} shape") };
            let names: Vec<&str> = inner.fields.iter().map(|(n, _)| *n).collect();
            let expected: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
            assert_eq!(names, expected, "{name}");
        }
    }
}
