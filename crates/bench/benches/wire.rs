//! Micro-benchmarks of the wire crate's per-request work: decoding, parsing and verifying
//! V1 and V3 requests, rendering JSON, and the client-side signing the generator does.
//! Run with `cargo bench -p physconn-bench --bench wire`.

use divan::{black_box, AllocProfiler, Bencher};
use physconn_wire::{
    decode_form, parse_request, render_json, sign_v1, sign_v3, ClientCredentials, ClientRequest,
    RawRequest,
};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

const KEY: &str = "LTAI5tBenchKey000000000";
const SECRET: &str = "BenchSecret0000000000000000000";
const HOST: &str = "127.0.0.1:8080";
const DATE: &str = "2026-11-29T04:40:34Z";
const NONCE: &str = "3f1e2d4c5b6a79880716253443526170";

fn creds() -> ClientCredentials<'static> {
    ClientCredentials {
        access_key_id: KEY,
        access_key_secret: SECRET,
        security_token: None,
    }
}

fn describe_params() -> Vec<(String, String)> {
    [
        ("RegionId", "cn-hangzhou"),
        ("Filter.1.Key", "PhysicalConnectionId"),
        ("Filter.1.Value.1", "pc-bp1ciz7ekd2grn1as0001"),
        ("PageSize", "10"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect()
}

fn signed(v3: bool, form_body: bool) -> ClientRequest {
    let p = describe_params();
    let f = if v3 { sign_v3 } else { sign_v1 };
    f(
        &creds(),
        HOST,
        "DescribePhysicalConnections",
        "2016-04-28",
        &p,
        form_body,
        DATE,
        NONCE,
    )
}

fn raw(req: &ClientRequest) -> RawRequest<'_> {
    RawRequest {
        method: &req.method,
        path: &req.path,
        raw_query: &req.query,
        headers: &req.headers,
        body: &req.body,
    }
}

fn main() {
    divan::main();
}

#[divan::bench]
fn decode_form_v1_query(b: Bencher) {
    let q = signed(false, false).query;
    b.bench(|| decode_form(black_box(q.as_bytes())).unwrap());
}

#[divan::bench]
fn decode_form_v3_query(b: Bencher) {
    let q = signed(true, false).query;
    b.bench(|| decode_form(black_box(q.as_bytes())).unwrap());
}

#[divan::bench(args = [false, true])]
fn parse_request_v1(b: Bencher, form_body: bool) {
    let req = signed(false, form_body);
    b.bench(|| parse_request(black_box(&raw(&req))).unwrap());
}

#[divan::bench]
fn parse_request_v3(b: Bencher) {
    let req = signed(true, false);
    b.bench(|| parse_request(black_box(&raw(&req))).unwrap());
}

#[divan::bench]
fn parse_and_verify_v1(b: Bencher) {
    let req = signed(false, false);
    b.bench(|| {
        let r = raw(&req);
        let parsed = parse_request(black_box(&r)).unwrap();
        parsed.verify(&r, SECRET).unwrap();
    });
}

#[divan::bench]
fn parse_and_verify_v3(b: Bencher) {
    let req = signed(true, false);
    b.bench(|| {
        let r = raw(&req);
        let parsed = parse_request(black_box(&r)).unwrap();
        parsed.verify(&r, SECRET).unwrap();
    });
}

#[divan::bench]
fn verify_only_v3(b: Bencher) {
    let req = signed(true, false);
    let r = raw(&req);
    let parsed = parse_request(&r).unwrap();
    b.bench(|| parsed.verify(black_box(&r), SECRET).unwrap());
}

#[divan::bench]
fn render_json_describe(b: Bencher) {
    let body: serde_json::Value =
        serde_json::from_str(include_str!("../src/ceiling_body.json")).unwrap();
    b.bench(|| render_json(black_box(&body)));
}

#[divan::bench(args = [false, true])]
fn client_sign(b: Bencher, v3: bool) {
    let p = describe_params();
    let f = if v3 { sign_v3 } else { sign_v1 };
    b.bench(|| {
        f(
            &creds(),
            HOST,
            "DescribePhysicalConnections",
            "2016-04-28",
            black_box(&p),
            false,
            DATE,
            NONCE,
        )
    });
}
