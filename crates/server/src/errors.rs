//! Turning business refusals and storage failures into Alibaba errors.
//! Internal failures are logged once, here, and answered as `InternalError`
//! without their text.

use physconn_domain::DomainError;
use physconn_store::{OpError, StoreError};
use physconn_wire::ApiError;

pub fn from_domain(e: &DomainError) -> ApiError {
    match e {
        DomainError::MissingParameter(n) => ApiError::missing_parameter(n),
        DomainError::InvalidParameter(n) => ApiError::invalid_parameter(n),
        other => {
            let args = other.args();
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            ApiError::with_args(other.key(), &refs)
        }
    }
}

pub fn from_store(e: &StoreError) -> ApiError {
    match e {
        StoreError::Unavailable(msg) => {
            tracing::warn!(error = %msg, "storage unavailable");
            ApiError::service_unavailable()
        }
        StoreError::Conflict => {
            tracing::warn!("storage conflict persisted after retries");
            ApiError::service_unavailable()
        }
        StoreError::Database(msg) | StoreError::Corrupt(msg) => {
            tracing::error!(error = %msg, "storage failure");
            ApiError::internal()
        }
    }
}

pub fn from_op(e: OpError) -> ApiError {
    match e {
        OpError::Domain(d) => from_domain(&d),
        OpError::Store(s) => from_store(&s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every business refusal has its row in the wire crate's error table
    /// (an unknown key would be an InternalError).
    #[test]
    fn every_refusal_has_a_table_row() {
        use DomainError::*;
        let all = [
            MissingParameter("X".into()),
            InvalidParameter("X".into()),
            RegionNotFound,
            RegionNotFoundConfirm,
            CircuitNotFound,
            CircuitNotFoundConfirm,
            NotAllowedInState,
            ConfirmNotAllocated,
            RecoverIncorrectStatus("pc-1".into()),
            ChargeTypeMalformed,
            PeriodMalformed,
            PricingCycleMalformed,
            PriceNotFound,
            IdempotentParameterMismatch,
            IllegalClientToken,
            TypeMalformed,
            PeerLocationMalformed,
            LineOperatorMalformed,
            PortTypeMalformed,
            DescriptionMalformed,
            NameMalformed,
            CircuitCodeMalformed,
            BandwidthInvalid,
            RedundantNotFound,
            RedundantNotOwned,
            RedundantStatus,
            AccessPointNotFound,
            AccessPointNotEnabled,
            AccessPointFull,
            TooManyPendingCircuits,
            AccountFinancialLocked,
            FilterKeyNotSupported("Filter.1.key".into()),
            EnableWithoutSp,
            OrderNotFound,
            OrderNotPayable,
            OrderNotCancellable,
            InsufficientBalance,
            MoneyOverflow,
            InstanceNotFound("pc-1".into()),
            LoaStatusNotAllowed("x".into()),
            LoaNotCompletable,
            IncorrectCircuitStatus,
        ];
        for e in all {
            let api = from_domain(&e);
            assert_ne!(api.code, "InternalError", "{e:?}");
            assert!(
                !api.message.is_empty() && !api.message.contains("%s"),
                "{e:?}: {}",
                api.message
            );
        }
    }
}
