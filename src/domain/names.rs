//! Names of auth servers, clients, claims and scopes.

use super::{Invalid, check_length};

/// Longest name we store: keeps unique indexes within the database's key size.
pub const MAX_NAME_LENGTH: usize = 255;

/// A display name: 1 to 255 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn parse(value: String) -> Result<Name, Invalid> {
        check_length(&value, 1, MAX_NAME_LENGTH)?;
        if value.chars().any(char::is_control) {
            return Err(Invalid::new("invalid", "must not contain control characters"));
        }
        Ok(Name(value))
    }

    pub(crate) fn trusted(value: String) -> Name {
        Name(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A scope name: one `scope-token` of RFC 6749 §3.3, so it can be requested in `scope`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeName(String);

impl ScopeName {
    pub fn parse(value: String) -> Result<ScopeName, Invalid> {
        check_length(&value, 1, MAX_NAME_LENGTH)?;
        // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
        let valid = value.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
        if !valid {
            return Err(Invalid::new(
                "matches_regex",
                "must be printable ASCII without spaces, double quotes or backslashes (RFC 6749 scope-token)",
            ));
        }
        Ok(ScopeName(value))
    }

    pub(crate) fn trusted(value: String) -> ScopeName {
        ScopeName(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_follow_the_rfc_6749_scope_token_syntax() {
        assert!(ScopeName::parse("scope1".into()).is_ok());
        assert!(ScopeName::parse("read:orders".into()).is_ok());
        for bad in ["", "two words", "quote\"", "back\\slash", "tab\t", "naïve"] {
            assert!(ScopeName::parse(bad.into()).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn names_reject_empty_overlong_and_control_characters() {
        assert!(Name::parse("Appointments Dev".into()).is_ok());
        assert_eq!(Name::parse(String::new()).unwrap_err().rule, "min_length");
        assert_eq!(Name::parse("x".repeat(256)).unwrap_err().rule, "max_length");
        assert_eq!(Name::parse("a\nb".into()).unwrap_err().rule, "invalid");
    }
}
