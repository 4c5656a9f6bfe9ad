//! Quitting while messages wait in their undo-send window. Those messages have
//! not left the device, so quitting asks what to do with them: send them now,
//! keep them for the next start (their windows keep running from the clock, so
//! any that have passed are sent at once then), or discard them. With nothing
//! waiting, Candor just quits. The window's close button, the tray's Quit and
//! Ctrl+Q all come here.

use std::time::Duration;

use serde::Deserialize;
use tauri::{AppHandle, Manager, Runtime, State};
use ts_rs::TS;

use crate::{CommandError, state::AppState};

/// How long "Send now" waits for the relay to take the messages before quitting
/// anyway (they then go at the next start).
const SEND_NOW_WAIT: Duration = Duration::from_secs(5);

/// The answer to the quit question.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum QuitChoice {
    SendNow,
    KeepForNextStart,
    Discard,
}

/// How many messages are inside their undo-send window now. Read on the
/// calling thread: it is one small query, and a close must be decided at once.
pub fn waiting<R: Runtime>(app: &AppHandle<R>) -> usize {
    let Some(state) = app.try_state::<AppState>() else {
        return 0;
    };
    let Ok(store) = state.client().map(|c| c.store()) else {
        return 0;
    };
    let store = store.lock().unwrap_or_else(|p| p.into_inner());
    store.waiting_to_send().map(|w| w.len()).unwrap_or(0)
}

/// Quits, unless messages wait: then the window comes forward and asks.
/// Returns whether the app is quitting.
pub fn request<R: Runtime>(app: &AppHandle<R>) -> bool {
    let count = waiting(app);
    if count == 0 {
        app.exit(0);
        return true;
    }
    super::window::show_main(app);
    crate::events::QUIT_PENDING.emit(app, &u32::try_from(count).unwrap_or(u32::MAX));
    false
}

/// Ctrl+Q in the window.
#[tauri::command]
pub async fn request_quit(app: AppHandle) -> Result<(), CommandError> {
    request(&app);
    Ok(())
}

/// Quits after doing what the person chose with the waiting messages.
#[tauri::command]
pub async fn quit(
    app: AppHandle,
    state: State<'_, AppState>,
    choice: QuitChoice,
) -> Result<(), CommandError> {
    match choice {
        QuitChoice::KeepForNextStart => {}
        QuitChoice::Discard => {
            state.with_store(|s| s.discard_waiting()).await?;
        }
        QuitChoice::SendNow => {
            state.client()?.send_waiting_now(SEND_NOW_WAIT).await?;
        }
    }
    app.exit(0);
    Ok(())
}
