//! What the desktop shows of new messages while the window is away: the
//! unread count on the tray icon and a notification per chat.

use candor_core::protocol::ConversationId;
use candor_core::{InboxItem, Message, UnreadSummary};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;

use crate::state::AppState;

/// The tray icon's id.
pub(super) const TRAY: &str = "main";
/// Where a notification keeps the chat it is about.
pub(super) const CHAT_KEY: &str = "chat";

/// Puts the unread count on the tray icon (hidden messages and requests are not
/// counted: the store's summary leaves them out).
pub async fn refresh_unread<R: Runtime>(app: &AppHandle<R>) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    if let Ok(unread) = state.with_store(|s| s.unread_summary()).await {
        show_unread(app, &unread);
    }
}

/// Shows `unread` on the tray icon.
pub fn show_unread<R: Runtime>(app: &AppHandle<R>, unread: &UnreadSummary) {
    if let Some(tray) = app.tray_by_id(TRAY) {
        let n = unread.messages;
        // Linux shows the title beside the icon; Windows and macOS the tooltip.
        let _ = tray.set_title((n > 0).then(|| n.to_string()));
        let _ = tray.set_tooltip(Some(match n {
            0 => "Candor".to_owned(),
            1 => "Candor: 1 unread message".to_owned(),
            n => format!("Candor: {n} unread messages"),
        }));
    }
}

/// Shows a notification for each chat in `chats` (rows as the notice carried
/// them) that `candor_core::alert` says may have one, unless the window is
/// focused or notifications are off.
pub async fn notify_new_messages<R: Runtime>(
    app: &AppHandle<R>,
    chats: &[InboxItem],
    added: &[Message],
    reacted: &[ConversationId],
) {
    let focused = app
        .get_webview_window("main")
        .and_then(|w| w.is_focused().ok())
        .unwrap_or(false);
    if focused || chats.is_empty() {
        return;
    }
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    if !state
        .with_store(|s| s.notifications_enabled())
        .await
        .unwrap_or(true)
    {
        return;
    }
    for alert in candor_core::alert::alerts(chats, added, reacted, chrono::Utc::now()) {
        let shown = app
            .notification()
            .builder()
            .id(notification_id(alert.chat))
            .title(&alert.title)
            .body(&alert.body)
            .extra(CHAT_KEY, alert.chat.to_string())
            .show();
        if let Err(e) = shown {
            tracing::warn!(error = %e, "could not show a notification");
        }
    }
}

/// One notification per chat: a newer one replaces the older.
/// Whether a notification already shown can be taken back here: Linux and the
/// BSDs close it on the notification server; macOS and Windows cannot.
pub const WITHDRAWS_NOTIFICATIONS: bool = cfg!(all(unix, not(target_os = "macos")));

/// Takes back the notification shown for `chat`, where the platform allows
/// ([`WITHDRAWS_NOTIFICATIONS`]): after an erase its words must not stay on
/// screen. A desktop that keeps a history of notifications may still list it.
pub fn withdraw_notification<R: Runtime>(app: &AppHandle<R>, chat: ConversationId) {
    if let Err(e) = app
        .notification()
        .remove_active(vec![notification_id(chat)])
    {
        tracing::warn!(error = %e, "could not withdraw a notification");
    }
}

fn notification_id(chat: ConversationId) -> i32 {
    let bytes = chat.0.as_bytes();
    i32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15] & 0x7f])
}
