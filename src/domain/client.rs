//! OAuth 2.0 clients of an auth server.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::jwks::ClientJwks;
use super::{Invalid, Labels, LoginUri, Name, RedirectUri, random};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub id: ClientId,
    pub auth_server_id: Uuid,
    pub name: Name,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub redirect_uris: Vec<RedirectUri>,
    pub login_uri: Option<LoginUri>,
    pub access_token_duration: TokenDuration,
    pub id_token_duration: TokenDuration,
    pub allow_all_scopes: bool,
    /// Scope ids the client may request, in the order given.
    pub allow_scopes: Vec<Uuid>,
    pub labels: Labels,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// The public keys of a `private_key_jwt` client (a Tessera extension of Kong's client).
    pub jwks: Option<ClientJwks>,
    /// RFC 7662 §4: may introspect tokens issued to other clients of its auth server (a
    /// resource server or gateway). Without it a client learns only about its own tokens.
    pub introspection_allowed: bool,
    /// May answer its own login requests with its own credentials instead of the admin's
    /// (an admin's explicit choice; never for a registered client).
    pub login_requests_answered_by_client: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An OAuth 2.0 client identifier (RFC 6749 §2.2): 1–36 characters of `[-_A-Za-z0-9]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    pub const MAX_LENGTH: usize = 36;
    const GENERATED_LENGTH: usize = 20;

    /// 20 characters of `[A-Za-z0-9]`: 119 bits, unguessable and url-safe.
    pub fn generate() -> ClientId {
        ClientId(random::alphanumeric(Self::GENERATED_LENGTH))
    }

    pub fn parse(value: &str) -> Result<ClientId, Invalid> {
        super::check_length(value, 1, Self::MAX_LENGTH)?;
        if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(Invalid::new("matches_regex", "must match [-_A-Za-z0-9]+"));
        }
        Ok(ClientId(value.to_owned()))
    }

    pub(crate) fn trusted(value: String) -> ClientId {
        ClientId(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClientId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Declares a string enum with its wire names, parse and display.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$variant_meta])* $variant),+ }

        impl $name {
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            pub fn parse(value: &str) -> Result<$name, Invalid> {
                match value {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(Invalid::one_of(Self::NAMES)),
                }
            }

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Grant types a client may use (RFC 6749 §4; refresh_token §6).
    GrantType {
        ClientCredentials => "client_credentials",
        Implicit => "implicit",
        AuthorizationCode => "authorization_code",
        RefreshToken => "refresh_token",
    }
}

wire_enum! {
    /// Response types at the authorization endpoint (RFC 6749 §3.1.1, OAuth 2.0 Multiple Response Types).
    ResponseType {
        None => "none",
        Token => "token",
        Code => "code",
        IdToken => "id_token",
    }
}

wire_enum! {
    /// How the client authenticates at the token endpoint (RFC 7591 §2).
    #[derive(Default)]
    TokenEndpointAuthMethod {
        #[default]
        ClientSecretPost => "client_secret_post",
        ClientSecretBasic => "client_secret_basic",
        None => "none",
        /// RFC 7523 §2.2, OpenID Connect Core §9: a JWT signed with one of the client's `jwks`.
        PrivateKeyJwt => "private_key_jwt",
    }
}

impl TokenEndpointAuthMethod {
    /// Whether the client authenticates with a secret (and so is given one).
    pub fn uses_secret(self) -> bool {
        matches!(self, TokenEndpointAuthMethod::ClientSecretPost | TokenEndpointAuthMethod::ClientSecretBasic)
    }
}

/// Lifetime of a minted token in seconds: 60 to 2,592,000 (30 days); 300 by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenDuration(i64);

impl TokenDuration {
    pub const MIN: i64 = 60;
    pub const MAX: i64 = 2_592_000;
    pub const DEFAULT: TokenDuration = TokenDuration(300);

    pub fn parse(seconds: i64) -> Result<TokenDuration, Invalid> {
        if seconds < Self::MIN {
            return Err(Invalid::min(Self::MIN));
        }
        if seconds > Self::MAX {
            return Err(Invalid::max(Self::MAX));
        }
        Ok(TokenDuration(seconds))
    }

    pub(crate) fn trusted(seconds: i64) -> TokenDuration {
        TokenDuration(seconds)
    }

    pub fn seconds(self) -> i64 {
        self.0
    }
}

impl Default for TokenDuration {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Parses a list of wire names, rejecting duplicates (`uniqueItems`).
pub fn parse_list<T: PartialEq + std::fmt::Display>(
    values: Vec<String>,
    parse: impl Fn(&str) -> Result<T, Invalid>,
) -> Result<Vec<T>, Invalid> {
    let items = values
        .iter()
        .enumerate()
        .map(|(i, v)| parse(v).map_err(|e| e.at(format!("[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    super::check_unique(&items)?;
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_generated_long_and_parsed_by_pattern() {
        let id = ClientId::generate();
        assert_eq!(id.as_str().len(), 20);
        assert!(ClientId::parse(id.as_str()).is_ok());
        assert!(ClientId::parse("324939us3jgatrdc").is_ok());
        assert!(ClientId::parse("with-dash_and_underscore").is_ok());
        assert_eq!(ClientId::parse("").unwrap_err().rule, "min_length");
        assert_eq!(ClientId::parse(&"a".repeat(37)).unwrap_err().rule, "max_length");
        assert_eq!(ClientId::parse("no spaces").unwrap_err().rule, "matches_regex");
    }

    #[test]
    fn token_durations_are_bounded() {
        assert!(TokenDuration::parse(60).is_ok());
        assert!(TokenDuration::parse(2_592_000).is_ok());
        assert_eq!(TokenDuration::parse(59).unwrap_err().rule, "min");
        assert_eq!(TokenDuration::parse(2_592_001).unwrap_err().rule, "max");
    }

    #[test]
    fn grant_type_lists_reject_unknown_and_duplicate_items() {
        let ok = parse_list(vec!["client_credentials".into(), "implicit".into()], GrantType::parse);
        assert_eq!(ok, Ok(vec![GrantType::ClientCredentials, GrantType::Implicit]));
        let unknown = parse_list(vec!["password".into()], GrantType::parse).unwrap_err();
        assert_eq!((unknown.rule, unknown.suffix.as_str()), ("enum", "[0]"));
        let twice = parse_list(vec!["token".into(), "token".into()], ResponseType::parse).unwrap_err();
        assert_eq!(twice.suffix, "[1]");
    }
}
