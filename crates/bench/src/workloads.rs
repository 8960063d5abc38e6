//! The workloads: what one iteration sends.

use crate::http::encode_request;
use crate::load::{Client, Iterate};
use anyhow::{anyhow, bail, Result};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub const REGION: &str = "cn-hangzhou";

/// How long a flow waits for the provider, polling with DescribePhysicalConnections.
const POLL_LIMIT: u32 = 2000;
const POLL_PAUSE: Duration = Duration::from_millis(2);

/// How a flow gets the provider to move a circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// `POST /admin/physical-connections/{id}/status` (physconn with `--clock manual` and
    /// manual provisioning, as the test suites run it), then one Describe to check.
    Admin,
    /// Poll DescribePhysicalConnections until the simulator has moved it
    /// (`provisioning_delay = 0`).
    Poll,
}

pub enum Workload {
    /// DescribePhysicalConnections of one circuit by id (ids taken in turn).
    Describe { ids: Vec<String>, next: AtomicUsize },
    /// One page of DescribePhysicalConnections without a filter.
    Page { size: u32, number: u32 },
    /// CreatePhysicalConnection.
    Create,
    /// Create → provider to Allocated → Confirm → occupancy order → Enabled.
    Order(Provider),
    /// A Terraform-like resource life: create, wait, read, update, refreshes, delete.
    Mixed(Provider),
    /// Create → provider to Allocated → Confirm: circuits ready for an occupancy order.
    Prepare(Provider),
    /// CreatePhysicalConnectionOccupancyOrder, one per prepared circuit: connection `i`
    /// takes from `queues[i]` (its account's circuits).
    PlaceOrders { queues: Vec<Mutex<Vec<String>>> },
    /// DescribeVirtualBorderRouters of one VBR by id (ids taken in turn).
    VbrDescribe { ids: Vec<String>, next: AtomicUsize },
    /// An Enabled line (the `order` path) carrying `VBRS_PER_LINE` new VBRs:
    /// what `VbrDescribe` reads.
    VbrSeed(Provider),
    /// moto: DescribeConnections of one connection by id.
    MotoDescribe { ids: Vec<String>, next: AtomicUsize },
    /// moto: CreateConnection.
    MotoCreate { counter: AtomicU64 },
}

impl Workload {
    pub fn describe(ids: Vec<String>) -> Workload {
        Workload::Describe {
            ids,
            next: AtomicUsize::new(0),
        }
    }

    pub fn vbr_describe(ids: Vec<String>) -> Workload {
        Workload::VbrDescribe {
            ids,
            next: AtomicUsize::new(0),
        }
    }

    pub fn place_orders(per_connection: Vec<Vec<String>>) -> Workload {
        Workload::PlaceOrders {
            queues: per_connection.into_iter().map(Mutex::new).collect(),
        }
    }

    pub fn moto_describe(ids: Vec<String>) -> Workload {
        Workload::MotoDescribe {
            ids,
            next: AtomicUsize::new(0),
        }
    }

    async fn run_once(&self, c: &mut Client) -> Result<()> {
        match self {
            Workload::Describe { ids, next } => {
                let id = &ids[next.fetch_add(1, Ordering::Relaxed) % ids.len()];
                c.call_ok("DescribePhysicalConnections", &describe_params(id))
                    .await?;
            }
            Workload::VbrDescribe { ids, next } => {
                let id = &ids[next.fetch_add(1, Ordering::Relaxed) % ids.len()];
                c.call_ok("DescribeVirtualBorderRouters", &vbr_describe_params(id))
                    .await?;
            }
            Workload::VbrSeed(provider) => {
                let line = prepare(c, *provider).await?;
                c.call_ok(
                    "CreatePhysicalConnectionOccupancyOrder",
                    &order_params(&line),
                )
                .await?;
                reach(c, *provider, &line, "Enabled").await?;
                for vlan in 1..=VBRS_PER_LINE {
                    let id = create_vbr(c, &line, vlan).await?;
                    c.created.push(id);
                }
            }
            Workload::Page { size, number } => {
                let p = pairs(&[
                    ("RegionId", REGION),
                    ("PageSize", &size.to_string()),
                    ("PageNumber", &number.to_string()),
                ]);
                c.call_ok("DescribePhysicalConnections", &p).await?;
            }
            Workload::Create => {
                let id = create(c, &create_params()).await?;
                c.created.push(id);
            }
            Workload::Order(provider) => {
                let id = prepare(c, *provider).await?;
                c.call_ok("CreatePhysicalConnectionOccupancyOrder", &order_params(&id))
                    .await?;
                reach(c, *provider, &id, "Enabled").await?;
            }
            Workload::Mixed(provider) => mixed(c, *provider).await?,
            Workload::Prepare(provider) => {
                let id = prepare(c, *provider).await?;
                c.created.push(id);
            }
            Workload::PlaceOrders { queues } => {
                let queue = &queues[c.index % queues.len()];
                let Some(id) = queue.lock().expect("lock").pop() else {
                    bail!("no prepared circuit left");
                };
                c.call_ok("CreatePhysicalConnectionOccupancyOrder", &order_params(&id))
                    .await?;
            }
            Workload::MotoDescribe { ids, next } => {
                let id = &ids[next.fetch_add(1, Ordering::Relaxed) % ids.len()];
                let body = serde_json::json!({ "connectionId": id }).to_string();
                let req = moto_request(&c.signer.host, "DescribeConnections", &body);
                let r = c.send_raw("DescribeConnections", &req).await?;
                ensure_ok(r.status, "DescribeConnections")?;
            }
            Workload::MotoCreate { counter } => {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let r = moto_create(c, n).await?;
                c.created.push(r);
            }
        }
        Ok(())
    }
}

impl Iterate for Workload {
    fn iteration<'a>(
        &'a self,
        c: &'a mut Client,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>> {
        Box::pin(self.run_once(c))
    }
}

fn ensure_ok(status: u16, what: &str) -> Result<()> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(anyhow!("{what}: HTTP {status}"))
    }
}

pub fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

pub fn describe_params(id: &str) -> Vec<(String, String)> {
    pairs(&[
        ("RegionId", REGION),
        ("Filter.1.Key", "PhysicalConnectionId"),
        ("Filter.1.Value.1", id),
        ("PageSize", "10"),
    ])
}

/// The describe by id of a VBR, as `describe_params` is of a line.
pub fn vbr_describe_params(id: &str) -> Vec<(String, String)> {
    pairs(&[
        ("RegionId", REGION),
        ("Filter.1.Key", "VbrId"),
        ("Filter.1.Value.1", id),
        ("PageSize", "10"),
    ])
}

/// VBRs made per line by `VbrSeed`: the default per-line quota.
pub const VBRS_PER_LINE: u32 = 10;

async fn create_vbr(c: &mut Client, line: &str, vlan: u32) -> Result<String> {
    let vlan = vlan.to_string();
    let p = pairs(&[
        ("RegionId", REGION),
        ("PhysicalConnectionId", line),
        ("VlanId", &vlan),
        ("LocalGatewayIp", "10.0.0.1"),
        ("PeerGatewayIp", "10.0.0.2"),
        ("PeeringSubnetMask", "255.255.255.252"),
    ]);
    let r = c.call_ok("CreateVirtualBorderRouter", &p).await?;
    r.json()?
        .get("VbrId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("CreateVirtualBorderRouter: no VbrId"))
}

pub fn create_params() -> Vec<(String, String)> {
    pairs(&[
        ("RegionId", REGION),
        ("AccessPointId", "ap-cn-hangzhou-yh-B"),
        ("LineOperator", "CT"),
        ("PortType", "1000Base-LX"),
    ])
}

pub fn order_params(id: &str) -> Vec<(String, String)> {
    pairs(&[
        ("RegionId", REGION),
        ("PhysicalConnectionId", id),
        ("InstanceChargeType", "PrePaid"),
        ("Period", "1"),
        ("PricingCycle", "Month"),
        ("AutoPay", "true"),
    ])
}

async fn create(c: &mut Client, params: &[(String, String)]) -> Result<String> {
    let r = c.call_ok("CreatePhysicalConnection", params).await?;
    r.json()?
        .get("PhysicalConnectionId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("CreatePhysicalConnection: no PhysicalConnectionId"))
}

/// The circuit's `Status` in a DescribePhysicalConnections answer (None: not listed).
fn listed_status(v: &Value) -> Option<String> {
    v.pointer("/PhysicalConnectionSet/PhysicalConnectionType/0/Status")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Polls DescribePhysicalConnections until the circuit is in `want`.
async fn wait_status(c: &mut Client, id: &str, want: &str) -> Result<()> {
    let p = describe_params(id);
    for _ in 0..POLL_LIMIT {
        let r = c.call_ok("DescribePhysicalConnections", &p).await?;
        if listed_status(&r.json()?).as_deref() == Some(want) {
            return Ok(());
        }
        tokio::time::sleep(POLL_PAUSE).await;
    }
    bail!("{id} never reached {want}")
}

/// Gets the circuit to `want` through the provider, and checks it with a Describe.
async fn reach(c: &mut Client, provider: Provider, id: &str, want: &str) -> Result<()> {
    if provider == Provider::Admin {
        let path = format!("/admin/physical-connections/{id}/status");
        c.admin_post(
            "admin:status",
            &path,
            &serde_json::json!({ "status": want }),
        )
        .await?;
    }
    wait_status(c, id, want).await
}

/// Create, wait for Allocated, Confirm.
async fn prepare(c: &mut Client, provider: Provider) -> Result<String> {
    let id = create(c, &create_params()).await?;
    reach(c, provider, &id, "Allocated").await?;
    let p = pairs(&[("RegionId", REGION), ("PhysicalConnectionId", &id)]);
    c.call_ok("ConfirmPhysicalConnection", &p).await?;
    Ok(id)
}

/// What `terraform apply` then `plan` then `destroy` of one
/// `alicloud_express_connect_physical_connection` sends.
async fn mixed(c: &mut Client, provider: Provider) -> Result<()> {
    let mut p = create_params();
    p.push(("Name".into(), "tf-bench".into()));
    p.push(("Description".into(), "created by physconn-bench".into()));
    let id = create(c, &p).await?;
    reach(c, provider, &id, "Allocated").await?;
    let describe = describe_params(&id);
    let modify = pairs(&[
        ("RegionId", REGION),
        ("PhysicalConnectionId", &id),
        ("Name", "tf-bench-renamed"),
    ]);
    c.call_ok("ModifyPhysicalConnectionAttribute", &modify)
        .await?;
    for _ in 0..3 {
        c.call_ok("DescribePhysicalConnections", &describe).await?;
    }
    c.call_ok("DescribeAccessPoints", &pairs(&[("RegionId", REGION)]))
        .await?;
    let delete = pairs(&[("RegionId", REGION), ("PhysicalConnectionId", &id)]);
    c.call_ok("DeletePhysicalConnection", &delete).await?;
    let r = c.call_ok("DescribePhysicalConnections", &describe).await?;
    if listed_status(&r.json()?).is_some() {
        bail!("{id} still listed after DeletePhysicalConnection");
    }
    Ok(())
}

/// A Direct Connect JSON-1.1 request as boto3 sends it. moto does not verify SigV4, so the
/// `Authorization` header only carries the credential scope moto routes on.
pub fn moto_request(host: &str, operation: &str, body: &str) -> Vec<u8> {
    let target = format!("OvertureService.{operation}");
    let date = time::OffsetDateTime::now_utc();
    let amz_date = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        date.year(),
        u8::from(date.month()),
        date.day(),
        date.hour(),
        date.minute(),
        date.second()
    );
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDBENCH/{}/us-east-1/directconnect/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}",
        &amz_date[..8],
        "0".repeat(64)
    );
    encode_request(
        "/",
        &[
            ("host", host),
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", &target),
            ("x-amz-date", &amz_date),
            ("authorization", &auth),
        ],
        body.as_bytes(),
    )
}

/// moto CreateConnection; returns the connection id.
pub async fn moto_create(c: &mut Client, n: u64) -> Result<String> {
    let body = serde_json::json!({
        "location": "EqDC2",
        "bandwidth": "1Gbps",
        "connectionName": format!("bench-{n}"),
    })
    .to_string();
    let req = moto_request(&c.signer.host, "CreateConnection", &body);
    let r = c.send_raw("CreateConnection", &req).await?;
    ensure_ok(r.status, "CreateConnection")?;
    r.json()?
        .get("connectionId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("CreateConnection: no connectionId"))
}
