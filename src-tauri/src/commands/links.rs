//! Links in messages open in the person's browser, never in Candor's window.
//! The page hands over the address it shows; it is checked again here
//! (http or https, absolute, with a host), because the page is not trusted to
//! have checked it.

use tauri::AppHandle;
use tauri_plugin_opener::OpenerExt;

use crate::CommandError;
use candor_core::CoreError;

/// Opens a link from a message in the browser.
#[tauri::command]
pub fn open_link(app: AppHandle, url: String) -> Result<(), CommandError> {
    let url = candor_core::links::web_link(&url).map_err(CoreError::from)?;
    open_in_browser(&app, url.as_str())
}

/// Opens `url` in the person's `$BROWSER`, when they have set one, else in the
/// desktop's handler for web links.
pub fn open_in_browser(app: &AppHandle, url: &str) -> Result<(), CommandError> {
    app.opener()
        .open_url(url, std::env::var("BROWSER").ok())
        .map_err(|e| CommandError::internal(format!("the browser could not be opened: {e}")))
}
