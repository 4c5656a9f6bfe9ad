//! How a node reaches its database: over TLS whenever the server is not on
//! this machine.
//!
//! What crosses the link is everything the relay keeps: messages, password
//! hashes, session hashes. A node of a relay of several nodes reaches its
//! database across a network, and PostgreSQL's own default (`sslmode=prefer`)
//! falls back to plain text whenever the server, or anyone in the middle,
//! says it has no TLS. So the rule here is stricter than the URL's:
//!
//! - a server on this machine (a Unix socket, `localhost`, a loopback
//!   address) is reached as the URL says, and `prefer` means plain text: the
//!   bytes never leave the machine, and a local server's snake-oil certificate
//!   would fail verification;
//! - any other server is reached over TLS, with its certificate checked
//!   against the system's authorities (or `--database-ca`) and its name
//!   against the URL's host. `sslmode=disable` to such a server is refused
//!   before anything is sent.

use std::net::IpAddr;
use std::path::Path;

use postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::outbound_tls::{client_config, is_this_machine};
use crate::storage::StorageError;

/// A database's address and the TLS it is reached with.
#[derive(Clone)]
pub struct DatabaseLink {
    config: postgres::Config,
    /// None: plain text (a server on this machine, as its URL allows).
    tls: Option<MakeRustlsConnect>,
}

impl std::fmt::Debug for DatabaseLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseLink")
            .field("hosts", &self.config.get_hosts())
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl DatabaseLink {
    /// The database at `url` (`postgres://user:password@host:port/db?…`),
    /// whose certificate an authority in `ca` (PEM) has signed, or else one
    /// the system trusts.
    pub fn new(url: &str, ca: Option<&Path>) -> Result<Self, StorageError> {
        // libpq's words for checking the server: this link always checks
        // the certificate and the name (the stricter `verify-full`), and
        // tokio-postgres knows neither word.
        let url = url
            .replace("sslmode=verify-full", "sslmode=require")
            .replace("sslmode=verify-ca", "sslmode=require");
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            // The URL may hold a password: it is not repeated.
            StorageError::Unavailable(format!(
                "the database URL is not valid: {}",
                crate::storage::with_causes(&e)
            ))
        })?;
        // Every connection, whatever it is for, gives up on a server that
        // does not answer.
        config.connect_timeout(super::CONNECT_TIMEOUT);
        let tls = match needs_tls(&config)? {
            false => {
                config.ssl_mode(SslMode::Disable);
                None
            }
            true => {
                config.ssl_mode(SslMode::Require);
                let tls = client_config(ca).map_err(|e| {
                    StorageError::Insecure(format!("the database's TLS (--database-ca): {e}"))
                })?;
                Some(MakeRustlsConnect::new(tls))
            }
        };
        Ok(Self { config, tls })
    }

    /// The connection settings, to adjust before `connect`.
    pub(super) fn config_mut(&mut self) -> &mut postgres::Config {
        &mut self.config
    }

    /// Whether the link is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    pub(super) fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(postgres::NoTls),
        }
    }
}

/// Whether the server named by `config` must be reached over TLS (see the
/// module docs); an error when its URL asks for plain text off this machine.
fn needs_tls(config: &postgres::Config) -> Result<bool, StorageError> {
    // The addresses connected to are `hostaddr`'s when it is given.
    let on_this_machine = if config.get_hostaddrs().is_empty() {
        config.get_hosts().iter().all(|host| match host {
            Host::Tcp(name) => is_this_machine(name),
            #[cfg(unix)]
            Host::Unix(_) => true,
        })
    } else {
        config.get_hostaddrs().iter().all(IpAddr::is_loopback)
    };
    match (config.get_ssl_mode(), on_this_machine) {
        (SslMode::Disable | SslMode::Prefer, true) => Ok(false),
        (SslMode::Disable, false) => Err(StorageError::Insecure(format!(
            "the database URL asks for sslmode=disable to {}, which is not on this machine: \
             messages and password hashes would cross the network in plain text. \
             Turn on TLS in PostgreSQL (ssl = on) and drop sslmode from the URL",
            hosts(config)
        ))),
        _ => Ok(true),
    }
}

fn hosts(config: &postgres::Config) -> String {
    let names: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls_for(url: &str) -> Result<bool, StorageError> {
        needs_tls(&url.parse().expect("a valid URL"))
    }

    #[test]
    fn a_server_on_this_machine_is_reached_as_its_url_says() {
        for url in [
            "postgres://candor@127.0.0.1:5432/db",
            "postgres://candor@localhost/db",
            "postgres://candor@[::1]:5432/db",
            "postgres://candor@127.0.0.2/db?sslmode=disable",
            "host=/run/postgresql user=candor",
            "host=db.example.com hostaddr=127.0.0.1 user=candor",
        ] {
            assert!(!tls_for(url).unwrap(), "{url}");
        }
        assert!(tls_for("postgres://candor@127.0.0.1/db?sslmode=require").unwrap());
    }

    #[test]
    fn libpq_words_for_a_checked_link_are_understood() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        std::fs::write(&ca, params.self_signed(&key).unwrap().pem()).unwrap();
        for mode in ["verify-full", "verify-ca", "require"] {
            let url = format!("postgres://candor@127.0.0.1/db?sslmode={mode}");
            let link = DatabaseLink::new(&url, Some(&ca)).unwrap();
            assert!(link.is_tls(), "{mode}");
        }
        let refused =
            DatabaseLink::new("postgres://candor:secret@127.0.0.1/db?sslmode=bogus", None)
                .unwrap_err()
                .to_string();
        assert!(
            refused.contains("sslmode") && !refused.contains("secret"),
            "{refused}"
        );
    }

    #[test]
    fn a_server_elsewhere_is_reached_over_tls_whatever_the_url_prefers() {
        for url in [
            "postgres://candor@db.example.com/db",
            "postgres://candor@10.0.0.5:5432/db?sslmode=prefer",
            "postgres://candor@db.example.com/db?sslmode=require",
            // A name is not trusted to stay on this machine.
            "postgres://candor@db.localdomain/db",
            // Every host of a list must be local for plain text.
            "host=127.0.0.1,db.example.com user=candor",
            "host=localhost hostaddr=192.0.2.7 user=candor",
        ] {
            assert!(tls_for(url).unwrap(), "{url}");
        }
    }

    #[test]
    fn plain_text_across_the_network_is_refused_before_anything_is_sent() {
        let refused = tls_for("postgres://candor:secret@10.0.0.5/db?sslmode=disable").unwrap_err();
        assert!(matches!(refused, StorageError::Insecure(_)), "{refused:?}");
        let said = refused.to_string();
        assert!(
            said.contains("10.0.0.5") && said.contains("plain text"),
            "{said}"
        );
        assert!(
            !said.contains("secret"),
            "the password is not repeated: {said}"
        );
    }

    #[test]
    fn a_link_off_this_machine_refuses_an_authority_file_with_no_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("ca.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        let refused =
            DatabaseLink::new("postgres://candor@db.example.com/db", Some(&empty)).unwrap_err();
        assert!(matches!(refused, StorageError::Insecure(_)), "{refused:?}");
        // On this machine no authority is needed, so none is read.
        let local = DatabaseLink::new("postgres://candor@127.0.0.1/db", Some(&empty)).unwrap();
        assert!(!local.is_tls());
    }
}
