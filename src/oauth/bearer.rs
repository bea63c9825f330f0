//! RFC 6750 bearer-token errors, for the endpoints a bearer token opens (userinfo, the
//! registration endpoints), and reading the token from an `Authorization` header.

use super::OAuthError;

/// RFC 6750 §3: an error answered with a `WWW-Authenticate: Bearer` challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BearerError {
    pub status: u16,
    /// `None` for a request that sent no credentials at all (§3.1: challenge only).
    pub error: Option<&'static str>,
    pub description: String,
    /// The scope that would do, for an `insufficient_scope` challenge.
    pub scope: Option<&'static str>,
}

impl BearerError {
    pub fn invalid_request(description: &str) -> Self {
        BearerError { status: 400, error: Some("invalid_request"), description: description.into(), scope: None }
    }

    pub fn invalid_token(description: &str) -> Self {
        BearerError { status: 401, error: Some("invalid_token"), description: description.into(), scope: None }
    }

    /// RFC 6750 §3.1: a request without credentials gets the challenge and no error code.
    pub fn missing(description: &str) -> Self {
        BearerError { status: 401, error: None, description: description.into(), scope: None }
    }

    /// RFC 6750 §3.1: the token is valid but not for this resource.
    pub fn insufficient_scope(description: &str) -> Self {
        BearerError { status: 403, error: Some("insufficient_scope"), description: description.into(), scope: None }
    }
}

/// Why an endpoint opened by a bearer token refuses: a token problem (with its RFC 6750
/// challenge) or any other OAuth error (RFC 6749 §5.2 / RFC 7591 §3.2.2 body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    OAuth(OAuthError),
    Bearer(BearerError),
}

impl From<OAuthError> for Refusal {
    fn from(error: OAuthError) -> Self {
        Refusal::OAuth(error)
    }
}

impl From<BearerError> for Refusal {
    fn from(error: BearerError) -> Self {
        Refusal::Bearer(error)
    }
}

/// RFC 6750 §2.1: the token of an `Authorization: Bearer` header value; `None` without a header.
pub fn from_authorization(authorization: Option<&str>) -> Result<Option<String>, BearerError> {
    let Some(value) = authorization else { return Ok(None) };
    value
        .split_once(' ')
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .map(|(_, token)| Some(token.trim().to_owned()))
        .ok_or_else(|| BearerError::invalid_request("The Authorization header must be Bearer <token>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_header_yields_its_token_and_anything_else_is_refused() {
        assert_eq!(from_authorization(None), Ok(None));
        assert_eq!(from_authorization(Some("bearer  abc ")), Ok(Some("abc".to_owned())));
        for bad in ["Basic abc", "Bearer", "Bearer   ", ""] {
            assert_eq!(from_authorization(Some(bad)).unwrap_err().error, Some("invalid_request"), "{bad:?}");
        }
    }
}
