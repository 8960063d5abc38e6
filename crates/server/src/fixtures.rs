//! Fixtures (`physconn serve --fixtures FILE`, config key `fixtures`): a TOML
//! file of accounts and physical connections that a test environment always
//! starts from (docs/fixtures.md, docs/design/decisions.md#fixtures).
//!
//! The file is read and checked at start (a bad file stops the start with a
//! message naming the entry). It is applied in one transaction, so an entry
//! that cannot be applied leaves nothing behind: at start unless this store
//! has applied fixtures before, and inside every `POST /admin/reset`.
//! Applying is idempotent by name: an account, or a line of an account,
//! that already exists under its name is left as it is.

use crate::actions::circuits::new_circuit;
use crate::actions::params::Params;
use crate::actions::{Action, CallCtx};
use crate::billing;
use crate::bootstrap::DEFAULT_ACCOUNT;
use crate::simulator;
use crate::state::AppState;
use physconn_domain::order::{OccupancyTerms, RawOccupancyTerms};
use physconn_domain::{
    AccessKey, Account, Circuit, DomainError, Fen, KeyKind, KeyStatus, LedgerKind, LineOperator,
    Order, OrderKind, PortType, Status, Time, TimerKind,
};
use physconn_store::{OpError, OpResult, TxOps};
use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Set in `meta` by the transaction that applied fixtures at start, so a
/// restart does not apply them again (a reset always does).
const META_APPLIED: &str = "fixtures_applied";

/// The states a fixture line may be put in: those the provider reaches on
/// its own from a new order, and `Confirmed` / `Enabled` (with a paid order).
const STATES: &[Status] = &[
    Status::Initial,
    Status::Approved,
    Status::Allocating,
    Status::Allocated,
    Status::Confirmed,
    Status::Enabled,
    Status::Rejected,
    Status::AllocationFailed,
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureFile {
    #[serde(default)]
    pub accounts: Vec<AccountFixture>,
    #[serde(default)]
    pub physical_connections: Vec<LineFixture>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountFixture {
    pub name: String,
    /// Opening balance in yuan, e.g. `"50000.00"`; default 0.
    #[serde(default)]
    pub balance: Option<String>,
    /// Both or neither; generated (and printed) when absent.
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub access_key_secret: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineFixture {
    /// An account of the file, or `default`.
    #[serde(default = "default_account")]
    pub account: String,
    pub name: String,
    pub access_point_id: String,
    pub line_operator: String,
    #[serde(default)]
    pub port_type: Option<String>,
    #[serde(default)]
    pub bandwidth: Option<i64>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub peer_location: Option<String>,
    #[serde(default)]
    pub circuit_code: Option<String>,
    /// One of [`STATES`], as the API spells it.
    pub status: String,
}

fn default_account() -> String {
    DEFAULT_ACCOUNT.to_string()
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read fixtures file {0}: {1}")]
    Read(PathBuf, String),
    #[error("invalid fixtures file {0}: {1}")]
    Parse(PathBuf, String),
    #[error("fixtures file {file}: {entry}: {reason}")]
    Entry {
        file: PathBuf,
        entry: String,
        reason: String,
    },
    #[error("fixtures file {0}: storage: {1}")]
    Store(PathBuf, String),
}

/// A checked fixtures file.
#[derive(Debug, Clone)]
pub struct Fixtures {
    pub path: PathBuf,
    pub file: FixtureFile,
}

fn account_entry(i: usize, a: &AccountFixture) -> String {
    format!("accounts[{i}] (name {:?})", a.name)
}

fn line_entry(i: usize, l: &LineFixture) -> String {
    format!("physical_connections[{i}] (name {:?})", l.name)
}

impl Fixtures {
    /// Reads and checks the file: everything that does not need the store.
    pub fn load(path: &Path) -> Result<Fixtures, FixtureError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| FixtureError::Read(path.into(), e.to_string()))?;
        let file: FixtureFile =
            toml::from_str(&text).map_err(|e| FixtureError::Parse(path.into(), e.to_string()))?;
        let fx = Fixtures {
            path: path.into(),
            file,
        };
        fx.check()?;
        Ok(fx)
    }

    fn entry(&self, entry: String, reason: impl Into<String>) -> FixtureError {
        FixtureError::Entry {
            file: self.path.clone(),
            entry,
            reason: reason.into(),
        }
    }

    fn check(&self) -> Result<(), FixtureError> {
        let mut names = HashSet::new();
        for (i, a) in self.file.accounts.iter().enumerate() {
            let e = || account_entry(i, a);
            if a.name.trim().is_empty() {
                return Err(self.entry(e(), "the name is empty"));
            }
            if !names.insert(a.name.as_str()) {
                return Err(self.entry(e(), "a second account of this name"));
            }
            if let Some(b) = &a.balance {
                Fen::parse(b).map_err(|err| self.entry(e(), format!("balance: {err}")))?;
            }
            if a.access_key_id.is_some() != a.access_key_secret.is_some() {
                return Err(self.entry(e(), "give access_key_id and access_key_secret, or neither"));
            }
        }
        let mut lines = HashSet::new();
        for (i, l) in self.file.physical_connections.iter().enumerate() {
            let e = || line_entry(i, l);
            if l.account != DEFAULT_ACCOUNT && !names.contains(l.account.as_str()) {
                return Err(self.entry(
                    e(),
                    format!(
                        "unknown account {:?} (not `default` nor in [[accounts]])",
                        l.account
                    ),
                ));
            }
            if l.name.trim().is_empty() {
                return Err(self.entry(e(), "the name is empty"));
            }
            if !lines.insert((l.account.as_str(), l.name.as_str())) {
                return Err(self.entry(e(), "a second line of this name in the account"));
            }
            if physconn_domain::catalog::catalog()
                .access_point(&l.access_point_id)
                .is_none()
            {
                return Err(
                    self.entry(e(), format!("unknown access point {:?}", l.access_point_id))
                );
            }
            if LineOperator::parse(&l.line_operator).is_none() {
                return Err(self.entry(e(), format!("unknown line_operator {:?}", l.line_operator)));
            }
            if let Some(p) = &l.port_type {
                if PortType::parse(p).is_none() {
                    return Err(self.entry(e(), format!("unknown port_type {p:?}")));
                }
            }
            match Status::parse(&l.status) {
                Some(s) if STATES.contains(&s) => {}
                _ => {
                    let states: Vec<&str> = STATES.iter().map(|s| s.as_str()).collect();
                    return Err(self.entry(
                        e(),
                        format!(
                            "status {:?} cannot be set; use one of {}",
                            l.status,
                            states.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The configured fixtures, read and checked now (`None` when none are set).
pub fn configured(state_config: &crate::config::Config) -> Result<Option<Fixtures>, FixtureError> {
    state_config
        .fixtures
        .as_deref()
        .map(Fixtures::load)
        .transpose()
}

/// Where a failing entry is reported from inside a transaction: the job
/// fails (so it is rolled back) and the reason is read from here.
pub type ErrorSlot = Arc<Mutex<Option<FixtureError>>>;

fn fail(slot: &ErrorSlot, e: FixtureError) -> OpError {
    if let Ok(mut s) = slot.lock() {
        *s = Some(e);
    }
    // Any refusal rolls the job back; the slot says why.
    OpError::Domain(DomainError::AccountNotFound)
}

/// Takes the reason a job failed for, if it was a fixture entry.
pub fn take(slot: &ErrorSlot) -> Option<FixtureError> {
    slot.lock().ok().and_then(|mut s| s.take())
}

/// Applies the fixtures in the caller's transaction. Returns lines to print
/// (generated access keys). On a failing entry it records the reason in
/// `slot` and fails, so the caller's transaction is rolled back.
pub async fn apply_in(
    tx: &mut dyn TxOps,
    state: &AppState,
    fx: &Fixtures,
    slot: &ErrorSlot,
) -> OpResult<Vec<String>> {
    let now = state.clock.now();
    let mut notices = Vec::new();
    for (i, a) in fx.file.accounts.iter().enumerate() {
        if tx.get_account_by_name(&a.name).await?.is_some() {
            continue;
        }
        let entry = || account_entry(i, a);
        let balance = a
            .balance
            .as_deref()
            .map(Fen::parse)
            .transpose()
            .map_err(|e| fail(slot, fx.entry(entry(), format!("balance: {e}"))))?
            .unwrap_or(Fen::ZERO);
        let mut account = Account {
            id: state.ids.account_id(),
            name: a.name.clone(),
            balance: Fen::ZERO,
            credit_limit: Fen::ZERO,
            bypass_sp: false,
            ledger_seq: 0,
            created_at: now,
            provisioning_mode: None,
            overdue_since: None,
        };
        let opening = if balance != Fen::ZERO {
            let e = account
                .post(
                    balance,
                    LedgerKind::Opening,
                    None,
                    "opening balance",
                    state.ids.internal_id(),
                    now,
                )
                .map_err(|e| fail(slot, fx.entry(entry(), format!("balance: {e}"))))?;
            Some(e)
        } else {
            None
        };
        let (key_id, secret, generated) = match (&a.access_key_id, &a.access_key_secret) {
            (Some(id), Some(secret)) => (id.clone(), secret.clone(), false),
            _ => (
                state.ids.access_key_id(),
                state.ids.access_key_secret(),
                true,
            ),
        };
        if tx.get_access_key(&key_id).await?.is_some() {
            return Err(fail(
                slot,
                fx.entry(
                    entry(),
                    format!("access key {key_id} belongs to another account"),
                ),
            ));
        }
        tx.insert_account(&account).await?;
        if let Some(e) = &opening {
            tx.insert_ledger(e).await?;
        }
        tx.insert_access_key(&state.sealed(&AccessKey {
            id: key_id.clone(),
            account_id: account.id.clone(),
            secret: secret.clone(),
            status: KeyStatus::Active,
            kind: KeyKind::Permanent,
            created_at: now,
        }))
        .await?;
        if generated {
            notices.push(format!(
                "fixtures: created account {} ({}) with access key: AccessKeyId={} AccessKeySecret={} (shown once)",
                a.name, account.id, key_id, secret
            ));
        }
    }
    for (i, l) in fx.file.physical_connections.iter().enumerate() {
        let entry = || line_entry(i, l);
        let Some(account) = tx.get_account_by_name(&l.account).await? else {
            return Err(fail(
                slot,
                fx.entry(entry(), format!("unknown account {:?}", l.account)),
            ));
        };
        let existing = tx.list_account_circuits(&account.id).await?;
        if existing.iter().any(|c| c.name == l.name) {
            continue;
        }
        let c = line(state, l, &account.id, now)
            .map_err(|reason| fail(slot, fx.entry(entry(), reason)))?;
        put_in_state(tx, state, c, l, account, now)
            .await
            .map_err(|e| match e {
                Refused::Entry(reason) => fail(slot, fx.entry(entry(), reason)),
                Refused::Op(e) => e,
            })?;
    }
    Ok(notices)
}

/// The new line, checked as CreatePhysicalConnection checks it.
fn line(state: &AppState, l: &LineFixture, account_id: &str, now: Time) -> Result<Circuit, String> {
    let ap = physconn_domain::catalog::catalog()
        .access_point(&l.access_point_id)
        .ok_or_else(|| format!("unknown access point {:?}", l.access_point_id))?;
    let mut pairs = vec![
        ("AccessPointId".to_string(), l.access_point_id.clone()),
        ("LineOperator".to_string(), l.line_operator.clone()),
        ("Name".to_string(), l.name.clone()),
    ];
    let optional = [
        ("PortType", l.port_type.clone()),
        ("bandwidth", l.bandwidth.map(|b| b.to_string())),
        ("Description", l.description.clone()),
        ("PeerLocation", l.peer_location.clone()),
        ("CircuitCode", l.circuit_code.clone()),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            pairs.push((k.to_string(), v));
        }
    }
    let params =
        Params::new(&pairs, Action::CreatePhysicalConnection).map_err(|e| e.message.clone())?;
    let ctx = CallCtx {
        state: state.clone(),
        action: Action::CreatePhysicalConnection,
        account_id: account_id.to_string(),
        access_key_id: String::new(),
        request_id: String::new(),
        format: physconn_wire::Format::Json,
        now,
        raw_params: pairs.clone(),
        // The operator's file, not a RAM user's call: nothing is hidden.
        gate: crate::authz::Gate::default(),
        steps: crate::simulator::mark(state),
    };
    new_circuit(&ctx, &params, &ap.region_id).map_err(|e| format!("{}: {}", e.code, e.message))
}

enum Refused {
    Entry(String),
    Op(OpError),
}

impl From<OpError> for Refused {
    fn from(e: OpError) -> Self {
        Refused::Op(e)
    }
}

impl From<DomainError> for Refused {
    fn from(e: DomainError) -> Self {
        Refused::Op(e.into())
    }
}

/// Inserts the line and moves it to its fixture status the way the provider
/// and the API would: provider steps (recorded as `fixture` events), the
/// confirmation, and for `Enabled` a paid one-month occupancy order (renewed
/// automatically) and the activation.
async fn put_in_state(
    tx: &mut dyn TxOps,
    state: &AppState,
    mut c: Circuit,
    l: &LineFixture,
    mut account: Account,
    now: Time,
) -> Result<(), Refused> {
    let target = Status::parse(&l.status)
        .ok_or_else(|| Refused::Entry(format!("unknown status {:?}", l.status)))?;
    let ids = state.ids.as_ref();
    tx.insert_circuit(&c).await?;
    simulator::record(tx, ids, &c.id, None, Status::Initial, "fixture", now).await?;
    // The provider's steps up to the target, or to where it branches off.
    let last_step = match target {
        Status::Initial | Status::Rejected => Status::Initial,
        Status::Approved => Status::Approved,
        Status::Allocating | Status::AllocationFailed => Status::Allocating,
        _ => Status::Allocated,
    };
    while c.status != last_step {
        let from = c.status;
        if simulator::provider_step(&mut c, ids).is_none() {
            break;
        }
        simulator::record(tx, ids, &c.id, Some(from), c.status, "fixture", now).await?;
    }
    if matches!(
        target,
        Status::Rejected | Status::AllocationFailed | Status::Confirmed | Status::Enabled
    ) {
        let from = c.status;
        c.status = if target == Status::Enabled {
            Status::Confirmed
        } else {
            target
        };
        simulator::record(tx, ids, &c.id, Some(from), c.status, "fixture", now).await?;
    }
    if target == Status::Enabled {
        let terms = OccupancyTerms::resolve(
            &RawOccupancyTerms {
                instance_charge_type: Some("PrePaid"),
                period: Some("1"),
                pricing_cycle: Some("Month"),
                auto_pay: Some(true),
                auto_renew: Some(true),
                auto_renew_duration: Some("1"),
            },
            state.config.api_profile,
        )?;
        let amount = terms.amount(c.port_type, &state.config.prices)?;
        let mut order = Order::unpaid(state.ids.order_id(), &c, OrderKind::Occupancy, amount, now)
            .with_terms(&terms);
        let paid =
            billing::settle_new_order(tx, state, &mut account, &mut order, true, now).await?;
        if !paid {
            return Err(Refused::Entry(format!(
                "account {:?} cannot pay the occupancy order ({} CNY)",
                l.account, amount
            )));
        }
        tx.insert_order(&order).await?;
        c.pending_order_id = Some(order.id.clone());
        simulator::activate_if_paid(tx, &mut c, now).await?;
        simulator::record(
            tx,
            ids,
            &c.id,
            Some(Status::Confirmed),
            c.status,
            "fixture",
            now,
        )
        .await?;
    }
    tx.update_circuit(&c).await?;
    if c.status == Status::Enabled {
        billing::on_activated(tx, state, &c, now).await?;
    }
    if c.status.provider_next().is_some() {
        simulator::schedule_next(tx, state, &c, TimerKind::Provider, now, now).await?;
    }
    Ok(())
}

/// At start: applies the fixtures unless this store applied them before
/// (docs/design/decisions.md#fixtures). Returns lines to print.
pub async fn apply_at_start(state: &AppState, fx: Fixtures) -> Result<Vec<String>, FixtureError> {
    let fx = Arc::new(fx);
    let slot: ErrorSlot = Arc::new(Mutex::new(None));
    let (st, f, s) = (state.clone(), fx.clone(), slot.clone());
    let done = physconn_store::write(&*state.store, move |tx| {
        let (st, f, s) = (st.clone(), f.clone(), s.clone());
        Box::pin(async move {
            if tx.get_meta(META_APPLIED).await?.is_some() {
                return Ok(Vec::new());
            }
            let notices = apply_in(tx, &st, &f, &s).await?;
            tx.set_meta(META_APPLIED, "1").await?;
            Ok(notices)
        })
    })
    .await;
    match done {
        Ok(n) => {
            state.timers_changed.notify_one();
            Ok(n)
        }
        Err(e) => {
            Err(take(&slot).unwrap_or_else(|| FixtureError::Store(fx.path.clone(), e.to_string())))
        }
    }
}
