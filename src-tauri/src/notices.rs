//! The one place where core notices become window events. Each notice carries
//! the rows that changed, so the UI applies it without asking back; the desktop
//! (tray count, notifications) takes what it needs from the same notice.

use candor_core::notice::Notice;
use tauri::AppHandle;
use tokio::sync::broadcast;

use crate::events::{LAGGED, SYNC};

/// Forwards every notice of `notices` to the UI until the client is dropped.
pub fn forward(app: AppHandle, mut notices: broadcast::Receiver<Notice>) {
    tauri::async_runtime::spawn(async move {
        loop {
            match notices.recv().await {
                Ok(notice) => {
                    SYNC.emit(&app, &notice);
                    if let Notice::MessagesAdded {
                        chats,
                        unread,
                        messages,
                        reacted,
                    } = &notice
                    {
                        crate::desktop::show_unread(&app, unread);
                        crate::desktop::notify_new_messages(&app, chats, messages, reacted).await;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    // The UI holds rows it can no longer trust: it reloads them.
                    tracing::warn!(missed, "the UI fell behind the sync engine's notices");
                    LAGGED.emit(&app, &u32::try_from(missed).unwrap_or(u32::MAX));
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}
