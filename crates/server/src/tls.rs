//! HTTPS for both listeners (`serve --tls`, docs/tls.md). Either the
//! operator's own certificate (`tls_cert` / `tls_key`), or one that physconn
//! issues itself from a local CA kept in `<data_dir>/tls/`:
//!
//! - `ca.pem`, `ca-key.pem`: the CA, made on the first start and kept, so
//!   clients trust it once;
//! - `server.pem`, `server-key.pem`: the server's certificate (valid for
//!   `localhost`, `127.0.0.1`, `::1` and every `tls_san` name) and its key;
//! - `server.names`: the names `server.pem` was made for. A start with other
//!   names, or a certificate that no longer verifies against `ca.pem` for a
//!   month to come, issues a new one from the same CA.
//!
//! Keys are written mode 0600, every file through a rename so a crash never
//! leaves half of one. Validity follows the machine's real time, which is
//! what clients check it against, whatever the server's clock says.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, DnsName, PrivateKeyDer, ServerName, UnixTime};
use rustls::ServerConfig;
use sha2::Digest;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Names every generated certificate is valid for.
pub const DEFAULT_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca-key.pem";
const SERVER_CERT: &str = "server.pem";
const SERVER_KEY: &str = "server-key.pem";
const SERVER_NAMES: &str = "server.names";

/// The local CA's lifetime.
const CA_DAYS: i64 = 3650;
/// A server certificate's lifetime: within what clients accept from a
/// private CA (some refuse more than 825 days).
const SERVER_DAYS: i64 = 397;
/// A server certificate that expires within this long is replaced at start.
const RENEW_DAYS: i64 = 30;
/// How far back validity starts, for clients whose clocks lag.
const BACKDATE_DAYS: i64 = 1;

/// What the listeners need, and what to tell the operator.
pub struct Tls {
    pub server_config: Arc<ServerConfig>,
    /// The CA clients must trust, when physconn issued the certificate.
    pub ca_file: Option<PathBuf>,
    /// Lines to print once (a CA or certificate made).
    pub notices: Vec<String>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("--tls-san {0:?} is neither a DNS name (such as vpc.example.test or *.example.test) nor an IP address")]
    BadName(String),
    #[error("--tls-cert and --tls-key go together: {0} is missing")]
    Half(&'static str),
    #[error("--tls-san names go into the certificate physconn issues; with --tls-cert, the names are those of your certificate")]
    NamesWithOwnCert,
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0}: {1}")]
    Invalid(String, String),
    #[error("the key in {key} does not match the certificate in {cert}")]
    Mismatch { cert: String, key: String },
    #[error("cannot write {0}: {1}")]
    Write(String, std::io::Error),
    #[error("issuing a certificate: {0}")]
    Issue(#[from] rcgen::Error),
    #[error("{key} is missing, so the CA in {ca} cannot issue the new server certificate; restore it, or remove {dir} to start a new CA (clients must then trust the new ca.pem)")]
    NoCaKey {
        ca: String,
        key: String,
        dir: String,
    },
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The TLS settings of a configuration; `None` when it serves plain HTTP.
pub fn setup(config: &crate::Config, now: time::OffsetDateTime) -> Result<Option<Tls>, TlsError> {
    let own = match (&config.tls_cert, &config.tls_key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        (Some(_), None) => return Err(TlsError::Half("--tls-key")),
        (None, Some(_)) => return Err(TlsError::Half("--tls-cert")),
    };
    if !config.tls && own.is_none() {
        return Ok(None);
    }
    // Checked even with the operator's own certificate, so a typo is never
    // silently ignored.
    let names = names(&config.tls_san)?;
    if let Some((cert, key)) = own {
        if !config.tls_san.is_empty() {
            return Err(TlsError::NamesWithOwnCert);
        }
        return Ok(Some(Tls {
            server_config: Arc::new(own_cert(cert, key)?),
            ca_file: None,
            notices: Vec::new(),
        }));
    }
    issued(&config.data_dir.join("tls"), &names, now).map(Some)
}

/// The names of a generated certificate: the defaults and `extra`, each
/// checked and written canonically (lower case, IPs in their short form).
pub fn names(extra: &[String]) -> Result<BTreeSet<String>, TlsError> {
    let mut out: BTreeSet<String> = DEFAULT_NAMES.iter().map(|s| s.to_string()).collect();
    for raw in extra {
        out.insert(canonical_name(raw).ok_or_else(|| TlsError::BadName(raw.clone()))?);
    }
    Ok(out)
}

fn canonical_name(raw: &str) -> Option<String> {
    let s = raw.trim();
    let bare = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Some(ip.to_string());
    }
    let lower = s.to_ascii_lowercase();
    let lower = lower.strip_suffix('.').unwrap_or(&lower);
    let host = lower.strip_prefix("*.").unwrap_or(lower);
    // One label is enough for `localhost`-like names; a wildcard must
    // stand for a label under a name with at least two.
    if host.contains('*') || (host.len() != lower.len() && !host.contains('.')) {
        return None;
    }
    DnsName::try_from(host).ok()?;
    Some(lower.to_string())
}

/// The TLS implementation of the server, the admin CLI and the tests:
/// rustls over *ring*, chosen over aws-lc-rs for its build time (no C
/// toolchain beyond a compiler, no cmake). rustls marks it deprecated only
/// because it lacks post-quantum key exchange, which a test server does not
/// need.
#[allow(deprecated)]
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ServerConfig, rustls::Error> {
    let mut c = ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    // Both listeners speak HTTP/1.1 only; a client offering h2 is told so.
    c.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(c)
}

fn show(p: &Path) -> String {
    p.display().to_string()
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let text = std::fs::read(path).map_err(|e| TlsError::Read(show(path), e))?;
    let certs = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Invalid(show(path), format!("not a PEM certificate chain ({e})")))?;
    if certs.is_empty() {
        return Err(TlsError::Invalid(
            show(path),
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    use rustls::pki_types::pem::Error as PemError;
    let text = std::fs::read(path).map_err(|e| TlsError::Read(show(path), e))?;
    PrivateKeyDer::from_pem_slice(&text).map_err(|e| {
        let why = match e {
            PemError::NoItemsFound => {
                "holds no PEM private key (PKCS#8, PKCS#1 or SEC1: -----BEGIN … PRIVATE KEY-----)"
                    .to_string()
            }
            other => format!("not a PEM private key ({other})"),
        };
        TlsError::Invalid(show(path), why)
    })
}

/// The operator's certificate chain and key, checked to belong together.
fn own_cert(cert: &Path, key: &Path) -> Result<ServerConfig, TlsError> {
    let certs = read_certs(cert)?;
    let key_der = read_key(key)?;
    server_config(certs, key_der).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => TlsError::Mismatch {
            cert: show(cert),
            key: show(key),
        },
        other => TlsError::Invalid(
            format!("{} with {}", show(cert), show(key)),
            other.to_string(),
        ),
    })
}

/// The certificate physconn issues from its CA in `dir`: the one there when
/// it still serves `names`, else a new one (and a new CA on the first start).
fn issued(
    dir: &Path,
    names: &BTreeSet<String>,
    now: time::OffsetDateTime,
) -> Result<Tls, TlsError> {
    let ca_file = dir.join(CA_CERT);
    match reusable(dir, names, now) {
        Ok(config) => {
            return Ok(Tls {
                server_config: Arc::new(config),
                ca_file: Some(ca_file),
                notices: Vec::new(),
            })
        }
        Err(why) => tracing::info!(dir = %dir.display(), why, "issuing a server certificate"),
    }
    std::fs::create_dir_all(dir).map_err(|e| TlsError::Write(show(dir), e))?;
    let mut notices = Vec::new();
    let (ca_key, ca_pem) = if ca_file.exists() {
        let key_file = dir.join(CA_KEY);
        let pem = match std::fs::read_to_string(&key_file) {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(TlsError::NoCaKey {
                    ca: show(&ca_file),
                    key: show(&key_file),
                    dir: show(dir),
                })
            }
            Err(e) => return Err(TlsError::Read(show(&key_file), e)),
        };
        let key = KeyPair::from_pem(&pem)
            .map_err(|e| TlsError::Invalid(show(&key_file), e.to_string()))?;
        let ca_pem =
            std::fs::read_to_string(&ca_file).map_err(|e| TlsError::Read(show(&ca_file), e))?;
        (key, ca_pem)
    } else {
        let key = KeyPair::generate()?;
        let mut params = ca_params(&key);
        params.not_before = now - time::Duration::days(BACKDATE_DAYS);
        params.not_after = now + time::Duration::days(CA_DAYS);
        let pem = params.self_signed(&key)?.pem();
        // The key first: a ca.pem on disk always has its key beside it.
        write_file(&dir.join(CA_KEY), &key.serialize_pem(), true)?;
        write_file(&ca_file, &pem, false)?;
        notices.push(format!(
            "tls: made a local CA; clients must trust {}",
            ca_file.display()
        ));
        (key, pem)
    };
    let (cert_pem, key_pem) = issue_server(&ca_key, names, now)?;
    let certs = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Invalid("the new certificate".into(), e.to_string()))?;
    let key_der = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| TlsError::Invalid("the new key".into(), e.to_string()))?;
    // What was issued must verify against the CA on disk (a ca-key.pem that
    // is not ca.pem's would otherwise serve certificates nobody can check).
    verify(&ca_pem, &certs, names, now).map_err(|why| {
        TlsError::Invalid(
            show(&dir.join(CA_KEY)),
            format!(
                "certificates it signs do not verify against {} ({why})",
                ca_file.display()
            ),
        )
    })?;
    let config = server_config(certs, key_der)?;
    write_file(&dir.join(SERVER_KEY), &key_pem, true)?;
    write_file(&dir.join(SERVER_CERT), &cert_pem, false)?;
    write_file(&dir.join(SERVER_NAMES), &names_file(names), false)?;
    notices.push(format!(
        "tls: issued {} for {}",
        dir.join(SERVER_CERT).display(),
        names.iter().cloned().collect::<Vec<_>>().join(", ")
    ));
    Ok(Tls {
        server_config: Arc::new(config),
        ca_file: Some(ca_file),
        notices,
    })
}

fn names_file(names: &BTreeSet<String>) -> String {
    let mut s = String::new();
    for n in names {
        s.push_str(n);
        s.push('\n');
    }
    s
}

/// The server certificate in `dir`, if it was made for exactly `names`,
/// verifies against `ca.pem` for each of them until a month from now, and
/// matches its key; else why not.
fn reusable(
    dir: &Path,
    names: &BTreeSet<String>,
    now: time::OffsetDateTime,
) -> Result<ServerConfig, String> {
    let read =
        |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"));
    let recorded: BTreeSet<String> = read(SERVER_NAMES)?.lines().map(str::to_string).collect();
    if &recorded != names {
        return Err("the names changed".into());
    }
    let ca_pem = read(CA_CERT)?;
    let certs = read_certs(&dir.join(SERVER_CERT)).map_err(|e| e.to_string())?;
    verify(
        &ca_pem,
        &certs,
        names,
        now + time::Duration::days(RENEW_DAYS),
    )?;
    let key = read_key(&dir.join(SERVER_KEY)).map_err(|e| e.to_string())?;
    server_config(certs, key).map_err(|e| format!("{SERVER_KEY}: {e}"))
}

/// Checks `certs` as a client trusting only `ca_pem` would, at `at`, for
/// every name (a wildcard through a name it covers).
fn verify(
    ca_pem: &str,
    certs: &[CertificateDer<'static>],
    names: &BTreeSet<String>,
    at: time::OffsetDateTime,
) -> Result<(), String> {
    use rustls::client::danger::ServerCertVerifier;
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(ca.map_err(|e| format!("{CA_CERT}: {e}"))?)
            .map_err(|e| format!("{CA_CERT}: {e}"))?;
    }
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        crypto_provider(),
    )
    .build()
    .map_err(|e| e.to_string())?;
    let (end, chain) = certs.split_first().ok_or("no certificate")?;
    let secs = u64::try_from(at.unix_timestamp()).map_err(|_| "time before 1970")?;
    let when = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    for name in names {
        let probe = match name.strip_prefix("*.") {
            Some(rest) => format!("physconn-probe.{rest}"),
            None => name.clone(),
        };
        let sn = ServerName::try_from(probe.as_str()).map_err(|e| format!("{name}: {e}"))?;
        verifier
            .verify_server_cert(end, chain, &sn, &[], when)
            .map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

/// The CA's subject and uses. Its name carries a digest of its key, so
/// that two physconn CAs trusted side by side are told apart, and so that
/// the same subject is rebuilt from `ca-key.pem` alone to issue later
/// certificates.
fn ca_params(key: &KeyPair) -> CertificateParams {
    let digest = sha2::Sha256::digest(key.public_key_der());
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "physconn");
    dn.push(
        DnType::CommonName,
        format!("physconn local CA {}", hex::encode(&digest[..6])),
    );
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

/// A new server key and certificate (PEM) for `names`, signed by the CA.
fn issue_server(
    ca_key: &KeyPair,
    names: &BTreeSet<String>,
    now: time::OffsetDateTime,
) -> Result<(String, String), TlsError> {
    // Only the subject, key-id method and key of the issuer go into what it
    // signs; its own validity does not matter here.
    let issuer = ca_params(ca_key).self_signed(ca_key)?;
    let key = KeyPair::generate()?;
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "physconn");
    dn.push(DnType::CommonName, "physconn server");
    p.distinguished_name = dn;
    p.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => Ok(SanType::DnsName(n.clone().try_into()?)),
        })
        .collect::<Result<_, rcgen::Error>>()?;
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.use_authority_key_identifier_extension = true;
    p.not_before = now - time::Duration::days(BACKDATE_DAYS);
    p.not_after = now + time::Duration::days(SERVER_DAYS);
    let cert = p.signed_by(&key, &issuer, ca_key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Replaces `path` with `content` through a temporary file and a rename;
/// `private` files are created mode 0600.
fn write_file(path: &Path, content: &str, private: bool) -> Result<(), TlsError> {
    use std::io::Write;
    let err = |e| TlsError::Write(show(path), e);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(&tmp).map_err(err)?;
    f.write_all(content.as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_canonical() {
        let n = names(&[
            "VPC.Example.Test.".into(),
            "[::1]".into(),
            "10.0.0.5".into(),
            "*.lab.test".into(),
        ])
        .unwrap();
        let want: BTreeSet<String> = [
            "localhost",
            "127.0.0.1",
            "::1",
            "vpc.example.test",
            "10.0.0.5",
            "*.lab.test",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(n, want);
        for bad in [
            "",
            "a b",
            "host:443",
            "https://x.test",
            "10.0.0",
            "*.test",
            "a.*.test",
            "-x.test",
            "1.2.3.999",
        ] {
            assert!(
                matches!(names(&[bad.to_string()]), Err(TlsError::BadName(_))),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn an_issued_certificate_verifies_for_its_names_only_while_valid() {
        let now = time::OffsetDateTime::now_utc();
        let ca_key = KeyPair::generate().unwrap();
        let mut params = ca_params(&ca_key);
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(CA_DAYS);
        let ca_pem = params.self_signed(&ca_key).unwrap().pem();
        let names = names(&["*.lab.test".into()]).unwrap();
        let (cert, _) = issue_server(&ca_key, &names, now).unwrap();
        let certs: Vec<_> = CertificateDer::pem_slice_iter(cert.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        verify(&ca_pem, &certs, &names, now).unwrap();
        let other: BTreeSet<String> = ["elsewhere.test".to_string()].into();
        assert!(verify(&ca_pem, &certs, &other, now).is_err());
        let late = now + time::Duration::days(SERVER_DAYS + 1);
        assert!(verify(&ca_pem, &certs, &names, late).is_err());
        // Another CA (same subject shape, other key) does not vouch for it.
        let stranger = KeyPair::generate().unwrap();
        let stranger_pem = ca_params(&stranger).self_signed(&stranger).unwrap().pem();
        assert!(verify(&stranger_pem, &certs, &names, now).is_err());
    }
}
