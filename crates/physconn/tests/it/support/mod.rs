//! Shared by the process tests: starting and stopping `physconn serve`
//! processes (on a data directory or one PostgreSQL schema), a V3-signing
//! HTTP client, and direct SQL for checking invariants. Without a reachable
//! PostgreSQL the PostgreSQL tests skip, unless `CI` is set (then they fail),
//! like the store's conformance suite.
#![allow(dead_code)]

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use physconn_domain::{IdGen, RandomIds};
use physconn_wire::{sign_v3, ClientCredentials, ClientRequest};
use serde_json::Value;
use sqlx::{Connection, PgConnection};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_physconn");
pub const KEY_ID: &str = "LTAIpgTest000000000000000";
pub const KEY_SECRET: &str = "pgTestSecret0000000000000000000";
pub const ADMIN_TOKEN: &str = "pg-test-admin-token";
/// The host every request is signed for: the name of the load balancer in
/// front of the servers, sent as `Host` to whichever server gets it.
pub const LB_HOST: &str = "vpc.physconn.test";
/// Where every manual clock starts.
pub const START: &str = "2026-01-01T00:00:00Z";

/// The time to sign with: the machine's, as an SDK's, whatever the
/// server's business clock says (docs/design/protocol.md#replay-protection).
pub fn now() -> String {
    physconn_wire::format_timestamp(time::OffsetDateTime::now_utc())
}

pub fn base_url() -> String {
    std::env::var("PHYSCONN_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh schema name (the servers create it).
pub fn fresh_schema(prefix: &str) -> String {
    format!("{prefix}_{}", RandomIds.token(12).to_lowercase())
}

/// The database URL of `schema`, with an `application_name` so a test can
/// find (and kill) exactly its own servers' connections.
pub fn schema_url(schema: &str, app: &str) -> String {
    let base = base_url();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}&application_name={app}")
}

/// A direct connection for checks, or `None` to skip (panics under `CI`).
pub async fn pg_admin() -> Option<PgConnection> {
    match PgConnection::connect(&base_url()).await {
        Ok(c) => Some(c),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!(
                "PostgreSQL unreachable at {} while CI is set: {e}",
                base_url()
            )
        }
        Err(e) => {
            eprintln!("skipping: PostgreSQL unreachable: {e}");
            None
        }
    }
}

/// A `physconn serve` process; killed when dropped.
pub struct Proc {
    pub child: Child,
    /// `127.0.0.1:port` of the API listener.
    pub api: String,
    /// `http://127.0.0.1:port` of the admin listener.
    pub admin: String,
    /// What it printed up to and including its `listening:` line.
    pub lines: Vec<String>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Sends a signal (`TERM`, `KILL`) and waits for the process to end.
    pub fn signal(&mut self, signal: &str) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success(), "kill -{signal}");
        self.child.wait().expect("wait")
    }

    /// SIGTERM: a graceful shutdown, which must exit 0.
    pub fn stop(mut self) {
        let exit = self.signal("TERM");
        assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
    }
}

/// A server process that has not yet said it is listening.
pub struct Starting {
    child: Child,
    lines: mpsc::Receiver<String>,
}

/// Spawns `physconn serve` with both listeners on port 0, then `flags`;
/// `env` sets variables (a `None` value removes one). Its log goes to this
/// process's stderr at `PHYSCONN_TEST_SERVER_LOG` (default `error`).
pub fn spawn(flags: &[&str], env: &[(&str, Option<&str>)]) -> Starting {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
    ])
    .args(flags)
    .env(
        "PHYSCONN_LOG",
        std::env::var("PHYSCONN_TEST_SERVER_LOG").unwrap_or_else(|_| "error".into()),
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut child = cmd.spawn().expect("spawn physconn");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Starting { child, lines: rx }
}

impl Starting {
    /// Waits (at most 30 s) for the `listening:` line.
    pub fn listening(mut self) -> Proc {
        let mut lines = Vec::new();
        let line = loop {
            match self.lines.recv_timeout(Duration::from_secs(30)) {
                Ok(l) if l.starts_with("listening: ") => break l,
                Ok(l) => lines.push(l),
                Err(_) => {
                    let status = self.child.try_wait().ok().flatten();
                    let _ = self.child.kill();
                    panic!("a server did not start listening (exit: {status:?}): {lines:?}");
                }
            }
        };
        let api = line
            .split("api=")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|u| u.split_once("://"))
            .map(|(_, addr)| addr)
            .expect("api address")
            .to_string();
        let admin = line
            .split("admin=")
            .nth(1)
            .expect("admin address")
            .trim()
            .to_string();
        lines.push(line);
        Proc {
            child: self.child,
            api,
            admin,
            lines,
        }
    }
}

/// Starts `n` servers on PostgreSQL at `url` at the same moment (they
/// migrate and bootstrap concurrently) and waits until each is listening.
pub fn start_servers(n: usize, url: &str) -> Vec<Proc> {
    start_servers_with(n, &["--database-url", url])
}

/// Starts `n` servers with these store flags (`--database-url …` or
/// `--data-dir …`), manual clocks at [`START`], steps taking no time.
pub fn start_servers_with(n: usize, store: &[&str]) -> Vec<Proc> {
    start_servers_env(n, store, &[])
}

/// [`start_servers_with`] with extra environment variables.
pub fn start_servers_env(n: usize, store: &[&str], env: &[(&str, &str)]) -> Vec<Proc> {
    let mut flags = vec![
        "--clock",
        "manual",
        "--clock-start",
        START,
        "--provisioning-delay",
        "0",
    ];
    flags.extend_from_slice(store);
    let mut vars = vec![
        ("PHYSCONN_ACCESS_KEY_ID", Some(KEY_ID)),
        ("PHYSCONN_ACCESS_KEY_SECRET", Some(KEY_SECRET)),
        ("PHYSCONN_ADMIN_TOKEN", Some(ADMIN_TOKEN)),
    ];
    vars.extend(env.iter().map(|(k, v)| (*k, Some(*v))));
    let pending: Vec<Starting> = (0..n).map(|_| spawn(&flags, &vars)).collect();
    pending.into_iter().map(Starting::listening).collect()
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or("")
    }
}

/// An account's credentials.
#[derive(Debug, Clone)]
pub struct Creds {
    pub id: String,
    pub secret: String,
}

impl Creds {
    pub fn default_key() -> Self {
        Self {
            id: KEY_ID.into(),
            secret: KEY_SECRET.into(),
        }
    }
}

#[derive(Clone)]
pub struct Client {
    http: HttpClient<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    pub fn new() -> Self {
        Self {
            http: HttpClient::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Signs a VPC call (a fresh nonce) without sending it.
    pub fn sign(
        &self,
        creds: &Creds,
        action: &str,
        params: &[(&str, &str)],
        date: &str,
    ) -> ClientRequest {
        let p: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let c = ClientCredentials {
            access_key_id: &creds.id,
            access_key_secret: &creds.secret,
            security_token: None,
        };
        sign_v3(
            &c,
            LB_HOST,
            action,
            "2016-04-28",
            &p,
            false,
            date,
            &RandomIds.token(32),
        )
    }

    /// Sends a signed request to the server at `api`, with its signed `Host`
    /// (as a load balancer forwards it).
    pub async fn send(&self, api: &str, req: &ClientRequest) -> Resp {
        self.try_send(api, req).await.expect("an answer")
    }

    /// [`Client::send`] to a server that may be stopping: `None` when no
    /// complete JSON answer came back.
    pub async fn try_send(&self, api: &str, req: &ClientRequest) -> Option<Resp> {
        let uri = if req.query.is_empty() {
            format!("http://{api}{}", req.path)
        } else {
            format!("http://{api}{}?{}", req.path, req.query)
        };
        let mut b = hyper::Request::builder()
            .method(req.method.as_str())
            .uri(uri);
        for (k, v) in &req.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let body = Full::new(Bytes::from(req.body.clone()));
        let r = self
            .http
            .request(b.body(body).expect("request"))
            .await
            .ok()?;
        let status = r.status().as_u16();
        let bytes = r.into_body().collect().await.ok()?.to_bytes();
        let body = serde_json::from_slice(&bytes).ok()?;
        Some(Resp { status, body })
    }

    pub async fn call(
        &self,
        api: &str,
        creds: &Creds,
        action: &str,
        params: &[(&str, &str)],
        date: &str,
    ) -> Resp {
        let req = self.sign(creds, action, params, date);
        self.send(api, &req).await
    }

    pub async fn admin(
        &self,
        admin: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.try_admin(admin, method, path, body)
            .await
            .expect("admin call")
    }

    /// The value of a metric on `/metrics` (its first series), or `None`
    /// when it is not exported.
    pub async fn metric(&self, admin: &str, name: &str) -> Option<f64> {
        let req = hyper::Request::builder()
            .uri(format!("{admin}/metrics"))
            .body(Full::new(Bytes::new()))
            .expect("request");
        let r = self.http.request(req).await.ok()?;
        let bytes = r.into_body().collect().await.ok()?.to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        text.lines()
            .filter(|l| l.starts_with(name) && !l[name.len()..].starts_with('_'))
            .find_map(|l| l.rsplit(' ').next()?.parse().ok())
    }

    /// An admin call that may meet a dead server (`None`).
    pub async fn try_admin(
        &self,
        admin: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Option<(u16, Value)> {
        let req = hyper::Request::builder()
            .method(method)
            .uri(format!("{admin}{path}"))
            .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(
                body.map(|b| b.to_string()).unwrap_or_default(),
            )))
            .expect("request");
        let r = self.http.request(req).await.ok()?;
        let status = r.status().as_u16();
        let bytes = r.into_body().collect().await.ok()?.to_bytes();
        Some((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// Creates an account with a balance; returns its id and key.
    pub async fn account(&self, admin: &str, name: &str, balance: &str) -> (String, Creds) {
        let (s, v) = self
            .admin(
                admin,
                "POST",
                "/admin/accounts",
                Some(serde_json::json!({"name": name, "balance": balance})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let creds = Creds {
            id: v["AccessKeyId"].as_str().unwrap().into(),
            secret: v["AccessKeySecret"].as_str().unwrap().into(),
        };
        (v["AccountId"].as_str().unwrap().into(), creds)
    }
}

/// The money invariants (docs/design/billing.md#money-rules), checked in SQL
/// on `schema`: every account's
/// balance is the sum of its ledger; every paid order has exactly one
/// payment entry and no other order has any; every circuit has at most one
/// occupancy order; no circuit transition is recorded twice; nothing is due
/// that has not fired.
pub async fn check_invariants(db: &mut PgConnection, schema: &str, now_micros: i64) {
    let q = |sql: &str| sql.replace("{s}", &format!("\"{schema}\""));
    let accounts: Vec<(String, i64)> =
        sqlx::query_as(&q("SELECT id, balance_fen FROM {s}.accounts"))
            .fetch_all(&mut *db)
            .await
            .unwrap();
    let ledger: Vec<(String, i64, String, Option<String>)> = sqlx::query_as(&q(
        "SELECT account_id, amount_fen, kind, order_id FROM {s}.ledger",
    ))
    .fetch_all(&mut *db)
    .await
    .unwrap();
    for (id, balance) in &accounts {
        let sum: i64 = ledger
            .iter()
            .filter(|(a, ..)| a == id)
            .map(|(_, amt, ..)| amt)
            .sum();
        assert_eq!(*balance, sum, "account {id}: balance = ledger sum");
    }
    let orders: Vec<(String, String, String, String)> =
        sqlx::query_as(&q("SELECT id, circuit_id, kind, status FROM {s}.orders"))
            .fetch_all(&mut *db)
            .await
            .unwrap();
    for (id, _, _, status) in &orders {
        let entries = ledger
            .iter()
            .filter(|(_, _, kind, o)| kind == "OrderPayment" && o.as_deref() == Some(id))
            .count();
        let want = usize::from(status == "Paid");
        assert_eq!(entries, want, "order {id} ({status}): payment entries");
    }
    let mut occupancy: std::collections::HashMap<&str, usize> = Default::default();
    for (_, circuit, kind, status) in &orders {
        if kind == "Occupancy" && status != "Cancelled" {
            *occupancy.entry(circuit).or_default() += 1;
        }
    }
    assert!(
        occupancy.values().all(|n| *n == 1),
        "one occupancy order per circuit: {occupancy:?}"
    );
    let twice: Vec<(String, Option<String>, String, i64)> = sqlx::query_as(&q(
        "SELECT circuit_id, from_status, to_status, COUNT(*) FROM {s}.circuit_events \
         GROUP BY circuit_id, from_status, to_status HAVING COUNT(*) > 1",
    ))
    .fetch_all(&mut *db)
    .await
    .unwrap();
    assert!(twice.is_empty(), "transitions recorded twice: {twice:?}");
    let (overdue,): (i64,) =
        sqlx::query_as(&q("SELECT COUNT(*) FROM {s}.timers WHERE due_at <= $1"))
            .bind(now_micros)
            .fetch_one(&mut *db)
            .await
            .unwrap();
    assert_eq!(overdue, 0, "every due timer fired");
}

/// Drops a test schema (best effort).
pub async fn drop_schema(db: &mut PgConnection, schema: &str) {
    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .execute(&mut *db)
        .await;
}
