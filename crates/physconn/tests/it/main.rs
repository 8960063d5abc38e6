//! The binary's integration tests, one test binary (each file was its own
//! crate, each linking the whole server). nextest runs every test in its own
//! process; `.config/nextest.toml` gives the process-heavy modules the
//! machine to themselves.

mod cli;
mod crash;
mod docs;
mod export_import;
mod postgres_contention;
mod postgres_outage;
mod postgres_servers;
mod replay;
mod shutdown;
mod support;
mod tls;
