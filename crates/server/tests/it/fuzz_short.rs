//! The short mode of the fuzz targets, run by `scripts/test` and CI.
//!
//! The coverage-guided run (`scripts/fuzz`, libFuzzer through cargo-fuzz)
//! needs its own sanitizer build of the whole server, which takes longer than
//! the rest of CI on a 2-core machine. This test runs the *same* target
//! functions (`fuzz/targets/*.rs`, included below) on the seed corpus the
//! fuzzer starts from (every recorded SDK request of `fixtures/vectors`) and
//! on mutations of it made the way libFuzzer's simplest mutators make them:
//! byte flips, insertions, deletions, duplicated runs, splices of two seeds
//! and truncation. A target that panics, hangs or answers outside the
//! Alibaba shape fails here before it reaches a long fuzzing run.
//!
//! `FUZZ_SHORT_MUTATIONS` (per seed, default 40) and `FUZZ_SHORT_SEED` make
//! it longer or reproduce a failure; a failing input is printed escaped.

#[path = "../../../../fuzz/targets/raw.rs"]
mod raw;

#[path = "../../../../fuzz/targets/decode.rs"]
mod decode;
#[path = "../../../../fuzz/targets/pipeline.rs"]
mod pipeline;
#[path = "../../../../fuzz/targets/signature.rs"]
mod signature;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// The seeds of `fuzz/seed.py`, built the same way from the vectors.
fn seeds() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/vectors");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/vectors")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let (mut requests, mut forms) = (Vec::new(), Vec::new());
    for p in paths {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&p).expect("vector")).expect("json");
        let r = &v["requests"][0];
        let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
        let (query, body) = (s("raw_query"), s("body"));
        let target = if query.is_empty() {
            s("path")
        } else {
            format!("{}?{query}", s("path"))
        };
        let mut head = vec![format!("{} {target}", s("method"))];
        for h in r["headers"].as_array().into_iter().flatten() {
            head.push(format!(
                "{}: {}",
                h[0].as_str().unwrap_or(""),
                h[1].as_str().unwrap_or("")
            ));
        }
        requests.push(format!("{}\n\n{body}", head.join("\n")).into_bytes());
        let form = if body.is_empty() {
            query
        } else {
            format!("{query}&{body}")
        };
        forms.push(form.into_bytes());
    }
    assert!(requests.len() >= 100, "the seed corpus is the 112 vectors");
    (requests, forms)
}

fn mutate(rng: &mut StdRng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = out.len();
        match rng.random_range(0..7) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                out[i] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                let i = rng.random_range(0..=len);
                // Bytes the decoders treat specially, and any byte.
                const SPECIAL: &[u8] = b"%&=.+?:\n\r \x00\xff\xc3";
                let b = if rng.random_bool(0.5) {
                    SPECIAL[rng.random_range(0..SPECIAL.len())]
                } else {
                    rng.random()
                };
                out.insert(i, b);
            }
            2 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = rng.random_range(a..=len.min(a + 16));
                out.drain(a..b);
            }
            3 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = rng.random_range(a..=len.min(a + 32));
                let run = out[a..b].to_vec();
                for _ in 0..rng.random_range(1..=8) {
                    out.splice(a..a, run.iter().copied());
                }
            }
            4 => {
                let other = &corpus[rng.random_range(0..corpus.len())];
                let cut = rng.random_range(0..=len);
                let from = rng.random_range(0..=other.len());
                out.truncate(cut);
                out.extend_from_slice(&other[from..]);
            }
            5 if len > 0 => out.truncate(rng.random_range(0..len)),
            _ if len > 0 => {
                // A digit or a letter turned into another: lengths, dates,
                // versions and names that are almost right.
                let i = rng.random_range(0..len);
                if out[i].is_ascii_digit() {
                    out[i] = b'0' + rng.random_range(0..10);
                } else if out[i].is_ascii_alphabetic() {
                    out[i] = b'a' + rng.random_range(0..26);
                }
            }
            _ => {}
        }
    }
    out
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn replay(name: &str, corpus: &[Vec<u8>], run: fn(&[u8])) {
    let seed = env_num("FUZZ_SHORT_SEED", 0x5eed);
    let per_seed = env_num("FUZZ_SHORT_MUTATIONS", 40);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut inputs: Vec<Vec<u8>> = corpus.to_vec();
    inputs.push(Vec::new());
    for s in corpus {
        for _ in 0..per_seed {
            inputs.push(mutate(&mut rng, s, corpus));
        }
    }
    for input in &inputs {
        if catch_unwind(AssertUnwindSafe(|| run(input))).is_err() {
            panic!(
                "fuzz target {name} failed (FUZZ_SHORT_SEED={seed}) on input {}",
                input.escape_ascii()
            );
        }
    }
    eprintln!("{name}: {} inputs, no failure", inputs.len());
}

#[test]
fn decode_target_short_run() {
    replay("decode", &seeds().1, decode::run);
}

#[test]
fn signature_target_short_run() {
    replay("signature", &seeds().0, signature::run);
}

#[test]
fn pipeline_target_short_run() {
    replay("pipeline", &seeds().0, pipeline::run);
}
