use super::*;
use time::Duration;

const T0: OffsetDateTime = time::macros::datetime!(2026-12-01 0:00 UTC);

async fn store(dir: &tempfile::TempDir) -> DynStore {
    let path = dir.path().join("n.db");
    std::sync::Arc::new(
        physconn_store::SqliteStore::open(physconn_store::SqliteOptions::new(path))
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn once_per_window() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let c = NonceCache::local(900, 100, s.clone(), T0).await.unwrap();
    assert!(!c.seen("k", "n", T0, T0));
    assert_eq!(c.claim("k", "n", T0, T0).await.unwrap(), Claim::Fresh);
    assert!(c.seen("k", "n", T0, T0));
    let later = T0 + Duration::minutes(15);
    assert_eq!(c.claim("k", "n", T0, later).await.unwrap(), Claim::Used);
    // Past its timestamp's window the pair is free again (the time check
    // refuses such a request before it gets here).
    let gone = T0 + Duration::minutes(16);
    assert!(!c.seen("k", "n", T0, gone));
    assert_eq!(c.claim("other", "n", T0, T0).await.unwrap(), Claim::Fresh);
    s.close().await;
}

/// A restart (a new cache on the same store) refuses everything signed at or
/// before the last accepted second, and pairs stored beyond it.
#[tokio::test]
async fn the_horizon_and_future_pairs_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let a = NonceCache::local(900, 100, s.clone(), T0).await.unwrap();
    assert_eq!(a.floor(), Some(0));
    assert_eq!(a.claim("k", "n", T0, T0).await.unwrap(), Claim::Fresh);
    let ahead = T0 + Duration::minutes(10);
    assert_eq!(a.claim("k", "f", ahead, T0).await.unwrap(), Claim::Fresh);
    drop(a); // a kill: no shutdown
    let later = T0 + Duration::seconds(5);
    let b = NonceCache::local(900, 100, s.clone(), later).await.unwrap();
    let floor = b.floor().unwrap();
    assert!(floor >= T0.unix_timestamp(), "{floor}");
    assert!(
        floor < later.unix_timestamp(),
        "written ahead by one step only"
    );
    assert!(b.seen("k", "n", T0, later), "signed before the restart");
    assert!(b.seen("k", "other", T0, later), "any nonce signed then");
    assert_eq!(b.claim("k", "n", T0, later).await.unwrap(), Claim::Used);
    assert!(
        b.seen("k", "f", ahead, later),
        "a pair stored beyond the horizon"
    );
    assert_eq!(b.claim("k", "f", ahead, later).await.unwrap(), Claim::Used);
    assert_eq!(b.claim("k", "g", ahead, later).await.unwrap(), Claim::Fresh);
    assert_eq!(b.claim("k", "n", later, later).await.unwrap(), Claim::Fresh);
    b.shutdown().await;
    // A clean stop lowers the horizon to the last accepted second.
    let c = NonceCache::local(900, 100, s.clone(), later).await.unwrap();
    assert_eq!(c.floor(), Some(later.unix_timestamp()));
    s.close().await;
}

#[tokio::test]
async fn a_full_cache_refuses_instead_of_forgetting() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let c = NonceCache::local(900, 2, s.clone(), T0).await.unwrap();
    assert_eq!(c.claim("k", "1", T0, T0).await.unwrap(), Claim::Fresh);
    assert_eq!(c.claim("k", "2", T0, T0).await.unwrap(), Claim::Fresh);
    assert_eq!(c.claim("k", "3", T0, T0).await.unwrap(), Claim::Full);
    assert_eq!(c.claim("k", "1", T0, T0).await.unwrap(), Claim::Used);
    assert_eq!(c.len(), 2, "a refused pair is not held");
    // Once the first two expire there is room again.
    let later = T0 + Duration::minutes(16);
    assert_eq!(c.claim("k", "3", later, later).await.unwrap(), Claim::Fresh);
    s.close().await;
}

/// After a flood's pairs expire, the sweeps that new requests trigger give
/// the memory back.
#[tokio::test]
async fn expired_pairs_give_their_memory_back() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let c = NonceCache::local(900, 1_000_000, s.clone(), T0)
        .await
        .unwrap();
    for i in 0..200_000 {
        assert_eq!(
            c.claim("k", &i.to_string(), T0, T0).await.unwrap(),
            Claim::Fresh
        );
    }
    let full = c.slots();
    assert!(full >= 200_000, "{full}");
    // Past the window, a few requests land in every shard and sweep it.
    let later = T0 + Duration::minutes(16);
    for i in 0..1_000 {
        let n = format!("later-{i}");
        assert_eq!(c.claim("k", &n, later, later).await.unwrap(), Claim::Fresh);
    }
    assert_eq!(c.len(), 1_000);
    assert!(c.slots() < full / 8, "{} of {full}", c.slots());
    s.close().await;
}

/// Two servers on one database: a pair claimed through one is used for
/// the other, and it expires by the clock like the memory path.
#[tokio::test]
async fn shared_claims_hold_across_caches() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let (a, b) = (
        NonceCache::shared(900, 100, s.clone()),
        NonceCache::shared(900, 100, s.clone()),
    );
    assert_eq!(a.claim("k", "n", T0, T0).await.unwrap(), Claim::Fresh);
    assert!(a.seen("k", "n", T0, T0), "remembered locally too");
    assert_eq!(b.claim("k", "n", T0, T0).await.unwrap(), Claim::Used);
    assert!(
        !b.seen("k", "n", T0, T0),
        "only confirmed claims are cached"
    );
    let later = T0 + Duration::minutes(16);
    assert_eq!(b.claim("k", "n", later, later).await.unwrap(), Claim::Fresh);
    s.close().await;
}

/// With no request at all, the idle sweep drops the pairs once their window
/// has passed by the (manual) signing clock, and gives the tables' memory
/// back. The task ticks often here; each check waits for a round to end.
#[tokio::test]
async fn an_idle_cache_gives_its_memory_back_after_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let c = std::sync::Arc::new(
        NonceCache::local(900, 1_000_000, s.clone(), T0)
            .await
            .unwrap(),
    );
    for i in 0..200_000 {
        assert_eq!(
            c.claim("k", &i.to_string(), T0, T0).await.unwrap(),
            Claim::Fresh
        );
    }
    let full = c.slots();
    let clock = std::sync::Arc::new(physconn_domain::ManualClock::new(T0));
    // Within the window a sweep keeps every pair.
    clock.advance(Duration::minutes(10));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut sweeps = c.sweeps();
    let every = std::time::Duration::from_millis(1);
    let task = tokio::spawn(idle::run(c.clone(), clock.clone(), every, stopped));
    sweeps.wait_for(|n| *n >= 1).await.unwrap();
    assert_eq!(c.len(), 200_000);
    assert_eq!(c.slots(), full);
    // Past it, the next round drops them all and shrinks every table.
    clock.advance(Duration::minutes(6));
    let done = *sweeps.borrow_and_update();
    sweeps.wait_for(|n| *n > done).await.unwrap();
    assert_eq!(c.len(), 0);
    assert!(c.slots() < full / 8, "{} of {full}", c.slots());
    stop.send(true).unwrap();
    task.await.unwrap();
    s.close().await;
}
