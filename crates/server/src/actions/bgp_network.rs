//! Networks a VBR advertises through BGP: AddBgpNetwork and DeleteBgpNetwork
//! (docs/design/bgp.md#rules). A network is named by its VBR and CIDR
//! block; it starts `Pending` and leaves through `Deleting`.

use super::bgp::{begin, own_object, own_vbr, refuse, refused, run, vbr_takes_bgp, Done};
use super::params::Params;
use super::{CallCtx, Reply};
use physconn_domain::bgp::{self as rules, BgpError, BgpNetwork, BgpObject, BgpObjectStatus};
use physconn_store::BgpScope;
use physconn_wire::ApiError;

struct Network {
    vbr_id: String,
    cidr: String,
    vpc_id: String,
}

fn read(p: &Params) -> Result<Network, ApiError> {
    p.required("RegionId")?;
    let vbr_id = p.required("RouterId")?.to_string();
    let cidr = p.required("DstCidrBlock")?.trim().to_string();
    rules::check_cidr(&cidr).map_err(refuse)?;
    Ok(Network {
        vbr_id,
        cidr,
        vpc_id: p.non_empty("VpcId").unwrap_or_default().to_string(),
    })
}

pub async fn add(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let req = read(p)?;
    let _: Done = run(ctx, p, req, |tx, job| {
        Box::pin(async move {
            let r = &job.req;
            let v = own_vbr(tx, &job.caller, &job.region, &r.vbr_id).await?;
            vbr_takes_bgp(&v)?;
            let id = BgpNetwork::id_for(&v.id, &r.cidr);
            let on_vbr = tx.bgp().list_bgp(BgpScope::Vbr(&v.id)).await?;
            if on_vbr.iter().any(|o| o.id() == id) {
                return Err(refused(BgpError::NetworkExists));
            }
            let networks = on_vbr
                .iter()
                .filter(|o| matches!(o, BgpObject::Network(_)))
                .count();
            if i64::try_from(networks).unwrap_or(i64::MAX) >= job.st.config.max_bgp_networks_per_vbr
            {
                return Err(refused(BgpError::NetworkQuota));
            }
            let n = BgpNetwork {
                id,
                account_id: v.account_id.clone(),
                region_id: v.region_id.clone(),
                vbr_id: v.id.clone(),
                dst_cidr_block: r.cidr.clone(),
                vpc_id: r.vpc_id.clone(),
                status: BgpObjectStatus::Pending,
                created_at: job.now,
            };
            let o = BgpObject::Network(n);
            begin(tx, &job.st, o, BgpObjectStatus::Pending, job.now, true).await?;
            Ok(Done {})
        })
    })
    .await?;
    Ok(Reply::standard(ctx, vec![]))
}

pub async fn delete(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let req = read(p)?;
    let _: Done = run(ctx, p, req, |tx, job| {
        Box::pin(async move {
            let r = &job.req;
            let v = own_vbr(tx, &job.caller, &job.region, &r.vbr_id).await?;
            let id = BgpNetwork::id_for(&v.id, &r.cidr);
            let o = own_object(
                tx,
                &job.caller,
                &job.region,
                &id,
                BgpError::InstanceNotFound,
            )
            .await?;
            if o.status() != BgpObjectStatus::Available {
                return Err(refused(BgpError::CannotOperate));
            }
            begin(tx, &job.st, o, BgpObjectStatus::Deleting, job.now, false).await?;
            Ok(Done {})
        })
    })
    .await?;
    Ok(Reply::standard(ctx, vec![]))
}
