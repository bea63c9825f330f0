//! Client credentials in a request: HTTP Basic or form parameters (RFC 6749 §2.3.1).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::OAuthError;
use super::form::Form;
use crate::domain::TokenEndpointAuthMethod;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    Basic,
    Post,
}

/// Who the client says it is and the secret it presents.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub secret: String,
    pub method: Method,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

impl Method {
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Basic => "client_secret_basic",
            Method::Post => "client_secret_post",
        }
    }
}

/// Whether a client registered with `registered` may present its secret this way (RFC 7591 §2:
/// the method is the client's to choose, the server's to enforce). `client_secret_basic` means
/// Basic only. `client_secret_post` also takes Basic: it is Kong Identity's default and the only
/// secret method its API offers, and Kong's own introspection how-to has the gateway present
/// such a client's secret with HTTP Basic. Public and `private_key_jwt` clients take no secret.
pub fn secret_method_allowed(registered: TokenEndpointAuthMethod, used: &Method) -> bool {
    match registered {
        TokenEndpointAuthMethod::ClientSecretBasic => *used == Method::Basic,
        TokenEndpointAuthMethod::ClientSecretPost => true,
        TokenEndpointAuthMethod::None | TokenEndpointAuthMethod::PrivateKeyJwt => false,
    }
}

/// Decodes one application/x-www-form-urlencoded component of Basic credentials.
fn form_decode(part: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={part}")).ok()?;
    pairs.into_iter().next().map(|(_, value)| value)
}

/// Reads the client's credentials. RFC 6749 §2.3: exactly one method; with Basic, the id and
/// secret are form-urlencoded before base64 (§2.3.1), and a `client_id` in the body must agree.
pub fn credentials(authorization: Option<&str>, form: &Form) -> Result<Credentials, OAuthError> {
    let basic = authorization.and_then(|value| {
        let (scheme, rest) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("basic").then(|| rest.trim())
    });
    match (basic, form.get("client_secret")) {
        (Some(_), Some(_)) => {
            Err(OAuthError::invalid_request("Use one client authentication method, not Basic and client_secret both"))
        }
        (Some(encoded), None) => {
            let decoded = STANDARD.decode(encoded).ok().and_then(|bytes| String::from_utf8(bytes).ok());
            let (id, secret) = decoded
                .as_deref()
                .and_then(|text| text.split_once(':'))
                .and_then(|(id, secret)| Some((form_decode(id)?, form_decode(secret)?)))
                .ok_or_else(|| OAuthError::invalid_client(true))?;
            if form.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::invalid_request("client_id differs from the Basic credentials"));
            }
            Ok(Credentials { client_id: id, secret, method: Method::Basic })
        }
        (None, Some(secret)) => {
            let client_id = form.require("client_id")?;
            Ok(Credentials { client_id: client_id.to_owned(), secret: secret.to_owned(), method: Method::Post })
        }
        (None, None) => Err(OAuthError::invalid_client(false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let form = Form::default();
        let creds = credentials(Some(&basic("my%20client", "p%3Ass+word")), &form).unwrap();
        assert_eq!(
            (creds.client_id.as_str(), creds.secret.as_str(), creds.method),
            ("my client", "p:ss word", Method::Basic)
        );
    }

    #[test]
    fn post_credentials_need_a_client_id() {
        let form = Form::parse(b"client_id=abc&client_secret=s").unwrap();
        assert_eq!(credentials(None, &form).unwrap().method, Method::Post);
        let missing = Form::parse(b"client_secret=s").unwrap();
        assert_eq!(credentials(None, &missing).unwrap_err().error, "invalid_request");
    }

    #[test]
    fn two_methods_or_none_or_garbage_are_rejected() {
        let both = Form::parse(b"client_id=a&client_secret=s").unwrap();
        assert_eq!(credentials(Some(&basic("a", "s")), &both).unwrap_err().error, "invalid_request");
        let none = credentials(None, &Form::default()).unwrap_err();
        assert_eq!((none.error, none.basic_challenge), ("invalid_client", false));
        let garbage = credentials(Some("Basic !!!"), &Form::default()).unwrap_err();
        assert_eq!((garbage.error, garbage.basic_challenge), ("invalid_client", true));
        let mismatch = Form::parse(b"client_id=other").unwrap();
        assert_eq!(credentials(Some(&basic("a", "s")), &mismatch).unwrap_err().error, "invalid_request");
    }

    #[test]
    fn secrets_are_accepted_only_the_way_the_client_registered() {
        use TokenEndpointAuthMethod::*;
        assert!(secret_method_allowed(ClientSecretBasic, &Method::Basic));
        assert!(!secret_method_allowed(ClientSecretBasic, &Method::Post));
        assert!(secret_method_allowed(ClientSecretPost, &Method::Post));
        assert!(secret_method_allowed(ClientSecretPost, &Method::Basic), "Kong's introspection how-to");
        for keyless in [None, PrivateKeyJwt] {
            assert!(!secret_method_allowed(keyless, &Method::Basic) && !secret_method_allowed(keyless, &Method::Post));
        }
    }

    #[test]
    fn credentials_never_print_the_secret() {
        let creds = Credentials { client_id: "a".into(), secret: "hunter2".into(), method: Method::Post };
        assert!(!format!("{creds:?}").contains("hunter2"));
    }
}
