//! A physconn server on port 0 with a manual clock, and a signing client.
#![allow(dead_code)]

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use physconn_domain::{IdGen, ManualClock, RandomIds};
use physconn_server::{ClockMode, Config, Running, StartOptions};
use physconn_wire::{sign_v1, sign_v3, ClientCredentials, ClientRequest};
use serde_json::Value;

pub const KEY_ID: &str = "testid";
pub const KEY_SECRET: &str = "testsecret";
pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const START: &str = "2026-11-29T00:00:00Z";

pub struct TestServer {
    pub running: Option<Running>,
    pub dir: tempfile::TempDir,
    http: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    pub config: Config,
    boots: u64,
    /// The clock requests are signed with (the server's signing clock), when
    /// the business clock is manual: tests choose every timestamp.
    pub sign: Option<std::sync::Arc<ManualClock>>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn code(&self) -> String {
        self.json()["Code"].as_str().unwrap_or("").to_string()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn test_config(dir: &std::path::Path) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        admin_listen: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        clock: ClockMode::Manual,
        clock_start: Some(START.into()),
        ..Config::default()
    }
}

pub fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(f: impl FnOnce(&mut Config)) -> Self {
        if std::env::var_os("PHYSCONN_TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter("warn")
                .with_test_writer()
                .try_init();
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = test_config(dir.path());
        f(&mut config);
        let mut s = Self {
            running: None,
            dir,
            http: Client::builder(TokioExecutor::new()).build_http(),
            sign: (config.clock == ClockMode::Manual).then(|| {
                std::sync::Arc::new(ManualClock::new(
                    time::OffsetDateTime::parse(
                        START,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .expect("START"),
                ))
            }),
            config,
            boots: 0,
        };
        s.boot().await;
        s
    }

    async fn boot(&mut self) {
        let mut opts = StartOptions::new(self.config.clone());
        opts.access_key = Some((KEY_ID.into(), KEY_SECRET.into()));
        opts.admin_token = Some(ADMIN_TOKEN.into());
        if let Some(c) = &self.sign {
            opts.sign_clock = Some(c.clone());
        }
        // Seeded ids keep snapshots reproducible; each boot gets its own seed,
        // or a restarted server would make the same ids again.
        self.boots += 1;
        opts.ids = Some(std::sync::Arc::new(physconn_domain::ids::SeededIds::new(
            41 + self.boots,
        )));
        self.running = Some(physconn_server::start(opts).await.expect("server starts"));
    }

    /// Stops the server and starts it again on the same data directory.
    pub async fn restart(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
        // The same ports are not needed: listeners are on port 0 again.
        // Signing time moves on, as real time would: a request signed in the
        // second the server stopped is refused as a possible replay.
        if let Some(c) = &self.sign {
            c.advance(time::Duration::seconds(3));
        }
        self.boot().await;
    }

    pub fn r(&self) -> &Running {
        self.running.as_ref().expect("running")
    }

    pub fn host(&self) -> String {
        self.r().api_addr.to_string()
    }

    pub fn now_str(&self) -> String {
        physconn_wire::format_timestamp(self.r().state.sign_clock.now())
    }

    pub async fn send(&self, req: ClientRequest) -> Resp {
        let uri = if req.query.is_empty() {
            format!("http://{}{}", self.host(), req.path)
        } else {
            format!("http://{}{}?{}", self.host(), req.path, req.query)
        };
        let mut b = hyper::Request::builder()
            .method(req.method.as_str())
            .uri(uri);
        for (k, v) in &req.headers {
            if !k.eq_ignore_ascii_case("host") {
                b = b.header(k.as_str(), v.as_str());
            }
        }
        let r = self
            .http
            .request(b.body(Full::new(Bytes::from(req.body))).expect("request"))
            .await
            .expect("http");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.into_body().collect().await.expect("body").to_bytes();
        Resp {
            status,
            headers,
            text: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub fn creds(&self) -> ClientCredentials<'static> {
        ClientCredentials {
            access_key_id: KEY_ID,
            access_key_secret: KEY_SECRET,
            security_token: None,
        }
    }

    /// A V3-signed VPC call with the default key.
    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Resp {
        self.call_as(&self.creds(), action, params).await
    }

    pub async fn call_as(
        &self,
        creds: &ClientCredentials<'_>,
        action: &str,
        params: &[(&str, &str)],
    ) -> Resp {
        let req = sign_v3(
            creds,
            &self.host(),
            action,
            "2016-04-28",
            &pairs(params),
            false,
            &self.now_str(),
            &RandomIds.token(32),
        );
        self.send(req).await
    }

    /// A V1 call with every parameter in a form body, as Terraform sends it.
    pub async fn call_v1_form(&self, action: &str, params: &[(&str, &str)]) -> Resp {
        let req = sign_v1(
            &self.creds(),
            &self.host(),
            action,
            "2016-04-28",
            &pairs(params),
            true,
            &self.now_str(),
            &RandomIds.token(32),
        );
        self.send(req).await
    }

    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let uri = format!("http://{}{}", self.r().admin_addr, path);
        let req = hyper::Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(
                body.map(|b| b.to_string()).unwrap_or_default(),
            )))
            .expect("request");
        let r = self.http.request(req).await.expect("http");
        let status = r.status().as_u16();
        let bytes = r.into_body().collect().await.expect("body").to_bytes();
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, v)
    }

    /// Sends an authorised `TRACE` (which no admin route serves) to `path`:
    /// the status and the `Allow` header the router answers with.
    pub async fn admin_allow(&self, path: &str) -> (u16, String) {
        let uri = format!("http://{}{}", self.r().admin_addr, path);
        let req = hyper::Request::builder()
            .method("TRACE")
            .uri(uri)
            .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
            .body(Full::new(Bytes::new()))
            .expect("request");
        let r = self.http.request(req).await.expect("http");
        let allow = r
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (r.status().as_u16(), allow)
    }

    pub async fn advance(&self, seconds: f64) {
        let (s, v) = self
            .admin(
                "POST",
                "/admin/clock/advance",
                Some(serde_json::json!({ "seconds": seconds })),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }

    /// Creates a circuit in cn-hangzhou and returns its id.
    pub async fn create_circuit(&self, extra: &[(&str, &str)]) -> String {
        let mut p = vec![
            ("RegionId", "cn-hangzhou"),
            ("AccessPointId", "ap-cn-hangzhou-yh-B"),
            ("LineOperator", "CT"),
            ("PortType", "1000Base-LX"),
        ];
        p.extend_from_slice(extra);
        let r = self.call("CreatePhysicalConnection", &p).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["PhysicalConnectionId"]
            .as_str()
            .expect("id")
            .to_string()
    }

    pub async fn describe(&self, id: &str) -> Value {
        let r = self
            .call(
                "DescribePhysicalConnections",
                &[
                    ("RegionId", "cn-hangzhou"),
                    ("Filter.1.Key", "PhysicalConnectionId"),
                    ("Filter.1.Value.1", id),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["PhysicalConnectionSet"]["PhysicalConnectionType"][0].clone()
    }

    /// Create → Allocated (clock advanced) → Confirmed.
    pub async fn confirmed_circuit(&self) -> String {
        let id = self.create_circuit(&[]).await;
        self.advance(3.0).await;
        assert_eq!(self.describe(&id).await["Status"], "Allocated");
        let r = self
            .call(
                "ConfirmPhysicalConnection",
                &[("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", &id)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        id
    }

    pub async fn shutdown(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

impl TestServer {
    pub async fn default_account_id(&self) -> String {
        let (_, acct) = self.admin("GET", "/admin/accounts/default", None).await;
        acct["AccountId"].as_str().expect("account").to_string()
    }

    /// Puts a circuit of the default account straight into `status` (no
    /// timers, no orders): the starting point of state-machine tests.
    pub async fn circuit_in(&self, status: physconn_domain::Status) -> String {
        use physconn_domain::*;
        let account = self.default_account_id().await;
        let state = self.r().state.clone();
        let id = state.ids.circuit_id("cn-hangzhou");
        let now = state.clock.now();
        let c = std::sync::Arc::new(Circuit {
            id: id.clone(),
            account_id: account,
            region_id: "cn-hangzhou".into(),
            access_point_id: "ap-cn-hangzhou-yh-B".into(),
            status,
            business_status: BusinessStatus::Normal,
            loa_status: None,
            name: "matrix".into(),
            description: String::new(),
            line_operator: LineOperator::CT,
            port_type: PortType::Base1000LX,
            bandwidth: 100,
            port_number: "1/1/1".into(),
            circuit_code: String::new(),
            peer_location: String::new(),
            ad_location: String::new(),
            ad_detail_location: String::new(),
            redundant_id: String::new(),
            resource_group_id: "rg-acfmmatrix".into(),
            created_at: now,
            enabled_at: (status == Status::Enabled).then_some(now),
            end_at: None,
            charge_type: None,
            pending_order_id: None,
            auto_renew: false,
            auto_renew_duration: 1,
            deleted_at: None,
            tags: Vec::new(),
            loa: None,
            provisioning_mode: None,
            metered_until: None,
        });
        physconn_store::write(&*state.store, move |tx| {
            let c = c.clone();
            Box::pin(async move { tx.insert_circuit(&c).await })
        })
        .await
        .expect("insert");
        id
    }

    /// The circuit as the admin API shows it (also when deleted).
    /// Creates an account through the admin API; its JSON (with the new
    /// account's first AccessKeyId and AccessKeySecret).
    pub async fn create_account(&self, name: &str, balance: &str) -> Value {
        let (st, v) = self
            .admin(
                "POST",
                "/admin/accounts",
                Some(serde_json::json!({"name": name, "balance": balance})),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        v
    }

    pub async fn admin_circuit(&self, id: &str) -> Value {
        let (s, v) = self
            .admin("GET", &format!("/admin/physical-connections/{id}"), None)
            .await;
        assert_eq!(s, 200, "{v}");
        v
    }
}

impl TestServer {
    /// Every circuit DescribePhysicalConnections lists in cn-hangzhou.
    pub async fn describe_all(&self) -> Vec<Value> {
        let r = self
            .call(
                "DescribePhysicalConnections",
                &[("RegionId", "cn-hangzhou"), ("PageSize", "50")],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["PhysicalConnectionSet"]["PhysicalConnectionType"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// An access key pair the test holds: an account's or a RAM user's, as the
/// admin API answered it.
pub struct Keys {
    pub id: String,
    pub secret: String,
}

impl Keys {
    /// The `AccessKeyId` and `AccessKeySecret` of an admin API answer.
    pub fn of(v: &Value) -> Keys {
        let field = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("{k}: {v}"))
                .to_string()
        };
        Keys {
            id: field("AccessKeyId"),
            secret: field("AccessKeySecret"),
        }
    }

    pub fn creds(&self) -> ClientCredentials<'_> {
        ClientCredentials {
            access_key_id: &self.id,
            access_key_secret: &self.secret,
            security_token: None,
        }
    }
}

impl TestServer {
    /// A new account's first access key.
    pub async fn account_keys(&self, name: &str, balance: &str) -> Keys {
        Keys::of(&self.create_account(name, balance).await)
    }

    /// CreateVirtualBorderRouter on `line` with VLAN `vlan`, gateways
    /// 10.0.0.1/10.0.0.2 in a /30; `extra` adds parameters or replaces these.
    pub async fn create_vbr(&self, line: &str, vlan: &str, extra: &[(&str, &str)]) -> Resp {
        let mut p = vec![
            ("RegionId", "cn-hangzhou"),
            ("PhysicalConnectionId", line),
            ("VlanId", vlan),
            ("LocalGatewayIp", "10.0.0.1"),
            ("PeerGatewayIp", "10.0.0.2"),
            ("PeeringSubnetMask", "255.255.255.252"),
        ];
        for (k, v) in extra {
            match p.iter_mut().find(|(have, _)| have == k) {
                Some(slot) => slot.1 = v,
                None => p.push((k, v)),
            }
        }
        self.call("CreateVirtualBorderRouter", &p).await
    }

    /// [`Self::create_vbr`] that must succeed: the new VBR's id.
    pub async fn new_vbr(&self, line: &str, vlan: &str) -> String {
        let r = self.create_vbr(line, vlan, &[]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["VbrId"].as_str().expect("VbrId").to_string()
    }
}
