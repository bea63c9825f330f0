//! Signing keys in the database: sealed under TESSERA_ENCRYPTION_KEY, and found by the
//! scheduled rotation once they are old enough.

use tessera::store::{ConnectOptions, Store};

use crate::helpers::{Backend, TestApp, backend_tests};

async fn open(app: &TestApp) -> Store {
    Store::connect(&ConnectOptions {
        url: app.database_url.clone(),
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(5),
    })
    .unwrap()
}

async fn keys_are_due_for_scheduled_rotation_only_once_old_enough(app: TestApp) {
    let seed = app.auth_server_with_client().await;
    let store = open(&app).await;
    let now = chrono::Utc::now();
    let id: uuid::Uuid = seed.server_id.parse().unwrap();
    let due_now = tessera::store::signing_keys::due_for_rotation(&store, now, Some(now - chrono::TimeDelta::days(89)))
        .await
        .unwrap();
    assert!(!due_now.iter().any(|(server, _)| *server == id), "a fresh key is not due");
    let due_later =
        tessera::store::signing_keys::due_for_rotation(&store, now, Some(now + chrono::TimeDelta::seconds(5)))
            .await
            .unwrap();
    assert!(due_later.iter().any(|(server, _)| *server == id), "a key that began signing before the cutoff is due");
    let off = tessera::store::signing_keys::due_for_rotation(&store, now, None).await.unwrap();
    assert!(!off.iter().any(|(server, _)| *server == id), "without scheduled rotation only next keys are due");
    store.close().await;
}

backend_tests!(keys_are_due_for_scheduled_rotation_only_once_old_enough);

/// With an encryption key, private keys are stored sealed and tokens still sign.
#[tokio::test]
async fn private_keys_are_encrypted_at_rest_with_the_configured_key() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.encryption_key = Some("ab".repeat(32))).await;
    let seed = app.auth_server_with_client().await;
    let token = app.access_token(&seed).await;
    assert_eq!(app.introspect(&seed, &token).await.body["active"], true);
    let store = open(&app).await;
    let keys = tessera::store::signing_keys::published(&store, seed.server_id.parse().unwrap(), chrono::Utc::now(), 60)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].sealed_private_key.starts_with("aes256gcm:"), "{}", &keys[0].sealed_private_key[..20]);
    store.close().await;
}
