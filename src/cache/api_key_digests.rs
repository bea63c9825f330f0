//! The digest keys of API keys (`domain::api_key::LookupKeys`), loaded once per node: derived
//! from TESSERA_ENCRYPTION_KEY when set (and from each TESSERA_ENCRYPTION_KEY_PREVIOUS, which
//! still find the keys they digested), otherwise generated once per deployment and kept in the
//! database so every node shares it. A generated key that an encryption key replaced still
//! finds the API keys made under it. Loaded on first use, so a node starts while its database
//! is down.

use chrono::Utc;
use tokio::sync::OnceCell;

use crate::domain::api_key::{DigestKey, LookupKeys};
use crate::store::{self, Store};

/// The deployment secret that holds the generated digest key (hex), used while no encryption
/// key is set. Stored in clear: it then protects nothing against a copy of the database.
pub const GENERATED_DIGEST_KEY: &str = "api_key_digest_key";

pub struct ApiKeyDigests {
    store: Store,
    /// Derived from the current encryption key, then from the previous ones.
    derived: Vec<DigestKey>,
    keys: OnceCell<LookupKeys>,
}

impl ApiKeyDigests {
    pub fn new(store: Store, current: Option<[u8; 32]>, previous: &[[u8; 32]]) -> ApiKeyDigests {
        let derived = current.iter().chain(previous).map(DigestKey::derive).collect();
        ApiKeyDigests { store, derived, keys: OnceCell::new() }
    }

    pub async fn keys(&self) -> Result<&LookupKeys, store::Error> {
        self.keys
            .get_or_try_init(|| async {
                let Some((current, previous)) = self.derived.split_first() else {
                    let generated = self.generated().await?;
                    return Ok(LookupKeys { current: generated, older: Vec::new() });
                };
                let mut older = previous.to_vec();
                if let Some((stored, _)) =
                    store::grants::find_deployment_secret(&self.store, GENERATED_DIGEST_KEY).await?
                {
                    older.push(DigestKey::new(&parse(&stored)?));
                }
                Ok(LookupKeys { current: current.clone(), older })
            })
            .await
    }

    /// The key generated for a deployment without an encryption key, by whichever node asks first.
    async fn generated(&self) -> Result<DigestKey, store::Error> {
        let fresh = || {
            let mut bytes = [0u8; 32];
            rand::fill(&mut bytes);
            hex::encode(bytes)
        };
        let stored = store::grants::deployment_secret(&self.store, GENERATED_DIGEST_KEY, fresh, Utc::now()).await?;
        Ok(DigestKey::new(&parse(&stored)?))
    }
}

fn parse(stored: &str) -> Result<[u8; 32], store::Error> {
    let bytes =
        hex::decode(stored).map_err(|e| store::Error::Corrupt(format!("api key digest key is not hex: {e}")))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| store::Error::Corrupt("api key digest key is not 32 bytes".to_owned()))
}
