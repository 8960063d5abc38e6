//! V1 and V3 verification (see `targets/signature.rs`).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../targets/raw.rs"]
mod raw;
#[path = "../targets/signature.rs"]
mod target;

fuzz_target!(|data: &[u8]| target::run(data));
