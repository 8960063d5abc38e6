//! Moving a deployment between stores with the binary: state made through
//! the API on the embedded SQLite store is exported, imported into
//! PostgreSQL, exported again (byte-equal), imported into a fresh SQLite
//! store and exported once more (byte-equal). A server on PostgreSQL then
//! serves the moved state (RAM users, their keys and policies, and the
//! audit log included), and an import into a store that holds anything is
//! refused.

use crate::support;
use serde_json::json;
use std::path::Path;
use std::process::Command;
use support::*;

fn physconn(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("PHYSCONN_LOG", "error")
        .output()
        .expect("run physconn");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs `physconn serve` on `url` without a master key: whether it was
/// still running after 20 s (then killed), and what it printed.
fn serve_briefly(url: &str) -> (bool, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--database-url", url])
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .env("PHYSCONN_LOG", "error")
        .env_remove("PHYSCONN_MASTER_KEY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn physconn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let running = loop {
        if child.try_wait().expect("wait").is_some() {
            break false;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (running, text)
}

fn ok(args: &[&str]) -> String {
    let (success, text) = physconn(args);
    assert!(success, "physconn {args:?}: {text}");
    text
}

fn stop(mut p: Proc) {
    let pid = p.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert!(p.child.wait().unwrap().success(), "graceful stop");
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_and_back_through_files() {
    let Some(mut db) = pg_admin().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (data1, data2) = (dir.path().join("one"), dir.path().join("two"));
    let (f1, f2, f3) = (
        dir.path().join("1.jsonl"),
        dir.path().join("2.jsonl"),
        dir.path().join("3.jsonl"),
    );
    let d1 = data1.to_str().unwrap();

    // State made through the API on SQLite.
    let mut servers = start_servers_with(1, &["--data-dir", d1]);
    let s = servers.remove(0);
    let c = Client::new();
    let me = Creds::default_key();
    let r = c
        .call(
            &s.api,
            &me,
            "CreatePhysicalConnection",
            &[
                ("RegionId", "cn-hangzhou"),
                ("AccessPointId", "ap-cn-hangzhou-yh-B"),
                ("LineOperator", "CT"),
                ("PortType", "10GBase-LR"),
                ("Tag.1.Key", "env"),
                ("Tag.1.Value", "prod"),
                ("ClientToken", "moved-1"),
            ],
            &now(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.body["PhysicalConnectionId"].as_str().unwrap().to_string();
    let (st, _) = c
        .admin(
            &s.admin,
            "POST",
            "/admin/accounts",
            Some(json!({"name": "second", "balance": "12.34"})),
        )
        .await;
    assert_eq!(st, 201);
    // A RAM user: its policy, its key (bound to it) and the audit log move.
    let policy = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "vpc:Describe*", "Resource": "*"}
    ]});
    let (st, u) = c
        .admin(
            &s.admin,
            "POST",
            "/admin/accounts/default/users",
            Some(json!({"name": "ci-bot", "policy": policy})),
        )
        .await;
    assert_eq!(st, 201, "{u}");
    let bot = Creds {
        id: u["AccessKeyId"].as_str().unwrap().into(),
        secret: u["AccessKeySecret"].as_str().unwrap().into(),
    };
    stop(s);

    let out = ok(&["export", "--data-dir", d1, "--output", f1.to_str().unwrap()]);
    assert!(out.contains("exported"), "{out}");
    let schema = fresh_schema("moved");
    let url = schema_url(&schema, "physconn-export-test");
    let out = ok(&[
        "import",
        "--database-url",
        &url,
        "--input",
        f1.to_str().unwrap(),
    ]);
    assert!(out.contains("verified"), "{out}");
    ok(&["export", "--database-url", &url, "-o", f2.to_str().unwrap()]);
    assert_eq!(read(&f1), read(&f2), "PostgreSQL holds what SQLite held");
    let d2 = data2.to_str().unwrap();
    ok(&["import", "--data-dir", d2, "-i", f2.to_str().unwrap()]);
    ok(&["export", "--data-dir", d2, "-o", f3.to_str().unwrap()]);
    assert_eq!(read(&f1), read(&f3), "and back");

    // A second import is refused: the store is not empty.
    let (success, text) = physconn(&["import", "--database-url", &url, "-i", f1.to_str().unwrap()]);
    assert!(!success && text.contains("not empty"), "{text}");

    // A server on PostgreSQL serves the moved state, with the master key
    // the secrets were sealed with (without it, it refuses to start).
    let key = read(&data1.join("master.key"));
    let (started, text) = serve_briefly(&url);
    assert!(!started && text.contains("cannot be decrypted"), "{text}");
    let s = start_servers_env(
        1,
        &["--database-url", &url],
        &[("PHYSCONN_MASTER_KEY", key.trim())],
    )
    .remove(0);
    let listed = c
        .call(
            &s.api,
            &me,
            "DescribePhysicalConnections",
            &[("RegionId", "cn-hangzhou")],
            &now(),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let set = &listed.body["PhysicalConnectionSet"]["PhysicalConnectionType"];
    assert_eq!(set[0]["PhysicalConnectionId"], id.as_str());
    assert_eq!(set[0]["Status"], "Allocated");
    let (_, accounts) = c.admin(&s.admin, "GET", "/admin/accounts", None).await;
    let names: Vec<&str> = accounts["Accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["Name"].as_str())
        .collect();
    assert!(names.contains(&"second"), "{accounts}");
    let describe = [("RegionId", "cn-hangzhou")];
    let r = c
        .call(
            &s.api,
            &bot,
            "DescribePhysicalConnections",
            &describe,
            &now(),
        )
        .await;
    assert_eq!(r.status, 200, "the RAM user's key works: {}", r.body);
    let cancel = [("RegionId", "cn-hangzhou"), ("PhysicalConnectionId", &id)];
    let r = c
        .call(&s.api, &bot, "CancelPhysicalConnection", &cancel, &now())
        .await;
    assert_eq!(r.code(), "Forbidden.RAM", "and its policy still binds it");
    let (_, log) = c
        .admin(&s.admin, "GET", "/admin/audit?limit=100", None)
        .await;
    assert!(
        log.to_string()
            .contains("POST /admin/accounts/default/users"),
        "the audit log of the SQLite store moved: {log}"
    );
    drop(s);
    drop_schema(&mut db, &schema).await;
}
