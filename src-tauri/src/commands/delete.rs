//! "Delete for me": hide messages and chats on this device, put them back, and
//! erase hidden text from the device, and say who has a copy of a message. None
//! of these sends anything: the other members and the relay keep every message
//! (candor-core's hide rules).

use candor_core::protocol::{ConversationId, MessageId};
use candor_core::{HiddenConversation, Message, MessageInfo};
use tauri::{AppHandle, State};

use crate::{CommandError, state::AppState};

/// Hides messages from this device's views, all or none.
#[tauri::command]
pub async fn hide_messages(
    app: AppHandle,
    state: State<'_, AppState>,
    messages: Vec<MessageId>,
) -> Result<(), CommandError> {
    state
        .with_store(move |s| s.hide_messages(&messages))
        .await?;
    crate::desktop::refresh_unread(&app).await;
    Ok(())
}

/// Puts hidden messages back where they were (Undo, Restore).
#[tauri::command]
pub async fn unhide_messages(
    app: AppHandle,
    state: State<'_, AppState>,
    messages: Vec<MessageId>,
) -> Result<(), CommandError> {
    state
        .with_store(move |s| s.unhide_messages(&messages))
        .await?;
    crate::desktop::refresh_unread(&app).await;
    Ok(())
}

/// The chat's hidden messages that can still be restored, newest first.
#[tauri::command]
pub async fn hidden_messages(
    state: State<'_, AppState>,
    conversation: ConversationId,
) -> Result<Vec<Message>, CommandError> {
    state
        .with_store(move |s| s.hidden_messages(conversation))
        .await
}

/// Erases the text of the chat's hidden messages from this device; returns how
/// many were erased. The chat's notification, if one is still shown, is
/// withdrawn where the platform allows (the erase dialog says where not).
#[tauri::command]
pub async fn erase_hidden(
    app: AppHandle,
    state: State<'_, AppState>,
    conversation: ConversationId,
) -> Result<u32, CommandError> {
    let erased = state
        .with_store(move |s| s.erase_hidden(conversation))
        .await;
    // Also when the log could not be emptied: the erase itself is done.
    if !matches!(erased, Ok(0)) {
        crate::desktop::withdraw_notification(&app, conversation);
    }
    Ok(u32::try_from(erased?).unwrap_or(u32::MAX))
}

/// Who has a copy of a message: the chat's members and their receipts, the
/// relay, and what this device holds (the message's Info view).
#[tauri::command]
pub async fn message_info(
    state: State<'_, AppState>,
    message: MessageId,
) -> Result<MessageInfo, CommandError> {
    state.with_store(move |s| s.message_info(message)).await
}

/// Takes a chat out of the inbox on this device; a new message brings it back.
#[tauri::command]
pub async fn delete_chat(
    app: AppHandle,
    state: State<'_, AppState>,
    conversation: ConversationId,
) -> Result<(), CommandError> {
    state
        .with_store(move |s| s.hide_conversation(conversation))
        .await?;
    crate::desktop::refresh_unread(&app).await;
    Ok(())
}

/// Chats deleted on this device, most recent first (Settings lists them).
#[tauri::command]
pub async fn deleted_chats(
    state: State<'_, AppState>,
) -> Result<Vec<HiddenConversation>, CommandError> {
    state.with_store(|s| s.hidden_conversations()).await
}

/// Brings a deleted chat back with what was hidden along with it.
#[tauri::command]
pub async fn restore_chat(
    app: AppHandle,
    state: State<'_, AppState>,
    conversation: ConversationId,
) -> Result<(), CommandError> {
    state
        .with_store(move |s| s.unhide_conversation(conversation))
        .await?;
    crate::desktop::refresh_unread(&app).await;
    Ok(())
}
