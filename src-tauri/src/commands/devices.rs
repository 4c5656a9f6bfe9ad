//! The account's signed-in devices and its password, as Settings shows them.

use candor_core::protocol::SessionId;
use candor_core::protocol::api::DeviceSession;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::{CommandError, state::AppState};

/// One signed-in device of the account.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct SignedInDevice {
    pub id: SessionId,
    pub name: String,
    pub signed_in_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The device this window runs on.
    pub this_device: bool,
}

impl From<DeviceSession> for SignedInDevice {
    fn from(d: DeviceSession) -> Self {
        Self {
            id: d.id,
            name: d.device_name,
            signed_in_at: d.signed_in_at,
            last_seen_at: d.last_seen_at,
            this_device: d.current,
        }
    }
}

#[tauri::command]
pub async fn signed_in_devices(
    state: State<'_, AppState>,
) -> Result<Vec<SignedInDevice>, CommandError> {
    let devices = state.client()?.devices().await?;
    Ok(devices.into_iter().map(Into::into).collect())
}

#[tauri::command]
pub async fn sign_out_device(
    state: State<'_, AppState>,
    id: SessionId,
) -> Result<(), CommandError> {
    Ok(state.client()?.sign_out_device(id).await?)
}

#[tauri::command]
pub async fn sign_out_other_devices(state: State<'_, AppState>) -> Result<(), CommandError> {
    Ok(state.client()?.sign_out_other_devices().await?)
}

/// Changes the password; the account's other devices are signed out.
#[tauri::command]
pub async fn change_password(
    state: State<'_, AppState>,
    current_password: String,
    new_password: String,
) -> Result<(), CommandError> {
    Ok(state
        .client()?
        .change_password(&current_password, &new_password)
        .await?)
}
