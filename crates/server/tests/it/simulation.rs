//! A randomized, seeded simulation of the money side (issue "Orders and
//! money"): many accounts, random orders of both kinds and every parameter
//! variant, payments, voids, top-ups, credit changes, clock jumps, duplicate
//! ClientToken retries and server restarts. After every step the invariants
//! of docs/design/billing.md#money-rules are checked against the store.
//! Reproduce a run with the seed it
//! prints: `PHYSCONN_SIM_SEED=<seed> cargo test -p physconn-server --test it simulation::`.
//! `PHYSCONN_SIM_STEPS` makes it longer.

use crate::common;
use common::*;
use physconn_domain::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::HashMap;

struct Acct {
    id: String,
    key: String,
    secret: String,
    max_credit: i64,
}

struct Sim {
    s: TestServer,
    rng: StdRng,
    accounts: Vec<Acct>,
    circuits: Vec<(usize, String)>,
    seen: HashMap<String, PaymentStatus>,
    tokens: u64,
}

impl Sim {
    async fn call(&self, a: usize, action: &str, version: &str, p: &[(&str, &str)]) -> Resp {
        let acct = &self.accounts[a];
        let creds = physconn_wire::ClientCredentials {
            access_key_id: &acct.key,
            access_key_secret: &acct.secret,
            security_token: None,
        };
        let req = physconn_wire::sign_v3(
            &creds,
            &self.s.host(),
            action,
            version,
            &pairs(p),
            false,
            &self.s.now_str(),
            &RandomIds.token(32),
        );
        self.s.send(req).await
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        if v.is_empty() {
            None
        } else {
            Some(&v[self.rng.random_range(0..v.len())])
        }
    }

    async fn new_circuit(&mut self) {
        let a = self.rng.random_range(0..self.accounts.len());
        let port = *self
            .pick(&["1000Base-LX", "10GBase-LR", "40GBase-LR", "100GBase-LR"])
            .unwrap();
        let setup = self.rng.random_bool(0.3);
        let action = if setup {
            "CreatePhysicalConnectionSetupOrder"
        } else {
            "CreatePhysicalConnection"
        };
        let auto = if self.rng.random_bool(0.5) {
            "true"
        } else {
            "False"
        };
        let mut p = vec![
            ("RegionId", "cn-hangzhou"),
            ("AccessPointId", "ap-cn-hangzhou-yh-B"),
            ("LineOperator", "CT"),
            ("PortType", port),
        ];
        if setup {
            p.push(("AutoPay", auto));
        }
        let r = self.call(a, action, "2016-04-28", &p).await;
        if r.status == 200 {
            let id = r.json()["PhysicalConnectionId"]
                .as_str()
                .unwrap()
                .to_string();
            let (st, _) = self
                .s
                .admin(
                    "POST",
                    &format!("/admin/physical-connections/{id}/status"),
                    Some(json!({"status": "Allocated"})),
                )
                .await;
            assert_eq!(st, 200);
            let c = self
                .call(
                    a,
                    "ConfirmPhysicalConnection",
                    "2016-04-28",
                    &[("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", &id)],
                )
                .await;
            assert_eq!(c.status, 200, "{}", c.text);
            self.circuits.push((a, id));
        } else {
            assert!(
                matches!(
                    r.code().as_str(),
                    "QuotaExceeded.freePconnPerAP" | "Forbidden.FinancialLocked"
                ),
                "{}",
                r.text
            );
        }
    }

    async fn order(&mut self) {
        let Some((a, id)) = self.pick(&self.circuits.clone()).cloned() else {
            return;
        };
        let charge = *self.pick(&["PrePaid", "PostPaid", "Bad", ""]).unwrap();
        let cycle = *self.pick(&["Month", "Year", ""]).unwrap();
        let period = self.rng.random_range(0..11).to_string();
        let auto = *self.pick(&["true", "True", "false", ""]).unwrap();
        let renew = *self.pick(&["true", "false", ""]).unwrap();
        self.tokens += 1;
        let token = format!("sim-{}", self.tokens);
        let mut p = vec![
            ("RegionId", "cn-hangzhou"),
            ("PhysicalConnectionId", id.as_str()),
            ("ClientToken", token.as_str()),
        ];
        for (k, v) in [
            ("InstanceChargeType", charge),
            ("PricingCycle", cycle),
            ("AutoPay", auto),
            ("AutoRenew", renew),
        ] {
            if !v.is_empty() {
                p.push((k, v));
            }
        }
        p.push(("Period", &period));
        let first = self
            .call(
                a,
                "CreatePhysicalConnectionOccupancyOrder",
                "2016-04-28",
                &p,
            )
            .await;
        // A retry with the same token: the same answer, and no second order.
        let retry = self
            .call(
                a,
                "CreatePhysicalConnectionOccupancyOrder",
                "2016-04-28",
                &p,
            )
            .await;
        if first.status == 200 {
            assert_eq!(
                first.json()["Data"],
                retry.json()["Data"],
                "{} / {}",
                first.text,
                retry.text
            );
        } else {
            assert!(first.status == 400 || first.status == 404, "{}", first.text);
        }
    }

    async fn settle_an_order(&mut self) {
        let orders = self.s.admin("GET", "/admin/orders", None).await.1["Orders"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let unpaid: Vec<_> = orders
            .iter()
            .filter(|o| o["Status"] == "Unpaid")
            .cloned()
            .collect();
        let Some(o) = self.pick(&unpaid).cloned() else {
            return;
        };
        let oid = o["OrderId"].as_str().unwrap().to_string();
        let owner = self
            .accounts
            .iter()
            .position(|a| a.id == o["AccountId"])
            .unwrap_or(0);
        let r = if self.rng.random_bool(0.6) {
            self.call(owner, "PayOrder", "2017-12-14", &[("OrderId", &oid)])
                .await
        } else {
            self.call(owner, "CancelOrder", "2017-12-14", &[("OrderId", &oid)])
                .await
        };
        assert!(matches!(r.status, 200 | 400), "{}", r.text);
    }

    async fn money_change(&mut self) {
        let a = self.rng.random_range(0..self.accounts.len());
        let id = self.accounts[a].id.clone();
        match self.rng.random_range(0..3) {
            0 => {
                let amt = format!(
                    "{}.{:02}",
                    self.rng.random_range(0..50_000),
                    self.rng.random_range(0..100)
                );
                let (st, _) = self
                    .s
                    .admin(
                        "POST",
                        &format!("/admin/accounts/{id}/topup"),
                        Some(json!({"amount": amt})),
                    )
                    .await;
                assert!(st == 200 || amt == "0.00");
            }
            1 => {
                let credit = self.rng.random_range(0..5_000i64);
                self.accounts[a].max_credit = self.accounts[a].max_credit.max(credit * 100);
                let (st, _) = self
                    .s
                    .admin(
                        "PUT",
                        &format!("/admin/accounts/{id}"),
                        Some(json!({"credit_limit": credit.to_string()})),
                    )
                    .await;
                assert_eq!(st, 200);
            }
            _ => {
                let bal = self.rng.random_range(-100..100_000i64).to_string();
                let (st, _) = self
                    .s
                    .admin(
                        "PUT",
                        &format!("/admin/accounts/{id}/balance"),
                        Some(json!({"balance": bal})),
                    )
                    .await;
                assert_eq!(st, 200);
            }
        }
    }

    /// The money invariants, read straight from the store.
    async fn check(&mut self) {
        let state = self.s.r().state.clone();
        let (accounts, orders, ledgers, circuits) = physconn_store::read(&*state.store, |tx| {
            Box::pin(async move {
                let accounts = tx.list_accounts().await?;
                let orders = tx.list_orders(None).await?;
                let mut ledgers = Vec::new();
                let mut circuits = Vec::new();
                for a in &accounts {
                    ledgers.push(tx.list_ledger(&a.id, i64::MAX).await?);
                    circuits.extend(tx.list_account_circuits(&a.id).await?);
                }
                Ok((accounts, orders, ledgers, circuits))
            })
        })
        .await
        .unwrap();
        let mut payments: HashMap<String, Vec<&LedgerEntry>> = HashMap::new();
        for (a, ledger) in accounts.iter().zip(&ledgers) {
            let sum: i64 = ledger.iter().map(|e| e.amount.0).sum();
            assert_eq!(a.balance.0, sum, "I1: balance = ledger sum ({})", a.id);
            let mut seqs: Vec<i64> = ledger.iter().map(|e| e.seq).collect();
            seqs.sort();
            assert_eq!(
                seqs,
                (1..=ledger.len() as i64).collect::<Vec<_>>(),
                "I6: append-only, no gaps"
            );
            let max_credit = self
                .accounts
                .iter()
                .find(|x| x.id == a.id)
                .map(|x| x.max_credit)
                .unwrap_or(0);
            for e in ledger {
                if e.kind == LedgerKind::OrderPayment {
                    assert!(
                        e.balance_after.0 >= -max_credit,
                        "I2: a payment below the credit line: {e:?}"
                    );
                    payments
                        .entry(e.order_id.clone().unwrap())
                        .or_default()
                        .push(e);
                }
            }
        }
        for o in &orders {
            let entries = payments.get(&o.id).map(Vec::len).unwrap_or(0);
            match o.status {
                PaymentStatus::Paid => {
                    assert_eq!(entries, 1, "I3: one ledger entry per paid order {}", o.id);
                    assert_eq!(
                        payments[&o.id][0].amount.0, -o.amount.0,
                        "I8: paid amount = order amount"
                    );
                    assert!(
                        o.abnormal_reason.is_none(),
                        "an abnormal order is never paid"
                    );
                }
                _ => assert_eq!(
                    entries, 0,
                    "I3: no entry for an unpaid or voided order {}",
                    o.id
                ),
            }
            if let Some(prev) = self.seen.insert(o.id.clone(), o.status) {
                let ok = prev == o.status || prev == PaymentStatus::Unpaid;
                assert!(ok, "I5: order {} went {prev} → {}", o.id, o.status);
            }
        }
        for c in &circuits {
            if c.status == Status::Enabled {
                let paid = orders.iter().any(|o| {
                    o.circuit_id == c.id
                        && o.kind == OrderKind::Occupancy
                        && o.status == PaymentStatus::Paid
                });
                assert!(
                    paid,
                    "I9: {} is Enabled without a paid occupancy order",
                    c.id
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_money_operations_keep_the_invariants() {
    let seed: u64 = std::env::var("PHYSCONN_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    let steps: usize = std::env::var("PHYSCONN_SIM_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    println!("PHYSCONN_SIM_SEED={seed} PHYSCONN_SIM_STEPS={steps}");
    let s = TestServer::start_with(|c| c.max_pending_circuits = 8).await;
    let mut sim = Sim {
        s,
        rng: StdRng::seed_from_u64(seed),
        accounts: Vec::new(),
        circuits: Vec::new(),
        seen: HashMap::new(),
        tokens: 0,
    };
    for i in 0..4 {
        let bal = sim.rng.random_range(0..60_000).to_string();
        let (st, v) = sim
            .s
            .admin(
                "POST",
                "/admin/accounts",
                Some(json!({"name": format!("sim{i}"), "balance": bal})),
            )
            .await;
        assert_eq!(st, 201);
        sim.accounts.push(Acct {
            id: v["AccountId"].as_str().unwrap().into(),
            key: v["AccessKeyId"].as_str().unwrap().into(),
            secret: v["AccessKeySecret"].as_str().unwrap().into(),
            max_credit: 0,
        });
    }
    for step in 0..steps {
        match sim.rng.random_range(0..100) {
            0..=19 => sim.new_circuit().await,
            20..=49 => sim.order().await,
            50..=64 => sim.settle_an_order().await,
            65..=79 => sim.money_change().await,
            80..=94 => {
                let secs = *sim
                    .pick(&[1.0, 30.0, 3600.0, 86_400.0, 3.0 * 86_400.0])
                    .unwrap();
                sim.s.advance(secs).await;
            }
            // Past a month: subscriptions expire, renew or lock.
            95 => sim.s.advance(35.0 * 86_400.0).await,
            _ => sim.s.restart().await,
        }
        sim.check().await;
        if step % 50 == 0 {
            println!(
                "step {step}: {} circuits, {} orders seen",
                sim.circuits.len(),
                sim.seen.len()
            );
        }
    }
    let paid = sim
        .seen
        .values()
        .filter(|s| **s == PaymentStatus::Paid)
        .count();
    assert!(
        paid > 0 && sim.seen.len() > 5,
        "the run exercised payments: {paid} of {}",
        sim.seen.len()
    );
    sim.s.shutdown().await;
}
