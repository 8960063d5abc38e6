//! The wire crate's integration tests, one binary: property tests, the
//! protocol's worked examples and error paths, and the recorded SDK vectors.

mod props;
mod protocol;
mod vectors;
