//! Facts about this running app that the UI shows or needs at start.

use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::token_vault::TokenPlace;
use crate::{CommandError, state::AppState};
use candor_core::Profile;

#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub profile: String,
    pub data_dir: String,
    /// The account this profile belongs to, if it has been signed in once.
    pub account: Option<Profile>,
    /// Signed in now (a session token is stored).
    pub signed_in: bool,
    /// Where the session token is kept, while signed in.
    pub token_place: Option<TokenPlace>,
    /// Why the store could not be opened, if it could not.
    pub store_error: Option<CommandError>,
    /// Relays that have not yet confirmed a sign-out from this device: the
    /// session there still works until they do (Candor keeps trying).
    pub sign_outs_pending: Vec<String>,
    /// A notification already shown can be withdrawn on this platform (the
    /// erase dialog says so, or says it can't).
    pub withdraws_notifications: bool,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, CommandError> {
    let account = match &state.client {
        Ok(_) => state.with_store(|s| s.profile()).await?,
        Err(_) => None,
    };
    // The engine may still be starting: the vault says whether we are signed in.
    let token_place = match state.token_place() {
        Some(place) => Some(place),
        None => {
            let vault = state.vault.clone();
            tauri::async_runtime::spawn_blocking(move || vault.load().map(|(_, place)| place))
                .await
                .map_err(|e| CommandError::internal(e.to_string()))?
        }
    };
    let vault = state.pending_sign_outs.clone();
    let sign_outs_pending = tauri::async_runtime::spawn_blocking(move || {
        crate::sign_out::pending(&vault)
            .into_iter()
            .map(|p| p.relay_url)
            .collect()
    })
    .await
    .map_err(|e| CommandError::internal(e.to_string()))?;
    Ok(AppInfo {
        sign_outs_pending,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        profile: state.profile.as_str().to_owned(),
        data_dir: state.data_dir.display().to_string(),
        account,
        signed_in: token_place.is_some(),
        token_place,
        store_error: state.client.as_ref().err().cloned(),
        withdraws_notifications: crate::desktop::WITHDRAWS_NOTIFICATIONS,
    })
}

/// The UI's first screen is on the page with its data. With `CANDOR_REPORT_READY`
/// set, a line on standard output says so: `cargo xtask bench app` times start-up
/// from the process's start to this line.
#[tauri::command]
pub fn ui_ready() {
    tracing::debug!("first screen ready");
    if std::env::var_os("CANDOR_REPORT_READY").is_some() {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "candor: interactive");
        let _ = out.flush();
    }
}
