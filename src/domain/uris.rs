//! Redirect URIs, login URIs and trusted origins.

use url::{Host, Url};

use super::Invalid;

const MAX_URI_LENGTH: usize = 2048;

/// Plain http is tolerated only for a loopback host (RFC 8252 §7.3 native apps, local development).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// RFC 3986 §2: unreserved, reserved and percent signs only; no spaces or controls.
fn has_only_uri_characters(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b))
}

fn parse_secure_url(value: &str) -> Result<Url, Invalid> {
    if value.len() > MAX_URI_LENGTH {
        return Err(Invalid::max_length(MAX_URI_LENGTH));
    }
    if !has_only_uri_characters(value) {
        return Err(Invalid::new(
            "invalid",
            "must be a URI: percent-encode spaces and other characters outside RFC 3986",
        ));
    }
    let url = Url::parse(value).map_err(|e| Invalid::new("invalid", format!("must be an absolute URI ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Invalid::new("invalid", "must use https (http is allowed only for localhost and 127.0.0.1)"));
        }
        other => {
            return Err(Invalid::new("invalid", format!("must use https, not {other}")));
        }
    }
    if url.host().is_none() {
        return Err(Invalid::new("invalid", "must have a host"));
    }
    Ok(url)
}

/// RFC 6749 §3.1.2: an absolute URI without a fragment; https unless loopback (RFC 9700 §4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(value: String) -> Result<RedirectUri, Invalid> {
        let url = parse_secure_url(&value)?;
        if url.fragment().is_some() {
            return Err(Invalid::new("invalid", "must not include a fragment (RFC 6749 §3.1.2)"));
        }
        // Stored as given: redirect URIs are compared by exact string match (RFC 9700 §4.1.3).
        Ok(RedirectUri(value))
    }

    pub(crate) fn trusted(value: String) -> RedirectUri {
        RedirectUri(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The page where end users sign in during interactive flows: https unless loopback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginUri(String);

impl LoginUri {
    pub fn parse(value: String) -> Result<LoginUri, Invalid> {
        let url = parse_secure_url(&value)?;
        if url.fragment().is_some() {
            return Err(Invalid::new("invalid", "must not include a fragment"));
        }
        Ok(LoginUri(value))
    }

    pub(crate) fn trusted(value: String) -> LoginUri {
        LoginUri(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A web origin allowed to call the issuer endpoints from a browser: `scheme://host[:port]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedOrigin(String);

impl TrustedOrigin {
    pub fn parse(value: String) -> Result<TrustedOrigin, Invalid> {
        if value.len() > MAX_URI_LENGTH {
            return Err(Invalid::max_length(MAX_URI_LENGTH));
        }
        let url = Url::parse(&value)
            .map_err(|e| Invalid::new("invalid", format!("must be an origin such as https://example.com ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(Invalid::new("invalid", "must be an http or https origin such as https://example.com"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(Invalid::new("invalid", "must be an origin only: scheme, host and optional port, no path"));
        }
        // The browser's Origin header never ends in '/', so compare against the serialized origin.
        Ok(TrustedOrigin(url.origin().ascii_serialization()))
    }

    pub(crate) fn trusted(value: String) -> TrustedOrigin {
        TrustedOrigin(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TrustedOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_must_be_https_absolute_and_fragment_free() {
        for good in [
            "https://client.com/callback",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
            "https://a.b/cb?x=1",
        ] {
            assert!(RedirectUri::parse(good.into()).is_ok(), "{good}");
        }
        for bad in [
            "http://client.com/cb",
            "https://client.com/cb#frag",
            "/relative",
            "client.com/cb",
            "ftp://client.com",
            "javascript:alert(1)",
            "https://client.com/a b",
            "https://client.com/<x>",
        ] {
            assert!(RedirectUri::parse(bad.into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn login_uris_must_be_https_unless_loopback() {
        assert!(LoginUri::parse("https://client.com/login".into()).is_ok());
        assert!(LoginUri::parse("http://localhost:4000/login".into()).is_ok());
        assert!(LoginUri::parse("http://client.com/login".into()).is_err());
    }

    #[test]
    fn trusted_origins_are_bare_origins() {
        assert_eq!(TrustedOrigin::parse("https://example.com".into()).map(|o| o.0), Ok("https://example.com".into()));
        assert_eq!(TrustedOrigin::parse("https://example.com/".into()).map(|o| o.0), Ok("https://example.com".into()));
        assert_eq!(
            TrustedOrigin::parse("http://localhost:3000".into()).map(|o| o.0),
            Ok("http://localhost:3000".into())
        );
        for bad in ["https://example.com/path", "example.com", "https://example.com?x", "ftp://example.com"] {
            assert!(TrustedOrigin::parse(bad.into()).is_err(), "{bad}");
        }
    }
}
