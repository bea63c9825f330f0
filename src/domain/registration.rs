//! Dynamic Client Registration (RFC 7591, RFC 7592): each auth server's policy for registered
//! clients, the initial access tokens that authorise registrations, and what a registration
//! keeps beyond an ordinary client.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GrantType, Invalid, Labels, LoginUri, TokenDuration, TokenEndpointAuthMethod, random};

/// The label Tessera puts on every client created through the registration endpoint.
pub const REGISTERED_LABEL: (&str, &str) = ("registration", "dynamic");

/// How an auth server treats registration requests, and what registered clients may have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationPolicy {
    pub enabled: bool,
    /// Registrations without an initial access token are accepted (RFC 7591 §3: open registration).
    pub open_registration: bool,
    pub allowed_grant_types: Vec<GrantType>,
    /// Given when a registration names no `grant_types`.
    pub default_grant_types: Vec<GrantType>,
    pub allowed_token_endpoint_auth_methods: Vec<TokenEndpointAuthMethod>,
    /// Any enabled scope of the auth server may be registered; otherwise those in `allowed_scopes`.
    pub allow_all_scopes: bool,
    pub allowed_scopes: Vec<Uuid>,
    /// Given when a registration names no `scope`.
    pub default_scopes: Vec<Uuid>,
    pub default_access_token_duration: TokenDuration,
    pub max_access_token_duration: TokenDuration,
    pub default_id_token_duration: TokenDuration,
    pub max_id_token_duration: TokenDuration,
    /// The sign-in page of registered clients: the operator's, never the registrant's.
    pub login_uri: Option<LoginUri>,
    /// Given to every registered client, besides [`REGISTERED_LABEL`].
    pub labels: Labels,
    /// Registrations stop once the auth server has this many registered clients, so open
    /// registration cannot fill the database.
    pub max_registered_clients: i64,
}

impl Default for RegistrationPolicy {
    /// Off; when turned on, machine-to-machine clients with a secret, no scopes but `openid`.
    fn default() -> Self {
        RegistrationPolicy {
            enabled: false,
            open_registration: false,
            allowed_grant_types: vec![GrantType::ClientCredentials],
            default_grant_types: vec![GrantType::ClientCredentials],
            allowed_token_endpoint_auth_methods: vec![
                TokenEndpointAuthMethod::ClientSecretBasic,
                TokenEndpointAuthMethod::ClientSecretPost,
            ],
            allow_all_scopes: false,
            allowed_scopes: Vec::new(),
            default_scopes: Vec::new(),
            default_access_token_duration: TokenDuration::DEFAULT,
            max_access_token_duration: TokenDuration::trusted(3600),
            default_id_token_duration: TokenDuration::DEFAULT,
            max_id_token_duration: TokenDuration::trusted(3600),
            login_uri: None,
            labels: Labels::default(),
            max_registered_clients: Self::DEFAULT_MAX_REGISTERED_CLIENTS,
        }
    }
}

impl RegistrationPolicy {
    pub const DEFAULT_MAX_REGISTERED_CLIENTS: i64 = 10_000;
    pub const MAX_REGISTERED_CLIENTS: i64 = 1_000_000;

    /// Whether a registration may ask for the scope with this id.
    pub fn allows_scope(&self, id: Uuid) -> bool {
        self.allow_all_scopes || self.allowed_scopes.contains(&id)
    }

    /// The rules that tie the policy's fields together, as (field, problem).
    pub fn check(&self) -> Result<(), Box<(&'static str, Invalid)>> {
        if self.allowed_grant_types.is_empty() {
            return Err(problem(
                "allowed_grant_types",
                Invalid::new("min_items", "must allow at least one grant type"),
            ));
        }
        if self.allowed_token_endpoint_auth_methods.is_empty() {
            return Err(problem(
                "allowed_token_endpoint_auth_methods",
                Invalid::new("min_items", "must allow at least one method"),
            ));
        }
        if self.default_grant_types.is_empty() {
            return Err(problem("default_grant_types", Invalid::new("min_items", "must name at least one grant type")));
        }
        if let Some((i, grant)) =
            self.default_grant_types.iter().enumerate().find(|(_, g)| !self.allowed_grant_types.contains(g))
        {
            let reason = format!("{grant} is not in allowed_grant_types");
            return Err(problem("default_grant_types", Invalid::new("invalid", reason).at(format!("[{i}]"))));
        }
        if let Some((i, scope)) = self.default_scopes.iter().enumerate().find(|(_, s)| !self.allows_scope(**s)) {
            let reason = format!("scope [{scope}] is not in allowed_scopes");
            return Err(problem("default_scopes", Invalid::new("invalid", reason).at(format!("[{i}]"))));
        }
        if self.default_access_token_duration.seconds() > self.max_access_token_duration.seconds() {
            let reason = "must not be longer than max_access_token_duration";
            return Err(problem("default_access_token_duration", Invalid::new("invalid", reason)));
        }
        if self.default_id_token_duration.seconds() > self.max_id_token_duration.seconds() {
            let reason = "must not be longer than max_id_token_duration";
            return Err(problem("default_id_token_duration", Invalid::new("invalid", reason)));
        }
        if self.labels.iter().count() >= super::labels::MAX_LABELS {
            let reason =
                format!("must leave room for Tessera's label: at most {} labels", super::labels::MAX_LABELS - 1);
            return Err(problem("labels", Invalid::new("is_label", reason)));
        }
        if self.labels.get(REGISTERED_LABEL.0).is_some() {
            let reason = format!("the label {} is set by Tessera on registered clients", REGISTERED_LABEL.0);
            return Err(problem("labels", Invalid::new("is_label", reason).at(format!(".{}", REGISTERED_LABEL.0))));
        }
        Ok(())
    }
}

/// A policy problem: the field and why.
fn problem(field: &'static str, invalid: Invalid) -> Box<(&'static str, Invalid)> {
    Box::new((field, invalid))
}

/// The policy as stored, with when it was first and last written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPolicy {
    pub auth_server_id: Uuid,
    pub policy: RegistrationPolicy,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An initial access token (RFC 7591 §3) as listed: never its value, which is shown once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitialAccessToken {
    pub id: Uuid,
    pub auth_server_id: Uuid,
    pub description: String,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl InitialAccessToken {
    pub const MAX_DESCRIPTION_LENGTH: usize = 1024;
    /// Longest lifetime a token may be given: one year.
    pub const MAX_EXPIRES_IN: i64 = 31_536_000;

    /// Whether a registration may still use it.
    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| at > now) && self.max_uses.is_none_or(|max| self.uses < max)
    }
}

/// Prefixes that tell secret scanners (and people) which kind of token they hold.
pub const INITIAL_ACCESS_TOKEN_PREFIX: &str = "tsi_";
pub const REGISTRATION_ACCESS_TOKEN_PREFIX: &str = "tsr_";

/// A bearer token for the registration endpoints: the prefix and 40 characters of
/// `[A-Za-z0-9]` (238 bits), stored only as its SHA-256 digest.
pub fn generate_token(prefix: &str) -> String {
    format!("{prefix}{}", random::alphanumeric(40))
}

/// RFC 7591 §2 metadata that Tessera's client model has no field for, kept per registration
/// and returned in every client information response.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RegistrationMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    /// `openid` was registered in `scope` (it is no scope object unless the admin defined one).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub openid: bool,
}

/// A registration as stored beside its client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub auth_server_id: Uuid,
    pub client_id: super::ClientId,
    pub access_token_digest: String,
    pub metadata: RegistrationMetadata,
    pub initial_access_token_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_off_and_consistent() {
        let policy = RegistrationPolicy::default();
        assert!(!policy.enabled && !policy.open_registration);
        assert_eq!(policy.check(), Ok(()));
    }

    #[test]
    fn policies_whose_defaults_exceed_what_they_allow_are_rejected() {
        let scope = Uuid::new_v4();
        let cases: Vec<(RegistrationPolicy, &str)> = vec![
            (RegistrationPolicy { allowed_grant_types: vec![], ..Default::default() }, "allowed_grant_types"),
            (
                RegistrationPolicy { default_grant_types: vec![GrantType::Implicit], ..Default::default() },
                "default_grant_types",
            ),
            (RegistrationPolicy { default_scopes: vec![scope], ..Default::default() }, "default_scopes"),
            (
                RegistrationPolicy {
                    default_access_token_duration: TokenDuration::trusted(7200),
                    ..Default::default()
                },
                "default_access_token_duration",
            ),
            (
                RegistrationPolicy { allowed_token_endpoint_auth_methods: vec![], ..Default::default() },
                "allowed_token_endpoint_auth_methods",
            ),
        ];
        for (policy, field) in cases {
            assert_eq!(policy.check().map_err(|problem| problem.0), Err(field), "{field}");
        }
        let all = RegistrationPolicy { allow_all_scopes: true, default_scopes: vec![scope], ..Default::default() };
        assert_eq!(all.check(), Ok(()));
    }

    #[test]
    fn initial_access_tokens_stop_at_their_expiry_and_use_count() {
        let now = Utc::now();
        let token = InitialAccessToken {
            id: Uuid::new_v4(),
            auth_server_id: Uuid::new_v4(),
            description: String::new(),
            max_uses: Some(2),
            uses: 1,
            expires_at: Some(now + chrono::TimeDelta::seconds(60)),
            created_at: now,
            last_used_at: None,
        };
        assert!(token.usable(now));
        assert!(!InitialAccessToken { uses: 2, ..token.clone() }.usable(now));
        assert!(!token.usable(now + chrono::TimeDelta::seconds(60)));
        assert!(InitialAccessToken { max_uses: None, expires_at: None, uses: 99, ..token }.usable(now));
    }

    #[test]
    fn registration_tokens_carry_their_kind_and_enough_entropy() {
        let token = generate_token(INITIAL_ACCESS_TOKEN_PREFIX);
        assert!(token.starts_with("tsi_"));
        assert_eq!(token.len(), 44);
        assert_ne!(token, generate_token(INITIAL_ACCESS_TOKEN_PREFIX));
    }
}
