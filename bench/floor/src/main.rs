//! The floor that `cargo xtask bench app` measures Candor against: the same Tauri,
//! WebKit and window size, a blank page, and no store, sync, tray or UI. What
//! Candor costs beyond this is what Candor itself costs.
//!
//! With `CANDOR_REPORT_READY` set it prints `candor: interactive` when the page
//! has loaded, as the app does when its inbox is on screen.
//!
//! It sets up its web view with the app's own `webview.rs`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::io::Write;

use tauri::Manager;

// The app's web view settings, so that both run the same engine the same way.
#[path = "../../../src-tauri/src/webview.rs"]
mod webview;

fn main() {
    webview::prepare_process();
    let report = std::env::var_os("CANDOR_REPORT_READY").is_some();
    tauri::Builder::default()
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                webview::set_up(&window)?;
            }
            Ok(())
        })
        .on_page_load(move |_, payload| {
            if report && payload.event() == tauri::webview::PageLoadEvent::Finished {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "candor: interactive");
                let _ = out.flush();
            }
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("candor-floor: {e}");
            std::process::exit(1);
        });
}
