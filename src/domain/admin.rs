//! Who may call the management API: admin credentials, their roles and the auth servers they
//! are scoped to, and the actor an audit event names.

use serde::Serialize;
use uuid::Uuid;

use super::Invalid;

/// What a credential may do (see the route table in `http::admin::permissions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything, including admin credentials.
    Admin,
    /// Every operation on its listed auth servers; nothing else.
    AuthServerAdmin,
    /// Reads only (secrets are never readable anyway).
    ReadOnly,
    /// Only the login-request routes of its listed auth servers.
    LoginPage,
    /// Only initial access tokens and the registration policy.
    RegistrationAdmin,
}

impl Role {
    pub const ALL: [Role; 5] =
        [Role::Admin, Role::AuthServerAdmin, Role::ReadOnly, Role::LoginPage, Role::RegistrationAdmin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::AuthServerAdmin => "auth-server-admin",
            Role::ReadOnly => "read-only",
            Role::LoginPage => "login-page",
            Role::RegistrationAdmin => "registration-admin",
        }
    }

    pub fn parse(text: &str) -> Result<Role, Invalid> {
        Role::ALL.into_iter().find(|role| role.as_str() == text).ok_or_else(|| Invalid::one_of(&Role::ALL.map(Role::as_str)))
    }
}

/// What the caller of a /v1 request may reach: its role, and the auth servers it is scoped to
/// (`None`: all of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub role: Role,
    pub auth_servers: Option<Vec<Uuid>>,
}

impl Access {
    /// The bootstrap credential and `TESSERA_ADMIN_TOKEN`: everything.
    pub fn full() -> Access {
        Access { role: Role::Admin, auth_servers: None }
    }

    /// Whether this auth server exists for the caller; others answer 404, as if absent.
    pub fn sees(&self, auth_server_id: Uuid) -> bool {
        self.auth_servers.as_ref().is_none_or(|ids| ids.contains(&auth_server_id))
    }
}

/// Who made a change, as an audit event names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: ActorKind,
    /// The admin credential's id, or the client id.
    pub id: String,
    /// The admin credential's name; none for clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// An admin credential (the bootstrap token is one too).
    AdminCredential,
    /// A client: through RFC 7592 registration management, or a login page holding its
    /// client's credentials.
    Client,
    /// Nobody authenticated: failed authentications.
    Anonymous,
}

impl Actor {
    pub fn credential(id: Uuid, name: &str) -> Actor {
        Actor { kind: ActorKind::AdminCredential, id: id.to_string(), name: Some(name.to_owned()) }
    }

    pub fn client(client_id: &str) -> Actor {
        Actor { kind: ActorKind::Client, id: client_id.to_owned(), name: None }
    }

    pub fn anonymous() -> Actor {
        Actor { kind: ActorKind::Anonymous, id: String::new(), name: None }
    }
}

/// Where a change came from: its actor and the request that made it.
#[derive(Clone, Debug)]
pub struct Origin {
    pub actor: Actor,
    pub request_id: String,
    pub source: std::net::IpAddr,
    pub at: chrono::DateTime<chrono::Utc>,
}
