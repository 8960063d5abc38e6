//! CreatePhysicalConnectionOccupancyOrder: the seed
//! (docs/design/decisions.md#occupancy-precondition, #payment).

use super::params::Params;
use super::{
    client_token, idempotent_write_locked, require_region, scoped_circuit, CallCtx, Reply,
};
use crate::billing;
use physconn_domain::order::{OccupancyTerms, RawOccupancyTerms};
use physconn_domain::{DomainError, Order, OrderKind, ResponseStyle};
use physconn_wire::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

#[derive(Serialize, Deserialize)]
struct Placed {
    #[serde(rename = "OrderId")]
    order_id: String,
}

#[derive(Clone)]
struct Input {
    account: String,
    region: String,
    circuit: String,
    charge_type: Option<String>,
    period: Option<String>,
    pricing_cycle: Option<String>,
    auto_pay: Option<bool>,
    auto_renew: Option<bool>,
    auto_renew_duration: Option<String>,
}

pub async fn create(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    // docs/design/circuits.md#occupancy-check-order: required parameters, the
    // region, then idempotency, the circuit,
    // the enumerations and the state, in that order.
    p.required("RegionId")?;
    let circuit = p.required("PhysicalConnectionId")?.to_string();
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    let token = client_token(p)?;
    let input = std::sync::Arc::new(Input {
        account: ctx.account_id.clone(),
        region,
        circuit,
        charge_type: p.str("InstanceChargeType").map(str::to_string),
        period: p.non_empty("Period").map(str::to_string),
        pricing_cycle: p.non_empty("PricingCycle").map(str::to_string),
        auto_pay: p.bool("AutoPay")?,
        auto_renew: p.bool("AutoRenew")?,
        auto_renew_duration: p.non_empty("AutoRenewDuration").map(str::to_string),
    });
    let st = ctx.state.clone();
    let now = ctx.now;
    // The circuit, then the account whose balance and ledger the order moves.
    let locks = Some(physconn_store::RowLocks::circuit_then_account(
        &input.circuit,
        &input.account,
    ));
    let placed: Placed = idempotent_write_locked(ctx, token, locks, move |tx| {
        let (st, i) = (st.clone(), input.clone());
        Box::pin(async move {
            let mut c = scoped_circuit(
                tx,
                &i.account,
                &i.region,
                &i.circuit,
                DomainError::CircuitNotFound,
            )
            .await?;
            let terms = OccupancyTerms::resolve(
                &RawOccupancyTerms {
                    instance_charge_type: i.charge_type.as_deref(),
                    period: i.period.as_deref(),
                    pricing_cycle: i.pricing_cycle.as_deref(),
                    auto_pay: i.auto_pay,
                    auto_renew: i.auto_renew,
                    auto_renew_duration: i.auto_renew_duration.as_deref(),
                },
                st.config.api_profile,
            )?;
            c.check_occupancy_allowed()?;
            let amount = terms.amount(c.port_type, &st.config.prices)?;
            let mut account = tx
                .get_account(&i.account)
                .await?
                .ok_or(DomainError::AccountNotFound)?;
            let mut order = Order::unpaid(st.ids.order_id(), &c, OrderKind::Occupancy, amount, now)
                .with_terms(&terms);
            let paid =
                billing::settle_new_order(tx, &st, &mut account, &mut order, terms.auto_pay, now)
                    .await?;
            tx.insert_order(&order).await?;
            c.pending_order_id = Some(order.id.clone());
            tx.update_circuit(&c).await?;
            if paid {
                billing::schedule_activation(tx, &st, &c, now).await?;
            }
            Ok(Placed { order_id: order.id })
        })
    })
    .await?;
    crate::simulator::after_write(&ctx.state, ctx.steps).await;
    Ok(reply(ctx, &placed.order_id))
}

/// The response in the configured style (docs/design/decisions.md#response-styles).
fn reply(ctx: &CallCtx, order_id: &str) -> Reply {
    let rid = ctx.request_id.as_str();
    let numeric: Value = order_id
        .parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| json!(order_id));
    let sdk = [
        ("RequestId", json!(rid)),
        ("Data", json!({ "OrderId": order_id })),
    ];
    let seed_json = [
        ("message", json!("successful")),
        ("httpStatusCode", json!(200)),
        ("requestId", json!(rid)),
        ("data", json!({ "orderId": numeric })),
        ("code", json!("200")),
        ("success", json!(true)),
    ];
    // The seed's XML example lists the children alphabetically.
    let seed_xml = [
        ("code", json!("200")),
        ("data", json!({ "orderId": numeric })),
        ("httpStatusCode", json!(200)),
        ("message", json!("successful")),
        ("requestId", json!(rid)),
        ("success", json!(true)),
    ];
    let obj = |parts: &[&[(&str, Value)]]| {
        let mut m = Map::new();
        for part in parts {
            for (k, v) in part.iter() {
                m.insert(k.to_string(), v.clone());
            }
        }
        Value::Object(m)
    };
    let name = ctx.action.name();
    match ctx.state.config.response_style {
        ResponseStyle::Sdk => Reply {
            json: obj(&[&sdk]),
            xml_root: format!("{name}Response"),
            xml: None,
            json_bytes: None,
        },
        ResponseStyle::Seed => Reply {
            json: obj(&[&seed_json]),
            xml_root: name.to_string(),
            xml: Some(obj(&[&seed_xml])),
            json_bytes: None,
        },
        ResponseStyle::Union => Reply {
            json: obj(&[&sdk, &seed_json]),
            xml_root: name.to_string(),
            xml: Some(obj(&[&sdk, &seed_xml])),
            json_bytes: None,
        },
    }
}
