//! Form parameters of OAuth requests (application/x-www-form-urlencoded).

use std::collections::HashMap;

use super::OAuthError;

/// Parameters that may be sent more than once: RFC 8707 §2 `resource` and RFC 8693 §2.1
/// `audience`.
pub const REPEATABLE: [&str; 2] = ["resource", "audience"];

/// Parameters of a form body; each at most once (RFC 6749 §3.2) except the [`REPEATABLE`]
/// ones, and one sent without a value counts as omitted (RFC 6749 §3.1).
#[derive(Debug, Default)]
pub struct Form {
    single: HashMap<String, String>,
    repeated: Vec<(&'static str, String)>,
}

impl Form {
    pub fn parse(body: &[u8]) -> Result<Form, OAuthError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| OAuthError::invalid_request(format!("The body is not a valid form: {e}")))?;
        Form::from_pairs(pairs)
    }

    /// A form from already decoded pairs (a query string's, at the authorization endpoint).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Form, OAuthError> {
        let mut form = Form::default();
        for (name, value) in pairs {
            if value.is_empty() {
                continue;
            }
            if let Some(repeatable) = REPEATABLE.iter().find(|r| **r == name) {
                form.repeated.push((repeatable, value));
            } else if form.single.insert(name.clone(), value).is_some() {
                return Err(OAuthError::invalid_request(format!("Parameter {name} is repeated")));
            }
        }
        Ok(form)
    }

    /// A parameter sent once, or the first value of a repeatable one.
    pub fn get(&self, name: &str) -> Option<&str> {
        let first_repeated = || self.repeated.iter().find(|(n, _)| *n == name).map(|(_, value)| value.as_str());
        self.single.get(name).map(String::as_str).or_else(first_repeated)
    }

    /// Every value of a repeatable parameter, in the order sent.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.repeated.iter().filter(move |(n, _)| *n == name).map(|(_, value)| value.as_str())
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| OAuthError::invalid_request(format!("Missing parameter {name}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_reject_repeated_parameters_and_ignore_empty_ones() {
        let form = Form::parse(b"grant_type=client_credentials&scope=&client_id=a%20b").unwrap();
        assert_eq!(form.get("client_id"), Some("a b"));
        assert_eq!(form.get("scope"), None);
        assert_eq!(Form::parse(b"scope=a&scope=b").unwrap_err().error, "invalid_request");
        assert_eq!(form.require("code").unwrap_err().description, "Missing parameter code");
        let form = Form::parse(b"resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb&audience=x").unwrap();
        assert_eq!(form.all("resource").collect::<Vec<_>>(), ["https://a", "https://b"]);
        assert_eq!(form.get("audience"), Some("x"));
    }
}
