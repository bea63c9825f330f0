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
    named(requested, scopes, |scope| match allowed(client, scope) {
        true => Ok(()),
        false => Err(OAuthError::invalid_scope(format!("The client may not request scope {}", scope.name.as_str()))),
    })
}

/// The scopes a space-delimited request names, each once: every name an enabled scope of the
/// auth server (`invalid_scope` otherwise) that passes `check`.
pub fn named<'a>(
    requested: &str,
    scopes: &'a [Scope],
    check: impl Fn(&Scope) -> Result<(), OAuthError>,
) -> Result<Vec<&'a Scope>, OAuthError> {
    let mut granted: Vec<&Scope> = Vec::new();
    for name in requested.split(' ').filter(|n| !n.is_empty()) {
        let scope = scopes
            .iter()
            .find(|s| s.name.as_str() == name && s.enabled)
            .ok_or_else(|| OAuthError::invalid_scope(format!("Unknown scope {name}")))?;
        check(scope)?;
        if !granted.iter().any(|g| g.id == scope.id) {
            granted.push(scope);
        }
    }
    Ok(granted)
}

/// Scopes granted for a request, `openid` included.
#[derive(Debug)]
pub struct Granted<'a> {
    /// The auth server's scopes granted.
    pub scopes: Vec<&'a Scope>,
    /// Every granted scope name, in the token's `scope` order.
    pub names: Vec<String>,
    /// A scope other than `openid` was asked for (claims selected "only when no scope was
    /// requested" then stay out).
    pub requested: bool,
}

/// [`grant`], plus OpenID Connect's `openid` (OpenID Connect Core §3.1.2.1), which every
/// auth server understands without it being defined; an admin-defined `openid` scope is an
/// ordinary scope. `openid` alone still earns the client's default scopes.
pub fn grant_with_openid<'a>(
    requested: Option<&str>,
    scopes: &'a [Scope],
    client: &Client,
) -> Result<Granted<'a>, OAuthError> {
    let requested = requested.unwrap_or_default();
    let defined_openid = scopes.iter().any(|s| s.name.as_str() == "openid");
    let openid = !defined_openid && requested.split(' ').any(|s| s == "openid");
    let others: Vec<&str> =
        requested.split(' ').filter(|s| !s.is_empty() && (defined_openid || *s != "openid")).collect();
    let joined = others.join(" ");
    let granted = grant(Some(joined.as_str()).filter(|r| !r.is_empty()), scopes, client)?;
    let mut names: Vec<String> = Vec::new();
    if openid {
        names.push("openid".to_owned());
    }
    names.extend(granted.iter().map(|s| s.name.as_str().to_owned()));
    // `openid` never counts as a requested scope for claim selection, defined or not.
    let requested = requested.split(' ').any(|s| !s.is_empty() && s != "openid");
    Ok(Granted { scopes: granted, names, requested })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::domain::{Client, ClientId, Labels, Name, ScopeName};

    fn scope(name: &str, is_default: bool) -> Scope {
        Scope {
            id: Uuid::new_v4(),
            auth_server_id: Uuid::nil(),
            name: ScopeName::parse(name.to_owned()).unwrap_or_else(|_| unreachable!()),
            description: String::new(),
            is_default,
            include_in_metadata: false,
            enabled: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn client(allowed: &[&Scope]) -> Client {
        Client {
            id: ClientId::generate(),
            auth_server_id: Uuid::nil(),
            name: Name::parse("c".to_owned()).unwrap_or_else(|_| unreachable!()),
            grant_types: vec![],
            response_types: vec![],
            redirect_uris: vec![],
            login_uri: None,
            access_token_duration: Default::default(),
            id_token_duration: Default::default(),
            allow_all_scopes: false,
            allow_scopes: allowed.iter().map(|s| s.id).collect(),
            labels: Labels::default(),
            token_endpoint_auth_method: Default::default(),
            jwks: None,
            introspection_allowed: false,
            login_requests_answered_by_client: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn openid_is_granted_to_any_client_unless_the_admin_defined_it() {
        let read = scope("read", true);
        let scopes = vec![read.clone(), scope("write", false)];
        let client = client(&[&read]);
        let granted = grant_with_openid(Some("openid"), &scopes, &client).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(granted.names, vec!["openid", "read"], "openid alone still earns the defaults");
        assert!(!granted.requested);
        let granted =
            grant_with_openid(Some("read openid"), &scopes, &client).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(granted.names, vec!["openid", "read"]);
        assert!(granted.requested);
        assert_eq!(
            grant_with_openid(Some("openid write"), &scopes, &client).map(|_| ()).unwrap_err().error,
            "invalid_scope"
        );

        let defined = vec![read.clone(), scope("openid", false)];
        let refused = grant_with_openid(Some("openid"), &defined, &client).map(|_| ()).unwrap_err();
        assert_eq!(refused.error, "invalid_scope", "a defined openid scope follows the client's allow list");
    }
}
