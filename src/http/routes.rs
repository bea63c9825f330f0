//! Every path we serve is spelled here, and routers are built through [`Routes`], which
//! records each (method, path) so tests can compare the routes with `openapi.yaml`.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter};
use url::Url;

use crate::domain::IssuerSlug;

pub const AUTH_SERVERS: &str = "/v1/auth-servers";
pub const AUTH_SERVER: &str = "/v1/auth-servers/{authServerId}";
pub const SCOPES: &str = "/v1/auth-servers/{authServerId}/scopes";
pub const SCOPE: &str = "/v1/auth-servers/{authServerId}/scopes/{scopeId}";
pub const TRUSTED_ISSUERS: &str = "/v1/auth-servers/{authServerId}/trusted-issuers";
pub const TRUSTED_ISSUER: &str = "/v1/auth-servers/{authServerId}/trusted-issuers/{trustedIssuerId}";
pub const RESOURCES: &str = "/v1/auth-servers/{authServerId}/resources";
pub const RESOURCE: &str = "/v1/auth-servers/{authServerId}/resources/{resourceId}";
pub const CLAIMS: &str = "/v1/auth-servers/{authServerId}/claims";
pub const CLAIM: &str = "/v1/auth-servers/{authServerId}/claims/{claimId}";
pub const CLIENTS: &str = "/v1/auth-servers/{authServerId}/clients";
pub const CLIENT: &str = "/v1/auth-servers/{authServerId}/clients/{clientId}";
pub const TOKEN_EXCHANGE_POLICY: &str = "/v1/auth-servers/{authServerId}/clients/{clientId}/token-exchange-policy";
pub const CLIENT_SECRETS: &str = "/v1/auth-servers/{authServerId}/clients/{clientId}/secrets";
pub const CLIENT_SECRET: &str = "/v1/auth-servers/{authServerId}/clients/{clientId}/secrets/{clientSecretId}";
pub const SIGNING_KEYS: &str = "/v1/auth-servers/{authServerId}/keys";
pub const ROTATE_SIGNING_KEY: &str = "/v1/auth-servers/{authServerId}/keys/rotate";
pub const LOGIN_REQUEST: &str = "/v1/auth-servers/{authServerId}/login-requests/{loginChallenge}";
pub const LOGIN_REQUEST_ACCEPT: &str = "/v1/auth-servers/{authServerId}/login-requests/{loginChallenge}/accept";
pub const LOGIN_REQUEST_REJECT: &str = "/v1/auth-servers/{authServerId}/login-requests/{loginChallenge}/reject";
pub const CLIENT_REGISTRATION: &str = "/v1/auth-servers/{authServerId}/client-registration";
pub const INITIAL_ACCESS_TOKENS: &str = "/v1/auth-servers/{authServerId}/client-registration/initial-access-tokens";
pub const INITIAL_ACCESS_TOKEN: &str =
    "/v1/auth-servers/{authServerId}/client-registration/initial-access-tokens/{initialAccessTokenId}";
pub const REGISTRATION_ACCESS_TOKEN: &str =
    "/v1/auth-servers/{authServerId}/clients/{clientId}/registration-access-token";
pub const TEST_CLAIM: &str = "/v1/auth-servers/{authServerId}/clients/{clientId}/test-claim";
pub const CLIENT_TOKENS: &str = "/v1/auth-servers/{authServerId}/clients/{clientId}/tokens";
pub const CLIENT_TOKEN: &str = "/v1/auth-servers/{authServerId}/clients/{clientId}/tokens/{tokenId}";
pub const ADMIN_CREDENTIALS: &str = "/v1/admin-credentials";
pub const ADMIN_CREDENTIAL: &str = "/v1/admin-credentials/{adminCredentialId}";
pub const ADMIN_CREDENTIAL_ROTATE: &str = "/v1/admin-credentials/{adminCredentialId}/rotate";
pub const AUDIT_EVENTS: &str = "/v1/audit-events";
pub const DIRECTORIES: &str = "/v2/directories";
pub const DIRECTORY: &str = "/v2/directories/{directoryId}";
pub const DIRECTORY_REALM_CONFIG: &str = "/v2/directories/{directoryId}/realm-config";
pub const PRINCIPALS: &str = "/v2/directories/{directoryId}/principals";
pub const PRINCIPAL: &str = "/v2/directories/{directoryId}/principals/{principalId}";
pub const PRINCIPAL_API_KEYS: &str = "/v2/directories/{directoryId}/principals/{principalId}/api-keys";
pub const PRINCIPAL_API_KEY: &str = "/v2/directories/{directoryId}/principals/{principalId}/api-keys/{apiKeyId}";
pub const IDENTITIES: &str = "/v2/directories/{directoryId}/principals/{principalId}/identities";
pub const IDENTITY: &str = "/v2/directories/{directoryId}/principals/{principalId}/identities/{identityId}";
pub const BASIC_AUTHS: &str = "/v2/directories/{directoryId}/principals/{principalId}/basic-auths";
pub const BASIC_AUTH: &str = "/v2/directories/{directoryId}/principals/{principalId}/basic-auths/{basicAuthId}";
pub const BASIC_AUTH_PASSWORDS: &str =
    "/v2/directories/{directoryId}/principals/{principalId}/basic-auths/{basicAuthId}/passwords";
pub const BASIC_AUTH_PASSWORD: &str =
    "/v2/directories/{directoryId}/principals/{principalId}/basic-auths/{basicAuthId}/passwords/{passwordId}";
pub const DIRECTORY_AUTHENTICATE: &str = "/v2/directories/{directoryId}/authenticate";
pub const DIRECTORY_RESOLVE: &str = "/v2/directories/{directoryId}/resolve";
pub const CONSOLE: &str = "/console";
pub const CONSOLE_HOME: &str = "/console/";
pub const CONSOLE_ASSET: &str = "/console/assets/{*path}";
pub const CONSOLE_SESSION: &str = "/console/session";
pub const CONSOLE_ACTIVITY: &str = "/console/api/auth-servers/{authServerId}/activity";
pub const OPENAPI_V2: &str = "/openapi-v2.yaml";
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
pub const OPENAPI: &str = "/openapi.yaml";
pub const METRICS: &str = "/metrics";

/// Endpoints below an issuer, relative to it.
pub const METADATA_SUFFIX: &str = "/.well-known/openid-configuration";
pub const OAUTH_METADATA_SUFFIX: &str = "/.well-known/oauth-authorization-server";
pub const JWKS_SUFFIX: &str = "/.well-known/jwks";
pub const TOKEN_SUFFIX: &str = "/oauth/token";
pub const INTROSPECT_SUFFIX: &str = "/introspect";
pub const REVOKE_SUFFIX: &str = "/oauth/revoke";
pub const AUTHORIZE_SUFFIX: &str = "/oauth/authorize";
pub const USERINFO_SUFFIX: &str = "/userinfo";
pub const REGISTER_SUFFIX: &str = "/oauth/register";

/// Each issuer endpoint as routed: path-based below `/{issuerSlug}/auth`, and host-based
/// below `/auth` (the slug then comes from the Host header).
macro_rules! issuer_paths {
    ($suffix:literal) => {
        [concat!("/{issuerSlug}/auth", $suffix), concat!("/auth", $suffix)]
    };
}
pub const METADATA_PATHS: [&str; 2] = issuer_paths!("/.well-known/openid-configuration");
pub const OAUTH_METADATA_PATHS: [&str; 2] = issuer_paths!("/.well-known/oauth-authorization-server");
pub const JWKS_PATHS: [&str; 2] = issuer_paths!("/.well-known/jwks");
pub const TOKEN_PATHS: [&str; 2] = issuer_paths!("/oauth/token");
pub const INTROSPECT_PATHS: [&str; 2] = issuer_paths!("/introspect");
pub const REVOKE_PATHS: [&str; 2] = issuer_paths!("/oauth/revoke");
pub const AUTHORIZE_PATHS: [&str; 2] = issuer_paths!("/oauth/authorize");
pub const USERINFO_PATHS: [&str; 2] = issuer_paths!("/userinfo");
pub const REGISTER_PATHS: [&str; 2] = issuer_paths!("/oauth/register");
/// RFC 7592 §1.3: each registered client's configuration endpoint (`registration_client_uri`).
pub const REGISTERED_CLIENT_PATHS: [&str; 2] = issuer_paths!("/oauth/register/{clientId}");

/// A router under construction that remembers what it routes.
pub struct Routes<S> {
    table: Vec<(Method, &'static str)>,
    methods: Vec<(&'static str, MethodRouter<S>)>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Routes { table: Vec::new(), methods: Vec::new() }
    }
}

macro_rules! verb {
    ($name:ident, $method:ident) => {
        pub fn $name<H: Handler<T, S>, T: 'static>(self, path: &'static str, handler: H) -> Self {
            self.on(Method::$method, MethodFilter::$method, path, handler)
        }
    };
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    verb!(get, GET);
    verb!(post, POST);
    verb!(put, PUT);
    verb!(patch, PATCH);
    verb!(delete, DELETE);
    verb!(options, OPTIONS);

    fn on<H: Handler<T, S>, T: 'static>(
        mut self,
        method: Method,
        filter: MethodFilter,
        path: &'static str,
        handler: H,
    ) -> Self {
        self.table.push((method, path));
        match self.methods.iter_mut().find(|(p, _)| *p == path) {
            Some((_, router)) => {
                let existing = std::mem::take(router);
                *router = existing.on(filter, handler);
            }
            None => self.methods.push((path, MethodRouter::new().on(filter, handler))),
        }
        self
    }

    pub fn merge(mut self, other: Routes<S>) -> Self {
        self.table.extend(other.table);
        self.methods.extend(other.methods);
        self
    }

    /// (method, path template) of every route, e.g. `("GET", "/v1/auth-servers/{authServerId}")`.
    pub fn table(&self) -> Vec<(String, String)> {
        self.table.iter().map(|(m, p)| (m.to_string(), (*p).to_owned())).collect()
    }

    pub fn into_router(self) -> Router<S> {
        self.methods.into_iter().fold(Router::new(), |router, (path, methods)| router.route(path, methods))
    }
}

/// Builds issuer URLs from the public URL, or from a wildcard domain for host-based issuers.
#[derive(Clone, Debug)]
pub struct Urls {
    public_url: Url,
    issuer_domain: Option<String>,
}

impl Urls {
    pub fn new(public_url: Url, issuer_domain: Option<String>) -> Urls {
        Urls { public_url, issuer_domain }
    }

    /// Whether the server is reached over https (its cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The slug of a host-based issuer from a Host header, when issuers are host-based.
    pub fn slug_from_host(&self, host: &str) -> Option<IssuerSlug> {
        let domain = self.issuer_domain.as_deref()?;
        let host =
            host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
        let label = host.strip_suffix(domain)?.strip_suffix('.')?;
        IssuerSlug::parse(label)
    }

    /// `<public url>/<slug>/auth`, or `<scheme>://<slug>.<domain>[:port]/auth` with a domain.
    pub fn issuer(&self, slug: &IssuerSlug) -> String {
        match &self.issuer_domain {
            Some(domain) => {
                let port = self.public_url.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!("{}://{}.{domain}{port}/auth", self.public_url.scheme(), slug.as_str())
            }
            None => format!("{}/{}/auth", self.public_url.as_str().trim_end_matches('/'), slug.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug() -> IssuerSlug {
        IssuerSlug::parse("dhafxmmgz56rlw6b").unwrap_or_else(IssuerSlug::generate)
    }

    #[test]
    fn path_based_issuers_hang_below_the_public_url() {
        let urls = Urls::new(Url::parse("https://id.example.com/base/").unwrap_or_else(|_| unreachable!()), None);
        assert_eq!(urls.issuer(&slug()), "https://id.example.com/base/dhafxmmgz56rlw6b/auth");
    }

    #[test]
    fn host_based_issuers_put_the_slug_in_the_host() {
        let public = Url::parse("http://127.0.0.1:8080").unwrap_or_else(|_| unreachable!());
        let urls = Urls::new(public, Some("identity.example.com".to_owned()));
        assert_eq!(urls.issuer(&slug()), "http://dhafxmmgz56rlw6b.identity.example.com:8080/auth");
        assert_eq!(urls.slug_from_host("dhafxmmgz56rlw6b.identity.example.com:8080"), Some(slug()));
        assert_eq!(urls.slug_from_host("dhafxmmgz56rlw6b.identity.example.com"), Some(slug()));
        assert_eq!(urls.slug_from_host("dhafxmmgz56rlw6b.evil.com"), None);
        assert_eq!(urls.slug_from_host("identity.example.com"), None);
    }
}
