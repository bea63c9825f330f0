//! Which scopes a token gets (RFC 6749 §3.3).

use crate::domain::{Client, Scope};

use super::OAuthError;

/// Whether the client may have the scope: all scopes, or this one listed.
pub fn allowed(client: &Client, scope: &Scope) -> bool {
    client.allow_all_scopes || client.allow_scopes.contains(&scope.id)
}

/// Grants the requested scopes, each of which must exist, be enabled and be allowed for the
/// client; without a request, the client's allowed default scopes. RFC 6749 §3.3: `scope`
/// is a space-delimited list.
pub fn grant<'a>(requested: Option<&str>, scopes: &'a [Scope], client: &Client) -> Result<Vec<&'a Scope>, OAuthError> {
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(scopes.iter().filter(|s| s.enabled && s.is_default && allowed(client, s)).collect());
    };
    let mut granted: Vec<&Scope> = Vec::new();
    for name in requested.split(' ').filter(|n| !n.is_empty()) {
        let scope = scopes
            .iter()
            .find(|s| s.name.as_str() == name && s.enabled)
            .ok_or_else(|| OAuthError::invalid_scope(format!("Unknown scope {name}")))?;
        if !allowed(client, scope) {
            return Err(OAuthError::invalid_scope(format!("The client may not request scope {name}")));
        }
        if !granted.iter().any(|g| g.id == scope.id) {
            granted.push(scope);
        }
    }
    Ok(granted)
}
