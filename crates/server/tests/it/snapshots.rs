//! Snapshots of every response body, JSON and XML, with RequestIds, ids and
//! times redacted (their shapes are checked while redacting).

use crate::common;
use common::*;
use insta::{assert_json_snapshot, assert_snapshot, dynamic_redaction};
use physconn_domain::ResponseStyle;
use serde_json::Value;

fn order_id_shape(v: insta::internals::Content, _: insta::internals::ContentPath) -> String {
    let s = v
        .as_str()
        .map(str::to_string)
        .or_else(|| v.as_u64().map(|n| n.to_string()))
        .unwrap_or_default();
    assert!(
        s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()),
        "order id {s:?}"
    );
    "[order-id]".into()
}

fn pc_shape(v: insta::internals::Content, _: insta::internals::ContentPath) -> String {
    let s = v.as_str().unwrap_or_default();
    assert!(s.starts_with("pc-") && s.len() == 24, "circuit id {s:?}");
    "[pc-id]".into()
}

fn port_shape(v: insta::internals::Content, _: insta::internals::ContentPath) -> String {
    let s = v.as_str().unwrap_or_default();
    assert!(
        s.is_empty() || s.split('/').all(|p| p.parse::<u32>().is_ok()),
        "port number {s:?}"
    );
    "[port]".into()
}

fn rg_shape(v: insta::internals::Content, _: insta::internals::ContentPath) -> String {
    let s = v.as_str().unwrap_or_default();
    assert!(
        s.starts_with("rg-acfm") && s.len() == 20,
        "resource group {s:?}"
    );
    "[resource-group]".into()
}

fn time_shape(v: insta::internals::Content, _: insta::internals::ContentPath) -> String {
    let s = v.as_str().unwrap_or_default();
    assert!(
        physconn_wire::parse_timestamp(s).is_ok() && s.ends_with('Z') && s.len() == 20,
        "time {s:?}"
    );
    "[time]".into()
}

macro_rules! snap_json {
    ($name:expr, $value:expr) => {
        assert_json_snapshot!($name, $value, {
            ".RequestId" => "[request-id]",
            ".requestId" => "[request-id]",
            ".Data.OrderId" => dynamic_redaction(order_id_shape),
            ".data.orderId" => dynamic_redaction(order_id_shape),
            ".PhysicalConnectionId" => dynamic_redaction(pc_shape),
            ".PhysicalConnectionSet.PhysicalConnectionType[].PhysicalConnectionId" => dynamic_redaction(pc_shape),
            ".PhysicalConnectionSet.PhysicalConnectionType[].CreationTime" => dynamic_redaction(time_shape),
            ".PhysicalConnectionSet.PhysicalConnectionType[].PortNumber" => dynamic_redaction(port_shape),
            ".PhysicalConnectionSet.PhysicalConnectionType[].ResourceGroupId" => dynamic_redaction(rg_shape),
            ".PhysicalConnectionSet.PhysicalConnectionType[].EnabledTime" => dynamic_redaction(time_shape),
            ".PhysicalConnectionSet.PhysicalConnectionType[].EndTime" => dynamic_redaction(time_shape),
            ".Recommend" => "[recommend]",
        })
    };
}

/// Replaces the values of the given XML elements by a placeholder.
fn redact_xml(xml: &str, elements: &[&str]) -> String {
    let mut out = xml.to_string();
    for el in elements {
        let (open, close) = (format!("<{el}>"), format!("</{el}>"));
        let mut result = String::new();
        let mut rest = out.as_str();
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            let Some(j) = after.find(&close) else { break };
            result.push_str(&rest[..i + open.len()]);
            result.push_str(&format!("[{el}]"));
            rest = &after[j..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

const XML_REDACT: &[&str] = &[
    "RequestId",
    "requestId",
    "OrderId",
    "orderId",
    "PhysicalConnectionId",
    "CreationTime",
    "EnabledTime",
    "EndTime",
    "Recommend",
    "PortNumber",
    "ResourceGroupId",
];

async fn both(s: &TestServer, name: &str, action: &str, params: &[(&str, &str)]) -> Value {
    let r = s.call(action, params).await;
    let v = r.json();
    snap_json!(format!("{name}.json"), v);
    let mut px = params.to_vec();
    px.push(("Format", "XML"));
    let x = s.call(action, &px).await;
    assert_eq!(x.status, r.status, "{}", x.text);
    assert_snapshot!(format!("{name}.xml"), redact_xml(&x.text, XML_REDACT));
    v
}

#[tokio::test]
async fn vpc_responses() {
    let s = TestServer::start().await;
    let created = s
        .call(
            "CreatePhysicalConnection",
            &[
                ("RegionId", "cn-hangzhou"),
                ("AccessPointId", "ap-cn-hangzhou-yh-B"),
                ("LineOperator", "CT"),
                ("PortType", "10GBase-LR"),
                ("bandwidth", "500"),
                ("Name", "snap-circuit"),
                ("Description", "a b*c~d+e/f=g&h 中文"),
                ("PeerLocation", "Hangzhou, Room 1"),
                ("CircuitCode", "longtel001"),
                ("Tag.1.Key", "env"),
                ("Tag.1.Value", "prod"),
                ("Tag.2.Key", "team"),
                ("Tag.2.Value", ""),
            ],
        )
        .await;
    snap_json!("create.json", created.json());
    let id = created.json()["PhysicalConnectionId"]
        .as_str()
        .unwrap()
        .to_string();
    let xml_create = s
        .call(
            "CreatePhysicalConnection",
            &[
                ("RegionId", "cn-hangzhou"),
                ("AccessPointId", "ap-cn-hangzhou-yh-C"),
                ("LineOperator", "CU"),
                ("Format", "XML"),
            ],
        )
        .await;
    assert_snapshot!("create.xml", redact_xml(&xml_create.text, XML_REDACT));
    s.advance(3.0).await;
    both(
        &s,
        "describe",
        "DescribePhysicalConnections",
        &[
            ("RegionId", "cn-hangzhou"),
            ("Tags.1.Key", "env"),
            ("Tags.1.Value", "prod"),
        ],
    )
    .await;
    let confirm = [
        ("RegionId", "cn-hangzhou"),
        ("PhysicalConnectionId", id.as_str()),
    ];
    snap_json!(
        "confirm.json",
        s.call("ConfirmPhysicalConnection", &confirm).await.json()
    );
    both(&s, "confirm-error", "ConfirmPhysicalConnection", &confirm).await;
    let occ = [
        ("RegionId", "cn-hangzhou"),
        ("PhysicalConnectionId", id.as_str()),
        ("InstanceChargeType", "PrePaid"),
        ("Period", "1"),
        ("PricingCycle", "Year"),
        ("ClientToken", "snap-1"),
    ];
    both(
        &s,
        "occupancy-union",
        "CreatePhysicalConnectionOccupancyOrder",
        &occ,
    )
    .await;
    s.advance(1.0).await;
    both(
        &s,
        "describe-enabled",
        "DescribePhysicalConnections",
        &[
            ("RegionId", "cn-hangzhou"),
            ("Filter.1.Key", "Status"),
            ("Filter.1.Value.1", "Enabled"),
        ],
    )
    .await;
    both(
        &s,
        "not-found",
        "CreatePhysicalConnectionOccupancyOrder",
        &[
            ("RegionId", "cn-hangzhou"),
            ("PhysicalConnectionId", "pc-none"),
        ],
    )
    .await;
    both(
        &s,
        "missing-parameter",
        "CreatePhysicalConnectionOccupancyOrder",
        &[("RegionId", "cn-hangzhou")],
    )
    .await;
    both(
        &s,
        "not-allowed",
        "CreatePhysicalConnectionOccupancyOrder",
        &occ[..2],
    )
    .await;
    both(
        &s,
        "regions-en",
        "DescribeRegions",
        &[("AcceptLanguage", "en-US")],
    )
    .await;
    snap_json!(
        "regions-zh.json",
        s.call("DescribeRegions", &[]).await.json()
    );
    both(
        &s,
        "access-points",
        "DescribeAccessPoints",
        &[("RegionId", "cn-beijing"), ("PageSize", "3")],
    )
    .await;
    snap_json!(
        "access-points-zh.json",
        s.call(
            "DescribeAccessPoints",
            &[
                ("RegionId", "cn-beijing"),
                ("AcceptLanguage", "zh-CN"),
                ("PageSize", "2")
            ]
        )
        .await
        .json()
    );
    s.shutdown().await;
}

#[tokio::test]
async fn occupancy_response_styles() {
    for style in [ResponseStyle::Sdk, ResponseStyle::Seed] {
        let s = TestServer::start_with(|c| c.response_style = style).await;
        let id = s.confirmed_circuit().await;
        let occ = [
            ("RegionId", "cn-hangzhou"),
            ("PhysicalConnectionId", id.as_str()),
            ("ClientToken", "t"),
        ];
        both(
            &s,
            &format!("occupancy-{}", style.as_str()),
            "CreatePhysicalConnectionOccupancyOrder",
            &occ,
        )
        .await;
        s.shutdown().await;
    }
}

/// The VBR answers as bytes, JSON and XML: a describe by id (the path the
/// Terraform provider reads), a page of two with tags and a terminated VBR,
/// and the line owner's listing. Ids, times and RequestIds are
/// reproducible here (seeded ids, manual clock), so nothing is redacted and
/// a change of key order, type or escaping shows.
#[tokio::test]
async fn vbr_responses_byte_for_byte() {
    let s = TestServer::start().await;
    let line = s.circuit_in(physconn_domain::Status::Enabled).await;
    let a = s
        .create_vbr(
            &line,
            "7",
            &[
                ("Name", "edge-a"),
                ("Description", "edge-a description"),
                ("Tags.1.Key", "env"),
                ("Tags.1.Value", "pr\"od <&> 中文"),
                ("Tags.2.Key", "team"),
                ("Tags.2.Value", ""),
            ],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = a.json()["VbrId"].as_str().expect("VbrId").to_string();
    let b = s.new_vbr(&line, "8").await;
    let r = s
        .call(
            "TerminateVirtualBorderRouter",
            &[("RegionId", "cn-hangzhou"), ("VbrId", &b)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.advance(5.0).await;
    let region = ("RegionId", "cn-hangzhou");
    for (name, action, params) in [
        (
            "vbr-by-id",
            "DescribeVirtualBorderRouters",
            vec![
                region,
                ("Filter.1.Key", "VbrId"),
                ("Filter.1.Value.1", a.as_str()),
            ],
        ),
        ("vbr-page", "DescribeVirtualBorderRouters", vec![region]),
        (
            "vbr-for-line",
            "DescribeVirtualBorderRoutersForPhysicalConnection",
            vec![region, ("PhysicalConnectionId", line.as_str())],
        ),
    ] {
        for format in ["JSON", "XML"] {
            let mut p = params.clone();
            p.push(("Format", format));
            let r = s.call(action, &p).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_snapshot!(format!("{name}.{}", format.to_lowercase()), r.text);
        }
    }
    s.shutdown().await;
}
