//! The BSS subset (docs/design/billing.md#bss): BssOpenApi `2017-12-14` on the
//! same endpoint. Amounts are strings with two decimals; the envelope is
//! `{Code, Message, RequestId, Success, Data}` with each action's own
//! Code/Message texts (PayOrder has no envelope).

use super::params::Params;
use super::{read, CallCtx, Reply};
use crate::billing;
use physconn_domain::ram::ResourceType;
use physconn_domain::{
    Account, ChargeType, Circuit, DomainError, InstanceChargeType, LedgerEntry, LedgerKind, Order,
    OrderKind, Time,
};
use physconn_store::OpError;
use physconn_wire::timefmt::{format_timestamp, parse_timestamp};
use physconn_wire::ApiError;
use serde_json::{json, Map, Value};
use std::sync::Arc;

fn envelope(ctx: &CallCtx, code: &str, message: &str, data: Value) -> Reply {
    Reply::standard(
        ctx,
        vec![
            ("Code", json!(code)),
            ("Message", json!(message)),
            ("Success", json!(true)),
            ("Data", data),
        ],
    )
}

/// The caller's AccountId, shared with a transaction closure.
fn account_of(ctx: &CallCtx) -> Arc<String> {
    Arc::new(ctx.account_id.clone())
}

async fn load_account(ctx: &CallCtx) -> Result<Account, ApiError> {
    let id = account_of(ctx);
    read(ctx, move |tx| {
        let id = id.clone();
        Box::pin(async move {
            tx.get_account(&id)
                .await?
                .ok_or(OpError::Domain(DomainError::AccountNotFound))
        })
    })
    .await
}

pub async fn query_account_balance(ctx: &CallCtx, _p: &Params) -> Result<Reply, ApiError> {
    let a = load_account(ctx).await?;
    Ok(envelope(
        ctx,
        "200",
        "success",
        json!({
            "AvailableAmount": a.available().to_string(),
            "AvailableCashAmount": a.balance.to_string(),
            "CreditAmount": a.credit_limit.to_string(),
            "MybankCreditAmount": "0.00",
            "Currency": "CNY",
            "QuotaLimit": "0.00",
        }),
    ))
}

fn product_code(o: &Order) -> &'static str {
    match o.kind {
        OrderKind::Setup => "pconn_setup",
        OrderKind::Occupancy | OrderKind::Renewal => "pconn",
    }
}

fn subscription_type(ct: InstanceChargeType) -> &'static str {
    match ct {
        InstanceChargeType::PrePaid => "Subscription",
        InstanceChargeType::PostPaid => "PayAsYouGo",
    }
}

fn order_type(o: &Order) -> &'static str {
    match o.kind {
        OrderKind::Renewal => "Renew",
        _ => "New",
    }
}

fn opt_time(t: Option<Time>) -> String {
    t.map(format_timestamp).unwrap_or_default()
}

/// The `QueryOrders` shape: every field a string.
fn order_summary(o: &Order) -> Map<String, Value> {
    let amount = o.amount.to_string();
    let fields = [
        ("OrderId", o.id.clone()),
        (
            "RelatedOrderId",
            o.related_order_id.clone().unwrap_or_default(),
        ),
        ("OrderType", order_type(o).into()),
        ("PaymentStatus", o.status.as_str().into()),
        ("SubscriptionType", subscription_type(o.charge_type).into()),
        ("ProductCode", product_code(o).into()),
        ("ProductType", String::new()),
        ("CommodityCode", product_code(o).into()),
        ("CreateTime", format_timestamp(o.created_at)),
        ("PaymentTime", opt_time(o.paid_at)),
        ("Currency", o.currency.clone()),
        ("PaymentCurrency", o.currency.clone()),
        ("PretaxGrossAmount", amount.clone()),
        ("PretaxAmount", amount.clone()),
        ("PretaxAmountLocal", amount.clone()),
        ("Tax", "0.00".into()),
        ("AfterTaxAmount", amount),
    ];
    fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v)))
        .collect()
}

fn time_param(p: &Params, name: &str) -> Result<Option<Time>, ApiError> {
    p.non_empty(name)
        .map(|s| parse_timestamp(s).map_err(|_| ApiError::invalid_parameter(name)))
        .transpose()
}

fn page(
    p: &Params,
    num: &str,
    size: &str,
    default_size: i64,
    max: i64,
) -> Result<(i64, i64), ApiError> {
    let n = p.int(num)?.unwrap_or(1);
    let s = p.int(size)?.unwrap_or(default_size);
    if n < 1 {
        return Err(ApiError::invalid_parameter(num));
    }
    if !(1..=max).contains(&s) {
        return Err(ApiError::invalid_parameter(size));
    }
    Ok((n, s))
}

fn slice<T: Clone>(items: &[T], num: i64, size: i64) -> Vec<T> {
    let start = usize::try_from((num - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    items
        .iter()
        .skip(start)
        .take(usize::try_from(size).unwrap_or(0))
        .cloned()
        .collect()
}

async fn orders_of(ctx: &CallCtx) -> Result<Vec<Order>, ApiError> {
    let id = account_of(ctx);
    read(ctx, move |tx| {
        let id = id.clone();
        Box::pin(async move { tx.list_orders(Some(&id)).await })
    })
    .await
}

/// `QueryOrders`: both times absent means the last hour.
pub async fn query_orders(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let (start, end) = (
        time_param(p, "CreateTimeStart")?,
        time_param(p, "CreateTimeEnd")?,
    );
    let (start, end) = match (start, end) {
        (None, None) => (ctx.now - time::Duration::HOUR, ctx.now),
        (s, e) => (s.unwrap_or(Time::UNIX_EPOCH), e.unwrap_or(ctx.now)),
    };
    let (num, size) = page(p, "PageNum", "PageSize", 20, 100)?;
    let filter = |name: &str| p.non_empty(name).map(str::to_string);
    let (product, sub, otype, pay) = (
        filter("ProductCode"),
        filter("SubscriptionType"),
        filter("OrderType"),
        filter("PaymentStatus"),
    );
    let mut orders: Vec<Order> = orders_of(ctx)
        .await?
        .into_iter()
        .filter(|o| o.created_at >= start && o.created_at <= end)
        .filter(|o| product.as_deref().is_none_or(|v| v == product_code(o)))
        .filter(|o| {
            sub.as_deref()
                .is_none_or(|v| v == subscription_type(o.charge_type))
        })
        .filter(|o| otype.as_deref().is_none_or(|v| v == order_type(o)))
        .filter(|o| pay.as_deref().is_none_or(|v| v == o.status.as_str()))
        .collect();
    orders.reverse();
    let items: Vec<Value> = slice(&orders, num, size)
        .iter()
        .map(|o| Value::Object(order_summary(o)))
        .collect();
    Ok(envelope(
        ctx,
        "Success",
        "Successful!",
        json!({"HostName": "cn", "PageNum": num, "PageSize": size, "TotalCount": orders.len(), "OrderList": {"Order": items}}),
    ))
}

async fn find_order(ctx: &CallCtx, id: &str) -> Result<Order, ApiError> {
    let account = account_of(ctx);
    let id = Arc::new(id.to_string());
    read(ctx, move |tx| {
        let (account, id) = (account.clone(), id.clone());
        Box::pin(async move {
            tx.get_order(&id)
                .await?
                .filter(|o| o.account_id == *account)
                .ok_or(OpError::Domain(DomainError::OrderNotFound))
        })
    })
    .await
}

pub async fn get_order_detail(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let o = find_order(ctx, p.required("OrderId")?).await?;
    let mut m = order_summary(&o);
    let months = o.months().unwrap_or(0);
    let usage_end = o
        .paid_at
        .map(|t| physconn_domain::circuit::subscription_end(t, months.max(0)));
    let extra = [
        ("SubOrderId", o.id.clone()),
        ("OrderSubType", "ProductSubOrder".into()),
        ("UsageStartTime", opt_time(o.paid_at)),
        ("UsageEndTime", opt_time(usage_end)),
        ("Region", o.region_id.clone()),
        ("Quantity", "1".into()),
        ("InstanceIDs", json!([o.circuit_id]).to_string()),
        ("Operator", String::new()),
        (
            "Config",
            format!(
                "PortType:{};Period:{};PricingCycle:{}",
                o.port_type, o.period, o.pricing_cycle
            ),
        ),
        ("OriginalConfig", String::new()),
    ];
    for (k, v) in extra {
        m.insert(k.into(), Value::String(v));
    }
    m.insert("ExtendInfos".into(), json!({}));
    Ok(envelope(
        ctx,
        "Success",
        "Successful!",
        json!({"HostName": "cn", "PageNum": 1, "PageSize": 1, "TotalCount": 1, "OrderList": {"Order": [Value::Object(m)]}}),
    ))
}

pub async fn cancel_order(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let order_id = Arc::new(p.required("OrderId")?.to_string());
    let account = account_of(ctx);
    let now = ctx.now;
    physconn_store::write(&*ctx.state.store, move |tx| {
        let (account, order_id) = (account.clone(), order_id.clone());
        Box::pin(async move { billing::void(tx, &account, &order_id, now).await })
    })
    .await
    .map_err(crate::errors::from_op)?;
    Ok(envelope(
        ctx,
        "Success",
        "Successful!",
        json!({"HostId": "cn"}),
    ))
}

/// `PayOrder`: OrderId is an int64 in the SDK; the answer
/// has no envelope.
pub async fn pay_order(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let raw = p.required("OrderId")?;
    raw.parse::<i64>()
        .map_err(|_| ApiError::invalid_parameter("OrderId"))?;
    let order_id = Arc::new(raw.to_string());
    let (account, st) = (account_of(ctx), ctx.state.clone());
    let now = ctx.now;
    let order = physconn_store::write(&*ctx.state.store, move |tx| {
        let (account, order_id, st) = (account.clone(), order_id.clone(), st.clone());
        Box::pin(async move { billing::pay_existing(tx, &st, &account, &order_id, now).await })
    })
    .await
    .map_err(crate::errors::from_op)?;
    crate::simulator::after_write(&ctx.state, ctx.steps).await;
    let as_int = |s: &str| s.parse::<i64>().map(Value::from).unwrap_or(Value::Null);
    Ok(Reply::standard(
        ctx,
        vec![
            ("OrderId", as_int(&order.id)),
            ("PayerId", as_int(&order.account_id)),
            ("PayStatus", json!(1)),
            ("Metadata", json!({})),
        ],
    ))
}

/// `QueryAccountTransactions`: the ledger as the account statement.
pub async fn query_account_transactions(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let (start, end) = (
        time_param(p, "CreateTimeStart")?,
        time_param(p, "CreateTimeEnd")?,
    );
    let (start, end) = match (start, end) {
        (None, None) => (ctx.now - time::Duration::days(31), ctx.now),
        (s, e) => (s.unwrap_or(Time::UNIX_EPOCH), e.unwrap_or(ctx.now)),
    };
    let (num, size) = page(p, "PageNum", "PageSize", 20, 300)?;
    let a = load_account(ctx).await?;
    let account = account_of(ctx);
    let entries = read(ctx, move |tx| {
        let account = account.clone();
        Box::pin(async move { tx.list_ledger(&account, i64::MAX).await })
    })
    .await?;
    let flow_of = |e: &LedgerEntry| if e.amount.0 < 0 { "Expense" } else { "Income" };
    let type_of = |e: &LedgerEntry| match e.kind {
        LedgerKind::OrderPayment | LedgerKind::Metering => "Consumption",
        LedgerKind::TopUp | LedgerKind::Opening => "Payment",
        LedgerKind::Adjustment => "Adjust",
    };
    let f = |name: &str| p.non_empty(name).map(str::to_string);
    let (flow, ttype, record, number) = (
        f("TransactionFlow"),
        f("TransactionType"),
        f("RecordID"),
        f("TransactionNumber"),
    );
    let rows: Vec<&LedgerEntry> = entries
        .iter()
        .filter(|e| e.created_at >= start && e.created_at <= end)
        .filter(|e| flow.as_deref().is_none_or(|v| v == flow_of(e)))
        .filter(|e| ttype.as_deref().is_none_or(|v| v == type_of(e)))
        .filter(|e| {
            record
                .as_deref()
                .is_none_or(|v| Some(v) == e.order_id.as_deref() || v == e.id)
        })
        .filter(|e| number.as_deref().is_none_or(|v| v == e.id))
        .collect();
    let items: Vec<Value> = slice(&rows, num, size)
        .iter()
        .map(|e| {
            let cycle = format!(
                "{:04}-{:02}",
                e.created_at.year(),
                u8::from(e.created_at.month())
            );
            json!({
                "TransactionNumber": e.id,
                "TransactionTime": format_timestamp(e.created_at),
                "TransactionFlow": flow_of(e),
                "TransactionType": type_of(e),
                "TransactionChannel": "AccountBalance",
                "TransactionChannelSN": "",
                "FundType": "Cash",
                "RecordID": e.order_id.clone().unwrap_or_else(|| e.id.clone()),
                "Remarks": e.note,
                "BillingCycle": cycle,
                "Amount": physconn_domain::Fen(e.amount.0.abs()).to_string(),
                "Balance": e.balance_after.to_string(),
                "TransactionAccount": a.name,
            })
        })
        .collect();
    Ok(envelope(
        ctx,
        "200",
        "success",
        json!({"AccountName": a.name, "PageNum": num, "PageSize": size, "TotalCount": rows.len(),
               "AccountTransactionsList": {"AccountTransactionsList": items}}),
    ))
}

fn instance_json(c: &Circuit, owner: i64) -> Value {
    let sub = match c.charge_type {
        Some(ChargeType::PostPaid) => "PayAsYouGo",
        _ => "Subscription",
    };
    let status = match c.business_status {
        physconn_domain::BusinessStatus::Normal => "Normal",
        _ => "Stopped",
    };
    json!({
        "InstanceID": c.id,
        "ProductCode": "pconn",
        "ProductType": "",
        "SubscriptionType": sub,
        "Status": status,
        "SubStatus": if status == "Normal" { "Normal" } else { "Expired" },
        "CreateTime": format_timestamp(c.created_at),
        "EndTime": opt_time(c.end_at),
        "StopTime": "",
        "ReleaseTime": "",
        "ExpectedReleaseTime": "",
        "RenewStatus": if c.auto_renew { "AutoRenewal" } else { "ManualRenewal" },
        "RenewalDuration": c.auto_renew_duration,
        "RenewalDurationUnit": "M",
        "Region": c.region_id,
        "OwnerId": owner,
        "Seller": "",
        "SellerId": 0,
    })
}

/// `QueryAvailableInstances`: the account's enabled physical connections
/// (the Terraform provider calls this once at start-up).
pub async fn query_available_instances(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let (num, size) = page(p, "PageNum", "PageSize", 20, 300)?;
    let ids: Option<Vec<String>> = p
        .non_empty("InstanceIDs")
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
    let f = |name: &str| p.non_empty(name).map(str::to_string);
    let (product, sub, renew, region) = (
        f("ProductCode"),
        f("SubscriptionType"),
        f("RenewStatus"),
        f("Region"),
    );
    let account = account_of(ctx);
    let circuits = read(ctx, move |tx| {
        let account = account.clone();
        Box::pin(async move { tx.list_account_circuits(&account).await })
    })
    .await?;
    let owner = ctx.account_id.parse::<i64>().unwrap_or(0);
    let rows: Vec<Value> = circuits
        .iter()
        .filter(|c| c.charge_type.is_some() && c.enabled_at.is_some())
        // Named instances a RAM user may not see are left out
        // (docs/design/decisions.md#ram-listings).
        .filter(|c| {
            ids.is_none() || ctx.sees(&c.region_id, ResourceType::PhysicalConnection, &c.id)
        })
        .map(|c| instance_json(c, owner))
        .filter(|v| {
            ids.as_ref()
                .is_none_or(|ids| ids.iter().any(|i| v["InstanceID"] == i.as_str()))
        })
        .filter(|v| product.as_deref().is_none_or(|x| v["ProductCode"] == x))
        .filter(|v| sub.as_deref().is_none_or(|x| v["SubscriptionType"] == x))
        .filter(|v| renew.as_deref().is_none_or(|x| v["RenewStatus"] == x))
        .filter(|v| region.as_deref().is_none_or(|x| v["Region"] == x))
        .collect();
    Ok(envelope(
        ctx,
        "200",
        "Successful!",
        json!({"PageNum": num, "PageSize": size, "TotalCount": rows.len(), "InstanceList": slice(&rows, num, size)}),
    ))
}
