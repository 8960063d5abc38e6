//! The clock: read it; with `--clock manual`, move it.

use super::{AResult, AdminError};
use crate::simulator;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use physconn_domain::clock;
use physconn_wire::timefmt::format_timestamp;
use serde::Deserialize;
use serde_json::{json, Value};

pub(crate) fn clock_json(state: &AppState) -> Value {
    json!({
        "now": format_timestamp(state.now()),
        "mode": if state.manual_clock.is_some() { "manual" } else { "system" },
    })
}

pub(crate) async fn get_clock(State(state): State<AppState>) -> Json<Value> {
    Json(clock_json(&state))
}

#[derive(Deserialize)]
pub(crate) struct AdvanceBody {
    seconds: f64,
}

/// Manual clock: moves time forward and fires whatever falls due on the way.
pub(crate) async fn advance_clock(
    State(state): State<AppState>,
    Json(body): Json<AdvanceBody>,
) -> AResult<Json<Value>> {
    if state.manual_clock.is_none() {
        return Err(AdminError::conflict(
            "the clock is the system clock; start with --clock manual",
        ));
    }
    if !(body.seconds.is_finite() && body.seconds >= 0.0 && body.seconds <= 1e10) {
        return Err(AdminError::bad("seconds must be a non-negative number"));
    }
    let by = time::Duration::seconds_f64(body.seconds);
    let target = state.now().checked_add(by).ok_or_else(|| {
        AdminError::bad(format!(
            "seconds: {}",
            clock::OutOfRange(format!("now + {} s", body.seconds))
        ))
    })?;
    clock::in_range(target).map_err(|e| AdminError::bad(format!("seconds: {e}")))?;
    simulator::advance(&state, by).await?;
    Ok(Json(clock_json(&state)))
}

#[derive(Deserialize)]
pub(crate) struct SetBody {
    now: String,
}

/// Manual clock: jumps to an instant (backwards too, e.g. to replay recorded
/// requests); timers that become due fire.
pub(crate) async fn set_clock(
    State(state): State<AppState>,
    Json(body): Json<SetBody>,
) -> AResult<Json<Value>> {
    let Some(clock) = state.manual_clock.clone() else {
        return Err(AdminError::conflict(
            "the clock is the system clock; start with --clock manual",
        ));
    };
    let t = time::OffsetDateTime::parse(&body.now, &time::format_description::well_known::Rfc3339)
        .map_err(|_| AdminError::bad("now must be RFC 3339, e.g. 2026-01-01T00:00:00Z"))?;
    clock::in_range(t).map_err(|e| AdminError::bad(format!("now: {e}")))?;
    let now = physconn_domain::Clock::now(clock.as_ref());
    if t > now {
        simulator::advance(&state, t - now).await?;
    } else {
        clock.set(t);
        simulator::persist_clock(&state).await?;
    }
    Ok(Json(clock_json(&state)))
}
