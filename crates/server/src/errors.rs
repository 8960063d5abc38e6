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
            ApiError::with_args(other.code(), &refs)
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

    /// Every business refusal fills its row's placeholders, and only an
    /// internal failure answers `InternalError`.
    #[test]
    fn every_refusal_fills_its_row() {
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
            ResourceGroupIdInvalid,
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

/// The error table's `[unused]` marks are kept true by reading the workspace:
/// a row is produced when non-test code names its `ErrorCode` variant, and
/// every produced row must be asserted by some test (Rust, SDK or snapshot).
#[cfg(test)]
mod reach {
    use physconn_wire::{ErrorCode, Reach};
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// Files under `dir` with one of `exts`, skipping build and package dirs.
    fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.')
                    && !matches!(name.as_str(), "target" | "node_modules" | "__pycache__")
                {
                    files(&path, exts, out);
                }
            } else if exts.iter().any(|e| name.ends_with(e)) {
                out.push(path);
            }
        }
    }

    /// A Rust source file split into its product part and its test module.
    fn split_tests(text: &str) -> (&str, &str) {
        let cut = text
            .match_indices("#[cfg(test)]")
            .map(|(i, _)| i)
            .find(|&i| {
                text[i..]
                    .trim_start_matches("#[cfg(test)]")
                    .trim_start()
                    .starts_with("mod ")
            })
            .unwrap_or(text.len());
        text.split_at(cut)
    }

    /// The variants named as `ErrorCode::Name` in `text`.
    fn named(text: &str, out: &mut BTreeSet<String>) {
        for (i, _) in text.match_indices("ErrorCode::") {
            let rest = &text[i + "ErrorCode::".len()..];
            let end = rest
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .unwrap_or(rest.len());
            out.insert(rest[..end].to_string());
        }
    }

    /// Produced rows no test asserts yet. Shrink it: the test fails when a
    /// listed row gains a test (remove it here) and when an unlisted one has
    /// none.
    const NOT_YET_ASSERTED: &[ErrorCode] = &[
        ErrorCode::InvalidPriceNotFound,
        ErrorCode::IncorrectStatusPhysicalConnection,
        ErrorCode::InvalidPeerLocationMalformd,
        ErrorCode::QuotaExceededPConnPerAP,
        ErrorCode::InvalidRedundantPhysicalConnection,
        ErrorCode::InvalidCircuitCodeMalformed,
        ErrorCode::InvalidAccessPointIdNotEnabled,
        ErrorCode::InvalidRegionIdNotFoundOnConfirm,
        ErrorCode::InvalidAccessPointTypeNotSupport,
        ErrorCode::IllegalParamLineCode,
        ErrorCode::PayInsufficientBalance,
    ];

    #[test]
    fn every_error_row_is_produced_or_marked_unused() {
        let root = workspace();
        let mut sources = Vec::new();
        for krate in ["wire", "domain", "store", "server", "physconn"] {
            files(
                &root.join("crates").join(krate).join("src"),
                &[".rs"],
                &mut sources,
            );
        }
        assert!(sources.len() > 20, "sources not found under {root:?}");
        let mut produced = BTreeSet::new();
        let mut test_text = String::new();
        for path in &sources {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let (product, tests) = split_tests(&text);
            named(product, &mut produced);
            if !path.ends_with("wire/src/errors.rs") {
                test_text.push_str(tests);
            }
        }
        let mut test_files = Vec::new();
        files(&root.join("crates"), &[".snap"], &mut test_files);
        for krate in ["wire", "domain", "store", "server", "physconn"] {
            files(
                &root.join("crates").join(krate).join("tests"),
                &[".rs"],
                &mut test_files,
            );
        }
        files(&root.join("tests"), &[".py", ".js"], &mut test_files);
        for path in &test_files {
            test_text.push_str(&std::fs::read_to_string(path).unwrap_or_default());
        }

        let mut wrong = Vec::new();
        for &code in ErrorCode::ALL {
            let spec = code.spec();
            let used = produced.contains(code.name());
            match (spec.reach, used) {
                (Reach::Produced, false) => wrong.push(format!(
                    "{code:?}: no code returns it; mark it [unused] or return it"
                )),
                (Reach::Unused, true) => {
                    wrong.push(format!("{code:?} is returned but marked [unused]"))
                }
                _ => {}
            }
            if spec.reach == Reach::Produced {
                let asserted = [
                    format!("\"{}\"", spec.code),
                    format!("'{}'", spec.code),
                    format!(">{}<", spec.code),
                ]
                .iter()
                .any(|q| test_text.contains(q.as_str()));
                // A code with several rows: each row's own message is asserted too.
                let shared = ErrorCode::ALL
                    .iter()
                    .filter(|c| c.code() == spec.code)
                    .count();
                let head = spec.message.split("%s").next().unwrap_or_default();
                let asserted =
                    asserted && (shared == 1 || head.is_empty() || test_text.contains(head));
                match (asserted, NOT_YET_ASSERTED.contains(&code)) {
                    (false, false) => wrong.push(format!(
                        "{code:?} ({}: {head:?}) is asserted by no test",
                        spec.code
                    )),
                    (true, true) => wrong.push(format!(
                        "{code:?} is asserted now: remove it from NOT_YET_ASSERTED"
                    )),
                    _ => {}
                }
            }
        }
        assert!(wrong.is_empty(), "error table marks:\n{}", wrong.join("\n"));
    }
}
