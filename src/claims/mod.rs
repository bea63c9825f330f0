//! Custom claims: which ones a token carries, and the JSON value each one takes. A value
//! with `${ ... }` actions is a template (Go text/template and sprig, the `gotemplate` crate),
//! parsed when the claim is saved and when its auth server's configuration is cached, and
//! rendered for each token against `context`.

pub mod context;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use gotemplate::{Template, TemplateError};

use crate::domain::{AuthServer, Claim, Client, Invalid, Scope};

/// Registered claims Tessera sets itself (RFC 7519 §4.1, RFC 9068 §2.2, OpenID Connect Core
/// §2); discovery lists them in `claims_supported`.
pub const SET_BY_TESSERA: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "client_id",
    "scope",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "c_hash",
];

/// Registered claims Tessera does not issue but whose meaning (RFC 7800, RFC 8693) a custom
/// claim must not borrow.
const RESERVED: &[&str] = &["cnf", "act", "may_act"];

/// Whether a custom claim may not use this name.
pub fn is_registered(name: &str) -> bool {
    SET_BY_TESSERA.contains(&name) || RESERVED.contains(&name)
}

/// Whether `claim` goes into a token granted `granted`, by the inclusion rules of Kong
/// Identity: always (all scopes), with one of its scopes, or, with no scopes listed, only
/// when the request named no scope. Disabled claims and userinfo-only claims never do.
pub fn in_token(claim: &Claim, granted: &[&Scope], scope_requested: bool) -> bool {
    claim.include_in_token && applies(claim, granted, scope_requested)
}

/// Whether an enabled claim applies to a grant by its scope rules, wherever it is served.
fn applies(claim: &Claim, granted: &[&Scope], scope_requested: bool) -> bool {
    if !claim.enabled {
        return false;
    }
    if claim.include_in_all_scopes {
        return true;
    }
    if claim.include_in_scopes.is_empty() {
        return !scope_requested;
    }
    granted.iter().any(|scope| claim.include_in_scopes.contains(&scope.id))
}

/// The JSON value a claim's text takes: the JSON value when the text is valid JSON (a number,
/// boolean, object, array, or a quoted string, which loses its quotes), the text itself otherwise.
pub fn typed_value(value: &str) -> Value {
    serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()))
}

/// Checks a claim value as it is saved: a template must parse and name only known
/// functions and context fields.
pub fn check_value(value: &str) -> Result<(), Invalid> {
    match template_of(value) {
        Some(Err(error)) => Err(Invalid::new("template", format!("invalid template: {}", error.describe(value)))),
        _ => Ok(()),
    }
}

fn template_of(value: &str) -> Option<Result<Template, TemplateError>> {
    gotemplate::has_actions(value).then(|| Template::parse(value, &context::ROOT))
}

/// A claim ready for tokens: its value typed once if static, parsed once if a template.
pub struct CompiledClaim {
    pub claim: Claim,
    value: ClaimValue,
}

enum ClaimValue {
    Static(Value),
    Template(Template),
}

impl CompiledClaim {
    /// Claims saved before templates were checked may hold `${` text that does not parse;
    /// those keep their text verbatim, as they always had.
    pub fn new(claim: Claim) -> CompiledClaim {
        let value = match template_of(&claim.value) {
            Some(Ok(template)) => ClaimValue::Template(template),
            Some(Err(error)) => {
                let error = error.describe(&claim.value);
                tracing::warn!(claim = %claim.id, %error, "claim value is not a valid template; using it as text");
                ClaimValue::Static(typed_value(&claim.value))
            }
            None => ClaimValue::Static(typed_value(&claim.value)),
        };
        CompiledClaim { claim, value }
    }
}

/// A template that failed while a token was minted, or in `test-claim`.
#[derive(Debug, thiserror::Error)]
#[error("claim {claim}: {reason}")]
pub struct RenderError {
    pub claim: String,
    pub reason: String,
}

/// What templates render against; the context value is built only when a template needs it.
pub struct RenderContext<'a> {
    server: &'a AuthServer,
    client: &'a Client,
    principal: Option<&'a crate::domain::principal::Principal>,
    now: DateTime<Utc>,
    built: Option<gotemplate::Value>,
}

impl<'a> RenderContext<'a> {
    pub fn new(
        server: &'a AuthServer,
        client: &'a Client,
        principal: Option<&'a crate::domain::principal::Principal>,
        now: DateTime<Utc>,
    ) -> Self {
        RenderContext { server, client, principal, now, built: None }
    }

    /// Renders one template and types its text.
    fn render(&mut self, template: &Template) -> Result<Value, TemplateError> {
        let (server, client, principal) = (self.server, self.client, self.principal);
        let context = self.built.get_or_insert_with(|| {
            context::root(context::auth_server(server), context::client(client), context::principal(principal))
        });
        let text = template.render(context, self.now)?;
        Ok(typed_value(&text))
    }
}

/// The custom claims of a token, in claim order. A template that fails to render fails the
/// token: a token silently missing a claim could grant more than the admin intended.
pub fn select(
    claims: &[CompiledClaim],
    granted: &[&Scope],
    scope_requested: bool,
    context: &mut RenderContext<'_>,
) -> Result<Vec<(String, Value)>, RenderError> {
    select_where(claims, context, |claim| in_token(claim, granted, scope_requested))
}

/// The claims userinfo serves for a token (OpenID Connect Core §5.3): those whose scope rules
/// apply, whether or not they go into tokens, so `include_in_token: false` claims live here.
pub fn select_for_userinfo(
    claims: &[CompiledClaim],
    granted: &[&Scope],
    scope_requested: bool,
    context: &mut RenderContext<'_>,
) -> Result<Vec<(String, Value)>, RenderError> {
    select_where(claims, context, |claim| applies(claim, granted, scope_requested))
}

fn select_where(
    claims: &[CompiledClaim],
    context: &mut RenderContext<'_>,
    wanted: impl Fn(&Claim) -> bool,
) -> Result<Vec<(String, Value)>, RenderError> {
    let mut selected = Vec::new();
    for compiled in claims {
        let claim = &compiled.claim;
        if !wanted(claim) || is_registered(claim.name.as_str()) {
            continue;
        }
        let value = match &compiled.value {
            ClaimValue::Static(value) => value.clone(),
            ClaimValue::Template(template) => context.render(template).map_err(|e| RenderError {
                claim: claim.name.as_str().to_owned(),
                reason: e.describe(template.source()),
            })?,
        };
        selected.push((claim.name.as_str().to_owned(), value));
    }
    Ok(selected)
}

/// `test-claim`: renders each named template for a client and types the results. The error
/// names the first template that does not parse or render.
pub fn test_render(
    templates: &BTreeMap<String, String>,
    context: &mut RenderContext<'_>,
) -> Result<serde_json::Map<String, Value>, RenderError> {
    let mut out = serde_json::Map::new();
    for (name, source) in templates {
        let failed = |reason: String| RenderError { claim: name.clone(), reason };
        let value = match template_of(source) {
            None => typed_value(source),
            Some(Err(error)) => return Err(failed(format!("invalid template: {}", error.describe(source)))),
            Some(Ok(template)) => context.render(&template).map_err(|e| failed(e.describe(source)))?,
        };
        out.insert(name.clone(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Name, ScopeName};
    use chrono::Utc;
    use uuid::Uuid;

    fn scope() -> Scope {
        let now = Utc::now();
        Scope {
            id: Uuid::new_v4(),
            auth_server_id: Uuid::nil(),
            name: ScopeName::parse("s".into()).unwrap(),
            description: String::new(),
            is_default: false,
            include_in_metadata: false,
            enabled: true,
            created_at: now,
            updated_at: now,
        }
    }

    fn claim(include_in_token: bool, all: bool, scopes: Vec<Uuid>) -> Claim {
        let now = Utc::now();
        Claim {
            id: Uuid::new_v4(),
            auth_server_id: Uuid::nil(),
            name: Name::parse("c".into()).unwrap(),
            value: "v".into(),
            include_in_token,
            include_in_all_scopes: all,
            include_in_scopes: scopes,
            enabled: true,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn claims_follow_the_inclusion_table() {
        let s = scope();
        let other = scope();
        let always = claim(true, true, vec![]);
        assert!(in_token(&always, &[], true) && in_token(&always, &[], false));
        let with_scope = claim(true, false, vec![s.id]);
        assert!(in_token(&with_scope, &[&s], true));
        assert!(!in_token(&with_scope, &[&other], true));
        let when_unscoped = claim(true, false, vec![]);
        assert!(in_token(&when_unscoped, &[], false));
        assert!(!in_token(&when_unscoped, &[&s], true));
        let userinfo_only = claim(false, true, vec![]);
        assert!(!in_token(&userinfo_only, &[&s], true));
        let disabled = Claim { enabled: false, ..always };
        assert!(!in_token(&disabled, &[&s], true));
    }

    #[test]
    fn static_values_are_typed_as_json_when_they_parse() {
        assert_eq!(typed_value("claim1"), Value::String("claim1".into()));
        assert_eq!(typed_value("42"), serde_json::json!(42));
        assert_eq!(typed_value("4.5"), serde_json::json!(4.5));
        assert_eq!(typed_value("true"), serde_json::json!(true));
        assert_eq!(typed_value("{\"a\":[1]}"), serde_json::json!({"a": [1]}));
        assert_eq!(typed_value("[\"x\"]"), serde_json::json!(["x"]));
        assert_eq!(typed_value("not json {"), Value::String("not json {".into()));
        assert_eq!(typed_value("\"42\""), Value::String("42".into()));
    }

    #[test]
    fn registered_names_are_never_overwritten() {
        let mut sub = claim(true, true, vec![]);
        sub.name = Name::parse("sub".into()).unwrap();
        let (server, client) = (context::tests::sample_server(), context::tests::sample_client());
        let mut context = RenderContext::new(&server, &client, None, Utc::now());
        assert!(select(&[CompiledClaim::new(sub)], &[], false, &mut context).unwrap().is_empty());
    }

    #[test]
    fn template_claims_render_per_token_and_static_ones_do_not() {
        let (server, client) = (context::tests::sample_server(), context::tests::sample_client());
        let mut templated = claim(true, true, vec![]);
        templated.value = "${ .Client.Labels.tier }".into();
        let mut fixed = claim(true, true, vec![]);
        fixed.name = Name::parse("fixed".into()).unwrap();
        fixed.value = "${ unparseable".into();
        let claims = [CompiledClaim::new(templated), CompiledClaim::new(fixed)];
        let mut context = RenderContext::new(&server, &client, None, Utc::now());
        let selected = select(&claims, &[], false, &mut context).unwrap();
        assert_eq!(
            selected,
            vec![("c".into(), serde_json::json!(3)), ("fixed".into(), serde_json::json!("${ unparseable"))]
        );
    }

    #[test]
    fn a_failing_template_fails_the_token_naming_the_claim() {
        let (server, client) = (context::tests::sample_server(), context::tests::sample_client());
        let mut failing = claim(true, true, vec![]);
        failing.value = "${ div 1 0 }".into();
        let mut context = RenderContext::new(&server, &client, None, Utc::now());
        let error = select(&[CompiledClaim::new(failing)], &[], false, &mut context).unwrap_err();
        assert_eq!(error.claim, "c");
        assert_eq!(error.reason, "error calling div: runtime error: integer divide by zero at column 4");
    }

    #[test]
    fn saved_values_are_checked_as_templates_only_when_they_have_actions() {
        assert!(check_value("price: $5 {not a template}").is_ok());
        assert!(check_value("${ .Client.Name }").is_ok());
        let invalid = check_value("${ .Client.Nmae }").unwrap_err();
        assert_eq!(invalid.rule, "template");
        assert!(invalid.reason.starts_with("invalid template: unknown field .Client.Nmae"), "{}", invalid.reason);
    }
}
