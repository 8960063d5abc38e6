//! Server configuration: defaults, overridden by a TOML file (`--config`),
//! overridden by command-line flags (applied by the binary).

use physconn_domain::{ApiProfile, Fen, PriceTable, ProvisioningMode, ResponseStyle};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

mod reference;
pub use reference::{reference_markdown, OptionDoc, OPTIONS};

/// Which clock drives time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    #[default]
    System,
    /// Time moves only through the admin API (`POST /admin/clock/advance`).
    Manual,
}

impl ClockMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "system" => Some(Self::System),
            "manual" => Some(Self::Manual),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Manual => "manual",
        }
    }
}

/// Everything a running server needs to know. Field names are the TOML keys;
/// each is described for users in [`OPTIONS`] (`config/reference.rs`),
/// which a test keeps in step with this struct.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the API listener (port 0 picks a free port).
    pub listen: String,
    /// Address of the admin listener.
    pub admin_listen: String,
    /// Directory of the embedded SQLite store.
    pub data_dir: PathBuf,
    /// `postgres://…` selects PostgreSQL instead of the embedded store.
    pub database_url: Option<String>,
    /// `seed` (default) or `current` (docs/design/decisions.md#api-profiles).
    pub api_profile: ApiProfile,
    /// `union` (default), `sdk` or `seed` (docs/design/decisions.md#response-styles).
    pub response_style: ResponseStyle,
    /// `system` (default) or `manual`.
    pub clock: ClockMode,
    /// Start time of a manual clock on an empty store (RFC 3339); default: now.
    pub clock_start: Option<String>,
    /// `auto` (the provider moves circuits after `provisioning_delay`)
    /// or `manual` (only the admin API moves them). Overridable at run time
    /// through the admin API, per account and per circuit
    /// (docs/design/decisions.md#provider-simulator).
    #[serde(with = "lowercase_mode")]
    pub provisioning: ProvisioningMode,
    /// Seconds per provider step (Initial → Approved → Allocating → Allocated)
    /// and before a paid circuit becomes Enabled. Fractions allowed; 0 = at once.
    pub provisioning_delay: f64,
    /// Opening balance of the `default` account, e.g. `"1000000.00"`.
    pub default_balance: String,
    /// Accepted clock skew of signed requests, in seconds (the cloud's is 15
    /// minutes; docs/design/decisions.md#signatures-and-time).
    pub timestamp_window_seconds: i64,
    /// Used (AccessKeyId, nonce) pairs held in memory at most; beyond it a
    /// request is refused (503), never a pair forgotten
    /// (docs/design/protocol.md#replay-protection).
    pub nonce_cache_entries: usize,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// A request whose handling (once its body is in) takes longer is
    /// answered `ServiceUnavailable`.
    pub request_timeout_seconds: f64,
    /// A client must send a request's headers within this many seconds (a
    /// slow-loris client is cut off; idle keep-alive connections close).
    pub header_read_timeout_seconds: f64,
    /// A client must send a request's body within this many seconds of its
    /// headers (408 `RequestTimeout`); the request takes a slot of
    /// `max_concurrent_requests` only once its body is in.
    pub body_read_timeout_seconds: f64,
    /// Largest request head (request line and headers), bytes.
    pub max_header_bytes: usize,
    /// Connections open at once per listener.
    pub max_connections: usize,
    /// Requests handled at once; more are shed with 503 `ServiceUnavailable`.
    pub max_concurrent_requests: usize,
    /// Requests per second per (access key, action) before `Throttling.User`.
    pub throttle_per_action_rps: u32,
    /// An account may hold at most this many circuits that are
    /// not yet Enabled (the cloud's limit is 5; docs/design/circuits.md#create).
    pub max_pending_circuits: i64,
    /// Virtual border routers one line may carry (`QuotaExceeded.vbrPerpConn`);
    /// the cloud does not document its value.
    pub max_vbrs_per_line: i64,
    /// BGP groups one VBR may carry (`QuotaExceeded.Bgp`); undocumented value.
    pub max_bgp_groups_per_vbr: i64,
    /// Networks one VBR may advertise (`QuotaExceeded.BgpNetwork`); undocumented value.
    pub max_bgp_networks_per_vbr: i64,
    /// Hours an account may stay below zero (pay-as-you-go) before its
    /// pay-as-you-go circuits become `FinancialLocked`.
    pub overdue_grace_hours: i64,
    /// ClientToken retention (docs/design/decisions.md#idempotency), hours.
    pub idempotency_retention_hours: i64,
    /// Requests per second per access key before `Throttling.User`.
    pub throttle_per_key_rps: u32,
    /// Burst size of the per-key bucket.
    pub throttle_burst: u32,
    /// Master key (base64 of 32 bytes) that encrypts access-key secrets at
    /// rest; `PHYSCONN_MASTER_KEY` sets it too. Without one, the embedded
    /// store keeps a generated key in `<data_dir>/master.key`.
    pub master_key: Option<String>,
    /// TOML file of accounts and lines applied on a new store and after every
    /// reset (docs/fixtures.md).
    pub fixtures: Option<PathBuf>,
    /// Serve both listeners over HTTPS (docs/tls.md): with `tls_cert` and
    /// `tls_key` the operator's certificate, else one physconn issues from a
    /// local CA in `<data_dir>/tls/`.
    pub tls: bool,
    /// Names (DNS names or IP addresses) the issued certificate is valid for
    /// besides `localhost`, `127.0.0.1` and `::1`.
    pub tls_san: Vec<String>,
    /// The operator's certificate chain (PEM); implies `tls`.
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// The price table (docs/design/billing.md#price-table), keyed by port type.
    pub prices: PriceTable,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            admin_listen: "127.0.0.1:8081".into(),
            data_dir: PathBuf::from("./physconn-data"),
            database_url: None,
            api_profile: ApiProfile::Seed,
            response_style: ResponseStyle::Union,
            clock: ClockMode::System,
            clock_start: None,
            provisioning: ProvisioningMode::Auto,
            provisioning_delay: 1.0,
            default_balance: "1000000.00".into(),
            timestamp_window_seconds: 15 * 60,
            nonce_cache_entries: 1_000_000,
            max_body_bytes: 1 << 20,
            request_timeout_seconds: 30.0,
            header_read_timeout_seconds: 10.0,
            body_read_timeout_seconds: 10.0,
            max_header_bytes: 64 * 1024,
            max_connections: 4096,
            max_concurrent_requests: 512,
            throttle_per_action_rps: 500,
            max_pending_circuits: 5,
            max_vbrs_per_line: 10,
            max_bgp_groups_per_vbr: 8,
            max_bgp_networks_per_vbr: 100,
            overdue_grace_hours: 24,
            idempotency_retention_hours: physconn_domain::idempotency::DEFAULT_RETENTION_HOURS,
            throttle_per_key_rps: 1000,
            throttle_burst: 2000,
            master_key: None,
            fixtures: None,
            tls: false,
            tls_san: Vec::new(),
            tls_cert: None,
            tls_key: None,
            prices: PriceTable::default(),
        }
    }
}

/// The file says `provisioning = "manual"`, as the admin API and the
/// console do; the domain enum's own serde form is its Rust name (`Manual`), which
/// is still accepted so older files keep working.
mod lowercase_mode {
    use physconn_domain::ProvisioningMode;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(m: &ProvisioningMode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(m.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ProvisioningMode, D::Error> {
        let s = String::deserialize(d)?;
        ProvisioningMode::parse(&s.to_ascii_lowercase()).ok_or_else(|| {
            serde::de::Error::custom(format!("provisioning must be auto or manual, not {s:?}"))
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("invalid config file {0}: {1}")]
    Parse(PathBuf, String),
    #[error("invalid setting {0}: {1}")]
    Invalid(&'static str, String),
}

impl Config {
    pub fn from_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.into(), e))?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse(path.into(), e.to_string()))
    }

    /// Checks values serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        Fen::parse(&self.default_balance)
            .map_err(|e| ConfigError::Invalid("default_balance", e.to_string()))?;
        if !(self.provisioning_delay.is_finite() && self.provisioning_delay >= 0.0) {
            return Err(ConfigError::Invalid(
                "provisioning_delay",
                "must be >= 0".into(),
            ));
        }
        if !(self.request_timeout_seconds.is_finite() && self.request_timeout_seconds > 0.0) {
            return Err(ConfigError::Invalid(
                "request_timeout_seconds",
                "must be > 0".into(),
            ));
        }
        if let Some(s) = &self.clock_start {
            let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|e| ConfigError::Invalid("clock_start", e.to_string()))?;
            physconn_domain::clock::in_range(t)
                .map_err(|e| ConfigError::Invalid("clock_start", e.to_string()))?;
        }
        if !(self.header_read_timeout_seconds.is_finite() && self.header_read_timeout_seconds > 0.0)
        {
            return Err(ConfigError::Invalid(
                "header_read_timeout_seconds",
                "must be > 0".into(),
            ));
        }
        if !(self.body_read_timeout_seconds.is_finite() && self.body_read_timeout_seconds > 0.0) {
            return Err(ConfigError::Invalid(
                "body_read_timeout_seconds",
                "must be > 0".into(),
            ));
        }
        if self.max_connections == 0
            || self.max_concurrent_requests == 0
            || self.throttle_per_action_rps == 0
        {
            return Err(ConfigError::Invalid(
                "max_concurrent_requests",
                "limits must be > 0".into(),
            ));
        }
        if self.nonce_cache_entries == 0 {
            return Err(ConfigError::Invalid(
                "nonce_cache_entries",
                "must be > 0".into(),
            ));
        }
        if self.idempotency_retention_hours <= 0 {
            // Records are purged by age: 0 would forget a token before its
            // retry could come.
            return Err(ConfigError::Invalid(
                "idempotency_retention_hours",
                "must be > 0".into(),
            ));
        }
        if self.throttle_per_key_rps == 0 || self.throttle_burst == 0 {
            return Err(ConfigError::Invalid(
                "throttle_per_key_rps",
                "must be > 0".into(),
            ));
        }
        Ok(())
    }

    pub fn provisioning_delay(&self) -> time::Duration {
        time::Duration::seconds_f64(self.provisioning_delay)
    }

    pub fn default_balance(&self) -> Fen {
        Fen::parse(&self.default_balance).unwrap_or(Fen(100_000_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_overrides_defaults() {
        let c: Config = toml::from_str(
            r#"
            listen = "127.0.0.1:0"
            api_profile = "current"
            response_style = "sdk"
            clock = "manual"
            provisioning = "manual"
            provisioning_delay = 0.25
            [prices."10GBase-LR"]
            month = 100
            year = 1000
            hour = 1
            setup = 5
            "#,
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:0");
        assert_eq!(c.api_profile, ApiProfile::Current);
        assert_eq!(c.clock, ClockMode::Manual);
        assert_eq!(c.provisioning, ProvisioningMode::Manual);
        let old: Config = toml::from_str(r#"provisioning = "Manual""#).unwrap();
        assert_eq!(old.provisioning, ProvisioningMode::Manual);
        assert!(toml::from_str::<Config>(r#"provisioning = "sometimes""#).is_err());
        assert_eq!(c.prices.0.len(), 1);
        assert!(c.validate().is_ok());
        assert!(toml::from_str::<Config>("nonsense = 1").is_err());
    }
}
