//! Generates the permissions of the app's own commands: a command not listed here
//! cannot be called from any window, and capabilities/ grants them one by one.

/// Every command the UI may call (see commands.in).
const COMMANDS: &[&str] = include!("commands.in");

fn main() {
    println!("cargo:rerun-if-changed=commands.in");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
