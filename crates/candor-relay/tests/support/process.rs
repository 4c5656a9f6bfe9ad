//! The relay binary as its own process, on a loopback port with a data
//! directory of its own: for what must be seen from outside (its memory) or
//! done through it (`candor-relay admin`).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use super::Relay;

const RELAY: &str = env!("CARGO_BIN_EXE_candor-relay");

/// The relay binary on a loopback port; killed when dropped.
pub struct Process {
    pub child: Child,
    pub relay: Relay,
    _dir: tempfile::TempDir,
    /// Its data directory, in `_dir`: not made before the relay starts, as
    /// on a new server, so the relay must make it.
    data: std::path::PathBuf,
}

impl Process {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts the relay with `args` added to its command line.
    pub fn start_with(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("relay");
        let mut command = Command::new(RELAY);
        if let Some(url) = super::postgres::database_for(&data) {
            command.arg("--database-url").arg(url);
        }
        let mut child = command
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(&data)
            .args(args)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the relay");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let addr: SocketAddr = loop {
            line.clear();
            assert!(
                out.read_line(&mut line).expect("read") > 0,
                "the relay ended without listening"
            );
            if line.contains("relay listening") {
                let at = line.split("address=").nth(1).expect("the address");
                break at
                    .split_whitespace()
                    .next()
                    .expect("address")
                    .parse()
                    .expect("a socket address");
            }
        };
        // Keep draining its log, so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in out.lines() {});
        Self {
            child,
            relay: Relay::at(addr),
            _dir: dir,
            data,
        }
    }

    /// The relay's resident memory, in bytes.
    pub fn resident(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the relay's status");
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmRSS");
        kib * 1024
    }

    /// The relay's data directory.
    pub fn data(&self) -> &std::path::Path {
        &self.data
    }

    /// Runs `candor-relay admin <args>` against this relay; its output, or
    /// what it printed on failing.
    pub fn admin(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(RELAY)
            .arg("admin")
            .args(args)
            .arg("--data")
            .arg(self.data())
            .output()
            .expect("run candor-relay admin");
        let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
        if out.status.success() {
            Ok(text(&out.stdout))
        } else {
            Err(text(&out.stderr))
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
