//! One conversation: reading it, writing in it, and starting one.

use candor_core::protocol::{ConversationId, MessageId, VideoCard};
use candor_core::{
    Composed, Draft, InboxItem, Message, MessageCursor, MessagePage, NewerMessages, Undone,
};
use tauri::State;

use crate::{CommandError, state::AppState};

#[tauri::command]
pub async fn conversation_page(
    state: State<'_, AppState>,
    conversation: ConversationId,
    before: Option<MessageCursor>,
    limit: u32,
) -> Result<MessagePage, CommandError> {
    state
        .with_store(move |s| s.conversation_page(conversation, before, limit))
        .await
}

/// Messages after `after`, oldest first: scrolling down from a search result.
#[tauri::command]
pub async fn newer_messages(
    state: State<'_, AppState>,
    conversation: ConversationId,
    after: MessageCursor,
    limit: u32,
) -> Result<NewerMessages, CommandError> {
    state
        .with_store(move |s| s.newer_messages(conversation, after, limit))
        .await
}

/// Sends what was written in the composer (with the card of the video linked
/// in it, if any): into the outbox, where it waits out this device's undo-send
/// window; then the sync engine sends it. Returns the message and its chat's
/// row, so the window needs no second call.
#[tauri::command]
pub async fn send_message(
    state: State<'_, AppState>,
    conversation: ConversationId,
    text: String,
    card: Option<VideoCard>,
    reply_to: Option<MessageId>,
) -> Result<Composed, CommandError> {
    let draft = Draft { text, card };
    Ok(state
        .client()?
        .send_from_composer(conversation, draft, reply_to)
        .await?)
}

/// Gives `emoji` as this account's reaction to `message`, or with None takes
/// it back (which is sent too: the others may have seen it already). Returns
/// the message with its reactions.
#[tauri::command]
pub async fn react(
    state: State<'_, AppState>,
    message: MessageId,
    emoji: Option<String>,
) -> Result<Message, CommandError> {
    Ok(state.client()?.react(message, emoji).await?)
}

/// Keeps what is in the chat's composer as its draft (blank text removes it).
#[tauri::command]
pub async fn save_draft(
    state: State<'_, AppState>,
    conversation: ConversationId,
    text: String,
) -> Result<(), CommandError> {
    state
        .with_store(move |s| s.save_draft(conversation, &text))
        .await
}

/// Takes back a message inside its undo-send window; returns what was written
/// (and its photos), for the composer. After the window: a TooLate error.
#[tauri::command]
pub async fn undo_send(
    state: State<'_, AppState>,
    message: MessageId,
) -> Result<Undone, CommandError> {
    Ok(state.client()?.undo_send(message).await?)
}

/// Marks the chat read through `seq` on this device; returns its row (unread
/// count and all) for the lists.
#[tauri::command]
pub async fn mark_read(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    conversation: ConversationId,
    seq: i64,
) -> Result<InboxItem, CommandError> {
    let (row, unread) = state.client()?.mark_read(conversation, seq).await?;
    crate::desktop::show_unread(&app, &unread);
    Ok(row)
}

/// The user is typing in the chat: the other members see an indicator.
#[tauri::command]
pub async fn typing(
    state: State<'_, AppState>,
    conversation: ConversationId,
) -> Result<(), CommandError> {
    state.client()?.typing(conversation).await;
    Ok(())
}

/// Sends a failed message again.
#[tauri::command]
pub async fn retry_message(
    state: State<'_, AppState>,
    message: MessageId,
) -> Result<(), CommandError> {
    Ok(state.client()?.retry(message).await?)
}

/// Opens the direct chat with the person called `handle` on the relay.
#[tauri::command]
pub async fn start_chat(
    state: State<'_, AppState>,
    handle: String,
) -> Result<ConversationId, CommandError> {
    Ok(state.client()?.start_chat(&handle).await?)
}

/// Starts a group with a title and the people named by `handles` (up to 31
/// others): each handle is looked up first, so a typo names itself and no group
/// is made; then the relay creates it and it opens here.
#[tauri::command]
pub async fn start_group(
    state: State<'_, AppState>,
    title: String,
    handles: Vec<String>,
) -> Result<ConversationId, CommandError> {
    Ok(state.client()?.start_group(&title, &handles).await?)
}
