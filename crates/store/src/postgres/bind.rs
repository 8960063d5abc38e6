//! Binding values to sqlx queries: a built statement's arguments
//! (`sql/query.rs`) and a row's values in the column orders of `sql/text.rs`.

use crate::ops::{CircuitEvent, Timer};
use crate::sql::query::Arg;
use crate::sql::rows::{ous, us};
use crate::StoreError;
use physconn_domain::idempotency::IdempotencyRecord;
use physconn_domain::{Account, Circuit, Order};
use sqlx::postgres::PgArguments;
use sqlx::Arguments;

pub(super) type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, PgArguments>;

/// The arguments of a statement written with `$1…$n`, in order.
pub(super) fn args(list: &[Arg<'_>]) -> Result<PgArguments, StoreError> {
    let mut out = PgArguments::default();
    for a in list {
        match *a {
            Arg::Text(s) => out.add(s),
            Arg::Int(i) => out.add(i),
        }
        .map_err(|e| StoreError::Database(format!("cannot bind an argument: {e}")))?;
    }
    Ok(out)
}

/// Binds a circuit's columns in `CIRCUIT_COLS` order.
pub(super) fn bind_circuit<'q>(q: Query<'q>, c: &'q Circuit) -> Query<'q> {
    q.bind(&c.id)
        .bind(&c.account_id)
        .bind(&c.region_id)
        .bind(&c.access_point_id)
        .bind(c.status.as_str())
        .bind(c.business_status.as_str())
        .bind(c.loa_status.map(|s| s.as_str()))
        .bind(&c.name)
        .bind(&c.description)
        .bind(c.line_operator.as_str())
        .bind(c.port_type.as_str())
        .bind(c.bandwidth)
        .bind(&c.port_number)
        .bind(&c.circuit_code)
        .bind(&c.peer_location)
        .bind(&c.ad_location)
        .bind(&c.ad_detail_location)
        .bind(&c.redundant_id)
        .bind(&c.resource_group_id)
        .bind(us(c.created_at))
        .bind(ous(c.enabled_at))
        .bind(ous(c.end_at))
        .bind(c.charge_type.map(|s| s.as_str()))
        .bind(c.pending_order_id.as_deref())
        .bind(c.auto_renew)
        .bind(c.auto_renew_duration)
        .bind(ous(c.deleted_at))
        .bind(c.loa.as_ref().and_then(|l| serde_json::to_string(l).ok()))
        .bind(c.provisioning_mode.map(|m| m.as_str()))
        .bind(ous(c.metered_until))
}

/// Binds an event's columns in `EVENT_COLS` order.
pub(super) fn bind_event<'q>(q: Query<'q>, e: &'q CircuitEvent) -> Query<'q> {
    q.bind(&e.id)
        .bind(&e.circuit_id)
        .bind(us(e.at))
        .bind(e.from_status.map(|s| s.as_str()))
        .bind(e.to_status.as_str())
        .bind(&e.cause)
}

/// Binds a timer's columns in `TIMER_COLS` order.
pub(super) fn bind_timer<'q>(q: Query<'q>, t: &'q Timer) -> Query<'q> {
    q.bind(&t.id)
        .bind(&t.circuit_id)
        .bind(t.kind.as_str())
        .bind(t.expect_status.map_or("", |s| s.as_str()))
        .bind(us(t.due_at))
        .bind(us(t.created_at))
}

/// Binds an order's columns in `ORDER_COLS` order.
pub(super) fn bind_order<'q>(q: Query<'q>, o: &'q Order) -> Query<'q> {
    q.bind(&o.id)
        .bind(&o.account_id)
        .bind(&o.circuit_id)
        .bind(&o.region_id)
        .bind(o.kind.as_str())
        .bind(o.status.as_str())
        .bind(o.abnormal_reason.as_deref())
        .bind(o.charge_type.as_str())
        .bind(o.period)
        .bind(o.pricing_cycle.as_str())
        .bind(o.auto_renew)
        .bind(o.auto_renew_duration)
        .bind(o.port_type.as_str())
        .bind(o.amount.0)
        .bind(&o.currency)
        .bind(us(o.created_at))
        .bind(ous(o.paid_at))
        .bind(ous(o.cancelled_at))
        .bind(o.related_order_id.as_deref())
}

/// Binds an account's columns in `ACCOUNT_COLS` order.
pub(super) fn bind_account<'q>(q: Query<'q>, a: &'q Account) -> Query<'q> {
    q.bind(&a.id)
        .bind(&a.name)
        .bind(a.balance.0)
        .bind(a.credit_limit.0)
        .bind(a.bypass_sp)
        .bind(a.ledger_seq)
        .bind(us(a.created_at))
        .bind(a.provisioning_mode.map(|m| m.as_str()))
        .bind(ous(a.overdue_since))
}

/// Binds an idempotency record's columns in `IDEM_COLS` order.
pub(super) fn bind_idempotency<'q>(q: Query<'q>, r: &'q IdempotencyRecord) -> Query<'q> {
    q.bind(&r.account_id)
        .bind(&r.action)
        .bind(&r.token)
        .bind(&r.fingerprint)
        .bind(&r.response)
        .bind(us(r.created_at))
}
