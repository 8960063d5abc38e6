//! Fixtures (docs/fixtures.md, docs/design/decisions.md#fixtures): applied
//! on a new store, again after every reset, not again on a restart; a file
//! or entry that cannot be applied stops the start naming it, with nothing
//! of it left behind.

use crate::common;
use common::*;
use physconn_server::{Running, StartOptions};
use physconn_wire::ClientCredentials;
use serde_json::Value;

const CI_KEY: &str = "LTAI5tFixtureCiKey000001";
const CI_SECRET: &str = "FixtureCiSecret000000000000000";

const GOOD: &str = r#"
[[accounts]]
name = "acc-ci"
balance = "50000.00"
access_key_id = "LTAI5tFixtureCiKey000001"
access_key_secret = "FixtureCiSecret000000000000000"

[[accounts]]
name = "acc-gen"

[[physical_connections]]
account = "acc-ci"
name = "preserved-NODELETING-1"
access_point_id = "ap-cn-hangzhou-yh-B"
line_operator = "CT"
port_type = "1000Base-LX"
status = "Enabled"

[[physical_connections]]
name = "spare"
access_point_id = "ap-cn-beijing-ft-A"
line_operator = "CU"
status = "Allocated"
"#;

fn write_file(s: &TestServer, name: &str, text: &str) -> std::path::PathBuf {
    let p = s.dir.path().join(name);
    std::fs::write(&p, text).expect("write fixtures");
    p
}

async fn lines_as(s: &TestServer, creds: &ClientCredentials<'_>, region: &str) -> Vec<Value> {
    let r = s
        .call_as(
            creds,
            "DescribePhysicalConnections",
            &[("RegionId", region), ("PageSize", "50")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["PhysicalConnectionSet"]["PhysicalConnectionType"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn ci() -> ClientCredentials<'static> {
    ClientCredentials {
        access_key_id: CI_KEY,
        access_key_secret: CI_SECRET,
        security_token: None,
    }
}

/// An account by name, from the admin list (`None` when there is none).
async fn account_named(s: &TestServer, name: &str) -> Option<Value> {
    let (st, all) = s.admin("GET", "/admin/accounts", None).await;
    assert_eq!(st, 200, "{all}");
    all["Accounts"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["Name"] == name).cloned())
}

/// The state the file describes, exactly once.
async fn assert_fixture_state(s: &TestServer) {
    let ci_lines = lines_as(s, &ci(), "cn-hangzhou").await;
    assert_eq!(ci_lines.len(), 1, "{ci_lines:?}");
    let l = &ci_lines[0];
    assert_eq!(
        (
            l["Name"].as_str(),
            l["Status"].as_str(),
            l["PortType"].as_str()
        ),
        (
            Some("preserved-NODELETING-1"),
            Some("Enabled"),
            Some("1000Base-LX")
        )
    );
    assert!(l["EndTime"].is_string(), "a paid subscription: {l}");
    let acct = account_named(s, "acc-ci").await.expect("acc-ci");
    let balance: f64 = acct["Balance"]
        .as_str()
        .unwrap_or("")
        .parse()
        .expect("Balance");
    assert!(
        balance < 50000.0 && balance > 0.0,
        "the occupancy order was paid: {acct}"
    );
    let spare = lines_as(s, &s.creds(), "cn-beijing").await;
    assert_eq!(spare.len(), 1, "{spare:?}");
    assert_eq!(spare[0]["Status"], "Allocated");
    assert!(!spare[0]["PortNumber"].as_str().unwrap_or("").is_empty());
    assert!(account_named(s, "acc-gen").await.is_some());
}

#[tokio::test]
async fn applied_at_start_after_reset_and_not_again_on_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fixtures.toml");
    std::fs::write(&path, GOOD).expect("write");
    let p = path.clone();
    let mut s = TestServer::start_with(move |c| c.fixtures = Some(p)).await;
    assert!(
        s.r()
            .notices
            .iter()
            .any(|n| n.contains("acc-gen") && n.contains("AccessKeySecret=")),
        "a generated key is printed: {:?}",
        s.r().notices
    );
    assert_fixture_state(&s).await;

    // The user deletes the spare line; a restart does not bring it back.
    let spare = lines_as(&s, &s.creds(), "cn-beijing").await[0]["PhysicalConnectionId"]
        .as_str()
        .unwrap()
        .to_string();
    let del = s
        .call(
            "DeletePhysicalConnection",
            &[("RegionId", "cn-beijing"), ("PhysicalConnectionId", &spare)],
        )
        .await;
    assert_eq!(del.status, 200, "{}", del.text);
    s.restart().await;
    assert!(lines_as(&s, &s.creds(), "cn-beijing").await.is_empty());
    assert_eq!(lines_as(&s, &ci(), "cn-hangzhou").await.len(), 1);

    // A reset starts over from the file.
    let (st, body) = s.admin("POST", "/admin/reset", None).await;
    assert_eq!(st, 200, "{body}");
    assert_fixture_state(&s).await;
    // Twice is the same as once.
    let (st, _) = s.admin("POST", "/admin/reset", None).await;
    assert_eq!(st, 200);
    assert_fixture_state(&s).await;

    // An edited file that no longer applies refuses the reset and keeps the state.
    std::fs::write(&path, "[[accounts]]\nname = 1\n").expect("write");
    let (st, body) = s.admin("POST", "/admin/reset", None).await;
    assert_eq!(st, 409, "{body}");
    assert_fixture_state(&s).await;
    s.shutdown().await;
}

async fn start_err(s: &TestServer, fixtures: std::path::PathBuf) -> String {
    let mut config = s.config.clone();
    config.fixtures = Some(fixtures);
    let mut opts = StartOptions::new(config);
    opts.admin_token = Some(ADMIN_TOKEN.into());
    opts.access_key = Some((KEY_ID.into(), KEY_SECRET.into()));
    match physconn_server::start(opts).await {
        Ok(r) => {
            stop(r).await;
            panic!("started with a bad fixtures file");
        }
        Err(e) => e.to_string(),
    }
}

async fn stop(r: Running) {
    r.shutdown().await;
}

#[tokio::test]
async fn bad_files_stop_the_start_naming_the_entry() {
    let mut s = TestServer::start().await;
    if let Some(r) = s.running.take() {
        r.shutdown().await;
    }
    let missing = s.dir.path().join("nope.toml");
    let err = start_err(&s, missing).await;
    assert!(
        err.contains("cannot read fixtures file") && err.contains("nope.toml"),
        "{err}"
    );

    let cases: &[(&str, &str, &str)] = &[
        ("syntax.toml", "[[accounts]\nname=", "invalid fixtures file"),
        ("field.toml", "[[accounts]]\nname = \"a\"\ncolour = \"red\"\n", "colour"),
        (
            "ap.toml",
            "[[physical_connections]]\nname = \"x\"\naccess_point_id = \"ap-nowhere\"\nline_operator = \"CT\"\nstatus = \"Allocated\"\n",
            "physical_connections[0] (name \"x\"): unknown access point \"ap-nowhere\"",
        ),
        (
            "account.toml",
            "[[physical_connections]]\naccount = \"ghost\"\nname = \"x\"\naccess_point_id = \"ap-cn-hangzhou-yh-B\"\nline_operator = \"CT\"\nstatus = \"Allocated\"\n",
            "unknown account \"ghost\"",
        ),
        (
            "state.toml",
            "[[physical_connections]]\nname = \"x\"\naccess_point_id = \"ap-cn-hangzhou-yh-B\"\nline_operator = \"CT\"\nstatus = \"Terminated\"\n",
            "status \"Terminated\" cannot be set",
        ),
    ];
    for (name, text, expect) in cases {
        let err = start_err(&s, write_file(&s, name, text)).await;
        assert!(err.contains(expect), "{name}: {err}");
    }

    // Valid text, but the second line cannot be paid: nothing of the file
    // is left, not even the account the first entries created.
    let poor = r#"
[[accounts]]
name = "acc-poor"
balance = "0.01"

[[physical_connections]]
account = "acc-poor"
name = "fine"
access_point_id = "ap-cn-hangzhou-yh-B"
line_operator = "CT"
status = "Allocated"

[[physical_connections]]
account = "acc-poor"
name = "unpaid"
access_point_id = "ap-cn-hangzhou-yh-B"
line_operator = "CT"
status = "Enabled"
"#;
    let err = start_err(&s, write_file(&s, "poor.toml", poor)).await;
    assert!(
        err.contains("physical_connections[1] (name \"unpaid\")") && err.contains("cannot pay"),
        "{err}"
    );
    s.restart().await;
    assert!(
        account_named(&s, "acc-poor").await.is_none(),
        "no partial state"
    );
    s.shutdown().await;
}
