//! Parameter decoding and flattening (see `targets/decode.rs`).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../targets/decode.rs"]
mod target;

fuzz_target!(|data: &[u8]| target::run(data));
