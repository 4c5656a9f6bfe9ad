//! Generates the permissions of the app's own commands: a command not listed here
//! cannot be called from any window, and capabilities/ grants them one by one.

fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&["app_info", "inbox_page", "conversation_page"]),
    ))
    .expect("tauri build script");
}
