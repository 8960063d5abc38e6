//! The core cases: accounts and the ledger, keys, circuits, orders,
//! idempotency records, timers, meta, and the job rules (a refused job
//! writes nothing; concurrent twins do the work once). Run for every
//! backend by the `conformance!` list in `mod.rs`.

use super::*;

pub async fn accounts_and_ledger(s: DynStore) {
    w(&s, |tx| {
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
            tx.update_account(&a).await
        })
    })
    .await;
    let a = r(&s, |tx| tx.get_account_by_name("alice"))
        .await
        .expect("alice");
    assert_eq!(
        (a.balance, a.credit_limit, a.ledger_seq),
        (Fen(9_750), Fen(500), 1)
    );
    assert_eq!(r(&s, |tx| tx.ledger_sum("1000000000000001")).await, -250);
    let entries = r(&s, |tx| tx.list_ledger("1000000000000001", 10)).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].balance_after, Fen(9_750));
    // One payment entry per order: a second one is refused by the store.
    let dup = write(&*s, |tx| {
        Box::pin(async move {
            let e = LedgerEntry {
                id: "l2".into(),
                account_id: "1000000000000001".into(),
                seq: 2,
                amount: Fen(-1),
                balance_after: Fen(0),
                kind: LedgerKind::OrderPayment,
                order_id: Some("9".into()),
                note: String::new(),
                created_at: T0,
            };
            tx.insert_ledger(&e).await
        })
    })
    .await;
    assert!(dup.is_err());
    assert_eq!(r(&s, |tx| tx.list_accounts()).await.len(), 1);
}

pub async fn keys(s: DynStore) {
    let exp = datetime!(2026-01-01 01:00:00 UTC);
    w(&s, move |tx| {
        Box::pin(async move {
            tx.insert_access_key(&AccessKey {
                id: "LTAIa".into(),
                account_id: "1".into(),
                secret: "s".into(),
                status: KeyStatus::Active,
                kind: KeyKind::Permanent,
                created_at: T0,
            })
            .await?;
            tx.insert_access_key(&AccessKey {
                id: "STS.b".into(),
                account_id: "1".into(),
                secret: "s2".into(),
                status: KeyStatus::Active,
                kind: KeyKind::Temporary {
                    security_token: "tok".into(),
                    expires_at: exp,
                },
                created_at: T0,
            })
            .await
        })
    })
    .await;
    let b = r(&s, |tx| tx.get_access_key("STS.b")).await.expect("sts");
    assert_eq!(
        b.kind,
        KeyKind::Temporary {
            security_token: "tok".into(),
            expires_at: exp
        }
    );
    assert!(
        w(&s, |tx| tx
            .set_access_key_status("LTAIa", KeyStatus::Inactive))
        .await
    );
    assert_eq!(
        r(&s, |tx| tx.get_access_key("LTAIa")).await.unwrap().status,
        KeyStatus::Inactive
    );
    assert!(r(&s, |tx| tx.get_access_key("nope")).await.is_none());
    assert_eq!(r(&s, |tx| tx.list_access_keys("1")).await.len(), 2);
}

pub async fn circuits_round_trip_and_listing(s: DynStore) {
    let mut first = circuit("pc-a", "A", T0);
    first.enabled_at = Some(truncate_micros(time::OffsetDateTime::now_utc()));
    first.loa_status = Some(LoaStatus::Applying);
    first.charge_type = Some(ChargeType::Prepaid);
    let first = Arc::new(first);
    let f2 = first.clone();
    w(&s, move |tx| {
        let f = f2.clone();
        Box::pin(async move {
            tx.insert_circuit(&f).await?;
            for i in 0..60 {
                let mut c = circuit(
                    &format!("pc-{i:03}"),
                    "A",
                    T0 + time::Duration::seconds(i + 1),
                );
                if i % 2 == 0 {
                    c.status = Status::Enabled;
                    c.tags = vec![("env".into(), "dev".into())];
                }
                tx.insert_circuit(&c).await?;
            }
            tx.insert_circuit(&circuit("pc-other", "B", T0)).await?;
            let mut gone = circuit("pc-gone", "A", T0);
            gone.deleted_at = Some(T0);
            tx.insert_circuit(&gone).await
        })
    })
    .await;
    let got = r(&s, |tx| tx.get_circuit("pc-a")).await.expect("pc-a");
    assert_eq!(&got, first.as_ref());

    let q = |f: fn(&mut CircuitQuery)| {
        let mut q = CircuitQuery {
            account_id: "A".into(),
            region_id: "cn-hangzhou".into(),
            offset: 0,
            limit: 50,
            ..Default::default()
        };
        f(&mut q);
        Arc::new(q)
    };
    let list = |q: Arc<CircuitQuery>| {
        let s = s.clone();
        async move {
            r(&s, move |tx| {
                let q = q.clone();
                Box::pin(async move { tx.list_circuits(&q).await })
            })
            .await
        }
    };
    let (page, total) = list(q(|_| {})).await;
    assert_eq!(
        total, 61,
        "deleted and other accounts' circuits are not listed"
    );
    assert_eq!(page.len(), 50);
    assert_eq!(page[0].id, "pc-059", "newest first");
    let (page2, _) = list(q(|q| q.offset = 50)).await;
    assert_eq!(page2.len(), 11);
    assert_eq!(page2.last().unwrap().id, "pc-a");
    let (enabled, n) = list(q(|q| q.columns.push(("status", vec!["Enabled".into()])))).await;
    assert_eq!((enabled.len(), n), (30, 30));
    let (dev, n) = list(q(|q| q.tags.push(("env".into(), Some("dev".into()))))).await;
    assert_eq!((dev.len(), n), (30, 30));
    assert!(dev
        .iter()
        .all(|c| c.tags == vec![("env".to_string(), "dev".to_string())]));
    let (keyed, n) = list(q(|q| q.tags.push(("team".into(), None)))).await;
    assert_eq!((keyed.len(), n), (31, 31));
    let (two, n) = list(q(|q| {
        q.columns.push((
            "id",
            vec!["pc-a".into(), "pc-001".into(), "pc-other".into()],
        ))
    }))
    .await;
    assert_eq!((two.len(), n), (2, 2));
    // By id alone (the SQLite store reads these by primary key): the same
    // scope, order and paging as the listing; a repeated id counts once.
    fn ids() -> Vec<String> {
        ["pc-a", "pc-gone", "pc-001", "pc-other", "pc-a", "pc-002"]
            .map(String::from)
            .to_vec()
    }
    let (by_id, n) = list(q(|q| q.columns.push(("id", ids())))).await;
    let got: Vec<&str> = by_id.iter().map(|c| c.id.as_str()).collect();
    assert_eq!((got, n), (vec!["pc-002", "pc-001", "pc-a"], 3));
    assert_eq!(by_id[2].tags, first.tags, "tags come with the row");
    let tags = |c: &Circuit| c.tags.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(
        (tags(&by_id[0]), tags(&by_id[1])),
        (
            vec!["env".to_string()],
            vec!["env".to_string(), "team".to_string()]
        )
    );
    // Read alone, as the server reads a listing by id (one statement, no
    // transaction around it): the same answer.
    let by_ids = q(|q| q.columns.push(("id", ids())));
    assert!(by_ids.one_statement() && !q(|_| {}).one_statement());
    let alone = read_one(&*s, move |tx| {
        let q = by_ids.clone();
        Box::pin(async move { tx.list_circuits(&q).await })
    })
    .await
    .expect("read alone");
    assert_eq!(alone, (by_id.clone(), n));
    let (second, n) = list(q(|q| {
        q.columns.push(("id", ids()));
        q.offset = 1;
        q.limit = 1;
    }))
    .await;
    assert_eq!((second[0].id.as_str(), second.len(), n), ("pc-001", 1, 3));
    let (elsewhere, n) = list(q(|q| {
        q.columns.push(("id", ids()));
        q.region_id = "cn-beijing".into();
    }))
    .await;
    assert_eq!((elsewhere.len(), n), (0, 0));
    let (none, n) = list(q(|q| q.match_nothing = true)).await;
    assert_eq!((none.len(), n), (0, 0));
    let pending = r(&s, |tx| {
        Box::pin(async move {
            tx.count_circuits("A", &[Status::Initial, Status::Approved])
                .await
        })
    })
    .await;
    assert_eq!(pending, 31);

    // Updates touch every column but the tags; tags are replaced on request.
    w(&s, |tx| {
        Box::pin(async move {
            let mut c = tx.get_circuit("pc-a").await?.expect("pc-a");
            c.status = Status::Confirmed;
            c.pending_order_id = Some("123".into());
            tx.update_circuit(&c).await?;
            tx.replace_tags("pc-a", &[("k".into(), "v".into())]).await
        })
    })
    .await;
    let c = r(&s, |tx| tx.get_circuit("pc-a")).await.unwrap();
    assert_eq!(
        (c.status, c.pending_order_id.as_deref()),
        (Status::Confirmed, Some("123"))
    );
    assert_eq!(c.tags, vec![("k".to_string(), "v".to_string())]);
    assert_eq!(
        r(&s, |tx| tx.count_business_status("A", "Normal")).await,
        61
    );
}

pub async fn orders_round_trip(s: DynStore) {
    let o = Order {
        id: "202844382740728".into(),
        account_id: "A".into(),
        circuit_id: "pc-a".into(),
        region_id: "cn-hangzhou".into(),
        kind: OrderKind::Occupancy,
        status: PaymentStatus::Unpaid,
        abnormal_reason: Some("InsufficientBalance".into()),
        charge_type: InstanceChargeType::PrePaid,
        period: 3,
        pricing_cycle: PricingCycle::Year,
        auto_renew: true,
        auto_renew_duration: 2,
        port_type: PortType::G40BaseLR,
        amount: Fen(36_000_000),
        currency: "CNY".into(),
        created_at: T0,
        paid_at: None,
        cancelled_at: None,
        related_order_id: None,
    };
    let o = Arc::new(o);
    let o2 = o.clone();
    w(&s, move |tx| {
        let o = o2.clone();
        Box::pin(async move { tx.insert_order(&o).await })
    })
    .await;
    assert_eq!(
        &r(&s, |tx| tx.get_order("202844382740728")).await.unwrap(),
        o.as_ref()
    );
    let mut cancelled = (*o).clone();
    cancelled.mark_cancelled(T0).unwrap();
    let c2 = Arc::new(cancelled.clone());
    w(&s, move |tx| {
        let c = c2.clone();
        Box::pin(async move { tx.update_order(&c).await })
    })
    .await;
    let all = r(&s, |tx| tx.list_orders(Some("A"))).await;
    assert_eq!(all, vec![cancelled]);
    assert!(r(&s, |tx| tx.list_orders(Some("B"))).await.is_empty());
    assert_eq!(r(&s, |tx| tx.list_orders(None)).await.len(), 1);
}

pub async fn idempotency_records(s: DynStore) {
    let rec = IdempotencyRecord {
        account_id: "A".into(),
        action: "X".into(),
        token: "tok".into(),
        fingerprint: "f".into(),
        response: r#"{"OrderId":"1"}"#.into(),
        created_at: T0,
    };
    let rec = Arc::new(rec);
    let r2 = rec.clone();
    w(&s, move |tx| {
        let rec = r2.clone();
        Box::pin(async move { tx.insert_idempotency(&rec).await })
    })
    .await;
    assert_eq!(
        &r(&s, |tx| tx.get_idempotency("A", "X", "tok"))
            .await
            .unwrap(),
        rec.as_ref()
    );
    assert!(r(&s, |tx| tx.get_idempotency("B", "X", "tok"))
        .await
        .is_none());
    let r3 = rec.clone();
    let dup = write(&*s, move |tx| {
        let rec = r3.clone();
        Box::pin(async move { tx.insert_idempotency(&rec).await })
    })
    .await;
    assert!(dup.is_err(), "one record per key");
    let purged = w(&s, |tx| {
        tx.purge_idempotency(T0 + time::Duration::hours(25))
    })
    .await;
    assert_eq!(purged, 1);
}

pub async fn timers_fire_once(s: DynStore) {
    w(&s, |tx| {
        Box::pin(async move {
            for (id, secs) in [("t2", 20), ("t1", 10), ("t3", 30)] {
                tx.insert_timer(&Timer {
                    id: id.into(),
                    circuit_id: "pc-a".into(),
                    kind: physconn_domain::TimerKind::Provider,
                    expect_status: Some(Status::Initial),
                    due_at: T0 + time::Duration::seconds(secs),
                    created_at: T0,
                })
                .await?;
            }
            Ok(())
        })
    })
    .await;
    assert_eq!(
        r(&s, |tx| tx.next_timer_due()).await,
        Some(T0 + time::Duration::seconds(10))
    );
    let due = r(&s, |tx| tx.due_timers(T0 + time::Duration::seconds(20), 10)).await;
    assert_eq!(
        due.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["t1", "t2"]
    );
    assert!(w(&s, |tx| tx.delete_timer("t1")).await);
    assert!(
        !w(&s, |tx| tx.delete_timer("t1")).await,
        "a timer is taken once"
    );
    assert_eq!(r(&s, |tx| tx.list_timers("pc-a")).await.len(), 2);
    w(&s, |tx| tx.delete_timers_for("pc-a")).await;
    assert_eq!(r(&s, |tx| tx.next_timer_due()).await, None);
}

pub async fn meta_upsert(s: DynStore) {
    assert_eq!(r(&s, |tx| tx.get_meta("k")).await, None);
    w(&s, |tx| tx.set_meta("k", "1")).await;
    w(&s, |tx| tx.set_meta("k", "2")).await;
    assert_eq!(r(&s, |tx| tx.get_meta("k")).await.as_deref(), Some("2"));
}

/// A refused workflow leaves nothing behind, while others committed in the
/// same group commit keep their writes.
pub async fn refused_job_writes_nothing(s: DynStore) {
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            write(&*s, move |tx| {
                Box::pin(async move {
                    tx.insert_account(&account(&format!("{i:016}"), &format!("acct{i}")))
                        .await?;
                    if i % 2 == 1 {
                        return Err(DomainError::NotAllowedInState.into());
                    }
                    Ok(())
                })
            })
            .await
        }));
    }
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => {}
            Err(OpError::Domain(DomainError::NotAllowedInState)) => refused += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(refused, 20);
    let names: Vec<String> = r(&s, |tx| tx.list_accounts())
        .await
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names.len(), 20);
    assert!(names
        .iter()
        .all(|n| n.trim_start_matches("acct").parse::<u32>().unwrap() % 2 == 0));
}

/// Concurrent twins that check-then-insert the same key: the work happens
/// once and every twin sees the same result.
pub async fn concurrent_twins_do_the_work_once(s: DynStore) {
    let mut tasks = Vec::new();
    for i in 0..16 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            write(&*s, move |tx| {
                Box::pin(async move {
                    if let Some(rec) = tx.get_idempotency("A", "Create", "same").await? {
                        return Ok(rec.response);
                    }
                    let response = format!("winner-{i}");
                    tx.insert_idempotency(&IdempotencyRecord {
                        account_id: "A".into(),
                        action: "Create".into(),
                        token: "same".into(),
                        fingerprint: "f".into(),
                        response: response.clone(),
                        created_at: T0,
                    })
                    .await?;
                    tx.insert_circuit(&circuit(&format!("pc-twin-{i}"), "A", T0))
                        .await?;
                    Ok(response)
                })
            })
            .await
            .expect("twin")
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "{answers:?}");
    let q = Arc::new(CircuitQuery {
        account_id: "A".into(),
        region_id: "cn-hangzhou".into(),
        limit: 50,
        ..Default::default()
    });
    let (_, n) = r(&s, move |tx| {
        let q = q.clone();
        Box::pin(async move { tx.list_circuits(&q).await })
    })
    .await;
    assert_eq!(n, 1);
}
