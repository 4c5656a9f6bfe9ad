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
//! Scrollable boxes are not given layers of their own (`AsyncOverflowScrolling`
//! off, `features` below). With it on, the inbox and the message list were each a
//! composited layer kept painted in tiles around what is visible: 4 and 10 MiB
//! more, for scrolling two lists of text off the main thread. Wheel, keys and
//! scrollbars still scroll them (`app_long_chat` turns the wheel).
//!
//! The page is painted by Skia on the CPU ([`prepare_process`]) and composited
//! on the GPU. A list of text bubbles paints quickly on the CPU, and Skia's GPU
//! painting keeps a GL context with its caches in the web process: on a machine
//! without a GPU (Mesa's llvmpipe) that was 25 MiB more when idle and 35 MiB more
//! after opening 20 chats.
//!
//! JavaScriptCore collects the page's garbage in full every time, not in
//! generations (`JSC_useGenerationalGC=false`, [`prepare_process`]). A generational
//! ("eden") collection frees young objects but keeps their blocks for reuse, so
//! the page's JS heap settled at two to three times what it held alive: each
//! chat opened allocates about 850 KiB of short-lived objects (IPC answers,
//! virtua's measuring), and the heap grew by 17 MiB over 20 openings while its
//! live part grew by 5. A full collection gives emptied blocks back. Candor's
//! heap is small (3 to 10 MiB alive), so a full collection is short, and it runs
//! mostly beside the page. Timed in the page over the bench's 20 openings (click
//! to messages shown, two sessions each), opening a chat took as long either way
//! (51 and 67 ms on average against 59 and 64), with frames no further apart,
//! and the web process kept 14 MiB less after 20 chats.
//!
//! JavaScriptCore's optimizing compilers (DFG, and FTL above it) are off
//! (`JSC_useDFGJIT=false`); its interpreter and baseline JIT stay. The page's
//! scripts run in short bursts (a chat opens, a message arrives), which the
//! baseline JIT serves, while the optimizing tiers keep what they compiled and
//! the profiles they compiled it from. Over the bench's 20 chat openings (three
//! sessions each), the whole app kept 13 MiB less (290 against 303 MiB), and
//! opening a chat took as long: 37 against 36 ms (median of 60), 109 against
//! 127 ms at the slowest. With no JIT at all it kept 22 MiB less, but opening
//! a chat took a third longer (48 ms).
//!
//! `bench/floor` includes this file, so that the floor it is measured against
//! is the same engine set up the same way.

/// Settings the web processes read from the environment when they start, so
/// they have to be there before the first web view: WebKitGTK's switch for
/// painting on the CPU, and JavaScriptCore's for generational collection and
/// for its optimizing compilers.
#[cfg(target_os = "linux")]
const WEB_PROCESS_ENV: [(&str, &str); 3] = [
    ("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1"),
    ("JSC_useGenerationalGC", "false"),
    ("JSC_useDFGJIT", "false"),
];

/// Sets up the environment the web processes inherit (see above). A value
/// already there wins: `WEBKIT_SKIA_ENABLE_CPU_RENDERING=0` brings GPU painting
/// back. Call it first thing in `main`, before any thread starts.
pub fn prepare_process() {
    #[cfg(target_os = "linux")]
    for (name, value) in WEB_PROCESS_ENV {
        if std::env::var_os(name).is_none() {
            // SAFETY: the process has one thread here (the first statement of
            // `main`), so nothing reads or writes the environment at the same
            // time.
            #[allow(unsafe_code)]
            unsafe {
                std::env::set_var(name, value)
            };
        }
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
                features::turn_off(&settings, features::ASYNC_OVERFLOW_SCROLLING);
            }
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    })
}

/// WebKit's feature switches (WebKitGTK 2.42 and later), which webkit2gtk-rs
/// does not wrap. The functions are looked up when called rather than linked,
/// so that Candor still starts on an older WebKitGTK, with the feature on.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod features {
    use std::ffi::{CStr, c_char, c_int, c_void};

    use webkit2gtk::glib::object::ObjectType;

    /// Gives every scrollable box its own composited layer (see the top of
    /// this file).
    pub const ASYNC_OVERFLOW_SCROLLING: &CStr = c"AsyncOverflowScrolling";

    /// `WebKitSettings *` and `WebKitFeature *`, opaque here.
    type Settings = *mut c_void;
    type Feature = *mut c_void;
    type FeatureList = *mut c_void;

    /// The address of the loaded function `name`, if the library has it.
    fn symbol(name: &CStr) -> Option<*mut c_void> {
        // SAFETY: dlsym only reads the symbol tables of the loaded libraries.
        let address = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
        (!address.is_null()).then_some(address)
    }

    /// Runs `f` on the feature `identifier`; None when this WebKitGTK has no
    /// such feature or no feature API.
    fn with_feature<T>(identifier: &CStr, f: impl FnOnce(Feature) -> T) -> Option<T> {
        let get_all = symbol(c"webkit_settings_get_all_features")?;
        let length = symbol(c"webkit_feature_list_get_length")?;
        let get = symbol(c"webkit_feature_list_get")?;
        let id = symbol(c"webkit_feature_get_identifier")?;
        let unref = symbol(c"webkit_feature_list_unref")?;
        // SAFETY: each address is the exported function of that name, whose C
        // signature (WebKitGTK's webkit/WebKitFeature.h) the type it is cast to
        // spells out. The list is owned here and released once; a feature
        // stays valid while its list is held, and `f` runs before the release;
        // an identifier is a NUL-terminated string owned by its feature.
        unsafe {
            let get_all: unsafe extern "C" fn() -> FeatureList = std::mem::transmute(get_all);
            let length: unsafe extern "C" fn(FeatureList) -> usize = std::mem::transmute(length);
            let get: unsafe extern "C" fn(FeatureList, usize) -> Feature = std::mem::transmute(get);
            let id: unsafe extern "C" fn(Feature) -> *const c_char = std::mem::transmute(id);
            let unref: unsafe extern "C" fn(FeatureList) = std::mem::transmute(unref);
            let list = get_all();
            if list.is_null() {
                return None;
            }
            let feature = (0..length(list)).map(|i| get(list, i)).find(|&feature| {
                let name = id(feature);
                !name.is_null() && CStr::from_ptr(name) == identifier
            });
            let result = feature.map(f);
            unref(list);
            result
        }
    }

    /// Turns the feature `identifier` off in `settings`, if this WebKitGTK has
    /// it (otherwise it stays as the engine has it).
    pub fn turn_off(settings: &webkit2gtk::Settings, identifier: &CStr) {
        let Some(set) = symbol(c"webkit_settings_set_feature_enabled") else {
            return;
        };
        // SAFETY: the exported function of that name, with its C signature
        // (webkit/WebKitSettings.h); both pointers are live for the call.
        let set: unsafe extern "C" fn(Settings, Feature, c_int) =
            unsafe { std::mem::transmute(set) };
        let settings: Settings = settings.as_ptr().cast();
        with_feature(identifier, |feature| unsafe { set(settings, feature, 0) });
    }

    #[cfg(test)]
    mod tests {
        use std::sync::Mutex;

        use super::*;

        /// WebKitGTK's API belongs to one thread (the app calls it from the
        /// main thread only), and its first call sets up state for the whole
        /// process: two tests calling in at once aborted the test process now
        /// and then (2 runs in 100 on a loaded machine, none in 150 one test
        /// at a time). Each test holds this while it calls in.
        static WEBKIT: Mutex<()> = Mutex::new(());

        // Turning a feature off needs a WebKitSettings, which needs a display;
        // finding it is what can go wrong (a renamed feature, a changed API).
        #[test]
        fn async_overflow_scrolling_is_found_from_2_42_on() {
            let _one_at_a_time = WEBKIT.lock().unwrap_or_else(|e| e.into_inner());
            // Calling into the library also links it into the test binary,
            // which otherwise would not load it for `dlsym` to find.
            // SAFETY: plain getters of the library's version.
            let version = unsafe {
                (
                    webkit2gtk::ffi::webkit_get_major_version(),
                    webkit2gtk::ffi::webkit_get_minor_version(),
                )
            };
            let found = with_feature(ASYNC_OVERFLOW_SCROLLING, |_| ()).is_some();
            assert_eq!(found, version >= (2, 42), "WebKitGTK {version:?}");
        }

        #[test]
        fn an_unknown_feature_is_reported_missing() {
            let _one_at_a_time = WEBKIT.lock().unwrap_or_else(|e| e.into_inner());
            assert_eq!(with_feature(c"NoSuchFeature", |_| ()), None);
        }
    }
}
