//! The one place where core events become Tauri events. The UI listens to
//! `candor://sync` and refreshes what changed.

use candor_core::sync::{ConnectionState, SyncEvent};
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast;
use ts_rs::TS;

use crate::CommandError;

pub const SYNC_EVENT: &str = "candor://sync";

/// What the UI hears from the sync engine.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SyncNotice {
    #[serde(rename_all = "camelCase")]
    Connection {
        state: ConnectionNotice,
        /// Why the connection is down, for a banner.
        reason: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Messages { conversations: Vec<String> },
    #[serde(rename_all = "camelCase")]
    Sent { message: String },
    #[serde(rename_all = "camelCase")]
    SendFailed {
        message: String,
        error: CommandError,
    },
    /// Our messages here were delivered or seen.
    #[serde(rename_all = "camelCase")]
    Receipt { conversation: String },
    #[serde(rename_all = "camelCase")]
    Typing { conversation: String, user: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ConnectionNotice {
    Connecting,
    Online,
    Offline,
    SignedOut,
}

impl From<SyncEvent> for SyncNotice {
    fn from(event: SyncEvent) -> Self {
        match event {
            SyncEvent::Connection(state) => {
                let (state, reason) = match state {
                    ConnectionState::Connecting => (ConnectionNotice::Connecting, None),
                    ConnectionState::Online => (ConnectionNotice::Online, None),
                    ConnectionState::Offline { reason, .. } => {
                        (ConnectionNotice::Offline, Some(reason))
                    }
                    ConnectionState::SignedOut => (ConnectionNotice::SignedOut, None),
                };
                Self::Connection { state, reason }
            }
            SyncEvent::MessagesReceived { conversations } => Self::Messages {
                conversations: conversations.iter().map(ToString::to_string).collect(),
            },
            SyncEvent::Sent { message } => Self::Sent {
                message: message.to_string(),
            },
            SyncEvent::SendFailed { message, error } => Self::SendFailed {
                message: message.to_string(),
                error: CommandError::refused(error.message),
            },
            SyncEvent::Receipt { conversation } => Self::Receipt {
                conversation: conversation.to_string(),
            },
            SyncEvent::Typing { conversation, user } => Self::Typing {
                conversation: conversation.to_string(),
                user: user.to_string(),
            },
        }
    }
}

/// Forwards every event of `events` to the UI until the engine stops.
pub fn forward(app: AppHandle, mut events: broadcast::Receiver<SyncEvent>) {
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    let arrived = match &event {
                        SyncEvent::MessagesReceived { conversations } => {
                            Some(conversations.clone())
                        }
                        _ => None,
                    };
                    let _ = app.emit(SYNC_EVENT, SyncNotice::from(event));
                    if let Some(conversations) = arrived {
                        crate::desktop::refresh_unread(&app).await;
                        crate::desktop::notify_new_messages(&app, &conversations).await;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Missed some: a blanket refresh is always correct.
                    let _ = app.emit(
                        SYNC_EVENT,
                        SyncNotice::Messages {
                            conversations: vec![],
                        },
                    );
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}
