//! A trusted issuer of an auth server (a Tessera extension for RFC 7523): an identity provider
//! outside Tessera whose signed JWTs (a Kubernetes service-account token, a GitHub Actions OIDC
//! token, another auth server's access token) Tessera accepts as assertions, with the rules
//! such a token must meet and which of the auth server's clients its subject stands for.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use uuid::Uuid;

use super::jwks::ClientJwks;
use super::{ClientId, Invalid, Name, SigningAlgorithm};

/// Most subject mappings, claim conditions and copied claims one trusted issuer holds.
pub const MAX_SUBJECTS: usize = 50;
pub const MAX_CONDITIONS: usize = 20;
pub const MAX_COPIED_CLAIMS: usize = 20;
/// Bounds of `max_token_age_secs`: a minute to a day; an hour by default.
pub const MIN_TOKEN_AGE_SECS: i64 = 60;
pub const MAX_TOKEN_AGE_SECS: i64 = 86_400;
pub const DEFAULT_TOKEN_AGE_SECS: i64 = 3_600;
/// What a trusted issuer's tokens may be signed with unless it says otherwise: the algorithms
/// of Kubernetes service-account tokens (RS256) and of most cloud and CI issuers (RS256, ES256).
pub const DEFAULT_ALGORITHMS: [SigningAlgorithm; 2] = [SigningAlgorithm::RS256, SigningAlgorithm::ES256];
/// Longest issuer URL, audience, subject pattern, claim name or value.
const MAX_TEXT: usize = 255;
const MAX_URL: usize = 2048;

/// Claims Tessera sets itself (RFC 7519 §4.1, RFC 8693 §4, RFC 9068 §2.2): never copied from
/// an assertion into a token.
pub const RESERVED_CLAIMS: [&str; 12] =
    ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "act", "may_act", "cnf"];

#[derive(Clone, Debug, PartialEq)]
pub struct TrustedIssuer {
    pub id: Uuid,
    pub auth_server_id: Uuid,
    pub name: Name,
    /// The `iss` its tokens carry, exactly.
    pub issuer: String,
    pub keys: IssuerKeys,
    /// The algorithms its tokens may be signed with: asymmetric only (RFC 8725 §3.1).
    pub algorithms: Vec<SigningAlgorithm>,
    /// A value the token's `aud` must be or contain (RFC 7523 §3 item 3).
    pub audience: String,
    /// How old (by `iat`) a token may be, in seconds.
    pub max_token_age_secs: i64,
    /// Which client a subject stands for: the first mapping whose pattern matches `sub`.
    pub subjects: Vec<SubjectMapping>,
    /// Claims the token must carry with exactly these string values.
    pub claim_conditions: BTreeMap<String, String>,
    /// Claims copied from the token into the tokens Tessera issues for it.
    pub copy_claims: Vec<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where the issuer's public keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerKeys {
    /// Given here, as a JWK Set.
    Jwks(ClientJwks),
    /// Fetched from the issuer's `jwks_uri`.
    JwksUri(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectMapping {
    pub subject: SubjectPattern,
    pub client_id: ClientId,
}

/// `{"subject": pattern, "client_id": id}`: the mapping's one JSON shape, in the API, the
/// audit log and the store alike.
impl Serialize for SubjectMapping {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("SubjectMapping", 2)?;
        map.serialize_field("subject", self.subject.as_str())?;
        map.serialize_field("client_id", self.client_id.as_str())?;
        map.end()
    }
}

/// A subject, exactly, or a pattern in which `*` stands for any run of characters
/// (`repo:acme/*:ref:refs/heads/main`, `system:serviceaccount:payments:*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectPattern(String);

impl SubjectPattern {
    pub fn parse(value: String) -> Result<SubjectPattern, Invalid> {
        check_text(&value)?;
        if value.chars().all(|c| c == '*') {
            return Err(Invalid::new("invalid", "must name more than a wildcard: every subject would match"));
        }
        Ok(SubjectPattern(value))
    }

    /// A pattern read back from the store, which only ever holds parsed ones.
    pub(crate) fn trusted(value: String) -> SubjectPattern {
        SubjectPattern(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `subject` matches: `*` matches any run of characters, anything else itself.
    pub fn matches(&self, subject: &str) -> bool {
        wildcard_match(self.0.as_bytes(), subject.as_bytes())
    }
}

/// Greedy matching with one backtrack point (the last `*`): linear in practice, and at worst
/// pattern × subject steps, both at most 255 characters.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

impl TrustedIssuer {
    /// The client the token's subject stands for, if any mapping matches.
    pub fn client_for(&self, subject: &str) -> Option<&ClientId> {
        self.subjects.iter().find(|mapping| mapping.subject.matches(subject)).map(|mapping| &mapping.client_id)
    }
}

fn check_text(value: &str) -> Result<(), Invalid> {
    super::check_length(value, 1, MAX_TEXT)?;
    if value.chars().any(char::is_control) {
        return Err(Invalid::new("invalid", "must not contain control characters"));
    }
    Ok(())
}

/// An `https` URL, or `http` on a loopback host (a development issuer on this machine), without
/// a fragment: what an issuer identifier or `jwks_uri` may be (RFC 8414 §2, OpenID Discovery §3).
pub fn parse_url(value: String) -> Result<String, Invalid> {
    super::check_length(&value, 1, MAX_URL)?;
    let url = url::Url::parse(&value).map_err(|_| Invalid::new("invalid", "must be an absolute URL"))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(Invalid::new("invalid", "must be https (http only on a loopback host)")),
    }
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(Invalid::new("invalid", "must have no fragment and no user information"));
    }
    Ok(value)
}

pub fn parse_audience(value: String) -> Result<String, Invalid> {
    check_text(&value)?;
    Ok(value)
}

pub fn parse_max_token_age(value: i64) -> Result<i64, Invalid> {
    if value < MIN_TOKEN_AGE_SECS {
        return Err(Invalid::min(MIN_TOKEN_AGE_SECS));
    }
    if value > MAX_TOKEN_AGE_SECS {
        return Err(Invalid::max(MAX_TOKEN_AGE_SECS));
    }
    Ok(value)
}

/// At least one algorithm, each once.
pub fn parse_algorithms(algorithms: Vec<SigningAlgorithm>) -> Result<Vec<SigningAlgorithm>, Invalid> {
    if algorithms.is_empty() {
        return Err(Invalid::new("invalid", "must name at least one algorithm"));
    }
    let mut seen = Vec::new();
    for algorithm in algorithms {
        if seen.contains(&algorithm) {
            return Err(Invalid::new("invalid", format!("names {} twice", algorithm.as_str())));
        }
        seen.push(algorithm);
    }
    Ok(seen)
}

pub fn parse_subjects(subjects: Vec<SubjectMapping>) -> Result<Vec<SubjectMapping>, Invalid> {
    if subjects.is_empty() {
        return Err(Invalid::new("invalid", "must map at least one subject to a client"));
    }
    if subjects.len() > MAX_SUBJECTS {
        return Err(Invalid::max_items(MAX_SUBJECTS));
    }
    Ok(subjects)
}

/// Claim names and the exact string values they must have.
pub fn parse_conditions(conditions: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Invalid> {
    if conditions.len() > MAX_CONDITIONS {
        return Err(Invalid::max_items(MAX_CONDITIONS));
    }
    for (name, value) in &conditions {
        check_text(name).map_err(|e| e.at(format!(".{name}")))?;
        check_text(value).map_err(|e| e.at(format!(".{name}")))?;
    }
    Ok(conditions)
}

/// Claim names to copy, none of them one Tessera sets itself, each once.
pub fn parse_copy_claims(names: Vec<String>) -> Result<Vec<String>, Invalid> {
    if names.len() > MAX_COPIED_CLAIMS {
        return Err(Invalid::max_items(MAX_COPIED_CLAIMS));
    }
    let mut seen: Vec<String> = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let at = format!("[{i}]");
        check_text(&name).map_err(|e| e.at(&at))?;
        if RESERVED_CLAIMS.contains(&name.as_str()) {
            return Err(Invalid::new("invalid", format!("{name} is set by Tessera, not copied")).at(&at));
        }
        if seen.contains(&name) {
            return Err(Invalid::new("invalid", format!("names {name} twice")).at(&at));
        }
        seen.push(name);
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(value: &str) -> SubjectPattern {
        SubjectPattern::parse(value.to_owned()).unwrap_or_else(|e| unreachable!("{e:?}"))
    }

    #[test]
    fn a_subject_pattern_matches_exactly_or_across_its_wildcards() {
        let exact = pattern("system:serviceaccount:payments:api");
        assert!(exact.matches("system:serviceaccount:payments:api"));
        assert!(!exact.matches("system:serviceaccount:payments:api2"));
        assert!(!exact.matches("system:serviceaccount:payments:ap"));
        let namespace = pattern("system:serviceaccount:payments:*");
        assert!(namespace.matches("system:serviceaccount:payments:api"));
        assert!(!namespace.matches("system:serviceaccount:billing:api"));
        let repo = pattern("repo:acme/*:ref:refs/heads/main");
        assert!(repo.matches("repo:acme/billing:ref:refs/heads/main"));
        assert!(!repo.matches("repo:acme/billing:ref:refs/heads/feature"));
        assert!(!repo.matches("repo:evil/x:ref:refs/heads/main"));
        assert!(pattern("a*b*c").matches("axxbyyc"));
        assert!(pattern("a*b*c").matches("abbbc"));
        assert!(!pattern("a*b*c").matches("acb"));
        assert!(SubjectPattern::parse("**".to_owned()).is_err(), "a bare wildcard maps everyone");
        assert!(SubjectPattern::parse(String::new()).is_err());
    }

    #[test]
    fn a_subject_mapping_is_written_as_its_subject_and_client_id() {
        let mapping =
            SubjectMapping { subject: pattern("repo:acme/*"), client_id: ClientId::trusted("deployer".into()) };
        let text = serde_json::to_string(&mapping).unwrap_or_default();
        assert_eq!(text, r#"{"subject":"repo:acme/*","client_id":"deployer"}"#);
    }

    #[test]
    fn issuer_urls_are_https_or_loopback_http() {
        assert!(parse_url("https://token.actions.githubusercontent.com".into()).is_ok());
        assert!(parse_url("http://127.0.0.1:8089/issuer".into()).is_ok());
        assert!(parse_url("http://localhost:1/x".into()).is_ok());
        for bad in ["http://example.com", "ftp://127.0.0.1", "https://a.example#x", "https://u:p@a.example", "issuer"] {
            assert!(parse_url(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn claims_tessera_sets_are_never_copied() {
        assert!(parse_copy_claims(vec!["repository".into(), "kubernetes.io".into()]).is_ok());
        for reserved in RESERVED_CLAIMS {
            assert!(parse_copy_claims(vec![reserved.to_owned()]).is_err(), "{reserved}");
        }
        assert!(parse_copy_claims(vec!["a".into(), "a".into()]).is_err());
    }
}
