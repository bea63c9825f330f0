//! Identities of a principal (Kong Identity v2): what links a caller seen by a gateway (an
//! OIDC token's claim, an auth-server client, a gateway consumer, a custom key) to the
//! principal it stands for.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Invalid, Labels, check_length};

/// Kong's documented limit of identities per principal.
pub const MAX_PER_PRINCIPAL: usize = 10;
/// Names, keys and ids: at most 255 characters; issuers and values: at most 1024 (the spec
/// bounds neither; a gateway sends them on every lookup).
const MAX_NAME_LENGTH: usize = 255;
const MAX_VALUE_LENGTH: usize = 1024;

/// The four kinds of identity Kong's `KongPrincipalIdentityBody` discriminates by `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentityType {
    Oidc,
    AuthServerClient,
    ControlPlaneConsumer,
    Custom,
}

impl IdentityType {
    pub const ALL: [IdentityType; 4] =
        [IdentityType::Oidc, IdentityType::AuthServerClient, IdentityType::ControlPlaneConsumer, IdentityType::Custom];

    pub fn as_str(self) -> &'static str {
        match self {
            IdentityType::Oidc => "oidc",
            IdentityType::AuthServerClient => "auth_server_client",
            IdentityType::ControlPlaneConsumer => "control_plane_consumer",
            IdentityType::Custom => "custom",
        }
    }

    pub fn parse(value: &str) -> Result<IdentityType, Invalid> {
        IdentityType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
            .ok_or_else(|| Invalid::one_of(&IdentityType::ALL.map(IdentityType::as_str)))
    }

    /// The body fields of this type, besides `type` and `labels`.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            IdentityType::Oidc => &["issuer", "claim"],
            IdentityType::AuthServerClient => &["auth_server_id", "client_id"],
            IdentityType::ControlPlaneConsumer => &["control_plane_id", "workspace_id", "consumer_id"],
            IdentityType::Custom => &["key", "value"],
        }
    }
}

/// The claim an OIDC identity matches: the token's `name` claim equals `value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimMatch {
    pub name: String,
    pub value: String,
}

/// What an identity matches, by type; serialized as Kong's response fields (`type` and the
/// type's own fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IdentityKey {
    Oidc {
        issuer: String,
        claim: ClaimMatch,
    },
    AuthServerClient {
        auth_server_id: Uuid,
        client_id: String,
    },
    ControlPlaneConsumer {
        control_plane_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workspace_id: Option<String>,
        consumer_id: String,
    },
    Custom {
        key: String,
        value: String,
    },
}

impl IdentityKey {
    pub fn kind(&self) -> IdentityType {
        match self {
            IdentityKey::Oidc { .. } => IdentityType::Oidc,
            IdentityKey::AuthServerClient { .. } => IdentityType::AuthServerClient,
            IdentityKey::ControlPlaneConsumer { .. } => IdentityType::ControlPlaneConsumer,
            IdentityKey::Custom { .. } => IdentityType::Custom,
        }
    }

    /// The digest under which the key is unique in a directory and looked up: SHA-256 of the
    /// JSON array of its type and parts, so no two keys share one and any length indexes.
    /// Values are compared exactly (an issuer is an exact-match identifier, OIDC Core §2).
    pub fn lookup_key(&self) -> String {
        let parts: Value = match self {
            IdentityKey::Oidc { issuer, claim } => serde_json::json!(["oidc", issuer, claim.name, claim.value]),
            IdentityKey::AuthServerClient { auth_server_id, client_id } => {
                serde_json::json!(["auth_server_client", auth_server_id, client_id])
            }
            IdentityKey::ControlPlaneConsumer { control_plane_id, workspace_id, consumer_id } => {
                serde_json::json!(["control_plane_consumer", control_plane_id, workspace_id, consumer_id])
            }
            IdentityKey::Custom { key, value } => serde_json::json!(["custom", key, value]),
        };
        hex::encode(Sha256::digest(parts.to_string().as_bytes()))
    }
}

/// A name, key or id: 1 to 255 characters.
pub fn parse_name(value: String) -> Result<String, Invalid> {
    check_length(&value, 1, MAX_NAME_LENGTH)?;
    Ok(value)
}

/// An issuer or a value: 1 to 1024 characters.
pub fn parse_value(value: String) -> Result<String, Invalid> {
    check_length(&value, 1, MAX_VALUE_LENGTH)?;
    Ok(value)
}

/// Every type field of a request body, each parsed on its own; which are required, allowed
/// or refused depends on the type (see [`IdentityFields::into_key`] and [`IdentityKey::patched`]).
#[derive(Debug, Default)]
pub struct IdentityFields {
    pub issuer: Option<String>,
    pub claim_name: Option<String>,
    pub claim_value: Option<String>,
    pub auth_server_id: Option<Uuid>,
    pub client_id: Option<String>,
    pub control_plane_id: Option<String>,
    pub workspace_id: Option<String>,
    pub consumer_id: Option<String>,
    pub key: Option<String>,
    pub value: Option<String>,
}

impl IdentityFields {
    /// The key of a whole identity (create and PUT); `None` when a required field is missing,
    /// which the body reader has already reported.
    pub fn into_key(self, kind: IdentityType) -> Option<IdentityKey> {
        Some(match kind {
            IdentityType::Oidc => IdentityKey::Oidc {
                issuer: self.issuer?,
                claim: ClaimMatch { name: self.claim_name?, value: self.claim_value? },
            },
            IdentityType::AuthServerClient => {
                IdentityKey::AuthServerClient { auth_server_id: self.auth_server_id?, client_id: self.client_id? }
            }
            IdentityType::ControlPlaneConsumer => IdentityKey::ControlPlaneConsumer {
                control_plane_id: self.control_plane_id?,
                workspace_id: self.workspace_id,
                consumer_id: self.consumer_id?,
            },
            IdentityType::Custom => IdentityKey::Custom { key: self.key?, value: self.value? },
        })
    }
}

impl IdentityKey {
    /// PATCH: the given fields of the key's own type replace the current ones; the body reader
    /// has refused fields of other types.
    pub fn patched(self, fields: IdentityFields) -> IdentityKey {
        match self {
            IdentityKey::Oidc { issuer, claim } => IdentityKey::Oidc {
                issuer: fields.issuer.unwrap_or(issuer),
                claim: ClaimMatch {
                    name: fields.claim_name.unwrap_or(claim.name),
                    value: fields.claim_value.unwrap_or(claim.value),
                },
            },
            IdentityKey::AuthServerClient { auth_server_id, client_id } => IdentityKey::AuthServerClient {
                auth_server_id: fields.auth_server_id.unwrap_or(auth_server_id),
                client_id: fields.client_id.unwrap_or(client_id),
            },
            IdentityKey::ControlPlaneConsumer { control_plane_id, workspace_id, consumer_id } => {
                IdentityKey::ControlPlaneConsumer {
                    control_plane_id: fields.control_plane_id.unwrap_or(control_plane_id),
                    workspace_id: fields.workspace_id.or(workspace_id),
                    consumer_id: fields.consumer_id.unwrap_or(consumer_id),
                }
            }
            IdentityKey::Custom { key, value } => {
                IdentityKey::Custom { key: fields.key.unwrap_or(key), value: fields.value.unwrap_or(value) }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    pub id: Uuid,
    pub directory_id: Uuid,
    pub principal_id: Uuid,
    pub key: IdentityKey,
    pub labels: Labels,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an audit event records of an identity (none of it is secret).
impl super::audit::Snapshot for Identity {
    fn snapshot(&self) -> Map<String, Value> {
        let mut map = match serde_json::to_value(&self.key) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        map.insert("principal_id".to_owned(), Value::String(self.principal_id.to_string()));
        map.insert("labels".to_owned(), serde_json::json!(self.labels));
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(key: &str, value: &str) -> IdentityKey {
        IdentityKey::Custom { key: key.to_owned(), value: value.to_owned() }
    }

    #[test]
    fn lookup_keys_differ_whenever_a_part_or_the_type_differs() {
        let oidc = |issuer: &str, name: &str, value: &str| IdentityKey::Oidc {
            issuer: issuer.to_owned(),
            claim: ClaimMatch { name: name.to_owned(), value: value.to_owned() },
        };
        let keys = [
            custom("a", "b"),
            custom("a", "c"),
            custom("a,b", ""),
            oidc("https://idp", "sub", "x"),
            oidc("https://idp/", "sub", "x"),
            oidc("https://idp", "sub,x", ""),
            IdentityKey::ControlPlaneConsumer {
                control_plane_id: "cp".into(),
                workspace_id: None,
                consumer_id: "c".into(),
            },
            IdentityKey::ControlPlaneConsumer {
                control_plane_id: "cp".into(),
                workspace_id: Some("c".into()),
                consumer_id: "c".into(),
            },
        ];
        let digests: std::collections::HashSet<String> = keys.iter().map(IdentityKey::lookup_key).collect();
        assert_eq!(digests.len(), keys.len());
        assert_eq!(custom("a", "b").lookup_key(), custom("a", "b").lookup_key());
    }

    #[test]
    fn a_patch_changes_only_the_fields_it_gives() {
        let patched = IdentityKey::Oidc {
            issuer: "https://idp".into(),
            claim: ClaimMatch { name: "sub".into(), value: "1".into() },
        }
        .patched(IdentityFields { claim_value: Some("2".into()), ..IdentityFields::default() });
        assert_eq!(
            patched,
            IdentityKey::Oidc {
                issuer: "https://idp".into(),
                claim: ClaimMatch { name: "sub".into(), value: "2".into() }
            }
        );
    }

    #[test]
    fn the_four_types_parse_by_name_and_nothing_else() {
        for kind in IdentityType::ALL {
            assert_eq!(IdentityType::parse(kind.as_str()), Ok(kind));
        }
        assert!(IdentityType::parse("consumer").is_err());
        assert!(IdentityType::parse("OIDC").is_err());
    }
}
