//! Faults of the simulated provider (docs/design/decisions.md#provider-simulator):
//! what a fault makes happen and which objects it is aimed at.

use crate::circuit::{wire_enum, Status};
use serde::{Deserialize, Serialize};

wire_enum!(
    /// What a fault makes of the next matching event. The first two end a
    /// line's provider step in a failure status; the conflicts answer the
    /// next matching create call with the code the cloud gives while a
    /// back-end task runs (docs/design/vbr.md#conflicts).
    FaultOutcome {
        Rejected => "Rejected",
        AllocationFailed => "Allocation Failed",
        TaskConflict => "TaskConflict",
        OperationConflict => "OperationConflict",
    }
);

wire_enum!(
    /// Which events a fault applies to: those of one line (`circuit`), of one
    /// VBR (`vbr`), of one account, or of everyone (`global`).
    FaultScope {
        Circuit => "circuit",
        Vbr => "vbr",
        Account => "account",
        Global => "global",
    }
);

impl FaultOutcome {
    /// The status a faulted provider step leaves a line in, for the outcomes
    /// that fail a line's step.
    pub fn line_status(self) -> Option<Status> {
        match self {
            FaultOutcome::Rejected => Some(Status::Rejected),
            FaultOutcome::AllocationFailed => Some(Status::AllocationFailed),
            FaultOutcome::TaskConflict | FaultOutcome::OperationConflict => None,
        }
    }

    /// The scopes that make sense for the outcome: a line's step failure is
    /// aimed at a line; `TaskConflict` (CreateVirtualBorderRouter) at the
    /// line the VBR is created on; `OperationConflict` (CreateBgpGroup) at
    /// the VBR the group is created on.
    pub fn scopes(self) -> &'static [FaultScope] {
        use FaultScope::*;
        match self {
            FaultOutcome::Rejected
            | FaultOutcome::AllocationFailed
            | FaultOutcome::TaskConflict => &[Circuit, Account, Global],
            FaultOutcome::OperationConflict => &[Vbr, Account, Global],
        }
    }

    /// Whether a global fault of this outcome may pick a share of its
    /// objects. A line's failure picks a fixed share of lines (its steps
    /// agree); a conflict is about calls, not objects, so it has no share.
    pub fn takes_share(self) -> bool {
        self.line_status().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_and_name_their_scopes() {
        for &o in FaultOutcome::ALL {
            assert_eq!(FaultOutcome::parse(o.as_str()), Some(o));
            assert!(o.scopes().contains(&FaultScope::Account));
            assert!(o.scopes().contains(&FaultScope::Global));
        }
        assert_eq!(
            FaultOutcome::parse("Allocation Failed").and_then(FaultOutcome::line_status),
            Some(Status::AllocationFailed)
        );
        assert_eq!(FaultOutcome::TaskConflict.line_status(), None);
        assert!(!FaultOutcome::OperationConflict
            .scopes()
            .contains(&FaultScope::Circuit));
        assert!(!FaultOutcome::TaskConflict.takes_share());
        assert_eq!(FaultScope::parse("vbr"), Some(FaultScope::Vbr));
    }
}
