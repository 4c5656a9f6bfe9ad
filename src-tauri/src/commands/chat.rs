//! One conversation.

use candor_core::protocol::ConversationId;
use candor_core::{MessageCursor, MessagePage};
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
