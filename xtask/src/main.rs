//! `cargo xtask …`: the project's tasks, written in Rust so they run wherever cargo
//! does.
//!
//! - `run`: set up a fresh machine, build, start a local relay if none answers on
//!   127.0.0.1:7878, and open Candor.
//! - `test`: set up a fresh machine and run every check, ending with a summary line.
//! - `demo [--nodes N]`: a relay (or N nodes behind a load balancer) and two
//!   windows, Alice and Bob, signed in and in one chat.
//! - `bench store|relay|ui|app`: benchmarks (release build), against a floor where one exists.
//! - `soak --minutes N`: the delivery fault-injection harness on fresh random
//!   seeds until time is up; fails on the first violation. `soak --seed SEED`
//!   replays one schedule.
//! - `bundle`: the release packages (.deb, .rpm; the relay's .deb).
//! - `bindings`: regenerate ui/src/lib/bindings.ts from the Rust types.

mod bench;
mod binaries;
mod bundle;
mod cmd;
mod demo;
mod relay;
mod services;
mod setup;
mod test;

use anyhow::{Result, bail};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run [--profile NAME] [-- APP-ARGS]   set up, build, start a local relay, open Candor
  test                                 set up and run every check
  demo [--nodes N]                     a relay and two signed-in windows (Alice, Bob);
                                       with N > 1, N nodes behind HAProxy
  bench store                          store benchmark (release build)
  bench relay [--backend postgres]     relay benchmark vs a bare forwarder (release build);
                                       with postgres, also on a throwaway PostgreSQL server
               [--nodes N] [--bus nats]  as N nodes (3), rung over NATS
  bench relay --idle N                 N idle connections to one node: memory, latency
  bench ui                             a 100,000-message chat in the release app (Xvfb)
  bench app                            start-up time and memory vs a blank Tauri app (Xvfb)
  soak [--minutes N | --seed SEED]     fault injection on fresh random seeds (default 10 min),
                                       or one seed replayed
  bundle [--appimage]                  release build, .deb and .rpm of the app, .deb of the relay
  bindings                             regenerate ui/src/lib/bindings.ts
  setup                                install system packages, tauri-driver, npm packages";

fn main() {
    if let Err(e) = real_main() {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = args
        .split_first()
        .map_or(("", &[][..]), |(c, r)| (c.as_str(), r));
    match command {
        "run" => run(rest),
        "test" => test::run_all(),
        "bench" => bench::run(rest),
        "soak" => soak(rest),
        "bundle" => bundle::run(rest),
        "bindings" => bindings(),
        "demo" => demo::run(rest),
        "setup" => {
            setup::all(setup::Need::Test)?;
            Ok(())
        }
        "" | "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
}

fn run(args: &[String]) -> Result<()> {
    setup::all(setup::Need::Run)?;
    setup::build_ui()?;
    cmd::cargo(&["build"]).args(bundle::APP_AND_RELAY).run()?;
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        bail!(
            "no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set); \
             run this in a desktop session, or under `xvfb-run -a cargo xtask run`"
        );
    }
    // Kept alive until the app quits, then stopped.
    let _relay = relay::ensure_local()?;
    let app = cmd::root().join("target/debug/candor");
    let app_args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--")
        .collect();
    cmd::Cmd::new(app.to_string_lossy().as_ref())
        .args(&app_args)
        .run()
}

/// Runs the nemesis (tests/src/nemesis) on fresh random seeds for `--minutes`,
/// printing each seed and its verdict; exits non-zero on the first violation.
fn soak(args: &[String]) -> Result<()> {
    const SOAK_USAGE: &str = "usage: cargo xtask soak [--minutes N | --seed SEED]";
    // Either fresh seeds for N minutes, or one seed replayed (a failing one
    // that a soak printed).
    let (var, value) = match args {
        [] => ("CANDOR_SOAK_MINUTES", "10".to_owned()),
        [flag, n] if flag == "--minutes" => {
            n.parse::<u64>()
                .map_err(|_| anyhow::anyhow!("--minutes takes a whole number, not {n:?}"))?;
            ("CANDOR_SOAK_MINUTES", n.clone())
        }
        [flag, seed] if flag == "--seed" => {
            seed.parse::<u64>()
                .map_err(|_| anyhow::anyhow!("--seed takes a whole number, not {seed:?}"))?;
            ("CANDOR_SOAK_SEED", seed.clone())
        }
        _ => bail!(SOAK_USAGE),
    };
    setup::all(setup::Need::Run)?;
    cmd::cargo(&["build", "--package", "candor-relay"]).run()?;
    let relay = cmd::root().join("target/debug/candor-relay");
    cmd::cargo(&[
        "test",
        "--package",
        "candor-e2e",
        "--test",
        "nemesis",
        "soak",
        "--",
        "--ignored",
        "--nocapture",
    ])
    .env("CANDOR_RELAY_BINARY", &relay)
    .env(var, value)
    .run()
}

fn bindings() -> Result<()> {
    setup::build_ui()?;
    cmd::cargo(&[
        "test",
        "--package",
        "candor-desktop",
        "--lib",
        "bindings::tests::committed_bindings_match_the_rust_types",
    ])
    .env("CANDOR_UPDATE_BINDINGS", "1")
    .run()?;
    println!("wrote ui/src/lib/bindings.ts");
    Ok(())
}
