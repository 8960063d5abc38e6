//! Orders and the terms of an occupancy order (docs/design/billing.md#orders).

use crate::circuit::{wire_enum, ChargeType, Circuit, PortType};
use crate::error::DomainError;
use crate::money::Fen;
use crate::price::PriceTable;
use crate::profile::ApiProfile;
use crate::Time;
use serde::{Deserialize, Serialize};

wire_enum!(
    OrderKind {
        Occupancy => "Occupancy",
        Setup => "Setup",
        Renewal => "Renewal",
    }
);

wire_enum!(
    /// Order states only move forward: `Unpaid → Paid | Cancelled`.
    PaymentStatus {
        Unpaid => "Unpaid",
        Paid => "Paid",
        Cancelled => "Cancelled",
    }
);

wire_enum!(
    InstanceChargeType {
        PrePaid => "PrePaid",
        PostPaid => "PostPaid",
    }
);

wire_enum!(
    PricingCycle {
        Month => "Month",
        Year => "Year",
    }
);

/// Why an order is abnormal (docs/design/billing.md#abnormal-orders): it can
/// then only be voided.
pub const ABNORMAL_INSUFFICIENT_BALANCE: &str = "InsufficientBalance";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub account_id: String,
    pub circuit_id: String,
    pub region_id: String,
    pub kind: OrderKind,
    pub status: PaymentStatus,
    /// `Some(reason)` for an abnormal order (failed automatic payment).
    pub abnormal_reason: Option<String>,
    pub charge_type: InstanceChargeType,
    pub period: i64,
    pub pricing_cycle: PricingCycle,
    pub auto_renew: bool,
    pub auto_renew_duration: i64,
    pub port_type: PortType,
    pub amount: Fen,
    pub currency: String,
    pub created_at: Time,
    pub paid_at: Option<Time>,
    pub cancelled_at: Option<Time>,
    /// A renewal's original order.
    pub related_order_id: Option<String>,
}

impl Order {
    /// A new unpaid order of `kind` for `circuit` (in its account and
    /// region), costing `amount` CNY: one month, prepaid, not renewed, unless
    /// the caller sets other terms (e.g. [`Order::with_terms`]).
    pub fn unpaid(id: String, circuit: &Circuit, kind: OrderKind, amount: Fen, now: Time) -> Order {
        Order {
            id,
            account_id: circuit.account_id.clone(),
            circuit_id: circuit.id.clone(),
            region_id: circuit.region_id.clone(),
            kind,
            status: PaymentStatus::Unpaid,
            abnormal_reason: None,
            charge_type: InstanceChargeType::PrePaid,
            period: 1,
            pricing_cycle: PricingCycle::Month,
            auto_renew: false,
            auto_renew_duration: 0,
            port_type: circuit.port_type,
            amount,
            currency: "CNY".into(),
            created_at: now,
            paid_at: None,
            cancelled_at: None,
            related_order_id: None,
        }
    }

    /// The order with the charge and renewal terms of an occupancy request.
    pub fn with_terms(self, terms: &OccupancyTerms) -> Order {
        Order {
            charge_type: terms.charge_type,
            period: terms.period,
            pricing_cycle: terms.pricing_cycle,
            auto_renew: terms.auto_renew,
            auto_renew_duration: terms.auto_renew_duration,
            ..self
        }
    }

    pub fn is_abnormal(&self) -> bool {
        self.abnormal_reason.is_some()
    }

    /// Months of service the order buys (`None` for pay-as-you-go and setup).
    pub fn months(&self) -> Option<i64> {
        match (self.kind, self.charge_type) {
            (OrderKind::Setup, _) | (_, InstanceChargeType::PostPaid) => None,
            _ => Some(match self.pricing_cycle {
                PricingCycle::Month => self.period,
                PricingCycle::Year => self.period * 12,
            }),
        }
    }

    pub fn circuit_charge_type(&self) -> ChargeType {
        match self.charge_type {
            InstanceChargeType::PrePaid => ChargeType::Prepaid,
            InstanceChargeType::PostPaid => ChargeType::PostPaid,
        }
    }

    /// Forward-only: an unpaid, normal order becomes `Paid`.
    pub fn mark_paid(&mut self, now: Time) -> Result<(), DomainError> {
        if self.status != PaymentStatus::Unpaid || self.is_abnormal() {
            return Err(DomainError::OrderNotPayable);
        }
        self.status = PaymentStatus::Paid;
        self.paid_at = Some(now);
        Ok(())
    }

    /// Forward-only: an unpaid order (normal or abnormal) is voided.
    pub fn mark_cancelled(&mut self, now: Time) -> Result<(), DomainError> {
        if self.status != PaymentStatus::Unpaid {
            return Err(DomainError::OrderNotCancellable);
        }
        self.status = PaymentStatus::Cancelled;
        self.cancelled_at = Some(now);
        Ok(())
    }
}

/// The occupancy-order parameters as they arrived (strings), before defaults.
#[derive(Debug, Clone, Default)]
pub struct RawOccupancyTerms<'a> {
    pub instance_charge_type: Option<&'a str>,
    pub period: Option<&'a str>,
    pub pricing_cycle: Option<&'a str>,
    pub auto_pay: Option<bool>,
    pub auto_renew: Option<bool>,
    pub auto_renew_duration: Option<&'a str>,
}

/// Validated terms with the profile's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccupancyTerms {
    pub charge_type: InstanceChargeType,
    pub period: i64,
    pub pricing_cycle: PricingCycle,
    pub auto_pay: bool,
    pub auto_renew: bool,
    pub auto_renew_duration: i64,
}

impl OccupancyTerms {
    /// Step 5 of docs/design/circuits.md#occupancy-check-order: charge type,
    /// then pricing cycle, then period.
    /// For pay-as-you-go the period fields buy nothing and are not checked.
    pub fn resolve(raw: &RawOccupancyTerms<'_>, profile: ApiProfile) -> Result<Self, DomainError> {
        let charge_type = match raw.instance_charge_type {
            None => match profile {
                ApiProfile::Seed => InstanceChargeType::PostPaid,
                ApiProfile::Current => InstanceChargeType::PrePaid,
            },
            Some(s) => match (InstanceChargeType::parse(s), profile) {
                (Some(InstanceChargeType::PostPaid), ApiProfile::Current) | (None, _) => {
                    return Err(DomainError::ChargeTypeMalformed)
                }
                (Some(c), _) => c,
            },
        };
        let auto_pay = raw.auto_pay.unwrap_or(profile == ApiProfile::Seed);
        let auto_renew = raw.auto_renew.unwrap_or(false);
        let auto_renew_duration = match raw.auto_renew_duration {
            None => 1,
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|v| (0..=i64::from(i32::MAX)).contains(v))
                .ok_or_else(|| DomainError::InvalidParameter("AutoRenewDuration".into()))?,
        };
        let (pricing_cycle, period) = if charge_type == InstanceChargeType::PostPaid {
            (PricingCycle::Month, 1)
        } else {
            let cycle = match raw.pricing_cycle {
                None => PricingCycle::Month,
                Some(s) => PricingCycle::parse(s).ok_or(DomainError::PricingCycleMalformed)?,
            };
            let max = match cycle {
                PricingCycle::Month => 9,
                PricingCycle::Year => 5,
            };
            let period = match raw.period {
                None => 1,
                Some(s) => s
                    .parse::<i64>()
                    .ok()
                    .filter(|p| (1..=max).contains(p))
                    .ok_or(DomainError::PeriodMalformed)?,
            };
            (cycle, period)
        };
        Ok(Self {
            charge_type,
            period,
            pricing_cycle,
            auto_pay,
            auto_renew,
            auto_renew_duration,
        })
    }

    /// Monthly price × months, or the yearly price × years; 0 for
    /// pay-as-you-go (metered afterwards); docs/design/billing.md#order-amounts.
    pub fn amount(&self, port: PortType, prices: &PriceTable) -> Result<Fen, DomainError> {
        let price = prices.get(port).ok_or(DomainError::PriceNotFound)?;
        Ok(match (self.charge_type, self.pricing_cycle) {
            (InstanceChargeType::PostPaid, _) => Fen::ZERO,
            (InstanceChargeType::PrePaid, PricingCycle::Month) => {
                price.month.checked_mul(self.period)?
            }
            (InstanceChargeType::PrePaid, PricingCycle::Year) => {
                price.year.checked_mul(self.period)?
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(
        ct: Option<&'a str>,
        period: Option<&'a str>,
        cycle: Option<&'a str>,
    ) -> RawOccupancyTerms<'a> {
        RawOccupancyTerms {
            instance_charge_type: ct,
            period,
            pricing_cycle: cycle,
            ..Default::default()
        }
    }

    #[test]
    fn profile_defaults() {
        let seed = OccupancyTerms::resolve(&raw(None, None, None), ApiProfile::Seed).unwrap();
        assert_eq!(seed.charge_type, InstanceChargeType::PostPaid);
        assert!(seed.auto_pay);
        let cur = OccupancyTerms::resolve(&raw(None, None, None), ApiProfile::Current).unwrap();
        assert_eq!(cur.charge_type, InstanceChargeType::PrePaid);
        assert!(!cur.auto_pay);
        assert_eq!((cur.period, cur.pricing_cycle), (1, PricingCycle::Month));
    }

    #[test]
    fn ranges_and_errors() {
        let p = ApiProfile::Seed;
        let e = |ct, pe, cy| OccupancyTerms::resolve(&raw(ct, pe, cy), p).unwrap_err();
        assert_eq!(
            e(Some("Monthly"), None, None),
            DomainError::ChargeTypeMalformed
        );
        assert_eq!(
            e(Some("PrePaid"), Some("10"), Some("Month")),
            DomainError::PeriodMalformed
        );
        assert_eq!(
            e(Some("PrePaid"), Some("6"), Some("Year")),
            DomainError::PeriodMalformed
        );
        assert_eq!(
            e(Some("PrePaid"), Some("0"), None),
            DomainError::PeriodMalformed
        );
        assert_eq!(
            e(Some("PrePaid"), Some("x"), None),
            DomainError::PeriodMalformed
        );
        assert_eq!(
            e(Some("PrePaid"), Some("1"), Some("Week")),
            DomainError::PricingCycleMalformed
        );
        // The charge type is checked first, then the cycle, then the period.
        assert_eq!(
            e(Some("Bad"), Some("99"), Some("Week")),
            DomainError::ChargeTypeMalformed
        );
        assert_eq!(
            e(Some("PrePaid"), Some("99"), Some("Week")),
            DomainError::PricingCycleMalformed
        );
        assert_eq!(
            OccupancyTerms::resolve(&raw(Some("PostPaid"), None, None), ApiProfile::Current)
                .unwrap_err(),
            DomainError::ChargeTypeMalformed
        );
        let ok =
            OccupancyTerms::resolve(&raw(Some("PrePaid"), Some("5"), Some("Year")), p).unwrap();
        assert_eq!(ok.period, 5);
    }

    #[test]
    fn amounts() {
        let prices = PriceTable::default();
        let t = OccupancyTerms::resolve(
            &raw(Some("PrePaid"), Some("3"), Some("Month")),
            ApiProfile::Seed,
        )
        .unwrap();
        assert_eq!(
            t.amount(PortType::Base1000LX, &prices).unwrap(),
            Fen(300_000)
        );
        let y = OccupancyTerms::resolve(
            &raw(Some("PrePaid"), Some("2"), Some("Year")),
            ApiProfile::Seed,
        )
        .unwrap();
        assert_eq!(
            y.amount(PortType::G10BaseLR, &prices).unwrap(),
            Fen(8_000_000)
        );
        let pp =
            OccupancyTerms::resolve(&raw(Some("PostPaid"), None, None), ApiProfile::Seed).unwrap();
        assert_eq!(pp.amount(PortType::G100BaseLR, &prices).unwrap(), Fen::ZERO);
        let empty = PriceTable::empty();
        assert_eq!(
            t.amount(PortType::Base1000LX, &empty).unwrap_err(),
            DomainError::PriceNotFound
        );
    }
}
