//! The binary as a user runs it: `serve` on port 0 prints its `listening:`
//! line, generated credentials are printed once, SIGTERM shuts it down
//! gracefully, state survives a restart, and the admin subcommands drive a
//! scenario from the shell.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_physconn");

struct Server {
    child: Child,
    lines: Vec<String>,
    admin: String,
}

fn start(dir: &Path, env: &[(&str, &str)], extra: &[&str]) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
        "--clock",
        "manual",
    ])
    .arg("--data-dir")
    .arg(dir)
    .args(extra)
    .env_remove("PHYSCONN_ACCESS_KEY_ID")
    .env_remove("PHYSCONN_ACCESS_KEY_SECRET")
    .env_remove("PHYSCONN_ADMIN_TOKEN")
    .envs(env.iter().copied())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
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
    let mut lines = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("a listening line within 20 s");
        let done = line.starts_with("listening: ");
        lines.push(line);
        if done {
            break;
        }
    }
    let last = lines.last().cloned().unwrap_or_default();
    let admin = last
        .split("admin=")
        .nth(1)
        .expect("admin url")
        .trim()
        .to_string();
    assert!(
        last.starts_with("listening: api=http://127.0.0.1:"),
        "{last}"
    );
    Server {
        child,
        lines,
        admin,
    }
}

fn stop(mut s: Server) {
    let status = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = s.child.wait().expect("wait");
    assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
}

fn cli(s: &Server, token: &str, args: &[&str]) -> Value {
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
    stop(first);

    let second = start(dir.path(), &[], &[]);
    assert_eq!(
        second.lines.len(),
        1,
        "nothing is printed twice: {:?}",
        second.lines
    );
    let shown = cli(&second, &token, &["account", "show", &account]);
    assert_eq!(shown["Balance"], "12.50");
    stop(second);
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
    stop(s);
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
