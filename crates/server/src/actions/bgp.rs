//! BGP groups (CreateBgpGroup, ModifyBgpGroupAttribute, DeleteBgpGroup) and
//! what the BGP actions share: finding the caller's VBR and objects, running
//! a change in one idempotent transaction, and the provider's step that
//! finishes `Pending`, `Modifying` and `Deleting` from a durable timer
//! (docs/design/bgp.md).

use super::params::Params;
use super::{client_token, idempotent_write, require_region, CallCtx, Reply};
use crate::simulator;
use crate::state::AppState;
use physconn_domain::bgp::{self as rules, BgpError, BgpGroup, BgpObject, BgpObjectStatus};
use physconn_domain::vbr::{Vbr, VbrAction};
use physconn_domain::{DomainError, Time};
use physconn_store::{BgpScope, BoxFut, OpError, OpResult, Timer, TxOps};
use physconn_wire::ApiError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

pub(super) fn refused(e: BgpError) -> OpError {
    DomainError::Bgp(e).into()
}

pub(super) fn refuse(e: BgpError) -> ApiError {
    crate::errors::from_domain(&DomainError::Bgp(e))
}

/// What a BGP change works with: the request, already read and checked,
/// and who sends it, where and when.
pub(super) struct Job<R> {
    pub st: AppState,
    pub caller: String,
    pub region: String,
    pub now: Time,
    pub req: R,
}

pub(super) type Work<R, T> = for<'t> fn(&'t mut dyn TxOps, &'t Job<R>) -> BoxFut<'t, OpResult<T>>;

/// Runs `work` once per ClientToken in one transaction, then lets the
/// simulator fire what became due (a zero provisioning delay).
pub(super) async fn run<R, T>(
    ctx: &CallCtx,
    p: &Params,
    req: R,
    work: Work<R, T>,
) -> Result<T, ApiError>
where
    R: Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + 'static,
{
    p.required("RegionId")?;
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    let token = client_token(p)?;
    let job = Arc::new(Job {
        st: ctx.state.clone(),
        caller: ctx.account_id.clone(),
        region,
        now: ctx.now,
        req,
    });
    let out = idempotent_write(ctx, token, move |tx| {
        let job = job.clone();
        Box::pin(async move { work(tx, &job).await })
    })
    .await?;
    simulator::after_write(&ctx.state, ctx.steps).await;
    Ok(out)
}

/// The caller's VBR named by `RouterId`. BGP objects belong to the VBR's
/// owner: another account's VBR, the line owner's view of a VBR made for
/// someone else, or a VBR in another region is `InvalidVbrNetwork`.
pub(super) async fn own_vbr(
    tx: &mut dyn TxOps,
    caller: &str,
    region: &str,
    id: &str,
) -> OpResult<Vbr> {
    match tx.vbrs().get_vbr(id).await? {
        Some(v) if v.account_id == caller && v.region_id == region => Ok(v),
        _ => Err(refused(BgpError::VbrNotFound)),
    }
}

/// The VBR must take new BGP objects (`active`).
pub(super) fn vbr_takes_bgp(v: &Vbr) -> OpResult<()> {
    if VbrAction::AddBgp.allowed_in(v.status) {
        Ok(())
    } else {
        Err(refused(BgpError::CannotOperate))
    }
}

/// One of the caller's BGP objects in the region, or `not_found`.
pub(super) async fn own_object(
    tx: &mut dyn TxOps,
    caller: &str,
    region: &str,
    id: &str,
    not_found: BgpError,
) -> OpResult<BgpObject> {
    match tx.bgp().get_bgp(id).await? {
        Some(o) if o.account_id() == caller && region_of(&o) == region => Ok(o),
        _ => Err(refused(not_found)),
    }
}

fn region_of(o: &BgpObject) -> &str {
    match o {
        BgpObject::Group(g) => &g.region_id,
        BgpObject::Peer(p) => &p.region_id,
        BgpObject::Network(n) => &n.region_id,
    }
}

/// The caller's group, or `InvalidBgpGroup`.
pub(super) async fn own_group(
    tx: &mut dyn TxOps,
    job: &Job<impl Sized>,
    id: &str,
) -> OpResult<BgpGroup> {
    match own_object(tx, &job.caller, &job.region, id, BgpError::GroupNotFound).await? {
        BgpObject::Group(g) => Ok(g),
        _ => Err(refused(BgpError::GroupNotFound)),
    }
}

/// Puts `o` in a transient status, stores it (`insert` for a new one) and
/// schedules the provider's step out of it.
pub(super) async fn begin(
    tx: &mut dyn TxOps,
    st: &AppState,
    mut o: BgpObject,
    to: BgpObjectStatus,
    now: Time,
    insert: bool,
) -> OpResult<()> {
    o.set_status(to, now);
    if insert {
        tx.bgp().insert_bgp(&o).await?;
    } else {
        tx.bgp().update_bgp(&o).await?;
    }
    tx.delete_timers_for(o.id()).await?;
    let Some(v) = tx.vbrs().get_vbr(o.vbr_id()).await? else {
        return Ok(());
    };
    let Some(line) = tx.get_circuit(&v.circuit_id).await? else {
        return Ok(());
    };
    let (mode, delay) = simulator::mode_for(tx, st, &line).await?;
    let due_at = match mode {
        physconn_domain::ProvisioningMode::Auto => now + delay,
        physconn_domain::ProvisioningMode::Manual => simulator::PARKED,
    };
    let timer = Timer {
        id: st.ids.internal_id(),
        circuit_id: o.id().to_string(),
        kind: physconn_domain::TimerKind::Bgp,
        expect_status: None,
        due_at,
        created_at: now,
    };
    simulator::insert_step(tx, st, &timer).await
}

/// The provider finishes a BGP object's transient status (a `bgp` timer,
/// or the admin API's move). Returns whether it changed.
pub async fn step(tx: &mut dyn TxOps, id: &str, now: Time) -> OpResult<bool> {
    let Some(mut o) = tx.bgp().get_bgp(id).await? else {
        return Ok(false);
    };
    match o.status().step() {
        None => Ok(false),
        Some(Some(to)) => {
            o.set_status(to, now);
            tx.bgp().update_bgp(&o).await
        }
        Some(None) => tx.bgp().delete_bgp(id).await,
    }
}

/// Removes what a VBR leaves behind when its delete finishes: its networks
/// (a VBR with groups cannot be deleted, so only networks remain).
pub async fn drop_with_vbr(tx: &mut dyn TxOps, vbr_id: &str) -> OpResult<()> {
    for o in tx.bgp().list_bgp(BgpScope::Vbr(vbr_id)).await? {
        tx.delete_timers_for(o.id()).await?;
        tx.bgp().delete_bgp(o.id()).await?;
    }
    Ok(())
}

/// Whether the VBR still has BGP groups (DeleteVirtualBorderRouter's
/// `DependencyViolation.BgpGroup`).
pub async fn vbr_has_groups(tx: &mut dyn TxOps, vbr_id: &str) -> OpResult<bool> {
    Ok(tx
        .bgp()
        .list_bgp(BgpScope::Vbr(vbr_id))
        .await?
        .iter()
        .any(|o| matches!(o, BgpObject::Group(_))))
}

/// A number parameter whose bad value has its own error.
pub(super) fn number(p: &Params, name: &str, bad: BgpError) -> Result<Option<i64>, ApiError> {
    p.non_empty(name)
        .map(|s| s.trim().parse::<i64>().map_err(|_| refuse(bad)))
        .transpose()
}

/// The group fields of Create and Modify, each `None` when absent.
#[derive(Default, Clone)]
pub(super) struct GroupFields {
    name: Option<String>,
    description: Option<String>,
    auth_key: Option<String>,
    peer_asn: Option<i64>,
    local_asn: Option<i64>,
    is_fake: Option<bool>,
    route_quota: Option<i64>,
}

impl GroupFields {
    /// Reads and checks them. Create ignores an empty `Name` or
    /// `Description`; Modify clears the label with it.
    fn read(p: &Params, creating: bool) -> Result<GroupFields, ApiError> {
        let label = |name: &str, max: usize, bad: BgpError| -> Result<Option<String>, ApiError> {
            match p.str(name) {
                None => Ok(None),
                Some("") if creating => Ok(None),
                Some("") => Ok(Some(String::new())),
                Some(s) if rules::label_ok(s, 2, max) => Ok(Some(s.to_string())),
                Some(_) => Err(refuse(bad)),
            }
        };
        let f = GroupFields {
            name: label("Name", 128, BgpError::NameMalformed)?,
            description: label("Description", 256, BgpError::DescriptionMalformed)?,
            auth_key: p.str("AuthKey").map(str::to_string),
            peer_asn: number(p, "PeerAsn", BgpError::PeerAsnMalformed)?,
            local_asn: p.int("LocalAsn")?,
            is_fake: p.bool("IsFakeAsn")?,
            route_quota: p.int("RouteQuota")?,
        };
        if f.auth_key
            .as_deref()
            .is_some_and(|k| !rules::auth_key_ok(k))
        {
            return Err(refuse(BgpError::AuthKeyMalformed));
        }
        if let Some(asn) = f.peer_asn {
            rules::check_peer_asn(asn).map_err(refuse)?;
        }
        if f.local_asn.is_some_and(|a| !rules::local_asn_ok(a)) {
            return Err(ApiError::invalid_parameter("LocalAsn"));
        }
        if f.route_quota
            .is_some_and(|q| !(1..=rules::ROUTE_LIMIT).contains(&q))
        {
            return Err(ApiError::invalid_parameter("RouteQuota"));
        }
        Ok(f)
    }

    fn apply(&self, g: &mut BgpGroup) {
        fn set<T: Clone>(field: &mut T, value: &Option<T>) {
            if let Some(value) = value {
                *field = value.clone();
            }
        }
        set(&mut g.name, &self.name);
        set(&mut g.description, &self.description);
        set(&mut g.auth_key, &self.auth_key);
        set(&mut g.peer_asn, &self.peer_asn);
        set(&mut g.local_asn, &self.local_asn);
        set(&mut g.is_fake, &self.is_fake);
        set(&mut g.route_limit, &self.route_quota);
    }
}

/// `IpVersion`, echoed as sent; `IPv4` when absent.
pub(super) fn ip_version(p: &Params) -> Result<Option<(String, bool)>, ApiError> {
    match p.non_empty("IpVersion") {
        None => Ok(None),
        Some(v) => match rules::ipv6_version(v) {
            Some(six) => Ok(Some((v.to_string(), six))),
            None => Err(ApiError::invalid_parameter("IpVersion")),
        },
    }
}

#[derive(Serialize, Deserialize)]
struct Created {
    id: String,
}

#[derive(Serialize, Deserialize)]
pub(super) struct Done {}

struct CreateGroup {
    vbr_id: String,
    fields: GroupFields,
    ip_version: Option<(String, bool)>,
}

pub async fn create_group(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let vbr_id = p.required("RouterId")?.to_string();
    p.required("PeerAsn")?;
    let req = CreateGroup {
        vbr_id: vbr_id.clone(),
        fields: GroupFields::read(p, true)?,
        ip_version: ip_version(p)?,
    };
    // The conflict strikes a call whose parameters pass (`run` checks these
    // two again, as for every BGP change).
    require_region(p, DomainError::RegionNotFound)?;
    client_token(p)?;
    let call = crate::faults::Call {
        outcome: physconn_domain::FaultOutcome::OperationConflict,
        account: ctx.account_id.clone(),
        object: vbr_id,
    };
    crate::faults::strike_conflict(&ctx.state, call).await?;
    let created: Created = run(ctx, p, req, |tx, job| {
        Box::pin(async move {
            let r = &job.req;
            let v = own_vbr(tx, &job.caller, &job.region, &r.vbr_id).await?;
            vbr_takes_bgp(&v)?;
            let (ip_version, six) = r.ip_version.clone().unwrap_or(("IPv4".into(), false));
            if six && !v.enable_ipv6 {
                return Err(DomainError::InvalidParameter("IpVersion".into()).into());
            }
            let on_vbr = tx.bgp().list_bgp(BgpScope::Vbr(&v.id)).await?;
            let groups = on_vbr
                .iter()
                .filter(|o| matches!(o, BgpObject::Group(_)))
                .count();
            if i64::try_from(groups).unwrap_or(i64::MAX) >= job.st.config.max_bgp_groups_per_vbr {
                return Err(refused(BgpError::GroupQuota));
            }
            let mut g = BgpGroup {
                id: job.st.ids.regional_id("bgpg", &v.region_id),
                account_id: v.account_id.clone(),
                region_id: v.region_id.clone(),
                vbr_id: v.id.clone(),
                name: String::new(),
                description: String::new(),
                auth_key: String::new(),
                peer_asn: 0,
                local_asn: rules::ALIYUN_ASN,
                is_fake: false,
                hold: rules::HOLD,
                keepalive: rules::KEEPALIVE,
                route_limit: rules::ROUTE_LIMIT,
                ip_version,
                status: BgpObjectStatus::Pending,
                created_at: job.now,
            };
            r.fields.apply(&mut g);
            let id = g.id.clone();
            begin(
                tx,
                &job.st,
                BgpObject::Group(g),
                BgpObjectStatus::Pending,
                job.now,
                true,
            )
            .await?;
            Ok(Created { id })
        })
    })
    .await?;
    Ok(Reply::standard(
        ctx,
        vec![("BgpGroupId", Value::String(created.id))],
    ))
}

struct ModifyGroup {
    id: String,
    fields: GroupFields,
    clear_auth_key: bool,
}

/// `Available → Modifying → Available`; the group's peers show the new
/// values (they are read from the group).
pub async fn modify_group(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let req = ModifyGroup {
        id: p.required("BgpGroupId")?.to_string(),
        fields: GroupFields::read(p, false)?,
        clear_auth_key: p.bool("ClearAuthKey")?.unwrap_or(false),
    };
    let _: Done = run(ctx, p, req, |tx, job| {
        Box::pin(async move {
            let r = &job.req;
            let mut g = own_group(tx, job, &r.id).await?;
            if g.status != BgpObjectStatus::Available {
                return Err(refused(BgpError::CannotOperate));
            }
            r.fields.apply(&mut g);
            if r.clear_auth_key {
                g.auth_key.clear();
            }
            let o = BgpObject::Group(g);
            begin(tx, &job.st, o, BgpObjectStatus::Modifying, job.now, false).await?;
            Ok(Done {})
        })
    })
    .await?;
    Ok(Reply::standard(ctx, vec![]))
}

/// `Available → Deleting → gone`, once the group has no peers.
pub async fn delete_group(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let id = p.required("BgpGroupId")?.to_string();
    let _: Done = run(ctx, p, id, |tx, job| {
        Box::pin(async move {
            let g = own_group(tx, job, &job.req).await?;
            let on_vbr = tx.bgp().list_bgp(BgpScope::Vbr(&g.vbr_id)).await?;
            if on_vbr.iter().any(|o| o.group_id() == g.id) {
                return Err(refused(BgpError::GroupHasPeers));
            }
            if g.status != BgpObjectStatus::Available {
                return Err(refused(BgpError::CannotOperate));
            }
            let o = BgpObject::Group(g);
            begin(tx, &job.st, o, BgpObjectStatus::Deleting, job.now, false).await?;
            Ok(Done {})
        })
    })
    .await?;
    Ok(Reply::standard(ctx, vec![]))
}
