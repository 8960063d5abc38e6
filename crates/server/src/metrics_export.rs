//! Prometheus text at `GET /metrics` on the admin listener: requests by
//! product, action and code with latency histograms (recorded per request in
//! `observe.rs`), and, computed at scrape time from the store, circuits by
//! status, VBRs and BGP objects by status, orders by kind and status, money totals and the timer backlog,
//! and the database's connections and queues (`physconn_db_*`, from
//! `Store::pool_stats`: SQLite's reader threads, inline read connections,
//! writer queue and group commits; PostgreSQL's pool size and idle count),
//! and the replay cache's pairs and table slots (`physconn_nonce_*`).

use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The process-wide recorder (installed once, whatever the number of
/// servers a process starts, as tests do).
pub fn handle() -> Option<&'static PrometheusHandle> {
    static H: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    H.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(&[
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
            .ok()
            .and_then(|b| b.install_recorder().ok())
    })
    .as_ref()
}

struct Snapshot {
    circuits: BTreeMap<(String, String), u64>,
    vbrs: BTreeMap<String, u64>,
    bgp: BTreeMap<(String, String), u64>,
    orders: BTreeMap<(String, String), u64>,
    balance_fen: i64,
    credit_fen: i64,
    accounts: u64,
    timers: BTreeMap<String, u64>,
    due: u64,
}

async fn snapshot(state: &AppState) -> physconn_store::OpResult<Snapshot> {
    let now = state.now();
    physconn_store::read(&*state.store, move |tx| {
        Box::pin(async move {
            let accounts = tx.list_accounts().await?;
            let mut circuits = BTreeMap::new();
            for a in &accounts {
                for c in tx.list_account_circuits(&a.id).await? {
                    let k = (
                        c.status.as_str().to_string(),
                        c.business_status.as_str().to_string(),
                    );
                    *circuits.entry(k).or_insert(0) += 1;
                }
            }
            let mut vbrs = BTreeMap::new();
            for a in &accounts {
                for v in tx
                    .vbrs()
                    .list_vbrs(physconn_store::VbrScope::Owner(&a.id))
                    .await?
                {
                    *vbrs.entry(v.status.as_str().to_string()).or_insert(0) += 1;
                }
            }
            let mut bgp = BTreeMap::new();
            for a in &accounts {
                for o in tx
                    .bgp()
                    .list_bgp(physconn_store::BgpScope::Owner(&a.id))
                    .await?
                {
                    let k = (
                        o.kind().as_str().to_string(),
                        o.status().as_str().to_string(),
                    );
                    *bgp.entry(k).or_insert(0) += 1;
                }
            }
            let mut orders = BTreeMap::new();
            for o in tx.list_orders(None).await? {
                *orders
                    .entry((o.kind.as_str().to_string(), o.status.as_str().to_string()))
                    .or_insert(0) += 1;
            }
            let mut timers = BTreeMap::new();
            let mut due = 0;
            for t in tx.all_timers().await? {
                *timers.entry(t.kind.as_str().to_string()).or_insert(0) += 1;
                if t.due_at <= now {
                    due += 1;
                }
            }
            Ok(Snapshot {
                balance_fen: accounts.iter().map(|a| a.balance.0).sum(),
                credit_fen: accounts.iter().map(|a| a.credit_limit.0).sum(),
                accounts: accounts.len() as u64,
                circuits,
                vbrs,
                bgp,
                orders,
                timers,
                due,
            })
        })
    })
    .await
}

pub async fn render(State(state): State<AppState>) -> Response {
    let Some(h) = handle() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable",
        )
            .into_response();
    };
    let backend = match state.store.backend() {
        physconn_store::Backend::Sqlite => "sqlite",
        physconn_store::Backend::Postgres => "postgres",
    };
    for stat in state.store.pool_stats() {
        let name = format!("physconn_db_{}", stat.name);
        metrics::describe_gauge!(name.clone(), stat.help);
        metrics::gauge!(name, "backend" => backend).set(stat.value);
    }
    metrics::gauge!("physconn_nonce_pairs").set(state.nonces.len() as f64);
    metrics::gauge!("physconn_nonce_slots").set(state.nonces.slots() as f64);
    match snapshot(&state).await {
        Ok(s) => {
            for ((status, business), n) in s.circuits {
                metrics::gauge!("physconn_circuits", "status" => status, "business_status" => business).set(n as f64);
            }
            for (status, n) in s.vbrs {
                metrics::gauge!("physconn_vbrs", "status" => status).set(n as f64);
            }
            for ((kind, status), n) in s.bgp {
                metrics::gauge!("physconn_bgp_objects", "kind" => kind, "status" => status)
                    .set(n as f64);
            }
            for ((kind, status), n) in s.orders {
                metrics::gauge!("physconn_orders", "kind" => kind, "status" => status)
                    .set(n as f64);
            }
            metrics::gauge!("physconn_accounts").set(s.accounts as f64);
            metrics::gauge!("physconn_money_fen", "kind" => "balance").set(s.balance_fen as f64);
            metrics::gauge!("physconn_money_fen", "kind" => "credit_limit")
                .set(s.credit_fen as f64);
            for (kind, n) in s.timers {
                metrics::gauge!("physconn_timers_pending", "kind" => kind).set(n as f64);
            }
            metrics::gauge!("physconn_timers_due").set(s.due as f64);
            metrics::gauge!("physconn_store_up").set(1.0);
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the store could not be read");
            metrics::gauge!("physconn_store_up").set(0.0);
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        h.render(),
    )
        .into_response()
}
