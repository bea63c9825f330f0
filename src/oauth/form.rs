//! Form parameters of OAuth requests (application/x-www-form-urlencoded).

use std::collections::HashMap;

use super::OAuthError;

/// Parameters of a form body; each at most once (RFC 6749 §3.2), and one sent without a
/// value counts as omitted (RFC 6749 §3.1).
#[derive(Debug, Default)]
pub struct Form(HashMap<String, String>);

impl Form {
    pub fn parse(body: &[u8]) -> Result<Form, OAuthError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| OAuthError::invalid_request(format!("The body is not a valid form: {e}")))?;
        let mut map = HashMap::new();
        for (name, value) in pairs {
            if value.is_empty() {
                continue;
            }
            if map.insert(name.clone(), value).is_some() {
                return Err(OAuthError::invalid_request(format!("Parameter {name} is repeated")));
            }
        }
        Ok(Form(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
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
    }
}
