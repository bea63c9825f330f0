//! The key that seals interactive-flow state (`oauth::flow`), loaded once per node: derived
//! from TESSERA_ENCRYPTION_KEY when set, otherwise generated once per deployment and kept in
//! the database so every node shares it. Loaded on first use, so a node starts (and answers
//! 503) while its database is down.

use tokio::sync::OnceCell;

use crate::oauth::flow::{self, FlowSealer};
use crate::store::{self, Store};

pub struct FlowKeys {
    store: Store,
    sealer: OnceCell<FlowSealer>,
}

impl FlowKeys {
    pub fn new(store: Store, encryption_key: Option<[u8; 32]>) -> Result<FlowKeys, String> {
        let sealer = OnceCell::new();
        if let Some(master) = encryption_key {
            let key = Self::derive(&master);
            sealer.set(FlowSealer::new(&key).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        }
        Ok(FlowKeys { store, sealer })
    }

    /// The flow key for a configured encryption key: HMAC-SHA256 of a fixed label, so the
    /// encryption key itself never seals anything but signing keys.
    pub fn derive(master: &[u8; 32]) -> [u8; 32] {
        let mac_key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, master);
        let mut key = [0u8; 32];
        key.copy_from_slice(&aws_lc_rs::hmac::sign(&mac_key, b"tessera flow state v1").as_ref()[..32]);
        key
    }

    pub async fn sealer(&self) -> Result<&FlowSealer, store::Error> {
        self.sealer
            .get_or_try_init(|| async {
                let generated = flow::generate_key().map_err(|e| store::Error::Corrupt(e.to_string()))?;
                let stored = store::grants::deployment_secret(
                    &self.store,
                    "flow_key",
                    || hex::encode(generated),
                    chrono::Utc::now(),
                )
                .await?;
                let bytes =
                    hex::decode(stored).map_err(|e| store::Error::Corrupt(format!("flow key is not hex: {e}")))?;
                let key = <[u8; 32]>::try_from(bytes.as_slice())
                    .map_err(|_| store::Error::Corrupt("flow key is not 32 bytes".to_owned()))?;
                FlowSealer::new(&key).map_err(|e| store::Error::Corrupt(e.to_string()))
            })
            .await
    }
}
