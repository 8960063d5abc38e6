//! Orders and money through the BSS subset (docs/design/billing.md#bss) and the admin API: paying
//! and voiding orders, balances, statements, and the billing clock.

use crate::common;
use common::*;
use serde_json::{json, Value};

async fn bss(s: &TestServer, action: &str, params: &[(&str, &str)]) -> Resp {
    let req = physconn_wire::sign_v3(
        &s.creds(),
        &s.host(),
        action,
        "2017-12-14",
        &pairs(params),
        false,
        &s.now_str(),
        &physconn_domain::IdGen::token(&physconn_domain::RandomIds, 32),
    );
    s.send(req).await
}

async fn order(s: &TestServer, id: &str, extra: &[(&str, &str)]) -> String {
    let mut p = vec![("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", id)];
    if !extra.iter().any(|(k, _)| *k == "InstanceChargeType") {
        p.push(("InstanceChargeType", "PrePaid"));
    }
    p.extend_from_slice(extra);
    let r = s.call("CreatePhysicalConnectionOccupancyOrder", &p).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["Data"]["OrderId"].as_str().unwrap().to_string()
}

async fn balance(s: &TestServer) -> String {
    s.admin("GET", "/admin/accounts/default", None).await.1["Balance"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn pay_later_through_bss_enables_the_circuit() {
    let s = TestServer::start().await;
    let id = s.confirmed_circuit().await;
    let oid = order(&s, &id, &[("AutoPay", "false"), ("Period", "3")]).await;
    let r = bss(&s, "PayOrder", &[("OrderId", &oid)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["OrderId"].as_i64().unwrap().to_string(), oid);
    assert!(v.get("Code").is_none(), "PayOrder has no envelope");
    assert_eq!(balance(&s).await, "997000.00");
    s.advance(1.0).await;
    assert_eq!(s.describe(&id).await["Status"], "Enabled");
    // Paying twice is refused and moves nothing.
    let again = bss(&s, "PayOrder", &[("OrderId", &oid)]).await;
    assert_eq!(
        (again.status, again.code().as_str()),
        (400, "InvalidOrderStatus.NotPayable")
    );
    assert_eq!(balance(&s).await, "997000.00");
    let detail = bss(&s, "GetOrderDetail", &[("OrderId", &oid)]).await.json();
    let o = &detail["Data"]["OrderList"]["Order"][0];
    assert_eq!(
        (o["PaymentStatus"].as_str(), o["PretaxAmount"].as_str()),
        (Some("Paid"), Some("3000.00"))
    );
    assert_eq!(o["InstanceIDs"], format!("[\"{id}\"]"));
    assert_eq!(detail["Code"], "Success");
    let missing = bss(&s, "GetOrderDetail", &[("OrderId", "123456789012345")]).await;
    assert_eq!(
        (missing.status, missing.code().as_str()),
        (404, "InvalidOrderId.NotFound")
    );
    s.shutdown().await;
}

#[tokio::test]
async fn abnormal_orders_can_only_be_voided() {
    let s = TestServer::start().await;
    let id = s.confirmed_circuit().await;
    s.admin(
        "PUT",
        "/admin/accounts/default/balance",
        Some(json!({"balance": "1.00"})),
    )
    .await;
    let oid = order(&s, &id, &[("AutoPay", "true")]).await;
    let r = bss(&s, "PayOrder", &[("OrderId", &oid)]).await;
    assert_eq!(r.code(), "InvalidOrderStatus.NotPayable");
    let r = bss(&s, "CancelOrder", &[("OrderId", &oid)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["Data"]["HostId"], "cn");
    assert_eq!(
        bss(&s, "CancelOrder", &[("OrderId", &oid)]).await.code(),
        "InvalidOrderStatus.NotCancellable"
    );
    // The circuit is free for a new order; with money it is paid at once.
    s.admin(
        "POST",
        "/admin/accounts/default/topup",
        Some(json!({"amount": "5000"})),
    )
    .await;
    let oid2 = order(&s, &id, &[("AutoPay", "true")]).await;
    assert_ne!(oid, oid2);
    assert_eq!(balance(&s).await, "4001.00");
    s.shutdown().await;
}

#[tokio::test]
async fn admin_pay_and_cancel() {
    let s = TestServer::start().await;
    let id = s.confirmed_circuit().await;
    let oid = order(&s, &id, &[("AutoPay", "false")]).await;
    let (st, o) = s
        .admin("POST", &format!("/admin/orders/{oid}/pay"), None)
        .await;
    assert_eq!((st, o["Status"].as_str()), (200, Some("Paid")));
    let (st, _) = s
        .admin("POST", &format!("/admin/orders/{oid}/cancel"), None)
        .await;
    assert_eq!(st, 400, "a paid order stays paid");
    let (st, _) = s
        .admin("POST", "/admin/orders/999999999999999/pay", None)
        .await;
    assert_eq!(st, 404);
    s.shutdown().await;
}

#[tokio::test]
async fn balance_orders_and_statement() {
    let s = TestServer::start().await;
    s.admin(
        "PUT",
        "/admin/accounts/default",
        Some(json!({"credit_limit": "250.00"})),
    )
    .await;
    let id = s.confirmed_circuit().await;
    order(&s, &id, &[("AutoPay", "true"), ("PricingCycle", "Year")]).await;
    let b = bss(&s, "QueryAccountBalance", &[]).await.json();
    assert_eq!(b["Code"], "200");
    assert_eq!(b["Success"], true);
    let d = &b["Data"];
    assert_eq!(
        (
            d["AvailableCashAmount"].as_str(),
            d["CreditAmount"].as_str(),
            d["AvailableAmount"].as_str(),
            d["Currency"].as_str()
        ),
        (
            Some("990000.00"),
            Some("250.00"),
            Some("990250.00"),
            Some("CNY")
        )
    );
    let q = bss(&s, "QueryOrders", &[]).await.json();
    assert_eq!(q["Data"]["TotalCount"], 1, "the last hour by default");
    let o = &q["Data"]["OrderList"]["Order"][0];
    assert_eq!(
        (
            o["ProductCode"].as_str(),
            o["SubscriptionType"].as_str(),
            o["OrderType"].as_str(),
            o["PretaxAmount"].as_str()
        ),
        (
            Some("pconn"),
            Some("Subscription"),
            Some("New"),
            Some("10000.00")
        )
    );
    assert!(
        o.as_object().unwrap().values().all(Value::is_string),
        "every order field is a string: {o}"
    );
    s.advance(7200.0).await;
    assert_eq!(
        bss(&s, "QueryOrders", &[]).await.json()["Data"]["TotalCount"],
        0
    );
    let all = bss(
        &s,
        "QueryOrders",
        &[
            ("CreateTimeStart", "2026-01-01T00:00:00Z"),
            ("PaymentStatus", "Paid"),
        ],
    )
    .await
    .json();
    assert_eq!(all["Data"]["TotalCount"], 1);
    let t = bss(&s, "QueryAccountTransactions", &[]).await.json();
    let list = t["Data"]["AccountTransactionsList"]["AccountTransactionsList"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(list.len(), 2, "{t}");
    assert_eq!(
        (
            list[0]["TransactionFlow"].as_str(),
            list[0]["Amount"].as_str()
        ),
        (Some("Expense"), Some("10000.00"))
    );
    assert_eq!(list[0]["Balance"], "990000.00");
    assert_eq!(
        (
            list[1]["TransactionType"].as_str(),
            list[1]["Balance"].as_str()
        ),
        (Some("Payment"), Some("1000000.00"))
    );
    let inst = bss(&s, "QueryAvailableInstances", &[]).await.json();
    assert_eq!(inst["Data"]["TotalCount"], 1);
    assert_eq!(inst["Data"]["InstanceList"][0]["InstanceID"], id.as_str());
    assert_eq!(
        inst["Data"]["InstanceList"][0]["SubscriptionType"],
        "Subscription"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn expiry_renewal_and_lock() {
    let s = TestServer::start().await;
    let renewing = s.confirmed_circuit().await;
    order(
        &s,
        &renewing,
        &[
            ("AutoPay", "true"),
            ("AutoRenew", "true"),
            ("AutoRenewDuration", "2"),
        ],
    )
    .await;
    let lapsing = s.confirmed_circuit().await;
    order(&s, &lapsing, &[("AutoPay", "true")]).await;
    s.advance(1.0).await;
    let end = s.describe(&renewing).await["EndTime"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(end, "2026-12-29T16:00:00Z");
    s.advance(31.0 * 86400.0).await;
    // Local (UTC+8) 2026-12-30 + 2 months is clamped to 2027-02-28.
    let r = s.describe(&renewing).await;
    assert_eq!(
        (r["BusinessStatus"].as_str(), r["EndTime"].as_str()),
        (Some("Normal"), Some("2027-02-27T16:00:00Z"))
    );
    assert_eq!(
        s.describe(&lapsing).await["BusinessStatus"],
        "FinancialLocked"
    );
    assert_eq!(
        balance(&s).await,
        "996000.00",
        "two orders of 1,000.00 and a 2-month renewal"
    );
    let (_, orders) = s.admin("GET", "/admin/orders?account=default", None).await;
    let kinds: Vec<&str> = orders["Orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["Kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Occupancy", "Occupancy", "Renewal"]);
    // An account with a locked circuit cannot apply for another
    // (docs/design/circuits.md#create).
    let r = s
        .call(
            "CreatePhysicalConnection",
            &[
                ("RegionId", "cn-hangzhou"),
                ("AccessPointId", "ap-cn-hangzhou-yh-B"),
                ("LineOperator", "CT"),
            ],
        )
        .await;
    assert_eq!(r.code(), "Forbidden.FinancialLocked");
    s.shutdown().await;
}

#[tokio::test]
async fn pay_as_you_go_meters_each_hour_once_across_a_restart() {
    let mut s = TestServer::start().await;
    s.admin(
        "PUT",
        "/admin/accounts/default/balance",
        Some(json!({"balance": "5.00"})),
    )
    .await;
    let id = s.confirmed_circuit().await;
    order(&s, &id, &[("InstanceChargeType", "PostPaid")]).await;
    s.advance(1.0).await;
    assert_eq!(s.describe(&id).await["ChargeType"], "PostPaid");
    s.advance(2.0 * 3600.0).await;
    assert_eq!(balance(&s).await, "1.00");
    // Down for three hours: on the way back up each hour is metered once.
    s.restart().await;
    s.advance(3.0 * 3600.0).await;
    assert_eq!(balance(&s).await, "-5.00");
    let (_, ledger) = s.admin("GET", "/admin/accounts/default/ledger", None).await;
    let metered = ledger["Entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["Kind"] == "Metering")
        .count();
    assert_eq!(metered, 5);
    // Below zero since the 3rd hour; after 24 hours of grace it is locked,
    // and a locked circuit is no longer metered.
    assert_eq!(s.describe(&id).await["BusinessStatus"], "Normal");
    s.advance(21.5 * 3600.0).await;
    assert_eq!(s.describe(&id).await["BusinessStatus"], "Normal");
    s.advance(1.0 * 3600.0).await;
    assert_eq!(s.describe(&id).await["BusinessStatus"], "FinancialLocked");
    let locked_balance = balance(&s).await;
    s.advance(5.0 * 3600.0).await;
    assert_eq!(balance(&s).await, locked_balance);
    s.admin(
        "POST",
        "/admin/accounts/default/topup",
        Some(json!({"amount": "100"})),
    )
    .await;
    assert_eq!(s.describe(&id).await["BusinessStatus"], "Normal");
    s.shutdown().await;
}

/// With the system clock, billing runs on time and catches up after a
/// restart: a server that was "down" from the manual clock's instant until
/// real now meters every missed hour exactly once.
#[tokio::test]
async fn the_system_clock_catches_up_after_downtime() {
    let mut s = TestServer::start().await;
    let id = s.confirmed_circuit().await;
    order(&s, &id, &[("InstanceChargeType", "PostPaid")]).await;
    s.advance(1.0).await;
    let enabled =
        physconn_wire::parse_timestamp(s.describe(&id).await["EnabledTime"].as_str().unwrap())
            .unwrap();
    s.config.clock = physconn_server::ClockMode::System;
    s.restart().await;
    let missed = (time::OffsetDateTime::now_utc() - enabled).whole_hours();
    assert!(missed >= 1, "the manual clock started in the past");
    // The background loop catches up by itself; running the due steps here
    // as well (each fires once, whoever takes it) makes the check exact
    // without waiting.
    let state = s.r().state.clone();
    physconn_server::simulator::run_due(&state, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let (_, ledger) = s.admin("GET", "/admin/accounts/default/ledger", None).await;
    let metered = ledger["Entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["Kind"] == "Metering")
        .count() as i64;
    assert!(
        metered == missed || metered == missed + 1,
        "missed {missed} hours, metered {metered}"
    );
    s.shutdown().await;
}
