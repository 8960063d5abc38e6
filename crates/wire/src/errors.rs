//! The error catalogue, kept as data: one row per error the server can return, with the
//! exact code, HTTP status and message the real service uses
//! (docs/design/protocol.md#error-model, docs/design/circuits.md#action-errors). Handlers
//! name a row by key; nothing else in the server spells out a message.

/// One row of [`ERROR_TABLE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorSpec {
    /// The lookup key: the code itself, or `Code@Variant` when one code has per-action
    /// statuses or messages (e.g. `InvalidPhysicalConnectionId.NotFound@Confirm`).
    pub key: &'static str,
    /// The `Code` sent to the client.
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The message, verbatim from the vendor (typos included); `%s` placeholders are filled
    /// in order by [`ApiError::with_args`].
    pub message: &'static str,
}

const fn row(key: &'static str, status: u16, message: &'static str) -> ErrorSpec {
    ErrorSpec {
        key,
        code: key,
        status,
        message,
    }
}

const fn variant(
    key: &'static str,
    code: &'static str,
    status: u16,
    message: &'static str,
) -> ErrorSpec {
    ErrorSpec {
        key,
        code,
        status,
        message,
    }
}

/// Every error the server returns.
#[rustfmt::skip]
pub static ERROR_TABLE: &[ErrorSpec] = &[
    // Gateway level (docs/design/protocol.md#gateway-errors).
    row("MissingParameter", 400, "The input parameter \"%s\" that is mandatory for processing this request is not supplied."),
    row("InvalidParameter", 400, "The specified parameter \"%s\" is not valid."),
    row("IncompleteSignature", 400, "The request signature does not conform to Aliyun standards. server string to sign is:%s"),
    row("SignatureDoesNotMatch", 400, "Specified signature does not match our calculation. server string to sign is:%s"),
    row("InvalidAccessKeyId.NotFound", 404, "Specified access key is not found."),
    row("InvalidAccessKeyId.Inactive", 400, "Specified access key is disabled."),
    row("InvalidSecurityToken.Expired", 400, "Specified SecurityToken is expired."),
    row("InvalidSecurityToken.Malformed", 400, "Specified SecurityToken is malformed."),
    row("InvalidSecurityToken.MismatchWithAccessKey", 400, "Specified SecurityToken mismatch with the AccessKey."),
    row("SignatureNonceUsed", 400, "Specified signature nonce was used already."),
    row("InvalidTimeStamp.Expired", 400, "Specified time stamp or date value is expired."),
    row("InvalidTimeStamp.Format", 400, "Specified time stamp or date value is not well formatted."),
    row("Throttling.User", 400, "Request was denied due to user flow control."),
    row("Throttling.Api", 400, "Request was denied due to api flow control."),
    row("Throttling", 400, "Request was denied due to flow control."),
    row("InvalidAction.NotFound", 404, "Specified api is not found, please check your url and method."),
    row("InvalidApi.NotFound", 404, "Specified api is not found, please check your url and method."),
    row("InvalidVersion", 400, "Specified parameter Version is not valid."),
    row("Forbidden.RAM", 403, "User not authorized to operate on the specified resource, or this API doesn't support RAM."),
    row("NoPermission", 403, "You are not authorized to do this action."),
    row("UnsupportedHTTPMethod", 403, "This http method not supported."),
    row("InvalidProduct.NotFound", 404, "Cannot find product according to your specified domain."),
    row("RequestParameterMalformed", 400, "Request parameters has malformed encoded characters."),
    row("InternalError", 500, "The request processing has failed due to some unknown error, exception or failure."),
    row("ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server."),
    row("IdempotentParameterMismatch", 400, "Request uses a client token in a previous request but is not identical to that request."),
    row("InvalidSignatureMethod", 400, "Specified signature method is not supported."),
    row("InvalidSignatureVersion", 400, "Specified signature version is not supported."),
    row("RequestEntityTooLarge", 413, "The request body is too large."),
    row("RequestTimeout", 408, "The request has timed out."),
    // CreatePhysicalConnectionOccupancyOrder.
    row("IAbs.InvalidStatus.ValueNotSupported", 400, "status is not supported."),
    row("InvalidPrice.NotFound", 400, "Pricing plan result not found."),
    row("InvalidPhysicalConnectionChargeType.Malformed", 400, "Specified Physical Connection ChargeType is not valid."),
    row("InvalidPhysicalConnectionPeriod.Malformed", 400, "Specified Physical Connection Period is not valid."),
    row("InvalidPhysicalConnectionPricingCycle.Malformed", 400, "Specified Physical Connection PricingCycle is not valid."),
    row("Forbidden.NotAllowedInState", 400, "The request does not allow in this state."),
    row("INSTANCE.STATUS.NOT.ALLOW", 400, "Instance status not allow"),
    row("Abs.InstanceNotExist", 400, "The specified instance does not exist."),
    row("IncorrectStatus.PhysicalConnection", 400, "Invalid physical connection status."),
    row("InvalidRegionId.NotFound", 404, "The RegionId provided does not exist in our records."),
    row("InvalidPhysicalConnectionId.NotFound", 404, "The PhysicalConnectionId provided does not exist in our records."),
    // CreatePhysicalConnection, typos verbatim.
    row("Invalid.Status", 400, "The device or interface status invalid, or has been used.."),
    row("InvalidType.Malformd", 400, "The Type provided was invalid."),
    row("InvalidPeerLocation.Malformd", 400, "The PeerLocation provided was invalid."),
    row("InvalidLineOperator.Malformd", 400, "The LineOperator provided was invalid."),
    row("InvalidPortType.Malformd", 400, "The PortType provided was invalid."),
    row("InvalidDescription.Malformed", 400, "The specifid ?Description? is not valid."),
    row("InvalidRedundantPhysicalConnectionId.NotFound", 400, "The RedundantPhysicalConnectionId does not found."),
    row("InvalidName.Malformed", 400, "The specified ?Name? is not valid."),
    row("QuotaExceeded.pConnPerAP", 400, "Physical connection count per ap quota exceed."),
    row("InvalidBandwidth", 400, "invalid physical connection banwidth."),
    row("InvalidRedundantPhysicalConnection", 400, "redundant physical connection doesn't belong to current user."),
    row("InvalidRedundantPhysicalConnectionStatus", 400, "invalid redundant physical connection status."),
    row("InvalidCircuitCode.Malformed", 400, "circuitCode is illegal."),
    row("QuotaExceeded.freePconnPerAP", 400, "free physical connections count excceeded."),
    row("InvalidPhysicalConnectionOperator.Malformed", 400, "Specified PhysicalConnection Operator is not valid."),
    row("InvalidPhysicalConnectionPortType.Malformed", 400, "Specified PhysicalConnection PortType is not valid."),
    row("InvalidPhysicalConnectionBandwidth.Malformed", 400, "Specified PhysicalConnection Bandwidth is not valid."),
    row("IllegalParam.ClientToken", 400, "Token verify failed because client token length too long."),
    row("InvalidPortType.NotFound", 400, "Specified port type is not found."),
    variant("InvalidPortType.NotFound@404", "InvalidPortType.NotFound", 404, "There are no resources with the portType."),
    row("OperationFailed.PconnTrafficNotEnable", 400, "The operation is failed because of PconnTrafficNotEnable."),
    row("InvalidAccessPointId.NotEnabled", 400, "Invalid access point status."),
    row("ResourceNotFound.AccessPointId", 400, "The specified resource of access point id is not found."),
    // DescribePhysicalConnections.
    row("InvalidFilterKey.ValueNotSupported", 404, "Specified filter key is not supported: %s"),
    row("OperationUnsupported.ResourceGroupId", 400, "ResourceGroupId in financial region is unsupported."),
    // ConfirmPhysicalConnection.
    row("ResourceNotFound.PhysicalConnectionId", 400, "PhysicalConnection is not found."),
    row("MissingParam.RegionNo", 400, "RegionNo is missing."),
    row("MissingParam.AliUid", 400, "AliUid is missing."),
    row("MissingParam.PhysicalConnectionId", 400, "PhysicalConnectionId is missing."),
    variant("InvalidPhysicalConnectionId.NotFound@Confirm", "InvalidPhysicalConnectionId.NotFound", 400, "The specified physicalConnection is not found"),
    variant("InvalidRegionId.NotFound@Confirm", "InvalidRegionId.NotFound", 400, "The specified RegionId is not found."),
    variant("IncorrectStatus.PhysicalConnection@Confirm", "IncorrectStatus.PhysicalConnection", 400, "The specified PhysicalConnectionId is not in Allocated state."),
    row("OperationUnsupported.SkipConstruction", 400, "You can not skip construction."),
    // EnablePhysicalConnection.
    row("ALIUID.NOT.ALLOW.WITHOUT.SP", 400, "AliUid not allow direct enable physical connection"),
    row("ACCESS.DEVICE.NOT.ALLOW.WITHOUT.SP", 400, "Access device not allow direct enable physical connection"),
    // TerminatePhysicalConnection.
    row("Forbidden.VbrAttached", 400, "Cannot terminate physical connection when virtual border routers are still attached."),
    row("OperationFailed.VpconnAttached", 400, "Cannot terminate physical connection when vpconn are still attached."),
    row("OperationDenied.MacsecAttached", 400, "The operation is not allowed because of MacsecAttached."),
    row("OperationFailed.ResourceLockedBySystem", 400, "The specified resource is locked by system."),
    // DeletePhysicalConnection.
    row("InvalidPhysicalConnectionId.NotMatched", 400, "instance id not matched."),
    row("Forbidden.VBRExists", 400, "physical connection owner's vbr still exists."),
    row("Forbidden.AssociateToVBR", 400, "The physical connection still associate to VBR."),
    row("OperationDenied.NeedVpconnOwner", 400, "The operation is denied."),
    // RecoverPhysicalConnection.
    variant("IncorrectStatus.PhysicalConnection@Recover", "IncorrectStatus.PhysicalConnection", 400, "The status of %s is incorrect."),
    row("ResourceNotFound", 400, "The specified resource %s is not found."),
    row("OperationDenied.TerminateVirtualPhysicalConnection", 400, "The operation is not allowed because of TerminateVirtualPhysicalConnection."),
    // DescribeAccessPoints.
    row("InvalidAccessPointType.NotSupport", 400, "Invalid access point type."),
    row("InvalidRegionId.NotSupport", 404, "The RegionId provided does not support in our records."),
    // LOA APIs; the vendor documents most messages only as "%s".
    row("MissingParam.InstanceId", 400, "%s"),
    row("MissingParam.PMInfo", 400, "%s"),
    row("IllegalParam.LineOperator", 400, "%s"),
    row("IllegalParam.LineType", 400, "%s"),
    row("IllegalParam.PeerLocation", 400, "%s"),
    row("IllegalParam.PmCertificateType", 400, "%s"),
    row("IllegalParam.PmCertificateNo", 400, "%s"),
    row("IllegalParam.PmContactInfo", 400, "%s"),
    row("IllegalParam.PmGender", 400, "%s"),
    row("IllegalParam.PmName", 400, "%s"),
    row("IllegalParam.Si", 400, "%s"),
    row("IllegalParam.CompanyName", 400, "%s"),
    row("IllegalParam.Bandwidth", 400, "The param of bandwidth is illegal."),
    row("InvalidConstructionTime.Malformed", 400, "%s"),
    row("InvalidInstanceId.NotFound", 400, "%s"),
    row("IncorrectStatus.PhysicalConnectionLOA", 400, "%s"),
    row("IllegalParam.LineCode", 400, "%s"),
    row("IllegalParam.LineLabel", 400, "%s"),
    row("IllegalParam.LineSPContactInfo", 400, "LineSPContactInfo is illegal."),
    row("OperationDenied.LOAStatusNotAllowComplete", 400, "The operation is not allowed because of LOAStatusNotAllowComplete."),
    // Not in any stored error table; chosen by physconn (docs/api-coverage.md).
    row("Forbidden.FinancialLocked", 400, "The account has an overdue physical connection; new physical connections cannot be applied for."),
    // BSS (BssOpenApi 2017-12-14) order and balance errors. `PAY.INSUFFICIENT_BALANCE`
    // is the text other Alibaba products document; the rest are physconn's choice.
    row("InvalidOrderId.NotFound", 404, "The specified order does not exist."),
    row("InvalidOrderStatus.NotPayable", 400, "The order cannot be paid in its current status."),
    row("InvalidOrderStatus.NotCancellable", 400, "Only unpaid orders can be cancelled."),
    row("PAY.INSUFFICIENT_BALANCE", 400, "The Account Balance is insufficient."),
];

/// Looks up a row by key.
pub fn lookup(key: &str) -> Option<&'static ErrorSpec> {
    ERROR_TABLE.iter().find(|spec| spec.key == key)
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
    /// The error of row `key`, placeholders left empty. An unknown key is a programming
    /// error: it asserts in debug builds and becomes `InternalError` in release builds.
    pub fn new(key: &str) -> ApiError {
        ApiError::with_args(key, &[])
    }

    /// The error of row `key` with `%s` placeholders filled in order by `args` (missing
    /// arguments become empty, extra ones are ignored; argument text is never re-scanned).
    pub fn with_args(key: &str, args: &[&str]) -> ApiError {
        let spec = match lookup(key) {
            Some(spec) => spec,
            None => {
                debug_assert!(false, "unknown error key {key:?}");
                return ApiError::internal();
            }
        };
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
        ApiError::with_args("MissingParameter", &[name])
    }

    /// `InvalidParameter` naming `name`.
    pub fn invalid_parameter(name: &str) -> ApiError {
        ApiError::with_args("InvalidParameter", &[name])
    }

    /// `InternalError` (500).
    pub fn internal() -> ApiError {
        ApiError::from_spec_unchecked(
            "InternalError",
            500,
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }

    /// `ServiceUnavailable` (503).
    pub fn service_unavailable() -> ApiError {
        ApiError::new("ServiceUnavailable")
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

    fn from_spec_unchecked(code: &str, status: u16, message: &str) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
            access_denied_detail: None,
            retry_after_ms: None,
        }
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
        let mut keys = HashSet::new();
        for spec in ERROR_TABLE {
            assert!(keys.insert(spec.key), "duplicate key {}", spec.key);
            assert!(
                [400, 403, 404, 408, 413, 500, 503].contains(&spec.status),
                "{}",
                spec.key
            );
            assert!(!spec.message.is_empty(), "{}", spec.key);
            assert!(!spec.code.is_empty(), "{}", spec.key);
            let base = spec.key.split('@').next().unwrap_or_default();
            assert_eq!(base, spec.code, "key {} must start with its code", spec.key);
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
        assert_eq!(ApiError::internal(), ApiError::new("InternalError"));
        assert_eq!(ApiError::service_unavailable().status, 503);
        let e = ApiError::new("InvalidPhysicalConnectionId.NotFound@Confirm");
        assert_eq!(
            (e.status, e.code.as_str(), e.message.as_str()),
            (
                400,
                "InvalidPhysicalConnectionId.NotFound",
                "The specified physicalConnection is not found"
            )
        );
        let e = ApiError::new("InvalidPortType.NotFound@404");
        assert_eq!(
            (e.status, e.code.as_str()),
            (404, "InvalidPortType.NotFound")
        );
        assert_eq!(ApiError::new("InvalidAccessKeyId.NotFound").status, 404);
    }

    #[test]
    fn placeholders() {
        let e = ApiError::with_args("IncorrectStatus.PhysicalConnection@Recover", &["pc-1"]);
        assert_eq!(e.message, "The status of pc-1 is incorrect.");
        let e = ApiError::with_args("ResourceNotFound", &["%s"]);
        assert_eq!(e.message, "The specified resource %s is not found.");
        assert_eq!(
            ApiError::new("ResourceNotFound").message,
            "The specified resource  is not found."
        );
        let e = ApiError::with_args("SignatureDoesNotMatch", &["POST&%2F&A%3D1"]);
        assert_eq!(
            e.message,
            "Specified signature does not match our calculation. server string to sign is:POST&%2F&A%3D1"
        );
        assert_eq!(fill("%s-%s", &["a", "b", "c"]), "a-b");
    }
}
