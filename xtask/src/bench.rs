//! `cargo xtask bench …`: benchmarks, always in release mode. Not part of `test`.

use anyhow::{Result, bail};

use crate::cmd;

pub fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("store") => {
            cmd::cargo(&["bench", "--package", "candor-core", "--bench", "store"]).run()
        }
        Some("relay") => {
            cmd::cargo(&["bench", "--package", "candor-relay", "--bench", "relay"]).run()
        }
        Some("ui") => ui(),
        other => bail!("unknown benchmark {other:?}; available: store, relay, ui"),
    }
}

/// The chat view in the release app, under Xvfb through tauri-driver: the same
/// set-up as the end-to-end tests, with the release binary.
fn ui() -> Result<()> {
    crate::setup::all(crate::setup::Need::Test)?;
    cmd::npm(&["run", "build"]).run()?;
    cmd::cargo(&["build", "--release", "--package", "candor-desktop"]).run()?;
    let root = cmd::root();
    cmd::cargo(&["bench", "--package", "candor-e2e", "--bench", "ui"])
        .env("CANDOR_APP_BINARY", root.join("target/release/candor"))
        .run()
}
