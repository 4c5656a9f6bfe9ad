//! A local relay for `cargo xtask run`: started when nothing answers on the
//! default address, stopped when the app quits.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cmd;

/// Where the app's sign-up screen looks first.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7878";

/// A relay this task started; stopped (SIGTERM) on drop.
#[derive(Debug)]
pub struct LocalRelay {
    child: Child,
}

impl Drop for LocalRelay {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// True if a Candor relay answers `GET /healthz` at `addr`.
pub fn answers(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200") && response.ends_with("ok")
}

/// The relay's data directory for local use: beside the app's profiles.
fn data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| cmd::root().join("target"));
    base.join("candor-relay-local")
}

/// Makes sure a relay answers on [`DEFAULT_ADDR`]; starts one if none does.
pub fn ensure_local() -> Result<Option<LocalRelay>> {
    let addr: SocketAddr = DEFAULT_ADDR.parse()?;
    if answers(addr) {
        println!("xtask: a relay already answers on {addr}");
        return Ok(None);
    }
    start(DEFAULT_ADDR, &data_dir()).map(Some)
}

/// Starts the relay binary on `listen` with its data in `data`, and waits until it
/// answers.
pub fn start(listen: &str, data: &std::path::Path) -> Result<LocalRelay> {
    start_with(listen, data, &[])
}

/// Like `start`, with `args` added to the relay's command line.
pub fn start_with(listen: &str, data: &std::path::Path, args: &[&str]) -> Result<LocalRelay> {
    let addr: SocketAddr = listen.parse()?;
    let binary = cmd::root().join("target/debug/candor-relay");
    println!(
        "xtask: starting a relay on {addr} (data in {})",
        data.display()
    );
    let child = Command::new(&binary)
        .args(["--listen", listen, "--data"])
        .arg(data)
        .args(args)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let relay = LocalRelay { child };
    let deadline = Instant::now() + Duration::from_secs(15);
    while !answers(addr) {
        if Instant::now() > deadline {
            bail!("the relay did not answer on {addr} within 15 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(relay)
}
