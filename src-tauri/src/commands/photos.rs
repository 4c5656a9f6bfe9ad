//! Photos: prepared from what the person picked, pasted or dropped (the
//! file's bytes arrive as the request's raw body, not as JSON), sent with a
//! caption, and served to the page by blob through the `candor-photo:`
//! scheme (see `serve`), which is the only way a photo reaches it.

use candor_core::protocol::{BlobId, ConversationId, MessageId};
use candor_core::{Composed, Photo};
use tauri::State;
use tauri::ipc::{InvokeBody, Request};

use crate::{CommandError, state::AppState};

/// The scheme the page loads photos from: `candor-photo://localhost/{blob}`
/// (`http://candor-photo.localhost/{blob}` on Windows).
pub const SCHEME: &str = "candor-photo";

/// Prepares the photo in the request's body (a file's bytes) for sending:
/// decoded, checked, fitted in 2048 px, stripped of its metadata and kept
/// here. Returns it as a message shows it.
#[tauri::command]
pub async fn prepare_photo(
    state: State<'_, AppState>,
    request: Request<'_>,
) -> Result<Photo, CommandError> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError::invalid(
            "a photo is sent as the file's bytes".into(),
        ));
    };
    let bytes = bytes.clone();
    Ok(state.client()?.prepare_photo(bytes).await?)
}

/// Sends the photos prepared here (by blob, in order) with `caption`.
#[tauri::command]
pub async fn send_photos(
    state: State<'_, AppState>,
    conversation: ConversationId,
    caption: String,
    photos: Vec<BlobId>,
    reply_to: Option<MessageId>,
) -> Result<Composed, CommandError> {
    Ok(state
        .client()?
        .send_photos(conversation, caption, photos, reply_to)
        .await?)
}

/// Saves the photo `blob` (one a message shown here names) where the person
/// chooses, in the system's save dialog. Returns where, or None if they
/// cancelled.
#[tauri::command]
pub async fn save_photo(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    blob: BlobId,
) -> Result<Option<String>, CommandError> {
    use tauri::Manager;
    use tauri_plugin_dialog::DialogExt;
    let name = format!("candor-photo-{}", &blob.as_str()[..12]);
    // Where photos go on this system, else downloads, else home.
    let folder = (app.path().picture_dir())
        .or_else(|_| app.path().download_dir())
        .or_else(|_| app.path().home_dir())
        .ok();
    let (kind, bytes) = state.client()?.photo(blob).await?;
    let ext = kind.extension();
    let chosen = tauri::async_runtime::spawn_blocking(move || {
        let dialog = app.dialog().file();
        let dialog = match folder {
            Some(folder) => dialog.set_directory(folder),
            None => dialog,
        };
        dialog
            .set_title("Save photo")
            .set_file_name(format!("{name}.{ext}"))
            .add_filter("Photo", &[ext])
            .blocking_save_file()
    })
    .await
    .map_err(|e| CommandError::internal(e.to_string()))?;
    let Some(path) = chosen.and_then(|p| p.into_path().ok()) else {
        return Ok(None);
    };
    std::fs::write(&path, bytes)
        .map_err(|e| CommandError::storage(format!("{}: {e}", path.display())))?;
    Ok(Some(path.display().to_string()))
}

/// Answers a `candor-photo:` request: the photo named by the path, if a
/// message shown here names it (see `Client::photo`); 404 otherwise.
pub fn serve<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    request: &tauri::http::Request<Vec<u8>>,
) -> impl std::future::Future<Output = tauri::http::Response<Vec<u8>>> + use<R> {
    use tauri::Manager;
    let blob: Option<BlobId> = request.uri().path().trim_start_matches('/').parse().ok();
    let app = app.clone();
    async move {
        let refuse = |status: u16| {
            tauri::http::Response::builder()
                .status(status)
                .body(Vec::new())
                .unwrap_or_default()
        };
        let Some(blob) = blob else { return refuse(404) };
        let state = app.state::<AppState>();
        let Ok(client) = state.client() else {
            return refuse(503);
        };
        match client.photo(blob).await {
            Ok((kind, bytes)) => tauri::http::Response::builder()
                .header("Content-Type", kind.media_type())
                .header("X-Content-Type-Options", "nosniff")
                // Kept by the core, not the webview: an erase must leave no copy.
                .header("Cache-Control", "no-store")
                .body(bytes)
                .unwrap_or_default(),
            Err(candor_core::CoreError::PhotoNotShown) => refuse(404),
            Err(e) => {
                tracing::info!(error = %e, "a photo could not be shown");
                refuse(502)
            }
        }
    }
}
