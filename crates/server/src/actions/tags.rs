//! Express Connect tags and resource groups: TagResourcesForExpressConnect,
//! UntagResourcesForExpressConnect, ListTagResourcesForExpressConnect and
//! ChangeResourceGroup for lines (`PHYSICALCONNECTION`) and VBRs
//! (`VIRTUALBORDERROUTER`). Both objects keep their tags in one place, which
//! their Describe calls show (`Tags.tags[]` on the line, `Tags.Tags[]` on
//! the VBR) and filter on (docs/design/vbr.md).

use super::params::Params;
use super::resources;
use super::vbr::{refuse, visible_vbr};
use super::{client_token, idempotent_write, read, require_region, scoped_circuit, CallCtx, Reply};
use physconn_domain::ram::ResourceType;
use physconn_domain::vbr_error::VbrError;
use physconn_domain::{validate, DomainError, VbrAction};
use physconn_store::{OpResult, TxOps, VbrScope};
use physconn_wire::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

/// The resource types physconn models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Kind {
    Line,
    Vbr,
}

impl Kind {
    /// `ResourceType`, without regard to case; the two types physconn does
    /// not model (`ROUTERINTERFACE`, `TRAFFICQOS`) are refused like unknown
    /// ones.
    fn read(p: &Params) -> Result<(Kind, String), ApiError> {
        let t = p.required("ResourceType")?;
        // The same reading as the authorization's (resources::tagged_type).
        let kind = match resources::tagged_type(p) {
            Some(ResourceType::PhysicalConnection) => Kind::Line,
            Some(ResourceType::VirtualBorderRouter) => Kind::Vbr,
            None => return Err(ApiError::invalid_parameter("ResourceType")),
        };
        Ok((kind, t.to_string()))
    }
}

/// One resource's tags and resource group, whichever kind it is.
struct Tagged {
    id: String,
    tags: Vec<(String, String)>,
}

/// Loads the caller's resource (its type's 404 otherwise), lets `f` change
/// its tags or group, and writes it back.
async fn change<F>(
    tx: &mut dyn TxOps,
    kind: Kind,
    account: &str,
    region: &str,
    id: &str,
    f: F,
) -> OpResult<()>
where
    F: FnOnce(&mut Vec<(String, String)>, &mut String) -> Result<(), DomainError>,
{
    match kind {
        Kind::Line => {
            let mut c =
                scoped_circuit(tx, account, region, id, DomainError::CircuitNotFound).await?;
            let before = c.resource_group_id.clone();
            f(&mut c.tags, &mut c.resource_group_id)?;
            if c.resource_group_id != before {
                tx.update_circuit(&c).await?;
            }
            tx.replace_tags(&c.id, &c.tags).await
        }
        Kind::Vbr => {
            let mut v = visible_vbr(tx, account, region, id, VbrError::NotFound).await?;
            if !VbrAction::Tag.allowed_in(v.status) {
                return Err(DomainError::Vbr(VbrError::InvalidState).into());
            }
            f(&mut v.tags, &mut v.resource_group_id)?;
            tx.vbrs().update_vbr(&v).await.map(drop)
        }
    }
}

/// `ResourceId.N` (1–20 ids).
fn resource_ids(p: &Params, required: bool) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = p
        .list("ResourceId")?
        .into_iter()
        .filter_map(|(_, n)| n.as_str().map(str::to_string))
        .filter(|s| !s.is_empty())
        .collect();
    if required && ids.is_empty() {
        return Err(ApiError::missing_parameter("ResourceId.1"));
    }
    if ids.len() > 20 {
        return Err(ApiError::invalid_parameter("ResourceId"));
    }
    Ok(ids)
}

#[derive(Serialize, Deserialize)]
struct Done {}

/// Runs `f` on every named resource in one idempotent transaction.
async fn on_each<F>(
    ctx: &CallCtx,
    p: &Params,
    kind: Kind,
    ids: Vec<String>,
    f: F,
) -> Result<Reply, ApiError>
where
    F: Fn(&mut Vec<(String, String)>, &mut String) -> Result<(), DomainError>
        + Send
        + Sync
        + 'static,
{
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    let token = client_token(p)?;
    let account = ctx.account_id.clone();
    let (ids, f) = (Arc::new(ids), Arc::new(f));
    let _: Done = idempotent_write(ctx, token, move |tx| {
        let (account, region, ids, f) = (account.clone(), region.clone(), ids.clone(), f.clone());
        Box::pin(async move {
            for id in ids.iter() {
                change(tx, kind, &account, &region, id, |tags, rg| f(tags, rg)).await?;
            }
            Ok(Done {})
        })
    })
    .await?;
    Ok(Reply::standard(ctx, vec![]))
}

/// Adds the tags, overwriting the value of a key already there (the
/// provider sends every configured tag on each change).
pub async fn tag(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let (kind, _) = Kind::read(p)?;
    let ids = resource_ids(p, true)?;
    let mut new = Vec::new();
    for (i, k, v) in p.key_values("Tag")? {
        let k = k.ok_or_else(|| ApiError::missing_parameter(&format!("Tag.{i}.Key")))?;
        new.push((k, v.unwrap_or_default()));
    }
    if new.is_empty() {
        return Err(ApiError::missing_parameter("Tag.1.Key"));
    }
    validate::tags(&new, "Tag").map_err(refuse)?;
    on_each(ctx, p, kind, ids, move |tags, _| {
        for (k, v) in &new {
            match tags.iter_mut().find(|(have, _)| have == k) {
                Some(t) => t.1 = v.clone(),
                None => tags.push((k.clone(), v.clone())),
            }
        }
        validate::tags(tags, "Tag")
    })
    .await
}

/// Removes the named keys (absent ones are no error), or every tag with
/// `All=true`.
pub async fn untag(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let (kind, _) = Kind::read(p)?;
    let ids = resource_ids(p, true)?;
    let all = p.bool("All")?.unwrap_or(false);
    let keys: Vec<String> = p
        .list("TagKey")?
        .into_iter()
        .filter_map(|(_, n)| n.as_str().map(str::to_string))
        .collect();
    if keys.len() > 20 {
        return Err(ApiError::invalid_parameter("TagKey"));
    }
    on_each(ctx, p, kind, ids, move |tags, _| {
        tags.retain(|(k, _)| !all && !keys.contains(k));
        Ok(())
    })
    .await
}

/// ChangeResourceGroup: any well-formed `rg-…` id is a group (groups are not
/// modelled).
pub async fn change_resource_group(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let id = p.required("ResourceId")?.to_string();
    let (kind, _) = Kind::read(p)?;
    let group = p.required("NewResourceGroupId")?.to_string();
    if validate::resource_group_id(&group).is_err() {
        return Err(ApiError::invalid_parameter("NewResourceGroupId"));
    }
    on_each(ctx, p, kind, vec![id], move |_, rg| {
        *rg = group.clone();
        Ok(())
    })
    .await
}

/// One row per (resource, tag) of every resource that carries all the
/// requested tags, paged by `MaxResults` (1–100, default 20) and an opaque
/// `NextToken` (`""` on the last page).
pub async fn list(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    p.required("RegionId")?;
    let (kind, type_name) = Kind::read(p)?;
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    let named = resource_ids(p, false)?;
    // A listing shows a RAM user only what it may see (docs/design/decisions.md#ram-listings).
    let ty = match kind {
        Kind::Line => ResourceType::PhysicalConnection,
        Kind::Vbr => ResourceType::VirtualBorderRouter,
    };
    let ids: Vec<String> = named
        .iter()
        .filter(|id| ctx.sees(&region, ty, id))
        .cloned()
        .collect();
    let mut want: Vec<(String, Option<String>)> = Vec::new();
    for (i, k, v) in p.key_values("Tag")? {
        let k = k.ok_or_else(|| ApiError::missing_parameter(&format!("Tag.{i}.Key")))?;
        want.push((k, v));
    }
    if named.is_empty() && want.is_empty() {
        return Err(ApiError::missing_parameter("ResourceId.1"));
    }
    let max = match p.int("MaxResults")? {
        None => 20,
        Some(m) if (1..=100).contains(&m) => m,
        Some(_) => return Err(ApiError::invalid_parameter("MaxResults")),
    };
    let start = match p.non_empty("NextToken") {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| ApiError::invalid_parameter("NextToken"))?,
    };
    let account = ctx.account_id.clone();
    let all_hidden = !named.is_empty() && ids.is_empty();
    let resources = read(ctx, move |tx| {
        let (account, region, ids) = (account.clone(), region.clone(), ids.clone());
        Box::pin(async move {
            if all_hidden {
                return Ok(Vec::new());
            }
            tagged_resources(tx, kind, &account, &region, &ids).await
        })
    })
    .await?;
    let type_name = type_name.as_str();
    let rows: Vec<Value> = resources
        .iter()
        .filter(|r| {
            want.iter().all(|(k, v)| {
                r.tags
                    .iter()
                    .any(|(tk, tv)| tk == k && v.as_ref().is_none_or(|v| v == tv))
            })
        })
        .flat_map(|r| {
            r.tags.iter().map(move |(k, v)| {
                json!({"ResourceId": r.id, "ResourceType": type_name, "TagKey": k, "TagValue": v})
            })
        })
        .collect();
    let end = start.saturating_add(usize::try_from(max).unwrap_or(20));
    let next = if end < rows.len() {
        end.to_string()
    } else {
        String::new()
    };
    let page: Vec<Value> = rows.into_iter().skip(start).take(end - start).collect();
    Ok(Reply::standard(
        ctx,
        vec![
            ("NextToken", json!(next)),
            ("TagResources", json!({ "TagResource": page })),
        ],
    ))
}

/// The caller's resources of `kind` in `region`: the named ones (unknown
/// ids are left out), else all of them.
async fn tagged_resources(
    tx: &mut dyn TxOps,
    kind: Kind,
    account: &str,
    region: &str,
    ids: &[String],
) -> OpResult<Vec<Tagged>> {
    let mut out = Vec::new();
    match kind {
        Kind::Line => {
            let lines = if ids.is_empty() {
                tx.list_account_circuits(account).await?
            } else {
                let mut found = Vec::new();
                for id in ids {
                    if let Some(c) = tx.get_circuit(id).await? {
                        found.push(c);
                    }
                }
                found
            };
            for c in lines {
                if c.account_id == account && c.region_id == region && c.deleted_at.is_none() {
                    out.push(Tagged {
                        id: c.id,
                        tags: c.tags,
                    });
                }
            }
        }
        Kind::Vbr => {
            let vbrs = if ids.is_empty() {
                tx.vbrs().list_vbrs(VbrScope::Owner(account)).await?
            } else {
                let mut found = Vec::new();
                for id in ids {
                    if let Some(v) = tx.vbrs().get_vbr(id).await? {
                        found.push(v);
                    }
                }
                found
            };
            for v in vbrs {
                let mine = v.account_id == account || v.circuit_owner_id == account;
                if mine && v.region_id == region {
                    out.push(Tagged {
                        id: v.id,
                        tags: v.tags,
                    });
                }
            }
        }
    }
    Ok(out)
}
