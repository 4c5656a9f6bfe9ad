//! The processes a test starts: an X display and tauri-driver. Both are stopped on
//! drop with SIGTERM (then waited for), never left behind.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// A private Xvfb display.
#[derive(Debug)]
pub struct Display {
    number: u32,
    child: Child,
}

impl Display {
    pub fn start() -> Result<Self> {
        for number in 90..400 {
            if Path::new(&format!("/tmp/.X{number}-lock")).exists() {
                continue;
            }
            let mut child = Command::new("Xvfb")
                .arg(format!(":{number}"))
                .args(["-screen", "0", "1280x800x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("starting Xvfb (is the xvfb package installed?)")?;
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if socket.exists() {
                    return Ok(Self { number, child });
                }
                if child.try_wait()?.is_some() || Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        bail!("no free X display number for Xvfb")
    }

    pub fn name(&self) -> String {
        format!(":{}", self.number)
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// tauri-driver on a free port, with its own environment for the app it starts.
#[derive(Debug)]
pub struct TauriDriver {
    port: u16,
    child: Child,
}

impl TauriDriver {
    pub fn start(display: &Display, data_home: &Path) -> Result<Self> {
        let binary = std::env::var_os("CANDOR_TAURI_DRIVER")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tauri-driver"))
            })
            .filter(|p| p.is_file())
            .unwrap_or_else(|| PathBuf::from("tauri-driver"));
        for dir in ["config", "cache"] {
            std::fs::create_dir_all(data_home.join(dir))?;
        }
        let port = free_port()?;
        let native_port = free_port()?;
        let child = Command::new(&binary)
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .env("DISPLAY", display.name())
            .env("XDG_DATA_HOME", data_home)
            .env("XDG_CONFIG_HOME", data_home.join("config"))
            .env("XDG_CACHE_HOME", data_home.join("cache"))
            // Never write test tokens into a real keychain: use the owner-only file.
            .env("CANDOR_NO_KEYCHAIN", "1")
            // Not WEBKIT_DISABLE_COMPOSITING_MODE: with it, WebKitWebDriver's
            // screenshot request hangs (seen with webkit2gtk 4.1 under Xvfb).
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} (cargo xtask test installs it)",
                    binary.display()
                )
            })?;
        let mut driver = Self { port, child };
        // tauri-driver listens at once, but forwards to WebKitWebDriver, which it
        // starts on the native port: a session requested before that one listens
        // fails. Wait for both.
        let deadline = Instant::now() + Duration::from_secs(20);
        for p in [port, native_port] {
            while TcpStream::connect(("127.0.0.1", p)).is_err() {
                if driver.child.try_wait()?.is_some() {
                    bail!("tauri-driver exited before port {p} listened");
                }
                if Instant::now() > deadline {
                    bail!("tauri-driver's port {p} did not listen within 20 s");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(driver)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// SIGTERM, then wait up to 5 s, then SIGKILL as a last resort.
fn terminate(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}
