//! `cargo xtask test`: every check, in an order where each step's inputs exist.
//! Checks keep running after a failure so that one run reports everything; the last
//! line is a summary, and the exit code is non-zero if anything failed.
//!
//! All cargo steps select the whole workspace, so that features resolve the same
//! way in each and tauri is compiled once, not once per step.

use std::time::Instant;

use anyhow::Result;

use crate::binaries::TestBinaries;
use crate::cmd::{self, Cmd};
use crate::{bundle, services, setup};

struct Step {
    name: &'static str,
    /// A failed required step stops the run: later steps need what it makes.
    required: bool,
    run: Box<dyn FnOnce() -> Result<()>>,
}

impl Step {
    fn cmd(name: &'static str, required: bool, cmd: Cmd) -> Self {
        Self {
            name,
            required,
            run: Box::new(move || cmd.run()),
        }
    }
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

    let driver_for_packages = driver.clone();
    let steps = vec![
        Step::cmd("rustfmt", false, cmd::cargo(&["fmt", "--all", "--check"])),
        Step::cmd("ui build", true, cmd::npm(&["run", "build"])),
        Step {
            // The bundle settings of every system, as the Tauri CLI checks them.
            name: "tauri config",
            required: false,
            run: Box::new(bundle::check_config),
        },
        Step::cmd("svelte-check", false, cmd::npm(&["run", "check"])),
        Step::cmd("vitest", false, cmd::npm(&["test"])),
        Step::cmd(
            "clippy",
            false,
            cmd::cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        ),
        // The Windows code paths (`cfg(windows)` in the shell, the token vault,
        // the relay's binary), which no Linux build compiles: a Linux-only call
        // can't break the Windows build unseen. Its own target directory, so the
        // Linux builds above and below keep theirs.
        Step::cmd(
            "clippy (windows)",
            false,
            cmd::cargo(&[
                "clippy",
                "--target",
                setup::WINDOWS_TARGET,
                "--package",
                "candor-desktop",
                "--package",
                "candor-relay",
                "--",
                "-D",
                "warnings",
            ]),
        ),
        Step::cmd(
            "cargo build",
            true,
            cmd::cargo(&["build", "--workspace", "--all-targets"]),
        ),
        // Unit, store, migration, relay and end-to-end tests: the e2e crate runs
        // the relay binary built above with candor-core clients, and launches
        // the app under Xvfb through tauri-driver.
        Step::cmd(
            "cargo test",
            false,
            // --no-fail-fast: one failing test binary must not hide what the
            // binaries after it (the end-to-end tests among them) would say.
            cmd::cargo(&["test", "--workspace", "--no-fail-fast"])
                .env("CANDOR_APP_BINARY", &app)
                .env("CANDOR_RELAY_BINARY", &relay)
                .env("CANDOR_TAURI_DRIVER", &driver),
        ),
        Step {
            // The relay's suite again, on PostgreSQL: each test relay keeps
            // its data in a database of its own on a throwaway server. (The
            // data-directory tests are about the embedded store alone.)
            name: "relay tests on PostgreSQL",
            required: false,
            run: Box::new(relay_on_postgres),
        },
        Step {
            // The release build and the packages, as `cargo xtask bundle`
            // makes them but with less optimiser work (see `Optimised`).
            name: "bundle",
            required: true,
            run: Box::new(|| bundle::build(false, bundle::Optimised::ForPackageTest).map(drop)),
        },
        Step {
            // Installs them and uses the installed app (root: dpkg).
            name: "package install",
            required: false,
            run: Box::new(move || {
                let packages = bundle::built()?;
                TestBinaries::of_workspace()?
                    .suite(END_TO_END, "package")?
                    .args(&["--ignored"])
                    .env("CANDOR_APP_DEB", &packages.app_deb)
                    .env("CANDOR_RELAY_DEB", &packages.relay_deb)
                    .env("CANDOR_TAURI_DRIVER", &driver_for_packages)
                    .run()
            }),
        },
    ];

    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for step in steps {
        let t = Instant::now();
        println!("\n==> {}", step.name);
        match (step.run)() {
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

/// The relay's integration tests with `CANDOR_TEST_POSTGRES` set (see
/// crates/candor-relay/tests/support/postgres.rs).
fn relay_on_postgres() -> Result<()> {
    let tests = TestBinaries::of_workspace()?;
    let relay = |name: &str| tests.suite(RELAY, name);
    let server = services::Postgres::start("postgres-test", false)?;
    let mut runs = Vec::new();
    for suite in RELAY_SUITES {
        runs.push(relay(suite)?.env("CANDOR_TEST_POSTGRES", &server.url));
    }
    // Several relay nodes over one database, rung by it or over a bus of
    // each test's own, and their links to both over TLS (ignored without
    // the servers).
    runs.push(
        relay("cluster")?
            .args(&["--ignored"])
            .env("CANDOR_TEST_POSTGRES", &server.url)
            .env("CANDOR_TEST_POSTGRES_CA", &server.ca)
            .env("CANDOR_TEST_NATS_SERVER", services::nats_server()?),
    );
    let suites = every(runs);
    // The tests that stop and start a server need one of their own, and
    // run one at a time: a test's stop would be another's outage.
    let own = services::Postgres::start("postgres-restarted", false)?;
    let outages = relay("postgres")?
        .args(&["--ignored", "--test-threads=1"])
        .env("CANDOR_TEST_POSTGRES", &own.url)
        .env("CANDOR_TEST_POSTGRES_CTL", own.control_script()?)
        .run();
    // Three relay processes behind HAProxy, with the app's devices: on the
    // same server, after them (it restarts the server too).
    let three = tests
        .suite(END_TO_END, "three_nodes")?
        .args(&["--ignored"])
        .env("CANDOR_TEST_POSTGRES", &own.url)
        .env("CANDOR_TEST_POSTGRES_CTL", own.control_script()?)
        .env("CANDOR_TEST_NATS_SERVER", services::nats_server()?)
        .env("CANDOR_TEST_HAPROXY", services::haproxy()?)
        .env(
            "CANDOR_RELAY_BINARY",
            cmd::root().join("target/debug/candor-relay"),
        )
        .run();
    suites.and(outages).and(three)
}

/// Runs each to the end, as `cargo test --no-fail-fast` would: one failing
/// suite does not hide what the others say.
fn every(runs: Vec<Cmd>) -> Result<()> {
    let failed: Vec<String> = runs
        .into_iter()
        .filter_map(|run| run.run().err().map(|e| format!("{e:#}")))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{}", failed.join("; "))
    }
}

const RELAY: &str = "crates/candor-relay";
const END_TO_END: &str = "tests";

/// The relay's test binaries that run on either backend.
const RELAY_SUITES: &[&str] = &[
    "accounts", "attacks", "delivery", "operator", "photos", "sessions", "social", "storage",
];
