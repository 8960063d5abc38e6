//! JSON shapes of the API's objects, with exactly the SDK models' types
//! (docs/design/protocol.md#json-types): strings where the models say string,
//! `Bandwidth` a number.

use physconn_domain::Circuit;
use physconn_wire::timefmt::format_timestamp;
use serde_json::{json, Map, Value};

/// One field of an object as answered.
pub(crate) enum Field<'a> {
    Str(std::borrow::Cow<'a, str>),
    Int(i64),
    Bool(bool),
    /// `{"<wrapper>": [{"Key", "Value"}, …]}`: the line's wrapper is `tags`,
    /// the VBR's `Tags`.
    Tags(&'static str, &'a [(String, String)]),
    /// `{"<wrapper>": []}`: a list physconn always answers empty.
    Empty(&'static str),
}

/// Where an object's fields go, in answer order.
pub(crate) type Sink<'s, 'a> = &'s mut dyn FnMut(&'static str, Field<'a>);

/// The `Value` of an object whose fields `fields` gives (XML and other
/// callers); [`object_json`] writes the same bytes `render_json` makes of it.
pub(crate) fn object_value<'a>(capacity: usize, fields: impl FnOnce(Sink<'_, 'a>)) -> Value {
    let mut m = Map::with_capacity(capacity);
    fields(&mut |k, v| {
        let v = match v {
            Field::Str(s) => Value::String(s.into_owned()),
            Field::Int(n) => json!(n),
            Field::Bool(b) => Value::Bool(b),
            Field::Tags(wrapper, tags) => {
                let tags: Vec<Value> = tags
                    .iter()
                    .map(|(k, v)| json!({"Key": k, "Value": v}))
                    .collect();
                json!({ wrapper: tags })
            }
            Field::Empty(wrapper) => json!({ wrapper: [] }),
        };
        m.insert(k.to_string(), v);
    });
    Value::Object(m)
}

/// Appends an object as compact JSON, the bytes `render_json` makes of
/// [`object_value`], without building it: the `Value` tree (a map, two
/// `String`s and a hash per field) was most of the cost of each row of a
/// page.
pub(crate) fn object_json<'a>(out: &mut Vec<u8>, fields: impl FnOnce(Sink<'_, 'a>)) {
    out.push(b'{');
    let mut first = true;
    fields(&mut |k, v| {
        if !first {
            out.push(b',');
        }
        first = false;
        json_key(out, k);
        match v {
            Field::Str(s) => json_str(out, &s),
            // Writing to a Vec cannot fail.
            Field::Int(n) => drop(serde_json::to_writer(&mut *out, &n)),
            Field::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            Field::Tags(wrapper, tags) => {
                out.push(b'{');
                json_str(out, wrapper);
                out.extend_from_slice(b":[");
                for (i, (k, v)) in tags.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"{\"Key\":");
                    json_str(out, k);
                    out.extend_from_slice(b",\"Value\":");
                    json_str(out, v);
                    out.push(b'}');
                }
                out.extend_from_slice(b"]}");
            }
            Field::Empty(wrapper) => {
                out.push(b'{');
                json_str(out, wrapper);
                out.extend_from_slice(b":[]}");
            }
        }
    });
    out.push(b'}');
}

/// The fields of one `PhysicalConnectionType` entry, in answer order.
/// Fields that Terraform type-asserts are always present (empty when
/// unset); billing times only once set.
fn circuit_fields<'a>(c: &'a Circuit, out: Sink<'_, 'a>) {
    let mut s = |k: &'static str, v: &'a str| out(k, Field::Str(v.into()));
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
    let time = |t| Field::Str(format_timestamp(t).into());
    out("CreationTime", time(c.created_at));
    if let Some(t) = c.enabled_at {
        out("EnabledTime", time(t));
    }
    if let Some(t) = c.end_at {
        out("EndTime", time(t));
    }
    if let Some(ct) = c.charge_type {
        out("ChargeType", Field::Str(ct.as_str().into()));
    }
    out("HasReservationData", Field::Str("false".into()));
    out(
        "ResourceGroupId",
        Field::Str(c.resource_group_id.as_str().into()),
    );
    out("Bandwidth", Field::Int(c.bandwidth));
    out("VirtualPhysicalConnectionCount", Field::Int(0));
    out("Tags", Field::Tags("tags", &c.tags));
}

/// One `PhysicalConnectionType` entry.
pub fn circuit(c: &Circuit) -> Value {
    // Sized for every field at once: growing the map rehashed it three times.
    object_value(32, |out| circuit_fields(c, out))
}

/// Appends one `PhysicalConnectionType` entry as compact JSON (see
/// [`object_json`]).
pub fn circuit_json(c: &Circuit, out: &mut Vec<u8>) {
    object_json(out, |sink| circuit_fields(c, sink));
}

/// A JSON string, escaped exactly as serde_json escapes it.
/// Appends `"key":` for a field name of the answer: ASCII letters and
/// digits only, so nothing to escape.
fn json_key(out: &mut Vec<u8>, key: &'static str) {
    debug_assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

pub fn json_str(out: &mut Vec<u8>, s: &str) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use physconn_domain::{BusinessStatus, ChargeType, LineOperator, LoaStatus, PortType, Status};

    fn sample(full: bool) -> Circuit {
        let t = time::macros::datetime!(2026-11-29 10:00:00.123456 UTC);
        Circuit {
            id: "pc-bp1\"x\\y".into(),
            account_id: "a".into(),
            region_id: "cn-hangzhou".into(),
            access_point_id: "ap-cn-hangzhou-yh-B".into(),
            status: Status::Enabled,
            business_status: BusinessStatus::Normal,
            loa_status: full.then_some(LoaStatus::Applying),
            name: "n </x> & 中文 \u{1}".into(),
            description: "a b*c~d+e/f=g&h\n\t".into(),
            line_operator: LineOperator::parse("CT").unwrap(),
            port_type: PortType::parse("10GBase-LR").unwrap(),
            bandwidth: 500,
            port_number: "".into(),
            circuit_code: "c".into(),
            peer_location: "p".into(),
            ad_location: "".into(),
            ad_detail_location: "".into(),
            redundant_id: "".into(),
            resource_group_id: "rg".into(),
            created_at: t,
            enabled_at: full.then_some(t),
            end_at: full.then_some(t),
            charge_type: full.then(|| {
                ChargeType::parse("PrePaid")
                    .or(ChargeType::parse("Prepaid"))
                    .unwrap()
            }),
            pending_order_id: None,
            auto_renew: false,
            auto_renew_duration: 0,
            deleted_at: None,
            tags: if full {
                vec![("env".into(), "prod\"".into()), ("team".into(), "".into())]
            } else {
                vec![]
            },
            loa: None,
            provisioning_mode: None,
            metered_until: None,
        }
    }

    #[test]
    fn direct_json_is_the_values_json() {
        for full in [true, false] {
            let c = sample(full);
            let mut direct = Vec::new();
            circuit_json(&c, &mut direct);
            assert_eq!(
                String::from_utf8(direct).unwrap(),
                String::from_utf8(physconn_wire::render_json(&circuit(&c))).unwrap()
            );
        }
    }
}
