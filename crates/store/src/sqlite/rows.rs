//! rusqlite plumbing of the SQLite backend: binding the shared `$N` statement
//! texts, reading rows into the shared row shapes (`sql/rows.rs`, columns in the
//! `*_COLS` order of `sql/text.rs`), and mapping errors.

use crate::sql::query::Arg;
use crate::sql::rows::{
    AccountRow, CircuitRow, EventRow, FaultRow, IdemRow, KeyRow, LedgerRow, OrderRow, TagRow,
    TimerRow,
};
use crate::{OpError, StoreError};
use rusqlite::types::{ToSql, ToSqlOutput};
use rusqlite::{Row, Statement};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            // Another connection holds the lock past the busy timeout.
            Some(C::DatabaseBusy | C::DatabaseLocked) => StoreError::Conflict,
            _ => StoreError::Database(e.to_string()),
        }
    }
}

impl From<rusqlite::Error> for OpError {
    fn from(e: rusqlite::Error) -> Self {
        OpError::Store(e.into())
    }
}

impl ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Arg::Text(s) => s.to_sql(),
            Arg::Int(i) => i.to_sql(),
        }
    }
}

/// Binds `args` to a statement written with `$1…$n`: SQLite numbers the
/// parameters by first appearance, so each is bound by its name (`$2` may
/// come before `$1`, and one may appear twice).
pub(crate) fn bind(stmt: &mut Statement<'_>, args: &[&dyn ToSql]) -> rusqlite::Result<()> {
    for i in 1..=stmt.parameter_count() {
        let n = stmt
            .parameter_name(i)
            .and_then(|n| n.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (1..=args.len()).contains(n))
            .ok_or_else(|| {
                rusqlite::Error::InvalidParameterName(
                    stmt.parameter_name(i).unwrap_or("?").to_string(),
                )
            })?;
        stmt.raw_bind_parameter(i, args[n - 1])?;
    }
    Ok(())
}

pub(crate) fn account(r: &Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        id: r.get(0)?,
        name: r.get(1)?,
        balance_fen: r.get(2)?,
        credit_limit_fen: r.get(3)?,
        bypass_sp: r.get(4)?,
        ledger_seq: r.get(5)?,
        created_at: r.get(6)?,
        provisioning_mode: r.get(7)?,
        overdue_since: r.get(8)?,
    })
}

pub(crate) fn key(r: &Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok(KeyRow {
        id: r.get(0)?,
        account_id: r.get(1)?,
        secret: r.get(2)?,
        status: r.get(3)?,
        security_token: r.get(4)?,
        expires_at: r.get(5)?,
        created_at: r.get(6)?,
    })
}

pub(crate) fn circuit(r: &Row<'_>) -> rusqlite::Result<CircuitRow> {
    Ok(CircuitRow {
        id: r.get(0)?,
        account_id: r.get(1)?,
        region_id: r.get(2)?,
        access_point_id: r.get(3)?,
        status: r.get(4)?,
        business_status: r.get(5)?,
        loa_status: r.get(6)?,
        name: r.get(7)?,
        description: r.get(8)?,
        line_operator: r.get(9)?,
        port_type: r.get(10)?,
        bandwidth: r.get(11)?,
        port_number: r.get(12)?,
        circuit_code: r.get(13)?,
        peer_location: r.get(14)?,
        ad_location: r.get(15)?,
        ad_detail_location: r.get(16)?,
        redundant_id: r.get(17)?,
        resource_group_id: r.get(18)?,
        created_at: r.get(19)?,
        enabled_at: r.get(20)?,
        end_at: r.get(21)?,
        charge_type: r.get(22)?,
        pending_order_id: r.get(23)?,
        auto_renew: r.get(24)?,
        auto_renew_duration: r.get(25)?,
        deleted_at: r.get(26)?,
        loa: r.get(27)?,
        provisioning_mode: r.get(28)?,
        metered_until: r.get(29)?,
    })
}

pub(crate) fn tag(r: &Row<'_>) -> rusqlite::Result<TagRow> {
    Ok(TagRow {
        circuit_id: r.get(0)?,
        tag_key: r.get(1)?,
        tag_value: r.get(2)?,
    })
}

pub(crate) fn order(r: &Row<'_>) -> rusqlite::Result<OrderRow> {
    Ok(OrderRow {
        id: r.get(0)?,
        account_id: r.get(1)?,
        circuit_id: r.get(2)?,
        region_id: r.get(3)?,
        kind: r.get(4)?,
        status: r.get(5)?,
        abnormal_reason: r.get(6)?,
        charge_type: r.get(7)?,
        period: r.get(8)?,
        pricing_cycle: r.get(9)?,
        auto_renew: r.get(10)?,
        auto_renew_duration: r.get(11)?,
        port_type: r.get(12)?,
        amount_fen: r.get(13)?,
        currency: r.get(14)?,
        created_at: r.get(15)?,
        paid_at: r.get(16)?,
        cancelled_at: r.get(17)?,
        related_order_id: r.get(18)?,
    })
}

pub(crate) fn ledger(r: &Row<'_>) -> rusqlite::Result<LedgerRow> {
    Ok(LedgerRow {
        id: r.get(0)?,
        account_id: r.get(1)?,
        seq: r.get(2)?,
        amount_fen: r.get(3)?,
        balance_after_fen: r.get(4)?,
        kind: r.get(5)?,
        order_id: r.get(6)?,
        note: r.get(7)?,
        created_at: r.get(8)?,
    })
}

pub(crate) fn idem(r: &Row<'_>) -> rusqlite::Result<IdemRow> {
    Ok(IdemRow {
        account_id: r.get(0)?,
        action: r.get(1)?,
        token: r.get(2)?,
        fingerprint: r.get(3)?,
        response: r.get(4)?,
        created_at: r.get(5)?,
    })
}

pub(crate) fn timer(r: &Row<'_>) -> rusqlite::Result<TimerRow> {
    Ok(TimerRow {
        id: r.get(0)?,
        circuit_id: r.get(1)?,
        kind: r.get(2)?,
        expect_status: r.get(3)?,
        due_at: r.get(4)?,
        created_at: r.get(5)?,
    })
}

pub(crate) fn event(r: &Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        id: r.get(0)?,
        circuit_id: r.get(1)?,
        at: r.get(2)?,
        from_status: r.get(3)?,
        to_status: r.get(4)?,
        cause: r.get(5)?,
    })
}

pub(crate) fn fault(r: &Row<'_>) -> rusqlite::Result<FaultRow> {
    Ok(FaultRow {
        id: r.get(0)?,
        scope: r.get(1)?,
        target: r.get(2)?,
        outcome: r.get(3)?,
        remaining: r.get(4)?,
        share_ppm: r.get(5)?,
        created_at: r.get(6)?,
    })
}
