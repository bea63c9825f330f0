//! Entities and validated newtypes of the management API; no I/O, no framework.

pub mod admin;
pub mod api_key;
pub mod audit;
pub mod auth_server;
pub mod basic_auth;
pub mod claim;
pub mod client;
pub mod directory;
pub mod exchange_policy;
pub mod identity;
pub mod jwks;
pub mod labels;
pub mod list;
pub mod names;
pub mod principal;
pub mod random;
pub mod registration;
pub mod resource;
pub mod scope;
pub mod secret;
pub mod token;
pub mod trusted_issuer;
pub mod uris;

pub use auth_server::{AuthServer, IssuerSlug, SigningAlgorithm};
pub use claim::Claim;
pub use client::{Client, ClientId, GrantType, ResponseType, TokenDuration, TokenEndpointAuthMethod};
pub use labels::Labels;
pub use names::{Name, ScopeName};
pub use scope::Scope;
pub use uris::{LoginUri, RedirectUri, TrustedOrigin};

/// Why a value was rejected, in the vocabulary of Kong's `invalid_parameters`
/// (`rule` plus a human `reason`, and the bound or choices where one applies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub rule: &'static str,
    pub reason: String,
    /// Appended to the field name: `[2]` for an array item, `.env` for a label.
    pub suffix: String,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
    pub choices: Option<Vec<String>>,
}

impl Invalid {
    pub fn new(rule: &'static str, reason: impl Into<String>) -> Self {
        Invalid { rule, reason: reason.into(), suffix: String::new(), minimum: None, maximum: None, choices: None }
    }

    /// Locates the problem inside the field (`[2]`, `.key`).
    pub fn at(mut self, suffix: impl AsRef<str>) -> Self {
        self.suffix = format!("{}{}", suffix.as_ref(), self.suffix);
        self
    }

    pub fn min_length(minimum: usize) -> Self {
        let mut invalid = Invalid::new("min_length", format!("must have at least {minimum} characters"));
        invalid.minimum = Some(minimum as i64);
        invalid
    }

    pub fn max_length(maximum: usize) -> Self {
        let mut invalid = Invalid::new("max_length", format!("must not have more than {maximum} characters"));
        invalid.maximum = Some(maximum as i64);
        invalid
    }

    pub fn max_items(maximum: usize) -> Self {
        let mut invalid = Invalid::new("max_items", format!("must not have more than {maximum} items"));
        invalid.maximum = Some(maximum as i64);
        invalid
    }

    pub fn min(minimum: i64) -> Self {
        let mut invalid = Invalid::new("min", format!("must be at least {minimum}"));
        invalid.minimum = Some(minimum);
        invalid
    }

    pub fn max(maximum: i64) -> Self {
        let mut invalid = Invalid::new("max", format!("must be at most {maximum}"));
        invalid.maximum = Some(maximum);
        invalid
    }

    pub fn one_of(choices: &[&str]) -> Self {
        let mut invalid = Invalid::new("enum", format!("must be one of: {}", choices.join(", ")));
        invalid.choices = Some(choices.iter().map(|c| (*c).to_owned()).collect());
        invalid
    }
}

/// Checks a string's length in characters against inclusive bounds.
pub(crate) fn check_length(value: &str, min: usize, max: usize) -> Result<(), Invalid> {
    let length = value.chars().count();
    if length < min {
        return Err(Invalid::min_length(min));
    }
    if length > max {
        return Err(Invalid::max_length(max));
    }
    Ok(())
}

/// Rejects duplicates in a list whose schema says `uniqueItems`.
pub(crate) fn check_unique<T: PartialEq + std::fmt::Display>(items: &[T]) -> Result<(), Invalid> {
    for (index, item) in items.iter().enumerate() {
        if items[..index].contains(item) {
            return Err(Invalid::new("invalid", format!("duplicate item {item}")).at(format!("[{index}]")));
        }
    }
    Ok(())
}
