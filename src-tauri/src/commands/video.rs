//! Shared videos: the composer's card preview, sharing one video to several
//! chats at once, a chat's Videos view, and playing a video. Cards are made
//! from the link on this device; nothing is fetched because a message arrived.
//!
//! A video plays in the player window, which loads the platform's embed page
//! and has no capability at all (capabilities/main.json names only the main
//! window), or in the system browser; a setting chooses. Either way the link
//! must be a recognised video link, and only its canonical https form is used.

use candor_core::protocol::{ConversationId, MessageId, VideoCard};
use candor_core::{CoreError, Message, OpenVideosIn};
use tauri::{AppHandle, Manager, State, WebviewUrl, WebviewWindowBuilder};

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
    card: Option<VideoCard>,
) -> Result<Vec<MessageId>, CommandError> {
    Ok(state
        .client()?
        .share_video(conversations, link, note, card)
        .await?)
}

/// A chat's Videos view: its visible messages with a video, newest first.
#[tauri::command]
pub async fn chat_videos(
    state: State<'_, AppState>,
    conversation: ConversationId,
) -> Result<Vec<Message>, CommandError> {
    state.with_store(move |s| s.videos(conversation, 200)).await
}

/// The card for a video link with the platform's details (title, author, a
/// small thumbnail) when they can be had, else plain. Only the sender's device
/// asks; it never blocks a send.
#[tauri::command]
pub async fn fetch_card(
    state: State<'_, AppState>,
    url: String,
) -> Result<VideoCard, CommandError> {
    let video = candor_core::links::recognise(&url).map_err(CoreError::from)?;
    Ok(match state.cards() {
        Some(fetcher) => fetcher.card(&video).await,
        None => candor_core::links::plain_card(&video),
    })
}

/// The video link Candor was started with to share, once (the UI asks when it
/// is ready; later ones arrive as events).
#[tauri::command]
pub async fn take_shared_link(state: State<'_, AppState>) -> Result<Option<String>, CommandError> {
    Ok(state
        .shared_link
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take())
}

/// The player window's label; it is never given a capability.
pub const PLAYER_WINDOW: &str = "player";

/// Plays a shared video where this device's setting says.
#[tauri::command]
pub async fn open_video(
    app: AppHandle,
    state: State<'_, AppState>,
    url: String,
) -> Result<(), CommandError> {
    let video = candor_core::links::recognise(&url).map_err(CoreError::from)?;
    let place = state.with_store(|s| s.open_videos_in()).await?;
    match place {
        OpenVideosIn::Browser => super::links::open_in_browser(&app, video.canonical.as_str()),
        OpenVideosIn::Player => {
            let target = video.player_url();
            let title = format!("{} · Candor", video.provider.display_name());
            if let Some(window) = app.get_webview_window(PLAYER_WINDOW) {
                window
                    .navigate(target)
                    .and_then(|()| window.set_title(&title))
                    .and_then(|()| window.show())
                    .and_then(|()| window.set_focus())
                    .map_err(|e| CommandError::internal(format!("the player window: {e}")))
            } else {
                WebviewWindowBuilder::new(&app, PLAYER_WINDOW, WebviewUrl::External(target))
                    .title(title)
                    .inner_size(720.0, 760.0)
                    .min_inner_size(320.0, 320.0)
                    .build()
                    .map(drop)
                    .map_err(|e| CommandError::internal(format!("the player window: {e}")))
            }
        }
    }
}
