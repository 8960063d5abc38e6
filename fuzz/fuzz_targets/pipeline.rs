//! The whole request pipeline in-process (see `targets/pipeline.rs`).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../targets/raw.rs"]
mod raw;
#[path = "../targets/pipeline.rs"]
mod target;

fuzz_target!(|data: &[u8]| target::run(data));
