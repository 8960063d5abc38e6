//! Row shapes shared by both backends and their conversion to domain types.
//! Every column type (i64, String, bool, Option) decodes the same way on
//! SQLite and PostgreSQL.

use crate::{CircuitEvent, Fault, StoreError, Timer};
use physconn_domain::clock::{from_micros, to_micros};
use physconn_domain::idempotency::IdempotencyRecord;
use physconn_domain::{
    AccessKey, Account, BusinessStatus, ChargeType, Circuit, FaultOutcome, FaultScope, Fen,
    InstanceChargeType, KeyKind, KeyStatus, LedgerEntry, LedgerKind, LineOperator, LoaStatus,
    Order, OrderKind, PaymentStatus, PortType, PricingCycle, ProvisioningMode, Status, Time,
    TimerKind,
};
use std::collections::HashMap;

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} {v:?}"))
}

fn enum_col<T>(what: &str, v: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(v).ok_or_else(|| corrupt(what, v))
}

pub(crate) fn t(us: i64) -> Time {
    from_micros(us)
}

pub(crate) fn ot(us: Option<i64>) -> Option<Time> {
    us.map(from_micros)
}

pub(crate) fn us(t: Time) -> i64 {
    to_micros(t)
}

pub(crate) fn ous(t: Option<Time>) -> Option<i64> {
    t.map(to_micros)
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) balance_fen: i64,
    pub(crate) credit_limit_fen: i64,
    pub(crate) bypass_sp: bool,
    pub(crate) ledger_seq: i64,
    pub(crate) created_at: i64,
    pub(crate) provisioning_mode: Option<String>,
    pub(crate) overdue_since: Option<i64>,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        Account {
            provisioning_mode: r
                .provisioning_mode
                .as_deref()
                .and_then(ProvisioningMode::parse),
            overdue_since: ot(r.overdue_since),
            id: r.id,
            name: r.name,
            balance: Fen(r.balance_fen),
            credit_limit: Fen(r.credit_limit_fen),
            bypass_sp: r.bypass_sp,
            ledger_seq: r.ledger_seq,
            created_at: t(r.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    pub(crate) id: String,
    pub(crate) account_id: String,
    pub(crate) secret: String,
    pub(crate) status: String,
    pub(crate) security_token: Option<String>,
    pub(crate) expires_at: Option<i64>,
    pub(crate) created_at: i64,
}

impl TryFrom<KeyRow> for AccessKey {
    type Error = StoreError;
    fn try_from(r: KeyRow) -> Result<Self, StoreError> {
        let kind = match (r.security_token, r.expires_at) {
            (Some(security_token), Some(exp)) => KeyKind::Temporary {
                security_token,
                expires_at: t(exp),
            },
            _ => KeyKind::Permanent,
        };
        Ok(AccessKey {
            status: enum_col("key status", &r.status, KeyStatus::parse)?,
            id: r.id,
            account_id: r.account_id,
            secret: r.secret,
            kind,
            created_at: t(r.created_at),
        })
    }
}

pub(crate) fn key_token(k: &AccessKey) -> (Option<&str>, Option<i64>) {
    match &k.kind {
        KeyKind::Permanent => (None, None),
        KeyKind::Temporary {
            security_token,
            expires_at,
        } => (Some(security_token.as_str()), Some(us(*expires_at))),
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CircuitRow {
    pub(crate) id: String,
    pub(crate) account_id: String,
    pub(crate) region_id: String,
    pub(crate) access_point_id: String,
    pub(crate) status: String,
    pub(crate) business_status: String,
    pub(crate) loa_status: Option<String>,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) line_operator: String,
    pub(crate) port_type: String,
    pub(crate) bandwidth: i64,
    pub(crate) port_number: String,
    pub(crate) circuit_code: String,
    pub(crate) peer_location: String,
    pub(crate) ad_location: String,
    pub(crate) ad_detail_location: String,
    pub(crate) redundant_id: String,
    pub(crate) resource_group_id: String,
    pub(crate) created_at: i64,
    pub(crate) enabled_at: Option<i64>,
    pub(crate) end_at: Option<i64>,
    pub(crate) charge_type: Option<String>,
    pub(crate) pending_order_id: Option<String>,
    pub(crate) auto_renew: bool,
    pub(crate) auto_renew_duration: i64,
    pub(crate) deleted_at: Option<i64>,
    pub(crate) loa: Option<String>,
    pub(crate) provisioning_mode: Option<String>,
    pub(crate) metered_until: Option<i64>,
}

/// A circuit's `(status, business_status)` columns, typed.
pub(crate) fn circuit_status(
    status: &str,
    business: &str,
) -> Result<(Status, BusinessStatus), StoreError> {
    Ok((
        enum_col("status", status, Status::parse)?,
        enum_col("business status", business, BusinessStatus::parse)?,
    ))
}

impl CircuitRow {
    pub(crate) fn into_circuit(self, tags: Vec<(String, String)>) -> Result<Circuit, StoreError> {
        Ok(Circuit {
            status: enum_col("status", &self.status, Status::parse)?,
            business_status: enum_col(
                "business status",
                &self.business_status,
                BusinessStatus::parse,
            )?,
            loa_status: match self.loa_status.as_deref() {
                None => None,
                Some(s) => Some(enum_col("LOA status", s, LoaStatus::parse)?),
            },
            line_operator: enum_col("line operator", &self.line_operator, LineOperator::parse)?,
            port_type: enum_col("port type", &self.port_type, PortType::parse)?,
            charge_type: match self.charge_type.as_deref() {
                None => None,
                Some(s) => Some(enum_col("charge type", s, ChargeType::parse)?),
            },
            id: self.id,
            account_id: self.account_id,
            region_id: self.region_id,
            access_point_id: self.access_point_id,
            name: self.name,
            description: self.description,
            bandwidth: self.bandwidth,
            port_number: self.port_number,
            circuit_code: self.circuit_code,
            peer_location: self.peer_location,
            ad_location: self.ad_location,
            ad_detail_location: self.ad_detail_location,
            redundant_id: self.redundant_id,
            resource_group_id: self.resource_group_id,
            created_at: t(self.created_at),
            enabled_at: ot(self.enabled_at),
            end_at: ot(self.end_at),
            pending_order_id: self.pending_order_id,
            auto_renew: self.auto_renew,
            auto_renew_duration: self.auto_renew_duration,
            deleted_at: ot(self.deleted_at),
            tags,
            loa: match self.loa.as_deref() {
                None => None,
                Some(j) => Some(
                    serde_json::from_str(j)
                        .map_err(|e| StoreError::Corrupt(format!("LOA: {e}")))?,
                ),
            },
            provisioning_mode: match self.provisioning_mode.as_deref() {
                None => None,
                Some(s) => Some(enum_col("provisioning mode", s, ProvisioningMode::parse)?),
            },
            metered_until: ot(self.metered_until),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TagRow {
    pub(crate) circuit_id: String,
    pub(crate) tag_key: String,
    pub(crate) tag_value: String,
}

/// Circuits from their rows and the tag rows of them all (in tag order).
pub(crate) fn with_tags(
    rows: Vec<CircuitRow>,
    tags: Vec<TagRow>,
) -> Result<Vec<Circuit>, StoreError> {
    let mut by_id: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for t in tags {
        by_id
            .entry(t.circuit_id)
            .or_default()
            .push((t.tag_key, t.tag_value));
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let tags = by_id.remove(&r.id).unwrap_or_default();
        out.push(r.into_circuit(tags)?);
    }
    Ok(out)
}

#[derive(sqlx::FromRow)]
pub(crate) struct OrderRow {
    pub(crate) id: String,
    pub(crate) account_id: String,
    pub(crate) circuit_id: String,
    pub(crate) region_id: String,
    pub(crate) kind: String,
    pub(crate) status: String,
    pub(crate) abnormal_reason: Option<String>,
    pub(crate) charge_type: String,
    pub(crate) period: i64,
    pub(crate) pricing_cycle: String,
    pub(crate) auto_renew: bool,
    pub(crate) auto_renew_duration: i64,
    pub(crate) port_type: String,
    pub(crate) amount_fen: i64,
    pub(crate) currency: String,
    pub(crate) created_at: i64,
    pub(crate) paid_at: Option<i64>,
    pub(crate) cancelled_at: Option<i64>,
    pub(crate) related_order_id: Option<String>,
}

impl TryFrom<OrderRow> for Order {
    type Error = StoreError;
    fn try_from(r: OrderRow) -> Result<Self, StoreError> {
        Ok(Order {
            kind: enum_col("order kind", &r.kind, OrderKind::parse)?,
            status: enum_col("payment status", &r.status, PaymentStatus::parse)?,
            charge_type: enum_col("charge type", &r.charge_type, InstanceChargeType::parse)?,
            pricing_cycle: enum_col("pricing cycle", &r.pricing_cycle, PricingCycle::parse)?,
            port_type: enum_col("port type", &r.port_type, PortType::parse)?,
            id: r.id,
            account_id: r.account_id,
            circuit_id: r.circuit_id,
            region_id: r.region_id,
            abnormal_reason: r.abnormal_reason,
            period: r.period,
            auto_renew: r.auto_renew,
            auto_renew_duration: r.auto_renew_duration,
            amount: Fen(r.amount_fen),
            currency: r.currency,
            created_at: t(r.created_at),
            paid_at: ot(r.paid_at),
            cancelled_at: ot(r.cancelled_at),
            related_order_id: r.related_order_id,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct LedgerRow {
    pub(crate) id: String,
    pub(crate) account_id: String,
    pub(crate) seq: i64,
    pub(crate) amount_fen: i64,
    pub(crate) balance_after_fen: i64,
    pub(crate) kind: String,
    pub(crate) order_id: Option<String>,
    pub(crate) note: String,
    pub(crate) created_at: i64,
}

impl TryFrom<LedgerRow> for LedgerEntry {
    type Error = StoreError;
    fn try_from(r: LedgerRow) -> Result<Self, StoreError> {
        Ok(LedgerEntry {
            kind: enum_col("ledger kind", &r.kind, LedgerKind::parse)?,
            id: r.id,
            account_id: r.account_id,
            seq: r.seq,
            amount: Fen(r.amount_fen),
            balance_after: Fen(r.balance_after_fen),
            order_id: r.order_id,
            note: r.note,
            created_at: t(r.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct IdemRow {
    pub(crate) account_id: String,
    pub(crate) action: String,
    pub(crate) token: String,
    pub(crate) fingerprint: String,
    pub(crate) response: String,
    pub(crate) created_at: i64,
}

impl From<IdemRow> for IdempotencyRecord {
    fn from(r: IdemRow) -> Self {
        IdempotencyRecord {
            account_id: r.account_id,
            action: r.action,
            token: r.token,
            fingerprint: r.fingerprint,
            response: r.response,
            created_at: t(r.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TimerRow {
    pub(crate) id: String,
    pub(crate) circuit_id: String,
    pub(crate) kind: String,
    pub(crate) expect_status: String,
    pub(crate) due_at: i64,
    pub(crate) created_at: i64,
}

impl TryFrom<TimerRow> for Timer {
    type Error = StoreError;
    fn try_from(r: TimerRow) -> Result<Self, StoreError> {
        Ok(Timer {
            expect_status: match r.expect_status.as_str() {
                "" => None,
                s => Some(enum_col("status", s, Status::parse)?),
            },
            id: r.id,
            circuit_id: r.circuit_id,
            kind: enum_col("timer kind", &r.kind, TimerKind::parse)?,
            due_at: t(r.due_at),
            created_at: t(r.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub(crate) id: String,
    pub(crate) circuit_id: String,
    pub(crate) at: i64,
    pub(crate) from_status: Option<String>,
    pub(crate) to_status: String,
    pub(crate) cause: String,
}

impl TryFrom<EventRow> for CircuitEvent {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        Ok(CircuitEvent {
            from_status: match r.from_status.as_deref() {
                None => None,
                Some(s) => Some(enum_col("status", s, Status::parse)?),
            },
            to_status: enum_col("status", &r.to_status, Status::parse)?,
            id: r.id,
            circuit_id: r.circuit_id,
            at: t(r.at),
            cause: r.cause,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct FaultRow {
    pub(crate) id: String,
    pub(crate) scope: String,
    pub(crate) target: String,
    pub(crate) outcome: String,
    pub(crate) remaining: i64,
    pub(crate) share_ppm: i64,
    pub(crate) created_at: i64,
}

impl TryFrom<FaultRow> for Fault {
    type Error = StoreError;
    fn try_from(r: FaultRow) -> Result<Self, StoreError> {
        Ok(Fault {
            outcome: enum_col("fault outcome", &r.outcome, FaultOutcome::parse)?,
            scope: enum_col("fault scope", &r.scope, FaultScope::parse)?,
            id: r.id,
            target: r.target,
            remaining: r.remaining,
            share_ppm: r.share_ppm,
            created_at: t(r.created_at),
        })
    }
}
