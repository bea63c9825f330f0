//! Resource indicators (RFC 8707): a request naming resources gets a token whose audience is
//! those resources and whose scopes are the ones that belong to them. A request naming none
//! gets the auth server's own audience, as Kong issues it.

use crate::domain::Scope;
use crate::domain::resource::{self, Resource};

use super::OAuthError;
use super::scope::Granted;

/// Most resources one request may name.
pub const MAX_PER_REQUEST: usize = 20;

/// RFC 8707 §2: every named resource must be an absolute URI without a fragment and one the
/// auth server declares, else `invalid_target`. Each is kept once, in the order named.
pub fn resolve<'a, 'r>(
    named: impl IntoIterator<Item = &'a str>,
    declared: &'r [Resource],
) -> Result<Vec<&'r Resource>, OAuthError> {
    let mut resolved: Vec<&Resource> = Vec::new();
    for (count, uri) in named.into_iter().enumerate() {
        if count == MAX_PER_REQUEST {
            return Err(OAuthError::invalid_target(format!("at most {MAX_PER_REQUEST} resources per request")));
        }
        if !resource::is_indicator(uri) {
            return Err(OAuthError::invalid_target("resource must be an absolute URI without a fragment"));
        }
        let found = declared.iter().find(|r| r.uri == uri).ok_or_else(|| {
            OAuthError::invalid_target(format!("resource {} is not known to this auth server", shown(uri)))
        })?;
        if !resolved.iter().any(|r| r.id == found.id) {
            resolved.push(found);
        }
    }
    Ok(resolved)
}

/// A client's value in a message, cut short: descriptions stay small whatever was sent.
fn shown(value: &str) -> String {
    const SHOWN: usize = 200;
    match value.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

/// RFC 8707 §2.2: the token's scopes narrowed to those that belong to `targets` (granted scope
/// names, `openid` kept where it is OpenID Connect's and not an admin-defined scope). Without
/// targets, nothing changes.
pub fn narrow(names: &mut Vec<String>, targets: &[&Resource], scopes: &[Scope]) {
    if targets.is_empty() {
        return;
    }
    let belongs = |name: &String| match scopes.iter().find(|s| s.name.as_str() == name) {
        Some(scope) => targets.iter().any(|target| target.scopes.contains(&scope.id)),
        None => name == "openid",
    };
    names.retain(belongs);
}

/// [`narrow`] for scopes granted at the token endpoint: the names and the scopes alike.
pub fn narrow_granted(granted: &mut Granted<'_>, targets: &[&Resource], scopes: &[Scope]) {
    narrow(&mut granted.names, targets, scopes);
    granted.scopes.retain(|scope| granted.names.iter().any(|name| name == scope.name.as_str()));
}

/// The token's audience for `targets`: their URIs, or `None` for the auth server's own.
pub fn audience(targets: &[&Resource]) -> Option<Vec<String>> {
    (!targets.is_empty()).then(|| targets.iter().map(|target| target.uri.clone()).collect())
}

/// RFC 8707 §2.2: at the token endpoint of a grant that named resources, a request may only
/// name some of them; naming none means all of them. A grant that named none leaves the choice
/// to the token request.
pub fn within_grant<'a>(asked: Vec<&'a str>, granted: &'a [String]) -> Result<Vec<&'a str>, OAuthError> {
    if asked.is_empty() {
        return Ok(granted.iter().map(String::as_str).collect());
    }
    if !granted.is_empty()
        && let Some(extra) = asked.iter().find(|uri| !granted.iter().any(|g| g == *uri))
    {
        return Err(OAuthError::invalid_target(format!("resource {} was not part of this grant", shown(extra))));
    }
    Ok(asked)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;

    fn scope(name: &str) -> Scope {
        Scope::named(name)
    }

    fn resource(uri: &str, scopes: &[&Scope]) -> Resource {
        Resource {
            id: Uuid::new_v4(),
            auth_server_id: Uuid::nil(),
            uri: uri.to_owned(),
            description: String::new(),
            scopes: scopes.iter().map(|s| s.id).collect(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn named_resources_must_be_declared_uris() {
        let declared = vec![resource("https://payments.example", &[]), resource("https://ledger.example", &[])];
        let found = resolve(["https://ledger.example", "https://ledger.example"], &declared).unwrap();
        assert_eq!(found.len(), 1, "named twice, kept once");
        for bad in ["https://other.example", "payments", "https://payments.example#x"] {
            assert_eq!(resolve([bad], &declared).unwrap_err().error, "invalid_target", "{bad}");
        }
        let many: Vec<&str> = std::iter::repeat_n("https://ledger.example", MAX_PER_REQUEST + 1).collect();
        assert_eq!(resolve(many, &declared).unwrap_err().error, "invalid_target");
        assert!(resolve([], &declared).unwrap().is_empty());
    }

    #[test]
    fn scopes_narrow_to_those_of_the_named_resources() {
        let (pay, read, audit) = (scope("payments:write"), scope("ledger:read"), scope("audit"));
        let scopes = vec![pay.clone(), read.clone(), audit.clone()];
        let ledger = resource("https://ledger.example", &[&read, &audit]);
        let mut names: Vec<String> = ["openid", "payments:write", "ledger:read"].map(str::to_owned).to_vec();
        narrow(&mut names, &[&ledger], &scopes);
        assert_eq!(names, ["openid", "ledger:read"]);
        let mut untouched = vec!["payments:write".to_owned()];
        narrow(&mut untouched, &[], &scopes);
        assert_eq!(untouched, ["payments:write"]);
        assert_eq!(audience(&[&ledger]), Some(vec!["https://ledger.example".to_owned()]));
        assert_eq!(audience(&[]), None);
    }

    #[test]
    fn a_token_request_names_only_resources_its_grant_named() {
        let granted = vec!["https://a.example".to_owned(), "https://b.example".to_owned()];
        assert_eq!(within_grant(vec![], &granted).unwrap(), ["https://a.example", "https://b.example"]);
        assert_eq!(within_grant(vec!["https://b.example"], &granted).unwrap(), ["https://b.example"]);
        assert_eq!(within_grant(vec!["https://c.example"], &granted).unwrap_err().error, "invalid_target");
        assert_eq!(within_grant(vec!["https://c.example"], &[]).unwrap(), ["https://c.example"]);
    }
}
