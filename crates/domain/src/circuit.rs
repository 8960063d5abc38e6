//! The physical connection (circuit) and its state machine
//! (docs/design/circuits.md#transitions).

use crate::error::DomainError;
use crate::Time;
use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The exact value on the wire (case-sensitive).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses the exact wire value; anything else is `None`.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum!(
    /// `Status` of a circuit. Note the space in `Allocation Failed`.
    Status {
        Initial => "Initial",
        Approved => "Approved",
        Allocating => "Allocating",
        Allocated => "Allocated",
        Confirmed => "Confirmed",
        Enabled => "Enabled",
        Rejected => "Rejected",
        Canceled => "Canceled",
        AllocationFailed => "Allocation Failed",
        Terminating => "Terminating",
        Terminated => "Terminated",
    }
);

wire_enum!(
    BusinessStatus {
        Normal => "Normal",
        FinancialLocked => "FinancialLocked",
        SecurityLocked => "SecurityLocked",
    }
);

wire_enum!(
    LoaStatus {
        Applying => "Applying",
        Accept => "Accept",
        Available => "Available",
        Rejected => "Rejected",
        Completing => "Completing",
        Complete => "Complete",
        Deleted => "Deleted",
    }
);

wire_enum!(
    PortType {
        Base100T => "100Base-T",
        Base1000T => "1000Base-T",
        Base1000LX => "1000Base-LX",
        G10BaseT => "10GBase-T",
        G10BaseLR => "10GBase-LR",
        G40BaseLR => "40GBase-LR",
        G100BaseLR => "100GBase-LR",
    }
);

wire_enum!(
    LineOperator {
        CT => "CT",
        CU => "CU",
        CM => "CM",
        CO => "CO",
        Equinix => "Equinix",
        Other => "Other",
    }
);

wire_enum!(
    /// Whether the simulated provider moves circuits by itself
    /// (docs/design/decisions.md#provider-simulator).
    #[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
    ProvisioningMode {
        Auto => "auto",
        Manual => "manual",
    }
);

wire_enum!(
    /// What a pending step (a row of `timers`, stored as this text) does when
    /// it falls due: `provider` moves Initial → … → Allocated and
    /// Terminating → Terminated; `activate` enables a Confirmed circuit whose
    /// occupancy order is paid; `enable` does so after
    /// EnablePhysicalConnection; `loa` approves an LOA application (Applying →
    /// Available); `expire` ends a subscription term (renewal or lock);
    /// `meter` bills one pay-as-you-go hour; `overdue` ends an overdue
    /// account's grace period; `vbr` finishes a virtual border router's
    /// transient status (its `circuit_id` then holds the VBR's id); `bgp`
    /// finishes a BGP group's, peer's or network's (`circuit_id` holds its id).
    TimerKind {
        Provider => "provider",
        Activate => "activate",
        Enable => "enable",
        Loa => "loa",
        Expire => "expire",
        Meter => "meter",
        Overdue => "overdue",
        Vbr => "vbr",
        Bgp => "bgp",
    }
);

impl TimerKind {
    /// Billing steps follow the clock whatever the provisioning mode.
    pub fn is_billing(self) -> bool {
        matches!(
            self,
            TimerKind::Expire | TimerKind::Meter | TimerKind::Overdue
        )
    }

    /// Steps that run beside the circuit's own progress rather than belong to
    /// the status they were scheduled in.
    pub fn independent_of_status(self) -> bool {
        matches!(self, TimerKind::Loa | TimerKind::Overdue)
    }
}

/// A project manager named in an LOA application (`PMInfo.N.*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PmInfo {
    pub name: String,
    pub gender: String,
    pub certificate_type: String,
    pub certificate_no: String,
    pub contact_info: String,
}

/// The letter of authorization (LOA) of a circuit (docs/design/circuits.md#loa).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Loa {
    pub company_name: String,
    pub line_type: String,
    pub si: String,
    pub construction_time: String,
    pub bandwidth: Option<i64>,
    pub peer_location: String,
    pub pm_info: Vec<PmInfo>,
    pub line_code: String,
    pub line_label: String,
    pub line_service_provider: String,
    pub line_sp_contact_info: String,
    pub loa_url: String,
}

wire_enum!(
    /// `ChargeType` as DescribePhysicalConnections shows it (`Prepaid`, one p).
    ChargeType {
        Prepaid => "Prepaid",
        PostPaid => "PostPaid",
    }
);

impl PortType {
    /// The `Spec` shown for the port (docs/design/circuits.md#describe).
    pub fn spec(self) -> &'static str {
        match self {
            PortType::Base100T | PortType::Base1000T | PortType::Base1000LX => "1G",
            PortType::G10BaseT | PortType::G10BaseLR => "10G",
            PortType::G40BaseLR => "40G",
            PortType::G100BaseLR => "100G",
        }
    }

    /// Line rate in Mbit/s: the upper bound of `bandwidth` and its default.
    pub fn capacity_mbps(self) -> i64 {
        match self {
            PortType::Base100T => 100,
            PortType::Base1000T | PortType::Base1000LX => 1_000,
            PortType::G10BaseT | PortType::G10BaseLR => 10_000,
            PortType::G40BaseLR => 40_000,
            PortType::G100BaseLR => 100_000,
        }
    }
}

impl Status {
    /// The next state the provider (staff, fibre) moves a circuit to on its
    /// own, if any. `Confirmed → Enabled` is not here: it needs a payment or an
    /// allowed Enable first.
    pub fn provider_next(self) -> Option<Status> {
        match self {
            Status::Initial => Some(Status::Approved),
            Status::Approved => Some(Status::Allocating),
            Status::Allocating => Some(Status::Allocated),
            Status::Terminating => Some(Status::Terminated),
            _ => None,
        }
    }

    /// Whether the provider may move `self` to `to` (the admin API's forced
    /// transitions are limited to these, including the failure branches).
    pub fn provider_may_move_to(self, to: Status) -> bool {
        matches!(
            (self, to),
            (Status::Initial, Status::Approved)
                | (Status::Initial, Status::Rejected)
                | (Status::Approved, Status::Allocating)
                | (Status::Approved, Status::Rejected)
                | (Status::Allocating, Status::Allocated)
                | (Status::Allocating, Status::AllocationFailed)
                | (Status::Confirmed, Status::Enabled)
                | (Status::Terminating, Status::Terminated)
        )
    }

    /// Circuits that are still on their way to service: they count toward the
    /// per-account limit of circuits not yet enabled.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::Initial
                | Status::Approved
                | Status::Allocating
                | Status::Allocated
                | Status::Confirmed
        )
    }
}

/// A circuit as stored. Optional strings are empty when unset, which is also
/// how the API shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Circuit {
    pub id: String,
    pub account_id: String,
    pub region_id: String,
    pub access_point_id: String,
    pub status: Status,
    pub business_status: BusinessStatus,
    pub loa_status: Option<LoaStatus>,
    pub name: String,
    pub description: String,
    pub line_operator: LineOperator,
    pub port_type: PortType,
    pub bandwidth: i64,
    pub port_number: String,
    pub circuit_code: String,
    pub peer_location: String,
    pub ad_location: String,
    pub ad_detail_location: String,
    pub redundant_id: String,
    pub resource_group_id: String,
    pub created_at: Time,
    pub enabled_at: Option<Time>,
    pub end_at: Option<Time>,
    pub charge_type: Option<ChargeType>,
    /// The occupancy order that is unpaid, or paid and waiting for activation.
    /// While set, no other occupancy order may be placed
    /// (docs/design/decisions.md#occupancy-precondition).
    pub pending_order_id: Option<String>,
    pub auto_renew: bool,
    pub auto_renew_duration: i64,
    pub deleted_at: Option<Time>,
    pub tags: Vec<(String, String)>,
    /// The LOA application, once one was made.
    pub loa: Option<Loa>,
    /// Per-circuit override of the provisioning mode.
    pub provisioning_mode: Option<ProvisioningMode>,
    /// Pay-as-you-go: the end of the last metered hour.
    pub metered_until: Option<Time>,
}

impl Circuit {
    pub fn spec(&self) -> &'static str {
        self.port_type.spec()
    }

    /// The occupancy order needs `Confirmed` and no live occupancy order
    /// (docs/design/decisions.md#occupancy-precondition).
    pub fn check_occupancy_allowed(&self) -> Result<(), DomainError> {
        if self.status == Status::Confirmed && self.pending_order_id.is_none() {
            Ok(())
        } else {
            Err(DomainError::NotAllowedInState)
        }
    }

    /// Only an `Allocated` circuit can be confirmed (docs/design/circuits.md#confirm).
    pub fn check_confirm_allowed(&self) -> Result<(), DomainError> {
        if self.status == Status::Allocated {
            Ok(())
        } else {
            Err(DomainError::ConfirmNotAllocated)
        }
    }

    /// Applies `Allocated → Confirmed`; an LOA, if any, becomes `Complete`.
    pub fn confirm(&mut self) -> Result<(), DomainError> {
        self.check_confirm_allowed()?;
        self.status = Status::Confirmed;
        if self.loa_status.is_some() {
            self.loa_status = Some(LoaStatus::Complete);
        }
        Ok(())
    }

    /// `Confirmed → Enabled` once paid: sets `EnabledTime`, `ChargeType` and,
    /// for subscriptions, `EndTime` (docs/design/billing.md#subscription-end).
    pub fn activate(&mut self, now: Time, charge: ChargeType, months: Option<i64>) {
        self.status = Status::Enabled;
        self.business_status = BusinessStatus::Normal;
        self.enabled_at = Some(now);
        self.charge_type = Some(charge);
        self.end_at = months.map(|m| subscription_end(now, m));
        self.pending_order_id = None;
    }
}

/// End of a subscription of `months` starting at `start`: the activation date
/// in UTC+8, plus `months` calendar months, plus one day, at 00:00 UTC+8,
/// rendered in UTC. Enabled 2021-08-24T07:33:18Z for 8 months ends
/// 2022-04-24T16:00:00Z, as the documentation's example shows.
pub fn subscription_end(start: Time, months: i64) -> Time {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let local = start.to_offset(offset).date();
    let end_date = add_months(local, months).next_day().unwrap_or(local);
    time::PrimitiveDateTime::new(end_date, time::Time::MIDNIGHT)
        .assume_offset(offset)
        .to_offset(time::UtcOffset::UTC)
}

/// The new end of a subscription renewed for `months`: renewals extend from
/// the old `EndTime` (midnight UTC+8), not from the renewal instant.
pub fn renewal_end(end: Time, months: i64) -> Time {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let local = end.to_offset(offset).date();
    time::PrimitiveDateTime::new(add_months(local, months), time::Time::MIDNIGHT)
        .assume_offset(offset)
        .to_offset(time::UtcOffset::UTC)
}

/// Calendar month arithmetic with the day clamped to the month's length
/// (Jan 31 + 1 month = Feb 28/29).
pub fn add_months(d: time::Date, months: i64) -> time::Date {
    let total = i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1 + months;
    let year = i32::try_from(total.div_euclid(12))
        .unwrap_or(9999)
        .clamp(-9999, 9999);
    let month_index = u8::try_from(total.rem_euclid(12) + 1).unwrap_or(1);
    let month = time::Month::try_from(month_index).unwrap_or(time::Month::January);
    let last = time::util::days_in_month(month, year);
    let day = d.day().min(last);
    time::Date::from_calendar_date(year, month, day).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn end_time_matches_documented_example() {
        assert_eq!(
            subscription_end(datetime!(2021-08-24 07:33:18 UTC), 8),
            datetime!(2022-04-24 16:00:00 UTC)
        );
        // 23:30 UTC is already the next day in UTC+8.
        assert_eq!(
            subscription_end(datetime!(2026-01-30 23:30 UTC), 1),
            datetime!(2026-02-28 16:00 UTC)
        );
    }

    #[test]
    fn renewals_extend_from_the_old_end() {
        assert_eq!(
            renewal_end(datetime!(2026-12-29 16:00 UTC), 1),
            datetime!(2027-01-29 16:00 UTC)
        );
        // Local 2027-01-31 + 1 month is clamped to 2027-02-28 (16:00 UTC the day before).
        assert_eq!(
            renewal_end(datetime!(2027-01-30 16:00 UTC), 1),
            datetime!(2027-02-27 16:00 UTC)
        );
    }

    #[test]
    fn month_arithmetic_clamps() {
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2028 - 01 - 31), 1), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 11 - 15), 14), date!(2028 - 01 - 15));
    }

    #[test]
    fn wire_values() {
        assert_eq!(Status::AllocationFailed.as_str(), "Allocation Failed");
        assert_eq!(
            Status::parse("Allocation Failed"),
            Some(Status::AllocationFailed)
        );
        assert_eq!(Status::parse("AllocationFailed"), None);
        assert_eq!(PortType::parse("10GBase-LR").map(|p| p.spec()), Some("10G"));
        assert_eq!(Status::ALL.len(), 11);
    }

    #[test]
    fn provider_path() {
        let mut s = Status::Initial;
        let mut seen = vec![s];
        while let Some(n) = s.provider_next() {
            s = n;
            seen.push(s);
        }
        assert_eq!(
            seen,
            [
                Status::Initial,
                Status::Approved,
                Status::Allocating,
                Status::Allocated
            ]
        );
    }
}
