//! The route table of /v1: the permission each route needs, in one place. The authenticating
//! middleware looks the matched route up here; a route missing from the table is refused to
//! everyone but an admin, and a unit test keeps the table and the router in step.

use crate::domain::admin::Permission::{self, *};
use crate::http::routes::*;

/// (method, path template, permission) for every /v1 route.
pub const TABLE: &[(&str, &str, Permission)] = &[
    ("GET", AUTH_SERVERS, ListAuthServers),
    ("POST", AUTH_SERVERS, CreateAuthServer),
    ("GET", AUTH_SERVER, ReadAuthServer),
    ("PATCH", AUTH_SERVER, WriteAuthServer),
    ("DELETE", AUTH_SERVER, WriteAuthServer),
    ("GET", SCOPES, ReadAuthServer),
    ("POST", SCOPES, WriteAuthServer),
    ("GET", SCOPE, ReadAuthServer),
    ("PATCH", SCOPE, WriteAuthServer),
    ("DELETE", SCOPE, WriteAuthServer),
    ("GET", TRUSTED_ISSUERS, ReadAuthServer),
    ("POST", TRUSTED_ISSUERS, WriteAuthServer),
    ("GET", TRUSTED_ISSUER, ReadAuthServer),
    ("PATCH", TRUSTED_ISSUER, WriteAuthServer),
    ("DELETE", TRUSTED_ISSUER, WriteAuthServer),
    ("GET", RESOURCES, ReadAuthServer),
    ("POST", RESOURCES, WriteAuthServer),
    ("GET", RESOURCE, ReadAuthServer),
    ("PATCH", RESOURCE, WriteAuthServer),
    ("DELETE", RESOURCE, WriteAuthServer),
    ("GET", CLAIMS, ReadAuthServer),
    ("POST", CLAIMS, WriteAuthServer),
    ("GET", CLAIM, ReadAuthServer),
    ("PATCH", CLAIM, WriteAuthServer),
    ("DELETE", CLAIM, WriteAuthServer),
    ("GET", CLIENTS, ReadAuthServer),
    ("POST", CLIENTS, WriteAuthServer),
    ("GET", CLIENT, ReadAuthServer),
    ("PUT", CLIENT, WriteAuthServer),
    ("PATCH", CLIENT, WriteAuthServer),
    ("DELETE", CLIENT, WriteAuthServer),
    ("GET", TOKEN_EXCHANGE_POLICY, ReadAuthServer),
    ("PUT", TOKEN_EXCHANGE_POLICY, WriteAuthServer),
    ("DELETE", TOKEN_EXCHANGE_POLICY, WriteAuthServer),
    ("GET", CLIENT_SECRETS, ReadAuthServer),
    ("POST", CLIENT_SECRETS, WriteAuthServer),
    ("GET", CLIENT_SECRET, ReadAuthServer),
    ("PATCH", CLIENT_SECRET, WriteAuthServer),
    ("DELETE", CLIENT_SECRET, WriteAuthServer),
    // Renders a template for a client and changes nothing: a read, though it is a POST.
    ("POST", TEST_CLAIM, ReadAuthServer),
    ("GET", CLIENT_TOKENS, ReadAuthServer),
    ("DELETE", CLIENT_TOKENS, WriteAuthServer),
    ("GET", CLIENT_TOKEN, ReadAuthServer),
    ("DELETE", CLIENT_TOKEN, WriteAuthServer),
    ("GET", SIGNING_KEYS, ReadAuthServer),
    ("POST", ROTATE_SIGNING_KEY, WriteAuthServer),
    // The console's dashboard: this node's token counts for the auth server.
    ("GET", CONSOLE_ACTIVITY, ReadAuthServer),
    ("GET", LOGIN_REQUEST, ReadLoginRequest),
    ("POST", LOGIN_REQUEST_ACCEPT, AnswerLoginRequest),
    ("POST", LOGIN_REQUEST_REJECT, AnswerLoginRequest),
    ("GET", CLIENT_REGISTRATION, ReadRegistration),
    ("PUT", CLIENT_REGISTRATION, WriteRegistration),
    ("PATCH", CLIENT_REGISTRATION, WriteRegistration),
    ("GET", INITIAL_ACCESS_TOKENS, ReadRegistration),
    ("POST", INITIAL_ACCESS_TOKENS, WriteRegistration),
    ("GET", INITIAL_ACCESS_TOKEN, ReadRegistration),
    ("DELETE", INITIAL_ACCESS_TOKEN, WriteRegistration),
    // A new registration access token manages its client through RFC 7592 (its secret, its
    // redirect URIs): a write of the client, not of the registration policy.
    ("POST", REGISTRATION_ACCESS_TOKEN, WriteAuthServer),
    ("GET", ADMIN_CREDENTIALS, ManageCredentials),
    ("POST", ADMIN_CREDENTIALS, ManageCredentials),
    ("GET", ADMIN_CREDENTIAL, ManageCredentials),
    ("PATCH", ADMIN_CREDENTIAL, ManageCredentials),
    ("DELETE", ADMIN_CREDENTIAL, ManageCredentials),
    ("POST", ADMIN_CREDENTIAL_ROTATE, ManageCredentials),
    ("GET", AUDIT_EVENTS, ReadAudit),
    ("POST", DIRECTORIES, WriteDirectories),
    ("GET", DIRECTORIES, ReadDirectories),
    ("GET", DIRECTORY, ReadDirectories),
    ("PUT", DIRECTORY, WriteDirectories),
    ("PATCH", DIRECTORY, WriteDirectories),
    ("DELETE", DIRECTORY, WriteDirectories),
    ("GET", DIRECTORY_REALM_CONFIG, ReadDirectories),
    ("PUT", DIRECTORY_REALM_CONFIG, WriteDirectories),
    ("POST", DIRECTORY_AUTHENTICATE, LookupPrincipals),
    ("GET", DIRECTORY_AUTHENTICATE, LookupPrincipals),
    ("POST", DIRECTORY_RESOLVE, LookupPrincipals),
    ("POST", PRINCIPALS, WriteDirectories),
    ("GET", PRINCIPALS, ReadDirectories),
    ("GET", PRINCIPAL, ReadDirectories),
    ("PUT", PRINCIPAL, WriteDirectories),
    ("PATCH", PRINCIPAL, WriteDirectories),
    ("DELETE", PRINCIPAL, WriteDirectories),
    ("POST", PRINCIPAL_API_KEYS, WriteDirectories),
    ("GET", PRINCIPAL_API_KEYS, ReadDirectories),
    ("GET", PRINCIPAL_API_KEY, ReadDirectories),
    ("PATCH", PRINCIPAL_API_KEY, WriteDirectories),
    ("DELETE", PRINCIPAL_API_KEY, WriteDirectories),
    ("POST", IDENTITIES, WriteDirectories),
    ("GET", IDENTITIES, ReadDirectories),
    ("GET", IDENTITY, ReadDirectories),
    ("PUT", IDENTITY, WriteDirectories),
    ("PATCH", IDENTITY, WriteDirectories),
    ("DELETE", IDENTITY, WriteDirectories),
    ("POST", BASIC_AUTHS, WriteDirectories),
    ("GET", BASIC_AUTHS, ReadDirectories),
    ("GET", BASIC_AUTH, ReadDirectories),
    ("PUT", BASIC_AUTH, WriteDirectories),
    ("PATCH", BASIC_AUTH, WriteDirectories),
    ("DELETE", BASIC_AUTH, WriteDirectories),
    ("POST", BASIC_AUTH_PASSWORDS, WriteDirectories),
    ("GET", BASIC_AUTH_PASSWORDS, ReadDirectories),
    ("DELETE", BASIC_AUTH_PASSWORDS, WriteDirectories),
    ("GET", BASIC_AUTH_PASSWORD, ReadDirectories),
    ("PUT", BASIC_AUTH_PASSWORD, WriteDirectories),
    ("PATCH", BASIC_AUTH_PASSWORD, WriteDirectories),
    ("DELETE", BASIC_AUTH_PASSWORD, WriteDirectories),
];

/// The permission a route needs; `None` for a route left out of the table (admins only).
pub fn required(method: &str, path: &str) -> Option<Permission> {
    TABLE.iter().find(|(m, p, _)| *m == method && *p == path).map(|(_, _, permission)| *permission)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_v1_route_declares_exactly_one_permission() {
        let routes = super::super::routes().table();
        for (method, path) in &routes {
            let entries = TABLE.iter().filter(|(m, p, _)| m == method && p == path).count();
            assert_eq!(entries, 1, "{method} {path} must appear once in the route table");
        }
        for (method, path, _) in TABLE {
            assert!(
                routes.iter().any(|(m, p)| m == method && p == path),
                "{method} {path} is in the route table but not routed"
            );
        }
    }
}
