//! The user-facing description of every [`Config`] field, kept beside the
//! struct so an option and its documentation change together.
//! `physconn config-reference` prints [`reference_markdown`], which is the
//! generated section of `docs/configuration.md`; defaults are read from
//! `Config::default()` at run time, never retyped here.

use super::Config;
use std::fmt::Write;

/// One configuration option as users see it.
#[derive(Debug, Clone, Copy)]
pub struct OptionDoc {
    /// The TOML key (the field name).
    pub key: &'static str,
    /// The accepted values, in words.
    pub kind: &'static str,
    /// The `physconn serve` flag that overrides the file, if any.
    pub flag: Option<&'static str>,
    /// The environment variable that sets it, if any.
    pub env: Option<&'static str>,
    /// What an unset optional value means (shown instead of a default).
    pub unset: &'static str,
    pub about: &'static str,
}

const fn opt(key: &'static str, kind: &'static str, about: &'static str) -> OptionDoc {
    OptionDoc {
        key,
        kind,
        flag: None,
        env: None,
        unset: "",
        about,
    }
}

const fn flag(mut o: OptionDoc, f: &'static str) -> OptionDoc {
    o.flag = Some(f);
    o
}

const fn env(mut o: OptionDoc, e: &'static str) -> OptionDoc {
    o.env = Some(e);
    o
}

const fn unset(mut o: OptionDoc, u: &'static str) -> OptionDoc {
    o.unset = u;
    o
}

/// Every field of [`Config`], in the order the reference lists them.
pub const OPTIONS: &[OptionDoc] = &[
    flag(opt("listen", "address", "API listener (host:port). Port 0 picks a free port; the `listening:` line printed at start says which."), "--listen"),
    flag(opt("admin_listen", "address", "Admin API and web console listener. Keep it private: whoever holds the admin token controls every account."), "--admin-listen"),
    flag(opt("data_dir", "path", "Directory of the embedded SQLite store (created if missing). Unused with `database_url`."), "--data-dir"),
    unset(env(flag(opt("database_url", "`postgres://…` URL", "Selects PostgreSQL instead of the embedded store; see [postgres.md](postgres.md). The flag wins over the variable, which wins over the file."), "--database-url"), "PHYSCONN_DATABASE_URL"), "embedded SQLite"),
    flag(opt("api_profile", "`seed` or `current`", "Which vintage of the API to serve ([why](design/decisions.md#api-profiles)). `seed`: AutoPay defaults to true and InstanceChargeType to PostPaid; `current`: AutoPay defaults to false, PrePaid only, and only accounts marked `bypass_sp` may enable a circuit without an order."), "--api-profile"),
    flag(opt("response_style", "`union`, `sdk` or `seed`", "Shape of the occupancy-order response: both shapes at once, the SDK's `Data.OrderId`, or the 2019 envelope ([why](design/decisions.md#response-styles))."), "--response-style"),
    flag(opt("clock", "`system` or `manual`", "`manual`: time moves only through the admin API (`POST /admin/clock/advance`), so tests never sleep."), "--clock"),
    unset(flag(opt("clock_start", "RFC 3339 time", "Start of a manual clock; used only when the store has no manual-clock time yet (a restarted server continues where its clock stood)."), "--clock-start"), "now"),
    opt("provisioning", "`auto` or `manual`", "`auto`, the simulated provider moves circuits after `provisioning_delay`; `manual`, only the admin API moves them. Changeable at run time per account and per circuit ([design](design/decisions.md#provider-simulator))."),
    flag(opt("provisioning_delay", "seconds (fractions allowed)", "Time per provider step (Initial → Approved → Allocating → Allocated) and before a paid circuit becomes Enabled; `0` makes every step immediate."), "--provisioning-delay"),
    opt("default_balance", "decimal CNY string", "Opening balance of the `default` account, created on first start (and restored by `POST /admin/reset`)."),
    opt("timestamp_window_seconds", "integer", "Accepted clock skew of signed requests ([design](design/decisions.md#signatures-and-time)), measured against the machine's real time even with `clock = \"manual\"`; older or newer `Timestamp`s are `InvalidTimeStamp.Expired`."),
    opt("nonce_cache_entries", "integer", "Used (AccessKeyId, SignatureNonce) pairs held in memory at most, each until its timestamp leaves the window. When full, a signed request is answered 503 `ServiceUnavailable` with `x-acs-retry-after` rather than a pair forgotten ([design](design/protocol.md#replay-protection))."),
    opt("max_body_bytes", "integer", "Largest accepted request body; larger ones are answered 413 `RequestEntityTooLarge`."),
    opt("request_timeout_seconds", "seconds", "A request whose handling (from the moment its body is in) takes longer is answered 503 `ServiceUnavailable`."),
    opt("header_read_timeout_seconds", "seconds", "A client must send a request's headers within this time; slow clients are cut off and idle keep-alive connections closed."),
    opt("body_read_timeout_seconds", "seconds", "A client must send a request's body within this time after its headers, or is answered 408 `RequestTimeout`. A request counts against `max_concurrent_requests` only once its body is in, so slow bodies cannot take every slot ([design](design/protocol.md#edge-limits))."),
    opt("max_header_bytes", "integer", "Largest request head (request line and headers)."),
    opt("max_connections", "integer", "Connections open at once, per listener; further ones wait in the kernel's backlog."),
    opt("max_concurrent_requests", "integer", "Requests handled at once (counted once their body is in; `/health` is not counted); more are shed at once with 503 `ServiceUnavailable`."),
    opt("throttle_per_action_rps", "integer", "Requests per second per access key and action before `Throttling.User`."),
    opt("max_vbrs_per_line", "integer", "Virtual border routers one line may carry (`QuotaExceeded.vbrPerpConn`); the cloud does not document its limit."),
    opt("max_bgp_groups_per_vbr", "integer", "BGP groups one virtual border router may carry (`QuotaExceeded.Bgp`); the cloud does not document its limit (its peer limit, 8 per VBR, is fixed)."),
    opt("max_bgp_networks_per_vbr", "integer", "Networks one virtual border router may advertise through BGP (`QuotaExceeded.BgpNetwork`); the cloud does not document its limit."),
    opt("max_pending_circuits", "integer", "Circuits not yet Enabled that one account may hold (`QuotaExceeded.freePconnPerAP`); the cloud's limit is 5."),
    opt("overdue_grace_hours", "integer", "Hours an account may stay below zero (pay-as-you-go metering) before its pay-as-you-go circuits become `FinancialLocked`."),
    opt("idempotency_retention_hours", "integer", "ClientTokens are remembered at least this long (must be > 0); a retry within it gets the first answer. Older ones are purged every 10 minutes, and at once when the manual clock moves past them; the token then starts a new request ([design](design/decisions.md#idempotency))."),
    opt("throttle_per_key_rps", "integer", "Requests per second per access key, all actions together, before `Throttling.User`."),
    opt("throttle_burst", "integer", "Burst size of the per-key bucket."),
    unset(env(opt("master_key", "base64 of 32 bytes", "Encrypts access-key secrets at rest. With PostgreSQL and no key, secrets are stored unencrypted (with a warning at start); give every server the same key."), "PHYSCONN_MASTER_KEY"), "embedded store: generated into `<data_dir>/master.key`"),
    unset(flag(opt("fixtures", "path", "TOML file of accounts and physical connections a test environment starts from: applied on a store that has not applied them yet and again after every `POST /admin/reset`, idempotent by name; a bad file or an entry that cannot be applied stops the start. See [fixtures.md](fixtures.md)."), "--fixtures"), "none"),
    env(flag(opt("tls", "boolean", "Serve both listeners over HTTPS ([tls.md](tls.md)). Without `tls_cert`, physconn issues the certificate from a local CA it makes in `<data_dir>/tls/` on the first start and keeps: clients trust `<data_dir>/tls/ca.pem`. The `listening:` line then says `https://`. A TLS handshake must end within `header_read_timeout_seconds`."), "--tls"), "PHYSCONN_TLS"),
    env(flag(opt("tls_san", "list of DNS names or IP addresses", "Names the issued certificate is valid for besides `localhost`, `127.0.0.1` and `::1` (a wildcard such as `*.example.test` too). The flag is repeatable, the variable comma-separated; a start with other names issues a new certificate from the same CA. Not with `tls_cert`."), "--tls-san"), "PHYSCONN_TLS_SAN"),
    unset(env(flag(opt("tls_cert", "path", "Your own certificate chain (PEM, the server's certificate first) instead of an issued one; implies `tls`. Needs `tls_key`."), "--tls-cert"), "PHYSCONN_TLS_CERT"), "issued from the local CA"),
    unset(env(flag(opt("tls_key", "path", "The private key (PEM: PKCS#8, PKCS#1 or SEC1) of `tls_cert`; a key that is not the certificate's stops the start."), "--tls-key"), "PHYSCONN_TLS_KEY"), "none"),
    opt("prices", "table per port type", "The price table ([design](design/billing.md#price-table)): `[prices.\"<PortType>\"]` with `month`, `year`, `hour`, `setup` in integer **fen**. Giving `[prices]` replaces the whole default table; a port type missing from it has no price (`InvalidPrice.NotFound`)."),
];

/// The defaults as the TOML file would spell them, keyed by field.
fn defaults() -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

fn show_default(o: &OptionDoc, v: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match v {
        None | Some(Value::Null) => o.unset.to_string(),
        Some(Value::String(s)) => format!("`{s:?}`"),
        Some(Value::Object(_)) => "the table below".to_string(),
        Some(other) => format!("`{other}`"),
    }
}

/// The generated part of `docs/configuration.md`.
pub fn reference_markdown() -> String {
    let defaults = defaults();
    let mut out = String::new();
    out.push_str("| TOML key | accepts | default | flag / environment | meaning |\n");
    out.push_str("|---|---|---|---|---|\n");
    for o in OPTIONS {
        let overrides: Vec<String> = o
            .flag
            .iter()
            .chain(o.env.iter())
            .map(|s| format!("`{s}`"))
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            o.key,
            o.kind,
            show_default(o, defaults.get(o.key)),
            overrides.join(", "),
            o.about
        );
    }
    out.push_str("\nThe default price table, in fen (100 fen = 1 CNY):\n\n");
    out.push_str("| port type | `month` | `year` | `hour` | `setup` |\n|---|---|---|---|---|\n");
    for (port, p) in &Config::default().prices.0 {
        let _ = writeln!(
            out,
            "| `{port}` | {} | {} | {} | {} |",
            p.month.0, p.year.0, p.hour.0, p.setup.0
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Adding a field to `Config` without describing it here fails.
    #[test]
    fn every_field_is_documented_once() {
        let fields: BTreeSet<String> = defaults().keys().cloned().collect();
        let documented: Vec<&str> = OPTIONS.iter().map(|o| o.key).collect();
        let unique: BTreeSet<String> = documented.iter().map(|s| s.to_string()).collect();
        assert_eq!(unique.len(), documented.len(), "a key is listed twice");
        assert_eq!(fields, unique, "Config fields vs OPTIONS");
    }

    #[test]
    fn optional_fields_say_what_unset_means() {
        for o in OPTIONS {
            if defaults()[o.key].is_null() {
                assert!(!o.unset.is_empty(), "{} needs `unset`", o.key);
            }
            assert!(!o.about.contains('|'), "{}: a | breaks the table", o.key);
        }
    }

    /// The defaults shown are ones the file accepts back.
    #[test]
    fn defaults_round_trip_through_toml() {
        let text = toml::to_string(&Config::default()).expect("serialise");
        let back: Config = toml::from_str(&text).expect("parse");
        assert_eq!(
            serde_json::to_value(back).unwrap(),
            serde_json::to_value(Config::default()).unwrap()
        );
        let md = reference_markdown();
        assert!(md.contains("| `listen` | address | `\"127.0.0.1:8080\"` | `--listen` |"));
        assert!(md.contains("| `provisioning` | `auto` or `manual` | `\"auto\"` |"));
    }
}
