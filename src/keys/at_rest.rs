//! Keys at rest: what is stored in clear gets sealed once an encryption key is set (at every
//! start), and everything gets resealed under the current key after a rotation (`tessera
//! reseal`). Each pass is one transaction, and each row changes only if it still holds what
//! was read, so nodes starting together neither clash nor seal twice.

use chrono::{DateTime, Utc};

use crate::store::{self, Store};

use super::{KeyError, Sealer};

/// The deployment secret that holds the generated flow key while no encryption key is set.
pub const FLOW_KEY: &str = "flow_key";
/// Where that key goes, sealed, once an encryption key is set: the flow key is then derived
/// from the encryption key, and this one only opens what it sealed, for [`RETIRED_FLOW_KEY_SECONDS`].
pub const RETIRED_FLOW_KEY: &str = "flow_key_retired";
/// Longer than any flow artefact lives, with room for a rolling restart.
pub const RETIRED_FLOW_KEY_SECONDS: i64 = 3600;

/// What a deployment secret is bound to when sealed (the AAD), as a signing key is to its kid.
pub fn secret_aad(name: &str) -> String {
    format!("deployment_secrets:{name}")
}

/// Which stored keys a pass seals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Only those stored in clear: what every start does once an encryption key is set.
    Clear,
    /// Every one not sealed under the current key yet: `tessera reseal`.
    All,
}

/// What a pass changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sealed {
    /// Signing keys sealed under the current key by this pass.
    pub signing_keys: u64,
    /// Signing keys that were sealed under it already.
    pub unchanged: u64,
    /// Whether the stored flow key was sealed (or resealed).
    pub flow_key: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AtRestError {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("key {kid}: {source}")]
    Key { kid: String, source: KeyError },
}

/// Seals what `pass` covers under the sealer's current key, in one transaction. Without a
/// current key there is nothing to seal under, and nothing changes.
pub async fn seal_stored(
    store: &Store,
    sealer: &Sealer,
    pass: Pass,
    now: DateTime<Utc>,
) -> Result<Sealed, AtRestError> {
    let mut sealed = Sealed::default();
    if !sealer.encrypts() {
        return Ok(sealed);
    }
    let mut tx = store.begin().await?;
    for (kid, stored) in store::signing_keys::sealed_in(&mut tx, pass == Pass::Clear).await? {
        match sealer.reseal(&kid, &stored).map_err(|source| AtRestError::Key { kid: kid.clone(), source })? {
            Some(new) if store::signing_keys::reseal_in(&mut tx, &kid, &stored, &new).await? => {
                sealed.signing_keys += 1
            }
            Some(_) => {}
            None => sealed.unchanged += 1,
        }
    }
    let flow_key = |source| AtRestError::Key { kid: FLOW_KEY.to_owned(), source };
    if let Some((clear, _)) = store::grants::deployment_secret_in(&mut tx, FLOW_KEY).await? {
        let bytes = hex::decode(&clear).map_err(|e| flow_key(KeyError::Stored(e.to_string())))?;
        let new = sealer.seal(&secret_aad(RETIRED_FLOW_KEY), &bytes).map_err(flow_key)?;
        sealed.flow_key =
            store::grants::retire_deployment_secret_in(&mut tx, (FLOW_KEY, &clear), (RETIRED_FLOW_KEY, &new), now)
                .await?;
    }
    if pass == Pass::All {
        if let Some((stored, retired_at)) = store::grants::deployment_secret_in(&mut tx, RETIRED_FLOW_KEY).await? {
            if (now - retired_at).num_seconds() > RETIRED_FLOW_KEY_SECONDS {
                // Past its time it opens nothing: it goes rather than be resealed.
                store::grants::replace_deployment_secret_in(&mut tx, RETIRED_FLOW_KEY, &stored, None).await?;
            } else if let Some(new) = sealer.reseal(&secret_aad(RETIRED_FLOW_KEY), &stored).map_err(flow_key)? {
                sealed.flow_key |=
                    store::grants::replace_deployment_secret_in(&mut tx, RETIRED_FLOW_KEY, &stored, Some(&new)).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(sealed)
}
