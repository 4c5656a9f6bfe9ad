//! A nats-server of the test's own, from the distribution's package
//! (`cargo xtask test` installs it and names it in
//! `CANDOR_TEST_NATS_SERVER`), on a free loopback port, killed when dropped.
//! A test can kill it and start it again on the same port: the bus going
//! down and coming back.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Nats {
    addr: SocketAddr,
    server: Option<Child>,
    /// The certificate and key it serves TLS with, if it does.
    tls: Option<(PathBuf, PathBuf)>,
}

/// The nats-server binary.
fn binary() -> String {
    std::env::var("CANDOR_TEST_NATS_SERVER")
        .ok()
        .filter(|s| !s.is_empty())
        .expect("CANDOR_TEST_NATS_SERVER: the nats-server binary (cargo xtask test names it)")
}

impl Nats {
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// A server that takes only TLS, with the certificate `cert` (and its
    /// key `key`), PEM files.
    pub fn start_tls(cert: &Path, key: &Path) -> Self {
        Self::start_with(Some((cert.to_owned(), key.to_owned())))
    }

    fn start_with(tls: Option<(PathBuf, PathBuf)>) -> Self {
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let mut nats = Self {
            addr,
            server: None,
            tls,
        };
        nats.restart();
        nats
    }

    /// nats://… (or tls://…) to connect to.
    pub fn url(&self) -> String {
        match self.tls {
            Some(_) => format!("tls://{}", self.addr),
            None => format!("nats://{}", self.addr),
        }
    }

    /// Kills the server (as a crash would: no goodbye to its clients).
    pub fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }

    /// Starts the server (again) on its port, and waits until it listens.
    pub fn restart(&mut self) {
        self.kill();
        let mut command = Command::new(binary());
        command.args(["-a", "127.0.0.1", "-p", &self.addr.port().to_string()]);
        if let Some((cert, key)) = &self.tls {
            command
                .arg("--tls")
                .arg("--tlscert")
                .arg(cert)
                .arg("--tlskey")
                .arg(key);
        }
        let server = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        self.server = Some(server);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(self.addr).is_err() {
            assert!(Instant::now() < deadline, "nats-server listens within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}
