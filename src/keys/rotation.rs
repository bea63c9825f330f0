//! New signing keys: generated off the async runtime, sealed for storage, and scheduled
//! rotation of keys past their age.

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::domain::SigningAlgorithm;
use crate::store::signing_keys::StoredKey;
use crate::store::{self, Store};
use crate::telemetry::spawn_blocking_with_tracing;

use super::{Sealer, generate};

/// Generates (off the async runtime: RSA takes tens of milliseconds) and seals a key for an
/// auth server, ready to store.
pub async fn new_key(
    sealer: &Sealer,
    auth_server_id: Uuid,
    algorithm: SigningAlgorithm,
    now: DateTime<Utc>,
) -> Result<StoredKey, String> {
    let generated = spawn_blocking_with_tracing(move || generate(algorithm))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let sealed = sealer.seal(&generated.kid, &generated.private_der).map_err(|e| e.to_string())?;
    Ok(StoredKey {
        kid: generated.kid,
        auth_server_id,
        algorithm,
        sealed_private_key: sealed,
        public_jwk: generated.public_jwk,
        created_at: now,
        retired_at: None,
    })
}

/// Gives every auth server whose active key is older than `days` a new one; answers the auth
/// servers whose key changed, for the caller to invalidate.
pub async fn rotate_due(store: &Store, sealer: &Sealer, days: u32, now: DateTime<Utc>) -> Vec<Uuid> {
    let due = match store::signing_keys::due_for_rotation(store, now - TimeDelta::days(i64::from(days))).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "cannot look for keys to rotate");
            return Vec::new();
        }
    };
    let mut rotated = Vec::new();
    for (auth_server_id, algorithm) in due {
        match new_key(sealer, auth_server_id, algorithm, now).await {
            Ok(key) => match store::signing_keys::rotate(store, &key).await {
                Ok(()) => {
                    tracing::info!(%auth_server_id, kid = %key.kid, "rotated signing key");
                    rotated.push(auth_server_id);
                }
                Err(e) => tracing::warn!(error = %e, %auth_server_id, "cannot rotate signing key"),
            },
            Err(e) => tracing::error!(error = %e, %auth_server_id, "cannot generate signing key"),
        }
    }
    rotated
}
