//! Prometheus text at `/metrics` on the admin listener.

use crate::common;
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn metrics_cover_requests_circuits_orders_money_and_timers() {
    let s = TestServer::start().await;
    let id = s.confirmed_circuit().await;
    s.call(
        "CreatePhysicalConnectionOccupancyOrder",
        &[
            ("RegionId", "cn-hangzhou"),
            ("PhysicalConnectionId", &id),
            ("AutoPay", "false"),
        ],
    )
    .await;
    s.call("CreatePhysicalConnection", &[("RegionId", "cn-hangzhou")])
        .await;
    let mut c = tokio::net::TcpStream::connect(s.r().admin_addr)
        .await
        .unwrap();
    c.write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    for needle in [
        "physconn_requests_total{product=\"Vpc\",action=\"ConfirmPhysicalConnection\",code=\"200\"}",
        "code=\"MissingParameter\"",
        "physconn_request_duration_seconds_bucket",
        "physconn_circuits{status=\"Confirmed\",business_status=\"Normal\"}",
        "physconn_orders{kind=\"Occupancy\",status=\"Unpaid\"}",
        "physconn_money_fen{kind=\"balance\"}",
        "physconn_timers_due",
        "physconn_store_up 1",
        // the database's connections and queues (SQLite here)
        "physconn_db_reader_threads{backend=\"sqlite\"}",
        "physconn_db_inline_read_connections_idle{backend=\"sqlite\"}",
        "physconn_db_read_queue_depth{backend=\"sqlite\"}",
        "physconn_db_writer_queue_depth{backend=\"sqlite\"}",
        "physconn_db_writer_last_batch_jobs{backend=\"sqlite\"}",
        "physconn_db_writer_commits_total{backend=\"sqlite\"}",
    ] {
        assert!(out.contains(needle), "missing {needle}:\n{out}");
    }
    // The replay cache's memory: every signed call above holds a pair.
    let gauge = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {name}:\n{out}"))
    };
    let pairs = s.r().state.nonces.len();
    assert!(pairs >= 3, "{pairs}");
    assert_eq!(gauge("physconn_nonce_pairs"), pairs as f64);
    assert!(gauge("physconn_nonce_slots") >= pairs as f64);
    s.shutdown().await;
}
