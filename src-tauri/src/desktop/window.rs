//! The main window: bringing it forward, from the tray, a notification, a
//! second launch or a quit that has a question to ask.

use tauri::{AppHandle, Manager, Runtime};

/// Brings the main window to the front.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
