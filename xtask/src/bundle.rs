//! `cargo xtask bundle`: the installable packages, from one release build.
//!
//! - The app: a .deb and an .rpm made by the Tauri CLI from `src-tauri/tauri.conf.json`
//!   (icons, the desktop entry in `src-tauri/linux/candor.desktop`, the `candor://`
//!   scheme), and an AppImage with `--appimage`, which needs the Tauri CLI's helper
//!   tools (downloaded from GitHub on first use, so not on an offline machine).
//! - The relay: its own .deb (`packaging/relay/`), because a relay runs on a server
//!   for many people and the app on each person's desktop. It installs a systemd
//!   service that keeps its data under /var/lib/candor-relay.
//!
//! Both binaries come from one `cargo build --release` so that features resolve once;
//! the Tauri CLI then only packages (`tauri bundle`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cmd::{self, Cmd};
use crate::setup;

/// The cargo selection of the two shipped binaries. Every build of them uses
/// it (adding to it, never changing it), so that features resolve the same way
/// and nothing is compiled twice.
pub const APP_AND_RELAY: &[&str] = &[
    "--package",
    "candor-desktop",
    "--bin",
    "candor",
    "--package",
    "candor-relay",
    "--bin",
    "candor-relay",
];

/// What `build` made.
#[derive(Debug)]
pub struct Packages {
    pub app_deb: PathBuf,
    pub app_rpm: PathBuf,
    pub relay_deb: PathBuf,
}

pub fn run(args: &[String]) -> Result<()> {
    let appimage = match args.first().map(String::as_str) {
        None => false,
        Some("--appimage") => true,
        Some(other) => bail!("unknown option {other:?}; usage: cargo xtask bundle [--appimage]"),
    };
    setup::all(setup::Need::Run)?;
    let packages = build(appimage, Optimised::AsShipped)?;
    println!("\npackages:");
    for p in [&packages.app_deb, &packages.app_rpm, &packages.relay_deb] {
        let size = std::fs::metadata(p)?.len();
        println!("  {} ({:.1} MiB)", p.display(), size as f64 / 1_048_576.0);
    }
    Ok(())
}

/// How much work the release build's optimiser does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Optimised {
    /// The release profile as it is: what people install and what the benches
    /// measure.
    AsShipped,
    /// The same code, features and optimisation level, without the whole-program
    /// link-time pass and with more codegen units: for `cargo xtask test`, which
    /// checks what the packages install and that the installed app and relay run,
    /// not how fast. It saves minutes of a two-core run's release build.
    ForPackageTest,
}

/// Builds the UI and both release binaries, then the packages.
pub fn build(appimage: bool, optimised: Optimised) -> Result<Packages> {
    if !cfg!(target_os = "linux") {
        bail!(
            "cargo xtask bundle makes the Linux packages; on Windows and macOS run \
             `npm --prefix ui run tauri -- build` (see .github/workflows/release.yml)"
        );
    }
    setup::build_ui_if_stale()?;
    let mut release = cmd::cargo(&["build", "--release"]).args(APP_AND_RELAY);
    if optimised == Optimised::ForPackageTest {
        release = release
            .env("CARGO_PROFILE_RELEASE_LTO", "off")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16");
    }
    release.run()?;
    let root = cmd::root();
    let out = root.join("target/release/bundle");
    // Old packages of another version would be picked up below.
    for dir in ["deb", "rpm", "appimage", "relay"] {
        let d = out.join(dir);
        if d.exists() {
            std::fs::remove_dir_all(&d)?;
        }
    }
    let bundles = if appimage {
        "deb,rpm,appimage"
    } else {
        "deb,rpm"
    };
    Cmd::new(&root.join("ui/node_modules/.bin/tauri").to_string_lossy())
        .args(&["bundle", "--bundles", bundles, "--ci"])
        .dir("src-tauri")
        .run()
        .context("the Tauri CLI could not package the app")?;
    relay_deb(&root, &out.join("relay"))?;
    built()
}

/// The packages the last `build` made.
pub fn built() -> Result<Packages> {
    let out = cmd::root().join("target/release/bundle");
    Ok(Packages {
        app_deb: only_file(&out.join("deb"), ".deb")?,
        app_rpm: only_file(&out.join("rpm"), ".rpm")?,
        relay_deb: only_file(&out.join("relay"), ".deb")?,
    })
}

fn only_file(dir: &Path, suffix: &str) -> Result<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.to_string_lossy().ends_with(suffix) {
            found.push(path);
        }
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => bail!(
            "expected one {suffix} in {}, found {found:?}",
            dir.display()
        ),
    }
}

/// The version every package carries: the workspace's.
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Lays out the relay package's files and builds it with `dpkg-deb`.
fn relay_deb(root: &Path, out: &Path) -> Result<PathBuf> {
    let arch = Cmd::new("dpkg")
        .args(&["--print-architecture"])
        .output()
        .context("building the relay's .deb needs dpkg")?;
    let arch = arch.trim();
    let tree = out.join("tree");
    let src = root.join("packaging/relay");
    let files: &[(&Path, &str, u32)] = &[
        (
            &root.join("target/release/candor-relay"),
            "usr/bin/candor-relay",
            0o755,
        ),
        (
            &src.join("candor-relay.service"),
            "lib/systemd/system/candor-relay.service",
            0o644,
        ),
        (&src.join("default"), "etc/default/candor-relay", 0o644),
        (
            &src.join("copyright"),
            "usr/share/doc/candor-relay/copyright",
            0o644,
        ),
        (
            &src.join("README.md"),
            "usr/share/doc/candor-relay/README.md",
            0o644,
        ),
        (
            &src.join("haproxy.cfg"),
            "usr/share/doc/candor-relay/haproxy.cfg",
            0o644,
        ),
        (&src.join("postinst"), "DEBIAN/postinst", 0o755),
        (&src.join("prerm"), "DEBIAN/prerm", 0o755),
        (&src.join("postrm"), "DEBIAN/postrm", 0o755),
        (&src.join("conffiles"), "DEBIAN/conffiles", 0o644),
    ];
    for (from, to, mode) in files {
        let dest = tree.join(to);
        std::fs::create_dir_all(dest.parent().expect("a file in a directory"))?;
        std::fs::copy(from, &dest)
            .with_context(|| format!("copying {} to {}", from.display(), dest.display()))?;
        set_mode(&dest, *mode)?;
    }
    let control = std::fs::read_to_string(src.join("control"))?
        .replace("{{version}}", version())
        .replace("{{arch}}", arch)
        .replace("{{installed_size}}", &(dir_size(&tree)? / 1024).to_string());
    std::fs::write(tree.join("DEBIAN/control"), control)?;
    let deb = out.join(format!("candor-relay_{}_{arch}.deb", version()));
    Cmd::new("dpkg-deb")
        .args(&["--root-owner-group", "--build"])
        .args(&[&tree, &deb])
        .run()?;
    std::fs::remove_dir_all(&tree)?;
    Ok(deb)
}

fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<()> {
    Ok(())
}

/// Checks the app's Tauri configuration as the Tauri CLI does on each system:
/// the main file here, and the main file merged with each platform's file
/// (`tauri.windows.conf.json`, `tauri.macos.conf.json`), which only that system's
/// CLI would read. The CLI validates a configuration before any command; `inspect
/// wix-upgrade-code` is one that needs nothing built.
pub fn check_config() -> Result<()> {
    let root = cmd::root();
    let tauri = root.join("ui/node_modules/.bin/tauri");
    let tauri = tauri.to_string_lossy();
    Cmd::new(&tauri)
        .args(&["inspect", "wix-upgrade-code"])
        .dir("src-tauri")
        .run()?;
    let main: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        root.join("src-tauri/tauri.conf.json"),
    )?)?;
    for platform in ["windows", "macos"] {
        let file = root.join(format!("src-tauri/tauri.{platform}.conf.json"));
        let patch: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file)?)
            .with_context(|| format!("reading {}", file.display()))?;
        let mut merged = main.clone();
        merge(&mut merged, patch);
        // A stand-in crate beside the merged file: the CLI reads a Cargo.toml
        // after validating.
        let dir = root.join(format!("target/tauri-config/{platform}"));
        std::fs::create_dir_all(dir.join("src"))?;
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"candor\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
        )?;
        std::fs::write(dir.join("src/main.rs"), "fn main() {}\n")?;
        std::fs::write(
            dir.join("tauri.conf.json"),
            serde_json::to_string_pretty(&merged)?,
        )?;
        Cmd::new(&tauri)
            .args(&["inspect", "wix-upgrade-code"])
            .dir(format!("target/tauri-config/{platform}"))
            .run()
            .with_context(|| format!("the {platform} configuration is not valid"))?;
    }
    Ok(())
}

/// JSON merge patch (RFC 7396), as the Tauri CLI merges a platform's file.
fn merge(target: &mut serde_json::Value, patch: serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(t), serde_json::Value::Object(p)) => {
            for (key, value) in p {
                if value.is_null() {
                    t.remove(&key);
                } else {
                    merge(t.entry(key).or_insert(serde_json::Value::Null), value);
                }
            }
        }
        (t, p) => *t = p,
    }
}
