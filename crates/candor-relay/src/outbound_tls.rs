//! TLS from a node to what it depends on: its PostgreSQL database (see
//! `storage::DatabaseLink`) and its NATS bus (see `crate::bus`).
//!
//! Both carry what must stay private or true: the database everything the
//! relay keeps, the bus which node stored what and who is typing. A node
//! talks to them in plain text only on its own machine; anywhere else over
//! TLS, with the server's certificate checked against the system's
//! authorities or the operator's own (`--database-ca`, `--nats-ca`).

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};

use crate::tls::TlsError;

/// Whether `host` is this machine: `localhost` or a loopback address. Any
/// other name may resolve anywhere, so it counts as elsewhere.
pub fn is_this_machine(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The certificates in the PEM file `path`: an operator's authorities.
pub fn authorities(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = std::fs::read(path).map_err(|e| TlsError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.display().to_string(),
        });
    }
    Ok(certs)
}

/// A client that trusts the authorities in `ca`, or else the system's.
pub fn client_config(ca: Option<&Path>) -> Result<ClientConfig, TlsError> {
    let mut roots = RootCertStore::empty();
    match ca {
        Some(path) => {
            let (added, _) = roots.add_parsable_certificates(authorities(path)?);
            if added == 0 {
                return Err(TlsError::NoCertificate {
                    path: path.display().to_string(),
                });
            }
        }
        None => {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            if roots.is_empty() {
                return Err(TlsError::NoAuthorities);
            }
        }
    }
    // ring, as the relay's own TLS (see crate::tls).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Mismatch(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_and_localhost_are_this_machine() {
        for host in [
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "[::1]",
            "localhost",
            "LocalHost",
        ] {
            assert!(is_this_machine(host), "{host}");
        }
        for host in [
            "10.0.0.5",
            "db.example.com",
            "db.localdomain",
            "0.0.0.0",
            "",
        ] {
            assert!(!is_this_machine(host), "{host}");
        }
    }

    #[test]
    fn an_authority_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ca.pem");
        std::fs::write(&file, "not a certificate").unwrap();
        assert!(matches!(
            client_config(Some(&file)),
            Err(TlsError::NoCertificate { .. })
        ));
        assert!(matches!(
            client_config(Some(&dir.path().join("missing.pem"))),
            Err(TlsError::Read { .. })
        ));
    }
}
