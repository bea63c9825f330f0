//! OAuth 2.0 Token Exchange (RFC 8693): the request's parameters, and the rules that decide
//! what an exchanged token carries — which scopes, for which targets, and who acts (`act`).
//! The tokens presented are verified by the caller; nothing here does I/O.

use serde_json::{Map, Value, json};

use crate::domain::Scope;
use crate::domain::exchange_policy::ExchangePolicy;

use super::form::Form;
use super::{OAuthError, scope};

/// RFC 8693 §2.1.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// Token type identifiers (RFC 8693 §3) Tessera reads and issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    AccessToken,
    Jwt,
    IdToken,
}

impl TokenType {
    pub fn parse(value: &str) -> Option<TokenType> {
        match value {
            "urn:ietf:params:oauth:token-type:access_token" => Some(TokenType::AccessToken),
            "urn:ietf:params:oauth:token-type:jwt" => Some(TokenType::Jwt),
            "urn:ietf:params:oauth:token-type:id_token" => Some(TokenType::IdToken),
            _ => None,
        }
    }

    pub fn uri(self) -> &'static str {
        match self {
            TokenType::AccessToken => "urn:ietf:params:oauth:token-type:access_token",
            TokenType::Jwt => "urn:ietf:params:oauth:token-type:jwt",
            TokenType::IdToken => "urn:ietf:params:oauth:token-type:id_token",
        }
    }
}

/// A token presented in the request, with the type the client says it is.
#[derive(Debug)]
pub struct Presented<'a> {
    pub token: &'a str,
    pub kind: TokenType,
}

/// RFC 8693 §2.1: the parameters of a token exchange request.
#[derive(Debug)]
pub struct ExchangeRequest<'a> {
    pub subject: Presented<'a>,
    pub actor: Option<Presented<'a>>,
    /// What is asked for: always issued as an access token (a JWT).
    pub issued_type: TokenType,
    /// `resource` and `audience` values alike (RFC 8693 §2.1 allows both, repeated).
    pub targets: Vec<&'a str>,
    pub scope: Option<&'a str>,
}

impl<'a> ExchangeRequest<'a> {
    pub fn parse(form: &'a Form) -> Result<ExchangeRequest<'a>, OAuthError> {
        let presented = |token: &str, kind: &str| -> Result<Option<Presented<'a>>, OAuthError> {
            let Some(value) = form.get(token) else {
                return match form.get(kind) {
                    // RFC 8693 §2.1: actor_token_type MUST NOT be sent without actor_token.
                    Some(_) => Err(OAuthError::invalid_request(format!("{kind} is sent without {token}"))),
                    None => Ok(None),
                };
            };
            let named =
                form.get(kind).ok_or_else(|| OAuthError::invalid_request(format!("Missing parameter {kind}")))?;
            let kind = TokenType::parse(named).ok_or_else(|| {
                OAuthError::invalid_request(format!(
                    "{kind} must be one of {}, {} or {}",
                    TokenType::AccessToken.uri(),
                    TokenType::Jwt.uri(),
                    TokenType::IdToken.uri()
                ))
            })?;
            Ok(Some(Presented { token: value, kind }))
        };
        form.require("subject_token")?;
        let subject = presented("subject_token", "subject_token_type")?
            .ok_or_else(|| OAuthError::invalid_request("Missing parameter subject_token"))?;
        let actor = presented("actor_token", "actor_token_type")?;
        let issued_type = match form.get("requested_token_type").map(TokenType::parse) {
            None | Some(Some(TokenType::AccessToken)) => TokenType::AccessToken,
            Some(Some(TokenType::Jwt)) => TokenType::Jwt,
            Some(_) => {
                return Err(OAuthError::invalid_request(format!(
                    "requested_token_type must be {} or {}",
                    TokenType::AccessToken.uri(),
                    TokenType::Jwt.uri()
                )));
            }
        };
        let targets = form.all("resource").chain(form.all("audience")).collect();
        Ok(ExchangeRequest { subject, actor, issued_type, targets, scope: form.get("scope") })
    }
}

/// The policy's rules for the targets: each one the policy lets the client exchange for
/// (RFC 8693 §2.2.2 `invalid_target`); whether it is a declared resource is checked after.
pub fn check_targets(targets: &[&str], policy: &ExchangePolicy) -> Result<(), OAuthError> {
    match targets.iter().find(|target| !policy.audiences.iter().any(|allowed| allowed == *target)) {
        Some(_) => {
            Err(OAuthError::invalid_target("the client's exchange policy does not allow this resource or audience"))
        }
        None => Ok(()),
    }
}

/// RFC 8693 §1.1: with an actor, delegation; without, impersonation. The policy says which.
pub fn check_mode(delegating: bool, policy: &ExchangePolicy) -> Result<(), OAuthError> {
    match (delegating, policy.allow_delegation, policy.allow_impersonation) {
        (true, false, _) => Err(OAuthError::invalid_request(
            "the client's exchange policy does not allow delegation: send no actor_token",
        )),
        (false, _, false) => {
            Err(OAuthError::invalid_request("the client's exchange policy allows delegation only: send an actor_token"))
        }
        _ => Ok(()),
    }
}

/// The scope names a token carries (`scope`, RFC 8693 §4.2; or a `scp` list, as some issuers
/// write it).
pub fn scopes_of(claims: &Map<String, Value>) -> Vec<&str> {
    match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(scope)), _) => scope.split(' ').filter(|s| !s.is_empty()).collect(),
        (_, Some(Value::Array(list))) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The scopes of the exchanged token (RFC 8693 §2.1 `scope`): those asked for, or without a
/// request the subject token's; each an enabled scope of the auth server that the policy
/// allows, and, unless the policy allows widening, one the subject token has.
pub fn grant_scopes<'s>(
    requested: Option<&str>,
    subject_scopes: &[&str],
    policy: &ExchangePolicy,
    scopes: &'s [Scope],
) -> Result<Vec<&'s Scope>, OAuthError> {
    let allowed = |scope: &Scope| scope.enabled && policy.scopes.contains(&scope.id);
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(scopes.iter().filter(|s| allowed(s) && subject_scopes.contains(&s.name.as_str())).collect());
    };
    scope::named(requested, scopes, |scope| {
        let name = scope.name.as_str();
        if !allowed(scope) {
            return Err(OAuthError::invalid_scope(format!("The client's exchange policy does not allow scope {name}")));
        }
        if !policy.allow_scope_widening && !subject_scopes.contains(&name) {
            return Err(OAuthError::invalid_scope(format!("Scope {name} is wider than the subject token's scopes")));
        }
        Ok(())
    })
}

/// RFC 8693 §4.4: a subject token with `may_act` names who may act for its subject; an actor
/// it does not name is refused.
pub fn check_may_act(subject: &Map<String, Value>, actor: &Map<String, Value>) -> Result<(), OAuthError> {
    let Some(may_act) = subject.get("may_act") else { return Ok(()) };
    let named = |claim: &str| may_act.get(claim).and_then(Value::as_str);
    let actor_has = |claim: &str| actor.get(claim).and_then(Value::as_str);
    let subject_matches = named("sub").is_some_and(|sub| actor_has("sub") == Some(sub));
    let issuer_matches = named("iss").is_none_or(|iss| actor_has("iss") == Some(iss));
    if subject_matches && issuer_matches {
        Ok(())
    } else {
        Err(OAuthError::invalid_request("actor_token's subject is not one the subject token's may_act allows"))
    }
}

/// RFC 8693 §4.1: the `act` claim of the exchanged token. Delegating, the actor is the current
/// actor, and whoever acted in the subject token before is nested inside it; impersonating, the
/// subject token's own `act` (if any) is kept as it was, so the chain stays truthful.
pub fn act(subject: &Map<String, Value>, actor: Option<&Map<String, Value>>, issuer: &str) -> Option<Value> {
    let prior = subject.get("act").filter(|act| act.is_object()).cloned();
    let Some(actor) = actor else { return prior };
    let mut current = Map::new();
    if let Some(sub) = actor.get("sub") {
        current.insert("sub".into(), sub.clone());
    }
    // The issuer names whose subject this is, when it is not this auth server's own.
    if let Some(iss) = actor.get("iss").filter(|iss| iss.as_str() != Some(issuer)) {
        current.insert("iss".into(), iss.clone());
    }
    if let Some(prior) = prior {
        current.insert("act".into(), prior);
    }
    Some(json!(current))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::domain::ClientId;

    fn scope(name: &str) -> Scope {
        Scope::named(name)
    }

    fn policy(scopes: &[&Scope]) -> ExchangePolicy {
        ExchangePolicy {
            auth_server_id: Uuid::nil(),
            client_id: ClientId::trusted("gateway".into()),
            accept_own_tokens: true,
            trusted_issuer_ids: vec![],
            audiences: vec!["https://ledger.example".into()],
            scopes: scopes.iter().map(|s| s.id).collect(),
            allow_scope_widening: false,
            allow_impersonation: true,
            allow_delegation: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_request_reads_token_types_and_refuses_the_unknown() {
        let form = Form::parse(
            b"subject_token=a.b.c&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt\
              &resource=https%3A%2F%2Fa&audience=https%3A%2F%2Fb",
        )
        .unwrap();
        let request = ExchangeRequest::parse(&form).unwrap();
        assert_eq!(request.subject.kind, TokenType::Jwt);
        assert_eq!(request.targets, ["https://a", "https://b"]);
        assert_eq!(request.issued_type, TokenType::AccessToken);
        for body in [
            &b"subject_token=a"[..],
            b"subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt",
            b"subject_token=a&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Asaml2",
            b"subject_token=a&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt\
              &actor_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt",
            b"subject_token=a&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt\
              &requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Arefresh_token",
        ] {
            let form = Form::parse(body).unwrap();
            let error = ExchangeRequest::parse(&form).unwrap_err();
            assert_eq!(error.error, "invalid_request", "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn exchanged_scopes_never_widen_unless_the_policy_says_so() {
        let (read, write, admin) = (scope("read"), scope("write"), scope("admin"));
        let all = vec![read.clone(), write.clone(), admin.clone()];
        let mut rules = policy(&[&read, &write]);
        let names = |granted: Vec<&Scope>| granted.iter().map(|s| s.name.as_str().to_owned()).collect::<Vec<_>>();
        assert_eq!(names(grant_scopes(None, &["read", "admin"], &rules, &all).unwrap()), ["read"]);
        assert_eq!(names(grant_scopes(Some("read"), &["read", "write"], &rules, &all).unwrap()), ["read"]);
        assert_eq!(grant_scopes(Some("write"), &["read"], &rules, &all).unwrap_err().error, "invalid_scope");
        assert_eq!(grant_scopes(Some("admin"), &["admin"], &rules, &all).unwrap_err().error, "invalid_scope");
        assert_eq!(grant_scopes(Some("nope"), &[], &rules, &all).unwrap_err().error, "invalid_scope");
        rules.allow_scope_widening = true;
        assert_eq!(names(grant_scopes(Some("write"), &["read"], &rules, &all).unwrap()), ["write"]);
    }

    #[test]
    fn the_actor_goes_on_top_of_earlier_actors() {
        let subject = claims(json!({"sub": "alice", "act": {"sub": "frontend"}}));
        let actor = claims(json!({"sub": "gateway", "iss": "https://tessera.example/a"}));
        let nested = act(&subject, Some(&actor), "https://tessera.example/a").unwrap();
        assert_eq!(nested, json!({"sub": "gateway", "act": {"sub": "frontend"}}));
        let foreign = claims(json!({"sub": "system:serviceaccount:ns:sa", "iss": "https://k8s.example"}));
        let outside = act(&claims(json!({"sub": "alice"})), Some(&foreign), "https://tessera.example/a").unwrap();
        assert_eq!(outside, json!({"sub": "system:serviceaccount:ns:sa", "iss": "https://k8s.example"}));
        assert_eq!(act(&subject, None, "x"), Some(json!({"sub": "frontend"})), "impersonation keeps the chain");
        assert_eq!(act(&claims(json!({"sub": "alice"})), None, "x"), None);
    }

    #[test]
    fn may_act_names_who_may_act() {
        let subject = claims(json!({"sub": "alice", "may_act": {"sub": "gateway"}}));
        assert!(check_may_act(&subject, &claims(json!({"sub": "gateway"}))).is_ok());
        assert!(check_may_act(&subject, &claims(json!({"sub": "intruder"}))).is_err());
        let with_issuer = claims(json!({"may_act": {"sub": "gateway", "iss": "https://k8s.example"}}));
        assert!(check_may_act(&with_issuer, &claims(json!({"sub": "gateway", "iss": "https://k8s.example"}))).is_ok());
        assert!(check_may_act(&with_issuer, &claims(json!({"sub": "gateway"}))).is_err());
        assert!(check_may_act(&claims(json!({"sub": "alice"})), &claims(json!({"sub": "anyone"}))).is_ok());
    }

    #[test]
    fn targets_and_modes_follow_the_policy() {
        let rules = policy(&[]);
        assert!(check_targets(&["https://ledger.example"], &rules).is_ok());
        assert_eq!(check_targets(&["https://other.example"], &rules).unwrap_err().error, "invalid_target");
        assert!(check_mode(false, &rules).is_ok());
        assert_eq!(check_mode(true, &rules).unwrap_err().error, "invalid_request");
    }
}
