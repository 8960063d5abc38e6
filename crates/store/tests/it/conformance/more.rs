//! Conformance of what many servers on one database and moving state between
//! stores need: shared nonces, and export/import. Run for every backend by
//! the `conformance!` list in `mod.rs`.

use super::{account, circuit, claim, r, w, T0};
use physconn_domain::idempotency::IdempotencyRecord;
use physconn_domain::*;
use physconn_store::export::{self, ExportError};
use physconn_store::security::{AuditEntry, RamUser};
use physconn_store::*;
use time::Duration;

/// A nonce is taken once until it expires, also by concurrent claimants.
pub async fn nonces_are_claimed_once(s: DynStore) {
    let exp = T0 + Duration::minutes(30);
    assert!(w(&s, move |tx| claim(tx, "k", "n1", T0, exp)).await);
    assert!(!w(&s, move |tx| claim(tx, "k", "n1", T0, exp)).await);
    assert!(
        w(&s, move |tx| claim(tx, "other", "n1", T0, exp)).await,
        "nonces are per key"
    );
    // Expired: the pair may be used again.
    let later = exp + Duration::seconds(1);
    assert!(
        w(&s, move |tx| claim(
            tx,
            "k",
            "n1",
            later,
            later + Duration::minutes(30)
        ))
        .await
    );
    // Concurrent twins: exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            // Each alone, no transaction around: half of them relaxed, as
            // the server claims them.
            let won = if i % 2 == 0 {
                write_relaxed(&*s, move |tx| claim(tx, "k", "race", T0, exp)).await
            } else {
                write_one(&*s, move |tx| claim(tx, "k", "race", T0, exp)).await
            };
            won.expect("claim")
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
    // Purging removes only what expired.
    let purged = w(&s, move |tx| tx.purge_nonces(exp)).await;
    assert_eq!(purged, 2, "other/n1 and k/race expired at exp");
    assert!(!w(&s, move |tx| claim(tx, "k", "n1", exp, exp)).await);
}

/// A batch of claims in one call answers as the claims one by one would: a
/// held pair refused, an expired one taken over, a pair listed twice claimed
/// once (its first listing).
pub async fn nonce_batches_claim_like_single_claims(s: DynStore) {
    let exp = T0 + Duration::minutes(30);
    assert!(w(&s, move |tx| claim(tx, "k", "held", T0, exp)).await);
    assert!(w(&s, move |tx| claim(tx, "k", "old", T0, T0)).await);
    let pair = |key: &str, nonce: &str| NonceClaim {
        access_key_id: key.into(),
        nonce: nonce.into(),
        expires_at: exp,
    };
    let batch = vec![
        pair("k", "a"),
        pair("k", "held"),
        pair("k", "old"),
        pair("k", "a"),
        pair("other", "a"),
    ];
    let got = w(&s, move |tx| {
        let batch = batch.clone();
        Box::pin(async move { tx.claim_nonces(&batch, T0).await })
    })
    .await;
    assert_eq!(got, vec![true, false, true, false, true]);
    // What the batch claimed is held.
    assert!(!w(&s, move |tx| claim(tx, "k", "a", T0, exp)).await);
    assert!(!w(&s, move |tx| claim(tx, "k", "old", T0, exp)).await);
    let empty = w(&s, |tx| {
        Box::pin(async move { tx.claim_nonces(&[], T0).await })
    })
    .await;
    assert!(empty.is_empty());
}

/// The provisioning settings read in one statement are what `get_meta` and
/// `get_account` give.
pub async fn provisioning_settings_read_meta_and_account(s: DynStore) {
    async fn read(s: &DynStore, account: &'static str) -> ProvisioningSettings {
        r(s, move |tx| {
            tx.provisioning_settings("provisioning_mode", "provisioning_delay", account)
        })
        .await
    }
    assert_eq!(read(&s, "").await, ProvisioningSettings::default());
    w(&s, |tx| {
        Box::pin(async move {
            let mut a = account("1000000000000001", "alice");
            a.provisioning_mode = Some(ProvisioningMode::Manual);
            tx.insert_account(&a).await?;
            tx.insert_account(&account("1000000000000002", "bob"))
                .await?;
            tx.set_meta("provisioning_mode", "Auto").await?;
            tx.set_meta("provisioning_delay", "2.5").await
        })
    })
    .await;
    let want = |account_mode| ProvisioningSettings {
        global_mode: Some("Auto".into()),
        global_delay: Some("2.5".into()),
        account_mode,
    };
    assert_eq!(
        read(&s, "1000000000000001").await,
        want(Some(ProvisioningMode::Manual))
    );
    assert_eq!(read(&s, "1000000000000002").await, want(None));
    assert_eq!(read(&s, "no-such-account").await, want(None));
}

/// Fills every table with a few rows through the ordinary operations.
pub async fn populate(s: &DynStore) {
    w(s, |tx| {
        Box::pin(async move {
            let mut a = account("1000000000000001", "alice");
            tx.insert_account(&a).await?;
            let e = a.post(
                Fen(-250),
                LedgerKind::OrderPayment,
                Some("9".into()),
                "x",
                "l1".into(),
                T0,
            )?;
            tx.insert_ledger(&e).await?;
            a.overdue_since = Some(T0);
            tx.update_account(&a).await?;
            tx.insert_account(&account("1000000000000002", "bob"))
                .await?;
            tx.insert_access_key(&AccessKey {
                id: "LTAIa".into(),
                account_id: a.id.clone(),
                secret: "s".into(),
                status: KeyStatus::Active,
                kind: KeyKind::Temporary {
                    security_token: "tok".into(),
                    expires_at: T0,
                },
                created_at: T0,
            })
            .await?;
            for i in 0..5 {
                let mut c = circuit(&format!("pc-{i}"), &a.id, T0 + Duration::seconds(i));
                c.auto_renew = i % 2 == 0;
                c.charge_type = Some(ChargeType::PostPaid);
                tx.insert_circuit(&c).await?;
                tx.insert_event(&CircuitEvent {
                    id: format!("ev-{i}"),
                    circuit_id: c.id.clone(),
                    at: T0,
                    from_status: None,
                    to_status: Status::Initial,
                    cause: "CreatePhysicalConnection".into(),
                })
                .await?;
                tx.insert_timer(&Timer {
                    id: format!("t-{i}"),
                    circuit_id: c.id.clone(),
                    kind: physconn_domain::TimerKind::Provider,
                    expect_status: Some(Status::Initial),
                    due_at: T0 + Duration::seconds(3),
                    created_at: T0,
                })
                .await?;
            }
            tx.insert_idempotency(&IdempotencyRecord {
                account_id: a.id.clone(),
                action: "CreatePhysicalConnection".into(),
                token: "tok-ü".into(),
                fingerprint: "f".into(),
                response: "{\"PhysicalConnectionId\":\"pc-0\"}".into(),
                created_at: T0,
            })
            .await?;
            tx.insert_fault(&Fault {
                id: "f1".into(),
                scope: FaultScope::Global,
                target: String::new(),
                outcome: FaultOutcome::Rejected,
                remaining: -1,
                share_ppm: 200_000,
                created_at: T0,
            })
            .await?;
            tx.set_meta("manual_clock", "1767225600000000").await?;
            tx.open_service(&a.id, "pconn_traffic", T0).await?;
            claim(tx, "LTAIa", "n", T0, T0 + Duration::minutes(30)).await?;
            let sec = tx.security();
            sec.insert_ram_user(&RamUser {
                id: "u-1".into(),
                account_id: a.id.clone(),
                name: "ci-bot".into(),
                policy: r#"{"Version":"1","Statement":[]}"#.into(),
                created_at: T0,
            })
            .await?;
            sec.bind_key_to_user("LTAIa", "u-1").await?;
            for (id, account_id) in [("a-1", Some(a.id.clone())), ("a-2", None)] {
                sec.insert_audits(&[AuditEntry {
                    id: id.into(),
                    at: T0,
                    actor: "LTAIa".into(),
                    channel: "api".into(),
                    action: "CreatePhysicalConnection".into(),
                    account_id,
                    request_id: format!("RID-{id}"),
                    outcome: "200".into(),
                    detail: "pc-0".into(),
                }])
                .await?;
            }
            Ok(())
        })
    })
    .await;
}

/// An export reads back as the same snapshot; an import refuses a store
/// that holds anything and refuses a damaged file.
pub async fn export_reads_back_and_guards_imports(s: DynStore) {
    populate(&s).await;
    let mut file = Vec::new();
    let snap = export::export(&*s, &mut file).await.expect("export");
    assert_eq!(snap.table("circuits").len(), 5);
    assert_eq!(snap.table("circuit_tags").len(), 10);
    assert_eq!(snap.table("nonces").len(), 1);
    assert_eq!(snap.table("ram_users").len(), 1);
    assert_eq!(snap.table("ram_user_keys").len(), 1);
    assert_eq!(snap.table("audit_log").len(), 2);
    let back = export::read_snapshot(&file[..]).expect("read back");
    assert_eq!(back, snap);
    // A second export of the same data is byte-equal.
    let mut again = Vec::new();
    export::export(&*s, &mut again).await.unwrap();
    assert_eq!(again, file);

    match export::import(&*s, back).await {
        Err(ExportError::NotEmpty(what)) => assert!(what.contains("accounts"), "{what}"),
        other => panic!("expected NotEmpty, got {other:?}"),
    }
    let text = String::from_utf8(file).unwrap();
    let truncated: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    assert!(matches!(
        export::read_snapshot(truncated.as_bytes()),
        Err(ExportError::Format(_))
    ));
    let renamed = text.replacen("\"bypass_sp\"", "\"bypass\"", 1);
    assert!(matches!(
        export::read_snapshot(renamed.as_bytes()),
        Err(ExportError::Format(_))
    ));
    let newer = text.replacen("\"version\":1", "\"version\":99", 1);
    assert!(matches!(
        export::read_snapshot(newer.as_bytes()),
        Err(ExportError::Format(_))
    ));
    // Nothing was written by the refused import.
    assert_eq!(r(&s, |tx| tx.list_accounts()).await.len(), 2);
}
