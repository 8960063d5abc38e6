//! OpenPhysicalConnectionService: switches on outbound-traffic billing of
//! physical connections for the calling account, once
//! (docs/design/decisions.md#account-services).

use super::params::Params;
use super::{idempotent_write, require_region, CallCtx, Reply};
use physconn_domain::DomainError;
use physconn_wire::{ApiError, ErrorCode};
use std::sync::Arc;

/// The `account_services` key of the service this action opens.
pub const PCONN_TRAFFIC: &str = "pconn_traffic";

pub async fn open(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    // RegionId is required by the SDK and checked, but the service belongs
    // to the account, not to a region.
    require_region(p, DomainError::RegionNotFound)?;
    let account = Arc::new(ctx.account_id.clone());
    let now = ctx.now;
    // The cloud documents no ClientToken here: a repeat is answered by the
    // state itself (OrderOpened), so there is no token to replay.
    let opened: bool = idempotent_write(ctx, None, move |tx| {
        let account = account.clone();
        Box::pin(async move { tx.open_service(&account, PCONN_TRAFFIC, now).await })
    })
    .await?;
    if !opened {
        return Err(ApiError::new(ErrorCode::InvalidOperationOrderOpened));
    }
    Ok(Reply::standard(ctx, Vec::new()))
}
