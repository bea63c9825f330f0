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
    /// Every operation on its listed directories (Kong Identity v2) and what they hold.
    DirectoryAdmin,
    /// Only the principal lookups of its listed directories: what a gateway holds.
    Gateway,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::AuthServerAdmin,
        Role::ReadOnly,
        Role::LoginPage,
        Role::RegistrationAdmin,
        Role::DirectoryAdmin,
        Role::Gateway,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::AuthServerAdmin => "auth-server-admin",
            Role::ReadOnly => "read-only",
            Role::LoginPage => "login-page",
            Role::RegistrationAdmin => "registration-admin",
            Role::DirectoryAdmin => "directory-admin",
            Role::Gateway => "gateway",
        }
    }

    pub fn parse(text: &str) -> Result<Role, Invalid> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| Invalid::one_of(&Role::ALL.map(Role::as_str)))
    }
}

/// What the caller of a management request may reach: its role, and the auth servers and
/// directories it is scoped to (`None`: all of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub role: Role,
    pub auth_servers: Option<Vec<Uuid>>,
    pub directories: Option<Vec<Uuid>>,
}

impl Access {
    /// The bootstrap credential and `TESSERA_ADMIN_TOKEN`: everything.
    pub fn full() -> Access {
        Access { role: Role::Admin, auth_servers: None, directories: None }
    }

    /// The auth servers the caller reaches; `None`: all. A credential scoped to directories
    /// only reaches no auth server, and one scoped to auth servers only no directory.
    pub fn auth_server_scope(&self) -> Option<&[Uuid]> {
        match (&self.auth_servers, &self.directories) {
            (Some(ids), _) => Some(ids),
            (None, Some(_)) => Some(&[]),
            (None, None) => None,
        }
    }

    /// The directories the caller reaches; `None`: all (see [`Access::auth_server_scope`]).
    pub fn directory_scope(&self) -> Option<&[Uuid]> {
        match (&self.directories, &self.auth_servers) {
            (Some(ids), _) => Some(ids),
            (None, Some(_)) => Some(&[]),
            (None, None) => None,
        }
    }

    /// Whether this auth server exists for the caller; others answer 404, as if absent.
    pub fn sees(&self, auth_server_id: Uuid) -> bool {
        self.auth_server_scope().is_none_or(|ids| ids.contains(&auth_server_id))
    }

    /// Whether this directory exists for the caller; others answer 404, as if absent.
    pub fn sees_directory(&self, directory_id: Uuid) -> bool {
        self.directory_scope().is_none_or(|ids| ids.contains(&directory_id))
    }

    /// The scope must fit the role: see [`Role::check_scope`]; `Err` names the field.
    pub fn check(&self) -> Result<(), Box<(&'static str, Invalid)>> {
        self.role
            .check_scope(self.auth_servers.as_deref())
            .map_err(|invalid| Box::new(("auth_server_ids", invalid)))?;
        self.role
            .check_directory_scope(self.directories.as_deref())
            .map_err(|invalid| Box::new(("directory_ids", invalid)))
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
    /// An initial access token (its id) that authorised an RFC 7591 registration.
    InitialAccessToken,
    /// Nobody authenticated: failed authentications, and open RFC 7591 registrations.
    Anonymous,
    /// A `tessera` subcommand run on a host with database access (its id: the OS user, when
    /// known), or the server's own start applying `TESSERA_ADMIN_TOKEN`.
    CommandLine,
}

impl ActorKind {
    pub const ALL: [ActorKind; 5] = [
        ActorKind::AdminCredential,
        ActorKind::Client,
        ActorKind::InitialAccessToken,
        ActorKind::Anonymous,
        ActorKind::CommandLine,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::AdminCredential => "admin_credential",
            ActorKind::Client => "client",
            ActorKind::InitialAccessToken => "initial_access_token",
            ActorKind::Anonymous => "anonymous",
            ActorKind::CommandLine => "command_line",
        }
    }

    pub fn parse(text: &str) -> Option<ActorKind> {
        ActorKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl Actor {
    pub fn credential(id: Uuid, name: &str) -> Actor {
        Actor { kind: ActorKind::AdminCredential, id: id.to_string(), name: Some(name.to_owned()) }
    }

    pub fn client(client_id: &str) -> Actor {
        Actor { kind: ActorKind::Client, id: client_id.to_owned(), name: None }
    }

    pub fn initial_access_token(id: Uuid) -> Actor {
        Actor { kind: ActorKind::InitialAccessToken, id: id.to_string(), name: None }
    }

    pub fn anonymous() -> Actor {
        Actor { kind: ActorKind::Anonymous, id: String::new(), name: None }
    }

    /// A subcommand (`what`, e.g. `admin-credentials create`) run by an OS user.
    pub fn command_line(user: &str, what: &str) -> Actor {
        Actor { kind: ActorKind::CommandLine, id: user.to_owned(), name: Some(what.to_owned()) }
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

/// What a /v1 route needs of its caller; each route declares one (`http::admin::permissions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// `GET /v1/auth-servers`: the caller sees the auth servers it is scoped to.
    ListAuthServers,
    /// `POST /v1/auth-servers`: a new auth server, which no scope can name yet.
    CreateAuthServer,
    /// Reads below one auth server (its scopes, claims, clients, tokens, keys), and trying a
    /// claim template, which changes nothing.
    ReadAuthServer,
    /// Writes below one auth server, and the auth server itself.
    WriteAuthServer,
    /// Reading a pending login request.
    ReadLoginRequest,
    /// Accepting or rejecting a login request.
    AnswerLoginRequest,
    /// The registration policy and initial access tokens, read.
    ReadRegistration,
    /// The registration policy and initial access tokens, written.
    WriteRegistration,
    /// Admin credentials, read or written: their holders could otherwise grant themselves more.
    ManageCredentials,
    /// The audit log (of the auth servers in scope).
    ReadAudit,
    /// Directories (Kong Identity v2) and what they hold, read.
    ReadDirectories,
    /// Directories and what they hold, written.
    WriteDirectories,
    /// Authenticating a credential or resolving an identity to a principal (the lookup API).
    LookupPrincipals,
}

impl Role {
    /// Whether the role grants `permission` (scoping to auth servers is checked apart).
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            // Listed, not excluded: a permission added later is not granted by accident.
            Role::AuthServerAdmin => matches!(
                permission,
                ListAuthServers
                    | ReadAuthServer
                    | WriteAuthServer
                    | ReadLoginRequest
                    | AnswerLoginRequest
                    | ReadRegistration
                    | WriteRegistration
                    | ReadAudit
            ),
            Role::ReadOnly => {
                matches!(
                    permission,
                    ListAuthServers
                        | ReadAuthServer
                        | ReadLoginRequest
                        | ReadRegistration
                        | ReadAudit
                        | ReadDirectories
                )
            }
            Role::LoginPage => matches!(permission, ReadLoginRequest | AnswerLoginRequest),
            Role::RegistrationAdmin => matches!(permission, ReadRegistration | WriteRegistration),
            Role::DirectoryAdmin => matches!(permission, ReadDirectories | WriteDirectories | LookupPrincipals),
            Role::Gateway => matches!(permission, LookupPrincipals),
        }
    }

    /// Roles defined by a set of directories must name some; only they and `read-only` may.
    pub fn check_directory_scope(self, directories: Option<&[Uuid]>) -> Result<(), Invalid> {
        match (self, directories) {
            (Role::DirectoryAdmin | Role::Gateway, None) => {
                Err(Invalid::new("required", format!("a {} credential must list its directories", self.as_str())))
            }
            (Role::DirectoryAdmin | Role::Gateway | Role::ReadOnly, Some([])) => {
                Err(Invalid::new("min_items", "must list at least one directory, or be null"))
            }
            (Role::DirectoryAdmin | Role::Gateway | Role::ReadOnly, _) | (_, None) => Ok(()),
            (_, Some(_)) => Err(Invalid::new(
                "invalid",
                format!("a {} credential reaches no directories and cannot be scoped to them", self.as_str()),
            )),
        }
    }

    /// Roles defined by a set of auth servers must name some; an admin may not be scoped, or it
    /// could mint itself an unscoped credential.
    pub fn check_scope(self, auth_servers: Option<&[Uuid]>) -> Result<(), Invalid> {
        match (self, auth_servers) {
            (Role::DirectoryAdmin | Role::Gateway, Some(_)) => Err(Invalid::new(
                "invalid",
                format!("a {} credential reaches no auth servers and cannot be scoped to them", self.as_str()),
            )),
            (Role::Admin, Some(_)) => Err(Invalid::new(
                "invalid",
                "an admin credential reaches everything and cannot be scoped to auth servers; \
                 use the auth-server-admin role",
            )),
            (Role::AuthServerAdmin | Role::LoginPage, None) => {
                Err(Invalid::new("required", format!("a {} credential must list its auth servers", self.as_str())))
            }
            (_, Some([])) => Err(Invalid::new("min_items", "must list at least one auth server, or be null")),
            _ => Ok(()),
        }
    }
}

/// Most auth servers one credential may be scoped to.
pub const MAX_SCOPED_AUTH_SERVERS: usize = 100;

/// A named bearer credential for /v1. Its token is shown once and stored as a digest.
#[derive(Clone, Debug)]
pub struct AdminCredential {
    pub id: Uuid,
    pub name: super::Name,
    pub access: Access,
    pub enabled: bool,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Why a credential that matched a token may not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    #[error("the admin credential is disabled")]
    Disabled,
    #[error("the admin credential has expired")]
    Expired,
}

/// What an audit event records of a credential (never its token or digest).
impl super::audit::Snapshot for AdminCredential {
    fn snapshot(&self) -> serde_json::Map<String, serde_json::Value> {
        let value = serde_json::json!({
            "name": self.name.as_str(),
            "role": self.access.role.as_str(),
            "auth_server_ids": self.access.auth_servers,
            "directory_ids": self.access.directories,
            "enabled": self.enabled,
            "expires_at": self.expires_at.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        });
        match value {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }
}

impl Origin {
    /// A change made outside any request, by `user` running `what`, or by the server's start.
    pub fn command_line(user: &str, what: &str, at: chrono::DateTime<chrono::Utc>) -> Origin {
        Origin {
            actor: Actor::command_line(user, what),
            request_id: "-".to_owned(),
            source: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            at,
        }
    }
}

impl AdminCredential {
    pub fn check_usable(&self, now: chrono::DateTime<chrono::Utc>) -> Result<(), Unusable> {
        if !self.enabled {
            return Err(Unusable::Disabled);
        }
        match self.expires_at {
            Some(expires_at) if expires_at <= now => Err(Unusable::Expired),
            _ => Ok(()),
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::credential(self.id, self.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_their_names_and_nothing_else() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("Admin").is_err());
        assert!(Role::parse("superuser").is_err());
    }

    #[test]
    fn only_admins_manage_credentials_or_create_auth_servers() {
        for role in Role::ALL {
            let admin = role == Role::Admin;
            assert_eq!(role.allows(Permission::ManageCredentials), admin, "{role:?}");
            assert_eq!(role.allows(Permission::CreateAuthServer), admin, "{role:?}");
        }
    }

    #[test]
    fn read_only_and_login_pages_cannot_write_configuration() {
        for role in [Role::ReadOnly, Role::LoginPage, Role::RegistrationAdmin] {
            assert!(!role.allows(Permission::WriteAuthServer), "{role:?}");
        }
        assert!(!Role::ReadOnly.allows(Permission::AnswerLoginRequest));
        assert!(Role::LoginPage.allows(Permission::AnswerLoginRequest));
        assert!(!Role::LoginPage.allows(Permission::ReadAuthServer));
    }

    #[test]
    fn scoping_is_required_for_server_roles_and_refused_for_admins() {
        let one = [Uuid::new_v4()];
        assert!(Role::Admin.check_scope(Some(&one)).is_err());
        assert!(Role::Admin.check_scope(None).is_ok());
        assert!(Role::AuthServerAdmin.check_scope(None).is_err());
        assert!(Role::LoginPage.check_scope(None).is_err());
        assert!(Role::AuthServerAdmin.check_scope(Some(&one)).is_ok());
        assert!(Role::ReadOnly.check_scope(None).is_ok());
        assert!(Role::ReadOnly.check_scope(Some(&[])).is_err());
    }

    #[test]
    fn disabled_or_expired_credentials_are_unusable() {
        let now = chrono::Utc::now();
        let mut credential = AdminCredential {
            id: Uuid::new_v4(),
            name: super::super::Name::trusted("ci".to_owned()),
            access: Access::full(),
            enabled: true,
            expires_at: Some(now + chrono::TimeDelta::seconds(1)),
            last_used_at: None,
            created_at: now,
            updated_at: now,
        };
        assert_eq!(credential.check_usable(now), Ok(()));
        assert_eq!(credential.check_usable(now + chrono::TimeDelta::seconds(1)), Err(Unusable::Expired));
        credential.enabled = false;
        assert_eq!(credential.check_usable(now), Err(Unusable::Disabled));
    }

    #[test]
    fn scoped_access_sees_only_its_auth_servers() {
        let mine = Uuid::new_v4();
        let access = Access { role: Role::ReadOnly, auth_servers: Some(vec![mine]), directories: None };
        assert!(access.sees(mine));
        assert!(!access.sees(Uuid::new_v4()));
        assert!(Access::full().sees(Uuid::new_v4()));
        assert!(!access.sees_directory(Uuid::new_v4()), "scoped to auth servers only: no directory");
        let directory = Uuid::new_v4();
        let reader = Access { role: Role::ReadOnly, auth_servers: None, directories: Some(vec![directory]) };
        assert!(reader.sees_directory(directory));
        assert!(!reader.sees(mine), "scoped to directories only: no auth server");
    }
}
