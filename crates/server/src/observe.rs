//! One log line and a few metrics per request. Secrets never appear: only
//! the action, account, code, status, latency and RequestId are recorded.

use crate::actions::Action;
use std::time::Duration;

pub fn request_done(
    action: Option<Action>,
    account: Option<&str>,
    code: &str,
    status: u16,
    elapsed: Duration,
    request_id: &str,
) {
    let action_name = action.map(|a| a.name()).unwrap_or("-");
    let product = action.map(|a| a.product().code()).unwrap_or("-");
    tracing::info!(
        target: "physconn::request",
        request_id,
        action = action_name,
        account = account.unwrap_or("-"),
        code,
        status,
        latency_us = elapsed.as_micros() as u64,
        "request"
    );
    metrics::counter!(
        "physconn_requests_total",
        "product" => product,
        "action" => action_name,
        "code" => code.to_string()
    )
    .increment(1);
    metrics::histogram!("physconn_request_duration_seconds", "action" => action_name)
        .record(elapsed.as_secs_f64());
}
