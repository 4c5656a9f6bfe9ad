//! The inbox list.

use candor_core::{InboxCursor, InboxPage};
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
