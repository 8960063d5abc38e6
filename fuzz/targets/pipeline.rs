//! The whole request pipeline in-process: random method, headers, query and
//! body into the API router of a real server (embedded store, manual clock).
//! Every answer is an Alibaba reply (never a panic or a 500), carries
//! `x-acs-request-id`, and the server keeps answering.
//!
//! Shared by the libFuzzer target and the short replay in CI.

use super::raw;
use std::sync::OnceLock;
use tower::ServiceExt;

struct World {
    rt: tokio::runtime::Runtime,
    state: physconn_server::AppState,
    // Kept (never dropped) so the listeners live as long as the process.
    _running: physconn_server::Running,
    _dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let config = physconn_server::Config {
            listen: "127.0.0.1:0".into(),
            admin_listen: "127.0.0.1:0".into(),
            data_dir: dir.path().to_path_buf(),
            clock: physconn_server::ClockMode::Manual,
            clock_start: Some("2026-11-29T00:19:20Z".into()),
            throttle_per_key_rps: 1_000_000,
            throttle_burst: 1_000_000,
            ..physconn_server::Config::default()
        };
        let mut opts = physconn_server::StartOptions::new(config);
        opts.access_key = Some(("testid".into(), "testsecret".into()));
        opts.admin_token = Some("fuzz".into());
        let running = rt.block_on(physconn_server::start(opts)).expect("server");
        let state = running.state.clone();
        World {
            rt,
            state,
            _running: running,
            _dir: dir,
        }
    })
}

pub fn run(data: &[u8]) {
    let w = world();
    let r = raw::parse(data);
    let uri = if r.query.is_empty() {
        format!("/{}", r.path.trim_start_matches('/'))
    } else {
        format!("/{}?{}", r.path.trim_start_matches('/'), r.query)
    };
    let mut b = axum::http::Request::builder()
        .method(r.method.as_str())
        .uri(uri.as_str());
    for (k, v) in &r.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let Ok(req) = b.body(axum::body::Body::from(r.body)) else {
        return;
    };
    let resp =
        w.rt.block_on(physconn_server::server::api_router(w.state.clone()).oneshot(req))
            .expect("infallible");
    let status = resp.status().as_u16();
    assert!(
        matches!(status, 200 | 400 | 403 | 404 | 413 | 503),
        "status {status}"
    );
    assert!(resp.headers().contains_key("x-acs-request-id"));
    let body =
        w.rt.block_on(http_body_util::BodyExt::collect(resp.into_body()))
            .expect("body")
            .to_bytes();
    if status != 200 {
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("Code"), "an Alibaba error body: {text}");
    }
}
