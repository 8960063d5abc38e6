//! The error catalogue, kept as data: one row per error the server can return, with the
//! exact code, HTTP status and message the real service uses
//! (docs/design/protocol.md#error-model, docs/design/circuits.md#action-errors). Each row
//! is a variant of [`ErrorCode`], so naming an error that has no row does not compile;
//! nothing else in the server spells out a code or a message.
//!
//! # Adding an error
//!
//! Add one line to the `error_codes!` invocation below, in the section of the action that
//! returns it:
//!
//! ```text
//!     InvalidFooBarMalformed = "InvalidFooBar.Malformed", 400, "The specified FooBar is not valid.";
//! ```
//!
//! - The variant is the code in UpperCamelCase without its dots and underscores
//!   (`Forbidden.RAM` → `ForbiddenRam`); when one code has a second status or message for
//!   some action, the second row adds `On<Action>` (`…NotFoundOnConfirm`) or
//!   `Status<NNN>`.
//! - The message is the vendor's, verbatim (typos included); `%s` placeholders are filled in
//!   order by [`ApiError::with_args`].
//! - A row the vendor documents but physconn never returns starts with `[unused]`. The test
//!   `every_error_row_is_produced_or_marked_unused` (server crate) fails when a row is
//!   marked wrongly either way, so the mark stays true.
//!
//! Then return it with `ApiError::new(ErrorCode::InvalidFooBarMalformed)`, or give a
//! `DomainError` variant whose `code()` is that row.

/// One row of the table: what is sent for an [`ErrorCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorSpec {
    /// The `Code` sent to the client.
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The message, verbatim from the vendor (typos included); `%s` placeholders are filled
    /// in order by [`ApiError::with_args`].
    pub message: &'static str,
    /// Whether physconn returns this row or only documents it.
    pub reach: Reach,
}

/// Whether a row of the table is ever returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Some code path returns it.
    Produced,
    /// Documented by the vendor for these actions, kept for reference, never returned by
    /// physconn on purpose (the condition cannot arise in the simulation).
    Unused,
}

/// Builds [`ErrorCode`] from the table: `[unused]? Variant = "Code", status, "message";`.
macro_rules! error_codes {
    (@reach) => { Reach::Produced };
    (@reach unused) => { Reach::Unused };
    ($( $([$mark:ident])? $name:ident = $code:literal, $status:literal, $message:literal; )*) => {
        /// Every error the server returns, one variant per row of the table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $(
                #[doc = concat!("`", $code, "` (", stringify!($status), "): ", $message)]
                $name,
            )*
        }

        impl ErrorCode {
            /// Every row, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];

            /// The row: code, status, message.
            pub const fn spec(self) -> ErrorSpec {
                match self {
                    $(ErrorCode::$name => ErrorSpec {
                        code: $code,
                        status: $status,
                        message: $message,
                        reach: error_codes!(@reach $($mark)?),
                    },)*
                }
            }

            /// The variant's name as written in the source (`ForbiddenRam`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => stringify!($name),)*
                }
            }
        }
    };
}

impl ErrorCode {
    /// The `Code` sent to the client.
    pub const fn code(self) -> &'static str {
        self.spec().code
    }

    /// The HTTP status.
    pub const fn status(self) -> u16 {
        self.spec().status
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

error_codes! {
    // Gateway level (docs/design/protocol.md#gateway-errors).
    MissingParameter = "MissingParameter", 400, "The input parameter \"%s\" that is mandatory for processing this request is not supplied.";
    InvalidParameter = "InvalidParameter", 400, "The specified parameter \"%s\" is not valid.";
    IncompleteSignature = "IncompleteSignature", 400, "The request signature does not conform to Aliyun standards. server string to sign is:%s";
    SignatureDoesNotMatch = "SignatureDoesNotMatch", 400, "Specified signature does not match our calculation. server string to sign is:%s";
    InvalidAccessKeyIdNotFound = "InvalidAccessKeyId.NotFound", 404, "Specified access key is not found.";
    InvalidAccessKeyIdInactive = "InvalidAccessKeyId.Inactive", 400, "Specified access key is disabled.";
    InvalidSecurityTokenExpired = "InvalidSecurityToken.Expired", 400, "Specified SecurityToken is expired.";
    InvalidSecurityTokenMalformed = "InvalidSecurityToken.Malformed", 400, "Specified SecurityToken is malformed.";
    InvalidSecurityTokenMismatchWithAccessKey = "InvalidSecurityToken.MismatchWithAccessKey", 400, "Specified SecurityToken mismatch with the AccessKey.";
    SignatureNonceUsed = "SignatureNonceUsed", 400, "Specified signature nonce was used already.";
    InvalidTimeStampExpired = "InvalidTimeStamp.Expired", 400, "Specified time stamp or date value is expired.";
    InvalidTimeStampFormat = "InvalidTimeStamp.Format", 400, "Specified time stamp or date value is not well formatted.";
    ThrottlingUser = "Throttling.User", 400, "Request was denied due to user flow control.";
    [unused] ThrottlingApi = "Throttling.Api", 400, "Request was denied due to api flow control.";
    [unused] Throttling = "Throttling", 400, "Request was denied due to flow control.";
    InvalidActionNotFound = "InvalidAction.NotFound", 404, "Specified api is not found, please check your url and method.";
    [unused] InvalidApiNotFound = "InvalidApi.NotFound", 404, "Specified api is not found, please check your url and method.";
    InvalidVersion = "InvalidVersion", 400, "Specified parameter Version is not valid.";
    ForbiddenRam = "Forbidden.RAM", 403, "User not authorized to operate on the specified resource, or this API doesn't support RAM.";
    [unused] NoPermission = "NoPermission", 403, "You are not authorized to do this action.";
    UnsupportedHTTPMethod = "UnsupportedHTTPMethod", 403, "This http method not supported.";
    [unused] InvalidProductNotFound = "InvalidProduct.NotFound", 404, "Cannot find product according to your specified domain.";
    RequestParameterMalformed = "RequestParameterMalformed", 400, "Request parameters has malformed encoded characters.";
    InternalError = "InternalError", 500, "The request processing has failed due to some unknown error, exception or failure.";
    ServiceUnavailable = "ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server.";
    IdempotentParameterMismatch = "IdempotentParameterMismatch", 400, "Request uses a client token in a previous request but is not identical to that request.";
    InvalidSignatureMethod = "InvalidSignatureMethod", 400, "Specified signature method is not supported.";
    InvalidSignatureVersion = "InvalidSignatureVersion", 400, "Specified signature version is not supported.";
    RequestEntityTooLarge = "RequestEntityTooLarge", 413, "The request body is too large.";
    RequestTimeout = "RequestTimeout", 408, "The request has timed out.";
    // Broken HTTP, answered at the edge (docs/design/protocol.md#edge-errors); the cloud
    // documents no code for these, so they are physconn's own.
    BadRequest = "BadRequest", 400, "The request body is malformed or incomplete.";
    BadRequestOnHead = "BadRequest", 400, "The request line or headers are malformed.";
    RequestUriTooLong = "RequestURITooLong", 414, "The request URI is too long.";
    RequestHeaderFieldsTooLarge = "RequestHeaderFieldsTooLarge", 431, "The request header fields are too large.";
    // CreatePhysicalConnectionOccupancyOrder.
    [unused] IAbsInvalidStatusValueNotSupported = "IAbs.InvalidStatus.ValueNotSupported", 400, "status is not supported.";
    InvalidPriceNotFound = "InvalidPrice.NotFound", 400, "Pricing plan result not found.";
    InvalidPhysicalConnectionChargeTypeMalformed = "InvalidPhysicalConnectionChargeType.Malformed", 400, "Specified Physical Connection ChargeType is not valid.";
    InvalidPhysicalConnectionPeriodMalformed = "InvalidPhysicalConnectionPeriod.Malformed", 400, "Specified Physical Connection Period is not valid.";
    InvalidPhysicalConnectionPricingCycleMalformed = "InvalidPhysicalConnectionPricingCycle.Malformed", 400, "Specified Physical Connection PricingCycle is not valid.";
    ForbiddenNotAllowedInState = "Forbidden.NotAllowedInState", 400, "The request does not allow in this state.";
    [unused] InstanceStatusNotAllow = "INSTANCE.STATUS.NOT.ALLOW", 400, "Instance status not allow";
    [unused] AbsInstanceNotExist = "Abs.InstanceNotExist", 400, "The specified instance does not exist.";
    IncorrectStatusPhysicalConnection = "IncorrectStatus.PhysicalConnection", 400, "Invalid physical connection status.";
    InvalidRegionIdNotFound = "InvalidRegionId.NotFound", 404, "The RegionId provided does not exist in our records.";
    InvalidPhysicalConnectionIdNotFound = "InvalidPhysicalConnectionId.NotFound", 404, "The PhysicalConnectionId provided does not exist in our records.";
    // CreatePhysicalConnection; the vendor's typos are kept verbatim.
    [unused] InvalidStatus = "Invalid.Status", 400, "The device or interface status invalid, or has been used..";
    InvalidTypeMalformd = "InvalidType.Malformd", 400, "The Type provided was invalid.";
    InvalidPeerLocationMalformd = "InvalidPeerLocation.Malformd", 400, "The PeerLocation provided was invalid.";
    InvalidLineOperatorMalformd = "InvalidLineOperator.Malformd", 400, "The LineOperator provided was invalid.";
    InvalidPortTypeMalformd = "InvalidPortType.Malformd", 400, "The PortType provided was invalid.";
    InvalidDescriptionMalformed = "InvalidDescription.Malformed", 400, "The specifid ?Description? is not valid.";
    InvalidRedundantPhysicalConnectionIdNotFound = "InvalidRedundantPhysicalConnectionId.NotFound", 400, "The RedundantPhysicalConnectionId does not found.";
    InvalidNameMalformed = "InvalidName.Malformed", 400, "The specified ?Name? is not valid.";
    QuotaExceededPConnPerAP = "QuotaExceeded.pConnPerAP", 400, "Physical connection count per ap quota exceed.";
    InvalidBandwidth = "InvalidBandwidth", 400, "invalid physical connection banwidth.";
    InvalidRedundantPhysicalConnection = "InvalidRedundantPhysicalConnection", 400, "redundant physical connection doesn't belong to current user.";
    InvalidRedundantPhysicalConnectionStatus = "InvalidRedundantPhysicalConnectionStatus", 400, "invalid redundant physical connection status.";
    InvalidCircuitCodeMalformed = "InvalidCircuitCode.Malformed", 400, "circuitCode is illegal.";
    QuotaExceededFreePconnPerAP = "QuotaExceeded.freePconnPerAP", 400, "free physical connections count excceeded.";
    [unused] InvalidPhysicalConnectionOperatorMalformed = "InvalidPhysicalConnectionOperator.Malformed", 400, "Specified PhysicalConnection Operator is not valid.";
    [unused] InvalidPhysicalConnectionPortTypeMalformed = "InvalidPhysicalConnectionPortType.Malformed", 400, "Specified PhysicalConnection PortType is not valid.";
    [unused] InvalidPhysicalConnectionBandwidthMalformed = "InvalidPhysicalConnectionBandwidth.Malformed", 400, "Specified PhysicalConnection Bandwidth is not valid.";
    IllegalParamClientToken = "IllegalParam.ClientToken", 400, "Token verify failed because client token length too long.";
    [unused] InvalidPortTypeNotFound = "InvalidPortType.NotFound", 400, "Specified port type is not found.";
    [unused] InvalidPortTypeNotFoundStatus404 = "InvalidPortType.NotFound", 404, "There are no resources with the portType.";
    [unused] OperationFailedPconnTrafficNotEnable = "OperationFailed.PconnTrafficNotEnable", 400, "The operation is failed because of PconnTrafficNotEnable.";
    InvalidAccessPointIdNotEnabled = "InvalidAccessPointId.NotEnabled", 400, "Invalid access point status.";
    ResourceNotFoundAccessPointId = "ResourceNotFound.AccessPointId", 400, "The specified resource of access point id is not found.";
    // DescribePhysicalConnections.
    InvalidFilterKeyValueNotSupported = "InvalidFilterKey.ValueNotSupported", 404, "Specified filter key is not supported: %s";
    // The code and text VPC's MoveResourceGroup documents; physconn answers
    // it for a malformed ResourceGroupId (docs/design/decisions.md#input-hygiene).
    InvalidResourceGroupId = "InvalidResourceGroupId", 400, "The specified ResourceGroupId does not exist.";
    [unused] OperationUnsupportedResourceGroupId = "OperationUnsupported.ResourceGroupId", 400, "ResourceGroupId in financial region is unsupported.";
    // ConfirmPhysicalConnection.
    [unused] ResourceNotFoundPhysicalConnectionId = "ResourceNotFound.PhysicalConnectionId", 400, "PhysicalConnection is not found.";
    [unused] MissingParamRegionNo = "MissingParam.RegionNo", 400, "RegionNo is missing.";
    [unused] MissingParamAliUid = "MissingParam.AliUid", 400, "AliUid is missing.";
    [unused] MissingParamPhysicalConnectionId = "MissingParam.PhysicalConnectionId", 400, "PhysicalConnectionId is missing.";
    InvalidPhysicalConnectionIdNotFoundOnConfirm = "InvalidPhysicalConnectionId.NotFound", 400, "The specified physicalConnection is not found";
    InvalidRegionIdNotFoundOnConfirm = "InvalidRegionId.NotFound", 400, "The specified RegionId is not found.";
    IncorrectStatusPhysicalConnectionOnConfirm = "IncorrectStatus.PhysicalConnection", 400, "The specified PhysicalConnectionId is not in Allocated state.";
    [unused] OperationUnsupportedSkipConstruction = "OperationUnsupported.SkipConstruction", 400, "You can not skip construction.";
    // EnablePhysicalConnection.
    AliuidNotAllowWithoutSp = "ALIUID.NOT.ALLOW.WITHOUT.SP", 400, "AliUid not allow direct enable physical connection";
    [unused] AccessDeviceNotAllowWithoutSp = "ACCESS.DEVICE.NOT.ALLOW.WITHOUT.SP", 400, "Access device not allow direct enable physical connection";
    // TerminatePhysicalConnection.
    ForbiddenVbrAttached = "Forbidden.VbrAttached", 400, "Cannot terminate physical connection when virtual border routers are still attached.";
    [unused] OperationFailedVpconnAttached = "OperationFailed.VpconnAttached", 400, "Cannot terminate physical connection when vpconn are still attached.";
    [unused] OperationDeniedMacsecAttached = "OperationDenied.MacsecAttached", 400, "The operation is not allowed because of MacsecAttached.";
    [unused] OperationFailedResourceLockedBySystem = "OperationFailed.ResourceLockedBySystem", 400, "The specified resource is locked by system.";
    // DeletePhysicalConnection.
    [unused] InvalidPhysicalConnectionIdNotMatched = "InvalidPhysicalConnectionId.NotMatched", 400, "instance id not matched.";
    ForbiddenVBRExists = "Forbidden.VBRExists", 400, "physical connection owner's vbr still exists.";
    [unused] ForbiddenAssociateToVBR = "Forbidden.AssociateToVBR", 400, "The physical connection still associate to VBR.";
    [unused] OperationDeniedNeedVpconnOwner = "OperationDenied.NeedVpconnOwner", 400, "The operation is denied.";
    // RecoverPhysicalConnection.
    IncorrectStatusPhysicalConnectionOnRecover = "IncorrectStatus.PhysicalConnection", 400, "The status of %s is incorrect.";
    ResourceNotFound = "ResourceNotFound", 400, "The specified resource %s is not found.";
    [unused] OperationDeniedTerminateVirtualPhysicalConnection = "OperationDenied.TerminateVirtualPhysicalConnection", 400, "The operation is not allowed because of TerminateVirtualPhysicalConnection.";
    // DescribeAccessPoints.
    InvalidAccessPointTypeNotSupport = "InvalidAccessPointType.NotSupport", 400, "Invalid access point type.";
    [unused] InvalidRegionIdNotSupport = "InvalidRegionId.NotSupport", 404, "The RegionId provided does not support in our records.";
    // LOA APIs; the vendor documents most messages only as "%s".
    [unused] MissingParamInstanceId = "MissingParam.InstanceId", 400, "%s";
    [unused] MissingParamPMInfo = "MissingParam.PMInfo", 400, "%s";
    [unused] IllegalParamLineOperator = "IllegalParam.LineOperator", 400, "%s";
    IllegalParamLineType = "IllegalParam.LineType", 400, "%s";
    IllegalParamPeerLocation = "IllegalParam.PeerLocation", 400, "%s";
    IllegalParamPmCertificateType = "IllegalParam.PmCertificateType", 400, "%s";
    [unused] IllegalParamPmCertificateNo = "IllegalParam.PmCertificateNo", 400, "%s";
    [unused] IllegalParamPmContactInfo = "IllegalParam.PmContactInfo", 400, "%s";
    IllegalParamPmGender = "IllegalParam.PmGender", 400, "%s";
    [unused] IllegalParamPmName = "IllegalParam.PmName", 400, "%s";
    IllegalParamSi = "IllegalParam.Si", 400, "%s";
    IllegalParamCompanyName = "IllegalParam.CompanyName", 400, "%s";
    IllegalParamBandwidth = "IllegalParam.Bandwidth", 400, "The param of bandwidth is illegal.";
    InvalidConstructionTimeMalformed = "InvalidConstructionTime.Malformed", 400, "%s";
    InvalidInstanceIdNotFound = "InvalidInstanceId.NotFound", 400, "%s";
    IncorrectStatusPhysicalConnectionLOA = "IncorrectStatus.PhysicalConnectionLOA", 400, "%s";
    IllegalParamLineCode = "IllegalParam.LineCode", 400, "%s";
    IllegalParamLineLabel = "IllegalParam.LineLabel", 400, "%s";
    IllegalParamLineSPContactInfo = "IllegalParam.LineSPContactInfo", 400, "LineSPContactInfo is illegal.";
    OperationDeniedLOAStatusNotAllowComplete = "OperationDenied.LOAStatusNotAllowComplete", 400, "The operation is not allowed because of LOAStatusNotAllowComplete.";
    // Not in any stored error table; chosen by physconn (docs/api-coverage.md).
    ForbiddenFinancialLocked = "Forbidden.FinancialLocked", 400, "The account has an overdue physical connection; new physical connections cannot be applied for.";
    // BSS (BssOpenApi 2017-12-14) order and balance errors. `PAY.INSUFFICIENT_BALANCE`
    // is the text other Alibaba products document; the rest are physconn's choice.
    InvalidOrderIdNotFound = "InvalidOrderId.NotFound", 404, "The specified order does not exist.";
    InvalidOrderStatusNotPayable = "InvalidOrderStatus.NotPayable", 400, "The order cannot be paid in its current status.";
    InvalidOrderStatusNotCancellable = "InvalidOrderStatus.NotCancellable", 400, "Only unpaid orders can be cancelled.";
    PayInsufficientBalance = "PAY.INSUFFICIENT_BALANCE", 400, "The Account Balance is insufficient.";
    // OpenPhysicalConnectionService (docs/design/decisions.md#account-services).
    InvalidOperationOrderOpened = "InvalidOperation.OrderOpened", 400, "You have already open the service. Go to the console to start using it.";
    [unused] PurchaseQuantityLimit = "PURCHASE_QUANTITY_LIMIT", 400, "Your purchase quantity exceeds the maximum limit.";
    // Virtual border routers (docs/design/vbr.md), typos verbatim.
    InvalidVbrIdNotFound = "InvalidVbrId.NotFound", 404, "The specified VirutalBorderRouter is not found.";
    InvalidVbrIdNotFoundOnDelete = "InvalidVbrId.NotFound", 404, "The specified VirutalBorderRouter does not exist in our records.";
    InvalidOperationOperationNotAllowedInState = "InvalidOperation.OperationNotAllowedInState", 400, "The specified VirutalBorderRouter is in invalid state.";
    InvalidPhysicalConnectionIdNotFoundOnCreateVirtualBorderRouter = "InvalidPhysicalConnectionId.NotFound", 400, "The specified PhysicalConnectionId is not found.";
    InvalidPhysicalConnectionIdNotFoundOnDescribeVirtualBorderRoutersForPhysicalConnection = "InvalidPhysicalConnectionId.NotFound", 404, "The specified PhysicalConnectionId does not belong to user.";
    InvalidPhysicalConnectionIdNotEnabled = "InvalidPhysicalConnectionId.NotEnabled", 400, "The specified PhysicalConnectionId is not in Enabled state.";
    InvalidVlanIdUsed = "InvalidVlanId.Used", 400, "The specified VlanId has been used.";
    InvalidVlanIdMalformed = "InvalidVlanId.Malformed", 400, "The specified VlanId is not valid.";
    OperationFailedVlanIdAlreadyInUse = "OperationFailed.VlanIdAlreadyInUse", 400, "The specifed vlanId has been used.";
    InvalidPeeringSubnetMaskMalformed = "InvalidPeeringSubnetMask.Malformed", 400, "The specified PeeringSubnetMask is not valid.";
    InvalidLocalGatewayIpMalformed = "InvalidLocalGatewayIp.Malformed", 400, "The specified LocalGatewayIp is not valid.";
    InvalidIpMalformed = "InvalidIp.Malformed", 400, "The specified ip address is not valid.";
    InvalidIpNotSameSubnet = "InvalidIp.NotSameSubnet", 400, "Local gateway ip and peer gateway ip are not in the same subnet.";
    QuotaExceededVbrPerpConn = "QuotaExceeded.vbrPerpConn", 400, "Virtual boarder router per PhysicalConnection quota exceed.";
    [unused] QuotaExceededFreevbr = "QuotaExceeded.freevbr", 400, "Free virtual boarder router quota exceed.";
    InvalidVbrOwnerIdNotFound = "InvalidVbrOwnerId.NotFound", 404, "The specified VbrOwnerId is not valid.";
    ForbiddenVlanIdNotAllowedByCaller = "Forbidden.VlanIdNotAllowedByCaller", 403, "The caller is not allowed to specify the VlanId parameter.";
    ForbiddenCircuitCodeNotAllowedByCaller = "Forbidden.CircuitCodeNotAllowedByCaller", 403, "The caller is not allowed to specify the CircuitCode parameter.";
    ForbiddenLocalGatewayIpNotAllowedByCaller = "Forbidden.LocalGatewayIpNotAllowedByCaller", 403, "The caller is not allowed to specify the LocalGatewayIp parameter.";
    ForbiddenPeerGatewayIpNotAllowedByCaller = "Forbidden.PeerGatewayIpNotAllowedByCaller", 403, "The caller is not allowed to specify the PeerGatewayIp parameter.";
    ForbiddenPeeringSubnetMaskNotAllowedByCaller = "Forbidden.PeeringSubnetMaskNotAllowedByCaller", 403, "The caller is not allowed to specify the PeeringSubnetMask parameter.";
    ForbiddenNameNotAllowedByCaller = "Forbidden.NameNotAllowedByCaller", 403, "The caller is not allowed to specify the Name parameter.";
    ForbiddenDescriptionNotAllowedByCaller = "Forbidden.DescriptionNotAllowedByCaller", 403, "The caller is not allowed to specify the Description parameter.";
    ForbiddenOperationNotAllowedByUser = "Forbidden.OperationNotAllowedByUser", 403, "The caller is not allowed to %s the specified VirtualBorderRouter.";
    DependencyViolationBgpGroup = "DependencyViolation.BgpGroup", 400, "bgp group exists, cannot delete vbr.";
    // BGP groups, peers and networks (docs/design/bgp.md): the one table the vendor's
    // pages share, typos verbatim. `DependencyViolation.BgpPeer` is known only from the
    // Terraform provider, which retries it; its message is physconn's.
    QuotaExceededBgp = "QuotaExceeded.Bgp", 400, "bgp peer count per vbr quota exceed.";
    QuotaExceededBgpOnCreateBgpGroup = "QuotaExceeded.Bgp", 400, "bgp group count per vbr quota exceed.";
    QuotaExceededBgpNetwork = "QuotaExceeded.BgpNetwork", 400, "bgp network count per vbr quota exceed.";
    [unused] QuotaExceededNqa = "QuotaExceeded.Nqa", 400, "nqa count per vbr quota exceed.";
    [unused] InvalidPeerIpAddress = "InvalidPeerIpAddress", 400, "multi pconn peer ip can not be null.";
    InvalidVbrNetwork = "InvalidVbrNetwork", 400, "vbr netowrk not exists";
    InvalidBgpGroup = "InvalidBgpGroup", 400, "bgp group not exists";
    InvalidBgpNameMalformed = "InvalidBgpName.Malformed", 400, "Specified Bgp Group name is not valid.";
    InvalidBgpDescriptionMalformed = "InvalidBgpDescription.Malformed", 400, "Specified Bgp Group description is not valid.";
    InvalidBgpAuthkeyMalformed = "InvalidBgpAuthkey.Malformed", 400, "Specified Bgp Group authkey is not valid.";
    InvalidIPMalformed = "InvalidIP.Malformed", 400, "Ip malformed.";
    InvalidPeerAsnMalformed = "InvalidPeerAsn.Malformed", 400, "invalid peer asn cannot equals aliyun asn:45104";
    InvalidParamsNotFound = "InvalidParams.NotFound", 400, "instance not found";
    InvalidParamsAlreadyExists = "InvalidParams.AlreadyExists", 400, "bgp network already exists";
    InvalidStatusCannotOperate = "InvalidStatus.CannotOperate", 400, "invalid status cannot operate";
    DependencyViolationBgpPeer = "DependencyViolation.BgpPeer", 400, "bgp peer exists, cannot delete bgp group.";
    // Not documented; the Terraform provider retries it on CreateBgpGroup. physconn has no
    // back-end tasks to conflict with, so only a fault answers it (docs/design/vbr.md#conflicts).
    OperationConflict = "OperationConflict", 400, "The operation conflicts with another operation in progress on the resource; retry later.";
    // Not documented; the Terraform provider retries it on CreateVirtualBorderRouter; only a
    // fault answers it, for the same reason (docs/design/vbr.md#conflicts).
    TaskConflict = "TaskConflict", 400, "The operation conflicts with a task in progress on the resource; retry later.";
}

/// An error response, ready to render.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code} ({status}): {message}")]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// RAM denial details (`AccessDeniedDetail` in the body), read by the Tea SDKs on 4xx.
    pub access_denied_detail: Option<Box<serde_json::Value>>,
    /// When set, the server sends `x-acs-retry-after: <ms>`; Python Tea then raises its
    /// throttling exception (docs/design/protocol.md#sdk-error-handling).
    pub retry_after_ms: Option<u64>,
}

impl ApiError {
    /// The error of row `code`, placeholders left empty.
    pub fn new(code: ErrorCode) -> ApiError {
        ApiError::with_args(code, &[])
    }

    /// The error of row `code` with `%s` placeholders filled in order by `args` (missing
    /// arguments become empty, extra ones are ignored; argument text is never re-scanned).
    pub fn with_args(code: ErrorCode, args: &[&str]) -> ApiError {
        let spec = code.spec();
        ApiError {
            status: spec.status,
            code: spec.code.to_owned(),
            message: fill(spec.message, args),
            access_denied_detail: None,
            retry_after_ms: None,
        }
    }

    /// `MissingParameter` naming `name`.
    pub fn missing_parameter(name: &str) -> ApiError {
        ApiError::with_args(ErrorCode::MissingParameter, &[name])
    }

    /// `InvalidParameter` naming `name`.
    pub fn invalid_parameter(name: &str) -> ApiError {
        ApiError::with_args(ErrorCode::InvalidParameter, &[name])
    }

    /// `InternalError` (500).
    pub fn internal() -> ApiError {
        ApiError::new(ErrorCode::InternalError)
    }

    /// `ServiceUnavailable` (503).
    pub fn service_unavailable() -> ApiError {
        ApiError::new(ErrorCode::ServiceUnavailable)
    }

    /// Adds an `AccessDeniedDetail` object (RAM denials).
    pub fn with_access_denied_detail(mut self, detail: serde_json::Value) -> ApiError {
        self.access_denied_detail = Some(Box::new(detail));
        self
    }

    /// Adds a retry hint in milliseconds (throttling).
    pub fn with_retry_after_ms(mut self, ms: u64) -> ApiError {
        self.retry_after_ms = Some(ms);
        self
    }
}

fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut args = args.iter();
    let mut rest = template;
    while let Some(pos) = rest.find("%s") {
        out.push_str(rest.get(..pos).unwrap_or_default());
        out.push_str(args.next().copied().unwrap_or_default());
        rest = rest.get(pos + 2..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn table_is_well_formed() {
        let mut seen = HashSet::new();
        for &code in ErrorCode::ALL {
            let spec = code.spec();
            assert!(
                seen.insert((spec.code, spec.status, spec.message)),
                "{code:?} repeats another row"
            );
            assert!(
                [400, 403, 404, 408, 413, 414, 431, 500, 503].contains(&spec.status),
                "{code:?}"
            );
            assert!(!spec.message.is_empty(), "{code:?}");
            // The variant is named for its code, so a reader finds one from the other.
            let plain: String = spec
                .code
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(
                code.name()
                    .to_ascii_lowercase()
                    .starts_with(&plain.to_ascii_lowercase()),
                "{code:?} is not named for {}",
                spec.code
            );
        }
    }

    #[test]
    fn constructors() {
        let e = ApiError::missing_parameter("RegionId");
        assert_eq!((e.status, e.code.as_str()), (400, "MissingParameter"));
        assert_eq!(
            e.message,
            "The input parameter \"RegionId\" that is mandatory for processing this request is not supplied."
        );
        assert_eq!(
            ApiError::invalid_parameter("PageSize").message,
            "The specified parameter \"PageSize\" is not valid."
        );
        assert_eq!(ApiError::internal().status, 500);
        assert_eq!(
            ApiError::internal(),
            ApiError::new(ErrorCode::InternalError)
        );
        assert_eq!(ApiError::service_unavailable().status, 503);
        let e = ApiError::new(ErrorCode::InvalidPhysicalConnectionIdNotFoundOnConfirm);
        assert_eq!(
            (e.status, e.code.as_str(), e.message.as_str()),
            (
                400,
                "InvalidPhysicalConnectionId.NotFound",
                "The specified physicalConnection is not found"
            )
        );
        let e = ApiError::new(ErrorCode::InvalidPortTypeNotFoundStatus404);
        assert_eq!(
            (e.status, e.code.as_str()),
            (404, "InvalidPortType.NotFound")
        );
        assert_eq!(
            ApiError::new(ErrorCode::InvalidAccessKeyIdNotFound).status,
            404
        );
    }

    #[test]
    fn placeholders() {
        let e = ApiError::with_args(
            ErrorCode::IncorrectStatusPhysicalConnectionOnRecover,
            &["pc-1"],
        );
        assert_eq!(e.message, "The status of pc-1 is incorrect.");
        let e = ApiError::with_args(ErrorCode::ResourceNotFound, &["%s"]);
        assert_eq!(e.message, "The specified resource %s is not found.");
        assert_eq!(
            ApiError::new(ErrorCode::ResourceNotFound).message,
            "The specified resource  is not found."
        );
        let e = ApiError::with_args(ErrorCode::SignatureDoesNotMatch, &["POST&%2F&A%3D1"]);
        assert_eq!(
            e.message,
            "Specified signature does not match our calculation. server string to sign is:POST&%2F&A%3D1"
        );
        assert_eq!(fill("%s-%s", &["a", "b", "c"]), "a-b");
    }
}
