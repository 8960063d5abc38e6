//! The server's integration tests, one binary: each file below was its own
//! test crate, and linking the whole server into every one of them was most
//! of the suite's build. nextest still runs every test in its own process,
//! so tests that need a process to themselves (the metrics recorder, wall-clock
//! timing) are isolated as before; `.config/nextest.toml` names them by module.

mod admin;
mod authz;
mod bgp;
mod billing;
mod common;
mod edge;
mod edge_chunked;
mod edge_head;
mod faults;
mod fixtures;
mod flow;
mod fuzz_short;
mod isolation;
mod lifecycle;
mod loa;
mod master_key;
mod metrics;
mod overload;
mod pipeline;
mod provider;
mod replay;
mod robustness;
mod security;
mod simulation;
mod snapshots;
mod terraform;
mod terraform_bgp;
mod terraform_data;
mod terraform_vbr;
mod vbr;
mod vbr_rules;
mod vectors;
