//! What the main window's web engine is asked to keep ready, on Linux
//! (WebKitGTK). Wry turns on what a browser tab might need: WebGL, Web Audio,
//! the back/forward page cache and a browser's memory cache. Candor's window is
//! one local page of text and small images, with no navigation, no canvas and
//! no sound, so it turns those off: less for a hostile message to reach, and
//! less memory held for nothing (`cargo xtask bench app` measures it).
//!
//! Compositing stays on, though painting on the CPU would keep less memory: with
//! `HardwareAccelerationPolicy::Never` WebKitGTK 2.50 delivered no mouse-wheel
//! events to the page at all (no `wheel` event, no scrolling; keys still
//! scrolled). `app_long_chat` turns a real wheel over the message list to hold
//! that.
//!
//! `bench/floor` includes this file, so that the floor it is measured against
//! is the same engine set up the same way.

/// Applies the settings above to `window`'s web view. Elsewhere than Linux the
/// system web view keeps its defaults.
pub fn set_up<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    window.with_webview(|webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{CacheModel, SettingsExt, WebContextExt, WebViewExt};
            let view = webview.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_enable_webgl(false);
                settings.set_enable_webaudio(false);
                settings.set_enable_page_cache(false);
            }
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    })
}
