//! Why a request is refused, in business terms. Each variant names its row of
//! the wire crate's error table ([`ErrorCode`]: code, HTTP status and message
//! are data there, not here).

use physconn_wire::ErrorCode;

/// A refusal. The server turns it into an Alibaba error body with
/// [`DomainError::code`] and [`DomainError::args`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("missing parameter {0}")]
    MissingParameter(String),
    #[error("invalid parameter {0}")]
    InvalidParameter(String),
    #[error("unknown region")]
    RegionNotFound,
    /// ConfirmPhysicalConnection documents its own not-found wording and status.
    #[error("unknown region (confirm)")]
    RegionNotFoundConfirm,
    #[error("unknown circuit")]
    CircuitNotFound,
    #[error("unknown circuit (confirm)")]
    CircuitNotFoundConfirm,
    #[error("not allowed in this state")]
    NotAllowedInState,
    #[error("confirm needs Allocated")]
    ConfirmNotAllocated,
    #[error("recover: incorrect status of {0}")]
    RecoverIncorrectStatus(String),
    #[error("bad InstanceChargeType")]
    ChargeTypeMalformed,
    #[error("bad Period")]
    PeriodMalformed,
    #[error("bad PricingCycle")]
    PricingCycleMalformed,
    #[error("no price")]
    PriceNotFound,
    #[error("client token reused with other parameters")]
    IdempotentParameterMismatch,
    #[error("client token too long or not printable ASCII")]
    IllegalClientToken,
    #[error("bad Type")]
    TypeMalformed,
    #[error("bad PeerLocation")]
    PeerLocationMalformed,
    #[error("bad LineOperator")]
    LineOperatorMalformed,
    #[error("bad PortType")]
    PortTypeMalformed,
    #[error("bad Description")]
    DescriptionMalformed,
    #[error("bad Name")]
    NameMalformed,
    #[error("bad ResourceGroupId")]
    ResourceGroupIdInvalid,
    #[error("bad CircuitCode")]
    CircuitCodeMalformed,
    #[error("bad bandwidth")]
    BandwidthInvalid,
    #[error("redundant circuit not found")]
    RedundantNotFound,
    #[error("redundant circuit of another user")]
    RedundantNotOwned,
    #[error("redundant circuit in a wrong state")]
    RedundantStatus,
    #[error("access point unknown")]
    AccessPointNotFound,
    #[error("access point disabled")]
    AccessPointNotEnabled,
    #[error("access point full")]
    AccessPointFull,
    #[error("too many circuits not yet enabled")]
    TooManyPendingCircuits,
    #[error("account has a FinancialLocked circuit")]
    AccountFinancialLocked,
    #[error("unsupported filter key {0}")]
    FilterKeyNotSupported(String),
    #[error("direct enable needs the bypass permission")]
    EnableWithoutSp,
    #[error("account not found")]
    AccountNotFound,
    #[error("order not found")]
    OrderNotFound,
    #[error("order cannot be paid")]
    OrderNotPayable,
    #[error("order cannot be cancelled")]
    OrderNotCancellable,
    #[error("insufficient balance")]
    InsufficientBalance,
    #[error("amount out of range")]
    MoneyOverflow,
    /// The LOA calls' own not-found (`InvalidInstanceId.NotFound`).
    #[error("instance {0} not found")]
    InstanceNotFound(String),
    #[error("LOA state does not allow this: {0}")]
    LoaStatusNotAllowed(String),
    #[error("LOA cannot be completed in its state")]
    LoaNotCompletable,
    #[error("circuit state does not allow this")]
    IncorrectCircuitStatus,
    /// The virtual border router family.
    #[error(transparent)]
    Vbr(#[from] crate::vbr_error::VbrError),
    /// BGP groups, peers and networks.
    #[error(transparent)]
    Bgp(#[from] crate::bgp::BgpError),
}

impl DomainError {
    /// The row of the error table this refusal is answered with.
    pub fn code(&self) -> ErrorCode {
        use DomainError::*;
        match self {
            MissingParameter(_) => ErrorCode::MissingParameter,
            InvalidParameter(_) => ErrorCode::InvalidParameter,
            RegionNotFound => ErrorCode::InvalidRegionIdNotFound,
            RegionNotFoundConfirm => ErrorCode::InvalidRegionIdNotFoundOnConfirm,
            CircuitNotFound => ErrorCode::InvalidPhysicalConnectionIdNotFound,
            CircuitNotFoundConfirm => ErrorCode::InvalidPhysicalConnectionIdNotFoundOnConfirm,
            NotAllowedInState => ErrorCode::ForbiddenNotAllowedInState,
            ConfirmNotAllocated => ErrorCode::IncorrectStatusPhysicalConnectionOnConfirm,
            RecoverIncorrectStatus(_) => ErrorCode::IncorrectStatusPhysicalConnectionOnRecover,
            ChargeTypeMalformed => ErrorCode::InvalidPhysicalConnectionChargeTypeMalformed,
            PeriodMalformed => ErrorCode::InvalidPhysicalConnectionPeriodMalformed,
            PricingCycleMalformed => ErrorCode::InvalidPhysicalConnectionPricingCycleMalformed,
            PriceNotFound => ErrorCode::InvalidPriceNotFound,
            IdempotentParameterMismatch => ErrorCode::IdempotentParameterMismatch,
            IllegalClientToken => ErrorCode::IllegalParamClientToken,
            TypeMalformed => ErrorCode::InvalidTypeMalformd,
            PeerLocationMalformed => ErrorCode::InvalidPeerLocationMalformd,
            LineOperatorMalformed => ErrorCode::InvalidLineOperatorMalformd,
            PortTypeMalformed => ErrorCode::InvalidPortTypeMalformd,
            DescriptionMalformed => ErrorCode::InvalidDescriptionMalformed,
            NameMalformed => ErrorCode::InvalidNameMalformed,
            ResourceGroupIdInvalid => ErrorCode::InvalidResourceGroupId,
            CircuitCodeMalformed => ErrorCode::InvalidCircuitCodeMalformed,
            BandwidthInvalid => ErrorCode::InvalidBandwidth,
            RedundantNotFound => ErrorCode::InvalidRedundantPhysicalConnectionIdNotFound,
            RedundantNotOwned => ErrorCode::InvalidRedundantPhysicalConnection,
            RedundantStatus => ErrorCode::InvalidRedundantPhysicalConnectionStatus,
            AccessPointNotFound => ErrorCode::ResourceNotFoundAccessPointId,
            AccessPointNotEnabled => ErrorCode::InvalidAccessPointIdNotEnabled,
            AccessPointFull => ErrorCode::QuotaExceededPConnPerAP,
            TooManyPendingCircuits => ErrorCode::QuotaExceededFreePconnPerAP,
            AccountFinancialLocked => ErrorCode::ForbiddenFinancialLocked,
            FilterKeyNotSupported(_) => ErrorCode::InvalidFilterKeyValueNotSupported,
            EnableWithoutSp => ErrorCode::AliuidNotAllowWithoutSp,
            AccountNotFound => ErrorCode::InternalError,
            OrderNotFound => ErrorCode::InvalidOrderIdNotFound,
            OrderNotPayable => ErrorCode::InvalidOrderStatusNotPayable,
            OrderNotCancellable => ErrorCode::InvalidOrderStatusNotCancellable,
            InsufficientBalance => ErrorCode::PayInsufficientBalance,
            MoneyOverflow => ErrorCode::InvalidParameter,
            InstanceNotFound(_) => ErrorCode::InvalidInstanceIdNotFound,
            LoaStatusNotAllowed(_) => ErrorCode::IncorrectStatusPhysicalConnectionLOA,
            LoaNotCompletable => ErrorCode::OperationDeniedLOAStatusNotAllowComplete,
            IncorrectCircuitStatus => ErrorCode::IncorrectStatusPhysicalConnection,
            Vbr(e) => e.code(),
            Bgp(e) => e.code(),
        }
    }

    /// Values for the `%s` placeholders of the row's message.
    pub fn args(&self) -> Vec<String> {
        use DomainError::*;
        match self {
            MissingParameter(n) | InvalidParameter(n) => vec![n.clone()],
            RecoverIncorrectStatus(id) => vec![id.clone()],
            FilterKeyNotSupported(k) => vec![k.clone()],
            MoneyOverflow => vec!["Amount".to_string()],
            InstanceNotFound(id) => vec![format!("The specified instance {id} is not found.")],
            LoaStatusNotAllowed(detail) => vec![detail.clone()],
            Vbr(e) => e.args(),
            _ => Vec::new(),
        }
    }
}

impl From<crate::money::MoneyError> for DomainError {
    fn from(_: crate::money::MoneyError) -> Self {
        DomainError::MoneyOverflow
    }
}
