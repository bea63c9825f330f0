//! The key that seals interactive-flow state (`oauth::flow`), loaded once per node: derived
//! from TESSERA_ENCRYPTION_KEY when set, otherwise generated once per deployment and kept in
//! the database so every node shares it. Loaded on first use, so a node starts (and answers
//! 503) while its database is down.
//!
//! Rotation: the flow keys derived from TESSERA_ENCRYPTION_KEY_PREVIOUS still open what they
//! sealed, and so does the generated key for an hour after an encryption key was first set
//! (see `keys::at_rest`), so no sign-in in progress breaks when the keys change.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use tokio::sync::OnceCell;

use crate::keys::Sealer;
use crate::keys::at_rest::{FLOW_KEY, RETIRED_FLOW_KEY, RETIRED_FLOW_KEY_SECONDS, secret_aad};
use crate::oauth::flow::{self, FlowSealer};
use crate::store::{self, Store};

pub struct FlowKeys {
    store: Store,
    /// Opens the retired generated key.
    keys: Arc<Sealer>,
    /// Derived from the current encryption key, then from the previous ones.
    derived: Vec<[u8; 32]>,
    sealer: OnceCell<FlowSealer>,
}

impl FlowKeys {
    pub fn new(store: Store, keys: Arc<Sealer>, current: Option<[u8; 32]>, previous: &[[u8; 32]]) -> FlowKeys {
        let derived = current.iter().chain(previous).map(Self::derive).collect();
        FlowKeys { store, keys, derived, sealer: OnceCell::new() }
    }

    /// The flow key for a configured encryption key: HMAC-SHA256 of a fixed label, so the
    /// encryption key itself never seals anything but keys.
    pub fn derive(master: &[u8; 32]) -> [u8; 32] {
        let mac_key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, master);
        let mut key = [0u8; 32];
        key.copy_from_slice(&aws_lc_rs::hmac::sign(&mac_key, b"tessera flow state v1").as_ref()[..32]);
        key
    }

    pub async fn sealer(&self) -> Result<&FlowSealer, store::Error> {
        self.sealer
            .get_or_try_init(|| async {
                let corrupt = |e: flow::FlowError| store::Error::Corrupt(e.to_string());
                let Some((current, previous)) = self.derived.split_first() else {
                    return FlowSealer::new(&self.generated().await?).map_err(corrupt);
                };
                let mut sealer = FlowSealer::new(current).map_err(corrupt)?;
                for key in previous {
                    sealer = sealer.also_opening(key, None);
                }
                if let Some((key, until)) = self.retired().await? {
                    sealer = sealer.also_opening(&key, Some(until));
                }
                Ok(sealer)
            })
            .await
    }

    /// The key generated for a deployment without an encryption key, stored in clear.
    async fn generated(&self) -> Result<[u8; 32], store::Error> {
        let generated = flow::generate_key().map_err(|e| store::Error::Corrupt(e.to_string()))?;
        let stored =
            store::grants::deployment_secret(&self.store, FLOW_KEY, || hex::encode(generated), Utc::now()).await?;
        let bytes = hex::decode(stored).map_err(|e| store::Error::Corrupt(format!("flow key is not hex: {e}")))?;
        <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| store::Error::Corrupt("flow key is not 32 bytes".to_owned()))
    }

    /// The generated key an encryption key replaced, while it may still open what it sealed.
    async fn retired(&self) -> Result<Option<([u8; 32], chrono::DateTime<Utc>)>, store::Error> {
        let Some((sealed, retired_at)) = store::grants::find_deployment_secret(&self.store, RETIRED_FLOW_KEY).await?
        else {
            return Ok(None);
        };
        let until = retired_at + TimeDelta::seconds(RETIRED_FLOW_KEY_SECONDS);
        if until < Utc::now() {
            return Ok(None);
        }
        match self.keys.open(&secret_aad(RETIRED_FLOW_KEY), &sealed).map(<[u8; 32]>::try_from) {
            Ok(Ok(key)) => Ok(Some((key, until))),
            Ok(Err(_)) | Err(_) => {
                tracing::warn!("the retired flow key cannot be opened; sign-ins begun before it retired will fail");
                Ok(None)
            }
        }
    }
}
