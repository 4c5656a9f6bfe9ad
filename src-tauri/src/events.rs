//! The one place where core notices become Tauri events. Each notice carries
//! the rows that changed, so the UI applies it without asking back; the desktop
//! (tray count, notifications) takes what it needs from the same notice.

use candor_core::notice::Notice;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast;

pub const SYNC_EVENT: &str = "candor://sync";

/// Forwards every notice of `notices` to the UI until the engine stops.
pub fn forward(app: AppHandle, mut notices: broadcast::Receiver<Notice>) {
    tauri::async_runtime::spawn(async move {
        loop {
            match notices.recv().await {
                Ok(notice) => {
                    let _ = app.emit(SYNC_EVENT, &notice);
                    if let Notice::MessagesAdded { chats, unread, .. } = &notice {
                        crate::desktop::show_unread(&app, unread);
                        crate::desktop::notify_new_messages(&app, chats).await;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    // The UI holds rows it can no longer trust: it reloads them.
                    tracing::warn!(missed, "the UI fell behind the sync engine's notices");
                    let _ = app.emit(LAGGED_EVENT, missed);
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

/// The UI missed notices (the channel overflowed) and reloads what it shows.
pub const LAGGED_EVENT: &str = "candor://lagged";
