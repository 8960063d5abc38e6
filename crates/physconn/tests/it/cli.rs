//! The binary as a user runs it: `serve` on port 0 prints its `listening:`
//! line, generated credentials are printed once, SIGTERM shuts it down
//! gracefully, state survives a restart, and the admin subcommands drive a
//! scenario from the shell.

use crate::support;

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use support::{spawn, Proc, BIN};

/// `physconn serve` on `dir` with a manual clock; no credentials from this
/// process's environment, only `env`.
fn start(dir: &Path, env: &[(&str, &str)], extra: &[&str]) -> Proc {
    let dir = dir.to_str().expect("utf-8 path");
    let mut flags = vec!["--clock", "manual", "--data-dir", dir];
    flags.extend_from_slice(extra);
    let mut vars = vec![
        ("PHYSCONN_ACCESS_KEY_ID", None),
        ("PHYSCONN_ACCESS_KEY_SECRET", None),
        ("PHYSCONN_ADMIN_TOKEN", None),
    ];
    vars.extend(env.iter().map(|(k, v)| (*k, Some(*v))));
    let s = spawn(&flags, &vars).listening();
    let last = s.lines.last().cloned().unwrap_or_default();
    assert!(
        last.starts_with("listening: api=http://127.0.0.1:"),
        "{last}"
    );
    s
}

fn cli(s: &Proc, token: &str, args: &[&str]) -> Value {
    let out = Command::new(BIN)
        .args(args)
        .env("PHYSCONN_ADMIN_URL", &s.admin)
        .env("PHYSCONN_ADMIN_TOKEN", token)
        .output()
        .expect("run cli");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }
}

#[test]
fn generated_credentials_are_printed_once_and_state_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), &[], &[]);
    let joined = first.lines.join("\n");
    assert!(joined.contains("AccessKeyId=LTAI"), "{joined}");
    let token = joined
        .lines()
        .find_map(|l| l.strip_prefix("admin token: "))
        .and_then(|l| l.split_whitespace().next())
        .expect("admin token printed")
        .to_string();
    let created = cli(
        &first,
        &token,
        &["account", "create", "--name", "ci", "--balance", "12.50"],
    );
    let account = created["AccountId"].as_str().unwrap().to_string();
    first.stop();

    let second = start(dir.path(), &[], &[]);
    assert_eq!(
        second.lines.len(),
        1,
        "nothing is printed twice: {:?}",
        second.lines
    );
    let shown = cli(&second, &token, &["account", "show", &account]);
    assert_eq!(shown["Balance"], "12.50");
    second.stop();
}

#[test]
fn a_scenario_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("PHYSCONN_ACCESS_KEY_ID", "LTAIcliTest0000000000000"),
        (
            "PHYSCONN_ACCESS_KEY_SECRET",
            "cliSecret000000000000000000000",
        ),
        ("PHYSCONN_ADMIN_TOKEN", "cli-token"),
    ];
    let s = start(dir.path(), &env, &["--provisioning-delay", "2"]);
    assert_eq!(
        s.lines.len(),
        1,
        "configured credentials are not printed: {:?}",
        s.lines
    );
    let t = "cli-token";
    assert_eq!(cli(&s, t, &["clock", "show"])["mode"], "manual");
    assert_eq!(
        cli(&s, t, &["provisioning", "set", "--mode", "manual"])["mode"],
        "manual"
    );
    let faults = cli(
        &s,
        t,
        &[
            "fault",
            "add",
            "--scope",
            "global",
            "--outcome",
            "Rejected",
            "--share",
            "0",
        ],
    );
    let fid = faults["FaultId"].as_str().unwrap().to_string();
    assert_eq!(
        cli(&s, t, &["fault", "list"])["Faults"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    cli(&s, t, &["fault", "rm", &fid]);
    // A conflict for VBR creates, counted in calls.
    let conflict = cli(
        &s,
        t,
        &[
            "fault",
            "add",
            "--scope",
            "account",
            "--target",
            "default",
            "--outcome",
            "TaskConflict",
            "--count",
            "2",
        ],
    );
    assert_eq!(
        (
            &conflict["Scope"],
            &conflict["Outcome"],
            &conflict["Remaining"]
        ),
        (&json!("account"), &json!("TaskConflict"), &json!(2)),
        "{conflict}"
    );
    let cid = conflict["FaultId"].as_str().unwrap().to_string();
    cli(&s, t, &["fault", "rm", &cid]);
    assert_eq!(cli(&s, t, &["fault", "list"])["Faults"], json!([]));
    let acct = cli(
        &s,
        t,
        &["account", "create", "--name", "shell", "--balance", "5000"],
    );
    let id = acct["AccountId"].as_str().unwrap().to_string();
    cli(
        &s,
        t,
        &[
            "account",
            "set",
            &id,
            "--credit-limit",
            "100.00",
            "--bypass-sp",
            "true",
        ],
    );
    let shown = cli(&s, t, &["account", "show", &id]);
    assert_eq!(
        (shown["CreditLimit"].as_str(), shown["BypassSp"].as_bool()),
        (Some("100.00"), Some(true))
    );
    let key = cli(&s, t, &["key", "create", &id]);
    cli(
        &s,
        t,
        &["key", "disable", key["AccessKeyId"].as_str().unwrap()],
    );
    let keys = cli(&s, t, &["key", "list", &id]);
    assert_eq!(keys["AccessKeys"].as_array().unwrap().len(), 2);
    cli(&s, t, &["account", "balance", &id, "4000"]);
    assert_eq!(
        cli(&s, t, &["account", "ledger", &id])["Entries"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        cli(&s, t, &["order", "list", "--account", &id])["Orders"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // VBRs and BGP: the listings answer, a move of an unknown VBR fails
    // with the admin API's 404.
    assert_eq!(
        cli(&s, t, &["vbr", "list", "--account", &id])["Vbrs"],
        serde_json::json!([])
    );
    assert_eq!(
        cli(&s, t, &["bgp", "list", "--vbr", "vbr-nothere"])["Peers"],
        serde_json::json!([])
    );
    let out = Command::new(BIN)
        .args(["vbr", "advance", "vbr-nothere"])
        .env("PHYSCONN_ADMIN_URL", &s.admin)
        .env("PHYSCONN_ADMIN_TOKEN", t)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("404"),
        "{out:?}"
    );
    let advanced = cli(&s, t, &["clock", "advance", "90"]);
    assert!(advanced["now"].is_string());
    cli(&s, t, &["reset"]);
    let out = Command::new(BIN)
        .args(["account", "show", &id])
        .env("PHYSCONN_ADMIN_URL", &s.admin)
        .env("PHYSCONN_ADMIN_TOKEN", t)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the account is gone after reset");
    s.stop();
}

/// Packaging installs `physconn completions <shell>` output; it must offer
/// every subcommand, including the admin ones and its own.
#[test]
fn completions_cover_the_subcommands() {
    let out = Command::new(BIN)
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(script.contains("_physconn()"), "a bash completion function");
    for sub in [
        "serve",
        "migrate",
        "export",
        "import",
        "account",
        "circuit",
        "vbr",
        "bgp",
        "fault",
        "clock",
        "reset",
        "completions",
        "config-reference",
    ] {
        assert!(
            script.contains(sub),
            "{sub} missing from the bash completions"
        );
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = Command::new(BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success() && !out.stdout.is_empty(), "{shell}");
    }
    let bad = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}
