//! Every event the shell sends the window, each a typed [`Event`]: its name and
//! the type of its payload are declared together once, so an emitter cannot send
//! the wrong payload, and `bindings.ts` gets both (the `EVENT` names and the
//! `Events` payload types) from here.
//!
//! This module depends on nothing else in the shell, so that every other module
//! may emit events without a cycle.

use std::marker::PhantomData;

use candor_core::notice::Notice;
use candor_core::protocol::ConversationId;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};

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
/// Every sign-out the relay had not confirmed is confirmed now.
pub const SIGN_OUT_CONFIRMED: Event<()> = Event::new("candor://sign-out-confirmed");
/// The UI asks what to do with this many messages still in their undo-send window.
pub const QUIT_PENDING: Event<u32> = Event::new("candor://quit-pending");
