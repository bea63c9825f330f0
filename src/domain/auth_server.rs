//! Auth servers: one issuer each, with its audience and signing algorithm.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Invalid, Labels, Name, TrustedOrigin, check_length, random};

pub const MAX_TRUSTED_ORIGINS: usize = 16;
pub const MAX_DESCRIPTION_LENGTH: usize = 4096;
pub const MAX_AUDIENCE_LENGTH: usize = 2048;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthServer {
    pub id: Uuid,
    pub name: Name,
    pub description: String,
    pub audience: String,
    pub signing_algorithm: SigningAlgorithm,
    pub issuer_slug: IssuerSlug,
    pub labels: Labels,
    pub trusted_origins: Vec<TrustedOrigin>,
    /// RFC 9700 §2.1.1: every authorization code request must carry a PKCE challenge, from
    /// confidential clients too (public clients always need one). A Tessera extension; off by
    /// default as in Kong.
    pub require_pkce: bool,
    /// Token requests per second this auth server accepts on each node, a Tessera extension
    /// (Kong caps an auth server at 100 TPS); `None`: unlimited.
    pub rate_limit_per_second: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// JWS algorithms for signing tokens (RFC 7518 §3.1): Kong Identity's RSA family, plus
/// ES256 and EdDSA (RFC 8037) as Tessera extensions, which sign an order of magnitude faster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum SigningAlgorithm {
    #[default]
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    EdDSA,
}

impl SigningAlgorithm {
    pub const NAMES: [&'static str; 8] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "EdDSA"];

    pub fn parse(value: &str) -> Result<SigningAlgorithm, Invalid> {
        Ok(match value {
            "RS256" => SigningAlgorithm::RS256,
            "RS384" => SigningAlgorithm::RS384,
            "RS512" => SigningAlgorithm::RS512,
            "PS256" => SigningAlgorithm::PS256,
            "PS384" => SigningAlgorithm::PS384,
            "PS512" => SigningAlgorithm::PS512,
            "ES256" => SigningAlgorithm::ES256,
            "EdDSA" => SigningAlgorithm::EdDSA,
            _ => return Err(Invalid::one_of(&Self::NAMES)),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::RS256 => "RS256",
            SigningAlgorithm::RS384 => "RS384",
            SigningAlgorithm::RS512 => "RS512",
            SigningAlgorithm::PS256 => "PS256",
            SigningAlgorithm::PS384 => "PS384",
            SigningAlgorithm::PS512 => "PS512",
            SigningAlgorithm::ES256 => "ES256",
            SigningAlgorithm::EdDSA => "EdDSA",
        }
    }
}

/// The random, DNS-safe part of an issuer URL: 16 characters of `[a-z0-9]` (82 bits),
/// usable both as a path segment and as a host label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerSlug(String);

impl IssuerSlug {
    pub const LENGTH: usize = 16;

    pub fn generate() -> IssuerSlug {
        IssuerSlug(random::lowercase_alphanumeric(Self::LENGTH))
    }

    /// Recognizes a slug in a request path or host without touching the database.
    pub fn parse(value: &str) -> Option<IssuerSlug> {
        let valid = value.len() == Self::LENGTH && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        valid.then(|| IssuerSlug(value.to_owned()))
    }

    pub(crate) fn trusted(value: String) -> IssuerSlug {
        IssuerSlug(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The most token requests per second an auth server's own limit may name.
pub const MAX_RATE_LIMIT_PER_SECOND: i64 = 1_000_000;

/// An auth server's own token rate limit: 1 to [`MAX_RATE_LIMIT_PER_SECOND`] per second.
pub fn parse_rate_limit(value: i64) -> Result<u32, Invalid> {
    if value < 1 {
        return Err(Invalid::min(1));
    }
    if value > MAX_RATE_LIMIT_PER_SECOND {
        return Err(Invalid::max(MAX_RATE_LIMIT_PER_SECOND));
    }
    u32::try_from(value).map_err(|_| Invalid::max(MAX_RATE_LIMIT_PER_SECOND))
}

pub fn parse_description(value: String) -> Result<String, Invalid> {
    check_length(&value, 0, MAX_DESCRIPTION_LENGTH)?;
    Ok(value)
}

/// The `aud` claim of issued tokens: any non-empty string, usually a URI.
pub fn parse_audience(value: String) -> Result<String, Invalid> {
    check_length(&value, 1, MAX_AUDIENCE_LENGTH)?;
    Ok(value)
}

pub fn parse_trusted_origins(values: Vec<String>) -> Result<Vec<TrustedOrigin>, Invalid> {
    if values.len() > MAX_TRUSTED_ORIGINS {
        return Err(Invalid::max_items(MAX_TRUSTED_ORIGINS));
    }
    let origins = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| TrustedOrigin::parse(v).map_err(|e| e.at(format!("[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    super::check_unique(&origins)?;
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_algorithms_round_trip_and_reject_unknown_names() {
        for name in SigningAlgorithm::NAMES {
            assert_eq!(SigningAlgorithm::parse(name).map(SigningAlgorithm::as_str), Ok(name));
        }
        assert_eq!(SigningAlgorithm::parse("HS256").unwrap_err().rule, "enum");
    }

    #[test]
    fn issuer_slugs_are_sixteen_dns_safe_characters() {
        let slug = IssuerSlug::generate();
        assert!(IssuerSlug::parse(slug.as_str()).is_some());
        assert!(IssuerSlug::parse("UPPERCASE0123456").is_none());
        assert!(IssuerSlug::parse("short").is_none());
    }

    #[test]
    fn a_rate_limit_is_a_positive_number_of_requests_per_second() {
        assert_eq!(parse_rate_limit(100), Ok(100));
        assert_eq!(parse_rate_limit(0).unwrap_err().rule, "min");
        assert_eq!(parse_rate_limit(MAX_RATE_LIMIT_PER_SECOND + 1).unwrap_err().rule, "max");
    }

    #[test]
    fn trusted_origins_are_limited_and_unique() {
        let many = (0..17).map(|i| format!("https://a{i}.example.com")).collect();
        assert_eq!(parse_trusted_origins(many).unwrap_err().rule, "max_items");
        let twice = vec!["https://a.com".to_owned(), "https://a.com/".to_owned()];
        assert!(parse_trusted_origins(twice).is_err());
    }
}
