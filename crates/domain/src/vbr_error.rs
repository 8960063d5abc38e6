//! Why a VBR request is refused. One variant of [`DomainError`]
//! (`DomainError::Vbr`), so the VBR family's rows stay together; each
//! variant names its row of the wire crate's error table ([`ErrorCode`]).
//!
//! [`DomainError`]: crate::DomainError

use crate::vbr::FieldError;
use physconn_wire::ErrorCode;

/// A parameter only one of the two owners (line owner, VBR owner) may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerParam {
    VlanId,
    CircuitCode,
    LocalGatewayIp,
    PeerGatewayIp,
    PeeringSubnetMask,
    Name,
    Description,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VbrError {
    #[error("unknown VBR")]
    NotFound,
    /// DeleteVirtualBorderRouter's own wording of not-found.
    #[error("unknown VBR (delete)")]
    NotFoundDelete,
    #[error("VBR state does not allow this")]
    InvalidState,
    /// CreateVirtualBorderRouter's 400 for an unknown line.
    #[error("unknown line (VBR create)")]
    CircuitNotFound,
    /// DescribeVirtualBorderRoutersForPhysicalConnection's 404.
    #[error("unknown line (VBR listing)")]
    CircuitNotOwned,
    #[error("line not Enabled")]
    CircuitNotEnabled,
    #[error("VLAN taken")]
    VlanUsed,
    /// RecoverVirtualBorderRouter: the VLAN was taken meanwhile.
    #[error("VLAN taken meanwhile")]
    VlanTakenMeanwhile,
    #[error("bad field: {0:?}")]
    Field(FieldError),
    #[error("too many VBRs on the line")]
    QuotaPerLine,
    #[error("unknown VbrOwnerId")]
    OwnerNotFound,
    #[error("parameter {0:?} not allowed for this caller")]
    NotAllowedByCaller(OwnerParam),
    /// `verb` is `terminate`, `recover` or `delete`.
    #[error("caller may not {0} this VBR")]
    OperationNotAllowedByUser(&'static str),
    #[error("line still has VBRs (terminate)")]
    LineHasVbrsTerminate,
    #[error("line still has VBRs (delete)")]
    LineHasVbrsDelete,
}

impl VbrError {
    pub fn code(&self) -> ErrorCode {
        use FieldError as F;
        use OwnerParam as P;
        match self {
            VbrError::NotFound => ErrorCode::InvalidVbrIdNotFound,
            VbrError::NotFoundDelete => ErrorCode::InvalidVbrIdNotFoundOnDelete,
            VbrError::InvalidState => ErrorCode::InvalidOperationOperationNotAllowedInState,
            VbrError::CircuitNotFound => ErrorCode::InvalidPhysicalConnectionIdNotFoundOnCreateVirtualBorderRouter,
            VbrError::CircuitNotOwned => ErrorCode::InvalidPhysicalConnectionIdNotFoundOnDescribeVirtualBorderRoutersForPhysicalConnection,
            VbrError::CircuitNotEnabled => ErrorCode::InvalidPhysicalConnectionIdNotEnabled,
            VbrError::VlanUsed => ErrorCode::InvalidVlanIdUsed,
            VbrError::VlanTakenMeanwhile => ErrorCode::OperationFailedVlanIdAlreadyInUse,
            VbrError::Field(f) => match f {
                F::VlanMalformed => ErrorCode::InvalidVlanIdMalformed,
                F::MaskMalformed => ErrorCode::InvalidPeeringSubnetMaskMalformed,
                F::LocalIpMalformed => ErrorCode::InvalidLocalGatewayIpMalformed,
                F::IpMalformed => ErrorCode::InvalidIpMalformed,
                F::NotSameSubnet => ErrorCode::InvalidIpNotSameSubnet,
                F::Bandwidth
                | F::DetectMultiplier
                | F::MinRxInterval
                | F::MinTxInterval
                | F::Mtu => ErrorCode::InvalidParameter,
            },
            VbrError::QuotaPerLine => ErrorCode::QuotaExceededVbrPerpConn,
            VbrError::OwnerNotFound => ErrorCode::InvalidVbrOwnerIdNotFound,
            VbrError::NotAllowedByCaller(p) => match p {
                P::VlanId => ErrorCode::ForbiddenVlanIdNotAllowedByCaller,
                P::CircuitCode => ErrorCode::ForbiddenCircuitCodeNotAllowedByCaller,
                P::LocalGatewayIp => ErrorCode::ForbiddenLocalGatewayIpNotAllowedByCaller,
                P::PeerGatewayIp => ErrorCode::ForbiddenPeerGatewayIpNotAllowedByCaller,
                P::PeeringSubnetMask => ErrorCode::ForbiddenPeeringSubnetMaskNotAllowedByCaller,
                P::Name => ErrorCode::ForbiddenNameNotAllowedByCaller,
                P::Description => ErrorCode::ForbiddenDescriptionNotAllowedByCaller,
            },
            VbrError::OperationNotAllowedByUser(_) => ErrorCode::ForbiddenOperationNotAllowedByUser,
            VbrError::LineHasVbrsTerminate => ErrorCode::ForbiddenVbrAttached,
            VbrError::LineHasVbrsDelete => ErrorCode::ForbiddenVBRExists,
        }
    }

    pub fn args(&self) -> Vec<String> {
        use FieldError as F;
        let one = |s: &str| vec![s.to_string()];
        match self {
            VbrError::Field(F::Bandwidth) => one("Bandwidth"),
            VbrError::Field(F::DetectMultiplier) => one("DetectMultiplier"),
            VbrError::Field(F::MinRxInterval) => one("MinRxInterval"),
            VbrError::Field(F::MinTxInterval) => one("MinTxInterval"),
            VbrError::Field(F::Mtu) => one("Mtu"),
            VbrError::OperationNotAllowedByUser(verb) => one(verb),
            _ => Vec::new(),
        }
    }
}

impl From<FieldError> for VbrError {
    fn from(f: FieldError) -> Self {
        VbrError::Field(f)
    }
}

impl From<FieldError> for crate::DomainError {
    fn from(f: FieldError) -> Self {
        crate::DomainError::Vbr(VbrError::Field(f))
    }
}
