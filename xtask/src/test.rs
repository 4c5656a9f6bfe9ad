//! `cargo xtask test`: every check, in an order where each step's inputs exist.
//! Checks keep running after a failure so that one run reports everything; the last
//! line is a summary, and the exit code is non-zero if anything failed.
//!
//! All cargo steps select the whole workspace, so that features resolve the same
//! way in each and tauri is compiled once, not once per step.

use std::time::Instant;

use anyhow::Result;

use crate::cmd::{self, Cmd};
use crate::setup;

struct Step {
    name: &'static str,
    /// A failed required step stops the run: later steps need what it makes.
    required: bool,
    cmd: Cmd,
}

pub fn run_all() -> Result<()> {
    let started = Instant::now();
    setup::all(setup::Need::Test)?;
    let driver = setup::tauri_driver()?;
    let app = cmd::root().join("target/debug/candor");
    let relay = cmd::root().join("target/debug/candor-relay");
    // Screenshots are what this run saw: none left from an earlier one.
    let shots = cmd::root().join("target/e2e-screenshots");
    if shots.exists() {
        std::fs::remove_dir_all(&shots)?;
    }

    let steps = vec![
        Step {
            name: "rustfmt",
            required: false,
            cmd: cmd::cargo(&["fmt", "--all", "--check"]),
        },
        Step {
            name: "ui build",
            required: true,
            cmd: cmd::npm(&["run", "build"]),
        },
        Step {
            name: "svelte-check",
            required: false,
            cmd: cmd::npm(&["run", "check"]),
        },
        Step {
            name: "vitest",
            required: false,
            cmd: cmd::npm(&["test"]),
        },
        Step {
            name: "clippy",
            required: false,
            cmd: cmd::cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        },
        Step {
            name: "cargo build",
            required: true,
            cmd: cmd::cargo(&["build", "--workspace", "--all-targets"]),
        },
        Step {
            // Unit, store, migration, relay and end-to-end tests: the e2e crate runs
            // the relay binary built above with candor-core clients, and launches
            // the app under Xvfb through tauri-driver.
            name: "cargo test",
            required: false,
            cmd: cmd::cargo(&["test", "--workspace"])
                .env("CANDOR_APP_BINARY", &app)
                .env("CANDOR_RELAY_BINARY", &relay)
                .env("CANDOR_TAURI_DRIVER", &driver),
        },
    ];

    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for step in steps {
        let t = Instant::now();
        println!("\n==> {}", step.name);
        match step.cmd.run() {
            Ok(()) => {
                println!("==> {} ok ({:.0?})", step.name, t.elapsed());
                passed.push(step.name);
            }
            Err(e) => {
                println!("==> {} FAILED ({:.0?}): {e:#}", step.name, t.elapsed());
                failed.push(step.name);
                if step.required {
                    break;
                }
            }
        }
    }
    println!("\nxtask test took {:.0?}", started.elapsed());
    if !failed.is_empty() {
        println!("failed: {}", failed.join(", "));
    }
    println!("checks: {} passed, {} failed", passed.len(), failed.len());
    if failed.is_empty() {
        Ok(())
    } else {
        std::process::exit(1)
    }
}
