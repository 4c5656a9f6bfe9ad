//! TLS for the tests: a certificate authority of their own, certificates it
//! issues to the relay (as PEM files the relay reads), and a wiretap that
//! records every byte crossing between a client and the relay, to show that
//! none of it is readable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A certificate authority that exists only for a test.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    dir: PathBuf,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").field("dir", &self.dir).finish()
    }
}

impl TestCa {
    /// A new authority called `name`, keeping its files in `dir`.
    pub fn new(dir: &Path, name: &str) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate()?)?;
        let this = Self {
            issuer,
            dir: dir.to_owned(),
        };
        std::fs::write(this.ca_file(), this.issuer.pem())?;
        Ok(this)
    }

    /// The authority's certificate (PEM): what a client is told to trust.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A certificate for `names`, written as `<stem>.pem` and `<stem>.key`;
    /// returns their paths (certificate, key).
    pub fn issue(&self, names: &[&str], stem: &str) -> Result<(PathBuf, PathBuf)> {
        let key = KeyPair::generate()?;
        let params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
        let cert = params.signed_by(&key, &self.issuer)?;
        let (cert_file, key_file) = (
            self.dir.join(format!("{stem}.pem")),
            self.dir.join(format!("{stem}.key")),
        );
        std::fs::write(&cert_file, cert.pem())?;
        std::fs::write(&key_file, key.serialize_pem())?;
        Ok((cert_file, key_file))
    }
}

/// A TCP proxy on loopback that passes bytes unchanged both ways and keeps a
/// copy of all of them.
#[derive(Clone, Debug)]
pub struct Wiretap {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Wiretap {
    pub async fn start(to: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let tap = Self {
            addr: listener.local_addr()?,
            seen: Arc::default(),
        };
        let seen = tap.seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    if let Ok(relay) = TcpStream::connect(to).await {
                        let (cr, cw) = client.into_split();
                        let (rr, rw) = relay.into_split();
                        let up = tokio::spawn(pipe(cr, rw, seen.clone()));
                        let down = tokio::spawn(pipe(rr, cw, seen));
                        let _ = tokio::join!(up, down);
                    }
                });
            }
        });
        Ok(tap)
    }

    /// Every byte that crossed, both ways, so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether `text` appears anywhere in what crossed.
    pub fn saw(&self, text: &str) -> bool {
        let bytes = self.bytes();
        bytes.windows(text.len()).any(|w| w == text.as_bytes())
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    seen: Arc<Mutex<Vec<u8>>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&buf[..n]);
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}
