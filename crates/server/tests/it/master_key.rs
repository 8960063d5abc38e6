//! A database moved without its master key: the server refuses to start,
//! naming the key it could not open and what to do, instead of answering
//! every request signed with a moved key with 500 `InternalError`.

use crate::common;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::*;
use physconn_server::{Running, StartOptions};
use physconn_wire::ClientCredentials;

fn key(byte: u8) -> String {
    B64.encode([byte; 32])
}

/// Starts on the test server's data directory with `master_key`.
async fn start_with_key(
    s: &TestServer,
    master_key: Option<String>,
) -> Result<Running, physconn_server::server::StartError> {
    let mut config = s.config.clone();
    config.master_key = master_key;
    let mut opts = StartOptions::new(config);
    opts.admin_token = Some(ADMIN_TOKEN.into());
    physconn_server::start(opts).await
}

async fn stop(s: &mut TestServer) {
    if let Some(r) = s.running.take() {
        r.shutdown().await;
    }
}

#[tokio::test]
async fn another_master_key_is_refused_at_start() {
    let mut s = TestServer::start_with(|c| c.master_key = Some(key(1))).await;
    let created = s.create_account("moved", "1").await;
    let (id, secret) = (
        created["AccessKeyId"].as_str().unwrap().to_string(),
        created["AccessKeySecret"].as_str().unwrap().to_string(),
    );
    stop(&mut s).await;

    // Another master key, and none at all (the embedded store then makes a
    // fresh master.key: a data directory copied without its key file).
    for other in [Some(key(2)), None] {
        let err = match start_with_key(&s, other.clone()).await {
            Ok(r) => {
                r.shutdown().await;
                panic!(
                    "started with the wrong master key ({})",
                    if other.is_some() { "another" } else { "none" }
                );
            }
            Err(e) => e.to_string(),
        };
        // It names the key it could not open (either: the manual clock gave
        // both accounts the same creation time).
        assert!(
            err.contains(&format!("access key {KEY_ID} "))
                || err.contains(&format!("access key {id} ")),
            "{err}"
        );
        assert!(err.contains("with this master key"), "{err}");
        assert!(
            err.contains(
                "; start with the master key the data was written with (PHYSCONN_MASTER_KEY, \
                 `master_key` in the config, or the old data directory's master.key)"
            ),
            "{err}"
        );
        assert!(!err.contains(KEY_SECRET) && !err.contains(&secret), "{err}");
    }

    // The right key starts, and the moved key signs.
    s.config.master_key = Some(key(1));
    s.restart().await;
    let creds = ClientCredentials {
        access_key_id: &id,
        access_key_secret: &secret,
        security_token: None,
    };
    let r = s.call_as(&creds, "DescribeRegions", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.call("DescribeRegions", &[]).await.status, 200);
    s.shutdown().await;
}

#[tokio::test]
async fn plaintext_secrets_start_with_any_master_key() {
    let mut s = TestServer::start_with(|c| c.master_key = Some(key(1))).await;
    // As written before encryption existed: every secret in plaintext.
    let state = s.r().state.clone();
    let account = s.default_account_id().await;
    let rewritten = physconn_store::write(&*state.store, move |tx| {
        let account = account.clone();
        Box::pin(async move {
            let keys = tx.list_access_keys(&account).await?;
            for k in &keys {
                let plain = physconn_domain::AccessKey {
                    secret: KEY_SECRET.into(),
                    ..k.clone()
                };
                tx.update_access_key(&plain).await?;
            }
            Ok(keys.len())
        })
    })
    .await
    .unwrap();
    assert_eq!(rewritten, 1);
    stop(&mut s).await;

    s.config.master_key = Some(key(2));
    s.restart().await;
    assert_eq!(s.call("DescribeRegions", &[]).await.status, 200);
    s.shutdown().await;
}

#[tokio::test]
async fn a_fresh_data_dir_starts_without_a_master_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = StartOptions::new(test_config(dir.path()));
    opts.admin_token = Some(ADMIN_TOKEN.into());
    let r = physconn_server::start(opts).await.expect("starts");
    assert!(
        r.notices.iter().any(|n| n.contains("AccessKeySecret=")),
        "{:?}",
        r.notices
    );
    r.shutdown().await;
    // And again, with the key file it made.
    let mut opts = StartOptions::new(test_config(dir.path()));
    opts.admin_token = Some(ADMIN_TOKEN.into());
    physconn_server::start(opts)
        .await
        .expect("starts again")
        .shutdown()
        .await;
}

/// PostgreSQL without a master key reads secrets as plaintext: sealed ones
/// imported from an embedded store are refused too.
#[tokio::test]
async fn sealed_secrets_without_a_master_key_are_refused() {
    let mut s = TestServer::start_with(|c| c.master_key = Some(key(1))).await;
    stop(&mut s).await;
    let store = physconn_store::open(None, s.dir.path()).await.unwrap();
    let plain = physconn_server::secrets::SecretBox::plaintext();
    let err = physconn_server::bootstrap::check_master_key(&store, &plain)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "access key {KEY_ID} cannot be decrypted without a master key"
        )),
        "{err}"
    );
    let right = physconn_server::secrets::SecretBox::from_base64(&key(1)).unwrap();
    let store = physconn_store::open(None, s.dir.path()).await.unwrap();
    physconn_server::bootstrap::check_master_key(&store, &right)
        .await
        .expect("the right key opens it");
    store.close().await;
}
