//! The one TLS client configuration of the app: rustls with ring, checking a
//! relay's or a video platform's certificate with the operating system's
//! verifier and trust store (on Linux, the system's CA bundle, or the file in
//! `SSL_CERT_FILE`), so that a certificate the system trusts is trusted and no
//! other. Both HTTPS (reqwest) and the relay's WebSocket (`wss://`) use it.

use std::sync::{Arc, OnceLock};

use rustls::ClientConfig;
use rustls_platform_verifier::BuilderVerifierExt;

/// The configuration, made on first use (it reads the trust store).
pub fn client_config() -> Result<Arc<ClientConfig>, rustls::Error> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    if let Some(config) = CONFIG.get() {
        return Ok(config.clone());
    }
    // ring, not aws-lc-rs: aws-lc-rs needs cmake and NASM to build for
    // Windows. rustls deprecates ring's provider only because it has no
    // post-quantum key exchange (X25519MLKEM768), which needs aws-lc-rs.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    Ok(CONFIG.get_or_init(|| Arc::new(config)).clone())
}

/// Why a TLS connection was refused, in a person's words, from the error's
/// chain of causes; None if it was not about the certificate.
pub fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(found) = rustls_error(e).and_then(in_words) {
            return Some(found);
        }
        cause = e.source();
    }
    None
}

/// The rustls error `e` is or wraps. An I/O error's `source()` skips the
/// error it wraps (which may be another I/O error), so those are looked into
/// here.
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(r) = e.downcast_ref::<rustls::Error>() {
        return Some(r);
    }
    let mut io = e.downcast_ref::<std::io::Error>();
    while let Some(inner) = io.and_then(std::io::Error::get_ref) {
        if let Some(r) = inner.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        io = inner.downcast_ref::<std::io::Error>();
    }
    if let Some(tokio_tungstenite::tungstenite::Error::Tls(
        tokio_tungstenite::tungstenite::error::TlsError::Rustls(r),
    )) = e.downcast_ref::<tokio_tungstenite::tungstenite::Error>()
    {
        return Some(r);
    }
    None
}

fn in_words(e: &rustls::Error) -> Option<&'static str> {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(why) = e else {
        return None;
    };
    Some(match why {
        C::Expired | C::ExpiredContext { .. } => "its certificate has expired",
        C::NotValidYet | C::NotValidYetContext { .. } => "its certificate is not valid yet",
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "its certificate is for another name"
        }
        C::Revoked => "its certificate was revoked",
        C::UnknownIssuer => "its certificate is not signed by an authority this computer trusts",
        _ => "its certificate cannot be trusted",
    })
}
