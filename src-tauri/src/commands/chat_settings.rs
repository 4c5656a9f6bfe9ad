//! Per-chat settings from the chat header and a request's banner: pin, mute,
//! block, decline.

use candor_core::protocol::{ConversationId, UserId};
use chrono::{Duration, Utc};
use serde::Deserialize;
use tauri::State;
use ts_rs::TS;

use crate::{CommandError, state::AppState};

/// How long to mute a chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum MuteFor {
    Hour,
    EightHours,
    Week,
    Always,
}

impl MuteFor {
    fn duration(self) -> Duration {
        match self {
            Self::Hour => Duration::hours(1),
            Self::EightHours => Duration::hours(8),
            Self::Week => Duration::weeks(1),
            // Until unmuted: far enough to mean "always".
            Self::Always => Duration::days(365 * 100),
        }
    }
}

#[tauri::command]
pub async fn pin_chat(
    state: State<'_, AppState>,
    conversation: ConversationId,
    pinned: bool,
) -> Result<(), CommandError> {
    state
        .with_store(move |s| s.set_pinned(conversation, pinned))
        .await
}

/// Mutes the chat for `mute_for`, or unmutes it when that is null.
#[tauri::command]
pub async fn mute_chat(
    state: State<'_, AppState>,
    conversation: ConversationId,
    mute_for: Option<MuteFor>,
) -> Result<(), CommandError> {
    let until = mute_for.map(|m| Utc::now() + m.duration());
    state
        .with_store(move |s| s.set_muted_until(conversation, until))
        .await
}

/// Blocks (or unblocks) a person on the relay, which then refuses their
/// messages to you, and records it on this device.
#[tauri::command]
pub async fn block_person(
    state: State<'_, AppState>,
    user: UserId,
    blocked: bool,
) -> Result<(), CommandError> {
    Ok(state.client()?.block(user, blocked).await?)
}

/// Leaves a group on the relay; the chat stays readable on this device.
#[tauri::command]
pub async fn leave_group(
    state: State<'_, AppState>,
    conversation: ConversationId,
) -> Result<(), CommandError> {
    Ok(state.client()?.leave_group(conversation).await?)
}

/// Declines a request: it leaves this device's lists. The sender is not told;
/// a new message from them brings it back (block them to stop that).
#[tauri::command]
pub async fn decline_request(
    state: State<'_, AppState>,
    conversation: ConversationId,
) -> Result<(), CommandError> {
    state
        .with_store(move |s| s.hide_conversation(conversation))
        .await
}

/// Chats whose name or handle contains `query`: the inbox filter and Ctrl+K.
#[tauri::command]
pub async fn find_chats(
    state: State<'_, AppState>,
    query: String,
) -> Result<Vec<candor_core::InboxItem>, CommandError> {
    state.with_store(move |s| s.chats_named(&query, 20)).await
}
