//! The inbox list.

use candor_core::protocol::ConversationId;
use candor_core::{InboxCursor, InboxItem, InboxPage};
use tauri::State;

use crate::{CommandError, state::AppState};

#[tauri::command]
pub async fn inbox_page(
    state: State<'_, AppState>,
    after: Option<InboxCursor>,
    limit: u32,
) -> Result<InboxPage, CommandError> {
    state
        .with_store(move |s| s.inbox_page(after.as_ref(), limit))
        .await
}

/// One chat's row, wherever it is: to open it from search.
#[tauri::command]
pub async fn inbox_item(
    state: State<'_, AppState>,
    conversation: ConversationId,
) -> Result<InboxItem, CommandError> {
    state.with_store(move |s| s.inbox_item(conversation)).await
}

/// Chats started by people who are not contacts, waiting to be accepted.
#[tauri::command]
pub async fn requests_page(
    state: State<'_, AppState>,
    after: Option<InboxCursor>,
    limit: u32,
) -> Result<InboxPage, CommandError> {
    state
        .with_store(move |s| s.requests_page(after.as_ref(), limit))
        .await
}

/// Accepts a request: the relay moves it to the inbox on every device of yours,
/// makes its sender a contact and lets them see your read receipts.
#[tauri::command]
pub async fn accept_request(
    state: State<'_, AppState>,
    conversation: ConversationId,
) -> Result<(), CommandError> {
    Ok(state.client()?.accept_request(conversation).await?)
}
