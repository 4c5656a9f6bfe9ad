//! `cargo xtask bench …`: benchmarks, always in release mode. Not part of `test`.

use anyhow::{Context, Result, bail};

use crate::cmd;

pub fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("store") => {
            cmd::cargo(&["bench", "--package", "candor-core", "--bench", "store"]).run()
        }
        Some("photo") => {
            cmd::cargo(&["bench", "--package", "candor-core", "--bench", "photo"]).run()
        }
        Some("relay") => relay(&args[1..]),
        Some("ui") => ui(),
        Some("app") => app(),
        other => bail!("unknown benchmark {other:?}; available: store, photo, relay, ui, app"),
    }
}

/// The relay against the bare forwarder; with `--backend postgres`, the
/// relay on a throwaway PostgreSQL server (durable, as in service) too, as
/// one node and as `--nodes N` (3) nodes, rung by the database or, with
/// `--bus nats`, over a throwaway nats-server.
fn relay(args: &[String]) -> Result<()> {
    let bench = || cmd::cargo(&["bench", "--package", "candor-relay", "--bench", "relay"]);
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["--backend", "sqlite"] => bench().run(),
        // Photo blobs up and down against a plain file copy.
        ["--blobs"] => {
            cmd::cargo(&["bench", "--package", "candor-relay", "--bench", "blobs"]).run()
        }
        // Idle connections held by one node: memory each, and latency.
        ["--idle", n] if n.parse::<usize>().is_ok_and(|n| n >= 1) => {
            cmd::cargo(&["bench", "--package", "candor-relay", "--bench", "idle"])
                .env("CANDOR_BENCH_IDLE", n)
                .run()
        }
        ["--backend", "postgres", rest @ ..] => {
            // The same relay as several nodes over the one database too
            // (3 unless told): what delivering each other's messages costs.
            let (mut nodes, mut bus) = ("3", false);
            let mut rest = rest;
            loop {
                match rest {
                    [] => break,
                    ["--nodes", n, more @ ..] if n.parse::<usize>().is_ok_and(|n| n >= 1) => {
                        nodes = n;
                        rest = more;
                    }
                    ["--bus", "nats", more @ ..] => {
                        bus = true;
                        rest = more;
                    }
                    other => bail!(
                        "bench relay --backend postgres takes --nodes N and --bus nats, not {other:?}"
                    ),
                }
            }
            crate::setup::all(crate::setup::Need::Test)?;
            let server = crate::services::Postgres::start("postgres-bench", true)?;
            let nats = bus.then(crate::services::Nats::start).transpose()?;
            let mut run = bench();
            run = run
                .env("CANDOR_BENCH_POSTGRES", &server.url)
                .env("CANDOR_BENCH_NODES", nodes);
            if let Some(nats) = &nats {
                run = run.env("CANDOR_BENCH_NATS", &nats.url);
            }
            run.run()
        }
        other => bail!(
            "bench relay takes --backend sqlite|postgres [--nodes N] [--bus nats], --idle N or --blobs, not {other:?}"
        ),
    }
}

/// The chat view in the release app, under Xvfb through tauri-driver: the same
/// set-up as the end-to-end tests, with the release binary.
fn ui() -> Result<()> {
    crate::setup::all(crate::setup::Need::Test)?;
    cmd::npm(&["run", "build"]).run()?;
    cmd::cargo(&["build", "--release"])
        .args(crate::bundle::APP_AND_RELAY)
        .run()?;
    let root = cmd::root();
    cmd::cargo(&["bench", "--package", "candor-e2e", "--bench", "ui"])
        .env("CANDOR_APP_BINARY", root.join("target/release/candor"))
        .run()
}

/// Start-up time, memory and package size of the release app against
/// bench/floor (a blank Tauri window) from the same build: the packages first,
/// then the floor's binary and .deb, then the measuring harness.
fn app() -> Result<()> {
    crate::setup::all(crate::setup::Need::Test)?;
    let packages = crate::bundle::build(false, crate::bundle::Optimised::AsShipped)?;
    // The same selection as the bundle's build plus the floor, so that tauri
    // resolves the same features and only the floor compiles.
    cmd::cargo(&["build", "--release"])
        .args(crate::bundle::APP_AND_RELAY)
        .args(&["--package", "candor-floor", "--bin", "candor-floor"])
        .run()?;
    let root = cmd::root();
    let tauri = root.join("ui/node_modules/.bin/tauri");
    cmd::Cmd::new(&tauri.to_string_lossy())
        .args(&["bundle", "--bundles", "deb", "--ci"])
        .dir("bench/floor")
        .run()?;
    // Moved out of the app's bundle directory, where `bundle::built` looks.
    let floor_dir = root.join("target/release/bundle/floor");
    std::fs::create_dir_all(&floor_dir)?;
    let mut floor_deb = None;
    for entry in std::fs::read_dir(root.join("target/release/bundle/deb"))? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if let Some(name) = name.filter(|n| n.starts_with("Candor Floor") && n.ends_with(".deb")) {
            let dest = floor_dir.join(name);
            std::fs::rename(&path, &dest)?;
            floor_deb = Some(dest);
        }
    }
    let floor_deb = floor_deb.context("the Tauri CLI made no .deb for the floor")?;
    cmd::cargo(&["bench", "--package", "candor-e2e", "--bench", "app"])
        .env("CANDOR_APP_BINARY", root.join("target/release/candor"))
        .env(
            "CANDOR_FLOOR_BINARY",
            root.join("target/release/candor-floor"),
        )
        .env("CANDOR_APP_DEB", &packages.app_deb)
        .env("CANDOR_FLOOR_DEB", &floor_deb)
        .run()
}
