//! The API's actions: resolving `Version` + `Action` to a typed [`Action`],
//! and one module per action family.

pub mod bgp;
pub mod bgp_describe;
pub mod bgp_network;
pub mod bgp_peer;
pub mod bss;
pub mod catalog;
pub mod circuits;
pub mod lifecycle;
pub mod loa;
pub mod occupancy;
pub mod params;
pub mod render;
pub mod resources;
pub mod services;
pub mod setup_order;
pub mod tags;
pub mod vbr;
pub mod vbr_describe;
pub mod vbr_lifecycle;

use crate::errors::from_op;
use crate::state::AppState;
use params::Params;
use physconn_domain::idempotency::{fingerprint_params, IdempotencyRecord};
use physconn_domain::{validate, DomainError, Time};
use physconn_store::{BoxFut, OpError, OpResult, TxOps};
use physconn_wire::{ApiError, ErrorCode, Format};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

pub const VPC_VERSION: &str = "2016-04-28";
pub const BSS_VERSION: &str = "2017-12-14";

/// Products served on the one endpoint (docs/design/decisions.md#products-and-versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    Vpc,
    Bss,
}

impl Product {
    /// `HostId` of error bodies.
    pub fn host_id(self) -> &'static str {
        match self {
            Product::Vpc => "vpc.aliyuncs.com",
            Product::Bss => "business.aliyuncs.com",
        }
    }
    /// `product=` of the `Recommend` link.
    pub fn code(self) -> &'static str {
        match self {
            Product::Vpc => "Vpc",
            Product::Bss => "BssOpenApi",
        }
    }
}

macro_rules! actions {
    ($($name:ident => $product:ident),+ $(,)?) => {
        /// Every action physconn serves.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($name),+ }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$name),+];

            pub fn name(self) -> &'static str {
                match self { $(Action::$name => stringify!($name)),+ }
            }

            pub fn product(self) -> Product {
                match self { $(Action::$name => Product::$product),+ }
            }

            fn lookup(product: Product, name: &str) -> Option<Action> {
                match name {
                    $(stringify!($name) if Product::$product == product => Some(Action::$name),)+
                    _ => None,
                }
            }
        }
    };
}

actions! {
    CreatePhysicalConnection => Vpc,
    DescribePhysicalConnections => Vpc,
    ConfirmPhysicalConnection => Vpc,
    CreatePhysicalConnectionOccupancyOrder => Vpc,
        DescribeRegions => Vpc,
    DescribeAccessPoints => Vpc,
    ModifyPhysicalConnectionAttribute => Vpc,
    EnablePhysicalConnection => Vpc,
    CancelPhysicalConnection => Vpc,
    TerminatePhysicalConnection => Vpc,
    DeletePhysicalConnection => Vpc,
    RecoverPhysicalConnection => Vpc,
    CreatePhysicalConnectionSetupOrder => Vpc,
    ApplyPhysicalConnectionLOA => Vpc,
    SecondApplyPhysicalConnectionLOA => Vpc,
    DescribePhysicalConnectionLOA => Vpc,
        CompletePhysicalConnectionLOA => Vpc,
    QueryAccountBalance => Bss,
    QueryOrders => Bss,
    GetOrderDetail => Bss,
    CancelOrder => Bss,
    PayOrder => Bss,
    QueryAccountTransactions => Bss,
    QueryAvailableInstances => Bss,
    CreateVirtualBorderRouter => Vpc,
    DescribeVirtualBorderRouters => Vpc,
    DescribeVirtualBorderRoutersForPhysicalConnection => Vpc,
    ModifyVirtualBorderRouterAttribute => Vpc,
    TerminateVirtualBorderRouter => Vpc,
    RecoverVirtualBorderRouter => Vpc,
    DeleteVirtualBorderRouter => Vpc,
    TagResourcesForExpressConnect => Vpc,
    UntagResourcesForExpressConnect => Vpc,
    ListTagResourcesForExpressConnect => Vpc,
    ChangeResourceGroup => Vpc,
    OpenPhysicalConnectionService => Vpc,
    CreateBgpGroup => Vpc,
    ModifyBgpGroupAttribute => Vpc,
    DeleteBgpGroup => Vpc,
    DescribeBgpGroups => Vpc,
    CreateBgpPeer => Vpc,
    ModifyBgpPeerAttribute => Vpc,
    DeleteBgpPeer => Vpc,
    DescribeBgpPeers => Vpc,
    AddBgpNetwork => Vpc,
    DeleteBgpNetwork => Vpc,
    DescribeBgpNetworks => Vpc,
}

impl Action {
    /// Whether the action changes state (audited; ClientToken applies).
    pub fn mutates(self) -> bool {
        use Action::*;
        !matches!(
            self,
            DescribePhysicalConnections
                | DescribeRegions
                | DescribeAccessPoints
                | DescribePhysicalConnectionLOA
                | QueryAccountBalance
                | QueryOrders
                | GetOrderDetail
                | QueryAccountTransactions
                | QueryAvailableInstances
                | DescribeVirtualBorderRouters
                | DescribeVirtualBorderRoutersForPhysicalConnection
                | ListTagResourcesForExpressConnect
                | DescribeBgpGroups
                | DescribeBgpPeers
                | DescribeBgpNetworks
        )
    }

    /// The product code of RAM action names (`vpc:…`, `bssapi:…`).
    pub fn ram_product(self) -> &'static str {
        match self.product() {
            Product::Vpc => "vpc",
            Product::Bss => "bssapi",
        }
    }

    /// The version picks the product (`InvalidVersion` otherwise), then
    /// the action must exist in it (`InvalidAction.NotFound`, 404).
    pub fn resolve(version: &str, action: &str) -> Result<Action, ApiError> {
        let product = match version {
            VPC_VERSION => Product::Vpc,
            BSS_VERSION => Product::Bss,
            _ => return Err(ApiError::new(ErrorCode::InvalidVersion)),
        };
        Action::lookup(product, action)
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidActionNotFound))
    }
}

/// Who is calling, and with what, once the request is authenticated.
pub struct CallCtx {
    pub state: AppState,
    pub action: Action,
    pub account_id: String,
    pub access_key_id: String,
    pub request_id: String,
    pub format: Format,
    pub now: Time,
    /// Business parameters as received, for idempotency fingerprints.
    pub raw_params: Vec<(String, String)>,
    /// The caller as RAM sees it: listings leave out what it may not see.
    pub gate: crate::authz::Gate,
    /// Taken before the handler's write, for `simulator::after_write`.
    pub steps: crate::simulator::StepMark,
}

impl CallCtx {
    /// Whether a listing may show the caller's resource `id` in `region`
    /// (docs/design/decisions.md#ram-listings).
    pub fn sees(&self, region: &str, ty: physconn_domain::ram::ResourceType, id: &str) -> bool {
        self.gate
            .sees(self.action, region, &self.account_id, ty, id)
    }
}

/// A success body. `xml` overrides the XML rendering when its element order
/// must differ from the JSON's (docs/design/decisions.md#response-styles).
pub struct Reply {
    pub json: Value,
    pub xml_root: String,
    pub xml: Option<Value>,
    /// The JSON body already rendered (then `json` is not used for JSON):
    /// for answers whose size grows with the data, written straight to
    /// bytes (`render::circuit_json`).
    pub json_bytes: Option<Vec<u8>>,
}

impl Reply {
    /// `<Action>Response` root, `RequestId` first.
    pub fn standard(ctx: &CallCtx, fields: Vec<(&str, Value)>) -> Reply {
        let mut m = serde_json::Map::new();
        m.insert("RequestId".into(), Value::String(ctx.request_id.clone()));
        for (k, v) in fields {
            m.insert(k.to_string(), v);
        }
        Reply {
            json: Value::Object(m),
            xml_root: format!("{}Response", ctx.action.name()),
            xml: None,
            json_bytes: None,
        }
    }

    /// `<Action>Response` root with its JSON body already written (XML
    /// callers build a `Value` instead).
    pub fn bytes(ctx: &CallCtx, json: Vec<u8>) -> Reply {
        Reply {
            json: Value::Null,
            xml_root: format!("{}Response", ctx.action.name()),
            xml: None,
            json_bytes: Some(json),
        }
    }
}

pub async fn dispatch(ctx: CallCtx, params: Params) -> Result<Reply, ApiError> {
    match ctx.action {
        Action::CreatePhysicalConnection => circuits::create(&ctx, &params).await,
        Action::DescribePhysicalConnections => circuits::describe(&ctx, &params).await,
        Action::ConfirmPhysicalConnection => circuits::confirm(&ctx, &params).await,
        Action::CreatePhysicalConnectionOccupancyOrder => occupancy::create(&ctx, &params).await,
        Action::DescribeRegions => catalog::describe_regions(&ctx, &params).await,
        Action::DescribeAccessPoints => catalog::describe_access_points(&ctx, &params).await,
        Action::ModifyPhysicalConnectionAttribute => lifecycle::modify(&ctx, &params).await,
        Action::EnablePhysicalConnection => lifecycle::enable(&ctx, &params).await,
        Action::CancelPhysicalConnection => lifecycle::cancel(&ctx, &params).await,
        Action::TerminatePhysicalConnection => lifecycle::terminate(&ctx, &params).await,
        Action::DeletePhysicalConnection => lifecycle::delete(&ctx, &params).await,
        Action::RecoverPhysicalConnection => lifecycle::recover(&ctx, &params).await,
        Action::CreatePhysicalConnectionSetupOrder => setup_order::create(&ctx, &params).await,
        Action::ApplyPhysicalConnectionLOA => loa::apply(&ctx, &params).await,
        Action::SecondApplyPhysicalConnectionLOA => loa::second_apply(&ctx, &params).await,
        Action::DescribePhysicalConnectionLOA => loa::describe(&ctx, &params).await,
        Action::CompletePhysicalConnectionLOA => loa::complete(&ctx, &params).await,
        Action::QueryAccountBalance => bss::query_account_balance(&ctx, &params).await,
        Action::QueryOrders => bss::query_orders(&ctx, &params).await,
        Action::GetOrderDetail => bss::get_order_detail(&ctx, &params).await,
        Action::CancelOrder => bss::cancel_order(&ctx, &params).await,
        Action::PayOrder => bss::pay_order(&ctx, &params).await,
        Action::QueryAccountTransactions => bss::query_account_transactions(&ctx, &params).await,
        Action::QueryAvailableInstances => bss::query_available_instances(&ctx, &params).await,
        Action::CreateVirtualBorderRouter => vbr::create(&ctx, &params).await,
        Action::DescribeVirtualBorderRouters => vbr_describe::describe(&ctx, &params).await,
        Action::DescribeVirtualBorderRoutersForPhysicalConnection => {
            vbr_describe::describe_for_line(&ctx, &params).await
        }
        Action::ModifyVirtualBorderRouterAttribute => vbr::modify(&ctx, &params).await,
        Action::TerminateVirtualBorderRouter => vbr_lifecycle::terminate(&ctx, &params).await,
        Action::RecoverVirtualBorderRouter => vbr_lifecycle::recover(&ctx, &params).await,
        Action::DeleteVirtualBorderRouter => vbr_lifecycle::delete(&ctx, &params).await,
        Action::TagResourcesForExpressConnect => tags::tag(&ctx, &params).await,
        Action::UntagResourcesForExpressConnect => tags::untag(&ctx, &params).await,
        Action::ListTagResourcesForExpressConnect => tags::list(&ctx, &params).await,
        Action::ChangeResourceGroup => tags::change_resource_group(&ctx, &params).await,
        Action::OpenPhysicalConnectionService => services::open(&ctx, &params).await,
        Action::CreateBgpGroup => bgp::create_group(&ctx, &params).await,
        Action::ModifyBgpGroupAttribute => bgp::modify_group(&ctx, &params).await,
        Action::DeleteBgpGroup => bgp::delete_group(&ctx, &params).await,
        Action::DescribeBgpGroups => bgp_describe::groups(&ctx, &params).await,
        Action::CreateBgpPeer => bgp_peer::create(&ctx, &params).await,
        Action::ModifyBgpPeerAttribute => bgp_peer::modify(&ctx, &params).await,
        Action::DeleteBgpPeer => bgp_peer::delete(&ctx, &params).await,
        Action::DescribeBgpPeers => bgp_describe::peers(&ctx, &params).await,
        Action::AddBgpNetwork => bgp_network::add(&ctx, &params).await,
        Action::DeleteBgpNetwork => bgp_network::delete(&ctx, &params).await,
        Action::DescribeBgpNetworks => bgp_describe::networks(&ctx, &params).await,
    }
}

/// Validates `RegionId` against the catalogue (404 when unknown).
pub fn require_region(params: &Params, not_found: DomainError) -> Result<&str, ApiError> {
    let region = params.required("RegionId")?;
    if physconn_domain::catalog::catalog().region(region).is_none() {
        return Err(crate::errors::from_domain(&not_found));
    }
    Ok(region)
}

/// The validated `ClientToken`, if any (docs/design/decisions.md#idempotency).
pub fn client_token(params: &Params) -> Result<Option<String>, ApiError> {
    match params.non_empty("ClientToken") {
        None => Ok(None),
        Some(t) => {
            validate::client_token(t).map_err(|e| crate::errors::from_domain(&e))?;
            Ok(Some(t.to_string()))
        }
    }
}

/// Runs a state-changing workflow once per (account, action, ClientToken)
/// (docs/design/decisions.md#idempotency). In one transaction: a stored
/// result for the token is replayed (same
/// fingerprint) or refused (`IdempotentParameterMismatch`); otherwise `work`
/// runs and its result is stored with it, so a concurrent twin can never do
/// the work a second time.
pub async fn idempotent_write<T, W>(
    ctx: &CallCtx,
    token: Option<String>,
    work: W,
) -> Result<T, ApiError>
where
    T: Serialize + DeserializeOwned + Send + 'static,
    W: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<T>> + Send + Sync + 'static,
{
    idempotent_write_locked(ctx, token, None, work).await
}

/// As [`idempotent_write`]; with `locks`, in the store's locked mode
/// (docs/design/decisions.md#row-locks): the rows are locked first, circuit
/// then account, and the transaction runs at READ COMMITTED on PostgreSQL.
/// The account's row guards the idempotency record too: a twin with the same
/// token waits for the first one's commit and then finds its record.
/// The answer a stored `ClientToken` record gives a request with the
/// fingerprint `fingerprint`: its stored result, or
/// `IdempotentParameterMismatch` if the parameters differ.
pub fn replay<T: DeserializeOwned>(rec: &IdempotencyRecord, fingerprint: &str) -> OpResult<T> {
    if rec.fingerprint != fingerprint {
        return Err(DomainError::IdempotentParameterMismatch.into());
    }
    serde_json::from_str(&rec.response)
        .map_err(|e| OpError::Store(physconn_store::StoreError::Corrupt(e.to_string())))
}

/// Names a workflow closure's higher-ranked signature, which inference alone
/// does not find for a closure stored before its use.
pub fn workflow<T, F>(f: F) -> F
where
    F: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<T>>,
{
    f
}

pub async fn idempotent_write_locked<T, W>(
    ctx: &CallCtx,
    token: Option<String>,
    locks: Option<physconn_store::RowLocks>,
    work: W,
) -> Result<T, ApiError>
where
    T: Serialize + DeserializeOwned + Send + 'static,
    W: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<T>> + Send + Sync + 'static,
{
    let work = Arc::new(work);
    let fingerprint = Arc::new(fingerprint_params(ctx.action.name(), &ctx.raw_params));
    let account = Arc::new(ctx.account_id.clone());
    let action = ctx.action.name();
    let now = ctx.now;
    let token = Arc::new(token);
    let job = workflow(move |tx| {
        let work = work.clone();
        let fingerprint = fingerprint.clone();
        let account = account.clone();
        let token = token.clone();
        Box::pin(async move {
            if let Some(tok) = token.as_deref() {
                if let Some(rec) = tx.get_idempotency(&account, action, tok).await? {
                    return replay(&rec, &fingerprint);
                }
            }
            let out = work(tx).await?;
            if let Some(tok) = token.as_deref() {
                let response = serde_json::to_string(&out).map_err(|e| {
                    OpError::Store(physconn_store::StoreError::Corrupt(e.to_string()))
                })?;
                tx.insert_idempotency(&IdempotencyRecord {
                    account_id: account.to_string(),
                    action: action.to_string(),
                    token: tok.to_string(),
                    fingerprint: fingerprint.to_string(),
                    response,
                    created_at: now,
                })
                .await?;
            }
            Ok(out)
        })
    });
    let store = &*ctx.state.store;
    match locks {
        Some(locks) => physconn_store::write_locked(store, locks, job).await,
        None => physconn_store::write(store, job).await,
    }
    .map_err(from_op)
}

/// A read-only workflow.
pub async fn read<T, W>(ctx: &CallCtx, work: W) -> Result<T, ApiError>
where
    T: Send + 'static,
    W: for<'t> Fn(&'t mut dyn TxOps) -> BoxFut<'t, OpResult<T>> + Send + Sync + 'static,
{
    physconn_store::read(&*ctx.state.store, work)
        .await
        .map_err(from_op)
}

/// Loads a circuit of the caller in the given region, or `not_found`. Another
/// account's or region's circuit, or a deleted one, does not exist
/// (docs/design/decisions.md#tenancy).
pub async fn scoped_circuit(
    tx: &mut dyn TxOps,
    account_id: &str,
    region_id: &str,
    id: &str,
    not_found: DomainError,
) -> OpResult<physconn_domain::Circuit> {
    match tx.get_circuit(id).await? {
        Some(c)
            if c.account_id == account_id && c.region_id == region_id && c.deleted_at.is_none() =>
        {
            Ok(c)
        }
        _ => Err(not_found.into()),
    }
}
