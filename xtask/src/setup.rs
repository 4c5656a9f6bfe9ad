//! Making a fresh machine ready: system packages (Debian/Ubuntu), tauri-driver and
//! the UI's npm packages. Each step checks first and does nothing when already done,
//! so `run` and `test` can always call it.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::cmd::{self, Cmd};

/// What the machine must be able to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Build and open the app.
    Run,
    /// Also run the end-to-end tests (Xvfb, WebDriver).
    Test,
}

/// Debian packages to build and open the app (Tauri's Linux prerequisites).
const BUILD_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "curl",
    "wget",
    "file",
    "libwebkit2gtk-4.1-dev",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    // Emoji in color: reactions and the emoji picker (the .deb depends on it
    // too).
    "fonts-noto-color-emoji",
];

/// Debian packages for the end-to-end tests: a virtual display and WebKit's
/// WebDriver, which tauri-driver drives; a private session bus and a real
/// notification server (dunst) for the desktop tests, and another X window
/// (xmessage) with xdotool to move the focus away from Candor's; xdg-open,
/// which "open in the browser" goes through (tests point $BROWSER at a
/// recorder); desktop-file-utils and systemd (systemd-analyze), to check the
/// installed desktop entry and the relay's service; PostgreSQL,
/// nats-server and HAProxy.
const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "dunst",
    "x11-utils",
    "xdotool",
    "xdg-utils",
    "desktop-file-utils",
    "systemd",
    // The relay's shared backend: the suite runs again on a throwaway
    // PostgreSQL server (`services`).
    "postgresql",
    // The bus between relay nodes, and a load balancer in front of them:
    // the cluster tests start their own (`services::nats_server`,
    // `services::haproxy`).
    "nats-server",
    "haproxy",
    // The Windows cross-check (`windows_target`): the linker and C compiler
    // that the -sys crates build with for x86_64-pc-windows-gnu.
    "gcc-mingw-w64-x86-64",
];

/// The Rust target the Windows code paths are checked for on this machine.
pub const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";

pub fn all(need: Need) -> Result<()> {
    check_node()?;
    system_packages(need)?;
    if need == Need::Test {
        tauri_driver()?;
        windows_target()?;
    }
    npm_packages()?;
    Ok(())
}

fn check_node() -> Result<()> {
    let version = Cmd::new("node")
        .args(&["--version"])
        .output()
        .context("Node.js 20 or newer is required (https://nodejs.org) and `node` was not found")?;
    let major: u32 = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        bail!("Node.js 20 or newer is required; found {}", version.trim());
    }
    Ok(())
}

fn system_packages(need: Need) -> Result<()> {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    let mut wanted: Vec<&str> = BUILD_PACKAGES.to_vec();
    if need == Need::Test {
        wanted.extend_from_slice(TEST_PACKAGES);
    }
    let has_dpkg = Cmd::new("dpkg-query").args(&["--version"]).succeeds();
    if !has_dpkg {
        println!(
            "xtask: not a Debian/Ubuntu system; make sure the equivalents of these are installed: {}",
            wanted.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = wanted
        .into_iter()
        .filter(|p| {
            Cmd::new("dpkg-query")
                .args(&["-W", "-f=${Status}", p])
                .output()
                .map(|s| !s.contains("install ok installed"))
                .unwrap_or(true)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("xtask: installing system packages: {}", missing.join(" "));
    let is_root = Cmd::new("id")
        .args(&["-u"])
        .output()
        .map(|s| s.trim() == "0")
        .unwrap_or(false);
    let apt = |args: &[&str]| -> Cmd {
        if is_root {
            Cmd::new("apt-get").args(args)
        } else {
            Cmd::new("sudo").args(&["apt-get"]).args(args)
        }
    };
    apt(&["update", "-q"]).run()?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(missing.iter().copied());
    apt(&install)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()
        .context("installing system packages failed")
}

/// Where cargo installs binaries.
fn cargo_bin_dir() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin"))
}

/// The tauri-driver binary, installed with cargo if it is not there yet.
pub fn tauri_driver() -> Result<PathBuf> {
    let path = cargo_bin_dir()
        .map(|d| d.join("tauri-driver"))
        .context("cannot tell where cargo installs binaries (set CARGO_HOME or HOME)")?;
    if !path.is_file() {
        cmd::cargo(&["install", "tauri-driver", "--locked", "--version", "^2"]).run()?;
    }
    Ok(path)
}

/// The Rust standard library for [`WINDOWS_TARGET`], added with rustup when it
/// is not there yet, so that `cargo xtask test` can run clippy on the Windows
/// code paths (`cfg(windows)`) that nothing else on Linux compiles.
fn windows_target() -> Result<()> {
    let installed = Cmd::new("rustup")
        .args(&["target", "list", "--installed"])
        .output()
        .context("rustup is needed to add the Windows target for the cross-check")?;
    if installed.lines().any(|l| l.trim() == WINDOWS_TARGET) {
        return Ok(());
    }
    Cmd::new("rustup")
        .args(&["target", "add", WINDOWS_TARGET])
        .run()
        .context("adding the Windows target with rustup failed")
}

/// `npm ci` in ui/, skipped when node_modules already matches package-lock.json.
fn npm_packages() -> Result<()> {
    let root = cmd::root();
    let lock = std::fs::read(root.join("ui/package-lock.json"))
        .context("ui/package-lock.json is missing")?;
    let stamp = root.join("ui/node_modules/.candor-lock-stamp");
    if std::fs::read(&stamp).is_ok_and(|s| s == lock) {
        return Ok(());
    }
    cmd::npm(&["ci", "--no-audit", "--no-fund"]).run()?;
    std::fs::write(&stamp, &lock)?;
    Ok(())
}

/// Builds the UI into ui/dist, which the app embeds at compile time.
pub fn build_ui() -> Result<()> {
    cmd::npm(&["run", "build"]).run()
}

/// Builds the UI unless ui/dist is newer than every file it is built from: a
/// rewritten dist/ makes cargo embed it again, which costs a release build
/// minutes of linking.
pub fn build_ui_if_stale() -> Result<()> {
    let ui = cmd::root().join("ui");
    let built = std::fs::metadata(ui.join("dist/index.html")).and_then(|m| m.modified());
    let Ok(built) = built else {
        return build_ui();
    };
    let mut sources = vec![ui.join("src")];
    for file in [
        "index.html",
        "package-lock.json",
        "vite.config.ts",
        "svelte.config.js",
        "tsconfig.json",
    ] {
        sources.push(ui.join(file));
    }
    if newest(&sources)? > Some(built) {
        build_ui()
    } else {
        Ok(())
    }
}

/// The newest modification time of the files at or under `paths`.
fn newest(paths: &[PathBuf]) -> Result<Option<std::time::SystemTime>> {
    let mut newest = None;
    let mut todo: Vec<PathBuf> = paths.to_vec();
    while let Some(path) = todo.pop() {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                todo.push(entry?.path());
            }
        } else {
            newest = newest.max(Some(meta.modified()?));
        }
    }
    Ok(newest)
}
