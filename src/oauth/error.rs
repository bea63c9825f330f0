//! Error responses of the token, introspection and revocation endpoints (RFC 6749 §5.2).

/// An RFC 6749 §5.2 error: the code and description go on the wire; details go to logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
    pub status: u16,
    /// The client tried HTTP Basic: answer 401 with `WWW-Authenticate: Basic` (RFC 6749 §5.2).
    pub basic_challenge: bool,
    /// Seconds for `Retry-After` (RFC 6585 §4) on a 429.
    pub retry_after: Option<u64>,
}

impl OAuthError {
    fn new(error: &'static str, status: u16, description: impl Into<String>) -> Self {
        OAuthError { error, description: description.into(), status, basic_challenge: false, retry_after: None }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", 400, description)
    }

    /// RFC 6749 §5.2: client authentication failed.
    pub fn invalid_client(used_basic: bool) -> Self {
        OAuthError { basic_challenge: used_basic, ..Self::new("invalid_client", 401, "Client authentication failed") }
    }

    /// RFC 7523 §3.2: a client assertion that does not authenticate the client, and why.
    pub fn invalid_client_with(description: impl Into<String>) -> Self {
        Self::new("invalid_client", 401, description)
    }

    /// RFC 6749 §5.2: the code or refresh token is invalid, expired, used, or not this client's.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", 400, description)
    }

    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new("unauthorized_client", 400, description)
    }

    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new("unsupported_grant_type", 400, description)
    }

    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new("invalid_scope", 400, description)
    }

    /// RFC 8707 §2 and RFC 8693 §2.2.2: a resource or audience the token cannot be for.
    pub fn invalid_target(description: impl Into<String>) -> Self {
        Self::new("invalid_target", 400, description)
    }

    /// RFC 7009 §2.2.1.
    pub fn unsupported_token_type(description: impl Into<String>) -> Self {
        Self::new("unsupported_token_type", 400, description)
    }

    /// RFC 7591 §3.2.2: a metadata value is invalid or not allowed by the policy.
    pub fn invalid_client_metadata(description: impl Into<String>) -> Self {
        Self::new("invalid_client_metadata", 400, description)
    }

    /// RFC 7591 §3.2.2: a redirect URI is invalid.
    pub fn invalid_redirect_uri(description: impl Into<String>) -> Self {
        Self::new("invalid_redirect_uri", 400, description)
    }

    /// RFC 7591 §3.2.2: the software statement is not approved (Tessera approves none).
    pub fn unapproved_software_statement(description: impl Into<String>) -> Self {
        Self::new("unapproved_software_statement", 400, description)
    }

    /// The request is understood but refused for the caller (dynamic registration is off, say).
    pub fn access_denied(description: impl Into<String>) -> Self {
        Self::new("access_denied", 403, description)
    }

    pub fn server_error() -> Self {
        Self::new("server_error", 500, "The server could not complete the request")
    }

    /// A claim template failed for this client: the admin's configuration, not the request,
    /// is at fault, so the token is refused as a server error that names the claim.
    pub fn claim_not_rendered(claim: &str) -> Self {
        Self::new(
            "server_error",
            500,
            format!(
                "The claim {claim} could not be rendered for this client; the auth server's test-claim endpoint shows why"
            ),
        )
    }

    /// RFC 6585 §4: too many requests from this source or client, or for this auth server;
    /// `temporarily_unavailable` is the registered OAuth code clients already retry on.
    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        OAuthError {
            retry_after: Some(retry_after_seconds),
            ..Self::new(
                "temporarily_unavailable",
                429,
                format!("Too many requests; retry after {retry_after_seconds} seconds"),
            )
        }
    }

    pub fn temporarily_unavailable() -> Self {
        Self::new("temporarily_unavailable", 503, "The service is temporarily unavailable; retry shortly")
    }
}
