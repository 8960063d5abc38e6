//! The HTTP edge of physconn: one pipeline that turns a signed Alibaba RPC
//! request into a typed action, the action handlers, the admin API, the
//! provisioning simulator and the server lifecycle.

// The admin API's OpenAPI document is one large `json!` literal.
#![recursion_limit = "256"]

pub mod actions;
pub mod admin;
pub mod audit;
pub mod authz;
pub mod billing;
pub mod bootstrap;
pub mod config;
pub mod errors;
pub mod faults;
pub mod fixtures;
mod head;
pub mod keycache;
pub mod listener;
pub mod metrics_export;
pub mod nonce;
pub mod observe;
pub mod pipeline;
pub mod retention;
pub mod secrets;
pub mod server;
pub mod simulator;
pub mod state;
pub mod throttle;
pub mod tls;

pub use config::{ClockMode, Config};
pub use server::{start, Running, StartOptions};
pub use state::AppState;
