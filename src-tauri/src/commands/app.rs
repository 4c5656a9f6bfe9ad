//! Facts about this running app that the UI shows or needs at start.

use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::{CommandError, state::AppState};
use candor_core::Profile;

#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub profile: String,
    pub data_dir: String,
    /// The signed-in account, if any.
    pub account: Option<Profile>,
    /// Why the store could not be opened, if it could not.
    pub store_error: Option<CommandError>,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, CommandError> {
    let account = match &state.store {
        Ok(_) => state.with_store(|s| s.profile()).await?,
        Err(_) => None,
    };
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        profile: state.profile.as_str().to_owned(),
        data_dir: state.data_dir.display().to_string(),
        account,
        store_error: state.store.as_ref().err().cloned(),
    })
}
