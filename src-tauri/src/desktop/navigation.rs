//! The main window shows Candor's own page and nothing else. A link in a
//! message opens in the browser through a command (`open_link`); if anything
//! ever tried to take the main window somewhere else (a plain link followed,
//! a form, a script), the navigation is refused here, below the page, so no
//! remote page can run beside Candor's commands. The player window is not
//! the main window: it loads a platform's embed page and has no capability.

use tauri::{Manager, Runtime, Url, plugin::TauriPlugin};

/// The main window's label (tauri.conf.json).
const MAIN_WINDOW: &str = "main";

/// A plugin that refuses every navigation of the main window away from the
/// app's own page.
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("main-window-guard")
        .on_navigation(|webview, url| {
            if webview.label() != MAIN_WINDOW {
                return true;
            }
            let dev = webview.config().build.dev_url.clone();
            let own = is_own_page(url, dev.as_ref());
            if !own {
                eprintln!("candor: the main window may not go to {url}");
            }
            own
        })
        .build()
}

/// Whether `url` is the app's own page: its custom scheme (Linux, macOS), its
/// localhost host (Windows), or the dev server while developing.
fn is_own_page(url: &Url, dev_server: Option<&Url>) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => {
            url.host_str() == Some("tauri.localhost")
                || (cfg!(debug_assertions)
                    && dev_server.is_some_and(|d| d.origin() == url.origin()))
        }
        "about" => url.as_str() == "about:blank",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(url: &str) -> bool {
        let dev = Url::parse("http://localhost:5173").unwrap();
        is_own_page(&Url::parse(url).unwrap(), Some(&dev))
    }

    #[test]
    fn only_the_apps_own_page_may_load_in_the_main_window() {
        assert!(own("tauri://localhost/"));
        assert!(own("tauri://localhost/index.html#chat"));
        assert!(own("http://tauri.localhost/"));
        assert!(own("http://localhost:5173/"));
        assert!(own("about:blank"));
        for away in [
            "https://example.com/",
            "http://localhost:8080/",
            "https://tauri.localhost.evil.example/",
            "tauri://evil.example/",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,hi",
        ] {
            assert!(!own(away), "{away}");
        }
    }
}
