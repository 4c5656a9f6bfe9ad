//! Search over the messages this device shows.

use candor_core::SearchResults;
use candor_core::protocol::ConversationId;
use tauri::State;

use crate::{CommandError, state::AppState};

/// Messages matching `query`, newest first; in one chat if `conversation` is set.
#[tauri::command]
pub async fn search_messages(
    state: State<'_, AppState>,
    query: String,
    conversation: Option<ConversationId>,
) -> Result<SearchResults, CommandError> {
    state
        .with_store(move |s| s.search(&query, conversation, 50))
        .await
}
