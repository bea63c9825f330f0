//! A client's token exchange policy (RFC 8693, a Tessera extension of the `/v1` API): whether
//! the client may exchange tokens at all, whose subject tokens it may present, for which
//! targets and scopes, and whether it may act for a subject (delegation, with an actor token)
//! or only as it (impersonation). A client without a policy cannot exchange tokens.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{ClientId, Invalid};

/// Most subject token sources, audiences and scopes one policy names.
pub const MAX_ITEMS: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangePolicy {
    pub auth_server_id: Uuid,
    pub client_id: ClientId,
    /// Whether tokens this auth server issued (access tokens; ID tokens from the client they
    /// were issued to) are accepted as subject and actor tokens.
    pub accept_own_tokens: bool,
    /// Trusted issuers (by id) whose tokens are accepted as subject and actor tokens.
    pub trusted_issuer_ids: Vec<Uuid>,
    /// Resource URIs (RFC 8707) the exchanged token may be for; empty: only the auth
    /// server's own audience.
    pub audiences: Vec<String>,
    /// Ids of the scopes the exchanged token may carry.
    pub scopes: Vec<Uuid>,
    /// Whether the exchanged token may carry scopes the subject token does not (RFC 8693 §1.1
    /// expects an exchange to narrow, so this is off unless an admin turns it on).
    pub allow_scope_widening: bool,
    /// Exchange without an actor token: the new token is the subject's, with no trace of the
    /// client acting (RFC 8693 §1.1).
    pub allow_impersonation: bool,
    /// Exchange with an actor token: the new token names the actor in `act` (RFC 8693 §4.1).
    pub allow_delegation: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ExchangePolicy {
    /// Whether tokens of `source` may be presented as subject or actor tokens.
    pub fn accepts(&self, source: TokenSource) -> bool {
        match source {
            TokenSource::Own => self.accept_own_tokens,
            TokenSource::Trusted(id) => self.trusted_issuer_ids.contains(&id),
        }
    }
}

/// Who issued a token presented for exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// This auth server.
    Own,
    /// One of its trusted issuers, by id.
    Trusted(Uuid),
}

/// Each item once, at most [`MAX_ITEMS`].
pub fn parse_list<T: PartialEq + std::fmt::Display>(items: Vec<T>) -> Result<Vec<T>, Invalid> {
    if items.len() > MAX_ITEMS {
        return Err(Invalid::max_items(MAX_ITEMS));
    }
    let mut seen: Vec<T> = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        if seen.contains(&item) {
            return Err(Invalid::new("invalid", format!("names {item} twice")).at(format!("[{i}]")));
        }
        seen.push(item);
    }
    Ok(seen)
}

/// A policy must allow at least one way to exchange, or it says nothing a missing one does not.
pub fn check_modes(allow_impersonation: bool, allow_delegation: bool) -> Result<(), Invalid> {
    if !allow_impersonation && !allow_delegation {
        return Err(Invalid::new("invalid", "must allow impersonation, delegation or both"));
    }
    Ok(())
}
