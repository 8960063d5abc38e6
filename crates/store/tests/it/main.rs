//! The store's integration tests, one binary (each test still runs in a
//! process of its own under nextest, which `gathered_wal` relies on: it reads
//! the writer thread's system-call count).

mod conformance;
mod gathered_wal;
mod sqlite_migrations;
