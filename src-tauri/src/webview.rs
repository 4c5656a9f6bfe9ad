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
//! The page is painted by Skia on the CPU ([`prepare_process`]) and composited
//! on the GPU. A list of text bubbles paints quickly on the CPU, and Skia's GPU
//! painting keeps a GL context with its caches in the web process: on a machine
//! without a GPU (Mesa's llvmpipe) that was 25 MiB more when idle and 35 MiB more
//! after opening 20 chats.
//!
//! `bench/floor` includes this file, so that the floor it is measured against
//! is the same engine set up the same way.

/// WebKitGTK's switch for painting on the CPU; the web process reads it when it
/// starts, so it has to be in the environment before the first web view.
#[cfg(target_os = "linux")]
const CPU_RENDERING: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";

/// Sets up the environment the web processes inherit (see above). A value
/// already there wins: `WEBKIT_SKIA_ENABLE_CPU_RENDERING=0` brings GPU painting
/// back. Call it first thing in `main`, before any thread starts.
pub fn prepare_process() {
    #[cfg(target_os = "linux")]
    if std::env::var_os(CPU_RENDERING).is_none() {
        // SAFETY: the process has one thread here (the first statement of
        // `main`), so nothing reads or writes the environment at the same time.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var(CPU_RENDERING, "1")
        };
    }
}

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
