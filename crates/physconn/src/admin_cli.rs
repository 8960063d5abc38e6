//! Subcommands over the admin API, so a scenario can be driven from a shell
//! script: `physconn account create`, `physconn circuit advance`, ...

use crate::admin_client::Client;
use anyhow::{bail, Result};
use clap::{Subcommand, ValueEnum};
use physconn_domain::ProvisioningMode;
use serde_json::{json, Value};

#[derive(Subcommand)]
pub enum AccountCmd {
    /// Create an account with its first access key.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "0")]
        balance: String,
        #[arg(long)]
        credit_limit: Option<String>,
    },
    /// Show an account (`default` names the default account).
    Show {
        id: String,
    },
    List,
    /// Set the balance (recorded as a ledger adjustment).
    Balance {
        id: String,
        amount: String,
    },
    /// Change credit line, direct-enable permission or provisioning mode.
    Set {
        id: String,
        #[arg(long)]
        credit_limit: Option<String>,
        #[arg(long)]
        bypass_sp: Option<bool>,
        /// Provisioning mode of the account's circuits.
        #[arg(long, value_enum)]
        provisioning: Option<ModeChoice>,
    },
    /// The account's ledger.
    Ledger {
        id: String,
    },
    /// Issue temporary (STS) credentials.
    Sts {
        id: String,
        #[arg(long, default_value_t = 3600)]
        seconds: i64,
    },
}

#[derive(Subcommand)]
pub enum KeyCmd {
    /// Create another access key for an account.
    Create {
        account: String,
    },
    List {
        account: String,
    },
    Enable {
        key: String,
    },
    Disable {
        key: String,
    },
}

#[derive(Subcommand)]
pub enum CircuitCmd {
    /// A circuit with its timeline and pending steps.
    Show { id: String },
    /// Perform the circuit's next pending provider step now.
    Advance { id: String },
    /// Force a provider transition (e.g. Allocated, Rejected, "Allocation Failed").
    Status { id: String, status: String },
    /// Per-circuit provisioning mode.
    Mode {
        id: String,
        #[arg(value_enum)]
        mode: ModeChoice,
    },
}

#[derive(Subcommand)]
pub enum VbrCmd {
    /// A line's VBRs (`--circuit`) or an account's (`--account`).
    List {
        #[arg(long, conflicts_with = "account", required_unless_present = "account")]
        circuit: Option<String>,
        #[arg(long)]
        account: Option<String>,
    },
    /// A VBR with its pending steps and BGP objects.
    Show { id: String },
    /// Perform the VBR's pending provider move now (or accept an unconfirmed VBR).
    Advance { id: String },
    /// The same move, only if it leads to `status` (active, terminated, deleted).
    Status { id: String, status: String },
}

#[derive(Subcommand)]
pub enum BgpCmd {
    /// A VBR's BGP groups, peers and networks.
    List {
        #[arg(long)]
        vbr: String,
    },
    /// Perform a group's, peer's or network's (`<RouterId>:<DstCidrBlock>`) pending step now.
    Advance { id: String },
    /// Set a peer's session state (Idle, Connect, Active, OpenSent, OpenConfirm, Established,
    /// or "" for none).
    Session {
        peer: String,
        state: String,
        #[arg(long)]
        advertised: Option<i64>,
        #[arg(long)]
        received: Option<i64>,
    },
}

#[derive(Subcommand)]
pub enum FaultCmd {
    /// Make the next matching provider step fail, or the next matching
    /// create call answer a conflict.
    Add {
        #[arg(long, value_enum)]
        scope: FaultScope,
        /// Circuit id, VBR id or AccountId (not for global).
        #[arg(long, default_value = "")]
        target: String,
        /// What the fault does.
        #[arg(long, value_enum)]
        outcome: FaultOutcome,
        /// How many steps or calls (default 1; global: until removed).
        #[arg(long)]
        count: Option<i64>,
        /// For a global Rejected or Allocation Failed: share of circuits, 0-1.
        #[arg(long)]
        share: Option<f64>,
    },
    List,
    Rm {
        id: String,
    },
}

#[derive(Subcommand)]
pub enum ClockCmd {
    Show,
    /// Manual clock: move forward, firing due steps in order.
    Advance {
        seconds: f64,
    },
    /// Manual clock: jump to an instant (RFC 3339).
    Set {
        now: String,
    },
}

#[derive(Subcommand)]
pub enum ProvisioningCmd {
    Show,
    Set {
        #[arg(long, value_enum)]
        mode: Option<ProvisioningMode>,
        /// Seconds per provider step.
        #[arg(long)]
        delay: Option<f64>,
    },
}

#[derive(Subcommand)]
pub enum OrderCmd {
    List {
        #[arg(long)]
        account: Option<String>,
    },
}

/// A circuit's or account's provisioning mode as the admin API takes it.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ModeChoice {
    /// The simulated provider moves circuits by itself.
    Auto,
    /// Only the admin API moves circuits.
    Manual,
    /// No override: follow the account's or the global mode.
    Inherit,
}

impl ModeChoice {
    fn json(self) -> Value {
        match self {
            ModeChoice::Auto => json!(ProvisioningMode::Auto.as_str()),
            ModeChoice::Manual => json!(ProvisioningMode::Manual.as_str()),
            ModeChoice::Inherit => Value::Null,
        }
    }
}

/// Which steps or calls a fault applies to.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FaultScope {
    /// One circuit (`--target` is its id): its steps, or the VBRs created on it.
    Circuit,
    /// One VBR (`--target` is its id): the BGP groups created on it.
    Vbr,
    /// The next `--count` circuits or calls of an account (`--target` is its AccountId).
    Account,
    /// A share of all circuits (`--share`), or every call.
    Global,
}

impl FaultScope {
    fn domain(self) -> physconn_domain::FaultScope {
        use physconn_domain::FaultScope as S;
        match self {
            FaultScope::Circuit => S::Circuit,
            FaultScope::Vbr => S::Vbr,
            FaultScope::Account => S::Account,
            FaultScope::Global => S::Global,
        }
    }
}

/// What a fault does.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FaultOutcome {
    /// The review step fails.
    #[value(name = "Rejected")]
    Rejected,
    /// The allocation step fails.
    #[value(name = "Allocation Failed")]
    AllocationFailed,
    /// CreateVirtualBorderRouter answers 400 TaskConflict.
    #[value(name = "TaskConflict")]
    TaskConflict,
    /// CreateBgpGroup answers 400 OperationConflict.
    #[value(name = "OperationConflict")]
    OperationConflict,
}

impl FaultOutcome {
    fn domain(self) -> physconn_domain::FaultOutcome {
        use physconn_domain::FaultOutcome as O;
        match self {
            FaultOutcome::Rejected => O::Rejected,
            FaultOutcome::AllocationFailed => O::AllocationFailed,
            FaultOutcome::TaskConflict => O::TaskConflict,
            FaultOutcome::OperationConflict => O::OperationConflict,
        }
    }
}

pub async fn account(c: &Client, cmd: AccountCmd) -> Result<Value> {
    match cmd {
        AccountCmd::Create {
            name,
            balance,
            credit_limit,
        } => {
            c.call(
                "POST",
                "/admin/accounts",
                Some(json!({"name": name, "balance": balance, "credit_limit": credit_limit})),
            )
            .await
        }
        AccountCmd::Show { id } => c.call("GET", &format!("/admin/accounts/{id}"), None).await,
        AccountCmd::List => c.call("GET", "/admin/accounts", None).await,
        AccountCmd::Balance { id, amount } => {
            c.call(
                "PUT",
                &format!("/admin/accounts/{id}/balance"),
                Some(json!({"balance": amount})),
            )
            .await
        }
        AccountCmd::Set {
            id,
            credit_limit,
            bypass_sp,
            provisioning,
        } => {
            let mut body = serde_json::Map::new();
            if let Some(v) = credit_limit {
                body.insert("credit_limit".into(), json!(v));
            }
            if let Some(v) = bypass_sp {
                body.insert("bypass_sp".into(), json!(v));
            }
            if let Some(m) = provisioning {
                body.insert("provisioning_mode".into(), m.json());
            }
            c.call(
                "PUT",
                &format!("/admin/accounts/{id}"),
                Some(Value::Object(body)),
            )
            .await
        }
        AccountCmd::Ledger { id } => {
            c.call("GET", &format!("/admin/accounts/{id}/ledger"), None)
                .await
        }
        AccountCmd::Sts { id, seconds } => {
            c.call(
                "POST",
                &format!("/admin/accounts/{id}/sts"),
                Some(json!({"seconds": seconds})),
            )
            .await
        }
    }
}

pub async fn key(c: &Client, cmd: KeyCmd) -> Result<Value> {
    match cmd {
        KeyCmd::Create { account } => {
            c.call("POST", &format!("/admin/accounts/{account}/keys"), None)
                .await
        }
        KeyCmd::List { account } => {
            c.call("GET", &format!("/admin/accounts/{account}/keys"), None)
                .await
        }
        KeyCmd::Enable { key } => {
            c.call(
                "PUT",
                &format!("/admin/keys/{key}"),
                Some(json!({"status": "Active"})),
            )
            .await
        }
        KeyCmd::Disable { key } => {
            c.call(
                "PUT",
                &format!("/admin/keys/{key}"),
                Some(json!({"status": "Inactive"})),
            )
            .await
        }
    }
}

pub async fn circuit(c: &Client, cmd: CircuitCmd) -> Result<Value> {
    match cmd {
        CircuitCmd::Show { id } => {
            c.call("GET", &format!("/admin/physical-connections/{id}"), None)
                .await
        }
        CircuitCmd::Advance { id } => {
            c.call(
                "POST",
                &format!("/admin/physical-connections/{id}/advance"),
                None,
            )
            .await
        }
        CircuitCmd::Status { id, status } => {
            let path = format!("/admin/physical-connections/{id}/status");
            c.call("POST", &path, Some(json!({"status": status}))).await
        }
        CircuitCmd::Mode { id, mode } => {
            let path = format!("/admin/physical-connections/{id}/provisioning");
            c.call("PUT", &path, Some(json!({"mode": mode.json()})))
                .await
        }
    }
}

pub async fn vbr(c: &Client, cmd: VbrCmd) -> Result<Value> {
    match cmd {
        VbrCmd::List { circuit, account } => {
            let query = match (circuit, account) {
                (Some(line), _) => format!("circuit={line}"),
                (None, Some(a)) => format!("account={a}"),
                (None, None) => bail!("--circuit or --account"),
            };
            c.call("GET", &format!("/admin/vbrs?{query}"), None).await
        }
        VbrCmd::Show { id } => c.call("GET", &format!("/admin/vbrs/{id}"), None).await,
        VbrCmd::Advance { id } => {
            c.call("POST", &format!("/admin/vbrs/{id}/advance"), None)
                .await
        }
        VbrCmd::Status { id, status } => {
            let path = format!("/admin/vbrs/{id}/status");
            c.call("POST", &path, Some(json!({"status": status}))).await
        }
    }
}

pub async fn bgp(c: &Client, cmd: BgpCmd) -> Result<Value> {
    match cmd {
        BgpCmd::List { vbr } => c.call("GET", &format!("/admin/bgp?vbr={vbr}"), None).await,
        BgpCmd::Advance { id } => {
            c.call("POST", &format!("/admin/bgp/{id}/advance"), None)
                .await
        }
        BgpCmd::Session {
            peer,
            state,
            advertised,
            received,
        } => {
            let body = json!({"BgpStatus": state, "AdvertisedRouteCount": advertised,
                "ReceivedRouteCount": received});
            let path = format!("/admin/bgp-peers/{peer}/session");
            c.call("POST", &path, Some(body)).await
        }
    }
}

pub async fn fault(c: &Client, cmd: FaultCmd) -> Result<Value> {
    match cmd {
        FaultCmd::Add {
            scope,
            target,
            outcome,
            count,
            share,
        } => {
            let body = json!({"scope": scope.domain().as_str(), "target": target, "outcome": outcome.domain().as_str(),
                "count": count, "share": share});
            c.call("POST", "/admin/faults", Some(body)).await
        }
        FaultCmd::List => c.call("GET", "/admin/faults", None).await,
        FaultCmd::Rm { id } => c.call("DELETE", &format!("/admin/faults/{id}"), None).await,
    }
}

pub async fn clock(c: &Client, cmd: ClockCmd) -> Result<Value> {
    match cmd {
        ClockCmd::Show => c.call("GET", "/admin/clock", None).await,
        ClockCmd::Advance { seconds } => {
            c.call(
                "POST",
                "/admin/clock/advance",
                Some(json!({"seconds": seconds})),
            )
            .await
        }
        ClockCmd::Set { now } => {
            c.call("POST", "/admin/clock/set", Some(json!({"now": now})))
                .await
        }
    }
}

pub async fn provisioning(c: &Client, cmd: ProvisioningCmd) -> Result<Value> {
    match cmd {
        ProvisioningCmd::Show => c.call("GET", "/admin/provisioning", None).await,
        ProvisioningCmd::Set { mode, delay } => {
            c.call(
                "PUT",
                "/admin/provisioning",
                Some(json!({"mode": mode.map(ProvisioningMode::as_str), "delay": delay})),
            )
            .await
        }
    }
}

pub async fn order(c: &Client, cmd: OrderCmd) -> Result<Value> {
    match cmd {
        OrderCmd::List { account } => {
            let path = match account {
                Some(a) => format!("/admin/orders?account={a}"),
                None => "/admin/orders".to_string(),
            };
            c.call("GET", &path, None).await
        }
    }
}
