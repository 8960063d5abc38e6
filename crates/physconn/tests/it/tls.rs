//! `physconn serve --tls` as a user runs it (docs/tls.md): both listeners on
//! HTTPS, a local CA made once and kept, `--tls-san`, the operator's own
//! certificate, the edge's limits over TLS, and bad input that stops the
//! start before anything is written.

use crate::support;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use support::{spawn, Client, Creds, Proc, BIN, KEY_ID, KEY_SECRET};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "tls-test-admin-token";

fn env() -> Vec<(&'static str, Option<&'static str>)> {
    vec![
        ("PHYSCONN_ACCESS_KEY_ID", Some(KEY_ID)),
        ("PHYSCONN_ACCESS_KEY_SECRET", Some(KEY_SECRET)),
        ("PHYSCONN_ADMIN_TOKEN", Some(TOKEN)),
        ("PHYSCONN_TLS", None),
        ("PHYSCONN_TLS_SAN", None),
        ("PHYSCONN_TLS_CERT", None),
        ("PHYSCONN_TLS_KEY", None),
    ]
}

/// `serve` on `dir` with `flags`, on port 0.
fn start(dir: &Path, flags: &[&str]) -> Proc {
    let mut all = vec!["--data-dir", dir.to_str().expect("utf-8 path")];
    all.extend_from_slice(flags);
    spawn(&all, &env()).listening()
}

/// What `serve` prints and how it exits when it refuses to start.
fn refused(dir: &Path, flags: &[&str]) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
    ])
    .arg("--data-dir")
    .arg(dir)
    .args(flags);
    for (k, v) in env() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().expect("run physconn");
    assert!(!out.status.success(), "{flags:?} started");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening:"),
        "{flags:?}"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn roots(ca: &Path) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).expect("read CA") {
        roots.add(c.expect("a CA certificate")).expect("add CA");
    }
    roots
}

/// One request over a new TLS connection to `addr`, checking the server's
/// certificate for `name` against `roots`; `Err` with why when the
/// handshake fails.
async fn https(
    addr: &str,
    name: &str,
    roots: rustls::RootCertStore,
    req: hyper::Request<Full<Bytes>>,
) -> Result<(u16, serde_json::Value), String> {
    let config =
        rustls::ClientConfig::builder_with_provider(physconn_server::tls::crypto_provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let server_name = ServerName::try_from(name.to_string()).map_err(|e| e.to_string())?;
    let tls = connector
        .connect(server_name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, serde_json::from_slice(&bytes).unwrap_or_default()))
}

/// A signed `DescribeRegions` (V3, the machine's time) for `https`.
fn signed_call() -> hyper::Request<Full<Bytes>> {
    let c = Client::new();
    let req = c.sign(
        &Creds::default_key(),
        "DescribeRegions",
        &[],
        &support::now(),
    );
    let uri = if req.query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.query)
    };
    let mut b = hyper::Request::builder()
        .method(req.method.as_str())
        .uri(uri);
    for (k, v) in &req.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(Full::new(Bytes::from(req.body.clone())))
        .expect("request")
}

fn admin_get(path: &str) -> hyper::Request<Full<Bytes>> {
    hyper::Request::builder()
        .uri(path)
        .header("host", "localhost")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Full::new(Bytes::new()))
        .expect("request")
}

fn admin_addr(p: &Proc) -> String {
    p.admin
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("admin over https: {}", p.admin))
        .to_string()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_both_listeners_with_a_local_ca_kept_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let tls_dir = dir.path().join("tls");
    let first = start(dir.path(), &["--tls"]);
    let line = first.lines.last().unwrap();
    assert!(
        line.starts_with("listening: api=https://127.0.0.1:")
            && line.contains(" admin=https://127.0.0.1:"),
        "{line}"
    );
    let printed = first.lines.join("\n");
    assert!(
        printed.contains(&format!("{}", tls_dir.join("ca.pem").display())),
        "{printed}"
    );
    for f in ["ca.pem", "ca-key.pem", "server.pem", "server-key.pem"] {
        assert!(tls_dir.join(f).is_file(), "{f}");
    }
    #[cfg(unix)]
    {
        assert_eq!(mode(&tls_dir.join("ca-key.pem")), 0o600);
        assert_eq!(mode(&tls_dir.join("server-key.pem")), 0o600);
    }
    let ca = tls_dir.join("ca.pem");
    // A signed call over HTTPS, trusting only ca.pem, for each default name.
    for name in ["localhost", "127.0.0.1"] {
        let (status, body) = https(&first.api, name, roots(&ca), signed_call())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(status, 200, "{body}");
        assert!(
            body["Regions"]["Region"]
                .as_array()
                .is_some_and(|r| !r.is_empty()),
            "{body}"
        );
    }
    let (status, body) = https(
        &admin_addr(&first),
        "localhost",
        roots(&ca),
        admin_get("/admin/clock"),
    )
    .await
    .expect("admin over https");
    assert_eq!(status, 200, "{body}");
    // The admin subcommands, given the CA.
    let cli = |ca: Option<&Path>| {
        let mut cmd = Command::new(BIN);
        cmd.args(["clock", "show"])
            .env("PHYSCONN_ADMIN_URL", &first.admin)
            .env("PHYSCONN_ADMIN_TOKEN", TOKEN)
            .env_remove("PHYSCONN_ADMIN_CA");
        if let Some(ca) = ca {
            cmd.arg("--admin-ca").arg(ca);
        }
        cmd.output().expect("run the admin CLI")
    };
    let out = cli(Some(&ca));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"now\""));
    let out = cli(None);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs --admin-ca"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Names the certificate is not for, and clients that trust another CA,
    // are refused at the handshake.
    let err = https(&first.api, "vpc.physconn.test", roots(&ca), signed_call())
        .await
        .expect_err("not a name of the certificate");
    assert!(err.contains("certificate"), "{err}");
    let stranger = own_ca(dir.path(), "stranger");
    assert!(
        https(&first.api, "localhost", roots(&stranger.ca), signed_call())
            .await
            .is_err()
    );
    // Plain HTTP to the TLS port gets no HTTP answer.
    let mut plain = TcpStream::connect(&first.api).await.unwrap();
    plain
        .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), plain.read_to_end(&mut buf)).await;
    assert!(
        !buf.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&buf)
    );
    first.stop();

    let (ca_pem, ca_key, server_pem) = (
        read(&ca),
        read(&tls_dir.join("ca-key.pem")),
        read(&tls_dir.join("server.pem")),
    );
    // The same names again: everything is reused, nothing printed.
    let second = start(dir.path(), &["--tls"]);
    assert_eq!(second.lines.len(), 1, "{:?}", second.lines);
    assert_eq!(read(&ca), ca_pem);
    assert_eq!(read(&tls_dir.join("server.pem")), server_pem);
    let (status, _) = https(&second.api, "localhost", roots(&ca), signed_call())
        .await
        .expect("a client of the first run still trusts the second");
    assert_eq!(status, 200);
    second.stop();

    // Another name: a new server certificate from the same CA.
    let third = start(
        dir.path(),
        &[
            "--tls",
            "--tls-san",
            "vpc.physconn.test",
            "--tls-san",
            "10.11.12.13",
        ],
    );
    assert_eq!(
        (read(&ca), read(&tls_dir.join("ca-key.pem"))),
        (ca_pem, ca_key)
    );
    assert_ne!(read(&tls_dir.join("server.pem")), server_pem);
    for name in ["vpc.physconn.test", "10.11.12.13", "localhost", "::1"] {
        let (status, body) = https(&third.api, name, roots(&ca), signed_call())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(status, 200, "{name}: {body}");
    }
    assert!(
        https(&third.api, "other.physconn.test", roots(&ca), signed_call())
            .await
            .is_err()
    );
    third.stop();
}

/// A test CA and a server certificate it signed (for `localhost`), written
/// under `dir/<tag>-*.pem`.
struct OwnCert {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn own_ca(dir: &Path, tag: &str) -> OwnCert {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("{tag} test CA"));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let out = OwnCert {
        ca: dir.join(format!("{tag}-ca.pem")),
        cert: dir.join(format!("{tag}-cert.pem")),
        key: dir.join(format!("{tag}-key.pem")),
    };
    std::fs::write(&out.ca, ca.pem()).unwrap();
    // The chain as operators often keep it: the server's, then the CA's.
    std::fs::write(&out.cert, leaf.pem() + &ca.pem()).unwrap();
    std::fs::write(&out.key, key.serialize_pem()).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_own_certificate_is_served_and_nothing_is_issued() {
    let files = tempfile::tempdir().unwrap();
    let own = own_ca(files.path(), "own");
    let dir = tempfile::tempdir().unwrap();
    // --tls-cert implies --tls.
    let s = start(
        dir.path(),
        &[
            "--tls-cert",
            own.cert.to_str().unwrap(),
            "--tls-key",
            own.key.to_str().unwrap(),
        ],
    );
    assert!(
        s.lines.last().unwrap().contains("api=https://"),
        "{:?}",
        s.lines
    );
    let (status, body) = https(&s.api, "localhost", roots(&own.ca), signed_call())
        .await
        .expect("own certificate");
    assert_eq!(status, 200, "{body}");
    assert!(!dir.path().join("tls").exists(), "no CA is made");
    s.stop();
}

#[test]
fn bad_tls_input_stops_the_start_before_anything_is_written() {
    let files = tempfile::tempdir().unwrap();
    let own = own_ca(files.path(), "own");
    let other = own_ca(files.path(), "other");
    let garbage = files.path().join("garbage.pem");
    std::fs::write(&garbage, "not a pem file\n").unwrap();
    let missing = files.path().join("missing.pem");
    let p = |p: &Path| p.to_str().unwrap().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--tls".into(), "--tls-san".into(), "host:443".into()],
            "\"host:443\" is neither a DNS name",
        ),
        (
            vec!["--tls".into(), "--tls-san".into(), "10.0.0".into()],
            "\"10.0.0\" is neither a DNS name",
        ),
        (
            vec!["--tls-cert".into(), p(&own.cert)],
            "--tls-key is missing",
        ),
        (
            vec!["--tls".into(), "--tls-key".into(), p(&own.key)],
            "--tls-cert is missing",
        ),
        (
            vec![
                "--tls-cert".into(),
                p(&missing),
                "--tls-key".into(),
                p(&own.key),
            ],
            "cannot read",
        ),
        (
            vec![
                "--tls-cert".into(),
                p(&garbage),
                "--tls-key".into(),
                p(&own.key),
            ],
            "holds no PEM certificate",
        ),
        (
            vec![
                "--tls-cert".into(),
                p(&own.cert),
                "--tls-key".into(),
                p(&garbage),
            ],
            "holds no PEM private key",
        ),
        (
            vec![
                "--tls-cert".into(),
                p(&own.cert),
                "--tls-key".into(),
                p(&other.key),
            ],
            "does not match the certificate",
        ),
        (
            vec![
                "--tls-cert".into(),
                p(&own.cert),
                "--tls-key".into(),
                p(&own.key),
                "--tls-san".into(),
                "x.test".into(),
            ],
            "--tls-san names go into the certificate physconn issues",
        ),
    ];
    for (flags, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let err = refused(&data, &flags);
        assert!(err.contains(want), "{flags:?}: want {want:?} in {err}");
        assert!(!data.exists(), "{flags:?} left {}", data.display());
    }
    // A ca.pem whose key is gone cannot issue a certificate for new names:
    // the start stops rather than replace the CA clients trust.
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["--tls"]);
    s.stop();
    let tls_dir = dir.path().join("tls");
    std::fs::remove_file(tls_dir.join("ca-key.pem")).unwrap();
    let before = read(&tls_dir.join("server.pem"));
    let err = refused(dir.path(), &["--tls", "--tls-san", "new.physconn.test"]);
    assert!(err.contains("ca-key.pem is missing"), "{err}");
    assert_eq!(read(&tls_dir.join("server.pem")), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_file_and_environment_turn_tls_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("physconn.toml");
    std::fs::write(&config, "tls = true\ntls_san = [\"file.physconn.test\"]\n").unwrap();
    let s = start(
        &dir.path().join("data"),
        &["--config", config.to_str().unwrap()],
    );
    let ca = dir.path().join("data/tls/ca.pem");
    let (status, _) = https(&s.api, "file.physconn.test", roots(&ca), signed_call())
        .await
        .expect("named in the file");
    assert_eq!(status, 200);
    s.stop();

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let mut vars = env();
    vars.retain(|(k, _)| !k.starts_with("PHYSCONN_TLS"));
    vars.push(("PHYSCONN_TLS", Some("true")));
    vars.push(("PHYSCONN_TLS_SAN", Some("a.physconn.test,b.physconn.test")));
    let s = spawn(&["--data-dir", data], &vars).listening();
    let ca = dir.path().join("tls/ca.pem");
    for name in ["a.physconn.test", "b.physconn.test"] {
        let (status, _) = https(&s.api, name, roots(&ca), signed_call())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(status, 200);
    }
    s.stop();
}

/// The edge's limits hold over TLS: a client that never completes its
/// handshake is cut off at the header deadline, and a head over the limit
/// is answered in the API's error shape, encrypted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edge_limits_hold_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("physconn.toml");
    std::fs::write(
        &config,
        "header_read_timeout_seconds = 1\nmax_header_bytes = 2048\n",
    )
    .unwrap();
    let s = start(
        &dir.path().join("data"),
        &["--tls", "--config", config.to_str().unwrap()],
    );
    let ca = dir.path().join("data/tls/ca.pem");

    // Connected, silent: closed by the server well before this test's own
    // limit (a read that returns means the server ended it).
    let mut silent = TcpStream::connect(&s.api).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(20), silent.read(&mut buf))
        .await
        .expect("the server closes a connection that never shakes hands");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");

    let big = "a".repeat(4096);
    let req = hyper::Request::builder()
        .uri("/")
        .header("host", "localhost")
        .header("x-big", big)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let (status, body) = https(&s.api, "localhost", roots(&ca), req)
        .await
        .expect("an answer over TLS");
    assert_eq!(status, 431, "{body}");
    assert_eq!(body["Code"], "RequestHeaderFieldsTooLarge", "{body}");
    s.stop();
}
