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
        other => bail!("unknown benchmark {other:?}; available: store, relay"),
    }
}
