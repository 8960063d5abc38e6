//! DescribeRegions and DescribeAccessPoints, served from the built-in
//! catalogue (docs/design/decisions.md#catalogue).

use super::circuits::paging;
use super::params::Params;
use super::{CallCtx, Reply};
use physconn_domain::catalog::catalog;
use physconn_domain::DomainError;
use physconn_wire::{ApiError, ErrorCode};
use serde_json::{json, Value};

fn english(p: &Params, default_english: bool) -> Result<bool, ApiError> {
    match p.non_empty("AcceptLanguage") {
        None => Ok(default_english),
        Some("en-US") => Ok(true),
        Some("zh-CN") => Ok(false),
        Some(_) => Err(ApiError::invalid_parameter("AcceptLanguage")),
    }
}

pub async fn describe_regions(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    // The SDK's default language for regions is zh-CN.
    let en = english(p, false)?;
    let regions: Vec<Value> = catalog()
        .regions
        .iter()
        .map(|r| {
            json!({
                "RegionId": r.region_id,
                "LocalName": if en { &r.local_name_en } else { &r.local_name_zh },
                "RegionEndpoint": r.endpoint,
            })
        })
        .collect();
    Ok(Reply::standard(
        ctx,
        vec![("Regions", json!({ "Region": regions }))],
    ))
}

pub async fn describe_access_points(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let region = p.required("RegionId")?;
    if catalog().region(region).is_none() {
        return Err(crate::errors::from_domain(&DomainError::RegionNotFound));
    }
    let (page, size) = paging(p)?;
    if let Some(t) = p.non_empty("Type") {
        if t != "VPC" {
            return Err(ApiError::new(ErrorCode::InvalidAccessPointTypeNotSupport));
        }
    }
    // Without AcceptLanguage the cloud answers Chinese names, and the
    // Terraform provider's own test matches them (decisions.md#catalogue).
    let en = english(p, false)?;
    let all: Vec<_> = catalog().access_points_in(region).collect();
    let start = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let items: Vec<Value> = all
        .iter()
        .skip(start)
        .take(usize::try_from(size).unwrap_or(10))
        .map(|a| {
            json!({
                "AccessPointId": a.id,
                "Name": if en { &a.name_en } else { &a.name_zh },
                "Status": a.status,
                "Type": a.kind,
                "AttachedRegionNo": a.region_id,
                "HostOperator": if en { &a.host_operator_en } else { &a.host_operator_zh },
                "Location": a.location,
                "Description": if en { &a.description_en } else { &a.description_zh },
                "AccessPointFeatureModels": { "AccessPointFeatureModel": [] },
            })
        })
        .collect();
    Ok(Reply::standard(
        ctx,
        vec![
            ("PageNumber", json!(page)),
            ("PageSize", json!(size)),
            ("TotalCount", json!(all.len())),
            ("AccessPointSet", json!({ "AccessPointType": items })),
        ],
    ))
}
