//! JSON shapes of the API's objects, with exactly the SDK models' types
//! (`api.md` §3): strings where the models say string, `Bandwidth` a number.

use physconn_domain::Circuit;
use physconn_wire::timefmt::format_timestamp;
use serde_json::{json, Map, Value};

/// One `PhysicalConnectionType` entry. Fields that Terraform type-asserts are
/// always present (empty when unset); billing times only once set.
pub fn circuit(c: &Circuit) -> Value {
    // Sized for every field at once: growing the map rehashed it three times.
    let mut m = Map::with_capacity(32);
    let mut s = |k: &str, v: &str| {
        m.insert(k.to_string(), Value::String(v.to_string()));
    };
    s("PhysicalConnectionId", &c.id);
    s("AccessPointId", &c.access_point_id);
    s("AccessPointType", "VPC");
    s("Type", "VPC");
    s("ProductType", "PhysicalConnection");
    s("Status", c.status.as_str());
    s("BusinessStatus", c.business_status.as_str());
    s("LoaStatus", c.loa_status.map(|l| l.as_str()).unwrap_or(""));
    s("Name", &c.name);
    s("Description", &c.description);
    s("LineOperator", c.line_operator.as_str());
    s("PortType", c.port_type.as_str());
    s("Spec", c.spec());
    s("PortNumber", &c.port_number);
    s("CircuitCode", &c.circuit_code);
    s("PeerLocation", &c.peer_location);
    s("AdLocation", &c.ad_location);
    s("AdDetailLocation", &c.ad_detail_location);
    s("RedundantPhysicalConnectionId", &c.redundant_id);
    s("CreationTime", &format_timestamp(c.created_at));
    if let Some(t) = c.enabled_at {
        s("EnabledTime", &format_timestamp(t));
    }
    if let Some(t) = c.end_at {
        s("EndTime", &format_timestamp(t));
    }
    if let Some(ct) = c.charge_type {
        s("ChargeType", ct.as_str());
    }
    s("HasReservationData", "false");
    s("ResourceGroupId", &c.resource_group_id);
    m.insert("Bandwidth".into(), json!(c.bandwidth));
    m.insert("VirtualPhysicalConnectionCount".into(), json!(0));
    let tags: Vec<Value> = c
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    m.insert("Tags".into(), json!({ "tags": tags }));
    Value::Object(m)
}
