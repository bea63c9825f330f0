//! The data a claim template renders against: `.AuthServer` and `.Client`, with the fields and
//! Go types Kong Identity documents, built from the domain types, and their shape, against
//! which a template's field names are checked when the claim is saved.

use std::collections::BTreeMap;
use std::sync::Arc;

use gotemplate::{Elem, GoTime, Shape, Struct, Value};

use crate::domain::principal::Principal;
use crate::domain::{AuthServer, Client, Labels};

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

static ANY: Shape = Shape::Scalar("interface {}");

/// The principal a client is linked to by an `auth_server_client` identity (Kong Identity v2);
/// empty (`""` and empty maps) for a client linked to none.
static PRINCIPAL_FIELDS: [(&str, Shape); 4] = [
    ("ID", Shape::Scalar("string")),
    ("DisplayName", Shape::Scalar("string")),
    ("Metadata", Shape::Map(&ANY)),
    ("Labels", Shape::Map(&STRING)),
];

static ROOT_FIELDS: [(&str, Shape); 3] = [
    ("AuthServer", Shape::Struct("AuthServer", &AUTH_SERVER_FIELDS)),
    ("Client", Shape::Struct("Client", &CLIENT_FIELDS)),
    ("Principal", Shape::Struct("Principal", &PRINCIPAL_FIELDS)),
];

/// The shape of the whole context (dot at the top of a template, and `$`): what
/// [`Template::parse`](gotemplate::Template::parse) checks claim templates against.
pub static ROOT: Shape = Shape::Struct("Context", &ROOT_FIELDS);

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

/// A metadata value as Go sees a decoded JSON value: `string`, `bool`, `int`, or a slice.
fn metadata_value(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => n.as_i64().map_or_else(|| Value::str(n.to_string()), Value::Int),
        serde_json::Value::String(s) => Value::str(s.as_str()),
        serde_json::Value::Array(items) if items.iter().all(|i| i.is_string()) => {
            Value::strings(items.iter().filter_map(|i| i.as_str().map(str::to_owned)))
        }
        serde_json::Value::Array(items) => Value::typed_list(Elem::Int, items.iter().map(metadata_value).collect()),
        _ => Value::Nil,
    }
}

pub fn principal(principal: Option<&Principal>) -> Value {
    let (id, display_name, metadata, principal_labels) = match principal {
        Some(p) => (
            p.id.to_string(),
            p.display_name.clone(),
            p.metadata.as_map().iter().map(|(k, v)| (k.clone(), metadata_value(v))).collect::<BTreeMap<_, _>>(),
            labels(&p.labels),
        ),
        None => (String::new(), String::new(), BTreeMap::new(), labels(&Labels::default())),
    };
    Value::Struct(Arc::new(Struct {
        type_name: "Principal",
        fields: vec![
            ("ID", Value::str(id)),
            ("DisplayName", Value::str(display_name)),
            ("Metadata", Value::typed_map(Elem::Any, metadata)),
            ("Labels", principal_labels),
        ],
    }))
}

/// The context a template renders against: `.AuthServer`, `.Client` and `.Principal`.
pub fn root(auth_server: Value, client: Value, principal: Value) -> Value {
    Value::Struct(Arc::new(Struct {
        type_name: "Context",
        fields: vec![("AuthServer", auth_server), ("Client", client), ("Principal", principal)],
    }))
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::{TimeZone, Utc};
    use gotemplate::Template;

    use super::*;
    use crate::domain::{ClientId, GrantType, IssuerSlug, Name, RedirectUri, ResponseType};

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::parse(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()).unwrap()
    }

    pub(crate) fn sample_server() -> AuthServer {
        AuthServer {
            id: uuid::Uuid::parse_str("5f9fd312-a987-4628-b4c5-bb4f4fddd5f7").unwrap(),
            name: Name::parse("Payments".into()).unwrap(),
            description: "Payments issuer".into(),
            audience: "http://myhttpbin.dev".into(),
            signing_algorithm: Default::default(),
            issuer_slug: IssuerSlug::generate(),
            labels: labels(&[("region", "eu")]),
            trusted_origins: vec![],
            require_pkce: false,
            rate_limit_per_second: None,
            created_at: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap(),
            updated_at: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap(),
        }
    }

    pub(crate) fn sample_client() -> Client {
        Client {
            id: ClientId::parse("abc123").unwrap(),
            auth_server_id: uuid::Uuid::nil(),
            name: Name::parse("billing-service".into()).unwrap(),
            grant_types: vec![GrantType::ClientCredentials, GrantType::AuthorizationCode],
            response_types: vec![ResponseType::Code],
            redirect_uris: vec![RedirectUri::parse("https://app.example.com/cb".into()).unwrap()],
            login_uri: None,
            access_token_duration: Default::default(),
            id_token_duration: Default::default(),
            allow_all_scopes: true,
            allow_scopes: vec![],
            labels: labels(&[("environment", "staging"), ("tier", "3")]),
            token_endpoint_auth_method: Default::default(),
            jwks: None,
            introspection_allowed: false,
            login_requests_answered_by_client: false,
            created_at: Utc.with_ymd_and_hms(2024, 2, 3, 4, 5, 6).unwrap(),
            updated_at: Utc.with_ymd_and_hms(2024, 2, 3, 4, 5, 6).unwrap(),
        }
    }

    fn sample() -> Value {
        root(auth_server(&sample_server()), client(&sample_client()), principal(None))
    }

    #[test]
    fn documented_fields_check_and_others_are_named() {
        for path in ["AuthServer.ID", "AuthServer.Labels.anything", "Client.AllowAllScopes", "Client.RedirectURIs"] {
            assert!(Template::parse(&format!("${{ .{path} }}"), &ROOT).is_ok(), "{path}");
        }
        let error = Template::parse("${ .Client.Nmae }", &ROOT).unwrap_err().message;
        assert!(error.contains("unknown field .Client.Nmae") && error.contains("Name, Labels"), "{error}");
        let error = Template::parse("${ .Client.Name.First }", &ROOT).unwrap_err().message;
        assert_eq!(error, "can't evaluate field First of .Client.Name: it is a string");
    }

    #[test]
    fn the_context_has_every_field_the_shape_names() {
        let Value::Struct(root) = sample() else { panic!("a struct") };
        let Shape::Struct(_, shapes) = &ROOT else { panic!("a struct shape") };
        for (name, shape) in shapes.iter() {
            let Some(Value::Struct(inner)) = root.field(name) else { panic!("{name}") };
            let Shape::Struct(_, fields) = shape else { panic!("{name} shape") };
            let names: Vec<&str> = inner.fields.iter().map(|(n, _)| *n).collect();
            let expected: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
            assert_eq!(names, expected, "{name}");
        }
    }

    #[test]
    fn the_domain_types_print_as_kong_identity_s_go_structs() {
        let cases = [
            (
                "${ .AuthServer }",
                "{5f9fd312-a987-4628-b4c5-bb4f4fddd5f7 2024-01-02 03:04:05 +0000 UTC 2024-01-02 03:04:05 +0000 UTC \
                 Payments Payments issuer http://myhttpbin.dev RS256 map[region:eu]}",
            ),
            (
                "${ .Client }",
                "{abc123 2024-02-03 04:05:06 +0000 UTC 2024-02-03 04:05:06 +0000 UTC billing-service \
                 map[environment:staging tier:3] [client_credentials authorization_code] \
                 [https://app.example.com/cb]  [code] true}",
            ),
            ("${ printf \"%T %T\" .Client.GrantTypes .Client.Labels }", "[]string map[string]string"),
        ];
        let now = Utc.with_ymd_and_hms(2024, 3, 5, 7, 8, 9).unwrap();
        for (source, expected) in cases {
            let rendered = Template::parse(source, &ROOT).unwrap().render(&sample(), now).unwrap();
            assert_eq!(rendered, expected, "{source}");
        }
    }
}
