//! Shared videos: the composer's card preview, sharing one video to several
//! chats at once, and a chat's Videos view. Cards are made from the link on
//! this device; nothing is fetched because a message arrived.

use candor_core::protocol::{ConversationId, MessageId};
use candor_core::{Draft, Message};
use tauri::State;

use crate::{CommandError, state::AppState};

/// The card and clean text for a message being written, if it links a video.
#[tauri::command]
pub async fn link_preview(text: String) -> Option<candor_core::links::LinkPreview> {
    candor_core::links::preview(&text)
}

/// Shares a video to several chats at once: one message in each (the note and
/// the link, tracking removed), with one undo-send window for all of them.
/// Returns the new messages' ids.
#[tauri::command]
pub async fn share_video(
    state: State<'_, AppState>,
    conversations: Vec<ConversationId>,
    link: String,
    note: String,
) -> Result<Vec<MessageId>, CommandError> {
    let video =
        candor_core::links::recognise(&link).map_err(|e| CommandError::invalid(e.to_string()))?;
    let link = video.stripped.to_string();
    let text = match note.trim() {
        "" => link,
        note => format!("{note} {link}"),
    };
    let draft = Draft {
        text,
        card: Some(candor_core::links::plain_card(&video)),
    };
    let ids = state
        .with_store(move |s| {
            let window = s.undo_send_window()?.duration();
            s.share(&conversations, draft, window)
        })
        .await?;
    state.kick().await;
    Ok(ids)
}

/// A chat's Videos view: its visible messages with a video, newest first.
#[tauri::command]
pub async fn chat_videos(
    state: State<'_, AppState>,
    conversation: ConversationId,
) -> Result<Vec<Message>, CommandError> {
    state.with_store(move |s| s.videos(conversation, 200)).await
}
