//! The processes a test starts: an X display, a private D-Bus session bus, a
//! notification server, and tauri-driver. All are stopped on drop with SIGTERM
//! (then waited for), never left behind.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The environment of a program started on a test's desktop: its display and
/// session bus, its XDG directories under `data_home`, no keychain (test tokens
/// go to the owner-only file) and no accessibility bus (there is none on the
/// private one: don't look for it).
pub fn desktop_env(
    display: &Display,
    bus: &SessionBus,
    data_home: &Path,
) -> Vec<(&'static str, std::ffi::OsString)> {
    vec![
        ("DISPLAY", display.name().into()),
        ("DBUS_SESSION_BUS_ADDRESS", bus.address().into()),
        ("XDG_DATA_HOME", data_home.into()),
        ("XDG_CONFIG_HOME", data_home.join("config").into()),
        ("XDG_CACHE_HOME", data_home.join("cache").into()),
        ("CANDOR_NO_KEYCHAIN", "1".into()),
        ("NO_AT_BRIDGE", "1".into()),
    ]
}

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

/// A private D-Bus session bus, so that the app's single-instance lock and its
/// notifications meet only this test's processes.
#[derive(Debug)]
pub struct SessionBus {
    address: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl SessionBus {
    pub fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let socket = dir.path().join("bus");
        let address = format!("unix:path={}", socket.display());
        // No service directories: nothing is started on demand, so only what the
        // test starts answers (the system's dunst.service would start a second,
        // display-less dunst).
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
            ),
        )?;
        let mut child = Command::new("dbus-daemon")
            .args(["--nofork", "--nopidfile"])
            .arg(format!("--config-file={}", config.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting dbus-daemon (the dbus package)")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            if child.try_wait()?.is_some() || Instant::now() > deadline {
                let _ = child.kill();
                bail!("dbus-daemon did not start");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self {
            address,
            child,
            _dir: dir,
        })
    }

    pub fn address(&self) -> &str {
        &self.address
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// dunst, a real freedesktop notification server, on a display and bus; the
/// notifications it shows are read back with `dunstctl`.
#[derive(Debug)]
pub struct Notifier {
    child: Child,
    display: String,
    bus: String,
}

impl Notifier {
    pub fn start(display: &Display, bus: &SessionBus) -> Result<Self> {
        let child = Command::new("dunst")
            .env("DISPLAY", display.name())
            .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting dunst (cargo xtask test installs it)")?;
        let notifier = Self {
            child,
            display: display.name(),
            bus: bus.address().to_owned(),
        };
        // Ready once it owns the notification service's name on the bus.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !notifier.owns_name()? {
            if Instant::now() > deadline {
                bail!("dunst did not come up on the test bus");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(notifier)
    }

    fn owns_name(&self) -> Result<bool> {
        let out = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply=literal",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.Notifications",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .output()?;
        Ok(String::from_utf8_lossy(&out.stdout).contains("true"))
    }

    /// Runs `dunstctl ARGS` against this server and returns its output.
    pub fn ctl(&self, args: &[&str]) -> Result<String> {
        let out = Command::new("dunstctl")
            .args(args)
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .output()?;
        if !out.status.success() {
            bail!(
                "dunstctl {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// Where the test browser (`$BROWSER`) writes each address it is asked to open,
/// under the app's data home.
pub const BROWSER_LOG: &str = "browser-opened.txt";

/// tauri-driver on a free port, with its own environment for the app it starts.
#[derive(Debug)]
pub struct TauriDriver {
    port: u16,
    child: Child,
}

impl TauriDriver {
    pub fn start(
        display: &Display,
        bus: &SessionBus,
        data_home: &Path,
        env: &[(&str, &str)],
    ) -> Result<Self> {
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
        // "Open in the browser" goes to a recorder, never to a real browser.
        let browser = data_home.join("browser");
        std::fs::write(
            &browser,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\n",
                data_home.join(BROWSER_LOG).display()
            ),
        )?;
        std::fs::set_permissions(
            &browser,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )?;
        let child = Command::new(&binary)
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .envs(desktop_env(display, bus, data_home))
            .env("BROWSER", &browser)
            // Card details never come from the real platforms in tests: a
            // closed local port, unless a test serves a stand-in.
            .env("CANDOR_OEMBED_ORIGIN", "http://127.0.0.1:9")
            .envs(env.iter().copied())
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
