//! Settings: the account's display name and who may message it (kept by the
//! relay), and this device's notifications and undo-send window.

use candor_core::protocol::api::{AccountSettings, WhoCanMessage};
use candor_core::{OpenVideosIn, UndoSendWindow};
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use crate::{CommandError, state::AppState};

/// Who may start a chat with this account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum WhoMayWrite {
    /// Anyone; people who are not contacts land in Requests.
    Everyone,
    /// Only contacts; others are refused by the relay.
    Contacts,
}

impl From<WhoCanMessage> for WhoMayWrite {
    fn from(w: WhoCanMessage) -> Self {
        match w {
            WhoCanMessage::Everyone => Self::Everyone,
            WhoCanMessage::Contacts => Self::Contacts,
        }
    }
}

impl From<WhoMayWrite> for WhoCanMessage {
    fn from(w: WhoMayWrite) -> Self {
        match w {
            WhoMayWrite::Everyone => Self::Everyone,
            WhoMayWrite::Contacts => Self::Contacts,
        }
    }
}

/// What the settings screen shows. The relay's part may be missing (offline),
/// with the reason, while this device's part is always there.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct SettingsView {
    pub notifications: bool,
    pub undo_send: UndoSendWindow,
    pub open_videos_in: OpenVideosIn,
    pub who_may_write: Option<WhoMayWrite>,
    pub relay_error: Option<String>,
}

#[tauri::command]
pub async fn settings(state: State<'_, AppState>) -> Result<SettingsView, CommandError> {
    let (notifications, undo_send, open_videos_in) = state
        .with_store(|s| {
            Ok((
                s.notifications_enabled()?,
                s.undo_send_window()?,
                s.open_videos_in()?,
            ))
        })
        .await?;
    let (who_may_write, relay_error) = match state.client()?.account_settings().await {
        Ok(s) => (Some(s.who_can_message.into()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(SettingsView {
        undo_send,
        open_videos_in,
        notifications,
        who_may_write,
        relay_error,
    })
}

/// Renames the account on the relay, then on this device.
#[tauri::command]
pub async fn set_display_name(
    state: State<'_, AppState>,
    display_name: String,
) -> Result<(), CommandError> {
    Ok(state.client()?.set_display_name(&display_name).await?)
}

#[tauri::command]
pub async fn set_who_may_write(
    state: State<'_, AppState>,
    who: WhoMayWrite,
) -> Result<WhoMayWrite, CommandError> {
    let settings = state
        .client()?
        .set_account_settings(AccountSettings {
            who_can_message: who.into(),
        })
        .await?;
    Ok(settings.who_can_message.into())
}

#[tauri::command]
pub async fn set_notifications(state: State<'_, AppState>, on: bool) -> Result<(), CommandError> {
    state
        .with_store(move |s| s.set_notifications_enabled(on))
        .await
}

/// How long new messages wait on this device before they are sent.
#[tauri::command]
pub async fn set_undo_send(
    state: State<'_, AppState>,
    window: UndoSendWindow,
) -> Result<(), CommandError> {
    state
        .with_store(move |s| s.set_undo_send_window(window))
        .await
}

/// Where shared videos play on this device.
#[tauri::command]
pub async fn set_open_videos_in(
    state: State<'_, AppState>,
    place: OpenVideosIn,
) -> Result<(), CommandError> {
    state.with_store(move |s| s.set_open_videos_in(place)).await
}
