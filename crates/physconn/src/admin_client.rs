//! The admin API's client for the CLI's subcommands: where the admin
//! listener is (`--admin-url`, `--admin-token`, `--admin-ca`), and one call
//! over HTTP, or over HTTPS trusting only the given CA.

use anyhow::{bail, Context, Result};
use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::Value;

#[derive(Args, Clone)]
pub struct AdminTarget {
    /// Base URL of the admin listener.
    #[arg(
        long,
        env = "PHYSCONN_ADMIN_URL",
        default_value = "http://127.0.0.1:8081",
        global = true
    )]
    pub admin_url: String,
    /// Admin bearer token.
    #[arg(
        long,
        env = "PHYSCONN_ADMIN_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// CA certificate (PEM) to trust for an https admin URL; for a server
    /// started with --tls, <data-dir>/tls/ca.pem.
    #[arg(long, value_name = "FILE", env = "PHYSCONN_ADMIN_CA", global = true)]
    pub admin_ca: Option<std::path::PathBuf>,
}

pub struct Client {
    base: String,
    token: String,
    transport: Transport,
}

enum Transport {
    Http(
        hyper_util::client::legacy::Client<
            hyper_util::client::legacy::connect::HttpConnector,
            Full<Bytes>,
        >,
    ),
    /// One TLS connection per call (a subcommand makes one), trusting only
    /// the given CA.
    Https(std::sync::Arc<rustls::ClientConfig>),
}

impl Client {
    pub fn new(t: &AdminTarget) -> Result<Self> {
        let token = t
            .admin_token
            .clone()
            .context("the admin token is needed: --admin-token or PHYSCONN_ADMIN_TOKEN")?;
        let base = t.admin_url.trim_end_matches('/').to_string();
        let transport = if base.starts_with("https://") {
            let ca = t.admin_ca.as_deref().context(
                "an https admin URL needs --admin-ca FILE (PHYSCONN_ADMIN_CA): the CA of the server's certificate, for `serve --tls` <data-dir>/tls/ca.pem",
            )?;
            Transport::Https(std::sync::Arc::new(tls_config(ca)?))
        } else {
            Transport::Http(
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http(),
            )
        };
        Ok(Self {
            base,
            token,
            transport,
        })
    }

    /// Sends one request; prints the JSON answer, or fails with the error.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(
                body.map(|b| b.to_string()).unwrap_or_default(),
            )))?;
        let reach = || format!("cannot reach the admin API at {}", self.base);
        let resp = match &self.transport {
            Transport::Http(http) => http.request(req).await.with_context(reach)?,
            Transport::Https(config) => https(config.clone(), req).await.with_context(reach)?,
        };
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        let v: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        if !status.is_success() {
            bail!("{status}: {}", v);
        }
        Ok(v)
    }
}

fn tls_config(ca: &std::path::Path) -> Result<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_file_iter(ca)
        .with_context(|| format!("reading {}", ca.display()))?
    {
        let cert = cert.with_context(|| format!("reading {}", ca.display()))?;
        roots
            .add(cert)
            .with_context(|| format!("{}: not a CA certificate", ca.display()))?;
    }
    if roots.is_empty() {
        bail!("{} holds no PEM certificate", ca.display());
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(physconn_server::tls::crypto_provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// One request over a new TLS connection to the request's host.
async fn https(
    config: std::sync::Arc<rustls::ClientConfig>,
    req: hyper::Request<Full<Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>> {
    let host = req.uri().host().context("no host in the admin URL")?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = req.uri().port_u16().unwrap_or(443);
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
    let name = rustls::pki_types::ServerName::try_from(host)?;
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await?;
    // Drives the connection while the caller reads the body; it ends with
    // the response, the sender being gone (or with the process).
    tokio::spawn(conn);
    Ok(sender.send_request(req).await?)
}
