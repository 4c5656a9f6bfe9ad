//! Every event the shell sends the window, each a typed [`Event`]: its name and
//! the type of its payload are declared together once, so an emitter cannot send
//! the wrong payload, and `bindings.ts` gets both (the `EVENT` names and the
//! `Events` payload types) from here.
//!
//! [`forward`] is the one place where core notices become events. Each notice
//! carries the rows that changed, so the UI applies it without asking back; the
//! desktop (tray count, notifications) takes what it needs from the same notice.

use std::marker::PhantomData;

use candor_core::notice::Notice;
use candor_core::protocol::ConversationId;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::broadcast;

/// An event name that only carries payloads of type `P`.
pub struct Event<P> {
    pub(crate) name: &'static str,
    payload: PhantomData<fn(P)>,
}

impl<P: Serialize> Event<P> {
    const fn new(name: &'static str) -> Self {
        Self {
            name,
            payload: PhantomData,
        }
    }

    /// Sends `payload` to every window. A window that is gone is not an error
    /// worth more than a trace.
    pub fn emit<R: Runtime>(&self, app: &AppHandle<R>, payload: &P) {
        if let Err(e) = app.emit(self.name, payload) {
            tracing::debug!(event = self.name, "not delivered: {e}");
        }
    }
}

/// A core notice: the data that changed.
pub const SYNC: Event<Notice> = Event::new("candor://sync");
/// The UI missed this many notices (the channel overflowed) and reloads what it shows.
pub const LAGGED: Event<u32> = Event::new("candor://lagged");
/// The UI opens this chat (a notification was clicked).
pub const OPEN_CHAT: Event<ConversationId> = Event::new("candor://open-chat");
/// The UI opens the share dialog with this link (a second launch handed it over).
pub const SHARE: Event<String> = Event::new("candor://share");
/// The UI asks what to do with this many messages still in their undo-send window.
pub const QUIT_PENDING: Event<u32> = Event::new("candor://quit-pending");

/// Forwards every notice of `notices` to the UI until the client is dropped.
pub fn forward(app: AppHandle, mut notices: broadcast::Receiver<Notice>) {
    tauri::async_runtime::spawn(async move {
        loop {
            match notices.recv().await {
                Ok(notice) => {
                    SYNC.emit(&app, &notice);
                    if let Notice::MessagesAdded { chats, unread, .. } = &notice {
                        crate::desktop::show_unread(&app, unread);
                        crate::desktop::notify_new_messages(&app, chats).await;
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
