//! TLS for the bench: a certificate authority made for the run, the relay's
//! certificate for `localhost` signed by it, and a client configuration that
//! trusts it (rustls with ring, as the app uses).

use std::path::Path;
use std::sync::Arc;

use candor_relay::tls::Certificates;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

pub struct Tls {
    pub certificates: Arc<Certificates>,
    pub client: Arc<rustls::ClientConfig>,
}

impl Tls {
    pub fn new(dir: &Path) -> Self {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca =
            CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("ca key")).expect("ca");
        let key = KeyPair::generate().expect("key");
        let cert = CertificateParams::new(vec!["localhost".to_string()])
            .expect("params")
            .signed_by(&key, &ca)
            .expect("cert");
        let (cert_file, key_file) = (dir.join("bench-cert.pem"), dir.join("bench-key.pem"));
        std::fs::write(&cert_file, cert.pem()).expect("write cert");
        std::fs::write(&key_file, key.serialize_pem()).expect("write key");
        let certificates =
            Arc::new(Certificates::load(&cert_file, &key_file).expect("load the certificate"));
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(ca.der().clone())
            .expect("trust the bench's authority");
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocols")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self {
            certificates,
            client: Arc::new(client),
        }
    }
}
